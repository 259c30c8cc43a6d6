/**
 * `migrate` database -> folder, folder -> database -> folder, database -> database and
 * --copy-artifacts, each read back by Python MLflow 3.17.2 (FileStore on folders, SqlAlchemyStore
 * on databases); atomicity after a failure, resume after an interruption, bad input.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { diffValues } from '../oracle/normalize.js';
import type { Dump, Oracle } from '../oracle/oracle.js';
import { MlflowError } from '../../src/errors.js';
import { migrate } from '../../src/sync/migrate.js';
import { copyWritable } from '../git/helpers.js';
import { generateFixture, sqliteUri, startOracle, tmpDir } from './helpers.js';
import { CORPUS, CORPUS_FALLBACK, LONG, dropUnreadableHistories, fileAsSql, markMigrationTimes, norm, tableRows } from './migrate-helpers.js';

const corpus = fs.existsSync(CORPUS) ? CORPUS : CORPUS_FALLBACK;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = tmpDir('mlruns-migrate-');
  dirs.push(d);
  return d;
}

/** Experiments, runs (with data and inputs), histories, logged models, registry: the parts a dump has. */
function counted(d: Dump): { experiments: number; runs: number; versions: number } {
  const runs = Object.values(d.runs ?? {}).reduce((n, l) => n + (Array.isArray(l) ? l.length : 0), 0);
  const regs = Array.isArray(d.registeredModels) ? d.registeredModels : [];
  const versions = regs.reduce((n, m) => n + (Array.isArray((m as { versions?: unknown[] }).versions) ? ((m as { versions: unknown[] }).versions.length) : 0), 0);
  return { experiments: Array.isArray(d.experiments) ? d.experiments.length : -1, runs, versions };
}

describe('mlruns migrate round trips, read by MLflow 3.17.2', () => {
  let py: Oracle;
  let fixtureDir: string;
  let fixtureDb: string;
  beforeAll(async () => {
    py = await startOracle('3');
    fixtureDir = scratch();
    generateFixture('3', fixtureDir); // Python fills mlflow.db: deleted runs/experiments, registry, aliases, logged models
    fixtureDb = path.join(fixtureDir, 'mlflow.db');
  }, 300_000);
  afterAll(async () => {
    await py?.close();
  });

  test('database -> folder: FileStore reads the folder as SqlAlchemyStore reads the database', async () => {
    const dir = scratch();
    const db = path.join(dir, 'src.db');
    fs.copyFileSync(fixtureDb, db);
    const folder = path.join(dir, 'mlruns');
    const s = await migrate({ from: sqliteUri(db), to: folder });
    expect(s.direction).toBe('sqlite->folder');
    expect(s.migrated['runs']).toBeGreaterThan(0);
    const fromDb = fileAsSql(norm(await py.dump(sqliteUri(db), LONG), [dir, fixtureDir]));
    const fromFolder = fileAsSql(norm(await py.dump(folder, LONG), [dir, fixtureDir]));
    expect(diffValues(fromDb, fromFolder)).toEqual([]);
    // The scenario really has deleted experiments and runs, a registry with versions, logged models.
    const c = counted(fromDb);
    expect(c.experiments).toBeGreaterThanOrEqual(3);
    expect(c.versions).toBeGreaterThanOrEqual(2);
    expect(fs.existsSync(path.join(folder, '.trash'))).toBe(true);
    expect(JSON.stringify(fromDb.loggedModels)).toContain('model-a');
    expect(JSON.stringify(fromDb.registeredModels)).toContain('champion');
    // Nothing of the migration's own is left in the folder or beside it.
    expect(fs.readdirSync(dir).sort()).toEqual(['mlruns', 'src.db']);
  }, 300_000);

  test('folder -> database -> folder: FileStore reads the new folder as it reads the original', async () => {
    const dir = scratch();
    const src = path.join(dir, 'src');
    copyWritable(path.join(corpus, 'TayJen__Customer-Churn-Prediction', 'mlruns'), src);
    const db = path.join(dir, 'mid.db');
    const back = path.join(dir, 'back');
    const t0 = Date.now();
    await migrate({ from: src, to: sqliteUri(db), cwd: dir });
    const s = await migrate({ from: sqliteUri(db), to: back, cwd: dir });
    expect(s.migrated['runs']).toBe(193); // 66 of them deleted, 142 nested (see the corpus README)
    const original = fileAsSql(norm(await py.dump(src, LONG), [dir]));
    const again = fileAsSql(norm(await py.dump(back, LONG), [dir]));
    // What the database step adds, as MLflow's migrate-filestore does: an experiment without
    // creation/update times gets the time of the migration (FileStore reads the original's as
    // null), and a run whose meta.yaml has `name: ''` and no run_name is named '' (`run_name or name`).
    expect(markMigrationTimes(again, t0, Date.now())).toBeGreaterThan(0);
    markMigrationTimes(original, t0, Date.now(), true);
    let unnamed = 0;
    for (const list of Object.values(original.runs ?? {})) {
      for (const r of (Array.isArray(list) ? list : []) as { info: { runId: string; experimentId: string; runName: string | null } }[]) {
        if (r.info.runName !== null) continue;
        const meta = [path.join(src, r.info.experimentId, r.info.runId, 'meta.yaml'), path.join(src, '.trash', r.info.experimentId, r.info.runId, 'meta.yaml')].find((p) => fs.existsSync(p));
        const text = meta ? fs.readFileSync(meta, 'utf8') : '';
        if (/^name: ''$/m.test(text) && !/^run_name:/m.test(text)) {
          r.info.runName = '';
          unnamed++;
        }
      }
    }
    expect(unnamed).toBeGreaterThan(0);
    // FileStore cannot read some histories of the original (it answers "Run not found"); the new
    // folder reads them all. The rest must be equal.
    dropUnreadableHistories(original, again);
    expect(diffValues(original, again)).toEqual([]);
  }, 300_000);

  test('database -> database: the copy reads the same, and with --copy-artifacts the artifacts move with it', async () => {
    const dir = scratch();
    const db = path.join(dir, 'src.db');
    fs.copyFileSync(fixtureDb, db);
    const copy = path.join(dir, 'copy.db');
    await migrate({ from: sqliteUri(db), to: sqliteUri(copy) });
    const a = norm(await py.dump(sqliteUri(db), LONG), [dir]);
    const b = norm(await py.dump(sqliteUri(copy), LONG), [dir]);
    expect(diffValues(a, b)).toEqual([]);

    // Artifacts: one file in a run's artifact folder, copied into the new root, URIs rewritten.
    const srcDb = new Database(db, { readonly: true });
    const run = srcDb.prepare('SELECT run_uuid, artifact_uri FROM runs LIMIT 1').get() as { run_uuid: string; artifact_uri: string };
    srcDb.close();
    const artDir = run.artifact_uri.replace(/^file:\/\//, '');
    fs.mkdirSync(artDir, { recursive: true });
    fs.writeFileSync(path.join(artDir, 'model.txt'), 'weights');
    const copy2 = path.join(dir, 'copy2.db');
    const root = path.join(dir, 'arts');
    const s = await migrate({ from: sqliteUri(db), to: sqliteUri(copy2), copyArtifacts: true, artifactRoot: root });
    expect(s.artifactFiles).toBeGreaterThanOrEqual(1);
    const seen = await py.exec<string[]>(sqliteUri(copy2), "result = [f.path for f in client.list_artifacts(vars['run'])]\nresult.append(client.get_run(vars['run']).info.artifact_uri)", { run: run.run_uuid });
    expect(seen[0]).toBe('model.txt');
    expect(seen[1]).toContain(path.join(root, ''));
  }, 300_000);

  test('folder -> database with --copy-artifacts: Python lists the artifacts at their new place', async () => {
    const dir = scratch();
    const src = path.join(dir, 'src');
    copyWritable(path.join(corpus, 'Desmondonam__abtest-mlops', 'mlruns'), src);
    const runDir = path.join(src, 'mlruns', '954538702110920225');
    const runId = fs.readdirSync(runDir).find((n) => /^[0-9a-f]{32}$/.test(n)) as string;
    fs.mkdirSync(path.join(runDir, runId, 'artifacts', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(runDir, runId, 'artifacts', 'sub', 'a.txt'), 'x');
    const db = path.join(dir, 'out.db');
    const s = await migrate({ from: src, to: sqliteUri(db), copyArtifacts: true, cwd: dir });
    expect(s.artifactFiles).toBeGreaterThanOrEqual(1);
    const seen = await py.exec<string[]>(sqliteUri(db), "result = [f.path for f in client.list_artifacts(vars['run'], 'sub')]", { run: runId });
    expect(seen).toEqual(['sub/a.txt']);
    expect(fs.existsSync(path.join(dir, 'mlartifacts', '954538702110920225', runId, 'artifacts', 'sub', 'a.txt'))).toBe(true);
  }, 300_000);
});

describe('mlruns migrate: atomic, resumable, bad input', () => {
  test('a failure mid-way leaves no target; running it again continues and gives the same database', async () => {
    const dir = scratch();
    const src = path.join(dir, 'src');
    copyWritable(path.join(corpus, 'kuto5046__kaggle-rainforest', 'mlruns'), src);
    const clean = path.join(dir, 'clean.db');
    const t0 = Date.now();
    await migrate({ from: src, to: sqliteUri(clean) });
    const target = path.join(dir, 'out.db');
    let batches = 0;
    await expect(
      migrate({
        from: src,
        to: sqliteUri(target),
        batchSize: 10,
        onProgress: (p) => {
          if (p.phase === 'runs' && ++batches === 3) throw new Error('injected failure');
        },
      }),
    ).rejects.toThrow('injected failure');
    expect(fs.existsSync(target)).toBe(false);
    // 3 batches of 10 runs were committed in the temporary database before the failure.
    const tmp = new Database(`${target}.mlruns-migrate`, { readonly: true });
    expect((tmp.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n).toBe(30);
    tmp.close();
    const s = await migrate({ from: src, to: sqliteUri(target), batchSize: 10 });
    expect(s.resumed).toBe(true);
    expect(s.migrated['runs']).toBe(51);
    expect(fs.existsSync(`${target}.mlruns-migrate`)).toBe(false);
    // The same rows, but for the experiment times kuto's folder lacks: the time of each migration.
    const window: [number, number] = [t0, Date.now()];
    expect(tableRows(target, window)).toEqual(tableRows(clean, window));
  }, 300_000);

  test('an interrupted database -> folder migration continues where it stopped', async () => {
    const dir = scratch();
    const src = path.join(dir, 'src');
    copyWritable(path.join(corpus, 'kuto5046__kaggle-rainforest', 'mlruns'), src);
    const db = path.join(dir, 'a.db');
    await migrate({ from: src, to: sqliteUri(db) });
    const out = path.join(dir, 'out');
    let n = 0;
    await expect(
      migrate({ from: sqliteUri(db), to: out, onProgress: (p) => {
        if (p.phase === 'runs' && ++n === 1) throw new Error('stop');
      } }),
    ).rejects.toThrow('stop');
    expect(fs.existsSync(out)).toBe(false);
    const s = await migrate({ from: sqliteUri(db), to: out });
    expect(s.resumed).toBe(true);
    const back = path.join(dir, 'back.db');
    await migrate({ from: out, to: sqliteUri(back) });
    // A run named '' (kuto's meta.yaml files have `name: ''` and no run_name, which MLflow's tool
    // carries into the column) is written to the folder as `run_name: ''`, which the rule
    // `run_name or name` reads back as no name. Everything else comes back as it was.
    const a = tableRows(db);
    const unnamed = a['runs']?.filter((r) => (r as string).includes('"name":""')).length ?? 0;
    expect(unnamed).toBeGreaterThan(0);
    a['runs'] = (a['runs'] as string[]).map((r) => r.replace('"name":""', '"name":null')).sort();
    expect(tableRows(back)).toEqual(a);
  }, 300_000);

  test('bad input is refused with a clear error and nothing is written', async () => {
    const dir = scratch();
    const src = path.join(dir, 'src');
    copyWritable(path.join(corpus, 'Desmondonam__abtest-mlops', 'mlruns'), src);
    const code = async (p: Promise<unknown>): Promise<[string, string]> => {
      try {
        await p;
      } catch (e) {
        return [(e as MlflowError).code, (e as Error).message];
      }
      return ['', 'no error'];
    };
    const [c1, m1] = await code(migrate({ from: src, to: 'postgresql://localhost/db' }));
    expect(c1).toBe('INVALID_PARAMETER_VALUE');
    expect(m1).toContain("scheme 'postgresql:'");
    const [c2, m2] = await code(migrate({ from: path.join(dir, 'nope'), to: sqliteUri(path.join(dir, 'x.db')) }));
    expect(c2).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(m2).toContain('nope');
    const [c3] = await code(migrate({ from: sqliteUri(path.join(dir, 'missing.db')), to: path.join(dir, 'f') }));
    expect(c3).toBe('RESOURCE_DOES_NOT_EXIST');
    fs.writeFileSync(path.join(dir, 'taken.db'), 'something');
    const [c4, m4] = await code(migrate({ from: src, to: sqliteUri(path.join(dir, 'taken.db')) }));
    expect(c4).toBe('RESOURCE_ALREADY_EXISTS');
    expect(m4).toContain('already exists');
    expect(fs.readFileSync(path.join(dir, 'taken.db'), 'utf8')).toBe('something');
    const [c5] = await code(migrate({ from: src, to: path.join(dir, 'other') }));
    expect(c5).toBe('INVALID_PARAMETER_VALUE');
    fs.mkdirSync(path.join(dir, 'full'));
    fs.writeFileSync(path.join(dir, 'full', 'keep.txt'), 'k');
    await migrate({ from: src, to: sqliteUri(path.join(dir, 'ok.db')) });
    const [c6, m6] = await code(migrate({ from: sqliteUri(path.join(dir, 'ok.db')), to: path.join(dir, 'full') }));
    expect(c6).toBe('RESOURCE_ALREADY_EXISTS');
    expect(m6).toContain('not empty');
    expect(fs.readdirSync(path.join(dir, 'full'))).toEqual(['keep.txt']);
    // Nothing temporary was left by the refusals.
    expect(fs.readdirSync(dir).filter((n) => n.includes('mlruns-migrate'))).toEqual([]);
  }, 120_000);
});
