/**
 * The model registry of an MLflow tracking server: `RegistryStore` over MLflow's REST API
 * (`/api/2.0/mlflow/registered-models/...`, `/model-versions/...`), as Python's
 * `mlflow.store.model_registry.rest_store.RestStore` calls it.
 */
import type { ModelVersion, PagedList, RegisteredModel } from '../../entities.js';
import type { ReadWarning } from '../../errors.js';
import { IS_PROMPT_TAG_KEY } from '../file/registry-store.js';
import type { CreateModelVersionArgs, LoggedModelLookup, RegistrySearchOptions, RegistryStore, RegistryTag } from '../registry-store.js';
import { toModelVersion, toRegisteredModel } from './convert.js';
import { RestConnection } from './http.js';
import type { RestOptions } from './http.js';

const API = '/api/2.0/mlflow';
type J = Record<string, unknown>;

function withoutPromptTag(m: RegisteredModel): RegisteredModel {
  if (!(IS_PROMPT_TAG_KEY in m.tags)) return m;
  const { [IS_PROMPT_TAG_KEY]: _hidden, ...tags } = m.tags;
  return { ...m, tags };
}

/**
 * `RegistryStore` of an MLflow tracking server.
 *
 * @example
 * ```ts
 * const registry = new RestRegistryStore('http://127.0.0.1:5000');
 * await registry.createRegisteredModel('iris');
 * ```
 */
export class RestRegistryStore implements RegistryStore {
  readonly conn: RestConnection;
  readonly warnings: ReadWarning[] = [];

  constructor(
    uri: string | RestConnection,
    private readonly loggedModels?: LoggedModelLookup,
    options: RestOptions = {},
  ) {
    this.conn = typeof uri === 'string' ? new RestConnection(uri, options) : uri;
  }

  private call<T = J>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, body?: J): Promise<T> {
    return this.conn.callJson<T>(method, `${API}/${endpoint}`, body);
  }

  async createRegisteredModel(name: string, tags: RegistryTag[] = [], description?: string | null): Promise<RegisteredModel> {
    const res = await this.call<{ registered_model: J }>('POST', 'registered-models/create', {
      name,
      tags: tags.map((t) => ({ key: t.key, value: t.value })),
      description: description ?? undefined,
    });
    return toRegisteredModel(res.registered_model);
  }

  async getRegisteredModelWithAllTags(name: string): Promise<RegisteredModel> {
    const res = await this.call<{ registered_model: J }>('GET', 'registered-models/get', { name });
    return toRegisteredModel(res.registered_model);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return withoutPromptTag(await this.getRegisteredModelWithAllTags(name));
  }

  async updateRegisteredModel(name: string, description: string | null): Promise<RegisteredModel> {
    const res = await this.call<{ registered_model: J }>('PATCH', 'registered-models/update', { name, description: description ?? undefined });
    return toRegisteredModel(res.registered_model);
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const res = await this.call<{ registered_model: J }>('POST', 'registered-models/rename', { name, new_name: newName });
    return toRegisteredModel(res.registered_model);
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.call('DELETE', 'registered-models/delete', { name });
  }

  async searchRegisteredModels(options: RegistrySearchOptions = {}): Promise<PagedList<RegisteredModel>> {
    const res = await this.call<{ registered_models?: J[]; next_page_token?: string }>('GET', 'registered-models/search', {
      filter: options.filterString || undefined,
      max_results: options.maxResults ?? 100,
      order_by: options.orderBy ?? undefined,
      page_token: options.pageToken ?? undefined,
    });
    return { items: (res.registered_models ?? []).map(toRegisteredModel).map(withoutPromptTag), token: res.next_page_token || null };
  }

  async getLatestVersions(name: string, stages?: string[] | null): Promise<ModelVersion[]> {
    const res = await this.call<{ model_versions?: J[] }>('POST', 'registered-models/get-latest-versions', { name, stages: stages ?? [] });
    return (res.model_versions ?? []).map(toModelVersion);
  }

  async setRegisteredModelTag(name: string, tag: RegistryTag): Promise<void> {
    await this.call('POST', 'registered-models/set-tag', { name, key: tag.key, value: tag.value });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.call('DELETE', 'registered-models/delete-tag', { name, key });
  }

  async createModelVersion(name: string, source: string, args: CreateModelVersionArgs = {}): Promise<ModelVersion> {
    const res = await this.call<{ model_version: J }>('POST', 'model-versions/create', {
      name,
      source,
      run_id: args.runId ?? undefined,
      tags: (args.tags ?? []).map((t) => ({ key: t.key, value: t.value })),
      run_link: args.runLink ?? undefined,
      description: args.description ?? undefined,
      model_id: args.modelId ?? undefined,
    });
    return toModelVersion(res.model_version);
  }

  /** `models:/m-<id>` resolves to the logged model's location, `models:/<name>/<version>` to the version's download URI. */
  async resolveSource(source: string, runId: string | null): Promise<{ storageLocation: string; runId: string | null }> {
    const m = /^models:\/(m-[0-9a-f]+)\/?$/.exec(source);
    if (m && this.loggedModels) {
      const lm = await this.loggedModels.getLoggedModel(m[1] as string);
      return { storageLocation: lm.artifactLocation, runId: runId ?? lm.sourceRunId };
    }
    const v = /^models:\/([^/]+)\/([0-9]+)\/?$/.exec(source);
    if (v) return { storageLocation: await this.getModelVersionDownloadUri(v[1] as string, v[2] as string), runId };
    return { storageLocation: source, runId };
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    const res = await this.call<{ model_version: J }>('GET', 'model-versions/get', { name, version: String(version) });
    return toModelVersion(res.model_version);
  }

  async updateModelVersion(name: string, version: string | number, description: string | null): Promise<ModelVersion> {
    const res = await this.call<{ model_version: J }>('PATCH', 'model-versions/update', {
      name,
      version: String(version),
      description: description ?? undefined,
    });
    return toModelVersion(res.model_version);
  }

  async transitionModelVersionStage(name: string, version: string | number, stage: string, archiveExistingVersions: boolean): Promise<ModelVersion> {
    const res = await this.call<{ model_version: J }>('POST', 'model-versions/transition-stage', {
      name,
      version: String(version),
      stage,
      archive_existing_versions: archiveExistingVersions,
    });
    return toModelVersion(res.model_version);
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    await this.call('DELETE', 'model-versions/delete', { name, version: String(version) });
  }

  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    const res = await this.call<{ artifact_uri: string }>('GET', 'model-versions/get-download-uri', { name, version: String(version) });
    return String(res.artifact_uri);
  }

  async searchModelVersions(options: RegistrySearchOptions = {}): Promise<PagedList<ModelVersion>> {
    const res = await this.call<{ model_versions?: J[]; next_page_token?: string }>('GET', 'model-versions/search', {
      filter: options.filterString || undefined,
      max_results: options.maxResults ?? 10000,
      order_by: options.orderBy ?? undefined,
      page_token: options.pageToken ?? undefined,
    });
    return { items: (res.model_versions ?? []).map(toModelVersion), token: res.next_page_token || null };
  }

  async setModelVersionTag(name: string, version: string | number, tag: RegistryTag): Promise<void> {
    await this.call('POST', 'model-versions/set-tag', { name, version: String(version), key: tag.key, value: tag.value });
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void> {
    await this.call('DELETE', 'model-versions/delete-tag', { name, version: String(version), key });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version: String(version) });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.call('DELETE', 'registered-models/alias', { name, alias });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const res = await this.call<{ model_version: J }>('GET', 'registered-models/alias', { name, alias });
    return toModelVersion(res.model_version);
  }
}
