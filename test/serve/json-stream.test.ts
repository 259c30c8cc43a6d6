/**
 * The streamed JSON data frame (`mlruns predict` on a JSON input over PREDICT_JSON_LIMIT) gives
 * the rows the whole-document parse gives (the scoring server's `parseJsonRequest`), batch by
 * batch, across the reader's 1 MiB reads (multi-byte characters and values cut at a boundary),
 * and clear errors naming the file for documents that are not a data frame.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonFrameBatches } from '../../src/serve/json-stream.js';
import { frameFromRecords } from '../../src/serve/data.js';
import type { Frame } from '../../src/serve/data.js';
import { parsePyJson } from '../../src/serve/pyjson.js';
import { parseJsonRequest } from '../../src/serve/scoring.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-json-stream-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(text: string): string {
  const p = path.join(dir, `doc-${n++}.json`);
  fs.writeFileSync(p, text);
  return p;
}

/** Rows of a frame as arrays (column order), for comparing frames cut into different batches. */
function rowsOf(f: Frame): unknown[][] {
  return Array.from({ length: f.nrows }, (_, i) => f.cols.map((c) => c.values[i]));
}

function streamed(file: string, batch: number): { columns: string[][]; rows: unknown[][]; firsts: number[] } {
  const out = { columns: [] as string[][], rows: [] as unknown[][], firsts: [] as number[] };
  for (const b of jsonFrameBatches(file, batch)) {
    out.columns.push(b.frame.columns);
    out.firsts.push(b.firstRow);
    out.rows.push(...rowsOf(b.frame));
  }
  return out;
}

function whole(text: string): Frame {
  if (text.trimStart().startsWith('[')) return frameFromRecords(parsePyJson(text) as unknown[]);
  return parseJsonRequest(text, { schema: null }).data as Frame;
}

/** Records with ints, integral floats (PyFloat), long floats, NaN, strings with quotes, brackets, escapes and multi-byte text. */
function records(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i,
    x: i % 5 === 0 ? `${i}.0` : i / 7,
    s: ['plain', 'with "quotes" and \\ backslash', 'brackets ] } [ {', 'é漢字🙂', 'comma, colon:'][i % 5]! + 'é'.repeat(i % 3),
    f: i % 11 === 0 ? 'NaN' : -i * 1e-3,
  }));
}

/** JSON text of records where `x` keeps its float spelling (`3.0`) and `f` may be NaN, as Python writes them. */
function recordsJson(recs: Record<string, unknown>[]): string[] {
  return recs.map((r) => `{"id": ${r['id']}, "x": ${r['x']}, "s": ${JSON.stringify(r['s'])}, "f": ${r['f']}}`);
}

describe('jsonFrameBatches', () => {
  const recs = records(30_000); // ~2 MB: several 1 MiB reads, values cut at their boundaries
  const lines = recordsJson(recs);

  it('a list of records: the rows of the whole parse, in batches, with their first row numbers', () => {
    const text = `[${lines.join(', ')}]`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 * 1024 * 1024);
    const s = streamed(write(text), 4096);
    const w = whole(text);
    expect(s.rows).toEqual(rowsOf(w));
    expect(s.columns.every((c) => JSON.stringify(c) === JSON.stringify(w.columns))).toBe(true);
    expect(s.firsts).toEqual(Array.from({ length: Math.ceil(30_000 / 4096) }, (_, i) => 1 + i * 4096));
  });

  it('dataframe_records with params before and after, any spacing', () => {
    const text = `{ "params": {"k": [1, {"a": "]"}]},\n "dataframe_records" :\n[\n${lines.slice(0, 5000).join(',\n')}\n] , "params2": null }`.replace('"params2": null', '"params": null');
    const s = streamed(write(text), 999);
    expect(s.rows).toEqual(rowsOf(whole(text)));
  });

  it('dataframe_split with columns first, with an index, and with the columns after the data', () => {
    const rows = recs.slice(0, 3000).map((r) => `[${r['id']}, ${r['x']}, ${JSON.stringify(r['s'])}]`);
    for (const text of [
      `{"dataframe_split": {"columns": ["id", "x", "s"], "data": [${rows.join(',')}]}}`,
      `{"dataframe_split": {"columns": ["id", "x", "s"], "index": [${rows.map((_, i) => i * 2).join(',')}], "data": [${rows.join(',')}]}}`,
      `{"dataframe_split": {"data": [${rows.join(',')}], "columns": ["id", "x", "s"]}}`,
      `{"dataframe_split": {"data": [${rows.join(',')}]}}`,
    ]) {
      const s = streamed(write(text), 512);
      const w = whole(text);
      expect(s.rows).toEqual(rowsOf(w));
      for (const c of s.columns) expect(c).toEqual(w.columns);
    }
  });

  it('empty frames give no batch', () => {
    for (const text of ['[]', '{"dataframe_records": []}', '{"dataframe_split": {"columns": ["a"], "data": []}}']) expect(streamed(write(text), 10).rows).toEqual([]);
  });

  it('documents that are not a data frame, or not JSON, are refused with the file and the place', () => {
    const cases: [string, RegExp][] = [
      ['{"inputs": [[1, 2]]}', /'inputs' \(tensor input\) is not a data frame: .*use the server for tensor inputs/],
      ['{"instances": [1]}', /'instances' \(tensor input\)/],
      ['{"dataframe_records": [{"a": 1}], "dataframe_split": {"data": []}}', /both 'dataframe_records' and 'dataframe_split' given/],
      ['{"dataframe_split": {"columns": ["a"], "index": [0, 1], "data": [[1]]}}', /Length of values \(1\) does not match length of index \(2\)/],
      ['{"dataframe_split": {"columns": ["a"]}}', /must have 'data' field/],
      ['{"dataframe_split": {"data": [[1]], "extra": 1}}', /must have 'data' field and optionally 'columns' and 'index' fields. Got \{'data', 'extra'\}/],
      ['[{"a": 1}, {"a": 2} {"a": 3}]', /expected ',' or '\]' in the list of records at character 20/],
      ['[{"a": 1}, {"a": tru}]', /Row 2 of '.*' is not JSON/],
      ['[{"a": 1}', /the file ends inside a value|expected ',' or '\]'/],
      ['[{"a": 1}] [2]', /extra data after the data frame/],
      ['"text"', /expected a list of records or an object/],
      ['{}', /no data frame/],
    ];
    for (const [text, re] of cases) {
      const file = write(text);
      let err: Error | undefined;
      try {
        streamed(file, 10);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message, text).toMatch(re);
      expect(err?.message, text).toContain(file);
    }
  });
});
