/**
 * Bad input for the SQLite store: a file that is not a database, another application's database,
 * a truncated database, a read-only file, a database locked past the busy timeout, schema
 * revisions we do not know or do not write. Each gets a clear error and the file is unchanged.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { REPO, sqliteUri, tmpDir } from './helpers.js';

const dir = tmpDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function digest(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function caught(fn: () => unknown): MlflowError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MlflowError) return e;
    throw e;
  }
  throw new Error('expected an MlflowError');
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<MlflowError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof MlflowError) return e;
    throw e;
  }
  throw new Error('expected an MlflowError');
}

/** A valid MLflow database with one run, made by us. */
async function validDb(name: string): Promise<{ file: string; runId: string }> {
  const file = path.join(dir, name);
  const store = new SqliteStore(sqliteUri(file), { artifactRoot: path.join(dir, 'mlruns') });
  const run = await store.createRun({ experimentId: '0', userId: 'u', startTime: 1, tags: [] });
  await store.logMetric(run.info.runId, { key: 'm', value: 1, timestamp: 1, step: 0 });
  store.close();
  return { file, runId: run.info.runId };
}

describe('SQLite store: bad input', () => {
  test('a file that is not a database', () => {
    const file = path.join(dir, 'notes.db');
    fs.writeFileSync(file, 'this is a text file, not SQLite\n'.repeat(10));
    const before = digest(file);
    const e = caught(() => new SqliteStore(sqliteUri(file)));
    expect(e.code).toBe('MALFORMED_DATA');
    expect(e.message).toContain('is not an SQLite database');
    expect(digest(file)).toBe(before);
  });

  test("another application's database", () => {
    const file = path.join(dir, 'other.db');
    const db = new Database(file);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada');");
    db.close();
    const before = digest(file);
    const e = caught(() => new MlflowClient(sqliteUri(file)));
    expect(e.code).toBe('INVALID_STATE');
    expect(e.message).toContain('is not an MLflow tracking database');
    expect(e.message).toContain('users');
    expect(digest(file)).toBe(before);
  });

  test('a truncated database', async () => {
    const { file } = await validDb('whole.db');
    const cut = path.join(dir, 'truncated.db');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const before = digest(cut);
    const e = caught(() => new SqliteStore(sqliteUri(cut)));
    expect(e.code).toBe('MALFORMED_DATA');
    expect(e.message).toContain('is truncated');
    expect(digest(cut)).toBe(before);
  });

  test('an empty file becomes a new database (as Python initializes it)', () => {
    const file = path.join(dir, 'empty.db');
    fs.writeFileSync(file, '');
    const store = new SqliteStore(sqliteUri(file), { artifactRoot: path.join(dir, 'mlruns') });
    expect(store.features.revision).toBe('dc11669786a5');
    store.close();
  });

  test('a read-only file: reads work, writes fail clearly and change nothing', async () => {
    const { file, runId } = await validDb('readonly.db');
    fs.chmodSync(file, 0o444);
    fs.chmodSync(dir, 0o755);
    const before = digest(file);
    // Root ignores file modes: the writer runs as an unprivileged user when we are root.
    const script = `
      import { SqliteStore } from ${JSON.stringify(path.join(REPO, 'dist/store/sqlite/sqlite-store.js'))};
      const s = new SqliteStore(${JSON.stringify(sqliteUri(file))});
      const run = await s.getRun(${JSON.stringify(runId)});
      let err = null;
      try { await s.logMetric(run.info.runId, { key: 'm', value: 2, timestamp: 2, step: 1 }); } catch (e) { err = { code: e.code, message: e.message }; }
      console.log(JSON.stringify({ metric: run.data.metrics.m, err }));
    `;
    const args = ['--input-type=module', '-e', script];
    const asRoot = process.getuid?.() === 0;
    const out = asRoot
      ? execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args], { encoding: 'utf8', cwd: '/' })
      : execFileSync(process.execPath, args, { encoding: 'utf8' });
    const res = JSON.parse(out.trim()) as { metric: number; err: { code: string; message: string } | null };
    expect(res.metric).toBe(1);
    expect(res.err?.code).toBe('IO_ERROR');
    expect(res.err?.message).toContain('read-only');
    expect(digest(file)).toBe(before);
  });

  test('a database locked past the busy timeout', async () => {
    const { file, runId } = await validDb('locked.db');
    const writer = new SqliteStore(sqliteUri(file), { busyTimeoutMs: 300 });
    // Another process in the middle of a write transaction (as a Python session flushing).
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      holder.prepare("INSERT INTO experiment_tags (key, value, experiment_id) VALUES ('held', 'x', 0)").run();
      // Readers are not blocked by a writer.
      expect((await writer.getRun(runId)).data.metrics['m']).toBe(1);
      const t0 = Date.now();
      const e = await caughtAsync(() => writer.logMetric(runId, { key: 'm', value: 5, timestamp: 5, step: 9 }));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(e.code).toBe('TEMPORARILY_UNAVAILABLE');
      expect(e.message).toContain('stayed locked by another process for more than 0.3 s');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const hist = await writer.getMetricHistory(runId, 'm');
    expect(hist.items.map((m) => m.value)).toEqual([1]);
    // Once the lock is gone, the same write goes through.
    await writer.logMetric(runId, { key: 'm', value: 5, timestamp: 5, step: 9 });
    expect((await writer.getRun(runId)).data.metrics['m']).toBe(5);
    writer.close();
  });

  test('an unknown (newer) schema revision: refused, nothing written', async () => {
    const { file } = await validDb('newer.db');
    const db = new Database(file);
    db.exec("UPDATE alembic_version SET version_num = 'ffffffffffff'");
    db.close();
    const before = digest(file);
    const e = caught(() => new MlflowClient(sqliteUri(file)));
    expect(e.code).toBe('INVALID_STATE');
    expect(e.message).toContain("schema revision 'ffffffffffff', which mlruns does not know");
    expect(digest(file)).toBe(before);
  });

  test('an older revision: read, but writes refused naming mlflow db upgrade', async () => {
    const { file, runId } = await validDb('older.db');
    const db = new Database(file);
    db.exec("UPDATE alembic_version SET version_num = '400f98739977'");
    db.close();
    const before = digest(file);
    const client = new MlflowClient(sqliteUri(file));
    expect((await client.getRun(runId)).data.metrics['m']).toBe(1);
    const e = await caughtAsync(() => client.logMetric(runId, 'm', 3));
    expect(e.code).toBe('INVALID_STATE');
    expect(e.message).toContain(`mlflow db upgrade ${sqliteUri(file)}`);
    client.close();
    expect(digest(file)).toBe(before);
  });
});
