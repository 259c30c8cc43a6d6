/**
 * In-memory evaluation of parsed search filters and order_by lists, replicating MLflow 3.17's
 * `SearchUtils.filter` / `sort` and their experiment and registry counterparts, including
 * MLflow's lazy validation: a comparator that is invalid for its key type is only rejected when
 * a clause is evaluated against an entity (so never when there is nothing to search).
 *
 * Errors that Python raises as plain exceptions (e.g. `TypeError` from `re.escape` on a list)
 * are thrown as `MlflowError('INTERNAL_ERROR')`.
 *
 * @example
 * ```ts
 * import { parseRunFilter, parseRunOrderBy } from './parse.js';
 * import { filterRuns, sortRuns } from './evaluate.js';
 * const page = sortRuns(filterRuns(runs, parseRunFilter("metrics.acc > 0.9")), parseRunOrderBy(['metrics.acc DESC']));
 * ```
 */
import { MlflowError, invalidParameter } from '../errors.js';
import type { Experiment, ModelVersion, RegisteredModel, Run } from '../entities.js';
import type {
  EntityOrderBy,
  ExperimentFilter,
  FilterValue,
  ModelVersionFilter,
  RegisteredModelFilter,
  RunFilter,
  RunOrderBy,
} from './ast.js';
import { pyFloat, pyIntFromString } from './parse.js';

// ---------------------------------------------------------------------------------------------
// LIKE / ILIKE
// ---------------------------------------------------------------------------------------------

/** Extra case equivalences of Python's `re` (sre_compile `_equivalences`). */
const EQUIVALENCES: number[][] = [
  [0x69, 0x131],
  [0x73, 0x17f],
  [0xb5, 0x3bc],
  [0x345, 0x3b9, 0x1fbe],
  [0x390, 0x1fd3],
  [0x3b0, 0x1fe3],
  [0x3b2, 0x3d0],
  [0x3b5, 0x3f5],
  [0x3b8, 0x3d1],
  [0x3ba, 0x3f0],
  [0x3c0, 0x3d6],
  [0x3c1, 0x3f1],
  [0x3c2, 0x3c3],
  [0x3c6, 0x3d5],
  [0x1e61, 0x1e9b],
  [0xfb05, 0xfb06],
];
const EQUIV_REP = new Map<number, number>();
for (const group of EQUIVALENCES) for (const cp of group) EQUIV_REP.set(cp, group[0]!);

function simpleLower(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  const l = String.fromCodePoint(cp).toLowerCase();
  return l.codePointAt(0) ?? cp;
}

function foldCase(cp: number): number {
  const l = simpleLower(cp);
  return EQUIV_REP.get(l) ?? EQUIV_REP.get(cp) ?? l;
}

/**
 * MLflow's `_like` / `_ilike`: `re.match` of `_convert_like_pattern_to_regex(pattern)`.
 * `%` is `.*`, `_` is `.` (neither matches `\n`), every other character is literal, the match is
 * anchored at the start and — unless the pattern ends with `%` — at the end, where Python's `$`
 * also matches just before a final `\n`. Runs in O(len(value) × len(pattern)) without
 * backtracking.
 *
 * @example
 * ```ts
 * likeMatch('abc\n', 'a_c', false); // true: `$` matches before the final newline
 * likeMatch('ÄBC', 'äb%', true);    // true
 * ```
 */
export function likeMatch(value: string, pattern: string, ignoreCase: boolean): boolean {
  return compileLike(pattern, ignoreCase)(value);
}

const LIKE_CACHE = new Map<string, (value: string) => boolean>();

function compileLike(pattern: string, ignoreCase: boolean): (value: string) => boolean {
  const cacheKey = (ignoreCase ? 'i' : 'c') + pattern;
  const cached = LIKE_CACHE.get(cacheKey);
  if (cached) return cached;
  const p = Array.from(pattern, (c) => c.codePointAt(0)!);
  const m = p.length;
  const PCT = 0x25;
  const US = 0x5f;
  const NL = 0x0a;
  const endsWithPct = pattern.endsWith('%');
  const pf = ignoreCase ? p.map(foldCase) : p;
  let cur = new Uint8Array(m + 1);
  let nxt = new Uint8Array(m + 1);
  const closure = (set: Uint8Array): void => {
    for (let j = 0; j < m; j++) if (set[j] && p[j] === PCT) set[j + 1] = 1;
  };
  const fn = (value: string): boolean => {
    const s = Array.from(value, (c) => c.codePointAt(0)!);
    const n = s.length;
    const accepts = (i: number): boolean => endsWithPct || i === n || (i === n - 1 && s[n - 1] === NL);
    cur.fill(0);
    cur[0] = 1;
    closure(cur);
    for (let i = 0; ; i++) {
      if (cur[m] && accepts(i)) return true;
      if (i === n) return false;
      const c = s[i]!;
      const cf = ignoreCase ? foldCase(c) : c;
      nxt.fill(0);
      let any = false;
      for (let j = 0; j < m; j++) {
        if (!cur[j]) continue;
        const pj = p[j]!;
        if (pj === PCT) {
          if (c !== NL) {
            nxt[j] = 1;
            any = true;
          }
        } else if (pj === US) {
          if (c !== NL) {
            nxt[j + 1] = 1;
            any = true;
          }
        } else if (pf[j] === cf) {
          nxt[j + 1] = 1;
          any = true;
        }
      }
      if (!any) return false;
      closure(nxt);
      [cur, nxt] = [nxt, cur];
    }
  };
  if (LIKE_CACHE.size >= 512) LIKE_CACHE.clear();
  LIKE_CACHE.set(cacheKey, fn);
  return fn;
}

// ---------------------------------------------------------------------------------------------
// Comparisons
// ---------------------------------------------------------------------------------------------

/**
 * Orders strings as Python does (by code point, not UTF-16 code unit).
 *
 * @example
 * ```ts
 * compareCodePoints('\u{1F600}', '\uFFFF'); // 1
 * ```
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const internal = (message: string): MlflowError => new MlflowError('INTERNAL_ERROR', message);

/** `SearchUtils.get_comparison_func(comparator)(lhs, value)` for a str left-hand side. */
function compareString(comparator: string, lhs: string, value: FilterValue): boolean {
  if (value.kind === 'string') {
    switch (comparator) {
      case '=':
        return lhs === value.value;
      case '!=':
        return lhs !== value.value;
      case 'LIKE':
        return likeMatch(lhs, value.value, false);
      case 'ILIKE':
        return likeMatch(lhs, value.value, true);
      case 'IN':
        return value.value.includes(lhs);
      case 'NOT IN':
        return !value.value.includes(lhs);
    }
  } else if (value.kind === 'list') {
    switch (comparator) {
      case '=':
        return false;
      case '!=':
        return true;
      case 'LIKE':
      case 'ILIKE':
        throw internal("TypeError: first argument must be string or compiled pattern (re.escape of a tuple)");
      case 'IN':
        return value.values.includes(lhs);
      case 'NOT IN':
        return !value.values.includes(lhs);
    }
  }
  throw internal(`TypeError: unsupported comparison ${comparator} for str`);
}

function applyOrder(comparator: string, c: number): boolean {
  switch (comparator) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
  throw internal(`unsupported comparator ${comparator}`);
}

/** Float comparison with Python/IEEE NaN semantics. */
function compareFloat(comparator: string, lhs: number, rhs: number): boolean {
  switch (comparator) {
    case '=':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '<':
      return lhs < rhs;
    case '<=':
      return lhs <= rhs;
    case '>':
      return lhs > rhs;
    case '>=':
      return lhs >= rhs;
  }
  throw internal(`unsupported comparator ${comparator}`);
}

/** Exact comparison of an integral number with a Python int. */
function compareIntBig(lhs: number, rhs: bigint): number {
  if (!Number.isFinite(lhs)) return lhs > 0 ? 1 : -1;
  if (!Number.isInteger(lhs)) {
    const f = Math.floor(lhs);
    const b = BigInt(f);
    return b < rhs ? -1 : 1;
  }
  const b = BigInt(lhs);
  return b < rhs ? -1 : b > rhs ? 1 : 0;
}

/** Python `int(token)` of a numeric token / value. */
function pyIntOfNumber(v: FilterValue): bigint {
  if (v.kind === 'number') {
    if (v.integer) {
      const b = pyIntFromString(v.raw);
      if (b === null) throw internal(`ValueError: invalid literal for int(): ${v.raw}`);
      return b;
    }
    const f = pyFloat(v.raw);
    if (!Number.isFinite(f)) throw internal('OverflowError: cannot convert float infinity to integer');
    return BigInt(Math.trunc(f));
  }
  if (v.kind === 'string') {
    const b = pyIntFromString(v.value);
    if (b === null) throw internal(`ValueError: invalid literal for int() with base 10: '${v.value}'`);
    return b;
  }
  throw internal('TypeError: int() argument must be a string, a bytes-like object or a real number');
}

function comparatorError(comparator: string, valid: readonly string[]): MlflowError {
  return invalidParameter(`Invalid comparator '${comparator}' not one of '{${valid.map((c) => `'${c}'`).join(', ')}}'`);
}

const METRIC_COMPARATORS = ['>', '>=', '!=', '=', '<', '<='];
const PARAM_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'];
const STRING_ATTRIBUTE_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const DATASET_COMPARATORS = STRING_ATTRIBUTE_COMPARATORS;
const REGISTRY_TAG_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE'];

function checkComparator(comparator: string, valid: readonly string[]): void {
  if (!valid.includes(comparator)) throw comparatorError(comparator, valid);
}

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

const RUN_NUMERIC = new Set(['start_time', 'end_time', 'created', 'Created']);

function translateKeyAlias(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

function runAttribute(run: Run, key: string): string | number | null {
  switch (key) {
    case 'run_id':
      return run.info.runId;
    case 'run_name':
      return run.info.runName;
    case 'status':
      return run.info.status;
    case 'user_id':
      return run.info.userId;
    case 'artifact_uri':
      return run.info.artifactUri;
    case 'start_time':
      return run.info.startTime;
    case 'end_time':
      return run.info.endTime;
    case 'experiment_id':
      return run.info.experimentId;
    case 'lifecycle_stage':
      return run.info.lifecycleStage;
  }
  throw internal(`AttributeError: 'RunInfo' object has no attribute '${key}'`);
}

const own = (o: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** `SearchUtils._does_run_match_clause`. */
function runMatchesClause(run: Run, clause: RunFilter[number]): boolean {
  const comparator = clause.comparator.toUpperCase();
  const key = translateKeyAlias(clause.key);
  const value = clause.value;
  switch (clause.type) {
    case 'metric': {
      checkComparator(comparator, METRIC_COMPARATORS);
      if (value.kind !== 'number') throw internal('TypeError: float() argument must be a string or a real number');
      const rhs = pyFloat(value.raw);
      if (!own(run.data.metrics, key)) return false;
      return compareFloat(comparator, run.data.metrics[key]!, rhs);
    }
    case 'param':
    case 'tag': {
      checkComparator(comparator, PARAM_COMPARATORS);
      const map = clause.type === 'param' ? run.data.params : run.data.tags;
      const present = own(map, key);
      if (comparator === 'IS NULL') return !present;
      if (comparator === 'IS NOT NULL') return present;
      if (!present) return false;
      return compareString(comparator, map[key]!, value);
    }
    case 'attribute': {
      if (!RUN_NUMERIC.has(key)) {
        checkComparator(comparator, STRING_ATTRIBUTE_COMPARATORS);
        const lhs = runAttribute(run, key);
        if (lhs === null) return false;
        if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') return comparator === 'IS NOT NULL';
        return compareString(comparator, String(lhs), value);
      }
      if (!METRIC_COMPARATORS.includes(comparator)) {
        throw invalidParameter(
          `Invalid comparator '${comparator}' not one of '{${STRING_ATTRIBUTE_COMPARATORS.map((c) => `'${c}'`).join(', ')}}`,
        );
      }
      const lhs = runAttribute(run, key) as number | null;
      if (lhs === null) return false;
      if (value.kind !== 'number') throw internal('TypeError: numeric attribute compared with a non-number');
      if (value.integer) return applyOrder(comparator, compareIntBig(lhs, pyIntOfNumber(value)));
      return compareFloat(comparator, lhs, pyFloat(value.raw));
    }
    case 'dataset': {
      checkComparator(comparator, DATASET_COMPARATORS);
      if (key === 'context') {
        for (const input of run.inputs.datasetInputs) {
          for (const tag of input.tags) {
            if (tag.key === 'mlflow.data.context' && compareString(comparator, tag.value, value)) return true;
          }
        }
        return false;
      }
      for (const input of run.inputs.datasetInputs) {
        const lhs = key === 'name' ? input.dataset.name : input.dataset.digest;
        if (compareString(comparator, lhs, value)) return true;
      }
      return false;
    }
  }
}

/**
 * `SearchUtils.filter`: keeps the runs matching every clause (clauses evaluated in order,
 * stopping at the first false one, so invalid comparators surface exactly when MLflow's do).
 *
 * @example
 * ```ts
 * filterRuns(runs, parseRunFilter("tags.mlflow.runName LIKE 'train%'"));
 * ```
 */
export function filterRuns(runs: readonly Run[], filter: RunFilter): Run[] {
  if (filter.length === 0) return [...runs];
  return runs.filter((run) => filter.every((c) => runMatchesClause(run, c)));
}

type SortVal = { rank: 0 | 1 | 2; v: string | number };

function runSortValue(run: Run, type: RunOrderBy[number]['type'], rawKey: string): SortVal {
  const key = translateKeyAlias(rawKey);
  let v: string | number | null | undefined;
  if (type === 'metric') v = own(run.data.metrics, key) ? run.data.metrics[key] : null;
  else if (type === 'param') v = own(run.data.params, key) ? run.data.params[key] : null;
  else if (type === 'tag') v = own(run.data.tags, key) ? run.data.tags[key] : null;
  else if (type === 'attribute') v = runAttribute(run, key);
  else throw invalidParameter(`Invalid order_by entity type '${type}'`);
  if (v === null || v === undefined) return { rank: 2, v: 0 };
  if (typeof v === 'number' && Number.isNaN(v)) return { rank: 1, v: 0 };
  return { rank: 0, v };
}

function compareValues(a: string | number, b: string | number): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  throw internal("TypeError: '<' not supported between instances of 'str' and 'float'");
}

/**
 * `SearchUtils.sort`: pre-sorts by `(-start_time, run_id)`, then applies the order_by clauses
 * last-to-first with a stable sort. In both directions real values come first (in the requested
 * order), then NaN, then missing values. Throws INTERNAL_ERROR, as Python raises TypeError, when
 * a run has no start_time.
 *
 * @example
 * ```ts
 * sortRuns(runs, parseRunOrderBy(['metrics.loss', 'params.seed DESC']));
 * ```
 */
export function sortRuns(runs: readonly Run[], orderBy: RunOrderBy): Run[] {
  for (const r of runs) {
    if (r.info.startTime === null || r.info.startTime === undefined) {
      throw internal("TypeError: bad operand type for unary -: 'NoneType'");
    }
  }
  let out = [...runs].sort((a, b) => {
    const sa = a.info.startTime!;
    const sb = b.info.startTime!;
    if (sa !== sb) return sb < sa ? -1 : 1;
    return compareCodePoints(a.info.runId, b.info.runId);
  });
  for (let i = orderBy.length - 1; i >= 0; i--) {
    const { type, key, ascending } = orderBy[i]!;
    if (out.length === 0) continue;
    const keyed = out.map((run) => ({ run, k: runSortValue(run, type, key) }));
    keyed.sort((x, y) => {
      if (x.k.rank !== y.k.rank) return x.k.rank - y.k.rank;
      if (x.k.rank !== 0) return 0;
      const c = compareValues(x.k.v, y.k.v);
      return ascending ? c : -c;
    });
    out = keyed.map((x) => x.run);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Experiments
// ---------------------------------------------------------------------------------------------

const EXPERIMENT_NUMERIC = new Set(['creation_time', 'last_update_time']);
const EXPERIMENT_TAG_COMPARATORS = ['!=', '=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'];

function experimentAttribute(e: Experiment, key: string): string | number | null {
  switch (key) {
    case 'name':
      return e.name;
    case 'experiment_id':
      return e.experimentId;
    case 'creation_time':
      return e.creationTime;
    case 'last_update_time':
      return e.lastUpdateTime;
  }
  throw internal(`AttributeError: 'Experiment' object has no attribute '${key}'`);
}

function experimentMatchesClause(e: Experiment, clause: ExperimentFilter[number]): boolean {
  const comparator = clause.comparator.toUpperCase();
  const { key, value } = clause;
  if (clause.type === 'attribute' && !EXPERIMENT_NUMERIC.has(key)) {
    checkComparator(comparator, STRING_ATTRIBUTE_COMPARATORS);
    return compareString(comparator, String(experimentAttribute(e, key)), value);
  }
  if (clause.type === 'attribute') {
    if (!METRIC_COMPARATORS.includes(comparator)) {
      throw invalidParameter(
        `Invalid comparator '${comparator}' not one of '{${STRING_ATTRIBUTE_COMPARATORS.map((c) => `'${c}'`).join(', ')}}`,
      );
    }
    const lhs = experimentAttribute(e, key) as number | null;
    if (value.kind !== 'number') throw internal('TypeError: float() argument must be a string or a real number');
    const rhs = pyFloat(value.raw);
    if (lhs === null) {
      if (comparator === '=') return false;
      if (comparator === '!=') return true;
      throw internal(`TypeError: '${comparator}' not supported between instances of 'NoneType' and 'float'`);
    }
    return compareFloat(comparator, lhs, rhs);
  }
  checkComparator(comparator, EXPERIMENT_TAG_COMPARATORS);
  const present = own(e.tags, key);
  if (comparator === 'IS NULL') return !present;
  if (comparator === 'IS NOT NULL') return present;
  if (!present) return false;
  return compareString(comparator, e.tags[key]!, value);
}

/**
 * `SearchExperimentsUtils.filter`.
 *
 * @example
 * ```ts
 * filterExperiments(exps, parseExperimentFilter("name LIKE 'a%'"));
 * ```
 */
export function filterExperiments(experiments: readonly Experiment[], filter: ExperimentFilter): Experiment[] {
  if (filter.length === 0) return [...experiments];
  return experiments.filter((e) => filter.every((c) => experimentMatchesClause(e, c)));
}

type Getter<T> = (item: T, key: string) => string | number | null;

/** Python `sorted(items, key=tuple of _Sorter/_Reversor)`, stable. */
function sortByKeys<T>(items: readonly T[], orderBy: EntityOrderBy, get: Getter<T>, rawAscending: boolean): T[] {
  const eq = (a: string | number | null, b: string | number | null): boolean => a === b;
  const lt = (a: string | number | null, b: string | number | null, asc: boolean): boolean => {
    if (asc && rawAscending) {
      if (a === null || b === null) {
        throw internal("TypeError: '<' not supported between instances of 'NoneType' and 'int'");
      }
      return compareValues(a, b) < 0;
    }
    if (a === null) return false;
    if (b === null) return true;
    return asc ? compareValues(a, b) < 0 : compareValues(b, a) < 0;
  };
  const keys = items.map((item) => orderBy.map((o) => get(item, o.key)));
  const idx = items.map((_, i) => i);
  idx.sort((i, j) => {
    const ki = keys[i]!;
    const kj = keys[j]!;
    for (let k = 0; k < orderBy.length; k++) {
      const a = ki[k]!;
      const b = kj[k]!;
      if (eq(a, b)) continue;
      const asc = orderBy[k]!.ascending;
      if (lt(a, b, asc)) return -1;
      if (lt(b, a, asc)) return 1;
      return 0;
    }
    return 0;
  });
  return idx.map((i) => items[i]!);
}

/**
 * `SearchExperimentsUtils.sort` (None last in both directions; experiment ids compare as strings).
 *
 * @example
 * ```ts
 * sortExperiments(exps, parseExperimentOrderBy(['creation_time DESC', 'experiment_id ASC']));
 * ```
 */
export function sortExperiments(experiments: readonly Experiment[], orderBy: EntityOrderBy): Experiment[] {
  return sortByKeys(experiments, orderBy, experimentAttribute, false);
}

// ---------------------------------------------------------------------------------------------
// Registered models and model versions
// ---------------------------------------------------------------------------------------------

const IS_PROMPT_TAG_KEY = 'mlflow.prompt.is_prompt';

function promptDefault(comparator: string, value: FilterValue): boolean {
  const v = value.kind === 'string' ? value.value : null;
  return (comparator === '=' && v === 'false') || (comparator === '!=' && v === 'true');
}

function registeredModelAttribute(m: RegisteredModel, key: string): string | number | null {
  switch (key) {
    case 'name':
      return m.name;
    case 'creation_timestamp':
      return m.creationTimestamp;
    case 'last_updated_timestamp':
      return m.lastUpdatedTimestamp;
  }
  throw internal(`AttributeError: 'RegisteredModel' object has no attribute '${key}'`);
}

function registeredModelMatchesClause(m: RegisteredModel, clause: RegisteredModelFilter[number]): boolean {
  const comparator = clause.comparator.toUpperCase();
  const { key, value } = clause;
  let lhs: string | null;
  if (clause.type === 'attribute') {
    if (key === 'creation_timestamp' || key === 'last_updated_timestamp') {
      throw internal('numeric registered model attributes are not searchable');
    }
    checkComparator(comparator, STRING_ATTRIBUTE_COMPARATORS);
    lhs = registeredModelAttribute(m, key) as string;
  } else {
    checkComparator(comparator, REGISTRY_TAG_COMPARATORS);
    lhs = own(m.tags, key) ? m.tags[key]! : null;
  }
  if (key === IS_PROMPT_TAG_KEY && lhs === null) return promptDefault(comparator, value);
  if (lhs === null) return false;
  return compareString(comparator, lhs, value);
}

/**
 * `SearchModelUtils.filter` (tags include reserved ones; models without
 * `mlflow.prompt.is_prompt` match `!= 'true'` and `= 'false'` on it).
 *
 * @example
 * ```ts
 * filterRegisteredModels(models, parseRegisteredModelFilter("name = 'm'"));
 * ```
 */
export function filterRegisteredModels(models: readonly RegisteredModel[], filter: RegisteredModelFilter): RegisteredModel[] {
  if (filter.length === 0) return [...models];
  return models.filter((m) => filter.every((c) => registeredModelMatchesClause(m, c)));
}

/**
 * `SearchModelUtils.sort`: ASC compares raw values (a None next to a value raises TypeError in
 * Python, INTERNAL_ERROR here), DESC puts None last.
 *
 * @example
 * ```ts
 * sortRegisteredModels(models, parseRegisteredModelOrderBy(['name']));
 * ```
 */
export function sortRegisteredModels(models: readonly RegisteredModel[], orderBy: EntityOrderBy): RegisteredModel[] {
  return sortByKeys(models, orderBy, registeredModelAttribute, true);
}

function modelVersionAttribute(mv: ModelVersion, key: string): string | number | null {
  switch (key) {
    case 'name':
      return mv.name;
    case 'version':
      return Number(mv.version);
    case 'run_id':
      return mv.runId;
    case 'source':
      return mv.source;
    case 'creation_timestamp':
      return mv.creationTimestamp;
    case 'last_updated_timestamp':
      return mv.lastUpdatedTimestamp;
  }
  throw internal(`AttributeError: 'ModelVersion' object has no attribute '${key}'`);
}

function modelVersionMatchesClause(mv: ModelVersion, clause: ModelVersionFilter[number]): boolean {
  const comparator = clause.comparator.toUpperCase();
  let key = clause.key;
  const value = clause.value;
  let lhs: string | number | null;
  if (clause.type === 'attribute' && !MV_NUMERIC.has(key)) {
    checkComparator(comparator, STRING_ATTRIBUTE_COMPARATORS);
    lhs = modelVersionAttribute(mv, key === 'source_path' ? 'source' : key);
  } else if (clause.type === 'attribute') {
    if (!METRIC_COMPARATORS.includes(comparator)) {
      throw invalidParameter(
        `Invalid comparator '${comparator}' not one of '{${STRING_ATTRIBUTE_COMPARATORS.map((c) => `'${c}'`).join(', ')}}`,
      );
    }
    if (key === 'version_number') key = 'version';
    lhs = modelVersionAttribute(mv, key);
    const rhs = pyIntOfNumber(value);
    if (lhs === null) return false;
    return applyOrder(comparator, compareIntBig(lhs as number, rhs));
  } else {
    checkComparator(comparator, REGISTRY_TAG_COMPARATORS);
    lhs = own(mv.tags, key) ? mv.tags[key]! : null;
  }
  if (key === IS_PROMPT_TAG_KEY && lhs === null) return promptDefault(comparator, value);
  if (lhs === null) return false;
  return compareString(comparator, String(lhs), value);
}

const MV_NUMERIC = new Set(['version_number', 'creation_timestamp', 'last_updated_timestamp']);

/**
 * `SearchModelVersionUtils.filter`: drops soft-deleted versions (`Deleted_Internal`), then filters.
 *
 * @example
 * ```ts
 * filterModelVersions(versions, parseModelVersionFilter("run_id IN ('a', 'b')"));
 * ```
 */
export function filterModelVersions(versions: readonly ModelVersion[], filter: ModelVersionFilter): ModelVersion[] {
  const live = versions.filter((mv) => mv.currentStage !== 'Deleted_Internal');
  if (filter.length === 0) return live;
  return live.filter((mv) => filter.every((c) => modelVersionMatchesClause(mv, c)));
}

/**
 * `SearchModelVersionUtils.sort`.
 *
 * @example
 * ```ts
 * sortModelVersions(versions, parseModelVersionOrderBy(['last_updated_timestamp DESC', 'name ASC', 'version_number DESC']));
 * ```
 */
export function sortModelVersions(versions: readonly ModelVersion[], orderBy: EntityOrderBy): ModelVersion[] {
  return sortByKeys(versions, orderBy, modelVersionAttribute, true);
}
