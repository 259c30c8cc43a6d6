/**
 * `searchRuns` through the catalog with MLflow's exact semantics. The RunFilter AST is compiled
 * to SQL clause by clause; the longest prefix of clauses that compiles exactly (and can never
 * raise) narrows the candidates in SQL. When every clause and every order_by element compile,
 * SQL also sorts and pages (LIMIT/OFFSET from the page token) and only the page's Run JSON is
 * read. Otherwise the candidates are finished in memory by `searchRunsInMemory` — the scan's own
 * code — so the answer (or the error) is always the scan's.
 *
 * @example
 * ```ts
 * import { openCatalog, catalogSearchRuns } from './index.js';
 * const page = catalogSearchRuns(openCatalog(store.root), store, ['0'], { filterString: "metrics.acc > 0.9", orderBy: ['metrics.acc DESC'] });
 * ```
 */
import { MODELS, TRASH, isExperimentIdFolderName } from '../store/file/layout.js';
import type { Location } from '../store/file/layout.js';
import type { PagedList, Run, ViewType } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { WarningCode } from '../errors.js';
import type { FilterValue, RunFilter, RunOrderBy } from '../search/ast.js';
import { pyFloat, pyIntFromString, parseRunFilter, parseRunOrderBy } from '../search/parse.js';
import { createPageToken, parseStartOffset, validateMaxResults } from '../search/paging.js';
import { searchRunsInMemory } from '../search/index.js';
import type { SearchRunsOptions } from '../store/tracking-store.js';
import type { Catalog } from './catalog.js';
import { isCorruptionError } from './catalog.js';
import { canonicalRoot } from './location.js';
import { decodeLatestMetrics, latestMetricsFromJson } from './tables.js';
import { catalogWarnings } from './refresh.js';

/**
 * What {@link catalogSearchRuns} needs from a store: its root, strictness, and the full scan.
 *
 * @example
 * ```ts
 * const s: ScanStore = new FileStore('./mlruns');
 * ```
 */
export interface ScanStore {
  readonly root: string;
  readonly strict: boolean;
  listRuns(experimentIds: string[], view?: ViewType): Run[];
  /** Receives the read warnings the scan would have reported (FileStore: its sink, deduplicated). */
  noteWarning?(code: WarningCode, path: string, message: string): void;
}

/**
 * How the last catalog search was answered (for tests and benchmarks).
 *
 * @example
 * ```ts
 * lastSearchPath(); // 'sql' | 'hybrid' | 'scan'
 * ```
 */
export type SearchPath = 'sql' | 'hybrid' | 'scan';
let lastPath: SearchPath = 'scan';

/**
 * The path the last {@link catalogSearchRuns} call took in this process.
 *
 * @example
 * ```ts
 * catalogSearchRuns(cat, store, ['0']); lastSearchPath(); // 'sql'
 * ```
 */
export function lastSearchPath(): SearchPath {
  return lastPath;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const METRIC_OPS = new Set(['>', '>=', '!=', '=', '<', '<=']);
const PARAM_COMPARATORS = new Set(['!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL']);
const STRING_ATTRIBUTE_COMPARATORS = new Set(['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']);
const STRING_ATTR_COLS: Record<string, string> = {
  run_id: 'r.run_id',
  run_name: 'r.run_name',
  status: 'r.status',
  user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri',
  experiment_id: 'r.experiment_id',
  lifecycle_stage: 'r.lifecycle',
};
const NUM_ATTR_COLS: Record<string, string> = { start_time: 'r.start_time', end_time: 'r.end_time' };
const INT64_MAX = 9223372036854775807n;

function translateKeyAlias(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

/**
 * A SQL fragment and its bound parameters.
 *
 * @example
 * ```ts
 * const s: Sql = { sql: 'r.status = ?', params: ['FINISHED'] };
 * ```
 */
export interface Sql {
  sql: string;
  params: unknown[];
}

const safeStr = (s: string): boolean => !LONE_SURROGATE.test(s);

/** `compareString(comparator, col, value)` as SQL, or null when it could raise or is not exact. */
function compileString(col: string, comparator: string, value: FilterValue): Sql | null {
  if (value.kind === 'string') {
    if (!safeStr(value.value)) return null;
    switch (comparator) {
      case '=':
        return { sql: `${col} = ?`, params: [value.value] };
      case '!=':
        return { sql: `${col} != ?`, params: [value.value] };
      case 'LIKE':
        return { sql: `mlr_like(${col}, ?, 0) = 1`, params: [value.value] };
      case 'ILIKE':
        return { sql: `mlr_like(${col}, ?, 1) = 1`, params: [value.value] };
    }
    return null;
  }
  if (value.kind === 'list') {
    if (!value.values.every(safeStr)) return null;
    switch (comparator) {
      case '=':
        return { sql: '0', params: [] };
      case '!=':
        return { sql: '1', params: [] };
      case 'IN':
      case 'NOT IN':
        return {
          sql: `${col} ${comparator} (${value.values.map(() => '?').join(', ')})`,
          params: [...value.values],
        };
    }
  }
  return null;
}

/**
 * One clause as an exact SQL predicate over `runs r`, or null when it cannot be compiled exactly
 * (or could raise while evaluated, e.g. an invalid comparator — the scan's code then decides).
 *
 * @example
 * ```ts
 * compileClause(parseRunFilter("metrics.acc > 0.9")[0]!); // { sql: 'EXISTS(SELECT 1 FROM metrics m ...)', params: ['acc', 0.9] }
 * ```
 */
export function compileClause(clause: RunFilter[number]): Sql | null {
  const comparator = clause.comparator.toUpperCase();
  const key = translateKeyAlias(clause.key);
  const value = clause.value;
  if (!safeStr(key)) return null;
  switch (clause.type) {
    case 'metric': {
      if (!METRIC_OPS.has(comparator) || value.kind !== 'number') return null;
      const rhs = pyFloat(value.raw);
      if (!Number.isFinite(rhs)) return null;
      // Uncorrelated `rid IN (...)` lets SQLite drive the query from the (key, value) index.
      // (value is NULL for an absent/damaged metric and for NaN, so a comparison implies a real value.)
      const base = 'r.rid IN (SELECT m.rid FROM metrics m WHERE m.key = ? AND ';
      if (comparator === '!=') return { sql: `${base}m.present = 1 AND (m.is_nan = 1 OR m.value != ?))`, params: [key, rhs] };
      return { sql: `${base}m.value ${comparator} ?)`, params: [key, rhs] };
    }
    case 'param':
    case 'tag': {
      if (!PARAM_COMPARATORS.has(comparator)) return null;
      const table = clause.type === 'param' ? 'params' : 'tags';
      const exists = `r.rid IN (SELECT p.rid FROM ${table} p WHERE p.key = ?`;
      if (comparator === 'IS NULL') return { sql: `NOT ${exists})`, params: [key] };
      if (comparator === 'IS NOT NULL') return { sql: `${exists})`, params: [key] };
      if (comparator === 'IN' || comparator === 'NOT IN') return null;
      const cmp = compileString('p.value', comparator, value);
      if (!cmp) return null;
      return { sql: `${exists} AND (${cmp.sql}))`, params: [key, ...cmp.params] };
    }
    case 'attribute': {
      const num = NUM_ATTR_COLS[key];
      if (num) {
        if (!METRIC_OPS.has(comparator) || value.kind !== 'number') return null;
        let rhs: number | bigint;
        if (value.integer) {
          const b = pyIntFromString(value.raw);
          if (b === null || b > INT64_MAX || b < -INT64_MAX) return null;
          rhs = b;
        } else {
          rhs = pyFloat(value.raw);
          if (!Number.isFinite(rhs)) return null;
        }
        return { sql: `(${num} IS NOT NULL AND ${num} ${comparator} ?)`, params: [rhs] };
      }
      const col = STRING_ATTR_COLS[key];
      if (!col || !STRING_ATTRIBUTE_COMPARATORS.has(comparator)) return null;
      const cmp = compileString(col, comparator, value);
      if (!cmp) return null;
      return { sql: `(${col} IS NOT NULL AND (${cmp.sql}))`, params: cmp.params };
    }
    case 'dataset': {
      if (!STRING_ATTRIBUTE_COMPARATORS.has(comparator)) return null;
      const kind = key === 'context' ? 'context' : key === 'name' ? 'name' : 'digest';
      const cmp = compileString('d.value', comparator, value);
      if (!cmp) return null;
      return {
        sql: `r.rid IN (SELECT d.rid FROM datasets d WHERE d.kind = ? AND (${cmp.sql}))`,
        params: [kind, ...cmp.params],
      };
    }
  }
  return null;
}

/**
 * ORDER BY terms (and their joins) reproducing `sortRuns`: per element real values, then NaN,
 * then missing, in both directions; then `start_time DESC, run_id ASC` (the pre-sort). Null when
 * an element is not compilable.
 *
 * @example
 * ```ts
 * compileOrderBy(parseRunOrderBy(['metrics.loss DESC']))?.order; // '(CASE ... END) ASC, om0.value DESC, r.start_time DESC, r.run_id ASC'
 * ```
 */
export function compileOrderBy(orderBy: RunOrderBy): { joins: Sql; order: string } | null {
  const joins: string[] = [];
  const params: unknown[] = [];
  const terms: string[] = [];
  orderBy.forEach((o, i) => {
    const dir = o.ascending ? 'ASC' : 'DESC';
    const key = translateKeyAlias(o.key);
    if (o.type === 'metric') {
      const a = `om${i}`;
      joins.push(`LEFT JOIN metrics ${a} ON ${a}.rid = r.rid AND ${a}.key = ?`);
      params.push(key);
      terms.push(`(CASE WHEN ${a}.present IS NULL OR ${a}.present = 0 THEN 2 WHEN ${a}.is_nan = 1 THEN 1 ELSE 0 END) ASC`, `${a}.value ${dir}`);
    } else if (o.type === 'param' || o.type === 'tag') {
      const a = `op${i}`;
      joins.push(`LEFT JOIN ${o.type === 'param' ? 'params' : 'tags'} ${a} ON ${a}.rid = r.rid AND ${a}.key = ?`);
      params.push(key);
      terms.push(`(${a}.value IS NULL) ASC`, `${a}.value ${dir}`);
    } else if (o.type === 'attribute') {
      const col = STRING_ATTR_COLS[key] ?? NUM_ATTR_COLS[key];
      if (!col) {
        terms.push('!');
        return;
      }
      terms.push(`(${col} IS NULL) ASC`, `${col} ${dir}`);
    } else {
      terms.push('!');
    }
    if (!safeStr(key)) terms.push('!');
  });
  if (terms.includes('!')) return null;
  terms.push('r.start_time DESC', 'r.run_id ASC');
  return { joins: { sql: joins.join(' '), params }, order: terms.join(', ') };
}

/**
 * A page ordered by a metric/param/tag first, as the concatenation of its rank segments (real
 * values, then NaN, then missing), each read in order from the (key, value) index so a LIMIT
 * stops early instead of sorting every candidate. Returns up to `limit` run ids from `offset`.
 */
function segmentedPage(
  cat: Catalog,
  first: RunOrderBy[number],
  rest: { joins: Sql; order: string },
  driven: Sql,
  correlated: Sql,
  offset: number,
  limit: number,
): number[] {
  const key = translateKeyAlias(first.key);
  const dir = first.ascending ? 'ASC' : 'DESC';
  const metric = first.type === 'metric';
  const table = metric ? 'metrics' : first.type === 'param' ? 'params' : 'tags';
  const fromIndex = (cond: string, orderBy: string): { sql: string; count: string; params: unknown[] } => ({
    sql: `SELECT r.rid FROM ${table} d0 CROSS JOIN runs r ON r.rid = d0.rid ${rest.joins.sql} WHERE d0.key = ? AND ${cond} AND ${correlated.sql} ORDER BY ${orderBy} LIMIT ? OFFSET ?`,
    count: `SELECT COUNT(*) AS n FROM ${table} d0 CROSS JOIN runs r ON r.rid = d0.rid ${rest.joins.sql} WHERE d0.key = ? AND ${cond} AND ${correlated.sql}`,
    params: [...rest.joins.params, key, ...correlated.params],
  });
  const missingCond = `NOT EXISTS(SELECT 1 FROM ${table} x WHERE x.rid = r.rid AND x.key = ?${metric ? ' AND x.present = 1' : ''})`;
  const segments = [
    fromIndex(metric ? 'd0.value IS NOT NULL' : '1', `d0.value ${dir}, ${rest.order}`),
    ...(metric ? [fromIndex('d0.present = 1 AND d0.is_nan = 1', rest.order)] : []),
    {
      sql: `SELECT r.rid FROM runs r ${rest.joins.sql} WHERE ${driven.sql} AND ${missingCond} ORDER BY ${rest.order} LIMIT ? OFFSET ?`,
      count: `SELECT COUNT(*) AS n FROM runs r ${rest.joins.sql} WHERE ${driven.sql} AND ${missingCond}`,
      params: [...rest.joins.params, ...driven.params, key],
    },
  ];
  const out: number[] = [];
  let off = offset;
  for (const seg of segments) {
    const need = limit - out.length;
    if (need <= 0) break;
    const rows = cat.db.prepare(seg.sql).all(...seg.params, need, off) as { rid: number }[];
    if (rows.length > 0) {
      for (const r of rows) out.push(r.rid);
      off = 0;
    } else if (off > 0) {
      const n = (cat.db.prepare(seg.count).get(...seg.params) as { n: number }).n;
      off = Math.max(0, off - n);
    }
  }
  return out;
}

/** `r.rid IN (SELECT x.rid FROM t x WHERE ...)` → `EXISTS(SELECT 1 FROM t x WHERE x.rid = r.rid AND ...)` (same rows). */
function correlate(sql: string): string {
  return sql.replace(/r\.rid IN \(SELECT (\w+)\.rid FROM (\w+) \1 WHERE /g, 'EXISTS(SELECT 1 FROM $2 $1 WHERE $1.rid = r.rid AND ');
}

/** Lower is likely more selective: equality on params/tags/metrics first, ranges and negations last. */
function selectivityRank(c: RunFilter[number]): number {
  const cmp = c.comparator.toUpperCase();
  if ((c.type === 'param' || c.type === 'tag') && cmp === '=') return 0;
  if (cmp === '=' || cmp === 'IN') return 1;
  if (cmp === 'LIKE' || cmp === 'ILIKE' || cmp === 'IS NOT NULL') return 3;
  if (cmp === '!=' || cmp === 'NOT IN' || cmp === 'IS NULL') return 4;
  return 2;
}

interface Resolved {
  loc: Location;
  dir: string;
}

/** `FileStore.experimentDir(id)` answered from the catalog's folder list. */
function resolveExperiments(cat: Catalog, experimentIds: readonly unknown[]): Resolved[] {
  const get = cat.db.prepare('SELECT 1 FROM exps WHERE loc = @loc AND dir = @dir');
  const out: Resolved[] = [];
  for (const raw of experimentIds) {
    const id = String(raw);
    if (!isExperimentIdFolderName(id)) continue;
    if (id !== TRASH && id !== MODELS && get.get({ loc: 'root', dir: id })) out.push({ loc: 'root', dir: id });
    else if (get.get({ loc: 'trash', dir: id })) out.push({ loc: 'trash', dir: id });
  }
  return out;
}

function viewSql(view: ViewType): string {
  if (view === 'ACTIVE_ONLY') return " AND r.lifecycle = 'active'";
  if (view === 'DELETED_ONLY') return " AND r.lifecycle = 'deleted'";
  return '';
}

/** Runs from their `run_json` rows: the stored JSON with the latest metrics put back. */
function runsFromRows(rows: readonly RunJsonRow[]): Run[] {
  return rows.map(([, json, metrics]) => {
    const parsed = JSON.parse(json) as Omit<Run, 'data'> & { data: { params: Record<string, string>; tags: Record<string, string> } };
    return { info: parsed.info, data: { metrics: decodeLatestMetrics(metrics), params: parsed.data.params, tags: parsed.data.tags }, inputs: parsed.inputs, outputs: parsed.outputs };
  });
}

/**
 * The page's runs as one JSON text assembled by SQLite, `[rid, special, run, metrics, rid, ...]`,
 * so a page costs one string and one JSON.parse instead of two per run. The rids go in as one
 * JSON array (one statement whatever the page size, no list of parameters to bind). `special` is
 * 1 when the metrics text holds a string value (NaN, ±Infinity, -0: see encodeLatestMetrics),
 * the only metrics decoded further. (Splicing the metrics into the run's JSON in SQL costs more
 * string copying there than building the Run objects here.)
 */
const PAGE_SQL = `SELECT '[' || group_concat(j.rid || ',' || coalesce(instr(j.metrics, ':"') > 0, 0) || ',' || j.json || ',' || coalesce(j.metrics, '{}'), ',') || ']'
  FROM json_each(?) e CROSS JOIN run_json j ON j.rid = e.value`;

type StoredRun = Omit<Run, 'data'> & { data: { params: Record<string, string>; tags: Record<string, string> } };

/** The runs of a page, in the page's order (see {@link PAGE_SQL}). */
function readPage(cat: Catalog, pageIds: readonly number[]): Run[] {
  if (pageIds.length === 0) return [];
  const text = cat.db.prepare(PAGE_SQL).pluck().get(JSON.stringify(pageIds)) as string | null;
  const flat = (text === null ? [] : JSON.parse(text)) as (number | StoredRun | Record<string, number>)[];
  const byRid = new Map<number, Run>();
  for (let k = 0; k < flat.length; k += 4) {
    const run = flat[k + 2] as StoredRun;
    let metrics = flat[k + 3] as Record<string, number>;
    if (flat[k + 1] === 1) metrics = latestMetricsFromJson(metrics as Record<string, number | string>);
    byRid.set(flat[k] as number, { info: run.info, data: { metrics, params: run.data.params, tags: run.data.tags }, inputs: run.inputs, outputs: run.outputs });
  }
  return pageIds.map((rid) => byRid.get(rid) as Run);
}

/**
 * A run's row id, stored JSON and latest metrics (see `tables.ts`), read as an array (`raw()`:
 * no object per row).
 */
type RunJsonRow = [rid: number, json: string, metrics: string | null];

/**
 * How many runs the driving clause (`r.rid IN (SELECT ...)`) admits, counted up to `cap`;
 * `cap` for a clause of another shape (not counted).
 */
function drivingCount(cat: Catalog, clause: Sql, cap: number): number {
  const prefix = 'r.rid IN (';
  if (!clause.sql.startsWith(prefix) || !clause.sql.endsWith(')')) return cap;
  const inner = clause.sql.slice(prefix.length, -1);
  const row = cat.db.prepare(`SELECT COUNT(*) AS n FROM (${inner} LIMIT ?)`).get(...clause.params, cap) as { n: number };
  return row.n;
}

function searchInCatalog(cat: Catalog, experimentIds: readonly unknown[], options: SearchRunsOptions, filter: RunFilter, idsOut?: string[]): PagedList<Run> | undefined {
  const view = options.runViewType ?? 'ACTIVE_ONLY';
  const maxResults = options.maxResults ?? 1000;
  if (cat.getMeta('dup') === '1' || cat.getMeta('odd') === '1') return undefined;
  const exps = resolveExperiments(cat, experimentIds);
  const prefix: Sql[] = [];
  const ranks: number[] = [];
  for (const c of filter) {
    const s = compileClause(c);
    if (!s) break;
    prefix.push(s);
    ranks.push(selectivityRank(c));
  }
  // The clauses are exact and cannot raise, so their SQL order is free: put the likely most
  // selective first (SQLite drives the query from the first `rid IN (...)` list).
  // The first drives (`rid IN (list)`); the others are probed per candidate (correlated EXISTS).
  const ordered = prefix
    .map((p, i) => ({ p, r: ranks[i]!, i }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x, k) => (k === 0 ? x.p : { sql: correlate(x.p.sql), params: x.p.params }));
  const where = (alias: string): Sql => {
    void alias;
    const expSql = exps.length === 0 ? '0' : exps.map(() => '(r.loc = ? AND r.exp_dir = ?)').join(' OR ');
    const params: unknown[] = exps.flatMap((e) => [e.loc, e.dir]);
    let sql = `r.ok = 1 AND (${expSql})${viewSql(view)}`;
    for (const p of ordered) {
      sql += ` AND (${p.sql})`;
      params.push(...p.params);
    }
    return { sql, params };
  };
  const whereCorrelated = (): Sql => {
    const expSql = exps.length === 0 ? '0' : exps.map(() => '(r.loc = ? AND r.exp_dir = ?)').join(' OR ');
    const params: unknown[] = exps.flatMap((e) => [e.loc, e.dir]);
    let sql = `r.ok = 1 AND (${expSql})${viewSql(view)}`;
    for (const p of ordered) {
      sql += ` AND (${correlate(p.sql)})`;
      params.push(...p.params);
    }
    return { sql, params };
  };
  const distinct = new Set(exps.map((e) => `${e.loc}\0${e.dir}`)).size === exps.length;
  let orderBy: RunOrderBy | undefined;
  try {
    orderBy = parseRunOrderBy(options.orderBy ?? []);
  } catch {
    orderBy = undefined;
  }
  let start: number | undefined;
  try {
    start = parseStartOffset(options.pageToken);
  } catch {
    start = undefined;
  }
  const order = orderBy ? compileOrderBy(orderBy) : null;
  if (
    distinct &&
    prefix.length === filter.length &&
    order &&
    start !== undefined &&
    start >= 0 &&
    Number.isSafeInteger(start) &&
    Number.isInteger(maxResults) &&
    maxResults >= 0
  ) {
    const w = where('r');
    const first = orderBy![0];
    let ids: number[];
    // Reading the first sort key's index in order pays when the page fills early; when the
    // driving clause admits no more runs than the page reaches (a selective filter), every
    // candidate is read either way, and sorting just those is cheaper.
    const fewCandidates = ordered[0] !== undefined && drivingCount(cat, ordered[0], start + maxResults + 1) <= start + maxResults;
    if (first && !fewCandidates && (first.type === 'metric' || first.type === 'param' || first.type === 'tag')) {
      ids = segmentedPage(cat, first, compileOrderBy(orderBy!.slice(1))!, w, whereCorrelated(), start, maxResults + 1);
    } else {
      // Sort run ids only (no JSON in the sorter), then read the page's JSON. A driving clause
      // that admits many runs is checked per entry of the covering runs_page index (`+r.rid`:
      // not driven from its list, whose runs would each be read from the table and sorted).
      const wsql = ordered[0] !== undefined && !fewCandidates ? w.sql.replace('(r.rid IN (', '(+r.rid IN (') : w.sql;
      const sql = `SELECT r.rid FROM runs r ${order.joins.sql} WHERE ${wsql} ORDER BY ${order.order} LIMIT ? OFFSET ?`;
      ids = (cat.db.prepare(sql).all(...order.joins.params, ...w.params, maxResults + 1, start) as { rid: number }[]).map((r) => r.rid);
    }
    const rows = ids;
    if (idsOut) {
      // The page's run ids only (no Run built).
      const runId = cat.db.prepare('SELECT run_id FROM runs WHERE rid = ?').pluck();
      for (const rid of ids.slice(0, maxResults)) idsOut.push(runId.get(rid) as string);
      lastPath = 'sql';
      return { items: [], runs: [], token: null } as unknown as PagedList<Run>;
    }
    const items = readPage(cat, ids.slice(0, maxResults));
    lastPath = 'sql';
    return { items, runs: items, token: rows.length > maxResults ? createPageToken(start + maxResults) : null } as PagedList<Run>;
  }
  if (idsOut) return undefined;
  // Hybrid: candidates narrowed by the exact prefix, then the scan's own code in memory.
  const runs: Run[] = [];
  const q = (e: Resolved): Sql => {
    let sql = `r.ok = 1 AND r.loc = ? AND r.exp_dir = ?${viewSql(view)}`;
    const params: unknown[] = [e.loc, e.dir];
    for (const p of prefix) {
      sql += ` AND (${p.sql})`;
      params.push(...p.params);
    }
    return { sql, params };
  };
  for (const e of exps) {
    const w = q(e);
    const rows = cat.db.prepare(`SELECT r.rid, j.json, j.metrics FROM runs r JOIN run_json j ON j.rid = r.rid WHERE ${w.sql}`).raw().all(...w.params) as RunJsonRow[];
    runs.push(...runsFromRows(rows));
  }
  lastPath = 'hybrid';
  const res = searchRunsInMemory(runs, {
    filterString: options.filterString ?? null,
    orderBy: options.orderBy ?? null,
    maxResults,
    pageToken: options.pageToken ?? null,
    runViewType: view,
  });
  return res;
}

function debug(what: string, e: unknown): void {
  if (process.env['MLRUNS_CATALOG_DEBUG']) process.stderr.write(`mlruns catalog: ${what}, answering by scan: ${(e as Error).stack ?? String(e)}\n`);
}

/**
 * The full scan (what `FileStore.searchRuns` does without a catalog).
 *
 * @example
 * ```ts
 * scanSearchRuns(store, ['0'], { filterString: "params.a = '1'" });
 * ```
 */
export function scanSearchRuns(store: ScanStore, experimentIds: string[], options: SearchRunsOptions = {}): PagedList<Run> {
  const view = options.runViewType ?? 'ACTIVE_ONLY';
  const res = searchRunsInMemory(store.listRuns(experimentIds, view), {
    filterString: options.filterString ?? null,
    orderBy: options.orderBy ?? null,
    maxResults: options.maxResults ?? 1000,
    pageToken: options.pageToken ?? null,
    runViewType: view,
  });
  lastPath = 'scan';
  return res;
}

/**
 * `searchRuns` answered from the catalog: same runs, same order, same Run objects, same page
 * token (or the same error) as the full scan. Without a live watcher it first applies a delta
 * refresh. Any catalog problem (locked past the busy timeout, damaged file, closed catalog, a
 * store of another root, a strict store) falls back to the scan; a damaged catalog is reset so
 * the next query rebuilds it.
 *
 * @example
 * ```ts
 * const cat = openCatalog(store.root);
 * const page = catalogSearchRuns(cat, store, ['1'], { filterString: "params.model = 'cnn'", orderBy: ['metrics.acc DESC'], maxResults: 50 });
 * ```
 */
export function catalogSearchRuns(
  catalog: Catalog | null | undefined,
  store: ScanStore,
  experimentIds: string[],
  options: SearchRunsOptions = {},
): PagedList<Run> {
  const maxResults = options.maxResults ?? 1000;
  validateMaxResults('runs', maxResults);
  const filter = parseRunFilter(options.filterString);
  if (!catalog || catalog.isClosed || store.strict || canonicalRoot(store.root) !== catalog.root) {
    return scanSearchRuns(store, experimentIds, options);
  }
  try {
    if (!catalog.watcherLive()) catalog.refresh();
  } catch (e) {
    debug('refresh failed', e);
    if (isCorruptionError(e)) catalog.reset();
    return scanSearchRuns(store, experimentIds, options);
  }
  let result: PagedList<Run> | undefined;
  try {
    // One read transaction: every statement sees the same snapshot while a watcher commits.
    result = catalog.db.transaction(() => {
      if (store.noteWarning) {
        // What the scan of these experiments would have reported while reading them.
        for (const w of catalogWarnings(catalog, resolveExperiments(catalog, experimentIds), options.runViewType ?? 'ACTIVE_ONLY')) {
          store.noteWarning(w.code, w.path, w.message);
        }
      }
      return searchInCatalog(catalog, experimentIds, options, filter);
    })();
  } catch (e) {
    if (e instanceof MlflowError) throw e;
    debug('query failed', e);
    if (isCorruptionError(e)) catalog.reset();
    result = undefined;
  }
  return result ?? scanSearchRuns(store, experimentIds, options);
}

/**
 * How many runs of the experiments match the filter, counted in the catalog (`null` when the
 * filter does not compile to SQL or the catalog cannot answer: the caller counts another way).
 * The caller keeps the catalog fresh (a live watcher, or `catalog.refresh()`).
 *
 * @example
 * ```ts
 * catalogCountRuns(cat, ['1'], { filterString: "params.model = 'cnn'" }); // 1234
 * ```
 */
export function catalogCountRuns(catalog: Catalog, experimentIds: string[], options: Pick<SearchRunsOptions, 'filterString' | 'runViewType'> = {}): number | null {
  const filter = parseRunFilter(options.filterString);
  if (catalog.isClosed || catalog.getMeta('dup') === '1' || catalog.getMeta('odd') === '1') return null;
  const exps = resolveExperiments(catalog, experimentIds);
  if (exps.length === 0) return 0;
  const expSql = exps.map(() => '(r.loc = ? AND r.exp_dir = ?)').join(' OR ');
  const params: unknown[] = exps.flatMap((e) => [e.loc, e.dir]);
  let sql = `SELECT count(*) AS n FROM runs r WHERE r.ok = 1 AND (${expSql})${viewSql(options.runViewType ?? 'ACTIVE_ONLY')}`;
  let first = true;
  for (const c of filter) {
    const s = compileClause(c);
    if (!s) return null;
    // A clause admitting many runs: checked per entry of the covering runs_page index rather
    // than driving the count from its list (each run of which would be read from the table).
    let many = false;
    try {
      many = first && s.sql.startsWith('r.rid IN (') && drivingCount(catalog, s, 2000) >= 2000;
    } catch {
      many = false;
    }
    sql += ` AND (${many ? '+' : ''}${s.sql})`;
    params.push(...s.params);
    first = false;
  }
  try {
    return (catalog.db.prepare(sql).get(...params) as { n: number }).n;
  } catch (e) {
    debug('count failed', e);
    return null;
  }
}

/**
 * The run ids of a page of `searchRuns` (same runs, same order), when the catalog answers it in
 * SQL alone (an exact filter and order); undefined otherwise (the caller searches the usual
 * way). The caller keeps the catalog fresh (a live watcher, or `catalog.refresh()`).
 *
 * @example
 * ```ts
 * catalogSearchRunIds(cat, ['1'], { maxResults: 1000 }); // ['a1b2...', ...]
 * ```
 */
export function catalogSearchRunIds(catalog: Catalog, experimentIds: string[], options: SearchRunsOptions = {}): string[] | undefined {
  validateMaxResults('runs', options.maxResults ?? 1000);
  const filter = parseRunFilter(options.filterString);
  if (catalog.isClosed) return undefined;
  try {
    return catalog.db.transaction(() => {
      const ids: string[] = [];
      return searchInCatalog(catalog, experimentIds, options, filter, ids) ? ids : undefined;
    })();
  } catch (e) {
    if (e instanceof MlflowError) throw e;
    debug('ids query failed', e);
    return undefined;
  }
}
