/**
 * The port of sqlparse 0.6.1 that MLflow's filter parsing runs on: the lexer (same ordered rules,
 * the keyword table of `sqlparse-keywords.ts`) and the grouping engine passes that decide what a
 * filter turns into (parenthesis, functions, periods, identifiers, order, typecasts, operations,
 * comparisons, AS, aliases), with its DoS limits (10,000 tokens, nesting depth 100). Every step is
 * linear in the input (the grouping passes splice arrays of at most 10,000 tokens).
 *
 * @example
 * ```ts
 * const { count, stmt } = sqlparse("metrics.loss < 0.5");
 * ```
 * @module
 */
import { SQLPARSE_KEYWORDS } from './sqlparse-keywords.js';

// ---------------------------------------------------------------------------------------------
// sqlparse port: tokens
// ---------------------------------------------------------------------------------------------

export type GroupCls =
  | 'Statement'
  | 'Parenthesis'
  | 'SquareBrackets'
  | 'Identifier'
  | 'Comparison'
  | 'Operation'
  | 'Function'
  | 'Assignment'
  | 'IdentifierList'
  | 'Case'
  | 'If'
  | 'For'
  | 'Begin'
  | 'Where'
  | 'Comment';

/** A sqlparse token or token group (ttype is null for groups). */
export interface Tok {
  ttype: string | null;
  value: string;
  pos: number;
  cls: GroupCls | null;
  tokens: Tok[];
}

const W_IN = '\\p{L}\\p{N}_';
export const W = `[${W_IN}]`;
export const PYS = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
export const D = '\\p{Nd}';
/**
 * Python's `[A-ZÀ-Ü]` under IGNORECASE|UNICODE: every character whose simple lowercase is in
 * the lowered range (so also `İ`, `ı`, `ſ` and the Kelvin sign, but not `÷`).
 */
export const AZ = '[A-Za-z\\u00C0-\\u00DC\\u00E0-\\u00F6\\u00F8-\\u00FC\\u0130\\u0131\\u017F\\u212A]';
/** Python IGNORECASE also matches `İ` and `ı` for a literal `I` (JS case folding does not). */
export const KEYWORD_WORD = /[A-Z_]{2,}/g;

export const KEYWORDS = new Map<string, string>(SQLPARSE_KEYWORDS);

export const PROCESS_AS_KEYWORD = '<kw>';

/**
 * The character classes of the lexer's rules. Python's `\w`, `\s` and `\d` under re.UNICODE are
 * Unicode classes (the `u` flag); on a text made only of ASCII characters they match exactly
 * the ASCII members, so such a text (nearly every filter) is lexed with ASCII classes and no
 * `u` flag: the same tokens, without compiling some 40 Unicode case-insensitive regexes in a
 * fresh process (~40 ms of CPU before the first query).
 */
interface Classes {
  /** `\w` as class content, `\w` as a class, Python whitespace, a digit, sqlparse's `[A-ZÀ-Ü]`. */
  W_IN: string;
  W: string;
  PYS: string;
  D: string;
  AZ: string;
  flags: string;
  unicode: boolean;
}

const UNICODE_CLASSES: Classes = { W_IN, W, PYS, D, AZ, flags: 'iuy', unicode: true };
const ASCII_CLASSES: Classes = {
  W_IN: 'A-Za-z0-9_',
  W: '[A-Za-z0-9_]',
  PYS: '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f ]',
  D: '\\d',
  AZ: '[A-Za-z]',
  flags: 'iy',
  unicode: false,
};

function makeRules({ W_IN, W, PYS, D, AZ, flags, unicode }: Classes): [RegExp, string][] {
  const B = `(?!${W})`;
  return (
  [
    [`(--|# )\\+[^\\n]*?(\\r\\n|\\r|\\n|$)`, 'Comment.Single.Hint'],
    [`(--|# )[^\\n]*?(\\r\\n|\\r|\\n|$)`, 'Comment.Single'],
    [`(\\r\\n|\\r|\\n)`, 'Text.Whitespace.Newline'],
    [`${PYS}`, 'Text.Whitespace'],
    [`:=`, 'Assignment'],
    [`::`, 'Punctuation'],
    [`\\*`, 'Wildcard'],
    ['`(``|[^`])*`', 'Name'],
    ['´(´´|[^´])*´', 'Name'],
    [`\\?`, 'Name.Placeholder'],
    [`%(\\(${W}+\\))?s`, 'Name.Placeholder'],
    [`(?<!${W})[$:?]${W}+`, 'Name.Placeholder'],
    [`\\\\${W}+`, 'Generic.Command'],
    [`(CASE|IN|VALUES|USING|FROM|AS)${B}`, 'Keyword'],
    [`(@|##|#)${AZ}${W}+`, 'Name'],
    [`${AZ}${W}*(?=${PYS}*\\.(?!${D}))`, 'Name'],
    [`(?<=\\.)${AZ}${W}*`, 'Name'],
    [`${AZ}${W}*(?=\\()`, 'Name'],
    [`-?0x[${D}A-F]+`, 'Literal.Number.Hexadecimal'],
    [`-?${D}+(\\.${D}+)?E-?${D}+`, 'Literal.Number.Float'],
    [`(?!_|${AZ})-?(${D}+(\\.${D}*)|\\.${D}+)(?!_|${AZ})`, 'Literal.Number.Float'],
    [`(?!_|${AZ})-?${D}+(?!_|${AZ})`, 'Literal.Number.Integer'],
    [`'(''|\\\\'|[^'])*'`, 'Literal.String.Single'],
    [`"(""|\\\\"|[^"])*"`, 'Literal.String.Symbol'],
    [`(""|"[^\\n]*?[^\\\\]")`, 'Literal.String.Symbol'],
    [`(?<![${W_IN}\\])])(\\[[^\\]\\[]+\\])`, 'Name'],
    [
      `((LEFT${PYS}+|RIGHT${PYS}+|FULL${PYS}+)?(INNER${PYS}+|OUTER${PYS}+|STRAIGHT${PYS}+)?|(CROSS${PYS}+|NATURAL${PYS}+)?)?JOIN${B}`,
      'Keyword',
    ],
    [`END(${PYS}+IF|${PYS}+LOOP|${PYS}+WHILE|${PYS}+FOR|${PYS}+CASE)?${B}`, 'Keyword'],
    [`IF${PYS}+(NOT${PYS}+)?EXISTS${B}`, 'Keyword'],
    [`NOT${PYS}+NULL${B}`, 'Keyword'],
    [`(ASC|DESC)(${PYS}+NULLS${PYS}+(FIRST|LAST))?${B}`, 'Keyword.Order'],
    [`(ASC|DESC)${B}`, 'Keyword.Order'],
    [`NULLS${PYS}+(FIRST|LAST)${B}`, 'Keyword.Order'],
    [`UNION${PYS}+ALL${B}`, 'Keyword'],
    [`CREATE(${PYS}+OR${PYS}+REPLACE)?${B}`, 'Keyword.DDL'],
    [`DOUBLE${PYS}+PRECISION${B}`, 'Name.Builtin'],
    [`GROUP${PYS}+BY${B}`, 'Keyword'],
    [`ORDER${PYS}+BY${B}`, 'Keyword'],
    [`PRIMARY${PYS}+KEY${B}`, 'Keyword'],
    [`HANDLER${PYS}+FOR${B}`, 'Keyword'],
    [`GO(${PYS}${D}+)${B}`, 'Keyword'],
    [`(LATERAL${PYS}+VIEW${PYS}+)(EXPLODE|INLINE|PARSE_URL_TUPLE|POSEXPLODE|STACK)${B}`, 'Keyword'],
    [`(AT|WITH')${PYS}+TIME${PYS}+ZONE${PYS}+'[^']+'`, 'Keyword.TZCast'],
    [`(NOT${PYS}+)?(LIKE|ILIKE|RLIKE)${B}`, 'Operator.Comparison'],
    [`(NOT${PYS}+)?(REGEXP)(${PYS}+(BINARY))?${B}`, 'Operator.Comparison'],
    [`${W}[$#${W_IN}]*`, PROCESS_AS_KEYWORD],
    [`[;:()\\[\\],.]`, 'Punctuation'],
    [`(->>?|#>>?|@>|<@|\\?\\|?|\\?&|-|#-)`, 'Operator'],
    [`[<>=~!]+`, 'Operator.Comparison'],
    [`[+/@#%^&|^-]+`, 'Operator'],
  ] as [string, string][]
).map(([src, tt]) => [new RegExp(unicode ? src.replace(KEYWORD_WORD, (w) => w.replace(/I/g, '[Iİı]')) : src, flags), tt]);
}

let unicodeRules: [RegExp, string][] | undefined;
let asciiRules: [RegExp, string][] | undefined;

/** The rules for `text`: ASCII classes when every character is ASCII (see {@link Classes}). */
function rulesFor(text: string): [RegExp, string][] {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return (asciiRules ??= makeRules(ASCII_CLASSES));
  return (unicodeRules ??= makeRules(UNICODE_CLASSES));
}

export const DOLLAR_DELIM = new RegExp(`\\$(?:(?:_|${AZ})${W}*)?\\$`, 'iuy');
export const DOLLAR_OPENER_BAD = /[\p{L}\p{N}_"$]/u;

export function mkTok(ttype: string, value: string, pos: number): Tok {
  return { ttype, value, pos, cls: null, tokens: [] };
}

/** sqlparse's `Lexer.get_tokens`, with positions. */
export function lex(text: string): Tok[] {
  const out: Tok[] = [];
  const rules = rulesFor(text);
  const hasDollar = text.includes('$');
  const hasComment = text.includes('/*');
  let pos = 0;
  const n = text.length;
  outer: while (pos < n) {
    // Delimited spans (dollar-quoted literals, multiline comments), resolved where the lexer is.
    if (hasComment && text.startsWith('/*', pos)) {
      const hint = text[pos + 2] === '+';
      const close = text.indexOf('*/', pos + (hint ? 3 : 2));
      if (close >= 0) {
        out.push(mkTok(hint ? 'Comment.Multiline.Hint' : 'Comment.Multiline', text.slice(pos, close + 2), pos));
        pos = close + 2;
        continue;
      }
    }
    if (hasDollar && text[pos] === '$') {
      DOLLAR_DELIM.lastIndex = pos;
      const m = DOLLAR_DELIM.exec(text);
      const before = pos > 0 ? text.slice(pos - 1, pos) : '';
      if (m && !(before && DOLLAR_OPENER_BAD.test(before))) {
        const tag = m[0];
        const close = text.indexOf(tag, pos + tag.length);
        if (close >= 0) {
          out.push(mkTok('Literal', text.slice(pos, close + tag.length), pos));
          pos = close + tag.length;
          continue;
        }
      }
    }
    for (const [re, tt] of rules) {
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m) continue;
      const v = m[0];
      if (v.length === 0) continue;
      let ttype = tt;
      if (tt === PROCESS_AS_KEYWORD) ttype = KEYWORDS.get(v.toUpperCase()) ?? 'Name';
      out.push(mkTok(ttype, v, pos));
      pos += v.length;
      continue outer;
    }
    const cp = text.codePointAt(pos) ?? 0;
    const ch = String.fromCodePoint(cp);
    out.push(mkTok('Error', ch, pos));
    pos += ch.length;
  }
  return out;
}

export const isWs = (t: Tok): boolean => t.ttype !== null && (t.ttype === 'Text.Whitespace' || t.ttype.startsWith('Text.Whitespace.'));
export const isKw = (t: Tok): boolean => t.ttype !== null && (t.ttype === 'Keyword' || t.ttype.startsWith('Keyword.'));
export const normalized = (t: Tok): string => (isKw(t) ? t.value.toUpperCase() : t.value);
export const inType = (t: Tok, parent: string): boolean =>
  t.ttype !== null && (t.ttype === parent || t.ttype.startsWith(parent + '.'));
export const isGroup = (t: Tok): boolean => t.cls !== null;

export function tmatch(t: Tok | undefined | null, ttype: string, values?: string[]): boolean {
  if (!t || t.ttype !== ttype) return false;
  if (values === undefined) return true;
  const norm = normalized(t);
  return isKw(t) ? values.some((v) => v.toUpperCase() === norm) : values.includes(norm);
}

export function exactT(t: Tok | null | undefined, types: readonly string[]): boolean {
  return !!t && t.ttype !== null && types.includes(t.ttype);
}

export function mkGroup(cls: GroupCls, tokens: Tok[]): Tok {
  return { ttype: null, value: tokens.map((t) => t.value).join(''), pos: tokens[0]?.pos ?? 0, cls, tokens };
}

/** Raised for sqlparse's own errors (MLflow reports them as "Error on parsing filter"). */
export class SqlParseError extends Error {}

export const MAX_GROUPING_DEPTH = 100;
export const MAX_GROUPING_TOKENS = 10000;

export function groupTokens(tl: Tok, cls: GroupCls, start: number, end: number, extend = false): Tok {
  const startTok = tl.tokens[start]!;
  const endIdx = end + 1;
  if (extend && startTok.cls === cls) {
    const sub = tl.tokens.slice(start + 1, endIdx);
    startTok.tokens.push(...sub);
    tl.tokens.splice(start + 1, endIdx - start - 1);
    startTok.value += sub.map((t) => t.value).join('');
    return startTok;
  }
  const sub = tl.tokens.slice(start, endIdx);
  const grp = mkGroup(cls, sub);
  tl.tokens.splice(start, endIdx - start, grp);
  return grp;
}

export function tokenNext(tl: Tok, idx: number | null): [number | null, Tok | null] {
  if (idx === null) return [null, null];
  for (let i = idx + 1; i < tl.tokens.length; i++) {
    const t = tl.tokens[i]!;
    if (!isWs(t)) return [i, t];
  }
  return [null, null];
}

export function tokenPrev(tl: Tok, idx: number): [number | null, Tok | null] {
  for (let i = idx - 1; i >= 0; i--) {
    const t = tl.tokens[i]!;
    if (!isWs(t)) return [i, t];
  }
  return [null, null];
}

export function tokenNextBy(tl: Tok, pred: (t: Tok) => boolean, idx: number): [number | null, Tok | null] {
  for (let i = idx + 1; i < tl.tokens.length; i++) {
    const t = tl.tokens[i]!;
    if (pred(t)) return [i, t];
  }
  return [null, null];
}

export function checkLimits(tl: Tok, depth: number): void {
  if (depth > MAX_GROUPING_DEPTH) throw new SqlParseError(`Maximum grouping depth exceeded (${MAX_GROUPING_DEPTH}).`);
  if (tl.tokens.length > MAX_GROUPING_TOKENS) throw new SqlParseError(`Maximum number of tokens exceeded (${MAX_GROUPING_TOKENS}).`);
}

export type TokMatcher = (t: Tok) => boolean;

export function groupMatching(tl: Tok, cls: GroupCls, isOpen: TokMatcher, isClose: TokMatcher, depth: number): void {
  checkLimits(tl, depth);
  const opens: number[] = [];
  let offset = 0;
  const list = [...tl.tokens];
  for (let idx = 0; idx < list.length; idx++) {
    const tidx = idx - offset;
    const t = list[idx]!;
    if (isWs(t)) continue;
    if (isGroup(t) && t.cls !== cls) {
      groupMatching(t, cls, isOpen, isClose, depth + 1);
      continue;
    }
    if (isOpen(t)) opens.push(tidx);
    else if (isClose(t)) {
      const o = opens.pop();
      if (o === undefined) continue;
      groupTokens(tl, cls, o, tidx);
      offset += tidx - o;
    }
  }
}

export const DELIMITED: GroupCls[] = ['Parenthesis', 'SquareBrackets', 'Case', 'If', 'For', 'Begin'];
export function isDelimiter(tl: Tok, t: Tok | null): boolean {
  return t !== null && tl.cls !== null && DELIMITED.includes(tl.cls) && (t === tl.tokens[0] || t === tl.tokens[tl.tokens.length - 1]);
}

export function group(
  tl: Tok,
  cls: GroupCls,
  match: (t: Tok) => boolean,
  validPrev: (t: Tok | null) => boolean,
  validNext: (t: Tok | null) => boolean,
  post: (tl: Tok, pidx: number, tidx: number, nidx: number | null) => [number, number],
  extend = true,
  recurse = true,
  depth = 0,
): void {
  checkLimits(tl, depth);
  let offset = 0;
  let pidx: number | null = null;
  let prev: Tok | null = null;
  const list = [...tl.tokens];
  for (let idx = 0; idx < list.length; idx++) {
    const tidx = idx - offset;
    if (tidx < 0) continue;
    const t = list[idx]!;
    if (isWs(t)) continue;
    if (recurse && isGroup(t) && t.cls !== cls) group(t, cls, match, validPrev, validNext, post, extend, true, depth + 1);
    if (match(t)) {
      const [nidx, next] = tokenNext(tl, tidx);
      if (prev && validPrev(prev) && validNext(next) && !isDelimiter(tl, prev) && !isDelimiter(tl, next)) {
        const [from, to] = post(tl, pidx!, tidx, nidx);
        const grp = groupTokens(tl, cls, from, to, extend);
        offset += to - from;
        pidx = from;
        prev = grp;
        continue;
      }
    }
    pidx = tidx;
    prev = t;
  }
}

export function recurseExcept(excluded: GroupCls[], body: (tl: Tok) => void): (tl: Tok) => void {
  const wrapped = (tl: Tok): void => {
    for (const s of [...tl.tokens]) if (isGroup(s) && !excluded.includes(s.cls!)) wrapped(s);
    body(tl);
  };
  return wrapped;
}

export const T_NUMERICAL = ['Literal.Number', 'Literal.Number.Integer', 'Literal.Number.Float'];
export const T_STRING = ['Literal.String', 'Literal.String.Single', 'Literal.String.Symbol'];
export const T_NAME = ['Name', 'Name.Placeholder'];

export const groupFunctions = recurseExcept(['Function'], (tl) => {
  let hasCreate = false;
  let hasTable = false;
  let hasAs = false;
  for (const t of tl.tokens) {
    const u = t.value.toUpperCase();
    if (u === 'CREATE') hasCreate = true;
    if (u === 'TABLE') hasTable = true;
    if (u === 'AS') hasAs = true;
  }
  if (hasCreate && hasTable && !hasAs) return;
  let [tidx, tok] = tokenNextBy(tl, (t) => inType(t, 'Name'), -1);
  while (tok) {
    const [nidx, next] = tokenNext(tl, tidx);
    if (next && next.cls === 'Parenthesis') groupTokens(tl, 'Function', tidx!, nidx!);
    [tidx, tok] = tokenNextBy(tl, (t) => inType(t, 'Name'), tidx!);
  }
});

export function groupPeriod(tl: Tok): void {
  group(
    tl,
    'Identifier',
    (t) => tmatch(t, 'Punctuation', ['.']) || tmatch(t, 'Operator', ['->']) || tmatch(t, 'Operator', ['->>']),
    (t) => !!t && (t.cls === 'SquareBrackets' || t.cls === 'Identifier' || exactT(t, ['Name', 'Literal.String.Symbol'])),
    () => true,
    (tl2, pidx, tidx, nidx) => {
      const next = nidx !== null ? tl2.tokens[nidx]! : null;
      const ok =
        !!next &&
        (next.cls === 'SquareBrackets' ||
          next.cls === 'Function' ||
          exactT(next, ['Name', 'Literal.String.Symbol', 'Wildcard', 'Literal.String.Single']));
      return ok ? [pidx, nidx!] : [pidx, tidx];
    },
  );
}

export function groupArrays(tl: Tok): void {
  group(
    tl,
    'Identifier',
    (t) => t.cls === 'SquareBrackets',
    (t) => !!t && (t.cls === 'SquareBrackets' || t.cls === 'Identifier' || t.cls === 'Function' || exactT(t, ['Name', 'Literal.String.Symbol'])),
    () => true,
    (_tl, pidx, tidx) => [pidx, tidx],
    true,
    false,
  );
}

export const groupIdentifier = recurseExcept(['Identifier'], (tl) => {
  const pred = (t: Tok): boolean => exactT(t, ['Literal.String.Symbol', 'Name']);
  let [tidx, tok] = tokenNextBy(tl, pred, -1);
  while (tok) {
    groupTokens(tl, 'Identifier', tidx!, tidx!);
    [tidx, tok] = tokenNextBy(tl, pred, tidx!);
  }
});

export const groupOrder = recurseExcept(['Identifier'], (tl) => {
  const pred = (t: Tok): boolean => inType(t, 'Keyword.Order');
  let [tidx, tok] = tokenNextBy(tl, pred, -1);
  while (tok) {
    const [pidx, prev] = tokenPrev(tl, tidx!);
    if (prev && (prev.cls === 'Identifier' || inType(prev, 'Literal.Number'))) {
      groupTokens(tl, 'Identifier', pidx!, tidx!);
      tidx = pidx;
    }
    [tidx, tok] = tokenNextBy(tl, pred, tidx!);
  }
});

export function groupTypecasts(tl: Tok): void {
  group(
    tl,
    'Identifier',
    (t) => tmatch(t, 'Punctuation', ['::']),
    (t) => t !== null,
    (t) => t !== null,
    (_tl, pidx, _tidx, nidx) => [pidx, nidx!],
  );
}

export const OPERAND_CLS: GroupCls[] = ['Parenthesis', 'Function', 'Identifier', 'Operation'];

export function groupOperator(tl: Tok): void {
  const valid = (t: Tok | null): boolean =>
    !!t &&
    ((t.cls !== null && (OPERAND_CLS.includes(t.cls) || t.cls === 'SquareBrackets')) ||
      exactT(t, [...T_NUMERICAL, ...T_STRING, ...T_NAME]) ||
      tmatch(t, 'Keyword', ['CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIMESTAMP']));
  group(
    tl,
    'Operation',
    (t) => exactT(t, ['Operator', 'Wildcard']),
    valid,
    valid,
    (tl2, pidx, tidx, nidx) => {
      tl2.tokens[tidx]!.ttype = 'Operator';
      return [pidx, nidx!];
    },
    false,
  );
}

export function groupComparison(tl: Tok): void {
  const valid = (t: Tok | null): boolean =>
    !!t &&
    ((t.cls !== null && OPERAND_CLS.includes(t.cls)) ||
      exactT(t, [...T_NUMERICAL, ...T_STRING, ...T_NAME]) ||
      (isKw(t) && normalized(t) === 'NULL'));
  group(
    tl,
    'Comparison',
    (t) => t.ttype === 'Operator.Comparison',
    valid,
    valid,
    (_tl, pidx, _tidx, nidx) => [pidx, nidx!],
    false,
  );
}

export function groupAs(tl: Tok): void {
  group(
    tl,
    'Identifier',
    (t) => isKw(t) && normalized(t) === 'AS',
    (t) => !!t && (normalized(t) === 'NULL' || !isKw(t)),
    (t) => t !== null && !exactT(t, ['Keyword.DML', 'Keyword.DDL', 'Keyword.CTE']),
    (_tl, pidx, _tidx, nidx) => [pidx, nidx!],
  );
}

export const groupAliased = recurseExcept([], (tl) => {
  const pred = (t: Tok): boolean =>
    (t.cls !== null && ['Parenthesis', 'Function', 'Identifier', 'Operation', 'Comparison'].includes(t.cls)) ||
    inType(t, 'Literal.Number');
  let [tidx, tok] = tokenNextBy(tl, pred, -1);
  while (tok) {
    const [nidx, next] = tokenNext(tl, tidx);
    if (next && next.cls === 'Identifier') groupTokens(tl, 'Identifier', tidx!, nidx!, true);
    [tidx, tok] = tokenNextBy(tl, pred, tidx!);
  }
});

export function groupAssignment(tl: Tok): void {
  const valid = (t: Tok | null): boolean => t !== null && t.ttype !== 'Keyword';
  group(
    tl,
    'Assignment',
    (t) => tmatch(t, 'Assignment', [':=']),
    valid,
    valid,
    (tl2, pidx, _tidx, nidx) => {
      const [snidx] = tokenNextBy(tl2, (t) => tmatch(t, 'Punctuation', [';']), nidx!);
      return [pidx, snidx || nidx!];
    },
  );
}

/** `align_comments`: a comment after a group joins that group (any group is a TokenList). */
export const alignComments = recurseExcept([], (tl) => {
  const pred = (t: Tok): boolean => t.cls === 'Comment';
  let [tidx, tok] = tokenNextBy(tl, pred, -1);
  while (tok) {
    const [pidx, prev] = tokenPrev(tl, tidx!);
    if (prev && isGroup(prev)) {
      groupTokens(tl, prev.cls!, pidx!, tidx!, true);
      tidx = pidx;
    }
    [tidx, tok] = tokenNextBy(tl, pred, tidx!);
  }
});

export function groupIdentifierList(tl: Tok): void {
  const CLS: GroupCls[] = ['Function', 'Case', 'Identifier', 'Comparison', 'IdentifierList', 'Operation'];
  const TT = [...T_NUMERICAL, ...T_STRING, ...T_NAME, 'Keyword', 'Comment', 'Wildcard'];
  const valid = (t: Tok | null): boolean =>
    !!t && ((t.cls !== null && CLS.includes(t.cls)) || tmatch(t, 'Keyword', ['null', 'role']) || exactT(t, TT));
  group(tl, 'IdentifierList', (t) => tmatch(t, 'Punctuation', [',']), valid, valid, (_tl, pidx, _tidx, nidx) => [pidx, nidx!]);
}


/** sqlparse's `StatementSplitter`: the token lists of the statements of `tokens`. */
export function splitStatements(tokens: Tok[]): Tok[][] {
  interface State {
    blockStack: string[];
    parenLevel: number;
    unconfirmed: string | null;
    isCreate: boolean;
    seenBegin: boolean;
    consumeWs: boolean;
    tokens: Tok[];
    level: number;
  }
  const reset = (): State => ({
    blockStack: [],
    parenLevel: 0,
    unconfirmed: null,
    isCreate: false,
    seenBegin: false,
    consumeWs: false,
    tokens: [],
    level: 0,
  });
  const top = (st: State): string | undefined => st.blockStack[st.blockStack.length - 1];
  const nested = (st: State, u: string): number | null => {
    if (u === 'FOR' || u === 'WHILE') {
      st.unconfirmed = u;
      return 0;
    }
    if (u === 'LOOP' || u === 'DO') {
      if (st.unconfirmed === 'FOR' || st.unconfirmed === 'WHILE') {
        st.blockStack.push(st.unconfirmed);
        st.unconfirmed = null;
        return 1;
      }
      if (u === 'LOOP') {
        st.blockStack.push('LOOP');
        return 1;
      }
    }
    if (u === 'IF' || u === 'CASE') {
      st.blockStack.push(u);
      return 1;
    }
    return null;
  };
  const closing = (st: State, u: string): number => {
    const pairs: Record<string, string[]> = {
      'END IF': ['IF'],
      'END FOR': ['FOR'],
      'END WHILE': ['WHILE'],
      'END LOOP': ['LOOP', 'FOR', 'WHILE'],
      'END CASE': ['CASE'],
    };
    const want = pairs[u];
    if (want) {
      const t = top(st);
      if (t !== undefined && want.includes(t)) {
        st.blockStack.pop();
        return -1;
      }
      return 0;
    }
    if (u === 'END') {
      st.blockStack.pop();
      return -1;
    }
    return 0;
  };
  const change = (st: State, t: Tok): number => {
    if (tmatch(t, 'Punctuation', [';'])) {
      st.unconfirmed = null;
      if (st.seenBegin) {
        st.seenBegin = false;
        if (top(st) === 'BEGIN') {
          st.blockStack.pop();
          return -1;
        }
      }
      return 0;
    }
    if (tmatch(t, 'Punctuation', ['('])) {
      st.parenLevel++;
      return 1;
    }
    if (tmatch(t, 'Punctuation', [')'])) {
      st.parenLevel = Math.max(0, st.parenLevel - 1);
      return -1;
    }
    if (!isKw(t)) return 0;
    const u = t.value.toUpperCase();
    if (t.ttype === 'Keyword.DDL' && u.startsWith('CREATE')) {
      st.isCreate = true;
      return 0;
    }
    if (u === 'DECLARE' && st.isCreate && st.blockStack.length === 0) {
      st.blockStack.push('DECLARE');
      return 1;
    }
    if (u === 'BEGIN') {
      st.seenBegin = true;
      if (top(st) === 'DECLARE') {
        st.blockStack.pop();
        st.blockStack.push('BEGIN');
        return 0;
      }
      st.blockStack.push('BEGIN');
      return 1;
    }
    if (st.seenBegin && t.ttype === 'Keyword' && ['TRANSACTION', 'WORK', 'TRAN', 'DISTRIBUTED', 'DEFERRED', 'IMMEDIATE', 'EXCLUSIVE'].includes(u)) {
      st.seenBegin = false;
      if (top(st) === 'BEGIN') {
        st.blockStack.pop();
        return -1;
      }
      return 0;
    }
    if (st.blockStack.includes('BEGIN')) {
      const r = nested(st, u);
      if (r !== null) return r;
    }
    return closing(st, u);
  };
  const out: Tok[][] = [];
  let st = reset();
  for (const t of tokens) {
    if (st.consumeWs && t.ttype !== 'Text.Whitespace' && t.ttype !== 'Comment.Single') {
      out.push(st.tokens);
      st = reset();
    }
    st.level += change(st, t);
    st.tokens.push(t);
    if (tmatch(t, 'Punctuation', [';'])) {
      st.seenBegin = false;
      if (st.level <= 0 && !st.blockStack.includes('BEGIN')) st.consumeWs = true;
    } else if (t.ttype === 'Keyword' && t.value.split(/\s+/)[0] === 'GO') {
      st.consumeWs = true;
    } else if (
      !['Text.Whitespace', 'Text.Whitespace.Newline', 'Comment.Single', 'Comment.Multiline'].includes(t.ttype ?? '') &&
      !(t.ttype === 'Keyword' && t.value.toUpperCase() === 'BEGIN')
    ) {
      st.seenBegin = false;
    }
  }
  if (st.tokens.length > 0 && !st.tokens.every(isWs)) out.push(st.tokens);
  return out;
}

export const groupComments = recurseExcept(['Comment'], (tl) => {
  const isComment = (t: Tok): boolean => inType(t, 'Comment');
  let [tidx, tok] = tokenNextBy(tl, isComment, -1);
  while (tok) {
    let eidx: number | null = null;
    for (let i = tidx!; i < tl.tokens.length; i++) {
      const t = tl.tokens[i]!;
      if (!(isComment(t) || inType(t, 'Text.Whitespace.Newline'))) {
        eidx = i;
        break;
      }
    }
    if (eidx === null) break;
    groupTokens(tl, 'Comment', tidx!, eidx - 1);
    [tidx, tok] = tokenNextBy(tl, isComment, tidx!);
  }
});

export const WHERE_CLOSE = ['ORDER BY', 'GROUP BY', 'LIMIT', 'UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT', 'HAVING', 'RETURNING', 'INTO'];
export const groupWhere = recurseExcept(['Where'], (tl) => {
  const isOpen = (t: Tok): boolean => tmatch(t, 'Keyword', ['WHERE']);
  let [tidx, tok] = tokenNextBy(tl, isOpen, -1);
  while (tok) {
    const [eidx, end] = tokenNextBy(tl, (t) => tmatch(t, 'Keyword', WHERE_CLOSE), tidx!);
    let last: number;
    if (end === null) {
      const delimited = tl.cls !== null && DELIMITED.includes(tl.cls) && tl.cls !== 'Case' && tl.cls !== 'If' && tl.cls !== 'For' && tl.cls !== 'Begin';
      last = delimited ? tl.tokens.length - 2 : tl.tokens.length - 1;
    } else last = eidx! - 1;
    groupTokens(tl, 'Where', tidx!, last);
    [tidx, tok] = tokenNextBy(tl, isOpen, tidx!);
  }
});

export interface Parsed {
  /** Statements sqlparse would return: 0, 1 or more. */
  count: number;
  stmt: Tok;
}

/** `sqlparse.parse(text)`: the first statement grouped, and how many statements there are. */
export function sqlparse(text: string): Parsed {
  const statements = splitStatements(lex(text));
  const count = statements.length;
  const stmt = mkGroup('Statement', statements[0] ?? []);
  if (count === 0) return { count, stmt };
  try {
    groupComments(stmt);
    const punct = (v: string): TokMatcher => (t) => tmatch(t, 'Punctuation', [v]);
    const kw = (...vs: string[]): TokMatcher => (t) => tmatch(t, 'Keyword', vs);
    groupMatching(stmt, 'SquareBrackets', punct('['), punct(']'), 0);
    groupMatching(stmt, 'Parenthesis', punct('('), punct(')'), 0);
    groupMatching(stmt, 'Case', kw('CASE'), kw('END'), 0);
    groupMatching(stmt, 'If', kw('IF'), kw('END IF'), 0);
    groupMatching(stmt, 'For', kw('FOR', 'FOREACH'), kw('END LOOP'), 0);
    groupMatching(stmt, 'Begin', kw('BEGIN'), kw('END'), 0);
    groupFunctions(stmt);
    groupWhere(stmt);
    groupPeriod(stmt);
    groupArrays(stmt);
    groupIdentifier(stmt);
    groupOrder(stmt);
    groupTypecasts(stmt);
    groupOperator(stmt);
    groupComparison(stmt);
    groupAs(stmt);
    groupAliased(stmt);
    groupAssignment(stmt);
    alignComments(stmt);
    groupIdentifierList(stmt);
  } catch (e) {
    if (e instanceof RangeError) throw new SqlParseError('Maximum recursion depth exceeded');
    throw e;
  }
  return { count, stmt };
}

/** MLflow's `_join_in_comparison_tokens`. */
export function joinInComparison(tokens: Tok[]): Tok[] {
  const nws = tokens.filter((t) => !isWs(t));
  const out: Tok[] = [];
  const n = nws.length;
  let i = 0;
  const kw = (value: string, pos: number): Tok => mkTok('Keyword', value, pos);
  while (i < n) {
    const first = nws[i]!;
    if (n - i < 3) {
      out.push(...nws.slice(i));
      break;
    }
    if (first.cls !== 'Identifier') {
      out.push(first);
      i++;
      continue;
    }
    const second = nws[i + 1]!;
    const third = nws[i + 2]!;
    if (tmatch(second, 'Keyword', ['IN']) && third.cls === 'Parenthesis') {
      out.push(mkGroup('Comparison', [first, second, third]));
      i += 3;
      continue;
    }
    if (tmatch(second, 'Keyword', ['IS']) && tmatch(third, 'Keyword', ['NULL'])) {
      out.push(mkGroup('Comparison', [first, kw('IS NULL', second.pos)]));
      i += 3;
      continue;
    }
    if (tmatch(second, 'Keyword', ['IS']) && third.ttype === 'Keyword' && third.value.toUpperCase() === 'NOT NULL') {
      out.push(mkGroup('Comparison', [first, kw('IS NOT NULL', second.pos)]));
      i += 3;
      continue;
    }
    const fourth = nws[i + 3];
    if (fourth === undefined) {
      out.push(first, second, third);
      break;
    }
    if (tmatch(second, 'Keyword', ['NOT']) && tmatch(third, 'Keyword', ['IN']) && fourth.cls === 'Parenthesis') {
      out.push(mkGroup('Comparison', [first, kw('NOT IN', second.pos), fourth]));
      i += 4;
      continue;
    }
    out.push(first, second, third, fourth);
    i += 4;
  }
  return out;
}
