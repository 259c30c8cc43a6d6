/**
 * Loading MLflow Models by URI, as `mlflow.pyfunc.load_model` finds them: `runs:/<run>/<path>`,
 * `models:/<name>/<version>`, `models:/<name>@<alias>`, `models:/<name>/<stage>`,
 * `models:/<name>/latest`, `models:/m-<id>`, a path or a `file:` URI. Any MLflow Model (any
 * flavor, written by Python or by mlruns) is described: flavors, signature, input example, files.
 * `predict()` runs `onnx` models with `onnxruntime-node` and `tfjs` models with
 * `@tensorflow/tfjs`, both optional packages imported on first use.
 *
 * @example
 * ```ts
 * import { loadModel } from 'mlruns/models';
 * const model = await loadModel('models:/iris@champion', { root: './mlruns' });
 * model.flavorNames;                        // ['onnx', 'python_function']
 * const out = await model.predict([[5.1, 3.5, 1.4, 0.2]]);
 * out['y']?.values;                         // [[…]]
 * ```
 * @module
 */
import fs from 'node:fs';
import { walkTree } from '../store/file/fs.js';
import path from 'node:path';
import { MlflowError, invalidParameter, notFound } from '../errors.js';
import { parseYaml } from '../format/yaml.js';
import type { YamlMap } from '../format/yaml.js';
import { fileSystemHandler } from './tfjs-io.js';
import type { MlModelSignature } from './mlmodel.js';
import { importOptional, onnxPredictor } from './onnx.js';
import { tensorParts, toNested } from './tensor.js';
import { resolveModelUriDetailed } from './uri.js';

export type { PredictInput, Prediction, PredictionTensor, TensorLike } from './tensor.js';
import type { PredictInput, Prediction } from './tensor.js';

/**
 * A model signature: the schemas parsed from their JSON strings, and the strings as stored.
 *
 * @example
 * ```ts
 * model.signature?.inputs; // [{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 3] } }]
 * ```
 */
export interface LoadedSignature {
  inputs: unknown;
  outputs: unknown;
  params: unknown;
  raw: MlModelSignature;
}

/**
 * An MLflow Model found by {@link loadModel}.
 *
 * @example
 * ```ts
 * const m: LoadedModel = await loadModel(`runs:/${runId}/model`);
 * console.log(m.localPath, m.files, m.flavors['onnx']?.['onnx_version']);
 * ```
 */
export interface LoadedModel {
  /** The URI asked for. */
  uri: string;
  /** The local folder of the model (holds `MLmodel`). */
  localPath: string;
  /** Flavor name → configuration, as in `MLmodel`. */
  flavors: Record<string, YamlMap>;
  /** The flavor names, sorted. */
  flavorNames: string[];
  /** The pyfunc `loader_module` (`mlflow.onnx`, `mlflow.sklearn`...), null without one. */
  loaderModule: string | null;
  signature: LoadedSignature | null;
  /** The parsed `input_example.json` (or the file `saved_input_example_info` names), null without one. */
  inputExample: unknown;
  inputExampleInfo: YamlMap | null;
  /** Every file of the model folder, relative POSIX paths, sorted. */
  files: string[];
  runId: string | null;
  /** MLflow 3 logged model id (`model_id` of MLmodel, else the one the URI went through). */
  modelId: string | null;
  /** `artifact_path` of MLmodel (a run-relative path in 2.x, the artifact location in 3.x). */
  artifactPath: string | null;
  utcTimeCreated: string | null;
  modelUuid: string | null;
  mlflowVersion: string | null;
  modelSizeBytes: number | null;
  metadata: YamlMap | null;
  /** The registered model version the URI named, if any. */
  registered: { name: string; version: string } | null;
  /** Each URI followed, from the given one to the local folder. */
  resolvedChain: string[];
  /** The whole `MLmodel` mapping. */
  mlModel: YamlMap;
  /**
   * Predicts with the `onnx` flavor (onnxruntime-node) or the `tfjs` flavor (@tensorflow/tfjs);
   * the runtime is loaded on first call and kept.
   */
  predict(input: PredictInput): Promise<Prediction>;
  /** Releases the runtime session, if one was made. */
  close(): Promise<void>;
}

/**
 * Options of {@link loadModel}.
 *
 * @example
 * ```ts
 * await loadModel('models:/iris/1', { root: './mlruns', tf: await import('@tensorflow/tfjs-node') });
 * ```
 */
export interface LoadModelOptions {
  /** Tracking root (path or `file:` URI); default `MLFLOW_TRACKING_URI`, else `./mlruns`. */
  root?: string | null;
  /** The TensorFlow.js module to predict with (default: `import('@tensorflow/tfjs')`). */
  tf?: unknown;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const asMap = (v: unknown): YamlMap | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as YamlMap) : null);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  walkTree(dir, (_abs, rel) => void out.push(rel));
  return out.sort();
}

function parseJsonField(text: string | null, what: string, file: string): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text.replace(/\bNaN\b|-?\bInfinity\b/g, 'null'));
  } catch (err) {
    throw new MlflowError('MALFORMED_DATA', `The ${what} of '${file}' is not JSON: ${(err as Error).message}`, { path: file });
  }
}

/**
 * Reads the MLflow Model in a local folder (or at its `MLmodel` file) into a description.
 * Throws RESOURCE_DOES_NOT_EXIST with MLflow's message when there is no `MLmodel`.
 *
 * @example
 * ```ts
 * const m = readModelFolder('./mlruns/0/models/m-…/artifacts');
 * m.flavorNames; // ['onnx', 'python_function']
 * ```
 */
export function readModelFolder(dirOrFile: string, uri: string = dirOrFile): Omit<LoadedModel, 'predict' | 'close'> {
  let dir = dirOrFile;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dirOrFile);
  } catch {
    st = undefined;
  }
  if (st?.isFile()) dir = path.dirname(dirOrFile);
  const file = path.join(dir, 'MLmodel');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw notFound(`Could not find an "MLmodel" configuration file at "${dir}"`, { path: file, cause: err });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new MlflowError('MALFORMED_DATA', `'${file}' is not valid YAML: ${(err as Error).message}`, { path: file, cause: err });
  }
  const d = asMap(parsed);
  if (!d) throw new MlflowError('MALFORMED_DATA', `'${file}' does not hold a mapping`, { path: file });
  const flavors: Record<string, YamlMap> = {};
  for (const [k, v] of Object.entries(asMap(d['flavors']) ?? {})) flavors[k] = asMap(v) ?? {};
  const sig = asMap(d['signature']);
  let signature: LoadedSignature | null = null;
  if (sig) {
    const raw: MlModelSignature = { inputs: str(sig['inputs']), outputs: str(sig['outputs']), params: str(sig['params']) };
    signature = {
      inputs: parseJsonField(raw.inputs, 'signature inputs', file),
      outputs: parseJsonField(raw.outputs, 'signature outputs', file),
      params: parseJsonField(raw.params ?? null, 'signature params', file),
      raw,
    };
  }
  const info = asMap(d['saved_input_example_info']);
  let inputExample: unknown = null;
  const exampleFile = info ? str(info['artifact_path']) : null;
  if (exampleFile) {
    const p = path.join(dir, ...exampleFile.split('/'));
    if (fs.existsSync(p)) inputExample = parseJsonField(fs.readFileSync(p, 'utf8'), 'input example', p);
  }
  const size = d['model_size_bytes'];
  return {
    uri,
    localPath: dir,
    flavors,
    flavorNames: Object.keys(flavors).sort(),
    loaderModule: str(flavors['python_function']?.['loader_module']),
    signature,
    inputExample,
    inputExampleInfo: info,
    files: listFiles(dir),
    runId: str(d['run_id']),
    modelId: str(d['model_id']),
    artifactPath: str(d['artifact_path']),
    utcTimeCreated: str(d['utc_time_created']),
    modelUuid: str(d['model_uuid']),
    mlflowVersion: str(d['mlflow_version']),
    modelSizeBytes: typeof size === 'number' ? size : typeof size === 'bigint' ? Number(size) : null,
    metadata: asMap(d['metadata']),
    registered: null,
    resolvedChain: [uri],
    mlModel: d,
  };
}

/** The parts of TensorFlow.js used to predict (no type dependency on the package). */
interface TfTensor {
  shape: number[];
  dtype: string;
  data(): Promise<ArrayLike<number>>;
  dispose(): void;
}
interface TfModel {
  inputs?: Array<{ name: string }>;
  outputs?: Array<{ name: string }>;
  outputNames?: string[];
  inputNodes?: string[];
  outputNodes?: string[];
  predict(x: TfTensor | TfTensor[] | Record<string, TfTensor>): TfTensor | TfTensor[] | Record<string, TfTensor>;
  dispose?(): void;
}
interface TfModule {
  tensor(values: unknown, shape?: number[], dtype?: string): TfTensor;
  loadLayersModel(handler: unknown): Promise<TfModel>;
  loadGraphModel(handler: unknown): Promise<TfModel>;
}

/** A TF.js predictor of a model folder (used by loadModel, and by logModel to infer a signature). */
export async function tfjsPredictor(
  dir: string,
  flavor: YamlMap,
  tfGiven: unknown,
): Promise<{ predict(input: PredictInput): Promise<Prediction>; close(): Promise<void> }> {
  const imported = (tfGiven ?? (await importOptional<TfModule>('@tensorflow/tfjs', 'predicting with a TF.js model'))) as TfModule & { default?: TfModule };
  const tf: TfModule = typeof imported.tensor === 'function' ? imported : (imported.default as TfModule);
  const data = str(flavor['data']) ?? 'model.json';
  const modelDir = path.join(dir, ...path.posix.dirname(data).split('/').filter((s) => s !== '.' && s !== ''));
  if (!fs.existsSync(path.join(modelDir, 'model.json'))) throw notFound(`The TF.js model file '${path.join(modelDir, 'model.json')}' does not exist`);
  const graph = str(flavor['model_format']) === 'graph-model';
  const model = graph ? await tf.loadGraphModel(fileSystemHandler(modelDir)) : await tf.loadLayersModel(fileSystemHandler(modelDir));
  const inputNames = model.inputs?.map((i) => i.name) ?? model.inputNodes ?? [];
  const outputNames = model.outputNames ?? model.outputNodes ?? model.outputs?.map((o) => o.name) ?? [];
  const toTensor = (v: unknown, name: string): TfTensor => {
    const { data: values, dims } = tensorParts(v, name);
    return tf.tensor(values.map(Number), dims, 'float32');
  };
  return {
    async predict(input: PredictInput): Promise<Prediction> {
      const made: TfTensor[] = [];
      try {
        let x: TfTensor | TfTensor[];
        const byName = input !== null && typeof input === 'object' && !Array.isArray(input) && !ArrayBuffer.isView(input) && !('dims' in input);
        if (byName) {
          x = inputNames.map((n) => {
            const v = (input as Record<string, unknown>)[n] ?? (input as Record<string, unknown>)[n.replace(/:\d+$/, '')];
            if (v === undefined) throw invalidParameter(`Missing input '${n}': the model's inputs are ${inputNames.join(', ')}`);
            const t = toTensor(v, n);
            made.push(t);
            return t;
          });
          if (x.length === 1) x = x[0] as TfTensor;
        } else {
          if (inputNames.length > 1) throw invalidParameter(`This TF.js model has ${inputNames.length} inputs (${inputNames.join(', ')}): give them by name`);
          x = toTensor(input, inputNames[0] ?? 'input');
          made.push(x);
        }
        let y: TfTensor | TfTensor[] | Record<string, TfTensor>;
        try {
          y = model.predict(x);
        } catch (err) {
          throw invalidParameter(`TF.js could not run the model on this input: ${(err as Error).message}`, { cause: err });
        }
        const list: Array<[string, TfTensor]> = Array.isArray(y)
          ? y.map((t, i) => [outputNames[i] ?? `output_${i}`, t])
          : 'shape' in y && Array.isArray((y as TfTensor).shape)
            ? [[outputNames[0] ?? 'output_0', y as TfTensor]]
            : Object.entries(y as Record<string, TfTensor>);
        const out: Prediction = {};
        for (const [name, t] of list) {
          const flat = Array.from(await t.data(), Number);
          out[name] = { dims: [...t.shape], type: t.dtype, data: flat, values: toNested(flat, t.shape) };
          made.push(t);
        }
        return out;
      } finally {
        for (const t of made) t.dispose();
      }
    },
    async close(): Promise<void> {
      model.dispose?.();
    },
  };
}

/**
 * Finds the MLflow Model a URI names (see {@link resolveModelUriDetailed}) and describes it.
 * Unknown runs, registered models, versions and aliases fail with MLflow's error codes; a URI
 * scheme other than `runs:`, `models:` and `file:` fails with INVALID_PARAMETER_VALUE; a folder
 * without `MLmodel` with RESOURCE_DOES_NOT_EXIST.
 *
 * @example
 * ```ts
 * const m = await loadModel('models:/iris@champion', { root: './mlruns' });
 * const { y } = await m.predict([[1, 2, 3]]);
 * await m.close();
 * ```
 */
export async function loadModel(uri: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  if (typeof uri !== 'string' || uri.trim() === '') throw invalidParameter('A model URI is required (runs:/…, models:/…, a path)');
  const resolved = await resolveModelUriDetailed(uri, { trackingUri: options.root ?? null });
  const desc = readModelFolder(resolved.path, uri);
  desc.registered = resolved.name !== null && resolved.version !== null ? { name: resolved.name, version: resolved.version } : null;
  desc.resolvedChain = resolved.chain;
  if (desc.modelId === null && resolved.modelId !== null) desc.modelId = resolved.modelId;
  let predictor: { predict(input: PredictInput): Promise<Prediction>; close(): Promise<void> } | null = null;
  const dir = desc.localPath;
  const model: LoadedModel = {
    ...desc,
    async predict(input: PredictInput): Promise<Prediction> {
      if (!predictor) {
        const onnx = desc.flavors['onnx'];
        const tfjs = desc.flavors['tfjs'];
        if (onnx) {
          const data = str(onnx['data']) ?? 'model.onnx';
          const file = path.join(dir, ...data.split('/'));
          if (!fs.existsSync(file)) throw notFound(`The ONNX model file '${file}' named by the onnx flavor does not exist`, { path: file });
          predictor = await onnxPredictor(file);
        } else if (tfjs) {
          predictor = await tfjsPredictor(dir, tfjs, options.tf);
        } else {
          throw notFound(
            `Model '${uri}' has no flavor mlruns can predict with (onnx or tfjs); its flavors: ${desc.flavorNames.join(', ') || 'none'}`,
          );
        }
      }
      return predictor.predict(input);
    },
    async close(): Promise<void> {
      const p = predictor;
      predictor = null;
      await p?.close();
    },
  };
  return model;
}

