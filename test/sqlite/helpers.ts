/**
 * Shared by the SQLite suites: the Python oracles with MLflow's SQL store, the fixture generator,
 * and dumps of a database by Python and by us, normalized for comparison.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Oracle, oraclePython } from '../oracle/oracle.js';
import type { Dump, OracleVersion } from '../oracle/oracle.js';
import { normalizeDump } from '../oracle/normalize.js';
import { dumpWithOurLibrary } from '../store/dump.js';
import { warmPythonSync } from '../oracle/zygote.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The oracle venvs with MLflow's SQL store: 3.17.2 and 2.22.5. */
export const SQL_ORACLES = { '3': '3-full', '2': '2-sql' } as const satisfies Record<string, OracleVersion>;
export type Major = keyof typeof SQL_ORACLES;

export function tmpDir(prefix = 'mlruns-sqlite-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function sqliteUri(file: string): string {
  return `sqlite:///${path.resolve(file)}`;
}

/** Runs scripts/gen_sqlite_fixtures.py with a pinned MLflow: a filled database in `dir`. */
export function generateFixture(major: Major, dir: string): { experiments: string[]; runs: string[]; loggedModel?: string } {
  const r = warmPythonSync(oraclePython(SQL_ORACLES[major]), [path.join(REPO, 'scripts/gen_sqlite_fixtures.py'), dir], {
    env: { ...process.env, MLFLOW_TRACKING_URI: '', GIT_PYTHON_REFRESH: 'quiet' },
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`gen_sqlite_fixtures.py failed (${r.status}):\n${r.stderr}`);
  const out = r.stdout;
  return JSON.parse(out.trim().split('\n').pop() as string) as { experiments: string[]; runs: string[]; loggedModel?: string };
}

export async function startOracle(major: Major): Promise<Oracle> {
  return Oracle.start(SQL_ORACLES[major], { timeoutMs: 120_000, startTimeoutMs: 120_000 });
}

/** Python's dump and ours of one database, normalized the same way. */
export async function bothDumps(py: Oracle, major: Major, uri: string, roots: string[]): Promise<{ python: Dump; ours: Dump }> {
  const python = normalizeDump(await py.dump(uri), { version: major, roots });
  const { warnings: _w, ...raw } = await dumpWithOurLibrary(uri, major);
  const ours = normalizeDump(raw, { version: major, roots });
  return { python: { ...python, version: 'x' }, ours: { ...ours, version: 'x' } };
}
