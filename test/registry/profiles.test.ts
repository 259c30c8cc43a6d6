/**
 * Both write profiles are read by both MLflow majors: the full scenario (3.x operations
 * included) written by us in `compat` and in `mlflow3`, then dumped by Python 2.22 and 3.17,
 * equals what we read. Also: rewriting a store written by one profile with the other keeps the
 * keys only the other MLflow knows (model_id, workspace, deployment_job_*).
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteProfile } from '../../src/store/file/records.js';
import { Oracle, isPyError, type DumpedRegisteredModel } from '../oracle/oracle.js';
import { diffValues } from '../oracle/normalize.js';
import {
  copyBase,
  counterClock,
  makeBase,
  normalizeRegistry,
  ourClient,
  ourRegistryDump,
  runOurOps,
  scenario,
  substitute,
  tmpDirsCreated,
  type Base,
} from './helpers.js';

afterAll(() => {
  for (const d of tmpDirsCreated()) rmSync(d, { recursive: true, force: true });
});

let py3: Oracle;
let py2: Oracle;
let base: Base;
const roots: Partial<Record<WriteProfile, string>> = {};

beforeAll(async () => {
  [py3, py2] = await Promise.all([Oracle.start('3'), Oracle.start('2')]);
  base = await makeBase(py3);
  for (const profile of ['compat', 'mlflow3'] as const) {
    const root = copyBase(base, `profile-${profile}`);
    await runOurOps(ourClient(root, profile, counterClock().now), substitute(scenario('3'), base));
    roots[profile] = root;
  }
});
afterAll(async () => {
  await Promise.all([py3?.close(), py2?.close()]);
});

describe.each(['compat', 'mlflow3'] as const)('registry written with profile %s', (profile) => {
  it.each(['3', '2'] as const)('MLflow %s reads it as we do', async (version) => {
    const root = roots[profile]!;
    const py = version === '3' ? py3 : py2;
    const dump = await py.dump(root);
    expect(isPyError(dump.registeredModels), JSON.stringify(dump.registeredModels).slice(0, 500)).toBe(false);
    const theirs = normalizeRegistry(dump.registeredModels as DumpedRegisteredModel[], version);
    const ours = normalizeRegistry(await ourRegistryDump(ourClient(root, profile)), version);
    expect(diffValues(ours, theirs)).toEqual([]);
    expect((theirs as unknown[]).length).toBe(9);
  });
});

describe('rewriting with the other profile', () => {
  it('compat keeps the 3.x-only keys of a 3.x-written file; mlflow3 adds them to a 2.x-written one', async () => {
    const root3 = roots.mlflow3!;
    const mvMeta = (root: string): string => readFileSync(path.join(root, 'models', 'logged-model-registry', 'version-1', 'meta.yaml'), 'utf8');
    const rmMeta = (root: string): string => readFileSync(path.join(root, 'models', 'logged-model-registry', 'meta.yaml'), 'utf8');
    expect(mvMeta(root3)).toContain(`model_id: ${base.modelId}`);
    expect(rmMeta(root3)).toContain('workspace: default');
    await ourClient(root3, 'compat').updateModelVersion('logged-model-registry', '1', { description: 'compat rewrite' });
    await ourClient(root3, 'compat').updateRegisteredModel('logged-model-registry', { description: 'compat rewrite' });
    expect(mvMeta(root3)).toContain(`model_id: ${base.modelId}`);
    expect(mvMeta(root3)).toContain('workspace: default');
    expect(mvMeta(root3)).toContain('aliases: []');
    expect(rmMeta(root3)).toContain('deployment_job_id: null');

    const rootC = roots.compat!;
    expect(rmMeta(rootC)).not.toContain('workspace');
    expect(mvMeta(rootC)).toContain(`model_id: ${base.modelId}`);
    await ourClient(rootC, 'mlflow3').updateRegisteredModel('logged-model-registry', { description: 'mlflow3 rewrite' });
    expect(rmMeta(rootC)).toContain('workspace: default');
    // Python still reads both the same as we do.
    for (const [root, version] of [[root3, '3'], [rootC, '2']] as const) {
      const py = version === '3' ? py3 : py2;
      const theirs = normalizeRegistry((await py.dump(root)).registeredModels as DumpedRegisteredModel[], version);
      expect(diffValues(normalizeRegistry(await ourRegistryDump(ourClient(root, 'compat')), version), theirs)).toEqual([]);
    }
  });
});
