/**
 * The simple-filter fast path (src/search/simple-filter.ts) against the full sqlparse path: on
 * generated texts near its grammar (entities, keys, operators, values, spacing and joiners, some
 * valid, many just outside), whenever the fast path answers, its tokens (type, text, position,
 * group) are the ones `filterComparisons` + `strippedOf` give, and its order_by reading is
 * `orderByString`'s. The parse results (or errors) of the public functions follow, since the code
 * after the tokens is shared.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { filterComparisons, parseRunFilter, strippedOf } from '../../src/search/filter.js';
import { orderByString, parseRunOrderBy } from '../../src/search/order-by.js';
import { simpleOrderBy, simpleRunComparisons } from '../../src/search/simple-filter.js';
import type { Tok } from '../../src/search/sqlparse.js';

const ENTITIES = ['metrics', 'metric', 'params', 'param', 'parameter', 'parameters', 'tags', 'tag', 'attributes', 'attribute', 'attr', 'run', 'dataset', 'datasets', 'Metrics', 'metricsx', 'foo', 'm1', '_x'];
const KEYS = ['accuracy', 'x', 'a_b', 'X9', 'in', 'IN', 'as', 'As', 'from', 'case', 'values', 'using', 'select', 'and', 'or', 'not', 'desc', 'asc', 'like', 'ilike', 'nulls', 'null', 'is', 'end', 'begin', 'go', 'start_time', 'status', 'run_id', 'name', 'context', 'digest', 'created', '1a', '_k', 'k1_', 'ınt'];
const OPS = ['=', '!=', '<', '>', '<=', '>=', '==', '<>', '=>', '!', '~', '=~', 'like', 'LIKE', 'Like', 'ilike', 'ILIKE', 'rlike', 'not like', 'NOT LIKE', 'in', 'is', 'IS NOT'];
const NUMBERS = ['1', '-1', '1.', '.5', '-.5', '1.5', '-0.25', '00', '1e5', '1E-3', '0x1F', '1_0', '1.2.3', '-', '.', '--1', '+1', '١'];
/** Mostly `good` (inside the grammar), sometimes any of `all`. */
const pick = (good: string[], all: string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...all) });
const SPACE = pick(['', ' ', ' ', '  '], ['\t', '\n', ' ']);
const STRING_CHARS = fc.constantFrom('a', 'Z', ' ', "'", "''", '\\', '%', '_', ';', '--', '/*', '*/', '$', '$$', '"', '(', ')', '.', 'é', 'ı', '\n', '#', '`', '0');
const stringValue = fc.array(STRING_CHARS, { maxLength: 6 }).map((cs) => `'${cs.join('')}'`);
const value = fc.oneof(
  { weight: 3, arbitrary: stringValue },
  { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom('"x"', '`x`', '(1, 2)', "('a')", 'null', 'x', 'metrics.x') },
);
const identifier = fc
  .tuple(pick(ENTITIES.slice(0, 14), ENTITIES), pick(['.'], [' .', '. ', '..']), fc.constantFrom(...KEYS))
  .map(([e, d, k]) => e + d + k);
const clause = fc.tuple(identifier, SPACE, pick(OPS.slice(0, 11), OPS), SPACE, value).map((p) => p.join(''));
const joiner = pick([' and ', ' AND ', ' And ', '  and  '], ['and ', ' and', ' or ', ' && ', ', ', '\tand ', ' and\n']);
const filter = fc
  .tuple(SPACE, clause, fc.array(fc.tuple(joiner, clause), { maxLength: 3 }), SPACE)
  .map(([a, c, rest, z]) => a + c + rest.map(([j, x]) => j + x).join('') + z);
const orderBy = fc
  .tuple(identifier, pick(['', ' ', '  '], ['\t', ' \n']), pick(['', 'ASC', 'DESC', 'asc', 'Desc'], ['DESC NULLS FIRST', 'up', 'desc ']))
  .map(([i, s, d]) => i + s + d);

const view = (t: Tok): object => ({ ttype: t.ttype, value: t.value, pos: t.pos, cls: t.cls });

function outcome<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    if (e instanceof MlflowError) return { error: `${e.code}: ${e.message}` };
    throw e;
  }
}

describe('simple-filter fast path', () => {
  it('gives the full path’s comparison tokens whenever it answers', () => {
    let answered = 0;
    const samples = fc.sample(filter, { numRuns: 25000, seed: 7 });
    for (const text of samples) {
      const fast = simpleRunComparisons(text);
      if (!fast) continue;
      answered++;
      const full = outcome(() => filterComparisons(text, 'runs').map((c) => ({ stripped: strippedOf(c).map(view), position: c.pos })));
      expect({ text, r: fast.map((c) => ({ stripped: c.stripped.map(view), position: c.position })) }).toEqual({ text, r: full });
    }
    expect(answered).toBeGreaterThan(300);
  });

  it('reads order_by elements as orderByString does whenever it answers', () => {
    let answered = 0;
    for (const text of fc.sample(orderBy, { numRuns: 3000, seed: 11 })) {
      const fast = simpleOrderBy(text);
      if (!fast) continue;
      answered++;
      expect({ text, r: fast }).toEqual({ text, r: outcome(() => orderByString(text)) });
    }
    expect(answered).toBeGreaterThan(300);
  });

  it('keeps parse results and errors of the public parsers', () => {
    expect(parseRunFilter("metrics.accuracy > 0.5 and params.model = 'xgboost'")).toEqual([
      { type: 'metric', key: 'accuracy', comparator: '>', value: { kind: 'number', raw: '0.5', integer: false }, position: 0 },
      { type: 'param', key: 'model', comparator: '=', value: { kind: 'string', value: 'xgboost' }, position: 27 },
    ]);
    expect(parseRunOrderBy(['metrics.accuracy DESC', 'params.model'])).toEqual([
      { type: 'metric', key: 'accuracy', ascending: false },
      { type: 'param', key: 'model', ascending: true },
    ]);
    // Accepted by the fast grammar, rejected by MLflow's rules after the tokens.
    expect(() => parseRunFilter("metrics.accuracy = 'x'")).toThrow(/Expected numeric value type for metric/);
    expect(() => parseRunFilter('params.model = 1')).toThrow(/Expected a quoted string value for parameter/);
    expect(() => parseRunFilter("attributes.nope = 'x'")).toThrow(/Invalid attribute key 'nope'/);
    expect(() => parseRunOrderBy(['attributes.nope DESC'])).toThrow(/Invalid attribute key 'nope'/);
  });
});
