/**
 * `node bench/sqlite.mjs` (after `npm run build`): mlruns' SQLite store vs Python's
 * SqlAlchemyStore (the oracle's MLflow 3.17.2) on the same mlflow.db:
 *  - searchRuns with a filter and an order_by over N runs (default 10,000), median of reps;
 *  - logMetric awaited one by one (points/s) and logBatch of 1000 metrics (points/s).
 * Env: BENCH_SQLITE_RUNS=10000 BENCH_REPS=3 BENCH_SQLITE_POINTS=300
 * BENCH_SQLITE_SYNC_OFF=1: both sides with `PRAGMA synchronous=OFF` (a diagnosis of where the
 * time goes besides the disk's syncs; never a setting mlruns uses).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = path.join(repo, '.oracle/mlflow-3-full/bin/python');
const RUNS = Number(process.env.BENCH_SQLITE_RUNS ?? 10000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const POINTS = Number(process.env.BENCH_SQLITE_POINTS ?? 300);
const SYNC_OFF = process.env.BENCH_SQLITE_SYNC_OFF === '1';
const FILTER = "metrics.accuracy > 0.5 and params.lr = '0.01'";
const ORDER_BY = ['metrics.loss ASC'];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-sqlite-'));
const file = path.join(work, 'mlflow.db');
const uri = `sqlite:///${file}`;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// A database with RUNS runs (params, metrics, tags), written in one transaction.
const store = new SqliteStore(uri, { artifactRoot: path.join(work, 'mlruns') });
const eid = await store.createExperiment('bench');
store.db.exec('BEGIN');
for (let i = 0; i < RUNS; i++) {
  const r = await store.createRun({ experimentId: eid, userId: 'bench', startTime: 1_700_000_000_000 + i, tags: [{ key: 'group', value: `g${i % 10}` }] });
  await store.logBatch(r.info.runId, {
    params: [{ key: 'lr', value: ['0.01', '0.001', '0.1'][i % 3] }, { key: 'layers', value: String(i % 5) }],
    metrics: [
      { key: 'accuracy', value: (i * 7919) % 1000 / 1000, timestamp: 1, step: 0 },
      { key: 'loss', value: (i * 104729) % 1000 / 1000, timestamp: 1, step: 0 },
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

// Python, same database, same operations.
const py = execFileSync(
  python,
  [
    '-c',
    `
import json, time
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.entities import ViewType, Metric
s = SqlAlchemyStore(${JSON.stringify(uri)}, ${JSON.stringify(path.join(work, 'mlruns'))})
if ${SYNC_OFF ? 'True' : 'False'}:
    from sqlalchemy import event
    @event.listens_for(s.engine, "connect")
    def _sync_off(dbapi, rec):
        dbapi.execute("PRAGMA synchronous=OFF")
    s.engine.dispose()
times = []
for r in range(${REPS} + 1):
    t0 = time.perf_counter()
    res = s.search_runs([${JSON.stringify(eid)}], ${JSON.stringify(FILTER)}, ViewType.ACTIVE_ONLY, 1000, ${JSON.stringify(ORDER_BY)})
    if r > 0: times.append((time.perf_counter() - t0) * 1000)
run = s.create_run(${JSON.stringify(eid)}, "bench", 1, [], None).info.run_id
t0 = time.perf_counter()
for i in range(${POINTS}):
    s.log_metric(run, Metric("m", float(i), 1000 + i, i))
lm = ${POINTS} / (time.perf_counter() - t0)
t0 = time.perf_counter()
for b in range(10):
    s.log_batch(run, [Metric(f"b{i % 10}", float(i), 2000 + b, b * 1000 + i) for i in range(1000)], [], [])
lb = 10000 / (time.perf_counter() - t0)
print(json.dumps({"search": times, "count": len(res), "logMetric": lm, "logBatch": lb}))
`,
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, GIT_PYTHON_REFRESH: 'quiet' } },
);
const p = JSON.parse(py.trim().split('\n').pop());
const oursMs = median(ours);
const pyMs = median(p.search);
const rows = [
  ['searchRuns filter+order_by, ' + RUNS + ' runs (ms)', oursMs.toFixed(1), pyMs.toFixed(1), `${(pyMs / oursMs).toFixed(1)}x`],
  ['logMetric awaited (points/s)', oursLogMetric.toFixed(0), p.logMetric.toFixed(0), `${(oursLogMetric / p.logMetric).toFixed(1)}x`],
  ['logBatch 1000 metrics (points/s)', oursBatch.toFixed(0), p.logBatch.toFixed(0), `${(oursBatch / p.logBatch).toFixed(1)}x`],
];
console.log(`| SQLite store${SYNC_OFF ? ' (synchronous=OFF, diagnosis)' : ''} | mlruns | MLflow ${'3.17.2'} | ratio |\n|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (count !== p.count) console.log(`WARNING: result counts differ (ours ${count}, Python ${p.count})`);
fs.rmSync(work, { recursive: true, force: true });
