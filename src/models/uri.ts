import path from 'node:path';
import { MlflowError, invalidParameter, notFound } from '../errors.js';
import type { FileStore } from '../store/file/file-store.js';
import { exists, isDirectory } from '../store/file/fs.js';
import { parseModelUri } from '../store/file/registry-store.js';
import type { RegistryStore } from '../store/registry-store.js';
import type { TrackingStore } from '../store/tracking-store.js';
import { asFileStore } from '../tracking/stores.js';
import type { StoreOptions } from '../tracking/stores.js';
import { isLocalUri, localFileUriToPath, uriScheme } from '../store/uri.js';
import { RegistryClient, parseRunsUri } from '../tracking/registry.js';

/**
 * Options of {@link resolveModelUri}.
 *
 * @example
 * ```ts
 * await resolveModelUri('models:/iris/1', { trackingUri: 'file:///data/mlruns', strict: true });
 * ```
 */
export interface ResolveModelUriOptions extends StoreOptions {
  /** The tracking root (path or `file:` URI); default `MLFLOW_TRACKING_URI`, else `./mlruns`. */
  trackingUri?: string | null;
  /** An existing tracking store of that root (e.g. `MlflowClient.store`). */
  trackingStore?: TrackingStore;
}

/**
 * How a model URI was resolved.
 *
 * @example
 * ```ts
 * const { path, name, version, chain } = await resolveModelUriDetailed('models:/iris@champion');
 * ```
 */
export interface ResolvedModel {
  /** The local folder (or file) of the MLflow Model. */
  path: string;
  /** The registered model and version, for `models:/<name>/…` URIs. */
  name: string | null;
  version: string | null;
  /** The logged model id, for `models:/m-<id>` URIs (and versions made from one). */
  modelId: string | null;
  /** Each URI followed, from the given one to the local location. */
  chain: string[];
}

const MAX_DEPTH = 10;

/**
 * The local folder of the MLflow Model a URI names, resolved as MLflow's `ModelsArtifactRepository`
 * and `RunsArtifactRepository` do:
 * - `runs:/<run>/<path>`: `<path>` in the run's artifacts (3.x: else the run's logged model named
 *   `<path>`);
 * - `models:/<name>/<version>`, `models:/<name>@<alias>`, `models:/<name>/<stage>` (latest version
 *   in that stage), `models:/<name>/latest` (latest version): the version's download URI
 *   (`storage_location`, else `source`), itself resolved;
 * - `models:/m-<id>`: the logged model's artifact location;
 * - a path or `file:` URI: itself.
 *
 * Locations recorded on another machine (or before the root moved) that follow the store's layout
 * (`…/<experiment>/<run>/artifacts/…`, `…/models/m-<id>/artifacts/…`) are remapped into this root.
 * Unknown names, versions and aliases fail with MLflow's errors; a location that does not exist
 * fails with RESOURCE_DOES_NOT_EXIST.
 *
 * @example
 * ```ts
 * const dir = await resolveModelUri('models:/iris@champion', { trackingUri: './mlruns' });
 * fs.readFileSync(path.join(dir, 'MLmodel'), 'utf8');
 * ```
 */
export async function resolveModelUri(uri: string, options: ResolveModelUriOptions = {}): Promise<string> {
  return (await resolveModelUriDetailed(uri, options)).path;
}

/**
 * {@link resolveModelUri} with the registered model, version and chain of URIs it went through.
 *
 * @example
 * ```ts
 * const r = await resolveModelUriDetailed('models:/iris/latest', { trackingUri: './mlruns' });
 * console.log(r.version, r.path);
 * ```
 */
export async function resolveModelUriDetailed(uri: string, options: ResolveModelUriOptions = {}): Promise<ResolvedModel> {
  const { trackingUri, ...clientOptions } = options;
  const client = new RegistryClient(trackingUri ?? null, clientOptions);
  const out: ResolvedModel = { path: '', name: null, version: null, modelId: null, chain: [] };
  out.path = await resolveInto(uri, asFileStore(client.trackingStore, `Loading '${uri}'`), client.store, out, 0);
  return out;
}

async function resolveInto(
  uri: string,
  tracking: FileStore,
  registry: RegistryStore,
  out: ResolvedModel,
  depth: number,
): Promise<string> {
  if (depth > MAX_DEPTH) throw invalidParameter(`Model URI '${out.chain[0] ?? uri}' does not resolve (too many indirections)`);
  out.chain.push(uri);
  const scheme = uriScheme(uri);
  if (scheme === 'runs') return resolveRunsUri(uri, tracking, out, depth, registry);
  if (scheme === 'models') {
    const parsed = parseModelUri(uri);
    if (parsed.modelId !== null) {
      const model = await tracking.getLoggedModel(parsed.modelId);
      out.modelId = parsed.modelId;
      return resolveLocal(model.artifactLocation, tracking, out);
    }
    let version: string;
    if (parsed.version !== null) version = parsed.version;
    else if (parsed.alias !== null) version = (await registry.getModelVersionByAlias(parsed.name, parsed.alias)).version;
    else {
      // `_get_latest_model_version`
      const latest = await registry.getLatestVersions(parsed.name, parsed.stage === null ? null : [parsed.stage]);
      if (latest.length === 0) {
        const stageStr = parsed.stage === null ? '' : ` and stage '${parsed.stage}'`;
        throw new MlflowError('INTERNAL_ERROR', `No versions of model with name '${parsed.name}'${stageStr} found`);
      }
      version = String(Math.max(...latest.map((v) => Number(v.version))));
    }
    const mv = await registry.getModelVersion(parsed.name, version);
    out.name = mv.name;
    out.version = mv.version;
    if (mv.modelId) out.modelId = mv.modelId;
    const download = await registry.getModelVersionDownloadUri(parsed.name, version);
    return resolveInto(download, tracking, registry, out, depth + 1);
  }
  if (isLocalUri(uri)) return resolveLocal(uri, tracking, out);
  throw invalidParameter(`Model URI '${uri}' uses the '${scheme}' scheme; only runs:/, models:/, file: URIs and paths are supported`);
}

async function resolveRunsUri(
  uri: string,
  tracking: FileStore,
  out: ResolvedModel,
  depth: number,
  registry: RegistryStore,
): Promise<string> {
  const { runId, artifactPath } = parseRunsUri(uri);
  const run = await tracking.getRun(runId);
  const artifactDir = tracking.resolveRunArtifactDir(run.info, runId);
  const parts = artifactPath ? artifactPath.split('/').filter((p) => p !== '') : [];
  if (parts.includes('..')) throw invalidParameter(`Invalid artifact path '${artifactPath}' in '${uri}'`);
  const p = path.join(artifactDir, ...parts);
  if (exists(p)) return p;
  // 3.x: a run's logged model is reachable as runs:/<run>/<model name>/…
  const [modelName, ...rest] = parts;
  if (modelName !== undefined) {
    const models = await tracking.listLoggedModels([run.info.experimentId]);
    const match = models.find((m) => m.name === modelName && m.sourceRunId === runId);
    if (match) {
      const dir = await resolveInto(`models:/${match.modelId}`, tracking, registry, out, depth + 1);
      return rest.length === 0 ? dir : checkExists(path.join(dir, ...rest), uri);
    }
  }
  throw notFound(`No artifacts at '${artifactPath ?? ''}' in run ${runId} ('${p}' does not exist)`);
}

function checkExists(p: string, uri: string): string {
  if (!exists(p)) throw notFound(`Model '${uri}' resolves to '${p}', which does not exist`);
  return p;
}

/** A local location, remapped into this root when it follows the store's layout but is elsewhere. */
async function resolveLocal(location: string, tracking: FileStore, out: ResolvedModel): Promise<string> {
  if (!isLocalUri(location)) {
    throw invalidParameter(`Model location '${location}' is not local; only local artifacts are supported`);
  }
  const p = path.resolve(localFileUriToPath(location));
  // Inside this root: use it. Outside (another machine, or the folder this one was copied or
  // cloned from): prefer this root's own run or logged model when the path follows the layout.
  const root = path.resolve(tracking.root);
  if (p === root || p.startsWith(root + path.sep)) {
    if (exists(p)) return p;
  }
  const posix = p.split(path.sep).join('/');
  // …/models/m-<id>/artifacts[/rest]: a logged model of this root
  const lm = /\/models\/(m-[0-9a-f]+)\/artifacts(\/.*)?$/.exec(posix);
  if (lm) {
    try {
      const model = await tracking.getLoggedModel(lm[1] as string, { allowDeleted: true });
      const expDir = tracking.experimentDir(model.experimentId);
      if (expDir) {
        const q = path.join(expDir, 'models', model.modelId, 'artifacts', ...(lm[2] ?? '').split('/').filter((s) => s !== ''));
        if (exists(q)) return q;
      }
    } catch {
      /* not a logged model here */
    }
  }
  // …/<run id>/artifacts[/rest]: a run of this root
  const run = /\/([^/]+)\/artifacts(\/.*)?$/.exec(posix);
  if (run) {
    try {
      const loc = tracking.runLocation(run[1] as string);
      const q = path.join(loc.runDir, 'artifacts', ...(run[2] ?? '').split('/').filter((s) => s !== ''));
      if (exists(q)) return q;
    } catch {
      /* not a run here */
    }
  }
  if (exists(p)) return p;
  const what = out.name !== null ? `model '${out.name}' version ${out.version}` : `'${out.chain[0] ?? location}'`;
  throw notFound(`The files of ${what} are not here: '${p}' does not exist`, { path: p });
}

/**
 * True when `dir` holds an MLflow Model (an `MLmodel` file).
 *
 * @example
 * ```ts
 * isModelFolder(await resolveModelUri('models:/iris/1')); // true
 * ```
 */
export function isModelFolder(dir: string): boolean {
  return isDirectory(dir) && exists(path.join(dir, 'MLmodel'));
}
