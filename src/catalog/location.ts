/**
 * Where the catalog of an `mlruns/` root lives: outside the root (a folder inside it would be read
 * by Python MLflow as a broken experiment), in the user's cache folder, keyed by the root's
 * realpath so every process opened on the same root finds the same file.
 *
 * @example
 * ```ts
 * import { catalogPath } from './location.js';
 * catalogPath('./mlruns'); // ~/.cache/mlruns/<16 hex>/catalog.sqlite
 * ```
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Options that choose the catalog's folder.
 *
 * @example
 * ```ts
 * const o: CatalogLocationOptions = { dir: '/tmp/my-catalogs' };
 * ```
 */
export interface CatalogLocationOptions {
  /** Folder holding the per-root catalog folders (overrides `MLRUNS_CATALOG_DIR` and the cache folder). */
  dir?: string;
  /** Environment to read `MLRUNS_CATALOG_DIR`, `XDG_CACHE_HOME`, `LOCALAPPDATA` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The user's cache folder for mlruns: `$XDG_CACHE_HOME` or `~/.cache` on Linux,
 * `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows, each followed by `/mlruns`.
 *
 * @example
 * ```ts
 * defaultCatalogBase(); // '/home/me/.cache/mlruns'
 * ```
 */
export function defaultCatalogBase(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  let base: string;
  if (platform === 'darwin') base = path.join(os.homedir(), 'Library', 'Caches');
  else if (platform === 'win32') base = env['LOCALAPPDATA'] || path.join(os.homedir(), 'AppData', 'Local');
  else base = env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'mlruns');
}

/**
 * The realpath of a root (its absolute path when it does not exist yet).
 *
 * @example
 * ```ts
 * canonicalRoot('./mlruns'); // '/work/project/mlruns'
 * ```
 */
export function canonicalRoot(root: string): string {
  const abs = path.resolve(root);
  try {
    return fs.realpathSync.native(abs);
  } catch {
    return abs;
  }
}

/**
 * The first 16 hex digits of the SHA-256 of the root's realpath.
 *
 * @example
 * ```ts
 * rootKey('/data/mlruns'); // e.g. '3f2a9c0b7d1e4a55'
 * ```
 */
export function rootKey(root: string): string {
  return crypto.createHash('sha256').update(canonicalRoot(root), 'utf8').digest('hex').slice(0, 16);
}

/**
 * Path of the catalog file of a root: `<base>/<rootKey>/catalog.sqlite`, where base is the
 * `dir` option, else `MLRUNS_CATALOG_DIR`, else {@link defaultCatalogBase}.
 *
 * @example
 * ```ts
 * catalogPath('/data/mlruns', { dir: '/tmp/cat' }); // '/tmp/cat/<16 hex>/catalog.sqlite'
 * ```
 */
export function catalogPath(root: string, options: CatalogLocationOptions = {}): string {
  const env = options.env ?? process.env;
  const base = options.dir ?? (env['MLRUNS_CATALOG_DIR'] || defaultCatalogBase(env));
  return path.join(path.resolve(base), rootKey(root), 'catalog.sqlite');
}
