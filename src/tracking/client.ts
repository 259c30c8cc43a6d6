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

/**
 * Options of {@link MlflowClient}: those of the stores it opens (write profile, strictness,
 * `onWarning`, the catalog, the registry URI).
 *
 * @example
 * ```ts
 * const client = new MlflowClient('./mlruns', { profile: 'mlflow3', catalog: 'off', onWarning: (w) => log.push(w) });
 * ```
 */
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

  /**
   * Releases the stores' connections (a catalog, a database); the client must not be used afterwards.
   *
   * @example
   * ```ts
   * const client = new MlflowClient('./mlruns');
   * try { await client.searchRuns(['0']); } finally { client.close(); }
   * ```
   */
  close(): void {
    this.store.close();
  }

  /** Problems met while reading damaged data. */
  get warnings(): readonly ReadWarning[] {
    return this.store.warnings;
  }

  // ------------------------------------------------------------ experiments

  /**
   * Creates an experiment and returns its id.
   *
   * @example
   * ```ts
   * const expId = await client.createExperiment('sweep', { tags: { team: 'ml' } });
   * ```
   */
  async createExperiment(
    name: string,
    options: { artifactLocation?: string | null; tags?: Record<string, unknown> } = {},
  ): Promise<string> {
    checkArgs('MlflowClient.createExperiment', { name: [name, 'string'] });
    checkOptions('MlflowClient.createExperiment', options, { artifactLocation: 'string?', tags: 'record?' });
    const tags = Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value: pythonStr(value) }));
    return this.store.createExperiment(name, options.artifactLocation ?? null, tags);
  }

  /**
   * The experiment of an id (deleted ones too); RESOURCE_DOES_NOT_EXIST when there is none.
   *
   * @example
   * ```ts
   * const exp = await client.getExperiment(expId);
   * console.log(exp.name, exp.lifecycleStage);
   * ```
   */
  async getExperiment(experimentId: string): Promise<Experiment> {
    checkArgs('MlflowClient.getExperiment', { experimentId: [experimentId, 'id'] });
    return this.store.getExperiment(String(experimentId));
  }

  /**
   * The experiment of a name (active or deleted), or null.
   *
   * @example
   * ```ts
   * const exp = await client.getExperimentByName('sweep');
   * const expId = exp?.experimentId ?? (await client.createExperiment('sweep'));
   * ```
   */
  async getExperimentByName(name: string): Promise<Experiment | null> {
    checkArgs('MlflowClient.getExperimentByName', { name: [name, 'string'] });
    return this.store.getExperimentByName(name);
  }

  /**
   * Experiments of a view type, filtered and ordered with MLflow's experiment grammar.
   *
   * @example
   * ```ts
   * const { experiments, token } = await client.searchExperiments({ filterString: "tags.team = 'ml'", orderBy: ['name ASC'], maxResults: 50 });
   * ```
   */
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

  /**
   * Renames an experiment (the new name must be free).
   *
   * @example
   * ```ts
   * await client.renameExperiment(expId, 'sweep-2026');
   * ```
   */
  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    checkArgs('MlflowClient.renameExperiment', { experimentId: [experimentId, 'id'], newName: [newName, 'string'] });
    return this.store.renameExperiment(String(experimentId), newName);
  }

  /**
   * Moves an experiment (and its runs, as MLflow) to the trash.
   *
   * @example
   * ```ts
   * await client.deleteExperiment(expId);
   * (await client.getExperiment(expId)).lifecycleStage; // 'deleted'
   * ```
   */
  async deleteExperiment(experimentId: string): Promise<void> {
    checkArgs('MlflowClient.deleteExperiment', { experimentId: [experimentId, 'id'] });
    return this.store.deleteExperiment(String(experimentId));
  }

  /**
   * Brings a deleted experiment back.
   *
   * @example
   * ```ts
   * await client.restoreExperiment(expId);
   * ```
   */
  async restoreExperiment(experimentId: string): Promise<void> {
    checkArgs('MlflowClient.restoreExperiment', { experimentId: [experimentId, 'id'] });
    return this.store.restoreExperiment(String(experimentId));
  }

  /**
   * Sets an experiment tag (the value stored as Python's `str()`).
   *
   * @example
   * ```ts
   * await client.setExperimentTag(expId, 'team', 'ml');
   * ```
   */
  async setExperimentTag(experimentId: string, key: string, value: unknown): Promise<void> {
    checkArgs('MlflowClient.setExperimentTag', { experimentId: [experimentId, 'id'], key: [key, 'string'], value: [value, 'any'] });
    return this.store.setExperimentTag(String(experimentId), { key, value: pythonStr(value) });
  }

  /**
   * Removes an experiment tag.
   *
   * @example
   * ```ts
   * await client.deleteExperimentTag(expId, 'team');
   * ```
   */
  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    checkArgs('MlflowClient.deleteExperimentTag', { experimentId: [experimentId, 'id'], key: [key, 'string'] });
    return this.store.deleteExperimentTag(String(experimentId), key);
  }

  // ------------------------------------------------------------ runs

  /**
   * Creates a run. `userId` comes from the `mlflow.user` tag, else 'unknown', as in Python.
   *
   * @example
   * ```ts
   * const run = await client.createRun(expId, { runName: 'lr-0.1', tags: { 'mlflow.user': 'alice' } });
   * const runId = run.info.runId;
   * ```
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

  /**
   * A run with its latest metrics, params, tags, inputs and outputs.
   *
   * @example
   * ```ts
   * const run = await client.getRun(runId);
   * console.log(run.info.status, run.data.metrics['loss']);
   * ```
   */
  async getRun(runId: string): Promise<Run> {
    checkArgs('MlflowClient.getRun', { runId: [runId, 'string'] });
    return this.store.getRun(runId);
  }

  /**
   * Updates a run's status and/or name (`update_run`).
   *
   * @example
   * ```ts
   * await client.updateRun(runId, { status: 'SCHEDULED', name: 'retry-1' });
   * ```
   */
  async updateRun(runId: string, options: { status?: RunStatus | null; name?: string | null } = {}): Promise<RunInfo> {
    checkArgs('MlflowClient.updateRun', { runId: [runId, 'string'] });
    checkOptions('MlflowClient.updateRun', options, { status: 'string?', name: 'string?' });
    const run = await this.store.getRun(runId);
    const status = options.status ? checkStatus(options.status) : run.info.status;
    return this.store.updateRunInfo(runId, status, run.info.endTime, options.name ?? null);
  }

  /**
   * Ends a run: status FINISHED unless given, end time now unless given.
   *
   * @example
   * ```ts
   * await client.setTerminated(runId); // FINISHED now
   * await client.setTerminated(otherRunId, 'FAILED');
   * ```
   */
  async setTerminated(runId: string, status?: RunStatus | null, endTime?: number | null): Promise<void> {
    checkArgs('MlflowClient.setTerminated', { runId: [runId, 'string'], status: [status, 'string?'], endTime: [endTime, 'int?'] });
    await this.store.updateRunInfo(runId, checkStatus(status ?? 'FINISHED'), endTime || Date.now(), null);
  }

  /**
   * Moves a run to the trash (it keeps its files; `restoreRun` brings it back).
   *
   * @example
   * ```ts
   * await client.deleteRun(runId);
   * ```
   */
  async deleteRun(runId: string): Promise<void> {
    checkArgs('MlflowClient.deleteRun', { runId: [runId, 'string'] });
    return this.store.deleteRun(runId);
  }

  /**
   * Brings a deleted run back.
   *
   * @example
   * ```ts
   * await client.restoreRun(runId);
   * ```
   */
  async restoreRun(runId: string): Promise<void> {
    checkArgs('MlflowClient.restoreRun', { runId: [runId, 'string'] });
    return this.store.restoreRun(runId);
  }

  /**
   * Logs a param; the value is stored as Python's `str()` stores it (`true` → `True`). Returns the value.
   *
   * @example
   * ```ts
   * await client.logParam(runId, 'lr', 0.1); // stored as '0.1'
   * await client.logParam(runId, 'lr', 0.2); // throws INVALID_PARAMETER_VALUE: params are immutable
   * ```
   */
  async logParam<T>(runId: string, key: string, value: T): Promise<T> {
    // Two strings (every call but a wrong one) need no argument check.
    if (typeof runId !== 'string' || typeof key !== 'string') checkArgs('MlflowClient.logParam', { runId: [runId, 'string'], key: [key, 'string'] });
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

  /**
   * Logs one metric value (timestamp now and step 0 unless given).
   *
   * @example
   * ```ts
   * for (let step = 0; step < 10; step++) await client.logMetric(runId, 'loss', 1 / (step + 1), { step });
   * ```
   */
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
   *
   * @example
   * ```ts
   * await client.logBatch(runId, {
   *   metrics: [{ key: 'loss', value: 0.5, step: 1 }],
   *   params: [{ key: 'lr', value: 0.1 }],
   *   tags: [{ key: 'stage', value: 'train' }],
   * });
   * ```
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

  /**
   * Sets a run tag (the value stored as Python's `str()`).
   *
   * @example
   * ```ts
   * await client.setTag(runId, 'stage', 'eval');
   * ```
   */
  async setTag(runId: string, key: string, value: unknown): Promise<void> {
    if (typeof runId !== 'string' || typeof key !== 'string') checkArgs('MlflowClient.setTag', { runId: [runId, 'string'], key: [key, 'string'] });
    return this.store.setTag(runId, { key, value: pythonStr(value) });
  }

  /**
   * Removes a run tag (RESOURCE_DOES_NOT_EXIST when the run has no such tag).
   *
   * @example
   * ```ts
   * await client.deleteTag(runId, 'stage');
   * ```
   */
  async deleteTag(runId: string, key: string): Promise<void> {
    checkArgs('MlflowClient.deleteTag', { runId: [runId, 'string'], key: [key, 'string'] });
    return this.store.deleteTag(runId, key);
  }

  /**
   * Every logged value of a metric, in the order logged.
   *
   * @example
   * ```ts
   * const history = await client.getMetricHistory(runId, 'loss');
   * const best = Math.min(...history.map((m) => m.value));
   * ```
   */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    checkArgs('MlflowClient.getMetricHistory', { runId: [runId, 'string'], key: [key, 'string'] });
    const page = await this.store.getMetricHistory(runId, key);
    return page.items;
  }

  /**
   * Records datasets (and MLflow 3 logged models) a run used.
   *
   * @example
   * ```ts
   * await client.logInputs(runId, [{
   *   dataset: { name: 'iris', digest: 'a1b2c3', sourceType: 'local', source: '{"uri": "iris.csv"}', schema: null, profile: null },
   *   tags: [{ key: 'mlflow.data.context', value: 'training' }],
   * }]);
   * ```
   */
  async logInputs(runId: string, datasets?: DatasetInput[] | null, models?: LoggedModelInput[] | null): Promise<void> {
    checkArgs('MlflowClient.logInputs', { runId: [runId, 'string'], datasets: [datasets, 'array?'], models: [models, 'array?'] });
    return this.store.logInputs(runId, datasets ?? [], models ?? []);
  }

  /**
   * Records the logged models a run produced (MLflow 3).
   *
   * @example
   * ```ts
   * await client.logOutputs(runId, [{ modelId: model.modelId, step: 100 }]);
   * ```
   */
  async logOutputs(runId: string, models: LoggedModelOutput[]): Promise<void> {
    checkArgs('MlflowClient.logOutputs', { runId: [runId, 'string'], models: [models, 'array'] });
    return this.store.logOutputs(runId, models);
  }

  /**
   * Runs of the given experiments matching MLflow's filter grammar, in `orderBy` order.
   * `viewType` as in {@link searchExperiments}; `runViewType` (Python's name) is the same option.
   *
   * @example
   * ```ts
   * const { runs, token } = await client.searchRuns([expId], "metrics.accuracy > 0.5 and params.model = 'xgboost'", {
   *   orderBy: ['metrics.accuracy DESC'],
   *   maxResults: 100,
   * });
   * ```
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

  /**
   * Copies a local file into the run's artifacts (under `artifactPath` when given).
   *
   * @example
   * ```ts
   * await client.logArtifact(runId, './confusion.png', 'plots');
   * ```
   */
  async logArtifact(runId: string, localPath: string, artifactPath?: string | null): Promise<void> {
    checkArgs('MlflowClient.logArtifact', { runId: [runId, 'string'], localPath: [localPath, 'string'], artifactPath: [artifactPath, 'string?'] });
    await (await this.artifactRepo(runId)).logArtifact(localPath, artifactPath);
  }

  /**
   * Copies a local folder's contents into the run's artifacts.
   *
   * @example
   * ```ts
   * await client.logArtifacts(runId, './outputs', 'outputs');
   * ```
   */
  async logArtifacts(runId: string, localDir: string, artifactPath?: string | null): Promise<void> {
    checkArgs('MlflowClient.logArtifacts', { runId: [runId, 'string'], localDir: [localDir, 'string'], artifactPath: [artifactPath, 'string?'] });
    await (await this.artifactRepo(runId)).logArtifacts(localDir, artifactPath);
  }

  /**
   * Writes a text artifact (UTF-8).
   *
   * @example
   * ```ts
   * await client.logText(runId, 'trained on 150 rows', 'notes/summary.txt');
   * ```
   */
  async logText(runId: string, text: string, artifactFile: string): Promise<void> {
    checkArgs('MlflowClient.logText', { runId: [runId, 'string'], text: [text, 'string'], artifactFile: [artifactFile, 'string'] });
    await (await this.artifactRepo(runId)).logText(text, artifactFile);
  }

  /**
   * Logs a dictionary as JSON, or YAML for `.yml`/`.yaml` files.
   *
   * @example
   * ```ts
   * await client.logDict(runId, { lr: 0.1, layers: [64, 32] }, 'config.yaml');
   * ```
   */
  async logDict(runId: string, dictionary: Record<string, unknown>, artifactFile: string): Promise<void> {
    checkArgs('MlflowClient.logDict', { runId: [runId, 'string'], dictionary: [dictionary, 'record'], artifactFile: [artifactFile, 'string'] });
    await (await this.artifactRepo(runId)).logDict(dictionary, artifactFile);
  }

  /**
   * The artifacts directly under `path` (the root when omitted), sorted by path.
   *
   * @example
   * ```ts
   * const files = await client.listArtifacts(runId, 'plots');
   * // [{ path: 'plots/confusion.png', isDir: false, fileSize: 18211 }]
   * ```
   */
  async listArtifacts(runId: string, path?: string | null): Promise<FileInfo[]> {
    checkArgs('MlflowClient.listArtifacts', { runId: [runId, 'string'], path: [path, 'string?'] });
    return (await this.artifactRepo(runId)).listArtifacts(path);
  }

  /**
   * Local path of an artifact, copied to `dstPath` first when given.
   *
   * @example
   * ```ts
   * const local = await client.downloadArtifacts(runId, 'plots', './downloaded');
   * ```
   */
  async downloadArtifacts(runId: string, path: string, dstPath?: string | null): Promise<string> {
    checkArgs('MlflowClient.downloadArtifacts', { runId: [runId, 'string'], path: [path, 'string'], dstPath: [dstPath, 'string?'] });
    return (await this.artifactRepo(runId)).downloadArtifacts(path, dstPath);
  }

  // ------------------------------------------------------------ logged models (MLflow 3)

  /**
   * Creates an MLflow 3 logged model (status PENDING until finalized).
   *
   * @example
   * ```ts
   * const model = await client.createLoggedModel(expId, { name: 'clf', sourceRunId: runId, params: { depth: 3 } });
   * ```
   */
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

  /**
   * A logged model by id.
   *
   * @example
   * ```ts
   * const model = await client.getLoggedModel(modelId);
   * console.log(model.status, model.artifactLocation);
   * ```
   */
  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    checkArgs('MlflowClient.getLoggedModel', { modelId: [modelId, 'string'] });
    return this.store.getLoggedModel(modelId);
  }

  /**
   * Sets a logged model's final status (READY or FAILED).
   *
   * @example
   * ```ts
   * await client.finalizeLoggedModel(model.modelId, 'READY');
   * ```
   */
  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    checkArgs('MlflowClient.finalizeLoggedModel', { modelId: [modelId, 'string'], status: [status, 'string'] });
    return this.store.finalizeLoggedModel(modelId, status);
  }

  /**
   * Logs params of a logged model.
   *
   * @example
   * ```ts
   * await client.logModelParams(model.modelId, { depth: 3, criterion: 'gini' });
   * ```
   */
  async logModelParams(modelId: string, params: Record<string, unknown>): Promise<void> {
    checkArgs('MlflowClient.logModelParams', { modelId: [modelId, 'string'], params: [params, 'record'] });
    return this.store.logLoggedModelParams(
      modelId,
      Object.entries(params).map(([key, value]) => ({ key, value: pythonStr(value) })),
    );
  }

  /**
   * Sets tags of a logged model.
   *
   * @example
   * ```ts
   * await client.setLoggedModelTags(model.modelId, { owner: 'alice' });
   * ```
   */
  async setLoggedModelTags(modelId: string, tags: Record<string, unknown>): Promise<void> {
    checkArgs('MlflowClient.setLoggedModelTags', { modelId: [modelId, 'string'], tags: [tags, 'record'] });
    return this.store.setLoggedModelTags(
      modelId,
      Object.entries(tags).map(([key, value]) => ({ key, value: pythonStr(value) })),
    );
  }

  /**
   * Removes a tag of a logged model.
   *
   * @example
   * ```ts
   * await client.deleteLoggedModelTag(model.modelId, 'owner');
   * ```
   */
  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    checkArgs('MlflowClient.deleteLoggedModelTag', { modelId: [modelId, 'string'], key: [key, 'string'] });
    return this.store.deleteLoggedModelTag(modelId, key);
  }

  /**
   * Deletes a logged model.
   *
   * @example
   * ```ts
   * await client.deleteLoggedModel(model.modelId);
   * ```
   */
  async deleteLoggedModel(modelId: string): Promise<void> {
    checkArgs('MlflowClient.deleteLoggedModel', { modelId: [modelId, 'string'] });
    return this.store.deleteLoggedModel(modelId);
  }

  /**
   * The logged models of experiments (not deleted).
   *
   * @example
   * ```ts
   * const models = await client.searchLoggedModels([expId]);
   * const ready = models.filter((m) => m.status === 'READY');
   * ```
   */
  async searchLoggedModels(experimentIds: Array<string | number>): Promise<LoggedModel[]> {
    checkArgs('MlflowClient.searchLoggedModels', { experimentIds: [experimentIds, 'array'] });
    return this.store.listLoggedModels(experimentIds.map(String));
  }

  // ------------------------------------------------------------ model registry (delegates to RegistryClient)

  /**
   * {@link RegistryClient.createRegisteredModel}, on the client's registry.
   *
   * @example
   * ```ts
   * await client.createRegisteredModel('iris', { tags: { team: 'ml' }, description: 'Iris classifier' });
   * ```
   */
  createRegisteredModel(...args: Parameters<RegistryClient['createRegisteredModel']>): ReturnType<RegistryClient['createRegisteredModel']> {
    return this.registry.createRegisteredModel(...args);
  }

  /**
   * {@link RegistryClient.getRegisteredModel}, on the client's registry.
   *
   * @example
   * ```ts
   * const rm = await client.getRegisteredModel('iris');
   * console.log(rm.aliases, rm.latestVersions.length);
   * ```
   */
  getRegisteredModel(...args: Parameters<RegistryClient['getRegisteredModel']>): ReturnType<RegistryClient['getRegisteredModel']> {
    return this.registry.getRegisteredModel(...args);
  }

  /**
   * {@link RegistryClient.renameRegisteredModel}, on the client's registry.
   *
   * @example
   * ```ts
   * await client.renameRegisteredModel('iris', 'iris-classifier');
   * ```
   */
  renameRegisteredModel(...args: Parameters<RegistryClient['renameRegisteredModel']>): ReturnType<RegistryClient['renameRegisteredModel']> {
    return this.registry.renameRegisteredModel(...args);
  }

  /**
   * {@link RegistryClient.updateRegisteredModel}, on the client's registry.
   *
   * @example
   * ```ts
   * await client.updateRegisteredModel('iris', { description: 'Iris classifier, v2 features' });
   * ```
   */
  updateRegisteredModel(...args: Parameters<RegistryClient['updateRegisteredModel']>): ReturnType<RegistryClient['updateRegisteredModel']> {
    return this.registry.updateRegisteredModel(...args);
  }

  /**
   * {@link RegistryClient.deleteRegisteredModel}, on the client's registry.
   *
   * @example
   * ```ts
   * await client.deleteRegisteredModel('iris');
   * ```
   */
  deleteRegisteredModel(...args: Parameters<RegistryClient['deleteRegisteredModel']>): ReturnType<RegistryClient['deleteRegisteredModel']> {
    return this.registry.deleteRegisteredModel(...args);
  }

  /**
   * {@link RegistryClient.searchRegisteredModels}, on the client's registry.
   *
   * @example
   * ```ts
   * const { registeredModels } = await client.searchRegisteredModels({ filterString: "name LIKE 'iris%'", orderBy: ['name ASC'] });
   * ```
   */
  searchRegisteredModels(...args: Parameters<RegistryClient['searchRegisteredModels']>): ReturnType<RegistryClient['searchRegisteredModels']> {
    return this.registry.searchRegisteredModels(...args);
  }

  /**
   * Sets a registered model tag (the value stored as Python's `str()`).
   *
   * @example
   * ```ts
   * await client.setRegisteredModelTag('iris', 'team', 'ml');
   * ```
   */
  setRegisteredModelTag(...args: Parameters<RegistryClient['setRegisteredModelTag']>): ReturnType<RegistryClient['setRegisteredModelTag']> {
    return this.registry.setRegisteredModelTag(...args);
  }

  /**
   * Removes a registered model tag.
   *
   * @example
   * ```ts
   * await client.deleteRegisteredModelTag('iris', 'team');
   * ```
   */
  deleteRegisteredModelTag(...args: Parameters<RegistryClient['deleteRegisteredModelTag']>): ReturnType<RegistryClient['deleteRegisteredModelTag']> {
    return this.registry.deleteRegisteredModelTag(...args);
  }

  /**
   * {@link RegistryClient.createModelVersion}, on the client's registry.
   *
   * @example
   * ```ts
   * const mv = await client.createModelVersion('iris', `runs:/${runId}/model`, { runId });
   * mv.version; // '1'
   * ```
   */
  createModelVersion(...args: Parameters<RegistryClient['createModelVersion']>): ReturnType<RegistryClient['createModelVersion']> {
    return this.registry.createModelVersion(...args);
  }

  /**
   * A version of a model (RESOURCE_DOES_NOT_EXIST when deleted or never made).
   *
   * @example
   * ```ts
   * const mv = await client.getModelVersion('iris', 1);
   * console.log(mv.source, mv.currentStage);
   * ```
   */
  getModelVersion(...args: Parameters<RegistryClient['getModelVersion']>): ReturnType<RegistryClient['getModelVersion']> {
    return this.registry.getModelVersion(...args);
  }

  /**
   * {@link RegistryClient.updateModelVersion}, on the client's registry.
   *
   * @example
   * ```ts
   * await client.updateModelVersion('iris', 1, { description: 'first good one' });
   * ```
   */
  updateModelVersion(...args: Parameters<RegistryClient['updateModelVersion']>): ReturnType<RegistryClient['updateModelVersion']> {
    return this.registry.updateModelVersion(...args);
  }

  /**
   * {@link RegistryClient.deleteModelVersion}, on the client's registry.
   *
   * @example
   * ```ts
   * await client.deleteModelVersion('iris', 1);
   * ```
   */
  deleteModelVersion(...args: Parameters<RegistryClient['deleteModelVersion']>): ReturnType<RegistryClient['deleteModelVersion']> {
    return this.registry.deleteModelVersion(...args);
  }

  /**
   * {@link RegistryClient.searchModelVersions}, on the client's registry.
   *
   * @example
   * ```ts
   * const { modelVersions } = await client.searchModelVersions({ filterString: "name = 'iris'", orderBy: ['version_number DESC'] });
   * ```
   */
  searchModelVersions(...args: Parameters<RegistryClient['searchModelVersions']>): ReturnType<RegistryClient['searchModelVersions']> {
    return this.registry.searchModelVersions(...args);
  }

  /**
   * {@link RegistryClient.getLatestVersions}, on the client's registry.
   *
   * @example
   * ```ts
   * const [prod] = await client.getLatestVersions('iris', ['Production']);
   * ```
   */
  getLatestVersions(...args: Parameters<RegistryClient['getLatestVersions']>): ReturnType<RegistryClient['getLatestVersions']> {
    return this.registry.getLatestVersions(...args);
  }

  /**
   * {@link RegistryClient.transitionModelVersionStage}, on the client's registry.
   *
   * @example
   * ```ts
   * await client.transitionModelVersionStage('iris', 2, 'Production', { archiveExistingVersions: true });
   * ```
   */
  transitionModelVersionStage(...args: Parameters<RegistryClient['transitionModelVersionStage']>): ReturnType<RegistryClient['transitionModelVersionStage']> {
    return this.registry.transitionModelVersionStage(...args);
  }

  /**
   * Sets a model version tag (the value stored as Python's `str()`).
   *
   * @example
   * ```ts
   * await client.setModelVersionTag('iris', 1, 'validated', true); // stored as 'True'
   * ```
   */
  setModelVersionTag(...args: Parameters<RegistryClient['setModelVersionTag']>): ReturnType<RegistryClient['setModelVersionTag']> {
    return this.registry.setModelVersionTag(...args);
  }

  /**
   * Removes a model version tag.
   *
   * @example
   * ```ts
   * await client.deleteModelVersionTag('iris', 1, 'validated');
   * ```
   */
  deleteModelVersionTag(...args: Parameters<RegistryClient['deleteModelVersionTag']>): ReturnType<RegistryClient['deleteModelVersionTag']> {
    return this.registry.deleteModelVersionTag(...args);
  }

  /**
   * {@link RegistryClient.getModelVersionDownloadUri}, on the client's registry.
   *
   * @example
   * ```ts
   * const uri = await client.getModelVersionDownloadUri('iris', 1);
   * ```
   */
  getModelVersionDownloadUri(...args: Parameters<RegistryClient['getModelVersionDownloadUri']>): ReturnType<RegistryClient['getModelVersionDownloadUri']> {
    return this.registry.getModelVersionDownloadUri(...args);
  }

  /**
   * {@link RegistryClient.setRegisteredModelAlias}, on the client's registry.
   *
   * @example
   * ```ts
   * await client.setRegisteredModelAlias('iris', 'champion', 2);
   * ```
   */
  setRegisteredModelAlias(...args: Parameters<RegistryClient['setRegisteredModelAlias']>): ReturnType<RegistryClient['setRegisteredModelAlias']> {
    return this.registry.setRegisteredModelAlias(...args);
  }

  /**
   * Removes an alias.
   *
   * @example
   * ```ts
   * await client.deleteRegisteredModelAlias('iris', 'champion');
   * ```
   */
  deleteRegisteredModelAlias(...args: Parameters<RegistryClient['deleteRegisteredModelAlias']>): ReturnType<RegistryClient['deleteRegisteredModelAlias']> {
    return this.registry.deleteRegisteredModelAlias(...args);
  }

  /**
   * {@link RegistryClient.getModelVersionByAlias}, on the client's registry.
   *
   * @example
   * ```ts
   * const champion = await client.getModelVersionByAlias('iris', 'champion');
   * ```
   */
  getModelVersionByAlias(...args: Parameters<RegistryClient['getModelVersionByAlias']>): ReturnType<RegistryClient['getModelVersionByAlias']> {
    return this.registry.getModelVersionByAlias(...args);
  }

  /**
   * {@link RegistryClient.registerModel}, on the client's registry.
   *
   * @example
   * ```ts
   * const mv = await client.registerModel(`runs:/${runId}/model`, 'iris');
   * ```
   */
  registerModel(...args: Parameters<RegistryClient['registerModel']>): ReturnType<RegistryClient['registerModel']> {
    return this.registry.registerModel(...args);
  }
}
