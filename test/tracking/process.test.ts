/**
 * Child processes: signals, crashes and exits mark the run as MLflow would want; Python and Node
 * share runs through MLFLOW_RUN_ID; system tags equal Python's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import * as mlflow from '../../src/tracking/fluent.js';
import { buildLib, cleanupTmp, git, libUrl, makeGitRepo, removeBuiltLib, runNode, runPython, tmpDir, watchNode } from './helpers.js';

let fluentUrl: string;

beforeAll(() => {
  buildLib();
  fluentUrl = libUrl('tracking/fluent.js');
});

afterAll(() => {
  cleanupTmp();
  removeBuiltLib();
});

function script(dir: string, name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `const mlflow = await import(${JSON.stringify(fluentUrl)});\n${body}\n`);
  return p;
}

async function onlyRun(root: string): Promise<{ client: MlflowClient; runId: string }> {
  const client = new MlflowClient(root);
  const { runs } = await client.searchRuns(['0']);
  expect(runs).toHaveLength(1);
  return { client, runId: runs[0]?.info.runId as string };
}

describe('process safety', () => {
  it('SIGINT mid-logging: run KILLED, every acknowledged point on disk, the process dies of SIGINT', async () => {
    const dir = tmpDir();
    const root = path.join(dir, 'mlruns');
    const file = script(
      dir,
      'train.mjs',
      `mlflow.setTrackingUri(${JSON.stringify(root)});
const run = await mlflow.startRun();
console.log('RUN ' + run.info.runId);
let step = 0;
for (;;) {
  const burst = [];
  for (let j = 0; j < 7; j++) {
    const s = step++;
    burst.push(mlflow.logMetric('loss', 1 / (s + 1), { step: s }).then(() => console.log('ACK ' + s)));
  }
  if (step % 3 === 0) await Promise.all(burst);
  await new Promise((r) => setImmediate(r));
}`,
    );
    const acked = new Set<number>();
    let sent = false;
    const res = await watchNode(file, (line, child) => {
      if (line.startsWith('ACK ')) acked.add(Number(line.slice(4)));
      if (!sent && acked.size >= 300) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(res.signal).toBe('SIGINT');
    expect(res.code).toBeNull();
    const { client, runId } = await onlyRun(root);
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('KILLED');
    expect(run.info.endTime).not.toBeNull();
    const onDisk = new Set((await client.getMetricHistory(runId, 'loss')).map((m) => m.step));
    for (const s of acked) expect(onDisk.has(s)).toBe(true);
    expect(acked.size).toBeGreaterThanOrEqual(300);
  });

  it('SIGTERM inside withRun (nested): both runs KILLED, the process dies of SIGTERM', async () => {
    const dir = tmpDir();
    const root = path.join(dir, 'mlruns');
    const file = script(
      dir,
      'train.mjs',
      `mlflow.setTrackingUri(${JSON.stringify(root)});
await mlflow.withRun({ runName: 'outer' }, async () => {
  await mlflow.withRun({ runName: 'inner', nested: true }, async () => {
    await mlflow.logParam('p', 1);
    console.log('READY');
    await new Promise(() => setInterval(() => {}, 1000));
  });
});`,
    );
    const res = await watchNode(file, (line, child) => {
      if (line === 'READY') child.kill('SIGTERM');
    });
    expect(res.signal).toBe('SIGTERM');
    const client = new MlflowClient(root);
    const { runs } = await client.searchRuns(['0']);
    expect(runs.map((r) => [r.info.runName, r.info.status]).sort()).toEqual([
      ['inner', 'KILLED'],
      ['outer', 'KILLED'],
    ]);
  });

  it('a SIGINT the program handles itself: runs marked KILLED, the program decides how to exit', async () => {
    const dir = tmpDir();
    const root = path.join(dir, 'mlruns');
    const file = script(
      dir,
      'train.mjs',
      `process.on('SIGINT', () => { console.log('USER HANDLER'); setTimeout(() => process.exit(0), 50); });
mlflow.setTrackingUri(${JSON.stringify(root)});
await mlflow.startRun();
await mlflow.logMetric('m', 1);
console.log('READY');
setInterval(() => {}, 1000);`,
    );
    const res = await watchNode(file, (line, child) => {
      if (line === 'READY') child.kill('SIGINT');
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('USER HANDLER');
    const { client, runId } = await onlyRun(root);
    expect((await client.getRun(runId)).info.status).toBe('KILLED');
  });

  it('an uncaught exception: run FAILED, Node’s own report and exit code 1', async () => {
    const dir = tmpDir();
    const root = path.join(dir, 'mlruns');
    const file = script(
      dir,
      'train.mjs',
      `mlflow.setTrackingUri(${JSON.stringify(root)});
await mlflow.startRun();
const pending = [1, 2, 3].map((s) => mlflow.logMetric('m', s, { step: s }));
setTimeout(() => { throw new Error('boom in a timer'); }, 5);`,
    );
    const res = await runNode(file);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('boom in a timer');
    const { client, runId } = await onlyRun(root);
    expect((await client.getRun(runId)).info.status).toBe('FAILED');
    expect(await client.getMetricHistory(runId, 'm')).toHaveLength(3);
  });

  it('an unhandled rejection: run FAILED, exit code 1', async () => {
    const dir = tmpDir();
    const root = path.join(dir, 'mlruns');
    const file = script(
      dir,
      'train.mjs',
      `mlflow.setTrackingUri(${JSON.stringify(root)});
await mlflow.startRun();
Promise.reject(new Error('rejected for good'));`,
    );
    const res = await runNode(file);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('rejected for good');
    const { client, runId } = await onlyRun(root);
    expect((await client.getRun(runId)).info.status).toBe('FAILED');
  });

  it('process.exit(code): FINISHED for 0, FAILED otherwise; a script that never ends its run: by its exit code', async () => {
    for (const [body, code, status] of [
      ['process.exit(3);', 3, 'FAILED'],
      ['process.exit(0);', 0, 'FINISHED'],
      ['', 0, 'FINISHED'],
      ['process.exitCode = 2;', 2, 'FAILED'],
    ] as const) {
      const dir = tmpDir();
      const root = path.join(dir, 'mlruns');
      const file = script(dir, 'train.mjs', `mlflow.setTrackingUri(${JSON.stringify(root)});\nawait mlflow.startRun();\nawait mlflow.logParam('x', 1);\n${body}`);
      const res = await runNode(file);
      expect(res.code).toBe(code);
      const { client, runId } = await onlyRun(root);
      const run = await client.getRun(runId);
      expect(run.info.status).toBe(status);
      expect(run.info.endTime).not.toBeNull();
    }
  });
});

describe('sharing runs with Python', () => {
  it('a Python child logs into the run we started (MLFLOW_RUN_ID + MLFLOW_TRACKING_URI); we read it back', async () => {
    const root = path.join(tmpDir(), 'mlruns');
    mlflow.setTrackingUri(root);
    const exp = await mlflow.setExperiment('/Users/taro/churn_prediction');
    const run = await mlflow.startRun({ runName: 'shared' });
    await mlflow.logParam('from_node', 'yes');
    const out = runPython<{ run_id: string; status: string }>(
      '3',
      `import json, mlflow
with mlflow.start_run() as r:
    mlflow.log_param("py_param", 0.5)
    mlflow.log_params({"flag": True, "nothing": None})
    for i in range(3):
        mlflow.log_metric("curve", i * 0.25, step=i)
    mlflow.log_metric("py_metric", 1.5, step=7, timestamp=1700000000123)
    mlflow.set_tag("who", "python")
print(json.dumps({"run_id": r.info.run_id, "status": mlflow.get_run(r.info.run_id).info.status}))`,
      { env: { MLFLOW_TRACKING_URI: root, MLFLOW_RUN_ID: run.info.runId } },
    );
    expect(out).toEqual({ run_id: run.info.runId, status: 'FINISHED' });
    const client = mlflow.getClient();
    const got = await client.getRun(run.info.runId);
    expect(got.info.experimentId).toBe(exp.experimentId);
    expect(got.data.params).toEqual({ from_node: 'yes', py_param: '0.5', flag: 'True', nothing: 'None' });
    expect(got.data.tags['who']).toBe('python');
    expect((await client.getMetricHistory(run.info.runId, 'curve')).map((m) => [m.step, m.value])).toEqual([
      [0, 0],
      [1, 0.25],
      [2, 0.5],
    ]);
    const [pm] = await client.getMetricHistory(run.info.runId, 'py_metric');
    expect([pm?.value, pm?.step, pm?.timestamp]).toEqual([1.5, 7, 1700000000123]);
    // Our run is still ours: we keep logging and end it.
    await mlflow.logMetric('after_python', 1);
    await mlflow.endRun();
    const final = await client.getRun(run.info.runId);
    expect(final.info.status).toBe('FINISHED');
    expect(final.data.metrics['after_python']).toBe(1);
  });

  it('a Node child attaches to a run Python created; Python reads what it logged', async () => {
    const dir = tmpDir();
    const root = path.join(dir, 'mlruns');
    const created = runPython<{ run_id: string }>(
      '3',
      `import json, mlflow
c = mlflow.MlflowClient()
r = c.create_run("0", run_name="py-made")
c.set_terminated(r.info.run_id)
print(json.dumps({"run_id": r.info.run_id}))`,
      { env: { MLFLOW_TRACKING_URI: root } },
    );
    const file = script(
      dir,
      'attach.mjs',
      `const run = await mlflow.startRun();
console.log(run.info.runId + ' ' + run.info.status);
await mlflow.logParams({ lr: 0.001, layers: 3 });
await Promise.all([0, 1, 2].map((s) => mlflow.logMetric('loss', 1 / (s + 1), { step: s })));
await mlflow.setTag('from', 'node');
await mlflow.endRun();`,
    );
    const res = await runNode(file, { env: { MLFLOW_TRACKING_URI: root, MLFLOW_RUN_ID: created.run_id } });
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe(`${created.run_id} RUNNING`);
    const seen = runPython<{ params: Record<string, string>; loss: number[][]; status: string; tags: Record<string, string> }>(
      '3',
      `import json, mlflow
c = mlflow.MlflowClient()
r = c.get_run(${JSON.stringify(created.run_id)})
h = c.get_metric_history(r.info.run_id, "loss")
print(json.dumps({"params": r.data.params, "status": r.info.status, "tags": r.data.tags, "loss": [[m.step, m.value] for m in h]}))`,
      { env: { MLFLOW_TRACKING_URI: root } },
    );
    expect(seen.params).toEqual({ lr: '0.001', layers: '3' });
    expect(seen.status).toBe('FINISHED');
    expect(seen.tags['from']).toBe('node');
    expect(seen.tags['mlflow.runName']).toBe('py-made');
    expect(seen.loss).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ]);
  });
});

describe('system tags equal what Python’s fluent API sets', () => {
  const SYSTEM = ['mlflow.user', 'mlflow.source.type', 'mlflow.source.git.commit', 'mlflow.source.git.branch', 'mlflow.source.git.repoURL'];

  /** Starts and ends a run from a Python script and from a Node script in `workDir`; returns both tag sets. */
  async function bothTags(workDir: string, root: string, env: Record<string, string | undefined> = {}): Promise<[Record<string, string>, Record<string, string>]> {
    const home = tmpDir('mlruns-home-');
    const allEnv = { MLFLOW_TRACKING_URI: root, HOME: home, LOGNAME: 'taro', USER: 'taro', ...env };
    const py = runPython<Record<string, string>>(
      '3',
      `import json, mlflow
r = mlflow.start_run()
mlflow.end_run()
print(json.dumps(mlflow.get_run(r.info.run_id).data.tags))`,
      { env: allEnv, cwd: workDir, scriptPath: path.join(workDir, 'train.py') },
    );
    const file = script(
      workDir,
      'train.mjs',
      `const r = await mlflow.startRun();
await mlflow.endRun();
console.log(JSON.stringify((await mlflow.getClient().getRun(r.info.runId)).data.tags));`,
    );
    const res = await runNode(file, { env: allEnv, cwd: workDir });
    expect(res.stderr).toBe('');
    const ours = JSON.parse(res.stdout.trim()) as Record<string, string>;
    expect(py['mlflow.source.name']).toBe(path.join(workDir, 'train.py'));
    expect(ours['mlflow.source.name']).toBe(path.join(workDir, 'train.mjs'));
    return [py, ours];
  }

  const pick = (tags: Record<string, string>): Record<string, string> => Object.fromEntries(SYSTEM.filter((k) => k in tags).map((k) => [k, tags[k] as string]));

  it('in a git repo with a remote carrying credentials, on a branch, detached, with packed refs', async () => {
    const base = tmpDir();
    const root = path.join(base, 'mlruns');
    const repo = path.join(base, 'churn');
    const commit = makeGitRepo(repo, { remote: 'https://taro:s3cret@github.com/acme/churn.git' });
    git(repo, 'remote', 'add', 'backup', 'git@example.com:acme/churn.git');

    const [py1, ours1] = await bothTags(repo, root);
    expect(pick(ours1)).toEqual(pick(py1));
    expect(pick(ours1)).toEqual({
      'mlflow.user': 'taro',
      'mlflow.source.type': 'LOCAL',
      'mlflow.source.git.commit': commit,
      'mlflow.source.git.branch': 'main',
      'mlflow.source.git.repoURL': 'https://github.com/acme/churn.git',
    });

    // Detached HEAD: a commit, no branch.
    git(repo, 'checkout', '-q', '--detach');
    const [py2, ours2] = await bothTags(repo, root);
    expect(pick(ours2)).toEqual(pick(py2));
    expect(ours2['mlflow.source.git.branch']).toBeUndefined();
    expect(ours2['mlflow.source.git.commit']).toBe(commit);

    // A branch with a slash, refs packed (no loose ref file left), run from a sub-folder.
    git(repo, 'checkout', '-q', '-b', 'feature/lr-sweep');
    fs.writeFileSync(path.join(repo, 'more.txt'), 'x');
    git(repo, 'add', 'more.txt');
    git(repo, 'commit', '-q', '-m', 'second');
    git(repo, 'pack-refs', '--all');
    expect(fs.existsSync(path.join(repo, '.git', 'refs', 'heads', 'feature', 'lr-sweep'))).toBe(false);
    const sub = path.join(repo, 'src', 'jobs');
    fs.mkdirSync(sub, { recursive: true });
    const [py3, ours3] = await bothTags(sub, root, { MLFLOW_TRACKING_USERNAME: 'svc-trainer' });
    expect(pick(ours3)).toEqual(pick(py3));
    expect(ours3['mlflow.source.git.branch']).toBe('feature/lr-sweep');
    expect(ours3['mlflow.source.git.commit']).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(ours3['mlflow.user']).toBe('svc-trainer');
  }, 120_000);

  it('in a linked worktree (.git file pointing elsewhere)', async () => {
    const base = tmpDir();
    const root = path.join(base, 'mlruns');
    const repo = path.join(base, 'main-checkout');
    makeGitRepo(repo, { remote: 'https://github.com/acme/churn.git' });
    const wt = path.join(base, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'wt-branch', wt);
    fs.writeFileSync(path.join(wt, 'w.txt'), 'w');
    git(wt, 'add', 'w.txt');
    git(wt, 'commit', '-q', '-m', 'in worktree');
    expect(fs.statSync(path.join(wt, '.git')).isFile()).toBe(true);
    const [py, ours] = await bothTags(wt, root);
    expect(pick(ours)).toEqual(pick(py));
    expect(ours['mlflow.source.git.branch']).toBe('wt-branch');
    expect(ours['mlflow.source.git.commit']).toBe(git(wt, 'rev-parse', 'HEAD'));
    expect(ours['mlflow.source.git.repoURL']).toBe('https://github.com/acme/churn.git');
  }, 120_000);

  it('outside a repository, in a repository without commits, and with a credentials file', async () => {
    const base = tmpDir();
    const root = path.join(base, 'mlruns');
    const plain = path.join(base, 'plain');
    fs.mkdirSync(plain);
    const [py1, ours1] = await bothTags(plain, root);
    expect(pick(ours1)).toEqual(pick(py1));
    expect(Object.keys(pick(ours1)).sort()).toEqual(['mlflow.source.type', 'mlflow.user']);

    const unborn = path.join(base, 'unborn');
    fs.mkdirSync(unborn);
    git(unborn, 'init', '-q', '-b', 'main');
    const [py2, ours2] = await bothTags(unborn, root, { LOGNAME: undefined, USER: 'fallback-user' });
    expect(pick(ours2)).toEqual(pick(py2));
    expect(ours2['mlflow.user']).toBe('fallback-user');
    expect(ours2['mlflow.source.git.commit']).toBeUndefined();

    const home = tmpDir('mlruns-home-');
    fs.mkdirSync(path.join(home, '.mlflow'));
    fs.writeFileSync(path.join(home, '.mlflow', 'credentials'), '[mlflow]\nmlflow_tracking_username = cred-user\nmlflow_tracking_password = x\n');
    const [py3, ours3] = await bothTags(plain, root, { HOME: home });
    expect(pick(ours3)).toEqual(pick(py3));
    expect(ours3['mlflow.user']).toBe('cred-user');
  }, 120_000);
});
