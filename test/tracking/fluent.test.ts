import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { MlflowClient } from '../../src/tracking/client.js';
import * as mlflow from '../../src/tracking/fluent.js';
import { cleanupTmp, tmpDir } from './helpers.js';

let root: string;
let client: MlflowClient;

const ENV_KEYS = ['MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_ID', 'MLFLOW_EXPERIMENT_NAME', 'MLFLOW_RUN_ID', 'MLFLOW_RUN_CONTEXT'];
const savedEnv: Record<string, string | undefined> = {};

beforeEach(() => {
  for (const k of ENV_KEYS) {
    savedEnv[k] = process.env[k];
    delete process.env[k];
  }
  root = path.join(tmpDir(), 'mlruns');
  mlflow.setTrackingUri(root);
  client = new MlflowClient(root);
});

afterEach(async () => {
  while (mlflow.activeRun()) await mlflow.endRun();
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  vi.restoreAllMocks();
});

afterAll(() => cleanupTmp());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function expectMlflowError(p: Promise<unknown>, code: string, message?: RegExp | string): Promise<MlflowError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MlflowError);
  expect((err as MlflowError).code).toBe(code);
  if (message !== undefined) {
    if (typeof message === 'string') expect((err as MlflowError).message).toBe(message);
    else expect((err as MlflowError).message).toMatch(message);
  }
  return err as MlflowError;
}

describe('run lifecycle', () => {
  it('nests runs: parentRunId tag, the stack, and MLflow’s message when not nested', async () => {
    const parent = await mlflow.startRun({ runName: 'parent' });
    await expectMlflowError(
      mlflow.startRun(),
      'INVALID_STATE',
      `Run with UUID ${parent.info.runId} is already active. To start a new run, first end the current run with mlflow.end_run(). To start a nested run, call start_run with nested=True`,
    );
    const child = await mlflow.startRun({ nested: true, runName: 'child' });
    expect(mlflow.activeRun()?.info.runId).toBe(child.info.runId);
    const grandchild = await mlflow.startRun({ nested: true });
    await mlflow.logParam('depth', 2);
    await mlflow.endRun();
    expect(mlflow.activeRun()?.info.runId).toBe(child.info.runId);
    await mlflow.logParam('depth', 1);
    await mlflow.endRun();
    expect(mlflow.activeRun()?.info.runId).toBe(parent.info.runId);
    await mlflow.endRun();
    expect(mlflow.activeRun()).toBeNull();

    const c = await client.getRun(child.info.runId);
    const g = await client.getRun(grandchild.info.runId);
    const p = await client.getRun(parent.info.runId);
    expect(c.data.tags['mlflow.parentRunId']).toBe(parent.info.runId);
    expect(g.data.tags['mlflow.parentRunId']).toBe(child.info.runId);
    expect(p.data.tags['mlflow.parentRunId']).toBeUndefined();
    expect(c.data.params).toEqual({ depth: '1' });
    expect(g.data.params).toEqual({ depth: '2' });
    for (const r of [p, c, g]) expect(r.info.status).toBe('FINISHED');
    expect(c.info.runName).toBe('child');
  });

  it('checks parentRunId against the active run', async () => {
    const parent = await mlflow.startRun();
    await expectMlflowError(mlflow.startRun({ nested: true, parentRunId: 'f'.repeat(32) }), 'INVALID_PARAMETER_VALUE', /does not match the specified parent_run_id/);
    const child = await mlflow.startRun({ nested: true, parentRunId: parent.info.runId });
    expect((await client.getRun(child.info.runId)).data.tags['mlflow.parentRunId']).toBe(parent.info.runId);
  });

  it('starts a child of an explicit parent with no active run', async () => {
    const parent = await mlflow.startRun();
    await mlflow.endRun();
    const child = await mlflow.startRun({ parentRunId: parent.info.runId });
    expect((await client.getRun(child.info.runId)).data.tags['mlflow.parentRunId']).toBe(parent.info.runId);
  });

  it('withRun: FINISHED with the callback’s value; FAILED and rethrown when it throws', async () => {
    const value = await mlflow.withRun({ runName: 'ok' }, async (run) => {
      expect(mlflow.activeRun()?.info.runId).toBe(run.info.runId);
      await mlflow.logMetric('m', 1);
      return 42;
    });
    expect(value).toBe(42);
    const ok = await mlflow.lastActiveRun();
    expect(ok?.info.status).toBe('FINISHED');
    expect(ok?.info.runName).toBe('ok');

    const boom = new Error('boom');
    let inner: string | undefined;
    let nestedId: string | undefined;
    const caught = await mlflow
      .withRun({ runName: 'bad' }, async (run) => {
        inner = run.info.runId;
        // A nested run left active is ended with the same status.
        nestedId = (await mlflow.startRun({ nested: true })).info.runId;
        await mlflow.logParam('p', 'v');
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(caught).toBe(boom);
    expect(mlflow.activeRun()).toBeNull();
    expect((await client.getRun(inner as string)).info.status).toBe('FAILED');
    expect((await client.getRun(nestedId as string)).info.status).toBe('FAILED');
    expect((await client.getRun(nestedId as string)).data.params).toEqual({ p: 'v' });
    expect((await mlflow.lastActiveRun())?.info.runId).toBe(inner);
  });

  it('withRun: a run the callback ended itself keeps its status', async () => {
    const id = await mlflow.withRun(async (run) => {
      await mlflow.endRun('KILLED');
      return run.info.runId;
    });
    expect((await client.getRun(id)).info.status).toBe('KILLED');
  });

  it('keeps concurrent withRun calls apart', async () => {
    const n = 12;
    const ids = await Promise.all(
      Array.from({ length: n }, (_, k) =>
        mlflow.withRun({ runName: `worker-${k}` }, async (run) => {
          for (let step = 0; step < 5; step++) {
            expect(mlflow.activeRun()?.info.runId).toBe(run.info.runId);
            await mlflow.logMetric('k', k, { step });
            await sleep((k * 7 + step * 3) % 5);
          }
          await mlflow.logParam('worker', k);
          await mlflow.setTag('who', `w${k}`);
          // Nested runs inside concurrent runs belong to their own parent.
          await mlflow.withRun({ nested: true, runName: `child-${k}` }, async () => {
            await sleep(k % 3);
            await mlflow.logParam('child_of', k);
          });
          return run.info.runId;
        }),
      ),
    );
    expect(new Set(ids).size).toBe(n);
    expect(mlflow.activeRun()).toBeNull();
    for (let k = 0; k < n; k++) {
      const run = await client.getRun(ids[k] as string);
      expect(run.info.status).toBe('FINISHED');
      expect(run.data.params).toEqual({ worker: String(k) });
      expect(run.data.tags['who']).toBe(`w${k}`);
      const hist = await client.getMetricHistory(run.info.runId, 'k');
      expect(hist.map((m) => [m.step, m.value])).toEqual([0, 1, 2, 3, 4].map((s) => [s, k]));
    }
    const { runs } = await client.searchRuns(['0']);
    const children = runs.filter((r) => r.data.params['child_of'] !== undefined);
    expect(children).toHaveLength(n);
    for (const c of children) {
      const k = Number(c.data.params['child_of']);
      expect(c.data.tags['mlflow.parentRunId']).toBe(ids[k]);
      expect(c.info.runName).toBe(`child-${k}`);
    }
  });

  it('starts one run when concurrent calls log with no active run', async () => {
    await Promise.all([mlflow.logParam('a', 1), mlflow.logParam('b', 2), mlflow.logMetric('m', 3), mlflow.setTag('t', 'x')]);
    const active = mlflow.activeRun();
    expect(active).not.toBeNull();
    const { runs } = await client.searchRuns(['0']);
    expect(runs).toHaveLength(1);
    expect(runs[0]?.data.params).toEqual({ a: '1', b: '2' });
    expect(runs[0]?.data.metrics).toEqual({ m: 3 });
    await mlflow.endRun();
  });

  it('endRun twice (or with no run) is harmless; lastActiveRun reads the ended run', async () => {
    await mlflow.endRun();
    const run = await mlflow.startRun();
    expect((await mlflow.lastActiveRun())?.info.runId).toBe(run.info.runId);
    await mlflow.endRun('FAILED');
    await mlflow.endRun();
    await mlflow.endRun('KILLED');
    const last = await mlflow.lastActiveRun();
    expect(last?.info.runId).toBe(run.info.runId);
    expect(last?.info.status).toBe('FAILED');
    expect(last?.info.endTime).not.toBeNull();
    await expectMlflowError(mlflow.endRun('DONE'), 'INVALID_PARAMETER_VALUE');
  });

  it('description → mlflow.note.content, tags as str(), run name', async () => {
    const run = await mlflow.startRun({ runName: 'described', description: 'first try', tags: { lr: 0.1, ok: true, n: 3, none: null } });
    const got = await client.getRun(run.info.runId);
    expect(got.data.tags).toMatchObject({
      'mlflow.note.content': 'first try',
      'mlflow.runName': 'described',
      lr: '0.1',
      ok: 'True',
      n: '3',
      none: 'None',
      'mlflow.source.type': 'LOCAL',
    });
    await mlflow.endRun();
    await expectMlflowError(
      mlflow.startRun({ description: 'x', tags: { 'mlflow.note.content': 'y' } }),
      'INVALID_PARAMETER_VALUE',
      /Description is already set via the tag mlflow\.note\.content/,
    );
    await expectMlflowError(mlflow.startRun({ tags: { bad: { nested: 1 } } }), 'INVALID_PARAMETER_VALUE', /tag 'bad'/);
  });

  it('resumes a run by id: RUNNING again, end time kept until it ends, new tags/description applied', async () => {
    const run = await mlflow.startRun({ runName: 'first' });
    await mlflow.logMetric('m', 1, { step: 0 });
    await mlflow.endRun();
    const ended = await client.getRun(run.info.runId);
    expect(ended.info.status).toBe('FINISHED');

    const resumed = await mlflow.startRun({ runId: run.info.runId, description: 'resumed', tags: { phase: 2 } });
    expect(resumed.info.status).toBe('RUNNING');
    expect(resumed.info.endTime).toBe(ended.info.endTime);
    expect(resumed.data.tags['mlflow.note.content']).toBe('resumed');
    expect(resumed.data.tags['phase']).toBe('2');
    await mlflow.logMetric('m', 2, { step: 1 });
    await mlflow.endRun();
    expect((await client.getMetricHistory(run.info.runId, 'm')).map((m) => m.value)).toEqual([1, 2]);
    expect((await client.getRun(run.info.runId)).info.status).toBe('FINISHED');

    await client.deleteRun(run.info.runId);
    await expectMlflowError(mlflow.startRun({ runId: run.info.runId }), 'INVALID_PARAMETER_VALUE', /deleted state/);
  });

  it('MLFLOW_RUN_ID: startRun() attaches to that run and consumes the variable', async () => {
    const expId = await client.createExperiment('other');
    const created = await client.createRun(expId);
    await client.setTerminated(created.info.runId, 'FINISHED');
    process.env['MLFLOW_RUN_ID'] = created.info.runId;
    const run = await mlflow.startRun();
    expect(run.info.runId).toBe(created.info.runId);
    expect(run.info.status).toBe('RUNNING');
    expect(process.env['MLFLOW_RUN_ID']).toBeUndefined();
    await mlflow.logParam('x', 1);
    await mlflow.endRun();
    const got = await client.getRun(created.info.runId);
    expect(got.data.params).toEqual({ x: '1' });
    expect(got.info.status).toBe('FINISHED');
    // Consumed: the next run is a new one.
    const next = await mlflow.startRun();
    expect(next.info.runId).not.toBe(created.info.runId);
  });

  it('refuses to resume a run of another experiment than the active one', async () => {
    const other = await client.createExperiment('other');
    const created = await client.createRun(other);
    await mlflow.setExperiment('mine');
    await expectMlflowError(mlflow.startRun({ runId: created.info.runId }), 'INVALID_PARAMETER_VALUE', /active experiment ID does not match/);
  });
});

describe('experiments and environment', () => {
  it('setExperiment by name creates it once (slashes allowed), by id finds it', async () => {
    const exp = await mlflow.setExperiment('/Users/taro/churn_prediction');
    expect(exp.name).toBe('/Users/taro/churn_prediction');
    expect(process.env['MLFLOW_EXPERIMENT_ID']).toBe(exp.experimentId);
    const again = await mlflow.setExperiment('/Users/taro/churn_prediction');
    expect(again.experimentId).toBe(exp.experimentId);
    const run = await mlflow.startRun();
    expect(run.info.experimentId).toBe(exp.experimentId);
    await mlflow.endRun();
    expect((await mlflow.setExperiment({ experimentId: exp.experimentId })).name).toBe(exp.name);
    await expectMlflowError(mlflow.setExperiment({ experimentId: '123456' }), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(mlflow.setExperiment({}), 'INVALID_PARAMETER_VALUE', 'Must specify exactly one of: `experiment_id` or `experiment_name`.');
    const gone = await client.createExperiment('gone');
    await client.deleteExperiment(gone);
    await expectMlflowError(mlflow.setExperiment({ experimentId: gone }), 'INVALID_PARAMETER_VALUE', /Cannot set a deleted experiment 'gone'/);
  });

  it('concurrent setExperiment of a new name makes one experiment', async () => {
    const exps = await Promise.all(Array.from({ length: 5 }, () => mlflow.setExperiment('race')));
    expect(new Set(exps.map((e) => e.experimentId)).size).toBe(1);
  });

  it('MLFLOW_EXPERIMENT_NAME (created if missing) and MLFLOW_EXPERIMENT_ID pick the experiment', async () => {
    process.env['MLFLOW_EXPERIMENT_NAME'] = 'from-env';
    const a = await mlflow.startRun();
    await mlflow.endRun();
    const exp = await client.getExperimentByName('from-env');
    expect(a.info.experimentId).toBe(exp?.experimentId);
    process.env['MLFLOW_EXPERIMENT_ID'] = '999';
    await expectMlflowError(mlflow.startRun(), 'INVALID_PARAMETER_VALUE', /does not match the experiment id/);
    delete process.env['MLFLOW_EXPERIMENT_NAME'];
    await expectMlflowError(mlflow.startRun(), 'INVALID_PARAMETER_VALUE', /does not exist in the tracking server/);
    process.env['MLFLOW_EXPERIMENT_ID'] = exp?.experimentId as string;
    const b = await mlflow.startRun();
    expect(b.info.experimentId).toBe(exp?.experimentId);
  });

  it('uses experiment 0 by default and the tracking URI from the environment', async () => {
    mlflow.setTrackingUri(null);
    expect(process.env['MLFLOW_TRACKING_URI']).toBeUndefined();
    const envRoot = path.join(tmpDir(), 'env-root');
    process.env['MLFLOW_TRACKING_URI'] = `file://${envRoot}`;
    expect(mlflow.getTrackingUri()).toBe(`file://${envRoot}`);
    const run = await mlflow.startRun();
    expect(run.info.experimentId).toBe('0');
    expect(fs.existsSync(path.join(envRoot, '0', run.info.runId, 'meta.yaml'))).toBe(true);
    await mlflow.endRun();
    delete process.env['MLFLOW_TRACKING_URI'];
    expect(mlflow.getTrackingUri()).toBe(`file://${path.resolve('mlruns')}`);
    expect(() => mlflow.setTrackingUri('gopher://localhost:5000')).toThrow(/scheme 'gopher'.*Supported/s);
  });

  it('MLFLOW_RUN_CONTEXT adds tags', async () => {
    process.env['MLFLOW_RUN_CONTEXT'] = JSON.stringify({ ci: 'github', attempt: 2 });
    const run = await mlflow.startRun();
    expect(run.data.tags).toMatchObject({ ci: 'github', attempt: '2' });
  });
});

describe('logging', () => {
  it('stores params as Python str() and refuses objects with a clear error (no run started)', async () => {
    await expectMlflowError(mlflow.logParam('cfg', { a: 1 }), 'INVALID_PARAMETER_VALUE', /param 'cfg'.*\{"a":1\}/);
    await expectMlflowError(mlflow.logParams({ ok: 1, arr: [1, 2] }), 'INVALID_PARAMETER_VALUE', /param 'arr'/);
    expect(mlflow.activeRun()).toBeNull();
    expect(await mlflow.logParam('lr', 1e-5)).toBe(1e-5);
    await mlflow.logParams({ on: true, off: false, n: 10, x: 0.1, big: 1e21, none: null, s: 'text' });
    const run = await client.getRun(mlflow.activeRun()?.info.runId as string);
    expect(run.data.params).toEqual({ lr: '1e-05', on: 'True', off: 'False', n: '10', x: '0.1', big: '1000000000000000000000', none: 'None', s: 'text' });
    await expectMlflowError(mlflow.logParam('lr', 0.1), 'INVALID_PARAMETER_VALUE', /Changing param values is not allowed/);
  });

  it('refuses strings, booleans and objects as metric values', async () => {
    await expectMlflowError(mlflow.logMetric('loss', '0.5' as unknown as number), 'INVALID_PARAMETER_VALUE', /Got invalid value '0\.5' \(a string\) for metric 'loss'.*valid double/);
    await expectMlflowError(mlflow.logMetric('loss', true as unknown as number), 'INVALID_PARAMETER_VALUE');
    await expectMlflowError(mlflow.logMetrics({ a: 1, b: {} as unknown as number }), 'INVALID_PARAMETER_VALUE');
    await expectMlflowError(mlflow.logMetric('loss', 1, { step: 1.5 }), 'INVALID_PARAMETER_VALUE', /step/);
    expect(mlflow.activeRun()).toBeNull();
    await mlflow.logMetric('nan', NaN);
    await mlflow.logMetric('inf', -Infinity, { step: 2, timestamp: 1700000000000 });
    const runId = mlflow.activeRun()?.info.runId as string;
    const hist = await client.getMetricHistory(runId, 'inf');
    expect(hist.map((m) => [m.value, m.step, m.timestamp])).toEqual([[-Infinity, 2, 1700000000000]]);
    expect(Number.isNaN((await client.getRun(runId)).data.metrics['nan'])).toBe(true);
  });

  it('coalesces same-tick logMetric calls into one batch; each promise resolves after its line is written', async () => {
    const run = await mlflow.startRun();
    const spy = vi.spyOn(MlflowClient.prototype, 'logBatch');
    const metricFile = path.join(root, '0', run.info.runId, 'metrics', 'loss');
    const linesOnDisk = (): number => (fs.existsSync(metricFile) ? fs.readFileSync(metricFile, 'utf8').split('\n').filter(Boolean).length : 0);
    const seen: number[] = [];
    const calls = Array.from({ length: 200 }, (_, i) =>
      mlflow.logMetric('loss', 1 / (i + 1), { step: i }).then(() => {
        seen.push(linesOnDisk());
        expect(linesOnDisk()).toBeGreaterThanOrEqual(i + 1);
      }),
    );
    await Promise.all(calls);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(seen.every((n) => n === 200)).toBe(true);
    // Awaited one by one: each call is its own write, every line there when its promise resolves.
    for (let i = 200; i < 210; i++) {
      await mlflow.logMetric('loss', i, { step: i });
      expect(linesOnDisk()).toBe(i + 1);
    }
    expect(spy).toHaveBeenCalledTimes(11);
    const hist = await client.getMetricHistory(run.info.runId, 'loss');
    expect(hist.map((m) => m.step)).toEqual(Array.from({ length: 210 }, (_, i) => i));
    // logMetrics shares one timestamp and step; a same-tick mix of keys is still one batch.
    spy.mockClear();
    await Promise.all([mlflow.logMetrics({ a: 1, b: 2 }, { step: 7 }), mlflow.logMetric('c', 3, { step: 7 })]);
    expect(spy).toHaveBeenCalledTimes(1);
    const a = (await client.getMetricHistory(run.info.runId, 'a'))[0];
    const b = (await client.getMetricHistory(run.info.runId, 'b'))[0];
    expect(a?.timestamp).toBe(b?.timestamp);
    expect([a?.step, b?.step]).toEqual([7, 7]);
  });

  it('a failing call in a burst fails alone', async () => {
    const run = await mlflow.startRun();
    const results = await Promise.allSettled([
      mlflow.logMetric('good', 1),
      mlflow.logMetric('x'.repeat(300), 2),
      mlflow.logMetric('good', 3, { step: 1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await client.getMetricHistory(run.info.runId, 'good')).map((m) => m.value)).toEqual([1, 3]);
  });

  it('endRun writes buffered metrics before ending the run', async () => {
    const run = await mlflow.startRun();
    const pending = Array.from({ length: 50 }, (_, i) => mlflow.logMetric('m', i, { step: i }));
    await mlflow.endRun();
    await Promise.all(pending);
    expect(await client.getMetricHistory(run.info.runId, 'm')).toHaveLength(50);
  });

  it('tags, artifacts, text, dicts and dataset inputs', async () => {
    const run = await mlflow.startRun();
    await mlflow.setTag('team', 'churn');
    await mlflow.setTags({ release: 3, stable: false });
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'a.txt'), 'A');
    fs.mkdirSync(path.join(dir, 'plots'));
    fs.writeFileSync(path.join(dir, 'plots', 'p.svg'), '<svg/>');
    await mlflow.logArtifact(path.join(dir, 'a.txt'));
    await mlflow.logArtifact(path.join(dir, 'a.txt'), 'sub');
    await mlflow.logArtifact(path.join(dir, 'plots'), 'figs');
    await mlflow.logArtifacts(dir, 'all');
    await mlflow.logText('hello', 'notes/hello.txt');
    await mlflow.logDict({ layers: [64, 32], name: 'mlp' }, 'config.yaml');
    await mlflow.logDict({ k: 'v' }, 'config.json');
    await mlflow.logInput(
      { name: 'churn', digest: 'a1b2c3d4', source: { uri: 'data/churn.csv' }, sourceType: 'local', schema: null },
      { context: 'training', tags: { split: 'train' } },
    );
    const got = await client.getRun(run.info.runId);
    expect(got.data.tags).toMatchObject({ team: 'churn', release: '3', stable: 'False' });
    const art = path.join(root, '0', run.info.runId, 'artifacts');
    expect(fs.readFileSync(path.join(art, 'a.txt'), 'utf8')).toBe('A');
    expect(fs.readFileSync(path.join(art, 'sub', 'a.txt'), 'utf8')).toBe('A');
    expect(fs.readFileSync(path.join(art, 'figs', 'plots', 'p.svg'), 'utf8')).toBe('<svg/>');
    expect(fs.readFileSync(path.join(art, 'all', 'plots', 'p.svg'), 'utf8')).toBe('<svg/>');
    expect(fs.readFileSync(path.join(art, 'notes', 'hello.txt'), 'utf8')).toBe('hello');
    expect(fs.readFileSync(path.join(art, 'config.yaml'), 'utf8')).toBe('layers:\n- 64\n- 32\nname: mlp\n');
    expect(JSON.parse(fs.readFileSync(path.join(art, 'config.json'), 'utf8'))).toEqual({ k: 'v' });
    expect(got.inputs.datasetInputs).toEqual([
      {
        dataset: { name: 'churn', digest: 'a1b2c3d4', sourceType: 'local', source: '{"uri": "data/churn.csv"}', schema: null, profile: null },
        tags: expect.arrayContaining([
          { key: 'split', value: 'train' },
          { key: 'mlflow.data.context', value: 'training' },
        ]),
      },
    ]);
  });

  it('watches the process only while a fluent run is active', async () => {
    const events = ['SIGINT', 'SIGTERM', 'uncaughtExceptionMonitor', 'beforeExit', 'exit'] as const;
    const counts = (): number[] => events.map((e) => process.listenerCount(e));
    const before = counts();
    await mlflow.startRun();
    expect(counts()).toEqual(before.map((n) => n + 1));
    await mlflow.startRun({ nested: true });
    expect(counts()).toEqual(before.map((n) => n + 1));
    await mlflow.endRun();
    expect(counts()).toEqual(before.map((n) => n + 1));
    await mlflow.endRun();
    expect(counts()).toEqual(before);
    await mlflow.withRun(async () => expect(counts()).toEqual(before.map((n) => n + 1)));
    expect(counts()).toEqual(before);
  });
});
