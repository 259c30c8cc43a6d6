/**
 * The catalog is a cache that never makes a query fail or answer differently: a corrupt file, a
 * wrong schema version, a file deleted under a running process, a lock held by a live process or
 * left by a killed one — queries still return exactly the scan's answer. Also: where the file
 * lives, the off switches, incremental metric reads (appended bytes only, partial last line never
 * folded into the stored offset, rewrites detected).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { CATALOG_SCHEMA_VERSION, catalogEnabled, openCatalog } from '../../src/catalog/catalog.js';
import { catalogPath, defaultCatalogBase, rootKey } from '../../src/catalog/location.js';
import { catalogSearchRuns, lastSearchPath, scanSearchRuns } from '../../src/catalog/search.js';
import { FileStore } from '../../src/store/file/file-store.js';
import { compareAll } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-cat-rob-'));
const catDir = path.join(tmp, 'catalogs');
let root: string;
let expId: string;
let runIds: string[] = [];

beforeAll(async () => {
  root = path.join(tmp, 'mlruns');
  const c = new MlflowClient(root);
  expId = await c.createExperiment('robust');
  for (let i = 0; i < 20; i++) {
    const r = await c.createRun(expId, { startTime: 1_700_000_000_000 + i });
    runIds.push(r.info.runId);
    await c.logParam(r.info.runId, 'i', String(i % 4));
    await c.logMetric(r.info.runId, 'acc', i / 20, { step: i });
    if (i % 3 === 0) await c.setTerminated(r.info.runId, 'FINISHED');
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const Q = { filterString: "params.i = '1'", orderBy: ['metrics.acc DESC'], maxResults: 3 };
const scan = () => scanSearchRuns(new FileStore(root), [expId], Q);
/** The catalog's answer and the path it took (read before the scan resets it). */
function viaCatalog(cat: ReturnType<typeof openCatalog>, store = new FileStore(root)): { page: unknown; path: string } {
  const page = catalogSearchRuns(cat, store, [expId], Q);
  return { page, path: lastSearchPath() };
}

describe('location and switches', () => {
  it('lives in the user cache folder keyed by the root realpath, overridable', () => {
    expect(defaultCatalogBase({ XDG_CACHE_HOME: '/x/cache' }, 'linux')).toBe(path.join('/x/cache', 'mlruns'));
    expect(defaultCatalogBase({}, 'darwin')).toBe(path.join(os.homedir(), 'Library', 'Caches', 'mlruns'));
    expect(defaultCatalogBase({ LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' }, 'win32')).toContain('mlruns');
    expect(rootKey(root)).toMatch(/^[0-9a-f]{16}$/);
    expect(catalogPath(root, { env: { MLRUNS_CATALOG_DIR: '/c' } })).toBe(path.join('/c', rootKey(root), 'catalog.sqlite'));
    expect(catalogPath(root, { dir: '/d', env: { MLRUNS_CATALOG_DIR: '/c' } })).toBe(path.join('/d', rootKey(root), 'catalog.sqlite'));
    // Same root through a symlink: same catalog.
    const link = path.join(tmp, 'link');
    fs.symlinkSync(root, link);
    expect(rootKey(link)).toBe(rootKey(root));
    expect(catalogEnabled({}, { MLRUNS_CATALOG: 'off' })).toBe(false);
    expect(catalogEnabled({ catalog: 'off' }, {})).toBe(false);
    expect(catalogEnabled({ catalog: 'auto' }, {})).toBe(true);
  });
});

describe('damage and locks never change an answer', () => {
  it('a file that is not a database is rebuilt', () => {
    const file = catalogPath(root, { dir: catDir });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'this is not a database at all'.repeat(200));
    const cat = openCatalog(root, { dir: catDir });
    expect(cat.created).toBe(true);
    const got = viaCatalog(cat);
    expect(got.page).toEqual(scan());
    expect(got.path).toBe('sql');
    cat.close();
  });

  it('a catalog damaged while open answers by scan, then rebuilds', () => {
    const cat = openCatalog(root, { dir: catDir });
    expect(catalogSearchRuns(cat, new FileStore(root), [expId], Q)).toEqual(scan());
    cat.db.pragma('wal_checkpoint(TRUNCATE)');
    const size = fs.statSync(cat.file).size;
    const fd = fs.openSync(cat.file, 'r+');
    // Garbage over every page but the first (the header stays valid).
    fs.writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    fs.closeSync(fd);
    const other = openCatalog(root, { dir: catDir });
    expect(catalogSearchRuns(other, new FileStore(root), [expId], Q)).toEqual(scan());
    expect(catalogSearchRuns(other, new FileStore(root), [expId], Q)).toEqual(scan());
    expect(compareAll(other, root)).toBeNull();
    other.close();
    cat.close();
    // The integrity check (what the watcher runs on open) also catches it.
    const again = openCatalog(root, { dir: catDir, integrityCheck: true });
    expect(compareAll(again, root)).toBeNull();
    again.close();
  });

  it('a wrong schema version is rebuilt', () => {
    const file = catalogPath(root, { dir: catDir });
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(CATALOG_SCHEMA_VERSION + 41));
    db.close();
    const cat = openCatalog(root, { dir: catDir });
    expect(cat.created).toBe(true);
    expect(cat.getMeta('schema_version')).toBe(String(CATALOG_SCHEMA_VERSION));
    expect(compareAll(cat, root)).toBeNull();
    cat.close();
  });

  it('a catalog file deleted under an open catalog loses nothing', async () => {
    const cat = openCatalog(root, { dir: catDir });
    catalogSearchRuns(cat, new FileStore(root), [expId], Q);
    fs.rmSync(cat.file);
    await new MlflowClient(root).setTag(runIds[1]!, 'x', 'y');
    expect(compareAll(cat, root)).toBeNull();
    cat.close();
    const fresh = openCatalog(root, { dir: catDir });
    expect(fresh.created).toBe(true);
    expect(compareAll(fresh, root)).toBeNull();
    fresh.close();
  });

  const holdLock = (file: string): Promise<ReturnType<typeof spawn>> =>
    new Promise((resolve, reject) => {
      const code = `
        const Database = require('better-sqlite3');
        const db = new Database(${JSON.stringify(file)});
        db.exec('BEGIN IMMEDIATE');
        db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('locked', 'yes')").run();
        process.stdout.write('locked\\n');
        setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ['-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('locked')) resolve(child);
      });
      child.on('error', reject);
      child.on('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
    });

  it('a write lock held by a live process: the query waits its busy timeout, then answers by scan', async () => {
    const c = new MlflowClient(root);
    const warm = openCatalog(root, { dir: catDir });
    catalogSearchRuns(warm, new FileStore(root), [expId], Q);
    warm.close();
    const file = catalogPath(root, { dir: catDir });
    const child = await holdLock(file);
    try {
      await c.logMetric(runIds[5]!, 'acc', 99);
      const cat = openCatalog(root, { dir: catDir, busyTimeoutMs: 200 });
      const got = viaCatalog(cat);
      expect(got.page).toEqual(scan());
      expect(got.path).toBe('scan');
      cat.close();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a write transaction left by a killed process is no reason to fail', async () => {
    const file = catalogPath(root, { dir: catDir });
    const child = await holdLock(file);
    await new MlflowClient(root).logParam(runIds[7]!, 'late', 'yes');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const cat = openCatalog(root, { dir: catDir });
    const got = viaCatalog(cat);
    expect(got.page).toEqual(scan());
    expect(got.path).toBe('sql');
    expect(cat.getMeta('locked')).toBeUndefined(); // the killed process's write was rolled back
    expect(compareAll(cat, root)).toBeNull();
    cat.close();
  });

  it('a strict store, a store of another root, a closed catalog: the scan answers', () => {
    const cat = openCatalog(root, { dir: catDir });
    const strict = new FileStore(root, { strict: true });
    const a = viaCatalog(cat, strict);
    expect(a.page).toEqual(scan());
    expect(a.path).toBe('scan');
    cat.close();
    const b = viaCatalog(cat);
    expect(b.page).toEqual(scan());
    expect(b.path).toBe('scan');
  });
});

describe('incremental metric reads', () => {
  it('reads only appended bytes, never folds a partial last line into the offset, detects rewrites', async () => {
    const c = new MlflowClient(root);
    const rid = runIds[2]!;
    const f = path.join(root, expId, rid, 'metrics', 'inc');
    const cat = openCatalog(root, { dir: catDir });
    const row = () =>
      cat.db
        .prepare(
          "SELECT m.off, m.size, m.present, m.value, m.step FROM metrics m JOIN runs r ON r.rid = m.rid WHERE r.run_id = ? AND m.key = 'inc'",
        )
        .get(rid) as { off: number; size: number; present: number; value: number; step: number } | undefined;
    await c.logMetric(rid, 'inc', 1, { step: 1, timestamp: 10 });
    const r1 = cat.refresh();
    expect(r1.metricFilesRead).toBe(1);
    const len1 = fs.statSync(f).size;
    expect(row()).toMatchObject({ off: len1, size: len1, present: 1, value: 1, step: 1 });
    // Half a line: visible as the scan sees it, but the stored offset stays at the last newline.
    fs.appendFileSync(f, '20 5.0');
    cat.refresh();
    expect(row()).toMatchObject({ off: len1, size: len1 + 6, present: 1, value: 1, step: 1 }); // (step 0, ts 20) < (step 1, ts 10)
    expect(compareAll(cat, root)).toBeNull();
    fs.appendFileSync(f, ' 3\n');
    const r3 = cat.refresh();
    expect(r3.metricFilesRead).toBe(1);
    expect(row()).toMatchObject({ off: fs.statSync(f).size, value: 5, step: 3 });
    // A half line that does not parse yet: the scan drops the metric, so does the catalog.
    fs.appendFileSync(f, '30 ');
    cat.refresh();
    expect(row()).toMatchObject({ present: 0 });
    expect(compareAll(cat, root)).toBeNull();
    fs.appendFileSync(f, '7.0 9\n');
    cat.refresh();
    expect(row()).toMatchObject({ present: 1, value: 7, step: 9 });
    // Rewritten in place, longer, same inode: not taken for an append.
    fs.writeFileSync(f, '1 100.0 100\n' + fs.readFileSync(f, 'utf8').replace(/^\d+/, '2'));
    cat.refresh();
    expect(row()).toMatchObject({ value: 100, step: 100 });
    // Shrunk.
    fs.writeFileSync(f, '1 4.0 1\n');
    cat.refresh();
    expect(row()).toMatchObject({ value: 4, step: 1 });
    // Nothing changed: nothing read.
    const idle = cat.refresh();
    expect(idle.runsRead + idle.metricFilesRead).toBe(0);
    expect(compareAll(cat, root)).toBeNull();
    cat.close();
  });
});
