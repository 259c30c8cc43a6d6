/**
 * CSV as `pandas.read_csv` reads it for the scoring protocol: a header row, RFC 4180 quoting,
 * per-column dtype inference (int64, float64 — empty cells are NaN —, bool for
 * `True`/`False`, else strings), or the dtypes of a column signature.
 *
 * @example
 * ```ts
 * const f = parseCsvFrame('a,b\n1,2.5\n'); // a: int64, b: float64
 * ```
 * @module
 */
import type { Dtype, Frame, Series } from './data.js';
import { PyError, castValue } from './data.js';

/** Splits CSV text into records of fields (quotes, doubled quotes, CRLF). */
export function splitCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      field = '';
      if (!(row.length === 1 && row[0] === '')) rows.push(row);
      row = [];
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const INT_RE = /^\s*[+-]?\d+\s*$/;
const FLOAT_RE = /^\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)\s*$/i;
const NA = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);
const TRUE = new Set(['True', 'TRUE', 'true']);
const FALSE = new Set(['False', 'FALSE', 'false']);

/** The column pandas infers from CSV cells. */
export function inferCsvColumn(cells: string[]): Series {
  let ints = true;
  let floats = true;
  let bools = true;
  let nas = 0;
  for (const c of cells) {
    if (NA.has(c)) {
      nas++;
      continue;
    }
    if (ints && !INT_RE.test(c)) ints = false;
    if (floats && !FLOAT_RE.test(c)) floats = false;
    if (bools && !TRUE.has(c) && !FALSE.has(c)) bools = false;
  }
  if (nas === cells.length) return { dtype: 'float64', values: cells.map(() => NaN) };
  if (ints && nas === 0) return { dtype: 'int64', values: cells.map((c) => Number(c)) };
  if (ints || floats) return { dtype: 'float64', values: cells.map((c) => (NA.has(c) ? NaN : Number(castValue(c, 'float64')))) };
  if (bools && nas === 0) return { dtype: 'bool', values: cells.map((c) => TRUE.has(c)) };
  if (bools) return { dtype: 'object', values: cells.map((c) => (NA.has(c) ? NaN : TRUE.has(c))) };
  return { dtype: 'str', values: cells.map((c) => (NA.has(c) ? null : c)) };
}

/** `pd.read_csv(text, dtype=dtypes)`. */
export function parseCsvFrame(text: string, dtypes?: Map<string, Dtype>): Frame {
  const rows = splitCsv(text);
  if (rows.length === 0) throw new PyError('EmptyDataError', 'No columns to parse from file');
  const header = (rows[0] as string[]).map((h, j) => (h === '' ? `Unnamed: ${j}` : h));
  const body = rows.slice(1);
  for (let r = 0; r < body.length; r++) {
    const row = body[r] as string[];
    if (row.length > header.length) {
      throw new PyError('ParserError', `Error tokenizing data. C error: Expected ${header.length} fields in line ${r + 2}, saw ${row.length}\n`);
    }
  }
  const cols = header.map((name, j) => {
    const cells = body.map((row) => row[j] ?? '');
    const want = dtypes?.get(name);
    if (want && want !== 'object') {
      return { dtype: want, values: cells.map((c) => (NA.has(c) ? (want.startsWith('float') ? NaN : castValue(c, want)) : castValue(c, want))) };
    }
    if (want === 'object') return { dtype: 'object' as Dtype, values: cells.map((c) => (NA.has(c) ? NaN : c)) };
    return inferCsvColumn(cells);
  });
  return { kind: 'frame', columns: header, cols, nrows: body.length };
}

/**
 * Field spans of CSV rows in a byte buffer, read as {@link splitCsv} reads text (quotes toggle,
 * `""` inside quotes is a quote, `\n`, `\r\n` and `\r` end a row, blank rows skipped), without
 * making a string per cell: `starts`/`ends` index `buf`, `quoted` marks a field holding a quote.
 */
interface CsvSpans {
  starts: number[];
  ends: number[];
  quoted: number[];
  /** Index of each row's first field in `starts`. */
  rowFirst: number[];
  /** Fields in each row. */
  rowLen: number[];
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

function csvSpans(buf: Uint8Array, from: number, to: number, maxRows = Infinity): CsvSpans & { next: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  const quoted: number[] = [];
  const rowFirst: number[] = [];
  const rowLen: number[] = [];
  let i = from;
  let fieldStart = i;
  let q = 0;
  let inQuotes = false;
  let first = 0;
  const endRow = (end: number): void => {
    starts.push(fieldStart);
    ends.push(end);
    quoted.push(q);
    const len = starts.length - first;
    // a row holding one empty field is a blank line (splitCsv drops it)
    if (len === 1 && end === fieldStart && q === 0) {
      starts.pop();
      ends.pop();
      quoted.pop();
    } else {
      rowFirst.push(first);
      rowLen.push(len);
    }
    first = starts.length;
    q = 0;
  };
  while (i < to) {
    const c = buf[i] as number;
    if (inQuotes) {
      if (c === QUOTE) {
        if (buf[i + 1] === QUOTE && i + 1 < to) {
          i += 2;
          continue;
        }
        inQuotes = false;
      }
      i++;
      continue;
    }
    if (c === COMMA) {
      starts.push(fieldStart);
      ends.push(i);
      quoted.push(q);
      q = 0;
      fieldStart = ++i;
    } else if (c === LF || c === CR) {
      endRow(i);
      i += c === CR && buf[i + 1] === LF && i + 1 < to ? 2 : 1;
      fieldStart = i;
      if (rowFirst.length >= maxRows) return { starts, ends, quoted, rowFirst, rowLen, next: i };
    } else {
      if (c === QUOTE) {
        inQuotes = true;
        q = 1;
      }
      i++;
    }
  }
  if (fieldStart < to || starts.length > first) endRow(to);
  return { starts, ends, quoted, rowFirst, rowLen, next: to };
}

/** The text of a field as splitCsv gives it (quotes removed, `""` → `"`). */
function fieldText(buf: Buffer, s: number, e: number, quoted: number): string {
  if (quoted === 0) return buf.toString('utf8', s, e);
  const raw = buf.toString('utf8', s, e);
  let out = '';
  let inQ = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (inQ) {
      if (c === '"') {
        if (raw[i + 1] === '"') {
          out += '"';
          i++;
        } else inQ = false;
      } else out += c;
    } else if (c === '"') inQ = true;
    else out += c;
  }
  return out;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * A plain decimal number in `buf[s, e)` (`[+-]digits[.digits][e[+-]digits]`, what INT_RE and
 * FLOAT_RE accept minus spaces, inf and nan): its value, and whether it is an integer literal.
 * NaN when the bytes are something else (the caller then takes the string path).
 */
let lastIsInt = false;
function plainNumber(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  const c0 = buf[i];
  if (c0 === 0x2b || c0 === 0x2d) {
    neg = c0 === 0x2d;
    i++;
  }
  let m = 0;
  let digits = 0;
  let intDigits = 0;
  let fracDigits = 0;
  while (i < e) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) break;
    m = m * 10 + d;
    intDigits++;
    i++;
  }
  digits = intDigits;
  let isInt = true;
  if (i < e && buf[i] === 0x2e) {
    isInt = false;
    i++;
    while (i < e) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
      fracDigits++;
      i++;
    }
    digits += fracDigits;
  }
  if (digits === 0) return NaN;
  let simple = true;
  if (i < e && (buf[i] === 0x65 || buf[i] === 0x45)) {
    isInt = false;
    simple = false;
    i++;
    if (i < e && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
    let expDigits = 0;
    while (i < e && (buf[i] as number) >= 0x30 && (buf[i] as number) <= 0x39) {
      i++;
      expDigits++;
    }
    if (expDigits === 0) return NaN;
  }
  if (i !== e) return NaN;
  lastIsInt = isInt;
  // exact: an integer below 2^53 divided by an exact power of ten rounds once (correctly)
  if (simple && digits <= 15) {
    const v = fracDigits === 0 ? m : m / (POW10[fracDigits] as number);
    return neg ? -v : v;
  }
  return Number(Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString('latin1', s, e));
}

/**
 * The header row of CSV bytes (names as {@link parseCsvFrame} names them) and where the data
 * starts; null when `buf` holds no complete header row yet (unless `eof`).
 *
 * @example
 * ```ts
 * csvHeaderFromBytes(Buffer.from('a,b\n1,2\n'), true); // { names: ['a', 'b'], next: 4 }
 * ```
 */
export function csvHeaderFromBytes(buf: Buffer, eof: boolean): { names: string[]; next: number } | null {
  const sp = csvSpans(buf, 0, buf.length, 1);
  if (sp.rowFirst.length === 0 || (sp.next === buf.length && !eof && !endsRow(buf))) return null;
  const f = sp.rowFirst[0] as number;
  const names: string[] = [];
  for (let k = 0; k < (sp.rowLen[0] as number); k++) {
    const h = fieldText(buf, sp.starts[f + k] as number, sp.ends[f + k] as number, sp.quoted[f + k] as number);
    names.push(h === '' ? `Unnamed: ${k}` : h);
  }
  return { names, next: sp.next };
}
const endsRow = (buf: Buffer): boolean => buf.length > 0 && (buf[buf.length - 1] === LF || buf[buf.length - 1] === CR);

/**
 * CSV rows (no header) in a byte buffer as a data frame, exactly as {@link parseCsvFrame} reads
 * the same text: columns of plain numbers are read straight from the bytes, any other column
 * goes through {@link inferCsvColumn}. `firstLine` (1-based line of the first row) is for the
 * error about a row with too many fields.
 *
 * @example
 * ```ts
 * const f = csvFrameFromBytes(Buffer.from('1,2.5\n3,4\n'), ['a', 'b'], 2); // a: int64, b: float64
 * ```
 */
export function csvFrameFromBytes(buf: Buffer, header: string[], firstLine: number): Frame {
  const fast = plainFrame(buf, header);
  if (fast) return fast;
  const sp = csvSpans(buf, 0, buf.length);
  const nrows = sp.rowFirst.length;
  const width = header.length;
  for (let r = 0; r < nrows; r++) {
    if ((sp.rowLen[r] as number) > width) {
      throw new PyError('ParserError', `Error tokenizing data. C error: Expected ${width} fields in line ${firstLine + r}, saw ${sp.rowLen[r]}\n`);
    }
  }
  const cols: Series[] = [];
  for (let j = 0; j < width; j++) {
    const values: number[] = new Array<number>(nrows);
    let ints = true;
    let plain = true;
    for (let r = 0; r < nrows; r++) {
      if (j >= (sp.rowLen[r] as number)) {
        plain = false;
        break;
      }
      const f = (sp.rowFirst[r] as number) + j;
      const s = sp.starts[f] as number;
      const e = sp.ends[f] as number;
      if (sp.quoted[f] !== 0 || s === e) {
        plain = false;
        break;
      }
      const v = plainNumber(buf, s, e);
      if (Number.isNaN(v)) {
        plain = false;
        break;
      }
      values[r] = v;
      if (!lastIsInt) ints = false;
    }
    if (plain) {
      cols.push({ dtype: nrows === 0 ? 'float64' : ints ? 'int64' : 'float64', values });
      continue;
    }
    const cells: string[] = new Array<string>(nrows);
    for (let r = 0; r < nrows; r++) {
      if (j >= (sp.rowLen[r] as number)) cells[r] = '';
      else {
        const f = (sp.rowFirst[r] as number) + j;
        cells[r] = fieldText(buf, sp.starts[f] as number, sp.ends[f] as number, sp.quoted[f] as number);
      }
    }
    cols.push(inferCsvColumn(cells));
  }
  return { kind: 'frame', columns: header, cols, nrows };
}

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
const SPLIT = 134217729; // 2^27 + 1, Veltkamp's split of a double into two 26-bit halves

/**
 * The double nearest to the decimal (mh·10^k + ml) / 10^f, where mh holds the first 15 digits
 * and ml the next k (k <= 4, f <= 22): an estimate in double arithmetic, then the exact
 * residual (mh·10^k + ml) − v·10^f from Dekker's exact products, compared with half the gap
 * between v and its neighbours. The estimate (or its neighbour on the residual's side) is
 * accepted only when the residual is clearly below that half gap, which makes it the correctly
 * rounded value, the one Number() gives; anything else (a power of two, a near tie, a tiny
 * value) is NaN and the caller reads the text with Number().
 */
export function decimalValue(mh: number, ml: number, k: number, f: number): number {
  const T = POW10[k] as number;
  const F = POW10[f] as number;
  let v = (mh * T + ml) / F;
  if (!(v > 0) || v === Infinity) return NaN;
  const ph = mh * T;
  let c = SPLIT * mh;
  const mhh = c - (c - mh);
  const mhl = mh - mhh;
  c = SPLIT * T;
  const th = c - (c - T);
  const tl = T - th;
  const pl = mhh * th - ph + mhh * tl + mhl * th + mhl * tl; // mh·T = ph + pl exactly
  c = SPLIT * F;
  const fh = c - (c - F);
  const fl = F - fh;
  for (let attempt = 0; attempt < 2; attempt++) {
    f64[0] = v;
    const hi = f64Words[1] as number;
    if ((hi & 0xfffff) === 0 && f64Words[0] === 0) return NaN; // a power of two: the gap below is half the gap above
    const e = (hi >>> 20) & 0x7ff;
    if (e < 60) return NaN;
    f64Words[1] = (e - 52) << 20;
    f64Words[0] = 0;
    const ulp = f64[0] as number;
    const qh = v * F;
    c = SPLIT * v;
    const vh = c - (c - v);
    const vl = v - vh;
    const ql = vh * fh - qh + vh * fl + vl * fh + vl * fl; // v·F = qh + ql exactly
    const r = ph - qh + (pl - ql) + ml;
    const half = 0.5 * ulp * F;
    const ar = r < 0 ? -r : r;
    if (ar < half * (1 - 1e-9)) return v;
    if (ar < half * (1 + 1e-9)) return NaN;
    v = r > 0 ? v + ulp : v - ulp;
  }
  return NaN;
}

/**
 * The common case in one pass: every row has every field and every field is a plain number
 * (no quotes, no empty cells). Null as soon as something else shows up (the caller then reads
 * the general way).
 */
function plainFrame(buf: Buffer, header: string[]): Frame | null {
  const width = header.length;
  const values: number[][] = header.map(() => []);
  const ints: boolean[] = header.map(() => true);
  const n = buf.length;
  let i = 0;
  let rows = 0;
  // numbers of more than 15 digits are read by Number() from one latin1 string of the chunk
  // (a slice of it is much cheaper than a Buffer.toString per field)
  let text: string | null = null;
  while (i < n) {
    let c = buf[i] as number;
    if (c === LF || c === CR) {
      i++; // blank line
      continue;
    }
    for (let j = 0; j < width; j++) {
      const s = i;
      let neg = false;
      c = buf[i] as number;
      if (c === 0x2d || c === 0x2b) {
        neg = c === 0x2d;
        i++;
      }
      // m: the first 15 digits (exact); ml: the next ones (k of them)
      let m = 0;
      let ml = 0;
      let k = 0;
      let digits = 0;
      let frac = 0;
      let isInt = true;
      let simple = true;
      while (i < n) {
        const d = (buf[i] as number) - 0x30;
        if (d < 0 || d > 9) break;
        if (digits < 15) m = m * 10 + d;
        else if (k < 4) {
          ml = ml * 10 + d;
          k++;
        } else simple = false;
        digits++;
        i++;
      }
      if (i < n && buf[i] === 0x2e) {
        isInt = false;
        i++;
        while (i < n) {
          const d = (buf[i] as number) - 0x30;
          if (d < 0 || d > 9) break;
          if (digits + frac < 15) m = m * 10 + d;
          else if (k < 4) {
            ml = ml * 10 + d;
            k++;
          } else simple = false;
          frac++;
          i++;
        }
      }
      if (digits + frac === 0) return null;
      if (i < n && (buf[i] === 0x65 || buf[i] === 0x45)) {
        isInt = false;
        simple = false;
        i++;
        if (i < n && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
        const e0 = i;
        while (i < n && (buf[i] as number) >= 0x30 && (buf[i] as number) <= 0x39) i++;
        if (i === e0) return null;
      }
      // the field must end here: a comma between fields, a line break (or the end) after the last
      c = i < n ? (buf[i] as number) : LF;
      if (j < width - 1 ? c !== COMMA : c !== LF && c !== CR) return null;
      let v: number;
      if (simple && digits + frac <= 15) {
        v = frac === 0 ? m : m / (POW10[frac] as number);
        if (neg) v = -v;
      } else {
        // 16 to 19 digits: checked exact in double arithmetic (else Number() of the text)
        v = simple && frac <= 22 ? decimalValue(m, ml, k, frac) : NaN;
        if (Number.isNaN(v)) {
          text ??= buf.toString('latin1');
          v = Number(text.slice(s, i));
        } else if (neg) v = -v;
      }
      (values[j] as number[]).push(v);
      if (!isInt) ints[j] = false;
      i++;
      if (c === CR && buf[i] === LF) i++;
    }
    rows++;
  }
  return { kind: 'frame', columns: header, cols: values.map((v, j) => ({ dtype: rows > 0 && ints[j] ? 'int64' : 'float64', values: v })), nrows: rows };
}
