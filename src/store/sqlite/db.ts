/**
 * Opening MLflow's SQLite database (`sqlite:///mlflow.db`) as Python's SqlAlchemyStore does:
 * the same connection settings (busy timeout 20 s, foreign keys, case-sensitive LIKE), a new
 * database created with the schema of the newest MLflow release we know and stamped in
 * `alembic_version`, and an existing one checked before anything is written: not a database,
 * another application's database, a truncated file, a schema revision we do not know (newer) or
 * one older than the release whose layout we write (run `mlflow db upgrade`) are clear errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { MlflowError } from '../../errors.js';
import { openSqliteFile } from './native.js';
import { HEAD_REVISION, REVISION_CHAIN, SCHEMA_DDL, SCHEMA_MLFLOW_VERSION, WORKSPACE_COLUMNS, WORKSPACE_ROWS } from './schema-ddl.js';

/** MLflow's `PRAGMA busy_timeout = 20000` (ms), set on every session. */
export const BUSY_TIMEOUT_MS = 20_000;

/** The head revision of MLflow 2.22.5, whose layout we also write (proven against MLflow 2.22.5). */
export const MLFLOW_2_22_REVISION = '0584bdc529eb';

/** Revisions whose layout this store writes: proven by tests against the MLflow that made them. */
export const WRITABLE_REVISIONS: ReadonlySet<string> = new Set([HEAD_REVISION, MLFLOW_2_22_REVISION]);

/** The MLflow releases whose head revision a schema has (for messages). */
const RELEASE_OF_REVISION: Readonly<Record<string, string>> = {
  [HEAD_REVISION]: SCHEMA_MLFLOW_VERSION,
  [MLFLOW_2_22_REVISION]: '2.22.x',
};

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * The file path of a `sqlite:` URI, as SQLAlchemy reads it: `sqlite:///rel/path.db` is relative
 * to the working folder, `sqlite:////abs/path.db` absolute. In-memory databases are refused (a
 * store's data would vanish with the process).
 *
 * @example
 * ```ts
 * sqliteUriToPath('sqlite:////tmp/mlflow.db'); // '/tmp/mlflow.db'
 * sqliteUriToPath('sqlite:///mlflow.db'); // '<cwd>/mlflow.db'
 * ```
 */
export function sqliteUriToPath(uri: string, cwd: string = process.cwd()): string {
  const m = /^sqlite:\/\/([^/]*)(\/.*)?$/i.exec(uri);
  if (!m || m[1] !== '' || !m[2] || m[2] === '/' || m[2] === '/:memory:') {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Invalid SQLite URI '${uri}': expected sqlite:///relative/path.db or sqlite:////absolute/path.db (in-memory databases are not supported)`,
    );
  }
  let p = m[2].slice(1);
  const q = p.indexOf('?');
  if (q !== -1) p = p.slice(0, q);
  return path.resolve(cwd, p);
}

/** The `sqlite:` URI of a database file (absolute). */
export function pathToSqliteUri(p: string): string {
  return `sqlite:///${path.resolve(p)}`;
}

/** Which optional parts of MLflow's schema a database has (its revision decides). */
export interface SchemaFeatures {
  revision: string;
  /** True when we write this revision's layout. */
  writable: boolean;
  /** Why not, when not writable. */
  readOnlyReason: string | null;
  workspaces: boolean;
  experimentTimes: boolean;
  runDeletedTime: boolean;
  datasets: boolean;
  inputStep: boolean;
  loggedModels: boolean;
  aliases: boolean;
  storageLocation: boolean;
  registry: boolean;
}

/** An open database and what its schema has. */
export interface OpenedDatabase {
  db: Database.Database;
  file: string;
  features: SchemaFeatures;
  /** True when this call created the database. */
  created: boolean;
}

/** Converts a better-sqlite3 error to an MlflowError with MLflow's code and the file named. */
export function sqliteError(e: unknown, file: string, doing: string, busyTimeoutMs: number = BUSY_TIMEOUT_MS): MlflowError {
  if (e instanceof MlflowError) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  const msg = err.message ?? String(e);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_')) {
    return new MlflowError(
      'TEMPORARILY_UNAVAILABLE',
      `The database '${file}' stayed locked by another process for more than ${busyTimeoutMs / 1000} s (the busy timeout) while ${doing} (${msg}); nothing was written`,
      { path: file, cause: e },
    );
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) {
    return new MlflowError('IO_ERROR', `The database '${file}' is read-only (${msg}); nothing was written`, { path: file, cause: e });
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT_')) {
    return new MlflowError('MALFORMED_DATA', `The database '${file}' is damaged (${msg}) while ${doing}`, { path: file, cause: e });
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_') || code === 'SQLITE_FULL' || code === 'SQLITE_PERM') {
    return new MlflowError('IO_ERROR', `Cannot use the database '${file}' while ${doing}: ${msg}`, { path: file, cause: e });
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new MlflowError('BAD_REQUEST', `(sqlite3.IntegrityError) ${msg}`, { path: file, cause: e });
  }
  return new MlflowError('INTERNAL_ERROR', `SQLite error on '${file}' while ${doing}: ${msg}`, { path: file, cause: e });
}

/** Checks a database file's header without opening it: an SQLite file, not truncated. */
function checkFile(file: string): 'empty' | 'ok' {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new MlflowError('IO_ERROR', `Cannot read the database '${file}': ${(e as Error).message}`, { path: file, cause: e });
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return 'empty';
    const head = Buffer.alloc(100);
    const n = fs.readSync(fd, head, 0, 100, 0);
    if (n < 100 || !head.subarray(0, 16).equals(SQLITE_HEADER)) {
      throw new MlflowError('MALFORMED_DATA', `'${file}' is not an SQLite database (its first bytes are not the SQLite header); nothing was written`, {
        path: file,
      });
    }
    const raw = head.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    const changeCounter = head.readUInt32BE(24);
    const pages = head.readUInt32BE(28);
    const validFor = head.readUInt32BE(92);
    const wal = fs.existsSync(`${file}-wal`);
    if (!wal && pages > 0 && validFor === changeCounter && pages * pageSize > size) {
      throw new MlflowError(
        'MALFORMED_DATA',
        `The database '${file}' is truncated: its header says ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes) but the file has ${size}; nothing was written`,
        { path: file },
      );
    }
    return 'ok';
  } finally {
    fs.closeSync(fd);
  }
}

/** The connection settings of MLflow's sessions (`make_managed_session`). */
function configure(db: Database.Database, busyTimeoutMs: number = BUSY_TIMEOUT_MS): void {
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma('case_sensitive_like = true');
  // Python's sqlite3 commits with synchronous=FULL in every journal mode; the SQLite inside
  // better-sqlite3 defaults to NORMAL in WAL mode (SQLITE_DEFAULT_WAL_SYNCHRONOUS=1), which would
  // acknowledge commits that a power loss can undo on a WAL database (`mlflow migrate-filestore`
  // leaves its databases in WAL mode). Same durability as Python's, whatever the file's mode.
  db.pragma('synchronous = FULL');
  // MLflow's REGEXP (Python's re.search); JavaScript's RegExp is close enough for RLIKE filters.
  db.function('regexp', { deterministic: true }, (pattern: unknown, value: unknown) => {
    if (pattern === null || value === null) return 0;
    try {
      return new RegExp(String(pattern), 'u').test(String(value)) ? 1 : 0;
    } catch {
      return 0;
    }
  });
}

/** Creates MLflow's schema, its stamp and the default rows in an empty database (one transaction). */
function createSchema(db: Database.Database): void {
  db.transaction(() => {
    for (const [, , sql] of SCHEMA_DDL) db.exec(sql);
    db.prepare('INSERT INTO alembic_version (version_num) VALUES (?)').run(HEAD_REVISION);
    const cols = WORKSPACE_COLUMNS.join(', ');
    const marks = WORKSPACE_COLUMNS.map(() => '?').join(', ');
    for (const row of WORKSPACE_ROWS) db.prepare(`INSERT INTO workspaces (${cols}) VALUES (${marks})`).run(...row);
  })();
}

function tableNames(db: Database.Database): Set<string> {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

function columnNames(db: Database.Database, table: string): Set<string> {
  const rows = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

/** What a database's schema has, from its revision and its tables. */
function detectFeatures(db: Database.Database, file: string, uri: string): SchemaFeatures {
  const tables = tableNames(db);
  const rows = db.prepare('SELECT version_num FROM alembic_version').all() as { version_num: string }[];
  if (rows.length !== 1) {
    throw new MlflowError(
      'MALFORMED_DATA',
      `The database '${file}' has ${rows.length} rows in alembic_version (expected 1); it is not a database MLflow left in a consistent state`,
      { path: file },
    );
  }
  const revision = (rows[0] as { version_num: string }).version_num;
  const index = REVISION_CHAIN.indexOf(revision);
  if (index === -1) {
    throw new MlflowError(
      'INVALID_STATE',
      `The database '${file}' has schema revision '${revision}', which mlruns does not know: it was made by an MLflow newer than ${SCHEMA_MLFLOW_VERSION} (head ${HEAD_REVISION}), or by a development build. Upgrade mlruns, or open it with the MLflow that created it; nothing was read or written.`,
      { path: file },
    );
  }
  const writable = WRITABLE_REVISIONS.has(revision);
  const release = RELEASE_OF_REVISION[revision];
  const readOnlyReason = writable
    ? null
    : `The database '${file}' has schema revision '${revision}'${release ? ` (MLflow ${release})` : ''}, an older layout than mlruns writes (MLflow ${SCHEMA_MLFLOW_VERSION}, revision ${HEAD_REVISION}, or 2.22.x, revision ${MLFLOW_2_22_REVISION}). mlruns reads it but does not write it: take a backup, then run 'mlflow db upgrade ${uri}' to migrate it to the current schema.`;
  const exp = columnNames(db, 'experiments');
  const runs = columnNames(db, 'runs');
  return {
    revision,
    writable,
    readOnlyReason,
    workspaces: exp.has('workspace'),
    experimentTimes: exp.has('creation_time'),
    runDeletedTime: runs.has('deleted_time'),
    datasets: tables.has('datasets') && tables.has('inputs') && tables.has('input_tags'),
    inputStep: tables.has('inputs') && columnNames(db, 'inputs').has('step'),
    loggedModels: tables.has('logged_models'),
    aliases: tables.has('registered_model_aliases'),
    storageLocation: tables.has('model_versions') && columnNames(db, 'model_versions').has('storage_location'),
    registry: tables.has('registered_models') && tables.has('model_versions'),
  };
}

/**
 * Opens (or creates) MLflow's database behind a `sqlite:` URI. A missing file, or an empty one,
 * becomes a new database with the schema of MLflow {@link SCHEMA_MLFLOW_VERSION} (built in a
 * temporary file and moved into place, so a failure leaves nothing behind). An existing one is
 * checked: an SQLite file, not truncated, with MLflow's tables and a revision we know.
 *
 * @example
 * ```ts
 * const { db, features } = openMlflowDatabase('sqlite:////tmp/mlflow.db');
 * features.revision; // 'dc11669786a5'
 * ```
 */
export function openMlflowDatabase(uri: string, options: { create?: boolean; readonly?: boolean; busyTimeoutMs?: number } = {}): OpenedDatabase {
  const busy = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  const file = sqliteUriToPath(uri);
  let created = false;
  let state: 'missing' | 'empty' | 'ok' = fs.existsSync(file) ? checkFile(file) : 'missing';
  if (state !== 'ok' && (options.create === false || options.readonly)) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No MLflow database at '${file}'`, { path: file });
  }
  if (state === 'missing') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
    try {
      const fresh = openSqliteFile(tmp);
      try {
        configure(fresh);
        createSchema(fresh);
      } finally {
        fresh.close();
      }
      try {
        fs.linkSync(tmp, file); // never replaces a database another process created meanwhile
        created = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    } catch (e) {
      throw e instanceof MlflowError ? e : sqliteError(e, file, 'creating the database');
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    state = checkFile(file);
  }
  let db: Database.Database;
  try {
    db = openSqliteFile(file, { timeout: busy, fileMustExist: true, ...(options.readonly ? { readonly: true } : {}) });
  } catch (e) {
    throw sqliteError(e, file, 'opening the database', busy);
  }
  try {
    configure(db, busy);
    let tables: Set<string>;
    try {
      tables = tableNames(db);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_NOTADB') {
        throw new MlflowError('MALFORMED_DATA', `'${file}' is not an SQLite database (or it is encrypted); nothing was written`, { path: file });
      }
      throw e;
    }
    if (tables.size === 0 && state === 'empty') {
      createSchema(db);
      created = true;
      tables = tableNames(db);
    }
    if (!tables.has('alembic_version') || !tables.has('experiments') || !tables.has('runs')) {
      const list = [...tables].slice(0, 8).join(', ');
      throw new MlflowError(
        'INVALID_STATE',
        tables.size === 0
          ? `The database '${file}' is empty but not writable here; nothing was written`
          : `The database '${file}' is not an MLflow tracking database (it has the tables ${list}${tables.size > 8 ? ', ...' : ''} but not MLflow's experiments/runs/alembic_version); nothing was written`,
        { path: file },
      );
    }
    const features = detectFeatures(db, file, uri);
    return { db, file, features, created };
  } catch (e) {
    db.close();
    throw sqliteError(e, file, 'opening the database', busy);
  }
}
