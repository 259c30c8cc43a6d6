/**
 * The scan's fast paths agree with the exact readers: a fast answer is always the exact answer,
 * and the fast path declines (undefined) rather than guess on anything unusual.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const hexish = fc.stringMatching(/^[0-9a-fbx]{1,12}$/);
import { dumpYaml, parseYaml } from '../../src/format/yaml.js';
import type { YamlMap } from '../../src/format/yaml.js';
import { formatMetricLine, latestMetric, parseRunMetricFile } from '../../src/format/metric-line.js';
import { parseFlatMeta } from '../../src/store/file/fast-meta.js';
import { fastLatestMetric, fastLatestMetricBytes } from '../../src/store/file/metric-scan.js';
import { FIXTURES_DIR } from '../oracle/fixtures.js';

const scalarArb = fc.oneof(
  fc.string({ maxLength: 30 }),
  hexish,
  fc.constantFrom('yes', 'no', 'on', 'None', 'null', '~', '0', '012', '0x1F', '1_000', '12:30', '2024-01-01', '.inf', 'file:///tmp/a b/c', 'a: b', 'a #b', "it's", ' lead', 'trail ', '-', '- x', '[x]', '{x}', '@x', '1e5', '1.0', 'ü'),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.constant(null),
  fc.constant([] as never[]),
);

function walkMetas(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walkMetas(p, out);
    else if (e.name === 'meta.yaml') out.push(p);
  }
  return out;
}

describe('fast meta.yaml reader', () => {
  it('returns what the full YAML 1.1 reader returns, or declines', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), scalarArb, { maxKeys: 12 }), (d) => {
        const text = dumpYaml(d as YamlMap);
        const fast = parseFlatMeta(text);
        if (fast !== undefined) expect(fast).toEqual(parseYaml(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads every meta.yaml MLflow wrote in the fixtures identically (and most of them fast)', () => {
    const metas = walkMetas(FIXTURES_DIR);
    expect(metas.length).toBeGreaterThan(50);
    let fastCount = 0;
    for (const p of metas) {
      const text = fs.readFileSync(p, 'utf8');
      const fast = parseFlatMeta(text);
      if (fast === undefined) continue;
      fastCount++;
      expect(fast, p).toEqual(parseYaml(text));
    }
    expect(fastCount / metas.length).toBeGreaterThan(0.6);
  });
});

const pointArb = fc.record({
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  value: fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, NaN, Infinity, -Infinity, 1e-5, 1e16)),
  step: fc.integer({ min: -3, max: 6 }),
  fiveFields: fc.boolean(),
});

describe('fast latest metric', () => {
  it('equals max((step, timestamp, value)) of the exact reader, NaN ties included', () => {
    fc.assert(
      fc.property(
        fc.array(pointArb, { minLength: 1, maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.option(fc.constantFrom('', '\n', ' 1 2 3\n', '1 2\n', '1 x 3\n', '1 2 3 4\n', '1.5 2 3\n', '1 2 3\u2028', '1 inf 2\n', '1 +nan 2\n', '1 Infinity 0\n', '1 1_0 0\n'), { nil: undefined }),
        (points, eol, finalNewline, odd) => {
          let text = points
            .map((p) => formatMetricLine(p.fiveFields ? { ...p, datasetName: 'ds', datasetDigest: 'abc' } : p).replace('\n', eol))
            .join('');
          if (!finalNewline) text = text.replace(/\r?\n$/, '');
          if (odd !== undefined) text = (text.endsWith('\n') ? text : text + '\n') + odd;
          let exact: ReturnType<typeof latestMetric> | undefined;
          try {
            exact = latestMetric(parseRunMetricFile(text, 'k'));
          } catch {
            exact = undefined;
          }
          const fast = fastLatestMetric(text);
          // The catalog's byte scanner: the same answer, and it declines only non-ASCII text.
          const bytes = fastLatestMetricBytes(Buffer.from(text, 'utf8'));
          if (bytes !== undefined) {
            expect(exact).toBeDefined();
            expect({ v: bytes.value, t: bytes.timestamp, s: bytes.step }).toEqual({ v: exact?.value, t: exact?.timestamp, s: exact?.step });
          } else if (fast !== undefined) expect(/^[\x00-\x7f]*$/.test(text)).toBe(false);
          if (fast === undefined) return;
          expect(exact).toBeDefined();
          expect({ v: fast.value, t: fast.timestamp, s: fast.step }).toEqual({ v: exact?.value, t: exact?.timestamp, s: exact?.step });
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('fast latest metric, continued over chunks', () => {
  it('folding chunk by chunk equals one pass, NaN ties across chunk borders included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ timestamp: fc.integer({ min: 0, max: 3 }), value: fc.constantFrom(NaN, 1, 2, 3, -0, 0), step: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 19 }),
        (points, cut) => {
          const lines = points.map((p) => formatMetricLine(p));
          const whole = fastLatestMetric(lines.join(''));
          const first = fastLatestMetric(lines.slice(0, cut).join(''));
          const rest = lines.slice(cut).join('');
          const chained = rest === '' ? first : fastLatestMetric(rest, first);
          const exact = latestMetric(parseRunMetricFile(lines.join(''), 'k'));
          expect(chained).toEqual(whole);
          expect({ v: whole?.value, t: whole?.timestamp, s: whole?.step }).toEqual({ v: exact.value, t: exact.timestamp, s: exact.step });
        },
      ),
      { numRuns: 3000 },
    );
  });
});
