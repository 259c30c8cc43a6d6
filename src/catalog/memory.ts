/**
 * Garbage collection hints for the catalog's long loops. A refresh of 100k runs allocates a few
 * hundred MB that die young but outlive V8's young generation (a page of rows lives while its
 * folders are probed), so V8, far from its heap limit, lets the heap grow and keeps the garbage
 * for minutes: measured 480 MB RSS for a watcher at 100k runs, 130 MB after one collection.
 *
 * @example
 * ```ts
 * const gc = new GrowthCollector(96e6);
 * for (const page of pages) { work(page); gc.check(); }
 * ```
 */
import v8 from 'node:v8';

/**
 * Runs a full collection now when the host process allows it (`globalThis.gc`: node
 * `--expose-gc`, or {@link enableGarbageCollection} called by a CLI entry point such as
 * `mlruns watch`); otherwise does nothing and returns false. The library never changes V8's
 * flags itself.
 */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  gc();
  return true;
}

/**
 * For entry points only (a CLI command, never library code): exposes `globalThis.gc` in this
 * process, so the catalog's long loops and the watcher can return their garbage to the system
 * (threads started after this call get it too).
 *
 * @example
 * ```ts
 * enableGarbageCollection(); // at the start of `mlruns watch`
 * ```
 */
export async function enableGarbageCollection(): Promise<void> {
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') return;
  const vm = await import('node:vm');
  try {
    v8.setFlagsFromString('--expose-gc');
    (globalThis as { gc?: unknown }).gc = vm.runInNewContext('gc') as () => void;
  } catch {
    /* this V8 refuses: collections stay V8's own */
  }
}

/** Collects when the heap holds more than `thresholdBytes` (a watcher's live data is ~60 MB at 100k runs). */
export function collectIfLarge(thresholdBytes = 128e6): void {
  if (heapUsed() >= thresholdBytes) collectGarbage();
}

/** Bytes used on this thread's V8 heap (cheaper than process.memoryUsage(), which reads /proc). */
const heapUsed = (): number => v8.getHeapStatistics().used_heap_size;

/**
 * Collects when the heap has grown by `growthBytes` since the last collection (or since it was
 * made): in a process whose own data is large, a collection costs more, so it is paid only per
 * `growthBytes` allocated by the loop, never per call.
 */
export class GrowthCollector {
  private base = heapUsed();

  constructor(private readonly growthBytes: number) {}

  check(): void {
    if (heapUsed() - this.base < this.growthBytes) return;
    collectGarbage();
    this.base = heapUsed();
  }
}
