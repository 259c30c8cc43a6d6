/**
 * The watcher of an MLflow SQLite database (`sqlite:` URI): the same {@link ChangeEvent}s as the
 * file-store watcher, found by polling instead of file events. A database is its own index, so no
 * catalog is kept.
 *
 * How it stays cheap:
 * - A dedicated read-only connection asks `PRAGMA data_version` every `intervalMs` (default
 *   150 ms): one call that answers from the pager, with no page read. It changes only when
 *   another connection committed; nothing else is read while it does not.
 * - When it changed, one read transaction looks at what moved:
 *   experiments (a small table, read whole); runs newer than the runs' rowid high-water mark or
 *   still `RUNNING` (their status and end time change), plus the runs last seen running;
 *   params, tags and metrics newer than their tables' rowid high-water marks (appends, which
 *   is what logging does: MLflow never updates a metric or a param row); and the number of tag
 *   rows (a deleted tag lowers it).
 * - A full comparison — every run's status and lifecycle stage, every tag — runs when the tag
 *   count says a tag went, when the store has at most `fullScanRuns` runs (default 5,000: the
 *   whole comparison costs a few ms there), and otherwise at most every `reconcileMs` (default
 *   2 s) after a change. So on a large database a tag whose value was overwritten in place (an
 *   SQL `UPDATE`, which moves no high-water mark) or a finished run deleted or restored shows up
 *   within `reconcileMs`, everything else within `intervalMs`.
 *
 * @example
 * ```ts
 * import { watchDatabase } from './db-watcher.js';
 * const w = watchDatabase('sqlite:///mlflow.db');
 * w.on('change', (e) => console.log(e.type));
 * await w.ready;
 * await w.close();
 * ```
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type Database from 'better-sqlite3';
import type { ChangeEvent, MetricPoint } from '../catalog/events.js';
import type { RunStatus } from '../entities.js';
import { openMlflowDatabase } from '../store/sqlite/db.js';
import { EventFeed } from './event-feed.js';

/**
 * Options of {@link watchDatabase}.
 *
 * @example
 * ```ts
 * const o: DbWatchOptions = { intervalMs: 100, reconcileMs: 1000 };
 * ```
 */
export interface DbWatchOptions {
  /** Period of the `PRAGMA data_version` poll (default 150 ms, at least 10). */
  intervalMs?: number;
  /** Longest delay of a full comparison after a change on a large database (default 2000 ms). */
  reconcileMs?: number;
  /** Up to this many runs, every change gets the full comparison (default 5000). */
  fullScanRuns?: number;
  /** Where diagnostics go (default: process.stderr). */
  log?: (message: string) => void;
}

/**
 * Counters of a running {@link DbWatcher}.
 *
 * @example
 * ```ts
 * const s: DbWatcherStats = w.stats();
 * ```
 */
export interface DbWatcherStats {
  mode: 'database';
  /** Runs known. */
  runs: number;
  /** Polls of `data_version`, scans made after a change, full comparisons among them. */
  polls: number;
  scans: number;
  fullScans: number;
  /** Duration of the last scan (ms). */
  lastScanMs: number;
}

interface RunState {
  experimentId: string;
  status: RunStatus;
  stage: string;
  endTime: number | null;
}

interface RunSqlRow {
  rid: number;
  run_uuid: string;
  experiment_id: number;
  name: string | null;
  status: string;
  lifecycle_stage: string;
  end_time: number | null;
}

interface ExperimentState {
  name: string;
  stage: string;
}

/**
 * A running database watcher: an EventEmitter of `change` (and each event's own `type`),
 * `error` and `ready`, and an async iterator of change events.
 *
 * @example
 * ```ts
 * const w = watchDatabase('sqlite:///mlflow.db');
 * for await (const e of w) console.log(e.type);
 * ```
 */
export class DbWatcher extends EventEmitter {
  /** The `sqlite:` URI watched. */
  readonly root: string;
  /** The database file. */
  readonly file: string;
  /** Resolves when the first snapshot is taken and polling runs. */
  readonly ready: Promise<void>;
  private readonly db: Database.Database;
  private readonly opts: Required<Omit<DbWatchOptions, 'log'>>;
  private readonly log: (m: string) => void;
  private readonly experiments = new Map<number, ExperimentState>();
  private readonly runs = new Map<string, RunState>();
  private readonly running = new Set<string>();
  private readonly tags = new Map<string, Map<string, string>>();
  private tagCount = 0;
  private runHw = 0;
  private metricHw = 0;
  private paramHw = 0;
  private tagHw = 0;
  private dataVersion = -1;
  private lastFull = 0;
  private dirtySinceFull = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly counters = { polls: 0, scans: 0, fullScans: 0, lastScanMs: 0 };
  private readonly statements = new Map<string, Database.Statement>();
  private readonly feed = new EventFeed<ChangeEvent>();
  private lastError = '';

  /** @internal use {@link watchDatabase}. */
  constructor(uri: string, options: DbWatchOptions = {}) {
    super();
    const opened = openMlflowDatabase(uri, { readonly: true, busyTimeoutMs: 2000 });
    this.db = opened.db;
    this.file = opened.file;
    this.root = uri;
    this.opts = {
      intervalMs: Math.max(10, options.intervalMs ?? 150),
      reconcileMs: Math.max(0, options.reconcileMs ?? 2000),
      fullScanRuns: Math.max(0, options.fullScanRuns ?? 5000),
    };
    this.log = options.log ?? ((m) => process.stderr.write(m + '\n'));
    this.ready = this.start();
    this.ready.catch(() => undefined);
  }

  /** Always `'database'`: changes are found by polling the database. */
  get mode(): 'database' {
    return 'database';
  }

  /**
   * Counters: runs known, polls, scans.
   *
   * @example
   * ```ts
   * console.log(w.stats().scans);
   * ```
   */
  stats(): DbWatcherStats {
    return { mode: 'database', runs: this.runs.size, ...this.counters };
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private async start(): Promise<void> {
    // Let the caller attach listeners first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.closed) return;
    this.dataVersion = this.readDataVersion();
    this.db.transaction(() => this.scan(true, false)).deferred();
    this.lastFull = performance.now();
    this.timer = setInterval(() => this.poll(), this.opts.intervalMs);
    this.emit('ready');
  }

  private readDataVersion(): number {
    return Number(this.db.pragma('data_version', { simple: true }));
  }

  private poll(): void {
    if (this.closed) return;
    this.counters.polls++;
    try {
      const v = this.readDataVersion();
      const now = performance.now();
      const changed = v !== this.dataVersion;
      const reconcileDue = this.dirtySinceFull && now - this.lastFull >= this.opts.reconcileMs;
      if (!changed && !reconcileDue) return;
      this.dataVersion = v;
      const t0 = performance.now();
      this.db.transaction(() => this.scan(reconcileDue || this.runs.size <= this.opts.fullScanRuns, true)).deferred();
      this.counters.scans++;
      this.counters.lastScanMs = performance.now() - t0;
      this.lastError = '';
    } catch (e) {
      const code = (e as { code?: string }).code;
      // A writer holding the lock past the busy timeout: the next poll tries again.
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return;
      const msg = `cannot read the database '${this.file}': ${(e as Error).message}`;
      if (msg !== this.lastError) {
        this.lastError = msg;
        this.log(`mlruns watch: ${msg}`);
        if (this.listenerCount('error') > 0) this.emit('error', new Error(msg));
      }
    }
  }

  /** One look at the database (inside a read transaction); events only when `emit`. */
  private scan(full: boolean, emit: boolean): void {
    const out: ChangeEvent[] = [];
    this.scanExperiments(out);
    const tagCount = (this.stmt('SELECT count(*) AS n FROM tags').get() as { n: number }).n;
    const fullNow = full || tagCount < this.tagCount || !emit;
    const late: ChangeEvent[] = [];
    this.scanRuns(out, late, fullNow);
    this.scanParams(out);
    if (fullNow) this.scanAllTags(out, emit);
    else this.scanNewTags(out);
    this.scanMetrics(out);
    this.tagCount = tagCount;
    if (fullNow) {
      this.lastFull = performance.now();
      this.dirtySinceFull = false;
      if (emit) this.counters.fullScans++;
    } else {
      this.dirtySinceFull = true;
    }
    if (!emit) return;
    for (const e of [...out, ...late]) this.publish(e);
  }

  private scanExperiments(out: ChangeEvent[]): void {
    const rows = this.stmt('SELECT experiment_id, name, lifecycle_stage FROM experiments').all() as { experiment_id: number; name: string; lifecycle_stage: string | null }[];
    const seen = new Set<number>();
    for (const r of rows) {
      seen.add(r.experiment_id);
      const id = String(r.experiment_id);
      const stage = r.lifecycle_stage ?? 'active';
      const old = this.experiments.get(r.experiment_id);
      if (!old) out.push({ type: 'experiment_created', experimentId: id, name: r.name });
      else {
        if (old.name !== r.name) out.push({ type: 'experiment_renamed', experimentId: id, from: old.name, to: r.name });
        if (old.stage !== stage) {
          out.push(stage === 'deleted' ? { type: 'experiment_deleted', experimentId: id, name: r.name, removed: false } : { type: 'experiment_restored', experimentId: id, name: r.name });
        }
      }
      this.experiments.set(r.experiment_id, { name: r.name, stage });
    }
    for (const [id, old] of this.experiments) {
      if (seen.has(id)) continue;
      this.experiments.delete(id);
      out.push({ type: 'experiment_deleted', experimentId: String(id), name: old.name, removed: true });
    }
  }

  private scanRuns(out: ChangeEvent[], late: ChangeEvent[], full: boolean): void {
    const cols = 'rowid AS rid, run_uuid, experiment_id, name, status, lifecycle_stage, end_time';
    const rows = (
      full ? this.stmt(`SELECT ${cols} FROM runs`).all() : this.stmt(`SELECT ${cols} FROM runs WHERE rowid > ? OR status = 'RUNNING'`).all(this.runHw)
    ) as RunSqlRow[];
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.run_uuid);
      this.runRow(r, out, late);
    }
    if (full) {
      for (const [id, old] of this.runs) if (!seen.has(id)) this.runGone(id, old, late);
    } else {
      // Runs that were running and are not any more (or are gone).
      const one = this.stmt(`SELECT ${cols} FROM runs WHERE run_uuid = ?`);
      for (const id of [...this.running]) {
        if (seen.has(id)) continue;
        const r = one.get(id) as RunSqlRow | undefined;
        if (r) this.runRow(r, out, late);
        else this.runGone(id, this.runs.get(id) as RunState, late);
      }
    }
  }

  private runRow(r: RunSqlRow, out: ChangeEvent[], late: ChangeEvent[]): void {
    if (r.rid > this.runHw) this.runHw = r.rid;
    const experimentId = String(r.experiment_id);
    const status = r.status as RunStatus;
    const old = this.runs.get(r.run_uuid);
    const cur: RunState = { experimentId, status, stage: r.lifecycle_stage, endTime: r.end_time };
    this.runs.set(r.run_uuid, cur);
    if (status === 'RUNNING') this.running.add(r.run_uuid);
    else this.running.delete(r.run_uuid);
    if (!old) {
      out.push({ type: 'run_created', experimentId, runId: r.run_uuid, runName: r.name, status });
      if (r.lifecycle_stage === 'deleted') late.push({ type: 'run_deleted', experimentId, runId: r.run_uuid, removed: false });
      return;
    }
    // Status and deletion after the run's new data (its last metrics come before FINISHED).
    if (old.status !== status || (old.endTime !== r.end_time && status !== 'RUNNING')) {
      late.push({ type: 'status_changed', experimentId, runId: r.run_uuid, from: old.status, to: status, endTime: r.end_time });
    }
    if (old.stage !== r.lifecycle_stage) {
      late.push(r.lifecycle_stage === 'deleted' ? { type: 'run_deleted', experimentId, runId: r.run_uuid, removed: false } : { type: 'run_restored', experimentId, runId: r.run_uuid });
    }
  }

  private runGone(id: string, old: RunState, late: ChangeEvent[]): void {
    this.runs.delete(id);
    this.running.delete(id);
    this.tags.delete(id);
    late.push({ type: 'run_deleted', experimentId: old.experimentId, runId: id, removed: true });
  }

  /** The experiment of a run (a run unknown so far is looked up). */
  private experimentOf(runId: string): string | null {
    const known = this.runs.get(runId);
    if (known) return known.experimentId;
    const r = this.stmt('SELECT experiment_id FROM runs WHERE run_uuid = ?').get(runId) as { experiment_id: number } | undefined;
    return r ? String(r.experiment_id) : null;
  }

  private scanParams(out: ChangeEvent[]): void {
    const rows = this.stmt('SELECT rowid AS rid, run_uuid, key, value FROM params WHERE rowid > ? ORDER BY rowid').all(this.paramHw) as {
      rid: number;
      run_uuid: string;
      key: string;
      value: string;
    }[];
    const byRun = new Map<string, Record<string, string>>();
    for (const r of rows) {
      this.paramHw = Math.max(this.paramHw, r.rid);
      let p = byRun.get(r.run_uuid);
      if (!p) byRun.set(r.run_uuid, (p = {}));
      p[r.key] = r.value;
    }
    for (const [runId, params] of byRun) {
      const experimentId = this.experimentOf(runId);
      if (experimentId !== null) out.push({ type: 'params_set', experimentId, runId, params });
    }
  }

  private applyTag(runId: string, key: string, value: string, changed: Map<string, Record<string, string>>): void {
    let t = this.tags.get(runId);
    if (!t) this.tags.set(runId, (t = new Map()));
    if (t.get(key) === value) return;
    t.set(key, value);
    let c = changed.get(runId);
    if (!c) changed.set(runId, (c = {}));
    c[key] = value;
  }

  private emitTags(out: ChangeEvent[], changed: Map<string, Record<string, string>>, deleted: Map<string, string[]>): void {
    for (const runId of new Set([...changed.keys(), ...deleted.keys()])) {
      const experimentId = this.experimentOf(runId);
      if (experimentId === null) continue;
      out.push({ type: 'tags_set', experimentId, runId, tags: changed.get(runId) ?? {}, deleted: deleted.get(runId) ?? [] });
    }
  }

  private scanNewTags(out: ChangeEvent[]): void {
    const rows = this.stmt('SELECT rowid AS rid, run_uuid, key, value FROM tags WHERE rowid > ? ORDER BY rowid').all(this.tagHw) as {
      rid: number;
      run_uuid: string;
      key: string;
      value: string;
    }[];
    const changed = new Map<string, Record<string, string>>();
    for (const r of rows) {
      this.tagHw = Math.max(this.tagHw, r.rid);
      this.applyTag(r.run_uuid, r.key, r.value, changed);
    }
    this.emitTags(out, changed, new Map());
  }

  private scanAllTags(out: ChangeEvent[], emit: boolean): void {
    const rows = this.stmt('SELECT rowid AS rid, run_uuid, key, value FROM tags').all() as { rid: number; run_uuid: string; key: string; value: string }[];
    const changed = new Map<string, Record<string, string>>();
    const present = new Map<string, Set<string>>();
    for (const r of rows) {
      this.tagHw = Math.max(this.tagHw, r.rid);
      let s = present.get(r.run_uuid);
      if (!s) present.set(r.run_uuid, (s = new Set()));
      s.add(r.key);
      this.applyTag(r.run_uuid, r.key, r.value, changed);
    }
    const deleted = new Map<string, string[]>();
    for (const [runId, t] of this.tags) {
      const s = present.get(runId);
      for (const k of [...t.keys()]) {
        if (s?.has(k)) continue;
        t.delete(k);
        // A run removed with its tags says so with run_deleted (removed: true).
        if (this.runs.has(runId)) {
          let d = deleted.get(runId);
          if (!d) deleted.set(runId, (d = []));
          d.push(k);
        }
      }
      if (t.size === 0) this.tags.delete(runId);
    }
    if (emit) this.emitTags(out, changed, deleted);
  }

  private scanMetrics(out: ChangeEvent[]): void {
    const rows = this.stmt('SELECT rowid AS rid, run_uuid, key, value, timestamp, step, is_nan FROM metrics WHERE rowid > ? ORDER BY rowid').all(this.metricHw) as {
      rid: number;
      run_uuid: string;
      key: string;
      value: number;
      timestamp: number;
      step: number;
      is_nan: number;
    }[];
    const byRunKey = new Map<string, { runId: string; key: string; points: MetricPoint[] }>();
    for (const r of rows) {
      this.metricHw = Math.max(this.metricHw, r.rid);
      const k = `${r.run_uuid}\0${r.key}`;
      let g = byRunKey.get(k);
      if (!g) byRunKey.set(k, (g = { runId: r.run_uuid, key: r.key, points: [] }));
      g.points.push({ value: r.is_nan ? NaN : r.value, step: r.step, timestamp: r.timestamp });
    }
    for (const g of byRunKey.values()) {
      const experimentId = this.experimentOf(g.runId);
      if (experimentId !== null) out.push({ type: 'metrics_appended', experimentId, runId: g.runId, key: g.key, points: g.points, rewritten: false });
    }
  }

  private publish(e: ChangeEvent): void {
    this.emit('change', e);
    this.emit(e.type, e);
    this.feed.push(e);
  }

  /**
   * The change events as an async iterator (ends when the watcher is closed).
   *
   * @example
   * ```ts
   * for await (const e of watchDatabase('sqlite:///mlflow.db')) console.log(e.type);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<ChangeEvent> {
    return this.feed.iterator(() => this.close());
  }

  /**
   * Stops polling and closes the connection.
   *
   * @example
   * ```ts
   * await w.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ready.catch(() => undefined);
    this.statements.clear();
    this.db.close();
    this.feed.end();
  }
}

/**
 * Watches an MLflow SQLite database (`sqlite:` URI) for changes: the same change events as
 * {@link watch} on a folder, found by polling `PRAGMA data_version` (see {@link DbWatcher}).
 *
 * @example
 * ```ts
 * const w = watchDatabase('sqlite:///mlflow.db', { intervalMs: 100 });
 * w.on('metrics_appended', (e) => console.log(e));
 * await w.ready;
 * ```
 */
export function watchDatabase(uri: string, options: DbWatchOptions = {}): DbWatcher {
  return new DbWatcher(uri, options);
}
