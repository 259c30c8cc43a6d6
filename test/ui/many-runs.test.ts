/**
 * A chart of many runs in a real browser (drawn by the chart itself, not one uPlot series per
 * run, from the catalog's series summaries): every run's line is drawn, a single spike and a
 * single dip among 60 runs x 20,000 steps show at the full range and zoomed in, and the runs table
 * shows its rows and then the count of matching runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { startUi } from '../../src/ui/server/index.js';
import type { UiServer } from '../../src/ui/server/index.js';
import { ensureBundle, launchBrowser } from './helpers.js';

const RUNS = 60;
const STEPS = 20_000;
let base: string;
let experimentId: string;
let ui: UiServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureBundle();
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-many-'));
  const root = path.join(base, 'mlruns');
  const c = new MlflowClient(root, { catalog: 'off' });
  experimentId = await c.createExperiment('many');
  for (let k = 0; k < RUNS; k++) {
    const run = await c.createRun(experimentId, { runName: `r${k}`, startTime: 1_700_000_000_000 + k });
    // The metric file as MLflow writes it (timestamp value step), one spike and one dip in all
    // (in runs drawn pink and green, newest first: the palette's grey would not count as a colour).
    let text = '';
    for (let s = 0; s < STEPS; s++) {
      const v = k === 13 && s === 12_345 ? 1000 : k === 47 && s === 7777 ? -1000 : Math.sin(s / 100 + k) * 0.5;
      text += `${1_700_000_000_000 + s} ${v} ${s}\n`;
    }
    fs.writeFileSync(path.join(root, experimentId, run.info.runId, 'metrics', 'loss'), text);
  }
  c.close();
  ui = await startUi({ root, port: 0, catalogDir: path.join(base, 'cat') });
  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await ctx.newPage();
  await page.goto(ui.url);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  fs.rmSync(base, { recursive: true, force: true });
});

/** Pixels of the plot's canvas in a run's colour: how many, and the highest and lowest (fraction of the height from the top). */
function inked(p: Page): Promise<{ all: number; highest: number; lowest: number }> {
  return p.locator('figure.chart canvas').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let all = 0;
    let highest = 1;
    let lowest = 0;
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const i = (y * c.width + x) * 4;
        // A run's colour (the palette is saturated; axes, grid and text are grey).
        const ink = d[i + 3]! > 0 && Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 60;
        if (!ink) continue;
        all++;
        highest = Math.min(highest, y / c.height);
        lowest = Math.max(lowest, y / c.height);
      }
    }
    return { all, highest, lowest };
  });
}

describe('a chart of many runs', () => {
  const zooms = [[null, null], [10_000, 15_000], [12_340, 12_350], [7000, 8000], [1000, 2000]] as const;

  /** Every run drawn; the spike and the dip (when in the range) drawn far from the other lines. */
  async function check(from: number | null, to: number | null): Promise<void> {
    const chart = page.locator('figure.chart');
    const label = `[${from}, ${to}]`;
    const spike = from === null || (from <= 12_345 && 12_345 <= to!);
    const dip = from === null || (from <= 7777 && 7777 <= to!);
    if (spike) await expect.poll(() => chart.getAttribute('data-ymax'), { message: label }).toBe('1000');
    else expect(Number(await chart.getAttribute('data-ymax')), label).toBeLessThan(1);
    if (dip) expect(await chart.getAttribute('data-ymin'), label).toBe('-1000');
    if (to !== null) expect(Number(await chart.getAttribute('data-xmax')), label).toBeLessThanOrEqual(to);
    const points = Number(await chart.getAttribute('data-points'));
    expect(points, label).toBeGreaterThanOrEqual(RUNS);
    const ink = await inked(page);
    expect(ink.all, label).toBeGreaterThan(400); // at least a line across the plot
    // The spike is drawn far above the other lines (values within ±0.5), the dip far below.
    if (spike) expect(ink.highest, label).toBeLessThan(0.3);
    if (dip) expect(ink.lowest, label).toBeGreaterThan(0.55); // (the x axis takes the canvas' last quarter)
    if (!spike && !dip) expect(ink.lowest - ink.highest, label).toBeGreaterThan(0.3); // the ±0.5 waves fill the plot
  }

  it('draws every run and keeps a single spike and dip at the full range and zoomed in', async () => {
    for (const [from, to] of zooms) {
      await page.goto(`${ui.origin}/charts?experiments=${experimentId}&metrics=loss${from !== null ? `&from=${from}&to=${to}` : ''}`);
      await page.waitForSelector('figure.chart[data-points]');
      await check(from, to);
    }
  });

  it('zoomed in the open page, the plot takes each range in place (the same canvas), and draws what a fresh page does', async () => {
    await page.goto(`${ui.origin}/charts?experiments=${experimentId}&metrics=loss`);
    await page.waitForSelector('figure.chart[data-points]');
    await page.locator('figure.chart canvas').evaluate((c) => ((c as any).__kept = true));
    for (const [from, to] of [...zooms.slice(1), zooms[0]]) {
      const before = await page.locator('figure.chart').getAttribute('data-drawn-at');
      // What a drag on the plot does: the range goes to the URL, the page re-queries.
      await page.evaluate(([a, b]) => {
        const q = new URLSearchParams(location.search);
        if (a === null) {
          q.delete('from');
          q.delete('to');
        } else {
          q.set('from', String(a));
          q.set('to', String(b));
        }
        history.replaceState(null, '', `${location.pathname}?${q}`);
        window.dispatchEvent(new PopStateEvent('popstate'));
      }, [from, to] as const);
      await page.waitForFunction((prev) => document.querySelector('figure.chart')?.getAttribute('data-drawn-at') !== prev, before);
      await check(from, to);
      expect(await page.locator('figure.chart canvas').evaluate((c) => (c as any).__kept === true)).toBe(true);
    }
  });

  it('the runs table shows its rows, then the count of matching runs', async () => {
    await page.goto(`${ui.origin}/experiments/${experimentId}`);
    await page.waitForSelector('[role=row][data-run-id]');
    await expect.poll(() => page.locator('[role=grid]').getAttribute('aria-rowcount')).toBe(String(RUNS + 1));
    await expect.poll(() => page.locator('.toolbar .count').textContent()).toContain(`${RUNS} matching runs`);
  });
});
