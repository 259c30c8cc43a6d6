/**
 * The catalog's series summaries (what a chart of many runs is drawn from without reading metric
 * files): each block's first, last, min and max point and byte offset equal a direct computation
 * over the points the charts' reader gives for the file; a summary extended by appended lines
 * (as the watcher's refresh does, from the stored head and last chunks) equals one built from
 * scratch; the catalog keeps them with its metric rows (cold build, appends, rewrites, removed
 * metrics); and the chart series answered from them keeps every spike, with a small range read
 * as the real points from the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import { B, SUMMARY_MIN_BYTES, SUM_CHUNK, SUM_FIELDS, SummaryBuilder, blockSize, decodeHead, f64 } from '../../src/catalog/summary.js';
import type { SummaryRow } from '../../src/catalog/summary.js';
import { summarySeries } from '../../src/catalog/series-read.js';
import type { SummarySource } from '../../src/catalog/series-read.js';
import { forEachMetricLine } from '../../src/format/metric-bytes.js';
import { mulberry32 } from '../reliability/harness.mjs';
import { SeriesCache, decimateTyped } from '../../src/ui/server/series.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-summary-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Seeded pseudo-random numbers (seeds are non-zero: the same sequence as before). */
const rng = mulberry32;

/** Metric lines of `n` points from step `s0` (NaN now and then, a spike, a damaged line). */
function lines(n: number, s0: number, r: () => number): string {
  let t = '';
  for (let s = s0; s < s0 + n; s++) {
    const v = s === 7777 ? 1e6 : s === 4321 ? -1e6 : s % 97 === 3 ? 'nan' : (Math.sin(s / 50) + r() * 0.1).toString();
    t += `${1_700_000_000_000 + s} ${v} ${s}\n`;
    if (s % 1000 === 999) t += 'garbage line here now\n';
  }
  return t;
}

/** The points the charts' reader gives (step, value, line offset). */
function points(buf: Buffer): { xs: number[]; ys: number[]; offs: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  const offs: number[] = [];
  forEachMetricLine(buf, 0, buf.lastIndexOf(10) + 1, (_ts, v, step, at) => {
    xs.push(step);
    ys.push(v);
    offs.push(at);
  });
  return { xs, ys, offs };
}

/** Rows by (level, chunk), later rows replacing earlier ones (as INSERT OR REPLACE does). */
type Store = Map<string, SummaryRow>;
const put = (store: Store, rows: SummaryRow[]): void => rows.forEach((r) => store.set(`${r.level}/${r.chunk}`, r));

/** A level's blocks from stored rows. */
function levelBlocks(store: Store, level: number): Float64Array {
  const parts = [...store.values()].filter((r) => r.level === level).sort((a, b) => a.chunk - b.chunk);
  const out = new Float64Array(parts.reduce((a, p) => a + p.data.byteLength / 8, 0));
  let at = 0;
  for (const p of parts) {
    out.set(f64(p.data), at);
    at += p.data.byteLength / 8;
  }
  return out;
}

/** Checks every block of every level against a direct computation over the points. */
function expectSummary(store: Store, p: { xs: number[]; ys: number[]; offs: number[] }, label: string): void {
  const head = decodeHead(store.get('-1/0')!);
  expect(head.n, label).toBe(p.xs.length);
  expect(head.sorted, label).toBe(p.xs.every((x, i) => i === 0 || x >= p.xs[i - 1]!));
  expect([head.x0, head.x1], label).toEqual([p.xs[0], p.xs[p.xs.length - 1]]);
  expect(head.counts.length, label).toBeGreaterThan(0);
  expect(head.counts[head.counts.length - 1]!, `${label} top level`).toBeLessThanOrEqual(32);
  head.counts.forEach((count, level) => {
    const blocks = levelBlocks(store, level);
    const size = blockSize(level);
    expect(count, `${label} L${level} count`).toBe(Math.ceil(p.xs.length / size));
    expect(blocks.length, `${label} L${level} stored`).toBe(count * SUM_FIELDS);
    for (let b = 0; b < count; b++) {
      const i0 = b * size;
      const i1 = Math.min(p.xs.length, i0 + size);
      let iMin = -1;
      let iMax = -1;
      for (let i = i0; i < i1; i++) {
        const v = p.ys[i]!;
        if (Number.isNaN(v)) continue;
        if (iMin < 0 || v < p.ys[iMin]!) iMin = i;
        if (iMax < 0 || v > p.ys[iMax]!) iMax = i;
      }
      const o = b * SUM_FIELDS;
      const got = Array.from(blocks.subarray(o, o + SUM_FIELDS));
      const want = [
        p.offs[i0]!,
        p.xs[i0]!,
        p.ys[i0]!,
        p.xs[i1 - 1]!,
        p.ys[i1 - 1]!,
        iMin < 0 ? p.xs[i0]! : p.xs[iMin]!,
        iMin < 0 ? NaN : p.ys[iMin]!,
        iMax < 0 ? p.xs[i0]! : p.xs[iMax]!,
        iMax < 0 ? NaN : p.ys[iMax]!,
      ];
      expect(got, `${label} L${level} block ${b}`).toEqual(want);
    }
  });
}

describe('series summary', () => {
  it('each block of each level is the direct computation over the points, and an extended summary equals one built at once', () => {
    const r = rng(3);
    const text = Buffer.from(lines(70_000, 0, r) + '17000 5 3\n'); // a decreasing step at the end
    const all = points(text);
    const once: Store = new Map();
    const b = new SummaryBuilder();
    b.feed(text, 0, text.length, 0);
    put(once, b.rows());
    expectSummary(once, all, 'at once');
    expect(decodeHead(once.get('-1/0')!).sorted).toBe(false);
    // Appended in pieces: cut anywhere (mid-line too: only complete lines are fed), resumed from
    // the stored head and the last chunk of each level, as the catalog does.
    for (const cuts of [[1, 15, 16, 17, 513, 2048, 2049, 9000, 70_000], [31, 40_000], [8192 * 16 + 5]]) {
      const store: Store = new Map();
      let done = 0;
      for (const c of [...cuts.map((k) => Math.min(text.length, k * 18)), text.length]) {
        const end = text.lastIndexOf(10, c - 1) + 1;
        if (end <= done) continue;
        const head = store.size ? decodeHead(store.get('-1/0')!) : null;
        const last = new Map<number, Float64Array>();
        head?.counts.forEach((n, level) => {
          if (n > 0) last.set(level, f64(store.get(`${level}/${Math.floor((n - 1) / SUM_CHUNK)}`)!.data));
        });
        const builder = head ? SummaryBuilder.resume(head, last)! : new SummaryBuilder();
        expect(builder, `resumed at ${done}`).toBeDefined();
        expect(builder.end).toBe(done);
        builder.feed(text.subarray(done, end), 0, end - done, done);
        put(store, builder.rows());
        done = end;
        expectSummary(store, points(text.subarray(0, done)), `cuts ${cuts.join(',')} at ${done}`);
      }
      for (const [k, row] of once) expect(Buffer.from(store.get(k)!.data).equals(Buffer.from(row.data)), `${cuts.join(',')}: ${k}`).toBe(true);
      expect(store.size).toBe(once.size);
    }
  });

  it('a stored summary missing a chunk is not resumed (rebuilt instead)', () => {
    const text = Buffer.from(lines(5000, 0, rng(4)));
    const b = new SummaryBuilder();
    b.feed(text, 0, text.length, 0);
    const rows = b.rows();
    const head = decodeHead(rows[0]!);
    expect(SummaryBuilder.resume(head, new Map())).toBeUndefined();
  });
});

describe('in the catalog', () => {
  let root: string;
  let runId: string;
  let file: string;
  const catDir = path.join(tmp, 'catalogs');

  beforeAll(async () => {
    root = path.join(tmp, 'mlruns');
    const c = new MlflowClient(root, { catalog: 'off' });
    const exp = await c.createExperiment('summary');
    runId = (await c.createRun(exp)).info.runId;
    await c.logMetric(runId, 'other', 1, { step: 0 });
    c.close();
    file = path.join(root, exp, runId, 'metrics', 'signal');
    fs.writeFileSync(file, lines(20_000, 0, rng(5)));
  });

  /** The catalog's summary rows of a metric. */
  function stored(cat: ReturnType<typeof openCatalog>, key: string): Store {
    const rows = cat.db
      .prepare('SELECT s.level, s.chunk, s.x0, s.x1, s.data FROM msum s JOIN runs r ON r.rid = s.rid WHERE r.run_id = ? AND s.key = ?')
      .all(runId, key) as SummaryRow[];
    const s: Store = new Map();
    put(s, rows);
    return s;
  }

  it('is built with the metric rows, extended on appends, rebuilt on a rewrite, removed with the metric', () => {
    const cat = openCatalog(root, { dir: catDir, workers: 0 });
    try {
      cat.refresh();
      expectSummary(stored(cat, 'signal'), points(fs.readFileSync(file)), 'cold build');
      // Appends (one with a partial last line, which waits for its newline).
      fs.appendFileSync(file, lines(3000, 20_000, rng(6)) + '1700000099999 0.5');
      cat.refresh();
      const grown = fs.readFileSync(file);
      expectSummary(stored(cat, 'signal'), points(grown), 'appended');
      expect(decodeHead(stored(cat, 'signal').get('-1/0')!).end).toBe(grown.lastIndexOf(10) + 1);
      fs.appendFileSync(file, ' 23000\n');
      cat.refresh();
      expectSummary(stored(cat, 'signal'), points(fs.readFileSync(file)), 'line completed');
      // A rewrite (shorter, still summarized): rebuilt, no stale chunk left.
      fs.writeFileSync(file, lines(2000, 0, rng(7)));
      expect(fs.statSync(file).size).toBeGreaterThan(SUMMARY_MIN_BYTES);
      cat.refresh();
      expectSummary(stored(cat, 'signal'), points(fs.readFileSync(file)), 'rewritten');
      const rebuilt = new SummaryBuilder();
      const rewritten = fs.readFileSync(file);
      rebuilt.feed(rewritten, 0, rewritten.length, 0);
      expect([...stored(cat, 'signal').keys()].sort()).toEqual(rebuilt.rows().map((r) => `${r.level}/${r.chunk}`).sort());
      // A short history keeps no summary (nothing stale either): its chart is read from the file
      // by the caller, and grown past SUMMARY_MIN_BYTES it gets one built from the whole file.
      fs.writeFileSync(file, lines(100, 0, rng(7)));
      cat.refresh();
      expect(stored(cat, 'signal').size).toBe(0);
      expect(stored(cat, 'other').size).toBe(0);
      const sources = new Map<string, SummarySource>();
      expect(summarySeries(cat.db, [runId], 'signal', { width: 100, from: null, to: null }, cat.root, sources).has(runId)).toBe(false);
      expect(summarySeries(cat.db, [runId], 'other', { width: 100, from: null, to: null }, cat.root, sources).has(runId)).toBe(false);
      expect(summarySeries(cat.db, [runId], 'never-logged', { width: 100, from: null, to: null }, cat.root, sources).get(runId)?.xs.length).toBe(0);
      fs.appendFileSync(file, lines(3000, 100, rng(8)));
      cat.refresh();
      expectSummary(stored(cat, 'signal'), points(fs.readFileSync(file)), 'grown past the minimum');
      // Removed with the metric file.
      fs.rmSync(file);
      cat.refresh();
      expect(stored(cat, 'signal').size).toBe(0);
    } finally {
      cat.close();
      fs.writeFileSync(file, lines(20_000, 0, rng(5)));
    }
  });

  it("reads the points the UI's series cache reads (damaged lines skipped, NaN kept)", () => {
    const bytes = fs.readFileSync(file);
    const p = points(bytes);
    const s = new SeriesCache(64 * 1024 * 1024, null).read(file);
    expect(s.skipped).toBeGreaterThan(0);
    expect(Array.from(s.steps.subarray(0, s.length))).toEqual(p.xs);
    expect(Array.from(s.values.subarray(0, s.length))).toEqual(p.ys);
  });

  it('chart series: summary points keep every spike (coarse or not); a small range is the real points, read from the file', () => {
    const cat = openCatalog(root, { dir: catDir, workers: 0 });
    try {
      cat.refresh();
      const p = points(fs.readFileSync(file));
      const cases = [[null, null, 300], [0, 10_000, 200], [7000, 9000, 100], [4000, 4500, 20], [7770, 7790, 50], [7777, 7777, 5]] as const;
      for (const [[from, to, width], coarse] of cases.flatMap((c) => [[c, false], [c, true]] as const)) {
        const sources = new Map<string, SummarySource>();
        const got = summarySeries(cat.db, [runId, 'not-a-run'], 'signal', { width, from, to, coarse }, cat.root, sources);
        expect(got.has('not-a-run')).toBe(false);
        const s = got.get(runId)!;
        const label = `[${from}, ${to}] / ${width}${coarse ? ' coarse' : ''}`;
        const lo = from ?? -Infinity;
        const hi = to ?? Infinity;
        const inRange = p.xs.map((x, i) => [x, p.ys[i]!] as const).filter(([x]) => x >= lo && x <= hi);
        const real = inRange.filter(([, y]) => !Number.isNaN(y)).map(([, y]) => y);
        const d = decimateTyped([s], { width, from, to });
        const shown = Array.from(d.ys[0]!).filter((v) => !Number.isNaN(v));
        // The range's extremes are drawn (a spike always shows).
        expect(Math.max(...shown), label).toBe(Math.max(...real));
        expect(Math.min(...shown), label).toBe(Math.min(...real));
        if (sources.get(runId) === 'file') {
          // Real points: exactly the points of the range.
          const xs = Array.from(s.xs).filter((x) => x >= lo && x <= hi);
          expect(xs, label).toEqual(inRange.map(([x]) => x));
        } else {
          expect(sources.get(runId), label).toBe('summary');
          expect(d.decimated, label).toBe(true);
          expect(Math.abs(d.pointsInRange - inRange.length), label).toBeLessThanOrEqual(blockSize(3));
        }
      }
      // Coarse (a chart of many runs): a coarser level, about half the points, over a wide range.
      const n = (coarse: boolean): number => summarySeries(cat.db, [runId], 'signal', { width: 300, from: null, to: null, coarse }, cat.root).get(runId)!.xs.length;
      expect(n(true)).toBeLessThan(n(false) * 0.75);
      // The whole range is answered from summaries, a 20-step range from the file.
      const src = (from: number | null, to: number | null): SummarySource | undefined => {
        const m = new Map<string, SummarySource>();
        summarySeries(cat.db, [runId], 'signal', { width: 100, from, to }, cat.root, m);
        return m.get(runId);
      };
      expect(src(null, null)).toBe('summary');
      expect(src(7770, 7790)).toBe('file');
      expect(src(50_000, 60_000)).toBe('empty');
      // A run without the metric: an empty series.
      expect(summarySeries(cat.db, [runId], 'nope', { width: 100, from: null, to: null }, cat.root).get(runId)!.xs.length).toBe(0);
    } finally {
      cat.close();
    }
  });
});

void B;
