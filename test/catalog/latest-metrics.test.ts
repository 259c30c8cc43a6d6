/**
 * `run_json.metrics`, the latest metric values a catalog search returns with each run: the codec
 * keeps every double (NaN, ±Infinity, -0 included) and key order, and every refresh (a cold
 * build, a delta after metric files appended, added, removed, a run that became unreadable and
 * readable again) leaves it equal to what a full scan reads.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogSearchRuns, openCatalog } from '../../src/catalog/index.js';
import { decodeLatestMetrics, encodeLatestMetrics } from '../../src/catalog/tables.js';
import { FileStore } from '../../src/store/file/file-store.js';
import { MlflowClient } from '../../src/tracking/client.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-latest-metrics-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Metrics with -0 and NaN spelled out (toEqual treats them specially), keys in their order. */
const spell = (m: Record<string, number>): [string, string][] => Object.entries(m).map(([k, v]) => [k, Object.is(v, -0) ? '-0' : String(v)]);

describe('latest metrics of a run in the catalog', () => {
  it('encode and decode every double and keep key order', () => {
    const values: [string, number][] = [
      ['z', 1],
      ['nan', NaN],
      ['inf', Infinity],
      ['ninf', -Infinity],
      ['negzero', -0],
      ['zero', 0],
      ['tiny', 5e-324],
      ['big', 1.7976931348623157e308],
      ['__proto__', NaN],
      ['é', 0.1],
    ];
    const text = encodeLatestMetrics([...values]);
    const back = decodeLatestMetrics(text);
    expect(spell(back)).toEqual(spell(Object.fromEntries([...values].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))));
    expect(Object.prototype.hasOwnProperty.call(back, '__proto__')).toBe(true);
    expect(encodeLatestMetrics([])).toBeNull();
    expect(decodeLatestMetrics(null)).toEqual({});
  });

  it('equal what a full scan reads after every kind of refresh', async () => {
    const root = path.join(tmp, 'mlruns');
    const c = new MlflowClient(root, { catalog: 'off' });
    const e = await c.createExperiment('e');
    const a = (await c.createRun(e)).info.runId;
    const b = (await c.createRun(e)).info.runId;
    await c.logMetric(a, 'acc', 0.5);
    await c.logMetric(a, 'loss', NaN);
    await c.logMetric(b, 'acc', -0);
    const cat = openCatalog(root, { dir: path.join(tmp, 'catalogs'), workers: 0 });
    const store = new FileStore(root);
    const check = (): void => {
      cat.refresh();
      const fromCatalog = catalogSearchRuns(cat, store, [e], { runViewType: 'ALL' }).items;
      const scanned = new Map(store.listRuns([e], 'ALL').map((r) => [r.info.runId, spell(r.data.metrics)]));
      expect(fromCatalog.length).toBe(scanned.size);
      for (const r of fromCatalog) expect(spell(r.data.metrics), r.info.runId).toEqual(scanned.get(r.info.runId));
    };
    try {
      check(); // cold build
      await c.logMetric(a, 'acc', 0.75, { step: 1 });
      await c.logMetric(b, 'acc', Infinity, { step: 3 });
      check(); // appended
      await c.logMetric(a, 'new', -Infinity);
      check(); // a metric file added
      fs.rmSync(path.join(root, e, a, 'metrics', 'loss'));
      check(); // a metric file removed
      const meta = path.join(root, e, b, 'meta.yaml');
      const saved = fs.readFileSync(meta);
      fs.writeFileSync(meta, 'not: [valid');
      check(); // unreadable
      fs.writeFileSync(meta, saved);
      await c.logMetric(b, 'later', 2);
      check(); // readable again, with a new metric
      await c.deleteRun(b);
      check();
    } finally {
      cat.close();
    }
  });
});
