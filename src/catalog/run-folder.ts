/**
 * Reading one run folder for the catalog, with no database: its signatures (what changed since
 * the last refresh), its info, params, tags, the latest value of each metric file and the
 * warnings a scan of it would give. Used in the refreshing thread and in the cold-build workers
 * (`worker.ts`), so it imports nothing that opens a database.
 *
 * Signatures are text, one line per entry, relative to the run folder:
 * - `F<rel>\t<ino>:<size>:<mtime>` a file (`-` when it cannot be stat'ed),
 * - `N<rel>` names only (`Nparams\t<count>:<hash of the names>`: params are written once, so
 *   their folders' stats cover them; metric files with invalid names),
 * - `D<rel>\t<ino>:<mtime>:<ctime>` a folder (`!` while it changed too recently to be trusted: a
 *   change within the same timestamp tick would leave the same stat).
 * A run row keeps three: `sig` (meta.yaml, params, tags, inputs, outputs: re-read the run when it
 * changes), `msig` (the metric files: re-check each when it changes) and `probe` (the folders).
 * When every `D` and `F` entry of the three still stats the same, nothing in the run changed and
 * a delta refresh skips it without listing a folder ({@link probesMatch}).
 *
 * @example
 * ```ts
 * const nr = readNewRun({ root, trustBefore: Date.now() - RACY_MS, emit: false }, { loc: 0, dir: '1', expDir, folder: 'abc' });
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Run, RunInfo } from '../entities.js';
import type { WarningCode } from '../errors.js';
import { parseRunMetricFile } from '../format/metric-line.js';
import { isValidMetricKey, validateMetricName, validateParamName, validateTagName } from '../format/validation.js';
import { fastLatestMetric, fastLatestMetricBytes } from '../store/file/metric-scan.js';
import { ioError, isDirectory, linkStaysWithin, listDir, listSubdirs } from '../store/file/fs.js';
import { MAX_META_BYTES, metaFromText, metaTooLarge } from '../store/file/meta-read.js';
import { runInfoFromDict } from '../store/file/records.js';
import type { MetricPoint } from './events.js';

/** A folder changed less than this before the refresh started is not trusted by its stat alone. */
export const RACY_MS = 3000;

/** Bytes kept from before a metric file's offset, to tell an append from a rewrite. */
export const FP_LEN = 16;

/**
 * Where a warning of a run applies: `r` reading the run's meta.yaml (any view), `d` its params,
 * tags, inputs, outputs (runs in the view only), `k` a metric file with an invalid name, `m` a
 * damaged metric file (`key` names the metric).
 */
export type WarnScope = 'r' | 'd' | 'k' | 'm';

/**
 * A warning found while reading a run, as the scan reports it.
 *
 * @example
 * ```ts
 * const w: RunWarning = { scope: 'r', key: '', code: 'EMPTY_META', path: '/r/1/abc/meta.yaml', message: '...' };
 * ```
 */
export interface RunWarning {
  scope: WarnScope;
  key: string;
  code: WarningCode;
  path: string;
  message: string;
}

/**
 * Per-refresh reading context.
 *
 * @example
 * ```ts
 * const ctx: ReadContext = { root: '/data/mlruns', trustBefore: Date.now() - RACY_MS, emit: false };
 * ```
 */
export interface ReadContext {
  /** The realpath of the root (symbolic links leading outside it are not followed, as in a scan). */
  root: string;
  /**
   * Folders changed at or after this time (ms) are not trusted by their stat alone: the refresh's
   * start minus {@link RACY_MS} (a change in the same timestamp tick as a stat leaves it equal).
   */
  trustBefore: number;
  /** Build change events (exact parse of every metric point). */
  emit: boolean;
  /** Reads a run with inputs/outputs as the scan does (FileStore.readRun without metrics), collecting its warnings. */
  readFull?: (info: RunInfo, runDir: string, expDir: string, warnings: RunWarning[]) => Run;
}

/**
 * One run folder to read.
 *
 * @example
 * ```ts
 * const j: RunJob = { loc: 0, dir: '1', expDir: '/data/mlruns/1', folder: 'abc', outside: false };
 * ```
 */
export interface RunJob {
  loc: 0 | 1;
  dir: string;
  expDir: string;
  folder: string;
  /** The run folder (or its experiment folder) is a symbolic link leading outside the root. */
  outside: boolean;
}

/** `runs` columns from run_id to lifecycle. */
export type RunCols = [
  runId: string | null,
  experimentId: string | null,
  runName: string | null,
  userId: string | null,
  status: string | null,
  startTime: number | string | null,
  endTime: number | string | null,
  artifactUri: string | null,
  lifecycle: string | null,
];

/** Numbers per metric in {@link NewRun.mnum} (NaN stands for SQL NULL). */
export const M_STRIDE = 16;
/** Offsets in a {@link M_STRIDE} group. */
export const M = {
  present: 0,
  value: 1,
  isNan: 2,
  step: 3,
  ts: 4,
  ino: 5,
  size: 6,
  mtime: 7,
  off: 8,
  bad: 9,
  bHas: 10,
  bStep: 11,
  bTs: 12,
  bVal: 13,
  bNan: 14,
  fpLen: 15,
} as const;

/**
 * Everything a refresh writes for a run folder seen for the first time. Metric rows are packed
 * (keys, {@link M_STRIDE} numbers each, {@link FP_LEN} fingerprint bytes each) so a batch posted
 * by a worker is cheap to copy.
 */
export interface NewRun {
  folder: string;
  probe: string;
  sig: string;
  msig: string;
  ok: boolean;
  hasInputs: boolean;
  json: string;
  cols: RunCols;
  /** Flat key, value pairs. */
  params: string[];
  tags: string[];
  /** Flat kind, value pairs (dataset name / digest / context). */
  ds: string[];
  mkeys: string[];
  mnum: Float64Array;
  mfp: Uint8Array;
  warnings: RunWarning[];
  metricFilesRead: number;
  /** Only when the context emits events: the metric points of each metric (same order as mkeys). */
  points?: MetricPoint[][];
}

/** Thrown when a run has inputs/outputs and the context has no `readFull` yet (a worker then loads it). */
export class NeedsFullRead extends Error {
  constructor() {
    super('this run needs the full reader');
  }
}

/**
 * `path.join` for a normalized folder and a relative path of names from listings (no `.`/`..`,
 * no empty parts): plain concatenation on POSIX (the hot path: several per file).
 */
const join: (dir: string, rel: string) => string =
  path.sep === '/' ? (dir, rel) => (dir.endsWith('/') ? dir + rel : `${dir}/${rel}`) : (dir, rel) => path.join(dir, rel);

const NONE: RunCols = [null, null, null, null, null, null, null, null, null];

/** fs.statSync without throwing. */
export function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The signature value of a file. */
export const fileVal = (st: { ino: number; size: number; mtimeMs: number } | undefined): string =>
  st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-';

const dirStatVal = (st: fs.Stats | undefined): string => (st ? `${st.ino}:${st.mtimeMs}:${st.ctimeMs}` : '-');

/** The signature value of a folder (`!` when it changed too recently to be trusted). */
export function dirVal(st: fs.Stats | undefined, trustBefore: number): string {
  if (!st) return '-';
  if (st.ctimeMs >= trustBefore || st.mtimeMs >= trustBefore) return '!';
  return dirStatVal(st);
}

const O_READ = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

let shared = Buffer.allocUnsafe(64 * 1024);

/**
 * A small file's bytes without a stat (param values: their signature is their folder's), or
 * undefined when it is missing or not a file. The result is a view of a shared buffer: decode it
 * before the next call.
 */
function readNoStat(p: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, O_READ);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw ioError(err, 'read', p);
  }
  try {
    let got = 0;
    for (;;) {
      const n = fs.readSync(fd, shared, got, shared.length - got, got);
      got += n;
      // A regular file reads short only at its end.
      if (n === 0 || got < shared.length) break;
      const bigger = Buffer.allocUnsafe(shared.length * 2);
      shared.copy(bigger, 0, 0, got);
      shared = bigger;
    }
    return shared.subarray(0, got);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EAGAIN') return undefined;
    throw ioError(err, 'read', p);
  } finally {
    fs.closeSync(fd);
  }
}

/** Up to `len` bytes of `fd` from `pos` (fewer at the end of the file). */
function readFully(fd: number, len: number, pos: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** `fn` on a read-only descriptor of `p`, closed after; undefined when `p` cannot be opened or `fn` throws. */
function withReadFd<T>(p: string, fn: (fd: number) => T): T | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, O_READ);
  } catch {
    return undefined;
  }
  try {
    return fn(fd);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** A whole file and its stat through one descriptor (undefined when it cannot be opened or is not a file). */
export function readWithStat(p: string, max = Infinity): { st: fs.Stats; buf: Buffer | undefined } | undefined {
  return withReadFd(p, (fd) => {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > max) return { st, buf: undefined };
    return { st, buf: readFully(fd, st.size, 0) };
  });
}

/** Bytes [start, end) of a file (undefined when it cannot be opened). */
export function readRange(p: string, start: number, end: number): Buffer | undefined {
  return withReadFd(p, (fd) => readFully(fd, Math.max(0, end - start), start));
}

interface WalkFile {
  /** Path relative to the walked folder (POSIX separators). */
  key: string;
  abs: string;
  /** A symbolic link leading outside the root (a scan does not list it). */
  outside: boolean;
}

/**
 * Walks a folder as `walkFiles` does (symbolic links to folders not followed), adding a `D` line
 * per folder to `dirs`; returns the files sorted by relative path.
 */
function walk(abs: string, rel: string, ctx: ReadContext, dirs: string[]): WalkFile[] {
  const files: WalkFile[] = [];
  const visit = (a: string, r: string, keyPrefix: string): void => {
    dirs.push(`D${r}\t${dirVal(statOf(a), ctx.trustBefore)}`);
    for (const e of listDir(a)) {
      const childAbs = join(a, e.name);
      const key = keyPrefix === '' ? e.name : `${keyPrefix}/${e.name}`;
      if (e.isDirectory()) visit(childAbs, `${r}/${e.name}`, key);
      else if (e.isSymbolicLink()) {
        if (!isDirectory(childAbs)) files.push({ key, abs: childAbs, outside: !linkStaysWithin(childAbs, ctx.root) });
      } else files.push({ key, abs: childAbs, outside: false });
    }
  };
  visit(abs, rel, '');
  return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Python `(a.step, a.timestamp, a.value) > (b.step, b.timestamp, b.value)` (see metric-line.ts). */
interface Best {
  step: number;
  ts: number;
  value: number;
}

function greater(a: Best, b: Best): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.ts !== b.ts) return a.ts > b.ts;
  return a.value > b.value;
}

function fold(best: Best | undefined, pts: readonly { step: number; timestamp: number; value: number }[]): Best | undefined {
  let b = best;
  for (const p of pts) {
    const c = { step: p.step, ts: p.timestamp, value: p.value };
    if (b === undefined || greater(c, b)) b = c;
  }
  return b;
}

/** SQLite stores integral REALs as integers (losing -0) and NaN as NULL: 1 marks NaN, 2 marks -0. */
export function specialOf(v: number): number {
  return Number.isNaN(v) ? 1 : Object.is(v, -0) ? 2 : 0;
}

/** The value a {@link specialOf} flag and a stored REAL stand for. */
export function special(flag: number, v: number | null): number {
  return flag === 1 ? NaN : flag === 2 ? -0 : (v ?? 0);
}

/**
 * What the catalog keeps of a metric file (the `metrics` row).
 *
 * @example
 * ```ts
 * const m: MetricState = { ino: 1, size: 10, mtime: 1, off: 10, fp: Buffer.alloc(0), bad: 0, b_has: 0, b_step: null, b_ts: null, b_val: null, b_nan: 0 };
 * ```
 */
export interface MetricState {
  ino: number;
  size: number;
  mtime: number;
  off: number;
  fp: Uint8Array;
  bad: number;
  b_has: number;
  b_step: number | null;
  b_ts: number | null;
  b_val: number | null;
  b_nan: number;
}

/**
 * A metric file's new row: its file state and the latest value a scan would show (`present`
 * 0 when the scan drops the metric, with `warning` the scan's message).
 */
export interface MetricRow extends MetricState {
  present: number;
  value: number | null;
  is_nan: number;
  step: number | null;
  ts: number | null;
  /** The scan's warning when it drops the metric (null: none). */
  warning: string | null;
  points: MetricPoint[];
  rewritten: boolean;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0;

/**
 * Reads a metric file (whole, or from the stored offset when it grew by appends) and folds it
 * into its latest value. Undefined when unchanged since `stored` or unreadable. `preRead`: the
 * whole file, already read with `st`.
 */
export function computeMetricFile(
  p: string,
  key: string,
  st: { ino: number; size: number; mtimeMs: number },
  stored: MetricState | undefined,
  runId: string,
  experimentId: string,
  emit: boolean,
  preRead?: Buffer,
): MetricRow | undefined {
  if (stored && stored.ino === st.ino && stored.size === st.size && stored.mtime === st.mtimeMs) return undefined;
  let data: Buffer | undefined;
  let start = 0;
  let base: Best | undefined;
  let bad = 0;
  let append = false;
  let all: Buffer | undefined;
  let allStart = 0;
  if (stored && stored.ino === st.ino && st.size > stored.size && stored.off <= stored.size) {
    const fpLen = stored.fp.length;
    const buf = readRange(p, stored.off - fpLen, st.size);
    if (buf && buf.length >= fpLen && sameBytes(buf.subarray(0, fpLen), stored.fp)) {
      append = true;
      all = buf;
      allStart = stored.off - fpLen;
      data = buf.subarray(fpLen);
      start = stored.off;
      bad = stored.bad;
      if (stored.b_has) base = { step: stored.b_step ?? 0, ts: stored.b_ts ?? 0, value: special(stored.b_nan, stored.b_val) };
    }
  }
  if (!append) {
    data = preRead ?? readRange(p, 0, st.size);
    if (data === undefined) return undefined;
    all = data;
    allStart = 0;
  }
  const d = data as Buffer;
  const lastNl = d.lastIndexOf(0x0a);
  const complete = d.subarray(0, lastNl + 1);
  const tail = d.subarray(lastNl + 1);
  const off = start + lastNl + 1;
  const fpFrom = Math.max(allStart, off - FP_LEN) - allStart;
  const fp = Buffer.from((all as Buffer).subarray(fpFrom, off - allStart));
  let points: MetricPoint[] = [];
  const opts = { allowEmpty: true, runId, experimentId };
  if (!bad && complete.length > 0) {
    let done = false;
    if (!emit && base === undefined) {
      const fast = fastLatestMetricBytes(complete);
      if (fast) {
        base = { step: fast.step, ts: fast.timestamp, value: fast.value };
        done = true;
      }
    }
    if (!done) {
      const text = complete.toString('utf8');
      if (!emit && base === undefined && text.charCodeAt(0) !== 0xfeff) {
        const fast = fastLatestMetric(text);
        if (fast) {
          base = { step: fast.step, ts: fast.timestamp, value: fast.value };
          done = true;
        }
      }
      if (!done) {
        try {
          const pts = parseRunMetricFile(text, key, p, opts);
          base = fold(base, pts);
          if (emit) points = pts.map((m) => ({ value: m.value, step: m.step, timestamp: m.timestamp }));
        } catch {
          bad = 1;
        }
      }
    }
  }
  let eff = base;
  let tailBad = false;
  if (!bad && tail.length > 0) {
    try {
      eff = fold(base, parseRunMetricFile(tail.toString('utf8'), key, p, opts));
    } catch {
      tailBad = true;
    }
  }
  const presentNow = !bad && !tailBad && eff !== undefined;
  let warning: string | null = null;
  if (!presentNow) {
    // The scan drops this metric with the error of its exact reader over the whole file.
    const whole = append ? readRange(p, 0, st.size) : d;
    try {
      if (whole) parseRunMetricFile(whole.toString('utf8'), key, p, { runId, experimentId });
    } catch (err) {
      warning = `Ignoring metric '${key}' of run '${runId}' ('${p}'): ${(err as Error).message}`;
    }
  }
  return {
    ino: st.ino,
    size: start + d.length,
    mtime: st.mtimeMs,
    off,
    fp,
    bad,
    b_has: base ? 1 : 0,
    b_step: base ? base.step : null,
    b_ts: base ? base.ts : null,
    b_val: base && !Number.isNaN(base.value) ? base.value : null,
    b_nan: base ? specialOf(base.value) : 0,
    present: presentNow ? 1 : 0,
    value: presentNow && !Number.isNaN(eff!.value) ? eff!.value : null,
    is_nan: presentNow ? specialOf(eff!.value) : 0,
    step: presentNow ? eff!.step : null,
    ts: presentNow ? eff!.ts : null,
    warning,
    points,
    rewritten: stored !== undefined && !append,
  };
}

/** The scan's warning for a metric file with an invalid name. */
function invalidMetricWarning(p: string, key: string): RunWarning {
  let message = `Ignoring metric file '${p}'`;
  try {
    validateMetricName(key);
  } catch (err) {
    message = `Ignoring metric file '${p}': ${(err as Error).message}`;
  }
  return { scope: 'k', key, code: 'STRAY_ENTRY', path: p, message };
}

/** A metric file of a run with a valid name: its stat (and its bytes when read with it). */
export interface MetricFile {
  key: string;
  abs: string;
  st: fs.Stats;
  buf?: Buffer | undefined;
}

const MSIG_HEAD = 'M';

/** The `msig` of a run whose metrics are not indexed (not readable, or never read). */
export const NO_MSIG = '';

/**
 * Lists a run's metric files (valid names, stat'ed or read with their stat) and builds its
 * `msig` lines; `dirs` gets the metrics folders' `D` lines.
 */
export function metricLayout(
  ctx: ReadContext,
  runDir: string,
  entry: fs.Dirent | undefined,
  readBytes: boolean,
  dirs: string[],
): { msig: string; files: MetricFile[]; warnings: RunWarning[] } {
  const lines = [MSIG_HEAD];
  const files: MetricFile[] = [];
  const warnings: RunWarning[] = [];
  if (entry) {
    const mdir = join(runDir, 'metrics');
    const outside = entry.isSymbolicLink() && !linkStaysWithin(mdir, ctx.root);
    if (outside) {
      dirs.push(`Dmetrics\t${dirVal(statOf(mdir), ctx.trustBefore)}`);
    } else {
      for (const f of walk(mdir, 'metrics', ctx, dirs)) {
        if (f.outside) {
          lines.push(`Nmetrics/${f.key}`);
          continue;
        }
        if (!isValidMetricKey(f.key)) {
          lines.push(`Nmetrics/${f.key}`);
          warnings.push(invalidMetricWarning(join(mdir, f.key), f.key));
          continue;
        }
        const p = join(mdir, f.key);
        if (readBytes) {
          const r = readWithStat(p);
          if (!r || !r.buf) continue;
          lines.push(`Fmetrics/${f.key}\t${fileVal(r.st)}`);
          files.push({ key: f.key, abs: p, st: r.st, buf: r.buf });
        } else {
          const st = statOf(p);
          if (!st) continue;
          lines.push(`Fmetrics/${f.key}\t${fileVal(st)}`);
          files.push({ key: f.key, abs: p, st });
        }
      }
    }
  }
  return { msig: lines.join('\n'), files, warnings };
}

/** meta.yaml read through one descriptor: its stat (for the signature) and what `readYaml` returns or throws. */
interface MetaRead {
  st: fs.Stats | undefined;
  value: unknown;
  error: Error | undefined;
}

function readMeta(p: string): MetaRead {
  let fd: number;
  try {
    fd = fs.openSync(p, O_READ);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { st: undefined, value: undefined, error: undefined };
    return { st: statOf(p), value: undefined, error: code === 'EISDIR' ? undefined : ioError(err, 'read', p) };
  }
  let st: fs.Stats | undefined;
  try {
    st = fs.fstatSync(fd);
    if (st.size > MAX_META_BYTES) return { st, value: undefined, error: metaTooLarge(p, st.size) };
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    const text = buf.toString('utf8', 0, off);
    try {
      return { st, value: metaFromText(p, text), error: undefined };
    } catch (err) {
      return { st, value: undefined, error: err as Error };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR' || (err as NodeJS.ErrnoException).code === 'EAGAIN') return { st, value: undefined, error: undefined };
    return { st, value: undefined, error: ioError(err, 'read', p) };
  } finally {
    fs.closeSync(fd);
  }
}

/** `readRunInfoAt` (listing) on a meta.yaml already read: the info, or undefined with the scan's warning. */
function infoOf(meta: MetaRead, runDir: string, metaPath: string, experimentId: string, warnings: RunWarning[]): RunInfo | undefined {
  const name = path.basename(runDir);
  const w = (code: WarningCode, p: string, message: string): undefined => {
    warnings.push({ scope: 'r', key: '', code, path: p, message });
    return undefined;
  };
  if (meta.error) return w('MALFORMED_META', metaPath, `Malformed run '${name}': ${meta.error.message}`);
  if (meta.value === undefined) return w('MISSING_META', runDir, `Ignoring '${runDir}': not a run (no meta.yaml)`);
  if (meta.value === null) return w('EMPTY_META', metaPath, `Run '${name}' has an empty meta.yaml ('${metaPath}'); skipped`);
  const read = runInfoFromDict(meta.value);
  if (!read.ok) return w('MALFORMED_META', metaPath, `Malformed run '${name}' ('${metaPath}'): ${read.reason}`);
  const info = read.value;
  if (info.experimentId !== experimentId) {
    return w(
      'ID_MISMATCH',
      metaPath,
      `Wrong experiment ID (${info.experimentId}) recorded for run '${info.runId}'. It should be ${experimentId}. Run will be ignored.`,
    );
  }
  return info;
}

/** A 53-bit string hash (cyrb53), base 36: the names of a run's param files in its signature. */
export function hash53(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * A params/ or tags/ folder: its signature lines (`N` with the param file names, `F` per tag file) and,
 * with `values`, what `FileStore.readValueFolder` returns (and warns).
 */
function valueFolder(
  ctx: ReadContext,
  runDir: string,
  entry: fs.Dirent,
  kind: 'param' | 'tag',
  dirs: string[],
  lines: string[],
  values: Record<string, string> | undefined,
  warnings: RunWarning[],
): void {
  const name = kind === 'param' ? 'params' : 'tags';
  const dir = join(runDir, name);
  const outside = entry.isSymbolicLink() && !linkStaysWithin(dir, ctx.root);
  if (outside && values) {
    warnings.push({ scope: 'd', key: '', code: 'STRAY_ENTRY', path: dir, message: `Ignoring '${dir}': a symbolic link leading outside the store` });
  }
  const files = walk(dir, name, ctx, dirs);
  // Param files: their names only (one line: their count and a hash of the list).
  if (kind === 'param') lines.push(`Nparams\t${files.length}:${hash53(files.map((f) => f.key).join('\n'))}`);
  for (const f of files) {
    const rel = `${name}/${f.key}`;
    let content: Buffer | undefined;
    if (kind === 'tag') {
      if (values && !outside && !f.outside) {
        const r = readWithStat(f.abs);
        lines.push(`F${rel}\t${fileVal(r ? r.st : statOf(f.abs))}`);
        content = r?.buf;
      } else lines.push(`F${rel}\t${fileVal(statOf(f.abs))}`);
    }
    if (!values || outside || f.outside) continue;
    const p = join(dir, f.key);
    try {
      if (kind === 'param') validateParamName(f.key);
      else validateTagName(f.key);
    } catch (err) {
      warnings.push({ scope: 'd', key: '', code: 'STRAY_ENTRY', path: p, message: `Ignoring ${kind} file '${p}': ${(err as Error).message}` });
      continue;
    }
    if (kind === 'param') content = readNoStat(f.abs);
    if (content !== undefined) values[f.key] = content.toString('utf8');
  }
}

/**
 * The run-level part of a run folder: `probe` and `sig` lines, and with `values` the info, Run
 * (without metrics) and warnings a scan gives. `entries`: the run folder's listing.
 */
export function readRunCore(
  ctx: ReadContext,
  job: RunJob,
  runDir: string,
  entries: Map<string, fs.Dirent>,
  dirs: string[],
  values: boolean,
): { sig: string; info: RunInfo | undefined; run: Run | undefined; warnings: RunWarning[] } {
  const lines: string[] = [];
  const warnings: RunWarning[] = [];
  const metaPath = join(runDir, 'meta.yaml');
  let meta: MetaRead | undefined;
  if (values && !job.outside) {
    meta = readMeta(metaPath);
    lines.push(`Fmeta.yaml\t${fileVal(meta.st)}`);
  } else lines.push(`Fmeta.yaml\t${fileVal(statOf(metaPath))}`);
  const params: Record<string, string> | undefined = values ? {} : undefined;
  const tags: Record<string, string> | undefined = values ? {} : undefined;
  const pe = entries.get('params');
  // A run folder leading outside the root is not read (the scan skips it).
  const read = values && !job.outside;
  if (pe) valueFolder(ctx, runDir, pe, 'param', dirs, lines, read ? params : undefined, warnings);
  const te = entries.get('tags');
  if (te) valueFolder(ctx, runDir, te, 'tag', dirs, lines, read ? tags : undefined, warnings);
  for (const name of ['inputs', 'outputs']) {
    if (!entries.has(name)) continue;
    const d = path.join(runDir, name);
    dirs.push(`D${name}\t${dirVal(statOf(d), ctx.trustBefore)}`);
    for (const id of listSubdirs(d).sort()) lines.push(`F${name}/${id}/meta.yaml\t${fileVal(statOf(path.join(d, id, 'meta.yaml')))}`);
  }
  const sig = lines.join('\n');
  if (!values) return { sig, info: undefined, run: undefined, warnings };
  if (job.outside) {
    warnings.length = 0;
    warnings.push({ scope: 'r', key: '', code: 'STRAY_ENTRY', path: runDir, message: `Ignoring run folder '${runDir}': a symbolic link leading outside the store` });
    return { sig, info: undefined, run: undefined, warnings };
  }
  const info = infoOf(meta as MetaRead, runDir, metaPath, job.dir, warnings);
  if (!info) {
    // Not a run for the scan: only why it is not.
    return { sig, info: undefined, run: undefined, warnings: warnings.filter((w) => w.scope === 'r') };
  }
  let run: Run;
  if (entries.has('inputs') || entries.has('outputs')) {
    if (!ctx.readFull) throw new NeedsFullRead();
    run = ctx.readFull(info, runDir, job.expDir, warnings);
  } else {
    const runInfo = { ...info };
    if (!runInfo.runName) {
      const fromTag = (tags as Record<string, string>)['mlflow.runName'];
      if (fromTag) runInfo.runName = fromTag;
    }
    run = {
      info: runInfo,
      data: { metrics: {}, params: params as Record<string, string>, tags: tags as Record<string, string> },
      inputs: { datasetInputs: [], modelInputs: [] },
      outputs: { modelOutputs: [] },
    };
  }
  return { sig, info, run, warnings: dedupe(warnings) };
}

function dedupe(ws: RunWarning[]): RunWarning[] {
  if (ws.length < 2) return ws;
  const seen = new Set<string>();
  return ws.filter((w) => {
    const k = `${w.scope}\0${w.key}\0${w.code}\0${w.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The `runs` columns of a readable run. */
export function colsOf(run: Run): RunCols {
  const i = run.info;
  return [
    i.runId,
    i.experimentId,
    i.runName,
    i.userId,
    i.status,
    i.startTime !== null && Number.isNaN(i.startTime) ? 'NaN' : i.startTime,
    i.endTime !== null && Number.isNaN(i.endTime) ? 'NaN' : i.endTime,
    i.artifactUri,
    i.lifecycleStage,
  ];
}

/** What the catalog stores as a run's JSON (the Run without metrics). */
export const runJson = (run: Run): string =>
  JSON.stringify({ info: run.info, data: { params: run.data.params, tags: run.data.tags }, inputs: run.inputs, outputs: run.outputs });

/** Flat (kind, value) pairs of the `datasets` rows of a run. */
export function datasetRows(run: Run): string[] {
  const out: string[] = [];
  for (const input of run.inputs.datasetInputs) {
    out.push('name', input.dataset.name, 'digest', input.dataset.digest);
    for (const t of input.tags) if (t.key === 'mlflow.data.context') out.push('context', t.value);
  }
  return out;
}

const flat = (o: Record<string, string>): string[] => {
  const out: string[] = [];
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) out.push(k, o[k] as string);
  return out;
};

/** Writes a {@link MetricRow} into the packed arrays at index `i`. */
export function packMetric(row: MetricRow, nums: Float64Array, fps: Uint8Array, i: number): void {
  const b = i * M_STRIDE;
  const n = (v: number | null): number => (v === null ? NaN : v);
  nums[b + M.present] = row.present;
  nums[b + M.value] = n(row.value);
  nums[b + M.isNan] = row.is_nan;
  nums[b + M.step] = n(row.step);
  nums[b + M.ts] = n(row.ts);
  nums[b + M.ino] = row.ino;
  nums[b + M.size] = row.size;
  nums[b + M.mtime] = row.mtime;
  nums[b + M.off] = row.off;
  nums[b + M.bad] = row.bad;
  nums[b + M.bHas] = row.b_has;
  nums[b + M.bStep] = n(row.b_step);
  nums[b + M.bTs] = n(row.b_ts);
  nums[b + M.bVal] = n(row.b_val);
  nums[b + M.bNan] = row.b_nan;
  nums[b + M.fpLen] = row.fp.length;
  fps.set(row.fp, i * FP_LEN);
}

/**
 * Reads a run folder seen for the first time: everything a refresh writes for it. Undefined
 * when the folder is gone.
 */
export function readNewRun(ctx: ReadContext, job: RunJob): NewRun | undefined {
  const runDir = join(job.expDir, job.folder);
  const list = listDir(runDir);
  const dst = statOf(runDir);
  if (list.length === 0 && !dst) return undefined;
  const entries = new Map<string, fs.Dirent>();
  for (const e of list) entries.set(e.name, e);
  const dirs = [`D\t${dirVal(dst, ctx.trustBefore)}`];
  const core = readRunCore(ctx, job, runDir, entries, dirs, true);
  const base = {
    folder: job.folder,
    sig: core.sig,
    hasInputs: entries.has('inputs'),
    params: [] as string[],
    tags: [] as string[],
    ds: [] as string[],
    mkeys: [] as string[],
    mnum: new Float64Array(0),
    mfp: new Uint8Array(0),
    metricFilesRead: 0,
  };
  if (!core.info || !core.run) {
    return { ...base, probe: dirs.join('\n'), msig: NO_MSIG, ok: false, hasInputs: false, json: '', cols: NONE, warnings: core.warnings };
  }
  const run = core.run;
  const runId = run.info.runId;
  const experimentId = run.info.experimentId;
  const ml = metricLayout(ctx, runDir, entries.get('metrics'), true, dirs);
  const warnings = core.warnings;
  for (const w of ml.warnings) warnings.push(w);
  const mkeys: string[] = [];
  const mnum = new Float64Array(ml.files.length * M_STRIDE);
  const mfp = new Uint8Array(ml.files.length * FP_LEN);
  const points: MetricPoint[][] | undefined = ctx.emit ? [] : undefined;
  let read = 0;
  for (const f of ml.files) {
    const row = computeMetricFile(f.abs, f.key, f.st, undefined, runId, experimentId, ctx.emit, f.buf);
    if (!row) continue;
    read++;
    packMetric(row, mnum, mfp, mkeys.length);
    mkeys.push(f.key);
    if (points) points.push(row.points);
    if (row.warning !== null) warnings.push({ scope: 'm', key: f.key, code: 'MALFORMED_METRIC', path: f.abs, message: row.warning });
  }
  return {
    ...base,
    probe: dirs.join('\n'),
    msig: ml.msig,
    ok: true,
    json: runJson(run),
    cols: colsOf(run),
    params: flat(run.data.params),
    tags: flat(run.data.tags),
    ds: datasetRows(run),
    mkeys,
    mnum: mkeys.length === ml.files.length ? mnum : mnum.slice(0, mkeys.length * M_STRIDE),
    mfp: mkeys.length === ml.files.length ? mfp : mfp.slice(0, mkeys.length * FP_LEN),
    warnings,
    metricFilesRead: read,
    ...(points ? { points } : {}),
  };
}

/**
 * True when every folder and file of a run's signatures still stats as recorded: nothing in the
 * run changed (no listing needed). A `!` (too recent to trust) or a `-` that now exists fails.
 */
export function probesMatch(runDir: string, probe: string, sig: string, msig: string): boolean {
  return linesMatch(runDir, probe) && linesMatch(runDir, sig) && linesMatch(runDir, msig);
}

function linesMatch(runDir: string, text: string): boolean {
  if (text === '') return true;
  let i = 0;
  const n = text.length;
  while (i < n) {
    let e = text.indexOf('\n', i);
    if (e < 0) e = n;
    const kind = text.charCodeAt(i);
    if (kind === 68 /* D */ || kind === 70 /* F */) {
      const tab = text.indexOf('\t', i);
      const rel = text.slice(i + 1, tab);
      const val = text.slice(tab + 1, e);
      if (val === '!') return false;
      const st = statOf(rel === '' ? runDir : join(runDir, rel));
      const cur = kind === 68 ? dirStatVal(st) : fileVal(st);
      if (cur !== val) return false;
    }
    i = e + 1;
  }
  return true;
}
