/**
 * The watcher: turns file events (chokidar 5) into catalog updates and a stream of typed change
 * events. It keeps a heartbeat in the catalog so queries in other processes trust the catalog
 * instead of refreshing it themselves.
 *
 * Robustness: events are debounced and mapped to the experiment / run folders they touch (a
 * burst touching many folders — a `git checkout` — becomes one delta refresh); every targeted
 * refresh is repeated once after a short settle delay (half-written files); a periodic reconcile
 * (full delta refresh) catches anything missed; ENOSPC/EMFILE from inotify switches to polling;
 * a restart resumes from the catalog with a delta, not a rebuild.
 *
 * @example
 * ```ts
 * import { watch } from './watcher.js';
 * const w = watch('./mlruns');
 * await w.ready;
 * for await (const e of w) console.log(e.type);
 * ```
 */
import { EventEmitter } from 'node:events';
import type fs from 'node:fs';
import path from 'node:path';
import chokidar from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { openCatalog } from '../catalog/catalog.js';
import type { Catalog, CatalogOptions, RefreshResult } from '../catalog/catalog.js';
import type { ChangeEvent } from '../catalog/events.js';
import type { RefreshScope } from '../catalog/refresh.js';

/**
 * Options of {@link watch}.
 *
 * @example
 * ```ts
 * const o: WatchOptions = { debounceMs: 20, reconcileMs: 30_000 };
 * ```
 */
export interface WatchOptions extends CatalogOptions {
  /** Quiet time after the last file event before refreshing (default 15 ms). */
  debounceMs?: number;
  /** Longest delay between the first event of a burst and its refresh (default 200 ms). */
  maxDelayMs?: number;
  /** Delay of the second pass over the same folders, for half-written files (default 250 ms). */
  settleMs?: number;
  /** Full delta refresh period (default 30 s; 0 disables). */
  reconcileMs?: number;
  /** Heartbeat period (default 1000 ms). */
  heartbeatMs?: number;
  /** More folders than this in one burst → one full delta refresh (default 256). */
  burstThreshold?: number;
  /** Start with chokidar polling instead of native events. */
  usePolling?: boolean;
  /** Polling interval when polling (default 1000 ms). */
  pollIntervalMs?: number;
  /** Where diagnostics go (default: process.stderr). */
  log?: (message: string) => void;
}

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
  refresh: (result: RefreshResult & { reason: 'initial' | 'events' | 'settle' | 'reconcile' | 'burst' }) => void;
  error: (error: Error) => void;
  ready: () => void;
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
  /** Resolves when the initial refresh is done and file events are being received. */
  readonly ready: Promise<void>;
  private fsw: FSWatcher | undefined;
  private pollingMode: boolean;
  private readonly opts: Required<Pick<WatchOptions, 'debounceMs' | 'maxDelayMs' | 'settleMs' | 'reconcileMs' | 'heartbeatMs' | 'burstThreshold' | 'pollIntervalMs'>>;
  private readonly log: (m: string) => void;
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private settle = new Map<string, { scope: RefreshScope; full: boolean }>();
  private settleTimer: NodeJS.Timeout | undefined;
  private hbTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly queue: ChangeEvent[] = [];
  private readonly waiters: ((r: IteratorResult<ChangeEvent>) => void)[] = [];

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
      burstThreshold: options.burstThreshold ?? 256,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
    };
    this.log = options.log ?? ((m) => process.stderr.write(m + '\n'));
    this.ready = this.start();
    this.ready.catch(() => undefined);
  }

  override on<K extends keyof WatcherEvents>(event: K, listener: WatcherEvents[K]): this;
  override on(event: ChangeEvent['type'], listener: (e: ChangeEvent) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  /**
   * True when chokidar polls (started so, or after ENOSPC/EMFILE).
   *
   * @example
   * ```ts
   * w.polling; // false
   * ```
   */
  get polling(): boolean {
    return this.pollingMode;
  }

  private async start(): Promise<void> {
    // Let the caller attach listeners before the initial refresh reports what changed meanwhile.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.closed) return;
    this.beat();
    this.runRefresh(undefined, 'initial');
    this.hbTimer = setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.hbTimer.unref?.();
    if (this.opts.reconcileMs > 0) {
      this.reconcileTimer = setInterval(() => this.runRefresh(undefined, 'reconcile'), this.opts.reconcileMs);
      this.reconcileTimer.unref?.();
    }
    if (this.pollingMode) this.startPollingReconcile();
    await this.startFs();
    if (this.closed) return;
    // Changes between the initial refresh and chokidar being ready.
    this.runRefresh(undefined, 'reconcile');
    this.emit('ready');
  }

  private startFs(): Promise<void> {
    const root = this.root;
    // Only folders are watched (one inotify watch per folder, none per file): chokidar's raw
    // events of a folder's watcher name the file that changed in it, which is all we need.
    const ignored = (p: string, stats?: fs.Stats): boolean => {
      if (stats?.isFile()) return true;
      const rel = path.relative(root, p);
      if (rel === '' || rel.startsWith('..')) return false;
      const parts = rel.split(path.sep);
      const off = parts[0] === '.trash' ? 1 : 0;
      if (off === 0 && parts[0] === 'models') return true;
      return parts[off + 2] === 'artifacts' || parts[0] === '.git';
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
      this.startPollingReconcile();
      const old = this.fsw;
      this.fsw = undefined;
      void old?.close().then(() => {
        if (this.closed) return;
        void this.startFs().then(() => this.runRefresh(undefined, 'reconcile'));
      });
      return;
    }
    this.emit('error', err);
  }

  /** Polling sees folders change, not files growing in them: reconcile every few polls. */
  private startPollingReconcile(): void {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    const every = Math.max(1000, Math.min(this.opts.reconcileMs || Infinity, this.opts.pollIntervalMs * 5));
    this.reconcileTimer = setInterval(() => this.runRefresh(undefined, 'reconcile'), every);
    this.reconcileTimer.unref?.();
  }

  private beat(): void {
    if (this.closed) return;
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

  /** Maps changed paths to the experiment / run folders to look at; undefined = everything. */
  private scopeOf(paths: Iterable<string>): RefreshScope | undefined {
    const scope: RefreshScope = { experiments: [], runs: [] };
    const seenE = new Set<string>();
    const seenR = new Set<string>();
    for (const p of paths) {
      const rel = path.relative(this.root, p);
      if (rel === '' || rel.startsWith('..')) return undefined;
      const parts = rel.split(path.sep);
      let loc: 0 | 1 = 0;
      let i = 0;
      if (parts[0] === '.trash') {
        if (parts.length === 1) return undefined;
        loc = 1;
        i = 1;
      }
      const dir = parts[i]!;
      if (loc === 0 && dir === 'models') continue;
      const rest = parts.slice(i + 1);
      const first = rest[0];
      if (first === undefined || first === 'meta.yaml' || first === 'tags' || first === 'datasets' || first === 'traces' || first === 'models') {
        const k = `${loc}\0${dir}`;
        if (!seenE.has(k)) {
          seenE.add(k);
          scope.experiments.push({ loc, dir });
        }
      } else {
        const k = `${loc}\0${dir}\0${first}`;
        if (!seenR.has(k)) {
          seenR.add(k);
          scope.runs.push({ loc, dir, folder: first });
        }
      }
    }
    if (scope.experiments.length + scope.runs.length > this.opts.burstThreshold) return undefined;
    return scope;
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || this.pending.size === 0) return;
    const paths = this.pending;
    this.pending = new Set();
    const scope = this.scopeOf(paths);
    const ok = this.runRefresh(scope, scope ? 'events' : 'burst');
    // A second look shortly after, for files that were still being written.
    const key = scope ? JSON.stringify(scope) : '*';
    this.settle.set(key, { scope: scope ?? { experiments: [], runs: [] }, full: !scope || !ok });
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.flushSettle(), this.opts.settleMs);
  }

  private flushSettle(): void {
    this.settleTimer = undefined;
    if (this.closed) return;
    const items = [...this.settle.values()];
    this.settle.clear();
    if (items.some((i) => i.full)) {
      this.runRefresh(undefined, 'settle');
      return;
    }
    const scope: RefreshScope = { experiments: items.flatMap((i) => i.scope.experiments), runs: items.flatMap((i) => i.scope.runs) };
    this.runRefresh(scope.experiments.length + scope.runs.length > this.opts.burstThreshold ? undefined : scope, 'settle');
  }

  /** Refreshes and emits; false when the refresh failed (it is retried by the settle pass). */
  private runRefresh(scope: RefreshScope | undefined, reason: 'initial' | 'events' | 'settle' | 'reconcile' | 'burst'): boolean {
    if (this.closed) return false;
    let result: RefreshResult;
    try {
      result = this.catalog.refresh({ emit: true, ...(scope ? { scope } : {}) });
    } catch (e) {
      this.emit('error', e as Error);
      if (reason !== 'settle') {
        if (this.settleTimer) clearTimeout(this.settleTimer);
        this.settle.set('*', { scope: { experiments: [], runs: [] }, full: true });
        this.settleTimer = setTimeout(() => this.flushSettle(), this.opts.settleMs);
      }
      return false;
    }
    this.beat();
    for (const e of result.events) this.deliver(e);
    this.emit('refresh', { ...result, reason });
    return true;
  }

  private deliver(e: ChangeEvent): void {
    this.emit('change', e);
    this.emit(e.type, e);
    const w = this.waiters.shift();
    if (w) w({ value: e, done: false });
    else this.queue.push(e);
  }

  /**
   * Runs a full delta refresh now (what the periodic reconcile does).
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
    return {
      next: () => {
        const e = this.queue.shift();
        if (e) return Promise.resolve({ value: e, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }

  /**
   * Stops watching: timers, chokidar, heartbeat (removed so queries stop trusting it), catalog.
   *
   * @example
   * ```ts
   * await w.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.timer, this.settleTimer]) if (t) clearTimeout(t);
    for (const t of [this.hbTimer, this.reconcileTimer]) if (t) clearInterval(t);
    await this.fsw?.close();
    try {
      this.catalog.clearHeartbeat();
    } catch {
      /* ignore */
    }
    this.catalog.close();
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }
}

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
