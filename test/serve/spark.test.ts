/**
 * A model logged by mlruns (ONNX with inputs a, b and outputs s = a + b, p = a * b; its
 * signature inferred from the input example) registered as `lin@champion` runs under Python's
 * `mlflow.pyfunc.spark_udf` in Spark local mode (pyspark in `.oracle/mlflow-3-spark`, Java 17)
 * on two double columns, and Spark's predictions equal ours.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/index.js';
import { loadModel, logModel } from '../../src/models/index.js';
import { REPO, cleanup, pyEnv, tmpDir } from '../models/helpers.js';
import { BUILD_ONNX_PY, pyFull } from './helpers.js';

const SPARK = path.join(REPO, '.oracle/mlflow-3-spark/bin/python');
let root: string;
const A = [1, 4, 0.5];
const B = [2, 5, -1.25];

beforeAll(async () => {
  root = path.join(tmpDir('mlruns-spark-'), 'mlruns');
  const dir = tmpDir('mlruns-spark-onnx-');
  pyFull(dir, `${BUILD_ONNX_PY}\nonnx.save(two((None,)), ${JSON.stringify(path.join(dir, 'two.onnx'))})\nresult = True`);
  const client = new MlflowClient(root);
  const run = await client.createRun('0');
  const info = await logModel(client, run.info.runId, { name: 'two', flavor: 'onnx', path: path.join(dir, 'two.onnx'), inputExample: { a: [1.5], b: [2] }, registeredModelName: 'lin' });
  await client.setRegisteredModelAlias('lin', 'champion', info.registeredModelVersion as string);
}, 180_000);

afterAll(() => cleanup());

describe('spark_udf on a model mlruns logged', () => {
  it('runs in Spark local mode and predicts as we do', async () => {
    if (!fs.existsSync(SPARK)) throw new Error(`The Spark oracle is missing: ${SPARK} (run scripts/setup-oracle.sh)`);
    const script = `
import json, sys, warnings; warnings.filterwarnings("ignore")
import mlflow
from pyspark.sql import SparkSession
mlflow.set_tracking_uri('file://' + ${JSON.stringify(root)}); mlflow.set_registry_uri('file://' + ${JSON.stringify(root)})
spark = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false').getOrCreate()
spark.sparkContext.setLogLevel('ERROR')
df = spark.createDataFrame([(float(a), float(b)) for a, b in zip(${JSON.stringify(A)}, ${JSON.stringify(B)})], ['a', 'b'])
udf = mlflow.pyfunc.spark_udf(spark, 'models:/lin@champion', env_manager='local', result_type='array<float>')
out = [list(r['pred']) for r in df.withColumn('pred', udf('a', 'b')).collect()]
spark.stop()
sys.stdout.write('\\n@@RESULT@@' + json.dumps(out))
`;
    const r = spawnSync(SPARK, ['-c', script], { env: pyEnv({ PYSPARK_PYTHON: SPARK }), encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const got = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('@@RESULT@@') + 10)) as unknown[];
    const m = await loadModel('models:/lin@champion', { root });
    const out = await m.predict({ a: A, b: B });
    await m.close();
    const ours = A.map((_, i) => [out['s']?.data[i], out['p']?.data[i]]);
    expect(got).toEqual(ours);
  }, 600_000);
});
