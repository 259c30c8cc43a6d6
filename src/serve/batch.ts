/**
 * Batch prediction of a data frame chunk (what `mlruns predict` sends to its workers): the
 * chunk is predicted at once; when that fails, row by row to name the first bad row (or to
 * skip the bad rows). Each row's prediction comes back as a record of output name → value.
 *
 * @example
 * ```ts
 * const r = await predictBatch(model, { frame, firstRow: 0, skipBadRows: false });
 * r.rows; // [{ y: 1.75 }, ...]
 * ```
 * @module
 */
import type { Frame } from './data.js';
import type { PyOutput, PyfuncModel } from './pyfunc.js';
import { predictPyfunc } from './scoring.js';
import { castFrame } from './schema.js';

/** A chunk to predict. */
export interface BatchRequest {
  frame: Frame;
  /** The 1-based input row number of the chunk's first row (for messages). */
  firstRow: number;
  skipBadRows: boolean;
}

/** A chunk's predictions: one record per row kept, the bad rows skipped (or the first error). */
export interface BatchResult {
  /** `frame` (records) or `dict` (output name → array), as the model answered the chunk. */
  kind?: 'frame' | 'dict';
  /** The outputs whose values are floats (written `2.0`, as Python writes them). */
  floatOutputs?: string[];
  rows: Array<Record<string, unknown>>;
  kept: number[];
  bad: Array<{ row: number; message: string }>;
  error?: string;
}

/** A chunk goes through what a `dataframe_split` request goes through: the signature's casts, then predict. */
async function predictFrame(model: PyfuncModel, frame: Frame): Promise<PyOutput> {
  return predictPyfunc(model, model.schema ? castFrame(frame, model.schema) : frame, null);
}

function sliceFrame(f: Frame, i: number): Frame {
  return { kind: 'frame', columns: f.columns, cols: f.cols.map((c) => ({ dtype: c.dtype, values: [c.values[i]] })), nrows: 1 };
}

/** The per-row records of a prediction (row i of every output). */
export function outputRows(out: PyOutput): Array<Record<string, unknown>> {
  if (out.kind === 'frame') {
    const rows: Array<Record<string, unknown>> = [];
    for (let i = 0; i < out.nrows; i++) {
      const r: Record<string, unknown> = {};
      for (const c of out.columns) r[c.name] = norm(c.data[i]);
      rows.push(r);
    }
    return rows;
  }
  const n = out.entries[0]?.dims[0] ?? 0;
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const r: Record<string, unknown> = {};
    for (const e of out.entries) {
      const per = e.dims.slice(1).reduce((a, b) => a * b, 1);
      const flat = Array.from({ length: per }, (_, k) => norm(e.data[i * per + k]));
      r[e.name] = e.dims.length === 1 ? flat[0] : nest(flat, e.dims.slice(1));
    }
    rows.push(r);
  }
  return rows;
}

const FLOAT_TYPES = new Set(['float16', 'float32', 'float64']);
function floatOutputs(out: PyOutput): string[] {
  return out.kind === 'frame' ? out.columns.filter((c) => FLOAT_TYPES.has(c.dtype)).map((c) => c.name) : out.entries.filter((e) => FLOAT_TYPES.has(e.dtype)).map((e) => e.name);
}

const norm = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);
function nest(flat: unknown[], dims: number[]): unknown {
  if (dims.length <= 1) return flat;
  const size = dims.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: dims[0] as number }, (_, i) => nest(flat.slice(i * size, i * size + size), dims.slice(1)));
}

const errMessage = (err: unknown): string => {
  const e = err as { message?: string };
  return e?.message ?? String(err);
};

/** Predicts a chunk; see the module comment. */
export async function predictBatch(model: PyfuncModel, req: BatchRequest): Promise<BatchResult> {
  try {
    const out = await predictFrame(model, req.frame);
    const rows = outputRows(out);
    if (rows.length !== req.frame.nrows) throw new Error(`The model returned ${rows.length} rows for ${req.frame.nrows}`);
    return { kind: out.kind, floatOutputs: floatOutputs(out), rows, kept: rows.map((_, i) => i), bad: [] };
  } catch (batchErr) {
    const rows: Array<Record<string, unknown>> = [];
    const kept: number[] = [];
    const bad: BatchResult['bad'] = [];
    let kind: BatchResult['kind'];
    let floats: string[] = [];
    for (let i = 0; i < req.frame.nrows; i++) {
      try {
        const out = await predictFrame(model, sliceFrame(req.frame, i));
        kind = out.kind;
        floats = floatOutputs(out);
        const r = outputRows(out);
        rows.push(r[0] ?? {});
        kept.push(i);
      } catch (err) {
        const message = errMessage(err);
        if (!req.skipBadRows) return { rows: [], kept: [], bad: [{ row: req.firstRow + i, message }], error: `Row ${req.firstRow + i}: ${message}` };
        bad.push({ row: req.firstRow + i, message });
      }
    }
    if (bad.length === 0 && rows.length === 0) return { rows: [], kept: [], bad: [], error: errMessage(batchErr) };
    return { ...(kind ? { kind } : {}), floatOutputs: floats, rows, kept, bad };
  }
}
