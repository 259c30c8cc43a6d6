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
import type { Frame, Series } from './data.js';
import type { PyOutput, PyfuncModel } from './pyfunc.js';
import { dumpPyJson, pyJsonFloat } from './pyjson.js';
import { predictPyfunc } from './scoring.js';
import { castFrame } from './schema.js';

/** How the worker writes a chunk's predictions as text (the main thread only appends it). */
export interface BatchOutput {
  format: 'json' | 'jsonl' | 'csv';
  /** Input columns copied in front of each row's predictions (`--keep-column`). */
  keepNames: string[];
  keepCols: Series[];
}

/** A chunk to predict. */
export interface BatchRequest {
  frame: Frame;
  /** The 1-based input row number of the chunk's first row (for messages). */
  firstRow: number;
  skipBadRows: boolean;
  /** Format the predictions as text in the worker (else `rows` come back as records). */
  output?: BatchOutput;
}

/** A chunk's predictions written as text (see {@link BatchOutput}). */
export interface BatchText {
  /** Rows written. */
  n: number;
  /** `frame` (one record per row) or `dict` (output name → values, JSON only). */
  kind: 'frame' | 'dict';
  /** JSON Lines / CSV lines, or the JSON records joined by `, ` (no brackets). */
  text: string;
  /** `text` as UTF-8, when a worker sent it (then `text` is empty). */
  bytes?: Uint8Array;
  /** The CSV header line (names of the first row). */
  header: string;
  /** `dict` kind: per output name, its values joined by `, `. */
  parts: Array<[string, string]>;
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
  /** The text of the chunk when the request asked for {@link BatchOutput} (then `rows` is empty). */
  text?: BatchText;
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
    const n = outputLength(out);
    if (n !== req.frame.nrows) throw new Error(`The model returned ${n} rows for ${req.frame.nrows}`);
    if (req.output) return { rows: [], kept: [], bad: [], text: formatTable(tableOfOutput(out), null, req.output) };
    const rows = outputRows(out);
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
    if (req.output) return { rows: [], kept: [], bad, text: formatTable(tableOfRows(rows, floats, kind ?? 'frame'), kept, req.output) };
    return { ...(kind ? { kind } : {}), floatOutputs: floats, rows, kept, bad };
  }
}

/** Rows in a prediction. */
function outputLength(out: PyOutput): number {
  return out.kind === 'frame' ? out.nrows : (out.entries[0]?.dims[0] ?? 0);
}

/** Predictions as columns: name, float or not, the value of row i. */
interface Table {
  kind: 'frame' | 'dict';
  n: number;
  names: string[];
  floats: boolean[];
  get: Array<(i: number) => unknown>;
}

function tableOfOutput(out: PyOutput): Table {
  if (out.kind === 'frame') {
    return {
      kind: 'frame',
      n: out.nrows,
      names: out.columns.map((c) => c.name),
      floats: out.columns.map((c) => FLOAT_TYPES.has(c.dtype)),
      get: out.columns.map((c) => {
        const d = c.data;
        return (i: number) => norm(d[i]);
      }),
    };
  }
  return {
    kind: 'dict',
    n: outputLength(out),
    names: out.entries.map((e) => e.name),
    floats: out.entries.map((e) => FLOAT_TYPES.has(e.dtype)),
    get: out.entries.map((e) => {
      const inner = e.dims.slice(1);
      const per = inner.reduce((a, b) => a * b, 1);
      const d = e.data;
      if (e.dims.length === 1) return (i: number) => norm(d[i]);
      return (i: number) => {
        const flat = new Array<unknown>(per);
        for (let k = 0; k < per; k++) flat[k] = norm(d[i * per + k]);
        return nest(flat, inner);
      };
    }),
  };
}

function tableOfRows(rows: Array<Record<string, unknown>>, floats: string[], kind: 'frame' | 'dict'): Table {
  const names = Object.keys(rows[0] ?? {});
  return { kind, n: rows.length, names, floats: names.map((k) => floats.includes(k)), get: names.map((k) => (i: number) => (rows[i] as Record<string, unknown>)[k]) };
}

/** The JSON of one value as Python writes it (floats `2.0`, nested arrays). */
const floatJson = (v: unknown): string => (typeof v === 'number' ? pyJsonFloat(v) : Array.isArray(v) ? `[${v.map(floatJson).join(', ')}]` : dumpPyJson(v));
const jsonOf = (v: unknown, float: boolean): string => (float ? floatJson(v) : dumpPyJson(v));
const CSV_SPECIAL = /[",\n\r]/;
/** A CSV cell as pandas' `to_csv` writes it (floats `2.0`, booleans `True`). */
export const csvCell = (v: unknown, float = false): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'number' ? (float ? pyJsonFloat(v) : String(v)) : typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : jsonOf(v, float);
  return CSV_SPECIAL.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * Writes a chunk's predictions (the rows of `table`; `kept` maps them to input rows when some
 * were skipped) as JSON records, JSON Lines or CSV, the kept input columns first.
 */
function formatTable(table: Table, kept: number[] | null, o: BatchOutput): BatchText {
  const names: string[] = [];
  const floats: boolean[] = [];
  const get: Array<(i: number) => unknown> = [];
  o.keepNames.forEach((k, j) => {
    names.push(k);
    const at = table.names.indexOf(k);
    if (at >= 0) {
      // a prediction named as a kept column wins, at the kept column's place (`{...kept, ...row}`)
      floats.push(table.floats[at] as boolean);
      get.push(table.get[at] as (i: number) => unknown);
      return;
    }
    const col = o.keepCols[j] as Series;
    floats.push(col.dtype.startsWith('float'));
    const values = col.values;
    get.push(kept ? (i: number) => values[kept[i] as number] : (i: number) => values[i]);
  });
  table.names.forEach((k, j) => {
    if (o.keepNames.includes(k)) return;
    names.push(k);
    floats.push(table.floats[j] as boolean);
    get.push(table.get[j] as (i: number) => unknown);
  });
  const kind = o.keepNames.length > 0 ? 'frame' : table.kind;
  const n = table.n;
  const w = names.length;
  const result: BatchText = { n, kind, text: '', header: names.map((h) => csvCell(h)).join(','), parts: [] };
  if (o.format === 'csv') {
    const lines = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      let line = '';
      for (let j = 0; j < w; j++) line += (j ? ',' : '') + csvCell((get[j] as (i: number) => unknown)(i), floats[j]);
      lines[i] = line;
    }
    result.text = n ? `${lines.join('\n')}\n` : '';
    return result;
  }
  if (o.format === 'json' && kind === 'dict') {
    result.parts = names.map((k, j) => {
      const t = new Array<string>(n);
      const g = get[j] as (i: number) => unknown;
      const f = floats[j] as boolean;
      for (let i = 0; i < n; i++) t[i] = jsonOf(g(i), f);
      return [k, t.join(', ')];
    });
    return result;
  }
  const keys = names.map((k) => `${JSON.stringify(k)}: `);
  const recs = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let r = '{';
    for (let j = 0; j < w; j++) r += (j ? ', ' : '') + keys[j] + jsonOf((get[j] as (i: number) => unknown)(i), floats[j] as boolean);
    recs[i] = `${r}}`;
  }
  result.text = o.format === 'jsonl' ? (n ? `${recs.join('\n')}\n` : '') : recs.join(', ');
  return result;
}
