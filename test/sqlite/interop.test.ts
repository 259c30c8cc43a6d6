/**
 * Our SQLite store against Python's SqlAlchemyStore (MLflow 3.17.2 and 2.22.5): a database Python
 * filled reads the same through us; what we write reads the same through Python; a new database
 * has exactly the schema Python creates and Python opens it without a migration.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { diffValues } from '../oracle/normalize.js';
import type { Oracle } from '../oracle/oracle.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { HEAD_REVISION } from '../../src/store/sqlite/schema-ddl.js';
import { bothDumps, generateFixture, sqliteUri, startOracle, tmpDir } from './helpers.js';
import type { Major } from './helpers.js';
import { writeScenario } from './scenario.js';

function schemaOf(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name").all() as Record<string, string>[];
    // MLflow's own DDL lists the constraints of tables alembic rebuilt in batch mode in an order
    // that changes from one Python process to the next (set iteration): compare the lines sorted.
    return rows.map((r) => `${r['type']} ${r['name']} ${r['tbl_name']}\n${String(r['sql']).split('\n').map((l) => l.replace(/,\s*$/, '').trim()).sort().join('\n')}`);
  } finally {
    db.close();
  }
}

for (const major of ['3', '2'] as Major[]) {
  describe(`SQLite store vs MLflow ${major === '3' ? '3.17.2' : '2.22.5'}`, () => {
    let py: Oracle;
    const dirs: string[] = [];
    beforeAll(async () => {
      py = await startOracle(major);
    }, 180_000);
    afterAll(async () => {
      await py?.close();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    test('a database Python filled reads the same through us', async () => {
      const dir = tmpDir();
      dirs.push(dir);
      const made = generateFixture(major, dir);
      const uri = sqliteUri(path.join(dir, 'mlflow.db'));
      const { python, ours } = await bothDumps(py, major, uri, [dir]);
      expect(diffValues(python, ours)).toEqual([]);
      // The scenario really has what we compare.
      const runs = Object.values(python.runs).flat();
      expect(runs.length).toBe(made.runs.length);
      expect(python.registeredModels && !('error' in python.registeredModels) ? python.registeredModels.length : 0).toBe(2);
    }, 180_000);

    test('what we write reads the same through Python', async () => {
      const dir = tmpDir();
      dirs.push(dir);
      const file = path.join(dir, 'mlflow.db');
      const uri = sqliteUri(file);
      if (major === '2') {
        // A database made by MLflow 2.22.5 (our new databases have the 3.17.2 schema).
        await py.exec(uri, 'client.search_experiments()');
      }
      const before = fs.existsSync(file) ? new SqliteStore(uri).features.revision : null;
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        await writeScenario(uri, { loggedModels: major === '3' });
      } finally {
        process.chdir(cwd);
      }
      const { python, ours } = await bothDumps(py, major, uri, [dir]);
      expect(diffValues(python, ours)).toEqual([]);
      expect(Object.values(python.runs).flat().length).toBe(6);
      if (major === '2') expect(before).toBe('0584bdc529eb');
    }, 180_000);

    if (major === '3') {
      test('a new database has the schema MLflow 3.17.2 creates, stamped with its head revision', async () => {
        const dir = tmpDir();
        dirs.push(dir);
        const ours = path.join(dir, 'ours.db');
        const theirs = path.join(dir, 'theirs.db');
        new SqliteStore(sqliteUri(ours), { artifactRoot: dir }).close();
        await py.exec(sqliteUri(theirs), 'client.search_experiments()');
        expect(schemaOf(ours)).toEqual(schemaOf(theirs));
        const db = new Database(ours, { readonly: true });
        const rev = db.prepare('SELECT version_num FROM alembic_version').all();
        const ws = db.prepare('SELECT * FROM workspaces').all();
        const exp = db.prepare('SELECT experiment_id, name, artifact_location, lifecycle_stage, workspace FROM experiments').all();
        db.close();
        expect(rev).toEqual([{ version_num: HEAD_REVISION }]);
        const db2 = new Database(theirs, { readonly: true });
        expect(ws).toEqual(db2.prepare('SELECT * FROM workspaces').all());
        db2.close();
        expect(exp).toEqual([{ experiment_id: 0, name: 'Default', artifact_location: path.join(dir, '0'), lifecycle_stage: 'active', workspace: 'default' }]);
        // Python opens it as is (its store verifies the schema revision) and sees the default experiment.
        const seen = await py.exec<{ name: string; artifactLocation: string }[]>(sqliteUri(ours), 'result = client.search_experiments()');
        expect(seen.map((e) => [e.name, e.artifactLocation])).toEqual([['Default', path.join(dir, '0')]]);
      }, 120_000);
    }
  });
}
