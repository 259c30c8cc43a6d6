/**
 * MLflow model signatures as the scoring server applies them: parsing the input schema of
 * `MLmodel`, the casts done while parsing a request (`_cast_schema_type`,
 * `parse_instances_data`, `cast_df_types_according_to_schema`) and the enforcement done by
 * `PyFuncModel.predict` (`_enforce_schema`: column names and types with MLflow's safe
 * conversions, tensor shapes and dtypes, optional columns).
 *
 * @example
 * ```ts
 * const schema = parseInputSchema('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]');
 * const x = enforceSchema(ndFromJson([[1, 2, 3]]), schema!);
 * ```
 * @module
 */
import { MlflowError } from '../errors.js';
import { PyFloat } from '../format/float.js';
import type { Dict, Dtype, Frame, Nd, PyData, Series } from './data.js';
import {
  PyError,
  castNd,
  castSeries,
  frameFromDict,
  frameFromSplit,
  frameValues,
  isFloatDtype,
  isIntDtype,
  itemsize,
  ndFromJson,
  ndFromJsonAs,
  num,
} from './data.js';

/** An MLflow DataType (column type). */
export type DataType = 'boolean' | 'integer' | 'long' | 'float' | 'double' | 'string' | 'binary' | 'datetime';

export interface ColSpec {
  kind: 'col';
  name: string | null;
  type: DataType;
  required: boolean;
}
export interface TensorSpec {
  kind: 'tensor';
  name: string | null;
  dtype: Dtype;
  shape: number[];
}
export interface Schema {
  inputs: Array<ColSpec | TensorSpec>;
  isTensor: boolean;
  hasNames: boolean;
}

const DATA_TYPES: ReadonlySet<string> = new Set(['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime']);
const NUMPY: Record<DataType, Dtype> = {
  boolean: 'bool',
  integer: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  string: 'object',
  binary: 'object',
  datetime: 'object',
};
const TENSOR_DTYPES: ReadonlySet<string> = new Set(['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64', 'str', 'object']);

/** Limits checked when a model is loaded (a signature naming absurd shapes is refused). */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/** The numpy dtype of a DataType (`DataType.to_numpy()`). */
export const dataTypeNumpy = (t: DataType): Dtype => NUMPY[t];

/**
 * Parses `signature.inputs` (the JSON schema MLflow stores). Column types MLflow has but this
 * server does not implement (arrays, objects, maps, Any) are refused with a clear error.
 */
export function parseInputSchema(inputs: unknown): Schema | null {
  if (inputs === null || inputs === undefined) return null;
  const list = typeof inputs === 'string' ? (JSON.parse(inputs) as unknown) : inputs;
  if (!Array.isArray(list) || list.length === 0) return null;
  const specs: Array<ColSpec | TensorSpec> = list.map((raw, i) => {
    const o = raw as Record<string, unknown>;
    const name = typeof o['name'] === 'string' ? o['name'] : null;
    if (o['type'] === 'tensor') {
      const ts = (o['tensor-spec'] ?? {}) as Record<string, unknown>;
      let dtype = String(ts['dtype'] ?? '');
      if (dtype === 'str' || dtype.startsWith('<U') || dtype === 'unicode') dtype = 'str';
      if (dtype === 'bytes' || dtype === 'object' || dtype === 'O') dtype = 'object';
      if (!TENSOR_DTYPES.has(dtype)) throw new MlflowError('INVALID_PARAMETER_VALUE', `Input ${i} of the model signature has an unsupported tensor dtype '${String(ts['dtype'])}'`);
      const shape = Array.isArray(ts['shape']) ? (ts['shape'] as unknown[]).map(Number) : [];
      if (shape.some((d) => !Number.isInteger(d) || d < -1 || d > 2 ** 31)) {
        throw new MlflowError('INVALID_PARAMETER_VALUE', `Input ${name ?? i} of the model signature has an invalid tensor shape [${shape.join(', ')}]`);
      }
      const fixed = shape.filter((d) => d > 0).reduce((a, b) => a * b, 1);
      if (fixed > MAX_TENSOR_ELEMENTS) {
        throw new MlflowError(
          'INVALID_PARAMETER_VALUE',
          `Refusing the model: input ${name ?? i} of its signature declares a tensor of shape [${shape.join(', ')}] (${fixed} elements per row, the limit is ${MAX_TENSOR_ELEMENTS})`,
        );
      }
      return { kind: 'tensor', name, dtype: dtype as Dtype, shape };
    }
    const type = String(o['type']);
    if (!DATA_TYPES.has(type)) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Input ${name ?? i} of the model signature has type '${JSON.stringify(o['type'])}', which mlruns serve does not support (only MLflow DataTypes and tensors)`);
    }
    return { kind: 'col', name, type: type as DataType, required: o['required'] !== false };
  });
  const isTensor = specs[0]?.kind === 'tensor';
  if (specs.some((s) => (s.kind === 'tensor') !== isTensor)) throw new MlflowError('INVALID_PARAMETER_VALUE', 'A model signature mixes tensors and columns');
  return { inputs: specs, isTensor, hasNames: specs.every((s) => s.name !== null) };
}

const specDtype = (s: ColSpec | TensorSpec): Dtype => (s.kind === 'tensor' ? s.dtype : NUMPY[s.type]);
const byName = (schema: Schema | null): Map<string, ColSpec | TensorSpec> =>
  new Map(schema && schema.hasNames ? schema.inputs.map((s) => [s.name as string, s]) : []);

/** Python `str()` of a TensorSpec / ColSpec, for messages. */
export function specRepr(s: ColSpec | TensorSpec): string {
  if (s.kind === 'tensor') {
    const t = `Tensor('${s.dtype}', (${s.shape.join(', ')}${s.shape.length === 1 ? ',' : ''}))`;
    return s.name ? `'${s.name}': ${t}` : t;
  }
  const t = `${s.type} (${s.required ? 'required' : 'optional'})`;
  return s.name ? `'${s.name}': ${t}` : t;
}
export const schemaRepr = (schema: Schema): string => `[${schema.inputs.map(specRepr).join(', ')}]`;

const invalidInput = (message: string): MlflowError => new MlflowError('BAD_REQUEST', `Invalid input. ${message}`);

/** `convert_data_type(data, spec)` (errors become MlflowInvalidInputException). */
function convertDataType(data: unknown, spec: ColSpec | TensorSpec | undefined): Nd {
  try {
    if (!spec) return ndFromJson(data);
    if (spec.kind === 'tensor') return ndFromJsonAs(data, spec.dtype);
    if (spec.type === 'string' || spec.type === 'binary' || spec.type === 'datetime') return ndFromJsonAs(data, 'object');
    return ndFromJsonAs(Array.isArray(data) ? data : data, NUMPY[spec.type]);
  } catch (err) {
    if (err instanceof MlflowError) throw err;
    throw invalidInput((err as Error).message);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof PyFloat);

/** `_cast_schema_type`: the `inputs` field. */
export function castInputs(input: unknown, schema: Schema | null): PyData {
  let data = input;
  const types = byName(schema);
  if (schema) {
    if (types.size === 1 && Array.isArray(data) && !data.some(isPlainObject)) data = { [[...types.keys()][0] as string]: data };
    else if (!schema.hasNames && !(Array.isArray(data) || !isPlainObject(data))) {
      throw invalidInput(
        "Failed to parse input data. This model contains an un-named  model signature which expects a single n-dimensional array or a single value as input, however, an input of type <class 'dict'> was found.",
      );
    }
  }
  if (isPlainObject(data)) {
    const entries = new Map<string, unknown>();
    for (const [k, v] of Object.entries(data)) entries.set(k, convertDataType(v, types.get(k)));
    return { kind: 'dict', entries };
  }
  if (Array.isArray(data)) {
    if (data.length > 0 && data.every(isPlainObject)) {
      const list = data.map((row) => {
        const m = new Map<string, unknown>();
        for (const [k, v] of Object.entries(row as Record<string, unknown>)) m.set(k, convertDataType(v, types.get(k)));
        return m;
      });
      return { kind: 'other', value: list, typeName: 'list' };
    }
    return convertDataType(data, schema?.inputs[0]);
  }
  return convertDataType(data, schema?.inputs[0]);
}

/** `parse_instances_data`: the `instances` field. */
export function castInstances(input: unknown, schema: Schema | null): PyData {
  let out: PyData;
  if (Array.isArray(input) && input.length > 0 && isPlainObject(input[0])) {
    const types = byName(schema);
    const cols = new Map<string, unknown[]>();
    for (const item of input) {
      if (!isPlainObject(item)) throw invalidInput("Ensure that the input is a valid JSON-formatted string.\nError: AttributeError(\"'list' object has no attribute 'items'\")");
      for (const [k, v] of Object.entries(item)) {
        const nd = convertDataType(v, types.get(k));
        const list = cols.get(k) ?? [];
        list.push(nd);
        cols.set(k, list);
      }
    }
    const entries = new Map<string, unknown>();
    for (const [k, list] of cols) entries.set(k, stackNds(list as Nd[]));
    out = { kind: 'dict', entries };
  } else out = castInputs(input, schema);
  if (out.kind === 'dict') {
    const check = [...out.entries.entries()].filter(([, v]) => (v as Nd)?.kind === 'nd' && (v as Nd).shape.length > 0);
    let names = check.map(([k]) => k);
    if (schema && schema.hasNames) {
      const req = new Set(schema.inputs.filter((s) => s.kind === 'tensor' || s.required).map((s) => s.name as string));
      names = names.filter((k) => req.has(k));
    }
    const lens = names.map((k) => (out as Dict).entries.get(k) as Nd).map((nd) => nd.shape[0]);
    if (lens.some((l) => l !== lens[0])) throw invalidInput('The length of values for each input/column name are not the same');
  }
  return out;
}

/** `np.array([nd, nd, ...])`. */
function stackNds(list: Nd[]): Nd {
  const first = list[0] as Nd;
  if (list.some((n) => n.shape.join() !== first.shape.join())) {
    return ndFromJson(list.map((n) => n.data));
  }
  const dtypes = new Set(list.map((n) => n.dtype));
  const dtype: Dtype = dtypes.size === 1 ? first.dtype : [...dtypes].some((d) => d === 'str' || d === 'object') ? 'object' : [...dtypes].some(isFloatDtype) ? 'float64' : 'int64';
  const data: unknown[] = [];
  for (const n of list) for (const v of castNd(n, dtype).data) data.push(v);
  return { kind: 'nd', dtype, shape: [list.length, ...first.shape], data };
}

/** `cast_df_types_according_to_schema`. */
export function castFrame(f: Frame, schema: Schema): Frame {
  const actual = new Set(f.columns);
  let pairs: Array<[string, ColSpec | TensorSpec]>;
  if (schema.hasNames) pairs = schema.inputs.map((s) => [s.name as string, s]);
  else if (schema.isTensor && schema.inputs.length === 1) pairs = f.columns.map((c) => [c, schema.inputs[0] as TensorSpec]);
  else pairs = f.columns.slice(0, Math.min(schema.inputs.length, f.columns.length)).map((c, i) => [c, schema.inputs[i] as ColSpec]);
  const cols = [...f.cols];
  for (const [name, spec] of pairs) {
    if (!actual.has(name)) continue;
    const j = f.columns.indexOf(name);
    const s = cols[j] as Series;
    const target = specDtype(spec);
    try {
      if (spec.kind === 'tensor') {
        if (s.values.length === 0) throw new PyError('IndexError', 'single positional indexer is out-of-bounds');
        if (Array.isArray(s.values[0])) continue;
        cols[j] = castSeries(s, target);
      } else if (spec.type === 'string') {
        continue;
      } else if (spec.type === 'binary' || spec.type === 'datetime') {
        continue;
      } else cols[j] = castSeries(s, target);
    } catch (err) {
      const ex = err instanceof PyError ? err.repr() : String(err);
      throw invalidInput(`Data is not compatible with model signature. Failed to convert column ${name} to type '${target}'. Error: '${ex}'`);
    }
  }
  return { ...f, cols };
}

/** `_enforce_mlflow_datatype`: MLflow's safe conversions, else an error. */
function enforceDataType(name: string, s: Series, t: DataType): Series {
  let values = s;
  if (values.dtype === 'object' && t !== 'binary' && t !== 'string') {
    const inferred = frameFromSplit([name], values.values.map((v) => [v]), null).cols[0] as Series;
    values = inferred.dtype === 'str' ? values : inferred;
  }
  if (t === 'string' && (values.dtype === 'object' || values.dtype === 'str')) return values;
  if (t === 'binary' && values.dtype === 'str') return values;
  const np = NUMPY[t];
  if (np === values.dtype || (np === 'object' && values.dtype === 'object')) return values;
  if (t === 'boolean' && values.dtype === 'object') return values;
  const kind = (d: Dtype): string => (isFloatDtype(d) ? 'f' : d.startsWith('uint') ? 'u' : isIntDtype(d) ? 'i' : d === 'bool' ? 'b' : 'O');
  let upcast = false;
  if (kind(values.dtype) === kind(np)) upcast = itemsize(values.dtype) <= itemsize(np);
  else if (kind(values.dtype) === 'u' && kind(np) === 'i') upcast = itemsize(values.dtype) < itemsize(np);
  else if ((kind(values.dtype) === 'i' || kind(values.dtype) === 'u') && np === 'float64') upcast = itemsize(values.dtype) <= 6;
  if (upcast) return castSeries(values, np);
  if (values.dtype === 'int64' && isFloatDtype(np) && values.values.every((v) => v === 0 || v === 1)) return castSeries(values, np);
  let hint = '';
  if (values.dtype === 'float64' && (kind(np) === 'i' || kind(np) === 'u') && values.values.some((v) => Number.isNaN(v)) && values.values.every((v) => Number.isNaN(v) || Number.isInteger(v))) {
    hint = ' Hint: the type mismatch is likely caused by missing values. Integer columns in python can not represent missing values and are therefore encoded as floats.';
  }
  throw new Error(`Incompatible input types for column ${name}. Can not safely convert ${values.dtype === 'str' ? 'str' : values.dtype} to ${np}.${hint}`);
}

/** `_enforce_tensor_spec`. */
function enforceTensorSpec(nd: Nd, spec: TensorSpec): Nd {
  const exp = spec.shape;
  const act = nd.shape;
  const fmt = (s: number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;
  if (exp.length === 1 && exp[0] === -1 && spec.dtype === 'object') return nd;
  if (exp.length !== act.length || exp.some((e, i) => e !== -1 && e !== act[i])) {
    throw new Error(`Shape of input ${fmt(act)} does not match expected shape ${fmt(exp)}.`);
  }
  const actual = nd.dtype === 'str' ? 'str' : nd.dtype;
  if (actual !== spec.dtype) throw new Error(`dtype of input ${nd.dtype === 'str' ? '<U' : nd.dtype} does not match expected dtype ${spec.dtype}`);
  return nd;
}

/** `_reshape_and_cast_pandas_column_values`. */
function reshapeColumn(name: string | null, s: Series, spec: TensorSpec, index: unknown[] | null = null): Nd {
  if (spec.shape[0] !== -1 || spec.shape.slice(1).includes(-1)) {
    throw new Error(
      `For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions must be fixed, but in model signature the shape of ${name ? `input ${name}` : 'the unnamed input'} is (${spec.shape.join(', ')}).`,
    );
  }
  const at = index ? index.findIndex((l) => Number(l) === 0 && typeof l !== 'string') : 0;
  if (s.values.length === 0 || at < 0) throw new Error('0');
  const first = s.values[at];
  if (!Array.isArray(first)) {
    for (const shape of [[-1], [-1, 1]]) {
      if (shape.join() === spec.shape.join()) {
        const nd = castNd({ kind: 'nd', dtype: s.dtype === 'str' ? 'object' : s.dtype, shape: [s.values.length], data: s.values }, spec.dtype);
        return enforceTensorSpec({ ...nd, shape: shape.length === 1 ? [s.values.length] : [s.values.length, 1] }, spec);
      }
    }
    throw new Error(
      `The input pandas dataframe column '${name}' contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of (${spec.shape.join(', ')}).`,
    );
  }
  const msg = `The value in the Input DataFrame column '${name}' could not be converted to the expected shape of: '(${spec.shape.join(', ')})'. Ensure that each of the input list elements are of uniform length and that the data can be coerced to the tensor type '${spec.dtype}'`;
  let stacked: Nd;
  try {
    stacked = ndFromJson(s.values.map((v) => (Array.isArray(v) ? v : [v])));
  } catch {
    throw new Error(msg);
  }
  const per = spec.shape.slice(1).reduce((a, b) => a * b, 1);
  const total = stacked.data.length;
  if (per === 0 || total % per !== 0) throw new Error(msg);
  const rows = total / per;
  if (rows !== s.values.length) throw new Error(msg);
  try {
    return castNd({ ...stacked, shape: [rows, ...spec.shape.slice(1)] }, spec.dtype);
  } catch {
    throw new Error(msg);
  }
}

function enforceTensorSchema(input: PyData, schema: Schema): PyData {
  if (schema.hasNames) {
    if (input.kind === 'dict') {
      const entries = new Map<string, unknown>();
      for (const spec of schema.inputs as TensorSpec[]) {
        const v = input.entries.get(spec.name as string);
        if (!(v && (v as Nd).kind === 'nd')) {
          throw new Error(
            `This model contains a tensor-based model signature with input names, which suggests a dictionary input mapping input name to a numpy array, but a dict with value type ${v === undefined ? "<class 'NoneType'>" : "<class 'list'>"} was found.`,
          );
        }
        entries.set(spec.name as string, enforceTensorSpec(v as Nd, spec));
      }
      return { kind: 'dict', entries };
    }
    if (input.kind === 'frame') {
      const entries = new Map<string, unknown>();
      for (const spec of schema.inputs as TensorSpec[]) {
        const j = input.columns.indexOf(spec.name as string);
        if (j < 0) throw new Error(`'${spec.name}'`);
        entries.set(spec.name as string, reshapeColumn(spec.name, input.cols[j] as Series, spec, input.index ?? null));
      }
      return { kind: 'dict', entries };
    }
    throw new Error(
      'This model contains a tensor-based model signature with input names, which suggests a dictionary input mapping input name to tensor, or a pandas DataFrame input containing columns mapping input name to flattened list value from tensor, but an input of another type was found.',
    );
  }
  const spec = schema.inputs[0] as TensorSpec;
  if (input.kind === 'frame') {
    if (input.nrows === 0 || input.columns.length === 0) throw new Error('Input DataFrame is empty.');
    if (input.columns.length === 1) return reshapeColumn(null, input.cols[0] as Series, spec, input.index ?? null);
    if (!(spec.shape.length === 2 && spec.shape[0] === -1 && spec.shape[1] === input.columns.length)) {
      throw new Error(
        `This model contains a model signature with an unnamed input. Since the input data is a pandas DataFrame containing multiple columns, the input shape must be of the structure (-1, number_of_dataframe_columns). Instead, the input DataFrame passed had ${input.columns.length} columns and an input shape of (${spec.shape.join(', ')}) with all values within the DataFrame of scalar type. Please adjust the passed in DataFrame to match the expected structure`,
      );
    }
    return enforceTensorSpec(frameValues(input), spec);
  }
  if (input.kind === 'nd') return enforceTensorSpec(input, spec);
  throw new Error(
    'This model contains a tensor-based model signature with no input names, which suggests a numpy array input or a pandas dataframe input with proper column values, but an input of another type was found.',
  );
}

/** `_enforce_schema` (any failure is raised by the caller as SCHEMA_ENFORCEMENT_FAILED). */
export function enforceSchema(input: PyData, schema: Schema): PyData {
  let data = input;
  if (!schema.isTensor) {
    if (data.kind === 'other' && (typeof data.value !== 'object' || data.value === null)) {
      data = frameFromSplit(null, [[data.value]], null);
    } else if (data.kind === 'dict') {
      const values = [...data.entries.values()];
      const scalarish = values.every((v) => (v as Nd)?.kind === 'nd' ? (v as Nd).shape.length === 0 : !Array.isArray(v));
      if (scalarish) frameFromSplit([...data.entries.keys()], [values.map((v) => ((v as Nd)?.kind === 'nd' ? (v as Nd).data[0] : v))], null);
      try {
        data = scalarish
          ? frameFromSplit([...data.entries.keys()], [values.map((v) => ((v as Nd)?.kind === 'nd' ? (v as Nd).data[0] : v))], null)
          : frameFromDictTolist(data.entries);
      } catch (err) {
        throw new Error(`This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: ${(err as Error).message}`);
      }
    } else if (data.kind === 'nd') {
      if (data.shape.length === 1) data = frameFromSplit(null, data.data.map((v) => [v]), null);
      else if (data.shape.length === 2) {
        const w = data.shape[1] as number;
        const rows: unknown[][] = [];
        for (let i = 0; i < (data.shape[0] as number); i++) rows.push(data.data.slice(i * w, i * w + w));
        const f = frameFromSplit(null, rows, null);
        f.cols = f.cols.map((c) => ({ dtype: (data as Nd).dtype, values: c.values }));
        data = f;
      } else throw new Error('Must pass 2-d input.');
    } else if (data.kind === 'other') {
      data = frameFromSplit(null, (data.value as unknown[]).map((m) => [...(m as Map<string, unknown>).values()]), null);
    }
  }
  if (schema.hasNames) {
    const required = schema.inputs.filter((s) => s.kind === 'tensor' || s.required).map((s) => s.name as string);
    const optional = new Set(schema.inputs.filter((s) => s.kind === 'col' && !s.required).map((s) => s.name as string));
    let actual: string[] = [];
    if (required.length === 1 && data.kind === 'nd') {
      data = { kind: 'dict', entries: new Map([[required[0] as string, data]]) };
      actual = [required[0] as string];
    } else if (data.kind === 'frame') actual = data.columns;
    else if (data.kind === 'dict') actual = [...data.entries.keys()];
    const missing = required.filter((c) => !actual.includes(c));
    const extra = actual.filter((c) => !required.includes(c) && !optional.has(c));
    if (missing.length > 0) {
      let message = `Model is missing inputs [${missing.map((c) => `'${c}'`).join(', ')}].`;
      if (extra.length > 0) message += ` Note that there were extra inputs: [${extra.map((c) => (/^\d+$/.test(c) ? c : `'${c}'`)).join(', ')}].`;
      throw new Error(message);
    }
  } else if (!schema.isTensor) {
    const f = data as Frame;
    if (f.columns.length < schema.inputs.length) {
      throw new Error(
        `Model inference is missing inputs. The model signature declares ${schema.inputs.length} inputs  but the provided value only has ${f.columns.length} inputs. Note: the inputs were not named in the signature so we can only verify their count.`,
      );
    }
  }
  if (schema.isTensor) return enforceTensorSchema(data, schema);
  const f = data as Frame;
  const columns: string[] = [];
  const cols: Series[] = [];
  const specs = schema.inputs as ColSpec[];
  if (schema.hasNames) {
    for (const spec of specs) {
      const j = f.columns.indexOf(spec.name as string);
      if (j < 0) continue;
      columns.push(spec.name as string);
      cols.push(enforceDataType(spec.name as string, f.cols[j] as Series, spec.type));
    }
  } else {
    specs.forEach((spec, i) => {
      columns.push(f.columns[i] as string);
      cols.push(enforceDataType(f.columns[i] as string, f.cols[i] as Series, spec.type));
    });
  }
  return { kind: 'frame', columns, cols, nrows: f.nrows };
}

function frameFromDictTolist(entries: Map<string, unknown>): Frame {
  const plain = new Map<string, unknown>();
  for (const [k, v] of entries) {
    const nd = v as Nd;
    if (nd?.kind === 'nd' && nd.shape.length > 1) {
      const w = nd.data.length / (nd.shape[0] as number);
      const rows: unknown[] = [];
      for (let i = 0; i < (nd.shape[0] as number); i++) rows.push(nd.data.slice(i * w, i * w + w));
      plain.set(k, rows);
    } else plain.set(k, v);
  }
  return frameFromDict(plain);
}

/** `_enforce_params_schema` for a params schema (`[{name, type, default, shape}]`). */
export function enforceParams(params: unknown, paramsSchema: unknown): Record<string, unknown> | null {
  if (!Array.isArray(paramsSchema)) return params && typeof params === 'object' ? (params as Record<string, unknown>) : null;
  const given = (params && typeof params === 'object' ? params : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const p of paramsSchema as Array<Record<string, unknown>>) {
    const name = String(p['name']);
    const type = String(p['type']);
    if (!(name in given)) {
      out[name] = p['default'];
      continue;
    }
    const v = given[name];
    const n = num(v);
    const ok =
      v === null ||
      (type === 'string' && typeof v === 'string') ||
      (type === 'boolean' && typeof v === 'boolean') ||
      ((type === 'long' || type === 'integer') && n !== null && Number.isInteger(n) && typeof v === 'number') ||
      ((type === 'double' || type === 'float') && n !== null);
    if (!ok) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Failed to enforce schema of params: Can not safely convert \`${JSON.stringify(v)}\` to \`${type}\` for param '${name}'`);
    }
    out[name] = v;
  }
  return out;
}
