/**
 * Bad input: unknown names and versions, duplicates, reserved or malformed aliases, invalid
 * stages, sources that do not exist, invalid names, tag keys and searches. Each case runs in
 * Python's MlflowClient (3.17 and 2.22) and in ours on copies of the same store: same error code
 * and message (3.x; 2.x where its behaviour is the same), and our store is left untouched
 * (a snapshot of every file and folder before and after).
 */
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import type { RegistryClient } from '../../src/tracking/registry.js';
import { Oracle, isPyError, type OracleVersion } from '../oracle/oracle.js';
import { copyBase, makeBase, ourClient, runOurOps, scenario, snapshot, substitute, tmpDir, tmpDirsCreated, type Base } from './helpers.js';

afterAll(() => {
  for (const d of tmpDirsCreated()) rmSync(d, { recursive: true, force: true });
});

interface Case {
  label: string;
  py: string;
  ours: (c: RegistryClient, b: Base) => Promise<unknown>;
  /** MLflow versions whose error (code and message) we match; default both. */
  versions?: OracleVersion[];
  /** Compare only the code for these versions (the message differs between MLflow versions). */
  codeOnly?: OracleVersion[];
}

const UNKNOWN_RUN = 'ffffffffffffffffffffffffffffffff';

const cases: Case[] = [
  { label: 'get unknown model', py: "client.get_registered_model('nope')", ours: (c) => c.getRegisteredModel('nope') },
  { label: 'get unknown version', py: "client.get_model_version('fixture-model', '9')", ours: (c) => c.getModelVersion('fixture-model', '9') },
  { label: 'get soft-deleted version', py: "client.get_model_version('fixture-model', '5')", ours: (c) => c.getModelVersion('fixture-model', '5') },
  { label: 'version not an integer', py: "client.get_model_version('fixture-model', 'x')", ours: (c) => c.getModelVersion('fixture-model', 'x') },
  { label: 'version of unknown model', py: "client.get_model_version('nope', '1')", ours: (c) => c.getModelVersion('nope', '1') },
  { label: 'duplicate model', py: "client.create_registered_model('fixture-model')", ours: (c) => c.createRegisteredModel('fixture-model') },
  { label: 'rename onto an existing name', py: "client.rename_registered_model('empty-model', 'fixture-model')", ours: (c) => c.renameRegisteredModel('empty-model', 'fixture-model') },
  { label: 'rename unknown model', py: "client.rename_registered_model('nope', 'x')", ours: (c) => c.renameRegisteredModel('nope', 'x') },
  { label: 'rename to blank', py: "client.rename_registered_model('empty-model', '  ')", ours: (c) => c.renameRegisteredModel('empty-model', '  ') },
  { label: 'update unknown model', py: "client.update_registered_model('nope', 'd')", ours: (c) => c.updateRegisteredModel('nope', { description: 'd' }) },
  { label: 'delete unknown model', py: "client.delete_registered_model('nope')", ours: (c) => c.deleteRegisteredModel('nope') },
  { label: "name with '/'", py: "client.create_registered_model('a/b')", ours: (c) => c.createRegisteredModel('a/b'), codeOnly: ['2'] },
  { label: "name with ':'", py: "client.create_registered_model('a:b')", ours: (c) => c.createRegisteredModel('a:b'), versions: ['3'] },
  { label: "name with '%'", py: "client.create_registered_model('a%b')", ours: (c) => c.createRegisteredModel('a%b') },
  { label: 'empty name', py: "client.create_registered_model('')", ours: (c) => c.createRegisteredModel('') },
  { label: "name '..'", py: "client.create_registered_model('..')", ours: (c) => c.createRegisteredModel('..'), versions: ['3'] },
  { label: 'bad model tag key', py: "client.set_registered_model_tag('fixture-model', 'a//b', 'v')", ours: (c) => c.setRegisteredModelTag('fixture-model', 'a//b', 'v') },
  { label: 'bad version tag key', py: "client.set_model_version_tag('fixture-model', '1', '../x', 'v')", ours: (c) => c.setModelVersionTag('fixture-model', '1', '../x', 'v') },
  { label: 'tag on unknown version', py: "client.set_model_version_tag('fixture-model', '9', 'k', 'v')", ours: (c) => c.setModelVersionTag('fixture-model', '9', 'k', 'v') },
  { label: 'model tag too long', py: "client.set_registered_model_tag('fixture-model', 'k', 'x' * 100001)", ours: (c) => c.setRegisteredModelTag('fixture-model', 'k', 'x'.repeat(100001)), versions: ['3'] },
  { label: "alias 'latest'", py: "client.set_registered_model_alias('fixture-model', 'latest', '1')", ours: (c) => c.setRegisteredModelAlias('fixture-model', 'latest', '1') },
  { label: "alias 'LaTeSt'", py: "client.set_registered_model_alias('fixture-model', 'LaTeSt', '1')", ours: (c) => c.setRegisteredModelAlias('fixture-model', 'LaTeSt', '1') },
  { label: "alias 'v1'", py: "client.set_registered_model_alias('fixture-model', 'v1', '1')", ours: (c) => c.setRegisteredModelAlias('fixture-model', 'v1', '1') },
  { label: "alias 'V12'", py: "client.set_registered_model_alias('fixture-model', 'V12', '1')", ours: (c) => c.setRegisteredModelAlias('fixture-model', 'V12', '1') },
  { label: "alias 'a b'", py: "client.set_registered_model_alias('fixture-model', 'a b', '1')", ours: (c) => c.setRegisteredModelAlias('fixture-model', 'a b', '1') },
  { label: 'empty alias', py: "client.set_registered_model_alias('fixture-model', '', '1')", ours: (c) => c.setRegisteredModelAlias('fixture-model', '', '1') },
  { label: 'alias too long', py: "client.set_registered_model_alias('fixture-model', 'a' * 256, '1')", ours: (c) => c.setRegisteredModelAlias('fixture-model', 'a'.repeat(256), '1') },
  { label: 'alias to unknown version', py: "client.set_registered_model_alias('fixture-model', 'x', '9')", ours: (c) => c.setRegisteredModelAlias('fixture-model', 'x', '9') },
  { label: 'alias to deleted version', py: "client.set_registered_model_alias('fixture-model', 'x', '5')", ours: (c) => c.setRegisteredModelAlias('fixture-model', 'x', '5') },
  { label: 'alias on unknown model', py: "client.set_registered_model_alias('nope', 'x', '1')", ours: (c) => c.setRegisteredModelAlias('nope', 'x', '1') },
  { label: 'unknown alias', py: "client.get_model_version_by_alias('fixture-model', 'nope')", ours: (c) => c.getModelVersionByAlias('fixture-model', 'nope') },
  { label: 'alias of unknown model', py: "client.get_model_version_by_alias('nope', 'champion')", ours: (c) => c.getModelVersionByAlias('nope', 'champion') },
  { label: 'deleted alias', py: "client.get_model_version_by_alias('fixture-model', 'doomed')", ours: (c) => c.getModelVersionByAlias('fixture-model', 'doomed') },
  { label: 'invalid stage', py: "client.transition_model_version_stage('fixture-model', '1', 'bogus')", ours: (c) => c.transitionModelVersionStage('fixture-model', '1', 'bogus') },
  { label: 'archive into a non-active stage', py: "client.transition_model_version_stage('fixture-model', '1', 'none', archive_existing_versions=True)", ours: (c) => c.transitionModelVersionStage('fixture-model', '1', 'none', { archiveExistingVersions: true }) },
  { label: 'blank stage', py: "client.transition_model_version_stage('fixture-model', '1', ' ')", ours: (c) => c.transitionModelVersionStage('fixture-model', '1', ' ') },
  { label: 'transition unknown version', py: "client.transition_model_version_stage('fixture-model', '9', 'Staging')", ours: (c) => c.transitionModelVersionStage('fixture-model', '9', 'Staging') },
  { label: 'latest versions of invalid stage', py: "client.get_latest_versions('fixture-model', ['bogus'])", ours: (c) => c.getLatestVersions('fixture-model', ['bogus']) },
  { label: 'latest versions of unknown model', py: "client.get_latest_versions('nope')", ours: (c) => c.getLatestVersions('nope') },
  { label: 'update unknown version', py: "client.update_model_version('fixture-model', '9', 'd')", ours: (c) => c.updateModelVersion('fixture-model', '9', { description: 'd' }) },
  { label: 'update version without description', py: "client.update_model_version('fixture-model', '1', None)", ours: (c) => c.updateModelVersion('fixture-model', '1', {}) },
  { label: 'delete unknown version', py: "client.delete_model_version('fixture-model', '9')", ours: (c) => c.deleteModelVersion('fixture-model', '9') },
  { label: 'delete deleted version', py: "client.delete_model_version('fixture-model', '5')", ours: (c) => c.deleteModelVersion('fixture-model', '5') },
  { label: 'download URI of unknown version', py: "client.get_model_version_download_uri('fixture-model', '9')", ours: (c) => c.getModelVersionDownloadUri('fixture-model', '9') },
  { label: 'version of unknown model', py: "client.create_model_version('nope', '/tmp/x')", ours: (c) => c.createModelVersion('nope', '/tmp/x') },
  { label: 'source: unknown registered version', py: "client.create_model_version('fixture-model', 'models:/fixture-model/9')", ours: (c) => c.createModelVersion('fixture-model', 'models:/fixture-model/9') },
  { label: 'source: stage URI', py: "client.create_model_version('fixture-model', 'models:/fixture-model/Production')", ours: (c) => c.createModelVersion('fixture-model', 'models:/fixture-model/Production') },
  { label: 'source: unknown logged model', py: "client.create_model_version('fixture-model', 'models:/m-00000000000000000000000000000000')", ours: (c) => c.createModelVersion('fixture-model', 'models:/m-00000000000000000000000000000000'), versions: ['3'] },
  { label: 'register: unknown run', py: `mlflow.register_model('runs:/${UNKNOWN_RUN}/model', 'new-model')`, ours: (c) => c.registerModel(`runs:/${UNKNOWN_RUN}/model`, 'new-model') },
  { label: 'register: unknown registered version', py: "mlflow.register_model('models:/fixture-model/9', 'new-model')", ours: (c) => c.registerModel('models:/fixture-model/9', 'new-model'), versions: ['3'] },
  { label: 'register: run without such model', py: "mlflow.register_model('runs:/' + vars['run'] + '/nothing-here', 'new-model')", ours: (c, b) => c.registerModel(`runs:/${b.runId}/nothing-here`, 'new-model'), versions: ['3'] },
  { label: 'register: invalid name', py: "mlflow.register_model('/tmp/x', 'a%b')", ours: (c) => c.registerModel('/tmp/x', 'a%b') },
  { label: 'search: unknown attribute', py: "client.search_registered_models(filter_string=\"bogus = 'x'\")", ours: (c) => c.searchRegisteredModels({ filterString: "bogus = 'x'" }) },
  { label: 'search: bad order_by', py: "client.search_registered_models(order_by=['version_number DESC'])", ours: (c) => c.searchRegisteredModels({ orderBy: ['version_number DESC'] }),
    // The message shows a Python set, whose order changes from one Python process to the next.
    codeOnly: ['3', '2'] },
  { label: 'search: max_results 0', py: 'client.search_registered_models(max_results=0)', ours: (c) => c.searchRegisteredModels({ maxResults: 0 }) },
  { label: 'search: max_results too big', py: 'client.search_registered_models(max_results=1001)', ours: (c) => c.searchRegisteredModels({ maxResults: 1001 }) },
  { label: 'search versions: max_results too big', py: 'client.search_model_versions(max_results=200001)', ours: (c) => c.searchModelVersions({ maxResults: 200001 }) },
  { label: 'search versions: bad filter', py: "client.search_model_versions(filter_string=\"version_number = 'a'\")", ours: (c) => c.searchModelVersions({ filterString: "version_number = 'a'" }),
    // src/search prefixes this message with 'ValueError: ' (reported to its owner).
    codeOnly: ['3', '2'] },
  { label: 'search versions: bad token', py: "client.search_model_versions(page_token='xyz')", ours: (c) => c.searchModelVersions({ pageToken: 'xyz' }) },
];

describe.each(['3', '2'] as const)('bad input, MLflow %s', (version) => {
  let py: Oracle;
  let base: Base;
  let prepared: string;

  beforeAll(async () => {
    py = await Oracle.start(version);
    base = await makeBase(py);
    prepared = copyBase(base, `err${version}`);
    await runOurOps(ourClient(prepared, version === '3' ? 'mlflow3' : 'compat'), substitute(scenario(version), base));
  });
  afterAll(async () => {
    await py?.close();
  });

  const mine = cases.filter((c) => !c.versions || c.versions.includes(version));
  it.each(mine.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const pyRoot = path.join(tmpDir('errpy'), 'mlruns');
    cpSync(prepared, pyRoot, { recursive: true });
    const theirs = await py.execOrError(pyRoot, c.py, { run: base.runId });
    expect(isPyError(theirs), `Python did not fail: ${JSON.stringify(theirs)}`).toBe(true);
    const pyErr = (theirs as { error: { code: string | null; message: string; type: string } }).error;

    const ourRoot = path.join(tmpDir('errours'), 'mlruns');
    cpSync(prepared, ourRoot, { recursive: true });
    const before = snapshot(ourRoot);
    let err: unknown;
    try {
      await c.ours(ourClient(ourRoot, version === '3' ? 'mlflow3' : 'compat'), base);
    } catch (e) {
      err = e;
    }
    expect(err, 'we did not fail').toBeInstanceOf(MlflowError);
    const e = err as MlflowError;
    expect(e.code).toBe(pyErr.code ?? 'INTERNAL_ERROR');
    if (!c.codeOnly?.includes(version)) expect(e.message).toBe(pyErr.message);
    expect(snapshot(ourRoot)).toEqual(before);
  });
});
