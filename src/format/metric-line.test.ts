import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PyFormat, encodePy, decodePy, type PyAnswer } from '../../test/format/pyformat.js';
import { PyFloat } from './float.js';
import {
  formatMetricLine,
  formatModelMetricLine,
  latestMetric,
  latestModelMetrics,
  parseModelMetricFile,
  parseRunMetricFile,
} from './metric-line.js';
import type { Metric } from '../entities.js';
import { MlflowError } from '../errors.js';

let py: PyFormat;
beforeAll(async () => {
  py = await PyFormat.start();
});
afterAll(async () => {
  await py.close();
});

/** Plain comparable form of a metric (numbers for bigints, null for absent fields). */
function norm(m: unknown): unknown {
  if (Array.isArray(m)) return m.map(norm);
  const x = m as Metric;
  const num = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);
  return {
    key: x.key,
    value: num(x.value),
    timestamp: num(x.timestamp),
    step: num(x.step),
    datasetName: x.datasetName ?? null,
    datasetDigest: x.datasetDigest ?? null,
    modelId: x.modelId ?? null,
    runId: x.runId ?? null,
  };
}

function outcome(f: () => unknown): unknown {
  try {
    return { ok: norm(f()) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const fromPy = (ans: PyAnswer<unknown>): unknown =>
  ans.error ? { error: ans.error.message } : { ok: norm(decodePy(ans.ok)) };

describe('formatMetricLine / formatModelMetricLine = FileStore.log_metric', () => {
  it('spec examples', () => {
    expect(formatMetricLine({ timestamp: 1717000000123, value: 0.5, step: 3 })).toBe('1717000000123 0.5 3\n');
    expect(formatMetricLine({ timestamp: 1, value: 1, step: 0 })).toBe('1 1.0 0\n');
    expect(formatMetricLine({ timestamp: 1, value: 1e-5, step: 0 })).toBe('1 1e-05 0\n');
    expect(formatMetricLine({ timestamp: 1, value: NaN, step: -2 })).toBe('1 nan -2\n');
    expect(formatMetricLine({ timestamp: 1, value: 2, step: 3, datasetName: 'train', datasetDigest: 'abc' })).toBe(
      '1 2.0 3 train abc\n',
    );
    expect(formatMetricLine({ timestamp: 1, value: 2, step: 3, datasetName: 'train' })).toBe('1 2.0 3\n');
    expect(formatModelMetricLine({ timestamp: 1, value: 0.5, step: 2, runId: 'r' })).toBe('1 0.5 2 r\n');
    expect(() => formatMetricLine({ timestamp: 1.5, value: 1, step: 0 })).toThrow(MlflowError);
    expect(() => formatMetricLine({ timestamp: 1, value: 1, step: 2 ** 53 })).toThrow(MlflowError);
    expect(() => formatMetricLine({ timestamp: 1, value: 1, step: 0, datasetName: 'a b', datasetDigest: 'd' })).toThrow(
      MlflowError,
    );
  });

  it('writes the same bytes as MLflow (property)', async () => {
    const arb = fc.record({
      timestamp: fc.oneof(fc.nat(), fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }), fc.maxSafeNat()),
      value: fc.double(),
      step: fc.oneof(fc.integer(), fc.constant(0), fc.maxSafeInteger()),
      dataset: fc.option(fc.tuple(fc.stringMatching(/^[a-z0-9_.-]{1,12}$/), fc.stringMatching(/^[0-9a-f]{8}$/))),
      model: fc.boolean(),
    });
    const samples = fc.sample(arb, { numRuns: 300, seed: 31 });
    const answers = await py.batch<{ run: string; model: string | null; run_id: string }>(
      samples.map((s) => ({
        op: 'log_metric',
        timestamp: s.timestamp,
        value: encodePy(new PyFloat(s.value)),
        step: s.step,
        dataset_name: s.dataset?.[0] ?? null,
        dataset_digest: s.dataset?.[1] ?? null,
        model_id: s.model ? 'm-0123456789abcdef0123456789abcdef' : null,
      })),
    );
    samples.forEach((s, i) => {
      const ans = answers[i]!;
      if (ans.error) throw new Error(ans.error.message);
      const input = {
        timestamp: s.timestamp,
        value: s.value,
        step: s.step,
        datasetName: s.dataset?.[0] ?? null,
        datasetDigest: s.dataset?.[1] ?? null,
      };
      expect({ s, line: formatMetricLine(input) }).toEqual({ s, line: ans.ok.run });
      if (s.model) {
        expect({ s, line: formatModelMetricLine({ ...input, runId: ans.ok.run_id }) }).toEqual({ s, line: ans.ok.model });
      }
    });
  });
});

const FIELD = fc.oneof(
  fc.constantFrom('1717000000123', '0', '-1', '+5', '1_000', '1.5', 'nan', 'inf', '-Infinity', '1e-05', '0.5', 'x', '', '٣', '1__0', '99999999999999999999'),
  fc.integer().map(String),
  fc.double().map((x) => String(x)),
  fc.stringMatching(/^[a-z0-9]{1,6}$/),
);
const SEP = fc.constantFrom(' ', ' ', ' ', ' ', '  ', '\t');
const EOL = fc.constantFrom('\n', '\n', '\n', '\r\n', '\r', '\x85', '\u2028', '\x0b', '\x1c', ' \n', '\n\n');
const LINE = fc
  .tuple(fc.array(fc.tuple(FIELD, SEP), { minLength: 1, maxLength: 7 }), EOL)
  .map(([fields, eol]) => fields.map(([f, s], i) => (i === fields.length - 1 ? f : f + s)).join('') + eol);
const GOOD_RUN_LINE = fc
  .tuple(fc.nat(), fc.double(), fc.integer(), fc.option(fc.tuple(fc.stringMatching(/^[a-z]{1,5}$/), fc.stringMatching(/^[0-9a-f]{4}$/))))
  .map(([ts, v, step, ds]) =>
    formatMetricLine({ timestamp: ts, value: v, step, datasetName: ds?.[0] ?? null, datasetDigest: ds?.[1] ?? null }),
  );
const GOOD_MODEL_LINE = fc
  .tuple(fc.nat(), fc.double(), fc.integer(), fc.option(fc.tuple(fc.constantFrom('train', 'test'), fc.constantFrom('d1', 'd2'))))
  .map(([ts, v, step, ds]) =>
    formatModelMetricLine({ timestamp: ts, value: v, step, runId: 'r1', datasetName: ds?.[0] ?? null, datasetDigest: ds?.[1] ?? null }),
  );
const runFile = fc
  .tuple(fc.array(fc.oneof({ weight: 4, arbitrary: GOOD_RUN_LINE }, { weight: 1, arbitrary: LINE }), { maxLength: 6 }), fc.boolean())
  .map(([lines, cut]) => {
    const t = lines.join('');
    return cut && t.endsWith('\n') ? t.slice(0, -1) : t;
  });
const modelFile = fc
  .tuple(fc.array(fc.oneof({ weight: 4, arbitrary: GOOD_MODEL_LINE }, { weight: 1, arbitrary: LINE }), { maxLength: 6 }), fc.boolean())
  .map(([lines, cut]) => {
    const t = lines.join('');
    return cut && t.endsWith('\n') ? t.slice(0, -1) : t;
  });
const KEY = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('loss', 'acc/train', 'a b', 'a:b', 'é', 'k.v-1') },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '/', '.', ' ', ':', '*', '\n', 'é'), minLength: 0, maxLength: 5 }) },
);

describe('parseRunMetricFile / parseModelMetricFile = FileStore readers', () => {
  it('table (5-field lines read with step 0, messages)', () => {
    expect(parseRunMetricFile('1 0.5 3\n2 0.25 4 train d1\n', 'loss').map((m) => m.step)).toEqual([3, 0]);
    expect(parseRunMetricFile('5 1.5', 'loss')).toEqual([
      { key: 'loss', value: 1.5, timestamp: 5, step: 0, datasetName: null, datasetDigest: null, modelId: null, runId: null },
    ]);
    expect(() => parseRunMetricFile('', 'loss')).toThrow("Metric 'loss' is malformed. No data found.");
    expect(parseRunMetricFile('', 'loss', undefined, { allowEmpty: true })).toEqual([]);
    expect(() => parseRunMetricFile('1 2 3 4\n', 'loss', '/p', { experimentId: '7' })).toThrow(
      "Metric 'loss' is malformed; persisted metric data contained 4 fields. Expected 2, 3, or 5 fields. Experiment id: 7",
    );
    expect(() => parseRunMetricFile('1.5 2 3\n', 'loss')).toThrow("invalid literal for int() with base 10: '1.5'");
    expect(() => parseRunMetricFile('1 2 3\n\n', 'loss')).toThrow('contained 1 fields');
    expect(parseRunMetricFile('1 2 3\r\n4 5 6\r7 8 9', 'k').map((m) => m.timestamp)).toEqual([1, 4, 7]);
    expect(() => parseModelMetricFile('1 2 3\n', 'k')).toThrow('Expected 4 or 6 fields.');
    const pts = parseModelMetricFile('1 0.5 0 r\n2 0.7 0 r train d\n3 0.1 0 r\n', 'acc', undefined, { modelId: 'm-1' });
    expect(latestModelMetrics(pts).map((m) => m.value)).toEqual([0.1, 0.7]);
  });

  it('run files read like get_run / get_metric_history (property)', async () => {
    const samples = fc.sample(fc.tuple(runFile, KEY), { numRuns: 300, seed: 41 });
    const reqs = samples.flatMap(([text, key]) => [
      { op: 'read_metric_file', mode: 'latest', text, key, run_id: 'r1', exp_id: '0' },
      { op: 'read_metric_file', mode: 'history', text, key, run_id: 'r1', exp_id: '0' },
    ]);
    const answers = await py.batch(reqs);
    let errors = 0;
    samples.forEach(([text, key], i) => {
      const latest = fromPy(answers[2 * i]!);
      const history = fromPy(answers[2 * i + 1]!);
      if ((latest as { error?: string }).error) errors++;
      const opts = { experimentId: '0', runId: 'r1' };
      expect({ text, key, r: outcome(() => latestMetric(parseRunMetricFile(text, key, undefined, opts))) }).toEqual({ text, key, r: latest });
      expect({ text, key, r: outcome(() => parseRunMetricFile(text, key, undefined, { ...opts, allowEmpty: true })) }).toEqual({
        text,
        key,
        r: history,
      });
    });
    // Both outcomes must be well represented.
    expect(errors).toBeGreaterThan(30);
    expect(errors).toBeLessThan(samples.length - 30);
  });

  it('model files read like get_logged_model (property)', async () => {
    const samples = fc.sample(modelFile, { numRuns: 250, seed: 43 });
    const answers = await py.batch(
      samples.flatMap((text) => [
        { op: 'read_metric_file', mode: 'model', text, key: 'acc', model_id: 'm-1' },
        { op: 'read_metric_file', mode: 'model_history', text, key: 'acc', model_id: 'm-1' },
      ]),
    );
    samples.forEach((text, i) => {
      const opts = { modelId: 'm-1' };
      expect({ text, r: outcome(() => latestModelMetrics(parseModelMetricFile(text, 'acc', undefined, opts))) }).toEqual({
        text,
        r: fromPy(answers[2 * i]!),
      });
      expect({ text, r: outcome(() => parseModelMetricFile(text, 'acc', undefined, { ...opts, allowEmpty: true })) }).toEqual({
        text,
        r: fromPy(answers[2 * i + 1]!),
      });
    });
  });
});

describe('latestMetric = max(key=(step, timestamp, value))', () => {
  it('ties and NaN (spec §5.4)', () => {
    const p = (value: number, timestamp: number, step: number): Metric => ({ key: 'k', value, timestamp, step });
    const a = p(1, 1, 1);
    const b = p(1, 1, 1);
    expect(latestMetric([a, b])).toBe(a);
    const n = p(NaN, 1, 1);
    expect(latestMetric([n, p(5, 1, 1)])).toBe(n);
    const five = p(5, 1, 1);
    expect(latestMetric([five, p(NaN, 1, 1)])).toBe(five);
    expect(latestMetric([p(NaN, 1, 1), p(0, 1, 2)]).step).toBe(2);
    expect(() => latestMetric([])).toThrow();
  });

  it('picks the same point as Python (property)', async () => {
    const point = fc.record({
      value: fc.oneof(fc.constantFrom(NaN, 0, -0, 1, Infinity, -Infinity), fc.double()),
      timestamp: fc.integer({ min: 0, max: 3 }),
      step: fc.integer({ min: -1, max: 2 }),
    });
    const samples = fc.sample(fc.array(point, { minLength: 1, maxLength: 8 }), { numRuns: 400, seed: 51 });
    const answers = await py.batch<number>(
      samples.map((pts) => ({ op: 'latest', points: pts.map((q) => ({ ...q, value: encodePy(new PyFloat(q.value)) })) })),
    );
    samples.forEach((pts, i) => {
      const metrics = pts.map((q) => ({ key: 'k', ...q }));
      expect({ pts, index: metrics.indexOf(latestMetric(metrics)) }).toEqual({ pts, index: answers[i]!.ok });
    });
  });
});
