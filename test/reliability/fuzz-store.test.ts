/**
 * Hostile stores: copies of real MLflow stores (fixtures/, written by MLflow 3.17, 2.22, 1.30)
 * with random files mutated, truncated, emptied, replaced by random bytes, deleted, or turned into
 * folders (fast-check). A tolerant FileStore answers searchExperiments, searchRuns, getRun and
 * getMetricHistory on them without throwing anything but a typed MlflowError (listings never
 * throw: damage becomes warnings); a strict FileStore throws only MlflowErrors. Each call is timed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { FileStore } from '../../src/store/file/file-store.js';
import { copyFixture, listFixtures } from '../oracle/fixtures.js';
import { suiteFigures } from './figures.js';

const RUNS = Number(process.env['RELIABILITY_STORE_FUZZ_RUNS'] ?? 10);
const BUDGET_MS = 2000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-rel-fuzzstore-'));
const fig = suiteFigures('fuzz-store');
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fig.write();
});

function listFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else out.push(p);
  }
  return out;
}

type Damage =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; frac: number }
  | { kind: 'empty' }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'delete' }
  | { kind: 'to-folder' }
  | { kind: 'insert'; at: number; text: string };

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('empty' as const) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('to-folder' as const) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom('\0', '\n', '\r', ': ', '- x\n', '[', '{', "'", '\uFEFF', 'nan ', ' 1 2 3 4', 'run_uuid: other\n', 'lifecycle_stage: zombie\n'),
  }),
);

function applyDamage(p: string, d: Damage): void {
  const b = fs.readFileSync(p);
  switch (d.kind) {
    case 'flip':
      if (b.length > 0) b[d.at % b.length] = d.byte;
      fs.writeFileSync(p, b);
      break;
    case 'truncate':
      fs.writeFileSync(p, b.subarray(0, Math.floor(b.length * d.frac)));
      break;
    case 'empty':
      fs.writeFileSync(p, '');
      break;
    case 'random':
      fs.writeFileSync(p, d.bytes);
      break;
    case 'delete':
      fs.rmSync(p);
      break;
    case 'to-folder':
      fs.rmSync(p);
      fs.mkdirSync(path.join(p, 'inner'), { recursive: true });
      break;
    case 'insert': {
      const at = b.length === 0 ? 0 : d.at % (b.length + 1);
      fs.writeFileSync(p, Buffer.concat([b.subarray(0, at), Buffer.from(d.text), b.subarray(at)]));
      break;
    }
  }
}

const problems: string[] = [];

async function call<T>(what: string, fn: () => Promise<T>, mayThrow: boolean): Promise<T | undefined> {
  const t0 = performance.now();
  try {
    return await fn();
  } catch (err) {
    if (!mayThrow) problems.push(`${what} threw ${(err as Error).name}: ${(err as Error).message.slice(0, 200)}`);
    else if (!(err instanceof MlflowError)) problems.push(`${what} threw untyped ${(err as Error).name}: ${(err as Error).message.slice(0, 200)}`);
    return undefined;
  } finally {
    const ms = performance.now() - t0;
    if (ms > BUDGET_MS) problems.push(`${what} took ${ms.toFixed(0)} ms`);
  }
}

/** Everything a reader does with a store: tolerant listings never throw, the rest only MlflowErrors. */
async function readAll(store: FileStore, tolerant: boolean): Promise<number> {
  const exps = await call('searchExperiments', () => store.searchExperiments({ viewType: 'ALL', maxResults: 50000 }), !tolerant);
  let runs = 0;
  for (const e of exps?.items ?? []) {
    const page = await call(`searchRuns(${e.experimentId})`, () => store.searchRuns([e.experimentId], { runViewType: 'ALL', maxResults: 50000 }), !tolerant);
    await call(`filtered searchRuns(${e.experimentId})`, () => store.searchRuns([e.experimentId], { runViewType: 'ALL', filterString: 'metrics.m > 0 or params.p = \'1\'', orderBy: ['metrics.m DESC'] }), true);
    for (const r of page?.items ?? []) {
      runs++;
      await call(`getRun(${r.info.runId})`, () => store.getRun(r.info.runId), true);
      for (const key of Object.keys(r.data.metrics)) await call(`getMetricHistory(${r.info.runId}, ${key})`, () => store.getMetricHistory(r.info.runId, key), true);
    }
    await call(`listLoggedModels(${e.experimentId})`, () => store.listLoggedModels([e.experimentId]), true);
  }
  return runs;
}

describe.each(listFixtures().map((f) => [f.name, f] as const))('damaged copies of %s', (name, fixture) => {
  it(`${RUNS} stores with 1-6 damaged files: tolerant reads never throw, strict reads throw only MlflowError`, async () => {
    let i = 0;
    let damaged = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), damageArb), { minLength: 1, maxLength: 6 }), async (damages) => {
        const root = copyFixture(fixture, path.join(tmp, `${name}-${i++}`));
        const files = listFiles(root);
        for (const [pick, d] of damages) {
          const p = files[pick % files.length] as string;
          if (!fs.existsSync(p) || !fs.statSync(p).isFile()) continue;
          applyDamage(p, d);
          damaged++;
        }
        const before = problems.length;
        const warnings: unknown[] = [];
        await readAll(new FileStore(root, { onWarning: (w) => warnings.push(w) }), true);
        await readAll(new FileStore(root, { strict: true }), false);
        fs.rmSync(path.dirname(root), { recursive: true, force: true });
        return problems.length === before;
      }),
      { numRuns: RUNS, seed: Number(process.env['RELIABILITY_SEED'] ?? 7) },
    );
    fig.add({ cases: RUNS, faults: damaged });
    expect(problems.slice(0, 10)).toEqual([]);
  });
});
