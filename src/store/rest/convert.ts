/**
 * MLflow's REST JSON (protobuf field names, snake_case) to and from the library's entities, as
 * Python's `Entity.from_proto` / `to_proto` map them.
 */
import type {
  Dataset,
  DatasetInput,
  Experiment,
  LifecycleStage,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  ModelVersion,
  ModelVersionStatus,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
} from '../../entities.js';
import { jsonDouble } from './http.js';

type J = Record<string, unknown>;

const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const arr = (v: unknown): J[] => (Array.isArray(v) ? (v as J[]) : []);
const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
const num = (v: unknown): number | null => (v === undefined || v === null || v === '' ? null : Number(v));

function kv(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of arr(list)) out[String(t['key'])] = str(t['value']) ?? '';
  return out;
}

export function toExperiment(j: unknown): Experiment {
  const e = obj(j);
  return {
    experimentId: String(e['experiment_id']),
    name: String(e['name'] ?? ''),
    artifactLocation: String(e['artifact_location'] ?? ''),
    lifecycleStage: (str(e['lifecycle_stage']) ?? 'active') as LifecycleStage,
    tags: kv(e['tags']),
    creationTime: num(e['creation_time']),
    lastUpdateTime: num(e['last_update_time']),
  };
}

export function toRunInfo(j: unknown): RunInfo {
  const i = obj(j);
  const runId = String(i['run_id'] ?? i['run_uuid']);
  return {
    runId,
    runUuid: runId,
    experimentId: String(i['experiment_id']),
    runName: str(i['run_name']),
    userId: String(i['user_id'] ?? ''),
    status: (str(i['status']) ?? 'RUNNING') as RunStatus,
    startTime: num(i['start_time']),
    endTime: num(i['end_time']),
    artifactUri: str(i['artifact_uri']),
    lifecycleStage: (str(i['lifecycle_stage']) ?? 'active') as LifecycleStage,
  };
}

export function toMetric(j: unknown): Metric {
  const m = obj(j);
  const out: Metric = {
    key: String(m['key']),
    value: jsonDouble(m['value']),
    timestamp: Number(m['timestamp'] ?? 0),
    step: Number(m['step'] ?? 0),
  };
  if (m['dataset_name'] !== undefined) out.datasetName = str(m['dataset_name']);
  if (m['dataset_digest'] !== undefined) out.datasetDigest = str(m['dataset_digest']);
  if (m['model_id'] !== undefined) out.modelId = str(m['model_id']);
  if (m['run_id'] !== undefined) out.runId = str(m['run_id']);
  return out;
}

export function fromMetric(m: Metric): J {
  const out: J = { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step };
  if (m.datasetName) out['dataset_name'] = m.datasetName;
  if (m.datasetDigest) out['dataset_digest'] = m.datasetDigest;
  if (m.modelId) out['model_id'] = m.modelId;
  return out;
}

function toDataset(j: unknown): Dataset {
  const d = obj(j);
  return {
    name: String(d['name'] ?? ''),
    digest: String(d['digest'] ?? ''),
    sourceType: String(d['source_type'] ?? ''),
    source: String(d['source'] ?? ''),
    schema: str(d['schema']),
    profile: str(d['profile']),
  };
}

export function fromDatasetInput(d: DatasetInput): J {
  const ds: J = { name: d.dataset.name, digest: d.dataset.digest, source_type: d.dataset.sourceType, source: d.dataset.source };
  if (d.dataset.schema !== null) ds['schema'] = d.dataset.schema;
  if (d.dataset.profile !== null) ds['profile'] = d.dataset.profile;
  return { tags: d.tags.map((t) => ({ key: t.key, value: t.value })), dataset: ds };
}

export function toRun(j: unknown): Run {
  const r = obj(j);
  const data = obj(r['data']);
  const metrics: Record<string, number> = {};
  for (const m of arr(data['metrics'])) metrics[String(m['key'])] = jsonDouble(m['value']);
  const inputs = obj(r['inputs']);
  const outputs = obj(r['outputs']);
  return {
    info: toRunInfo(r['info']),
    data: { metrics, params: kv(data['params']), tags: kv(data['tags']) },
    inputs: {
      datasetInputs: arr(inputs['dataset_inputs']).map((d) => ({
        dataset: toDataset(d['dataset']),
        tags: arr(d['tags']).map((t) => ({ key: String(t['key']), value: str(t['value']) ?? '' })),
      })),
      modelInputs: arr(inputs['model_inputs']).map((m) => ({ modelId: String(m['model_id']) })),
    },
    outputs: { modelOutputs: arr(outputs['model_outputs']).map((m) => ({ modelId: String(m['model_id']), step: Number(m['step'] ?? 0) })) },
  };
}

const LOGGED_MODEL_STATUS_FROM_PROTO: Readonly<Record<string, LoggedModelStatus>> = {
  LOGGED_MODEL_STATUS_UNSPECIFIED: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  LOGGED_MODEL_PENDING: 'PENDING',
  LOGGED_MODEL_READY: 'READY',
  LOGGED_MODEL_UPLOAD_FAILED: 'FAILED',
};

export const LOGGED_MODEL_STATUS_TO_PROTO: Readonly<Record<LoggedModelStatus, string>> = {
  LOGGED_MODEL_STATUS_UNSPECIFIED: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  PENDING: 'LOGGED_MODEL_PENDING',
  READY: 'LOGGED_MODEL_READY',
  FAILED: 'LOGGED_MODEL_UPLOAD_FAILED',
};

export function toLoggedModel(j: unknown): LoggedModel {
  const m = obj(j);
  const info = obj(m['info']);
  const data = obj(m['data']);
  const modelId = String(info['model_id']);
  return {
    modelId,
    experimentId: String(info['experiment_id']),
    name: String(info['name'] ?? ''),
    artifactLocation: String(info['artifact_uri'] ?? ''),
    creationTimestamp: Number(info['creation_timestamp_ms'] ?? 0),
    lastUpdatedTimestamp: Number(info['last_updated_timestamp_ms'] ?? 0),
    modelType: str(info['model_type']),
    sourceRunId: str(info['source_run_id']),
    status: LOGGED_MODEL_STATUS_FROM_PROTO[String(info['status'] ?? '')] ?? 'LOGGED_MODEL_STATUS_UNSPECIFIED',
    // Python's `from_proto` reads an unset string field as ''.
    statusMessage: String(info['status_message'] ?? ''),
    tags: kv(info['tags']),
    params: kv(data['params']),
    metrics: arr(data['metrics']).map(toMetric),
    modelUri: `models:/${modelId}`,
  };
}

export function toModelVersion(j: unknown): ModelVersion {
  const v = obj(j);
  return {
    name: String(v['name']),
    version: String(v['version']),
    creationTimestamp: num(v['creation_timestamp']),
    lastUpdatedTimestamp: num(v['last_updated_timestamp']),
    description: str(v['description']),
    userId: String(v['user_id'] ?? ''),
    currentStage: String(v['current_stage'] ?? 'None'),
    source: String(v['source'] ?? ''),
    runId: str(v['run_id']) || null,
    runLink: str(v['run_link']),
    status: (str(v['status']) ?? 'READY') as ModelVersionStatus,
    statusMessage: str(v['status_message']),
    tags: kv(v['tags']),
    aliases: arr(v['aliases']).map((a) => String(a)),
    modelId: str(v['model_id']),
  };
}

export function toRegisteredModel(j: unknown): RegisteredModel {
  const m = obj(j);
  const aliases: Record<string, string> = {};
  for (const a of arr(m['aliases'])) aliases[String(a['alias'])] = String(a['version']);
  return {
    name: String(m['name']),
    creationTimestamp: num(m['creation_timestamp']),
    lastUpdatedTimestamp: num(m['last_updated_timestamp']),
    description: str(m['description']),
    latestVersions: arr(m['latest_versions']).map(toModelVersion),
    tags: kv(m['tags']),
    aliases,
  };
}
