/**
 * The catalog's tables, in one module: their schema (and its version: a catalog with another
 * version is rebuilt) and the indexes that serve queries only. `catalog.ts` opens the database,
 * `refresh.ts` fills it, `search.ts` queries it; nothing else writes SQL against these tables.
 *
 * @example
 * ```ts
 * db.exec(CATALOG_SCHEMA);
 * ```
 * @module
 */

import type { Location } from '../store/file/layout.js';

/**
 * Version of the catalog's tables; a catalog with another version is rebuilt.
 *
 * @example
 * ```ts
 * CATALOG_SCHEMA_VERSION; // 7
 * ```
 */
// 4: run_json.metrics (the run's latest metric values, so a search builds its page's runs from
// one row each instead of reading every metric row of the page).
// 5: `loc` holds the folder's Location as text ('root', 'trash'), not 0/1.
// 6: msum, the series summaries of the metric files (charts drawn without reading them); the
// runs_page index (covering counts and default-order pages) replaces runs_start.
// 7: the msum_span index (a zoom's chunks found in the index, not by reading every chunk row of
// the level).
export const CATALOG_SCHEMA_VERSION = 7;

/**
 * The indexes that serve queries only (no lookups of a refresh): a cold build drops them and
 * builds them once at the end. Name → CREATE statement.
 *
 * @example
 * ```ts
 * Object.keys(SECONDARY_INDEXES); // ['runs_run_id', 'runs_page', 'params_kv', ...]
 * ```
 */
export const SECONDARY_INDEXES: Readonly<Record<string, string>> = {
  runs_run_id: 'CREATE INDEX IF NOT EXISTS runs_run_id ON runs(run_id)',
  // Covering for a runs page in the default order and for counts (ok and run_id in the index:
  // neither reads a table row per run).
  runs_page: 'CREATE INDEX IF NOT EXISTS runs_page ON runs(loc, exp_dir, lifecycle, start_time, ok, run_id)',
  params_kv: 'CREATE INDEX IF NOT EXISTS params_kv ON params(key, value)',
  tags_kv: 'CREATE INDEX IF NOT EXISTS tags_kv ON tags(key, value)',
  metrics_kv: 'CREATE INDEX IF NOT EXISTS metrics_kv ON metrics(key, value, is_nan, present)',
  // A chart's chunks of a level within an x range: the range is checked in the index (without it
  // every chunk row of the level was read to check its x0 and x1: a zoom to steps 10-500 of 1,000
  // runs of 100,000 steps took 50 ms to find 1,000 chunks among 49,000), and they come in x order,
  // which for a sorted series is chunk order.
  msum_span: 'CREATE INDEX IF NOT EXISTS msum_span ON msum(rid, key, level, x1, chunk, x0)',
};

// loc (exps, runs, warnings): where the experiment folder is, a Location ('root': in the root,
// 'trash': in `.trash`).
// runs: probe/sig/msig are the signatures of the run folder (see run-folder.ts).
// metrics: per metric file, the latest value a scan shows (present = 0: the scan drops it) and
// the file state for incremental reads (ino/size/mtime as stat'ed, off = bytes folded into
// b_* so far, fp = the bytes just before off, bad = a line before off does not parse).
// run_json: each readable run as JSON (its metrics left out) and, in `metrics`, its latest
// metric values (see encodeLatestMetrics; NULL: none), kept equal to its metrics rows by a refresh.
// msum: per metric file its series summary (see summary.ts): level -1 is the head, levels 0..
// hold chunks of block summaries with their x extent (x0, x1), kept with the metrics row.
// warnings: what a scan of the run reports (scope: see run-folder.ts WarnScope).
export const CATALOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS heartbeat(id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, ts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS exps(loc TEXT NOT NULL, dir TEXT NOT NULL, sig TEXT NOT NULL, ds_sig TEXT NOT NULL,
  exp_id TEXT, name TEXT, lifecycle TEXT, PRIMARY KEY(loc, dir)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs(rid INTEGER PRIMARY KEY, loc TEXT NOT NULL, exp_dir TEXT NOT NULL, folder TEXT NOT NULL,
  probe TEXT NOT NULL, sig TEXT NOT NULL, msig TEXT NOT NULL, ok INTEGER NOT NULL, has_inputs INTEGER NOT NULL,
  run_id TEXT, experiment_id TEXT, run_name TEXT, user_id TEXT, status TEXT, start_time, end_time, artifact_uri TEXT,
  lifecycle TEXT);
CREATE TABLE IF NOT EXISTS run_json(rid INTEGER PRIMARY KEY, json TEXT NOT NULL, metrics TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS runs_folder ON runs(loc, exp_dir, folder);
CREATE TABLE IF NOT EXISTS params(rid INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(rid, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags(rid INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(rid, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metrics(rid INTEGER NOT NULL, key TEXT NOT NULL,
  present INTEGER NOT NULL, value REAL, is_nan INTEGER NOT NULL, step INTEGER, ts INTEGER,
  ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime REAL NOT NULL, off INTEGER NOT NULL, fp BLOB NOT NULL, bad INTEGER NOT NULL,
  b_has INTEGER NOT NULL, b_step INTEGER, b_ts INTEGER, b_val REAL, b_nan INTEGER,
  PRIMARY KEY(rid, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS msum(rid INTEGER NOT NULL, key TEXT NOT NULL, level INTEGER NOT NULL, chunk INTEGER NOT NULL,
  x0 REAL, x1 REAL, data BLOB NOT NULL, PRIMARY KEY(rid, key, level, chunk));
CREATE TABLE IF NOT EXISTS datasets(rid INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS datasets_rid ON datasets(rid);
CREATE TABLE IF NOT EXISTS warnings(rid INTEGER NOT NULL, loc TEXT NOT NULL, exp_dir TEXT NOT NULL, scope TEXT NOT NULL,
  key TEXT NOT NULL, code TEXT NOT NULL, path TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS warnings_rid ON warnings(rid);
CREATE INDEX IF NOT EXISTS warnings_exp ON warnings(loc, exp_dir);
${Object.values(SECONDARY_INDEXES).join(';\n')};
`;

/**
 * A metric row's value as a search returns it: `is_nan` 1 is NaN, 2 is -0 (SQLite stores -0.0 as
 * 0), otherwise the stored value (±Infinity included).
 *
 * @example
 * ```ts
 * metricValue(null, 1); // NaN
 * ```
 */
export function metricValue(value: number | null, isNan: number): number {
  return isNan === 1 ? NaN : isNan === 2 ? -0 : (value as number);
}

/**
 * The `run_json.metrics` text of a run's latest metric values: a JSON object in key order (as a
 * search returns them), the values JSON cannot hold (NaN, ±Infinity, -0) as the strings
 * `"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0"`; null when the run has no metric.
 *
 * @example
 * ```ts
 * encodeLatestMetrics([['loss', NaN], ['acc', 0.9]]); // '{"acc":0.9,"loss":"NaN"}'
 * ```
 */
export function encodeLatestMetrics(metrics: [key: string, value: number][]): string | null {
  if (metrics.length === 0) return null;
  metrics.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const o: Record<string, number | string> = Object.create(null) as Record<string, number | string>;
  for (const [k, v] of metrics) o[k] = Number.isFinite(v) && !Object.is(v, -0) ? v : Object.is(v, -0) ? '-0' : String(v);
  return JSON.stringify(o);
}

/**
 * The metric values of a `run_json.metrics` text (see {@link encodeLatestMetrics}).
 *
 * @example
 * ```ts
 * decodeLatestMetrics('{"acc":0.9,"loss":"NaN"}'); // { acc: 0.9, loss: NaN }
 * ```
 */
export function decodeLatestMetrics(text: string | null): Record<string, number> {
  return text === null ? {} : latestMetricsFromJson(JSON.parse(text) as Record<string, number | string>);
}

/**
 * {@link decodeLatestMetrics} of a `run_json.metrics` text already parsed (null: none); the
 * object is changed in place and returned.
 *
 * @example
 * ```ts
 * latestMetricsFromJson({ acc: 0.9, loss: 'NaN' }); // { acc: 0.9, loss: NaN }
 * ```
 */
export function latestMetricsFromJson(o: Record<string, number | string> | null): Record<string, number> {
  if (o === null) return {};
  for (const k in o) {
    const v = o[k];
    // (defineProperty: a metric named `__proto__` stays an own property.)
    if (typeof v === 'string') Object.defineProperty(o, k, { value: v === '-0' ? -0 : Number(v), enumerable: true, writable: true, configurable: true });
  }
  return o as Record<string, number>;
}

/** Run order by recent activity: running runs first, then by their last start or end. */
const BY_ACTIVITY = "(status = 'RUNNING') DESC, COALESCE(end_time, start_time) DESC";

/**
 * A run folder as the catalog knows it: its experiment folder `dir`, in the root or in `.trash`
 * (`loc`).
 *
 * @example
 * ```ts
 * const r: RunFolderRow = { loc: 'root', dir: '1', folder: 'abc' };
 * ```
 */
export interface RunFolderRow {
  loc: Location;
  dir: string;
  folder: string;
}

/**
 * The catalog's reads the watcher needs, with their statements prepared once per connection:
 * the watcher reads the catalog's tables only through these.
 *
 * @example
 * ```ts
 * const q = new CatalogQueries(() => catalog.db);
 * q.runsByActivity(100); // the 100 most active run folders
 * ```
 */
export class CatalogQueries {
  private db: import('better-sqlite3').Database | undefined;
  private readonly stmts = new Map<string, import('better-sqlite3').Statement>();

  constructor(private readonly connection: () => import('better-sqlite3').Database) {}

  private sql(text: string): import('better-sqlite3').Statement {
    const db = this.connection();
    if (db !== this.db) {
      this.stmts.clear();
      this.db = db;
    }
    let st = this.stmts.get(text);
    if (!st) this.stmts.set(text, (st = db.prepare(text)));
    return st;
  }

  /** The `limit` most active run folders, most active first. */
  runsByActivity(limit: number): RunFolderRow[] {
    return this.sql(`SELECT loc, exp_dir AS dir, folder FROM runs ORDER BY ${BY_ACTIVITY}, rid DESC LIMIT @limit`).all({ limit }) as RunFolderRow[];
  }

  /** Every experiment folder the catalog knows. */
  experimentFolders(): { loc: Location; dir: string }[] {
    return this.sql('SELECT loc, dir FROM exps').all() as { loc: Location; dir: string }[];
  }

  /** True when the catalog has a row for this run folder. */
  hasRunFolder(r: RunFolderRow): boolean {
    return this.sql('SELECT 1 FROM runs WHERE loc = @loc AND exp_dir = @dir AND folder = @folder').get({ loc: r.loc, dir: r.dir, folder: r.folder }) !== undefined;
  }

  /** The `limit` most active run folders of one experiment folder. */
  runFoldersOfExperiment(loc: Location, dir: string, limit: number): string[] {
    const rows = this.sql(`SELECT folder FROM runs WHERE loc = @loc AND exp_dir = @dir ORDER BY ${BY_ACTIVITY} LIMIT @limit`).all({ loc, dir, limit }) as { folder: string }[];
    return rows.map((r) => r.folder);
  }

  /** The folder of a run id, if the catalog has it. */
  runFolderOf(runId: string): RunFolderRow | undefined {
    return this.sql('SELECT loc, exp_dir AS dir, folder FROM runs WHERE run_id = @runId').get({ runId }) as RunFolderRow | undefined;
  }

  /** Up to `limit` run folders after row id `afterRid`, in row id order (the sweep's slices). */
  runsAfter(afterRid: number, limit: number): (RunFolderRow & { rid: number })[] {
    return this.sql('SELECT rid, loc, exp_dir AS dir, folder FROM runs WHERE rid > @afterRid ORDER BY rid LIMIT @limit').all({ afterRid, limit }) as (RunFolderRow & {
      rid: number;
    })[];
  }
}
