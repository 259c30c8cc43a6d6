/**
 * The committed stores written by MLflow 3.17.2 and 2.22.5 (stages, aliases, a soft-deleted
 * version, a renamed model, 3.x: a version made from a logged model): our registry reads them
 * as that MLflow's client did (the registry part of each fixture's expected.json), without a
 * single warning; and reads back equal after we rewrite every file in either profile.
 */
import path from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FileRegistryStore } from '../../src/store/file/registry-store.js';
import { GENERATED_ROOT_PARENT, copyFixture, fixtureFor, loadExpected, loadManifest } from '../oracle/fixtures.js';
import { diffValues, replaceRoots } from '../oracle/normalize.js';
import type { DumpedRegisteredModel, OracleVersion } from '../oracle/oracle.js';
import { normalizeRegistry, ourClient, ourRegistryDump } from './helpers.js';

const copies: string[] = [];
afterAll(() => {
  for (const c of copies) rmSync(path.dirname(c), { recursive: true, force: true });
});

describe.each(['3', '2'] as OracleVersion[])('registry of the fixture written by MLflow %s', (version) => {
  const fixture = fixtureFor(version);
  const expected = loadExpected(fixture);
  const generatedRoot = path.join(GENERATED_ROOT_PARENT, `mlflow-${expected.version}`, 'mlruns');

  it('reads every registered model and version as Python did (expected.json)', async () => {
    const root = copyFixture(fixture);
    copies.push(root);
    const client = ourClient(root, version === '3' ? 'mlflow3' : 'compat');
    const ours = normalizeRegistry(await ourRegistryDump(client), version);
    const theirs = normalizeRegistry(expected.registeredModels as DumpedRegisteredModel[], version);
    expect(diffValues(replaceRoots(ours, [generatedRoot, root]), replaceRoots(theirs, [generatedRoot, root]))).toEqual([]);
    expect(client.warnings).toEqual([]);
    // What the manifest says the generator did.
    const manifest = loadManifest(fixture);
    for (const [name, notes] of Object.entries(manifest.registry)) {
      const rm = await client.getRegisteredModel(name);
      expect(rm.name).toBe(name);
      for (const v of notes.deleted ?? []) {
        await expect(client.getModelVersion(name, v)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      }
      if (notes.renamedFrom) {
        await expect(client.getRegisteredModel(notes.renamedFrom)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      }
    }
  });

  it.each(['compat', 'mlflow3'] as const)('reads the same after every model meta.yaml is rewritten with profile %s', async (profile) => {
    const root = copyFixture(fixture);
    copies.push(root);
    const before = normalizeRegistry(await ourRegistryDump(ourClient(root, 'compat')), version);
    // Go through a writer of every model (description set to itself) and every live version.
    const store = new FileRegistryStore(root, { profile });
    for (const rm of store.listRegisteredModels()) {
      await store.updateRegisteredModel(rm.name, rm.description);
      for (const mv of (await store.searchModelVersions({ filterString: `name = '${rm.name}'` })).items) {
        await store.updateModelVersion(mv.name, mv.version, mv.description);
      }
    }
    const after = normalizeRegistry(await ourRegistryDump(ourClient(root, 'compat')), version);
    // Only last_updated_timestamp changes.
    const strip = (x: unknown): unknown => JSON.parse(JSON.stringify(x).replace(/"lastUpdatedTimestamp":\d+/g, '"lastUpdatedTimestamp":0'));
    expect(diffValues(strip(after), strip(before))).toEqual([]);
  });
});
