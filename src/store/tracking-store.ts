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

/** Options of a run search, as MLflow's `search_runs`. */
export interface SearchRunsOptions {
  filterString?: string | null;
  runViewType?: ViewType;
  maxResults?: number;
  orderBy?: string[] | null;
  pageToken?: string | null;
}

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
  /** The tracking URI this store was opened with (a path, `file:`, `sqlite:` or `http(s):` URI). */
  readonly trackingUri: string;

  // Experiments
  searchExperiments(options?: SearchExperimentsOptions): Promise<PagedList<Experiment>>;
  createExperiment(name: string, artifactLocation?: string | null, tags?: RunTag[]): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  getExperimentByName(name: string): Promise<Experiment | null>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  setExperimentTag(experimentId: string, tag: RunTag): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  // Runs
  createRun(args: CreateRunArgs): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRunInfo(runId: string, status: RunStatus | null, endTime: number | null, runName: string | null): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  logMetric(runId: string, metric: Metric): Promise<void>;
  logParam(runId: string, param: Param): Promise<void>;
  setTag(runId: string, tag: RunTag): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  logBatch(runId: string, batch: { metrics?: Metric[]; params?: Param[]; tags?: RunTag[] }): Promise<void>;
  getMetricHistory(runId: string, key: string, options?: { maxResults?: number | null; pageToken?: string | null }): Promise<PagedList<Metric>>;
  searchRuns(experimentIds: string[], options?: SearchRunsOptions): Promise<PagedList<Run>>;
  logInputs(runId: string, datasets?: DatasetInput[], models?: LoggedModelInput[]): Promise<void>;
  logOutputs(runId: string, models: LoggedModelOutput[]): Promise<void>;
  recordLoggedModel(runId: string, modelDict: Record<string, unknown>): Promise<void>;

  // Logged models (MLflow 3)
  createLoggedModel(args: CreateLoggedModelArgs): Promise<LoggedModel>;
  getLoggedModel(modelId: string, options?: { allowDeleted?: boolean }): Promise<LoggedModel>;
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>;
  logLoggedModelParams(modelId: string, params: Param[]): Promise<void>;
  setLoggedModelTags(modelId: string, tags: RunTag[]): Promise<void>;
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  deleteLoggedModel(modelId: string): Promise<void>;
  listLoggedModels(experimentIds: string[]): Promise<LoggedModel[]>;

  // Artifacts
  /** The artifact repository of a run (its `artifact_uri`, resolved for this store). */
  artifactRepository(runId: string): Promise<ArtifactRepository>;

  /** Problems met while reading damaged data (most recent last). */
  readonly warnings: readonly ReadWarning[];

  /** Releases connections and handles; the store must not be used afterwards. */
  close(): void;
}
