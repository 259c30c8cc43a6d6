/**
 * Opens the stores behind a tracking URI: the backend is chosen by the URI's scheme, and the
 * catalog (the file store's derived search index) is wired in here, above the store layer.
 */
import fs from 'node:fs';
import type { Experiment, PagedList } from '../entities.js';
import { MlflowError } from '../errors.js';
import { catalogEnabled, catalogPath, catalogSearchRuns, openCatalog } from '../catalog/index.js';
import { FileStore } from '../store/file/file-store.js';
import type { FileStoreOptions } from '../store/file/file-store.js';
import { FileRegistryStore } from '../store/file/registry-store.js';
import type { RegistryStore } from '../store/registry-store.js';
import type { RunSearchIndex, TrackingStore } from '../store/tracking-store.js';
import { uriScheme } from '../store/uri.js';
import { RestRegistryStore, RestStore } from '../store/rest/index.js';
import type { RestOptions } from '../store/rest/index.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { SqliteRegistryStore } from '../store/sqlite/registry-store.js';

/**
 * Options of the stores a client opens: those of the file store, and how it uses the catalog.
 *
 * @example
 * ```ts
 * new MlflowClient('./mlruns', { profile: 'mlflow3', catalog: 'on', onWarning: (w) => log(w.message) });
 * ```
 */
export interface StoreOptions extends Omit<FileStoreOptions, 'searchIndex'> {
  /**
   * The search catalog of a file store (a derived SQLite index outside the root, see
   * `src/catalog`): `auto` (default) uses it when one exists for this root (`mlruns watch`,
   * `mlruns catalog build` or `catalog: 'on'` built it), `on` builds it on the first search, `off`
   * always scans the files. `MLRUNS_CATALOG=off|on` overrides `auto`.
   */
  catalog?: 'auto' | 'on' | 'off';
  /** Folder of the catalogs (default `MLRUNS_CATALOG_DIR`, else the user's cache folder). */
  catalogDir?: string;
  /** The model registry's URI (default `MLFLOW_REGISTRY_URI`, else the tracking URI). */
  registryUri?: string | null;
  /**
   * Where a `sqlite:` store's new experiments put their artifacts (MLflow's
   * `default_artifact_root`): default `./mlruns` against the working folder, as Python does.
   */
  artifactRoot?: string;
  /**
   * How to reach an `http(s):` tracking server: credentials, TLS, retries and timeout (default:
   * MLflow's environment variables, `MLFLOW_TRACKING_TOKEN`, `MLFLOW_HTTP_REQUEST_MAX_RETRIES`...).
   */
  rest?: RestOptions;
}

/** The schemes a tracking URI may use, with what each opens (for error messages). */
const SCHEMES: ReadonlyArray<readonly [scheme: string, what: string]> = [
  ['file', "MLflow's file store: a folder path or a file: URI (./mlruns, file:///abs/mlruns)"],
  ['http', 'an MLflow tracking server (http://host:5000)'],
  ['https', 'an MLflow tracking server over TLS (https://host)'],
  ['sqlite', "MLflow's SQL store in an SQLite database (sqlite:///mlflow.db, sqlite:////abs/mlflow.db)"],
];

/** The tracking URI schemes this build opens, e.g. `['file']`. */
export function supportedSchemes(): string[] {
  return SCHEMES.map(([s]) => s);
}

function unsupported(uri: string, what: 'tracking' | 'registry'): MlflowError {
  const list = SCHEMES.map(([s, w]) => `  ${s}: ${w}`).join('\n');
  return new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `The ${what} URI '${uri}' uses the scheme '${uriScheme(uri)}', which mlruns cannot open. Supported:\n${list}`,
  );
}

/**
 * Throws a clear error naming the supported schemes when no backend opens `uri`.
 *
 * @example
 * ```ts
 * checkTrackingUri('./mlruns');            // fine
 * checkTrackingUri('gopher://host/x');     // throws INVALID_PARAMETER_VALUE listing the schemes
 * ```
 */
export function checkTrackingUri(uri: string, what: 'tracking' | 'registry' = 'tracking'): void {
  const scheme = uriScheme(uri) || 'file';
  if (!SCHEMES.some(([s]) => s === scheme)) throw unsupported(uri, what);
}

/** The catalog mode in force: the option, else `MLRUNS_CATALOG` (`on`/`off`), else `auto`. */
export function catalogMode(option: StoreOptions['catalog'], env: NodeJS.ProcessEnv = process.env): 'auto' | 'on' | 'off' {
  if (option === 'off' || !catalogEnabled({}, env)) return 'off';
  if (option) return option;
  return (env['MLRUNS_CATALOG'] ?? '').toLowerCase() === 'on' ? 'on' : 'auto';
}

/** The catalog of a file store as its run-search index (opened on the first search). */
function catalogIndex(options: StoreOptions): ((store: FileStore) => RunSearchIndex | null) | undefined {
  const mode = catalogMode(options.catalog);
  if (mode === 'off') return undefined;
  const where = options.catalogDir ? { dir: options.catalogDir } : {};
  return (store) => {
    // The path once (a realpath and a hash): openCatalog is given it.
    const file = catalogPath(store.root, where);
    if (mode === 'auto' && !fs.existsSync(file)) return null;
    const catalog = openCatalog(store.root, { ...where, path: file });
    return {
      searchRuns: (experimentIds, searchOptions) => catalogSearchRuns(catalog, store, experimentIds, searchOptions),
      close: () => catalog.close(),
    };
  };
}

/**
 * The tracking store of a URI (the scheme picks the backend), with the catalog wired in for a
 * file store.
 *
 * @example
 * ```ts
 * const store = openTrackingStore('./mlruns', { catalog: 'on' });
 * await store.searchRuns(['0'], { filterString: 'metrics.loss < 0.5' });
 * ```
 */
export function openTrackingStore(uri: string, options: StoreOptions = {}): TrackingStore {
  const scheme = uriScheme(uri);
  if (scheme === '' || scheme === 'file') {
    const { catalog: _catalog, catalogDir: _dir, registryUri: _registry, artifactRoot: _root, ...fileOptions } = options;
    const searchIndex = catalogIndex(options);
    return new FileStore(uri, { ...fileOptions, ...(searchIndex ? { searchIndex } : {}) });
  }
  if (scheme === 'sqlite') {
    return new SqliteStore(uri, {
      ...(options.artifactRoot ? { artifactRoot: options.artifactRoot } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.strict !== undefined ? { strict: options.strict } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }
  if (scheme === 'http' || scheme === 'https') return new RestStore(uri, options.rest ?? {});
  throw unsupported(uri, 'tracking');
}

/**
 * The registry store of a URI (MLflow defaults the registry URI to the tracking URI). `tracking`
 * is the tracking store the registry resolves logged models with (`models:/m-<id>` sources).
 *
 * @example
 * ```ts
 * const tracking = openTrackingStore('./mlruns');
 * const registry = openRegistryStore('./mlruns', tracking);
 * await registry.searchRegisteredModels({ filterString: "name LIKE 'iris%'" });
 * ```
 */
export function openRegistryStore(uri: string, tracking: TrackingStore, options: StoreOptions = {}): RegistryStore {
  const scheme = uriScheme(uri);
  if (scheme === '' || scheme === 'file') {
    const file = tracking instanceof FileStore ? tracking : undefined;
    const profile = options.profile ?? file?.profile;
    const strict = options.strict ?? file?.strict;
    return new FileRegistryStore(uri, {
      ...(profile ? { profile } : {}),
      ...(strict !== undefined ? { strict } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.now ? { now: options.now } : {}),
      loggedModels: tracking,
    });
  }
  if (scheme === 'sqlite') {
    const shared = tracking instanceof SqliteStore && tracking.trackingUri === uri ? tracking : undefined;
    return new SqliteRegistryStore(shared ?? uri, {
      ...(options.now ? { now: options.now } : {}),
      loggedModels: tracking,
    });
  }
  if (scheme === 'http' || scheme === 'https') {
    // One connection pool when the registry is the tracking server itself.
    if (tracking instanceof RestStore && tracking.trackingUri === sameServer(uri)) {
      return new RestRegistryStore(tracking.conn, tracking);
    }
    return new RestRegistryStore(uri, tracking, options.rest ?? {});
  }
  throw unsupported(uri, 'registry');
}

/** An http(s) URI as a RestStore names it (no credentials, no trailing slash). */
function sameServer(uri: string): string {
  try {
    const u = new URL(uri);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return uri;
  }
}

/** The registry URI in force: the option, else `MLFLOW_REGISTRY_URI`, else the tracking URI. */
export function resolveRegistryUri(trackingUri: string, registryUri?: string | null): string {
  return registryUri || process.env['MLFLOW_REGISTRY_URI'] || trackingUri;
}

/**
 * The file store behind a client, for what only a `mlruns/` folder has (`gc`, `doctor`, folder
 * paths); a clear error naming the store otherwise.
 *
 * @example
 * ```ts
 * const store = asFileStore(client.store, 'mlruns gc');
 * store.root; // '/abs/mlruns'
 * ```
 */
export function asFileStore(store: TrackingStore, what: string): FileStore {
  if (store instanceof FileStore) return store;
  throw new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `${what} works on MLflow's file store (a mlruns/ folder); '${store.trackingUri}' is a ${uriScheme(store.trackingUri)} store`,
  );
}

/** Every experiment of a view, all pages read. */
export async function allExperiments(store: TrackingStore, viewType: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL'): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let pageToken: string | null = null;
  do {
    const page: PagedList<Experiment> = await store.searchExperiments({ viewType, maxResults: 50000, pageToken });
    out.push(...page.items);
    pageToken = page.token;
  } while (pageToken);
  return out;
}
