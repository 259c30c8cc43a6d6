/**
 * The corpus: real mlruns/ folders people committed to public repositories (MLflow 0.x to 3.x,
 * Linux/macOS/Windows, damaged ones included). Each is read without a crash; every experiment,
 * run and metric history Python 3.17 reads, we read identically; where Python fails, we still
 * return the rest, with warnings that name the paths.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Experiment, Metric, Run } from '../../src/entities.js';
import type { ReadWarning } from '../../src/errors.js';
import { diffValues, normalizeExperiment, normalizeMetric, normalizeRun, replaceRoots } from '../oracle/normalize.js';
import { isPyError, Oracle } from '../oracle/oracle.js';
import { dumpWithOurLibrary } from './dump.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** `../shared/corpus` beside the main checkout (/work/main), or beside a worktree's parent (/work/wt/<name>). */
const CORPUS =
  [path.join(REPO, '../shared/corpus'), path.join(REPO, '../../shared/corpus')].find((p) => fs.existsSync(p)) ?? path.join(REPO, '../shared/corpus');

/** Every store in the corpus: a folder holding `.trash` or an experiment folder with meta.yaml, not inside another store. */
function findStores(): string[] {
  if (!fs.existsSync(CORPUS)) return [];
  const stores: string[] = [];
  for (const entry of fs.readdirSync(CORPUS, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const top = path.join(CORPUS, entry.name);
    const visit = (dir: string, depth: number): void => {
      if (depth > 3) return;
      if (path.basename(dir) === 'mlruns') {
        stores.push(dir);
        return;
      }
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) visit(path.join(dir, e.name), depth + 1);
    };
    visit(top, 0);
  }
  return stores.sort();
}

const stores = findStores();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-corpus-'));
let py: Oracle;
let py1: Oracle | undefined;
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  await py1?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('corpus', () => {
  it('has the stores the corpus README lists', () => {
    expect(fs.existsSync(CORPUS), `corpus missing at ${CORPUS}`).toBe(true);
    expect(stores.length).toBeGreaterThanOrEqual(14);
  });

  it.each(stores.map((s) => [path.relative(CORPUS, s), s]))('%s', async (_name, store) => {
    const copy = path.join(tmp, path.relative(CORPUS, store));
    fs.cpSync(store, copy, { recursive: true });
    fs.chmodSync(copy, 0o755);
    const warnings: ReadWarning[] = [];
    const ours = await dumpWithOurLibrary(copy, '3', { onWarning: (w) => warnings.push(w) });
    const theirs = await py.dump(copy, { timeoutMs: 300_000 });
    const roots = [copy];
    const norm = <T>(v: T): T => replaceRoots(v, roots);

    const pyExps = (Array.isArray(theirs.experiments) ? theirs.experiments : theirs.experiments.items).filter((e) => !isPyError(e)) as Experiment[];
    const ourExps = ours.experiments as Experiment[];
    for (const e of pyExps) {
      const mine = ourExps.find((x) => x.experimentId === e.experimentId);
      expect(mine, `experiment ${e.experimentId}`).toBeDefined();
      const legacy = warnings.find((w) => w.code === 'LIFECYCLE_CONFLICT' && w.path === path.join(copy, '.trash', e.experimentId, 'meta.yaml'));
      if (legacy) {
        // Deleted by MLflow <= 2.2: in .trash, meta.yaml still 'active'. 3.x trusts the file; the
        // MLflow that wrote it (and we) read it as deleted, with a warning naming the file.
        expect(e.lifecycleStage).toBe('active');
        expect((mine as Experiment).lifecycleStage).toBe('deleted');
        expect(diffValues(norm(normalizeExperiment({ ...(mine as Experiment), lifecycleStage: 'active' })), norm(normalizeExperiment(e)))).toEqual([]);
        continue;
      }
      expect(diffValues(norm(normalizeExperiment(mine as Experiment)), norm(normalizeExperiment(e)))).toEqual([]);
    }

    let pyRunCount = 0;
    let ourRunCount = 0;
    for (const [expId, listing] of Object.entries(theirs.runs)) {
      const pyRuns = (Array.isArray(listing) ? listing : listing.items).filter((r) => !isPyError(r)) as Run[];
      const ourRuns = (ours.runs[expId] ?? []) as Run[];
      pyRunCount += pyRuns.length;
      ourRunCount += ourRuns.length;
      for (const r of pyRuns) {
        const mine = ourRuns.find((x) => x.info.runId === r.info.runId);
        expect(mine, `run ${r.info.runId}`).toBeDefined();
        expect(diffValues(norm(normalizeRun(mine as Run, '3')), norm(normalizeRun(r, '3')))).toEqual([]);
        const pyHist = theirs.metricHistory[r.info.runId] ?? {};
        for (const [key, h] of Object.entries(pyHist)) {
          if (isPyError(h)) continue;
          const ourH = (ours.metricHistory[r.info.runId] ?? {})[key];
          expect(Array.isArray(ourH), `history ${r.info.runId}/${key}`).toBe(true);
          expect(diffValues((ourH as Metric[]).map((m) => normalizeMetric(m, '3')), h.map((m) => normalizeMetric(m, '3')))).toEqual([]);
        }
      }
    }
    // We return at least every run Python returns; anything Python lists but we skip would have failed above.
    expect(ourRunCount).toBeGreaterThanOrEqual(pyRunCount);
    // Runs MLflow 3.17 cannot read (0.x files: run_uuid without run_id): MLflow 1.30 reads them,
    // and we read them as 1.30 does.
    const failedIds = Object.values(theirs.runs).flatMap((l) => (Array.isArray(l) ? [] : l.items.filter((r) => isPyError(r)).map((r) => (r as { runId: string }).runId)));
    if (failedIds.length > 0) {
      py1 ??= await Oracle.start('1');
      const old = await py1.dump(copy, { timeoutMs: 300_000 });
      let compared = 0;
      for (const [expId, listing] of Object.entries(old.runs)) {
        for (const r of (Array.isArray(listing) ? listing : listing.items).filter((x) => !isPyError(x)) as Run[]) {
          if (!failedIds.includes(r.info.runId)) continue;
          const mine = ((ours.runs[expId] ?? []) as Run[]).find((x) => x.info.runId === r.info.runId);
          expect(mine, `run ${r.info.runId}`).toBeDefined();
          expect(diffValues(norm(normalizeRun(mine as Run, '1')), norm(normalizeRun(r, '1')))).toEqual([]);
          compared++;
        }
      }
      expect(compared).toBe(failedIds.length);
    }
    // Every warning names a path inside the store.
    for (const w of warnings) expect(w.path.startsWith(copy) || /^(file:|[A-Za-z]:|\/|mlflow-artifacts:)/.test(w.path)).toBe(true);
  }, 600_000);
});
