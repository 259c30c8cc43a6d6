/**
 * A fast path for the filters and order_by elements nearly everyone writes:
 * `metrics.acc > 0.9 and params.model = 'cnn'`, `metrics.acc DESC`. For a text of that narrow
 * grammar it returns the tokens MLflow's sqlparse pipeline ends up with (the stripped tokens of
 * each comparison, the order_by identifier and direction) without lexing with sqlparse's ~50
 * regexes and grouping — the cold parse of a fresh process costs ~6 ms; this ~0.1 ms. Any text
 * outside the grammar returns null and takes the full sqlparse path, so errors and every unusual
 * spelling are left to it.
 *
 * The grammar (ASCII; whitespace is the space character only):
 * - filter: ` * clause ( +AND +clause)* *` (AND in any case), at most 64 clauses;
 * - clause: `entity.key *op *value`;
 * - entity: one of MLflow's entity aliases (`metrics`, `params`, `tags`, `attributes`, ...);
 * - key: `[A-Za-z][A-Za-z0-9_]*`, not one of the words sqlparse's lexer makes a keyword even
 *   after a dot (`CASE IN VALUES USING FROM AS`);
 * - op: `= != < > <= >=` (the whole run of `<>=~!` characters), or `LIKE` / `ILIKE` (any case,
 *   spaces around);
 * - value: `'...'` without `'` or `\` inside, or a number `-?D+(.D*)?` / `-?.D+` (D: ASCII
 *   digits; a `.` makes it a Float token, else an Integer token) followed by a space or the end.
 * - order_by element: `entity.key` optionally followed by spaces and ASC or DESC (any case).
 *
 * Why the tokens are sqlparse's for such a text: at an entity, the rule `[A-Z]\w*(?=\s*\.(?!\d))`
 * is the first to match (Name); the dot is Punctuation; at a key only the keyword rule
 * `(CASE|IN|VALUES|USING|FROM|AS)\b` precedes `(?<=\.)[A-Z]\w*` (Name); `Name . Name` groups
 * into an Identifier; the operators lex as one Operator.Comparison token; the numbers and the
 * string match the Float/Integer and String.Single rules exactly; `Identifier op value` groups
 * into a Comparison whose position is the identifier's; AND is the keyword. A differential test
 * (test/search/simple-filter.test.ts) checks this against the full path on generated texts.
 *
 * @example
 * ```ts
 * simpleRunComparisons("metrics.acc > 0.9 and params.model = 'cnn'"); // 2 comparisons
 * simpleOrderBy('metrics.acc DESC'); // { token: 'metrics.acc', ascending: false }
 * simpleRunComparisons('metrics.acc IN (1)'); // null: the full path decides
 * ```
 * @module
 */
import { ENTITY_ALIASES } from './entity-aliases.js';
import type { Tok } from './sqlparse.js';

const KEY_KEYWORDS = new Set(['CASE', 'IN', 'VALUES', 'USING', 'FROM', 'AS']);
const OPS = new Set(['=', '!=', '<', '>', '<=', '>=']);
const MAX_CLAUSES = 64;

const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWord = (c: number): boolean => isLetter(c) || isDigit(c) || c === 95;
const isOpChar = (c: number): boolean => c === 60 || c === 62 || c === 61 || c === 126 || c === 33; // < > = ~ !

const tok = (ttype: string | null, value: string, pos: number, cls: Tok['cls'] = null): Tok => ({ ttype, value, pos, cls, tokens: [] });

/** A cursor over the text; each reader returns null when the text leaves the grammar. */
class Reader {
  i = 0;
  constructor(readonly s: string) {}

  spaces(): number {
    const start = this.i;
    while (this.s.charCodeAt(this.i) === 32) this.i++;
    return this.i - start;
  }

  /** `[A-Za-z][A-Za-z0-9_]*` */
  word(): string | null {
    const start = this.i;
    if (!isLetter(this.s.charCodeAt(this.i))) return null;
    this.i++;
    while (isWord(this.s.charCodeAt(this.i))) this.i++;
    return this.s.slice(start, this.i);
  }

  /** `entity.key` as the Identifier token sqlparse groups. */
  identifier(): Tok | null {
    const pos = this.i;
    const entity = this.word();
    if (entity === null || !Object.prototype.hasOwnProperty.call(ENTITY_ALIASES, entity) || this.s.charCodeAt(this.i) !== 46) return null;
    this.i++;
    const key = this.word();
    if (key === null || KEY_KEYWORDS.has(key.toUpperCase())) return null;
    return tok(null, this.s.slice(pos, this.i), pos, 'Identifier');
  }

  /** A comparison operator (an Operator.Comparison token). */
  operator(): Tok | null {
    const pos = this.i;
    if (isOpChar(this.s.charCodeAt(this.i))) {
      while (isOpChar(this.s.charCodeAt(this.i))) this.i++;
      const op = this.s.slice(pos, this.i);
      return OPS.has(op) ? tok('Operator.Comparison', op, pos) : null;
    }
    // LIKE / ILIKE: a word with a space before (checked by the caller) and after.
    const w = this.word();
    if (w === null) return null;
    const up = w.toUpperCase();
    if ((up !== 'LIKE' && up !== 'ILIKE') || this.s.charCodeAt(this.i) !== 32) return null;
    return tok('Operator.Comparison', w, pos);
  }

  /** A quoted string or a number, followed by a space or the end. */
  value(): Tok | null {
    const pos = this.i;
    const s = this.s;
    let ttype: string;
    if (s.charCodeAt(pos) === 39) {
      let j = pos + 1;
      for (;;) {
        const c = s.charCodeAt(j);
        if (Number.isNaN(c) || c === 92) return null;
        if (c === 39) break;
        j++;
      }
      this.i = j + 1;
      ttype = 'Literal.String.Single';
    } else {
      let j = pos;
      if (s.charCodeAt(j) === 45) j++; // -
      const intStart = j;
      while (isDigit(s.charCodeAt(j))) j++;
      const intDigits = j - intStart;
      let dot = false;
      if (s.charCodeAt(j) === 46) {
        dot = true;
        j++;
        const fracStart = j;
        while (isDigit(s.charCodeAt(j))) j++;
        if (intDigits === 0 && j === fracStart) return null;
      } else if (intDigits === 0) {
        return null;
      }
      this.i = j;
      ttype = dot ? 'Literal.Number.Float' : 'Literal.Number.Integer';
    }
    const next = s.charCodeAt(this.i);
    if (!Number.isNaN(next) && next !== 32) return null;
    return tok(ttype, s.slice(pos, this.i), pos);
  }

  get done(): boolean {
    return this.i >= this.s.length;
  }
}

/**
 * The comparisons of a `search_runs` filter of the simple grammar, each as its tokens without
 * whitespace (`[identifier, operator, value]`) and its position, as `filterComparisons` +
 * `strippedOf` give them; null for any other text.
 *
 * @example
 * ```ts
 * simpleRunComparisons("params.model = 'cnn'")?.[0]?.position; // 0
 * ```
 */
export function simpleRunComparisons(filter: string): { stripped: Tok[]; position: number }[] | null {
  const r = new Reader(filter);
  const out: { stripped: Tok[]; position: number }[] = [];
  r.spaces();
  for (;;) {
    if (out.length >= MAX_CLAUSES) return null;
    const id = r.identifier();
    if (!id) return null;
    const before = r.spaces();
    const op = r.operator();
    if (!op) return null;
    // LIKE / ILIKE need a space before them (else the key would run into the word).
    if (isLetter(op.value.charCodeAt(0)) && before === 0) return null;
    r.spaces();
    const value = r.value();
    if (!value) return null;
    out.push({ stripped: [id, op, value], position: id.pos });
    const gap = r.spaces();
    if (r.done) return out;
    if (gap === 0) return null;
    const and = r.word();
    if (and === null || and.toUpperCase() !== 'AND' || r.spaces() === 0) return null;
  }
}

/**
 * An order_by element of the simple grammar as `orderByString` reads it (the key token and the
 * direction); null for any other text.
 *
 * @example
 * ```ts
 * simpleOrderBy('params.model'); // { token: 'params.model', ascending: true }
 * ```
 */
export function simpleOrderBy(orderBy: string): { token: string; ascending: boolean } | null {
  const r = new Reader(orderBy);
  const id = r.identifier();
  if (!id) return null;
  if (r.done) return { token: id.value, ascending: true };
  if (r.spaces() === 0) return null;
  const dir = r.word();
  if (dir === null || !r.done) return null;
  const up = dir.toUpperCase();
  if (up !== 'ASC' && up !== 'DESC') return null;
  return { token: id.value, ascending: up === 'ASC' };
}
