/**
 * The command line, spawned as a user runs it (`node dist/cli/main.js`), on stores written by
 * Python MLflow 3 (the oracle) and by our MlflowClient.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { copyFixture, listFixtures, type Fixture } from '../oracle/fixtures.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { ANSI, BIN, REPO, build, cleanEnv, copyStore, mlruns, mlrunsJson, py, pyFile, tmpDir } from './helpers.js';

// Tests here run a dozen CLI and Python processes one after the other: over the 60 s default on a
// loaded 2-core machine (the full run at load 10-20). A hang guard, not a target.
vi.setConfig({ testTimeout: 180_000 });

interface PyStore {
  experimentId: string;
  trashExperimentId: string;
  runs: Record<string, string>;
  doomedRunId: string;
  deletedRunId: string;
}

let root: string;
let store: PyStore;
const lr = (v: string): string => store.runs[`lr-${v}`] as string;

beforeAll(() => {
  build();
  root = path.join(tmpDir(), 'mlruns');
  store = JSON.parse(pyFile(path.join(REPO, 'test/cli/make_store.py'), [root])) as PyStore;
});

describe('help, usage errors and exit codes', () => {
  const commands = [
    [],
    ['experiments'],
    ['experiments', 'list'],
    ['experiments', 'create'],
    ['experiments', 'rename'],
    ['experiments', 'delete'],
    ['experiments', 'restore'],
    ['runs'],
    ['show'],
    ['metrics'],
    ['compare'],
    ['best'],
    ['artifacts'],
    ['artifacts', 'ls'],
    ['artifacts', 'get'],
    ['gc'],
    ['run'],
  ];
  it.each(commands.map((c) => [c.join(' ') || '(root)', c] as const))('%s --help shows an example', (_name, cmd) => {
    const r = mlruns([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: mlruns/);
    expect(r.stdout).toMatch(/Examples:\n\s+\$ mlruns /);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    const r = mlruns(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('suggests the closest command for an unknown one (exit 1, one line)', () => {
    const r = mlruns(['--root', root, 'expriments']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("mlruns: error: unknown command 'expriments' (did you mean experiments?)\n");
  });

  it('suggests the closest subcommand of a group', () => {
    expect(mlruns(['--root', root, 'experiments', 'lst']).stderr).toBe("mlruns: error: unknown command 'experiments lst' (did you mean list?)\n");
    const r = mlruns(['--root', root, 'artifacts', 'lss', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("mlruns: error: unknown command 'lss' (did you mean ls?)\n");
  });

  it('damaged entries are skipped with one warning line; --debug lists them', () => {
    const r2 = copyStore(root);
    fs.writeFileSync(path.join(r2, store.experimentId, lr('0.1'), 'meta.yaml'), '');
    const r = mlruns(['--root', r2, 'runs', '-e', 'sweep', '-c', 'run_name']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/lr-0\.1\n/);
    expect(r.stderr).toBe('mlruns: warning: 1 entry with an empty meta.yaml skipped (--debug shows them)\n');
    const d = mlruns(['--root', r2, '--debug', 'runs', '-e', 'sweep', '-c', 'run_name']);
    expect(d.stderr).toMatch(/^mlruns: warning: Run '[0-9a-f]+' has an empty meta\.yaml/);
  });

  it('suggests the closest option for an unknown flag', () => {
    const r = mlruns(['--root', root, 'runs', '--filtr', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("mlruns: error: unknown option '--filtr' (did you mean --filter?)\n");
  });

  it('a missing run: exit 2, one line on stderr; --debug adds the stack', () => {
    const r = mlruns(['--root', root, 'show', 'deadbeefdeadbeefdeadbeefdeadbeef']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mlruns: error: run 'deadbeefdeadbeefdeadbeefdeadbeef' not found/);
    const d = mlruns(['--root', root, '--debug', 'show', 'deadbeefdeadbeefdeadbeefdeadbeef']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/^mlruns: error: run .* not found.*\n.*Error.*\n\s+at /);
  });

  it('a nonexistent root: reads fail clearly (exit 2), from --root or MLFLOW_TRACKING_URI', () => {
    const missing = path.join(tmpDir(), 'nope');
    for (const r of [
      mlruns(['--root', missing, 'runs']),
      mlruns(['experiments'], { env: { MLFLOW_TRACKING_URI: missing } }),
      mlruns(['experiments'], { env: { MLFLOW_TRACKING_URI: `file://${missing}` } }),
    ]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`mlruns: error: tracking root '${missing}' does not exist (use --root DIR or set MLFLOW_TRACKING_URI)\n`);
    }
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('the root defaults to ./mlruns', () => {
    const dir = path.dirname(root);
    const r = mlrunsJson(['experiments', '--json'], { cwd: dir });
    expect(r.experiments.map((e: { name: string }) => e.name).sort()).toEqual(['Default', 'sweep']);
  });

  it('a bad filter prints the parser message with a caret under the position (exit 1)', () => {
    const filter = "metrics.acc > 0.5 and params.lr = 0.1";
    const r = mlruns(['--root', root, 'runs', '--filter', filter]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^mlruns: error: invalid --filter: Expected a quoted string value for parameter/);
    expect(lines[1]).toBe(`  --filter: ${filter}`);
    const caret = (lines[2] as string).indexOf('^');
    expect((lines[1] as string).slice(caret)).toBe('0.1');
    expect((lines[2] as string).trim()).toBe('^');
  });

  it('a bad comparator and a bad order-by are pointed at too', () => {
    const r = mlruns(['--root', root, 'runs', '--filter', 'metrics.acc >> 0.5']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^mlruns: error: invalid --filter: .*'>>'/);
    expect((lines[1] as string).slice((lines[2] as string).indexOf('^'))).toBe('>> 0.5');
    const o = mlruns(['--root', root, 'runs', '--order-by', 'metrics.acc DESCX']);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/^mlruns: error: invalid --order-by: .*\n  --order-by: metrics.acc DESCX\n +\^\n$/);
  });

  it('invalid option values are usage errors', () => {
    expect(mlruns(['--root', root, 'runs', '--view', 'sideways']).code).toBe(1);
    expect(mlruns(['--root', root, 'runs', '--max', '0']).code).toBe(1);
    expect(mlruns(['--root', root, 'runs', '--format', 'xml']).code).toBe(1);
    expect(mlruns(['--root', root, 'runs', '--columns', 'bogus']).code).toBe(1);
    expect(mlruns(['--root', root, 'best', '-m', 'acc', '--max', '--min']).code).toBe(1);
  });
});

describe('colour', () => {
  it('is off in a pipe, on with FORCE_COLOR, and never with NO_COLOR or --no-color', () => {
    const args = ['--root', root, 'runs', '-e', 'sweep', '-c', 'run_id,status'];
    expect(mlruns(args).stdout).not.toMatch(ANSI);
    expect(mlruns(args, { env: { FORCE_COLOR: '1' } }).stdout).toMatch(ANSI);
    expect(mlruns(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toMatch(ANSI);
    expect(mlruns(['--no-color', ...args], { env: { FORCE_COLOR: '1' } }).stdout).not.toMatch(ANSI);
    const err = mlruns(['--root', root, 'show', 'nope'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(err.stderr).not.toMatch(ANSI);
  });

  // util-linux `script` gives the command a pseudo-terminal.
  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)('on a terminal: colour and a chart; NO_COLOR on a terminal: neither colour nor escape codes', () => {
    const cmd = (env: string): string =>
      `env ${env} ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --root ${JSON.stringify(root)} metrics ${lr('0.1')} loss`;
    const run = (env: string): string => {
      const r = spawnSync('script', ['-q', '-e', '-c', cmd(env), '/dev/null'], { env: cleanEnv({ TERM: 'xterm' }), encoding: 'utf8' });
      expect(r.status).toBe(0);
      return r.stdout;
    };
    const tty = run('');
    expect(tty).toMatch(ANSI);
    expect(tty).toMatch(/[\u2801-\u28ff]/); // braille chart
    const plain = run('NO_COLOR=1');
    expect(plain).not.toMatch(ANSI);
    expect(plain).toMatch(/[\u2801-\u28ff]/);
  });
});

describe('experiments', () => {
  it('lists active experiments (human and JSON)', () => {
    const r = mlruns(['--root', root, 'experiments']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ID\s+NAME\s+STAGE\s+CREATED\s+ARTIFACT LOCATION\n/);
    expect(r.stdout).toMatch(new RegExp(`${store.experimentId}\\s+sweep\\s+active`));
    expect(r.stdout).not.toMatch(/trash-me/);
    const j = mlrunsJson(['--root', root, 'experiments', 'list', '--json']);
    expect(Object.keys(j)).toEqual(['experiments']);
    const sweep = j.experiments.find((e: { name: string }) => e.name === 'sweep');
    expect(sweep).toMatchObject({ experimentId: store.experimentId, lifecycleStage: 'active', tags: { team: 'vision' } });
    expect(Object.keys(sweep).sort()).toEqual(['artifactLocation', 'creationTime', 'experimentId', 'lastUpdateTime', 'lifecycleStage', 'name', 'tags']);
  });

  it('--view deleted and all', () => {
    const d = mlrunsJson(['--root', root, 'experiments', '--view', 'deleted', '--json']);
    expect(d.experiments.map((e: { name: string }) => e.name)).toEqual(['trash-me']);
    const a = mlrunsJson(['--root', root, 'experiments', '--view', 'all', '--json']);
    expect(a.experiments.map((e: { name: string }) => e.name).sort()).toEqual(['Default', 'sweep', 'trash-me']);
    expect(mlruns(['--root', root, 'experiments', '--view', 'deleted']).stdout).toMatch(/trash-me\s+deleted/);
  });

  it('create, rename, delete, restore; Python MLflow sees each change', () => {
    const r2 = copyStore(root);
    const created = mlrunsJson(['--root', r2, 'experiments', 'create', 'fresh', '--tag', 'a=1', '--json']);
    expect(created).toEqual({ experimentId: expect.any(String), name: 'fresh', created: true });
    const pyName = (id: string): string =>
      py(`import sys, mlflow\nc = mlflow.MlflowClient("file://" + sys.argv[1])\ne = c.get_experiment(sys.argv[2])\nprint(e.name, e.lifecycle_stage, e.tags.get("a"))`, [r2, id]).trim();
    expect(pyName(created.experimentId)).toBe('fresh active 1');

    const dup = mlruns(['--root', r2, 'experiments', 'create', 'fresh']);
    expect(dup.code).toBe(3);
    expect(dup.stderr).toBe("mlruns: error: Experiment 'fresh' already exists.\n");

    const ren = mlruns(['--root', r2, 'experiments', 'rename', 'fresh', 'renamed']);
    expect(ren.code).toBe(0);
    expect(ren.stdout).toBe(`Renamed experiment ${created.experimentId} from 'fresh' to 'renamed'\n`);
    expect(mlruns(['--root', r2, 'experiments', 'delete', created.experimentId]).stdout).toBe(
      `Deleted experiment 'renamed' (${created.experimentId})\n`,
    );
    expect(pyName(created.experimentId)).toBe('renamed deleted 1');
    expect(mlruns(['--root', r2, 'experiments', 'delete', 'renamed']).code).toBe(3);
    expect(mlrunsJson(['--root', r2, 'experiments', 'restore', 'renamed', '--json'])).toEqual({
      experimentId: created.experimentId,
      name: 'renamed',
      lifecycleStage: 'active',
    });
    expect(pyName(created.experimentId)).toBe('renamed active 1');
    expect(mlruns(['--root', r2, 'experiments', 'delete', 'no-such']).code).toBe(2);
  });

  it('writes create a root that does not exist (with the Default experiment)', () => {
    const fresh = path.join(tmpDir(), 'new-root');
    const r = mlruns(['--root', fresh, 'experiments', 'create', 'first']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Created experiment 'first' with id \d+\n$/);
    const names = py(`import sys, mlflow\nprint(sorted(e.name for e in mlflow.MlflowClient("file://" + sys.argv[1]).search_experiments()))`, [fresh]);
    expect(names.trim()).toBe("['Default', 'first']");
  });
});

describe('runs', () => {
  it('human table with default columns', () => {
    const r = mlruns(['--root', root, 'runs', '--experiment', 'sweep']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^run_id\s+run_name\s+status\s+start_time\s+duration\s+metrics\.acc\s+metrics\.loss\s+params\.lr\s+params\.model$/);
    expect(lines).toHaveLength(4);
    expect(r.stdout).toMatch(new RegExp(`${lr('0.01')}\\s+lr-0.01\\s+FINISHED`));
    expect(r.stdout).not.toMatch(/deleted-run/);
  });

  it('--json: { runs: Run[], truncated }', () => {
    const j = mlrunsJson(['--root', root, 'runs', '-e', store.experimentId, '--json']);
    expect(Object.keys(j).sort()).toEqual(['runs', 'truncated']);
    expect(j.truncated).toBe(false);
    expect(j.runs).toHaveLength(3);
    const run = j.runs.find((x: { info: { runId: string } }) => x.info.runId === lr('0.1'));
    expect(Object.keys(run).sort()).toEqual(['data', 'info', 'inputs', 'outputs']);
    expect(run.info).toMatchObject({ runName: 'lr-0.1', experimentId: store.experimentId, status: 'FINISHED', lifecycleStage: 'active' });
    expect(run.data.params).toEqual({ lr: '0.1', model: 'cnn' });
    expect(run.data.metrics).toEqual({ acc: 0.8, loss: 0.2 });
    expect(run.data.tags).toMatchObject({ kind: 'sweep', 'mlflow.runName': 'lr-0.1' });
    expect(run.inputs.datasetInputs[0].dataset).toMatchObject({ name: 'train', digest: 'abc123' });
  });

  it('--filter, repeated --order-by, --columns, --max', () => {
    const r = mlruns([
      '--root', root, 'runs', '-e', 'sweep', '--filter', "metrics.acc > 0.5 and params.lr != '0.5'",
      '--order-by', 'params.model ASC', '--order-by', 'metrics.acc DESC', '--columns', 'run_name,params.model,metrics.acc',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'run_name  params.model  metrics.acc\n' + 'lr-0.01   cnn                  0.95\n' + 'lr-0.1    cnn                   0.8\n' + 'lr-0.001  mlp                   0.9\n',
    );
    const m = mlruns(['--root', root, 'runs', '-e', 'sweep', '--order-by', 'metrics.acc DESC', '--max', '1', '-c', 'run_name']);
    expect(m.stdout).toBe('run_name\nlr-0.01\n');
    expect(m.stderr).toBe(''); // the count was asked for: no note (issue 19)
    const mj = mlrunsJson(['--root', root, 'runs', '--order-by', 'metrics.acc DESC', '--max', '1', '--json']);
    expect(mj.truncated).toBe(true);
    expect(mj.runs.map((x: { info: { runName: string } }) => x.info.runName)).toEqual(['lr-0.01']);
  });

  it('--format csv and markdown', () => {
    const args = ['--root', root, 'runs', '-e', 'sweep', '--order-by', 'params.lr ASC', '-c', 'run_id,params.lr,metrics.acc,tags.kind,attributes.status,start_time'];
    const csv = mlruns([...args, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('run_id,params.lr,metrics.acc,tags.kind,status,start_time');
    expect(rows[1]).toMatch(new RegExp(`^${lr('0.001')},0.001,0.9,sweep,FINISHED,\\d{13}$`));
    expect(rows).toHaveLength(4);
    const md = mlruns([...args.slice(0, -1), 'run_name,metrics.acc', '--format', 'markdown']);
    expect(md.stdout).toBe('| run_name | metrics.acc |\n| --- | ---: |\n| lr-0.001 | 0.9 |\n| lr-0.01 | 0.95 |\n| lr-0.1 | 0.8 |\n');
  });

  it('--view deleted shows deleted runs (also those of deleted experiments)', () => {
    const j = mlrunsJson(['--root', root, 'runs', '--view', 'deleted', '--json']);
    expect(j.runs.map((x: { info: { runId: string } }) => x.info.runId).sort()).toEqual([store.deletedRunId, store.doomedRunId].sort());
    const none = mlruns(['--root', root, 'runs', '--filter', 'metrics.acc > 2']);
    expect(none.stdout).toBe('No runs found\n');
  });

  it('an unknown experiment is not found (exit 2)', () => {
    const r = mlruns(['--root', root, 'runs', '-e', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlruns: error: no experiment with id or name 'nope'\n");
  });
});

describe('show', () => {
  it('human: attributes, params, latest metrics, tags, inputs, artifacts tree', () => {
    const r = mlruns(['--root', root, 'show', lr('0.1').slice(0, 8)]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(new RegExp(`^Run ${lr('0.1')}  lr-0.1\n`));
    expect(out).toMatch(new RegExp(`experiment\\s+sweep \\(${store.experimentId}\\)`));
    expect(out).toMatch(/status\s+FINISHED/);
    expect(out).toMatch(/Params \(2\)\n  lr\s+0\.1\n  model\s+cnn\n/);
    expect(out).toMatch(/Metrics \(latest\) \(2\)\n  acc\s+0\.8\n  loss\s+0\.2\n/);
    expect(out).toMatch(/Tags \(\d\)\n[\s\S]*kind\s+sweep/);
    expect(out).toMatch(/Inputs \(1\)\n  train\s+abc123\s+local\s+mlflow\.data\.context=training/);
    expect(out).toMatch(/Artifacts \(2\)\n  ├── model\/\n  │   └── config\.json  \d+ B\n  └── notes\/\n      └── hello\.txt  8 B\n/);
    expect(mlruns(['--root', root, 'show', lr('0.1'), '--no-system-tags']).stdout).not.toMatch(/mlflow\.runName/);
  });

  it('--json: { run, experiment, artifacts, artifactsTruncated }', () => {
    const j = mlrunsJson(['--root', root, 'show', lr('0.01'), '--json']);
    expect(Object.keys(j)).toEqual(['run', 'experiment', 'artifacts', 'artifactsTruncated']);
    expect(j.run.info.runId).toBe(lr('0.01'));
    expect(j.run.data.metrics).toEqual({ acc: 0.95, loss: 1 / 6 });
    expect(j.experiment).toEqual({ experimentId: store.experimentId, name: 'sweep' });
    expect(j.artifacts).toEqual([
      { path: 'model', isDir: true, fileSize: null },
      { path: 'model/config.json', isDir: false, fileSize: expect.any(Number) },
      { path: 'notes', isDir: true, fileSize: null },
      { path: 'notes/hello.txt', isDir: false, fileSize: 8 },
    ]);
    expect(j.artifactsTruncated).toBe(false);
  });

  it('an unknown id or prefix is not found (exit 2)', () => {
    const r = mlruns(['--root', root, 'show', 'zzzz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mlruns: error: run 'zzzz' not found in '${root}'\n`);
  });
});

describe('metrics', () => {
  it('history as a table, no chart in a pipe', () => {
    const r = mlruns(['--root', root, 'metrics', lr('0.1'), 'loss']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('loss (5 values)');
    expect(lines[1]).toMatch(/^\s+STEP\s+TIMESTAMP\s+VALUE$/);
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/).filter((_, i) => i !== 1 && i !== 2))).toEqual([
      ['0', '1.0'],
      ['1', '0.5'],
      ['2', '0.3333333333333333'],
      ['3', '0.25'],
      ['4', '0.2'],
    ]);
    expect(r.stdout).not.toMatch(/[\u2801-\u28ff]/);
  });

  it('--chart draws a line chart (braille) with the y range and x range', () => {
    const r = mlruns(['--root', root, 'metrics', lr('0.1'), 'loss', '--chart', '--no-table']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/[\u2801-\u28ff]/);
    expect(r.stdout).toMatch(/^\s*1 ┤/m);
    expect(r.stdout).toMatch(/^0\.2 ┤/m);
    expect(r.stdout).toMatch(/└─+\n\s+0\s+step\s+4\n/);
    expect(r.stdout).not.toMatch(/STEP/);
  });

  it('--json: { runId, metrics: { key: Metric[] } }; all metrics without keys', () => {
    const j = mlrunsJson(['--root', root, 'metrics', lr('0.1'), '--json']);
    expect(j.runId).toBe(lr('0.1'));
    expect(Object.keys(j.metrics)).toEqual(['acc', 'loss']);
    expect(j.metrics.acc).toEqual([{ key: 'acc', value: 0.8, timestamp: 1700000004000, step: 4 }]);
    expect(j.metrics.loss.map((m: { step: number }) => m.step)).toEqual([0, 1, 2, 3, 4]);
  });

  it('an unknown metric is not found (exit 2)', () => {
    const r = mlruns(['--root', root, 'metrics', lr('0.1'), 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mlruns: error: run ${lr('0.1')} has no metric 'nope' (it has: acc, loss)\n`);
  });
});

describe('compare', () => {
  it('human: side by side, differing rows marked', () => {
    const r = mlruns(['--root', root, 'compare', lr('0.1'), lr('0.01')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`lr-0.1 ${lr('0.1').slice(0, 8)}\\s+lr-0.01 ${lr('0.01').slice(0, 8)}`));
    expect(r.stdout).toMatch(/\* lr\s+0\.1\s+0\.01\n/);
    expect(r.stdout).toMatch(/\n {2}model\s+cnn\s+cnn\n/);
    expect(r.stdout).toMatch(/\* acc\s+0\.8\s+0\.95\n/);
    expect(r.stdout).toMatch(/3 of 4 values differ \(marked \*\)\n$/);
  });

  it('--json rows and --diff', () => {
    const j = mlrunsJson(['--root', root, 'compare', lr('0.1'), lr('0.01'), '--json']);
    expect(j.runs.map((x: { runId: string }) => x.runId)).toEqual([lr('0.1'), lr('0.01')]);
    expect(j.params).toEqual([
      { key: 'lr', values: ['0.1', '0.01'], differs: true },
      { key: 'model', values: ['cnn', 'cnn'], differs: false },
    ]);
    expect(j.metrics[0]).toEqual({ key: 'acc', values: [0.8, 0.95], differs: true });
    const d = mlrunsJson(['--root', root, 'compare', lr('0.1'), lr('0.01'), '--json', '--diff']);
    expect(d.params.map((p: { key: string }) => p.key)).toEqual(['lr']);
  });

  it('--format markdown bolds differences', () => {
    const r = mlruns(['--root', root, 'compare', lr('0.1'), lr('0.001'), '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\| {2}\| lr-0\.1 `[0-9a-f]{8}` \| lr-0\.001 `[0-9a-f]{8}` \|\n\| --- \| ---: \| ---: \|\n/);
    expect(r.stdout).toMatch(/\| \*\*params\.model\*\* \| \*\*cnn\*\* \| \*\*mlp\*\* \|\n/);
    expect(r.stdout).toMatch(/\| status \| FINISHED \| FINISHED \|\n/);
  });

  it('needs two runs', () => {
    expect(mlruns(['--root', root, 'compare', lr('0.1')]).code).toBe(1);
  });
});

describe('best', () => {
  it('--max (default) and --min', () => {
    const r = mlruns(['--root', root, 'best', '--experiment', 'sweep', '--metric', 'acc']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Best of 3 runs \(highest acc\)\n/);
    expect(r.stdout).toMatch(new RegExp(`run\\s+${lr('0.01')}\n`));
    expect(r.stdout).toMatch(/acc\s+0\.95\n/);
    expect(mlruns(['--root', root, 'best', '-e', 'sweep', '-m', 'loss', '--min', '--id']).stdout).toBe(`${lr('0.001')}\n`);
    expect(mlruns(['--root', root, 'best', '-e', 'sweep', '-m', 'acc', '--min', '--id']).stdout).toBe(`${lr('0.1')}\n`);
  });

  it('--filter and --json', () => {
    const j = mlrunsJson(['--root', root, 'best', '-e', 'sweep', '-m', 'acc', '--filter', "params.model = 'mlp'", '--json']);
    expect(j).toMatchObject({ metric: 'acc', value: 0.9, mode: 'max', candidates: 1 });
    expect(j.run.info.runId).toBe(lr('0.001'));
  });

  it('deleted runs are skipped unless --view asks for them; no candidate: exit 2', () => {
    expect(mlruns(['--root', root, 'best', '-e', 'sweep', '-m', 'acc', '--view', 'all', '--id']).stdout).toBe(`${store.deletedRunId}\n`);
    const r = mlruns(['--root', root, 'best', '-e', 'sweep', '-m', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mlruns: error: no active run in experiment 'sweep' has metric 'nope'\n");
  });
});

describe('artifacts', () => {
  it('ls (human, JSON, recursive)', () => {
    const r = mlruns(['--root', root, 'artifacts', 'ls', lr('0.1')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('SIZE  PATH\n      model/\n      notes/\n');
    const sub = mlruns(['--root', root, 'artifacts', 'ls', lr('0.1'), 'notes']);
    expect(sub.stdout).toBe('SIZE  PATH\n 8 B  notes/hello.txt\n');
    const j = mlrunsJson(['--root', root, 'artifacts', 'ls', lr('0.1'), '-r', '--json']);
    expect(j.runId).toBe(lr('0.1'));
    expect(j.artifacts.map((a: { path: string }) => a.path)).toEqual(['model', 'model/config.json', 'notes', 'notes/hello.txt']);
    const missing = mlruns(['--root', root, 'artifacts', 'ls', lr('0.1'), 'nope']);
    expect(missing.code).toBe(2);
  });

  it('get copies a file or folder (--out), prints where', () => {
    const out = tmpDir();
    const r = mlruns(['--root', root, 'artifacts', 'get', lr('0.01'), 'notes/hello.txt', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${path.join(out, 'hello.txt')}\n`);
    expect(fs.readFileSync(path.join(out, 'hello.txt'), 'utf8')).toBe('hello 1\n');
    const j = mlrunsJson(['--root', root, 'artifacts', 'get', lr('0.01'), 'model', '--out', out, '--json']);
    expect(j).toEqual({ runId: lr('0.01'), path: 'model', localPath: path.join(out, 'model') });
    expect(JSON.parse(fs.readFileSync(path.join(out, 'model', 'config.json'), 'utf8'))).toEqual({ layers: 1 });
    const bad = mlruns(['--root', root, 'artifacts', 'get', lr('0.01'), 'nope.txt', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`mlruns: error: no artifact 'nope.txt' in run ${lr('0.01')}\n`);
    const escape = mlruns(['--root', root, 'artifacts', 'get', lr('0.01'), '../../x', '--out', out]);
    expect(escape.code).toBe(1);
  });
});

describe('gc', () => {
  it('lists first, removes only with --yes; Python no longer sees them', () => {
    const r2 = copyStore(root);
    const list = mlruns(['--root', r2, 'gc']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^Would remove 2 runs\n/);
    expect(list.stdout).toMatch(new RegExp(`${store.deletedRunId}\\s+deleted-run`));
    expect(list.stdout).toMatch(new RegExp(`${store.doomedRunId}\\s+doomed`));
    expect(list.stdout).toMatch(new RegExp(`Would remove 1 experiment\n.*\n\\s+${store.trashExperimentId}\\s+trash-me`));
    expect(list.stdout).toMatch(/Nothing was removed\. Run again with --yes/);
    const dry = mlrunsJson(['--root', r2, 'gc', '--json']);
    expect(dry.dryRun).toBe(true);
    expect(dry.runs.map((x: { runId: string }) => x.runId).sort()).toEqual([store.deletedRunId, store.doomedRunId].sort());
    expect(dry.experiments).toEqual([{ experimentId: store.trashExperimentId, name: 'trash-me', lastUpdateTime: expect.any(Number) }]);
    expect(fs.existsSync(path.join(r2, store.experimentId, store.deletedRunId))).toBe(true);
    expect(fs.existsSync(path.join(r2, '.trash', store.trashExperimentId))).toBe(true);

    // Deleted just now: not older than 30 days.
    expect(mlruns(['--root', r2, 'gc', '--older-than', '30d']).stdout).toMatch(/^Nothing to remove/);
    // Only deleted runs can go.
    const active = mlruns(['--root', r2, 'gc', '--run-ids', lr('0.1'), '--yes']);
    expect(active.code).toBe(3);
    expect(active.stderr).toMatch(/^mlruns: error: run [0-9a-f]+ is not in the deleted lifecycle stage/);
    expect(mlruns(['--root', r2, 'gc', '--older-than', 'soon']).code).toBe(1);

    const yes = mlruns(['--root', r2, 'gc', '--yes']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/^Removed 2 runs\n/);
    expect(yes.stdout).not.toMatch(/Nothing was removed/);
    expect(fs.existsSync(path.join(r2, store.experimentId, store.deletedRunId))).toBe(false);
    expect(fs.existsSync(path.join(r2, '.trash', store.trashExperimentId))).toBe(false);

    const seen = JSON.parse(
      py(
        `import sys, json, mlflow
from mlflow.entities import ViewType
c = mlflow.MlflowClient("file://" + sys.argv[1])
def exists(run_id):
    try:
        c.get_run(run_id)
        return True
    except Exception:
        return False
print(json.dumps({
  "experiments": sorted(e.name for e in c.search_experiments(view_type=ViewType.ALL)),
  "runs": sorted(r.info.run_id for r in c.search_runs([sys.argv[2]], run_view_type=ViewType.ALL)),
  "deleted": exists(sys.argv[3]), "doomed": exists(sys.argv[4]),
}))`,
        [r2, store.experimentId, store.deletedRunId, store.doomedRunId],
      ),
    );
    expect(seen).toEqual({ experiments: ['Default', 'sweep'], runs: Object.values(store.runs).sort(), deleted: false, doomed: false });
    // The original store was not touched (the copy's artifact URIs point into it).
    expect(fs.existsSync(path.join(root, store.experimentId, store.deletedRunId, 'meta.yaml'))).toBe(true);
    expect(mlruns(['--root', r2, 'gc']).stdout).toMatch(/^Nothing to remove/);
  });

  it('--run-ids removes those runs (and, as mlflow gc, deleted experiments)', () => {
    const r2 = copyStore(root);
    const j = mlrunsJson(['--root', r2, 'gc', '--run-ids', store.deletedRunId, '--experiment-ids', store.trashExperimentId, '--yes', '--json']);
    expect(j.dryRun).toBe(false);
    expect(j.runs.map((x: { runId: string }) => x.runId).sort()).toEqual([store.deletedRunId, store.doomedRunId].sort());
    expect(fs.existsSync(path.join(r2, store.experimentId, store.deletedRunId))).toBe(false);
    const notDeleted = mlruns(['--root', r2, 'gc', '--experiment-ids', store.experimentId]);
    expect(notDeleted.code).toBe(3);
  });
});

describe('a store written by our MlflowClient', () => {
  it('is read by every read command', async () => {
    const r = path.join(tmpDir(), 'mlruns');
    const client = new MlflowClient(r);
    const exp = await client.createExperiment('ours');
    const ids: string[] = [];
    for (const [i, v] of [0.5, 0.7].entries()) {
      const run = await client.createRun(exp, { runName: `ours-${i}` });
      ids.push(run.info.runId);
      await client.logParam(run.info.runId, 'depth', i + 2);
      for (let s = 0; s < 3; s++) await client.logMetric(run.info.runId, 'score', v + s / 10, { step: s });
      await client.logText(run.info.runId, 'x', 'out/x.txt');
      await client.setTerminated(run.info.runId);
    }
    const runs = mlrunsJson(['--root', r, 'runs', '-e', 'ours', '--order-by', 'metrics.score DESC', '--json']);
    expect(runs.runs.map((x: { info: { runName: string } }) => x.info.runName)).toEqual(['ours-1', 'ours-0']);
    expect(mlruns(['--root', r, 'show', ids[0] as string]).stdout).toMatch(/depth\s+2/);
    expect(mlrunsJson(['--root', r, 'metrics', ids[1] as string, 'score', '--json']).metrics.score).toHaveLength(3);
    expect(mlruns(['--root', r, 'best', '-e', 'ours', '-m', 'score', '--id']).stdout).toBe(`${ids[1]}\n`);
    expect(mlruns(['--root', r, 'compare', ...ids]).stdout).toMatch(/\* depth\s+2\s+3/);
    expect(mlrunsJson(['--root', r, 'artifacts', 'ls', ids[0] as string, 'out', '--json']).artifacts).toEqual([
      { path: 'out/x.txt', isDir: false, fileSize: 1 },
    ]);
    // Values JSON cannot hold are strings.
    await client.logMetric(ids[0] as string, 'odd', NaN);
    await client.logMetric(ids[0] as string, 'big', Infinity);
    const shown = mlrunsJson(['--root', r, 'show', ids[0] as string, '--json']);
    expect(shown.run.data.metrics).toMatchObject({ odd: 'NaN', big: 'Infinity' });
    expect(mlruns(['--root', r, 'show', ids[0] as string]).stdout).toMatch(/big\s+inf\n[\s\S]*odd\s+nan\n/);
    expect(mlruns(['--root', r, 'metrics', ids[1] as string, 'score', '--format', 'csv']).stdout).toBe(
      'key,step,timestamp,value\n' +
        (await client.getMetricHistory(ids[1] as string, 'score')).map((m) => `score,${m.step},${m.timestamp},${m.value === 0.7 ? '0.7' : m.value}`).join('\n') +
        '\n',
    );
  });
});

describe('fixtures made by real MLflow versions', () => {
  const fixtures = listFixtures().map((f) => f.name);
  it('finds the fixtures', () => expect(fixtures.length).toBe(3));
  it.each(fixtures)('%s: experiments, runs and show work', (name) => {
    // A copy with the empty folders git drops recreated (MLflow 3.8+ and we need them for get_run).
    const r = copyFixture(listFixtures().find((f) => f.name === name) as Fixture);
    const exps = mlrunsJson(['--root', r, 'experiments', '--view', 'all', '--json']);
    expect(exps.experiments.length).toBeGreaterThan(0);
    const runs = mlrunsJson(['--root', r, 'runs', '--view', 'all', '--json', '--max', '50']);
    for (const run of runs.runs.slice(0, 5)) {
      const shown = mlruns(['--root', r, 'show', run.info.runId]);
      expect(shown.code).toBe(0);
    }
    expect(mlruns(['--root', r, 'runs', '--view', 'all']).code).toBe(0);
  });
});

