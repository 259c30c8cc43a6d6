/**
 * `mlruns run`: Python MLflow inside the child logs into the wrapped run; exit status, logs,
 * git commit, MLproject entry points with typed parameters, Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { BIN, build, isAlive, mlruns, mlrunsAsync, mlrunsJson, tmpDir, waitForOutput } from './helpers.js';

let work: string;
let root: string;

const TRAIN = `
import sys, mlflow
with mlflow.start_run() as run:
    mlflow.log_param("alpha", sys.argv[1])
    for i in range(3):
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
    print("inside", run.info.run_id)
    print("a warning", file=sys.stderr)
`;

function git(args: string[]): string {
  const r = spawnSync('git', args, {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

async function onlyRun(experiment: string): Promise<string> {
  const j = mlrunsJson(['--root', root, 'runs', '-e', experiment, '--view', 'all', '--json']);
  expect(j.runs).toHaveLength(1);
  return j.runs[0].info.runId as string;
}

beforeAll(() => {
  build();
  work = tmpDir('mlruns-cli-run-');
  root = path.join(work, 'mlruns');
  fs.writeFileSync(path.join(work, 'train.py'), TRAIN);
  fs.writeFileSync(path.join(work, 'fail.py'), 'import sys\nprint("bye")\nsys.exit(3)\n');
  fs.writeFileSync(path.join(work, 'sleeper.py'), 'import os, time\nprint("child pid", os.getpid(), flush=True)\ntime.sleep(600)\n');
  fs.writeFileSync(path.join(work, '.gitignore'), 'mlruns/\n');
  git(['init', '-q']);
  git(['add', '.']);
  git(['commit', '-q', '-m', 'init']);
});

describe('mlruns run -- COMMAND', () => {
  it('a Python script logs into the wrapped run; logs, status, git commit recorded', async () => {
    const r = mlruns(['--root', root, 'run', '--experiment', 'wrapped', '--run-name', 'w1', '--tag', 'who=test', '--', 'python', 'train.py', '0.5'], {
      cwd: work,
    });
    expect(r.code, r.stderr).toBe(0);
    const runId = await onlyRun('wrapped');
    expect(r.stdout).toContain(`inside ${runId}\n`);
    expect(r.stderr).toContain('a warning\n');
    expect(r.stderr).toMatch(new RegExp(`mlruns: run ${runId} \\(w1\\) in experiment \\d+: python train.py 0.5\n`));
    expect(r.stderr).toMatch(new RegExp(`mlruns: run ${runId} FINISHED in .* \\(exit 0\\)\n$`));

    const client = new MlflowClient(root);
    const run = await client.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.runName).toBe('w1');
    expect(run.info.endTime).not.toBeNull();
    expect(run.info.endTime as number).toBeGreaterThanOrEqual(run.info.startTime as number);
    expect(run.data.params).toEqual({ alpha: '0.5' });
    expect((await client.getMetricHistory(runId, 'loss')).map((m) => m.value)).toEqual([1, 0.5, 1 / 3]);
    expect(run.data.tags).toMatchObject({
      who: 'test',
      'mlflow.source.type': 'LOCAL',
      'mlflow.source.name': 'python train.py 0.5',
      'mlflow.source.git.commit': git(['rev-parse', 'HEAD']),
      'mlruns.command': 'python train.py 0.5',
      'mlruns.exitCode': '0',
    });
    const exp = await client.getExperiment(run.info.experimentId);
    expect(exp.name).toBe('wrapped');
    expect(fs.readFileSync(await client.downloadArtifacts(runId, 'stdout.txt'), 'utf8')).toBe(`inside ${runId}\n`);
    expect(fs.readFileSync(await client.downloadArtifacts(runId, 'stderr.txt'), 'utf8')).toContain('a warning\n');
  });

  it('a failing command: run FAILED, mlruns exits with its code', async () => {
    const r = mlruns(['--root', root, 'run', '--experiment', 'failing', '-q', '--', 'python', 'fail.py'], { cwd: work });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    const client = new MlflowClient(root);
    const run = await client.getRun(await onlyRun('failing'));
    expect(run.info.status).toBe('FAILED');
    expect(run.data.tags['mlruns.exitCode']).toBe('3');
  });

  it('a command that does not exist: exit 127, run FAILED', async () => {
    const r = mlruns(['--root', root, 'run', '--experiment', 'missing-cmd', '--', 'no-such-program-xyz'], { cwd: work });
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/mlruns: error: cannot start 'no-such-program-xyz'/);
    const client = new MlflowClient(root);
    expect((await client.getRun(await onlyRun('missing-cmd'))).info.status).toBe('FAILED');
  });

  it('nothing to run is a usage error', () => {
    const r = mlruns(['--root', root, 'run'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mlruns: error: nothing to run: give a command after --/);
  });

  it('a nested mlruns run records its parent run', async () => {
    const r = mlruns(
      ['--root', root, 'run', '--experiment', 'nested', '--run-name', 'outer', '--', process.execPath, BIN, '--root', root, 'run', '--experiment', 'nested', '--run-name', 'inner', '--', 'python', '-c', 'pass'],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = mlrunsJson(['--root', root, 'runs', '-e', 'nested', '--json']);
    const byName = Object.fromEntries(j.runs.map((x: { info: { runName: string } }) => [x.info.runName, x]));
    expect(byName.inner.data.tags['mlflow.parentRunId']).toBe(byName.outer.info.runId);
    expect(byName.outer.data.tags['mlflow.parentRunId']).toBeUndefined();
    expect(byName.inner.info.status).toBe('FINISHED');
  });

  it('Ctrl-C: forwarded to the child, child gone, run KILLED, exit 130', async () => {
    const child = mlrunsAsync(['--root', root, 'run', '--experiment', 'interrupted', '--', 'python', 'sleeper.py'], { cwd: work });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const printed = await waitForOutput(child.stdout as NodeJS.ReadableStream, /child pid (\d+)\n/);
    const pid = Number(/child pid (\d+)/.exec(printed)?.[1]);
    expect(isAlive(pid)).toBe(true);
    child.kill('SIGINT');
    const { code } = await exited;
    expect(code).toBe(130);
    expect(isAlive(pid)).toBe(false);
    expect(stderr).toMatch(/KILLED .*\(signal SIGINT\)/);
    const client = new MlflowClient(root);
    const run = await client.getRun(await onlyRun('interrupted'));
    expect(run.info.status).toBe('KILLED');
    expect(run.info.endTime).not.toBeNull();
    expect(run.data.tags['mlruns.signal']).toBe('SIGINT');
  });
});

describe('mlruns run with an MLproject', () => {
  let proj: string;
  beforeAll(() => {
    proj = path.join(work, 'proj');
    fs.mkdirSync(proj);
    fs.writeFileSync(
      path.join(proj, 'MLproject'),
      `name: demo
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      epochs: {type: int, default: 3}
      label: {type: string, default: "a b"}
      data: path
    command: "python train.py --alpha {alpha} --epochs {epochs} --label {label} --data {data}"
  check:
    parameters:
      source: uri
    command: "python -c 'import sys; print(sys.argv[1:])' {source}"
`,
    );
    fs.writeFileSync(
      path.join(proj, 'train.py'),
      `import json, sys, mlflow
with mlflow.start_run() as run:
    mlflow.log_metric("argc", len(sys.argv) - 1)
    print(json.dumps(sys.argv[1:]))
`,
    );
    fs.writeFileSync(path.join(proj, 'data.csv'), 'x\n');
  });

  it('resolves the entry point, typed parameters with defaults, extra params; logs params as MLflow does', async () => {
    const r = mlruns(['--root', root, 'run', '--experiment', 'project', '-P', 'data=data.csv', '-P', 'alpha=0.1', '-P', 'extra=7'], { cwd: proj });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() as string)).toEqual([
      '--alpha', '0.1', '--epochs', '3', '--label', 'a b', '--data', path.join(proj, 'data.csv'), '--extra', '7',
    ]);
    expect(r.stderr).toMatch(/ignoring python_env: using the local environment/);
    const client = new MlflowClient(root);
    const run = await client.getRun(await onlyRun('project'));
    expect(run.info.status).toBe('FINISHED');
    // As mlflow run logs them: declared params (shell-quoted, path as given), then extras.
    expect(run.data.params).toEqual({ alpha: '0.1', epochs: '3', label: "'a b'", data: 'data.csv', extra: '7' });
    expect(run.data.metrics).toEqual({ argc: 10 });
    expect(run.data.tags).toMatchObject({
      'mlflow.source.type': 'PROJECT',
      'mlflow.project.entryPoint': 'main',
      // As MLflow names a project inside a git repository.
      'mlflow.source.name': `file://${fs.realpathSync(work)}#proj`,
      'mlflow.source.git.commit': git(['rev-parse', 'HEAD']),
    });
  });

  it('a bad -P type, a missing parameter, a missing path, a bad uri, an unknown entry point: exit 1, no run created', () => {
    const cases: [string[], RegExp][] = [
      [['-P', 'data=data.csv', '-P', 'alpha=abc'], /^mlruns: error: parameter 'alpha' of type float got invalid value 'abc'\n$/],
      [['-P', 'data=data.csv', '-P', 'epochs=1.5'], /^mlruns: error: parameter 'epochs' of type int got invalid value '1.5'\n$/],
      [[], /^mlruns: error: no value given for missing parameters: 'data'\n$/],
      [['-P', 'data=nope.csv'], /^mlruns: error: got value nope.csv for parameter data, but no such file or directory was found\n$/],
      [['-e', 'check', '-P', 'source=plain'], /^mlruns: error: expected URI for parameter source but got plain\n$/],
      [['-e', 'nope'], /^mlruns: error: could not find nope among entry points \['main', 'check'\]/],
    ];
    for (const [args, message] of cases) {
      const r = mlruns(['--root', root, 'run', '--experiment', 'bad-params', ...args], { cwd: proj });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(mlruns(['--root', root, 'runs', '-e', 'bad-params']).code).toBe(2); // experiment never created
  });

  it('-e with a .py script runs it as MLflow does; --project-dir', async () => {
    const r = mlruns(['--root', root, 'run', '--experiment', 'script', '--project-dir', proj, '-e', 'train.py', '-P', 'k=v'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual(['--k', 'v']);
    const client = new MlflowClient(root);
    const run = await client.getRun(await onlyRun('script'));
    expect(run.data.params).toEqual({ k: 'v' });
    expect(run.data.tags['mlflow.project.entryPoint']).toBe('train.py');
  });

  it("runs the command in the environment it is given: no ~/.bashrc, even where bash would read one (a socket for stdin, a top-level shell)", () => {
    // Node gives mlruns (and mlruns its child) a socket for a piped stdin; bash with SHLVL unset
    // then takes itself for an sshd-started shell and runs ~/.bashrc before `-c`.
    const home = tmpDir('mlruns-cli-home-');
    fs.writeFileSync(path.join(home, '.bashrc'), 'export MLRUNS_RC_MARKER=from-bashrc\nexport PATH=/nowhere:$PATH\n');
    const p2 = path.join(home, 'proj');
    fs.mkdirSync(p2);
    fs.writeFileSync(path.join(p2, 'MLproject'), 'name: rc\nentry_points:\n  main:\n    command: "echo marker=$MLRUNS_RC_MARKER path=$PATH"\n');
    const r = mlruns(['--root', root, 'run', '--experiment', 'rc'], { cwd: p2, env: { HOME: home, SHLVL: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/marker= path=/);
    expect(r.stdout).not.toContain('/nowhere');
    fs.rmSync(home, { recursive: true, force: true });
  });
});
