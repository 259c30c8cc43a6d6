/**
 * `mlruns push` / `mlruns pull` against a real `mlflow server` (3.17.2, SQLite): Python's dump of
 * the server equals Python's dump of the folder (ids mapped); pull back gives the same; a second
 * push sends nothing; new points only; conflicts reported; SIGKILL mid-push then push again
 * leaves exactly one copy.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { BIN, build, cleanEnv, mlruns } from '../cli/helpers.js';
import { Oracle } from '../oracle/oracle.js';
import { diffValues } from '../oracle/normalize.js';
import { makeSyncStore, projectDump } from './compare.js';
import { startMlflowServer } from './server.js';
import type { MlflowServer } from './server.js';

let server: MlflowServer;
let py: Oracle;
let client: MlflowClient;
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-sync-')));

beforeAll(async () => {
  build();
  [server, py] = await Promise.all([startMlflowServer({ backend: 'sqlite' }), Oracle.start('3', { timeoutMs: 300_000 })]);
  client = new MlflowClient(server.url);
});

afterAll(async () => {
  client?.close();
  await py?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Summary {
  created: number;
  updated: number;
  unchanged: number;
  failed: Array<{ item: string; reason: string }>;
  conflicts: Array<{ item: string; reason: string }>;
  points: number;
  files: number;
  runs: Record<string, string>;
}

function sync(args: string[]): Summary & { code: number | null; stderr: string } {
  const r = mlruns([...args, '--json']);
  let body: Summary;
  try {
    body = JSON.parse(r.stdout) as Summary;
  } catch {
    throw new Error(`mlruns ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  }
  return { ...body, code: r.code, stderr: r.stderr };
}

describe('mlruns push / pull against mlflow server', { timeout: 900_000 }, () => {
  const root = path.join(tmp, 'mlruns');
  let made: ReturnType<typeof makeSyncStore>;

  it('push: Python reads the server as it reads the folder (ids mapped); a second push sends nothing', async () => {
    made = makeSyncStore(root);
    const first = sync(['--root', root, 'push', '--to', server.url]);
    expect(first.failed).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.created).toBeGreaterThan(5);
    const folder = projectDump(await py.dump(root));
    const copy = projectDump(await py.dump(server.url));
    const diff = diffValues(copy, folder);
    expect(diff).toEqual([]);
    expect(JSON.stringify(folder)).toContain('champion');
    // artifacts arrived, with the same bytes
    const copyId = first.runs[made.runs['lr-0.1'] as string] as string;
    expect((await client.listArtifacts(copyId, 'notes')).map((f) => f.path)).toEqual(['notes/hello.txt']);
    expect(fs.readFileSync(await client.downloadArtifacts(copyId, 'notes/hello.txt', path.join(tmp, 'dl')), 'utf8')).toBe('hello 0\n');

    const second = sync(['--root', root, 'push', '--to', server.url]);
    expect(second).toMatchObject({ created: 0, updated: 0, points: 0, files: 0, failed: [], conflicts: [], code: 0 });
    expect(second.unchanged).toBeGreaterThan(5);
  });

  it('a run that gained points sends only the new ones; --dry-run changes nothing', async () => {
    const rid = made.runs['lr-0.001'] as string;
    const local = new MlflowClient(root);
    for (let s = 100; s < 110; s++) await local.logMetric(rid, 'loss', s, { step: s, timestamp: 1_700_000_500_000 + s });
    await local.logText(rid, 'new file', 'extra/new.txt');
    local.close();
    const dry = sync(['--root', root, 'push', '--to', server.url, '--dry-run']);
    expect(dry).toMatchObject({ updated: 1, points: 10, files: 1, code: 0 });
    const copyId = dry.runs[rid] as string;
    expect((await client.getMetricHistory(copyId, 'loss')).length).toBe(5);
    const real = sync(['--root', root, 'push', '--to', server.url]);
    expect(real).toMatchObject({ created: 0, updated: 1, points: 10, files: 1, code: 0 });
    expect((await client.getMetricHistory(copyId, 'loss')).length).toBe(15);
    expect(sync(['--root', root, 'push', '--to', server.url])).toMatchObject({ updated: 0, points: 0, files: 0 });
  });

  it('pull into an empty folder keeps the server run ids; Python reads it as it reads the server', async () => {
    const pulled = path.join(tmp, 'pulled');
    const r = sync(['--root', pulled, 'pull', '--from', server.url]);
    expect(r.failed).toEqual([]);
    expect(r.code).toBe(0);
    for (const [srcId, dstId] of Object.entries(r.runs)) expect(dstId).toBe(srcId);
    const serverDump = await py.dump(server.url);
    const pulledDump = await py.dump(pulled);
    expect(diffValues(projectDump(pulledDump), projectDump(serverDump, { ownIds: true }))).toEqual([]);
    // and the pulled copy is the original folder, ids mapped through the server's copy
    expect(diffValues(projectDump(pulledDump, { via: serverDump }), projectDump(await py.dump(root)))).toEqual([]);
    expect(sync(['--root', pulled, 'pull', '--from', server.url])).toMatchObject({ created: 0, updated: 0, points: 0 });
  });

  it('a run changed on both sides is a conflict until a side is chosen', async () => {
    const rid = made.runs['lr-0.1'] as string;
    const local = new MlflowClient(root);
    await local.setTag(rid, 'note', 'local');
    local.close();
    const status = sync(['--root', root, 'push', '--to', server.url, '--dry-run']);
    const serverRun = status.runs[rid] as string;
    await client.setTag(serverRun, 'note', 'server');
    const r = sync(['--root', root, 'push', '--to', server.url]);
    expect(r.code).toBe(3);
    expect(r.conflicts.length).toBe(1);
    expect(r.conflicts[0]?.item).toContain(rid);
    expect((await client.getRun(serverRun)).data.tags['note']).toBe('server');
    const resolved = sync(['--root', root, 'push', '--to', server.url, '--prefer', 'local']);
    expect(resolved).toMatchObject({ updated: 1, conflicts: [], code: 0 });
    expect((await client.getRun(serverRun)).data.tags['note']).toBe('local');
  });

  it('SIGKILL during a push, push again: exactly one copy of everything', async () => {
    const big = path.join(tmp, 'big');
    const local = new MlflowClient(big);
    const exp = await local.createExperiment('many');
    for (let i = 0; i < 12; i++) {
      const r = await local.createRun(exp, { runName: `r${i}` });
      for (let c = 0; c < 3; c++) {
        await local.store.logBatch(r.info.runId, { metrics: Array.from({ length: 1000 }, (_, s) => ({ key: 'm', value: c * 1000 + s, timestamp: 1_700_000_000_000 + c * 1000 + s, step: c * 1000 + s })) });
      }
      await local.setTerminated(r.info.runId);
    }
    local.close();
    // Kill the push once the server holds some of the copies.
    const child = spawn(process.execPath, [BIN, '--root', big, 'push', '--to', server.url, '-j', '2'], { env: cleanEnv(), stdio: 'ignore' });
    const killed = await new Promise<boolean>((resolve) => {
      const timer = setInterval(async () => {
        const e = await client.getExperimentByName('many').catch(() => null);
        const n = e ? (await client.searchRuns([e.experimentId], '', { runViewType: 'ALL' })).runs.length : 0;
        if (n >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve(true);
        }
      }, 200);
      child.once('exit', () => {
        clearInterval(timer);
        resolve(false);
      });
    });
    expect(killed).toBe(true);
    const again = sync(['--root', big, 'push', '--to', server.url]);
    expect(again.failed).toEqual([]);
    const copy = projectDump(await py.dump(server.url)) as { runs: Record<string, Record<string, unknown>> };
    const folder = projectDump(await py.dump(big)) as { runs: Record<string, Record<string, unknown>> };
    expect(diffValues(copy.runs['many'], folder.runs['many'])).toEqual([]);
    const e = await client.getExperimentByName('many');
    expect((await client.searchRuns([e!.experimentId], '', { runViewType: 'ALL' })).runs.length).toBe(12);
  });
});
