/**
 * A refresh remembers an experiment folder it listed (its stat signature, once older than the
 * racy window): a later scoped refresh of the experiment (a watcher's sweep) does not list the
 * folder again while the signature is the same (listing 100k run folders blocks ~200 ms), and
 * lists it as soon as a run folder is added or removed. A reset forgets every listing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import type { Catalog } from '../../src/catalog/catalog.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-cat-listings-'));
const root = path.join(tmp, 'mlruns');
let expId = '';
let expDir = '';
const runs: string[] = [];
let cat: Catalog;
const saved = process.env['MLRUNS_CATALOG_RACY_MS'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const folders = (): string[] =>
  (cat.db.prepare('SELECT folder FROM runs WHERE exp_dir = ? ORDER BY folder').all(expId) as { folder: string }[]).map((r) => r.folder);
const scoped = (): void => void cat.refresh({ scope: { experiments: [{ loc: 'root', dir: expId }], runs: [] } });

beforeAll(async () => {
  // The folder probes' window (3 s by default) shortened: the listings' own 2 s floor remains.
  process.env['MLRUNS_CATALOG_RACY_MS'] = '100';
  const c = new MlflowClient(root, { catalog: 'off' });
  expId = await c.createExperiment('listings');
  for (let i = 0; i < 3; i++) runs.push((await c.createRun(expId)).info.runId);
  c.close();
  expDir = fs.realpathSync(path.join(root, expId));
  // Older than the racy window (2 s whatever MLRUNS_CATALOG_RACY_MS says): ctime cannot be set back.
  await sleep(2100);
  cat = openCatalog(root, { dir: path.join(tmp, 'cat') });
  cat.refresh();
}, 20_000);

afterAll(() => {
  if (saved === undefined) delete process.env['MLRUNS_CATALOG_RACY_MS'];
  else process.env['MLRUNS_CATALOG_RACY_MS'] = saved;
  cat?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('catalog: remembered experiment folder listings', () => {
  it('a cold build remembers the listing of a folder older than the racy window', () => {
    expect(cat.listings.has(expDir)).toBe(true);
    expect(folders()).toEqual([...runs].sort());
  });

  it('a scoped refresh does not list an unchanged folder again', () => {
    // A row the files still have, dropped behind the refresh's back: only a listing brings it back.
    cat.db.prepare('DELETE FROM runs WHERE exp_dir = ? AND folder = ?').run(expId, runs[0]);
    scoped();
    expect(folders()).toEqual(runs.slice(1).sort());
  });

  it('a run folder added changes the signature: the next scoped refresh lists the folder', async () => {
    const c = new MlflowClient(root, { catalog: 'off' });
    const added = (await c.createRun(expId)).info.runId;
    c.close();
    scoped();
    expect(folders()).toEqual([...runs, added].sort());
    // Too recent to be remembered: listed again (and again) until older than the racy window.
    expect(cat.listings.has(expDir)).toBe(false);
    fs.rmSync(path.join(expDir, added), { recursive: true });
    scoped();
    expect(folders()).toEqual([...runs].sort());
  });

  it('a reset forgets the listings', () => {
    cat.listings.set(expDir, 'x');
    cat.reset();
    expect(cat.listings.size).toBe(0);
  });
});
