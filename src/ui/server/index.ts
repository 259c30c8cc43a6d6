/**
 * `startUi`: the local web UI's server. Node's `http` on the library's public API: the client for
 * reads and writes, the catalog (kept hot by a watcher) for run queries and counts, the watcher's
 * change events pushed as server-sent events, and the prebuilt static app.
 *
 * @example
 * ```ts
 * import { startUi } from 'mlruns/ui';
 * const ui = await startUi({ root: './mlruns', port: 0 });
 * console.log(ui.url); // http://127.0.0.1:41234/?token=...
 * await ui.close();
 * ```
 */
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { MlflowClient } from '../../tracking/client.js';
import { FileStore } from '../../store/file/file-store.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { sqliteUriToPath } from '../../store/sqlite/db.js';
import { isLocalUri, localFileUriToPath, resolveTrackingUri, uriScheme } from '../../store/uri.js';
import { watch } from '../../watch/watcher.js';
import type { Watcher } from '../../watch/watcher.js';
import { watchDatabase } from '../../watch/db-watcher.js';
import type { DbWatcher } from '../../watch/db-watcher.js';
import { catalogCountRuns, catalogSearchRunIds } from '../../catalog/search.js';
import { summarySeries } from '../../catalog/series-read.js';
import { MlflowError } from '../../errors.js';
import type { ReadWarning } from '../../errors.js';
import type { Run, ViewType } from '../../entities.js';
import { parseRunFilter, parseRunOrderByClause } from '../../search/parse.js';
import { createPageToken } from '../../search/paging.js';
import type { ChangeEvent } from '../../catalog/events.js';
import { EventHub } from './live.js';
import { runGroups } from './groups.js';
import { SeriesCache, chartBuckets, decimate, decimateTyped, encodeSeries, pyramidOf } from './series.js';
import { catalogPath } from '../../catalog/location.js';
import type { Series, XY } from './series.js';
import { TOKEN_COOKIE, artifactHeaders, badArtifactPath, hostAllowed, newToken, requestToken, resolveInside, securityHeaders, tokenValid } from './security.js';
import { RUNS_PAGE, columnsUrl, experimentUrl, runsPageUrl, tableOrder } from '../app-urls.js';

/** The points of a metric, in logging order (a cached file read, or database rows). */
type SeriesPoints = Pick<Series, 'length' | 'values' | 'steps' | 'timestamps' | 'stepsSorted' | 'timesSorted' | 'pyramid'>;

/**
 * Options of {@link startUi}.
 *
 * @example
 * ```ts
 * const o: UiOptions = { root: './mlruns', host: '127.0.0.1', port: 0, readOnly: true };
 * ```
 */
export interface UiOptions {
  /**
   * The tracking root: a folder path or file: URI, or an SQLite database (`sqlite:///...`, which
   * must exist); default: MLFLOW_TRACKING_URI, else ./mlruns.
   */
  root?: string;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 5050; 0 picks a free one). */
  port?: number;
  /** Refuse every write. */
  readOnly?: boolean;
  /** The access token (default: a random one). */
  token?: string;
  /** Folder of the catalogs (default: $MLRUNS_CATALOG_DIR, else the user cache folder). */
  catalogDir?: string;
  /** Where the watcher's diagnostics go (default: nowhere). */
  log?: (message: string) => void;
}

/**
 * A running UI server.
 *
 * @example
 * ```ts
 * const { url, close } = await startUi({ port: 0 });
 * ```
 */
export interface UiServer {
  /** The URL to open, with the access token. */
  url: string;
  /** Base URL without the token. */
  origin: string;
  token: string;
  port: number;
  /** Warnings of the start (e.g. bound to a non-loopback interface). */
  notices: string[];
  close(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Where the prebuilt bundle is: next to the compiled server (dist/ui/static), else the repo's dist. */
function staticDir(): string {
  const candidates = [path.resolve(HERE, '../static'), path.resolve(HERE, '../../../dist/ui/static')];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'app.js'))) return c;
  return candidates[0]!;
}

/** An API answer sent as bytes (the chart series' binary form). */
class BinaryAnswer {
  constructor(readonly body: Buffer) {}
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function statusOf(e: MlflowError): number {
  if (e.code === 'RESOURCE_DOES_NOT_EXIST') return 404;
  if (e.code === 'INVALID_PARAMETER_VALUE' || e.code === 'INVALID_STATE' || e.code === 'RESOURCE_ALREADY_EXISTS' || e.code === 'BAD_REQUEST') return 400;
  return 500;
}

/** Where an error points in `text`: its position, else a quoted token of its message found once. */
function locate(err: MlflowError, text: string): number | undefined {
  if (err.position !== undefined) return err.position;
  for (const m of err.message.matchAll(/'([^'\s][^']*)'/g)) {
    const token = m[1] as string;
    const at = text.indexOf(token);
    if (at !== -1 && text.indexOf(token, at + 1) === -1) return at;
  }
  return undefined;
}

function syntaxError(err: unknown, label: string, text: string): never {
  if (err instanceof MlflowError) {
    throw new HttpError(400, `invalid ${label}: ${err.message}`, { error_code: err.code, label, text, position: locate(err, text) ?? null });
  }
  throw err;
}

const VIEWS = new Set(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);
function viewOf(u: URL): ViewType {
  const v = (u.searchParams.get('view') ?? 'ACTIVE_ONLY').toUpperCase();
  if (!VIEWS.has(v)) throw new HttpError(400, `view must be one of ACTIVE_ONLY, DELETED_ONLY, ALL (got '${v}')`);
  return v as ViewType;
}

function intParam(u: URL, name: string, def: number, min: number, max: number): number {
  const s = u.searchParams.get(name);
  if (s === null || s === '') return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name} must be an integer in [${min}, ${max}] (got '${s}')`);
  return n;
}

function numParam(u: URL, name: string): number | null {
  const s = u.searchParams.get(name);
  if (s === null || s === '') return null;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new HttpError(400, `${name} must be a number (got '${s}')`);
  return n;
}

function jsonNumbers(_k: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

function slimRun(r: Run): Record<string, unknown> {
  return { info: r.info, data: r.data, inputs: r.inputs };
}

function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > 1_000_000) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        const v = JSON.parse(text) as unknown;
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, 'request body must be a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

function str(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string') throw new HttpError(400, `'${key}' must be a string`);
  return v;
}

const STATIC_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Starts the UI server on the root. Binds 127.0.0.1 unless `host` says otherwise (then a notice
 * warns that anyone who can reach the port and has the token can read the store).
 *
 * @example
 * ```ts
 * const ui = await startUi({ root: 'mlruns', port: 0, readOnly: true });
 * ```
 */
export async function startUi(options: UiOptions = {}): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const readOnly = options.readOnly ?? false;
  const uri = resolveTrackingUri(options.root ?? null);
  const onDatabase = uriScheme(uri) === 'sqlite';
  if (onDatabase && !fs.existsSync(sqliteUriToPath(uri))) {
    // The UI shows a store; it does not create an empty database.
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `database '${sqliteUriToPath(uri)}' does not exist`);
  }
  const client = new MlflowClient(onDatabase ? uri : (options.root ?? null), onDatabase ? {} : { catalog: 'on', ...(options.catalogDir ? { catalogDir: options.catalogDir } : {}) });
  const fileStore = client.store instanceof FileStore ? client.store : null;
  const dbStore = client.store instanceof SqliteStore ? client.store : null;
  if (!fileStore && !dbStore) {
    client.close();
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `mlruns ui works on MLflow's file store (a mlruns/ folder) or an SQLite database (sqlite:///...); '${client.store.trackingUri}' is a ${uriScheme(client.store.trackingUri)} store`,
    );
  }
  const root = fileStore ? fileStore.root : uri;
  if (fileStore && (!fs.existsSync(root) || !fs.statSync(root).isDirectory())) {
    client.close();
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `tracking root '${root}' does not exist or is not a folder`);
  }
  const notices: string[] = [];
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    notices.push(`warning: listening on ${host}: anyone who can reach this port and knows the token can read${readOnly ? '' : ' and change'} the store`);
  }
  // A folder: the file watcher and its catalog. A database: its own poller (the database is the index).
  let watcher: Watcher | DbWatcher;
  try {
    watcher = fileStore
      ? watch(root, { ...(options.catalogDir ? { dir: options.catalogDir } : {}), log: options.log ?? (() => undefined) })
      : watchDatabase(uri, { log: options.log ?? (() => undefined) });
  } catch (e) {
    client.close();
    throw e;
  }
  const catalog = 'catalog' in watcher ? watcher.catalog : null;
  const hub = new EventHub();
  // Parsed metric columns persist beside the catalog: a restarted server re-reads no line.
  const series = new SeriesCache(512 * 1024 * 1024, fileStore ? path.join(path.dirname(catalogPath(root, options.catalogDir ? { dir: options.catalogDir } : {})), 'series') : null);
  const watchErrors: string[] = [];
  // Both watchers emit the same `change` events (and `error`).
  const events = watcher as EventEmitter;
  events.on('change', (e: ChangeEvent) => hub.publish(e));
  events.on('error', (e: Error) => {
    watchErrors.push(e.message);
    if (watchErrors.length > 50) watchErrors.shift();
  });
  await watcher.ready;
  const sdir = staticDir();
  const runDirs = new Map<string, { runDir: string; startTime: number | null }>();

  const warningsJson = (): ReadWarning[] => {
    const seen = new Set<string>();
    const out: ReadWarning[] = [];
    for (const w of [...client.warnings, ...client.store.warnings]) {
      const k = `${w.code}\0${w.path}\0${w.message}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(w);
    }
    return out.slice(-200);
  };

  // A run's folder from its meta.yaml alone (a chart of 1,000 runs must not read every run's
  // params, tags and latest metrics); the start time is read when a chart needs it. A database's
  // runs have no folder: their points are rows.
  async function runLocation(runId: string, withStart = false): Promise<{ runDir: string; startTime: number | null }> {
    let loc = runDirs.get(runId);
    if (!loc || (fileStore && !fs.existsSync(loc.runDir))) {
      loc = { runDir: fileStore ? fileStore.runLocation(runId).runDir : '', startTime: null };
      runDirs.set(runId, loc);
    }
    if (withStart && loc.startTime === null) loc.startTime = (await client.getRun(runId)).info.startTime ?? 0;
    return loc;
  }

  function metricFile(runDir: string, key: string): string {
    if (badArtifactPath(key) || key === '') throw new HttpError(400, `bad metric key '${key}'`);
    return path.join(runDir, 'metrics', key);
  }

  /** A metric's points in logging order: its file (through the cache), or its rows in the database. */
  function readSeries(runId: string, runDir: string, key: string): SeriesPoints {
    if (!dbStore) return series.read(metricFile(runDir, key));
    if (key === '') throw new HttpError(400, `bad metric key '${key}'`);
    const rows = dbStore.read('reading a metric', () =>
      dbStore.stmt('SELECT value, step, timestamp, is_nan FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY rowid').all(runId, key),
    ) as { value: number; step: number; timestamp: number; is_nan: number }[];
    if (rows.length === 0) throw Object.assign(new Error(`no metric '${key}'`), { code: 'ENOENT' });
    const n = rows.length;
    const out = { length: n, values: new Float64Array(n), steps: new Float64Array(n), timestamps: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      out.values[i] = r.is_nan ? NaN : r.value;
      out.steps[i] = r.step;
      out.timestamps[i] = r.timestamp;
    }
    return out;
  }

  /** The local folder of a run's artifacts (a database's runs: their `artifact_uri`, when local). */
  function artifactDir(run: Run, runId: string): string {
    if (fileStore) return fileStore.resolveRunArtifactDir(run.info, runId);
    const a = run.info.artifactUri ?? '';
    if (!a || !isLocalUri(a)) throw new HttpError(400, `the artifacts of run '${runId}' are at '${a}', not in a local folder`);
    return uriScheme(a) === 'file' ? localFileUriToPath(a) : path.resolve(a);
  }

  /** Runs of experiments in a view: from the catalog, or counted in the database. */
  function quickCount(ids: string[], filter: string, view: ViewType): number | null {
    if (catalog) return catalogCountRuns(catalog, ids, { filterString: filter, runViewType: view });
    if (!dbStore || filter.trim() !== '' || ids.some((i) => !/^\d+$/.test(i))) return null;
    if (ids.length === 0) return 0;
    const stages = view === 'ACTIVE_ONLY' ? ['active'] : view === 'DELETED_ONLY' ? ['deleted'] : ['active', 'deleted'];
    const sql = `SELECT count(*) AS n FROM runs WHERE experiment_id IN (${ids.map(() => '?').join(', ')}) AND lifecycle_stage IN (${stages.map(() => '?').join(', ')})`;
    return (dbStore.read('counting runs', () => dbStore.stmt(sql).get(...ids.map(Number), ...stages)) as { n: number }).n;
  }

  async function seriesOf(runId: string, key: string, xMode: string): Promise<XY> {
    const loc = await runLocation(runId, xMode === 'relative');
    let s;
    try {
      s = readSeries(runId, loc.runDir, key);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { id: runId, xs: [], ys: [] };
      throw e;
    }
    const n = s.length;
    const ys = s.values.subarray(0, n);
    if (xMode === 'step') return { id: runId, xs: s.steps.subarray(0, n), ys: s.values, sorted: s.stepsSorted === true, pyramid: pyramidOf(s) };
    if (xMode === 'time') return { id: runId, xs: s.timestamps.subarray(0, n).map((t) => t / 1000), ys: s.values, sorted: s.timesSorted === true, pyramid: pyramidOf(s) };
    if (xMode === 'relative') {
      const t0 = loc.startTime || (n ? Math.min(...s.timestamps.subarray(0, Math.min(n, 1000))) : 0);
      return { id: runId, xs: s.timestamps.subarray(0, n).map((t) => (t - t0) / 1000), ys };
    }
    if (xMode.startsWith('metric:')) {
      const xkey = xMode.slice(7);
      let xs;
      try {
        xs = readSeries(runId, loc.runDir, xkey);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { id: runId, xs: [], ys: [] };
        throw e;
      }
      const byStep = new Map<number, number>();
      for (let i = 0; i < xs.length; i++) byStep.set(xs.steps[i]!, xs.values[i]!);
      const ox: number[] = [];
      const oy: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = byStep.get(s.steps[i]!);
        if (x !== undefined && Number.isFinite(x)) {
          ox.push(x);
          oy.push(s.values[i]!);
        }
      }
      return { id: runId, xs: ox, ys: oy };
    }
    throw new HttpError(400, `x must be step, time, relative or metric:<key> (got '${xMode}')`);
  }

  async function countRuns(ids: string[], filter: string, view: ViewType): Promise<number> {
    const n = quickCount(ids, filter, view);
    if (n !== null) return n;
    let total = 0;
    let tokenP: string | null = null;
    do {
      const page = await client.searchRuns(ids, filter, { runViewType: view, maxResults: 50_000, pageToken: tokenP });
      total += page.runs.length;
      tokenP = page.token;
    } while (tokenP);
    return total;
  }

  /** A page of the runs table (`/api/runs`), with the count of matching runs unless `count` is false. */
  async function runsPage(
    ids: string[],
    o: { filter: string; orderBy: string[]; view: ViewType; offset: number; limit: number; count: boolean },
  ): Promise<{ total: number | null; offset: number; runs: Record<string, unknown>[]; ms: number; warnings: ReadWarning[] }> {
    const { filter, orderBy, view, offset, limit } = o;
    try {
      parseRunFilter(filter);
    } catch (e) {
      syntaxError(e, 'filter', filter);
    }
    for (const x of orderBy) {
      try {
        parseRunOrderByClause(x);
      } catch (e) {
        syntaxError(e, 'order_by', x);
      }
    }
    const t0 = performance.now();
    let page;
    try {
      page = await client.searchRuns(ids, filter, { runViewType: view, maxResults: limit, orderBy, pageToken: offset ? createPageToken(offset) : null });
    } catch (e) {
      // Errors found while evaluating the filter (a comparator a key kind does not take).
      if (e instanceof MlflowError && e.code === 'INVALID_PARAMETER_VALUE' && filter) syntaxError(e, 'filter', filter);
      throw e;
    }
    const total = o.count ? await countRuns(ids, filter, view) : null;
    return { total, offset, runs: page.runs.map(slimRun), ms: performance.now() - t0, warnings: warningsJson() };
  }

  /**
   * The answers to the API requests the app makes first on the page at `parts`, keyed by their
   * URL as the app builds it (`../app-urls.ts`, shared with the app), to go in the
   * HTML: the page shows complete without a round trip per request. Every page gets `/api/info`
   * (the header); the runs table (`/experiments/<ids>`) also gets its first page, its columns and
   * its experiments' names (not the count: it takes its own request). A failing query is left out
   * (the app asks, and shows the error).
   */
  async function firstAnswers(parts: string[], u: URL): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { '/api/info': infoAnswer() };
    if (parts[0] !== 'experiments' || !parts[1] || parts.length !== 2) return out;
    const ids = parts[1].split(',').filter(Boolean);
    if (ids.length === 0) return out;
    const filter = u.searchParams.get('filter') ?? '';
    const view = u.searchParams.get('view') ?? 'ACTIVE_ONLY';
    const v = view.toUpperCase();
    if (!VIEWS.has(v)) return out;
    const order = tableOrder(u.searchParams.get('group') ?? '', u.searchParams.get('order') ?? '');
    try {
      out[runsPageUrl(ids, filter, order, view, 0)] = await runsPage(ids, { filter, orderBy: order, view: v as ViewType, offset: 0, limit: RUNS_PAGE, count: false });
    } catch {
      // the app asks, and shows the error with its caret
    }
    try {
      out[columnsUrl(ids, view)] = await columnsOf(ids, v as ViewType);
    } catch {
      // asked for by the app
    }
    for (const id of ids) {
      try {
        out[experimentUrl(id)] = { experiment: await client.getExperiment(id), warnings: warningsJson() };
      } catch {
        // the app shows the id
      }
    }
    return out;
  }

  /** The header's facts (`/api/info`). */
  const infoAnswer = (): Record<string, unknown> => ({ root, readOnly, version: 1, warnings: warningsJson(), watchErrors, mode: watcher.mode });

  /** The runs table's column keys (`/api/columns`): those of the first 500 runs. */
  async function columnsOf(ids: string[], view: ViewType): Promise<{ params: string[]; metrics: string[]; tags: string[] }> {
    const page = await client.searchRuns(ids, '', { runViewType: view, maxResults: 500 });
    const params = new Set<string>();
    const metrics = new Set<string>();
    const tags = new Set<string>();
    for (const r of page.runs) {
      for (const k of Object.keys(r.data.params)) params.add(k);
      for (const k of Object.keys(r.data.metrics)) metrics.add(k);
      for (const k of Object.keys(r.data.tags)) tags.add(k);
    }
    const sort = (s: Set<string>): string[] => [...s].sort();
    return { params: sort(params), metrics: sort(metrics), tags: sort(tags) };
  }

  // ---------------------------------------------------------------- API

  async function api(req: http.IncomingMessage, u: URL, parts: string[]): Promise<unknown> {
    const method = req.method ?? 'GET';
    const [a, b, c, ...rest] = parts;
    if (method !== 'GET' && method !== 'HEAD') {
      if (readOnly) throw new HttpError(403, 'this UI is read-only (--read-only)');
      // Writes need the token in a header (a cookie alone could be sent by another site's form).
      const h = requestToken(req, u);
      if (h.via !== 'header' || !tokenValid(h.token, token)) throw new HttpError(403, 'writes need the X-Mlruns-Token header');
      if (method !== 'POST') throw new HttpError(405, `method ${method} not allowed`);
      const body = await readBody(req);
      return write(a, b, c, body);
    }
    if (a === 'info' && !b) return infoAnswer();
    if (a === 'experiments' && !b) {
      const view = viewOf(u);
      const q = u.searchParams.get('q') ?? '';
      let filterString: string | null = null;
      if (q) filterString = `name ILIKE '%${q.replace(/'/g, "\\'")}%'`;
      const experiments = [];
      let pageToken: string | null = null;
      do {
        const page = await client.searchExperiments({ viewType: view, filterString, maxResults: 50_000, pageToken });
        experiments.push(...page.experiments);
        pageToken = page.token;
      } while (pageToken);
      const counts = experiments.map((e) => ({
        active: quickCount([e.experimentId], '', 'ACTIVE_ONLY'),
        deleted: quickCount([e.experimentId], '', 'DELETED_ONLY'),
      }));
      return { experiments: experiments.map((e, i) => ({ ...e, runs: counts[i]!.active, deletedRuns: counts[i]!.deleted })), warnings: warningsJson() };
    }
    if (a === 'experiments' && b && !c) return { experiment: await client.getExperiment(b), warnings: warningsJson() };
    if (a === 'runs' && !b) {
      const ids = (u.searchParams.get('experiments') ?? '').split(',').filter(Boolean);
      if (ids.length === 0) throw new HttpError(400, 'experiments= is required (comma-separated ids)');
      return runsPage(ids, {
        filter: u.searchParams.get('filter') ?? '',
        orderBy: u.searchParams.getAll('order_by').filter((s) => s.trim() !== ''),
        view: viewOf(u),
        offset: intParam(u, 'offset', 0, 0, 10_000_000),
        limit: intParam(u, 'limit', 100, 1, 5000),
        count: u.searchParams.get('count') !== '0',
      });
    }
    if (a === 'groups' && !b) {
      // The runs table's group headers: value, first row offset and count per group.
      const ids = (u.searchParams.get('experiments') ?? '').split(',').filter(Boolean);
      if (ids.length === 0) throw new HttpError(400, 'experiments= is required (comma-separated ids)');
      const group = u.searchParams.get('group') ?? '';
      const filter = u.searchParams.get('filter') ?? '';
      const orderBy = u.searchParams.getAll('order_by').filter((s) => s.trim() !== '');
      try {
        parseRunFilter(filter);
      } catch (e) {
        syntaxError(e, 'filter', filter);
      }
      try {
        return await runGroups(client, ids, { group, filter, orderBy, view: viewOf(u) });
      } catch (e) {
        if (e instanceof MlflowError && e.code === 'INVALID_PARAMETER_VALUE') syntaxError(e, 'group', group);
        throw e;
      }
    }
    if (a === 'columns' && !b) return columnsOf((u.searchParams.get('experiments') ?? '').split(',').filter(Boolean), viewOf(u));
    if (a === 'runs' && b && !c) {
      const run = await client.getRun(b);
      const history: Record<string, { count: number; min: number | null; max: number | null }> = {};
      const loc = await runLocation(b);
      for (const key of Object.keys(run.data.metrics)) {
        try {
          const s = readSeries(b, loc.runDir, key);
          let lo = Infinity;
          let hi = -Infinity;
          for (let i = 0; i < s.length; i++) {
            const v = s.values[i]!;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          history[key] = { count: s.length, min: Number.isFinite(lo) ? lo : null, max: Number.isFinite(hi) ? hi : null };
        } catch {
          history[key] = { count: 0, min: null, max: null };
        }
      }
      let experimentName: string | null = null;
      try {
        experimentName = (await client.getExperiment(run.info.experimentId)).name;
      } catch {
        experimentName = null;
      }
      const children = (await client.searchRuns([run.info.experimentId], `tags.mlflow.parentRunId = '${b}'`, { maxResults: 1000, runViewType: 'ALL' })).runs.map((r) => ({
        runId: r.info.runId,
        runName: r.info.runName,
      }));
      return { run, experimentName, history, children, warnings: warningsJson() };
    }
    if (a === 'runs' && b && c === 'metrics' && rest.length) {
      const key = rest.join('/');
      const hist = await client.getMetricHistory(b, key);
      return { key, history: hist.map((m) => ({ step: m.step, timestamp: m.timestamp, value: m.value })) };
    }
    if (a === 'runs' && b && c === 'artifacts') {
      const rel = rest.join('/');
      const why = badArtifactPath(rel);
      if (why) throw new HttpError(400, `bad artifact path: ${why}`);
      const run = await client.getRun(b);
      const base = artifactDir(run, b);
      const target = rel === '' ? (fs.existsSync(base) ? fs.realpathSync(base) : null) : resolveInside(base, rel);
      if (rel === '' && !target) return { path: '', files: [] };
      if (!target) throw new HttpError(404, `artifact '${rel}' not found in run '${b}'`);
      const st = fs.statSync(target);
      if (!st.isDirectory()) return { path: rel, isDir: false, size: st.size };
      const files = await client.listArtifacts(b, rel || null);
      const hasMlmodel = files.some((f) => f.path.split('/').pop() === 'MLmodel' && !f.isDir);
      return { path: rel, isDir: true, files, model: hasMlmodel };
    }
    if (a === 'series' && !b) {
      let runs = (u.searchParams.get('runs') ?? '').split(',').filter(Boolean);
      const exps = (u.searchParams.get('experiments') ?? '').split(',').filter(Boolean);
      if (!runs.length && exps.length) {
        // The runs of a search (many runs per chart without listing their ids in the URL).
        const filter = u.searchParams.get('filter') ?? '';
        try {
          parseRunFilter(filter);
        } catch (e) {
          syntaxError(e, 'filter', filter);
        }
        const searchOpts = { filterString: filter, maxResults: intParam(u, 'limit', 1000, 1, 5000), orderBy: u.searchParams.getAll('order_by') };
        // The ids alone from the catalog when it answers in SQL (no Run built), else a search.
        const ids = catalog ? catalogSearchRunIds(catalog, exps, searchOpts) : undefined;
        runs = ids ?? (await client.searchRuns(exps, filter, { maxResults: searchOpts.maxResults, orderBy: searchOpts.orderBy })).runs.map((r) => r.info.runId);
      }
      const key = u.searchParams.get('key') ?? '';
      if (!key) throw new HttpError(400, 'key= is required');
      if (runs.length > 5000) throw new HttpError(400, 'at most 5000 runs per chart');
      const xMode = u.searchParams.get('x') ?? 'step';
      // Buckets: one per pixel column, fewer with many runs so that the answer stays within
      // CHART_POINTS (~500k points; every bucket still keeps its min and max, so a spike shows).
      const pixels = intParam(u, 'width', 800, 1, 8192);
      const width = chartBuckets(pixels, runs.length);
      const t0 = performance.now();
      // Buckets fewer than pixels (many runs): a coarser summary level will do (series-read.ts).
      const dOpts = { width, from: numParam(u, 'from'), to: numParam(u, 'to'), all: u.searchParams.get('all') === '1', coarse: width < Math.floor(pixels) };
      // By step: from the catalog's series summaries (no metric file read but a small range's).
      let fromCatalog: Map<string, XY> | null = null;
      if (catalog && !catalog.isClosed && xMode === 'step' && !dOpts.all) {
        if (badArtifactPath(key)) throw new HttpError(400, `bad metric key '${key}'`);
        try {
          fromCatalog = summarySeries(catalog.db, runs, key, dOpts, catalog.root);
        } catch (e) {
          options.log?.(`series summaries unavailable, reading the metric files: ${(e as Error).message}`);
          fromCatalog = null;
        }
      }
      const xy: XY[] = [];
      for (const r of runs) xy.push(fromCatalog?.get(r) ?? (await seriesOf(r, key, xMode)));
      if (u.searchParams.get('format') === 'bin') return new BinaryAnswer(encodeSeries(decimateTyped(xy, dOpts), { key, xMode, runs, ms: performance.now() - t0 }));
      const d = decimate(xy, dOpts);
      return { key, xMode, runs, ...d, ms: performance.now() - t0 };
    }
    if (a === 'models' && !b) {
      const filter = u.searchParams.get('q') ? `name ILIKE '%${(u.searchParams.get('q') ?? '').replace(/'/g, "\\'")}%'` : null;
      const models = [];
      let pageToken: string | null = null;
      do {
        const page = await client.searchRegisteredModels({ filterString: filter, maxResults: 1000, pageToken });
        models.push(...page.registeredModels);
        pageToken = page.token;
      } while (pageToken);
      return { models, warnings: warningsJson() };
    }
    if (a === 'models' && b && !c) {
      const model = await client.getRegisteredModel(b);
      const versions = (await client.searchModelVersions({ filterString: `name = '${b.replace(/'/g, "\\'")}'`, maxResults: 10_000 })).modelVersions;
      versions.sort((x, y) => Number(y.version) - Number(x.version));
      return { model, versions, warnings: warningsJson() };
    }
    throw new HttpError(404, `no API route /api/${parts.join('/')}`);
  }

  async function write(a: string | undefined, b: string | undefined, c: string | undefined, body: Record<string, unknown>): Promise<unknown> {
    if (!a || !b || !c) throw new HttpError(404, 'unknown write');
    if (a === 'runs') {
      if (c === 'rename') await client.updateRun(b, { name: str(body, 'name') });
      else if (c === 'delete') await client.deleteRun(b);
      else if (c === 'restore') await client.restoreRun(b);
      else if (c === 'set-tag') await client.setTag(b, str(body, 'key'), str(body, 'value'));
      else if (c === 'delete-tag') await client.deleteTag(b, str(body, 'key'));
      else throw new HttpError(404, `unknown run action '${c}'`);
      runDirs.delete(b);
      return { ok: true };
    }
    if (a === 'experiments') {
      if (c === 'rename') await client.renameExperiment(b, str(body, 'name'));
      else if (c === 'delete') await client.deleteExperiment(b);
      else if (c === 'restore') await client.restoreExperiment(b);
      else if (c === 'set-tag') await client.setExperimentTag(b, str(body, 'key'), str(body, 'value'));
      else if (c === 'delete-tag') await client.deleteExperimentTag(b, str(body, 'key'));
      else throw new HttpError(404, `unknown experiment action '${c}'`);
      runDirs.clear();
      return { ok: true };
    }
    if (a === 'models') {
      if (c === 'set-alias') await client.setRegisteredModelAlias(b, str(body, 'alias'), str(body, 'version'));
      else if (c === 'delete-alias') await client.deleteRegisteredModelAlias(b, str(body, 'alias'));
      else if (c === 'transition')
        await client.transitionModelVersionStage(b, str(body, 'version'), str(body, 'stage'), { archiveExistingVersions: body['archiveExistingVersions'] === true });
      else if (c === 'set-tag') {
        if (typeof body['version'] === 'string') await client.setModelVersionTag(b, body['version'], str(body, 'key'), str(body, 'value'));
        else await client.setRegisteredModelTag(b, str(body, 'key'), str(body, 'value'));
      } else if (c === 'delete-tag') {
        if (typeof body['version'] === 'string') await client.deleteModelVersionTag(b, body['version'], str(body, 'key'));
        else await client.deleteRegisteredModelTag(b, str(body, 'key'));
      } else throw new HttpError(404, `unknown model action '${c}'`);
      return { ok: true };
    }
    throw new HttpError(404, `unknown write /api/${a}`);
  }

  // ---------------------------------------------------------------- HTTP

  let boundPort = options.port ?? 5050;
  /** The app's page with this server's token and mode, read once (the bundle does not change under a server). */
  let page: string | undefined;
  const html = (answers: Record<string, unknown> = {}): string => {
    page ??= fs.readFileSync(path.join(sdir, 'index.html'), 'utf8').replace('__MLRUNS_TOKEN__', token).replace('__MLRUNS_READONLY__', readOnly ? '1' : '0');
    // Data, not code (type application/json is never run); '<' escaped so that no text in it
    // can close the element.
    const data = Object.keys(answers).length ? `<script type="application/json" id="mlruns-answers">${JSON.stringify(answers, jsonNumbers).replace(/</g, '\\u003c')}</script>\n` : '';
    return page.replace('<body>\n', `<body>\n${data}`);
  };

  function send(res: http.ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
    res.writeHead(status, { ...securityHeaders(), ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  }

  function sendJson(res: http.ServerResponse, status: number, v: unknown, req?: http.IncomingMessage, finite = false): void {
    // A replacer costs a call per value: chart data (finite numbers and nulls only) goes without.
    const body = finite ? JSON.stringify(v) : JSON.stringify(v, jsonNumbers);
    if (body.length > 32_768 && req && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      send(res, status, zlib.gzipSync(body, { level: 1 }), { 'Content-Type': 'application/json; charset=utf-8', 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' });
      return;
    }
    send(res, status, body, { 'Content-Type': 'application/json; charset=utf-8' });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, host, boundPort)) {
      send(res, 403, 'Forbidden: unexpected Host header\n', { 'Content-Type': 'text/plain; charset=utf-8' });
      return;
    }
    const raw = req.url ?? '/';
    if (raw === '/favicon.ico') {
      res.writeHead(204, securityHeaders());
      res.end();
      return;
    }
    const u = new URL(raw, 'http://localhost');
    const t = requestToken(req, u);
    if (!tokenValid(t.token, token)) {
      send(res, 401, 'Unauthorized: open the URL printed by `mlruns ui` (it carries the access token)\n', {
        'Content-Type': 'text/plain; charset=utf-8',
        'WWW-Authenticate': 'Bearer realm="mlruns ui"',
      });
      return;
    }
    const cookie = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    if (t.via === 'query' && (req.method === 'GET' || req.method === 'HEAD') && !u.pathname.startsWith('/api/')) {
      // First visit: the cookie replaces the token in the address bar.
      u.searchParams.delete('token');
      res.writeHead(302, { ...securityHeaders(), 'Set-Cookie': cookie, Location: u.pathname + (u.search || '') });
      res.end();
      return;
    }
    const rawPath = raw.split('?')[0]!;
    if (/%2f|%5c|%00/i.test(rawPath)) {
      sendJson(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'encoded slashes are not allowed in paths' });
      return;
    }
    let parts: string[];
    try {
      parts = rawPath.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    } catch {
      sendJson(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad percent-encoding in path' });
      return;
    }
    if (parts[0] === 'api') {
      if (parts[1] === 'events') {
        hub.attach(req, res, securityHeaders(), (req.headers['last-event-id'] as string | undefined) ?? u.searchParams.get('lastEventId'));
        return;
      }
      if (parts[1] === 'raw' && parts[2]) {
        // /api/raw/<runId>/<artifact path>: the file itself (inline only for images and text).
        const runId = parts[2];
        const rel = parts.slice(3).join('/');
        const why = badArtifactPath(rel);
        if (why || rel === '') {
          sendJson(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: `bad artifact path: ${why ?? 'empty'}` });
          return;
        }
        try {
          const run = await client.getRun(runId);
          const base = artifactDir(run, runId);
          const file = resolveInside(base, rel);
          if (!file || !fs.statSync(file).isFile()) throw new HttpError(404, `artifact '${rel}' not found in run '${runId}'`);
          const st = fs.statSync(file);
          const headers = artifactHeaders(file, u.searchParams.get('download') === '1');
          const limit = u.searchParams.get('head') ? Math.min(st.size, intParam(u, 'head', 65536, 1, 10_000_000)) : st.size;
          res.writeHead(200, { ...headers, 'Content-Length': String(limit) });
          fs.createReadStream(file, { start: 0, end: Math.max(0, limit - 1) }).pipe(res);
        } catch (e) {
          fail(res, e);
        }
        return;
      }
      try {
        const answer = await api(req, u, parts.slice(1));
        if (answer instanceof BinaryAnswer) {
          send(res, 200, answer.body, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' });
          return;
        }
        sendJson(res, 200, answer, req, parts[1] === 'series');
      } catch (e) {
        fail(res, e);
      }
      return;
    }
    if (parts[0] === 'static' && parts.length === 2) {
      const name = parts[1]!;
      const file = path.join(sdir, name);
      if (!/^[\w.-]+$/.test(name) || !fs.existsSync(file)) {
        send(res, 404, 'not found\n', { 'Content-Type': 'text/plain' });
        return;
      }
      const type = STATIC_TYPES[path.extname(name)] ?? 'application/octet-stream';
      send(res, 200, fs.readFileSync(file), { 'Content-Type': type, 'Cache-Control': 'private, max-age=3600' });
      return;
    }
    // Pages: the app. An unknown run gets the app with status 404 (the app shows the 404 page).
    let status = 200;
    if (parts[0] === 'runs' && parts[1]) {
      try {
        await client.getRun(parts[1]);
        if (parts[2] === 'artifacts' && parts.length > 3) {
          const run = await client.getRun(parts[1]);
          if (!resolveInside(artifactDir(run, parts[1]), parts.slice(3).join('/'))) status = 404;
        }
      } catch {
        status = 404;
      }
    } else if (parts[0] && !['experiments', 'runs', 'compare', 'charts', 'models'].includes(parts[0])) status = 404;
    send(res, status, html(status === 200 ? await firstAnswers(parts, u) : {}), { 'Content-Type': 'text/html; charset=utf-8', 'Set-Cookie': cookie });
  }

  function fail(res: http.ServerResponse, e: unknown): void {
    if (e instanceof HttpError) sendJson(res, e.status, { error_code: e.status === 404 ? 'RESOURCE_DOES_NOT_EXIST' : 'INVALID_PARAMETER_VALUE', message: e.message, ...e.extra });
    else if (e instanceof MlflowError) sendJson(res, statusOf(e), { error_code: e.code, message: e.message });
    else sendJson(res, 500, { error_code: 'INTERNAL_ERROR', message: (e as Error)?.message ?? String(e) });
  }

  const server = http.createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) fail(res, e);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 5050, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (e: unknown) => {
    hub.close();
    await watcher.close();
    client.close();
    throw e;
  });
  const addr = server.address();
  boundPort = typeof addr === 'object' && addr ? addr.port : boundPort;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${boundPort}`;
  let closed = false;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port: boundPort,
    notices,
    async close() {
      if (closed) return;
      closed = true;
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await watcher.close();
      client.close();
    },
  };
}
