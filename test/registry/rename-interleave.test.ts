/**
 * Two things Python alone cannot show:
 * - renaming a model whose versions have tags (MLflow 2.22/3.17 crash half-way: AttributeError on
 *   `tag.key`; we finish what it intends: versions and their tags copied, one model timestamp bump
 *   per tag) — and Python reads the result as we do;
 * - Python and we writing the same registry in turns: each sees the other's versions, numbers
 *   continue, aliases and stages set by one are honoured by the other.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRegistryStore } from '../../src/store/file/registry-store.js';
import { Oracle, type DumpedRegisteredModel } from '../oracle/oracle.js';
import { diffValues } from '../oracle/normalize.js';
import { T, copyBase, counterClock, makeBase, normalizeRegistry, ourClient, ourRegistryDump, tmpDirsCreated, type Base } from './helpers.js';

afterAll(() => {
  for (const d of tmpDirsCreated()) rmSync(d, { recursive: true, force: true });
});

let py: Oracle;
let base: Base;
beforeAll(async () => {
  py = await Oracle.start('3');
  base = await makeBase(py);
});
afterAll(async () => {
  await py?.close();
});

describe('rename with version tags', () => {
  it('copies versions (soft-deleted too) and their tags, drops model tags and aliases', async () => {
    const root = copyBase(base, 'rename');
    const clock = counterClock();
    const c = ourClient(root, 'mlflow3', clock.now);
    await c.createRegisteredModel('old', { tags: { team: 'a' }, description: 'd' }); // T+1, tag T+2
    await c.createModelVersion('old', '/m/1', { tags: { x: '1', 'n/k': '2' } }); // T+3, tags T+4, T+5
    await c.createModelVersion('old', '/m/2'); // T+6
    await c.setRegisteredModelAlias('old', 'champ', '2'); // T+7
    await c.deleteModelVersion('old', '2'); // T+8 (+ alias deletion T+9)
    const renamed = await c.renameRegisteredModel('old', 'new'); // T+10, then one reading per version tag: T+11, T+12
    expect(clock.count()).toBe(12);
    expect(existsSync(path.join(root, 'models', 'old'))).toBe(false);
    expect(renamed).toMatchObject({ name: 'new', tags: {}, aliases: {}, description: 'd', lastUpdatedTimestamp: T + 12, creationTimestamp: T + 1 });
    const v1 = await c.getModelVersion('new', '1');
    expect(v1).toMatchObject({ name: 'new', tags: { x: '1', 'n/k': '2' }, lastUpdatedTimestamp: T + 10, creationTimestamp: T + 3 });
    await expect(c.getModelVersion('new', '2')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(readFileSync(path.join(root, 'models', 'new', 'version-2', 'meta.yaml'), 'utf8')).toContain('current_stage: Deleted_Internal');
    expect((await c.createModelVersion('new', '/m/3')).version).toBe('3');
    const theirs = normalizeRegistry((await py.dump(root)).registeredModels as DumpedRegisteredModel[], '3');
    expect(diffValues(normalizeRegistry(await ourRegistryDump(c), '3'), theirs)).toEqual([]);
  });
});

describe('prompts (registered models tagged mlflow.prompt.is_prompt) share the registry', () => {
  it('are hidden and refused as Python hides and refuses them', async () => {
    const root = copyBase(base, 'prompts');
    await py.exec(root, "mlflow.genai.register_prompt(name='myprompt', template='Hello {{x}}')");
    const c = ourClient(root, 'mlflow3');
    await c.createRegisteredModel('real-model');
    expect((await c.searchRegisteredModels()).registeredModels.map((m) => m.name)).toEqual(['real-model']);
    expect((await c.searchModelVersions()).modelVersions).toEqual([]);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["client.get_registered_model('myprompt')", () => c.getRegisteredModel('myprompt')],
      ["client.create_registered_model('myprompt')", () => c.createRegisteredModel('myprompt')],
      ["client.get_model_version('myprompt', '1')", () => c.getModelVersion('myprompt', '1')],
      ["client.create_registered_model('p2', tags={'mlflow.prompt.is_prompt': 'true'})", () => c.createRegisteredModel('p2', { tags: { 'mlflow.prompt.is_prompt': 'true' } })],
      ["client.delete_registered_model('myprompt')", () => c.deleteRegisteredModel('myprompt')],
    ];
    for (const [code, ours] of calls) {
      const theirs = await py.execOrError(root, code);
      expect(theirs, code).toHaveProperty('error');
      const e = (theirs as { error: { code: string; message: string } }).error;
      await expect(ours(), code).rejects.toMatchObject({ code: e.code, message: e.message });
    }
    // The prompt is still there for Python.
    expect(await py.exec(root, "result = mlflow.genai.load_prompt('prompts:/myprompt/1').template")).toBe('Hello {{x}}');
  });
});

describe('a FileRegistryStore on its own', () => {
  it('finds logged models through the tracking store of its root', async () => {
    const root = copyBase(base, 'standalone');
    const store = new FileRegistryStore(root, { profile: 'mlflow3' });
    await store.createRegisteredModel('solo');
    const mv = await store.createModelVersion('solo', `models:/${base.modelId}`, { modelId: base.modelId });
    expect(mv).toMatchObject({ version: '1', runId: base.runId, modelId: base.modelId });
    expect(mv.storageLocation).toMatch(new RegExp(`/models/${base.modelId}/artifacts$`));
    const theirs = await py.exec<{ runId: string; modelId: string }>(root, "result = client.get_model_version('solo', '1')");
    expect(theirs).toMatchObject({ runId: base.runId, modelId: base.modelId });
  });
});

describe('Python and we writing the same registry in turns', () => {
  it('each continues where the other left off', async () => {
    const root = copyBase(base, 'turns');
    const c = ourClient(root, 'mlflow3');
    await c.createRegisteredModel('shared', { description: 'ours' });
    await c.createModelVersion('shared', '/m/1');
    await py.exec(root, "client.create_model_version('shared', '/m/2', tags={'by': 'python'})");
    const v3 = await c.createModelVersion('shared', '/m/3', { tags: { by: 'mlruns' } });
    expect(v3.version).toBe('3');
    await py.exec(root, "client.set_registered_model_alias('shared', 'champ', '3'); client.transition_model_version_stage('shared', '2', 'Production')");
    expect((await c.getModelVersionByAlias('shared', 'champ')).version).toBe('3');
    await c.transitionModelVersionStage('shared', '3', 'production', { archiveExistingVersions: true });
    await c.deleteModelVersion('shared', '1');
    const seen = await py.exec<{ prod: string[]; arch: string[]; champ: string; n: string; tags: Record<string, string> }>(
      root,
      String.raw`
result = {
  'prod': [v.version for v in client.get_latest_versions('shared', ['Production'])],
  'arch': [v.version for v in client.get_latest_versions('shared', ['Archived'])],
  'champ': client.get_model_version_by_alias('shared', 'champ').version,
  'n': client.create_model_version('shared', '/m/4').version,
  'tags': client.get_model_version('shared', '3').tags,
}
`,
    );
    expect(seen).toEqual({ prod: [3], arch: [2], champ: 3, n: 4, tags: { by: 'mlruns' } });
    const theirs = normalizeRegistry((await py.dump(root)).registeredModels as DumpedRegisteredModel[], '3');
    expect(diffValues(normalizeRegistry(await ourRegistryDump(c), '3'), theirs)).toEqual([]);
  });
});
