/**
 * Typed syntax trees for MLflow search filters and order_by clauses.
 *
 * The trees are produced by `parse.ts` and consumed by `evaluate.ts` (in memory) or, later, by a
 * SQL compiler. They keep the information MLflow keeps after `SearchUtils.parse_search_filter`:
 * the key type, the key (aliases such as `created` are kept as written), the comparator *as
 * written* (MLflow validates comparators per key type lazily, while evaluating) and the value.
 *
 * @example
 * ```ts
 * import type { RunFilter } from './ast.js';
 * const f: RunFilter = [
 *   { type: 'metric', key: 'loss', comparator: '<', value: { kind: 'number', raw: '0.5', integer: false }, position: 0 },
 * ];
 * ```
 */

/**
 * Entity type of a run filter / order_by key (MLflow's `parameter` is spelled `param` here).
 *
 * @example
 * ```ts
 * const t: RunKeyType = 'metric';
 * ```
 */
export type RunKeyType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

/**
 * A Python value found in an `IN (...)` list (`ast.literal_eval` result): MLflow accepts only
 * strings, other kinds are kept so the rejection can name them.
 *
 * @example
 * ```ts
 * const v: PyLiteral = 'abc';
 * ```
 */
export type PyLiteral = string | number | boolean | null | { bytes: string } | PyLiteral[];

/**
 * The right-hand side of a comparison.
 *
 * - `string`: a quoted string, quotes stripped, **no unescaping** (`'it''s'` → `it''s`).
 * - `number`: a numeric token as written (`raw`), `integer` when sqlparse lexed it as an integer.
 * - `list`: a parenthesised list (`IN`, `NOT IN`, or `= (...)`), already checked to be strings.
 * - `null`: `IS NULL` / `IS NOT NULL` have no value.
 *
 * @example
 * ```ts
 * const v: FilterValue = { kind: 'list', values: ['a', 'b'] };
 * ```
 */
export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string; integer: boolean }
  | { kind: 'list'; values: string[] }
  | { kind: 'null' };

/**
 * One `<key> <comparator> <value>` clause.
 *
 * @example
 * ```ts
 * const c: FilterClause<RunKeyType> = {
 *   type: 'param', key: 'lr', comparator: '=', value: { kind: 'string', value: '0.1' }, position: 0,
 * };
 * ```
 */
export interface FilterClause<T extends string> {
  type: T;
  /** Key as MLflow keeps it (quotes/backticks removed; attribute aliases not yet translated). */
  key: string;
  /** Comparator as written (`like`, `=`, `NOT IN`, `IS NULL`...); compare case-insensitively. */
  comparator: string;
  value: FilterValue;
  /** 0-based character offset of the clause in the filter string. */
  position: number;
}

/**
 * A parsed run filter: clauses joined by AND (an empty list matches every run).
 *
 * @example
 * ```ts
 * const all: RunFilter = [];
 * ```
 */
export type RunFilter = FilterClause<RunKeyType>[];

/**
 * A parsed experiment filter (`attribute` keys: name, experiment_id, creation_time, last_update_time).
 *
 * @example
 * ```ts
 * const f: ExperimentFilter = [{ type: 'attribute', key: 'name', comparator: 'LIKE', value: { kind: 'string', value: 'exp%' }, position: 0 }];
 * ```
 */
export type ExperimentFilter = FilterClause<'attribute' | 'tag'>[];

/**
 * A parsed registered-model filter (`attribute` key: name).
 *
 * @example
 * ```ts
 * const f: RegisteredModelFilter = [{ type: 'tag', key: 'team', comparator: '=', value: { kind: 'string', value: 'a' }, position: 0 }];
 * ```
 */
export type RegisteredModelFilter = FilterClause<'attribute' | 'tag'>[];

/**
 * A parsed model-version filter (`attribute` keys: name, version_number, run_id, source_path).
 *
 * @example
 * ```ts
 * const f: ModelVersionFilter = [{ type: 'attribute', key: 'version_number', comparator: '>', value: { kind: 'number', raw: '2', integer: true }, position: 0 }];
 * ```
 */
export type ModelVersionFilter = FilterClause<'attribute' | 'tag'>[];

/**
 * One order_by element, e.g. `metrics.loss DESC`.
 *
 * @example
 * ```ts
 * const o: OrderByClause<RunKeyType> = { type: 'metric', key: 'loss', ascending: false };
 * ```
 */
export interface OrderByClause<T extends string> {
  type: T;
  key: string;
  ascending: boolean;
}

/**
 * Parsed run order_by list (applied last-to-first by a stable sort).
 *
 * @example
 * ```ts
 * const o: RunOrderBy = [{ type: 'attribute', key: 'start_time', ascending: true }];
 * ```
 */
export type RunOrderBy = OrderByClause<RunKeyType>[];

/**
 * Parsed experiment / registered-model / model-version order_by list, tie-breakers included
 * (MLflow appends `experiment_id DESC`, `name ASC`, `version DESC` as it does).
 *
 * @example
 * ```ts
 * const o: EntityOrderBy = [{ type: 'attribute', key: 'name', ascending: true }];
 * ```
 */
export type EntityOrderBy = OrderByClause<'attribute'>[];
