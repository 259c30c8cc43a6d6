/**
 * A real duplicate run id: the same run folder in two experiment folders (copied by hand, a bad
 * merge). Read as Python MLflow 3 reads it — `get_run` takes the first folder `_find_run_root`
 * lists (the root's experiments, then `.trash`'s, in `os.listdir` order) and fails when that
 * copy's meta.yaml names another experiment; `search_runs` returns every copy whose meta.yaml
 * names its own experiment — and never silently: a DUPLICATE_RUN warning names every folder and
 * points at `mlruns doctor`. An experiment id both in the root and in `.trash` is not a duplicate run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import type { ReadWarning } from '../../src/errors.js';
import { diagnose } from '../../src/git/doctor.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { Oracle } from '../oracle/oracle.js';

vi.setConfig({ testTimeout: 180_000 });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-duprun-'));
let py: Oracle;
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
/** A store with experiments `a` and `b` (and a deleted `d`) and one run in `a`. */
async function build(): Promise<{ root: string; a: string; b: string; d: string; run: string; c: MlflowClient }> {
  const root = path.join(tmp, `s${n++}`, 'mlruns');
  const c = new MlflowClient(root);
  const a = await c.createExperiment('a');
  const b = await c.createExperiment('b');
  const d = await c.createExperiment('d');
  const run = (await c.createRun(a, { runName: 'r' })).info.runId;
  await c.logMetric(run, 'loss', 0.5, { timestamp: 1, step: 0 });
  await c.logParam(run, 'p', 'v');
  await c.deleteExperiment(d);
  return { root, a, b, d, run, c };
}

/** Copies a run folder into another experiment folder, optionally making its meta.yaml name that experiment. */
function copyRun(from: string, toExperimentDir: string, toExperimentId?: string): string {
  const dest = path.join(toExperimentDir, path.basename(from));
  fs.cpSync(from, dest, { recursive: true });
  if (toExperimentId !== undefined) {
    const meta = path.join(dest, 'meta.yaml');
    fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace(/^experiment_id: .*$/m, `experiment_id: '${toExperimentId}'`));
  }
  return dest;
}

function reader(root: string): { c: MlflowClient; warnings: ReadWarning[] } {
  const warnings: ReadWarning[] = [];
  return { c: new MlflowClient(root, { onWarning: (w) => warnings.push(w) }), warnings };
}

const GET = "r = client.get_run(vars['r']); result = [r.info.experiment_id, r.data.metrics]";
const SEARCH = "result = sorted([r.info.run_id, r.info.experiment_id] for r in client.search_runs(vars['e'], run_view_type=ViewType.ALL))";

describe('the same run id in two experiment folders', () => {
  it('a copy in a deleted experiment: getRun reads the root one (as get_run), with a warning naming both folders and mlruns doctor', async () => {
    const s = await build();
    const original = path.join(s.root, s.a, s.run);
    const copy = copyRun(original, path.join(s.root, '.trash', s.d));
    const { c, warnings } = reader(s.root);
    const run = await c.getRun(s.run);
    const theirs = await py.exec<[string, Record<string, number>]>(s.root, GET, { r: s.run });
    expect([run.info.experimentId, run.data.metrics]).toEqual(theirs);
    expect(theirs[0]).toBe(s.a);
    const dup = warnings.filter((w) => w.code === 'DUPLICATE_RUN');
    expect(dup).toHaveLength(1);
    expect(dup[0]?.path).toBe(original);
    expect(dup[0]?.message).toContain(`'${original}'`);
    expect(dup[0]?.message).toContain(`'${copy}'`);
    expect(dup[0]?.message).toMatch(/mlruns doctor/);
    expect(c.warnings.some((w) => w.code === 'DUPLICATE_RUN')).toBe(true);
    // Search: the copy's meta.yaml names experiment a, so Python skips it in d; so do we.
    const mine = (await c.searchRuns([s.a, s.d], '', { runViewType: 'ALL' })).runs.map((r) => [r.info.runId, r.info.experimentId]).sort();
    expect(mine).toEqual(await py.exec(s.root, SEARCH, { e: [s.a, s.d] }));
    // strict mode: the damage throws, naming the folder read.
    await expect(new MlflowClient(s.root, { strict: true }).getRun(s.run)).rejects.toMatchObject({ code: 'MALFORMED_DATA', path: original });
  });

  it("an unchanged copy listed first (the original's experiment deleted): getRun fails as get_run does, and the warning says why", async () => {
    const s = await build();
    // The run's own experiment goes to .trash; the copy in active b is what Python lists first.
    await s.c.deleteExperiment(s.a);
    const original = path.join(s.root, '.trash', s.a, s.run);
    const copy = copyRun(original, path.join(s.root, s.b));
    const { c, warnings } = reader(s.root);
    let mine: unknown;
    try {
      await c.getRun(s.run);
    } catch (e) {
      mine = e;
    }
    expect(mine).toBeInstanceOf(MlflowError);
    const theirs = await py.execOrError(s.root, GET, { r: s.run });
    expect(theirs).toMatchObject({ error: { code: (mine as MlflowError).code, message: (mine as MlflowError).message } });
    expect((mine as MlflowError).code).toBe('INVALID_STATE');
    const dup = warnings.find((w) => w.code === 'DUPLICATE_RUN');
    expect(dup?.path).toBe(copy);
    expect(dup?.message).toContain(`'${original}'`);
  });

  it('a copy whose meta.yaml was made to name its new experiment: getRun matches get_run, search returns both copies as search_runs does (with the warning)', async () => {
    const s = await build();
    copyRun(path.join(s.root, s.a, s.run), path.join(s.root, s.b), s.b);
    const { c, warnings } = reader(s.root);
    const run = await c.getRun(s.run);
    expect([run.info.experimentId, run.data.metrics]).toEqual(await py.exec(s.root, GET, { r: s.run }));
    const found = (await c.searchRuns([s.a, s.b])).runs.map((r) => [r.info.runId, r.info.experimentId]).sort();
    expect(found).toEqual(await py.exec(s.root, SEARCH, { e: [s.a, s.b] }));
    expect(found).toHaveLength(2);
    expect(warnings.filter((w) => w.code === 'DUPLICATE_RUN')).toHaveLength(1);
    // A search alone (a fresh client) says it too.
    const fresh = reader(s.root);
    expect((await fresh.c.searchRuns([s.a, s.b])).runs).toHaveLength(2);
    expect(fresh.warnings.map((w) => w.code)).toContain('DUPLICATE_RUN');
    // mlruns doctor reports it as its own kind, with no automatic repair (which copy to keep is the user's call).
    const findings = diagnose(s.root).filter((f) => f.kind === 'duplicate-run');
    expect(findings).toHaveLength(1);
    expect(findings[0]?.fix).toBeUndefined();
    expect(findings[0]?.message).toMatch(/search_runs returns it 2 times.*Keep one/);
  });

  it('doctor: an unchanged copy is a leftover that --fix quarantines (its experiment-id rewrite withheld)', async () => {
    const s = await build();
    const copy = copyRun(path.join(s.root, s.a, s.run), path.join(s.root, s.b));
    const findings = diagnose(s.root);
    const dup = findings.filter((f) => f.kind === 'duplicate-run');
    expect(dup).toHaveLength(1);
    expect(dup[0]?.fix).toEqual({ action: 'quarantine', path: copy });
    const mismatch = findings.find((f) => f.kind === 'experiment-id-mismatch');
    expect(mismatch?.path).toBe(path.join(copy, 'meta.yaml'));
    expect(mismatch?.fix).toBeUndefined();
  });

  it('an experiment both in the root and in .trash is not a duplicate run: no warning, read as Python reads it', async () => {
    const s = await build();
    fs.mkdirSync(path.join(s.root, '.trash', s.a));
    fs.copyFileSync(path.join(s.root, s.a, 'meta.yaml'), path.join(s.root, '.trash', s.a, 'meta.yaml'));
    const { c, warnings } = reader(s.root);
    const run = await c.getRun(s.run);
    expect([run.info.experimentId, run.data.metrics]).toEqual(await py.exec(s.root, GET, { r: s.run }));
    expect(warnings.map((w) => w.code)).not.toContain('DUPLICATE_RUN');
    expect(diagnose(s.root).map((f) => f.kind)).not.toContain('duplicate-run');
  });
});
