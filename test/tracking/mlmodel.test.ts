/** models/mlmodel.ts against MLflow's own Model class. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMlModel, logMlModel, mlModelTagsDict, pythonJsonDumpsDefault, saveMlModel, utcTimeCreated } from '../../src/models/mlmodel.js';
import { asFileStore } from '../../src/tracking/stores.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { cleanupTmp, runPython, tmpDir } from './helpers.js';

afterAll(() => cleanupTmp());

describe('saveMlModel', () => {
  it('writes MLmodel, input example files and the history tag as MLflow 2.22 does', async () => {
    const dir = path.join(tmpDir(), 'model');
    const signature = {
      inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
    };
    const example = { x: [[0.5], [1.25]], name: 'é', ok: true, n: null };
    const model = saveMlModel(dir, {
      flavors: { tfjs: { data: 'model.json', config: { units: 1 } }, custom: { loader_module: 'x.y', env: { conda: 'conda.yaml' } } },
      signature,
      inputExample: example,
      runId: 'a'.repeat(32),
      artifactPath: 'model',
      metadata: { source: 'mlruns' },
    });
    const py = runPython<{ yaml: string; tags: unknown; example: string; serving: string }>(
      '2',
      `import json
from mlflow.models import Model
class Sig:
    _is_signature_from_type_hint = False
    _is_type_hint_from_example = False
    def to_dict(self):
        return {"inputs": ${JSON.stringify(signature.inputs)}, "outputs": ${JSON.stringify(signature.outputs)}, "params": None}
m = Model(artifact_path="model", run_id=${JSON.stringify(model.runId)}, utc_time_created=${JSON.stringify(model.utcTimeCreated)},
          model_uuid=${JSON.stringify(model.modelUuid)}, metadata={"source": "mlruns"})
m.signature = Sig()
m.saved_input_example_info = {"artifact_path": "input_example.json", "type": "json_object", "serving_input_path": "serving_input_example.json"}
m.add_flavor("tfjs", data="model.json", config={"units": 1})
m.add_flavor("custom", loader_module="x.y", env={"conda": "conda.yaml"})
ex = json.loads(${JSON.stringify(JSON.stringify(example))})
print(json.dumps({"yaml": m.to_yaml(), "tags": m.get_tags_dict(), "example": json.dumps(ex), "serving": json.dumps({"inputs": ex}, indent=2)}))`,
    );
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['MLmodel', 'input_example.json', 'serving_input_example.json']);
    // PyYAML's safe_dump (no allow_unicode) and MLflow's write_yaml differ only on non-ASCII; none here.
    expect(fs.readFileSync(path.join(dir, 'MLmodel'), 'utf8')).toBe(py.yaml);
    expect(fs.readFileSync(path.join(dir, 'input_example.json'), 'utf8')).toBe(py.example);
    expect(fs.readFileSync(path.join(dir, 'serving_input_example.json'), 'utf8')).toBe(py.serving);
    expect(JSON.parse(JSON.stringify(mlModelTagsDict(model)))).toEqual(py.tags);
    expect(Object.keys(mlModelTagsDict(model))).toEqual(Object.keys(py.tags as object));
    expect(loadMlModel(dir)).toEqual(model);
  });

  it('logMlModel copies the folder and appends to mlflow.log-model.history as Python reads it', async () => {
    const root = path.join(tmpDir(), 'mlruns');
    const client = new MlflowClient(root);
    asFileStore(client.store, 'test').ensureRoot();
    const run = await client.createRun('0');
    const uuids: string[] = [];
    for (const artifactPath of ['model', 'models/second']) {
      const dir = path.join(tmpDir(), 'm');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from([1, 2, 3]));
      const m = saveMlModel(dir, { flavors: { tfjs: { data: 'model.json' } }, runId: run.info.runId, artifactPath });
      await logMlModel(client, run.info.runId, dir, m);
      uuids.push(m.modelUuid);
    }
    const py = runPython<{ history: Array<Record<string, unknown>>; arts: string[] }>(
      '3',
      `import json, mlflow
c = mlflow.MlflowClient()
r = c.get_run(${JSON.stringify(run.info.runId)})
print(json.dumps({"history": json.loads(r.data.tags["mlflow.log-model.history"]),
                  "arts": sorted(f.path for p in ["model", "models/second"] for f in c.list_artifacts(r.info.run_id, p))}))`,
      { env: { MLFLOW_TRACKING_URI: root } },
    );
    expect(py.history.map((h) => [h['artifact_path'], h['model_uuid']])).toEqual([
      ['model', uuids[0]],
      ['models/second', uuids[1]],
    ]);
    expect(py.arts).toEqual(['model/MLmodel', 'model/weights.bin', 'models/second/MLmodel', 'models/second/weights.bin']);
  });

  it('formats times as Python’s str(datetime) and JSON as json.dumps', () => {
    expect(utcTimeCreated(new Date(Date.UTC(2026, 10, 26, 5, 4, 3, 21)))).toBe('2026-11-26 05:04:03.021000');
    expect(utcTimeCreated(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 0)))).toBe('2026-01-02 03:04:05');
    expect(utcTimeCreated()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(pythonJsonDumpsDefault({ uri: 'data.csv', n: [1, 0.5, null], é: true })).toBe('{"uri": "data.csv", "n": [1, 0.5, null], "\\u00e9": true}');
    expect(() => saveMlModel(tmpDir(), { flavors: {} })).toThrow(/at least one flavor/);
    expect(() => saveMlModel(tmpDir(), { flavors: { f: {} }, inputExample: { d: new Date() } })).toThrow(/not JSON-able/);
  });
});
