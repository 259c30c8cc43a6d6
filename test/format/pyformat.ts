/**
 * Client of test/format/pyformat.py, which the one oracle process (test/oracle/oracle.ts,
 * MLflow 3) serves as its `format` module: one long-lived Python per test file.
 *
 * @example
 * ```ts
 * const py = await PyFormat.start();
 * const text = await py.call<string>({ op: 'dump_yaml', data: encodePy({ a: 1 }) });
 * await py.close();
 * ```
 */
import { PyFloat } from '../../src/format/float.js';
import { Oracle } from '../oracle/oracle.js';

/** Error answer of the oracle. */
export interface PyError {
  type: string;
  code: string | null;
  message: string;
}
export type PyAnswer<T> = { ok: T; error?: undefined } | { ok?: undefined; error: PyError };

/** JS value → oracle JSON: PyFloat/non-integral numbers as floats, big integers as $int. */
export function encodePy(v: unknown): unknown {
  if (v instanceof PyFloat) return { $float: reprish(v.value) };
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return Math.abs(v) > 2 ** 53 ? { $int: BigInt(v).toString() } : Object.is(v, -0) ? 0 : v;
    return { $float: reprish(v) };
  }
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (Array.isArray(v)) return v.map(encodePy);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = encodePy(x);
    return out;
  }
  return v;
}

function reprish(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  return String(x);
}

/** Oracle JSON → JS: {$float} → number, {$int} → number or bigint. */
export function decodePy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodePy);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$float === 'string') return pyFloatValue(o.$float);
    if (typeof o.$int === 'string') {
      const b = BigInt(o.$int);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = decodePy(x);
    return out;
  }
  return v;
}

export function pyFloatValue(repr: string): number {
  if (repr === 'nan') return NaN;
  if (repr === 'inf') return Infinity;
  if (repr === '-inf') return -Infinity;
  return Number(repr);
}

export class PyFormat {
  /** Requests answered so far (each request of a batch counts). */
  requests = 0;

  private constructor(private readonly oracle: Oracle) {}

  /** Starts the MLflow 3 oracle (test/oracle/oracle.ts), which serves pyformat.py as its `format` module. */
  static async start(env: Record<string, string> = {}): Promise<PyFormat> {
    return new PyFormat(await Oracle.start('3', { env }));
  }

  /** Sends one request; resolves with the raw answer ({ok} or {error}). */
  request<T = unknown>(req: Record<string, unknown>): Promise<PyAnswer<T>> {
    this.requests += req.op === 'batch' ? (req.requests as unknown[]).length : 1;
    return this.oracle.module<PyAnswer<T>>('format', req);
  }

  /** Sends one request; resolves with the result or throws the Python error. */
  async call<T = unknown>(req: Record<string, unknown>): Promise<T> {
    const ans = await this.request<T>(req);
    if (ans.error) throw new Error(`${ans.error.type}: ${ans.error.message}`);
    return ans.ok as T;
  }

  /** Sends many requests in one round trip. */
  async batch<T = unknown>(requests: Record<string, unknown>[]): Promise<PyAnswer<T>[]> {
    return this.call<PyAnswer<T>[]>({ op: 'batch', requests });
  }

  async close(): Promise<void> {
    if (process.env.PYFORMAT_STATS) process.stderr.write(`pyformat: ${this.requests} requests answered\n`);
    await this.oracle.close();
  }
}
