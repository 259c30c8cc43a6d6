/// <reference lib="dom" />
/**
 * The UI in a real browser (Debian chromium via playwright-core, one browser for the suite), on a
 * store written by Python MLflow and by us: every page, the runs grid (ARIA, filter errors with a
 * caret, sort, group, nested, columns), artifact previews, compare plots, charts (labels, x modes,
 * log, smoothing, group bands, zoom that re-queries), a spike visible in the pixels, a live point
 * logged by a Python child, every write action (Python reads the result), read-only, a damaged
 * store, 404 pages, and the docs screenshots compared loosely.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startUi } from '../../src/ui/server/index.js';
import type { UiServer } from '../../src/ui/server/index.js';
import { PyChild, REPO, ensureBundle, launchBrowser, makeStore } from './helpers.js';
import type { PyStore } from './helpers.js';

let store: PyStore;
let ui: UiServer;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let py: PyChild;
let catalogDir: string;
const errors: string[] = [];

async function open(p: string, wait: string): Promise<void> {
  await page.goto(`${ui.origin}${p}`);
  await page.waitForSelector(wait, { timeout: 15_000 });
}

beforeAll(async () => {
  ensureBundle();
  store = await makeStore();
  catalogDir = fs.mkdtempSync(path.join(path.dirname(store.root), 'cat-'));
  ui = await startUi({ root: store.root, port: 0, catalogDir });
  py = new PyChild(store.root);
  await py.ready();
  browser = await launchBrowser();
  ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[034]/.test(m.text())) errors.push(m.text());
  });
  // The first visit carries the token; the cookie does the rest.
  await page.goto(ui.url);
  await page.waitForSelector('table.list tbody tr');
});

afterAll(async () => {
  await browser?.close();
  py?.close();
  await ui?.close();
});

describe('pages', () => {
  it('experiments: names, run counts, search', async () => {
    await open('/', `tr[data-experiment-id="${store.experimentId}"]`);
    const row = page.locator(`tr[data-experiment-id="${store.experimentId}"]`);
    await expect.poll(() => row.locator('td').nth(3).textContent()).toBe('6');
    await expect.poll(() => page.locator(`tr[data-experiment-id="${store.oursExperimentId}"] td`).nth(1).textContent()).toBe('ours-ts');
    await page.fill('input[type=search]', 'sweep');
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(1);
    expect(page.url()).toContain('q=sweep');
  });

  it('runs: an ARIA grid with aria-rowcount = matching runs, sort, filter, group, nested', async () => {
    await open(`/experiments/${store.experimentId}`, '[role=row][data-run-id]');
    const grid = page.locator('[role=grid]');
    // aria-rowcount counts every row of the grid: the column header row and the 6 runs
    await expect.poll(() => grid.getAttribute('aria-rowcount')).toBe('7');
    expect(await page.locator('[role=row][data-run-id]').count()).toBe(6);
    // nested: the child run is marked
    await expect.poll(() => page.locator(`[data-run-id="${store.childRunId}"] .nest`).count()).toBe(1);
    // filter (URL holds it)
    await page.fill('input[name=filter]', "params.model = 'mlp'");
    await page.click('button[type=submit]');
    await expect.poll(() => grid.getAttribute('aria-rowcount')).toBe('3');
    expect(decodeURIComponent(page.url())).toContain("filter=params.model+=+'mlp'".replace(/\+/g, '+'));
    // sort by clicking a header: order_by goes to the URL and the catalog orders
    await page.fill('input[name=filter]', "params.lr != ''");
    await page.click('button[type=submit]');
    await expect.poll(() => grid.getAttribute('aria-rowcount')).toBe('5');
    await page.goto(`${ui.origin}/experiments/${store.experimentId}?filter=${encodeURIComponent("params.lr != ''")}&order=${encodeURIComponent('params.lr ASC')}&cols=params.lr,metrics.loss`);
    await expect.poll(async () => page.locator('[role=row][data-run-id] [role=gridcell]:nth-child(6)').allTextContents()).toEqual(['0.001', '0.01', '0.03', '0.1']);
    await page.locator('[role=columnheader]', { hasText: 'lr' }).locator('button').click();
    await expect.poll(async () => page.locator('[role=row][data-run-id] [role=gridcell]:nth-child(6)').allTextContents()).toEqual(['0.1', '0.03', '0.01', '0.001']);
    expect(await page.locator('[role=columnheader][aria-sort=descending]').count()).toBe(1);
    // group by a param: a header per group (its value as a chip)
    await page.selectOption('select[name=group]', 'params.model');
    await expect.poll(async () => page.locator('.chip').allTextContents()).toEqual(['cnn', 'mlp']);
    // keyboard: the grid takes focus on the first group header, arrows move, Enter opens a run
    await page.locator('[role=grid]').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.run-page h1');
    expect(page.url()).toMatch(/\/runs\/[0-9a-f]{32}$/);
  });

  it('runs: the first page, columns, names and info come with the HTML (not asked for); a new sort asks for its page once, not the count', async () => {
    const asked: URL[] = [];
    const onRequest = (r: { url(): string }): void => {
      if (r.url().includes('/api/')) asked.push(new URL(r.url()));
    };
    page.on('request', onRequest);
    try {
      await open(`/experiments/${store.experimentId}`, '[role=row][data-run-id]');
      expect(await page.locator('[role=row][data-run-id]').count()).toBe(6);
      await expect.poll(() => page.locator('[role=grid]').getAttribute('aria-rowcount')).toBe('7');
      // The columns (from the HTML) are in the grid, and the experiment's name in the crumbs.
      expect(await page.locator('[role=columnheader]', { hasText: 'lr' }).count()).toBe(1);
      expect(await page.locator('nav.crumbs').textContent()).toContain('ui-sweep');
      const runs = (): URLSearchParams[] => asked.filter((u) => u.pathname === '/api/runs').map((u) => u.searchParams);
      expect(runs().filter((p) => p.get('count') === '0')).toEqual([]);
      expect(runs().filter((p) => p.get('limit') === '1')).toHaveLength(1); // the count
      expect(asked.filter((u) => ['/api/columns', '/api/info', `/api/experiments/${store.experimentId}`].includes(u.pathname))).toEqual([]);
      await page.locator('[role=columnheader]', { hasText: 'lr' }).locator('button').click();
      await expect.poll(() => runs().filter((p) => p.get('count') === '0' && p.get('order_by') === 'params.lr ASC').length).toBe(1);
      await expect.poll(async () => page.locator('[role=row][data-run-id]').count()).toBe(6);
      // Asked for once: at the click (before the page renders the new order), the page's own ask shares it.
      expect(runs().filter((p) => p.get('count') === '0' && p.get('order_by') === 'params.lr ASC')).toHaveLength(1);
      // The count is the same for any order: kept, not asked again.
      expect(await page.locator('[role=grid]').getAttribute('aria-rowcount')).toBe('7');
      expect(runs().filter((p) => p.get('limit') === '1')).toHaveLength(1);
      // A new filter asks for its count.
      await page.fill('input[name=filter]', "params.model = 'mlp'");
      await page.click('button[type=submit]');
      await expect.poll(() => page.locator('[role=grid]').getAttribute('aria-rowcount')).toBe('3');
      expect(runs().filter((p) => p.get('limit') === '1')).toHaveLength(2);
      expect(runs().filter((p) => p.get('count') === '0' && p.get('filter') === "params.model = 'mlp'")).toHaveLength(1);
    } finally {
      page.off('request', onRequest);
    }
  });

  it('runs: group by a param: collapsible headers with counts (Python\'s order), keyboard, state in the URL', async () => {
    // Python MLflow's order by the group key gives the groups, their order and their runs.
    const py_ = await py.call<{ runs: { id: string; params: Record<string, string> }[] }>({ op: 'search_order', experiment_id: store.experimentId, order_by: ['params.model ASC'] });
    const want: { value: string; ids: string[] }[] = [];
    for (const r of py_.runs) {
      const v = r.params['model'] ?? '(none)';
      if (want.at(-1)?.value === v) want.at(-1)!.ids.push(r.id);
      else want.push({ value: v, ids: [r.id] });
    }
    expect(want.length).toBeGreaterThan(1);
    await open(`/experiments/${store.experimentId}?group=params.model`, '[role=row][data-group]');
    const grid = page.locator('[role=grid]');
    const total = want.length + py_.runs.length;
    await expect.poll(() => grid.getAttribute('aria-rowcount')).toBe(String(total + 1));
    /** The grid as shown: per group header, its value, expanded state, count text and the runs under it. */
    const shown = (): Promise<{ value: string; expanded: string | null; count: string; ids: string[]; indexes: number[] }[]> =>
      page.evaluate(() => {
        const rows = Array.from(document.querySelectorAll('[role=grid] [role=row]')).filter((r) => r.getAttribute('aria-rowindex') !== '1');
        rows.sort((a, b) => Number(a.getAttribute('aria-rowindex')) - Number(b.getAttribute('aria-rowindex')));
        const out: { value: string; expanded: string | null; count: string; ids: string[]; indexes: number[] }[] = [];
        for (const r of rows) {
          const g = r.getAttribute('data-group');
          if (g !== null) out.push({ value: g, expanded: r.getAttribute('aria-expanded'), count: r.querySelector('.count')?.textContent ?? '', ids: [], indexes: [Number(r.getAttribute('aria-rowindex'))] });
          else {
            out.at(-1)!.ids.push(r.getAttribute('data-run-id') ?? '');
            out.at(-1)!.indexes.push(Number(r.getAttribute('aria-rowindex')));
          }
        }
        return out;
      });
    const expected = (closed: Set<string>) =>
      want.map((g) => ({
        value: g.value,
        expanded: String(!closed.has(g.value)),
        count: `(${g.ids.length} run${g.ids.length === 1 ? '' : 's'})`,
        ids: closed.has(g.value) ? [] : [...g.ids].sort(),
      }));
    const check = async (closed: Set<string>): Promise<void> => {
      await expect
        .poll(async () => (await shown()).map(({ value, expanded, count, ids }) => ({ value, expanded, count, ids: [...ids].sort() })))
        .toEqual(expected(closed));
      // every row has its index: 2..N+1 with no gap, N = headers + runs of open groups
      const n = want.length + want.filter((g) => !closed.has(g.value)).reduce((a, g) => a + g.ids.length, 0);
      expect((await shown()).flatMap((g) => g.indexes)).toEqual(Array.from({ length: n }, (_, i) => i + 2));
      expect(await grid.getAttribute('aria-rowcount')).toBe(String(n + 1));
    };
    await check(new Set());
    // a click on the first header collapses it: its runs go, the count and the URL follow
    const first = want[0]!.value;
    await page.locator('[role=row][data-group] button').first().click();
    await check(new Set([first]));
    expect(new URL(page.url()).searchParams.get('collapsed')).toBe(encodeURIComponent(`=${first}`));
    // the URL holds the state: a reload shows the same
    await page.reload();
    await page.waitForSelector('[role=row][data-group]');
    await check(new Set([first]));
    // keyboard: Home (first header), Right expands, Left collapses, Space and Enter toggle
    await grid.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await check(new Set());
    await page.keyboard.press('ArrowLeft');
    await check(new Set([first]));
    await page.keyboard.press(' ');
    await check(new Set());
    // down to the second header (past the first group's runs), Enter collapses it
    for (let k = 0; k <= want[0]!.ids.length; k++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await check(new Set([want[1]!.value]));
    expect(page.url()).toContain('/experiments/');
    // a filter keeps the grouping; groups and counts follow it (Python says which runs match)
    const pyF = await py.call<{ runs: { id: string; params: Record<string, string> }[] }>({ op: 'search_order', experiment_id: store.experimentId, filter: "params.lr != ''", order_by: ['params.model ASC'] });
    await page.fill('input[name=filter]', "params.lr != ''");
    await page.click('button[type=submit]');
    const groupsF = [...new Set(pyF.runs.map((r) => r.params['model'] ?? '(none)'))];
    await expect.poll(async () => (await shown()).map((g) => g.value)).toEqual(groupsF);
  });

  it("runs: a malformed filter shows MLflow's error with a caret", async () => {
    await open(`/experiments/${store.experimentId}?filter=${encodeURIComponent("params.lr >> '1'")}`, '.error');
    const text = await page.locator('.error').textContent();
    expect(text).toContain("Invalid comparator '>>'");
    const caret = (await page.locator('pre.caret').textContent())!;
    const [line, mark] = caret.split('\n');
    expect(line).toBe("params.lr >> '1'");
    expect(mark!.indexOf('^')).toBe("params.lr >> '1'".indexOf('>>'));
  });

  it('runs: the column chooser fits the window by default', async () => {
    await ctx.newPage().then(async (p2) => {
      const counts: number[] = [];
      for (const width of [1400, 760]) {
        await p2.setViewportSize({ width, height: 700 });
        await p2.goto(`${ui.origin}/experiments/${store.experimentId}`);
        await p2.waitForSelector('[role=row][data-run-id]');
        counts.push(await p2.locator('[role=columnheader]').count());
        const overflow = await p2.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
      }
      expect(counts[0]!).toBeGreaterThan(counts[1]!);
      await p2.close();
    });
  });

  it('run: params, metrics, tags, dataset, logged model, artifacts with previews', async () => {
    const rid = store.runs['lr-0.1']!;
    await open(`/runs/${rid}`, '.run-page h1');
    const body = (await page.locator('main').textContent())!;
    for (const s of ['lr-0.1', 'Parameters', '0.1', 'cnn', 'loss', 'acc', 'kind', 'sweep', 'train', 'abc123', 'notes', 'config', 'model']) expect(body).toContain(s);
    expect(await page.locator('figure.chart[aria-label="Chart of metric loss"]').count()).toBe(1);
    // previews
    await open(`/runs/${rid}/artifacts/notes/hello.txt`, '.preview pre');
    expect(await page.locator('.preview pre').textContent()).toBe('hello world\n');
    await open(`/runs/${rid}/artifacts/config/params.json`, '.preview pre');
    expect(JSON.parse((await page.locator('.preview pre').textContent())!)).toEqual({ layers: 3, act: 'relu' });
    await open(`/runs/${rid}/artifacts/config/params.yaml`, '.preview pre');
    expect(await page.locator('.preview pre').textContent()).toContain('act: relu');
    await open(`/runs/${rid}/artifacts/data/table.csv`, '.preview table');
    expect(await page.locator('.preview table th').allTextContents()).toEqual(['a', 'b']);
    await open(`/runs/${rid}/artifacts/images/_ui_px.png`, '.preview img');
    await expect.poll(() => page.locator('.preview img').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(2);
    await open(`/runs/${rid}/artifacts/model`, '.artifacts h3');
    await expect.poll(() => page.locator('.artifacts .preview pre').textContent()).toContain('python_function');
    // an HTML artifact is a download, never rendered
    await open(`/runs/${rid}/artifacts/report.html`, '.preview a[download]');
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('run written by us', async () => {
    await open(`/runs/${store.oursRunId}`, '.run-page h1');
    const body = (await page.locator('main').textContent())!;
    for (const s of ['ts-run', 'optimizer', 'adam', 'writer', 'mlruns']) expect(body).toContain(s);
  });

  it('unknown run and artifact: 404 pages with a way back', async () => {
    const r = await page.goto(`${ui.origin}/runs/ffffffffffffffffffffffffffffffff`);
    expect(r!.status()).toBe(404);
    await page.waitForSelector('.notfound');
    await page.click('text=Back to experiments');
    await page.waitForSelector('table.list tbody tr');
    const r2 = await page.goto(`${ui.origin}/runs/${store.oursRunId}/artifacts/missing.txt`);
    expect(r2!.status()).toBe(404);
    await page.waitForSelector('.artifacts .error');
    expect(await page.locator('.artifacts .error a').getAttribute('href')).toBe(`/runs/${store.oursRunId}`);
  });

  it('compare: side by side, differences only, parallel coordinates, scatter, box plots', async () => {
    const ids = Object.values(store.runs).join(',');
    await open(`/compare?runs=${ids}`, '.compare-page h1');
    expect(await page.locator('h1').textContent()).toBe('Compare 4 runs');
    const all = await page.locator('table.compare tbody tr').count();
    await page.click('text=differences only');
    await expect.poll(() => page.locator('table.compare tbody tr').count()).toBeLessThan(all);
    expect(page.url()).toContain('diff=1');
    // kind=sweep is the same everywhere: hidden; lr differs: shown
    const keys = await page.locator('table.compare tbody th').allTextContents();
    expect(keys).toContain('lr');
    expect(keys).not.toContain('kind');
    for (const label of ['Parallel coordinates of', 'Scatter of', 'Box plot of']) {
      const c = page.locator(`canvas[aria-label^="${label}"]`);
      expect(await c.count()).toBe(1);
      const inked = await c.evaluate((el: HTMLCanvasElement) => {
        const d = el.getContext('2d')!.getImageData(0, 0, el.width, el.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
      expect(inked, label).toBeGreaterThan(500);
    }
  });

  it('charts: one per metric, labelled; x modes, log, smoothing, group bands, zoom re-queries', async () => {
    const ids = Object.values(store.runs).join(',');
    await open(`/charts?runs=${ids}`, 'figure.chart[data-points]');
    expect(await page.locator('figure.chart').evaluateAll((f) => f.map((x) => x.getAttribute('aria-label')))).toEqual(['Chart of metric acc', 'Chart of metric loss']);
    const loss = page.locator('figure.chart[data-metric=loss]');
    await expect.poll(() => loss.getAttribute('data-points')).toBe(String(4 * 60));
    await expect.poll(() => loss.getAttribute('data-xmax')).toBe('59');
    // x = relative time (seconds since the run started)
    await page.selectOption('.toolbar select >> nth=0', 'relative');
    await expect.poll(() => loss.getAttribute('data-xmax')).toBe('59');
    await page.selectOption('.toolbar select >> nth=0', 'metric:acc');
    await expect.poll(async () => Number(await loss.getAttribute('data-xmax'))).toBeLessThan(1);
    await page.selectOption('.toolbar select >> nth=0', 'step');
    // log y and smoothing change what is drawn
    await page.click('text=log y');
    await expect.poll(() => page.url()).toContain('logy=1');
    await page.goto(`${ui.origin}/charts?runs=${ids}&metrics=loss`);
    await page.waitForSelector('figure.chart[data-points]');
    await expect.poll(async () => Number(await page.locator('figure.chart').getAttribute('data-ymin'))).toBeCloseTo(1 / 63, 10);
    await page.goto(`${ui.origin}/charts?runs=${ids}&metrics=loss&smooth=0.9`);
    await page.waitForSelector('figure.chart[data-points]');
    await expect.poll(async () => Number(await page.locator('figure.chart').getAttribute('data-ymin'))).toBeGreaterThan(1 / 63 + 0.002);
    // group by model: a mean line and two band edges per group
    await page.goto(`${ui.origin}/charts?runs=${ids}&metrics=loss&group=params.model&bands=minmax`);
    await page.waitForSelector('figure.chart[data-points]');
    const legend = await page.locator('.u-legend .u-series th').allTextContents();
    expect(legend.filter((l) => /mean of 2/.test(l))).toHaveLength(2);
    expect(legend.filter((l) => /max$/.test(l))).toHaveLength(2);
    // zoom: the range goes to the URL and the server is asked again for that range
    await page.goto(`${ui.origin}/charts?runs=${ids}&metrics=loss&from=10&to=20`);
    await page.waitForSelector('figure.chart[data-points]');
    await expect.poll(() => page.locator('figure.chart').getAttribute('data-xmax')).toBe('20');
    const chart = page.locator('figure.chart .u-over');
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).searchParams.get('to')).not.toBe('20');
    const to = Number(new URL(page.url()).searchParams.get('to'));
    expect(to).toBeGreaterThan(12);
    expect(to).toBeLessThan(18);
    await expect.poll(async () => Number(await page.locator('figure.chart').getAttribute('data-xmax'))).toBeLessThanOrEqual(to);
  });

  it('a single spike among 40,000 points shows in the pixels at every zoom', async () => {
    for (const [from, to] of [[null, null], [0, 20000], [7000, 9000], [7700, 7900]] as const) {
      await page.goto(`${ui.origin}/charts?runs=${store.spikeRunId}&metrics=signal${from !== null ? `&from=${from}&to=${to}` : ''}`);
      await page.waitForSelector('figure.chart[data-points]');
      await expect.poll(() => page.locator('figure.chart').getAttribute('data-ymax')).toBe('100');
      // The curve's colour reaches the top 10% of the plot (the spike) while most of it stays low.
      const { top, bottom } = await page.locator('figure.chart canvas').evaluate((c: HTMLCanvasElement) => {
        const g = c.getContext('2d')!;
        const d = g.getImageData(0, 0, c.width, c.height).data;
        let top = 0;
        let bottom = 0;
        for (let y = 0; y < c.height; y++) {
          for (let x = 0; x < c.width; x++) {
            const i = (y * c.width + x) * 4;
            // uPlot's first series colour #1f77b4
            if (Math.abs(d[i]! - 0x1f) < 40 && Math.abs(d[i + 1]! - 0x77) < 40 && Math.abs(d[i + 2]! - 0xb4) < 40 && d[i + 3]! > 100) {
              if (y < c.height * 0.25) top++;
              else if (y > c.height * 0.6) bottom++;
            }
          }
        }
        return { top, bottom };
      });
      expect(top, `${from}-${to}`).toBeGreaterThan(3);
      expect(bottom, `${from}-${to}`).toBeGreaterThan(top);
    }
  });

  it('models: list, versions, aliases, stages, tags', async () => {
    await open('/models', 'table.list tbody tr');
    const row = (await page.locator('table.list tbody tr').first().textContent())!;
    expect(row).toContain('ui-model');
    expect(row).toContain('@champion → v1');
    await page.click('text=ui-model');
    await page.waitForSelector('tr[data-version="2"]');
    expect(await page.locator('select[aria-label="stage of version 1"]').inputValue()).toBe('Production');
    expect(await page.locator('main').textContent()).toContain('owner=ml');
  });
});

describe('live', () => {
  it('a point logged by Python appears in the open chart without a reload', async () => {
    await page.goto(`${ui.origin}/charts?runs=${store.liveRunId}&metrics=live`);
    await page.waitForSelector('figure.chart[data-points]');
    const before = await page.locator('figure.chart').getAttribute('data-xmax');
    expect(before).toBe('0');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    for (const step of [5, 6]) {
      await py.call({ op: 'log_metric', run_id: store.liveRunId, key: 'live', value: step * 2, step });
      await expect.poll(() => page.locator('figure.chart').getAttribute('data-xmax'), { timeout: 10_000 }).toBe(String(step));
    }
    expect(await page.locator('figure.chart').getAttribute('data-points')).toBe('3');
    // the same page (no navigation happened)
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  });

  it('the runs table updates in place when Python logs', async () => {
    await page.goto(`${ui.origin}/experiments/${store.otherExperimentId}?cols=metrics.live`);
    await page.waitForSelector(`[data-run-id="${store.liveRunId}"]`);
    await py.call({ op: 'log_metric', run_id: store.liveRunId, key: 'live', value: 123.5, step: 9 });
    await expect.poll(() => page.locator(`[data-run-id="${store.liveRunId}"]`).textContent(), { timeout: 10_000 }).toContain('123.5');
  });
});

describe('writes (Python reads each change)', () => {
  const accept = (value?: string): void => {
    page.once('dialog', (d) => void d.accept(value));
  };
  it('run: rename, set tag, delete tag, delete, restore', async () => {
    const rid = store.runs['lr-0.03']!;
    await open(`/runs/${rid}`, '.run-page h1');
    accept('renamed-by-ui');
    await page.click('button:text("Rename")');
    await expect.poll(async () => (await py.call({ op: 'get_run', run_id: rid })).name).toBe('renamed-by-ui');
    await expect.poll(() => page.locator('h1').textContent()).toContain('renamed-by-ui');
    page.once('dialog', (d) => {
      void d.accept('stage');
      page.once('dialog', (d2) => void d2.accept('golden'));
    });
    await page.click('button:text("Set tag")');
    await expect.poll(async () => (await py.call({ op: 'get_run', run_id: rid })).tags['stage']).toBe('golden');
    await page.waitForSelector('button[aria-label="delete tag stage"]');
    await page.click('button[aria-label="delete tag stage"]');
    await expect.poll(async () => 'stage' in (await py.call({ op: 'get_run', run_id: rid })).tags).toBe(false);
    await page.click('button:text("Delete")');
    await expect.poll(async () => (await py.call({ op: 'get_run', run_id: rid })).lifecycle).toBe('deleted');
    await page.waitForSelector('button:text("Restore")');
    await page.click('button:text("Restore")');
    await expect.poll(async () => (await py.call({ op: 'get_run', run_id: rid })).lifecycle).toBe('active');
  });

  it('runs table: delete and restore selected runs', async () => {
    const rid = store.runs['lr-0.001']!;
    await open(`/experiments/${store.experimentId}`, `[data-run-id="${rid}"]`);
    await page.locator(`[data-run-id="${rid}"] input[type=checkbox]`).check();
    await page.click('.toolbar button:text("Delete")');
    await expect.poll(async () => (await py.call({ op: 'get_run', run_id: rid })).lifecycle).toBe('deleted');
    await expect.poll(() => page.locator('[role=grid]').getAttribute('aria-rowcount')).toBe('6'); // 5 runs + the header row
    await page.goto(`${ui.origin}/experiments/${store.experimentId}?view=DELETED_ONLY`);
    await page.waitForSelector(`[data-run-id="${rid}"]`);
    await page.locator(`[data-run-id="${rid}"] input[type=checkbox]`).check();
    await page.click('.toolbar button:text("Restore")');
    await expect.poll(async () => (await py.call({ op: 'get_run', run_id: rid })).lifecycle).toBe('active');
  });

  it('experiment: rename, delete, restore', async () => {
    const eid = store.oursExperimentId;
    await open('/?view=ALL', `tr[data-experiment-id="${eid}"]`);
    const row = page.locator(`tr[data-experiment-id="${eid}"]`);
    accept('ours-renamed');
    await row.locator('button:text("rename")').click();
    await expect.poll(async () => (await py.call({ op: 'get_experiment', experiment_id: eid })).name).toBe('ours-renamed');
    await row.locator('button:text("delete")').click();
    await expect.poll(async () => (await py.call({ op: 'get_experiment', experiment_id: eid })).lifecycle).toBe('deleted');
    await row.locator('button:text("restore")').click();
    await expect.poll(async () => (await py.call({ op: 'get_experiment', experiment_id: eid })).lifecycle).toBe('active');
  });

  it('registry: set and delete an alias, transition a stage, set and delete a tag', async () => {
    await open('/models/ui-model', 'tr[data-version="2"]');
    page.once('dialog', (d) => {
      void d.accept('challenger');
      page.once('dialog', (d2) => void d2.accept('2'));
    });
    await page.click('button:text("Set alias")');
    await expect.poll(async () => (await py.call({ op: 'get_model', name: 'ui-model' })).aliases).toEqual({ champion: '1', challenger: '2' });
    await page.waitForSelector('button[aria-label="delete alias champion"]');
    await page.click('button[aria-label="delete alias champion"]');
    await expect.poll(async () => (await py.call({ op: 'get_model', name: 'ui-model' })).aliases).toEqual({ challenger: '2' });
    await page.selectOption('select[aria-label="stage of version 2"]', 'Staging');
    await expect.poll(async () => (await py.call({ op: 'get_model', name: 'ui-model' })).stages['2']).toBe('Staging');
    page.once('dialog', (d) => {
      void d.accept('reviewed');
      page.once('dialog', (d2) => void d2.accept('yes'));
    });
    await page.click('button:text("Set tag")');
    await expect.poll(async () => (await py.call({ op: 'get_model', name: 'ui-model' })).tags['reviewed']).toBe('yes');
    await page.waitForSelector('button[aria-label="delete model tag reviewed"]');
    await page.click('button[aria-label="delete model tag reviewed"]');
    await expect.poll(async () => 'reviewed' in (await py.call({ op: 'get_model', name: 'ui-model' })).tags).toBe(false);
  });
});

describe('read-only and damaged stores', () => {
  it('read-only: no write controls, and the API refuses', async () => {
    const ro = await startUi({ root: store.root, port: 0, readOnly: true, catalogDir: path.join(catalogDir, 'ro') });
    const p = await browser.newPage();
    try {
      await p.goto(ro.url);
      await p.waitForSelector('table.list tbody tr');
      expect(await p.locator('.badge').textContent()).toBe('read-only');
      expect(await p.locator('button:text("rename")').count()).toBe(0);
      await p.goto(`${ro.origin}/runs/${store.oursRunId}`);
      await p.waitForSelector('.run-page h1');
      expect(await p.locator('button:text("Delete")').count()).toBe(0);
      const status = await p.evaluate(async (rid) => {
        const token = document.querySelector<HTMLMetaElement>('meta[name="mlruns-token"]')!.content;
        const r = await fetch(`/api/runs/${rid}/delete`, { method: 'POST', headers: { 'X-Mlruns-Token': token } });
        return r.status;
      }, store.oursRunId);
      expect(status).toBe(403);
      expect((await py.call({ op: 'get_run', run_id: store.oursRunId })).lifecycle).toBe('active');
    } finally {
      await p.close();
      await ro.close();
    }
  });

  it('a damaged store: pages show the warnings, never a blank screen', async () => {
    const damaged = path.join(path.dirname(store.root), 'damaged');
    fs.cpSync(store.root, damaged, { recursive: true });
    const rid = store.runs['lr-0.01']!;
    fs.writeFileSync(path.join(damaged, store.experimentId, rid, 'meta.yaml'), 'run_id: [unclosed\n');
    fs.writeFileSync(path.join(damaged, store.experimentId, store.runs['lr-0.1']!, 'metrics', 'loss'), 'garbage line here now\n');
    fs.mkdirSync(path.join(damaged, 'not-an-experiment'));
    const bad = await startUi({ root: damaged, port: 0, catalogDir: path.join(catalogDir, 'damaged') });
    const p = await browser.newPage();
    try {
      await p.goto(bad.url);
      await p.waitForSelector('table.list tbody tr');
      await p.goto(`${bad.origin}/experiments/${store.experimentId}`);
      await p.waitForSelector('[role=row][data-run-id]');
      await p.waitForSelector('details.warnings');
      expect(await p.locator('details.warnings').textContent()).toMatch(/damaged entr/);
      expect(await p.locator('[role=row][data-run-id]').count()).toBeGreaterThan(2);
      await p.goto(`${bad.origin}/runs/${rid}`);
      await p.waitForSelector('main .notfound, main .error');
      expect((await p.locator('main').textContent())!.length).toBeGreaterThan(10);
    } finally {
      await p.close();
      await bad.close();
    }
  });

  it('no script errors on any page', () => {
    expect(errors).toEqual([]);
  });
});

describe('screenshots (docs/ui)', () => {
  const DIR = path.join(REPO, 'docs/ui');
  const SIZES = [
    { name: 'wide', width: 1280, height: 800 },
    { name: 'narrow', width: 720, height: 900 },
  ];
  it('each page at two window sizes looks like the kept screenshot', async () => {
    const ids = Object.values(store.runs).join(',');
    const pages: [string, string, string][] = [
      ['experiments', '/', 'table.list tbody tr'],
      ['runs', `/experiments/${store.experimentId}`, '[role=row][data-run-id]'],
      ['run', `/runs/${store.runs['lr-0.1']}`, 'figure.chart[data-points]'],
      ['artifact', `/runs/${store.runs['lr-0.1']}/artifacts/model`, '.artifacts .preview pre'],
      ['compare', `/compare?runs=${ids}`, 'canvas'],
      ['charts', `/charts?runs=${ids}&group=params.model`, 'figure.chart[data-points]'],
      ['models', '/models', 'table.list tbody tr'],
      ['model', '/models/ui-model', 'tr[data-version]'],
      ['not-found', '/runs/ffffffffffffffffffffffffffffffff', '.notfound'],
    ];
    const update = process.env['UPDATE_SCREENSHOTS'] === '1';
    fs.mkdirSync(DIR, { recursive: true });
    const p = await ctx.newPage();
    try {
      for (const size of SIZES) {
        await p.setViewportSize({ width: size.width, height: size.height });
        for (const [name, url, wait] of pages) {
          await p.goto(`${ui.origin}${url}`);
          await p.waitForSelector(wait);
          await p.waitForTimeout(300);
          const shot = await p.screenshot();
          const file = path.join(DIR, `${name}-${size.name}.png`);
          if (update || !fs.existsSync(file)) {
            fs.writeFileSync(file, shot);
            continue;
          }
          // Loose comparison in the browser: same size, and a coarse (32x20 grey) picture close.
          const kept = fs.readFileSync(file).toString('base64');
          const diff = await p.evaluate(
            async ([a, b]) => {
              const load = (s: string): Promise<HTMLImageElement> =>
                new Promise((res, rej) => {
                  const i = new Image();
                  i.onload = () => res(i);
                  i.onerror = rej;
                  i.src = URL.createObjectURL(new Blob([Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0))], { type: 'image/png' }));
                });
              const [x, y] = await Promise.all([load(a), load(b)]);
              const coarse = (img: HTMLImageElement): number[] => {
                const c = document.createElement('canvas');
                c.width = 32;
                c.height = 20;
                const g = c.getContext('2d')!;
                g.drawImage(img, 0, 0, 32, 20);
                const d = g.getImageData(0, 0, 32, 20).data;
                const out: number[] = [];
                for (let k = 0; k < d.length; k += 4) out.push((d[k]! + d[k + 1]! + d[k + 2]!) / 3);
                return out;
              };
              const ca = coarse(x);
              const cb = coarse(y);
              let sum = 0;
              for (let k = 0; k < ca.length; k++) sum += Math.abs(ca[k]! - cb[k]!);
              return { sameSize: x.width === y.width && x.height === y.height, mean: sum / ca.length };
            },
            [kept, shot.toString('base64')] as const,
          );
          expect(diff.sameSize, file).toBe(true);
          expect(diff.mean, file).toBeLessThan(12);
        }
      }
    } finally {
      await p.close();
    }
  });
});
