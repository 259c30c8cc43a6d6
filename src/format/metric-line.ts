/**
 * Metric files (`metrics/<key>` of a run, `models/<id>/metrics/<key>` of a logged model):
 * one space-separated record per line, written and read exactly as MLflow 3.17's FileStore.
 *
 * @example
 * ```ts
 * formatMetricLine({ timestamp: 1717000000123, value: 0.5, step: 3 }); // '1717000000123 0.5 3\n'
 * parseRunMetricFile('1717000000123 0.5 3\n', 'loss'); // [{ key: 'loss', value: 0.5, timestamp: 1717000000123, step: 3, ... }]
 * ```
 * @module
 */
import type { Metric } from '../entities.js';
import { invalidParameter, malformed } from '../errors.js';
import { PyFloat, formatPythonFloat, parsePythonFloat, parsePythonInt, pythonStrip } from './float.js';
import { validateMetricName } from './validation.js';

/**
 * One run metric record to write.
 *
 * @example
 * ```ts
 * const m: MetricLineInput = { timestamp: 1717000000123, value: 0.5, step: 0 };
 * ```
 */
export interface MetricLineInput {
  timestamp: number;
  /** Written as a Python float (`1.0`, `1e-05`, `nan`); pass `PyFloat` or a number. */
  value: number | PyFloat;
  step: number;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

/**
 * One logged-model metric record to write: also names the run that logged it.
 *
 * @example
 * ```ts
 * const m: ModelMetricLineInput = { timestamp: 1, value: 0.5, step: 0, runId: 'abc' };
 * ```
 */
export interface ModelMetricLineInput extends MetricLineInput {
  runId: string;
}

function checkInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw invalidParameter(
      `Metric ${name} must be a safe integer (MLflow cannot read back other values), got ${String(v)}`,
    );
  }
  return Object.is(v, -0) ? 0 : v;
}

function checkField(name: string, v: string): string {
  if (v === '' || /[\s]/u.test(v)) {
    throw invalidParameter(
      `Metric ${name} ${JSON.stringify(v)} cannot be written to a metric file: it must be non-empty and hold no whitespace`,
    );
  }
  return v;
}

function valueText(v: number | PyFloat): string {
  const x = v instanceof PyFloat ? v.value : v;
  if (typeof x !== 'number') throw invalidParameter(`Metric value must be a number, got ${String(x)}`);
  return formatPythonFloat(x);
}

function datasetFields(m: MetricLineInput): string {
  // MLflow writes the dataset fields only when both are set (not None).
  if (m.datasetName != null && m.datasetDigest != null) {
    return ` ${checkField('dataset name', m.datasetName)} ${checkField('dataset digest', m.datasetDigest)}`;
  }
  return '';
}

/**
 * The line `FileStore.log_metric` appends to a run's metric file:
 * `f"{timestamp} {value} {step}\n"`, plus ` {dataset_name} {dataset_digest}` when both are set.
 * The value is written as a Python float repr (the client converts metric values to float).
 * Timestamp and step must be safe integers (a float would make the file unreadable for MLflow);
 * dataset fields must be non-empty and hold no whitespace (they would change the field count).
 *
 * @example
 * ```ts
 * formatMetricLine({ timestamp: 1, value: 1e-5, step: 0 }); // '1 1e-05 0\n'
 * formatMetricLine({ timestamp: 1, value: 2, step: 3, datasetName: 'train', datasetDigest: 'abc' }); // '1 2.0 3 train abc\n'
 * ```
 */
export function formatMetricLine(m: MetricLineInput): string {
  return `${checkInt('timestamp', m.timestamp)} ${valueText(m.value)} ${checkInt('step', m.step)}${datasetFields(m)}\n`;
}

/**
 * The line `FileStore.log_metric` appends to a logged model's metric file (when the metric has
 * a `model_id`): `f"{timestamp} {value} {step} {run_id}\n"`, plus the dataset fields when both are set.
 *
 * @example
 * ```ts
 * formatModelMetricLine({ timestamp: 1, value: 0.5, step: 2, runId: 'abc' }); // '1 0.5 2 abc\n'
 * ```
 */
export function formatModelMetricLine(m: ModelMetricLineInput): string {
  return (
    `${checkInt('timestamp', m.timestamp)} ${valueText(m.value)} ${checkInt('step', m.step)} ` +
    `${checkField('run id', m.runId)}${datasetFields(m)}\n`
  );
}

/**
 * Python `str.splitlines(keepends=True)`, which `codecs.open(...).readlines()` uses: lines end
 * at `\n`, `\r\n`, `\r`, `\v`, `\f`, `\x1c`, `\x1d`, `\x1e`, `\x85`, `\u2028`, `\u2029`.
 */
function pythonReadlines(text: string): string[] {
  const lines: string[] = [];
  const re = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    lines.push(text.slice(last, m.index + m[0].length));
    last = m.index + m[0].length;
  }
  if (last < text.length) lines.push(text.slice(last));
  return lines;
}

/**
 * Options of the metric file readers.
 *
 * @example
 * ```ts
 * parseRunMetricFile(text, 'loss', path, { experimentId: '0', runId, allowEmpty: true });
 * ```
 */
export interface MetricFileOptions {
  /** Experiment id quoted in MLflow's field-count error (`Experiment id: <id>`); left out when absent. */
  experimentId?: string;
  /** Run id put on every returned metric (run files) — model files carry their own. */
  runId?: string;
  /** Logged model id put on every returned metric (model files). */
  modelId?: string;
  /** Return `[]` for an empty file (as `get_metric_history` does) instead of throwing (as `get_run`). */
  allowEmpty?: boolean;
}

function fieldError(path: string | undefined, e: unknown): never {
  throw malformed((e as Error).message, { path, cause: e });
}

/**
 * Reads a run metric file as MLflow 3.17's FileStore does: each line (Python `readlines`, so
 * `\r`, `\x85`, `\u2028`... also end lines) is `strip()`ped and `split(" ")`; 2, 3 or 5 fields
 * are accepted; `int()` timestamp, `float()` value. **Replicated MLflow bug (still in 3.17.2):**
 * the step is only read from 3-field lines — 2- and 5-field (dataset-tagged) lines give step 0.
 * Errors carry MLflow's messages (`Metric 'k' is malformed; persisted metric data contained N
 * fields. Expected 2, 3, or 5 fields. Experiment id: <id>`, `invalid literal for int() with base
 * 10: 'x'`, `could not convert string to float: 'x'`, `Metric 'k' is malformed. No data found.`)
 * as `MALFORMED_DATA`. The key is validated first, as MLflow validates the file name.
 * The text must be decoded from UTF-8 without dropping a BOM (Python keeps it, and it then
 * breaks the first line).
 *
 * @example
 * ```ts
 * parseRunMetricFile('1 0.5 3\n2 0.25 4 train d1\n', 'loss').map((m) => m.step); // [3, 0]
 * ```
 */
export function parseRunMetricFile(text: string, key: string, path?: string, options: MetricFileOptions = {}): Metric[] {
  validateMetricName(key);
  const out: Metric[] = [];
  for (const line of pythonReadlines(text)) {
    const parts = pythonStrip(line).split(' ');
    const n = parts.length;
    if (n !== 2 && n !== 3 && n !== 5) {
      const exp = options.experimentId === undefined ? '' : ` Experiment id: ${options.experimentId}`;
      throw malformed(
        `Metric '${key}' is malformed; persisted metric data contained ${n} fields. Expected 2, 3, or 5 fields.${exp}`,
        { path },
      );
    }
    let timestamp: number;
    let value: number;
    let step = 0;
    try {
      timestamp = parsePythonInt(parts[0]!);
      value = parsePythonFloat(parts[1]!);
      if (n === 3) step = parsePythonInt(parts[2]!);
    } catch (e) {
      fieldError(path, e);
    }
    out.push({
      key,
      value,
      timestamp,
      step,
      datasetName: n === 5 ? parts[3]! : null,
      datasetDigest: n === 5 ? parts[4]! : null,
      modelId: null,
      runId: options.runId ?? null,
    });
  }
  if (out.length === 0 && !options.allowEmpty) {
    throw malformed(`Metric '${key}' is malformed. No data found.`, { path });
  }
  return out;
}

/**
 * Reads a logged-model metric file as MLflow 3.17's FileStore does: 4 fields
 * (`ts value step run_id`) or 6 (`... dataset_name dataset_digest`), step always parsed.
 * Returns every line in file order (see {@link latestModelMetrics} for what `get_logged_model`
 * shows). Error messages as MLflow's (`... Expected 4 or 6 fields.`, `No data found.`).
 *
 * @example
 * ```ts
 * parseModelMetricFile('1 0.5 2 r1\n', 'acc', undefined, { modelId: 'm-1' })[0]?.runId; // 'r1'
 * ```
 */
export function parseModelMetricFile(
  text: string,
  key: string,
  path?: string,
  options: MetricFileOptions = {},
): Metric[] {
  validateMetricName(key);
  const out: Metric[] = [];
  for (const line of pythonReadlines(text)) {
    const parts = pythonStrip(line).split(' ');
    const n = parts.length;
    if (n !== 4 && n !== 6) {
      throw malformed(
        `Metric '${key}' is malformed; persisted metric data contained ${n} fields. Expected 4 or 6 fields.`,
        { path },
      );
    }
    let timestamp: number;
    let value: number;
    let step: number;
    try {
      timestamp = parsePythonInt(parts[0]!);
      value = parsePythonFloat(parts[1]!);
      step = parsePythonInt(parts[2]!);
    } catch (e) {
      fieldError(path, e);
    }
    out.push({
      key,
      value,
      timestamp,
      step,
      datasetName: n === 6 ? parts[4]! : null,
      datasetDigest: n === 6 ? parts[5]! : null,
      modelId: options.modelId ?? null,
      runId: parts[3]!,
    });
  }
  if (out.length === 0 && !options.allowEmpty) {
    throw malformed(`Metric '${key}' is malformed. No data found.`, { path });
  }
  return out;
}

/** Python tuple comparison `(a.step, a.timestamp, a.value) > (b.step, b.timestamp, b.value)`. */
/**
 * Python's `(a.step, a.timestamp, a.value) > (b.step, b.timestamp, b.value)`, the comparison of
 * MLflow's `max()` over metric points.
 *
 * @example
 * ```ts
 * metricGreater({ step: 1, timestamp: 0, value: 0 }, { step: 0, timestamp: 9, value: 9 }); // true
 * ```
 */
export function metricGreater(
  a: { step: number; timestamp: number; value: number },
  b: { step: number; timestamp: number; value: number },
): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  // `==` on NaN is false, so the tuples differ there and `>` decides: false with a NaN.
  return a.value > b.value;
}

/**
 * The value MLflow shows for a metric: `max(points, key=lambda m: (m.step, m.timestamp, m.value))`
 * — largest step, then latest timestamp, then largest value; the first of equal points wins, and
 * when step and timestamp tie and a value is NaN, the earlier point wins (NaN compares false).
 * Throws on an empty list (Python's `max()` of nothing).
 *
 * @example
 * ```ts
 * latestMetric([{ key: 'k', value: 1, timestamp: 5, step: 1 }, { key: 'k', value: 2, timestamp: 1, step: 2 }]).value; // 2
 * ```
 */
export function latestMetric(points: readonly Metric[]): Metric {
  let best: Metric | undefined;
  for (const p of points) if (best === undefined || metricGreater(p, best)) best = p;
  if (best === undefined) throw invalidParameter('max() arg is an empty sequence');
  return best;
}

/**
 * What `get_logged_model` shows for one model metric file: the {@link latestMetric} of each
 * `(datasetName, datasetDigest)` group, groups in order of first appearance.
 *
 * @example
 * ```ts
 * latestModelMetrics(parseModelMetricFile('1 0.5 0 r\n2 0.7 0 r train d\n', 'acc')).length; // 2
 * ```
 */
export function latestModelMetrics(points: readonly Metric[]): Metric[] {
  const groups = new Map<string, Metric[]>();
  for (const p of points) {
    const id = JSON.stringify([p.datasetName ?? null, p.datasetDigest ?? null]);
    const g = groups.get(id);
    if (g) g.push(p);
    else groups.set(id, [p]);
  }
  return [...groups.values()].map(latestMetric);
}
