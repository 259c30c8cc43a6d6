/**
 * The small part of numpy and pandas the scoring protocol goes through, on plain JS values:
 * `np.array(data)` dtype inference and `np.array(data, dtype)` casts ({@link Nd}), and data
 * frames (`pd.DataFrame` from `split`/`records` JSON and CSV, `astype`, `.values`). Values keep
 * Python's int/float distinction ({@link PyFloat} for float literals with integral values).
 *
 * @example
 * ```ts
 * const a = ndFromJson([[1, 2], [3, 4]]); // int64, shape [2, 2]
 * const f = castNd(a, 'float32');        // float32
 * ```
 * @module
 */
import { PyFloat, formatPythonFloat } from '../format/float.js';

/** numpy dtypes the protocol deals with (`str` is numpy `<U`/pandas `str`, `object` anything). */
export type Dtype = 'bool' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'float16' | 'float32' | 'float64' | 'str' | 'object';

/** A numpy ndarray: dtype, shape, flat values (numbers, booleans, strings or anything for `object`). */
export interface Nd {
  kind: 'nd';
  dtype: Dtype;
  shape: number[];
  data: unknown[];
}

/** A pandas Series (a data frame column). */
export interface Series {
  dtype: Dtype;
  values: unknown[];
}

/** A pandas DataFrame. */
export interface Frame {
  kind: 'frame';
  columns: string[];
  cols: Series[];
  nrows: number;
  /** The index labels when not the default 0..n-1. */
  index?: unknown[] | null;
}

/** A dict of name → value (`{"inputs": {...}}`), the values Nd or anything Python had. */
export interface Dict {
  kind: 'dict';
  entries: Map<string, unknown>;
}

/** Anything else Python would pass on (a list of dicts, a scalar). */
export interface Other {
  kind: 'other';
  value: unknown;
  typeName: string;
}

export type PyData = Nd | Frame | Dict | Other;

/** A Python exception raised while converting (its class name and message). */
export class PyError extends Error {
  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(message);
  }
  repr(): string {
    return `${this.pyType}(${pyStrRepr(this.message)})`;
  }
}

/** Python `repr` of a str. */
export function pyStrRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

export const isFloatDtype = (d: Dtype): boolean => d === 'float16' || d === 'float32' || d === 'float64';
export const isIntDtype = (d: Dtype): boolean => /^u?int\d+$/.test(d);
export const itemsize = (d: Dtype): number => {
  const m = /(\d+)$/.exec(d);
  return m ? Number(m[1]) / 8 : d === 'bool' ? 1 : 8;
};

/** The number in a JSON value (number or PyFloat), else null. */
export const num = (v: unknown): number | null => (typeof v === 'number' ? v : v instanceof PyFloat ? v.value : null);
const isFloatLit = (v: unknown): boolean => v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
const isIntLit = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
const isDictLike = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof PyFloat);

/** Python `str()` of a JSON value. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v instanceof PyFloat) return formatPythonFloat(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatPythonFloat(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** The dtype numpy infers for leaf values (`np.array(values).dtype`). */
export function inferDtype(values: readonly unknown[]): Dtype {
  if (values.length === 0) return 'float64';
  let bool = 0;
  let int = 0;
  let float = 0;
  let str = 0;
  let other = 0;
  for (const v of values) {
    if (typeof v === 'boolean') bool++;
    else if (isIntLit(v)) int++;
    else if (isFloatLit(v) || (typeof v === 'number' && !Number.isFinite(v))) float++;
    else if (typeof v === 'string') str++;
    else other++;
  }
  if (other > 0) return 'object';
  if (str > 0) return 'str';
  if (float > 0) return 'float64';
  if (int > 0) return 'int64';
  return 'bool';
}

/** `np.array(data)`: the shape of nested lists (ragged fails as numpy fails), flat values, inferred dtype. */
export function ndFromJson(data: unknown): Nd {
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: unknown[] = [];
  const visit = (v: unknown, level: number): void => {
    if (level === shape.length) {
      if (Array.isArray(v)) ragged(level);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[level]) ragged(level);
    for (const x of v as unknown[]) visit(x, level + 1);
  };
  const ragged = (level: number): never => {
    throw new PyError(
      'ValueError',
      `setting an array element with a sequence. The requested array has an inhomogeneous shape after ${level} dimensions. The detected shape was (${shape.slice(0, level).join(', ')}${level === 1 ? ',' : ''}) + inhomogeneous part.`,
    );
  };
  visit(data, 0);
  const dtype = inferDtype(flat);
  return { kind: 'nd', dtype, shape, data: dtype === 'str' ? flat.map(pyStr) : flat };
}

function parsePyFloatStr(s: string): number {
  const t = s.trim().replace(/_/g, '');
  if (/^[+-]?(nan)$/i.test(t)) return NaN;
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  throw new PyError('ValueError', `could not convert string to float: ${pyStrRepr(s)}`);
}

function toInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  const x = num(v);
  if (x !== null) {
    if (!Number.isFinite(x)) throw new PyError('ValueError', `cannot convert float ${Number.isNaN(x) ? 'NaN' : 'infinity'} to integer`);
    return Math.trunc(x);
  }
  if (typeof v === 'string') {
    const t = v.trim().replace(/_/g, '');
    if (/^[+-]?\d+$/.test(t)) return Number(t);
    throw new PyError('ValueError', `invalid literal for int() with base 10: ${pyStrRepr(v)}`);
  }
  throw new PyError('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${v === null ? 'NoneType' : Array.isArray(v) ? 'list' : 'dict'}'`);
}

function toFloat(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null) return NaN;
  const x = num(v);
  if (x !== null) return x;
  if (typeof v === 'string') return parsePyFloatStr(v);
  throw new PyError('TypeError', `float() argument must be a string or a real number, not '${Array.isArray(v) ? 'list' : 'dict'}'`);
}

const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
};

/** One value cast as `np.array([v], dtype)` casts it (int wraps as numpy's C cast does). */
export function castValue(v: unknown, dtype: Dtype): unknown {
  switch (dtype) {
    case 'float16':
    case 'float64':
      return toFloat(v);
    case 'float32':
      return Math.fround(toFloat(v));
    case 'bool':
      if (typeof v === 'string') return v.length > 0;
      if (v === null) return false;
      return Boolean(num(v) ?? v);
    case 'str':
      return pyStr(v);
    case 'object':
      return v;
    default: {
      const x = toInt(v);
      const r = INT_RANGE[dtype];
      if (r && (x < r[0] || x > r[1])) {
        const span = r[1] - r[0] + 1;
        return ((((x - r[0]) % span) + span) % span) + r[0];
      }
      return x;
    }
  }
}

/** `np.array(nd, dtype)` / `nd.astype(dtype)`. */
export function castNd(nd: Nd, dtype: Dtype): Nd {
  if (nd.dtype === dtype) return nd;
  return { kind: 'nd', dtype, shape: nd.shape, data: nd.data.map((v) => castValue(v, dtype)) };
}

/** `np.array(data, dtype=dtype)`. */
export function ndFromJsonAs(data: unknown, dtype: Dtype): Nd {
  const nd = ndFromJson(data);
  if (nd.dtype === 'str' && dtype !== 'str' && dtype !== 'object') {
    // numpy casts the original values, not their str()
    const raw = ndRawFlat(data);
    return { kind: 'nd', dtype, shape: nd.shape, data: raw.map((v) => castValue(v, dtype)) };
  }
  return castNd(nd, dtype);
}

function ndRawFlat(data: unknown): unknown[] {
  const out: unknown[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else out.push(v);
  };
  visit(data);
  return out;
}

/** pandas column dtype of Python values (pandas 3: strings are `str`, None with numbers is NaN). */
export function seriesDtype(values: readonly unknown[]): Dtype {
  let bool = 0;
  let int = 0;
  let float = 0;
  let str = 0;
  let nul = 0;
  let other = 0;
  for (const v of values) {
    if (v === null || v === undefined) nul++;
    else if (typeof v === 'boolean') bool++;
    else if (isIntLit(v)) int++;
    else if (isFloatLit(v) || typeof v === 'number') float++;
    else if (typeof v === 'string') str++;
    else other++;
  }
  if (values.length === 0) return 'object';
  if (other > 0) return 'object';
  if (str > 0) return str + nul === values.length ? 'str' : 'object';
  if (bool > 0) return bool === values.length ? 'bool' : 'object';
  if (float > 0 || (int > 0 && nul > 0)) return 'float64';
  if (int > 0) return 'int64';
  return 'object';
}

/** A Series from Python values, as pandas builds a column. */
export function makeSeries(values: unknown[]): Series {
  const dtype = seriesDtype(values);
  if (dtype === 'float64') return { dtype, values: values.map((v) => (v === null || v === undefined ? NaN : num(v))) };
  if (dtype === 'int64') return { dtype, values: values.map((v) => num(v)) };
  return { dtype, values: values.map((v) => (v === undefined ? null : v)) };
}

/** `pd.DataFrame(data=rows, columns=columns)` from the `split` orient. */
export function frameFromSplit(columns: unknown, data: unknown, index: unknown): Frame {
  if (!Array.isArray(data)) throw new PyError('ValueError', 'DataFrame constructor not properly called!');
  const rows = data.map((r) => (Array.isArray(r) ? r : [r]));
  const width = rows.reduce((m, r) => Math.max(m, r.length), 0);
  let names: string[];
  if (columns === undefined || columns === null) names = Array.from({ length: width }, (_, i) => String(i));
  else if (!Array.isArray(columns)) throw new PyError('TypeError', 'Index(...) must be called with a collection of some kind');
  else names = columns.map(pyStr);
  if (rows.length > 0 && names.length !== width) {
    throw new PyError('ValueError', `${names.length} columns passed, passed data had ${width} columns`);
  }
  if (index !== undefined && index !== null && (!Array.isArray(index) || index.length !== rows.length)) {
    throw new PyError('ValueError', `Length of values (${rows.length}) does not match length of index (${Array.isArray(index) ? index.length : 1})`);
  }
  const cols = names.map((_, j) => makeSeries(rows.map((r) => (j < r.length ? r[j] : null))));
  return { kind: 'frame', columns: names, cols, nrows: rows.length, index: Array.isArray(index) ? index : null };
}

/** `pd.DataFrame(data=records)` from the `records` orient (keys in order of first appearance). */
export function frameFromRecords(records: unknown[]): Frame {
  if (records.length > 0 && records.every((r) => Array.isArray(r))) return frameFromSplit(null, records, null);
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (!isDictLike(r)) throw new PyError('TypeError', 'object of type is not a valid record');
    for (const k of Object.keys(r as object)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  const cols = names.map((k) => makeSeries(records.map((r) => (r as Record<string, unknown>)[k] ?? null)));
  return { kind: 'frame', columns: names, cols, nrows: records.length };
}

/** `pd.DataFrame({name: values})` of a dict of arrays/scalars. */
export function frameFromDict(entries: Map<string, unknown>): Frame {
  const names = [...entries.keys()];
  const cols: Series[] = [];
  let n = -1;
  for (const k of names) {
    const v = entries.get(k);
    let s: Series;
    if (v && typeof v === 'object' && (v as Nd).kind === 'nd') {
      const nd = v as Nd;
      if (nd.shape.length === 0) s = { dtype: nd.dtype, values: [nd.data[0]] };
      else if (nd.shape.length === 1) s = { dtype: nd.dtype, values: nd.data };
      else throw new PyError('ValueError', 'Per-column arrays must each be 1-dimensional');
    } else if (Array.isArray(v)) s = makeSeries(v);
    else s = makeSeries([v]);
    if (n >= 0 && s.values.length !== n) throw new PyError('ValueError', 'All arrays must be of the same length');
    n = s.values.length;
    cols.push(s);
  }
  return { kind: 'frame', columns: names, cols, nrows: Math.max(n, 0) };
}

/** The common dtype of columns (`DataFrame.values`). */
export function commonDtype(dtypes: readonly Dtype[]): Dtype {
  if (dtypes.length === 0) return 'object';
  const first = dtypes[0] as Dtype;
  if (dtypes.every((d) => d === first)) return first === 'str' ? 'object' : first;
  if (dtypes.some((d) => d === 'object' || d === 'str' || d === 'bool')) return 'object';
  if (dtypes.some(isFloatDtype)) {
    if (dtypes.every((d) => d === 'float32' || d === 'int8' || d === 'int16' || d === 'uint8' || d === 'uint16')) return 'float32';
    return 'float64';
  }
  return 'int64';
}

/** `DataFrame.values`: a 2-D Nd. */
export function frameValues(f: Frame): Nd {
  const dtype = commonDtype(f.cols.map((c) => c.dtype));
  const data: unknown[] = new Array(f.nrows * f.cols.length);
  const w = f.cols.length;
  for (let j = 0; j < w; j++) {
    const col = f.cols[j] as Series;
    const conv = col.dtype !== dtype && dtype !== 'object';
    for (let i = 0; i < f.nrows; i++) data[i * w + j] = conv ? castValue(col.values[i], dtype) : col.values[i];
  }
  return { kind: 'nd', dtype, shape: [f.nrows, w], data };
}

/** `Series.values`: a 1-D Nd (`str` columns become object arrays). */
export function seriesValues(s: Series): Nd {
  return { kind: 'nd', dtype: s.dtype === 'str' ? 'object' : s.dtype, shape: [s.values.length], data: s.values };
}

/** `series.astype(dtype)` (pandas rules: NaN cannot become an integer). */
export function castSeries(s: Series, dtype: Dtype): Series {
  if (s.dtype === dtype) return s;
  if (dtype === 'object') return s.dtype === 'str' ? s : { dtype, values: s.values };
  if (isIntDtype(dtype) && isFloatDtype(s.dtype) && s.values.some((v) => !Number.isFinite(v as number))) {
    throw new PyError('IntCastingNaNError', 'Cannot convert non-finite values (NA or inf) to integer');
  }
  return { dtype, values: s.values.map((v) => castValue(v, dtype)) };
}

/** Python's `repr` of a value in an error message (approximate). */
export function typeNameOf(v: unknown): string {
  if (v === null) return "<class 'NoneType'>";
  if (Array.isArray(v)) return "<class 'list'>";
  if (typeof v === 'string') return "<class 'str'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (isFloatLit(v)) return "<class 'float'>";
  if (typeof v === 'number') return "<class 'int'>";
  return "<class 'dict'>";
}
