/**
 * Damaged folders are read around: the damaged entry is skipped with a warning naming its path,
 * the rest is returned; `strict: true` throws instead. Python's reaction to each is recorded too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import type { ReadWarning } from '../../src/errors.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { Oracle } from '../oracle/oracle.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-damage-'));
let py: Oracle;
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Built {
  root: string;
  eid: string;
  good: string;
  victim: string;
  runDir: (id: string) => string;
}

let n = 0;
async function build(): Promise<Built> {
  const root = path.join(tmp, `s${n++}`, 'mlruns');
  const c = new MlflowClient(root);
  const eid = await c.createExperiment('e');
  const good = (await c.createRun(eid, { runName: 'good' })).info.runId;
  await c.logMetric(good, 'loss', 0.5, { timestamp: 1, step: 0 });
  const victim = (await c.createRun(eid, { runName: 'victim' })).info.runId;
  await c.logMetric(victim, 'loss', 0.7, { timestamp: 1, step: 0 });
  await c.logParam(victim, 'p', 'v');
  return { root, eid, good, victim, runDir: (id) => path.join(root, eid, id) };
}

interface DamageCase {
  name: string;
  damage: (b: Built) => string; // returns the path the warning must name
  /** What a tolerant read keeps: the victim run entirely, or only without the damaged part. */
  victimKept: boolean;
}

const cases: DamageCase[] = [
  { name: 'empty run meta.yaml', victimKept: false, damage: (b) => { const p = path.join(b.runDir(b.victim), 'meta.yaml'); fs.writeFileSync(p, ''); return p; } },
  { name: 'truncated run meta.yaml', victimKept: false, damage: (b) => { const p = path.join(b.runDir(b.victim), 'meta.yaml'); const t = fs.readFileSync(p, 'utf8'); fs.writeFileSync(p, t.slice(0, 40)); return p; } },
  { name: 'run meta.yaml that is not YAML', victimKept: false, damage: (b) => { const p = path.join(b.runDir(b.victim), 'meta.yaml'); fs.writeFileSync(p, 'a: [unclosed\n  b: {'); return p; } },
  { name: 'run meta.yaml with an invalid status', victimKept: false, damage: (b) => { const p = path.join(b.runDir(b.victim), 'meta.yaml'); fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace(/status: \d/, 'status: 42')); return p; } },
  { name: 'stray .DS_Store in metrics/', victimKept: true, damage: (b) => { const p = path.join(b.runDir(b.victim), 'metrics', '.DS_Store'); fs.writeFileSync(p, Buffer.from([0, 0, 0, 1, 66, 117, 100, 49])); return p; } },
  { name: 'metric file with a torn line', victimKept: true, damage: (b) => { const p = path.join(b.runDir(b.victim), 'metrics', 'loss'); fs.appendFileSync(p, '17170000'); return p; } },
  { name: '.ipynb_checkpoints folder in an experiment', victimKept: true, damage: (b) => { const p = path.join(b.root, b.eid, '.ipynb_checkpoints'); fs.mkdirSync(p); return p; } },
  { name: '.ipynb_checkpoints folder in the root', victimKept: true, damage: (b) => { const p = path.join(b.root, '.ipynb_checkpoints'); fs.mkdirSync(p); return p; } },
  { name: 'experiment folder without meta.yaml', victimKept: true, damage: (b) => { const p = path.join(b.root, '12345'); fs.mkdirSync(path.join(p, 'abc'), { recursive: true }); return p; } },
  { name: 'empty experiment meta.yaml', victimKept: true, damage: (b) => { const p = path.join(b.root, '777'); fs.mkdirSync(p); fs.writeFileSync(path.join(p, 'meta.yaml'), ''); return path.join(p, 'meta.yaml'); } },
];

describe('damaged folders', () => {
  it.each(cases.map((k) => [k.name, k] as const))('%s', async (_name, k) => {
    const b = await build();
    const named = k.damage(b);
    const warnings: ReadWarning[] = [];
    const c = new MlflowClient(b.root, { onWarning: (w) => warnings.push(w) });
    const { runs } = await c.searchRuns([b.eid], '', { runViewType: 'ALL' });
    const ids = runs.map((r) => r.info.runId);
    expect(ids).toContain(b.good);
    expect(ids.includes(b.victim)).toBe(k.victimKept);
    const exps = (await c.searchExperiments({ viewType: 'ALL' })).experiments.map((e) => e.experimentId);
    expect(exps).toContain(b.eid);
    expect(warnings.map((w) => w.path)).toContain(named);
    // The good run is intact.
    const good = runs.find((r) => r.info.runId === b.good);
    expect(good?.data.metrics).toEqual({ loss: 0.5 });
    // strict mode throws an MlflowError naming the same path.
    const strict = new MlflowClient(b.root, { strict: true });
    let thrown: unknown;
    try {
      await strict.searchRuns([b.eid], '', { runViewType: 'ALL' });
      await strict.searchExperiments({ viewType: 'ALL' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(MlflowError);
    expect((thrown as MlflowError).path).toBe(named);
    // What Python 3.17 does with the same folder (recorded, not required to succeed).
    const theirs = await py.execOrError<string[]>(b.root, "result = [r.info.run_id for r in client.search_runs([vars['e']], run_view_type=ViewType.ALL)]", { e: b.eid });
    if (Array.isArray(theirs)) expect(theirs).toContain(b.good);
  });

  it('reads a run whose sub-folders are missing (search lists it; getRun reads it with a MISSING_FOLDER warning where MLflow 3.8+ says not found)', async () => {
    const b = await build();
    fs.rmSync(path.join(b.runDir(b.victim), 'artifacts'), { recursive: true });
    const warnings: string[] = [];
    const c = new MlflowClient(b.root, { onWarning: (w) => warnings.push(w.code) });
    const { runs } = await c.searchRuns([b.eid]);
    expect(runs.map((r) => r.info.runId)).toContain(b.victim);
    expect((await c.getRun(b.victim)).info.runId).toBe(b.victim);
    expect(warnings).toContain('MISSING_FOLDER');
    expect(fs.existsSync(path.join(b.runDir(b.victim), 'artifacts'))).toBe(false); // a read repairs nothing
    const theirs = await py.execOrError(b.root, "result = client.get_run(vars['r']).info.run_id", { r: b.victim });
    expect(theirs).toMatchObject({ error: { code: 'RESOURCE_DOES_NOT_EXIST' } });
  });
});
