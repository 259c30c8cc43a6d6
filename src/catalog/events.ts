/**
 * Typed change events found by a catalog refresh (and streamed by the watcher).
 *
 * @example
 * ```ts
 * import type { ChangeEvent } from './events.js';
 * const e: ChangeEvent = { type: 'run_created', experimentId: '0', runId: 'abc', runName: 'r', status: 'RUNNING' };
 * ```
 */
import type { RunStatus } from '../entities.js';

/**
 * One metric point as appended to a metric file.
 *
 * @example
 * ```ts
 * const p: MetricPoint = { value: 0.5, step: 3, timestamp: 1700000000000 };
 * ```
 */
export interface MetricPoint {
  value: number;
  step: number;
  timestamp: number;
}

/**
 * A change seen in the files: runs created/deleted/restored, params and tags set, metric points
 * appended (or a metric file rewritten), status changes, experiments created/renamed/deleted/restored.
 * `removed: true` on a delete means the folder itself disappeared (rather than a soft delete).
 *
 * @example
 * ```ts
 * const e: ChangeEvent = { type: 'metrics_appended', experimentId: '0', runId: 'abc', key: 'loss', points: [{ value: 1, step: 0, timestamp: 1 }], rewritten: false };
 * ```
 */
export type ChangeEvent =
  | { type: 'run_created'; experimentId: string; runId: string; runName: string | null; status: RunStatus }
  | { type: 'params_set'; experimentId: string; runId: string; params: Record<string, string> }
  | { type: 'tags_set'; experimentId: string; runId: string; tags: Record<string, string>; deleted: string[] }
  | { type: 'metrics_appended'; experimentId: string; runId: string; key: string; points: MetricPoint[]; rewritten: boolean }
  | { type: 'status_changed'; experimentId: string; runId: string; from: RunStatus; to: RunStatus; endTime: number | null }
  | { type: 'run_deleted'; experimentId: string; runId: string; removed: boolean }
  | { type: 'run_restored'; experimentId: string; runId: string }
  | { type: 'experiment_created'; experimentId: string; name: string }
  | { type: 'experiment_renamed'; experimentId: string; from: string; to: string }
  | { type: 'experiment_deleted'; experimentId: string; name: string | null; removed: boolean }
  | { type: 'experiment_restored'; experimentId: string; name: string | null };

/**
 * The `type` strings of {@link ChangeEvent}.
 *
 * @example
 * ```ts
 * const t: ChangeEventType = 'status_changed';
 * ```
 */
export type ChangeEventType = ChangeEvent['type'];

/**
 * JSON for a change event, one line of NDJSON: non-finite metric values become the strings
 * `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON has no such numbers).
 *
 * @example
 * ```ts
 * eventToJson({ type: 'run_restored', experimentId: '0', runId: 'abc' }); // '{"type":"run_restored",...}'
 * ```
 */
export function eventToJson(e: ChangeEvent): string {
  return JSON.stringify(e, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    return v;
  });
}
