/**
 * The server's manners, through the CLI built in dist/ (worker threads) and the library:
 * alias following under load (no request fails, each response from exactly one version, only v2
 * after the switch), graceful stop on SIGTERM, the body limit, /metrics, the request log, the
 * 127.0.0.1 default, and malicious model folders refused with a clear error.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/index.js';
import { logModel } from '../../src/models/index.js';
import { serveModel } from '../../src/serve/index.js';
import { REPO, cleanup, tmpDir } from '../models/helpers.js';
import { BUILD_ONNX_PY, CASES, pyFull, send } from './helpers.js';

const CLI = path.join(REPO, 'dist/cli/main.js');
const SIG = {
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]',
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
};
const f = Math.fround;
const v1 = (x: number[]): number => f(f(f(f(x[0]!) * 2) + f(f(x[1]!) * -1)) + f(f(x[2]!) * 0.5)) + 0.25;
const v2 = (x: number[]): number => f(f(f(f(x[0]!) * 1) + f(f(x[1]!) * 1)) + f(f(x[2]!) * 1)) + 10;

let root: string;
let dir: string;
let client: MlflowClient;
const children: ChildProcess[] = [];

/** Starts `mlruns serve` from dist/ and waits for the URL it prints. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; err: () => string }> {
  const child = spawn(process.execPath, [CLI, '--root', root, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/\S+)\n/m.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`mlruns serve exited (${code}): ${err}`)));
  });
  return { child, url, err: () => err };
}

beforeAll(async () => {
  root = path.join(tmpDir('mlruns-serve-srv-'), 'mlruns');
  dir = tmpDir('mlruns-serve-srv-onnx-');
  pyFull(
    dir,
    `${BUILD_ONNX_PY}
onnx.save(linear(), ${JSON.stringify(path.join(dir, 'v1.onnx'))})
onnx.save(linear((1.0, 1.0, 1.0), 10.0), ${JSON.stringify(path.join(dir, 'v2.onnx'))})
result = True`,
  );
  client = new MlflowClient(root);
  const run = await client.createRun('0');
  await logModel(client, run.info.runId, { name: 'v1', flavor: 'onnx', path: path.join(dir, 'v1.onnx'), signature: SIG, registeredModelName: 'lin' });
  await logModel(client, run.info.runId, { name: 'v2', flavor: 'onnx', path: path.join(dir, 'v2.onnx'), signature: SIG, registeredModelName: 'lin' });
  await client.setRegisteredModelAlias('lin', 'champion', '1');
}, 180_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  cleanup();
});

describe('mlruns serve (CLI, worker threads)', () => {
  it('follows @champion from v1 to v2 under load: no failure, one version per response, then only v2', async () => {
    const { child, url } = await startCli(['models:/lin@champion', '--port', '0', '--workers', '2', '--quiet']);
    type Seen = { start: number; end: number; version: string; ok: boolean };
    const seen: Seen[] = [];
    let stop = false;
    let i = 0;
    const clientLoop = async (): Promise<void> => {
      while (!stop) {
        const x = [i % 7, (i * 3) % 5, i % 11];
        i++;
        const start = performance.now();
        const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [x] }) });
        const body = (await res.json()) as { predictions: { y: number[][] } };
        const version = res.headers.get('x-mlruns-model-version') ?? '?';
        const y = body.predictions?.y?.[0]?.[0];
        const ok = res.status === 200 && ((version === '1' && y === v1(x)) || (version === '2' && y === v2(x)));
        seen.push({ start, end: performance.now(), version, ok });
      }
    };
    const loops = [clientLoop(), clientLoop(), clientLoop(), clientLoop()];
    await new Promise((r) => setTimeout(r, 1500));
    await client.setRegisteredModelAlias('lin', 'champion', '2');
    const deadline = Date.now() + 60_000;
    while (!seen.some((s) => s.version === '2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(loops);
    expect(seen.every((s) => s.ok), JSON.stringify(seen.filter((s) => !s.ok).slice(0, 3))).toBe(true);
    expect(seen.filter((s) => s.version === '1').length).toBeGreaterThan(0);
    const firstV2End = Math.min(...seen.filter((s) => s.version === '2').map((s) => s.end));
    expect(Number.isFinite(firstV2End)).toBe(true);
    const after = seen.filter((s) => s.start > firstV2End);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((s) => s.version === '2')).toBe(true);
    const version = await send(url, { method: 'GET', path: '/version' });
    expect(version.text).toBe('3.17.2');
    const metrics = await send(url, { method: 'GET', path: '/metrics' });
    expect(metrics.text).toMatch(/^mlruns_serve_model_version 2$/m);
    expect(metrics.text).toMatch(/^mlruns_serve_model_switches_total 1$/m);
    expect(metrics.text).toMatch(new RegExp(`^mlruns_serve_requests_total\\{path="/invocations",status="200"\\} ${seen.length}$`, 'm'));
    expect(metrics.text).toMatch(/^mlruns_serve_request_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('on SIGTERM lets a request in flight finish, logs one line per request, binds 127.0.0.1', async () => {
    await client.setRegisteredModelAlias('lin', 'champion', '1');
    const { child, url, err } = await startCli(['models:/lin/1', '--port', '0', '--workers', '1']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const rows = Array.from({ length: 200_000 }, (_, k) => [k % 3, 1, 2]);
    const pending = fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: rows }) });
    await new Promise((r) => setTimeout(r, 150));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const res = await pending;
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { y: number[][] } };
    expect(body.predictions.y).toHaveLength(rows.length);
    expect(await exited).toBe(0);
    expect(err()).toMatch(/"POST \/invocations" 200 \d+\.\d+ms v1/);
  }, 120_000);

  it('small requests answered in the server thread (--inline-bytes) are answered byte for byte as by the workers; big ones go to the workers', async () => {
    const inline = await startCli(['models:/lin/1', '--port', '0', '--workers', '1', '--quiet']);
    const workers = await startCli(['models:/lin/1', '--port', '0', '--workers', '1', '--quiet', '--inline-bytes', '0']);
    const inThread = async (url: string): Promise<number> => Number(/^mlruns_serve_in_thread_requests_total (\d+)$/m.exec((await send(url, { method: 'GET', path: '/metrics' })).text)?.[1]);
    let posts = 0;
    for (const r of CASES) {
      const [a, b] = await Promise.all([send(inline.url, r), send(workers.url, r)]);
      expect(a, JSON.stringify(r)).toEqual(b);
      if (r.body !== undefined && (r.path ?? '/invocations') === '/invocations') posts++;
    }
    // all of them unless the machine is so busy that the model looked slow in this thread
    const small = await inThread(inline.url);
    expect(small).toBeGreaterThan(10);
    expect(small).toBeLessThanOrEqual(posts);
    expect(await inThread(workers.url)).toBe(0);
    // a body over 16 KiB goes to the worker (and answers the same)
    const big = { body: { inputs: Array.from({ length: 2000 }, (_, k) => [k, 1.5, -2]) } };
    const [a, b] = await Promise.all([send(inline.url, big), send(workers.url, big)]);
    expect(a.status).toBe(200);
    expect(a).toEqual(b);
    expect(await inThread(inline.url)).toBe(small);
    for (const c of [inline.child, workers.child]) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});

describe('serveModel (library)', () => {
  it('refuses a body over the limit with 413 and keeps serving', async () => {
    const lines: string[] = [];
    const s = await serveModel('models:/lin/1', { root, port: 0, workers: 0, bodyLimit: 1000, logger: (l) => lines.push(l.line) });
    try {
      const big = await send(s.url, { body: { inputs: Array.from({ length: 200 }, () => [1, 2, 3]) } });
      expect(big.status).toBe(413);
      expect(JSON.parse(big.text).error_code).toBe('REQUEST_LIMIT_EXCEEDED');
      const ok = await send(s.url, { body: { inputs: [[1, 2, 3]] } });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.text)).toEqual({ predictions: { y: [[v1([1, 2, 3])]] } });
      expect(lines.some((l) => / 413 /.test(l))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('answers 504 as MLflow does when a request takes longer than the timeout', async () => {
    const s = await serveModel('models:/lin/1', { root, port: 0, workers: 0, timeoutSeconds: 0.001 });
    try {
      const rows = Array.from({ length: 50_000 }, () => [1, 2, 3]);
      const r = await send(s.url, { body: { inputs: rows } });
      expect(r.status).toBe(504);
      expect(r.text).toBe('Request processing time exceeded limit');
    } finally {
      await s.close();
    }
  });

  it('refuses a model folder with a symlink out of it', async () => {
    const info = await logModel(client, null, { name: 'evil', flavor: 'onnx', path: path.join(dir, 'v1.onnx'), experimentId: '0' });
    fs.symlinkSync('/etc/passwd', path.join(info.localPath, 'passwd'));
    await expect(serveModel(info.modelUri, { root, port: 0, workers: 0 })).rejects.toThrow(/symlink out of the model folder/);
  });

  it('refuses a signature declaring a huge tensor shape', async () => {
    const info = await logModel(client, null, {
      name: 'huge',
      flavor: 'onnx',
      path: path.join(dir, 'v1.onnx'),
      experimentId: '0',
      signature: { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 100000, 100000]}}]', outputs: null },
    });
    await expect(serveModel(info.modelUri, { root, port: 0, workers: 0 })).rejects.toThrow(/tensor of shape \[-1, 100000, 100000\]/);
  });

  it('refuses a model with no flavor it can run, naming its flavors and the Python command', async () => {
    const file = path.join(dir, 'weights.bin');
    fs.writeFileSync(file, 'x');
    const info = await logModel(client, null, { name: 'generic', flavor: 'generic', path: file, experimentId: '0', flavorName: 'sklearn' });
    await expect(serveModel(info.modelUri, { root, port: 0, workers: 0 })).rejects.toThrow(
      new RegExp(`its flavors: sklearn.*mlflow models serve -m '${info.modelUri}' --env-manager local`),
    );
  });
});
