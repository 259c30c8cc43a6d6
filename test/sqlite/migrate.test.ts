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
import { diffValues } from '../oracle/normalize.js';
import type { Oracle } from '../oracle/oracle.js';
import { migrate } from '../../src/sync/migrate.js';
import { copyWritable } from '../git/helpers.js';
import { sqliteUri, startOracle, tmpDir } from './helpers.js';
import { CORPUS, CORPUS_FALLBACK, LONG, corpusStores, dropUnreadableHistories, fileAsSql, metricLines, norm, pythonMigrate, tableCounts, tableRows } from './migrate-helpers.js';

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
      const refused = await pythonMigrate(py, path.join(dir, 'scratch'), src, sqliteUri(pyDb));
      let summary;
      try {
        summary = await migrate({ from: src, to: sqliteUri(ourDb), cwd: dir });
      } catch (e) {
        // Two experiments with one name: a database cannot hold them; MLflow's tool fails on them too.
        expect((e as Error).message).toMatch(/Two experiments are named/);
        expect(refused).toMatch(/UNIQUE constraint failed: experiments.workspace, experiments.name/);
        expect(fs.existsSync(ourDb)).toBe(false);
        expect(fs.readdirSync(dir).filter((n) => n.startsWith('ours.db'))).toEqual([]);
        return;
      }
      expect(summary.direction).toBe('folder->sqlite');
      if (refused === null && metricLines(src) > 200_000) {
        // A store with a long history (keimoriyama: 1.08 M metric lines): Python's dumps of it take
        // many minutes, so the two databases are compared row by row instead.
        expect(tableRows(ourDb)).toEqual(tableRows(pyDb));
      } else if (refused === null) {
        // MLflow accepted the store: both databases read the same through SqlAlchemyStore.
        const ours = norm(await py.dump(sqliteUri(ourDb), LONG), [dir]);
        const theirs = norm(await py.dump(sqliteUri(pyDb), LONG), [dir]);
        expect(diffValues(theirs, ours)).toEqual([]);
      } else {
        // MLflow refused it; we migrated around the damage and said so. Python's FileStore on the
        // folder and its SqlAlchemyStore on our database see the same, except what the warnings name.
        expect(summary.warnings.length).toBeGreaterThan(0);
        const ours = norm(await py.dump(sqliteUri(ourDb), LONG), [dir]);
        const folder = fileAsSql(norm(await py.dump(src, LONG), [dir]));
        dropUnreadableHistories(folder, ours);
        expect(diffValues(folder, fileAsSql(ours))).toEqual([]);
      }
      // Same row counts as Python's own summary would give (when it accepted the store).
      if (refused === null) expect(tableCounts(ourDb)).toEqual(tableCounts(pyDb));
    }, 300_000);
  }
});

