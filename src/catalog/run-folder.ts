/**
 * What the catalog keeps of a run folder, read with the store's one run-folder reader
 * (`store/file/run-folder.ts`: info, params, tags, inputs, outputs, signatures): the latest
 * value of each metric file kept incrementally (from a stored offset when a file grew by
 * appends), packed for the cold-build workers, and the probe that tells a delta refresh nothing
 * in a run changed. Used in the refreshing thread and in the workers (`worker.ts`), so it
 * imports nothing that opens a database.
 *
 * A run row keeps three signatures: `sig` (meta.yaml, params, tags, inputs, outputs: re-read the
 * run when it changes), `msig` (the metric files: re-check each when it changes) and `probe` (the
 * folders). When every `D` and `F` entry of the three still stats the same, nothing in the run
 * changed and a delta refresh skips it without listing a folder ({@link probesMatch}).
 *
 * @example
 * ```ts
 * const nr = readNewRun({ root, trustBefore: Date.now() - RACY_MS, emit: false }, { loc: 'root', dir: '1', expDir, folder: 'abc', outside: false });
 * ```
 */
import type { Run } from '../entities.js';
import { parseRunMetricFile } from '../format/metric-line.js';
import { fastLatestMetric, fastLatestMetricBytes } from '../store/file/metric-scan.js';
import { joinName as join } from '../store/file/fs.js';
import {
  NO_MSIG,
  dirStatVal,
  fileVal,
  metricLayout,
  readRange,
  readRunCore,
  runEntries,
  statOf,
  dirVal,
} from '../store/file/run-folder.js';
import type { ReadContext as StoreReadContext, RunFolder, RunWarning } from '../store/file/run-folder.js';
import type { Location } from '../store/file/layout.js';
import type { MetricPoint } from './events.js';
import { SUMMARY_MIN_BYTES, SummaryBuilder } from './summary.js';
import type { SummaryRow } from './summary.js';

export { NO_MSIG, dirVal, fileVal, metricLayout, readRunCore, statOf };
export type { RunWarning, WarnScope } from '../store/file/run-folder.js';

/** A folder changed less than this before the refresh started is not trusted by its stat alone. */
export const RACY_MS = 3000;

/** Bytes kept from before a metric file's offset, to tell an append from a rewrite. */
export const FP_LEN = 16;

/**
 * Per-refresh reading context: the store reader's, and whether change events are built.
 *
 * @example
 * ```ts
 * const ctx: ReadContext = { root: '/data/mlruns', trustBefore: Date.now() - RACY_MS, emit: false };
 * ```
 */
export interface ReadContext extends StoreReadContext {
  /** Build change events (exact parse of every metric point). */
  emit: boolean;
}

/**
 * One run folder to read, and where its experiment folder is (`loc`: the root or `.trash`).
 *
 * @example
 * ```ts
 * const j: RunJob = { loc: 'root', dir: '1', expDir: '/data/mlruns/1', folder: 'abc', outside: false };
 * ```
 */
export interface RunJob extends RunFolder {
  loc: Location;
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
  /** The series summary rows of each metric (same order as mkeys). */
  msum: SummaryRow[][];
  warnings: RunWarning[];
  metricFilesRead: number;
  /** Only when the context emits events: the metric points of each metric (same order as mkeys). */
  points?: MetricPoint[][];
}

const NONE: RunCols = [null, null, null, null, null, null, null, null, null];

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
  /**
   * The series summary rows to write (see `summary.ts`); `fresh`: a new summary (the stored
   * rows of this metric are replaced), else the changed chunks of the stored one.
   */
  summary: { fresh: boolean; rows: SummaryRow[] };
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
  storedSummary?: () => SummaryBuilder | undefined,
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
  // The series summary: extended by the appended lines when the stored one ends where they
  // start, else built from every complete line of the file.
  // A file under SUMMARY_MIN_BYTES gets none: a chart reads its few points from the file, and a
  // cold build of many short histories parses no line for it.
  let summary: SummaryBuilder | undefined = append ? storedSummary?.() : undefined;
  let fresh = false;
  if (summary && summary.end === start) summary.feed(complete, 0, complete.length, start);
  else if (off >= SUMMARY_MIN_BYTES) {
    fresh = true;
    summary = new SummaryBuilder();
    const whole = append ? readRange(p, 0, off) : d;
    if (whole) summary.feed(whole, 0, Math.min(whole.length, off), 0);
  } else {
    fresh = true;
    summary = undefined;
  }
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
    summary: { fresh, rows: summary ? summary.rows() : [] },
  };
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
  const entries = runEntries(runDir);
  if (!entries) return undefined;
  const dirs = [`D\t${dirVal(statOf(runDir), ctx.trustBefore)}`];
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
    msum: [] as SummaryRow[][],
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
  const msum: SummaryRow[][] = [];
  let read = 0;
  for (const f of ml.files) {
    const row = computeMetricFile(f.abs, f.key, f.st, undefined, runId, experimentId, ctx.emit, f.buf);
    if (!row) continue;
    read++;
    packMetric(row, mnum, mfp, mkeys.length);
    mkeys.push(f.key);
    msum.push(row.summary.rows);
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
    msum,
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
