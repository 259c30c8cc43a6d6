/**
 * The cold build in worker threads (the built `dist/`: the TypeScript sources have no worker
 * script, so under the test runner a refresh reads in its own thread): same catalog, row for
 * row, as a build without workers, same query answers as the scan, and a process that built a
 * catalog with workers exits by itself.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import { SyncPool, workerExecArgv, workerScript } from '../../src/catalog/pool.js';
import type { RunJob } from '../../src/catalog/run-folder.js';
import { BIN, build } from '../cli/helpers.js';
import { compareAll } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-cat-workers-'));
const root = path.join(tmp, 'mlruns');
const DIST = path.dirname(path.dirname(BIN));
let expIds: string[] = [];

beforeAll(async () => {
  build();
  const c = new MlflowClient(root, { catalog: 'off' });
  expIds = [await c.createExperiment('a'), await c.createExperiment('b')];
  for (let i = 0; i < 90; i++) {
    const e = expIds[i % 2]!;
    const r = (await c.createRun(e, { startTime: 1_700_000_000_000 + i })).info.runId;
    await c.logParam(r, 'lr', String((i % 5) / 10));
    await c.logParam(r, 'nested/p', 'x'.repeat(i % 7));
    await c.setTag(r, 'note', `é ${i}`);
    for (let s = 0; s < 3; s++) await c.logMetric(r, 'loss', i % 11 === 0 ? NaN : 1 / (i + s + 1), { step: s, timestamp: 1000 + s });
    if (i % 3 === 0) await c.logMetric(r, 'acc', i % 6 === 0 ? -0 : i, { step: 0, timestamp: 1 });
    // A long history (over SUMMARY_MIN_BYTES) in some runs: its series summary is built too.
    if (i % 15 === 0) await c.logBatch(r, { metrics: Array.from({ length: 2500 }, (_, s) => ({ key: 'curve', value: Math.sin(s / 50) * (i + 1), timestamp: 1_700_000_000_000 + s, step: s })) });
    if (i % 10 === 0) {
      await c.logInputs(r, [
        {
          dataset: { name: `ds${i}`, digest: `d${i}`, sourceType: 'local', source: '{}', schema: null, profile: null },
          tags: [{ key: 'mlflow.data.context', value: 'train' }],
        },
      ]);
    }
    if (i % 4 === 0) await c.setTerminated(r, 'FINISHED');
    if (i % 9 === 0) await c.deleteRun(r);
    if (i === 7) fs.appendFileSync(path.join(root, e, r, 'metrics', 'loss'), 'garbage\n');
    if (i === 8) fs.writeFileSync(path.join(root, e, r, 'meta.yaml'), '');
    if (i === 12) fs.appendFileSync(path.join(root, e, r, 'metrics', 'loss'), '5 0.5'); // partial last line
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every row of the catalog's data tables, in a stable order. */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const q = (sql: string): unknown[] => db.prepare(sql).all();
    return {
      exps: q('SELECT * FROM exps ORDER BY loc, dir'),
      // probe: folder stats, `!` for folders changed within seconds of the build (differs between builds).
      runs: q('SELECT * FROM runs ORDER BY loc, exp_dir, folder').map((r) => ({ ...(r as object), probe: String((r as { probe: string }).probe).replace(/\t[^\n]*/g, '') })),
      json: q('SELECT r.folder, j.json FROM run_json j JOIN runs r ON r.rid = j.rid ORDER BY r.folder'),
      params: q('SELECT r.folder, p.key, p.value FROM params p JOIN runs r ON r.rid = p.rid ORDER BY r.folder, p.key'),
      tags: q('SELECT r.folder, t.key, t.value FROM tags t JOIN runs r ON r.rid = t.rid ORDER BY r.folder, t.key'),
      metrics: q('SELECT r.folder, m.* FROM metrics m JOIN runs r ON r.rid = m.rid ORDER BY r.folder, m.key').map((m) => ({ ...(m as object), rid: 0 })),
      msum: q('SELECT r.folder, s.key, s.level, s.chunk, s.x0, s.x1, hex(s.data) AS data FROM msum s JOIN runs r ON r.rid = s.rid ORDER BY r.folder, s.key, s.level, s.chunk'),
      datasets: q('SELECT r.folder, d.kind, d.value FROM datasets d JOIN runs r ON r.rid = d.rid ORDER BY r.folder, d.kind, d.value'),
      warnings: q('SELECT r.folder, w.scope, w.key, w.code, w.path, w.message FROM warnings w JOIN runs r ON r.rid = w.rid ORDER BY r.folder, w.path, w.code'),
    };
  } finally {
    db.close();
  }
}

/** Builds a catalog with the built library in a fresh process; returns its file and the process's exit. */
function buildInProcess(dir: string, workers: number): { file: string; status: number | null; ms: number; stderr: string } {
  const script = `
    const { openCatalog } = await import(${JSON.stringify(pathToFileURL(path.join(DIST, 'catalog/catalog.js')).href)});
    const cat = openCatalog(${JSON.stringify(root)}, { dir: ${JSON.stringify(dir)}, workers: ${workers} });
    const r = cat.refresh();
    cat.close();
    process.stdout.write(JSON.stringify({ file: cat.file, runsRead: r.runsRead }));`;
  const t = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, MLRUNS_CATALOG_WORKERS_MIN_RUNS: '1' },
  });
  const ms = Date.now() - t;
  const out = r.stdout ? (JSON.parse(r.stdout) as { file: string; runsRead: number }) : { file: '', runsRead: 0 };
  return { file: out.file, status: r.status, ms, stderr: r.stderr };
}

describe('cold build in worker threads', () => {
  it('the sources run under the test runner have no worker script (reads stay in-thread)', () => {
    expect(workerScript()).toBeUndefined();
    expect(fs.existsSync(path.join(DIST, 'catalog/worker.js'))).toBe(true);
  });

  it('builds the same catalog as without workers, answers as the scan, and the process exits', () => {
    const withWorkers = buildInProcess(path.join(tmp, 'cat-w'), 3);
    expect(withWorkers.stderr).toBe('');
    expect(withWorkers.status).toBe(0);
    const inThread = buildInProcess(path.join(tmp, 'cat-0'), 0);
    expect(inThread.status).toBe(0);
    const a = dump(withWorkers.file);
    const b = dump(inThread.file);
    expect((a['runs'] as unknown[]).length).toBe(90);
    expect((a['warnings'] as unknown[]).length).toBeGreaterThan(0);
    expect((a['datasets'] as unknown[]).length).toBeGreaterThan(0);
    expect((a['msum'] as unknown[]).length).toBeGreaterThan(0);
    for (const t of Object.keys(b)) expect({ t, rows: a[t] }).toEqual({ t, rows: b[t] });
    // Read by this (source) version: a delta refresh finds nothing to do, queries match the scan.
    const cat = openCatalog(root, { dir: path.join(tmp, 'cat-w') });
    expect(cat.file).toBe(withWorkers.file);
    const idle = cat.refresh();
    expect(idle.cold).toBe(false);
    expect(compareAll(cat, root)).toBeNull();
    cat.close();
  });

  it('workers inherit no flag that would stop them from loading (node --input-type=module -e ...)', () => {
    expect(workerExecArgv(['--input-type=module', '-e', 'x', '--max-old-space-size=4096', '--enable-source-maps'])).toEqual([
      '--max-old-space-size=4096',
      '--enable-source-maps',
    ]);
  });

  it('reads in this thread what workers do not read: not started, failed tasks, stopped answering', () => {
    const script = (name: string, body: string): URL => {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, `import { workerData } from 'node:worker_threads';\nconst s = new Int32Array(workerData.signal);\n${body}\n`);
      return pathToFileURL(f);
    };
    const started = 'Atomics.add(s, 1, 1); Atomics.add(s, 0, 1); Atomics.notify(s, 0);';
    const cases: [URL, { readyMs?: number; stallMs?: number }][] = [
      [script('broken.mjs', 'throw new Error("cannot start");'), { readyMs: 300 }],
      [script('silent.mjs', `${started} workerData.port.on('message', () => {});`), { stallMs: 300 }],
      [
        script('failing.mjs', `${started} workerData.port.on('message', (t) => { workerData.port.postMessage({ id: t.id, error: 'no' }); Atomics.add(s, 0, 1); Atomics.notify(s, 0); });`),
        {},
      ],
    ];
    const job = (folder: string): RunJob => ({ loc: 'root', dir: '1', expDir: root, folder, outside: false });
    const tasks = [[job('a'), job('b')], [job('c')], [job('d')], [job('e')]].map((jobs) => ({ kind: 'read' as const, jobs }));
    for (const [url, limits] of cases) {
      const pool = new SyncPool(2, url, { root, trustBefore: Date.now() - 3000 }, limits);
      const seen: [number, number][] = [];
      const t = Date.now();
      pool.run(
        tasks,
        (i, runs) => seen.push([i, runs.length]),
        (task) => task.jobs.map(() => undefined),
      );
      pool.close();
      expect(seen).toEqual([
        [0, 2],
        [1, 1],
        [2, 1],
        [3, 1],
      ]);
      expect(Date.now() - t).toBeLessThan(5000);
    }
  });
});
