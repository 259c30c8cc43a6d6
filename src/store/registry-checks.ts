/**
 * The checks (and their errors, word for word as Python's) that the file and SQLite model
 * registries both make before touching storage: one copy, so the two backends cannot drift.
 */
import type { ModelVersion, PagedList, RegisteredModel } from '../entities.js';
import { MlflowError } from '../errors.js';
import { validateModelVersionTag, validateRegisteredModelName } from '../format/validation.js';
import { searchModelVersionsInMemory, searchRegisteredModelsInMemory } from '../search/index.js';
import { ACTIVE_STAGES, ALL_STAGES, getCanonicalStage, parseModelUri, stripPromptTag } from './file/registry-store.js';
import type { LoggedModelLookup, RegistrySearchOptions, RegistryTag } from './registry-store.js';
import { uriScheme } from './uri.js';

/**
 * `create_model_version`'s checks of its arguments, before the source is resolved.
 *
 * @example
 * ```ts
 * checkCreateModelVersion('iris', [{ key: 'k', value: 'v' }]); // throws on a bad name or tag
 * ```
 */
export function checkCreateModelVersion(name: string, tags: readonly RegistryTag[]): void {
  validateRegisteredModelName(name);
  for (const t of tags) validateModelVersionTag(t.key, t.value);
}

/**
 * `transition_model_version_stage`: the canonical stage, refused (INTERNAL_ERROR, as Python) when
 * `archiveExistingVersions` is asked for a stage that is not Staging or Production.
 *
 * @example
 * ```ts
 * transitionTargetStage('production', true); // 'Production'
 * ```
 */
export function transitionTargetStage(stage: string, archiveExistingVersions: boolean): string {
  const canonical = getCanonicalStage(stage);
  if (archiveExistingVersions && !ACTIVE_STAGES.includes(canonical)) {
    throw new MlflowError(
      'INTERNAL_ERROR',
      `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. ` +
        `Valid stages are ['${ACTIVE_STAGES.join("', '")}']`,
    );
  }
  return canonical;
}

/**
 * `get_latest_versions`: the canonical stages asked for (all four when none are).
 *
 * @example
 * ```ts
 * latestVersionStages(['production', 'Production']); // ['Production']
 * ```
 */
export function latestVersionStages(stages: readonly string[] | null | undefined): string[] {
  return stages && stages.length > 0 ? [...new Set(stages.map(getCanonicalStage))] : [...ALL_STAGES];
}

/**
 * How a registry resolves a `models:/` source: a logged model (3.x) and a version's download URI.
 *
 * @example
 * ```ts
 * const resolver: SourceResolver = { loggedModel: (id) => trackingStore.getLoggedModel(id), downloadUri: (n, v) => registry.getModelVersionDownloadUri(n, v) };
 * ```
 */
export interface SourceResolver {
  loggedModel: LoggedModelLookup['getLoggedModel'];
  downloadUri(name: string, version: string): Promise<string>;
}

/**
 * `create_model_version`'s source resolution: a `models:/m-<id>` source is the logged model's
 * artifact location (its run the version's run when none is given), `models:/<name>/<version>`
 * that version's download URI; anything else is its own storage location. A failure is
 * INTERNAL_ERROR with Python's message, before anything is written.
 *
 * @example
 * ```ts
 * await resolveModelVersionSource('models:/iris/1', null, resolver); // { storageLocation: '/…/artifacts/model', runId: null }
 * ```
 */
export async function resolveModelVersionSource(
  source: string,
  runId: string | null,
  resolver: SourceResolver,
): Promise<{ storageLocation: string; runId: string | null }> {
  if (uriScheme(source) !== 'models') return { storageLocation: source, runId };
  const parsed = parseModelUri(source);
  try {
    if (parsed.modelId !== null) {
      const model = await resolver.loggedModel(parsed.modelId);
      return { storageLocation: model.artifactLocation, runId: runId || model.sourceRunId };
    }
    if (parsed.version === null) {
      throw new Error("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
    }
    return { storageLocation: await resolver.downloadUri(parsed.name, parsed.version), runId };
  } catch (err) {
    throw new MlflowError('INTERNAL_ERROR', `Unable to fetch model from model URI source artifact location '${source}'.Error: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * `search_registered_models`: `max_results` checked before anything is read (as MLflow does),
 * then one page of the models `list()` gives, prompts' marker tag hidden.
 *
 * @example
 * ```ts
 * searchRegisteredModelsPage(() => models, { filterString: "name LIKE 'ir%'", maxResults: 10 });
 * ```
 */
export function searchRegisteredModelsPage(list: () => RegisteredModel[], options: RegistrySearchOptions): PagedList<RegisteredModel> {
  const maxResults = options.maxResults ?? 100;
  searchRegisteredModelsInMemory([], { maxResults });
  const page = searchRegisteredModelsInMemory(list(), {
    filterString: options.filterString ?? null,
    orderBy: options.orderBy ?? null,
    maxResults,
    pageToken: options.pageToken ?? null,
  });
  return { items: page.items.map(stripPromptTag), token: page.token };
}

/**
 * `search_model_versions`: `max_results` checked before anything is read, then one page of the
 * versions `list()` gives.
 *
 * @example
 * ```ts
 * searchModelVersionsPage(() => versions, { filterString: "name = 'iris'" });
 * ```
 */
export function searchModelVersionsPage(list: () => ModelVersion[], options: RegistrySearchOptions): PagedList<ModelVersion> {
  const maxResults = options.maxResults ?? 10000;
  searchModelVersionsInMemory([], { maxResults });
  return searchModelVersionsInMemory(list(), {
    filterString: options.filterString ?? null,
    orderBy: options.orderBy ?? null,
    maxResults,
    pageToken: options.pageToken ?? null,
  });
}
