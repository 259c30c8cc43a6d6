/**
 * The HTTP half of the REST store: one keep-alive connection pool per server, MLflow's
 * credentials and retry settings from the environment (as `mlflow.utils.rest_utils` reads them),
 * JSON with NaN/±Infinity as MLflow's protobuf JSON writes them, and MLflow's error bodies turned
 * into {@link MlflowError}s. Credentials never appear in an error message.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { MlflowError } from '../../errors.js';
import type { ErrorCode } from '../../errors.js';

/** How to reach a tracking server; every field defaults to MLflow's environment variables. */
export interface RestOptions {
  /** Bearer token (`MLFLOW_TRACKING_TOKEN`). */
  token?: string | null;
  /** Basic auth (`MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`). */
  username?: string | null;
  password?: string | null;
  /** Skip TLS verification (`MLFLOW_TRACKING_INSECURE_TLS=true`). */
  insecureTls?: boolean;
  /** A CA bundle to verify the server with (`MLFLOW_TRACKING_SERVER_CERT_PATH`). */
  serverCertPath?: string | null;
  /** Retries of a request that failed transiently (`MLFLOW_HTTP_REQUEST_MAX_RETRIES`, default 7). */
  maxRetries?: number;
  /** Seconds; the n-th retry waits `factor * 2^(n-1)` s, at most 120 s (`MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`, default 2). */
  backoffFactor?: number;
  /** Random seconds added to each wait (`MLFLOW_HTTP_REQUEST_BACKOFF_JITTER`, default 1). */
  backoffJitter?: number;
  /** Seconds one request may take (`MLFLOW_HTTP_REQUEST_TIMEOUT`, default 120). */
  timeout?: number;
  /** Parallel connections to the server (default 8). */
  maxSockets?: number;
}

/** HTTP statuses MLflow's client retries (`_TRANSIENT_FAILURE_RESPONSE_CODES`). */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET',
]);
const MAX_BACKOFF_S = 120;
/** Node's codes of a server certificate that did not verify (OpenSSL's, and the host-name check's). */
const TLS_VERIFY_ERRORS: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH', 'INVALID_CA',
]);

function envNumber(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new MlflowError('INVALID_PARAMETER_VALUE', `${name}=${JSON.stringify(raw)} is not a non-negative number`);
  return n;
}

const truthy = (v: string | undefined) => v !== undefined && ['true', '1', 'yes'].includes(v.toLowerCase());

/** The options in force: explicit ones over MLflow's environment variables over MLflow's defaults. */
export function resolveRestOptions(options: RestOptions = {}, env: NodeJS.ProcessEnv = process.env): Required<RestOptions> {
  return {
    token: options.token ?? env['MLFLOW_TRACKING_TOKEN'] ?? null,
    username: options.username ?? env['MLFLOW_TRACKING_USERNAME'] ?? null,
    password: options.password ?? env['MLFLOW_TRACKING_PASSWORD'] ?? null,
    insecureTls: options.insecureTls ?? truthy(env['MLFLOW_TRACKING_INSECURE_TLS']),
    serverCertPath: options.serverCertPath ?? env['MLFLOW_TRACKING_SERVER_CERT_PATH'] ?? null,
    maxRetries: options.maxRetries ?? envNumber(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', 7),
    backoffFactor: options.backoffFactor ?? envNumber(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', 2),
    backoffJitter: options.backoffJitter ?? envNumber(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_JITTER', 1),
    timeout: options.timeout ?? envNumber(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT', 120),
    maxSockets: options.maxSockets ?? 8,
  };
}

/** JSON text for MLflow: NaN and ±Infinity as the strings protobuf's JSON parser takes. */
export function toMlflowJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    return v;
  });
}

/** Parses a server's JSON; bare NaN/Infinity tokens (Python's json) are read as strings first. */
export function parseMlflowJson(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // Python's json.dumps writes NaN, Infinity, -Infinity bare: quote those outside strings.
    const fixed = text.replace(/("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)/g, (m, str: string | undefined) => (str ? m : `"${m}"`));
    return JSON.parse(fixed);
  }
}

/** A double of MLflow's JSON: a number, or "NaN" / "Infinity" / "-Infinity". */
export function jsonDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN' || v === 'nan') return Number.NaN;
    if (v === 'Infinity' || v === 'inf') return Number.POSITIVE_INFINITY;
    if (v === '-Infinity' || v === '-inf') return Number.NEGATIVE_INFINITY;
    return Number(v);
  }
  return Number.NaN;
}

const KNOWN_CODES: ReadonlySet<string> = new Set([
  'INVALID_PARAMETER_VALUE', 'RESOURCE_DOES_NOT_EXIST', 'RESOURCE_ALREADY_EXISTS', 'INVALID_STATE', 'INTERNAL_ERROR', 'BAD_REQUEST',
  'PERMISSION_DENIED', 'UNAUTHENTICATED', 'ENDPOINT_NOT_FOUND', 'TEMPORARILY_UNAVAILABLE', 'REQUEST_LIMIT_EXCEEDED',
]);

/** MLflow's `get_error_code(status)`: the error code of an HTTP status without an MLflow body. */
function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'ENDPOINT_NOT_FOUND';
    case 429:
      return 'REQUEST_LIMIT_EXCEEDED';
    case 503:
      return 'TEMPORARILY_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
  }
}

/** MLflow's codes that mean the same as one of ours. */
const CODE_ALIASES: Readonly<Record<string, ErrorCode>> = {
  NOT_FOUND: 'RESOURCE_DOES_NOT_EXIST',
  ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  INVALID_ARGUMENT: 'INVALID_PARAMETER_VALUE',
  MALFORMED_REQUEST: 'BAD_REQUEST',
  INVALID_STATE_TRANSITION: 'INVALID_STATE',
  FEATURE_DISABLED: 'ENDPOINT_NOT_FOUND',
  CUSTOMER_UNAUTHORIZED: 'UNAUTHENTICATED',
};

/** One HTTP exchange's outcome. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestInit {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** Path under the server root, with its query string. */
  path: string;
  body?: Buffer | string | null;
  contentType?: string;
  /** Retry transient failures (default true). */
  retry?: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A connection to one tracking server.
 *
 * @example
 * ```ts
 * const conn = new RestConnection('http://127.0.0.1:5000');
 * const res = await conn.callJson('GET', '/api/2.0/mlflow/experiments/get', { experiment_id: '0' });
 * ```
 */
export class RestConnection {
  /** The server URL without credentials (safe to print). */
  readonly baseUrl: string;
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly options: Required<RestOptions>;
  private readonly auth: string | null;
  private readonly secrets: string[];

  constructor(uri: string, options: RestOptions = {}) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid tracking server URI '${redactUri(uri)}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `A tracking server URI must be http: or https:, got '${redactUri(uri)}'`);
    }
    const resolved = resolveRestOptions(options);
    // As MLflow's MlflowHostCreds: skipping verification and naming a CA to verify with contradict.
    if (resolved.insecureTls && resolved.serverCertPath) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `MLFLOW_TRACKING_INSECURE_TLS=true and MLFLOW_TRACKING_SERVER_CERT_PATH ('${resolved.serverCertPath}') are both set: skipping TLS verification and verifying with a CA bundle contradict (set one of them)`,
      );
    }
    // Credentials in the URI (http://user:pass@host) count as basic auth, as requests does.
    if (url.username && !resolved.username) {
      resolved.username = decodeURIComponent(url.username);
      resolved.password = decodeURIComponent(url.password);
    }
    url.username = '';
    url.password = '';
    this.url = url;
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.options = resolved;
    if (resolved.username && resolved.password) {
      this.auth = `Basic ${Buffer.from(`${resolved.username}:${resolved.password}`).toString('base64')}`;
    } else if (resolved.token) {
      this.auth = `Bearer ${resolved.token}`;
    } else {
      this.auth = null;
    }
    this.secrets = [resolved.token, resolved.password, this.auth].filter((s): s is string => !!s && s.length >= 3);
    if (url.protocol === 'https:') {
      let ca: Buffer | undefined;
      if (resolved.serverCertPath) {
        try {
          ca = fs.readFileSync(resolved.serverCertPath);
        } catch (err) {
          throw new MlflowError('INVALID_PARAMETER_VALUE', `Cannot read MLFLOW_TRACKING_SERVER_CERT_PATH '${resolved.serverCertPath}': ${(err as Error).message}`);
        }
      }
      this.agent = new https.Agent({ keepAlive: true, maxSockets: resolved.maxSockets, rejectUnauthorized: !resolved.insecureTls, ...(ca ? { ca } : {}) });
    } else {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: resolved.maxSockets });
    }
  }

  /** The settings in force (credentials included: never print them). */
  get settings(): Readonly<Required<RestOptions>> {
    return this.options;
  }

  /** Removes every credential from a text (for messages). */
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }

  close(): void {
    this.agent.destroy();
  }

  private once(init: RequestInit): Promise<RawResponse> {
    const mod = this.url.protocol === 'https:' ? https : http;
    const base = this.url.pathname.replace(/\/+$/, '');
    const headers: http.OutgoingHttpHeaders = { 'User-Agent': 'mlruns', Accept: 'application/json' };
    if (this.auth) headers['Authorization'] = this.auth;
    const body = init.body === undefined || init.body === null ? null : typeof init.body === 'string' ? Buffer.from(init.body) : init.body;
    if (body) {
      headers['Content-Type'] = init.contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    return new Promise<RawResponse>((resolve, reject) => {
      const req = mod.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port || undefined,
          path: base + init.path,
          method: init.method,
          headers,
          agent: this.agent,
          timeout: this.options.timeout * 1000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`timed out after ${this.options.timeout} s`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  }

  /** The wait before retry number `attempt` (1-based), in ms; a 429's Retry-After is honoured. */
  private backoffMs(attempt: number, res?: RawResponse): number {
    const retryAfter = res?.headers['retry-after'];
    if (typeof retryAfter === 'string' && /^\d+(\.\d+)?$/.test(retryAfter)) return Math.min(Number(retryAfter), MAX_BACKOFF_S) * 1000;
    const base = Math.min(this.options.backoffFactor * 2 ** (attempt - 1), MAX_BACKOFF_S);
    return (base + Math.random() * this.options.backoffJitter) * 1000;
  }

  /**
   * Sends a request, retrying 408/429/5xx answers and dropped connections with exponential
   * backoff (never another 4xx). Returns the last response (the caller checks its status).
   */
  async request(init: RequestInit): Promise<RawResponse> {
    const retries = init.retry === false ? 0 : this.options.maxRetries;
    for (let attempt = 0; ; attempt++) {
      let res: RawResponse | undefined;
      try {
        res = await this.once(init);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const transient = RETRY_ERRNOS.has(code) || /socket hang up/i.test((err as Error).message);
        if (!transient || attempt >= retries) {
          const what = `${init.method} ${this.baseUrl}${init.path.split('?')[0]}`;
          const tlsHint = TLS_VERIFY_ERRORS.has(code)
            ? this.options.serverCertPath
              ? ` (${code}: the server's TLS certificate does not verify with the CA bundle of MLFLOW_TRACKING_SERVER_CERT_PATH '${this.options.serverCertPath}')`
              : ` (${code}: the server's TLS certificate was refused; point MLFLOW_TRACKING_SERVER_CERT_PATH at the CA bundle that signed it, or set MLFLOW_TRACKING_INSECURE_TLS=true to skip verification)`
            : '';
          // A certificate that does not verify is no outage: the server could not be authenticated.
          throw new MlflowError(
            tlsHint ? 'UNAUTHENTICATED' : 'TEMPORARILY_UNAVAILABLE',
            this.redact(
              `API request to ${what} failed${attempt > 0 ? ` after ${attempt + 1} attempts` : ''}: ${(err as Error).message}${code === 'ETIMEDOUT' ? ' (raise MLFLOW_HTTP_REQUEST_TIMEOUT to wait longer)' : ''}${tlsHint}`,
            ),
            { cause: err },
          );
        }
        await sleep(this.backoffMs(attempt + 1));
        continue;
      }
      if (RETRY_STATUSES.has(res.status) && attempt < retries) {
        await sleep(this.backoffMs(attempt + 1, res));
        continue;
      }
      return res;
    }
  }

  /** The error of a failed response: MLflow's `{error_code, message}` body, else the HTTP status. */
  errorOf(res: RawResponse, _method: string, path: string): MlflowError {
    const text = res.body.toString('utf8');
    let code: ErrorCode = codeOfStatus(res.status);
    let message: string;
    let body: unknown;
    try {
      body = parseMlflowJson(text);
    } catch {
      body = undefined;
    }
    const endpoint = path.split('?')[0];
    if (body && typeof body === 'object' && typeof (body as { error_code?: unknown }).error_code === 'string') {
      const b = body as { error_code: string; message?: string };
      const raw = b.error_code;
      code = KNOWN_CODES.has(raw) ? (raw as ErrorCode) : (CODE_ALIASES[raw] ?? code);
      message = b.message ?? raw;
      if (raw !== code) message = `${raw}: ${message}`;
      // The file store's code for a write into a deleted experiment (MLflow's SQL store says INVALID_PARAMETER_VALUE).
      if (code === 'INVALID_PARAMETER_VALUE' && /^The experiment \S+ must be in the 'active' state/.test(message)) code = 'INVALID_STATE';
    } else {
      const snippet = text.length > 300 ? `${text.slice(0, 300)}...` : text;
      message = `API request to endpoint ${endpoint} failed with HTTP ${res.status}${snippet ? `. Response body: '${snippet}'` : ''}`;
    }
    if (res.status === 401 || res.status === 403) {
      message += ` (${this.auth ? 'the server refused the credentials of MLFLOW_TRACKING_TOKEN / MLFLOW_TRACKING_USERNAME' : 'set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD'})`;
    }
    return new MlflowError(code, this.redact(message));
  }

  /**
   * Calls a JSON endpoint as MLflow's `call_endpoint` does: GET sends `body` as the query string
   * (lists as repeated keys), other methods as a JSON body. Returns the parsed response.
   */
  async callJson<T = Record<string, unknown>>(method: RequestInit['method'], path: string, body?: Record<string, unknown> | null): Promise<T> {
    let fullPath = path;
    let payload: string | null = null;
    if (method === 'GET') {
      const qs = queryString(body ?? {});
      if (qs) fullPath += `?${qs}`;
    } else {
      payload = toMlflowJson(body ?? {});
    }
    const res = await this.request({ method, path: fullPath, body: payload });
    if (res.status !== 200) throw this.errorOf(res, method, fullPath);
    try {
      return parseMlflowJson(res.body.toString('utf8')) as T;
    } catch {
      throw new MlflowError('INTERNAL_ERROR', `The server answered ${method} ${path} with a body that is not JSON: '${res.body.toString('utf8').slice(0, 200)}'`);
    }
  }
}

/** A query string as Python's `requests` writes `params` (lists as repeated keys, nulls left out). */
export function queryString(params: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (x === undefined || x === null) continue;
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(typeof x === 'boolean' ? (x ? 'true' : 'false') : String(x))}`);
    }
  }
  return parts.join('&');
}

/** A URI with its user:password removed (for messages). */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}
