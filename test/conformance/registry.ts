/**
 * The RegistryStore conformance suite: the model-registry behaviour every backend (file
 * registry, SQLite, REST) must share, written once against the public API (`MlflowClient`'s
 * registry methods and its `RegistryStore`). No file paths; version numbers are MLflow's
 * (1, 2, 3... per model), which every backend shares.
 *
 * @example
 * ```ts
 * describeRegistryStoreConformance('file', async () => {
 *   const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conf-'));
 *   const client = new MlflowClient(dir);
 *   return { uri: dir, client, cleanup: async () => { client.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
 * });
 * ```
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../src/entities.js';
import type { RegistryStore } from '../../src/store/registry-store.js';
import type { MlflowClient } from '../../src/tracking/client.js';
import type { ConformanceTarget } from './target.js';
import { expectMlflowError, unique } from './target.js';

const versions = (mvs: ModelVersion[]): string[] => mvs.map((mv) => mv.version);

/**
 * Registers the registry conformance tests of one backend. `setup` runs once (in `beforeAll`);
 * every test uses its own model names, so tests are independent.
 */
export function describeRegistryStoreConformance(backend: string, setup: () => Promise<ConformanceTarget>): void {
  describe(`RegistryStore conformance: ${backend}`, () => {
    let target: ConformanceTarget;
    let client: MlflowClient;
    let registry: RegistryStore;
    let runId: string;

    beforeAll(async () => {
      target = await setup();
      client = target.client;
      registry = client.registry.store;
      const exp = await client.createExperiment(unique('registry-runs'));
      runId = (await client.createRun(exp)).info.runId;
      await client.logText(runId, 'flavors: {}\n', 'model/MLmodel');
    });
    afterAll(async () => {
      await target?.cleanup();
    });

    /** A model with `n` versions made from the test run's `model` folder. */
    const modelWithVersions = async (prefix: string, n: number): Promise<string> => {
      const name = unique(prefix);
      await client.createRegisteredModel(name);
      for (let i = 0; i < n; i++) await client.createModelVersion(name, `runs:/${runId}/model`, { runId });
      return name;
    };

    describe('registered models', () => {
      it('creates a model with tags and a description and reads it back', async () => {
        const name = unique('iris');
        const created = await client.createRegisteredModel(name, { tags: { team: 'ml', n: 2 }, description: 'Iris classifier' });
        expect(created).toMatchObject({ name, description: 'Iris classifier', tags: { team: 'ml', n: '2' } });
        const got = await client.getRegisteredModel(name);
        expect(got).toMatchObject({ name, description: 'Iris classifier', tags: { team: 'ml', n: '2' }, latestVersions: [], aliases: {} });
        expect(typeof got.creationTimestamp).toBe('number');
      });

      it('refuses a duplicate, an empty name and unknown names', async () => {
        const name = unique('dup');
        await client.createRegisteredModel(name);
        await expectMlflowError(client.createRegisteredModel(name), 'RESOURCE_ALREADY_EXISTS');
        await expectMlflowError(client.createRegisteredModel(''), 'INVALID_PARAMETER_VALUE');
        const missing = unique('missing');
        await expectMlflowError(client.getRegisteredModel(missing), 'RESOURCE_DOES_NOT_EXIST', new RegExp(missing));
        await expectMlflowError(client.deleteRegisteredModel(missing), 'RESOURCE_DOES_NOT_EXIST');
        // MLflow's file registry reports this as INTERNAL_ERROR ("Model Version creation error"); its SQL store as not found.
        await expectMlflowError(
          client.createModelVersion(missing, `runs:/${runId}/model`, { runId }),
          ['RESOURCE_DOES_NOT_EXIST', 'INTERNAL_ERROR'],
          new RegExp(missing),
        );
      });

      it('updates the description', async () => {
        const name = unique('describe');
        await client.createRegisteredModel(name);
        const updated = await client.updateRegisteredModel(name, { description: 'now described' });
        expect(updated.description).toBe('now described');
        expect((await client.getRegisteredModel(name)).description).toBe('now described');
      });

      it('sets, overwrites and deletes model tags', async () => {
        const name = unique('tags');
        await client.createRegisteredModel(name);
        await client.setRegisteredModelTag(name, 'a', 1);
        await client.setRegisteredModelTag(name, 'b', 'x');
        await client.setRegisteredModelTag(name, 'a', 'one');
        expect((await client.getRegisteredModel(name)).tags).toEqual({ a: 'one', b: 'x' });
        await client.deleteRegisteredModelTag(name, 'b');
        expect((await client.getRegisteredModel(name)).tags).toEqual({ a: 'one' });
      });

      it('renames a model with its versions; the old name is gone', async () => {
        const name = await modelWithVersions('rename', 2);
        const newName = unique('renamed');
        const renamed = await client.renameRegisteredModel(name, newName);
        expect(renamed.name).toBe(newName);
        await expectMlflowError(client.getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST');
        const mv = await client.getModelVersion(newName, 2);
        expect(mv.name).toBe(newName);
        const other = await modelWithVersions('rename-target', 0);
        await expectMlflowError(client.renameRegisteredModel(newName, other), 'RESOURCE_ALREADY_EXISTS');
      });

      it('deletes a model and its versions', async () => {
        const name = await modelWithVersions('delete', 2);
        await client.deleteRegisteredModel(name);
        await expectMlflowError(client.getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST');
        await expectMlflowError(client.getModelVersion(name, 1), 'RESOURCE_DOES_NOT_EXIST');
        const { modelVersions } = await client.searchModelVersions({ filterString: `name = '${name}'` });
        expect(modelVersions).toEqual([]);
        await client.createRegisteredModel(name);
        expect((await client.createModelVersion(name, `runs:/${runId}/model`, { runId })).version).toBe('1');
      });

      it('searches models with filters, order and pages', async () => {
        const prefix = unique('search');
        for (const i of [3, 1, 4, 0, 2]) {
          await client.createRegisteredModel(`${prefix}-${i}`, { tags: { parity: i % 2 === 0 ? 'even' : 'odd' } });
        }
        const like = `name LIKE '${prefix}-%'`;
        const asc = await client.searchRegisteredModels({ filterString: like, orderBy: ['name ASC'] });
        expect(asc.registeredModels.map((m) => m.name)).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
        const desc = await client.searchRegisteredModels({ filterString: like, orderBy: ['name DESC'] });
        expect(desc.registeredModels.map((m) => m.name)).toEqual([4, 3, 2, 1, 0].map((i) => `${prefix}-${i}`));
        const odd = await client.searchRegisteredModels({ filterString: `${like} AND tags.parity = 'odd'`, orderBy: ['name'] });
        expect(odd.registeredModels.map((m) => m.name)).toEqual([`${prefix}-1`, `${prefix}-3`]);
        const exact = await client.searchRegisteredModels({ filterString: `name = '${prefix}-2'` });
        expect(exact.registeredModels.map((m) => m.name)).toEqual([`${prefix}-2`]);

        const seen: string[] = [];
        let pageToken: string | null = null;
        let pages = 0;
        do {
          const page: { registeredModels: Array<{ name: string }>; token: string | null } = await client.searchRegisteredModels({
            filterString: like,
            orderBy: ['name ASC'],
            maxResults: 2,
            pageToken,
          });
          expect(page.registeredModels.length).toBeLessThanOrEqual(2);
          seen.push(...page.registeredModels.map((m) => m.name));
          pageToken = page.token;
          pages += 1;
        } while (pageToken && pages < 10);
        expect(seen).toEqual(asc.registeredModels.map((m) => m.name));
        expect(pages).toBeGreaterThanOrEqual(3);
      });

      it('rejects a malformed model filter', async () => {
        await expectMlflowError(client.searchRegisteredModels({ filterString: 'name ===' }), 'INVALID_PARAMETER_VALUE');
      });
    });

    describe('model versions', () => {
      it('numbers versions 1, 2, 3 and keeps their source, run and status', async () => {
        const name = unique('versions');
        await client.createRegisteredModel(name);
        const v1 = await client.createModelVersion(name, `runs:/${runId}/model`, { runId, description: 'first', tags: { k: 'v' } });
        const v2 = await client.createModelVersion(name, `runs:/${runId}/model`, { runId });
        const v3 = await client.createModelVersion(name, `runs:/${runId}/model`, { runId });
        expect(versions([v1, v2, v3])).toEqual(['1', '2', '3']);
        expect(v1).toMatchObject({ name, source: `runs:/${runId}/model`, runId, currentStage: 'None', status: 'READY', description: 'first' });
        const got = await client.getModelVersion(name, '1');
        expect(got).toMatchObject({ name, version: '1', runId, description: 'first', tags: { k: 'v' } });
        expect((await client.getModelVersion(name, 2)).version).toBe('2');
        await expectMlflowError(client.getModelVersion(name, 9), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('updates a version description and its tags', async () => {
        const name = await modelWithVersions('mvtags', 1);
        const updated = await client.updateModelVersion(name, 1, { description: 'tuned' });
        expect(updated.description).toBe('tuned');
        await client.setModelVersionTag(name, 1, 'a', 1);
        await client.setModelVersionTag(name, 1, 'b', 'x');
        await client.deleteModelVersionTag(name, 1, 'b');
        const mv = await client.getModelVersion(name, 1);
        expect(mv.description).toBe('tuned');
        expect(mv.tags).toEqual({ a: '1' });
      });

      it('deletes a version without reusing its number', async () => {
        const name = await modelWithVersions('delversion', 2);
        await client.deleteModelVersion(name, 2);
        await expectMlflowError(client.getModelVersion(name, 2), 'RESOURCE_DOES_NOT_EXIST');
        const v3 = await client.createModelVersion(name, `runs:/${runId}/model`, { runId });
        expect(v3.version).toBe('3');
      });

      it('searches versions by name and run', async () => {
        const name = await modelWithVersions('searchmv', 3);
        const byName = await client.searchModelVersions({ filterString: `name = '${name}'` });
        expect(versions(byName.modelVersions).sort()).toEqual(['1', '2', '3']);
        const byRun = await client.searchModelVersions({ filterString: `name = '${name}' AND run_id = '${runId}'` });
        expect(byRun.modelVersions).toHaveLength(3);
        const ordered = await client.searchModelVersions({ filterString: `name = '${name}'`, orderBy: ['version_number DESC'] });
        expect(versions(ordered.modelVersions)).toEqual(['3', '2', '1']);
      });

      it('gives a download URI for a version', async () => {
        const name = await modelWithVersions('download', 1);
        const uri = await client.getModelVersionDownloadUri(name, 1);
        expect(typeof uri).toBe('string');
        expect(uri).not.toBe('');
      });
    });

    describe('stages', () => {
      it('transitions stages and reports the latest version per stage', async () => {
        const name = await modelWithVersions('stages', 3);
        const staged = await client.transitionModelVersionStage(name, 1, 'staging');
        expect(staged.currentStage).toBe('Staging');
        await client.transitionModelVersionStage(name, 2, 'Production');
        const latest = await client.getLatestVersions(name);
        const byStage = Object.fromEntries(latest.map((mv) => [mv.currentStage, mv.version]));
        expect(byStage).toEqual({ None: '3', Staging: '1', Production: '2' });
        expect(versions(await client.getLatestVersions(name, ['Production']))).toEqual(['2']);
        expect(await client.getLatestVersions(name, ['Archived'])).toEqual([]);
        const rm = await client.getRegisteredModel(name);
        expect(versions(rm.latestVersions).sort()).toEqual(['1', '2', '3']);
      });

      it('archives the versions already in a stage when asked', async () => {
        const name = await modelWithVersions('archive', 2);
        await client.transitionModelVersionStage(name, 1, 'Production');
        await client.transitionModelVersionStage(name, 2, 'Production', { archiveExistingVersions: true });
        expect((await client.getModelVersion(name, 1)).currentStage).toBe('Archived');
        expect((await client.getModelVersion(name, 2)).currentStage).toBe('Production');
      });

      it('rejects an unknown stage', async () => {
        const name = await modelWithVersions('badstage', 1);
        await expectMlflowError(client.transitionModelVersionStage(name, 1, 'Deployed'), 'INVALID_PARAMETER_VALUE');
        expect((await client.getModelVersion(name, 1)).currentStage).toBe('None');
      });
    });

    describe('aliases', () => {
      it('sets, moves, reads and deletes an alias', async () => {
        const name = await modelWithVersions('alias', 2);
        await client.setRegisteredModelAlias(name, 'champion', 1);
        expect((await client.getModelVersionByAlias(name, 'champion')).version).toBe('1');
        expect((await client.getModelVersion(name, 1)).aliases).toEqual(['champion']);
        await client.setRegisteredModelAlias(name, 'champion', '2');
        expect((await client.getModelVersionByAlias(name, 'champion')).version).toBe('2');
        expect((await client.getModelVersion(name, 1)).aliases).toEqual([]);
        expect((await client.getRegisteredModel(name)).aliases).toEqual({ champion: '2' });
        await client.deleteRegisteredModelAlias(name, 'champion');
        expect((await client.getRegisteredModel(name)).aliases).toEqual({});
        await expectMlflowError(client.getModelVersionByAlias(name, 'champion'), 'INVALID_PARAMETER_VALUE');
      });

      it('refuses reserved aliases and aliases of missing versions', async () => {
        const name = await modelWithVersions('alias-bad', 1);
        await expectMlflowError(client.setRegisteredModelAlias(name, 'latest', 1), 'INVALID_PARAMETER_VALUE');
        await expectMlflowError(client.setRegisteredModelAlias(name, 'v1', 1), 'INVALID_PARAMETER_VALUE');
        await expectMlflowError(client.setRegisteredModelAlias(name, 'ok', 7), 'RESOURCE_DOES_NOT_EXIST');
      });

      it('drops the aliases of a deleted version', async () => {
        const name = await modelWithVersions('alias-del', 2);
        await client.setRegisteredModelAlias(name, 'best', 2);
        await client.deleteModelVersion(name, 2);
        expect((await client.getRegisteredModel(name)).aliases).toEqual({});
      });
    });

    it('exposes the same answers through the RegistryStore interface', async () => {
      const name = await modelWithVersions('store', 1);
      const rm = await registry.getRegisteredModel(name);
      expect(rm.name).toBe(name);
      const mv = await registry.getModelVersion(name, 1);
      expect(mv.version).toBe('1');
      const page = await registry.searchRegisteredModels({ filterString: `name = '${name}'` });
      expect(page.items.map((m) => m.name)).toEqual([name]);
      expect(Array.isArray(registry.warnings)).toBe(true);
    });
  });
}
