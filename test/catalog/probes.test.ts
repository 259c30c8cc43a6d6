/**
 * The folder probes of a delta refresh: once a run's folders are older than the racy window, a
 * refresh stats what its signatures name instead of listing its folders, and skips it when
 * nothing changed. Every kind of change made right after such a refresh (in place or by rename,
 * in a nested folder, a whole run folder replaced by a copy keeping its timestamps) is seen, and
 * the catalog answers as the scan. The racy window is shortened here (MLRUNS_CATALOG_RACY_MS) so
 * the folders become trusted within the test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import type { Catalog } from '../../src/catalog/catalog.js';
import { compareAll } from './helpers.js';

const RACY = 150;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-cat-probes-'));
const root = path.join(tmp, 'mlruns');
let expId = '';
const runs: string[] = [];
let cat: Catalog;
const saved = process.env['MLRUNS_CATALOG_RACY_MS'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const dirOf = (i: number): string => path.join(root, expId, runs[i]!);

beforeAll(async () => {
  process.env['MLRUNS_CATALOG_RACY_MS'] = String(RACY);
  const c = new MlflowClient(root, { catalog: 'off' });
  expId = await c.createExperiment('probes');
  for (let i = 0; i < 14; i++) {
    const r = (await c.createRun(expId, { startTime: 1_700_000_000_000 + i })).info.runId;
    runs.push(r);
    await c.logParam(r, 'a', String(i));
    await c.logParam(r, 'nested/p', 'x');
    await c.setTag(r, 't1', 'abc');
    await c.setTag(r, 't2', 'abcdef');
    for (let s = 0; s < 3; s++) await c.logMetric(r, 'loss', 1 / (i + s + 1), { step: s, timestamp: 1000 + s });
    await c.logMetric(r, 'sub/m', i, { step: 0, timestamp: 1 });
  }
  fs.rmSync(path.join(dirOf(11), 'tags'), { recursive: true });
  // A param file as a writer leaves it between its create and its write: read empty.
  fs.writeFileSync(path.join(dirOf(13), 'params', 'late'), '');
  cat = openCatalog(root, { dir: path.join(tmp, 'cat') });
  await sleep(RACY + 50);
  expect(cat.refresh().cold).toBe(true);
});
afterAll(() => {
  cat.close();
  if (saved === undefined) delete process.env['MLRUNS_CATALOG_RACY_MS'];
  else process.env['MLRUNS_CATALOG_RACY_MS'] = saved;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const client = (): MlflowClient => new MlflowClient(root, { catalog: 'off' });

const OPS: [string, () => Promise<void> | void][] = [
  ['a metric line appended in place', () => fs.appendFileSync(path.join(dirOf(0), 'metrics', 'loss'), '5000 0.001 9\n')],
  ['a tag rewritten in place, same size', () => fs.writeFileSync(path.join(dirOf(1), 'tags', 't1'), 'xyz')],
  ['a tag rewritten in place, longer', () => fs.writeFileSync(path.join(dirOf(2), 'tags', 't2'), 'a longer value')],
  ['a param logged (written by rename)', () => client().logParam(runs[3]!, 'b', 'new')],
  ['a param file created in a nested params folder', () => fs.writeFileSync(path.join(dirOf(4), 'params', 'nested', 'q'), 'deep')],
  ['a tag file deleted', () => fs.rmSync(path.join(dirOf(5), 'tags', 't2'))],
  ['a metric file created', () => fs.writeFileSync(path.join(dirOf(6), 'metrics', 'acc'), '1 0.5 0\n')],
  ['a metric file created in a nested metrics folder', () => fs.writeFileSync(path.join(dirOf(7), 'metrics', 'sub', 'n'), '1 7.5 0\n')],
  [
    'meta.yaml rewritten in place, same size',
    () => {
      const p = path.join(dirOf(8), 'meta.yaml');
      const text = fs.readFileSync(p, 'utf8');
      expect(text).toContain('status: 1');
      fs.writeFileSync(p, text.replace('status: 1', 'status: 4'));
    },
  ],
  [
    'a run folder replaced by a copy keeping its timestamps, one tag changed',
    () => {
      const d = dirOf(9);
      const copy = `${d}.copy`;
      fs.cpSync(d, copy, { recursive: true, preserveTimestamps: true });
      fs.writeFileSync(path.join(copy, 'tags', 't1'), 'cba');
      const st = fs.statSync(path.join(d, 'tags', 't1'));
      fs.utimesSync(path.join(copy, 'tags', 't1'), st.atime, st.mtime);
      fs.rmSync(d, { recursive: true });
      fs.renameSync(copy, d);
    },
  ],
  [
    'inputs logged',
    () =>
      client().logInputs(runs[10]!, [
        { dataset: { name: 'ds', digest: 'd1', sourceType: 'local', source: '{}', schema: null, profile: null }, tags: [] },
      ]),
  ],
  [
    'a tags folder created in a run without one',
    () => {
      fs.mkdirSync(path.join(dirOf(11), 'tags'));
      fs.writeFileSync(path.join(dirOf(11), 'tags', 'new'), 'v');
    },
  ],
  ['a run folder removed', () => fs.rmSync(dirOf(12), { recursive: true })],
  // The writer's write, after a refresh read the file empty: the params folder's listing is the same.
  ['a param file read empty, then written', () => fs.writeFileSync(path.join(dirOf(13), 'params', 'late'), '0.5')],
];

describe('delta refresh through the folder probes', () => {
  it('a refresh with nothing changed reads nothing and lists no run folder', async () => {
    await sleep(RACY + 50);
    const listed: string[] = [];
    const orig = fs.readdirSync as (...a: unknown[]) => unknown;
    const spy = vi.spyOn(fs, 'readdirSync').mockImplementation(function (this: unknown, p: fs.PathLike, ...rest: unknown[]) {
      listed.push(String(p));
      return orig.call(this, p, ...rest);
    } as typeof fs.readdirSync);
    let r;
    try {
      r = cat.refresh();
    } finally {
      spy.mockRestore();
    }
    expect(r.runsRead + r.metricFilesRead).toBe(0);
    expect(listed.filter((p) => runs.some((id) => p.includes(id)))).toEqual([]);
    expect(listed.length).toBeGreaterThan(0);
    expect(compareAll(cat, root)).toBeNull();
  });

  it.each(OPS)('sees %s made right after a refresh', async (_name, op) => {
    await sleep(RACY + 50);
    const quiet = cat.refresh();
    expect(quiet.runsRead + quiet.metricFilesRead).toBe(0);
    await op();
    const r = cat.refresh({ emit: true });
    expect(r.runsRead + r.metricFilesRead + r.events.length).toBeGreaterThan(0);
    expect(compareAll(cat, root)).toBeNull();
  });
});
