/**
 * Python processes with the interpreter already warm: `warmPythonSync` (spawnSync's contract) and
 * `warmPythonSpawn` (spawn's) run `python -c SCRIPT ARGS` or `python FILE ARGS` in a fork of a
 * Python of that virtualenv that has imported mlflow (test/oracle/zygote.py), so a process costs a
 * fork instead of ~1.5 s of CPU in `import mlflow`. The script gets its own stdio, environment,
 * working folder, process group and exit code; signals sent to the returned process reach it; a
 * timeout or a kill ends it. One server per virtualenv for the whole test run (its folder made by
 * test/setup/global-setup.ts), started by the first test file that needs it; outside vitest's
 * global setup, one per virtualenv per process. `MLRUNS_WARM_PYTHON=0` runs cold interpreters.
 *
 * @example
 * ```ts
 * const r = warmPythonSync(venvPython('mlflow-3'), ['-c', 'import mlflow; print(mlflow.__version__)'], { env: process.env });
 * r.stdout; // '3.17.2\n'
 * const oracle = warmPythonSpawn(python, ['test/oracle/oracle_server.py'], { env }); // JSON lines on stdin/stdout
 * ```
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, ChildProcessWithoutNullStreams, SpawnSyncReturns, StdioOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'zygote.py');
/**
 * The client: the system's Python without site (~15 ms), passing its stdio to the server, then
 * forwarding the signals it gets (SIGINT, SIGTERM, SIGHUP...) to the script's process group and
 * exiting with the script's exit code. SIGKILL cannot be forwarded: the server kills the script's
 * group when the client is gone.
 */
const CLIENT = `
import os, signal, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
req = sys.argv[2].encode()
socket.send_fds(s, [struct.pack('!I', len(req))], [0, 1, 2])
s.sendall(req)
def forward(signum, frame):
    try:
        s.send(bytes([signum]))
    except OSError:
        pass
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(sig, forward)
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

/** The shared servers' folder and the process they live as long as (set by test/setup/global-setup.ts). */
const SHARED_DIR = process.env['MLRUNS_WARM_PYTHON_DIR'];
const SHARED_OWNER = process.env['MLRUNS_WARM_PYTHON_OWNER'];

function waitForSocket(socket: string, log: string, pid: number | undefined, what: string): void {
  const deadline = Date.now() + 180_000;
  while (!fs.existsSync(socket)) {
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    if (/Traceback/.test(text) || (pid !== undefined && exited(pid)) || Date.now() > deadline) {
      throw new Error(`the warm Python server of ${what} did not start:\n${text.slice(-4000)}`);
    }
    sleepSync(20);
  }
}

/** The environment a server imports mlflow in: nothing of a test's own (each script gets its own). */
function serverEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'DO_NOT_TRACK'];
  const env: NodeJS.ProcessEnv = { PYTHONDONTWRITEBYTECODE: '1', GIT_PYTHON_REFRESH: 'quiet', MLFLOW_ALLOW_FILE_STORE: 'true' };
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

/**
 * The server of one interpreter in `dir`, shared by every test process using that folder: started
 * by the first process that needs it (a folder made with mkdir is the lock), detached, living as
 * long as the process `owner` (the vitest process that ran global-setup).
 */
function sharedServerFor(python: string, dir: string, owner: string): string {
  const key = createHash('sha1').update(python).digest('hex').slice(0, 12);
  const socket = path.join(dir, `${key}.sock`);
  if (fs.existsSync(socket)) return socket;
  const log = path.join(dir, `${key}.log`);
  let starter = false;
  try {
    fs.mkdirSync(path.join(dir, `${key}.lock`));
    starter = true;
  } catch {
    /* another test process starts it */
  }
  if (starter) {
    const out = fs.openSync(log, 'a');
    const child = spawn(python, [SERVER, socket, '--owner', owner], { env: serverEnv(), stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    child.unref();
    fs.writeFileSync(path.join(dir, `${key}.python`), python);
    fs.writeFileSync(path.join(dir, `${key}.pid`), String(child.pid ?? ''));
    waitForSocket(socket, log, child.pid, python);
  } else {
    // Started by another test process: its pid file says when the server died starting.
    const pidFile = path.join(dir, `${key}.pid`);
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(pidFile) && !fs.existsSync(socket) && Date.now() < deadline) sleepSync(20);
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) || undefined : undefined;
    waitForSocket(socket, log, pid, python);
  }
  return socket;
}

/**
 * The folder of this process's servers outside vitest's global setup (a script or a test run by
 * other means): made on first use, its servers living as long as this process.
 */
let privateDir: string | undefined;
function ownDir(): string {
  if (privateDir === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-zygote-'));
    privateDir = dir;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return privateDir;
}

function serverFor(python: string): string {
  if (SHARED_DIR && SHARED_OWNER && fs.existsSync(SHARED_DIR)) return sharedServerFor(python, SHARED_DIR, SHARED_OWNER);
  return sharedServerFor(python, ownDir(), String(process.pid));
}

/** The client's command line for one script run by the server of `python`. */
function clientArgs(python: string, args: string[], cwd: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const socket = serverFor(python);
  const request = JSON.stringify({
    argv: args,
    cwd: path.resolve(cwd ?? process.cwd()),
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  return ['-S', '-c', CLIENT, socket, request];
}

/**
 * Cold interpreters instead: a script too long for one argument of the client, or every script
 * when MLRUNS_WARM_PYTHON=0 (to tell a difference that forking from a warm server could make).
 */
function cold(args: string[]): boolean {
  return process.env['MLRUNS_WARM_PYTHON'] === '0' || args.reduce((n, a) => n + a.length, 0) > 100_000;
}

/**
 * `spawn(python, args, { stdio: 'pipe' })` with the interpreter warm: the returned process is the
 * client, whose stdin, stdout and stderr are the script's and whose exit code is the script's.
 * The signals it gets (SIGINT, SIGTERM, SIGHUP...) are forwarded to the script's process group;
 * a SIGKILL kills the script with it.
 */
export function warmPythonSpawn(python: string, args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): ChildProcessWithoutNullStreams;
export function warmPythonSpawn(python: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdio: StdioOptions; detached?: boolean }): ChildProcess;
export function warmPythonSpawn(python: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdio?: StdioOptions; detached?: boolean } = {}): ChildProcess {
  const env = options.env ?? process.env;
  const stdio = options.stdio ?? 'pipe';
  if (cold(args)) return spawn(python, args, { cwd: options.cwd, env, stdio, detached: options.detached });
  return spawn(CLIENT_PYTHON, clientArgs(python, args, options.cwd, env), {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    stdio,
    detached: options.detached,
  });
}

/**
 * Runs `python ...args` (`-c SCRIPT ARGS` or `FILE ARGS`) like spawnSync, in a fork of a warm
 * server of that interpreter. `options` as spawnSync's (cwd, env, timeout, maxBuffer, input).
 */
export function warmPythonSync(
  python: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number; maxBuffer?: number; input?: string; encoding?: 'utf8' } = {},
): SpawnSyncReturns<string> {
  if (args.length === 0) throw new Error('warmPythonSync: a script (-c CODE or FILE) is needed');
  const env = options.env ?? process.env;
  if (cold(args)) {
    return spawnSync(python, args, { cwd: options.cwd, env, encoding: 'utf8', timeout: options.timeout, maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024, input: options.input });
  }
  return spawnSync(CLIENT_PYTHON, clientArgs(python, args, options.cwd, env), {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeout,
    maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
    input: options.input,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
  });
}
