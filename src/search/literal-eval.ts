/**
 * Python's `ast.literal_eval` for the parenthesised lists of `IN` / `NOT IN` filters: Python's
 * tokenizer and the literal subset of its grammar, with its errors (SyntaxError, ValueError).
 *
 * @example
 * ```ts
 * literalEval("('a', 'b')"); // { tuple: ['a', 'b'] }
 * ```
 * @module
 */
import type { PyLiteral } from './ast.js';
import { pyRepr } from '../format/python.js';

// ---------------------------------------------------------------------------------------------
// ast.literal_eval, for the parenthesised lists of IN / NOT IN
// ---------------------------------------------------------------------------------------------

export class PySyntaxError extends Error {}
export const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
export class PyValueError extends Error {}

export interface PyTok {
  kind: 'str' | 'bytes' | 'fstr' | 'num' | 'name' | 'op' | 'end';
  value: string;
  num?: number;
  imag?: boolean;
}

export const PY_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

export function pyUnescape(body: string, bytes: boolean): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const d = body[i + 1] ?? '';
    if (d in PY_ESCAPES) {
      out += PY_ESCAPES[d];
      i++;
    } else if (d >= '0' && d <= '7') {
      let j = i + 1;
      let oct = '';
      while (j < body.length && oct.length < 3 && body[j]! >= '0' && body[j]! <= '7') oct += body[j++];
      out += String.fromCodePoint(parseInt(oct, 8));
      i = j - 1;
    } else if (d === 'x' || (!bytes && (d === 'u' || d === 'U'))) {
      const len = d === 'x' ? 2 : d === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + len);
      if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) throw new PySyntaxError('truncated escape');
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) throw new PySyntaxError('illegal Unicode character');
      out += String.fromCodePoint(cp);
      i += 1 + len;
    } else if (!bytes && d === 'N') {
      // Named escapes would need the Unicode name table; unknown names are a SyntaxError.
      throw new PySyntaxError('\\N escapes are not supported here');
    } else {
      out += c;
    }
  }
  return out;
}

export function pyTokenize(src: string): PyTok[] {
  const toks: PyTok[] = [];
  let i = 0;
  let depth = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\f') {
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      if (depth === 0) throw new PySyntaxError('unexpected newline');
      i++;
      continue;
    }
    if (c === '\\' && (src[i + 1] === '\n' || src[i + 1] === '\r')) {
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < n && src[i] !== '\n' && src[i] !== '\r') i++;
      continue;
    }
    const sm = /^([rRuUbBfF]{0,2})('''|"""|'|")/.exec(src.slice(i, i + 5));
    if (sm && /^(|r|u|b|br|rb|f|fr|rf)$/i.test(sm[1]!)) {
      const prefix = sm[1]!.toLowerCase();
      const q = sm[2]!;
      let j = i + sm[0].length;
      let body = '';
      for (;;) {
        if (j >= n) throw new PySyntaxError('unterminated string literal');
        const ch = src[j]!;
        if (ch === '\\') {
          body += ch + (src[j + 1] ?? '');
          j += 2;
          continue;
        }
        if (src.startsWith(q, j)) {
          j += q.length;
          break;
        }
        if ((ch === '\n' || ch === '\r') && q.length === 1) throw new PySyntaxError('unterminated string literal');
        body += ch;
        j++;
      }
      const raw = prefix.includes('r');
      const bytes = prefix.includes('b');
      if (bytes && /[^\x00-\x7f]/.test(body)) throw new PySyntaxError('bytes can only contain ASCII literal characters');
      const value = raw ? body : pyUnescape(body, bytes);
      toks.push({ kind: prefix.includes('f') ? 'fstr' : bytes ? 'bytes' : 'str', value });
      i = j;
      continue;
    }
    const nm = /^(0[xX](_?[0-9a-fA-F])+|0[oO](_?[0-7])+|0[bB](_?[01])+|((\d(_?\d)*)?\.\d(_?\d)*|\d(_?\d)*\.?)([eE][+-]?\d(_?\d)*)?[jJ]?)/.exec(src.slice(i));
    if (nm && nm[0] !== '' && !(nm[0] === '.' )) {
      const text = nm[0];
      const after = src[i + text.length] ?? '';
      if (/[\p{L}\p{N}_]/u.test(after)) {
        // CPython lets a few keywords follow a number directly (with a DeprecationWarning).
        const rest = src.slice(i + text.length);
        if (!/^(and|else|for|if|in|is|not|or)/.test(rest)) throw new PySyntaxError('invalid decimal literal');
      }
      const imag = /[jJ]$/.test(text);
      const clean = text.replace(/_/g, '').replace(/[jJ]$/, '');
      let num: number;
      if (/^0[xXoObB]/.test(clean)) num = Number(clean);
      else {
        if (!imag && /^0\d/.test(clean) && /^[0-9]+$/.test(clean) && /[1-9]/.test(clean)) throw new PySyntaxError('leading zeros');
        num = Number(clean);
      }
      toks.push({ kind: 'num', value: text, num, imag });
      i += text.length;
      continue;
    }
    const id = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(src.slice(i));
    if (id) {
      toks.push({ kind: 'name', value: id[0] });
      i += id[0].length;
      continue;
    }
    const op = /^(\*\*=?|\/\/=?|<<=?|>>=?|->|:=|[<>=!]=|[-+*/%@&|^~<>=().,:;[\]{}])/.exec(src.slice(i));
    if (op) {
      const v = op[0];
      if (v === '(' || v === '[' || v === '{') depth++;
      if (v === ')' || v === ']' || v === '}') depth = Math.max(0, depth - 1);
      toks.push({ kind: 'op', value: v });
      i += v.length;
      continue;
    }
    throw new PySyntaxError('invalid character');
  }
  toks.push({ kind: 'end', value: '' });
  return toks;
}

/** Result of evaluating a Python expression node: a literal, or "not a literal" (ValueError). */
export type PyNode = { lit: PyLiteral | { tuple: PyLiteral[] } | { complex: true; signed?: boolean } } | { bad: true };

/** `ast.literal_eval(src)`: SyntaxError → PySyntaxError, malformed node → PyValueError. */
export function literalEval(src: string): PyLiteral | { tuple: PyLiteral[] } {
  const toks = pyTokenize(src.replace(/^[ \t]+/, ''));
  let p = 0;
  const peek = (): PyTok => toks[p]!;
  const isOp = (v: string): boolean => peek().kind === 'op' && peek().value === v;
  const expect = (v: string): void => {
    if (!isOp(v)) throw new PySyntaxError(`expected ${v}`);
    p++;
  };

  /** A display item: an expression or a starred `*expr` (valid syntax, not a literal). */
  function parseItem(): PyNode {
    if (isOp('*')) {
      // `*` takes a bitwise-or expression (no comparison, boolean or conditional).
      p++;
      parseArith();
      return { bad: true };
    }
    return parseExpr();
  }
  function parseTestList(): PyNode {
    // expression or tuple without parentheses (only reached inside brackets)
    const first = parseExpr();
    if (!isOp(',')) return first;
    const items: PyNode[] = [first];
    while (isOp(',')) {
      p++;
      if (isOp(')') || isOp(']') || isOp('}') || peek().kind === 'end') break;
      items.push(parseExpr());
    }
    return tupleOf(items);
  }
  function tupleOf(items: PyNode[]): PyNode {
    if (items.some((x) => 'bad' in x)) return { bad: true };
    return { lit: { tuple: items.map((x) => litOf(x)) } };
  }
  function litOf(x: PyNode): PyLiteral {
    if ('bad' in x) throw new PyValueError('malformed node');
    const l = x.lit;
    if (l !== null && typeof l === 'object' && 'tuple' in l) return l.tuple;
    if (l !== null && typeof l === 'object' && 'complex' in l) return 0;
    return l as PyLiteral;
  }
  const isName = (v: string): boolean => peek().kind === 'name' && peek().value === v;
  const isNum = (x: PyNode): boolean => !('bad' in x) && typeof x.lit === 'number';
  const isComplex = (x: PyNode): boolean => !('bad' in x) && x.lit !== null && typeof x.lit === 'object' && 'complex' in x.lit;
  function parseExpr(): PyNode {
    const p0 = p;
    if (isName('lambda')) {
      p++;
      // Parameters: NAME ['=' expr] | '*' [NAME] | '**' NAME | '/', comma-separated.
      const plainName = (t: PyTok | undefined): boolean => t?.kind === 'name' && !PY_KEYWORDS.has(t.value);
      let first = true;
      while (!isOp(':')) {
        const t = peek();
        if (plainName(t)) {
          p++;
          if (isOp('=')) {
            p++;
            parseExpr();
          }
        } else if (isOp('*')) {
          p++;
          if (plainName(peek())) p++;
          else if (!(isOp(',') && plainName(toks[p + 1]))) throw new PySyntaxError('named arguments must follow bare *');
        } else if (isOp('**') && plainName(toks[p + 1])) {
          p += 2;
        } else if (isOp('/') && !first) {
          p++;
        } else throw new PySyntaxError('invalid syntax');
        first = false;
        if (isOp(',')) p++;
        else if (!isOp(':')) throw new PySyntaxError('invalid syntax');
      }
      p++;
      parseExpr();
      return { bad: true };
    }
    const left = parseOr();
    if (isOp(':=')) {
      // An assignment expression: valid syntax only with a plain name as its target.
      const target = toks[p0]!;
      if (p !== p0 + 1 || target.kind !== 'name' || PY_KEYWORDS.has(target.value)) {
        throw new PySyntaxError('cannot use assignment expressions with this target');
      }
      p++;
      parseExpr();
      return { bad: true };
    }
    if (isName('if')) {
      p++;
      parseOr();
      if (!isName('else')) throw new PySyntaxError('expected else');
      p++;
      parseExpr();
      return { bad: true };
    }
    return left;
  }
  function parseOr(): PyNode {
    let left = parseAnd();
    while (isName('or')) {
      p++;
      parseAnd();
      left = { bad: true };
    }
    return left;
  }
  function parseAnd(): PyNode {
    let left = parseNot();
    while (isName('and')) {
      p++;
      parseNot();
      left = { bad: true };
    }
    return left;
  }
  function parseNot(): PyNode {
    if (isName('not')) {
      p++;
      parseNot();
      return { bad: true };
    }
    return parseComparison();
  }
  const COMPARE = ['<', '>', '==', '!=', '<=', '>='];
  function parseComparison(): PyNode {
    let left = parseArith();
    for (;;) {
      if (peek().kind === 'op' && COMPARE.includes(peek().value)) p++;
      else if (isName('in')) p++;
      else if (isName('is')) {
        p++;
        if (isName('not')) p++;
      } else if (isName('not') && toks[p + 1]?.kind === 'name' && toks[p + 1]?.value === 'in') p += 2;
      else return left;
      parseArith();
      left = { bad: true };
    }
  }
  const ARITH = ['+', '-', '*', '/', '//', '%', '**', '@', '&', '|', '^', '<<', '>>'];
  function parseArith(): PyNode {
    let left = parseUnary();
    let first = true;
    while (peek().kind === 'op' && ARITH.includes(peek().value)) {
      const op = peek().value;
      p++;
      const right = parseUnary();
      // literal_eval accepts only <signed real> +/- <unsigned imaginary>.
      const ok =
        first &&
        (op === '+' || op === '-') &&
        isNum(left) &&
        isComplex(right) &&
        !(right as { lit: { signed?: boolean } }).lit.signed;
      left = ok ? { lit: { complex: true, signed: true } } : { bad: true };
      first = false;
    }
    return left;
  }
  function parseUnary(): PyNode {
    const t = peek();
    if (t.kind === 'op' && (t.value === '-' || t.value === '+' || t.value === '~')) {
      p++;
      const direct =
        peek().kind === 'num' ||
        (isOp('(') && toks[p + 1]?.kind === 'num' && toks[p + 2]?.kind === 'op' && toks[p + 2]?.value === ')');
      const v = parseUnary();
      // literal_eval accepts one sign directly on a number (`-1`, `+2j`), not `--1` or `-x`.
      if (!direct) return { bad: true };
      if (t.value !== '~' && isNum(v)) {
        const n = (v as { lit: number }).lit;
        return { lit: t.value === '-' ? -n : n };
      }
      if (t.value !== '~' && isComplex(v) && !(v as { lit: { signed?: boolean } }).lit.signed) return { lit: { complex: true, signed: true } };
      return { bad: true };
    }
    if (isName('await')) {
      p++;
      parsePostfix();
      return { bad: true };
    }
    return parsePostfix();
  }
  function parsePostfix(): PyNode {
    // literal_eval accepts the empty-set call `set()`.
    if (peek().kind === 'name' && peek().value === 'set' && toks[p + 1]?.kind === 'op' && toks[p + 1]?.value === '(' && toks[p + 2]?.kind === 'op' && toks[p + 2]?.value === ')') {
      p += 3;
      if (!isOp('(') && !isOp('[') && !isOp('.')) return { lit: [] };
      p -= 3;
    }
    let node = parseAtom();
    for (;;) {
      if (isOp('(')) {
        p++;
        if (!isOp(')')) parseTestList();
        expect(')');
        node = { bad: true };
        continue;
      }
      if (isOp('[')) {
        p++;
        parseTestList();
        expect(']');
        node = { bad: true };
        continue;
      }
      if (isOp('.')) {
        p++;
        if (peek().kind !== 'name' || PY_KEYWORDS.has(peek().value)) throw new PySyntaxError('invalid syntax');
        p++;
        node = { bad: true };
        continue;
      }
      return node;
    }
  }
  function parseAtom(): PyNode {
    const t = peek();
    if (t.kind === 'str' || t.kind === 'bytes' || t.kind === 'fstr') {
      let kind: PyTok['kind'] = t.kind;
      let value = '';
      let fstr = false;
      while (peek().kind === 'str' || peek().kind === 'bytes' || peek().kind === 'fstr') {
        const s = peek();
        const isBytes = s.kind === 'bytes';
        if ((kind === 'bytes') !== isBytes) throw new PySyntaxError('cannot mix bytes and nonbytes literals');
        if (s.kind === 'fstr') fstr = true;
        kind = s.kind === 'fstr' ? 'str' : s.kind;
        value += s.value;
        p++;
      }
      if (fstr) return { bad: true };
      return { lit: kind === 'bytes' ? { bytes: value } : value };
    }
    if (t.kind === 'num') {
      p++;
      return { lit: t.imag ? { complex: true } : (t.num ?? 0) };
    }
    if (t.kind === 'name') {
      if (PY_KEYWORDS.has(t.value) && !['True', 'False', 'None'].includes(t.value)) throw new PySyntaxError('invalid syntax');
      p++;
      if (t.value === 'True') return { lit: true };
      if (t.value === 'False') return { lit: false };
      if (t.value === 'None') return { lit: null };
      return { bad: true };
    }
    if (t.kind === 'op' && t.value === '(') {
      p++;
      if (isOp(')')) {
        p++;
        return { lit: { tuple: [] } };
      }
      if (isName('yield')) {
        // `(yield [expr, ...])` is valid syntax (a yield expression), not a literal.
        p++;
        if (isName('from')) {
          p++;
          parseExpr();
        } else {
          while (!isOp(')')) {
            parseItem();
            if (!isOp(',')) break;
            p++;
          }
        }
        expect(')');
        return { bad: true };
      }
      const starredFirst = isOp('*');
      const first = parseItem();
      if (isOp(')')) {
        if (starredFirst) throw new PySyntaxError('cannot use starred expression here');
        p++;
        return first;
      }
      const items = [first];
      while (isOp(',')) {
        p++;
        if (isOp(')')) break;
        items.push(parseItem());
      }
      expect(')');
      return tupleOf(items);
    }
    if (t.kind === 'op' && t.value === '[') {
      p++;
      const items: PyNode[] = [];
      while (!isOp(']')) {
        items.push(parseItem());
        if (!isOp(',')) break;
        p++;
      }
      expect(']');
      if (items.some((x) => 'bad' in x)) return { bad: true };
      return { lit: items.map(litOf) };
    }
    if (t.kind === 'op' && t.value === '{') {
      p++;
      const items: PyNode[] = [];
      while (!isOp('}')) {
        if (isOp('**')) {
          p++;
          parseArith();
          items.push({ bad: true });
          if (!isOp(',')) break;
          p++;
          continue;
        }
        items.push(parseItem());
        if (isOp(':')) {
          p++;
          items.push(parseExpr());
        }
        if (!isOp(',')) break;
        p++;
      }
      expect('}');
      if (items.some((x) => 'bad' in x)) return { bad: true };
      return { lit: items.map(litOf) };
    }
    throw new PySyntaxError('invalid syntax');
  }

  const node = parseTestList();
  if (peek().kind !== 'end') throw new PySyntaxError('invalid syntax');
  if ('bad' in node) throw new PyValueError('malformed node or string');
  const l = node.lit;
  if (l !== null && typeof l === 'object' && 'complex' in l) return 0;
  return l as PyLiteral | { tuple: PyLiteral[] };
}


export function pySetRepr(values: Iterable<string>): string {
  return '{' + [...values].map(pyRepr).join(', ') + '}';
}

export function pyLiteralRepr(v: PyLiteral): string {
  if (typeof v === 'string') return pyRepr(v);
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return '[' + v.map(pyLiteralRepr).join(', ') + ']';
  return 'b' + pyRepr(v.bytes);
}
