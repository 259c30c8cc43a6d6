/**
 * The registry searches of Python's `SqlAlchemyStore` (`search_registered_models`,
 * `search_model_versions`, MLflow 3.17.2) on the database, compiled to the SQL its query sends:
 * the same checks in the same order (so the same error codes), the same WHERE clauses (SQL's
 * NULL semantics for `!=` and `NOT IN`, LIKE case-sensitive as MLflow's connection sets it,
 * ILIKE as `lower(x) LIKE lower(y)`), one tag subquery grouped per entity with one
 * `key = ... AND value ...` group per tag key, the anti-join that hides prompts, the ORDER BY
 * with its tie-breakers, and `LIMIT max_results + 1 OFFSET offset` for the page token.
 *
 * The filter grammar (`SearchModelUtils` / `SearchModelVersionUtils.parse_search_filter`) is the
 * one the file store uses (`src/search`); what differs from the FileStore is everything after it.
 */
import type Database from 'better-sqlite3';
import { MlflowError, invalidParameter } from '../../errors.js';
import { addPromptFilter, parseModelVersionFilter, parseRegisteredModelFilter, pyFloat, pyIntFromString, pyRepr, pyStrip } from '../../search/index.js';
import type { FilterClause, FilterValue } from '../../search/ast.js';
import { experimentIdentifier } from '../../search/filter.js';
import { orderByString } from '../../search/order-by.js';
import { createPageToken, parseStartOffset } from '../../search/paging.js';
import { IS_PROMPT_TAG_KEY, STAGE_DELETED_INTERNAL } from '../registry-checks.js';

/** `SEARCH_REGISTERED_MODEL_MAX_RESULTS_*` and `SEARCH_MODEL_VERSION_MAX_RESULTS_*`. */
const RM_DEFAULT = 100;
const RM_THRESHOLD = 1000;
const MV_DEFAULT = 10000;
const MV_THRESHOLD = 200_000;

/** The workspace every row of a database written by MLflow's single-tenant server carries. */
const DEFAULT_WORKSPACE = 'default';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** What the searches need of the database. */
export interface RegistrySearchTarget {
  readonly db: Database.Database;
  /** Whether the registry tables have the `workspace` column (MLflow 3.7+). */
  readonly workspaces: boolean;
}

/** Options of a registry search, as `RegistrySearchOptions`. */
export interface RegistrySqlSearchOptions {
  filterString?: string | null | undefined;
  orderBy?: readonly string[] | null | undefined;
  maxResults?: number | undefined;
  pageToken?: string | null | undefined;
}

type Clause = FilterClause<'attribute' | 'tag'>;

/** A bound value as Python binds it; a list (a tuple in Python) fails when the query runs. */
type Bound = string | bigint | readonly string[];

/** A WHERE fragment and its parameters. */
interface Sql {
  text: string;
  params: Bound[];
}

/** `MlflowException(..., BAD_REQUEST)`: what MLflow's session raises when SQLite refuses a parameter. */
function tupleBindingError(): MlflowError {
  return new MlflowError('BAD_REQUEST', "(sqlite3.ProgrammingError) Error binding parameter: type 'tuple' is not supported");
}

/** `SearchUtils.get_sql_comparison_func(comparator, 'sqlite')(column, value)`. */
function comparison(column: string, comparator: string, value: Bound): Sql {
  switch (comparator) {
    case 'LIKE':
      return { text: `${column} LIKE ?`, params: [value] };
    case 'ILIKE':
      return { text: `lower(${column}) LIKE lower(?)`, params: [value] };
    case 'IN':
    case 'NOT IN': {
      const list = Array.isArray(value) ? (value as readonly string[]) : [value as string];
      const marks = list.map(() => '?').join(', ');
      return { text: `${column} ${comparator} (${marks})`, params: [...list] };
    }
    default:
      // =, !=, <, <=, >, >=
      return { text: `${column} ${comparator} ?`, params: [value] };
  }
}

function stringValue(v: FilterValue): Bound {
  if (v.kind === 'string') return v.value;
  if (v.kind === 'list') return v.values;
  throw new MlflowError('INTERNAL_ERROR', `unexpected ${v.kind} value`);
}

/** The tag filters, one group per key in the order keys first appear (`tag_filters` of Python). */
type TagFilters = Map<string, Sql[]>;

function addTagFilter(tagFilters: TagFilters, clause: Clause): void {
  if (!['=', '!=', 'LIKE', 'ILIKE'].includes(clause.comparator)) {
    throw invalidParameter(`Invalid comparator for tag: ${clause.comparator}`);
  }
  let group = tagFilters.get(clause.key);
  if (!group) {
    group = [{ text: 't.key = ?', params: [clause.key] }];
    tagFilters.set(clause.key, group);
  }
  group.push(comparison('t.value', clause.comparator, stringValue(clause.value)));
}

/** `_is_querying_prompt`: the first filter on the prompt tag decides. */
function isQueryingPrompt(filters: readonly Clause[]): boolean {
  for (const f of filters) {
    if (f.type !== 'tag' || f.key !== IS_PROMPT_TAG_KEY) continue;
    const v = f.value.kind === 'string' ? f.value.value.toLowerCase() : '';
    return (f.comparator === '=' && v === 'true') || (f.comparator === '!=' && v === 'false');
  }
  return false;
}

/**
 * The FROM/WHERE of the search: attribute filters, the prompt anti-join (unless the filter asks
 * for prompts) and the tag subquery, for `main` (`registered_models` or `model_versions`) and
 * its tag table; `keyCols` are the columns that join a tag to its entity.
 */
function buildQuery(
  target: RegistrySearchTarget,
  filters: readonly Clause[],
  attributeFilters: Sql[],
  tagFilters: TagFilters,
  main: string,
  tagTable: string,
  keyCols: readonly string[],
  extraWhere: readonly Sql[] = [],
): Sql {
  const ws = target.workspaces;
  const wsClause = (alias: string): Sql[] => (ws ? [{ text: `${alias}.workspace = ?`, params: [DEFAULT_WORKSPACE] }] : []);
  const joinOn = (a: string, b: string, cols: readonly string[]): string =>
    [...(ws ? ['workspace'] : []), ...cols].map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  const where: Sql[] = [...attributeFilters, ...wsClause('m')];
  const joins: Sql[] = [];
  if (!isQueryingPrompt(filters)) {
    tagFilters.delete(IS_PROMPT_TAG_KEY);
    const groupCols = [...(ws ? ['workspace'] : []), 'name'].join(', ');
    const promptWhere = [{ text: 'key = ?', params: [IS_PROMPT_TAG_KEY] }, { text: 'value = ?', params: ['true'] }, ...(ws ? [{ text: 'workspace = ?', params: [DEFAULT_WORKSPACE] }] : [])];
    joins.push({
      text:
        `LEFT OUTER JOIN (SELECT ${groupCols} FROM ${tagTable} WHERE ${promptWhere.map((s) => s.text).join(' AND ')} GROUP BY ${groupCols}) p ` +
        `ON ${joinOn('m', 'p', ['name'])}`,
      params: promptWhere.flatMap((s) => s.params),
    });
    where.push({ text: 'p.name IS NULL', params: [] });
  }
  where.push(...extraWhere);
  if (tagFilters.size > 0) {
    const groups = [...tagFilters.values()].map((g) => {
      const all = [g[0]!, ...wsClause('t'), ...g.slice(1)];
      return { text: '(' + all.map((s) => s.text).join(' AND ') + ')', params: all.flatMap((s) => s.params) };
    });
    const cols = [...(ws ? ['workspace'] : []), ...keyCols];
    const tcols = cols.map((c) => `t.${c}`).join(', ');
    joins.push({
      text:
        `JOIN (SELECT ${tcols} FROM ${tagTable} t WHERE ${groups.map((g) => g.text).join(' OR ')} GROUP BY ${tcols} HAVING count(1) = ?) tf ` +
        `ON ${joinOn('m', 'tf', keyCols)}`,
      params: [...groups.flatMap((g) => g.params), BigInt(tagFilters.size)],
    });
  }
  const whereText = where.length > 0 ? ` WHERE ${where.map((s) => s.text).join(' AND ')}` : '';
  return {
    text: `FROM ${main} m ${joins.map((j) => j.text).join(' ')}${whereText}`,
    params: [...joins.flatMap((j) => j.params), ...where.flatMap((s) => s.params)],
  };
}

/** `order_by contains duplicate fields` (an MlflowException without an error code). */
function duplicateOrderBy(orderBy: readonly string[]): MlflowError {
  return new MlflowError('INTERNAL_ERROR', `\`order_by\` contains duplicate fields: [${orderBy.map(pyRepr).join(', ')}]`);
}

/** Python's `seq[:stop]`. */
function headSlice<T>(items: readonly T[], stop: number): T[] {
  const end = stop < 0 ? Math.max(0, items.length + stop) : Math.min(items.length, stop);
  return items.slice(0, end);
}

/** Runs the query with `LIMIT max_results + 1` (and the offset when a page token was given). */
function runPage<R>(
  target: RegistrySearchTarget,
  columns: string,
  from: Sql,
  orderSql: string,
  maxResults: number,
  pageToken: string | null | undefined,
  offset: number,
): { rows: R[]; token: string | null } {
  const limit = maxResults + 1;
  let sql = `SELECT ${columns} ${from.text} ORDER BY ${orderSql} LIMIT ?`;
  const params: Bound[] = [...from.params, BigInt(limit)];
  if (pageToken) {
    sql += ' OFFSET ?';
    params.push(BigInt(offset));
  }
  for (const p of params) {
    if (Array.isArray(p)) throw tupleBindingError();
    if (typeof p === 'bigint' && (p < INT64_MIN || p > INT64_MAX)) {
      throw new MlflowError('INTERNAL_ERROR', 'Python int too large to convert to SQLite INTEGER');
    }
  }
  const rows = target.db.prepare(sql).all(...(params as (string | bigint)[])) as R[];
  const token = rows.length === limit ? createPageToken(offset + maxResults) : null;
  return { rows: headSlice(rows, maxResults), token };
}

/**
 * `SqlAlchemyStore.search_registered_models` (the client's prompt exclusion added first, as
 * `MlflowClient.search_registered_models` does): the names of one page, in order, and the token.
 *
 * @example
 * ```ts
 * const { names, token } = searchRegisteredModelNames({ db, workspaces: true }, { filterString: "name LIKE 'ir%'" });
 * ```
 */
export function searchRegisteredModelNames(target: RegistrySearchTarget, options: RegistrySqlSearchOptions): { names: string[]; token: string | null } {
  const maxResults = options.maxResults ?? RM_DEFAULT;
  if (maxResults > RM_THRESHOLD) {
    throw invalidParameter(`Invalid value for request parameter max_results. It must be at most ${RM_THRESHOLD}, but got value ${maxResults}`);
  }
  const filters = parseRegisteredModelFilter(addPromptFilter(options.filterString));

  // _parse_search_registered_models_order_by
  const orderBy = options.orderBy ?? [];
  const clauses: string[] = [];
  const observed = new Set<string>();
  for (const o of orderBy) {
    const { token, ascending } = orderByString(o);
    const key = pyStrip(token);
    let field: string;
    if (key === 'name') field = 'name';
    else if (key === 'timestamp' || key === 'last_updated_timestamp') field = 'last_updated_time';
    else throw invalidParameter(`Invalid order by key '${key}' specified.Valid keys are '{'name', 'timestamp'}'`);
    if (observed.has(field)) throw duplicateOrderBy(orderBy);
    observed.add(field);
    clauses.push(`m.${field} ${ascending ? 'ASC' : 'DESC'}`);
  }
  if (!observed.has('name')) clauses.push('m.name ASC');
  const offset = parseStartOffset(options.pageToken);

  // _get_search_registered_model_filter_query
  const attributeFilters: Sql[] = [];
  const tagFilters: TagFilters = new Map();
  for (const f of filters) {
    if (f.type === 'attribute') {
      if (f.key !== 'name') throw invalidParameter(`Invalid attribute name: ${f.key}`);
      if (!['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(f.comparator)) {
        throw invalidParameter(`Invalid comparator for attribute: ${f.comparator}`);
      }
      attributeFilters.push(comparison('m.name', f.comparator, stringValue(f.value)));
    } else {
      addTagFilter(tagFilters, f);
    }
  }
  const from = buildQuery(target, filters, attributeFilters, tagFilters, 'registered_models', 'registered_model_tags', ['name']);
  const page = runPage<{ name: string }>(target, 'm.name', from, clauses.join(', '), maxResults, options.pageToken, offset);
  return { names: page.rows.map((r) => r.name), token: page.token };
}

const MV_ORDER_FIELDS: Record<string, string> = {
  name: 'name',
  version_number: 'version',
  creation_timestamp: 'creation_time',
  last_updated_timestamp: 'last_updated_time',
};

/** Python's `int(value)` of a filter value for a numeric attribute, or why it fails. */
function numericValue(key: string, v: FilterValue): bigint {
  const bad = (shown: string): MlflowError => invalidParameter(`Invalid value for numeric attribute '${key}': ${shown}`);
  if (v.kind === 'number') {
    if (!v.integer) throw bad(String(pyFloat(v.raw)));
    const b = pyIntFromString(v.raw);
    if (b === null) throw bad(v.raw);
    return b;
  }
  if (v.kind === 'string') {
    const b = pyIntFromString(v.value);
    if (b === null) throw bad(pyRepr(v.value));
    return b;
  }
  throw bad(String(v.kind));
}

/**
 * `SqlAlchemyStore.search_model_versions`: the `(name, version)` of one page, in order, and the
 * token. `columns` are the `model_versions` columns to return (aliased `m`).
 *
 * @example
 * ```ts
 * const { rows } = searchModelVersionRows({ db, workspaces: true }, 'm.name, m.version', { filterString: "run_id = 'abc'" });
 * ```
 */
export function searchModelVersionRows<R>(target: RegistrySearchTarget, columns: string, options: RegistrySqlSearchOptions): { rows: R[]; token: string | null } {
  const maxResults = options.maxResults ?? MV_DEFAULT;
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw invalidParameter(`Invalid value for max_results. It must be a positive integer, but got ${maxResults}`);
  }
  if (maxResults > MV_THRESHOLD) {
    throw invalidParameter(`Invalid value for request parameter max_results. It must be at most ${MV_THRESHOLD}, but got value ${maxResults}`);
  }
  const filters = parseModelVersionFilter(options.filterString ?? null);

  // _get_search_model_versions_filter_clauses
  const attributeFilters: Sql[] = [];
  const tagFilters: TagFilters = new Map();
  for (const f of filters) {
    if (f.type === 'attribute') {
      const key = f.key;
      if (!['name', 'version_number', 'run_id', 'source_path'].includes(key)) throw invalidParameter(`Invalid attribute name: ${key}`);
      let value: Bound;
      if (key === 'version_number') {
        if (!['>', '>=', '!=', '=', '<', '<='].includes(f.comparator)) {
          throw invalidParameter(`Invalid comparator for attribute ${key}: ${f.comparator}`);
        }
        value = numericValue(key, f.value);
      } else {
        if (!['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(f.comparator) || ((f.comparator === 'IN' || f.comparator === 'NOT IN') && key !== 'run_id' && key !== 'name')) {
          throw invalidParameter(`Invalid comparator for attribute: ${f.comparator}`);
        }
        value = stringValue(f.value);
      }
      const column = key === 'source_path' ? 'source' : key === 'version_number' ? 'version' : key;
      attributeFilters.push(comparison(`m.${column}`, f.comparator, value));
    } else {
      addTagFilter(tagFilters, f);
    }
  }
  const live: Sql = { text: 'm.current_stage != ?', params: [STAGE_DELETED_INTERNAL] };
  const from = buildQuery(target, filters, attributeFilters, tagFilters, 'model_versions', 'model_version_tags', ['name', 'version'], [live]);

  // _parse_search_model_versions_order_by
  const orderBy = options.orderBy && options.orderBy.length > 0 ? options.orderBy : ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];
  const clauses: string[] = [];
  const observed = new Set<string>();
  for (const o of orderBy) {
    const { token, ascending } = orderByString(o);
    const id = experimentIdentifier(pyStrip(token), new Set(Object.keys(MV_ORDER_FIELDS)), 0);
    const field = MV_ORDER_FIELDS[id.key];
    if (field === undefined) {
      throw invalidParameter(`Invalid order by key '${id.key}' specified. Valid keys are {'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}`);
    }
    if (observed.has(field)) throw duplicateOrderBy(orderBy);
    observed.add(field);
    clauses.push(`m.${field} ${ascending ? 'ASC' : 'DESC'}`);
  }
  if (!observed.has('name')) clauses.push('m.name ASC');
  if (!observed.has('version')) clauses.push('m.version DESC');
  const offset = parseStartOffset(options.pageToken);

  return runPage<R>(target, columns, from, clauses.join(', '), maxResults, options.pageToken, offset);
}
