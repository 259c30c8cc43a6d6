/**
 * Tensors as `predict` takes and returns them (nested arrays, typed arrays, `{ data, dims }`),
 * shared by every flavor's predictor (ONNX, TF.js).
 *
 * @example
 * ```ts
 * tensorParts([[1, 2], [3, 4]], 'x'); // { data: [1, 2, 3, 4], dims: [2, 2] }
 * ```
 * @module
 */
import { invalidParameter } from '../errors.js';

/**
 * A tensor given as flat values and dims.
 *
 * @example
 * ```ts
 * const t: TensorLike = { data: new Float32Array([1, 2, 3]), dims: [1, 3] };
 * ```
 */
export interface TensorLike {
  data: ArrayLike<number | bigint | boolean | string>;
  dims: readonly number[];
}

/**
 * What `predict` takes: for a model with one input, a nested array (`[[1, 2, 3]]`), a typed
 * array (1-D) or a {@link TensorLike}; for several inputs, an object of those by input name.
 *
 * @example
 * ```ts
 * const one: PredictInput = [[1, 2, 3]];
 * const named: PredictInput = { x: [[1, 2, 3]], mask: { data: [1], dims: [1, 1] } };
 * ```
 */
export type PredictInput = unknown[] | ArrayBufferView | TensorLike | Record<string, unknown>;

/**
 * One output tensor: its dims, element type, flat values (int64 as numbers) and the nested
 * array Python's `ndarray.tolist()` gives.
 *
 * @example
 * ```ts
 * const y: PredictionTensor = (await model.predict([[1, 2, 3]]))['y']!;
 * y.dims; // [1, 1]
 * y.values; // [[2.75]]
 * ```
 */
export interface PredictionTensor {
  dims: number[];
  type: string;
  data: Array<number | string | boolean>;
  values: unknown;
}

/**
 * Output name → tensor, as the ONNX pyfunc returns a dict of output name → ndarray.
 *
 * @example
 * ```ts
 * const out: Prediction = await model.predict([[1, 2, 3]]);
 * Object.keys(out); // ['y']
 * ```
 */
export type Prediction = Record<string, PredictionTensor>;

/**
 * A nested array (rectangular) → flat values and dims.
 *
 * @example
 * ```ts
 * flattenNested([[1, 2], [3, 4]]); // { data: [1, 2, 3, 4], dims: [2, 2] }
 * ```
 */
export function flattenNested(value: unknown): { data: unknown[]; dims: number[] } {
  const dims: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    probe = probe[0];
  }
  const data: unknown[] = [];
  const visit = (v: unknown, level: number): void => {
    if (level === dims.length) {
      if (Array.isArray(v)) throw invalidParameter('The input is not a rectangular array (ragged nesting)');
      data.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[level]) throw invalidParameter('The input is not a rectangular array (rows of different lengths)');
    for (const x of v) visit(x, level + 1);
  };
  visit(value, 0);
  return { data, dims };
}

/**
 * Flat values and dims → a nested array (`ndarray.tolist()`).
 *
 * @example
 * ```ts
 * toNested([1, 2, 3, 4], [2, 2]); // [[1, 2], [3, 4]]
 * ```
 */
export function toNested(data: ArrayLike<unknown>, dims: readonly number[]): unknown {
  if (dims.length === 0) return data[0];
  let offset = 0;
  const build = (level: number): unknown[] => {
    const n = dims[level] as number;
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      if (level === dims.length - 1) out.push(data[offset++]);
      else out.push(build(level + 1));
    }
    return out;
  };
  return build(0);
}

/** True for a `{ data, dims }` tensor. */
export const isTensorLike = (v: unknown): v is TensorLike =>
  !!v && typeof v === 'object' && !Array.isArray(v) && 'data' in v && 'dims' in v && Array.isArray((v as TensorLike).dims);

/**
 * Flat values and dims of one input value (nested array, typed array or `{ data, dims }`).
 *
 * @example
 * ```ts
 * tensorParts({ data: [1, 2], dims: [1, 2] }, 'x'); // { data: [1, 2], dims: [1, 2] }
 * ```
 */
export function tensorParts(value: unknown, name: string): { data: unknown[]; dims: number[] } {
  if (isTensorLike(value)) {
    const data = Array.from(value.data as ArrayLike<unknown>);
    const size = value.dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw invalidParameter(`Input '${name}': dims [${value.dims.join(', ')}] need ${size} values, got ${data.length}`);
    return { data, dims: [...value.dims] };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const data = Array.from(value as unknown as ArrayLike<unknown>);
    return { data, dims: [data.length] };
  }
  if (Array.isArray(value)) return flattenNested(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || typeof value === 'string') return { data: [value], dims: [] };
  throw invalidParameter(`Input '${name}' must be a nested array, a typed array or { data, dims }`);
}
