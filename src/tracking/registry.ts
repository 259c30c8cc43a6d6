import type { ModelVersion, RegisteredModel } from '../entities.js';
import { MlflowError, invalidParameter, notFound } from '../errors.js';
import { checkArgs, checkOptions } from './args.js';
import type { ReadWarning } from '../errors.js';
import { pythonRepr, pythonStr } from '../format/float.js';
import { validateModelAliasName, validateModelVersion, validateRegisteredModelName } from '../format/validation.js';
import { IS_PROMPT_TAG_KEY, parseModelUri, stripPromptTag, uriPath } from '../store/file/registry-store.js';
import type { RegistryStore, RegistryTag } from '../store/registry-store.js';
import type { TrackingStore } from '../store/tracking-store.js';
import { openRegistryStore, openTrackingStore, resolveRegistryUri } from './stores.js';
import type { StoreOptions } from './stores.js';
import { appendToUriPath, resolveTrackingUri, uriScheme } from '../store/uri.js';

/**
 * The logged-model tag listing the registry versions made from a logged model (3.x).
 *
 * @example
 * ```ts
 * (await client.getLoggedModel(modelId)).tags[MODEL_VERSIONS_TAG]; // '[{"name": "iris", "version": 1}]'
 * ```
 */
export const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

/**
 * Options of {@link RegistryClient}: those of the tracking FileStore, plus an existing one to share.
 *
 * @example
 * ```ts
 * const mlflow = new MlflowClient('./mlruns');
 * const registry = new RegistryClient('./mlruns', { trackingStore: mlflow.store, profile: 'mlflow3' });
 * ```
 */
export interface RegistryClientOptions extends StoreOptions {
  /** The tracking store of the same client (e.g. `MlflowClient.store`); opened from the tracking URI when omitted. */
  trackingStore?: TrackingStore;
  /** The registry store; opened from the registry URI when omitted. */
  registryStore?: RegistryStore;
}


const toTags = (tags: Record<string, unknown> | null | undefined): RegistryTag[] =>
  Object.entries(tags ?? {}).map(([key, value]) => ({ key, value: pythonStr(value) }));

/** Python's `json.dumps` with its default separators (`, ` and `: `), keys in insertion order, ASCII only. */
function jsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  }
  if (Array.isArray(value)) return '[' + value.map(jsonDumps).join(', ') + ']';
  if (typeof value === 'object') {
    return '{' + Object.entries(value as Record<string, unknown>).map(([k, v]) => jsonDumps(k) + ': ' + jsonDumps(v)).join(', ') + '}';
  }
  return jsonDumps(String(value));
}

/** Options of the registry searches. */
export interface SearchOptions {
  filterString?: string | null;
  maxResults?: number;
  orderBy?: string[] | null;
  pageToken?: string | null;
}

/** `(filterString, options)` or `(options)`, checked, as one options object. */
function searchArgs(method: string, first: string | null | SearchOptions | undefined, rest: Omit<SearchOptions, 'filterString'>): SearchOptions {
  const spec = { filterString: 'string?', maxResults: 'int?', orderBy: 'string[]?', pageToken: 'string?' };
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    checkOptions(method, first, spec);
    if (rest && Object.keys(rest).length > 0) throw invalidParameter(`${method}: give the options in one object, not two`);
    return first;
  }
  checkArgs(method, { filterString: [first, 'string?'] });
  const { filterString: _ignored, ...others } = spec;
  checkOptions(method, rest, others);
  return { ...rest, filterString: typeof first === 'string' ? first : null };
}

const modelNotFound = (name: string): MlflowError => notFound(`Registered Model with name=${pythonRepr(name)} not found.`);

/**
 * `RunsArtifactRepository.parse_runs_uri`: `runs:/<run_id>/<path>` → run id and artifact path
 * (null when none).
 *
 * @example
 * ```ts
 * parseRunsUri('runs:/0123456789abcdef0123456789abcdef/model'); // { runId: '0123…', artifactPath: 'model' }
 * ```
 */
export function parseRunsUri(uri: string): { runId: string; artifactPath: string | null } {
  const bad = (): MlflowError =>
    new MlflowError(
      'INTERNAL_ERROR',
      `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
    );
  if (uriScheme(uri) !== 'runs') throw bad();
  const p = uriPath(uri);
  if (!p.startsWith('/') || p.length <= 1) throw bad();
  const parts = p.slice(1).split('/');
  const runId = parts[0] ?? '';
  if (runId === '') throw bad();
  const rest = parts.slice(1).join('/');
  return { runId, artifactPath: rest === '' ? null : rest };
}

/**
 * The model-registry half of MLflow's `MlflowClient`, in camelCase, over the file registry of a
 * tracking root (the registry URI is the tracking URI, as MLflow defaults it). Optional
 * arguments go in one trailing options object; tag values are stored as Python's `str()`.
 *
 * @example
 * ```ts
 * const registry = new RegistryClient('./mlruns');
 * await registry.createRegisteredModel('iris', { tags: { team: 'ml' }, description: 'Iris classifier' });
 * const mv = await registry.registerModel(`runs:/${runId}/model`, 'iris');
 * await registry.setRegisteredModelAlias('iris', 'champion', mv.version);
 * const champion = await registry.getModelVersionByAlias('iris', 'champion');
 * ```
 */
export class RegistryClient {
  readonly trackingUri: string;
  readonly trackingStore: TrackingStore;
  readonly store: RegistryStore;

  constructor(trackingUri?: string | null, options: RegistryClientOptions = {}) {
    this.trackingUri = resolveTrackingUri(trackingUri);
    const { trackingStore, registryStore, ...storeOptions } = options;
    this.trackingStore = trackingStore ?? openTrackingStore(this.trackingUri, storeOptions);
    this.store =
      registryStore ?? openRegistryStore(resolveRegistryUri(this.trackingUri, options.registryUri), this.trackingStore, storeOptions);
  }

  /** Problems met while reading damaged data (tracking store first, then registry). */
  get warnings(): readonly ReadWarning[] {
    return [...this.trackingStore.warnings, ...this.store.warnings];
  }

  /** `_raise_if_prompt`: the name must be a registered model, not a prompt. */
  private async raiseIfPrompt(name: string): Promise<void> {
    await this.getRegisteredModel(name);
  }

  // ------------------------------------------------------------ registered models

  /** Creates a registered model (tags stored as `str(value)`). */
  async createRegisteredModel(
    name: string,
    options: { tags?: Record<string, unknown> | null; description?: string | null } = {},
  ): Promise<RegisteredModel> {
    checkArgs('MlflowClient.createRegisteredModel', { name: [name, 'string'] });
    checkOptions('MlflowClient.createRegisteredModel', options, { tags: 'record?', description: 'string?' });
    if (options.tags && IS_PROMPT_TAG_KEY in options.tags) {
      throw invalidParameter('Prompts cannot be registered as models.');
    }
    return this.store.createRegisteredModel(name, toTags(options.tags), options.description ?? null);
  }

  /** The model with its tags, aliases and the latest version of each stage. */
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    checkArgs('MlflowClient.getRegisteredModel', { name: [name, 'string'] });
    const rm = await this.store.getRegisteredModelWithAllTags(name);
    if (IS_PROMPT_TAG_KEY in rm.tags) throw modelNotFound(name);
    return stripPromptTag(rm);
  }

  /** Renames a model, keeping its versions (as MLflow, its tags and aliases are not kept). */
  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    checkArgs('MlflowClient.renameRegisteredModel', { name: [name, 'string'], newName: [newName, 'string'] });
    await this.raiseIfPrompt(name);
    if (typeof newName !== 'string' || newName.trim() === '') {
      throw new MlflowError('INTERNAL_ERROR', 'The name must not be an empty string.');
    }
    return this.store.renameRegisteredModel(name, newName);
  }

  /** Sets a model's description. */
  async updateRegisteredModel(name: string, options: { description?: string | null } = {}): Promise<RegisteredModel> {
    checkArgs('MlflowClient.updateRegisteredModel', { name: [name, 'string'] });
    checkOptions('MlflowClient.updateRegisteredModel', options, { description: 'string?' });
    await this.raiseIfPrompt(name);
    return this.store.updateRegisteredModel(name, options.description ?? null);
  }

  /** Deletes a model and all its versions at once (no trash, as MLflow). */
  async deleteRegisteredModel(name: string): Promise<void> {
    checkArgs('MlflowClient.deleteRegisteredModel', { name: [name, 'string'] });
    await this.raiseIfPrompt(name);
    return this.store.deleteRegisteredModel(name);
  }

  /**
   * Models matching MLflow's registered-model filter grammar, in `orderBy` order (100 per page by
   * default). The filter goes first, as in Python (`searchRegisteredModels("name LIKE 'iris%'")`),
   * or in the options object (`{ filterString }`).
   */
  async searchRegisteredModels(
    filterString?: string | null | SearchOptions,
    options: Omit<SearchOptions, 'filterString'> = {},
  ): Promise<{ registeredModels: RegisteredModel[]; token: string | null }> {
    const page = await this.store.searchRegisteredModels(searchArgs('MlflowClient.searchRegisteredModels', filterString, options));
    return { registeredModels: page.items, token: page.token };
  }

  async setRegisteredModelTag(name: string, key: string, value: unknown): Promise<void> {
    checkArgs('MlflowClient.setRegisteredModelTag', { name: [name, 'string'], key: [key, 'string'] });
    await this.raiseIfPrompt(name);
    return this.store.setRegisteredModelTag(name, { key, value: pythonStr(value) });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    checkArgs('MlflowClient.deleteRegisteredModelTag', { name: [name, 'string'], key: [key, 'string'] });
    await this.raiseIfPrompt(name);
    return this.store.deleteRegisteredModelTag(name, key);
  }

  // ------------------------------------------------------------ model versions

  /**
   * Creates a version of an existing model from a source URI, stored as given (`runs:/…`, a
   * path, `models:/m-<id>`, `models:/<name>/<version>`); see {@link registerModel} to resolve
   * `runs:/` URIs and create the model when missing.
   */
  async createModelVersion(
    name: string,
    source: string,
    options: {
      runId?: string | null;
      tags?: Record<string, unknown> | null;
      runLink?: string | null;
      description?: string | null;
      modelId?: string | null;
    } = {},
  ): Promise<ModelVersion> {
    checkArgs('MlflowClient.createModelVersion', { name: [name, 'string'], source: [source, 'string'] });
    checkOptions('MlflowClient.createModelVersion', options, { runId: 'string?', tags: 'record?', runLink: 'string?', description: 'string?', modelId: 'string?' });
    if (options.tags && IS_PROMPT_TAG_KEY in options.tags) {
      throw invalidParameter('Prompts cannot be registered as models.');
    }
    return this.store.createModelVersion(name, source, {
      runId: options.runId ?? null,
      tags: toTags(options.tags),
      runLink: options.runLink ?? null,
      description: options.description ?? null,
      modelId: options.modelId ?? null,
    });
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    checkArgs('MlflowClient.getModelVersion', { name: [name, 'string'], version: [version, 'id'] });
    const mv = await this.store.getModelVersion(name, version);
    if (IS_PROMPT_TAG_KEY in mv.tags) throw modelNotFound(name);
    return mv;
  }

  /** Sets a version's description (required, as in Python). */
  async updateModelVersion(name: string, version: string | number, options: { description?: string | null } = {}): Promise<ModelVersion> {
    checkArgs('MlflowClient.updateModelVersion', { name: [name, 'string'], version: [version, 'id'] });
    checkOptions('MlflowClient.updateModelVersion', options, { description: 'string?' });
    if (options.description === undefined || options.description === null) {
      throw new MlflowError('INTERNAL_ERROR', 'Attempting to update model version with no new field values.');
    }
    await this.raiseIfPrompt(name);
    return this.store.updateModelVersion(name, version, options.description);
  }

  /** Soft-deletes a version (its number is never reused) and the aliases pointing at it. */
  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    checkArgs('MlflowClient.deleteModelVersion', { name: [name, 'string'], version: [version, 'id'] });
    await this.raiseIfPrompt(name);
    return this.store.deleteModelVersion(name, version);
  }

  /**
   * Versions matching MLflow's model-version filter grammar (10000 per page by default). The
   * filter goes first, as in Python (`searchModelVersions("name = 'iris'")`), or in the options
   * object (`{ filterString }`).
   */
  async searchModelVersions(
    filterString?: string | null | SearchOptions,
    options: Omit<SearchOptions, 'filterString'> = {},
  ): Promise<{ modelVersions: ModelVersion[]; token: string | null }> {
    const page = await this.store.searchModelVersions(searchArgs('MlflowClient.searchModelVersions', filterString, options));
    return { modelVersions: page.items, token: page.token };
  }

  /** The highest version in each of `stages` (default: all four stages). */
  async getLatestVersions(name: string, stages?: string[] | null): Promise<ModelVersion[]> {
    checkArgs('MlflowClient.getLatestVersions', { name: [name, 'string'], stages: [stages, 'string[]?'] });
    await this.raiseIfPrompt(name);
    return this.store.getLatestVersions(name, stages ?? null);
  }

  /** Moves a version to a legacy stage (`None`, `Staging`, `Production`, `Archived`, any case). */
  async transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    options: { archiveExistingVersions?: boolean } = {},
  ): Promise<ModelVersion> {
    checkArgs('MlflowClient.transitionModelVersionStage', { name: [name, 'string'], version: [version, 'id'], stage: [stage, 'string'] });
    checkOptions('MlflowClient.transitionModelVersionStage', options, { archiveExistingVersions: 'boolean?' });
    await this.raiseIfPrompt(name);
    if (typeof stage !== 'string' || stage.trim() === '') {
      throw new MlflowError('INTERNAL_ERROR', 'The stage must not be an empty string.');
    }
    return this.store.transitionModelVersionStage(name, version, stage, options.archiveExistingVersions ?? false);
  }

  async setModelVersionTag(name: string, version: string | number, key: string, value: unknown): Promise<void> {
    checkArgs('MlflowClient.setModelVersionTag', { name: [name, 'string'], version: [version, 'id'], key: [key, 'string'] });
    await this.raiseIfPrompt(name);
    return this.store.setModelVersionTag(name, version, { key, value: pythonStr(value) });
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void> {
    checkArgs('MlflowClient.deleteModelVersionTag', { name: [name, 'string'], version: [version, 'id'], key: [key, 'string'] });
    await this.raiseIfPrompt(name);
    return this.store.deleteModelVersionTag(name, version, key);
  }

  /** Where the version's files are: its `storage_location`, else its source. */
  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    checkArgs('MlflowClient.getModelVersionDownloadUri', { name: [name, 'string'], version: [version, 'id'] });
    await this.raiseIfPrompt(name);
    return this.store.getModelVersionDownloadUri(name, version);
  }

  // ------------------------------------------------------------ aliases

  /** Points `alias` at a version (`latest` and `v<digits>` are reserved). */
  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    checkArgs('MlflowClient.setRegisteredModelAlias', { name: [name, 'string'], alias: [alias, 'string'], version: [version, 'id'] });
    validateRegisteredModelName(name);
    validateModelAliasName(alias);
    validateModelVersion(version);
    await this.raiseIfPrompt(name);
    return this.store.setRegisteredModelAlias(name, alias, version);
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    checkArgs('MlflowClient.deleteRegisteredModelAlias', { name: [name, 'string'], alias: [alias, 'string'] });
    await this.raiseIfPrompt(name);
    return this.store.deleteRegisteredModelAlias(name, alias);
  }

  /** The version an alias points at; `latest` is the highest live version. */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    checkArgs('MlflowClient.getModelVersionByAlias', { name: [name, 'string'], alias: [alias, 'string'] });
    validateRegisteredModelName(name);
    const mv = await this.store.getModelVersionByAlias(name, alias);
    if (IS_PROMPT_TAG_KEY in mv.tags) throw modelNotFound(name);
    return mv;
  }

  // ------------------------------------------------------------ register_model

  /**
   * `mlflow.register_model`: a new version of `name` (the model is created when missing) from
   * a `runs:/<run>/<path>` URI (the run's artifact location when `<path>/MLmodel` is there, else
   * the run's logged model named `<path>`), a `models:/` URI or a local path. A version made
   * from a logged model is recorded in its `mlflow.modelVersions` tag.
   *
   * Unlike Python, the source is resolved before the model is created, so a bad source leaves
   * nothing behind.
   */
  async registerModel(modelUri: string, name: string, options: { tags?: Record<string, unknown> | null } = {}): Promise<ModelVersion> {
    checkArgs('MlflowClient.registerModel', { modelUri: [modelUri, 'string'], name: [name, 'string'] });
    checkOptions('MlflowClient.registerModel', options, { tags: 'record?' });
    validateRegisteredModelName(name);
    let runId: string | null = null;
    let modelId: string | null = null;
    let source = modelUri;
    if (uriScheme(modelUri) === 'runs') {
      const parsed = parseRunsUri(modelUri);
      runId = parsed.runId;
      const run = await this.trackingStore.getRun(parsed.runId);
      const repo = await this.trackingStore.artifactRepository(parsed.runId);
      const mlmodel = parsed.artifactPath ? `${parsed.artifactPath}/MLmodel` : 'MLmodel';
      const listing = await repo.listArtifacts(parsed.artifactPath).catch(() => []);
      if (listing.some((f) => f.path === mlmodel && !f.isDir)) {
        const base = run.info.artifactUri ?? repo.artifactUri;
        source = parsed.artifactPath ? appendToUriPath(base, parsed.artifactPath) : base;
      } else {
        const candidates = (await this.trackingStore.listLoggedModels([run.info.experimentId])).filter(
          (m) => m.name === parsed.artifactPath && m.sourceRunId === parsed.runId,
        );
        if (candidates.length === 0) {
          // MLflow raises with error_code NOT_FOUND, which MlflowException turns into INTERNAL_ERROR.
          throw new MlflowError(
            'INTERNAL_ERROR',
            `Unable to find a logged_model with artifact_path ${parsed.artifactPath} under run ${parsed.runId}`,
          );
        }
        const steps = new Map(run.outputs.modelOutputs.map((o) => [o.modelId, o.step]));
        const best = candidates.reduce((a, b) => ((steps.get(b.modelId) ?? -Infinity) > (steps.get(a.modelId) ?? -Infinity) ? b : a));
        modelId = best.modelId;
        source = `models:/${modelId}`;
      }
    } else if (uriScheme(modelUri) === 'models') {
      const parsed = parseModelUri(modelUri);
      if (parsed.modelId !== null) modelId = parsed.modelId;
      else if (parsed.version !== null) modelId = (await this.store.getModelVersion(parsed.name, parsed.version)).modelId;
    }
    // Check what create_model_version would fail on before anything is written.
    if (options.tags && IS_PROMPT_TAG_KEY in options.tags) throw invalidParameter('Prompts cannot be registered as models.');
    await this.store.resolveSource(source, runId);
    if (modelId && !runId) await this.trackingStore.getLoggedModel(modelId);

    try {
      await this.store.createRegisteredModel(name);
    } catch (err) {
      if (!(err instanceof MlflowError && err.code === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
    const mv = await this.store.createModelVersion(name, source, { runId, tags: toTags(options.tags), modelId });
    if (modelId) {
      let entries: unknown[] = [];
      try {
        const model = await this.trackingStore.getLoggedModel(modelId);
        const existing = model.tags[MODEL_VERSIONS_TAG];
        if (existing) {
          const parsed: unknown = JSON.parse(existing);
          if (Array.isArray(parsed)) entries = parsed;
        }
        entries.push({ name: mv.name, version: Number(mv.version) });
        await this.trackingStore.setLoggedModelTags(modelId, [{ key: MODEL_VERSIONS_TAG, value: jsonDumps(entries) }]);
      } catch (err) {
        if (!(err instanceof MlflowError && err.code === 'RESOURCE_DOES_NOT_EXIST')) throw err;
      }
    }
    return mv;
  }
}
