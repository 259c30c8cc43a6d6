/**
 * Differential test of the scoring protocol: every request form, CSV, and every bad request
 * (wrong columns, types, shapes, malformed JSON, unknown content type, empty body) sent over
 * HTTP to mlruns' server and to a real `mlflow models serve -m <uri> --env-manager local`
 * (MLflow 3.17.2, one process per model, all seven started in parallel and stopped at the end)
 * for the same models:
 * ONNX models built with the `onnx` package and logged by Python (tensor signature, none, named
 * tensors, columns) and ONNX models logged by mlruns (which Python serves too). Same status,
 * same content type, same JSON shape with values equal to float tolerance, same `error_code`.
 * A TF.js model logged by mlruns with the weights of the linear ONNX model answers as Python's
 * ONNX model does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MlflowClient } from '../../src/index.js';
import { logModel } from '../../src/models/index.js';
import { serveModel } from '../../src/serve/index.js';
import type { ModelServer } from '../../src/serve/index.js';
import { cleanup, tmpDir } from '../models/helpers.js';
import { BUILD_ONNX_PY, CASES, closeTo, pyFull, send, startMlflowModelsServe } from './helpers.js';
import type { Req, Res } from './helpers.js';

const TENSOR_SIG = {
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]',
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
};
const OPTIONAL_COLS_SIG = {
  inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "double", "name": "b", "required": false}]',
  outputs: null,
};

let root: string;
const python = new Map<string, { url: string; stop(): Promise<void> }>();
const ours = new Map<string, ModelServer>();
const models: Record<string, string> = {};
let tfjsServer: ModelServer;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = path.join(tmpDir('mlruns-serve-'), 'mlruns');
  const dir = tmpDir('mlruns-serve-onnx-');
  const logged = pyFull<Record<string, string>>(
    root,
    `${BUILD_ONNX_PY}
import numpy as np, pandas as pd
from mlflow.models import infer_signature
onnx.save(linear(), ${JSON.stringify(path.join(dir, 'linear.onnx'))})
onnx.save(two((None,)), ${JSON.stringify(path.join(dir, 'two.onnx'))})
x = np.array([[1, 2, 3]], dtype=np.float32)
a = np.array([[1.0]], dtype=np.float32)
result = {}
with mlflow.start_run():
    result['py-tsig'] = mlflow.onnx.log_model(linear(), name='tsig', signature=infer_signature(x, np.array([[1.0]], dtype=np.float32)), input_example=x).model_uri
    result['py-nosig'] = mlflow.onnx.log_model(linear(), name='nosig').model_uri
    result['py-twot'] = mlflow.onnx.log_model(two(), name='twot', signature=infer_signature({'a': a, 'b': a})).model_uri
    result['py-twocol'] = mlflow.onnx.log_model(two((None,)), name='twocol', signature=infer_signature(pd.DataFrame({'a': [1.0], 'b': [2.0]}))).model_uri
`,
  );
  Object.assign(models, logged);
  const client = new MlflowClient(root);
  const run = await client.createRun('0');
  const id = run.info.runId;
  models['ts-tsig'] = (await logModel(client, id, { name: 'ts-tsig', flavor: 'onnx', path: path.join(dir, 'linear.onnx'), signature: TENSOR_SIG, registeredModelName: 'lin' })).modelUri;
  models['ts-nosig'] = (await logModel(client, id, { name: 'ts-nosig', flavor: 'onnx', path: path.join(dir, 'linear.onnx') })).modelUri;
  models['ts-optcol'] = (await logModel(client, id, { name: 'ts-optcol', flavor: 'onnx', path: path.join(dir, 'two.onnx'), signature: OPTIONAL_COLS_SIG })).modelUri;
  // a TF.js model with the weights of the linear ONNX model
  const net = tf.sequential();
  net.add(tf.layers.dense({ units: 1, inputShape: [3], useBias: true }));
  net.setWeights([tf.tensor2d([[2], [-1], [0.5]]), tf.tensor1d([0.25])]);
  const tfjsUri = (await logModel(client, id, { name: 'tfjs-lin', flavor: 'tfjs', tfjsModel: net, signature: TENSOR_SIG })).modelUri;
  // one real `mlflow models serve` per model, started in parallel (each stopped in afterAll,
  // also when another failed to start)
  const started = await Promise.allSettled(
    Object.entries(models).map(async ([k, uri]) => {
      const p = await startMlflowModelsServe(root, uri);
      python.set(k, p);
    }),
  );
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  for (const [k, uri] of Object.entries(models)) ours.set(k, await serveModel(uri, { root, port: 0, workers: 0 }));
  tfjsServer = await serveModel(tfjsUri, { root, port: 0, workers: 0, tf });
}, 600_000);

afterAll(async () => {
  for (const s of ours.values()) await s.close();
  await tfjsServer?.close();
  await Promise.all([...python.values()].map((p) => p.stop()));
  cleanup();
}, 60_000);

function same(a: Res, b: Res, what: string): void {
  expect(a.status, what).toBe(b.status);
  expect(a.ct, what).toBe(b.ct);
  if (b.ct === 'application/json' && b.text.startsWith('{"error_code"')) {
    const ea = JSON.parse(a.text) as Record<string, unknown>;
    const eb = JSON.parse(b.text) as Record<string, unknown>;
    expect(ea['error_code'], `${what}\nours: ${a.text}\npython: ${b.text}`).toBe(eb['error_code']);
    expect(ea['error_class'], what).toBe(eb['error_class']);
    expect(ea['sqlstate'], what).toBe(eb['sqlstate']);
  } else if (b.status === 200 && b.ct === 'application/json' && b.text.startsWith('{')) {
    expect(closeTo(JSON.parse(a.text), JSON.parse(b.text)), `${what}\nours: ${a.text}\npython: ${b.text}`).toBe(true);
    expect(a.text.replace(/\d+\.\d+(e-?\d+)?/g, '0.0'), what).toBe(b.text.replace(/\d+\.\d+(e-?\d+)?/g, '0.0'));
  } else expect(a.text, what).toBe(b.text);
}

describe('mlruns serve speaks MLflow 3.17.2 scoring protocol', () => {
  const keys = ['py-tsig', 'py-nosig', 'py-twot', 'py-twocol', 'ts-tsig', 'ts-nosig', 'ts-optcol'];
  for (const key of keys) {
    it(`answers every request as Python does: ${key}`, async () => {
      const server = ours.get(key) as ModelServer;
      let ok = 0;
      for (const r of CASES) {
        const what = `${key} ${JSON.stringify(r).slice(0, 160)}`;
        const py = (python.get(key) as { url: string }).url;
        const [a, b] = await Promise.all([send(server.url, r), send(py, r)]);
        same(a, b, what);
        if (b.status === 200 && (r.path ?? '/invocations') === '/invocations') ok++;
      }
      // every model answers some forms (the cases are not all errors)
      expect(ok).toBeGreaterThan(0);
    });
  }

  it('a TF.js model answers as the ONNX model with the same weights', async () => {
    for (const r of CASES.filter((c) => (c.path ?? '/invocations') === '/invocations')) {
      const [a, b] = await Promise.all([send(tfjsServer.url, r), send((python.get('py-tsig') as { url: string }).url, r)]);
      const what = `tfjs ${JSON.stringify(r).slice(0, 160)}`;
      expect(a.status, `${what}\n${a.text}\n${b.text}`).toBe(b.status);
      if (b.status === 200) {
        const pa = JSON.parse(a.text) as { predictions: Record<string, unknown> };
        const pb = JSON.parse(b.text) as { predictions: Record<string, unknown> };
        expect(Object.keys(pa.predictions)).toHaveLength(1);
        expect(closeTo(Object.values(pa.predictions)[0], pb.predictions['y'], 1e-5), `${what}\n${a.text}\n${b.text}`).toBe(true);
      } else if (b.ct === 'application/json') {
        expect(JSON.parse(a.text).error_code, what).toBe(JSON.parse(b.text).error_code);
      }
    }
  });

  it('without a content type header both answer 500 or 415 alike', async () => {
    const r: Req = { body: Buffer.from('{"inputs": [[1, 2, 3]]}').toString(), ct: null };
    const a = await send((ours.get('py-tsig') as ModelServer).url, r);
    const b = await send((python.get('py-tsig') as { url: string }).url, r);
    same(a, b, 'no content type');
  });

  it('the model folder files are what Python logged (sanity of the fixture)', () => {
    expect(fs.existsSync(root)).toBe(true);
    expect(Object.keys(models).sort()).toEqual(['py-nosig', 'py-tsig', 'py-twocol', 'py-twot', 'ts-nosig', 'ts-optcol', 'ts-tsig']);
  });
});
