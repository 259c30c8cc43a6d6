/**
 * `mlruns predict` reads CSV straight from the bytes (csvFrameFromBytes, and its one-pass
 * numeric fast path); the request path reads text (parseCsvFrame, checked against pandas by
 * protocol.test.ts). Both must give the same frame for the same input: quotes, quoted line
 * breaks, CRLF and CR, blank lines, short rows, NA spellings, long mantissas, exponents, signs.
 * Also: formatPythonFloat's fixed-notation fast path gives the digits of the general path, and
 * decimalValue (16 to 19 digit decimals) gives what Number() gives.
 */
import { describe, expect, it } from 'vitest';
import { csvFrameFromBytes, csvHeaderFromBytes, decimalValue, parseCsvFrame } from '../../src/serve/csv.js';
import { formatPythonFloat } from '../../src/format/float.js';

const CELLS = ['1', '-2', '+3', '1.5', '.5', '5.', '1e5', '1E-3', '-0', '0.14285714285714285', '3.0000000000000004', '12345678901234567', '007',
  '', 'nan', 'NaN', 'inf', '-inf', 'True', 'False', 'x', ' 7', '"q"', '"a,b"', '"a""b"', 'NA', 'null', '1_0', '"a\nb"', '"x\r\ny"', 'é', '-', '.', '1e', '1.2.3'];

/** A small deterministic generator (the cases are the same on every run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x));

function both(text: string): [string, string] {
  let a: string;
  let b: string;
  try {
    a = show(parseCsvFrame(text));
  } catch (e) {
    a = `ERR ${(e as Error).message.replace(/line \d+/, 'line')}`;
  }
  try {
    const buf = Buffer.from(text);
    const h = csvHeaderFromBytes(buf, true);
    if (!h) throw new Error('no header');
    b = show(csvFrameFromBytes(buf.subarray(h.next), h.names, 2));
  } catch (e) {
    b = `ERR ${(e as Error).message.replace(/line \d+/, 'line')}`;
  }
  return [a, b];
}

describe('CSV from bytes', () => {
  it('reads 5000 generated CSV texts as parseCsvFrame reads them', () => {
    const rnd = lcg(17);
    let numericOnly = 0;
    for (let t = 0; t < 5000; t++) {
      const ncol = 1 + Math.floor(rnd() * 3);
      const nrow = Math.floor(rnd() * 5);
      const plain = rnd() < 0.5; // half the cases numbers only (the fast path)
      const pick = (): string => (plain ? CELLS[Math.floor(rnd() * 13)] : CELLS[Math.floor(rnd() * CELLS.length)]) as string;
      const nl = rnd() < 0.2 ? '\r\n' : rnd() < 0.1 ? '\r' : '\n';
      const rows: string[] = [];
      for (let r = 0; r < nrow; r++) rows.push(Array.from({ length: Math.max(1, !plain && rnd() < 0.1 ? ncol - 1 : ncol) }, pick).join(','));
      const head = Array.from({ length: ncol }, (_, j) => (j === 1 && rnd() < 0.2 ? '' : `c${j}`)).join(',');
      const text = `${head}${nl}${rows.join(nl)}${rnd() < 0.8 ? nl : ''}${rnd() < 0.1 ? nl : ''}`;
      if (plain && nrow > 0) numericOnly++;
      const [a, b] = both(text);
      expect(b, JSON.stringify(text)).toBe(a);
    }
    expect(numericOnly).toBeGreaterThan(1000);
  });

  it('a row with too many fields is the pandas error; a header split from its rows is waited for', () => {
    expect(both('a,b\n1,2\n3,4,5\n')[1]).toMatch(/^ERR Error tokenizing data. C error: Expected 2 fields in line, saw 3/);
    expect(csvHeaderFromBytes(Buffer.from('a,b'), false)).toBeNull();
    expect(csvHeaderFromBytes(Buffer.from('a,b'), true)).toEqual({ names: ['a', 'b'], next: 3 });
    expect(csvHeaderFromBytes(Buffer.from('"a\nb",c\n1'), false)).toEqual({ names: ['a\nb', 'c'], next: 8 });
  });
});

describe('formatPythonFloat fast path', () => {
  it('gives the digits of the shortest-repr path for 300000 values in [1e-4, 1e16)', () => {
    const rnd = lcg(5);
    const general = (x: number): string => {
      const exp = Math.abs(x).toExponential();
      const e = Number(exp.slice(exp.indexOf('e') + 1));
      const digits = exp.slice(0, exp.indexOf('e')).replace('.', '');
      const sign = x < 0 ? '-' : '';
      if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
      if (digits.length <= e + 1) return `${sign}${digits}${'0'.repeat(e + 1 - digits.length)}.0`;
      return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
    };
    let checked = 0;
    for (let k = 0; k < 300000; k++) {
      let x = (rnd() - 0.5) * 10 ** (Math.floor(rnd() * 22) - 5);
      if (k % 2) x = Math.fround(x);
      if (k % 7 === 0) x = Math.round(x);
      const ax = Math.abs(x);
      if (ax < 1e-4 || ax >= 1e16) continue;
      checked++;
      if (formatPythonFloat(x) !== general(x)) expect(formatPythonFloat(x), String(x)).toBe(general(x));
    }
    expect(checked).toBeGreaterThan(200000);
    expect([1e-4, 1e15, 9999999999999998, 0.1, -2, 1.5e-4].map(formatPythonFloat)).toEqual(['0.0001', '1000000000000000.0', '9999999999999998.0', '0.1', '-2.0', '0.00015']);
  });
});

describe('decimalValue (16 to 19 digits read in double arithmetic)', () => {
  it('is Number() of the text, or NaN (then the caller uses Number()), for 200000 generated decimals', () => {
    const rnd = lcg(17);
    let checked = 0;
    for (let n = 0; n < 200_000; n++) {
      const nd = 16 + Math.floor(rnd() * 4);
      let s = '';
      for (let i = 0; i < nd; i++) s += String(Math.floor(rnd() * 10));
      const dot = Math.floor(rnd() * (nd + 1));
      const text = n % 3 === 0 ? String((n % 1000) / 7 + (n % 101) / 3) : `${s.slice(0, dot)}.${s.slice(dot)}`;
      const digits = text.replace('.', '');
      if (digits.length < 16 || digits.length > 19 || text.includes('e')) continue;
      const frac = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
      const mh = Number(digits.slice(0, 15));
      const rest = digits.slice(15);
      const v = decimalValue(mh, Number(rest), rest.length, frac);
      if (!Number.isNaN(v)) {
        checked++;
        expect(v, text).toBe(Number(text));
      }
    }
    expect(checked).toBeGreaterThan(150_000);
  });
});
