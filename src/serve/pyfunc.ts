/**
 * The MLflow `python_function` view of a model, as `mlflow models serve` loads it, for the
 * flavors mlruns runs: `onnx` (onnxruntime-node, with the exact semantics of `mlflow.onnx`'s
 * `_OnnxModelWrapper`: a DataFrame in gives a DataFrame out, an array or dict gives a dict of
 * output name → array; float64 is cast to float32 for `tensor(float)` inputs and nothing else),
 * `python_function` models whose `loader_module` is `mlflow.onnx`, and `tfjs` (same shapes,
 * inputs as float32). Any other model gets a clear error naming its flavors and the Python
 * command that serves it.
 *
 * @example
 * ```ts
 * const model = await loadPyfunc('models:/iris@champion', { root: './mlruns' });
 * const out = await model.predict(ndFromJson([[1, 2, 3]]));
 * ```
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { loadModel, openOnnxSession } from '../models/index.js';
import type { LoadedModel, OnnxSession } from '../models/index.js';
import type { Dtype, Frame, Nd, PyData } from './data.js';
import { castNd, frameValues, seriesValues } from './data.js';
import type { Schema } from './schema.js';
import { MAX_TENSOR_ELEMENTS, parseInputSchema } from './schema.js';

/** A prediction: a dict of output name → array, or a data frame (one column per output). */
export type PyOutput =
  | { kind: 'dict'; entries: Array<{ name: string; dtype: string; dims: number[]; data: ArrayLike<unknown> }> }
  | { kind: 'frame'; columns: Array<{ name: string; dtype: string; data: ArrayLike<unknown> }>; nrows: number };

/** An error raised by the model itself (Python's generic `Exception` path: BAD_REQUEST). */
export class ModelRuntimeError extends Error {}

/** A loaded model ready to predict as MLflow's pyfunc does. */
export interface PyfuncModel {
  uri: string;
  desc: LoadedModel;
  schema: Schema | null;
  paramsSchema: unknown;
  /** The registered version, when the URI named one. */
  version: string | null;
  predict(data: PyData): Promise<PyOutput>;
  close(): Promise<void>;
}

/** Options of {@link loadPyfunc}. */
export interface LoadPyfuncOptions {
  root?: string | null;
  /** onnxruntime session options (default: one intra-op thread per session). */
  sessionOptions?: Record<string, unknown>;
  tf?: unknown;
}

/**
 * Refuses a model folder holding a symlink that leads out of it (a model must not read files
 * of the machine it is served on).
 */
export function checkModelFolder(dir: string): void {
  const root = fs.realpathSync(dir);
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) {
        let target: string;
        try {
          target = fs.realpathSync(p);
        } catch {
          throw new MlflowError('INVALID_PARAMETER_VALUE', `Refusing the model at '${dir}': '${path.relative(dir, p)}' is a dangling symlink`);
        }
        if (target !== root && !target.startsWith(root + path.sep)) {
          throw new MlflowError('INVALID_PARAMETER_VALUE', `Refusing the model at '${dir}': '${path.relative(dir, p)}' is a symlink out of the model folder (to '${target}')`);
        }
      } else if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
}


function typedData(nd: Nd): { type: string; data: unknown } {
  const d = nd.data;
  switch (nd.dtype) {
    case 'float32':
      return { type: 'float32', data: Float32Array.from(d as number[]) };
    case 'float64':
      return { type: 'float64', data: Float64Array.from(d as number[]) };
    case 'int64':
      return { type: 'int64', data: BigInt64Array.from(d as number[], (x) => BigInt(x)) };
    case 'uint64':
      return { type: 'uint64', data: BigUint64Array.from(d as number[], (x) => BigInt(x)) };
    case 'int32':
      return { type: 'int32', data: Int32Array.from(d as number[]) };
    case 'int16':
      return { type: 'int16', data: Int16Array.from(d as number[]) };
    case 'int8':
      return { type: 'int8', data: Int8Array.from(d as number[]) };
    case 'uint8':
      return { type: 'uint8', data: Uint8Array.from(d as number[]) };
    case 'uint16':
      return { type: 'uint16', data: Uint16Array.from(d as number[]) };
    case 'uint32':
      return { type: 'uint32', data: Uint32Array.from(d as number[]) };
    case 'bool':
      return { type: 'bool', data: Uint8Array.from(d, (x) => (x ? 1 : 0)) };
    case 'str':
      return { type: 'string', data: d as string[] };
    default:
      if (d.every((x) => typeof x === 'string')) return { type: 'string', data: d };
      throw new ModelRuntimeError('Unsupported numpy type object for an ONNX input');
  }
}

/**
 * `frame.values` cast to float32 straight into a Float32Array (what frameValues, castNd and
 * typedData give for a frame of float64 columns holding plain numbers), or null for any other
 * frame. The float32 rounding of a JS number is the same in both ways.
 */
function float32Frame(f: Frame): (Nd & { f32: Float32Array }) | null {
  const w = f.cols.length;
  if (w === 0 || !f.cols.every((c) => c.dtype === 'float64')) return null;
  const n = f.nrows;
  const out = new Float32Array(n * w);
  for (let j = 0; j < w; j++) {
    const v = (f.cols[j] as { values: unknown[] }).values;
    if (v.length < n) return null;
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (typeof x !== 'number') return null;
      out[i * w + j] = x;
    }
  }
  return { kind: 'nd', dtype: 'float32', shape: [n, w], data: [], f32: out };
}

function onnxRuntime(session: OnnxSession): (data: PyData) => Promise<PyOutput> {
  const inputs = session.inputs;
  return async (data) => {
    let feeds: Map<string, unknown>;
    if (data.kind === 'dict') feeds = data.entries;
    else if (data.kind === 'nd') {
      if (inputs.length !== 1) {
        throw new MlflowError(
          'INTERNAL_ERROR',
          `Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires ${inputs.length} inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: [${inputs.map((i) => `'${i.name}'`).join(', ')}].`,
        );
      }
      feeds = new Map([[(inputs[0] as { name: string }).name, data]]);
    } else if (data.kind === 'frame') {
      feeds = new Map();
      if (inputs.length > 1) {
        for (const i of inputs) {
          const j = data.columns.indexOf(i.name);
          if (j < 0) throw new ModelRuntimeError(`KeyError: '${i.name}'`);
          feeds.set(i.name, seriesValues(data.cols[j] as (typeof data.cols)[number]));
        }
      } else {
        const name = (inputs[0] as { name: string; type: string }).name;
        const f32 = (inputs[0] as { type: string }).type === 'float32' ? float32Frame(data) : null;
        feeds.set(name, f32 ?? frameValues(data));
      }
    } else throw new ModelRuntimeError(`Input should be a dictionary or a numpy array or a pandas.DataFrame, got '<class '${data.typeName}'>'`);
    const ortFeeds: Record<string, { type: string; data: unknown; dims: number[] }> = {};
    for (const [name, v] of feeds) {
      if (!(v && (v as Nd).kind === 'nd')) throw new ModelRuntimeError(`Input '${name}' is not an array`);
      let nd = v as Nd;
      const info = inputs.find((i) => i.name === name);
      if (!info) throw new ModelRuntimeError(`Invalid input name: ${name}`);
      const ready = (nd as Nd & { f32?: Float32Array }).f32;
      if (ready && info.type === 'float32') {
        ortFeeds[name] = { type: 'float32', data: ready, dims: nd.shape };
        continue;
      }
      if (info.type === 'float32' && nd.dtype === 'float64') nd = castNd(nd, 'float32');
      const t = typedData(nd);
      if (t.type !== info.type) throw new ModelRuntimeError(`Unexpected input data type. Actual: (tensor(${t.type})) , expected: (tensor(${info.type}))`);
      ortFeeds[name] = { ...t, dims: nd.shape };
    }
    const missing = inputs.filter((i) => !(i.name in ortFeeds)).map((i) => i.name);
    if (missing.length) throw new ModelRuntimeError(`Required inputs (${JSON.stringify(missing)}) are missing from input feed`);
    let out: Awaited<ReturnType<OnnxSession['run']>>;
    try {
      out = await session.run(ortFeeds);
    } catch (err) {
      throw new ModelRuntimeError((err as Error).message);
    }
    return shapeOutput(data, session.outputs.map((o) => o.name), out);
  };
}

function shapeOutput(data: PyData, names: string[], out: Record<string, { type: string; data: ArrayLike<unknown>; dims: number[] }>): PyOutput {
  if (data.kind === 'frame') {
    const columns = names.filter((n) => out[n]).map((n) => ({ name: n, dtype: (out[n] as { type: string }).type, data: (out[n] as { data: ArrayLike<unknown> }).data }));
    const lens = new Set(columns.map((c) => c.data.length));
    if (lens.size > 1) throw new ModelRuntimeError('All arrays must be of the same length');
    return { kind: 'frame', columns, nrows: columns[0]?.data.length ?? 0 };
  }
  return { kind: 'dict', entries: names.filter((n) => out[n]).map((n) => ({ name: n, dtype: (out[n] as { type: string }).type, dims: (out[n] as { dims: number[] }).dims, data: (out[n] as { data: ArrayLike<unknown> }).data })) };
}

function tfjsRuntime(model: LoadedModel): (data: PyData) => Promise<PyOutput> {
  return async (data) => {
    let input: unknown;
    const asTensor = (nd: Nd): { data: number[]; dims: number[] } => {
      if (!['float32', 'float64', 'int64', 'int32', 'bool'].includes(nd.dtype)) throw new ModelRuntimeError(`A TF.js model takes numbers, not ${nd.dtype}`);
      return { data: castNd(nd, 'float32').data as number[], dims: nd.shape };
    };
    if (data.kind === 'nd') input = asTensor(data);
    else if (data.kind === 'frame') input = asTensor(frameValues(data));
    else if (data.kind === 'dict') {
      const o: Record<string, unknown> = {};
      for (const [k, v] of data.entries) {
        if (!(v && (v as Nd).kind === 'nd')) throw new ModelRuntimeError(`Input '${k}' is not an array`);
        o[k] = asTensor(v as Nd);
      }
      input = o;
    } else throw new ModelRuntimeError(`Input should be a dictionary or a numpy array or a pandas.DataFrame, got '<class '${data.typeName}'>'`);
    let pred;
    try {
      pred = await model.predict(input as never);
    } catch (err) {
      throw new ModelRuntimeError((err as Error).message);
    }
    const out: Record<string, { type: string; data: ArrayLike<unknown>; dims: number[] }> = {};
    for (const [k, t] of Object.entries(pred)) out[k] = { type: t.type === 'int32' ? 'int32' : 'float32', data: t.data, dims: t.dims };
    return shapeOutput(data, Object.keys(pred), out);
  };
}

/** The Python command that serves a model mlruns cannot run. */
export const pythonServeCommand = (uri: string): string => `mlflow models serve -m '${uri}' --env-manager local`;

/**
 * Loads a model by URI (every form {@link loadModel} takes) for serving: checks the folder,
 * parses the signature, opens the runtime.
 */
export async function loadPyfunc(uri: string, options: LoadPyfuncOptions = {}): Promise<PyfuncModel> {
  const desc = await loadModel(uri, { root: options.root ?? null, tf: options.tf });
  checkModelFolder(desc.localPath);
  const schema = parseInputSchema(desc.signature?.inputs ?? null);
  const onnx = desc.flavors['onnx'];
  const pyfunc = desc.flavors['python_function'];
  let run: (data: PyData) => Promise<PyOutput>;
  let closeRuntime: () => Promise<void>;
  const onnxData = onnx ? String(onnx['data'] ?? 'model.onnx') : pyfunc && pyfunc['loader_module'] === 'mlflow.onnx' ? String(pyfunc['data'] ?? 'model.onnx') : null;
  if (onnxData !== null) {
    const file = path.join(desc.localPath, ...onnxData.split('/'));
    const rel = path.relative(desc.localPath, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new MlflowError('INVALID_PARAMETER_VALUE', `Refusing the model at '${desc.localPath}': its ONNX file '${onnxData}' is outside the model folder`);
    if (!fs.existsSync(file)) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `The ONNX model file '${file}' named by the model does not exist`);
    const session = await openOnnxSession(file, options.sessionOptions ?? { intraOpNumThreads: 1, interOpNumThreads: 1 });
    for (const i of session.inputs) {
      const fixed = i.shape.filter((d): d is number => d !== null).reduce((a, b) => a * b, 1);
      if (fixed > MAX_TENSOR_ELEMENTS) {
        await session.close();
        throw new MlflowError('INVALID_PARAMETER_VALUE', `Refusing the model: its ONNX input '${i.name}' has shape [${i.shape.map((d) => d ?? '?').join(', ')}] (${fixed} elements, the limit is ${MAX_TENSOR_ELEMENTS})`);
      }
    }
    run = onnxRuntime(session);
    closeRuntime = () => session.close();
  } else if (desc.flavors['tfjs']) {
    run = tfjsRuntime(desc);
    closeRuntime = () => desc.close();
  } else {
    const loader = desc.loaderModule ? ` (python_function loader_module: ${desc.loaderModule})` : '';
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Model '${uri}' has no flavor mlruns can run (onnx, tfjs, or python_function with loader_module mlflow.onnx); its flavors: ${desc.flavorNames.join(', ') || 'none'}${loader}. Serve it with Python: ${pythonServeCommand(uri)}`,
    );
  }
  let paramsSchema: unknown = null;
  if (desc.signature?.params) paramsSchema = desc.signature.params;
  return {
    uri,
    desc,
    schema,
    paramsSchema,
    version: desc.registered?.version ?? null,
    predict: run,
    close: closeRuntime,
  };
}

export type { Dtype };
