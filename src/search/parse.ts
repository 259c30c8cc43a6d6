/**
 * Parsers for MLflow search filters and order_by clauses, mirroring MLflow 3.17's
 * `SearchUtils`, `SearchExperimentsUtils`, `SearchModelUtils` and `SearchModelVersionUtils`.
 *
 * MLflow tokenizes filters with sqlparse 0.6 and then inspects the grouped token tree; the
 * accepted language is whatever that pipeline accepts. This module ports the parts of the sqlparse
 * lexer (same ordered rules, same keyword table) and of its grouping engine that decide what a
 * filter turns into (parenthesis, functions, periods, identifiers, order, typecasts, operations,
 * comparisons, AS, aliases), including its DoS limits (10,000 tokens, nesting depth 100). Every
 * step is linear in the input (the grouping passes splice arrays of at most 10,000 tokens).
 *
 * @example
 * ```ts
 * import { parseRunFilter, parseRunOrderBy } from './parse.js';
 * const ast = parseRunFilter("metrics.loss < 0.5 and params.model = 'cnn'");
 * const order = parseRunOrderBy(['metrics.loss DESC']);
 * ```
 */
import { MlflowError, invalidParameter } from '../errors.js';
import type {
  EntityOrderBy,
  ExperimentFilter,
  FilterClause,
  FilterValue,
  ModelVersionFilter,
  PyLiteral,
  RegisteredModelFilter,
  RunFilter,
  RunKeyType,
  RunOrderBy,
} from './ast.js';

const KEYWORD_TABLE: Record<string, string> = {
  "Keyword.DML": "COMMIT DELETE INSERT MERGE REPLACE ROLLBACK SELECT START UPDATE UPSERT",
  "Keyword.DDL": "ALTER CREATE DROP TRUNCATE",
  "Keyword.DCL": "GRANT REVOKE",
  "Keyword": "ABORT ABS ABSOLUTE ACCESS ACCOUNT ADA ADD ADMIN AFTER AGGREGATE ALIAS ALL ALLOCATE ANALYSE ANALYZE AND ANY ARCHIVE ARCHIVELOG ARE ARRAYLEN ARRAY_CONTAINS AS ASENSITIVE ASSERTION ASSERT_ROWS_MODIFIED ASSIGNMENT ASYMMETRIC AT ATOMIC ATTACH AUDIT AUTHORIZATION AUTO_INCREMENT AVG BACKUP BACKWARD BECOME BEFORE BEGIN BETWEEN BIGSERIAL BIT VARYING BITVAR BIT_LENGTH BLOCK BODY BOTH BOX BREADTH BREAK BY BYTEA CACHE CALL CALLED CANCEL CARDINALITY CASCADE CASCADED CASE CAST CATALOG CATALOG_NAME CHAIN CHANGE CHARACTER CHARACTER VARYING CHARACTERISTICS CHARACTER_LENGTH CHARACTER_SET_CATALOG CHARACTER_SET_NAME CHARACTER_SET_SCHEMA CHARSET CHAR_LENGTH CHECK CHECKED CHECKPOINT CIDR CIRCLE CLASS CLASS_ORIGIN CLOB CLOSE CLUSTER CMP COALESCE COBOL COLLATE COLLATION COLLATION_CATALOG COLLATION_NAME COLLATION_SCHEMA COLLECT COLLECT_LIST COLUMN COLUMN_NAME COMMAND_FUNCTION COMMAND_FUNCTION_CODE COMMENT COMMITTED COMPILE COMPLETION COMPRESS CONCAT CONCURRENTLY CONDITION CONDITION_NUMBER CONFLICT CONNECT CONNECTION CONNECTION_NAME CONSTRAINT CONSTRAINTS CONSTRAINT_CATALOG CONSTRAINT_NAME CONSTRAINT_SCHEMA CONSTRUCTOR CONTAINS CONTENTS CONTINUE CONTROLFILE CONVERSION CONVERT COPY CORRESPONDING COUNT CREATEDB CREATEUSER CROSS CUBE CURRENT CURRENT_DATE CURRENT_PATH CURRENT_ROLE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR CURSOR_NAME CYCLE DATA DATABASE DATAFILE DATETIME_INTERVAL_CODE DATETIME_INTERVAL_PRECISION DATE_ADD DATE_SUB DAY DBA DBMS_OUTPUT DEALLOCATE DECLARE DECODE DEFAULT DEFAULTS DEFERRABLE DEFERRED DEFINE DEFINED DEFINER DELIMITER DELIMITERS DEREF DESCRIBE DESCRIPTOR DESTROY DESTRUCTOR DETACH DETERMINISTIC DIAGNOSTICS DICTIONARY DIRECTORY DISABLE DISCONNECT DISMOUNT DISPATCH DISTINCT DISTINCTROW DISTRIBUTE DO DOMAIN DOUBLE DOUBLE PRECISION DUMP DYNAMIC DYNAMIC_FUNCTION DYNAMIC_FUNCTION_CODE EACH ELEMENTS ELSE ELSIF ENABLE ENCODING ENCRYPTED END END-EXEC ENGINE ENUM EQUALS ESCAPE EVENTS EVERY EXCEPT EXCEPTION EXCEPTIONS EXCHANGE EXCLUDING EXCLUSIVE EXEC EXECUTE EXISTING EXISTS EXIT EXPLAIN EXPLODE EXTENDED EXTENSION EXTENT EXTERNAL EXTERNALLY EXTRACT FALSE FETCH FILE FINAL FIRST FLOOR FLUSH FOLLOWING FOR FORCE FOREACH FOREIGN FORTRAN FORWARD FOUND FREE FREELIST FREELISTS FREEZE FROM FROM_UNIXTIME FTP FULL FUNCTION GENERAL GENERATED GET GLOBAL GO GOTO GRANTED GROUP GROUPING GSCLUSTER HASH HAVING HIERARCHY HOLD HOST HOUR IDENTIFIED IDENTITY IF IGNORE ILIKE IMMEDIATE IMMUTABLE IMPLEMENTATION IMPLICIT IN INCLUDE INCLUDING INCREMENT INDEX INDEXES INDICATOR INET INFIX INHERIT INHERITS INITIAL INITIALIZE INITIALLY INITRANS INLINE INNER INOUT INPUT INSENSITIVE INSTANCE INSTANTIABLE INSTEAD INSTR INTERSECT INTO INVOKER IS ISNULL ISOLATION ISSUE ITERATE JOIN JSON JSONB KEY KEY_MEMBER KEY_TYPE LANCOMPILER LANGUAGE LARGE LAST LATERAL LAYER LEADING LEAVE LEFT LEN LENGTH LESS LEVEL LIKE LIMIT LINE LINK LISTEN LISTS LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATE LOCATION LOCATOR LOCK LOGFILE LOOKUP LOOP LOWER LSEG MACADDR MANAGE MANUAL MATCH MATERIALIZED MAX MAXDATAFILES MAXELEMENT MAXEXTENTS MAXINDEX MAXINSTANCES MAXLOGFILES MAXLOGHISTORY MAXLOGMEMBERS MAXTRANS MAXVALUE MAX_PART_DATE MAX_PART_INT MAX_PART_STRING MESSAGE_LENGTH MESSAGE_OCTET_LENGTH MESSAGE_TEXT METHOD MIN MINELEMENT MINEXTENTS MININDEX MINUS MINUTE MINVALUE MIN_PART_DATE MIN_PART_INT MIN_PART_STRING MOD MODE MODIFIES MODIFY MODULE MONEY MONTH MORE MOUNT MOVE MUMPS NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO NOARCHIVELOG NOAUDIT NOCACHE NOCOMPRESS NOCREATEDB NOCREATEUSER NOCYCLE NOMAXVALUE NOMINVALUE NONE NOORDER NORESETLOGS NORMAL NOSORT NOT NOTFOUND NOTHING NOTICE NOTIFY NOTNULL NOW NOWAIT NULL NULLABLE NULLIF NVL NVL2 OBJECT OCTET_LENGTH OF OFF OFFLINE OFFSET OIDS OLD ON ONLINE ONLY ON_ERROR_STOP OPEN OPERATION OPERATOR OPTIMAL OPTION OPTIONS OR ORDER ORDINALITY ORGANIZATION OUT OUTER OUTPUT OVER OVERLAPS OVERLAY OVERRIDING OVERWRITE OWN OWNER PACKAGE PAD PARALLEL PARAMETER PARAMETERS PARAMETER_MODE PARAMETER_NAME PARAMETER_ORDINAL_POSITION PARAMETER_SPECIFIC_CATALOG PARAMETER_SPECIFIC_NAME PARAMETER_SPECIFIC_SCHEMA PARSE_URL_TUPLE PARTIAL PARTITION PART_COUNT PART_COUNT_BY PART_LOC PASCAL PATH PCTFREE PCTINCREASE PCTUSED PENDANT PERFORM PG_LSN PIVOT PLACING PLAN PLI PLPGSQL POINT POLYGON POSEXPLODE POSITION POSTFIX PRECEDING PRECISION PREFIX PREORDER PREPARE PRESERVE PRIMARY PRINT PRIOR PRIVATE PRIVILEGES PROCEDURAL PROCEDURE PROFILE PROTO PUBLIC PUT_LINE QUALIFY QUARTER QUOTA RAISE RANGE RAW READ READS RECHECK RECOVER RECURSIVE REDUCE REF REFERENCES REFERENCING REGEXP REGEXP_REPLACE REINDEX RELATIVE RENAME REPEATABLE RESET RESETLOGS RESIGNAL RESOURCE RESPECT RESTART RESTRICT RESTRICTED RESULT RETURN RETURNED_LENGTH RETURNED_OCTET_LENGTH RETURNED_SQLSTATE RETURNING RETURNS REUSE RIGHT RLIKE ROLE ROLES ROLLUP ROUTINE ROUTINE_CATALOG ROUTINE_NAME ROUTINE_SCHEMA ROW ROWS ROW_COUNT ROW_FORMAT RTRIM RULE SAMPLE SAVEPOINT SAVE_POINT SCALE SCHEMA SCHEMA_NAME SCN SCOPE SCROLL SEARCH SECOND SECTION SECURITY SEGMENT SELF SENSITIVE SEQUENCE SERIALIZABLE SERVER_NAME SESSION SESSION_USER SET SETOF SETS SHARE SHARED SHOW SIGN SIGNAL SIMILAR SIMPLE SIN SIZE SMALLSERIAL SNAPSHOT SOME SORT SOURCE SPACE SPECIFIC SPECIFICTYPE SPECIFIC_NAME SPLIT SQL SQLBUF SQLCODE SQLERROR SQLEXCEPTION SQLSTATE SQLWARNING SQRT STABLE STACK STATEMENT STATEMENT_ID STATIC STATISTICS STDIN STDOUT STOP STORAGE STR STRAIGHT_JOIN STRICT STRUCTURE STYPE SUBCLASS_ORIGIN SUBLIST SUBSTR SUBSTRING SUCCESSFUL SUM SUMMARY SWITCH SYMMETRIC SYNONYM SYSID SYSTEM SYSTEM_USER TABLE TABLES TABLESAMPLE TABLESPACE TABLE_NAME TBLPROPERTIES TEMP TEMPLATE TEMPORARY TERMINATE THAN THEN THREAD TIME TIMESTAMP_ISO TIMEZONE_HOUR TIMEZONE_MINUTE TO TOAST TO_CHAR TO_DATE TO_TIMESTAMP TRACING TRAILING TRANSACTION TRANSACTIONS_COMMITTED TRANSACTIONS_ROLLED_BACK TRANSATION TRANSATION_ACTIVE TRANSFORM TRANSFORMS TRANSLATE TRANSLATION TREAT TRIGGER TRIGGERS TRIGGER_CATALOG TRIGGER_NAME TRIGGER_SCHEMA TRIM TRUE TRUNC TRUSTED TRY_CAST TSQUERY TSVECTOR TXID_SNAPSHOT TYPE UID UNBOUNDED UNCOMMITTED UNDER UNENCRYPTED UNION UNIQUE UNIQUEJOIN UNIX_TIMESTAMP UNKNOWN UNLIMITED UNLISTEN UNLOCK UNNAMED UNNEST UNPIVOT UNTIL UPPER USAGE USE USER USER_DEFINED_TYPE_CATALOG USER_DEFINED_TYPE_NAME USER_DEFINED_TYPE_SCHEMA USING UTC_TIMESTAMP UUID VACUUM VALID VALIDATE VALIDATOR VALUES VARIABLE VERBOSE VERSION VIEW VIEWS VOLATILE WEEK WHEN WHENEVER WHERE WHILE WINDOW WITHOUT WORK WRITE XML YEAR ZONE",
  "Name.Builtin": "ARRAY BIGINT BIGNUMERIC BINARY BIT BLOB BOOLEAN CHAR DATE DEC DECIMAL FILE_TYPE FLOAT INT INT8 INTEGER INTERVAL LONG MAP NATURALN NUMBER NUMERIC NVARCHAR PLS_INTEGER POSITIVE POSITIVEN REAL ROWID ROWLABEL ROWNUM SERIAL SERIAL8 SIGNED SIGNTYPE SIMPLE_DOUBLE SIMPLE_FLOAT SIMPLE_INTEGER SMALLINT STRING STRUCT SYS_REFCURSOR TEXT TIMESTAMP TINYINT UNSIGNED UROWID UTL_FILE VARCHAR VARCHAR2 VARIANT VARYING",
  "Operator": "DIV",
  "Keyword.CTE": "WITH",
  "Name": "SYSDATE",
};

// ---------------------------------------------------------------------------------------------
// sqlparse port: tokens
// ---------------------------------------------------------------------------------------------

type GroupCls =
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
interface Tok {
  ttype: string | null;
  value: string;
  pos: number;
  cls: GroupCls | null;
  tokens: Tok[];
}

const W_IN = '\\p{L}\\p{N}_';
const W = `[${W_IN}]`;
const PYS = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const D = '\\p{Nd}';
/**
 * Python's `[A-ZÀ-Ü]` under IGNORECASE|UNICODE: every character whose simple lowercase is in
 * the lowered range (so also `İ`, `ı`, `ſ` and the Kelvin sign, but not `÷`).
 */
const AZ = '[A-Za-z\\u00C0-\\u00DC\\u00E0-\\u00F6\\u00F8-\\u00FC\\u0130\\u0131\\u017F\\u212A]';
/** Python IGNORECASE also matches `İ` and `ı` for a literal `I` (JS case folding does not). */
const KEYWORD_WORD = /[A-Z_]{2,}/g;

const KEYWORDS = new Map<string, string>();
for (const [ttype, words] of Object.entries(KEYWORD_TABLE)) {
  for (const w of words.split(' ')) KEYWORDS.set(w, ttype);
}

const PROCESS_AS_KEYWORD = '<kw>';

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

const DOLLAR_DELIM = new RegExp(`\\$(?:(?:_|${AZ})${W}*)?\\$`, 'iuy');
const DOLLAR_OPENER_BAD = /[\p{L}\p{N}_"$]/u;

function mkTok(ttype: string, value: string, pos: number): Tok {
  return { ttype, value, pos, cls: null, tokens: [] };
}

/** sqlparse's `Lexer.get_tokens`, with positions. */
function lex(text: string): Tok[] {
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

const isWs = (t: Tok): boolean => t.ttype !== null && (t.ttype === 'Text.Whitespace' || t.ttype.startsWith('Text.Whitespace.'));
const isKw = (t: Tok): boolean => t.ttype !== null && (t.ttype === 'Keyword' || t.ttype.startsWith('Keyword.'));
const normalized = (t: Tok): string => (isKw(t) ? t.value.toUpperCase() : t.value);
const inType = (t: Tok, parent: string): boolean =>
  t.ttype !== null && (t.ttype === parent || t.ttype.startsWith(parent + '.'));
const isGroup = (t: Tok): boolean => t.cls !== null;

function tmatch(t: Tok | undefined | null, ttype: string, values?: string[]): boolean {
  if (!t || t.ttype !== ttype) return false;
  if (values === undefined) return true;
  const norm = normalized(t);
  return isKw(t) ? values.some((v) => v.toUpperCase() === norm) : values.includes(norm);
}

function exactT(t: Tok | null | undefined, types: readonly string[]): boolean {
  return !!t && t.ttype !== null && types.includes(t.ttype);
}

function mkGroup(cls: GroupCls, tokens: Tok[]): Tok {
  return { ttype: null, value: tokens.map((t) => t.value).join(''), pos: tokens[0]?.pos ?? 0, cls, tokens };
}

/** Raised for sqlparse's own errors (MLflow reports them as "Error on parsing filter"). */
class SqlParseError extends Error {}

const MAX_GROUPING_DEPTH = 100;
const MAX_GROUPING_TOKENS = 10000;

function groupTokens(tl: Tok, cls: GroupCls, start: number, end: number, extend = false): Tok {
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

function tokenNext(tl: Tok, idx: number | null): [number | null, Tok | null] {
  if (idx === null) return [null, null];
  for (let i = idx + 1; i < tl.tokens.length; i++) {
    const t = tl.tokens[i]!;
    if (!isWs(t)) return [i, t];
  }
  return [null, null];
}

function tokenPrev(tl: Tok, idx: number): [number | null, Tok | null] {
  for (let i = idx - 1; i >= 0; i--) {
    const t = tl.tokens[i]!;
    if (!isWs(t)) return [i, t];
  }
  return [null, null];
}

function tokenNextBy(tl: Tok, pred: (t: Tok) => boolean, idx: number): [number | null, Tok | null] {
  for (let i = idx + 1; i < tl.tokens.length; i++) {
    const t = tl.tokens[i]!;
    if (pred(t)) return [i, t];
  }
  return [null, null];
}

function checkLimits(tl: Tok, depth: number): void {
  if (depth > MAX_GROUPING_DEPTH) throw new SqlParseError(`Maximum grouping depth exceeded (${MAX_GROUPING_DEPTH}).`);
  if (tl.tokens.length > MAX_GROUPING_TOKENS) throw new SqlParseError(`Maximum number of tokens exceeded (${MAX_GROUPING_TOKENS}).`);
}

type TokMatcher = (t: Tok) => boolean;

function groupMatching(tl: Tok, cls: GroupCls, isOpen: TokMatcher, isClose: TokMatcher, depth: number): void {
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

const DELIMITED: GroupCls[] = ['Parenthesis', 'SquareBrackets', 'Case', 'If', 'For', 'Begin'];
function isDelimiter(tl: Tok, t: Tok | null): boolean {
  return t !== null && tl.cls !== null && DELIMITED.includes(tl.cls) && (t === tl.tokens[0] || t === tl.tokens[tl.tokens.length - 1]);
}

function group(
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

function recurseExcept(excluded: GroupCls[], body: (tl: Tok) => void): (tl: Tok) => void {
  const wrapped = (tl: Tok): void => {
    for (const s of [...tl.tokens]) if (isGroup(s) && !excluded.includes(s.cls!)) wrapped(s);
    body(tl);
  };
  return wrapped;
}

const T_NUMERICAL = ['Literal.Number', 'Literal.Number.Integer', 'Literal.Number.Float'];
const T_STRING = ['Literal.String', 'Literal.String.Single', 'Literal.String.Symbol'];
const T_NAME = ['Name', 'Name.Placeholder'];

const groupFunctions = recurseExcept(['Function'], (tl) => {
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

function groupPeriod(tl: Tok): void {
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

function groupArrays(tl: Tok): void {
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

const groupIdentifier = recurseExcept(['Identifier'], (tl) => {
  const pred = (t: Tok): boolean => exactT(t, ['Literal.String.Symbol', 'Name']);
  let [tidx, tok] = tokenNextBy(tl, pred, -1);
  while (tok) {
    groupTokens(tl, 'Identifier', tidx!, tidx!);
    [tidx, tok] = tokenNextBy(tl, pred, tidx!);
  }
});

const groupOrder = recurseExcept(['Identifier'], (tl) => {
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

function groupTypecasts(tl: Tok): void {
  group(
    tl,
    'Identifier',
    (t) => tmatch(t, 'Punctuation', ['::']),
    (t) => t !== null,
    (t) => t !== null,
    (_tl, pidx, _tidx, nidx) => [pidx, nidx!],
  );
}

const OPERAND_CLS: GroupCls[] = ['Parenthesis', 'Function', 'Identifier', 'Operation'];

function groupOperator(tl: Tok): void {
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

function groupComparison(tl: Tok): void {
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

function groupAs(tl: Tok): void {
  group(
    tl,
    'Identifier',
    (t) => isKw(t) && normalized(t) === 'AS',
    (t) => !!t && (normalized(t) === 'NULL' || !isKw(t)),
    (t) => t !== null && !exactT(t, ['Keyword.DML', 'Keyword.DDL', 'Keyword.CTE']),
    (_tl, pidx, _tidx, nidx) => [pidx, nidx!],
  );
}

const groupAliased = recurseExcept([], (tl) => {
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

function groupAssignment(tl: Tok): void {
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
const alignComments = recurseExcept([], (tl) => {
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

function groupIdentifierList(tl: Tok): void {
  const CLS: GroupCls[] = ['Function', 'Case', 'Identifier', 'Comparison', 'IdentifierList', 'Operation'];
  const TT = [...T_NUMERICAL, ...T_STRING, ...T_NAME, 'Keyword', 'Comment', 'Wildcard'];
  const valid = (t: Tok | null): boolean =>
    !!t && ((t.cls !== null && CLS.includes(t.cls)) || tmatch(t, 'Keyword', ['null', 'role']) || exactT(t, TT));
  group(tl, 'IdentifierList', (t) => tmatch(t, 'Punctuation', [',']), valid, valid, (_tl, pidx, _tidx, nidx) => [pidx, nidx!]);
}


/** sqlparse's `StatementSplitter`: the token lists of the statements of `tokens`. */
function splitStatements(tokens: Tok[]): Tok[][] {
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

const groupComments = recurseExcept(['Comment'], (tl) => {
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

const WHERE_CLOSE = ['ORDER BY', 'GROUP BY', 'LIMIT', 'UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT', 'HAVING', 'RETURNING', 'INTO'];
const groupWhere = recurseExcept(['Where'], (tl) => {
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

interface Parsed {
  /** Statements sqlparse would return: 0, 1 or more. */
  count: number;
  stmt: Tok;
}

/** `sqlparse.parse(text)`: the first statement grouped, and how many statements there are. */
function sqlparse(text: string): Parsed {
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
function joinInComparison(tokens: Tok[]): Tok[] {
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

// ---------------------------------------------------------------------------------------------
// Python helpers
// ---------------------------------------------------------------------------------------------

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/**
 * Python `repr()` of a str (used to word error messages as MLflow does).
 *
 * @example
 * ```ts
 * pyRepr("it's"); // "\"it's\""
 * ```
 */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      out += cp < 0x100 ? '\\x' + cp.toString(16).padStart(2, '0') : cp < 0x10000 ? '\\u' + cp.toString(16).padStart(4, '0') : '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + q;
}

function pySetRepr(values: Iterable<string>): string {
  return '{' + [...values].map(pyRepr).join(', ') + '}';
}

function pyLiteralRepr(v: PyLiteral): string {
  if (typeof v === 'string') return pyRepr(v);
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return '[' + v.map(pyLiteralRepr).join(', ') + ']';
  return 'b' + pyRepr(v.bytes);
}

const PY_SPACE = /^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;
/**
 * Python `str.strip()` with no argument (Unicode whitespace).
 *
 * @example
 * ```ts
 * pyStrip('\u3000 a \n'); // 'a'
 * ```
 */
export function pyStrip(s: string): string {
  return s.replace(PY_SPACE, '');
}

/** Replaces non-ASCII decimal digits (Python's `int()`/`float()` accept them) by ASCII ones. */
function asciiDigits(s: string): string {
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

// ---------------------------------------------------------------------------------------------
// ast.literal_eval, for the parenthesised lists of IN / NOT IN
// ---------------------------------------------------------------------------------------------

class PySyntaxError extends Error {}
const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
class PyValueError extends Error {}

interface PyTok {
  kind: 'str' | 'bytes' | 'fstr' | 'num' | 'name' | 'op' | 'end';
  value: string;
  num?: number;
  imag?: boolean;
}

const PY_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

function pyUnescape(body: string, bytes: boolean): string {
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

function pyTokenize(src: string): PyTok[] {
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
type PyNode = { lit: PyLiteral | { tuple: PyLiteral[] } | { complex: true; signed?: boolean } } | { bad: true };

/** `ast.literal_eval(src)`: SyntaxError → PySyntaxError, malformed node → PyValueError. */
function literalEval(src: string): PyLiteral | { tuple: PyLiteral[] } {
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

/** `SearchUtils._parse_list_from_sql_token` + `_check_valid_identifier_list`. */
function parseList(token: Tok): string[] {
  let parsed: PyLiteral | { tuple: PyLiteral[] };
  try {
    parsed = literalEval(token.value);
  } catch (e) {
    if (e instanceof PySyntaxError) {
      throw invalidParameter(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
        { position: token.pos },
      );
    }
    if (e instanceof PyValueError) {
      throw new MlflowError('INTERNAL_ERROR', `ValueError: malformed node or string in ${token.value}`, { position: token.pos });
    }
    throw e;
  }
  const tup: PyLiteral[] = parsed !== null && typeof parsed === 'object' && 'tuple' in parsed ? parsed.tuple : [parsed as PyLiteral];
  if (tup.length === 0) {
    throw invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
      { position: token.pos },
    );
  }
  if (!tup.every((x) => typeof x === 'string')) {
    throw invalidParameter(
      'While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (' +
        tup.map(pyLiteralRepr).join(', ') +
        (tup.length === 1 ? ',)' : ')'),
      { position: token.pos },
    );
  }
  return tup as string[];
}

// ---------------------------------------------------------------------------------------------
// MLflow's SearchUtils family
// ---------------------------------------------------------------------------------------------

const isQuoted = (v: string, q: string): boolean => v.length >= 2 && v.startsWith(q) && v.endsWith(q);
const trimEnds = (v: string): string => [...v].slice(1, -1).join('');
const trimBackticks = (v: string): string => (isQuoted(v, '`') ? trimEnds(v) : v);

function stripQuotes(value: string, expectQuoted: boolean, position: number): string {
  if (isQuoted(value, "'") || isQuoted(value, '"')) return trimEnds(value);
  if (expectQuoted) {
    throw invalidParameter(
      `Parameter value is either not quoted or unidentified quote types used for string value ${value}. Use either single or double quotes.`,
      { position },
    );
  }
  return value;
}

/** Python `str.split('.', 1)`. */
function splitFirstDot(s: string): string[] {
  const i = s.indexOf('.');
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

const RUN_NUMERIC_ATTRIBUTES = new Set(['start_time', 'end_time', 'created', 'Created']);
const RUN_SEARCH_ATTRIBUTES = new Set([
  'artifact_uri',
  'end_time',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
  'created',
  'Created',
  'run name',
  'Run name',
  'Run Name',
]);
const RUN_ORDER_BY_ATTRIBUTES = new Set([
  'artifact_uri',
  'end_time',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
  'created',
  'Created',
]);
const DATASET_ATTRIBUTES = new Set(['name', 'digest', 'context']);
const ENTITY_ALIASES: Record<string, RunKeyType> = {
  metric: 'metric',
  metrics: 'metric',
  parameter: 'param',
  parameters: 'param',
  param: 'param',
  params: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attr: 'attribute',
  attributes: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};
/** The names MLflow uses for key types in its messages. */
const PY_TYPE_NAME: Record<RunKeyType, string> = {
  metric: 'metric',
  param: 'parameter',
  tag: 'tag',
  attribute: 'attribute',
  dataset: 'dataset',
};

function validEntityType(entityType: string, position: number): RunKeyType {
  const e = trimBackticks(entityType);
  const t = Object.prototype.hasOwnProperty.call(ENTITY_ALIASES, e) ? ENTITY_ALIASES[e] : undefined;
  if (t === undefined) {
    throw invalidParameter(
      `Invalid entity type '${e}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`,
      { position },
    );
  }
  return t;
}

/** `SearchUtils._get_identifier`. */
function runIdentifier(identifier: string, validAttributes: Set<string>, position: number): { type: RunKeyType; key: string } {
  const parts = splitFirstDot(identifier);
  let type: RunKeyType;
  let key: string;
  if (parts.length === 1) {
    key = parts[0]!;
    type = validEntityType('attribute', position);
  } else {
    type = validEntityType(parts[0]!, position);
    key = parts[1]!;
  }
  key = trimBackticks(stripQuotes(key, false, position));
  if (type === 'attribute' && !validAttributes.has(key)) {
    throw invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${pySetRepr(validAttributes)}'`, { position });
  }
  if (type === 'dataset' && !DATASET_ATTRIBUTES.has(key)) {
    throw invalidParameter(`Invalid dataset key '${key}' specified. Valid keys are '${pySetRepr(DATASET_ATTRIBUTES)}'`, { position });
  }
  return { type, key };
}

const isStringTok = (t: Tok): boolean => t.ttype === 'Literal.String.Single' || t.cls === 'Identifier';
const isNumberTok = (t: Tok): boolean => t.ttype === 'Literal.Number.Integer' || t.ttype === 'Literal.Number.Float';
const numberValue = (t: Tok): FilterValue => ({ kind: 'number', raw: t.value, integer: t.ttype === 'Literal.Number.Integer' });

function validateListSupported(key: string, supported: string[], position: number): void {
  if (!supported.includes(key)) {
    throw invalidParameter(
      `Only ${'[' + [...supported].sort().map(pyRepr).join(', ') + ']'} attributes support comparison with a list of quoted string values.`,
      { position },
    );
  }
}

/** `SearchUtils._get_value` (runs and experiments). */
function baseValue(
  type: RunKeyType,
  key: string,
  token: Tok,
  numericAttributes: Set<string>,
  listSupported: string[],
): FilterValue {
  const pos = token.pos;
  if (type === 'metric') {
    if (!isNumberTok(token)) throw invalidParameter(`Expected numeric value type for metric. Found ${token.value}`, { position: pos });
    return numberValue(token);
  }
  if (type === 'param' || type === 'tag') {
    if (isStringTok(token)) return { kind: 'string', value: stripQuotes(token.value, true, pos) };
    throw invalidParameter(
      `Expected a quoted string value for ${PY_TYPE_NAME[type]} (e.g. 'my-value'). Got value ${token.value}`,
      { position: pos },
    );
  }
  if (type === 'attribute') {
    if (numericAttributes.has(key)) {
      if (!isNumberTok(token)) {
        throw invalidParameter(`Expected numeric value type for numeric attribute: ${key}. Found ${token.value}`, { position: pos });
      }
      return numberValue(token);
    }
    if (isStringTok(token)) return { kind: 'string', value: stripQuotes(token.value, true, pos) };
    if (token.cls === 'Parenthesis') {
      validateListSupported(key, listSupported, pos);
      return { kind: 'list', values: parseList(token) };
    }
    throw invalidParameter(`Expected a quoted string value for attributes. Got value ${token.value}`, { position: pos });
  }
  // dataset
  if (DATASET_ATTRIBUTES.has(key) && isStringTok(token)) return { kind: 'string', value: stripQuotes(token.value, true, pos) };
  if (token.cls === 'Parenthesis') return { kind: 'list', values: parseList(token) };
  throw invalidParameter(`Expected a quoted string value for dataset attributes. Got value ${token.value}`, { position: pos });
}

function strippedOf(comparison: Tok): Tok[] {
  return comparison.tokens.filter((t) => !isWs(t));
}

/** `SearchUtils._validate_comparison`. */
function validateComparison(tokens: Tok[], position: number): void {
  if (tokens.length === 2) {
    const comparator = tokens[1]!.value.toUpperCase();
    if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') {
      if (tokens[0]!.cls !== 'Identifier') {
        throw invalidParameter(`Invalid comparison clause. Expected 'Identifier' found '${tokens[0]!.value}'`, { position });
      }
      return;
    }
  }
  if (tokens.length !== 3) throw invalidParameter(`Invalid comparison clause. Expected 3 tokens found ${tokens.length}`, { position });
  if (tokens[0]!.cls !== 'Identifier') {
    throw invalidParameter(`Invalid comparison clause. Expected 'Identifier' found '${tokens[0]!.value}'`, { position });
  }
}

type Flavor = 'runs' | 'experiments' | 'models' | 'versions';

/** `parse_search_filter` + `_process_statement`: the comparison groups of a filter. */
function filterComparisons(filter: string, flavor: Flavor): Tok[] {
  let parsed: Parsed;
  try {
    parsed = sqlparse(filter);
  } catch (e) {
    if (e instanceof SqlParseError) throw invalidParameter(`Error on parsing filter '${filter}'`, { position: 0 });
    throw e;
  }
  if (parsed.count === 0) throw invalidParameter(`Invalid filter '${filter}'. Could not be parsed.`, { position: 0 });
  if (parsed.count > 1) {
    throw invalidParameter(`Search filter contained multiple expression ${pyRepr(filter)}. Provide AND-ed expression list.`, {
      position: 0,
    });
  }
  const tokens = joinInComparison(parsed.stmt.tokens);
  const invalids = tokens.filter((t) => !(t.cls === 'Comparison' || isWs(t) || tmatch(t, 'Keyword', ['AND'])));
  if (invalids.length > 0) {
    const list = invalids.map((t) => (flavor === 'runs' ? `'${t.value}'` : t.value)).join(', ');
    throw invalidParameter(`Invalid clause(s) in filter string: ${list}`, { position: invalids[0]!.pos });
  }
  return tokens.filter((t) => t.cls === 'Comparison');
}

/**
 * Parses a `search_runs` filter string exactly as MLflow 3.17's `SearchUtils.parse_search_filter`.
 * An empty string (or undefined) matches everything. Comparators are validated per key type by
 * the evaluator, lazily, as MLflow does.
 *
 * @example
 * ```ts
 * parseRunFilter("params.lr = '0.1' AND attributes.status != 'FAILED'");
 * // [{ type: 'param', key: 'lr', comparator: '=', value: { kind: 'string', value: '0.1' }, position: 0 }, ...]
 * ```
 */
export function parseRunFilter(filter: string | null | undefined): RunFilter {
  if (!filter) return [];
  return filterComparisons(filter, 'runs').map((comparison) => {
    const stripped = strippedOf(comparison);
    const position = comparison.pos;
    validateComparison(stripped, position);
    if (stripped.length === 2) {
      const comparator = stripped[1]!.value.toUpperCase();
      const id = runIdentifier(stripped[0]!.value, RUN_SEARCH_ATTRIBUTES, position);
      if (id.type !== 'tag' && id.type !== 'param') {
        throw invalidParameter(
          `IS NULL / IS NOT NULL is only supported for tags and params, not for '${PY_TYPE_NAME[id.type]}' '${id.key}'`,
          { position },
        );
      }
      return { ...id, comparator, value: { kind: 'null' }, position };
    }
    const id = runIdentifier(stripped[0]!.value, RUN_SEARCH_ATTRIBUTES, position);
    const value = baseValue(id.type, id.key, stripped[2]!, RUN_NUMERIC_ATTRIBUTES, ['run_id']);
    return { ...id, comparator: stripped[1]!.value, value, position };
  });
}

const EXPERIMENT_ATTRIBUTES = new Set(['name', 'experiment_id', 'creation_time', 'last_update_time']);
const EXPERIMENT_NUMERIC = new Set(['creation_time', 'last_update_time']);

/** `SearchExperimentsUtils._get_identifier` (also used for registry order_by). */
/** `<entity>.<key>` of the experiment and registry grammars: entity `attribute` (default), `tag` or `tags`. */
function entityAndKey(identifier: string, position: number): { type: 'attribute' | 'tag'; key: string } {
  const parts = splitFirstDot(identifier);
  if (parts.length === 1) return { type: 'attribute', key: parts[0]! };
  const entity = parts[0]!;
  if (!['attribute', 'tag', 'tags'].includes(entity)) {
    throw invalidParameter(`Invalid entity type '${entity}'. Valid entity types are ('attribute', 'tag', 'tags')`, { position });
  }
  return { type: entity === 'attribute' ? 'attribute' : 'tag', key: parts[1]! };
}

function experimentIdentifier(identifier: string, valid: Set<string>, position: number): { type: 'attribute' | 'tag'; key: string } {
  const { type, key: raw } = entityAndKey(identifier, position);
  const key = trimBackticks(stripQuotes(raw, false, position));
  if (type === 'attribute' && !valid.has(key)) {
    throw invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${pySetRepr(valid)}'`, { position });
  }
  return { type, key };
}

/**
 * Parses a `search_experiments` filter as `SearchExperimentsUtils.parse_search_filter`.
 *
 * @example
 * ```ts
 * parseExperimentFilter("name LIKE 'exp%' AND tags.team = 'a'");
 * ```
 */
export function parseExperimentFilter(filter: string | null | undefined): ExperimentFilter {
  if (!filter) return [];
  return filterComparisons(filter, 'experiments').map((comparison) => {
    const stripped = strippedOf(comparison);
    const position = comparison.pos;
    validateComparison(stripped, position);
    if (stripped.length === 2) {
      const comparator = stripped[1]!.value.toUpperCase();
      const id = experimentIdentifier(stripped[0]!.value, EXPERIMENT_ATTRIBUTES, position);
      if (id.type !== 'tag') {
        throw invalidParameter(`IS NULL / IS NOT NULL is only supported for tags, not for attribute '${id.key}'`, { position });
      }
      return { ...id, comparator, value: { kind: 'null' } as FilterValue, position };
    }
    const id = experimentIdentifier(stripped[0]!.value, EXPERIMENT_ATTRIBUTES, position);
    const value = baseValue(id.type, id.key, stripped[2]!, EXPERIMENT_NUMERIC, ['experiment_id']);
    return { ...id, comparator: stripped[1]!.value, value, position };
  });
}

/** `_get_model_search_identifier` / `_get_model_version_search_identifier`. */
function registryIdentifier(identifier: string, valid: Set<string>, position: number): { type: 'attribute' | 'tag'; key: string } {
  // Unlike the experiment grammar, the key is checked before its quotes are stripped (as MLflow).
  const { type, key } = entityAndKey(identifier, position);
  if (type === 'attribute' && !valid.has(key)) {
    throw invalidParameter(`Invalid attribute key '${key}' specified. Valid keys are '${pySetRepr(valid)}'`, { position });
  }
  return { type, key: trimBackticks(stripQuotes(key, false, position)) };
}

function registryComparisons(
  filter: string,
  flavor: 'models' | 'versions',
  valid: Set<string>,
  valueOf: (type: 'attribute' | 'tag', key: string, token: Tok) => FilterValue,
): FilterClause<'attribute' | 'tag'>[] {
  return filterComparisons(filter, flavor).map((comparison) => {
    const stripped = strippedOf(comparison);
    const position = comparison.pos;
    validateComparison(stripped, position);
    if (stripped.length !== 3) {
      // Python: `left, comparator, right = stripped_comparison` raises ValueError.
      throw new MlflowError('INTERNAL_ERROR', 'ValueError: not enough values to unpack (expected 3, got 2)', { position });
    }
    const id = registryIdentifier(stripped[0]!.value, valid, position);
    return { ...id, comparator: stripped[1]!.value.toUpperCase(), value: valueOf(id.type, id.key, stripped[2]!), position };
  });
}

function registryStringValue(type: 'attribute' | 'tag', token: Tok): FilterValue | null {
  if (isStringTok(token)) return { kind: 'string', value: stripQuotes(token.value, true, token.pos) };
  if (type === 'tag') {
    throw invalidParameter(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${token.value}`, { position: token.pos });
  }
  return null;
}

/**
 * Parses a `search_registered_models` filter as `SearchModelUtils.parse_search_filter`.
 * (The prompt exclusion clause is added by `searchRegisteredModelsInMemory`, not here.)
 *
 * @example
 * ```ts
 * parseRegisteredModelFilter("name ILIKE '%bert%'");
 * ```
 */
export function parseRegisteredModelFilter(filter: string | null | undefined): RegisteredModelFilter {
  if (!filter) return [];
  return registryComparisons(filter, 'models', new Set(['name']), (type, key, token) => {
    const s = registryStringValue(type, token);
    if (s) return s;
    if (token.cls === 'Parenthesis') {
      validateListSupported(key, ['name'], token.pos);
      return { kind: 'list', values: parseList(token) };
    }
    throw invalidParameter(
      `Expected a quoted string value or a list of quoted string values for attributes. Got value ${token.value}`,
      { position: token.pos },
    );
  });
}

const MV_NUMERIC = new Set(['version_number', 'creation_timestamp', 'last_updated_timestamp']);

/**
 * Parses a `search_model_versions` filter as `SearchModelVersionUtils.parse_search_filter`.
 *
 * @example
 * ```ts
 * parseModelVersionFilter("name = 'm' AND version_number >= 2");
 * ```
 */
export function parseModelVersionFilter(filter: string | null | undefined): ModelVersionFilter {
  if (!filter) return [];
  return registryComparisons(filter, 'versions', new Set(['name', 'version_number', 'run_id', 'source_path']), (type, key, token) => {
    const s = registryStringValue(type, token);
    if (s) return s;
    if (token.cls === 'Parenthesis') {
      validateListSupported(key, ['name', 'run_id'], token.pos);
      return { kind: 'list', values: parseList(token) };
    }
    if (isNumberTok(token)) {
      if (!MV_NUMERIC.has(key)) {
        throw invalidParameter(
          `Only the '${pySetRepr(MV_NUMERIC)}' attributes support comparison with numeric values.`,
          { position: token.pos },
        );
      }
      return numberValue(token);
    }
    throw invalidParameter(
      `Expected a quoted string value or a list of quoted string values for attributes. Got value ${token.value}`,
      { position: token.pos },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// order_by
// ---------------------------------------------------------------------------------------------

/** `_validate_order_by_and_generate_token` + `_parse_order_by_string`. */
function orderByString(orderBy: string): { token: string; ascending: boolean } {
  const bad = (): MlflowError => invalidParameter(`Invalid order_by clause '${orderBy}'. Could not be parsed.`, { position: 0 });
  let parsed: Parsed;
  try {
    parsed = sqlparse(orderBy);
  } catch (e) {
    if (e instanceof SqlParseError) throw invalidParameter(`Error on parsing order_by clause '${orderBy}'`, { position: 0 });
    throw e;
  }
  if (parsed.count !== 1) throw bad();
  const toks = parsed.stmt.tokens;
  const isTs = (t: Tok | undefined): boolean => !!t && t.ttype === 'Name.Builtin' && t.value === 'timestamp';
  let tokenValue: string;
  if (toks.length === 1 && toks[0]!.cls === 'Identifier') tokenValue = toks[0]!.value;
  else if (toks.length === 1 && isTs(toks[0])) tokenValue = 'timestamp';
  else if (isTs(toks[0]) && toks.slice(1, -1).every(isWs) && toks[toks.length - 1]!.ttype === 'Keyword.Order') {
    tokenValue = 'timestamp ' + toks[toks.length - 1]!.value;
  } else throw bad();
  let ascending = true;
  const parts = shlexSplit(tokenValue.replace(/`/g, '"'));
  if (parts.length > 2) throw bad();
  if (parts.length === 2) {
    const order = parts[1]!.toLowerCase();
    if (order !== 'asc' && order !== 'desc') throw invalidParameter(`Invalid ordering key in order_by clause '${orderBy}'.`, { position: 0 });
    ascending = order === 'asc';
    tokenValue = parts[0]!;
  }
  return { token: tokenValue, ascending };
}

/**
 * Parses one `search_runs` order_by element (`parse_order_by_for_search_runs`).
 *
 * @example
 * ```ts
 * parseRunOrderByClause('metrics.`val loss` DESC'); // { type: 'metric', key: 'val loss', ascending: false }
 * ```
 */
export function parseRunOrderByClause(orderBy: string): RunOrderBy[number] {
  const { token, ascending } = orderByString(orderBy);
  const id = runIdentifier(pyStrip(token), RUN_ORDER_BY_ATTRIBUTES, 0);
  return { ...id, ascending };
}

/**
 * Parses a `search_runs` order_by list. Like MLflow, elements are parsed last-to-first, so the
 * error reported for several bad elements is the one about the last.
 *
 * @example
 * ```ts
 * parseRunOrderBy(['params.model', 'metrics.loss DESC']);
 * ```
 */
export function parseRunOrderBy(orderBy: readonly string[] | null | undefined): RunOrderBy {
  const list = orderBy ?? [];
  const out: RunOrderBy = new Array(list.length);
  for (let i = list.length - 1; i >= 0; i--) out[i] = parseRunOrderByClause(list[i]!);
  return out;
}

function entityOrderBy(
  orderBy: readonly string[],
  parseOne: (s: string) => { type: 'attribute' | 'tag'; key: string; ascending: boolean },
): EntityOrderBy {
  const out: EntityOrderBy = [];
  for (const s of orderBy) {
    const o = parseOne(s);
    if (o.type !== 'attribute') throw invalidParameter(`Invalid order_by entity: ${o.type}`, { position: 0 });
    out.push({ type: 'attribute', key: o.key, ascending: o.ascending });
  }
  return out;
}

/**
 * Parses a `search_experiments` order_by list, appending MLflow's tie-breaker
 * (`experiment_id DESC` unless experiment_id is present). Pass MLflow's default
 * (`['creation_time DESC', 'experiment_id ASC']`) yourself when the caller gave none.
 *
 * @example
 * ```ts
 * parseExperimentOrderBy(['name']); // name ASC, experiment_id DESC
 * ```
 */
export function parseExperimentOrderBy(orderBy: readonly string[]): EntityOrderBy {
  const out = entityOrderBy(orderBy, (s) => {
    const { token, ascending } = orderByString(s);
    return { ...experimentIdentifier(pyStrip(token), EXPERIMENT_ATTRIBUTES, 0), ascending };
  });
  if (!out.some((o) => o.key === 'experiment_id')) out.push({ type: 'attribute', key: 'experiment_id', ascending: false });
  return out;
}

/**
 * Parses a `search_registered_models` order_by list, appending the `name ASC` tie-breaker.
 *
 * @example
 * ```ts
 * parseRegisteredModelOrderBy(['last_updated_timestamp DESC']);
 * ```
 */
export function parseRegisteredModelOrderBy(orderBy: readonly string[] | null | undefined): EntityOrderBy {
  const valid = new Set(['name', 'creation_timestamp', 'last_updated_timestamp']);
  const out = entityOrderBy(orderBy ?? [], (s) => {
    const { token, ascending } = orderByString(s);
    return { ...experimentIdentifier(pyStrip(token), valid, 0), ascending };
  });
  if (!out.some((o) => o.key === 'name')) out.push({ type: 'attribute', key: 'name', ascending: true });
  return out;
}

/**
 * Parses a `search_model_versions` order_by list (`version_number` → `version`), appending the
 * tie-breakers `name ASC` and `version DESC` exactly as MLflow does (the latter always, since
 * MLflow looks for `version_number` after renaming it).
 *
 * @example
 * ```ts
 * parseModelVersionOrderBy(['last_updated_timestamp DESC', 'name ASC', 'version_number DESC']);
 * ```
 */
export function parseModelVersionOrderBy(orderBy: readonly string[] | null | undefined): EntityOrderBy {
  const valid = new Set(['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp']);
  const out = entityOrderBy(orderBy ?? [], (s) => {
    const { token, ascending } = orderByString(s);
    const id = experimentIdentifier(pyStrip(token), valid, 0);
    return { ...id, key: id.type === 'attribute' && id.key === 'version_number' ? 'version' : id.key, ascending };
  });
  if (!out.some((o) => o.key === 'name')) out.push({ type: 'attribute', key: 'name', ascending: true });
  if (!out.some((o) => o.key === 'version_number')) out.push({ type: 'attribute', key: 'version', ascending: false });
  return out;
}
