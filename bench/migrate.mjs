/**
 * `node bench/migrate.mjs` (after `npm run build`): `mlruns migrate` of a generated folder of N
 * runs (default 10,000) to a new SQLite database vs `mlflow migrate-filestore` (MLflow 3.17.2,
 * the oracle's full install) on a copy of the same folder, both as command lines, side by side;
 * then checks that both databases hold the same rows (input uuids aside: both tools make them up).
 * Env: BENCH_MIGRATE_RUNS=10000 BENCH_MIGRATE_PARAMS=10 BENCH_MIGRATE_METRICS=5 BENCH_MIGRATE_STEPS=10
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { generateStore } from './generate.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mlflow = path.join(repo, '.oracle/mlflow-3-full/bin/mlflow');

function rowsOf(file) {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  const out = {};
  const big = (_k, v) => (typeof v === 'bigint' ? String(v) : v);
  for (const t of ['experiments', 'experiment_tags', 'runs', 'params', 'tags', 'metrics', 'latest_metrics', 'datasets', 'logged_models', 'registered_models', 'model_versions', 'registered_model_aliases']) {
    out[t] = db.prepare(`SELECT * FROM ${t}`).all().map((r) => JSON.stringify(r, big)).sort();
  }
  out.inputs = db.prepare('SELECT source_type, source_id, destination_type, destination_id FROM inputs').all().map((r) => JSON.stringify(r)).sort();
  db.close();
  return out;
}

/** Runs the comparison; returns one row { name, ours, python, ratio, same, note }. */
export function benchMigrate({ runs = Number(process.env.BENCH_MIGRATE_RUNS ?? 10000), log = console.log } = {}) {
  const params = Number(process.env.BENCH_MIGRATE_PARAMS ?? 10);
  const metrics = Number(process.env.BENCH_MIGRATE_METRICS ?? 5);
  const steps = Number(process.env.BENCH_MIGRATE_STEPS ?? 10);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-migrate-'));
  try {
    log(`migrate: generating ${runs} runs (${params} params, ${metrics} metrics x ${steps} steps)...`);
    generateStore(path.join(work, 'a'), { runs, params, metrics, steps, tags: 6, seed: 3 });
    fs.cpSync(path.join(work, 'a'), path.join(work, 'b'), { recursive: true });
    const ourDb = path.join(work, 'ours.db');
    const pyDb = path.join(work, 'py.db');

    let t = performance.now();
    const ours = spawnSync(process.execPath, [path.join(repo, 'dist/cli/main.js'), 'migrate', '--from', path.join(work, 'a'), '--to', `sqlite:///${ourDb}`, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const oursSec = (performance.now() - t) / 1000;
    if (ours.status !== 0) throw new Error(`mlruns migrate failed: ${ours.stderr}`);
    log(`migrate: mlruns ${oursSec.toFixed(1)} s`);

    t = performance.now();
    const py = spawnSync(mlflow, ['migrate-filestore', '--source', path.join(work, 'b'), '--target', `sqlite:///${pyDb}`, '--no-progress'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', GIT_PYTHON_REFRESH: 'quiet' },
    });
    const pySec = (performance.now() - t) / 1000;
    if (py.status !== 0) throw new Error(`mlflow migrate-filestore failed: ${py.stderr.slice(-2000)}`);
    log(`migrate: mlflow migrate-filestore ${pySec.toFixed(1)} s`);

    // Same result: every row (the copy's meta.yaml files keep the URIs of the original, as in both tools' output).
    const a = JSON.stringify(rowsOf(ourDb));
    const b = JSON.stringify(rowsOf(pyDb));
    const same = a === b;
    const points = JSON.parse(ours.stdout).migrated.metrics;
    return {
      name: `migrate folder -> SQLite, ${runs} runs (${points} metric points), command line (s)`,
      ours: oursSec.toFixed(1),
      python: pySec.toFixed(1),
      ratio: `${(pySec / oursSec).toFixed(1)}x`,
      same,
      note: same ? 'same rows in every table' : 'RESULTS DIFFER',
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = benchMigrate();
  console.log(`| migrate | mlruns | MLflow 3.17.2 | ratio | result |\n|---|---|---|---|---|`);
  console.log(`| ${r.name} | ${r.ours} | ${r.python} | ${r.ratio} | ${r.note} |`);
  if (!r.same) process.exitCode = 1;
}
