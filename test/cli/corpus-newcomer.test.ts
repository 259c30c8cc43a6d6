/**
 * What a newcomer met on the real stores of the shared corpus (each copied, never changed in
 * place): an exact run id called ambiguous, warning summaries that named the wrong thing, a
 * `runs` table 1,648 characters wide, and `models register` exiting as for a bug.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CORPUS, build, copyCorpus, mlruns, mlrunsJson, py } from './helpers.js';

vi.setConfig({ testTimeout: 300_000 });
beforeAll(() => build());

describe.skipIf(!CORPUS)('palaciosleo store: an experiment both in the root and in .trash', () => {
  it('show <full run id> shows the run (an exact id is never ambiguous); a prefix finds it once', () => {
    const root = copyCorpus('palaciosleo__diplodatos-deeplearning');
    const id = '312c93205b3044e79a751f491cf4d30e';
    expect(fs.existsSync(path.join(root, '1', id))).toBe(true);
    expect(fs.existsSync(path.join(root, '.trash', '1'))).toBe(true);
    const full = mlruns(['--root', root, 'show', id]);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(new RegExp(`^Run ${id}`));
    const prefix = mlruns(['--root', root, 'show', id.slice(0, 8), '--json']);
    expect(prefix.code).toBe(0);
    expect(JSON.parse(prefix.stdout).run.info.runId).toBe(id);
  });

  it('the warning summary names what happened by kind, and says "skipped" only for what was', () => {
    const root = copyCorpus('palaciosleo__diplodatos-deeplearning');
    const r = mlruns(['--root', root, 'experiments', '--view', 'all']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('mlruns: warning: 8 experiments in .trash read as deleted (deleted by MLflow <= 2.2) (--debug shows them)\n');
    const show = mlruns(['--root', root, 'show', '312c93205b3044e79a751f491cf4d30e']);
    expect(show.stderr).toBe(
      "mlruns: warning: 1 artifact path from another machine remapped; 1 run missing folders git dropped, read as empty ('mlruns doctor --fix' restores them) (--debug shows them)\n",
    );
    expect(show.stderr).not.toMatch(/skipped/);
  });
});

describe.skipIf(!CORPUS)('Toma0916 store, experiment 9: the runs table fits the terminal', () => {
  it('fits COLUMNS (attributes, then metrics, then params that differ) with a note; --wide and --format keep everything', () => {
    const root = copyCorpus('Toma0916__GlobalWheatDetection');
    const wide = mlruns(['--root', root, 'runs', '-e', '9', '--wide'], { env: { COLUMNS: '120' } });
    expect(wide.code).toBe(0);
    const wideHeader = (wide.stdout.split('\n')[0] as string).split(/\s{2,}/);
    expect(wideHeader.length).toBeGreaterThan(60);
    expect(wide.stderr).toBe('');
    const fit = mlruns(['--root', root, 'runs', '-e', '9'], { env: { COLUMNS: '120' } });
    expect(fit.code).toBe(0);
    for (const line of fit.stdout.trimEnd().split('\n')) expect(Array.from(line).length).toBeLessThanOrEqual(120);
    const header = (fit.stdout.split('\n')[0] as string).split(/\s{2,}/);
    expect(header.slice(0, 5)).toEqual(['run_id', 'run_name', 'status', 'start_time', 'duration']);
    expect(header.slice(5).every((h) => h.startsWith('metrics.'))).toBe(true);
    expect(fit.stderr).toMatch(/^mlruns: hidden: \d+ params with the same value in every run, \d+ columns that do not fit the terminal \(--wide shows all, -c picks columns\)\n$/);
    // Params shown when wide enough are only those that differ.
    const wider = mlruns(['--root', root, 'runs', '-e', '9'], { env: { COLUMNS: '100000' } });
    const shownParams = (wider.stdout.split('\n')[0] as string).split(/\s{2,}/).filter((h) => h.startsWith('params.'));
    const runs = mlrunsJson<{ runs: { data: { params: Record<string, string> } }[] }>(['--root', root, 'runs', '-e', '9', '--json']).runs;
    const differing = [...new Set(runs.flatMap((r) => Object.keys(r.data.params)))].filter((k) => new Set(runs.map((r) => r.data.params[k])).size > 1);
    expect(shownParams.map((h) => h.slice('params.'.length)).sort()).toEqual(differing.sort());
    // Scripts: csv keeps every column.
    const csv = mlruns(['--root', root, 'runs', '-e', '9', '--format', 'csv'], { env: { COLUMNS: '80' } });
    expect((csv.stdout.split('\n')[0] as string).split(',').length).toBe(wideHeader.length);
  });
});

describe.skipIf(!CORPUS)('264Gaurav store: models register with bad input', () => {
  it('a runs:/ path with no model and a path that does not exist: exit 1 (bad input) with a clear message, nothing registered', () => {
    const root = copyCorpus('264Gaurav__mlflow-experiment-tracking');
    const before = fs.readdirSync(path.join(root, 'models')).sort();
    const run = '4f3a99566d764c67861d7168c3a6009d';
    const a = mlruns(['--root', root, 'models', 'register', `runs:/${run}/nonexistent`, 'x']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(new RegExp(`^mlruns: error: run ${run} has no model at 'nonexistent': .*\\(nothing was registered\\)\\n`));
    const b = mlruns(['--root', root, 'models', 'register', './nowhere', 'x']);
    expect(b.code).toBe(1);
    expect(b.stderr).toBe("mlruns: error: model path './nowhere' does not exist (nothing was registered)\n");
    expect(fs.readdirSync(path.join(root, 'models')).sort()).toEqual(before);
    // What Python does with the first (once the run's folders git dropped are back, so that it finds the run): it fails too.
    for (const sub of ['metrics', 'params', 'artifacts']) fs.mkdirSync(path.join(root, '0', run, sub), { recursive: true });
    const out = py(
      `
import sys, mlflow
mlflow.set_tracking_uri('file://' + sys.argv[1])
for uri in ['runs:/${run}/nonexistent']:
    try:
        mlflow.register_model(uri, 'x'); print('registered')
    except Exception as e:
        print(type(e).__name__, e.error_code)
`,
      [root],
    );
    expect(out.trim().split('\n').pop()).toBe('MlflowException INTERNAL_ERROR');
  });
});
