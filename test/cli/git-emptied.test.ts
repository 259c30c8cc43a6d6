/**
 * Runs that git emptied (it keeps no empty folder, so a run logged without params loses
 * `params/` in a clone, and MLflow 3 then reports it as not found): `mlruns doctor --fix`
 * restores the folders for Python, `mlruns git-setup` repairs a clone at once and installs
 * post-checkout/post-merge hooks that repair what later pulls bring.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CORPUS, build, copyCorpus, mlruns, mlrunsJson, py, tmpDir } from './helpers.js';

vi.setConfig({ testTimeout: 300_000 });

beforeAll(() => build());

/** Python MLflow 3's get_run of each id: the run id, or the error. */
const PY_GET = `
import sys, json, mlflow
c = mlflow.MlflowClient('file://' + sys.argv[1])
out = {}
for rid in sys.argv[2:]:
    try:
        out[rid] = c.get_run(rid).info.run_id
    except Exception as e:
        out[rid] = 'error: ' + str(e)
print(json.dumps(out))
`;
const pyGet = (root: string, ids: string[]): Record<string, string> => JSON.parse(py(PY_GET, [root, ...ids])) as Record<string, string>;

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Run ids of folders lacking metrics/, params/ or artifacts/. */
function emptiedRuns(root: string): string[] {
  const out: string[] = [];
  for (const exp of fs.readdirSync(root)) {
    const d = path.join(root, exp);
    if (!fs.statSync(d).isDirectory() || exp === '.trash' || exp === 'models') continue;
    for (const run of fs.readdirSync(d)) {
      const r = path.join(d, run);
      if (!fs.existsSync(path.join(r, 'meta.yaml')) || !fs.statSync(r).isDirectory()) continue;
      if (['metrics', 'params', 'artifacts'].some((s) => !fs.existsSync(path.join(r, s)))) out.push(run);
    }
  }
  return out.sort();
}

describe.skipIf(!CORPUS)('doctor --fix on the 264Gaurav store', () => {
  it('restores the folders git dropped, and Python get_run then finds every run', () => {
    const root = copyCorpus('264Gaurav__mlflow-experiment-tracking');
    const ids = emptiedRuns(root);
    expect(ids.length).toBeGreaterThan(10);
    const sample = ids.slice(0, 3);
    expect(Object.values(pyGet(root, sample)).every((v) => /^error: Run '\w+' not found$/.test(v))).toBe(true);
    const r = mlruns(['--root', root, 'doctor', '--fix', '--yes']);
    expect(r.stdout).toMatch(/missing-subfolder/);
    expect(emptiedRuns(root)).toEqual([]);
    const after = pyGet(root, ids);
    expect(Object.entries(after).filter(([id, v]) => v !== id)).toEqual([]);
  });
});

describe('git-setup after cloning, and its hooks', () => {
  it('a clone is repaired by git-setup; a pull bringing a run without params is repaired by the post-merge hook', () => {
    const work = tmpDir();
    const origin = path.join(work, 'origin');
    fs.mkdirSync(origin);
    git(origin, 'init', '-q', '-b', 'main');
    const root = path.join(origin, 'mlruns');
    // A run without params or artifacts, logged by Python MLflow.
    const logRun = `
import sys, mlflow
c = mlflow.MlflowClient('file://' + sys.argv[1])
e = c.get_experiment_by_name('e')
eid = e.experiment_id if e else c.create_experiment('e')
r = c.create_run(eid)
c.log_metric(r.info.run_id, 'm', 1.0)
c.set_terminated(r.info.run_id)
print(r.info.run_id)
`;
    const first = py(logRun, [root]).trim();
    expect(mlruns(['--root', root, 'git-setup']).code).toBe(0);
    git(origin, 'add', '-A');
    git(origin, 'commit', '-qm', 'runs');
    const clone = path.join(work, 'clone');
    git(work, 'clone', '-q', origin, clone);
    const croot = path.join(clone, 'mlruns');
    expect(emptiedRuns(croot)).toEqual([first]);
    expect(pyGet(croot, [first])[first]).toMatch(/not found/);
    // The README's step after cloning.
    const setup = mlrunsJson<{ hooks: { path: string; changed: boolean }[]; repaired: string[] }>(['--root', croot, 'git-setup', '--json']);
    expect(setup.hooks.map((h) => path.basename(h.path)).sort()).toEqual(['post-checkout', 'post-merge']);
    expect(setup.repaired.map((p) => path.basename(p)).sort()).toEqual(['artifacts', 'params']);
    expect(pyGet(croot, [first])[first]).toBe(first);
    for (const h of setup.hooks) expect(fs.statSync(h.path).mode & 0o111).not.toBe(0);
    // Idempotent: a second run changes nothing.
    const again = mlrunsJson<{ hooks: { changed: boolean }[]; repaired: string[] }>(['--root', croot, 'git-setup', '--json']);
    expect(again.hooks.every((h) => !h.changed)).toBe(true);
    expect(again.repaired).toEqual([]);
    // A new run upstream, pulled: the post-merge hook repairs it.
    const second = py(logRun, [root]).trim();
    git(origin, 'add', '-A');
    git(origin, 'commit', '-qm', 'another run');
    git(clone, 'pull', '-q', '--no-rebase', 'origin', 'main');
    expect(emptiedRuns(croot)).toEqual([]);
    expect(pyGet(croot, [second])[second]).toBe(second);
    // And a checkout (post-checkout) of a branch where the folders are gone again.
    fs.rmSync(path.join(croot, (fs.readdirSync(croot).find((d) => /^\d{3,}$/.test(d)) as string), second, 'params'), { recursive: true });
    git(clone, 'checkout', '-q', '-b', 'other');
    expect(emptiedRuns(croot)).toEqual([]);
  });
});
