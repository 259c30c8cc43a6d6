/**
 * The `onnx` flavor of MLflow Models, as `mlflow.onnx.save_model` (MLflow 3.17.2) writes it:
 * the graph as `model.onnx`, the `onnx` flavor (`onnx_version`, `data`, `providers`,
 * `onnx_session_options`, `code`), the `python_function` flavor with `loader_module: mlflow.onnx`
 * (so `mlflow.pyfunc.load_model` serves it with onnxruntime), and the Python environment files
 * (`requirements.txt`, `python_env.yaml`, `conda.yaml`).
 *
 * Predicting runs the graph with `onnxruntime-node`, an optional dependency imported on demand.
 *
 * @example
 * ```ts
 * copyOnnxModel('./linear.onnx', dir);
 * const flavors = onnxFlavors();
 * writePythonEnvFiles(dir, onnxPipRequirements());
 * ```
 * @module
 */
import fs from 'node:fs';
import { walkTree } from '../store/file/fs.js';
import path from 'node:path';
import { MlflowError, invalidParameter, notFound } from '../errors.js';
import { dumpYaml } from '../format/yaml.js';
import type { YamlMap } from '../format/yaml.js';
import type { Prediction, PredictInput } from './tensor.js';
import { isTensorLike, tensorParts, toNested } from './tensor.js';
export { flattenNested, tensorParts, toNested } from './tensor.js';

/** The flavor name. @example `model.flavors[ONNX_FLAVOR]` */
export const ONNX_FLAVOR = 'onnx';
/** `_MODEL_DATA_SUBPATH`: the file name of the graph in the model folder. @example `path.join(dir, ONNX_MODEL_FILE)` */
export const ONNX_MODEL_FILE = 'model.onnx';
/** `mlflow.onnx.ONNX_EXECUTION_PROVIDERS`, the default `providers`. @example `onnxFlavors({ providers: ONNX_EXECUTION_PROVIDERS })` */
export const ONNX_EXECUTION_PROVIDERS: readonly string[] = ['CUDAExecutionProvider', 'CPUExecutionProvider'];

/**
 * The versions written by default in the flavors and environment files: the MLflow release
 * whose layout is written, and the Python packages the models were checked with.
 *
 * @example
 * ```ts
 * onnxFlavors({ onnxVersion: ONNX_DEFAULT_VERSIONS.onnx });
 * ```
 */
export const ONNX_DEFAULT_VERSIONS = Object.freeze({
  mlflow: '3.17.2',
  onnx: '1.23.2',
  onnxruntime: '1.32.0',
  python: '3.11.7',
});

/**
 * Options of the onnx flavor.
 *
 * @example
 * ```ts
 * const o: OnnxFlavorOptions = { providers: ['CPUExecutionProvider'], sessionOptions: { intra_op_num_threads: 1 } };
 * ```
 */
export interface OnnxFlavorOptions {
  /** `onnx_execution_providers` (default {@link ONNX_EXECUTION_PROVIDERS}). */
  providers?: readonly string[];
  /** `onnx_session_options` (default null). */
  sessionOptions?: YamlMap | null;
  /** `onnx_version` and the `onnx` requirement (default {@link ONNX_DEFAULT_VERSIONS}). */
  onnxVersion?: string;
  /** The `onnxruntime` requirement. */
  onnxruntimeVersion?: string;
  /** `python_version` of the pyfunc flavor and the environment files. */
  pythonVersion?: string;
  /** The `mlflow` requirement. */
  mlflowVersion?: string;
}

/**
 * Copies an ONNX graph into a model folder as `model.onnx`. `src` is a `.onnx` file, or a folder
 * holding exactly one `.onnx` file (its other files, such as external tensor data, are copied
 * beside it under their own names). Returns the bytes copied.
 *
 * @example
 * ```ts
 * copyOnnxModel('./exported/linear.onnx', tmpDir); // tmpDir/model.onnx
 * ```
 */
export function copyOnnxModel(src: string, destDir: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(src);
  } catch {
    throw notFound(`No ONNX model at '${src}'`, { path: src });
  }
  fs.mkdirSync(destDir, { recursive: true });
  if (st.isFile()) {
    checkOnnxFile(src);
    fs.copyFileSync(src, path.join(destDir, ONNX_MODEL_FILE));
    return st.size;
  }
  const entries = fs.readdirSync(src, { withFileTypes: true });
  const graphs = entries.filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.onnx'));
  if (graphs.length !== 1) {
    throw invalidParameter(
      `The folder '${src}' must hold exactly one .onnx file to log as an ONNX model (found ${graphs.length}${graphs.length ? `: ${graphs.map((g) => g.name).join(', ')}` : ''})`,
      { path: src },
    );
  }
  const graph = graphs[0] as fs.Dirent;
  checkOnnxFile(path.join(src, graph.name));
  let total = 0;
  for (const e of entries) {
    const from = path.join(src, e.name);
    const to = path.join(destDir, e === graph ? ONNX_MODEL_FILE : e.name);
    if (e !== graph && e.name === ONNX_MODEL_FILE) throw invalidParameter(`'${from}' would be overwritten by the graph copied as ${ONNX_MODEL_FILE}`);
    fs.cpSync(from, to, { recursive: true, dereference: true });
  }
  walkTree(destDir, (abs) => void (total += fs.statSync(abs).size));
  return total;
}


/**
 * A cheap sanity check of an ONNX file: not empty, and its first byte is the protobuf tag of
 * `ModelProto.ir_version` (field 1, varint), which every ONNX exporter writes first.
 */
function checkOnnxFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    const n = fs.readSync(fd, b, 0, 1, 0);
    if (n === 0) throw invalidParameter(`'${file}' is empty: not an ONNX model`, { path: file });
    if (b[0] !== 0x08) throw invalidParameter(`'${file}' is not an ONNX model (a ModelProto starts with its ir_version)`, { path: file });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The `onnx` and `python_function` flavors exactly as `mlflow.onnx.save_model` writes them
 * (`code: null`, `onnx_session_options: null` unless given; pyfunc `env` files).
 *
 * @example
 * ```ts
 * onnxFlavors().python_function; // { loader_module: 'mlflow.onnx', python_version: '3.11.7', data: 'model.onnx', env: {...} }
 * ```
 */
export function onnxFlavors(options: OnnxFlavorOptions = {}): Record<string, YamlMap> {
  return {
    python_function: {
      loader_module: 'mlflow.onnx',
      python_version: options.pythonVersion ?? ONNX_DEFAULT_VERSIONS.python,
      data: ONNX_MODEL_FILE,
      env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
    },
    [ONNX_FLAVOR]: {
      onnx_version: options.onnxVersion ?? ONNX_DEFAULT_VERSIONS.onnx,
      data: ONNX_MODEL_FILE,
      providers: [...(options.providers ?? ONNX_EXECUTION_PROVIDERS)],
      onnx_session_options: options.sessionOptions ?? null,
      code: null,
    },
  };
}

/**
 * The pip requirements `mlflow.onnx.save_model` writes: mlflow, onnx and onnxruntime, pinned.
 *
 * @example
 * ```ts
 * onnxPipRequirements(); // ['mlflow==3.17.2', 'onnx==1.23.2', 'onnxruntime==1.32.0']
 * ```
 */
export function onnxPipRequirements(options: OnnxFlavorOptions = {}): string[] {
  return [
    `mlflow==${options.mlflowVersion ?? ONNX_DEFAULT_VERSIONS.mlflow}`,
    `onnx==${options.onnxVersion ?? ONNX_DEFAULT_VERSIONS.onnx}`,
    `onnxruntime==${options.onnxruntimeVersion ?? ONNX_DEFAULT_VERSIONS.onnxruntime}`,
  ];
}

/**
 * Writes the environment files of a pyfunc model as MLflow does: `requirements.txt` (one
 * requirement a line, no final newline), `python_env.yaml` and `conda.yaml` (MLflow's
 * `mlflow-env`, conda-forge). Build tools are left unpinned (Python pins the ones it ran with).
 *
 * @example
 * ```ts
 * writePythonEnvFiles(dir, ['mlflow==3.17.2', 'onnx==1.23.2'], '3.11.7');
 * ```
 */
export function writePythonEnvFiles(dir: string, requirements: readonly string[], pythonVersion: string = ONNX_DEFAULT_VERSIONS.python): void {
  fs.writeFileSync(path.join(dir, 'requirements.txt'), requirements.join('\n'));
  fs.writeFileSync(
    path.join(dir, 'python_env.yaml'),
    `python: ${pythonVersion}\nbuild_dependencies:\n- pip\n- setuptools\n- wheel\ndependencies:\n- -r requirements.txt\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'conda.yaml'),
    dumpYaml({
      channels: ['conda-forge'],
      dependencies: [`python=${pythonVersion}`, 'pip', { pip: [...requirements] }],
      name: 'mlflow-env',
    }),
  );
}

// ------------------------------------------------------------------ prediction with onnxruntime-node

/** The parts of `onnxruntime-node` used here (no type dependency on the package). */
interface OrtTensor {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: ArrayLike<unknown>;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: ReadonlyArray<{ name: string; isTensor?: boolean; type?: string }>;
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(file: string, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
}

/**
 * Imports an optional package on demand; a missing package becomes one clear error naming it.
 *
 * @example
 * ```ts
 * const ort = await importOptional<OrtModule>('onnxruntime-node', 'predicting with an ONNX model');
 * ```
 */
export async function importOptional<T>(pkg: string, what: string): Promise<T> {
  try {
    const mod = (await import(pkg)) as T & { default?: T };
    return mod;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new MlflowError(
        'INVALID_STATE',
        `${what[0]?.toUpperCase() ?? ''}${what.slice(1)} needs the optional package '${pkg}', which is not installed: run \`npm install ${pkg}\``,
        { cause: err },
      );
    }
    throw new MlflowError('INTERNAL_ERROR', `Cannot load '${pkg}' (${what}): ${(err as Error).message}`, { cause: err });
  }
}

/** ONNX element type names of onnxruntime (`tensor(float)` or `float32` forms) → ort Tensor types. */
function ortType(type: string | undefined): string {
  const t = (type ?? 'float32').replace(/^tensor\((.*)\)$/, '$1');
  switch (t) {
    case 'float':
    case 'float32':
      return 'float32';
    case 'double':
    case 'float64':
      return 'float64';
    case 'int64':
    case 'int32':
    case 'int16':
    case 'int8':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
    case 'bool':
    case 'string':
    case 'float16':
      return t;
    default:
      return 'float32';
  }
}

function makeTyped(type: string, data: unknown[]): unknown {
  switch (type) {
    case 'float32':
      return Float32Array.from(data, Number);
    case 'float64':
      return Float64Array.from(data, Number);
    case 'int32':
      return Int32Array.from(data, Number);
    case 'int16':
      return Int16Array.from(data, Number);
    case 'int8':
      return Int8Array.from(data, Number);
    case 'uint8':
      return Uint8Array.from(data, Number);
    case 'uint16':
      return Uint16Array.from(data, Number);
    case 'uint32':
      return Uint32Array.from(data, Number);
    case 'int64':
      return BigInt64Array.from(data, (x) => BigInt(typeof x === 'bigint' ? x : Math.trunc(Number(x))));
    case 'uint64':
      return BigUint64Array.from(data, (x) => BigInt(typeof x === 'bigint' ? x : Math.trunc(Number(x))));
    case 'bool':
      return Uint8Array.from(data, (x) => (x ? 1 : 0));
    case 'string':
      return data.map(String);
    default:
      return Float32Array.from(data, Number);
  }
}

/**
 * Runs an ONNX model file with onnxruntime-node (CPU), as `mlflow.onnx`'s pyfunc does: one
 * input given as an array feeds the model's first input; several inputs are given by name.
 * Values are converted to each input's element type (float64 → float32 for `tensor(float)`).
 *
 * @example
 * ```ts
 * const predictor = await onnxPredictor('/path/to/model/model.onnx');
 * const out = await predictor.predict([[1, 2, 3]]);
 * out['y']?.values; // [[2.75]]
 * ```
 */
export async function onnxPredictor(
  file: string,
  options: { sessionOptions?: Record<string, unknown> } = {},
): Promise<{ inputNames: readonly string[]; outputNames: readonly string[]; predict(input: PredictInput): Promise<Prediction>; close(): Promise<void> }> {
  const imported = await importOptional<OrtModule & { default?: OrtModule }>('onnxruntime-node', 'predicting with an ONNX model');
  const ort: OrtModule = imported.InferenceSession ? imported : (imported.default as OrtModule);
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], ...(options.sessionOptions ?? {}) });
  } catch (err) {
    throw new MlflowError('MALFORMED_DATA', `onnxruntime cannot load '${file}': ${(err as Error).message}`, { path: file, cause: err });
  }
  const typeOf = (name: string): string => ortType(session.inputMetadata?.find((m) => m.name === name)?.type);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async predict(input: PredictInput): Promise<Prediction> {
      const feeds: Record<string, OrtTensor> = {};
      const byName =
        input !== null && typeof input === 'object' && !Array.isArray(input) && !ArrayBuffer.isView(input) && !isTensorLike(input);
      if (byName) {
        for (const name of session.inputNames) {
          const v = (input as Record<string, unknown>)[name];
          if (v === undefined) throw invalidParameter(`Missing input '${name}': the model's inputs are ${session.inputNames.join(', ')}`);
          const { data, dims } = tensorParts(v, name);
          feeds[name] = new ort.Tensor(typeOf(name), makeTyped(typeOf(name), data), dims);
        }
      } else {
        if (session.inputNames.length !== 1) {
          throw invalidParameter(
            `This ONNX model has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}): give them by name, as { name: values }`,
          );
        }
        const name = session.inputNames[0] as string;
        const { data, dims } = tensorParts(input, name);
        feeds[name] = new ort.Tensor(typeOf(name), makeTyped(typeOf(name), data), dims);
      }
      let out: Record<string, OrtTensor>;
      try {
        out = await session.run(feeds);
      } catch (err) {
        throw invalidParameter(`onnxruntime could not run the model on this input: ${(err as Error).message}`, { cause: err });
      }
      const result: Prediction = {};
      for (const name of session.outputNames) {
        const t = out[name];
        if (!t) continue;
        const data = Array.from(t.data, (x) => (typeof x === 'bigint' ? Number(x) : x)) as Array<number | string | boolean>;
        result[name] = { dims: [...t.dims], type: t.type, data, values: toNested(data, t.dims) };
      }
      return result;
    },
    async close(): Promise<void> {
      await session.release?.();
    },
  };
}

/**
 * One ONNX input or output as the session describes it: name, element type (`float32`,
 * `int64`…, as onnxruntime-node names them) and shape (null for a free dimension).
 *
 * @example
 * ```ts
 * const s = await openOnnxSession(file);
 * s.inputs[0]; // { name: 'x', type: 'float32', shape: [null, 3] }
 * ```
 */
export interface OnnxValueInfo {
  name: string;
  type: string;
  shape: Array<number | null>;
}

/**
 * A raw onnxruntime-node session: typed feeds in, typed outputs out, no conversion. What
 * `mlruns serve` runs MLflow's ONNX pyfunc semantics on (the caller decides the dtypes).
 *
 * @example
 * ```ts
 * const s = await openOnnxSession('/path/model.onnx', { intraOpNumThreads: 1 });
 * const out = await s.run({ x: { type: 'float32', data: new Float32Array([1, 2, 3]), dims: [1, 3] } });
 * out['y']?.data; // Float32Array [2.75]
 * await s.close();
 * ```
 */
export interface OnnxSession {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  run(feeds: Record<string, { type: string; data: unknown; dims: readonly number[] }>): Promise<Record<string, { type: string; data: ArrayLike<unknown>; dims: number[] }>>;
  close(): Promise<void>;
}

/**
 * Opens an ONNX file with onnxruntime-node (CPU) and describes its inputs and outputs.
 * `sessionOptions` are onnxruntime-node's (`intraOpNumThreads`, `interOpNumThreads`...).
 *
 * @example
 * ```ts
 * const s = await openOnnxSession('/path/model.onnx');
 * s.inputs.map((i) => i.name); // ['x']
 * ```
 */
export async function openOnnxSession(file: string, sessionOptions: Record<string, unknown> = {}): Promise<OnnxSession> {
  const imported = await importOptional<OrtModule & { default?: OrtModule }>('onnxruntime-node', 'predicting with an ONNX model');
  const ort: OrtModule = imported.InferenceSession ? imported : (imported.default as OrtModule);
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], ...sessionOptions });
  } catch (err) {
    throw new MlflowError('MALFORMED_DATA', `onnxruntime cannot load '${file}': ${(err as Error).message}`, { path: file, cause: err });
  }
  type Meta = { name: string; type?: string; shape?: Array<number | string> };
  const describe = (names: readonly string[], meta: readonly Meta[] | undefined): OnnxValueInfo[] =>
    names.map((name) => {
      const m = meta?.find((x) => x.name === name);
      return { name, type: ortType(m?.type), shape: (m?.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : null)) };
    });
  const s = session as OrtSession & { outputMetadata?: readonly Meta[]; inputMetadata?: readonly Meta[] };
  return {
    inputs: describe(session.inputNames, s.inputMetadata as readonly Meta[] | undefined),
    outputs: describe(session.outputNames, s.outputMetadata),
    async run(feeds) {
      const t: Record<string, OrtTensor> = {};
      for (const [k, v] of Object.entries(feeds)) t[k] = new ort.Tensor(v.type, v.data, v.dims);
      const out = await session.run(t);
      const res: Record<string, { type: string; data: ArrayLike<unknown>; dims: number[] }> = {};
      for (const name of session.outputNames) {
        const o = out[name];
        if (o) res[name] = { type: o.type, data: o.data, dims: [...o.dims] };
      }
      return res;
    },
    async close() {
      await session.release?.();
    },
  };
}
