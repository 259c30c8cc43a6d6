/**
 * MLflow Model folders: the `MLmodel` file (Python's `Model.to_dict()` written as YAML), the
 * optional input example files, and the `mlflow.log-model.history` run tag that MLflow 2.x
 * (`Model.log` → `record_logged_model`) appends to when a model is logged in a run's artifacts.
 *
 * The `MLmodel` keys are those MLflow 2.22 writes: `artifact_path` and `run_id` (left out when
 * null), `flavors`, `mlflow_version`, `model_uuid`, `prompts: null`, `utc_time_created` (naive
 * UTC, `'YYYY-MM-DD HH:MM:SS.ffffff'` as Python's `str(datetime)`), plus `signature`,
 * `saved_input_example_info` and `metadata` when given.
 *
 * @example
 * ```ts
 * const model = saveMlModel('/tmp/model', {
 *   flavors: { tfjs: { data: 'model.json', model_format: 'layers-model', tfjs_version: '4.22.0' } },
 *   runId: run.info.runId,
 *   artifactPath: 'model',
 * });
 * await logMlModel(client, run.info.runId, '/tmp/model', model);
 * ```
 * @module
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { invalidParameter, MlflowError } from '../errors.js';
import { dumpYaml, parseYaml } from '../format/yaml.js';
import type { YamlMap } from '../format/yaml.js';
import { pyJson } from '../format/json.js';
import type { MlflowClient } from '../tracking/client.js';

/**
 * The MLflow release whose `MLmodel` layout (and `mlflow_version` value) is written by default.
 *
 * @example
 * ```ts
 * saveMlModel(dir, { flavors, mlflowVersion: MLMODEL_MLFLOW_VERSION });
 * ```
 */
export const MLMODEL_MLFLOW_VERSION = '2.22.5';

/**
 * A model signature as MLflow stores it: each schema a JSON string (`ModelSignature.to_dict()`).
 *
 * @example
 * ```ts
 * const sig: MlModelSignature = {
 *   inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
 *   outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]',
 * };
 * ```
 */
export interface MlModelSignature {
  inputs: string | null;
  outputs: string | null;
  params?: string | null;
}

/**
 * An MLflow Model's metadata (the `MLmodel` file), camelCase.
 *
 * @example
 * ```ts
 * const model: MlModel = loadMlModel('./mlruns/0/<run>/artifacts/model');
 * Object.keys(model.flavors); // ['tfjs']
 * ```
 */
export interface MlModel {
  artifactPath: string | null;
  runId: string | null;
  /** `'YYYY-MM-DD HH:MM:SS.ffffff'`, naive UTC. */
  utcTimeCreated: string;
  /** Flavor name → its configuration. */
  flavors: Record<string, YamlMap>;
  /** uuid4 hex. */
  modelUuid: string;
  mlflowVersion: string | null;
  signature: MlModelSignature | null;
  savedInputExampleInfo: YamlMap | null;
  metadata: YamlMap | null;
}

/**
 * Options of {@link saveMlModel}.
 *
 * @example
 * ```ts
 * const options: SaveMlModelOptions = { flavors: { tfjs: { data: 'model.json' } }, runId, artifactPath: 'model' };
 * ```
 */
export interface SaveMlModelOptions {
  /** Flavor name → configuration (e.g. `{ tfjs: { data: 'model.json' } }`). At least one. */
  flavors: Record<string, YamlMap>;
  signature?: MlModelSignature | null;
  /**
   * A JSON-able example input (object, array or scalar): written to `input_example.json` and
   * `serving_input_example.json` (`{"inputs": ...}`), `type: json_object`, as MLflow does.
   */
  inputExample?: unknown;
  runId?: string | null;
  /** Where the folder goes in the run's artifacts (`model`). */
  artifactPath?: string | null;
  metadata?: YamlMap | null;
  /** Default: a new uuid4 hex. */
  modelUuid?: string;
  /** Default: now. */
  utcTimeCreated?: string | Date;
  /** Default {@link MLMODEL_MLFLOW_VERSION}; null leaves the key out. */
  mlflowVersion?: string | null;
}

/**
 * Python's `str(datetime)` of a naive UTC time: `'2026-11-26 05:14:13.524010'`; the fraction is
 * left out when it is zero, as Python does. Without an argument: now, with sub-millisecond
 * digits from the high-resolution clock.
 *
 * @example
 * ```ts
 * utcTimeCreated(new Date(Date.UTC(2026, 10, 26, 5, 14, 13, 524))); // '2026-11-26 05:14:13.524000'
 * ```
 */
export function utcTimeCreated(date?: Date): string {
  let ms: number;
  let micros: number;
  if (date) {
    ms = date.getTime();
    micros = ((ms % 1000) + 1000) % 1000 * 1000;
  } else {
    const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    ms = Math.floor(nowUs / 1000);
    micros = nowUs % 1_000_000;
  }
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const base = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return micros === 0 ? base : `${base}.${p(micros, 6)}`;
}

/**
 * `Model.to_dict()`: the mapping written to `MLmodel`.
 *
 * @example
 * ```ts
 * dumpYaml(mlModelToDict(model)); // the MLmodel text
 * ```
 */
export function mlModelToDict(model: MlModel): YamlMap {
  const d: YamlMap = {};
  if (model.runId !== null) d['run_id'] = model.runId;
  if (model.artifactPath !== null) d['artifact_path'] = model.artifactPath;
  d['utc_time_created'] = model.utcTimeCreated;
  d['flavors'] = model.flavors;
  d['model_uuid'] = model.modelUuid;
  if (model.mlflowVersion !== null) d['mlflow_version'] = model.mlflowVersion;
  d['prompts'] = null;
  if (model.signature !== null) {
    d['signature'] = {
      inputs: model.signature.inputs,
      outputs: model.signature.outputs,
      params: model.signature.params ?? null,
    };
    d['is_signature_from_type_hint'] = false;
    d['type_hint_from_example'] = false;
  }
  if (model.savedInputExampleInfo !== null) d['saved_input_example_info'] = model.savedInputExampleInfo;
  if (model.metadata !== null) d['metadata'] = model.metadata;
  return d;
}

/**
 * `Model.get_tags_dict()`: what one entry of the `mlflow.log-model.history` tag holds
 * (`run_id`, `artifact_path`, `utc_time_created`, `model_uuid`, then the flavors without their
 * `config` key), in Python's key order.
 *
 * @example
 * ```ts
 * mlModelTagsDict(model); // { run_id: '…', artifact_path: 'model', utc_time_created: '…', model_uuid: '…', flavors: { tfjs: {…} } }
 * ```
 */
export function mlModelTagsDict(model: MlModel): Record<string, unknown> {
  const d = mlModelToDict(model);
  const out: Record<string, unknown> = {};
  for (const key of ['run_id', 'artifact_path', 'utc_time_created', 'model_uuid']) {
    if (d[key] !== undefined) out[key] = d[key];
  }
  const flavors: Record<string, unknown> = {};
  for (const [name, config] of Object.entries(model.flavors)) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) if (k !== 'config') copy[k] = v;
    flavors[name] = copy;
  }
  out['flavors'] = flavors;
  return out;
}

function checkJsonable(v: unknown, where: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') return; // json.dumps writes NaN/Infinity too
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJsonable(x, `${where}[${i}]`));
    return;
  }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) checkJsonable(x, `${where}.${k}`);
    return;
  }
  throw invalidParameter(`Input example is not JSON-able at ${where}: ${typeof v}`);
}

/**
 * Writes an MLflow Model folder's metadata into `dir` (created if needed): `MLmodel`, and the
 * input example files when `inputExample` is given. The model's own files (weights...) are the
 * caller's. Returns the model written.
 *
 * @example
 * ```ts
 * const model = saveMlModel('./out/model', {
 *   flavors: { tfjs: { data: 'model.json', model_format: 'layers-model', tfjs_version: '4.22.0' } },
 *   inputExample: [[0.1, 0.2]],
 * });
 * ```
 */
export function saveMlModel(dir: string, options: SaveMlModelOptions): MlModel {
  if (!options.flavors || typeof options.flavors !== 'object' || Object.keys(options.flavors).length === 0) {
    throw invalidParameter('An MLflow Model needs at least one flavor');
  }
  const created = options.utcTimeCreated instanceof Date ? utcTimeCreated(options.utcTimeCreated) : options.utcTimeCreated ?? utcTimeCreated();
  const model: MlModel = {
    artifactPath: options.artifactPath ?? null,
    runId: options.runId ?? null,
    utcTimeCreated: created,
    flavors: options.flavors,
    modelUuid: options.modelUuid ?? randomUUID().replace(/-/g, ''),
    mlflowVersion: options.mlflowVersion === undefined ? MLMODEL_MLFLOW_VERSION : options.mlflowVersion,
    signature: options.signature
      ? { inputs: options.signature.inputs ?? null, outputs: options.signature.outputs ?? null, params: options.signature.params ?? null }
      : null,
    savedInputExampleInfo: null,
    metadata: options.metadata ?? null,
  };
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (options.inputExample !== undefined) {
      checkJsonable(options.inputExample, 'inputExample');
      fs.writeFileSync(path.join(dir, 'input_example.json'), pythonJsonDumpsDefault(options.inputExample));
      fs.writeFileSync(path.join(dir, 'serving_input_example.json'), pyJson({ inputs: options.inputExample }, { indent: 2 }));
      model.savedInputExampleInfo = {
        artifact_path: 'input_example.json',
        type: 'json_object',
        serving_input_path: 'serving_input_example.json',
      };
    }
    fs.writeFileSync(path.join(dir, 'MLmodel'), dumpYaml(mlModelToDict(model)));
  } catch (err) {
    if (err instanceof MlflowError) throw err;
    throw new MlflowError('IO_ERROR', `Cannot write the MLflow Model in '${dir}': ${(err as Error).message}`, { path: dir, cause: err });
  }
  return model;
}

/**
 * Python's `json.dumps(value)` with its default separators (`", "`, `": "`), keys in insertion
 * order, non-ASCII escaped; integral numbers as ints, others as float repr.
 *
 * @example
 * ```ts
 * pythonJsonDumpsDefault({ uri: 'data.csv', n: [1, 0.5] }); // '{"uri": "data.csv", "n": [1, 0.5]}'
 * ```
 */
export function pythonJsonDumpsDefault(value: unknown): string {
  return pyJson(value);
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const map = (v: unknown): YamlMap | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as YamlMap) : null);

/**
 * Reads the `MLmodel` of a folder (or the file itself).
 *
 * @example
 * ```ts
 * loadMlModel('./mlruns/0/<run>/artifacts/model').flavors; // { tfjs: {…} }
 * ```
 */
export function loadMlModel(dirOrFile: string): MlModel {
  const file = fs.existsSync(dirOrFile) && fs.statSync(dirOrFile).isDirectory() ? path.join(dirOrFile, 'MLmodel') : dirOrFile;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find an "MLmodel" configuration file at "${dirOrFile}"`, { path: file, cause: err });
  }
  const d = map(parseYaml(text));
  if (!d) throw new MlflowError('MALFORMED_DATA', `'${file}' does not hold a mapping`, { path: file });
  const sig = map(d['signature']);
  const flavors: Record<string, YamlMap> = {};
  for (const [k, v] of Object.entries(map(d['flavors']) ?? {})) flavors[k] = map(v) ?? {};
  return {
    artifactPath: str(d['artifact_path']),
    runId: str(d['run_id']),
    utcTimeCreated: String(d['utc_time_created'] ?? ''),
    flavors,
    modelUuid: String(d['model_uuid'] ?? ''),
    mlflowVersion: str(d['mlflow_version']),
    signature: sig ? { inputs: str(sig['inputs']), outputs: str(sig['outputs']), params: str(sig['params']) } : null,
    savedInputExampleInfo: map(d['saved_input_example_info']),
    metadata: map(d['metadata']),
  };
}

/**
 * Logs a saved model folder into a run, as MLflow 2.x's `Model.log`: copies `localDir` to the
 * run's artifacts under `model.artifactPath` (default `model`), then appends
 * {@link mlModelTagsDict} to the run's `mlflow.log-model.history` tag.
 *
 * @example
 * ```ts
 * const model = saveMlModel(tmp, { flavors, runId, artifactPath: 'model' });
 * await logMlModel(client, runId, tmp, model);
 * ```
 */
export async function logMlModel(client: MlflowClient, runId: string, localDir: string, model: MlModel): Promise<void> {
  await client.logArtifacts(runId, localDir, model.artifactPath ?? 'model');
  await client.store.recordLoggedModel(runId, mlModelTagsDict(model));
}

