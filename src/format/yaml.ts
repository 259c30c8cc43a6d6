/**
 * YAML exactly as MLflow writes and reads it.
 *
 * MLflow's `write_yaml` calls `yaml.dump(data, default_flow_style=False, allow_unicode=True,
 * sort_keys=True, Dumper=CSafeDumper)`; the PyYAML wheel ships libyaml, so the emitter that
 * really runs is libyaml 0.2.5's `emitter.c` driven by PyYAML's `SafeRepresenter` and
 * `Resolver`. {@link dumpYaml} is a port of that pair (style selection, scalar analysis, width-80
 * folding, escapes), checked byte for byte against the real Python in `yaml.test.ts`.
 *
 * {@link parseYaml} reads like PyYAML's `SafeLoader` (YAML 1.1 implicit types), using the `yaml`
 * package only for the syntax and resolving plain scalars with PyYAML's own regexes.
 *
 * @example
 * ```ts
 * dumpYaml({ name: 'Default', experiment_id: '0', creation_time: 1717000000123 });
 * // "creation_time: 1717000000123\nexperiment_id: '0'\nname: Default\n"
 * parseYaml("experiment_id: '0'\nlifecycle_stage: active\n"); // { experiment_id: '0', lifecycle_stage: 'active' }
 * ```
 * @module
 */
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { Document, Node as YNode } from 'yaml';
import { invalidParameter, malformed } from '../errors.js';
import { PyFloat, compareCodePoints, formatPythonFloat, pythonStr } from './float.js';

export { PyFloat };

let yamlPackage: typeof YamlLib | undefined;

/**
 * The `yaml` package (the YAML 1.1 reader behind {@link parseYaml}), loaded on first use: the
 * writers and the flat meta.yaml fast path never need it, and a process that only queries (the
 * catalog, the CLI) does not pay its import (some 60 modules).
 */
function yamlLib(): typeof YamlLib {
  return (yamlPackage ??= createRequire(import.meta.url)('yaml') as typeof YamlLib);
}

/**
 * A scalar {@link dumpYaml} can write. Integral numbers are ints, other numbers floats.
 *
 * @example
 * ```ts
 * const xs: YamlScalar[] = ['a', 1, 0.5, new PyFloat(1), 10n, true, null];
 * ```
 */
export type YamlScalar = string | number | bigint | boolean | null | PyFloat;
/**
 * Any value {@link dumpYaml} can write.
 *
 * @example
 * ```ts
 * const v: YamlValue = { tags: [], nested: { a: [1, 'b'] } };
 * ```
 */
export type YamlValue = YamlScalar | YamlValue[] | YamlMap;
/**
 * A mapping; keys are written in code-point order, `undefined` values are left out.
 *
 * @example
 * ```ts
 * const meta: YamlMap = { name: 'Default', experiment_id: '0', lifecycle_stage: 'active' };
 * ```
 */
export interface YamlMap {
  [key: string]: YamlValue | undefined;
}

// ---------------------------------------------------------------------------------------------
// PyYAML's Resolver (YAML 1.1 implicit types), used both to decide quoting and to read.
// ---------------------------------------------------------------------------------------------

const RE_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const RE_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const RE_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const RE_MERGE = /^(?:<<)$/;
const RE_NULL = /^(?:~|null|Null|NULL|)$/;
const RE_TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const RE_VALUE = /^(?:=)$/;
const RE_YAML = /^(?:!|&|\*)$/;

type ImplicitTag = 'bool' | 'float' | 'int' | 'merge' | 'null' | 'timestamp' | 'value' | 'yaml' | 'str';

/** PyYAML `Resolver.resolve(ScalarNode, value, (True, False))`, in registration order. */
function resolvePlain(value: string): ImplicitTag {
  if (RE_BOOL.test(value)) return 'bool';
  if (RE_FLOAT.test(value)) return 'float';
  if (RE_INT.test(value)) return 'int';
  if (RE_MERGE.test(value)) return 'merge';
  if (RE_NULL.test(value)) return 'null';
  if (RE_TIMESTAMP.test(value)) return 'timestamp';
  if (RE_VALUE.test(value)) return 'value';
  if (RE_YAML.test(value)) return 'yaml';
  return 'str';
}

// ---------------------------------------------------------------------------------------------
// Emitter: a port of libyaml 0.2.5 emitter.c for the events PyYAML's CSafeDumper sends.
// ---------------------------------------------------------------------------------------------

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

const isBreak = (cp: number | undefined): boolean =>
  cp === 0x0d || cp === 0x0a || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
/** IS_BLANKZ: space, tab, line break, NUL, or the end of the string. */
const isBlankz = (cp: number | undefined): boolean =>
  cp === undefined || cp === 0x20 || cp === 0x09 || cp === 0 || isBreak(cp);
/** libyaml IS_PRINTABLE (astral characters are not "printable" for libyaml). */
const isPrintable = (cp: number): boolean =>
  cp === 0x0a ||
  (cp >= 0x20 && cp <= 0x7e) ||
  (cp >= 0xa0 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);

interface ScalarAnalysis {
  cps: number[];
  /** UTF-8 byte length, as libyaml measures it for the simple-key limit. */
  bytes: number;
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
}

function utf8Length(cps: number[]): number {
  let n = 0;
  for (const cp of cps) n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  return n;
}

function toCodePoints(s: string): number[] {
  const cps: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      throw invalidParameter(`Cannot write YAML: the string ${JSON.stringify(s)} holds a lone surrogate`);
    }
    cps.push(cp);
  }
  return cps;
}

function analyzeScalar(value: string): ScalarAnalysis {
  const cps = toCodePoints(value);
  const bytes = utf8Length(cps);
  if (cps.length === 0) {
    return { cps, bytes, multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;

  if (
    (cps[0] === 0x2d && cps[1] === 0x2d && cps[2] === 0x2d) ||
    (cps[0] === 0x2e && cps[1] === 0x2e && cps[2] === 0x2e)
  ) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = isBlankz(cps[1]);

  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    const ch = String.fromCodePoint(cp);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (!isPrintable(cp)) specialCharacters = true;
    if (isBreak(cp)) lineBreaks = true;

    if (cp === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(cp)) {
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(cp);
    if (i + 1 < cps.length) followedByWhitespace = isBlankz(cps[i + 2]);
  }

  let flowPlain = true;
  let blockPlain = true;
  let singleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    flowPlain = false;
    blockPlain = false;
  }
  if (breakSpace) {
    flowPlain = false;
    blockPlain = false;
    singleQuoted = false;
  }
  if (spaceBreak || specialCharacters) {
    flowPlain = false;
    blockPlain = false;
    singleQuoted = false;
  }
  if (lineBreaks) {
    flowPlain = false;
    blockPlain = false;
  }
  if (flowIndicators) flowPlain = false;
  if (blockIndicators) blockPlain = false;
  return { cps, bytes, multiline: lineBreaks, flowPlain, blockPlain, singleQuoted };
}

type Style = 'plain' | 'single' | 'double';

interface Ctx {
  mapping: boolean;
  simpleKey: boolean;
}

const ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

class Emitter {
  private out: string[] = [];
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];
  private flowLevel = 0;

  result(): string {
    return this.out.join('');
  }

  private put(s: string): void {
    this.out.push(s);
    this.column += s.length;
  }
  private write(cp: number): void {
    this.out.push(String.fromCodePoint(cp));
    this.column += 1;
  }
  private putBreak(): void {
    this.out.push('\n');
    this.column = 0;
  }
  private writeBreak(cp: number): void {
    if (cp === 0x0a) this.putBreak();
    else {
      this.out.push(String.fromCodePoint(cp));
      this.column = 0;
    }
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }
  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  writeIndent(): void {
    const indent = this.indent >= 0 ? this.indent : 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.putBreak();
    }
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  emitNode(value: YamlValue, ctx: Ctx): void {
    if (Array.isArray(value)) {
      if (value.length === 0 || this.flowLevel) {
        this.emitEmptyFlow('[', ']');
        return;
      }
      this.increaseIndent(false, ctx.mapping && !this.indention);
      for (const item of value) {
        this.writeIndent();
        this.writeIndicator('-', true, false, true);
        this.emitNode(item, { mapping: false, simpleKey: false });
      }
      this.popIndent();
      return;
    }
    if (value !== null && typeof value === 'object' && !(value instanceof PyFloat)) {
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw invalidParameter(`Cannot write YAML: unsupported value ${Object.prototype.toString.call(value)}`);
      }
      const keys = Object.keys(value)
        .filter((k) => value[k] !== undefined)
        .sort(compareCodePoints);
      if (keys.length === 0 || this.flowLevel) {
        this.emitEmptyFlow('{', '}');
        return;
      }
      this.increaseIndent(false, false);
      for (const key of keys) {
        this.writeIndent();
        const analysis = analyzeScalar(key);
        const plainImplicit = resolvePlain(key) === 'str';
        if (!analysis.multiline && analysis.bytes <= 128) {
          this.emitScalar(analysis, plainImplicit, { mapping: true, simpleKey: true });
          this.writeIndicator(':', false, false, false);
        } else {
          this.writeIndicator('?', true, false, true);
          this.emitScalar(analysis, plainImplicit, { mapping: true, simpleKey: false });
          this.writeIndent();
          this.writeIndicator(':', true, false, true);
        }
        this.emitNode(value[key]!, { mapping: true, simpleKey: false });
      }
      this.popIndent();
      return;
    }
    const [text, plainImplicit] = representScalar(value);
    this.emitScalar(analyzeScalar(text), plainImplicit, ctx);
  }

  private emitEmptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, false);
    this.popIndent();
    this.writeIndicator(close, false, false, false);
  }

  private emitScalar(a: ScalarAnalysis, plainImplicit: boolean, ctx: Ctx): void {
    let style: Style = 'plain';
    if (ctx.simpleKey && a.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel && !a.flowPlain) || (!this.flowLevel && !a.blockPlain)) style = 'single';
      if (a.cps.length === 0 && (this.flowLevel || ctx.simpleKey)) style = 'single';
      if (!plainImplicit) style = 'single';
    }
    if (style === 'single' && !a.singleQuoted) style = 'double';
    this.increaseIndent(true, false);
    const allowBreaks = !ctx.simpleKey;
    if (style === 'plain') this.writePlain(a.cps, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(a.cps, allowBreaks);
    else this.writeDoubleQuoted(a.cps, allowBreaks);
    this.popIndent();
  }

  private writePlain(cps: number[], allowBreaks: boolean): void {
    if (!this.whitespace && (cps.length || this.flowLevel)) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i]!;
      if (cp === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && cps[i + 1] !== 0x20) {
          this.writeIndent();
        } else this.write(cp);
        spaces = true;
      } else if (isBreak(cp)) {
        if (!breaks && cp === 0x0a) this.putBreak();
        this.writeBreak(cp);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.write(cp);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(cps: number[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i]!;
      if (cp === 0x20) {
        if (
          allowBreaks &&
          !spaces &&
          this.column > BEST_WIDTH &&
          i !== 0 &&
          i !== cps.length - 1 &&
          cps[i + 1] !== 0x20
        ) {
          this.writeIndent();
        } else this.write(cp);
        spaces = true;
      } else if (isBreak(cp)) {
        if (!breaks && cp === 0x0a) this.putBreak();
        this.writeBreak(cp);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (cp === 0x27) this.put("'");
        this.write(cp);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (breaks) this.writeIndent();
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(cps: number[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i]!;
      if (!isPrintable(cp) || cp === 0xfeff || isBreak(cp) || cp === 0x22 || cp === 0x5c) {
        const esc = ESCAPES[cp];
        if (esc !== undefined) this.put('\\' + esc);
        else if (cp <= 0xff) this.put('\\x' + hex(cp, 2));
        else if (cp <= 0xffff) this.put('\\u' + hex(cp, 4));
        else this.put('\\U' + hex(cp, 8));
        spaces = false;
      } else if (cp === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== cps.length - 1) {
          this.writeIndent();
          if (cps[i + 1] === 0x20) this.put('\\');
        } else this.write(cp);
        spaces = true;
      } else {
        this.write(cp);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/** PyYAML SafeRepresenter: the scalar text and whether it may be written plain (implicit[0]). */
function representScalar(value: YamlScalar | undefined): [string, boolean] {
  if (typeof value === 'string') return [value, resolvePlain(value) === 'str'];
  if (value === null || value === undefined) return ['null', true];
  if (typeof value === 'boolean') return [value ? 'true' : 'false', true];
  if (typeof value === 'bigint') return [value.toString(), true];
  if (value instanceof PyFloat) return [representFloat(value.value), true];
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return [BigInt(value).toString(), true];
    return [representFloat(value), true];
  }
  throw invalidParameter(`Cannot write YAML: unsupported value of type ${typeof value}`);
}

/** SafeRepresenter.represent_float. */
function representFloat(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  let v = formatPythonFloat(x).toLowerCase();
  if (!v.includes('.') && v.includes('e')) v = v.replace('e', '.0e');
  return v;
}

/**
 * Serializes a mapping exactly as MLflow's `write_yaml` does (PyYAML `CSafeDumper`, libyaml
 * 0.2.5): keys sorted by code point at every level, block style, indentless sequences, `{}` and
 * `[]` for empty collections, `null`, YAML 1.1 quoting of strings that would read back as
 * another type (`'0'`, `'yes'`, `'12:30'`, `''`...), double quotes with escapes for control and
 * astral characters, non-ASCII BMP text written literally, width-80 folding at single spaces,
 * keys over 128 UTF-8 bytes written as `? key`.
 *
 * Values: strings; integral numbers and bigints as ints; other numbers and {@link PyFloat} as
 * floats (`new PyFloat(1)` → `1.0`); booleans; `null`; arrays; plain objects. `undefined` map
 * values are skipped (like JSON). A shared sub-object is written twice (PyYAML would write
 * an anchor only for the very same Python object, which MLflow never passes).
 *
 * @example
 * ```ts
 * dumpYaml({ b: [1, 'yes'], a: { x: null }, c: new PyFloat(1) });
 * // "a:\n  x: null\nb:\n- 1\n- 'yes'\nc: 1.0\n"
 * ```
 */
export function dumpYaml(data: YamlMap): string {
  const emitter = new Emitter();
  emitter.emitNode(data, { mapping: false, simpleKey: false });
  emitter.writeIndent();
  return emitter.result();
}

// ---------------------------------------------------------------------------------------------
// Loader
// ---------------------------------------------------------------------------------------------

/**
 * Options of {@link parseYaml}.
 *
 * @example
 * ```ts
 * parseYaml('x: 1.0\n', { pyFloat: true }); // { x: PyFloat(1) }
 * ```
 */
export interface ParseYamlOptions {
  /** Return YAML floats as {@link PyFloat} (so they dump back as floats). Default false: numbers. */
  pyFloat?: boolean;
}

const TAG_PREFIX = 'tag:yaml.org,2002:';

/**
 * Parses YAML as PyYAML's `SafeLoader` (what MLflow's `read_yaml` uses) would:
 * YAML 1.1 implicit types with PyYAML's exact regexes — `yes/no/on/off/true/false` (any of
 * the three casings) are booleans, `y`/`n` stay strings, `012` is octal, `0x1F` hex, `0b101`
 * binary, `1_000` and sexagesimal `1:30` ints, floats need a dot (`1e5` is a string),
 * `.inf`/`.nan`, `~`/`null`/empty are null, `<<` merge keys.
 *
 * Choices: timestamps (`2024-01-01`, which PyYAML turns into `date`/`datetime`) stay strings;
 * ints beyond `Number.MAX_SAFE_INTEGER` become `bigint`; floats are numbers (or `PyFloat` with
 * `{ pyFloat: true }`); non-string mapping keys become their Python `str()` (`1`, `True`,
 * `None`); `!!binary` gives a `Uint8Array`; duplicate keys keep the last value (as PyYAML).
 * A UTF-8 BOM and CRLF line ends are accepted. An empty document gives `null`.
 * Invalid YAML throws a `MALFORMED_DATA` error; libyaml's own refusals that the `yaml` package
 * would let through are replayed (an implicit empty key `: x`, duplicate anchors, tabs used as
 * indentation or after `-`/`?`), and U+2028/U+2029/U+0085 are line breaks as in YAML 1.1.
 * Fuzzing against PyYAML (see yaml.test.ts) leaves about 1% of *malformed* random inputs that
 * we still accept (a lone `...`, tabs in plain-scalar continuation lines, some block-scalar
 * oddities) and a handful of exotic differences (`{?x}`, block scalars with `#` lines at
 * column 0); well-formed documents read the same.
 *
 * @example
 * ```ts
 * parseYaml('a: yes\nb: 012\nc: 1e5\nd: 1_000\n'); // { a: true, b: 10, c: '1e5', d: 1000 }
 * parseYaml(''); // null
 * ```
 */
export function parseYaml(text: string, options: ParseYamlOptions = {}): unknown {
  let src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  // YAML 1.1 (libyaml, PyYAML) treats U+2028/U+2029/U+0085 as line breaks, and folds a run of
  // breaks differently from YAML 1.2 when one of them is not "\n": libyaml's emitter writes
  // U+2028/U+2029 raw inside single quotes. Rewrite each such run of breaks into plain "\n"
  // breaks plus placeholder characters that give the same text under YAML 1.2 folding, and put
  // the real characters back after parsing.
  const placeholders = new Map<string, string>();
  if (/[\u2028\u2029\x85]/.test(src)) src = rewriteYaml11Breaks(src, placeholders);
  let doc: Document.Parsed;
  try {
    doc = yamlLib().parseDocument(src, {
      version: '1.1',
      schema: 'failsafe',
      uniqueKeys: false,
      merge: false,
      strict: false,
      prettyErrors: false,
    });
  } catch (cause) {
    throw malformed(`Invalid YAML: ${(cause as Error).message}`, { cause });
  }
  if (doc.errors.length > 0) {
    throw malformed(`Invalid YAML: ${doc.errors[0]!.message}`, { cause: doc.errors[0] });
  }
  checkLibyamlRules(src, doc);
  const contents = doc.contents as YNode | null;
  if (contents === null) return null;
  const endsWithoutBreak = !/[\n\r\x85\u2028\u2029]$/.test(src);
  return new Loader(doc, options, placeholders, src.length, endsWithoutBreak).convert(contents);
}

/**
 * Inputs libyaml refuses that the `yaml` package accepts: an implicit empty key (`: x`, `{: x}`)
 * and an anchor defined twice in one document (PyYAML's composer: "found duplicate anchor").
 */
function checkLibyamlRules(src: string, doc: Document.Parsed): void {
  if (src.includes(':')) {
    for (const token of new (yamlLib().Parser)().parse(src)) {
      if (token.type !== 'document') continue;
      yamlLib().CST.visit(token, (item) => {
        if (
          item.key == null &&
          item.sep?.some((t) => t.type === 'map-value-ind') &&
          // `? :`, `&a : x` and `!!str : x` are fine: the key node exists, empty.
          !item.start.some((t) => t.type === 'explicit-key-ind' || t.type === 'anchor' || t.type === 'tag')
        ) {
          throw malformed("Invalid YAML: expected the node content, but found ':' (empty implicit key)");
        }
      });
    }
  }
  if (src.includes('\t')) checkTabs(src);
  if (src.includes('&')) {
    const anchors = new Set<string>();
    yamlLib().visit(doc, (_key, node) => {
      const anchor = (node as { anchor?: string } | null)?.anchor;
      if (anchor) {
        if (anchors.has(anchor)) throw malformed(`Invalid YAML: found duplicate anchor '${anchor}'`);
        anchors.add(anchor);
      }
    });
  }
}

/**
 * libyaml's scanner skips a tab between tokens only in flow context or where no simple key may
 * start; in block context a tab at the start of a line (indentation) or right after `-`, `?`,
 * or the `:` of a complex key is "found character '\t' that cannot start any token".
 * Replays that state over the `yaml` package's lexer tokens.
 */
function checkTabs(src: string): void {
  let depth = 0;
  let allowed = true;
  let lineTokens = 0;
  let lastType: string | undefined;
  let scalarNext = false;
  let afterBlockHeader = false;
  let afterPlain = false;
  for (const tok of new (yamlLib().Lexer)().lex(src)) {
    if (scalarNext) {
      scalarNext = false;
      // A plain scalar's scanner goes on to eat following blank lines, tabs included (it only
      // refuses tabs below the indentation); stay lenient there: no check until the next token.
      allowed = afterBlockHeader;
      afterPlain = !afterBlockHeader;
      afterBlockHeader = false;
      lineTokens++;
      lastType = 'scalar';
      if (/[\n\r]$/.test(tok) && depth === 0) {
        allowed = true;
        lineTokens = 0;
        afterPlain = false;
      }
      continue;
    }
    if (tok === yamlLib().CST.SCALAR) {
      scalarNext = true;
      continue;
    }
    const type = yamlLib().CST.tokenType(tok);
    switch (type) {
      case 'doc-mode':
      case 'byte-order-mark':
      case 'comment':
      case 'flow-error-end':
        continue;
      case 'newline':
        if (depth === 0) allowed = true;
        lineTokens = 0;
        continue;
      case 'space':
        if (depth === 0 && allowed && !afterPlain && tok.includes('\t')) {
          throw malformed("Invalid YAML: found character '\\t' that cannot start any token");
        }
        continue;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        allowed = depth === 0;
        break;
      case 'map-value-ind': {
        const simpleKey =
          lineTokens > 0 &&
          lastType !== 'seq-item-ind' &&
          lastType !== 'explicit-key-ind' &&
          lastType !== 'map-value-ind';
        allowed = !simpleKey && depth === 0;
        break;
      }
      case 'flow-map-start':
      case 'flow-seq-start':
        depth++;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        depth = Math.max(0, depth - 1);
        allowed = false;
        break;
      case 'block-scalar-header':
        afterBlockHeader = true;
        allowed = false;
        break;
      default:
        allowed = false;
    }
    afterPlain = false;
    lineTokens++;
    lastType = type ?? 'scalar';
  }
}

/**
 * PyYAML folding of a run of line breaks b1..bn in a flow scalar: if b1 is not "\n" all breaks
 * are kept; else one break folds to a space and more breaks drop the first. ("\r\n", "\r" and
 * U+0085 read as "\n".) The `yaml` package folds n "\n" breaks to n-1 newlines, so the result
 * is re-encoded as groups of "\n" around placeholder characters.
 */
function rewriteYaml11Breaks(src: string, placeholders: Map<string, string>): string {
  const phFor = new Map<string, string>();
  let cp = 0xf0000;
  const placeholder = (sep: string): string => {
    let ph = phFor.get(sep);
    if (ph === undefined) {
      while (src.includes(String.fromCodePoint(cp))) cp++;
      ph = String.fromCodePoint(cp++);
      phFor.set(sep, ph);
      placeholders.set(ph, sep);
    }
    return ph;
  };
  return src.replace(/[ \t]*(?:(?:\r\n|[\r\n\x85\u2028\u2029])[ \t]*)+/g, (run) => {
    if (!/[\u2028\u2029\x85]/.test(run)) return run;
    const breaks = (run.match(/\r\n|[\r\n\x85\u2028\u2029]/g) ?? []).map((b) =>
      b === '\u2028' || b === '\u2029' ? b : '\n',
    );
    const indent = /[ \t]*$/.exec(run)![0];
    const lead = /^[ \t]*/.exec(run)![0];
    let target: string[];
    if (breaks[0] !== '\n') target = breaks;
    else if (breaks.length === 1) return `${lead}\n${indent}`;
    else target = breaks.slice(1);
    let out = lead;
    let newlines = 0;
    const flush = (): void => {
      if (newlines > 0) out += '\n'.repeat(newlines + 1) + indent;
      newlines = 0;
    };
    for (const b of target) {
      if (b === '\n') newlines++;
      else {
        flush();
        out += placeholder(b);
      }
    }
    flush();
    return out;
  });
}

class Loader {
  private readonly seen = new Map<YNode, unknown>();
  constructor(
    private readonly doc: Document.Parsed,
    private readonly options: ParseYamlOptions,
    private readonly placeholders: Map<string, string>,
    private readonly srcLength: number,
    private readonly endsWithoutBreak: boolean,
  ) {}

  private restore(s: string): string {
    for (const [ph, sep] of this.placeholders) s = s.split(ph).join(sep);
    return s;
  }

  convert(node: YNode): unknown {
    if (yamlLib().isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) throw malformed(`Invalid YAML: unknown alias *${node.source}`);
      return this.convert(target as YNode);
    }
    const cached = this.seen.get(node);
    if (cached !== undefined || this.seen.has(node)) return cached;
    const tag = node.tag ? normalizeTag(node.tag) : undefined;
    if (yamlLib().isScalar(node)) {
      const raw = typeof node.source === 'string' ? node.source : String(node.value);
      let source = this.placeholders.size ? this.restore(raw) : raw;
      // libyaml keeps no final line break in a block scalar that ends the stream without one;
      // the `yaml` package adds it.
      if (
        (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') &&
        this.endsWithoutBreak &&
        node.range &&
        node.range[1] >= this.srcLength &&
        source.endsWith('\n')
      ) {
        source = source.slice(0, -1);
      }
      const plain = node.type === 'PLAIN';
      let value: unknown;
      if (tag === undefined) value = plain ? this.construct(resolvePlain(source), source) : source;
      else if (tag === '!') value = source;
      else value = this.constructTagged(tag, source);
      this.seen.set(node, value);
      return value;
    }
    if (yamlLib().isSeq(node)) {
      if (tag === 'omap' || tag === 'pairs') {
        const out: unknown[] = [];
        this.seen.set(node, out);
        for (const item of node.items) {
          if (!yamlLib().isMap(item)) throw malformed(`Invalid YAML: !!${tag} expects a sequence of mappings`);
          for (const pair of item.items) out.push([this.convert(pair.key as YNode), this.convertValue(pair.value)]);
        }
        return out;
      }
      if (tag !== undefined && tag !== 'seq') throw malformed(`Invalid YAML: cannot construct !!${tag} from a sequence`);
      const out: unknown[] = [];
      this.seen.set(node, out);
      for (const item of node.items) out.push(this.convertValue(item));
      return out;
    }
    if (yamlLib().isMap(node)) {
      if (tag !== undefined && tag !== 'map' && tag !== 'set') {
        throw malformed(`Invalid YAML: cannot construct !!${tag} from a mapping`);
      }
      const out: Record<string, unknown> = {};
      this.seen.set(node, out);
      const merged: [string, unknown][] = [];
      const own: [string, unknown, string][] = [];
      for (const pair of node.items) {
        if (!yamlLib().isPair(pair)) continue;
        const keyNode = pair.key as YNode | null;
        if (keyNode && yamlLib().isScalar(keyNode) && keyNode.type === 'PLAIN' && !keyNode.tag && keyNode.source === '<<') {
          merged.push(...this.mergePairs(pair.value as YNode | null));
          continue;
        }
        const [key, id] = this.convertKey(keyNode);
        own.push([key, tag === 'set' ? null : this.convertValue(pair.value), id]);
      }
      // Python dict semantics: equal keys (1, 1.0, True) share one entry, named by the first.
      const names = new Map<string, string>();
      for (const [k, v, id] of [...merged.map(([k, v]): [string, unknown, string] => [k, v, `s:${k}`]), ...own]) {
        const name = names.get(id) ?? k;
        names.set(id, name);
        out[name] = v;
      }
      return out;
    }
    throw malformed('Invalid YAML: unsupported node');
  }

  private convertValue(node: unknown): unknown {
    if (node === null || node === undefined) return null;
    return this.convert(node as YNode);
  }

  private keyMode = false;

  /** A mapping key as JS text (Python `str()` of non-string keys) and its Python identity. */
  private convertKey(node: YNode | null): [string, string] {
    const saved = this.keyMode;
    this.keyMode = true;
    let key: unknown;
    try {
      key = node === null ? null : this.convert(node);
    } finally {
      this.keyMode = saved;
    }
    if (typeof key === 'string') return [key, `s:${key}`];
    if (key === null) return ['None', 'null'];
    if (typeof key === 'boolean') return [pythonStr(key), `n:${key ? 1 : 0}`];
    if (typeof key === 'number' || typeof key === 'bigint') return [pythonStr(key), `n:${key}`];
    if (key instanceof PyFloat) {
      const id = Number.isNaN(key.value) ? `nan:${Math.random()}` : `n:${key.value}`;
      return [pythonStr(key), id];
    }
    throw malformed('Invalid YAML: found unhashable key');
  }

  /** PyYAML flatten_mapping: a mapping, or a sequence of mappings where earlier ones win. */
  private mergePairs(node: YNode | null): [string, unknown][] {
    if (node === null) throw malformed('Invalid YAML: expected a mapping or list of mappings for merging');
    const target = yamlLib().isAlias(node) ? (node.resolve(this.doc) as YNode | undefined) : node;
    if (target && yamlLib().isMap(target)) {
      return Object.entries(this.convert(target) as Record<string, unknown>);
    }
    if (target && yamlLib().isSeq(target)) {
      const out: [string, unknown][] = [];
      for (const item of [...target.items].reverse()) {
        const sub = yamlLib().isAlias(item) ? (item.resolve(this.doc) as YNode | undefined) : (item as YNode);
        if (!sub || !yamlLib().isMap(sub)) throw malformed('Invalid YAML: expected a mapping for merging');
        out.push(...Object.entries(this.convert(sub) as Record<string, unknown>));
      }
      return out;
    }
    throw malformed('Invalid YAML: expected a mapping or list of mappings for merging');
  }

  private constructTagged(tag: string, source: string): unknown {
    switch (tag) {
      case 'str':
        return source;
      case 'null':
        return null;
      case 'bool':
        if (!RE_BOOL.test(source)) throw malformed(`Invalid YAML: ${JSON.stringify(source)} is not a bool`);
        return this.construct('bool', source);
      case 'int':
        if (!/^[-+]?(?:0b[0-1_]+|0x[0-9a-fA-F_]+|[0-9][0-9_:]*)$/.test(source)) {
          throw malformed(`Invalid YAML: ${JSON.stringify(source)} is not an int`);
        }
        return this.construct('int', source);
      case 'float':
        return this.construct('float', source);
      case 'timestamp':
        return source;
      case 'binary': {
        const bytes = Buffer.from(source.replace(/\s+/g, ''), 'base64');
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
      }
      default: {
        const full = tag.startsWith('!') || tag.includes(':') ? tag : `${TAG_PREFIX}${tag}`;
        throw malformed(`Invalid YAML: could not determine a constructor for the tag '${full}'`);
      }
    }
  }

  /** PyYAML SafeConstructor for an implicitly resolved plain scalar. */
  private construct(tag: ImplicitTag, value: string): unknown {
    switch (tag) {
      case 'str':
      case 'timestamp':
        return value;
      case 'null':
        return null;
      case 'bool':
        return ['yes', 'true', 'on'].includes(value.toLowerCase());
      case 'int':
        return constructInt(value);
      case 'float': {
        const f = constructFloat(value);
        return this.options.pyFloat || this.keyMode ? new PyFloat(f) : f;
      }
      default:
        throw malformed(`Invalid YAML: could not determine a constructor for the tag '${TAG_PREFIX}${tag}'`);
    }
  }
}

function normalizeTag(tag: string): string {
  if (tag.startsWith(TAG_PREFIX)) return tag.slice(TAG_PREFIX.length);
  if (tag === '!') return '!';
  return tag;
}

function constructInt(text: string): number | bigint {
  let value = text.replace(/_/g, '');
  let sign = 1n;
  if (value[0] === '-') sign = -1n;
  if (value[0] === '+' || value[0] === '-') value = value.slice(1);
  let n: bigint;
  try {
    if (value === '0') n = 0n;
    else if (value.startsWith('0b')) n = BigInt('0b' + value.slice(2));
    else if (value.startsWith('0x')) n = BigInt('0x' + value.slice(2));
    else if (value[0] === '0') n = BigInt('0o' + value.slice(1));
    else if (value.includes(':')) {
      n = 0n;
      for (const part of value.split(':')) n = n * 60n + BigInt(part);
    } else n = BigInt(value);
  } catch (cause) {
    throw malformed(`Invalid YAML: invalid int ${JSON.stringify(text)}`, { cause });
  }
  n *= sign;
  if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(n);
  return n;
}

function constructFloat(text: string): number {
  let value = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (value[0] === '-') sign = -1;
  if (value[0] === '+' || value[0] === '-') value = value.slice(1);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (value.includes(':')) {
    // Same order of operations as PyYAML (least significant part first).
    let n = 0;
    let base = 1;
    for (const part of value.split(':').reverse()) {
      n += Number(part) * base;
      base *= 60;
    }
    return sign * n;
  }
  const n = Number(value);
  if (Number.isNaN(n)) throw malformed(`Invalid YAML: invalid float ${JSON.stringify(text)}`);
  return sign * n;
}
