/**
 * Faults between mlruns and a real `mlflow server`: 500s and 429s injected by a proxy (retried,
 * the push completes; a 4xx is never retried), a wrong token refused by an auth gateway (clear
 * error, credentials never printed, nothing written locally), the server killed and restarted in
 * the middle of a push (the push resumes and completes), an MLflow 2.x server without the
 * logged-model endpoints (clear note, everything else copied). PostgreSQL-backed server too.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { MlflowError } from '../../src/errors.js';
import { BIN, build, cleanEnv } from '../cli/helpers.js';
import { Oracle } from '../oracle/oracle.js';
import { diffValues } from '../oracle/normalize.js';
import { makeSyncStore, projectDump } from './compare.js';
import { startFaultProxy, startMlflowServer } from './server.js';
import type { MlflowServer } from './server.js';

let pg: MlflowServer;
let py: Oracle;
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-faults-')));
const FAST_RETRY = { MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0' };

beforeAll(async () => {
  build();
  [pg, py] = await Promise.all([startMlflowServer({ backend: 'postgres' }), Oracle.start('3', { timeoutMs: 300_000 })]);
});

afterAll(async () => {
  await py?.close();
  await pg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** `mlruns ...` in a child without blocking this process (the fault proxy runs in it). */
function mlrunsAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function push(root: string, url: string, env: Record<string, string> = {}, extra: string[] = []) {
  const r = await mlrunsAsync(['--root', root, 'push', '--to', url, '--json', ...extra], env);
  return { code: r.code, stderr: r.stderr, body: r.stdout ? (JSON.parse(r.stdout) as { failed: unknown[]; notes: string[]; created: number; runs: Record<string, string> }) : null };
}

describe('faults against a PostgreSQL-backed mlflow server', { timeout: 900_000 }, () => {
  it('500s and 429s are retried (the push completes and equals the folder); a 404 is not retried', async () => {
    const root = path.join(tmp, 'flaky');
    makeSyncStore(root);
    // Every third request of the API fails, alternately 500 and 429.
    const proxy = await startFaultProxy(pg.url, ({ n, url }) => (url.startsWith('/api/') && n % 3 === 1 ? (n % 2 === 0 ? 500 : 429) : null));
    try {
      const r = await push(root, proxy.url, FAST_RETRY);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.body?.failed).toEqual([]);
      expect(proxy.injected.get(500)).toBeGreaterThan(3);
      expect(proxy.injected.get(429)).toBeGreaterThan(3);
      expect(diffValues(projectDump(await py.dump(pg.url)), projectDump(await py.dump(root)))).toEqual([]);

      const client = new MlflowClient(proxy.url, { rest: { backoffFactor: 0, backoffJitter: 0 } });
      const before = proxy.seen.get('GET /api/2.0/mlflow/runs/get') ?? 0;
      await expect(client.getRun('0123456789abcdef0123456789abcdef')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      const after = proxy.seen.get('GET /api/2.0/mlflow/runs/get') ?? 0;
      // One request, or two when the proxy's injected failure fell on it: never the 7 retries.
      expect(after - before).toBeLessThanOrEqual(2);
      client.close();
    } finally {
      await proxy.close();
    }
  });

  it('a wrong token: a clear error, the token never printed, nothing written locally', async () => {
    const gateway = await startFaultProxy(pg.url, ({ headers }) => (headers['authorization'] === 'Bearer right-token-123' ? null : 401));
    try {
      const folder = path.join(tmp, 'never-created');
      const r = await mlrunsAsync(['--root', folder, 'pull', '--from', gateway.url], { MLFLOW_TRACKING_TOKEN: 'wrong-token-456' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Invalid credentials');
      expect(r.stderr).toContain('MLFLOW_TRACKING_TOKEN');
      expect(r.stderr).not.toContain('wrong-token-456');
      expect(fs.existsSync(folder)).toBe(false);
      const ok = new MlflowClient(gateway.url, { rest: { token: 'right-token-123' } });
      expect((await ok.searchExperiments()).experiments.length).toBeGreaterThan(0);
      ok.close();
      const bad = new MlflowClient(`http://admin:hunter2-secret@127.0.0.1:${new URL(gateway.url).port}`);
      const err = await bad.getExperiment('0').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).code).toBe('UNAUTHENTICATED');
      expect(String((err as Error).message)).not.toContain('hunter2');
      bad.close();
    } finally {
      await gateway.close();
    }
  });

  it('the server killed and restarted in the middle of a push: the push resumes and completes', async () => {
    const root = path.join(tmp, 'restart');
    const local = new MlflowClient(root);
    const exp = await local.createExperiment('restart');
    for (let i = 0; i < 10; i++) {
      const r = await local.createRun(exp, { runName: `r${i}` });
      for (let c = 0; c < 4; c++) {
        await local.store.logBatch(r.info.runId, { metrics: Array.from({ length: 1000 }, (_, s) => ({ key: 'm', value: (c * 1000 + s) / 7, timestamp: 1_700_000_000_000 + c * 1000 + s, step: c * 1000 + s })) });
      }
      await local.setTerminated(r.info.runId);
    }
    local.close();
    const client = new MlflowClient(pg.url);
    const child = spawn(process.execPath, [BIN, '--root', root, 'push', '--to', pg.url, '-j', '2', '--json'], {
      env: cleanEnv({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '12', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '1', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    for (;;) {
      const e = await client.getExperimentByName('restart').catch(() => null);
      const n = e ? (await client.searchRuns([e.experimentId], '')).runs.length : 0;
      if (n >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await pg.kill();
    await new Promise((r) => setTimeout(r, 2000));
    await pg.restart();
    expect(await exited, stderr).toBe(0);
    const body = JSON.parse(stdout) as { failed: unknown[] };
    expect(body.failed).toEqual([]);
    const copy = projectDump(await py.dump(pg.url)) as { runs: Record<string, unknown> };
    const folder = projectDump(await py.dump(root)) as { runs: Record<string, unknown> };
    expect(diffValues(copy.runs['restart'], folder.runs['restart'])).toEqual([]);
    client.close();
  });
});

describe('an MLflow 2.x server (no logged-model endpoints)', { timeout: 900_000 }, () => {
  let old: MlflowServer;
  beforeAll(async () => {
    // A file-backed server: the mlflow-2-full venv's SQLAlchemy is too new for MLflow 2.22's SQL store.
    old = await startMlflowServer({ backend: 'file', version: '2' });
  });
  afterAll(async () => {
    await old?.stop();
  });

  it('push says logged models need MLflow 3 and copies everything else', async () => {
    const root = path.join(tmp, 'to-v2');
    makeSyncStore(root);
    const r = await push(root, old.url);
    expect(r.body?.failed).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.body?.notes.join('\n')).toMatch(/logged model\(s\) not copied.*no logged-model endpoints.*MLflow 3 server/s);
    const copy = projectDump(await py.dump(old.url)) as Record<string, unknown>;
    const folder = projectDump(await py.dump(root)) as Record<string, unknown>;
    expect(diffValues(copy['runs'], folder['runs']).filter((d) => !d.includes('outputs'))).toEqual([]);
    expect(diffValues(copy['registered'], folder['registered'])).toEqual([]);
    const client = new MlflowClient(old.url);
    await expect(client.createLoggedModel('0', { name: 'x' })).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' });
    client.close();
  });
});
