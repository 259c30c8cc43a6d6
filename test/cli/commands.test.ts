/**
 * The everyday commands issue 19 added (runs delete|restore, tag set|delete, experiments create
 * --exist-ok, catalog build|status|drop, compare over a filter, metrics of several runs,
 * --svg/--png, report) and the fixes to what a newcomer types, on the built binary; every
 * change is read back by Python MLflow 3.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO, build, copyStore, isAlive, mlruns, mlrunsAsync, mlrunsJson, py, pyFile, tmpDir, waitForOutput } from './helpers.js';

interface PyStore {
  experimentId: string;
  trashExperimentId: string;
  runs: Record<string, string>;
  deletedRunId: string;
}

// Python MLflow starts slowly on a loaded machine: each test makes a few such calls.
vi.setConfig({ testTimeout: 300_000 });

let root: string;
let store: PyStore;
const lr = (v: string): string => store.runs[`lr-${v}`] as string;

beforeAll(() => {
  build();
  root = path.join(tmpDir(), 'mlruns');
  store = JSON.parse(pyFile(path.join(REPO, 'test/cli/make_store.py'), [root])) as PyStore;
});

const PY_RUN = `
import sys, json, mlflow
c = mlflow.MlflowClient('file://' + sys.argv[1])
r = c.get_run(sys.argv[2])
print(json.dumps({'stage': r.info.lifecycle_stage, 'tags': {k: v for k, v in r.data.tags.items() if not k.startswith('mlflow.')}}))
`;
const pyRun = (r: string, id: string): { stage: string; tags: Record<string, string> } => JSON.parse(py(PY_RUN, [r, id])) as never;

describe('runs delete|restore', () => {
  it('deletes and restores runs by id or prefix; Python sees each change; wrong states are conflicts (exit 3) and change nothing', () => {
    const r2 = copyStore(root);
    const a = lr('0.1');
    const b = lr('0.01');
    const del = mlruns(['--root', r2, 'runs', 'delete', a.slice(0, 8), b]);
    expect(del.code).toBe(0);
    expect(del.stdout).toBe(`Deleted run ${a} (lr-0.1)\nDeleted run ${b} (lr-0.01)\n`);
    expect(pyRun(r2, a).stage).toBe('deleted');
    expect(pyRun(r2, b).stage).toBe('deleted');
    // b is deleted: restoring a and a live run fails before anything changes.
    const bad = mlruns(['--root', r2, 'runs', 'restore', a, lr('0.001')]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toBe(`mlruns: error: run ${lr('0.001')} is not deleted\n`);
    expect(pyRun(r2, a).stage).toBe('deleted');
    expect(mlrunsJson(['--root', r2, 'runs', 'restore', a, '--json'])).toEqual({ runs: [{ runId: a, lifecycleStage: 'active' }] });
    expect(pyRun(r2, a).stage).toBe('active');
    expect(mlruns(['--root', r2, 'runs', 'delete', b]).code).toBe(3);
    expect(mlruns(['--root', r2, 'runs', 'delete', 'deadbeefdeadbeefdeadbeefdeadbeef']).code).toBe(2);
    // The listing is still the default subcommand, with its options.
    const listed = mlruns(['--root', r2, 'runs', '-e', 'sweep', '-c', 'run_name', '-o', 'run_name']);
    expect(listed.stdout).toBe('run_name\nlr-0.001\nlr-0.1\n');
    expect(mlruns(['--root', r2, 'runs', 'lst']).stderr).toBe("mlruns: error: unknown command 'runs lst' (did you mean list?)\n");
  });
});

describe('tag set|delete', () => {
  it('on a run and on an experiment; Python reads them; deleting a tag that is not there is exit 2', () => {
    const r2 = copyStore(root);
    const a = lr('0.1');
    expect(mlruns(['--root', r2, 'tag', 'set', a.slice(0, 6), 'stage=best', 'note=a=b']).stdout).toBe(`Set 2 tags on run ${a}\n`);
    expect(pyRun(r2, a).tags).toMatchObject({ stage: 'best', note: 'a=b', kind: 'sweep' });
    expect(mlruns(['--root', r2, 'tag', 'delete', a, 'stage']).code).toBe(0);
    expect(pyRun(r2, a).tags['stage']).toBeUndefined();
    const miss = mlruns(['--root', r2, 'tag', 'delete', a, 'stage', 'note']);
    expect(miss.code).toBe(2);
    expect(miss.stderr).toBe(`mlruns: error: run ${a} has no tag 'stage'\n`);
    expect(pyRun(r2, a).tags['note']).toBe('a=b');
    expect(mlrunsJson(['--root', r2, 'tag', 'set', '-e', 'sweep', 'owner=ana', '--json'])).toEqual({ experiment: store.experimentId, tags: { owner: 'ana' } });
    const pyExpTags = (): string => py(`import sys, mlflow\nprint(sorted(mlflow.MlflowClient('file://' + sys.argv[1]).get_experiment(sys.argv[2]).tags.items()))`, [r2, store.experimentId]).trim();
    expect(pyExpTags()).toBe("[('owner', 'ana'), ('team', 'vision')]");
    expect(mlruns(['--root', r2, 'tag', 'delete', '--experiment', 'sweep', 'owner']).stdout).toBe(`Deleted 1 tag of experiment ${store.experimentId}\n`);
    expect(pyExpTags()).toBe("[('team', 'vision')]");
    expect(mlruns(['--root', r2, 'tag', 'set', a, 'novalue']).code).toBe(1);
  });
});

describe('experiments create --exist-ok', () => {
  it('returns the existing experiment the second time; without it a duplicate is a conflict', () => {
    const r2 = copyStore(root);
    const first = mlrunsJson(['--root', r2, 'experiments', 'create', 'again', '--exist-ok', '--json']);
    expect(first).toEqual({ experimentId: expect.any(String), name: 'again', created: true });
    const second = mlrunsJson(['--root', r2, 'experiments', 'create', 'again', '--exist-ok', '--json']);
    expect(second).toEqual({ experimentId: first.experimentId, name: 'again', created: false });
    expect(mlruns(['--root', r2, 'experiments', 'create', 'sweep', '--exist-ok']).stdout).toBe(`Experiment 'sweep' exists with id ${store.experimentId}\n`);
    expect(mlruns(['--root', r2, 'experiments', 'create', 'again']).code).toBe(3);
    const trashed = mlruns(['--root', r2, 'experiments', 'create', 'trash-me', '--exist-ok']);
    expect(trashed.code).toBe(3);
    expect(trashed.stderr).toMatch(/exists but is deleted: 'mlruns experiments restore \d+'/);
  });
});

describe('catalog build|status|drop and MLRUNS_CATALOG=on', () => {
  it('builds, reports and drops the catalog; MLRUNS_CATALOG=on makes searches build it', () => {
    const r2 = copyStore(root);
    const env = { MLRUNS_CATALOG_DIR: path.join(tmpDir(), 'catalogs') };
    const none = mlrunsJson(['--root', r2, 'catalog', 'status', '--json'], { env });
    expect(none.exists).toBe(false);
    const built = mlrunsJson(['--root', r2, 'catalog', 'build', '--json'], { env });
    expect(built).toMatchObject({ cold: true, runs: 5 });
    expect(fs.existsSync(built.file)).toBe(true);
    expect(path.dirname(path.dirname(built.file))).toBe(env.MLRUNS_CATALOG_DIR);
    const again = mlrunsJson(['--root', r2, 'catalog', 'build', '--json'], { env });
    expect(again).toMatchObject({ cold: false, runs: 5, runsRead: 0 });
    expect(mlrunsJson(['--root', r2, 'catalog', 'status', '--json'], { env })).toMatchObject({ exists: true, runs: 5, watcher: false, file: built.file });
    expect(mlruns(['--root', r2, 'catalog', 'drop'], { env }).stdout).toBe(`Dropped the catalog of ${fs.realpathSync(r2)}\n`);
    expect(fs.existsSync(built.file)).toBe(false);
    // Without MLRUNS_CATALOG a search leaves no catalog behind; with MLRUNS_CATALOG=on it builds one and answers from it.
    const plain = mlruns(['--root', r2, 'runs', '-e', 'sweep', '-c', 'run_name', '-o', 'run_name'], { env });
    expect(fs.existsSync(built.file)).toBe(false);
    const on = mlruns(['--root', r2, 'runs', '-e', 'sweep', '-c', 'run_name', '-o', 'run_name'], { env: { ...env, MLRUNS_CATALOG: 'on' } });
    expect(on.stdout).toBe(plain.stdout);
    expect(fs.existsSync(built.file)).toBe(true);
    expect(mlrunsJson(['--root', r2, 'catalog', 'status', '--json'], { env }).runs).toBe(5);
  });
});

describe('compare over a filter', () => {
  it('-e EXP --filter --top -m: the top runs by the metric, in the order Python MLflow ranks them', () => {
    const j = mlrunsJson(['--root', root, 'compare', '-e', 'sweep', '--filter', "params.model != 'rnn'", '--top', '2', '-m', 'acc', '--json']);
    const ids = py(
      `import sys, mlflow\nrs = mlflow.MlflowClient('file://' + sys.argv[1]).search_runs([sys.argv[2]], "params.model != 'rnn'", order_by=['metrics.acc DESC'], max_results=2)\nprint(' '.join(r.info.run_id for r in rs))`,
      [root, store.experimentId],
    ).trim();
    expect(j.runs.map((r: { runId: string }) => r.runId).join(' ')).toBe(ids);
    expect(j.runs.map((r: { runId: string }) => r.runId)).toEqual([lr('0.01'), lr('0.001')]);
    const min = mlrunsJson(['--root', root, 'compare', '-e', 'sweep', '--top', '2', '-m', 'acc', '--minimize', '--json']);
    expect(min.runs.map((r: { runId: string }) => r.runId)).toEqual([lr('0.1'), lr('0.001')]);
    expect(mlruns(['--root', root, 'compare', '-e', 'sweep', '--filter', "params.model = 'none'"]).code).toBe(2);
    expect(mlruns(['--root', root, 'compare', lr('0.1'), '--top', '3']).code).toBe(1);
  });
});

/** Width and height of a PNG, after checking its signature and that its image data inflates. */
function pngSize(buf: Buffer): { width: number; height: number } {
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  const idat: Buffer[] = [];
  for (let at = 8; at < buf.length; ) {
    const len = buf.readUInt32BE(at);
    const type = buf.subarray(at + 4, at + 8).toString('latin1');
    if (type === 'IDAT') idat.push(buf.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe(height * (1 + width * 4));
  return { width, height };
}

describe('metrics of several runs, --svg and --png', () => {
  it('one metric across runs: a table of steps by run, JSON by run, and charts with one line per run', () => {
    const dir = tmpDir();
    const svg = path.join(dir, 'loss.svg');
    const png = path.join(dir, 'loss.png');
    const ids = [lr('0.1'), lr('0.01'), lr('0.001')];
    const r = mlruns(['--root', root, 'metrics', '--run', ids.map((i) => i.slice(0, 8)).join(','), 'loss', '--svg', svg, '--png', png, '--chart']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^loss \(3 runs\)\n\s+STEP\s+lr-0\.1 \w{8}\s+lr-0\.01 \w{8}\s+lr-0\.001 \w{8}\n\s+0\s+1\.0\s+0\.5\s+0\.3333333333333333\n/);
    expect(r.stdout).toMatch(/[\u2801-\u28ff]/);
    expect(r.stderr).toBe(`mlruns: wrote ${svg}\nmlruns: wrote ${png}\n`);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(text.match(/<polyline /g)).toHaveLength(3);
    for (const n of ['lr-0.1', 'lr-0.01', 'lr-0.001']) expect(text).toContain(`>${n} `);
    expect(pngSize(fs.readFileSync(png))).toEqual({ width: 720, height: 360 });
    const j = mlrunsJson(['--root', root, 'metrics', '-e', 'sweep', '--order-by', 'metrics.acc DESC', '--top', '2', 'loss', '--json']);
    expect(j.runs.map((x: { runId: string }) => x.runId)).toEqual([lr('0.01'), lr('0.001')]);
    const pyHist = py(
      `import sys, json, mlflow\nc = mlflow.MlflowClient('file://' + sys.argv[1])\nprint(json.dumps([m.value for m in c.get_metric_history(sys.argv[2], 'loss')]))`,
      [root, lr('0.01')],
    );
    expect(j.metrics.loss[lr('0.01')].map((m: { value: number }) => m.value)).toEqual(JSON.parse(pyHist));
    const one = mlruns(['--root', root, 'metrics', lr('0.1'), 'acc', '--svg', path.join(dir, 'acc.svg')]);
    expect(one.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'acc.svg'), 'utf8')).toMatch(/<circle /);
    const missing = mlruns(['--root', root, 'metrics', '--run', `${lr('0.1')},${lr('0.01')}`, 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("mlruns: error: none of the 2 runs has metric 'nope' (they have: acc, loss)\n");
  });
});

describe('report', () => {
  it('writes one self-contained HTML file: runs table, a chart per metric with the runs overlaid, compare', () => {
    const out = path.join(tmpDir(), 'report.html');
    const r = mlruns(['--root', root, 'report', '-e', 'sweep', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`mlruns: wrote ${out} (3 runs, 2 metrics)\n`);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    // Nothing is fetched: no scripts, no external links, images or fonts.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    for (const v of ['0.1', '0.01', '0.001']) expect(html).toContain(`<code>${lr(v).slice(0, 8)}</code>`);
    expect(html).not.toContain('deleted-run');
    // loss has 5 steps per run: charted with 3 lines; acc has one value per run: not charted.
    const charts = [...html.matchAll(/<svg [\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(charts).toHaveLength(1);
    expect(charts[0]).toContain('>loss<');
    expect(charts[0]?.match(/<polyline /g)).toHaveLength(3);
    expect(html).toMatch(/<tr class="differs"><td>lr<\/td>/);
    expect(html).toMatch(/<tr class=""><td>model<\/td>|<tr class="differs"><td>model<\/td>/);
    expect(mlruns(['--root', root, 'report', '-e', 'sweep', '-m', 'nope', '-o', out]).code).toBe(2);
    expect(mlruns(['--root', root, 'report', '-e', 'sweep']).code).toBe(1);
  });
});

describe('what a newcomer types', () => {
  it('--root pointing at an experiment or run folder is refused, naming the root', () => {
    const r = mlruns(['--root', path.join(root, store.experimentId), 'runs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `mlruns: error: '${path.join(root, store.experimentId)}' is an experiment folder, not a tracking root: the root is '${path.relative(REPO, root)}' (use --root ${path.relative(REPO, root)} and -e ${store.experimentId})\n`,
    );
    const run = mlruns(['--root', path.join(root, store.experimentId, lr('0.1')), 'show', lr('0.1')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is a run folder, not a tracking root: the root is '/);
  });

  it('runs -n 3 prints no "showing the first" note when the count was asked for', () => {
    const r = mlruns(['--root', root, 'runs', '-n', '2', '-c', 'run_name']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(r.stderr).toBe('');
  });

  it('errors show no Python set syntax; help shows no (default: [])', () => {
    const r = mlruns(['--root', root, 'runs', '--filter', "attributes.foo = 'x'"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Valid keys are artifact_uri, end_time, run_id, run_name, start_time, status, user_id/);
    expect(r.stderr).not.toMatch(/'\{|\}'/);
    for (const cmd of [['runs', 'list'], ['metrics'], ['compare'], ['best'], ['report'], ['experiments', 'create'], ['tag', 'set']]) {
      const h = mlruns([...cmd, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).not.toContain('(default: [])');
    }
  });

  it('best says --maximize/--minimize (-n/--max is a count in runs); --max/--min still work', () => {
    const help = mlruns(['best', '--help']).stdout;
    expect(help).toMatch(/--maximize/);
    expect(help).not.toMatch(/--max\b(?!imize)/);
    const a = mlruns(['--root', root, 'best', '-e', 'sweep', '-m', 'acc', '--minimize', '--id']).stdout;
    const b = mlruns(['--root', root, 'best', '-e', 'sweep', '-m', 'acc', '--min', '--id']).stdout;
    expect(a).toBe(`${lr('0.1')}\n`);
    expect(b).toBe(a);
    expect(mlruns(['--root', root, 'best', '-e', 'sweep', '-m', 'acc', '--maximize', '--id']).stdout).toBe(`${lr('0.01')}\n`);
    expect(mlruns(['--root', root, 'best', '-m', 'acc', '--maximize', '--min']).code).toBe(1);
  });

  it('watch takes the root positionally, as users type it', async () => {
    const r2 = copyStore(root);
    const child = mlrunsAsync(['watch', r2], { env: { MLRUNS_CATALOG_DIR: path.join(tmpDir(), 'catalogs') } });
    try {
      const text = await waitForOutput(child.stderr as NodeJS.ReadableStream, /watching /);
      expect(text).toContain(`watching ${fs.realpathSync(r2)}`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(isAlive(child.pid as number)).toBe(false);
    const both = mlruns(['--root', root, 'watch', r2]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/two different roots given/);
  });
});
