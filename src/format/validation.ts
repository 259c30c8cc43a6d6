/**
 * Ports of MLflow 3.17 `mlflow/utils/validation.py` (and the registry file store's extra name
 * checks), with MLflow's exact messages and the `INVALID_PARAMETER_VALUE` code.
 *
 * Python details kept on purpose: `len()` counts code points (not UTF-16 units); Python `\w` is
 * Unicode (`[\p{L}\p{N}_]`); `re.match(...$)` also matches before one trailing `\n`, so a name
 * like `"loss\n"` is *accepted* by MLflow (and here); messages quote values with
 * `json.dumps(..., sort_keys=True, separators=(",", ":"))` or `repr()` as MLflow does.
 * On Windows (`process.platform === 'win32'`) colons are refused in names, as MLflow does there.
 *
 * @example
 * ```ts
 * validateMetricName('loss/train'); // ok
 * validateMetricName('../x'); // throws MlflowError INVALID_PARAMETER_VALUE
 * validateParam('lr', 'x'.repeat(7000)).value.length; // 6000 (truncated, MLFLOW_TRUNCATE_LONG_VALUES default)
 * ```
 * @module
 */
import { invalidParameter } from '../errors.js';
import { PyFloat, parsePythonInt, pythonJsonDumps, pythonRepr, pythonStr, pythonStrip } from './float.js';

/**
 * MLflow 3.17 `MAX_PARAMS_TAGS_PER_BATCH`: Most params, and most tags, in one `log_batch`.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_PARAMS_TAGS_PER_BATCH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
/**
 * MLflow 3.17 `MAX_METRICS_PER_BATCH`: Most metrics in one `log_batch`.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_METRICS_PER_BATCH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_METRICS_PER_BATCH = 1000;
/**
 * MLflow 3.17 `MAX_DATASETS_PER_BATCH`: Most datasets in one `log_inputs`.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_DATASETS_PER_BATCH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_DATASETS_PER_BATCH = 1000;
/**
 * MLflow 3.17 `MAX_ENTITIES_PER_BATCH`: Most metrics + params + tags in one `log_batch`.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_ENTITIES_PER_BATCH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_ENTITIES_PER_BATCH = 1000;
/**
 * MLflow 3.17 `MAX_PARAM_VAL_LENGTH`: Longest param value (code points); longer ones are truncated by default.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_PARAM_VAL_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_PARAM_VAL_LENGTH = 6000;
/**
 * MLflow 3.17 `MAX_TAG_VAL_LENGTH`: Longest run tag value in `log_batch` (code points); longer ones are truncated by default.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_TAG_VAL_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_TAG_VAL_LENGTH = 8000;
/**
 * MLflow 3.17 `MAX_EXPERIMENT_NAME_LENGTH`: Longest experiment name.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_EXPERIMENT_NAME_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
/**
 * MLflow 3.17 `MAX_EXPERIMENT_TAG_KEY_LENGTH`: Longest experiment tag key.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_EXPERIMENT_TAG_KEY_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_EXPERIMENT_TAG_KEY_LENGTH = 250;
/**
 * MLflow 3.17 `MAX_EXPERIMENT_TAG_VAL_LENGTH`: Longest experiment tag value: 20000 in MLflow 3.17 (the spec's table says 5000, true of older releases).
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_EXPERIMENT_TAG_VAL_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000;
/**
 * MLflow 3.17 `MAX_ENTITY_KEY_LENGTH`: Longest metric, param or tag key.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_ENTITY_KEY_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_ENTITY_KEY_LENGTH = 250;
/**
 * MLflow 3.17 `MAX_MODEL_REGISTRY_TAG_KEY_LENGTH`: Longest registered model / model version tag key.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_MODEL_REGISTRY_TAG_KEY_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_MODEL_REGISTRY_TAG_KEY_LENGTH = 250;
/**
 * MLflow 3.17 `MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH`: Longest registered model / model version tag value.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH = 100_000;
/**
 * MLflow 3.17 `MAX_DATASET_NAME_SIZE`: Longest dataset name.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_DATASET_NAME_SIZE) console.warn('too long for MLflow');
 * ```
 */
export const MAX_DATASET_NAME_SIZE = 500;
/**
 * MLflow 3.17 `MAX_DATASET_DIGEST_SIZE`: Longest dataset digest.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_DATASET_DIGEST_SIZE) console.warn('too long for MLflow');
 * ```
 */
export const MAX_DATASET_DIGEST_SIZE = 36;
/**
 * MLflow 3.17 `MAX_DATASET_SCHEMA_SIZE`: Longest dataset schema.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_DATASET_SCHEMA_SIZE) console.warn('too long for MLflow');
 * ```
 */
export const MAX_DATASET_SCHEMA_SIZE = 1048575;
/**
 * MLflow 3.17 `MAX_DATASET_SOURCE_SIZE`: Longest dataset source.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_DATASET_SOURCE_SIZE) console.warn('too long for MLflow');
 * ```
 */
export const MAX_DATASET_SOURCE_SIZE = 65535;
/**
 * MLflow 3.17 `MAX_DATASET_PROFILE_SIZE`: Longest dataset profile.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_DATASET_PROFILE_SIZE) console.warn('too long for MLflow');
 * ```
 */
export const MAX_DATASET_PROFILE_SIZE = 16777215;
/**
 * MLflow 3.17 `MAX_INPUT_TAG_KEY_SIZE`: Longest input tag key.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_INPUT_TAG_KEY_SIZE) console.warn('too long for MLflow');
 * ```
 */
export const MAX_INPUT_TAG_KEY_SIZE = 255;
/**
 * MLflow 3.17 `MAX_INPUT_TAG_VALUE_SIZE`: Longest input tag value.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_INPUT_TAG_VALUE_SIZE) console.warn('too long for MLflow');
 * ```
 */
export const MAX_INPUT_TAG_VALUE_SIZE = 500;
/**
 * MLflow 3.17 `MAX_REGISTERED_MODEL_ALIAS_LENGTH`: Longest registered model alias.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_REGISTERED_MODEL_ALIAS_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_REGISTERED_MODEL_ALIAS_LENGTH = 255;
/**
 * MLflow 3.17 `MAX_TRACE_TAG_KEY_LENGTH`: Longest trace tag key.
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_TRACE_TAG_KEY_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_TRACE_TAG_KEY_LENGTH = 250;
/**
 * MLflow 3.17 `MAX_TRACE_TAG_VAL_LENGTH`: Longest trace tag value (truncated by default).
 *
 * @example
 * ```ts
 * if (pyLen(value) > MAX_TRACE_TAG_VAL_LENGTH) console.warn('too long for MLflow');
 * ```
 */
export const MAX_TRACE_TAG_VAL_LENGTH = 8000;

const PROMPT_TEXT_TAG_KEY = 'mlflow.prompt.text';
const MISSING_KEY_NAME_MESSAGE = 'A key name must be provided.';
const BAD_ALIAS_CHARACTERS_MESSAGE = 'Names may only contain alphanumerics, underscores (_), and dashes (-).';

const isWindows = (): boolean => process.platform === 'win32';

/**
 * Python `len(str)`: the number of code points (an emoji counts 1, not 2).
 *
 * @example
 * ```ts
 * pyLen('a😀'); // 2
 * ```
 */
export function pyLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Python `s[:n]` on code points. */
function pySlice(s: string, n: number): string {
  let out = '';
  let k = 0;
  for (const ch of s) {
    if (k++ >= n) break;
    out += ch;
  }
  return out;
}

// Python `re.match(r"^...$")`: `$` also matches before a final "\n".
const NAME_RE = /^[/\p{L}\p{N}_.\- :]*\n?$/u;
const NAME_RE_WINDOWS = /^[/\p{L}\p{N}_.\- ]*\n?$/u;
const RUN_ID_RE = /^[a-zA-Z0-9][\p{L}\p{N}_-]{0,255}\n?$/u;
const EXPERIMENT_ID_RE = /^[a-zA-Z0-9][\p{L}\p{N}_-]{0,63}\n?$/u;
const ALIAS_RE = /^[\p{L}\p{N}_-]*\n?$/u;
const ALIAS_VERSION_RE = /^[vV]\p{Nd}+\n?$/u;

/**
 * `invalid_value(path, value, message)`: `Invalid value <json> for parameter '<path>' supplied[: message]`.
 *
 * @example
 * ```ts
 * invalidValueMessage('name', 'a b'); // `Invalid value "a b" for parameter 'name' supplied.`
 * ```
 */
export function invalidValueMessage(path: string, value: unknown, message?: string): string {
  const v = pythonJsonDumps(value);
  return message
    ? `Invalid value ${v} for parameter '${path}' supplied: ${message}`
    : `Invalid value ${v} for parameter '${path}' supplied.`;
}

/**
 * `exceeds_maximum_length(path, limit)`.
 *
 * @example
 * ```ts
 * exceedsMaximumLengthMessage('name', 500); // "'name' exceeds the maximum length of 500 characters"
 * ```
 */
export function exceedsMaximumLengthMessage(path: string, limit: number): string {
  return `'${path}' exceeds the maximum length of ${limit} characters`;
}

const missingValue = (path: string): string => `Missing value for required parameter '${path}'.`;

/** `append_to_json_path`. */
function appendPath(current: string, value: string): string {
  if (!current) return value;
  if (value.startsWith('[')) return `${current}${value}`;
  return `${current}.${value}`;
}

/**
 * Python `posixpath.normpath`.
 *
 * @example
 * ```ts
 * posixNormpath('a//b/./c/..'); // 'a/b'
 * ```
 */
export function posixNormpath(path: string): string {
  if (path === '') return '.';
  let initialSlashes = path.startsWith('/') ? 1 : 0;
  if (initialSlashes && path.startsWith('//') && !path.startsWith('///')) initialSlashes = 2;
  const comps: string[] = [];
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initialSlashes && comps.length === 0) || comps[comps.length - 1] === '..') comps.push(comp);
    else if (comps.length) comps.pop();
  }
  const out = '/'.repeat(initialSlashes) + comps.join('/');
  return out || '.';
}

/**
 * MLflow `path_not_unique(name)`: the name would not map to a file of the same name.
 *
 * @example
 * ```ts
 * pathNotUnique('a/b'); // false
 * pathNotUnique('a//b'); // true
 * ```
 */
export function pathNotUnique(name: string): boolean {
  // Without '/', normpath changes only '' and '.' (both to '.'): the common key needs no split.
  if (!name.includes('/')) return name === '' || name === '.' || name.startsWith('..');
  const norm = posixNormpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

/**
 * MLflow `bad_path_message(name)`.
 *
 * @example
 * ```ts
 * badPathMessage('a//b'); // "Names may be treated as files ... This name would resolve to 'a/b'"
 * ```
 */
export function badPathMessage(name: string): string {
  return (
    'Names may be treated as files in certain cases, and must not resolve to other names' +
    ` when treated as such. This name would resolve to ${pythonRepr(posixNormpath(name))}`
  );
}

/**
 * MLflow `bad_character_message()` (the colon is mentioned except on Windows).
 *
 * @example
 * ```ts
 * badCharacterMessage(); // 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).'
 * ```
 */
export function badCharacterMessage(): string {
  return (
    'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.),' +
    ` spaces ( )${isWindows() ? '' : ', colon(:)'} and slashes (/).`
  );
}

/**
 * `validate_param_and_metric_name`: the character rule shared by metric, param and tag names.
 *
 * @example
 * ```ts
 * isValidParamOrMetricName('α/β 1:2'); // true
 * isValidParamOrMetricName('a*b'); // false
 * ```
 */
export function isValidParamOrMetricName(name: string): boolean {
  return (isWindows() ? NAME_RE_WINDOWS : NAME_RE).test(name);
}

function checkNameChars(name: string, path: string): void {
  if (!isValidParamOrMetricName(name)) throw invalidParameter(invalidValueMessage(path, name, badCharacterMessage()));
  if (pathNotUnique(name)) throw invalidParameter(invalidValueMessage(path, name, badPathMessage(name)));
}

/**
 * `_validate_metric_name`.
 *
 * @example
 * ```ts
 * validateMetricName('loss'); // ok
 * ```
 */
export function validateMetricName(name: string | null | undefined, path = 'name'): void {
  if (name == null) {
    throw invalidParameter(invalidValueMessage(path, null, `Metric name cannot be None. ${MISSING_KEY_NAME_MESSAGE}`));
  }
  checkNameChars(name, path);
}

/**
 * `_validate_param_name`.
 *
 * @example
 * ```ts
 * validateParamName('lr'); // ok
 * ```
 */
export function validateParamName(name: string | null | undefined, path = 'key'): void {
  if (name == null) throw invalidParameter(invalidValueMessage(path, '', MISSING_KEY_NAME_MESSAGE));
  checkNameChars(name, path);
}

/**
 * `_validate_tag_name` (run, experiment, registry, logged model and trace tags).
 *
 * @example
 * ```ts
 * validateTagName('mlflow.note.content'); // ok
 * ```
 */
export function validateTagName(name: string | null | undefined, path = 'key'): void {
  if (name == null) throw invalidParameter(missingValue(path));
  checkNameChars(name, path);
}

/**
 * `MLFLOW_TRUNCATE_LONG_VALUES` as MLflow reads it: unset → true; `true`/`1`/`false`/`0`
 * (any case); anything else throws MLflow's error.
 *
 * @example
 * ```ts
 * truncateLongValues(); // true unless MLFLOW_TRUNCATE_LONG_VALUES=false
 * ```
 */
export function truncateLongValues(env: NodeJS.ProcessEnv = process.env): boolean {
  const val = env.MLFLOW_TRUNCATE_LONG_VALUES;
  if (val === undefined) return true;
  const lower = val.toLowerCase();
  if (!['true', 'false', '1', '0'].includes(lower)) {
    throw invalidParameter(
      `MLFLOW_TRUNCATE_LONG_VALUES value must be one of ['true', 'false', '1', '0'] (case-insensitive), but got ${val}`,
    );
  }
  return lower === 'true' || lower === '1';
}

/**
 * `_validate_length_limit`: returns the value, truncated to `limit` code points when `truncate`
 * and `MLFLOW_TRUNCATE_LONG_VALUES` allow it (MLflow also logs a warning; this port does not),
 * else throws `'<entity>' exceeds the maximum length of <limit> characters`.
 *
 * @example
 * ```ts
 * validateLengthLimit('Param value', 3, 'abcd', { truncate: true }); // 'abc'
 * ```
 */
export function validateLengthLimit<T extends string | null | undefined>(
  entityName: string,
  limit: number,
  value: T,
  options: { truncate?: boolean } = {},
): T {
  if (value == null) return value;
  if (pyLen(value) <= limit) return value;
  if (options.truncate && truncateLongValues()) return pySlice(value, limit) as T;
  throw invalidParameter(exceedsMaximumLengthMessage(entityName, limit));
}

const isNumber = (v: unknown): boolean => typeof v === 'number' || typeof v === 'bigint' || v instanceof PyFloat;

/**
 * `_validate_metric(key, value, timestamp, step, path)`: name, value present and numeric (not
 * boolean), timestamp a non-negative number, step a number, key ≤ 250. As in MLflow,
 * non-integral timestamps/steps pass here (the metric-line writer refuses them).
 *
 * @example
 * ```ts
 * validateMetric('loss', 0.5, 1717000000000, 0); // ok
 * ```
 */
export function validateMetric(key: string, value: unknown, timestamp: unknown, step: unknown, path = ''): void {
  validateMetricName(key, appendPath(path, 'name'));
  if (value == null) throw invalidParameter(missingValue(appendPath(path, 'value')));
  if (!isNumber(value)) {
    throw invalidParameter(
      invalidValueMessage(
        appendPath(path, 'value'),
        value,
        `(timestamp=${pythonStr(timestamp)}). Please specify value as a valid double (64-bit floating point)`,
      ),
    );
  }
  const ts = timestamp instanceof PyFloat ? timestamp.value : timestamp;
  if (!isNumber(ts) || (ts as number | bigint) < 0) {
    throw invalidParameter(
      invalidValueMessage(
        appendPath(path, 'timestamp'),
        timestamp,
        `metric '${key}' (value=${pythonStr(value)}). Timestamp must be a nonnegative long (64-bit integer) `,
      ),
    );
  }
  if (!isNumber(step)) {
    throw invalidParameter(
      invalidValueMessage(
        appendPath(path, 'step'),
        step,
        `metric '${key}' (value=${pythonStr(value)}). Step must be a valid long (64-bit integer).`,
      ),
    );
  }
  validateLengthLimit('Metric name', MAX_ENTITY_KEY_LENGTH, key);
}

/**
 * A key/value pair (param or tag) as validated and stored.
 *
 * @example
 * ```ts
 * const p: KeyValue = validateParam('lr', '0.1');
 * ```
 */
export interface KeyValue {
  key: string;
  value: string;
}

/**
 * `_validate_param(key, value, path)`: name rule, key ≤ 250, value ≤ 6000 (truncated when
 * `MLFLOW_TRUNCATE_LONG_VALUES` is on, its default). Returns the param to store.
 *
 * @example
 * ```ts
 * validateParam('lr', '0.1'); // { key: 'lr', value: '0.1' }
 * ```
 */
export function validateParam(key: string, value: string, path = ''): KeyValue {
  validateParamName(key, appendPath(path, 'key'));
  return {
    key: validateLengthLimit('Param key', MAX_ENTITY_KEY_LENGTH, key),
    value: validateLengthLimit('Param value', MAX_PARAM_VAL_LENGTH, value, { truncate: true }),
  };
}

/**
 * `_validate_tag(key, value, path)` (run tags in `log_batch`): key ≤ 250, value ≤ 8000 (truncated
 * by default). Returns the tag to store.
 *
 * @example
 * ```ts
 * validateTag('team', 'ml'); // { key: 'team', value: 'ml' }
 * ```
 */
export function validateTag(key: string, value: string, path = ''): KeyValue {
  validateTagName(key, appendPath(path, 'key'));
  return {
    key: validateLengthLimit(appendPath(path, 'key'), MAX_ENTITY_KEY_LENGTH, key),
    value: validateLengthLimit(appendPath(path, 'value'), MAX_TAG_VAL_LENGTH, value, { truncate: true }),
  };
}

const TRACE_RETENTION_RE = /^[1-9][0-9]*[mhd]$/;

function validateTraceArchivalRetention(value: unknown): void {
  const bad = "Trace archival retention must be in the form `<int><unit>`, where unit is one of 'm', 'h', or 'd'.";
  if (typeof value !== 'string') throw invalidParameter(bad);
  const trimmed = pythonStrip(value);
  if (pyLen(trimmed) > 32) throw invalidParameter('Trace archival duration must be at most 32 characters.');
  if (!TRACE_RETENTION_RE.test(trimmed)) throw invalidParameter(bad);
}

function parseTraceArchivalConfig(
  value: string | null | undefined,
  durationKey: string,
  expectedType: string | undefined,
  allowMissing: boolean,
): void {
  if (value == null) return;
  let payload: unknown;
  try {
    payload = JSON.parse(value);
  } catch {
    throw invalidParameter('Trace archival config must be encoded as a JSON object.');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw invalidParameter('Trace archival config must be encoded as a JSON object.');
  }
  const obj = payload as Record<string, unknown>;
  if (expectedType !== undefined && obj.type !== expectedType) {
    throw invalidParameter(`Trace archival config must use type '${expectedType}'.`);
  }
  const duration = obj[durationKey];
  if (duration == null && allowMissing) return;
  validateTraceArchivalRetention(duration);
}

/**
 * `_validate_experiment_tag(key, value)` (also run by 3.17's `FileStore.set_experiment_tag`):
 * name rule, key ≤ 250, value ≤ 20000 (no truncation), and the trace-archival tag checks for
 * `mlflow.trace.archivalRetention` / `mlflow.trace.archiveNow`.
 *
 * @example
 * ```ts
 * validateExperimentTag('mlflow.note.content', 'hello'); // ok
 * ```
 */
export function validateExperimentTag(key: string, value: string | null | undefined): void {
  validateTagName(key);
  validateLengthLimit('key', MAX_EXPERIMENT_TAG_KEY_LENGTH, key);
  validateLengthLimit('value', MAX_EXPERIMENT_TAG_VAL_LENGTH, value);
  if (key === 'mlflow.trace.archivalRetention') parseTraceArchivalConfig(value, 'value', 'duration', false);
  else if (key === 'mlflow.trace.archiveNow') parseTraceArchivalConfig(value, 'older_than', undefined, true);
}

/**
 * `_validate_registered_model_tag(key, value)`: key ≤ 250, value ≤ 100000.
 *
 * @example
 * ```ts
 * validateRegisteredModelTag('owner', 'me'); // ok
 * ```
 */
export function validateRegisteredModelTag(key: string, value: string | null | undefined): void {
  validateTagName(key);
  validateLengthLimit('key', MAX_MODEL_REGISTRY_TAG_KEY_LENGTH, key);
  validateLengthLimit('value', MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH, value);
}

/**
 * `_validate_tag_value(value)`: only refuses `None`.
 *
 * @example
 * ```ts
 * validateTagValue(null); // throws 'Tag value cannot be None'
 * ```
 */
export function validateTagValue(value: unknown): void {
  if (value == null) throw invalidParameter('Tag value cannot be None');
}

/**
 * `_validate_model_version_tag(key, value)`: value not None, key ≤ 250, value ≤ 100000 (with a
 * dedicated message for the prompt text tag).
 *
 * @example
 * ```ts
 * validateModelVersionTag('k', 'v'); // ok
 * ```
 */
export function validateModelVersionTag(key: string, value: string | null | undefined): void {
  validateTagName(key);
  validateTagValue(value);
  validateLengthLimit('key', MAX_MODEL_REGISTRY_TAG_KEY_LENGTH, key);
  if (key === PROMPT_TEXT_TAG_KEY && pyLen(value!) > MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH) {
    throw invalidParameter(`Prompt text exceeds max length of ${MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH} characters.`);
  }
  validateLengthLimit('value', MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH, value);
}

/**
 * `_validate_param_keys_unique(params)` (log_batch): lists the repeated keys as Python would.
 *
 * @example
 * ```ts
 * validateParamKeysUnique([{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
 * // throws "Duplicate parameter keys have been submitted: ['a']. Please ensure ..."
 * ```
 */
export function validateParamKeysUnique(params: readonly { key: string }[]): void {
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const p of params) {
    if (seen.has(p.key)) dupes.push(p.key);
    else seen.add(p.key);
  }
  if (dupes.length) {
    throw invalidParameter(
      `Duplicate parameter keys have been submitted: [${dupes.map(pythonRepr).join(', ')}]. Please ensure ` +
        'the request contains only one param value per param key.',
    );
  }
}

/**
 * `_validate_run_id(run_id, path)`: `^[a-zA-Z0-9][\w\-]{0,255}$`.
 *
 * @example
 * ```ts
 * validateRunId('0123456789abcdef0123456789abcdef'); // ok
 * ```
 */
export function validateRunId(runId: string, path = 'run_id'): void {
  if (!RUN_ID_RE.test(runId)) throw invalidParameter(invalidValueMessage(path, runId));
}

/**
 * `_validate_experiment_id(exp_id)`: `None` passes, else `^[a-zA-Z0-9][\w\-]{0,63}$`.
 *
 * @example
 * ```ts
 * validateExperimentId('0'); // ok
 * ```
 */
export function validateExperimentId(experimentId: string | null | undefined): void {
  if (experimentId != null && !EXPERIMENT_ID_RE.test(experimentId)) {
    throw invalidParameter(`Invalid experiment ID: '${experimentId}'`);
  }
}

/**
 * `_validate_experiment_name(name)`: a non-empty string of at most 500 characters.
 *
 * @example
 * ```ts
 * validateExperimentName('my-exp'); // ok
 * ```
 */
export function validateExperimentName(name: unknown): void {
  if (name === '' || name == null) throw invalidParameter(`Invalid experiment name: '${name === '' ? '' : 'None'}'`);
  if (typeof name !== 'string') {
    throw invalidParameter(`Invalid experiment name: ${pythonStr(name)}. Expects a string.`);
  }
  if (pyLen(name) > MAX_EXPERIMENT_NAME_LENGTH) {
    throw invalidParameter(exceedsMaximumLengthMessage('name', MAX_EXPERIMENT_NAME_LENGTH));
  }
}

/**
 * `_validate_experiment_artifact_location(location)`: refuses `runs:` URIs.
 *
 * @example
 * ```ts
 * validateExperimentArtifactLocation('file:///tmp/a'); // ok
 * ```
 */
export function validateExperimentArtifactLocation(location: string | null | undefined): void {
  if (location != null && location.startsWith('runs:')) {
    throw invalidParameter(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  }
}

function batchLimit(entityName: string, limit: number, length: number): void {
  if (length > limit) {
    throw invalidParameter(
      `A batch logging request can contain at most ${limit} ${entityName}. ` +
        `Got ${length} ${entityName}. Please split up ${entityName} across multiple requests and try again.`,
    );
  }
}

/**
 * `_validate_batch_log_limits(metrics, params, tags)`: ≤ 1000 metrics, ≤ 100 params, ≤ 100 tags,
 * ≤ 1000 in total.
 *
 * @example
 * ```ts
 * validateBatchLogLimits([], new Array(101).fill({}), []); // throws 'A batch logging request can contain at most 100 params. ...'
 * ```
 */
export function validateBatchLogLimits(metrics: readonly unknown[], params: readonly unknown[], tags: readonly unknown[]): void {
  batchLimit('metrics', MAX_METRICS_PER_BATCH, metrics.length);
  batchLimit('params', MAX_PARAMS_TAGS_PER_BATCH, params.length);
  batchLimit('tags', MAX_PARAMS_TAGS_PER_BATCH, tags.length);
  batchLimit('metrics, params, and tags', MAX_ENTITIES_PER_BATCH, metrics.length + params.length + tags.length);
}

/**
 * A metric as `log_batch` receives it (values unchecked until validated).
 *
 * @example
 * ```ts
 * const m: MetricInput = { key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 };
 * ```
 */
export interface MetricInput {
  key: string;
  value: unknown;
  timestamp: unknown;
  step: unknown;
}

/**
 * `_validate_batch_log_data(metrics, params, tags)`: validates each entity with its
 * `metrics[i]`/`params[i]`/`tags[i]` path and returns params and tags as they will be stored
 * (truncated by default). `FileStore.log_batch` then runs {@link validateBatchLogLimits} and
 * {@link validateParamKeysUnique}.
 *
 * @example
 * ```ts
 * validateBatchLogData([{ key: 'm', value: 1, timestamp: 0, step: 0 }], [{ key: 'p', value: 'v' }], []);
 * ```
 */
export function validateBatchLogData<M extends MetricInput>(
  metrics: readonly M[],
  params: readonly KeyValue[],
  tags: readonly KeyValue[],
): { metrics: readonly M[]; params: KeyValue[]; tags: KeyValue[] } {
  metrics.forEach((m, i) => validateMetric(m.key, m.value, m.timestamp, m.step, `metrics[${i}]`));
  return {
    metrics,
    params: params.map((p, i) => validateParam(p.key, p.value, `params[${i}]`)),
    tags: tags.map((t, i) => validateTag(t.key, t.value, `tags[${i}]`)),
  };
}

/**
 * `validation._validate_model_name(name)` (registered model names, as the REST handlers and
 * client check them): non-blank, no `/` or `:`, and path-unique.
 *
 * @example
 * ```ts
 * validateModelName('my-model'); // ok
 * validateModelName('a:b'); // throws "Invalid model name 'a:b'. Names cannot contain '/' or ':'."
 * ```
 */
export function validateModelName(name: string | null | undefined): void {
  if (name == null || pythonStrip(name) === '') throw invalidParameter(missingValue('name'));
  if (name.includes('/') || name.includes(':')) {
    throw invalidParameter(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  }
  if (pathNotUnique(name)) throw invalidParameter(invalidValueMessage('name', name, badPathMessage(name)));
}

/**
 * Registered model name as the file registry store checks it (`_validate_model_name` in
 * `store/model_registry/file_store.py`): {@link validateModelName}, then no OS path separator
 * and no `%`.
 *
 * @example
 * ```ts
 * validateRegisteredModelName('my-model'); // ok
 * validateRegisteredModelName('50%'); // throws "Invalid name: '50%'. Registered model name cannot contain '%' character"
 * ```
 */
export function validateRegisteredModelName(name: string | null | undefined): void {
  validateModelName(name);
  if (name!.includes('/') || (isWindows() && name!.includes('\\'))) {
    throw invalidParameter(`Invalid name: '${name}'. Registered model name cannot contain path separator`);
  }
  if (name!.includes('%')) {
    throw invalidParameter(`Invalid name: '${name}'. Registered model name cannot contain '%' character`);
  }
}

/**
 * `_validate_model_renaming(new_name)`: non-blank `new_name`, then {@link validateModelName}.
 * (MLflow's file registry store itself does not validate the new name.)
 *
 * @example
 * ```ts
 * validateModelRenaming('new-name'); // ok
 * ```
 */
export function validateModelRenaming(newName: string | null | undefined): void {
  if (newName == null || pythonStrip(newName) === '') throw invalidParameter(missingValue('new_name'));
  validateModelName(newName);
}

/**
 * `_validate_model_version(version)`: Python `int(version)`, else
 * `Parameter 'version' must be an integer, got '<v>'.` Numbers are truncated like `int(1.5)`.
 *
 * @example
 * ```ts
 * validateModelVersion(' 3 '); // 3
 * ```
 */
export function validateModelVersion(version: string | number | bigint): number {
  const fail = (): never => {
    throw invalidParameter(`Parameter 'version' must be an integer, got '${pythonStr(version)}'.`);
  };
  if (typeof version === 'bigint') return Number(version);
  if (typeof version === 'number') {
    if (Number.isNaN(version)) return fail();
    if (!Number.isFinite(version)) throw invalidParameter('cannot convert float infinity to integer');
    return Math.trunc(version) || 0;
  }
  try {
    return parsePythonInt(version);
  } catch {
    return fail();
  }
}

/**
 * `_validate_model_alias_name(alias)`: non-empty, `^[\w\-]*$`, ≤ 255.
 *
 * @example
 * ```ts
 * validateModelAliasName('champion'); // ok
 * ```
 */
export function validateModelAliasName(alias: string | null | undefined): void {
  if (alias == null || alias === '') throw invalidParameter('Registered model alias name cannot be empty.');
  if (!ALIAS_RE.test(alias)) throw invalidParameter(`Invalid alias name: '${alias}'. ${BAD_ALIAS_CHARACTERS_MESSAGE}`);
  validateLengthLimit('Registered model alias name', MAX_REGISTERED_MODEL_ALIAS_LENGTH, alias);
}

/**
 * `_validate_model_alias_name_reserved(alias)`: `latest` (any case) and `v<digits>` are reserved.
 *
 * @example
 * ```ts
 * validateModelAliasNameReserved('v2'); // throws "Version alias name 'v2' is reserved."
 * ```
 */
export function validateModelAliasNameReserved(alias: string): void {
  if (alias.toLowerCase() === 'latest') throw invalidParameter("'latest' alias name (case insensitive) is reserved.");
  if (ALIAS_VERSION_RE.test(alias)) throw invalidParameter(`Version alias name '${alias}' is reserved.`);
}

/**
 * `_validate_logged_model_name(name)` (3.x): `None` passes; else non-empty without `/ : . % " '`.
 *
 * @example
 * ```ts
 * validateLoggedModelName('model'); // ok
 * ```
 */
export function validateLoggedModelName(name: string | null | undefined): void {
  if (name == null) return;
  const bad = ['/', ':', '.', '%', '"', "'"];
  if (!name || bad.some((c) => name.includes(c))) {
    throw invalidParameter(
      `Invalid model name (${pythonRepr(name)}) provided. Model name must be a non-empty string ` +
        `and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  }
}

/**
 * A dataset as `log_inputs` receives it.
 *
 * @example
 * ```ts
 * const d: DatasetInput = { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{}' };
 * ```
 */
export interface DatasetInput {
  name: string | null;
  digest: string | null;
  sourceType: string | null;
  source: string | null;
  schema?: string | null;
  profile?: string | null;
}

/**
 * `_validate_dataset(dataset)`: required fields and size limits (name 500, digest 36, source
 * 65535, schema 1048575, profile 16777215).
 *
 * @example
 * ```ts
 * validateDataset({ name: 'd', digest: 'abc', sourceType: 'local', source: '{}' }); // ok
 * ```
 */
export function validateDataset(dataset: DatasetInput | null | undefined): void {
  if (dataset == null) throw invalidParameter('Dataset cannot be None');
  if (dataset.name == null) throw invalidParameter('Dataset name cannot be None');
  if (dataset.digest == null) throw invalidParameter('Dataset digest cannot be None');
  if (dataset.sourceType == null) throw invalidParameter('Dataset source_type cannot be None');
  if (dataset.source == null) throw invalidParameter('Dataset source cannot be None');
  if (pyLen(dataset.name) > MAX_DATASET_NAME_SIZE) throw invalidParameter(exceedsMaximumLengthMessage('name', MAX_DATASET_NAME_SIZE));
  if (pyLen(dataset.digest) > MAX_DATASET_DIGEST_SIZE) {
    throw invalidParameter(exceedsMaximumLengthMessage('digest', MAX_DATASET_DIGEST_SIZE));
  }
  if (pyLen(dataset.source) > MAX_DATASET_SOURCE_SIZE) {
    throw invalidParameter(exceedsMaximumLengthMessage('source', MAX_DATASET_SOURCE_SIZE));
  }
  if (dataset.schema != null && pyLen(dataset.schema) > MAX_DATASET_SCHEMA_SIZE) {
    throw invalidParameter(exceedsMaximumLengthMessage('schema', MAX_DATASET_SCHEMA_SIZE));
  }
  if (dataset.profile != null && pyLen(dataset.profile) > MAX_DATASET_PROFILE_SIZE) {
    throw invalidParameter(exceedsMaximumLengthMessage('profile', MAX_DATASET_PROFILE_SIZE));
  }
}

/**
 * `_validate_input_tag(tag)`: key ≤ 255, value ≤ 500.
 *
 * @example
 * ```ts
 * validateInputTag({ key: 'mlflow.data.context', value: 'train' }); // ok
 * ```
 */
export function validateInputTag(tag: { key: string | null; value: string | null } | null | undefined): void {
  if (tag == null) throw invalidParameter('InputTag cannot be None');
  if (tag.key == null) throw invalidParameter('InputTag key cannot be None');
  if (tag.value == null) throw invalidParameter('InputTag value cannot be None');
  if (pyLen(tag.key) > MAX_INPUT_TAG_KEY_SIZE) throw invalidParameter(exceedsMaximumLengthMessage('key', MAX_INPUT_TAG_KEY_SIZE));
  if (pyLen(tag.value) > MAX_INPUT_TAG_VALUE_SIZE) {
    throw invalidParameter(exceedsMaximumLengthMessage('value', MAX_INPUT_TAG_VALUE_SIZE));
  }
}

/**
 * `_validate_dataset_inputs(inputs)`: each dataset, then each of its tags.
 *
 * @example
 * ```ts
 * validateDatasetInputs([{ dataset: { name: 'd', digest: 'x', sourceType: 'local', source: '{}' }, tags: [] }]);
 * ```
 */
export function validateDatasetInputs(
  inputs: readonly { dataset: DatasetInput | null; tags: readonly { key: string | null; value: string | null }[] }[],
): void {
  for (const input of inputs) {
    validateDataset(input.dataset);
    for (const tag of input.tags) validateInputTag(tag);
  }
}

/**
 * `_validate_trace_tag(key, value)`: key ≤ 250, value ≤ 8000 (truncated by default).
 *
 * @example
 * ```ts
 * validateTraceTag('k', 'v'); // { key: 'k', value: 'v' }
 * ```
 */
export function validateTraceTag(key: string, value: string): KeyValue {
  validateTagName(key);
  return {
    key: validateLengthLimit('key', MAX_TRACE_TAG_KEY_LENGTH, key),
    value: validateLengthLimit('value', MAX_TRACE_TAG_VAL_LENGTH, value, { truncate: true }),
  };
}

const validMetricKeys = new Map<string, boolean>();

/**
 * `validateMetricName` as a cached boolean: a scan meets the same few keys thousands of times.
 *
 * @example
 * ```ts
 * isValidMetricKey('loss/train'); // true
 * isValidMetricKey('../x'); // false
 * ```
 */
export function isValidMetricKey(key: string): boolean {
  let ok = validMetricKeys.get(key);
  if (ok === undefined) {
    try {
      validateMetricName(key);
      ok = true;
    } catch {
      ok = false;
    }
    if (validMetricKeys.size > 100_000) validMetricKeys.clear();
    validMetricKeys.set(key, ok);
  }
  return ok;
}
