/**
 * A Python process and our process write the same run at the same time: nothing is lost, no line
 * is torn, and both read the same result afterwards.
 */
import { warmPythonSpawn } from '../oracle/zygote.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { oraclePython } from '../oracle/oracle.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-conc-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const N = 400;

describe('concurrent writers', () => {
  it('Python and TypeScript log into one run at once and lose nothing', async () => {
    const root = path.join(tmp, 'mlruns');
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('conc');
    const rid = (await c.createRun(eid)).info.runId;
    const script = `
import sys
from mlflow import MlflowClient
c = MlflowClient(sys.argv[1])
rid = sys.argv[2]
n = int(sys.argv[3])
print("ready", flush=True)
for i in range(n):
    c.log_metric(rid, "m", 100000 + i, timestamp=i, step=i)
    if i % 10 == 0:
        c.log_param(rid, f"py_{i}", i)
        c.set_tag(rid, f"py_{i}", i)
`;
    const child = warmPythonSpawn(oraclePython('3'), ['-c', script, root, rid, String(N)], {
      env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    for (let i = 0; i < N; i++) {
      await c.logMetric(rid, 'm', 200000 + i, { timestamp: i, step: i });
      if (i % 10 === 0) {
        await c.logBatch(rid, { params: [{ key: `ts_${i}`, value: i }], tags: [{ key: `ts_${i}`, value: i }] });
      }
    }
    expect(await exited, stderr).toBe(0);
    const history = await c.getMetricHistory(rid, 'm');
    const values = history.map((m) => m.value).sort((a, b) => a - b);
    const want = [...Array.from({ length: N }, (_, i) => 100000 + i), ...Array.from({ length: N }, (_, i) => 200000 + i)];
    expect(values).toEqual(want);
    const run = await c.getRun(rid);
    for (let i = 0; i < N; i += 10) {
      expect(run.data.params[`py_${i}`]).toBe(String(i));
      expect(run.data.params[`ts_${i}`]).toBe(String(i));
      expect(run.data.tags[`py_${i}`]).toBe(String(i));
      expect(run.data.tags[`ts_${i}`]).toBe(String(i));
    }
    // The metric file has exactly 2N well-formed lines.
    const text = fs.readFileSync(path.join(root, eid, rid, 'metrics', 'm'), 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(2 * N);
  });
});
