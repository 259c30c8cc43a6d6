/**
 * Logging models as MLflow 3.x's `log_model` does on a file store (checked against MLflow 3.17.2):
 *
 * 1. a logged model entity `<experiment>/models/m-<id>/` is created (PENDING) with the run as its
 *    source, the run's params merged into its params, the context tags (`mlflow.user`,
 *    `mlflow.source.*`, git) and the given tags;
 * 2. the run gets it as an output (`<run>/outputs/m-<id>/meta.yaml`, with the step), and the run's
 *    metrics at that step are logged again with the model id, as `log_model_metrics_for_step`;
 * 3. the MLflow Model folder (`MLmodel` with `artifact_path` = the artifact location,
 *    `model_uuid` = `model_id` = `m-<id>`, `run_id`, `utc_time_created`, `mlflow_version`,
 *    `model_size_bytes`, flavors, signature and input example files) is written to the logged
 *    model's artifact location `<experiment>/models/m-<id>/artifacts`;
 * 4. the model is finalized READY (FAILED, and the error rethrown, when a step fails);
 * 5. with `registeredModelName`, `models:/m-<id>` is registered (the model created when missing).
 *
 * MLflow 3.x writes nothing into the run's artifacts and no `mlflow.log-model.history` run tag
 * (only its 2.x-style `_log_v2`, used by Spark, does); `recordHistory: true` appends the tag
 * entry anyway, as `_record_logged_model` would, for tools that read it.
 *
 * @example
 * ```ts
 * import { MlflowClient } from 'mlruns';
 * import { logModel } from 'mlruns/models';
 * const client = new MlflowClient('./mlruns');
 * const run = await client.createRun('0');
 * const info = await logModel(client, run.info.runId, {
 *   name: 'linear', flavor: 'onnx', path: './linear.onnx', registeredModelName: 'linear',
 * });
 * info.modelUri; // 'models:/m-…'
 * ```
 * @module
 */
import fs from 'node:fs';
import { walkTree } from '../store/file/fs.js';
import os from 'node:os';
import path from 'node:path';
import type { LoggedModel, ModelVersion } from '../entities.js';
import { MlflowError, invalidParameter, notFound } from '../errors.js';
import { PyFloat, pythonStr } from '../format/float.js';
import { pyJson } from '../format/json.js';
import { dumpYaml } from '../format/yaml.js';
import type { YamlMap } from '../format/yaml.js';
import { localFileUriToPath } from '../store/uri.js';
import { fileSystemHandler } from './tfjs-io.js';
import { MlflowClient } from '../tracking/client.js';
import { resolveTags } from '../tracking/context.js';
import { activeRunClient, getClient } from '../tracking/fluent.js';
import { mlModelTagsDict, mlModelToDict, utcTimeCreated } from './mlmodel.js';
import type { MlModel, MlModelSignature } from './mlmodel.js';
import { ONNX_DEFAULT_VERSIONS, copyOnnxModel, flattenNested, onnxFlavors, onnxPipRequirements, openOnnxSession, writePythonEnvFiles } from './onnx.js';
import { tfjsPredictor } from './load-model.js';
import type { OnnxFlavorOptions } from './onnx.js';

/**
 * The MLflow release whose `log_model` layout is written (`mlflow_version` of `MLmodel`).
 *
 * @example
 * ```ts
 * (await loadModel(info.modelUri)).mlflowVersion === LOG_MODEL_MLFLOW_VERSION; // true
 * ```
 */
export const LOG_MODEL_MLFLOW_VERSION = ONNX_DEFAULT_VERSIONS.mlflow;

/**
 * The flavors {@link logModel} writes:
 * - `generic`: any file or folder, copied under `data/`; flavor `generic` (or `flavorName`), no
 *   `python_function` flavor (Python cannot load arbitrary files as a pyfunc model);
 * - `tfjs`: a TF.js model folder (`model.json` + weights) or its `model.json`, or a model object
 *   saved with {@link fileSystemHandler}; flavor `tfjs`, no pyfunc;
 * - `onnx`: a `.onnx` file (or a folder with one), as `mlflow.onnx.save_model` writes it, with
 *   the `python_function` flavor (`loader_module: mlflow.onnx`).
 *
 * @example
 * ```ts
 * const flavor: ModelFlavor = 'onnx';
 * ```
 */
export type ModelFlavor = 'generic' | 'tfjs' | 'onnx';

/**
 * Options of {@link logModel}.
 *
 * @example
 * ```ts
 * const options: LogModelOptions = {
 *   name: 'linear', flavor: 'onnx', path: './linear.onnx',
 *   inputExample: [[1, 2, 3]], params: { alpha: 0.1 }, tags: { team: 'ml' }, registeredModelName: 'linear',
 * };
 * ```
 */
export interface LogModelOptions {
  /** The logged model's name (`name=`); random (as run names) when omitted. */
  name?: string | null;
  flavor: ModelFlavor;
  /** The model's file or folder (see {@link ModelFlavor}). */
  path?: string;
  /**
   * tfjs only: a TF.js model (`tf.LayersModel`) to save with {@link fileSystemHandler} instead
   * of `path`. Typed structurally, so these declarations need no TF.js types.
   */
  tfjsModel?: { save(handler: never): Promise<unknown> };
  /**
   * The signature; when omitted (undefined) with an `inputExample` of an `onnx` or `tfjs`
   * model, it is inferred by running the model on the example (see {@link inferSignature});
   * null logs none.
   */
  signature?: MlModelSignature | null;
  /**
   * A JSON-able example input: saved as `input_example.json` and `serving_input_example.json`.
   * For `onnx` and `tfjs`, a numeric (nested) array or typed array is saved as an `ndarray`
   * example (floats, as `ndarray.tolist()`); anything else as a `json_object`.
   */
  inputExample?: unknown;
  /** Logged model params (the run's params are added, and win, as in Python). */
  params?: Record<string, unknown>;
  /** Logged model tags (also the registered version's tags, as in Python). */
  tags?: Record<string, unknown>;
  /** `model_type=`. */
  modelType?: string | null;
  /** Register the model under this name (created when missing). */
  registeredModelName?: string | null;
  /** The step of the run output (default 0). */
  step?: number;
  /** `metadata=` of MLmodel. */
  metadata?: YamlMap | null;
  /** Experiment of the logged model when no run is given (default `MLFLOW_EXPERIMENT_ID`, else `0`). */
  experimentId?: string | null;
  /** Also append the model to the run's `mlflow.log-model.history` tag (MLflow 3.x does not). */
  recordHistory?: boolean;
  /** generic only: the flavor name (default `generic`) and extra flavor configuration. */
  flavorName?: string;
  flavorConfig?: YamlMap;
  /** onnx only: providers, session options and the versions written. */
  onnx?: OnnxFlavorOptions;
  /** tfjs only: `tfjs_version` (default: read from `model.json`'s `generatedBy`). */
  tfjsVersion?: string;
}

/**
 * What {@link logModel} returns (Python's `ModelInfo`, camelCase).
 *
 * @example
 * ```ts
 * const info: LoggedModelInfo = await logModel(client, runId, { name: 'm', flavor: 'generic', path: './weights' });
 * info.modelId; info.artifactPath; info.registeredModelVersion;
 * ```
 */
export interface LoggedModelInfo {
  modelId: string;
  /** `models:/m-<id>`. */
  modelUri: string;
  name: string;
  runId: string | null;
  experimentId: string;
  /** The logged model's artifact location (a `file:` URI), also `artifact_path` of MLmodel. */
  artifactPath: string;
  /** The local folder of the model. */
  localPath: string;
  flavors: Record<string, YamlMap>;
  signature: MlModelSignature | null;
  utcTimeCreated: string;
  mlflowVersion: string;
  /** The `MLmodel` mapping written. */
  mlModel: YamlMap;
  /** The logged model entity, READY. */
  loggedModel: LoggedModel;
  /** The registered version, when `registeredModelName` was given. */
  registeredModelVersion: string | null;
  modelVersion: ModelVersion | null;
}

const NDARRAY_FLAVORS: ReadonlySet<ModelFlavor> = new Set(['onnx', 'tfjs']);

function isNumericArray(v: unknown): boolean {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return true;
  if (!Array.isArray(v) || v.length === 0) return false;
  return v.every((x) => (Array.isArray(x) ? isNumericArray(x) : typeof x === 'number'));
}

function asFloats(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const typed = v as unknown as ArrayLike<number>;
    const float = v instanceof Float32Array || v instanceof Float64Array;
    return Array.from(typed, (x) => (float ? new PyFloat(Number(x)) : Number(x)));
  }
  if (Array.isArray(v)) return v.map(asFloats);
  return typeof v === 'number' ? (Number.isNaN(v) ? null : new PyFloat(v)) : v;
}

function checkJsonable(v: unknown, where: string): void {
  if (v === null || ['string', 'boolean', 'number'].includes(typeof v) || v instanceof PyFloat) return;
  if (Array.isArray(v)) return v.forEach((x, i) => checkJsonable(x, `${where}[${i}]`));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) checkJsonable(x, `${where}.${k}`);
    return;
  }
  throw invalidParameter(`Input example is not JSON-able at ${where}: ${typeof v}`);
}

/** Writes the input example files as `_Example.save`; returns `saved_input_example_info`. */
function saveInputExample(dir: string, example: unknown, flavor: ModelFlavor): YamlMap {
  let value = example;
  let type = 'json_object';
  if (NDARRAY_FLAVORS.has(flavor) && isNumericArray(example)) {
    value = asFloats(example);
    type = 'ndarray';
  }
  checkJsonable(value, 'inputExample');
  fs.writeFileSync(path.join(dir, 'input_example.json'), pyJson(value));
  fs.writeFileSync(path.join(dir, 'serving_input_example.json'), pyJson({ inputs: value }, { indent: 2 }));
  return { artifact_path: 'input_example.json', type, serving_input_path: 'serving_input_example.json' };
}

function totalSize(dir: string): number {
  let n = 0;
  walkTree(dir, (abs) => void (n += fs.statSync(abs).size));
  return n;
}

/** Copies a TF.js model (folder, or its model.json and the weight files it names) into `dir`. */
function copyTfjsModel(src: string, dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(src);
  } catch {
    throw notFound(`No TF.js model at '${src}'`, { path: src });
  }
  if (st.isDirectory()) {
    if (!fs.existsSync(path.join(src, 'model.json'))) throw invalidParameter(`The folder '${src}' has no model.json: not a TF.js model`, { path: src });
    fs.cpSync(src, dir, { recursive: true, dereference: true });
    return;
  }
  const from = path.dirname(src);
  let json: { weightsManifest?: Array<{ paths?: string[] }> };
  try {
    json = JSON.parse(fs.readFileSync(src, 'utf8')) as typeof json;
  } catch (err) {
    throw invalidParameter(`'${src}' is not a TF.js model.json: ${(err as Error).message}`, { path: src });
  }
  fs.copyFileSync(src, path.join(dir, 'model.json'));
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths ?? []) {
      const rel = p.split('/').filter((s) => s !== '' && s !== '.');
      if (rel.includes('..')) throw invalidParameter(`Weight path '${p}' of '${src}' leaves the model folder`);
      const dest = path.join(dir, ...rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(path.join(from, ...rel), dest);
    }
  }
}

function tfjsFlavor(dir: string, version: string | undefined): YamlMap {
  let json: { format?: string; generatedBy?: string } = {};
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as typeof json;
  } catch (err) {
    throw invalidParameter(`The TF.js model.json cannot be read: ${(err as Error).message}`);
  }
  const fromFile = /v?(\d+\.\d+\.\d+\S*)/.exec(json.generatedBy ?? '')?.[1];
  return {
    data: 'model.json',
    model_format: json.format === 'graph-model' ? 'graph-model' : 'layers-model',
    tfjs_version: version ?? fromFile ?? 'unknown',
  };
}

/** Builds the model folder's content (without MLmodel) in `dir`; returns its flavors and extra files step. */
async function writeFlavorFiles(dir: string, options: LogModelOptions): Promise<{ flavors: Record<string, YamlMap>; after?: () => void }> {
  switch (options.flavor) {
    case 'onnx': {
      if (!options.path) throw invalidParameter("logModel with flavor 'onnx' needs `path`: a .onnx file or a folder with one");
      copyOnnxModel(options.path, dir);
      const o = options.onnx ?? {};
      return {
        flavors: onnxFlavors(o),
        after: () => writePythonEnvFiles(dir, onnxPipRequirements(o), o.pythonVersion ?? ONNX_DEFAULT_VERSIONS.python),
      };
    }
    case 'tfjs': {
      if (options.tfjsModel) await options.tfjsModel.save(fileSystemHandler(dir) as never);
      else if (options.path) copyTfjsModel(options.path, dir);
      else throw invalidParameter("logModel with flavor 'tfjs' needs `path` (a TF.js model folder or model.json) or `tfjsModel`");
      return { flavors: { tfjs: tfjsFlavor(dir, options.tfjsVersion) } };
    }
    case 'generic': {
      if (!options.path) throw invalidParameter("logModel with flavor 'generic' needs `path`: a file or folder");
      let st: fs.Stats;
      try {
        st = fs.statSync(options.path);
      } catch {
        throw notFound(`No file or folder at '${options.path}'`, { path: options.path });
      }
      const dataDir = path.join(dir, 'data');
      fs.mkdirSync(dataDir, { recursive: true });
      let data = 'data';
      if (st.isDirectory()) fs.cpSync(options.path, dataDir, { recursive: true, dereference: true });
      else {
        const base = path.basename(options.path);
        fs.copyFileSync(options.path, path.join(dataDir, base));
        data = `data/${base}`;
      }
      const name = options.flavorName ?? 'generic';
      if (name === 'python_function') throw invalidParameter("A generic model cannot claim the 'python_function' flavor: Python could not load it");
      return { flavors: { [name]: { ...(options.flavorConfig ?? {}), data } } };
    }
    default:
      throw invalidParameter(`Unknown flavor '${String((options as { flavor: unknown }).flavor)}': expected generic, tfjs or onnx`);
  }
}

/** Python's `_get_tensor_shape`: the example's shape with a variable first dimension. */
const tensorShape = (dims: readonly number[]): number[] => dims.map((d, i) => (i === 0 ? -1 : d));
const tensorSpec = (dtype: string, dims: readonly number[], name?: string): Record<string, unknown> =>
  name === undefined ? { type: 'tensor', 'tensor-spec': { dtype, shape: tensorShape(dims) } } : { name, type: 'tensor', 'tensor-spec': { dtype, shape: tensorShape(dims) } };

/**
 * The signature `mlflow.models.infer_signature(example, model.predict(example))` gives for an
 * `onnx` or `tfjs` model: the example given as the graph's input types (an array → an unnamed
 * tensor, `{name: array}` → named tensors), the outputs as named tensors (the ONNX pyfunc returns
 * a dict of output name → array). Null when the example cannot be run (as MLflow, which then
 * logs no signature).
 */
export async function inferSignature(dir: string, options: Pick<LogModelOptions, 'flavor' | 'inputExample'>): Promise<MlModelSignature | null> {
  const example = options.inputExample;
  const named = example !== null && typeof example === 'object' && !Array.isArray(example) && !ArrayBuffer.isView(example);
  try {
    if (options.flavor === 'onnx') {
      const session = await openOnnxSession(path.join(dir, 'model.onnx'));
      try {
        const feeds: Record<string, { type: string; data: unknown; dims: number[] }> = {};
        const inputs: Array<Record<string, unknown>> = [];
        const entries: Array<[string | undefined, unknown]> = named ? Object.entries(example as Record<string, unknown>) : [[undefined, example]];
        for (const [k, v] of entries) {
          const info = k === undefined ? session.inputs[0] : session.inputs.find((i) => i.name === k);
          if (!info || (k === undefined && session.inputs.length !== 1)) return null;
          const { data, dims } = ArrayBuffer.isView(v) ? { data: Array.from(v as unknown as ArrayLike<number>), dims: [(v as unknown as ArrayLike<number>).length] } : flattenNested(v);
          const typed =
            info.type === 'float32' ? Float32Array.from(data as number[]) : info.type === 'float64' ? Float64Array.from(data as number[]) : info.type === 'int64' ? BigInt64Array.from(data as number[], (x) => BigInt(Math.trunc(x))) : info.type === 'int32' ? Int32Array.from(data as number[]) : info.type === 'bool' ? Uint8Array.from(data as number[], (x) => (x ? 1 : 0)) : null;
          if (!typed) return null;
          feeds[info.name] = { type: info.type, data: typed, dims };
          inputs.push(tensorSpec(info.type, dims, k));
        }
        const out = await session.run(feeds);
        const outputs = session.outputs.filter((o) => out[o.name]).map((o) => tensorSpec((out[o.name] as { type: string }).type, (out[o.name] as { dims: number[] }).dims, o.name));
        return { inputs: pyJson(inputs), outputs: pyJson(outputs), params: null };
      } finally {
        await session.close();
      }
    }
    if (options.flavor === 'tfjs') {
      const predictor = await tfjsPredictor(dir, { data: 'model.json', model_format: tfjsFlavor(dir, undefined)['model_format'] as string }, undefined);
      try {
        const out = await predictor.predict(example as never);
        const entries: Array<[string | undefined, unknown]> = named ? Object.entries(example as Record<string, unknown>) : [[undefined, example]];
        const inputs = entries.map(([k, v]) => tensorSpec('float32', ArrayBuffer.isView(v) ? [(v as unknown as ArrayLike<number>).length] : flattenNested(v).dims, k));
        const outputs = Object.entries(out).map(([k, t]) => tensorSpec(t.type === 'int32' ? 'int32' : 'float32', t.dims, k));
        return { inputs: pyJson(inputs), outputs: pyJson(outputs), params: null };
      } finally {
        await predictor.close();
      }
    }
  } catch {
    return null;
  }
  return null;
}

/** `log_model_metrics_for_step`: the run's metrics at `step` (without a model id) logged again with the model's id. */
async function logModelMetricsForStep(client: MlflowClient, modelId: string, runId: string, step: number): Promise<void> {
  const run = await client.getRun(runId);
  const metrics = [];
  for (const key of Object.keys(run.data.metrics)) {
    for (const m of await client.getMetricHistory(runId, key)) {
      if (m.step === step && !m.modelId) metrics.push({ ...m, modelId });
    }
  }
  if (metrics.length > 0) await client.logBatch(runId, { metrics });
}

function checkOptions(options: LogModelOptions): void {
  if (!options || typeof options !== 'object') throw invalidParameter('logModel needs options: { name, flavor, path }');
  if (!['generic', 'tfjs', 'onnx'].includes(options.flavor)) {
    throw invalidParameter(`Unknown flavor '${String(options.flavor)}': expected generic, tfjs or onnx`);
  }
  if (options.step !== undefined && !Number.isInteger(options.step)) throw invalidParameter(`Invalid step ${String(options.step)}: expected an integer`);
}

/**
 * Logs a model as MLflow 3.x's `log_model` does (see the module documentation): a READY logged
 * model `m-<id>` whose artifacts are the MLflow Model folder, linked as the run's output, and
 * registered when `registeredModelName` is given. `runId` may be null (a model without a run, in
 * `experimentId`).
 *
 * Called with only options, it logs into the active run of the fluent API (see
 * `mlruns/fluent`), or without a run in the active experiment when none is active.
 *
 * @example
 * ```ts
 * const info = await logModel(client, runId, { name: 'linear', flavor: 'onnx', path: './linear.onnx' });
 * await client.setRegisteredModelAlias('linear', 'champion', (await client.registerModel(info.modelUri, 'linear')).version);
 * // fluent:
 * await withRun(() => logModel({ name: 'net', flavor: 'tfjs', tfjsModel: model }));
 * ```
 */
export async function logModel(client: MlflowClient, runId: string | null, options: LogModelOptions): Promise<LoggedModelInfo>;
export async function logModel(options: LogModelOptions): Promise<LoggedModelInfo>;
export async function logModel(
  a: MlflowClient | LogModelOptions,
  b?: string | null,
  c?: LogModelOptions,
): Promise<LoggedModelInfo> {
  if (a instanceof MlflowClient) {
    if (!c) throw invalidParameter('logModel(client, runId, options): options are required');
    return logModelWith(a, b ?? null, c);
  }
  const active = activeRunClient();
  if (active) return logModelWith(active.client, active.runId, a);
  return logModelWith(getClient(), null, a);
}

async function logModelWith(client: MlflowClient, runId: string | null, options: LogModelOptions): Promise<LoggedModelInfo> {
  checkOptions(options);
  const step = options.step ?? 0;
  const run = runId ? await client.getRun(runId) : null;
  const experimentId = run?.info.experimentId ?? options.experimentId ?? (process.env['MLFLOW_EXPERIMENT_ID'] || '0');
  if (options.path !== undefined && !fs.existsSync(options.path)) throw notFound(`No model file or folder at '${options.path}'`, { path: options.path });
  const params: Record<string, unknown> = { ...(options.params ?? {}), ...(run?.data.params ?? {}) };
  const userTags: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.tags ?? {})) userTags[k] = pythonStr(v);
  const created = await client.createLoggedModel(experimentId, {
    name: options.name ?? null,
    sourceRunId: runId,
    tags: resolveTags(userTags),
    params,
    modelType: options.modelType ?? null,
  });
  const modelId = created.modelId;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-log-model-'));
  let mlModel: MlModel;
  let dict: YamlMap;
  let localPath: string;
  try {
    if (runId) {
      await client.logOutputs(runId, [{ modelId, step }]);
      await logModelMetricsForStep(client, modelId, runId, step);
    }
    const dir = path.join(tmp, 'model');
    fs.mkdirSync(dir);
    const { flavors, after } = await writeFlavorFiles(dir, options);
    const info = options.inputExample === undefined ? null : saveInputExample(dir, options.inputExample, options.flavor);
    const signature =
      options.signature ?? (options.inputExample !== undefined && options.signature === undefined ? await inferSignature(dir, options) : null);
    const size = totalSize(dir);
    mlModel = {
      artifactPath: created.artifactLocation,
      runId,
      utcTimeCreated: utcTimeCreated(),
      flavors,
      modelUuid: modelId,
      mlflowVersion: LOG_MODEL_MLFLOW_VERSION,
      signature: signature
        ? { inputs: signature.inputs ?? null, outputs: signature.outputs ?? null, params: signature.params ?? null }
        : null,
      savedInputExampleInfo: info,
      metadata: options.metadata ?? null,
    };
    dict = mlModelToDict(mlModel);
    dict['model_id'] = modelId;
    if (size > 0) dict['model_size_bytes'] = size;
    fs.writeFileSync(path.join(dir, 'MLmodel'), dumpYaml(dict));
    after?.();
    localPath = path.resolve(localFileUriToPath(created.artifactLocation));
    fs.mkdirSync(localPath, { recursive: true });
    fs.cpSync(dir, localPath, { recursive: true, force: true });
    if (runId && options.recordHistory) await client.store.recordLoggedModel(runId, mlModelTagsDict(mlModel));
  } catch (err) {
    try {
      await client.finalizeLoggedModel(modelId, 'FAILED');
    } catch {
      /* the original error matters */
    }
    throw err instanceof MlflowError
      ? err
      : new MlflowError('IO_ERROR', `Cannot log model '${created.name}': ${(err as Error).message}`, { cause: err });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  let loggedModel = await client.finalizeLoggedModel(modelId, 'READY');
  let modelVersion: ModelVersion | null = null;
  if (options.registeredModelName) {
    modelVersion = await client.registerModel(`models:/${modelId}`, options.registeredModelName, { tags: options.tags ?? null });
    loggedModel = await client.getLoggedModel(modelId);
  }
  return {
    modelId,
    modelUri: `models:/${modelId}`,
    name: loggedModel.name,
    runId,
    experimentId,
    artifactPath: created.artifactLocation,
    localPath,
    flavors: mlModel.flavors,
    signature: mlModel.signature,
    utcTimeCreated: mlModel.utcTimeCreated,
    mlflowVersion: LOG_MODEL_MLFLOW_VERSION,
    mlModel: dict,
    loggedModel,
    registeredModelVersion: modelVersion?.version ?? null,
    modelVersion,
  };
}
