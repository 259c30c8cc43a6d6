/**
 * Folders committed from another OS (real ones from the corpus): doctor reports the Windows and
 * relative paths, CRLF metas, legacy trash and duplicates; `fix` makes Python's list_artifacts and
 * get_run work, keeps every run Python could read, and changes only path values and line endings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { diagnose, fix, isClean } from '../../src/git/doctor.js';
import type { Finding } from '../../src/git/doctor.js';
import { parseYaml } from '../../src/format/yaml.js';
import { isPyError, Oracle } from '../oracle/oracle.js';
import { CORPUS, copyWritable, tmpDir } from './helpers.js';

let py: Oracle;
const tmp = tmpDir();
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const hasCorpus = fs.existsSync(CORPUS);

const PY_ARTIFACTS = `
res = {}
for rid in vars['runs']:
    try:
        res[rid] = sorted(f.path for f in client.list_artifacts(rid))
    except Exception as e:
        res[rid] = 'error: ' + type(e).__name__
result = res
`;

const PY_GET_RUNS = `
res = {}
for rid in vars['runs']:
    try:
        res[rid] = client.get_run(rid).info.run_id
    except Exception as e:
        res[rid] = 'error: ' + type(e).__name__
result = res
`;

/** Ids of every run Python lists (search_runs over ALL view types), per experiment. */
async function pythonRunIds(root: string): Promise<string[]> {
  const dump = await py.dump(root);
  const ids: string[] = [];
  for (const runs of Object.values(dump.runs)) {
    if (isPyError(runs)) continue;
    for (const r of runs) ids.push(r.info.runId);
  }
  return ids.sort();
}

function kinds(findings: readonly Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.kind] = (out[f.kind] ?? 0) + 1;
  return out;
}

/** Every meta.yaml under a root (not artifacts). */
function metaFiles(root: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'artifacts') visit(path.join(d, e.name));
      else if (e.name === 'meta.yaml') out.push(path.join(d, e.name));
    }
  };
  visit(root);
  return out;
}

describe.skipIf(!hasCorpus)('a folder from Windows (TayJen/Customer-Churn-Prediction, MLflow 1.26)', () => {
  const root = path.join(tmp, 'churn', 'mlruns');
  // exp 4 has Windows URIs (file:///D:/...), exp 3 relative ones (./mlruns/3/...)
  const winRun = '1adaea8e9cf94c7388ff720aa5137752';
  const relRun = '0dbc8a34617b454481ddb4ac1a630f47';
  const noParamsRun = '23432f2ed28a499881b4e1e68fbd36ae';
  let before: Record<string, string>;
  let findings: Finding[];

  beforeAll(() => {
    copyWritable(path.join(CORPUS, 'TayJen__Customer-Churn-Prediction', 'mlruns'), root);
    // The corpus kept no artifacts for exp 4: add one, as the Windows machine had.
    fs.mkdirSync(path.join(root, '4', winRun, 'artifacts'), { recursive: true });
    fs.writeFileSync(path.join(root, '4', winRun, 'artifacts', 'report.txt'), 'from D:');
    before = Object.fromEntries(metaFiles(root).map((p) => [p, fs.readFileSync(p, 'utf8')]));
    findings = diagnose(root);
  });

  it('doctor reports the Windows paths, the relative paths and the folders git dropped', () => {
    const k = kinds(findings);
    expect(k['foreign-path']).toBeGreaterThanOrEqual(30);
    expect(k['relative-path']).toBeGreaterThanOrEqual(160);
    expect(k['missing-subfolder']).toBeGreaterThan(0);
    const win = findings.find((f) => f.kind === 'foreign-path' && f.path === path.join(root, '4', winRun, 'meta.yaml'));
    expect(win?.message).toContain('file:///D:/ML/ml_projects/customer-churn_prediction/mlruns/4/');
    expect(win?.fix).toEqual({
      action: 'rewrite',
      file: path.join(root, '4', winRun, 'meta.yaml'),
      set: { artifact_uri: `file://${root}/4/${winRun}/artifacts` },
    });
    const rel = findings.find((f) => f.kind === 'relative-path' && f.path === path.join(root, '3', relRun, 'meta.yaml'));
    expect(rel?.fix).toMatchObject({ set: { artifact_uri: `${root}/3/${relRun}/artifacts` } });
  });

  it('fix makes Python list the artifacts and get every run, and keeps every run Python listed', async () => {
    const runsBefore = await pythonRunIds(root);
    const listBefore = await py.exec<Record<string, unknown>>(root, PY_ARTIFACTS, { runs: [winRun, relRun] });
    expect(listBefore[winRun]).not.toEqual(['report.txt']);
    expect(listBefore[relRun]).not.toEqual(['feature_importance_weight.json', 'feature_importance_weight.png', 'model']);
    const getBefore = await py.exec<Record<string, string>>(root, PY_GET_RUNS, { runs: [noParamsRun] });
    expect(getBefore[noParamsRun]).toMatch(/^error/);

    const result = fix(root, findings, { quarantineDir: path.join(tmp, 'churn-q') });
    expect(result.applied).toBe(true);
    expect(isClean(diagnose(root))).toBe(true);

    const listAfter = await py.exec<Record<string, unknown>>(root, PY_ARTIFACTS, { runs: [winRun, relRun] });
    expect(listAfter).toEqual({
      [winRun]: ['report.txt'],
      [relRun]: ['feature_importance_weight.json', 'feature_importance_weight.png', 'model'],
    });
    const getAfter = await py.exec<Record<string, string>>(root, PY_GET_RUNS, { runs: [noParamsRun] });
    expect(getAfter[noParamsRun]).toBe(noParamsRun);
    expect(await pythonRunIds(root)).toEqual(runsBefore);
    const ours = new MlflowClient(root);
    expect((await ours.listArtifacts(winRun)).map((f) => f.path)).toEqual(['report.txt']);
  });

  it('only path values changed in the metas; every other key and value is the same', () => {
    for (const [p, text] of Object.entries(before)) {
      const a = parseYaml(text) as Record<string, unknown>;
      const b = parseYaml(fs.readFileSync(p, 'utf8')) as Record<string, unknown>;
      expect(Object.keys(b).sort(), p).toEqual(Object.keys(a).sort());
      for (const k of Object.keys(a)) {
        if (k === 'artifact_uri' || k === 'artifact_location') continue;
        expect(b[k], `${p} ${k}`).toEqual(a[k]);
      }
    }
  });
});

describe.skipIf(!hasCorpus)('a folder with CRLF files and legacy trash (palaciosleo/diplodatos-deeplearning, MLflow 1.x)', () => {
  const root = path.join(tmp, 'diplo', 'mlruns');
  let findings: Finding[];

  beforeAll(() => {
    copyWritable(path.join(CORPUS, 'palaciosleo__diplodatos-deeplearning', 'mlruns'), root);
    findings = diagnose(root);
  });

  it('doctor reports CRLF metas, foreign paths, legacy trash, and both duplicates', () => {
    const k = kinds(findings);
    expect(k['crlf-meta']).toBe(40);
    expect(k['legacy-trash-active']).toBe(9);
    expect(k['foreign-path']).toBeGreaterThanOrEqual(70);
    const dupId = findings.filter((f) => f.kind === 'duplicate-id');
    expect(dupId.map((f) => path.relative(root, f.path))).toEqual(['.trash/1']);
    const dupName = findings.filter((f) => f.kind === 'duplicate-name');
    expect(dupName.map((f) => [path.relative(root, f.path), f.severity, f.fix])).toEqual([['.trash/10', 'warning', undefined]]);
    const crlf = findings.find((f) => f.kind === 'crlf-meta' && f.path === path.join(root, '9', 'meta.yaml'));
    expect(crlf?.fix).toEqual({ action: 'normalize-eol', file: path.join(root, '9', 'meta.yaml') });
  });

  it('fix normalizes line endings and marks legacy trash deleted; Python reads every run it read before', async () => {
    const runsBefore = await pythonRunIds(root);
    const PY_DELETED = `result = sorted(e.experiment_id + ':' + e.lifecycle_stage for e in client.search_experiments(view_type=ViewType.DELETED_ONLY))`;
    const deletedBefore = await py.exec<string[]>(root, PY_DELETED);
    // Python lists .trash by location, but 2.3+ trusts the file: these say 'active'
    expect(deletedBefore.filter((e) => e.endsWith(':active'))).toHaveLength(9);
    fix(root, findings, { quarantineDir: path.join(tmp, 'diplo-q') });
    for (const p of metaFiles(root)) expect(fs.readFileSync(p, 'utf8').includes('\r'), p).toBe(false);
    const after = diagnose(root);
    expect(after.filter((f) => f.kind !== 'duplicate-id' && f.kind !== 'duplicate-name')).toEqual([]);
    expect(await pythonRunIds(root)).toEqual(runsBefore);
    const deletedAfter = await py.exec<string[]>(root, PY_DELETED);
    expect(deletedAfter).toEqual(deletedBefore.map((e) => e.replace(/:active$/, ':deleted')));
  });
});

describe.skipIf(!hasCorpus)('a registry from Windows (160103126/mlflow-fastapi-wine, MLflow 3.2)', () => {
  const root = path.join(tmp, 'wine', 'mlruns');
  const PY_DOWNLOAD = `
import os
mv = client.get_model_version('wine-quality-predictor', '1')
res = {'source': mv.source}
try:
    p = mlflow.artifacts.download_artifacts(artifact_uri=mv.source, dst_path=vars['dst'])
    res['files'] = sorted(os.listdir(p))
except Exception as e:
    res['files'] = 'error: ' + type(e).__name__
result = res
`;

  beforeAll(() => {
    copyWritable(path.join(CORPUS, '160103126__mlflow-fastapi-wine', 'mlruns'), root);
  });

  it('doctor remaps a model version’s Windows source to the logged model here; Python downloads it after the fix', async () => {
    const findings = diagnose(root);
    const mv = findings.filter((f) => f.path === path.join(root, 'models', 'wine-quality-predictor', 'version-1', 'meta.yaml'));
    const modelDir = `${root}/895387645806649699/models/m-7b5b292a66ea4824a2aaedc5c3ea4bf4/artifacts`;
    expect(mv.map((f) => [f.kind, f.fix])).toEqual([
      ['foreign-path', { action: 'rewrite', file: mv[0]?.path, set: { source: `file://${modelDir}` } }],
      ['foreign-path', { action: 'rewrite', file: mv[0]?.path, set: { storage_location: `file://${modelDir}` } }],
    ]);
    fs.mkdirSync(path.join(tmp, 'wine-dl-before'));
    const before = await py.exec<{ files: unknown }>(root, PY_DOWNLOAD, { dst: path.join(tmp, 'wine-dl-before') });
    expect(before.files).toMatch(/^error/);
    fix(root, findings, { quarantineDir: path.join(tmp, 'wine-q') });
    fs.mkdirSync(path.join(tmp, 'wine-dl-after'));
    const after = await py.exec<{ source: string; files: string[] }>(root, PY_DOWNLOAD, { dst: path.join(tmp, 'wine-dl-after') });
    expect(after.source).toBe(`file://${modelDir}`);
    expect(after.files).toContain('MLmodel');
  });
});

describe.skipIf(!hasCorpus)('an experiment folder that lost its meta.yaml (Toma0916/GlobalWheatDetection, MLflow 1.8)', () => {
  it('is reported, not quarantined: its runs are data', () => {
    const root = path.join(tmp, 'wheat', 'mlruns');
    copyWritable(path.join(CORPUS, 'Toma0916__GlobalWheatDetection', 'mlruns'), root);
    const seven = diagnose(root).filter((f) => f.path === path.join(root, '7'));
    expect(seven.map((f) => [f.kind, f.fix])).toEqual([['missing-meta', undefined]]);
  });
});

describe.skipIf(!hasCorpus)('duplicate experiment names (2024aa05311-arch/MLOps-Assignment, MLflow 2.9)', () => {
  it('fix merges them: Python sees one experiment with every run', async () => {
    const root = path.join(tmp, 'mlops', 'mlruns');
    copyWritable(path.join(CORPUS, '2024aa05311-arch__MLOps-Assignment', 'mlruns'), root);
    const PY = `
exps = [e for e in client.search_experiments(view_type=ViewType.ALL) if e.name == 'heart_disease_classification']
result = {'ids': sorted(e.experiment_id for e in exps), 'runs': sorted(r.info.run_id for e in exps for r in client.search_runs([e.experiment_id], run_view_type=ViewType.ALL))}
`;
    const before = await py.exec<{ ids: string[]; runs: string[] }>(root, PY);
    expect(before.ids).toHaveLength(2);
    const findings = diagnose(root);
    const dup = findings.filter((f) => f.kind === 'duplicate-name');
    expect(dup).toHaveLength(1);
    expect(dup[0]?.fix?.action).toBe('merge-experiment');
    fix(root, findings, { quarantineDir: path.join(tmp, 'mlops-q') });
    const after = await py.exec<{ ids: string[]; runs: string[] }>(root, PY);
    expect(after.ids).toHaveLength(1);
    expect(before.ids).toContain(after.ids[0]);
    expect(after.runs).toEqual(before.runs);
    expect(diagnose(root).filter((f) => f.kind === 'duplicate-name')).toEqual([]);
  });
});
