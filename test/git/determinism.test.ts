/**
 * Deterministic writes: the store never rewrites a file whose content would not change, a commit
 * after a new run shows only that run's files, and an experiment's meta.yaml changes if and only
 * if Python MLflow changes it for the same operation.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asFileStore } from '../../src/tracking/stores.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { Oracle } from '../oracle/oracle.js';
import { commitAll, git, gitStatus, runCli, tmpDir } from './helpers.js';

let py: Oracle;
const tmp = tmpDir();
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const hash = (p: string): string => createHash('sha256').update(fs.readFileSync(p)).digest('hex');

/** inode + content of every file under a folder. */
function identities(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) visit(p);
      else out.set(p, `${fs.statSync(p).ino}:${hash(p)}`);
    }
  };
  visit(dir);
  return out;
}

describe('a commit after a new run', () => {
  const repo = path.join(tmp, 'repo');
  const root = path.join(repo, 'mlruns');
  let exp = '';
  let old = '';
  let oldEnd = 0;

  beforeAll(async () => {
    fs.mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q');
    const client = new MlflowClient(root);
    exp = await client.createExperiment('det', { tags: { team: 'a' } });
    const r = await client.createRun(exp, { runName: 'old' });
    old = r.info.runId;
    await client.logParam(old, 'lr', 0.1);
    await client.setTag(old, 'k', 'v');
    await client.logMetric(old, 'loss', 1, { timestamp: 1 });
    await client.logText(old, 'x', 'x.txt');
    oldEnd = 1_700_000_000_000;
    await client.setTerminated(old, 'FINISHED', oldEnd);
    expect((await runCli(['--root', root, 'git-setup'])).code).toBe(0);
    commitAll(repo, 'base');
  });

  it('shows only the new run’s files (the experiment meta is untouched)', async () => {
    const client = new MlflowClient(root);
    const r = await client.createRun(exp, { runName: 'new', tags: { 'mlflow.user': 'me' } });
    const id = r.info.runId;
    await client.logBatch(id, {
      params: [{ key: 'lr', value: 0.2 }],
      metrics: [{ key: 'loss', value: 0.5, timestamp: 2, step: 0 }],
      tags: [{ key: 'phase', value: 'train' }],
    });
    await client.logMetric(id, 'loss', 0.25, { timestamp: 3, step: 1 });
    await client.logDict(id, { a: 1 }, 'cfg/params.json');
    await client.setTerminated(id, 'FINISHED', 1_700_000_000_500);
    const status = gitStatus(repo);
    expect(status.length).toBeGreaterThan(0);
    for (const line of status) expect(line, status.join('\n')).toMatch(new RegExp(`^\\?\\? mlruns/${exp}/${id}/`));
    commitAll(repo, 'new run');
    expect(gitStatus(repo)).toEqual([]);
  });

  it('repeating writes with the same values rewrites no metadata file (same inodes) and changes no byte', async () => {
    const before = identities(root);
    const client = new MlflowClient(root);
    await client.logParam(old, 'lr', 0.1);
    await client.setTag(old, 'k', 'v');
    await client.setTag(old, 'mlflow.runName', 'old');
    await client.setTerminated(old, 'FINISHED', oldEnd);
    await client.updateRun(old, { status: 'FINISHED' });
    await client.setExperimentTag(exp, 'team', 'a');
    await client.logText(old, 'x', 'x.txt');
    await client.store.restoreRun(old);
    asFileStore(client.store, 'test').ensureRoot();
    const after = identities(root);
    // Artifacts logged again are rewritten on purpose (LocalArtifactRepository.logText, as Python does),
    // with the same bytes; every metadata file keeps its inode.
    const strip = (m: Map<string, string>): string[][] =>
      [...m].map(([p, id]) => [p, p.includes(`${path.sep}artifacts${path.sep}`) ? (id.split(':')[1] as string) : id]);
    expect(strip(after)).toEqual(strip(before));
    expect(gitStatus(repo)).toEqual([]);
  });

  it('doctor --fix on a clean store and git-setup run again change nothing', async () => {
    const before = identities(repo + '/mlruns');
    expect((await runCli(['--root', root, 'doctor', '--fix', '--yes'])).code).toBe(0);
    const again = await runCli(['--root', root, 'git-setup', '--json']);
    expect((JSON.parse(again.stdout) as { files: Array<{ changed: boolean }> }).files.map((f) => f.changed)).toEqual([false, false]);
    expect([...identities(root)]).toEqual([...before]);
    expect(gitStatus(repo)).toEqual([]);
  });
});

describe('the experiment meta changes if and only if Python MLflow changes it', () => {
  const ours = path.join(tmp, 'ours', 'mlruns');
  const theirs = path.join(tmp, 'theirs', 'mlruns');
  let oursExp = '';
  let theirsExp = '';

  beforeAll(async () => {
    oursExp = await new MlflowClient(ours).createExperiment('same');
    theirsExp = await py.exec<string>(theirs, `result = client.create_experiment('same')`);
  });

  type Op = { name: string; ours: (c: MlflowClient, exp: string, run: { id: string }) => Promise<void>; py: string };
  const ops: Op[] = [
    {
      name: 'create a run and log to it',
      ours: async (c, exp, run) => {
        const r = await c.createRun(exp);
        run.id = r.info.runId;
        await c.logParam(run.id, 'p', 1);
        await c.logMetric(run.id, 'm', 1);
        await c.setTag(run.id, 't', 'v');
        await c.setTerminated(run.id);
      },
      py: `r = client.create_run(vars['exp'])
client.log_param(r.info.run_id, 'p', 1)
client.log_metric(r.info.run_id, 'm', 1)
client.set_tag(r.info.run_id, 't', 'v')
client.set_terminated(r.info.run_id)
result = r.info.run_id`,
    },
    { name: 'set an experiment tag', ours: (c, exp) => c.setExperimentTag(exp, 'k', 'v'), py: `client.set_experiment_tag(vars['exp'], 'k', 'v')` },
    { name: 'delete a run', ours: (c, _e, run) => c.deleteRun(run.id), py: `client.delete_run(vars['run'])` },
    { name: 'restore a run', ours: (c, _e, run) => c.restoreRun(run.id), py: `client.restore_run(vars['run'])` },
    { name: 'rename the experiment', ours: (c, exp) => c.renameExperiment(exp, 'renamed'), py: `client.rename_experiment(vars['exp'], 'renamed')` },
    {
      name: 'rename it back to the same name',
      ours: (c, exp) => c.renameExperiment(exp, 'same'),
      py: `client.rename_experiment(vars['exp'], 'same')`,
    },
  ];
  const oursRun = { id: '' };
  let theirsRun = '';

  it.each(ops.map((o) => [o.name, o]))('%s', async (_name, op) => {
    const oursMeta = path.join(ours, oursExp, 'meta.yaml');
    const theirsMeta = path.join(theirs, theirsExp, 'meta.yaml');
    const a0 = hash(oursMeta);
    const b0 = hash(theirsMeta);
    await op.ours(new MlflowClient(ours), oursExp, oursRun);
    const res = await py.exec<string | null>(theirs, op.py, { exp: theirsExp, run: theirsRun });
    if (typeof res === 'string') theirsRun = res;
    const oursChanged = hash(oursMeta) !== a0;
    const theirsChanged = hash(theirsMeta) !== b0;
    expect(oursChanged).toBe(theirsChanged);
  });
});
