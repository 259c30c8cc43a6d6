/**
 * `mlruns migrate` (the built CLI) killed with SIGKILL in the middle of a folder -> database
 * migration, then run again: it continues from the runs already committed and ends with the same
 * database a migration without interruption makes.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { formatMetricLine } from '../../src/format/metric-line.js';
import { dumpYaml } from '../../src/format/yaml.js';
import { migrate } from '../../src/sync/migrate.js';
import { BIN, build, cleanEnv } from '../cli/helpers.js';
import { sqliteUri, tmpDir } from './helpers.js';
import { tableRows } from './migrate-helpers.js';

const RUNS = 3000;
let dir: string;

/** A folder store of RUNS runs (params, tags, metric histories) in MLflow's layout. */
function makeStore(root: string): void {
  const exp = path.join(root, '1');
  fs.mkdirSync(exp, { recursive: true });
  fs.writeFileSync(path.join(exp, 'meta.yaml'), dumpYaml({ artifact_location: `file://${exp}`, creation_time: 1, experiment_id: '1', last_update_time: 1, lifecycle_stage: 'active', name: 'kill' }));
  for (let i = 0; i < RUNS; i++) {
    const id = i.toString(16).padStart(32, '0');
    const run = path.join(exp, id);
    for (const sub of ['params', 'tags', 'metrics', 'artifacts']) fs.mkdirSync(path.join(run, sub), { recursive: true });
    fs.writeFileSync(
      path.join(run, 'meta.yaml'),
      dumpYaml({ artifact_uri: `file://${run}/artifacts`, end_time: 2000 + i, entry_point_name: '', experiment_id: '1', lifecycle_stage: i % 7 === 0 ? 'deleted' : 'active', run_id: id, run_name: `r${i}`, run_uuid: id, source_name: '', source_type: 4, source_version: '', start_time: 1000 + i, status: 3, tags: [], user_id: 'u' }),
    );
    fs.writeFileSync(path.join(run, 'params', 'lr'), String(i / 1000));
    fs.writeFileSync(path.join(run, 'tags', 'mlflow.runName'), `r${i}`);
    fs.writeFileSync(path.join(run, 'metrics', 'loss'), Array.from({ length: 5 }, (_, s) => formatMetricLine({ timestamp: 1000 + s, value: 1 / (i + s + 1), step: s })).join(''));
  }
}

beforeAll(() => {
  build();
  dir = tmpDir('mlruns-migrate-kill-');
  makeStore(path.join(dir, 'src'));
}, 600_000);
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function runsIn(file: string): number {
  try {
    // Read-write: after the kill, opening rolls back the batch the killed process left half-written.
    const db = new Database(file, { fileMustExist: true, timeout: 100 });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

test('SIGKILL mid-migration, then the same command again: it continues and the result is whole', async () => {
  const target = path.join(dir, 'out.db');
  const tmp = `${target}.mlruns-migrate`;
  const child = spawn(process.execPath, [BIN, 'migrate', '--from', path.join(dir, 'src'), '--to', sqliteUri(target)], { env: cleanEnv(), stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  // Wait for the first batch of runs (500) to be committed in the temporary database, then kill.
  const t0 = Date.now();
  while (!exited && runsIn(tmp) === 0 && Date.now() - t0 < 240_000) await new Promise((r) => setTimeout(r, 20));
  expect(exited, 'the migration ended before it could be killed').toBe(false);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const committed = runsIn(tmp);
  expect(committed).toBeGreaterThan(0);
  expect(committed).toBeLessThan(RUNS);
  expect(fs.existsSync(target)).toBe(false);

  const again = spawnSync(process.execPath, [BIN, 'migrate', '--from', path.join(dir, 'src'), '--to', sqliteUri(target), '--json'], { env: cleanEnv(), encoding: 'utf8', timeout: 300_000 });
  expect(again.status, again.stderr).toBe(0);
  const summary = JSON.parse(again.stdout) as { resumed: boolean; migrated: Record<string, number> };
  expect(summary.resumed).toBe(true);
  expect(summary.migrated['runs']).toBe(RUNS);
  expect(summary.migrated['metrics']).toBe(RUNS * 5);
  expect(fs.existsSync(tmp)).toBe(false);

  const clean = path.join(dir, 'clean.db');
  await migrate({ from: path.join(dir, 'src'), to: sqliteUri(clean) });
  expect(tableRows(target)).toEqual(tableRows(clean));
}, 600_000);

test('the command line: exit codes of bad input, the summary of a migration', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, 'migrate', ...args], { env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
  const taken = path.join(dir, 'taken.db');
  fs.writeFileSync(taken, 'not empty');
  const exists = cli('--from', path.join(dir, 'src'), '--to', sqliteUri(taken));
  expect(exists.status).toBe(3);
  expect(exists.stderr).toMatch(/mlruns: error: The target database '.*taken\.db' already exists/);
  const scheme = cli('--from', path.join(dir, 'src'), '--to', 'mysql://db/x');
  expect(scheme.status).toBe(1);
  expect(scheme.stderr).toContain("scheme 'mysql:'");
  const missing = cli('--from', path.join(dir, 'nowhere'), '--to', sqliteUri(path.join(dir, 'n.db')));
  expect(missing.status).toBe(2);
  expect(fs.existsSync(path.join(dir, 'n.db'))).toBe(false);
  // A database back to a folder: the summary names what moved.
  const back = cli('--from', sqliteUri(path.join(dir, 'clean.db')), '--to', path.join(dir, 'back'));
  expect(back.status, back.stderr).toBe(0);
  expect(back.stdout).toContain('migrate sqlite->folder');
  expect(back.stdout).toMatch(/runs\s+3000/);
  // The experiment folder holds its meta.yaml and tags/ besides the run folders: count run folders.
  const expDir = path.join(dir, 'back', '1');
  const runFolders = fs.readdirSync(expDir, { withFileTypes: true }).filter((e) => e.isDirectory() && /^[0-9a-f]{32}$/.test(e.name));
  expect(runFolders.length).toBe(RUNS);
  expect(runFolders.every((e) => fs.existsSync(path.join(expDir, e.name, 'meta.yaml')))).toBe(true);
  expect(fs.readdirSync(expDir).filter((n) => !/^[0-9a-f]{32}$/.test(n)).sort()).toEqual(['meta.yaml', 'tags']);
}, 300_000);
