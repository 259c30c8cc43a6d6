"""`mlflow ARGS...` (the CLI of this virtualenv: `mlflow server ...`) for a warm interpreter.

Run by test/oracle/zygote.py in a fork of a server that imported mlflow and the web libraries
(flask, fastapi, uvicorn, sqlalchemy, alembic) but never `mlflow.server`. The CLI runs as the
`mlflow` entry point would. The web server it starts (MLflow runs `python -m uvicorn ... app` or
`gunicorn ... app` through `mlflow.utils.process._exec_cmd`, without waiting) is not a fresh
interpreter here but a fork of this script taken before the CLI imported anything: it gets the
command line and the environment (with MLflow's additions) the new process would have had, and
runs the module or entry point as `__main__`. So the server's app imports `mlflow.server` itself,
under the environment `mlflow server` set for it, as in a new process; only `import mlflow` and
the libraries are already done. Signals the CLI forwards reach it as they would a child process.

`mlflow models serve --env-manager local` starts its scoring server (`bash -c "exec uvicorn ..."`
with subprocess.Popen in mlflow.pyfunc.backend) the same way.

Usage: python warm_mlflow.py server --backend-store-uri ... (any mlflow command line)
"""

import json
import os
import runpy
import shlex
import shutil
import signal
import sys


def run_command(cmd, exe, env):
    """In the fork: become `cmd`, `python -m module` (exe None) or an entry point of this venv (exe)."""
    os.environ.clear()
    os.environ.update(env)
    status = 0
    try:
        if exe is None:
            sys.argv = ["-m"] + list(cmd[3:])
            runpy.run_module(cmd[2], run_name="__main__", alter_sys=True)
        else:
            sys.argv = list(cmd)
            runpy.run_path(exe, run_name="__main__")
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status & 0xFF)


class Forked:
    """The subprocess.Popen surface MLflow uses on the server process it started."""

    def __init__(self, pid, args):
        self.pid = pid
        self.args = args
        self.returncode = None
        self.stdin = self.stdout = self.stderr = None

    def _status(self, flags):
        if self.returncode is None:
            try:
                done, st = os.waitpid(self.pid, flags)
            except ChildProcessError:
                return self.returncode
            if done:
                self.returncode = os.waitstatus_to_exitcode(st)
        return self.returncode

    def poll(self):
        return self._status(os.WNOHANG)

    def wait(self, timeout=None):
        return self._status(0)

    def send_signal(self, sig):
        if self.returncode is None:
            os.kill(self.pid, sig)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def communicate(self, input=None, timeout=None):
        self.wait()
        return None, None


def main():
    if "mlflow.server" in sys.modules:
        # Imported before this script ran (not under the server's environment): a cold interpreter.
        os.execv(sys.executable, [sys.executable, "-m", "mlflow"] + sys.argv[1:])
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        # The server-to-be: waits for the command MLflow would start (nothing: the CLI ended first).
        os.close(write_end)
        data = b""
        while True:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            data += chunk
        if not data:
            os._exit(0)
        request = json.loads(data)
        run_command(request["cmd"], request["exe"], request["env"])
    os.close(read_end)
    used = []

    def hand_over(runnable_cmd, env):
        """The fork above becomes the command; a Popen-like handle on it."""
        cmd, exe = runnable_cmd
        used.append(cmd)
        os.write(write_end, json.dumps({"cmd": cmd, "exe": exe, "env": env}).encode())
        os.close(write_end)
        return Forked(pid, cmd)

    def runnable(cmd):
        """`(argv, exe)` when the fork can become `cmd`: `python -m module` of this interpreter
        (exe None), or a Python entry point of this venv (exe its path); else None."""
        if isinstance(cmd, (list, tuple)) and len(cmd) == 3 and cmd[0] == "bash" and cmd[1] == "-c" and cmd[2].startswith("exec "):
            cmd = shlex.split(cmd[2][len("exec "):])
        if not isinstance(cmd, (list, tuple)) or not cmd or used:
            return None
        cmd = [str(c) for c in cmd]
        if cmd[0] == sys.executable and len(cmd) > 2 and cmd[1] == "-m":
            return cmd, None
        exe = shutil.which(cmd[0], path=os.environ.get("PATH"))
        if not exe or os.path.dirname(exe) != os.path.dirname(sys.executable):
            return None
        with open(exe, "rb") as f:
            head = f.readline()
        return (cmd, exe) if head.startswith(b"#!") and b"python" in head else None

    import mlflow.utils.process as process

    original_exec_cmd = process._exec_cmd

    def exec_cmd(cmd, *args, **kwargs):
        target = None if kwargs.get("synchronous", True) else runnable(cmd)
        if target is None:
            return original_exec_cmd(cmd, *args, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        env.update(kwargs.get("extra_env") or {})
        return hand_over(target, env)

    # `mlflow server` starts uvicorn/gunicorn with _exec_cmd; patched before anything imports it by
    # name (`from mlflow.utils.process import _exec_cmd`).
    process._exec_cmd = exec_cmd

    # `mlflow models serve --env-manager local` starts `bash -c "exec uvicorn ..."` with Popen
    # (mlflow.pyfunc imported for the models commands only: `mlflow server` does not load it).
    backend = None
    if sys.argv[1:2] == ["models"]:
        import mlflow.pyfunc.backend as backend
    if backend is not None:
        real_subprocess = backend.subprocess

        class Subprocess:
            def __getattr__(self, name):
                return getattr(real_subprocess, name)

            @staticmethod
            def Popen(cmd, *args, **kwargs):
                target = runnable(cmd)
                if target is None or args or kwargs.get("stdout") is not None or kwargs.get("stderr") is not None:
                    return real_subprocess.Popen(cmd, *args, **kwargs)
                return hand_over(target, dict(kwargs.get("env") or os.environ))

        backend.subprocess = Subprocess()

    from mlflow.cli import cli

    try:
        cli.main(args=sys.argv[1:], prog_name="mlflow")
    finally:
        if not used:
            os.close(write_end)


if __name__ == "__main__":
    main()
