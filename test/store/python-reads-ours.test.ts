/**
 * Round trip, TypeScript → Python: what we write, Python's MlflowClient (3.17, 2.22, 1.30) reads
 * back identical, field by field; its search_runs and `mlflow gc` work on it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import type { WriteProfile } from '../../src/store/file/records.js';
import { diffValues, normalizeDump } from '../oracle/normalize.js';
import { Oracle, type OracleVersion } from '../oracle/oracle.js';
import { dumpWithOurLibrary } from './dump.js';
import { runOurScenario } from './scenario.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-py-reads-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cases: Array<[OracleVersion, WriteProfile]> = [
  ['3', 'mlflow3'],
  ['3', 'compat'],
  ['2', 'compat'],
  ['1', 'compat'],
];

describe.each(cases)('MLflow %s reads profile %s', (version, profile) => {
  let py: Oracle;
  beforeAll(async () => {
    py = await Oracle.start(version);
  });
  afterAll(async () => py?.close());

  it('sees every entity exactly as we do', async () => {
    const root = path.join(tmp, `${version}-${profile}`, 'mlruns');
    const c = new MlflowClient(root, { profile });
    const ids = await runOurScenario(c, Number(version));
    await c.logText(ids['r1'] as string, 'hello', 'notes/hello.txt');
    const ours = normalizeDump({ ...(await dumpWithOurLibrary(root, version)), version: 'x' }, { version, roots: [root] });
    const theirs = await py.dump(root);
    const pyNorm = normalizeDump({ ...theirs, version: 'x' }, { version, roots: [root] });
    expect(diffValues(ours, pyNorm)).toEqual([]);
    const arts = await py.exec<string[]>(root, "result = [f.path for f in client.list_artifacts(vars['r'], 'notes')]", { r: ids['r1'] });
    expect(arts).toEqual(['notes/hello.txt']);
  });

  it("runs Python's search_runs on it with our answer", async () => {
    const root = path.join(tmp, `${version}-${profile}`, 'mlruns');
    const c = new MlflowClient(root, { profile });
    const e = (await c.getExperimentByName('bytes-exp'))?.experimentId as string;
    const filter = "params.lr = '0.1' and metrics.acc >= 1";
    const theirs = await py.searchRuns(root, [e], { filter, runViewType: 'ALL', orderBy: ['attributes.start_time DESC'] });
    const ours = await c.searchRuns([e], filter, { runViewType: 'ALL', orderBy: ['attributes.start_time DESC'] });
    expect('runIds' in theirs ? theirs.runIds : theirs).toEqual(ours.runs.map((r) => r.info.runId));
    expect(ours.runs).toHaveLength(1);
  });
});

describe.each([['3', 'mlflow3'], ['2', 'compat']] as Array<[OracleVersion, WriteProfile]>)('mlflow gc (MLflow %s, profile %s)', (version, profile) => {
  let py: Oracle;
  beforeAll(async () => {
    py = await Oracle.start(version);
  });
  afterAll(async () => py?.close());

  it("lets `mlflow gc` remove what we deleted", async () => {
    const root = path.join(tmp, `${version}-${profile}-gc`, 'mlruns');
    const c = new MlflowClient(root, { profile });
    const ids = await runOurScenario(c, Number(version));
    const out = await py.exec<{ exit: number; output: string }>(
      root,
      `
from click.testing import CliRunner
from mlflow.cli import gc
import os
os.environ['MLFLOW_TRACKING_URI'] = root
r = CliRunner().invoke(gc, ['--backend-store-uri', root])
result = {'exit': r.exit_code, 'output': r.output + (repr(r.exception) if r.exception else '')}
`,
    );
    expect(out.exit, out.output).toBe(0);
    // The deleted run r2 and the deleted experiment e2 (with r4) are gone from disk.
    expect(fs.existsSync(path.join(root, ids['e1'] as string, ids['r2'] as string))).toBe(false);
    expect(fs.existsSync(path.join(root, '.trash', ids['e2'] as string))).toBe(false);
    // What was not deleted is still readable by both.
    expect((await c.getRun(ids['r1'] as string)).info.status).toBe('FINISHED');
    expect((await c.getRun(ids['r3'] as string)).info.lifecycleStage).toBe('active');
  });
});
