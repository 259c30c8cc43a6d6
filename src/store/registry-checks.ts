/**
 * What the file and SQLite model registries share, one copy so the two backends cannot drift:
 * the stages, the prompt marker, `models:/` URI parsing, and the checks (with their errors, word
 * for word as Python's) made before touching storage.
 */
import type { ModelVersion, PagedList, RegisteredModel } from '../entities.js';
import { MlflowError, alreadyExists, invalidParameter } from '../errors.js';
import { pythonRepr } from '../format/float.js';
import { validateModelVersionTag, validateRegisteredModelName } from '../format/validation.js';
import { searchModelVersionsInMemory, searchRegisteredModelsInMemory } from '../search/index.js';
import type { LoggedModelLookup, RegistrySearchOptions, RegistryTag } from './registry-store.js';
import { uriScheme } from './uri.js';

/**
 * The legacy stages, spelled as MLflow stores them (`current_stage` in a version's meta.yaml).
 *
 * @example
 * ```ts
 * (await registry.getModelVersion('iris', '1')).currentStage === STAGE_PRODUCTION;
 * ```
 */
export const STAGE_NONE = 'None';
/** @example `await registry.transitionModelVersionStage('iris', '1', STAGE_STAGING)` */
export const STAGE_STAGING = 'Staging';
/** @example `await registry.transitionModelVersionStage('iris', '1', STAGE_PRODUCTION, true)` */
export const STAGE_PRODUCTION = 'Production';
/** @example `await registry.transitionModelVersionStage('iris', '1', STAGE_ARCHIVED)` */
export const STAGE_ARCHIVED = 'Archived';
/**
 * The stage of a soft-deleted version (2.2+): kept on disk, invisible to every read.
 *
 * @example
 * ```ts
 * await registry.deleteModelVersion('iris', '1'); // version-1/meta.yaml now says current_stage: Deleted_Internal
 * ```
 */
export const STAGE_DELETED_INTERNAL = 'Deleted_Internal';
/**
 * `ALL_STAGES`, in MLflow's order (the default of `getLatestVersions`).
 *
 * @example
 * ```ts
 * await registry.getLatestVersions('iris', [...ALL_STAGES]);
 * ```
 */
export const ALL_STAGES: readonly string[] = [STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED];
/**
 * `DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS`: the stages `archiveExistingVersions` works with.
 *
 * @example
 * ```ts
 * ACTIVE_STAGES.includes(getCanonicalStage('production')); // true
 * ```
 */
export const ACTIVE_STAGES: readonly string[] = [STAGE_STAGING, STAGE_PRODUCTION];
/**
 * The tag that marks a registered model as a prompt (hidden from `RegisteredModel.tags`, and
 * prompts are left out of registry searches).
 *
 * @example
 * ```ts
 * IS_PROMPT_TAG_KEY in (await registry.getRegisteredModel('iris')).tags; // always false
 * ```
 */
export const IS_PROMPT_TAG_KEY = 'mlflow.prompt.is_prompt';

/**
 * MLflow's error for `create_registered_model` on a taken name: a model and a prompt never share
 * a name; otherwise "<entity> (name=...) already exists." (every registry backend raises it).
 *
 * @example
 * ```ts
 * nameTakenError('iris', false, []).message; // 'Registered Model (name=iris) already exists.'
 * ```
 */
export function nameTakenError(name: string, existingIsPrompt: boolean, newTags: readonly RegistryTag[]): MlflowError {
  const oldEntity = existingIsPrompt ? 'Prompt' : 'Registered Model';
  const newEntity = newTags.some((t) => t.key === IS_PROMPT_TAG_KEY) ? 'Prompt' : 'Registered Model';
  if (oldEntity !== newEntity) {
    return alreadyExists(
      `Tried to create a ${newEntity.toLowerCase()} with name ${pythonRepr(name)}, but the name is already taken by a ` +
        `${oldEntity.toLowerCase()}. MLflow does not allow creating a model and a prompt with the same name.`,
    );
  }
  return alreadyExists(`${newEntity} (name=${name}) already exists.`);
}
/**
 * `get_canonical_stage`: a stage name in any case → its canonical spelling.
 *
 * @example
 * ```ts
 * getCanonicalStage('production'); // 'Production'
 * getCanonicalStage('bogus'); // throws INVALID_PARAMETER_VALUE
 * ```
 */
export function getCanonicalStage(stage: string): string {
  const found = ALL_STAGES.find((s) => s.toLowerCase() === String(stage).toLowerCase());
  if (found === undefined) {
    throw invalidParameter(`Invalid Model Version stage: ${stage}. Value must be one of ${ALL_STAGES.join(', ')}.`);
  }
  return found;
}

/**
 * A registered model as Python's `RegisteredModel.tags` shows it: without the prompt marker.
 *
 * @example
 * ```ts
 * stripPromptTag(model).tags['mlflow.prompt.is_prompt']; // undefined
 * ```
 */
export function stripPromptTag(m: RegisteredModel): RegisteredModel {
  if (!(IS_PROMPT_TAG_KEY in m.tags)) return m;
  const { [IS_PROMPT_TAG_KEY]: _hidden, ...tags } = m.tags;
  return { ...m, tags };
}

/**
 * `ParsedModelUri`: exactly one of model id, version, stage, alias (or none: latest).
 *
 * @example
 * ```ts
 * const { name, version } = parseModelUri('models:/iris/3'); // 'iris', '3'
 * ```
 */
export interface ParsedModelUri {
  modelId: string | null;
  name: string;
  version: string | null;
  stage: string | null;
  alias: string | null;
}

/**
 * The path of a URI as `urllib.parse.urlparse(uri, allow_fragments=False)` sees it.
 *
 * @example
 * ```ts
 * uriPath('models:/m/1'); // '/m/1'
 * ```
 */
export function uriPath(uri: string): string {
  const colon = uri.indexOf(':');
  let rest = colon === -1 ? uri : uri.slice(colon + 1);
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const q0 = rest.indexOf('?', 2);
    const end = slash === -1 ? (q0 === -1 ? rest.length : q0) : q0 !== -1 && q0 < slash ? q0 : slash;
    rest = rest.slice(end);
  }
  const q = rest.indexOf('?');
  return q === -1 ? rest : rest.slice(0, q);
}

function improperModelUri(uri: string): MlflowError {
  return new MlflowError(
    'INTERNAL_ERROR',
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/name/suffix' or 'models:/name@alias' ` +
      `where suffix is a version, stage, or the string 'latest' and where alias is a registered model alias. ` +
      'Only one of suffix or alias can be defined at a time.',
  );
}

/**
 * `_parse_model_uri` (3.x): `models:/<name>/<version>`, `models:/<name>/<stage>`,
 * `models:/<name>/latest`, `models:/<name>@<alias>`, `models:/<model_id>`.
 *
 * @example
 * ```ts
 * parseModelUri('models:/iris@champion'); // { name: 'iris', alias: 'champion', ... }
 * parseModelUri('models:/m-0123'); // { modelId: 'm-0123', ... }
 * ```
 */
export function parseModelUri(uri: string): ParsedModelUri {
  if (uriScheme(uri) !== 'models') throw improperModelUri(uri);
  const p = uriPath(uri);
  if (!p.startsWith('/') || p.length <= 1) throw improperModelUri(uri);
  const parts = p.replace(/^\/+/, '').split('/');
  const first = parts[0] ?? '';
  if (parts.length > 2 || first.trim() === '') throw improperModelUri(uri);
  const none = { modelId: null, version: null, stage: null, alias: null };
  if (parts.length === 2) {
    const suffix = parts[1] as string;
    if (suffix.trim() === '') throw improperModelUri(uri);
    if (/^\p{Nd}+$/u.test(suffix)) return { ...none, name: first, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { ...none, name: first };
    return { ...none, name: first, stage: suffix };
  }
  if (p.includes('@')) {
    const at = first.lastIndexOf('@');
    if (at === -1 || first.slice(at + 1).trim() === '') throw improperModelUri(uri);
    return { ...none, name: first.slice(0, at), alias: first.slice(at + 1) };
  }
  return { ...none, name: first, modelId: first };
}


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
