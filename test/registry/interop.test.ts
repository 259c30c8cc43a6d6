/**
 * Python and we run the same registry scenario (create, versions from paths / runs:/ / models:/,
 * tags, aliases, stages with archiving, soft delete, rename, delete, register_model) on copies of
 * one store, with the registry clock pinned on both sides. Then:
 * - the registry files are byte-identical (profile `mlflow3` vs 3.17, `compat` vs 2.22);
 * - each side reads both stores as the other does (entities equal after normalization);
 * - point reads and searches (filters, order_by, paging) agree.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteProfile } from '../../src/store/file/records.js';
import type { RegistryClient } from '../../src/tracking/registry.js';
import { Oracle, isPyError, type DumpedRegisteredModel, type OracleVersion } from '../oracle/oracle.js';
import { canonicalize, diffValues, normalizeModelVersion, normalizeRegisteredModel } from '../oracle/normalize.js';
import type { ModelVersion, RegisteredModel } from '../../src/entities.js';
import {
  PY_OPS,
  T,
  copyBase,
  counterClock,
  makeBase,
  normalizeRegistry,
  ourClient,
  ourRegistryDump,
  runOurOps,
  scenario,
  snapshot,
  substitute,
  tmpDirsCreated,
  type Base,
} from './helpers.js';

afterAll(() => {
  for (const d of tmpDirsCreated()) rmSync(d, { recursive: true, force: true });
});

const PROFILE: Record<'3' | '2', WriteProfile> = { '3': 'mlflow3', '2': 'compat' };

function normEntity(x: unknown, version: OracleVersion): unknown {
  if (Array.isArray(x)) return x.map((y) => normEntity(y, version));
  if (x && typeof x === 'object') {
    if ('latestVersions' in x) return normalizeRegisteredModel(x as RegisteredModel, version);
    if ('currentStage' in x) return normalizeModelVersion(x as ModelVersion, version);
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, normEntity(v, version)]));
  }
  return x;
}

describe.each(['3', '2'] as const)('registry scenario with MLflow %s', (version) => {
  let py: Oracle;
  let base: Base;
  let pyRoot: string;
  let ourRoot: string;
  let pyClockReadings: number;
  let ourClockReadings: number;
  let client: RegistryClient;

  beforeAll(async () => {
    py = await Oracle.start(version);
    base = await makeBase(py);
    pyRoot = copyBase(base, `py${version}`);
    ourRoot = copyBase(base, `ours${version}`);
    const ops = substitute(scenario(version), base);
    pyClockReadings = await py.exec<number>(pyRoot, PY_OPS, { ops, T });
    const clock = counterClock();
    client = ourClient(ourRoot, PROFILE[version], clock.now);
    await runOurOps(client, ops);
    ourClockReadings = clock.count();
  });
  afterAll(async () => {
    await py?.close();
  });

  it('reads the clock exactly as often as MLflow does', () => {
    expect(ourClockReadings).toBe(pyClockReadings);
  });

  it('writes byte-identical registry files (every meta.yaml, tag and alias file)', () => {
    const ours = snapshot(path.join(ourRoot, 'models'));
    const theirs = snapshot(path.join(pyRoot, 'models'));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(Object.keys(ours).filter((k) => k.endsWith('meta.yaml')).length).toBe(version === '3' ? 26 : 19);
    expect(diffValues(ours, theirs)).toEqual([]);
  });

  it('writes the logged model links MLflow writes (mlflow.modelVersions tag)', async () => {
    if (version !== '3') return;
    const tagOf = (root: string, id: string): string | undefined =>
      snapshot(path.join(root, base.experimentId, 'models', id, 'tags'))['mlflow.modelVersions'];
    for (const id of [base.modelId!, base.namedModelId!]) {
      expect(tagOf(ourRoot, id)).toBeDefined();
      expect(tagOf(ourRoot, id)).toBe(tagOf(pyRoot, id));
    }
  });

  it('reads what Python wrote as Python reads it', async () => {
    const dump = await py.dump(pyRoot);
    expect(isPyError(dump.registeredModels)).toBe(false);
    const theirs = normalizeRegistry(dump.registeredModels as DumpedRegisteredModel[], version);
    const ours = normalizeRegistry(await ourRegistryDump(ourClient(pyRoot, PROFILE[version])), version);
    expect(diffValues(ours, theirs)).toEqual([]);
    expect((theirs as unknown[]).length).toBe(version === '3' ? 9 : 6);
  });

  it('Python reads what we wrote as we read it, and sees the same as in its own store', async () => {
    const dumpOurs = await py.dump(ourRoot);
    const dumpTheirs = await py.dump(pyRoot);
    const pyOnOurs = normalizeRegistry(dumpOurs.registeredModels as DumpedRegisteredModel[], version);
    expect(diffValues(normalizeRegistry(await ourRegistryDump(client), version), pyOnOurs)).toEqual([]);
    expect(diffValues(pyOnOurs, normalizeRegistry(dumpTheirs.registeredModels as DumpedRegisteredModel[], version))).toEqual([]);
  });

  it('get_registered_model, get_model_version, by alias, latest versions, download URI agree', async () => {
    const code = String.raw`
major = int(mlflow.__version__.split('.')[0])
bv = lambda xs: sorted(xs, key=lambda v: int(v.version))
result = {
    'rm': client.get_registered_model('fixture-model'),
    'renamed': client.get_registered_model('renamed-model'),
    'unicode': client.get_registered_model('zeta model ü'),
    'mv1': client.get_model_version('fixture-model', '1'),
    'mv2': client.get_model_version('fixture-model', 2),
    'mv4': client.get_model_version('fixture-model', '4'),
    'champion': client.get_model_version_by_alias('fixture-model', 'champion'),
    'challenger': client.get_model_version_by_alias('fixture-model', 'challenger'),
    'renamedChampion': client.get_model_version_by_alias('renamed-model', 'champion') if False else None,
    'latestAll': bv(client.get_latest_versions('fixture-model')),
    'latestProd': client.get_latest_versions('fixture-model', ['production']),
    'latestStagingNone': bv(client.get_latest_versions('fixture-model', ['Staging', 'None', 'archived'])),
    'latestEmpty': client.get_latest_versions('empty-model'),
    'download1': client.get_model_version_download_uri('fixture-model', '1'),
    'download2': client.get_model_version_download_uri('fixture-model', '2'),
    'download4': client.get_model_version_download_uri('fixture-model', '4'),
    'latestAlias': client.get_model_version_by_alias('fixture-model', 'latest') if major >= 3 else None,
}
`;
    const byVersion = (xs: ModelVersion[]): ModelVersion[] => [...xs].sort((a, b) => Number(a.version) - Number(b.version));
    for (const root of [ourRoot, pyRoot]) {
      const theirs = await py.exec<Record<string, unknown>>(root, code);
      const c = ourClient(root, PROFILE[version]);
      const ours: Record<string, unknown> = {
        rm: await c.getRegisteredModel('fixture-model'),
        renamed: await c.getRegisteredModel('renamed-model'),
        unicode: await c.getRegisteredModel('zeta model ü'),
        mv1: await c.getModelVersion('fixture-model', '1'),
        mv2: await c.getModelVersion('fixture-model', 2),
        mv4: await c.getModelVersion('fixture-model', '4'),
        champion: await c.getModelVersionByAlias('fixture-model', 'champion'),
        challenger: await c.getModelVersionByAlias('fixture-model', 'challenger'),
        renamedChampion: null,
        latestAll: byVersion(await c.getLatestVersions('fixture-model')),
        latestProd: await c.getLatestVersions('fixture-model', ['production']),
        latestStagingNone: byVersion(await c.getLatestVersions('fixture-model', ['Staging', 'None', 'archived'])),
        latestEmpty: await c.getLatestVersions('empty-model'),
        download1: await c.getModelVersionDownloadUri('fixture-model', '1'),
        download2: await c.getModelVersionDownloadUri('fixture-model', '2'),
        download4: await c.getModelVersionDownloadUri('fixture-model', '4'),
        latestAlias: version === '3' ? await c.getModelVersionByAlias('fixture-model', 'latest') : null,
      };
      expect(diffValues(canonicalize(normEntity(ours, version)), canonicalize(normEntity(theirs, version)))).toEqual([]);
    }
  });

  const rmCases: Array<{ filter?: string; orderBy?: string[]; maxResults?: number }> = [
    {},
    { filter: "name LIKE '%model%'" },
    { filter: "name ILIKE 'FIXTURE%'" },
    { filter: "name = 'renamed-model'" },
    { filter: "name != 'empty-model'", orderBy: ['name DESC'] },
    { filter: "tags.team = 'ml-2'" },
    { filter: "tag.`ünï` = '✓'" },
    { filter: "tags.team LIKE 'ml%'" },
    { orderBy: ['last_updated_timestamp DESC'] },
    { orderBy: ['creation_timestamp ASC'] },
    { orderBy: ['name'], maxResults: 3 },
    { orderBy: ['last_updated_timestamp ASC', 'name DESC'], maxResults: 2 },
  ];
  it.each(rmCases.map((c) => [JSON.stringify(c), c] as const))('search_registered_models %s agrees (all pages)', async (_label, c) => {
    let token: string | null = null;
    let pages = 0;
    do {
      const theirs = await py.searchRegisteredModels(ourRoot, { ...c, pageToken: token });
      if (isPyError(theirs)) throw new Error(theirs.error.message);
      const ours = await client.searchRegisteredModels({
        filterString: c.filter ?? null,
        orderBy: c.orderBy ?? null,
        ...(c.maxResults !== undefined ? { maxResults: c.maxResults } : {}),
        pageToken: token,
      });
      expect(ours.registeredModels.map((m) => m.name)).toEqual(theirs.names);
      expect(ours.token).toEqual(theirs.token);
      expect(diffValues(canonicalize(normEntity(ours.registeredModels, version)), canonicalize(normEntity(theirs.items, version)))).toEqual([]);
      token = theirs.token;
      pages++;
    } while (token && pages < 20);
  });

  const mvCases = (b: () => Base | undefined): Array<{ filter?: string; orderBy?: string[]; maxResults?: number }> => [
    {},
    { filter: "name = 'fixture-model'" },
    { filter: `run_id = '${b()?.runId}'` },
    { filter: `run_id IN ('${b()?.runId}', 'other')` },
    { filter: 'version_number > 1', orderBy: ['version_number ASC', 'name DESC'] },
    { filter: "name = 'fixture-model' AND version_number >= 2" },
    { filter: "tags.v = '1'" },
    { filter: "source_path LIKE '%/art/%'" },
    { filter: "name LIKE 'reg%'", orderBy: ['creation_timestamp DESC'] },
    { orderBy: ['last_updated_timestamp ASC'], maxResults: 3 },
    { orderBy: ['name ASC', 'version_number DESC'], maxResults: 4 },
  ];
  it.each(mvCases(() => undefined).map((_c, i) => [i] as const))('search_model_versions case %i agrees (all pages)', async (i) => {
    const c = mvCases(() => base)[i]!;
    let token: string | null = null;
    let pages = 0;
    do {
      const theirs = await py.searchModelVersions(ourRoot, { ...c, pageToken: token });
      if (isPyError(theirs)) throw new Error(theirs.error.message);
      const ours = await client.searchModelVersions({
        filterString: c.filter ?? null,
        orderBy: c.orderBy ?? null,
        ...(c.maxResults !== undefined ? { maxResults: c.maxResults } : {}),
        pageToken: token,
      });
      expect(ours.modelVersions.map((v) => `${v.name}/${v.version}`)).toEqual(theirs.versions.map((v) => `${v.name}/${v.version}`));
      expect(ours.token).toEqual(theirs.token);
      expect(diffValues(canonicalize(normEntity(ours.modelVersions, version)), canonicalize(normEntity(theirs.items, version)))).toEqual([]);
      token = theirs.token;
      pages++;
    } while (token && pages < 20);
  });
});
