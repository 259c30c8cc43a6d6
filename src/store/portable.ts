/**
 * Portable locations: what an `artifact_uri`, an `artifact_location`, a model version's `source`
 * or `storage_location` means for the root we were opened on, when the folder was written on
 * another machine (a Windows `file:///D:/…` path, another user's `/home/…`), from another working
 * directory (`./mlruns/…`), through a tracking server (`mlflow-artifacts:/…`), or is a git clone
 * whose metadata still points into the original checkout.
 *
 * MLflow stores these locations as absolute URIs and never rewrites them (spec §4.4). When such a
 * URI does not lead into this root, but its tail matches the file-store layout
 * (`<exp>/<run>/artifacts`, `<exp>/models/<model>/artifacts`, `<exp>`) and that folder exists
 * here, the folder here is what the URI meant. Pure functions plus small fs checks.
 *
 * @example
 * ```ts
 * const r = resolveLocation('/work/clone/mlruns', 'file:///D:/proj/mlruns/1/0123…cdef/artifacts',
 *   { kind: 'run', experimentId: '1', runId: '0123…cdef' });
 * r.status;       // 'foreign'
 * r.localPath;    // '/work/clone/mlruns/1/0123…cdef/artifacts'
 * r.suggestedUri; // 'file:///work/clone/mlruns/1/0123…cdef/artifacts'
 * ```
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDirectory as isDir } from './file/fs.js';
import { localFileUriToPath, pathToLocalFileUri, uriScheme } from './uri.js';

/** The trash folder of a root. */
const TRASH = '.trash';

/**
 * A parsed location URI.
 *
 * @example
 * ```ts
 * parseLocation('file:///C:/Users/me/mlruns/0');
 * // { uri, scheme: 'file', style: 'file-uri', segments: ['C:', 'Users', 'me', 'mlruns', '0'], absolute: true, windows: true, posixPath: '/C:/Users/me/mlruns/0' }
 * ```
 */
export interface ParsedLocation {
  uri: string;
  /** '' for a plain path, else the lower-cased scheme (`file`, `mlflow-artifacts`, `s3`...). */
  scheme: string;
  /** How the URI is written: a `file:` URI, a plain path, or another scheme. */
  style: 'file-uri' | 'plain' | 'other';
  /** Path segments (split on `/` and `\`), without empty ones and `.`; a drive letter stays as `C:`. */
  segments: string[];
  /** True for an absolute path (POSIX, drive letter or UNC). */
  absolute: boolean;
  /** True for a Windows path (drive letter or `\\server\share`). */
  windows: boolean;
  /** For a local POSIX absolute path: the path itself (usable on this machine). */
  posixPath: string | undefined;
}

/**
 * Parses a location as MLflow writes it: `file:` URIs, plain (POSIX, Windows or relative) paths,
 * and remote URIs such as `mlflow-artifacts:/0/<run>/artifacts` or `s3://bucket/x`.
 *
 * @example
 * ```ts
 * parseLocation('./mlruns/1').absolute;          // false
 * parseLocation('D:\\ml\\mlruns\\1').windows;     // true
 * parseLocation('mlflow-artifacts:/1').segments; // ['1']
 * ```
 */
export function parseLocation(uri: string): ParsedLocation {
  const scheme = uriScheme(uri);
  let p: string;
  let style: ParsedLocation['style'];
  if (scheme === '') {
    style = 'plain';
    p = uri;
  } else if (scheme === 'file') {
    style = 'file-uri';
    p = localFileUriToPath(uri);
  } else {
    style = 'other';
    let rest = uri.slice(uri.indexOf(':') + 1);
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      rest = slash === -1 ? '' : rest.slice(slash);
    }
    const q = rest.search(/[?#]/);
    p = q === -1 ? rest : rest.slice(0, q);
  }
  // `/C:/x` (from file:///C:/x), `C:/x`, `C:\x`, `\\server\share\x`
  const drive = /^\/?([A-Za-z]:)([\\/]|$)/.exec(p);
  const unc = /^(\\\\|\/\/)[^\\/]/.test(p) && style !== 'other';
  const windows = style !== 'other' && (drive !== null || unc);
  const absolute = windows || p.startsWith('/') || style === 'other';
  const segments = p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  const posixPath = style !== 'other' && !windows && p.startsWith('/') ? path.posix.normalize(p) : undefined;
  return { uri, scheme, style, segments, absolute, windows, posixPath };
}

/**
 * What a location belongs to, which fixes the tail its URI must end with.
 *
 * @example
 * ```ts
 * const t: LayoutTarget = { kind: 'run', experimentId: '0', runId: 'a1b2…' };
 * ```
 */
export type LayoutTarget =
  | { kind: 'experiment'; experimentId: string }
  | { kind: 'run'; experimentId: string; runId: string }
  | { kind: 'logged-model'; experimentId: string; modelId: string };

/**
 * The path segments a target's location ends with in the file-store layout.
 *
 * @example
 * ```ts
 * layoutTail({ kind: 'logged-model', experimentId: '3', modelId: 'm-1' }); // ['3', 'models', 'm-1', 'artifacts']
 * ```
 */
export function layoutTail(target: LayoutTarget): string[] {
  switch (target.kind) {
    case 'experiment':
      return [target.experimentId];
    case 'run':
      return [target.experimentId, target.runId, 'artifacts'];
    case 'logged-model':
      return [target.experimentId, 'models', target.modelId, 'artifacts'];
  }
}

/**
 * True when `segments` ends with `tail` (compared exactly: ids are case-sensitive).
 *
 * @example
 * ```ts
 * hasTail(['D:', 'x', 'mlruns', '1'], ['1']); // true
 * ```
 */
export function hasTail(segments: readonly string[], tail: readonly string[]): boolean {
  if (tail.length > segments.length) return false;
  const off = segments.length - tail.length;
  return tail.every((t, i) => segments[off + i] === t);
}

/**
 * The folder a target has under `root` in the canonical layout (what MLflow writes there when it
 * creates the entity in this root): `<root>/<exp>`, `<root>/<exp>/<run>/artifacts`,
 * `<root>/<exp>/models/<m>/artifacts`. Deleted experiments keep this location (MLflow never
 * rewrites it when it moves them to `.trash`).
 *
 * @example
 * ```ts
 * canonicalPath('/r/mlruns', { kind: 'experiment', experimentId: '5' }); // '/r/mlruns/5'
 * ```
 */
export function canonicalPath(root: string, target: LayoutTarget): string {
  return path.join(path.resolve(root), ...layoutTail(target));
}

/**
 * The entity's folder as it is on disk now: under the root, or under `.trash` for a deleted
 * experiment; undefined when neither exists.
 *
 * @example
 * ```ts
 * entityDir('/r/mlruns', { kind: 'run', experimentId: '5', runId: 'abc' }); // '/r/mlruns/.trash/5/abc' when 5 is deleted
 * ```
 */
export function entityDir(root: string, target: LayoutTarget): string | undefined {
  const r = path.resolve(root);
  const rel =
    target.kind === 'experiment'
      ? [target.experimentId]
      : target.kind === 'run'
        ? [target.experimentId, target.runId]
        : [target.experimentId, 'models', target.modelId];
  for (const base of [r, path.join(r, TRASH)]) {
    const p = path.join(base, ...rel);
    if (isDir(p)) return p;
  }
  return undefined;
}

/**
 * How a location relates to the root:
 * - `inside-root`: it leads into this root (fine as it is);
 * - `foreign`: an absolute path of another machine (or a Windows path) that does not exist here;
 * - `relative`: a relative path, which depends on the working directory of whoever reads it;
 * - `other-copy`: it exists on this machine but inside another copy of the store (a clone's origin);
 * - `remote-artifacts`: an `mlflow-artifacts:` URI (needs a tracking server);
 * - `external`: it exists here, outside the root, and is not a store (a deliberate artifact store);
 * - `remote`: another scheme (`s3:`, `gs:`, `dbfs:`...), left alone;
 * - `missing`: it does not exist and nothing here matches it;
 * - `unset`: no location at all.
 *
 * @example
 * ```ts
 * const s: LocationStatus = resolveLocation(root, uri, target).status;
 * ```
 */
export type LocationStatus =
  | 'inside-root'
  | 'foreign'
  | 'relative'
  | 'other-copy'
  | 'remote-artifacts'
  | 'external'
  | 'remote'
  | 'missing'
  | 'unset';

/**
 * The result of {@link resolveLocation}.
 *
 * @example
 * ```ts
 * const r: LocationResolution = resolveLocation(root, exp.artifactLocation, { kind: 'experiment', experimentId: exp.experimentId });
 * if (r.remapped) console.log(`${r.uri} -> ${r.localPath}`);
 * ```
 */
export interface LocationResolution {
  uri: string | null;
  status: LocationStatus;
  /** The local folder to read: the URI's own path when usable, else the matching folder here. */
  localPath: string | undefined;
  /** True when `localPath` is the matching folder here, not what the URI says. */
  remapped: boolean;
  /** The URI MLflow would have written in this root, in the style of the original (`file:` URI or plain path); set when remapped. */
  suggestedUri: string | undefined;
  /** True when the local folder holds files (only computed for `remote-artifacts`). */
  hasLocalFiles?: boolean;
}

/**
 * Options of {@link resolveLocation}.
 *
 * @example
 * ```ts
 * resolveLocation(root, './mlruns/0', { kind: 'experiment', experimentId: '0' }, { cwd: '/home/me/proj' });
 * ```
 */
export interface ResolveOptions {
  /** Directory relative paths are resolved against (default: the root's parent, where `./mlruns` points at the root). */
  cwd?: string;
}

/**
 * Resolves an entity's location for the root we were opened on (see {@link LocationStatus}).
 *
 * @example
 * ```ts
 * resolveLocation('/clone/mlruns', 'file:///home/alice/proj/mlruns/0', { kind: 'experiment', experimentId: '0' });
 * // { status: 'foreign', localPath: '/clone/mlruns/0', remapped: true, suggestedUri: 'file:///clone/mlruns/0', ... }
 * ```
 */
export function resolveLocation(
  root: string,
  uri: string | null | undefined,
  target: LayoutTarget,
  options: ResolveOptions = {},
): LocationResolution {
  const r = path.resolve(root);
  if (uri === null || uri === undefined || uri === '') {
    return { uri: uri ?? null, status: 'unset', localPath: undefined, remapped: false, suggestedUri: undefined };
  }
  const parsed = parseLocation(uri);
  const tail = layoutTail(target);
  const matches = hasTail(parsed.segments, tail);
  const here = entityDir(r, target);
  const counterpart =
    here === undefined ? undefined : target.kind === 'experiment' ? here : path.join(here, 'artifacts');
  const remap = (status: LocationStatus): LocationResolution => ({
    uri,
    status,
    localPath: counterpart,
    remapped: true,
    suggestedUri: styledUri(parsed, canonicalPath(r, target)),
  });
  const keep = (status: LocationStatus, localPath: string | undefined): LocationResolution => ({
    uri,
    status,
    localPath,
    remapped: false,
    suggestedUri: undefined,
  });

  if (parsed.style === 'other') {
    if (parsed.scheme === 'mlflow-artifacts') {
      if (matches && counterpart !== undefined) {
        return { ...remap('remote-artifacts'), hasLocalFiles: hasFiles(counterpart) };
      }
      return { ...keep('remote-artifacts', undefined), hasLocalFiles: false };
    }
    return keep('remote', undefined);
  }
  if (!parsed.absolute) {
    // Relative to the working directory of whoever reads it: never portable.
    const base = options.cwd ?? path.dirname(r);
    const abs = path.resolve(base, ...parsed.segments);
    if (matches && counterpart !== undefined) return remap('relative');
    return keep('relative', isDir(abs) ? abs : undefined);
  }
  if (parsed.windows || parsed.posixPath === undefined) {
    if (matches && counterpart !== undefined) return remap('foreign');
    return keep('missing', undefined);
  }
  const p = parsed.posixPath;
  if (isInside(r, p)) return keep('inside-root', p);
  if (!exists(p)) {
    if (matches && counterpart !== undefined) return remap('foreign');
    return keep('missing', undefined);
  }
  if (matches && counterpart !== undefined && looksLikeStoreCopy(p, target)) return remap('other-copy');
  return keep('external', p);
}

/**
 * A location found inside a free-form path (a model version's `source` or `storage_location`):
 * the run or logged-model artifacts it points into, and the path below them.
 *
 * @example
 * ```ts
 * findLayoutAnchor(parseLocation('file:///C:/p/mlruns/1/0123abcd/artifacts/model').segments);
 * // { target: { kind: 'run', experimentId: '1', runId: '0123abcd' }, rest: ['model'] }
 * ```
 */
export function findLayoutAnchor(segments: readonly string[]): { target: LayoutTarget; rest: string[] } | undefined {
  for (let i = segments.length - 1; i >= 0; i--) {
    if (segments[i] !== 'artifacts') continue;
    const rest = segments.slice(i + 1);
    if (i >= 3 && segments[i - 2] === 'models') {
      const e = segments[i - 3] as string;
      const m = segments[i - 1] as string;
      return { target: { kind: 'logged-model', experimentId: e, modelId: m }, rest };
    }
    if (i >= 2) {
      const e = segments[i - 2] as string;
      const run = segments[i - 1] as string;
      return { target: { kind: 'run', experimentId: e, runId: run }, rest };
    }
  }
  return undefined;
}

/**
 * Where a run lives in this root, searched by id in every experiment (active and deleted), for
 * paths whose experiment id no longer matches (after a merge of duplicate experiments).
 *
 * @example
 * ```ts
 * locateRun('/r/mlruns', 'a1b2…'); // { experimentId: '7', runDir: '/r/mlruns/7/a1b2…' }
 * ```
 */
export function locateRun(root: string, runId: string): { experimentId: string; runDir: string } | undefined {
  const r = path.resolve(root);
  for (const base of [r, path.join(r, TRASH)]) {
    for (const e of safeReaddir(base)) {
      if (!e.isDirectory() || e.name === TRASH || (base === r && e.name === 'models')) continue;
      const runDir = path.join(base, e.name, runId);
      if (fs.existsSync(path.join(runDir, 'meta.yaml'))) return { experimentId: e.name, runDir };
    }
  }
  return undefined;
}

/**
 * Resolves a free-form artifact path (a model version's `source` or `storage_location`): when it
 * does not lead into this root but points into `<exp>/<run>/artifacts/...` or
 * `<exp>/models/<m>/artifacts/...` and that run or model is here, the path here.
 * `models:/…` and `runs:/…` URIs are not paths: they come back as `remote`.
 *
 * @example
 * ```ts
 * resolveArtifactPath('/clone/mlruns', 'file:///C:/p/mlruns/1/0123abcd/artifacts/model');
 * // { status: 'foreign', localPath: '/clone/mlruns/1/0123abcd/artifacts/model', suggestedUri: 'file:///clone/mlruns/1/0123abcd/artifacts/model', ... }
 * ```
 */
export function resolveArtifactPath(root: string, uri: string | null | undefined, options: ResolveOptions = {}): LocationResolution {
  const r = path.resolve(root);
  if (uri === null || uri === undefined || uri === '') {
    return { uri: uri ?? null, status: 'unset', localPath: undefined, remapped: false, suggestedUri: undefined };
  }
  const parsed = parseLocation(uri);
  const anchor = findLayoutAnchor(parsed.segments);
  let found: { target: LayoutTarget; dir: string; rest: string[] } | undefined;
  if (anchor) {
    let target = anchor.target;
    let dir = entityDir(r, target);
    if (dir === undefined && target.kind === 'run') {
      const loc = locateRun(r, target.runId);
      if (loc) {
        target = { ...target, experimentId: loc.experimentId };
        dir = loc.runDir;
      }
    }
    // Only a path that exists here counts: the run may have kept its artifacts elsewhere.
    if (dir !== undefined && exists(path.join(dir, 'artifacts', ...anchor.rest))) found = { target, dir, rest: anchor.rest };
  }
  const keep = (status: LocationStatus, localPath: string | undefined): LocationResolution => ({
    uri,
    status,
    localPath,
    remapped: false,
    suggestedUri: undefined,
  });
  const remap = (status: LocationStatus): LocationResolution => {
    const f = found as { target: LayoutTarget; dir: string; rest: string[] };
    return {
      uri,
      status,
      localPath: path.join(f.dir, 'artifacts', ...f.rest),
      remapped: true,
      suggestedUri: styledUri(parsed, path.join(canonicalPath(r, f.target), ...f.rest)),
    };
  };
  if (parsed.style === 'other') {
    if (parsed.scheme === 'mlflow-artifacts' && found) return { ...remap('remote-artifacts'), hasLocalFiles: hasFiles(path.join(found.dir, 'artifacts')) };
    return keep(parsed.scheme === 'mlflow-artifacts' ? 'remote-artifacts' : 'remote', undefined);
  }
  if (!parsed.absolute) {
    if (found) return remap('relative');
    const abs = path.resolve(options.cwd ?? path.dirname(r), ...parsed.segments);
    return keep('relative', exists(abs) ? abs : undefined);
  }
  if (parsed.windows || parsed.posixPath === undefined) return found ? remap('foreign') : keep('missing', undefined);
  const p = parsed.posixPath;
  if (isInside(r, p)) {
    // Inside the root but gone (e.g. its run moved to another experiment): follow the run.
    if (!exists(p) && found) {
      const moved = remap('foreign');
      if (moved.localPath !== p) return moved;
    }
    return keep('inside-root', p);
  }
  if (!exists(p)) return found ? remap('foreign') : keep('missing', undefined);
  if (found && looksLikeStoreCopy(path.join(p, ...found.rest.map(() => '..')), found.target)) return remap('other-copy');
  return keep('external', p);
}

/**
 * Writes `localPath` in the style of an original URI: a `file:` URI stays a `file:` URI (as
 * `pathlib.Path.as_uri()` writes it), a plain path becomes an absolute POSIX path (as
 * `resolve_uri_if_local` writes it), and a remote URI becomes a `file:` URI.
 *
 * @example
 * ```ts
 * styledUri(parseLocation('./mlruns/1'), '/r/mlruns/1');              // '/r/mlruns/1'
 * styledUri(parseLocation('file:///D:/x/mlruns/1'), '/r/mlruns/1');  // 'file:///r/mlruns/1'
 * ```
 */
export function styledUri(original: ParsedLocation, localPath: string): string {
  if (original.style === 'plain') return path.resolve(localPath).split(path.sep).join('/');
  return pathToLocalFileUri(localPath);
}

/**
 * True when `p` is `root` or inside it (both made absolute; `root` also compared after
 * following its symlinks, so `/tmp` vs `/private/tmp` does not matter).
 *
 * @example
 * ```ts
 * isInside('/r/mlruns', '/r/mlruns/0/meta.yaml'); // true
 * isInside('/r/mlruns', '/r/mlruns-old/0');       // false
 * ```
 */
export function isInside(root: string, p: string): boolean {
  const target = path.resolve(p);
  const roots = new Set([path.resolve(root)]);
  try {
    roots.add(fs.realpathSync(root));
  } catch {
    /* root missing */
  }
  for (const r of roots) {
    if (target === r || target.startsWith(r.endsWith(path.sep) ? r : r + path.sep)) return true;
  }
  return false;
}

/** Is `p` (an existing location outside the root) the same entity in another copy of a store? */
function looksLikeStoreCopy(p: string, target: LayoutTarget): boolean {
  // experiment: <p>/meta.yaml; run: <p>/../meta.yaml (the run's meta); model: <p>/../meta.yaml
  const meta = target.kind === 'experiment' ? path.join(p, 'meta.yaml') : path.join(p, '..', 'meta.yaml');
  return fs.existsSync(meta);
}

function exists(p: string): boolean {
  return fs.existsSync(p);
}

function hasFiles(dir: string): boolean {
  return safeReaddir(dir).length > 0;
}

function safeReaddir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
