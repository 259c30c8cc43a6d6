/**
 * The Python oracle: a long-lived Python process running real MLflow (one of the pinned versions in
 * `.oracle/mlflow-<v>`, created by `npm run oracle`), speaking JSON lines (test/oracle/oracle_server.py).
 *
 * @example
 * ```ts
 * const py = await Oracle.start('3');
 * const dump = await py.dump(root);               // everything MlflowClient sees in `root`
 * const res = await py.searchRuns(root, ['0'], { filter: "metrics.acc > 0.5" });
 * const n = await py.exec<number>(root, 'result = len(client.search_experiments())');
 * await py.close();
 * ```
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { warmPythonSpawn } from './zygote.js';
import type {
  Experiment,
  LoggedModel,
  Metric,
  ModelVersion,
  RegisteredModel,
  Run,
  ViewType,
} from '../../src/entities.js';

export type OracleVersion = '3' | '2' | '1' | '3-full' | '2-full' | '2-sql';
export const ORACLE_VERSIONS: readonly OracleVersion[] = ['3', '2', '1'];

/** An exception raised by Python (MLflow or otherwise). */
export interface PyError {
  /** Exception class name, e.g. `MlflowException`. */
  type: string;
  /** `MlflowException.error_code`, e.g. `RESOURCE_DOES_NOT_EXIST`; null for other exceptions. */
  code: string | null;
  /** `str(e)` */
  message: string;
  /** Python traceback (top-level request failures only). */
  traceback?: string;
}

/** What stands in place of an entity or a listing when Python raised for it. */
export interface PyErrorEntry {
  error: PyError;
}

/** A listing Python failed on; `items` = the entities fetched one by one instead (each may fail). */
export interface FailedListing<T, Id extends string> extends PyErrorEntry {
  items: Array<T | (PyErrorEntry & { [K in Id]: string })>;
}

export interface DumpedRegisteredModel extends RegisteredModel {
  /** All non-deleted versions (`search_model_versions("name='…'")`), sorted by version number. */
  versions: ModelVersion[] | PyErrorEntry;
}

/**
 * Everything `MlflowClient(tracking_uri=root, registry_uri=root)` sees.
 * Lists whose Python order depends on directory listing order are sorted (see oracle_server.py).
 */
export interface Dump {
  /** MLflow version that produced the dump. */
  version: string;
  /** `search_experiments(ViewType.ALL)` (1.30 too), in Python's order (creation time desc). */
  experiments: Experiment[] | FailedListing<Experiment, 'experimentId'>;
  /** Per experiment id: `search_runs(ViewType.ALL)` over all pages, in Python's order. */
  runs: Record<string, Run[] | FailedListing<Run, 'runId'>>;
  /** Per run id, per metric key of the run: `get_metric_history`. */
  metricHistory: Record<string, Record<string, Metric[] | PyErrorEntry>>;
  /** 3.x only. Per experiment id: `search_logged_models` (active models only). */
  loggedModels?: Record<string, LoggedModel[] | PyErrorEntry>;
  /** 2.x/3.x only. `search_registered_models`, each with its versions. */
  registeredModels?: DumpedRegisteredModel[] | PyErrorEntry;
}

export interface RequestOptions {
  /** Per-request timeout in ms (default: the oracle's, 60 s). */
  timeoutMs?: number;
}

export interface SearchOptions extends RequestOptions {
  filter?: string;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string | null;
}

export interface SearchRunsOptions extends SearchOptions {
  runViewType?: ViewType;
}

export interface SearchExperimentsOptions extends SearchOptions {
  viewType?: ViewType;
}

export interface SearchRunsResult {
  runIds: string[];
  token: string | null;
  items: Run[];
}
export interface SearchExperimentsResult {
  experimentIds: string[];
  token: string | null;
  items: Experiment[];
}
export interface SearchRegisteredModelsResult {
  names: string[];
  token: string | null;
  items: RegisteredModel[];
}
export interface SearchModelVersionsResult {
  versions: Array<{ name: string; version: string }>;
  token: string | null;
  items: ModelVersion[];
}

/** Python raised while serving a request. */
export class OracleError extends Error implements PyError {
  readonly type: string;
  readonly code: string | null;
  readonly traceback?: string;
  readonly pyMessage: string;
  constructor(readonly error: PyError) {
    super(`${error.type}${error.code ? ` (${error.code})` : ''}: ${error.message}`);
    this.name = 'OracleError';
    this.type = error.type;
    this.code = error.code;
    this.pyMessage = error.message;
    if (error.traceback !== undefined) this.traceback = error.traceback;
  }
}

export function isPyError(x: unknown): x is PyErrorEntry {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || !('error' in x)) return false;
  const e = (x as { error: unknown }).error;
  return typeof e === 'object' && e !== null && 'type' in e && 'message' in e;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(REPO_ROOT, 'test/oracle/oracle_server.py');

/** Directory of the oracle virtualenvs (`$MLRUNS_ORACLE_DIR` or `<repo>/.oracle`). */
export function oracleDir(): string {
  return process.env['MLRUNS_ORACLE_DIR'] ?? path.join(REPO_ROOT, '.oracle');
}

export function oraclePython(version: OracleVersion): string {
  return venvPython(`mlflow-${version}`);
}

/**
 * The Python of one oracle virtualenv by its name in scripts/setup-oracle.sh (`mlflow-3`,
 * `mlflow-3-onnx`, `mlflow-3-full`...), under {@link oracleDir}. Every suite finds Python here.
 */
export function venvPython(venv: string): string {
  return path.join(oracleDir(), venv, 'bin', 'python');
}

export function oracleAvailable(version: OracleVersion): boolean {
  return existsSync(oraclePython(version));
}

// ------------------------------------------------------------------------------------------------
// Floats: NaN/±Infinity travel as {"$float": "nan"|"inf"|"-inf"}; -0 as {"$float": "-0.0"} to Python.

function isFloatMarker(v: unknown): v is { $float: string } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === '$float' && typeof (v as { $float: unknown }).$float === 'string';
}

function decodeMarker(s: string): number {
  switch (s.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case 'infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return Number(s);
  }
}

/** Parses a JSON text from the oracle, turning float markers into numbers. */
export function parseOracleJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (isFloatMarker(v) ? decodeMarker(v.$float) : v));
}

/** Decodes float markers in an already-parsed value (e.g. a fixture's expected.json). */
export function decodeFloats<T>(value: T): T {
  if (isFloatMarker(value)) return decodeMarker(value.$float) as T;
  if (Array.isArray(value)) return value.map((v) => decodeFloats(v)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = decodeFloats(v);
    return out as T;
  }
  return value;
}

/** Encodes a value for the oracle: non-finite numbers and -0 become float markers. */
export function encodeFloats(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $float: 'nan' };
    if (value === Number.POSITIVE_INFINITY) return { $float: 'inf' };
    if (value === Number.NEGATIVE_INFINITY) return { $float: '-inf' };
    if (Object.is(value, -0)) return { $float: '-0.0' };
    return value;
  }
  if (Array.isArray(value)) return value.map(encodeFloats);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encodeFloats(v);
    return out;
  }
  return value;
}

// ------------------------------------------------------------------------------------------------

interface Response {
  id: number | null;
  ok: boolean;
  result?: unknown;
  error?: PyError;
}

interface Pending {
  resolve: (r: Response) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface StartOptions {
  /** Default per-request timeout in ms (60 s). */
  timeoutMs?: number;
  /** How long to wait for Python to import MLflow (60 s). */
  startTimeoutMs?: number;
  /** Forward Python's stderr (MLflow warnings/logging) to this process's stderr. Env ORACLE_DEBUG=1 too. */
  debug?: boolean;
  /** Extra environment variables for the Python process. */
  env?: Record<string, string>;
}

export class Oracle {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderrTail = '';
  private exited: Error | null = null;

  private constructor(
    readonly version: OracleVersion,
    /** Full MLflow version, e.g. `3.17.2`. */
    readonly mlflowVersion: string,
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly timeoutMs: number,
  ) {}

  /** Spawns the oracle for one MLflow major version and waits until MLflow is imported. */
  static async start(version: OracleVersion, opts: StartOptions = {}): Promise<Oracle> {
    const python = oraclePython(version);
    if (!existsSync(python)) {
      throw new Error(
        `Python oracle for MLflow ${version}.x not found at ${python}. Run \`npm run oracle\` (scripts/setup-oracle.sh) first.`,
      );
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith('MLFLOW_')) env[k] = v;
    }
    Object.assign(env, {
      MLFLOW_ALLOW_FILE_STORE: 'true',
      PYTHONUNBUFFERED: '1',
      PYTHONIOENCODING: 'utf-8',
      GIT_PYTHON_REFRESH: 'quiet',
      ...opts.env,
    });
    // In a fork of a warm interpreter of that virtualenv (test/oracle/zygote.ts): no `import mlflow` per oracle.
    const proc = warmPythonSpawn(python, [SERVER], { env });
    const debug = opts.debug ?? process.env['ORACLE_DEBUG'] === '1';

    let ready!: (r: Response) => void;
    let fail!: (e: Error) => void;
    const readyP = new Promise<Response>((res, rej) => {
      ready = res;
      fail = rej;
    });
    let oracle: Oracle | undefined;
    let stderrBeforeReady = '';

    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => {
      if (debug) process.stderr.write(`[oracle ${version}] ${chunk}`);
      if (oracle) oracle.stderrTail = (oracle.stderrTail + chunk).slice(-8000);
      else stderrBeforeReady = (stderrBeforeReady + chunk).slice(-8000);
    });
    const rl = createInterface({ input: proc.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => {
      if (!line.trim()) return;
      let resp: Response;
      try {
        resp = parseOracleJson(line) as Response;
      } catch {
        const msg = `oracle ${version}: unparsable line on stdout: ${line.slice(0, 500)}`;
        if (oracle) oracle.failAll(new Error(msg));
        else fail(new Error(msg));
        return;
      }
      if (!oracle) {
        ready(resp);
        return;
      }
      oracle.onResponse(resp);
    });
    proc.on('error', (e) => {
      if (oracle) oracle.failAll(e);
      else fail(e);
    });
    proc.on('exit', (code, signal) => {
      const err = new Error(
        `oracle ${version} exited (code ${code}, signal ${signal})\n${oracle ? oracle.stderrTail : stderrBeforeReady}`,
      );
      if (oracle) {
        oracle.exited = err;
        oracle.failAll(err);
      } else fail(err);
    });

    const startTimeout = opts.startTimeoutMs ?? 60_000;
    const timer = setTimeout(
      () => fail(new Error(`oracle ${version} did not start within ${startTimeout} ms\n${stderrBeforeReady}`)),
      startTimeout,
    );
    let hello: Response;
    try {
      hello = await readyP;
    } catch (e) {
      proc.kill();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const info = hello.result as { ready: boolean; version: string } | undefined;
    if (!hello.ok || !info?.ready) {
      proc.kill();
      throw new Error(`oracle ${version}: unexpected greeting ${JSON.stringify(hello)}`);
    }
    oracle = new Oracle(version, info.version, proc, opts.timeoutMs ?? 60_000);
    oracle.stderrTail = stderrBeforeReady;
    return oracle;
  }

  private onResponse(resp: Response): void {
    if (typeof resp.id !== 'number') return;
    const p = this.pending.get(resp.id);
    if (!p) return; // timed out earlier
    this.pending.delete(resp.id);
    clearTimeout(p.timer);
    p.resolve(resp);
  }

  private failAll(e: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(e);
    }
  }

  /** Sends one request; resolves with the raw response (ok or not). */
  private request(op: string, body: Record<string, unknown>, opts: RequestOptions = {}): Promise<Response> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`oracle ${this.version}: ${op} timed out after ${timeoutMs} ms\n${this.stderrTail.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const line = JSON.stringify(encodeFloats({ id, op, ...body }));
      this.proc.stdin.write(line + '\n', (err) => {
        if (err) {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(err);
        }
      });
    });
  }

  /** Result of an op, or throws OracleError when Python raised. */
  private async call<T>(op: string, body: Record<string, unknown>, opts?: RequestOptions): Promise<T> {
    const r = await this.request(op, body, opts);
    if (!r.ok) throw new OracleError(r.error ?? { type: 'OracleError', code: null, message: 'unknown error' });
    return r.result as T;
  }

  /** Result of an op, or `{error}` when Python raised. */
  private async callOrError<T>(op: string, body: Record<string, unknown>, opts?: RequestOptions): Promise<T | PyErrorEntry> {
    const r = await this.request(op, body, opts);
    if (!r.ok) return { error: r.error ?? { type: 'OracleError', code: null, message: 'unknown error' } };
    return r.result as T;
  }

  /** The MLflow version string as Python reports it. */
  pythonVersion(opts?: RequestOptions): Promise<string> {
    return this.call<string>('version', {}, opts);
  }

  /** Everything Python's MlflowClient sees in `root` (see {@link Dump}). Throws only if the dump itself crashes. */
  dump(root: string, opts?: RequestOptions): Promise<Dump> {
    return this.call<Dump>('dump', { root }, opts);
  }

  searchRuns(
    root: string,
    experimentIds: string[],
    opts: SearchRunsOptions = {},
  ): Promise<SearchRunsResult | PyErrorEntry> {
    return this.callOrError<SearchRunsResult>(
      'search_runs',
      {
        root,
        experiment_ids: experimentIds,
        filter: opts.filter ?? '',
        run_view_type: opts.runViewType ?? 'ACTIVE_ONLY',
        max_results: opts.maxResults ?? null,
        order_by: opts.orderBy ?? null,
        page_token: opts.pageToken ?? null,
      },
      opts,
    );
  }

  searchExperiments(root: string, opts: SearchExperimentsOptions = {}): Promise<SearchExperimentsResult | PyErrorEntry> {
    return this.callOrError<SearchExperimentsResult>(
      'search_experiments',
      {
        root,
        filter: opts.filter ?? null,
        view_type: opts.viewType ?? 'ACTIVE_ONLY',
        max_results: opts.maxResults ?? null,
        order_by: opts.orderBy ?? null,
        page_token: opts.pageToken ?? null,
      },
      opts,
    );
  }

  searchRegisteredModels(root: string, opts: SearchOptions = {}): Promise<SearchRegisteredModelsResult | PyErrorEntry> {
    return this.callOrError<SearchRegisteredModelsResult>(
      'search_registered_models',
      {
        root,
        filter: opts.filter ?? null,
        max_results: opts.maxResults ?? null,
        order_by: opts.orderBy ?? null,
        page_token: opts.pageToken ?? null,
      },
      opts,
    );
  }

  searchModelVersions(root: string, opts: SearchOptions = {}): Promise<SearchModelVersionsResult | PyErrorEntry> {
    return this.callOrError<SearchModelVersionsResult>(
      'search_model_versions',
      {
        root,
        filter: opts.filter ?? null,
        max_results: opts.maxResults ?? null,
        order_by: opts.orderBy ?? null,
        page_token: opts.pageToken ?? null,
      },
      opts,
    );
  }

  /**
   * Runs Python code with `client` (MlflowClient on root), `mlflow` (tracking and registry URI set to
   * root), `root`, `vars` (decoded JSON) and `MlflowClient`, `MlflowException`, `ViewType` bound;
   * resolves with the variable `result`, serialized (entities → camelCase shapes of src/entities.ts).
   * Rejects with {@link OracleError} when the code raises. Code runs in the server process: end any
   * run you start (`with mlflow.start_run(): ...`).
   */
  exec<T = unknown>(root: string, code: string, vars: Record<string, unknown> = {}, opts?: RequestOptions): Promise<T> {
    return this.call<T>('exec', { root, code, vars }, opts);
  }

  /** Like {@link exec} but resolves with `{error}` instead of rejecting when Python raises. */
  execOrError<T = unknown>(
    root: string,
    code: string,
    vars: Record<string, unknown> = {},
    opts?: RequestOptions,
  ): Promise<T | PyErrorEntry> {
    return this.callOrError<T>('exec', { root, code, vars }, opts);
  }

  /**
   * One request to a companion protocol this same process serves (MLflow 3.x): `search` is
   * test/search/pysearch.py (see test/search/oracle.ts), `format` is test/format/pyformat.py
   * (see test/format/pyformat.ts). The request travels as `JSON.stringify` makes it, the answer
   * comes back exactly as the module built it. Default timeout 10 minutes (big search batches).
   */
  async module<T = unknown>(name: 'search' | 'format', request: unknown, opts: RequestOptions = {}): Promise<T> {
    const plain: unknown = JSON.parse(JSON.stringify(request));
    const text = await this.call<string>('module', { module: name, request: plain }, { timeoutMs: opts.timeoutMs ?? 600_000 });
    return JSON.parse(text) as T;
  }

  /** Python's recent stderr (MLflow warnings and logging). */
  stderr(): string {
    return this.stderrTail;
  }

  /** Ends the Python process (closes stdin, then kills it if it lingers). */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await done;
    clearTimeout(timer);
  }
}
