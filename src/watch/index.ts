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
