/**
 * Bytes: the same operations with pinned ids and times give byte-identical folders, ours and
 * Python's: the `mlflow3` profile against MLflow 3.17, the default `compat` profile against 2.22.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import type { WriteProfile } from '../../src/store/file/records.js';
import { Oracle, type OracleVersion } from '../oracle/oracle.js';
import { snapshotTree } from './tree.js';
import { PYTHON_SCENARIO, T, runOurScenario, scenarioIds } from './scenario.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bytes-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cases: Array<[OracleVersion, WriteProfile, number]> = [
  ['3', 'mlflow3', 3],
  ['2', 'compat', 2],
];

describe.each(cases)('MLflow %s vs profile %s', (version, profile, major) => {
  let py: Oracle;
  beforeAll(async () => {
    py = await Oracle.start(version);
  });
  afterAll(async () => py?.close());

  it('writes the same bytes for the same operations', async () => {
    const ids = scenarioIds();
    // Same absolute root length on both sides is not needed: roots are replaced before comparing.
    const pyRoot = path.join(tmp, `py-${version}`, 'mlruns');
    const ourRoot = path.join(tmp, `ts-${version}`, 'mlruns');
    const pyOut = await py.exec<Record<string, string>>(pyRoot, PYTHON_SCENARIO, { T, ids });
    const expIds = [...ids.experimentIds];
    const runIds = [...ids.runIds];
    const modelIds = [...ids.modelIds];
    const c = new MlflowClient(ourRoot, {
      profile,
      now: () => T,
      ids: {
        experimentId: () => expIds.shift() as string,
        runId: () => runIds.shift() as string,
        loggedModelId: () => modelIds.shift() as string,
      },
    });
    const ours = await runOurScenario(c, major);
    expect(ours).toEqual(pyOut);
    const norm = (root: string): Map<string, string> => {
      const snap = snapshotTree(root);
      const out = new Map<string, string>();
      for (const [k, v] of snap) out.set(k, v.split(root).join('<root>'));
      return out;
    };
    const a = norm(ourRoot);
    const b = norm(pyRoot);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [k, v] of b) expect({ file: k, bytes: a.get(k) }).toEqual({ file: k, bytes: v });
  });
});
