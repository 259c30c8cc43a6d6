import { describe, expect, it } from 'vitest';
import { MlflowError } from '../errors.js';
import { likeMatch, compareCodePoints } from './evaluate.js';
import {
  parseExperimentOrderBy,
  parseModelVersionOrderBy,
  parseRegisteredModelOrderBy,
  parseRunFilter,
  parseRunOrderBy,
  shlexSplit,
} from './parse.js';
import { createPageToken, paginate, parseStartOffset, validateMaxResults } from './paging.js';

const err = (f: () => unknown): MlflowError => {
  try {
    f();
  } catch (e) {
    if (e instanceof MlflowError) return e;
    throw e;
  }
  throw new Error('did not throw');
};

describe('parseRunFilter', () => {
  it('builds typed clauses with prefixes, aliases and positions', () => {
    expect(parseRunFilter("metrics.loss < 0.5 and params.`my key` = 'it''s' AND attr.status != \"FAILED\"")).toEqual([
      { type: 'metric', key: 'loss', comparator: '<', value: { kind: 'number', raw: '0.5', integer: false }, position: 0 },
      { type: 'param', key: 'my key', comparator: '=', value: { kind: 'string', value: "it''s" }, position: 23 },
      { type: 'attribute', key: 'status', comparator: '!=', value: { kind: 'string', value: 'FAILED' }, position: 53 },
    ]);
  });
  it('joins IN / NOT IN / IS NULL / IS NOT NULL', () => {
    expect(parseRunFilter("run_id IN ('a', 'B') and dataset.name not in ('x') and tags.t is null and params.p IS NOT NULL")).toEqual([
      { type: 'attribute', key: 'run_id', comparator: 'IN', value: { kind: 'list', values: ['a', 'B'] }, position: 0 },
      { type: 'dataset', key: 'name', comparator: 'NOT IN', value: { kind: 'list', values: ['x'] }, position: 25 },
      { type: 'tag', key: 't', comparator: 'IS NULL', value: { kind: 'null' }, position: 55 },
      { type: 'param', key: 'p', comparator: 'IS NOT NULL', value: { kind: 'null' }, position: 74 },
    ]);
  });
  it('keeps nested keys after the first dot and aliases as written', () => {
    expect(parseRunFilter("tags.mlflow.runName = 'x' AND `Run name` LIKE 'a%' AND created > 5").map((c) => [c.type, c.key])).toEqual([
      ['tag', 'mlflow.runName'],
      ['attribute', 'Run name'],
      ['attribute', 'created'],
    ]);
  });
  it('rejects with INVALID_PARAMETER_VALUE and a position', () => {
    const e = err(() => parseRunFilter("params.a = 'x' OR params.b = 'y'"));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe("Invalid clause(s) in filter string: 'OR'");
    expect(e.position).toBe(15);
    expect(err(() => parseRunFilter('metricz.a > 1')).message).toMatch(/^Invalid entity type 'metricz'/);
  });
  it('parses a 100 KB filter and rejects 5,000 clauses like sqlparse (token limit)', () => {
    const big = `params.x = '${'z'.repeat(100_000)}'`;
    expect(parseRunFilter(big)[0]!.value).toEqual({ kind: 'string', value: 'z'.repeat(100_000) });
    const clauses = Array.from({ length: 5000 }, (_, i) => `metrics.m${i} > ${i}`).join(' AND ');
    expect(err(() => parseRunFilter(clauses)).message).toMatch(/^Error on parsing filter/);
    const under = Array.from({ length: 900 }, (_, i) => `metrics.m${i} > ${i}`).join(' AND ');
    expect(parseRunFilter(under)).toHaveLength(900);
  });
});

describe('order_by', () => {
  it('parses runs order_by last-to-first', () => {
    expect(parseRunOrderBy(['metrics.`val loss` DESC', 'params.p', 'created asc'])).toEqual([
      { type: 'metric', key: 'val loss', ascending: false },
      { type: 'param', key: 'p', ascending: true },
      { type: 'attribute', key: 'created', ascending: true },
    ]);
    expect(err(() => parseRunOrderBy(['metrics.a DESC NULLS LAST'])).code).toBe('INVALID_PARAMETER_VALUE');
  });
  it('appends MLflow tie-breakers', () => {
    expect(parseExperimentOrderBy(['name']).map((o) => `${o.key} ${o.ascending}`)).toEqual(['name true', 'experiment_id false']);
    expect(parseRegisteredModelOrderBy([]).map((o) => o.key)).toEqual(['name']);
    expect(parseModelVersionOrderBy(['version_number']).map((o) => `${o.key} ${o.ascending}`)).toEqual([
      'version true',
      'name true',
      'version false',
    ]);
  });
  it('shlex splits like Python', () => {
    expect(shlexSplit('metrics."a b" DESC')).toEqual(['metrics.a b', 'DESC']);
    expect(shlexSplit("a'b c'd")).toEqual(['ab cd']);
    expect(shlexSplit('""')).toEqual(['']);
  });
});

describe('LIKE', () => {
  it('follows Python re semantics', () => {
    expect(likeMatch('abc\n', 'abc', false)).toBe(true);
    expect(likeMatch('abc\n\n', 'abc', false)).toBe(false);
    expect(likeMatch('a\nc', 'a_c', false)).toBe(false);
    expect(likeMatch('a\nc', 'a%', false)).toBe(true);
    expect(likeMatch('a\nc', 'a%c', false)).toBe(false);
    expect(likeMatch('a.c', 'a.c', false)).toBe(true);
    expect(likeMatch('abc', 'a.c', false)).toBe(false);
    expect(likeMatch('ÄBC', 'äbc', true)).toBe(true);
    expect(likeMatch('ſ', 'S', true)).toBe(true);
    expect(likeMatch('ς', 'Σ', true)).toBe(true);
    expect(likeMatch('', '', false)).toBe(true);
    expect(likeMatch('\n', '', false)).toBe(true);
  });
  it('orders strings by code point', () => {
    expect(compareCodePoints('\u{1F600}', '\uFFFF')).toBe(1);
    expect(compareCodePoints('10', '9')).toBe(-1);
  });
});

describe('paging', () => {
  it('creates tokens with Python JSON spacing', () => {
    expect(createPageToken(1000)).toBe('eyJvZmZzZXQiOiAxMDAwfQ==');
    expect(parseStartOffset('eyJvZmZzZXQiOiAxMDAwfQ==')).toBe(1000);
    expect(parseStartOffset(null)).toBe(0);
  });
  it('rejects offset 0 and undecodable tokens with MLflow messages', () => {
    expect(err(() => parseStartOffset(createPageToken(0))).message).toBe("Invalid page token, parsed value={'offset': 0}");
    expect(err(() => parseStartOffset('abc')).message).toBe('Invalid page token, could not base64-decode');
    expect(err(() => parseStartOffset(Buffer.from('nope').toString('base64'))).message).toBe("Invalid page token, decoded value=b'nope'");
  });
  it('paginates', () => {
    expect(paginate([1, 2, 3], 2, null)).toEqual({ items: [1, 2], token: createPageToken(2) });
    expect(paginate([1, 2, 3], 2, createPageToken(2))).toEqual({ items: [3], token: null });
  });
  it('validates max_results per entity', () => {
    expect(() => validateMaxResults('runs', 50000)).not.toThrow();
    expect(err(() => validateMaxResults('runs', 50001)).message).toBe(
      'Invalid value for request parameter max_results. It must be at most 50000, but got value 50001',
    );
    expect(err(() => validateMaxResults('experiments', 0)).code).toBe('INVALID_PARAMETER_VALUE');
    expect(err(() => validateMaxResults('registeredModels', 1001)).code).toBe('INVALID_PARAMETER_VALUE');
    expect(() => validateMaxResults('modelVersions', 200000)).not.toThrow();
  });
});
