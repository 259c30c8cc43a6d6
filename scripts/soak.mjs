#!/usr/bin/env node
// Reliability soak: the crash and concurrency campaigns of test/reliability/, for as long as asked.
//   npm run soak                      # 60 s
//   SOAK_SECONDS=600 npm run soak     # 10 minutes
// Other settings: SOAK_SEED (default: time-based, printed), SOAK_CONC_MS (one concurrency race,
// default 10000), SOAK_CRASH_ROUNDS (rounds per crash campaign, default 8), SOAK_KEEP=1 (keep the
// stores of failed rounds for inspection). Alternates: a crash campaign (a Node writer killed with
// SIGKILL at random moments; after each kill our reader and Python MLflow 3.17 must read the store
// without error, lose nothing acknowledged and agree) and a race (2 Python + 2 TypeScript writers
// on one run; every point exactly once, both readers agree). Prints a summary, writes it to
// test/reliability/soak-figures.json, and exits 1 on any problem or lost point.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkConcurrency,
  compareDumps,
  concurrencyRun,
  crashCampaign,
  ourDump,
  startPythonReader,
} from '../test/reliability/harness.mjs';
import { REPO_ROOT, buildLib, pythonPath } from '../test/reliability/lib.mjs';

const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const seed = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000_007);
const concMs = Number(process.env.SOAK_CONC_MS ?? 10_000);
const crashRounds = Number(process.env.SOAK_CRASH_ROUNDS ?? 8);
const keep = process.env.SOAK_KEEP === '1';

if (!fs.existsSync(pythonPath('3'))) {
  console.error(`soak: Python oracle missing (${pythonPath('3')}): run \`npm run oracle\` first`);
  process.exit(2);
}

const lib = buildLib();
const python = await startPythonReader();
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-soak-'));
const deadline = Date.now() + seconds * 1000;
const figures = {
  seed,
  seconds,
  crashCampaigns: 0,
  kills: 0,
  acknowledgedOps: 0,
  acknowledgedPoints: 0,
  races: 0,
  racePoints: 0,
  raceParams: 0,
  raceTags: 0,
  pointsLost: 0,
  problems: 0,
};
const problems = [];
const t0 = Date.now();
const log = (msg) => console.log(`[soak ${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${msg}`);
log(`seed ${seed}, ${seconds} s, stores under ${base}`);

let i = 0;
try {
  while (Date.now() < deadline) {
    const root = path.join(base, `s${i}`, 'mlruns');
    const before = problems.length;
    if (i % 2 === 0) {
      const res = await crashCampaign({ root, rounds: crashRounds, seed: seed + i, python, libDir: lib });
      figures.crashCampaigns++;
      figures.kills += res.figures.kills;
      figures.acknowledgedOps += res.figures.acknowledgedOps;
      figures.acknowledgedPoints += res.figures.acknowledgedPoints;
      figures.pointsLost += res.figures.pointsLost;
      problems.push(...res.problems.map((p) => `crash #${i} (seed ${seed + i}): ${p}`));
      problems.push(...res.strays.map((s) => `crash #${i}: stray temp entry read as data: ${s}`));
      log(`crash campaign #${i}: ${res.figures.kills} kills, ${res.figures.acknowledgedOps} ops / ${res.figures.acknowledgedPoints} points acknowledged, ${res.figures.pointsLost} lost, ${res.problems.length + res.strays.length} problems`);
    } else {
      const ms = Math.max(1000, Math.min(concMs, deadline - Date.now()));
      const run = await concurrencyRun({ root, ms, libDir: lib });
      const ours = await ourDump(root, lib);
      const theirs = await python.dump(root);
      const a = checkConcurrency(ours, run.logs);
      const b = checkConcurrency(theirs, run.logs);
      figures.races++;
      figures.racePoints += a.points;
      figures.raceParams += a.params;
      figures.raceTags += a.tags;
      figures.pointsLost += Math.max(a.lost, b.lost);
      problems.push(...a.problems.map((p) => `race #${i} ours: ${p}`), ...b.problems.map((p) => `race #${i} python: ${p}`));
      problems.push(...compareDumps(ours, theirs).map((p) => `race #${i} ours vs python: ${p}`));
      log(`race #${i} (${ms} ms, 4 writers): ${a.points} points, ${a.params} params, ${a.tags} tags, ${Math.max(a.lost, b.lost)} lost, ${problems.length - before} problems`);
    }
    if (problems.length === before || !keep) fs.rmSync(path.dirname(root), { recursive: true, force: true });
    i++;
  }
} finally {
  await python.close();
  if (!keep || problems.length === 0) fs.rmSync(base, { recursive: true, force: true });
}

figures.problems = problems.length;
const out = path.join(REPO_ROOT, 'test', 'reliability', 'soak-figures.json');
fs.writeFileSync(out, JSON.stringify({ ...figures, finished: new Date().toISOString(), firstProblems: problems.slice(0, 50) }, null, 2) + '\n');
for (const p of problems.slice(0, 50)) console.log(`  PROBLEM ${p}`);
log(`done: ${JSON.stringify(figures)} (written to ${path.relative(REPO_ROOT, out)})`);
process.exit(problems.length > 0 || figures.pointsLost > 0 ? 1 : 0);
