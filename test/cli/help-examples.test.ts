/**
 * Every `$ mlruns ...` example of every command's `--help` runs, as a user would paste it into a
 * shell (pipes, `$(...)` and redirections included), on a store that has what the examples name
 * (experiment `sweep`, runs, metrics `loss`/`acc`, model `iris`...). Placeholder ids (`3f2a`,
 * `9b1c`, `77de`...) are replaced by real ones; each example gets a fresh copy of the store.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, REPO, build, cleanEnv, mlruns, py, pyFile, tmpDir } from './helpers.js';
import { startMlflowServer } from '../rest/server.js';
import type { MlflowServer } from '../rest/server.js';

// ~100 examples, each starting Node (and some Python): minutes on a loaded 2-core machine; each
// example is still killed after 120 s on its own.
vi.setConfig({ testTimeout: 900_000 });

/** The `--help` text of every command path, from the root's help down. */
function commandHelps(): string[] {
  const out: string[] = [];
  const visit = (p: string[]): void => {
    const help = mlruns([...p, '--help']).stdout;
    out.push(help);
    const section = help.split(/\nCommands:\n/)[1];
    if (!section) return;
    for (const line of section.split('\n\n')[0]?.split('\n') ?? []) {
      const name = /^ {2}([a-z][\w-]*)/.exec(line)?.[1];
      if (name && name !== 'help') visit([...p, name]);
    }
  };
  visit([]);
  return out;
}

let base: string;
/** A real `mlflow server` (3.17.2, SQLite) for the push/pull examples. */
let server: MlflowServer | undefined;
let examples: string[] = [];
let ids: { a: string; b: string; c: string; deleted: string; exp: string };

beforeAll(async () => {
  build();
  base = tmpDir('mlruns-help-');
  const root = path.join(base, 'mlruns');
  const store = JSON.parse(pyFile(path.join(REPO, 'test/cli/make_store.py'), [root])) as { experimentId: string; runs: Record<string, string>; deletedRunId: string };
  ids = { a: store.runs['lr-0.1'] as string, b: store.runs['lr-0.01'] as string, c: store.runs['lr-0.001'] as string, deleted: store.deletedRunId, exp: store.experimentId };
  // A model folder in run a, registered three times as 'iris'; an experiment 'baseline'.
  py(
    `
import sys, mlflow
c = mlflow.MlflowClient('file://' + sys.argv[1])
c.log_text(sys.argv[2], 'artifact_path: model\\nflavors: {}\\n', 'model/MLmodel')
for _ in range(3):
    mlflow.set_tracking_uri('file://' + sys.argv[1])
    mlflow.register_model('runs:/%s/model' % sys.argv[2], 'iris')
c.create_experiment('baseline')
`,
    [root, ids.a],
  );
  fs.cpSync(root, path.join(base, 'other', 'mlruns'), { recursive: true });
  fs.writeFileSync(path.join(base, 'train.py'), 'import sys\nprint("training", sys.argv[1:])\n');
  fs.writeFileSync(path.join(base, 'data.csv'), 'a,b\n1,2\n');
  fs.writeFileSync(
    path.join(base, 'MLproject'),
    'name: demo\nentry_points:\n  main:\n    parameters:\n      alpha: {type: float, default: 0.1}\n      l1_ratio: {type: float, default: 0.5}\n    command: "python train.py {alpha} {l1_ratio}"\n',
  );
  fs.mkdirSync(path.join(base, 'examples', 'wine'), { recursive: true });
  fs.writeFileSync(path.join(base, 'examples', 'wine', 'data.csv'), 'a,b\n1,2\n');
  fs.writeFileSync(
    path.join(base, 'examples', 'wine', 'MLproject'),
    'name: wine\nentry_points:\n  validate:\n    parameters:\n      data: {type: path}\n    command: "python -c \\"import sys; print(open(sys.argv[1]).read())\\" {data}"\n',
  );
  // A `mlruns` command on PATH for the examples' pipes and $(...).
  fs.mkdirSync(path.join(base, '.bin'));
  fs.writeFileSync(path.join(base, '.bin', 'mlruns'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`, { mode: 0o755 });
  const seen = new Set<string>();
  for (const help of commandHelps()) {
    for (const m of help.matchAll(/^ {2}\$ (mlruns .*)$/gm)) {
      const line = (m[1] as string).replace(/\s+# .*$/, '').trim();
      if (!seen.has(line)) {
        seen.add(line);
        examples.push(line);
      }
    }
  }
  // push/pull name a tracking server: they run against a real one, in the order the help gives
  // them (push, then a dry run, then pull), after the other examples.
  if (examples.some(isServerExample)) server = await startMlflowServer({ backend: 'sqlite' });
});

afterAll(async () => {
  await server?.stop();
});

function isServerExample(line: string): boolean {
  return / (push|pull) /.test(line);
}

/** What an example needs done first, and the exit codes it may end with. */
function prepare(line: string): { before: string[]; codes: number[]; empty?: boolean; timeout?: number; env?: Record<string, string> } {
  if (/ watch/.test(line)) return { before: [], codes: [124], timeout: 6 };
  // migrate from a database: the folder store made into one first.
  if (/ migrate --from sqlite:/.test(line)) return { before: ['mlruns migrate --from ./mlruns --to sqlite:///mlflow.db'], codes: [0] };
  if (/experiments create/.test(line)) return { before: [], codes: [0], empty: true };
  if (/experiments restore/.test(line)) return { before: [`mlruns experiments delete ${ids.exp}`], codes: [0] };
  if (/runs restore/.test(line)) return { before: [`mlruns runs delete ${ids.a}`], codes: [0] };
  if (/tag delete -e sweep owner/.test(line)) return { before: ['mlruns tag set -e sweep owner=x'], codes: [0] };
  if (/tag delete .* stage/.test(line)) return { before: [`mlruns tag set ${ids.a} stage=x`], codes: [0] };
  if (/models alias delete/.test(line)) return { before: ['mlruns models alias set iris champion 1'], codes: [0] };
  if (/ doctor/.test(line)) return { before: [], codes: [0, 4] };
  return { before: [], codes: [0] };
}

function substitute(line: string): string {
  return line
    .replace(/\b3f2a[0-9a-f]*…?/g, ids.a)
    .replace(/\b9b1c[0-9a-f]*…?/g, ids.b)
    .replace(/\b77de[0-9a-f]*…?/g, ids.c)
    .replace(/a1b2,c3d4/g, ids.deleted)
    .replace(/\b1234567890\b/g, ids.exp)
    .replace(/models:\/m-1a2b…/g, 'models:/iris/1')
    .replace(/\bval_loss\b/g, 'loss')
    .replace(/ accuracy\b/g, ' acc')
    .replace(/https?:\/\/(127\.0\.0\.1:5000|mlflow\.example\.com)/g, () => server?.url ?? 'http://no-server.invalid');
}

/** Examples run at once (each in its own folder). */
const EXAMPLE_LANES = 3;

/** Runs a command to its end (killed after 120 s), collecting stderr; stdout is discarded. */
function shell(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

describe('the --help examples', () => {
  it('there are examples in every command', () => {
    expect(examples.length).toBeGreaterThan(60);
  });

  it('each runs as written (placeholders replaced) and succeeds', async () => {
    const failures: string[] = [];
    // Each example has its own copy of the store, so they run side by side (most of an example's
    // time is Node and Python starting): failures are collected in the examples' order.
    const results: string[][] = examples.map(() => []);
    const runOne = async (original: string, out: string[]): Promise<void> => {
      const line = substitute(original);
      const { before, codes, empty, timeout, env: extraEnv } = prepare(line);
      const cwd = tmpDir('mlruns-ex-');
      if (!empty) fs.cpSync(base, cwd, { recursive: true });
      else fs.cpSync(path.join(base, '.bin'), path.join(cwd, '.bin'), { recursive: true });
      const env = cleanEnv({ PATH: `${path.join(base, '.bin')}${path.delimiter}${cleanEnv()['PATH'] ?? ''}`, MLRUNS_CATALOG_DIR: path.join(cwd, '.catalogs'), ...extraEnv });
      for (const b of before) {
        const r = await shell('sh', ['-c', b], cwd, env);
        if (r.status !== 0) out.push(`setup '${b}' for '${original}': exit ${r.status}: ${r.stderr}`);
      }
      const cmd = timeout ? `timeout -s INT ${timeout} sh -c ${JSON.stringify(line)}` : line;
      const r = await shell('bash', ['-c', `set -o pipefail; ${cmd}`], cwd, env);
      if (!codes.includes(r.status ?? -1)) out.push(`'${original}' (as '${line}'): exit ${r.status}\n${r.stderr}`);
      if (timeout && !/watching /.test(r.stderr)) out.push(`'${original}': did not start watching: ${r.stderr}`);
      fs.rmSync(cwd, { recursive: true, force: true });
    };
    // push/pull share one server (a second push finds the first's copies by their source tags):
    // they run one after the other, after the rest.
    const lanes = examples.map((_, i) => i).filter((i) => !isServerExample(examples[i] as string));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < lanes.length) {
        const i = lanes[next++] as number;
        await runOne(examples[i] as string, results[i] as string[]);
      }
    };
    await Promise.all(Array.from({ length: EXAMPLE_LANES }, lane));
    for (let i = 0; i < examples.length; i++) if (isServerExample(examples[i] as string)) await runOne(examples[i] as string, results[i] as string[]);
    for (const r of results) failures.push(...r);
    expect(failures).toEqual([]);
  });
});
