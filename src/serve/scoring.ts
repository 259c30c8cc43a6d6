/**
 * MLflow's scoring protocol (`mlflow/pyfunc/scoring_server`, MLflow 3.17.2), one request at a
 * time: content types and their parameters, the four JSON forms (`dataframe_split`,
 * `dataframe_records`, `instances`, `inputs`) plus `params`, CSV, the signature's casts and
 * enforcement, the model's prediction and `{"predictions": ...}` written as Python writes it;
 * errors as MLflow's JSON (`error_code`, `message`, `sqlstate`, `error_class`) with its status.
 *
 * @example
 * ```ts
 * const res = await invocations(Buffer.from('{"inputs": [[1, 2, 3]]}'), 'application/json', model);
 * res.status; // 200
 * res.body;   // '{"predictions": {"y": [[1.75]]}}'
 * ```
 * @module
 */
import { MlflowError } from '../errors.js';
import { PyFloat } from '../format/float.js';
import type { Dtype, Frame, Nd, PyData } from './data.js';
import { PyError, frameFromRecords, frameFromSplit, pyStr } from './data.js';
import { parseCsvFrame } from './csv.js';
import type { PyOutput, PyfuncModel } from './pyfunc.js';
import { ModelRuntimeError } from './pyfunc.js';
import { asciiString, dumpPyJson, parsePyJson, PyJsonError, pyJsonFloat } from './pyjson.js';
import { castFrame, castInputs, castInstances, dataTypeNumpy, enforceParams, enforceSchema, schemaRepr } from './schema.js';
import type { ColSpec } from './schema.js';

/** The MLflow release whose protocol is spoken (the body of `GET /version`). */
export const SCORING_MLFLOW_VERSION = '3.17.2';

/** A response: status, body and its media type. */
export interface ScoringResponse {
  status: number;
  body: string;
  mimetype: string;
}

const SUPPORTED = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'];
const SUPPORTED_SET_REPR = "{'dataframe_split', 'dataframe_records', 'inputs', 'instances'}";
const REQUIRED_INPUT_FORMAT = `The input must be a JSON dictionary with exactly one of the input fields ${SUPPORTED_SET_REPR}`;
const SCORING_PROTOCOL_CHANGE_INFO =
  "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, you are likely using an outdated scoring request format. To resolve the error, either update your request format or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, change the 'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow client (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use the new request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, see https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.";
const CONTENT_TYPES = "['text/csv', 'application/json', 'application/vnd.apache.parquet']";

const HTTP_STATUS: Record<string, number> = {
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  BAD_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  NOT_IMPLEMENTED: 501,
  DEADLINE_EXCEEDED: 504,
  REQUEST_LIMIT_EXCEEDED: 429,
};
const SQLSTATE: Record<string, string> = { BAD_REQUEST: 'KAM00', INVALID_PARAMETER_VALUE: 'KAM00', INTERNAL_ERROR: 'XXM00', INVALID_STATE: 'XXM00', RESOURCE_DOES_NOT_EXIST: 'KAM00' };
const ERROR_CLASS: Record<string, string> = {
  BAD_REQUEST: 'INVALID_PARAMETER_VALUE',
  INVALID_PARAMETER_VALUE: 'INVALID_PARAMETER_VALUE',
  INTERNAL_ERROR: 'CLIENT_INTERNAL_ERROR',
  INVALID_STATE: 'CLIENT_INTERNAL_ERROR',
  RESOURCE_DOES_NOT_EXIST: 'RESOURCE_NOT_FOUND',
};

/** An MlflowException as the server serializes it (`serialize_as_json`) with its HTTP status. */
export function errorResponse(code: string, message: string, errorClass?: string): ScoringResponse {
  const cls = errorClass ?? ERROR_CLASS[code];
  const sql = errorClass === 'SCHEMA_ENFORCEMENT_FAILED' ? 'KAM01' : SQLSTATE[code];
  const o: Record<string, unknown> = { error_code: code, message };
  if (sql) o['sqlstate'] = sql;
  if (cls) o['error_class'] = cls;
  return { status: HTTP_STATUS[code] ?? 500, body: dumpPyJson(o), mimetype: 'application/json' };
}

class Raised extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly errorClass?: string,
  ) {
    super(message);
  }
}
const invalidInput = (message: string): Raised => new Raised('BAD_REQUEST', `Invalid input. ${message}`);

/** A short Python-like rendering of the data, for "Failed to predict data '…'" messages. */
function dataRepr(d: PyData): string {
  const nd = (x: Nd): string => {
    const s = x.data.slice(0, 12).map((v) => pyStr(v)).join(' ');
    return x.shape.length <= 1 ? `[${s}]` : `[[${s}${x.data.length > 12 ? ' ...' : ''}]]`;
  };
  if (d.kind === 'nd') return nd(d);
  if (d.kind === 'frame') return `DataFrame(columns=[${d.columns.map((c) => `'${c}'`).join(', ')}], rows=${d.nrows})`;
  if (d.kind === 'dict') return `{${[...d.entries.entries()].map(([k, v]) => `'${k}': ${(v as Nd)?.kind === 'nd' ? `array(${nd(v as Nd)})` : String(v)}`).join(', ')}}`;
  return String(d.value);
}

function decodeJson(text: string): Record<string, unknown> {
  let decoded: unknown;
  try {
    decoded = parsePyJson(text);
  } catch (err) {
    if (err instanceof PyJsonError) {
      throw invalidInput(`Ensure that input is a valid JSON formatted string. Error: 'JSONDecodeError(${asciiString(err.message).replace(/^"|"$/g, "'")})'\nInput: \n${text}\n`);
    }
    throw err;
  }
  if (decoded !== null && typeof decoded === 'object' && !Array.isArray(decoded) && !(decoded instanceof PyFloat)) return decoded as Record<string, unknown>;
  if (Array.isArray(decoded)) throw invalidInput(`${REQUIRED_INPUT_FORMAT}. Received a list.`);
  const t = decoded === null ? 'NoneType' : typeof decoded === 'string' ? 'str' : typeof decoded === 'boolean' ? 'bool' : decoded instanceof PyFloat || !Number.isInteger(decoded) ? 'float' : 'int';
  throw invalidInput(`${REQUIRED_INPUT_FORMAT}. Received unexpected input type '<class '${t}'>.`);
}

/** `_parse_json_data` + `infer_and_parse_data`. */
export function parseJsonRequest(text: string, model: Pick<PyfuncModel, 'schema'>): { data: PyData; params: unknown } {
  const input = decodeJson(text);
  const keys = Object.keys(input).filter((k) => SUPPORTED.includes(k));
  const params = input['params'] ?? null;
  if (keys.length !== 1) {
    throw new Raised('BAD_REQUEST', `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [${keys.map((k) => `'${k}'`).join(', ')}]. ${SCORING_PROTOCOL_CHANGE_INFO}`);
  }
  const format = keys[0] as string;
  const value = input[format];
  const schema = model.schema;
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof Raised) throw err;
      if (err instanceof MlflowError) throw new Raised(err.code, err.message);
      throw invalidInput(`Ensure that the input is a valid JSON-formatted string.\nError: ${err instanceof PyError ? err.repr() : String(err)}`);
    }
  };
  if (format === 'instances') return { data: wrap(() => castInstances(value, schema)), params };
  if (format === 'inputs') return { data: wrap(() => castInputs(value, schema)), params };
  let frame: Frame;
  if (format === 'dataframe_records') {
    if (!Array.isArray(value)) {
      throw invalidInput(`Dataframe records format must be a list of records. Got ${value !== null && typeof value === 'object' && !(value instanceof PyFloat) ? 'dictionary' : `type ${typeName(value)}`}.`);
    }
    try {
      frame = frameFromRecords(value);
    } catch (err) {
      throw invalidInput(`Provided dataframe_records field is not a valid dataframe representation in 'records' format. Error: '${(err as Error).message}'`);
    }
  } else {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof PyFloat) {
      throw invalidInput(`Dataframe split format must be a dictionary. Got ${Array.isArray(value) ? 'list' : `type ${typeName(value)}`}.`);
    }
    const o = value as Record<string, unknown>;
    const ks = Object.keys(o);
    if (!('data' in o) || ks.some((k) => !['columns', 'data', 'index'].includes(k))) {
      throw invalidInput(`Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {${ks.map((k) => `'${k}'`).join(', ')}}.'`);
    }
    try {
      frame = frameFromSplit(o['columns'], o['data'], o['index']);
    } catch (err) {
      throw invalidInput(`Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: '${(err as Error).message}'`);
    }
  }
  if (schema) frame = wrap(() => castFrame(frame, schema));
  return { data: frame, params };
}

const typeName = (v: unknown): string =>
  `<class '${v === null ? 'NoneType' : typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v)) ? 'float' : 'int'}'>`;

/** `parse_csv_input`. */
export function parseCsvRequest(text: string, model: Pick<PyfuncModel, 'schema'>): Frame {
  try {
    const schema = model.schema;
    if (schema?.isTensor) throw new Error('TensorSpec only supports numpy types, use numpy_types() instead');
    let dtypes: Map<string, Dtype> | undefined;
    if (schema) {
      dtypes = new Map();
      schema.inputs.forEach((s, i) => {
        const spec = s as ColSpec;
        (dtypes as Map<string, Dtype>).set(spec.name ?? String(i), spec.type === 'string' ? 'object' : dataTypeNumpy(spec.type));
      });
    }
    return parseCsvFrame(text, dtypes);
  } catch (err) {
    throw new Raised(
      'BAD_REQUEST',
      `Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the \`pandas.DataFrame.to_csv()\` method. Error: '${(err as Error).message}'`,
    );
  }
}

/** `PyFuncModel.predict` with the serving error mapping. */
export async function predictPyfunc(model: PyfuncModel, data: PyData, params: unknown): Promise<PyOutput> {
  let input = data;
  if (model.schema) {
    try {
      input = enforceSchema(data, model.schema);
    } catch (err) {
      const repr = dataRepr(data);
      throw new Raised(
        'INVALID_PARAMETER_VALUE',
        `Failed to predict data '${repr}'. \nError: Failed to enforce schema of data '${repr}' with schema '${schemaRepr(model.schema)}'. Error: ${(err as Error).message}`,
        'SCHEMA_ENFORCEMENT_FAILED',
      );
    }
  }
  try {
    enforceParams(params, model.paramsSchema ? JSON.parse(String(model.paramsSchema)) : null);
  } catch (err) {
    throw new Raised('INVALID_PARAMETER_VALUE', `Failed to predict data '${dataRepr(data)}'. \nError: ${(err as Error).message}`);
  }
  try {
    return await model.predict(input);
  } catch (err) {
    if (err instanceof MlflowError) throw new Raised(err.code, `Failed to predict data '${dataRepr(data)}'. \nError: ${err.message}`);
    if (err instanceof ModelRuntimeError) {
      throw new Raised(
        'BAD_REQUEST',
        'Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.',
      );
    }
    throw err;
  }
}

const isFloatType = (t: string): boolean => t === 'float32' || t === 'float64' || t === 'float16';

function jsonValue(v: unknown, float: boolean): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return float ? pyJsonFloat(v) : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return asciiString(v);
  return dumpPyJson(v);
}

function nestedJson(data: ArrayLike<unknown>, dims: readonly number[], float: boolean): string {
  if (dims.length === 0) return jsonValue(data[0], float);
  let offset = 0;
  const build = (level: number): string => {
    const n = dims[level] as number;
    const parts: string[] = new Array(n);
    for (let i = 0; i < n; i++) parts[i] = level === dims.length - 1 ? jsonValue(data[offset++], float) : build(level + 1);
    return `[${parts.join(', ')}]`;
  };
  return build(0);
}

/** `_get_jsonable_obj` of a prediction, as JSON text (Python's separators and floats). */
export function predictionJson(out: PyOutput): string {
  if (out.kind === 'dict') {
    return `{${out.entries.map((e) => `${asciiString(e.name)}: ${nestedJson(e.data, e.dims, isFloatType(e.dtype))}`).join(', ')}}`;
  }
  const rows: string[] = new Array(out.nrows);
  const keys = out.columns.map((c) => `${asciiString(c.name)}: `);
  const floats = out.columns.map((c) => isFloatType(c.dtype));
  for (let i = 0; i < out.nrows; i++) {
    rows[i] = `{${out.columns.map((c, j) => keys[j] + jsonValue(c.data[i], floats[j] as boolean)).join(', ')}}`;
  }
  return `[${rows.join(', ')}]`;
}

/**
 * One `POST /invocations`, as MLflow's `invocations(data, content_type, model, input_schema)`.
 * Never throws for a bad request: the error is the response.
 */
export async function invocations(body: Buffer, contentType: string | undefined, model: PyfuncModel): Promise<ScoringResponse> {
  if (contentType === undefined) return { status: 500, body: 'Internal Server Error', mimetype: 'text/plain' };
  const parts = contentType.split(';').map((s) => s.trim());
  const mime = parts[0] as string;
  const paramsOf: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const at = p.indexOf('=');
    paramsOf[at < 0 ? p : p.slice(0, at)] = at < 0 ? '' : p.slice(at + 1);
  }
  if ((paramsOf['charset'] ?? 'utf-8').toLowerCase() !== 'utf-8') return { status: 415, body: 'The scoring server only supports UTF-8', mimetype: 'text/plain' };
  const unexpected = Object.keys(paramsOf).filter((k) => k !== 'charset');
  if (unexpected.length > 0) {
    return { status: 415, body: `Unrecognized content type parameters: ${unexpected.join(', ')}. ${SCORING_PROTOCOL_CHANGE_INFO}`, mimetype: 'text/plain' };
  }
  try {
    let data: PyData;
    let params: unknown = null;
    if (mime === 'text/csv') {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch (err) {
        throw invalidInput(`Ensure that input is a valid UTF-8 encoded string. Error: '${(err as Error).message}'`);
      }
      data = parseCsvRequest(text, model);
    } else if (mime === 'application/json') {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch {
        throw invalidInput(`Ensure that input is a valid JSON formatted string. Error: 'UnicodeDecodeError('utf-8', b'...', 0, 1, 'invalid start byte')'\nInput: \n${body.toString('latin1')}\n`);
      }
      ({ data, params } = parseJsonRequest(text, model));
    } else if (mime === 'application/vnd.apache.parquet') {
      throw new Raised('BAD_REQUEST', 'Failed to parse input as a Pandas DataFrame: mlruns serve does not read Parquet request bodies; send JSON or CSV');
    } else {
      return { status: 415, body: `This predictor only supports the following content types: Types: ${CONTENT_TYPES}. Got '${contentType}'.`, mimetype: 'text/plain' };
    }
    const out = await predictPyfunc(model, data, params);
    return { status: 200, body: `{"predictions": ${predictionJson(out)}}`, mimetype: 'application/json' };
  } catch (err) {
    if (err instanceof Raised) return errorResponse(err.code, err.message, err.errorClass);
    if (err instanceof MlflowError) return errorResponse(err.code, err.message);
    return errorResponse('INTERNAL_ERROR', (err as Error).message);
  }
}
