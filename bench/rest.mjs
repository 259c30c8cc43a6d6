/**
 * `node bench/rest.mjs` (after `npm run build`): mlruns against a local `mlflow server`
 * (.oracle/mlflow-3-full, SQLite backend, --serve-artifacts), side by side with Python:
 *
 *  - push: a generated folder of RUNS runs x 10 metrics x STEPS steps, `mlruns push` (syncStores)
 *    vs bench/rest_python.py copying the same runs with MlflowClient.log_batch; then a second
 *    push with nothing changed;
 *  - fluent: `await mlflow.logMetric(...)` calls/s into a server vs Python's mlflow.log_metric,
 *    every point checked on the server.
 *
 * Env: BENCH_REST_RUNS=1000 BENCH_REST_STEPS=1000 (the size; lower both for a quick look)
 *      BENCH_REST_FLUENT=20000 BENCH_REST_PY_FLUENT=1000 BENCH_REST_WORKERS=4 BENCH_REST_CONCURRENCY=8
 *      BENCH_REST_RAW=24 (log-batch requests of the server-ceiling measurement)
 * Prints a table and writes bench/results/rest.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MlflowClient } from '../dist/tracking/client.js';
import { syncStores } from '../dist/sync/sync.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const RUNS = Number(process.env.BENCH_REST_RUNS ?? 1000);
const STEPS = Number(process.env.BENCH_REST_STEPS ?? 1000);
const FLUENT = Number(process.env.BENCH_REST_FLUENT ?? 20000);
const PY_FLUENT = Number(process.env.BENCH_REST_PY_FLUENT ?? 1000);
const WORKERS = process.env.BENCH_REST_WORKERS ?? '4';
const CONCURRENCY = Number(process.env.BENCH_REST_CONCURRENCY ?? 8);
const python = path.join(repo, '.oracle/mlflow-3/bin/python');
const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-rest-')));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const dir = path.join(work, `server-${port}`);
  fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
  const log = fs.openSync(path.join(dir, 'server.log'), 'a');
  const child = spawn(
    path.join(repo, '.oracle/mlflow-3-full/bin/mlflow'),
    ['server', '--backend-store-uri', `sqlite:///${dir}/mlflow.db`, '--serve-artifacts', '--artifacts-destination', `${dir}/artifacts`, '--host', '127.0.0.1', '--port', String(port), '--workers', WORKERS,
      // uvicorn kills a worker that misses a 5 s health check: on a loaded machine every worker
      // then dies while starting, over and over (seen at load average 50 on 2 cores).
      ...(Number(WORKERS) > 1 ? ['--uvicorn-opts', '--timeout-worker-healthcheck 300'] : [])],
    // No background job runners (huey consumers polling next to the server): neither side uses them.
    { cwd: dir, stdio: ['ignore', log, log], detached: true, env: { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' } },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // starting
    }
    if (child.exitCode !== null || i > 1200) throw new Error(`mlflow server did not start: ${fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop: () => process.kill(-child.pid, 'SIGTERM') };
}

async function generate(root) {
  const client = new MlflowClient(root, { catalog: 'off' });
  const exp = await client.createExperiment('bench');
  for (let r = 0; r < RUNS; r++) {
    const run = await client.createRun(exp, { runName: `run-${r}`, startTime: 1_700_000_000_000 + r });
    await client.store.logBatch(run.info.runId, { params: [{ key: 'lr', value: String(r / RUNS) }] });
    for (let k = 0; k < 10; k++) {
      for (let s0 = 0; s0 < STEPS; s0 += 1000) {
        const n = Math.min(1000, STEPS - s0);
        await client.store.logBatch(run.info.runId, {
          metrics: Array.from({ length: n }, (_, i) => ({ key: `m${k}`, value: Math.sin(s0 + i + k), timestamp: 1_700_000_000_000 + s0 + i, step: s0 + i })),
        });
      }
    }
    await client.setTerminated(run.info.runId, 'FINISHED', 1_700_000_100_000 + r);
  }
  client.close();
}

function py(args) {
  const r = spawnSync(python, [path.join(here, 'rest_python.py'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' } });
  if (r.status !== 0) throw new Error(`rest_python.py ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/**
 * The server's own ceiling: `log-batch` requests of 1,000 points (bodies made beforehand, no store
 * read), `inFlight` at a time, into fresh runs. Push cannot beat this; Python's copy pays it too.
 */
async function rawLogBatch(url, inFlight, requests) {
  const api = `${url}/api/2.0/mlflow`;
  let busy = 0;
  const post = async (p, body, retried = false, attempt = 0) => {
    let r;
    try {
      r = await fetch(`${api}/${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    } catch (e) {
      // A keep-alive connection the server closed meanwhile (uvicorn drops idle ones after 5 s): once more.
      if (!retried && e?.cause?.code === 'UND_ERR_SOCKET') return post(p, body, true, attempt);
      throw e;
    }
    // SQLite takes one writer at a time: under load a worker may give up ('database is locked',
    // 503). mlruns' client retries those as MLflow's does; so does this measurement (counted).
    if (r.status === 503 && attempt < 20) {
      busy++;
      await r.text();
      await new Promise((res) => setTimeout(res, 500));
      return post(p, body, retried, attempt + 1);
    }
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const exp = (await post('experiments/create', JSON.stringify({ name: `raw-${inFlight}-${Date.now()}` }))).experiment_id;
  const runs = [];
  for (let i = 0; i < inFlight; i++) runs.push((await post('runs/create', JSON.stringify({ experiment_id: exp, start_time: 1 }))).run.info.run_id);
  const bodies = runs.map((rid) =>
    Array.from({ length: Math.ceil(requests / inFlight) }, (_, k) =>
      JSON.stringify({ run_id: rid, metrics: Array.from({ length: 1000 }, (_, i) => ({ key: `m${k}`, value: Math.sin(i + k), timestamp: 1_700_000_000_000 + i, step: i })) }),
    ),
  );
  const t = performance.now();
  await Promise.all(bodies.map(async (list) => {
    for (const b of list) await post('runs/log-batch', b);
  }));
  const s = (performance.now() - t) / 1000;
  const n = bodies.reduce((a, l) => a + l.length, 0);
  return { inFlight, requests: n, seconds: s, pointsPerS: (n * 1000) / s, msPerRequest: (s * 1000) / n, retried503: busy };
}

const results = { cpus: os.cpus().length, loadAvgBefore: os.loadavg()[0] };
const server = await startServer();
try {
  // The ceiling first, with 1 request in flight (Python's copy) and with push's concurrency.
  const RAW = Number(process.env.BENCH_REST_RAW ?? 24);
  // Warm-up first: every worker imports its handlers on its first requests (seconds each).
  await rawLogBatch(server.url, CONCURRENCY, CONCURRENCY * 2);
  results.serverCeiling = [await rawLogBatch(server.url, 1, RAW), await rawLogBatch(server.url, CONCURRENCY, RAW)];

  const root = path.join(work, 'mlruns');
  let t = performance.now();
  await generate(root);
  console.error(`generated ${RUNS} runs x 10 metrics x ${STEPS} steps in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const local = new MlflowClient(root, { catalog: 'off' });
  const remote = new MlflowClient(server.url);
  const ends = () => [
    { tracking: local.store, registry: local.registry.store },
    { tracking: remote.store, registry: remote.registry.store },
  ];
  t = performance.now();
  const first = await syncStores(...ends(), { concurrency: CONCURRENCY, recordPath: path.join(root, '.mlruns-sync.json') });
  const pushS = (performance.now() - t) / 1000;
  t = performance.now();
  const second = await syncStores(...ends(), { concurrency: CONCURRENCY, recordPath: path.join(root, '.mlruns-sync.json') });
  const secondS = (performance.now() - t) / 1000;
  if (first.failed.length > 0) throw new Error(`push failed: ${JSON.stringify(first.failed.slice(0, 3))}`);
  const pyCopy = py(['copy', root, server.url, 'py-']);
  results.push = {
    runs: RUNS,
    steps: STEPS,
    points: first.points,
    mlrunsSeconds: pushS,
    pythonSeconds: pyCopy.seconds,
    ratio: pyCopy.seconds / pushS,
    mlrunsPointsPerS: first.points / pushS,
    pythonPointsPerS: pyCopy.points / pyCopy.seconds,
  };
  results.secondPush = { seconds: secondS, sent: second.points, created: second.created, updated: second.updated };

  // Fluent logMetric into the server (a child process, as a user's script).
  const script = path.join(work, 'fluent.mjs');
  fs.writeFileSync(
    script,
    `import * as mlflow from ${JSON.stringify(path.join(repo, 'dist/tracking/fluent.js'))};
import { performance } from 'node:perf_hooks';
await mlflow.setExperiment('js-fluent');
const run = await mlflow.startRun();
const t = performance.now();
for (let i = 0; i < ${FLUENT}; i++) await mlflow.logMetric('x', i * 0.5, { step: i });
await mlflow.endRun();
console.log(JSON.stringify({ runId: run.info.runId, seconds: (performance.now() - t) / 1000 }));
`,
  );
  const child = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, MLFLOW_TRACKING_URI: server.url } });
  if (child.status !== 0) throw new Error(`fluent script failed: ${child.stderr}`);
  const js = JSON.parse(child.stdout.trim());
  const onServer = (await remote.getMetricHistory(js.runId, 'x')).length;
  const pyFluent = py(['log_metric', server.url, String(PY_FLUENT)]);
  results.fluent = {
    mlrunsCallsPerS: FLUENT / js.seconds,
    pythonCallsPerS: pyFluent.calls / pyFluent.seconds,
    ratio: FLUENT / js.seconds / (pyFluent.calls / pyFluent.seconds),
    mlrunsOnServer: `${onServer}/${FLUENT}`,
    pythonOnServer: `${pyFluent.onServer}/${pyFluent.calls}`,
  };
  local.close();
  remote.close();
} finally {
  server.stop();
}

const r = results;
const [c1, cN] = r.serverCeiling;
console.log(`
${r.cpus} CPUs, load average ${r.loadAvgBefore.toFixed(1)} at the start, server --workers ${WORKERS}, push concurrency ${CONCURRENCY}
server ceiling (log-batch of 1,000 points, nothing else): ${c1.pointsPerS.toFixed(0)} points/s with 1 in flight (${c1.msPerRequest.toFixed(0)} ms/request), ${cN.pointsPerS.toFixed(0)} with ${cN.inFlight} in flight (${cN.msPerRequest.toFixed(0)} ms/request)
push: ${r.push.mlrunsPointsPerS.toFixed(0)} points/s (${((100 * r.push.mlrunsPointsPerS) / cN.pointsPerS).toFixed(0)}% of the ceiling at ${cN.inFlight} in flight); Python's copy: ${r.push.pythonPointsPerS.toFixed(0)} points/s (${((100 * r.push.pythonPointsPerS) / c1.pointsPerS).toFixed(0)}% of the ceiling at 1 in flight)

| REST (mlflow server 3.17.2, SQLite, ${WORKERS} workers) | mlruns | Python | ratio |
|---|---|---|---|
| push ${r.push.runs} runs x 10 x ${r.push.steps} (${r.push.points} points) | ${r.push.mlrunsSeconds.toFixed(1)} s | ${r.push.pythonSeconds.toFixed(1)} s (log_batch) | ${r.push.ratio.toFixed(1)}x |
| second push, nothing changed | ${r.secondPush.seconds.toFixed(2)} s (sent ${r.secondPush.sent} points) | | |
| fluent logMetric calls/s | ${r.fluent.mlrunsCallsPerS.toFixed(0)} (${r.fluent.mlrunsOnServer} on server) | ${r.fluent.pythonCallsPerS.toFixed(0)} (${r.fluent.pythonOnServer}) | ${r.fluent.ratio.toFixed(1)}x |
`);
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'rest.json'), JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2));
fs.rmSync(work, { recursive: true, force: true });
