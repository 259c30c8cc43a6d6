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
