/**
 * The library as a newcomer calls it: Python's positional filter for the registry searches,
 * arguments of the wrong type refused by every public method, one spelling for the view type,
 * warnings kept on the client (one process warning per kind), and runs git emptied read as runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { MlflowError } from '../../src/errors.js';
import { CORPUS, REPO, build, cleanEnv, copyCorpus, mlruns, py, tmpDir } from './helpers.js';

// Python MLflow starts slowly on a loaded machine.
vi.setConfig({ testTimeout: 300_000 });

let root: string;
let runId: string;

beforeAll(() => {
  build();
  root = path.join(tmpDir(), 'mlruns');
  // Two registered models with versions, written by Python MLflow 3.
  const out = py(
    `
import json, sys, mlflow
from mlflow import MlflowClient
c = MlflowClient(tracking_uri='file://' + sys.argv[1])
e = c.create_experiment('exp')
r = c.create_run(e)
c.log_text(r.info.run_id, 'x', 'model/MLmodel')
for name in ['alpha', 'beta']:
    c.create_registered_model(name)
    for _ in range(2 if name == 'alpha' else 3):
        c.create_model_version(name, 'runs:/%s/model' % r.info.run_id, run_id=r.info.run_id)
print(json.dumps({'run': r.info.run_id,
  'alpha': sorted(int(v.version) for v in c.search_model_versions("name = 'alpha'")),
  'models': [m.name for m in c.search_registered_models("name LIKE 'b%'")]}))
`,
    [root],
  );
  const parsed = JSON.parse(out) as { run: string; alpha: number[]; models: string[] };
  runId = parsed.run;
  expected = parsed;
});
let expected: { alpha: number[]; models: string[] };

async function refused(p: Promise<unknown> | (() => unknown), re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, `expected a refusal matching ${re}`).toBeInstanceOf(MlflowError);
  expect((err as MlflowError).code).toBe('INVALID_PARAMETER_VALUE');
  expect((err as MlflowError).message).toMatch(re);
}

describe('registry searches take the filter positionally, as Python', () => {
  it('searchModelVersions("name = \'alpha\'") returns what Python returns, and the options form still works', async () => {
    const c = new MlflowClient(root);
    const positional = await c.searchModelVersions("name = 'alpha'");
    expect(positional.modelVersions.map((v) => Number(v.version)).sort()).toEqual(expected.alpha);
    expect(positional.modelVersions.every((v) => v.name === 'alpha')).toBe(true);
    const withOptions = await c.searchModelVersions("name = 'alpha'", { maxResults: 1 });
    expect(withOptions.modelVersions).toHaveLength(1);
    const object = await c.searchModelVersions({ filterString: "name = 'alpha'" });
    expect(object.modelVersions).toHaveLength(expected.alpha.length);
    expect((await c.searchModelVersions()).modelVersions).toHaveLength(5);
  });

  it('searchRegisteredModels(filter) as Python, and the options form', async () => {
    const c = new MlflowClient(root);
    expect((await c.searchRegisteredModels("name LIKE 'b%'")).registeredModels.map((m) => m.name)).toEqual(expected.models);
    expect((await c.searchRegisteredModels({ filterString: "name LIKE 'b%'" })).registeredModels.map((m) => m.name)).toEqual(expected.models);
    await refused(c.searchRegisteredModels({ filterString: 'x' }, { maxResults: 1 }), /one object/);
  });
});

describe('every public method refuses an argument of the wrong type', () => {
  const cases: Array<[string, (c: MlflowClient) => Promise<unknown>, RegExp]> = [
    ['getRun(number)', (c) => c.getRun(42 as never), /getRun: argument 'runId' must be a string, got the number 42/],
    ['getExperiment(object)', (c) => c.getExperiment({} as never), /getExperiment: argument 'experimentId' must be a string or an integer/],
    ['createExperiment(number)', (c) => c.createExperiment(3 as never), /createExperiment: argument 'name' must be a string/],
    ['createExperiment(name, string)', (c) => c.createExperiment('x', 'loc' as never), /argument 'options' must be an object of options/],
    ['searchExperiments(unknown option)', (c) => c.searchExperiments({ viewtype: 'ALL' } as never), /unknown option 'viewtype' \(options: viewType/],
    ['searchExperiments(bad view)', (c) => c.searchExperiments({ viewType: 'all' as never }), /option 'viewType' must be one of ACTIVE_ONLY, DELETED_ONLY, ALL/],
    ['searchRuns(ids, options as filter)', (c) => c.searchRuns(['0'], { maxResults: 1 } as never), /searchRuns: argument 'filterString' must be a string/],
    ['searchRuns(ids, f, bad maxResults)', (c) => c.searchRuns(['0'], '', { maxResults: '5' as never }), /option 'maxResults' must be an integer/],
    ['searchRuns(object id)', (c) => c.searchRuns([{}] as never), /argument 'experimentIds\[\]'/],
    ['logParam(run, number key)', (c) => c.logParam(runId, 5 as never, 'v'), /logParam: argument 'key' must be a string/],
    ['logMetric(run, k, v, bad step)', (c) => c.logMetric(runId, 'k', 1, { step: 1.5 }), /option 'step' must be an integer/],
    ['logMetric(run, k, v, number as options)', (c) => c.logMetric(runId, 'k', 1, 5 as never), /argument 'options' must be an object/],
    ['logBatch(run, array)', (c) => c.logBatch(runId, [] as never), /argument 'batch' must be an object/],
    ['setTag(null run)', (c) => c.setTag(null as never, 'k', 'v'), /setTag: argument 'runId' must be a string, got null/],
    ['logDict(run, string)', (c) => c.logDict(runId, 'x' as never, 'a.json'), /argument 'dictionary' must be an object/],
    ['listArtifacts(run, number)', (c) => c.listArtifacts(runId, 1 as never), /argument 'path' must be a string \(or null\)/],
    ['updateRun(run, {state})', (c) => c.updateRun(runId, { state: 'FINISHED' } as never), /unknown option 'state'/],
    ['createRun(exp, {name})', (c) => c.createRun('0', { name: 'x' } as never), /unknown option 'name' \(options: runName/],
    ['searchLoggedModels(string)', (c) => c.searchLoggedModels('0' as never), /argument 'experimentIds' must be an array/],
    ['getRegisteredModel(number)', (c) => c.getRegisteredModel(1 as never), /getRegisteredModel: argument 'name' must be a string/],
    ['getModelVersion(name, object)', (c) => c.getModelVersion('alpha', {} as never), /argument 'version' must be a string or an integer/],
    ['searchModelVersions(number)', (c) => c.searchModelVersions(5 as never), /argument 'filterString' must be a string/],
    ['registerModel(uri, name, string)', (c) => c.registerModel('runs:/x/y', 'n', 'tags' as never), /argument 'options' must be an object/],
    ['transitionModelVersionStage(..., {archive})', (c) => c.transitionModelVersionStage('alpha', 1, 'Staging', { archive: true } as never), /unknown option 'archive'/],
    ['setRegisteredModelAlias(name, alias, object)', (c) => c.setRegisteredModelAlias('alpha', 'a', [] as never), /argument 'version' must be a string or an integer, got an array/],
  ];
  it.each(cases)('%s', async (_name, call, re) => {
    await refused(call(new MlflowClient(root)), re);
  });

  it('nothing was written by the refused calls', async () => {
    const c = new MlflowClient(root);
    const run = await c.getRun(runId);
    expect(run.data.params).toEqual({});
    expect(run.data.tags['k']).toBeUndefined();
  });
});

describe('one spelling of the view type', () => {
  it('searchRuns takes viewType (as searchExperiments) and still runViewType; both must agree', async () => {
    const c = new MlflowClient(path.join(tmpDir(), 'mlruns'));
    const e = await c.createExperiment('v');
    const a = await c.createRun(e);
    const b = await c.createRun(e);
    await c.deleteRun(b.info.runId);
    const ids = async (o: object): Promise<string[]> => (await c.searchRuns([e], '', o)).runs.map((r) => r.info.runId).sort();
    expect(await ids({ viewType: 'DELETED_ONLY' })).toEqual([b.info.runId]);
    expect(await ids({ runViewType: 'DELETED_ONLY' })).toEqual([b.info.runId]);
    expect(await ids({ viewType: 'ALL' })).toEqual([a.info.runId, b.info.runId].sort());
    expect(await ids({})).toEqual([a.info.runId]);
    await refused(c.searchRuns([e], '', { viewType: 'ALL', runViewType: 'ACTIVE_ONLY' }), /disagree/);
  });
});

describe('warnings stay on the client', () => {
  it('a program reading a damaged store gets one process warning per kind, not one per entry', () => {
    const r2 = path.join(tmpDir(), 'mlruns');
    const c = new MlflowClient(r2);
    // Five damaged runs (empty meta.yaml) and one more kind (a folder without meta.yaml).
    const script = `
import { MlflowClient } from ${JSON.stringify(path.join(REPO, 'dist/index.js'))};
const c = new MlflowClient(process.argv[2]);
const { runs } = await c.searchRuns(['0'], '', { maxResults: 100 });
console.log(JSON.stringify({ runs: runs.length, warnings: c.warnings.map((w) => w.code) }));
`;
    return (async () => {
      for (let i = 0; i < 7; i++) await c.createRun('0');
      const dirs = fs.readdirSync(path.join(r2, '0')).filter((d) => d !== 'meta.yaml');
      for (const d of dirs.slice(0, 5)) fs.writeFileSync(path.join(r2, '0', d, 'meta.yaml'), '');
      fs.mkdirSync(path.join(r2, '0', 'not-a-run'));
      const file = path.join(tmpDir(), 'read.mjs');
      fs.writeFileSync(file, script);
      const out = spawnSync(process.execPath, [file, r2], { encoding: 'utf8', env: cleanEnv() });
      expect(out.status).toBe(0);
      const result = JSON.parse(out.stdout) as { runs: number; warnings: string[] };
      expect(result.runs).toBe(2);
      expect(result.warnings.filter((w) => w === 'EMPTY_META')).toHaveLength(5);
      expect(result.warnings.filter((w) => w === 'MISSING_META')).toHaveLength(1);
      const lines = out.stderr.split('\n').filter((l) => /MlflowWarning/.test(l));
      expect(lines).toHaveLength(2);
      expect(lines.join('\n')).toMatch(/further problems of this kind are only kept on client\.warnings/);
    })();
  });
});

describe.skipIf(!CORPUS)('a committed run that git emptied (264Gaurav store)', () => {
  it('reads as a run with no artifacts (a warning names the folder and the fix); a write recreates the folders; Python reads it then', async () => {
    const store = copyCorpus('264Gaurav__mlflow-experiment-tracking');
    const id = '1823c75740ea43a0bfba7e54f35ad067';
    const runDir = path.join(store, '164735919625926700', id);
    expect(fs.existsSync(path.join(runDir, 'artifacts'))).toBe(false);
    const pyGet = `
import sys, mlflow
try:
    print(mlflow.MlflowClient('file://' + sys.argv[1]).get_run(sys.argv[2]).info.run_id)
except Exception as e:
    print('error: ' + str(e))
`;
    expect(py(pyGet, [store, id]).trim()).toBe(`error: Run '${id}' not found`);
    const c = new MlflowClient(store, { onWarning: () => undefined });
    const run = await c.getRun(id);
    expect(run.info.runId).toBe(id);
    expect(await c.listArtifacts(id)).toEqual([]);
    const w = c.warnings.find((x) => x.code === 'MISSING_FOLDER');
    expect(w?.message).toMatch(/has no artifacts\/ folder .*mlruns doctor --fix/);
    // The CLI's `runs` and `show` agree.
    const listed = mlruns(['--root', store, 'runs', '-e', '164735919625926700', '-c', 'run_id']);
    expect(listed.stdout).toContain(id);
    const shown = mlruns(['--root', store, 'show', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Run ${id}`);
    expect(shown.stderr).toMatch(/1 run missing folders git dropped, read as empty \('mlruns doctor --fix' restores them\)/);
    await c.setTag(id, 'seen', 'yes');
    expect(fs.statSync(path.join(runDir, 'artifacts')).isDirectory()).toBe(true);
    expect(py(pyGet, [store, id]).trim()).toBe(id);
  });
});
