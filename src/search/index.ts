/**
 * In-memory searches with MLflow 3.17 FileStore semantics: validate `max_results`, filter,
 * sort, paginate — in that order, so the same input fails with the same kind of error.
 *
 * @example
 * ```ts
 * import { searchRunsInMemory } from './index.js';
 * const { items, token } = searchRunsInMemory(runs, {
 *   filterString: "metrics.acc > 0.9 AND params.model = 'cnn'",
 *   orderBy: ['metrics.acc DESC'],
 *   maxResults: 10,
 * });
 * ```
 */
import type { Experiment, ModelVersion, PagedList, RegisteredModel, Run, ViewType } from '../entities.js';
import { MlflowError } from '../errors.js';
import {
  filterExperiments,
  filterModelVersions,
  filterRegisteredModels,
  filterRuns,
  sortExperiments,
  sortModelVersions,
  sortRegisteredModels,
  sortRuns,
} from './evaluate.js';
import {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from './parse.js';
import { SEARCH_LIMITS, paginate, validateMaxResults } from './paging.js';

export * from './ast.js';
export * from './parse.js';
export * from './evaluate.js';
export * from './paging.js';

/**
 * Options shared by the in-memory searches.
 *
 * @example
 * ```ts
 * const o: SearchOptions = { filterString: "name LIKE 'a%'", orderBy: ['name'], maxResults: 100, pageToken: null };
 * ```
 */
export interface SearchOptions {
  filterString?: string | null;
  orderBy?: readonly string[] | null;
  maxResults?: number;
  pageToken?: string | null;
}

/**
 * Options of {@link searchRunsInMemory}.
 *
 * @example
 * ```ts
 * const o: SearchRunsInMemoryOptions = { runViewType: 'ALL' };
 * ```
 */
export interface SearchRunsInMemoryOptions extends SearchOptions {
  /** Filter on `info.lifecycleStage`; defaults to ACTIVE_ONLY like MLflow's client. */
  runViewType?: ViewType;
}

/**
 * Options of {@link searchExperimentsInMemory}.
 *
 * @example
 * ```ts
 * const o: SearchExperimentsInMemoryOptions = { viewType: 'DELETED_ONLY' };
 * ```
 */
export interface SearchExperimentsInMemoryOptions extends SearchOptions {
  /** Filter on `lifecycleStage`; when omitted every given experiment is searched. */
  viewType?: ViewType;
}

function inView(stage: string, view: ViewType | undefined): boolean {
  if (view === undefined || view === 'ALL') return true;
  return view === 'ACTIVE_ONLY' ? stage === 'active' : stage === 'deleted';
}

/**
 * `FileStore.search_runs` over runs already in memory. Returns the page as `items` (and, for
 * convenience, `runs`) with the next page token.
 *
 * @example
 * ```ts
 * const page = searchRunsInMemory(runs, { filterString: "attributes.status = 'FINISHED'", maxResults: 50 });
 * const next = searchRunsInMemory(runs, { filterString: "attributes.status = 'FINISHED'", maxResults: 50, pageToken: page.token });
 * ```
 */
export function searchRunsInMemory(
  runs: readonly Run[],
  options: SearchRunsInMemoryOptions = {},
): PagedList<Run> & { runs: Run[] } {
  const maxResults = options.maxResults ?? SEARCH_LIMITS.runs.default;
  validateMaxResults('runs', maxResults);
  const view = options.runViewType ?? 'ACTIVE_ONLY';
  const candidates = runs.filter((r) => inView(r.info.lifecycleStage, view));
  const filtered = filterRuns(candidates, parseRunFilter(options.filterString));
  // Python pre-sorts (TypeError on a null start_time) before parsing order_by.
  if (filtered.some((r) => r.info.startTime === null || r.info.startTime === undefined)) {
    throw new MlflowError('INTERNAL_ERROR', "TypeError: bad operand type for unary -: 'NoneType'");
  }
  const sorted = sortRuns(filtered, parseRunOrderBy(options.orderBy ?? []));
  const page = paginate(sorted, maxResults, options.pageToken);
  return { items: page.items, runs: page.items, token: page.token };
}

/**
 * `FileStore.search_experiments` over experiments already in memory (default order
 * `creation_time DESC, experiment_id ASC`).
 *
 * @example
 * ```ts
 * searchExperimentsInMemory(exps, { filterString: "tags.team = 'a'", orderBy: ['name'] });
 * ```
 */
export function searchExperimentsInMemory(
  experiments: readonly Experiment[],
  options: SearchExperimentsInMemoryOptions = {},
): PagedList<Experiment> {
  const maxResults = options.maxResults ?? SEARCH_LIMITS.experiments.default;
  validateMaxResults('experiments', maxResults);
  const candidates = experiments.filter((e) => inView(e.lifecycleStage, options.viewType));
  const filtered = filterExperiments(candidates, parseExperimentFilter(options.filterString));
  const orderBy = options.orderBy && options.orderBy.length > 0 ? options.orderBy : ['creation_time DESC', 'experiment_id ASC'];
  const sorted = sortExperiments(filtered, parseExperimentOrderBy(orderBy));
  return paginate(sorted, maxResults, options.pageToken);
}

/**
 * MLflow's `add_prompt_filter_string(filter, is_prompt=False)`: excludes prompts unless the filter
 * mentions `mlflow.prompt.is_prompt`.
 *
 * @example
 * ```ts
 * addPromptFilter("name = 'm'"); // "name = 'm' AND tag.`mlflow.prompt.is_prompt` != 'true'"
 * ```
 */
export function addPromptFilter(filterString: string | null | undefined, isPrompt = false): string {
  const key = 'mlflow.prompt.is_prompt';
  if ((filterString ?? '').includes(key)) return filterString as string;
  const clause = isPrompt ? `tag.\`${key}\` = 'true'` : `tag.\`${key}\` != 'true'`;
  return filterString ? `${filterString} AND ${clause}` : clause;
}

/**
 * `FileStore.search_registered_models` over models in memory (prompts excluded, default
 * max_results 100, at most 1000).
 *
 * @example
 * ```ts
 * searchRegisteredModelsInMemory(models, { filterString: "name LIKE 'bert%'", maxResults: 100 });
 * ```
 */
export function searchRegisteredModelsInMemory(
  models: readonly RegisteredModel[],
  options: SearchOptions = {},
): PagedList<RegisteredModel> {
  const maxResults = options.maxResults ?? SEARCH_LIMITS.registeredModels.default;
  validateMaxResults('registeredModels', maxResults);
  const filterString = addPromptFilter(options.filterString);
  const filtered = filterRegisteredModels(models, parseRegisteredModelFilter(filterString));
  const sorted = sortRegisteredModels(filtered, parseRegisteredModelOrderBy(options.orderBy ?? []));
  return paginate(sorted, maxResults, options.pageToken);
}

/**
 * `FileStore.search_model_versions` over versions in memory (soft-deleted versions and prompt
 * versions excluded; default order `last_updated_timestamp DESC, name ASC, version_number DESC`).
 *
 * @example
 * ```ts
 * searchModelVersionsInMemory(versions, { filterString: "name = 'm'", maxResults: 10000 });
 * ```
 */
export function searchModelVersionsInMemory(
  versions: readonly ModelVersion[],
  options: SearchOptions = {},
): PagedList<ModelVersion> {
  const maxResults = options.maxResults ?? SEARCH_LIMITS.modelVersions.default;
  validateMaxResults('modelVersions', maxResults);
  const filterString = addPromptFilter(options.filterString);
  const filtered = filterModelVersions(versions, parseModelVersionFilter(filterString));
  const orderBy =
    options.orderBy && options.orderBy.length > 0
      ? options.orderBy
      : ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];
  const sorted = sortModelVersions(filtered, parseModelVersionOrderBy(orderBy));
  return paginate(sorted, maxResults, options.pageToken);
}
