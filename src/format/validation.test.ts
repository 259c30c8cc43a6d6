import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PyFormat, encodePy, decodePy } from '../../test/format/pyformat.js';
import { MlflowError } from '../errors.js';
import { PyFloat } from './float.js';
import * as v from './validation.js';

let py: PyFormat;
beforeAll(async () => {
  py = await PyFormat.start();
});
afterAll(async () => {
  await py.close();
});

interface Case {
  /** Python function in mlflow.utils.validation (or `registry.<fn>` in the registry file store). */
  fn: string;
  args: unknown[];
  ours: () => unknown;
  /** Environment for both sides (MLFLOW_TRUNCATE_LONG_VALUES). */
  env?: Record<string, string | null>;
  /** Maps Python's successful result to ours (default: as is, None → undefined). */
  result?: (ok: unknown) => unknown;
}

function runOurs(c: Case): unknown {
  const saved: Record<string, string | undefined> = {};
  for (const [k, val] of Object.entries(c.env ?? {})) {
    saved[k] = process.env[k];
    if (val === null) delete process.env[k];
    else process.env[k] = val;
  }
  try {
    const r = c.ours();
    return { ok: r === undefined ? null : r };
  } catch (e) {
    if (!(e instanceof MlflowError)) throw e;
    return { error: { code: e.code, message: e.message } };
  } finally {
    for (const [k, val] of Object.entries(saved)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  }
}

async function compareCases(cases: Case[]): Promise<{ accepted: number; rejected: number }> {
  const answers = await py.batch(
    cases.map((c) => ({ op: 'validate', fn: c.fn, args: c.args.map(encodePy), env: c.env ?? {} })),
  );
  let accepted = 0;
  let rejected = 0;
  cases.forEach((c, i) => {
    const ans = answers[i]!;
    const theirs = ans.error
      ? { error: { code: ans.error.code, message: ans.error.message } }
      : { ok: (c.result ?? ((x: unknown) => x))(decodePy(ans.ok)) ?? null };
    if (ans.error) rejected++;
    else accepted++;
    const mine = runOurs(c) as { error?: { code: string | null } };
    // A plain Python exception (ValueError, no MLflow code) is an INVALID_PARAMETER_VALUE here.
    if (ans.error && ans.error.code === null && mine.error) mine.error.code = null;
    const label = `${c.fn}(${JSON.stringify(c.args).slice(0, 160)})`;
    expect({ label, r: mine }).toEqual({ label, r: theirs });
  });
  return { accepted, rejected };
}

const NAMES = [
  'loss', 'a/b', 'a b', '.hidden', '', 'a/', '/a', '//a', 'a//b', 'a/./b', '../a', '.', '..', 'a/..', 'a/../b', 'a..b',
  'a:b', ':', '-', 'a\n', 'a\n\n', '\n', 'a\nb', 'é', 'e\u0301', '‿', '中文', '٣', 'Ⅻ', '½', 'ǅ', 'ʰ', '\u0300', 'a*b',
  'a\tb', ' ', 'a ', ' a', '😀', 'a-b_c.d', 'x'.repeat(250), 'x'.repeat(251), 'é'.repeat(250), '😀'.repeat(125),
  'mlflow.note.content', 'v1', 'V12', 'v1x', 'latest', 'LaTeSt', 'a%b', 'a\\b', "it's", '"q"', 'ab\u200b',
];
const nameArb = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '_', '-', '.', '/', ' ', ':', '\n', 'é', '٣', 'ǅ', '\u0301', '*', '%', '$'), maxLength: 6 }),
  fc.string({ unit: 'grapheme-composite', maxLength: 4 }),
);

describe('name validators match mlflow.utils.validation', () => {
  it('metric / param / tag names, run ids, experiment ids, aliases, model names (table + property)', async () => {
    const candidates = [...NAMES, ...fc.sample(nameArb, { numRuns: 300, seed: 61 })];
    // Python 3.11 has Unicode 14, Node a newer one: leave out names with characters assigned
    // since (Python's \w does not know them).
    const cn = await py.batch<boolean>(candidates.map((s) => ({ op: 'unassigned', s })));
    const names = candidates.filter((s, i) => cn[i]!.ok === /\p{Cn}/u.test(s));
    expect(names.length).toBeGreaterThan(candidates.length * 0.8);
    const cases: Case[] = names.flatMap((n): Case[] => [
      { fn: '_validate_metric_name', args: [n], ours: () => v.validateMetricName(n) },
      { fn: '_validate_param_name', args: [n, 'params[3].key'], ours: () => v.validateParamName(n, 'params[3].key') },
      { fn: '_validate_tag_name', args: [n], ours: () => v.validateTagName(n) },
      { fn: '_validate_run_id', args: [n], ours: () => v.validateRunId(n) },
      { fn: '_validate_experiment_id', args: [n], ours: () => v.validateExperimentId(n) },
      { fn: '_validate_experiment_name', args: [n], ours: () => v.validateExperimentName(n) },
      { fn: '_validate_model_alias_name', args: [n], ours: () => v.validateModelAliasName(n) },
      { fn: '_validate_model_alias_name_reserved', args: [n], ours: () => v.validateModelAliasNameReserved(n) },
      { fn: '_validate_model_name', args: [n], ours: () => v.validateModelName(n) },
      { fn: 'registry._validate_model_name', args: [n], ours: () => v.validateRegisteredModelName(n) },
      { fn: '_validate_model_renaming', args: [n], ours: () => v.validateModelRenaming(n) },
      { fn: '_validate_logged_model_name', args: [n], ours: () => v.validateLoggedModelName(n) },
      { fn: '_validate_model_version', args: [n], ours: () => v.validateModelVersion(n) },
      { fn: '_validate_experiment_artifact_location', args: [n], ours: () => v.validateExperimentArtifactLocation(n) },
      { fn: 'path_not_unique', args: [n], ours: () => v.pathNotUnique(n) },
    ]);
    const nulls: Case[] = [
      { fn: '_validate_metric_name', args: [null], ours: () => v.validateMetricName(null) },
      { fn: '_validate_param_name', args: [null], ours: () => v.validateParamName(null) },
      { fn: '_validate_tag_name', args: [null], ours: () => v.validateTagName(null) },
      { fn: '_validate_experiment_id', args: [null], ours: () => v.validateExperimentId(null) },
      { fn: '_validate_experiment_name', args: [null], ours: () => v.validateExperimentName(null) },
      { fn: '_validate_experiment_name', args: [5], ours: () => v.validateExperimentName(5) },
      { fn: '_validate_model_alias_name', args: [null], ours: () => v.validateModelAliasName(null) },
      { fn: '_validate_model_name', args: [null], ours: () => v.validateModelName(null) },
      { fn: '_validate_logged_model_name', args: [null], ours: () => v.validateLoggedModelName(null) },
      { fn: '_validate_model_version', args: [3], ours: () => v.validateModelVersion(3) },
      { fn: '_validate_model_version', args: [new PyFloat(2.7)], ours: () => v.validateModelVersion(2.7) },
      { fn: '_validate_experiment_artifact_location', args: ['runs:/abc'], ours: () => v.validateExperimentArtifactLocation('runs:/abc') },
    ];
    const { accepted, rejected } = await compareCases([...cases, ...nulls]);
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });
});

const VALUES = fc.oneof(
  fc.double().map((x) => new PyFloat(x)),
  fc.integer(),
  fc.constantFrom<unknown>(null, 'x', true, '1.5', 0, -1),
);

describe('value validators match mlflow.utils.validation', () => {
  it('_validate_metric (table + property)', async () => {
    const samples = fc.sample(fc.tuple(fc.constantFrom('loss', 'a*b', 'x'.repeat(251), 'é'.repeat(250)), VALUES, VALUES, VALUES, fc.constantFrom('', 'metrics[2]')), {
      numRuns: 400,
      seed: 71,
    });
    const cases = samples
      // Python's bool is a number for timestamp/step; JS booleans are refused there (documented).
      .filter(([, , ts, step]) => typeof ts !== 'boolean' && typeof step !== 'boolean')
      .map(([key, value, ts, step, path]): Case => ({
        fn: '_validate_metric',
        args: [key, value, ts, step, path],
        ours: () => v.validateMetric(key, value, ts, step, path),
      }));
    const { accepted, rejected } = await compareCases(cases);
    expect(accepted).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(100);
  });

  it('length limits, truncation and MLFLOW_TRUNCATE_LONG_VALUES', async () => {
    const lens = [0, 1, 250, 251, 500, 501, 5000, 5001, 6000, 6001, 8000, 8001, 20000, 20001, 100000, 100001];
    const cases: Case[] = [];
    const envs: Record<string, string>[] = [
      {},
      { MLFLOW_TRUNCATE_LONG_VALUES: 'false' },
      { MLFLOW_TRUNCATE_LONG_VALUES: 'TRUE' },
      { MLFLOW_TRUNCATE_LONG_VALUES: '0' },
      { MLFLOW_TRUNCATE_LONG_VALUES: 'nope' },
    ];
    for (const env of envs) {
      for (const n of lens) {
        for (const ch of ['x', '😀']) {
          const s = ch.repeat(n);
          cases.push(
            { fn: '_validate_param', args: ['p', s], env, ours: () => v.validateParam('p', s) },
            { fn: '_validate_param', args: [s.slice(0, 300) || 'k', 'v', 'params[1]'], env, ours: () => v.validateParam(s.slice(0, 300) || 'k', 'v', 'params[1]') },
            { fn: '_validate_tag', args: ['t', s, 'tags[0]'], env, ours: () => v.validateTag('t', s, 'tags[0]') },
            {
              fn: '_validate_trace_tag',
              args: ['t', s],
              env,
              ours: () => v.validateTraceTag('t', s),
              result: (ok) => ({ key: (ok as string[])[0], value: (ok as string[])[1] }),
            },
          );
          if (!('MLFLOW_TRUNCATE_LONG_VALUES' in env)) {
            cases.push(
              { fn: '_validate_experiment_tag', args: ['t', s], ours: () => v.validateExperimentTag('t', s) },
              { fn: '_validate_registered_model_tag', args: ['t', s], ours: () => v.validateRegisteredModelTag('t', s) },
              { fn: '_validate_model_version_tag', args: ['t', s], ours: () => v.validateModelVersionTag('t', s) },
              { fn: '_validate_model_version_tag', args: ['mlflow.prompt.text', s], ours: () => v.validateModelVersionTag('mlflow.prompt.text', s) },
              { fn: '_validate_experiment_name', args: [s || 'e'], ours: () => v.validateExperimentName(s || 'e') },
              { fn: '_validate_model_alias_name', args: [s || 'a'], ours: () => v.validateModelAliasName(s || 'a') },
            );
          }
        }
      }
    }
    cases.push(
      { fn: '_validate_model_version_tag', args: ['t', null], ours: () => v.validateModelVersionTag('t', null) },
      { fn: '_validate_tag_value', args: [null], ours: () => v.validateTagValue(null) },
      { fn: '_validate_param', args: ['p', null], ours: () => v.validateParam('p', null as unknown as string) },
    );
    for (const [key, value] of [
      ['mlflow.trace.archivalRetention', '{"type": "duration", "value": "30d"}'],
      ['mlflow.trace.archivalRetention', '{"type": "duration", "value": "0d"}'],
      ['mlflow.trace.archivalRetention', '{"type": "other", "value": "30d"}'],
      ['mlflow.trace.archivalRetention', '[1]'],
      ['mlflow.trace.archivalRetention', 'not json'],
      ['mlflow.trace.archivalRetention', '{"type": "duration", "value": " 12h "}'],
      ['mlflow.trace.archivalRetention', '{"type": "duration", "value": 5}'],
      ['mlflow.trace.archiveNow', '{}'],
      ['mlflow.trace.archiveNow', '{"older_than": "7x"}'],
      ['mlflow.trace.archiveNow', `{"older_than": "${'1'.repeat(40)}d"}`],
    ] as const) {
      cases.push({ fn: '_validate_experiment_tag', args: [key, value], ours: () => v.validateExperimentTag(key, value) });
    }
    const { accepted, rejected } = await compareCases(cases);
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });

  it('log_batch limits, data and duplicate params', async () => {
    const list = (n: number): number[] => new Array<number>(n).fill(0);
    const cases: Case[] = [];
    for (const [m, p, t] of [[1000, 0, 0], [1001, 0, 0], [0, 100, 0], [0, 101, 0], [0, 0, 101], [900, 100, 0], [900, 100, 1], [800, 100, 100]]) {
      cases.push({ fn: '_validate_batch_log_limits', args: [list(m!), list(p!), list(t!)], ours: () => v.validateBatchLogLimits(list(m!), list(p!), list(t!)) });
    }
    for (const keys of [['a', 'b'], ['a', 'a'], ['a', 'b', 'a', 'b', 'a'], ["it's", "it's"], ['é', 'é']]) {
      const params = keys.map((k) => ({ key: k, value: 'v' }));
      cases.push({
        fn: '_validate_param_keys_unique',
        args: params.map((q) => ({ $param: [q.key, q.value] })),
        ours: () => v.validateParamKeysUnique(params),
      });
    }
    // _validate_param_keys_unique takes one list argument: wrap.
    for (const c of cases) if (c.fn === '_validate_param_keys_unique') c.args = [c.args];
    const batches: [unknown[], [string, string][], [string, string][]][] = [
      [[['m', 1, 0, 0]], [['p', 'v']], [['t', 'v']]],
      [[['m', 1, 0, 0], ['bad*', 1, 0, 0]], [], []],
      [[['m', 'x', 0, 0]], [], []],
      [[], [['p', 'v'.repeat(6001)], ['bad key*', 'v']], []],
      [[], [['p', 'v'.repeat(6001)]], [['t', 'w'.repeat(8001)]]],
      [[], [], [['../t', 'v']]],
    ];
    for (const [ms, ps, ts] of batches) {
      cases.push({
        fn: '_validate_batch_log_data',
        args: [ms.map((m) => ({ $metric: m })), ps.map((q) => ({ $param: q })), ts.map((q) => ({ $tag: q }))],
        ours: () => {
          const r = v.validateBatchLogData(
            (ms as [string, unknown, unknown, unknown][]).map(([key, value, timestamp, step]) => ({ key, value, timestamp, step })),
            ps.map(([key, value]) => ({ key, value })),
            ts.map(([key, value]) => ({ key, value })),
          );
          return [r.params, r.tags];
        },
        result: (ok) => (ok as unknown[]).slice(1),
      });
    }
    await compareCases(cases);
  });

  it('datasets and input tags', async () => {
    const base = { name: 'd', digest: 'abc', source_type: 'local', source: '{}', schema: null, profile: null };
    const variants: Record<string, unknown>[] = [
      base,
      { ...base, name: 'n'.repeat(501) },
      { ...base, digest: 'd'.repeat(37) },
      { ...base, digest: 'd'.repeat(36) },
      { ...base, source: 's'.repeat(65536) },
      { ...base, schema: 's'.repeat(1048576) },
      { ...base, name: null },
      { ...base, source_type: null },
    ];
    const cases: Case[] = variants.map((d) => ({
      fn: '_validate_dataset',
      args: [{ $dataset: d }],
      ours: () =>
        v.validateDataset({
          name: d.name as string | null,
          digest: d.digest as string | null,
          sourceType: d.source_type as string | null,
          source: d.source as string | null,
          schema: d.schema as string | null,
          profile: d.profile as string | null,
        }),
    }));
    for (const [key, value] of [['k', 'v'], ['k'.repeat(256), 'v'], ['k', 'v'.repeat(501)], ['k', 'v'.repeat(500)]] as const) {
      cases.push({ fn: '_validate_input_tag', args: [{ $input_tag: [key, value] }], ours: () => v.validateInputTag({ key, value }) });
    }
    await compareCases(cases);
    expect(() => v.validateDataset(null)).toThrow('Dataset cannot be None');
  });
});
