/**
 * Catalog and watcher benchmarks (called by bench/run.mjs; also runnable alone:
 * `node bench/catalog.mjs [runs,...]`, after `npm run build`).
 *
 * For each store size (made by generateStore): the floor (reading every file once), the cold
 * catalog build, a delta refresh after 1% of the runs changed, a no-change delta refresh (what a
 * query without a watcher pays), indexed searchRuns with a filter + order_by in process and from
 * a fresh `node` process (p50/p99); watcher latency (p50/p99) from a metric Python logs (its
 * MlflowClient.log_metric) to a run it created, to visible in a query; from a line Python appends
 * to any run of the store (or, when the store is larger than the watch budget, the sweep cycle
 * that bounds it); the watcher's RSS.
 *
 * @example
 * ```js
 * import { benchCatalog } from './catalog.mjs';
 * const results = await benchCatalog({ sizes: [10000], log: console.error });
 * ```
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { generateStore } from './generate.mjs';
import { openCatalog, deleteCatalog } from '../dist/catalog/catalog.js';
import { catalogSearchRuns, lastSearchPath } from '../dist/catalog/search.js';
import { FileStore } from '../dist/store/file/file-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const FILTER = "metrics.accuracy > 0.5 and params.lr = '0.01'";
const ORDER_BY = ['metrics.loss ASC'];

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => Math.round(x * 100) / 100;

/** Reads every file of the folder once: the least any full scan must do (the benchmarks' floor). */
export function floorRead(root) {
  let bytes = 0;
  let files = 0;
  const visit = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else {
        bytes += fs.readFileSync(p).length;
        files++;
      }
    }
  };
  visit(root);
  return { bytes, files };
}

/** A process's resident memory in MB: now (VmRSS) or its peak so far (`peak`: VmHWM). */
function rssOf(pid, { peak = false } = {}) {
  try {
    const m = (peak ? /VmHWM:\s+(\d+) kB/ : /VmRSS:\s+(\d+) kB/).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Spawns a fresh node process that opens the catalog and runs one query; returns its timings. */
function freshProcessQuery(root, catDir, experimentId) {
  const script = `
    const t0 = performance.now();
    const { openCatalog } = await import(${JSON.stringify(pathToFileURL(path.join(repo, 'dist/catalog/catalog.js')).href)});
    const { catalogSearchRuns, lastSearchPath } = await import(${JSON.stringify(pathToFileURL(path.join(repo, 'dist/catalog/search.js')).href)});
    const { FileStore } = await import(${JSON.stringify(pathToFileURL(path.join(repo, 'dist/store/file/file-store.js')).href)});
    const t1 = performance.now();
    const cat = openCatalog(${JSON.stringify(root)}, { dir: ${JSON.stringify(catDir)} });
    const page = catalogSearchRuns(cat, new FileStore(${JSON.stringify(root)}), [${JSON.stringify(experimentId)}], { filterString: ${JSON.stringify(FILTER)}, orderBy: ${JSON.stringify(ORDER_BY)}, maxResults: 100 });
    const t2 = performance.now();
    process.stdout.write(JSON.stringify({ importMs: t1 - t0, queryMs: t2 - t1, n: page.items.length, path: lastSearchPath() }));`;
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(r.stderr);
  return { ...JSON.parse(r.stdout), wallMs: wall };
}

function startWatcher(root, catDir) {
  const script = `
    const { watch } = await import(${JSON.stringify(pathToFileURL(path.join(repo, 'dist/watch/watcher.js')).href)});
    const w = watch(${JSON.stringify(root)}, { dir: ${JSON.stringify(catDir)}, reconcileMs: 0, ${process.env.BENCH_WATCHER_MAX_WATCHES ? `maxWatches: ${Number(process.env.BENCH_WATCHER_MAX_WATCHES)}, ` : ''}log: (m) => process.stderr.write(m + '\\n') });
    await w.ready;
    const say = (kind) => process.stdout.write(kind + ' ' + JSON.stringify(w.stats()) + '\\n');
    say('ready');
    let cycles = 0;
    w.on('refresh', () => { const s = w.stats(); if (s.sweepCycles !== cycles) { cycles = s.sweepCycles; say('cycle'); } });
    process.on('SIGTERM', () => w.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = [];
  const waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    const sp = l.indexOf(' ');
    const msg = { kind: l.slice(0, sp), stats: JSON.parse(l.slice(sp + 1)) };
    const w = waiters.findIndex((x) => x.kind === msg.kind);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(msg.stats);
    else lines.push(msg);
  });
  /** Resolves with the watcher's stats at its next `kind` line ('ready' or 'cycle'). */
  const next = (kind, timeoutMs) =>
    new Promise((resolve, reject) => {
      const i = lines.findIndex((x) => x.kind === kind);
      if (i >= 0) return resolve(lines.splice(i, 1)[0].stats);
      const t = setTimeout(() => reject(new Error(`watcher: no '${kind}' after ${timeoutMs} ms (RSS ${rssOf(child.pid)} MB); stderr: ${stderr.slice(0, 300)}`)), timeoutMs);
      waiters.push({ kind, resolve: (v) => (clearTimeout(t), resolve(v)) });
    });
  child.on('exit', (c) => {
    for (const w of waiters.splice(0)) w.resolve(Promise.reject(new Error(`watcher exited ${c}: ${stderr}`)));
  });
  return { child, next, stderr: () => stderr };
}

/**
 * A Python MLflow process (the oracle venv's 3.x): `create` makes a run with MlflowClient, `log`
 * logs a metric with MlflowClient.log_metric, `append` appends a raw metric line to a file. Each
 * replies with time.time() (ms) taken after the write returned.
 */
function startPython(root) {
  const venv = path.join(repo, '.oracle/mlflow-3/bin/python');
  const py = fs.existsSync(venv) ? venv : 'python3';
  const code = `
import os, sys, time
os.environ.setdefault('MLFLOW_ALLOW_FILE_STORE', 'true')
client = None
for line in sys.stdin:
    cmd, a, b = line.rstrip('\\n').split('\\t', 2)
    if cmd == 'create':
        if client is None:
            from mlflow.tracking import MlflowClient
            client = MlflowClient(tracking_uri=${JSON.stringify(pathToFileURL(root).href)})
        out = client.create_run(a).info.run_id
    elif cmd == 'log':
        run_id, key = a.split(' ')
        value, step = b.split(' ')
        client.log_metric(run_id, key, float(value), step=int(step))
        out = repr(time.time() * 1000)
    else:
        with open(a, 'a') as f:
            f.write(b + '\\n')
        out = repr(time.time() * 1000)
    sys.stdout.write(out + '\\n'); sys.stdout.flush()
`;
  const child = spawn(py, ['-u', '-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => waiters.shift()?.(l));
  const call = (cmd, a, b) =>
    new Promise((resolve) => {
      waiters.push(resolve);
      child.stdin.write(`${cmd}\t${a}\t${b}\n`);
    });
  return {
    createRun: (experimentId) => call('create', experimentId, ''),
    logMetric: async (runId, key, value, step) => Number(await call('log', `${runId} ${key}`, `${value} ${step}`)),
    append: async (file, text) => Number(await call('append', file, text)),
    close: () => child.kill(),
  };
}

/**
 * Runs the catalog benchmarks on generated stores of the given sizes. Returns one result object
 * per size (times in ms, RSS in MB).
 *
 * @example
 * ```js
 * const [r] = await benchCatalog({ sizes: [10000] });
 * r.query.inProcess.p50;
 * ```
 */
export async function benchCatalog({ sizes = [10_000, 100_000], work, log = () => {}, queries = 200, freshRuns = 15, latencySamples = 40, watcher = true } = {}) {
  const base = work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-cat-'));
  const results = [];
  for (const runs of sizes) {
    const root = path.join(base, `store-${runs}`);
    const catDir = path.join(base, `catalogs-${runs}`);
    const marker = path.join(base, `store-${runs}.json`);
    let gen;
    if (work && fs.existsSync(marker)) {
      gen = JSON.parse(fs.readFileSync(marker, 'utf8'));
      log(`catalog bench: reusing ${runs} runs in ${root}`);
    } else {
      log(`catalog bench: generating ${runs} runs`);
      const g = generateStore(root, { runs });
      gen = { experimentId: g.experimentId, runIds: g.runIds };
      if (work) fs.writeFileSync(marker, JSON.stringify(gen));
    }
    const { experimentId, runIds } = gen;
    const res = { runs };
    // Floor: every file read once (cold-ish: the same page cache state the build sees next).
    let t = performance.now();
    const fl = floorRead(root);
    res.floorMs = ms(performance.now() - t);
    res.files = fl.files;
    res.bytes = fl.bytes;
    log(`  floor ${res.floorMs} ms (${fl.files} files)`);
    deleteCatalog(root, { dir: catDir });
    t = performance.now();
    let cat = openCatalog(root, { dir: catDir });
    cat.refresh();
    res.coldBuildMs = ms(performance.now() - t);
    res.coldVsFloor = ms(res.coldBuildMs / res.floorMs);
    res.catalogMB = ms(fs.statSync(cat.file).size / 1e6);
    log(`  cold build ${res.coldBuildMs} ms (${res.coldVsFloor}x floor), catalog ${res.catalogMB} MB`);
    t = performance.now();
    cat.refresh();
    res.noChangeDeltaMs = ms(performance.now() - t);
    // 1% of the runs change: a metric line appended and a tag set.
    const shift = Date.now() % 100;
    const changed = runIds.filter((_, i) => i % 100 === shift);
    for (const id of changed) {
      fs.appendFileSync(path.join(root, experimentId, id, 'metrics', 'loss'), `${Date.now()} 0.001 1000\n`);
      fs.writeFileSync(path.join(root, experimentId, id, 'tags', 'tag_2'), 'changed');
    }
    t = performance.now();
    const d = cat.refresh();
    res.delta1pctMs = ms(performance.now() - t);
    res.delta1pctRunsRead = d.runsRead;
    log(`  delta after 1% changed ${res.delta1pctMs} ms (runs re-read ${d.runsRead}); no-change delta ${res.noChangeDeltaMs} ms`);
    // Queries trust the catalog when a watcher is live: a heartbeat of this (alive) process.
    const hb = setInterval(() => cat.heartbeat(), 500);
    cat.heartbeat();
    const store = new FileStore(root);
    const times = [];
    let n = 0;
    for (let i = 0; i < queries; i++) {
      cat.heartbeat(); // a live watcher's heartbeat (this loop never yields to the interval timer)
      t = performance.now();
      n = catalogSearchRuns(cat, store, [experimentId], { filterString: FILTER, orderBy: ORDER_BY, maxResults: 100 }).items.length;
      times.push(performance.now() - t);
    }
    res.query = { inProcess: { p50: ms(pct(times, 50)), p99: ms(pct(times, 99)), path: lastSearchPath(), results: n } };
    const fresh = [];
    for (let i = 0; i < freshRuns; i++) {
      cat.heartbeat();
      fresh.push(freshProcessQuery(root, catDir, experimentId));
    }
    res.query.freshProcess = {
      queryP50: ms(pct(fresh.map((f) => f.queryMs), 50)),
      queryP99: ms(pct(fresh.map((f) => f.queryMs), 99)),
      importP50: ms(pct(fresh.map((f) => f.importMs), 50)),
      wallP50: ms(pct(fresh.map((f) => f.wallMs), 50)),
      path: fresh[0]?.path,
    };
    clearInterval(hb);
    cat.clearHeartbeat();
    log(`  query in-process p50 ${res.query.inProcess.p50} / p99 ${res.query.inProcess.p99} ms; fresh process open+query p50 ${res.query.freshProcess.queryP50} / p99 ${res.query.freshProcess.queryP99} ms (node + imports ${res.query.freshProcess.wallP50} ms wall)`);
    cat.close();
    if (watcher) {
      const w = startWatcher(root, catDir);
      t = performance.now();
      const py = startPython(root);
      try {
        const readyTimeout = Number(process.env.BENCH_WATCHER_READY_MS ?? 900_000);
        const ready = await w.next('ready', readyTimeout);
        res.watcher = { startMs: ms(performance.now() - t), mode: ready.mode, watchedRuns: ready.watchedRuns, rssReadyMB: rssOf(w.child.pid) };
        const reader = openCatalog(root, { dir: catDir });
        const visible = async (key, value, since) => {
          const end = Date.now() + 10_000;
          for (;;) {
            const page = catalogSearchRuns(reader, store, [experimentId], { filterString: `metrics.${key} = ${value}`, maxResults: 1 });
            if (page.items.length === 1) return Date.now() - since;
            if (Date.now() > end) throw new Error(`watcher latency: metrics.${key} = ${value} not visible after 10 s`);
            await new Promise((r) => setTimeout(r, 1));
          }
        };
        // A run Python is logging to: created with MlflowClient.create_run, metrics by log_metric.
        const runId = await py.createRun(experimentId);
        await new Promise((r) => setTimeout(r, 300));
        const active = [];
        for (let i = 0; i < latencySamples; i++) {
          const value = Math.round(Math.random() * 1e9) / 1e3;
          const written = await py.logMetric(runId, 'bench_live', value, i);
          active.push(await visible('bench_live', value, written));
        }
        res.watcher.activeP50 = ms(pct(active, 50));
        res.watcher.activeP99 = ms(pct(active, 99));
        if (ready.mode === 'native') {
          // Any run of the store: a metric line appended by Python to a random existing run.
          const any = [];
          for (let i = 0; i < latencySamples; i++) {
            const id = runIds[(i * 7919) % runIds.length];
            const value = Math.round(Math.random() * 1e9) / 1e3;
            const written = await py.append(path.join(root, experimentId, id, 'metrics', 'bench_latency'), `${Date.now()} ${value} ${i}`);
            any.push(await visible('bench_latency', value, written));
          }
          res.watcher.anyP50 = ms(pct(any, 50));
          res.watcher.anyP99 = ms(pct(any, 99));
        } else {
          // Runs beyond the watch budget are seen by the sweep: the bound is one sweep cycle.
          const first = await w.next('cycle', readyTimeout);
          const second = await w.next('cycle', readyTimeout);
          res.watcher.sweepCycleMs = second.lastSweepCycleMs || first.lastSweepCycleMs;
        }
        reader.close();
        res.watcher.rssMB = rssOf(w.child.pid);
        res.watcher.rssPeakMB = rssOf(w.child.pid, { peak: true });
        log(
          `  watcher (${res.watcher.mode}, ${res.watcher.watchedRuns} runs watched) ready in ${res.watcher.startMs} ms; active run p50 ${res.watcher.activeP50} / p99 ${res.watcher.activeP99} ms; ` +
            (res.watcher.anyP50 !== undefined ? `any run p50 ${res.watcher.anyP50} / p99 ${res.watcher.anyP99} ms` : `sweep cycle ${res.watcher.sweepCycleMs} ms`) +
            `; RSS ${res.watcher.rssMB} MB (peak ${res.watcher.rssPeakMB} MB)`,
        );
      } catch (e) {
        res.watcher = { error: String(e.message ?? e).slice(0, 500) };
        log(`  watcher: ${res.watcher.error}`);
      } finally {
        py.close();
        w.child.kill('SIGTERM');
      }
    }
    results.push(res);
  }
  if (!work) fs.rmSync(base, { recursive: true, force: true });
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
  const work = process.env.BENCH_CATALOG_WORK;
  if (work) fs.mkdirSync(work, { recursive: true });
  const results = await benchCatalog({ sizes, log: (m) => console.error(m), watcher: process.env.BENCH_CATALOG_WATCHER !== '0', ...(work ? { work } : {}) });
  console.log(JSON.stringify(results, null, 2));
}
