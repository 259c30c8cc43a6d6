/**
 * `node bench/serve.mjs` (after `npm run build`): mlruns serve vs `mlflow models serve
 * --env-manager local` (the oracle's full MLflow 3.17.2) on the same ONNX model with 32
 * concurrent keep-alive clients sending small JSON payloads (requests/s, p50, p99), and
 * `mlruns predict` vs `mlflow models predict` on a 1,000,000-row CSV (wall time; mlruns' peak
 * RSS).
 *
 * The machine is shared, so both servers run at the same time and are loaded in alternating
 * rounds (Python, mlruns, Python, mlruns, ...): each round's ratio compares neighbours in time,
 * and the median round is reported. Besides requests/s, the CPU time each server's process
 * tree spent per request (from /proc) is reported: it depends much less on what else the
 * machine runs. The load generator is one Node `http` client with a keep-alive agent (32
 * sockets), the same for both servers. predict's wall and CPU time (user+sys of the process
 * tree, /usr/bin/time) are measured the same way, alternating, BENCH_PREDICT_ROUNDS times.
 *
 * Bounded memory: each predict round also runs mlruns predict on the first tenth of the CSV
 * (100,000 rows by default), and both peak RSS figures are reported side by side (memory bounded
 * by the chunk size: the large run's peak is nowhere near 10x the small one's).
 *
 * Env: BENCH_SERVE_SECONDS=8  BENCH_SERVE_ROUNDS=3  BENCH_SERVE_CLIENTS=32
 *      BENCH_PREDICT_ROWS=1000000  BENCH_PREDICT_ROUNDS=3
 *      BENCH_SERVE_ONLY=serve|predict (run only the serve rounds, or only the predict rounds)
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { MlflowClient } from '../dist/tracking/client.js';
import { logModel } from '../dist/models/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const venv = path.join(repo, '.oracle/mlflow-3-full');
const python = path.join(venv, 'bin/python');
const cli = path.join(repo, 'dist/cli/main.js');
const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 3);
const PREDICT_ROUNDS = Number(process.env.BENCH_PREDICT_ROUNDS ?? 3);
const CLIENTS = Number(process.env.BENCH_SERVE_CLIENTS ?? 32);
const ROWS = Number(process.env.BENCH_PREDICT_ROWS ?? 1_000_000);
const SMALL_ROWS = Math.max(1, Math.round(ROWS / 10));
const ONLY = process.env.BENCH_SERVE_ONLY ?? '';
if (ONLY !== '' && ONLY !== 'serve' && ONLY !== 'predict') throw new Error(`BENCH_SERVE_ONLY must be serve or predict, got '${ONLY}'`);

/** The bench's CSV: `rows` rows of three float columns (a header a,b,c). */
function writeCsv(file, rows) {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'a,b,c\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    buf += `${(i % 1000) / 7},${(i % 13) * 0.5},${(i % 101) / 3}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

function pyEnv(root) {
  const env = { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', MLFLOW_TRACKING_URI: `file://${root}`, PATH: `${path.join(venv, 'bin')}:${process.env.PATH}` };
  delete env.MLFLOW_REGISTRY_URI;
  return env;
}

async function waitUp(url, child, what) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/ping`)).status === 200) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** user+sys CPU ticks (1/100 s) of a process and all its descendants. */
function treeTicks(pid) {
  let total = 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += Number(f[11]) + Number(f[12]);
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const kids = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(' ') : []) total += treeTicks(k);
    }
  } catch {
    /* gone */
  }
  return total;
}

/** CLIENTS keep-alive clients, each sending requests back to back for `seconds`; `pid`'s process tree CPU per request. */
async function load(port, seconds, pid) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const body = '{"inputs": [[1.0, 2.0, 3.0]]}';
  const lat = [];
  let errors = 0;
  const one = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.request({ host: '127.0.0.1', port, path: '/invocations', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) errors++;
          lat.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  // warm up
  const warmEnd = performance.now() + 1500;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < warmEnd) await one();
  }));
  lat.length = 0;
  errors = 0;
  const ticks0 = treeTicks(pid);
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < end) await one();
  }));
  const elapsed = (performance.now() - start) / 1000;
  const cpuMs = ((treeTicks(pid) - ticks0) * 10) / Math.max(1, lat.length);
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { rps: lat.length / elapsed, p50: q(0.5), p99: q(0.99), n: lat.length, errors, cpuMs, load: os.loadavg()[0] };
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

/** Peak RSS (VmHWM, MiB) of a running process, polled until it exits. */
function watchRss(pid) {
  let peak = 0;
  const t = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      /* gone */
    }
  }, 100);
  return () => {
    clearInterval(t);
    return peak;
  };
}

function runTimed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '@@CPU %U %S %M', cmd, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const rss = watchRss(child.pid);
    child.once('exit', (code) => {
      const peak = rss();
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${err.slice(-2000)}`));
      else {
        // %M: the largest resident set of the command or any of its waited-for children (KiB)
        const m = /@@CPU ([\d.]+) ([\d.]+) (\d+)/.exec(err);
        resolve({ seconds: (performance.now() - t0) / 1000, cpuSeconds: m ? Number(m[1]) + Number(m[2]) : NaN, peakMiB: m ? Number(m[3]) / 1024 : peak });
      }
    });
  });
}

/** mlflow models predict vs mlruns predict on ROWS rows, alternating rounds, plus mlruns on SMALL_ROWS rows (peak RSS). */
async function benchPredict(work, root, log) {
  const rows = [];
  const csv = path.join(work, 'big.csv');
  writeCsv(csv, ROWS);
  const smallCsv = path.join(work, 'small.csv');
  writeCsv(smallCsv, SMALL_ROWS);
  const preds = [];
  for (let i = 0; i < PREDICT_ROUNDS; i++) {
    log(`predict round ${i + 1}/${PREDICT_ROUNDS}: Python, then mlruns, on ${ROWS} rows…`);
    const pyP = await runTimed(path.join(venv, 'bin/mlflow'), ['models', 'predict', '-m', 'models:/lin-nosig/1', '-i', csv, '-o', path.join(work, 'py.json'), '-t', 'csv', '--env-manager', 'local'], pyEnv(root));
    const ourP = await runTimed(process.execPath, [cli, '--root', root, 'predict', '-m', 'models:/lin-nosig/1', '-i', csv, '-o', path.join(work, 'ours.json')], process.env);
    const small = await runTimed(process.execPath, [cli, '--root', root, 'predict', '-m', 'models:/lin-nosig/1', '-i', smallCsv, '-o', path.join(work, 'small.json')], process.env);
    log(`  Python ${pyP.seconds.toFixed(1)} s (CPU ${pyP.cpuSeconds.toFixed(1)} s); mlruns ${ourP.seconds.toFixed(1)} s (CPU ${ourP.cpuSeconds.toFixed(1)} s, peak ${ourP.peakMiB.toFixed(0)} MiB; ${SMALL_ROWS} rows: peak ${small.peakMiB.toFixed(0)} MiB); load ${os.loadavg()[0].toFixed(1)}`);
    preds.push({ ourP, pyP, small, ratio: pyP.seconds / ourP.seconds });
  }
  const pm = [...preds].sort((x, y) => x.ratio - y.ratio)[Math.floor(preds.length / 2)];
  const { ourP, pyP } = pm;
  const a = JSON.parse(fs.readFileSync(path.join(work, 'ours.json'), 'utf8')).predictions;
  const b = JSON.parse(fs.readFileSync(path.join(work, 'py.json'), 'utf8')).predictions;
  const identical = fs.readFileSync(path.join(work, 'ours.json')).equals(fs.readFileSync(path.join(work, 'py.json')));
  const same = a.length === b.length && a.every((x, i) => Math.abs(x.y - b[i].y) <= 1e-6 * Math.max(1, Math.abs(x.y)));
  rows.push({
    name: `predict: ${ROWS.toLocaleString('en')}-row CSV, wall s (median of ${preds.length} alternating rounds)`,
    ours: ourP.seconds.toFixed(1),
    python: pyP.seconds.toFixed(1),
    ratio: `${(pyP.seconds / ourP.seconds).toFixed(1)}x`,
    note: `rounds: ${preds.map((r) => `${r.ratio.toFixed(1)}x`).join(', ')}; byte-identical output: ${identical}; same predictions: ${same}; peak RSS ${ourP.peakMiB.toFixed(0)} MiB vs ${pyP.peakMiB.toFixed(0)} MiB (largest process of each tree)`,
    raw: { preds },
  });
  rows.push({
    name: `predict: ${ROWS.toLocaleString('en')}-row CSV, CPU s (user+sys, process tree)`,
    ours: ourP.cpuSeconds.toFixed(1),
    python: pyP.cpuSeconds.toFixed(1),
    ratio: `${(pyP.cpuSeconds / ourP.cpuSeconds).toFixed(1)}x less`,
    note: 'same round as the wall time',
  });
  const medPeak = (f) => [...preds].map(f).sort((x, y) => x - y)[Math.floor(preds.length / 2)];
  const peakBig = medPeak((r) => r.ourP.peakMiB);
  const peakSmall = medPeak((r) => r.small.peakMiB);
  rows.push({
    name: `predict: mlruns peak RSS (MiB), ${SMALL_ROWS.toLocaleString('en')} vs ${ROWS.toLocaleString('en')} rows (median of ${preds.length} rounds)`,
    ours: `${peakSmall.toFixed(0)} / ${peakBig.toFixed(0)}`,
    python: '—',
    ratio: `${(peakBig / peakSmall).toFixed(2)}x the memory for ${(ROWS / SMALL_ROWS).toFixed(0)}x the rows`,
    note: `bounded by the chunk size, not the input; per round: ${preds.map((r) => `${r.small.peakMiB.toFixed(0)}/${r.ourP.peakMiB.toFixed(0)}`).join(', ')} MiB`,
  });
  return rows;
}

export async function benchServe({ log = console.log } = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-serve-'));
  const root = path.join(work, 'mlruns');
  const onnxFile = path.join(work, 'lin.onnx');
  const r = spawnSync(python, ['-c', `
import onnx, numpy as np
from onnx import helper, TensorProto, numpy_helper
W = numpy_helper.from_array(np.array([[2.0], [-1.0], [0.5]], dtype=np.float32), 'W')
B = numpy_helper.from_array(np.array([0.25], dtype=np.float32), 'B')
X = helper.make_tensor_value_info('x', TensorProto.FLOAT, [None, 3])
Y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [None, 1])
g = helper.make_graph([helper.make_node('MatMul', ['x', 'W'], ['xw']), helper.make_node('Add', ['xw', 'B'], ['y'])], 'linear', [X], [Y], [W, B])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]); m.ir_version = 8
onnx.save(m, ${JSON.stringify(onnxFile)})`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const client = new MlflowClient(root);
  const run = await client.createRun('0');
  const signature = {
    inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]',
    outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
  };
  await logModel(client, run.info.runId, { name: 'lin', flavor: 'onnx', path: onnxFile, signature, registeredModelName: 'lin' });
  await logModel(client, run.info.runId, { name: 'lin-nosig', flavor: 'onnx', path: onnxFile, registeredModelName: 'lin-nosig' });
  const rows = [];

  // --- serve: both up at once, loaded in alternating rounds
  if (ONLY !== 'predict') {
      const pyPort = await freePort();
    const py = spawn(path.join(venv, 'bin/mlflow'), ['models', 'serve', '-m', 'models:/lin/1', '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(pyPort)], { env: pyEnv(root), stdio: 'ignore' });
    const ourPort = await freePort();
    const ours = spawn(process.execPath, [cli, '--root', root, 'serve', 'models:/lin/1', '--port', String(ourPort), '--quiet'], { stdio: 'ignore' });
    const rounds = [];
    try {
      await Promise.all([waitUp(`http://127.0.0.1:${pyPort}`, py, 'mlflow models serve'), waitUp(`http://127.0.0.1:${ourPort}`, ours, 'mlruns serve')]);
      for (let i = 0; i < ROUNDS; i++) {
        log(`serve round ${i + 1}/${ROUNDS}: Python, then mlruns (${SECONDS}s each, ${CLIENTS} clients)…`);
        const p = await load(pyPort, SECONDS, py.pid);
        const o = await load(ourPort, SECONDS, ours.pid);
        log(`  Python ${p.rps.toFixed(0)}/s p99 ${p.p99.toFixed(1)} ms ${p.cpuMs.toFixed(2)} CPU ms/req; mlruns ${o.rps.toFixed(0)}/s p99 ${o.p99.toFixed(1)} ms ${o.cpuMs.toFixed(2)} CPU ms/req; load ${o.load.toFixed(1)}`);
        rounds.push({ python: p, ours: o, ratio: o.rps / p.rps });
      }
    } finally {
      await Promise.all([stopChild(py), stopChild(ours)]);
    }
    const med = [...rounds].sort((x, y) => x.ratio - y.ratio)[Math.floor(rounds.length / 2)];
    const ourRes = med.ours;
    const pyRes = med.python;
    const all = rounds.map((r) => `${r.ratio.toFixed(1)}x`).join(', ');
    rows.push({
      name: `serve: requests/s, ${CLIENTS} clients, 1-row JSON (median of ${rounds.length} alternating rounds)`,
      ours: ourRes.rps.toFixed(0),
      python: pyRes.rps.toFixed(0),
      ratio: `${(ourRes.rps / pyRes.rps).toFixed(1)}x`,
      note: `rounds: ${all}; errors ${ourRes.errors}/${pyRes.errors}; load avg ${ourRes.load.toFixed(1)}`,
      raw: { rounds },
    });
    rows.push({
      name: 'serve: p99 latency (ms), same round',
      ours: ourRes.p99.toFixed(1),
      python: pyRes.p99.toFixed(1),
      ratio: `${(pyRes.p99 / ourRes.p99).toFixed(1)}x lower`,
      note: `p50 ${ourRes.p50.toFixed(1)} vs ${pyRes.p50.toFixed(1)} ms`,
    });
    const cpuO = rounds.map((r) => r.ours.cpuMs).sort((x, y) => x - y)[Math.floor(rounds.length / 2)];
    const cpuP = rounds.map((r) => r.python.cpuMs).sort((x, y) => x - y)[Math.floor(rounds.length / 2)];
    rows.push({
      name: 'serve: server CPU ms per request (process tree, median round)',
      ours: cpuO.toFixed(3),
      python: cpuP.toFixed(3),
      ratio: `${(cpuP / cpuO).toFixed(1)}x less`,
      note: 'user+sys from /proc over the timed window',
    });
  }

  // --- predict
  if (ONLY !== 'serve') rows.push(...(await benchPredict(work, root, log)));
  fs.rmSync(work, { recursive: true, force: true });
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await benchServe();
  console.log('\n| benchmark | mlruns | Python MLflow | mlruns vs Python | check |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.ours} | ${r.python} | ${r.ratio} | ${r.note} |`);
}
