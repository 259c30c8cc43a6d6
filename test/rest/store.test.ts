/**
 * RestStore / RestRegistryStore against a real `mlflow server` (MLflow 3.17.2, SQLite backend,
 * --serve-artifacts): what we log, Python's MlflowClient reads as it reads its own runs; what
 * Python logs, we read as Python does (dumps compared whole); error codes; batch splitting;
 * artifacts through the proxy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { MlflowError } from '../../src/errors.js';
import { RestStore, splitBatch } from '../../src/store/rest/index.js';
import type { Metric } from '../../src/entities.js';
import { Oracle } from '../oracle/oracle.js';
import { diffValues, normalizeDump } from '../oracle/normalize.js';
import { dumpWithOurLibrary } from '../store/dump.js';
import { startMlflowServer } from './server.js';
import type { MlflowServer } from './server.js';

let server: MlflowServer;
let py: Oracle;
let client: MlflowClient;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-rest-store-'));

beforeAll(async () => {
  [server, py] = await Promise.all([startMlflowServer({ backend: 'sqlite' }), Oracle.start('3', { timeoutMs: 120_000 })]);
  client = new MlflowClient(server.url);
});

afterAll(async () => {
  client?.close();
  await py?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MlflowError) return e.code;
    throw e;
  }
  throw new Error('expected an error');
}

describe('RestStore against mlflow server 3.x (SQLite)', { timeout: 600_000 }, () => {
  it('the server is MLflow\'s as `mlflow server` runs it (started in a warm interpreter: test/rest/warm_mlflow.py)', async () => {
    // The security middleware is installed only when mlflow.server is imported as a server
    // (uvicorn loaded, the server's environment set): a fork that had imported it before would lack it.
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(fs.readFileSync(server.logFile, 'utf8')).toMatch(/Uvicorn running on http:\/\/127\.0\.0\.1:\d+|Application startup complete/);
  });

  it('opens http: URIs as a RestStore; the registry shares its connection', () => {
    expect(client.store).toBeInstanceOf(RestStore);
    expect(client.store.trackingUri).toBe(server.url);
  });

  it('Python reads what we logged, we read what Python logged: whole dumps equal', async () => {
    // Ours.
    const expId = await client.createExperiment('ours', { tags: { team: 'ml', n: 3 } });
    const parent = await client.createRun(expId, { runName: 'parent', tags: { kind: 'sweep' } });
    const child = await client.createRun(expId, { runName: 'child', tags: { 'mlflow.parentRunId': parent.info.runId } });
    const rid = child.info.runId;
    await client.logParam(rid, 'lr', 0.1);
    await client.logParam(rid, 'layers', '[64, 32]');
    for (let step = 0; step < 5; step++) await client.logMetric(rid, 'loss', 1 / (step + 1), { step, timestamp: 1_700_000_000_000 + step });
    await client.logMetric(rid, 'weird', Number.NaN, { step: 0, timestamp: 1_700_000_000_000 });
    await client.logMetric(rid, 'weird', -0.5, { step: 1, timestamp: 1_700_000_000_001 });
    await client.logBatch(rid, {
      metrics: [{ key: 'acc', value: 0.75, timestamp: 1_700_000_000_010, step: 3 }],
      params: [{ key: 'opt', value: 'adam' }],
      tags: [{ key: 'note', value: 'héllo "quoted"\nline' }],
    });
    await client.logInputs(rid, [
      {
        dataset: { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{"uri": "/data/iris.csv"}', schema: '{"mlflow_colspec": []}', profile: '{"num_rows": 150}' },
        tags: [{ key: 'mlflow.data.context', value: 'train' }],
      },
    ]);
    await client.setTerminated(rid, 'FINISHED', 1_700_000_100_000);
    await client.setTerminated(parent.info.runId, 'FAILED');
    const gone = await client.createRun(expId, { runName: 'gone' });
    await client.deleteRun(gone.info.runId);
    const lm = await client.createLoggedModel(expId, { name: 'net', sourceRunId: rid, tags: { t: 'v' }, params: { p: 1 }, modelType: 'torch' });
    await client.finalizeLoggedModel(lm.modelId, 'READY');
    await client.createRegisteredModel('ours-model', { tags: { owner: 'me' }, description: 'ours' });
    const mv = await client.createModelVersion('ours-model', `runs:/${rid}/model`, { runId: rid, tags: { v: '1' } });
    await client.createModelVersion('ours-model', `runs:/${rid}/model2`, { runId: rid });
    await client.setRegisteredModelAlias('ours-model', 'champion', mv.version);
    await client.transitionModelVersionStage('ours-model', mv.version, 'Production');
    const dead = await client.createExperiment('ours-deleted');
    await client.deleteExperiment(dead);

    // Python's.
    await py.exec(
      server.url,
      `
import math
eid = client.create_experiment("theirs", tags={"by": "python"})
r = client.create_run(eid, run_name="py-run", tags={"x": "y"})
client.log_param(r.info.run_id, "alpha", 0.5)
for s in range(4):
    client.log_metric(r.info.run_id, "m", s * 0.5, step=s, timestamp=1700000000000 + s)
client.log_metric(r.info.run_id, "inf", math.inf, step=0, timestamp=1700000000000)
client.set_terminated(r.info.run_id)
m = client.create_logged_model(eid, name="py-model", source_run_id=r.info.run_id)
client.create_registered_model("theirs-model", description="python")
v = client.create_model_version("theirs-model", f"runs:/{r.info.run_id}/m", run_id=r.info.run_id)
client.set_registered_model_alias("theirs-model", "newest", v.version)
`,
    );

    const theirs = normalizeDump(await py.dump(server.url), { version: '3' });
    const ours = normalizeDump(await dumpWithOurLibrary(server.url, '3'), { version: '3' });
    const diff = diffValues({ ...ours, version: '' }, { ...theirs, version: '' });
    expect(diff).toEqual([]);
    // And the dump holds what was logged (the comparison is not vacuous).
    expect(JSON.stringify(theirs)).toContain('héllo');
    const pyRun = await py.exec<{ params: Record<string, string>; weird: number[]; parent: string }>(
      server.url,
      `
r = client.get_run(vars["rid"])
result = {"params": r.data.params, "weird": [m.value for m in client.get_metric_history(vars["rid"], "weird")], "parent": r.data.tags["mlflow.parentRunId"]}
`,
      { rid },
    );
    expect(pyRun.params).toEqual({ lr: '0.1', layers: '[64, 32]', opt: 'adam' });
    expect(Number.isNaN(pyRun.weird[0])).toBe(true);
    expect(pyRun.weird[1]).toBe(-0.5);
    expect(pyRun.parent).toBe(parent.info.runId);
  });

  it('maps MLflow error bodies to the file store error codes', async () => {
    expect(await codeOf(client.getRun('0123456789abcdef0123456789abcdef'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await codeOf(client.getExperiment('987654'))).toBe('RESOURCE_DOES_NOT_EXIST');
    await client.createExperiment('dup');
    expect(await codeOf(client.createExperiment('dup'))).toBe('RESOURCE_ALREADY_EXISTS');
    const run = await client.createRun('0');
    await client.logParam(run.info.runId, 'p', 1);
    expect(await codeOf(client.logParam(run.info.runId, 'p', 2))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(client.searchRuns(['0'], 'metrics.x <<< 3'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(client.getRegisteredModel('no-such-model'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await client.getExperimentByName('no such experiment')).toBeNull();
  });

  it('splits a large logBatch within the server limits; every entity arrives', async () => {
    const plan = splitBatch({
      metrics: Array.from({ length: 2500 }, (_, i) => ({ key: `m${i % 7}`, value: i, timestamp: 1000 + i, step: i })),
      params: Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) })),
      tags: Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(7000) })),
    });
    for (const c of plan) {
      expect(c.params.length).toBeLessThanOrEqual(100);
      expect(c.tags.length).toBeLessThanOrEqual(100);
      expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(1000);
      expect(JSON.stringify(c).length).toBeLessThan(1_000_000);
    }
    const run = await client.createRun('0');
    const metrics: Metric[] = Array.from({ length: 2500 }, (_, i) => ({ key: `m${i % 7}`, value: i, timestamp: 1000 + i, step: i }));
    await client.store.logBatch(run.info.runId, {
      metrics,
      params: Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) })),
      tags: Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(7000) })),
    });
    const counts = await py.exec<{ params: number; tags: number; points: number }>(
      server.url,
      `
r = client.get_run(vars["rid"])
result = {"params": len(r.data.params), "tags": len([k for k in r.data.tags if k.startswith("t")]), "points": sum(len(client.get_metric_history(vars["rid"], f"m{i}")) for i in range(7))}
`,
      { rid: run.info.runId },
    );
    expect(counts).toEqual({ params: 250, tags: 150, points: 2500 });
    const hist = await client.getMetricHistory(run.info.runId, 'm3');
    expect(hist.map((m) => m.step)).toEqual(metrics.filter((m) => m.key === 'm3').map((m) => m.step));
  });

  it('artifacts go through the mlflow-artifacts proxy both ways', async () => {
    const run = await client.createRun('0');
    const rid = run.info.runId;
    const src = path.join(tmp, 'src');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a.txt'), 'alpha');
    fs.writeFileSync(path.join(src, 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255]));
    await client.logArtifacts(rid, src, 'data');
    await client.logText(rid, 'ünïcode', 'notes/n.txt');
    await client.logDict(rid, { a: 1 }, 'cfg.json');
    expect(await client.listArtifacts(rid)).toEqual([
      { path: 'cfg.json', isDir: false, fileSize: 12 },
      { path: 'data', isDir: true, fileSize: null },
      { path: 'notes', isDir: true, fileSize: null },
    ]);
    const listed = await py.exec<string[]>(
      server.url,
      `
result = sorted(f.path for f in client.list_artifacts(vars["rid"], "data/sub")) + [open(client.download_artifacts(vars["rid"], "notes/n.txt"), encoding="utf8").read()]
`,
      { rid },
    );
    expect(listed).toEqual(['data/sub/b.bin', 'ünïcode']);
    await py.exec(server.url, `
import os, tempfile
d = tempfile.mkdtemp()
open(os.path.join(d, "py.txt"), "w").write("from python")
client.log_artifact(vars["rid"], os.path.join(d, "py.txt"), "py")
`, { rid });
    const out = await client.downloadArtifacts(rid, 'py/py.txt', path.join(tmp, 'dl'));
    expect(fs.readFileSync(out, 'utf8')).toBe('from python');
    const whole = await client.downloadArtifacts(rid, 'data', path.join(tmp, 'dl2'));
    expect(fs.readFileSync(path.join(whole, 'sub', 'b.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
  });
});
