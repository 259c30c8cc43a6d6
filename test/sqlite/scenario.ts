/**
 * The scenario of scripts/gen_sqlite_fixtures.py written with our client: every entity the SQL
 * store keeps, so Python's reading of what we wrote can be compared with ours.
 */
import { MlflowClient } from '../../src/tracking/client.js';

export const T = 1700000000000;

export async function writeScenario(uri: string, options: { loggedModels: boolean }): Promise<{ runs: string[]; experiments: string[] }> {
  const client = new MlflowClient(uri);
  try {
    const e1 = await client.createExperiment('alpha', { tags: { team: 'a', unicode: 'héllo ✓' } });
    const e2 = await client.createExperiment('beta');
    const e3 = await client.createExperiment('gamma');
    await client.renameExperiment(e2, 'beta-renamed');
    await client.setExperimentTag(e2, 'k', 'v');
    const runs: string[] = [];
    for (let i = 0; i < 6; i++) {
      const exp = i < 4 ? e1 : e2;
      const r = await client.createRun(exp, { startTime: T + i * 1000, tags: { idx: String(i) }, runName: `run-${i}` });
      const rid = r.info.runId;
      runs.push(rid);
      await client.logBatch(rid, {
        metrics: [
          ...Array.from({ length: 5 }, (_, s) => ({ key: 'loss', value: 1 / (s + 1 + i), timestamp: T + s * 10, step: s })),
          { key: 'acc', value: 0.5 + i / 20, timestamp: T + 5, step: 0 },
        ],
        params: [
          { key: 'lr', value: String(0.01 * (i + 1)) },
          { key: 'layers', value: String(i % 3) },
        ],
        tags: [
          { key: 'mlflow.user', value: `user${i % 2}` },
          { key: 'group', value: `g${i % 2}` },
        ],
      });
      await client.logMetric(rid, 'loss', 0.001, { timestamp: T + 100, step: 2 });
      if (i === 1) {
        await client.logMetric(rid, 'weird', NaN, { timestamp: T, step: 0 });
        await client.logMetric(rid, 'big', Infinity, { timestamp: T, step: 0 });
        await client.logMetric(rid, 'small', -Infinity, { timestamp: T, step: 0 });
      }
      if (i < 5) await client.setTerminated(rid, i % 2 === 0 ? 'FINISHED' : 'FAILED', T + i * 1000 + 500);
    }
    await client.deleteTag(runs[0] as string, 'idx');
    await client.deleteRun(runs[3] as string);
    await client.deleteExperiment(e3);
    const ds = { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{"uri": "/data/iris.csv"}', schema: '{"x": 1}', profile: '{"rows": 150}' };
    await client.logInputs(runs[0] as string, [{ dataset: ds, tags: [{ key: 'mlflow.data.context', value: 'train' }] }]);
    await client.logInputs(runs[1] as string, [{ dataset: ds, tags: [{ key: 'mlflow.data.context', value: 'eval' }] }]);
    if (options.loggedModels) {
      const m = await client.createLoggedModel(e1, { name: 'model-a', sourceRunId: runs[0] as string, tags: { t: '1' }, params: { p: '2' } });
      await client.finalizeLoggedModel(m.modelId, 'READY');
      await client.logMetric(runs[0] as string, 'model_metric', 0.7, { timestamp: T, step: 1, modelId: m.modelId });
    }
    const reg = client.registry;
    await reg.createRegisteredModel('reg-a', { tags: { owner: 'x' }, description: 'first' });
    for (let i = 0; i < 3; i++) await reg.createModelVersion('reg-a', `runs:/${runs[i]}/model`, { runId: runs[i] as string, tags: { v: String(i) } });
    await reg.transitionModelVersionStage('reg-a', '2', 'Production');
    await reg.setRegisteredModelAlias('reg-a', 'champion', '2');
    await reg.setRegisteredModelAlias('reg-a', 'old', '1');
    await reg.deleteModelVersion('reg-a', '3');
    await reg.createRegisteredModel('reg-b');
    await reg.renameRegisteredModel('reg-b', 'reg-c');
    return { runs, experiments: [e1, e2, e3] };
  } finally {
    client.close();
  }
}
