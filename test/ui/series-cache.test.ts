/**
 * The chart's decimation cache: the min/max pyramid and the persisted metric columns give the
 * same first / min / max / last per bucket as a direct computation over the points (Python
 * MLflow's metric history is the reference for the points), at any zoom, for a spike, after the
 * file grows (Python appends), after a restart (the persisted columns are read, then extended),
 * and after a rewrite (re-read). The binary answer of /api/series carries the same numbers as
 * its JSON answer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { startUi } from '../../src/ui/server/index.js';
import type { UiServer } from '../../src/ui/server/index.js';
import { CHART_POINTS, POINTS_PER_BUCKET, Pyramid, SeriesCache, chartBuckets, decimateTyped, pyramidOf } from '../../src/ui/server/series.js';
import type { XY } from '../../src/ui/server/series.js';
import { PyChild, ensureBundle, request } from './helpers.js';

let base: string;
let root: string;
let runId: string;
let metricFile: string;
let py: PyChild;

/** Seeded pseudo-random numbers (a test that fails says which seed). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The direct computation: per bucket of [from, to] in `width`, first / min / max / last by a scan. */
function direct(xs: number[], ys: number[], from: number, to: number, width: number): Map<number, { first: number; min: number; max: number; last: number; n: number }> {
  const out = new Map<number, { first: number; min: number; max: number; last: number; n: number }>();
  const inv = 1 / ((to - from || 1) / width);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (x < from || x > to) continue;
    const b = Math.min(width - 1, Math.floor((x - from) * inv));
    const v = ys[i]!;
    const o = out.get(b);
    if (!o) out.set(b, { first: v, min: v, max: v, last: v, n: 1 });
    else {
      o.last = v;
      o.n++;
      if (Number.isNaN(o.min) || v < o.min) o.min = Number.isNaN(v) ? o.min : v;
      if (Number.isNaN(o.max) || v > o.max) o.max = Number.isNaN(v) ? o.max : v;
    }
  }
  return out;
}

/** Checks a decimated answer (one run) against the direct computation, bucket by bucket. */
function expectSame(d: ReturnType<typeof decimateTyped>, xs: number[], ys: number[], from: number, to: number, width: number, label: string): void {
  expect(d.decimated, label).toBe(true);
  const want = direct(xs, ys, from, to, width);
  const y = d.ys[0]!;
  const same = (a: number, b: number): boolean => (Number.isFinite(a) ? a === b : !Number.isFinite(b));
  for (let b = 0; b < width; b++) {
    const w = want.get(b);
    const slots = [y[b * 4]!, y[b * 4 + 1]!, y[b * 4 + 2]!, y[b * 4 + 3]!];
    if (!w) {
      expect(slots.every((v) => Number.isNaN(v)), `${label} bucket ${b} empty`).toBe(true);
      continue;
    }
    if (w.n === 1) {
      expect(same(slots[0]!, w.first) && slots.slice(1).every((v) => Number.isNaN(v)), `${label} bucket ${b} single`).toBe(true);
      continue;
    }
    expect(same(slots[0]!, w.first), `${label} bucket ${b} first`).toBe(true);
    expect(same(slots[3]!, w.last), `${label} bucket ${b} last`).toBe(true);
    const mid = [slots[1]!, slots[2]!].filter((v) => !Number.isNaN(v));
    if (!Number.isNaN(w.min)) {
      expect(Math.min(...mid), `${label} bucket ${b} min`).toBe(w.min);
      expect(Math.max(...mid), `${label} bucket ${b} max`).toBe(w.max);
    }
  }
}

/** The points as Python MLflow reads them (step, timestamp, value). */
async function pyHistory(): Promise<{ xs: number[]; ys: number[]; ts: number[] }> {
  const h = await py.call<{ points: [number, number, number | 'NaN'][] }>({ op: 'metric_history', run_id: runId, key: 'signal' });
  return { xs: h.points.map((p) => p[0]), ts: h.points.map((p) => p[1]), ys: h.points.map((p) => (p[2] === 'NaN' ? NaN : p[2])) };
}

const SPIKE = 61_733;

beforeAll(async () => {
  ensureBundle();
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-series-'));
  root = path.join(base, 'mlruns');
  const c = new MlflowClient(root, { catalog: 'off' });
  const exp = await c.createExperiment('series');
  const run = await c.createRun(exp, { runName: 'signal', startTime: 1_700_000_000_000 });
  runId = run.info.runId;
  const r = rng(7);
  for (let s0 = 0; s0 < 100_000; s0 += 10_000) {
    const pts = [];
    for (let s = s0; s < s0 + 10_000; s++) {
      const value = s === SPIKE ? 1000 : s === 12_345 ? -1000 : s % 9973 === 0 ? NaN : Math.sin(s / 500) + r() * 0.1;
      pts.push({ key: 'signal', value, step: s, timestamp: 1_700_000_000_000 + s });
    }
    await c.logBatch(runId, { metrics: pts });
  }
  c.close();
  metricFile = path.join(root, exp, runId, 'metrics', 'signal');
  py = new PyChild(root);
  await py.ready();
}, 300_000);

afterAll(() => {
  py?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

describe('min/max pyramid', () => {
  it('gives the first min and first max of any index range, as a scan does (NaN skipped)', () => {
    const r = rng(11);
    for (const n of [1, 15, 16, 17, 255, 256, 4097, 70_000]) {
      const v = Float64Array.from({ length: n }, (_, i) => (i % 97 === 5 ? NaN : Math.round(r() * 50)));
      const p = new Pyramid();
      // built in pieces, as a growing file is
      for (let m = Math.min(n, 7); m <= n; m = m === n ? n + 1 : Math.min(n, m * 3)) p.update(v, m);
      for (let k = 0; k < 300; k++) {
        const a = Math.floor(r() * n);
        const b = a + 1 + Math.floor(r() * (n - a));
        let iMin = -1;
        let iMax = -1;
        for (let i = a; i < b; i++) {
          if (Number.isNaN(v[i]!)) continue;
          if (iMin < 0 || v[i]! < v[iMin]!) iMin = i;
          if (iMax < 0 || v[i]! > v[iMax]!) iMax = i;
        }
        expect(p.minMax(v, a, b), `n=${n} [${a}, ${b})`).toEqual({ iMin, iMax });
      }
    }
  });
});

describe('point budget of a chart', () => {
  it('one bucket per pixel for few runs, at most CHART_POINTS in all for many, and a spike of one run among 1,000 still shows', () => {
    expect(chartBuckets(1200, 1)).toBe(1200);
    expect(chartBuckets(1200, 104)).toBe(1200);
    expect(chartBuckets(1200, 105)).toBeLessThan(1200);
    expect(chartBuckets(1200, 1000)).toBe(125);
    expect(chartBuckets(1200, 5000)).toBe(25);
    for (const runs of [1, 10, 100, 333, 1000, 2500, 5000]) {
      for (const px of [200, 800, 1276, 4000]) {
        const b = chartBuckets(px, runs);
        expect(b, `${runs} runs ${px} px`).toBeLessThanOrEqual(px);
        expect(b * POINTS_PER_BUCKET * runs, `${runs} runs ${px} px`).toBeLessThanOrEqual(Math.max(CHART_POINTS, POINTS_PER_BUCKET * runs));
      }
    }
    const xs = Float64Array.from({ length: 10_000 }, (_, i) => i);
    const runs: XY[] = Array.from({ length: 1000 }, (_, k) => ({ id: `r${k}`, xs, ys: Float64Array.from(xs, (x) => (k === 617 && x === 4321 ? 1000 : Math.sin(x / 100 + k))) }));
    const d = decimateTyped(runs, { width: chartBuckets(1276, runs.length) });
    expect(d.decimated).toBe(true);
    expect(d.x.length * runs.length).toBeLessThanOrEqual(CHART_POINTS);
    expect(Math.max(...d.ys[617]!.filter((v) => !Number.isNaN(v)))).toBe(1000);
  });
});

describe('decimation cache', () => {
  const zooms = (n: number): [number, number, number][] => [
    [0, n - 1, 800],
    [0, n - 1, 64],
    [n / 2, n - 1, 300],
    [SPIKE - 5000, SPIKE + 5000, 1000],
    [SPIKE - 100, SPIKE + 100, 7],
    [SPIKE - 3, SPIKE + 3, 1],
    [12_000, 13_000, 10],
  ];

  it('first / min / max / last per bucket equal the direct computation over Python\'s points, and a spike shows at every zoom', async () => {
    const dir = path.join(base, 'cache-1');
    const cache = new SeriesCache(64 * 1024 * 1024, dir);
    const s = cache.read(metricFile);
    const h = await pyHistory();
    expect(s.length).toBe(h.xs.length);
    expect(Array.from(s.steps.subarray(0, s.length))).toEqual(h.xs);
    expect(Array.from(s.timestamps.subarray(0, s.length))).toEqual(h.ts);
    const run: XY = { id: 'a', xs: s.steps.subarray(0, s.length), ys: s.values, sorted: s.stepsSorted === true, pyramid: pyramidOf(s) };
    for (const [from, to, width] of zooms(h.xs.length)) {
      const d = decimateTyped([run], { width, from, to });
      expectSame(d, h.xs, h.ys, from, to, width, `[${from}, ${to}] / ${width}`);
      // the same answer without the pyramid (a plain scan) and without knowing the order
      const plain = decimateTyped([{ id: 'a', xs: h.xs, ys: h.ys }], { width, from, to });
      expect(Array.from(plain.ys[0]!)).toEqual(Array.from(d.ys[0]!));
      if (from <= SPIKE && SPIKE <= to) expect(Math.max(...Array.from(d.ys[0]!).filter((v) => !Number.isNaN(v))), `spike at [${from}, ${to}]`).toBe(1000);
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
  });

  it('after the file grows (Python appends), after a restart (persisted columns, extended) and after a rewrite', async () => {
    const dir = path.join(base, 'cache-2');
    const cache = new SeriesCache(64 * 1024 * 1024, dir);
    const s1 = cache.read(metricFile);
    pyramidOf(s1);
    const n0 = s1.length;
    // Python appends points, one a new spike beyond the old end, then a dip
    for (const [step, value] of [
      [100_000, 5000],
      [100_001, 0.25],
      [100_002, -7000],
      [100_003, 0.5],
    ] as const) {
      await py.call({ op: 'log_metric', run_id: runId, key: 'signal', value, step, timestamp: 1_700_000_100_000 + step });
    }
    const check = async (s: ReturnType<SeriesCache['read']>, label: string): Promise<void> => {
      const h = await pyHistory();
      expect(s.length, label).toBe(h.xs.length);
      const run: XY = { id: 'a', xs: s.steps.subarray(0, s.length), ys: s.values, sorted: s.stepsSorted === true, pyramid: pyramidOf(s) };
      for (const [from, to, width] of [...zooms(h.xs.length), [99_990, 100_003, 3], [0, 100_003, 500]] as [number, number, number][]) {
        expectSame(decimateTyped([run], { width, from, to }), h.xs, h.ys, from, to, width, `${label} [${from}, ${to}] / ${width}`);
      }
      const all = decimateTyped([run], { width: 200 });
      const ys = Array.from(all.ys[0]!).filter((v) => !Number.isNaN(v));
      expect([Math.max(...ys), Math.min(...ys)], label).toEqual([5000, -7000]);
    };
    const s2 = cache.read(metricFile);
    expect(s2.length).toBe(n0 + 4);
    await check(s2, 'grown');
    // a restart: a new cache reads the persisted columns (saved before the growth) and only the
    // appended lines; the result is the same
    const restarted = new SeriesCache(64 * 1024 * 1024, dir);
    const s3 = restarted.read(metricFile);
    expect(s3.saved, 'the persisted columns were read (saved before the growth)').toBe(n0);
    await check(s3, 'restarted');
    // the persisted columns are what a direct read gives
    const fresh = new SeriesCache(64 * 1024 * 1024, null).read(metricFile);
    expect(Array.from(s3.values.subarray(0, s3.length))).toEqual(Array.from(fresh.values.subarray(0, fresh.length)));
    // a rewrite in place (same size, other bytes) is noticed: the persisted columns are not used
    const text = fs.readFileSync(metricFile, 'utf8');
    const lines = text.split('\n');
    lines[lines.length - 2] = lines[lines.length - 2]!.replace(/ 0\.5 /, ' 9.5 ');
    expect(lines.join('\n').length).toBe(text.length);
    fs.writeFileSync(metricFile, lines.join('\n'));
    const s4 = new SeriesCache(64 * 1024 * 1024, dir).read(metricFile);
    expect(s4.values[s4.length - 1]).toBe(9.5);
    await check(s4, 'rewritten');
    fs.writeFileSync(metricFile, text);
  });

  it('the binary answer of /api/series carries the JSON answer\'s numbers (Float32 when decimated)', async () => {
    let ui: UiServer | undefined;
    try {
      ui = await startUi({ root, port: 0, catalogDir: path.join(base, 'cat') });
      const auth = { 'X-Mlruns-Token': ui.token };
      for (const qs of ['width=300', `width=50&from=${SPIKE - 10}&to=${SPIKE + 10}`, `width=5&from=${SPIKE - 3}&to=${SPIKE + 3}&all=1`]) {
        const json = JSON.parse((await request(ui.origin, `/api/series?runs=${runId}&key=signal&${qs}`, { headers: auth })).body);
        const bin = await new Promise<Buffer>((resolve, reject) => {
          const u = new URL(ui!.origin);
          import('node:http').then(({ default: http }) =>
            http
              .get({ host: u.hostname, port: u.port, path: `/api/series?runs=${runId}&key=signal&${qs}&format=bin`, headers: { ...auth, Host: u.host } }, (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () => resolve(Buffer.concat(chunks)));
              })
              .on('error', reject),
          );
        });
        const hl = bin.readUInt32LE(0);
        const head = JSON.parse(bin.subarray(4, 4 + hl).toString('utf8'));
        const start = Math.ceil((4 + hl) / 8) * 8;
        const copy = new Uint8Array(bin.subarray(start)).buffer;
        const x = Array.from(new Float64Array(copy, 0, head.n));
        const ys = head.yBytes === 8 ? new Float64Array(copy, head.n * 8, head.n) : new Float32Array(copy, head.n * 8, head.n);
        expect(head.decimated, qs).toBe(json.decimated);
        expect(head.pointsInRange, qs).toBe(json.pointsInRange);
        expect(x, qs).toEqual(json.x);
        const toNull = Array.from(ys, (v) => (Number.isNaN(v) ? null : v));
        const want = (json.ys[0] as (number | null)[]).map((v) => (v === null ? null : head.yBytes === 8 ? v : Math.fround(v)));
        // the JSON rounds to 7 significant digits, the binary to Float32: equal to 1e-6 relative
        toNull.forEach((v, i) => {
          if (want[i] === null || v === null) expect(v, `${qs} #${i}`).toBe(want[i]);
          else expect(Math.abs(v - want[i]!), `${qs} #${i}`).toBeLessThanOrEqual(Math.abs(want[i]!) * 1e-6);
        });
        if (qs.includes(`from=${SPIKE - 10}`)) expect(Math.max(...toNull.filter((v): v is number => v !== null))).toBe(1000);
      }
    } finally {
      await ui?.close();
    }
  });
});
