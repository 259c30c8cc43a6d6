/**
 * A TF.js model logged by us (from a model object, from a saved folder, from its model.json)
 * reloads and predicts identically; the fluent `logModel` logs into the active run; a generic
 * folder is logged without a python_function flavor, and Python sees both (and refuses to
 * pyfunc-load the generic one, as it should).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSystemHandler } from '../../src/models/autolog-tfjs.js';
import { MlflowClient } from '../../src/tracking/client.js';
import * as fluent from '../../src/tracking/fluent.js';
import { logModel } from '../../src/models/log-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { cleanup, py, tmpDir } from './helpers.js';

let dir: string;
let root: string;
let client: MlflowClient;
let model: tf.Sequential;
const X = [
  [0.5, -1],
  [2, 3],
  [-0.25, 0.75],
];
let expected: number[][];

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = tmpDir();
  root = path.join(dir, 'mlruns');
  client = new MlflowClient(root);
  model = tf.sequential();
  model.add(tf.layers.dense({ units: 3, inputShape: [2], activation: 'relu' }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  await model.fit(tf.tensor2d(X), tf.tensor2d([[1], [2], [3]]), { epochs: 2, verbose: 0 });
  expected = (model.predict(tf.tensor2d(X)) as tf.Tensor).arraySync() as number[][];
});

afterAll(() => cleanup());

describe('logModel / loadModel (tfjs)', () => {
  it('a model object, a saved folder and a model.json all reload and predict identically', async () => {
    const run = await client.createRun('0');
    const saved = path.join(dir, 'saved');
    await model.save(fileSystemHandler(saved));
    const infos = [
      await logModel(client, run.info.runId, { name: 'from-object', flavor: 'tfjs', tfjsModel: model, inputExample: [[0.5, -1]] }),
      await logModel(client, run.info.runId, { name: 'from-folder', flavor: 'tfjs', path: saved, registeredModelName: 'tfjs-reg' }),
      await logModel(client, run.info.runId, { name: 'from-json', flavor: 'tfjs', path: path.join(saved, 'model.json'), step: 2 }),
    ];
    for (const info of infos) {
      expect(info.flavors).toEqual({ tfjs: { data: 'model.json', model_format: 'layers-model', tfjs_version: tf.version.tfjs } });
      expect(fs.readdirSync(info.localPath).filter((f) => !f.includes('input_example')).sort()).toEqual(['MLmodel', 'model.json', 'weights.bin']);
    }
    const uris = [infos[0]!.modelUri, 'models:/tfjs-reg/1', `runs:/${run.info.runId}/from-json`];
    for (const uri of uris) {
      const m = await loadModel(uri, { root });
      expect(m.flavorNames).toEqual(['tfjs']);
      expect(m.loaderModule).toBeNull();
      const out = await m.predict(X);
      const [name] = Object.keys(out);
      expect(out[name as string]?.dims).toEqual([3, 1]);
      expect(out[name as string]?.values).toEqual(expected);
      await m.close();
    }
    const first = await loadModel(infos[0]!.modelUri, { root });
    expect(first.inputExample).toEqual([[0.5, -1]]);
    expect(first.inputExampleInfo?.['type']).toBe('ndarray');
    const outputs = (await client.getRun(run.info.runId)).outputs.modelOutputs;
    expect(outputs.map((o) => [o.modelId, o.step]).sort()).toEqual(infos.map((i, k) => [i.modelId, k === 2 ? 2 : 0]).sort());
  });

  it('fluent logModel logs into the active run; with none, a run-less model in the active experiment', async () => {
    fluent.setTrackingUri(root);
    try {
      const info = await fluent.withRun({ runName: 'fluent' }, () => logModel({ name: 'fluent-net', flavor: 'tfjs', tfjsModel: model }));
      const run = await fluent.lastActiveRun();
      expect(info.runId).toBe(run?.info.runId);
      expect(run?.outputs.modelOutputs.map((o) => o.modelId)).toContain(info.modelId);
      const loose = await logModel({ name: 'no-run', flavor: 'tfjs', tfjsModel: model });
      expect(loose.runId).toBeNull();
      expect(loose.loggedModel.sourceRunId).toBeNull();
      expect((await loadModel(loose.modelUri, { root })).runId).toBeNull();
    } finally {
      fluent.setTrackingUri(null);
    }
  });
});

describe('logModel (generic)', () => {
  it('copies a folder or a file under data/, with no python_function flavor; Python sees it and will not pyfunc-load it', async () => {
    const src = path.join(dir, 'weights');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a.txt'), 'A');
    fs.writeFileSync(path.join(src, 'sub', 'b.bin'), Buffer.from([1, 2, 3]));
    const run = await client.createRun('0');
    const folder = await logModel(client, run.info.runId, {
      name: 'gen-folder',
      flavor: 'generic',
      path: src,
      flavorConfig: { framework: 'custom' },
      inputExample: { a: 1, b: [1, 2] },
      signature: { inputs: '[{"type": "double", "required": true}]', outputs: null },
      metadata: { owner: 'ml' },
      registeredModelName: 'gen-reg',
    });
    const file = await logModel(client, run.info.runId, { name: 'gen-file', flavor: 'generic', path: path.join(src, 'a.txt'), flavorName: 'text_model' });
    expect(folder.flavors).toEqual({ generic: { framework: 'custom', data: 'data' } });
    expect(file.flavors).toEqual({ text_model: { data: 'data/a.txt' } });
    const m = await loadModel('models:/gen-reg/1', { root });
    expect(m.files).toEqual(['MLmodel', 'data/a.txt', 'data/sub/b.bin', 'input_example.json', 'serving_input_example.json']);
    expect(m.inputExample).toEqual({ a: 1, b: [1, 2] });
    expect(m.inputExampleInfo?.['type']).toBe('json_object');
    expect(m.signature?.inputs).toEqual([{ type: 'double', required: true }]);
    expect(m.metadata).toEqual({ owner: 'ml' });
    await expect(m.predict([1])).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const res = py<any>(
      root,
      `from mlflow.models import Model
info = Model.load('models:/gen-reg/1')
try:
    mlflow.pyfunc.load_model('models:/gen-reg/1')
    err = None
except mlflow.exceptions.MlflowException as e:
    err = e.error_code
p = mlflow.artifacts.download_artifacts('models:/${file.modelId}')
result = {'flavors': info.flavors, 'model_id': info.model_id, 'sig': str(info.signature.inputs), 'meta': info.metadata,
          'example': info.load_input_example(), 'err': err, 'text': open(os.path.join(p, 'data', 'a.txt')).read(),
          'ready': str(client.get_logged_model('${folder.modelId}').status)}
`,
    );
    expect(res.flavors).toEqual({ generic: { framework: 'custom', data: 'data' } });
    expect(res.model_id).toBe(folder.modelId);
    expect(res.sig).toBe('[double (required)]');
    expect(res.meta).toEqual({ owner: 'ml' });
    expect(res.example).toEqual({ a: 1, b: [1, 2] });
    expect(res.err).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(res.text).toBe('A');
    expect(res.ready).toMatch(/READY/);
  });
});
