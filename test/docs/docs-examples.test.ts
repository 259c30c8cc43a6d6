/**
 * The examples of docs/*.md run as written: every TypeScript block (imports of `mlruns` and
 * `mlruns/<entry>` point at the sources; the blocks of one page run in order, in one folder, as
 * a reader follows the page) and every shell example that shows its output (`$ mlruns ...`
 * followed by what it prints), whose output must match.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, PYTHON, REPO, build, cleanEnv } from '../cli/helpers.js';

vi.setConfig({ testTimeout: 300_000 });

const here = path.dirname(fileURLToPath(import.meta.url));
const docsDir = path.join(REPO, 'docs');
const pages = fs.readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-docs-'));
const scratch = path.join(here, '.docs-blocks');

/** `mlruns` and `mlruns/<entry>` (package.json exports) as paths to the sources. */
function entryPoints(): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, { import?: string } | string> };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pkg.exports)) {
    if (typeof v !== 'object' || !v.import) continue;
    const name = k === '.' ? 'mlruns' : `mlruns/${k.slice(2)}`;
    out[name] = path.join(REPO, v.import.replace(/^\.\/dist\//, 'src/'));
  }
  return out;
}

beforeAll(() => build());
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
});

const tsBlocks = pages.flatMap((page) =>
  [...fs.readFileSync(path.join(docsDir, page), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => [page, i, m[1] as string] as const),
);

describe('TypeScript examples of docs/*.md', () => {
  it('there are some, and each imports mlruns', () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(2);
    for (const [page, i, code] of tsBlocks) expect(code, `${page} block ${i}`).toMatch(/from 'mlruns(\/\w+)?'/);
  });

  it.each(tsBlocks)('%s example %i runs', async (page, i, code) => {
    const cwd = path.join(work, page.replace(/\.md$/, ''));
    fs.mkdirSync(cwd, { recursive: true });
    fs.mkdirSync(scratch, { recursive: true });
    const entries = entryPoints();
    const src = code.replace(/from '(mlruns(?:\/\w+)?)'/g, (_m, name: string) => {
      const target = entries[name];
      if (!target) throw new Error(`${page}: unknown entry point ${name}`);
      return `from '${path.relative(scratch, target).split(path.sep).join('/')}'`;
    });
    const file = path.join(scratch, `${page}-${i}.ts`);
    fs.writeFileSync(file, `${src}\nexport {};\n`);
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      await import(file);
    } finally {
      process.chdir(prev);
    }
  });

  it('what the models.md examples logged is read by Python MLflow 3', () => {
    const root = path.join(work, 'models', 'mlruns');
    const r = spawnSync(
      PYTHON,
      ['-c', "import sys, mlflow\nc = mlflow.MlflowClient('file://' + sys.argv[1])\nmv = c.get_model_version_by_alias('linear', 'champion')\nprint(mv.version, mv.model_id is not None)", root],
      { env: cleanEnv(), encoding: 'utf8' },
    );
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(r.stdout.trim()).toBe('1 True');
  });
});

/** `$ mlruns ...` lines followed by their output, from the text blocks of the docs. */
const shellExamples = pages.flatMap((page) =>
  [...fs.readFileSync(path.join(docsDir, page), 'utf8').matchAll(/```(?:sh|shell|console)?\n(\$ mlruns [^\n]*)\n([\s\S]*?)```/g)].map(
    (m) => [page, (m[1] as string).slice(2), m[2] as string] as const,
  ),
);

describe('shell examples of docs/*.md that show their output', () => {
  it('there are some', () => {
    expect(shellExamples.length).toBeGreaterThanOrEqual(1);
  });

  it.each(shellExamples)('%s: %s', (_page, command, expected) => {
    // A store with the experiment and params the examples talk about, written by Python MLflow.
    const cwd = fs.mkdtempSync(path.join(work, 'sh-'));
    const py = spawnSync(
      PYTHON,
      ['-c', "import mlflow\nc = mlflow.MlflowClient('file:./mlruns')\ne = c.create_experiment('sweep')\nr = c.create_run(e)\nc.log_param(r.info.run_id, 'lr', 0.1)\nc.log_metric(r.info.run_id, 'acc', 0.9)"],
      { cwd, env: cleanEnv(), encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const args = (command.slice('mlruns '.length).match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((a) => a.replace(/^(["'])(.*)\1$/, '$2'));
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe(expected);
  });
});

describe('the README example runs twice in one folder', () => {
  it('get-or-create: the second run logs a second run into the same experiment', async () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((b) => b.includes('new MlflowClient(')) as string;
    expect(block).toBeDefined();
    const cwd = path.join(work, 'readme-twice');
    fs.mkdirSync(cwd, { recursive: true });
    fs.mkdirSync(scratch, { recursive: true });
    const src = block.replace(/from 'mlruns'/g, `from '${path.relative(scratch, path.join(REPO, 'src/index.js')).split(path.sep).join('/')}'`);
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      for (const n of [1, 2]) {
        const file = path.join(scratch, `readme-twice-${n}.ts`);
        fs.writeFileSync(file, `${src}\nexport {};\n`);
        await import(file);
      }
    } finally {
      process.chdir(prev);
    }
    const r = spawnSync(
      PYTHON,
      ['-c', "import mlflow\nc = mlflow.MlflowClient('file:./mlruns')\ne = c.get_experiment_by_name('sweep')\nprint(len(c.search_runs([e.experiment_id])))"],
      { cwd, env: cleanEnv(), encoding: 'utf8' },
    );
    expect(r.stdout.trim()).toBe('2');
  });
});
