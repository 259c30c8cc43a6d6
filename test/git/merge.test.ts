/**
 * Two branches log to one store, each creating an experiment of the same name, and appending to
 * one metric file; git merges them (metric files by union, as `git-setup` configures). Python and
 * we read the merged folder; doctor finds the duplicate names and `--fix` merges them, after
 * which Python and we see one experiment with every run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asFileStore } from '../../src/tracking/stores.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { diagnose, fix, planFix } from '../../src/git/doctor.js';
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

const PY_READ = `
exps = [e for e in client.search_experiments() if e.name == 'shared']
result = {
  'shared': sorted(e.experiment_id for e in exps),
  'runs': sorted(r.info.run_name for e in exps for r in client.search_runs([e.experiment_id])),
  'loss': [m.value for m in client.get_metric_history(vars['base'], 'loss')],
  'byName': (client.get_experiment_by_name('shared') or None) and client.get_experiment_by_name('shared').experiment_id,
}
`;

describe('branch, log on both sides, merge', () => {
  const repo = path.join(tmp, 'repo');
  const root = path.join(repo, 'mlruns');
  let base = '';
  let expA = '';
  let expB = '';

  beforeAll(async () => {
    fs.mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q');
    const c0 = new MlflowClient(root, { now: () => 1_000 });
    const r = await c0.createRun('0', { runName: 'base', startTime: 1 });
    base = r.info.runId;
    await c0.logMetric(base, 'loss', 1.0, { step: 0, timestamp: 1 });
    expect((await runCli(['--root', root, 'git-setup'])).code).toBe(0);
    commitAll(repo, 'base');

    git(repo, 'checkout', '-q', '-b', 'a');
    const ca = new MlflowClient(root, { now: () => 2_000 });
    expA = await ca.createExperiment('shared');
    const ra = await ca.createRun(expA, { runName: 'from-a', startTime: 2 });
    await ca.logMetric(ra.info.runId, 'acc', 0.8, { step: 0, timestamp: 2 });
    await ca.logText(ra.info.runId, 'a', 'a.txt');
    await ca.setTerminated(ra.info.runId, 'FINISHED', 3);
    await ca.logMetric(base, 'loss', 0.5, { step: 1, timestamp: 2 });
    commitAll(repo, 'a');

    git(repo, 'checkout', '-q', 'main');
    const cb = new MlflowClient(root, { now: () => 3_000 });
    expB = await cb.createExperiment('shared', { tags: { owner: 'b' } });
    const rb = await cb.createRun(expB, { runName: 'from-b', startTime: 4 });
    await cb.logParam(rb.info.runId, 'side', 'b');
    await cb.logText(rb.info.runId, 'b', 'b.txt');
    await cb.setTerminated(rb.info.runId, 'FINISHED', 5);
    await cb.logMetric(base, 'loss', 0.25, { step: 2, timestamp: 3 });
    commitAll(repo, 'b');

    git(repo, 'merge', '-q', '--no-edit', 'a');
  });

  it('merges without conflicts: metric lines of both sides are kept (merge=union)', () => {
    expect(gitStatus(repo)).toEqual([]);
    const lines = fs.readFileSync(path.join(root, '0', base, 'metrics', 'loss'), 'utf8').trim().split('\n');
    expect(lines.sort()).toEqual(['1 1.0 0', '2 0.5 1', '3 0.25 2'].sort());
  });

  it('Python and we read the merged folder: two experiments named "shared"', async () => {
    const ours = new MlflowClient(root);
    const shared = asFileStore(ours.store, 'test').listExperiments().filter((e) => e.name === 'shared');
    expect(shared.map((e) => e.experimentId).sort()).toEqual([expA, expB].sort());
    const pyRead = await py.exec<{ shared: string[]; runs: string[]; loss: number[] }>(root, PY_READ, { base });
    expect(pyRead.shared).toEqual([expA, expB].sort());
    expect(pyRead.runs).toEqual(['from-a', 'from-b']);
    expect(pyRead.loss.sort()).toEqual([0.25, 0.5, 1.0]);
    expect((await ours.getMetricHistory(base, 'loss')).map((m) => m.value).sort()).toEqual([0.25, 0.5, 1.0]);
  });

  it('doctor finds the duplicate names; the dry run lists every change and changes nothing', async () => {
    const findings = diagnose(root);
    const dup = findings.filter((f) => f.kind === 'duplicate-name');
    expect(dup).toHaveLength(1);
    expect(dup[0]?.severity).toBe('error');
    // the newer one (created at 3000, on branch b) is merged into the older (2000, branch a)
    expect(dup[0]?.fix).toMatchObject({ action: 'merge-experiment', fromId: expB, intoId: expA });
    const changes = planFix(root, findings, { quarantineDir: path.join(tmp, 'q-dry') });
    const descriptions = changes.map((c) => c.description);
    expect(descriptions.some((d) => d.startsWith('move run'))).toBe(true);
    expect(descriptions.some((d) => d.includes('experiment_id') && d.includes(expA))).toBe(true);
    expect(descriptions.some((d) => d.startsWith("copy experiment tag 'owner'"))).toBe(true);
    expect(descriptions.some((d) => d.startsWith('remove the emptied duplicate'))).toBe(true);
    const dry = fix(root, findings, { dryRun: true, quarantineDir: path.join(tmp, 'q-dry') });
    expect(dry.applied).toBe(false);
    expect(gitStatus(repo)).toEqual([]);
    const cli = await runCli(['--root', root, 'doctor']);
    expect(cli.code).toBe(4);
    expect(cli.stdout).toContain('duplicate-name');
  });

  it('doctor --fix merges them: Python and we see one experiment with all runs, artifacts included', async () => {
    const r = await runCli(['--root', root, 'doctor', '--fix', '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fs.existsSync(path.join(root, expB))).toBe(false);
    // the emptied duplicate's meta.yaml is kept in the quarantine, outside the root
    const qroot = path.join(repo, '.mlruns-quarantine');
    const kept = fs.readdirSync(qroot);
    expect(kept).toHaveLength(1);
    expect(fs.existsSync(path.join(qroot, kept[0] as string, expB, 'meta.yaml'))).toBe(true);

    const pyRead = await py.exec<{ shared: string[]; runs: string[]; byName: string }>(root, PY_READ, { base });
    expect(pyRead.shared).toEqual([expA]);
    expect(pyRead.byName).toBe(expA);
    expect(pyRead.runs).toEqual(['from-a', 'from-b']);
    const pyArtifacts = await py.exec<Record<string, string[]>>(
      root,
      `result = {r.info.run_name: sorted(f.path for f in client.list_artifacts(r.info.run_id)) for r in client.search_runs([vars['exp']])}
result['tags'] = sorted(client.get_experiment(vars['exp']).tags.items())`,
      { exp: expA },
    );
    expect(pyArtifacts['from-a']).toEqual(['a.txt']);
    expect(pyArtifacts['from-b']).toEqual(['b.txt']);
    expect(pyArtifacts['tags']).toEqual([['owner', 'b']]);

    const ours = new MlflowClient(root);
    const shared = await ours.getExperimentByName('shared');
    expect(shared?.experimentId).toBe(expA);
    const { runs } = await ours.searchRuns([expA]);
    expect(runs.map((x) => x.info.runName).sort()).toEqual(['from-a', 'from-b']);
    const fromB = runs.find((x) => x.info.runName === 'from-b');
    expect(fromB?.info.experimentId).toBe(expA);
    expect(fromB?.info.artifactUri).toBe(`${root}/${expA}/${fromB?.info.runId}/artifacts`);
    expect(fromB?.data.params).toEqual({ side: 'b' });
    expect((await ours.listArtifacts(fromB?.info.runId as string)).map((f) => f.path)).toEqual(['b.txt']);
    expect(ours.warnings.filter((w) => w.code === 'REMAPPED_PATH')).toEqual([]);
    expect(diagnose(root)).toEqual([]);
    // the quarantine is ignored by git (git-setup), so only the merge shows up in git status
    const status = gitStatus(repo);
    expect(status.some((l) => l.includes('.mlruns-quarantine'))).toBe(false);
    expect(status.every((l) => l.includes(`mlruns/${expA}/`) || l.includes(`mlruns/${expB}/`))).toBe(true);
  });
});
