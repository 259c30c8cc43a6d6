/**
 * `serveModel`: MLflow's scoring server (`mlflow models serve`) for the models mlruns runs.
 * `GET /ping`, `GET /health`, `GET /version`, `POST /invocations` as MLflow 3.17.2 answers
 * them (see `scoring.ts`), plus `GET /metrics` (Prometheus text format). Inference runs in
 * worker threads, one model session each (small requests in this thread while the model is
 * quick there: `inlineBytes`). A `models:/name@alias` (or stage, or `latest`) URI is
 * followed: when it moves to another version, the new version is loaded in the background and
 * swapped in at once; each response says which version answered (`X-Mlruns-Model-Version`).
 * Binds 127.0.0.1 by default; bodies over `bodyLimit` get 413; a request running longer than
 * `MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT` seconds gets 504 as MLflow answers it; `close()`
 * lets requests in flight finish.
 *
 * @example
 * ```ts
 * import { serveModel } from 'mlruns/serve';
 * const server = await serveModel('models:/iris@champion', { root: './mlruns', port: 0 });
 * const res = await fetch(`${server.url}/invocations`, {
 *   method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [[1, 2, 3]]}',
 * });
 * await server.close();
 * ```
 * @module
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MlflowError } from '../errors.js';
import { parseModelUri } from '../store/file/registry-store.js';
import { resolveModelUriDetailed } from '../models/index.js';
import { uriScheme } from '../store/uri.js';
import { loadPyfunc } from './pyfunc.js';
import type { PyfuncModel } from './pyfunc.js';
import { SCORING_MLFLOW_VERSION, errorResponse, invocations } from './scoring.js';
import type { ScoringResponse } from './scoring.js';

/**
 * What is logged for each request (the CLI prints `line`).
 *
 * @example
 * ```ts
 * await serveModel('models:/iris/1', { logger: (log: RequestLog) => console.error(log.line) });
 * ```
 */
export interface RequestLog {
  line: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  version: string | null;
}

/**
 * Options of {@link serveModel}.
 *
 * @example
 * ```ts
 * const o: ServeOptions = { port: 0, workers: 2, bodyLimit: 1 << 20, logger: (l) => console.log(l.line) };
 * ```
 */
export interface ServeOptions {
  /** Tracking root (path or `file:` URI); default `MLFLOW_TRACKING_URI`, else `./mlruns`. */
  root?: string | null;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 5001; 0 picks a free port. */
  port?: number;
  /** Worker threads (each with its own model session); default: one per core, at most 8; 0 runs in the server's thread. */
  workers?: number;
  /** The largest request body in bytes (default 64 MiB); larger ones get 413. */
  bodyLimit?: number;
  /** Request timeout in seconds (default `MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`, else 60). */
  timeoutSeconds?: number;
  /** Follow an alias/stage/latest URI to new versions (default true). */
  followAlias?: boolean;
  /** How often the alias is checked (ms, default 1000). */
  pollIntervalMs?: number;
  /** Called once per request. */
  logger?: (log: RequestLog) => void;
  /** Called when a new version is being loaded, is serving, or failed to load. */
  onEvent?: (event: { type: 'loading' | 'switched' | 'load-failed'; version: string | null; message?: string }) => void;
  /** onnxruntime session options of each session (default one intra-op thread). */
  sessionOptions?: Record<string, unknown>;
  /**
   * Requests whose body is at most this many bytes are predicted in the server's thread when the
   * model is quick there (an ONNX model answering in under 5 ms on average after a warm-up;
   * checked again every second when it is not): for small payloads the worker round trip costs more than the prediction. Default
   * 16384; 0 sends every request to the workers. Not used with `workers: 0` (everything is).
   */
  inlineBytes?: number;
  /** The TensorFlow.js module for tfjs models predicted in this thread (`workers: 0`); workers import `@tensorflow/tfjs`. */
  tf?: unknown;
}

/**
 * A running server: its URL, and `close()` to stop it (in-flight requests finish).
 *
 * @example
 * ```ts
 * const server: ModelServer = await serveModel('runs:/<run>/model', { port: 0 });
 * console.log(server.url); // http://127.0.0.1:<port>
 * await server.close();
 * ```
 */
export interface ModelServer {
  url: string;
  port: number;
  host: string;
  /** The registered version answering now (null for a URI without one). */
  version(): string | null;
  /** Stops accepting, lets in-flight requests finish, stops the workers. */
  close(): Promise<void>;
}

/** The worker script next to this module (undefined when running from TypeScript sources). */
function workerScript(): URL | undefined {
  try {
    const url = new URL('./worker.js', import.meta.url);
    if (url.protocol === 'file:' && fs.existsSync(fileURLToPath(url))) return url;
  } catch {
    /* not a file URL */
  }
  return undefined;
}

interface Pending {
  resolve(r: ScoringResponse): void;
}

/** The model of one version: worker threads, or the model in this thread. */
class Engine {
  readonly version: string | null;
  private readonly workers: Array<{ worker: Worker; inflight: number }> = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private inline: PyfuncModel | null = null;
  /** With workers: the model in this thread for small requests (see `inlineBytes`). */
  private quick: PyfuncModel | null = null;
  private inlineBytes = 0;
  /** Average time of a request predicted in this thread (ms), and when it was last tried. */
  private quickMs = 0;
  private quickTried = 0;
  /** Requests predicted in this thread by the `inlineBytes` rule. */
  inThreadCount = 0;
  inflight = 0;
  private drained: (() => void) | null = null;

  private constructor(version: string | null) {
    this.version = version;
  }

  static async start(uri: string, version: string | null, root: string | null, count: number, sessionOptions?: Record<string, unknown>, tf?: unknown, inlineBytes = 0): Promise<Engine> {
    const e = new Engine(version);
    e.inlineBytes = inlineBytes;
    const script = workerScript();
    if (count <= 0 || !script) {
      e.inline = await loadPyfunc(uri, { root, ...(sessionOptions ? { sessionOptions } : {}), ...(tf ? { tf } : {}) });
      return e;
    }
    const ready: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData: { uri, root, sessionOptions }, execArgv: [] });
      const slot = { worker, inflight: 0 };
      e.workers.push(slot);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (msg: { type: string; id: number; message?: string; code?: string } & ScoringResponse) => {
            if (msg.type === 'ready') resolve();
            else if (msg.type === 'failed') reject(new MlflowError((msg.code as never) ?? 'INTERNAL_ERROR', msg.message ?? 'the model failed to load'));
            else if (msg.type === 'result') {
              slot.inflight--;
              const p = e.pending.get(msg.id);
              e.pending.delete(msg.id);
              p?.resolve({ status: msg.status, body: msg.body, mimetype: msg.mimetype });
            }
          });
          worker.on('error', (err) => reject(err));
          worker.on('exit', () => {
            reject(new Error('worker exited'));
          });
        }),
      );
    }
    try {
      await Promise.all(ready);
      if (inlineBytes > 0) {
        const m = await loadPyfunc(uri, { root, ...(sessionOptions ? { sessionOptions } : {}) });
        // onnxruntime predicts quickly in this thread; TF.js (pure JS) would hold the event loop
        if (m.desc.flavors['tfjs'] && !m.desc.flavors['onnx']) await m.close();
        else e.quick = m;
      }
    } catch (err) {
      await e.stop();
      throw err;
    }
    return e;
  }

  /** True when this request is best predicted in this thread. */
  private inThread(size: number): boolean {
    if (!this.quick || size > this.inlineBytes) return false;
    if (this.quickMs <= 5) return true;
    const now = Date.now();
    if (now - this.quickTried < 1000) return false;
    this.quickTried = now; // try again now and then: the slow ones may have been a burst
    return true;
  }

  async invoke(body: Buffer, contentType: string | undefined): Promise<ScoringResponse> {
    this.inflight++;
    try {
      if (this.inline) return await invocations(body, contentType, this.inline);
      if (this.inThread(body.length)) {
        this.inThreadCount++;
        const t0 = performance.now();
        const r = await invocations(body, contentType, this.quick as PyfuncModel);
        // the first ones warm up (JIT, the session's first runs): not counted
        if (this.inThreadCount > 10) this.quickMs = this.quickMs * 0.9 + (performance.now() - t0) * 0.1;
        return r;
      }
      let best = this.workers[0] as { worker: Worker; inflight: number };
      for (const w of this.workers) if (w.inflight < best.inflight) best = w;
      best.inflight++;
      const id = this.nextId++;
      return await new Promise<ScoringResponse>((resolve) => {
        this.pending.set(id, { resolve });
        best.worker.postMessage({ type: 'invocations', id, body, contentType });
      });
    } finally {
      this.inflight--;
      if (this.inflight === 0) this.drained?.();
    }
  }

  /** Waits for requests in flight, then stops. */
  async drainAndStop(): Promise<void> {
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.stop();
  }

  async stop(): Promise<void> {
    await this.inline?.close();
    await this.quick?.close();
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    for (const p of this.pending.values()) p.resolve(errorResponse('INTERNAL_ERROR', 'The model worker stopped'));
    this.pending.clear();
  }
}

/** Prometheus metrics of the server. */
class Metrics {
  readonly requests = new Map<string, number>();
  errors = 0;
  readonly buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  readonly counts = new Array<number>(this.buckets.length).fill(0);
  sum = 0;
  count = 0;
  switches = 0;

  observe(path: string, status: number, seconds: number): void {
    const key = `path="${path}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (status >= 400) this.errors++;
    if (path === '/invocations') {
      this.sum += seconds;
      this.count++;
      this.buckets.forEach((b, i) => {
        if (seconds <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
      });
    }
  }

  text(uri: string, version: string | null, inflight: number, inThread: number): string {
    const lines: string[] = [];
    lines.push('# HELP mlruns_serve_requests_total Requests answered, by path and status.', '# TYPE mlruns_serve_requests_total counter');
    for (const [k, v] of this.requests) lines.push(`mlruns_serve_requests_total{${k}} ${v}`);
    lines.push('# HELP mlruns_serve_errors_total Requests answered with a status >= 400.', '# TYPE mlruns_serve_errors_total counter', `mlruns_serve_errors_total ${this.errors}`);
    lines.push('# HELP mlruns_serve_request_duration_seconds Latency of POST /invocations.', '# TYPE mlruns_serve_request_duration_seconds histogram');
    this.buckets.forEach((b, i) => lines.push(`mlruns_serve_request_duration_seconds_bucket{le="${b}"} ${this.counts[i]}`));
    lines.push(`mlruns_serve_request_duration_seconds_bucket{le="+Inf"} ${this.count}`);
    lines.push(`mlruns_serve_request_duration_seconds_sum ${this.sum}`, `mlruns_serve_request_duration_seconds_count ${this.count}`);
    lines.push('# HELP mlruns_serve_requests_in_flight Requests being answered.', '# TYPE mlruns_serve_requests_in_flight gauge', `mlruns_serve_requests_in_flight ${inflight}`);
    lines.push('# HELP mlruns_serve_model_info The model being served (value 1).', '# TYPE mlruns_serve_model_info gauge');
    lines.push(`mlruns_serve_model_info{uri=${JSON.stringify(uri)},version=${JSON.stringify(version ?? '')}} 1`);
    lines.push('# HELP mlruns_serve_model_version The registered version answering (0 when none).', '# TYPE mlruns_serve_model_version gauge');
    lines.push(`mlruns_serve_model_version ${version !== null && /^\d+$/.test(version) ? version : 0}`);
    lines.push('# HELP mlruns_serve_model_switches_total Times a followed alias moved and the new version took over.', '# TYPE mlruns_serve_model_switches_total counter');
    lines.push(`mlruns_serve_model_switches_total ${this.switches}`);
    lines.push("# HELP mlruns_serve_in_thread_requests_total Small requests predicted in the server's thread (inlineBytes) by the version serving now.", '# TYPE mlruns_serve_in_thread_requests_total counter');
    lines.push(`mlruns_serve_in_thread_requests_total ${inThread}`);
    return `${lines.join('\n')}\n`;
  }
}

/** Default number of workers: one per core, at most 8. */
export const defaultServeWorkers = (): number => Math.min(8, Math.max(1, os.availableParallelism()));

/** True when a URI names a version that can move (alias, stage, latest). */
export function isMovingUri(uri: string): boolean {
  if (uriScheme(uri) !== 'models') return false;
  try {
    const p = parseModelUri(uri);
    return p.version === null && p.modelId === null;
  } catch {
    return false;
  }
}

function timeoutFromEnv(): number {
  const v = Number(process.env['MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT']);
  return Number.isFinite(v) && v > 0 ? v : 60;
}

/**
 * Serves a model (every URI form `loadModel` takes) with MLflow's scoring protocol; see the
 * module comment. Resolves once the model is loaded and the port is listening.
 *
 * @example
 * ```ts
 * const server = await serveModel('models:/iris@champion', { root: './mlruns', port: 0 });
 * const res = await fetch(`${server.url}/invocations`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ inputs: [[5.1, 3.5, 1.4, 0.2]] }),
 * });
 * await server.close();
 * ```
 */
export async function serveModel(uri: string, options: ServeOptions = {}): Promise<ModelServer> {
  const root = options.root ?? null;
  const host = options.host ?? '127.0.0.1';
  const workers = options.workers ?? defaultServeWorkers();
  const bodyLimit = options.bodyLimit ?? 64 * 1024 * 1024;
  const inlineBytes = options.inlineBytes ?? 16384;
  if (!Number.isInteger(inlineBytes) || inlineBytes < 0) throw new MlflowError('INVALID_PARAMETER_VALUE', `inlineBytes must be an integer >= 0, got ${inlineBytes}`);
  const timeoutMs = (options.timeoutSeconds ?? timeoutFromEnv()) * 1000;
  const moving = isMovingUri(uri) && options.followAlias !== false;
  const metrics = new Metrics();
  const emit = options.onEvent ?? (() => undefined);

  const pinned = async (): Promise<{ uri: string; version: string | null }> => {
    if (uriScheme(uri) !== 'models') return { uri, version: null };
    const r = await resolveModelUriDetailed(uri, { trackingUri: root });
    if (r.name !== null && r.version !== null) return { uri: moving ? `models:/${r.name}/${r.version}` : uri, version: r.version };
    return { uri, version: null };
  };
  const first = await pinned();
  let engine = await Engine.start(first.uri, first.version, root, workers, options.sessionOptions, options.tf, inlineBytes);
  let loading: string | null = null;
  let closing = false;
  let inflight = 0;
  let idle: (() => void) | null = null;

  let timer: NodeJS.Timeout | null = null;
  const poll = async (): Promise<void> => {
    if (closing || loading !== null) return;
    let next: { uri: string; version: string | null };
    try {
      next = await pinned();
    } catch {
      return; // the alias may be between writes; try again next time
    }
    if (next.version === engine.version || closing) return;
    loading = next.version;
    emit({ type: 'loading', version: next.version });
    try {
      const fresh = await Engine.start(next.uri, next.version, root, workers, options.sessionOptions, options.tf, inlineBytes);
      if (closing) {
        await fresh.stop();
        return;
      }
      const old = engine;
      engine = fresh;
      metrics.switches++;
      emit({ type: 'switched', version: fresh.version });
      void old.drainAndStop();
    } catch (err) {
      emit({ type: 'load-failed', version: next.version, message: (err as Error).message });
    } finally {
      loading = null;
    }
  };
  if (moving) {
    const tick = (): void => {
      timer = setTimeout(() => void poll().finally(() => !closing && tick()), options.pollIntervalMs ?? 1000);
      timer.unref();
    };
    tick();
  }

  const send = (res: http.ServerResponse, r: ScoringResponse, version: string | null): void => {
    const type = r.mimetype === 'text/plain' ? 'text/plain; charset=utf-8' : r.mimetype;
    const headers: http.OutgoingHttpHeaders = { 'content-type': type, 'content-length': Buffer.byteLength(r.body) };
    if (version !== null) headers['x-mlruns-model-version'] = version;
    res.writeHead(r.status, headers);
    res.end(r.body);
  };

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    inflight++;
    const url = (req.url ?? '/').split('?')[0] as string;
    let answeredBy: string | null = engine.version;
    res.on('close', () => {
      inflight--;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      metrics.observe(url, res.statusCode, ms / 1000);
      options.logger?.({
        line: `${req.socket.remoteAddress ?? '-'} "${req.method} ${req.url}" ${res.statusCode} ${ms.toFixed(2)}ms${answeredBy !== null ? ` v${answeredBy}` : ''}`,
        method: req.method ?? '',
        path: url,
        status: res.statusCode,
        ms,
        version: answeredBy,
      });
      if (inflight === 0) idle?.();
    });
    const route = (): void => {
      if (url === '/ping' || url === '/health' || url === '/version' || url === '/metrics') {
        if (req.method !== 'GET') return send(res, { status: 405, body: '{"detail":"Method Not Allowed"}', mimetype: 'application/json' }, answeredBy);
        req.resume();
        if (url === '/version') return send(res, { status: 200, body: SCORING_MLFLOW_VERSION, mimetype: 'application/json' }, answeredBy);
        if (url === '/metrics') return send(res, { status: 200, body: metrics.text(uri, engine.version, inflight, engine.inThreadCount), mimetype: 'text/plain; version=0.0.4' }, answeredBy);
        return send(res, { status: 200, body: '\n', mimetype: 'application/json' }, answeredBy);
      }
      if (url !== '/invocations') {
        req.resume();
        return send(res, { status: 404, body: '{"detail":"Not Found"}', mimetype: 'application/json' }, answeredBy);
      }
      if (req.method !== 'POST') {
        req.resume();
        return send(res, { status: 405, body: '{"detail":"Method Not Allowed"}', mimetype: 'application/json' }, answeredBy);
      }
      const tooBig = (): void => {
        res.setHeader('connection', 'close');
        send(res, { ...errorResponse('REQUEST_LIMIT_EXCEEDED', `The request body is larger than the limit of ${bodyLimit} bytes`), status: 413 }, answeredBy);
        req.destroy();
      };
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > bodyLimit) return tooBig();
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > bodyLimit) {
          if (!over) {
            over = true;
            tooBig();
          }
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (over) return;
        const body = Buffer.concat(chunks);
        const current = engine;
        answeredBy = current.version;
        let done = false;
        const timedOut = (): void => send(res, { status: 504, body: 'Request processing time exceeded limit', mimetype: 'application/json' }, answeredBy);
        const t = setTimeout(() => {
          if (done) return;
          done = true;
          timedOut();
        }, timeoutMs);
        const began = Date.now();
        current.invoke(body, req.headers['content-type']).then(
          (r) => {
            clearTimeout(t);
            if (done) return;
            done = true;
            // in this thread (workers: 0) the timer cannot fire while predicting: check after
            if (Date.now() - began > timeoutMs) return timedOut();
            send(res, r, answeredBy);
          },
          (err: Error) => {
            clearTimeout(t);
            if (done) return;
            done = true;
            send(res, errorResponse('INTERNAL_ERROR', err.message), answeredBy);
          },
        );
      });
    };
    route();
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 5001, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    host,
    version: () => engine.version,
    async close() {
      if (closing) return;
      closing = true;
      if (timer) clearTimeout(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inflight > 0) await new Promise<void>((resolve) => (idle = resolve));
      server.closeAllConnections();
      await closed;
      await engine.drainAndStop();
    },
  };
}
