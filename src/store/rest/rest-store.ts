/**
 * The tracking store of an MLflow tracking server: `TrackingStore` over MLflow's REST API
 * (`/api/2.0/mlflow/...`, the 3.x logged-model endpoints), as Python's
 * `mlflow.store.tracking.rest_store.RestStore` calls it.
 */
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
} from '../../entities.js';
import { MlflowError } from '../../errors.js';
import type { ReadWarning } from '../../errors.js';
import type { ArtifactRepository } from '../artifact-repository.js';
import { LocalArtifactRepository } from '../file/artifacts.js';
import type {
  CreateLoggedModelArgs,
  CreateRunArgs,
  SearchExperimentsOptions,
  SearchRunsOptions,
  TrackingStore,
} from '../tracking-store.js';
import { isLocalUri } from '../uri.js';
import { ProxyArtifactRepository, proxiedArtifactRoot } from './artifacts.js';
import {
  LOGGED_MODEL_STATUS_TO_PROTO,
  fromDatasetInput,
  fromMetric,
  toExperiment,
  toLoggedModel,
  toMetric,
  toRun,
  toRunInfo,
} from './convert.js';
import { RestConnection, toMlflowJson } from './http.js';
import type { RestOptions } from './http.js';

const API = '/api/2.0/mlflow';

/** MLflow's `log_batch` limits (`mlflow.utils.validation`). */
export const BATCH_LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  entities: 1000,
  /** Bytes of one request body (`MAX_BATCH_LOG_REQUEST_SIZE`), with room for the envelope. */
  bytes: 1_000_000 - 4096,
} as const;

type J = Record<string, unknown>;

/**
 * Splits a batch into requests the server takes: at most 100 params, 100 tags, 1,000 metrics,
 * 1,000 entities and ~1 MB each; params and tags go first, as MLflow's client sends them.
 */
export function splitBatch(batch: { metrics?: Metric[]; params?: Param[]; tags?: RunTag[] }): Array<{ metrics: J[]; params: J[]; tags: J[] }> {
  const out: Array<{ metrics: J[]; params: J[]; tags: J[] }> = [];
  let cur = { metrics: [] as J[], params: [] as J[], tags: [] as J[] };
  let bytes = 0;
  const flush = () => {
    if (cur.metrics.length + cur.params.length + cur.tags.length > 0) out.push(cur);
    cur = { metrics: [], params: [], tags: [] };
    bytes = 0;
  };
  const add = (kind: 'metrics' | 'params' | 'tags', item: J) => {
    const size = toMlflowJson(item).length + 1;
    const count = cur.metrics.length + cur.params.length + cur.tags.length;
    if (cur[kind].length >= BATCH_LIMITS[kind] || count >= BATCH_LIMITS.entities || bytes + size > BATCH_LIMITS.bytes) flush();
    cur[kind].push(item);
    bytes += size;
  };
  for (const p of batch.params ?? []) add('params', { key: p.key, value: p.value });
  for (const t of batch.tags ?? []) add('tags', { key: t.key, value: t.value });
  for (const m of batch.metrics ?? []) add('metrics', fromMetric(m));
  flush();
  return out;
}

/**
 * `TrackingStore` of an MLflow tracking server (`http://` / `https://` tracking URIs).
 *
 * @example
 * ```ts
 * const store = new RestStore('http://127.0.0.1:5000');
 * const expId = await store.createExperiment('demo');
 * const run = await store.createRun({ experimentId: expId, userId: 'me', startTime: Date.now(), tags: [] });
 * await store.logBatch(run.info.runId, { metrics: [{ key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 }] });
 * ```
 */
export class RestStore implements TrackingStore {
  readonly trackingUri: string;
  readonly conn: RestConnection;
  readonly warnings: ReadWarning[] = [];
  private artifactUris = new Map<string, string>();

  constructor(uri: string, options: RestOptions = {}) {
    this.conn = new RestConnection(uri, options);
    this.trackingUri = this.conn.baseUrl;
  }

  private call<T = J>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, body?: J): Promise<T> {
    return this.conn.callJson<T>(method, `${API}/${endpoint}`, body);
  }

  close(): void {
    this.conn.close();
  }

  // ------------------------------------------------------------------ experiments

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<PagedList<Experiment>> {
    const res = await this.call<{ experiments?: J[]; next_page_token?: string }>('POST', 'experiments/search', {
      max_results: options.maxResults ?? 1000,
      page_token: options.pageToken ?? undefined,
      filter: options.filterString || undefined,
      order_by: options.orderBy ?? undefined,
      view_type: options.viewType ?? 'ACTIVE_ONLY',
    });
    return { items: (res.experiments ?? []).map(toExperiment), token: res.next_page_token || null };
  }

  async createExperiment(name: string, artifactLocation?: string | null, tags: RunTag[] = []): Promise<string> {
    const res = await this.call<{ experiment_id: string }>('POST', 'experiments/create', {
      name,
      artifact_location: artifactLocation || undefined,
      tags: tags.map((t) => ({ key: t.key, value: t.value })),
    });
    return String(res.experiment_id);
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const res = await this.call<{ experiment: J }>('GET', 'experiments/get', { experiment_id: experimentId });
    return toExperiment(res.experiment);
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      const res = await this.call<{ experiment: J }>('GET', 'experiments/get-by-name', { experiment_name: name });
      return toExperiment(res.experiment);
    } catch (e) {
      if (e instanceof MlflowError && e.code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    }
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.call('POST', 'experiments/delete', { experiment_id: experimentId });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.call('POST', 'experiments/restore', { experiment_id: experimentId });
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.call('POST', 'experiments/update', { experiment_id: experimentId, new_name: newName });
  }

  async setExperimentTag(experimentId: string, tag: RunTag): Promise<void> {
    await this.call('POST', 'experiments/set-experiment-tag', { experiment_id: experimentId, key: tag.key, value: tag.value });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.call('POST', 'experiments/delete-experiment-tag', { experiment_id: experimentId, key });
  }

  // ------------------------------------------------------------------ runs

  async createRun(args: CreateRunArgs): Promise<Run> {
    if (args.runId) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `A tracking server picks the ids of new runs: cannot create run '${args.runId}' on ${this.trackingUri}`);
    }
    const res = await this.call<{ run: J }>('POST', 'runs/create', {
      experiment_id: args.experimentId,
      user_id: args.userId,
      start_time: args.startTime,
      tags: args.tags.map((t) => ({ key: t.key, value: t.value })),
      run_name: args.runName ?? undefined,
    });
    const run = toRun(res.run);
    if (run.info.artifactUri) this.artifactUris.set(run.info.runId, run.info.artifactUri);
    return run;
  }

  async getRun(runId: string): Promise<Run> {
    const res = await this.call<{ run: J }>('GET', 'runs/get', { run_id: runId });
    return toRun(res.run);
  }

  async updateRunInfo(runId: string, status: RunStatus | null, endTime: number | null, runName: string | null): Promise<RunInfo> {
    const res = await this.call<{ run_info: J }>('POST', 'runs/update', {
      run_id: runId,
      run_uuid: runId,
      status: status ?? undefined,
      end_time: endTime ?? undefined,
      run_name: runName ?? undefined,
    });
    return toRunInfo(res.run_info);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.call('POST', 'runs/delete', { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.call('POST', 'runs/restore', { run_id: runId });
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    await this.call('POST', 'runs/log-metric', { run_id: runId, run_uuid: runId, ...fromMetric(metric) });
  }

  async logParam(runId: string, param: Param): Promise<void> {
    await this.call('POST', 'runs/log-parameter', { run_id: runId, run_uuid: runId, key: param.key, value: param.value });
  }

  async setTag(runId: string, tag: RunTag): Promise<void> {
    await this.call('POST', 'runs/set-tag', { run_id: runId, run_uuid: runId, key: tag.key, value: tag.value });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.call('POST', 'runs/delete-tag', { run_id: runId, key });
  }

  /** One `log-batch` request per server-sized chunk (see {@link splitBatch}), in order. */
  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: Param[]; tags?: RunTag[] }): Promise<void> {
    for (const chunk of splitBatch(batch)) {
      await this.call('POST', 'runs/log-batch', { run_id: runId, ...chunk });
    }
  }

  async getMetricHistory(
    runId: string,
    key: string,
    options: { maxResults?: number | null; pageToken?: string | null } = {},
  ): Promise<PagedList<Metric>> {
    const page = async (token: string | null | undefined, max: number | null | undefined) => {
      const res = await this.call<{ metrics?: J[]; next_page_token?: string }>('GET', 'metrics/get-history', {
        run_id: runId,
        run_uuid: runId,
        metric_key: key,
        max_results: max ?? undefined,
        page_token: token ?? undefined,
      });
      return { items: (res.metrics ?? []).map(toMetric), token: res.next_page_token || null };
    };
    if (options.maxResults !== undefined && options.maxResults !== null) return page(options.pageToken, options.maxResults);
    // The whole history: every page.
    const items: Metric[] = [];
    let token: string | null | undefined = options.pageToken;
    do {
      const p = await page(token, null);
      items.push(...p.items);
      token = p.token;
    } while (token);
    return { items, token: null };
  }

  async searchRuns(experimentIds: string[], options: SearchRunsOptions = {}): Promise<PagedList<Run>> {
    const res = await this.call<{ runs?: J[]; next_page_token?: string }>('POST', 'runs/search', {
      experiment_ids: experimentIds,
      filter: options.filterString || undefined,
      run_view_type: options.runViewType ?? 'ACTIVE_ONLY',
      max_results: options.maxResults ?? 1000,
      order_by: options.orderBy ?? undefined,
      page_token: options.pageToken ?? undefined,
    });
    return { items: (res.runs ?? []).map(toRun), token: res.next_page_token || null };
  }

  async logInputs(runId: string, datasets: DatasetInput[] = [], models: LoggedModelInput[] = []): Promise<void> {
    await this.call('POST', 'runs/log-inputs', {
      run_id: runId,
      datasets: datasets.map(fromDatasetInput),
      ...(models.length > 0 ? { models: models.map((m) => ({ model_id: m.modelId })) } : {}),
    });
  }

  async logOutputs(runId: string, models: LoggedModelOutput[]): Promise<void> {
    await this.call('POST', 'runs/outputs', { run_id: runId, models: models.map((m) => ({ model_id: m.modelId, step: m.step })) });
  }

  async recordLoggedModel(runId: string, modelDict: Record<string, unknown>): Promise<void> {
    await this.call('POST', 'runs/log-model', { run_id: runId, model_json: JSON.stringify(modelDict) });
  }

  // ------------------------------------------------------------------ logged models

  /** Turns the 404 of a server without the logged-model endpoints (MLflow 2.x) into a clear error. */
  private async loggedModelCall<T = J>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, body?: J): Promise<T> {
    try {
      return await this.call<T>(method, endpoint, body);
    } catch (e) {
      if (e instanceof MlflowError && e.code === 'ENDPOINT_NOT_FOUND') {
        throw new MlflowError(
          'ENDPOINT_NOT_FOUND',
          `The tracking server at ${this.trackingUri} has no logged-model endpoints (/api/2.0/mlflow/${endpoint.split('/')[0]}): logged models need an MLflow 3 server`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  async createLoggedModel(args: CreateLoggedModelArgs): Promise<LoggedModel> {
    const res = await this.loggedModelCall<{ model: J }>('POST', 'logged-models', {
      experiment_id: args.experimentId,
      name: args.name ?? undefined,
      model_type: args.modelType ?? undefined,
      source_run_id: args.sourceRunId ?? undefined,
      params: (args.params ?? []).map((p) => ({ key: p.key, value: p.value })),
      tags: (args.tags ?? []).map((t) => ({ key: t.key, value: t.value })),
    });
    return toLoggedModel(res.model);
  }

  /** A logged model. A tracking server never returns deleted ones: `allowDeleted` is refused. */
  async getLoggedModel(modelId: string, options: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    if (options.allowDeleted) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `A tracking server does not return deleted logged models (allowDeleted is only for the file store)`);
    }
    const res = await this.loggedModelCall<{ model: J }>('GET', `logged-models/${encodeURIComponent(modelId)}`);
    return toLoggedModel(res.model);
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const res = await this.loggedModelCall<{ model: J }>('PATCH', `logged-models/${encodeURIComponent(modelId)}`, {
      model_id: modelId,
      status: LOGGED_MODEL_STATUS_TO_PROTO[status],
    });
    return toLoggedModel(res.model);
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    for (let i = 0; i < params.length || i === 0; i += 100) {
      await this.loggedModelCall('POST', `logged-models/${encodeURIComponent(modelId)}/params`, {
        model_id: modelId,
        params: params.slice(i, i + 100).map((p) => ({ key: p.key, value: p.value })),
      });
    }
  }

  async setLoggedModelTags(modelId: string, tags: RunTag[]): Promise<void> {
    await this.loggedModelCall('PATCH', `logged-models/${encodeURIComponent(modelId)}/tags`, {
      model_id: modelId,
      tags: tags.map((t) => ({ key: t.key, value: t.value })),
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.loggedModelCall('DELETE', `logged-models/${encodeURIComponent(modelId)}/tags/${encodeURIComponent(key)}`);
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.loggedModelCall('DELETE', `logged-models/${encodeURIComponent(modelId)}`);
  }

  async listLoggedModels(experimentIds: string[]): Promise<LoggedModel[]> {
    if (experimentIds.length === 0) return [];
    const out: LoggedModel[] = [];
    let token: string | undefined;
    do {
      const res: { models?: J[]; next_page_token?: string } = await this.loggedModelCall('POST', 'logged-models/search', {
        experiment_ids: experimentIds,
        max_results: 1000,
        page_token: token,
      });
      out.push(...(res.models ?? []).map(toLoggedModel));
      token = res.next_page_token || undefined;
    } while (token);
    return out;
  }

  // ------------------------------------------------------------------ artifacts

  /** The artifact repository of an artifact URI this server hands out. */
  artifactRepositoryFor(artifactUri: string): ArtifactRepository {
    if (proxiedArtifactRoot(artifactUri) !== null) return new ProxyArtifactRepository(this.conn, artifactUri);
    if (isLocalUri(artifactUri)) return new LocalArtifactRepository(artifactUri);
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Artifact URI '${artifactUri}' is neither served by the tracking server (mlflow server --serve-artifacts, mlflow-artifacts:) nor a local path`,
    );
  }

  async artifactRepository(runId: string): Promise<ArtifactRepository> {
    let uri = this.artifactUris.get(runId);
    if (!uri) {
      const run = await this.getRun(runId);
      if (!run.info.artifactUri) throw new MlflowError('INVALID_STATE', `Run '${runId}' has no artifact URI`);
      uri = run.info.artifactUri;
      this.artifactUris.set(runId, uri);
    }
    return this.artifactRepositoryFor(uri);
  }
}
