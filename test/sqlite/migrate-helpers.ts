/**
 * Shared by the migrate suites: the corpus stores, Python's `mlflow migrate-filestore` run in the
 * oracle's process, and the normalisation between Python's FileStore and SqlAlchemyStore dumps.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { normalizeDump } from '../oracle/normalize.js';
import type { Dump, Oracle } from '../oracle/oracle.js';
import { REPO } from './helpers.js';

export const LONG = { timeoutMs: 600_000 };
/** `../shared/corpus` beside the repository (a worktree under /work/wt/ falls back to /work/shared). */
export const CORPUS = path.resolve(REPO, '../shared/corpus');
export const CORPUS_FALLBACK = '/work/shared/corpus';

export function corpusStores(): string[] {
  const base = fs.existsSync(CORPUS) ? CORPUS : CORPUS_FALLBACK;
  if (!fs.existsSync(base)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (e.name === 'mlruns') out.push(p);
      else walk(p);
    }
  };
  walk(base);
  return out.sort();
}

/** Python's `mlflow migrate-filestore` (fs2db.migrate) in the oracle's process; null when it refuses, with its error. */
export async function pythonMigrate(py: Oracle, scratch: string, src: string, uri: string): Promise<string | null> {
  const code = [
    'import io, contextlib',
    'from pathlib import Path',
    'from mlflow.store.fs2db import migrate',
    'try:',
    '    with contextlib.redirect_stdout(io.StringIO()):',
    "        migrate(Path(vars['src']), vars['uri'], progress=False)",
    '    result = None',
    'except Exception as e:',
    "    result = type(e).__name__ + ': ' + str(e).split(chr(10))[0]",
  ].join('\n');
  return py.exec<string | null>(scratch, code, { src, uri }, LONG);
}

export function norm(d: Dump, roots: string[]): Dump {
  return { ...normalizeDump(d, { version: '3', roots }), version: 'x' };
}

/** The rows of every table a migration fills (input uuids are random in both tools, counts are not). */
export function tableCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const out: Record<string, number> = {};
    for (const t of ['experiments', 'experiment_tags', 'runs', 'params', 'tags', 'metrics', 'latest_metrics', 'datasets', 'inputs', 'input_tags', 'logged_models', 'logged_model_params', 'logged_model_tags', 'logged_model_metrics', 'registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags']) {
      out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  } finally {
    db.close();
  }
}

/**
 * A dump with what legitimately differs between Python's FileStore and its SqlAlchemyStore on the
 * same data made equal (applied to both sides):
 * - metric histories: repeated points (same timestamp, step, value) kept once (a database's primary
 *   key holds one), and no run id on the entries (FileStore names the run, SqlAlchemyStore gives None);
 * - model versions: SqlAlchemyStore's search_model_versions lists no aliases on a version (the
 *   registered model lists them, compared as is) and its schema has no model_id column (MLflow's
 *   migrate-filestore drops it too).
 */
export function fileAsSql(d: Dump): Dump {
  const h = (d.metricHistory ?? {}) as Record<string, Record<string, unknown>>;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [run, keys] of Object.entries(h)) {
    const o: Record<string, unknown> = (out[run] = {});
    for (const [k, list] of Object.entries(keys)) {
      if (!Array.isArray(list)) {
        o[k] = list;
        continue;
      }
      const seen = new Set<string>();
      o[k] = (list as Record<string, unknown>[])
        .filter((m) => {
          const s = `${String(m['timestamp'])}|${String(m['step'])}|${String(m['value'])}`;
          if (seen.has(s)) return false;
          seen.add(s);
          return true;
        })
        .map((m) => ({ ...m, runId: null }));
    }
  }
  const regs = Array.isArray(d.registeredModels)
    ? d.registeredModels.map((m) => {
        const fix = (v: Record<string, unknown>) => ({ ...v, aliases: [], modelId: null });
        const r = m as unknown as Record<string, unknown>;
        return {
          ...r,
          ...(Array.isArray(r['versions']) ? { versions: (r['versions'] as Record<string, unknown>[]).map(fix) } : {}),
          ...(Array.isArray(r['latestVersions']) ? { latestVersions: (r['latestVersions'] as Record<string, unknown>[]).map(fix) } : {}),
        };
      })
    : d.registeredModels;
  return { ...d, metricHistory: out, registeredModels: regs } as Dump;
}

/**
 * Histories Python's FileStore could not read on the folder are left out of both sides; returns how
 * many. (In a store with a registry `models/` folder at its root, FileStore 3.17.2's get_run and
 * get_metric_history answer "Run '...' not found" for runs its search_runs lists.)
 */
export function dropUnreadableHistories(folder: Dump, ours: Dump): number {
  let n = 0;
  const fh = (folder.metricHistory ?? {}) as Record<string, Record<string, unknown>>;
  const oh = (ours.metricHistory ?? {}) as Record<string, Record<string, unknown>>;
  for (const [run, keys] of Object.entries(fh)) {
    for (const [k, v] of Object.entries(keys)) {
      if (!Array.isArray(v)) {
        n++;
        delete keys[k];
        if (oh[run]) delete oh[run][k];
      }
    }
  }
  return n;
}

/**
 * Every row a migration writes, sorted, for comparing two databases of the same store: input
 * uuids are random (in MLflow's tool too), so inputs and their tags are keyed by what they join.
 */
export function tableRows(file: string, migrationWindow?: [number, number]): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const out: Record<string, unknown[]> = {};
    const tables = ['experiments', 'experiment_tags', 'runs', 'params', 'tags', 'metrics', 'latest_metrics', 'datasets', 'logged_models', 'logged_model_params', 'logged_model_tags', 'logged_model_metrics', 'registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags'];
    for (const t of tables) {
      // With a window: the times MLflow's tool sets to the time of the migration (see NOW_COLUMNS), taken in it, are marked.
      const mark = (r: Record<string, unknown>): Record<string, unknown> => {
        if (migrationWindow) for (const c of NOW_COLUMNS[t] ?? []) if (typeof r[c] === 'bigint' && (r[c] as bigint) >= BigInt(migrationWindow[0]) && (r[c] as bigint) <= BigInt(migrationWindow[1])) r[c] = MIGRATION_TIME;
        return r;
      };
      out[t] = (db.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[]).map((r) => JSON.stringify(mark(r), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
    }
    out['inputs'] = (db.prepare('SELECT source_type, source_id, destination_type, destination_id, step FROM inputs').all() as unknown[]).map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
    out['input_tags'] = (db.prepare('SELECT i.source_id, i.destination_id, t.name, t.value FROM input_tags t JOIN inputs i ON i.input_uuid = t.input_uuid').all() as unknown[]).map((r) => JSON.stringify(r)).sort();
    out['alembic_version'] = db.prepare('SELECT * FROM alembic_version').all();
    return out;
  } finally {
    db.close();
  }
}

/** How many metric lines a folder store holds (newlines in its runs' metrics/ files). */
export function metricLines(root: string): number {
  let n = 0;
  const walk = (d: string, inMetrics: boolean): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, inMetrics || e.name === 'metrics');
      else if (inMetrics && e.isFile()) {
        const b = fs.readFileSync(p);
        for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
      }
    }
  };
  walk(root, false);
  return n;
}

/** The fields MLflow's tool fills with the time of the migration when the folder has none (SQLAlchemy's `default=get_current_time_millis`). */
const NOW_FIELDS = new Set(['creationTime', 'lastUpdateTime', 'startTime', 'creationTimestamp']);
export const MIGRATION_TIME = '<time of the migration>';

/**
 * A dump with every {@link NOW_FIELDS} value taken in `[from, to]` (the migrations, and the dump that
 * creates the Default experiment a database without one gets from SqlAlchemyStore) replaced by
 * {@link MIGRATION_TIME}; with `nullToo`, a null one too (a FileStore dump of the folder, whose
 * missing times the database holds as the time of the migration). Returns how many were replaced.
 */
export function markMigrationTimes(d: unknown, from: number, to: number, nullToo = false): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    for (const [k, x] of Object.entries(o)) {
      if (NOW_FIELDS.has(k) && ((typeof x === 'number' && x >= from && x <= to) || (nullToo && x === null))) {
        o[k] = MIGRATION_TIME;
        n++;
      } else walk(x);
    }
  };
  walk(d);
  return n;
}

/** The columns MLflow's tool fills with the time of the migration when the folder has none. */
const NOW_COLUMNS: Record<string, string[]> = {
  experiments: ['creation_time', 'last_update_time'],
  runs: ['start_time'],
  registered_models: ['creation_time'],
  model_versions: ['creation_time'],
};

/**
 * Every table a migration fills as a row count and a SHA-256 of its rows in a fixed order, read
 * row by row (a store of a million metric points is compared in seconds, where Python's dumps take
 * many minutes). Input uuids are random (in MLflow's tool too), so inputs and their tags are keyed
 * by what they join; times in `[from, to]` in the {@link NOW_COLUMNS} are the time of the migration.
 */
export function tableDigests(file: string, from: number, to: number): Record<string, { rows: number; sha256: string }> {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const out: Record<string, { rows: number; sha256: string }> = {};
    const queries: Record<string, string> = {};
    const tables = ['experiments', 'experiment_tags', 'runs', 'params', 'tags', 'metrics', 'latest_metrics', 'datasets', 'logged_models', 'logged_model_params', 'logged_model_tags', 'logged_model_metrics', 'registered_models', 'registered_model_tags', 'registered_model_aliases', 'model_versions', 'model_version_tags', 'alembic_version'];
    for (const t of tables) {
      const cols = (db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string }[]).map((c) => `"${c.name}"`);
      queries[t] = `SELECT ${cols.join(', ')} FROM "${t}" ORDER BY ${cols.join(', ')}`;
    }
    queries['inputs'] = 'SELECT source_type, source_id, destination_type, destination_id, step FROM inputs ORDER BY 1, 2, 3, 4, 5';
    queries['input_tags'] = 'SELECT i.source_id, i.destination_id, t.name, t.value FROM input_tags t JOIN inputs i ON i.input_uuid = t.input_uuid ORDER BY 1, 2, 3, 4';
    for (const [t, q] of Object.entries(queries)) {
      const h = crypto.createHash('sha256');
      const now = NOW_COLUMNS[t] ?? [];
      let rows = 0;
      for (const r of db.prepare(q).iterate() as Iterable<Record<string, unknown>>) {
        for (const c of now) {
          const v = r[c];
          if (typeof v === 'bigint' && v >= BigInt(from) && v <= BigInt(to)) r[c] = MIGRATION_TIME;
        }
        h.update(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' ? `${v}f` : v)));
        h.update('\n');
        rows++;
      }
      out[t] = { rows, sha256: h.digest('hex') };
    }
    return out;
  } finally {
    db.close();
  }
}

/** SHA-256 of a folder store: every file's relative path and bytes, in sorted order. */
export function storeHash(root: string): string {
  const h = crypto.createHash('sha256');
  const walk = (d: string, rel: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.statSync(p);
      if (st.isDirectory()) walk(p, r);
      else if (st.isFile()) {
        h.update(`${r}\u0000${st.size}\u0000`);
        h.update(fs.readFileSync(p));
      }
    }
  };
  walk(root, '');
  return h.digest('hex');
}
