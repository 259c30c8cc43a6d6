import fs from 'node:fs';
import path from 'node:path';
import type {
  Dataset,
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelInput,
  LoggedModelOutput,
  LoggedModelStatus,
  Metric,
  PagedList,
  Param,
  Run,
  RunInfo,
  RunStatus,
  RunTag,
  ViewType,
} from '../../entities.js';
import { MlflowError, invalidParameter, invalidState, notFound, alreadyExists } from '../../errors.js';
import type { ReadWarning, WarningCode } from '../../errors.js';
import { dumpYaml } from '../../format/yaml.js';
import { pyJson } from '../../format/json.js';
import type { YamlMap } from '../../format/yaml.js';
import {
  formatMetricLine,
  formatModelMetricLine,
  latestModelMetrics,
  parseModelMetricFile,
  parseRunMetricFile,
} from '../../format/metric-line.js';
import {
  validateBatchLogData,
  validateBatchLogLimits,
  validateExperimentArtifactLocation,
  validateExperimentId,
  validateExperimentName,
  validateExperimentTag,
  validateLoggedModelName,
  validateMetric,
  validateMetricName,
  validateParam,
  validateParamKeysUnique,
  validateParamName,
  validateRunId,
  validateTagName,
} from '../../format/validation.js';
import { generateExperimentId, generateRunName, md5Hex, newLoggedModelId, newRunId } from '../../format/names.js';
import { searchExperimentsInMemory, searchRunsInMemory } from '../../search/index.js';
import { createPageToken, paginate, parseStartOffset } from '../../search/paging.js';
import type {
  CreateLoggedModelArgs,
  CreateRunArgs,
  SearchExperimentsOptions,
  RunSearchIndex,
  SearchRunsOptions,
  TrackingStore,
} from '../tracking-store.js';
import { appendToUriPath, isLocalUri, localFileUriToPath, pathToLocalFileUri, resolveUriIfLocal, trackingUriToPath } from '../uri.js';
import {
  appendText,
  isDirectory,
  isFile,
  linkStaysWithin,
  listDir,
  listSubdirs,
  mkdirNew,
  mkdirp,
  readTextIfExists,
  readLineChunks,
  fileSize,
  removeFile,
  rename,
  safeJoin,
  walkFiles,
  writeFileAtomic,
  createFileInPlace,
  writeFileExclusive,
  exists,
} from './fs.js';
import {
  experimentFromDict,
  experimentToDict,
  loggedModelFromDict,
  loggedModelToDict,
  runInfoToDict,
} from './records.js';
import type { WriteProfile, YamlDict } from './records.js';
import { WarningSink } from '../warnings.js';
import type { ArtifactRepository } from '../artifact-repository.js';
import { LocalArtifactRepository } from './artifacts.js';
import { resolveLocation } from '../portable.js';
import { MAX_META_BYTES } from './meta-read.js';
import { AppendHandles } from './append-handles.js';
import {
  DEFAULT_EXPERIMENT_ID,
  EXPERIMENT_ID_RE,
  META,
  MODELS,
  REQUIRED_RUN_FOLDERS,
  RESERVED_EXPERIMENT_FOLDERS,
  TRASH,
  experimentFolderOf,
  isExperimentFolder,
  listFolders,
  listRunFolders,
  directoryOrder,
} from './layout.js';
import { METRIC_CHUNK_THRESHOLD, RUN_NAME_TAG, deletedTimeOf, readMeta, readRunFolder, readYaml, runInfoOf } from './run-folder.js';
import type { ReadContext, RunWarning } from './run-folder.js';



export { TRASH, META, MODELS, RESERVED_EXPERIMENT_FOLDERS, DEFAULT_EXPERIMENT_ID } from './layout.js';
export { MAX_META_BYTES };
export { METRIC_CHUNK_THRESHOLD, RUN_NAME_TAG } from './run-folder.js';
export const LOGGED_MODELS_TAG = 'mlflow.log-model.history';

/**
 * Options of a {@link FileStore}.
 *
 * @example
 * ```ts
 * const store = new FileStore('./mlruns', { profile: 'compat', strict: false, onWarning: (w) => console.warn(w.message) });
 * ```
 */
export interface FileStoreOptions {
  /** What to write: `compat` (default, read by MLflow 1.x-3.x) or `mlflow3` (bytes of the newest 3.x). */
  profile?: WriteProfile;
  /** Throw on damaged data instead of skipping it with a warning. */
  strict?: boolean;
  /**
   * Called for every problem met while reading (deduplicated per path and kind). Without it,
   * the first problem of each kind is emitted as a Node warning (`process.emitWarning`, type
   * `MlflowWarning`), once per process; `client.warnings` keeps the recent ones either way.
   */
  onWarning?: (warning: ReadWarning) => void;
  /** Artifact root for new experiments; default: the root itself (as a `file:` URI when the root was given as one). */
  artifactRootUri?: string;
  /** Clock in ms, for tests that pin time. */
  now?: () => number;
  /** fsync every whole-file write before its rename (default false: durable against process crashes, as MLflow). */
  fsync?: boolean;
  /**
   * Opens the derived index that answers run searches (the catalog: `MlflowClient` wires it in
   * from its `catalog` option). Called once, on the first search of an existing root; null (or
   * no factory) scans the files.
   */
  searchIndex?: (store: FileStore) => RunSearchIndex | null;
  /** Id and name sources, for tests that pin them (default: MLflow's random ones). */
  ids?: Partial<IdSource>;
}

/** Options of {@link FileStore.readRun}. */
export interface ReadRunOptions {
  /** Read the metric files (default true); false leaves `data.metrics` empty. */
  metrics?: boolean;
}

/** Where new ids and generated names come from. */
export interface IdSource {
  experimentId(): string;
  runId(): string;
  loggedModelId(): string;
  runName(): string;
}

const DEFAULT_IDS: IdSource = {
  experimentId: generateExperimentId,
  runId: newRunId,
  loggedModelId: newLoggedModelId,
  runName: generateRunName,
};


interface RunLocation {
  experimentId: string;
  experimentDir: string;
  runDir: string;
}

/** The (device, inode, size, mtime, ctime) of a file: any rewrite, move or replacement changes it. */
interface FileSignature {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const signatureOf = (st: fs.Stats): FileSignature => ({ dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });

const sameSignature = (st: fs.Stats, sig: FileSignature): boolean =>
  st.ino === sig.ino && st.dev === sig.dev && st.size === sig.size && st.mtimeMs === sig.mtimeMs && st.ctimeMs === sig.ctimeMs;

/**
 * A run as last validated for writes: its folder and the info read from its meta.yaml, valid for
 * as long as `stat(meta.yaml)` gives the same signature (every meta rewrite, by us or Python, is
 * a new file; a run moved to `.trash` or removed has no meta.yaml at the old path).
 */
interface KnownRun {
  info: RunInfo;
  loc: RunLocation;
  metaPath: string;
  sig: FileSignature;
  /** Metric key → its file's path (safeJoin'ed once). */
  metricPaths: Map<string, string>;
  /** True once the run's required sub-folders were seen (or made): later writes skip the stats. */
  foldersChecked?: boolean;
  /** The paths of {@link FileStore.createValueFast} for `params` and `tags` (made on first use). */
  valueDirs?: { params: ValueDirPaths; tags: ValueDirPaths };
}

/**
 * A run's `params` or `tags` folder as the fast create path uses it: `prefix` + key is the file
 * of a key without '/' (what safeJoin gives for it), `probe` is `<run>/<sub>/../meta.yaml`.
 */
interface ValueDirPaths {
  prefix: string;
  probe: string;
}

/**
 * Whether `<folder>/../meta.yaml` is resolved by the kernel after following `<folder>` (POSIX),
 * so one stat of it also proves that `<folder>` leads back into the run folder. Windows resolves
 * '..' in the path text first: the fast path is not taken there.
 */
const DOTDOT_FOLLOWS_LINKS = process.platform !== 'win32';

/** Runs remembered for writes at most (a bound on memory, not on correctness). */
const KNOWN_RUNS_MAX = 1024;

/**
 * MLflow's file store (`mlruns/`), read and written as Python MLflow does.
 *
 * @example
 * ```ts
 * const store = new FileStore('./mlruns');
 * const expId = await store.createExperiment('demo');
 * const run = await store.createRun({ experimentId: expId, userId: 'me', startTime: Date.now(), tags: [] });
 * await store.logMetric(run.info.runId, { key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 });
 * ```
 */
export class FileStore implements TrackingStore {
  readonly root: string;
  readonly trashFolder: string;
  readonly artifactRootUri: string;
  readonly profile: WriteProfile;
  readonly strict: boolean;
  private readonly sink: WarningSink;
  private readonly now: () => number;
  private readonly ids: IdSource;
  private readonly runDirCache = new Map<string, RunLocation>();
  private readonly metaCache = new Map<string, { sig: FileSignature; value: unknown }>();
  /** Runs validated for writes, checked with one stat of their meta.yaml per call. */
  private readonly knownRuns = new Map<string, KnownRun>();
  /** Open append descriptors of recently used metric files (one `write` per logged point). */
  private readonly appendHandles = new AppendHandles();
  private readonly fsync: boolean;
  readonly trackingUri: string;
  private readonly searchIndexFactory: ((store: FileStore) => RunSearchIndex | null) | undefined;
  private searchIndexHandle: RunSearchIndex | null | undefined;

  constructor(rootUri: string, options: FileStoreOptions = {}) {
    this.root = trackingUriToPath(rootUri);
    this.trashFolder = path.join(this.root, TRASH);
    this.profile = options.profile ?? 'compat';
    this.strict = options.strict ?? false;
    this.sink = new WarningSink({ strict: this.strict, onWarning: options.onWarning });
    this.now = options.now ?? Date.now;
    this.ids = { ...DEFAULT_IDS, ...options.ids };
    this.fsync = options.fsync ?? false;
    this.trackingUri = rootUri;
    this.searchIndexFactory = options.searchIndex;
    if (options.artifactRootUri) this.artifactRootUri = resolveUriIfLocal(options.artifactRootUri);
    else this.artifactRootUri = rootUri.startsWith('file:') ? pathToLocalFileUri(this.root) : this.root.split(path.sep).join('/');
  }

  private realRootCache: string | undefined;

  /** The root with symlinks resolved (the root itself may be a link: that is the user's choice). */
  private realRoot(): string {
    if (this.realRootCache === undefined) {
      try {
        this.realRootCache = fs.realpathSync(this.root);
      } catch {
        return path.resolve(this.root); // not created yet: nothing below it to follow
      }
    }
    return this.realRootCache;
  }

  /**
   * False when `p` leaves the root through a symlink met below `base` (a folder already checked,
   * default the root). A link planted in a store (a shared or cloned mlruns/) must not make us
   * read or write files outside it; links that stay inside are followed as MLflow follows them.
   */
  private staysInside(p: string, base: string = this.root): boolean {
    return this.walkInside(p, base).inside;
  }

  /**
   * {@link staysInside}, also returning what the walk saw of `p`: `existing` is the stat of
   * `p` when it is a plain file or folder (null: missing, undefined: a link, not followed here)
   * and `parentExists` whether its folder exists (so a writer can skip creating it).
   */
  private walkInside(p: string, base: string): { inside: boolean; existing: fs.Stats | null | undefined; parentExists: boolean } {
    const rel = path.relative(base, p);
    if (rel === '') return { inside: true, existing: undefined, parentExists: true };
    const parts = rel.split(path.sep);
    let cur = base;
    let existing: fs.Stats | undefined;
    for (let i = 0; i < parts.length; i++) {
      cur = path.join(cur, parts[i] as string);
      const st = fs.lstatSync(cur, { throwIfNoEntry: false });
      // Missing from here on: nothing to follow.
      if (!st) return { inside: true, existing: null, parentExists: i === parts.length - 1 };
      if (st.isSymbolicLink()) {
        if (!linkStaysWithin(cur, this.realRoot())) return { inside: false, existing: undefined, parentExists: true };
        existing = undefined;
      } else existing = st;
    }
    return { inside: true, existing: existing?.isSymbolicLink() ? undefined : existing, parentExists: true };
  }

  /** Throws when a write to `p` would go through a symlink leading outside the root. */
  private checkWritable(p: string, base?: string): void {
    if (!this.staysInside(p, base)) throw this.refuseWrite(p);
  }

  private refuseWrite(p: string): MlflowError {
    return invalidParameter(`Refusing to write '${p}': a symbolic link leads outside the store '${this.root}'`);
  }

  get warnings(): readonly ReadWarning[] {
    return this.sink.warnings;
  }

  /** Records a problem with damaged data; throws instead in strict mode. */
  protected warn(code: WarningCode, p: string, message: string): void {
    this.sink.warn(code, p, message);
  }

  /**
   * Reports a problem found while reading this root on the store's behalf (the catalog passes
   * on what its reads of the root found): deduplicated with the store's own warnings, passed to
   * `onWarning`, kept in {@link warnings}.
   *
   * @example
   * ```ts
   * store.noteWarning('EMPTY_META', '/r/0/abc/meta.yaml', "Run 'abc' has an empty meta.yaml");
   * ```
   */
  noteWarning(code: WarningCode, p: string, message: string): void {
    this.sink.warn(code, p, message);
  }

  // ---------------------------------------------------------------- init

  /**
   * Creates the root (with the Default experiment, as MLflow does for a new root) and `.trash`.
   *
   * @example
   * ```ts
   * const store = new FileStore('./mlruns');
   * store.ensureRoot(); // ./mlruns/0/meta.yaml and ./mlruns/.trash exist
   * ```
   */
  ensureRoot(): void {
    if (!exists(this.root)) {
      mkdirp(this.root);
      this.createExperimentWithId('Default', DEFAULT_EXPERIMENT_ID, null, []);
    }
    if (!isDirectory(this.root)) throw invalidParameter(`Tracking root '${this.root}' is not a directory.`);
    if (!exists(this.trashFolder)) mkdirp(this.trashFolder);
  }

  /**
   * Reads a YAML file; `undefined` when missing, `null` when empty. Throws MALFORMED_DATA when unparsable.
   *
   * @example
   * ```ts
   * const meta = store.readYaml(path.join(store.root, '0', 'meta.yaml'));
   * ```
   */
  readYaml(p: string): unknown {
    return readYaml(p);
  }

  /**
   * A run's meta.yaml for the write path, cached by (inode, size, mtime): every meta rewrite is a
   * rename of a new file, so a changed file always has a new inode.
   */
  private readRunMetaCached(p: string): unknown {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      this.metaCache.delete(p);
      return undefined;
    }
    const hit = this.metaCache.get(p);
    if (hit && sameSignature(st, hit.sig)) return hit.value;
    const value = this.readYaml(p);
    if (this.metaCache.size > 10_000) this.metaCache.clear();
    this.metaCache.set(p, { sig: signatureOf(st), value });
    return value;
  }

  private writeYaml(p: string, data: YamlDict, mode: 'new' | 'overwrite'): void {
    const text = dumpYaml(data as YamlMap);
    if (mode === 'new') writeFileExclusive(p, text);
    else writeFileAtomic(p, text, { fsync: this.fsync });
  }

  // ---------------------------------------------------------------- experiments: layout

  private activeExperimentIds(): string[] {
    return listFolders(this.root)
      .map((f) => f.name)
      .filter((name) => isExperimentFolder('root', name));
  }

  private deletedExperimentIds(): string[] {
    return listFolders(this.trashFolder)
      .map((f) => f.name)
      .filter((name) => isExperimentFolder('trash', name));
  }

  /**
   * `_get_experiment_path`: the folder of an experiment, active first, then in `.trash`.
   *
   * @example
   * ```ts
   * const dir = store.experimentDir(expId); // '/abs/mlruns/<id>' or under .trash
   * ```
   */
  experimentDir(experimentId: string, view: ViewType = 'ALL'): string | undefined {
    return experimentFolderOf(this.root, experimentId, view);
  }

  private readTagsFolder(dir: string, kind: string): Record<string, string> {
    const tagsDir = path.join(dir, 'tags');
    const tags: Record<string, string> = {};
    if (!this.staysInside(tagsDir, dir)) {
      this.warn('STRAY_ENTRY', tagsDir, `Ignoring '${tagsDir}': a symbolic link leading outside the store`);
      return tags;
    }
    for (const key of walkFiles(tagsDir, this.realRoot()).sort()) {
      if (!this.isValidKey(key)) {
        this.warn('STRAY_ENTRY', path.join(tagsDir, key), `Ignoring ${kind} tag file with an invalid name '${key}'`);
        continue;
      }
      const value = readTextIfExists(path.join(tagsDir, key));
      if (value !== undefined) tags[key] = value;
    }
    return tags;
  }

  private isValidKey(key: string): boolean {
    try {
      validateTagName(key);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * `_get_experiment`: reads one experiment folder; undefined (with a warning) when it is damaged.
   */
  private readExperimentAt(dir: string, dirId: string): Experiment | undefined {
    if (!EXPERIMENT_ID_RE.test(dirId)) {
      this.warn('INVALID_ID', dir, `Ignoring '${dir}': '${dirId}' is not a valid experiment id`);
      return undefined;
    }
    if (!this.staysInside(dir)) {
      this.warn('STRAY_ENTRY', dir, `Ignoring experiment folder '${dir}': a symbolic link leading outside the store`);
      return undefined;
    }
    const metaPath = path.join(dir, META);
    let meta: unknown;
    try {
      meta = this.readYaml(metaPath);
    } catch (err) {
      this.warn('MALFORMED_META', metaPath, `Malformed experiment '${dirId}': ${(err as Error).message}`);
      return undefined;
    }
    if (meta === undefined) {
      this.warn('MISSING_META', dir, `Malformed experiment '${dirId}': no meta.yaml in '${dir}'`);
      return undefined;
    }
    if (meta === null) {
      this.warn('EMPTY_META', metaPath, `Experiment ${dirId} is invalid with empty meta.yaml in directory '${dir}'`);
      return undefined;
    }
    const read = experimentFromDict(meta, this.readTagsFolder(dir, 'experiment'));
    if (!read.ok) {
      this.warn('MALFORMED_META', metaPath, `Malformed experiment '${dirId}': ${read.reason}`);
      return undefined;
    }
    const exp = read.value;
    if (exp.experimentId !== dirId) {
      this.warn(
        'ID_MISMATCH',
        metaPath,
        `Experiment ID mismatch for exp ${dirId}. ID recorded as '${exp.experimentId}' in meta data. Experiment will be ignored.`,
      );
      return undefined;
    }
    if (exp.lifecycleStage !== 'active' && exp.lifecycleStage !== 'deleted') {
      this.warn('MALFORMED_META', metaPath, `Experiment '${dirId}' has an invalid lifecycle_stage '${exp.lifecycleStage}'`);
    }
    const inTrash = path.dirname(dir) === this.trashFolder;
    if (inTrash && exp.lifecycleStage === 'active') {
      // Deleted by MLflow <= 2.2, which moved the folder but kept 'active' in meta.yaml and
      // derived the stage from the location. We read it as those versions did: deleted.
      this.warn(
        'LIFECYCLE_CONFLICT',
        metaPath,
        `Experiment '${dirId}' is in .trash but its meta.yaml says 'active' (deleted by MLflow <= 2.2); read as deleted`,
      );
      return { ...exp, lifecycleStage: 'deleted' };
    }
    return exp;
  }

  /**
   * All readable experiments of a view, damaged ones skipped with a warning.
   *
   * @example
   * ```ts
   * const names = store.listExperiments('ALL').map((e) => e.name);
   * ```
   */
  listExperiments(view: ViewType = 'ACTIVE_ONLY'): Experiment[] {
    const out: Experiment[] = [];
    if (!isDirectory(this.root)) return out;
    if (view !== 'DELETED_ONLY') {
      for (const id of this.activeExperimentIds()) {
        const e = this.readExperimentAt(path.join(this.root, id), id);
        if (e) out.push(e);
      }
    }
    if (view !== 'ACTIVE_ONLY') {
      for (const id of this.deletedExperimentIds()) {
        // `_get_experiment(id, view)` looks in the root first for ALL: a duplicate id reads the active one.
        const dir = this.experimentDir(id, view) ?? path.join(this.trashFolder, id);
        const e = this.readExperimentAt(dir, id);
        if (e) out.push(e);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- experiments: API

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<PagedList<Experiment>> {
    const view = options.viewType ?? 'ACTIVE_ONLY';
    return searchExperimentsInMemory(this.listExperiments(view), {
      filterString: options.filterString ?? null,
      orderBy: options.orderBy ?? null,
      maxResults: options.maxResults ?? 1000,
      pageToken: options.pageToken ?? null,
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.getExperimentSync(experimentId);
  }

  /**
   * An experiment by id, read synchronously (for tools that cannot await).
   *
   * @example
   * ```ts
   * const exp = store.getExperimentSync('0'); // the Default experiment
   * ```
   */
  getExperimentSync(experimentId: string | null | undefined): Experiment {
    const id = experimentId ?? DEFAULT_EXPERIMENT_ID;
    validateExperimentId(id);
    const dir = this.experimentDir(id);
    if (!dir) throw notFound(`Could not find experiment with ID ${id}`);
    const exp = this.readExperimentAt(dir, id);
    if (!exp) throw notFound(`Experiment '${id}' does not exist.`);
    return exp;
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.findExperimentByName(name) ?? null;
  }

  private findExperimentByName(name: string): Experiment | undefined {
    return this.listExperiments('ALL').find((e) => e.name === name);
  }

  private validateExperimentDoesNotExist(name: string): void {
    const existing = this.findExperimentByName(name);
    if (!existing) return;
    if (existing.lifecycleStage === 'deleted') {
      throw alreadyExists(
        `Experiment '${existing.name}' already exists in deleted state. You can restore the experiment, or permanently delete the experiment from the .trash folder (under tracking server's root folder) in order to use this experiment name again.`,
      );
    }
    throw alreadyExists(`Experiment '${existing.name}' already exists.`);
  }

  async createExperiment(name: string, artifactLocation?: string | null, tags: RunTag[] = []): Promise<string> {
    validateExperimentName(name);
    if (artifactLocation) validateExperimentArtifactLocation(artifactLocation);
    for (const t of tags) validateExperimentTag(t.key, t.value);
    this.ensureRoot();
    this.validateExperimentDoesNotExist(name);
    for (let attempt = 0; ; attempt++) {
      const id = this.ids.experimentId();
      if (exists(path.join(this.root, id)) || exists(path.join(this.trashFolder, id))) {
        if (attempt < 10) continue;
      }
      return this.createExperimentWithId(name, id, artifactLocation ?? null, tags);
    }
  }

  private createExperimentWithId(name: string, id: string, artifactLocation: string | null, tags: RunTag[]): string {
    const artifactUri = artifactLocation ? resolveUriIfLocal(artifactLocation) : appendToUriPath(this.artifactRootUri, id);
    const dir = path.join(this.root, id);
    if (!mkdirNew(dir)) throw alreadyExists(`Experiment with ID ${id} already exists.`);
    const t = this.now();
    const exp: Experiment = {
      experimentId: id,
      name,
      artifactLocation: artifactUri,
      lifecycleStage: 'active',
      tags: {},
      creationTime: t,
      lastUpdateTime: t,
    };
    // Tags first, meta.yaml last: a reader never sees a half-created experiment.
    for (const tag of tags) this.writeValueFile(path.join(dir, 'tags'), tag.key, tag.value);
    this.writeYaml(path.join(dir, META), experimentToDict(exp, this.profile), 'new');
    return id;
  }

  private rewriteExperimentMeta(dir: string, exp: Experiment): void {
    const metaPath = path.join(dir, META);
    let previous: YamlDict | null = null;
    try {
      const prev = this.readYaml(metaPath);
      if (prev && typeof prev === 'object' && !Array.isArray(prev)) previous = prev as YamlDict;
    } catch {
      previous = null;
    }
    this.writeYaml(metaPath, experimentToDict(exp, this.profile, { withTags: true, previous }), 'overwrite');
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    if (String(experimentId) === DEFAULT_EXPERIMENT_ID) {
      throw new MlflowError(
        'INTERNAL_ERROR',
        `Cannot delete the default experiment '${DEFAULT_EXPERIMENT_ID}'. This is an internally reserved experiment.`,
      );
    }
    validateExperimentId(experimentId);
    const dir = this.experimentDir(experimentId, 'ACTIVE_ONLY');
    if (!dir) throw notFound(`Could not find experiment with ID ${experimentId}`);
    const exp = this.getExperimentSync(experimentId);
    const target = path.join(this.trashFolder, experimentId);
    if (exists(target)) {
      throw alreadyExists(`Cannot delete experiment ${experimentId}: '${target}' already exists in .trash.`);
    }
    const t = this.now();
    for (const { info, runDir } of this.listRunInfos(experimentId, dir, 'ACTIVE_ONLY')) {
      this.writeRunInfo(runDir, { ...info, lifecycleStage: 'deleted' }, t);
    }
    this.rewriteExperimentMeta(dir, { ...exp, lifecycleStage: 'deleted', lastUpdateTime: t });
    mkdirp(this.trashFolder);
    rename(dir, target);
    this.forgetRuns();
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    validateExperimentId(experimentId);
    const dir = this.experimentDir(experimentId, 'DELETED_ONLY');
    if (!dir) throw notFound(`Could not find deleted experiment with ID ${experimentId}`);
    if (this.experimentDir(experimentId, 'ACTIVE_ONLY')) {
      throw alreadyExists(`Cannot restore experiment with ID ${experimentId}. An experiment with same ID already exists.`);
    }
    const target = path.join(this.root, experimentId);
    rename(dir, target);
    this.forgetRuns();
    const exp = this.getExperimentSync(experimentId);
    const t = this.now();
    for (const { info, runDir } of this.listRunInfos(experimentId, target, 'DELETED_ONLY')) {
      this.writeRunInfo(runDir, { ...info, lifecycleStage: 'active' });
    }
    this.rewriteExperimentMeta(target, { ...exp, lifecycleStage: 'active', lastUpdateTime: t });
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    const exp = this.getExperimentSync(experimentId);
    this.validateExperimentDoesNotExist(newName);
    if (exp.lifecycleStage !== 'active') {
      throw invalidState(`Cannot rename experiment in non-active lifecycle stage. Current stage: ${exp.lifecycleStage}`);
    }
    const dir = this.experimentDir(experimentId) as string;
    this.rewriteExperimentMeta(dir, { ...exp, name: newName, lastUpdateTime: this.now() });
  }

  async setExperimentTag(experimentId: string, tag: RunTag): Promise<void> {
    validateExperimentTag(tag.key, tag.value);
    const exp = this.getExperimentSync(experimentId);
    if (exp.lifecycleStage !== 'active') {
      throw invalidParameter(`The experiment ${exp.experimentId} must be in the 'active' lifecycle_stage to set tags`);
    }
    this.writeValueFile(path.join(this.experimentDir(experimentId) as string, 'tags'), tag.key, tag.value);
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const exp = this.getExperimentSync(experimentId);
    if (exp.lifecycleStage !== 'active') {
      throw invalidParameter(`The experiment ${exp.experimentId} must be in the 'active' lifecycle_stage to delete tags`);
    }
    validateTagName(key);
    const p = safeJoin(path.join(this.experimentDir(experimentId) as string, 'tags'), key);
    if (!isFile(p)) throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    removeFile(p);
  }

  /**
   * Writes a param/tag value file (`<dir>/<key>`, key may hold '/'): exact bytes, no newline.
   * `base` is a folder already checked (default the root): the symlink check walks from there.
   */
  private writeValueFile(dir: string, key: string, value: string, base: string = this.root): void {
    const p = safeJoin(dir, key);
    const seen = this.walkInside(p, base);
    if (!seen.inside) throw this.refuseWrite(p);
    this.writeValueAt(p, dir, value, seen);
  }

  /** The write of {@link writeValueFile} once `p` is checked (`seen`: what the check saw of it). */
  private writeValueAt(p: string, dir: string, value: string, seen: { existing: fs.Stats | null | undefined; parentExists: boolean }): void {
    if (!seen.parentExists) mkdirp(path.dirname(p));
    // The temp file goes to the folder holding `dir` (run, experiment, model), never into it.
    writeFileAtomic(p, value, { fsync: this.fsync, tmpDir: path.dirname(dir), current: seen.existing });
  }

  // ---------------------------------------------------------------- runs: layout and reading

  /**
   * `_list_run_infos`: the readable runs of one experiment folder matching a view.
   *
   * @example
   * ```ts
   * const dir = store.experimentDir(expId)!;
   * const infos = store.listRunInfos(expId, dir, 'ACTIVE_ONLY').map((r) => r.info);
   * ```
   */
  listRunInfos(experimentId: string, experimentDir: string, view: ViewType): { info: RunInfo; runDir: string }[] {
    return this.listRunMetas(experimentId, experimentDir, view).map(({ info, runDir }) => ({ info, runDir }));
  }

  /**
   * {@link listRunInfos} with each run's `deleted_time` (null when its meta.yaml has none): what
   * `gc` selects deleted runs by.
   *
   * @example
   * ```ts
   * store.listRunMetas('1', store.experimentDir('1')!, 'DELETED_ONLY').filter((r) => (r.deletedTime ?? 0) < cutoff);
   * ```
   */
  listRunMetas(experimentId: string, experimentDir: string, view: ViewType): { info: RunInfo; runDir: string; deletedTime: number | null }[] {
    const out: { info: RunInfo; runDir: string; deletedTime: number | null }[] = [];
    const experimentOutside = !this.staysInside(experimentDir);
    for (const folder of listRunFolders(experimentDir, this.realRoot(), experimentOutside)) {
      const runDir = path.join(experimentDir, folder.name);
      if (folder.outside) {
        this.warn('STRAY_ENTRY', runDir, `Ignoring run folder '${runDir}': a symbolic link leading outside the store`);
        continue;
      }
      const meta = readMeta(path.join(runDir, META));
      const info = this.runInfoFrom(runDir, experimentId, meta, true);
      if (!info) continue;
      if (!matchesView(view, info.lifecycleStage)) continue;
      out.push({ info, runDir, deletedTime: deletedTimeOf(meta) });
    }
    return out;
  }

  /** Reads a run's meta.yaml; undefined (with a warning) when damaged. */
  private readRunInfoAt(runDir: string, experimentId: string): RunInfo | undefined {
    if (!this.staysInside(runDir)) {
      this.warn('STRAY_ENTRY', runDir, `Ignoring run folder '${runDir}': a symbolic link leading outside the store`);
      return undefined;
    }
    const metaPath = path.join(runDir, META);
    let value: unknown;
    let error: Error | undefined;
    try {
      value = this.readRunMetaCached(metaPath);
    } catch (err) {
      error = err as Error;
    }
    return this.runInfoFrom(runDir, experimentId, { st: undefined, value, error }, false);
  }

  /** A run's info from its meta.yaml as read, the read's warnings reported. */
  private runInfoFrom(runDir: string, experimentId: string, meta: ReturnType<typeof readMeta>, listing: boolean): RunInfo | undefined {
    const warnings: RunWarning[] = [];
    const info = runInfoOf(meta, runDir, path.join(runDir, META), experimentId, warnings, listing);
    for (const w of warnings) this.warn(w.code, w.path, w.message);
    return info;
  }

  /** What the run-folder reader needs of this store. */
  private readContext(): ReadContext {
    return { root: this.realRoot(), trustBefore: 0 };
  }

  /**
   * `_find_run_root`: where a run lives (validated structure, as MLflow 3.8+): the first folder of
   * that name in the root's experiments, then `.trash`'s, in directory order (Python's
   * `os.listdir`). A run id found in more than one experiment folder is read from the first, as
   * Python reads it, with a DUPLICATE_RUN warning naming every folder.
   */
  private findRun(runId: string): RunLocation | undefined {
    const cached = this.runDirCache.get(runId);
    if (cached && isFile(path.join(cached.runDir, META))) return cached;
    const found = this.runFolders(runId);
    const loc = found[0];
    if (!loc) return undefined;
    const missing = REQUIRED_RUN_FOLDERS.filter((sub) => !isDirectory(path.join(loc.runDir, sub)));
    if (missing.length > 0) {
      this.warn(
        'MISSING_FOLDER',
        loc.runDir,
        `Run '${runId}' has no ${missing.map((m) => `${m}/`).join(', ')} folder (git does not keep empty folders); read as empty. ` +
          `Python MLflow cannot read the run until the folder exists: run 'mlruns doctor --fix' (any write to the run also recreates it)`,
      );
    }
    if (found.length > 1) this.warnDuplicateRun(runId, found);
    this.runDirCache.set(runId, loc);
    return loc;
  }

  /** Every folder `_find_run_root` would take for a run id, in the order it looks. */
  private runFolders(runId: string): RunLocation[] {
    if (!isDirectory(this.root)) return [];
    const candidates: [string, string][] = [
      ...this.activeExperimentIds().map((id): [string, string] => [id, path.join(this.root, id)]),
      ...this.deletedExperimentIds().map((id): [string, string] => [id, path.join(this.trashFolder, id)]),
    ];
    const out: RunLocation[] = [];
    for (const [experimentId, experimentDir] of candidates) {
      const runDir = path.join(experimentDir, runId);
      if (!isDirectory(runDir)) continue;
      // MLflow skips a run folder missing metrics/, params/ or artifacts/ (a guard against
      // meta.yaml files inside artifacts). Git drops empty folders, so a cloned run often lacks
      // them: a run folder (meta.yaml beside it, directly under its experiment) is read as empty.
      if (!isFile(path.join(runDir, META)) && REQUIRED_RUN_FOLDERS.some((sub) => !isDirectory(path.join(runDir, sub)))) continue;
      out.push({ experimentId, experimentDir, runDir });
    }
    if (out.length > 1) {
      // Python takes the first in `os.listdir` order (the file system's, unsorted), the root's
      // experiments before `.trash`'s.
      const rank = new Map<string, number>();
      for (const dir of [this.root, this.trashFolder]) {
        directoryOrder(dir).forEach((name, i) => rank.set(path.join(dir, name), i));
      }
      const inTrash = (l: RunLocation): number => (path.dirname(l.experimentDir) === this.trashFolder ? 1 : 0);
      out.sort((a, b) => inTrash(a) - inTrash(b) || (rank.get(a.experimentDir) ?? 0) - (rank.get(b.experimentDir) ?? 0));
    }
    return out;
  }

  /** The DUPLICATE_RUN warning: one text for `getRun` and search, so the sink keeps it once. */
  private warnDuplicateRun(runId: string, found: readonly RunLocation[]): void {
    const [first, ...others] = found.map((l) => l.runDir);
    this.warn(
      'DUPLICATE_RUN',
      first as string,
      `Run '${runId}' is in ${found.length} experiment folders: '${first}' (read: Python MLflow reads the first it lists) and ` +
        `${others.map((o) => `'${o}'`).join(', ')} (copied by hand or by a bad merge?); search returns every copy whose meta.yaml ` +
        `names its own experiment. Run 'mlruns doctor' to see which to keep`,
    );
  }

  /**
   * `_get_run_info`: the run's info, checked as MLflow checks it. A run validated before costs
   * one stat of its meta.yaml: the same signature means the same bytes at the same place, so the
   * same answer (the returned info is shared: callers copy it before changing it).
   */
  private getRunInfoAndDir(runId: string): { info: RunInfo; loc: RunLocation } {
    validateRunId(runId);
    const known = this.knownRuns.get(runId);
    if (known) {
      const st = fs.statSync(known.metaPath, { throwIfNoEntry: false });
      if (st && sameSignature(st, known.sig)) return known;
      this.forgetRun(runId);
    }
    const loc = this.findRun(runId);
    if (!loc) throw notFound(`Run '${runId}' not found`);
    const info = this.readRunInfoAt(loc.runDir, loc.experimentId);
    if (!info || info.runId !== path.basename(loc.runDir)) {
      throw invalidState(`Run '${runId}' metadata is in invalid state.`);
    }
    // The signature of the bytes `info` was parsed from (readRunMetaCached keeps it).
    const metaPath = path.join(loc.runDir, META);
    const read = this.metaCache.get(metaPath);
    if (read) {
      if (this.knownRuns.size >= KNOWN_RUNS_MAX) this.knownRuns.clear();
      this.knownRuns.set(runId, { info, loc, metaPath, sig: read.sig, metricPaths: new Map() });
    }
    return { info, loc };
  }

  /** Drops what is remembered about a run for writes (and closes its metric files). */
  private forgetRun(runId: string): void {
    this.knownRuns.delete(runId);
    this.appendHandles.closeGroup(runId);
  }

  /** Drops every remembered run location (experiment folders moved). */
  private forgetRuns(): void {
    this.runDirCache.clear();
    this.knownRuns.clear();
    this.appendHandles.closeAll();
  }

  private getActiveRun(runId: string): { info: RunInfo; loc: RunLocation } {
    const r = this.getRunInfoAndDir(runId);
    // Checked once per remembered run (a new meta.yaml signature forgets it); a folder removed
    // later is made again by the write that needs it.
    const known = this.knownRuns.get(runId);
    if (known !== r || !known.foldersChecked) {
      this.recreateRunFolders(r.loc.runDir);
      if (known === r) known.foldersChecked = true;
    }
    if (r.info.lifecycleStage !== 'active') {
      throw invalidParameter(`The run ${r.info.runId} must be in 'active' lifecycle_stage.`);
    }
    return r;
  }

  /**
   * Builds the whole Run from its folder (metrics, params, tags, inputs, outputs). With
   * `{ metrics: false }` the metric files are not read (`data.metrics` is empty): the catalog
   * keeps metrics itself, incrementally.
   *
   * @example
   * ```ts
   * const [first] = store.listRunInfos(expId, store.experimentDir(expId)!, 'ALL');
   * const run = store.readRun(first!.info, first!.runDir, store.experimentDir(expId)!);
   * ```
   */
  readRun(info: RunInfo, runDir: string, experimentDir: string, options: ReadRunOptions = {}): Run {
    const { run, warnings } = readRunFolder(this.readContext(), runDir, experimentDir, info, options);
    for (const w of warnings) this.warn(w.code, w.path, w.message);
    return run;
  }

  private readValueFolder(dir: string, kind: 'param' | 'tag'): Record<string, string> {
    const out: Record<string, string> = {};
    // `dir` is a folder of a run or model already checked: only its last step may be a link.
    if (!this.staysInside(dir, path.dirname(dir))) {
      this.warn('STRAY_ENTRY', dir, `Ignoring '${dir}': a symbolic link leading outside the store`);
      return out;
    }
    for (const key of walkFiles(dir, this.realRoot()).sort()) {
      try {
        if (kind === 'param') validateParamName(key);
        else validateTagName(key);
      } catch (err) {
        this.warn('STRAY_ENTRY', path.join(dir, key), `Ignoring ${kind} file '${path.join(dir, key)}': ${(err as Error).message}`);
        continue;
      }
      const value = readTextIfExists(path.join(dir, key));
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  /**
   * Every readable run of the given experiments and view (the scan behind search).
   *
   * @example
   * ```ts
   * const runs = store.listRuns([expId], 'ALL');
   * ```
   */
  listRuns(experimentIds: string[], view: ViewType = 'ACTIVE_ONLY'): Run[] {
    const runs: Run[] = [];
    for (const experimentId of experimentIds) {
      const dir = this.experimentDir(String(experimentId));
      if (!dir) continue;
      for (const { info, runDir } of this.listRunInfos(String(experimentId), dir, view)) {
        runs.push(this.readRun(info, runDir, dir));
      }
    }
    // A run id listed twice (the same run in two experiment folders): said, as `getRun` says it.
    if (runs.length > 1) {
      const seen = new Set<string>();
      for (const r of runs) {
        if (!seen.has(r.info.runId)) {
          seen.add(r.info.runId);
          continue;
        }
        const found = this.runFolders(r.info.runId);
        if (found.length > 1) this.warnDuplicateRun(r.info.runId, found);
      }
    }
    return runs;
  }

  // ---------------------------------------------------------------- runs: API

  /** The index to answer searches from, or null to scan (see {@link FileStoreOptions.searchIndex}). */
  private searchIndex(): RunSearchIndex | null {
    if (this.searchIndexHandle !== undefined) return this.searchIndexHandle;
    this.searchIndexHandle = null;
    if (this.strict || !this.searchIndexFactory) return null;
    try {
      this.searchIndexHandle = this.searchIndexFactory(this);
    } catch {
      this.searchIndexHandle = null;
    }
    return this.searchIndexHandle;
  }

  /** Closes the search index this store opened, if any, and the metric files it holds open. */
  close(): void {
    this.forgetRuns();
    this.searchIndexHandle?.close();
    this.searchIndexHandle = undefined;
  }

  async searchRuns(experimentIds: string[], options: SearchRunsOptions = {}): Promise<PagedList<Run>> {
    const index = isDirectory(this.root) ? this.searchIndex() : null;
    const answer = index?.searchRuns(experimentIds, options);
    if (answer) return answer;
    const maxResults = options.maxResults ?? 1000;
    if (maxResults > 50000) {
      throw invalidParameter(
        `Invalid value for request parameter max_results. It must be at most 50000, but got value ${maxResults}`,
      );
    }
    const view = options.runViewType ?? 'ACTIVE_ONLY';
    const runs = this.listRuns(experimentIds, view);
    return searchRunsInMemory(runs, {
      filterString: options.filterString ?? null,
      orderBy: options.orderBy ?? null,
      maxResults,
      pageToken: options.pageToken ?? null,
      runViewType: view,
    });
  }

  async createRun(args: CreateRunArgs): Promise<Run> {
    const experimentId = args.experimentId ?? DEFAULT_EXPERIMENT_ID;
    this.ensureRoot();
    const exp = this.getExperimentSync(experimentId);
    if (exp.lifecycleStage !== 'active') {
      throw invalidState(`Could not create run under non-active experiment with ID ${experimentId}.`);
    }
    const tags = [...args.tags];
    const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    if (args.runName && tagName && args.runName !== tagName) {
      throw invalidParameter(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${args.runName}', mlflow.runName='${tagName}').`,
      );
    }
    const runName = args.runName || tagName || this.ids.runName();
    if (!tagName) tags.push({ key: RUN_NAME_TAG, value: runName });
    for (const t of tags) validateTagName(t.key);
    let runId: string;
    if (args.runId) {
      // A copy that keeps its id (mlruns pull): the id must be new to the whole store.
      validateRunId(args.runId);
      if (this.findRun(args.runId)) throw alreadyExists(`Run '${args.runId}' already exists`);
      runId = args.runId;
    } else runId = this.ids.runId();
    const expDir = this.experimentDir(experimentId) as string;
    const runDir = path.join(expDir, runId);
    const info: RunInfo = {
      runId,
      runUuid: runId,
      experimentId,
      runName,
      userId: args.userId,
      status: 'RUNNING',
      startTime: args.startTime,
      endTime: null,
      artifactUri: appendToUriPath(exp.artifactLocation, runId, 'artifacts'),
      lifecycleStage: 'active',
    };
    if (!mkdirNew(runDir)) throw alreadyExists(`Run '${runId}' already exists`);
    for (const sub of ['metrics', 'params', 'artifacts']) mkdirp(path.join(runDir, sub));
    for (const t of tags) this.writeValueFile(path.join(runDir, 'tags'), t.key, t.value);
    // meta.yaml last: until it exists, readers skip the folder. Its content is what MLflow leaves
    // after create_run (the runName tag rewrite drops `deleted_time`).
    this.writeYaml(path.join(runDir, META), runInfoToDict(info, this.profile), 'new');
    this.runDirCache.set(runId, { experimentId, experimentDir: expDir, runDir });
    return this.readRun(info, runDir, expDir);
  }

  async getRun(runId: string): Promise<Run> {
    const { info, loc } = this.getRunInfoAndDir(runId);
    return this.readRun(info, loc.runDir, loc.experimentDir);
  }

  /** Recreates the folders of a run that git dropped (empty ones), so Python MLflow reads it again. */
  private recreateRunFolders(runDir: string): string[] {
    const missing = REQUIRED_RUN_FOLDERS.filter((sub) => !isDirectory(path.join(runDir, sub)));
    for (const sub of missing) {
      this.checkWritable(path.join(runDir, sub), runDir);
      mkdirp(path.join(runDir, sub));
    }
    return missing;
  }

  /**
   * Recreates the `metrics/`, `params/` and `artifacts/` folders git dropped from a run
   * (a clone keeps no empty folder); returns the folders made. For `mlruns doctor --fix`.
   *
   * @example
   * ```ts
   * store.repairRunFolders(runId); // ['/…/mlruns/1/<run>/params']
   * ```
   */
  repairRunFolders(runId: string): string[] {
    const { loc } = this.getRunInfoAndDir(runId);
    return this.recreateRunFolders(loc.runDir).map((sub) => path.join(loc.runDir, sub));
  }

  private writeRunInfo(runDir: string, info: RunInfo, deletedTime?: number | null): void {
    this.recreateRunFolders(runDir);
    this.writeYaml(path.join(runDir, META), runInfoToDict(info, this.profile, deletedTime), 'overwrite');
  }

  async updateRunInfo(runId: string, status: RunStatus | null, endTime: number | null, runName: string | null): Promise<RunInfo> {
    const { info, loc } = this.getActiveRun(runId);
    const next: RunInfo = { ...info };
    if (status) next.status = status;
    if (endTime) next.endTime = endTime;
    if (next.endTime === 0) next.endTime = null;
    if (runName) {
      next.runName = runName;
      this.writeValueFile(path.join(loc.runDir, 'tags'), RUN_NAME_TAG, runName);
    }
    this.writeRunInfo(loc.runDir, next);
    // An ended run (setTerminated, endRun) gives back its metric files.
    if (next.status !== 'RUNNING' && next.status !== 'SCHEDULED') this.appendHandles.closeGroup(runId);
    return next;
  }

  async deleteRun(runId: string): Promise<void> {
    const { info, loc } = this.getRunInfoAndDir(runId);
    this.writeRunInfo(loc.runDir, { ...info, lifecycleStage: 'deleted' }, this.now());
    this.forgetRun(runId);
  }

  async restoreRun(runId: string): Promise<void> {
    const { info, loc } = this.getRunInfoAndDir(runId);
    this.writeRunInfo(loc.runDir, { ...info, lifecycleStage: 'active' });
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    validateRunId(runId);
    validateMetric(metric.key, metric.value, metric.timestamp, metric.step);
    const { info, loc } = this.getActiveRun(runId);
    this.appendRunMetrics(runId, loc, [metric]);
    if (metric.modelId) this.appendModelMetrics(info.experimentId, runId, [metric]);
  }

  /**
   * Appends metric lines, one write per metric file, through a held descriptor when the file is
   * open already (see {@link AppendHandles}); a new file appears whole (temp file + link).
   */
  private appendRunMetrics(runId: string, loc: RunLocation, metrics: Metric[]): void {
    if (metrics.length === 1) {
      const m = metrics[0] as Metric;
      this.appendMetricText(runId, loc, m.key, formatMetricLine(m));
      return;
    }
    const byKey = new Map<string, string>();
    for (const m of metrics) byKey.set(m.key, (byKey.get(m.key) ?? '') + formatMetricLine(m));
    for (const [key, text] of byKey) this.appendMetricText(runId, loc, key, text);
  }

  private appendMetricText(runId: string, loc: RunLocation, key: string, text: string): void {
    const known = this.knownRuns.get(runId);
    const paths = known?.loc === loc && known.metricPaths.size < 10_000 ? known.metricPaths : undefined;
    let p = paths?.get(key);
    if (p === undefined) {
      p = safeJoin(path.join(loc.runDir, 'metrics'), key);
      paths?.set(key, p);
    }
    if (text.isWellFormed()) {
      const buf = Buffer.from(text, 'utf8');
      if (this.appendHandles.append(p, buf)) return;
      this.checkWritable(p, loc.runDir);
      try {
        this.appendHandles.openAndAppend(p, runId, buf);
        return;
      } catch (err) {
        // Missing (a new metric, or a folder gone): created whole below, as without handles.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    } else {
      this.checkWritable(p, loc.runDir);
    }
    appendText(p, text, { tmpDir: loc.runDir });
  }

  private appendModelMetrics(experimentId: string, runId: string, metrics: Metric[]): void {
    const byPath = new Map<string, { text: string; modelDir: string }>();
    for (const m of metrics) {
      if (!m.modelId) continue;
      const modelDir = this.modelDir(experimentId, m.modelId);
      validateMetricName(m.key);
      const p = safeJoin(path.join(modelDir, 'metrics'), m.key);
      byPath.set(p, { text: (byPath.get(p)?.text ?? '') + formatModelMetricLine({ ...m, runId }), modelDir });
    }
    for (const [p, { text, modelDir }] of byPath) {
      mkdirp(path.dirname(p));
      appendText(p, text, { tmpDir: modelDir });
    }
  }

  async logParam(runId: string, param: Param): Promise<void> {
    validateRunId(runId);
    const p = validateParam(param.key, param.value);
    const fast = this.createValueFast(runId, 'params', p.key, p.value);
    if (fast === 'created') return;
    if (fast !== undefined) {
      // The file exists (the run checked by the probe): compare with the stored value.
      this.writeParam(fast.loc, runId, p, false);
      return;
    }
    const { loc } = this.getActiveRun(runId);
    this.writeParam(loc, runId, p);
  }

  /**
   * Creates a new param or tag file of a run remembered as active with one stat and the
   * exclusive create: the stat of `<run>/<sub>/../meta.yaml` gives the signature of the run's
   * meta.yaml as last read (so the same lifecycle and place, as `stat(meta.yaml)` proves in
   * {@link getRunInfoAndDir}) only when `<sub>` is a folder of the run itself: the kernel
   * resolves '..' from where `<sub>` leads, so a link to elsewhere (or a missing folder) fails
   * the comparison; `nlink === 1` rules out a hard link of meta.yaml beside such a target. That
   * stands for {@link getActiveRun}'s stat plus {@link createValueInPlace}'s lstat of the folder.
   * 'created': done. A run: the file exists (the run checked and active; the caller handles the
   * existing file). undefined: not applicable (unknown run, changed meta.yaml, a key with '/',
   * Windows): the caller takes the checked path, which finds the same answer as before.
   */
  private createValueFast(runId: string, sub: 'params' | 'tags', key: string, value: string): 'created' | KnownRun | undefined {
    const known = this.knownRuns.get(runId);
    if (known === undefined || known.foldersChecked !== true || known.info.lifecycleStage !== 'active') return undefined;
    if (!DOTDOT_FOLLOWS_LINKS || key.includes('/')) return undefined;
    let dirs = known.valueDirs;
    if (dirs === undefined) {
      const runDir = path.resolve(known.loc.runDir);
      const paths = (s: string): ValueDirPaths => ({ prefix: `${runDir}${path.sep}${s}${path.sep}`, probe: `${runDir}${path.sep}${s}${path.sep}..${path.sep}${META}` });
      dirs = known.valueDirs = { params: paths('params'), tags: paths('tags') };
    }
    const d = dirs[sub];
    const st = fs.statSync(d.probe, { throwIfNoEntry: false });
    if (st === undefined || st.nlink !== 1 || !sameSignature(st, known.sig)) return undefined;
    const made = createFileInPlace(d.prefix + key, value, { fsync: this.fsync });
    if (made === 'created') return 'created';
    return made === 'exists' ? known : undefined;
  }

  /** `tryCreate` false: the exclusive create was tried already and found the file taken. */
  private writeParam(loc: RunLocation, runId: string, param: Param, tryCreate = true): void {
    const dir = path.join(loc.runDir, 'params');
    const p = safeJoin(dir, param.key);
    // A param is created once and never changed: a new one is one exclusive create in place.
    // Taken (compare with the stored value) or folder missing: the checked path below.
    if (tryCreate && this.createValueInPlace(loc, 'params', p, param.value)) return;
    const seen = this.walkInside(p, loc.runDir);
    if (!seen.inside) throw this.refuseWrite(p);
    const current = seen.existing === null ? undefined : readTextIfExists(p, true);
    if (current !== undefined) {
      if (current !== param.value) {
        throw invalidParameter(
          `Changing param values is not allowed. Param with key='${param.key}' was already logged with value='${current}' for run ID='${runId}'. Attempted logging new value '${param.value}'.`,
        );
      }
      return;
    }
    this.writeValueAt(p, dir, param.value, seen);
  }

  async setTag(runId: string, tag: RunTag): Promise<void> {
    validateRunId(runId);
    validateTagName(tag.key);
    if (tag.key !== RUN_NAME_TAG) {
      const fast = this.createValueFast(runId, 'tags', tag.key, tag.value);
      if (fast === 'created') return;
      if (fast !== undefined) {
        this.writeValueFile(path.join(fast.loc.runDir, 'tags'), tag.key, tag.value, fast.loc.runDir);
        return;
      }
    }
    const { info, loc } = this.getActiveRun(runId);
    const dir = path.join(loc.runDir, 'tags');
    // A new tag is created in place; an existing one is replaced whole (temp + rename), so a
    // reader or a crash never sees a tag's old value cut short.
    if (!this.createValueInPlace(loc, 'tags', safeJoin(dir, tag.key), tag.value)) this.writeValueFile(dir, tag.key, tag.value, loc.runDir);
    if (tag.key === RUN_NAME_TAG) this.writeRunInfo(loc.runDir, { ...info, runName: tag.value });
  }

  /**
   * Creates the value file `p` (a key without '/', straight in the run's `params` or `tags`
   * folder) in place when it does not exist yet; false when the fast path does not apply (the
   * file exists, the folder is missing or is a link): the caller takes the checked path. One
   * lstat of the folder stands for the walk (the run folder is checked already) and the file
   * itself is opened with O_NOFOLLOW, so no link is followed out of the store.
   */
  private createValueInPlace(loc: RunLocation, sub: 'params' | 'tags', p: string, value: string): boolean {
    const dir = path.join(loc.runDir, sub);
    if (path.dirname(p) !== dir) return false;
    if (!fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return false;
    return createFileInPlace(p, value, { fsync: this.fsync }) === 'created';
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateRunId(runId);
    const { loc } = this.getActiveRun(runId);
    validateTagName(key);
    const p = safeJoin(path.join(loc.runDir, 'tags'), key);
    if (!isFile(p)) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    removeFile(p);
  }

  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: Param[]; tags?: RunTag[] }): Promise<void> {
    validateRunId(runId);
    const { metrics, params, tags } = validateBatchLogData(batch.metrics ?? [], batch.params ?? [], batch.tags ?? []);
    validateBatchLogLimits(metrics, params, tags);
    validateParamKeysUnique(params);
    const { info, loc } = this.getActiveRun(runId);
    try {
      for (const p of params) this.writeParam(loc, runId, p);
      this.appendRunMetrics(runId, loc, [...metrics]);
      this.appendModelMetrics(info.experimentId, runId, [...metrics]);
      let current = info;
      for (const t of tags) {
        if (t.key === RUN_NAME_TAG) {
          current = { ...current, runName: t.value };
          this.writeRunInfo(loc.runDir, current);
        }
        this.writeValueFile(path.join(loc.runDir, 'tags'), t.key, t.value, loc.runDir);
      }
    } catch (err) {
      if (err instanceof MlflowError && err.code !== 'IO_ERROR') {
        throw new MlflowError('INTERNAL_ERROR', err.message, { cause: err, path: err.path });
      }
      throw err;
    }
  }

  async getMetricHistory(
    runId: string,
    key: string,
    options: { maxResults?: number | null; pageToken?: string | null } = {},
  ): Promise<PagedList<Metric>> {
    validateRunId(runId);
    validateMetricName(key);
    const { info, loc } = this.getRunInfoAndDir(runId);
    const metricsDir = path.join(loc.runDir, 'metrics');
    const p = safeJoin(metricsDir, key);
    if (!this.staysInside(p, loc.runDir)) {
      this.warn('STRAY_ENTRY', p, `Ignoring metric file '${p}': a symbolic link leading outside the store`);
      return { items: [], token: null };
    }
    const size = fileSize(p);
    if (size === undefined) return { items: [], token: null };
    if (size > METRIC_CHUNK_THRESHOLD) return this.metricHistoryChunked(p, key, runId, info.experimentId, options);
    const text = readTextIfExists(p);
    if (text === undefined) return { items: [], token: null };
    const all = parseRunMetricFile(text, key, p, { runId, experimentId: info.experimentId, allowEmpty: true });
    if (options.maxResults === undefined || options.maxResults === null) {
      const offset = parseStartOffset(options.pageToken ?? null);
      return { items: all.slice(offset), token: null };
    }
    return paginate(all, options.maxResults, options.pageToken ?? null);
  }

  /** A page of a metric history read in chunks (bounded memory when a page is asked for). */
  private metricHistoryChunked(
    p: string,
    key: string,
    runId: string,
    experimentId: string,
    options: { maxResults?: number | null; pageToken?: string | null },
  ): PagedList<Metric> {
    const offset = parseStartOffset(options.pageToken ?? null);
    const max = options.maxResults ?? null;
    const items: Metric[] = [];
    let index = 0;
    readLineChunks(p, (chunk) => {
      const points = parseRunMetricFile(chunk, key, p, { runId, experimentId, allowEmpty: true });
      for (const m of points) {
        if (index >= offset && (max === null || items.length < max)) items.push(m);
        index++;
      }
    });
    const token = max !== null && offset + max < index ? createPageToken(offset + max) : null;
    return { items, token };
  }

  async logInputs(runId: string, datasets: DatasetInput[] = [], models: LoggedModelInput[] = []): Promise<void> {
    validateRunId(runId);
    const { loc } = this.getActiveRun(runId);
    for (const di of datasets) {
      const ds = di.dataset;
      const datasetId = md5Hex(ds.name + ds.digest);
      const datasetDir = path.join(loc.experimentDir, 'datasets', datasetId);
      if (!exists(datasetDir)) {
        mkdirp(datasetDir);
        this.writeYaml(path.join(datasetDir, META), datasetToDict(ds), 'overwrite');
      }
      const inputId = md5Hex(datasetId + runId);
      const inputDir = path.join(loc.runDir, 'inputs', inputId);
      if (!exists(inputDir)) {
        mkdirp(inputDir);
        const tags: YamlDict = {};
        for (const t of di.tags) tags[t.key] = t.value;
        this.writeYaml(
          path.join(inputDir, META),
          { destination_id: datasetId, destination_type: 'RUN', source_id: datasetId, source_type: 'DATASET', tags },
          'overwrite',
        );
      }
    }
    for (const mi of models) {
      const inputId = md5Hex(mi.modelId + runId);
      const inputDir = path.join(loc.runDir, 'inputs', inputId);
      if (!exists(inputDir)) {
        mkdirp(inputDir);
        this.writeYaml(
          path.join(inputDir, META),
          { destination_id: mi.modelId, destination_type: 'RUN', source_id: mi.modelId, source_type: 'MODEL', tags: {} },
          'overwrite',
        );
      }
    }
  }

  async logOutputs(runId: string, models: LoggedModelOutput[]): Promise<void> {
    validateRunId(runId);
    const { loc } = this.getActiveRun(runId);
    for (const mo of models) {
      const outDir = safeJoin(path.join(loc.runDir, 'outputs'), mo.modelId);
      if (exists(outDir)) continue;
      mkdirp(outDir);
      this.writeYaml(
        path.join(outDir, META),
        {
          destination_id: mo.modelId,
          destination_type: 'MODEL_OUTPUT',
          source_id: mo.modelId,
          source_type: 'RUN_OUTPUT',
          step: mo.step,
          tags: {},
        },
        'overwrite',
      );
    }
  }

  async recordLoggedModel(runId: string, modelDict: Record<string, unknown>): Promise<void> {
    validateRunId(runId);
    const { loc } = this.getActiveRun(runId);
    const p = path.join(loc.runDir, 'tags', LOGGED_MODELS_TAG);
    const current = readTextIfExists(p);
    let list: unknown[] = [];
    if (current !== undefined && current.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(current);
        if (Array.isArray(parsed)) list = parsed;
      } catch (err) {
        throw new MlflowError('INTERNAL_ERROR', `Cannot parse the '${LOGGED_MODELS_TAG}' tag of run ${runId}: ${(err as Error).message}`, {
          path: p,
        });
      }
    }
    list.push(modelDict);
    this.writeValueFile(path.join(loc.runDir, 'tags'), LOGGED_MODELS_TAG, pyJson(list));
  }

  // ---------------------------------------------------------------- logged models (MLflow 3)

  private modelDir(experimentId: string, modelId: string): string {
    const expDir = this.experimentDir(experimentId);
    if (!expDir) throw notFound(`Experiment ${experimentId} does not exist.`);
    return safeJoin(path.join(expDir, MODELS), modelId);
  }

  private findModel(modelId: string): { experimentId: string; modelDir: string } | undefined {
    if (!isDirectory(this.root)) return undefined;
    const ids: [string, string][] = [
      ...this.activeExperimentIds().map((id): [string, string] => [id, path.join(this.root, id)]),
      ...this.deletedExperimentIds().map((id): [string, string] => [id, path.join(this.trashFolder, id)]),
    ];
    for (const [experimentId, dir] of ids) {
      const modelDir = path.join(dir, MODELS, modelId);
      if (modelId && !modelId.includes('/') && isDirectory(modelDir)) return { experimentId, modelDir };
    }
    return undefined;
  }

  private readLoggedModelAt(modelDir: string): (LoggedModel & { lifecycleStage: string | null }) | undefined {
    const metaPath = path.join(modelDir, META);
    let meta: unknown;
    try {
      meta = this.readYaml(metaPath);
    } catch (err) {
      this.warn('MALFORMED_META', metaPath, `Malformed logged model: ${(err as Error).message}`);
      return undefined;
    }
    if (meta === undefined || meta === null) {
      this.warn(meta === undefined ? 'MISSING_META' : 'EMPTY_META', metaPath, `Malformed logged model '${modelDir}': missing or empty meta.yaml`);
      return undefined;
    }
    const read = loggedModelFromDict(meta);
    if (!read.ok) {
      this.warn('MALFORMED_META', metaPath, `Malformed logged model '${modelDir}': ${read.reason}`);
      return undefined;
    }
    const metrics: Metric[] = [];
    const metricsDir = path.join(modelDir, 'metrics');
    for (const key of walkFiles(metricsDir).sort()) {
      const p = path.join(metricsDir, key);
      const text = readTextIfExists(p);
      if (text === undefined) continue;
      try {
        validateMetricName(key);
        metrics.push(...latestModelMetrics(parseModelMetricFile(text, key, p, { modelId: read.value.modelId })));
      } catch (err) {
        this.warn('MALFORMED_METRIC', p, `Ignoring metric '${key}' of logged model '${read.value.modelId}': ${(err as Error).message}`);
      }
    }
    return {
      ...read.value,
      tags: this.readValueFolder(path.join(modelDir, 'tags'), 'tag'),
      params: this.readValueFolder(path.join(modelDir, 'params'), 'param'),
      metrics,
    };
  }

  async createLoggedModel(args: CreateLoggedModelArgs): Promise<LoggedModel> {
    const experimentId = args.experimentId ?? DEFAULT_EXPERIMENT_ID;
    validateLoggedModelName(args.name ?? null);
    this.ensureRoot();
    const exp = this.getExperimentSync(experimentId);
    if (exp.lifecycleStage !== 'active') {
      throw invalidState(`Could not create model under non-active experiment with ID ${experimentId}.`);
    }
    const params = (args.params ?? []).map((p) => validateParam(p.key, p.value));
    for (const t of args.tags ?? []) validateTagName(t.key);
    const name = args.name || this.ids.runName();
    const modelId = this.ids.loggedModelId();
    const t = this.now();
    const model: LoggedModel = {
      modelId,
      experimentId,
      name,
      artifactLocation: appendToUriPath(exp.artifactLocation, MODELS, modelId, 'artifacts'),
      creationTimestamp: t,
      lastUpdatedTimestamp: t,
      modelType: args.modelType ?? null,
      sourceRunId: args.sourceRunId ?? null,
      status: 'PENDING',
      statusMessage: null,
      tags: {},
      params: {},
      metrics: [],
      modelUri: `models:/${modelId}`,
    };
    const dir = this.modelDir(experimentId, modelId);
    mkdirp(dir);
    mkdirp(path.join(dir, 'metrics'));
    mkdirp(path.join(dir, 'params'));
    for (const p of params) this.writeValueFile(path.join(dir, 'params'), p.key, p.value);
    for (const tag of args.tags ?? []) this.writeValueFile(path.join(dir, 'tags'), tag.key, tag.value);
    this.writeYaml(path.join(dir, META), { ...loggedModelToDict(model), lifecycle_stage: 'active' }, 'new');
    return this.getLoggedModel(modelId);
  }

  async getLoggedModel(modelId: string, options: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    const found = this.findModel(modelId);
    if (!found) throw notFound(`Model '${modelId}' not found`);
    const m = this.readLoggedModelAt(found.modelDir);
    if (!m) throw invalidState(`Model '${modelId}' metadata is in invalid state.`);
    if (!options.allowDeleted && m.lifecycleStage === 'deleted') throw notFound(`Model '${modelId}' not found`);
    if (m.experimentId !== found.experimentId) throw invalidState(`Model '${modelId}' metadata is in invalid state.`);
    const { lifecycleStage: _ignored, ...model } = m;
    return model;
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const model = await this.getLoggedModel(modelId);
    const next = { ...model, status, lastUpdatedTimestamp: this.now() };
    this.writeYaml(path.join(this.modelDir(model.experimentId, modelId), META), loggedModelToDict(next), 'overwrite');
    return this.getLoggedModel(modelId);
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    const checked = params.map((p) => validateParam(p.key, p.value));
    const model = await this.getLoggedModel(modelId);
    const dir = this.modelDir(model.experimentId, modelId);
    for (const p of checked) this.writeValueFile(path.join(dir, 'params'), p.key, p.value);
  }

  async setLoggedModelTags(modelId: string, tags: RunTag[]): Promise<void> {
    const model = await this.getLoggedModel(modelId);
    const dir = this.modelDir(model.experimentId, modelId);
    for (const t of tags) {
      validateTagName(t.key);
      this.writeValueFile(path.join(dir, 'tags'), t.key, t.value);
    }
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    validateTagName(key);
    const model = await this.getLoggedModel(modelId);
    const p = safeJoin(path.join(this.modelDir(model.experimentId, modelId), 'tags'), key);
    if (!isFile(p)) throw notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
    removeFile(p);
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    const model = await this.getLoggedModel(modelId);
    const next = { ...model, lastUpdatedTimestamp: this.now() };
    this.writeYaml(
      path.join(this.modelDir(model.experimentId, modelId), META),
      { ...loggedModelToDict(next), lifecycle_stage: 'deleted' },
      'overwrite',
    );
  }

  async listLoggedModels(experimentIds: string[]): Promise<LoggedModel[]> {
    const out: LoggedModel[] = [];
    for (const experimentId of experimentIds) {
      const expDir = this.experimentDir(experimentId);
      if (!expDir) continue;
      const modelsDir = path.join(expDir, MODELS);
      for (const name of listSubdirs(modelsDir).sort()) {
        if (RESERVED_EXPERIMENT_FOLDERS.has(name)) continue;
        const m = this.readLoggedModelAt(path.join(modelsDir, name));
        if (!m || m.lifecycleStage === 'deleted') continue;
        if (m.experimentId !== experimentId) {
          this.warn(
            'ID_MISMATCH',
            path.join(modelsDir, name, META),
            `Wrong experiment ID (${m.experimentId}) recorded for model '${m.modelId}'. It should be ${experimentId}. Model will be ignored.`,
          );
          continue;
        }
        const { lifecycleStage: _ignored, ...model } = m;
        out.push(model);
      }
    }
    return out;
  }

  /**
   * The deleted logged models of an experiment folder (`<experiment>/models/<id>/meta.yaml` with
   * lifecycle_stage deleted), read as leniently as `mlflow gc` reads them: what `gc` removes.
   *
   * @example
   * ```ts
   * store.deletedLoggedModels('1', store.experimentDir('1')!); // [{ modelId: 'm-…', lastUpdatedTimestamp: …, dir, … }]
   * ```
   */
  deletedLoggedModels(experimentId: string, experimentDir: string): DeletedLoggedModel[] {
    const out: DeletedLoggedModel[] = [];
    const modelsDir = path.join(experimentDir, MODELS);
    for (const { name } of listFolders(modelsDir)) {
      let meta: unknown;
      try {
        meta = this.readYaml(path.join(modelsDir, name, META));
      } catch {
        continue;
      }
      if (!meta || typeof meta !== 'object') continue;
      const m = meta as Record<string, unknown>;
      if (m['lifecycle_stage'] !== 'deleted') continue;
      out.push({
        modelId: typeof m['model_id'] === 'string' ? m['model_id'] : name,
        experimentId,
        name: typeof m['name'] === 'string' ? m['name'] : null,
        lastUpdatedTimestamp: integerOrNull(m['last_updated_timestamp']),
        dir: path.join(modelsDir, name),
        artifactLocation: typeof m['artifact_location'] === 'string' ? m['artifact_location'] : null,
      });
    }
    return out;
  }

  /** The run's artifacts as a local repository (its folder resolved as {@link resolveRunArtifactDir} does). */
  async artifactRepository(runId: string): Promise<ArtifactRepository> {
    const run = await this.getRun(runId);
    return new LocalArtifactRepository(run.info.artifactUri ?? '', this.resolveRunArtifactDir(run.info, runId));
  }

  /**
   * The local folder of a run's artifacts. When the run's `artifact_uri` points at a place that
   * does not exist here (another machine's path, a Windows path, a moved root), and the run has
   * the usual `<run>/artifacts` folder, that folder is used and a REMAPPED_PATH warning says so.
   *
   * @example
   * ```ts
   * const run = await store.getRun(runId);
   * const dir = store.resolveRunArtifactDir(run.info, runId);
   * ```
   */
  resolveRunArtifactDir(info: RunInfo, runId: string): string {
    const { loc } = this.getRunInfoAndDir(runId);
    const local = path.join(loc.runDir, 'artifacts');
    const uri = info.artifactUri;
    if (!uri) return local;
    const res = resolveLocation(this.root, uri, { kind: 'run', experimentId: loc.experimentId, runId });
    if (res.remapped && res.localPath) {
      this.warn('REMAPPED_PATH', uri, `Artifact URI '${uri}' of run ${runId} points outside this root; reading '${res.localPath}'`);
      return res.localPath;
    }
    if (res.localPath) return res.localPath;
    if (!isLocalUri(uri)) {
      throw invalidParameter(`Artifact URI '${uri}' of run ${runId} is not local; only local artifacts are supported`);
    }
    return path.resolve(localFileUriToPath(uri));
  }

  /**
   * Folder of a run (for artifacts and tools); throws when the run does not exist.
   *
   * @example
   * ```ts
   * const { runDir, experimentId } = store.runLocation(runId);
   * ```
   */
  runLocation(runId: string): { runDir: string; experimentDir: string; experimentId: string } {
    const { loc } = this.getRunInfoAndDir(runId);
    return loc;
  }

  /**
   * Entries directly under the root that are neither experiments nor MLflow's own (for doctor tools).
   *
   * @example
   * ```ts
   * store.strayRootEntries(); // e.g. ['notes.txt']
   * ```
   */
  strayRootEntries(): string[] {
    return listDir(this.root)
      .filter((e) => !e.isDirectory() && e.name !== TRASH)
      .map((e) => path.join(this.root, e.name));
  }
}

/**
 * A deleted logged model as `gc` sees it ({@link FileStore.deletedLoggedModels}).
 *
 * @example
 * ```ts
 * const m: DeletedLoggedModel = { modelId: 'm-1', experimentId: '1', name: null, lastUpdatedTimestamp: null, dir: '/r/1/models/m-1', artifactLocation: null };
 * ```
 */
export interface DeletedLoggedModel {
  modelId: string;
  experimentId: string;
  name: string | null;
  lastUpdatedTimestamp: number | null;
  dir: string;
  artifactLocation: string | null;
}

/** A number, or the integer a string holds, else null (YAML read leniently). */
function integerOrNull(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return null;
}

function matchesView(view: ViewType, stage: string): boolean {
  if (view === 'ALL') return true;
  if (view === 'ACTIVE_ONLY') return stage === 'active';
  return stage === 'deleted';
}

function datasetToDict(ds: Dataset): YamlDict {
  return {
    digest: ds.digest,
    name: ds.name,
    profile: ds.profile ?? null,
    schema: ds.schema ?? null,
    source: ds.source,
    source_type: ds.sourceType,
  };
}

