/**
 * Real MLflow tracking servers for the REST tests: `mlflow server` from the oracle's full venvs
 * (`.oracle/mlflow-3-full`, `.oracle/mlflow-2-full`) on 127.0.0.1 with a free port and
 * `--serve-artifacts`, backed by SQLite or by a real PostgreSQL 15 (initdb'd in a temporary
 * folder, run as the unprivileged `postgres` user when the tests run as root).
 *
 * @example
 * ```ts
 * const server = await startMlflowServer({ backend: 'postgres' });
 * const client = new MlflowClient(server.url);
 * await server.stop();
 * ```
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { warmPythonSpawn } from '../oracle/zygote.js';
import { makeOnce } from '../setup/once.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PG_BIN = '/usr/lib/postgresql/15/bin';
const WARM_MLFLOW = path.join(REPO_ROOT, 'test/rest/warm_mlflow.py');

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exitPromise(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exitPromise(child);
  // The server runs in its own process group (uvicorn/gunicorn workers): signal the whole group.
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    child.kill(signal);
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, graceMs);
  await done;
  clearTimeout(timer);
}

/** Resolves once nothing accepts connections on 127.0.0.1:port (at most 10 s). */
async function portClosed(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (!open) return;
    await sleep(50);
  }
}

/** A PostgreSQL server in a temporary data folder. */
export interface Postgres {
  /** `postgresql+psycopg2://postgres@127.0.0.1:<port>/<db>` */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary, as `postgres` when we are root (postgres refuses to run as root). */
function pgCommand(bin: string, args: string[]): [string, string[]] {
  const exe = path.join(PG_BIN, bin);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
}

function ensurePostgresUser(): void {
  if (!asRoot) return;
  if (spawnSync('id', ['-u', 'postgres']).status === 0) return;
  const res = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`useradd postgres failed: ${res.stderr}`);
}

/** initdb + postgres on a free port (unix socket in the same temporary folder) + a database. */
export async function startPostgres(database = 'mlflow'): Promise<Postgres> {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) {
    throw new Error(`PostgreSQL 15 is not installed (${PG_BIN}/initdb missing): apt-get install postgresql-15`);
  }
  ensurePostgresUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-pg-'));
  if (asRoot) spawnSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  const [initCmd, initArgs] = pgCommand('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8', timeout: 180_000 });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr}${init.stdout}`);
  const port = await freePort();
  const [cmd, args] = pgCommand('postgres', [
    '-D', data, '-p', String(port), '-k', dir,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
  ]);
  const log = fs.openSync(path.join(dir, 'postgres.log'), 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited: ${fs.readFileSync(path.join(dir, 'postgres.log'), 'utf8')}`);
    const ready = spawnSync(path.join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
    if (ready.status === 0) break;
    if (Date.now() > deadline) throw new Error('postgres did not become ready in 120 s');
    await sleep(200);
  }
  const created = spawnSync(path.join(PG_BIN, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', database], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`createdb failed: ${created.stderr}`);
  return {
    // The driver named: MLflow 3.x would pick psycopg (3); the venvs hold psycopg2-binary.
    url: `postgresql+psycopg2://postgres@127.0.0.1:${port}/${database}`,
    port,
    async stop() {
      await killAndWait(child, 'SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface MlflowServerOptions {
  /** `file`: a mlruns/ folder (MLflow 2.x's server needs no SQLAlchemy then). */
  backend?: 'sqlite' | 'postgres' | 'file';
  /** The MLflow major version of the server (`.oracle/mlflow-<v>-full`). */
  version?: '3' | '2';
  /** Extra environment for the server (e.g. MLFLOW_AUTH_*). */
  env?: Record<string, string>;
  /** Extra command-line arguments. */
  args?: string[];
}

/** A running `mlflow server`. */
export interface MlflowServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  backendUri: string;
  /** The folder the server stores proxied artifacts in (`--artifacts-destination`). */
  artifactsDir: string;
  /** The server's log (stdout + stderr). */
  logFile: string;
  /** Kills the server process (SIGKILL), keeping its stores. */
  kill(): Promise<void>;
  /** Starts it again on the same port and stores (after {@link MlflowServer.kill}). */
  restart(): Promise<void>;
  /** Stops the server and its database, removes the temporary folders. */
  stop(): Promise<void>;
}

export function mlflowBin(version: '3' | '2'): string {
  return path.join(REPO_ROOT, '.oracle', `mlflow-${version}-full`, 'bin', 'mlflow');
}

async function waitHealthy(url: string, child: ChildProcess, logFile: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mlflow server exited (${child.exitCode ?? child.signalCode}):\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`mlflow server not healthy after ${timeoutMs} ms:\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}`);
    await sleep(250);
  }
}

/** The template's path per MLflow major version, once known in this process. */
const templates = new Map<string, string>();

/**
 * An empty MLflow tracking + registry database at the schema head of the `mlflow-<version>-full`
 * venv, made once per machine and venv (under node_modules/.cache, keyed by the MLflow version)
 * by MLflow's own SqlAlchemyStore as `mlflow server` makes it at its first start: the migrations,
 * then the Default experiment with the artifact root `--serve-artifacts` gives (`mlflow-artifacts:/`).
 * A lock folder keeps two test files from making it at once; it is renamed into place whole.
 * Its path is asked of the venv once per test process (a server restart or a second server
 * reuses it).
 */
function migratedSqliteTemplate(version: '3' | '2'): string {
  const known = templates.get(version);
  if (known !== undefined && fs.existsSync(known)) return known;
  const file = makeSqliteTemplate(version);
  templates.set(version, file);
  return file;
}

/** Finds or makes the template of {@link migratedSqliteTemplate}. */
function makeSqliteTemplate(version: '3' | '2'): string {
  const python = path.join(path.dirname(mlflowBin(version)), 'python');
  const probe = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("mlflow"))'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`${python} has no mlflow: run scripts/setup-oracle.sh:\n${probe.stderr}`);
  const dir = path.join(REPO_ROOT, 'node_modules', '.cache', 'mlruns-server-db');
  const file = path.join(dir, `mlflow-${probe.stdout.trim()}.db`);
  fs.mkdirSync(dir, { recursive: true });
  return makeOnce(`${file}.lock`, () => (fs.existsSync(file) ? file : undefined), () => {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.rmSync(tmp, { force: true });
    const script = [
      'import sys',
      'from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore',
      'from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore',
      "uri = 'sqlite:///' + sys.argv[1]",
      "SqlAlchemyStore(uri, 'mlflow-artifacts:/')",
      'RegistryStore(uri)',
    ].join('\n');
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', MLFLOW_ALLOW_FILE_STORE: 'true' };
    const r = spawnSync(python, ['-c', script, tmp], { encoding: 'utf8', env, timeout: 300_000 });
    if (r.status !== 0) throw new Error(`making the migrated SQLite template failed (${r.status}):\n${r.stderr}`);
    fs.renameSync(tmp, file);
    return file;
  });
}

/**
 * Starts `mlflow server` (one worker) on 127.0.0.1 with a free port, `--serve-artifacts` and an
 * artifacts folder in a temporary folder, over SQLite or a fresh PostgreSQL.
 */
export async function startMlflowServer(options: MlflowServerOptions = {}): Promise<MlflowServer> {
  const version = options.version ?? '3';
  const bin = mlflowBin(version);
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run scripts/setup-oracle.sh (the full MLflow venvs)`);
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-server-')));
  const artifactsDir = path.join(dir, 'artifacts');
  fs.mkdirSync(artifactsDir);
  let pg: Postgres | undefined;
  let backendUri: string;
  if (options.backend === 'postgres') {
    pg = await startPostgres();
    backendUri = pg.url;
  } else if (options.backend === 'file') {
    backendUri = `file://${path.join(dir, 'mlruns')}`;
  } else {
    const db = path.join(dir, 'mlflow.db');
    // A fresh database, already at the schema head: MLflow's ~60 migrations took about 4 s of CPU
    // on every server start (the server finds the head and only checks it).
    if (!options.args?.some((a) => a.startsWith('--default-artifact-root'))) fs.copyFileSync(migratedSqliteTemplate(version), db);
    backendUri = `sqlite:///${db}`;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'server.log');
  const args = [
    'server',
    '--backend-store-uri', backendUri,
    '--serve-artifacts',
    '--artifacts-destination', artifactsDir,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--workers', '1',
    ...(options.args ?? []),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONDONTWRITEBYTECODE: '1',
    MLFLOW_ALLOW_FILE_STORE: 'true',
    // MLflow 3's server otherwise starts a job runner beside it (a supervisor and some ten huey
    // consumers, each a Python process importing mlflow and polling the database): the GenAI jobs
    // (scorers, trace rollups), which no test here uses; several minutes of CPU over a test run.
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    ...(options.env ?? {}),
  };
  for (const k of Object.keys(env)) if (k.startsWith('MLFLOW_TRACKING_') || k === 'MLFLOW_REGISTRY_URI') delete env[k];
  let child: ChildProcess;
  const launch = async () => {
    const log = fs.openSync(logFile, 'a');
    // `mlflow server` in a warm interpreter of the venv (test/rest/warm_mlflow.py, run by
    // test/oracle/zygote.ts): the same CLI and the same uvicorn app, without importing mlflow and
    // the web libraries again in both processes (~7 s of CPU per start). Killing the client
    // kills the server; the signals the tests send are forwarded to it.
    child = warmPythonSpawn(path.join(path.dirname(bin), 'python'), [WARM_MLFLOW, ...args], { cwd: dir, stdio: ['ignore', log, log], env, detached: true });
    // A spawn failure (a venv whose interpreter moved: "required file not found") goes to the log,
    // which waitHealthy's error shows.
    child.on('error', (e) => fs.appendFileSync(logFile, `spawn ${bin}: ${e.message}\n`));
    fs.closeSync(log);
    await waitHealthy(url, child, logFile);
  };
  try {
    await launch();
  } catch (e) {
    await pg?.stop();
    throw e;
  }
  return {
    url,
    port,
    backendUri,
    artifactsDir,
    logFile,
    async kill() {
      await killAndWait(child, 'SIGKILL');
      // The server goes with its client, a moment later: free its port before a restart.
      await portClosed(port);
    },
    restart: launch,
    async stop() {
      await killAndWait(child, 'SIGTERM');
      await pg?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A decision of the fault proxy for one request: forward it, or answer with this status. */
export type FaultPlan = (req: { method: string; url: string; n: number; headers: Record<string, string | string[] | undefined> }) => number | null;

export interface FaultProxy {
  url: string;
  /** Requests seen, by `METHOD path` (query string removed). */
  seen: Map<string, number>;
  /** Answers injected, by status. */
  injected: Map<number, number>;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real server that answers some requests itself (500, 429, 401...)
 * as `plan` decides, and forwards the others unchanged.
 */
export async function startFaultProxy(target: string, plan: FaultPlan): Promise<FaultProxy> {
  const http = await import('node:http');
  const t = new URL(target);
  const seen = new Map<string, number>();
  const injected = new Map<number, number>();
  let n = 0;
  const agent = new http.Agent({ keepAlive: true });
  const srv = http.createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const status = plan({ method: req.method ?? 'GET', url: req.url ?? '', n: n++, headers: req.headers });
    if (status !== null) {
      injected.set(status, (injected.get(status) ?? 0) + 1);
      req.resume();
      const body = status === 401 ? '{"error_code": "UNAUTHENTICATED", "message": "Invalid credentials"}' : `injected ${status}`;
      res.writeHead(status, { 'Content-Type': status === 401 ? 'application/json' : 'text/plain', ...(status === 429 ? { 'Retry-After': '0' } : {}) });
      res.end(body);
      return;
    }
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: `${t.hostname}:${t.port}` }, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end('upstream unreachable');
    });
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    injected,
    close: () =>
      new Promise<void>((r) => {
        agent.destroy();
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}
