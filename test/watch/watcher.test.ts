/**
 * The watcher: events for a scripted sequence (ours and Python's writes), NDJSON from
 * `mlruns watch --json`, the catalog kept equal to a full scan under random operations with the
 * watcher on (queries from a second connection trust its heartbeat), restart without a rebuild,
 * folders deleted and recreated, a burst of thousands of files, and the ENOSPC fallback to polling.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { openCatalog } from '../../src/catalog/catalog.js';
import { catalogSearchRuns } from '../../src/catalog/search.js';
import type { ChangeEvent } from '../../src/catalog/events.js';
import { FileStore } from '../../src/store/file/file-store.js';
import { watch } from '../../src/watch/watcher.js';
import type { WatchOptions, Watcher } from '../../src/watch/watcher.js';
import { watchCommand } from '../../src/cli/commands/watch.js';
import { Oracle } from '../oracle/oracle.js';
import { applyOp, compareAll, eventually, opArb } from '../catalog/helpers.js';
import type { World } from '../catalog/helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-watch-'));
const catDir = path.join(tmp, 'catalogs');
let py: Oracle | undefined;
let counts = { sequences: 0, steps: 0 };
beforeAll(async () => {
  py = await Oracle.start('3'); // a missing oracle fails the suite (never a quiet TypeScript-only run)
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`watcher property: ${counts.sequences} sequences, ${counts.steps} steps`);
});

let n = 0;
const freshRoot = (): string => path.join(tmp, `r${n++}`, 'mlruns');

async function waitFor<T>(f: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function collect(w: Watcher): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  w.on('change', (e) => out.push(e));
  return out;
}

const has = (events: ChangeEvent[], pred: (e: ChangeEvent) => boolean): boolean => events.some(pred);

describe('watcher events', () => {
  it('a scripted sequence gives the expected typed events', async () => {
    const root = freshRoot();
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('scripted');
    const w = watch(root, { dir: catDir, reconcileMs: 0, log: () => undefined });
    await w.ready;
    const ev = collect(w);
    const run = await c.createRun(eid, { runName: 'first' });
    const rid = run.info.runId;
    await waitFor(() => has(ev, (e) => e.type === 'run_created' && e.runId === rid));
    await c.logParam(rid, 'lr', '0.1');
    await waitFor(() => has(ev, (e) => e.type === 'params_set' && e.params['lr'] === '0.1'));
    await c.setTag(rid, 'team', 'a');
    await waitFor(() => has(ev, (e) => e.type === 'tags_set' && e.tags['team'] === 'a'));
    await c.logMetric(rid, 'loss', 0.5, { step: 1 });
    await c.logMetric(rid, 'loss', NaN, { step: 2 });
    await waitFor(() => {
      const pts = ev.flatMap((e) => (e.type === 'metrics_appended' && e.key === 'loss' ? e.points : []));
      return pts.length === 2 && pts[0]!.value === 0.5 && pts[0]!.step === 1 && Number.isNaN(pts[1]!.value) && pts[1]!.step === 2;
    });
    await c.setTerminated(rid, 'FINISHED');
    await waitFor(() => has(ev, (e) => e.type === 'status_changed' && e.from === 'RUNNING' && e.to === 'FINISHED'));
    await c.deleteRun(rid);
    await waitFor(() => has(ev, (e) => e.type === 'run_deleted' && e.runId === rid && !e.removed));
    await c.restoreRun(rid);
    await waitFor(() => has(ev, (e) => e.type === 'run_restored' && e.runId === rid));
    await c.renameExperiment(eid, 'renamed');
    await waitFor(() => has(ev, (e) => e.type === 'experiment_renamed' && e.from === 'scripted' && e.to === 'renamed'));
    await c.deleteExperiment(eid);
    await waitFor(() => has(ev, (e) => e.type === 'experiment_deleted' && e.experimentId === eid && !e.removed));
    await c.restoreExperiment(eid);
    await waitFor(() => has(ev, (e) => e.type === 'experiment_restored' && e.experimentId === eid));
    const e2 = await c.createExperiment('second');
    await waitFor(() => has(ev, (e) => e.type === 'experiment_created' && e.experimentId === e2 && e.name === 'second'));
    // Moving the experiment to .trash and back must not look like runs being created/removed.
    expect(ev.filter((e) => e.type === 'run_created').length).toBe(1);
    if (py) {
      const pyRid = await py.exec<string>(root, `r = client.create_run(vars['e']); client.log_metric(r.info.run_id, 'acc', 0.75, step=3); result = r.info.run_id`, { e: eid });
      await waitFor(() => has(ev, (e) => e.type === 'run_created' && e.runId === pyRid));
      await waitFor(() => has(ev, (e) => e.type === 'metrics_appended' && e.runId === pyRid && e.points.some((p) => p.value === 0.75 && p.step === 3)));
    }
    // The folder removed outright.
    fs.rmSync(path.join(root, eid, rid), { recursive: true });
    await waitFor(() => has(ev, (e) => e.type === 'run_deleted' && e.runId === rid && e.removed));
    // The async iterator yields the same events.
    const it = w[Symbol.asyncIterator]();
    await c.setTag((await c.createRun(e2)).info.runId, 'x', 'y');
    const first = await it.next();
    expect(first.done).toBe(false);
    await w.close();
    let drained = 0;
    while (!(await it.next()).done) drained++;
    expect(drained).toBeLessThan(100);
  });

  it('a delete and a restore read as moves even when the two folder events come in separate refreshes', async () => {
    const root = freshRoot();
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('moved');
    // No debounce, and chokidar polling each folder on its own timer: the root's and .trash's
    // changes reach the watcher in separate refreshes (as native events can on a loaded machine;
    // CI saw a restore read as a removal plus a creation).
    const w = watch(root, { dir: catDir, reconcileMs: 0, debounceMs: 0, maxDelayMs: 0, usePolling: true, pollIntervalMs: 100, log: () => undefined });
    await w.ready;
    const ev = collect(w);
    for (let i = 0; i < 5; i++) {
      await c.deleteExperiment(eid);
      await waitFor(() => ev.filter((e) => e.type === 'experiment_deleted' && e.experimentId === eid).length === i + 1);
      await c.restoreExperiment(eid);
      await waitFor(() => ev.filter((e) => e.type === 'experiment_restored' && e.experimentId === eid).length === i + 1);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(ev.filter((e) => e.type === 'experiment_created' || (e.type === 'experiment_deleted' && e.removed))).toEqual([]);
    await w.close();
  });

  it('mlruns watch --json prints NDJSON, one event per line', async () => {
    const root = freshRoot();
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('cli');
    const lines: string[] = [];
    const origWrite = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    let stderr = '';
    process.stdout.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      const program = new Command('mlruns').option('--root <uri>').exitOverride();
      watchCommand.register(program);
      const done = program.parseAsync(['node', 'mlruns', '--root', root, 'watch', '--json', '--catalog-dir', catDir]);
      await waitFor(() => stderr.includes('watching'));
      const r = await c.createRun(eid);
      await c.logMetric(r.info.runId, 'acc', Infinity, { step: 7 });
      await c.logParam(r.info.runId, 'p', 'v');
      await waitFor(() => lines.some((l) => l.includes('"metrics_appended"')) && lines.some((l) => l.includes('"params_set"')));
      process.emit('SIGTERM');
      await done;
    } finally {
      process.stdout.write = origWrite;
      process.stderr.write = errWrite;
    }
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ type: 'run_created', experimentId: eid });
    const m = events.find((e) => e['type'] === 'metrics_appended');
    expect(m).toMatchObject({ key: 'acc', points: [{ value: 'Infinity', step: 7 }], rewritten: false });
    expect(events.find((e) => e['type'] === 'params_set')).toMatchObject({ params: { p: 'v' } });
  });
});

/**
 * One property over random operation sequences with a live watcher: after every step a reader
 * that trusts the watcher's heartbeat answers exactly as a full scan does. `prepare` fills the
 * store before the watcher starts; `check` runs once it is ready and after every step.
 */
function propertyWithWatcher(o: {
  maxLength: number;
  numRuns: number;
  seed: number;
  options?: Partial<WatchOptions>;
  prepare?: (c: MlflowClient, eid: string) => Promise<void>;
  check?: (watcher: Watcher, logs: string[], when: 'ready' | 'step') => void;
}): Promise<void> {
  return fc.assert(
    fc.asyncProperty(fc.array(opArb(py !== undefined), { minLength: 1, maxLength: o.maxLength }), async (ops) => {
      counts.sequences++;
      const root = freshRoot();
      const w: World = { root, client: new MlflowClient(root), py, stash: root + '-stash', clock: 1_700_000_000_000 };
      const eid = await w.client.createExperiment('base');
      await o.prepare?.(w.client, eid);
      const logs: string[] = [];
      const watcher = watch(root, { dir: catDir, reconcileMs: 0, ...o.options, log: (m) => logs.push(m) });
      await watcher.ready;
      o.check?.(watcher, logs, 'ready');
      const reader = openCatalog(root, { dir: catDir });
      try {
        for (const op of ops) {
          await applyOp(w, op);
          counts.steps++;
          expect(reader.watcherLive()).toBe(true);
          const diff = await eventually(() => compareAll(reader, root), 10_000);
          if (diff) throw new Error(`after ${JSON.stringify(op)}: ${diff}`);
          o.check?.(watcher, logs, 'step');
        }
      } finally {
        reader.close();
        await watcher.close();
      }
    }),
    // endOnFailure: the first failing sequence is reported as it failed (shrinking re-runs
    // sequences with 10 s waits and ran into the test's timeout, which hid the error).
    { numRuns: o.numRuns, seed: o.seed, endOnFailure: true },
  );
}

describe('watcher keeps the catalog equal to a full scan', () => {
  it('random operation sequences with the watcher on (queries trust its heartbeat)', async () => {
    await propertyWithWatcher({ maxLength: 10, numRuns: 10, seed: 11 });
  }, 300_000); // 10 sequences took 60 s on a loaded 2-core machine: a hang guard, not a target

  it('random operation sequences with a watch budget too small for the store (partial: most active runs watched, the rest swept)', async () => {
    await propertyWithWatcher({
      maxLength: 8,
      numRuns: 6,
      seed: 12,
      options: { maxWatches: 8, pollIntervalMs: 50 },
      // Enough runs that a budget of 8 watches (two runs) cannot cover them.
      prepare: async (c, eid) => {
        for (let i = 0; i < 4; i++) await c.logMetric((await c.createRun(eid)).info.runId, 'm', i);
      },
      check: (watcher, logs, when) => {
        expect(watcher.stats().runWatches).toBeLessThanOrEqual(8);
        if (when === 'ready') {
          expect(watcher.mode).toBe('partial');
          expect(logs.some((l) => l.includes('polled by a background sweep'))).toBe(true);
        }
      },
    });
  });

  it('partial coverage: new and changing runs get the watches, the least recently active lose them', async () => {
    const root = freshRoot();
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('partial');
    const old: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await c.createRun(eid, { startTime: 1_700_000_000_000 + i });
      await c.logMetric(r.info.runId, 'm', i);
      await c.setTerminated(r.info.runId, 'FINISHED', 1_700_000_000_100 + i);
      old.push(r.info.runId);
    }
    // Budget: two runs (four watches each).
    const w = watch(root, { dir: catDir, reconcileMs: 0, maxWatches: 8, pollIntervalMs: 100, log: () => undefined });
    const refreshes: { reason: string; metricFilesRead: number }[] = [];
    w.on('refresh', (x) => refreshes.push(x));
    await w.ready;
    const watched = (): string[] =>
      [...(w as unknown as { hot: Map<string, { folder: string }> }).hot.values()].map((h) => h.folder);
    // The two most recently ended runs are watched.
    expect(watched().sort()).toEqual([old[4]!, old[5]!].sort());
    // A new run takes the watches of the least recently active one.
    const r = await c.createRun(eid);
    await waitFor(() => watched().includes(r.info.runId));
    expect(watched()).not.toContain(old[4]);
    expect(w.stats().runWatches).toBeLessThanOrEqual(8);
    // A change to an unwatched run is found by the sweep, and that run becomes watched.
    await c.logMetric(old[0]!, 'm', 42, { step: 7 });
    await waitFor(() => watched().includes(old[0]!), 10_000);
    expect(refreshes.some((x) => x.reason === 'sweep' && x.metricFilesRead > 0)).toBe(true);
    const reader = openCatalog(root, { dir: catDir });
    expect(await eventually(() => compareAll(reader, root), 10_000)).toBeNull();
    // Now watched: the next append is seen by OS events, not by the sweep.
    const before = refreshes.length;
    await c.logMetric(old[0]!, 'm', 43, { step: 8 });
    await waitFor(() => refreshes.slice(before).some((x) => x.reason === 'events'));
    expect(await eventually(() => compareAll(reader, root), 10_000)).toBeNull();
    reader.close();
    await w.close();
  });

  it('the OS limit met by run watches shrinks the budget, says so, and the sweep covers the rest', async () => {
    const root = freshRoot();
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('limit');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await c.createRun(eid);
      await c.logParam(r.info.runId, 'p', String(i));
      ids.push(r.info.runId);
    }
    const real = fs.watch;
    let calls = 0;
    const spy = vi.spyOn(fs, 'watch').mockImplementation(((...args: Parameters<typeof fs.watch>) => {
      if (++calls > 6) throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
      return real(...args);
    }) as typeof fs.watch);
    const logs: string[] = [];
    let w: Watcher | undefined;
    try {
      w = watch(root, { dir: catDir, reconcileMs: 0, pollIntervalMs: 50, log: (m) => logs.push(m) });
      await w.ready;
    } finally {
      spy.mockRestore();
    }
    expect(w.mode).toBe('partial');
    expect(w.stats().maxWatches).toBe(w.stats().runWatches);
    expect(w.stats().runWatches).toBeLessThanOrEqual(6);
    expect(logs.some((l) => l.includes('ENOSPC') && l.includes('polled'))).toBe(true);
    const reader = openCatalog(root, { dir: catDir });
    for (const id of ids) await c.setTag(id, 'seen', 'yes');
    expect(await eventually(() => compareAll(reader, root), 10_000)).toBeNull();
    reader.close();
    await w.close();
  });

  it('resumes from the catalog after a restart (delta, not a rebuild) and reports what changed meanwhile', async () => {
    const root = freshRoot();
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('resume');
    for (let i = 0; i < 30; i++) await c.logMetric((await c.createRun(eid)).info.runId, 'm', i);
    let w = watch(root, { dir: catDir, reconcileMs: 0, log: () => undefined });
    await w.ready;
    await w.close();
    const r = await c.createRun(eid);
    await c.logParam(r.info.runId, 'k', 'v');
    const refreshes: { runsRead: number; cold: boolean; reason: string }[] = [];
    w = watch(root, { dir: catDir, reconcileMs: 0, log: () => undefined });
    const ev = collect(w);
    w.on('refresh', (x) => refreshes.push(x));
    await w.ready;
    expect(refreshes[0]).toMatchObject({ reason: 'initial', cold: false, runsRead: 1 });
    expect(ev.some((e) => e.type === 'run_created' && e.runId === r.info.runId)).toBe(true);
    await w.close();
  });

  it('survives folders deleted and recreated, a burst of thousands of files, and ENOSPC (falls back to polling)', async () => {
    const root = freshRoot();
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('burst');
    const logs: string[] = [];
    const w = watch(root, { dir: catDir, reconcileMs: 0, pollIntervalMs: 100, log: (m) => logs.push(m) });
    await w.ready;
    const reader = openCatalog(root, { dir: catDir });
    const store = new FileStore(root);
    // Delete the whole experiment folder and recreate it.
    const r1 = await c.createRun(eid);
    await c.logMetric(r1.info.runId, 'a', 1);
    const saved = path.join(tmp, 'saved-exp');
    fs.cpSync(path.join(root, eid), saved, { recursive: true });
    fs.rmSync(path.join(root, eid), { recursive: true });
    expect(await eventually(() => compareAll(reader, root), 10_000)).toBeNull();
    fs.cpSync(saved, path.join(root, eid), { recursive: true });
    expect(await eventually(() => compareAll(reader, root), 10_000)).toBeNull();
    // A burst: 300 runs (thousands of files) appear at once, as a git checkout would do.
    const src = path.join(root, eid, r1.info.runId);
    for (let i = 0; i < 300; i++) {
      const id = i.toString(16).padStart(32, '0');
      const dst = path.join(root, eid, id);
      fs.cpSync(src, dst, { recursive: true });
      const meta = fs.readFileSync(path.join(dst, 'meta.yaml'), 'utf8').replaceAll(r1.info.runId, id);
      fs.writeFileSync(path.join(dst, 'meta.yaml'), meta);
      for (let k = 0; k < 5; k++) fs.writeFileSync(path.join(dst, 'params', `p${k}`), String(i));
    }
    await waitFor(() => catalogSearchRuns(reader, store, [eid], { maxResults: 1000 }).items.length === 301, 20_000);
    expect(await eventually(() => compareAll(reader, root), 10_000)).toBeNull();
    // inotify's watch limit: chokidar reports ENOSPC; the watcher says so and polls.
    (w as unknown as { fsw: { emit(e: string, err: Error): void } }).fsw.emit('error', Object.assign(new Error('watch limit'), { code: 'ENOSPC' }));
    await waitFor(() => w.polling && logs.some((l) => l.includes('ENOSPC') && l.includes('polling')));
    await new Promise((r) => setTimeout(r, 500));
    await c.logMetric(r1.info.runId, 'a', 2, { step: 5 });
    expect(await eventually(() => compareAll(reader, root), 15_000)).toBeNull();
    reader.close();
    await w.close();
  }, 240_000); // 300 runs scanned and compared several times: over 60 s on a loaded 2-core machine; a hang guard, not a target
});
