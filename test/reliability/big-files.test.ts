/**
 * Huge files do not exhaust memory: a 1 GB metric file (real lines, streamed to disk), a 1 GB
 * sparse metric file (a few lines then a hole), a 1 GB sparse param file, and 100 MB meta.yaml
 * files (run and experiment) are read by a child process limited to a 512 MB heap, which must
 * finish (no hang) with a result or a clear typed error, never a crash; damaged files are
 * skipped with a warning and everything else in the store is still read.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { suiteFigures } from './figures.js';
import { WORKERS, buildLib } from './lib.mjs';

const GB = 1024 ** 3;
const BIG = Number(process.env['RELIABILITY_BIG_BYTES'] ?? GB);
/**
 * Hang guards, not speed targets (speed is measured by bench/, never asserted here): the 512 MB
 * child reading a store with a 1 GB file of real lines took 20-50 s on a loaded 2-core machine; a
 * child that loops or waits forever is killed after these and the test fails.
 */
const CHILD_BUDGET_MS = Number(process.env['RELIABILITY_BIG_BUDGET_MS'] ?? 240_000);
/** The guard when the huge file is a hole or refused (nothing to parse). */
const REFUSE_BUDGET_MS = Number(process.env['RELIABILITY_REFUSE_BUDGET_MS'] ?? 120_000);
vi.setConfig({ testTimeout: CHILD_BUDGET_MS + 60_000 });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-rel-big-'));
const fig = suiteFigures('big-files');
let lib: string;
beforeAll(() => {
  lib = buildLib();
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fig.write();
});

interface ReadResult {
  experiments: string[] | null;
  runs: Array<{ runId: string; metrics: Record<string, number>; params: string[] }> | null;
  run: { metrics: Record<string, number> } | null;
  errors: Array<{ what: string; name: string; code: string | null; message: string }>;
  warnings: Array<{ code: string; path: string; message: string }>;
  ms: number;
  heapMB: number;
}

function readInSmallHeap(root: string, experimentId: string, runId: string, budgetMs = REFUSE_BUDGET_MS): Promise<{ result?: ReadResult; crash?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=512', path.join(WORKERS, 'big-read.mjs'), lib, root, experimentId, runId], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-3000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, budgetMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ crash: `no answer within ${budgetMs} ms` });
      else if (code !== 0) resolve({ crash: `exit ${code ?? signal}: ${stderr.slice(-800)}` });
      else resolve({ result: JSON.parse(stdout.trim().split('\n').pop() as string) as ReadResult });
    });
  });
}

async function newStore(name: string): Promise<{ root: string; eid: string; run: string; runDir: string }> {
  const root = path.join(tmp, name, 'mlruns');
  const c = new MlflowClient(root);
  const eid = await c.createExperiment(name);
  const run = (await c.createRun(eid)).info.runId;
  await c.logMetric(run, 'small', 0.25, { step: 3, timestamp: 5 });
  await c.logParam(run, 'p', 'v');
  return { root, eid, run, runDir: path.join(root, eid, run) };
}

/** Writes `bytes` of real metric lines (steps increasing inside each 1 MiB block), then one last point. */
function writeMetricFile(p: string, bytes: number, last: string): void {
  let block = '';
  for (let k = 0; block.length < (1 << 20) - 64; k++) block += `1700000000000 0.${k % 1000} ${k}\n`;
  const buf = Buffer.from(block);
  const fd = fs.openSync(p, 'w');
  try {
    for (let written = 0; written < bytes; written += buf.length) fs.writeSync(fd, buf);
    fs.writeSync(fd, last);
  } finally {
    fs.closeSync(fd);
  }
}

/** A file of `lines`, then a hole up to `bytes` (sparse: no disk used). */
function writeSparse(p: string, lines: string, bytes: number): void {
  fs.writeFileSync(p, lines);
  fs.truncateSync(p, bytes);
}

describe('a 512 MB heap reads stores with huge files', () => {
  // BUG (patch metric-chunks-fast.diff): the chunked reader parses every line into a Metric
  // object (parseRunMetricFile) instead of the fast scan: ~2 minutes per GB here.
  it(`a ${BIG / GB} GB metric file of real lines: the latest value, in a 512 MB heap`, async () => {
    const { root, eid, run, runDir } = await newStore('metric-real');
    writeMetricFile(path.join(runDir, 'metrics', 'huge'), BIG, '1700000000001 0.75 99999999\n');
    fig.add({ cases: 1, faults: 1 });
    const { result, crash } = await readInSmallHeap(root, eid, run, CHILD_BUDGET_MS);
    expect(crash).toBeUndefined();
    expect(result?.errors).toEqual([]);
    expect(result?.runs?.[0]?.metrics).toEqual({ huge: 0.75, small: 0.25 });
  });

  // BUG (patch metric-chunks-fast.diff): readLineChunks carries a line until its '\n': a file
  // with no line break (a hole, binary garbage) grows one string to the whole file - out of
  // memory, or minutes of copying. Lines longer than any MLflow line must be refused.
  it(`a ${BIG / GB} GB sparse metric file (lines, then a hole): skipped with a warning, the rest read`, async () => {
    const { root, eid, run, runDir } = await newStore('metric-sparse');
    writeSparse(path.join(runDir, 'metrics', 'holey'), '1 0.5 1\n2 0.75 2\n', BIG);
    fig.add({ cases: 1, faults: 1 });
    const { result, crash } = await readInSmallHeap(root, eid, run);
    expect(crash).toBeUndefined();
    expect(result?.errors).toEqual([]);
    expect(result?.runs?.[0]?.metrics['small']).toBe(0.25);
    expect(result?.warnings.some((w) => w.code === 'MALFORMED_METRIC' && w.path.endsWith('holey'))).toBe(true);
  });

  it(`a ${BIG / GB} GB sparse param file: a result or a clear typed error`, async () => {
    const { root, eid, run, runDir } = await newStore('param-sparse');
    writeSparse(path.join(runDir, 'params', 'huge'), 'x', BIG);
    fig.add({ cases: 1, faults: 1 });
    const { result, crash } = await readInSmallHeap(root, eid, run);
    expect(crash).toBeUndefined();
    for (const e of result?.errors ?? []) {
      expect(e.name).toBe('MlflowError');
      expect(e.message).toContain(path.join(runDir, 'params', 'huge'));
    }
  });

  it('a 100 MB run meta.yaml: the run is skipped with a MALFORMED_META warning, getRun fails typed', async () => {
    const { root, eid, run, runDir } = await newStore('meta-run');
    const other = (await new MlflowClient(root).createRun(eid)).info.runId;
    const pad = Buffer.from(`# ${'x'.repeat(1021)}\n`.repeat(1024));
    const fd = fs.openSync(path.join(runDir, 'meta.yaml'), 'a');
    for (let i = 0; i < 100; i++) fs.writeSync(fd, pad);
    fs.closeSync(fd);
    fig.add({ cases: 1, faults: 1 });
    const { result, crash } = await readInSmallHeap(root, eid, run);
    expect(crash).toBeUndefined();
    expect(result?.runs?.map((r) => r.runId)).toEqual([other]);
    expect(result?.warnings.some((w) => w.code === 'MALFORMED_META' && w.path === path.join(runDir, 'meta.yaml'))).toBe(true);
    expect(result?.errors.map((e) => [e.what, e.name])).toEqual([['getRun', 'MlflowError']]);
  });

  it('a 100 MB experiment meta.yaml (one line): the experiment is skipped with a warning', async () => {
    const { root, eid, run } = await newStore('meta-exp');
    const p = path.join(root, eid, 'meta.yaml');
    const fd = fs.openSync(p, 'a');
    const pad = Buffer.from('y'.repeat(1 << 20));
    fs.writeSync(fd, 'description: ');
    for (let i = 0; i < 100; i++) fs.writeSync(fd, pad);
    fs.closeSync(fd);
    fig.add({ cases: 1, faults: 1 });
    const { result, crash } = await readInSmallHeap(root, eid, run);
    expect(crash).toBeUndefined();
    expect(result?.experiments).toEqual(['0']);
    expect(result?.warnings.some((w) => w.path === p)).toBe(true);
  });
});
