"""A warm Python for the tests' Python processes: imports mlflow once, then forks a child per script.

`python -c SCRIPT ARGS...` costs about 1.5 s of CPU in `import mlflow` alone (3-5 s for `mlflow
server`'s libraries), and the suites start hundreds of Python processes: oracles, one-off scripts,
live writers, MLflow's servers. This server, started by test/oracle/zygote.ts in one of the
oracle's virtualenvs and shared by every test file of a run, listens on a Unix socket; each
request (sent by a tiny client that the test spawns in place of python) carries the client's
stdin, stdout and stderr as file descriptors plus the command line, environment and working
folder. For each request the server forks a supervisor, which forks the script's process: it
takes those descriptors as its 0, 1 and 2, its own process group, the environment and folder,
standard streams set up as a new interpreter would (PYTHONUNBUFFERED, PYTHONIOENCODING), and runs
the script as `python -c`/`python FILE` would (`__main__` in sys.modules, sys.argv, sys.path[0],
atexit handlers, SystemExit codes, a traceback and exit code 1 for an uncaught exception). The
supervisor forwards the signals the client gets to the script's process group, kills that group
when the client goes away (a timeout or a test killed it), and sends the exit code back to the
client, which exits with it. So a script runs in a fresh process state (a fork), with the
interpreter already warm, and any number run at once. The modules a script imported are imported
by the server afterwards, so the next script finds them loaded too. The server ends once the
process it serves (`--owner PID`) is gone.

Usage: python zygote.py SOCKET_PATH --owner PID
"""

import atexit
import gc
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
import traceback
import types

import mlflow  # noqa: F401  (the point of this server)
import mlflow.tracking  # noqa: F401

# What the scripts use most after mlflow itself, where the virtualenv has it; and the libraries of
# `mlflow server` (test/rest/warm_mlflow.py), never `mlflow.server` itself: its import reads the
# server's environment (a script must import it under its own).
for _name in (
    "mlflow.store.tracking.file_store",
    "mlflow.store.model_registry.file_store",
    "flask",
    "fastapi",
    "starlette.applications",
    "uvicorn.main",
    "sqlalchemy",
    "alembic",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_store",
    "mlflow.protos.service_pb2",
    "mlflow.protos.model_registry_pb2",
):
    try:
        __import__(_name)
    except Exception:
        pass


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("client closed")
        data += chunk
    return data


def run_child(req, fds, report_fd):
    os.setpgid(0, 0)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    before = set(sys.modules)
    os.environ.clear()
    os.environ.update(req["env"])
    os.chdir(req["cwd"])
    # Standard streams as a fresh interpreter would set them up for these descriptors and this
    # environment: line-buffered on a terminal, write-through under PYTHONUNBUFFERED.
    encoding = (os.environ.get("PYTHONIOENCODING") or "").split(":")[0] or None
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(
                encoding=encoding,
                line_buffering=unbuffered or stream is sys.stderr or stream.isatty(),
                write_through=unbuffered or stream is sys.stderr,
            )
        except Exception:
            pass
    argv = req["argv"]
    # The script's module is sys.modules["__main__"] (pickling, `import __main__`), as in python.
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = module
    main = module.__dict__
    if argv[0] == "-c":
        code, filename = argv[1], "<string>"
        sys.argv = ["-c"] + argv[2:]
        sys.path[0] = ""
    else:
        filename = argv[0]
        with open(filename, encoding="utf-8") as f:
            code = f.read()
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(os.path.abspath(filename))
        main["__file__"] = filename
    status = 0
    try:
        exec(compile(code, filename, "exec"), main)
    except SystemExit as e:
        if e.code is None:
            status = 0
        elif isinstance(e.code, int):
            status = e.code
        else:
            print(e.code, file=sys.stderr)
            status = 1
    except BaseException as e:
        # As python prints it: from the script's frame (this module's frame left out).
        tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
        traceback.print_exception(type(e), e, tb)
        status = 1
    try:
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    try:
        new = sorted({m.split(".")[0] for m in set(sys.modules) - before})
        os.write(report_fd, json.dumps(new).encode())
    except Exception:
        pass
    os._exit(status & 0xFF)


def reap():
    """Collects the exit of every finished supervisor (the server's only children)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def supervise(conn, req, fds, report_w):
    """In a fork of the server: runs the script in a fork of its own, waits for it or for the client
    to go away (then kills the script's process group), and sends the exit code to the client."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        conn.close()
        try:
            run_child(req, fds, report_w)
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    os.close(report_w)
    pidfd = os.pidfd_open(pid)
    watch = [conn, pidfd]
    while pidfd not in select.select(watch, [], [])[0]:
        got = conn.recv(1)
        if got:
            # A signal the client got, forwarded to the script's process group.
            signum = got[0]
        else:
            # The client is gone (killed by a timeout or a test): so is the script.
            signum = signal.SIGKILL
            watch = [pidfd]
        try:
            os.killpg(pid, signum)
        except OSError:
            pass
    _, st = os.waitpid(pid, 0)
    status = os.waitstatus_to_exitcode(st)
    try:
        conn.sendall(struct.pack("!i", status if status >= 0 else 128 - status))
    except OSError:
        pass
    conn.close()


def owner_alive(owner):
    try:
        os.kill(owner, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def serve(path, owner):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path + ".tmp")
    os.rename(path + ".tmp", path)
    srv.listen(64)
    # The process this server serves (the test run, or the test process that started it) may end
    # without stopping it (a worker killed): the server checks every second that it is still
    # there, and goes with it.
    gc.collect()
    gc.freeze()  # the children do not copy the server's pages by touching their refcounts' GC headers
    reports = {}  # read end of a script's report pipe -> bytes so far
    while True:
        readable, _, _ = select.select([srv] + list(reports), [], [], 1.0)
        reap()
        if not readable and not owner_alive(owner):
            try:
                os.unlink(path)
            except OSError:
                pass
            return
        for r in [x for x in readable if x is not srv]:
            chunk = os.read(r, 65536)
            if chunk:
                reports[r] += chunk
                continue
            report = reports.pop(r)
            os.close(r)
            # What the script imported, loaded here for the next one.
            try:
                for name in json.loads(report or b"[]"):
                    if name not in sys.modules:
                        try:
                            __import__(name)
                        except BaseException:
                            pass
                gc.collect()
                gc.freeze()
            except Exception:
                pass
        if srv not in readable:
            continue
        conn, _ = srv.accept()
        fds = []
        try:
            conn.settimeout(30)
            head, fds, _flags, _addr = socket.recv_fds(conn, 4, 3)
            if len(head) < 4:
                head += read_exact(conn, 4 - len(head))
            (size,) = struct.unpack("!I", head)
            req = json.loads(read_exact(conn, size))
            conn.settimeout(None)
            r, w = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    srv.close()
                    os.close(r)
                    for other in reports:
                        os.close(other)
                    supervise(conn, req, fds, w)
                    os._exit(0)
                finally:
                    os._exit(70)
            os.close(w)
            reports[r] = b""
        except Exception:
            traceback.print_exc()
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            conn.close()
        except OSError:
            pass


if __name__ == "__main__":
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    serve(sys.argv[1], int(sys.argv[sys.argv.index("--owner") + 1]))
