/**
 * Chart series answered from the catalog's series summaries (`summary.ts`): for each run, the
 * coarsest level with a block per two buckets over the requested range (per four with `coarse`), read by the
 * chunks of that range; when even level 0 is coarser than that (a small range), the points
 * themselves, read from the metric file between the byte offsets of the range's blocks.
 *
 * @example
 * ```ts
 * const got = summarySeries(catalog.db, ['abc'], 'loss', { width: 800, from: null, to: null }, catalog.root);
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { forEachMetricLine } from '../format/metric-bytes.js';
import { TRASH } from '../store/file/layout.js';
import type { Location } from '../store/file/layout.js';
import { B, SUM_CHUNK, SUM_FIELDS, blockPoints, blockSize, decodeHead, f64 } from './summary.js';
import type { SummaryHead } from './summary.js';

/**
 * A run's series for a chart: summary points (`count`: the series points they stand for in the
 * range) or real points (no `count`); x never decreases.
 *
 * @example
 * ```ts
 * const s: SummarySeries = { id: 'abc', xs: new Float64Array(0), ys: new Float64Array(0), sorted: true };
 * ```
 */
export interface SummarySeries {
  id: string;
  xs: Float64Array;
  ys: Float64Array;
  sorted: true;
  count?: number;
}

/** Points in range over all runs up to which level 0's blocks too coarse are replaced by the real points. */
export const FILE_POINTS = 200_000;

/** A level's chunks read for a run: their blocks, the first being block `first` of the level. */
interface Got {
  parts: Float64Array[];
  first: number;
}

/** A level's read blocks as one array (a single chunk as it is). */
function joined(g: Got): Float64Array {
  if (g.parts.length === 1) return g.parts[0]!;
  const blocks = new Float64Array(g.parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of g.parts) {
    blocks.set(p, at);
    at += p.length;
  }
  return blocks;
}

/** How a run was answered (for tests and the bench). */
export type SummarySource = 'summary' | 'file' | 'empty';

function readBytes(file: string, a: number, b: number): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.allocUnsafe(Math.max(0, b - a));
    let got = 0;
    while (got < buf.length) {
      const r = fs.readSync(fd, buf, got, buf.length - got, a + got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The series of the runs the catalog summarizes for metric `key` (x = step), as summary points
 * or real points; runs the catalog does not know, or whose steps decrease somewhere, are left
 * out (the caller reads them another way). A known run without the metric gets an empty series.
 */
export function summarySeries(
  db: Database,
  runIds: readonly string[],
  key: string,
  opts: { width: number; from: number | null; to: number | null; coarse?: boolean },
  root: string,
  sources?: Map<string, SummarySource>,
): Map<string, SummarySeries> {
  const out = new Map<string, SummarySeries>();
  const heads = new Map<string, { rid: number; head: SummaryHead | null; file: () => string }>();
  for (let i = 0; i < runIds.length; i += 500) {
    const ids = runIds.slice(i, i + 500);
    const rows = db
      .prepare(
        `SELECT r.run_id AS id, r.rid AS rid, r.loc AS loc, r.exp_dir AS dir, r.folder AS folder, s.x0 AS x0, s.x1 AS x1, s.data AS data,
           EXISTS (SELECT 1 FROM metrics m WHERE m.rid = r.rid AND m.key = ?) AS has
         FROM runs r LEFT JOIN msum s ON s.rid = r.rid AND s.key = ? AND s.level = -1 AND s.chunk = 0
         WHERE r.ok = 1 AND r.run_id IN (${ids.map(() => '?').join(',')})`,
      )
      .all(key, key, ...ids) as { id: string; rid: number; loc: Location; dir: string; folder: string; x0: number | null; x1: number | null; data: Buffer | null; has: number }[];
    const unsummarized = new Set<string>();
    for (const r of rows) {
      if (heads.has(r.id) || unsummarized.has(r.id)) {
        heads.delete(r.id); // the same run id in two folders: not ours to pick
        continue;
      }
      if (!r.data && r.has) {
        // A metric with no summary (a short history, see SUMMARY_MIN_BYTES): left to the caller,
        // which reads its file.
        unsummarized.add(r.id);
        continue;
      }
      const file = (): string => path.join(root, r.loc === 'trash' ? TRASH : '', r.dir, r.folder, 'metrics', key);
      heads.set(r.id, { rid: r.rid, head: r.data ? decodeHead({ x0: r.x0, x1: r.x1, data: r.data }) : null, file });
    }
  }
  // The points each run has in the range, supposing its steps evenly spread (exact for the
  // whole range); few in all: the real points are read from the files (an exact answer).
  const estimate = (head: SummaryHead): number => {
    if (head.x0 === null || head.x1 === null) return 0;
    const lo = opts.from ?? head.x0;
    const hi = opts.to ?? head.x1;
    if (hi < head.x0 || lo > head.x1 || hi < lo) return 0;
    const span = head.x1 - head.x0;
    const frac = span > 0 ? (Math.min(hi, head.x1) - Math.max(lo, head.x0)) / span : 1;
    return head.n * Math.max(0, Math.min(1, frac));
  };
  let total = 0;
  for (const h of heads.values()) if (h.head) total += estimate(h.head);
  const fileOk = total <= FILE_POINTS;
  // Sorted series only: x1 never decreases from a chunk to the next, so (x1, chunk) is chunk order,
  // and the order of the msum_span index (no sort).
  const chunks = db.prepare('SELECT chunk, data FROM msum WHERE rid = ? AND key = ? AND level = ? AND x1 >= ? AND x0 <= ? ORDER BY x1, chunk');
  const one = db.prepare('SELECT data FROM msum WHERE rid = ? AND key = ? AND level = ? AND chunk = ?');
  const width = Math.max(1, opts.width);
  // The coarsest level with a block per two buckets (a block's points are drawn at their x);
  // `coarse` (a chart of many runs, whose buckets the point budget already made wide): a block
  // per four buckets (its first, min, max and last points still spread over them, every point of
  // the series within its min and max).
  const need = opts.coarse ? width / 4 : width / 2;
  const levelOf = (head: SummaryHead): number => {
    const est = estimate(head);
    let level = 0;
    while (level + 1 < head.counts.length && est / blockSize(level + 1) >= need) level++;
    return level;
  };
  // A level's chunks of the range, in order (consecutive: x never decreases), as views of the
  // rows' bytes (not copied into one array: a wide zoom reads megabytes of them).
  const partsOf = (rows: { chunk: number; data: Buffer }[], a = 0, b = rows.length): Got => {
    const parts: Float64Array[] = [];
    for (let i = a; i < b; i++) parts.push(f64(rows[i]!.data));
    return { parts, first: b > a ? rows[a]!.chunk * SUM_CHUNK : 0 };
  };
  // Each level's chunks of the range for many runs in one statement.
  const pre = new Map<number, { level: number; got: Got }>();
  {
    const byLevel = new Map<number, number[]>();
    for (const h of heads.values()) {
      if (!h.head || h.head.n === 0 || !h.head.sorted) continue;
      const l = levelOf(h.head);
      const list = byLevel.get(l) ?? [];
      list.push(h.rid);
      byLevel.set(l, list);
    }
    for (const [level, rids] of byLevel) {
      for (let i = 0; i < rids.length; i += 500) {
        const part = rids.slice(i, i + 500);
        const rows = db
          .prepare(`SELECT rid, chunk, data FROM msum WHERE key = ? AND level = ? AND x1 >= ? AND x0 <= ? AND rid IN (${part.map(() => '?').join(',')}) ORDER BY rid, x1, chunk`)
          .all(key, level, opts.from ?? -Number.MAX_VALUE, opts.to ?? Number.MAX_VALUE, ...part) as { rid: number; chunk: number; data: Buffer }[];
        let a = 0;
        while (a < rows.length) {
          let b = a;
          while (b < rows.length && rows[b]!.rid === rows[a]!.rid) b++;
          pre.set(rows[a]!.rid, { level, got: partsOf(rows, a, b) });
          a = b;
        }
      }
    }
  }
  for (const id of runIds) {
    const h = heads.get(id);
    if (!h) continue;
    const head = h.head;
    if (!head || head.n === 0 || head.x0 === null || head.x1 === null) {
      // No such metric in this run (or no point in it yet).
      out.set(id, { id, xs: new Float64Array(0), ys: new Float64Array(0), sorted: true });
      sources?.set(id, 'empty');
      continue;
    }
    if (!head.sorted) continue;
    const lo = opts.from ?? head.x0;
    const hi = opts.to ?? head.x1;
    if (hi < head.x0 || lo > head.x1 || hi < lo) {
      out.set(id, { id, xs: new Float64Array(0), ys: new Float64Array(0), sorted: true });
      sources?.set(id, 'empty');
      continue;
    }
    const read = (l: number): Got => partsOf(chunks.all(h.rid, key, l, lo, hi) as { chunk: number; data: Buffer }[]);
    const early = pre.get(h.rid);
    let level = early?.level ?? levelOf(head);
    let got = early?.got ?? read(level);
    // Blocks in the range: finer until there is one per bucket, if any level has.
    const inRange = (g: Got): number => {
      let k = 0;
      for (const blocks of g.parts) for (let o = 0; o < blocks.length; o += SUM_FIELDS) if (blocks[o + B.lx]! >= lo && blocks[o + B.fx]! <= hi) k++;
      return k;
    };
    while (level > 0 && inRange(got) < need) got = read(--level);
    // Level 0 coarser than that: the real points if few in all, else level 0 (every point is
    // still within its block's min and max, drawn).
    if (level > 0 || !fileOk || inRange(got) >= need) {
      const pts = blockPoints(got.parts, head.n, level, got.first, opts.from, opts.to);
      out.set(id, { id, xs: pts.xs, ys: pts.ys, sorted: true, count: pts.inRange });
      sources?.set(id, 'summary');
      continue;
    }
    // A small range: its points, read from the file between its blocks' offsets.
    const blocks = joined(got);
    const nb = blocks.length / SUM_FIELDS;
    let b0 = -1;
    let b1 = -1;
    for (let b = 0; b < nb; b++) {
      const o = b * SUM_FIELDS;
      if (blocks[o + B.lx]! >= lo && blocks[o + B.fx]! <= hi) {
        if (b0 < 0) b0 = b;
        b1 = b;
      }
    }
    if (b0 < 0) {
      out.set(id, { id, xs: new Float64Array(0), ys: new Float64Array(0), sorted: true });
      sources?.set(id, 'empty');
      continue;
    }
    const start = blocks[b0 * SUM_FIELDS + B.off]!;
    let end = head.end;
    const next = got.first + b1 + 1;
    if (b1 + 1 < nb) end = blocks[(b1 + 1) * SUM_FIELDS + B.off]!;
    else if (next < (head.counts[0] ?? 0)) {
      const r = one.get(h.rid, key, 0, Math.floor(next / SUM_CHUNK)) as { data: Buffer } | undefined;
      if (r) end = f64(r.data)[(next % SUM_CHUNK) * SUM_FIELDS + B.off] ?? head.end;
    }
    const buf = readBytes(h.file(), start, end);
    if (!buf) continue;
    const xs: number[] = [];
    const ys: number[] = [];
    const last = buf.lastIndexOf(10);
    forEachMetricLine(buf, 0, last + 1, (_ts, v, step) => {
      xs.push(step);
      ys.push(v);
    });
    out.set(id, { id, xs: Float64Array.from(xs), ys: Float64Array.from(ys), sorted: true });
    sources?.set(id, 'file');
  }
  return out;
}
