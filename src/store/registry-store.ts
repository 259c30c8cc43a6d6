import type { ModelVersion, PagedList, RegisteredModel } from '../entities.js';
import type { ReadWarning } from '../errors.js';

/**
 * A registered model tag or a model version tag.
 *
 * @example
 * ```ts
 * await registry.setRegisteredModelTag('iris', { key: 'team', value: 'ml' });
 * ```
 */
export interface RegistryTag {
  key: string;
  value: string;
}

/**
 * Optional arguments of {@link RegistryStore.createModelVersion}.
 *
 * @example
 * ```ts
 * await registry.createModelVersion('iris', '/models/iris', { runId, tags: [{ key: 'k', value: 'v' }] });
 * ```
 */
export interface CreateModelVersionArgs {
  runId?: string | null;
  tags?: RegistryTag[];
  runLink?: string | null;
  description?: string | null;
  modelId?: string | null;
}

/**
 * Options of the registry searches (MLflow's `filter_string`, `max_results`, `order_by`, `page_token`).
 *
 * @example
 * ```ts
 * await registry.searchModelVersions({ filterString: "name = 'iris'", orderBy: ['version_number DESC'], maxResults: 10 });
 * ```
 */
export interface RegistrySearchOptions {
  filterString?: string | null;
  maxResults?: number;
  orderBy?: string[] | null;
  pageToken?: string | null;
}


/**
 * What the registry needs from the tracking store: a logged model's location and run (3.x).
 *
 * @example
 * ```ts
 * const lookup: LoggedModelLookup = trackingStore; // any TrackingStore is one
 * ```
 */
export interface LoggedModelLookup {
  getLoggedModel(modelId: string): Promise<{ artifactLocation: string; sourceRunId: string | null }>;
}

/**
 * The model registry: what MLflow's registry `AbstractStore` does, in camelCase. Every backend
 * implements it: the file registry under `<root>/models/`, MLflow's SQLite schema, a tracking
 * server's REST API. Tags are stored as given (callers convert values with Python's `str()`).
 *
 * @example
 * ```ts
 * const registry: RegistryStore = client.registry.store;
 * await registry.createRegisteredModel('iris', [{ key: 'team', value: 'ml' }], 'Iris classifier');
 * const mv = await registry.createModelVersion('iris', `runs:/${runId}/model`, { runId });
 * await registry.setRegisteredModelAlias('iris', 'champion', mv.version);
 * ```
 */
export interface RegistryStore {
  // Registered models
  createRegisteredModel(name: string, tags?: RegistryTag[], description?: string | null): Promise<RegisteredModel>;
  /** The model with its tags (the prompt marker hidden), aliases and the latest version of each stage. */
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** Like {@link RegistryStore.getRegisteredModel}, with every tag (the prompt marker included). */
  getRegisteredModelWithAllTags(name: string): Promise<RegisteredModel>;
  updateRegisteredModel(name: string, description: string | null): Promise<RegisteredModel>;
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  deleteRegisteredModel(name: string): Promise<void>;
  searchRegisteredModels(options?: RegistrySearchOptions): Promise<PagedList<RegisteredModel>>;
  getLatestVersions(name: string, stages?: string[] | null): Promise<ModelVersion[]>;
  setRegisteredModelTag(name: string, tag: RegistryTag): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;

  // Model versions
  createModelVersion(name: string, source: string, args?: CreateModelVersionArgs): Promise<ModelVersion>;
  /**
   * The storage location and run of a version source: a `models:/` source resolved (a logged
   * model's location, or another version's download URI); any other source returned as given.
   */
  resolveSource(source: string, runId: string | null): Promise<{ storageLocation: string; runId: string | null }>;
  getModelVersion(name: string, version: string | number): Promise<ModelVersion>;
  updateModelVersion(name: string, version: string | number, description: string | null): Promise<ModelVersion>;
  transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion>;
  deleteModelVersion(name: string, version: string | number): Promise<void>;
  getModelVersionDownloadUri(name: string, version: string | number): Promise<string>;
  searchModelVersions(options?: RegistrySearchOptions): Promise<PagedList<ModelVersion>>;
  setModelVersionTag(name: string, version: string | number, tag: RegistryTag): Promise<void>;
  deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void>;

  // Aliases
  setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void>;
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;

  /** Problems met while reading damaged data (most recent last). */
  readonly warnings: readonly ReadWarning[];
}
