/**
 * doctor on a damaged store: every kind of damage that breaks Python MLflow is reported; `fix`
 * moves stray entries to the quarantine outside the root, repairs what is safe, after which
 * Python's listings and reads work; symlinks out of the root are reported and never written through.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { diagnose, fix, isJunkName, planFix, quarantineDirFor } from '../../src/git/doctor.js';
import type { Finding } from '../../src/git/doctor.js';
import { Oracle } from '../oracle/oracle.js';
import { runCli, snapshot, tmpDir } from './helpers.js';

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
res = {}
try:
    res['experiments'] = sorted(e.name for e in client.search_experiments(view_type=ViewType.ALL))
except Exception as e:
    res['experiments'] = 'error: ' + type(e).__name__
try:
    res['runs'] = sorted(r.info.run_name for r in client.search_runs([vars['exp']], run_view_type=ViewType.ALL))
except Exception as e:
    res['runs'] = 'error: ' + type(e).__name__
for name, rid in vars['get'].items():
    try:
        r = client.get_run(rid)
        res[name] = sorted(r.data.metrics)
    except Exception as e:
        res[name] = 'error: ' + type(e).__name__
result = res
`;

function byKind(findings: readonly Finding[], kind: Finding['kind']): string[] {
  return findings.filter((f) => f.kind === kind).map((f) => f.path);
}

describe('a damaged store', () => {
  const project = path.join(tmp, 'project');
  const root = path.join(project, 'mlruns');
  const outside = path.join(tmp, 'outside');
  let exp = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const client = new MlflowClient(root);
    exp = await client.createExperiment('damaged');
    for (const name of ['good', 'junk-metric', 'empty-meta', 'moved', 'renamed', 'case', 'linked']) {
      const r = await client.createRun(exp, { runName: name });
      ids[name] = r.info.runId;
      await client.logMetric(r.info.runId, 'loss', 0.5, { timestamp: 1 });
    }
    await client.logParam(ids['case'] as string, 'lr', 1);
    await client.logParam(ids['case'] as string, 'LR', 2);
    // stray entries
    fs.writeFileSync(path.join(root, 'main.py'), 'print(1)\n');
    fs.mkdirSync(path.join(root, '.ipynb_checkpoints'));
    fs.writeFileSync(path.join(root, '.ipynb_checkpoints', 'x.ipynb'), '{}');
    fs.writeFileSync(path.join(root, exp, '.DS_Store'), Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]));
    fs.writeFileSync(path.join(root, exp, ids['junk-metric'] as string, 'metrics', '.DS_Store'), Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]));
    // a whole store nested inside the root, and an experiment folder without meta.yaml
    fs.mkdirSync(path.join(root, 'mlruns', '0'), { recursive: true });
    fs.copyFileSync(path.join(root, '0', 'meta.yaml'), path.join(root, 'mlruns', '0', 'meta.yaml'));
    fs.mkdirSync(path.join(root, '77', 'abcdef', 'metrics'), { recursive: true });
    // (its run metas look like 1.x ones: they have a name and an experiment_id too)
    fs.writeFileSync(path.join(root, '77', 'abcdef', 'meta.yaml'), "artifact_uri: ./mlruns/77/abcdef/artifacts\nexperiment_id: '77'\nname: ''\nrun_id: abcdef\n");
    // an empty run meta (crash mid-write)
    fs.writeFileSync(path.join(root, exp, ids['empty-meta'] as string, 'meta.yaml'), '');
    // a run moved by hand from experiment 0: its meta still says 0
    const movedMeta = path.join(root, exp, ids['moved'] as string, 'meta.yaml');
    fs.writeFileSync(
      movedMeta,
      fs
        .readFileSync(movedMeta, 'utf8')
        .replace(`experiment_id: '${exp}'`, "experiment_id: '0'")
        .replace(`/${exp}/${ids['moved']}/artifacts`, `/0/${ids['moved']}/artifacts`),
    );
    // a run folder renamed by hand
    fs.renameSync(path.join(root, exp, ids['renamed'] as string), path.join(root, exp, 'ffffffffffffffffffffffffffffffff'));
    // symlinks out of the root: a run's artifacts, and an experiment whose meta has foreign paths
    fs.mkdirSync(path.join(outside, 'artifacts'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'artifacts', 'big.bin'), 'outside data');
    const linkedArtifacts = path.join(root, exp, ids['linked'] as string, 'artifacts');
    fs.rmSync(linkedArtifacts, { recursive: true });
    fs.symlinkSync(path.join(outside, 'artifacts'), linkedArtifacts);
    fs.mkdirSync(path.join(outside, 'exp9', 'run'), { recursive: true });
    fs.writeFileSync(
      path.join(outside, 'exp9', 'meta.yaml'),
      "artifact_location: file:///C:/elsewhere/mlruns/9\r\nexperiment_id: '9'\r\nlifecycle_stage: active\r\nname: linked\r\n",
    );
    fs.writeFileSync(path.join(outside, 'exp9', '.DS_Store'), 'x');
    fs.symlinkSync(path.join(outside, 'exp9'), path.join(root, '9'));
  });

  it('reports every kind of damage', () => {
    const f = diagnose(root);
    const rel = (ps: string[]): string[] => ps.map((p) => path.relative(root, p)).sort();
    expect(rel(byKind(f, 'stray-entry'))).toEqual(
      ['.ipynb_checkpoints', 'main.py', `${exp}/.DS_Store`, `${exp}/${ids['junk-metric']}/metrics/.DS_Store`].sort(),
    );
    expect(f.find((x) => x.path.endsWith('.ipynb_checkpoints'))?.severity).toBe('error');
    expect(rel(byKind(f, 'nested-store'))).toEqual(['mlruns']);
    expect(rel(byKind(f, 'missing-meta'))).toEqual(['77']);
    expect(rel(byKind(f, 'empty-meta'))).toEqual([`${exp}/${ids['empty-meta']}/meta.yaml`]);
    expect(rel(byKind(f, 'experiment-id-mismatch'))).toEqual([`${exp}/${ids['moved']}/meta.yaml`]);
    expect(rel(byKind(f, 'run-id-mismatch'))).toEqual([`${exp}/ffffffffffffffffffffffffffffffff/meta.yaml`]);
    expect(rel(byKind(f, 'case-clash'))).toHaveLength(1);
    expect(rel(byKind(f, 'symlink-outside'))).toEqual(['9', `${exp}/${ids['linked']}/artifacts`].sort());
    // nothing is reported (or planned) inside the symlinked experiment
    expect(f.filter((x) => x.path.startsWith(path.join(root, '9') + path.sep))).toEqual([]);
    // a run whose artifacts/ is a symlink is not "missing" it
    expect(byKind(f, 'missing-subfolder')).toEqual([]);
  });

  it('Python fails on it before the fix and reads it after; stray entries go to the quarantine outside the root', async () => {
    const vars = { exp, get: { good: ids['good'], 'junk-metric': ids['junk-metric'], moved: ids['moved'] } };
    const before = await py.exec<Record<string, unknown>>(root, PY_READ, vars);
    expect(before['experiments']).toMatch(/^error/); // .ipynb_checkpoints in the root
    expect(before['runs']).toMatch(/^error/); // the empty run meta
    expect(before['junk-metric']).toMatch(/^error/); // .DS_Store read as a metric
    expect(before['moved']).toMatch(/^error/); // experiment_id mismatch
    const renamed = diagnose(root).find((x) => x.kind === 'run-id-mismatch');
    expect(renamed?.fix).toEqual({ action: 'rename-run', from: path.join(root, exp, 'ffffffffffffffffffffffffffffffff'), to: path.join(root, exp, ids['renamed'] as string) });

    const outsideBefore = snapshot(outside);
    const findings = diagnose(root);
    const qdir = quarantineDirFor(root, Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(qdir).toBe(path.join(project, '.mlruns-quarantine', '20260102T030405Z'));
    const plan = fix(root, findings, { dryRun: true, quarantineDir: qdir });
    expect(plan.applied).toBe(false);
    expect(fs.existsSync(qdir)).toBe(false);
    const applied = fix(root, findings, { quarantineDir: qdir });
    expect(applied.changes).toEqual(plan.changes);

    for (const p of ['main.py', '.ipynb_checkpoints', 'mlruns', `${exp}/.DS_Store`, `${exp}/${ids['empty-meta']}`, `${exp}/${ids['junk-metric']}/metrics/.DS_Store`]) {
      expect(fs.existsSync(path.join(root, p)), p).toBe(false);
      expect(fs.existsSync(path.join(qdir, p)), p).toBe(true);
    }
    // nothing outside the root changed, although the symlinked experiment has foreign paths, CRLF and a .DS_Store
    expect(snapshot(outside)).toEqual(outsideBefore);
    expect(fs.lstatSync(path.join(root, '9')).isSymbolicLink()).toBe(true);

    const after = await py.exec<Record<string, unknown>>(root, PY_READ, vars);
    expect(after['experiments']).toEqual(['Default', 'damaged', 'linked']);
    expect(after['runs']).toEqual(['case', 'good', 'junk-metric', 'linked', 'moved', 'renamed']);
    expect(fs.existsSync(path.join(root, exp, ids['renamed'] as string, 'meta.yaml'))).toBe(true);
    expect(after).toMatchObject({ good: ['loss'], 'junk-metric': ['loss'], moved: ['loss'] });
    const moved = await new MlflowClient(root).getRun(ids['moved'] as string);
    expect(moved.info.experimentId).toBe(exp);
    expect(moved.info.artifactUri).toBe(`${root}/${exp}/${ids['moved']}/artifacts`);

    // what is left has no automatic fix
    const left = diagnose(root);
    expect(left.filter((x) => x.fix)).toEqual([]);
    expect([...new Set(left.map((x) => x.kind))].sort()).toEqual(['case-clash', 'missing-meta', 'symlink-outside']);
  });

  it('refuses to write through a symlink even when asked to', () => {
    const target = path.join(outside, 'exp9', 'meta.yaml');
    const before = fs.readFileSync(target, 'utf8');
    expect(() =>
      fix(root, [{ kind: 'crlf-meta', severity: 'warning', path: path.join(root, '9', 'meta.yaml'), message: '', fix: { action: 'normalize-eol', file: path.join(root, '9', 'meta.yaml') } }], {
        quarantineDir: path.join(tmp, 'q2'),
      }),
    ).toThrow(/outside the root/);
    expect(() =>
      fix(root, [{ kind: 'stray-entry', severity: 'warning', path: path.join(root, '9', '.DS_Store'), message: '', fix: { action: 'quarantine', path: path.join(root, '9', '.DS_Store') } }], {
        quarantineDir: path.join(tmp, 'q3'),
      }),
    ).toThrow(/outside the root/);
    expect(fs.readFileSync(target, 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(outside, 'exp9', '.DS_Store'))).toBe(true);
    expect(() => fix(root, [], { quarantineDir: path.join(root, 'q') })).toThrow(/outside the root/);
  });

  it('the CLI: exit 4 with findings, JSON output, 0 when clean', async () => {
    const r = await runCli(['--root', root, 'doctor', '--json']);
    expect(r.code).toBe(4);
    const out = JSON.parse(r.stdout) as { clean: boolean; findings: Array<{ kind: string; path: string; fix: string | null }> };
    expect(out.clean).toBe(false);
    expect(out.findings.some((f) => f.kind === 'case-clash')).toBe(true);
    const table = await runCli(['--root', root, 'doctor']);
    expect(table.stdout).toMatch(/^(error|warning|info) case-clash \(\d+\)/m);
    expect((await runCli(['--root', root, 'doctor', '--summary'])).stdout).toMatch(/^SEVERITY\s+KIND\s+COUNT\s+REPAIR\n/);
    const clean = path.join(tmp, 'clean', 'mlruns');
    await new MlflowClient(clean).createExperiment('ok');
    const ok = await runCli(['--root', clean, 'doctor']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('No problems found');
    expect((await runCli(['--root', path.join(tmp, 'nope'), 'doctor'])).code).toBe(2);
    expect((await runCli(['--root', clean, 'doctor', '--yes'])).code).toBe(1);
  });
});

describe('helpers', () => {
  it('recognizes litter', () => {
    expect(['.DS_Store', '._loss', 'Thumbs.db', '.ipynb_checkpoints', 'x~', '.meta.yaml.0123456789ab.tmp'].every(isJunkName)).toBe(true);
    expect(['loss', 'meta.yaml', 'acc.1', '.hidden-metric'].some(isJunkName)).toBe(false);
  });

  it('does not offer a merge when both duplicates hold the same run (a copied folder)', async () => {
    const root = path.join(tmp, 'copied', 'mlruns');
    const c = new MlflowClient(root, { now: () => 5 });
    const e = await c.createExperiment('twice');
    await c.createRun(e);
    const copy = '123456789012345678';
    fs.cpSync(path.join(root, e), path.join(root, copy), { recursive: true });
    const meta = path.join(root, copy, 'meta.yaml');
    fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace(`experiment_id: '${e}'`, `experiment_id: '${copy}'`).replace('creation_time: 5', 'creation_time: 6'));
    const dup = diagnose(root).filter((f) => f.kind === 'duplicate-name');
    expect(dup).toHaveLength(1);
    expect(dup[0]?.fix).toBeUndefined();
    expect(dup[0]?.message).toMatch(/cannot merge them automatically: run '[0-9a-f]{32}' is in both/);
  });

  it('plans nothing for a clean store', async () => {
    const root = path.join(tmp, 'plain', 'mlruns');
    const c = new MlflowClient(root);
    const e = await c.createExperiment('x');
    await c.createRun(e);
    expect(diagnose(root)).toEqual([]);
    expect(planFix(root, [])).toEqual([]);
  });
});
