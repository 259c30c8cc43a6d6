/**
 * Bench of `mlruns ui` in headless Chromium (Debian's, via playwright-core) on generated stores:
 *  - live: a Python `log_metric` on disk -> the point drawn in an open chart (p50/p95 over N points)
 *  - chart: R runs x S steps in one chart, first paint (cold server, then warm) and a zoom re-query
 *  - table: the runs table over N runs: first rows, sort, filter
 *  - spike: one spike among P points of one run, visible (as the chart's max) at several zooms
 * The UI server runs as a user runs it: `mlruns ui` (the built CLI) in its own process, so its
 * busy handler does not delay this process's talk with the browser.
 * Run alone: `npm run build && node bench/ui.mjs`. Writes bench/results/ui-latest.{md,json}.
 * Env: BENCH_UI_RUNS=100000  BENCH_UI_CHART_RUNS=1000  BENCH_UI_CHART_STEPS=10000 (100000 for the
 *      issue's 1,000 x 100,000: ~3.5 GB of metric files)  BENCH_UI_SPIKE_POINTS=1000000
 *      BENCH_UI_LIVE_POINTS=40  CHROMIUM=/usr/bin/chromium
 *      BENCH_UI_ONLY=chart,table (a comma list of sections: live, spike, chart, table; default all)
 *      BENCH_UI_STORES=DIR keeps the generated chart and table stores in DIR and reuses them in later
 *      runs (the catalog is still built cold each run: generating 1,000 x 100,000 steps takes many minutes)
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { generateStore } from './generate.mjs';
import { formatMetricLine } from '../dist/format/metric-line.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const python = path.join(repo, '.oracle/mlflow-3/bin/python');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bench-ui-'));
const env = (k, d) => Number(process.env[k] ?? d);
const N_RUNS = env('BENCH_UI_RUNS', 100_000);
const CHART_RUNS = env('BENCH_UI_CHART_RUNS', 1000);
const CHART_STEPS = env('BENCH_UI_CHART_STEPS', 10_000);
const SPIKE_POINTS = env('BENCH_UI_SPIKE_POINTS', 1_000_000);
const LIVE_POINTS = env('BENCH_UI_LIVE_POINTS', 40);
const STORES = process.env.BENCH_UI_STORES ?? '';
const ONLY = new Set((process.env.BENCH_UI_ONLY ?? 'live,spike,chart,table').split(',').map((x) => x.trim()));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const ms = (v) => `${v.toFixed(0)} ms`;
const results = [];
const log = (m) => console.log(`[bench ui] ${m}`);
function row(name, value, target, ok, note = '') {
  results.push({ name, value, target, ok, note });
  log(`${name}: ${value} (target ${target}) ${ok ? 'OK' : 'MISSED'} ${note}`);
}

/** Writes `points` lines of metric `key` into a run folder of a generated store (fast, direct). */
function writeSeries(file, points, f) {
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < points; i += 100_000) {
    let text = '';
    for (let j = i; j < Math.min(points, i + 100_000); j++) text += formatMetricLine({ timestamp: 1_700_000_000_000 + j * 10, value: f(j), step: j });
    fs.writeSync(fd, text);
  }
  fs.closeSync(fd);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });
const catalogDir = path.join(work, 'catalogs');

/** `mlruns ui ROOT --port 0` in a child process; resolves when it prints its URL (catalog built). */
function startUiProcess(root) {
  const child = spawn(process.execPath, [path.join(repo, 'dist/cli/main.js'), 'ui', root, '--port', '0', '--catalog-dir', catalogDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const url = line.trim();
      const exited = new Promise((r) => child.once('exit', r));
      resolve({
        url,
        origin: new URL(url).origin,
        close: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`mlruns ui exited (${code}) before printing its URL: ${err}`)));
  });
}

/** Now on the epoch clock, as the page's `performance.timeOrigin + performance.now()` reads it. */
const now = () => performance.timeOrigin + performance.now();

/**
 * The runs grid's and charts' paints, on the page's clock: each change of what the grid shows (its
 * first run, its row count) or of a chart's drawing (the first chart's data-drawn-at) is recorded once the frame showing it is out (a requestAnimationFrame, then a
 * task). An action's time is then from its request here to the paint there, as a user sees it,
 * without Playwright's own detection (its goto waits for the load event, and a selector wait
 * starts by injecting its script into the new page: ~170 ms on this VM for a static page, see the
 * calibration row).
 */
function recordPaints() {
  window.__paints = [];
  // The user's click: when the browser took it (Playwright's click first waits for the target to
  // be stable over two animation frames, ~30-40 ms here that no user's click has).
  document.addEventListener('click', (e) => (window.__clickAt = performance.timeOrigin + e.timeStamp), true);
  let last = '';
  const seen = () => {
    const id = document.querySelector('[role=row][data-run-id]')?.getAttribute('data-run-id') ?? null;
    const n = document.querySelector('[role=grid]')?.getAttribute('aria-rowcount') ?? null;
    const drawn = document.querySelector('figure.chart')?.getAttribute('data-drawn-at') ?? null;
    if (`${id}|${n}|${drawn}` === last) return;
    last = `${id}|${n}|${drawn}`;
    requestAnimationFrame(() => setTimeout(() => window.__paints.push({ id, n, drawn, t: performance.timeOrigin + performance.now() })));
  };
  new MutationObserver(seen).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-run-id', 'aria-rowcount', 'data-drawn-at'] });
}

/** The first recorded paint at or after `since` (epoch ms) that `ok` accepts. */
async function paintedAt(page, since, ok) {
  for (let i = 0; i < 100; i++) {
    const hit = (await page.evaluate(() => window.__paints ?? [])).find((p) => p.t >= since && ok(p));
    if (hit) return hit.t;
    await page.waitForTimeout(20);
  }
  throw new Error('no recorded paint of the grid or chart');
}

/**
 * Calibration: what Playwright alone takes to open a static page of 40 grid rows from a local
 * server (goto, which waits for the load event, then a selector wait), coming from another page
 * as the runs table's measure does. The median of 5.
 */
async function playwrightFloor() {
  const rowsHtml = '<!doctype html><div role=grid>' + '<div role=row data-run-id=r>run</div>'.repeat(40) + '</div>';
  const srv = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(rowsHtml));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const times = [];
  try {
    for (let i = 0; i < 5; i++) {
      await page.goto(`${base}/a${i}`);
      const t = performance.now();
      await page.goto(`${base}/b${i}`);
      await page.waitForSelector('[role=row][data-run-id]');
      times.push(performance.now() - t);
    }
  } finally {
    await ctx.close();
    srv.close();
  }
  row('calibration: Playwright opening a static page of 40 rows (goto + selector wait, median of 5)', ms(q(times, 0.5)), '—', true, `(${times.map(ms).join(', ')})`);
}

async function withUi(root, fn) {
  const ui = await startUiProcess(root);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.addInitScript(recordPaints);
  const page = await ctx.newPage();
  await page.goto(ui.url);
  try {
    return await fn(ui, page);
  } finally {
    await ctx.close();
    await ui.close();
  }
}

try {
  // ------------------------------------------------------------------ live
  if (ONLY.has('live')) {
    const root = path.join(work, 'live');
    const { experimentId, runIds } = generateStore(root, { runs: 1, params: 1, metrics: 1, steps: 10, tags: 2 });
    const child = spawn(python, ['-c', `
import sys, json, time
from mlflow import MlflowClient
c = MlflowClient(tracking_uri="file://" + sys.argv[1])
print("ready", flush=True)
for line in sys.stdin:
    step = int(line)
    c.log_metric(sys.argv[2], "loss", 0.5, step=step)
    print(json.dumps({"step": step, "t": time.time()}), flush=True)
`, root, runIds[0]], { env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' } });
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    await lines.next();
    await withUi(root, async (ui, page) => {
      await page.goto(`${ui.origin}/charts?runs=${runIds[0]}&metrics=loss`);
      await page.waitForSelector('figure.chart[data-points]');
      const lat = [];
      for (let k = 0; k < LIVE_POINTS; k++) {
        const step = 100 + k;
        const drawn = page.waitForFunction((s) => document.querySelector('figure.chart')?.getAttribute('data-xmax') === String(s), step, { polling: 'raf', timeout: 10_000 });
        child.stdin.write(`${step}\n`);
        await lines.next(); // log_metric returned: the point is on disk
        const t0 = performance.now();
        await drawn;
        lat.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
      row('Python log_metric -> point drawn, p95', `${ms(q(lat, 0.95))} (p50 ${ms(q(lat, 0.5))}, n=${lat.length})`, '< 300 ms', q(lat, 0.95) < 300);
    });
    child.stdin.end();
    child.kill();
    void experimentId;
  }

  // ------------------------------------------------------------------ spike
  if (ONLY.has('spike')) {
    const root = path.join(work, 'spike');
    const { runIds, experimentId } = generateStore(root, { runs: 1, params: 1, metrics: 0, steps: 0, tags: 2 });
    const spikeAt = Math.floor(SPIKE_POINTS * 0.6173);
    writeSeries(path.join(root, experimentId, runIds[0], 'metrics', 'signal'), SPIKE_POINTS, (j) => (j === spikeAt ? 1000 : Math.sin(j / 1000) * 0.5 + 0.5));
    await withUi(root, async (ui, page) => {
      const zooms = [[null, null], [SPIKE_POINTS / 2, SPIKE_POINTS], [spikeAt - 100_000, spikeAt + 100_000], [spikeAt - 1000, spikeAt + 1000], [spikeAt - 10, spikeAt + 10]];
      let seen = 0;
      for (const [a, b] of zooms) {
        await page.goto(`${ui.origin}/charts?runs=${runIds[0]}&metrics=signal${a !== null ? `&from=${a}&to=${b}` : ''}`);
        await page.waitForSelector('figure.chart[data-points]', { timeout: 60_000 });
        if ((await page.locator('figure.chart').getAttribute('data-ymax')) === '1000') seen++;
      }
      row(`spike among ${SPIKE_POINTS.toLocaleString()} points visible`, `${seen}/${zooms.length} zooms`, 'every zoom', seen === zooms.length);
    });
  }

  // ------------------------------------------------------------------ chart of many runs
  if (ONLY.has('chart')) {
    const root = STORES ? path.join(path.resolve(STORES), `chart-${CHART_RUNS}x${CHART_STEPS}`) : path.join(work, 'chart');
    let experimentId;
    if (STORES && fs.existsSync(`${root}.json`)) {
      ({ experimentId } = JSON.parse(fs.readFileSync(`${root}.json`, 'utf8')));
      log(`reusing ${root}`);
    } else {
      log(`generating ${CHART_RUNS} runs x ${CHART_STEPS} steps`);
      ({ experimentId } = generateStore(root, { runs: CHART_RUNS, params: 2, metrics: 1, steps: CHART_STEPS, tags: 2 }));
      if (STORES) fs.writeFileSync(`${root}.json`, JSON.stringify({ experimentId }));
    }
    const tBuild = performance.now();
    await withUi(root, async (ui, page) => {
      log(`UI started (cold catalog build, series summaries included) in ${ms(performance.now() - tBuild)}`);
      const url = `${ui.origin}/charts?experiments=${experimentId}&metrics=loss`;
      const paint = async (u) => {
        const t0 = performance.now();
        await page.goto(u);
        await page.waitForSelector('figure.chart[data-points]', { timeout: 600_000 });
        return performance.now() - t0;
      };
      const cold = await paint(url);
      const warm = await paint(url);
      row(`chart ${CHART_RUNS} runs x ${CHART_STEPS.toLocaleString()} steps, first paint (cold server: UI just started)`, ms(cold), '< 1 s', cold < 1000);
      row(`chart ${CHART_RUNS} runs x ${CHART_STEPS.toLocaleString()} steps, first paint (warm)`, ms(warm), '< 1 s', warm < 1000);
      const zoomTimes = [];
      const seenZooms = [];
      const zoomParts = [];
      for (const [a, b] of [[0, CHART_STEPS / 2], [CHART_STEPS / 4, CHART_STEPS / 3], [10, 500]]) {
        const before = await page.locator('figure.chart').getAttribute('data-drawn-at');
        const t0 = performance.now();
        const t0e = now();
        await page.evaluate(([x, y]) => {
          const s = new URLSearchParams(location.search);
          s.set('from', String(x));
          s.set('to', String(y));
          history.replaceState(null, '', `${location.pathname}?${s}`);
          window.dispatchEvent(new PopStateEvent('popstate'));
        }, [a, b]);
        await page.waitForFunction((prev) => document.querySelector('figure.chart')?.getAttribute('data-drawn-at') !== prev, before, { timeout: 60_000 });
        seenZooms.push(performance.now() - t0);
        zoomTimes.push((await paintedAt(page, t0e, (p) => p.drawn !== null && p.drawn !== before)) - t0e);
        // where the time went: the server's handler, the fetch and parse, the drawing (chart.tsx)
        zoomParts.push(await page.locator('figure.chart').getAttribute('data-timing'));
      }
      row(`chart ${CHART_RUNS} runs, zoom re-query -> drawn and painted (max of 3)`, `${ms(Math.max(...zoomTimes))} (${zoomTimes.map(ms).join(', ')})`, '< 300 ms', Math.max(...zoomTimes) < 300, `(seen by Playwright at ${seenZooms.map(ms).join(', ')}; ${zoomParts.join('; ')})`);
    });
    if (!STORES) fs.rmSync(root, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ runs table
  if (ONLY.has('table')) {
    const root = STORES ? path.join(path.resolve(STORES), `table-${N_RUNS}`) : path.join(work, 'table');
    let experimentId;
    if (STORES && fs.existsSync(`${root}.json`)) {
      ({ experimentId } = JSON.parse(fs.readFileSync(`${root}.json`, 'utf8')));
      log(`reusing ${root}`);
    } else {
      log(`generating ${N_RUNS} runs`);
      ({ experimentId } = generateStore(root, { runs: N_RUNS, params: 3, metrics: 2, steps: 1, tags: 3 }));
      if (STORES) fs.writeFileSync(`${root}.json`, JSON.stringify({ experimentId }));
    }
    await playwrightFloor();
    log('starting the UI (cold catalog build)');
    const t0 = performance.now();
    await withUi(root, async (ui, page) => {
      log(`catalog ready in ${ms(performance.now() - t0)}`);
      const timed = async (action, done) => {
        const t = performance.now();
        await action();
        await done();
        return performance.now() - t;
      };
      const tFirst = now();
      const seenFirst = await timed(
        () => page.goto(`${ui.origin}/experiments/${experimentId}`),
        () => page.waitForSelector('[role=row][data-run-id]', { timeout: 60_000 }),
      );
      const first = (await paintedAt(page, tFirst, (p) => p.id !== null)) - tFirst;
      await page.waitForFunction(() => Number(document.querySelector('[role=grid]')?.getAttribute('aria-rowcount')) > 0, undefined, { timeout: 60_000 });
      const countShown = (await paintedAt(page, tFirst, (p) => Number(p.n) > 0)) - tFirst;
      const count = await page.locator('[role=grid]').getAttribute('aria-rowcount');
      row(`runs table over ${N_RUNS.toLocaleString()} runs: first rows (page opened -> rows painted)`, ms(first), '< 500 ms', first < 500, `(aria-rowcount ${count}, count painted at ${ms(countShown)}; seen by Playwright at ${ms(seenFirst)})`);
      const firstId = () => page.locator('[role=row][data-run-id]').first().getAttribute('data-run-id');
      const id0 = await firstId();
      const tSort = now();
      const seenSort = await timed(
        () => page.locator('[role=columnheader] button', { hasText: 'loss' }).first().click(),
        // a row of the sorted page (not the emptied grid between the two pages)
        () => page.waitForFunction((prev) => { const id = document.querySelector('[role=row][data-run-id]')?.getAttribute('data-run-id'); return !!id && id !== prev; }, id0, { timeout: 60_000 }),
      );
      const clickSort = await page.evaluate(() => window.__clickAt);
      if (!(clickSort >= tSort)) throw new Error('the sort click was not recorded');
      const sort = (await paintedAt(page, tSort, (p) => p.id !== null && p.id !== id0)) - clickSort;
      row(`runs table over ${N_RUNS.toLocaleString()} runs: sort by a metric (click -> sorted rows painted)`, ms(sort), '< 200 ms', sort < 200, `(Playwright: clicked ${ms(clickSort - tSort)} after asked, saw the rows at ${ms(seenSort)})`);
      await page.fill('input[name=filter]', "params.lr = '0.01'");
      const tf = now();
      const seenFilter = await timed(
        () => page.click('button[type=submit]'),
        () => page.waitForFunction((n) => document.querySelector('[role=grid]')?.getAttribute('aria-rowcount') !== n && document.querySelector('[role=row][data-run-id]'), count, { timeout: 60_000 }),
      );
      const clickFilter = await page.evaluate(() => window.__clickAt);
      if (!(clickFilter >= tf)) throw new Error('the filter click was not recorded');
      const filter = (await paintedAt(page, tf, (p) => p.id !== null && p.n !== count)) - clickFilter;
      // The count of matching runs may follow the rows (its own request): when it shows.
      await page.waitForFunction(() => Number(document.querySelector('[role=grid]')?.getAttribute('aria-rowcount')) > 0, undefined, { timeout: 60_000 });
      const counted = (await paintedAt(page, tf, (p) => Number(p.n) > 0 && p.n !== count)) - clickFilter;
      row(`runs table over ${N_RUNS.toLocaleString()} runs: filter (click -> rows painted)`, ms(filter), '< 200 ms', filter < 200, `(${Number(await page.locator('[role=grid]').getAttribute('aria-rowcount')) - 1} match, count painted at ${ms(counted)}; Playwright: clicked ${ms(clickFilter - tf)} after asked, saw the rows at ${ms(seenFilter)})`);
      const scroll = await timed(
        () => page.locator('[role=grid]').evaluate((g) => (g.scrollTop = g.scrollHeight / 2)),
        () => page.waitForFunction(() => [...document.querySelectorAll('[role=row][data-run-id]')].some((r) => Number(r.getAttribute('aria-rowindex')) > 1000 && r.textContent && !r.textContent.includes('…')), undefined, { timeout: 60_000 }),
      );
      row(`runs table over ${N_RUNS.toLocaleString()} runs: jump to the middle, rows shown`, ms(scroll), '—', true);
    });
  }
} finally {
  await browser.close();
  fs.rmSync(work, { recursive: true, force: true });
}

const md = [
  `# mlruns ui bench (${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end, headless Chromium)`,
  '',
  '| Measure | Result | Target | |',
  '|---|---|---|---|',
  ...results.map((r) => `| ${r.name} | ${r.value} ${r.note} | ${r.target} | ${r.ok ? 'met' : 'missed'} |`),
  '',
].join('\n');
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results/ui-latest.md'), md);
fs.writeFileSync(path.join(here, 'results/ui-latest.json'), JSON.stringify(results, null, 2));
console.log(md);
