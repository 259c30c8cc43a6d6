"""A warm Python for the tests' one-off scripts: imports mlflow once, then forks a child per script.

`python -c SCRIPT ARGS...` costs about 1.5 s of CPU in `import mlflow` alone, and the suites run
hundreds of short scripts. This server, started by test/oracle/zygote.ts in one of the oracle's
virtualenvs, listens on a Unix socket; each request (sent by a tiny client that the test spawns in
place of python) carries the client's stdin, stdout and stderr as file descriptors plus the
command line, environment and working folder. The server forks; the child takes those descriptors
as its 0, 1 and 2, its own process group, the environment and folder, and runs the script as
`python -c`/`python FILE` would (`__main__`, sys.argv, sys.path[0], atexit handlers, SystemExit
codes, a traceback and exit code 1 for an uncaught exception). The server sends the exit code back
to the client, which exits with it. So a script still runs in a fresh process state (a fork), with
the interpreter already warm. The modules a script imported are imported by the server afterwards,
so the next script finds them loaded too. When the client goes away (a timeout killed it), the
child's process group is killed. The server ends (removing its socket's folder) once the process
that started it is gone.

Usage: python zygote.py SOCKET_PATH
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

import mlflow  # noqa: F401  (the point of this server)
import mlflow.tracking  # noqa: F401

try:  # what the scripts use most after mlflow itself
    import mlflow.store.tracking.file_store  # noqa: F401
    import mlflow.store.model_registry.file_store  # noqa: F401
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
    argv = req["argv"]
    main = {"__name__": "__main__", "__builtins__": __builtins__}
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


def serve(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path + ".tmp")
    os.rename(path + ".tmp", path)
    srv.listen(16)
    # The test process that started this server may end without stopping it (a worker killed):
    # the server checks every second that its parent is still there, and goes with it.
    parent = os.getppid()
    srv.settimeout(1.0)
    gc.collect()
    gc.freeze()  # the children do not copy the server's pages by touching their refcounts' GC headers
    while True:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            if os.getppid() != parent:
                shutil.rmtree(os.path.dirname(path), ignore_errors=True)
                return
            continue
        conn.settimeout(None)
        fds = []
        try:
            head, fds, _flags, _addr = socket.recv_fds(conn, 4, 3)
            if len(head) < 4:
                head += read_exact(conn, 4 - len(head))
            (size,) = struct.unpack("!I", head)
            req = json.loads(read_exact(conn, size))
            r, w = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                srv.close()
                conn.close()
                os.close(r)
                try:
                    run_child(req, fds, w)
                finally:
                    os._exit(70)
            for fd in fds:
                os.close(fd)
            fds = []
            os.close(w)
            status = None
            while status is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = os.waitstatus_to_exitcode(st)
                    break
                readable, _, _ = select.select([conn], [], [], 0.02)
                if readable and not conn.recv(1, socket.MSG_PEEK):
                    # The client is gone (killed by a timeout): so is the script.
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        pass
            report = b""
            while True:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                report += chunk
            os.close(r)
            try:
                conn.sendall(struct.pack("!i", status if status >= 0 else 128 - status))
            except OSError:
                pass
            conn.close()
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
    serve(sys.argv[1])
