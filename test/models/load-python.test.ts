/**
 * Models Python logs (MLflow 3.17.2: `mlflow.onnx.log_model`, `mlflow.pyfunc.log_model` of a
 * PythonModel, and a 2.x-style model folder in a run's artifacts registered from `runs:/`) are
 * described and loaded by our `loadModel` through every URI form; the ONNX one predicts as
 * Python's pyfunc does. Bad URIs fail with the error codes Python's `pyfunc.load_model` gives.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/models/load-model.js';
import { MlflowError } from '../../src/errors.js';
import { cleanup, LINEAR_ONNX_PY, py, tmpDir } from './helpers.js';

interface Made {
  exp: string;
  run: string;
  onnxId: string;
  pyfuncId: string;
  pred: number[][];
}

const X = [
  [3, 1, 4],
  [-1.5, 0.25, 2],
];

let root: string;
let made: Made;

beforeAll(() => {
  root = path.join(tmpDir(), 'mlruns');
  made = py<Made>(
    root,
    `${LINEAR_ONNX_PY}
from mlflow.models import Model
import tempfile

class AddOne(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: list[float]) -> list[float]:
        return [x + 1 for x in model_input]

exp = client.create_experiment('python-made')
with mlflow.start_run(experiment_id=exp) as run:
    a = mlflow.onnx.log_model(m, name='py-onnx', registered_model_name='py-onnx-reg',
                              input_example=np.array([[1, 2, 3]], dtype=np.float32))
    b = mlflow.pyfunc.log_model(name='py-generic', python_model=AddOne(), registered_model_name='py-generic-reg')
    d = tempfile.mkdtemp()
    legacy = Model(run_id=run.info.run_id, artifact_path='legacy-model')
    legacy.add_flavor('custom_flavor', data='weights.txt', answer=42)
    open(os.path.join(d, 'weights.txt'), 'w').write('1 2 3')
    legacy.save(os.path.join(d, 'MLmodel'))
    mlflow.log_artifacts(d, 'legacy-model')
    mlflow.log_text('no model here', 'not-a-model/readme.txt')
mlflow.register_model(f'runs:/{run.info.run_id}/legacy-model', 'legacy-reg')
client.set_registered_model_alias('py-onnx-reg', 'prod', '1')
client.transition_model_version_stage('py-onnx-reg', '1', 'Production')
pred = mlflow.pyfunc.load_model('models:/py-onnx-reg@prod').predict(np.array(${JSON.stringify(X)}, dtype=np.float32))['y'].tolist()
result = {'exp': exp, 'run': run.info.run_id, 'onnxId': a.model_id, 'pyfuncId': b.model_id, 'pred': pred}
`,
  );
});

afterAll(() => cleanup());

describe('loadModel on models Python logged', () => {
  it('describes and predicts the onnx model through every URI form', async () => {
    const forms = [
      `runs:/${made.run}/py-onnx`,
      'models:/py-onnx-reg/1',
      'models:/py-onnx-reg@prod',
      'models:/py-onnx-reg/Production',
      'models:/py-onnx-reg/production',
      'models:/py-onnx-reg/latest',
      `models:/${made.onnxId}`,
    ];
    for (const uri of forms) {
      const m = await loadModel(uri, { root });
      expect(m.modelId, uri).toBe(made.onnxId);
      expect(m.runId).toBe(made.run);
      expect(m.flavorNames).toEqual(['onnx', 'python_function']);
      expect(m.flavors['onnx']?.['data']).toBe('model.onnx');
      expect(m.mlflowVersion).toBe('3.17.2');
      expect(m.inputExample).toEqual([[1, 2, 3]]);
      // Python's own models:/ loads drop a `registered_model_meta` file into a local model folder.
      expect(m.files.filter((f) => f !== 'registered_model_meta')).toEqual(
        ['MLmodel', 'conda.yaml', 'input_example.json', 'model.onnx', 'python_env.yaml', 'requirements.txt', 'serving_input_example.json'],
      );
      expect(m.localPath).toBe(path.join(root, made.exp, 'models', made.onnxId, 'artifacts'));
      if (uri.startsWith('models:/py-onnx-reg')) expect(m.registered).toEqual({ name: 'py-onnx-reg', version: '1' });
      const out = await m.predict(X);
      expect(out['y']?.dims).toEqual([2, 1]);
      (out['y']?.values as number[][]).forEach((row, i) => expect(row[0]).toBeCloseTo((made.pred[i] as number[])[0] as number, 5));
      await m.close();
    }
  });

  it('describes a pyfunc PythonModel (no flavor to predict with: a clear error)', async () => {
    for (const uri of ['models:/py-generic-reg/1', `models:/${made.pyfuncId}`, `runs:/${made.run}/py-generic`]) {
      const m = await loadModel(uri, { root });
      expect(m.flavorNames).toEqual(['python_function']);
      expect(m.loaderModule).toBe('mlflow.pyfunc.model');
      expect(m.files).toContain('python_model.pkl');
      expect(m.signature?.inputs).toEqual([{ type: 'double', required: true }]);
      await expect(m.predict([1])).rejects.toThrow(/no flavor mlruns can predict with \(onnx or tfjs\); its flavors: python_function/);
    }
  });

  it('describes a 2.x-style model folder in a run’s artifacts, by runs:/ and by its registered version', async () => {
    for (const uri of [`runs:/${made.run}/legacy-model`, 'models:/legacy-reg/1']) {
      const m = await loadModel(uri, { root });
      expect(m.flavorNames).toEqual(['custom_flavor']);
      expect(m.flavors['custom_flavor']).toEqual({ data: 'weights.txt', answer: 42 });
      expect(m.artifactPath).toBe('legacy-model');
      expect(m.modelId).toBeNull();
      expect(m.files).toEqual(['MLmodel', 'weights.txt']);
      expect(m.localPath).toBe(path.join(root, made.exp, made.run, 'artifacts', 'legacy-model'));
    }
  });

  it('fails bad URIs with the error codes Python gives', async () => {
    const bad = [
      'models:/no-such-model/1',
      'models:/py-onnx-reg/99',
      'models:/py-onnx-reg@nobody',
      'models:/no-such-model@prod',
      'models:/py-onnx-reg/Staging',
      `runs:/${made.run}/not-a-model`,
      `runs:/${'0'.repeat(32)}/model`,
      'models:/m-00000000000000000000000000000000',
    ];
    const pyErrors = py<Record<string, [string | null, string]>>(
      root,
      `out = {}
for uri in ${JSON.stringify(bad)}:
    try:
        mlflow.pyfunc.load_model(uri)
        out[uri] = [None, '']
    except mlflow.exceptions.MlflowException as e:
        out[uri] = [e.error_code, e.message]
    except Exception as e:
        out[uri] = [type(e).__name__, str(e)]
result = out
`,
    );
    for (const uri of bad) {
      const err = await loadModel(uri, { root }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, uri).toBeInstanceOf(MlflowError);
      const [code, message] = pyErrors[uri] as [string, string];
      expect((err as MlflowError).code, `${uri}: ${(err as Error).message} / Python: ${message}`).toBe(code);
      if (uri.startsWith('models:/') && !uri.includes('/m-')) expect((err as Error).message, uri).toBe(message);
    }
    await expect(loadModel(`runs:/${made.run}/not-a-model`, { root })).rejects.toThrow(/Could not find an "MLmodel" configuration file at/);
    await expect(loadModel('ftp://example.com/model', { root })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(loadModel('ftp://example.com/model', { root })).rejects.toThrow(/'ftp' scheme/);
    await expect(loadModel('', { root })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const empty = tmpDir();
    fs.writeFileSync(path.join(empty, 'weights.bin'), 'x');
    await expect(loadModel(empty)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
