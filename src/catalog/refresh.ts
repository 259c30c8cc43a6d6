/**
 * Cold build and delta refresh of the catalog: list experiment and run folders, stat each run's
 * meta.yaml and each params/tags/metrics file, re-read only what changed. A metric file that grew
 * with the same inode is read from its stored offset (the offset always sits after the last
 * `\n`, so a partial last line is never folded into the stored state); a shrunk or replaced file
 * is re-read whole.
 *
 * @example
 * ```ts
 * import { openCatalog } from './catalog.js';
 * const cat = openCatalog('./mlruns');
 * const { events } = cat.refresh({ emit: true }); // uses refreshCatalog
 * ```
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Run, RunInfo, RunStatus } from '../entities.js';
import { fastLatestMetric } from '../store/file/metric-scan.js';
import { parseRunMetricFile } from '../format/metric-line.js';
import { isValidMetricKey, validateParamName, validateTagName } from '../format/validation.js';
import { experimentFromDict, runInfoFromDict } from '../store/file/records.js';
import { listDir, listSubdirs, walkFiles } from '../store/file/fs.js';
import { RESERVED_EXPERIMENT_FOLDERS } from '../store/file/file-store.js';
import type { Catalog, RefreshOptions, RefreshResult } from './catalog.js';
import type { ChangeEvent, MetricPoint } from './events.js';

/**
 * Folders a targeted refresh looks at: experiment folders (their meta and their list of run
 * folders) and run folders (everything in them). `loc` 0 is the root, 1 is `.trash`.
 *
 * @example
 * ```ts
 * const s: RefreshScope = { experiments: [{ loc: 0, dir: '1' }], runs: [{ loc: 0, dir: '1', folder: 'abc' }] };
 * ```
 */
export interface RefreshScope {
  experiments: { loc: 0 | 1; dir: string }[];
  runs: { loc: 0 | 1; dir: string; folder: string }[];
}

const TRASH = '.trash';

function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

const sigOf = (st: fs.Stats | undefined): string => (st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-');
const hash = (s: string): string => crypto.createHash('sha1').update(s).digest('base64').slice(0, 22);

function walkSig(dir: string, out: string[], prefix: string): void {
  for (const f of walkFiles(dir).sort()) out.push(`${prefix}/${f}=${sigOf(statOf(path.join(dir, f)))}`);
}

interface ExpRow {
  loc: number;
  dir: string;
  sig: string;
  ds_sig: string;
  exp_id: string | null;
  name: string | null;
  lifecycle: string | null;
}

interface RunRow {
  rid: number;
  folder: string;
  sig: string;
  msig: string;
  ok: number;
  has_inputs: number;
  run_id: string | null;
  experiment_id: string | null;
  status: string | null;
  lifecycle: string | null;
}

interface MRow {
  rid: number;
  key: string;
  ino: number;
  size: number;
  mtime: number;
  off: number;
  fp: Buffer;
  bad: number;
  b_has: number;
  b_step: number | null;
  b_ts: number | null;
  b_val: number | null;
  b_nan: number;
  present: number;
  value: number | null;
  is_nan: number;
  step: number | null;
  ts: number | null;
}

interface Best {
  step: number;
  ts: number;
  value: number;
}

/** Python `(a.step, a.timestamp, a.value) > (b.step, b.timestamp, b.value)` (see metric-line.ts). */
function greater(a: Best, b: Best): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.ts !== b.ts) return a.ts > b.ts;
  return a.value > b.value;
}

function fold(best: Best | undefined, pts: readonly { step: number; timestamp: number; value: number }[]): Best | undefined {
  let b = best;
  for (const p of pts) {
    const c = { step: p.step, ts: p.timestamp, value: p.value };
    if (b === undefined || greater(c, b)) b = c;
  }
  return b;
}


function readRange(p: string, start: number, end: number): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch {
    return undefined;
  }
  try {
    const len = Math.max(0, end - start);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(fd, buf, got, len - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a whole file and its stat through one descriptor (undefined when it cannot be opened). */
function readWithStat(p: string): { st: fs.Stats; buf: Buffer } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = fs.readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return { st, buf: buf.subarray(0, got) };
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** A params/ or tags/ folder read once: its signature parts and `readValueFolder`'s values. */
function readValueFolder(dir: string, prefix: string, parts: string[], kind: 'param' | 'tag'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of walkFiles(dir).sort()) {
    const r = readWithStat(path.join(dir, key));
    parts.push(`${prefix}/${key}=${sigOf(r?.st)}`);
    if (!r) continue;
    try {
      if (kind === 'param') validateParamName(key);
      else validateTagName(key);
    } catch {
      continue;
    }
    out[key] = r.buf.toString('utf8');
  }
  return out;
}

const FP_LEN = 16;

/** SQLite stores integral REALs as integers (losing -0) and NaN as NULL: 1 marks NaN, 2 marks -0. */
function specialOf(v: number): number {
  return Number.isNaN(v) ? 1 : Object.is(v, -0) ? 2 : 0;
}

function special(flag: number, v: number | null): number {
  return flag === 1 ? NaN : flag === 2 ? -0 : (v ?? 0);
}

function disableMetricReads(cat: Catalog): void {
  const r = cat.reader as unknown as Record<string, unknown>;
  if (r['__mlrunsNoMetrics']) return;
  if (typeof r['readLatestMetric'] === 'function') {
    Object.defineProperty(cat.reader, 'readLatestMetric', { value: () => undefined });
  }
  Object.defineProperty(cat.reader, '__mlrunsNoMetrics', { value: true });
}

interface PendingCreate {
  runId: string;
  experimentId: string;
  runName: string | null;
  status: RunStatus;
  lifecycle: string;
  events: ChangeEvent[];
}

class Refresher {
  readonly events: ChangeEvent[] = [];
  runsRead = 0;
  metricFilesRead = 0;
  runsChanged = false;
  private readonly created: PendingCreate[] = [];
  private readonly createdByRid = new Map<number, PendingCreate>();
  private readonly removedRuns = new Map<string, { experimentId: string; lifecycle: string }>();
  private readonly createdExps: { loc: number; dir: string; name: string | null; lifecycle: string | null; valid: boolean }[] = [];
  private readonly removedExps = new Map<string, { loc: number; name: string | null; lifecycle: string | null; valid: boolean }>();
  private readonly root: string;
  private readonly st: ReturnType<Refresher['prepare']>;

  constructor(
    private readonly cat: Catalog,
    private readonly emit: boolean,
  ) {
    this.root = cat.root;
    this.st = this.prepare();
  }

  private prepare() {
    const db = this.cat.db;
    return {
      expGet: db.prepare('SELECT * FROM exps WHERE loc = ? AND dir = ?'),
      expAll: db.prepare('SELECT * FROM exps'),
      expUpsert: db.prepare(
        'INSERT OR REPLACE INTO exps(loc, dir, sig, ds_sig, exp_id, name, lifecycle) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      expDel: db.prepare('DELETE FROM exps WHERE loc = ? AND dir = ?'),
      runsOfExp: db.prepare(
        'SELECT rid, folder, sig, msig, ok, has_inputs, run_id, experiment_id, status, lifecycle FROM runs WHERE loc = ? AND exp_dir = ?',
      ),
      runGet: db.prepare(
        'SELECT rid, folder, sig, msig, ok, has_inputs, run_id, experiment_id, status, lifecycle FROM runs WHERE loc = ? AND exp_dir = ? AND folder = ?',
      ),
      runInsert: db.prepare(
        `INSERT INTO runs(loc, exp_dir, folder, sig, msig, ok, has_inputs, run_id, experiment_id, run_name, user_id, status,
          start_time, end_time, artifact_uri, lifecycle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      runUpdate: db.prepare(
        `UPDATE runs SET sig = ?, msig = ?, ok = ?, has_inputs = ?, run_id = ?, experiment_id = ?, run_name = ?, user_id = ?,
          status = ?, start_time = ?, end_time = ?, artifact_uri = ?, lifecycle = ? WHERE rid = ?`,
      ),
      jsonSet: db.prepare('INSERT OR REPLACE INTO run_json(rid, json) VALUES (?, ?)'),
      jsonDel: db.prepare('DELETE FROM run_json WHERE rid = ?'),
      runSetMsig: db.prepare('UPDATE runs SET msig = ? WHERE rid = ?'),
      runDel: db.prepare('DELETE FROM runs WHERE rid = ?'),
      paramsDel: db.prepare('DELETE FROM params WHERE rid = ?'),
      paramsIns: db.prepare('INSERT OR REPLACE INTO params(rid, key, value) VALUES (?, ?, ?)'),
      paramsGet: db.prepare('SELECT key, value FROM params WHERE rid = ?'),
      tagsDel: db.prepare('DELETE FROM tags WHERE rid = ?'),
      tagsIns: db.prepare('INSERT OR REPLACE INTO tags(rid, key, value) VALUES (?, ?, ?)'),
      tagsGet: db.prepare('SELECT key, value FROM tags WHERE rid = ?'),
      dsDel: db.prepare('DELETE FROM datasets WHERE rid = ?'),
      dsIns: db.prepare('INSERT INTO datasets(rid, kind, value) VALUES (?, ?, ?)'),
      mDelRun: db.prepare('DELETE FROM metrics WHERE rid = ?'),
      mfDelRun: db.prepare('DELETE FROM metric_files WHERE rid = ?'),
      mDel: db.prepare('DELETE FROM metrics WHERE rid = ? AND key = ?'),
      mfDel: db.prepare('DELETE FROM metric_files WHERE rid = ? AND key = ?'),
      mGet: db.prepare('SELECT f.*, m.present, m.value, m.is_nan, m.step, m.ts FROM metric_files f JOIN metrics m ON m.rid = f.rid AND m.key = f.key WHERE f.rid = ?'),
      mUpsert: db.prepare(
        `INSERT OR REPLACE INTO metrics(rid, key, present, value, is_nan, step, ts) VALUES (@rid, @key, @present, @value, @is_nan, @step, @ts)`,
      ),
      mfUpsert: db.prepare(
        `INSERT OR REPLACE INTO metric_files(rid, key, ino, size, mtime, off, fp, bad, b_has, b_step, b_ts, b_val, b_nan)
         VALUES (@rid, @key, @ino, @size, @mtime, @off, @fp, @bad, @b_has, @b_step, @b_ts, @b_val, @b_nan)`,
      ),
    };
  }

  expDirPath(loc: number, dir: string): string {
    return loc === 0 ? path.join(this.root, dir) : path.join(this.root, TRASH, dir);
  }

  /** Experiment folders as FileStore.experimentDir can resolve them. */
  listExpDirs(): { loc: 0 | 1; dir: string }[] {
    const out: { loc: 0 | 1; dir: string }[] = [];
    for (const d of listSubdirs(this.root)) {
      if (d === TRASH || d === 'models' || d.includes('\\')) continue;
      out.push({ loc: 0, dir: d });
    }
    for (const d of listSubdirs(path.join(this.root, TRASH))) {
      if (d.includes('\\')) continue;
      out.push({ loc: 1, dir: d });
    }
    return out;
  }

  full(): void {
    const listed = this.listExpDirs();
    const seen = new Set(listed.map((e) => `${e.loc}\0${e.dir}`));
    for (const row of this.st.expAll.all() as ExpRow[]) {
      if (!seen.has(`${row.loc}\0${row.dir}`)) this.removeExp(row);
    }
    for (const e of listed) this.processExp(e.loc, e.dir, true, undefined);
  }

  scoped(scope: RefreshScope): void {
    const expKeys = new Map<string, { loc: 0 | 1; dir: string }>();
    for (const e of scope.experiments) expKeys.set(`${e.loc}\0${e.dir}`, e);
    const runsByExp = new Map<string, Set<string>>();
    for (const r of scope.runs) {
      const k = `${r.loc}\0${r.dir}`;
      let s = runsByExp.get(k);
      if (!s) runsByExp.set(k, (s = new Set()));
      s.add(r.folder);
      if (!expKeys.has(k)) expKeys.set(k, { loc: r.loc, dir: r.dir });
    }
    for (const [k, e] of expKeys) {
      const only = scope.experiments.some((x) => `${x.loc}\0${x.dir}` === k) ? undefined : runsByExp.get(k);
      const force = runsByExp.get(k);
      this.processExp(e.loc, e.dir, false, only, force);
    }
  }

  private removeExp(row: ExpRow): void {
    for (const r of this.st.runsOfExp.all(row.loc, row.dir) as RunRow[]) this.removeRun(r);
    this.st.expDel.run(row.loc, row.dir);
    this.removedExps.set(row.dir, { loc: row.loc, name: row.name, lifecycle: row.lifecycle, valid: row.exp_id !== null });
  }

  private expSig(expDir: string): { sig: string; ds: string } {
    const parts = [sigOf(statOf(path.join(expDir, 'meta.yaml')))];
    walkSig(path.join(expDir, 'tags'), parts, 't');
    const ds: string[] = [];
    const dsDir = path.join(expDir, 'datasets');
    for (const id of listSubdirs(dsDir).sort()) ds.push(`${id}=${sigOf(statOf(path.join(dsDir, id, 'meta.yaml')))}`);
    return { sig: hash(parts.join('|')), ds: hash(ds.join('|')) };
  }

  /**
   * One experiment folder. `full`: every run folder is checked; otherwise only new/removed run
   * folders and those in `force`. `only`: restrict the run listing diff to these folders.
   */
  processExp(loc: 0 | 1, dir: string, full: boolean, only: Set<string> | undefined, force?: Set<string>): void {
    const expDir = this.expDirPath(loc, dir);
    const stored = this.st.expGet.get(loc, dir) as ExpRow | undefined;
    const st = statOf(expDir);
    if (!st || !st.isDirectory()) {
      if (stored) this.removeExp(stored);
      return;
    }
    const { sig, ds } = this.expSig(expDir);
    const dsChanged = stored !== undefined && stored.ds_sig !== ds;
    if (!stored || stored.sig !== sig || stored.ds_sig !== ds) {
      let expId: string | null = null;
      let name: string | null = null;
      let lifecycle: string | null = null;
      try {
        const meta = this.cat.reader.readYaml(path.join(expDir, 'meta.yaml'));
        const read = meta === undefined || meta === null ? undefined : experimentFromDict(meta, {});
        if (read && read.ok && read.value.experimentId === dir) {
          expId = read.value.experimentId;
          name = read.value.name;
          lifecycle = loc === 1 ? 'deleted' : read.value.lifecycleStage;
        }
      } catch {
        /* damaged meta: not an experiment for events; its runs are still listed by a scan */
      }
      this.st.expUpsert.run(loc, dir, sig, ds, expId, name, lifecycle);
      if (!stored) {
        this.createdExps.push({ loc, dir, name, lifecycle, valid: expId !== null });
      } else if (this.emit && expId !== null) {
        if (stored.exp_id === null) this.events.push({ type: 'experiment_created', experimentId: dir, name: name ?? '' });
        else {
          if (stored.name !== name && name !== null && stored.name !== null) {
            this.events.push({ type: 'experiment_renamed', experimentId: dir, from: stored.name, to: name });
          }
          if (stored.lifecycle !== lifecycle) {
            if (lifecycle === 'deleted') this.events.push({ type: 'experiment_deleted', experimentId: dir, name, removed: false });
            else if (lifecycle === 'active') this.events.push({ type: 'experiment_restored', experimentId: dir, name });
          }
        }
      }
    }
    if (!stored) only = undefined;
    const storedRuns = new Map<string, RunRow>();
    if (stored) for (const r of this.st.runsOfExp.all(loc, dir) as RunRow[]) storedRuns.set(r.folder, r);
    const folders = listSubdirs(expDir).filter((n) => !RESERVED_EXPERIMENT_FOLDERS.has(n));
    const present = new Set(folders);
    for (const [folder, r] of storedRuns) {
      if (only && !only.has(folder)) continue;
      if (!present.has(folder)) this.removeRun(r);
    }
    for (const folder of folders) {
      if (only && !only.has(folder)) continue;
      const r = storedRuns.get(folder);
      const forceRead = dsChanged && r !== undefined && r.has_inputs === 1;
      if (!r || full || forceRead || force?.has(folder)) this.processRun(loc, dir, expDir, folder, r, forceRead);
    }
  }

  private removeRun(r: RunRow): void {
    this.st.runDel.run(r.rid);
    this.st.jsonDel.run(r.rid);
    this.st.paramsDel.run(r.rid);
    this.st.tagsDel.run(r.rid);
    this.st.mDelRun.run(r.rid);
    this.st.mfDelRun.run(r.rid);
    this.st.dsDel.run(r.rid);
    this.runsChanged = true;
    if (r.ok === 1 && r.run_id !== null) {
      this.removedRuns.set(r.run_id, { experimentId: r.experiment_id ?? '', lifecycle: r.lifecycle ?? 'active' });
    }
  }

  private readInfo(runDir: string, experimentId: string): RunInfo | undefined {
    let meta: unknown;
    try {
      meta = this.cat.reader.readYaml(path.join(runDir, 'meta.yaml'));
    } catch {
      return undefined;
    }
    if (meta === undefined || meta === null) return undefined;
    const read = runInfoFromDict(meta);
    if (!read.ok || read.value.experimentId !== experimentId) return undefined;
    return read.value;
  }

  processRun(loc: 0 | 1, dir: string, expDir: string, folder: string, stored: RunRow | undefined, force: boolean): void {
    const runDir = path.join(expDir, folder);
    const entries = listDir(runDir);
    if (entries.length === 0 && !statOf(runDir)) {
      if (stored) this.removeRun(stored);
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    const parts = [sigOf(statOf(path.join(runDir, 'meta.yaml')))];
    // A new run: read params and tags with their stats in one pass (no separate stat calls).
    let pre: { params: Record<string, string>; tags: Record<string, string> } | undefined;
    if (!stored) {
      pre = {
        params: names.has('params') ? readValueFolder(path.join(runDir, 'params'), 'p', parts, 'param') : {},
        tags: names.has('tags') ? readValueFolder(path.join(runDir, 'tags'), 't', parts, 'tag') : {},
      };
    } else {
      if (names.has('params')) walkSig(path.join(runDir, 'params'), parts, 'p');
      if (names.has('tags')) walkSig(path.join(runDir, 'tags'), parts, 't');
    }
    if (names.has('inputs')) {
      const d = path.join(runDir, 'inputs');
      for (const id of listSubdirs(d).sort()) parts.push(`i/${id}=${sigOf(statOf(path.join(d, id, 'meta.yaml')))}`);
    }
    if (names.has('outputs')) {
      const d = path.join(runDir, 'outputs');
      for (const id of listSubdirs(d).sort()) parts.push(`o/${id}=${sigOf(statOf(path.join(d, id, 'meta.yaml')))}`);
    }
    const sig = hash(parts.join('|'));
    let rid = stored?.rid;
    let ok = stored?.ok === 1;
    let runId = stored?.run_id ?? null;
    let experimentId = stored?.experiment_id ?? dir;
    let becameOk = false;
    if (!stored || stored.sig !== sig || force) {
      this.runsRead++;
      this.runsChanged = true;
      const info = this.readInfo(runDir, dir);
      if (!info) {
        if (stored) {
          if (stored.ok === 1 && stored.run_id !== null) {
            this.removedRuns.set(stored.run_id, { experimentId: stored.experiment_id ?? '', lifecycle: stored.lifecycle ?? 'active' });
          }
          this.st.runUpdate.run(sig, '', 0, 0, null, null, null, null, null, null, null, null, null, stored.rid);
          this.clearRunData(stored.rid);
        } else {
          this.st.runInsert.run(loc, dir, folder, sig, '', 0, 0, null, null, null, null, null, null, null, null, null);
        }
        return;
      }
      let run: Run;
      if (pre && !names.has('inputs') && !names.has('outputs')) {
        // FileStore.readRun without inputs/outputs, from the values read above.
        const runInfo = { ...info };
        if (!runInfo.runName) {
          const fromTag = pre.tags['mlflow.runName'];
          if (fromTag) runInfo.runName = fromTag;
        }
        run = {
          info: runInfo,
          data: { metrics: {}, params: pre.params, tags: pre.tags },
          inputs: { datasetInputs: [], modelInputs: [] },
          outputs: { modelOutputs: [] },
        };
      } else {
        run = this.cat.reader.readRun(info, runDir, expDir);
      }
      const json = JSON.stringify({ info: run.info, data: { params: run.data.params, tags: run.data.tags }, inputs: run.inputs, outputs: run.outputs });
      const hasInputs = names.has('inputs') ? 1 : 0;
      const cols = [
        run.info.runId,
        run.info.experimentId,
        run.info.runName,
        run.info.userId,
        run.info.status,
        run.info.startTime !== null && Number.isNaN(run.info.startTime) ? 'NaN' : run.info.startTime,
        run.info.endTime !== null && Number.isNaN(run.info.endTime) ? 'NaN' : run.info.endTime,
        run.info.artifactUri,
        run.info.lifecycleStage,
      ] as const;
      let oldParams: Record<string, string> = {};
      let oldTags: Record<string, string> = {};
      const wasOk = stored?.ok === 1;
      if (stored) {
        if (this.emit && wasOk) {
          oldParams = Object.fromEntries((this.st.paramsGet.all(stored.rid) as { key: string; value: string }[]).map((r) => [r.key, r.value]));
          oldTags = Object.fromEntries((this.st.tagsGet.all(stored.rid) as { key: string; value: string }[]).map((r) => [r.key, r.value]));
        }
        this.st.runUpdate.run(sig, wasOk ? stored.msig : '', 1, hasInputs, ...cols, stored.rid);
        this.st.paramsDel.run(stored.rid);
        this.st.tagsDel.run(stored.rid);
        this.st.dsDel.run(stored.rid);
        rid = stored.rid;
      } else {
        rid = Number(this.st.runInsert.run(loc, dir, folder, sig, '', 1, hasInputs, ...cols).lastInsertRowid);
      }
      this.st.jsonSet.run(rid, json);
      for (const [k, v] of Object.entries(run.data.params)) this.st.paramsIns.run(rid, k, v);
      for (const [k, v] of Object.entries(run.data.tags)) this.st.tagsIns.run(rid, k, v);
      for (const input of run.inputs.datasetInputs) {
        this.st.dsIns.run(rid, 'name', input.dataset.name);
        this.st.dsIns.run(rid, 'digest', input.dataset.digest);
        for (const t of input.tags) if (t.key === 'mlflow.data.context') this.st.dsIns.run(rid, 'context', t.value);
      }
      becameOk = !wasOk;
      ok = true;
      runId = run.info.runId;
      experimentId = run.info.experimentId;
      this.runEvents(rid, stored, wasOk, run, oldParams, oldTags);
    }
    if (!ok || rid === undefined || runId === null) return;
    this.processMetrics(rid, runDir, names.has('metrics'), becameOk ? '' : (stored?.msig ?? ''), runId, experimentId);
  }

  private clearRunData(rid: number): void {
    this.st.jsonDel.run(rid);
    this.st.paramsDel.run(rid);
    this.st.tagsDel.run(rid);
    this.st.mDelRun.run(rid);
    this.st.mfDelRun.run(rid);
    this.st.dsDel.run(rid);
  }

  private runEvents(
    rid: number,
    stored: RunRow | undefined,
    wasOk: boolean,
    run: Run,
    oldParams: Record<string, string>,
    oldTags: Record<string, string>,
  ): void {
    const { runId, experimentId } = run.info;
    if (!stored || !wasOk) {
      const pc: PendingCreate = {
        runId,
        experimentId,
        runName: run.info.runName,
        status: run.info.status,
        lifecycle: run.info.lifecycleStage,
        events: [],
      };
      this.created.push(pc);
      this.createdByRid.set(rid, pc);
      if (this.emit) {
        if (Object.keys(run.data.params).length > 0) pc.events.push({ type: 'params_set', experimentId, runId, params: run.data.params });
        if (Object.keys(run.data.tags).length > 0) pc.events.push({ type: 'tags_set', experimentId, runId, tags: run.data.tags, deleted: [] });
      }
      return;
    }
    if (!this.emit) return;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(run.data.params)) if (oldParams[k] !== v) params[k] = v;
    if (Object.keys(params).length > 0) this.events.push({ type: 'params_set', experimentId, runId, params });
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(run.data.tags)) if (oldTags[k] !== v) tags[k] = v;
    const deleted = Object.keys(oldTags).filter((k) => !Object.prototype.hasOwnProperty.call(run.data.tags, k));
    if (Object.keys(tags).length > 0 || deleted.length > 0) this.events.push({ type: 'tags_set', experimentId, runId, tags, deleted });
    if (stored.status !== run.info.status && stored.status !== null) {
      this.events.push({
        type: 'status_changed',
        experimentId,
        runId,
        from: stored.status as RunStatus,
        to: run.info.status,
        endTime: run.info.endTime,
      });
    }
    if (stored.lifecycle !== run.info.lifecycleStage) {
      if (run.info.lifecycleStage === 'deleted') this.events.push({ type: 'run_deleted', experimentId, runId, removed: false });
      else this.events.push({ type: 'run_restored', experimentId, runId });
    }
  }

  private processMetrics(rid: number, runDir: string, hasMetrics: boolean, storedMsig: string, runId: string, experimentId: string): void {
    const metricsDir = path.join(runDir, 'metrics');
    const keys = hasMetrics ? walkFiles(metricsDir).sort() : [];
    const stats = new Map<string, fs.Stats>();
    const bufs = new Map<string, Buffer>();
    const parts: string[] = [];
    for (const key of keys) {
      if (!isValidMetricKey(key)) continue;
      let st: fs.Stats | undefined;
      if (storedMsig === '') {
        // Nothing indexed yet: read each file with its stat through one descriptor.
        const r = readWithStat(path.join(metricsDir, key));
        if (r) {
          st = r.st;
          bufs.set(key, r.buf);
        }
      } else st = statOf(path.join(metricsDir, key));
      if (!st) continue;
      stats.set(key, st);
      parts.push(`${key}=${sigOf(st)}`);
    }
    const msig = hash(parts.join('|'));
    if (msig === storedMsig) return;
    const storedRows = new Map<string, MRow>();
    if (storedMsig !== '') for (const r of this.st.mGet.all(rid) as MRow[]) storedRows.set(r.key, r);
    for (const key of storedRows.keys()) {
      if (!stats.has(key)) {
        this.st.mDel.run(rid, key);
        this.st.mfDel.run(rid, key);
      }
    }
    const pc = this.createdByRid.get(rid);
    for (const [key, st] of stats) {
      const res = this.processMetricFile(path.join(metricsDir, key), key, st, storedRows.get(key), rid, runId, experimentId, bufs.get(key));
      if (res && this.emit && res.points.length > 0) {
        const e: ChangeEvent = { type: 'metrics_appended', experimentId, runId, key, points: res.points, rewritten: res.rewritten };
        if (pc) pc.events.push(e);
        else this.events.push(e);
      }
    }
    this.st.runSetMsig.run(msig, rid);
  }

  private processMetricFile(
    p: string,
    key: string,
    st: fs.Stats,
    stored: MRow | undefined,
    rid: number,
    runId: string,
    experimentId: string,
    preRead?: Buffer,
  ): { points: MetricPoint[]; rewritten: boolean } | undefined {
    if (stored && stored.ino === st.ino && stored.size === st.size && stored.mtime === st.mtimeMs) return undefined;
    this.metricFilesRead++;
    let data: Buffer | undefined;
    let start = 0;
    let base: Best | undefined;
    let bad = 0;
    let append = false;
    let all: Buffer | undefined;
    let allStart = 0;
    if (stored && stored.ino === st.ino && st.size > stored.size && stored.off <= stored.size) {
      const fpLen = stored.fp.length;
      const buf = readRange(p, stored.off - fpLen, st.size);
      if (buf && buf.length >= fpLen && buf.subarray(0, fpLen).equals(stored.fp)) {
        append = true;
        all = buf;
        allStart = stored.off - fpLen;
        data = buf.subarray(fpLen);
        start = stored.off;
        bad = stored.bad;
        if (stored.b_has) base = { step: stored.b_step ?? 0, ts: stored.b_ts ?? 0, value: special(stored.b_nan, stored.b_val) };
      }
    }
    if (!append) {
      data = preRead ?? readRange(p, 0, st.size);
      if (data === undefined) return undefined;
      all = data;
      allStart = 0;
    }
    const d = data as Buffer;
    const lastNl = d.lastIndexOf(0x0a);
    const complete = d.subarray(0, lastNl + 1);
    const tail = d.subarray(lastNl + 1);
    const off = start + lastNl + 1;
    const fpFrom = Math.max(allStart, off - FP_LEN) - allStart;
    const fp = Buffer.from((all as Buffer).subarray(fpFrom, off - allStart));
    let points: MetricPoint[] = [];
    const opts = { allowEmpty: true, runId, experimentId };
    if (!bad && complete.length > 0) {
      const text = complete.toString('utf8');
      let done = false;
      if (!this.emit && base === undefined && text.charCodeAt(0) !== 0xfeff) {
        const fast = fastLatestMetric(text);
        if (fast) {
          base = { step: fast.step, ts: fast.timestamp, value: fast.value };
          done = true;
        }
      }
      if (!done) {
        try {
          const pts = parseRunMetricFile(text, key, p, opts);
          base = fold(base, pts);
          if (this.emit) points = pts.map((m) => ({ value: m.value, step: m.step, timestamp: m.timestamp }));
        } catch {
          bad = 1;
        }
      }
    }
    let eff = base;
    let tailBad = false;
    if (!bad && tail.length > 0) {
      try {
        eff = fold(base, parseRunMetricFile(tail.toString('utf8'), key, p, opts));
      } catch {
        tailBad = true;
      }
    }
    const presentNow = !bad && !tailBad && eff !== undefined;
    const row: MRow = {
      rid,
      key,
      ino: st.ino,
      size: append || d.length === st.size ? start + d.length : d.length,
      mtime: st.mtimeMs,
      off,
      fp,
      bad,
      b_has: base ? 1 : 0,
      b_step: base ? base.step : null,
      b_ts: base ? base.ts : null,
      b_val: base && !Number.isNaN(base.value) ? base.value : null,
      b_nan: base ? specialOf(base.value) : 0,
      present: presentNow ? 1 : 0,
      value: presentNow && !Number.isNaN(eff!.value) ? eff!.value : null,
      is_nan: presentNow ? specialOf(eff!.value) : 0,
      step: presentNow ? eff!.step : null,
      ts: presentNow ? eff!.ts : null,
    };
    this.st.mUpsert.run({ rid, key, present: row.present, value: row.value, is_nan: row.is_nan, step: row.step, ts: row.ts });
    const { present: _p, value: _v, is_nan: _n, step: _s, ts: _t, ...file } = row;
    void _p, _v, _n, _s, _t;
    this.st.mfUpsert.run(file);
    return { points, rewritten: stored !== undefined && !append };
  }

  finish(wasEmpty: boolean): void {
    if (this.runsChanged) {
      const dup = this.cat.db
        .prepare('SELECT EXISTS(SELECT 1 FROM runs WHERE ok = 1 GROUP BY run_id HAVING COUNT(*) > 1) AS d')
        .get() as { d: number };
      this.cat.setMeta('dup', String(dup.d));
      const odd = this.cat.db
        .prepare(
          "SELECT EXISTS(SELECT 1 FROM runs WHERE ok = 1 AND (typeof(start_time) NOT IN ('integer', 'real') OR typeof(end_time) NOT IN ('integer', 'real', 'null'))) AS d",
        )
        .get() as { d: number };
      this.cat.setMeta('odd', String(odd.d));
    }
    if (!this.emit || wasEmpty) return;
    // Experiments: pair removals and creations of the same folder name (moves to/from .trash).
    const out: ChangeEvent[] = [];
    for (const c of this.createdExps) {
      const gone = this.removedExps.get(c.dir);
      if (gone) {
        this.removedExps.delete(c.dir);
        if (!c.valid) continue;
        if (gone.valid && gone.name !== null && c.name !== null && gone.name !== c.name) {
          out.push({ type: 'experiment_renamed', experimentId: c.dir, from: gone.name, to: c.name });
        }
        if (gone.lifecycle !== c.lifecycle || !gone.valid) {
          if (c.lifecycle === 'deleted') out.push({ type: 'experiment_deleted', experimentId: c.dir, name: c.name, removed: false });
          else out.push({ type: 'experiment_restored', experimentId: c.dir, name: c.name });
        }
      } else if (c.valid) {
        if (c.lifecycle === 'deleted') {
          out.push({ type: 'experiment_created', experimentId: c.dir, name: c.name ?? '' });
          out.push({ type: 'experiment_deleted', experimentId: c.dir, name: c.name, removed: false });
        } else out.push({ type: 'experiment_created', experimentId: c.dir, name: c.name ?? '' });
      }
    }
    for (const [dir, gone] of this.removedExps) {
      if (gone.valid) out.push({ type: 'experiment_deleted', experimentId: dir, name: gone.name, removed: true });
    }
    // Runs: a removal and a creation of the same run id is a move (experiment to/from .trash, branch switch).
    for (const c of this.created) {
      const gone = this.removedRuns.get(c.runId);
      if (gone) {
        this.removedRuns.delete(c.runId);
        if (gone.lifecycle !== c.lifecycle) {
          if (c.lifecycle === 'deleted') out.push({ type: 'run_deleted', experimentId: c.experimentId, runId: c.runId, removed: false });
          else out.push({ type: 'run_restored', experimentId: c.experimentId, runId: c.runId });
        }
        continue;
      }
      out.push({ type: 'run_created', experimentId: c.experimentId, runId: c.runId, runName: c.runName, status: c.status });
      out.push(...c.events);
    }
    out.push(...this.events);
    for (const [runId, gone] of this.removedRuns) out.push({ type: 'run_deleted', experimentId: gone.experimentId, runId, removed: true });
    this.events.length = 0;
    this.events.push(...out);
  }
}

/**
 * Refreshes a catalog in one write transaction (other processes' queries keep reading the
 * previous snapshot; other refreshers wait for the lock). See {@link Catalog.refresh}.
 *
 * @example
 * ```ts
 * refreshCatalog(cat, { emit: true }).events;
 * ```
 */
export function refreshCatalog(cat: Catalog, options: RefreshOptions = {}): RefreshResult {
  disableMetricReads(cat);
  const db = cat.db;
  db.exec('BEGIN IMMEDIATE');
  try {
    const wasEmpty = (db.prepare('SELECT NOT EXISTS(SELECT 1 FROM exps) AS e').get() as { e: number }).e === 1;
    const r = new Refresher(cat, options.emit ?? false);
    if (options.scope && !wasEmpty) r.scoped(options.scope);
    else r.full();
    r.finish(wasEmpty);
    if (!options.scope) cat.setMeta('last_full_refresh', String(Date.now()));
    db.exec('COMMIT');
    if (r.runsRead > 1000) {
      try {
        db.exec('ANALYZE');
      } catch {
        /* statistics only help the planner */
      }
    }
    return { events: r.events, runsRead: r.runsRead, metricFilesRead: r.metricFilesRead, cold: wasEmpty };
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}
