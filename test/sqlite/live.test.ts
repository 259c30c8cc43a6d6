/**
 * Live updates from an MLflow SQLite database: Python MLflow (3.17.2, SqlAlchemyStore) writes
 * through a long-lived child process, and
 * - `watchDatabase` emits the change events the file-store watcher emits — both in its small-store
 *   mode (a full comparison at every change) and in its large-store mode (high-water marks, with
 *   the full comparison only every `reconcileMs`), so an in-place tag update and a deleted tag are
 *   seen in both;
 * - `startUi` on the `sqlite:` URI serves the database (experiments with run counts from SQL, a
 *   run with its metric history, chart series) and pushes the events over server-sent events;
 * - `mlruns watch sqlite:///…` prints them.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../src/catalog/events.js';
import { startUi } from '../../src/ui/server/index.js';
import type { UiServer } from '../../src/ui/server/index.js';
import { watchDatabase } from '../../src/watch/db-watcher.js';
import type { DbWatcher } from '../../src/watch/db-watcher.js';
import { build, mlrunsAsync, waitForOutput } from '../cli/helpers.js';
import { oraclePython } from '../oracle/oracle.js';
import { ensureBundle, request } from '../ui/helpers.js';
import { REPO, sqliteUri, tmpDir } from './helpers.js';
import { warmPythonSpawn } from '../oracle/zygote.js';

class PyDb {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  constructor(uri: string) {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_PYTHON_REFRESH: 'quiet' };
    for (const k of ['MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_ID', 'MLFLOW_EXPERIMENT_NAME', 'MLFLOW_RUN_ID']) delete env[k];
    this.proc = warmPythonSpawn(oraclePython('3-full'), [path.join(REPO, 'test/sqlite/py_live_db.py'), uri], { env });
    this.proc.stderr.resume();
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async ready(): Promise<void> {
    await this.lines.next();
  }
  async call<T = Record<string, unknown>>(cmd: Record<string, unknown>): Promise<T> {
    this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    const r = await this.lines.next();
    if (r.done) throw new Error('python child ended');
    const v = JSON.parse(r.value) as T & { error?: string };
    if (v.error) throw new Error(v.error);
    return v;
  }
  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

/** Collects a watcher's events and waits for one matching a predicate. */
class Recorder {
  readonly events: ChangeEvent[] = [];
  private waiters: [(e: ChangeEvent) => boolean, (e: ChangeEvent) => void][] = [];
  constructor(w: DbWatcher) {
    w.on('change', (e) => {
      this.events.push(e);
      for (const x of [...this.waiters]) if (x[0](e)) (this.waiters.splice(this.waiters.indexOf(x), 1), x[1](e));
    });
  }
  next(pred: (e: ChangeEvent) => boolean, what: string, ms = 30_000): Promise<ChangeEvent> {
    const seen = this.events.find(pred);
    if (seen) {
      this.events.splice(this.events.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; got ${JSON.stringify(this.events)}`)), ms);
      this.waiters.push([
        pred,
        (e) => {
          clearTimeout(t);
          this.events.splice(this.events.indexOf(e), 1);
          resolve(e);
        },
      ]);
    });
  }
}

let dir: string;
let uri: string;
let py: PyDb;

beforeAll(async () => {
  dir = tmpDir('mlruns-sqlite-live-');
  uri = sqliteUri(path.join(dir, 'mlflow.db'));
  py = new PyDb(uri);
  await py.ready();
  // The child's first command creates the database (MLflow's migrations).
  await py.call({ op: 'create_experiment', name: 'before' });
}, 180_000);

afterAll(() => {
  py?.close();
});

describe('watchDatabase', () => {
  it('emits what Python changes, in both its small-store and large-store modes', async () => {
    const small = watchDatabase(uri, { intervalMs: 50, log: () => undefined });
    const large = watchDatabase(uri, { intervalMs: 50, fullScanRuns: 0, reconcileMs: 300, log: () => undefined });
    const recs = [new Recorder(small), new Recorder(large)];
    try {
      await Promise.all([small.ready, large.ready]);
      expect(small.stats().runs).toBe(0);
      const both = async (pred: (e: ChangeEvent) => boolean, what: string): Promise<ChangeEvent[]> => Promise.all(recs.map((r) => r.next(pred, what)));

      const { id: exp } = await py.call<{ id: string }>({ op: 'create_experiment', name: 'live' });
      for (const e of await both((e) => e.type === 'experiment_created' && e.experimentId === exp, 'experiment_created')) {
        expect(e).toEqual({ type: 'experiment_created', experimentId: exp, name: 'live' });
      }
      const { id: run, tags } = await py.call<{ id: string; tags: Record<string, string> }>({ op: 'create_run', experiment_id: exp, run_name: 'r1', start_time: 1700000000000 });
      for (const e of await both((e) => e.type === 'run_created' && e.runId === run, 'run_created')) {
        expect(e).toEqual({ type: 'run_created', experimentId: exp, runId: run, runName: 'r1', status: 'RUNNING' });
      }
      for (const e of await both((e) => e.type === 'tags_set' && e.runId === run, 'initial tags')) {
        expect(e).toEqual({ type: 'tags_set', experimentId: exp, runId: run, tags, deleted: [] });
      }
      await py.call({ op: 'log_param', run_id: run, key: 'lr', value: '0.1' });
      for (const e of await both((e) => e.type === 'params_set', 'params_set')) {
        expect(e).toEqual({ type: 'params_set', experimentId: exp, runId: run, params: { lr: '0.1' } });
      }
      await py.call({ op: 'log_metric', run_id: run, key: 'loss', value: 0.5, step: 0, timestamp: 1700000000001 });
      await py.call({ op: 'log_metric', run_id: run, key: 'loss', value: 'NaN', step: 1, timestamp: 1700000000002 });
      const points: unknown[][] = [[], []];
      await Promise.all(
        recs.map(async (r, i) => {
          while (points[i]!.length < 2) {
            const e = await r.next((e) => e.type === 'metrics_appended' && e.key === 'loss', 'metrics_appended');
            if (e.type === 'metrics_appended') points[i]!.push(...e.points);
          }
        }),
      );
      for (const p of points) {
        expect(p).toEqual([
          { value: 0.5, step: 0, timestamp: 1700000000001 },
          { value: NaN, step: 1, timestamp: 1700000000002 },
        ]);
      }
      await py.call({ op: 'set_tag', run_id: run, key: 'note', value: 'a' });
      for (const e of await both((e) => e.type === 'tags_set' && 'note' in e.tags, 'new tag')) {
        expect(e).toEqual({ type: 'tags_set', experimentId: exp, runId: run, tags: { note: 'a' }, deleted: [] });
      }
      // Python updates an existing tag in place (no new row): the large-store mode sees it at its reconcile.
      await py.call({ op: 'set_tag', run_id: run, key: 'note', value: 'b' });
      for (const e of await both((e) => e.type === 'tags_set' && e.tags['note'] === 'b', 'updated tag')) {
        expect(e).toEqual({ type: 'tags_set', experimentId: exp, runId: run, tags: { note: 'b' }, deleted: [] });
      }
      await py.call({ op: 'delete_tag', run_id: run, key: 'note' });
      for (const e of await both((e) => e.type === 'tags_set' && e.deleted.length > 0, 'deleted tag')) {
        expect(e).toEqual({ type: 'tags_set', experimentId: exp, runId: run, tags: {}, deleted: ['note'] });
      }
      await py.call({ op: 'set_terminated', run_id: run, status: 'FINISHED', end_time: 1700000009999 });
      for (const e of await both((e) => e.type === 'status_changed', 'status_changed')) {
        expect(e).toEqual({ type: 'status_changed', experimentId: exp, runId: run, from: 'RUNNING', to: 'FINISHED', endTime: 1700000009999 });
      }
      // A finished run deleted and restored: in the large-store mode, seen at the reconcile.
      await py.call({ op: 'delete_run', run_id: run });
      for (const e of await both((e) => e.type === 'run_deleted', 'run_deleted')) {
        expect(e).toEqual({ type: 'run_deleted', experimentId: exp, runId: run, removed: false });
      }
      await py.call({ op: 'restore_run', run_id: run });
      for (const e of await both((e) => e.type === 'run_restored', 'run_restored')) {
        expect(e).toEqual({ type: 'run_restored', experimentId: exp, runId: run });
      }
      await py.call({ op: 'rename_experiment', experiment_id: exp, name: 'live2' });
      for (const e of await both((e) => e.type === 'experiment_renamed', 'experiment_renamed')) {
        expect(e).toEqual({ type: 'experiment_renamed', experimentId: exp, from: 'live', to: 'live2' });
      }
      await py.call({ op: 'delete_experiment', experiment_id: exp });
      for (const e of await both((e) => e.type === 'experiment_deleted', 'experiment_deleted')) {
        expect(e).toEqual({ type: 'experiment_deleted', experimentId: exp, name: 'live2', removed: false });
      }
      // MLflow's SQL store deletes an experiment's runs with it (the file store does not).
      for (const e of await both((e) => e.type === 'run_deleted', 'run_deleted with its experiment')) {
        expect(e).toEqual({ type: 'run_deleted', experimentId: exp, runId: run, removed: false });
      }
      // Nothing else was said: every event was one of the above.
      await new Promise((r) => setTimeout(r, 700));
      for (const r of recs) expect(r.events).toEqual([]);
      expect(large.stats().scans).toBeGreaterThan(0);
      expect(large.stats().fullScans).toBeGreaterThan(0);
    } finally {
      await small.close();
      await large.close();
    }
  }, 180_000);

  it('refuses a path that is not an MLflow database', () => {
    const bad = path.join(dir, 'not-a-db.db');
    fs.writeFileSync(bad, 'hello, not SQLite at all; hello, not SQLite at all; hello, not SQLite at all; hello, not SQLite at all');
    expect(() => watchDatabase(sqliteUri(bad))).toThrow(/not an SQLite database/);
    expect(() => watchDatabase(sqliteUri(path.join(dir, 'missing.db')))).toThrow(/No MLflow database/);
    expect(fs.existsSync(path.join(dir, 'missing.db'))).toBe(false);
  });
});

describe('mlruns ui on a database', () => {
  let ui: UiServer;
  beforeAll(async () => {
    ensureBundle();
    ui = await startUi({ root: uri, port: 0, log: () => undefined });
  }, 180_000);
  afterAll(async () => {
    await ui?.close();
  });
  const auth = (): Record<string, string> => ({ 'X-Mlruns-Token': ui.token });
  const get = async (p: string): Promise<any> => {
    const r = await request(ui.origin, p, { headers: auth() });
    expect(r.status, `${p}: ${r.body}`).toBe(200);
    return JSON.parse(r.body);
  };

  it('serves the database and pushes what Python logs over server-sent events', async () => {
    const { id: exp } = await py.call<{ id: string }>({ op: 'create_experiment', name: 'ui-live' });
    const { id: run } = await py.call<{ id: string }>({ op: 'create_run', experiment_id: exp, run_name: 'u1' });
    const info = await get('/api/info');
    expect(info.root).toBe(uri);
    expect(info.mode).toBe('database');
    const exps = await get('/api/experiments');
    const e = exps.experiments.find((x: { experimentId: string }) => x.experimentId === exp);
    expect(e).toMatchObject({ name: 'ui-live', runs: 1, deletedRuns: 0 });
    const runs = await get(`/api/runs?experiments=${exp}`);
    expect(runs.total).toBe(1);
    expect(runs.runs[0].info.runId).toBe(run);

    // SSE: open, then Python logs.
    const u = new URL(ui.origin);
    const frames: string[] = [];
    let onFrame: (() => void) | null = null;
    const req = http.request({ host: u.hostname, port: u.port, path: '/api/events', headers: auth() }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          frames.push(buf.slice(0, i));
          buf = buf.slice(i + 2);
          onFrame?.();
        }
      });
    });
    req.on('error', () => undefined);
    req.end();
    const waitFrame = (re: RegExp): Promise<string> =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no frame ${re} in ${JSON.stringify(frames)}`)), 30_000);
        const check = (): void => {
          const f = frames.find((x) => re.test(x));
          if (f) {
            clearTimeout(t);
            onFrame = null;
            resolve(f);
          }
        };
        onFrame = check;
        check();
      });
    try {
      await waitFrame(/event: hello/);
      // The first point is seen on its own before the second is logged: one poll may carry both.
      await py.call({ op: 'log_metric', run_id: run, key: 'acc', value: 0.25, step: 0, timestamp: 1700000000000 });
      await waitFrame(/"metrics_appended".*"timestamp":1700000000000/);
      await py.call({ op: 'log_metric', run_id: run, key: 'acc', value: 0.75, step: 1, timestamp: 1700000000500 });
      const f = await waitFrame(/"metrics_appended".*"timestamp":1700000000500/);
      const ev = JSON.parse(/data: (.*)/.exec(f)![1]!);
      expect(ev).toEqual({ type: 'metrics_appended', experimentId: exp, runId: run, key: 'acc', points: [{ value: 0.75, step: 1, timestamp: 1700000000500 }], rewritten: false });
    } finally {
      req.destroy();
    }
    // The run page and the chart read the metric's rows.
    const detail = await get(`/api/runs/${run}`);
    expect(detail.history.acc).toEqual({ count: 2, min: 0.25, max: 0.75 });
    const series = await get(`/api/series?runs=${run}&key=acc&x=step&all=1`);
    expect(series.x).toEqual([0, 1]);
    expect(series.ys[0]).toEqual([0.25, 0.75]);
    const none = await get(`/api/series?runs=${run}&key=nope&x=step&all=1`);
    expect(none.x).toEqual([]);
  }, 180_000);

  it('refuses a database that does not exist, creating nothing', async () => {
    const missing = path.join(dir, 'none.db');
    await expect(startUi({ root: sqliteUri(missing), port: 0 })).rejects.toThrow(/does not exist/);
    expect(fs.existsSync(missing)).toBe(false);
  });
});

describe('mlruns watch sqlite:///', () => {
  it('prints the events of a database as NDJSON', async () => {
    build();
    const child = mlrunsAsync(['watch', uri, '--json']);
    try {
      await waitForOutput(child.stderr!, /watching the database/);
      const { id: run } = await py.call<{ id: string }>({ op: 'create_run', experiment_id: '0', run_name: 'cli' });
      await py.call({ op: 'log_metric', run_id: run, key: 'm', value: 3, step: 2, timestamp: 1700000000000 });
      const line = await waitForOutput(child.stdout!, /"metrics_appended"/);
      const ev = JSON.parse(line.split('\n').find((l) => l.includes('"metrics_appended"'))!);
      expect(ev).toEqual({ type: 'metrics_appended', experimentId: '0', runId: run, key: 'm', points: [{ value: 3, step: 2, timestamp: 1700000000000 }], rewritten: false });
    } finally {
      child.kill('SIGTERM');
    }
    const bad = mlrunsAsync(['watch', uri, '--catalog-dir', dir]);
    const code = await new Promise<number | null>((r) => bad.on('exit', r));
    expect(code).toBe(1);
  }, 300_000);
});
