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
  /**
   * createRegisteredModel
   *
   * @example
   * ```ts
   * await registry.createRegisteredModel('iris', [{ key: 'team', value: 'ml' }], 'Iris classifier');
   * ```
   */
  createRegisteredModel(name: string, tags?: RegistryTag[], description?: string | null): Promise<RegisteredModel>;
  /**
   * The model with its tags (the prompt marker hidden), aliases and the latest version of each stage.
   *
   * @example
   * ```ts
   * const rm = await registry.getRegisteredModel('iris');
   * ```
   */
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /**
   * Like {@link RegistryStore.getRegisteredModel}, with every tag (the prompt marker included).
   *
   * @example
   * ```ts
   * const rm = await registry.getRegisteredModelWithAllTags('iris');
   * ```
   */
  getRegisteredModelWithAllTags(name: string): Promise<RegisteredModel>;
  /**
   * Sets a model's description.
   *
   * @example
   * ```ts
   * await registry.updateRegisteredModel('iris', 'Iris classifier');
   * ```
   */
  updateRegisteredModel(name: string, description: string | null): Promise<RegisteredModel>;
  /**
   * Renames a model with its versions.
   *
   * @example
   * ```ts
   * await registry.renameRegisteredModel('iris', 'iris-v2');
   * ```
   */
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  /**
   * Deletes a model and its versions.
   *
   * @example
   * ```ts
   * await registry.deleteRegisteredModel('iris');
   * ```
   */
  deleteRegisteredModel(name: string): Promise<void>;
  /**
   * Models matching MLflow's registered-model filter grammar, one page.
   *
   * @example
   * ```ts
   * const page = await registry.searchRegisteredModels({ filterString: "name LIKE 'iris%'" });
   * ```
   */
  searchRegisteredModels(options?: RegistrySearchOptions): Promise<PagedList<RegisteredModel>>;
  /**
   * The highest version in each of `stages` (all stages when null).
   *
   * @example
   * ```ts
   * const latest = await registry.getLatestVersions('iris', ['Production']);
   * ```
   */
  getLatestVersions(name: string, stages?: string[] | null): Promise<ModelVersion[]>;
  /**
   * Sets a registered model tag.
   *
   * @example
   * ```ts
   * await registry.setRegisteredModelTag('iris', { key: 'team', value: 'ml' });
   * ```
   */
  setRegisteredModelTag(name: string, tag: RegistryTag): Promise<void>;
  /**
   * Removes a registered model tag.
   *
   * @example
   * ```ts
   * await registry.deleteRegisteredModelTag('iris', 'team');
   * ```
   */
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;

  // Model versions
  /**
   * Creates the next version of a model from a source URI.
   *
   * @example
   * ```ts
   * const mv = await registry.createModelVersion('iris', `runs:/${runId}/model`, { runId });
   * ```
   */
  createModelVersion(name: string, source: string, args?: CreateModelVersionArgs): Promise<ModelVersion>;
  /**
   * The storage location and run of a version source: a `models:/` source resolved (a logged
   * model's location, or another version's download URI); any other source returned as given.
   *
   * @example
   * ```ts
   * const { storageLocation } = await registry.resolveSource('models:/iris/1', null);
   * ```
   */
  resolveSource(source: string, runId: string | null): Promise<{ storageLocation: string; runId: string | null }>;
  /**
   * A version of a model.
   *
   * @example
   * ```ts
   * const mv = await registry.getModelVersion('iris', 1);
   * ```
   */
  getModelVersion(name: string, version: string | number): Promise<ModelVersion>;
  /**
   * Sets a version's description.
   *
   * @example
   * ```ts
   * await registry.updateModelVersion('iris', 1, 'first good one');
   * ```
   */
  updateModelVersion(name: string, version: string | number, description: string | null): Promise<ModelVersion>;
  /**
   * Moves a version to a stage, optionally archiving the versions already there.
   *
   * @example
   * ```ts
   * await registry.transitionModelVersionStage('iris', 2, 'Production', true);
   * ```
   */
  transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion>;
  /**
   * Deletes a version (its number is never reused).
   *
   * @example
   * ```ts
   * await registry.deleteModelVersion('iris', 1);
   * ```
   */
  deleteModelVersion(name: string, version: string | number): Promise<void>;
  /**
   * Where a version's files are.
   *
   * @example
   * ```ts
   * const uri = await registry.getModelVersionDownloadUri('iris', 1);
   * ```
   */
  getModelVersionDownloadUri(name: string, version: string | number): Promise<string>;
  /**
   * Versions matching MLflow's model-version filter grammar, one page.
   *
   * @example
   * ```ts
   * const page = await registry.searchModelVersions({ filterString: "name = 'iris'" });
   * ```
   */
  searchModelVersions(options?: RegistrySearchOptions): Promise<PagedList<ModelVersion>>;
  /**
   * Sets a model version tag.
   *
   * @example
   * ```ts
   * await registry.setModelVersionTag('iris', 1, { key: 'validated', value: 'True' });
   * ```
   */
  setModelVersionTag(name: string, version: string | number, tag: RegistryTag): Promise<void>;
  /**
   * Removes a model version tag.
   *
   * @example
   * ```ts
   * await registry.deleteModelVersionTag('iris', 1, 'validated');
   * ```
   */
  deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void>;

  // Aliases
  /**
   * Points an alias at a version.
   *
   * @example
   * ```ts
   * await registry.setRegisteredModelAlias('iris', 'champion', 2);
   * ```
   */
  setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void>;
  /**
   * Removes an alias.
   *
   * @example
   * ```ts
   * await registry.deleteRegisteredModelAlias('iris', 'champion');
   * ```
   */
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  /**
   * The version an alias points at.
   *
   * @example
   * ```ts
   * const mv = await registry.getModelVersionByAlias('iris', 'champion');
   * ```
   */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;

  /**
   * Problems met while reading damaged data (most recent last).
   *
   * @example
   * ```ts
   * for (const w of registry.warnings) console.warn(w.code, w.path);
   * ```
   */
  readonly warnings: readonly ReadWarning[];
}
