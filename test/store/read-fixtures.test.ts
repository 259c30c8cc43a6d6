/**
 * What every pinned MLflow version wrote, we read as that version's Python client reads it:
 * each fixture's `expected.json` (Python's own dump) equals our dump of the same folder.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture, fixtureFor, loadExpected } from '../oracle/fixtures.js';
import { diffValues, normalizeDump } from '../oracle/normalize.js';
import { GENERATED_ROOT_PARENT } from '../oracle/fixtures.js';
import type { OracleVersion } from '../oracle/oracle.js';
import { dumpWithOurLibrary } from './dump.js';

const copies: string[] = [];
afterAll(() => {
  for (const c of copies) rmSync(path.dirname(c), { recursive: true, force: true });
});

describe.each(['3', '2', '1'] as OracleVersion[])('fixture written by MLflow %s', (version) => {
  it('reads every experiment, run, metric history and logged model as Python does', async () => {
    const fixture = fixtureFor(version);
    const root = copyFixture(fixture);
    copies.push(root);
    const expected = loadExpected(fixture);
    const generatedRoot = path.join(GENERATED_ROOT_PARENT, `mlflow-${expected.version}`, 'mlruns');
    const ours = await dumpWithOurLibrary(root, version);
    const py = normalizeDump(expected, { version, roots: [generatedRoot, root] });
    const mine = normalizeDump({ ...ours, version: expected.version }, { version, roots: [generatedRoot, root] });
    expect(diffValues(mine, py)).toEqual([]);
    // Only 1.x stores have the legacy "deleted but says active" experiment; nothing else warns.
    const kinds = new Set(ours.warnings.map((w) => (w as { code: string }).code));
    for (const k of kinds) expect(['LIFECYCLE_CONFLICT']).toContain(k);
  });
});
