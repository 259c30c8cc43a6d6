/**
 * The TrackingStore conformance suite: what every tracking backend (file store, SQLite, REST)
 * must do the same, written once against the public API only (`MlflowClient`, its
 * `TrackingStore` and the runs' `ArtifactRepository`). No file paths, no id formats: a backend
 * passes when its answers are MLflow's answers.
 *
 * @example
 * ```ts
 * describeTrackingStoreConformance('file', async () => {
 *   const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conf-'));
 *   const client = new MlflowClient(dir);
 *   return { uri: dir, client, cleanup: async () => { client.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
 * });
 * ```
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetInput, Metric, Run } from '../../src/entities.js';
import type { MlflowClient } from '../../src/tracking/client.js';
import type { TrackingStore } from '../../src/store/tracking-store.js';
import type { ConformanceTarget } from './target.js';
import { expectMlflowError, unique } from './target.js';

/** Every page of a run search, concatenated. */
async function allRunPages(
  client: MlflowClient,
  experimentIds: string[],
  filter: string,
  options: { orderBy?: string[]; maxResults: number; runViewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' },
): Promise<{ runs: Run[]; pages: number }> {
  const runs: Run[] = [];
  let pageToken: string | null = null;
  let pages = 0;
  do {
    const page: { runs: Run[]; token: string | null } = await client.searchRuns(experimentIds, filter, { ...options, pageToken });
    runs.push(...page.runs);
    pageToken = page.token;
    pages += 1;
    if (pages > 100) throw new Error('paging does not end');
  } while (pageToken);
  return { runs, pages };
}

const names = (runs: Run[]): Array<string | null> => runs.map((r) => r.info.runName);

/**
 * Registers the tracking conformance tests of one backend. `setup` runs once (in `beforeAll`)
 * and gives a client on a fresh store; every test makes its own experiments with unique names,
 * so the tests are independent of each other and of what the store held before.
 */
export function describeTrackingStoreConformance(backend: string, setup: () => Promise<ConformanceTarget>): void {
  // MLflow's SQL store keeps ±Infinity as ±max float (SQL has no infinity) and refuses a run in a
  // deleted experiment with INVALID_PARAMETER_VALUE (the file store: INVALID_STATE).
  const sql = backend === 'sqlite';
  describe(`TrackingStore conformance: ${backend}`, () => {
    let target: ConformanceTarget;
    /** How the store gives back ±Infinity (a SQL-backed store: ±max float, `target.infinityAs`). */
    const inf = (v: number): number => {
      const big = target.infinityAs ?? (sql ? Number.MAX_VALUE : Number.POSITIVE_INFINITY);
      return v === Number.POSITIVE_INFINITY ? big : v === Number.NEGATIVE_INFINITY ? -big : v;
    };
    let client: MlflowClient;
    let store: TrackingStore;
    let scratch: string;

    beforeAll(async () => {
      target = await setup();
      client = target.client;
      store = client.store;
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-conformance-'));
    });
    afterAll(async () => {
      fs.rmSync(scratch, { recursive: true, force: true });
      await target?.cleanup();
    });

    const newExperiment = async (prefix = 'exp', tags?: Record<string, unknown>): Promise<string> =>
      client.createExperiment(unique(prefix), tags ? { tags } : {});

    describe('experiments', () => {
      it('creates an experiment and reads it back by id and by name', async () => {
        const name = unique('create');
        const id = await client.createExperiment(name, { tags: { team: 'ml', n: 3 } });
        expect(typeof id).toBe('string');
        expect(id).not.toBe('');
        const byId = await client.getExperiment(id);
        expect(byId).toMatchObject({ experimentId: id, name, lifecycleStage: 'active', tags: { team: 'ml', n: '3' } });
        expect(typeof byId.artifactLocation).toBe('string');
        expect(byId.artifactLocation).not.toBe('');
        const byName = await client.getExperimentByName(name);
        expect(byName?.experimentId).toBe(id);
        expect(await client.getExperimentByName(unique('never-created'))).toBeNull();
      });

      it('has the Default experiment', async () => {
        const def = await client.getExperimentByName('Default');
        expect(def).not.toBeNull();
        expect(def?.lifecycleStage).toBe('active');
      });

      it('refuses a duplicate name, an empty name, and unknown ids', async () => {
        const name = unique('dup');
        await client.createExperiment(name);
        await expectMlflowError(client.createExperiment(name), 'RESOURCE_ALREADY_EXISTS');
        await expectMlflowError(client.createExperiment(''), 'INVALID_PARAMETER_VALUE');
        await expectMlflowError(client.getExperiment('987654321'), 'RESOURCE_DOES_NOT_EXIST');
        await expectMlflowError(client.deleteExperiment('987654321'), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('renames an experiment; the old name is free afterwards', async () => {
        const oldName = unique('old');
        const newName = unique('new');
        const id = await client.createExperiment(oldName);
        await client.renameExperiment(id, newName);
        expect((await client.getExperiment(id)).name).toBe(newName);
        expect((await client.getExperimentByName(newName))?.experimentId).toBe(id);
        expect(await client.getExperimentByName(oldName)).toBeNull();
        const other = await client.createExperiment(oldName);
        expect(other).not.toBe(id);
      });

      it('deletes and restores an experiment', async () => {
        const name = unique('lifecycle');
        const id = await client.createExperiment(name);
        await client.deleteExperiment(id);
        expect((await client.getExperiment(id)).lifecycleStage).toBe('deleted');
        const active = await client.searchExperiments({ viewType: 'ACTIVE_ONLY', filterString: `name = '${name}'` });
        expect(active.experiments).toEqual([]);
        const deleted = await client.searchExperiments({ viewType: 'DELETED_ONLY', filterString: `name = '${name}'` });
        expect(deleted.experiments.map((e) => e.experimentId)).toEqual([id]);
        const all = await client.searchExperiments({ viewType: 'ALL', filterString: `name = '${name}'` });
        expect(all.experiments.map((e) => e.experimentId)).toEqual([id]);
        await expectMlflowError(client.createRun(id), sql ? 'INVALID_PARAMETER_VALUE' : 'INVALID_STATE');
        await client.restoreExperiment(id);
        expect((await client.getExperiment(id)).lifecycleStage).toBe('active');
        const run = await client.createRun(id);
        expect(run.info.experimentId).toBe(id);
      });

      it('sets, overwrites and deletes experiment tags', async () => {
        const id = await newExperiment('tags');
        await client.setExperimentTag(id, 'a', 1);
        await client.setExperimentTag(id, 'b', 'x');
        await client.setExperimentTag(id, 'a', 'two');
        expect((await client.getExperiment(id)).tags).toMatchObject({ a: 'two', b: 'x' });
        await client.deleteExperimentTag(id, 'b');
        const tags = (await client.getExperiment(id)).tags;
        expect(tags['b']).toBeUndefined();
        expect(tags['a']).toBe('two');
        await expectMlflowError(client.setExperimentTag('987654321', 'a', 'b'), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('searches experiments with filters, order and pages', async () => {
        const prefix = unique('search');
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push(await client.createExperiment(`${prefix}-${i}`, { tags: { parity: i % 2 === 0 ? 'even' : 'odd' } }));
        }
        const like = `name LIKE '${prefix}-%'`;
        const asc = await client.searchExperiments({ filterString: like, orderBy: ['name ASC'] });
        expect(asc.experiments.map((e) => e.name)).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
        const desc = await client.searchExperiments({ filterString: like, orderBy: ['name DESC'] });
        expect(desc.experiments.map((e) => e.name)).toEqual([4, 3, 2, 1, 0].map((i) => `${prefix}-${i}`));
        const even = await client.searchExperiments({ filterString: `${like} AND tags.parity = 'even'`, orderBy: ['name'] });
        expect(even.experiments.map((e) => e.experimentId)).toEqual([ids[0], ids[2], ids[4]]);

        const seen: string[] = [];
        let pageToken: string | null = null;
        let pages = 0;
        do {
          const page: { experiments: Array<{ name: string }>; token: string | null } = await client.searchExperiments({
            filterString: like,
            orderBy: ['name ASC'],
            maxResults: 2,
            pageToken,
          });
          expect(page.experiments.length).toBeLessThanOrEqual(2);
          seen.push(...page.experiments.map((e) => e.name));
          pageToken = page.token;
          pages += 1;
        } while (pageToken && pages < 10);
        expect(seen).toEqual(asc.experiments.map((e) => e.name));
        expect(pages).toBeGreaterThanOrEqual(3);

        await client.deleteExperiment(ids[1]!);
        const active = await client.searchExperiments({ filterString: like, viewType: 'ACTIVE_ONLY' });
        expect(active.experiments.map((e) => e.experimentId).sort()).toEqual([ids[0], ids[2], ids[3], ids[4]].sort());
        const deleted = await client.searchExperiments({ filterString: like, viewType: 'DELETED_ONLY' });
        expect(deleted.experiments.map((e) => e.experimentId)).toEqual([ids[1]]);
        const all = await client.searchExperiments({ filterString: like, viewType: 'ALL' });
        expect(all.experiments).toHaveLength(5);
      });

      it('rejects a malformed experiment filter', async () => {
        await expectMlflowError(client.searchExperiments({ filterString: 'name ===' }), 'INVALID_PARAMETER_VALUE');
      });
    });

    describe('runs', () => {
      it('creates a run with a name, user, start time and tags', async () => {
        const exp = await newExperiment('runs');
        const start = 1_700_000_000_123;
        const run = await client.createRun(exp, { runName: 'first', startTime: start, tags: { 'mlflow.user': 'alice', k: 'v' } });
        expect(run.info).toMatchObject({
          experimentId: exp,
          runName: 'first',
          userId: 'alice',
          status: 'RUNNING',
          startTime: start,
          lifecycleStage: 'active',
        });
        expect(run.info.runId).toBe(run.info.runUuid);
        expect(run.info.endTime ?? null).toBeNull();
        const got = await client.getRun(run.info.runId);
        expect(got.info).toEqual(run.info);
        expect(got.data.tags).toMatchObject({ k: 'v', 'mlflow.user': 'alice', 'mlflow.runName': 'first' });
        expect(got.data.metrics).toEqual({});
        expect(got.data.params).toEqual({});
      });

      it('gives a run without a name a generated one', async () => {
        const exp = await newExperiment('runname');
        const a = await client.createRun(exp);
        const b = await client.createRun(exp);
        expect(a.info.runName).toMatch(/\S/);
        expect((await client.getRun(a.info.runId)).data.tags['mlflow.runName']).toBe(a.info.runName);
        expect(a.info.runId).not.toBe(b.info.runId);
      });

      it('updates the status, end time and name of a run', async () => {
        const exp = await newExperiment('status');
        const run = await client.createRun(exp, { runName: 'before' });
        const id = run.info.runId;
        const info = await client.updateRun(id, { status: 'SCHEDULED', name: 'after' });
        expect(info).toMatchObject({ status: 'SCHEDULED', runName: 'after' });
        const got = await client.getRun(id);
        expect(got.info.runName).toBe('after');
        expect(got.data.tags['mlflow.runName']).toBe('after');
        await client.setTerminated(id, 'FAILED', 1_700_000_100_000);
        expect((await client.getRun(id)).info).toMatchObject({ status: 'FAILED', endTime: 1_700_000_100_000 });
        await client.setTerminated(id);
        expect((await client.getRun(id)).info.status).toBe('FINISHED');
        await expectMlflowError(client.updateRun(id, { status: 'DONE' as never }), 'INVALID_PARAMETER_VALUE');
      });

      it('deletes and restores a run; a deleted run refuses writes', async () => {
        const exp = await newExperiment('delrun');
        const run = await client.createRun(exp);
        const id = run.info.runId;
        await client.deleteRun(id);
        expect((await client.getRun(id)).info.lifecycleStage).toBe('deleted');
        expect((await client.searchRuns([exp], '', { runViewType: 'ACTIVE_ONLY' })).runs).toEqual([]);
        expect((await client.searchRuns([exp], '', { runViewType: 'DELETED_ONLY' })).runs.map((r) => r.info.runId)).toEqual([id]);
        await expectMlflowError(client.setTag(id, 'k', 'v'), 'INVALID_PARAMETER_VALUE');
        await expectMlflowError(client.logParam(id, 'p', 1), 'INVALID_PARAMETER_VALUE');
        await expectMlflowError(client.logMetric(id, 'm', 1), 'INVALID_PARAMETER_VALUE');
        await client.restoreRun(id);
        expect((await client.getRun(id)).info.lifecycleStage).toBe('active');
        await client.setTag(id, 'k', 'v');
        expect((await client.getRun(id)).data.tags['k']).toBe('v');
      });

      it('names the missing run', async () => {
        const missing = 'f'.repeat(32);
        await expectMlflowError(client.getRun(missing), 'RESOURCE_DOES_NOT_EXIST', new RegExp(missing));
        await expectMlflowError(client.logParam(missing, 'p', 1), 'RESOURCE_DOES_NOT_EXIST');
        await expectMlflowError(client.deleteRun(missing), 'RESOURCE_DOES_NOT_EXIST');
        await expectMlflowError(client.createRun('987654321'), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('keeps params immutable: same value again is fine, a new value is INVALID_PARAMETER_VALUE', async () => {
        const exp = await newExperiment('params');
        const id = (await client.createRun(exp)).info.runId;
        expect(await client.logParam(id, 'lr', 0.1)).toBe(0.1);
        await client.logParam(id, 'flag', true);
        await client.logParam(id, 'lr', 0.1);
        await expectMlflowError(client.logParam(id, 'lr', 0.2), 'INVALID_PARAMETER_VALUE', /lr/);
        expect((await client.getRun(id)).data.params).toEqual({ lr: '0.1', flag: 'True' });
      });

      it('keeps a metric history with steps, timestamps, NaN and infinities', async () => {
        const exp = await newExperiment('metrics');
        const id = (await client.createRun(exp)).info.runId;
        const logged: Array<[number, number, number]> = [
          [0.5, 1000, 0],
          [0.25, 1001, 1],
          [Number.NaN, 1002, 2],
          [Number.POSITIVE_INFINITY, 1003, 3],
          [Number.NEGATIVE_INFINITY, 1004, 4],
          [-1.5e-7, 1005, 5],
          [123456789.125, 1006, 6],
        ];
        for (const [value, timestamp, step] of logged) await client.logMetric(id, 'loss', value, { timestamp, step });
        const history = await client.getMetricHistory(id, 'loss');
        const sorted = [...history].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
        expect(sorted.map((m) => [m.value, m.timestamp, m.step])).toEqual(logged.map(([v, t, s]) => [inf(v), t, s]));
        for (const m of history) expect(m.key).toBe('loss');
        expect((await client.getRun(id)).data.metrics['loss']).toBe(123456789.125);
        expect(await client.getMetricHistory(id, 'never-logged')).toEqual([]);
      });

      it('reports the latest value of a metric: highest step, then latest timestamp, then largest value', async () => {
        const exp = await newExperiment('latest');
        const id = (await client.createRun(exp)).info.runId;
        await client.logMetric(id, 'a', 3, { step: 5, timestamp: 100 });
        await client.logMetric(id, 'a', 1, { step: 9, timestamp: 50 });
        await client.logMetric(id, 'a', 2, { step: 2, timestamp: 900 });
        await client.logMetric(id, 'b', 1, { step: 0, timestamp: 200 });
        await client.logMetric(id, 'b', 7, { step: 0, timestamp: 300 });
        await client.logMetric(id, 'b', 4, { step: 0, timestamp: 250 });
        await client.logMetric(id, 'c', 1, { step: 1, timestamp: 10 });
        await client.logMetric(id, 'c', 8, { step: 1, timestamp: 10 });
        await client.logMetric(id, 'c', 5, { step: 1, timestamp: 10 });
        await client.logMetric(id, 'inf', Number.POSITIVE_INFINITY, { step: 1, timestamp: 10 });
        const metrics = (await client.getRun(id)).data.metrics;
        expect(metrics).toEqual({ a: 1, b: 7, c: 8, inf: inf(Number.POSITIVE_INFINITY) });
        expect(await client.getMetricHistory(id, 'c')).toHaveLength(3);
      });

      it('rejects a metric value that is not a number', async () => {
        const exp = await newExperiment('badmetric');
        const id = (await client.createRun(exp)).info.runId;
        await expectMlflowError(client.logMetric(id, 'm', 'high' as unknown as number), 'INVALID_PARAMETER_VALUE');
      });

      it('sets, overwrites and deletes run tags', async () => {
        const exp = await newExperiment('runtags');
        const id = (await client.createRun(exp)).info.runId;
        await client.setTag(id, 'stage', 'train');
        await client.setTag(id, 'count', 3);
        await client.setTag(id, 'stage', 'eval');
        expect((await client.getRun(id)).data.tags).toMatchObject({ stage: 'eval', count: '3' });
        await client.deleteTag(id, 'stage');
        expect((await client.getRun(id)).data.tags['stage']).toBeUndefined();
        await expectMlflowError(client.deleteTag(id, 'stage'), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('logs a batch of metrics, params and tags', async () => {
        const exp = await newExperiment('batch');
        const id = (await client.createRun(exp)).info.runId;
        const metrics = Array.from({ length: 30 }, (_, i) => ({ key: `m${i % 3}`, value: i / 2, timestamp: 5000 + i, step: i }));
        const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: i }));
        await client.logBatch(id, { metrics, params, tags: [{ key: 't', value: 'x' }] });
        const run = await client.getRun(id);
        expect(Object.keys(run.data.params)).toHaveLength(150);
        expect(run.data.params['p149']).toBe('149');
        expect(run.data.tags['t']).toBe('x');
        expect(run.data.metrics).toEqual({ m0: 13.5, m1: 14, m2: 14.5 });
        const h = await client.getMetricHistory(id, 'm1');
        expect(h.map((m: Metric) => m.step).sort((a, b) => a - b)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
        // MLflow's file store wraps this in INTERNAL_ERROR; its SQL store keeps INVALID_PARAMETER_VALUE.
        await expectMlflowError(client.logBatch(id, { params: [{ key: 'p0', value: 'changed' }] }), [
          'INVALID_PARAMETER_VALUE',
          'INTERNAL_ERROR',
        ], /p0/);
        expect((await client.getRun(id)).data.params['p0']).toBe('0');
      });

      it('records dataset inputs', async () => {
        const exp = await newExperiment('inputs');
        const id = (await client.createRun(exp)).info.runId;
        const input: DatasetInput = {
          dataset: {
            name: 'iris',
            digest: 'abc123',
            sourceType: 'local',
            source: '{"uri": "/data/iris.csv"}',
            schema: '{"mlflow_colspec": []}',
            profile: '{"num_rows": 150}',
          },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        };
        await client.logInputs(id, [input]);
        const run = await client.getRun(id);
        expect(run.inputs.datasetInputs).toHaveLength(1);
        expect(run.inputs.datasetInputs[0]).toMatchObject({
          dataset: { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{"uri": "/data/iris.csv"}' },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        });
        await client.logInputs(id, [input]);
        expect((await client.getRun(id)).inputs.datasetInputs).toHaveLength(1);
      });
    });

    describe('run search', () => {
      let exp: string;
      let other: string;
      beforeAll(async () => {
        exp = await newExperiment('search-runs');
        other = await newExperiment('search-runs-other');
        const rows: Array<{ name: string; acc: number; model: string; team: string; status: 'FINISHED' | 'FAILED' | null }> = [
          { name: 'r0', acc: 0.9, model: 'xgboost', team: 'a', status: 'FINISHED' },
          { name: 'r1', acc: 0.4, model: 'xgboost', team: 'b', status: 'FAILED' },
          { name: 'r2', acc: 0.7, model: 'linear', team: 'a', status: null },
          { name: 'r3', acc: 0.55, model: 'xgboost', team: 'a', status: 'FINISHED' },
          { name: 'r4', acc: 0.1, model: 'linear', team: 'b', status: 'FINISHED' },
          { name: 'r5', acc: 0.8, model: 'forest', team: 'c', status: null },
        ];
        let t = 1_700_000_000_000;
        for (const row of rows) {
          const run = await client.createRun(exp, { runName: row.name, startTime: (t += 1000), tags: { team: row.team } });
          await client.logParam(run.info.runId, 'model', row.model);
          await client.logMetric(run.info.runId, 'accuracy', row.acc, { step: 0, timestamp: t });
          if (row.status) await client.setTerminated(run.info.runId, row.status, t + 500);
        }
        const o = await client.createRun(other, { runName: 'o0', startTime: (t += 1000) });
        await client.logMetric(o.info.runId, 'accuracy', 0.95, { timestamp: t });
      });

      it('filters on metrics, params, tags and attributes', async () => {
        const byAcc = await client.searchRuns([exp], 'metrics.accuracy > 0.5', { orderBy: ['metrics.accuracy DESC'] });
        expect(names(byAcc.runs)).toEqual(['r0', 'r5', 'r2', 'r3']);
        const both = await client.searchRuns([exp], "metrics.accuracy > 0.5 and params.model = 'xgboost'", {
          orderBy: ['metrics.accuracy ASC'],
        });
        expect(names(both.runs)).toEqual(['r3', 'r0']);
        const tag = await client.searchRuns([exp], "tags.team = 'b'", { orderBy: ['attributes.run_name ASC'] });
        expect(names(tag.runs)).toEqual(['r1', 'r4']);
        const status = await client.searchRuns([exp], "attributes.status = 'RUNNING'", { orderBy: ['run_name'] });
        expect(names(status.runs)).toEqual(['r2', 'r5']);
        const like = await client.searchRuns([exp], "params.model LIKE 'x%' and tags.team != 'b'", { orderBy: ['run_name DESC'] });
        expect(names(like.runs)).toEqual(['r3', 'r0']);
        const byName = await client.searchRuns([exp], "attributes.run_name = 'r4'");
        expect(names(byName.runs)).toEqual(['r4']);
        const none = await client.searchRuns([exp], "params.model = 'nothing'");
        expect(none.runs).toEqual([]);
      });

      it('orders by start time (newest first) by default and by several keys', async () => {
        const all = await client.searchRuns([exp], '');
        expect(names(all.runs)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
        const twoKeys = await client.searchRuns([exp], '', { orderBy: ['tags.team ASC', 'metrics.accuracy DESC'] });
        expect(names(twoKeys.runs)).toEqual(['r0', 'r2', 'r3', 'r1', 'r4', 'r5']);
        const startAsc = await client.searchRuns([exp], '', { orderBy: ['attributes.start_time ASC'] });
        expect(names(startAsc.runs)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
      });

      it('searches several experiments at once', async () => {
        const both = await client.searchRuns([exp, other], 'metrics.accuracy >= 0.9', { orderBy: ['metrics.accuracy DESC'] });
        expect(names(both.runs)).toEqual(['o0', 'r0']);
      });

      it('pages through results without losing or repeating runs', async () => {
        const whole = await client.searchRuns([exp], '', { orderBy: ['metrics.accuracy ASC'] });
        const paged = await allRunPages(client, [exp], '', { orderBy: ['metrics.accuracy ASC'], maxResults: 4 });
        expect(paged.pages).toBe(2);
        expect(paged.runs.map((r) => r.info.runId)).toEqual(whole.runs.map((r) => r.info.runId));
        const first = await client.searchRuns([exp], '', { orderBy: ['metrics.accuracy ASC'], maxResults: 6 });
        expect(first.runs).toHaveLength(6);
      });

      it('returns whole runs (data and info) from a search', async () => {
        const [hit] = (await client.searchRuns([exp], "attributes.run_name = 'r3'")).runs;
        expect(hit).toBeDefined();
        const direct = await client.getRun(hit!.info.runId);
        expect(hit!.info).toEqual(direct.info);
        expect(hit!.data).toEqual(direct.data);
      });

      it('rejects malformed filters and order clauses', async () => {
        await expectMlflowError(client.searchRuns([exp], 'metrics.accuracy >'), 'INVALID_PARAMETER_VALUE');
        await expectMlflowError(client.searchRuns([exp], "nonsense.x = 'a'"), 'INVALID_PARAMETER_VALUE');
        await expectMlflowError(client.searchRuns([exp], '', { orderBy: ['metrics.accuracy SIDEWAYS'] }), 'INVALID_PARAMETER_VALUE');
      });
    });

    describe('logged models', () => {
      it('creates, finalizes, tags and deletes a logged model', async () => {
        const exp = await newExperiment('models');
        const run = await client.createRun(exp);
        const model = await client.createLoggedModel(exp, {
          name: 'clf',
          sourceRunId: run.info.runId,
          params: { depth: 3 },
          tags: { owner: 'me' },
          modelType: 'sklearn',
        });
        expect(model).toMatchObject({
          experimentId: exp,
          name: 'clf',
          sourceRunId: run.info.runId,
          status: 'PENDING',
          params: { depth: '3' },
          modelType: 'sklearn',
        });
        expect(model.tags['owner']).toBe('me');
        expect(model.modelUri).toBe(`models:/${model.modelId}`);
        expect(model.artifactLocation).not.toBe('');

        const ready = await client.finalizeLoggedModel(model.modelId, 'READY');
        expect(ready.status).toBe('READY');
        await client.logModelParams(model.modelId, { lr: 0.01 });
        await client.setLoggedModelTags(model.modelId, { stage: 'dev', owner: 'you' });
        await client.deleteLoggedModelTag(model.modelId, 'stage');
        const got = await client.getLoggedModel(model.modelId);
        expect(got.params).toMatchObject({ depth: '3', lr: '0.01' });
        expect(got.tags['owner']).toBe('you');
        expect(got.tags['stage']).toBeUndefined();
        expect(got.status).toBe('READY');

        const listed = await client.searchLoggedModels([exp]);
        expect(listed.map((m) => m.modelId)).toEqual([model.modelId]);
        await client.deleteLoggedModel(model.modelId);
        await expectMlflowError(client.getLoggedModel(model.modelId), 'RESOURCE_DOES_NOT_EXIST');
        expect(await client.searchLoggedModels([exp])).toEqual([]);
      });

      it('names a missing logged model', async () => {
        await expectMlflowError(client.getLoggedModel('m-0123456789abcdef0123456789abcdef'), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('links a logged model to a run as an output', async () => {
        const exp = await newExperiment('outputs');
        const run = await client.createRun(exp);
        const model = await client.createLoggedModel(exp, { name: 'net', sourceRunId: run.info.runId });
        await client.logOutputs(run.info.runId, [{ modelId: model.modelId, step: 4 }]);
        const got = await client.getRun(run.info.runId);
        expect(got.outputs.modelOutputs).toEqual([{ modelId: model.modelId, step: 4 }]);
      });
    });

    describe('artifacts', () => {
      it('logs a file, a folder, text and a dict; lists, reads and downloads them', async () => {
        const exp = await newExperiment('artifacts');
        const id = (await client.createRun(exp)).info.runId;
        const file = path.join(scratch, 'weights.bin');
        fs.writeFileSync(file, Buffer.from([0, 1, 2, 255]));
        const dir = path.join(scratch, 'plots');
        fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'a.txt'), 'A');
        fs.writeFileSync(path.join(dir, 'sub', 'b.txt'), 'BB');

        await client.logArtifact(id, file);
        await client.logArtifact(id, file, 'model');
        await client.logArtifacts(id, dir, 'plots');
        await client.logText(id, 'héllo', 'notes/hello.txt');
        await client.logDict(id, { a: 1, b: [true, null] }, 'config/params.json');
        await client.logDict(id, { a: 1 }, 'config/params.yaml');

        const root = await client.listArtifacts(id);
        expect(root.map((f) => [f.path, f.isDir])).toEqual([
          ['config', true],
          ['model', true],
          ['notes', true],
          ['plots', true],
          ['weights.bin', false],
        ]);
        expect(root.find((f) => f.path === 'weights.bin')?.fileSize).toBe(4);
        const plots = await client.listArtifacts(id, 'plots');
        expect(plots.map((f) => f.path)).toEqual(['plots/a.txt', 'plots/sub']);
        expect(await client.listArtifacts(id, 'plots/sub')).toEqual([{ path: 'plots/sub/b.txt', isDir: false, fileSize: 2 }]);
        expect(await client.listArtifacts(id, 'no/such/folder')).toEqual([]);

        const repo = await store.artifactRepository(id);
        expect(typeof repo.artifactUri).toBe('string');
        expect((await repo.readArtifact('notes/hello.txt')).toString('utf8')).toBe('héllo');
        expect([...(await repo.readArtifact('model/weights.bin'))]).toEqual([0, 1, 2, 255]);
        expect(JSON.parse((await repo.readArtifact('config/params.json')).toString('utf8'))).toEqual({ a: 1, b: [true, null] });
        expect((await repo.readArtifact('config/params.yaml')).toString('utf8').trim()).toBe('a: 1');

        const dst = fs.mkdtempSync(path.join(scratch, 'dl-'));
        const local = await client.downloadArtifacts(id, 'plots', dst);
        expect(fs.readFileSync(path.join(local, 'a.txt'), 'utf8')).toBe('A');
        expect(fs.readFileSync(path.join(local, 'sub', 'b.txt'), 'utf8')).toBe('BB');
        const one = await client.downloadArtifacts(id, 'notes/hello.txt');
        expect(fs.readFileSync(one, 'utf8')).toBe('héllo');
      });

      it('fails clearly on a missing artifact', async () => {
        const exp = await newExperiment('artifacts-missing');
        const id = (await client.createRun(exp)).info.runId;
        const repo = await store.artifactRepository(id);
        await expect(repo.readArtifact('nope.txt')).rejects.toThrow();
        await expect(client.downloadArtifacts(id, 'nope.txt', fs.mkdtempSync(path.join(scratch, 'dl-')))).rejects.toThrow();
        await expectMlflowError(store.artifactRepository('f'.repeat(32)), 'RESOURCE_DOES_NOT_EXIST');
      });
    });
  });
}
