import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PyFormat } from '../../test/format/pyformat.js';
import { NOUNS, PREDICATES, generateExperimentId, generateRunName, md5Hex, newLoggedModelId, newRunId } from './names.js';

let py: PyFormat;
beforeAll(async () => {
  py = await PyFormat.start();
});
afterAll(async () => {
  await py.close();
});

interface PyNames {
  predicates: string[];
  nouns: string[];
  run_names: string[];
  experiment_ids: string[];
}

/** Splits `<predicate>-<noun>-<n>`, or returns null. */
function parseRunName(name: string): { predicate: string; noun: string; num: number } | null {
  const m = /^([a-z]+)-([a-z]+)-(\d+)$/.exec(name);
  return m ? { predicate: m[1]!, noun: m[2]!, num: Number(m[3]) } : null;
}

describe('names = mlflow/utils/name_utils.py', () => {
  it('word lists are MLflow 3.17 lists, verbatim', async () => {
    const names = await py.call<PyNames>({ op: 'names', n: 1 });
    expect(PREDICATES).toEqual(names.predicates);
    expect(NOUNS).toEqual(names.nouns);
  });

  it('run names have the shape and range of _generate_random_name', async () => {
    const names = await py.call<PyNames>({ op: 'names', n: 2000 });
    const check = (name: string): void => {
      expect(name.length).toBeLessThanOrEqual(20);
      const p = parseRunName(name);
      if (p === null) {
        // Truncated after 10 long draws (never in practice with these lists, but possible).
        expect(name.length).toBe(20);
        return;
      }
      expect(PREDICATES).toContain(p.predicate);
      expect(NOUNS).toContain(p.noun);
      expect(p.num).toBeGreaterThanOrEqual(0);
      expect(p.num).toBeLessThanOrEqual(1000);
    };
    names.run_names.forEach(check);
    const ours = Array.from({ length: 5000 }, () => generateRunName());
    ours.forEach(check);
    // randint(0, 1000) includes 1000: both ends occur over many draws.
    const nums = Array.from({ length: 30000 }, () => parseRunName(generateRunName())?.num ?? -1);
    expect(nums).toContain(0);
    expect(nums).toContain(1000);
    // Max predicate+noun lengths keep names ≤ 20 except rare redraws; both sides agree on the bound.
    expect(Math.max(...ours.map((n) => n.length))).toBeLessThanOrEqual(20);
  });

  it('experiment ids look like _generate_unique_integer_id', async () => {
    const names = await py.call<PyNames>({ op: 'names', n: 500 });
    for (const id of [...names.experiment_ids, ...Array.from({ length: 2000 }, generateExperimentId)]) {
      expect(id).toMatch(/^[1-9]\d{0,19}$/);
    }
    const lengths = Array.from({ length: 2000 }, () => generateExperimentId().length);
    expect(lengths.filter((l) => l === 18).length).toBeGreaterThan(1990);
    expect(names.experiment_ids.filter((id) => id.length === 18).length).toBeGreaterThan(495);
  });

  it('run and logged model ids', () => {
    expect(newRunId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newLoggedModelId()).toMatch(/^m-[0-9a-f]{32}$/);
    expect(newRunId()).not.toBe(newRunId());
  });

  it('md5Hex = hashlib.md5(s.encode()).hexdigest() (property)', async () => {
    const strings = ['', 'abc', 'é', '😀', ...fc.sample(fc.string({ unit: 'grapheme', maxLength: 20 }), { numRuns: 200, seed: 81 })];
    const answers = await py.batch<string>(strings.map((s) => ({ op: 'md5', s })));
    strings.forEach((s, i) => expect({ s, h: md5Hex(s) }).toEqual({ s, h: answers[i]!.ok }));
    expect(md5Hex('ab', 'c')).toBe(md5Hex('abc'));
  });
});
