/**
 * Differential tests: random entities × random filters / order_bys / page tokens, checked against
 * MLflow 3.17 itself (test/search/pysearch.py). Same ids in the same order and the same next
 * page token, or both fail with the same error code.
 *
 * MLRUNS_SEARCH_CASES (default 2400) sets the number of cases; MLRUNS_SEARCH_SEED the seed
 * (default: the project's fixed fast-check seed, test/setup/fast-check-seed.ts, so a red run
 * replays; MLRUNS_FC_SEED=<n> or =random moves it as for every other property suite).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import {
  searchExperimentsInMemory,
  searchModelVersionsInMemory,
  searchRegisteredModelsInMemory,
  searchRunsInMemory,
} from '../../src/search/index.js';
import { experimentCaseArb, modelCaseArb, runCaseArb, runFuzzCaseArb, runInListCaseArb, runValidCaseArb, versionCaseArb, type SearchCase } from './gen.js';
import { startOracle, type Op, type Oracle, type OracleResult } from './oracle.js';

const TOTAL = Number(process.env.MLRUNS_SEARCH_CASES ?? 2400);
const SEED = Number(process.env.MLRUNS_SEARCH_SEED ?? fc.readConfigureGlobal().seed ?? Date.now() % 1_000_000);
const BATCH = 250;
/** Per-test timeout, growing with MLRUNS_SEARCH_CASES. */
const TIMEOUT = Math.max(60_000, TOTAL * 4);

type Outcome = { ids: string[]; token: string | null } | { error: { code: string; message: string } };

function tsOutcome(op: Op, c: SearchCase<never>): Outcome {
  try {
    const opts = {
      filterString: c.filter,
      orderBy: c.orderBy,
      pageToken: c.pageToken,
      ...(c.maxResults === undefined ? {} : { maxResults: c.maxResults }),
    };
    if (op === 'runs') {
      const r = searchRunsInMemory(c.entities, { ...opts, ...(c.viewType ? { runViewType: c.viewType } : {}) });
      return { ids: r.items.map((x) => x.info.runId), token: r.token };
    }
    if (op === 'experiments') {
      const r = searchExperimentsInMemory(c.entities, { ...opts, ...(c.viewType ? { viewType: c.viewType } : {}) });
      return { ids: r.items.map((x) => x.experimentId), token: r.token };
    }
    if (op === 'models') {
      const r = searchRegisteredModelsInMemory(c.entities, opts);
      return { ids: r.items.map((x) => x.name), token: r.token };
    }
    const r = searchModelVersionsInMemory(c.entities, opts);
    return { ids: r.items.map((x) => `${x.name}/${x.version}`), token: r.token };
  } catch (e) {
    if (e instanceof MlflowError) return { error: { code: e.code, message: e.message } };
    return { error: { code: 'JS_CRASH', message: String((e as Error)?.stack ?? e) } };
  }
}

export interface Mismatch {
  op: Op;
  case: unknown;
  python: OracleResult;
  ours: Outcome;
}

function same(py: OracleResult, ours: Outcome): boolean {
  if ('error' in py) return 'error' in ours && ours.error.code === py.error.code;
  if ('error' in ours || !('ids' in py)) return false;
  return JSON.stringify(py.ids) === JSON.stringify(ours.ids) && py.token === ours.token;
}

async function runDifferential(oracle: Oracle, op: Op, arb: fc.Arbitrary<SearchCase<unknown>>, n: number, seed: number) {
  const cases = fc.sample(arb, { numRuns: n, seed });
  const mismatches: Mismatch[] = [];
  let errors = 0;
  let nonEmpty = 0;
  const kinds = new Map<string, number>();
  const msgDiffs: string[] = [];
  for (let i = 0; i < cases.length; i += BATCH) {
    const batch = cases.slice(i, i + BATCH);
    const py = await oracle.call(op, batch);
    batch.forEach((c, j) => {
      const ours = tsOutcome(op, c as SearchCase<never>);
      const p = py[j]!;
      if ('error' in p) {
        errors++;
        const k = p.error.message.slice(0, 38);
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      } else if ('ids' in p && p.ids.length > 0) nonEmpty++;
      if (!same(p, ours)) mismatches.push({ op, case: c, python: p, ours });
      else if (process.env.MLRUNS_SEARCH_MESSAGES && 'error' in p && 'error' in ours && p.error.message !== ours.error.message) {
        msgDiffs.push(`${JSON.stringify((c as SearchCase<unknown>).filter)} ${JSON.stringify((c as SearchCase<unknown>).orderBy)}\n   py: ${p.error.message.slice(0, 300)}\n   ts: ${ours.error.message.slice(0, 300)}`);
      }
    });
  }
  if (process.env.MLRUNS_SEARCH_MESSAGES) console.log(`${msgDiffs.length} message differences\n` + msgDiffs.slice(0, 40).join('\n'));
  if (process.env.MLRUNS_SEARCH_STATS) console.log([...kinds].sort((a, b) => b[1] - a[1]).slice(0, 12));
  return { n: cases.length, errors, nonEmpty, mismatches };
}

const show = (m: Mismatch[]): string =>
  m
    .slice(0, 8)
    .map((x) => {
      const c = x.case as SearchCase<unknown>;
      return JSON.stringify({ filter: c.filter, orderBy: c.orderBy, pageToken: c.pageToken, maxResults: c.maxResults, n: c.entities.length, python: x.python, ours: x.ours });
    })
    .join('\n');

describe(`search vs MLflow 3.17 (seed ${SEED}, ${TOTAL} cases)`, () => {
  let oracle: Oracle;
  beforeAll(async () => {
    oracle = await startOracle();
  });
  afterAll(async () => {
    await oracle?.close();
  });

  const share = (f: number): number => Math.max(1, Math.round(TOTAL * f));

  it('runs', async () => {
    const r = await runDifferential(oracle, 'runs', runCaseArb as fc.Arbitrary<SearchCase<unknown>>, share(0.27), SEED);
    console.log(`runs: ${r.n} cases (${r.errors} rejected by MLflow, ${r.nonEmpty} non-empty pages), ${r.mismatches.length} mismatches`);
    expect(r.mismatches, show(r.mismatches)).toEqual([]);
  }, TIMEOUT);
  it('runs (valid-heavy)', async () => {
    const r = await runDifferential(oracle, 'runs', runValidCaseArb as fc.Arbitrary<SearchCase<unknown>>, share(0.15), SEED + 4);
    console.log(`runs (valid-heavy): ${r.n} cases (${r.errors} rejected by MLflow, ${r.nonEmpty} non-empty pages), ${r.mismatches.length} mismatches`);
    expect(r.mismatches, show(r.mismatches)).toEqual([]);
  }, TIMEOUT);
  it('runs (mutation fuzz of the filter tokenizer)', async () => {
    const r = await runDifferential(oracle, 'runs', runFuzzCaseArb as fc.Arbitrary<SearchCase<unknown>>, share(0.08), SEED + 5);
    console.log(`runs (fuzz): ${r.n} cases (${r.errors} rejected by MLflow, ${r.nonEmpty} non-empty pages), ${r.mismatches.length} mismatches`);
    expect(r.mismatches, show(r.mismatches)).toEqual([]);
  }, TIMEOUT);
  it('runs (IN lists: Python literal syntax)', async () => {
    const r = await runDifferential(oracle, 'runs', runInListCaseArb as fc.Arbitrary<SearchCase<unknown>>, share(0.05), SEED + 6);
    console.log(`runs (IN lists): ${r.n} cases (${r.errors} rejected by MLflow, ${r.nonEmpty} non-empty pages), ${r.mismatches.length} mismatches`);
    expect(r.mismatches, show(r.mismatches)).toEqual([]);
  }, TIMEOUT);
  it('experiments', async () => {
    const r = await runDifferential(oracle, 'experiments', experimentCaseArb as fc.Arbitrary<SearchCase<unknown>>, share(0.15), SEED + 1);
    console.log(`experiments: ${r.n} cases (${r.errors} rejected by MLflow, ${r.nonEmpty} non-empty pages), ${r.mismatches.length} mismatches`);
    expect(r.mismatches, show(r.mismatches)).toEqual([]);
  }, TIMEOUT);
  it('registered models', async () => {
    const r = await runDifferential(oracle, 'models', modelCaseArb as fc.Arbitrary<SearchCase<unknown>>, share(0.13), SEED + 2);
    console.log(`registered models: ${r.n} cases (${r.errors} rejected by MLflow, ${r.nonEmpty} non-empty pages), ${r.mismatches.length} mismatches`);
    expect(r.mismatches, show(r.mismatches)).toEqual([]);
  }, TIMEOUT);
  it('model versions', async () => {
    const r = await runDifferential(oracle, 'versions', versionCaseArb as fc.Arbitrary<SearchCase<unknown>>, share(0.17), SEED + 3);
    console.log(`model versions: ${r.n} cases (${r.errors} rejected by MLflow, ${r.nonEmpty} non-empty pages), ${r.mismatches.length} mismatches`);
    expect(r.mismatches, show(r.mismatches)).toEqual([]);
  }, TIMEOUT);
});
