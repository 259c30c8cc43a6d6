/**
 * Property: after any random sequence of operations (our writes, Python's writes, deletes,
 * restores, renames, metric appends, truncations, rewrites, experiment folders moved to .trash,
 * branch switches, damaged meta.yaml), a query through the catalog (delta refresh, no watcher)
 * returns exactly what a full scan returns: same run ids, same order, same Run objects, same
 * page token, or the same error.
 *
 * Budgets: MLRUNS_CATALOG_EQ_SEQUENCES operation sequences (default 12, plus 60% of that with
 * pages of 2) and MLRUNS_CATALOG_EQ_QUERIES generated queries (default 250); `npm run fuzz` runs
 * bigger ones on fresh seeds (MLRUNS_FC_SEED), `npm test` the first cases of the fixed seeds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import { catalogSearchRuns, lastSearchPath } from '../../src/catalog/search.js';
import { FileStore } from '../../src/store/file/file-store.js';
import { runFilterArb, runOrderByArb, pageTokenArb, maxResultsArb, viewTypeArb } from '../search/gen.js';
import { Oracle } from '../oracle/oracle.js';
import { applyOp, compareAll, opArb } from './helpers.js';
import type { World } from './helpers.js';

const SEQUENCES = Number(process.env['MLRUNS_CATALOG_EQ_SEQUENCES'] ?? 12);
const QUERIES = Number(process.env['MLRUNS_CATALOG_EQ_QUERIES'] ?? 250);
/** The suite's own seed, unless MLRUNS_FC_SEED asks for another (`npm run fuzz`). */
const seedOf = (own: number): number | undefined => (process.env['MLRUNS_FC_SEED'] ? fc.readConfigureGlobal().seed : own);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-cat-eq-'));
let py: Oracle | undefined;
let stats = { steps: 0, queries: 0 };
beforeAll(async () => {
  py = await Oracle.start('3'); // a missing oracle fails the suite (never a quiet TypeScript-only run)
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`catalog equivalence: ${stats.steps} steps, ${stats.queries} query comparisons`);
});

let n = 0;
function newWorld(): World {
  const root = path.join(tmp, `w${n++}`, 'mlruns');
  return { root, client: new MlflowClient(root), py, stash: path.join(tmp, `stash${n}`), clock: 1_700_000_000_000 };
}

/** Random operation sequences; after each step, fixed varied queries through the catalog == the scan. */
async function sequencesMatchScan(numRuns: number, seed: number | undefined): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb(py !== undefined), { minLength: 1, maxLength: 14 }), async (ops) => {
      const w = newWorld();
      await w.client.createExperiment('base');
      const cat = openCatalog(w.root, { dir: path.join(tmp, 'cat') });
      try {
        for (const op of ops) {
          await applyOp(w, op);
          stats.steps++;
          const diff = compareAll(cat, w.root);
          stats.queries += 50;
          if (diff) throw new Error(`after ${JSON.stringify(op)}: ${diff}`);
        }
      } finally {
        cat.close();
      }
    }),
    { numRuns, ...(seed === undefined ? {} : { seed }) },
  );
}

describe('catalog query == full scan (no watcher: delta refresh on each query)', () => {
  it('random operation sequences, fixed varied queries after each step', async () => {
    await sequencesMatchScan(SEQUENCES, seedOf(42));
  }, 300_000);

  it('the same with stored runs read in pages of 2 (page boundaries, rows removed between pages)', async () => {
    const saved = process.env['MLRUNS_CATALOG_RUN_PAGE'];
    process.env['MLRUNS_CATALOG_RUN_PAGE'] = '2';
    try {
      await sequencesMatchScan(Math.ceil(SEQUENCES * 0.6), seedOf(43));
    } finally {
      if (saved === undefined) delete process.env['MLRUNS_CATALOG_RUN_PAGE'];
      else process.env['MLRUNS_CATALOG_RUN_PAGE'] = saved;
    }
  }, 300_000);

  it('random filters / order_bys / tokens / views from the search generators', async () => {
    const w = newWorld();
    await w.client.createExperiment('base');
    const ops = fc.sample(opArb(py !== undefined), { numRuns: 60, seed: seedOf(7) ?? 7 });
    for (const op of ops) await applyOp(w, op);
    const cat = openCatalog(w.root, { dir: path.join(tmp, 'cat2') });
    const ids = fs.readdirSync(w.root).filter((d) => /^\d+$/.test(d));
    let sql = 0;
    await fc.assert(
      fc.asyncProperty(runFilterArb, runOrderByArb, pageTokenArb, maxResultsArb(50000), viewTypeArb, async (filterString, orderBy, pageToken, maxResults, runViewType) => {
        const q = { filterString, orderBy, pageToken, maxResults, runViewType };
        const run = async (f: () => unknown): Promise<unknown> => {
          try {
            return await f();
          } catch (e) {
            return { error: (e as { code?: string }).code, message: (e as Error).message };
          }
        };
        const want = await run(() => new FileStore(w.root).searchRuns(ids, q));
        const got = await run(() => catalogSearchRuns(cat, new FileStore(w.root), ids, q));
        if (lastSearchPath() === 'sql') sql++;
        stats.queries++;
        expect(got).toEqual(want);
      }),
      { numRuns: QUERIES, ...(seedOf(3) === undefined ? {} : { seed: seedOf(3) }) },
    );
    cat.close();
    expect(sql).toBeGreaterThan(QUERIES / 8);
  }, 300_000);
});
