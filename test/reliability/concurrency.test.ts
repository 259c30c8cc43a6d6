/**
 * Concurrency: two Python (MLflow 3.17) and two TypeScript processes log into one experiment and
 * one run at the same time (metrics, params, tags, batches, new runs), for a bounded time. Every
 * point logged is present exactly once, every param and tag is there, and our read equals
 * Python's read, field by field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffValues, normalizeDump } from '../oracle/normalize.js';
import type { Dump } from '../oracle/oracle.js';
import { suiteFigures } from './figures.js';
import { checkConcurrency, compareDumps, concurrencyRun, ourDump, startPythonReader } from './harness.mjs';
import type { PythonReader, WriterLog } from './harness.mjs';
import { buildLib } from './lib.mjs';
import { catalogMatchesScan } from './catalog-check.js';

const MS = Number(process.env['RELIABILITY_CONC_MS'] ?? 3000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-rel-conc-'));
const fig = suiteFigures('concurrency');
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

const strip = (d: Dump): Dump => ({ version: 'x', experiments: d.experiments, runs: d.runs, metricHistory: d.metricHistory });

describe('four writers, one run', () => {
  const root = path.join(tmp, 'mlruns');
  let logs: WriterLog[] = [];
  let experimentId = '';

  it(`2 Python + 2 TypeScript processes for ${MS} ms: every point exactly once, params and tags all there, both readers agree`, async () => {
    const run = await concurrencyRun({ root, ms: MS, libDir: lib });
    logs = run.logs;
    experimentId = run.experimentId;
    const ours = await ourDump(root, lib);
    const theirs = await py.dump(root);
    const a = checkConcurrency(ours, logs);
    const b = checkConcurrency(theirs, logs);
    fig.add({ cases: 1, faults: 0, pointsLost: Math.max(a.lost, b.lost), points: a.points, params: a.params, tags: a.tags, writers: logs.length });
    expect(a.problems).toEqual([]);
    expect(b.problems).toEqual([]);
    expect(a.points).toBeGreaterThan(100);
    // Each writer did work (none starved by locks).
    for (const l of logs) expect(l.metrics.length).toBeGreaterThan(10);
    expect(compareDumps(ours, theirs)).toEqual([]);
    expect(diffValues(normalizeDump(strip(ours), { version: '3', roots: [root] }), normalizeDump(strip(theirs), { version: '3', roots: [root] }))).toEqual([]);
    expect(ours.warnings).toEqual([]);
  });

  // The catalog (src/catalog) answers searches from an index kept by a watcher: at the end of the
  // race, its answer must equal a full scan. catalogMatchesScan says whether the catalog exists yet.
  it('the catalog answers as a full scan after the race (when src/catalog exports openCatalog and catalogSearchRuns)', async () => {
    expect(experimentId).not.toBe('');
    const res = await catalogMatchesScan(root, [experimentId]);
    fig.add({ cases: res.checked ? 1 : 0 });
    if (res.checked) expect(res.diffs).toEqual([]);
    else expect(res.reason).toMatch(/not built yet/);
  });
});
