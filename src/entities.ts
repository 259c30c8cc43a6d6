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

/**
 * `RunStatus` names; stored on disk as ints (RUNNING=1 ... KILLED=5).
 *
 * @example
 * ```ts
 * const status: RunStatus = (await client.getRun(runId)).info.status; // 'RUNNING'
 * ```
 */
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
/**
 * Whether an experiment or run is live or in the trash (`deleteRun` / `restoreRun`).
 *
 * @example
 * ```ts
 * const stage: LifecycleStage = (await client.getExperiment(expId)).lifecycleStage; // 'active'
 * ```
 */
export type LifecycleStage = 'active' | 'deleted';
/**
 * Which entities a listing includes, by lifecycle stage.
 *
 * @example
 * ```ts
 * const view: ViewType = 'DELETED_ONLY';
 * await client.searchRuns([expId], '', { runViewType: view });
 * ```
 */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
/**
 * Where a run came from (MLflow's `SourceType`, the `mlflow.source.type` tag).
 *
 * @example
 * ```ts
 * const source: SourceType = 'LOCAL';
 * ```
 */
export type SourceType = 'NOTEBOOK' | 'JOB' | 'PROJECT' | 'LOCAL' | 'UNKNOWN';

/**
 * The int each run status is stored as in `meta.yaml` (`status: 3` is FINISHED).
 *
 * @example
 * ```ts
 * RUN_STATUS_TO_INT.FINISHED; // 3
 * ```
 */
export const RUN_STATUS_TO_INT: Readonly<Record<RunStatus, number>> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};
/**
 * The run status of a `meta.yaml` int.
 *
 * @example
 * ```ts
 * RUN_STATUS_FROM_INT[3]; // 'FINISHED'
 * ```
 */
export const RUN_STATUS_FROM_INT: Readonly<Record<number, RunStatus>> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};
/**
 * The int each source type is stored as in a run's `meta.yaml` (`source_type`).
 *
 * @example
 * ```ts
 * SOURCE_TYPE_TO_INT.LOCAL; // 4
 * ```
 */
export const SOURCE_TYPE_TO_INT: Readonly<Record<SourceType, number>> = {
  NOTEBOOK: 1,
  JOB: 2,
  PROJECT: 3,
  LOCAL: 4,
  UNKNOWN: 5,
};

/**
 * An experiment, as `MlflowClient.getExperiment` returns it.
 *
 * @example
 * ```ts
 * const exp: Experiment = await client.getExperiment(expId);
 * console.log(exp.name, exp.lifecycleStage, exp.tags['team']);
 * ```
 */
export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  tags: Record<string, string>;
  creationTime: number | null;
  lastUpdateTime: number | null;
}

/**
 * A run's metadata (its `meta.yaml`): ids, name, user, status, times, artifact root.
 *
 * @example
 * ```ts
 * const info: RunInfo = (await client.getRun(runId)).info;
 * if (info.status === 'FINISHED') console.log(info.runName, info.endTime! - info.startTime!);
 * ```
 */
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

/**
 * One logged metric value.
 *
 * @example
 * ```ts
 * const history: Metric[] = await client.getMetricHistory(runId, 'loss');
 * for (const m of history) console.log(m.step, m.timestamp, m.value);
 * ```
 */
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

/**
 * A run parameter: a key and its value as a string (Python's `str()` of what was logged).
 *
 * @example
 * ```ts
 * const p: Param = { key: 'lr', value: '0.1' };
 * await client.store.logParam(runId, p);
 * ```
 */
export interface Param {
  key: string;
  value: string;
}

/**
 * A tag of a run or an experiment.
 *
 * @example
 * ```ts
 * const tag: RunTag = { key: 'team', value: 'ml' };
 * await client.store.setTag(runId, tag);
 * ```
 */
export interface RunTag {
  key: string;
  value: string;
}

/**
 * A run's latest metrics, params and tags, as plain objects keyed by name.
 *
 * @example
 * ```ts
 * const data: RunData = (await client.getRun(runId)).data;
 * console.log(data.metrics['loss'], data.params['lr'], data.tags['mlflow.runName']);
 * ```
 */
export interface RunData {
  /** Latest value of each metric (largest step, then timestamp, then value). */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/**
 * A dataset a run used (`mlflow.log_input`): name, digest, where it came from, schema, profile.
 *
 * @example
 * ```ts
 * const ds: Dataset = { name: 'iris', digest: 'a1b2c3', sourceType: 'local', source: '{"uri": "iris.csv"}', schema: null, profile: null };
 * ```
 */
export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

/**
 * A tag of a dataset input (e.g. `mlflow.data.context` = `training`).
 *
 * @example
 * ```ts
 * const context: InputTag = { key: 'mlflow.data.context', value: 'training' };
 * ```
 */
export interface InputTag {
  key: string;
  value: string;
}

/**
 * A dataset logged as a run input, with its input tags.
 *
 * @example
 * ```ts
 * const input: DatasetInput = { dataset, tags: [{ key: 'mlflow.data.context', value: 'training' }] };
 * await client.logInputs(runId, [input]);
 * ```
 */
export interface DatasetInput {
  dataset: Dataset;
  tags: InputTag[];
}

/**
 * A logged model a run used as an input (MLflow 3).
 *
 * @example
 * ```ts
 * await client.logInputs(runId, [], [{ modelId: model.modelId }]);
 * ```
 */
export interface LoggedModelInput {
  modelId: string;
}

/**
 * A logged model a run produced, at a step (MLflow 3).
 *
 * @example
 * ```ts
 * await client.logOutputs(runId, [{ modelId: model.modelId, step: 10 }]);
 * ```
 */
export interface LoggedModelOutput {
  modelId: string;
  step: number;
}

/**
 * What a run used: datasets and logged models.
 *
 * @example
 * ```ts
 * const { datasetInputs } = (await client.getRun(runId)).inputs;
 * console.log(datasetInputs.map((d) => d.dataset.name));
 * ```
 */
export interface RunInputs {
  datasetInputs: DatasetInput[];
  modelInputs: LoggedModelInput[];
}

/**
 * What a run produced: logged models (MLflow 3).
 *
 * @example
 * ```ts
 * const { modelOutputs } = (await client.getRun(runId)).outputs;
 * ```
 */
export interface RunOutputs {
  modelOutputs: LoggedModelOutput[];
}

/**
 * A run: its info, data (metrics, params, tags), inputs and outputs.
 *
 * @example
 * ```ts
 * const run: Run = await client.getRun(runId);
 * console.log(run.info.status, run.data.metrics, run.inputs.datasetInputs.length);
 * ```
 */
export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: RunInputs;
  outputs: RunOutputs;
}

/**
 * A page of results and the token of the next page (null when there is none).
 *
 * @example
 * ```ts
 * let page: PagedList<Run> = await client.store.searchRuns([expId], { maxResults: 100 });
 * while (page.token) page = await client.store.searchRuns([expId], { maxResults: 100, pageToken: page.token });
 * ```
 */
export interface PagedList<T> {
  items: T[];
  token: string | null;
}

/**
 * The status of an MLflow 3 logged model (PENDING until finalized).
 *
 * @example
 * ```ts
 * await client.finalizeLoggedModel(model.modelId, 'READY' satisfies LoggedModelStatus);
 * ```
 */
export type LoggedModelStatus = 'LOGGED_MODEL_STATUS_UNSPECIFIED' | 'PENDING' | 'READY' | 'FAILED';
/**
 * The int each logged-model status is stored as in its `meta.yaml`.
 *
 * @example
 * ```ts
 * LOGGED_MODEL_STATUS_TO_INT.READY; // 2
 * ```
 */
export const LOGGED_MODEL_STATUS_TO_INT: Readonly<Record<LoggedModelStatus, number>> = {
  LOGGED_MODEL_STATUS_UNSPECIFIED: 0,
  PENDING: 1,
  READY: 2,
  FAILED: 3,
};

/**
 * An MLflow 3 logged model (`<experiment>/models/m-<hex>/`).
 *
 * @example
 * ```ts
 * const model: LoggedModel = await client.createLoggedModel(expId, { name: 'clf', sourceRunId: runId });
 * console.log(model.modelUri); // 'models:/m-…'
 * ```
 */
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

/**
 * The legacy registry stages of a model version.
 *
 * @example
 * ```ts
 * const stage: ModelVersionStage = 'Production';
 * await client.transitionModelVersionStage('iris', 1, stage);
 * ```
 */
export type ModelVersionStage = 'None' | 'Staging' | 'Production' | 'Archived';
/**
 * The registration status of a model version (versions mlruns writes are READY).
 *
 * @example
 * ```ts
 * const ready = (await client.getModelVersion('iris', 1)).status === ('READY' satisfies ModelVersionStatus);
 * ```
 */
export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';

/**
 * A registered model: description, tags, aliases and the latest version of each stage.
 *
 * @example
 * ```ts
 * const rm: RegisteredModel = await client.getRegisteredModel('iris');
 * console.log(rm.aliases['champion'], rm.latestVersions.map((v) => v.version));
 * ```
 */
export interface RegisteredModel {
  name: string;
  creationTimestamp: number | null;
  lastUpdatedTimestamp: number | null;
  description: string | null;
  latestVersions: ModelVersion[];
  tags: Record<string, string>;
  aliases: Record<string, string>;
}

/**
 * A version of a registered model: source, run, stage, tags and aliases.
 *
 * @example
 * ```ts
 * const mv: ModelVersion = await client.getModelVersionByAlias('iris', 'champion');
 * console.log(mv.version, mv.source, mv.currentStage);
 * ```
 */
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
