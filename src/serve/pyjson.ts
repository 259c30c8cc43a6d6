/**
 * JSON as Python's `json` module reads and writes it for the scoring protocol: `1` and `1.0`
 * are different (an int and a float: numpy infers int64 or float64 from them), `NaN`,
 * `Infinity` and `-Infinity` are accepted, and output uses Python's separators (`", "`,
 * `": "`) and float repr (`2.0`, `1e-05`), so a body we write is the body Python writes.
 *
 * @example
 * ```ts
 * const v = parsePyJson('{"inputs": [[1.0, 2]]}'); // the 1.0 is a PyFloat, the 2 a number
 * dumpPyJson({ predictions: [1.5] }); // '{"predictions": [1.5]}'
 * ```
 * @module
 */
import { PyFloat, formatPythonFloat } from '../format/float.js';

/** A JSON decode error with Python's message shape (`Expecting value: line 1 column 1 (char 0)`). */
export class PyJsonError extends Error {
  constructor(
    readonly msg: string,
    readonly pos: number,
    text: string,
  ) {
    let line = 1;
    let col = pos + 1;
    const before = text.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    if (nl >= 0) {
      line = before.split('\n').length;
      col = pos - nl;
    }
    super(`${msg}: line ${line} column ${col} (char ${pos})`);
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Parses JSON text as Python's `json.loads`: integers become numbers, float literals with an
 * integral value (`1.0`, `2e3`) become {@link PyFloat} (other floats plain numbers), `NaN` and
 * `±Infinity` are accepted. Throws {@link PyJsonError}.
 *
 * @example
 * ```ts
 * parsePyJson('[1, 1.0, 1.5]'); // [1, PyFloat(1), 1.5]
 * ```
 */
export function parsePyJson(text: string): unknown {
  let i = 0;
  const n = text.length;
  const skip = (): void => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const fail = (msg: string, at = i): never => {
    throw new PyJsonError(msg, at, text);
  };
  const value = (): unknown => {
    skip();
    if (i >= n) fail('Expecting value');
    const c = text.charCodeAt(i);
    if (c === 0x7b) return object();
    if (c === 0x5b) return array();
    if (c === 0x22) return string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      if (text.startsWith('-Infinity', i)) {
        i += 9;
        return -Infinity;
      }
      return number();
    }
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    if (text.startsWith('NaN', i)) {
      i += 3;
      return NaN;
    }
    if (text.startsWith('Infinity', i)) {
      i += 8;
      return Infinity;
    }
    return fail('Expecting value');
  };
  const number = (): unknown => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    const intStart = i;
    if (text.charCodeAt(i) === 0x30) i++;
    else {
      if (!(text.charCodeAt(i) >= 0x31 && text.charCodeAt(i) <= 0x39)) return fail('Expecting value', start);
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    }
    let isFloat = false;
    if (text.charCodeAt(i) === 0x2e && text.charCodeAt(i + 1) >= 0x30 && text.charCodeAt(i + 1) <= 0x39) {
      isFloat = true;
      i++;
      while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      let j = i + 1;
      if (text.charCodeAt(j) === 0x2b || text.charCodeAt(j) === 0x2d) j++;
      if (text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) {
        isFloat = true;
        i = j;
        while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      }
    }
    void intStart;
    const v = Number(text.slice(start, i));
    if (isFloat && Number.isInteger(v)) return new PyFloat(v);
    if (isFloat && Number.isNaN(v)) return new PyFloat(v);
    return v;
  };
  const string = (): string => {
    const start = i;
    i++;
    let escaped = false;
    for (;;) {
      if (i >= n) return fail('Unterminated string starting at', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20) return fail('Invalid control character at', i);
      i++;
    }
    i++;
    if (!escaped) return text.slice(start + 1, i - 1);
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('Invalid \\escape', start);
    }
  };
  const array = (): unknown[] => {
    i++;
    const out: unknown[] = [];
    skip();
    if (text.charCodeAt(i) === 0x5d) {
      i++;
      return out;
    }
    for (;;) {
      out.push(value());
      skip();
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        i++;
        continue;
      }
      if (c === 0x5d) {
        i++;
        return out;
      }
      return fail("Expecting ',' delimiter");
    }
  };
  const object = (): Record<string, unknown> => {
    i++;
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    skip();
    if (text.charCodeAt(i) === 0x7d) {
      i++;
      return out;
    }
    for (;;) {
      skip();
      if (text.charCodeAt(i) !== 0x22) return fail('Expecting property name enclosed in double quotes');
      const key = string();
      skip();
      if (text.charCodeAt(i) !== 0x3a) return fail("Expecting ':' delimiter");
      i++;
      out[key] = value();
      skip();
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        i++;
        continue;
      }
      if (c === 0x7d) {
        i++;
        return out;
      }
      return fail("Expecting ',' delimiter");
    }
  };
  const v = value();
  skip();
  if (i < n) fail('Extra data');
  return v;
}

/** True for a value Python's json module reads as a float. */
export function isPyFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && (!Number.isInteger(v) || !Number.isFinite(v)));
}

/** Python's `json.dumps` of a float (`NaN`, `Infinity`, repr otherwise). */
export function pyJsonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return formatPythonFloat(x);
}

/**
 * Python's `json.dumps(value)`: `", "` and `": "` separators, floats as Python writes them
 * ({@link PyFloat} and non-integral numbers), integers as integers, `ensure_ascii`.
 *
 * @example
 * ```ts
 * dumpPyJson({ a: [1, new PyFloat(2)] }); // '{"a": [1, 2.0]}'
 * ```
 */
export function dumpPyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return pyJsonFloat(value.value);
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? String(value) : pyJsonFloat(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return asciiString(value);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(dumpPyJson).join(', ')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) parts.push(`${asciiString(k)}: ${dumpPyJson(v)}`);
  return `{${parts.join(', ')}}`;
}

/** A JSON string literal with non-ASCII escaped as `\uXXXX`, as Python's `ensure_ascii`. */
export function asciiString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
