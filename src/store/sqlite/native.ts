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
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

const require = createRequire(import.meta.url);
let constructor: typeof Database | undefined;
let installed: { addon: string; version: string | undefined } | null | undefined;

/**
 * The installed better-sqlite3: its native addon's file where its own build puts it (so opening
 * the first database of a process skips the `bindings` package's search: a dozen paths probed, a
 * few ms of a fresh process's query) and its version; null when the addon is elsewhere
 * (better-sqlite3 then finds it).
 */
function installedSqlite(): { addon: string; version: string | undefined } | null {
  if (installed === undefined) {
    installed = null;
    try {
      const pkg = require.resolve('better-sqlite3/package.json');
      const addon = path.join(path.dirname(pkg), 'build', 'Release', 'better_sqlite3.node');
      if (fs.existsSync(addon)) installed = { addon, version: (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: string }).version };
    } catch {
      /* not resolvable from here: the default lookup */
    }
  }
  return installed;
}

/**
 * better-sqlite3's JavaScript: the one-file bundle of the installed version made by the build
 * (scripts/bundle-sqlite.mjs; ~4 ms to load in a fresh process instead of ~8 for its fifteen
 * files), used only with the addon path above; else the package itself.
 */
function loadConstructor(): typeof Database {
  const version = installedSqlite()?.version;
  if (version !== undefined) {
    const bundle = fileURLToPath(new URL(`../../vendor/better-sqlite3-${version}.cjs`, import.meta.url));
    if (fs.existsSync(bundle)) return require(bundle) as typeof Database;
  }
  return require('better-sqlite3') as typeof Database;
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
  constructor ??= loadConstructor();
  const addon = options.nativeBinding === undefined ? installedSqlite()?.addon : undefined;
  return new constructor(file, addon ? { ...options, nativeBinding: addon } : options);
}
