/**
 * Shared machinery of the catalog and watcher tests: random operations on a real store (ours and
 * Python's writes, deletes, restores, renames, metric appends, truncations, rewrites, experiment
 * folders moved to .trash, a branch switch replacing run folders at once) and the equality check
 * "catalog query == full scan".
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { FileStore } from '../../src/store/file/file-store.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { catalogSearchRuns, catalogSearchRunIds, scanSearchRuns } from '../../src/catalog/search.js';
import type { Catalog } from '../../src/catalog/catalog.js';
import type { PagedList, Run, ViewType } from '../../src/entities.js';
import type { Oracle } from '../oracle/oracle.js';

export const KEYS = ['a', 'b', 'loss', 'acc', 'x.y', 'my key', 'é'];
export const VALUES = ['', 'a', 'A', 'abc', '10', '9', '0.1', 'äb', 'a\n', 'Z'];
export const NUMS = [0, -0, 1, -1, 0.5, 2.5, 10, 1e300, -1e-300, NaN, Infinity, -Infinity, 3];

export type Op =
  | { kind: 'create'; params: [string, string][]; tags: [string, string][]; metrics: [string, number, number][]; status: number }
  | { kind: 'pyCreate'; params: [string, string][]; metrics: [string, number, number][] }
  | { kind: 'append'; run: number; key: string; value: number; step: number }
  | { kind: 'pyAppend'; run: number; key: string; value: number; step: number }
  | { kind: 'setTag'; run: number; key: string; value: string }
  | { kind: 'deleteTag'; run: number; key: string }
  | { kind: 'terminate'; run: number; status: 'FINISHED' | 'FAILED' | 'KILLED' }
  | { kind: 'deleteRun'; run: number }
  | { kind: 'restoreRun'; run: number }
  | { kind: 'rmRun'; run: number }
  | { kind: 'truncate'; run: number; key: string }
  | { kind: 'rewrite'; run: number; key: string; value: number }
  | { kind: 'partial'; run: number; key: string; value: number }
  | { kind: 'newExp'; name: string }
  | { kind: 'renameExp'; exp: number; name: string }
  | { kind: 'deleteExp'; exp: number }
  | { kind: 'restoreExp'; exp: number }
  | { kind: 'trashMove'; exp: number }
  | { kind: 'branch'; runs: number[] }
  | { kind: 'damageMeta'; run: number };

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const kv = fc.array(fc.tuple(pick(KEYS), pick(VALUES)), { maxLength: 3 });
const mets = fc.array(fc.tuple(pick(KEYS), pick(NUMS), fc.integer({ min: 0, max: 3 })), { maxLength: 4 });
const idx = fc.nat(1000);

export const opArb = (python: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('create' as const), params: kv, tags: kv, metrics: mets, status: fc.integer({ min: 0, max: 3 }) }) },
    { weight: python ? 3 : 0, arbitrary: fc.record({ kind: fc.constant('pyCreate' as const), params: kv, metrics: mets }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), run: idx, key: pick(KEYS), value: pick(NUMS), step: fc.integer({ min: 0, max: 4 }) }) },
    { weight: python ? 2 : 0, arbitrary: fc.record({ kind: fc.constant('pyAppend' as const), run: idx, key: pick(KEYS), value: pick(NUMS), step: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('setTag' as const), run: idx, key: pick(KEYS), value: pick(VALUES) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteTag' as const), run: idx, key: pick(KEYS) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('terminate' as const), run: idx, status: pick(['FINISHED', 'FAILED', 'KILLED'] as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteRun' as const), run: idx }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restoreRun' as const), run: idx }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rmRun' as const), run: idx }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), run: idx, key: pick(KEYS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rewrite' as const), run: idx, key: pick(KEYS), value: pick(NUMS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('partial' as const), run: idx, key: pick(KEYS), value: pick(NUMS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('newExp' as const), name: pick(['e1', 'e2', 'e3', 'exp é']) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('renameExp' as const), exp: idx, name: pick(['r1', 'r2', 'r3']) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteExp' as const), exp: idx }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restoreExp' as const), exp: idx }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('trashMove' as const), exp: idx }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('branch' as const), runs: fc.array(idx, { minLength: 1, maxLength: 6 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('damageMeta' as const), run: idx }) },
  );

/** Every run folder of the root (active and trashed experiments). */
export function runDirs(root: string): string[] {
  const out: string[] = [];
  const scanExp = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && fs.existsSync(path.join(d, e.name, 'meta.yaml')) && /^[0-9a-f]{32}$/.test(e.name)) out.push(path.join(d, e.name));
    }
  };
  if (!fs.existsSync(root)) return out;
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    if (e.name === '.trash') {
      for (const t of fs.readdirSync(path.join(root, e.name), { withFileTypes: true })) if (t.isDirectory()) scanExp(path.join(root, e.name, t.name));
    } else scanExp(path.join(root, e.name));
  }
  return out.sort();
}

export function expDirs(root: string): { id: string; dir: string; trashed: boolean }[] {
  const out: { id: string; dir: string; trashed: boolean }[] = [];
  if (!fs.existsSync(root)) return out;
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (e.isDirectory() && e.name !== '.trash' && /^\d+$/.test(e.name)) out.push({ id: e.name, dir: path.join(root, e.name), trashed: false });
  }
  const t = path.join(root, '.trash');
  if (fs.existsSync(t)) for (const e of fs.readdirSync(t, { withFileTypes: true })) if (e.isDirectory()) out.push({ id: e.name, dir: path.join(t, e.name), trashed: true });
  return out.sort((a, b) => (a.dir < b.dir ? -1 : 1));
}

const metricLine = (value: number, step: number, ts: number): string => {
  const v = Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : Object.is(value, -0) ? '-0.0' : Number.isInteger(value) ? `${value}.0` : String(value);
  return `${ts} ${v} ${step}\n`;
};

export interface World {
  root: string;
  client: MlflowClient;
  py?: Oracle;
  stash: string;
  clock: number;
}

/** Applies one operation; operations that do not apply (no such run) are no-ops. */
export async function applyOp(w: World, op: Op): Promise<void> {
  const runs = runDirs(w.root);
  const runAt = (i: number): string | undefined => (runs.length === 0 ? undefined : runs[i % runs.length]);
  const runId = (d: string): string => path.basename(d);
  const exps = expDirs(w.root);
  const expAt = (i: number): { id: string; dir: string; trashed: boolean } | undefined => (exps.length === 0 ? undefined : exps[i % exps.length]);
  const active = exps.filter((e) => !e.trashed);
  const ts = (): number => (w.clock += 1000);
  try {
    switch (op.kind) {
      case 'create': {
        const e = active[op.status % Math.max(1, active.length)];
        const r = await w.client.createRun(e?.id ?? '0', { startTime: ts() });
        const rid = r.info.runId;
        for (const [k, v] of op.params) await w.client.logParam(rid, k, v).catch(() => undefined);
        for (const [k, v] of op.tags) await w.client.setTag(rid, k, v);
        for (const [k, v, s] of op.metrics) await w.client.logMetric(rid, k, v, { timestamp: ts(), step: s });
        if (op.status === 1) await w.client.setTerminated(rid, 'FINISHED');
        break;
      }
      case 'pyCreate': {
        if (!w.py) break;
        await w.py.exec(
          w.root,
          `rid = client.create_run('0', start_time=vars['st']).info.run_id
for k, v in vars['params']:
    try:
        client.log_param(rid, k, v)
    except Exception:
        pass
for k, v, s in vars['metrics']:
    client.log_metric(rid, k, float(v), timestamp=vars['st'], step=s)
result = rid`,
          { st: ts(), params: op.params, metrics: op.metrics.map(([k, v, s]) => [k, String(v), s]) },
        );
        break;
      }
      case 'append':
      case 'pyAppend': {
        const d = runAt(op.run);
        if (!d) break;
        if (op.kind === 'pyAppend' && w.py) {
          await w.py.exec(w.root, `client.log_metric(vars['rid'], vars['k'], float(vars['v']), timestamp=vars['ts'], step=vars['s'])`, {
            rid: runId(d),
            k: op.key,
            v: String(op.value),
            ts: ts(),
            s: op.step,
          }).catch(() => undefined);
        } else {
          await w.client.logMetric(runId(d), op.key, op.value, { timestamp: ts(), step: op.step }).catch(() => undefined);
        }
        break;
      }
      case 'setTag': {
        const d = runAt(op.run);
        if (d) await w.client.setTag(runId(d), op.key, op.value).catch(() => undefined);
        break;
      }
      case 'deleteTag': {
        const d = runAt(op.run);
        if (d) await w.client.deleteTag(runId(d), op.key).catch(() => undefined);
        break;
      }
      case 'terminate': {
        const d = runAt(op.run);
        if (d) await w.client.setTerminated(runId(d), op.status).catch(() => undefined);
        break;
      }
      case 'deleteRun': {
        const d = runAt(op.run);
        if (d) await w.client.deleteRun(runId(d)).catch(() => undefined);
        break;
      }
      case 'restoreRun': {
        const d = runAt(op.run);
        if (d) await w.client.restoreRun(runId(d)).catch(() => undefined);
        break;
      }
      case 'rmRun': {
        const d = runAt(op.run);
        if (d) fs.rmSync(d, { recursive: true, force: true });
        break;
      }
      case 'truncate': {
        const d = runAt(op.run);
        const f = d && path.join(d, 'metrics', op.key);
        if (f && fs.existsSync(f)) {
          const lines = fs.readFileSync(f, 'utf8').split('\n').filter(Boolean);
          fs.writeFileSync(f, lines.slice(0, Math.max(1, lines.length - 1)).map((l) => l + '\n').join(''));
        }
        break;
      }
      case 'rewrite': {
        const d = runAt(op.run);
        const f = d && path.join(d, 'metrics', op.key);
        if (f && fs.existsSync(f)) {
          // Same inode, new content longer than before: must not be taken for an append.
          const old = fs.readFileSync(f, 'utf8');
          fs.writeFileSync(f, metricLine(op.value, 9, ts()) + old.replace(/^\d+/, '1'));
        }
        break;
      }
      case 'partial': {
        const d = runAt(op.run);
        if (!d) break;
        const f = path.join(d, 'metrics', op.key);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        // Half a line now (the scan reads it as 2 fields), the rest on the next partial op.
        const line = metricLine(op.value, 2, ts());
        const cut = line.lastIndexOf(' ');
        let text = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
        text = text.endsWith('\n') || text === '' ? text + line.slice(0, cut) : text + line.slice(cut);
        fs.writeFileSync(f, text, { flag: 'w' });
        break;
      }
      case 'newExp':
        await w.client.createExperiment(`${op.name}-${w.clock}`).catch(() => undefined);
        break;
      case 'renameExp': {
        const e = expAt(op.exp);
        if (e && !e.trashed && e.id !== '0') await w.client.renameExperiment(e.id, `${op.name}-${w.clock}`).catch(() => undefined);
        break;
      }
      case 'deleteExp': {
        const e = expAt(op.exp);
        if (e && !e.trashed && e.id !== '0') await w.client.deleteExperiment(e.id).catch(() => undefined);
        break;
      }
      case 'restoreExp': {
        const e = expAt(op.exp);
        if (e && e.trashed) await w.client.restoreExperiment(e.id).catch(() => undefined);
        break;
      }
      case 'trashMove': {
        // An old MLflow (<= 2.2) delete: the folder moves, meta.yaml keeps 'active'.
        const e = expAt(op.exp);
        if (e && !e.trashed && e.id !== '0') {
          fs.mkdirSync(path.join(w.root, '.trash'), { recursive: true });
          const to = path.join(w.root, '.trash', e.id);
          if (!fs.existsSync(to)) fs.renameSync(e.dir, to);
        }
        break;
      }
      case 'branch': {
        // A git checkout: a batch of run folders replaced at once (stashed versions swapped in).
        const targets = [...new Set(op.runs.map((i) => runAt(i)).filter((d): d is string => d !== undefined))];
        for (const d of targets) {
          const rel = path.relative(w.root, d);
          const stashed = path.join(w.stash, rel);
          if (fs.existsSync(stashed)) {
            const tmp = stashed + '.swap';
            fs.cpSync(d, tmp, { recursive: true, preserveTimestamps: true });
            fs.rmSync(d, { recursive: true, force: true });
            fs.cpSync(stashed, d, { recursive: true, preserveTimestamps: true });
            fs.rmSync(stashed, { recursive: true, force: true });
            fs.renameSync(tmp, stashed);
          } else {
            fs.mkdirSync(path.dirname(stashed), { recursive: true });
            fs.cpSync(d, stashed, { recursive: true, preserveTimestamps: true });
            fs.rmSync(d, { recursive: true, force: true });
          }
        }
        break;
      }
      case 'damageMeta': {
        const d = runAt(op.run);
        if (d) fs.writeFileSync(path.join(d, 'meta.yaml'), 'run_id: [unclosed\n');
        break;
      }
    }
  } catch {
    /* an operation that does not apply to the current state */
  }
}

/** A varied fixed list of queries (filters, order_bys, views, pages, bad input). */
export const QUERIES: { filterString?: string; orderBy?: string[]; runViewType?: ViewType; maxResults?: number; pageToken?: string }[] = [
  {},
  { runViewType: 'ALL' },
  { runViewType: 'DELETED_ONLY' },
  { orderBy: ['metrics.loss DESC'] },
  { orderBy: ['metrics.acc', 'params.a DESC'], maxResults: 3 },
  { orderBy: ['metrics.acc'], maxResults: 2, pageToken: 'eyJvZmZzZXQiOiAyfQ==' },
  { filterString: 'metrics.loss > 0', orderBy: ['metrics.loss'] },
  { filterString: 'metrics.a != 1' },
  { filterString: 'metrics.`my key` <= 0.5' },
  { filterString: "params.a = 'abc'" },
  { filterString: "params.b LIKE 'a%'", orderBy: ['params.b DESC'] },
  { filterString: "tags.a ILIKE '%B%'" },
  { filterString: 'tags.b IS NULL', orderBy: ['tags.b'] },
  { filterString: 'params.`x.y` IS NOT NULL' },
  { filterString: "attributes.status = 'FINISHED'", orderBy: ['attributes.end_time DESC'] },
  { filterString: "attributes.status IN ('FAILED', 'KILLED')", runViewType: 'ALL' },
  { filterString: "attributes.run_name LIKE '%-%'", orderBy: ['attributes.run_name'] },
  { filterString: 'attributes.start_time > 1700000003000', orderBy: ['start_time'] },
  { filterString: "metrics.acc >= 0 AND params.a != 'a'", orderBy: ['metrics.acc DESC', 'tags.a'], maxResults: 4 },
  { filterString: "tags.`mlflow.runName` != ''", orderBy: ['attributes.run_id'] },
  { filterString: "params.a IN ('a')" },
  { filterString: 'metrics.a = 1.5.5' },
  { orderBy: ['metrics.a DESC'], maxResults: 1, pageToken: 'abc' },
  { filterString: "dataset.name = 'x'" },
  { filterString: "attributes.lifecycle_stage = 'deleted'", runViewType: 'ALL', orderBy: ['lifecycle_stage'] },
];

type Outcome = { ok: true; page: PagedList<Run> } | { ok: false; code: string; message: string };

function outcome(f: () => PagedList<Run>): Outcome {
  try {
    return { ok: true, page: f() };
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { ok: false, code: err.code ?? 'ERR', message: err.message };
  }
}

/** Normalizes -0 / NaN for toEqual (which treats them specially) and keeps key order out of it. */
function norm(o: Outcome): unknown {
  if (!o.ok) return o;
  return {
    token: o.page.token,
    ids: o.page.items.map((r) => r.info.runId),
    items: o.page.items.map((r) => ({
      ...r,
      data: { ...r.data, metrics: Object.fromEntries(Object.entries(r.data.metrics).map(([k, v]) => [k, Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v])) },
    })),
  };
}

/** Every experiment id folder plus a missing one, in a random-ish order. */
export function allExperimentIds(root: string): string[] {
  const ids = [...new Set(expDirs(root).map((e) => e.id))];
  return [...ids.reverse(), '424242'];
}

/**
 * Compares the catalog answer to the scan for each query; returns the first difference (or null).
 */
export function compareAll(cat: Catalog, root: string, queries = QUERIES): string | null {
  const ids = allExperimentIds(root);
  for (const q of queries) {
    for (const expIds of [ids, ids.slice(0, 1)]) {
      const scanStore = new FileStore(root);
      const scanned = outcome(() => scanSearchRuns(scanStore, expIds, q));
      const want = norm(scanned);
      const got = norm(outcome(() => catalogSearchRuns(cat, new FileStore(root), expIds, q)));
      try {
        expect(got).toEqual(want);
      } catch (e) {
        return `query ${JSON.stringify(q)} on ${JSON.stringify(expIds)}: ${(e as Error).message.slice(0, 3000)}\nGOT ${JSON.stringify(got).slice(0, 1500)}\nWANT ${JSON.stringify(want).slice(0, 1500)}`;
      }
      // The ids-only answer (when the catalog gives one) is the page's run ids.
      if (scanned.ok) {
        let ids: string[] | undefined;
        try {
          ids = catalogSearchRunIds(cat, expIds, q);
        } catch (e) {
          return `ids of ${JSON.stringify(q)}: threw ${(e as Error).message} where the scan answered`;
        }
        const wantIds = scanned.page.items.map((r) => r.info.runId);
        if (ids !== undefined && JSON.stringify(ids) !== JSON.stringify(wantIds)) return `ids of ${JSON.stringify(q)} on ${JSON.stringify(expIds)}: ${JSON.stringify(ids).slice(0, 500)} != ${JSON.stringify(wantIds).slice(0, 500)}`;
      }
    }
  }
  return null;
}

/**
 * Waits until `f()` returns null (no difference) or the timeout passes; returns the last difference.
 * `f` (a full scan and catalog queries) is tried again after 50 ms, then at most every 200 ms: a
 * watcher that lags on a loaded machine is not chased by scans that load it more.
 */
export async function eventually(f: () => string | null, timeoutMs: number): Promise<string | null> {
  const end = Date.now() + timeoutMs;
  let last = f();
  let wait = 50;
  while (last !== null && Date.now() < end) {
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 200);
    last = f();
  }
  return last;
}
