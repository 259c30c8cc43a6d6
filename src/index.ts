/**
 * mlruns: MLflow's file store (`mlruns/`) for Node.js.
 *
 * @example
 * ```ts
 * import { MlflowClient } from 'mlruns';
 * const client = new MlflowClient('./mlruns');
 * const { runs } = await client.searchRuns(['0'], "params.lr = '0.1'", { orderBy: ['metrics.loss ASC'] });
 * ```
 */
export { MlflowError } from './errors.js';
export type { ErrorCode, ReadWarning, WarningCode } from './errors.js';
export type * from './entities.js';
export { RUN_STATUS_FROM_INT, RUN_STATUS_TO_INT } from './entities.js';
export { MlflowClient, resolveTrackingUri } from './tracking/client.js';
export type { MlflowClientOptions } from './tracking/client.js';
export { FileStore } from './store/file/file-store.js';
export type { FileStoreOptions } from './store/file/file-store.js';
export type { WriteProfile } from './store/file/records.js';
export { LocalArtifactRepository } from './store/file/artifacts.js';
export type { FileInfo } from './store/file/artifacts.js';
export type { TrackingStore, SearchRunsOptions, SearchExperimentsOptions } from './store/tracking-store.js';
export * as mlflow from './tracking/fluent.js';
export {
  setTrackingUri,
  getTrackingUri,
  setExperiment,
  startRun,
  withRun,
  endRun,
  activeRun,
  lastActiveRun,
  logParam,
  logParams,
  logMetric,
  logMetrics,
  setTag,
  setTags,
  logArtifact,
  logArtifacts,
  logText,
  logDict,
  logInput,
} from './tracking/fluent.js';
export type { ActiveRun, StartRunOptions, DatasetSpec } from './tracking/fluent.js';
export { saveMlModel, loadMlModel, logMlModel } from './models/mlmodel.js';
export { RegistryClient } from './tracking/registry.js';
export type { RegistryClientOptions } from './tracking/registry.js';
export { FileRegistryStore, getCanonicalStage, parseModelUri } from './store/file/registry-store.js';
export type { FileRegistryStoreOptions } from './store/file/registry-store.js';
export { resolveModelUri, resolveModelUriDetailed } from './models/uri.js';
export type { ResolveModelUriOptions, ResolvedModel } from './models/uri.js';
export { openCatalog, deleteCatalog, catalogPath, catalogSearchRuns, Catalog } from './catalog/index.js';
export type { CatalogOptions, ChangeEvent } from './catalog/index.js';
export { migrate } from './sync/migrate.js';
export type { MigrateOptions, MigrateProgress, MigrateSummary } from './sync/migrate.js';
export { watch, Watcher, watchDatabase, DbWatcher } from './watch/index.js';
export type { WatchOptions, DbWatchOptions, DbWatcherStats } from './watch/index.js';
