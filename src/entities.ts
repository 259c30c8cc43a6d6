/**
 * MLflow's entities, shaped like the Python client's (camelCase), as plain data.
 * Maps such as `run.data.params` are plain objects keyed by name, like Python's dicts.
 *
 * @example
 * ```ts
 * const run: Run = await client.getRun(runId);
 * if (run.info.status === 'FINISHED') console.log(run.data.metrics['loss']);
 * ```
 */

/** `RunStatus` names; stored on disk as ints (RUNNING=1 ... KILLED=5). */
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type LifecycleStage = 'active' | 'deleted';
/** Which entities a listing includes, by lifecycle stage. */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type SourceType = 'NOTEBOOK' | 'JOB' | 'PROJECT' | 'LOCAL' | 'UNKNOWN';

export const RUN_STATUS_TO_INT: Readonly<Record<RunStatus, number>> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};
export const RUN_STATUS_FROM_INT: Readonly<Record<number, RunStatus>> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};
export const SOURCE_TYPE_TO_INT: Readonly<Record<SourceType, number>> = {
  NOTEBOOK: 1,
  JOB: 2,
  PROJECT: 3,
  LOCAL: 4,
  UNKNOWN: 5,
};

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  tags: Record<string, string>;
  creationTime: number | null;
  lastUpdateTime: number | null;
}

export interface RunInfo {
  runId: string;
  /** Deprecated alias of runId, kept as Python keeps it. */
  runUuid: string;
  experimentId: string;
  /** null only for very old runs that have neither `run_name` nor an `mlflow.runName` tag. */
  runName: string | null;
  userId: string;
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  /** null when the meta.yaml has none (very old runs). */
  artifactUri: string | null;
  lifecycleStage: LifecycleStage;
}

/** One logged metric value. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  datasetName?: string | null;
  datasetDigest?: string | null;
  modelId?: string | null;
  runId?: string | null;
}

export interface Param {
  key: string;
  value: string;
}

export interface RunTag {
  key: string;
  value: string;
}

export interface RunData {
  /** Latest value of each metric (largest step, then timestamp, then value). */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface InputTag {
  key: string;
  value: string;
}

export interface DatasetInput {
  dataset: Dataset;
  tags: InputTag[];
}

export interface LoggedModelInput {
  modelId: string;
}

export interface LoggedModelOutput {
  modelId: string;
  step: number;
}

export interface RunInputs {
  datasetInputs: DatasetInput[];
  modelInputs: LoggedModelInput[];
}

export interface RunOutputs {
  modelOutputs: LoggedModelOutput[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: RunInputs;
  outputs: RunOutputs;
}

/** A page of results and the token of the next page (null when there is none). */
export interface PagedList<T> {
  items: T[];
  token: string | null;
}

export type LoggedModelStatus = 'LOGGED_MODEL_STATUS_UNSPECIFIED' | 'PENDING' | 'READY' | 'FAILED';
export const LOGGED_MODEL_STATUS_TO_INT: Readonly<Record<LoggedModelStatus, number>> = {
  LOGGED_MODEL_STATUS_UNSPECIFIED: 0,
  PENDING: 1,
  READY: 2,
  FAILED: 3,
};

/** An MLflow 3 logged model (`<experiment>/models/m-<hex>/`). */
export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactLocation: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  modelType: string | null;
  sourceRunId: string | null;
  status: LoggedModelStatus;
  statusMessage: string | null;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: Metric[];
  /** `models:/<model_id>` */
  modelUri: string;
}

export type ModelVersionStage = 'None' | 'Staging' | 'Production' | 'Archived';
export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

export interface RegisteredModel {
  name: string;
  creationTimestamp: number | null;
  lastUpdatedTimestamp: number | null;
  description: string | null;
  latestVersions: ModelVersion[];
  tags: Record<string, string>;
  aliases: Record<string, string>;
}

export interface ModelVersion {
  name: string;
  version: string;
  creationTimestamp: number | null;
  lastUpdatedTimestamp: number | null;
  description: string | null;
  userId: string | null;
  currentStage: string;
  source: string;
  runId: string | null;
  runLink: string | null;
  status: ModelVersionStatus;
  statusMessage: string | null;
  tags: Record<string, string>;
  aliases: string[];
  modelId: string | null;
  storageLocation?: string | null;
}
