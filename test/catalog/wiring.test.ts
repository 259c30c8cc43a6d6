/**
 * FileStore.searchRuns and the catalog: `catalog: 'on'` builds and uses it, `auto` uses one that
 * exists, `off` / MLRUNS_CATALOG=off scan; every path returns what the scan returns.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogPath, lastSearchPath } from '../../src/catalog/index.js';
import { MlflowClient } from '../../src/tracking/client.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-wiring-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function seed(root: string): Promise<string> {
  const c = new MlflowClient(root, { catalog: 'off' });
  const e = await c.createExperiment('w');
  for (let i = 0; i < 12; i++) {
    const r = (await c.createRun(e, { startTime: 1000 + i })).info.runId;
    await c.logParam(r, 'lr', i % 3 === 0 ? '0.1' : '0.01');
    await c.logMetric(r, 'loss', i % 4 === 0 ? NaN : 1 / (i + 1), { timestamp: 1, step: 0 });
  }
  return e;
}

const QUERY = { filter: "params.lr = '0.01'", orderBy: ['metrics.loss DESC'] };

describe('FileStore.searchRuns with the catalog', () => {
  it('off scans; on builds the catalog and answers from it; auto then finds it', async () => {
    const root = path.join(tmp, 'a', 'mlruns');
    const catalogDir = path.join(tmp, 'catalogs');
    const e = await seed(root);
    const scan = await new MlflowClient(root, { catalog: 'off', catalogDir }).searchRuns([e], QUERY.filter, { orderBy: QUERY.orderBy });
    expect(scan.runs.length).toBe(8);
    expect(fs.existsSync(catalogPath(root, { dir: catalogDir }))).toBe(false);

    const auto0 = new MlflowClient(root, { catalogDir });
    expect(await auto0.searchRuns([e], QUERY.filter, { orderBy: QUERY.orderBy })).toEqual(scan);
    expect(fs.existsSync(catalogPath(root, { dir: catalogDir }))).toBe(false); // auto never creates one

    const on = new MlflowClient(root, { catalog: 'on', catalogDir });
    expect(await on.searchRuns([e], QUERY.filter, { orderBy: QUERY.orderBy })).toEqual(scan);
    expect(['sql', 'hybrid']).toContain(lastSearchPath());
    expect(fs.existsSync(catalogPath(root, { dir: catalogDir }))).toBe(true);
    on.store.close();

    // New writes are seen through the catalog's delta refresh.
    await new MlflowClient(root, { catalog: 'off' }).logParam(scan.runs[0]!.info.runId, 'extra', 'x');
    const auto = new MlflowClient(root, { catalogDir });
    const viaCatalog = await auto.searchRuns([e], "params.extra = 'x'");
    expect(['sql', 'hybrid']).toContain(lastSearchPath());
    expect(viaCatalog.runs.map((r) => r.info.runId)).toEqual([scan.runs[0]!.info.runId]);
    auto.store.close();

    process.env['MLRUNS_CATALOG'] = 'off';
    try {
      const otherDir = path.join(tmp, 'catalogs-off');
      expect(await new MlflowClient(root, { catalog: 'on', catalogDir: otherDir }).searchRuns([e], QUERY.filter, { orderBy: QUERY.orderBy })).toEqual(
        await new MlflowClient(root, { catalog: 'off' }).searchRuns([e], QUERY.filter, { orderBy: QUERY.orderBy }),
      );
      expect(fs.existsSync(catalogPath(root, { dir: otherDir }))).toBe(false);
    } finally {
      delete process.env['MLRUNS_CATALOG'];
    }
  });

  it("a deleted experiment's runs (its folder in .trash) are found through the catalog as by the scan", async () => {
    const root = path.join(tmp, 'trash', 'mlruns');
    const catalogDir = path.join(tmp, 'catalogs-trash');
    const e = await seed(root);
    await new MlflowClient(root, { catalog: 'off' }).deleteExperiment(e);
    expect(fs.existsSync(path.join(root, '.trash', e))).toBe(true);
    for (const runViewType of ['ALL', 'ACTIVE_ONLY', 'DELETED_ONLY'] as const) {
      const scan = await new MlflowClient(root, { catalog: 'off' }).searchRuns([e], QUERY.filter, { orderBy: QUERY.orderBy, runViewType });
      if (runViewType === 'ALL') expect(scan.runs.length).toBe(8);
      const on = new MlflowClient(root, { catalog: 'on', catalogDir });
      expect(await on.searchRuns([e], QUERY.filter, { orderBy: QUERY.orderBy, runViewType })).toEqual(scan);
      expect(lastSearchPath()).toBe('sql');
      on.store.close();
    }
  });
});
