/**
 * The filter rules of MLflow 3.17's `SearchUtils`, `SearchExperimentsUtils`, `SearchModelUtils` and
 * `SearchModelVersionUtils`: which identifiers, comparators and values each search accepts, read
 * from the sqlparse token tree, with MLflow's messages.
 *
 * @example
 * ```ts
 * parseRunFilter("metrics.loss < 0.5 and params.model = 'cnn'");
 * ```
 * @module
 */
import { MlflowError, invalidParameter } from '../errors.js';
import type { ExperimentFilter, FilterClause, FilterValue, ModelVersionFilter, PyLiteral, RegisteredModelFilter, RunFilter, RunKeyType } from './ast.js';
import { pyRepr } from '../format/python.js';
import { type Parsed, SqlParseError, type Tok, isWs, joinInComparison, sqlparse, tmatch } from './sqlparse.js';
import { PySyntaxError, PyValueError, literalEval, pyLiteralRepr, pySetRepr } from './literal-eval.js';
import { simpleRunComparisons } from './simple-filter.js';
import { ENTITY_ALIASES } from './entity-aliases.js';

/** `SearchUtils._parse_list_from_sql_token` + `_check_valid_identifier_list`. */
export function parseList(token: Tok): string[] {
  let parsed: PyLiteral | { tuple: PyLiteral[] };
  try {
    parsed = literalEval(token.value);
  } catch (e) {
    if (e instanceof PySyntaxError) {
      throw invalidParameter(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
        { position: token.pos },
      );
    }
    if (e instanceof PyValueError) {
      throw new MlflowError('INTERNAL_ERROR', `ValueError: malformed node or string in ${token.value}`, { position: token.pos });
    }
    throw e;
  }
  const tup: PyLiteral[] = parsed !== null && typeof parsed === 'object' && 'tuple' in parsed ? parsed.tuple : [parsed as PyLiteral];
  if (tup.length === 0) {
    throw invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
      { position: token.pos },
    );
  }
  if (!tup.every((x) => typeof x === 'string')) {
    throw invalidParameter(
      'While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (' +
        tup.map(pyLiteralRepr).join(', ') +
        (tup.length === 1 ? ',)' : ')'),
      { position: token.pos },
    );
  }
  return tup as string[];
}

// ---------------------------------------------------------------------------------------------
// MLflow's SearchUtils family
// ---------------------------------------------------------------------------------------------

export const isQuoted = (v: string, q: string): boolean => v.length >= 2 && v.startsWith(q) && v.endsWith(q);
export const trimEnds = (v: string): string => [...v].slice(1, -1).join('');
export const trimBackticks = (v: string): string => (isQuoted(v, '`') ? trimEnds(v) : v);

export function stripQuotes(value: string, expectQuoted: boolean, position: number): string {
  if (isQuoted(value, "'") || isQuoted(value, '"')) return trimEnds(value);
  if (expectQuoted) {
    throw invalidParameter(
      `Parameter value is either not quoted or unidentified quote types used for string value ${value}. Use either single or double quotes.`,
      { position },
    );
  }
  return value;
}

/** Python `str.split('.', 1)`. */
export function splitFirstDot(s: string): string[] {
  const i = s.indexOf('.');
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

export const RUN_NUMERIC_ATTRIBUTES = new Set(['start_time', 'end_time', 'created', 'Created']);
export const RUN_SEARCH_ATTRIBUTES = new Set([
  'artifact_uri',
  'end_time',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
  'created',
  'Created',
  'run name',
  'Run name',
  'Run Name',
]);
export const RUN_ORDER_BY_ATTRIBUTES = new Set([
  'artifact_uri',
  'end_time',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
  'created',
  'Created',
]);
export const DATASET_ATTRIBUTES = new Set(['name', 'digest', 'context']);
export { ENTITY_ALIASES };
/** The names MLflow uses for key types in its messages. */
export const PY_TYPE_NAME: Record<RunKeyType, string> = {
  metric: 'metric',
  param: 'parameter',
  tag: 'tag',
  attribute: 'attribute',
  dataset: 'dataset',
};

export function validEntityType(entityType: string, position: number): RunKeyType {
  const e = trimBackticks(entityType);
  const t = Object.prototype.hasOwnProperty.call(ENTITY_ALIASES, e) ? ENTITY_ALIASES[e] : undefined;
  if (t === undefined) {
    throw invalidParameter(
      `Invalid entity type '${e}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`,
      { position },
    );
  }
  return t;
}

/** `SearchUtils._get_identifier`. */
export function runIdentifier(identifier: string, validAttributes: Set<string>, position: number): { type: RunKeyType; key: string } {
  const parts = splitFirstDot(identifier);
  let type: RunKeyType;
  let key: string;
  if (parts.length === 1) {
    key = parts[0]!;
    type = validEntityType('attribute', position);
  } else {
    type = validEntityType(parts[0]!, position);
    key = parts[1]!;
  }
  key = trimBackticks(stripQuotes(key, false, position));
  if (type === 'attribute' && !validAttributes.has(key)) {
    throw invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${pySetRepr(validAttributes)}'`, { position });
  }
  if (type === 'dataset' && !DATASET_ATTRIBUTES.has(key)) {
    throw invalidParameter(`Invalid dataset key '${key}' specified. Valid keys are '${pySetRepr(DATASET_ATTRIBUTES)}'`, { position });
  }
  return { type, key };
}

export const isStringTok = (t: Tok): boolean => t.ttype === 'Literal.String.Single' || t.cls === 'Identifier';
export const isNumberTok = (t: Tok): boolean => t.ttype === 'Literal.Number.Integer' || t.ttype === 'Literal.Number.Float';
export const numberValue = (t: Tok): FilterValue => ({ kind: 'number', raw: t.value, integer: t.ttype === 'Literal.Number.Integer' });

export function validateListSupported(key: string, supported: string[], position: number): void {
  if (!supported.includes(key)) {
    throw invalidParameter(
      `Only ${'[' + [...supported].sort().map(pyRepr).join(', ') + ']'} attributes support comparison with a list of quoted string values.`,
      { position },
    );
  }
}

/** `SearchUtils._get_value` (runs and experiments). */
export function baseValue(
  type: RunKeyType,
  key: string,
  token: Tok,
  numericAttributes: Set<string>,
  listSupported: string[],
): FilterValue {
  const pos = token.pos;
  if (type === 'metric') {
    if (!isNumberTok(token)) throw invalidParameter(`Expected numeric value type for metric. Found ${token.value}`, { position: pos });
    return numberValue(token);
  }
  if (type === 'param' || type === 'tag') {
    if (isStringTok(token)) return { kind: 'string', value: stripQuotes(token.value, true, pos) };
    throw invalidParameter(
      `Expected a quoted string value for ${PY_TYPE_NAME[type]} (e.g. 'my-value'). Got value ${token.value}`,
      { position: pos },
    );
  }
  if (type === 'attribute') {
    if (numericAttributes.has(key)) {
      if (!isNumberTok(token)) {
        throw invalidParameter(`Expected numeric value type for numeric attribute: ${key}. Found ${token.value}`, { position: pos });
      }
      return numberValue(token);
    }
    if (isStringTok(token)) return { kind: 'string', value: stripQuotes(token.value, true, pos) };
    if (token.cls === 'Parenthesis') {
      validateListSupported(key, listSupported, pos);
      return { kind: 'list', values: parseList(token) };
    }
    throw invalidParameter(`Expected a quoted string value for attributes. Got value ${token.value}`, { position: pos });
  }
  // dataset
  if (DATASET_ATTRIBUTES.has(key) && isStringTok(token)) return { kind: 'string', value: stripQuotes(token.value, true, pos) };
  if (token.cls === 'Parenthesis') return { kind: 'list', values: parseList(token) };
  throw invalidParameter(`Expected a quoted string value for dataset attributes. Got value ${token.value}`, { position: pos });
}

export function strippedOf(comparison: Tok): Tok[] {
  return comparison.tokens.filter((t) => !isWs(t));
}

/** `SearchUtils._validate_comparison`. */
export function validateComparison(tokens: Tok[], position: number): void {
  if (tokens.length === 2) {
    const comparator = tokens[1]!.value.toUpperCase();
    if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') {
      if (tokens[0]!.cls !== 'Identifier') {
        throw invalidParameter(`Invalid comparison clause. Expected 'Identifier' found '${tokens[0]!.value}'`, { position });
      }
      return;
    }
  }
  if (tokens.length !== 3) throw invalidParameter(`Invalid comparison clause. Expected 3 tokens found ${tokens.length}`, { position });
  if (tokens[0]!.cls !== 'Identifier') {
    throw invalidParameter(`Invalid comparison clause. Expected 'Identifier' found '${tokens[0]!.value}'`, { position });
  }
}

export type Flavor = 'runs' | 'experiments' | 'models' | 'versions';

/** `parse_search_filter` + `_process_statement`: the comparison groups of a filter. */
export function filterComparisons(filter: string, flavor: Flavor): Tok[] {
  let parsed: Parsed;
  try {
    parsed = sqlparse(filter);
  } catch (e) {
    if (e instanceof SqlParseError) throw invalidParameter(`Error on parsing filter '${filter}'`, { position: 0 });
    throw e;
  }
  if (parsed.count === 0) throw invalidParameter(`Invalid filter '${filter}'. Could not be parsed.`, { position: 0 });
  if (parsed.count > 1) {
    throw invalidParameter(`Search filter contained multiple expression ${pyRepr(filter)}. Provide AND-ed expression list.`, {
      position: 0,
    });
  }
  const tokens = joinInComparison(parsed.stmt.tokens);
  const invalids = tokens.filter((t) => !(t.cls === 'Comparison' || isWs(t) || tmatch(t, 'Keyword', ['AND'])));
  if (invalids.length > 0) {
    const list = invalids.map((t) => (flavor === 'runs' ? `'${t.value}'` : t.value)).join(', ');
    throw invalidParameter(`Invalid clause(s) in filter string: ${list}`, { position: invalids[0]!.pos });
  }
  return tokens.filter((t) => t.cls === 'Comparison');
}

/**
 * Parses a `search_runs` filter string exactly as MLflow 3.17's `SearchUtils.parse_search_filter`.
 * An empty string (or undefined) matches everything. Comparators are validated per key type by
 * the evaluator, lazily, as MLflow does.
 *
 * @example
 * ```ts
 * parseRunFilter("params.lr = '0.1' AND attributes.status != 'FAILED'");
 * // [{ type: 'param', key: 'lr', comparator: '=', value: { kind: 'string', value: '0.1' }, position: 0 }, ...]
 * ```
 */
export function parseRunFilter(filter: string | null | undefined): RunFilter {
  if (!filter) return [];
  // A filter of the simple grammar skips sqlparse (the same tokens, see simple-filter.ts).
  const comparisons = simpleRunComparisons(filter) ?? filterComparisons(filter, 'runs').map((c) => ({ stripped: strippedOf(c), position: c.pos }));
  return comparisons.map(({ stripped, position }) => {
    validateComparison(stripped, position);
    if (stripped.length === 2) {
      const comparator = stripped[1]!.value.toUpperCase();
      const id = runIdentifier(stripped[0]!.value, RUN_SEARCH_ATTRIBUTES, position);
      if (id.type !== 'tag' && id.type !== 'param') {
        throw invalidParameter(
          `IS NULL / IS NOT NULL is only supported for tags and params, not for '${PY_TYPE_NAME[id.type]}' '${id.key}'`,
          { position },
        );
      }
      return { ...id, comparator, value: { kind: 'null' }, position };
    }
    const id = runIdentifier(stripped[0]!.value, RUN_SEARCH_ATTRIBUTES, position);
    const value = baseValue(id.type, id.key, stripped[2]!, RUN_NUMERIC_ATTRIBUTES, ['run_id']);
    return { ...id, comparator: stripped[1]!.value, value, position };
  });
}

export const EXPERIMENT_ATTRIBUTES = new Set(['name', 'experiment_id', 'creation_time', 'last_update_time']);
export const EXPERIMENT_NUMERIC = new Set(['creation_time', 'last_update_time']);

/** `SearchExperimentsUtils._get_identifier` (also used for registry order_by). */
/** `<entity>.<key>` of the experiment and registry grammars: entity `attribute` (default), `tag` or `tags`. */
export function entityAndKey(identifier: string, position: number): { type: 'attribute' | 'tag'; key: string } {
  const parts = splitFirstDot(identifier);
  if (parts.length === 1) return { type: 'attribute', key: parts[0]! };
  const entity = parts[0]!;
  if (!['attribute', 'tag', 'tags'].includes(entity)) {
    throw invalidParameter(`Invalid entity type '${entity}'. Valid entity types are ('attribute', 'tag', 'tags')`, { position });
  }
  return { type: entity === 'attribute' ? 'attribute' : 'tag', key: parts[1]! };
}

export function experimentIdentifier(identifier: string, valid: Set<string>, position: number): { type: 'attribute' | 'tag'; key: string } {
  const { type, key: raw } = entityAndKey(identifier, position);
  const key = trimBackticks(stripQuotes(raw, false, position));
  if (type === 'attribute' && !valid.has(key)) {
    throw invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${pySetRepr(valid)}'`, { position });
  }
  return { type, key };
}

/**
 * Parses a `search_experiments` filter as `SearchExperimentsUtils.parse_search_filter`.
 *
 * @example
 * ```ts
 * parseExperimentFilter("name LIKE 'exp%' AND tags.team = 'a'");
 * ```
 */
export function parseExperimentFilter(filter: string | null | undefined): ExperimentFilter {
  if (!filter) return [];
  return filterComparisons(filter, 'experiments').map((comparison) => {
    const stripped = strippedOf(comparison);
    const position = comparison.pos;
    validateComparison(stripped, position);
    if (stripped.length === 2) {
      const comparator = stripped[1]!.value.toUpperCase();
      const id = experimentIdentifier(stripped[0]!.value, EXPERIMENT_ATTRIBUTES, position);
      if (id.type !== 'tag') {
        throw invalidParameter(`IS NULL / IS NOT NULL is only supported for tags, not for attribute '${id.key}'`, { position });
      }
      return { ...id, comparator, value: { kind: 'null' } as FilterValue, position };
    }
    const id = experimentIdentifier(stripped[0]!.value, EXPERIMENT_ATTRIBUTES, position);
    const value = baseValue(id.type, id.key, stripped[2]!, EXPERIMENT_NUMERIC, ['experiment_id']);
    return { ...id, comparator: stripped[1]!.value, value, position };
  });
}

/** `_get_model_search_identifier` / `_get_model_version_search_identifier`. */
export function registryIdentifier(identifier: string, valid: Set<string>, position: number): { type: 'attribute' | 'tag'; key: string } {
  // Unlike the experiment grammar, the key is checked before its quotes are stripped (as MLflow).
  const { type, key } = entityAndKey(identifier, position);
  if (type === 'attribute' && !valid.has(key)) {
    throw invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${pySetRepr(valid)}'`, { position });
  }
  return { type, key: trimBackticks(stripQuotes(key, false, position)) };
}

export function registryComparisons(
  filter: string,
  flavor: 'models' | 'versions',
  valid: Set<string>,
  valueOf: (type: 'attribute' | 'tag', key: string, token: Tok) => FilterValue,
): FilterClause<'attribute' | 'tag'>[] {
  return filterComparisons(filter, flavor).map((comparison) => {
    const stripped = strippedOf(comparison);
    const position = comparison.pos;
    validateComparison(stripped, position);
    if (stripped.length !== 3) {
      // Python: `left, comparator, right = stripped_comparison` raises ValueError.
      throw new MlflowError('INTERNAL_ERROR', 'ValueError: not enough values to unpack (expected 3, got 2)', { position });
    }
    const id = registryIdentifier(stripped[0]!.value, valid, position);
    return { ...id, comparator: stripped[1]!.value.toUpperCase(), value: valueOf(id.type, id.key, stripped[2]!), position };
  });
}

export function registryStringValue(type: 'attribute' | 'tag', token: Tok): FilterValue | null {
  if (isStringTok(token)) return { kind: 'string', value: stripQuotes(token.value, true, token.pos) };
  if (type === 'tag') {
    throw invalidParameter(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${token.value}`, { position: token.pos });
  }
  return null;
}

/**
 * Parses a `search_registered_models` filter as `SearchModelUtils.parse_search_filter`.
 * (The prompt exclusion clause is added by `searchRegisteredModelsInMemory`, not here.)
 *
 * @example
 * ```ts
 * parseRegisteredModelFilter("name ILIKE '%bert%'");
 * ```
 */
export function parseRegisteredModelFilter(filter: string | null | undefined): RegisteredModelFilter {
  if (!filter) return [];
  return registryComparisons(filter, 'models', new Set(['name']), (type, key, token) => {
    const s = registryStringValue(type, token);
    if (s) return s;
    if (token.cls === 'Parenthesis') {
      validateListSupported(key, ['name'], token.pos);
      return { kind: 'list', values: parseList(token) };
    }
    throw invalidParameter(
      `Expected a quoted string value or a list of quoted string values for attributes. Got value ${token.value}`,
      { position: token.pos },
    );
  });
}

export const MV_NUMERIC = new Set(['version_number', 'creation_timestamp', 'last_updated_timestamp']);

/**
 * Parses a `search_model_versions` filter as `SearchModelVersionUtils.parse_search_filter`.
 *
 * @example
 * ```ts
 * parseModelVersionFilter("name = 'm' AND version_number >= 2");
 * ```
 */
export function parseModelVersionFilter(filter: string | null | undefined): ModelVersionFilter {
  if (!filter) return [];
  return registryComparisons(filter, 'versions', new Set(['name', 'version_number', 'run_id', 'source_path']), (type, key, token) => {
    const s = registryStringValue(type, token);
    if (s) return s;
    if (token.cls === 'Parenthesis') {
      validateListSupported(key, ['name', 'run_id'], token.pos);
      return { kind: 'list', values: parseList(token) };
    }
    if (isNumberTok(token)) {
      if (!MV_NUMERIC.has(key)) {
        throw invalidParameter(
          `Only the '${pySetRepr(MV_NUMERIC)}' attributes support comparison with numeric values.`,
          { position: token.pos },
        );
      }
      return numberValue(token);
    }
    throw invalidParameter(
      `Expected a quoted string value or a list of quoted string values for attributes. Got value ${token.value}`,
      { position: token.pos },
    );
  });
}
