/**
 * Signatures as Python writes them: logModel with an input example and no signature runs the
 * model on the example and writes what `mlflow.models.infer_signature(example, pyfunc.predict(example))`
 * gives in Python for the same model (onnx: one unnamed input, named inputs; tfjs); a model whose
 * only flavor is `python_function` with `loader_module: mlflow.onnx` is served.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MlflowClient } from '../../src/index.js';
import { logModel } from '../../src/models/index.js';
import { dumpYaml, parseYaml } from '../../src/format/yaml.js';
import type { YamlMap } from '../../src/format/yaml.js';
import { serveModel } from '../../src/serve/index.js';
import { cleanup, tmpDir } from '../models/helpers.js';
import { BUILD_ONNX_PY, pyFull, send } from './helpers.js';

let root: string;
let dir: string;
let client: MlflowClient;
let runId: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = path.join(tmpDir('mlruns-sig-'), 'mlruns');
  dir = tmpDir('mlruns-sig-onnx-');
  pyFull(dir, `${BUILD_ONNX_PY}\nonnx.save(linear(), ${JSON.stringify(path.join(dir, 'lin.onnx'))})\nonnx.save(two(), ${JSON.stringify(path.join(dir, 'two.onnx'))})\nresult = True`);
  client = new MlflowClient(root);
  runId = (await client.createRun('0')).info.runId;
}, 180_000);

afterAll(() => cleanup());

const mlmodel = (dir: string): YamlMap => parseYaml(fs.readFileSync(path.join(dir, 'MLmodel'), 'utf8')) as YamlMap;

/** Python's infer_signature on the model we logged, the example given with the graph's dtype. */
function pythonSignature(uri: string, example: string): { inputs: string; outputs: string } {
  return pyFull(
    root,
    `import numpy as np
from mlflow.models import infer_signature
m = mlflow.pyfunc.load_model(${JSON.stringify(uri)})
x = ${example}
s = infer_signature(x, m.predict(x)).to_dict()
result = {'inputs': s['inputs'], 'outputs': s['outputs']}`,
  );
}

describe('logModel infers the signature Python would write', () => {
  it('onnx, one input, an array example', async () => {
    const info = await logModel(client, runId, { name: 'lin', flavor: 'onnx', path: path.join(dir, 'lin.onnx'), inputExample: [[1, 2, 3], [4, 5, 6]], registeredModelName: 'lin' });
    const sig = mlmodel(info.localPath)['signature'] as YamlMap;
    const py = pythonSignature(info.modelUri, 'np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)');
    expect(sig['inputs']).toBe(py.inputs);
    expect(sig['outputs']).toBe(py.outputs);
    expect(sig['inputs']).toBe('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]');
  });

  it('onnx, named inputs, a dict example', async () => {
    const info = await logModel(client, runId, { name: 'two', flavor: 'onnx', path: path.join(dir, 'two.onnx'), inputExample: { a: [[1.5]], b: [[2]] } });
    const sig = mlmodel(info.localPath)['signature'] as YamlMap;
    const py = pythonSignature(info.modelUri, "{'a': np.array([[1.5]], dtype=np.float32), 'b': np.array([[2]], dtype=np.float32)}");
    expect(sig['inputs']).toBe(py.inputs);
    expect(sig['outputs']).toBe(py.outputs);
  });

  it('tfjs: tensors named by the graph, and served', async () => {
    const net = tf.sequential();
    net.add(tf.layers.dense({ units: 2, inputShape: [3], name: 'out' }));
    const info = await logModel(client, runId, { name: 'net', flavor: 'tfjs', tfjsModel: net, inputExample: [[1, 2, 3]] });
    const sig = mlmodel(info.localPath)['signature'] as YamlMap;
    expect(sig['inputs']).toBe('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]');
    expect(JSON.parse(sig['outputs'] as string)).toEqual([{ name: expect.stringContaining('out'), type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 2] } }]);
    const s = await serveModel(info.modelUri, { root, port: 0, workers: 0, tf });
    try {
      const ok = await send(s.url, { body: { inputs: [[1, 2, 3]] } });
      expect(ok.status).toBe(200);
      const bad = await send(s.url, { body: { inputs: [[1, 2]] } });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text).error_class).toBe('SCHEMA_ENFORCEMENT_FAILED');
    } finally {
      await s.close();
    }
  });

  it('an explicit null signature writes none; an example that cannot run writes none', async () => {
    const none = await logModel(client, runId, { name: 'none', flavor: 'onnx', path: path.join(dir, 'lin.onnx'), inputExample: [[1, 2, 3]], signature: null });
    expect(mlmodel(none.localPath)['signature']).toBeUndefined();
    const wrong = await logModel(client, runId, { name: 'wrong', flavor: 'onnx', path: path.join(dir, 'lin.onnx'), inputExample: [[1, 2]] });
    expect(mlmodel(wrong.localPath)['signature']).toBeUndefined();
  });
});

describe('python_function models whose loader is mlflow.onnx', () => {
  it('are served like onnx models', async () => {
    const info = await logModel(client, runId, { name: 'pf', flavor: 'onnx', path: path.join(dir, 'lin.onnx'), inputExample: [[1, 2, 3]] });
    const folder = path.join(tmpDir('mlruns-sig-pf-'), 'model');
    fs.cpSync(info.localPath, folder, { recursive: true });
    const m = mlmodel(folder);
    delete (m['flavors'] as YamlMap)['onnx'];
    fs.writeFileSync(path.join(folder, 'MLmodel'), dumpYaml(m));
    const s = await serveModel(folder, { root, port: 0, workers: 0 });
    try {
      const r = await send(s.url, { body: { inputs: [[1, 2, 3]] } });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toEqual({ predictions: { y: [[1.75]] } });
    } finally {
      await s.close();
    }
  });
});
