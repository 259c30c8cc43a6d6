/**
 * The watcher: turns file events into catalog updates and a stream of typed change events. It
 * keeps a heartbeat in the catalog so queries in other processes trust the catalog instead of
 * refreshing it themselves.
 *
 * What is watched, and why (measured on Linux, Node 20):
 * - The tree's structure — the root, `.trash`, every experiment folder and its `tags/` and
 *   `datasets/` — through chokidar 5, which re-arms watches on folders deleted and recreated and
 *   falls back to polling. A few watches per experiment.
 * - Run folders through `fs.watch` directly, four inotify watches per run (the run folder,
 *   `metrics/`, `params/`, `tags/`; a metric append touches only `metrics/`). chokidar costs
 *   ~12 KB per folder against ~1.4 KB for a bare `fs.watch`, and 100k runs would need 400k
 *   watches, past most systems' `fs.inotify.max_user_watches`. So run watches have a budget
 *   (`maxWatches`, default min(50,000, half the OS limit)): when the store fits, every run is
 *   watched; when it does not, the most recently active runs are (running ones first; new runs and
 *   runs seen changing are promoted, the least recently active evicted) and the rest are polled.
 * - A sweep: an incremental delta refresh over every run in small time-boxed slices (at most
 *   `sweepShare` of one core), never one long blocking pass. It is the periodic reconcile when
 *   everything is watched (`reconcileMs`) and the polling of unwatched runs otherwise (as fast as
 *   its CPU share allows, no faster than `pollIntervalMs` per cycle).
 *
 * Robustness: events are debounced and mapped to the experiment / run folders they touch (a
 * burst touching many folders — a `git checkout` — becomes one refresh of just those folders);
 * every targeted refresh is repeated once after a short settle delay (half-written files); a
 * restart resumes from the catalog with a delta, not a rebuild; ENOSPC/EMFILE from chokidar
 * switches everything to polling, from a run watch shrinks the run-watch budget; both are said
 * on the log.
 *
 * @example
 * ```ts
 * import { watch } from './watcher.js';
 * const w = watch('./mlruns');
 * await w.ready;
 * for await (const e of w) console.log(e.type);
 * ```
 */
import { CatalogQueries } from '../catalog/tables.js';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FSWatcher } from 'chokidar';
import { openCatalog } from '../catalog/catalog.js';
import type { Catalog, CatalogOptions, RefreshResult } from '../catalog/catalog.js';
import type { ChangeEvent } from '../catalog/events.js';
import { GrowthCollector, collectIfLarge } from '../catalog/memory.js';
import { listExperimentFolders } from '../catalog/refresh.js';
import type { RefreshScope } from '../catalog/refresh.js';
import { statOf } from '../catalog/run-folder.js';
import type { Location } from '../store/file/layout.js';
import { EventFeed } from './event-feed.js';

/**
 * Options of {@link watch}.
 *
 * @example
 * ```ts
 * const o: WatchOptions = { debounceMs: 20, reconcileMs: 30_000, maxWatches: 20_000 };
 * ```
 */
export interface WatchOptions extends CatalogOptions {
  /** Quiet time after the last file event before refreshing (default 15 ms). */
  debounceMs?: number;
  /** Longest delay between the first event of a burst and its refresh (default 200 ms). */
  maxDelayMs?: number;
  /** Delay of the second pass over the same folders, for half-written files (default 250 ms). */
  settleMs?: number;
  /** Period of the sweep over every run while every run is watched (default 30 s; 0 disables). */
  reconcileMs?: number;
  /** Heartbeat period (default 1000 ms). */
  heartbeatMs?: number;
  /** Most OS watches (inotify) spent on run folders (default min(50,000, half the OS limit)). */
  maxWatches?: number;
  /** Start polling instead of using OS file events. */
  usePolling?: boolean;
  /** Shortest sweep cycle while polling or partly watching, and chokidar's interval (default 1000 ms). */
  pollIntervalMs?: number;
  /** Largest share of one core the sweep may take, 0.01–1 (default 0.25). */
  sweepShare?: number;
  /** Where diagnostics go (default: process.stderr). */
  log?: (message: string) => void;
}

/** Why a refresh ran. */
export type RefreshReason = 'initial' | 'events' | 'settle' | 'reconcile' | 'sweep';

/**
 * How the watcher sees changes: every run folder by OS events (`native`), the most active ones
 * by OS events and the rest by the sweep (`partial`), or all by the sweep (`polling`).
 *
 * @example
 * ```ts
 * const m: WatchMode = 'partial';
 * ```
 */
export type WatchMode = 'native' | 'partial' | 'polling';

/**
 * The events a {@link Watcher} emits: `change` for every change event (also emitted under its own
 * `type`), `refresh` after each catalog refresh, `error` for problems it survives, `ready`.
 *
 * @example
 * ```ts
 * const onChange: WatcherEvents['change'] = (e) => console.log(e.type);
 * ```
 */
export interface WatcherEvents {
  change: (event: ChangeEvent) => void;
  refresh: (result: RefreshResult & { reason: RefreshReason; ms: number }) => void;
  error: (error: Error) => void;
  ready: () => void;
}

/**
 * Counters of a running watcher (see {@link Watcher.stats}).
 *
 * @example
 * ```ts
 * const s: WatcherStats = w.stats();
 * ```
 */
export interface WatcherStats {
  mode: WatchMode;
  /** Run folders watched by OS events, and the inotify watches they use. */
  watchedRuns: number;
  runWatches: number;
  /** The run-watch budget (after any OS limit met). */
  maxWatches: number;
  /** Runs in the catalog. */
  runs: number;
  /** Completed sweep cycles, and the duration of the last one (ms; 0 before the first). */
  sweepCycles: number;
  lastSweepCycleMs: number;
}

const RUN_SUBDIRS = ['metrics', 'params', 'tags'] as const;
/** Most recently active first: running runs, then by end (else start) time. */
const SLICE_MS = 8;

interface RunRef {
  loc: Location;
  dir: string;
  folder: string;
}

interface HotRun extends RunRef {
  runDir: string;
  ino: number;
  /** '' = the run folder itself. */
  subs: Map<string, { w: fs.FSWatcher; ino: number }>;
}

const runKey = (loc: Location, dir: string, folder: string): string => `${loc}\0${dir}\0${folder}`;

/** Half of Linux's inotify watch limit, at most 50,000 (elsewhere 50,000). */
function defaultMaxWatches(): number {
  let limit = Infinity;
  try {
    const n = Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
    if (Number.isFinite(n) && n > 0) limit = n;
  } catch {
    /* not Linux */
  }
  return Math.max(64, Math.min(50_000, Math.floor(limit / 2)));
}

/**
 * A running watcher: a typed EventEmitter and an async iterator of change events.
 *
 * @example
 * ```ts
 * const w = watch(root);
 * w.on('change', (e) => console.log(e));
 * await w.close();
 * ```
 */
export class Watcher extends EventEmitter {
  /** The catalog it keeps current. */
  readonly catalog: Catalog;
  /** The root watched (realpath). */
  readonly root: string;
  /** Resolves when the catalog has caught up and file events are being received. */
  readonly ready: Promise<void>;
  private fsw: FSWatcher | undefined;
  private pollingMode: boolean;
  private partial = false;
  private readonly opts: Required<
    Pick<WatchOptions, 'debounceMs' | 'maxDelayMs' | 'settleMs' | 'reconcileMs' | 'heartbeatMs' | 'pollIntervalMs' | 'sweepShare'>
  >;
  private budget: number;
  private readonly log: (m: string) => void;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private settle = new Map<string, RefreshScope>();
  private settleTimer: NodeJS.Timeout | undefined;
  private hbTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;
  /** Events kept for the async iterator (the newest 100,000 when nobody reads them). */
  private readonly feed = new EventFeed<ChangeEvent>();
  /** Watched run folders, least recently active first. */
  private readonly hot = new Map<string, HotRun>();
  private watchCount = 0;
  private limitSaid = false;
  /** Sweep position: the last rid swept in this cycle (-1: the cycle has not started). */
  private sweepRid = -1;
  private sweepDone = true;
  private sweepLeft = 0;
  private sweepK = 32;
  /** Collects the sweep's garbage as it grows (memory.ts). */
  private readonly gc = new GrowthCollector(24e6);
  private sweepStart = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepCycles = 0;
  private lastSweepCycleMs = 0;
  private partialSaid = false;
  /** Prepared statements of the catalog's current connection (a rebuild replaces it). */
  /** The catalog's reads, prepared once per connection (they run on every event and sweep slice). */
  private readonly queries = new CatalogQueries(() => this.catalog.db);

  /** @internal use {@link watch}. */
  constructor(root: string, options: WatchOptions = {}) {
    super();
    this.catalog = openCatalog(root, { ...options, integrityCheck: options.integrityCheck ?? true });
    this.root = this.catalog.root;
    this.pollingMode = options.usePolling ?? false;
    this.opts = {
      debounceMs: options.debounceMs ?? 15,
      maxDelayMs: options.maxDelayMs ?? 200,
      settleMs: options.settleMs ?? 250,
      reconcileMs: options.reconcileMs ?? 30_000,
      heartbeatMs: options.heartbeatMs ?? 1000,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      sweepShare: Math.min(1, Math.max(0.01, options.sweepShare ?? 0.25)),
    };
    this.budget = Math.max(0, Math.floor(options.maxWatches ?? defaultMaxWatches()));
    this.log = options.log ?? ((m) => process.stderr.write(m + '\n'));
    this.ready = this.start();
    this.ready.catch(() => undefined);
  }

  /**
   * Listens to the watcher's events: `change` (every {@link ChangeEvent}), or one event type.
   *
   * @example
   * ```ts
   * const w = watch('./mlruns');
   * w.on('change', (e) => console.log(e.type));
   * ```
   */
  override on<K extends keyof WatcherEvents>(event: K, listener: WatcherEvents[K]): this;
  override on(event: ChangeEvent['type'], listener: (e: ChangeEvent) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  /**
   * True when nothing is watched by OS events (started so, or after ENOSPC/EMFILE from chokidar).
   *
   * @example
   * ```ts
   * w.polling; // false
   * ```
   */
  get polling(): boolean {
    return this.pollingMode;
  }

  /**
   * How changes are seen now (see {@link WatchMode}).
   *
   * @example
   * ```ts
   * if (w.mode === 'partial') console.log('some runs are polled');
   * ```
   */
  get mode(): WatchMode {
    return this.pollingMode ? 'polling' : this.partial ? 'partial' : 'native';
  }

  /**
   * Counters: mode, watched runs and watches, budget, sweep cycles.
   *
   * @example
   * ```ts
   * console.log(w.stats().watchedRuns);
   * ```
   */
  stats(): WatcherStats {
    let runs = 0;
    try {
      runs = this.catalog.runCount();
    } catch {
      /* closed */
    }
    return {
      mode: this.mode,
      watchedRuns: this.hot.size,
      runWatches: this.watchCount,
      maxWatches: this.budget,
      runs,
      sweepCycles: this.sweepCycles,
      lastSweepCycleMs: this.lastSweepCycleMs,
    };
  }

  private async start(): Promise<void> {
    // Let the caller attach listeners before the initial refresh reports what changed meanwhile.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.closed) return;
    // Structure first, so nothing that changes during the initial refresh goes unseen.
    await this.startStructure();
    if (this.closed) return;
    this.runRefresh(undefined, 'initial');
    if (!this.pollingMode) {
      this.fillHotSet();
      // Changes to those runs between the initial refresh and their watches.
      if (this.hot.size > 0) this.runRefresh({ experiments: [], runs: [...this.hot.values()].map(refOf) }, 'reconcile');
    }
    if (this.closed) return;
    this.started = true;
    // Only now may other processes trust the catalog.
    this.beat();
    this.hbTimer = setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.hbTimer.unref?.();
    this.sayMode();
    collectIfLarge(64e6);
    this.scheduleSweep(this.sweeping() ? this.firstSweepDelay() : 0);
    this.emit('ready');
  }

  private firstSweepDelay(): number {
    return this.pollingMode || this.partial ? Math.min(this.opts.pollIntervalMs, 1000) : this.opts.reconcileMs;
  }

  private sayMode(): void {
    try {
      this.catalog.setMeta('watch_mode', this.mode);
    } catch {
      /* informational */
    }
    if (this.partial && !this.partialSaid && !this.pollingMode) {
      this.partialSaid = true;
      let runs = 0;
      try {
        runs = this.catalog.runCount();
      } catch {
        /* closed */
      }
      this.log(
        `mlruns watch: ${runs} runs need about ${runs * 4} file watches, more than the ${this.budget} allowed ` +
          `(maxWatches / --max-watches, or half of fs.inotify.max_user_watches); the ${this.hot.size} most recently active runs are ` +
          'watched, the others are polled by a background sweep',
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Structure: chokidar over the root, .trash, experiment folders and their tags/ and datasets/.

  private async startStructure(): Promise<void> {
    // Loaded on the first watch, not when the library is imported.
    const { default: chokidar } = await import('chokidar');
    if (this.closed) return;
    const root = this.root;
    const ignored = (p: string, stats?: fs.Stats): boolean => {
      if (stats?.isFile()) return true;
      const rel = path.relative(root, p);
      if (rel === '' || rel.startsWith('..')) return false;
      const parts = rel.split(path.sep);
      const off = parts[0] === '.trash' ? 1 : 0;
      if (off === 0 && (parts[0] === 'models' || parts[0] === '.git')) return true;
      const depth = parts.length - off;
      if (depth <= 1) return false;
      // Inside an experiment folder only tags/ and datasets/ (run folders are watched apart).
      return depth > 2 || (parts[off + 1] !== 'tags' && parts[off + 1] !== 'datasets');
    };
    const fsw = chokidar.watch(root, {
      ignoreInitial: true,
      ignored,
      persistent: true,
      atomic: false,
      usePolling: this.pollingMode,
      interval: this.opts.pollIntervalMs,
      binaryInterval: this.opts.pollIntervalMs,
      alwaysStat: false,
    });
    this.fsw = fsw;
    fsw.on('all', (_event: string, p: string) => this.onPath(p));
    // A folder's watcher names the entry that changed in it: files and run folders included.
    fsw.on('raw', (_event: unknown, evPath: string, opts: unknown) => {
      const watched = (opts as { watchedPath?: string } | undefined)?.watchedPath;
      if (watched) this.onPath(evPath ? path.join(watched, String(evPath)) : watched);
      else if (typeof evPath === 'string' && path.isAbsolute(evPath)) this.onPath(evPath);
    });
    fsw.on('error', (err: unknown) => this.onFsError(err as NodeJS.ErrnoException));
    return new Promise((resolve) => {
      fsw.once('ready', () => resolve());
    });
  }

  private onFsError(err: NodeJS.ErrnoException): void {
    if ((err.code === 'ENOSPC' || err.code === 'EMFILE') && !this.pollingMode && !this.closed) {
      this.log(
        `mlruns watch: the OS file watch limit was reached (${err.code}); falling back to polling every ${this.opts.pollIntervalMs} ms ` +
          '(raise fs.inotify.max_user_watches to avoid this)',
      );
      this.pollingMode = true;
      for (const h of [...this.hot.values()]) this.unwatchRun(h);
      this.sayMode();
      const old = this.fsw;
      this.fsw = undefined;
      void old?.close().then(() => {
        if (this.closed) return;
        void this.startStructure();
      });
      this.scheduleSweep(0);
      return;
    }
    this.emit('error', err);
  }

  // ---------------------------------------------------------------------------------------------
  // Run folders: fs.watch per folder, within the budget, least recently active evicted first.

  private fillHotSet(): void {
    const total = this.catalog.runCount();
    const slots = Math.floor(this.budget / (1 + RUN_SUBDIRS.length));
    const rows: RunRef[] = this.queries.runsByActivity(slots);
    // Least important first: the LRU order evicts from the front.
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!;
      this.watchRun(r.loc, r.dir, r.folder, false);
    }
    if (this.hot.size < total) this.markPartial();
  }

  private openWatch(dir: string, onName: (name: string | null) => void, onError: () => void): fs.FSWatcher | undefined {
    if (this.watchCount >= this.budget) {
      this.markPartial();
      return undefined;
    }
    let w: fs.FSWatcher;
    try {
      w = fs.watch(dir, { persistent: false }, (_type, name) => onName(name === null || name === undefined ? null : String(name)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') this.onRunWatchLimit(code);
      return undefined;
    }
    w.on('error', () => {
      // The folder went away (or the OS dropped the watch): forget it; the refresh re-arms it.
      onError();
      this.onPath(dir);
    });
    this.watchCount++;
    return w;
  }

  /** Some runs are not watched: the sweep polls them (started now if it was idle). */
  private markPartial(): void {
    if (this.partial) return;
    this.partial = true;
    if (this.started) {
      this.sayMode();
      if (!this.sweepTimer) this.scheduleSweep(Math.min(this.opts.pollIntervalMs, 1000));
    }
  }

  private onRunWatchLimit(code: string): void {
    this.budget = this.watchCount;
    this.markPartial();
    if (!this.limitSaid) {
      this.limitSaid = true;
      this.log(
        `mlruns watch: the OS file watch limit was reached (${code}) after ${this.watchCount} run watches; ` +
          `${this.hot.size} runs stay watched, the others are polled by a background sweep (raise fs.inotify.max_user_watches to watch all)`,
      );
    }
    if (this.started) this.sayMode();
  }

  private closeWatch(w: fs.FSWatcher): void {
    try {
      w.close();
    } catch {
      /* already gone */
    }
    this.watchCount--;
  }

  private unwatchRun(h: HotRun): void {
    for (const s of h.subs.values()) this.closeWatch(s.w);
    h.subs.clear();
    this.hot.delete(runKey(h.loc, h.dir, h.folder));
  }

  private runDirOf(loc: Location, dir: string, folder: string): string {
    return loc === 'root' ? path.join(this.root, dir, folder) : path.join(this.root, '.trash', dir, folder);
  }

  /** Watches `name` ('' = the run folder) of a watched run, re-arming it if the folder was replaced. */
  private ensureSub(h: HotRun, name: string): void {
    const dir = name === '' ? h.runDir : path.join(h.runDir, name);
    const st = statOf(dir);
    const cur = h.subs.get(name);
    if (cur && st && cur.ino === st.ino) return;
    if (cur) {
      this.closeWatch(cur.w);
      h.subs.delete(name);
    }
    if (!st?.isDirectory()) return;
    const onName =
      name === ''
        ? (n: string | null): void => {
            if (n !== null && (RUN_SUBDIRS as readonly string[]).includes(n)) this.ensureSub(h, n);
            this.onPath(n === null ? h.runDir : path.join(h.runDir, n));
          }
        : (n: string | null): void => this.onPath(n === null ? dir : path.join(dir, n));
    const w = this.openWatch(dir, onName, () => {
      const s = h.subs.get(name);
      if (!s || s.w !== w) return;
      h.subs.delete(name);
      this.closeWatch(s.w);
    });
    if (w) h.subs.set(name, { w, ino: st.ino });
  }

  /**
   * Makes a run folder watched (and most recently active). `evict`: make room by unwatching the
   * least recently active run. Returns false when it could not be watched.
   */
  private watchRun(loc: Location, dir: string, folder: string, evict: boolean): boolean {
    if (this.pollingMode || this.closed) return false;
    const key = runKey(loc, dir, folder);
    const runDir = this.runDirOf(loc, dir, folder);
    const have = this.hot.get(key);
    if (have) {
      this.hot.delete(key);
      this.hot.set(key, have);
      const st = statOf(runDir);
      if (!st?.isDirectory()) {
        this.unwatchRun(have);
        return false;
      }
      if (st.ino !== have.ino) {
        this.unwatchRun(have);
        return this.watchRun(loc, dir, folder, evict);
      }
      for (const n of ['', ...RUN_SUBDIRS]) this.ensureSub(have, n);
      return true;
    }
    const st = statOf(runDir);
    if (!st?.isDirectory()) return false;
    const need = 1 + RUN_SUBDIRS.filter((n) => statOf(path.join(runDir, n))?.isDirectory()).length;
    if (evict) {
      while (this.watchCount + need > this.budget && this.hot.size > 0) {
        const first = this.hot.values().next().value as HotRun;
        this.unwatchRun(first);
        this.markPartial();
      }
    }
    if (this.watchCount + 1 > this.budget) {
      this.markPartial();
      return false;
    }
    const h: HotRun = { loc, dir, folder, runDir, ino: st.ino, subs: new Map() };
    this.hot.set(key, h);
    for (const n of ['', ...RUN_SUBDIRS]) this.ensureSub(h, n);
    if (!h.subs.has('')) {
      this.unwatchRun(h);
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Events → scoped refreshes.

  private beat(): void {
    if (this.closed || !this.started) return;
    try {
      this.catalog.heartbeat();
    } catch (e) {
      this.emit('error', e as Error);
    }
  }

  private onPath(p: string): void {
    if (this.closed) return;
    if (this.pending.size === 0) this.firstPendingAt = Date.now();
    this.pending.add(p);
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.opts.debounceMs, this.firstPendingAt + this.opts.maxDelayMs - Date.now()));
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /** The experiment folders there are now (root and .trash) and those the catalog knows. */
  private allExperiments(): RefreshScope['experiments'] {
    const seen = new Set<string>();
    const out: RefreshScope['experiments'] = [];
    const add = (loc: Location, dir: string): void => {
      const k = `${loc}\0${dir}`;
      if (seen.has(k)) return;
      seen.add(k);
      out.push({ loc, dir });
    };
    let listed: RefreshScope['experiments'] = [];
    try {
      listed = listExperimentFolders(this.root);
    } catch {
      /* an unreadable root: the catalog's experiments are still looked at */
    }
    for (const e of listed) add(e.loc, e.dir);
    for (const r of this.queries.experimentFolders()) add(r.loc, r.dir);
    return out;
  }

  /** Maps changed paths to the experiment / run folders to look at. */
  private scopeOf(paths: Iterable<string>): RefreshScope {
    const scope: RefreshScope = { experiments: [], runs: [] };
    const seenE = new Set<string>();
    const seenR = new Set<string>();
    const addExperiment = (loc: Location, dir: string): void => {
      const k = `${loc}\0${dir}`;
      if (seenE.has(k)) return;
      seenE.add(k);
      scope.experiments.push({ loc, dir });
    };
    let structure = false;
    for (const p of paths) {
      const rel = path.relative(this.root, p);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      if (rel === '') {
        structure = true;
        continue;
      }
      const parts = rel.split(path.sep);
      let loc: Location = 'root';
      let i = 0;
      if (parts[0] === '.trash') {
        if (parts.length === 1) {
          structure = true;
          continue;
        }
        loc = 'trash';
        i = 1;
      }
      const dir = parts[i]!;
      if (loc === 'root' && (dir === 'models' || dir === '.git')) continue;
      const rest = parts.slice(i + 1);
      const first = rest[0];
      if (first === undefined || first === 'meta.yaml' || first === 'tags' || first === 'datasets' || first === 'traces' || first === 'models') {
        addExperiment(loc, dir);
        // The folder itself came or went: it may have moved to or from .trash (a delete or a
        // restore). Both sides in one refresh pair the removal with the creation; the file
        // watcher may report the two sides in separate flushes under load, which would read as
        // an experiment removed and another created.
        if (first === undefined) addExperiment(loc === 'root' ? 'trash' : 'root', dir);
      } else {
        const k = runKey(loc, dir, first);
        if (!seenR.has(k)) {
          seenR.add(k);
          scope.runs.push({ loc, dir, folder: first });
        }
      }
    }
    if (structure) {
      for (const e of this.allExperiments()) addExperiment(e.loc, e.dir);
    }
    return scope;
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || this.pending.size === 0) return;
    const paths = this.pending;
    this.pending = new Set();
    const scope = this.scopeOf(paths);
    if (scope.experiments.length + scope.runs.length === 0) return;
    this.runRefresh(scope, 'events');
    // A second look shortly after, for files that were still being written.
    this.settle.set(JSON.stringify(scope), scope);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.flushSettle(), this.opts.settleMs);
  }

  private flushSettle(): void {
    this.settleTimer = undefined;
    if (this.closed) return;
    const items = [...this.settle.values()];
    this.settle.clear();
    const scope: RefreshScope = { experiments: items.flatMap((i) => i.experiments), runs: items.flatMap((i) => i.runs) };
    this.runRefresh(scope, 'settle');
  }

  /** After a refresh of `scope`: watch the runs it touched, unwatch those gone. */
  private track(scope: RefreshScope): void {
    if (this.pollingMode) return;
    for (const r of scope.runs) {
      const known = this.queries.hasRunFolder(r);
      const h = this.hot.get(runKey(r.loc, r.dir, r.folder));
      if (known) this.watchRun(r.loc, r.dir, r.folder, true);
      else if (h) this.unwatchRun(h);
    }
    if (scope.experiments.length === 0) return;
    const exps = new Set(scope.experiments.map((e) => `${e.loc}\0${e.dir}`));
    for (const h of [...this.hot.values()]) {
      if (exps.has(`${h.loc}\0${h.dir}`) && !statOf(h.runDir)?.isDirectory()) this.unwatchRun(h);
    }
    // Runs that came with an experiment folder (a restore, a checkout): watch them while the budget lasts.
    for (const e of scope.experiments) {
      const free = Math.floor((this.budget - this.watchCount) / (1 + RUN_SUBDIRS.length));
      const rows = this.queries.runFoldersOfExperiment(e.loc, e.dir, Math.max(0, free) + 1).map((folder) => ({ folder }));
      let added = 0;
      for (const row of rows) {
        if (this.hot.has(runKey(e.loc, e.dir, row.folder))) continue;
        if (added >= free || !this.watchRun(e.loc, e.dir, row.folder, false)) {
          this.markPartial();
          break;
        }
        added++;
      }
    }
  }

  /** Refreshes and emits; false when the refresh failed (it is retried by the settle pass). */
  private runRefresh(scope: RefreshScope | undefined, reason: RefreshReason): RefreshResult | undefined {
    if (this.closed) return undefined;
    let result: RefreshResult;
    const t0 = performance.now();
    try {
      result = this.catalog.refresh({ emit: true, ...(scope ? { scope } : {}) });
    } catch (e) {
      this.emit('error', e as Error);
      if (reason !== 'settle' && scope) {
        if (this.settleTimer) clearTimeout(this.settleTimer);
        this.settle.set(JSON.stringify(scope), scope);
        this.settleTimer = setTimeout(() => this.flushSettle(), this.opts.settleMs);
      }
      return undefined;
    }
    this.beat();
    if (scope && this.started && (reason === 'events' || reason === 'settle')) this.track(scope);
    for (const e of result.events) this.deliver(e);
    this.emit('refresh', { ...result, reason, ms: performance.now() - t0 });
    return result;
  }

  private deliver(e: ChangeEvent): void {
    this.emit('change', e);
    this.emit(e.type, e);
    this.feed.push(e);
  }

  // ---------------------------------------------------------------------------------------------
  // The sweep: every run, a time-boxed slice at a time.

  private sweeping(): boolean {
    return this.pollingMode || this.partial || this.opts.reconcileMs > 0;
  }

  private scheduleSweep(delay: number): void {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    if (this.closed || !this.started || !this.sweeping()) return;
    this.sweepTimer = setTimeout(() => this.sweepTick(), Math.max(0, delay));
    this.sweepTimer.unref?.();
  }

  /** Runs the sweep saw changing become watched: they are likely to change again. */
  private promote(res: RefreshResult | undefined): void {
    if (!res || this.pollingMode || res.events.length === 0) return;
    const changed = new Set<string>();
    for (const e of res.events) if ('runId' in e && typeof e.runId === 'string') changed.add(e.runId);
    for (const id of changed) {
      const r: RunRef | undefined = this.queries.runFolderOf(id);
      if (r) this.watchRun(r.loc, r.dir, r.folder, true);
    }
  }

  private sweepTick(): void {
    this.sweepTimer = undefined;
    if (this.closed) return;
    const fast = this.pollingMode || this.partial;
    const cycleMs = fast ? this.opts.pollIntervalMs : this.opts.reconcileMs;
    const t0 = performance.now();
    if (this.sweepDone) {
      if (this.sweepStart > 0) {
        this.sweepCycles++;
        this.lastSweepCycleMs = Date.now() - this.sweepStart;
      }
      // A new cycle: experiment folders (new and removed run folders), then every run by rid.
      this.sweepStart = Date.now();
      this.promote(this.runRefresh({ experiments: this.allExperiments(), runs: [] }, 'sweep'));
      this.sweepRid = -1;
      this.sweepDone = false;
      this.sweepLeft = this.catalog.runCount();
    } else {
      const batch: (RunRef & { rid: number })[] = this.queries.runsAfter(this.sweepRid, this.sweepK);
      if (batch.length < this.sweepK) this.sweepDone = true;
      this.sweepRid = batch.at(-1)?.rid ?? this.sweepRid;
      this.sweepLeft = Math.max(0, this.sweepLeft - batch.length);
      const res = batch.length > 0 ? this.runRefresh({ experiments: [], runs: batch.map(({ loc, dir, folder }) => ({ loc, dir, folder })) }, 'sweep') : undefined;
      const dur = performance.now() - t0;
      this.sweepK = Math.max(4, Math.min(4096, Math.round((this.sweepK * SLICE_MS) / Math.max(dur, 0.05))));
      this.promote(res);
    }
    // The sweep's garbage, collected per 24 MB of growth rather than left for V8 (see memory.ts).
    this.gc.check();
    const dur = performance.now() - t0;
    const share = this.opts.sweepShare;
    const ticksLeft = Math.max(1, Math.ceil(this.sweepLeft / this.sweepK));
    const paced = (this.sweepStart + cycleMs - Date.now()) / ticksLeft;
    this.scheduleSweep(Math.max((dur * (1 - share)) / share, paced, 1));
  }

  /**
   * Runs a full delta refresh now (blocking; the sweep does the same in slices).
   *
   * @example
   * ```ts
   * w.reconcile();
   * ```
   */
  reconcile(): void {
    this.runRefresh(undefined, 'reconcile');
  }

  /**
   * Change events as an async iterator (ends when the watcher is closed).
   *
   * @example
   * ```ts
   * for await (const e of w) if (e.type === 'metrics_appended') console.log(e.points);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<ChangeEvent> {
    return this.feed.iterator(async () => undefined);
  }

  /**
   * Stops watching: timers, watches, heartbeat (removed so queries stop trusting it), catalog.
   *
   * @example
   * ```ts
   * await w.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.timer, this.settleTimer, this.sweepTimer]) if (t) clearTimeout(t);
    if (this.hbTimer) clearInterval(this.hbTimer);
    for (const h of [...this.hot.values()]) this.unwatchRun(h);
    await this.fsw?.close();
    try {
      this.catalog.clearHeartbeat();
    } catch {
      /* ignore */
    }
    this.catalog.close();
    this.feed.end();
  }
}

const refOf = (h: HotRun): RunRef => ({ loc: h.loc, dir: h.dir, folder: h.folder });

/**
 * Starts watching a root: opens (or resumes) its catalog, refreshes it, and keeps it current.
 *
 * @example
 * ```ts
 * const w = watch('./mlruns', { reconcileMs: 10_000 });
 * w.on('metrics_appended', (e) => console.log(e));
 * ```
 */
export function watch(root: string, options: WatchOptions = {}): Watcher {
  return new Watcher(root, options);
}
