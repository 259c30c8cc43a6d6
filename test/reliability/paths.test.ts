/**
 * Names that try to leave the root: keys (params, tags, metrics, experiment tags), artifact paths,
 * logged-model and registered-model names with `..`, absolute paths, NUL bytes, Windows drive
 * letters and backslashes are rejected with a typed error (or stay inside the root), and nothing is
 * ever created outside it. Symlinks planted in a store (a metric or param file, a run folder, an
 * experiment folder, a params folder, an artifact folder pointing outside the root) are neither
 * read nor written through.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { snapshotTree } from '../store/tree.js';
import { suiteFigures } from './figures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-rel-paths-'));
const fig = suiteFigures('paths');
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fig.write();
});

/** Names that must be refused everywhere (they name a place outside their folder, or are not names). */
function hostileNames(base: string): string[] {
  const out = [
    '..',
    '../x',
    'a/../../x',
    'a/b/../../../x',
    '/abs',
    `${base}/abs-escape`,
    '\0',
    'a\0b',
    '..\\x',
    'a\\..\\..\\x',
    '\\\\server\\share\\x',
    'C:\\x',
    'C:\\..\\x',
    '.\\..\\x',
    'a/./../../x',
    './../x',
  ];
  for (let k = 1; k <= 8; k++) out.push(`${'../'.repeat(k)}escape-${k}`, `${'..\\'.repeat(k)}escape-bs-${k}`);
  return out;
}
/** Names that are odd on POSIX but may be accepted when they stay inside the folder. */
const ODD_BUT_INSIDE = ['C:/x', 'C:x', 'a//b', 'a/./b', 'x/..', ' ', '.', '...', '.hidden', 'a/b/c/d/e/f/g/h'];
/** Registered-model names are folder names (`models/<name>`); these leave the root on Windows. */
const WINDOWS_ESCAPES = ['a\\..\\..\\x', '.\\..\\x', '..\\x', '\\\\server\\share\\x', 'C:\\x', 'a\\..\\..\\..\\..\\escape'];

interface Attempt {
  what: string;
  name: string;
  fn: () => Promise<unknown>;
}

describe('hostile names on write', () => {
  it('are rejected with MlflowError, and nothing appears outside the root', async () => {
    const base = path.join(tmp, 'write');
    const root = path.join(base, 'mlruns');
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('paths');
    const run = (await c.createRun(eid)).info.runId;
    const local = path.join(base, 'local.txt');
    fs.writeFileSync(local, 'artifact');
    fs.mkdirSync(path.join(base, 'outside'));
    fs.writeFileSync(path.join(base, 'outside', 'keep'), 'keep');
    const outsideBefore = snapshotTree(path.join(base, 'outside'));
    const attempts = (name: string): Attempt[] => [
      { what: 'logParam', name, fn: () => c.logParam(run, name, 'v') },
      { what: 'setTag', name, fn: () => c.setTag(run, name, 'v') },
      { what: 'deleteTag', name, fn: () => c.deleteTag(run, name) },
      { what: 'logMetric', name, fn: () => c.logMetric(run, name, 1) },
      { what: 'logBatch.params', name, fn: () => c.logBatch(run, { params: [{ key: name, value: 'v' }] }) },
      { what: 'logBatch.metrics', name, fn: () => c.logBatch(run, { metrics: [{ key: name, value: 1 }] }) },
      { what: 'logBatch.tags', name, fn: () => c.logBatch(run, { tags: [{ key: name, value: 'v' }] }) },
      { what: 'setExperimentTag', name, fn: () => c.setExperimentTag(eid, name, 'v') },
      { what: 'getMetricHistory', name, fn: () => c.getMetricHistory(run, name) },
      { what: 'logText', name, fn: () => c.logText(run, 'x', name) },
      { what: 'logArtifact', name, fn: () => c.logArtifact(run, local, name) },
      { what: 'logDict', name, fn: () => c.logDict(run, { a: 1 }, name) },
      { what: 'listArtifacts', name, fn: () => c.listArtifacts(run, name) },
      { what: 'downloadArtifacts', name, fn: () => c.downloadArtifacts(run, name) },
      { what: 'createLoggedModel', name, fn: () => c.createLoggedModel(eid, { name }) },
      { what: 'createRegisteredModel', name, fn: () => c.createRegisteredModel(name) },
      { what: 'createExperiment', name, fn: () => c.createExperiment(name, { artifactLocation: `${base}/outside/exp-${name.length}` }) },
      { what: 'getRun', name, fn: () => c.getRun(name) },
      { what: 'getExperiment', name, fn: () => c.getExperiment(name) },
    ];
    const accepted: string[] = [];
    const untyped: string[] = [];
    let n = 0;
    for (const name of hostileNames(base)) {
      for (const a of attempts(name)) {
        n++;
        try {
          await a.fn();
          // Experiment and logged-model names are free text (not paths: stored inside meta.yaml),
          // some reads answer "nothing there", and registered-model names with backslashes are
          // checked on their own below.
          const free = ['createExperiment', 'createLoggedModel', 'getMetricHistory', 'listArtifacts'].includes(a.what);
          const backslashModel = a.what === 'createRegisteredModel' && name.includes('\\');
          if (!free && !backslashModel) accepted.push(`${a.what}(${JSON.stringify(name)})`);
        } catch (err) {
          if (!(err instanceof MlflowError)) untyped.push(`${a.what}(${JSON.stringify(name)}): ${(err as Error).name}: ${(err as Error).message}`);
        }
      }
    }
    for (const name of ODD_BUT_INSIDE) {
      for (const a of attempts(name)) {
        n++;
        await a.fn().catch((err: unknown) => {
          if (!(err instanceof MlflowError)) untyped.push(`${a.what}(${JSON.stringify(name)}): ${(err as Error).name}: ${(err as Error).message}`);
        });
      }
    }
    fig.add({ cases: n, faults: n });
    expect(untyped).toEqual([]);
    expect(accepted).toEqual([]);
    // Nothing was created next to the root, and the outside folder is untouched.
    expect(fs.readdirSync(base).sort()).toEqual(['local.txt', 'mlruns', 'outside']);
    expect(snapshotTree(path.join(base, 'outside'))).toEqual(outsideBefore);
    for (let k = 1; k <= 8; k++) expect(fs.existsSync(path.resolve(root, '../'.repeat(k), `escape-${k}`))).toBe(false);
  });
});

describe('registered-model names', () => {
  // BUG (patch registry-windows-names.diff): a registered model is the folder models/<name>.
  // Python MLflow 3.17 accepts these names on Linux (backslash is an ordinary character there), but
  // the same store opened on Windows (a git-committed mlruns/, see docs/git.md) resolves them
  // outside models/ - or outside the root. Refused on every platform.
  it.each(WINDOWS_ESCAPES)('%j is refused (it leaves the root on Windows)', async (name) => {
    const base = path.join(tmp, 'registry-' + Buffer.from(name).toString('hex'));
    const c = new MlflowClient(path.join(base, 'mlruns'));
    fig.add({ cases: 1, faults: 1 });
    await expect(c.createRegisteredModel(name)).rejects.toBeInstanceOf(MlflowError);
    if (fs.existsSync(base)) expect(fs.readdirSync(base)).toEqual(['mlruns']);
  });
});

// BUG (patch symlinks-stay-inside.diff) for every test below but the artifact one: the store
// follows symlinks anywhere (as Python's os.path.isdir/open do), so a link planted in a store
// (a shared or git-cloned mlruns/) reads and appends files outside the root.
describe('symlinks planted in a store', () => {
  async function setup(name: string): Promise<{ c: MlflowClient; root: string; outside: string; eid: string; run: string; runDir: string; warnings: string[] }> {
    const base = path.join(tmp, name);
    const root = path.join(base, 'mlruns');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(outside, { recursive: true });
    const warnings: string[] = [];
    const c = new MlflowClient(root, { onWarning: (w) => warnings.push(`${w.code} ${w.path}`) });
    const eid = await c.createExperiment(name);
    const run = (await c.createRun(eid, { runName: 'victim' })).info.runId;
    await c.logMetric(run, 'm', 1, { step: 0 });
    fig.add({ cases: 1, faults: 1 });
    return { c, root, outside, eid, run, runDir: path.join(root, eid, run), warnings };
  }

  it('a metric file linked outside the root is neither read nor appended to', async () => {
    const { c, outside, run, runDir } = await setup('metric-link');
    fs.writeFileSync(path.join(outside, 'secret'), '1 42 0\n');
    fs.symlinkSync(path.join(outside, 'secret'), path.join(runDir, 'metrics', 'leak'));
    expect((await c.getRun(run)).data.metrics['leak']).toBeUndefined();
    await c.getMetricHistory(run, 'leak').then(
      (h) => expect(h).toEqual([]),
      (err: unknown) => expect(err).toBeInstanceOf(MlflowError),
    );
    await c.logMetric(run, 'leak', 7).catch((err: unknown) => expect(err).toBeInstanceOf(MlflowError));
    expect(fs.readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('1 42 0\n');
  });

  it('a param or tag file linked outside the root is not read', async () => {
    const { c, outside, run, runDir } = await setup('param-link');
    fs.writeFileSync(path.join(outside, 'password'), 'hunter2');
    fs.symlinkSync(path.join(outside, 'password'), path.join(runDir, 'params', 'pw'));
    fs.symlinkSync(path.join(outside, 'password'), path.join(runDir, 'tags', 'pw'));
    const r = await c.getRun(run);
    expect(r.data.params['pw']).toBeUndefined();
    expect(r.data.tags['pw']).toBeUndefined();
    const s = await c.searchRuns([r.info.experimentId], "params.pw = 'hunter2'");
    expect(s.runs).toEqual([]);
  });

  it('a run folder linked outside the root is not listed, read or written', async () => {
    const { c, outside, eid, run, runDir } = await setup('run-link');
    const foreign = 'f'.repeat(32);
    const target = path.join(outside, 'run');
    fs.cpSync(runDir, target, { recursive: true });
    fs.writeFileSync(path.join(target, 'meta.yaml'), fs.readFileSync(path.join(target, 'meta.yaml'), 'utf8').replaceAll(run, foreign));
    fs.symlinkSync(target, path.join(path.dirname(runDir), foreign));
    const before = snapshotTree(outside);
    expect((await c.searchRuns([eid], '', { runViewType: 'ALL' })).runs.map((r) => r.info.runId)).toEqual([run]);
    await expect(c.getRun(foreign)).rejects.toBeInstanceOf(MlflowError);
    await c.logParam(foreign, 'x', 'y').catch(() => undefined);
    await c.logMetric(foreign, 'x', 1).catch(() => undefined);
    await c.setTerminated(foreign).catch(() => undefined);
    expect(snapshotTree(outside)).toEqual(before);
  });

  it('an experiment folder linked outside the root is not listed, read or written', async () => {
    const { c, root, outside } = await setup('exp-link');
    const target = path.join(outside, 'exp');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'meta.yaml'), `artifact_location: ${target}\ncreation_time: 1\nexperiment_id: '123'\nlast_update_time: 1\nlifecycle_stage: active\nname: foreign\n`);
    fs.symlinkSync(target, path.join(root, '123'));
    const before = snapshotTree(outside);
    const names = (await c.searchExperiments({ viewType: 'ALL' })).experiments.map((e) => e.name);
    expect(names).not.toContain('foreign');
    await c.createRun('123').catch(() => undefined);
    await c.setExperimentTag('123', 'x', 'y').catch(() => undefined);
    expect(snapshotTree(outside)).toEqual(before);
  });

  it("a run's params folder linked outside the root is not read or written", async () => {
    const { c, outside, run, runDir } = await setup('params-dir-link');
    const target = path.join(outside, 'params');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'stolen'), 'secret');
    fs.rmSync(path.join(runDir, 'params'), { recursive: true });
    fs.symlinkSync(target, path.join(runDir, 'params'));
    expect((await c.getRun(run)).data.params['stolen']).toBeUndefined();
    await c.logParam(run, 'new', 'v').catch(() => undefined);
    expect(fs.readdirSync(target)).toEqual(['stolen']);
  });

  it('an artifact folder linked outside the root is not written or listed through', async () => {
    const { c, outside, run, runDir } = await setup('artifact-link');
    fs.writeFileSync(path.join(outside, 'a.txt'), 'outside');
    fs.symlinkSync(outside, path.join(runDir, 'artifacts', 'link'));
    await expect(c.logText(run, 'x', 'link/evil.txt')).rejects.toBeInstanceOf(MlflowError);
    await expect(c.listArtifacts(run, 'link')).rejects.toBeInstanceOf(MlflowError);
    await expect(c.downloadArtifacts(run, 'link/a.txt', path.join(tmp, 'dl'))).rejects.toBeInstanceOf(MlflowError);
    expect(fs.readdirSync(outside)).toEqual(['a.txt']);
  });
});
