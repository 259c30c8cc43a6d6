/**
 * A JSON data frame read as a stream, for `mlruns predict` on inputs too large to parse whole:
 * the three data-frame documents MLflow's `predict` takes (a list of records,
 * `{"dataframe_records": [...]}` and `{"dataframe_split": {"columns": [...], "data": [...]}}`,
 * with an optional `params`) are walked at their top levels only, and each record or row is
 * parsed on its own (Python's JSON rules: `parsePyJson`), so memory holds one batch of rows, not
 * the document. Other documents (`instances`, `inputs`: tensors) are refused with a message
 * naming what to use instead.
 *
 * @example
 * ```ts
 * for await (const b of jsonFrameBatches('frame.json', 10_000)) console.log(b.frame.nrows, b.firstRow);
 * ```
 * @module
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { MlflowError } from '../errors.js';
import { PyError, frameFromRecords, frameFromSplit } from './data.js';
import type { Frame } from './data.js';
import { parsePyJson } from './pyjson.js';

/** One batch of rows: its frame, the number of its first row (1-based) and the bytes read so far. */
export interface JsonFrameBatch {
  frame: Frame;
  firstRow: number;
  bytes: number;
}

const READ_BYTES = 1 << 20;

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The file's text, a megabyte at a time, with a cursor; values are cut out whole across reads. */
class JsonText {
  private buf = '';
  private i = 0;
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');
  private readonly chunk = Buffer.allocUnsafe(READ_BYTES);
  /** Characters dropped from the front of `buf` (for error positions). */
  private dropped = 0;
  bytes = 0;

  constructor(
    private readonly fd: number,
    readonly file: string,
  ) {}

  /** Reads more text after what is left of the buffer; false at the end of the file. */
  private more(): boolean {
    if (this.ended) return false;
    const n = fs.readSync(this.fd, this.chunk, 0, READ_BYTES, null);
    this.dropped += this.i;
    if (n === 0) {
      this.ended = true;
      const rest = this.decoder.end();
      this.buf = this.buf.slice(this.i) + rest;
      this.i = 0;
      return rest.length > 0;
    }
    this.bytes += n;
    this.buf = this.buf.slice(this.i) + this.decoder.write(this.chunk.subarray(0, n));
    this.i = 0;
    return true;
  }

  /** The next character that is not white space (its code), without taking it; -1 at the end. */
  peek(): number {
    for (;;) {
      while (this.i < this.buf.length && isWs(this.buf.charCodeAt(this.i))) this.i++;
      if (this.i < this.buf.length) return this.buf.charCodeAt(this.i);
      if (!this.more()) return -1;
    }
  }

  /** Takes the next non-space character, which must be `ch`. */
  expect(ch: string, what: string): void {
    const c = this.peek();
    if (c !== ch.charCodeAt(0)) this.fail(`expected ${what}`);
    this.i++;
  }

  /** Position (characters from the start) of the cursor. */
  get at(): number {
    return this.dropped + this.i;
  }

  fail(message: string): never {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `'${this.file}' is not a JSON data frame: ${message} at character ${this.at}`);
  }

  /** The text of the next JSON value (object, array, string or scalar), the cursor after it. */
  value(): string {
    if (this.peek() < 0) this.fail('expected a value, found the end of the file');
    const parts: string[] = [];
    let start = this.i;
    let depth = 0;
    let inStr = false;
    let esc = false;
    let scalar = false;
    for (;;) {
      const s = this.buf;
      let j = this.i;
      for (; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (inStr) {
          if (esc) esc = false;
          else if (c === 0x5c) esc = true;
          else if (c === 0x22) {
            inStr = false;
            if (depth === 0) {
              this.i = j + 1;
              parts.push(s.slice(start, this.i));
              return parts.join('');
            }
          }
          continue;
        }
        if (c === 0x22) {
          inStr = true;
        } else if (c === 0x7b || c === 0x5b) {
          depth++;
        } else if (c === 0x7d || c === 0x5d) {
          if (depth === 0) {
            // the end of the enclosing container: a scalar ends before it
            this.i = j;
            parts.push(s.slice(start, j));
            return parts.join('');
          }
          depth--;
          if (depth === 0) {
            this.i = j + 1;
            parts.push(s.slice(start, this.i));
            return parts.join('');
          }
        } else if (depth === 0 && (c === 0x2c || c === 0x3a || isWs(c))) {
          this.i = j;
          parts.push(s.slice(start, j));
          return parts.join('');
        } else if (depth === 0) {
          scalar = true;
        }
      }
      parts.push(s.slice(start));
      this.i = s.length;
      if (!this.more()) {
        if (scalar && depth === 0 && !inStr) return parts.join('');
        this.fail('the file ends inside a value');
      }
      start = 0;
    }
  }

  /** Yields an array's elements' texts (the cursor on its `[`). */
  *elements(what: string): Generator<string> {
    this.expect('[', `${what} to be a list`);
    if (this.closes(']')) return;
    do yield this.value();
    while (this.another(']', what));
  }

  /** Yields an object's keys (the cursor on its `{`); the caller reads each value after the ':'. */
  *keys(what: string): Generator<string> {
    this.expect('{', `${what} to be an object`);
    if (this.closes('}')) return;
    do {
      if (this.peek() !== 0x22) this.fail(`expected a key in ${what}`);
      const key = parsePyJson(this.value()) as string;
      this.expect(':', "':'");
      yield key;
    } while (this.another('}', what));
  }

  /** Takes `close` when it is the next character (an empty container). */
  private closes(close: ']' | '}'): boolean {
    if (this.peek() !== close.charCodeAt(0)) return false;
    this.i++;
    return true;
  }

  /** After an item: true on a ',' (another follows), false on `close` (the end); else fails. */
  private another(close: ']' | '}', what: string): boolean {
    const c = this.peek();
    if (c === 0x2c) {
      this.i++;
      return true;
    }
    if (c === close.charCodeAt(0)) {
      this.i++;
      return false;
    }
    this.fail(`expected ',' or '${close}' in ${what}`);
  }
}

function parseRow(text: string, row: number, file: string): unknown {
  try {
    return parsePyJson(text);
  } catch (err) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Row ${row} of '${file}' is not JSON: ${(err as Error).message}`);
  }
}

function frameOf(make: () => Frame, form: 'records' | 'split', file: string): Frame {
  try {
    return make();
  } catch (err) {
    if (!(err instanceof PyError)) throw err;
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      form === 'records'
        ? `'${file}': provided dataframe_records field is not a valid dataframe representation in 'records' format. Error: '${err.message}'`
        : `'${file}': provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: '${err.message}'`,
    );
  }
}

/**
 * Streams a JSON data frame file in batches of `batchSize` rows (see the module's comment).
 * Throws an INVALID_PARAMETER_VALUE naming the file, the row or the character position on a
 * document of another shape or malformed JSON.
 */
export function* jsonFrameBatches(file: string, batchSize: number): Generator<JsonFrameBatch> {
  const fd = fs.openSync(file, 'r');
  try {
    const t = new JsonText(fd, file);
    let row = 1;
    let pending: unknown[] = [];
    const flushRecords = function* (final: boolean): Generator<JsonFrameBatch> {
      if (pending.length === 0 || (!final && pending.length < batchSize)) return;
      const recs = pending;
      pending = [];
      yield { frame: frameOf(() => frameFromRecords(recs), 'records', file), firstRow: row, bytes: t.bytes };
      row += recs.length;
    };
    const c = t.peek();
    if (c === 0x5b) {
      for (const text of t.elements('the list of records')) {
        pending.push(parseRow(text, row + pending.length, file));
        yield* flushRecords(false);
      }
      yield* flushRecords(true);
    } else if (c === 0x7b) {
      let format: string | null = null;
      for (const key of t.keys('the document')) {
        if (key === 'params') {
          t.value();
          continue;
        }
        if (key !== 'dataframe_records' && key !== 'dataframe_split') {
          t.fail(
            key === 'instances' || key === 'inputs'
              ? `'${key}' (tensor input) is not a data frame: batch prediction reads dataframe_split, dataframe_records or a list of records; use the server for tensor inputs`
              : `unexpected key '${key}' (a data frame is dataframe_split, dataframe_records or a list of records)`,
          );
        }
        if (format !== null) t.fail(`both '${format}' and '${key}' given: one data frame per file`);
        format = key;
        if (key === 'dataframe_records') {
          for (const text of t.elements('dataframe_records')) {
            pending.push(parseRow(text, row + pending.length, file));
            yield* flushRecords(false);
          }
          yield* flushRecords(true);
          continue;
        }
        // dataframe_split: columns, data (rows), index (counted, checked against the rows)
        let columns: unknown = undefined;
        let indexLength: number | null = null;
        let rows: unknown[] = [];
        let total = 0;
        let sawData = false;
        const flushRows = function* (final: boolean): Generator<JsonFrameBatch> {
          // rows before their columns are kept until the columns come (pandas writes them first)
          if (rows.length === 0 || columns === undefined || (!final && rows.length < batchSize)) return;
          const batch = rows;
          rows = [];
          yield { frame: frameOf(() => frameFromSplit(columns, batch, null), 'split', file), firstRow: row, bytes: t.bytes };
          row += batch.length;
        };
        const splitKeys: string[] = [];
        for (const k of t.keys('dataframe_split')) {
          splitKeys.push(k);
          if (k === 'columns') {
            columns = parsePyJson(t.value());
            yield* flushRows(false);
          } else if (k === 'data') {
            sawData = true;
            for (const text of t.elements('dataframe_split data')) {
              rows.push(parseRow(text, row + rows.length, file));
              total++;
              yield* flushRows(false);
            }
          } else if (k === 'index') {
            if (t.peek() !== 0x5b) {
              indexLength = -1;
              t.value();
            } else {
              indexLength = 0;
              for (const _ of t.elements('dataframe_split index')) indexLength++;
            }
          } else {
            t.fail(`Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {${[...splitKeys].map((x) => `'${x}'`).join(', ')}}`);
          }
        }
        if (!sawData) t.fail(`Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {${splitKeys.map((x) => `'${x}'`).join(', ')}}`);
        if (columns === undefined) columns = null;
        if (indexLength !== null && indexLength !== total) {
          throw new MlflowError(
            'INVALID_PARAMETER_VALUE',
            `'${file}': provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: 'Length of values (${total}) does not match length of index (${indexLength < 0 ? 1 : indexLength})'`,
          );
        }
        yield* flushRows(true);
      }
      if (format === null) t.fail('no data frame (dataframe_split, dataframe_records or a list of records)');
    } else {
      t.fail('expected a list of records or an object with dataframe_split or dataframe_records');
    }
    if (t.peek() !== -1) t.fail('extra data after the data frame');
  } finally {
    fs.closeSync(fd);
  }
}
