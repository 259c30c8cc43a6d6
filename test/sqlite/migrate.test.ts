/**
 * `migrate` (src/sync/migrate.ts) against Python MLflow 3.17.2:
 * - folder -> database equals `mlflow migrate-filestore` on every store of ../shared/corpus that
 *   MLflow's tool accepts (Python's dumps of both databases, through SqlAlchemyStore); the stores it
 *   refuses we migrate too, and Python reads our database as its FileStore reads the folder;
 * - database -> folder: Python's FileStore reads the folder as its SqlAlchemyStore reads the database;
 * - database -> database; atomicity; resume after SIGKILL; bad input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { diffValues } from '../oracle/normalize.js';
import type { Oracle } from '../oracle/oracle.js';
import { migrate } from '../../src/sync/migrate.js';
import { copyWritable } from '../git/helpers.js';
import { sqliteUri, startOracle, tmpDir } from './helpers.js';
import { CORPUS, CORPUS_FALLBACK, LONG, corpusStores, dropUnreadableHistories, fileAsSql, markMigrationTimes, metricLines, norm, pythonMigrate, storeHash, tableCounts, tableDigests } from './migrate-helpers.js';

/**
 * Above this many metric lines a store's two databases are compared as row digests, not Python
 * dumps; and MLflow's tool itself takes a long time on such a store (TayJen 50 k, Toma0916 112 k,
 * keimoriyama 1.08 M metric lines: from 10 s to over 5 minutes on a loaded 2-core machine), so the
 * digests of its database are recorded once in GOLDEN_FILE, keyed by a hash of the store's files:
 * a store that changed fails until they are written again with
 * `MLRUNS_MIGRATE_GOLDEN=write npx vitest run test/sqlite/migrate.test.ts -t <store>`.
 */
const BIG_STORE_METRIC_LINES = 20_000;
const GOLDEN_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrate-golden.json');
const WRITE_GOLDEN = process.env['MLRUNS_MIGRATE_GOLDEN'] === 'write';
type Golden = Record<string, { source: string; refused: string | null; digests: ReturnType<typeof tableDigests> }>;
const readGolden = (): Golden => (fs.existsSync(GOLDEN_FILE) ? (JSON.parse(fs.readFileSync(GOLDEN_FILE, 'utf8')) as Golden) : {});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = tmpDir('mlruns-migrate-');
  dirs.push(d);
  return d;
}

describe('mlruns migrate vs MLflow 3.17.2', () => {
  let py: Oracle;
  beforeAll(async () => {
    py = await startOracle('3');
  }, 180_000);
  afterAll(async () => {
    await py?.close();
  });

  const stores = corpusStores();
  test('the corpus is there', () => {
    expect(stores.length).toBeGreaterThanOrEqual(13);
  });

  for (const store of stores) {
    const label = path.relative(fs.existsSync(CORPUS) ? CORPUS : CORPUS_FALLBACK, store);
    test(`folder -> database: ${label}`, async () => {
      const dir = scratch();
      const src = path.join(dir, 'src');
      copyWritable(store, src);
      const pyDb = path.join(dir, 'py.db');
      const ourDb = path.join(dir, 'ours.db');
      const lines = metricLines(src);
      if (lines > BIG_STORE_METRIC_LINES && !WRITE_GOLDEN) {
        // MLflow's tool's result, recorded (see BIG_STORE_METRIC_LINES), against ours now.
        const golden = readGolden()[label];
        expect(golden, `no recorded result of MLflow's migrate-filestore for ${label} in ${GOLDEN_FILE}`).toBeDefined();
        expect(storeHash(src), `${label} changed since MLflow's result was recorded`).toBe(golden?.source);
        expect(golden?.refused).toBeNull();
        const t0 = Date.now();
        await migrate({ from: src, to: sqliteUri(ourDb), cwd: dir });
        expect(tableDigests(ourDb, t0, Date.now())).toEqual(golden?.digests);
        return;
      }
      const t0 = Date.now();
      const refused = await pythonMigrate(py, path.join(dir, 'scratch'), src, sqliteUri(pyDb));
      let summary;
      try {
        summary = await migrate({ from: src, to: sqliteUri(ourDb), cwd: dir });
      } catch (e) {
        // Two experiments with one name: a database cannot hold them, so we refuse before writing.
        // MLflow's tool fails on the store too, on the first conflict it meets: in palaciosleo
        // that is an experiment id in both the root and .trash/ (which we would read around).
        const m = /Two experiments are named '([^']*)' \('([^']+)' and '([^']+)'\)/.exec((e as Error).message);
        expect(m, (e as Error).message).not.toBeNull();
        const [, name, first, second] = m as RegExpExecArray;
        for (const d of [first, second]) expect(fs.readFileSync(path.join(d as string, 'meta.yaml'), 'utf8')).toMatch(new RegExp(`^name: '?${(name as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'?$`, 'm'));
        expect(first).not.toBe(second);
        expect(refused).toMatch(/^IntegrityError: .*UNIQUE constraint failed: experiments\.(experiment_id|workspace, experiments\.name)$/);
        expect(fs.existsSync(ourDb)).toBe(false);
        expect(fs.readdirSync(dir).filter((n) => n.startsWith('ours.db'))).toEqual([]);
        return;
      }
      expect(summary.direction).toBe('folder->sqlite');
      if (WRITE_GOLDEN && lines > BIG_STORE_METRIC_LINES) {
        const golden = readGolden();
        golden[label] = { source: storeHash(src), refused, digests: tableDigests(pyDb, t0, Date.now()) };
        fs.writeFileSync(GOLDEN_FILE, `${JSON.stringify(golden, null, 2)}\n`);
      }
      if (refused === null && lines > BIG_STORE_METRIC_LINES) {
        // A store with a long history (TayJen 50 k, Toma0916 112 k, keimoriyama 1.08 M metric
        // lines): Python's dumps of it take many minutes, so the two databases are compared row by
        // row instead (every column of every row, as counts and SHA-256 digests).
        const t1 = Date.now();
        expect(tableDigests(ourDb, t0, t1)).toEqual(tableDigests(pyDb, t0, t1));
      } else if (refused === null) {
        // MLflow accepted the store: both databases read the same through SqlAlchemyStore. Times
        // the folder lacks are the time of the migration on both sides (and the Default experiment
        // SqlAlchemyStore adds to a database without one has the time of the dump).
        const ours = norm(await py.dump(sqliteUri(ourDb), LONG), [dir]);
        const theirs = norm(await py.dump(sqliteUri(pyDb), LONG), [dir]);
        const t1 = Date.now();
        markMigrationTimes(ours, t0, t1);
        markMigrationTimes(theirs, t0, t1);
        expect(diffValues(theirs, ours)).toEqual([]);
      } else {
        // MLflow refused it; we migrated around the damage and said so. Python's FileStore on the
        // folder and its SqlAlchemyStore on our database see the same, except what the warnings name.
        expect(summary.warnings.length).toBeGreaterThan(0);
        const ours = norm(await py.dump(sqliteUri(ourDb), LONG), [dir]);
        const folder = fileAsSql(norm(await py.dump(src, LONG), [dir]));
        const t1 = Date.now();
        // A time the folder lacks (null to FileStore) is the time of the migration in the database.
        markMigrationTimes(ours, t0, t1);
        markMigrationTimes(folder, t0, t1, true);
        dropUnreadableHistories(folder, ours);
        expect(diffValues(folder, fileAsSql(ours))).toEqual([]);
      }
      // Same row counts as Python's own summary would give (when it accepted the store).
      if (refused === null) expect(tableCounts(ourDb)).toEqual(tableCounts(pyDb));
    }, WRITE_GOLDEN ? 3_600_000 : 300_000);
  }
});

