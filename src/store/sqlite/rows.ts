/**
 * Rows and ids as MLflow's SQL store reads them (shared by the store and its search compiler).
 *
 * @example
 * ```ts
 * parseExperimentId('12'); // 12
 * ```
 */
import { invalidParameter } from '../../errors.js';

/**
 * `int(experiment_id)` as Python parses it, with MLflow's message on failure.
 *
 * @example
 * ```ts
 * parseExperimentId(' 1_0 '); // 10
 * ```
 */
export function parseExperimentId(experimentId: string | number | null | undefined): number {
  const s = String(experimentId);
  if (/^\s*[+-]?\d+(_\d+)*\s*$/.test(s)) return Number(s.replace(/_/g, '').trim());
  throw invalidParameter(`Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`);
}


/**
 * A row of the `runs` table, as the store selects it.
 *
 * @example
 * ```ts
 * const row = db.prepare('SELECT run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri, experiment_id FROM runs').get() as RunRow;
 * ```
 */
export interface RunRow {
  run_uuid: string;
  name: string | null;
  user_id: string | null;
  status: string | null;
  start_time: number | null;
  end_time: number | null;
  lifecycle_stage: string | null;
  artifact_uri: string | null;
  experiment_id: number;
}
