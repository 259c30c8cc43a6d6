import type { Experiment, LifecycleStage, LoggedModel, LoggedModelStatus, RunInfo, RunStatus } from '../../entities.js';
import { LOGGED_MODEL_STATUS_TO_INT, RUN_STATUS_FROM_INT, RUN_STATUS_TO_INT } from '../../entities.js';

/**
 * The dicts MLflow persists in `meta.yaml` files, and the reverse: building entities from what
 * was read, with Python's reading rules (int ids cast to str, defaults for missing fields).
 * Pure: no fs here.
 */

/**
 * What we write.
 * - `compat` (default): what MLflow 2.22 writes (runs keep `run_uuid`); every MLflow 1.x-3.x reads it.
 * - `mlflow3`: byte for byte what the newest MLflow 3 (3.17) writes (no `run_uuid`; experiment
 *   `workspace`, `trace_location`, `effective_trace_archival_retention`).
 *
 * @example
 * ```ts
 * const profile: WriteProfile = 'mlflow3';
 * new MlflowClient('./mlruns', { profile });
 * ```
 */
export type WriteProfile = 'compat' | 'mlflow3';

export type YamlDict = Record<string, unknown>;

const MLFLOW3_EXPERIMENT_EXTRAS: YamlDict = {
  effective_trace_archival_retention: null,
  trace_location: null,
  workspace: 'default',
};

/** The experiment meta.yaml dict; `withTags` as rename/delete/restore write it. */
export function experimentToDict(
  exp: Experiment,
  profile: WriteProfile,
  options: { withTags?: boolean; previous?: YamlDict | null } = {},
): YamlDict {
  const d: YamlDict = {
    artifact_location: exp.artifactLocation,
    creation_time: exp.creationTime,
    experiment_id: exp.experimentId,
    last_update_time: exp.lastUpdateTime,
    lifecycle_stage: exp.lifecycleStage,
    name: exp.name,
  };
  if (profile === 'mlflow3') Object.assign(d, MLFLOW3_EXPERIMENT_EXTRAS);
  // Keep the 3.x-only keys an existing file already has, so a rewrite changes only what changed.
  const prev = options.previous;
  if (prev) {
    for (const k of Object.keys(MLFLOW3_EXPERIMENT_EXTRAS)) {
      if (k in prev) d[k] = prev[k];
    }
  }
  if (options.withTags) d['tags'] = { ...exp.tags };
  return d;
}

/** The run meta.yaml dict, as `_make_persisted_run_info_dict` builds it. */
export function runInfoToDict(
  info: RunInfo,
  profile: WriteProfile,
  deletedTime?: number | null,
): YamlDict {
  const d: YamlDict = {
    artifact_uri: info.artifactUri,
    end_time: info.endTime,
    entry_point_name: '',
    experiment_id: info.experimentId,
    lifecycle_stage: info.lifecycleStage,
    run_id: info.runId,
    run_name: info.runName,
    source_name: '',
    source_type: 4,
    source_version: '',
    start_time: info.startTime,
    status: RUN_STATUS_TO_INT[info.status],
    tags: [],
    user_id: info.userId,
  };
  if (profile === 'compat') d['run_uuid'] = info.runId;
  if (deletedTime !== undefined) d['deleted_time'] = deletedTime;
  return d;
}

const isPlainObject = (v: unknown): v is YamlDict =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

const asId = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isInteger(v) ? String(v) : undefined;

const asIntOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const LIFECYCLE: ReadonlySet<string> = new Set(['active', 'deleted']);

/** The result of reading a meta dict: the entity, or why it cannot be read. */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** `_read_persisted_experiment_dict` + `Experiment.from_dictionary`. Tags come from `tags/`. */
export function experimentFromDict(meta: unknown, tags: Record<string, string>): ReadResult<Experiment> {
  if (!isPlainObject(meta)) return { ok: false, reason: 'meta.yaml does not hold a mapping' };
  const experimentId = asId(meta['experiment_id']);
  if (experimentId === undefined) return { ok: false, reason: "meta.yaml has no 'experiment_id'" };
  if (!('name' in meta)) return { ok: false, reason: "meta.yaml has no 'name'" };
  if (!('artifact_location' in meta)) return { ok: false, reason: "meta.yaml has no 'artifact_location'" };
  if (!('lifecycle_stage' in meta)) return { ok: false, reason: "meta.yaml has no 'lifecycle_stage'" };
  const stage = meta['lifecycle_stage'];
  return {
    ok: true,
    value: {
      experimentId,
      name: meta['name'] === null ? '' : String(meta['name']),
      artifactLocation: meta['artifact_location'] === null ? '' : String(meta['artifact_location']),
      lifecycleStage: String(stage) as LifecycleStage,
      tags,
      creationTime: asIntOrNull(meta['creation_time']),
      lastUpdateTime: asIntOrNull(meta['last_update_time']),
    },
  };
}

/** `_read_persisted_run_info_dict` + `RunInfo.from_dictionary`, tolerant of 0.x files (`run_uuid` only). */
export function runInfoFromDict(meta: unknown): ReadResult<RunInfo> {
  if (!isPlainObject(meta)) return { ok: false, reason: 'meta.yaml does not hold a mapping' };
  const runId = asId(meta['run_id']) ?? asId(meta['run_uuid']);
  if (runId === undefined) return { ok: false, reason: "meta.yaml has no 'run_id'" };
  const experimentId = asId(meta['experiment_id']);
  if (experimentId === undefined) return { ok: false, reason: "meta.yaml has no 'experiment_id'" };
  const userId = meta['user_id'];
  if (userId === undefined || userId === null) return { ok: false, reason: "meta.yaml has no 'user_id'" };
  const startTime = meta['start_time'];
  if (startTime === undefined || startTime === null) return { ok: false, reason: "meta.yaml has no 'start_time'" };
  if (typeof startTime !== 'number') return { ok: false, reason: `invalid start_time ${JSON.stringify(startTime)}` };
  const rawStatus = 'status' in meta ? meta['status'] : 1;
  const status: RunStatus | undefined =
    typeof rawStatus === 'number' ? RUN_STATUS_FROM_INT[rawStatus] : undefined;
  if (status === undefined) return { ok: false, reason: `invalid run status ${JSON.stringify(rawStatus)}` };
  const stage = 'lifecycle_stage' in meta ? meta['lifecycle_stage'] : 'active';
  if (typeof stage !== 'string' || !LIFECYCLE.has(stage)) {
    return { ok: false, reason: `invalid lifecycle stage ${JSON.stringify(stage)}` };
  }
  const endTime = meta['end_time'];
  const runName = meta['run_name'];
  const artifactUri = meta['artifact_uri'];
  return {
    ok: true,
    value: {
      runId,
      runUuid: runId,
      experimentId,
      runName: runName === undefined || runName === null ? null : String(runName),
      userId: String(userId),
      status,
      startTime,
      endTime: typeof endTime === 'number' ? endTime : null,
      artifactUri: artifactUri === undefined || artifactUri === null ? null : String(artifactUri),
      lifecycleStage: stage as LifecycleStage,
    },
  };
}

export const LOGGED_MODEL_STATUS_FROM_INT: Readonly<Record<number, LoggedModelStatus>> = {
  0: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  1: 'PENDING',
  2: 'READY',
  3: 'FAILED',
};

/** `LoggedModel.to_dictionary()` minus tags, params, metrics (what the model's meta.yaml holds). */
export function loggedModelToDict(m: LoggedModel): YamlDict {
  return {
    artifact_location: m.artifactLocation,
    creation_timestamp: m.creationTimestamp,
    experiment_id: m.experimentId,
    last_updated_timestamp: m.lastUpdatedTimestamp,
    model_id: m.modelId,
    model_type: m.modelType,
    name: m.name,
    source_run_id: m.sourceRunId,
    status: LOGGED_MODEL_STATUS_TO_INT[m.status],
    status_message: m.statusMessage,
  };
}

export function loggedModelFromDict(meta: unknown): ReadResult<Omit<LoggedModel, 'tags' | 'params' | 'metrics'> & { lifecycleStage: string | null }> {
  if (!isPlainObject(meta)) return { ok: false, reason: 'meta.yaml does not hold a mapping' };
  const modelId = asId(meta['model_id']);
  const experimentId = asId(meta['experiment_id']);
  if (modelId === undefined) return { ok: false, reason: "meta.yaml has no 'model_id'" };
  if (experimentId === undefined) return { ok: false, reason: "meta.yaml has no 'experiment_id'" };
  const rawStatus = meta['status'];
  const status =
    typeof rawStatus === 'number'
      ? LOGGED_MODEL_STATUS_FROM_INT[rawStatus]
      : typeof rawStatus === 'string' && rawStatus in LOGGED_MODEL_STATUS_TO_INT
        ? (rawStatus as LoggedModelStatus)
        : undefined;
  if (status === undefined) return { ok: false, reason: `invalid logged model status ${JSON.stringify(rawStatus)}` };
  const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
  return {
    ok: true,
    value: {
      modelId,
      experimentId,
      name: String(meta['name'] ?? ''),
      artifactLocation: String(meta['artifact_location'] ?? ''),
      creationTimestamp: asIntOrNull(meta['creation_timestamp']) ?? 0,
      lastUpdatedTimestamp: asIntOrNull(meta['last_updated_timestamp']) ?? 0,
      modelType: str(meta['model_type']),
      sourceRunId: str(meta['source_run_id']),
      status,
      statusMessage: str(meta['status_message']),
      modelUri: `models:/${modelId}`,
      lifecycleStage: str(meta['lifecycle_stage']),
    },
  };
}
