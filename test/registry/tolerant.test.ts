/**
 * Damaged registries: folders without, with empty or with unparsable meta.yaml, a version whose
 * meta.yaml was truncated, stray files and tag files with invalid names. Listings skip what is
 * damaged with a warning naming the path (strict mode throws MALFORMED_DATA instead); reads of
 * the damaged model itself fail with MALFORMED_DATA; everything else reads as usual.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReadWarning } from '../../src/errors.js';
import { FileRegistryStore } from '../../src/store/file/registry-store.js';
import { RegistryClient } from '../../src/tracking/registry.js';
import { tmpDir, tmpDirsCreated } from './helpers.js';

afterAll(() => {
  for (const d of tmpDirsCreated()) rmSync(d, { recursive: true, force: true });
});

describe('tolerant reads of a damaged registry', () => {
  let root: string;
  let models: string;

  beforeEach(async () => {
    root = path.join(tmpDir('damaged'), 'mlruns');
    const c = new RegistryClient(root, { now: () => 1000 });
    await c.createRegisteredModel('good', { tags: { team: 'a' } });
    await c.createModelVersion('good', '/tmp/m1');
    await c.createModelVersion('good', '/tmp/m2');
    await c.setRegisteredModelAlias('good', 'champion', '2');
    for (const n of ['no-meta', 'empty-meta', 'bad-yaml', 'not-a-map']) await c.createRegisteredModel(n);
    models = path.join(root, 'models');
    rmSync(path.join(models, 'no-meta', 'meta.yaml'));
    writeFileSync(path.join(models, 'empty-meta', 'meta.yaml'), '');
    writeFileSync(path.join(models, 'bad-yaml', 'meta.yaml'), 'name: [unclosed\n');
    writeFileSync(path.join(models, 'not-a-map', 'meta.yaml'), '- a\n- b\n');
    writeFileSync(path.join(models, 'good', 'version-1', 'meta.yaml'), '');
    writeFileSync(path.join(models, '.DS_Store'), 'x');
    writeFileSync(path.join(models, 'good', 'tags', 'bad*key'), 'v');
  });

  it('skips damaged models and versions with warnings naming their paths', async () => {
    const seen: ReadWarning[] = [];
    const c = new RegistryClient(root, { onWarning: (w) => seen.push(w) });
    const { registeredModels } = await c.searchRegisteredModels();
    expect(registeredModels.map((m) => m.name)).toEqual(['good']);
    const good = registeredModels[0]!;
    expect(good.tags).toEqual({ team: 'a' });
    expect(good.latestVersions.map((v) => v.version)).toEqual(['2']);
    expect(good.aliases).toEqual({ champion: '2' });
    const { modelVersions } = await c.searchModelVersions();
    expect(modelVersions.map((v) => `${v.name}/${v.version}`)).toEqual(['good/2']);
    const byPath = Object.fromEntries(seen.map((w) => [path.relative(models, w.path), w.code]));
    expect(byPath).toEqual({
      'no-meta': 'MISSING_META',
      'empty-meta/meta.yaml': 'EMPTY_META',
      'bad-yaml/meta.yaml': 'MALFORMED_META',
      'not-a-map/meta.yaml': 'MALFORMED_META',
      'good/version-1/meta.yaml': 'EMPTY_META',
      'good/tags/bad*key': 'STRAY_ENTRY',
    });
    for (const w of seen) expect(w.message).toContain(path.basename(w.path) === 'meta.yaml' ? path.basename(path.dirname(w.path)) : path.basename(w.path));
    expect(c.warnings.length).toBe(seen.length);
  });

  it('fails with MALFORMED_DATA (and the path) when the damaged model itself is read', async () => {
    const c = new RegistryClient(root);
    await expect(c.getRegisteredModel('empty-meta')).rejects.toMatchObject({
      code: 'MALFORMED_DATA',
      path: path.join(models, 'empty-meta'),
    });
    await expect(c.getModelVersion('good', '1')).rejects.toMatchObject({ code: 'MALFORMED_DATA' });
    expect((await c.getModelVersion('good', '2')).source).toBe('/tmp/m2');
  });

  it('strict mode throws on the first damaged entry', async () => {
    const c = new RegistryClient(root, { strict: true });
    await expect(c.searchRegisteredModels()).rejects.toMatchObject({ code: 'MALFORMED_DATA' });
    const store = new FileRegistryStore(root, { strict: true });
    expect(() => store.listAllModelVersions()).toThrow(/version-1/);
  });

  it('numbers a new version after every folder, damaged or soft-deleted', async () => {
    const c = new RegistryClient(root);
    await c.deleteModelVersion('good', '2');
    const mv = await c.createModelVersion('good', '/tmp/m3');
    // version-1 is unreadable (skipped), version-2 soft-deleted: the next number is still 3.
    expect(mv.version).toBe('3');
    // the alias on the deleted version went with it
    expect((await c.getRegisteredModel('good')).aliases).toEqual({});
  });

  it('leaves no temporary files behind and never shows a half-built version', async () => {
    const c = new RegistryClient(root);
    await c.createModelVersion('good', '/tmp/m9', { tags: { a: '1', 'b/c': '2' } });
    const entries = (dir: string): string[] => {
      const out: string[] = [];
      const walk = (d: string): void => {
        for (const e of require_('fs').readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          out.push(path.relative(models, p));
          if (e.isDirectory()) walk(p);
        }
      };
      walk(dir);
      return out;
    };
    expect(entries(path.join(models, 'good')).filter((e) => e.includes('.tmp'))).toEqual([]);
    expect(readFileSync(path.join(models, 'good', 'version-3', 'tags', 'b', 'c'), 'utf8')).toBe('2');
    mkdirSync(path.join(models, 'good', 'version-4'));
    // Another writer's folder in the making (no meta.yaml yet): the next version goes after it.
    await expect(c.createModelVersion('good', '/tmp/m10')).resolves.toMatchObject({ version: '5' });
  });
});

import { createRequire } from 'node:module';
const require_ = createRequire(import.meta.url);
