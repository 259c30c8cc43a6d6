import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * URI helpers with the semantics of MLflow's `mlflow/utils/uri.py` and `file_utils.py`,
 * for the local (`file:` or plain path) URIs the file store writes and reads.
 */

/** The scheme of a URI (`file`, `s3`, `mlflow-artifacts`...), or '' for a plain path. */
export function uriScheme(uri: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (!m) return '';
  const scheme = m[1] as string;
  // A Windows drive letter ("C:/x", "C:\x") is a path, not a scheme, as urllib sees it only for one-letter schemes.
  if (scheme.length === 1) return '';
  return scheme.toLowerCase();
}

/** True for a plain path or a `file:` URI. */
export function isLocalUri(uri: string): boolean {
  const scheme = uriScheme(uri);
  return scheme === '' || scheme === 'file';
}

/**
 * `pathlib.Path(os.path.abspath(p)).as_uri()`: `file:///abs/path` with percent-encoding.
 *
 * @example
 * ```ts
 * pathToLocalFileUri('/tmp/a b'); // 'file:///tmp/a%20b'
 * ```
 */
export function pathToLocalFileUri(p: string): string {
  return pathToFileURL(path.resolve(p)).href;
}

/**
 * `local_file_uri_to_path`: the path of a `file:` URI (percent-decoded); a plain path is returned as is.
 *
 * @example
 * ```ts
 * localFileUriToPath('file:///tmp/a%20b'); // '/tmp/a b'
 * ```
 */
export function localFileUriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    // urllib.parse.urlparse keeps the path after an optional //netloc.
    let rest = uri.slice('file:'.length);
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      rest = slash === -1 ? '' : rest.slice(slash);
    }
    const q = rest.search(/[?#]/);
    if (q !== -1) rest = rest.slice(0, q);
    try {
      return decodeURIComponent(rest);
    } catch {
      return rest;
    }
  }
  return uri;
}

/** Joins POSIX sub-paths as `_join_posixpaths_and_append_absolute_suffixes` does. */
function joinPosix(prefix: string, suffix: string): string {
  const stripped = suffix.replace(/^\/+/, '');
  if (prefix === '') return stripped;
  if (stripped === '') return prefix;
  return prefix.endsWith('/') ? prefix + stripped : `${prefix}/${stripped}`;
}

/**
 * `append_to_uri_path`: appends POSIX paths to the path of a URI, keeping its query string.
 *
 * @example
 * ```ts
 * appendToUriPath('file:///tmp/mlruns/0', 'abc', 'artifacts'); // 'file:///tmp/mlruns/0/abc/artifacts'
 * ```
 */
export function appendToUriPath(uri: string, ...paths: string[]): string {
  let suffix = '';
  for (const p of paths) suffix = joinPosix(suffix, p);
  if (uriScheme(uri) === '') return joinPosix(uri, suffix);
  const q = uri.search(/[?#]/);
  const base = q === -1 ? uri : uri.slice(0, q);
  const tail = q === -1 ? '' : uri.slice(q);
  return joinPosix(base, suffix) + tail;
}

/**
 * `resolve_uri_if_local` (POSIX): a relative plain path becomes an absolute plain path, a relative
 * `file:` URI an absolute one; anything else is returned unchanged.
 */
export function resolveUriIfLocal(uri: string, cwd: string = process.cwd()): string {
  if (!isLocalUri(uri)) return uri;
  const local = localFileUriToPath(uri);
  if (path.isAbsolute(local)) return uri;
  if (uriScheme(uri) === '') return path.posix.join(cwd.split(path.sep).join('/'), local);
  return pathToLocalFileUri(path.resolve(cwd, local));
}

/** A local path from a tracking URI given to a client or store (`file:` URI or plain path). */
export function trackingUriToPath(uri: string): string {
  if (uri.startsWith('file:')) return path.resolve(localFileUriToPath(uri));
  return path.resolve(uri);
}

/**
 * The tracking URI to use: the argument, else `MLFLOW_TRACKING_URI`, else `./mlruns`. Its scheme
 * picks the store (`openTrackingStore` says which schemes exist).
 *
 * @example
 * ```ts
 * resolveTrackingUri(); // './mlruns' unless MLFLOW_TRACKING_URI is set
 * ```
 */
export function resolveTrackingUri(uri?: string | null): string {
  return uri || process.env['MLFLOW_TRACKING_URI'] || './mlruns';
}
