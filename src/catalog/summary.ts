/**
 * Series summaries: what the catalog keeps of each metric file so that a chart of many runs is
 * drawn without reading metric files. Level 0 cuts the series (its points in file order) into
 * blocks of {@link SUM_BLOCK} points and keeps, per block, the byte offset of its first line, its
 * first and last point and its minimum and maximum (x = step, y = value; NaN never wins, a block
 * of NaN only has NaN as min and max); level `l` groups {@link SUM_FAN} blocks of level `l - 1`,
 * up to a level of at most {@link SUM_TOP} blocks. Each level is stored in chunks of
 * {@link SUM_CHUNK} blocks with the chunk's x extent, so a zoom reads only the chunks of its
 * range, and an append rewrites only the last chunk of each level. A head row (level -1) holds
 * the point count, whether steps never decrease, the byte offset read so far and the block
 * count of each level.
 *
 * The points are read by the charts' lenient reader ({@link forEachMetricLine}: a damaged line is
 * skipped), so a summary describes the points `/api/series` would decimate.
 *
 * @example
 * ```ts
 * const b = new SummaryBuilder();
 * b.feed(Buffer.from('1 0.5 0\n2 0.25 1\n'), 0, 18, 0);
 * b.rows(); // the head row and the chunks to write
 * ```
 */
import { forEachMetricLine } from '../format/metric-bytes.js';

/** Points per block of level 0. */

/**
 * The size (bytes of complete lines) from which a metric file gets a series summary: about a
 * thousand points. A shorter history is read whole from its file when charted (cheaper than
 * keeping and reading blocks for it), so a catalog of many short histories costs what it did.
 */
export const SUMMARY_MIN_BYTES = 32 * 1024;

export const SUM_BLOCK = 16;
/** Blocks of level `l - 1` per block of level `l`. */
export const SUM_FAN = 4;
/** Blocks per stored chunk (a multiple of {@link SUM_FAN}). */
export const SUM_CHUNK = 128;
/** Levels are added until one has at most this many blocks (at most one chunk). */
export const SUM_TOP = 32;
/** Numbers per block: offset, first x/y, last x/y, min x/y, max x/y. */
export const SUM_FIELDS = 9;
/** Field offsets in a block. */
export const B = { off: 0, fx: 1, fy: 2, lx: 3, ly: 4, nx: 5, ny: 6, xx: 7, xy: 8 } as const;

/**
 * A stored row of a summary: the head (`level` -1) or a chunk of a level's blocks.
 *
 * @example
 * ```ts
 * const r: SummaryRow = { level: 0, chunk: 0, x0: 0, x1: 15, data: new Uint8Array(SUM_FIELDS * 8) };
 * ```
 */
export interface SummaryRow {
  level: number;
  chunk: number;
  /** The chunk's first x and last x (the head: the series' first and last x). */
  x0: number | null;
  x1: number | null;
  /** Float64 numbers (little-endian): blocks of {@link SUM_FIELDS}, or the head's numbers. */
  data: Uint8Array;
}

/**
 * The head of a summary.
 *
 * @example
 * ```ts
 * const h: SummaryHead = { n: 100, sorted: true, end: 1800, counts: [7], x0: 0, x1: 99 };
 * ```
 */
export interface SummaryHead {
  /** Points summarized. */
  n: number;
  /** Steps never decrease in file order. */
  sorted: boolean;
  /** Bytes of the file read (complete lines). */
  end: number;
  /** Blocks of each level (level 0 first). */
  counts: number[];
  x0: number | null;
  x1: number | null;
}

/** Points in a block of level `l`. */
export const blockSize = (l: number): number => SUM_BLOCK * SUM_FAN ** l;

/**
 * The Float64 numbers of a row's bytes (a view when aligned, else a copy).
 *
 * @example
 * ```ts
 * f64(new Uint8Array(16)).length; // 2
 * ```
 */
export function f64(b: Uint8Array): Float64Array {
  if (b.byteOffset % 8 === 0) return new Float64Array(b.buffer, b.byteOffset, b.byteLength >> 3);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

const bytesOf = (a: Float64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * A summary's head from its row.
 *
 * @example
 * ```ts
 * decodeHead({ level: -1, chunk: 0, x0: 0, x1: 9, data }).n;
 * ```
 */
export function decodeHead(row: Pick<SummaryRow, 'x0' | 'x1' | 'data'>): SummaryHead {
  const d = f64(row.data);
  const levels = d[3] ?? 0;
  const counts: number[] = [];
  for (let l = 0; l < levels; l++) counts.push(d[4 + l] ?? 0);
  return { n: d[0] ?? 0, sorted: d[1] === 1, end: d[2] ?? 0, counts, x0: row.x0, x1: row.x1 };
}

interface Level {
  count: number;
  chunks: Map<number, Float64Array>;
  /** First block changed since the last {@link SummaryBuilder.rows} (Infinity: none). */
  dirty: number;
}

/**
 * Builds a series summary from metric lines, or extends a stored one (from its head and the
 * last chunk of each level) with appended lines.
 *
 * @example
 * ```ts
 * const b = SummaryBuilder.resume(head, lastChunks) ?? new SummaryBuilder();
 * b.feed(appended, 0, appended.length, head.end);
 * ```
 */
export class SummaryBuilder {
  n = 0;
  sorted = true;
  end = 0;
  private x0: number | null = null;
  private lastStep = -Infinity;
  private levels: Level[] = [{ count: 0, chunks: new Map(), dirty: Infinity }];
  private cur: Float64Array | null = null;
  private curChunk = -1;

  /**
   * A builder that continues a stored summary: its head and, per level, its last chunk's blocks
   * (undefined when a chunk is missing: then the summary must be rebuilt).
   */
  static resume(head: SummaryHead, last: ReadonlyMap<number, Float64Array>): SummaryBuilder | undefined {
    const b = new SummaryBuilder();
    b.n = head.n;
    b.sorted = head.sorted;
    b.end = head.end;
    b.x0 = head.x0;
    b.levels = [];
    for (let l = 0; l < Math.max(1, head.counts.length); l++) {
      const count = head.counts[l] ?? 0;
      const lv: Level = { count, chunks: new Map(), dirty: Infinity };
      if (count > 0) {
        const c = Math.floor((count - 1) / SUM_CHUNK);
        const blocks = last.get(l);
        if (!blocks || blocks.length !== (count - c * SUM_CHUNK) * SUM_FIELDS) return undefined;
        const arr = new Float64Array(SUM_CHUNK * SUM_FIELDS);
        arr.set(blocks);
        lv.chunks.set(c, arr);
      }
      b.levels.push(lv);
    }
    const l0 = b.levels[0]!;
    if (l0.count !== Math.ceil(head.n / SUM_BLOCK)) return undefined;
    if (head.n > 0) {
      const c = Math.floor((l0.count - 1) / SUM_CHUNK);
      b.lastStep = l0.chunks.get(c)![((l0.count - 1) % SUM_CHUNK) * SUM_FIELDS + B.lx]!;
    }
    return b;
  }

  /** The block array and index of level-0 block `bi` (its chunk created when missing). */
  private chunkOf(lv: Level, bi: number): Float64Array {
    const c = Math.floor(bi / SUM_CHUNK);
    let arr = lv.chunks.get(c);
    if (!arr) {
      arr = new Float64Array(SUM_CHUNK * SUM_FIELDS);
      lv.chunks.set(c, arr);
    }
    return arr;
  }

  /** Adds one point (`off`: the byte offset of its line). */
  add(step: number, v: number, off: number): void {
    const i = this.n;
    const bi = Math.floor(i / SUM_BLOCK);
    const l0 = this.levels[0]!;
    const c = Math.floor(bi / SUM_CHUNK);
    if (c !== this.curChunk || !this.cur) {
      this.cur = this.chunkOf(l0, bi);
      this.curChunk = c;
    }
    const a = this.cur;
    const o = (bi % SUM_CHUNK) * SUM_FIELDS;
    if (i % SUM_BLOCK === 0) {
      a[o + B.off] = off;
      a[o + B.fx] = step;
      a[o + B.fy] = v;
      a[o + B.lx] = step;
      a[o + B.ly] = v;
      a[o + B.nx] = step;
      a[o + B.ny] = v;
      a[o + B.xx] = step;
      a[o + B.xy] = v;
      l0.count = bi + 1;
    } else {
      a[o + B.lx] = step;
      a[o + B.ly] = v;
      if (v === v) {
        const mn = a[o + B.ny]!;
        const mx = a[o + B.xy]!;
        if (mn !== mn || v < mn) {
          a[o + B.nx] = step;
          a[o + B.ny] = v;
        }
        if (mx !== mx || v > mx) {
          a[o + B.xx] = step;
          a[o + B.xy] = v;
        }
      }
    }
    if (bi < l0.dirty) l0.dirty = bi;
    if (i === 0) this.x0 = step;
    if (step < this.lastStep) this.sorted = false;
    this.lastStep = step;
    this.n = i + 1;
  }

  /**
   * Adds the readable lines of `buf[from, end)` (complete lines; `base` is the file offset of
   * `buf[0]`); the summary then covers the file up to `base + end`.
   */
  feed(buf: Uint8Array, from: number, end: number, base: number): void {
    forEachMetricLine(buf, from, end, (_ts, v, step, at) => this.add(step, v, base + at));
    this.end = base + end;
  }

  /** Recomputes the changed blocks of the upper levels (adding levels as the series grows). */
  private propagate(): void {
    for (let l = 1; ; l++) {
      const lower = this.levels[l - 1]!;
      if (lower.count <= SUM_TOP && this.levels[l] === undefined) break;
      let up = this.levels[l];
      if (!up) {
        up = { count: 0, chunks: new Map(), dirty: Infinity };
        this.levels[l] = up;
        lower.dirty = 0; // a new level reads all of the one below (a single chunk: at most 4 x SUM_TOP blocks)
      }
      if (lower.dirty === Infinity) continue;
      const from = Math.floor(lower.dirty / SUM_FAN);
      const count = Math.ceil(lower.count / SUM_FAN);
      for (let b = from; b < count; b++) {
        const dst = this.chunkOf(up, b);
        const o = (b % SUM_CHUNK) * SUM_FIELDS;
        const k0 = b * SUM_FAN;
        const k1 = Math.min(lower.count, k0 + SUM_FAN);
        const src = lower.chunks.get(Math.floor(k0 / SUM_CHUNK))!;
        const s0 = (k0 % SUM_CHUNK) * SUM_FIELDS;
        const sl = ((k1 - 1) % SUM_CHUNK) * SUM_FIELDS;
        dst[o + B.off] = src[s0 + B.off]!;
        dst[o + B.fx] = src[s0 + B.fx]!;
        dst[o + B.fy] = src[s0 + B.fy]!;
        dst[o + B.lx] = src[sl + B.lx]!;
        dst[o + B.ly] = src[sl + B.ly]!;
        let nx = src[s0 + B.fx]!;
        let ny = NaN;
        let xx = nx;
        let xy = NaN;
        for (let k = k0; k < k1; k++) {
          const s = (k % SUM_CHUNK) * SUM_FIELDS;
          const mn = src[s + B.ny]!;
          const mx = src[s + B.xy]!;
          if (mn === mn && (ny !== ny || mn < ny)) {
            ny = mn;
            nx = src[s + B.nx]!;
          }
          if (mx === mx && (xy !== xy || mx > xy)) {
            xy = mx;
            xx = src[s + B.xx]!;
          }
        }
        dst[o + B.nx] = nx;
        dst[o + B.ny] = ny;
        dst[o + B.xx] = xx;
        dst[o + B.xy] = xy;
      }
      up.count = count;
      if (from < up.dirty) up.dirty = from;
    }
  }

  /** The head row and the chunks changed since the last call (all of them for a new summary). */
  rows(): SummaryRow[] {
    this.propagate();
    const out: SummaryRow[] = [];
    this.levels.forEach((lv, l) => {
      if (lv.dirty === Infinity || lv.count === 0) return;
      const last = Math.floor((lv.count - 1) / SUM_CHUNK);
      for (let c = Math.floor(lv.dirty / SUM_CHUNK); c <= last; c++) {
        const arr = lv.chunks.get(c)!;
        const blocks = c === last ? lv.count - c * SUM_CHUNK : SUM_CHUNK;
        const data = arr.slice(0, blocks * SUM_FIELDS);
        out.push({ level: l, chunk: c, x0: data[B.fx]!, x1: data[(blocks - 1) * SUM_FIELDS + B.lx]!, data: bytesOf(data) });
      }
      lv.dirty = Infinity;
    });
    const head = new Float64Array(4 + this.levels.length);
    head[0] = this.n;
    head[1] = this.sorted ? 1 : 0;
    head[2] = this.end;
    head[3] = this.levels.length;
    this.levels.forEach((lv, l) => (head[4 + l] = lv.count));
    out.unshift({ level: -1, chunk: 0, x0: this.n > 0 ? this.x0 : null, x1: this.n > 0 ? this.lastStep : null, data: bytesOf(head) });
    return out;
  }
}

/**
 * The chart points of summary blocks (those wholly outside `[from, to]` left out): per block its
 * first point, its min and max in x order, and its last point (a point equal to the one before
 * it in the block is left out), with the number of series points the blocks hold inside
 * `[from, to]` (blocks across an end counted in proportion of their x span). The blocks are
 * consecutive chunks of a level (`parts[i]` follows `parts[i - 1]`; the first starts at block
 * `firstBlock`), read where they are, not copied into one array first.
 *
 * @example
 * ```ts
 * const c = blockPoints([f64(chunk0.data), f64(chunk1.data)], head.n, 0, 0, null, null);
 * ```
 */
export function blockPoints(
  parts: readonly Float64Array[],
  n: number,
  level: number,
  firstBlock: number,
  from: number | null,
  to: number | null,
): { xs: Float64Array; ys: Float64Array; inRange: number } {
  const lo = from ?? -Infinity;
  const hi = to ?? Infinity;
  // Room for the blocks in the range only (a chunk read holds many outside it: a chart of 1,000
  // runs would allocate megabytes for nothing).
  let total = 0;
  for (const p of parts) for (let o = 0; o + SUM_FIELDS <= p.length; o += SUM_FIELDS) if (!(p[o + B.lx]! < lo || p[o + B.fx]! > hi)) total++;
  const xs = new Float64Array(total * 4);
  const ys = new Float64Array(total * 4);
  const size = blockSize(level);
  let k = 0;
  let inRange = 0;
  let first = firstBlock;
  for (const blocks of parts) {
    const nb = Math.floor(blocks.length / SUM_FIELDS);
    for (let b = 0, o = 0; b < nb; b++, o += SUM_FIELDS) {
      const fx = blocks[o + B.fx]!;
      const fy = blocks[o + B.fy]!;
      const lx = blocks[o + B.lx]!;
      const ly = blocks[o + B.ly]!;
      const nx = blocks[o + B.nx]!;
      const ny = blocks[o + B.ny]!;
      const xx = blocks[o + B.xx]!;
      const xy = blocks[o + B.xy]!;
      // A block wholly outside the range adds nothing (its chunk holds blocks that are in it).
      if (lx < lo || fx > hi) continue;
      const points = Math.min(size, n - (first + b) * size);
      if (fx >= lo && lx <= hi) inRange += points;
      else if (lx >= lo && fx <= hi && lx > fx) inRange += (points * (Math.min(lx, hi) - Math.max(fx, lo))) / (lx - fx);
      // first, then min and max in x order, then last; a point equal to the one before is left out
      xs[k] = fx;
      ys[k] = fy;
      k++;
      let px = fx;
      let py = fy;
      const minFirst = nx <= xx;
      for (let j = 0; j < 3; j++) {
        let x: number;
        let y: number;
        if (j === 0) {
          x = minFirst ? nx : xx;
          y = minFirst ? ny : xy;
        } else if (j === 1) {
          x = minFirst ? xx : nx;
          y = minFirst ? xy : ny;
        } else {
          if (points <= 1) break;
          x = lx;
          y = ly;
        }
        if (j < 2 && y !== y) continue;
        if (x === px && (y === py || (y !== y && py !== py))) continue;
        xs[k] = x;
        ys[k] = y;
        k++;
        px = x;
        py = y;
      }
    }
    first += nb;
  }
  return { xs: xs.subarray(0, k), ys: ys.subarray(0, k), inRange: Math.round(inRange) };
}
