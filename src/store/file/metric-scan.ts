/**
 * The hot path of a full scan: the latest value of a run metric file, without building a Metric
 * per line. It accepts only the plain shapes MLflow writes (`<int> <float repr> <int>` and the
 * 2- and 5-field forms, LF or CRLF) and returns undefined for anything else, so the caller falls
 * back to the exact reader (`parseRunMetricFile`), which reproduces Python on every odd input.
 */

// Python float repr and the other plain forms Python's float() reads the same way as Number().
const FLOAT_RE = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)$/;
// Line breaks other than \n and \r\n that Python's readlines() honours: leave those to the exact reader.
const ODD_BREAKS_NO_CR = /[\v\f\x1c\x1d\x1e\x85\u2028\u2029]|\r(?!\n)/;

function parseValue(s: string): number | undefined {
  if (FLOAT_RE.test(s)) return Number(s);
  if (s.startsWith('+')) return parseValue(s.slice(1));
  switch (s) {
    case 'nan':
    case 'NaN':
    case '-nan':
    case '-NaN':
      return NaN;
    case 'inf':
    case 'Infinity':
      return Infinity;
    case '-inf':
    case '-Infinity':
      return -Infinity;
    default:
      return undefined;
  }
}

export interface LatestPoint {
  value: number;
  timestamp: number;
  step: number;
}

/** Reads a decimal int of at most 15 digits at `i`; returns [value, end] or undefined. */
function readInt(text: string, i: number): [number, number] | undefined {
  const n = text.length;
  let j = i;
  let neg = false;
  if (text.charCodeAt(j) === 45) {
    neg = true;
    j++;
  }
  const d0 = j;
  let v = 0;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    j++;
  }
  if (j === d0 || j - d0 > 15) return undefined;
  return [neg ? -v : v, j];
}

/** End of a token (no spaces, no line breaks) starting at `i`. */
function tokenEnd(text: string, i: number): number {
  const n = text.length;
  let j = i;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === 32 || c === 10 || c === 13) break;
    j++;
  }
  return j;
}

const FLOAT_STICKY = /[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|-?inf|-?nan|-?Infinity|NaN/y;

/**
 * `max(points, key=(step, timestamp, value))` with Python's tuple semantics (NaN never wins a
 * tie, the earliest of equal points is kept), or undefined when the text needs the exact reader.
 *
 * One pass validates every line and finds the largest (step, timestamp) with integer work only,
 * remembering where the values of the lines with that key are; only those values are parsed.
 * The forward max over all lines equals the forward max over those lines, NaN included.
 */
export function fastLatestMetric(text: string, seed?: LatestPoint): LatestPoint | undefined {
  if (ODD_BREAKS_NO_CR.test(text)) return undefined;
  const n = text.length;
  // `seed`: the best point of the lines before this text (a chunked read continues the fold).
  let has = seed !== undefined;
  let seedAlive = has;
  let bStep = seed?.step ?? 0;
  let bTs = seed?.timestamp ?? 0;
  let starts: number[] = [];
  let ends: number[] = [];
  let i = 0;
  while (i < n) {
    const tsr = readInt(text, i);
    if (!tsr || text.charCodeAt(tsr[1]) !== 32) return undefined;
    const ts = tsr[0];
    const v0 = tsr[1] + 1;
    FLOAT_STICKY.lastIndex = v0;
    if (!FLOAT_STICKY.test(text)) return undefined;
    const v1 = FLOAT_STICKY.lastIndex;
    let step = 0;
    let j = v1;
    if (text.charCodeAt(j) === 32) {
      const sr = readInt(text, j + 1);
      if (!sr) return undefined;
      j = sr[1];
      if (text.charCodeAt(j) === 32) {
        // 5 fields: dataset name and digest; MLflow reads the step of such lines as 0.
        const a1 = tokenEnd(text, j + 1);
        if (a1 === j + 1 || text.charCodeAt(a1) !== 32) return undefined;
        const b1 = tokenEnd(text, a1 + 1);
        if (b1 === a1 + 1) return undefined;
        j = b1;
      } else {
        step = sr[0];
      }
    }
    // End of line: \n, \r\n, or end of text.
    if (j < n) {
      const c = text.charCodeAt(j);
      if (c === 13) {
        if (text.charCodeAt(j + 1) !== 10) return undefined;
        j += 2;
      } else if (c === 10) {
        j += 1;
      } else {
        return undefined;
      }
    }
    i = j;
    if (!has || step > bStep || (step === bStep && ts > bTs)) {
      has = true;
      seedAlive = false;
      bStep = step;
      bTs = ts;
      starts = [v0];
      ends = [v1];
    } else if (step === bStep && ts === bTs) {
      starts.push(v0);
      ends.push(v1);
    }
  }
  if (!has) return undefined;
  let bVal = seedAlive && seed ? seed.value : 0;
  for (let k = 0; k < starts.length; k++) {
    const value = parseValue(text.slice(starts[k] as number, ends[k] as number));
    if (value === undefined) return undefined;
    if ((k === 0 && !seedAlive) || (value !== bVal && value > bVal)) bVal = value;
  }
  return { value: bVal, timestamp: bTs, step: bStep };
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;

/** End of the digits from `j`. */
function digitsEnd(b: Uint8Array, j: number): number {
  while (isDigit(b[j])) j++;
  return j;
}

/** An optional exponent `[eE][-+]?\d+` at `j`: its end, or `j` when there is none. */
function exponentEnd(b: Uint8Array, j: number): number {
  const c = b[j];
  if (c !== 101 && c !== 69) return j;
  let k = j + 1;
  if (b[k] === 45 || b[k] === 43) k++;
  if (!isDigit(b[k])) return j;
  return digitsEnd(b, k);
}

const startsWith = (b: Uint8Array, i: number, word: string): boolean => {
  if (i + word.length > b.length) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
};

/** `FLOAT_STICKY` matched at `i` of `b`: the end of the match, or -1. */
function floatEndBytes(b: Uint8Array, i: number): number {
  let j = i;
  if (b[j] === 45 || b[j] === 43) j++;
  if (isDigit(b[j])) {
    j = digitsEnd(b, j);
    if (b[j] === 46) j = digitsEnd(b, j + 1);
    return exponentEnd(b, j);
  }
  if (b[j] === 46 && isDigit(b[j + 1])) return exponentEnd(b, digitsEnd(b, j + 1));
  const m = b[i] === 45 ? i + 1 : i;
  if (startsWith(b, m, 'inf')) return m + 3;
  if (startsWith(b, m, 'nan')) return m + 3;
  if (startsWith(b, m, 'Infinity')) return m + 8;
  if (startsWith(b, i, 'NaN')) return i + 3;
  return -1;
}

/** End of a token (no spaces, no line breaks) from `i`, or -1 when it holds a byte the text reader must see. */
function tokenEndBytes(b: Uint8Array, i: number): number {
  let j = i;
  for (;;) {
    const c = b[j];
    if (c === undefined || c === 32 || c === 10 || c === 13) break;
    // Line breaks Python honours (\v \f \x1c-\x1e), and anything not ASCII: leave to the text reader.
    if (c === 11 || c === 12 || c === 28 || c === 29 || c === 30 || c >= 0x80) return -1;
    j++;
  }
  return j;
}

function valueAt(b: Uint8Array, s: number, e: number): number | undefined {
  let str = '';
  for (let q = s; q < e; q++) str += String.fromCharCode(b[q] as number);
  return parseValue(str);
}

/**
 * {@link fastLatestMetric} over the bytes `buf[0, end)` of a metric file, without decoding them:
 * the same answer whenever it answers. It answers only for plain ASCII lines (the text reader
 * takes anything else: a BOM, other line breaks, non-ASCII bytes).
 *
 * @example
 * ```ts
 * fastLatestMetricBytes(Buffer.from('1 0.5 3\n2 0.25 4\n')); // { value: 0.25, timestamp: 2, step: 4 }
 * ```
 */
export function fastLatestMetricBytes(buf: Uint8Array, end: number = buf.length): LatestPoint | undefined {
  // Past the end, reads give undefined (every comparison below then fails).
  const b = end === buf.length ? buf : buf.subarray(0, end);
  const n = b.length;
  let has = false;
  let bStep = 0;
  let bTs = 0;
  // The value span of the first line with the best (step, timestamp); later ties in `ties`.
  let s0 = 0;
  let e0 = 0;
  let ties: number[] | undefined;
  let i = 0;
  while (i < n) {
    // Timestamp: -?\d{1,15}, then a space.
    let j = i;
    let c = b[j];
    let neg = false;
    if (c === 45) {
      neg = true;
      c = b[++j];
    }
    let d0 = j;
    let v = 0;
    while (c !== undefined && c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = b[++j];
    }
    if (j === d0 || j - d0 > 15 || c !== 32) return undefined;
    const ts = neg ? -v : v;
    // Value: the common `\d+(\.\d*)?` here, anything else by the full matcher.
    const v0 = ++j;
    c = b[j];
    if (c === 45 || c === 43) c = b[++j];
    if (c !== undefined && c >= 48 && c <= 57) {
      do c = b[++j];
      while (c !== undefined && c >= 48 && c <= 57);
      if (c === 46) {
        do c = b[++j];
        while (c !== undefined && c >= 48 && c <= 57);
      }
      if (c === 101 || c === 69) {
        j = exponentEnd(b, j);
        c = b[j];
      }
    } else {
      j = floatEndBytes(b, v0);
      if (j < 0) return undefined;
      c = b[j];
    }
    const v1 = j;
    let step = 0;
    if (c === 32) {
      // Step: -?\d{1,15}; a space after it: 5 fields (dataset name and digest, step read as 0).
      c = b[++j];
      neg = false;
      if (c === 45) {
        neg = true;
        c = b[++j];
      }
      d0 = j;
      v = 0;
      while (c !== undefined && c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        c = b[++j];
      }
      if (j === d0 || j - d0 > 15) return undefined;
      if (c === 32) {
        const a1 = tokenEndBytes(b, j + 1);
        if (a1 < 0 || a1 === j + 1 || b[a1] !== 32) return undefined;
        const b1 = tokenEndBytes(b, a1 + 1);
        if (b1 < 0 || b1 === a1 + 1) return undefined;
        j = b1;
        c = b[j];
      } else {
        step = neg ? -v : v;
      }
    }
    // End of line: \n, \r\n, or end of text.
    if (j < n) {
      if (c === 10) j += 1;
      else if (c === 13 && b[j + 1] === 10) j += 2;
      else return undefined;
    }
    i = j;
    if (!has || step > bStep || (step === bStep && ts > bTs)) {
      has = true;
      bStep = step;
      bTs = ts;
      s0 = v0;
      e0 = v1;
      if (ties !== undefined) ties.length = 0;
    } else if (step === bStep && ts === bTs) {
      (ties ??= []).push(v0, v1);
    }
  }
  if (!has) return undefined;
  let bVal = valueAt(b, s0, e0);
  if (bVal === undefined) return undefined;
  if (ties !== undefined) {
    for (let k = 0; k < ties.length; k += 2) {
      const value = valueAt(b, ties[k] as number, ties[k + 1] as number);
      if (value === undefined) return undefined;
      if (value > bVal) bVal = value;
    }
  }
  return { value: bVal, timestamp: bTs, step: bStep };
}
