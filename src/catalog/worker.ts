/**
 * The worker thread of a refresh's {@link SyncPool}: reads the run folders of each task it gets
 * (`readNewRun`) and posts them back, then signals the waiting thread. Started by `pool.ts` only.
 *
 * @example
 * ```ts
 * new Worker(new URL('./worker.js', import.meta.url), { workerData: { port, signal, init } });
 * ```
 */
import { isMainThread, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { GrowthCollector } from './memory.js';
import type { PoolTask, WorkerInit, WorkerReply } from './pool.js';
import { probesMatch, readNewRun } from './run-folder.js';
import type { NewRun, ReadContext } from './run-folder.js';

interface Data {
  port: MessagePort;
  signal: SharedArrayBuffer;
  init: WorkerInit;
}

if (!isMainThread && workerData && (workerData as Data).port) {
  const { port, signal, init } = workerData as Data;
  const sig = new Int32Array(signal);
  const ctx: ReadContext = { root: init.root, trustBefore: init.trustBefore, emit: false };
  // Counters shared with the pool: 0 wakes it up, 1 counts started workers, 2 runs read.
  const wake = (): void => {
    Atomics.add(sig, 0, 1);
    Atomics.notify(sig, 0);
  };
  const reply = (r: WorkerReply): void => {
    port.postMessage(r);
    wake();
  };
  Atomics.add(sig, 1, 1);
  wake();
  // Each worker has its own heap, and its garbage adds to the process's RSS as the main thread's does.
  const gc = new GrowthCollector(32e6);
  port.on('message', ({ id, task }: { id: number; task: PoolTask }) => {
    gc.check();
    try {
      if (task.kind === 'probe') {
        const changed: number[] = [];
        task.items.forEach(([runDir, probe, sigText, msig], i) => {
          if (!probesMatch(runDir, probe, sigText, msig)) changed.push(i);
          Atomics.add(sig, 2, 1);
        });
        reply({ id, result: changed });
        return;
      }
      const runs: (NewRun | null)[] = [];
      for (const job of task.jobs) {
        const r: NewRun | undefined = readNewRun(ctx, job);
        runs.push(r ?? null);
        Atomics.add(sig, 2, 1);
      }
      reply({ id, result: runs });
    } catch (e) {
      reply({ id, error: String((e as Error)?.stack ?? e) });
    }
  });
}
