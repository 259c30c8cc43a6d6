/**
 * Proves the Python oracle itself works on every pinned MLflow version: it reproduces each fixture's
 * expected.json, searches, executes code, carries floats both ways and reports MLflow's errors.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Experiment, Run } from '../../src/entities.js';
import { copyFixture, fixtureFor, listFixtures, loadExpected, loadManifest, type Fixture, type FixtureManifest } from './fixtures.js';
import { diffValues, findErrors, normalizeDump, normalizeRun } from './normalize.js';
import {
  decodeFloats,
  encodeFloats,
  isPyError,
  Oracle,
  ORACLE_VERSIONS,
  OracleError,
  parseOracleJson,
  type Dump,
  type OracleVersion,
  type PyErrorEntry,
  type SearchRunsResult,
} from './oracle.js';

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'mlruns-oracle-test-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

function ok<T>(x: T | PyErrorEntry): T {
  if (isPyError(x)) throw new Error(`python failed: ${JSON.stringify(x.error)}`);
  return x;
}

describe('float codec', () => {
  it('decodes markers and encodes non-finite numbers and -0', () => {
    const v = parseOracleJson('{"a":{"$float":"nan"},"b":[{"$float":"inf"},{"$float":"-inf"}],"c":-0.0,"d":1e-05}') as {
      a: number;
      b: number[];
      c: number;
      d: number;
    };
    expect(v.a).toBeNaN();
    expect(v.b).toEqual([Infinity, -Infinity]);
    expect(Object.is(v.c, -0)).toBe(true);
    expect(v.d).toBe(1e-5);
    expect(encodeFloats({ x: [NaN, Infinity, -Infinity, -0, 1.5] })).toEqual({
      x: [{ $float: 'nan' }, { $float: 'inf' }, { $float: '-inf' }, { $float: '-0.0' }, 1.5],
    });
    expect(decodeFloats({ y: { $float: 'inf' }, z: { $float: 'x', other: 1 } })).toEqual({
      y: Infinity,
      z: { $float: 'x', other: 1 },
    });
  });
});

describe('Oracle.start', () => {
  it('names npm run oracle when the virtualenv is missing', async () => {
    const saved = process.env['MLRUNS_ORACLE_DIR'];
    process.env['MLRUNS_ORACLE_DIR'] = path.join(os.tmpdir(), 'no-such-oracle-dir');
    try {
      await expect(Oracle.start('3')).rejects.toThrow(/npm run oracle/);
    } finally {
      if (saved === undefined) delete process.env['MLRUNS_ORACLE_DIR'];
      else process.env['MLRUNS_ORACLE_DIR'] = saved;
    }
  });
});

it('has one fixture per oracle version', () => {
  expect(listFixtures().map((f) => f.oracleVersion).sort()).toEqual(['1', '2', '3']);
});

describe.each(ORACLE_VERSIONS.map((v) => [v] as [OracleVersion]))('MLflow %s.x oracle', (version) => {
  let oracle: Oracle;
  let fixture: Fixture;
  let manifest: FixtureManifest;
  let root: string; // a copy of the fixture
  const major = Number(version);

  beforeAll(async () => {
    oracle = await Oracle.start(version);
    fixture = fixtureFor(version);
    manifest = loadManifest(fixture);
    root = copyFixture(fixture, tmpDir());
  });
  afterAll(async () => {
    await oracle?.close();
  });

  it('reports the pinned version', async () => {
    expect(oracle.mlflowVersion).toBe(fixture.mlflowVersion);
    expect(await oracle.pythonVersion()).toBe(fixture.mlflowVersion);
  });

  it('dumps the fixture exactly as expected.json', async () => {
    const dump = await oracle.dump(root);
    const expected = loadExpected(fixture);
    expect(diffValues(dump, expected)).toEqual([]);
    expect(dump).toEqual(expected);
    expect(findErrors(dump)).toEqual([]);
    // normalization is idempotent and keeps a healthy dump intact
    const n = normalizeDump(dump, { version, roots: [fixture.generatedRoot] });
    expect(normalizeDump(n, { version })).toEqual(n);
    expect(diffValues(n, normalizeDump(expected, { version, roots: [fixture.generatedRoot] }))).toEqual([]);
  });

  it('recreates the empty directories git drops', async () => {
    // simulate a git checkout of the fixture: no empty directories
    const stripped = tmpDir();
    cpSync(fixture.dir, stripped, { recursive: true });
    const prune = (dir: string): boolean => {
      let empty = true;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory() ? !prune(path.join(dir, e.name)) : true) empty = false;
      }
      if (empty) {
        rmSync(dir, { recursive: true });
        pruned++;
      }
      return empty;
    };
    let pruned = 0;
    prune(path.join(stripped, 'mlruns'));
    // In a fresh clone git already dropped them (pruned = 0); either way they are missing now.
    const listed = readFileSync(path.join(fixture.dir, 'empty-dirs.txt'), 'utf8').split('\n').filter(Boolean);
    const missing = listed.filter((d) => !existsSync(path.join(stripped, 'mlruns', d)));
    expect(pruned + missing.length).toBeGreaterThan(10);
    expect(missing.length).toBe(listed.length);
    const copy = copyFixture({ ...fixture, dir: stripped, mlruns: path.join(stripped, 'mlruns') }, tmpDir());
    expect(diffValues(await oracle.dump(copy), loadExpected(fixture))).toEqual([]);
  });

  it('sees what the generator wrote', async () => {
    const dump = await oracle.dump(root);
    const exps = dump.experiments as Experiment[];
    const byName = new Map(exps.map((e) => [e.name, e]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'Default',
        'custom-artifact-location',
        'deleted-experiment',
        'expérience ✓ 実験',
        'fixture-experiment',
        'renamed-experiment',
        'restored-experiment',
      ].sort(),
    );
    expect(byName.get('deleted-experiment')?.lifecycleStage).toBe('deleted');
    expect(byName.get('restored-experiment')?.lifecycleStage).toBe('active');
    expect(byName.get('fixture-experiment')?.tags['mlflow.note.content']).toMatch(/Fixture experiment/);

    const expA = manifest.experiments['fixture-experiment'] as string;
    const runs = dump.runs[expA] as Run[];
    const run = (name: string): Run => {
      const r = runs.find((x) => x.info.runId === manifest.runs[name]);
      if (!r) throw new Error(`run ${name} missing`);
      return r;
    };
    const main = run('params-metrics-tags');
    expect(main.data.params['int']).toBe('42');
    expect(main.data.params['empty']).toBe('');
    expect(main.data.params['bool_true']).toBe('True');
    expect(main.data.params['学習率']).toBe('0.1');
    expect(main.data.metrics['nan_last']).toBeNaN();
    expect(main.data.metrics['loss/train']).toBe(0.4);
    expect(run('failed-run').info.status).toBe('FAILED');
    expect(run('running-run').info.status).toBe('RUNNING');
    expect(run('running-run').info.endTime).toBeNull();
    expect(run('deleted-run').info.lifecycleStage).toBe('deleted');
    expect(run('restored-run').info.lifecycleStage).toBe('active');
    expect(run('child-1').data.tags['mlflow.parentRunId']).toBe(manifest.runs['parent']);

    const history = dump.metricHistory[main.info.runId] ?? {};
    const special = ok(history['special'] ?? { error: { type: 'missing', code: null, message: '' } });
    const values = special.map((m) => m.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Object.is(values[3], -0)).toBe(true);
    expect(values[4]).toBe(1e-5);
    expect(ok(history['acc'] ?? [])).toHaveLength(100);
    expect(ok(history['same_step'] ?? []).map((m) => m.value)).toEqual([3, 1, 2, 0.5]);

    if (major >= 2) {
      const ds = run('dataset-run').inputs.datasetInputs;
      expect(ds.map((d) => d.dataset.name)).toEqual(['bare', 'iris']);
      expect(ds[1]?.tags).toEqual([{ key: 'mlflow.data.context', value: 'training' }]);
      const rms = ok(dump.registeredModels ?? []);
      const fm = rms.find((m) => m.name === 'fixture-model');
      expect(ok(fm?.versions ?? []).map((v) => [v.version, v.currentStage])).toEqual([
        ['1', 'Staging'],
        ['2', 'Archived'],
        ['3', 'Production'],
      ]);
      expect(fm?.aliases).toEqual({ challenger: '1', champion: '3' });
      expect(rms.some((m) => m.name === 'renamed-model')).toBe(true);
      expect(rms.some((m) => m.name === 'second-model')).toBe(false);
    } else {
      expect(dump.registeredModels).toBeUndefined();
    }
    if (major >= 3) {
      const models = ok(dump.loggedModels?.[expA] ?? []);
      const a = models.find((m) => m.modelId === manifest.loggedModels['model-a']);
      expect(a?.status).toBe('READY');
      expect(a?.params).toEqual({ alpha: '0.5', beta: '2', layers: '3' });
      expect(a?.metrics.map((m) => [m.step, m.datasetName, m.value])).toEqual([
        [1, null, 0.9],
        [2, 'iris', 0.95],
        [2, 'bare', 0.7],
      ]);
      expect(models.some((m) => m.modelId === manifest.loggedModels['model-deleted'])).toBe(false);
      // MLflow 3 reads a run's 5-field (dataset) metric lines back with step 0
      const modelRun = run('model-run');
      const h = ok(dump.metricHistory[modelRun.info.runId]?.['model_acc'] ?? []);
      expect(h.map((m) => m.step)).toEqual([1, 0, 0]);
      expect(modelRun.outputs.modelOutputs).toEqual([{ modelId: manifest.loggedModels['model-a'], step: 2 }]);
    } else {
      expect(dump.loggedModels).toBeUndefined();
    }
  });

  it('searches runs with a filter, order and pages', async () => {
    const expA = manifest.experiments['fixture-experiment'] as string;
    const r = ok(await oracle.searchRuns(root, [expA], { filter: "params.int = '42'" }));
    expect(r.runIds).toEqual([manifest.runs['params-metrics-tags']]);
    expect(r.token).toBeNull();
    expect(normalizeRun(r.items[0] as Run, version).data.params['int']).toBe('42');

    const failed = ok(await oracle.searchRuns(root, [expA], { filter: "attributes.status = 'FAILED'" }));
    expect(failed.runIds).toEqual([manifest.runs['failed-run']]);

    const deleted = ok(await oracle.searchRuns(root, [expA], { runViewType: 'DELETED_ONLY' }));
    expect(deleted.runIds).toEqual([manifest.runs['deleted-run']]);

    const all: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page: SearchRunsResult = ok(
        await oracle.searchRuns(root, [expA], { maxResults: 3, orderBy: ['attributes.start_time ASC'], pageToken: token }),
      );
      all.push(...page.runIds);
      token = page.token;
      pages++;
    } while (token && pages < 20);
    const everything = ok(await oracle.searchRuns(root, [expA], { orderBy: ['attributes.start_time ASC'] }));
    expect(all).toEqual(everything.runIds);
    expect(pages).toBeGreaterThan(1);
  });

  it('searches experiments', async () => {
    const r = ok(await oracle.searchExperiments(root, { filter: "name LIKE 'renamed%'" }));
    expect(r.experimentIds).toEqual([manifest.experiments['renamed-experiment']]);
    const del = ok(await oracle.searchExperiments(root, { viewType: 'DELETED_ONLY' }));
    expect(del.items.map((e) => e.name)).toEqual(['deleted-experiment']);
  });

  it('searches the registry (2.x/3.x) or reports that 1.x cannot', async () => {
    const rms = await oracle.searchRegisteredModels(root, { filter: "name LIKE 'fixture%'" });
    const mvs = await oracle.searchModelVersions(root, { filter: "name = 'fixture-model'" });
    if (major >= 2) {
      expect(ok(rms).names).toEqual(['fixture-model']);
      expect(
        ok(mvs)
          .versions.map((v) => v.version)
          .sort(),
      ).toEqual(['1', '2', '3']);
    } else {
      expect(isPyError(rms)).toBe(true);
      expect(isPyError(mvs)).toBe(true);
    }
  });

  it('executes code with vars and floats both ways, and writes stores Python can dump', async () => {
    const fresh = path.join(tmpDir(), 'mlruns');
    const res = await oracle.exec<{ run: Run; echo: unknown[]; isnan: boolean; neg0: string }>(
      fresh,
      `
import math
exp_id = client.create_experiment(vars["name"])
with mlflow.start_run(experiment_id=exp_id) as r:
    mlflow.log_param("p", vars["p"])
    mlflow.log_metric("m", vars["values"][0])
result = {
    "run": client.get_run(r.info.run_id),
    "echo": vars["values"],
    "isnan": math.isnan(vars["values"][0]),
    "neg0": repr(vars["values"][3]),
}
`,
      { name: 'from-exec', p: 'ü', values: [NaN, Infinity, -Infinity, -0, 2.5] },
    );
    expect(res.isnan).toBe(true);
    expect(res.neg0).toBe('-0.0');
    expect(res.echo.slice(1)).toEqual([Infinity, -Infinity, -0, 2.5]);
    expect(res.echo[0]).toBeNaN();
    expect(res.run.data.params).toEqual({ p: 'ü' });
    expect(res.run.data.metrics['m']).toBeNaN();
    expect(res.run.info.status).toBe('FINISHED');

    const dump: Dump = await oracle.dump(fresh);
    const names = (dump.experiments as Experiment[]).map((e) => e.name).sort();
    expect(names).toEqual(['Default', 'from-exec']);
    expect(findErrors(dump)).toEqual([]);
    const normalized = normalizeDump(dump, { version, roots: [fresh] });
    const exps = normalized.experiments as Experiment[];
    expect(exps.every((e) => e.artifactLocation.startsWith('<root>'))).toBe(true);
  });

  it('returns MLflow errors as error objects with code and message', async () => {
    const missing = 'f'.repeat(32);
    await expect(oracle.exec(root, `result = client.get_run(${JSON.stringify(missing)})`)).rejects.toMatchObject({
      name: 'OracleError',
      type: 'MlflowException',
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    const e = await oracle.execOrError(root, `client.get_experiment_by_name("x"); client.create_experiment("Default")`);
    expect(isPyError(e)).toBe(true);
    if (isPyError(e)) {
      expect(e.error.type).toBe('MlflowException');
      expect(e.error.code).toBe('RESOURCE_ALREADY_EXISTS');
      expect(e.error.message).toMatch(/Default/);
    }
    const bad = await oracle.searchRuns(root, ['0'], { filter: 'metrics.acc >>> 1' });
    expect(bad).toMatchObject({ error: { type: 'MlflowException', code: 'INVALID_PARAMETER_VALUE' } });
    // a Python error that is not an MlflowException has code null
    const ke = await oracle.execOrError(root, 'result = {}["nope"]');
    expect(ke).toMatchObject({ error: { type: 'KeyError', code: null } });
    await expect(oracle.exec(root, 'raise ValueError("x")')).rejects.toBeInstanceOf(OracleError);
  });

  it('puts Python errors in place of damaged entities in a dump', async () => {
    const damaged = copyFixture(fixture, tmpDir());
    const expA = manifest.experiments['fixture-experiment'] as string;
    const runId = manifest.runs['params-metrics-tags'] as string;
    writeFileSync(path.join(damaged, expA, runId, 'metrics', 'acc'), 'not a metric line at all\n');
    const dump = await oracle.dump(damaged);
    const errors = findErrors(dump);
    expect(errors.length).toBeGreaterThan(0);
    // the experiment's run listing fails as a whole; the damaged run fails alone when fetched by id
    const listing = dump.runs[expA];
    expect(isPyError(listing)).toBe(true);
    if (isPyError(listing) && 'items' in listing) {
      const items = (listing as { items: Array<Run | (PyErrorEntry & { runId: string })> }).items;
      const broken = items.find((x) => isPyError(x)) as (PyErrorEntry & { runId: string }) | undefined;
      expect(broken?.runId).toBe(runId);
      expect(items.filter((x) => !isPyError(x)).length).toBe(items.length - 1);
    }
    // other experiments are unaffected
    expect(Array.isArray(dump.runs['0'])).toBe(true);
  });

  it('matches concurrent requests by id and times out a slow one', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => oracle.exec<number>(root, 'result = vars["i"] * 2', { i })),
    );
    expect(results).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    if (version === '3') {
      await expect(oracle.exec(root, 'import time; time.sleep(1.5)', {}, { timeoutMs: 200 })).rejects.toThrow(/timed out/);
      expect(await oracle.exec<string>(root, 'result = "still alive"')).toBe('still alive');
    }
  });
});
