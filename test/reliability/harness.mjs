// Fault-injection harness shared by the reliability tests and scripts/soak.mjs (plain ESM so the
// soak runs without a TypeScript loader). Readers return MLflow-oracle `Dump` shapes
// (test/oracle/oracle.ts): ours through the transpiled library, Python's through
// test/oracle/oracle_server.py (MLflow 3.17) kept running as a JSON-lines server.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, WORKERS, buildLib, childEnv, pythonPath } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function mulberry32(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------------------------------ readers

/** What our library sees in `root`, as the oracle's Dump (experiments, runs, metricHistory) + warnings. */
export async function ourDump(root, libDir = buildLib()) {
  const { MlflowClient } = await import(pathToFileURL(path.join(libDir, 'tracking', 'client.js')).href);
  const warnings = [];
  const client = new MlflowClient(root, { onWarning: (w) => warnings.push(w) });
  const out = { version: 'mlruns', experiments: [], runs: {}, metricHistory: {}, warnings };
  let token = null;
  do {
    const page = await client.searchExperiments({ viewType: 'ALL', pageToken: token });
    out.experiments.push(...page.experiments);
    token = page.token;
  } while (token);
  for (const e of out.experiments) {
    const list = [];
    let t = null;
    do {
      const page = await client.searchRuns([e.experimentId], '', { runViewType: 'ALL', pageToken: t });
      list.push(...page.runs);
      t = page.token;
    } while (t);
    out.runs[e.experimentId] = list;
    for (const r of list) {
      const h = {};
      for (const key of Object.keys(r.data.metrics).sort()) {
        try {
          h[key] = await client.getMetricHistory(r.info.runId, key);
        } catch (err) {
          h[key] = { error: { type: err?.name ?? 'Error', code: err?.code ?? null, message: String(err?.message ?? err) } };
        }
      }
      out.metricHistory[r.info.runId] = h;
    }
  }
  return out;
}

function decodeFloats(text) {
  return JSON.parse(text, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$float === 'string') {
      const s = v.$float.toLowerCase();
      return s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
    }
    return v;
  });
}

/** Python MLflow 3.17 as a long-lived reader: `dump(root)` is the oracle's dump. */
export async function startPythonReader() {
  const proc = spawn(pythonPath('3'), [path.join(REPO_ROOT, 'test', 'oracle', 'oracle_server.py')], {
    env: childEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const rl = createInterface({ input: proc.stdout, crlfDelay: Infinity });
  const waiting = [];
  let exited = null;
  rl.on('line', (line) => {
    if (!line.trim()) return;
    waiting.shift()?.resolve(decodeFloats(line));
  });
  proc.on('exit', (code, signal) => {
    exited = new Error(`python reader exited (${code ?? signal})\n${stderr}`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const next = () => new Promise((resolve, reject) => (exited ? reject(exited) : waiting.push({ resolve, reject })));
  const hello = await next();
  if (!hello.ok) throw new Error(`python reader: ${JSON.stringify(hello)}`);
  let id = 0;
  return {
    version: hello.result.version,
    async dump(root) {
      const p = next();
      proc.stdin.write(JSON.stringify({ id: ++id, op: 'dump', root }) + '\n');
      const r = await p;
      if (!r.ok) throw new Error(`python dump failed: ${JSON.stringify(r.error)}`);
      return r.result;
    },
    async close() {
      if (exited) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.stdin.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
}

/** Listing-level and per-entity errors of a dump ([] when everything was read). */
export function dumpErrors(dump) {
  const errs = [];
  const isErr = (x) => x && typeof x === 'object' && !Array.isArray(x) && 'error' in x;
  if (isErr(dump.experiments)) errs.push(`experiments: ${dump.experiments.error.message}`);
  for (const [eid, runs] of Object.entries(dump.runs ?? {})) if (isErr(runs)) errs.push(`runs of ${eid}: ${runs.error.message}`);
  for (const [rid, h] of Object.entries(dump.metricHistory ?? {}))
    for (const [k, v] of Object.entries(h)) if (isErr(v)) errs.push(`history ${rid}/${k}: ${v.error.message}`);
  return errs;
}

function allRuns(dump) {
  const out = new Map();
  for (const runs of Object.values(dump.runs ?? {})) if (Array.isArray(runs)) for (const r of runs) out.set(r.info.runId, r);
  return out;
}

const STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

/** Problems with a run's info (fields a half-written meta.yaml would lack or garble). */
export function runInfoProblems(r, experimentId) {
  const i = r.info ?? {};
  const p = [];
  if (!/^[0-9a-f]{32}$/.test(i.runId ?? '')) p.push(`runId ${JSON.stringify(i.runId)}`);
  if (i.experimentId !== experimentId) p.push(`experimentId ${JSON.stringify(i.experimentId)}`);
  if (!STATUSES.has(i.status)) p.push(`status ${JSON.stringify(i.status)}`);
  if (typeof i.startTime !== 'number' || !(i.startTime > 0)) p.push(`startTime ${JSON.stringify(i.startTime)}`);
  if (i.lifecycleStage !== 'active') p.push(`lifecycleStage ${JSON.stringify(i.lifecycleStage)}`);
  if (typeof i.artifactUri !== 'string' || !i.artifactUri.endsWith(`${i.runId}/artifacts`)) p.push(`artifactUri ${JSON.stringify(i.artifactUri)}`);
  if (typeof i.userId !== 'string' || i.userId === '') p.push(`userId ${JSON.stringify(i.userId)}`);
  if (typeof i.runName !== 'string' || i.runName === '') p.push(`runName ${JSON.stringify(i.runName)}`);
  if (i.status === 'FINISHED' && !(typeof i.endTime === 'number' && i.endTime > 0)) p.push(`endTime ${JSON.stringify(i.endTime)}`);
  return p.map((x) => `run ${i.runId}: bad ${x}`);
}

// ------------------------------------------------------------------------------------------ crash

/** What a crash writer acknowledged, accumulated over rounds. */
export function newAcks() {
  return {
    runs: new Set(),
    ended: new Set(),
    params: new Map(), // `${run}\0${key}` -> value
    tags: new Map(), // `${run}\0${key}` -> last acknowledged counter (number) or value
    metrics: new Map(), // `${run}\0${key}` -> Set of values
    points: 0,
    ops: 0,
  };
}

function addMetric(acks, run, key, value) {
  const k = `${run}\0${key}`;
  let s = acks.metrics.get(k);
  if (!s) acks.metrics.set(k, (s = new Set()));
  s.add(value);
  acks.points++;
}

export function recordAckLine(acks, line) {
  const sp = line.indexOf(' ');
  const kind = sp === -1 ? line : line.slice(0, sp);
  const rest = sp === -1 ? '' : line.slice(sp + 1);
  if (kind === 'READY' || kind === 'DONE') return;
  acks.ops++;
  if (kind === 'RUN') acks.runs.add(rest);
  else if (kind === 'END') acks.ended.add(rest);
  else if (kind === 'M') {
    const [run, key, value] = rest.split(' ');
    addMetric(acks, run, key, Number(value));
  } else if (kind === 'P') {
    const [run, key, value] = rest.split(' ');
    acks.params.set(`${run}\0${key}`, value);
  } else if (kind === 'T') {
    const [run, key, value] = rest.split(' ');
    acks.tags.set(`${run}\0${key}`, value);
  } else if (kind === 'B') {
    const b = JSON.parse(rest);
    for (const [key, value] of b.metrics) addMetric(acks, b.run, key, value);
    for (const [key, value] of b.params) acks.params.set(`${b.run}\0${key}`, value);
    for (const [key, value] of b.tags) acks.tags.set(`${b.run}\0${key}`, value);
  } else throw new Error(`unexpected writer line: ${line}`);
}

/**
 * One round: starts crash-writer.mjs on `root` (continuing `resume` runs), kills it with SIGKILL
 * `killAfterMs` after it is ready, and adds every acknowledged operation to `acks`.
 */
export async function crashRound({ libDir = buildLib(), root, experimentId, seed, base, killAfterMs, resume = [], acks }) {
  const child = spawn(
    process.execPath,
    [path.join(WORKERS, 'crash-writer.mjs'), libDir, root, experimentId, String(seed), String(base), ...resume],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let buf = '';
  let stderr = '';
  let ready;
  const readyP = new Promise((r) => (ready = r));
  let lines = 0;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'READY') ready();
      else recordAckLine(acks, line);
      lines++;
    }
  });
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((r) => child.on('close', (code, signal) => r({ code, signal })));
  const first = await Promise.race([readyP.then(() => 'ready'), exited.then(() => 'exit')]);
  if (first === 'exit') throw new Error(`crash writer died before READY:\n${stderr}`);
  await sleep(killAfterMs);
  child.kill('SIGKILL');
  const res = await exited;
  // A line cut by the kill (no newline) was not acknowledged: `buf` is dropped on purpose.
  if (res.signal !== 'SIGKILL') throw new Error(`crash writer ended by itself (${res.code}):\n${stderr}`);
  return { lines, partialLine: buf.length > 0 };
}

/**
 * Everything acknowledged is in the dump; every run shown is whole. Returns the problems,
 * the acknowledged points missing, and param/tag keys nobody ever logged (strays).
 */
export function checkCrash(dump, acks, experimentId) {
  const problems = dumpErrors(dump);
  const runs = allRuns(dump);
  let lost = 0;
  const strays = [];
  for (const [, r] of runs) problems.push(...runInfoProblems(r, experimentId));
  for (const id of acks.runs) if (!runs.has(id)) problems.push(`acknowledged run ${id} missing`);
  for (const id of acks.ended) {
    const r = runs.get(id);
    if (r && r.info.status !== 'FINISHED') problems.push(`run ${id} acknowledged as ended but status ${r.info.status}`);
  }
  for (const [k, v] of acks.params) {
    const [run, key] = k.split('\0');
    const got = runs.get(run)?.data.params[key];
    if (got !== v) problems.push(`param ${run}/${key}: want ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
  }
  for (const [k, v] of acks.tags) {
    const [run, key] = k.split('\0');
    const got = runs.get(run)?.data.tags[key];
    if (got === undefined) problems.push(`tag ${run}/${key} missing`);
    else if (key === 'mlflow.runName') {
      if (!/^renamed-\d+$/.test(got) || Number(got.slice(8)) < Number(v.slice(8))) problems.push(`tag ${run}/${key}: ${got} older than ${v}`);
    } else if (!(Number(got) >= Number(v))) problems.push(`tag ${run}/${key}: ${got} older than acknowledged ${v}`);
  }
  for (const [k, values] of acks.metrics) {
    const [run, key] = k.split('\0');
    const h = dump.metricHistory?.[run]?.[key];
    if (!Array.isArray(h)) {
      lost += values.size;
      problems.push(`metric ${run}/${key}: ${h ? h.error.message : 'missing'} (${values.size} acknowledged points)`);
      continue;
    }
    const count = new Map();
    for (const m of h) count.set(m.value, (count.get(m.value) ?? 0) + 1);
    let missing = 0;
    for (const v of values) if (!count.has(v)) missing++;
    for (const [v, c] of count) if (c > 1) problems.push(`metric ${run}/${key}: value ${v} present ${c} times`);
    // Every writer logs timestamp = 1.7e12 + value: a point breaking that is a torn line read as data.
    for (const m of h) {
      if (m.timestamp !== 1_700_000_000_000 + m.value) problems.push(`metric ${run}/${key}: bogus point ${JSON.stringify([m.timestamp, m.value, m.step])} (torn line?)`);
    }
    if (missing) problems.push(`metric ${run}/${key}: ${missing} acknowledged points missing`);
    lost += missing;
  }
  const STRAY = /^\..*\.[0-9a-f]{12}\.tmp$/;
  for (const [, r] of runs) {
    for (const kind of ['params', 'tags']) {
      for (const key of Object.keys(r.data[kind])) if (STRAY.test(key.split('/').pop())) strays.push(`${r.info.runId} ${kind}/${key}`);
    }
  }
  return { problems, lost, strays };
}

/** Cheap structural comparison of two dumps: same runs, infos, params, tags, metric histories. */
export function compareDumps(a, b) {
  const diffs = [];
  const ra = allRuns(a);
  const rb = allRuns(b);
  const canon = (x) => JSON.stringify(x, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
  for (const id of new Set([...ra.keys(), ...rb.keys()])) {
    const x = ra.get(id);
    const y = rb.get(id);
    if (!x || !y) {
      diffs.push(`run ${id} only in ${x ? 'first' : 'second'}`);
      continue;
    }
    for (const f of ['status', 'startTime', 'endTime', 'runName', 'lifecycleStage', 'experimentId', 'userId']) {
      if (x.info[f] !== y.info[f]) diffs.push(`run ${id} info.${f}: ${x.info[f]} vs ${y.info[f]}`);
    }
    for (const kind of ['params', 'tags', 'metrics']) {
      if (canon(x.data[kind]) !== canon(y.data[kind])) diffs.push(`run ${id} data.${kind} differ`);
    }
    const hx = a.metricHistory?.[id] ?? {};
    const hy = b.metricHistory?.[id] ?? {};
    for (const key of new Set([...Object.keys(hx), ...Object.keys(hy)])) {
      const vx = Array.isArray(hx[key]) ? hx[key].map((m) => [m.timestamp, m.step, m.value]) : hx[key];
      const vy = Array.isArray(hy[key]) ? hy[key].map((m) => [m.timestamp, m.step, m.value]) : hy[key];
      if (canon(vx) !== canon(vy)) diffs.push(`run ${id} history ${key} differs`);
    }
  }
  return diffs;
}

/**
 * A crash campaign: `rounds` writers killed at random moments on one store; after each kill both
 * readers are checked. Returns figures and all problems found.
 */
export async function crashCampaign({ root, rounds, seed = 1, minDelayMs = 30, maxDelayMs = 700, python, onRound, libDir = buildLib() }) {
  const { MlflowClient } = await import(pathToFileURL(path.join(libDir, 'tracking', 'client.js')).href);
  const client = new MlflowClient(root);
  const experimentId = await client.createExperiment(`crash-${seed}`);
  const rand = mulberry32(seed);
  const acks = newAcks();
  const figures = { rounds: 0, kills: 0, acknowledgedOps: 0, acknowledgedPoints: 0, pointsLost: 0, pythonReads: 0, ourReads: 0, strays: 0, partialLines: 0 };
  const problems = [];
  const strays = new Set();
  for (let round = 0; round < rounds; round++) {
    const killAfterMs = Math.floor(minDelayMs + rand() * (maxDelayMs - minDelayMs));
    const resume = [...acks.runs].filter((r) => !acks.ended.has(r)).slice(-3);
    const res = await crashRound({ libDir, root, experimentId, seed: seed * 1000 + round, base: (round + 1) * 10_000_000, killAfterMs, resume, acks });
    figures.rounds++;
    figures.kills++;
    if (res.partialLine) figures.partialLines++;
    const readers = [['ours', await ourDump(root, libDir)]];
    figures.ourReads++;
    if (python) {
      readers.push(['python', await python.dump(root)]);
      figures.pythonReads++;
    }
    let lostThisRound = 0;
    for (const [who, dump] of readers) {
      const c = checkCrash(dump, acks, experimentId);
      for (const p of c.problems) problems.push(`round ${round} (${who}, kill after ${killAfterMs} ms): ${p}`);
      for (const s of c.strays) strays.add(s);
      lostThisRound = Math.max(lostThisRound, c.lost);
    }
    if (readers.length === 2) for (const d of compareDumps(readers[0][1], readers[1][1])) problems.push(`round ${round}: ours vs python: ${d}`);
    figures.pointsLost = Math.max(figures.pointsLost, lostThisRound);
    onRound?.({ round, killAfterMs, acks, readers, problems });
  }
  figures.acknowledgedOps = acks.ops;
  figures.acknowledgedPoints = acks.points;
  figures.strays = strays.size;
  return { figures, problems, strays: [...strays], experimentId, acks };
}

// ------------------------------------------------------------------------------------------ concurrency

function startWriter(cmd, args, env) {
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const ready = (async () => {
    while (!out.includes('READY\n')) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`writer died before READY: ${err}`);
      await sleep(20);
    }
  })();
  return { child, ready, done, output: () => out, stderr: () => err };
}

/**
 * Two Python and two TypeScript writers log into one experiment and one run for `ms`
 * milliseconds. Returns the store and every writer's log of what it wrote.
 */
export async function concurrencyRun({ root, ms, libDir = buildLib(), pythonWriters = 2, nodeWriters = 2 }) {
  const { MlflowClient } = await import(pathToFileURL(path.join(libDir, 'tracking', 'client.js')).href);
  const client = new MlflowClient(root);
  const experimentId = await client.createExperiment(`conc-${Date.now()}`);
  const shared = (await client.createRun(experimentId, { runName: 'shared' })).info.runId;
  const writers = [];
  let w = 1;
  for (let k = 0; k < pythonWriters; k++, w++) {
    writers.push(startWriter(pythonPath('3'), [path.join(WORKERS, 'conc_writer.py'), root, experimentId, shared, String(w), String(ms)], childEnv()));
  }
  for (let k = 0; k < nodeWriters; k++, w++) {
    writers.push(startWriter(process.execPath, [path.join(WORKERS, 'conc-writer.mjs'), libDir, root, experimentId, shared, String(w), String(ms)], childEnv()));
  }
  try {
    await Promise.all(writers.map((x) => x.ready));
  } catch (err) {
    for (const x of writers) x.child.kill('SIGKILL');
    throw err;
  }
  for (const x of writers) x.child.stdin.end('GO\n');
  // A writer that hangs is killed (and reported) instead of hanging the caller.
  const watchdog = setTimeout(() => writers.forEach((x) => x.child.kill('SIGKILL')), ms + 60_000);
  const results = await Promise.all(writers.map((x) => x.done));
  clearTimeout(watchdog);
  const logs = [];
  results.forEach((res, k) => {
    const x = writers[k];
    if (res.code !== 0) throw new Error(`writer ${k + 1} failed (${res.code ?? res.signal}): ${x.stderr()}`);
    const last = x.output().trim().split('\n').pop();
    logs.push(JSON.parse(last));
  });
  await client.setTerminated(shared);
  return { experimentId, shared, logs };
}

/** Every point logged is present exactly once, every param and tag present with its value. */
export function checkConcurrency(dump, logs) {
  const problems = dumpErrors(dump);
  const runs = allRuns(dump);
  const want = new Map(); // `${run}\0${key}` -> Set of values
  let points = 0;
  let lost = 0;
  let params = 0;
  let tags = 0;
  for (const log of logs) {
    for (const [run, key, value] of log.metrics) {
      const k = `${run}\0${key}`;
      if (!want.has(k)) want.set(k, new Set());
      want.get(k).add(value);
      points++;
    }
    for (const run of log.runs) if (!runs.has(run)) problems.push(`run ${run} of writer ${log.writer} missing`);
    for (const [run, key, value] of log.params) {
      params++;
      if (runs.get(run)?.data.params[key] !== value) problems.push(`param ${key}: want ${value}, got ${runs.get(run)?.data.params[key]}`);
    }
    for (const [run, key, value] of log.tags) {
      tags++;
      if (runs.get(run)?.data.tags[key] !== value) problems.push(`tag ${key}: want ${value}, got ${runs.get(run)?.data.tags[key]}`);
    }
  }
  for (const [k, values] of want) {
    const [run, key] = k.split('\0');
    const h = dump.metricHistory?.[run]?.[key];
    if (!Array.isArray(h)) {
      problems.push(`metric ${run}/${key} unreadable`);
      lost += values.size;
      continue;
    }
    const count = new Map();
    for (const m of h) count.set(m.value, (count.get(m.value) ?? 0) + 1);
    for (const v of values) if (!count.has(v)) lost++;
    for (const [v, c] of count) {
      if (c !== 1) problems.push(`metric ${run}/${key}: value ${v} present ${c} times`);
      if (!values.has(v)) problems.push(`metric ${run}/${key}: value ${v} never logged`);
    }
  }
  if (lost) problems.push(`${lost} points lost`);
  for (const [, r] of runs) problems.push(...runInfoProblems(r, r.info.experimentId));
  return { problems, points, lost, params, tags };
}
