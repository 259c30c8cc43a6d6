/**
 * A lenient byte-level reader of MLflow's run metric lines (`ts value [step]` or
 * `ts value step dataset digest`; as MLflow reads them, only a 3-field line carries its step),
 * for charts: a damaged line is skipped (counted) instead of failing the file. Works on bytes:
 * integers are read digit by digit, only the value goes through `Number`. Shared by the UI's
 * series cache and the catalog's series summaries, so both see the same points.
 *
 * @example
 * ```ts
 * forEachMetricLine(Buffer.from('1 0.5 0\n2 0.25 1\n'), 0, 18, (ts, v, step, at) => console.log(ts, v, step, at));
 * ```
 */

/** Python's `float()` spellings MLflow writes (nan, inf, -inf and ordinary numbers). */
export function pyFloatText(s: string): number {
  const n = Number(s);
  if (!Number.isNaN(n) || s === 'NaN') return n;
  const l = s.toLowerCase();
  if (l === 'nan' || l === '+nan' || l === '-nan') return NaN;
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return NaN;
}

/** A plain decimal integer of bytes [a, b) (optional '-'), else NaN (then the slow path decides). */
export function intAt(buf: Buffer, a: number, b: number): number {
  let neg = false;
  if (a < b && buf[a] === 45) {
    neg = true;
    a++;
  }
  if (a >= b || b - a > 15) return NaN;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

/** Latin-1 text of bytes [a, b). */
function latin1(buf: Buffer, a: number, b: number): string {
  return buf.toString('latin1', a, b);
}

/** Exact powers of ten (10^22 is the last one a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * A value of bytes [a, b): a plain decimal `-?\d+(\.\d*)?` whose digits form an integer M up
 * to 2^53 with at most 22 decimals is M / 10^k, which is exact (both are doubles, one division
 * is correctly rounded: Clinger's fast path); anything else goes through Python's `float()`.
 */
function valueAt(buf: Buffer, a: number, b: number): number {
  let i = a;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  if (i >= b) return pyFloatText(latin1(buf, a, b));
  let n = 0;
  let digits = 0;
  let any = 0;
  let k = -1;
  for (; i < b; i++) {
    const c = buf[i]!;
    if (c === 46) {
      if (k >= 0) return pyFloatText(latin1(buf, a, b));
      k = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return pyFloatText(latin1(buf, a, b));
    n = n * 10 + d;
    any++;
    if (n !== 0 && ++digits > 16) return pyFloatText(latin1(buf, a, b));
    if (k >= 0) k++;
  }
  if (any === 0 || digits > 16 || n > 9007199254740992 || k > 22) return pyFloatText(latin1(buf, a, b));
  const v = k > 0 ? n / POW10[k]! : n;
  return neg ? -v : v;
}

/**
 * Calls `point(ts, value, step, lineStart)` for each readable line of `buf[from, end)` (complete
 * lines; `lineStart` is the line's offset in `buf`) and returns the number of damaged lines.
 */
export function forEachMetricLine(bytes: Uint8Array, from: number, end: number, point: (ts: number, value: number, step: number, lineStart: number) => void): number {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let skipped = 0;
  let i = from;
  let sp0 = 0;
  let sp1 = 0;
  while (i < end) {
    let j = buf.indexOf(10, i);
    if (j === -1 || j > end) j = end;
    const lineStart = i;
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
        if (k === 0) sp0 = c;
        else if (k === 1) sp1 = c;
        k++;
      }
    }
    const fields = k + 1;
    if (bad || (fields !== 2 && fields !== 3 && fields !== 5)) {
      skipped++;
      continue;
    }
    let ts = intAt(buf, a, sp0);
    if (Number.isNaN(ts)) ts = Number(latin1(buf, a, sp0));
    const vEnd = fields === 2 ? b : sp1;
    const v = valueAt(buf, sp0 + 1, vEnd);
    let step = 0;
    if (fields === 3) {
      step = intAt(buf, sp1 + 1, b);
      if (Number.isNaN(step)) step = Number(latin1(buf, sp1 + 1, b));
    }
    if (!Number.isFinite(ts) || !Number.isFinite(step) || (Number.isNaN(v) && !/nan/i.test(latin1(buf, sp0 + 1, vEnd)))) {
      skipped++;
      continue;
    }
    point(ts, v, step, lineStart);
  }
  return skipped;
}
