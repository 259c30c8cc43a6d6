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
