/**
 * `resolveModelUri`: every URI form resolves to the folder Python's artifact repositories resolve
 * it to (`ModelsArtifactRepository` / `RunsArtifactRepository.get_underlying_uri`, followed until
 * local), with the same errors for unknown names, versions, aliases and stages.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { resolveModelUri, resolveModelUriDetailed } from '../../src/models/uri.js';
import { FileStore } from '../../src/store/file/file-store.js';
import { Oracle } from '../oracle/oracle.js';
import { copyBase, makeBase, ourClient, runOurOps, scenario, substitute, tmpDirsCreated, type Base } from './helpers.js';

afterAll(() => {
  for (const d of tmpDirsCreated()) rmSync(d, { recursive: true, force: true });
});

const PY_RESOLVE = String.raw`
from mlflow.store.artifact.models_artifact_repo import ModelsArtifactRepository
from mlflow.store.artifact.runs_artifact_repo import RunsArtifactRepository
out = {}
for u in vars['uris']:
    try:
        cur = u
        for _ in range(10):
            if cur.startswith('models:'):
                cur = ModelsArtifactRepository.get_underlying_uri(cur)
            elif cur.startswith('runs:'):
                cur = RunsArtifactRepository.get_underlying_uri(cur)
            else:
                break
        out[u] = {'uri': cur}
    except Exception as e:
        out[u] = {'error': {'code': getattr(e, 'error_code', None), 'message': str(e)}}
result = out
`;

const toPath = (uri: string): string => path.resolve(uri.startsWith('file:') ? fileURLToPath(uri) : uri);

describe.each(['3', '2'] as const)('resolveModelUri against MLflow %s', (version) => {
  let py: Oracle;
  let base: Base;
  let root: string;

  beforeAll(async () => {
    py = await Oracle.start(version);
    base = await makeBase(py);
    root = copyBase(base, `uri${version}`);
    for (const d of ['model-1', 'model-3', 'model-5', 's1', 's2', 's3', 's4', 'd1', 'z1', 'plain']) {
      mkdirSync(path.join(base.root, 'art', d), { recursive: true });
      writeFileSync(path.join(base.root, 'art', d, 'MLmodel'), 'flavors: {}\n');
    }
    await runOurOps(ourClient(root, version === '3' ? 'mlflow3' : 'compat'), substitute(scenario(version), base));
  });
  afterAll(async () => {
    await py?.close();
  });

  const good = (b: Base): string[] => [
    `runs:/${b.runId}/model`,
    `runs:/${b.runId}/model/MLmodel`,
    'models:/fixture-model/1',
    'models:/fixture-model/2',
    'models:/fixture-model/4',
    'models:/fixture-model@champion',
    'models:/fixture-model@challenger',
    'models:/fixture-model/Production',
    'models:/fixture-model/staging',
    'models:/fixture-model/ARCHIVED',
    'models:/fixture-model/latest',
    'models:/renamed-model/2',
    'models:/zeta model ü/1',
    'models:/registered-from-run/2',
    'models:/registered-from-path/LATEST',
    ...(version === '3' ? [`models:/${b.modelId}`, 'models:/logged-model-registry/1', 'models:/from-version/latest', 'models:/via-logged-model/1'] : []),
  ];

  it('resolves every URI form to the folder Python resolves it to', async () => {
    const uris = good(base);
    const theirs = await py.exec<Record<string, { uri?: string; error?: unknown }>>(root, PY_RESOLVE, { uris });
    for (const u of uris) {
      const t = theirs[u];
      expect(t?.error, `${u}: Python failed`).toBeUndefined();
      const ours = await resolveModelUri(u, { trackingUri: root });
      // `root` is a copy of `base.root`. Python follows the absolute artifact URI stored in the run
      // back to the original folder; we resolve a run's artifacts inside the root we were opened
      // on (so a moved or cloned store reads its own files), with a REMAPPED_PATH warning.
      const theirsPath = toPath(t!.uri!);
      const inOriginalRun = theirsPath.startsWith(path.join(base.root, base.experimentId) + path.sep);
      expect(ours, `${u} (python: ${theirsPath})`).toBe(inOriginalRun ? path.join(root, path.relative(base.root, theirsPath)) : theirsPath);
    }
    expect(uris.length).toBe(version === '3' ? 19 : 15);
  });

  it('gives the registered model, version and chain', async () => {
    const r = await resolveModelUriDetailed('models:/fixture-model@champion', { trackingUri: root });
    expect(r).toMatchObject({ name: 'fixture-model', version: '3', path: path.join(base.root, 'art', 'model-3') });
    const r2 = await resolveModelUriDetailed('models:/fixture-model/2', { trackingUri: root });
    expect(r2.chain).toEqual(['models:/fixture-model/2', `runs:/${base.runId}/model`]);
    if (version === '3') {
      const r3 = await resolveModelUriDetailed('models:/logged-model-registry/1', { trackingUri: root });
      expect(r3.modelId).toBe(base.modelId);
    }
  });

  it("resolves a run's logged model by name (3.x runs:/<run>/<model name>)", async () => {
    if (version !== '3') return;
    const store = new FileStore(root);
    const lm = await store.getLoggedModel(base.namedModelId!);
    // The logged model's recorded location is in the original folder; we read this copy's own.
    const here = path.join(root, path.relative(base.root, toPath(lm.artifactLocation)));
    expect(await resolveModelUri(`runs:/${base.runId}/my-logged-model`, { trackingUri: root })).toBe(here);
    expect(await resolveModelUri(`runs:/${base.runId}/my-logged-model/MLmodel`, { trackingUri: root })).toBe(path.join(here, 'MLmodel'));
  });

  it('remaps locations recorded elsewhere that follow the store layout', async () => {
    const c = ourClient(root, 'compat');
    await c.createRegisteredModel(`moved-${version}`);
    const elsewhere = `/nonexistent/old/mlruns/${base.experimentId}/${base.runId}/artifacts/model`;
    await c.createModelVersion(`moved-${version}`, elsewhere);
    const store = new FileStore(root);
    const runDir = store.runLocation(base.runId).runDir;
    expect(await resolveModelUri(`models:/moved-${version}/1`, { trackingUri: root })).toBe(path.join(runDir, 'artifacts', 'model'));
  });

  const bad = (): string[] => [
    'models:/nope/1',
    'models:/fixture-model/9',
    'models:/fixture-model/5',
    'models:/fixture-model@nope',
    'models:/fixture-model/bogus',
    'models:/empty-model/latest',
    'models:/empty-model/Staging',
    'models:/a/b/c',
    'models:/',
    `runs:/ffffffffffffffffffffffffffffffff/model`,
    'runs:/',
    ...(version === '3' ? ['models:/m-00000000000000000000000000000000'] : []),
  ];

  it('fails as Python does for unknown names, versions, aliases and stages', async () => {
    const uris = bad();
    const theirs = await py.exec<Record<string, { uri?: string; error?: { code: string | null; message: string } }>>(root, PY_RESOLVE, { uris });
    for (const u of uris) {
      const t = theirs[u]!;
      expect(t.error, `${u}: Python did not fail`).toBeDefined();
      let err: unknown;
      try {
        await resolveModelUri(u, { trackingUri: root });
      } catch (e) {
        err = e;
      }
      expect(err, u).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).code, u).toBe(t.error!.code ?? 'INTERNAL_ERROR');
      // 2.22 words the improper-URI message differently; we follow 3.x.
      if (version === '3' || !u.startsWith('models:/') || !t.error!.message.startsWith('Not a proper')) {
        expect((err as MlflowError).message, u).toBe(t.error!.message);
      }
    }
  });

  it('fails with RESOURCE_DOES_NOT_EXIST when the files are not there', async () => {
    const c = ourClient(root, 'compat');
    await c.createRegisteredModel(`gone-${version}`);
    await c.createModelVersion(`gone-${version}`, '/nonexistent/place/model');
    await expect(resolveModelUri(`models:/gone-${version}/1`, { trackingUri: root })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    await expect(resolveModelUri(`runs:/${base.runId}/no-such-dir`, { trackingUri: root })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    await expect(resolveModelUri('s3://bucket/model', { trackingUri: root })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
