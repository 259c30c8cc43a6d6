/**
 * Helpers of the UI tests: the app bundle (rebuilt when ui/src is newer), a store made by Python
 * MLflow (test/ui/make_store.py) plus runs written by us, a long-lived Python child that logs and
 * reads, one headless Debian chromium per suite (playwright-core), and plain HTTP requests.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { MlflowClient } from '../../src/tracking/client.js';
import { warmPythonSpawn } from '../oracle/zygote.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PYTHON = path.join(REPO, '.oracle/mlflow-3/bin/python');
export const STATIC = path.join(REPO, 'dist/ui/static');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/ui/static (esbuild, well under a second) unless it is newer than ui/src. */
export function ensureBundle(): void {
  const out = path.join(STATIC, 'app.js');
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs > newest(path.join(REPO, 'ui/src'))) return;
  const r = spawnSync(process.execPath, [path.join(REPO, 'ui/build.mjs')], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ui bundle build failed:\n${r.stderr}`);
}

export function pyEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' };
  for (const k of ['MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_ID', 'MLFLOW_EXPERIMENT_NAME', 'MLFLOW_RUN_ID']) delete env[k];
  return env;
}

export interface PyStore {
  root: string;
  experimentId: string;
  otherExperimentId: string;
  runs: Record<string, string>;
  parentRunId: string;
  childRunId: string;
  liveRunId: string;
  /** Written by us (MlflowClient): 40,000 points of `signal` with one spike of 100 at step 7777. */
  spikeRunId: string;
  /** Written by us: an experiment with a run, params and metrics. */
  oursExperimentId: string;
  oursRunId: string;
}

/** A store written by Python MLflow, plus runs written by this library. */
export async function makeStore(): Promise<PyStore> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-ui-'));
  const root = path.join(base, 'mlruns');
  // Python is slow to start on a busy machine: the suites share one Python-made store per version
  // of make_store.py (made once into a cache folder, then copied).
  const script = path.join(REPO, 'test/ui/make_store.py');
  const hash = crypto.createHash('sha1').update(fs.readFileSync(script)).digest('hex').slice(0, 12);
  const cache = path.join(os.tmpdir(), `mlruns-ui-store-${hash}`);
  if (!fs.existsSync(path.join(cache, 'made.json'))) {
    const tmp = fs.mkdtempSync(`${cache}.tmp-`);
    const r = spawnSync(PYTHON, [script, path.join(tmp, 'mlruns')], { env: pyEnv(), encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`make_store.py failed:\n${r.stderr}`);
    fs.writeFileSync(path.join(tmp, 'made.json'), r.stdout);
    fs.writeFileSync(path.join(tmp, 'root.txt'), path.join(tmp, 'mlruns'));
    try {
      fs.renameSync(tmp, cache);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another suite made it first
    }
  }
  fs.cpSync(path.join(cache, 'mlruns'), root, { recursive: true });
  // Python wrote absolute paths of the cache folder into meta.yaml files: point them at the copy.
  const written = fs.readFileSync(path.join(cache, 'root.txt'), 'utf8');
  const rewrite = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) rewrite(p);
      else if (e.name === 'meta.yaml') fs.writeFileSync(p, fs.readFileSync(p, 'utf8').split(written).join(root));
    }
  };
  rewrite(root);
  const made = JSON.parse(fs.readFileSync(path.join(cache, 'made.json'), 'utf8')) as Omit<PyStore, 'root' | 'spikeRunId' | 'oursExperimentId' | 'oursRunId'>;
  const c = new MlflowClient(root, { catalog: 'off' });
  const spike = await c.createRun(made.otherExperimentId, { runName: 'spike', startTime: 1700000000000 });
  const pts = [];
  for (let s = 0; s < 40_000; s++) pts.push({ key: 'signal', value: s === 7777 ? 100 : 0.5 + 0.1 * Math.sin(s / 50), step: s, timestamp: 1700000000000 + s });
  await c.logBatch(spike.info.runId, { metrics: pts });
  await c.setTerminated(spike.info.runId, 'FINISHED');
  const oursExp = await c.createExperiment('ours-ts');
  const ours = await c.createRun(oursExp, { runName: 'ts-run' });
  await c.logParam(ours.info.runId, 'optimizer', 'adam');
  for (let s = 0; s < 20; s++) await c.logMetric(ours.info.runId, 'loss', 1 / (s + 1), { step: s });
  await c.setTag(ours.info.runId, 'writer', 'mlruns');
  await c.setTerminated(ours.info.runId, 'FINISHED');
  c.close();
  return { root, ...made, spikeRunId: spike.info.runId, oursExperimentId: oursExp, oursRunId: ours.info.runId };
}

/** A Python MLflow child taking JSON commands (log_metric, get_run, get_experiment, get_model). */
export class PyChild {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor(root: string) {
    this.proc = warmPythonSpawn(PYTHON, [path.join(REPO, 'test/ui/py_live.py'), root], { env: pyEnv() });
    this.proc.stderr.resume();
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async ready(): Promise<void> {
    await this.lines.next();
  }

  async call<T = any>(cmd: Record<string, unknown>): Promise<T> {
    this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    const r = await this.lines.next();
    if (r.done) throw new Error('python child ended');
    const v = JSON.parse(r.value) as T & { error?: string };
    if (v.error) throw new Error(v.error);
    return v;
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** One headless Debian chromium (Playwright's own browser download cannot work here). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request (the path is sent as given: no normalization of `..` or `%2F`). */
export function request(origin: string, rawPath: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: rawPath, method: options.method ?? 'GET', headers: { Host: u.host, ...(options.headers ?? {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}
