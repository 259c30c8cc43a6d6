/**
 * MLflow page tokens and `max_results` validation.
 *
 * A token is `base64(json.dumps({"offset": N}))` with Python's default JSON spacing, e.g.
 * offset 1000 → `eyJvZmZzZXQiOiAxMDAwfQ==`. Decoding mirrors
 * `SearchUtils.parse_start_offset_from_page_token` (lenient base64, `offset` must be truthy and
 * `int()`-able; offset 0 is rejected).
 *
 * @example
 * ```ts
 * import { createPageToken, paginate } from './paging.js';
 * createPageToken(1000); // 'eyJvZmZzZXQiOiAxMDAwfQ=='
 * paginate([1, 2, 3], 2, null); // { items: [1, 2], token: 'eyJvZmZzZXQiOiAyfQ==' }
 * ```
 */
import { MlflowError, invalidParameter } from '../errors.js';
import type { PagedList } from '../entities.js';
import { pyIntFromString, pyRepr } from './parse.js';

/**
 * Creates MLflow's page token for an offset.
 *
 * @example
 * ```ts
 * createPageToken(50); // 'eyJvZmZzZXQiOiA1MH0='
 * ```
 */
export function createPageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`, 'utf8').toString('base64');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_TABLE = new Map<number, number>([...B64].map((c, i) => [c.charCodeAt(0), i]));

/** CPython `binascii.a2b_base64` in non-strict mode; null on binascii.Error. */
function a2bBase64(s: string): Uint8Array | null {
  const out: number[] = [];
  let quadPos = 0;
  let leftchar = 0;
  let pads = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d) {
      if (quadPos >= 2 && quadPos + ++pads >= 4) return Uint8Array.from(out);
      continue;
    }
    const v = B64_TABLE.get(c);
    if (v === undefined) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        quadPos = 1;
        leftchar = v;
        break;
      case 1:
        quadPos = 2;
        out.push(((leftchar << 2) | (v >> 4)) & 0xff);
        leftchar = v & 0x0f;
        break;
      case 2:
        quadPos = 3;
        out.push(((leftchar << 4) | (v >> 2)) & 0xff);
        leftchar = v & 0x03;
        break;
      default:
        quadPos = 0;
        out.push(((leftchar << 6) | v) & 0xff);
        leftchar = 0;
    }
  }
  if (quadPos !== 0) return null;
  return Uint8Array.from(out);
}

/** Python `repr(bytes)`. */
function bytesRepr(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const x of b) {
    if (x === 0x27) hasSingle = true;
    if (x === 0x22) hasDouble = true;
  }
  const q = hasSingle && !hasDouble ? '"' : "'";
  let out = 'b' + q;
  for (const x of b) {
    if (x === q.charCodeAt(0) || x === 0x5c) out += '\\' + String.fromCharCode(x);
    else if (x === 0x09) out += '\\t';
    else if (x === 0x0a) out += '\\n';
    else if (x === 0x0d) out += '\\r';
    else if (x < 0x20 || x >= 0x7f) out += '\\x' + x.toString(16).padStart(2, '0');
    else out += String.fromCharCode(x);
  }
  return out + q;
}

/** Python `repr()` of a parsed JSON value (dicts, lists, str, int/float, bool, None). */
function pyJsonRepr(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyRepr(v);
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : String(v);
  if (Array.isArray(v)) return '[' + v.map(pyJsonRepr).join(', ') + ']';
  return '{' + Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyJsonRepr(x)}`).join(', ') + '}';
}

const internal = (message: string): MlflowError => new MlflowError('INTERNAL_ERROR', message);

/** Python truthiness of a JSON value. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/**
 * Decodes a page token to its start offset (`parse_start_offset_from_page_token`). An empty or
 * missing token means offset 0. Errors carry MLflow's messages; cases where Python raises a
 * non-MLflow exception (non-ASCII token, JSON that is not an object, non-numeric types) are
 * INTERNAL_ERROR.
 *
 * @example
 * ```ts
 * parseStartOffset('eyJvZmZzZXQiOiAxMDAwfQ=='); // 1000
 * parseStartOffset(null); // 0
 * ```
 */
export function parseStartOffset(pageToken: string | null | undefined): number {
  if (!pageToken) return 0;
  // b64decode(str) first encodes to ASCII (ValueError, not caught by MLflow).
  if (/[^\x00-\x7f]/.test(pageToken)) throw internal('ValueError: string argument should contain only ASCII characters');
  const decoded = a2bBase64(pageToken);
  if (decoded === null) throw invalidParameter('Invalid page token, could not base64-decode');
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(decoded);
    parsed = JSON.parse(text);
  } catch {
    throw invalidParameter(`Invalid page token, decoded value=${bytesRepr(decoded)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw internal(`AttributeError: '${Array.isArray(parsed) ? 'list' : typeof parsed}' object has no attribute 'get'`);
  }
  const offsetValue = (parsed as Record<string, unknown>)['offset'];
  if (!truthy(offsetValue)) throw invalidParameter(`Invalid page token, parsed value=${pyJsonRepr(parsed)}`);
  let offset: number;
  if (typeof offsetValue === 'number') {
    offset = Math.trunc(offsetValue);
  } else if (offsetValue === true) {
    offset = 1;
  } else if (typeof offsetValue === 'string') {
    const b = pyIntFromString(offsetValue);
    if (b === null) throw invalidParameter(`Invalid page token, not stringable ${offsetValue}`);
    offset = Number(b);
  } else {
    throw internal("TypeError: int() argument must be a string, a bytes-like object or a real number");
  }
  return offset;
}

/** Python slice `items[start:stop]` (negative indices count from the end). */
function pySlice<T>(items: readonly T[], start: number, stop: number): T[] {
  const n = items.length;
  const norm = (i: number): number => (i < 0 ? Math.max(0, n + i) : Math.min(n, i));
  const a = norm(start);
  const b = norm(stop);
  return b > a ? items.slice(a, b) : [];
}

/**
 * `SearchUtils.paginate`: the page at the token's offset and the token of the next page (only
 * when `offset + maxResults < items.length`). Python slice semantics are kept for odd values.
 *
 * @example
 * ```ts
 * paginate(['a', 'b', 'c'], 2, 'eyJvZmZzZXQiOiAyfQ=='); // { items: ['c'], token: null }
 * ```
 */
export function paginate<T>(items: readonly T[], maxResults: number, pageToken: string | null | undefined): PagedList<T> {
  const start = parseStartOffset(pageToken);
  const end = start + maxResults;
  return { items: pySlice(items, start, end), token: end < items.length ? createPageToken(end) : null };
}

/**
 * The default and maximum `max_results` of each search, as MLflow's FileStores have them.
 *
 * @example
 * ```ts
 * SEARCH_LIMITS.registeredModels.max; // 1000
 * ```
 */
export const SEARCH_LIMITS = {
  runs: { default: 1000, max: 50000 },
  experiments: { default: 1000, max: 50000 },
  registeredModels: { default: 100, max: 1000 },
  modelVersions: { default: 10000, max: 200000 },
} as const;

/**
 * Validates `max_results` as the FileStore search methods do, with their messages:
 * runs only check the maximum; experiments, registered models and model versions also require a
 * positive integer.
 *
 * @example
 * ```ts
 * validateMaxResults('runs', 50001); // throws INVALID_PARAMETER_VALUE
 * ```
 */
export function validateMaxResults(entity: keyof typeof SEARCH_LIMITS, maxResults: number): void {
  const max = SEARCH_LIMITS[entity].max;
  if (entity === 'runs') {
    if (maxResults > max) {
      throw invalidParameter(
        `Invalid value for request parameter max_results. It must be at most ${max}, but got value ${maxResults}`,
      );
    }
    return;
  }
  if (entity === 'experiments') {
    if (!Number.isInteger(maxResults) || maxResults < 1) {
      throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer`);
    }
    if (maxResults > max) {
      throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results' supplied. It must be at most ${max}`);
    }
    return;
  }
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw invalidParameter(`Invalid value for max_results. It must be a positive integer, but got ${maxResults}`);
  }
  if (maxResults > max) {
    throw invalidParameter(
      `Invalid value for request parameter max_results. It must be at most ${max}, but got value ${maxResults}`,
    );
  }
}
