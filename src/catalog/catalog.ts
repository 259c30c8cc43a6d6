/**
 * The catalog: a derived SQLite index of an `mlruns/` root (experiments, run attributes, params,
 * tags, latest metrics with the byte offset read so far, the stat signatures of each run folder,
 * the read warnings a scan would report, and each Run as JSON). It is a cache: deleting it loses
 * nothing; a schema mismatch or a corrupt file is rebuilt.
 *
 * @example
 * ```ts
 * import { openCatalog } from './catalog.js';
 * const cat = openCatalog('./mlruns');
 * cat.refresh();           // cold build the first time, a cheap delta afterwards
 * cat.close();
 * ```
 */
import { CATALOG_SCHEMA, CATALOG_SCHEMA_VERSION } from './tables.js';
import type { RefreshOptions, RefreshResult } from './refresh.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import { likeMatch } from '../search/evaluate.js';
import { FileStore } from '../store/file/file-store.js';
import { openSqliteFile } from '../store/sqlite/native.js';
import { trackingUriToPath } from '../store/uri.js';
import { catalogPath, canonicalRoot } from './location.js';
import type { CatalogLocationOptions } from './location.js';
import type { ReadWarning } from '../errors.js';
import { refreshCatalog } from './refresh.js';

/**
 * Options of {@link openCatalog}.
 *
 * @example
 * ```ts
 * const o: CatalogOptions = { dir: '/tmp/catalogs', busyTimeoutMs: 2000 };
 * ```
 */
export interface CatalogOptions extends CatalogLocationOptions {
  /** Exact path of the catalog file (overrides `dir`). */
  path?: string;
  /** How long to wait for a lock held by another process (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Run `PRAGMA quick_check` on open and rebuild when it fails (default false; the watcher sets it). */
  integrityCheck?: boolean;
  /**
   * Worker threads reading new run folders in a refresh (a cold build): default one per core
   * (`MLRUNS_CATALOG_WORKERS` overrides); 0 reads in the calling thread.
   */
  workers?: number;
  /**
   * Called with each read warning (a damaged meta.yaml, metric file, an invalid param name...)
   * found in the files a refresh (re)reads: a damaged file is reported when first read and again
   * only after it changed. Queries through `catalogSearchRuns` pass the warnings of the runs they
   * cover to the querying store, as its own scan would report them.
   */
  onWarning?: (warning: ReadWarning) => void;
}

const isSqliteError = (e: unknown): e is Error & { code: string } =>
  e instanceof Error && typeof (e as unknown as { code?: unknown }).code === 'string' && (e as unknown as { code: string }).code.startsWith('SQLITE_');

/**
 * True when an error means the catalog file is damaged (and should be rebuilt).
 *
 * @example
 * ```ts
 * isCorruptionError(err); // true for SQLITE_CORRUPT / SQLITE_NOTADB
 * ```
 */
export function isCorruptionError(e: unknown): boolean {
  return isSqliteError(e) && (e.code.startsWith('SQLITE_CORRUPT') || e.code === 'SQLITE_NOTADB');
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeDbFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    try {
      fs.rmSync(file + suffix, { force: true });
    } catch {
      /* ignore */
    }
  }
}

/**
 * An open catalog of one root. Obtain it with {@link openCatalog}.
 *
 * @example
 * ```ts
 * const cat = openCatalog('./mlruns');
 * if (!cat.watcherLive()) cat.refresh();
 * ```
 */
export class Catalog {
  /** The SQLite connection (better-sqlite3); replaced by {@link reset}. */
  db: Db;
  /** The realpath of the root. */
  readonly root: string;
  /** The catalog file. */
  readonly file: string;
  /** A store over the root (experiment meta.yaml reads; its warnings go to {@link onWarning}). */
  readonly reader: FileStore;
  /** True when the file was (re)created by this open. */
  readonly created: boolean;
  /** Worker threads for a refresh (see {@link CatalogOptions.workers}); undefined: the default. */
  readonly workers: number | undefined;
  /** See {@link CatalogOptions.onWarning}. */
  readonly onWarning: ((warning: ReadWarning) => void) | undefined;
  /** Experiment folders as last listed by a refresh of this connection (see `RefreshTarget.listings`). */
  readonly listings = new Map<string, string>();
  private closed = false;

  private readonly busyTimeoutMs: number;

  /** @internal use {@link openCatalog}. */
  constructor(
    db: Db,
    root: string,
    file: string,
    created: boolean,
    busyTimeoutMs = 5000,
    options: { workers?: number | undefined; onWarning?: ((warning: ReadWarning) => void) | undefined } = {},
  ) {
    this.db = db;
    this.busyTimeoutMs = busyTimeoutMs;
    this.root = root;
    this.file = file;
    this.created = created;
    this.workers = options.workers;
    this.onWarning = options.onWarning;
    this.reader = new FileStore(root, { onWarning: options.onWarning ?? (() => undefined) });
  }

  /**
   * Brings the catalog up to date with the files (a cold build when empty, a delta otherwise).
   *
   * @example
   * ```ts
   * const { events } = cat.refresh({ emit: true });
   * ```
   */
  refresh(options: RefreshOptions = {}): RefreshResult {
    return refreshCatalog(this, options);
  }

  /**
   * Writes the watcher heartbeat (pid and time).
   *
   * @example
   * ```ts
   * cat.heartbeat();
   * ```
   */
  heartbeat(pid: number = process.pid, now: number = Date.now()): void {
    this.db.prepare('INSERT OR REPLACE INTO heartbeat(id, pid, ts) VALUES (1, @pid, @ts)').run({ pid, ts: now });
  }

  /**
   * Removes the heartbeat (a watcher that stops cleanly).
   *
   * @example
   * ```ts
   * cat.clearHeartbeat();
   * ```
   */
  clearHeartbeat(pid: number = process.pid): void {
    this.db.prepare('DELETE FROM heartbeat WHERE pid = @pid').run({ pid });
  }

  /**
   * True when a watcher keeps this catalog current: a heartbeat younger than `maxAgeMs` whose
   * process is alive.
   *
   * @example
   * ```ts
   * cat.watcherLive(); // false without `mlruns watch`
   * ```
   */
  watcherLive(maxAgeMs = 3000, now: number = Date.now()): boolean {
    const row = this.db.prepare('SELECT pid, ts FROM heartbeat WHERE id = 1').get() as { pid: number; ts: number } | undefined;
    if (!row) return false;
    if (now - row.ts > maxAgeMs) return false;
    return pidAlive(row.pid);
  }

  /**
   * A value of the `meta` table.
   *
   * @example
   * ```ts
   * cat.getMeta('schema_version'); // '1'
   * ```
   */
  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = @key').get({ key }) as { value: string } | undefined;
    return row?.value;
  }

  /**
   * Sets a value of the `meta` table.
   *
   * @example
   * ```ts
   * cat.setMeta('note', 'x');
   * ```
   */
  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (@key, @value)').run({ key, value });
  }

  /**
   * Number of runs indexed (readable or not).
   *
   * @example
   * ```ts
   * cat.runCount();
   * ```
   */
  runCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
  }

  /**
   * Drops the catalog (a damaged or foreign file) and starts an empty one at the same path; the
   * next {@link refresh} is a cold build.
   *
   * @example
   * ```ts
   * cat.reset();
   * ```
   */
  reset(): void {
    try {
      this.db.close();
    } catch {
      /* ignore */
    }
    removeDbFiles(this.file);
    this.listings.clear();
    this.db = initDb(this.file, this.busyTimeoutMs, false).db;
  }

  /**
   * True once {@link close} was called.
   *
   * @example
   * ```ts
   * cat.isClosed; // false
   * ```
   */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Closes the connection.
   *
   * @example
   * ```ts
   * cat.close();
   * ```
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } catch {
      /* ignore */
    }
  }
}

/** The catalog's memory map (SQLite's `mmap_size`): more than a 100k-run catalog's file. */
const MMAP_BYTES = 1 << 30;

function initDb(file: string, busyTimeoutMs: number, integrityCheck: boolean): { db: Db; created: boolean } {
  const existed = fs.existsSync(file);
  const db = openSqliteFile(file, { timeout: busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    const mode = db.pragma('journal_mode', { simple: true }) as string;
    if (mode !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Reads through a memory map instead of a read() per page: a fresh process's first query
    // reads thousands of pages (~6 ms of its CPU at 5,000 runs). Address space only.
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (hasMeta) {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      if (row?.value !== String(CATALOG_SCHEMA_VERSION)) throw Object.assign(new Error('catalog schema version mismatch'), { code: 'MLRUNS_SCHEMA' });
      if (integrityCheck) {
        const res = db.pragma('quick_check', { simple: true }) as string;
        if (res !== 'ok') throw Object.assign(new Error(`catalog integrity check failed: ${res}`), { code: 'SQLITE_CORRUPT' });
      }
    } else {
      db.exec('BEGIN IMMEDIATE');
      try {
        const again = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
        if (!again) {
          db.exec(CATALOG_SCHEMA);
          db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (@key, @value)').run({ key: 'schema_version', value: String(CATALOG_SCHEMA_VERSION) });
        }
        db.exec('COMMIT');
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw e;
      }
    }
    db.function('mlr_like', { deterministic: true }, (value: unknown, pattern: unknown, ci: unknown) =>
      typeof value === 'string' && typeof pattern === 'string' && likeMatch(value, pattern, ci === 1) ? 1 : 0,
    );
    return { db, created: !existed || !hasMeta };
  } catch (e) {
    try {
      db.close();
    } catch {
      /* ignore */
    }
    throw e;
  }
}

/**
 * Opens (creating or rebuilding as needed) the catalog of a root. A schema version mismatch or a
 * damaged file (not a database, failing integrity check) deletes the file and starts empty; the
 * next {@link Catalog.refresh} rebuilds it. Throws only when the folder cannot be written or the
 * database stays locked past the busy timeout — callers fall back to a scan.
 *
 * @example
 * ```ts
 * const cat = openCatalog('./mlruns', { dir: process.env.MLRUNS_CATALOG_DIR });
 * ```
 */
export function openCatalog(root: string, options: CatalogOptions = {}): Catalog {
  const rootPath = canonicalRoot(trackingUriToPath(root));
  const file = options.path ?? catalogPath(rootPath, options);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const busy = options.busyTimeoutMs ?? 5000;
  let opened: { db: Db; created: boolean };
  try {
    opened = initDb(file, busy, options.integrityCheck ?? false);
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code === 'MLRUNS_SCHEMA' || isCorruptionError(e) || code === 'SQLITE_NOTADB') {
      removeDbFiles(file);
      opened = initDb(file, busy, false);
    } else {
      throw e;
    }
  }
  const cat = new Catalog(opened.db, rootPath, file, opened.created, busy, { workers: options.workers, onWarning: options.onWarning });
  if (!cat.getMeta('root')) {
    try {
      cat.setMeta('root', rootPath);
    } catch {
      /* a busy writer: not needed for correctness */
    }
  }
  return cat;
}

/**
 * Deletes a catalog file (and its WAL files); the next open starts empty.
 *
 * @example
 * ```ts
 * deleteCatalog('./mlruns');
 * ```
 */
export function deleteCatalog(root: string, options: CatalogOptions = {}): void {
  const rootPath = canonicalRoot(trackingUriToPath(root));
  removeDbFiles(options.path ?? catalogPath(rootPath, options));
}

/**
 * Whether the catalog should be used: `catalog: 'off'` or `MLRUNS_CATALOG=off` disable it.
 *
 * @example
 * ```ts
 * catalogEnabled({ catalog: 'auto' }); // true unless MLRUNS_CATALOG=off
 * ```
 */
export function catalogEnabled(options: { catalog?: 'auto' | 'off' } = {}, env: NodeJS.ProcessEnv = process.env): boolean {
  if (options.catalog === 'off') return false;
  const v = (env['MLRUNS_CATALOG'] ?? '').toLowerCase();
  return !(v === 'off' || v === '0' || v === 'false');
}

export { CATALOG_SCHEMA_VERSION, SECONDARY_INDEXES } from './tables.js';
export type { RefreshOptions, RefreshResult } from './refresh.js';
