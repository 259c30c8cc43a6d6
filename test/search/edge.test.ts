/**
 * Table of search edge cases (spec §13 and mismatches found by the differential tests). Each row
 * states the expected outcome; the same row is also run through MLflow 3.17 itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Experiment, ModelVersion, RegisteredModel, Run } from '../../src/entities.js';
import { MlflowError } from '../../src/errors.js';
import {
  createPageToken,
  searchExperimentsInMemory,
  searchModelVersionsInMemory,
  searchRegisteredModelsInMemory,
  searchRunsInMemory,
} from '../../src/search/index.js';
import { startOracle, type Op, type Oracle, type OracleResult } from './oracle.js';

function run(id: string, o: Partial<{ params: Record<string, string>; tags: Record<string, string>; metrics: Record<string, number>; runName: string; startTime: number; endTime: number | null; datasets: [string, string, string?][] }>): Run {
  return {
    info: {
      runId: id,
      runUuid: id,
      experimentId: '0',
      runName: o.runName ?? 'r',
      userId: 'u',
      status: 'FINISHED',
      startTime: o.startTime ?? 1000,
      endTime: o.endTime === undefined ? 5000 : o.endTime,
      artifactUri: 'file:///a',
      lifecycleStage: 'active',
    },
    data: { metrics: o.metrics ?? {}, params: o.params ?? {}, tags: o.tags ?? {} },
    inputs: {
      datasetInputs: (o.datasets ?? []).map(([name, digest, context]) => ({
        dataset: { name, digest, sourceType: 'local', source: 'x', schema: null, profile: null },
        tags: context === undefined ? [] : [{ key: 'mlflow.data.context', value: context }],
      })),
      modelInputs: [],
    },
    outputs: { modelOutputs: [] },
  };
}

const R1 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const R2 = 'ABCDEF0123456789ABCDEF0123456789';
const R3 = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const RUNS: Run[] = [
  run(R1, { params: { a: "it''s", p: '10', x: 'abc' }, tags: { t: 'ÄBC' }, metrics: { m: Number.NaN, n: 1 }, runName: 'x\n', startTime: 1000, datasets: [['train', 'd1', 'training']] }),
  run(R2, { params: { a: "it's", p: '9' }, tags: { t: 'äbc' }, metrics: { n: 2 }, runName: 'x', startTime: 2000 }),
  run(R3, { params: { p: '100', x: 'a.c' }, tags: { t: 'abc', 'a as b': 'y' }, metrics: { m: 5, n: Number.POSITIVE_INFINITY }, runName: 'σ', startTime: 2000, endTime: null }),
];

const exp = (id: string, name: string, creationTime: number | null): Experiment => ({
  experimentId: id,
  name,
  artifactLocation: `file:///${id}`,
  lifecycleStage: 'active',
  tags: {},
  creationTime,
  lastUpdateTime: 1,
});
const EXPS: Experiment[] = [exp('9', 'nine', 5), exp('10', 'ten', 5), exp('2', 'two', null)];

const model = (name: string, creationTimestamp: number | null, tags: Record<string, string> = {}): RegisteredModel => ({
  name,
  creationTimestamp,
  lastUpdatedTimestamp: 1,
  description: null,
  latestVersions: [],
  tags,
  aliases: {},
});
const MODELS: RegisteredModel[] = [model('m1', 1), model('p1', 2, { 'mlflow.prompt.is_prompt': 'true' }), model('m2', null)];

const mv = (name: string, version: number, currentStage = 'None'): ModelVersion => ({
  name,
  version: String(version),
  creationTimestamp: 1,
  lastUpdatedTimestamp: 10 - version,
  description: null,
  userId: null,
  currentStage,
  source: 's3://x',
  runId: R1,
  runLink: null,
  status: 'READY',
  statusMessage: null,
  tags: {},
  aliases: [],
  modelId: null,
});
const VERSIONS: ModelVersion[] = [mv('m', 1), mv('m', 2, 'Deleted_Internal'), mv('m', 31), mv('m', 3)];

interface Row {
  name: string;
  op: Exclude<Op, 'offset'>;
  filter?: string | null;
  orderBy?: string[];
  pageToken?: string | null;
  maxResults?: number;
  entities?: unknown[];
  expected: string[] | { error: string };
}

const many = (n: number): string => Array.from({ length: n }, (_, i) => `metrics.m${i % 7} > -${i}`).join(' AND ');

const ROWS: Row[] = [
  // spec §13 edge cases
  { name: 'quotes are not unescaped', op: 'runs', filter: "params.a = 'it''s'", expected: [R1] },
  { name: 'double-quoted value keeps a single quote', op: 'runs', filter: `params.a = "it's"`, expected: [R2] },
  { name: 'IN keeps upper-case ids (3.17: no lowercase filter)', op: 'runs', filter: `run_id IN ('${R2}', '${R3}')`, expected: [R2, R3] },
  { name: 'NOT IN', op: 'runs', filter: `run_id NOT IN ('${R2}')`, expected: [R3, R1] },
  { name: 'offset-0 page token is rejected', op: 'runs', pageToken: createPageToken(0), expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'page token without padding', op: 'runs', pageToken: createPageToken(1).replace(/=+$/, ''), expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'page token offset as a string', op: 'runs', pageToken: Buffer.from('{"offset": "2"}').toString('base64'), expected: [R1] },
  { name: 'experiment ids compare as strings', op: 'experiments', orderBy: ['experiment_id'], entities: EXPS, expected: ['10', '2', '9'] },
  { name: 'experiments: None creation_time last, id DESC tie-breaker', op: 'experiments', orderBy: ['creation_time'], entities: EXPS, expected: ['9', '10', '2'] },
  { name: 'LIKE escapes regex characters', op: 'runs', filter: "params.x LIKE 'a.c'", expected: [R3] },
  { name: 'LIKE with regex metacharacters in the pattern', op: 'runs', filter: "tags.t LIKE '(a%'", expected: [] },
  { name: 'numeric-looking params compare as strings (=)', op: 'runs', filter: "params.p = '10'", expected: [R1] },
  { name: 'numeric-looking params sort as strings', op: 'runs', orderBy: ['params.p'], expected: [R1, R3, R2] },
  { name: 'ILIKE on unicode', op: 'runs', filter: "tags.t ILIKE 'äbc'", expected: [R2, R1] },
  { name: 'LIKE is case-sensitive on unicode', op: 'runs', filter: "tags.t LIKE 'äbc'", expected: [R2] },
  { name: 'ILIKE final sigma', op: 'runs', filter: "run_name ILIKE 'Σ'", expected: [R3] },
  { name: '$ matches before a trailing newline', op: 'runs', filter: "attributes.run_name LIKE 'x'", expected: [R2, R1] },
  { name: '_ does not match a newline', op: 'runs', filter: "run_name LIKE 'x_'", expected: [] },
  { name: 'NaN and missing metrics sort last (ASC)', op: 'runs', orderBy: ['metrics.m ASC'], expected: [R3, R1, R2] },
  { name: 'NaN and missing metrics sort last (DESC)', op: 'runs', orderBy: ['metrics.m DESC'], expected: [R3, R1, R2] },
  { name: 'inf is a real value', op: 'runs', orderBy: ['metrics.n DESC'], expected: [R3, R2, R1] },
  { name: 'NaN != 1 is true', op: 'runs', filter: 'metrics.m != 1', expected: [R3, R1] },
  { name: 'float literal for start_time is accepted in 3.17', op: 'runs', filter: 'start_time > 1.5', expected: [R2, R3, R1] },
  { name: 'null end_time never matches', op: 'runs', filter: 'end_time > 0', expected: [R2, R1] },
  { name: 'created alias', op: 'runs', filter: 'created >= 2000', expected: [R2, R3] },
  { name: 'trailing AND is tolerated', op: 'runs', filter: "params.p = '9' AND", expected: [R2] },
  { name: 'OR is rejected', op: 'runs', filter: "params.p = '9' OR params.p = '10'", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'parentheses are rejected', op: 'runs', filter: "(params.p = '9')", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'unquoted string value', op: 'runs', filter: 'params.p = abc', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'empty IN list', op: 'runs', filter: 'run_id IN ()', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'IN list on another attribute', op: 'runs', filter: "status IN ('FINISHED')", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'whitespace-only filter cannot be parsed', op: 'runs', filter: '   ', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'IS NOT NULL with two spaces is not joined', op: 'runs', filter: 'params.p IS NOT  NULL', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'IS NULL on params', op: 'runs', filter: 'params.x IS NULL', expected: [R2] },
  { name: 'IS NULL on a metric is rejected', op: 'runs', filter: 'metrics.m IS NULL', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'invalid comparator is only found while evaluating (no runs)', op: 'runs', filter: "params.a > 'x'", entities: [], expected: [] },
  { name: 'invalid comparator is found while evaluating (runs)', op: 'runs', filter: "params.a > 'x'", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'dataset.context', op: 'runs', filter: "dataset.context = 'training'", expected: [R1] },
  { name: 'dataset order_by fails only when there are runs', op: 'runs', orderBy: ['dataset.name'], entities: [], expected: [] },
  { name: 'dataset order_by with runs', op: 'runs', orderBy: ['dataset.name'], expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'AS does not alias a key (sqlparse groups the comparison first)', op: 'runs', filter: "tags.a as b = 'y'", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'backticked key with dot', op: 'runs', filter: "tags.`a as b` != 'z'", expected: [R3] },
  { name: 'keys may contain dots after the prefix', op: 'runs', filter: "params.x.y = 'a'", expected: [] },
  { name: 'max_results above 50000', op: 'runs', maxResults: 50001, expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'max_results 0 for runs gives an empty page', op: 'runs', maxResults: 0, expected: [] },
  { name: 'NULLS LAST is not accepted', op: 'runs', orderBy: ['metrics.m DESC NULLS LAST'], expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'a 5,000-clause filter exceeds sqlparse token limit', op: 'runs', filter: many(5000), expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'a 900-clause filter parses', op: 'runs', filter: many(900), expected: [] },
  { name: 'a 100 KB filter parses', op: 'runs', filter: `params.x != '${'z'.repeat(100_000)}'`, expected: [R3, R1] },
  { name: 'nesting deeper than 100 is a sqlparse error', op: 'runs', filter: '('.repeat(101) + ')'.repeat(101), expected: { error: 'INVALID_PARAMETER_VALUE' } },
  // registry
  { name: 'prompts are excluded', op: 'models', maxResults: 10, entities: MODELS, orderBy: ['name'], expected: ['m1', 'm2'] },
  { name: 'prompt filter replaces the exclusion', op: 'models', maxResults: 10, entities: MODELS, filter: "tags.`mlflow.prompt.is_prompt` = 'true'", expected: ['p1'] },
  { name: 'registered models: ASC over a None timestamp is a Python TypeError', op: 'models', maxResults: 10, entities: MODELS, orderBy: ['creation_timestamp'], expected: { error: 'INTERNAL_ERROR' } },
  { name: 'registered models: DESC puts None last', op: 'models', maxResults: 10, entities: MODELS, orderBy: ['creation_timestamp DESC'], expected: ['m1', 'm2'] },
  { name: 'registered models: IS NULL is a Python ValueError', op: 'models', maxResults: 10, entities: MODELS, filter: 'tags.x IS NULL', expected: { error: 'INTERNAL_ERROR' } },
  { name: 'model versions: deleted excluded, default order', op: 'versions', maxResults: 10, entities: VERSIONS, expected: ['m/1', 'm/3', 'm/31'] },
  { name: 'model versions: version_number is numeric', op: 'versions', maxResults: 10, entities: VERSIONS, filter: 'version_number > 3', orderBy: ['version_number'], expected: ['m/31'] },
  { name: 'model versions: quoted version_number is int()-ed', op: 'versions', maxResults: 10, entities: VERSIONS, filter: "version_number = '3'", expected: ['m/3'] },
  // regressions found by the differential tests
  { name: 'regression: 0x1F is a hexadecimal token, not a name', op: 'versions', maxResults: 10, entities: VERSIONS, filter: 'attribute.version_number >= 0x1F', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'regression: hex metric value', op: 'runs', filter: 'metrics.m > 0x1', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: "regression: 'İN' lexes as a keyword but its upper() is not IN", op: 'runs', filter: `run_id İN ('${R2}')`, expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: "regression: Python IGNORECASE puts 'İ' in [A-Z] (so '1İ' is a name)", op: 'runs', filter: "tags.t = 'x' AND metrics.n > 1İ", entities: [], expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: "regression: Python IGNORECASE lexes 'ın' as the IN keyword", op: 'runs', filter: `run_id ın ('${R2}')`, expected: [R2] },
  { name: 'regression: starred item in an IN list is a literal_eval ValueError', op: 'runs', filter: "run_id IN ('a', *'b')", expected: { error: 'INTERNAL_ERROR' } },
  { name: 'regression: lambda in an IN list is a literal_eval ValueError', op: 'runs', filter: 'run_id IN (lambda: 1)', expected: { error: 'INTERNAL_ERROR' } },
  { name: 'IN list with a bare name is a literal_eval ValueError', op: 'runs', filter: 'run_id IN (abc)', expected: { error: 'INTERNAL_ERROR' } },
  { name: 'IN list with set() (literal_eval accepts it, then it is not a string)', op: 'runs', filter: 'run_id IN (set())', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: "regression: walrus with a string target in an IN list is a SyntaxError", op: 'runs', filter: "run_id IN ('run_1', 'abc' := 'Z9')", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'walrus with a name target in an IN list is a ValueError', op: 'runs', filter: "run_id IN ('run_1', a := 'Z9')", expected: { error: 'INTERNAL_ERROR' } },
  { name: 'regression: a keyword as a list item is a SyntaxError', op: 'runs', filter: 'run_id IN (if)', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: "regression: a number may be followed by 'and' (CPython tokenizer)", op: 'runs', filter: "run_id IN (00and 'a')", expected: { error: 'INTERNAL_ERROR' } },
  { name: 'regression: (yield,) is a SyntaxError, (yield) a ValueError', op: 'runs', filter: 'run_id IN (yield,)', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'regression: lambda ** without a name is a SyntaxError', op: 'runs', filter: 'run_id NOT IN (lambda**:and1j)', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'regression: a starred comparison is a SyntaxError', op: 'runs', filter: "dataset.name IN (*set<'''t''',00)", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'regression: lambda with a leading comma is a SyntaxError', op: 'runs', filter: 'run_id NOT IN (lambda\n,:1j)', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'lambda with parameters is a ValueError', op: 'runs', filter: 'run_id IN (lambda a, *b, c=1, **d: 1)', expected: { error: 'INTERNAL_ERROR' } },
  { name: 'a sign before a parenthesised number is a literal', op: 'runs', filter: 'run_id IN (-(1))', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'regression: double sign is not a literal', op: 'runs', filter: 'run_id IN (++1)', expected: { error: 'INTERNAL_ERROR' } },
  { name: 'regression: imaginary literals may have leading zeros', op: 'runs', filter: 'run_id IN (011j)', expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'IN list with a syntax error is ill-formed', op: 'runs', filter: "run_id IN ('a',,)", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'IN list with implicit string concatenation', op: 'runs', filter: "run_id IN ('bbbbbbbbbbbbbbbb' 'bbbbbbbbbbbbbbbb')", expected: [R3] },
  { name: 'IN list with a comment and newlines', op: 'runs', filter: `run_id IN (\n'${R3}' # c\n)`, expected: [R3] },
  { name: 'regression: a trailing -- comment is an invalid clause', op: 'runs', filter: "params.p = '9' -- c", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'regression: a /* */ comment is an invalid clause', op: 'runs', filter: "params.p = '9' /* c */", expected: { error: 'INVALID_PARAMETER_VALUE' } },
  { name: 'regression: ; inside BEGIN does not split statements', op: 'runs', filter: "params.p = '9' BEGIN ; x", expected: { error: 'INVALID_PARAMETER_VALUE' } },
];

type Outcome = string[] | { error: string };

function ours(row: Row): Outcome {
  const opts = {
    filterString: row.filter ?? null,
    orderBy: row.orderBy ?? null,
    pageToken: row.pageToken ?? null,
    ...(row.maxResults === undefined ? {} : { maxResults: row.maxResults }),
  };
  try {
    switch (row.op) {
      case 'runs':
        return searchRunsInMemory((row.entities as Run[]) ?? RUNS, opts).items.map((r) => r.info.runId);
      case 'experiments':
        return searchExperimentsInMemory((row.entities as Experiment[]) ?? EXPS, opts).items.map((e) => e.experimentId);
      case 'models':
        return searchRegisteredModelsInMemory((row.entities as RegisteredModel[]) ?? MODELS, opts).items.map((m) => m.name);
      case 'versions':
        return searchModelVersionsInMemory((row.entities as ModelVersion[]) ?? VERSIONS, opts).items.map((m) => `${m.name}/${m.version}`);
    }
  } catch (e) {
    if (e instanceof MlflowError) return { error: e.code };
    throw e;
  }
}

function fromPython(r: OracleResult): Outcome {
  if ('error' in r) return { error: r.error.code };
  if ('ids' in r) return r.ids;
  throw new Error('unexpected');
}

describe('search edge cases', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    expect(ours(row)).toEqual(row.expected);
  });
});

describe('search edge cases agree with MLflow 3.17', () => {
  let oracle: Oracle;
  beforeAll(async () => {
    oracle = await startOracle();
  });
  afterAll(async () => {
    await oracle?.close();
  });
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const defaults = { runs: RUNS, experiments: EXPS, models: MODELS, versions: VERSIONS }[row.op];
    const [py] = await oracle.call(row.op, [
      {
        entities: row.entities ?? defaults,
        filter: row.filter ?? null,
        orderBy: row.orderBy ?? null,
        pageToken: row.pageToken ?? null,
        ...(row.maxResults === undefined ? {} : { maxResults: row.maxResults }),
      },
    ]);
    expect(fromPython(py!)).toEqual(row.expected);
  });
});
