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
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { intAt, pyFloatText } from '../../format/metric-bytes.js';

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
  /** The min/max pyramid of `values` (built on demand, extended as the series grows). */
  pyramid?: Pyramid;
  /** Points already in the persisted summary file (see {@link SeriesCache}). */
  saved?: number;
  /** Steps, and timestamps, never decrease in file order (kept as lines are appended). */
  stepsSorted?: boolean;
  timesSorted?: boolean;
}

/** Whether steps and timestamps never decrease (a pass over the series). */
function sortedness(s: Series): void {
  let st = true;
  let tt = true;
  for (let i = 1; i < s.length; i++) {
    if (s.steps[i]! < s.steps[i - 1]!) st = false;
    if (s.timestamps[i]! < s.timestamps[i - 1]!) tt = false;
  }
  s.stepsSorted = st;
  s.timesSorted = tt;
}

/**
 * The series' min/max pyramid, brought up to its current length.
 *
 * @example
 * ```ts
 * const s = new SeriesCache().read(file);
 * pyramidOf(s).minMax(s.values, 0, s.length); // { iMin, iMax }
 * ```
 */
export function pyramidOf(s: Pick<Series, 'pyramid' | 'length' | 'values'>): Pyramid {
  s.pyramid ??= new Pyramid();
  if (s.pyramid.length !== s.length) s.pyramid.update(s.values, s.length);
  return s.pyramid;
}

function grow(a: Float64Array, need: number): Float64Array {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, a.length * 2, 64));
  b.set(a);
  return b;
}

/**
 * Appends the complete lines of `buf[0, end)` to `s` (MLflow's run metric lines: `ts value [step]`
 * or `ts value step dataset digest`; as MLflow reads them, only a 3-field line carries its step).
 * Works on bytes: integers are read digit by digit, only the value goes through `Number`. The
 * same lines as `forEachMetricLine` (format/metric-bytes.ts, the catalog's summaries) reads,
 * inlined here: this loop is the series cache's hot path.
 */
function parseInto(s: Series, buf: Buffer, end: number): void {
  let i = 0;
  const sp: number[] = [0, 0, 0, 0, 0];
  while (i < end) {
    let j = buf.indexOf(10, i);
    if (j === -1 || j > end) j = end;
    // Trim (spaces, \r, tabs) like Python's strip().
    let a = i;
    let b = j;
    while (a < b && (buf[a] === 32 || buf[a] === 9 || buf[a] === 13)) a++;
    while (b > a && (buf[b - 1] === 32 || buf[b - 1] === 9 || buf[b - 1] === 13)) b--;
    i = j + 1;
    if (a === b) continue;
    let k = 0;
    let bad = false;
    for (let c = a; c < b; c++) {
      if (buf[c] === 32) {
        if (k === 5) {
          bad = true;
          break;
        }
        sp[k++] = c;
      }
    }
    const fields = k + 1;
    if (bad || (fields !== 2 && fields !== 3 && fields !== 5)) {
      s.skipped++;
      continue;
    }
    let ts = intAt(buf, a, sp[0]!);
    if (Number.isNaN(ts)) ts = Number(buf.toString('latin1', a, sp[0]!));
    const vEnd = fields === 2 ? b : sp[1]!;
    const vText = buf.toString('latin1', sp[0]! + 1, vEnd);
    const v = pyFloatText(vText);
    let step = 0;
    if (fields === 3) {
      step = intAt(buf, sp[1]! + 1, b);
      if (Number.isNaN(step)) step = Number(buf.toString('latin1', sp[1]! + 1, b));
    }
    if (!Number.isFinite(ts) || !Number.isFinite(step) || (Number.isNaN(v) && !/nan/i.test(vText))) {
      s.skipped++;
      continue;
    }
    const at = s.length;
    if (at > 0) {
      if (step < s.steps[at - 1]!) s.stepsSorted = false;
      if (ts < s.timestamps[at - 1]!) s.timesSorted = false;
    }
    if (at >= s.steps.length) {
      s.steps = grow(s.steps, at + 1);
      s.values = grow(s.values, at + 1);
      s.timestamps = grow(s.timestamps, at + 1);
    }
    s.steps[at] = step;
    s.values[at] = v;
    s.timestamps[at] = ts;
    s.length = at + 1;
  }
}

/**
 * A multi-resolution min/max summary of a value array: level `l` holds, for each block of
 * `16^(l+1)` consecutive points, the index of its min and of its max (NaN never wins). A
 * bucket's min and max over any index range then costs O(levels x 16) instead of its length.
 * Extended in place when points are appended (only the last, partial blocks are recomputed).
 *
 * @example
 * ```ts
 * const p = new Pyramid();
 * p.update(Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]), 8);
 * p.minMax(Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]), 2, 7); // { iMin: 3, iMax: 5 }
 * ```
 */
export class Pyramid {
  static readonly FAN = 16;
  /** Per level: argmin and argmax of each block (index into the values). */
  levels: { min: Uint32Array; max: Uint32Array; blocks: number }[] = [];
  /** Points summarized (complete blocks only count at each level). */
  length = 0;

  /** Brings the summary up to `n` points of `values` (appended points only). */
  update(values: Float64Array, n: number): void {
    const F = Pyramid.FAN;
    let size = F;
    let lower: { min: Uint32Array; max: Uint32Array; blocks: number } | null = null;
    for (let l = 0; size <= n; l++, size *= F) {
      const blocks = Math.floor(n / size);
      let lv = this.levels[l];
      if (!lv || lv.min.length < blocks) {
        const cap = Math.max(blocks, (lv?.min.length ?? 0) * 2, 16);
        const min = new Uint32Array(cap);
        const max = new Uint32Array(cap);
        if (lv) {
          min.set(lv.min.subarray(0, lv.blocks));
          max.set(lv.max.subarray(0, lv.blocks));
        }
        lv = { min, max, blocks: lv?.blocks ?? 0 };
        this.levels[l] = lv;
      }
      for (let bk = lv.blocks; bk < blocks; bk++) {
        let iMin = -1;
        let iMax = -1;
        if (!lower) {
          for (let i = bk * size; i < (bk + 1) * size; i++) {
            const v = values[i]!;
            if (v === v) {
              if (iMin < 0 || v < values[iMin]!) iMin = i;
              if (iMax < 0 || v > values[iMax]!) iMax = i;
            }
          }
        } else {
          for (let c = bk * F; c < (bk + 1) * F; c++) {
            const a = lower.min[c]!;
            const z = lower.max[c]!;
            if (values[a] === values[a] && (iMin < 0 || values[a]! < values[iMin]!)) iMin = a;
            if (values[z] === values[z] && (iMax < 0 || values[z]! > values[iMax]!)) iMax = z;
          }
        }
        // A block of NaN only: its first index (the value check above skips it).
        lv.min[bk] = iMin < 0 ? bk * size : iMin;
        lv.max[bk] = iMax < 0 ? bk * size : iMax;
      }
      lv.blocks = blocks;
      lower = lv;
    }
    this.length = n;
  }

  /**
   * Indices of the first minimum and first maximum of `values[a, b)` (NaN skipped; -1 when every
   * value is NaN). Same answer as a scan from `a` to `b`.
   */
  minMax(values: Float64Array, a: number, b: number): { iMin: number; iMax: number } {
    const F = Pyramid.FAN;
    let iMin = -1;
    let iMax = -1;
    const take = (im: number, ix: number): void => {
      const vm = values[im]!;
      const vx = values[ix]!;
      if (vm === vm && (iMin < 0 || vm < values[iMin]!)) iMin = im;
      if (vx === vx && (iMax < 0 || vx > values[iMax]!)) iMax = ix;
    };
    let i = a;
    while (i < b) {
      // The coarsest whole block starting at i and ending by b.
      let l = -1;
      let size = 1;
      while (l + 1 < this.levels.length && i % (size * F) === 0 && i + size * F <= b && (i + size * F) <= this.length) {
        size *= F;
        l++;
      }
      if (l < 0) {
        take(i, i);
        i++;
      } else {
        const lv = this.levels[l]!;
        const bk = i / size;
        if (bk >= lv.blocks) {
          take(i, i);
          i++;
          continue;
        }
        take(lv.min[bk]!, lv.max[bk]!);
        i += size;
      }
    }
    return { iMin, iMax };
  }
}

const MAGIC = 0x4d4c5331; // 'MLS1'

/**
 * Metric files read into typed arrays, kept current by reading only what was appended, with a
 * persisted copy (the parsed columns, a binary file per metric file in `dir`, keyed by the
 * metric file's inode and the bytes consumed, checked against the bytes before that offset) so
 * that a restarted server reads no metric line twice: a grown file is extended from where the
 * summary stopped.
 *
 * @example
 * ```ts
 * new SeriesCache(256 * 1024 * 1024).read(file).length;
 * ```
 */
export class SeriesCache {
  private readonly map = new Map<string, Series>();
  private bytes = 0;

  /**
   * @param maxBytes memory budget of the cached arrays; the least recently used go first.
   * @param dir folder of the persisted summaries (none: memory only).
   */
  constructor(
    private readonly maxBytes = 512 * 1024 * 1024,
    private readonly dir: string | null = null,
  ) {}

  private sidecar(file: string): string | null {
    if (!this.dir) return null;
    return path.join(this.dir, crypto.createHash('sha1').update(file).digest('hex').slice(0, 24) + '.bin');
  }

  /** A persisted series if it still describes a prefix of `fd`'s file (same inode, same bytes). */
  private load(file: string, fd: number, st: fs.Stats): Series | undefined {
    const p = this.sidecar(file);
    if (!p) return undefined;
    let buf: Buffer;
    try {
      buf = fs.readFileSync(p);
    } catch {
      return undefined;
    }
    if (buf.length < 48 || buf.readUInt32LE(0) !== MAGIC) return undefined;
    const ino = buf.readDoubleLE(8);
    const offset = buf.readDoubleLE(16);
    const length = buf.readDoubleLE(24);
    const skipped = buf.readDoubleLE(32);
    const tail = buf.subarray(40, 72);
    if (ino !== st.ino || offset > st.size || buf.length !== 72 + length * 24) return undefined;
    const probe = Buffer.alloc(32);
    const from = Math.max(0, offset - 32);
    fs.readSync(fd, probe, 0, offset - from, from);
    if (!probe.subarray(0, offset - from).equals(tail.subarray(0, offset - from))) return undefined;
    const col = (k: number): Float64Array => {
      const at = buf.byteOffset + 72 + k * length * 8;
      // A view when aligned (a big file read has its own buffer), else a copy.
      if (at % 8 === 0) return new Float64Array(buf.buffer, at, length);
      return new Float64Array(buf.buffer.slice(at, at + length * 8));
    };
    const s: Series = { file, offset, length, steps: col(0), values: col(1), timestamps: col(2), skipped, ino: st.ino, saved: length };
    sortedness(s);
    return s;
  }

  private save(s: Series, fd: number): void {
    const p = this.sidecar(s.file);
    if (!p) return;
    const head = Buffer.alloc(72);
    head.writeUInt32LE(MAGIC, 0);
    head.writeDoubleLE(s.ino, 8);
    head.writeDoubleLE(s.offset, 16);
    head.writeDoubleLE(s.length, 24);
    head.writeDoubleLE(s.skipped, 32);
    const from = Math.max(0, s.offset - 32);
    fs.readSync(fd, head, 40, s.offset - from, from);
    const n = s.length;
    const body = [s.steps, s.values, s.timestamps].map((a) => Buffer.from(a.buffer, a.byteOffset, n * 8));
    try {
      fs.mkdirSync(this.dir!, { recursive: true });
      const tmp = `${p}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, Buffer.concat([head, ...body]));
      fs.renameSync(tmp, p);
      s.saved = n;
    } catch {
      // A cache: a failed write only costs a re-read later.
    }
  }

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
        s = this.load(file, fd, st) ?? { file, offset: 0, length: 0, steps: new Float64Array(0), values: new Float64Array(0), timestamps: new Float64Array(0), skipped: 0, ino: st.ino, saved: 0, stepsSorted: true, timesSorted: true };
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
          parseInto(s, buf, last + 1);
          s.offset += last + 1;
        }
      }
      // Persist when the summary lags by enough points to be worth a write.
      if (this.dir && s.length - (s.saved ?? 0) >= 4096) this.save(s, fd);
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
  /** The caller knows xs never decreases (skips a pass over them). */
  sorted?: boolean;
  /** A min/max summary of `ys` (then `ys` must be the Float64Array it was built on). */
  pyramid?: Pyramid;
  /**
   * The points stand for this many points of the series in the range (a catalog summary's
   * block points): the answer is then decimated, and counts these as the run's points in range.
   */
  count?: number;
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
 * {@link Decimated} in typed arrays (NaN = no point), as the binary answer carries it.
 *
 * @example
 * ```ts
 * const d: DecimatedTyped = decimateTyped([{ id: 'a', xs: [0, 1], ys: [1, 2] }], { width: 10 });
 * ```
 */
export interface DecimatedTyped {
  x: Float64Array;
  ys: Float64Array[];
  extent: [number, number] | null;
  pointsInRange: number;
  decimated: boolean;
}

/** Points a bucket holds per run: its first, min, max and last. */
export const POINTS_PER_BUCKET = 4;

/**
 * The most points one chart answer carries, all runs together. A chart of 1,000 runs at one
 * bucket per pixel would be 5M points (about 20 MB, and a second to draw); a thousand overlapping
 * lines show no per-pixel detail anyway. (MLflow's own UI samples 320 points per run.)
 */
export const CHART_POINTS = 500_000;

/**
 * The buckets of a chart of `runs` runs `pixels` wide: one per pixel column (at most
 * {@link POINTS_PER_BUCKET} points per pixel column per run), fewer when that would be more than
 * {@link CHART_POINTS} points in all (1,000 runs: 125 buckets, 500 points per run). Every bucket
 * keeps its min and max, so a spike shows whatever the bucket count. At the 5,000 runs a chart
 * draws at most, 25 buckets.
 *
 * @example
 * ```ts
 * chartBuckets(1200, 3); // 1200: few runs keep one bucket per pixel
 * chartBuckets(1200, 1000); // 125
 * ```
 */
export function chartBuckets(pixels: number, runs: number): number {
  return Math.max(1, Math.min(Math.floor(pixels), Math.floor(CHART_POINTS / (POINTS_PER_BUCKET * Math.max(1, runs)))));
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
  const d = decimateTyped(runs, opts);
  const round = d.decimated ? short : (v: number): number => v;
  return {
    x: Array.from(d.x),
    ys: d.ys.map((y) => Array.from(y, (v) => (Number.isFinite(v) ? round(v) : null))),
    extent: d.extent,
    pointsInRange: d.pointsInRange,
    decimated: d.decimated,
  };
}

/** First index in [lo, hi) whose x is past `pred` (xs sorted; pred monotone). */
function firstWhere(xs: ArrayLike<number>, lo: number, hi: number, pred: (x: number) => boolean): number {
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (pred(xs[m]!)) hi = m;
    else lo = m + 1;
  }
  return lo;
}

/**
 * {@link decimate} in typed arrays: the same buckets and points, NaN where a run has no point.
 * A run with a {@link Pyramid} and sorted x costs O(buckets x log points) instead of O(points).
 *
 * @example
 * ```ts
 * decimateTyped([{ id: 'a', xs: [0, 1, 2], ys: [1, 9, 1] }], { width: 2 }).ys[0]; // Float64Array
 * ```
 */
export function decimateTyped(runs: XY[], opts: { width: number; from?: number | null; to?: number | null; all?: boolean; maxPoints?: number }): DecimatedTyped {
  let lo = Infinity;
  let hi = -Infinity;
  const sortedRun: boolean[] = [];
  for (const r of runs) {
    const n = r.xs.length;
    if (r.sorted && n) {
      if (r.xs[0]! < lo) lo = r.xs[0]!;
      if (r.xs[n - 1]! > hi) hi = r.xs[n - 1]!;
      sortedRun.push(true);
      continue;
    }
    let sorted = true;
    let prev = -Infinity;
    for (let i = 0; i < n; i++) {
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
  // Per run, the points inside the range sorted by x: a contiguous index range [s0, e0) when
  // the run's x never decreases (the usual case of steps and times), else a list of indices.
  const ranges: [number, number][] = [];
  const lists: (Uint32Array | null)[] = [];
  let inRange = 0;
  runs.forEach((r, k) => {
    if (sortedRun[k]) {
      const n = r.xs.length;
      const s0 = firstWhere(r.xs, 0, n, (x) => x >= from);
      const e0 = firstWhere(r.xs, s0, n, (x) => x > to);
      ranges.push([s0, Math.max(s0, e0)]);
      lists.push(null);
      inRange += Math.max(0, e0 - s0);
    } else {
      const sel: number[] = [];
      for (let i = 0; i < r.xs.length; i++) {
        const x = r.xs[i]!;
        if (x >= from && x <= to) sel.push(i);
      }
      const a = Uint32Array.from(sel);
      a.sort((p, q) => r.xs[p]! - r.xs[q]! || p - q);
      ranges.push([0, a.length]);
      lists.push(a);
      inRange += a.length;
    }
  });
  const idxAt = (k: number, p: number): number => (lists[k] ? lists[k]![p]! : p);
  const maxPoints = opts.maxPoints ?? 4 * width * Math.max(1, runs.length);
  // Summary points stand for more points than they are: counted as such, never sent as real points.
  const summarized = runs.some((r) => r.count !== undefined);
  if (summarized) {
    inRange = 0;
    runs.forEach((r, k) => (inRange += r.count ?? ranges[k]![1] - ranges[k]![0]));
  }
  if (!summarized && (opts.all || inRange <= Math.min(maxPoints, 4 * width))) {
    // Real points: union of x values.
    const xsSet = new Set<number>();
    runs.forEach((r, k) => {
      for (let p = ranges[k]![0]; p < ranges[k]![1]; p++) xsSet.add(r.xs[idxAt(k, p)]!);
    });
    const x = Float64Array.from([...xsSet].sort((a, b) => a - b));
    const at = new Map<number, number>();
    x.forEach((v, i) => at.set(v, i));
    const ys = runs.map((r, k) => {
      const y = new Float64Array(x.length).fill(NaN);
      for (let p = ranges[k]![0]; p < ranges[k]![1]; p++) {
        const i = idxAt(k, p);
        y[at.get(r.xs[i]!)!] = r.ys[i]!;
      }
      return y;
    });
    return { x, ys, extent, pointsInRange: inRange, decimated: false };
  }
  const span = to - from || 1;
  const bw = span / width;
  const inv = 1 / bw;
  const x = new Float64Array(width * 4);
  for (let b = 0; b < width; b++) for (let s = 0; s < 4; s++) x[b * 4 + s] = Number((from + bw * (b + (s + 0.5) / 4)).toPrecision(12));
  const bucketOf = (v: number): number => Math.min(width - 1, Math.floor((v - from) * inv));
  const ys = runs.map((r, k) => {
    const y = new Float64Array(width * 4).fill(NaN);
    const [p0, p1] = ranges[k]!;
    const list = lists[k];
    const pyr = !list && r.pyramid && r.ys instanceof Float64Array ? r.pyramid : null;
    if (!list && !pyr) {
      // Sorted, no summary: one pass, bucket by bucket (the same slots as below).
      const xs = r.xs;
      const vs = r.ys;
      let p = p0;
      while (p < p1) {
        const b = Math.min(width - 1, Math.floor((xs[p]! - from) * inv));
        let iMin = -1;
        let iMax = -1;
        let q = p;
        for (; q < p1; q++) {
          if (q > p && Math.min(width - 1, Math.floor((xs[q]! - from) * inv)) !== b) break;
          const v = vs[q]!;
          if (v === v) {
            if (iMin < 0 || v < vs[iMin]!) iMin = q;
            if (iMax < 0 || v > vs[iMax]!) iMax = q;
          }
        }
        if (q - p === 1) y[b * 4] = vs[p]!;
        else {
          const a1 = iMin >= 0 && iMax >= 0 ? (iMin <= iMax ? iMin : iMax) : p;
          const a2 = iMin >= 0 && iMax >= 0 ? (iMin <= iMax ? iMax : iMin) : p;
          y[b * 4] = vs[p]!;
          y[b * 4 + 1] = vs[a1]!;
          y[b * 4 + 2] = vs[a2]!;
          y[b * 4 + 3] = vs[q - 1]!;
        }
        p = q;
      }
      return y;
    }
    let p = p0;
    while (p < p1) {
      const b = bucketOf(r.xs[idxAt(k, p)]!);
      let q: number;
      let iMin = -1;
      let iMax = -1;
      if (!list) {
        // Sorted: the bucket's end by a binary search, its min and max from the summary.
        q = firstWhere(r.xs, p, p1, (v) => bucketOf(v) > b);
        if (pyr) {
          const m = pyr.minMax(r.ys as Float64Array, p, q);
          iMin = m.iMin;
          iMax = m.iMax;
        } else {
          for (let i = p; i < q; i++) {
            const v = r.ys[i]!;
            if (v === v) {
              if (iMin < 0 || v < r.ys[iMin]!) iMin = i;
              if (iMax < 0 || v > r.ys[iMax]!) iMax = i;
            }
          }
        }
      } else {
        q = p;
        while (q < p1 && bucketOf(r.xs[list[q]!]!) === b) {
          const i = list[q]!;
          const v = r.ys[i]!;
          if (v === v) {
            if (iMin < 0 || v < r.ys[iMin]!) iMin = i;
            if (iMax < 0 || v > r.ys[iMax]!) iMax = i;
          }
          q++;
        }
      }
      const first = idxAt(k, p);
      const last = idxAt(k, q - 1);
      if (q - p === 1) {
        // A bucket of one point fills one slot (fewer points to send and draw).
        y[b * 4] = r.ys[first]!;
      } else {
        // first, min/max in their x order, last: 4 slots.
        const pos = (i: number): number => (list ? list.indexOf(i, p) : i);
        const a1 = iMin >= 0 && iMax >= 0 ? (pos(iMin) <= pos(iMax) ? iMin : iMax) : first;
        const a2 = iMin >= 0 && iMax >= 0 ? (pos(iMin) <= pos(iMax) ? iMax : iMin) : first;
        y[b * 4] = r.ys[first]!;
        y[b * 4 + 1] = r.ys[a1]!;
        y[b * 4 + 2] = r.ys[a2]!;
        y[b * 4 + 3] = r.ys[last]!;
      }
      p = q;
    }
    return y;
  });
  return { x, ys, extent, pointsInRange: inRange, decimated: true };
}

/**
 * The binary answer of `/api/series?format=bin`: a little-endian u32 length, that many bytes of
 * JSON (everything but the numbers, plus `n`, the x grid's length), zero padding to a multiple
 * of 8, the x grid as Float64, then each run's y (NaN = no point) as Float32 when decimated (a
 * pixel's precision; `yBytes: 4` in the JSON) else Float64 (`yBytes: 8`, real points exactly):
 * a fraction of the JSON's bytes and no number parsing in the browser.
 *
 * @example
 * ```ts
 * const buf = encodeSeries(decimateTyped([{ id: 'a', xs: [0, 1], ys: [1, 2] }], { width: 10 }), { key: 'loss' });
 * ```
 */
export function encodeSeries(d: DecimatedTyped, meta: Record<string, unknown>): Buffer {
  const n = d.x.length;
  const yBytes = d.decimated ? 4 : 8;
  const head = Buffer.from(JSON.stringify({ ...meta, extent: d.extent, pointsInRange: d.pointsInRange, decimated: d.decimated, n, runsSent: d.ys.length, yBytes }), 'utf8');
  const start = Math.ceil((4 + head.length) / 8) * 8;
  const out = Buffer.alloc(start + n * 8 + d.ys.length * n * yBytes);
  out.writeUInt32LE(head.length, 0);
  head.copy(out, 4);
  new Float64Array(out.buffer, out.byteOffset + start, n).set(d.x);
  const f32 = yBytes === 4 ? new Float32Array(out.buffer, out.byteOffset + start + n * 8, d.ys.length * n) : new Float64Array(out.buffer, out.byteOffset + start + n * 8, d.ys.length * n);
  d.ys.forEach((y, k) => {
    for (let i = 0; i < n; i++) {
      const v = y[i]!;
      f32[k * n + i] = Number.isFinite(v) ? v : NaN;
    }
  });
  return out;
}

/** 7 significant digits: below a pixel's precision, and half the JSON of a full double. */
function short(v: number): number {
  return Number(v.toPrecision(7));
}
