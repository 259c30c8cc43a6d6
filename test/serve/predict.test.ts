/**
 * `mlruns predict` (CLI from dist/, worker threads, small chunks): CSV, JSON Lines and Parquet
 * (written by pandas) inputs give, row for row, what `loadModel(...).predict` gives; the key
 * column is kept; a bad row stops the run with its row number or is skipped and reported; a
 * SIGINT mid-run leaves no output file and no temporary file.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/index.js';
import { loadModel, logModel } from '../../src/models/index.js';
import { PREDICT_JSON_LIMIT } from '../../src/serve/predict.js';
import { REPO, cleanup, tmpDir } from '../models/helpers.js';
import { BUILD_ONNX_PY, FULL, pyFull } from './helpers.js';
import { pyEnv } from '../models/helpers.js';

const CLI = path.join(REPO, 'dist/cli/main.js');
const SIG = {
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]',
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
};
const N = 2500;

let root: string;
let dir: string;
let uri: string;
let expected: number[];
const xs: number[][] = [];

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--root', root, 'predict', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  root = path.join(tmpDir('mlruns-predict-'), 'mlruns');
  dir = tmpDir('mlruns-predict-data-');
  for (let i = 0; i < N; i++) xs.push([((i * 37) % 101) / 10, ((i * 13) % 7) - 3, (i % 5) * 0.25]);
  const csv = `id,a,b,c\n${xs.map((x, i) => `${i},${x.join(',')}`).join('\n')}\n`;
  fs.writeFileSync(path.join(dir, 'in.csv'), csv);
  fs.writeFileSync(path.join(dir, 'in.jsonl'), xs.map((x, i) => JSON.stringify({ id: i, a: x[0], b: x[1], c: x[2] })).join('\n') + '\n');
  pyFull(
    dir,
    `${BUILD_ONNX_PY}
import pandas as pd
onnx.save(linear(), ${JSON.stringify(path.join(dir, 'lin.onnx'))})
df = pd.read_csv(${JSON.stringify(path.join(dir, 'in.csv'))})
df['a'] = df['a'].astype('float64'); df['b'] = df['b'].astype('float64'); df['c'] = df['c'].astype('float64')
df.to_parquet(${JSON.stringify(path.join(dir, 'in.parquet'))}, row_group_size=700)
result = True`,
  );
  const client = new MlflowClient(root);
  const run = await client.createRun('0');
  uri = (await logModel(client, run.info.runId, { name: 'lin', flavor: 'onnx', path: path.join(dir, 'lin.onnx'), signature: SIG, registeredModelName: 'lin' })).modelUri;
  const m = await loadModel(uri, { root });
  const out = await m.predict(xs);
  expected = (out['y']?.values as number[][]).map((r) => r[0] as number);
  await m.close();
}, 180_000);

afterAll(() => cleanup());

function readJsonl(file: string): Array<{ id: number; y: number[] }> {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: number; y: number[] });
}

describe('mlruns predict', () => {
  for (const input of ['in.csv', 'in.jsonl', 'in.parquet']) {
    it(`${input} → JSON Lines equals loadModel().predict row for row, key kept`, () => {
      const out = path.join(dir, `${input}.out.jsonl`);
      const r = cli(['-m', 'models:/lin/1', '-i', path.join(dir, input), '-o', out, '-k', 'id', '--workers', '2', '--batch-size', '300']);
      expect(r.status, r.stderr).toBe(0);
      const rows = readJsonl(out);
      expect(rows).toHaveLength(N);
      rows.forEach((row, i) => {
        expect(row.id).toBe(i);
        expect(row.y).toEqual([expected[i]]);
      });
    });
  }

  it('writes MLflow\'s {"predictions": ...} JSON, CSV and Parquet outputs with the same values', async () => {
    const noKey = path.join(dir, 'nokey.csv');
    fs.writeFileSync(noKey, `a,b,c\n${xs.map((x) => x.join(',')).join('\n')}\n`);
    const json = path.join(dir, 'out.json');
    expect(cli(['-m', uri, '-i', noKey, '-o', json, '--batch-size', '400']).status).toBe(0);
    expect(JSON.parse(fs.readFileSync(json, 'utf8'))).toEqual({ predictions: { y: expected.map((v) => [v]) } });
    const csv = path.join(dir, 'out.csv');
    expect(cli(['-m', uri, '-i', path.join(dir, 'in.csv'), '-o', csv, '-k', 'id']).status).toBe(0);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,y');
    expect(lines.slice(1).map((l) => JSON.parse(l.slice(l.indexOf(',') + 1).replace(/^"|"$/g, ''))[0])).toEqual(expected);
    const pq = path.join(dir, 'out.parquet');
    expect(cli(['-m', uri, '-i', path.join(dir, 'in.jsonl'), '-o', pq, '-k', 'id', '--batch-size', '1000']).status).toBe(0);
    const back = pyFull<{ id: number[]; y: string[] }>(dir, `import pandas as pd\ndf = pd.read_parquet(${JSON.stringify(pq)})\nresult = {'id': df['id'].tolist(), 'y': df['y'].tolist()}`);
    expect(back.id).toEqual(xs.map((_, i) => i));
    expect(back.y.map((v) => (JSON.parse(v) as number[])[0])).toEqual(expected);
  }, 120_000);

  it('stops at a bad row with its number, or skips and reports it', () => {
    const bad = path.join(dir, 'bad.csv');
    const rows = xs.map((x, i) => `${i},${i === 1233 ? 'oops' : x[0]},${x[1]},${x[2]}`);
    fs.writeFileSync(bad, `id,a,b,c\n${rows.join('\n')}\n`);
    const out = path.join(dir, 'bad.jsonl');
    const stop = cli(['-m', uri, '-i', bad, '-o', out, '-k', 'id', '--batch-size', '500']);
    expect(stop.status).not.toBe(0);
    expect(stop.stderr).toMatch(/Row 1234: /);
    expect(fs.existsSync(out)).toBe(false);
    const skip = cli(['-m', uri, '-i', bad, '-o', out, '-k', 'id', '--batch-size', '500', '--skip-bad-rows']);
    expect(skip.status, skip.stderr).toBe(0);
    expect(skip.stderr).toMatch(/skipped 1 bad row\(s\):\n {2}row 1234: /);
    const got = readJsonl(out);
    expect(got).toHaveLength(N - 1);
    expect(got.map((r) => r.id)).toEqual(xs.map((_, i) => i).filter((i) => i !== 1233));
    got.forEach((r) => expect(r.y).toEqual([expected[r.id]]));
  }, 120_000);

  it("writes byte for byte the JSON `mlflow models predict` writes for the same CSV (numbers read from the bytes, floats written in the workers)", async () => {
    const client = new MlflowClient(root);
    const run = await client.createRun('0');
    const nosig = (await logModel(client, run.info.runId, { name: 'lin-nosig', flavor: 'onnx', path: path.join(dir, 'lin.onnx') })).modelUri;
    // ints, floats with long mantissas, exponents, signs, huge and tiny values; a column whose
    // first chunks are integers and later ones floats
    const lines = ['a,b,c'];
    for (let i = 0; i < 700; i++) {
      const a = i % 3 === 0 ? String(i) : String(i / 7);
      const b = i < 350 ? String((i % 11) - 5) : `${(i % 11) - 5}.5`;
      const c = [`${i}e-7`, `-${i}.25`, `+${i}`, `${i}E2`, `0.${i}`, `1${'0'.repeat(17)}`, `.${i}`][i % 7];
      lines.push(`${a},${b},${c}`);
    }
    const input = path.join(dir, 'mixed.csv');
    fs.writeFileSync(input, `${lines.join('\r\n')}\r\n`);
    const pyOut = path.join(dir, 'mixed.py.json');
    const py = spawnSync(path.join(FULL, 'bin/mlflow'), ['models', 'predict', '-m', nosig, '-i', input, '-o', pyOut, '-t', 'csv', '--env-manager', 'local'], {
      env: pyEnv({ MLFLOW_TRACKING_URI: `file://${root}`, PATH: `${path.join(FULL, 'bin')}:${process.env['PATH'] ?? ''}` }),
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(py.status, py.stderr).toBe(0);
    const ours = path.join(dir, 'mixed.ours.json');
    const r = cli(['-m', nosig, '-i', input, '-o', ours, '--batch-size', '64', '--workers', '2']);
    expect(r.status, r.stderr).toBe(0);
    const want = fs.readFileSync(pyOut, 'utf8');
    expect(JSON.parse(want).predictions).toHaveLength(700);
    expect(fs.readFileSync(ours, 'utf8')).toBe(want);
  }, 360_000);

  it('a JSON data frame over PREDICT_JSON_LIMIT is streamed: the same predictions as its JSON Lines twin, for each JSON form', () => {
    // The rows, then padding (JSON allows white space) past the whole-parse limit, so the reader
    // walks the document in 1 MiB reads instead of parsing it whole.
    const pad = ' '.repeat(PREDICT_JSON_LIMIT + 1);
    const recs = xs.map((x, i) => JSON.stringify({ id: i, a: x[0], b: x[1], c: x[2] }));
    const forms: Record<string, string> = {
      list: `[${recs.join(',\n')}]${pad}`,
      records: `{"dataframe_records": [${recs.join(', ')}]${pad}}`,
      split: `{"dataframe_split": {"columns": ["id", "a", "b", "c"], "index": [${xs.map((_, i) => i).join(',')}], "data": [${xs.map((x, i) => `[${i}, ${x.join(', ')}]`).join(',')}]}}${pad}`,
    };
    for (const [form, text] of Object.entries(forms)) {
      const input = path.join(dir, `big-${form}.json`);
      fs.writeFileSync(input, text);
      expect(fs.statSync(input).size).toBeGreaterThan(PREDICT_JSON_LIMIT);
      const out = path.join(dir, `big-${form}.out.jsonl`);
      const r = cli(['-m', 'models:/lin/1', '-i', input, '-o', out, '-k', 'id', '--workers', '2', '--batch-size', '300']);
      expect(r.status, `${form}: ${r.stderr}`).toBe(0);
      const rows = readJsonl(out);
      expect(rows.map((row) => row.id)).toEqual(xs.map((_, i) => i));
      expect(rows.map((row) => row.y)).toEqual(expected.map((v) => [v]));
      fs.rmSync(input);
    }
    // A tensor document that large is refused with a clear message, and nothing is written.
    const tensor = path.join(dir, 'big-tensor.json');
    fs.writeFileSync(tensor, `{"inputs": [[1, 2, 3]]}${pad}`);
    const out = path.join(dir, 'big-tensor.out.json');
    const r = cli(['-m', uri, '-i', tensor, '-o', out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/big-tensor\.json' is not a JSON data frame: 'inputs' \(tensor input\) is not a data frame/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('big-tensor.out'))).toEqual([]);
    fs.rmSync(tensor);
  }, 240_000);

  it('a SIGINT mid-run leaves no output file and no temporary file', async () => {
    // The input is a FIFO that sends some rows and then waits: the run is mid-way for as long as the
    // test needs, however fast the machine (a plain file can finish before the signal lands).
    const fifo = path.join(tmpDir('mlruns-predict-fifo-'), 'rows.csv');
    execFileSync('mkfifo', [fifo]);
    const outDir = tmpDir('mlruns-predict-int-');
    const out = path.join(outDir, 'rows.jsonl');
    const child = spawn(process.execPath, [CLI, '--root', root, 'predict', '-m', uri, '-i', fifo, '-t', 'csv', '-o', out, '--batch-size', '200', '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once('exit', (code, signal) => r(signal ?? code)));
    const writer = await fs.promises.open(fifo, 'w');
    try {
      await writer.write(`a,b,c\n${xs.map((x) => x.join(',')).join('\n')}\n`);
      const deadline = Date.now() + 60_000;
      // predictions of the rows sent so far reach the temporary file, then the run waits for more
      const written = (): number => fs.readdirSync(outDir).filter((f) => f.endsWith('.tmp')).reduce((n, f) => n + fs.statSync(path.join(outDir, f)).size, 0);
      while (written() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(written()).toBeGreaterThan(0);
      child.kill('SIGINT');
      // stopped by the signal itself, as a shell expects of Ctrl-C (it reports 130)
      expect(await exited).toBe('SIGINT');
      expect(stderr).toMatch(/interrupted; no output written/);
      expect(fs.readdirSync(outDir)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await writer.close().catch(() => undefined);
    }
  }, 120_000);
});
