/**
 * Sharing one mlflow.db with Python: two Python processes (MLflow 3.17.2's SqlAlchemyStore) and
 * two Node processes (our SqliteStore) log metrics into the same run at the same time; every
 * point a writer got an acknowledgement for is in the database exactly once, and the latest
 * value of each key is what MLflow's rule gives.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { oraclePython } from '../oracle/oracle.js';
import { warmPythonSpawn } from '../oracle/zygote.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { REPO, SQL_ORACLES, sqliteUri, tmpDir } from './helpers.js';

const POINTS = 30;
const dir = tmpDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    // Python in a warm interpreter of its venv (test/oracle/zygote.ts), Node as is.
    const p = /^python[\d.]*$/.test(path.basename(cmd)) ? warmPythonSpawn(cmd, args, { env, cwd: dir }) : spawn(cmd, args, { env, cwd: dir });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`))));
  });
}

describe('one database, two Python and two Node writers', () => {
  test('every acknowledged point is there, once', async () => {
    const file = path.join(dir, 'mlflow.db');
    const uri = sqliteUri(file);
    const store = new SqliteStore(uri, { artifactRoot: path.join(dir, 'mlruns') });
    const runId = (await store.createRun({ experimentId: '0', userId: 'u', startTime: 1, tags: [] })).info.runId;
    const py = (name: string): Promise<string> =>
      run(
        oraclePython(SQL_ORACLES['3']),
        [
          '-c',
          `
import sys
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri=${JSON.stringify(uri)})
for i in range(${POINTS}):
    c.log_metric(${JSON.stringify(runId)}, "${name}", float(i), timestamp=1000 + i, step=i)
    c.log_metric(${JSON.stringify(runId)}, "shared", float(i), timestamp=1000 + i, step=i)
    print("ack ${name}", i, flush=True)
`,
        ],
        { ...process.env, GIT_PYTHON_REFRESH: 'quiet' },
      );
    const node = (name: string): Promise<string> =>
      run(process.execPath, [
        '--input-type=module',
        '-e',
        `
import { SqliteStore } from ${JSON.stringify(path.join(REPO, 'dist/store/sqlite/sqlite-store.js'))};
const s = new SqliteStore(${JSON.stringify(uri)});
for (let i = 0; i < ${POINTS}; i++) {
  await s.logMetric(${JSON.stringify(runId)}, { key: ${JSON.stringify(name)}, value: i, timestamp: 1000 + i, step: i });
  await s.logBatch(${JSON.stringify(runId)}, { metrics: [{ key: 'shared', value: i + 0.5, timestamp: 1000 + i, step: i }] });
  console.log('ack ${name}', i);
}
s.close();
`,
      ]);
    const outs = await Promise.all([py('py1'), py('py2'), node('node1'), node('node2')]);
    const acks = outs.join('').split('\n').filter((l) => l.startsWith('ack '));
    expect(acks.length).toBe(4 * POINTS);
    for (const name of ['py1', 'py2', 'node1', 'node2']) {
      const hist = await store.getMetricHistory(runId, name);
      expect(hist.items.map((m) => m.value)).toEqual(Array.from({ length: POINTS }, (_, i) => i));
    }
    // "shared": the Python writers both log i (one row, same primary key), the Node writers both i + 0.5.
    const shared = await store.getMetricHistory(runId, 'shared');
    expect(shared.items.length).toBe(2 * POINTS);
    const run1 = await store.getRun(runId);
    expect(run1.data.metrics).toEqual({ py1: POINTS - 1, py2: POINTS - 1, node1: POINTS - 1, node2: POINTS - 1, shared: POINTS - 1 + 0.5 });
    store.close();
  }, 300_000);
});

describe('durability as Python commits', () => {
  test('a WAL database (as `mlflow migrate-filestore` leaves it) is written with synchronous=FULL, as Python sqlite3 does', async () => {
    const file = path.join(dir, 'wal.db');
    const uri = sqliteUri(file);
    const made = new SqliteStore(uri, { artifactRoot: path.join(dir, 'wal-artifacts') });
    made.db.pragma('journal_mode = WAL');
    made.close();
    const store = new SqliteStore(uri, { artifactRoot: path.join(dir, 'wal-artifacts') });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL: the WAL is synced at every commit (better-sqlite3's own default there is 1, NORMAL).
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    const py = await run(oraclePython(SQL_ORACLES['3']), ['-c', `import sqlite3; c = sqlite3.connect(${JSON.stringify(file)}); print(c.execute('pragma synchronous').fetchone()[0])`]);
    expect(Number(py.trim())).toBe(2);
    store.close();
  });
});
