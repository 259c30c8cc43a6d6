/**
 * `spawnSync(python, ['-c', script, ...args])` with the interpreter already warm: the script runs
 * in a fork of a Python that has imported mlflow (test/oracle/zygote.py), so a one-off script
 * costs a fork instead of ~1.5 s of CPU in `import mlflow`. Same contract as spawnSync: the
 * script's stdout, stderr and exit code, its own environment and working folder, a timeout that
 * kills it. One server per virtualenv per test process, started on the first call and killed when
 * the process exits.
 *
 * @example
 * ```ts
 * const r = warmPythonSync(venvPython('mlflow-3'), ['-c', 'import mlflow; print(mlflow.__version__)'], { env: process.env });
 * r.stdout; // '3.17.2\n'
 * ```
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'zygote.py');
/** The client: the system's Python without site (~15 ms), passing its stdio to the server. */
const CLIENT = `
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
req = sys.argv[2].encode()
socket.send_fds(s, [struct.pack('!I', len(req))], [0, 1, 2])
s.sendall(req)
data = b''
while len(data) < 4:
    chunk = s.recv(4 - len(data))
    if not chunk:
        sys.stderr.write('python server closed the connection\\n')
        os._exit(70)
    data += chunk
os._exit(struct.unpack('!i', data)[0] & 0xFF)
`;
const CLIENT_PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p)) ?? 'python3';

interface Server {
  child: ChildProcess;
  socket: string;
  dir: string;
}

const servers = new Map<string, Server>();
let exitHook = false;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** True when the process is gone or a zombie (its exit not yet seen: the event loop is blocked). */
function exited(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function serverFor(python: string, env: NodeJS.ProcessEnv): Server {
  const have = servers.get(python);
  if (have && have.child.exitCode === null && have.child.signalCode === null && fs.existsSync(have.socket)) return have;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-zygote-'));
  const socket = path.join(dir, 's');
  const log = path.join(dir, 'log');
  const out = fs.openSync(log, 'a');
  const child = spawn(python, [SERVER, socket], { env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  const s: Server = { child, socket, dir };
  servers.set(python, s);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const v of servers.values()) {
        try {
          v.child.kill('SIGKILL');
        } catch {
          /* gone */
        }
        fs.rmSync(v.dir, { recursive: true, force: true });
      }
    });
  }
  // Synchronous callers: wait for the socket (the server binds it once mlflow is imported).
  const deadline = Date.now() + 180_000;
  while (!fs.existsSync(socket)) {
    const text = fs.readFileSync(log, 'utf8');
    if (/Traceback/.test(text) || exited(child.pid) || Date.now() > deadline) {
      child.kill('SIGKILL');
      servers.delete(python);
      throw new Error(`the warm Python server of ${python} did not start:\n${text.slice(-4000)}`);
    }
    sleepSync(20);
  }
  return s;
}

/**
 * Runs `python ...args` (`-c SCRIPT ARGS` or `FILE ARGS`) like spawnSync, in a fork of a warm
 * server of that interpreter. `options` as spawnSync's (cwd, env, timeout, maxBuffer, input).
 */
export function warmPythonSync(
  python: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number; maxBuffer?: number; input?: string } = {},
): SpawnSyncReturns<string> {
  if (args.length === 0) throw new Error('warmPythonSync: a script (-c CODE or FILE) is needed');
  const env = options.env ?? process.env;
  if (args.reduce((n, a) => n + a.length, 0) > 100_000) {
    // Over what one argument of the client may carry: a cold interpreter.
    return spawnSync(python, args, { cwd: options.cwd, env, encoding: 'utf8', timeout: options.timeout, maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024, input: options.input });
  }
  const server = serverFor(python, env);
  const request = JSON.stringify({
    argv: args,
    cwd: path.resolve(options.cwd ?? process.cwd()),
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  return spawnSync(CLIENT_PYTHON, ['-S', '-c', CLIENT, server.socket, request], {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeout,
    maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
    input: options.input,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
  });
}
