/**
 * `npm run bench`: measures mlruns and Python MLflow (the oracle's newest 3.x) on the same
 * generated folders, in one run, and reports medians (min–max) with ratios to Python and to the
 * floor (reading every file of the folder once from Node). Writes bench/results/latest.{md,json}
 * and the table between the bench markers of README.md.
 *
 * Env: BENCH_SIZES=1000,10000  BENCH_REPS=3  BENCH_PY_REPS=2  BENCH_HISTORY_POINTS=1000000
 *      BENCH_CATALOG_SIZES=10000 (add 100000 for the 100k figures: ~40 min more on a 2-core VM)  BENCH_CATALOG_WATCHER=1
 *      BENCH_UI=0 (skip the web UI's bench, bench/ui.mjs)
 *      BENCH_WATCHER_MAX_WATCHES=N (the watcher's run-watch budget; below 4 x runs measures the partial mode)
 *      BENCH_CATALOG_QUERY_RUNS=5000 (the fresh-process query while mlruns watch runs, bench/catalog-query.mjs; 0 skips it)
 *      BENCH_LOG_CALLS=10000 (logMetric calls awaited one by one, both sides)
 *      BENCH_SQLITE=0 (skip the SQLite store's rows, bench/sqlite.mjs: a rollback-journal and a WAL database)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { generateStore, generateLongMetric } from './generate.mjs';
import { FileStore } from '../dist/store/file/file-store.js';
import { MlflowClient } from '../dist/tracking/client.js';
import * as fluent from '../dist/tracking/fluent.js';
import { benchCatalog, floorRead as floor } from './catalog.mjs';
import { benchServe } from './serve.mjs';
import { benchCatalogQuery } from './catalog-query.mjs';
import { benchMigrate } from './migrate.mjs';
import { benchSqlite } from './sqlite.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const reps = Number(process.env.BENCH_REPS ?? 3);
const pyReps = Number(process.env.BENCH_PY_REPS ?? 2);
const historyPoints = Number(process.env.BENCH_HISTORY_POINTS ?? 1_000_000);
const python = path.join(repo, '.oracle/mlflow-3/bin/python');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-'));

const FILTER = "metrics.accuracy > 0.5 and params.lr = '0.01'";
const ORDER_BY = ['metrics.loss ASC'];

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: mid, min: s[0], max: s[s.length - 1], n: s.length };
}

async function timeAsync(fn, n) {
  const times = [];
  let out;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    out = await fn();
    times.push((performance.now() - t) / 1000);
  }
  return { times, out };
}

function runPython(tasks) {
  const res = spawnSync(python, [path.join(here, 'py_bench.py')], {
    input: JSON.stringify(tasks),
    env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' },
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`python bench failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

const rows = [];
const fmt = (s) => (s < 0.01 ? `${(s * 1000).toFixed(2)} ms` : s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);
const fmtStat = (st) => `${fmt(st.median)} (${fmt(st.min)}–${fmt(st.max)})`;
const fmtRate = (r) => `${Math.round(r).toLocaleString('en-US')}/s`;

function addTimeRow(name, ours, py, floorStat, note = '') {
  rows.push({
    name,
    ours: fmtStat(ours),
    python: py ? fmtStat(py) : '—',
    vsPython: py ? `${(py.median / ours.median).toFixed(1)}x faster` : '—',
    vsFloor: floorStat ? `${(ours.median / floorStat.median).toFixed(2)}x floor` : '—',
    raw: { ours, py, floor: floorStat },
    note,
  });
}

function addRateRow(name, oursRate, pyRate, note = '', floorRate = null) {
  rows.push({
    name,
    ours: fmtRate(oursRate),
    python: pyRate ? fmtRate(pyRate) : '—',
    vsPython: pyRate ? `${(oursRate / pyRate).toFixed(1)}x` : '—',
    // time per call over the floor's time per call
    vsFloor: floorRate ? `${(floorRate / oursRate).toFixed(2)}x floor` : '—',
    raw: { oursRate, pyRate, floorRate },
    note,
  });
}

async function main() {
  console.log(`bench: work dir ${work}`);
  for (const n of sizes) {
    const root = path.join(work, `store-${n}`);
    console.log(`bench: generating ${n} runs...`);
    const { experimentId } = generateStore(root, { runs: n });
    // Warm the page cache once so every contender reads from memory.
    const fl = floor(root);
    const floorTimes = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      floor(root);
      floorTimes.push((performance.now() - t) / 1000);
    }
    const floorStat = stats(floorTimes);
    console.log(`bench: ${n} runs = ${fl.files} files, ${(fl.bytes / 1e6).toFixed(1)} MB; floor ${fmt(floorStat.median)}`);

    const ours = await timeAsync(async () => {
      const store = new FileStore(root);
      return store.searchRuns([experimentId], { filterString: FILTER, orderBy: ORDER_BY, maxResults: 1000 });
    }, reps);
    const py = runPython([{ kind: 'search', root, experiment_ids: [experimentId], filter: FILTER, order_by: ORDER_BY, reps: pyReps }]);
    const pyRes = py.results[0];
    if (pyRes.error) throw new Error(pyRes.error);
    const same = JSON.stringify(ours.out.items.slice(0, 5).map((r) => r.info.runId)) === JSON.stringify(pyRes.first) && ours.out.items.length === pyRes.count;
    addTimeRow(`searchRuns full scan, ${n} runs (filter + order_by)`, stats(ours.times), stats(pyRes.times), floorStat, same ? 'same runs, same order' : 'RESULTS DIFFER');
  }

  // getMetricHistory of a long metric.
  {
    const root = path.join(work, 'history');
    console.log(`bench: generating a ${historyPoints}-point metric...`);
    const { runId, key } = generateLongMetric(root, historyPoints);
    const ours = await timeAsync(async () => new MlflowClient(root).getMetricHistory(runId, key), reps);
    const py = runPython([{ kind: 'metric_history', root, run_id: runId, key, reps: pyReps }]).results[0];
    if (py.error) throw new Error(py.error);
    addTimeRow(`getMetricHistory, ${historyPoints.toLocaleString('en-US')} points`, stats(ours.times), stats(py.times), null,
      ours.out.length === py.count ? 'same count' : 'COUNTS DIFFER');
  }

  // Write throughput (each call resolves after its bytes are written, as Python's).
  {
    const root = path.join(work, 'writes-ours');
    const pyRoot = path.join(work, 'writes-py');
    const client = new MlflowClient(root);
    const expId = await client.createExperiment('bench-writes');
    // 10,000 calls: a sustained rate, as a training loop logs (the first ~2,000 calls of a
    // process also pay V8's warm-up: about 2x slower per call on this VM).
    const N = Number(process.env.BENCH_LOG_CALLS ?? 10_000);
    const run1 = await client.createRun(expId);
    let t = performance.now();
    for (let i = 0; i < N; i++) await client.logMetric(run1.info.runId, 'm', i * 0.5, { step: i });
    const oursMetric = N / ((performance.now() - t) / 1000);
    const P = 500;
    const run2 = await client.createRun(expId);
    t = performance.now();
    for (let i = 0; i < P; i++) await client.logParam(run2.info.runId, `p${i}`, i);
    const oursParam = P / ((performance.now() - t) / 1000);
    t = performance.now();
    for (let i = 0; i < P; i++) await client.setTag(run2.info.runId, `t${i}`, i);
    const oursTag = P / ((performance.now() - t) / 1000);
    const B = 100_000;
    const run3 = await client.createRun(expId);
    const ts = Date.now();
    t = performance.now();
    for (let s = 0; s < B; s += 1000) {
      const metrics = [];
      for (let i = s; i < Math.min(B, s + 1000); i++) metrics.push({ key: 'm', value: i * 0.5, timestamp: ts, step: i });
      await client.logBatch(run3.info.runId, { metrics });
    }
    const oursBatch = B / ((performance.now() - t) / 1000);
    const py = runPython([
      { kind: 'log_metric', root: pyRoot, n: N },
      { kind: 'log_param', root: pyRoot, n: P },
      { kind: 'log_batch', root: pyRoot, n: B },
      { kind: 'set_tag', root: pyRoot, n: P },
    ]).results;
    for (const r of py) if (r.error) throw new Error(r.error);
    // Fluent API: calls made together are coalesced into one append, each resolving after its bytes are written.
    fluent.setTrackingUri(root);
    await fluent.setExperiment('bench-fluent');
    await fluent.startRun();
    t = performance.now();
    for (let i = 0; i < N; i++) await fluent.logMetric('seq', i * 0.5, { step: i });
    const fluentSeq = N / ((performance.now() - t) / 1000);
    const F = 20_000;
    t = performance.now();
    for (let s = 0; s < F; s += 1000) {
      const calls = [];
      for (let i = s; i < s + 1000; i++) calls.push(fluent.logMetric('burst', i * 0.5, { step: i }));
      await Promise.all(calls);
    }
    const fluentBurst = F / ((performance.now() - t) / 1000);
    await fluent.endRun();
    // Floors: the system calls a call cannot avoid, timed alone in the same folders' file system —
    // a point is one append write(2) to an open file; a param or a new tag is one new file
    // (open with O_CREAT|O_EXCL, write, close).
    const floorDir = path.join(work, 'floor');
    fs.mkdirSync(floorDir, { recursive: true });
    const afd = fs.openSync(path.join(floorDir, 'metric'), 'a');
    t = performance.now();
    for (let i = 0; i < N; i++) fs.writeSync(afd, Buffer.from(`${Date.now()} ${i * 0.5} ${i}\n`));
    const floorMetric = N / ((performance.now() - t) / 1000);
    fs.closeSync(afd);
    const createFlags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    t = performance.now();
    for (let i = 0; i < P; i++) {
      const fd = fs.openSync(path.join(floorDir, `p${i}`), createFlags, 0o666);
      fs.writeSync(fd, Buffer.from(String(i)));
      fs.closeSync(fd);
    }
    const floorCreate = P / ((performance.now() - t) / 1000);
    addRateRow('logMetric calls (client, awaited one by one)', oursMetric, N / py[0].times[0], 'floor: one append write(2)', floorMetric);
    addRateRow('logMetric calls (fluent, awaited one by one)', fluentSeq, N / py[0].times[0]);
    addRateRow('logMetric calls (fluent, 1000 in flight)', fluentBurst, N / py[0].times[0]);
    addRateRow('logParam calls', oursParam, P / py[1].times[0], 'floor: a new file created and written', floorCreate);
    addRateRow('setTag calls', oursTag, P / py[3].times[0], 'floor: a new file created and written', floorCreate);
    addRateRow('logBatch metric points (1000 per call)', oursBatch, B / py[2].times[0]);
  }

  // Catalog: cold build vs floor, delta refresh, indexed queries (in-process and from a fresh
  // process), watcher latency and memory; the same filter + order_by as the scan rows above.
  const catalogSizes = (process.env.BENCH_CATALOG_SIZES ?? '10000').split(',').filter(Boolean).map(Number);
  const scanRow = (n) => rows.find((r) => r.name.startsWith(`searchRuns full scan, ${n} runs`));
  for (const c of await benchCatalog({ sizes: catalogSizes, log: (m) => console.log(m), watcher: process.env.BENCH_CATALOG_WATCHER !== '0' })) {
    const n = c.runs;
    const py = scanRow(n)?.raw.py;
    const sec = (msv) => msv / 1000;
    rows.push({
      name: `catalog cold build, ${n} runs`,
      ours: fmt(sec(c.coldBuildMs)),
      python: '—',
      vsPython: '—',
      vsFloor: `${c.coldVsFloor}x floor`,
      raw: c,
      note: `${c.catalogMB} MB catalog`,
    });
    rows.push({ name: `catalog delta refresh after 1% changed, ${n} runs`, ours: fmt(sec(c.delta1pctMs)), python: '—', vsPython: '—', vsFloor: '—', raw: {}, note: `${c.delta1pctRunsRead} runs re-read; no change: ${fmt(sec(c.noChangeDeltaMs))}` });
    const q = c.query ?? {};
    const inP = q.inProcess ?? {};
    const fresh = q.freshProcess ?? {};
    rows.push({
      name: `searchRuns via catalog, ${n} runs, in-process p50 / p99`,
      ours: `${inP.p50} / ${inP.p99} ms`,
      python: py ? fmtStat(py) : '—',
      vsPython: py && inP.p50 ? `${Math.round((py.median * 1000) / inP.p50).toLocaleString('en-US')}x faster (p50)` : '—',
      vsFloor: '—',
      raw: q,
      note: `path: ${inP.path}`,
    });
    rows.push({
      name: `searchRuns via catalog, ${n} runs, fresh process open + query p50 / p99`,
      ours: `${fresh.queryP50} / ${fresh.queryP99} ms`,
      python: '—',
      vsPython: '—',
      vsFloor: '—',
      raw: {},
      note: `node start + imports: ${fresh.wallP50} ms wall`,
    });
    if (c.watcher && !c.watcher.error) {
      const wr = c.watcher;
      const how = wr.mode === 'native' ? 'every run watched' : `${wr.watchedRuns} most active runs watched, the rest swept`;
      rows.push({ name: `watcher, ${n} runs: Python log_metric to its running run → visible, p50 / p99`, ours: `${wr.activeP50} / ${wr.activeP99} ms`, python: '—', vsPython: '—', vsFloor: '—', raw: wr, note: `RSS ${Math.round(wr.rssMB)} MB${wr.rssPeakMB ? ` (peak ${Math.round(wr.rssPeakMB)} MB)` : ''}, ready in ${fmt(sec(wr.startMs))} (${how})` });
      if (wr.anyP50 !== undefined) {
        rows.push({ name: `watcher, ${n} runs: line appended to any run → visible, p50 / p99`, ours: `${wr.anyP50} / ${wr.anyP99} ms`, python: '—', vsPython: '—', vsFloor: '—', raw: {}, note: '' });
      } else {
        rows.push({ name: `watcher, ${n} runs: change to an unwatched run → visible, at most`, ours: `${fmt(sec(wr.sweepCycleMs))}`, python: '—', vsPython: '—', vsFloor: '—', raw: {}, note: 'one sweep cycle (25% of a core)' });
      }
    } else if (c.watcher) {
      rows.push({ name: `watcher, ${n} runs`, ours: 'failed', python: '—', vsPython: '—', vsFloor: '—', raw: c.watcher, note: c.watcher.error });
    }
  }

  // A query from a fresh process while `mlruns watch` runs (bench/catalog-query.mjs); BENCH_CATALOG_QUERY_RUNS=0 skips it.
  const cqRuns = Number(process.env.BENCH_CATALOG_QUERY_RUNS ?? 5000);
  if (cqRuns > 0) {
    const q = await benchCatalogQuery({ runs: cqRuns, log: (m) => console.log(m) });
    rows.push({
      name: `searchRuns from a fresh process while mlruns watch runs, ${cqRuns} runs (${q.found} found), open + query + print p50 / p99`,
      ours: `${q.queryP50} / ${q.queryP99} ms`,
      python: q.pythonMs !== undefined ? fmt(q.pythonMs / 1000) : '—',
      vsPython: q.pythonMs !== undefined ? `${Math.round(q.pythonMs / q.queryP50).toLocaleString('en-US')}x faster (p50)` : '—',
      vsFloor: '—',
      raw: q,
      note: `${q.sameAsPython ? 'same runs; ' : ''}CPU p50 ${q.queryCpuP50} ms; imports p50 ${q.importP50} ms; spawn → printed p50 ${q.wallP50} / p99 ${q.wallP99} ms`,
    });
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  // mlruns serve / predict vs mlflow models serve / predict (bench/serve.mjs; BENCH_SERVE=0 skips)
  if (process.env.BENCH_SERVE !== '0') {
    for (const r of await benchServe({ log: (m) => console.log(m) })) rows.push({ name: r.name, ours: r.ours, python: r.python, vsPython: r.ratio, vsFloor: '—', note: r.note, raw: r.raw });
  }
  // SqliteStore vs SqlAlchemyStore on the same mlflow.db, in both journal modes (bench/sqlite.mjs; BENCH_SQLITE=0 skips)
  if (process.env.BENCH_SQLITE !== '0') {
    for (const wal of [false, true]) {
      const r = await benchSqlite({ reps, wal, log: (m) => console.log(m) });
      for (const row of r.rows) {
        const note = row.unit === 'ms' ? (r.sameCount ? `same ${r.count} runs` : 'COUNTS DIFFER') : '';
        if (row.unit === 'ms') addTimeRow(`SQLite ${row.name}`, stats([row.ours / 1000]), stats([row.python / 1000]), null, note);
        else addRateRow(`SQLite ${row.name}`, row.ours, row.python, note);
      }
    }
  }
  // mlruns migrate vs mlflow migrate-filestore (bench/migrate.mjs; BENCH_MIGRATE=0 skips)
  if (process.env.BENCH_MIGRATE !== '0') {
    const m = benchMigrate({ log: (msg) => console.log(msg) });
    rows.push({ name: m.name, ours: m.ours, python: m.python, vsPython: m.ratio, vsFloor: '—', note: m.note, raw: {} });
  }
  const pyVersion = execFileSync(python, ['-c', 'import importlib.metadata as m; print(m.version("mlflow-skinny"))'], { encoding: 'utf8' }).trim();
  const header = `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Python MLflow ${pyVersion}; ${new Date().toISOString().slice(0, 10)}. Medians of ${reps} (mlruns) and ${pyReps} (Python) repetitions, (min–max).`;
  const md = [
    header,
    '',
    '| benchmark | mlruns | Python MLflow | mlruns vs Python | vs floor | check |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.ours} | ${r.python} | ${r.vsPython} | ${r.vsFloor} | ${r.note} |`),
    '',
    '"floor" = reading every file of the folder once from Node (the least a full scan can do).',
  ].join('\n');
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(path.join(here, 'results/latest.md'), md + '\n');
  fs.writeFileSync(path.join(here, 'results/latest.json'), JSON.stringify({ header, rows }, null, 2) + '\n');
  const readmePath = path.join(repo, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (readme.includes(start) && readme.includes(end)) {
    const next = readme.slice(0, readme.indexOf(start) + start.length) + '\n' + md + '\n' + readme.slice(readme.indexOf(end));
    fs.writeFileSync(readmePath, next);
  }
  console.log('\n' + md);
  fs.rmSync(work, { recursive: true, force: true });
  // The web UI's bench (headless Chromium): bench/results/ui-latest.md. BENCH_UI=0 skips it.
  if (process.env.BENCH_UI !== '0') spawnSync(process.execPath, [path.join(here, 'ui.mjs')], { stdio: 'inherit' });
}

main()
  .then(() => {
    // The REST bench starts its own mlflow server (bench/rest.mjs; BENCH_REST=0 skips it, BENCH_REST_RUNS=1000 is the issue's size).
    if (process.env.BENCH_REST === '0') return;
    const r = spawnSync(process.execPath, [path.join(here, 'rest.mjs')], { stdio: 'inherit', env: { BENCH_REST_RUNS: '100', ...process.env } });
    if (r.status !== 0) process.exitCode = 1;
  })
  .catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
