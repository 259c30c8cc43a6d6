/**
 * Catalog and watcher benchmarks (called by bench/run.mjs; also runnable alone:
 * `node bench/catalog.mjs [runs,...]`, after `npm run build`).
 *
 * For each store size (made by generateStore): the floor (reading every file once), the cold
 * catalog build, a delta refresh after 1% of the runs changed, a no-change delta refresh (what a
 * query without a watcher pays), indexed searchRuns with a filter + order_by in process and from
 * a fresh `node` process (p50/p99), watcher latency from a metric line appended by Python to
 * visible in a query (p50/p99), and the watcher's RSS.
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

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
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
    const w = watch(${JSON.stringify(root)}, { dir: ${JSON.stringify(catDir)}, reconcileMs: 0, log: (m) => process.stderr.write(m + '\\n') });
    await w.ready;
    process.stdout.write('ready ' + (w.polling ? 'polling' : 'native') + '\\n');
    process.on('SIGTERM', () => w.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const s = String(d);
      if (s.startsWith('ready')) resolve(s.trim().split(' ')[1]);
    });
    child.on('exit', (c) => reject(new Error(`watcher exited ${c}: ${stderr}`)));
  });
  return { child, ready, stderr: () => stderr };
}

/** A Python process appending MLflow metric lines on request; replies with time.time() after each write. */
function startPythonAppender() {
  const py = fs.existsSync(path.join(repo, '.oracle/mlflow-3/bin/python')) ? path.join(repo, '.oracle/mlflow-3/bin/python') : 'python3';
  const code = `
import sys, time
for line in sys.stdin:
    p, text = line.rstrip('\\n').split('\\t', 1)
    with open(p, 'a') as f:
        f.write(text + '\\n')
    sys.stdout.write(repr(time.time() * 1000) + '\\n'); sys.stdout.flush()
`;
  const child = spawn(py, ['-u', '-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buf = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiters.shift()?.(Number(l));
    }
  });
  return {
    append: (file, text) => new Promise((resolve) => {
      waiters.push(resolve);
      child.stdin.write(`${file}\t${text}\n`);
    }),
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
      try {
        const readyTimeout = Number(process.env.BENCH_WATCHER_READY_MS ?? 180_000);
        const mode = await Promise.race([
          w.ready,
          new Promise((_, reject) => setTimeout(() => reject(new Error(`watcher not ready after ${readyTimeout} ms (RSS ${rssOf(w.child.pid)} MB); stderr: ${w.stderr().slice(0, 300)}`)), readyTimeout)),
        ]);
        res.watcher = { startMs: ms(performance.now() - t), mode, rssReadyMB: rssOf(w.child.pid) };
        const reader = openCatalog(root, { dir: catDir });
        const py = startPythonAppender();
        const lat = [];
        for (let i = 0; i < latencySamples; i++) {
          const id = runIds[(i * 7919) % runIds.length];
          const value = Math.round(Math.random() * 1e9) / 1e3;
          const written = await py.append(path.join(root, experimentId, id, 'metrics', 'bench_latency'), `${Date.now()} ${value} ${i}`);
          const end = Date.now() + 5000;
          for (;;) {
            const page = catalogSearchRuns(reader, store, [experimentId], { filterString: `metrics.bench_latency = ${value}`, maxResults: 1 });
            if (page.items.length === 1) break;
            if (Date.now() > end) throw new Error('watcher latency: not visible after 5 s');
            await new Promise((r) => setTimeout(r, 1));
          }
          lat.push(Date.now() - written);
        }
        py.close();
        reader.close();
        res.watcher.latencyP50 = ms(pct(lat, 50));
        res.watcher.latencyP99 = ms(pct(lat, 99));
        res.watcher.rssMB = rssOf(w.child.pid);
        log(`  watcher (${mode}) ready in ${res.watcher.startMs} ms; latency p50 ${res.watcher.latencyP50} / p99 ${res.watcher.latencyP99} ms; RSS ${res.watcher.rssMB} MB`);
      } catch (e) {
        res.watcher = { error: String(e.message ?? e).slice(0, 500) };
        log(`  watcher: ${res.watcher.error}`);
      } finally {
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
