/**
 * `SqlAlchemyStore.search_runs` on the database: the candidate runs (experiments, lifecycle
 * stages, and the clauses SQL answers exactly: attributes compared to literals, tag/param
 * equality and presence) are selected in SQL; every clause of the filter is then checked again,
 * and the order_by applied, in memory with MLflow's rules (the evaluator of `src/search`), so
 * the result is the same runs in the same order with the same page tokens as Python's.
 */
import type { PagedList, Run } from '../../entities.js';
import { MlflowError, invalidParameter } from '../../errors.js';
import { filterRuns, parseRunFilter, parseRunOrderByClause, pyRepr, sortRuns } from '../../search/index.js';
import type { FilterClause, RunKeyType, RunOrderBy } from '../../search/ast.js';
import { createPageToken, parseStartOffset } from '../../search/paging.js';
import type { SearchRunsOptions } from '../tracking-store.js';
import type Database from 'better-sqlite3';
import { parseExperimentId } from './rows.js';
import type { RunRow } from './rows.js';

/** What the search needs of the store: its connection and how it builds runs from rows. */
export interface RunRowSource {
  readonly db: Database.Database;
  hydrateRuns(rows: RunRow[]): Run[];
}

/** MLflow's SEARCH_MAX_RESULTS_THRESHOLD. */
const MAX_RESULTS_THRESHOLD = 50000;
const DEFAULT_MAX_RESULTS = 1000;

/** `SearchUtils.translate_key_alias`. */
function translateKeyAlias(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

const RUN_COLUMNS = 'r.run_uuid, r.name, r.user_id, r.status, r.start_time, r.end_time, r.lifecycle_stage, r.artifact_uri, r.experiment_id';

/** `_validate_max_results_param(max_results, allow_null=True)`. */
function validateMaxResults(maxResults: number | null): void {
  if (maxResults !== null && (maxResults < 1 || !Number.isInteger(maxResults))) {
    throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer`);
  }
  if (maxResults !== null && maxResults > MAX_RESULTS_THRESHOLD) {
    throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${MAX_RESULTS_THRESHOLD}`);
  }
}

const STRING_ATTRIBUTE_COLUMNS: Readonly<Record<string, string>> = {
  run_id: 'r.run_uuid',
  user_id: 'r.user_id',
  status: 'r.status',
  artifact_uri: 'r.artifact_uri',
};

/**
 * The SQL of a clause SQLite answers exactly as Python's query does (LIKE and ILIKE on tags,
 * params and string attributes: SQLite's LIKE, with `_`/`%` matching any character including a
 * newline, and ILIKE as `lower(x) LIKE lower(y)`, ASCII-only folding). Undefined: evaluated in
 * memory.
 */
function exactSql(c: FilterClause<RunKeyType>): { sql: string; args: unknown[] } | undefined {
  const cmp = c.comparator.toUpperCase();
  if ((cmp !== 'LIKE' && cmp !== 'ILIKE') || c.value.kind !== 'string') return undefined;
  const v = c.value.value;
  const like = (col: string): string => (cmp === 'LIKE' ? `${col} LIKE ?` : `lower(${col}) LIKE lower(?)`);
  if (c.type === 'tag' || c.type === 'param') {
    const table = c.type === 'tag' ? 'tags' : 'params';
    return { sql: `r.run_uuid IN (SELECT run_uuid FROM ${table} WHERE key = ? AND ${like('value')})`, args: [c.key, v] };
  }
  if (c.type === 'attribute') {
    const key = translateKeyAlias(c.key);
    if (key === 'run_name') return { sql: `r.run_uuid IN (SELECT run_uuid FROM tags WHERE key = 'mlflow.runName' AND ${like('value')})`, args: [v] };
    const col = STRING_ATTRIBUTE_COLUMNS[key];
    if (col) return { sql: like(col), args: [v] };
  }
  return undefined;
}

/**
 * A SQL condition narrowing the candidates for one clause, only where it keeps every run the
 * clause can match (the exact check follows in memory). Undefined: no narrowing.
 */
function narrowing(c: FilterClause<RunKeyType>): { sql: string; args: unknown[] } | undefined {
  const cmp = c.comparator.toUpperCase();
  const v = c.value;
  const table = c.type === 'tag' ? 'tags' : c.type === 'param' ? 'params' : c.type === 'metric' ? 'latest_metrics' : null;
  if (!table) return undefined;
  if (cmp === 'IS NULL') return undefined;
  // Any comparison but IS NULL / != needs the key present on the run.
  if (cmp === '!=' || cmp === 'NOT IN' || cmp === 'NOT LIKE' || cmp === 'NOT ILIKE') {
    return { sql: `r.run_uuid IN (SELECT run_uuid FROM ${table} WHERE key = ?)`, args: [c.key] };
  }
  if (cmp === '=' && v.kind === 'string' && table !== 'latest_metrics') {
    return { sql: `r.run_uuid IN (SELECT run_uuid FROM ${table} WHERE key = ? AND value = ?)`, args: [c.key, v.value] };
  }
  return { sql: `r.run_uuid IN (SELECT run_uuid FROM ${table} WHERE key = ?)`, args: [c.key] };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A run holding every key a clause names, so evaluating the clause reaches its checks. */
function probeRun(c: FilterClause<RunKeyType>): Run {
  const k = c.key;
  return {
    info: {
      runId: 'probe',
      runUuid: 'probe',
      experimentId: '0',
      runName: 'probe',
      userId: 'probe',
      status: 'RUNNING',
      startTime: 0,
      endTime: 0,
      artifactUri: 'probe',
      lifecycleStage: 'active',
    },
    data: { metrics: { [k]: 0 }, params: { [k]: '' }, tags: { [k]: '' } },
    inputs: {
      datasetInputs: [
        {
          dataset: { name: '', digest: '', sourceType: '', source: '', schema: null, profile: null },
          tags: [{ key: 'mlflow.data.context', value: '' }],
        },
      ],
      modelInputs: [],
    },
    outputs: { modelOutputs: [] },
  };
}

/**
 * SQL builds every clause before reading a row, so an invalid comparator or value fails even on
 * an experiment without runs; the evaluator checks a clause when it meets a run. Each clause is
 * evaluated once on a probe run holding its key, so the same errors come first. A lone surrogate
 * in a key or value cannot be encoded for SQLite: Python fails with an internal error.
 */
function checkEagerly(filter: FilterClause<RunKeyType>[]): void {
  for (const c of filter) {
    filterRuns([probeRun(c)], [c]);
    const values = c.value.kind === 'string' ? [c.value.value] : c.value.kind === 'list' ? c.value.values : [];
    if (LONE_SURROGATE.test(c.key) || values.some((v) => LONE_SURROGATE.test(v))) {
      throw new MlflowError('INTERNAL_ERROR', "'utf-8' codec can't encode character: surrogates not allowed");
    }
  }
}

/**
 * Runs matching a search, as `SqlAlchemyStore.search_runs` returns them.
 *
 * @example
 * ```ts
 * searchRunsSql(store, ['0'], { filterString: 'metrics.loss < 0.5', orderBy: ['metrics.loss'] });
 * ```
 */
export function searchRunsSql(store: RunRowSource, experimentIds: string[], options: SearchRunsOptions): PagedList<Run> {
  const maxResults = options.maxResults === undefined ? DEFAULT_MAX_RESULTS : options.maxResults;
  validateMaxResults(maxResults);
  const view = options.runViewType ?? 'ACTIVE_ONLY';
  const stages = view === 'ACTIVE_ONLY' ? ['active'] : view === 'DELETED_ONLY' ? ['deleted'] : ['active', 'deleted'];
  // The checks come in the order `_search_runs` makes them.
  const filter = parseRunFilter(options.filterString ?? '');
  const orderByList = options.orderBy ?? [];
  const orderBy: RunOrderBy = [];
  const seen = new Set<string>();
  for (const clause of orderByList) {
    const o = parseRunOrderByClause(clause);
    // `_get_orderby_clauses` refuses other key types while building the query (even with no run).
    if (o.type !== 'metric' && o.type !== 'param' && o.type !== 'tag' && o.type !== 'attribute') {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid identifier type '${o.type}'`);
    }
    const k = `${o.type}\0${translateKeyAlias(o.key)}`;
    if (seen.has(k)) {
      // Raised without an error code: INTERNAL_ERROR.
      throw new MlflowError('INTERNAL_ERROR', `\`order_by\` contains duplicate fields: [${orderByList.map((x) => pyRepr(x)).join(', ')}]`);
    }
    seen.add(k);
    orderBy.push(o);
  }
  checkEagerly(filter);
  const offset = parseStartOffset(options.pageToken ?? null);
  const ids = experimentIds.map((e) => parseExperimentId(e));
  if (ids.length === 0) return { items: [], token: null };
  const where: string[] = [`r.experiment_id IN (${ids.map(() => '?').join(', ')})`, `r.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`];
  const args: unknown[] = [...ids, ...stages];
  const inMemory: FilterClause<RunKeyType>[] = [];
  for (const c of filter) {
    const exact = exactSql(c);
    if (exact) {
      where.push(exact.sql);
      args.push(...exact.args);
      continue;
    }
    inMemory.push(c);
    const n = narrowing(c);
    if (n) {
      where.push(n.sql);
      args.push(...n.args);
    }
  }
  const rows = store.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE ${where.join(' AND ')}`).all(...args) as RunRow[];
  const runs = store.hydrateRuns(rows);
  const matched = filterRuns(runs, inMemory);
  const sorted = sortRuns(matched, orderBy);
  // SQL: OFFSET offset (a negative one counts as 0) LIMIT max_results + 1; the token is offset + max.
  const start = Math.max(0, offset);
  const fetched = maxResults === null ? sorted.slice(start) : sorted.slice(start, start + maxResults + 1);
  let token: string | null = null;
  let page = fetched;
  if (maxResults !== null && fetched.length === maxResults + 1) {
    token = createPageToken(offset + maxResults);
    page = fetched.slice(0, maxResults);
  }
  return { items: page, token };
}
