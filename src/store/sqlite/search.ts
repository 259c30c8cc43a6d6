/**
 * `SqlAlchemyStore.search_runs` on the database: the candidate runs (experiments, lifecycle
 * stages, and the clauses SQL answers exactly: attributes compared to literals, tag/param
 * equality and presence) are selected in SQL; every clause of the filter is then checked again,
 * and the order_by applied, in memory with MLflow's rules (the evaluator of `src/search`), so
 * the result is the same runs in the same order with the same page tokens as Python's.
 */
import type { PagedList, Run } from '../../entities.js';
import { MlflowError, invalidParameter } from '../../errors.js';
import { filterRuns, parseRunFilter, parseRunOrderBy, sortRuns } from '../../search/index.js';
import type { FilterClause, RunKeyType } from '../../search/ast.js';
import { createPageToken, parseStartOffset } from '../../search/paging.js';
import type { SearchRunsOptions } from '../tracking-store.js';
import type { RunRow, SqliteStore } from './sqlite-store.js';
import { parseExperimentId } from './sqlite-store.js';

/** MLflow's SEARCH_MAX_RESULTS_THRESHOLD. */
const MAX_RESULTS_THRESHOLD = 50000;
const DEFAULT_MAX_RESULTS = 1000;

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

/**
 * Runs matching a search, as `SqlAlchemyStore.search_runs` returns them.
 *
 * @example
 * ```ts
 * searchRunsSql(store, ['0'], { filterString: 'metrics.loss < 0.5', orderBy: ['metrics.loss'] });
 * ```
 */
export function searchRunsSql(store: SqliteStore, experimentIds: string[], options: SearchRunsOptions): PagedList<Run> {
  const maxResults = options.maxResults === undefined ? DEFAULT_MAX_RESULTS : options.maxResults;
  validateMaxResults(maxResults);
  const view = options.runViewType ?? 'ACTIVE_ONLY';
  const stages = view === 'ACTIVE_ONLY' ? ['active'] : view === 'DELETED_ONLY' ? ['deleted'] : ['active', 'deleted'];
  const filter = parseRunFilter(options.filterString ?? '');
  const orderBy = parseRunOrderBy(options.orderBy ?? []);
  const seen = new Set<string>();
  for (const o of orderBy) {
    const k = `${o.type}\0${o.key}`;
    if (seen.has(k)) throw new MlflowError('INVALID_PARAMETER_VALUE', `\`order_by\` contains duplicate fields: ${JSON.stringify(options.orderBy)}`);
    seen.add(k);
  }
  const offset = parseStartOffset(options.pageToken ?? null);
  const ids = experimentIds.map((e) => parseExperimentId(e));
  if (ids.length === 0) return { items: [], token: null };
  const where: string[] = [`r.experiment_id IN (${ids.map(() => '?').join(', ')})`, `r.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`];
  const args: unknown[] = [...ids, ...stages];
  for (const c of filter) {
    const n = narrowing(c);
    if (n) {
      where.push(n.sql);
      args.push(...n.args);
    }
  }
  const rows = store.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE ${where.join(' AND ')}`).all(...args) as RunRow[];
  const runs = store.hydrateRuns(rows);
  const matched = filterRuns(runs, filter);
  const sorted = sortRuns(matched, orderBy);
  const end = maxResults === null ? sorted.length : offset + maxResults;
  const page = sorted.slice(offset, end);
  const token = maxResults !== null && sorted.length > end ? createPageToken(end) : null;
  return { items: page, token };
}
