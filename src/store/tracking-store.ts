import type {
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelInput,
  LoggedModelOutput,
  LoggedModelStatus,
  Metric,
  PagedList,
  Param,
  Run,
  RunInfo,
  RunStatus,
  RunTag,
  ViewType,
} from '../entities.js';
import type { ReadWarning } from '../errors.js';
import type { ArtifactRepository } from './artifact-repository.js';

/**
 * Options of a run search, as MLflow's `search_runs`.
 *
 * @example
 * ```ts
 * const options: SearchRunsOptions = { filterString: 'metrics.loss < 0.5', orderBy: ['metrics.loss'], maxResults: 10 };
 * await client.store.searchRuns([expId], options);
 * ```
 */
export interface SearchRunsOptions {
  filterString?: string | null;
  runViewType?: ViewType;
  maxResults?: number;
  orderBy?: string[] | null;
  pageToken?: string | null;
}

/**
 * Options of an experiment search, as MLflow's `search_experiments`.
 *
 * @example
 * ```ts
 * const options: SearchExperimentsOptions = { viewType: 'ALL', filterString: "name LIKE 'sweep%'" };
 * await client.store.searchExperiments(options);
 * ```
 */
export interface SearchExperimentsOptions {
  viewType?: ViewType;
  maxResults?: number;
  filterString?: string | null;
  orderBy?: string[] | null;
  pageToken?: string | null;
}

export interface CreateRunArgs {
  experimentId: string;
  userId: string;
  startTime: number;
  tags: RunTag[];
  runName?: string | null;
  /**
   * The id of the new run, for a copy that keeps its source's id (`mlruns pull`); the store
   * refuses one it already holds. Stores that pick ids themselves (a tracking server) refuse it.
   */
  runId?: string | null;
}

export interface CreateLoggedModelArgs {
  experimentId: string;
  name?: string | null;
  sourceRunId?: string | null;
  tags?: RunTag[];
  params?: Param[];
  modelType?: string | null;
}

/**
 * A derived index that answers run searches for a store (the catalog, for the file store). A
 * store given one asks it first; `undefined` means "cannot answer, scan instead". The index must
 * return exactly what the store's own search returns.
 *
 * @example
 * ```ts
 * const index: RunSearchIndex = { searchRuns: () => undefined, close: () => undefined }; // always scans
 * ```
 */
export interface RunSearchIndex {
  searchRuns(experimentIds: string[], options: SearchRunsOptions): PagedList<Run> | undefined;
  /** Releases what the index holds open (a database connection). */
  close(): void;
}

/**
 * The tracking store: what MLflow's `AbstractStore` does, in camelCase. Every backend implements
 * it: the file store over `mlruns/`, MLflow's SQLite schema, an MLflow tracking server over REST.
 * `MlflowClient`, the fluent API, the CLI and the web UI use nothing else.
 *
 * @example
 * ```ts
 * const store: TrackingStore = new MlflowClient('./mlruns').store;
 * const expId = await store.createExperiment('demo');
 * const run = await store.createRun({ experimentId: expId, userId: 'me', startTime: Date.now(), tags: [] });
 * await store.logMetric(run.info.runId, { key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 });
 * ```
 */
export interface TrackingStore {
  /**
   * The tracking URI this store was opened with (a path, `file:`, `sqlite:` or `http(s):` URI).
   *
   * @example
   * ```ts
   * store.trackingUri; // './mlruns'
   * ```
   */
  readonly trackingUri: string;

  // Experiments
  /**
   * Experiments of a view type, filtered and ordered with MLflow's experiment grammar, one page.
   *
   * @example
   * ```ts
   * const page = await store.searchExperiments({ viewType: 'ALL', filterString: "name LIKE 'sweep%'", maxResults: 100 });
   * ```
   */
  searchExperiments(options?: SearchExperimentsOptions): Promise<PagedList<Experiment>>;
  /**
   * Creates an experiment and returns its id (RESOURCE_ALREADY_EXISTS for a taken name).
   *
   * @example
   * ```ts
   * const expId = await store.createExperiment('sweep', null, [{ key: 'team', value: 'ml' }]);
   * ```
   */
  createExperiment(name: string, artifactLocation?: string | null, tags?: RunTag[]): Promise<string>;
  /**
   * An experiment by id (RESOURCE_DOES_NOT_EXIST when there is none).
   *
   * @example
   * ```ts
   * const exp = await store.getExperiment(expId);
   * ```
   */
  getExperiment(experimentId: string): Promise<Experiment>;
  /**
   * An experiment by name, or null.
   *
   * @example
   * ```ts
   * const exp = await store.getExperimentByName('sweep');
   * ```
   */
  getExperimentByName(name: string): Promise<Experiment | null>;
  /**
   * Moves an experiment to the trash.
   *
   * @example
   * ```ts
   * await store.deleteExperiment(expId);
   * ```
   */
  deleteExperiment(experimentId: string): Promise<void>;
  /**
   * Brings a deleted experiment back.
   *
   * @example
   * ```ts
   * await store.restoreExperiment(expId);
   * ```
   */
  restoreExperiment(experimentId: string): Promise<void>;
  /**
   * Renames an experiment.
   *
   * @example
   * ```ts
   * await store.renameExperiment(expId, 'sweep-2');
   * ```
   */
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  /**
   * Sets an experiment tag.
   *
   * @example
   * ```ts
   * await store.setExperimentTag(expId, { key: 'team', value: 'ml' });
   * ```
   */
  setExperimentTag(experimentId: string, tag: RunTag): Promise<void>;
  /**
   * Removes an experiment tag.
   *
   * @example
   * ```ts
   * await store.deleteExperimentTag(expId, 'team');
   * ```
   */
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  // Runs
  /**
   * Creates a run (RUNNING) in an active experiment.
   *
   * @example
   * ```ts
   * const run = await store.createRun({ experimentId: expId, userId: 'alice', startTime: Date.now(), tags: [], runName: 'r1' });
   * ```
   */
  createRun(args: CreateRunArgs): Promise<Run>;
  /**
   * A run by id (RESOURCE_DOES_NOT_EXIST when there is none).
   *
   * @example
   * ```ts
   * const run = await store.getRun(runId);
   * ```
   */
  getRun(runId: string): Promise<Run>;
  /**
   * Sets a run's status, end time and/or name (null keeps the current name).
   *
   * @example
   * ```ts
   * await store.updateRunInfo(runId, 'FINISHED', Date.now(), null);
   * ```
   */
  updateRunInfo(runId: string, status: RunStatus | null, endTime: number | null, runName: string | null): Promise<RunInfo>;
  /**
   * Moves a run to the trash.
   *
   * @example
   * ```ts
   * await store.deleteRun(runId);
   * ```
   */
  deleteRun(runId: string): Promise<void>;
  /**
   * Brings a deleted run back.
   *
   * @example
   * ```ts
   * await store.restoreRun(runId);
   * ```
   */
  restoreRun(runId: string): Promise<void>;
  /**
   * Appends one metric value to a run's history.
   *
   * @example
   * ```ts
   * await store.logMetric(runId, { key: 'loss', value: 0.5, timestamp: Date.now(), step: 1 });
   * ```
   */
  logMetric(runId: string, metric: Metric): Promise<void>;
  /**
   * Logs a param (INVALID_PARAMETER_VALUE when it exists with another value).
   *
   * @example
   * ```ts
   * await store.logParam(runId, { key: 'lr', value: '0.1' });
   * ```
   */
  logParam(runId: string, param: Param): Promise<void>;
  /**
   * Sets a run tag.
   *
   * @example
   * ```ts
   * await store.setTag(runId, { key: 'stage', value: 'train' });
   * ```
   */
  setTag(runId: string, tag: RunTag): Promise<void>;
  /**
   * Removes a run tag.
   *
   * @example
   * ```ts
   * await store.deleteTag(runId, 'stage');
   * ```
   */
  deleteTag(runId: string, key: string): Promise<void>;
  /**
   * Logs metrics, params and tags of a run at once.
   *
   * @example
   * ```ts
   * await store.logBatch(runId, { metrics: [{ key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 }], params: [{ key: 'lr', value: '0.1' }] });
   * ```
   */
  logBatch(runId: string, batch: { metrics?: Metric[]; params?: Param[]; tags?: RunTag[] }): Promise<void>;
  /**
   * Every logged value of a metric, one page.
   *
   * @example
   * ```ts
   * const { items } = await store.getMetricHistory(runId, 'loss');
   * ```
   */
  getMetricHistory(runId: string, key: string, options?: { maxResults?: number | null; pageToken?: string | null }): Promise<PagedList<Metric>>;
  /**
   * Runs of experiments matching MLflow's run filter grammar, one page.
   *
   * @example
   * ```ts
   * const page = await store.searchRuns([expId], { filterString: 'metrics.loss < 0.5', orderBy: ['metrics.loss'] });
   * ```
   */
  searchRuns(experimentIds: string[], options?: SearchRunsOptions): Promise<PagedList<Run>>;
  /**
   * Records datasets and logged models a run used.
   *
   * @example
   * ```ts
   * await store.logInputs(runId, [{ dataset, tags: [] }], []);
   * ```
   */
  logInputs(runId: string, datasets?: DatasetInput[], models?: LoggedModelInput[]): Promise<void>;
  /**
   * Records the logged models a run produced.
   *
   * @example
   * ```ts
   * await store.logOutputs(runId, [{ modelId, step: 0 }]);
   * ```
   */
  logOutputs(runId: string, models: LoggedModelOutput[]): Promise<void>;
  /**
   * Appends a model's MLmodel dictionary to the run's `mlflow.log-model.history` tag.
   *
   * @example
   * ```ts
   * await store.recordLoggedModel(runId, { artifact_path: 'model', flavors: {} });
   * ```
   */
  recordLoggedModel(runId: string, modelDict: Record<string, unknown>): Promise<void>;

  // Logged models (MLflow 3)
  /**
   * Creates an MLflow 3 logged model (PENDING).
   *
   * @example
   * ```ts
   * const model = await store.createLoggedModel({ experimentId: expId, name: 'clf', sourceRunId: runId });
   * ```
   */
  createLoggedModel(args: CreateLoggedModelArgs): Promise<LoggedModel>;
  /**
   * A logged model by id.
   *
   * @example
   * ```ts
   * const model = await store.getLoggedModel(modelId);
   * ```
   */
  getLoggedModel(modelId: string, options?: { allowDeleted?: boolean }): Promise<LoggedModel>;
  /**
   * Sets a logged model's final status.
   *
   * @example
   * ```ts
   * await store.finalizeLoggedModel(modelId, 'READY');
   * ```
   */
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>;
  /**
   * Logs params of a logged model.
   *
   * @example
   * ```ts
   * await store.logLoggedModelParams(modelId, [{ key: 'depth', value: '3' }]);
   * ```
   */
  logLoggedModelParams(modelId: string, params: Param[]): Promise<void>;
  /**
   * Sets tags of a logged model.
   *
   * @example
   * ```ts
   * await store.setLoggedModelTags(modelId, [{ key: 'owner', value: 'alice' }]);
   * ```
   */
  setLoggedModelTags(modelId: string, tags: RunTag[]): Promise<void>;
  /**
   * Removes a tag of a logged model.
   *
   * @example
   * ```ts
   * await store.deleteLoggedModelTag(modelId, 'owner');
   * ```
   */
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  /**
   * Deletes a logged model.
   *
   * @example
   * ```ts
   * await store.deleteLoggedModel(modelId);
   * ```
   */
  deleteLoggedModel(modelId: string): Promise<void>;
  /**
   * The live logged models of experiments.
   *
   * @example
   * ```ts
   * const models = await store.listLoggedModels([expId]);
   * ```
   */
  listLoggedModels(experimentIds: string[]): Promise<LoggedModel[]>;

  // Artifacts
  /**
   * The artifact repository of a run (its `artifact_uri`, resolved for this store).
   *
   * @example
   * ```ts
   * const repo = await store.artifactRepository(runId);
   * await repo.logText('hello', 'notes.txt');
   * ```
   */
  artifactRepository(runId: string): Promise<ArtifactRepository>;

  /**
   * Problems met while reading damaged data (most recent last).
   *
   * @example
   * ```ts
   * await store.searchRuns([expId]);
   * for (const w of store.warnings) console.warn(w.code, w.path);
   * ```
   */
  readonly warnings: readonly ReadWarning[];

  /**
   * Releases connections and handles; the store must not be used afterwards.
   *
   * @example
   * ```ts
   * const store = openTrackingStore('./mlruns');
   * try { await store.searchRuns(['0']); } finally { store.close(); }
   * ```
   */
  close(): void;
}
