/**
 * Hostile input, parser by parser: random strings, random bytes decoded as UTF-8, and real MLflow
 * files from fixtures/ mutated byte by byte (fast-check) go into parseYaml, parseFlatMeta,
 * parseRunMetricFile, fastLatestMetric, parseRunFilter and parseRunOrderBy. Each call either
 * returns or throws a typed MlflowError (never a TypeError/RangeError), within 1 s per input
 * (3 s for the targeted multi-megabyte inputs);
 * the fast paths never throw and agree with the exact readers whenever they answer. Targeted
 * cases: deep nesting, alias bombs, megabyte lines, 100k-digit numbers.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { latestMetric, parseRunMetricFile } from '../../src/format/metric-line.js';
import { parseYaml } from '../../src/format/yaml.js';
import { parseRunFilter, parseRunOrderBy } from '../../src/search/parse.js';
import { parseFlatMeta } from '../../src/store/file/fast-meta.js';
import { fastLatestMetric, fastLatestMetricBytes } from '../../src/store/file/metric-scan.js';
import { suiteFigures } from './figures.js';
import { REPO_ROOT } from './lib.mjs';

const RUNS = Number(process.env['RELIABILITY_FUZZ_RUNS'] ?? 250);
const BUDGET_MS = 1000;
/** Targeted inputs are up to a few MB: linear work on them may take longer than a small input's second. */
const BIG_BUDGET_MS = 3000;
let budget = BUDGET_MS;
const fig = suiteFigures('fuzz-parsers');
afterAll(() => fig.write());

// ------------------------------------------------------------------------------------------ corpus

function filesUnder(dir: string, pred: (p: string) => boolean, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, pred, out);
    else if (e.isFile() && pred(p)) out.push(p);
  }
  return out;
}
const FIXTURES = path.join(REPO_ROOT, 'fixtures');
const metaFiles = filesUnder(FIXTURES, (p) => p.endsWith('.yaml')).map((p) => fs.readFileSync(p));
const metricFiles = filesUnder(FIXTURES, (p) => p.split(path.sep).includes('metrics')).map((p) => fs.readFileSync(p));
const FILTERS = [
  "metrics.acc > 0.5 and params.lr = '0.1'",
  "tags.`mlflow.runName` LIKE 'run-%'",
  "attributes.status IN ('FINISHED', 'FAILED') AND metrics.loss <= 1e-3",
  'attribute.start_time >= 1700000000000',
  "run_name ILIKE '%abc%' and datasets.name = 'train'",
  "params.`a b` != 'x' AND tags.t IS NULL",
  'metrics."weird key" = -inf',
  "attributes.run_id IN ('0123456789abcdef0123456789abcdef')",
  "dataset.digest = 'abc' and metrics.m < 3",
];
const ORDERS = ['metrics.acc DESC', 'attributes.start_time', 'params.`lr` ASC', 'tags."a b" desc', 'run_name', 'start_time DESC'];

const TOKENS = ['\0', '\r', '\n', '\r\n', '\u2028', '\x85', '\uFEFF', '\t', ' ', ':', ': ', '- ', '[', ']', '{', '}', '&a ', '*a', '!!binary ', "'", '"', '`', '#', '|', '>', '...', '---', '0x', 'nan', '-inf', '1e400', '9'.repeat(40), '(', ')', ',', ' AND ', ' or ', 'LIKE', '%', '\\', 'é', '\ud800', '\uffff'];

const bytesMutation = (base: Buffer): fc.Arbitrary<Buffer> =>
  fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('del' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
      fc.record({ op: fc.constant('ins' as const), at: fc.nat(), text: fc.constantFrom(...TOKENS) }),
      fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
    ),
    { minLength: 1, maxLength: 8 },
  ).map((ops) => {
    let b = Buffer.from(base);
    for (const o of ops) {
      const at = b.length === 0 ? 0 : o.at % (b.length + 1);
      if (o.op === 'set' && b.length > 0) b[at % b.length] = o.byte;
      else if (o.op === 'del') b = Buffer.concat([b.subarray(0, at), b.subarray(at + o.len)]);
      else if (o.op === 'ins') b = Buffer.concat([b.subarray(0, at), Buffer.from(o.text, 'utf8'), b.subarray(at)]);
      else if (o.op === 'dup') b = Buffer.concat([b.subarray(0, at + o.len), b.subarray(at)]);
    }
    return b;
  });

const fromCorpus = (corpus: Buffer[]): fc.Arbitrary<string> =>
  fc.constantFrom(...corpus).chain((base) => bytesMutation(base)).map((b) => b.toString('utf8'));
const randomText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u).toString('utf8')),
  fc.array(fc.constantFrom(...TOKENS, 'a', 'b', '1', '0', '.'), { maxLength: 60 }).map((a) => a.join('')),
);

// ------------------------------------------------------------------------------------------ checks

interface Outcome {
  ok: boolean;
  error?: unknown;
  ms: number;
  value?: unknown;
}

function timed(fn: () => unknown): Outcome {
  const t0 = performance.now();
  try {
    const value = fn();
    return { ok: true, value, ms: performance.now() - t0 };
  } catch (error) {
    return { ok: false, error, ms: performance.now() - t0 };
  }
}

const badOutcomes: string[] = [];
let inputs = 0;

/** Runs one parser on one input: typed error or result, within the budget. */
function check(name: string, input: string, fn: () => unknown, mayThrow = true): Outcome {
  inputs++;
  const o = timed(fn);
  const show = JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}… (${input.length} chars)` : input);
  if (o.ms > budget) badOutcomes.push(`${name} took ${o.ms.toFixed(0)} ms on ${show}`);
  if (!o.ok) {
    if (!mayThrow) badOutcomes.push(`${name} threw ${String(o.error)} on ${show}`);
    else if (!(o.error instanceof MlflowError)) badOutcomes.push(`${name} threw untyped ${(o.error as Error)?.name}: ${(o.error as Error)?.message?.slice(0, 200)} on ${show}`);
  }
  return o;
}

const sameNumber = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function checkText(text: string): void {
  const y = check('parseYaml', text, () => parseYaml(text));
  const f = check('parseFlatMeta', text, () => parseFlatMeta(text), false);
  if (f.ok && f.value !== undefined && y.ok) {
    if (JSON.stringify(f.value) !== JSON.stringify(y.value)) badOutcomes.push(`parseFlatMeta ${JSON.stringify(f.value)} != parseYaml ${JSON.stringify(y.value)} on ${JSON.stringify(text)}`);
  }
  const exact = check('parseRunMetricFile', text, () => parseRunMetricFile(text, 'm', '/x/metrics/m', { runId: 'r', experimentId: '0' }));
  const fast = check('fastLatestMetric', text, () => fastLatestMetric(text), false);
  // The byte scanner (the catalog's) answers only where the text scanner does, with its answer.
  const bytes = check('fastLatestMetricBytes', text, () => fastLatestMetricBytes(Buffer.from(text, 'utf8')), false);
  if (bytes.ok && bytes.value !== undefined) {
    const bv = bytes.value as { value: number; step: number; timestamp: number };
    const fv = fast.ok ? (fast.value as { value: number; step: number; timestamp: number } | undefined) : undefined;
    if (!fv || !sameNumber(bv.value, fv.value) || bv.step !== fv.step || bv.timestamp !== fv.timestamp) {
      badOutcomes.push(`fastLatestMetricBytes ${JSON.stringify(bv)} != fastLatestMetric ${JSON.stringify(fv)} on ${JSON.stringify(text)}`);
    }
  }
  if (fast.ok && fast.value !== undefined) {
    const fv = fast.value as { value: number; step: number; timestamp: number };
    if (!exact.ok) badOutcomes.push(`fastLatestMetric answered where parseRunMetricFile fails on ${JSON.stringify(text)}`);
    else {
      const points = exact.value as ReturnType<typeof parseRunMetricFile>;
      const l = points.length > 0 ? latestMetric(points) : undefined;
      if (!l || !sameNumber(l.value, fv.value) || l.step !== fv.step || l.timestamp !== fv.timestamp) {
        badOutcomes.push(`fastLatestMetric ${JSON.stringify(fv)} != exact ${JSON.stringify(l)} on ${JSON.stringify(text)}`);
      }
    }
  }
}

function checkFilter(text: string): void {
  check('parseRunFilter', text, () => parseRunFilter(text));
  check('parseRunOrderBy', text, () => parseRunOrderBy([text]));
}

describe('random and mutated inputs', () => {
  const cases: Array<[string, fc.Arbitrary<string>, (s: string) => void]> = [
    ['random text into the file parsers', randomText, checkText],
    ['mutated fixture meta.yaml files into the file parsers', fromCorpus(metaFiles), checkText],
    ['mutated fixture metric files into the file parsers', fromCorpus(metricFiles), checkText],
    ['random text into the search parsers', randomText, checkFilter],
    ['mutated filters and order_by clauses into the search parsers', fromCorpus([...FILTERS, ...ORDERS].map((s) => Buffer.from(s))), checkFilter],
  ];
  it.each(cases)('%s', (_name, arb, run) => {
    const before = badOutcomes.length;
    const n0 = inputs;
    fc.assert(
      fc.property(arb, (s) => {
        run(s);
      }),
      { numRuns: RUNS, seed: Number(process.env['RELIABILITY_SEED'] ?? 42) },
    );
    fig.add({ cases: inputs - n0, faults: inputs - n0 });
    expect(badOutcomes.slice(before).slice(0, 10)).toEqual([]);
  });
});

describe('targeted hostile inputs', () => {
  const deep = (open: string, close: string, n: number): string => open.repeat(n) + close.repeat(n);
  const aliasBomb = (levels: number): string => {
    let s = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i <= levels; i++) s += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    return s;
  };
  const cases: Array<[string, string, (s: string) => void]> = [
    ['YAML flow sequences nested 5,000 deep', deep('[', ']', 5000), checkText],
    ['YAML flow mappings nested 5,000 deep', deep('{a: ', '}', 5000), checkText],
    ['YAML block sequences nested 2,000 deep', Array.from({ length: 2000 }, (_, i) => ' '.repeat(i) + '- ').join('\n') + 'x\n', checkText],
    ['YAML alias bomb (10^9 leaves)', aliasBomb(9), checkText],
    ['a 4 MB meta.yaml value', `name: '${'x'.repeat(4 << 20)}'\n`, checkText],
    ['a 1 MB line without a break', '1'.repeat(1 << 20), checkText],
    ['a metric line with 100,000-digit numbers', `${'1'.repeat(100_000)} ${'9'.repeat(100_000)}.5 ${'2'.repeat(100_000)}\n`, checkText],
    ['100,000 metric lines with equal (step, timestamp)', '1 0.5 1\n'.repeat(100_000), checkText],
    ['a metric value of 100,000 digits then a letter', `1 ${'1'.repeat(100_000)}x 1\n`, checkText],
    ['a filter nested in 5,000 parentheses', `${'('.repeat(5000)}metrics.a > 1${')'.repeat(5000)}`, checkFilter],
    ['a filter of 5,000 ANDed clauses', Array(5000).fill('metrics.a > 1').join(' AND '), checkFilter],
    ['a 1 MB quoted filter value', `params.p = '${'x'.repeat(1 << 20)}'`, checkFilter],
    ['an unterminated 1 MB quote', `params.p = '${"\\'".repeat(1 << 19)}`, checkFilter],
    ['an IN list of 20,000 values', `attributes.run_id IN (${Array(20_000).fill("'a'").join(',')})`, checkFilter],
  ];
  it.each(cases)('%s', (_name, input, run) => {
    const before = badOutcomes.length;
    budget = BIG_BUDGET_MS;
    try {
      run(input);
    } finally {
      budget = BUDGET_MS;
    }
    fig.add({ cases: 1, faults: 1 });
    expect(badOutcomes.slice(before)).toEqual([]);
  });
});
