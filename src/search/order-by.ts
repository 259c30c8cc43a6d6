/**
 * `order_by` clauses of run, experiment, registered model and model version searches, as MLflow
 * 3.17 parses them.
 *
 * @example
 * ```ts
 * parseRunOrderBy(['metrics.loss DESC']);
 * ```
 * @module
 */
import { MlflowError, invalidParameter } from '../errors.js';
import type { EntityOrderBy, RunOrderBy } from './ast.js';
import { pyStrip, shlexSplit } from '../format/python.js';
import { type Parsed, SqlParseError, type Tok, isWs, sqlparse } from './sqlparse.js';
import { simpleOrderBy } from './simple-filter.js';
import { EXPERIMENT_ATTRIBUTES, RUN_ORDER_BY_ATTRIBUTES, experimentIdentifier, runIdentifier } from './filter.js';

// ---------------------------------------------------------------------------------------------
// order_by
// ---------------------------------------------------------------------------------------------

/** `_validate_order_by_and_generate_token` + `_parse_order_by_string`. */
export function orderByString(orderBy: string): { token: string; ascending: boolean } {
  const bad = (): MlflowError => invalidParameter(`Invalid order_by clause '${orderBy}'. Could not be parsed.`, { position: 0 });
  let parsed: Parsed;
  try {
    parsed = sqlparse(orderBy);
  } catch (e) {
    if (e instanceof SqlParseError) throw invalidParameter(`Error on parsing order_by clause '${orderBy}'`, { position: 0 });
    throw e;
  }
  if (parsed.count !== 1) throw bad();
  const toks = parsed.stmt.tokens;
  const isTs = (t: Tok | undefined): boolean => !!t && t.ttype === 'Name.Builtin' && t.value === 'timestamp';
  let tokenValue: string;
  if (toks.length === 1 && toks[0]!.cls === 'Identifier') tokenValue = toks[0]!.value;
  else if (toks.length === 1 && isTs(toks[0])) tokenValue = 'timestamp';
  else if (isTs(toks[0]) && toks.slice(1, -1).every(isWs) && toks[toks.length - 1]!.ttype === 'Keyword.Order') {
    tokenValue = 'timestamp ' + toks[toks.length - 1]!.value;
  } else throw bad();
  let ascending = true;
  const parts = shlexSplit(tokenValue.replace(/`/g, '"'));
  if (parts.length > 2) throw bad();
  if (parts.length === 2) {
    const order = parts[1]!.toLowerCase();
    if (order !== 'asc' && order !== 'desc') throw invalidParameter(`Invalid ordering key in order_by clause '${orderBy}'.`, { position: 0 });
    ascending = order === 'asc';
    tokenValue = parts[0]!;
  }
  return { token: tokenValue, ascending };
}

/**
 * Parses one `search_runs` order_by element (`parse_order_by_for_search_runs`).
 *
 * @example
 * ```ts
 * parseRunOrderByClause('metrics.`val loss` DESC'); // { type: 'metric', key: 'val loss', ascending: false }
 * ```
 */
export function parseRunOrderByClause(orderBy: string): RunOrderBy[number] {
  // An element of the simple grammar skips sqlparse (the same result, see simple-filter.ts).
  const { token, ascending } = simpleOrderBy(orderBy) ?? orderByString(orderBy);
  const id = runIdentifier(pyStrip(token), RUN_ORDER_BY_ATTRIBUTES, 0);
  return { ...id, ascending };
}

/**
 * Parses a `search_runs` order_by list. Like MLflow, elements are parsed last-to-first, so the
 * error reported for several bad elements is the one about the last.
 *
 * @example
 * ```ts
 * parseRunOrderBy(['params.model', 'metrics.loss DESC']);
 * ```
 */
export function parseRunOrderBy(orderBy: readonly string[] | null | undefined): RunOrderBy {
  const list = orderBy ?? [];
  const out: RunOrderBy = new Array(list.length);
  for (let i = list.length - 1; i >= 0; i--) out[i] = parseRunOrderByClause(list[i]!);
  return out;
}

export function entityOrderBy(
  orderBy: readonly string[],
  parseOne: (s: string) => { type: 'attribute' | 'tag'; key: string; ascending: boolean },
): EntityOrderBy {
  const out: EntityOrderBy = [];
  for (const s of orderBy) {
    const o = parseOne(s);
    if (o.type !== 'attribute') throw invalidParameter(`Invalid order_by entity: ${o.type}`, { position: 0 });
    out.push({ type: 'attribute', key: o.key, ascending: o.ascending });
  }
  return out;
}

/**
 * Parses a `search_experiments` order_by list, appending MLflow's tie-breaker
 * (`experiment_id DESC` unless experiment_id is present). Pass MLflow's default
 * (`['creation_time DESC', 'experiment_id ASC']`) yourself when the caller gave none.
 *
 * @example
 * ```ts
 * parseExperimentOrderBy(['name']); // name ASC, experiment_id DESC
 * ```
 */
export function parseExperimentOrderBy(orderBy: readonly string[]): EntityOrderBy {
  const out = entityOrderBy(orderBy, (s) => {
    const { token, ascending } = orderByString(s);
    return { ...experimentIdentifier(pyStrip(token), EXPERIMENT_ATTRIBUTES, 0), ascending };
  });
  if (!out.some((o) => o.key === 'experiment_id')) out.push({ type: 'attribute', key: 'experiment_id', ascending: false });
  return out;
}

/**
 * Parses a `search_registered_models` order_by list, appending the `name ASC` tie-breaker.
 *
 * @example
 * ```ts
 * parseRegisteredModelOrderBy(['last_updated_timestamp DESC']);
 * ```
 */
export function parseRegisteredModelOrderBy(orderBy: readonly string[] | null | undefined): EntityOrderBy {
  const valid = new Set(['name', 'creation_timestamp', 'last_updated_timestamp']);
  const out = entityOrderBy(orderBy ?? [], (s) => {
    const { token, ascending } = orderByString(s);
    return { ...experimentIdentifier(pyStrip(token), valid, 0), ascending };
  });
  if (!out.some((o) => o.key === 'name')) out.push({ type: 'attribute', key: 'name', ascending: true });
  return out;
}

/**
 * Parses a `search_model_versions` order_by list (`version_number` → `version`), appending the
 * tie-breakers `name ASC` and `version DESC` exactly as MLflow does (the latter always, since
 * MLflow looks for `version_number` after renaming it).
 *
 * @example
 * ```ts
 * parseModelVersionOrderBy(['last_updated_timestamp DESC', 'name ASC', 'version_number DESC']);
 * ```
 */
export function parseModelVersionOrderBy(orderBy: readonly string[] | null | undefined): EntityOrderBy {
  const valid = new Set(['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp']);
  const out = entityOrderBy(orderBy ?? [], (s) => {
    const { token, ascending } = orderByString(s);
    const id = experimentIdentifier(pyStrip(token), valid, 0);
    return { ...id, key: id.type === 'attribute' && id.key === 'version_number' ? 'version' : id.key, ascending };
  });
  if (!out.some((o) => o.key === 'name')) out.push({ type: 'attribute', key: 'name', ascending: true });
  if (!out.some((o) => o.key === 'version_number')) out.push({ type: 'attribute', key: 'version', ascending: false });
  return out;
}
