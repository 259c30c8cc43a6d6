/**
 * Cold build and delta refresh of the catalog. Each run row keeps the signatures of its folder
 * (see `run-folder.ts`): a delta refresh stats what they name and skips the runs where nothing
 * changed without listing a folder; a run whose signature changed is listed again, its meta,
 * params and tags re-read when their part changed, each changed metric file re-read. A metric
 * file that grew with the same inode is read from its stored offset (the offset always sits after
 * the last `\n`, so a partial last line is never folded into the stored state); a shrunk or
 * replaced file is re-read whole.
 *
 * New run folders (all of them in a cold build) are read in worker threads when there are many
 * (`pool.ts`), this thread only writing rows.
 *
 * @example
 * ```ts
 * import { openCatalog } from './catalog.js';
 * const cat = openCatalog('./mlruns');
 * const { events } = cat.refresh({ emit: true }); // uses refreshCatalog
 * ```
 */
import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Run, RunStatus } from '../entities.js';
import type { ReadWarning } from '../errors.js';
import { experimentFromDict } from '../store/file/records.js';
import { listDir, listSubdirs, walkFiles } from '../store/file/fs.js';
import { META, RESERVED_EXPERIMENT_FOLDERS, TRASH, leavesRoot, listExperimentFolders as listLayoutExperiments, listRunFolders } from '../store/file/layout.js';
import type { Location } from '../store/file/layout.js';
import { SECONDARY_INDEXES, encodeLatestMetrics, metricValue } from './tables.js';
import { readYaml } from '../store/file/run-folder.js';
import type { ChangeEvent, MetricPoint } from './events.js';
import { defaultWorkers, startPool } from './pool.js';
import type { ProbeItem, SyncPool } from './pool.js';
import { GrowthCollector } from './memory.js';
import { SUM_CHUNK, SummaryBuilder, decodeHead, f64 } from './summary.js';
import type { SummaryRow } from './summary.js';
import {
  FP_LEN,
  M,
  RACY_MS,
  M_STRIDE,
  NO_MSIG,
  colsOf,
  computeMetricFile,
  datasetRows,
  dirVal,
  metricLayout,
  probesMatch,
  readNewRun,
  readRunCore,
  runJson,
  statOf,
} from './run-folder.js';
import type { MetricState, NewRun, ReadContext, RunJob, RunWarning, WarnScope } from './run-folder.js';

/**
 * Folders a targeted refresh looks at: experiment folders (their meta and their list of run
 * folders) and run folders (everything in them), each in the root or in `.trash` (`loc`).
 *
 * @example
 * ```ts
 * const s: RefreshScope = { experiments: [{ loc: 'root', dir: '1' }], runs: [{ loc: 'root', dir: '1', folder: 'abc' }] };
 * ```
 */
export interface RefreshScope {
  experiments: { loc: Location; dir: string }[];
  runs: { loc: Location; dir: string; folder: string }[];
}


/**
 * New run folders are read in worker threads from this many on (fewer: reading here is faster
 * than starting them). `MLRUNS_CATALOG_WORKERS_MIN_RUNS` overrides it (tests use workers on small stores).
 */
export const POOL_MIN_RUNS = 3000;

/** {@link RACY_MS}, or `MLRUNS_CATALOG_RACY_MS` (tests shorten it to exercise the folder probes). */
function racyMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env['MLRUNS_CATALOG_RACY_MS']);
  return env['MLRUNS_CATALOG_RACY_MS'] !== undefined && Number.isFinite(v) && v >= 0 ? v : RACY_MS;
}

function poolMinRuns(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env['MLRUNS_CATALOG_WORKERS_MIN_RUNS']);
  return Number.isFinite(v) && v > 0 ? v : POOL_MIN_RUNS;
}
/** Run folders per worker task. */
const TASK_RUNS = 64;
/** Known runs are checked for changes in worker threads from this many on. */
const PROBE_POOL_MIN_RUNS = 3000;
/** Known runs per worker task. */
const PROBE_TASK_RUNS = 256;
/** Heap growth after which a refresh collects garbage (memory.ts). */
const GC_GROWTH_BYTES = 32e6;
/** Stored runs read per page by a refresh (above PROBE_POOL_MIN_RUNS, so a page can use the workers). */
const RUN_PAGE = 8192;

/** RUN_PAGE, or MLRUNS_CATALOG_RUN_PAGE (tests use tiny pages to cross page boundaries). */
function runPage(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env['MLRUNS_CATALOG_RUN_PAGE']);
  return Number.isInteger(v) && v >= 1 ? v : RUN_PAGE;
}

const sigOf = (st: fs.Stats | undefined): string => (st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-');
const hash = (s: string): string => crypto.createHash('sha1').update(s).digest('base64').slice(0, 22);

function walkSig(dir: string, out: string[], prefix: string): void {
  for (const f of walkFiles(dir).sort()) out.push(`${prefix}/${f}=${sigOf(statOf(path.join(dir, f)))}`);
}

interface ExpRow {
  loc: Location;
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
  probe: string;
  sig: string;
  msig: string;
  ok: number;
  has_inputs: number;
  run_id: string | null;
  experiment_id: string | null;
  status: string | null;
  lifecycle: string | null;
}

interface MRow extends MetricState {
  rid: number;
  key: string;
  present: number;
  value: number | null;
  is_nan: number;
  step: number | null;
  ts: number | null;
}

interface PendingCreate {
  runId: string;
  experimentId: string;
  runName: string | null;
  status: RunStatus;
  lifecycle: string;
  events: ChangeEvent[];
}

/** A run folder name from an experiment listing, and whether it leads outside the root. */
interface Folder {
  name: string;
  outside: boolean;
}

const RUN_COLS = 'rid, folder, probe, sig, msig, ok, has_inputs, run_id, experiment_id, status, lifecycle';

/** The `runs` columns of a run's attributes (in {@link colsOf}'s order), and their named parameters. */
const RUN_ATTRS = 'run_id, experiment_id, run_name, user_id, status, start_time, end_time, artifact_uri, lifecycle';
const RUN_ATTR_PARAMS = RUN_ATTRS.split(', ')
  .map((c) => `@${c}`)
  .join(', ');

/** {@link colsOf}'s values as the named parameters of {@link RUN_ATTRS} (null: an unreadable run, all NULL). */
function runAttrs(c: readonly unknown[] | null): Record<string, unknown> {
  return {
    run_id: c?.[0] ?? null,
    experiment_id: c?.[1] ?? null,
    run_name: c?.[2] ?? null,
    user_id: c?.[3] ?? null,
    status: c?.[4] ?? null,
    start_time: c?.[5] ?? null,
    end_time: c?.[6] ?? null,
    artifact_uri: c?.[7] ?? null,
    lifecycle: c?.[8] ?? null,
  };
}

/** Options of a {@link Refresher} beyond `emit`. */
interface RefresherOptions {
  emit: boolean;
  /** Worker threads for new run folders (0: none). */
  workers: number;
  /** Called for each warning found in what was (re)read. */
  onWarning?: ((w: ReadWarning) => void) | undefined;
}

/**
 * The experiment folders of a root as FileStore.experimentDir can resolve them: in the root
 * (not `.trash`, not `models`) and in `.trash`.
 *
 * @example
 * ```ts
 * listExperimentFolders('/abs/mlruns'); // [{ loc: 'root', dir: '0' }, { loc: 'trash', dir: '5' }]
 * ```
 */
export function listExperimentFolders(root: string): { loc: Location; dir: string }[] {
  return listLayoutExperiments(root, 'by-id').map((f) => ({ loc: f.location, dir: f.name }));
}

/**
 * The catalog as a refresh sees it: its database, root and settings (the `Catalog` class of
 * `catalog.ts` is one).
 *
 * @example
 * ```ts
 * refreshCatalog(openCatalog('./mlruns'), {});
 * ```
 */
export interface RefreshTarget {
  readonly root: string;
  readonly db: import('better-sqlite3').Database;
  readonly workers: number | undefined;
  readonly onWarning: ((warning: ReadWarning) => void) | undefined;
  setMeta(key: string, value: string): void;
  /**
   * Experiment folders whose run folders the catalog holds as listed, by the folder's stat
   * signature at that listing (see {@link listingSig}): while the signature is the same, no run
   * folder was added, removed or renamed there, and a refresh need not list it again. Kept in
   * memory by the connection's owner (the `Catalog` clears it on reset); absent: always list.
   */
  readonly listings?: Map<string, string>;
}

/**
 * An experiment folder's signature for {@link RefreshTarget.listings}: adding, removing or
 * renaming an entry changes the folder's mtime and ctime. Null when too recent to be trusted
 * (another entry could change within the same timestamp tick after this stat).
 */
function listingSig(st: fs.Stats, trustBefore: number): string | null {
  if (st.mtimeMs >= trustBefore || st.ctimeMs >= trustBefore) return null;
  return `${st.dev}:${st.ino}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** At least this old (ms) for a folder's listing to be remembered, whatever MLRUNS_CATALOG_RACY_MS says. */
const LISTING_RACY_MS = 2000;

/**
 * Result of a refresh.
 *
 * @example
 * ```ts
 * const r: RefreshResult = { events: [], runsRead: 0, metricFilesRead: 0, cold: false };
 * ```
 */
export interface RefreshResult {
  /** Changes found (only when asked for with `emit`). */
  events: ChangeEvent[];
  /** Runs whose meta/params/tags were (re)read. */
  runsRead: number;
  /** Metric files (or their appended bytes) read. */
  metricFilesRead: number;
  /** True when the catalog was empty before (a cold build). */
  cold: boolean;
}

/**
 * Options of {@link Catalog.refresh}.
 *
 * @example
 * ```ts
 * const o: RefreshOptions = { emit: true };
 * ```
 */
export interface RefreshOptions {
  /** Collect change events (costs an exact parse of new metric bytes). */
  emit?: boolean;
  /** Limit the refresh to some experiment folders / run folders (the watcher's targeted refresh). */
  scope?: RefreshScope;
}


class Refresher {
  readonly events: ChangeEvent[] = [];
  runsRead = 0;
  metricFilesRead = 0;
  runsChanged = false;
  private readonly emit: boolean;
  private readonly created: PendingCreate[] = [];
  private readonly createdByRid = new Map<number, PendingCreate>();
  private readonly removedRuns = new Map<string, { experimentId: string; lifecycle: string }>();
  private readonly createdExps: { loc: Location; dir: string; name: string | null; lifecycle: string | null; valid: boolean }[] = [];
  private readonly removedExps = new Map<string, { loc: Location; name: string | null; lifecycle: string | null; valid: boolean }>();
  private readonly root: string;
  private readonly st: ReturnType<Refresher['prepare']>;
  private readonly ctx: ReadContext;
  private nextRid: number;
  /** New run folders, read and written together by {@link flushNew}. */
  private readonly pendingNew: RunJob[] = [];
  private readonly outsideExps = new Map<string, boolean>();
  private readonly multi = new Map<string, Statement>();
  /** Started on first use; null: none (no workers, or they could not start). */
  private workerPool: SyncPool | null | undefined;
  /** Runs whose metric rows changed: their `run_json.metrics` is rebuilt by {@link finish}. */
  private readonly latestChanged = new Set<number>();
  /** Bounds the garbage a refresh of a large store leaves on the heap (see memory.ts). */
  private readonly gc = new GrowthCollector(GC_GROWTH_BYTES);
  /** Listings made by this refresh (null: forget), put in `cat.listings` once committed ({@link commitListings}). */
  private readonly listed = new Map<string, string | null>();

  constructor(
    private readonly cat: RefreshTarget,
    private readonly options: RefresherOptions,
  ) {
    this.emit = options.emit;
    this.root = cat.root;
    this.st = this.prepare();
    this.ctx = { root: cat.root, trustBefore: Date.now() - racyMs(), emit: this.emit };
    this.nextRid = (cat.db.prepare('SELECT COALESCE(MAX(rid), 0) AS m FROM runs').get() as { m: number }).m + 1;
  }

  private prepare() {
    const db = this.cat.db;
    return {
      expGet: db.prepare('SELECT * FROM exps WHERE loc = @loc AND dir = @dir'),
      expAll: db.prepare('SELECT * FROM exps'),
      expUpsert: db.prepare(
        'INSERT OR REPLACE INTO exps(loc, dir, sig, ds_sig, exp_id, name, lifecycle) VALUES (@loc, @dir, @sig, @ds_sig, @exp_id, @name, @lifecycle)',
      ),
      expDel: db.prepare('DELETE FROM exps WHERE loc = @loc AND dir = @dir'),
      // One page of an experiment's runs in folder order (keyset on the runs_folder index).
      runsOfExpPage: db.prepare(`SELECT ${RUN_COLS} FROM runs WHERE loc = @loc AND exp_dir = @dir AND folder > @after ORDER BY folder LIMIT @limit`),
      runGet: db.prepare(`SELECT ${RUN_COLS} FROM runs WHERE loc = @loc AND exp_dir = @dir AND folder = @folder`),
      foldersOfExp: db.prepare('SELECT folder FROM runs WHERE loc = @loc AND exp_dir = @dir'),
      runInsert: db.prepare(
        `INSERT INTO runs(rid, loc, exp_dir, folder, probe, sig, msig, ok, has_inputs, ${RUN_ATTRS})
         VALUES (@rid, @loc, @exp_dir, @folder, @probe, @sig, @msig, @ok, @has_inputs, ${RUN_ATTR_PARAMS})`,
      ),
      runUpdate: db.prepare(
        `UPDATE runs SET sig = @sig, msig = @msig, ok = @ok, has_inputs = @has_inputs, (${RUN_ATTRS}) = (${RUN_ATTR_PARAMS}) WHERE rid = @rid`,
      ),
      // The run's JSON replaced, its latest metrics kept (they follow the metric rows).
      jsonSet: db.prepare('INSERT INTO run_json(rid, json) VALUES (@rid, @json) ON CONFLICT(rid) DO UPDATE SET json = excluded.json'),
      jsonNew: db.prepare('INSERT OR REPLACE INTO run_json(rid, json, metrics) VALUES (@rid, @json, @metrics)'),
      latestMetricsOf: db.prepare('SELECT key, value, is_nan FROM metrics WHERE rid = @rid AND present = 1'),
      latestMetricsSet: db.prepare('UPDATE run_json SET metrics = @metrics WHERE rid = @rid'),
      jsonDel: db.prepare('DELETE FROM run_json WHERE rid = @rid'),
      runSetMsig: db.prepare('UPDATE runs SET msig = @msig WHERE rid = @rid'),
      runSetProbe: db.prepare('UPDATE runs SET probe = @probe WHERE rid = @rid'),
      runDel: db.prepare('DELETE FROM runs WHERE rid = @rid'),
      paramsDel: db.prepare('DELETE FROM params WHERE rid = @rid'),
      paramsIns: db.prepare('INSERT OR REPLACE INTO params(rid, key, value) VALUES (@rid, @key, @value)'),
      paramsGet: db.prepare('SELECT key, value FROM params WHERE rid = @rid'),
      tagsDel: db.prepare('DELETE FROM tags WHERE rid = @rid'),
      tagsIns: db.prepare('INSERT OR REPLACE INTO tags(rid, key, value) VALUES (@rid, @key, @value)'),
      tagsGet: db.prepare('SELECT key, value FROM tags WHERE rid = @rid'),
      dsDel: db.prepare('DELETE FROM datasets WHERE rid = @rid'),
      dsIns: db.prepare('INSERT INTO datasets(rid, kind, value) VALUES (@rid, @kind, @value)'),
      mDelRun: db.prepare('DELETE FROM metrics WHERE rid = @rid'),
      mDel: db.prepare('DELETE FROM metrics WHERE rid = @rid AND key = @key'),
      mGet: db.prepare('SELECT * FROM metrics WHERE rid = @rid'),
      sumDelRun: db.prepare('DELETE FROM msum WHERE rid = @rid'),
      sumDel: db.prepare('DELETE FROM msum WHERE rid = @rid AND key = @key'),
      sumPut: db.prepare('INSERT OR REPLACE INTO msum(rid, key, level, chunk, x0, x1, data) VALUES (@rid, @key, @level, @chunk, @x0, @x1, @data)'),
      sumGet: db.prepare('SELECT x0, x1, data FROM msum WHERE rid = @rid AND key = @key AND level = @level AND chunk = @chunk'),
      mUpsert: db.prepare(
        `INSERT OR REPLACE INTO metrics(rid, key, present, value, is_nan, step, ts, ino, size, mtime, off, fp, bad, b_has, b_step, b_ts, b_val, b_nan)
         VALUES (@rid, @key, @present, @value, @is_nan, @step, @ts, @ino, @size, @mtime, @off, @fp, @bad, @b_has, @b_step, @b_ts, @b_val, @b_nan)`,
      ),
      wIns: db.prepare(
        'INSERT INTO warnings(rid, loc, exp_dir, scope, key, code, path, message) VALUES (@rid, @loc, @dir, @scope, @key, @code, @path, @message)',
      ),
      wDelRun: db.prepare('DELETE FROM warnings WHERE rid = @rid'),
      wTakeRun: db.prepare("DELETE FROM warnings WHERE rid = @rid AND scope IN ('r', 'd') RETURNING scope, key, code, path, message"),
      wTakeScope: db.prepare('DELETE FROM warnings WHERE rid = @rid AND scope = @scope RETURNING scope, key, code, path, message'),
      wTakeKey: db.prepare("DELETE FROM warnings WHERE rid = @rid AND scope = 'm' AND key = @key RETURNING scope, key, code, path, message"),
    };
  }

  expDirPath(loc: Location, dir: string): string {
    return loc === 'root' ? path.join(this.root, dir) : path.join(this.root, TRASH, dir);
  }

  /** Experiment folders as FileStore.experimentDir can resolve them. */
  listExpDirs(): { loc: Location; dir: string }[] {
    return listExperimentFolders(this.root);
  }

  full(): void {
    const listed = this.listExpDirs();
    const seen = new Set(listed.map((e) => `${e.loc}\0${e.dir}`));
    for (const row of this.st.expAll.all() as ExpRow[]) {
      if (!seen.has(`${row.loc}\0${row.dir}`)) this.removeExp(row);
    }
    for (const e of listed) this.processExp(e.loc, e.dir, true, undefined);
    this.flushNew();
  }

  scoped(scope: RefreshScope): void {
    const expKeys = new Map<string, { loc: Location; dir: string }>();
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
    this.flushNew();
  }

  /**
   * An experiment's stored runs, page by page: a 100k-run experiment's rows (about 1 KB of
   * signatures each) are never all in memory at once. Rows of a page may be changed or deleted
   * before the next page is read.
   */
  private *storedRunPages(loc: Location, dir: string): Generator<RunRow[]> {
    const size = runPage();
    let after = '';
    for (;;) {
      const page = this.st.runsOfExpPage.all({ loc, dir, after, limit: size }) as RunRow[];
      if (page.length > 0) yield page;
      if (page.length < size) return;
      after = (page[page.length - 1] as RunRow).folder;
    }
  }

  private removeExp(row: ExpRow): void {
    this.listed.set(this.expDirPath(row.loc, row.dir), null);
    for (const page of this.storedRunPages(row.loc, row.dir)) for (const r of page) this.removeRun(r);
    this.st.expDel.run({ loc: row.loc, dir: row.dir });
    this.removedExps.set(row.dir, { loc: row.loc, name: row.name, lifecycle: row.lifecycle, valid: row.exp_id !== null });
  }

  private expSig(expDir: string): { sig: string; ds: string } {
    const parts = [sigOf(statOf(path.join(expDir, META)))];
    walkSig(path.join(expDir, 'tags'), parts, 't');
    const ds: string[] = [];
    const dsDir = path.join(expDir, 'datasets');
    for (const id of listSubdirs(dsDir).sort()) ds.push(`${id}=${sigOf(statOf(path.join(dsDir, id, META)))}`);
    return { sig: hash(parts.join('|')), ds: hash(ds.join('|')) };
  }

  /** True when a path below the root goes through a symbolic link leading outside it (FileStore.staysInside). */
  private leavesRoot(p: string): boolean {
    return leavesRoot(p, this.root);
  }

  /** The experiment folder (or `.trash`) leads outside the root: the scan reads none of its runs. */
  private expOutside(loc: Location, expDir: string): boolean {
    let v = this.outsideExps.get(expDir);
    if (v === undefined) {
      v = (loc === 'trash' && this.leavesRoot(path.join(this.root, TRASH))) || this.leavesRoot(expDir);
      this.outsideExps.set(expDir, v);
    }
    return v;
  }

  /** Run folders of an experiment folder, as listSubdirs lists them. */
  private runFolders(expDir: string, expOutside: boolean): Folder[] {
    return listRunFolders(expDir, this.root, expOutside);
  }

  /**
   * One experiment folder. `full`: every run folder is checked; otherwise only new/removed run
   * folders and those in `force`. `only`: restrict the run listing diff to these folders.
   */
  processExp(loc: Location, dir: string, full: boolean, only: Set<string> | undefined, force?: Set<string>): void {
    const expDir = this.expDirPath(loc, dir);
    const stored = this.st.expGet.get({ loc, dir }) as ExpRow | undefined;
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
        const meta = readYaml(path.join(expDir, META));
        const read = meta === undefined || meta === null ? undefined : experimentFromDict(meta, {});
        if (read && read.ok && read.value.experimentId === dir) {
          expId = read.value.experimentId;
          name = read.value.name;
          lifecycle = loc === 'trash' ? 'deleted' : read.value.lifecycleStage;
        }
      } catch {
        /* damaged meta: not an experiment for events; its runs are still listed by a scan */
      }
      this.st.expUpsert.run({ loc, dir, sig, ds_sig: ds, exp_id: expId, name, lifecycle });
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
    const expOutside = this.expOutside(loc, expDir);
    if (!stored) only = undefined;
    const lsig = listingSig(st, Math.min(this.ctx.trustBefore, Date.now() - LISTING_RACY_MS));
    if (only && !dsChanged) {
      // Only these run folders: neither list the experiment nor load all its rows (it may hold
      // 100k runs, and a watcher refreshes one run per metric append).
      for (const folder of only) {
        if (RESERVED_EXPERIMENT_FOLDERS.has(folder)) continue;
        const r = this.st.runGet.get({ loc, dir, folder }) as RunRow | undefined;
        const runDir = path.join(expDir, folder);
        if (!statOf(runDir)?.isDirectory()) {
          if (r) this.removeRun(r);
          continue;
        }
        this.processRun(loc, dir, expDir, { name: folder, outside: expOutside || this.leavesRoot(runDir) }, r, false);
      }
      return;
    }
    if (stored && !full && !dsChanged && !only && !force) {
      // New and removed run folders only (a watcher's sweep looks at every experiment each
      // cycle): compare folder names, without loading every row of a 100k-run experiment; not
      // even that while the folder's signature is the one of its last listing (listing 100k
      // entries blocks ~200 ms).
      if (lsig !== null && this.cat.listings?.get(expDir) === lsig) return;
      const known = new Set((this.st.foldersOfExp.all({ loc, dir }) as { folder: string }[]).map((r) => r.folder));
      const listed = this.runFolders(expDir, expOutside);
      const present = new Set(listed.map((f) => f.name));
      for (const folder of known) {
        if (present.has(folder)) continue;
        const r = this.st.runGet.get({ loc, dir, folder }) as RunRow | undefined;
        if (r) this.removeRun(r);
      }
      for (const f of listed) if (!known.has(f.name)) this.processRun(loc, dir, expDir, f, undefined, false);
      this.listed.set(expDir, lsig);
      return;
    }
    const folders = this.runFolders(expDir, expOutside);
    const listed = new Map(folders.map((f) => [f.name, f]));
    const known = new Set<string>();
    if (stored) {
      for (const page of this.storedRunPages(loc, dir)) {
        // Known runs to look at: which of them changed, from their signatures (in workers when many).
        const look: { f: Folder; r: RunRow }[] = [];
        const reread: { f: Folder; r: RunRow }[] = [];
        for (const r of page) {
          known.add(r.folder);
          if (only && !only.has(r.folder)) continue;
          const f = listed.get(r.folder);
          if (!f) this.removeRun(r);
          else if (dsChanged && r.has_inputs === 1) reread.push({ f, r });
          else if (full || force?.has(r.folder)) look.push({ f, r });
        }
        const changed = this.changedRuns(expDir, look);
        for (const { f, r } of reread) this.processRun(loc, dir, expDir, f, r, true, true);
        for (const { f, r } of look) if (changed.has(f.name)) this.processRun(loc, dir, expDir, f, r, false, true);
        this.gc.check();
      }
    }
    for (const f of folders) {
      if (only && !only.has(f.name)) continue;
      if (!known.has(f.name)) this.processRun(loc, dir, expDir, f, undefined, false, true);
    }
    this.listed.set(expDir, only ? null : lsig);
  }

  /** After the commit: the listings this refresh made become the catalog's (see {@link RefreshTarget.listings}). */
  commitListings(): void {
    const to = this.cat.listings;
    if (!to) return;
    for (const [dir, sig] of this.listed) {
      if (sig === null) to.delete(dir);
      else to.set(dir, sig);
    }
  }

  /** The folders of `look` whose signatures no longer match their files. */
  private changedRuns(expDir: string, look: readonly { f: Folder; r: RunRow }[]): Set<string> {
    const out = new Set<string>();
    const item = ({ f, r }: { f: Folder; r: RunRow }): ProbeItem => [path.join(expDir, f.name), r.probe, r.sig, r.msig];
    const pool = look.length >= PROBE_POOL_MIN_RUNS ? this.pool() : undefined;
    if (!pool) {
      for (const x of look) if (!probesMatch(...item(x))) out.add(x.f.name);
      return out;
    }
    const tasks: { kind: 'probe'; items: ProbeItem[] }[] = [];
    for (let i = 0; i < look.length; i += PROBE_TASK_RUNS) tasks.push({ kind: 'probe', items: look.slice(i, i + PROBE_TASK_RUNS).map(item) });
    pool.run(
      tasks,
      (t, changed) => {
        for (const k of changed) out.add((look[t * PROBE_TASK_RUNS + k] as { f: Folder }).f.name);
      },
      (task) => task.items.flatMap((x, k) => (probesMatch(...x) ? [] : [k])),
    );
    return out;
  }

  /** The worker pool of this refresh, started on first use (undefined: no workers). */
  private pool(): SyncPool | undefined {
    if (this.workerPool === undefined) this.workerPool = startPool(this.options.workers, { root: this.root, trustBefore: this.ctx.trustBefore }) ?? null;
    return this.workerPool ?? undefined;
  }

  /** Stops the workers, if any were started. */
  close(): void {
    this.workerPool?.close();
    this.workerPool = null;
  }

  private removeRun(r: RunRow): void {
    this.st.runDel.run({ rid: r.rid });
    this.clearRunData(r.rid);
    this.st.wDelRun.run({ rid: r.rid });
    this.runsChanged = true;
    if (r.ok === 1 && r.run_id !== null) {
      this.removedRuns.set(r.run_id, { experimentId: r.experiment_id ?? '', lifecycle: r.lifecycle ?? 'active' });
    }
  }

  private clearRunData(rid: number): void {
    this.st.jsonDel.run({ rid });
    this.st.paramsDel.run({ rid });
    this.st.tagsDel.run({ rid });
    this.st.mDelRun.run({ rid });
    this.st.sumDelRun.run({ rid });
    this.st.dsDel.run({ rid });
    this.st.wTakeScope.all({ rid, scope: 'k' });
    this.st.wTakeScope.all({ rid, scope: 'm' });
  }

  /**
   * Stores a run's warnings; reports those not among `before` (the ones they replace, as
   * returned by a `wTake*` statement): a file read again unchanged in its damage is not reported twice.
   */
  private addWarnings(rid: number, loc: Location, dir: string, ws: readonly RunWarning[], before: readonly RunWarning[] = []): void {
    const seen = new Set(before.map(warnKey));
    for (const w of ws) {
      this.st.wIns.run({ rid, loc, dir, scope: w.scope, key: w.key, code: w.code, path: w.path, message: w.message });
      if (!seen.has(warnKey(w))) this.options.onWarning?.({ code: w.code, path: w.path, message: w.message });
    }
  }

  /**
   * A run folder: new ones are queued for {@link flushNew}; known ones re-read as far as they
   * changed (`probed`: already known to have changed).
   */
  processRun(loc: Location, dir: string, expDir: string, folder: Folder, stored: RunRow | undefined, forceRead: boolean, probed = false): void {
    const job: RunJob = { loc, dir, expDir, folder: folder.name, outside: folder.outside };
    if (!stored) {
      this.pendingNew.push(job);
      return;
    }
    const runDir = path.join(expDir, folder.name);
    if (!forceRead && !probed && probesMatch(runDir, stored.probe, stored.sig, stored.msig)) return;
    const list = listDir(runDir);
    const dst = statOf(runDir);
    if (list.length === 0 && !dst) {
      this.removeRun(stored);
      return;
    }
    const entries = new Map<string, fs.Dirent>();
    for (const e of list) entries.set(e.name, e);
    const dirs = [`D\t${dirVal(dst, this.ctx.trustBefore)}`];
    let sig = readRunCore(this.ctx, job, runDir, entries, dirs, false).sig;
    const rid = stored.rid;
    let ok = stored.ok === 1;
    let runId = stored.run_id;
    let experimentId = stored.experiment_id ?? dir;
    let becameOk = false;
    if (stored.sig !== sig || forceRead) {
      this.runsRead++;
      this.runsChanged = true;
      const core = readRunCore(this.ctx, job, runDir, entries, [], true);
      sig = core.sig;
      this.addWarnings(rid, loc, dir, core.warnings, this.st.wTakeRun.all({ rid }) as RunWarning[]);
      const wasOk = stored.ok === 1;
      if (!core.info || !core.run) {
        if (wasOk && stored.run_id !== null) {
          this.removedRuns.set(stored.run_id, { experimentId: stored.experiment_id ?? '', lifecycle: stored.lifecycle ?? 'active' });
        }
        this.st.runUpdate.run({ rid, sig, msig: NO_MSIG, ok: 0, has_inputs: 0, ...runAttrs(null) });
        this.clearRunData(rid);
        const probe = dirs.join('\n');
        if (probe !== stored.probe) this.st.runSetProbe.run({ probe, rid });
        return;
      }
      const run = core.run;
      let oldParams: Record<string, string> = {};
      let oldTags: Record<string, string> = {};
      if (this.emit && wasOk) {
        oldParams = Object.fromEntries((this.st.paramsGet.all({ rid }) as { key: string; value: string }[]).map((r) => [r.key, r.value]));
        oldTags = Object.fromEntries((this.st.tagsGet.all({ rid }) as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      }
      this.st.runUpdate.run({ rid, sig, msig: wasOk ? stored.msig : NO_MSIG, ok: 1, has_inputs: entries.has('inputs') ? 1 : 0, ...runAttrs(colsOf(run)) });
      this.st.paramsDel.run({ rid });
      this.st.tagsDel.run({ rid });
      this.st.dsDel.run({ rid });
      this.st.jsonSet.run({ rid, json: runJson(run) });
      for (const [k, v] of Object.entries(run.data.params)) this.st.paramsIns.run({ rid, key: k, value: v });
      for (const [k, v] of Object.entries(run.data.tags)) this.st.tagsIns.run({ rid, key: k, value: v });
      const ds = datasetRows(run);
      for (let i = 0; i < ds.length; i += 2) this.st.dsIns.run({ rid, kind: ds[i], value: ds[i + 1] });
      becameOk = !wasOk;
      ok = true;
      runId = run.info.runId;
      experimentId = run.info.experimentId;
      this.runEvents(rid, stored, wasOk, run, oldParams, oldTags);
    }
    if (ok && runId !== null) {
      this.processMetrics(rid, loc, dir, runDir, entries.get('metrics'), becameOk ? NO_MSIG : stored.msig, runId, experimentId, dirs);
    }
    const probe = dirs.join('\n');
    if (probe !== stored.probe) this.st.runSetProbe.run({ probe, rid });
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
      this.pendingCreate(rid, run.info.runId, run.info.experimentId, run.info.runName, run.info.status, run.info.lifecycleStage, run.data.params, run.data.tags);
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

  /** A run that appeared (or became readable): its `run_created` and first events, paired in {@link finish}. */
  private pendingCreate(
    rid: number,
    runId: string,
    experimentId: string,
    runName: string | null,
    status: RunStatus,
    lifecycle: string,
    params: Record<string, string>,
    tags: Record<string, string>,
  ): PendingCreate {
    const pc: PendingCreate = { runId, experimentId, runName, status, lifecycle, events: [] };
    this.created.push(pc);
    this.createdByRid.set(rid, pc);
    if (this.emit) {
      if (Object.keys(params).length > 0) pc.events.push({ type: 'params_set', experimentId, runId, params });
      if (Object.keys(tags).length > 0) pc.events.push({ type: 'tags_set', experimentId, runId, tags, deleted: [] });
    }
    return pc;
  }

  private processMetrics(
    rid: number,
    loc: Location,
    dir: string,
    runDir: string,
    entry: fs.Dirent | undefined,
    storedMsig: string,
    runId: string,
    experimentId: string,
    dirs: string[],
  ): void {
    // Nothing indexed yet: read each file with its stat through one descriptor.
    const ml = metricLayout(this.ctx, runDir, entry, storedMsig === NO_MSIG, dirs);
    if (ml.msig === storedMsig) return;
    this.addWarnings(rid, loc, dir, ml.warnings, this.st.wTakeScope.all({ rid, scope: 'k' }) as RunWarning[]);
    const storedRows = new Map<string, MRow>();
    if (storedMsig !== NO_MSIG) for (const r of this.st.mGet.all({ rid }) as MRow[]) storedRows.set(r.key, r);
    const present = new Set(ml.files.map((f) => f.key));
    for (const key of storedRows.keys()) {
      if (!present.has(key)) {
        this.st.mDel.run({ rid, key });
        this.st.sumDel.run({ rid, key });
        this.latestChanged.add(rid);
        this.st.wTakeKey.all({ rid, key });
      }
    }
    const pc = this.createdByRid.get(rid);
    for (const f of ml.files) {
      const stored = storedRows.get(f.key);
      if (stored && stored.ino === f.st.ino && stored.size === f.st.size && stored.mtime === f.st.mtimeMs) continue;
      this.metricFilesRead++;
      const row = computeMetricFile(f.abs, f.key, f.st, stored, runId, experimentId, this.emit, f.buf, () => this.storedSummary(rid, f.key));
      if (!row) continue;
      this.writeSummary(rid, f.key, row.summary.fresh, row.summary.rows);
      this.st.mUpsert.run({
        rid,
        key: f.key,
        present: row.present,
        value: row.value,
        is_nan: row.is_nan,
        step: row.step,
        ts: row.ts,
        ino: row.ino,
        size: row.size,
        mtime: row.mtime,
        off: row.off,
        fp: row.fp,
        bad: row.bad,
        b_has: row.b_has,
        b_step: row.b_step,
        b_ts: row.b_ts,
        b_val: row.b_val,
        b_nan: row.b_nan,
      });
      this.latestChanged.add(rid);
      const before = stored ? (this.st.wTakeKey.all({ rid, key: f.key }) as RunWarning[]) : [];
      if (row.warning !== null) this.addWarnings(rid, loc, dir, [{ scope: 'm', key: f.key, code: 'MALFORMED_METRIC', path: f.abs, message: row.warning }], before);
      if (this.emit && row.points.length > 0) {
        const e: ChangeEvent = { type: 'metrics_appended', experimentId, runId, key: f.key, points: row.points, rewritten: row.rewritten };
        if (pc) pc.events.push(e);
        else this.events.push(e);
      }
    }
    this.st.runSetMsig.run({ msig: ml.msig, rid });
  }

  /** The stored series summary of a metric, ready to be extended (undefined: none, or damaged). */
  private storedSummary(rid: number, key: string): SummaryBuilder | undefined {
    const h = this.st.sumGet.get({ rid, key, level: -1, chunk: 0 }) as Pick<SummaryRow, 'x0' | 'x1' | 'data'> | undefined;
    if (!h) return undefined;
    const head = decodeHead(h);
    const last = new Map<number, Float64Array>();
    head.counts.forEach((count, level) => {
      if (count === 0) return;
      const r = this.st.sumGet.get({ rid, key, level, chunk: Math.floor((count - 1) / SUM_CHUNK) }) as { data: Uint8Array } | undefined;
      if (r) last.set(level, f64(r.data));
    });
    return SummaryBuilder.resume(head, last);
  }

  /** Writes a metric's summary rows (`fresh`: replacing every stored row of it). */
  private writeSummary(rid: number, key: string, fresh: boolean, rows: readonly SummaryRow[]): void {
    if (fresh) this.st.sumDel.run({ rid, key });
    for (const r of rows) this.st.sumPut.run({ rid, key, level: r.level, chunk: r.chunk, x0: r.x0, x1: r.x1, data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength) });
  }

  /** Reads the queued new run folders (in workers when there are many) and writes them in order. */
  private flushNew(): void {
    const jobs = this.pendingNew.splice(0);
    if (jobs.length === 0) return;
    // With events, new runs need their points: read here (a cold build never emits).
    const pool = !this.emit && jobs.length >= poolMinRuns() ? this.pool() : undefined;
    if (!pool) {
      for (let i = 0; i < jobs.length; i++) {
        const job = jobs[i] as RunJob;
        this.writeNew(job, readNewRun(this.ctx, job));
        if (i % TASK_RUNS === TASK_RUNS - 1) this.gc.check();
      }
      return;
    }
    const tasks: { kind: 'read'; jobs: RunJob[] }[] = [];
    for (let i = 0; i < jobs.length; i += TASK_RUNS) tasks.push({ kind: 'read', jobs: jobs.slice(i, i + TASK_RUNS) });
    pool.run(
      tasks,
      (i, runs) => {
        const task = (tasks[i] as { jobs: RunJob[] }).jobs;
        for (let k = 0; k < task.length; k++) this.writeNew(task[k] as RunJob, runs[k] ?? undefined);
        this.gc.check();
      },
      (task) => task.jobs.map((job) => readNewRun(this.ctx, job)),
    );
  }

  /** Writes a new run folder read by {@link readNewRun} (undefined: it vanished). */
  private writeNew(job: RunJob, nr: NewRun | undefined): void {
    if (!nr) return;
    const st = this.st;
    const rid = this.nextRid++;
    this.runsRead++;
    this.runsChanged = true;
    const c = nr.cols;
    st.runInsert.run({ rid, loc: job.loc, exp_dir: job.dir, folder: nr.folder, probe: nr.probe, sig: nr.sig, msig: nr.msig, ok: nr.ok ? 1 : 0, has_inputs: nr.hasInputs ? 1 : 0, ...runAttrs(c) });
    if (nr.warnings.length > 0) this.addWarnings(rid, job.loc, job.dir, nr.warnings);
    if (!nr.ok) return;
    const latest: [string, number][] = [];
    const p = nr.params;
    this.insertKv('params', rid, p);
    const t = nr.tags;
    this.insertKv('tags', rid, t);
    const ds = nr.ds;
    for (let i = 0; i < ds.length; i += 2) st.dsIns.run({ rid, kind: ds[i], value: ds[i + 1] });
    const nums = nr.mnum;
    const nul = (v: number): number | null => (Number.isNaN(v) ? null : v);
    for (let k = 0; k < nr.mkeys.length; k++) {
      const b = k * M_STRIDE;
      const fpLen = nums[b + M.fpLen] as number;
      const value = nul(nums[b + M.value] as number);
      const isNan = nums[b + M.isNan] as number;
      if (nums[b + M.present] === 1) latest.push([nr.mkeys[k] as string, metricValue(value, isNan)]);
      st.mUpsert.run({
        rid,
        key: nr.mkeys[k],
        present: nums[b + M.present],
        value,
        is_nan: isNan,
        step: nul(nums[b + M.step] as number),
        ts: nul(nums[b + M.ts] as number),
        ino: nums[b + M.ino],
        size: nums[b + M.size],
        mtime: nums[b + M.mtime],
        off: nums[b + M.off],
        fp: nr.mfp.subarray(k * FP_LEN, k * FP_LEN + fpLen),
        bad: nums[b + M.bad],
        b_has: nums[b + M.bHas],
        b_step: nul(nums[b + M.bStep] as number),
        b_ts: nul(nums[b + M.bTs] as number),
        b_val: nul(nums[b + M.bVal] as number),
        b_nan: nums[b + M.bNan],
      });
      const rows = nr.msum[k];
      if (rows) this.writeSummary(rid, nr.mkeys[k] as string, false, rows);
    }
    st.jsonNew.run({ rid, json: nr.json, metrics: encodeLatestMetrics(latest) });
    this.metricFilesRead += nr.metricFilesRead;
    // Run creations matter for events only (finish() reads them when emitting).
    if (!this.emit) return;
    const runId = c[0] as string;
    const experimentId = c[1] as string;
    const pc = this.pendingCreate(rid, runId, experimentId, c[2], c[4] as RunStatus, c[8] as string, pairs(p), pairs(t));
    nr.points?.forEach((points: MetricPoint[], k) => {
      if (points.length > 0) pc.events.push({ type: 'metrics_appended', experimentId, runId, key: nr.mkeys[k] as string, points, rewritten: false });
    });
  }

  /**
   * `INSERT INTO <table>(rid, key, value)` of `n` rows in one statement (cached per n); its
   * parameters are positional, three per row in column order (`@name`s cannot repeat per row).
   */
  private kvInsert(table: 'params' | 'tags', n: number): Statement {
    const k = `${table}${n}`;
    let s = this.multi.get(k);
    if (!s) {
      s = this.cat.db.prepare(`INSERT OR REPLACE INTO ${table}(rid, key, value) VALUES ${new Array(n).fill('(?, ?, ?)').join(', ')}`);
      this.multi.set(k, s);
    }
    return s;
  }

  /** Writes a run's params or tags (flat pairs): one statement per up to 32 rows. */
  private insertKv(table: 'params' | 'tags', rid: number, flat: readonly string[]): void {
    const rows = flat.length / 2;
    for (let start = 0; start < rows; start += 32) {
      const n = Math.min(32, rows - start);
      const args: (string | number)[] = new Array(n * 3);
      for (let i = 0; i < n; i++) {
        args[i * 3] = rid;
        args[i * 3 + 1] = flat[(start + i) * 2] as string;
        args[i * 3 + 2] = flat[(start + i) * 2 + 1] as string;
      }
      this.kvInsert(table, n).run(args);
    }
  }

  finish(wasEmpty: boolean): void {
    for (const rid of this.latestChanged) {
      const rows = this.st.latestMetricsOf.all({ rid }) as { key: string; value: number | null; is_nan: number }[];
      this.st.latestMetricsSet.run({ rid, metrics: encodeLatestMetrics(rows.map((m) => [m.key, metricValue(m.value, m.is_nan)])) });
    }
    this.latestChanged.clear();
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

const warnKey = (w: RunWarning): string => `${w.scope}\0${w.key}\0${w.code}\0${w.path}\0${w.message}`;

/** Flat key, value pairs back to a record (in their order). */
function pairs(flat: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) o[flat[i] as string] = flat[i + 1] as string;
  return o;
}

/** The warning scopes {@link catalogWarnings} reports for a run in the view / out of it. */
const DATA_SCOPES: ReadonlySet<WarnScope> = new Set(['d', 'k', 'm']);

/**
 * The read warnings the catalog holds for runs of the given experiment folders, as a scan of
 * those experiments with this view reports them: problems reading a run's meta.yaml always, the
 * others (params, tags, metric files, inputs) for readable runs in the view.
 *
 * @example
 * ```ts
 * catalogWarnings(cat, [{ loc: 'root', dir: '1' }], 'ACTIVE_ONLY'); // [{ code: 'EMPTY_META', path: ..., message: ... }]
 * ```
 */
export function catalogWarnings(cat: RefreshTarget, exps: readonly { loc: Location; dir: string }[], view: string): ReadWarning[] {
  const out: ReadWarning[] = [];
  if (exps.length === 0) return out;
  const any = cat.db.prepare('SELECT 1 FROM warnings LIMIT 1').get();
  if (!any) return out;
  const q = cat.db.prepare(
    'SELECT w.scope, w.code, w.path, w.message, r.ok, r.lifecycle FROM warnings w JOIN runs r ON r.rid = w.rid WHERE w.loc = @loc AND w.exp_dir = @dir ORDER BY w.rowid',
  );
  for (const e of exps) {
    for (const w of q.all({ loc: e.loc, dir: e.dir }) as { scope: WarnScope; code: ReadWarning['code']; path: string; message: string; ok: number; lifecycle: string | null }[]) {
      if (DATA_SCOPES.has(w.scope)) {
        if (w.ok !== 1) continue;
        if (view === 'ACTIVE_ONLY' && w.lifecycle !== 'active') continue;
        if (view === 'DELETED_ONLY' && w.lifecycle !== 'deleted') continue;
      }
      out.push({ code: w.code, path: w.path, message: w.message });
    }
  }
  return out;
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
export function refreshCatalog(cat: RefreshTarget, options: RefreshOptions = {}): RefreshResult {
  const db = cat.db;
  db.exec('BEGIN IMMEDIATE');
  try {
    const wasEmpty = (db.prepare('SELECT NOT EXISTS(SELECT 1 FROM exps) AS e').get() as { e: number }).e === 1;
    if (wasEmpty) {
      // Secondary indexes are built once at the end (a sort) rather than row by row; a somewhat
      // bigger page cache while the tables grow. Measured at 100k runs (same warm OS cache): 8 MiB
      // built in 42 s with a 266 MB peak RSS, 256 MiB in 70 s with 547 MB (and malloc kept 440 MB
      // afterwards); at 10k runs 2 MiB to 256 MiB all take 2.6-2.8 s.
      for (const name of Object.keys(SECONDARY_INDEXES)) db.exec(`DROP INDEX IF EXISTS ${name}`);
      db.pragma('cache_size = -8192');
    }
    // A cold build reports no events (everything is new): no point lists are built for it.
    const r = new Refresher(cat, {
      emit: (options.emit ?? false) && !wasEmpty,
      workers: cat.workers ?? defaultWorkers(),
      onWarning: cat.onWarning,
    });
    try {
      if (options.scope && !wasEmpty) r.scoped(options.scope);
      else r.full();
    } finally {
      r.close();
    }
    r.finish(wasEmpty);
    if (wasEmpty) {
      for (const sql of Object.values(SECONDARY_INDEXES)) db.exec(sql);
      db.pragma('cache_size = -2000');
    }
    if (!options.scope) cat.setMeta('last_full_refresh', String(Date.now()));
    db.exec('COMMIT');
    r.commitListings();
    if (r.runsRead > 1000) {
      try {
        // Sampled statistics (enough for the planner, ~20 ms instead of a pass over every index).
        db.pragma('analysis_limit = 1000');
        db.exec('ANALYZE');
      } catch {
        /* statistics only help the planner */
      }
    }
    return { events: r.events, runsRead: r.runsRead, metricFilesRead: r.metricFilesRead, cold: wasEmpty };
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    if (!db.inTransaction) {
      try {
        db.pragma('cache_size = -2000');
      } catch {
        /* closed */
      }
    }
    throw e;
  }
}
