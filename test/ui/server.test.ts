/**
 * The UI server over plain HTTP, on a store written by Python MLflow (and by us): the shipped
 * bundle's size, the token (401 with nothing read, cookie after the first visit), the Host check,
 * the CSP, artifact routes that cannot leave the run's artifacts, HTML/SVG never rendered, writes
 * only with the token header and never with readOnly, MLflow's filter errors with a position, the
 * SSE stream with Last-Event-ID replay, decimation keeping a spike, and `mlruns ui` itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUi } from '../../src/ui/server/index.js';
import type { UiServer } from '../../src/ui/server/index.js';
import { decimate } from '../../src/ui/server/series.js';
import { BIN, build, mlrunsAsync } from '../cli/helpers.js';
import { PyChild, STATIC, ensureBundle, makeStore, request } from './helpers.js';
import type { PyStore } from './helpers.js';

let store: PyStore;
let ui: UiServer;
let ro: UiServer;
let py: PyChild;
let catalogDir: string;
const auth = (): Record<string, string> => ({ 'X-Mlruns-Token': ui.token });

beforeAll(async () => {
  build(); // dist/ (for the CLI test), incl. the bundle
  ensureBundle();
  store = await makeStore();
  catalogDir = fs.mkdtempSync(path.join(path.dirname(store.root), 'cat-'));
  ui = await startUi({ root: store.root, port: 0, catalogDir });
  ro = await startUi({ root: store.root, port: 0, readOnly: true, catalogDir: path.join(catalogDir, 'ro') });
  py = new PyChild(store.root);
  await py.ready();
});

afterAll(async () => {
  py?.close();
  await ui?.close();
  await ro?.close();
});

describe('bundle', () => {
  it('ships under 150 KB of gzipped JavaScript, with no remote URL to load', () => {
    const js = fs.readdirSync(STATIC).filter((f) => f.endsWith('.js'));
    const total = js.reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(path.join(STATIC, f)), { level: 9 }).length, 0);
    expect(total).toBeGreaterThan(10_000);
    expect(total).toBeLessThan(150 * 1024);
    const html = fs.readFileSync(path.join(STATIC, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });
});

describe('access', () => {
  it('answers 401 without the token, before reading anything', async () => {
    for (const p of ['/', '/api/experiments', `/api/runs/${store.oursRunId}`, '/api/runs/ffffffffffffffffffffffffffffffff', `/api/raw/${store.runs['lr-0.1']}/notes/hello.txt`, '/api/events']) {
      const r = await request(ui.origin, p);
      expect(r.status, p).toBe(401);
      expect(r.body).not.toContain('ui-sweep');
      expect(r.body).not.toContain('hello world');
      expect(r.body).not.toContain('not found');
    }
    const wrong = await request(ui.origin, '/api/experiments', { headers: { 'X-Mlruns-Token': 'x'.repeat(32) } });
    expect(wrong.status).toBe(401);
  });

  it('trades the token in the URL for a cookie on the first visit', async () => {
    const first = await request(ui.origin, `/experiments/${store.experimentId}?token=${ui.token}&filter=x`);
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe(`/experiments/${store.experimentId}?filter=x`);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly/);
    expect(String(first.headers['set-cookie'])).toMatch(/SameSite=Strict/);
    const r = await request(ui.origin, '/api/experiments', { headers: { Cookie: cookie } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).experiments.map((e: { name: string }) => e.name)).toContain('ui-sweep');
  });

  it('refuses a Host that is not this server (DNS rebinding)', async () => {
    const port = new URL(ui.origin).port;
    for (const host of [`evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, 'localhost', `127.0.0.1.nip.io:${port}`]) {
      const r = await request(ui.origin, '/api/experiments', { headers: { ...auth(), Host: host } });
      expect(r.status, host).toBe(403);
      expect(r.body).not.toContain('ui-sweep');
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      expect((await request(ui.origin, '/api/experiments', { headers: { ...auth(), Host: host } })).status).toBe(200);
    }
  });

  it('serves pages under a strict Content-Security-Policy', async () => {
    const r = await request(ui.origin, '/', { headers: auth() });
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('gives unknown runs and pages a 404 status', async () => {
    expect((await request(ui.origin, '/runs/ffffffffffffffffffffffffffffffff', { headers: auth() })).status).toBe(404);
    expect((await request(ui.origin, `/runs/${store.oursRunId}`, { headers: auth() })).status).toBe(200);
    expect((await request(ui.origin, `/runs/${store.runs['lr-0.1']}/artifacts/nope.txt`, { headers: auth() })).status).toBe(404);
    const api = await request(ui.origin, '/api/runs/ffffffffffffffffffffffffffffffff', { headers: auth() });
    expect(api.status).toBe(404);
    expect(JSON.parse(api.body).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('artifacts', () => {
  it('serves a run artifact as text, and nothing outside the run artifacts', async () => {
    const rid = store.runs['lr-0.1']!;
    const ok = await request(ui.origin, `/api/raw/${rid}/notes/hello.txt`, { headers: auth() });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('hello world\n');
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    // A symlink inside the artifacts to a file outside them (the run's meta.yaml, /etc/passwd).
    const art = path.join(store.root, store.experimentId, rid, 'artifacts');
    fs.symlinkSync(path.join(store.root, store.experimentId, rid, 'meta.yaml'), path.join(art, 'meta-link'));
    fs.symlinkSync('/etc', path.join(art, 'etc-link'));
    const escapes = [
      `/api/raw/${rid}/../meta.yaml`,
      `/api/raw/${rid}/notes/../../meta.yaml`,
      `/api/raw/${rid}/..%2Fmeta.yaml`,
      `/api/raw/${rid}/notes%2Fhello.txt`,
      `/api/raw/${rid}/%2e%2e/meta.yaml`,
      `/api/raw/${rid}/meta-link`,
      `/api/raw/${rid}/etc-link/passwd`,
      `/api/raw/${rid}//etc/passwd`,
      `/api/runs/${rid}/artifacts/..`,
      `/api/runs/${rid}/artifacts/etc-link`,
      `/api/runs/${rid}/artifacts/..%2F..`,
    ];
    for (const p of escapes) {
      const r = await request(ui.origin, p, { headers: auth() });
      expect([400, 404], p).toContain(r.status);
      expect(r.body, p).not.toContain('root:');
      expect(r.body, p).not.toContain('run_uuid');
    }
  });

  it('never renders HTML or SVG artifacts: they come as sandboxed downloads', async () => {
    const rid = store.runs['lr-0.1']!;
    for (const f of ['report.html', 'plot.svg']) {
      const r = await request(ui.origin, `/api/raw/${rid}/${f}`, { headers: auth() });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(String(r.headers['content-disposition'])).toMatch(/^attachment/);
      expect(String(r.headers['content-security-policy'])).toMatch(/^sandbox/);
    }
    const png = await request(ui.origin, `/api/raw/${rid}/images/_ui_px.png`, { headers: auth() });
    expect(png.headers['content-type']).toBe('image/png');
  });
});

describe('queries', () => {
  it('counts and pages runs through the catalog, in order_by order', async () => {
    const r = JSON.parse((await request(ui.origin, `/api/runs?experiments=${store.experimentId}&order_by=params.lr%20ASC&limit=2`, { headers: auth() })).body);
    expect(r.total).toBe(6);
    expect(r.runs.map((x: any) => x.data.params.lr)).toEqual(['0.001', '0.01']);
    const p2 = JSON.parse((await request(ui.origin, `/api/runs?experiments=${store.experimentId}&order_by=params.lr%20ASC&limit=2&offset=2`, { headers: auth() })).body);
    expect(p2.runs.map((x: any) => x.data.params.lr)).toEqual(['0.03', '0.1']);
    const f = JSON.parse((await request(ui.origin, `/api/runs?experiments=${store.experimentId}&filter=${encodeURIComponent("params.model = 'mlp'")}`, { headers: auth() })).body);
    expect(f.total).toBe(2);
  });

  it("puts the answers to the page's first requests in its HTML, keyed by the URLs the app asks for", async () => {
    const answersOf = (html: string): Record<string, any> | null => {
      const m = /<script type="application\/json" id="mlruns-answers">([^<]*)<\/script>/.exec(html);
      return m ? JSON.parse(m[1]!) : null;
    };
    const api = async (url: string): Promise<any> => JSON.parse((await request(ui.origin, url, { headers: auth() })).body);
    const same = (a: any, b: any): void => expect({ ...a, ms: 0 }).toEqual({ ...b, ms: 0 });
    const order = 'params.lr DESC';
    const filter = "params.lr != ''";
    const page = await request(ui.origin, `/experiments/${store.experimentId}?filter=${encodeURIComponent(filter)}&order=${encodeURIComponent(order)}`, { headers: auth() });
    expect(page.status).toBe(200);
    const got = answersOf(page.body)!;
    // The URLs are the app's (src/ui/app-urls.ts, shared by the app and the server): the first page, the columns, the names, the header's info.
    const e = store.experimentId;
    const firstPage = `/api/runs?experiments=${e}&filter=params.lr+%21%3D+%27%27&order_by=params.lr+DESC&view=ACTIVE_ONLY&offset=0&limit=100&count=0`;
    expect(Object.keys(got).sort()).toEqual([`/api/columns?experiments=${e}&view=ACTIVE_ONLY`, `/api/experiments/${e}`, '/api/info', firstPage].sort());
    // Each is what the API answers at that URL.
    for (const [url, answer] of Object.entries(got)) same(answer, await api(url));
    expect(got[firstPage].runs.map((r: any) => r.data.params.lr)).toEqual(['0.1', '0.03', '0.01', '0.001']);
    // Grouped: the group's key sorts first, as the app asks.
    const grouped = answersOf((await request(ui.origin, `/experiments/${e}?group=params.model&order=${encodeURIComponent(order)}`, { headers: auth() })).body)!;
    expect(Object.keys(grouped).find((u) => u.startsWith('/api/runs?'))).toContain('order_by=params.model+ASC&order_by=params.lr+DESC');
    // No '<' of the data in the HTML (a value holding '</script>' cannot close the element).
    const tagged = await request(ui.origin, `/experiments/${e}?filter=${encodeURIComponent("params.lr != '</script>'")}`, { headers: auth() });
    expect(tagged.body).not.toContain("'</script>'");
    expect(Object.keys(answersOf(tagged.body)!).some((u) => u.startsWith('/api/runs?'))).toBe(true);
    // A malformed filter: no page (the app asks, and shows the error); other pages: the info only;
    // an unknown page: nothing.
    expect(Object.keys(answersOf((await request(ui.origin, `/experiments/${e}?filter=${encodeURIComponent('params.lr >> 1')}`, { headers: auth() })).body)!).some((u) => u.startsWith('/api/runs?'))).toBe(false);
    expect(Object.keys(answersOf((await request(ui.origin, '/', { headers: auth() })).body)!)).toEqual(['/api/info']);
    expect(answersOf((await request(ui.origin, '/nope', { headers: auth() })).body)).toBeNull();
  });

  it("answers a malformed filter with MLflow's error and where it points", async () => {
    for (const filter of ["params.lr >> '1'", 'params.lr = ', 'foo.bar = 1', 'lr = 1', 'metrics.acc < ']) {
      const r = await request(ui.origin, `/api/runs?experiments=${store.experimentId}&filter=${encodeURIComponent(filter)}`, { headers: auth() });
      expect(r.status, filter).toBe(400);
      const body = JSON.parse(r.body);
      const python = await py.call<{ message: string }>({ op: 'search_error', experiment_id: store.experimentId, filter });
      expect(python.message).toBeTruthy();
      // Python prints a set of comparators, in hash order: compare the sets' members sorted.
      const norm = (m: string): string => m.replace(/\{([^}]*)\}/g, (_all, inner: string) => `{${inner.split(', ').sort().join(', ')}}`);
      expect(norm(body.message)).toBe(norm(`invalid filter: ${python.message}`));
      expect(body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(body.text).toBe(filter);
      expect(typeof body.position).toBe('number');
    }
  });

  it('decimates to at most 4 points per pixel column per run and keeps a spike at every zoom', async () => {
    const get = async (qs: string): Promise<any> => JSON.parse((await request(ui.origin, `/api/series?runs=${store.spikeRunId}&key=signal&${qs}`, { headers: auth() })).body);
    for (const [from, to, width] of [[null, null, 200], [0, 39999, 50], [7000, 9000, 300], [7700, 7800, 20], [7777, 7777.5, 10]] as const) {
      const d = await get(`width=${width}${from !== null ? `&from=${from}&to=${to}` : ''}`);
      const ys = (d.ys[0] as (number | null)[]).filter((v) => v !== null) as number[];
      expect(ys.length).toBeLessThanOrEqual(4 * width);
      expect(Math.max(...ys), `${from}-${to}`).toBe(100);
    }
    const away = await get('width=100&from=0&to=7000');
    expect(Math.max(...(away.ys[0].filter((v: number | null) => v !== null) as number[]))).toBeLessThan(1);
    const all = await get('width=5&from=7770&to=7790&all=1');
    expect(all.decimated).toBe(false);
    expect(all.x).toEqual(Array.from({ length: 21 }, (_, i) => 7770 + i));
    expect(all.ys[0][7]).toBe(100);
  });

  it('decimation: first, min, max and last of each bucket, in x order', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const ys = xs.map((x) => (x === 501 ? -5 : x === 503 ? 9 : x % 7));
    const d = decimate([{ id: 'a', xs, ys }], { width: 10 });
    expect(d.decimated).toBe(true);
    const b5 = d.ys[0]!.slice(20, 24);
    expect(b5).toEqual([ys[500], -5, 9, ys[599]]);
  });
});

describe('live events', () => {
  it('pushes only the new points, and replays them after a reconnect with Last-Event-ID', async () => {
    const http = await import('node:http');
    const u = new URL(ui.origin);
    const open = (lastId?: string): Promise<{ frames: string[]; close: () => void; next: (re: RegExp) => Promise<string> }> =>
      new Promise((resolve, reject) => {
        const frames: string[] = [];
        const waiters: [RegExp, (s: string) => void][] = [];
        const req = http.request({ host: u.hostname, port: u.port, path: '/api/events', headers: { ...auth(), ...(lastId ? { 'Last-Event-ID': lastId } : {}) } }, (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            buf += c;
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const f = buf.slice(0, i);
              buf = buf.slice(i + 2);
              frames.push(f);
              for (const w of [...waiters]) if (w[0].test(f)) (waiters.splice(waiters.indexOf(w), 1), w[1](f));
            }
          });
          resolve({
            frames,
            close: () => req.destroy(),
            next: (re) => new Promise((res2) => {
              const hit = frames.find((f) => re.test(f));
              if (hit) res2(hit);
              else waiters.push([re, res2]);
            }),
          });
        });
        req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
        req.end();
      });
    const a = await open();
    const hello = await a.next(/event: hello/);
    const startId = /id: (\S+)/.exec(hello)![1]!;
    await py.call({ op: 'log_metric', run_id: store.liveRunId, key: 'live', value: 42.5, step: 7 });
    const f = await a.next(/"metrics_appended"/);
    a.close();
    const ev = JSON.parse(/data: (.*)/.exec(f)![1]!);
    expect(ev.runId).toBe(store.liveRunId);
    expect(ev.points).toEqual([{ value: 42.5, step: 7, timestamp: expect.any(Number) }]);
    const b = await open(startId);
    const replay = await b.next(/"metrics_appended"/);
    b.close();
    expect(replay).toBe(f);
    const c = await open('stale-1');
    await c.next(/event: reset/);
    c.close();
  });
});

describe('writes', () => {
  it('need the token in a header (a cookie alone is refused) and are refused when read-only', async () => {
    const rid = store.oursRunId;
    const cookieOnly = await request(ui.origin, `/api/runs/${rid}/set-tag`, { method: 'POST', headers: { Cookie: `mlruns_ui_token=${ui.token}`, 'Content-Type': 'application/json' }, body: '{"key":"k","value":"v"}' });
    expect(cookieOnly.status).toBe(403);
    const readOnly = await request(ro.origin, `/api/runs/${rid}/set-tag`, { method: 'POST', headers: { 'X-Mlruns-Token': ro.token }, body: '{"key":"k","value":"v"}' });
    expect(readOnly.status).toBe(403);
    const roDelete = await request(ro.origin, `/api/runs/${rid}/delete`, { method: 'POST', headers: { 'X-Mlruns-Token': ro.token } });
    expect(roDelete.status).toBe(403);
    const seen = await py.call<{ tags: Record<string, string>; lifecycle: string }>({ op: 'get_run', run_id: rid });
    expect(seen.tags['k']).toBeUndefined();
    expect(seen.lifecycle).toBe('active');
    const ok = await request(ui.origin, `/api/runs/${rid}/set-tag`, { method: 'POST', headers: auth(), body: '{"key":"k","value":"v"}' });
    expect(ok.status).toBe(200);
    expect((await py.call<{ tags: Record<string, string> }>({ op: 'get_run', run_id: rid })).tags['k']).toBe('v');
    const bad = await request(ui.origin, `/api/runs/${rid}/rename`, { method: 'POST', headers: auth(), body: '{"name": 3}' });
    expect(bad.status).toBe(400);
  });
});

describe('mlruns ui', () => {
  it('prints one line with the URL and token, serves it, and stops on SIGTERM', async () => {
    expect(fs.existsSync(BIN)).toBe(true);
    const child = mlrunsAsync(['ui', store.root, '--port', '0', '--read-only', '--catalog-dir', path.join(catalogDir, 'cli')]);
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}\n$/);
    const url = new URL(line.trim());
    const r = await request(url.origin, '/api/info', { headers: { 'X-Mlruns-Token': url.searchParams.get('token')! } });
    expect(JSON.parse(r.body)).toMatchObject({ readOnly: true });
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1);
  });

  it('warns when listening beyond loopback', async () => {
    const wide = await startUi({ root: store.root, host: '0.0.0.0', port: 0, readOnly: true, catalogDir: path.join(catalogDir, 'wide') });
    try {
      expect(wide.notices.join('\n')).toMatch(/warning: listening on 0\.0\.0\.0/);
      expect((await request(wide.origin, '/api/info', { headers: { 'X-Mlruns-Token': wide.token } })).status).toBe(200);
    } finally {
      await wide.close();
    }
  });
});
