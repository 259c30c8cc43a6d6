/**
 * Portable locations: foreign paths (other machines, Windows, relative, mlflow-artifacts:, a
 * clone's origin) resolve to the matching folder under the root when their tail matches the layout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findLayoutAnchor,
  hasTail,
  isInside,
  layoutTail,
  locateRun,
  parseLocation,
  resolveArtifactPath,
  resolveLocation,
  styledUri,
} from '../../src/store/portable.js';
import { remapReport } from '../../src/git/doctor.js';
import { tmpDir } from './helpers.js';

const tmp = tmpDir();
const root = path.join(tmp, 'proj', 'mlruns');
const RUN = '0123456789abcdef0123456789abcdef';
const GONE = '/nonexistent-machine/home/alice/proj/mlruns';

beforeAll(() => {
  for (const d of ['5/' + RUN + '/artifacts/model', '5/models/m-1/artifacts', '.trash/6/' + RUN.replace('0', 'f') + '/artifacts']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  fs.writeFileSync(path.join(root, '5', 'meta.yaml'), "experiment_id: '5'\nname: x\n");
  fs.writeFileSync(path.join(root, '5', RUN, 'meta.yaml'), `run_id: ${RUN}\n`);
  // another copy of the store on this machine (a clone's origin)
  fs.mkdirSync(path.join(tmp, 'origin', 'mlruns', '5', RUN, 'artifacts'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'origin', 'mlruns', '5', RUN, 'meta.yaml'), `run_id: ${RUN}\n`);
  fs.writeFileSync(path.join(tmp, 'origin', 'mlruns', '5', 'meta.yaml'), "experiment_id: '5'\n");
  // an external artifact store: exists, not a store copy
  fs.mkdirSync(path.join(tmp, 'bucket', '5', RUN, 'artifacts'), { recursive: true });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = { kind: 'run', experimentId: '5', runId: RUN } as const;

describe('parseLocation', () => {
  it('parses every shape MLflow wrote', () => {
    expect(parseLocation('file:///D:/ML/mlruns/4')).toMatchObject({ style: 'file-uri', windows: true, absolute: true, segments: ['D:', 'ML', 'mlruns', '4'] });
    expect(parseLocation('D:\\ML\\mlruns\\4')).toMatchObject({ style: 'plain', windows: true, segments: ['D:', 'ML', 'mlruns', '4'] });
    expect(parseLocation('./mlruns/1')).toMatchObject({ style: 'plain', absolute: false, segments: ['mlruns', '1'] });
    expect(parseLocation('file:./mlruns/1')).toMatchObject({ style: 'file-uri', absolute: false });
    expect(parseLocation('mlflow-artifacts:/5/abc/artifacts')).toMatchObject({ style: 'other', scheme: 'mlflow-artifacts', segments: ['5', 'abc', 'artifacts'] });
    expect(parseLocation('mlflow-artifacts://host:5000/5')).toMatchObject({ segments: ['5'] });
    expect(parseLocation('file:///home/a%20b/mlruns/0')).toMatchObject({ posixPath: '/home/a b/mlruns/0', windows: false });
    expect(parseLocation('\\\\server\\share\\mlruns\\0')).toMatchObject({ windows: true, absolute: true });
  });

  it('tails and anchors', () => {
    expect(layoutTail(run)).toEqual(['5', RUN, 'artifacts']);
    expect(hasTail(['x', '5', RUN, 'artifacts'], layoutTail(run))).toBe(true);
    expect(hasTail(['x', '6', RUN, 'artifacts'], layoutTail(run))).toBe(false);
    expect(findLayoutAnchor(['C:', 'p', 'mlruns', '1', 'abc', 'artifacts', 'model'])).toEqual({
      target: { kind: 'run', experimentId: '1', runId: 'abc' },
      rest: ['model'],
    });
    expect(findLayoutAnchor(['p', '1', 'models', 'm-2', 'artifacts'])).toEqual({
      target: { kind: 'logged-model', experimentId: '1', modelId: 'm-2' },
      rest: [],
    });
    expect(findLayoutAnchor(['p', 'q'])).toBeUndefined();
  });

  it('writes a path back in the style of the original', () => {
    expect(styledUri(parseLocation('./mlruns/5'), '/r/mlruns/5')).toBe('/r/mlruns/5');
    expect(styledUri(parseLocation('file:///D:/x/5'), '/r/a b/5')).toBe('file:///r/a%20b/5');
    expect(styledUri(parseLocation('mlflow-artifacts:/5'), '/r/5')).toBe('file:///r/5');
  });

  it('isInside compares whole segments', () => {
    expect(isInside('/r/mlruns', '/r/mlruns/0')).toBe(true);
    expect(isInside('/r/mlruns', '/r/mlruns')).toBe(true);
    expect(isInside('/r/mlruns', '/r/mlruns-old/0')).toBe(false);
  });
});

describe('resolveLocation', () => {
  const here = path.join(root, '5', RUN, 'artifacts');

  it('keeps a location inside the root', () => {
    expect(resolveLocation(root, `file://${here}`, run)).toMatchObject({ status: 'inside-root', localPath: here, remapped: false });
    expect(resolveLocation(root, here, run)).toMatchObject({ status: 'inside-root', remapped: false });
  });

  it('remaps another machine’s path, a Windows path, a relative path and mlflow-artifacts:', () => {
    expect(resolveLocation(root, `file://${GONE}/5/${RUN}/artifacts`, run)).toEqual({
      uri: `file://${GONE}/5/${RUN}/artifacts`,
      status: 'foreign',
      localPath: here,
      remapped: true,
      suggestedUri: `file://${here}`,
    });
    expect(resolveLocation(root, `file:///C:/Users/bob/mlruns/5/${RUN}/artifacts`, run)).toMatchObject({ status: 'foreign', localPath: here });
    expect(resolveLocation(root, `C:\\Users\\bob\\mlruns\\5\\${RUN}\\artifacts`, run)).toMatchObject({
      status: 'foreign',
      suggestedUri: here,
    });
    expect(resolveLocation(root, `./mlruns/5/${RUN}/artifacts`, run)).toMatchObject({ status: 'relative', localPath: here, suggestedUri: here });
    expect(resolveLocation(root, `mlflow-artifacts:/5/${RUN}/artifacts`, run)).toMatchObject({
      status: 'remote-artifacts',
      localPath: here,
      hasLocalFiles: true,
    });
    expect(resolveLocation(root, `file://${GONE}/5`, { kind: 'experiment', experimentId: '5' })).toMatchObject({
      status: 'foreign',
      localPath: path.join(root, '5'),
    });
    expect(resolveLocation(root, `file://${GONE}/5/models/m-1/artifacts`, { kind: 'logged-model', experimentId: '5', modelId: 'm-1' })).toMatchObject({
      status: 'foreign',
      localPath: path.join(root, '5', 'models', 'm-1', 'artifacts'),
    });
  });

  it('finds a deleted experiment’s runs in .trash but suggests the canonical location', () => {
    const id = RUN.replace('0', 'f');
    const r = resolveLocation(root, `file://${GONE}/6/${id}/artifacts`, { kind: 'run', experimentId: '6', runId: id });
    expect(r).toMatchObject({ status: 'foreign', localPath: path.join(root, '.trash', '6', id, 'artifacts'), suggestedUri: `file://${root}/6/${id}/artifacts` });
  });

  it('tells a clone’s origin from an external artifact store', () => {
    expect(resolveLocation(root, `file://${tmp}/origin/mlruns/5/${RUN}/artifacts`, run)).toMatchObject({ status: 'other-copy', localPath: here });
    expect(resolveLocation(root, `${tmp}/bucket/5/${RUN}/artifacts`, run)).toMatchObject({ status: 'external', remapped: false });
  });

  it('leaves what does not match alone', () => {
    expect(resolveLocation(root, `file://${GONE}/other/place`, run)).toMatchObject({ status: 'missing', localPath: undefined });
    expect(resolveLocation(root, `s3://bucket/5/${RUN}/artifacts`, run)).toMatchObject({ status: 'remote' });
    expect(resolveLocation(root, null, run)).toMatchObject({ status: 'unset' });
    expect(resolveLocation(root, `file://${GONE}/5/${'e'.repeat(32)}/artifacts`, { kind: 'run', experimentId: '5', runId: 'e'.repeat(32) })).toMatchObject({
      status: 'missing',
    });
  });
});

describe('remapReport', () => {
  it('lists what points elsewhere, with the location here', () => {
    const store = path.join(tmp, 'report', 'mlruns');
    fs.mkdirSync(path.join(store, '3'), { recursive: true });
    fs.writeFileSync(
      path.join(store, '3', 'meta.yaml'),
      "artifact_location: file:///D:/x/mlruns/3\nexperiment_id: '3'\nlifecycle_stage: active\nname: w\n",
    );
    expect(remapReport(store)).toEqual([
      {
        file: path.join(store, '3', 'meta.yaml'),
        key: 'artifact_location',
        from: 'file:///D:/x/mlruns/3',
        to: `file://${store}/3`,
        kind: 'foreign-path',
      },
    ]);
  });
});

describe('resolveArtifactPath (model version sources)', () => {
  it('follows a run into its artifacts, and a run that moved to another experiment', () => {
    expect(resolveArtifactPath(root, `file:///C:/p/mlruns/5/${RUN}/artifacts/model`)).toMatchObject({
      status: 'foreign',
      localPath: path.join(root, '5', RUN, 'artifacts', 'model'),
      suggestedUri: `file://${root}/5/${RUN}/artifacts/model`,
    });
    expect(resolveArtifactPath(root, `file://${GONE}/9/${RUN}/artifacts/model`)).toMatchObject({
      status: 'foreign',
      suggestedUri: `file://${root}/5/${RUN}/artifacts/model`,
    });
    expect(locateRun(root, RUN)).toEqual({ experimentId: '5', runDir: path.join(root, '5', RUN) });
    expect(resolveArtifactPath(root, 'models:/m-1')).toMatchObject({ status: 'remote' });
    expect(resolveArtifactPath(root, `file://${root}/5/${RUN}/artifacts/model`)).toMatchObject({ status: 'inside-root', remapped: false });
  });
});
