/** TF.js autologging: a tiny fit, read back by Python MLflow. */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dumpYaml } from '../../src/format/yaml.js';
import { loadMlModel, mlModelToDict } from '../../src/models/mlmodel.js';
import { autolog, fileSystemHandler, mlflowCallback } from '../../src/models/autolog-tfjs.js';
import { MlflowClient } from '../../src/tracking/client.js';
import * as mlflow from '../../src/tracking/fluent.js';
import { cleanupTmp, runPython, tmpDir } from './helpers.js';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

beforeEach(() => {
  root = path.join(tmpDir(), 'mlruns');
  mlflow.setTrackingUri(root);
});

afterEach(async () => {
  autolog({ tf, disable: true });
  while (mlflow.activeRun()) await mlflow.endRun();
});

afterAll(() => cleanupTmp());

function tinyModel(lr = 0.05): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'ones', biasInitializer: 'zeros' }));
  model.compile({ optimizer: tf.train.sgd(lr), loss: 'meanSquaredError' });
  return model;
}

const xs = (): tf.Tensor2D => tf.tensor2d([[0], [1], [2], [3], [4]]);
const ys = (): tf.Tensor2D => tf.tensor2d([[1], [3], [5], [7], [9]]);

interface PyView {
  status: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  loss: Array<[number, number]>;
  artifacts: string[];
  mlmodel: { flavors: Record<string, Record<string, unknown>>; run_id: string; artifact_path: string; model_uuid: string; utc_time_created: string };
  history: Array<Record<string, unknown>>;
}

function pythonView(runId: string): PyView {
  return runPython<PyView>(
    '3',
    `import json, os, yaml, mlflow
c = mlflow.MlflowClient()
run_id = ${JSON.stringify(runId)}
r = c.get_run(run_id)
arts = [f.path for f in c.list_artifacts(run_id)] + [f.path for f in c.list_artifacts(run_id, "model")]
local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="model")
with open(os.path.join(local, "MLmodel")) as f:
    m = yaml.safe_load(f)
print(json.dumps({
  "status": r.info.status,
  "params": r.data.params,
  "tags": r.data.tags,
  "loss": [[h.step, h.value] for h in c.get_metric_history(run_id, "loss")],
  "artifacts": sorted(arts),
  "mlmodel": {k: m[k] for k in ["flavors", "run_id", "artifact_path", "model_uuid", "utc_time_created"]},
  "history": json.loads(r.data.tags["mlflow.log-model.history"]),
}))`,
    { env: { MLFLOW_TRACKING_URI: root } },
  );
}

describe('TF.js autologging', () => {
  it('a callback inside withRun: params, per-epoch metrics and the model, as Python reads them', async () => {
    const model = tinyModel();
    const cb = mlflowCallback(tf, { model, onError: 'throw' });
    let history: tf.History | undefined;
    const run = await mlflow.withRun({ runName: 'tfjs-fit' }, async (r) => {
      history = await model.fit(xs(), ys(), { epochs: 2, batchSize: 2, callbacks: [cb], verbose: 0 });
      return r;
    });
    expect(cb.errors).toEqual([]);
    const losses = history?.history['loss'] as number[];
    expect(losses).toHaveLength(2);

    const py = pythonView(run.info.runId);
    expect(py.status).toBe('FINISHED');
    expect(py.params).toEqual({
      epochs: '2',
      batch_size: '2',
      optimizer_name: 'SGD',
      optimizer_learning_rate: '0.05',
      loss: 'meanSquaredError',
    });
    expect(py.loss).toEqual([
      [0, losses[0]],
      [1, losses[1]],
    ]);
    expect(py.artifacts).toEqual(['model', 'model/MLmodel', 'model/model.json', 'model/weights.bin', 'model_summary.txt']);
    expect(py.mlmodel.flavors).toEqual({ tfjs: { data: 'model.json', model_format: 'layers-model', tfjs_version: tf.version.tfjs } });
    expect(py.mlmodel.run_id).toBe(run.info.runId);
    expect(py.mlmodel.artifact_path).toBe('model');
    expect(py.history).toEqual([
      {
        run_id: run.info.runId,
        artifact_path: 'model',
        utc_time_created: py.mlmodel.utc_time_created,
        model_uuid: py.mlmodel.model_uuid,
        flavors: { tfjs: { data: 'model.json', model_format: 'layers-model', tfjs_version: tf.version.tfjs } },
      },
    ]);
    expect(py.mlmodel.utc_time_created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(cb.loggedModel?.modelUuid).toBe(py.mlmodel.model_uuid);

    // The saved files load back into TF.js with the trained weights.
    const dir = path.join(root, run.info.experimentId, run.info.runId, 'artifacts', 'model');
    const again = await tf.loadLayersModel(fileSystemHandler(dir));
    const probe = tf.tensor2d([[0.5], [10]]);
    expect(Array.from((again.predict(probe) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(probe) as tf.Tensor).dataSync()));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).modelTopology.class_name).toBe('Sequential');
    expect(fs.readFileSync(path.join(root, run.info.experimentId, run.info.runId, 'artifacts', 'model_summary.txt'), 'utf8')).toContain('Total params: 2');
  });

  it('the MLmodel file is byte for byte what MLflow 2.22 writes for the same model', async () => {
    const model = tinyModel();
    await mlflow.withRun(() => model.fit(xs(), ys(), { epochs: 1, callbacks: [mlflowCallback(tf, { model, onError: 'throw' })], verbose: 0 }));
    const run = (await mlflow.lastActiveRun())!;
    const file = path.join(root, run.info.experimentId, run.info.runId, 'artifacts', 'model', 'MLmodel');
    const ours = fs.readFileSync(file, 'utf8');
    const m = loadMlModel(file);
    expect(dumpYaml(mlModelToDict(m))).toBe(ours);
    const py = runPython<{ yaml: string }>(
      '2',
      `import json
from mlflow.models import Model
m = Model(artifact_path="model", run_id=${JSON.stringify(run.info.runId)}, utc_time_created=${JSON.stringify(m.utcTimeCreated)},
          model_uuid=${JSON.stringify(m.modelUuid)})
m.add_flavor("tfjs", data="model.json", model_format="layers-model", tfjs_version=${JSON.stringify(tf.version.tfjs)})
print(json.dumps({"yaml": m.to_yaml()}))`,
    );
    expect(ours).toBe(py.yaml);
  });

  it('autolog(): a fit with no active run gets its own run (tagged, FINISHED), user callbacks still run', async () => {
    autolog({ tf, onError: 'throw' });
    const model = tinyModel(0.01);
    const epochsSeen: number[] = [];
    const h = await model.fit(xs(), ys(), {
      epochs: 3,
      batchSize: 5,
      verbose: 0,
      validationSplit: 0.2,
      callbacks: { onEpochEnd: async (epoch) => void epochsSeen.push(epoch) },
    });
    expect(epochsSeen).toEqual([0, 1, 2]);
    expect(mlflow.activeRun()).toBeNull();
    const run = (await mlflow.lastActiveRun())!;
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.tags['mlflow.autologging']).toBe('tfjs');
    expect(run.data.params['epochs']).toBe('3');
    const client = new MlflowClient(root);
    expect((await client.getMetricHistory(run.info.runId, 'loss')).map((p) => p.value)).toEqual(h.history['loss']);
    expect((await client.getMetricHistory(run.info.runId, 'val_loss')).map((p) => p.step)).toEqual([0, 1, 2]);
    const names = (await client.listArtifacts(run.info.runId, 'model')).map((f) => f.path);
    expect(names).toEqual(['model/MLmodel', 'model/model.json', 'model/weights.bin']);

    // Inside a user's run, autologging logs there and leaves the run open.
    const mine = await mlflow.startRun({ runName: 'mine' });
    await tinyModel().fit(xs(), ys(), { epochs: 1, verbose: 0 });
    expect(mlflow.activeRun()?.info.runId).toBe(mine.info.runId);
    expect((await client.getRun(mine.info.runId)).data.params['epochs']).toBe('1');
    await mlflow.endRun();

    // A failing fit fails its run and the error reaches the caller.
    const bad = tinyModel();
    await expect(bad.fit(tf.tensor2d([[1, 2]]), tf.tensor2d([[1]]), { epochs: 1, verbose: 0 })).rejects.toThrow();
    const failed = (await mlflow.lastActiveRun())!;
    expect(failed.info.runId).not.toBe(mine.info.runId);
    expect(failed.info.status).toBe('FAILED');

    // Turned off: no new runs.
    autolog({ tf, disable: true });
    const before = (await client.searchRuns(['0'])).runs.length;
    await tinyModel().fit(xs(), ys(), { epochs: 1, verbose: 0 });
    expect((await client.searchRuns(['0'])).runs.length).toBe(before);
  });

  it('a callback with no active run starts one and ends it', async () => {
    const model = tinyModel();
    await model.fit(xs(), ys(), { epochs: 2, verbose: 0, callbacks: [mlflowCallback(tf, { onError: 'throw', logModels: false })] });
    expect(mlflow.activeRun()).toBeNull();
    const run = (await mlflow.lastActiveRun())!;
    expect(run.info.status).toBe('FINISHED');
    expect(Object.keys(run.data.metrics)).toEqual(['loss']);
    expect(run.data.tags['mlflow.log-model.history']).toBeUndefined();
  });
});
