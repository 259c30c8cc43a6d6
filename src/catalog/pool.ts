/**
 * A pool of worker threads reading new run folders for a refresh, driven synchronously (a
 * refresh is a synchronous call): tasks go out through message ports, the refreshing thread
 * sleeps on an `Atomics.wait` until a worker signals a reply and takes it with
 * `receiveMessageOnPort`. The workers list, read and parse (`readNewRun`); this thread only
 * writes to SQLite, so reading and writing overlap. Replies are handed over in task order.
 *
 * A task a worker fails is read here instead (its error, if any, then surfaces as it would
 * without workers); a pool that stops answering is abandoned and the rest is read here. The
 * workers are unref'ed and terminated when done: they never keep the process alive.
 *
 * @example
 * ```ts
 * const pool = startPool(2, { root, trustBefore: Date.now() - 3000 });
 * pool?.run(tasks, (i, runs) => write(runs), (t) => t.jobs.map((j) => readNewRun(ctx, j)));
 * pool?.close();
 * ```
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { NewRun, RunJob } from './run-folder.js';

/** What a worker is started with. */
export interface WorkerInit {
  root: string;
  /** See ReadContext.trustBefore. */
  trustBefore: number;
}

/** A run whose signatures a worker checks (`probesMatch`): its folder and its stored signatures. */
export type ProbeItem = [runDir: string, probe: string, sig: string, msig: string];

/** What a worker is asked: read new run folders, or check known runs for changes. */
export type PoolTask = { kind: 'read'; jobs: RunJob[] } | { kind: 'probe'; items: ProbeItem[] };

/** A task's result: the runs read (null: folder gone), or the indices of the items that changed. */
export type PoolResult<T extends PoolTask> = T extends { kind: 'read' } ? (NewRun | null | undefined)[] : number[];

/** A worker's reply to a task. */
export type WorkerReply = { id: number; result: unknown } | { id: number; error: string };

/**
 * The worker script next to this module, or undefined when it is not there (the TypeScript
 * sources run by a test runner, a bundle): the refresh then reads in its own thread.
 *
 * @example
 * ```ts
 * workerScript(); // URL of dist/catalog/worker.js
 * ```
 */
export function workerScript(): URL | undefined {
  try {
    const url = new URL('./worker.js', import.meta.url);
    if (url.protocol === 'file:' && fs.existsSync(fileURLToPath(url))) return url;
  } catch {
    /* not a file URL */
  }
  return undefined;
}

/**
 * Default number of workers: `MLRUNS_CATALOG_WORKERS` when set (0 disables them), else one per
 * available core (at most 8).
 *
 * @example
 * ```ts
 * defaultWorkers(); // 2 on a 2-core machine
 * ```
 */
export function defaultWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const v = env['MLRUNS_CATALOG_WORKERS'];
  if (v !== undefined && v !== '' && Number.isFinite(Number(v))) return Math.max(0, Math.floor(Number(v)));
  return Math.min(8, Math.max(1, os.availableParallelism()));
}

/**
 * The parent's Node flags a worker may inherit: only those about memory, stack and diagnostics.
 * Workers inherit `process.execArgv` by default, and some flags break them (`--input-type` of
 * `node --input-type=module -e ...` makes a worker's file fail to load; `-e` would run the
 * parent's script again).
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const keep = /^--(max-old-space-size|max-semi-space-size|stack-size|enable-source-maps|no-warnings|cpu-prof|heap-prof|cpu-prof-dir|heap-prof-dir)(=|$)/;
  return argv.filter((a) => keep.test(a));
}

/** How long the workers may take to start before the refresh reads in its own thread (ms). */
const READY_MS = 10_000;
/** How long a run may take to read before the workers are given up (ms). */
const STALL_MS = 60_000;

/** Shared counters: a wake-up count (replies and starts), workers started, runs read. */
const WAKE = 0;
const READY = 1;
const PROGRESS = 2;

interface Slot {
  worker: Worker;
  port: MessagePort;
  inflight: number;
}

/** A started pool; see the module comment. */
export class SyncPool {
  private readonly slots: Slot[] = [];
  private readonly signal: Int32Array;
  private closed = false;
  private readonly readyMs: number;
  private readonly stallMs: number;

  /** `limits`: how long workers may take to start, and to read a run (defaults 10 s, 60 s). */
  constructor(size: number, script: URL, init: WorkerInit, limits: { readyMs?: number; stallMs?: number } = {}) {
    this.readyMs = limits.readyMs ?? READY_MS;
    this.stallMs = limits.stallMs ?? STALL_MS;
    const sab = new SharedArrayBuffer(12);
    this.signal = new Int32Array(sab);
    const execArgv = workerExecArgv();
    for (let i = 0; i < size; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(script, { workerData: { port: port2, signal: sab, init }, transferList: [port2], execArgv });
      worker.unref();
      // Failures are seen as tasks not answered; nothing may crash the process.
      worker.on('error', () => undefined);
      this.slots.push({ worker, port: port1, inflight: 0 });
    }
  }

  /**
   * Runs `tasks` in the workers; `onResult(i, result)` is called for each task in order. Tasks a
   * worker failed go to `fallback` in this thread, and so do all unfinished ones when no worker
   * started in time or no run was read for too long (see the constructor's `limits`).
   */
  run<T extends PoolTask>(tasks: T[], onResult: (i: number, result: PoolResult<T>) => void, fallback: (task: T) => PoolResult<T>): void {
    const done = new Map<number, PoolResult<T> | 'failed'>();
    let next = 0;
    let flushed = 0;
    const depth = 2;
    const maxBuffered = this.slots.length * depth * 4;
    const send = (s: Slot): void => {
      while (s.inflight < depth && next < tasks.length && next - flushed < maxBuffered) {
        s.port.postMessage({ id: next, task: tasks[next] });
        s.inflight++;
        next++;
      }
    };
    for (const s of this.slots) send(s);
    const started = Date.now();
    let last = started;
    let progress = 0;
    let dead = false;
    while (flushed < tasks.length) {
      const seen = Atomics.load(this.signal, WAKE);
      let got = false;
      for (const s of this.slots) {
        for (;;) {
          const m = receiveMessageOnPort(s.port);
          if (m === undefined) break;
          const reply = m.message as WorkerReply;
          got = true;
          s.inflight--;
          done.set(reply.id, 'result' in reply ? (reply.result as PoolResult<T>) : 'failed');
        }
      }
      while (flushed < tasks.length) {
        const r = done.get(flushed);
        if (r === undefined) {
          if (!dead) break;
          onResult(flushed, fallback(tasks[flushed] as T));
        } else {
          done.delete(flushed);
          onResult(flushed, r === 'failed' ? fallback(tasks[flushed] as T) : r);
        }
        flushed++;
      }
      if (!dead) for (const s of this.slots) send(s);
      if (got) {
        last = Date.now();
        continue;
      }
      if (flushed >= tasks.length || dead) continue;
      Atomics.wait(this.signal, WAKE, seen, Math.min(250, this.readyMs, this.stallMs));
      const p = Atomics.load(this.signal, PROGRESS);
      const now = Date.now();
      if (p !== progress) {
        progress = p;
        last = now;
      }
      const notStarted = Atomics.load(this.signal, READY) === 0 && now - started > this.readyMs;
      if (notStarted || now - last > this.stallMs) {
        // Workers that do not start or stopped working: do the rest here.
        dead = true;
        next = tasks.length;
        this.close();
      }
    }
  }

  /** Stops the workers (they are unref'ed: the process never waits for them). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) {
      s.port.close();
      void s.worker.terminate().catch(() => undefined);
    }
  }
}

/**
 * Starts a pool of `size` workers, or returns undefined when workers are disabled or the worker
 * script is not available.
 *
 * @example
 * ```ts
 * const pool = startPool(2, { root: cat.root, trustBefore: Date.now() - 3000 });
 * ```
 */
export function startPool(size: number, init: WorkerInit): SyncPool | undefined {
  if (size <= 0) return undefined;
  const script = workerScript();
  if (!script) return undefined;
  try {
    return new SyncPool(size, script, init);
  } catch {
    return undefined;
  }
}
