import type {
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelInput,
  LoggedModelOutput,
  LoggedModelStatus,
  Metric,
  Param,
  Run,
  RunInfo,
  RunStatus,
  RunTag,
  ViewType,
} from '../entities.js';
import { MlflowError, invalidParameter } from '../errors.js';
import { VIEW_TYPE, checkArgs, checkOptions } from './args.js';
import type { ReadWarning } from '../errors.js';
import { pythonStr } from '../format/float.js';
import type { TrackingStore } from '../store/tracking-store.js';
import { openRegistryStore, openTrackingStore, resolveRegistryUri } from './stores.js';
import type { StoreOptions } from './stores.js';
import type { ArtifactRepository, FileInfo } from '../store/artifact-repository.js';
import { resolveTrackingUri } from '../store/uri.js';

export { resolveTrackingUri };
import { RegistryClient } from './registry.js';

/** The explanation MLflow's client appends to an invalid-param error (`PARAM_VALIDATION_MSG`). */
export const PARAM_VALIDATION_MSG = `

The cause of this error is typically due to repeated calls
to an individual run_id event logging.

Incorrect Example:
---------------------------------------
with mlflow.start_run():
    mlflow.log_param("depth", 3)
    mlflow.log_param("depth", 5)
---------------------------------------

Which will throw an MlflowException for overwriting a
logged parameter.

Correct Example:
---------------------------------------
with mlflow.start_run():
    with mlflow.start_run(nested=True):
        mlflow.log_param("depth", 3)
    with mlflow.start_run(nested=True):
        mlflow.log_param("depth", 5)
---------------------------------------

Which will create a new nested run for each individual
model and prevent parameter key collisions within the
tracking store.`;

/** Options of {@link MlflowClient}. */
export interface MlflowClientOptions extends StoreOptions {}

const RUN_STATUSES: ReadonlySet<string> = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

function checkStatus(status: string): RunStatus {
  const s = status.toUpperCase();
  if (!RUN_STATUSES.has(s)) {
    throw invalidParameter(`Invalid run status '${status}': expected one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED`);
  }
  return s as RunStatus;
}

function checkMetricValue(key: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw invalidParameter(
    `Got invalid value ${JSON.stringify(value)} for metric '${key}' (timestamp=?). Please specify value as a valid double (64-bit floating point)`,
  );
}

/**
 * MLflow's `MlflowClient`, in camelCase, over the file store. Optional arguments go in one
 * trailing options object.
 *
 * @example
 * ```ts
 * const client = new MlflowClient('./mlruns');
 * const expId = await client.createExperiment('sweep');
 * const run = await client.createRun(expId, { runName: 'lr-0.1' });
 * await client.logParam(run.info.runId, 'lr', 0.1);
 * await client.logMetric(run.info.runId, 'loss', 0.25, { step: 1 });
 * await client.setTerminated(run.info.runId);
 * const { runs } = await client.searchRuns([expId], 'metrics.loss < 0.5');
 * ```
 */
export class MlflowClient {
  readonly trackingUri: string;
  /** The tracking store the URI's scheme picked (a file store for paths and `file:` URIs). */
  readonly store: TrackingStore;
  /** The model-registry half (`<root>/models/` for a file store); its methods are also on the client itself. */
  readonly registry: RegistryClient;

  constructor(trackingUri?: string | null, options: MlflowClientOptions = {}) {
    this.trackingUri = resolveTrackingUri(trackingUri);
    this.store = openTrackingStore(this.trackingUri, options);
    const registryStore = openRegistryStore(resolveRegistryUri(this.trackingUri, options.registryUri), this.store, options);
    this.registry = new RegistryClient(this.trackingUri, { ...options, trackingStore: this.store, registryStore });
  }

  /** Releases the stores' connections (a catalog, a database); the client must not be used afterwards. */
  close(): void {
    this.store.close();
  }

  /** Problems met while reading damaged data. */
  get warnings(): readonly ReadWarning[] {
    return this.store.warnings;
  }

  // ------------------------------------------------------------ experiments

  /** Creates an experiment and returns its id. */
  async createExperiment(
    name: string,
    options: { artifactLocation?: string | null; tags?: Record<string, unknown> } = {},
  ): Promise<string> {
    checkArgs('MlflowClient.createExperiment', { name: [name, 'string'] });
    checkOptions('MlflowClient.createExperiment', options, { artifactLocation: 'string?', tags: 'record?' });
    const tags = Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value: pythonStr(value) }));
    return this.store.createExperiment(name, options.artifactLocation ?? null, tags);
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    checkArgs('MlflowClient.getExperiment', { experimentId: [experimentId, 'id'] });
    return this.store.getExperiment(String(experimentId));
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    checkArgs('MlflowClient.getExperimentByName', { name: [name, 'string'] });
    return this.store.getExperimentByName(name);
  }

  /** Experiments of a view type, filtered and ordered with MLflow's experiment grammar. */
  async searchExperiments(
    options: {
      viewType?: ViewType;
      maxResults?: number;
      filterString?: string | null;
      orderBy?: string[] | null;
      pageToken?: string | null;
    } = {},
  ): Promise<{ experiments: Experiment[]; token: string | null }> {
    checkOptions('MlflowClient.searchExperiments', options, { viewType: VIEW_TYPE, maxResults: 'int?', filterString: 'string?', orderBy: 'string[]?', pageToken: 'string?' });
    const page = await this.store.searchExperiments(options);
    return { experiments: page.items, token: page.token };
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    checkArgs('MlflowClient.renameExperiment', { experimentId: [experimentId, 'id'], newName: [newName, 'string'] });
    return this.store.renameExperiment(String(experimentId), newName);
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    checkArgs('MlflowClient.deleteExperiment', { experimentId: [experimentId, 'id'] });
    return this.store.deleteExperiment(String(experimentId));
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    checkArgs('MlflowClient.restoreExperiment', { experimentId: [experimentId, 'id'] });
    return this.store.restoreExperiment(String(experimentId));
  }

  async setExperimentTag(experimentId: string, key: string, value: unknown): Promise<void> {
    checkArgs('MlflowClient.setExperimentTag', { experimentId: [experimentId, 'id'], key: [key, 'string'], value: [value, 'any'] });
    return this.store.setExperimentTag(String(experimentId), { key, value: pythonStr(value) });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    checkArgs('MlflowClient.deleteExperimentTag', { experimentId: [experimentId, 'id'], key: [key, 'string'] });
    return this.store.deleteExperimentTag(String(experimentId), key);
  }

  // ------------------------------------------------------------ runs

  /**
   * Creates a run. `userId` comes from the `mlflow.user` tag, else 'unknown', as in Python.
   */
  async createRun(
    experimentId: string,
    options: { runName?: string | null; tags?: Record<string, unknown>; startTime?: number | null } = {},
  ): Promise<Run> {
    checkArgs('MlflowClient.createRun', { experimentId: [experimentId, 'id'] });
    checkOptions('MlflowClient.createRun', options, { runName: 'string?', tags: 'record?', startTime: 'int?' });
    const tags: RunTag[] = Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value: pythonStr(value) }));
    const userId = tags.find((t) => t.key === 'mlflow.user')?.value ?? 'unknown';
    return this.store.createRun({
      experimentId: String(experimentId),
      userId,
      startTime: options.startTime || Date.now(),
      tags,
      runName: options.runName ?? null,
    });
  }

  async getRun(runId: string): Promise<Run> {
    checkArgs('MlflowClient.getRun', { runId: [runId, 'string'] });
    return this.store.getRun(runId);
  }

  /** Updates a run's status and/or name (`update_run`). */
  async updateRun(runId: string, options: { status?: RunStatus | null; name?: string | null } = {}): Promise<RunInfo> {
    checkArgs('MlflowClient.updateRun', { runId: [runId, 'string'] });
    checkOptions('MlflowClient.updateRun', options, { status: 'string?', name: 'string?' });
    const run = await this.store.getRun(runId);
    const status = options.status ? checkStatus(options.status) : run.info.status;
    return this.store.updateRunInfo(runId, status, run.info.endTime, options.name ?? null);
  }

  /** Ends a run: status FINISHED unless given, end time now unless given. */
  async setTerminated(runId: string, status?: RunStatus | null, endTime?: number | null): Promise<void> {
    checkArgs('MlflowClient.setTerminated', { runId: [runId, 'string'], status: [status, 'string?'], endTime: [endTime, 'int?'] });
    await this.store.updateRunInfo(runId, checkStatus(status ?? 'FINISHED'), endTime || Date.now(), null);
  }

  async deleteRun(runId: string): Promise<void> {
    checkArgs('MlflowClient.deleteRun', { runId: [runId, 'string'] });
    return this.store.deleteRun(runId);
  }

  async restoreRun(runId: string): Promise<void> {
    checkArgs('MlflowClient.restoreRun', { runId: [runId, 'string'] });
    return this.store.restoreRun(runId);
  }

  /** Logs a param; the value is stored as Python's `str()` stores it (`true` → `True`). Returns the value. */
  async logParam<T>(runId: string, key: string, value: T): Promise<T> {
    checkArgs('MlflowClient.logParam', { runId: [runId, 'string'], key: [key, 'string'] });
    try {
      await this.store.logParam(runId, { key, value: pythonStr(value) });
    } catch (err) {
      // As Python's client: invalid-parameter errors get MLflow's explanation appended.
      if (err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE') {
        throw new MlflowError('INVALID_PARAMETER_VALUE', `${err.message}${PARAM_VALIDATION_MSG}`, { cause: err, path: err.path });
      }
      throw err;
    }
    return value;
  }

  async logMetric(
    runId: string,
    key: string,
    value: number,
    options: {
      timestamp?: number | null;
      step?: number | null;
      datasetName?: string | null;
      datasetDigest?: string | null;
      modelId?: string | null;
    } = {},
  ): Promise<void> {
    checkArgs('MlflowClient.logMetric', { runId: [runId, 'string'], key: [key, 'string'] });
    checkOptions('MlflowClient.logMetric', options, { timestamp: 'int?', step: 'int?', datasetName: 'string?', datasetDigest: 'string?', modelId: 'string?' });
    await this.store.logMetric(runId, {
      key,
      value: checkMetricValue(key, value),
      timestamp: options.timestamp ?? Date.now(),
      step: options.step ?? 0,
      datasetName: options.datasetName ?? null,
      datasetDigest: options.datasetDigest ?? null,
      modelId: options.modelId ?? null,
    });
  }

  /**
   * Logs metrics, params and tags at once, split into MLflow's batch sizes (100 params/tags and
   * 1000 entities per request) as the Python client does.
   */
  async logBatch(
    runId: string,
    batch: {
      metrics?: Array<Partial<Metric> & { key: string; value: number }>;
      params?: Array<{ key: string; value: unknown }>;
      tags?: Array<{ key: string; value: unknown }>;
    },
  ): Promise<void> {
    checkArgs('MlflowClient.logBatch', { runId: [runId, 'string'] });
    checkOptions('MlflowClient.logBatch', batch, { metrics: 'array?', params: 'array?', tags: 'array?' }, 'batch');
    const now = Date.now();
    const metrics: Metric[] = (batch.metrics ?? []).map((m) => ({
      key: m.key,
      value: checkMetricValue(m.key, m.value),
      timestamp: m.timestamp ?? now,
      step: m.step ?? 0,
      datasetName: m.datasetName ?? null,
      datasetDigest: m.datasetDigest ?? null,
      modelId: m.modelId ?? null,
    }));
    const params: Param[] = (batch.params ?? []).map((p) => ({ key: p.key, value: pythonStr(p.value) }));
    const tags: RunTag[] = (batch.tags ?? []).map((t) => ({ key: t.key, value: pythonStr(t.value) }));
    if (metrics.length === 0 && params.length === 0 && tags.length === 0) return;
    const chunks = <T>(xs: T[], n: number): T[][] => {
      const out: T[][] = [];
      for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
      return out;
    };
    const paramBatches = chunks(params, 100);
    const tagBatches = chunks(tags, 100);
    let mi = 0;
    const rounds = Math.max(paramBatches.length, tagBatches.length);
    for (let i = 0; i < rounds; i++) {
      const p = paramBatches[i] ?? [];
      const t = tagBatches[i] ?? [];
      const room = 1000 - p.length - t.length;
      const m = metrics.slice(mi, mi + room);
      mi += m.length;
      await this.store.logBatch(runId, { metrics: m, params: p, tags: t });
    }
    while (mi < metrics.length) {
      const m = metrics.slice(mi, mi + 1000);
      mi += m.length;
      await this.store.logBatch(runId, { metrics: m, params: [], tags: [] });
    }
  }

  async setTag(runId: string, key: string, value: unknown): Promise<void> {
    checkArgs('MlflowClient.setTag', { runId: [runId, 'string'], key: [key, 'string'] });
    return this.store.setTag(runId, { key, value: pythonStr(value) });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    checkArgs('MlflowClient.deleteTag', { runId: [runId, 'string'], key: [key, 'string'] });
    return this.store.deleteTag(runId, key);
  }

  /** Every logged value of a metric, in the order logged. */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    checkArgs('MlflowClient.getMetricHistory', { runId: [runId, 'string'], key: [key, 'string'] });
    const page = await this.store.getMetricHistory(runId, key);
    return page.items;
  }

  async logInputs(runId: string, datasets?: DatasetInput[] | null, models?: LoggedModelInput[] | null): Promise<void> {
    checkArgs('MlflowClient.logInputs', { runId: [runId, 'string'], datasets: [datasets, 'array?'], models: [models, 'array?'] });
    return this.store.logInputs(runId, datasets ?? [], models ?? []);
  }

  async logOutputs(runId: string, models: LoggedModelOutput[]): Promise<void> {
    checkArgs('MlflowClient.logOutputs', { runId: [runId, 'string'], models: [models, 'array'] });
    return this.store.logOutputs(runId, models);
  }

  /**
   * Runs of the given experiments matching MLflow's filter grammar, in `orderBy` order.
   * `viewType` as in {@link searchExperiments}; `runViewType` (Python's name) is the same option.
   */
  async searchRuns(
    experimentIds: string | number | Array<string | number>,
    filterString: string | null = '',
    options: { viewType?: ViewType; runViewType?: ViewType; maxResults?: number; orderBy?: string[] | null; pageToken?: string | null } = {},
  ): Promise<{ runs: Run[]; token: string | null }> {
    if (!Array.isArray(experimentIds)) checkArgs('MlflowClient.searchRuns', { experimentIds: [experimentIds, 'id'] });
    else for (const id of experimentIds) checkArgs('MlflowClient.searchRuns', { 'experimentIds[]': [id, 'id'] });
    checkArgs('MlflowClient.searchRuns', { filterString: [filterString, 'string?'] });
    checkOptions('MlflowClient.searchRuns', options, { viewType: VIEW_TYPE, runViewType: VIEW_TYPE, maxResults: 'int?', orderBy: 'string[]?', pageToken: 'string?' });
    if (options.viewType && options.runViewType && options.viewType !== options.runViewType) {
      throw invalidParameter(`MlflowClient.searchRuns: options 'viewType' (${options.viewType}) and 'runViewType' (${options.runViewType}) disagree; give one`);
    }
    const ids = (Array.isArray(experimentIds) ? experimentIds : [experimentIds]).map(String);
    const { viewType, runViewType, ...rest } = options;
    const view = viewType ?? runViewType;
    const page = await this.store.searchRuns(ids, { ...rest, ...(view ? { runViewType: view } : {}), filterString: filterString ?? '' });
    return { runs: page.items, token: page.token };
  }

  // ------------------------------------------------------------ artifacts

  private async artifactRepo(runId: string): Promise<ArtifactRepository> {
    return this.store.artifactRepository(runId);
  }

  /** Copies a local file into the run's artifacts (under `artifactPath` when given). */
  async logArtifact(runId: string, localPath: string, artifactPath?: string | null): Promise<void> {
    checkArgs('MlflowClient.logArtifact', { runId: [runId, 'string'], localPath: [localPath, 'string'], artifactPath: [artifactPath, 'string?'] });
    await (await this.artifactRepo(runId)).logArtifact(localPath, artifactPath);
  }

  /** Copies a local folder's contents into the run's artifacts. */
  async logArtifacts(runId: string, localDir: string, artifactPath?: string | null): Promise<void> {
    checkArgs('MlflowClient.logArtifacts', { runId: [runId, 'string'], localDir: [localDir, 'string'], artifactPath: [artifactPath, 'string?'] });
    await (await this.artifactRepo(runId)).logArtifacts(localDir, artifactPath);
  }

  async logText(runId: string, text: string, artifactFile: string): Promise<void> {
    checkArgs('MlflowClient.logText', { runId: [runId, 'string'], text: [text, 'string'], artifactFile: [artifactFile, 'string'] });
    await (await this.artifactRepo(runId)).logText(text, artifactFile);
  }

  /** Logs a dictionary as JSON, or YAML for `.yml`/`.yaml` files. */
  async logDict(runId: string, dictionary: Record<string, unknown>, artifactFile: string): Promise<void> {
    checkArgs('MlflowClient.logDict', { runId: [runId, 'string'], dictionary: [dictionary, 'record'], artifactFile: [artifactFile, 'string'] });
    await (await this.artifactRepo(runId)).logDict(dictionary, artifactFile);
  }

  async listArtifacts(runId: string, path?: string | null): Promise<FileInfo[]> {
    checkArgs('MlflowClient.listArtifacts', { runId: [runId, 'string'], path: [path, 'string?'] });
    return (await this.artifactRepo(runId)).listArtifacts(path);
  }

  /** Local path of an artifact, copied to `dstPath` first when given. */
  async downloadArtifacts(runId: string, path: string, dstPath?: string | null): Promise<string> {
    checkArgs('MlflowClient.downloadArtifacts', { runId: [runId, 'string'], path: [path, 'string'], dstPath: [dstPath, 'string?'] });
    return (await this.artifactRepo(runId)).downloadArtifacts(path, dstPath);
  }

  // ------------------------------------------------------------ logged models (MLflow 3)

  async createLoggedModel(
    experimentId: string,
    options: {
      name?: string | null;
      sourceRunId?: string | null;
      tags?: Record<string, unknown>;
      params?: Record<string, unknown>;
      modelType?: string | null;
    } = {},
  ): Promise<LoggedModel> {
    checkArgs('MlflowClient.createLoggedModel', { experimentId: [experimentId, 'id'] });
    checkOptions('MlflowClient.createLoggedModel', options, { name: 'string?', sourceRunId: 'string?', tags: 'record?', params: 'record?', modelType: 'string?' });
    return this.store.createLoggedModel({
      experimentId: String(experimentId),
      name: options.name ?? null,
      sourceRunId: options.sourceRunId ?? null,
      tags: Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value: pythonStr(value) })),
      params: Object.entries(options.params ?? {}).map(([key, value]) => ({ key, value: pythonStr(value) })),
      modelType: options.modelType ?? null,
    });
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    checkArgs('MlflowClient.getLoggedModel', { modelId: [modelId, 'string'] });
    return this.store.getLoggedModel(modelId);
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    checkArgs('MlflowClient.finalizeLoggedModel', { modelId: [modelId, 'string'], status: [status, 'string'] });
    return this.store.finalizeLoggedModel(modelId, status);
  }

  async logModelParams(modelId: string, params: Record<string, unknown>): Promise<void> {
    checkArgs('MlflowClient.logModelParams', { modelId: [modelId, 'string'], params: [params, 'record'] });
    return this.store.logLoggedModelParams(
      modelId,
      Object.entries(params).map(([key, value]) => ({ key, value: pythonStr(value) })),
    );
  }

  async setLoggedModelTags(modelId: string, tags: Record<string, unknown>): Promise<void> {
    checkArgs('MlflowClient.setLoggedModelTags', { modelId: [modelId, 'string'], tags: [tags, 'record'] });
    return this.store.setLoggedModelTags(
      modelId,
      Object.entries(tags).map(([key, value]) => ({ key, value: pythonStr(value) })),
    );
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    checkArgs('MlflowClient.deleteLoggedModelTag', { modelId: [modelId, 'string'], key: [key, 'string'] });
    return this.store.deleteLoggedModelTag(modelId, key);
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    checkArgs('MlflowClient.deleteLoggedModel', { modelId: [modelId, 'string'] });
    return this.store.deleteLoggedModel(modelId);
  }

  /** The logged models of experiments (not deleted). */
  async searchLoggedModels(experimentIds: Array<string | number>): Promise<LoggedModel[]> {
    checkArgs('MlflowClient.searchLoggedModels', { experimentIds: [experimentIds, 'array'] });
    return this.store.listLoggedModels(experimentIds.map(String));
  }

  // ------------------------------------------------------------ model registry (delegates to RegistryClient)

  createRegisteredModel(...args: Parameters<RegistryClient['createRegisteredModel']>): ReturnType<RegistryClient['createRegisteredModel']> {
    return this.registry.createRegisteredModel(...args);
  }

  getRegisteredModel(...args: Parameters<RegistryClient['getRegisteredModel']>): ReturnType<RegistryClient['getRegisteredModel']> {
    return this.registry.getRegisteredModel(...args);
  }

  renameRegisteredModel(...args: Parameters<RegistryClient['renameRegisteredModel']>): ReturnType<RegistryClient['renameRegisteredModel']> {
    return this.registry.renameRegisteredModel(...args);
  }

  updateRegisteredModel(...args: Parameters<RegistryClient['updateRegisteredModel']>): ReturnType<RegistryClient['updateRegisteredModel']> {
    return this.registry.updateRegisteredModel(...args);
  }

  deleteRegisteredModel(...args: Parameters<RegistryClient['deleteRegisteredModel']>): ReturnType<RegistryClient['deleteRegisteredModel']> {
    return this.registry.deleteRegisteredModel(...args);
  }

  searchRegisteredModels(...args: Parameters<RegistryClient['searchRegisteredModels']>): ReturnType<RegistryClient['searchRegisteredModels']> {
    return this.registry.searchRegisteredModels(...args);
  }

  setRegisteredModelTag(...args: Parameters<RegistryClient['setRegisteredModelTag']>): ReturnType<RegistryClient['setRegisteredModelTag']> {
    return this.registry.setRegisteredModelTag(...args);
  }

  deleteRegisteredModelTag(...args: Parameters<RegistryClient['deleteRegisteredModelTag']>): ReturnType<RegistryClient['deleteRegisteredModelTag']> {
    return this.registry.deleteRegisteredModelTag(...args);
  }

  createModelVersion(...args: Parameters<RegistryClient['createModelVersion']>): ReturnType<RegistryClient['createModelVersion']> {
    return this.registry.createModelVersion(...args);
  }

  getModelVersion(...args: Parameters<RegistryClient['getModelVersion']>): ReturnType<RegistryClient['getModelVersion']> {
    return this.registry.getModelVersion(...args);
  }

  updateModelVersion(...args: Parameters<RegistryClient['updateModelVersion']>): ReturnType<RegistryClient['updateModelVersion']> {
    return this.registry.updateModelVersion(...args);
  }

  deleteModelVersion(...args: Parameters<RegistryClient['deleteModelVersion']>): ReturnType<RegistryClient['deleteModelVersion']> {
    return this.registry.deleteModelVersion(...args);
  }

  searchModelVersions(...args: Parameters<RegistryClient['searchModelVersions']>): ReturnType<RegistryClient['searchModelVersions']> {
    return this.registry.searchModelVersions(...args);
  }

  getLatestVersions(...args: Parameters<RegistryClient['getLatestVersions']>): ReturnType<RegistryClient['getLatestVersions']> {
    return this.registry.getLatestVersions(...args);
  }

  transitionModelVersionStage(...args: Parameters<RegistryClient['transitionModelVersionStage']>): ReturnType<RegistryClient['transitionModelVersionStage']> {
    return this.registry.transitionModelVersionStage(...args);
  }

  setModelVersionTag(...args: Parameters<RegistryClient['setModelVersionTag']>): ReturnType<RegistryClient['setModelVersionTag']> {
    return this.registry.setModelVersionTag(...args);
  }

  deleteModelVersionTag(...args: Parameters<RegistryClient['deleteModelVersionTag']>): ReturnType<RegistryClient['deleteModelVersionTag']> {
    return this.registry.deleteModelVersionTag(...args);
  }

  getModelVersionDownloadUri(...args: Parameters<RegistryClient['getModelVersionDownloadUri']>): ReturnType<RegistryClient['getModelVersionDownloadUri']> {
    return this.registry.getModelVersionDownloadUri(...args);
  }

  setRegisteredModelAlias(...args: Parameters<RegistryClient['setRegisteredModelAlias']>): ReturnType<RegistryClient['setRegisteredModelAlias']> {
    return this.registry.setRegisteredModelAlias(...args);
  }

  deleteRegisteredModelAlias(...args: Parameters<RegistryClient['deleteRegisteredModelAlias']>): ReturnType<RegistryClient['deleteRegisteredModelAlias']> {
    return this.registry.deleteRegisteredModelAlias(...args);
  }

  getModelVersionByAlias(...args: Parameters<RegistryClient['getModelVersionByAlias']>): ReturnType<RegistryClient['getModelVersionByAlias']> {
    return this.registry.getModelVersionByAlias(...args);
  }

  registerModel(...args: Parameters<RegistryClient['registerModel']>): ReturnType<RegistryClient['registerModel']> {
    return this.registry.registerModel(...args);
  }
}
