/**
 * Issue 19: a real duplicate run id (one run folder copied by hand into another experiment) is
 * read as Python reads it, but never silently: `show` reports it on the warning summary
 * (`--debug` names both folders), `runs` too when it lists both copies, and `mlruns doctor`
 * reports a `duplicate-run` finding saying what to do. Stores made by Python MLflow 3, read by the
 * built binary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { build, mlruns, mlrunsJson, py, tmpDir } from './helpers.js';

vi.setConfig({ testTimeout: 300_000 });
beforeAll(() => build());

/** Experiments a, b and a deleted d, one run in a (MLflow 3 writes them); ids printed as JSON. */
function pythonStore(): { root: string; a: string; b: string; d: string; run: string } {
  const root = path.join(tmpDir('mlruns-cli-dup-'), 'mlruns');
  const out = py(
    `import json, sys
from mlflow import MlflowClient
c = MlflowClient(tracking_uri='file://' + sys.argv[1])
a = c.create_experiment('a'); b = c.create_experiment('b'); d = c.create_experiment('d')
r = c.create_run(a, run_name='orig').info.run_id
c.log_metric(r, 'loss', 0.25, step=0, timestamp=1)
c.set_terminated(r)
c.delete_experiment(d)
print(json.dumps({'a': a, 'b': b, 'd': d, 'run': r}))`,
    [root],
  );
  return { root, ...(JSON.parse(out) as { a: string; b: string; d: string; run: string }) };
}

/** What Python's get_run says about the run: its experiment id, or the error code. */
function pythonGetRun(root: string, run: string): string {
  return py(
    `import sys
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
try:
    print(MlflowClient(tracking_uri='file://' + sys.argv[1]).get_run(sys.argv[2]).info.experiment_id)
except MlflowException as e:
    print(e.error_code)`,
    [root, run],
  ).trim();
}

describe('the same run id in two experiment folders, on the built CLI', () => {
  it('show reads the run Python reads and says so on the warning summary; --debug names both folders; doctor reports duplicate-run', () => {
    const s = pythonStore();
    const original = path.join(s.root, s.a, s.run);
    const copy = path.join(s.root, '.trash', s.d, s.run);
    fs.cpSync(original, copy, { recursive: true });
    const show = mlruns(['--root', s.root, 'show', s.run, '--json']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).run.info.experimentId).toBe(pythonGetRun(s.root, s.run));
    expect(show.stderr).toBe("mlruns: warning: 1 run id found in two experiment folders ('mlruns doctor' shows which to keep) (--debug shows them)\n");
    const debug = mlruns(['--root', s.root, '--debug', 'show', s.run]);
    expect(debug.code).toBe(0);
    const line = debug.stderr.split('\n').find((l) => l.includes('experiment folders')) ?? '';
    expect(line).toContain(`'${original}'`);
    expect(line).toContain(`'${copy}'`);
    expect(line).toContain("Run 'mlruns doctor'");
    // A prefix finds the one run too.
    expect(mlrunsJson(['--root', s.root, 'show', s.run.slice(0, 8), '--json']).run.info.runId).toBe(s.run);
    // doctor: the copy's meta.yaml names experiment a: a leftover copy, quarantined by --fix.
    const doc = mlruns(['--root', s.root, 'doctor', '--json']);
    expect(doc.code).toBe(4);
    const dup = (JSON.parse(doc.stdout) as { findings: { kind: string; path: string; message: string; fix: string | null }[] }).findings.filter(
      (f) => f.kind === 'duplicate-run',
    );
    expect(dup).toHaveLength(1);
    expect(dup[0]).toMatchObject({ path: `.trash/${s.d}/${s.run}`, fix: 'quarantine' });
    expect(dup[0]?.message).toContain(`in 2 experiment folders ('${s.a}/${s.run}', '.trash/${s.d}/${s.run}'`);
    const fixed = mlruns(['--root', s.root, 'doctor', '--fix', '--yes']);
    expect(fixed.code).toBe(0);
    expect(fs.existsSync(copy)).toBe(false);
    expect(fs.existsSync(original)).toBe(true);
    const after = mlruns(['--root', s.root, 'show', s.run]);
    expect(after.code).toBe(0);
    expect(after.stderr).toBe('');
    expect(pythonGetRun(s.root, s.run)).toBe(s.a);
  });

  it('a copy Python lists first and cannot read: show fails as get_run does (exit 4), naming both folders and mlruns doctor', () => {
    const s = pythonStore();
    // The run's experiment deleted, its copy in active b: Python's get_run meets the copy first.
    expect(mlruns(['--root', s.root, 'experiments', 'delete', s.a]).code).toBe(0);
    const original = path.join(s.root, '.trash', s.a, s.run);
    const copy = path.join(s.root, s.b, s.run);
    fs.cpSync(original, copy, { recursive: true });
    expect(pythonGetRun(s.root, s.run)).toBe('INVALID_STATE');
    const show = mlruns(['--root', s.root, 'show', s.run]);
    expect(show.code).toBe(4);
    expect(show.stderr).toContain(`mlruns: error: run '${s.run}' cannot be read: Run '${s.run}' metadata is in invalid state.`);
    expect(show.stderr).toContain(`'${copy}'`);
    expect(show.stderr).toContain(`'${original}'`);
    expect(show.stderr).toContain("Run 'mlruns doctor'");
  });

  it('runs lists both copies when both metas name their own experiment (as search_runs), with the warning; doctor leaves the choice to the user', () => {
    const s = pythonStore();
    const copy = path.join(s.root, s.b, s.run);
    fs.cpSync(path.join(s.root, s.a, s.run), copy, { recursive: true });
    const meta = path.join(copy, 'meta.yaml');
    fs.writeFileSync(meta, fs.readFileSync(meta, 'utf8').replace(/^experiment_id: .*$/m, `experiment_id: '${s.b}'`));
    const theirs = py(
      `import sys, json
from mlflow import MlflowClient
c = MlflowClient(tracking_uri='file://' + sys.argv[1])
print(json.dumps(sorted(r.info.experiment_id for r in c.search_runs([sys.argv[2], sys.argv[3]]))))`,
      [s.root, s.a, s.b],
    );
    const r = mlruns(['--root', s.root, 'runs', '-e', s.a, '-e', s.b, '--json']);
    expect(r.code).toBe(0);
    const mine = (JSON.parse(r.stdout) as { runs: { info: { runId: string; experimentId: string } }[] }).runs;
    expect(mine.map((x) => x.info.experimentId).sort()).toEqual(JSON.parse(theirs));
    expect(mine.every((x) => x.info.runId === s.run)).toBe(true);
    expect(r.stderr).toBe("mlruns: warning: 1 run id found in two experiment folders ('mlruns doctor' shows which to keep) (--debug shows them)\n");
    const doc = mlruns(['--root', s.root, 'doctor']);
    expect(doc.code).toBe(4);
    expect(doc.stdout).toMatch(/^error duplicate-run \(1\)$/m);
    const json = JSON.parse(mlruns(['--root', s.root, 'doctor', '--json']).stdout) as { findings: { kind: string; message: string; fix: string | null }[] };
    const dup = json.findings.find((f) => f.kind === 'duplicate-run');
    expect(dup?.fix).toBeNull();
    expect(dup?.message).toMatch(/search_runs returns it 2 times\. Keep one/);
  });
});
