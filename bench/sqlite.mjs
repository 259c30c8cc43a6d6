/**
 * `node bench/sqlite.mjs` (after `npm run build`): mlruns' SQLite store vs Python's
 * SqlAlchemyStore (the oracle's MLflow 3.17.2) on the same mlflow.db:
 *  - searchRuns with a filter and an order_by over N runs (default 10,000), median of reps;
 *  - logMetric awaited one by one (points/s) and logBatch of 1000 metrics (points/s).
 * Env: BENCH_SQLITE_RUNS=10000 BENCH_REPS=3 BENCH_SQLITE_POINTS=300
 * BENCH_SQLITE_SYNC_OFF=1: both sides with `PRAGMA synchronous=OFF` (a diagnosis of where the
 * time goes besides the disk's syncs; never a setting mlruns uses).
 * BENCH_SQLITE_WAL=1: the database in WAL mode (as `mlflow migrate-filestore` leaves it), both
 * sides committing with synchronous=FULL (Python's sqlite3 default, which mlruns sets too).
 * `npm run bench` (bench/run.mjs) runs it twice: the default rollback-journal database and WAL.
 *
 * @example
 * ```js
 * import { benchSqlite } from './sqlite.mjs';
 * const rows = await benchSqlite({ runs: 10000, wal: true });
 * ```
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = path.join(repo, '.oracle/mlflow-3-full/bin/python');
const FILTER = "metrics.accuracy > 0.5 and params.lr = '0.01'";
const ORDER_BY = ['metrics.loss ASC'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Measures both stores on one database; returns rows `{ name, ours, python, ratio, unit }`
 * (`unit` 'ms' for searchRuns, 'points/s' for the writes) and whether the search results agree.
 */
export async function benchSqlite({ runs: RUNS = 10000, reps: REPS = 3, points: POINTS = 300, syncOff: SYNC_OFF = false, wal: WAL = false, log = () => {} } = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-sqlite-'));
  const file = path.join(work, 'mlflow.db');
  const uri = `sqlite:///${file}`;
  log(`sqlite bench: ${RUNS} runs${WAL ? ', WAL database' : ''}${SYNC_OFF ? ', synchronous=OFF' : ''}`);
  // A database with RUNS runs (params, metrics, tags), written in one transaction.
  const store = new SqliteStore(uri, { artifactRoot: path.join(work, 'mlruns') });
  if (WAL) store.db.pragma('journal_mode = WAL');
  const eid = await store.createExperiment('bench');
  store.db.exec('BEGIN');
  for (let i = 0; i < RUNS; i++) {
    const r = await store.createRun({ experimentId: eid, userId: 'bench', startTime: 1_700_000_000_000 + i, tags: [{ key: 'group', value: `g${i % 10}` }] });
    await store.logBatch(r.info.runId, {
      params: [{ key: 'lr', value: ['0.01', '0.001', '0.1'][i % 3] }, { key: 'layers', value: String(i % 5) }],
      metrics: [
        { key: 'accuracy', value: ((i * 7919) % 1000) / 1000, timestamp: 1, step: 0 },
        { key: 'loss', value: ((i * 104729) % 1000) / 1000, timestamp: 1, step: 0 },
      ],
    });
  }
  store.db.exec('COMMIT');

  // searchRuns: ours.
  const ours = [];
  let count = 0;
  for (let r = 0; r < REPS + 1; r++) {
    const t0 = performance.now();
    const page = await store.searchRuns([eid], { filterString: FILTER, orderBy: ORDER_BY, maxResults: 1000 });
    if (r > 0) ours.push(performance.now() - t0);
    count = page.items.length;
  }
  const run = (await store.createRun({ experimentId: eid, userId: 'bench', startTime: 1, tags: [] })).info.runId;
  if (SYNC_OFF) store.db.pragma('synchronous = OFF');
  const t1 = performance.now();
  for (let i = 0; i < POINTS; i++) await store.logMetric(run, { key: 'm', value: i, timestamp: 1000 + i, step: i });
  const oursLogMetric = POINTS / ((performance.now() - t1) / 1000);
  const t2 = performance.now();
  for (let b = 0; b < 10; b++) {
    await store.logBatch(run, { metrics: Array.from({ length: 1000 }, (_, i) => ({ key: `b${i % 10}`, value: i, timestamp: 2000 + b, step: b * 1000 + i })) });
  }
  const oursBatch = 10_000 / ((performance.now() - t2) / 1000);
  store.close();

  // Python, same database, same operations (a WAL database stays WAL: the mode is the file's).
  const py = execFileSync(python, ['-c', pythonSide({ uri, artifacts: path.join(work, 'mlruns'), eid, reps: REPS, points: POINTS, syncOff: SYNC_OFF })], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, GIT_PYTHON_REFRESH: 'quiet' },
  });
  const p = JSON.parse(py.trim().split('\n').pop());
  const oursMs = median(ours);
  const pyMs = median(p.search);
  fs.rmSync(work, { recursive: true, force: true });
  const mode = WAL ? 'WAL database' : 'rollback-journal database';
  return {
    sameCount: count === p.count,
    count,
    rows: [
      { name: `searchRuns filter + order_by, ${RUNS} runs, ${mode}`, unit: 'ms', ours: oursMs, python: pyMs, ratio: pyMs / oursMs },
      { name: `logMetric awaited one by one, ${mode}`, unit: 'points/s', ours: oursLogMetric, python: p.logMetric, ratio: oursLogMetric / p.logMetric },
      { name: `logBatch 1000 metrics per call, ${mode}`, unit: 'points/s', ours: oursBatch, python: p.logBatch, ratio: oursBatch / p.logBatch },
    ],
  };
}

/** Python's half: the same operations through MLflow's SqlAlchemyStore; prints one JSON line. */
function pythonSide({ uri, artifacts, eid, reps, points, syncOff }) {
  return `
import json, time
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.entities import ViewType, Metric
s = SqlAlchemyStore(${JSON.stringify(uri)}, ${JSON.stringify(artifacts)})
if ${syncOff ? 'True' : 'False'}:
    from sqlalchemy import event
    @event.listens_for(s.engine, "connect")
    def _sync_off(dbapi, rec):
        dbapi.execute("PRAGMA synchronous=OFF")
    s.engine.dispose()
times = []
for r in range(${reps} + 1):
    t0 = time.perf_counter()
    res = s.search_runs([${JSON.stringify(eid)}], ${JSON.stringify(FILTER)}, ViewType.ACTIVE_ONLY, 1000, ${JSON.stringify(ORDER_BY)})
    if r > 0: times.append((time.perf_counter() - t0) * 1000)
run = s.create_run(${JSON.stringify(eid)}, "bench", 1, [], None).info.run_id
t0 = time.perf_counter()
for i in range(${points}):
    s.log_metric(run, Metric("m", float(i), 1000 + i, i))
lm = ${points} / (time.perf_counter() - t0)
t0 = time.perf_counter()
for b in range(10):
    s.log_batch(run, [Metric(f"b{i % 10}", float(i), 2000 + b, b * 1000 + i) for i in range(1000)], [], [])
lb = 10000 / (time.perf_counter() - t0)
print(json.dumps({"search": times, "count": len(res), "logMetric": lm, "logBatch": lb}))
`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchSqlite({
    runs: Number(process.env.BENCH_SQLITE_RUNS ?? 10000),
    reps: Number(process.env.BENCH_REPS ?? 3),
    points: Number(process.env.BENCH_SQLITE_POINTS ?? 300),
    syncOff: process.env.BENCH_SQLITE_SYNC_OFF === '1',
    wal: process.env.BENCH_SQLITE_WAL === '1',
    log: (m) => console.error(m),
  });
  console.log('| SQLite store | mlruns | MLflow 3.17.2 | ratio |\n|---|---|---|---|');
  for (const row of r.rows) console.log(`| ${row.name} (${row.unit}) | ${row.ours.toFixed(1)} | ${row.python.toFixed(1)} | ${row.ratio.toFixed(1)}x |`);
  if (!r.sameCount) console.log('WARNING: result counts differ');
}
