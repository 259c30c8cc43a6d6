/**
 * The fluent API, `mlruns run` and the CLI's read commands against a real `mlflow server`
 * (MLflow 3.17.2, SQLite): MLFLOW_TRACKING_URI=http://... works as a folder does; the fluent
 * API's buffered metrics all reach the server (endRun, process drain); file-only commands say
 * they need a folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { build, mlruns, mlrunsJson } from '../cli/helpers.js';
import { cleanupTmp, libUrl, removeBuiltLib, runNode, runPython, tmpDir } from '../tracking/helpers.js';
import { startMlflowServer } from './server.js';
import type { MlflowServer } from './server.js';

let server: MlflowServer;
let client: MlflowClient;

beforeAll(async () => {
  build();
  libUrl('index.js');
  server = await startMlflowServer({ backend: 'sqlite' });
  client = new MlflowClient(server.url);
});

afterAll(async () => {
  client?.close();
  await server?.stop();
  removeBuiltLib();
  cleanupTmp();
});

const py = <T>(code: string) => runPython<T>('3', code, { env: { MLFLOW_TRACKING_URI: server.url } });

describe('fluent API, mlruns run and CLI reads against mlflow server', { timeout: 600_000 }, () => {
  it('fluent logMetric calls become log-batch requests; endRun delivers every point', async () => {
    const dir = tmpDir();
    const script = path.join(dir, 'fluent.mjs');
    fs.writeFileSync(
      script,
      `
import * as mlflow from ${JSON.stringify(libUrl('tracking/fluent.js'))};
await mlflow.setExperiment('fluent');
const run = await mlflow.startRun({ runName: 'buffered' });
await mlflow.logParam('lr', 0.01);
const pending = [];
for (let i = 0; i < 3500; i++) pending.push(mlflow.logMetric('loss', 1 / (i + 1), { step: i, timestamp: 1700000000000 + i }));
for (let i = 0; i < 20; i++) await mlflow.logMetric('acc', i / 20, { step: i });
await Promise.all(pending);
await mlflow.endRun();
console.log(JSON.stringify({ runId: run.info.runId }));
`,
    );
    const res = await runNode(script, { env: { MLFLOW_TRACKING_URI: server.url } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const { runId } = JSON.parse(res.stdout.trim()) as { runId: string };
    const seen = py<{ loss: number; acc: number; status: string; steps: number[] }>(`
import json, mlflow
c = mlflow.MlflowClient()
h = c.get_metric_history("${runId}", "loss")
print(json.dumps({"loss": len(h), "acc": len(c.get_metric_history("${runId}", "acc")), "status": c.get_run("${runId}").info.status, "steps": sorted(m.step for m in h)[:3]}))
`);
    expect(seen).toEqual({ loss: 3500, acc: 20, status: 'FINISHED', steps: [0, 1, 2] });
  });

  it('a process that drains without endRun still delivers its points and finishes its run', async () => {
    const dir = tmpDir();
    const script = path.join(dir, 'drain.mjs');
    fs.writeFileSync(
      script,
      `
import * as mlflow from ${JSON.stringify(libUrl('tracking/fluent.js'))};
const run = await mlflow.startRun();
console.log(JSON.stringify({ runId: run.info.runId }));
for (let i = 0; i < 1234; i++) void mlflow.logMetric('x', i, { step: i });
`,
    );
    const res = await runNode(script, { env: { MLFLOW_TRACKING_URI: server.url } });
    expect(res.code).toBe(0);
    const { runId } = JSON.parse(res.stdout.trim()) as { runId: string };
    const history = await client.getMetricHistory(runId, 'x');
    expect(history.length).toBe(1234);
    expect((await client.getRun(runId)).info.status).toBe('FINISHED');
  });

  it('mlruns run gives the child the server URI; Python inside logs into the same run', () => {
    const r = mlruns(
      ['--root', server.url, 'run', '--experiment', 'cli-run', '--', 'python', '-c', "import mlflow; mlflow.log_metric('inner', 7.5); print('hello from child')"],
    );
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const runs = mlrunsJson<{ runs: Array<{ info: { runId: string; status: string }; data: { metrics: Record<string, number>; tags: Record<string, string> } }> }>([
      '--root',
      server.url,
      'runs',
      '-e',
      'cli-run',
      '--json',
    ]).runs;
    expect(runs.length).toBe(1);
    const run = runs[0]!;
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.metrics['inner']).toBe(7.5);
    expect(run.data.tags['mlruns.exitCode']).toBe('0');
    const stdout = py<string>(`
import json, mlflow
p = mlflow.MlflowClient().download_artifacts("${run.info.runId}", "stdout.txt")
print(json.dumps(open(p).read()))
`);
    // Python MLflow itself adds its 'View run at' lines when the run is on a server.
    expect(stdout).toMatch(/^hello from child\n🏃 View run /);
  });

  it('every read command works against the server; file-only commands say they need a folder', async () => {
    const expId = await client.createExperiment('reads');
    const a = await client.createRun(expId, { runName: 'a' });
    const b = await client.createRun(expId, { runName: 'b' });
    for (const [r, v] of [[a, 0.5], [b, 0.9]] as const) {
      await client.logMetric(r.info.runId, 'acc', v, { step: 1 });
      await client.logParam(r.info.runId, 'lr', v / 10);
      await client.logText(r.info.runId, `run ${v}`, 'notes.txt');
    }
    await client.createRegisteredModel('cli-model');
    await client.createModelVersion('cli-model', `runs:/${b.info.runId}/model`, { runId: b.info.runId });

    const root = ['--root', server.url];
    const exps = mlrunsJson<{ experiments: Array<{ name: string }> }>([...root, 'experiments', '--json']);
    expect(exps.experiments.map((e) => e.name)).toContain('reads');
    const best = mlruns([...root, 'best', '-e', 'reads', '--metric', 'acc', '--max', '--id']);
    expect(best.stdout.trim()).toBe(b.info.runId);
    const show = mlrunsJson<{ run: { info: { runName: string } }; artifacts: Array<{ path: string }> }>([...root, 'show', b.info.runId, '--json']);
    expect(show.run.info.runName).toBe('b');
    expect(show.artifacts.map((x) => x.path)).toEqual(['notes.txt']);
    // A unique prefix resolves through the server's search.
    expect(mlrunsJson<{ run: { info: { runId: string } } }>([...root, 'show', a.info.runId.slice(0, 10), '--json']).run.info.runId).toBe(a.info.runId);
    const metrics = mlrunsJson<{ metrics: Record<string, Array<{ value: number }>> }>([...root, 'metrics', a.info.runId, '--json']);
    expect(metrics.metrics['acc']?.map((m) => m.value)).toEqual([0.5]);
    const cmp = mlruns([...root, 'compare', a.info.runId, b.info.runId, '--format', 'csv']);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toContain('0.9');
    const ls = mlrunsJson<{ artifacts: Array<{ path: string }> }>([...root, 'artifacts', 'ls', a.info.runId, '--json']);
    expect(ls.artifacts.map((x) => x.path)).toEqual(['notes.txt']);
    const out = tmpDir();
    const got = mlrunsJson<{ localPath: string }>([...root, 'artifacts', 'get', a.info.runId, 'notes.txt', '-o', out, '--json']);
    expect(fs.readFileSync(got.localPath, 'utf8')).toBe('run 0.5');
    const models = mlruns([...root, 'models']);
    expect(models.code).toBe(0);
    expect(models.stdout).toContain('cli-model');
    const runsCsv = mlruns([...root, 'runs', '-e', 'reads', '-f', 'metrics.acc > 0.6', '--format', 'csv']);
    expect(runsCsv.stdout).toContain(b.info.runId);
    expect(runsCsv.stdout).not.toContain(a.info.runId);

    for (const cmd of [['gc'], ['doctor'], ['git-setup'], ['watch']]) {
      const r = mlruns([...root, ...cmd]);
      expect(r.code, cmd.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/works on (a mlruns\/ folder|MLflow's file store)/);
      expect(r.stderr).toContain(server.url);
    }
  });
});
