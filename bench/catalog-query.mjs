/**
 * A catalog query from a fresh process while `mlruns watch` runs (issue 14): 5,000 runs made by
 * generateStore with a `model` param, the filter `metrics.accuracy > 0.5 and params.model =
 * 'xgboost'` (522 runs) ordered by `metrics.accuracy DESC`, asked by a new `node` process through
 * the public API (`MlflowClient.searchRuns`, the catalog found by `MLRUNS_CATALOG_DIR`), which
 * prints the run ids. Reports p50/p99 of: open + query + print inside that process (from after
 * its imports to the result written; better-sqlite3 is loaded by the first catalog open, so its
 * loading is in this span, not in the imports), its imports, and spawn → result printed (node's
 * own start included), next to Python MLflow's `search_runs` of the same question on the same
 * folder.
 * Runnable alone after `npm run build`: `node bench/catalog-query.mjs [runs=5000] [processes=25]`.
 *
 * @example
 * ```js
 * import { benchCatalogQuery } from './catalog-query.mjs';
 * const r = await benchCatalogQuery({ runs: 5000, processes: 25, log: console.error });
 * r.queryP50; // ms
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

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
export const FILTER = "metrics.accuracy > 0.5 and params.model = 'xgboost'";
export const ORDER_BY = ['metrics.accuracy DESC'];
/** The build measured (BENCH_DIST: another build's dist/, to compare before/after). */
const dist = path.resolve(process.env.BENCH_DIST ?? path.join(repo, 'dist'));

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => Math.round(x * 100) / 100;

/** The fresh process: imports the library, opens a client, queries, prints ids, then its timings on stderr. */
const CHILD = `
const t0 = performance.now();
const { MlflowClient } = await import(${JSON.stringify(pathToFileURL(path.join(dist, 'index.js')).href)});
const t1 = performance.now();
const c1 = process.cpuUsage();
const [root, experimentId, filter, orderBy] = JSON.parse(process.argv[1]);
const client = new MlflowClient(root);
const { runs } = await client.searchRuns([experimentId], filter, { orderBy });
process.stdout.write(runs.map((r) => r.info.runId).join('\\n') + '\\n');
const t2 = performance.now();
const c2 = process.cpuUsage(c1);
process.stderr.write(JSON.stringify({ importMs: t1 - t0, queryMs: t2 - t1, queryCpuMs: (c2.user + c2.system) / 1000, n: runs.length, first: runs[0]?.info.runId ?? null }));
`;

function freshQuery(root, experimentId, env) {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify([root, experimentId, FILTER, ORDER_BY])], { encoding: 'utf8', env });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`fresh query failed: ${r.stderr}`);
  return { ...JSON.parse(r.stderr.slice(r.stderr.lastIndexOf('{'))), wallMs };
}

/** `mlruns watch` on the root (the built CLI); resolves once it says it is watching. */
async function startWatch(root, env) {
  const child = spawn(process.execPath, [path.join(dist, 'cli/main.js'), 'watch', '--root', root], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stderr });
    rl.on('line', (l) => {
      err += l + '\n';
      if (l.includes('watching')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`mlruns watch exited ${c}: ${err}`)));
  });
  return child;
}

/**
 * Runs the scenario; returns p50/p99 (ms) of the in-process open + query + print, the imports,
 * and the spawn → printed wall time, the number of runs found, and Python's search_runs time.
 */
export async function benchCatalogQuery({ runs = 5000, processes = 25, python = true, log = () => {} } = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-cq-'));
  const root = path.join(work, 'mlruns');
  const env = { ...process.env, MLRUNS_CATALOG_DIR: path.join(work, 'catalogs') };
  delete env.MLRUNS_CATALOG;
  log(`catalog query bench: generating ${runs} runs`);
  const { experimentId } = generateStore(root, { runs, model: true });
  const watcher = await startWatch(root, env);
  const res = { runs };
  try {
    log('  mlruns watch is running; fresh processes query');
    freshQuery(root, experimentId, env); // warm the page cache and the catalog's file
    const samples = [];
    for (let i = 0; i < processes; i++) samples.push(freshQuery(root, experimentId, env));
    Object.assign(res, {
      found: samples[0].n,
      first: samples[0].first,
      queryP50: ms(pct(samples.map((s) => s.queryMs), 50)),
      queryP99: ms(pct(samples.map((s) => s.queryMs), 99)),
      // CPU time of the same span: what a busy shared machine inflates least.
      queryCpuP50: ms(pct(samples.map((s) => s.queryCpuMs), 50)),
      importP50: ms(pct(samples.map((s) => s.importMs), 50)),
      wallP50: ms(pct(samples.map((s) => s.wallMs), 50)),
      wallP99: ms(pct(samples.map((s) => s.wallMs), 99)),
    });
    log(`  ${res.found} runs; open + query + print p50 ${res.queryP50} / p99 ${res.queryP99} ms (CPU p50 ${res.queryCpuP50} ms); imports p50 ${res.importP50} ms; spawn → printed p50 ${res.wallP50} / p99 ${res.wallP99} ms`);
  } finally {
    watcher.kill('SIGTERM');
  }
  if (python) {
    const py = spawnSync(path.join(repo, '.oracle/mlflow-3/bin/python'), [path.join(here, 'py_bench.py')], {
      input: JSON.stringify([{ kind: 'search', root, experiment_ids: [experimentId], filter: FILTER, order_by: ORDER_BY, reps: 1 }]),
      env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const out = py.status === 0 ? JSON.parse(py.stdout).results[0] : { error: py.stderr };
    if (out.error) throw new Error(`python search_runs failed: ${out.error}`);
    res.pythonMs = ms(out.times[0] * 1000);
    res.sameAsPython = out.count === res.found && out.first[0] === res.first;
    log(`  Python search_runs ${res.pythonMs} ms (${out.count} runs${res.sameAsPython ? ', same first run' : ', RESULTS DIFFER'})`);
  }
  fs.rmSync(work, { recursive: true, force: true });
  return res;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 5000);
  const processes = Number(process.argv[3] ?? 25);
  console.log(JSON.stringify(await benchCatalogQuery({ runs, processes, python: process.env.BENCH_CATALOG_QUERY_PY !== '0', log: (m) => console.error(m) }), null, 2));
}
