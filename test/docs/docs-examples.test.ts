/**
 * The examples of docs/*.md run as written: every TypeScript block (imports of `mlruns` and
 * `mlruns/<entry>` point at the sources; the blocks of one page run in order, in one folder, as
 * a reader follows the page) and every shell example that shows its output (`$ mlruns ...`
 * followed by what it prints), whose output must match.
 *
 * What a page's examples assume is made real before its first block ({@link PAGE_SETUP}):
 * rest.md gets a real `mlflow server` (MLflow 3.17.2, `.oracle/mlflow-3-full`, SQLite backend,
 * a free port): the docs' placeholder URL `http://127.0.0.1:5000` is replaced by the server's,
 * and `MLFLOW_TRACKING_URI` is set to it while the page's blocks run; serve.md gets
 * `models:/iris@champion` (an ONNX model of 4 inputs built by the `onnx` package, logged and
 * registered in the page's `./mlruns`) and a `big.csv`; ui.md and architecture.md a `./mlruns`.
 * A block whose first line is `// test/<path>.ts` is a repository file shown as it is: it must
 * be that file's code word for word (the test suite runs the file itself).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, PYTHON, REPO, build, cleanEnv } from '../cli/helpers.js';
import { startMlflowServer } from '../rest/server.js';
import type { MlflowServer } from '../rest/server.js';
import { BUILD_ONNX_PY, pyFull } from '../serve/helpers.js';
import { MlflowClient } from '../../src/index.js';
import { logModel } from '../../src/models/index.js';
import { setTrackingUri } from '../../src/tracking/fluent.js';
import { warmPythonSync } from '../oracle/zygote.js';

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

/** What a page's examples need, made before its first block runs (in the page's folder). */
interface PageSetup {
  before(cwd: string): Promise<void>;
  /** Rewrites a block before it runs (a placeholder the page uses). */
  rewrite?(code: string): string;
  /** Environment set while the page's blocks run. */
  env?(): Record<string, string>;
}

/** The tracking server of rest.md (stopped after the suite). */
let server: MlflowServer | undefined;
/** The URL rest.md writes for a tracking server. */
const DOCS_SERVER_URL = 'http://127.0.0.1:5000';

/** A `./mlruns` with one experiment and run, written by this library. */
async function smallStore(cwd: string): Promise<void> {
  const client = new MlflowClient(path.join(cwd, 'mlruns'));
  const exp = await client.createExperiment('sweep');
  const run = await client.createRun(exp, { runName: 'lr-0.1' });
  await client.logMetric(run.info.runId, 'loss', 0.25, { step: 1 });
  client.close();
}

const PAGE_SETUP: Record<string, PageSetup> = {
  'architecture.md': { before: async () => undefined },
  'rest.md': {
    async before() {
      server = await startMlflowServer({ version: '3', backend: 'sqlite' });
      // A tracking URI an earlier page's fluent block set would win over MLFLOW_TRACKING_URI.
      setTrackingUri(null);
    },
    rewrite: (code) => code.split(DOCS_SERVER_URL).join((server as MlflowServer).url),
    env: () => ({ MLFLOW_TRACKING_URI: (server as MlflowServer).url }),
  },
  'serve.md': {
    async before(cwd) {
      // models:/iris@champion: y = x·w + b over 4 inputs, an ONNX graph the onnx package builds.
      const onnxFile = path.join(cwd, 'iris.onnx');
      pyFull(
        cwd,
        `${BUILD_ONNX_PY}
W = numpy_helper.from_array(np.array([[0.1], [0.2], [0.3], [0.4]], dtype=np.float32), 'W')
B = numpy_helper.from_array(np.array([0.0], dtype=np.float32), 'B')
X = helper.make_tensor_value_info('x', TensorProto.FLOAT, [None, 4])
Y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [None, 1])
g = helper.make_graph([helper.make_node('MatMul', ['x', 'W'], ['xw']), helper.make_node('Add', ['xw', 'B'], ['y'])], 'iris', [X], [Y], [W, B])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]); m.ir_version = 8
onnx.checker.check_model(m)
onnx.save(m, ${JSON.stringify(onnxFile)})
result = True`,
      );
      const client = new MlflowClient(path.join(cwd, 'mlruns'));
      const run = await client.createRun('0');
      const signature = {
        inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]',
        outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
      };
      await logModel(client, run.info.runId, { name: 'iris', flavor: 'onnx', path: onnxFile, signature, registeredModelName: 'iris' });
      await client.setRegisteredModelAlias('iris', 'champion', '1');
      client.close();
      const rows = Array.from({ length: 50 }, (_, i) => `${i},${5 + (i % 3) / 10},3.5,1.4,0.2`);
      fs.writeFileSync(path.join(cwd, 'big.csv'), `id,sepal_length,sepal_width,petal_length,petal_width\n${rows.join('\n')}\n`);
    },
  },
  'ui.md': { before: smallStore },
};

beforeAll(() => build());
afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
});

const allTsBlocks = pages.flatMap((page) =>
  [...fs.readFileSync(path.join(docsDir, page), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => [page, i, m[1] as string] as const),
);
/** `// test/<path>.ts` on the first line: a repository file shown as it is. */
const FILE_BLOCK = /^\/\/ (test\/[\w/.-]+\.ts)\n/;
const tsBlocks = allTsBlocks.filter(([, , code]) => !FILE_BLOCK.test(code));
const fileBlocks = allTsBlocks.filter(([, , code]) => FILE_BLOCK.test(code));

describe('TypeScript examples of docs/*.md', () => {
  it('there are some, and each imports mlruns', () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(2);
    for (const [page, i, code] of tsBlocks) expect(code, `${page} block ${i}`).toMatch(/from 'mlruns(\/\w+)?'/);
  });

  it('no page hides an example from this test (every TypeScript block is fenced ts)', () => {
    for (const page of pages) expect(fs.readFileSync(path.join(docsDir, page), 'utf8'), page).not.toMatch(/```(typescript|js|javascript)\n/);
  });

  it.each(fileBlocks)('%s example %i is the repository file it names, word for word', (_page, _i, code) => {
    const file = (FILE_BLOCK.exec(code) as RegExpExecArray)[1] as string;
    expect(fs.readFileSync(path.join(REPO, file), 'utf8')).toContain(code.replace(FILE_BLOCK, ''));
  });

  const started = new Set<string>();
  it.each(tsBlocks)('%s example %i runs', async (page, i, code) => {
    const cwd = path.join(work, page.replace(/\.md$/, ''));
    fs.mkdirSync(cwd, { recursive: true });
    fs.mkdirSync(scratch, { recursive: true });
    const setup = PAGE_SETUP[page];
    if (setup && !started.has(page)) {
      started.add(page);
      await setup.before(cwd);
    }
    const entries = entryPoints();
    const src = (setup?.rewrite ? setup.rewrite(code) : code).replace(/from '(mlruns(?:\/\w+)?)'/g, (_m, name: string) => {
      const target = entries[name];
      if (!target) throw new Error(`${page}: unknown entry point ${name}`);
      return `from '${path.relative(scratch, target).split(path.sep).join('/')}'`;
    });
    const file = path.join(scratch, `${page}-${i}.ts`);
    fs.writeFileSync(file, `${src}\nexport {};\n`);
    const env = setup?.env?.() ?? {};
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      await import(file);
    } finally {
      process.chdir(prev);
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('what the rest.md examples logged is on the server, as Python MLflow 3 reads it', () => {
    expect(server).toBeDefined();
    const r = warmPythonSync(
      PYTHON,
      [
        '-c',
        "import sys, json, mlflow\nc = mlflow.MlflowClient(sys.argv[1])\nruns = c.search_runs([e.experiment_id for e in c.search_experiments()])\nprint(json.dumps(sorted([r.data.params.get('lr', ''), len(c.get_metric_history(r.info.run_id, 'loss'))] for r in runs)))",
        (server as MlflowServer).url,
      ],
      { env: cleanEnv(), encoding: 'utf8' },
    );
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(JSON.parse(r.stdout)).toEqual([['', 10_000], ['0.1', 1]]);
  });

  it('what the serve.md examples predicted: out.jsonl holds a prediction per row of big.csv, id kept', () => {
    const lines = fs.readFileSync(path.join(work, 'serve', 'out.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(50);
    const first = JSON.parse(lines[0] as string) as { id: number; y: number[] };
    expect(first.id).toBe(0);
    expect(first.y[0]).toBeCloseTo(5 * 0.1 + 3.5 * 0.2 + 1.4 * 0.3 + 0.2 * 0.4, 5);
  });

  it('what the models.md examples logged is read by Python MLflow 3', () => {
    const root = path.join(work, 'models', 'mlruns');
    const r = warmPythonSync(
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
    const py = warmPythonSync(
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
    const r = warmPythonSync(
      PYTHON,
      ['-c', "import mlflow\nc = mlflow.MlflowClient('file:./mlruns')\ne = c.get_experiment_by_name('sweep')\nprint(len(c.search_runs([e.experiment_id])))"],
      { cwd, env: cleanEnv(), encoding: 'utf8' },
    );
    expect(r.stdout.trim()).toBe('2');
  });
});
