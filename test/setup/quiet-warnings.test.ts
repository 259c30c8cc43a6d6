/**
 * The test setup keeps MlflowWarnings out of the output but does not lose them; other process
 * warnings still print.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { mlflowProcessWarnings } from './quiet-warnings.js';

it('a store without onWarning still emits its MlflowWarning, which the setup keeps instead of printing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-quiet-'));
  try {
    const root = path.join(dir, 'mlruns');
    const setup = new MlflowClient(root, { catalog: 'off' });
    const exp = await setup.createExperiment('e');
    const run = await setup.createRun(exp);
    fs.writeFileSync(path.join(root, exp, run.info.runId, 'metrics', 'm'), 'not a metric line\n');
    const before = mlflowProcessWarnings().length;
    const client = new MlflowClient(root, { catalog: 'off' });
    await client.searchRuns([exp]);
    expect(client.warnings.map((w) => w.code)).toContain('MALFORMED_METRIC');
    await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
    const emitted = mlflowProcessWarnings().slice(before);
    expect(emitted.map((w) => (w as { code?: string }).code)).toContain('MLRUNS_MALFORMED_METRIC');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
