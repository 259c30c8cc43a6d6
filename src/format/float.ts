/**
 * Python number and string formatting, as MLflow's file store relies on it:
 * `repr(float)` for metric values, `float()`/`int()` for reading metric lines,
 * `str()` for param and tag values, and `repr(str)` / `json.dumps` for error messages.
 *
 * Everything here was checked against CPython 3.11 (the interpreter of the MLflow oracle).
 *
 * @example
 * ```ts
 * formatPythonFloat(1e-5); // '1e-05'
 * parsePythonFloat(' 1_000.5 '); // 1000.5
 * pythonStr(true); // 'True'
 * ```
 * @module
 */
import { invalidParameter } from '../errors.js';

/**
 * A JS number that must be written as a Python `float` (`1.0`, not `1`).
 *
 * JS has a single number type, so integral numbers are written as Python ints by
 * {@link pythonStr} and by the YAML writer; wrap a number in `PyFloat` to force float syntax.
 *
 * @example
 * ```ts
 * pythonStr(new PyFloat(1)); // '1.0'
 * dumpYaml({ x: new PyFloat(1) }); // 'x: 1.0\n'
 * ```
 */
export class PyFloat {
  /** The wrapped double. */
  readonly value: number;
  constructor(value: number) {
    this.value = Number(value);
  }
  /** Python `repr()` of the float. */
  toString(): string {
    return formatPythonFloat(this.value);
  }
  valueOf(): number {
    return this.value;
  }
}

/**
 * Python `repr(float)`: the shortest digits that round-trip, in fixed notation when the
 * decimal exponent is in [-4, 16), otherwise scientific with a sign and at least two
 * exponent digits; always a `.0` in fixed notation; `nan`, `inf`, `-inf`, `-0.0`.
 *
 * @example
 * ```ts
 * formatPythonFloat(1);        // '1.0'
 * formatPythonFloat(1e-5);     // '1e-05'
 * formatPythonFloat(1e16);     // '1e+16'
 * formatPythonFloat(123456789012345678); // '1.2345678901234568e+17'
 * formatPythonFloat(-0);       // '-0.0'
 * ```
 */
export function formatPythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // fast path: in [1e-4, 1e16) JS and Python both write the shortest digits in fixed notation
  const ax = x < 0 ? -x : x;
  if (ax >= 1e-4 && ax < 1e16) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const sign = x < 0 ? '-' : '';
  // toExponential() without argument gives the shortest round-trip digits (same choice as
  // Python's repr: shortest, then closest to the exact value).
  const exp = Math.abs(x).toExponential();
  const ePos = exp.indexOf('e');
  const mantissa = exp.slice(0, ePos);
  const e = Number(exp.slice(ePos + 1));
  const digits = mantissa.replace('.', '');
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(e);
    return `${sign}${m}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (e < 0) {
    return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  }
  if (digits.length <= e + 1) {
    return `${sign}${digits}${'0'.repeat(e + 1 - digits.length)}.0`;
  }
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

/** Characters Python's `int()`/`float()` strip (str.isspace() minus U+001C..U+001F). */
const NUMBER_SPACE = /[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
/** Characters `str.strip()` strips (`str.isspace()`). */
const STR_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/**
 * Python `str.strip()` with no argument (Unicode whitespace as `str.isspace()` defines it).
 *
 * @example
 * ```ts
 * pythonStrip('\x1c 1 2 3\r\n'); // '1 2 3'
 * ```
 */
export function pythonStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && STR_SPACE.test(s[start]!)) start++;
  while (end > start && STR_SPACE.test(s[end - 1]!)) end--;
  return s.slice(start, end);
}

const ND = /\p{Nd}/u;

/** Value of a Unicode decimal digit (category Nd): Nd digits come in runs of ten from 0. */
function decimalValue(cp: number): number {
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

/**
 * CPython's `_PyUnicode_TransformDecimalAndSpaceToASCII` followed by stripping: Unicode decimal
 * digits become ASCII digits, number whitespace is trimmed; returns null when a non-ASCII
 * character that is neither remains.
 */
function numberText(s: string): string | null {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 128) out += ch;
    else if (NUMBER_SPACE.test(ch)) out += ' ';
    else if (ND.test(ch)) out += String(decimalValue(cp));
    else return null;
  }
  let start = 0;
  let end = out.length;
  while (start < end && NUMBER_SPACE.test(out[start]!)) start++;
  while (end > start && NUMBER_SPACE.test(out[end - 1]!)) end--;
  return out.slice(start, end);
}

const DIGITS = '[0-9](?:_?[0-9])*';
const FLOAT_RE = new RegExp(
  `^[+-]?(?:(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?)|inf|infinity|nan)$`,
  'i',
);
const INT_RE = new RegExp(`^[+-]?${DIGITS}$`);

/**
 * Python `float(s)` for a string: strips whitespace, accepts `nan`, `inf`, `infinity` in any
 * case with a sign, underscores between digits, Unicode decimal digits. Throws an
 * `INVALID_PARAMETER_VALUE` error with Python's message (`could not convert string to float: 'x'`).
 *
 * @example
 * ```ts
 * parsePythonFloat('1_000.5'); // 1000.5
 * parsePythonFloat('-Infinity'); // -Infinity
 * parsePythonFloat('1e400'); // Infinity
 * ```
 */
export function parsePythonFloat(s: string): number {
  const t = numberText(s);
  if (t === null || !FLOAT_RE.test(t)) {
    throw invalidParameter(`could not convert string to float: ${pythonRepr(s)}`);
  }
  const lower = t.toLowerCase().replace(/_/g, '');
  const body = lower.replace(/^[+-]/, '');
  const neg = lower.startsWith('-');
  if (body === 'nan') return NaN;
  if (body === 'inf' || body === 'infinity') return neg ? -Infinity : Infinity;
  return Number(lower);
}

/**
 * Python `int(s)` for decimal text: strips whitespace, optional sign, underscores between
 * digits, leading zeros, Unicode decimal digits; throws on `1.5`, `0x10`, `''` with Python's
 * message (`invalid literal for int() with base 10: '1.5'`). Values beyond 2**53 lose
 * precision (JS number); texts over 4300 digits are refused as CPython 3.11 refuses them.
 *
 * @example
 * ```ts
 * parsePythonInt(' 1_700_000_000_000 '); // 1700000000000
 * parsePythonInt('-007'); // -7
 * ```
 */
export function parsePythonInt(s: string): number {
  const t = numberText(s);
  if (t === null || !INT_RE.test(t)) {
    throw invalidParameter(`invalid literal for int() with base 10: ${pythonRepr(s)}`);
  }
  const clean = t.replace(/_/g, '');
  const nDigits = clean.replace(/^[+-]/, '').length;
  if (nDigits > 4300) {
    throw invalidParameter(
      `Exceeds the limit (4300 digits) for integer string conversion: value has ${nDigits} digits; ` +
        'use sys.set_int_max_str_digits() to increase the limit',
    );
  }
  const n = Number(clean);
  return Object.is(n, -0) ? 0 : n;
}

/**
 * What MLflow stores for a param or tag value given a JS value: Python `str()` of the
 * equivalent Python value (`Param(key, str(value))`).
 *
 * Mapping (JS has one number type, so the choice is by value):
 * - strings as-is; `true`/`false` → `True`/`False`; `null` and `undefined` → `None`;
 * - integral finite numbers → Python int text (`5`, `1e21` → `1000000000000000000000`,
 *   `-0` → `0`), exactly like a Python int of that value;
 * - other numbers → Python float repr (`0.5`, `1e-05`, `nan`, `inf`, `-inf`);
 * - `PyFloat` → float repr (`new PyFloat(1)` → `1.0`); bigint → decimal text.
 * Objects, arrays, functions and symbols are refused with `INVALID_PARAMETER_VALUE`.
 *
 * @example
 * ```ts
 * pythonStr(true); // 'True'
 * pythonStr(0.5);  // '0.5'
 * pythonStr(null); // 'None'
 * ```
 */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return BigInt(value).toString();
    return formatPythonFloat(value);
  }
  if (value instanceof PyFloat) return formatPythonFloat(value.value);
  let shown: string;
  try {
    shown = typeof value === 'function' ? `function ${value.name || '(anonymous)'}` : String(JSON.stringify(value));
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  throw invalidParameter(
    `Cannot store value ${shown} (${Array.isArray(value) ? 'array' : typeof value}) as a param or tag: ` +
      'expected a string, number, boolean, bigint or null',
  );
}

/** General categories Python's str.isprintable() rejects (besides U+0020 being allowed). */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/**
 * Python `repr(str)`: single quotes unless the text holds `'` and no `"`; escapes `\\`, the
 * quote, `\t \n \r`, other control and non-printable characters as `\xNN`/`\uNNNN`/`\UNNNNNNNN`.
 *
 * @example
 * ```ts
 * pythonRepr("it's"); // "\"it's\""
 * pythonRepr('a\tb'); // "'a\\tb'"
 * ```
 */
export function pythonRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x7f) out += ch;
    else if (cp !== 0x20 && NON_PRINTABLE.test(ch)) {
      if (cp <= 0xff) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

/**
 * Python `json.dumps(value, sort_keys=True, separators=(",", ":"))` with the default
 * `ensure_ascii=True`, as MLflow uses it in validation messages. Integral numbers are
 * written as ints, others as Python float repr (`NaN`, `Infinity`, `-Infinity` for specials).
 *
 * @example
 * ```ts
 * pythonJsonDumps('é'); // '"\\u00e9"'
 * pythonJsonDumps({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PyFloat) return jsonFloat(value.value);
  if (typeof value === 'number') {
    return Number.isInteger(value) ? BigInt(value).toString() : jsonFloat(value);
  }
  if (typeof value === 'string') {
    let out = '"';
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      const ch = value[i]!;
      if (ch === '"') out += '\\"';
      else if (ch === '\\') out += '\\\\';
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
      else out += ch;
    }
    return out + '"';
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort(compareCodePoints);
    return `{${keys
      .map((k) => `${pythonJsonDumps(k)}:${pythonJsonDumps((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return pythonJsonDumps(String(value));
}

function jsonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return formatPythonFloat(x);
}

/**
 * Compares two strings by Unicode code point, as Python compares `str` (JS's default sort
 * compares UTF-16 code units, which differs for astral characters).
 *
 * @example
 * ```ts
 * ['\u{1F600}', '\uFF01'].sort(compareCodePoints); // ['\uFF01', '\u{1F600}']
 * ```
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      const sa = ca >= 0xd800 && ca <= 0xdfff;
      const sb = cb >= 0xd800 && cb <= 0xdfff;
      // A surrogate (astral code point) sorts after every BMP code point above it.
      if (sa !== sb) return sa ? 1 : -1;
      return ca - cb;
    }
  }
  return a.length - b.length;
}
