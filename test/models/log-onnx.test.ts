/**
 * An ONNX model logged by us (a linear model made with Python's onnx.helper), registered and
 * aliased `champion` by us, is what Python's MLflow 3.17.2 sees as a logged model: pyfunc and
 * mlflow.onnx load it, its predictions equal ours (onnxruntime-node), MlflowClient sees the
 * logged model, the run output and (when asked) the history tag; the MLmodel we write has the
 * same keys and flavor configurations as the one `mlflow.onnx.log_model` writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { logModel } from '../../src/models/log-model.js';
import type { LoggedModelInfo } from '../../src/models/log-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { ONNX_DEFAULT_VERSIONS } from '../../src/models/onnx.js';
import { parseYaml } from '../../src/format/yaml.js';
import { cleanup, linear, makeLinearOnnx, py, LINEAR_ONNX_PY, tmpDir } from './helpers.js';

const X = [
  [1, 2, 3],
  [0.1, -0.2, 0.3],
  [1e3, 2.5, -7.125],
];

let dir: string;
let root: string;
let onnxFile: string;
let client: MlflowClient;
let runId: string;
let info: LoggedModelInfo;

beforeAll(async () => {
  dir = tmpDir();
  root = path.join(dir, 'mlruns');
  onnxFile = path.join(dir, 'linear.onnx');
  makeLinearOnnx(onnxFile);
  client = new MlflowClient(root);
  const expId = await client.createExperiment('onnx-models');
  const run = await client.createRun(expId, { runName: 'train' });
  runId = run.info.runId;
  await client.logParam(runId, 'alpha', 0.5);
  await client.logMetric(runId, 'rmse', 0.125, { step: 0 });
  await client.logMetric(runId, 'rmse', 0.0625, { step: 1 });
  info = await logModel(client, runId, {
    name: 'linear',
    flavor: 'onnx',
    path: onnxFile,
    inputExample: [[1, 2, 3]],
    params: { layers: 1 },
    tags: { team: 'ml' },
    registeredModelName: 'linear-reg',
    recordHistory: true,
  });
  await client.setRegisteredModelAlias('linear-reg', 'champion', info.registeredModelVersion as string);
  await client.setTerminated(runId);
});

afterAll(() => cleanup());

describe('logModel (onnx) as MLflow 3.x log_model', () => {
  it('writes the logged model, its artifacts and the run output where MLflow does', () => {
    expect(info.modelId).toMatch(/^m-[0-9a-f]{32}$/);
    expect(info.modelUri).toBe(`models:/${info.modelId}`);
    const expDir = path.join(root, info.experimentId);
    const art = path.join(expDir, 'models', info.modelId, 'artifacts');
    expect(info.localPath).toBe(art);
    expect(fs.readdirSync(art).sort()).toEqual(
      ['MLmodel', 'conda.yaml', 'input_example.json', 'model.onnx', 'python_env.yaml', 'requirements.txt', 'serving_input_example.json'].sort(),
    );
    expect(fs.readFileSync(path.join(art, 'model.onnx'))).toEqual(fs.readFileSync(onnxFile));
    // Nothing in the run's artifacts (MLflow 3.x writes none).
    const runArt = path.join(expDir, runId, 'artifacts');
    expect(fs.existsSync(runArt) ? fs.readdirSync(runArt) : []).toEqual([]);
    expect(fs.existsSync(path.join(expDir, runId, 'outputs', info.modelId, 'meta.yaml'))).toBe(true);
    expect(info.loggedModel.status).toBe('READY');
    expect(info.registeredModelVersion).toBe('1');
    const mlmodel = parseYaml(fs.readFileSync(path.join(art, 'MLmodel'), 'utf8')) as Record<string, unknown>;
    expect(mlmodel['artifact_path']).toBe(info.artifactPath);
    expect(mlmodel['model_id']).toBe(info.modelId);
    expect(mlmodel['model_uuid']).toBe(info.modelId);
    expect(mlmodel['run_id']).toBe(runId);
    expect(mlmodel['mlflow_version']).toBe('3.17.2');
    expect(fs.readFileSync(path.join(art, 'input_example.json'), 'utf8')).toBe('[[1.0, 2.0, 3.0]]');
  });

  it('has the MLmodel keys and flavor configurations mlflow.onnx.log_model writes', () => {
    const ref = py<{ mlmodel: Record<string, any>; files: string[]; texts: Record<string, string> }>(
      path.join(dir, 'py-ref'),
      `${LINEAR_ONNX_PY}
import yaml
with mlflow.start_run():
    i = mlflow.onnx.log_model(m, name='ref', input_example=np.array([[1, 2, 3]], dtype=np.float32))
lm = client.get_logged_model(i.model_id)
p = lm.artifact_location.replace('file://', '')
texts = {f: open(os.path.join(p, f)).read() for f in ['input_example.json', 'serving_input_example.json', 'requirements.txt']}
result = {'mlmodel': yaml.safe_load(open(os.path.join(p, 'MLmodel'))), 'files': sorted(os.listdir(p)), 'texts': texts}
`,
    );
    const ours = parseYaml(fs.readFileSync(path.join(info.localPath, 'MLmodel'), 'utf8')) as Record<string, any>;
    // mlruns also writes the signature infer_signature gives for the example, with the keys
    // Python writes beside a signature (MLflow 3.17.2's onnx flavor infers none;
    // test/serve/signature.test.ts checks it against Python's infer_signature).
    const withSignature = ['signature', 'is_signature_from_type_hint', 'type_hint_from_example'];
    expect(Object.keys(ours).filter((k) => !withSignature.includes(k)).sort()).toEqual(Object.keys(ref.mlmodel).sort());
    // python_version is the interpreter's (Python's) or the default we write (ours).
    expect(ours['flavors']['python_function']['python_version']).toBe(ONNX_DEFAULT_VERSIONS.python);
    const noPy = (f: any): any => ({ ...f, python_function: { ...f.python_function, python_version: 'X' } });
    expect(noPy(ours['flavors'])).toEqual(noPy(ref.mlmodel['flavors']));
    expect(ours['saved_input_example_info']).toEqual(ref.mlmodel['saved_input_example_info']);
    expect(ours['model_size_bytes']).toBe(ref.mlmodel['model_size_bytes']);
    expect(fs.readdirSync(info.localPath).sort()).toEqual(ref.files);
    for (const [f, text] of Object.entries(ref.texts)) expect(fs.readFileSync(path.join(info.localPath, f), 'utf8'), f).toBe(text);
  });

  it("is loaded by Python's pyfunc through models:/<name>@champion and predicts as we do", async () => {
    const res = py<{ pred: number[][]; onnx: string; mlflowOnnxLoaded: boolean; nOutputs: number }>(
      root,
      `import numpy as np
model = mlflow.pyfunc.load_model('models:/linear-reg@champion')
out = model.predict(np.array(${JSON.stringify(X)}, dtype=np.float32))
m = mlflow.onnx.load_model('models:/linear-reg@champion')
import onnx
result = {'pred': out['y'].tolist(), 'nOutputs': len(out), 'onnx': m.graph.name, 'mlflowOnnxLoaded': isinstance(m, onnx.ModelProto)}
`,
    );
    expect(res.mlflowOnnxLoaded).toBe(true);
    expect(res.onnx).toBe('linear');
    expect(res.nOutputs).toBe(1);
    const model = await loadModel('models:/linear-reg@champion', { root });
    try {
      const ours = await model.predict(X);
      expect(Object.keys(ours)).toEqual(['y']);
      expect(ours['y']?.dims).toEqual([3, 1]);
      const values = ours['y']?.values as number[][];
      values.forEach((row, i) => {
        expect(row[0]).toBeCloseTo((res.pred[i] as number[])[0] as number, 4);
        expect(row[0]).toBeCloseTo(linear(X[i] as number[]), 3);
      });
    } finally {
      await model.close();
    }
  });

  it("is seen by Python's MlflowClient: logged model, search, run output, params, tags, metrics, version", () => {
    const res = py<any>(
      root,
      `lm = client.get_logged_model(${JSON.stringify(info.modelId)})
found = client.search_logged_models(experiment_ids=[lm.experiment_id])
run = client.get_run(${JSON.stringify(runId)})
mv = client.get_model_version('linear-reg', '1')
champ = client.get_model_version_by_alias('linear-reg', 'champion')
hist = json.loads(run.data.tags['mlflow.log-model.history'])
result = {
  'name': lm.name, 'status': str(lm.status), 'source_run_id': lm.source_run_id, 'params': lm.params,
  'tags': lm.tags, 'metrics': sorted([(m.key, m.value, m.step) for m in (lm.metrics or [])]),
  'artifact_location': lm.artifact_location, 'model_uri': lm.model_uri,
  'found': [m.model_id for m in found],
  'outputs': [(o.model_id, o.step) for o in run.outputs.model_outputs],
  'history': hist,
  'mv': {'source': mv.source, 'run_id': mv.run_id, 'model_id': mv.model_id, 'status': mv.status, 'tags': mv.tags},
  'champion': champ.version,
}
`,
    );
    expect(res.name).toBe('linear');
    expect(res.status).toMatch(/READY/);
    expect(res.source_run_id).toBe(runId);
    expect(res.params).toEqual({ layers: '1', alpha: '0.5' });
    expect(res.tags['team']).toBe('ml');
    expect(res.tags['mlflow.source.type']).toBe('LOCAL');
    expect(JSON.parse(res.tags['mlflow.modelVersions'])).toEqual([{ name: 'linear-reg', version: 1 }]);
    expect(res.metrics).toEqual([['rmse', 0.125, 0]]);
    expect(res.artifact_location).toBe(info.artifactPath);
    expect(res.model_uri).toBe(info.modelUri);
    expect(res.found).toEqual([info.modelId]);
    expect(res.outputs).toEqual([[info.modelId, 0]]);
    expect(res.history).toHaveLength(1);
    expect(res.history[0].run_id).toBe(runId);
    expect(res.history[0].model_uuid).toBe(info.modelId);
    expect(res.history[0].artifact_path).toBe(info.artifactPath);
    expect(Object.keys(res.history[0].flavors).sort()).toEqual(['onnx', 'python_function']);
    expect(res.mv).toEqual({ source: info.modelUri, run_id: runId, model_id: info.modelId, status: 'READY', tags: { team: 'ml' } });
    expect(String(res.champion)).toBe('1');
  });

  it('writes no history tag by default, as MLflow 3.x', async () => {
    const run = await client.createRun(info.experimentId);
    const second = await logModel(client, run.info.runId, { name: 'again', flavor: 'onnx', path: onnxFile });
    const tags = (await client.getRun(run.info.runId)).data.tags;
    expect(tags['mlflow.log-model.history']).toBeUndefined();
    expect(second.registeredModelVersion).toBeNull();
    const res = py<{ outputs: string[] }>(root, `result = {'outputs': [o.model_id for o in client.get_run(${JSON.stringify(run.info.runId)}).outputs.model_outputs]}`);
    expect(res.outputs).toEqual([second.modelId]);
  });

  it('loads through every URI form we can name it by', async () => {
    const forms = [
      `models:/${info.modelId}`,
      'models:/linear-reg/1',
      'models:/linear-reg@champion',
      'models:/linear-reg/latest',
      `runs:/${runId}/linear`,
      info.artifactPath,
      info.localPath,
    ];
    for (const uri of forms) {
      const m = await loadModel(uri, { root });
      expect(m.localPath, uri).toBe(info.localPath);
      expect(m.modelId, uri).toBe(info.modelId);
      expect(m.flavorNames, uri).toEqual(['onnx', 'python_function']);
      expect(m.loaderModule).toBe('mlflow.onnx');
      expect(m.inputExample).toEqual([[1, 2, 3]]);
      expect(m.inputExampleInfo?.['type']).toBe('ndarray');
      expect(m.files).toContain('model.onnx');
      const out = await m.predict([[1, 2, 3]]);
      expect((out['y']?.values as number[][])[0]?.[0]).toBeCloseTo(linear([1, 2, 3]), 4);
      await m.close();
    }
  });

  it('logs a folder holding a graph with external tensor data; Python loads and predicts it', async () => {
    const folder = path.join(dir, 'external');
    py(dir, `${LINEAR_ONNX_PY}
os.makedirs(${JSON.stringify(folder)}, exist_ok=True)
onnx.save_model(m, os.path.join(${JSON.stringify(folder)}, 'net.onnx'), save_as_external_data=True, all_tensors_to_one_file=True, location='net.weights', size_threshold=0)
result = sorted(os.listdir(${JSON.stringify(folder)}))`);
    expect(fs.readdirSync(folder).sort()).toEqual(['net.onnx', 'net.weights']);
    const ext = await logModel(client, runId, { name: 'external', flavor: 'onnx', path: folder, registeredModelName: 'external-reg' });
    expect(fs.readdirSync(ext.localPath)).toEqual(expect.arrayContaining(['model.onnx', 'net.weights']));
    const res = py<number[][]>(root, `import numpy as np
result = mlflow.pyfunc.load_model('models:/external-reg/1').predict(np.array(${JSON.stringify(X)}, dtype=np.float32))['y'].tolist()`);
    const m = await loadModel('models:/external-reg/1', { root });
    const ours = (await m.predict(X))['y']?.values as number[][];
    ours.forEach((row, i) => expect(row[0]).toBeCloseTo((res[i] as number[])[0] as number, 4));
    await expect(m.predict([[1, 2]])).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(m.predict([[1, 2, 3], [4]])).rejects.toThrow(/rectangular/);
    await expect(m.predict({ nope: [[1, 2, 3]] })).rejects.toThrow(/Missing input 'x'/);
    expect((await m.predict({ x: { data: new Float32Array([1, 2, 3]), dims: [1, 3] } }))['y']?.dims).toEqual([1, 1]);
    await m.close();
  });

  it('fails a failed log: the logged model is FAILED and the error is MLflow-coded', async () => {
    const bad = path.join(dir, 'not-onnx.onnx');
    fs.writeFileSync(bad, 'hello');
    await expect(logModel(client, runId, { name: 'bad', flavor: 'onnx', path: bad })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const failed = (await client.searchLoggedModels([info.experimentId])).filter((m) => m.name === 'bad');
    expect(failed.map((m) => m.status)).toEqual(['FAILED']);
    await expect(logModel(client, runId, { name: 'x', flavor: 'onnx', path: path.join(dir, 'missing.onnx') })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    await expect(logModel(client, runId, { name: 'x', flavor: 'pickle' as never, path: bad })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(logModel(client, 'f'.repeat(32), { name: 'x', flavor: 'onnx', path: onnxFile })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
