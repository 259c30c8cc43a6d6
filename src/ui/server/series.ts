/**
 * Metric series for charts: each metric file is read once into typed arrays and then only its
 * appended bytes (a byte offset per file, as the catalog keeps), and a chart's request is
 * answered by decimation: for each pixel column (bucket) of the requested x range and each run,
 * the first, the min, the max and the last point of the bucket (a spike always shows).
 *
 * @example
 * ```ts
 * const cache = new SeriesCache();
 * const s = cache.read('/mlruns/1/abc/metrics/loss');
 * decimate([{ id: 'abc', xs: s.steps, ys: s.values }], { width: 800 });
 * ```
 */
import fs from 'node:fs';

/** One run's points of one metric, in file order (x arrays are derived per request). */
export interface Series {
  file: string;
  /** Bytes consumed (complete lines only). */
  offset: number;
  length: number;
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
  /** Lines that could not be read (damaged). */
  skipped: number;
  /** File identity, to notice a rewrite (truncate or replace). */
  ino: number;
}

function grow(a: Float64Array, need: number): Float64Array {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, a.length * 2, 64));
  b.set(a);
  return b;
}

/** Python's `float()` spellings MLflow writes (nan, inf, -inf and ordinary numbers). */
function pyFloat(s: string): number {
  const n = Number(s);
  if (!Number.isNaN(n) || s === 'NaN') return n;
  const l = s.toLowerCase();
  if (l === 'nan' || l === '+nan' || l === '-nan') return NaN;
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return NaN;
}

/**
 * Appends the complete lines of `text` to `s` (MLflow's run metric lines: `ts value [step]` or
 * `ts value step dataset digest`; as MLflow reads them, only a 3-field line carries its step).
 */
function parseInto(s: Series, text: string): void {
  let i = 0;
  const n = text.length;
  while (i < n) {
    let j = text.indexOf('\n', i);
    if (j === -1) j = n;
    const line = text.slice(i, j).trim();
    i = j + 1;
    if (line === '') continue;
    const parts = line.split(' ');
    const k = parts.length;
    if (k !== 2 && k !== 3 && k !== 5) {
      s.skipped++;
      continue;
    }
    const ts = Number(parts[0]);
    const v = pyFloat(parts[1]!);
    const step = k === 3 ? Number(parts[2]) : 0;
    if (!Number.isFinite(ts) || !Number.isFinite(step) || (Number.isNaN(v) && !/nan/i.test(parts[1]!))) {
      s.skipped++;
      continue;
    }
    const at = s.length;
    s.steps = grow(s.steps, at + 1);
    s.values = grow(s.values, at + 1);
    s.timestamps = grow(s.timestamps, at + 1);
    s.steps[at] = step;
    s.values[at] = v;
    s.timestamps[at] = ts;
    s.length = at + 1;
  }
}

/**
 * Metric files read into memory, kept current by reading only what was appended.
 *
 * @example
 * ```ts
 * new SeriesCache(256 * 1024 * 1024).read(file).length;
 * ```
 */
export class SeriesCache {
  private readonly map = new Map<string, Series>();
  private bytes = 0;

  /** @param maxBytes memory budget of the cached arrays; the least recently used go first. */
  constructor(private readonly maxBytes = 512 * 1024 * 1024) {}

  /** The series of a metric file, brought up to date (appended bytes read); throws ENOENT. */
  read(file: string): Series {
    let s = this.map.get(file);
    const fd = fs.openSync(file, 'r');
    try {
      const st = fs.fstatSync(fd);
      if (s && (st.ino !== s.ino || st.size < s.offset)) {
        this.drop(file);
        s = undefined;
      }
      if (!s) {
        s = { file, offset: 0, length: 0, steps: new Float64Array(0), values: new Float64Array(0), timestamps: new Float64Array(0), skipped: 0, ino: st.ino };
      } else {
        this.map.delete(file); // re-inserted below: most recently used last
        this.bytes -= s.steps.byteLength * 3;
      }
      if (st.size > s.offset) {
        const len = st.size - s.offset;
        const buf = Buffer.allocUnsafe(len);
        let got = 0;
        while (got < len) {
          const r = fs.readSync(fd, buf, got, len - got, s.offset + got);
          if (r === 0) break;
          got += r;
        }
        const last = buf.lastIndexOf(10, got - 1);
        if (last >= 0) {
          parseInto(s, buf.toString('utf8', 0, last + 1));
          s.offset += last + 1;
        }
      }
      this.map.set(file, s);
      this.bytes += s.steps.byteLength * 3;
      this.evict();
      return s;
    } finally {
      fs.closeSync(fd);
    }
  }

  private drop(file: string): void {
    const s = this.map.get(file);
    if (!s) return;
    this.bytes -= s.steps.byteLength * 3;
    this.map.delete(file);
  }

  private evict(): void {
    for (const k of this.map.keys()) {
      if (this.bytes <= this.maxBytes || this.map.size <= 1) break;
      this.drop(k);
    }
  }
}

/** One run's x and y for a chart (same length; NaN x values are skipped). */
export interface XY {
  id: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

/** A decimated chart answer: one shared x grid and per run its y values (null = no point). */
export interface Decimated {
  x: number[];
  ys: (number | null)[][];
  /** The data's x extent over all runs (before the requested range cut it). */
  extent: [number, number] | null;
  /** Points in the requested range over all runs, and points sent. */
  pointsInRange: number;
  decimated: boolean;
}

/**
 * Decimates runs over `[from, to]` into `width` buckets. In a bucket each run contributes its
 * first, min, max and last point (in x order), placed on 4 sub-positions of the bucket so that
 * every run shares one x grid (at most 4 points per pixel column per run; a single spike is
 * always one of them). With `all`, or when every point fits, the real points are sent (the x
 * grid is the union of every run's x).
 *
 * @example
 * ```ts
 * decimate([{ id: 'a', xs: [0, 1, 2], ys: [1, 9, 1] }], { width: 2 }).ys[0]; // the 9 is kept
 * ```
 */
export function decimate(runs: XY[], opts: { width: number; from?: number | null; to?: number | null; all?: boolean; maxPoints?: number }): Decimated {
  let lo = Infinity;
  let hi = -Infinity;
  const sortedRun: boolean[] = [];
  for (const r of runs) {
    let sorted = true;
    let prev = -Infinity;
    for (let i = 0; i < r.xs.length; i++) {
      const x = r.xs[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (x < prev) sorted = false;
      prev = x;
    }
    sortedRun.push(sorted);
  }
  const extent: [number, number] | null = lo <= hi ? [lo, hi] : null;
  const from = opts.from ?? lo;
  const to = opts.to ?? hi;
  const width = Math.max(1, Math.min(8192, Math.floor(opts.width)));
  // Indices of each run's points inside the range, sorted by x (a binary search when the run's x
  // never decreases, the usual case of steps and times).
  const idx: Uint32Array[] = [];
  let inRange = 0;
  runs.forEach((r, k) => {
    let a: Uint32Array;
    if (sortedRun[k]) {
      const n = r.xs.length;
      let s0 = 0;
      let e0 = n;
      let l = 0;
      let h = n;
      while (l < h) {
        const m = (l + h) >>> 1;
        if (r.xs[m]! < from) l = m + 1;
        else h = m;
      }
      s0 = l;
      h = n;
      while (l < h) {
        const m = (l + h) >>> 1;
        if (r.xs[m]! <= to) l = m + 1;
        else h = m;
      }
      e0 = l;
      a = new Uint32Array(Math.max(0, e0 - s0));
      for (let i = 0; i < a.length; i++) a[i] = s0 + i;
    } else {
      const sel: number[] = [];
      for (let i = 0; i < r.xs.length; i++) {
        const x = r.xs[i]!;
        if (x >= from && x <= to) sel.push(i);
      }
      a = Uint32Array.from(sel);
      a.sort((p, q) => r.xs[p]! - r.xs[q]! || p - q);
    }
    idx.push(a);
    inRange += a.length;
  });
  const maxPoints = opts.maxPoints ?? 4 * width * Math.max(1, runs.length);
  if (opts.all || inRange <= Math.min(maxPoints, 4 * width)) {
    // Real points: union of x values.
    const xsSet = new Set<number>();
    runs.forEach((r, k) => {
      for (const i of idx[k]!) xsSet.add(r.xs[i]!);
    });
    const x = [...xsSet].sort((a, b) => a - b);
    const at = new Map<number, number>();
    x.forEach((v, i) => at.set(v, i));
    const ys = runs.map((r, k) => {
      const y: (number | null)[] = new Array<number | null>(x.length).fill(null);
      for (const i of idx[k]!) y[at.get(r.xs[i]!)!] = finiteOrNull(r.ys[i]!);
      return y;
    });
    return { x, ys, extent, pointsInRange: inRange, decimated: false };
  }
  const span = to - from || 1;
  const bw = span / width;
  const x: number[] = new Array<number>(width * 4);
  for (let b = 0; b < width; b++) for (let s = 0; s < 4; s++) x[b * 4 + s] = Number((from + bw * (b + (s + 0.5) / 4)).toPrecision(12));
  const ys = runs.map((r, k) => {
    const y: (number | null)[] = new Array<number | null>(width * 4).fill(null);
    const sel = idx[k]!;
    let p = 0;
    const inv = 1 / bw;
    while (p < sel.length) {
      const b = Math.min(width - 1, Math.floor((r.xs[sel[p]!]! - from) * inv));
      // The bucket ends before this x (the last bucket takes the rest).
      const end = b === width - 1 ? Infinity : from + (b + 1) * bw;
      let q = p;
      let iMin = -1;
      let iMax = -1;
      let vMin = Infinity;
      let vMax = -Infinity;
      while (q < sel.length) {
        const i = sel[q]!;
        if (r.xs[i]! >= end && Math.floor((r.xs[i]! - from) * inv) > b) break;
        const v = r.ys[i]!;
        if (v < vMin) (vMin = v), (iMin = q);
        if (v > vMax) (vMax = v), (iMax = q);
        q++;
      }
      if (q - p === 1) {
        // A bucket of one point fills one slot (fewer points to send and draw).
        y[b * 4] = short(finiteOrNull(r.ys[sel[p]!]!));
      } else {
        // first, min/max in their x order, last: 4 slots.
        const a1 = iMin >= 0 && iMax >= 0 ? Math.min(iMin, iMax) : p;
        const a2 = iMin >= 0 && iMax >= 0 ? Math.max(iMin, iMax) : p;
        y[b * 4] = short(finiteOrNull(r.ys[sel[p]!]!));
        y[b * 4 + 1] = short(finiteOrNull(r.ys[sel[a1]!]!));
        y[b * 4 + 2] = short(finiteOrNull(r.ys[sel[a2]!]!));
        y[b * 4 + 3] = short(finiteOrNull(r.ys[sel[q - 1]!]!));
      }
      p = q;
    }
    return y;
  });
  return { x, ys, extent, pointsInRange: inRange, decimated: true };
}

/** 7 significant digits: below a pixel's precision, and half the JSON of a full double. */
function short(v: number | null): number | null {
  return v === null ? null : Number(v.toPrecision(7));
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
