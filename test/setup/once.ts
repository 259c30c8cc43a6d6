/**
 * Something made once for the whole test run (a build, a database template), by whichever test
 * process needs it first: the others wait for it. A lock folder (mkdir is atomic) says who makes
 * it; a lock older than `staleMs` is taken to be left by a process that died making it.
 *
 * @example
 * ```ts
 * const file = makeOnce(`${target}.lock`, () => (fs.existsSync(target) ? target : undefined), () => {
 *   writeTemplate(target);
 *   return target;
 * });
 * ```
 */
import fs from 'node:fs';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Returns `ready()` once it is defined, calling `make()` under the lock when nobody else does. */
export function makeOnce<T>(lock: string, ready: () => T | undefined, make: () => T, staleMs = 300_000): T {
  for (;;) {
    const have = ready();
    if (have !== undefined) return have;
    try {
      fs.mkdirSync(lock);
    } catch {
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > staleMs) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      sleepSync(200);
      continue;
    }
    try {
      return ready() ?? make();
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}
