/**
 * `mlruns migrate`: moves everything a store knows between a `mlruns/` folder and MLflow's SQLite
 * database (`sqlite:///mlflow.db`), in both directions, and between two databases.
 *
 * - folder -> database writes the rows Python's `mlflow migrate-filestore` (MLflow 3.17.2,
 *   `mlflow/store/fs2db`) writes: the same ids, names, timestamps, artifact locations, deleted
 *   runs and experiments, full metric histories with `latest_metrics`, datasets and inputs,
 *   logged-model inputs/outputs, logged models, the model registry with aliases. Where MLflow's
 *   tool stops on damage (a duplicated metric line, two experiments with one id) this one reads
 *   around it and reports a warning, except two experiments with the same name, which a database
 *   cannot hold: that is refused before anything is written. Traces and assessments are not
 *   migrated (they are counted in `skipped`).
 * - database -> folder writes a file store that Python's FileStore reads as Python's
 *   SqlAlchemyStore reads the database.
 * - database -> database copies the database as it is (`VACUUM INTO`).
 *
 * Atomic: the target is built next to the destination (`<target>.mlruns-migrate`) and moved into
 * place at the end; a destination that exists and is not empty is refused. Resumable: runs are
 * committed in batches (a database) or moved into place one by one (a folder), so a migration
 * killed at any point and started again with the same source and target continues where it
 * stopped.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { isDirectory, isFile } from '../store/file/fs.js';
import { MlflowError } from '../errors.js';
import { formatMetricLine, formatModelMetricLine } from '../format/metric-line.js';
import { md5Hex } from '../format/names.js';
import { parsePythonFloat, parsePythonInt } from '../format/float.js';
import { dumpYaml } from '../format/yaml.js';
import type { YamlMap } from '../format/yaml.js';
import { metaFromText } from '../store/file/meta-read.js';
import { resolveArtifactPath } from '../store/portable.js';
import { openMlflowDatabase, pathToSqliteUri, sqliteUriToPath } from '../store/sqlite/db.js';
import { openSqliteFile } from '../store/sqlite/native.js';
import { isLocalUri, localFileUriToPath, pathToLocalFileUri, resolveUriIfLocal, uriScheme } from '../store/uri.js';

/**
 * Where a migration is in its work (for a progress bar).
 *
 * @example
 * ```ts
 * await migrate({ from: './mlruns', to: 'sqlite:///mlflow.db', onProgress: (p: MigrateProgress) => console.log(p.phase, p.done, p.total) });
 * ```
 */
export interface MigrateProgress {
  phase: 'experiments' | 'runs' | 'models' | 'registry' | 'copy';
  done: number;
  total: number;
  item: string;
}

/**
 * Options of {@link migrate}.
 *
 * @example
 * ```ts
 * const options: MigrateOptions = { from: 'sqlite:///mlflow.db', to: './mlruns-copy', copyArtifacts: true };
 * ```
 */
export interface MigrateOptions {
  /** A `mlruns/` folder (a path or `file:` URI) or a `sqlite:` URI. */
  from: string;
  /** A folder that does not exist or is empty, or a `sqlite:` URI of a database that does not exist. */
  to: string;
  /**
   * Copy artifacts into the target and point the artifact locations there: a folder target keeps
   * them in its own layout, a database target in `artifactRoot`. Default: artifacts stay where
   * they are and the locations are kept as they are.
   */
  copyArtifacts?: boolean;
  /** With `copyArtifacts` and a database target: where artifacts go (default `<database folder>/mlartifacts`). */
  artifactRoot?: string;
  /** Runs per transaction (default 500). */
  batchSize?: number;
  onProgress?: (p: MigrateProgress) => void;
  /** Relative paths in URIs are resolved against this folder (default the working folder). */
  cwd?: string;
}

/**
 * What {@link migrate} did.
 *
 * @example
 * ```ts
 * const s: MigrateSummary = await migrate({ from: './mlruns', to: 'sqlite:///mlflow.db' });
 * if (s.warnings.length) console.warn(s.warnings.join('\n'));
 * ```
 */
export interface MigrateSummary {
  direction: 'folder->sqlite' | 'sqlite->folder' | 'sqlite->sqlite';
  from: string;
  to: string;
  /** True when an interrupted migration was continued. */
  resumed: boolean;
  /** Rows (a database target) or entities (a folder target) written, by kind. */
  migrated: Record<string, number>;
  /** What was left out, by kind (traces, damaged entries...). */
  skipped: Record<string, number>;
  /** One line per thing read around or left out, naming the file or entity. */
  warnings: string[];
  /** Artifact files copied (with `copyArtifacts`). */
  artifactFiles: number;
}

type Endpoint = { kind: 'folder'; path: string } | { kind: 'sqlite'; path: string; uri: string };

/** The tables whose rows a folder -> database migration reports. */
const COUNTED_TABLES = [
  'experiments', 'experiment_tags', 'runs', 'params', 'tags', 'metrics', 'latest_metrics', 'datasets', 'inputs', 'input_tags',
  'logged_models', 'logged_model_params', 'logged_model_tags', 'logged_model_metrics',
  'registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags',
] as const;
const JOURNAL_TABLE = 'mlruns_migrate_journal';
/**
 * Secondary indexes of the per-run tables, dropped while the runs are inserted and made again
 * (from their own `CREATE INDEX` text, kept in the journal) once they are all in: one sorted build
 * instead of a B-tree insert per row. The primary keys stay (they reject the repeated points).
 */
const DEFERRED_INDEXES = ['index_metrics_run_uuid', 'index_metrics_run_uuid_key_step', 'index_latest_metrics_run_uuid', 'index_params_run_uuid', 'index_tags_run_uuid'];
const TMP_SUFFIX = '.mlruns-migrate';
const FOLDER_JOURNAL = '.mlruns-migrate.json';

function endpointOf(uri: string, cwd: string, which: '--from' | '--to'): Endpoint {
  if (uri === '') throw new MlflowError('INVALID_PARAMETER_VALUE', `${which} is empty: give a mlruns folder or a sqlite: URI`);
  const scheme = uriScheme(uri);
  if (scheme === 'sqlite') {
    const p = sqliteUriToPath(uri, cwd);
    return { kind: 'sqlite', path: p, uri: pathToSqliteUri(p) };
  }
  if (scheme === '' || scheme === 'file') return { kind: 'folder', path: path.resolve(cwd, scheme === 'file' ? localFileUriToPath(uri) : uri) };
  throw new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `${which} '${uri}' has the scheme '${scheme}:', which migrate does not handle: it moves stores between a mlruns folder and a sqlite: database (use 'mlruns push'/'mlruns pull' for a tracking server)`,
  );
}

/** Python's `_resolve_mlruns`: `<source>/mlruns` if there is one, else the source if it looks like a store. */
function resolveMlruns(source: string): string {
  if (!fs.existsSync(source)) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `The source folder '${source}' does not exist`, { path: source });
  if (!fs.statSync(source).isDirectory()) throw new MlflowError('INVALID_PARAMETER_VALUE', `The source '${source}' is not a folder (a database needs a sqlite: URI)`, { path: source });
  const inner = path.join(source, 'mlruns');
  if (isDirectory(inner)) return inner;
  const looks = fs.readdirSync(source, { withFileTypes: true }).some((d) => isDirectory(path.join(source, d.name)) && (/^\d+$/.test(d.name) || d.name === '.trash' || d.name === 'models'));
  if (looks) return source;
  throw new MlflowError('INVALID_PARAMETER_VALUE', `Cannot find an mlruns store in '${source}': it has no experiment folders, no .trash and no models folder`, { path: source });
}


/** Python's `list_subdirs`: sorted names of sub-folders (links followed). */
function listSubdirs(p: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(p);
  } catch {
    return [];
  }
  return names.filter((n) => isDirectory(path.join(p, n))).sort(cmp);
}

function listFiles(p: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(p);
  } catch {
    return [];
  }
  return names.filter((n) => isFile(path.join(p, n))).sort(cmp);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Python's `Path.read_text()`: UTF-8 with universal newlines. */
function readText(p: string): string {
  const text = fs.readFileSync(p, 'utf8');
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** Python's `read_tag_files`: every file under the folder, keyed by its relative path. */
function readTagFiles(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (d: string, prefix: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${d}/${e.name}`;
      const key = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(p))) walk(p, key);
      else if (e.isFile() || (e.isSymbolicLink() && isFile(p))) out.push([key, readText(p)]);
    }
  };
  walk(dir, '');
  return out;
}

/** Python's `safe_read_yaml`: the mapping, or null (with a warning) when it cannot be read. */
function readMeta(p: string, warnings: string[]): Record<string, unknown> | null {
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`${p}: cannot be read (${(e as Error).message}); skipped`);
    return null;
  }
  return metaOf(p, text, warnings);
}

/** {@link readMeta} of a text already read. */
function metaOf(p: string, text: string, warnings: string[]): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = metaFromText(p, text);
  } catch (e) {
    warnings.push(`${p}: ${(e as Error).message}; skipped`);
    return null;
  }
  if (v === null || v === undefined) {
    warnings.push(`${p}: empty; skipped`);
    return null;
  }
  if (typeof v !== 'object' || Array.isArray(v)) {
    warnings.push(`${p}: does not hold a mapping; skipped`);
    return null;
  }
  return v as Record<string, unknown>;
}

/** A YAML value as SQLAlchemy binds it (PyFloat -> number, bool -> 0/1, mapping -> its text). */
function sqlValue(v: unknown): string | number | bigint | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && typeof (v as { valueOf(): unknown }).valueOf() === 'number') return (v as { valueOf(): number }).valueOf();
  return String(v);
}

/** `meta.get(key, default)`: the default only when the key is missing. */
function get(meta: Record<string, unknown>, key: string, dflt: unknown = null): string | number | bigint | null {
  return key in meta ? sqlValue(meta[key]) : sqlValue(dflt);
}

/**
 * A value MLflow's tool hands SQLAlchemy as `None` for a column with a Python-side default: the ORM
 * leaves the column out of its INSERT and the default fills it (`'active'`, `'READY'`, or for the
 * time columns the time of the migration: `get_current_time_millis()`).
 */
function orDefault(v: string | number | bigint | null, dflt: string | number | 'now'): string | number | bigint {
  if (v !== null) return v;
  return dflt === 'now' ? Date.now() : dflt;
}

/** Python truthiness of a YAML value. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0) return false;
  if (typeof v === 'object' && typeof (v as { valueOf(): unknown }).valueOf() === 'number') return (v as { valueOf(): number }).valueOf() !== 0;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** Python's `int(name)` of a folder name (underscores and surrounding blanks allowed). */
function pythonIntName(name: string): number | bigint | null {
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(name)) return null;
  const n = BigInt(name.trim().replace(/_/g, ''));
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

const RUN_STATUS: Record<number, string> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };
const RUN_STATUS_INT: Record<string, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const LOGGED_MODEL_STATUS: Record<string, number> = { LOGGED_MODEL_STATUS_UNSPECIFIED: 0, PENDING: 1, READY: 2, FAILED: 3 };
const RESERVED = new Set(['tags', 'datasets', 'traces', 'models', '.trash']);
const MAX_FLOAT = 1.7976931348623157e308;
const SIMPLE_INT = /^-?\d{1,15}$/;
const SIMPLE_FLOAT = /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;

/** One metric line as `_parse_metric_line` reads it: [timestamp, value, step], or an error. */
function parseMetricLine(line: string): [number, number, number] {
  const parts = line.trim().split(' ');
  if (parts.length < 2) throw new Error(`Malformed metric line: '${line}'`);
  const [ts, val, step] = parts as [string, string, string | undefined];
  const t = SIMPLE_INT.test(ts) ? Number(ts) : parsePythonInt(ts);
  const v = SIMPLE_FLOAT.test(val) ? Number(val) : parsePythonFloat(val);
  const s = step === undefined ? 0 : SIMPLE_INT.test(step) ? Number(step) : parsePythonInt(step);
  return [t, v, s];
}

const OTHER_LINE_BREAKS = /[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python's `str.splitlines()`. */
function splitLines(text: string): string[] {
  const lines = OTHER_LINE_BREAKS.test(text) ? text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/) : text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function emptySummary(direction: MigrateSummary['direction'], from: string, to: string): MigrateSummary {
  return { direction, from, to, resumed: false, migrated: {}, skipped: {}, warnings: [], artifactFiles: 0 };
}

const add = (rec: Record<string, number>, key: string, n = 1): void => {
  if (n !== 0) rec[key] = (rec[key] ?? 0) + n;
};

/** Refuses a destination that exists and is not empty (a file of 0 bytes or an empty folder is fine). */
function checkTarget(p: string, kind: 'folder' | 'sqlite'): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    if (!isDirectory(path.dirname(p))) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `The target's parent folder '${path.dirname(p)}' does not exist`, { path: p });
    return;
  }
  if (kind === 'sqlite') {
    if (st.isDirectory()) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `The target database '${p}' is a folder`, { path: p });
    if (st.size > 0) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `The target database '${p}' already exists; migrate writes only a new database (remove it or choose another path); nothing was changed`, { path: p });
  } else {
    if (!st.isDirectory()) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `The target '${p}' exists and is not a folder; nothing was changed`, { path: p });
    if (fs.readdirSync(p).length > 0) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `The target folder '${p}' is not empty; migrate writes only into a new or empty folder; nothing was changed`, { path: p });
  }
}

/** Copies a folder of artifacts; the number of files copied. */
function copyTree(src: string, dst: string): number {
  if (!isDirectory(src)) return 0;
  let n = 0;
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) n += copyTree(s, d);
    else if (e.isFile()) {
      fs.copyFileSync(s, d);
      n++;
    } else if (e.isSymbolicLink()) {
      if (isDirectory(s)) n += copyTree(s, d);
      else if (isFile(s)) {
        fs.copyFileSync(s, d);
        n++;
      }
    }
  }
  return n;
}

/**
 * Migrates a store: a `mlruns/` folder to a `sqlite:` database, a database to a folder, or a
 * database to another database. See the module comment for what is kept and how a failure or a
 * kill is handled.
 *
 * @example
 * ```ts
 * import { migrate } from 'mlruns';
 * const summary = await migrate({ from: './mlruns', to: 'sqlite:///mlflow.db' });
 * console.log(summary.migrated.runs, summary.migrated.metrics);
 * ```
 */
export async function migrate(options: MigrateOptions): Promise<MigrateSummary> {
  const cwd = options.cwd ?? process.cwd();
  const from = endpointOf(options.from, cwd, '--from');
  const to = endpointOf(options.to, cwd, '--to');
  if (path.resolve(from.path) === path.resolve(to.path)) throw new MlflowError('INVALID_PARAMETER_VALUE', `--from and --to are the same ('${from.path}')`);
  if (from.kind === 'folder' && to.kind === 'folder') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Both --from and --to are folders: migrate moves a store between a folder and a sqlite: database (to copy a folder, copy it)`);
  }
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `batchSize must be a positive integer, got ${options.batchSize}`);
  }
  if (from.kind === 'sqlite' && !isFile(from.path)) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `The source database '${from.path}' does not exist`, { path: from.path });
  checkTarget(to.path, to.kind);
  if (from.kind === 'folder' && to.kind === 'sqlite') return folderToSqlite(from.path, to as Endpoint & { kind: 'sqlite' }, options, cwd);
  if (from.kind === 'sqlite' && to.kind === 'folder') return sqliteToFolder(from as Endpoint & { kind: 'sqlite' }, to.path, options, cwd);
  return sqliteToSqlite(from as Endpoint & { kind: 'sqlite' }, to as Endpoint & { kind: 'sqlite' }, options, cwd);
}

// ------------------------------------------------------------------------ journal (a database)

interface JournalInfo {
  direction: string;
  source: string;
  copyArtifacts: boolean;
  artifactRoot: string | null;
}

function readJournal(db: Database.Database): Record<string, string> | null {
  const has = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`).get(JOURNAL_TABLE);
  if (!has) return null;
  const rows = db.prepare(`SELECT key, value FROM ${JOURNAL_TABLE}`).all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

function setJournal(db: Database.Database, key: string, value: string): void {
  db.prepare(`INSERT OR REPLACE INTO ${JOURNAL_TABLE} (key, value) VALUES (?, ?)`).run(key, value);
}

/**
 * The settings of the temporary database while it is built (it is not the user's database yet: it
 * is moved into place at the end, in MLflow's rollback-journal mode, see {@link finishDatabase}):
 * - WAL with `synchronous = OFF`: no sync, and a commit appends its pages to the log, so a process
 *   killed at any point leaves the last commit whole or absent (the next open rolls back an
 *   unfinished one) and the migration continues from it. (After a power loss the temporary
 *   database can be damaged: it has to be removed and the migration started again.) `journal_mode = OFF` would be faster still but
 *   a kill during a commit could leave a damaged file.
 * - a page cache large enough for the metrics' primary-key index of a big store (256 MB at most,
 *   used as the file grows): with SQLite's 2 MB default, index pages are evicted and read back
 *   for every batch, which makes a 10,000-run folder several times slower than 10 x 1,000 runs.
 */
function stagePragmas(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('temp_store = MEMORY');
  db.pragma('wal_autocheckpoint = 16384');
}

/** Opens the temporary database of a migration: a new one, or the one a killed run left (checked). */
function openTempDatabase(tmp: string, info: JournalInfo, summary: MigrateSummary): { db: Database.Database; journal: Record<string, string> } {
  if (fs.existsSync(tmp)) {
    let db: Database.Database;
    try {
      db = openSqliteFile(tmp, { fileMustExist: true });
    } catch (e) {
      throw new MlflowError('INVALID_STATE', `An interrupted migration left '${tmp}', which cannot be opened (${(e as Error).message}); remove it to start again`, { path: tmp });
    }
    const journal = readJournal(db);
    const want = JSON.stringify(info);
    if (!journal || journal['info'] !== want) {
      db.close();
      throw new MlflowError(
        'INVALID_STATE',
        `'${tmp}' was left by an interrupted migration of another source or with other options (${journal?.['info'] ?? 'no journal'}); remove it, or run the same migration again to continue it`,
        { path: tmp },
      );
    }
    summary.resumed = true;
    stagePragmas(db);
    return { db, journal };
  }
  for (const suffix of ['-journal', '-wal', '-shm']) fs.rmSync(tmp + suffix, { force: true });
  const opened = openMlflowDatabase(pathToSqliteUri(tmp));
  const db = opened.db;
  db.exec(`CREATE TABLE ${JOURNAL_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  setJournal(db, 'info', JSON.stringify(info));
  stagePragmas(db);
  return { db, journal: { info: JSON.stringify(info) } };
}

/** Moves the finished temporary database into place (never over a file that appeared meanwhile). */
function finishDatabase(db: Database.Database, tmp: string, dst: string): void {
  db.exec(`DROP TABLE IF EXISTS ${JOURNAL_TABLE}`);
  // Back to the rollback journal MLflow's databases use (this checkpoints the log into the file and
  // removes it), then one sync of the finished file before it is moved into place.
  db.pragma('journal_mode = DELETE');
  db.close();
  const fd = fs.openSync(tmp, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.existsSync(dst) && fs.statSync(dst).size === 0) fs.rmSync(dst);
  try {
    fs.linkSync(tmp, dst);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new MlflowError('RESOURCE_ALREADY_EXISTS', `The target database '${dst}' appeared during the migration; the result is kept in '${tmp}'`, { path: dst });
    }
    throw e;
  }
  fs.rmSync(tmp);
}

// ---------------------------------------------------------------------------- folder -> sqlite

/** The files of one run folder as the reader thread hands them over. */
interface RunFiles {
  /** The text of meta.yaml; null when it is missing or cannot be read (`metaError` then says why, unless missing). */
  meta: string | null;
  metaError: string | null;
  params: [string, string][];
  tags: [string, string][];
  metrics: [string, string][];
  /** A file that exists but cannot be read: the migration stops on it, as it would reading it itself. */
  error?: string;
}

/**
 * The reader thread: reads the run folders of the next batch (meta.yaml, and params/, tags/,
 * metrics/ as {@link readTagFiles} does) while the main thread parses and inserts the current one.
 * Plain JavaScript run with `eval`, so it is the same code from `dist/` and from the sources.
 */
const READER_SOURCE = `
const fs = require('node:fs');
const { parentPort } = require('node:worker_threads');
const isDir = (p) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } };
const isFile = (p) => { try { return fs.statSync(p).isFile(); } catch { return false; } };
const readText = (p) => { const t = fs.readFileSync(p, 'utf8'); return t.includes('\\r') ? t.replace(/\\r\\n?/g, '\\n') : t; };
function readTagFiles(dir) {
  const out = [];
  const walk = (d, prefix) => {
    let entries;
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = d + '/' + e.name;
      const key = prefix ? prefix + '/' + e.name : e.name;
      if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(p))) walk(p, key);
      else if (e.isFile() || (e.isSymbolicLink() && isFile(p))) out.push([key, readText(p)]);
    }
  };
  walk(dir, '');
  return out;
}
function readRun(dir) {
  let meta = null, metaError = null;
  try { meta = fs.readFileSync(dir + '/meta.yaml', 'utf8'); } catch (e) { if (e.code !== 'ENOENT') metaError = e.message; }
  try {
    return { meta, metaError, params: readTagFiles(dir + '/params'), tags: readTagFiles(dir + '/tags'), metrics: readTagFiles(dir + '/metrics') };
  } catch (e) {
    return { meta, metaError, params: [], tags: [], metrics: [], error: String(e && e.message || e) };
  }
}
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, runs: m.dirs.map(readRun) }));
`;

/** The main thread's end of the reader thread. */
class RunReader {
  private readonly worker = new Worker(READER_SOURCE, { eval: true });
  private readonly waiting = new Map<number, { resolve: (r: RunFiles[]) => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor() {
    this.worker.on('message', (m: { id: number; runs: RunFiles[] }) => {
      this.waiting.get(m.id)?.resolve(m.runs);
      this.waiting.delete(m.id);
    });
    const fail = (e: Error): void => {
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the migration's reader thread stopped (exit code ${code})`)));
  }

  read(dirs: string[]): Promise<RunFiles[]> {
    const id = this.next++;
    const p = new Promise<RunFiles[]>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    p.catch(() => {}); // a batch read ahead and never awaited (the migration failed first) is no unhandled rejection
    this.worker.postMessage({ id, dirs });
    return p;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

interface ExpEntry {
  /** A bigint beyond 2^53 (MLflow's experiment ids are 18 digits). */
  id: number | bigint;
  dir: string;
  /** null: the folder has no readable meta.yaml (no experiment row; its runs still move). */
  meta: Record<string, unknown> | null;
}

async function folderToSqlite(source: string, to: { path: string; uri: string }, options: MigrateOptions, cwd: string): Promise<MigrateSummary> {
  const mlruns = resolveMlruns(source);
  const summary = emptySummary('folder->sqlite', mlruns, to.uri);
  const w = summary.warnings;
  const copy = options.copyArtifacts === true;
  const artRoot = copy ? path.resolve(cwd, options.artifactRoot ?? path.join(path.dirname(to.path), 'mlartifacts')) : null;
  if (artRoot) checkTarget(artRoot, 'folder');
  const artTmp = artRoot ? artRoot + TMP_SUFFIX : null;
  const progress = options.onProgress ?? (() => {});
  const batchSize = options.batchSize ?? 500;

  // Experiments: the root's then the trash's, as `for_each_experiment` lists them.
  const exps: ExpEntry[] = [];
  const seenIds = new Map<string, string>();
  const seenNames = new Map<string, string>();
  for (const base of [mlruns, path.join(mlruns, '.trash')]) {
    let names: string[];
    try {
      names = fs.readdirSync(base).sort(cmp);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = path.join(base, name);
      const id = pythonIntName(name);
      if (id === null || !isDirectory(dir)) continue;
      const meta = readMeta(path.join(dir, 'meta.yaml'), w);
      if (meta === null) {
        // As MLflow's tool: no experiment row, but its runs, datasets and models are migrated
        // (they then name an experiment the database does not have).
        const runs = listSubdirs(dir).filter((r) => !RESERVED.has(r) && isFile(path.join(dir, r, 'meta.yaml'))).length;
        w.push(`${dir}: an experiment folder without a readable meta.yaml: no experiment is written for it${runs ? `; its ${runs} runs are, naming experiment ${id} (as MLflow's migrate-filestore does)` : ''}`);
        add(summary.skipped, 'experiments');
        exps.push({ id, dir, meta: null });
        continue;
      }
      if (seenIds.has(String(id))) {
        w.push(`${dir}: experiment id ${id} is also '${seenIds.get(String(id))}'; the second one is not migrated`);
        add(summary.skipped, 'experiments');
        continue;
      }
      const expName = String(get(meta, 'name', `experiment_${id}`));
      const other = seenNames.get(expName);
      if (other !== undefined) {
        throw new MlflowError(
          'INVALID_STATE',
          `Two experiments are named '${expName}' ('${other}' and '${dir}'); a database holds one experiment per name. Rename one (mlruns experiments rename) and migrate again; nothing was written`,
          { path: dir },
        );
      }
      seenIds.set(String(id), dir);
      seenNames.set(expName, dir);
      exps.push({ id, dir, meta });
    }
  }

  const tmp = to.path + TMP_SUFFIX;
  const info: JournalInfo = { direction: summary.direction, source: fs.realpathSync(mlruns), copyArtifacts: copy, artifactRoot: artRoot };
  const { db, journal } = openTempDatabase(tmp, info, summary);
  try {
    db.pragma('foreign_keys = OFF'); // as MLflow's tool: its engine does not turn them on
    const artExp = (id: number | bigint): string => pathToLocalFileUri(path.join(artRoot as string, String(id)));
    const srcPath = (uri: unknown): string | undefined => (typeof uri === 'string' ? resolveArtifactPath(mlruns, uri, { cwd }).localPath : undefined);

    // -- experiments (one transaction)
    if (journal['experiments'] !== 'done') {
      const insExp = db.prepare('INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)');
      const insTag = db.prepare('INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)');
      db.transaction(() => {
        for (const e of exps) {
          const m = e.meta;
          if (m === null) continue;
          insExp.run(
            e.id,
            get(m, 'name', `experiment_${e.id}`),
            copy ? artExp(e.id) : get(m, 'artifact_location'),
            orDefault(get(m, 'lifecycle_stage', 'active'), 'active'),
            orDefault(get(m, 'creation_time'), 'now'),
            orDefault(get(m, 'last_update_time'), 'now'),
          );
          for (const [k, v] of readTagFiles(path.join(e.dir, 'tags'))) insTag.run(k, v, e.id);
        }
        setJournal(db, 'experiments', 'done');
      })();
      progress({ phase: 'experiments', done: exps.length, total: exps.length, item: '' });
    }

    // -- runs (batches, one transaction each; a committed run is complete)
    if (journal['indexes'] === undefined) {
      db.transaction(() => {
        const get1 = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`);
        const sqls: string[] = [];
        for (const name of DEFERRED_INDEXES) {
          const row = get1.get(name) as { sql: string | null } | undefined;
          if (!row?.sql) continue;
          sqls.push(row.sql);
          db.exec(`DROP INDEX "${name}"`);
        }
        journal['indexes'] = JSON.stringify(sqls);
        setJournal(db, 'indexes', journal['indexes']);
      })();
    }
    const runDirs: { exp: ExpEntry; name: string }[] = [];
    for (const exp of exps) for (const name of listSubdirs(exp.dir)) if (!RESERVED.has(name) && isFile(path.join(exp.dir, name, 'meta.yaml'))) runDirs.push({ exp, name });
    const done = new Set((db.prepare('SELECT run_uuid FROM runs').all() as { run_uuid: string }[]).map((r) => r.run_uuid));
    const doneDirs = new Set<string>();
    const insRun = db.prepare(
      'INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, deleted_time, source_version, lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insParam = db.prepare('INSERT OR IGNORE INTO params (key, value, run_uuid) VALUES (?, ?, ?)');
    const insTag = db.prepare('INSERT OR IGNORE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)');
    // Metric points go in several rows per statement (fewer calls into SQLite; one prepared
    // statement per row count, at most METRIC_ROWS rows); OR IGNORE drops a repeated point.
    const METRIC_ROWS = 64;
    const insMetrics = new Map<number, Database.Statement>();
    const insMetricRows = (values: unknown[], rows: number): number => {
      let st = insMetrics.get(rows);
      if (!st) insMetrics.set(rows, (st = db.prepare(`INSERT OR IGNORE INTO metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`)));
      return st.run(values).changes;
    };
    const insLatest = db.prepare('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)');
    const insJournalDir = db.prepare(`INSERT OR REPLACE INTO ${JOURNAL_TABLE} (key, value) VALUES ('runDir:' || ?, '1')`);
    for (const k of Object.keys(journal)) if (k.startsWith('runDir:')) doneDirs.add(k.slice(7));

    const migrateRun = (exp: ExpEntry, name: string, files: RunFiles): void => {
      const runDir = path.join(exp.dir, name);
      const metaPath = path.join(runDir, 'meta.yaml');
      if (files.metaError !== null) w.push(`${metaPath}: cannot be read (${files.metaError}); skipped`);
      const meta = files.meta === null ? null : metaOf(metaPath, files.meta, w);
      if (meta === null) {
        add(summary.skipped, 'runs');
        return;
      }
      const runUuid = truthy(meta['run_uuid']) ? String(meta['run_uuid']) : truthy(meta['run_id']) ? String(meta['run_id']) : null;
      if (!runUuid) {
        w.push(`${runDir}: meta.yaml has no run_uuid/run_id; skipped`);
        add(summary.skipped, 'runs');
        return;
      }
      if (done.has(runUuid)) {
        w.push(`${runDir}: run id ${runUuid} is already migrated from another folder; skipped`);
        add(summary.skipped, 'runs');
        return;
      }
      done.add(runUuid);
      const statusRaw = 'status' in meta ? meta['status'] : 'RUNNING';
      const status = typeof statusRaw === 'number' ? (RUN_STATUS[statusRaw] ?? String(statusRaw)) : statusRaw === null ? 'None' : String(sqlValue(statusRaw));
      // `meta.get("run_name") or meta.get("name")`: the second operand as it is, even '' (not null).
      const runName = truthy(meta['run_name']) ? meta['run_name'] : (meta['name'] ?? null);
      let artifactUri = get(meta, 'artifact_uri');
      if (copy) {
        const target = path.join(artTmp as string, String(exp.id), runUuid, 'artifacts');
        summary.artifactFiles += copyTree(srcPath(meta['artifact_uri']) ?? path.join(runDir, 'artifacts'), target);
        artifactUri = pathToLocalFileUri(path.join(artRoot as string, String(exp.id), runUuid, 'artifacts'));
      }
      insRun.run(
        runUuid,
        sqlValue(runName),
        typeof meta['source_type'] === 'string' ? meta['source_type'] : 'LOCAL',
        get(meta, 'source_name', ''),
        get(meta, 'entry_point_name', ''),
        get(meta, 'user_id'),
        status,
        orDefault(get(meta, 'start_time'), 'now'),
        get(meta, 'end_time'),
        get(meta, 'deleted_time'),
        get(meta, 'source_version', ''),
        orDefault(get(meta, 'lifecycle_stage', 'active'), 'active'),
        artifactUri,
        exp.id,
      );
      add(summary.migrated, 'runs');
      if (files.error !== undefined) throw new MlflowError('IO_ERROR', `${runDir}: ${files.error}`, { path: runDir });
      for (const [k, v] of files.params) add(summary.migrated, 'params', insParam.run(k, v, runUuid).changes);
      for (const [k, v] of files.tags) add(summary.migrated, 'tags', insTag.run(k, v, runUuid).changes);
      // metrics + latest_metrics: the latest is the max of (step, timestamp, value), NaN as 0
      for (const [key, text] of files.metrics) {
        let latest: [number, number, number] | null = null;
        let latestNan = false;
        let dups = 0;
        let values: unknown[] = [];
        let rows = 0;
        const flush = (): void => {
          const changes = insMetricRows(values, rows);
          dups += rows - changes;
          add(summary.migrated, 'metrics', changes);
          values = [];
          rows = 0;
        };
        for (const line of splitLines(text)) {
          let parsed: [number, number, number];
          try {
            parsed = parseMetricLine(line);
          } catch (e) {
            w.push(`${path.join(runDir, 'metrics', key)}: ${(e as Error).message}; line skipped`);
            add(summary.skipped, 'metric lines');
            continue;
          }
          const [ts, raw, step] = parsed;
          const isNan = Number.isNaN(raw);
          const val = isNan ? 0 : raw === Infinity ? MAX_FLOAT : raw === -Infinity ? -MAX_FLOAT : raw;
          values.push(key, val, ts, step, isNan ? 1 : 0, runUuid);
          if (++rows === METRIC_ROWS) flush();
          if (latest === null || step > latest[0] || (step === latest[0] && (ts > latest[1] || (ts === latest[1] && val > latest[2])))) {
            latest = [step, ts, val];
            latestNan = isNan;
          }
        }
        if (rows > 0) flush();
        if (dups > 0) {
          w.push(`${path.join(runDir, 'metrics', key)}: ${dups} line(s) repeat a point already read (same timestamp, step and value); kept once (MLflow's migrate-filestore stops on them)`);
          add(summary.skipped, 'duplicate metric points', dups);
        }
        if (latest !== null) {
          insLatest.run(key, latestNan ? 0 : latest[2], latest[1], latest[0], latestNan ? 1 : 0, runUuid);
          add(summary.migrated, 'latest_metrics');
        }
      }
    };

    let count = 0;
    const pending = runDirs.filter((r) => !doneDirs.has(path.join(r.exp.dir, r.name)));
    // The reader thread reads batch i + 1 while this thread inserts batch i.
    const reader = pending.length > 0 ? new RunReader() : null;
    try {
      const readBatch = (i: number): Promise<RunFiles[]> | null => (reader && i < pending.length ? reader.read(pending.slice(i, i + batchSize).map((r) => path.join(r.exp.dir, r.name))) : null);
      let ahead = readBatch(0);
      for (let i = 0; i < pending.length; i += batchSize) {
        const batch = pending.slice(i, i + batchSize);
        const files = (await ahead) as RunFiles[];
        ahead = readBatch(i + batchSize);
        db.transaction(() => {
          batch.forEach((r, j) => {
            migrateRun(r.exp, r.name, files[j] as RunFiles);
            insJournalDir.run(path.join(r.exp.dir, r.name));
          });
        })();
        count += batch.length;
        progress({ phase: 'runs', done: count, total: pending.length, item: batch[batch.length - 1]?.name ?? '' });
      }
    } finally {
      await reader?.close();
    }

    // -- the indexes dropped above, made again (a kill before this commit leaves them in the journal)
    db.transaction(() => {
      for (const sql of JSON.parse(journal['indexes'] as string) as string[]) db.exec(sql);
      db.prepare(`DELETE FROM ${JOURNAL_TABLE} WHERE key = 'indexes'`).run();
    })();

    // -- datasets, inputs, outputs, logged models, registry (one transaction)
    db.transaction(() => {
      for (const t of ['datasets', 'inputs', 'input_tags', 'logged_models', 'logged_model_params', 'logged_model_tags', 'logged_model_metrics', 'registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags']) db.exec(`DELETE FROM ${t}`);
      const migratedRuns = new Set((db.prepare('SELECT run_uuid FROM runs').all() as { run_uuid: string }[]).map((r) => r.run_uuid));
      for (const exp of exps) migrateExperimentExtras(db, exp, migratedRuns, summary, copy ? { artRoot: artRoot as string, artTmp: artTmp as string, srcPath } : null);
      migrateRegistry(db, mlruns, summary);
    })();
    // What the database holds now (a resumed migration counts what the interrupted one wrote too).
    summary.migrated = {};
    for (const t of COUNTED_TABLES) add(summary.migrated, t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n);
    add(summary.migrated, 'outputs', (db.prepare(`SELECT COUNT(*) AS n FROM inputs WHERE source_type = 'RUN_OUTPUT'`).get() as { n: number }).n);
    add(summary.migrated, 'inputs', -(summary.migrated['outputs'] ?? 0));
    const traces = exps.reduce((n, e) => n + listSubdirs(path.join(e.dir, 'traces')).length, 0);
    if (traces > 0) {
      add(summary.skipped, 'traces', traces);
      w.push(`${traces} trace(s) are not migrated (mlruns migrate does not handle traces yet)`);
    }
    if (artTmp && artRoot) {
      if (fs.existsSync(artTmp)) {
        if (isDirectory(artRoot)) fs.rmdirSync(artRoot); // empty (checked)
        fs.renameSync(artTmp, artRoot);
      }
    }
    finishDatabase(db, tmp, to.path);
  } catch (e) {
    if (db.open) db.close();
    throw e;
  }
  return summary;
}

function migrateExperimentExtras(
  db: Database.Database,
  exp: ExpEntry,
  runs: Set<string>,
  summary: MigrateSummary,
  copy: { artRoot: string; artTmp: string; srcPath: (uri: unknown) => string | undefined } | null,
): void {
  const w = summary.warnings;
  // datasets
  const dsDir = path.join(exp.dir, 'datasets');
  const dsMap = new Map<string, string>();
  const insDs = db.prepare('INSERT OR IGNORE INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (const name of listSubdirs(dsDir)) {
    const meta = readMeta(path.join(dsDir, name, 'meta.yaml'), w);
    if (meta === null) continue;
    const uuid = truthy(meta['dataset_uuid']) ? String(meta['dataset_uuid']) : crypto.randomUUID();
    dsMap.set(name, uuid);
    const r = insDs.run(uuid, exp.id, get(meta, 'name', ''), get(meta, 'digest', ''), get(meta, 'source_type', ''), get(meta, 'source', ''), get(meta, 'schema'), get(meta, 'profile'));
    if (r.changes) add(summary.migrated, 'datasets');
    else {
      w.push(`${path.join(dsDir, name)}: a second dataset with the same name and digest; skipped`);
      add(summary.skipped, 'datasets');
    }
  }
  const insInput = db.prepare('INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?, ?, ?, ?, ?, ?)');
  const insInputTag = db.prepare('INSERT OR IGNORE INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)');
  for (const runUuid of listSubdirs(exp.dir)) {
    if (RESERVED.has(runUuid) || !runs.has(runUuid)) continue;
    const inputsDir = path.join(exp.dir, runUuid, 'inputs');
    for (const inName of listSubdirs(inputsDir)) {
      const meta = readMeta(path.join(inputsDir, inName, 'meta.yaml'), w);
      if (meta === null) continue;
      const st = get(meta, 'source_type', 'DATASET');
      const sid = String(get(meta, 'source_id', ''));
      const uuid = crypto.randomUUID();
      let r: Database.RunResult;
      if (st === 'DATASET') {
        const ds = dsMap.get(sid);
        if (ds === undefined) {
          w.push(`${path.join(inputsDir, inName)}: names dataset '${sid}', which this experiment does not have; skipped`);
          add(summary.skipped, 'inputs');
          continue;
        }
        r = insInput.run(uuid, 'DATASET', ds, 'RUN', runUuid, 0);
      } else if (st === 'MODEL') {
        r = insInput.run(uuid, 'RUN_INPUT', runUuid, 'MODEL_INPUT', sid, 0);
      } else continue;
      if (!r.changes) continue;
      add(summary.migrated, 'inputs');
      const tags = meta['tags'];
      if (tags && typeof tags === 'object' && !Array.isArray(tags)) {
        for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
          insInputTag.run(uuid, k, v === null ? 'None' : String(sqlValue(v)));
          add(summary.migrated, 'input_tags');
        }
      }
    }
    const outDir = path.join(exp.dir, runUuid, 'outputs');
    for (const modelId of listSubdirs(outDir)) {
      const meta = readMeta(path.join(outDir, modelId, 'meta.yaml'), w);
      if (meta === null) continue;
      if (insInput.run(crypto.randomUUID(), 'RUN_OUTPUT', runUuid, 'MODEL_OUTPUT', modelId, get(meta, 'step', 0)).changes) add(summary.migrated, 'outputs');
    }
  }
  // logged models
  const modelsDir = path.join(exp.dir, 'models');
  const insModel = db.prepare(
    'INSERT OR IGNORE INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insMP = db.prepare('INSERT OR IGNORE INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?, ?, ?, ?)');
  const insMT = db.prepare('INSERT OR IGNORE INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES (?, ?, ?, ?)');
  const insMM = db.prepare(
    'INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)',
  );
  for (const name of listSubdirs(modelsDir)) {
    const dir = path.join(modelsDir, name);
    const meta = readMeta(path.join(dir, 'meta.yaml'), w);
    if (meta === null) continue;
    const modelId = String(get(meta, 'model_id', name));
    const raw = 'status' in meta ? meta['status'] : 1;
    const status = typeof raw === 'string' ? (LOGGED_MODEL_STATUS[raw] ?? 1) : Number(sqlValue(raw));
    let loc = get(meta, 'artifact_location', '');
    if (copy) {
      const target = path.join(String(exp.id), 'models', modelId, 'artifacts');
      summary.artifactFiles += copyTree(copy.srcPath(meta['artifact_location']) ?? path.join(dir, 'artifacts'), path.join(copy.artTmp, target));
      loc = pathToLocalFileUri(path.join(copy.artRoot, target));
    }
    const r = insModel.run(modelId, exp.id, get(meta, 'name', ''), loc, get(meta, 'creation_timestamp', 0), get(meta, 'last_updated_timestamp', 0), status, orDefault(get(meta, 'lifecycle_stage', 'active'), 'active'), get(meta, 'model_type'), get(meta, 'source_run_id'), get(meta, 'status_message'));
    if (!r.changes) {
      w.push(`${dir}: logged model id ${modelId} is already migrated; skipped`);
      add(summary.skipped, 'logged_models');
      continue;
    }
    add(summary.migrated, 'logged_models');
    for (const [k, v] of readTagFiles(path.join(dir, 'params'))) add(summary.migrated, 'logged_model_params', insMP.run(modelId, exp.id, k, v).changes);
    for (const [k, v] of readTagFiles(path.join(dir, 'tags'))) add(summary.migrated, 'logged_model_tags', insMT.run(modelId, exp.id, k, v).changes);
    for (const [key, text] of readTagFiles(path.join(dir, 'metrics'))) {
      for (const line of splitLines(text)) {
        const f = line.trim().split(' ');
        if (f.length !== 4 && f.length !== 6) {
          w.push(`${path.join(dir, 'metrics', key)}: malformed logged model metric line '${line}'; skipped`);
          add(summary.skipped, 'logged model metric lines');
          continue;
        }
        try {
          const r2 = insMM.run(modelId, key, parsePythonInt(f[0] as string), parsePythonInt(f[2] as string), parsePythonFloat(f[1] as string), exp.id, f[3], f[4] ?? null, f[5] ?? null);
          add(summary.migrated, 'logged_model_metrics', r2.changes);
        } catch (e) {
          w.push(`${path.join(dir, 'metrics', key)}: ${(e as Error).message}; line skipped`);
          add(summary.skipped, 'logged model metric lines');
        }
      }
    }
  }
}

function migrateRegistry(db: Database.Database, mlruns: string, summary: MigrateSummary): void {
  const w = summary.warnings;
  const models = path.join(mlruns, 'models');
  const insRm = db.prepare('INSERT OR IGNORE INTO registered_models (name, creation_time, last_updated_time, description) VALUES (?, ?, ?, ?)');
  const insRmTag = db.prepare('INSERT OR IGNORE INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)');
  const insMv = db.prepare(
    'INSERT OR IGNORE INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, storage_location, run_id, run_link, status, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insMvTag = db.prepare('INSERT OR IGNORE INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)');
  const insAlias = db.prepare('INSERT OR IGNORE INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?)');
  for (const dirName of listSubdirs(models)) {
    const dir = path.join(models, dirName);
    const meta = readMeta(path.join(dir, 'meta.yaml'), w);
    if (meta === null) continue;
    const name = String(get(meta, 'name', dirName));
    if (!insRm.run(name, orDefault(get(meta, 'creation_timestamp'), 'now'), get(meta, 'last_updated_timestamp'), get(meta, 'description')).changes) {
      w.push(`${dir}: a second registered model named '${name}'; skipped`);
      add(summary.skipped, 'registered_models');
      continue;
    }
    add(summary.migrated, 'registered_models');
    for (const [k, v] of readTagFiles(path.join(dir, 'tags'))) add(summary.migrated, 'registered_model_tags', insRmTag.run(name, k, v).changes);
    for (const vdir of listSubdirs(dir)) {
      if (!vdir.startsWith('version-')) continue;
      const vm = readMeta(path.join(dir, vdir, 'meta.yaml'), w);
      if (vm === null) continue;
      const version = vm['version'] === undefined ? null : Number(sqlValue(vm['version']));
      if (version === null || !Number.isInteger(version)) {
        w.push(`${path.join(dir, vdir, 'meta.yaml')}: no valid version number; skipped`);
        add(summary.skipped, 'model_versions');
        continue;
      }
      const r = insMv.run(
        name,
        version,
        orDefault(get(vm, 'creation_timestamp'), 'now'),
        get(vm, 'last_updated_timestamp'),
        get(vm, 'description'),
        get(vm, 'user_id'),
        orDefault(get(vm, 'current_stage', 'None'), 'None'),
        get(vm, 'source'),
        get(vm, 'storage_location'),
        get(vm, 'run_id'),
        get(vm, 'run_link'),
        orDefault(get(vm, 'status', 'READY'), 'READY'),
        get(vm, 'status_message'),
      );
      add(summary.migrated, 'model_versions', r.changes);
      for (const [k, v] of readTagFiles(path.join(dir, vdir, 'tags'))) add(summary.migrated, 'model_version_tags', insMvTag.run(name, version, k, v).changes);
    }
    const aliases = path.join(dir, 'aliases');
    for (const alias of listFiles(aliases)) {
      const text = readText(path.join(aliases, alias)).trim();
      let v: number;
      try {
        v = parsePythonInt(text);
      } catch {
        w.push(`${path.join(aliases, alias)}: '${text}' is not a version number; skipped`);
        add(summary.skipped, 'registered_model_aliases');
        continue;
      }
      add(summary.migrated, 'registered_model_aliases', insAlias.run(name, alias, v).changes);
    }
  }
}

// ---------------------------------------------------------------------------- sqlite -> folder

function hasTable(db: Database.Database, t: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(t) !== undefined;
}

function hasColumn(db: Database.Database, t: string, c: string): boolean {
  return (db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string }[]).some((r) => r.name === c);
}

/** Writes `<dir>/<key>` files (keys with '/' make sub-folders), as the file store writes params and tags. */
function writeKeyFiles(dir: string, entries: Iterable<[string, string]>): number {
  let n = 0;
  fs.mkdirSync(dir, { recursive: true });
  for (const [k, v] of entries) {
    const p = path.join(dir, ...k.split('/'));
    if (!p.startsWith(dir + path.sep)) throw new MlflowError('INVALID_PARAMETER_VALUE', `The key '${k}' cannot be a file name under '${dir}'`);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, v);
    n++;
  }
  return n;
}

const writeYaml = (p: string, d: Record<string, unknown>): void => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, dumpYaml(d as YamlMap));
};

function groupBy<T extends Record<string, unknown>>(rows: T[], key: keyof T): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = String(r[key]);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(r);
  }
  return m;
}

async function sqliteToFolder(from: { path: string; uri: string }, dst: string, options: MigrateOptions, cwd: string): Promise<MigrateSummary> {
  const summary = emptySummary('sqlite->folder', from.uri, dst);
  const progress = options.onProgress ?? (() => {});
  const copy = options.copyArtifacts === true;
  const { db } = openMlflowDatabase(from.uri, { readonly: true });
  db.defaultSafeIntegers(true); // experiment ids beyond 2^53
  const tmp = dst + TMP_SUFFIX;
  const journalPath = path.join(tmp, FOLDER_JOURNAL);
  const info = JSON.stringify({ direction: summary.direction, source: fs.realpathSync(from.path), copyArtifacts: copy });
  try {
    if (fs.existsSync(tmp)) {
      let j: string | null = null;
      try {
        j = fs.readFileSync(journalPath, 'utf8');
      } catch {
        j = null;
      }
      if (j !== info) {
        throw new MlflowError('INVALID_STATE', `'${tmp}' was left by an interrupted migration of another source or with other options; remove it, or run the same migration again to continue it`, { path: tmp });
      }
      summary.resumed = true;
    } else {
      fs.mkdirSync(tmp);
      fs.writeFileSync(journalPath, info);
    }
    const srcLocal = (uri: string | null): string | undefined => {
      if (!uri || !isLocalUri(uri)) return undefined;
      return localFileUriToPath(resolveUriIfLocal(uri, cwd));
    };
    const expDirOf = (id: string, stage: string | null): string => (stage === 'deleted' ? path.join(tmp, '.trash', String(id)) : path.join(tmp, String(id)));
    const finalExpDir = (id: string, stage: string | null): string => (stage === 'deleted' ? path.join(dst, '.trash', String(id)) : path.join(dst, String(id)));

    // experiments (rewritten on a resume: small)
    const hasTimes = hasColumn(db, 'experiments', 'creation_time');
    const exps = db.prepare(`SELECT experiment_id, name, artifact_location, lifecycle_stage${hasTimes ? ', creation_time, last_update_time' : ''} FROM experiments ORDER BY experiment_id`).all() as Record<string, unknown>[];
    const expTags = groupBy(db.prepare('SELECT key, value, experiment_id FROM experiment_tags').all() as Record<string, unknown>[], 'experiment_id');
    const stageOf = new Map<string, string | null>();
    for (const e of exps) {
      const id = String(e['experiment_id']);
      const stage = e['lifecycle_stage'] as string | null;
      stageOf.set(id, stage);
      const dir = expDirOf(id, stage);
      const loc = copy ? pathToLocalFileUri(finalExpDir(id, 'active')) : e['artifact_location'];
      writeYaml(path.join(dir, 'meta.yaml'), {
        artifact_location: loc ?? null,
        creation_time: e['creation_time'] ?? null,
        experiment_id: id,
        last_update_time: e['last_update_time'] ?? null,
        lifecycle_stage: stage ?? 'active',
        name: e['name'],
      });
      const tags = (expTags.get(String(id)) ?? []).map((t) => [String(t['key']), String(t['value'] ?? '')] as [string, string]);
      fs.rmSync(path.join(dir, 'tags'), { recursive: true, force: true });
      add(summary.migrated, 'experiment_tags', writeKeyFiles(path.join(dir, 'tags'), tags));
      add(summary.migrated, 'experiments');
    }
    progress({ phase: 'experiments', done: exps.length, total: exps.length, item: '' });

    // datasets and inputs
    const datasets = hasTable(db, 'datasets') ? (db.prepare('SELECT * FROM datasets').all() as Record<string, unknown>[]) : [];
    const dsByUuid = new Map(datasets.map((d) => [String(d['dataset_uuid']), d]));
    for (const d of datasets) {
      const id = String(d['experiment_id']);
      const dsId = md5Hex(String(d['name']) + String(d['digest']));
      writeYaml(path.join(expDirOf(id, stageOf.get(id) ?? null), 'datasets', dsId, 'meta.yaml'), {
        digest: d['digest'],
        name: d['name'],
        profile: d['dataset_profile'] ?? null,
        schema: d['dataset_schema'] ?? null,
        source: d['dataset_source'],
        source_type: d['dataset_source_type'],
      });
      add(summary.migrated, 'datasets');
    }
    const hasInputs = hasTable(db, 'inputs');
    const inputStep = hasInputs && hasColumn(db, 'inputs', 'step');
    const inputs = hasInputs ? (db.prepare(`SELECT input_uuid, source_type, source_id, destination_type, destination_id${inputStep ? ', step' : ''} FROM inputs`).all() as Record<string, unknown>[]) : [];
    const inputTags = hasInputs ? groupBy(db.prepare('SELECT input_uuid, name, value FROM input_tags').all() as Record<string, unknown>[], 'input_uuid') : new Map<string, Record<string, unknown>[]>();
    const runInputs = new Map<string, Record<string, unknown>[]>();
    for (const i of inputs) {
      const runId = String(i['source_type'] === 'DATASET' ? i['destination_id'] : i['source_id']);
      let l = runInputs.get(runId);
      if (!l) runInputs.set(runId, (l = []));
      l.push(i);
    }

    // runs: each written in a '.partial' folder, then renamed (a run folder that exists is complete)
    const hasDeleted = hasColumn(db, 'runs', 'deleted_time');
    const runs = db.prepare(`SELECT * FROM runs ORDER BY experiment_id, run_uuid`).all() as Record<string, unknown>[];
    const qParams = db.prepare('SELECT key, value FROM params WHERE run_uuid = ?');
    const qTags = db.prepare('SELECT key, value FROM tags WHERE run_uuid = ?');
    const qMetrics = db.prepare('SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? ORDER BY key, rowid');
    let n = 0;
    for (const r of runs) {
      n++;
      const runId = String(r['run_uuid']);
      const expId = String(r['experiment_id']);
      const expDir = expDirOf(expId, stageOf.get(expId) ?? null);
      const runDir = path.join(expDir, runId);
      if (!stageOf.has(expId)) {
        summary.warnings.push(`run ${runId}: its experiment ${expId} is not in the database; skipped`);
        add(summary.skipped, 'runs');
        continue;
      }
      if (fs.existsSync(runDir)) {
        add(summary.migrated, 'runs');
        continue;
      }
      const part = runDir + '.partial';
      fs.rmSync(part, { recursive: true, force: true });
      const stage = (r['lifecycle_stage'] as string | null) ?? 'active';
      let artifactUri = r['artifact_uri'] as string | null;
      if (copy) {
        const src = srcLocal(artifactUri);
        if (src) summary.artifactFiles += copyTree(src, path.join(part, 'artifacts'));
        else if (artifactUri) summary.warnings.push(`run ${runId}: artifacts at '${artifactUri}' are not local; not copied`);
        artifactUri = pathToLocalFileUri(path.join(finalExpDir(expId, 'active'), runId, 'artifacts'));
      }
      const meta: Record<string, unknown> = {
        artifact_uri: artifactUri,
        end_time: r['end_time'] ?? null,
        entry_point_name: r['entry_point_name'] ?? '',
        experiment_id: expId,
        lifecycle_stage: stage,
        run_id: runId,
        run_name: r['name'] ?? null,
        run_uuid: runId,
        source_name: r['source_name'] ?? '',
        source_type: 4,
        source_version: r['source_version'] ?? '',
        start_time: r['start_time'] ?? null,
        status: RUN_STATUS_INT[String(r['status'])] ?? 1,
        tags: [],
        user_id: r['user_id'] ?? null,
      };
      if (hasDeleted && stage === 'deleted' && r['deleted_time'] !== null && r['deleted_time'] !== undefined) meta['deleted_time'] = r['deleted_time'];
      writeYaml(path.join(part, 'meta.yaml'), meta);
      fs.mkdirSync(path.join(part, 'artifacts'), { recursive: true });
      add(summary.migrated, 'params', writeKeyFiles(path.join(part, 'params'), (qParams.all(runId) as { key: string; value: string }[]).map((p) => [p.key, p.value])));
      add(summary.migrated, 'tags', writeKeyFiles(path.join(part, 'tags'), (qTags.all(runId) as { key: string; value: string | null }[]).map((t) => [t.key, t.value ?? ''])));
      const metricRows = qMetrics.all(runId) as { key: string; value: number; timestamp: number; step: number; is_nan: number }[];
      const files = new Map<string, string[]>();
      for (const m of metricRows) {
        let l = files.get(m.key);
        if (!l) files.set(m.key, (l = []));
        l.push(formatMetricLine({ timestamp: Number(m.timestamp), value: m.is_nan ? NaN : Number(m.value), step: Number(m.step) }));
      }
      add(summary.migrated, 'metrics', metricRows.length);
      add(summary.migrated, 'metric files', writeKeyFiles(path.join(part, 'metrics'), [...files].map(([k, l]) => [k, l.join('')])));
      for (const i of runInputs.get(runId) ?? []) {
        const st = String(i['source_type']);
        if (st === 'DATASET') {
          const d = dsByUuid.get(String(i['source_id']));
          if (!d) continue;
          const dsId = md5Hex(String(d['name']) + String(d['digest']));
          const tags: Record<string, string> = {};
          for (const t of inputTags.get(String(i['input_uuid'])) ?? []) tags[String(t['name'])] = String(t['value']);
          writeYaml(path.join(part, 'inputs', md5Hex(dsId + runId), 'meta.yaml'), { destination_id: dsId, destination_type: 'RUN', source_id: dsId, source_type: 'DATASET', tags });
          add(summary.migrated, 'inputs');
        } else if (st === 'RUN_INPUT') {
          const modelId = String(i['destination_id']);
          writeYaml(path.join(part, 'inputs', md5Hex(modelId + runId), 'meta.yaml'), { destination_id: modelId, destination_type: 'RUN', source_id: modelId, source_type: 'MODEL', tags: {} });
          add(summary.migrated, 'inputs');
        } else if (st === 'RUN_OUTPUT') {
          const modelId = String(i['destination_id']);
          writeYaml(path.join(part, 'outputs', modelId, 'meta.yaml'), { destination_id: modelId, destination_type: 'MODEL_OUTPUT', source_id: modelId, source_type: 'RUN_OUTPUT', step: Number(i['step'] ?? 0), tags: {} });
          add(summary.migrated, 'outputs');
        }
      }
      fs.renameSync(part, runDir);
      add(summary.migrated, 'runs');
      if (n % 50 === 0 || n === runs.length) {
        progress({ phase: 'runs', done: n, total: runs.length, item: runId });
        await new Promise((res) => setImmediate(res));
      }
    }

    // logged models (rewritten on a resume)
    if (hasTable(db, 'logged_models')) {
      const models = db.prepare('SELECT * FROM logged_models ORDER BY experiment_id, model_id').all() as Record<string, unknown>[];
      const mParams = groupBy(db.prepare('SELECT model_id, param_key, param_value FROM logged_model_params').all() as Record<string, unknown>[], 'model_id');
      const mTags = groupBy(db.prepare('SELECT model_id, tag_key, tag_value FROM logged_model_tags').all() as Record<string, unknown>[], 'model_id');
      const mMetrics = groupBy(db.prepare('SELECT * FROM logged_model_metrics ORDER BY rowid').all() as Record<string, unknown>[], 'model_id');
      for (const m of models) {
        const expId = String(m['experiment_id']);
        const modelId = String(m['model_id']);
        if (!stageOf.has(expId)) continue;
        const dir = path.join(expDirOf(expId, stageOf.get(expId) ?? null), 'models', modelId);
        fs.rmSync(dir, { recursive: true, force: true });
        let loc = m['artifact_location'] as string;
        if (copy) {
          const src = srcLocal(loc);
          if (src) summary.artifactFiles += copyTree(src, path.join(dir, 'artifacts'));
          loc = pathToLocalFileUri(path.join(finalExpDir(expId, 'active'), 'models', modelId, 'artifacts'));
        }
        writeYaml(path.join(dir, 'meta.yaml'), {
          artifact_location: loc,
          creation_timestamp: m['creation_timestamp_ms'],
          experiment_id: expId,
          last_updated_timestamp: m['last_updated_timestamp_ms'],
          lifecycle_stage: m['lifecycle_stage'] ?? 'active',
          model_id: modelId,
          model_type: m['model_type'] ?? null,
          name: m['name'],
          source_run_id: m['source_run_id'] ?? null,
          status: Number(m['status']),
          status_message: m['status_message'] ?? null,
        });
        fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
        writeKeyFiles(path.join(dir, 'params'), (mParams.get(modelId) ?? []).map((p) => [String(p['param_key']), String(p['param_value'])]));
        writeKeyFiles(path.join(dir, 'tags'), (mTags.get(modelId) ?? []).map((p) => [String(p['tag_key']), String(p['tag_value'])]));
        const files = new Map<string, string[]>();
        for (const x of mMetrics.get(modelId) ?? []) {
          let l = files.get(String(x['metric_name']));
          if (!l) files.set(String(x['metric_name']), (l = []));
          const ds = x['dataset_name'] !== null && x['dataset_digest'] !== null ? { datasetName: String(x['dataset_name']), datasetDigest: String(x['dataset_digest']) } : {};
          l.push(formatModelMetricLine({ timestamp: Number(x['metric_timestamp_ms']), value: x['metric_value'] === null ? NaN : Number(x['metric_value']), step: Number(x['metric_step']), runId: String(x['run_id']), ...ds }));
        }
        writeKeyFiles(path.join(dir, 'metrics'), [...files].map(([k, l]) => [k, l.join('')]));
        add(summary.migrated, 'logged_models');
      }
    }

    // registry (rewritten on a resume)
    fs.rmSync(path.join(tmp, 'models'), { recursive: true, force: true });
    if (hasTable(db, 'registered_models')) {
      const rms = db.prepare('SELECT * FROM registered_models ORDER BY name').all() as Record<string, unknown>[];
      const rmTags = groupBy(db.prepare('SELECT name, key, value FROM registered_model_tags').all() as Record<string, unknown>[], 'name');
      const mvs = groupBy(db.prepare('SELECT * FROM model_versions ORDER BY name, version').all() as Record<string, unknown>[], 'name');
      const mvTags = groupBy((db.prepare('SELECT name, version, key, value FROM model_version_tags').all() as Record<string, unknown>[]).map((t): Record<string, unknown> => ({ ...t, nv: `${String(t['name'])}\u0000${String(t['version'])}` })), 'nv');
      const aliases = hasTable(db, 'registered_model_aliases') ? groupBy(db.prepare('SELECT name, alias, version FROM registered_model_aliases').all() as Record<string, unknown>[], 'name') : new Map<string, Record<string, unknown>[]>();
      for (const rm of rms) {
        const name = String(rm['name']);
        const dir = path.join(tmp, 'models', name);
        if (!path.resolve(dir).startsWith(path.join(tmp, 'models') + path.sep) || name.includes('/')) {
          summary.warnings.push(`registered model '${name}': its name cannot be a folder name; skipped`);
          add(summary.skipped, 'registered_models');
          continue;
        }
        const al = aliases.get(name) ?? [];
        const aliasMap: Record<string, string> = {};
        for (const a of al) aliasMap[String(a['alias'])] = String(a['version']);
        writeYaml(path.join(dir, 'meta.yaml'), {
          aliases: aliasMap,
          creation_timestamp: rm['creation_time'] ?? null,
          description: rm['description'] ?? null,
          last_updated_timestamp: rm['last_updated_time'] ?? null,
          name,
        });
        writeKeyFiles(path.join(dir, 'tags'), (rmTags.get(name) ?? []).map((t) => [String(t['key']), String(t['value'] ?? '')]));
        writeKeyFiles(path.join(dir, 'aliases'), al.map((a) => [String(a['alias']), String(a['version'])]));
        add(summary.migrated, 'registered_models');
        add(summary.migrated, 'registered_model_aliases', al.length);
        for (const v of mvs.get(name) ?? []) {
          const version = Number(v['version']);
          const vdir = path.join(dir, `version-${version}`);
          writeYaml(path.join(vdir, 'meta.yaml'), {
            aliases: al.filter((a) => Number(a['version']) === version).map((a) => String(a['alias'])),
            creation_timestamp: v['creation_time'] ?? null,
            current_stage: v['current_stage'] ?? 'None',
            description: v['description'] ?? null,
            last_updated_timestamp: v['last_updated_time'] ?? null,
            name,
            run_id: v['run_id'] ?? null,
            run_link: v['run_link'] ?? null,
            source: v['source'] ?? null,
            status: v['status'] ?? 'READY',
            status_message: v['status_message'] ?? null,
            storage_location: v['storage_location'] ?? null,
            user_id: v['user_id'] ?? null,
            version,
          });
          writeKeyFiles(path.join(vdir, 'tags'), (mvTags.get(`${name}\u0000${version}`) ?? []).map((t) => [String(t['key']), String(t['value'] ?? '')]));
          add(summary.migrated, 'model_versions');
        }
      }
    }
    if (hasTable(db, 'trace_info')) {
      const traces = Number((db.prepare('SELECT COUNT(*) AS n FROM trace_info').get() as { n: bigint }).n);
      if (traces > 0) {
        add(summary.skipped, 'traces', traces);
        summary.warnings.push(`${traces} trace(s) are not migrated (mlruns migrate does not handle traces yet)`);
      }
    }
    db.close();
    fs.rmSync(journalPath);
    if (isDirectory(dst)) fs.rmdirSync(dst); // empty (checked)
    fs.renameSync(tmp, dst);
  } finally {
    if (db.open) db.close();
  }
  return summary;
}

// ---------------------------------------------------------------------------- sqlite -> sqlite

async function sqliteToSqlite(from: { path: string; uri: string }, to: { path: string; uri: string }, options: MigrateOptions, cwd: string): Promise<MigrateSummary> {
  const summary = emptySummary('sqlite->sqlite', from.uri, to.uri);
  const copy = options.copyArtifacts === true;
  const artRoot = copy ? path.resolve(cwd, options.artifactRoot ?? path.join(path.dirname(to.path), 'mlartifacts')) : null;
  if (artRoot) checkTarget(artRoot, 'folder');
  const { db } = openMlflowDatabase(from.uri, { readonly: true });
  const tmp = to.path + TMP_SUFFIX;
  for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(tmp + suffix, { force: true });
  try {
    db.prepare('VACUUM INTO ?').run(tmp);
  } finally {
    db.close();
  }
  const out = openSqliteFile(tmp);
  try {
    for (const t of ['experiments', 'runs', 'metrics', 'params', 'tags', 'registered_models', 'model_versions']) {
      if (hasTable(out, t)) add(summary.migrated, t, (out.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n);
    }
    if (copy && artRoot) {
      const artTmp = artRoot + TMP_SUFFIX;
      fs.rmSync(artTmp, { recursive: true, force: true });
      const local = (uri: string | null): string | undefined => (uri && isLocalUri(uri) ? localFileUriToPath(resolveUriIfLocal(uri, cwd)) : undefined);
      out.transaction(() => {
        for (const e of out.prepare('SELECT experiment_id FROM experiments').all() as { experiment_id: number }[]) {
          out.prepare('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?').run(pathToLocalFileUri(path.join(artRoot, String(e.experiment_id))), e.experiment_id);
        }
        for (const r of out.prepare('SELECT run_uuid, experiment_id, artifact_uri FROM runs').all() as { run_uuid: string; experiment_id: number; artifact_uri: string | null }[]) {
          const rel = path.join(String(r.experiment_id), r.run_uuid, 'artifacts');
          const src = local(r.artifact_uri);
          if (src) summary.artifactFiles += copyTree(src, path.join(artTmp, rel));
          else if (r.artifact_uri) summary.warnings.push(`run ${r.run_uuid}: artifacts at '${r.artifact_uri}' are not local; not copied`);
          out.prepare('UPDATE runs SET artifact_uri = ? WHERE run_uuid = ?').run(pathToLocalFileUri(path.join(artRoot, rel)), r.run_uuid);
        }
        if (hasTable(out, 'logged_models')) {
          for (const m of out.prepare('SELECT model_id, experiment_id, artifact_location FROM logged_models').all() as { model_id: string; experiment_id: number; artifact_location: string }[]) {
            const rel = path.join(String(m.experiment_id), 'models', m.model_id, 'artifacts');
            const src = local(m.artifact_location);
            if (src) summary.artifactFiles += copyTree(src, path.join(artTmp, rel));
            out.prepare('UPDATE logged_models SET artifact_location = ? WHERE model_id = ?').run(pathToLocalFileUri(path.join(artRoot, rel)), m.model_id);
          }
        }
      })();
      if (fs.existsSync(artTmp)) {
        if (isDirectory(artRoot)) fs.rmdirSync(artRoot);
        fs.renameSync(artTmp, artRoot);
      }
    }
    finishDatabase(out, tmp, to.path);
  } finally {
    if (out.open) out.close();
  }
  return summary;
}
