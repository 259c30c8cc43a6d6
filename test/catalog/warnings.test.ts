/**
 * Read warnings through the catalog: a store answering from its catalog reports the same
 * warnings (code, path, message) as its own scan would, for the experiments and view queried,
 * each once per store; a catalog's `onWarning` hears of a damaged file when it is first read and
 * again only after the file changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadWarning } from '../../src/errors.js';
import type { ViewType } from '../../src/entities.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import { lastSearchPath } from '../../src/catalog/search.js';
import type { FileStore } from '../../src/store/file/file-store.js';
import { openTrackingStore } from '../../src/tracking/stores.js';
import { MlflowClient } from '../../src/tracking/client.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-cat-warn-'));
const root = path.join(tmp, 'mlruns');
const catalogDir = path.join(tmp, 'catalogs');
let expId = '';
let damagedMetricRun = '';
const runDir = (id: string): string => path.join(root, expId, id);

beforeAll(async () => {
  const c = new MlflowClient(root, { catalog: 'off' });
  expId = await c.createExperiment('warn');
  const ids: string[] = [];
  for (let i = 0; i < 9; i++) {
    const r = await c.createRun(expId, { startTime: 1_700_000_000_000 + i });
    ids.push(r.info.runId);
    await c.logParam(r.info.runId, 'p', String(i));
    await c.logMetric(r.info.runId, 'm', i, { step: 0, timestamp: 1 });
  }
  const [r1, r2, r3, r4, r5, r6, r7, r8] = ids as [string, string, string, string, string, string, string, string];
  damagedMetricRun = r1;
  fs.appendFileSync(path.join(runDir(r1), 'metrics', 'm'), 'not a metric line\n'); // MALFORMED_METRIC
  fs.writeFileSync(path.join(runDir(r2), 'meta.yaml'), ''); // EMPTY_META
  fs.writeFileSync(path.join(runDir(r3), 'meta.yaml'), 'run_id: [unclosed\n'); // MALFORMED_META
  fs.writeFileSync(path.join(runDir(r4), 'params', 'bad*name'), 'x'); // STRAY_ENTRY (param)
  await c.deleteRun(r5);
  fs.writeFileSync(path.join(runDir(r5), 'metrics', 'm'), '1 x 0\n'); // MALFORMED_METRIC, deleted run
  fs.writeFileSync(path.join(runDir(r6), 'metrics', 'bad*key'), '1 1.0 0\n'); // STRAY_ENTRY (metric name)
  fs.writeFileSync(path.join(runDir(r7), 'metrics', 'empty'), ''); // MALFORMED_METRIC (no data)
  fs.writeFileSync(path.join(runDir(r8), 'tags', 'bad*tag'), 'v'); // STRAY_ENTRY (tag)
  fs.mkdirSync(path.join(root, expId, 'notarun')); // MISSING_META
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const key = (w: ReadWarning): string => `${w.code} ${w.path} ${w.message}`;
const sorted = (ws: readonly ReadWarning[]): string[] => [...new Set(ws.map(key))].sort();

async function warningsOf(catalog: 'on' | 'off', view: ViewType): Promise<{ ws: ReadWarning[]; path: string; store: FileStore }> {
  const ws: ReadWarning[] = [];
  const store = openTrackingStore(root, { catalog, catalogDir, onWarning: (w) => ws.push(w) }) as FileStore;
  await store.searchRuns([expId], { runViewType: view });
  const p = lastSearchPath();
  return { ws, path: p, store };
}

describe('read warnings through the catalog', () => {
  it.each(['ACTIVE_ONLY', 'ALL', 'DELETED_ONLY'] as const)('a query answered from the catalog reports what the scan reports (%s)', async (view) => {
    const scan = await warningsOf('off', view);
    expect(scan.ws.length).toBeGreaterThan(3);
    const viaCatalog = await warningsOf('on', view);
    expect(viaCatalog.path).not.toBe('scan');
    expect(sorted(viaCatalog.ws)).toEqual(sorted(scan.ws));
    // Each once per store: the same store querying again hears nothing new.
    const before = viaCatalog.ws.length;
    await viaCatalog.store.searchRuns([expId], { runViewType: view });
    await viaCatalog.store.searchRuns([expId], { runViewType: view, filterString: "params.p = '1'" });
    expect(viaCatalog.ws.length).toBe(before);
    expect(viaCatalog.ws.length).toBe(new Set(viaCatalog.ws.map(key)).size);
    viaCatalog.store.close();
  });

  it('names the paths; reaches MlflowClient.warnings; an unknown experiment gives none', async () => {
    const client = new MlflowClient(root, { catalog: 'on', catalogDir, onWarning: () => undefined });
    await client.searchRuns([expId], '', { runViewType: 'ALL' });
    const codes = new Set(client.warnings.map((w) => w.code));
    for (const c of ['MALFORMED_METRIC', 'EMPTY_META', 'MALFORMED_META', 'STRAY_ENTRY', 'MISSING_META']) expect(codes).toContain(c);
    for (const w of client.warnings) {
      expect(w.path.startsWith(path.join(root, expId))).toBe(true);
      expect(w.message).toContain(path.basename(w.path) === 'meta.yaml' ? path.basename(path.dirname(w.path)) : path.basename(w.path));
    }
    client.store.close();
    const none = new MlflowClient(root, { catalog: 'on', catalogDir, onWarning: () => undefined });
    await none.searchRuns(['424242']);
    expect(none.warnings).toEqual([]);
    none.store.close();
  });

  it("a catalog's onWarning hears of a damaged file once, and again only when its damage changed", async () => {
    const heard: ReadWarning[] = [];
    const dir = path.join(tmp, 'catalogs-own');
    const cat = openCatalog(root, { dir, onWarning: (w) => heard.push(w) });
    cat.refresh();
    const first = heard.length;
    expect(first).toBeGreaterThan(5);
    expect(heard.every((w) => w.path.startsWith(root))).toBe(true);
    cat.refresh();
    cat.refresh();
    expect(heard.length).toBe(first); // unchanged damaged files are not read again
    const r1Metric = heard.find((w) => w.code === 'MALFORMED_METRIC' && w.path === path.join(runDir(damagedMetricRun), 'metrics', 'm'));
    expect(r1Metric).toBeDefined();
    // Lines appended after the damage: re-read, the same problem, nothing new to hear.
    fs.appendFileSync(r1Metric!.path, '2 1.0 1\n');
    expect(cat.refresh().metricFilesRead).toBe(1);
    expect(heard.length).toBe(first);
    // Damaged differently: heard once.
    const text = fs.readFileSync(r1Metric!.path, 'utf8');
    fs.writeFileSync(r1Metric!.path, text.replace('not a metric line', '1 oops 0'));
    cat.refresh();
    cat.refresh();
    expect(heard.slice(first).map((w) => w.path)).toEqual([r1Metric!.path]);
    expect(heard[first]!.message).toContain('oops');
    // Repaired: nothing more to hear, and a query no longer reports it.
    const lines = fs.readFileSync(r1Metric!.path, 'utf8').split('\n').filter((l) => /^\d+ [\d.]+ \d+$/.test(l));
    fs.writeFileSync(r1Metric!.path, lines.map((l) => `${l}\n`).join(''));
    cat.refresh();
    expect(heard.length).toBe(first + 1);
    cat.close();
    const after = await warningsOf('on', 'ALL');
    const scan = await warningsOf('off', 'ALL');
    expect(sorted(after.ws)).toEqual(sorted(scan.ws));
    expect(after.ws.some((w) => w.path === r1Metric!.path)).toBe(false);
    after.store.close();
  });
});
