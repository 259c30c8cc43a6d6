/**
 * better-sqlite3, loaded when a database is first opened rather than when `mlruns` is imported:
 * a program that only reads and writes an `mlruns/` folder with the catalog off never loads it
 * (nor its native addon). Every SQLite file the library opens (MLflow's database, the catalog,
 * a migration's temporary database) is opened here.
 *
 * @example
 * ```ts
 * import { openSqliteFile } from './native.js';
 * const db = openSqliteFile('/tmp/x.db', { fileMustExist: false });
 * db.close();
 * ```
 * @module
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Database from 'better-sqlite3';

const require = createRequire(import.meta.url);
let constructor: typeof Database | undefined;
let addonPath: string | null | undefined;

/**
 * The file of better-sqlite3's native addon where its own build puts it, so opening the first
 * database of a process skips the `bindings` package's search (a dozen paths probed, a few ms of
 * a fresh process's query); undefined when it is elsewhere (better-sqlite3 then finds it).
 */
function sqliteAddon(): string | undefined {
  if (addonPath === undefined) {
    addonPath = null;
    try {
      const p = path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
      if (fs.existsSync(p)) addonPath = p;
    } catch {
      /* not resolvable from here: the default lookup */
    }
  }
  return addonPath ?? undefined;
}

/**
 * Opens (or creates) an SQLite file with better-sqlite3, loading it on the first call.
 *
 * @example
 * ```ts
 * const db = openSqliteFile('/tmp/catalog.sqlite', { timeout: 5000 });
 * ```
 */
export function openSqliteFile(file: string, options: Database.Options = {}): Database.Database {
  constructor ??= require('better-sqlite3') as typeof Database;
  const addon = options.nativeBinding === undefined ? sqliteAddon() : undefined;
  return new constructor(file, addon ? { ...options, nativeBinding: addon } : options);
}
