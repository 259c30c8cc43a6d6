/**
 * fast-check generators for the search differential tests: entities and grammar-based filters /
 * order_bys, mostly valid, with deliberate mistakes mixed in.
 *
 * @example
 * ```ts
 * const cases = fc.sample(runCaseArb, { numRuns: 100, seed: 1 });
 * ```
 */
import fc from 'fast-check';
import type { Experiment, ModelVersion, RegisteredModel, Run, RunStatus } from '../../src/entities.js';
import { createPageToken } from '../../src/search/paging.js';

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);

export const RUN_IDS = [
  'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  '0f9e8d7c6b5a49382716a5b4c3d2e1f0',
  'deadbeefdeadbeefdeadbeefdeadbeef',
  'ABCDEF0123456789ABCDEF0123456789',
  '12345678901234567890123456789012',
  'abc',
  'run_1',
  'Z9',
];
const KEYS = ['a', 'b', 'loss', 'acc', 'x.y', 'a-b', 'my key', 'ключ', 'select', 'mlflow.runName', 'end', 'status', 'A', '1a', 'é'];
const STRINGS = [
  '',
  'a',
  'A',
  'abc',
  'ABC',
  '10',
  '9',
  '1e3',
  '0.1',
  'Äb',
  'äb',
  'ÄB',
  'a\n',
  'a\nb',
  'a%b',
  'a_b',
  'x.y',
  "it's",
  "it''s",
  'a.c',
  '(x)',
  'ς',
  'Σ',
  'σ',
  'ſ',
  'S',
  'k',
  'K',
  'İ',
  '\u{1F600}',
  '\uFFFF',
  'x y',
];
const NUMS = [0, 1, -1, 0.5, 2, 1e20, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.25];
const STATUSES: RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

const COMMON_KEYS = ['a', 'b', 'loss', 'acc'];
const keyArb: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: pick(COMMON_KEYS) }, { weight: 2, arbitrary: pick(KEYS) });
const dictOf = <T>(vals: fc.Arbitrary<T>): fc.Arbitrary<Record<string, T>> =>
  fc.uniqueArray(fc.tuple(keyArb, vals), { maxLength: 6, selector: (x) => x[0] }).map((entries) => Object.fromEntries(entries));
const COMMON_STRINGS = ['a', 'A', 'abc', '10', '9', 'äb'];
const valueArb: fc.Arbitrary<string> = fc.oneof({ weight: 2, arbitrary: pick(COMMON_STRINGS) }, { weight: 3, arbitrary: pick(STRINGS) });

export const runArb = (runId: string): fc.Arbitrary<Run> =>
  fc
    .record({
      runName: pick(['train', 'Train', 'eval-1', 'x', '', 'ünï', 'a_b', 'a%b']),
      userId: pick(['alice', 'bob', 'Alice']),
      status: pick(STATUSES),
      startTime: pick([0, 1000, 2000, 2000, 3000, 1700000000000]),
      endTime: fc.oneof(fc.constant(null), pick([0, 1500, 2500, 1700000000001])),
      lifecycleStage: fc.oneof({ weight: 5, arbitrary: fc.constant('active' as const) }, { weight: 1, arbitrary: fc.constant('deleted' as const) }),
      artifactUri: pick(['file:///tmp/a', 's3://b/c', 'mlflow-artifacts:/x']),
      metrics: dictOf(pick(NUMS)),
      params: dictOf(valueArb),
      tags: dictOf(valueArb),
      datasets: fc.array(
        fc.record({
          name: pick(['train', 'test', 'Train', 'd%1']),
          digest: pick(['abc123', 'ABC123', 'ff']),
          context: fc.option(pick(['training', 'eval', 'Training']), { nil: undefined }),
        }),
        { maxLength: 2 },
      ),
    })
    .map((r) => ({
      info: {
        runId,
        runUuid: runId,
        experimentId: '0',
        runName: r.runName,
        userId: r.userId,
        status: r.status,
        startTime: r.startTime,
        endTime: r.endTime,
        artifactUri: r.artifactUri,
        lifecycleStage: r.lifecycleStage,
      },
      data: { metrics: r.metrics, params: r.params, tags: r.tags },
      inputs: {
        datasetInputs: r.datasets.map((d) => ({
          dataset: { name: d.name, digest: d.digest, sourceType: 'local', source: 'x', schema: null, profile: null },
          tags: d.context === undefined ? [] : [{ key: 'mlflow.data.context', value: d.context }],
        })),
        modelInputs: [],
      },
      outputs: { modelOutputs: [] },
    }));

export const runsArb: fc.Arbitrary<Run[]> = fc
  .uniqueArray(pick(RUN_IDS), { maxLength: 7 })
  .chain((ids) => (ids.length === 0 ? fc.constant([]) : fc.tuple(...ids.map((id) => runArb(id)))));

// ----- filter grammar -----

const quote = (s: string, q: "'" | '"' | '`'): string => q + s + q;
const simpleIdent = (k: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k);

const keyText = (key: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: simpleIdent(key) ? 6 : 1, arbitrary: fc.constant(key) },
    { weight: 3, arbitrary: fc.constant(quote(key, '`')) },
    { weight: 2, arbitrary: fc.constant(quote(key, '"')) },
    { weight: 1, arbitrary: fc.constant(quote(key, "'")) },
  );

const stringValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: valueArb.map((s) => quote(s, "'")) },
  { weight: 2, arbitrary: pick(STRINGS.filter((s) => !s.includes('"'))).map((s) => quote(s, '"')) },
  { weight: 3, arbitrary: pick(['%', 'a%', '%b', '%a%', 'a_c', '_', '%\n', 'A%', 'ä%', '%.%', '(x%', 'a$', '^a', 'x.y', 'a\\%', '10', 'S', 'σ', 'ς%']).map((s) => quote(s, "'")) },
  { weight: 1, arbitrary: pick(['abc', 'NULL', "'unterminated", '"x"', "'a' 'b'", "''", '""', "'it''s'", "'a\\'b'"]) },
);

const numberValue: fc.Arbitrary<string> = pick(['0', '1', '0.5', '1000', '2000', '0', '1', '-1', '0.5', '1.5', '2', '1e20', '1E3', '-.5', '3.', '1000', '2000', '1700000000000', '1e400', '0x1F', '99999999999999999999', '٣']);

const listValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(pick([...RUN_IDS, 'train', 'test', 'ff', 'abc123', 'eval']), { minLength: 1, maxLength: 3 }).map((xs) => '(' + xs.map((x) => quote(x, "'")).join(', ') + ')') },
  { weight: 1, arbitrary: fc.constant("('a',)") },
  { weight: 1, arbitrary: pick(['()', '(1, 2)', '(abc)', "('a' 'bc')", '("train")', "(('train', 'test'))", "(['a'])", "('a', 1)", "(b'a')", "(f'a')", "('a'", "('x' + 'y')", "(None)", "('a',,)"]) },
);

const anyValue: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: stringValue }, { weight: 3, arbitrary: numberValue }, { weight: 2, arbitrary: listValue });

const STRING_OPS = ['=', '!=', 'LIKE', 'like', 'ILIKE', 'ilike', 'Like'];
const NUM_OPS = ['=', '!=', '<', '<=', '>', '>='];
const BAD_OPS = ['==', '<>', '~', 'NOT LIKE', 'RLIKE', 'REGEXP', '=>', '!'];
const opArb = (ops: string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 40, arbitrary: pick(ops) }, { weight: 1, arbitrary: pick([...STRING_OPS, ...NUM_OPS, ...BAD_OPS]) });

type Clause = { text: string };

const ws: fc.Arbitrary<string> = fc.oneof({ weight: 10, arbitrary: fc.constant(' ') }, { weight: 1, arbitrary: pick(['  ', '\n', '\t', '']) });

function binary(ident: fc.Arbitrary<string>, ops: string[], value: fc.Arbitrary<string>): fc.Arbitrary<Clause> {
  return fc
    .tuple(ident, ws, opArb(ops), ws, fc.oneof({ weight: 40, arbitrary: value }, { weight: 1, arbitrary: anyValue }))
    .map(([i, w1, o, w2, v]) => ({ text: `${i}${w1 || (/^[A-Za-z]/.test(o) ? ' ' : '')}${o}${w2 || (/^[A-Za-z]/.test(o) ? ' ' : '')}${v}` }));
}

const prefixed = (prefixes: string[], keys: readonly string[]): fc.Arbitrary<string> =>
  fc.tuple(pick(prefixes), fc.oneof({ weight: 3, arbitrary: pick(COMMON_KEYS) }, { weight: 2, arbitrary: pick(keys) })).chain(([p, k]) => keyText(k).map((kt) => `${p}.${kt}`));

const nullClause = (ident: fc.Arbitrary<string>): fc.Arbitrary<Clause> =>
  fc.tuple(ident, pick(['IS NULL', 'is null', 'IS NOT NULL', 'is not null', 'IS  NULL', 'IS NOT  NULL'])).map(([i, o]) => ({ text: `${i} ${o}` }));

const inClause = (ident: fc.Arbitrary<string>): fc.Arbitrary<Clause> =>
  fc.tuple(ident, pick(['IN', 'in', 'NOT IN', 'not in', 'NOT  IN']), ws, listValue).map(([i, o, w, v]) => ({ text: `${i} ${o}${w}${v}` }));

const RUN_STRING_ATTRS = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', '`run name`', '`Run name`', '"Run Name"', 'lifecycle_stage', 'experiment_id'];
const RUN_NUM_ATTRS = ['start_time', 'end_time', 'created', 'Created'];

const runIdent = {
  metric: prefixed(['metrics', 'metric', '`metrics`'], KEYS),
  param: prefixed(['params', 'param', 'parameter', 'parameters'], KEYS),
  tag: prefixed(['tags', 'tag'], KEYS),
  strAttr: fc.oneof(pick(RUN_STRING_ATTRS), fc.tuple(pick(['attributes', 'attribute', 'attr', 'run']), pick(RUN_STRING_ATTRS)).map(([p, k]) => `${p}.${k}`)),
  numAttr: fc.oneof(pick(RUN_NUM_ATTRS), fc.tuple(pick(['attributes', 'attr', 'run']), pick(RUN_NUM_ATTRS)).map(([p, k]) => `${p}.${k}`)),
  dataset: fc.tuple(pick(['dataset', 'datasets']), pick(['name', 'digest', 'context', 'context', 'schema'])).map(([p, k]) => `${p}.${k}`),
  bad: pick(['metricz.a', 'Metrics.a', 'metrics.a/b', 'metrics.', '.a', 'a.b.c', 'params.my key', '`params`.`a`', 'tags.mlflow.runName', 'params.x.y']),
};

const runClause: fc.Arbitrary<Clause> = fc.oneof(
  { weight: 5, arbitrary: binary(runIdent.metric, NUM_OPS, numberValue) },
  { weight: 5, arbitrary: binary(runIdent.param, STRING_OPS, stringValue) },
  { weight: 4, arbitrary: binary(runIdent.tag, STRING_OPS, stringValue) },
  { weight: 2, arbitrary: nullClause(fc.oneof(runIdent.param, runIdent.tag, runIdent.metric)) },
  { weight: 3, arbitrary: binary(runIdent.strAttr, STRING_OPS, stringValue) },
  { weight: 2, arbitrary: inClause(fc.oneof({ weight: 4, arbitrary: pick(['run_id', 'attributes.run_id', 'attr.run_id']) }, { weight: 1, arbitrary: runIdent.strAttr }, { weight: 2, arbitrary: runIdent.dataset })) },
  { weight: 3, arbitrary: binary(runIdent.numAttr, NUM_OPS, numberValue) },
  { weight: 2, arbitrary: binary(runIdent.dataset, STRING_OPS, stringValue) },
  { weight: 1, arbitrary: binary(runIdent.bad, STRING_OPS, anyValue) },
);

function combine(clause: fc.Arbitrary<Clause>, maxClauses = 3): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(fc.tuple(clause, fc.oneof({ weight: 30, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })), { minLength: 1, maxLength: maxClauses }).chain((xs) => fc.nat({ max: 2 }).map((k) => (k === 0 ? xs : xs.slice(0, 1)))),
      fc.array(fc.oneof({ weight: 30, arbitrary: pick([' AND ', ' and ', ' And ', '\nAND\n']) }, { weight: 1, arbitrary: pick([' OR ', ' ', ' AND AND ', ', ', ' && ']) }), { minLength: maxClauses, maxLength: maxClauses }),
      fc.oneof({ weight: 20, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pick([' AND', ' and ', ';', ' ;', '; x', ')', ' -- c']) }),
      fc.oneof({ weight: 20, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pick([' ', '\n', 'NOT ', '(', 'AND ']) }),
    )
    .map(([clauses, joins, tail, head]) => head + clauses.map(([c, paren], i) => (i > 0 ? joins[i - 1] : '') + (paren ? `(${c.text})` : c.text)).join('') + tail);
}

const FUZZ_PIECES = [
  "'", '"', '`', '(', ')', '[', ']', ',', '.', ';', ':', '::', '*', '+', '-', '/', '<', '>', '=', '!', '%', '_', ' ', '\n', '#', '--', '/*', '*/', '$$',
  ' AND ', ' OR ', ' NOT ', ' IN ', ' IS ', ' NULL ', ' LIKE ', ' CASE ', ' END ', ' AS ', 'select', ' ASC', 'x', '1', '0x1', '1e5', '.5', '\\', 'é', '@x', '?', ':=', '->',
  '\u00a0', '\u3000', '\x1c', '٣', 'ß', 'ı', ' WHERE ', ' BEGIN ', ' IF ', '::text', '[1]', '$a$', '´', '\u2028',
];

/** Character-level mutations of a filter: insertions, deletions and replacements of SQL-significant pieces. */
export function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), pick(FUZZ_PIECES), fc.nat({ max: 2 })), { minLength: 1, maxLength: 3 }))
    .map(([s, edits]) => {
      let out = s;
      for (const [at, del, piece, mode] of edits) {
        const i = out.length === 0 ? 0 : at % (out.length + 1);
        if (mode === 0) out = out.slice(0, i) + piece + out.slice(i);
        else if (mode === 1) out = out.slice(0, i) + out.slice(i + del + 1);
        else out = out.slice(0, i) + piece + out.slice(i + del + 1);
      }
      return out;
    });
}

const emptyish: fc.Arbitrary<string | null> = pick([null, '', ' ', '  \n']);

export const runFilterArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 1, arbitrary: emptyish },
  { weight: 16, arbitrary: combine(runClause) },
  { weight: 3, arbitrary: mutated(combine(runClause)) },
);

const orderSuffix: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: pick(['', ' ASC', ' DESC', ' asc', ' desc', ' Desc']) },
  { weight: 1, arbitrary: pick([' DESC NULLS LAST', ' up', ' ASC DESC', '  DESC', ' ', ';']) },
);

const runOrderIdent: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: runIdent.metric },
  { weight: 2, arbitrary: runIdent.param },
  { weight: 2, arbitrary: runIdent.tag },
  { weight: 2, arbitrary: pick(['start_time', 'end_time', 'run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'created', 'attributes.start_time', 'attr.end_time', '`Run name`', 'lifecycle_stage']) },
  { weight: 1, arbitrary: pick(['dataset.name', 'metricz.a', 'timestamp', ' metrics.a', 'metrics.a, params.b', 'metrics.`a b`', "params.'my key'"]) },
);

export const runOrderByArb: fc.Arbitrary<string[] | null> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 5, arbitrary: fc.array(fc.tuple(runOrderIdent, orderSuffix).map(([i, s]) => i + s), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(mutated(fc.tuple(runOrderIdent, orderSuffix).map(([i, s]) => i + s)), { minLength: 1, maxLength: 2 }) },
);

export const pageTokenArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 30, arbitrary: fc.constant(null) },
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 6 }).map(createPageToken) },
  {
    weight: 2,
    arbitrary: pick([
      createPageToken(0),
      'abc',
      'abcd',
      'a',
      '!!!',
      'eyJvZmZzZXQiOiAiMiJ9', // {"offset": "2"}
      Buffer.from('{"offset": "x"}').toString('base64'),
      Buffer.from('{"offset": 1.5}').toString('base64'),
      Buffer.from('{"offset": -1}').toString('base64'),
      Buffer.from('{"offset": true}').toString('base64'),
      Buffer.from('{"offset": null}').toString('base64'),
      Buffer.from('{"offset": [1]}').toString('base64'),
      Buffer.from('[1]').toString('base64'),
      Buffer.from('not json').toString('base64'),
      Buffer.from('{"offset": 2}').toString('base64').replace(/=+$/, ''),
      'ey JvZmZzZXQiOiAyfQ==',
      'é',
    ]),
  },
);

export const maxResultsArb = (big: number): fc.Arbitrary<number | undefined> =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 8, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: pick([0, -1, big, big + 1]) });

export const viewTypeArb = pick(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL', undefined] as const);

export interface SearchCase<E> {
  entities: E[];
  filter: string | null;
  orderBy: string[] | null;
  maxResults?: number | undefined;
  pageToken: string | null;
  viewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' | undefined;
}

export const runCaseArb: fc.Arbitrary<SearchCase<Run>> = fc.record({
  entities: runsArb,
  filter: runFilterArb,
  orderBy: runOrderByArb,
  maxResults: maxResultsArb(50000),
  pageToken: pageTokenArb,
  viewType: viewTypeArb,
});

// ----- experiments -----

const EXP_IDS = ['0', '1', '2', '10', '9', '100', '3'];
export const experimentsArb: fc.Arbitrary<Experiment[]> = fc.uniqueArray(pick(EXP_IDS), { maxLength: 6 }).chain((ids) =>
  ids.length === 0
    ? fc.constant([])
    : fc.tuple(
        ...ids.map((id) =>
          fc
            .record({
              name: pick(['Default', 'exp-a', 'Exp-B', 'ünï', 'a_b', 'a%b', 'x\n']),
              lifecycleStage: pick(['active', 'active', 'deleted'] as const),
              tags: dictOf(valueArb),
              creationTime: fc.oneof(fc.constant(null), pick([0, 1000, 2000, 2000])),
              lastUpdateTime: fc.oneof(fc.constant(null), pick([0, 1500, 2500])),
            })
            .map((e) => ({ experimentId: id, artifactLocation: `file:///x/${id}`, ...e })),
        ),
      ),
);

const EXP_ATTRS = ['name', 'experiment_id', 'attribute.name', 'attribute.experiment_id'];
const EXP_NUM = ['creation_time', 'last_update_time', 'attribute.creation_time'];
const tagIdent = (prefixes: string[]): fc.Arbitrary<string> => prefixed(prefixes, KEYS);
const expClause: fc.Arbitrary<Clause> = fc.oneof(
  { weight: 4, arbitrary: binary(pick(EXP_ATTRS), STRING_OPS, stringValue) },
  { weight: 3, arbitrary: binary(pick(EXP_NUM), NUM_OPS, numberValue) },
  { weight: 4, arbitrary: binary(tagIdent(['tags', 'tag']), STRING_OPS, stringValue) },
  { weight: 2, arbitrary: nullClause(fc.oneof(tagIdent(['tags', 'tag']), pick(EXP_ATTRS))) },
  { weight: 2, arbitrary: inClause(pick(['experiment_id', 'name', 'attribute.experiment_id'])) },
  { weight: 1, arbitrary: binary(pick(['attributes.name', 'params.a', 'lifecycle_stage', '`tags`.a', 'run_id']), STRING_OPS, anyValue) },
);
export const experimentCaseArb: fc.Arbitrary<SearchCase<Experiment>> = fc.record({
  entities: experimentsArb,
  filter: fc.oneof({ weight: 1, arbitrary: emptyish }, { weight: 10, arbitrary: combine(expClause) }, { weight: 2, arbitrary: mutated(combine(expClause)) }),
  orderBy: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 5,
      arbitrary: fc.array(
        fc.tuple(fc.oneof({ weight: 8, arbitrary: pick(['name', 'experiment_id', 'creation_time', 'last_update_time', 'attribute.name']) }, { weight: 1, arbitrary: pick(['tags.a', 'run_id', 'attributes.name']) }), orderSuffix).map(([i, s]) => i + s),
        { maxLength: 3 },
      ),
    },
  ),
  maxResults: maxResultsArb(50000),
  pageToken: pageTokenArb,
  viewType: viewTypeArb,
});

// ----- registry -----

const MODEL_NAMES = ['m1', 'm2', 'M1', 'bert', 'Bert-large', 'ünï', 'a_b', 'a%b', 'prompt1'];
export const modelsArb: fc.Arbitrary<RegisteredModel[]> = fc.uniqueArray(pick(MODEL_NAMES), { maxLength: 6 }).chain((names) =>
  names.length === 0
    ? fc.constant([])
    : fc.tuple(
        ...names.map((name) =>
          fc
            .record({
              tags: fc.tuple(dictOf(pick(STRINGS)), fc.option(pick(['true', 'false', 'True']), { nil: undefined })).map(([t, p]) =>
                p === undefined ? t : { ...t, 'mlflow.prompt.is_prompt': p },
              ),
              creationTimestamp: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: pick([0, 1000, 2000, 2000]) }),
              lastUpdatedTimestamp: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: pick([0, 1500, 2500]) }),
            })
            .map((m) => ({ name, description: null, latestVersions: [], aliases: {}, ...m })),
        ),
      ),
);

const registryTagClause = fc.oneof(
  { weight: 4, arbitrary: binary(tagIdent(['tags', 'tag']), STRING_OPS, stringValue) },
  { weight: 1, arbitrary: binary(pick(['tags.`mlflow.prompt.is_prompt`', 'tag.`mlflow.prompt.is_prompt`']), ['=', '!=', 'LIKE'], pick(["'true'", "'false'", "'True'", "'%'"])) },
);

const modelClause: fc.Arbitrary<Clause> = fc.oneof(
  { weight: 4, arbitrary: binary(pick(['name', 'attribute.name', 'name']), STRING_OPS, stringValue) },
  { weight: 3, arbitrary: registryTagClause },
  { weight: 1, arbitrary: inClause(pick(['name', 'attribute.name', 'tags.a'])) },
  { weight: 1, arbitrary: nullClause(tagIdent(['tags'])) },
  { weight: 1, arbitrary: binary(pick(['creation_timestamp', 'attribute."name"', 'attributes.name', 'run_id', 'params.a']), NUM_OPS, anyValue) },
);

const regOrder = (keys: string[]): fc.Arbitrary<string[] | null> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 5,
      arbitrary: fc.array(
        fc.tuple(fc.oneof({ weight: 8, arbitrary: pick(keys) }, { weight: 1, arbitrary: pick(['tags.a', 'timestamp', 'version', 'attribute.name', 'run_id']) }), orderSuffix).map(([i, s]) => i + s),
        { maxLength: 3 },
      ),
    },
  );

export const modelCaseArb: fc.Arbitrary<SearchCase<RegisteredModel>> = fc.record({
  entities: modelsArb,
  filter: fc.oneof({ weight: 1, arbitrary: emptyish }, { weight: 10, arbitrary: combine(modelClause) }, { weight: 2, arbitrary: mutated(combine(modelClause)) }),
  orderBy: regOrder(['name', 'creation_timestamp', 'last_updated_timestamp']),
  maxResults: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: pick([0, -1, 1000, 1001, 100]) }),
  pageToken: pageTokenArb,
});

export const versionsArb: fc.Arbitrary<ModelVersion[]> = fc
  .uniqueArray(fc.tuple(pick(['m1', 'm2', 'M1', 'bert']), fc.integer({ min: 1, max: 12 })), { maxLength: 7, selector: ([n, v]) => `${n}/${v}` })
  .chain((keys) =>
    keys.length === 0
      ? fc.constant([])
      : fc.tuple(
          ...keys.map(([name, version]) =>
            fc
              .record({
                tags: fc.tuple(dictOf(pick(STRINGS)), fc.option(pick(['true', 'false']), { nil: undefined })).map(([t, p]) =>
                  p === undefined ? t : { ...t, 'mlflow.prompt.is_prompt': p },
                ),
                creationTimestamp: pick([0, 1000, 2000]),
                lastUpdatedTimestamp: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: pick([0, 1500, 2500, 2500]) }),
                currentStage: pick(['None', 'Staging', 'Production', 'Archived', 'Deleted_Internal']),
                source: pick(['s3://b/m', 'models:/x', 'runs:/abc/model', 'file:///a_b']),
                runId: fc.oneof(fc.constant(null), pick(RUN_IDS)),
              })
              .map((v) => ({
                name,
                version: String(version),
                description: null,
                userId: null,
                runLink: null,
                status: 'READY' as const,
                statusMessage: null,
                aliases: [],
                modelId: null,
                ...v,
              })),
          ),
        ),
  );

const versionClause: fc.Arbitrary<Clause> = fc.oneof(
  { weight: 3, arbitrary: binary(pick(['name', 'run_id', 'source_path', 'attribute.name', 'attribute.run_id']), STRING_OPS, stringValue) },
  { weight: 3, arbitrary: binary(pick(['version_number', 'attribute.version_number']), NUM_OPS, fc.oneof(numberValue, pick(["'3'", "'x'", "' 4 '"]))) },
  { weight: 3, arbitrary: registryTagClause },
  { weight: 2, arbitrary: inClause(pick(['name', 'run_id', 'source_path', 'version_number'])) },
  { weight: 1, arbitrary: binary(pick(['creation_timestamp', 'version', 'attributes.name', 'source', 'name']), NUM_OPS, anyValue) },
  { weight: 1, arbitrary: nullClause(tagIdent(['tags'])) },
);

export const versionCaseArb: fc.Arbitrary<SearchCase<ModelVersion>> = fc.record({
  entities: versionsArb,
  filter: fc.oneof({ weight: 1, arbitrary: emptyish }, { weight: 10, arbitrary: combine(versionClause) }, { weight: 2, arbitrary: mutated(combine(versionClause)) }),
  orderBy: regOrder(['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp']),
  maxResults: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: pick([0, -1, 200000, 200001]) }),
  pageToken: pageTokenArb,
});

// ----- valid-heavy registry cases (most answer non-empty pages) -----

const registryLike = pick(['m%', '%1', 'M%', 'b%', '%e%', 'a_b', 'a\\_b', '%', '_1', 'ü%', 'Ü%', 'BERT%', '%r%', 'a%b']);
const validTagClause: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(pick(['tags', 'tag']), pick(COMMON_KEYS), pick(['=', '!=']), pick(COMMON_STRINGS)).map(([p, k, o, v]) => `${p}.${k} ${o} '${v}'`) },
  { weight: 2, arbitrary: fc.tuple(pick(COMMON_KEYS), pick(['LIKE', 'ILIKE', 'like']), pick(['%', 'a%', 'A%', '%b', '_', 'ä%', '1%'])).map(([k, o, v]) => `tags.${k} ${o} '${v}'`) },
  { weight: 1, arbitrary: fc.tuple(pick(['=', '!=']), pick(['true', 'false', 'True'])).map(([o, v]) => `tags.\`mlflow.prompt.is_prompt\` ${o} '${v}'`) },
);
const nameList = (names: readonly string[]): fc.Arbitrary<string> =>
  fc.uniqueArray(pick(names), { minLength: 1, maxLength: 3 }).map((xs) => '(' + xs.map((x) => `'${x}'`).join(', ') + ')');

const validModelClause: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(pick(['name', 'attribute.name']), pick(['=', '!=']), pick(MODEL_NAMES)).map(([k, o, v]) => `${k} ${o} '${v}'`) },
  { weight: 3, arbitrary: fc.tuple(pick(['LIKE', 'ILIKE', 'ilike']), registryLike).map(([o, v]) => `name ${o} '${v}'`) },
  { weight: 1, arbitrary: fc.tuple(pick(['IN', 'NOT IN']), nameList(MODEL_NAMES)).map(([o, l]) => `name ${o} ${l}`) },
  { weight: 3, arbitrary: validTagClause },
);

const uniqueOrder = (keys: string[], field: (k: string) => string): fc.Arbitrary<string[]> =>
  fc
    .uniqueArray(pick(keys), { maxLength: 3, selector: field })
    .chain((ks) => (ks.length === 0 ? fc.constant([]) : fc.tuple(...ks.map((k) => pick(['', ' ASC', ' DESC', ' desc']).map((sfx) => k + sfx)))));

export const modelValidCaseArb: fc.Arbitrary<SearchCase<RegisteredModel>> = fc.record({
  entities: modelsArb.filter((ms) => ms.length >= 2),
  filter: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 6, arbitrary: fc.array(validModelClause, { minLength: 1, maxLength: 2 }).map((xs) => xs.join(' AND ')) },
  ),
  orderBy: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 5, arbitrary: uniqueOrder(['name', 'timestamp', 'last_updated_timestamp'], (k) => (k === 'name' ? k : 'ts')) },
  ),
  maxResults: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  pageToken: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map(createPageToken) }),
});

const validVersionClause: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(pick(['=', '!=']), pick(['m1', 'm2', 'M1', 'bert'])).map(([o, v]) => `name ${o} '${v}'`) },
  { weight: 1, arbitrary: fc.tuple(pick(['LIKE', 'ILIKE']), registryLike).map(([o, v]) => `name ${o} '${v}'`) },
  { weight: 2, arbitrary: fc.tuple(pick(['run_id', 'attribute.run_id']), pick(['=', '!=']), pick(RUN_IDS)).map(([k, o, v]) => `${k} ${o} '${v}'`) },
  { weight: 2, arbitrary: fc.tuple(pick(['run_id', 'name']), pick(['IN', 'NOT IN'])).chain(([k, o]) => nameList(k === 'name' ? ['m1', 'm2', 'M1', 'bert'] : RUN_IDS).map((l) => `${k} ${o} ${l}`)) },
  { weight: 2, arbitrary: fc.tuple(pick(NUM_OPS), fc.integer({ min: 0, max: 13 }), fc.boolean()).map(([o, n, q]) => `version_number ${o} ${q ? `'${n}'` : n}`) },
  { weight: 1, arbitrary: fc.tuple(pick(['=', '!=', 'LIKE', 'ILIKE']), pick(['s3://b/m', 's3%', '%model', 'S3%', 'file:%', 'models:/x'])).map(([o, v]) => `source_path ${o} '${v}'`) },
  { weight: 3, arbitrary: validTagClause },
);

export const versionValidCaseArb: fc.Arbitrary<SearchCase<ModelVersion>> = fc.record({
  // The prompt marker on one version at most: a marked version hides every version of its model.
  entities: versionsArb
    .filter((vs) => vs.length >= 3)
    .map((vs) => vs.map((v, i) => (i === 0 ? v : { ...v, tags: Object.fromEntries(Object.entries(v.tags).filter(([k]) => k !== 'mlflow.prompt.is_prompt')) }))),
  filter: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 6, arbitrary: fc.array(validVersionClause, { minLength: 1, maxLength: 2 }).map((xs) => xs.join(' AND ')) },
  ),
  orderBy: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 5, arbitrary: uniqueOrder(['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'], (k) => k) },
  ),
  maxResults: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  pageToken: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map(createPageToken) }),
});

// ----- valid-heavy runs (most cases return non-empty pages) -----

const likePatterns = pick(['%', 'a%', '%b%', '_', 'A%', 'ä%', '%a', '__', 'a_c', '%\n', 'abc', '1%', '9']);
const validRunClause: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(pick(['metrics', 'metric']), pick(COMMON_KEYS), pick(NUM_OPS), pick(['0', '1', '0.5', '-1', '1e20', '2'])).map(([p, k, o, v]) => `${p}.${k} ${o} ${v}`),
  fc.tuple(pick(['params', 'tags', 'param', 'tag']), pick(COMMON_KEYS), pick(['=', '!=']), pick(COMMON_STRINGS)).map(([p, k, o, v]) => `${p}.${k} ${o} '${v}'`),
  fc.tuple(pick(['params', 'tags']), pick(COMMON_KEYS), pick(['LIKE', 'ILIKE']), likePatterns).map(([p, k, o, v]) => `${p}.${k} ${o} '${v}'`),
  fc.tuple(pick(['params', 'tags']), pick(COMMON_KEYS), pick(['IS NULL', 'IS NOT NULL'])).map(([p, k, o]) => `${p}.${k} ${o}`),
  fc.tuple(pick(['status', 'attributes.status']), pick(['=', '!=']), pick(STATUSES)).map(([k, o, v]) => `${k} ${o} '${v}'`),
  fc.tuple(pick(['run_name', '`Run name`', 'user_id']), pick(['LIKE', 'ILIKE', '!=']), likePatterns).map(([k, o, v]) => `${k} ${o} '${v}'`),
  fc.tuple(pick(['start_time', 'end_time', 'created']), pick(NUM_OPS), pick(['1000', '2000', '0', '1500', '1.5'])).map(([k, o, v]) => `${k} ${o} ${v}`),
  fc.tuple(pick(['IN', 'NOT IN']), fc.uniqueArray(pick(RUN_IDS), { minLength: 1, maxLength: 4 })).map(([o, ids]) => `run_id ${o} (${ids.map((x) => `'${x}'`).join(', ')})`),
  fc.tuple(pick(['name', 'digest', 'context']), pick(['=', '!=', 'LIKE', 'ILIKE']), pick(['train', 'test', 'Train%', 'abc%', '%'])).map(([k, o, v]) => `dataset.${k} ${o} '${v}'`),
);

const validRunOrder: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      fc.tuple(pick(['metrics', 'params', 'tags']), pick(COMMON_KEYS)).map(([p, k]) => `${p}.${k}`),
      pick(['start_time', 'end_time', 'run_name', 'status', 'run_id', 'user_id', 'created']),
    ),
    pick(['', ' ASC', ' DESC']),
  )
  .map(([i, s]) => i + s);

export const runValidCaseArb: fc.Arbitrary<SearchCase<Run>> = fc.record({
  entities: fc.uniqueArray(pick(RUN_IDS), { minLength: 3, maxLength: 8 }).chain((ids) => fc.tuple(...ids.map((id) => runArb(id)))),
  filter: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 6, arbitrary: fc.array(validRunClause, { minLength: 1, maxLength: 2 }).map((xs) => xs.join(' AND ')) },
  ),
  orderBy: fc.array(validRunOrder, { maxLength: 3 }),
  maxResults: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  pageToken: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map(createPageToken) }),
  viewType: viewTypeArb,
});

// ----- heavy mutation fuzz of the sqlparse port -----

const heavyMutation = (base: fc.Arbitrary<string>): fc.Arbitrary<string> => mutated(mutated(mutated(base)));

export const runFuzzCaseArb: fc.Arbitrary<SearchCase<Run>> = fc.record({
  entities: fc.uniqueArray(pick(RUN_IDS), { minLength: 2, maxLength: 5 }).chain((ids) => fc.tuple(...ids.map((id) => runArb(id)))),
  filter: fc.oneof(heavyMutation(combine(runClause)), heavyMutation(fc.array(validRunClause, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(' AND ')))),
  orderBy: fc.oneof(fc.constant(null), fc.array(heavyMutation(validRunOrder), { minLength: 1, maxLength: 2 })),
  maxResults: fc.constant(undefined),
  pageToken: fc.constant(null),
  viewType: fc.constant('ALL' as const),
});

// ----- IN lists: Python literal syntax fuzz (ast.literal_eval emulation) -----

const PY_PIECES = [
  "'a'", '"b"', `'${RUN_IDS[0]}'`, "b'x'", "f'y'", "r'\\n'", "u'z'", "'\\x41'", "'\\N{DASH}'", "'''t'''", '1', '-2.5', '1j', '1e3', '0x1f', '1_0', '01', '00',
  'True', 'None', 'x', 'set()', 'set', ',', ',', ',', ':', ':=', '+', '-', '*', '**', '(', ')', '[', ']', '{', '}', '.', 'lambda', 'if', 'else', 'not', 'in',
  'is', 'and', 'or', ' ', ' ', '\n', '# c\n', 'yield', 'await', '~', '==', '<', '@', '\\',
];

export const runInListCaseArb: fc.Arbitrary<SearchCase<Run>> = fc.record({
  entities: fc.uniqueArray(pick(RUN_IDS), { minLength: 1, maxLength: 3 }).chain((ids) => fc.tuple(...ids.map((id) => runArb(id)))),
  filter: fc
    .tuple(pick(['run_id IN ', 'run_id NOT IN ', 'dataset.name IN ']), fc.array(pick(PY_PIECES), { minLength: 0, maxLength: 7 }))
    .map(([head, pieces]) => `${head}(${pieces.join('')})`),
  orderBy: fc.constant(null),
  maxResults: fc.constant(undefined),
  pageToken: fc.constant(null),
  viewType: fc.constant('ALL' as const),
});
