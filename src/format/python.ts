/**
 * Python's string and number helpers that MLflow's messages and parsers depend on, once:
 * `repr(str)`, `str.strip()`, `int(str)`, `float(str)` of sqlparse's number tokens and
 * `shlex.split` (the pure parts of `format/`; `float.ts` has the float repr and parse).
 *
 * @example
 * ```ts
 * pyStrip('\u3000 a \n'); // 'a'
 * pyIntFromString(' 1_000 '); // 1000n
 * ```
 * @module
 */
import { MlflowError } from '../errors.js';
import { pythonRepr, pythonStrip } from './float.js';

/**
 * Python `repr()` of a str (used to word error messages as MLflow does).
 *
 * @example
 * ```ts
 * pyRepr("it's"); // "\"it's\""
 * ```
 */
export const pyRepr: (s: string) => string = pythonRepr;

/**
 * Python `str.strip()` with no argument (Unicode whitespace).
 *
 * @example
 * ```ts
 * pyStrip('\u3000 a \n'); // 'a'
 * ```
 */
export const pyStrip: (s: string) => string = pythonStrip;

/** Replaces non-ASCII decimal digits (Python's `int()`/`float()` accept them) by ASCII ones. */
function asciiDigits(s: string): string {
  // ASCII text (nearly always): its digits are ASCII already; no Unicode regex to compile.
  let ascii = true;
  for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
  if (ascii) return s;
  return s.replace(/\p{Nd}/gu, (d) => {
    const cp = d.codePointAt(0)!;
    let start = cp;
    while (start > 0 && /\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    return String((cp - start) % 10);
  });
}

/**
 * Python `int(str)`; null when Python raises ValueError.
 *
 * @example
 * ```ts
 * pyIntFromString(' 1_000 '); // 1000n
 * pyIntFromString('1.5');     // null
 * ```
 */
export function pyIntFromString(s: string): bigint | null {
  const t = asciiDigits(pyStrip(s));
  if (!/^[+-]?(\d(_?\d)*)$/.test(t)) return null;
  return BigInt(t.replace(/_/g, ''));
}

/**
 * Python `float(str)` for the numeric tokens sqlparse produces (accepts non-ASCII digits).
 *
 * @example
 * ```ts
 * pyFloat('-.5'); // -0.5
 * ```
 */
export function pyFloat(s: string): number {
  return Number(asciiDigits(s));
}

/**
 * Python `shlex.split(s)` (POSIX mode). Throws INTERNAL_ERROR where Python raises ValueError.
 *
 * @example
 * ```ts
 * shlexSplit('metrics."a b" DESC'); // ['metrics.a b', 'DESC']
 * ```
 */
export function shlexSplit(s: string): string[] {
  const ws = ' \t\r\n';
  const out: string[] = [];
  let token = '';
  let quoted = false;
  let state: string = ' ';
  let escaped = ' ';
  const chars = [...s];
  let i = 0;
  for (;;) {
    const ch = i < chars.length ? chars[i]! : '';
    i++;
    if (state === ' ' || state === 'a') {
      if (!ch) break;
      if (ws.includes(ch)) {
        if (state === 'a') {
          out.push(token);
          token = '';
          quoted = false;
          state = ' ';
        }
        continue;
      }
      if (ch === '\\') {
        escaped = 'a';
        state = '\\';
        continue;
      }
      if (ch === '"' || ch === "'") {
        state = ch;
        quoted = true;
        continue;
      }
      token += ch;
      state = 'a';
      continue;
    }
    if (state === '"' || state === "'") {
      if (!ch) throw new MlflowError('INTERNAL_ERROR', 'No closing quotation');
      if (ch === state) {
        state = 'a';
        continue;
      }
      if (ch === '\\' && state === '"') {
        escaped = state;
        state = '\\';
        continue;
      }
      token += ch;
      continue;
    }
    // escape state
    if (!ch) throw new MlflowError('INTERNAL_ERROR', 'No escaped character');
    if ((escaped === '"' || escaped === "'") && ch !== '\\' && ch !== escaped) token += '\\';
    token += ch;
    state = escaped;
  }
  if (state === 'a' || quoted || token) {
    if (state === 'a' || token || quoted) out.push(token);
  }
  return out;
}
