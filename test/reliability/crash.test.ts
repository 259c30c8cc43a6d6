/**
 * Crash safety. A Node process logging through MlflowClient is killed with SIGKILL (1) at random
 * moments, round after round on one store, and (2) at each file-system call of a fixed sequence of
 * operations, in turn (fs-inject.mjs). After every kill, our reader and Python MLflow 3.17 read the
 * store without error, every acknowledged run/param/tag/metric point is there (exactly once), every
 * run shown is whole (no half-written meta.yaml read as valid), and both readers agree.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { diffValues, normalizeDump } from '../oracle/normalize.js';
import type { Dump } from '../oracle/oracle.js';
import { suiteFigures } from './figures.js';
import { checkCrash, compareDumps, crashCampaign, newAcks, ourDump, recordAckLine, startPythonReader } from './harness.mjs';
import type { PythonReader } from './harness.mjs';
import { WORKERS, buildLib } from './lib.mjs';

const ROUNDS = Number(process.env['RELIABILITY_CRASH_ROUNDS'] ?? 4);
const POINTS = Number(process.env['RELIABILITY_CRASH_POINTS'] ?? 24);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-rel-crash-'));
const fig = suiteFigures('crash');
let py: PythonReader;
let lib: string;

beforeAll(async () => {
  lib = buildLib();
  py = await startPythonReader();
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  fig.write();
});

/** Both dumps compared field by field, as the oracle tests compare them. */
function fullDiff(ours: Dump, theirs: Dump, root: string): unknown[] {
  const strip = (d: Dump): Dump => ({ version: 'x', experiments: d.experiments, runs: d.runs, metricHistory: d.metricHistory });
  return diffValues(normalizeDump(strip(ours), { version: '3', roots: [root] }), normalizeDump(strip(theirs), { version: '3', roots: [root] }));
}

describe('SIGKILL at random moments', () => {
  it(`${ROUNDS} rounds: nothing acknowledged is lost, no half-written run is read, Python agrees`, async () => {
    const root = path.join(tmp, 'random', 'mlruns');
    const res = await crashCampaign({ root, rounds: ROUNDS, seed: Number(process.env['RELIABILITY_SEED'] ?? 20261126), python: py, libDir: lib, maxDelayMs: 450 });
    fig.add({ cases: res.figures.rounds, faults: res.figures.kills, pointsLost: res.figures.pointsLost, acknowledgedOps: res.figures.acknowledgedOps, acknowledgedPoints: res.figures.acknowledgedPoints, strayTempEntries: res.figures.strays });
    expect(res.problems).toEqual([]);
    expect(res.figures.pointsLost).toBe(0);
    expect(res.figures.acknowledgedPoints).toBeGreaterThan(0);
    const ours = await ourDump(root, lib);
    expect(fullDiff(ours, await py.dump(root), root)).toEqual([]);
    // Folders of runs killed before their meta.yaml are skipped with a warning, never shown.
    for (const w of ours.warnings) expect(['MISSING_META']).toContain(w.code);
  });
});

interface PointResult {
  k: number;
  problems: string[];
  strays: string[];
  lost: number;
}

function runScript(env: Record<string, string>, args: string[]): Promise<{ stdout: string; stderr: string; signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', path.join(WORKERS, 'fs-inject.mjs'), path.join(WORKERS, 'crash-script.mjs'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, signal, code });
    });
  });
}

describe('SIGKILL at each file-system call of a fixed sequence', () => {
  const results: PointResult[] = [];
  let total = 0;

  // Fails before patch 02-atomic-new-files.diff: a kill between creating a new metric file and
  // writing it leaves an empty file, and Python then cannot list the experiment (see below).
  it('kills before each chosen call: every acknowledged operation survives, every run is whole', async () => {
    const template = path.join(tmp, 'template', 'mlruns');
    const c = new MlflowClient(template);
    const eid = await c.createExperiment('points');
    const runA = (await c.createRun(eid, { runName: 'a' })).info.runId;
    const args = (root: string): string[] => [lib, root, eid, runA];
    // A dry run counts the mutating calls (and proves the script itself works).
    const dry = path.join(tmp, 'dry', 'mlruns');
    fs.cpSync(template, dry, { recursive: true });
    const counted = await runScript({ FS_FAULT_MODE: 'count', FS_FAULT_PATH: dry }, args(dry));
    expect(counted.code, counted.stderr).toBe(0);
    expect(counted.stdout).toContain('DONE');
    total = Number(/FSCALLS (\d+)/.exec(counted.stderr)?.[1]);
    expect(total).toBeGreaterThan(20);
    // Every call when the budget allows, else POINTS calls spread over the sequence.
    const picks = new Set<number>();
    if (POINTS >= total) for (let k = 1; k <= total; k++) picks.add(k);
    else for (let i = 0; i < POINTS; i++) picks.add(1 + Math.round((i * (total - 1)) / (POINTS - 1)));
    for (const k of picks) {
      const root = path.join(tmp, `point-${k}`, 'mlruns');
      fs.cpSync(template, root, { recursive: true });
      const r = await runScript({ FS_FAULT_MODE: 'crash', FS_FAULT_AT: String(k), FS_FAULT_PATH: root }, args(root));
      expect(r.signal, `call ${k}: ${r.stderr}`).toBe('SIGKILL');
      const acks = newAcks();
      acks.runs.add(runA);
      for (const line of r.stdout.split('\n')) if (line) recordAckLine(acks, line);
      const ours = await ourDump(root, lib);
      const theirs = await py.dump(root);
      const a = checkCrash(ours, acks, eid);
      const b = checkCrash(theirs, acks, eid);
      const problems = [...a.problems.map((p) => `ours: ${p}`), ...b.problems.map((p) => `python: ${p}`), ...compareDumps(ours, theirs).map((p) => `ours vs python: ${p}`)];
      results.push({ k, problems, strays: [...new Set([...a.strays, ...b.strays])], lost: Math.max(a.lost, b.lost) });
      fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
    fig.add({ cases: results.length, faults: results.length, pointsLost: Math.max(0, ...results.map((r) => r.lost)), crashPointsInSequence: total });
    expect(results.filter((r) => r.problems.length > 0).map((r) => `call ${r.k}/${total}: ${r.problems.join('; ')}`)).toEqual([]);
    expect(results.every((r) => r.lost === 0)).toBe(true);
  });

  // BUG (patch atomic-new-files.diff): appendText opens (creates) a new metric file, then writes;
  // a kill in between leaves an empty metric file, and Python's search_runs then fails for the
  // whole experiment ("Metric 'm0' is malformed. No data found."). MLflow has the same window;
  // we need not: a new metric file can appear with its first lines at once (temp + link).
  it('a kill between creating a new metric file and writing it leaves nothing Python cannot read', async () => {
    const root = path.join(tmp, 'empty-metric', 'mlruns');
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('points');
    const runA = (await c.createRun(eid, { runName: 'a' })).info.runId;
    // Mutating calls on '<run>/metrics/m0': 1 = open(O_APPEND|O_CREAT), 2 = the write.
    const r = await runScript({ FS_FAULT_MODE: 'crash', FS_FAULT_AT: '2', FS_FAULT_PATH: path.join(runA, 'metrics', 'm0') }, [lib, root, eid, runA]);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    fig.add({ cases: 1, faults: 1 });
    const acks = newAcks();
    acks.runs.add(runA);
    for (const line of r.stdout.split('\n')) if (line) recordAckLine(acks, line);
    const theirs = await py.dump(root);
    expect(checkCrash(theirs, acks, eid).problems).toEqual([]);
    expect(checkCrash(await ourDump(root, lib), acks, eid).problems).toEqual([]);
  });

  // BUG (patch atomic-new-files.diff): writeFileAtomic puts its temp file next to the
  // target, so a kill between write and rename leaves `params/.<key>.<hex>.tmp` (or tags/), which
  // both readers then show as a param/tag that was never logged.
  it('a kill between temp write and rename leaves no stray param or tag', () => {
    expect(results.length).toBeGreaterThan(0);
    expect(results.flatMap((r) => r.strays.map((s) => `call ${r.k}/${total}: ${s}`))).toEqual([]);
  });
});
