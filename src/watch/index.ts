/**
 * The watcher process that keeps the catalog hot and streams typed change events.
 *
 * @example
 * ```ts
 * import { watch } from './index.js';
 * const w = watch('./mlruns');
 * ```
 */
export * from './watcher.js';
/**
 * Change event types, re-exported from the catalog (which finds the changes).
 *
 * @example
 * ```ts
 * import type { ChangeEvent } from './index.js';
 * ```
 */
export type { ChangeEvent, ChangeEventType, MetricPoint } from '../catalog/events.js';
/**
 * NDJSON line of a change event (re-exported).
 *
 * @example
 * ```ts
 * eventToJson({ type: 'run_restored', experimentId: '0', runId: 'abc' });
 * ```
 */
export { eventToJson } from '../catalog/events.js';
/**
 * The watcher of an SQLite database (`sqlite:` URI).
 *
 * @example
 * ```ts
 * import { watchDatabase } from './index.js';
 * const w = watchDatabase('sqlite:///mlflow.db');
 * ```
 */
export { watchDatabase, DbWatcher } from './db-watcher.js';
/**
 * Options and counters of {@link watchDatabase}.
 *
 * @example
 * ```ts
 * const o: DbWatchOptions = { intervalMs: 100 };
 * ```
 */
export type { DbWatchOptions, DbWatcherStats } from './db-watcher.js';
