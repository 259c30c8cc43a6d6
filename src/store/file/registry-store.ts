import { WarningSink } from '../warnings.js';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { ModelVersion, ModelVersionStatus, PagedList, RegisteredModel } from '../../entities.js';
import { MlflowError, alreadyExists, invalidParameter, notFound } from '../../errors.js';
import type { ReadWarning, WarningCode } from '../../errors.js';
import { dumpYaml, parseYaml } from '../../format/yaml.js';
import type { YamlMap } from '../../format/yaml.js';
import {
  validateModelAliasName,
  validateModelAliasNameReserved,
  validateModelVersion,
  validateModelVersionTag,
  validateRegisteredModelName,
  validateRegisteredModelTag,
  validateTagName,
} from '../../format/validation.js';
import {
  checkCreateModelVersion,
  latestVersionStages,
  resolveModelVersionSource,
  searchModelVersionsPage,
  searchRegisteredModelsPage,
  transitionTargetStage,
} from '../registry-checks.js';
import {
  ALL_STAGES,
  IS_PROMPT_TAG_KEY,
  STAGE_ARCHIVED,
  STAGE_DELETED_INTERNAL,
  STAGE_NONE,
  nameTakenError,
  stripPromptTag,
} from '../registry-checks.js';
export {
  ACTIVE_STAGES,
  ALL_STAGES,
  IS_PROMPT_TAG_KEY,
  STAGE_ARCHIVED,
  STAGE_DELETED_INTERNAL,
  STAGE_NONE,
  STAGE_PRODUCTION,
  STAGE_STAGING,
  getCanonicalStage,
  nameTakenError,
  parseModelUri,
  stripPromptTag,
  uriPath,
} from '../registry-checks.js';
export type { ParsedModelUri } from '../registry-checks.js';
import { trackingUriToPath } from '../uri.js';
import { FileStore } from './file-store.js';
import type { CreateModelVersionArgs, LoggedModelLookup, RegistrySearchOptions, RegistryStore, RegistryTag } from '../registry-store.js';

export type { CreateModelVersionArgs, LoggedModelLookup, RegistrySearchOptions, RegistryTag };
import {
  exists,
  ioError,
  isDirectory,
  isFile,
  listSubdirs,
  mkdirNew,
  mkdirp,
  readTextIfExists,
  removeFile,
  removeTree,
  safeJoin,
  walkFiles,
  writeFileAtomic,
  writeFileExclusive,
} from './fs.js';
import type { WriteProfile, YamlDict } from './records.js';

/**
 * MLflow's file-based model registry (`<root>/models/`), read and written byte for byte as
 * `mlflow/store/model_registry/file_store.py` does (2.22 with the `compat` profile, 3.17 with
 * `mlflow3`). The only link to the tracking store is the {@link LoggedModelLookup} used for
 * `models:/m-<id>` sources (by default a tracking FileStore of the same root).
 */

/**
 * Folder of the registry under the tracking root (`<root>/models/`).
 *
 * @example
 * ```ts
 * path.join(root, REGISTRY_FOLDER, 'iris', 'version-1', 'meta.yaml');
 * ```
 */
export const REGISTRY_FOLDER = 'models';
const META = 'meta.yaml';
const TAGS = 'tags';
const ALIASES = 'aliases';
const VERSION_PREFIX = 'version-';

/** Attempts of `create_model_version` before giving up. */
const CREATE_MODEL_VERSION_RETRIES = 3;



/**
 * Options of a {@link FileRegistryStore}.
 *
 * @example
 * ```ts
 * new FileRegistryStore(root, { profile: 'mlflow3', strict: true, now: () => 1717000000000 });
 * ```
 */
export interface FileRegistryStoreOptions {
  /** What to write: `compat` (default, what MLflow 2.22 writes) or `mlflow3` (what 3.17 writes). */
  profile?: WriteProfile;
  /** Throw on damaged data instead of skipping it with a warning. */
  strict?: boolean;
  /** Called for every problem met while reading (deduplicated per path and kind). */
  onWarning?: (warning: ReadWarning) => void;
  /** Clock in ms (MLflow's `get_current_time_millis`), for tests that pin time. */
  now?: () => number;
  /** Resolves `models:/m-<id>` sources and `modelId` arguments (default: a tracking FileStore of the same root). */
  loggedModels?: LoggedModelLookup;
}




/** A registered model as read from its folder (all tags, including the prompt marker). */
interface RmRecord {
  name: string;
  creationTimestamp: number | null;
  lastUpdatedTimestamp: number | null;
  description: string | null;
  tags: Record<string, string>;
  aliases: Record<string, string>;
  /** The meta.yaml as read (keys we do not model are carried over on rewrite). */
  raw: YamlDict;
  dir: string;
}

/** A model version as read from its folder. */
interface MvRecord {
  name: string;
  version: number;
  creationTimestamp: number | null;
  lastUpdatedTimestamp: number | null;
  description: string | null;
  userId: string | null;
  currentStage: string;
  source: string;
  runId: string | null;
  runLink: string | null;
  status: string;
  statusMessage: string | null;
  storageLocation: string | null;
  modelId: string | null;
  tags: Record<string, string>;
  aliases: string[];
  raw: YamlDict;
  dir: string;
}

const isPlainObject = (v: unknown): v is YamlDict =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const intOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

/** 3.x-only keys of the registered model meta.yaml, with the values 3.17 writes for a new model. */
const RM_MLFLOW3_EXTRAS: Readonly<YamlDict> = { deployment_job_id: null, deployment_job_state: null, workspace: 'default' };
/** 3.x-only keys of the model version meta.yaml (besides `model_id`). */
const MV_MLFLOW3_EXTRAS: Readonly<YamlDict> = { deployment_job_state: null, workspace: 'default' };

/**
 * The registry of a tracking root: registered models, versions, tags, aliases and legacy stages,
 * exactly as MLflow's registry `FileStore` keeps them under `<root>/models/`.
 *
 * Writes are atomic (temp file + rename; a new version is built in a hidden folder and renamed
 * into place), and produce the bytes MLflow writes; every `last_updated_timestamp` MLflow bumps is
 * bumped, with one clock reading per MLflow clock reading. Reads are tolerant: a damaged model
 * or version folder is skipped with a warning naming its path (or throws with `strict`).
 *
 * @example
 * ```ts
 * const registry = new FileRegistryStore('./mlruns');
 * await registry.createRegisteredModel('iris', [{ key: 'team', value: 'ml' }]);
 * const mv = await registry.createModelVersion('iris', 'runs:/0123456789abcdef0123456789abcdef/model');
 * await registry.setRegisteredModelAlias('iris', 'champion', mv.version);
 * (await registry.getModelVersionByAlias('iris', 'champion')).version; // '1'
 * ```
 */
export class FileRegistryStore implements RegistryStore {
  readonly root: string;
  readonly modelsDir: string;
  readonly profile: WriteProfile;
  readonly strict: boolean;
  private readonly sink: WarningSink;
  private readonly now: () => number;
  private loggedModels: LoggedModelLookup | undefined;
  private readonly rootUri: string;

  constructor(rootUri: string, options: FileRegistryStoreOptions = {}) {
    this.rootUri = rootUri;
    this.root = trackingUriToPath(rootUri);
    this.modelsDir = path.join(this.root, REGISTRY_FOLDER);
    this.profile = options.profile ?? 'compat';
    this.strict = options.strict ?? false;
    this.sink = new WarningSink({ strict: this.strict, onWarning: options.onWarning });
    this.now = options.now ?? Date.now;
    this.loggedModels = options.loggedModels;
  }

  /** Problems met while reading damaged data (most recent last). */
  get warnings(): readonly ReadWarning[] {
    return this.sink.warnings;
  }

  private warn(code: WarningCode, p: string, message: string): void {
    this.sink.warn(code, p, message);
  }

  // ------------------------------------------------------------------ layout and reading

  /** `_get_registered_model_path`: validates the name, then `<root>/models/<name>`. */
  private modelDir(name: string): string {
    validateRegisteredModelName(name);
    return safeJoin(this.modelsDir, name);
  }

  private readMeta(p: string, what: string): { ok: true; meta: YamlDict } | { ok: false; code: WarningCode; message: string } {
    let text: string | undefined;
    try {
      text = readTextIfExists(p);
    } catch (err) {
      return { ok: false, code: 'UNREADABLE', message: `Cannot read ${what} '${p}': ${(err as Error).message}` };
    }
    if (text === undefined) return { ok: false, code: 'MISSING_META', message: `Malformed ${what}: no meta.yaml in '${path.dirname(p)}'` };
    let meta: unknown;
    try {
      meta = parseYaml(text);
    } catch (err) {
      return { ok: false, code: 'MALFORMED_META', message: `Malformed ${what}: cannot parse '${p}': ${(err as Error).message}` };
    }
    if (meta === null) return { ok: false, code: 'EMPTY_META', message: `Malformed ${what}: empty meta.yaml '${p}'` };
    if (!isPlainObject(meta)) return { ok: false, code: 'MALFORMED_META', message: `Malformed ${what}: '${p}' does not hold a mapping` };
    return { ok: true, meta };
  }

  /** `_get_resource_files` + `read_file`: every file below `<dir>/<sub>`, keyed by POSIX relative path. */
  private readValueFiles(dir: string, sub: string, kind: string, validate: boolean): Record<string, string> {
    const base = path.join(dir, sub);
    const out: Record<string, string> = {};
    for (const key of walkFiles(base).sort()) {
      const p = path.join(base, key);
      if (key.split('/').some((part) => part.startsWith('.') && part.endsWith('.tmp'))) continue; // our temp files
      if (validate) {
        try {
          validateTagName(key);
        } catch (err) {
          this.warn('STRAY_ENTRY', p, `Ignoring ${kind} file '${p}': ${(err as Error).message}`);
          continue;
        }
      }
      const value = readTextIfExists(p);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  /** `_get_registered_model_from_path` minus the latest versions; undefined (with a warning) when damaged. */
  private readModelAt(dir: string): RmRecord | undefined {
    const metaPath = path.join(dir, META);
    const read = this.readMeta(metaPath, `registered model '${path.basename(dir)}'`);
    if (!read.ok) {
      this.warn(read.code, read.code === 'MISSING_META' ? dir : metaPath, read.message);
      return undefined;
    }
    const m = read.meta;
    if (m['name'] === undefined || m['name'] === null) {
      this.warn('MALFORMED_META', metaPath, `Malformed registered model '${path.basename(dir)}': '${metaPath}' has no 'name'`);
      return undefined;
    }
    const aliases: Record<string, string> = {};
    for (const [alias, version] of Object.entries(this.readValueFiles(dir, ALIASES, 'alias', false))) aliases[alias] = version;
    return {
      name: String(m['name']),
      creationTimestamp: intOrNull(m['creation_timestamp']),
      lastUpdatedTimestamp: intOrNull(m['last_updated_timestamp']),
      description: strOrNull(m['description']),
      tags: this.readValueFiles(dir, TAGS, 'registered model tag', true),
      aliases,
      raw: m,
      dir,
    };
  }

  /** `_get_file_model_version_from_dir`; undefined (with a warning) when damaged. */
  private readVersionAt(dir: string, aliases: Record<string, string>): MvRecord | undefined {
    const metaPath = path.join(dir, META);
    const folder = path.basename(dir);
    const read = this.readMeta(metaPath, `model version '${path.basename(path.dirname(dir))}/${folder}'`);
    if (!read.ok) {
      this.warn(read.code, read.code === 'MISSING_META' ? dir : metaPath, read.message);
      return undefined;
    }
    const m = read.meta;
    const suffix = folder.slice(VERSION_PREFIX.length);
    const rawVersion = m['version'];
    const version =
      typeof rawVersion === 'number' && Number.isInteger(rawVersion)
        ? rawVersion
        : typeof rawVersion === 'string' && /^\d+$/.test(rawVersion)
          ? Number(rawVersion)
          : undefined;
    if (version === undefined || m['name'] === undefined || m['name'] === null) {
      this.warn('MALFORMED_META', metaPath, `Malformed model version '${metaPath}': no valid 'name' and 'version'`);
      return undefined;
    }
    if (String(version) !== suffix) {
      this.warn('ID_MISMATCH', metaPath, `Model version folder '${dir}' records version ${version}; it is ignored`);
      return undefined;
    }
    return {
      name: String(m['name']),
      version,
      creationTimestamp: intOrNull(m['creation_timestamp']),
      lastUpdatedTimestamp: intOrNull(m['last_updated_timestamp']),
      description: strOrNull(m['description']),
      userId: strOrNull(m['user_id']),
      currentStage: m['current_stage'] === undefined || m['current_stage'] === null ? STAGE_NONE : String(m['current_stage']),
      source: m['source'] === undefined || m['source'] === null ? '' : String(m['source']),
      runId: strOrNull(m['run_id']),
      runLink: strOrNull(m['run_link']),
      status: m['status'] === undefined || m['status'] === null ? 'READY' : String(m['status']),
      statusMessage: strOrNull(m['status_message']),
      storageLocation: strOrNull(m['storage_location']),
      modelId: strOrNull(m['model_id']),
      tags: this.readValueFiles(dir, TAGS, 'model version tag', true),
      // `_get_model_version_aliases`: alias files whose text is this folder's number.
      aliases: Object.keys(aliases)
        .filter((a) => aliases[a] === suffix)
        .sort(),
      raw: m,
      dir,
    };
  }

  /** `_list_file_model_versions_under_path`: every readable `version-*` folder (soft-deleted included). */
  private listVersionsAt(modelDir: string, aliases?: Record<string, string>): MvRecord[] {
    const al = aliases ?? this.readValueFiles(modelDir, ALIASES, 'alias', false);
    const out: MvRecord[] = [];
    for (const d of listSubdirs(modelDir)) {
      if (!d.startsWith(VERSION_PREFIX)) continue;
      const mv = this.readVersionAt(path.join(modelDir, d), al);
      if (mv) out.push(mv);
    }
    return out.sort((a, b) => a.version - b.version);
  }

  /** A model's folder and record; throws RESOURCE_DOES_NOT_EXIST, or MALFORMED_DATA when unreadable. */
  private getModelRecord(name: string): RmRecord {
    const dir = this.modelDir(name);
    if (!isDirectory(dir)) throw notFound(`Registered Model with name=${name} not found`);
    const rm = this.readModelAt(dir);
    if (!rm) throw new MlflowError('MALFORMED_DATA', `Registered model '${name}' cannot be read ('${dir}')`, { path: dir });
    return rm;
  }

  /** `_fetch_file_model_version_if_exists`: the live version, else RESOURCE_DOES_NOT_EXIST. */
  private fetchVersion(name: string, version: string | number): MvRecord {
    validateRegisteredModelName(name);
    const v = validateModelVersion(version);
    const dir = this.modelDir(name);
    if (!isDirectory(dir)) throw notFound(`Registered Model with name=${name} not found`);
    const vdir = path.join(dir, `${VERSION_PREFIX}${v}`);
    if (!isDirectory(vdir)) throw notFound(`Model Version (name=${name}, version=${v}) not found`);
    const mv = this.readVersionAt(vdir, this.readValueFiles(dir, ALIASES, 'alias', false));
    if (!mv) throw new MlflowError('MALFORMED_DATA', `Model version '${name}' ${v} cannot be read ('${vdir}')`, { path: vdir });
    if (mv.currentStage === STAGE_DELETED_INTERNAL) throw notFound(`Model Version (name=${name}, version=${v}) not found`);
    return mv;
  }

  // ------------------------------------------------------------------ entities

  private toModelVersion(mv: MvRecord): ModelVersion {
    return {
      name: mv.name,
      version: String(mv.version),
      creationTimestamp: mv.creationTimestamp,
      lastUpdatedTimestamp: mv.lastUpdatedTimestamp,
      description: mv.description,
      userId: mv.userId,
      currentStage: mv.currentStage,
      source: mv.source,
      runId: mv.runId,
      runLink: mv.runLink,
      status: mv.status as ModelVersionStatus,
      statusMessage: mv.statusMessage,
      tags: { ...mv.tags },
      aliases: [...mv.aliases],
      modelId: mv.modelId,
      storageLocation: mv.storageLocation,
    };
  }

  /** RegisteredModel with every tag (search filters see the prompt marker; callers strip it). */
  private toRegisteredModel(rm: RmRecord, versions: MvRecord[]): RegisteredModel {
    return {
      name: rm.name,
      creationTimestamp: rm.creationTimestamp,
      lastUpdatedTimestamp: rm.lastUpdatedTimestamp,
      description: rm.description,
      latestVersions: latestPerStage(versions, ALL_STAGES).map((mv) => this.toModelVersion(mv)),
      tags: { ...rm.tags },
      aliases: { ...rm.aliases },
    };
  }

  // ------------------------------------------------------------------ writing

  /** `dict(RegisteredModel)` minus tags and latest_versions, for the profile. */
  private modelDict(rm: RmRecord): YamlDict {
    const d: YamlDict = {
      aliases: { ...rm.aliases },
      creation_timestamp: rm.creationTimestamp,
      description: rm.description,
      last_updated_timestamp: rm.lastUpdatedTimestamp,
      name: rm.name,
    };
    for (const [k, dflt] of Object.entries(RM_MLFLOW3_EXTRAS)) {
      if (k in rm.raw) d[k] = rm.raw[k];
      else if (this.profile === 'mlflow3') d[k] = dflt;
    }
    return d;
  }

  /** `dict(FileModelVersion)` minus tags (3.x: minus aliases, metrics, params too), for the profile. */
  private versionDict(mv: MvRecord): YamlDict {
    const d: YamlDict = {
      creation_timestamp: mv.creationTimestamp,
      current_stage: mv.currentStage,
      description: mv.description,
      last_updated_timestamp: mv.lastUpdatedTimestamp,
      name: mv.name,
      run_id: mv.runId,
      run_link: mv.runLink,
      source: mv.source,
      status: mv.status,
      status_message: mv.statusMessage,
      storage_location: mv.storageLocation,
      user_id: mv.userId,
      version: mv.version,
    };
    if (this.profile === 'compat') {
      d['aliases'] = [...mv.aliases];
      // A 3.x link to a logged model is kept: 2.x ignores the key, 3.x needs it.
      if (mv.modelId !== null || 'model_id' in mv.raw) d['model_id'] = mv.modelId;
      for (const k of Object.keys(MV_MLFLOW3_EXTRAS)) if (k in mv.raw) d[k] = mv.raw[k];
    } else {
      d['model_id'] = mv.modelId;
      for (const [k, dflt] of Object.entries(MV_MLFLOW3_EXTRAS)) d[k] = k in mv.raw ? mv.raw[k] : dflt;
    }
    return d;
  }

  private writeMeta(p: string, d: YamlDict, mode: 'new' | 'overwrite'): void {
    const text = dumpYaml(d as YamlMap);
    if (mode === 'new') writeFileExclusive(p, text);
    else writeFileAtomic(p, text, { skipIfSame: false });
  }

  private saveModel(rm: RmRecord, mode: 'new' | 'overwrite' = 'overwrite', dir = rm.dir): void {
    this.writeMeta(path.join(dir, META), this.modelDict(rm), mode);
  }

  private saveVersion(mv: MvRecord, mode: 'new' | 'overwrite' = 'overwrite', dir = mv.dir): void {
    this.writeMeta(path.join(dir, META), this.versionDict(mv), mode);
  }

  /** `_update_registered_model_last_updated_time`: re-reads the model (fresh aliases) and rewrites it. */
  private touchModel(name: string, time: number): void {
    const rm = this.getModelRecord(name);
    rm.lastUpdatedTimestamp = time;
    this.saveModel(rm);
  }

  /** `write_to` of a value file, atomically; parents created as `make_containing_dirs`. */
  private writeValueFile(dir: string, key: string, value: string): void {
    const p = safeJoin(dir, key);
    mkdirp(path.dirname(p));
    // Temp file in the folder holding the tags folder: never read as a tag if left by a kill.
    writeFileAtomic(p, value, { skipIfSame: false, tmpDir: path.dirname(dir) });
  }

  // ------------------------------------------------------------------ registered models

  /**
   * `create_registered_model`. Tags are written before meta.yaml, so a reader never sees a model
   * without its tags; the timestamps are those MLflow leaves (one clock reading per tag).
   */
  async createRegisteredModel(name: string, tags: RegistryTag[] = [], description: string | null = null): Promise<RegisteredModel> {
    validateRegisteredModelName(name);
    checkPortableModelFolder(name);
    const dir = this.modelDir(name);
    if (exists(dir)) this.throwAlreadyExists(name, tags);
    for (const t of tags) validateRegisteredModelTag(t.key, t.value);
    mkdirp(this.modelsDir);
    if (!mkdirNew(dir)) this.throwAlreadyExists(name, tags);
    try {
      const creation = this.now();
      let last = creation;
      for (const t of tags) {
        this.writeValueFile(path.join(dir, TAGS), t.key, t.value);
        last = this.now();
      }
      const rm: RmRecord = {
        name,
        creationTimestamp: creation,
        lastUpdatedTimestamp: last,
        description,
        tags: {},
        aliases: {},
        raw: {},
        dir,
      };
      this.saveModel(rm, 'new');
    } catch (err) {
      removeTree(dir);
      throw err;
    }
    return this.getRegisteredModel(name);
  }

  private throwAlreadyExists(name: string, tags: RegistryTag[]): never {
    let existingIsPrompt = false;
    try {
      const rm = this.readModelAt(this.modelDir(name));
      existingIsPrompt = rm !== undefined && IS_PROMPT_TAG_KEY in rm.tags;
    } catch {
      existingIsPrompt = false;
    }
    throw nameTakenError(name, existingIsPrompt, tags);
  }

  /**
   * `get_registered_model`: the model with its tags (the prompt marker hidden, as Python's
   * `RegisteredModel.tags`), aliases and the latest version of each stage.
   */
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return stripPromptTag(this.modelWithAllTags(name));
  }

  /** Like {@link getRegisteredModel} but with every tag, the prompt marker included. */
  async getRegisteredModelWithAllTags(name: string): Promise<RegisteredModel> {
    return this.modelWithAllTags(name);
  }

  private modelWithAllTags(name: string): RegisteredModel {
    validateRegisteredModelName(name);
    const rm = this.getModelRecord(name);
    return this.toRegisteredModel(rm, this.listVersionsAt(rm.dir, rm.aliases));
  }

  /** `update_registered_model`: sets the description and bumps `last_updated_timestamp`. */
  async updateRegisteredModel(name: string, description: string | null): Promise<RegisteredModel> {
    const rm = this.getModelRecord(name);
    const t = this.now();
    rm.description = description;
    rm.lastUpdatedTimestamp = t;
    this.saveModel(rm);
    return this.getRegisteredModel(name);
  }

  /**
   * `rename_registered_model`: a new folder with the model's meta.yaml (its alias mapping as it
   * was), every version (soft-deleted ones too) and their tags, then the old folder removed.
   * As in MLflow, the model's tags and alias files are not carried over. (MLflow itself crashes
   * on versions that have tags; this copies them as it intends to: one clock reading and a model
   * `last_updated_timestamp` bump per tag.)
   */
  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const oldDir = this.modelDir(name);
    if (!isDirectory(oldDir)) throw notFound(`Registered Model with name=${name} not found`);
    const rm = this.getModelRecord(name);
    checkPortableModelFolder(newName);
    const newDir = this.modelDir(newName);
    if (exists(newDir) || !mkdirNew(newDir)) throw alreadyExists(`Registered Model (name=${newName}) already exists.`);
    const versions = this.listVersionsAt(oldDir, rm.aliases);
    try {
      const t = this.now();
      const renamed: RmRecord = { ...rm, name: newName, lastUpdatedTimestamp: t, dir: newDir };
      this.saveModel(renamed, 'new');
      let lastTagTime: number | undefined;
      for (const mv of versions) {
        const vdir = path.join(newDir, `${VERSION_PREFIX}${mv.version}`);
        mkdirp(vdir);
        for (const [key, value] of Object.entries(mv.tags)) {
          this.writeValueFile(path.join(vdir, TAGS), key, value);
        }
        this.saveVersion({ ...mv, name: newName, lastUpdatedTimestamp: t, dir: vdir }, 'new');
        const nTags = Object.keys(mv.tags).length;
        for (let i = 0; i < nTags; i++) lastTagTime = this.now();
      }
      if (lastTagTime !== undefined) {
        // `set_model_version_tag` → `_update_registered_model_last_updated_time` re-reads the new
        // model: its alias mapping is then the (empty) alias folder's.
        this.saveModel({ ...renamed, aliases: {}, lastUpdatedTimestamp: lastTagTime, raw: rm.raw });
      }
    } catch (err) {
      removeTree(newDir);
      throw err;
    }
    removeTree(oldDir);
    return this.getRegisteredModel(newName);
  }

  /** `delete_registered_model`: removes the model's folder at once (no trash, as MLflow). */
  async deleteRegisteredModel(name: string): Promise<void> {
    const dir = this.modelDir(name);
    if (!isDirectory(dir)) throw notFound(`Registered Model with name=${name} not found`);
    // Move it aside first so no reader ever sees half a model.
    const aside = path.join(this.modelsDir, `.deleted-${randomBytes(6).toString('hex')}`);
    try {
      fs.renameSync(dir, aside);
    } catch (err) {
      throw ioError(err, 'delete', dir);
    }
    removeTree(aside);
  }

  /**
   * Every readable registered model, damaged ones skipped with a warning.
   *
   * @example
   * ```ts
   * const names = registryStore.listRegisteredModels().map((m) => m.name);
   * ```
   */
  listRegisteredModels(): RegisteredModel[] {
    const out: RegisteredModel[] = [];
    for (const folder of listSubdirs(this.modelsDir).sort()) {
      if (folder.startsWith('.')) {
        this.warn('STRAY_ENTRY', path.join(this.modelsDir, folder), `Ignoring '${path.join(this.modelsDir, folder)}': not a registered model`);
        continue;
      }
      const dir = path.join(this.modelsDir, folder);
      try {
        validateRegisteredModelName(folder);
      } catch (err) {
        this.warn('INVALID_ID', dir, `Ignoring '${dir}': ${(err as Error).message}`);
        continue;
      }
      const rm = this.readModelAt(dir);
      if (!rm) continue;
      out.push(this.toRegisteredModel(rm, this.listVersionsAt(dir, rm.aliases)));
    }
    return out;
  }

  /** `search_registered_models` (prompts excluded unless the filter names the prompt tag). */
  async searchRegisteredModels(options: RegistrySearchOptions = {}): Promise<PagedList<RegisteredModel>> {
    return searchRegisteredModelsPage(() => this.listRegisteredModels(), options);
  }

  /** `get_latest_versions`: per requested stage (default all four), its highest live version. */
  async getLatestVersions(name: string, stages?: string[] | null): Promise<ModelVersion[]> {
    const dir = this.modelDir(name);
    if (!isDirectory(dir)) throw notFound(`Registered Model with name=${name} not found`);
    const versions = this.listVersionsAt(dir);
    return latestPerStage(versions, latestVersionStages(stages)).map((mv) => this.toModelVersion(mv));
  }

  /** `set_registered_model_tag`: writes the tag file, then bumps the model's timestamp. */
  async setRegisteredModelTag(name: string, tag: RegistryTag): Promise<void> {
    validateRegisteredModelTag(tag.key, tag.value);
    const dir = this.modelDir(name);
    validateTagName(tag.key);
    if (!isDirectory(dir)) throw notFound(`Registered Model with name=${name} not found`);
    this.getModelRecord(name);
    this.writeValueFile(path.join(dir, TAGS), tag.key, tag.value);
    this.touchModel(name, this.now());
  }

  /** `delete_registered_model_tag`: a missing tag is not an error (nothing changes). */
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    const dir = this.modelDir(name);
    validateTagName(key);
    if (!isDirectory(dir)) throw notFound(`Registered Model with name=${name} not found`);
    const p = safeJoin(path.join(dir, TAGS), key);
    if (exists(p)) {
      removeFile(p);
      this.touchModel(name, this.now());
    }
  }

  // ------------------------------------------------------------------ model versions

  /**
   * `create_model_version`: number = highest existing (soft-deleted included) + 1.
   * `storage_location` is the source, or for `models:/` sources the place they resolve to
   * (a logged model's artifact location, another version's download URI). The version folder
   * is built under a hidden name and renamed into place, so readers see all of it or nothing.
   */
  async createModelVersion(name: string, source: string, args: CreateModelVersionArgs = {}): Promise<ModelVersion> {
    const tags = args.tags ?? [];
    checkCreateModelVersion(name, tags);
    const modelId = args.modelId ?? null;
    const resolved = await this.resolveSource(source, args.runId ?? null);
    const storageLocation = resolved.storageLocation;
    let runId = resolved.runId;
    if (!runId && modelId) runId = (await this.requireLoggedModels().getLoggedModel(modelId)).sourceRunId;

    let lastError: unknown;
    for (let attempt = 0; attempt < CREATE_MODEL_VERSION_RETRIES; attempt++) {
      try {
        const creation = this.now();
        const rm = this.getModelRecord(name);
        // max + 1 over every version folder: soft-deleted ones, and unreadable ones too (another
        // writer's version in the making, a crash leftover), so a number is never taken twice.
        const taken = listSubdirs(rm.dir)
          .map((d) => /^version-(\d+)$/.exec(d)?.[1])
          .filter((n): n is string => n !== undefined)
          .map(Number);
        const version = Math.max(0, ...taken) + 1;
        const finalDir = path.join(rm.dir, `${VERSION_PREFIX}${version}`);
        if (exists(finalDir)) throw new Error(`'${finalDir}' already exists`);
        const mv: MvRecord = {
          name,
          version,
          creationTimestamp: creation,
          lastUpdatedTimestamp: creation,
          description: args.description ?? null,
          userId: null,
          currentStage: STAGE_NONE,
          source,
          runId,
          runLink: args.runLink ?? null,
          status: 'READY',
          statusMessage: null,
          storageLocation,
          modelId,
          tags: {},
          aliases: [],
          raw: {},
          dir: finalDir,
        };
        const tmp = path.join(rm.dir, `.tmp-${VERSION_PREFIX}${randomBytes(6).toString('hex')}`);
        mkdirp(tmp);
        let last = creation;
        try {
          for (const t of tags) {
            this.writeValueFile(path.join(tmp, TAGS), t.key, t.value);
            last = this.now();
          }
          this.saveVersion(mv, 'new', tmp);
          try {
            fs.renameSync(tmp, finalDir);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new Error(`'${finalDir}' already exists`);
            throw ioError(err, 'create', finalDir);
          }
        } catch (err) {
          removeTree(tmp);
          throw err;
        }
        this.touchModelRecord(rm, last);
        return this.getModelVersion(name, String(version));
      } catch (err) {
        lastError = err;
        if (err instanceof MlflowError && err.code === 'IO_ERROR') throw err;
      }
    }
    throw new MlflowError(
      'INTERNAL_ERROR',
      `Model Version creation error (name=${name}). Error: ${(lastError as Error)?.message ?? String(lastError)}. Giving up after ${CREATE_MODEL_VERSION_RETRIES} attempts.`,
      { cause: lastError },
    );
  }

  /**
   * Where a version made from `source` keeps its files (`storage_location`) and its run: the
   * source itself, or for `models:/m-<id>` the logged model's artifact location (and its run
   * when none is given), for `models:/<name>/<version>` that version's download URI. Throws
   * as `create_model_version` does, before anything is written.
   *
   * @example
   * ```ts
   * await registry.resolveSource('models:/iris/1', null); // { storageLocation: '/…/artifacts/model', runId: null }
   * ```
   */
  async resolveSource(source: string, runId: string | null): Promise<{ storageLocation: string; runId: string | null }> {
    return resolveModelVersionSource(source, runId, {
      loggedModel: (id) => this.requireLoggedModels().getLoggedModel(id),
      downloadUri: (n, v) => this.getModelVersionDownloadUri(n, v),
    });
  }

  /** Rewrites a model read moments ago, with fresh aliases (as `_update_registered_model_last_updated_time`). */
  private touchModelRecord(rm: RmRecord, time: number): void {
    const fresh = this.readModelAt(rm.dir) ?? rm;
    fresh.lastUpdatedTimestamp = time;
    this.saveModel(fresh);
  }

  private requireLoggedModels(): LoggedModelLookup {
    // Default: the tracking store of the same root (what MLflow's global tracking client is).
    this.loggedModels ??= new FileStore(this.rootUri, { profile: this.profile, strict: this.strict });
    return this.loggedModels;
  }

  /** `get_model_version`: a live (not soft-deleted) version. */
  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    return this.toModelVersion(this.fetchVersion(name, version));
  }

  /** `update_model_version`: sets the description and bumps the version's timestamp. */
  async updateModelVersion(name: string, version: string | number, description: string | null): Promise<ModelVersion> {
    const t = this.now();
    const mv = this.fetchVersion(name, version);
    mv.description = description;
    mv.lastUpdatedTimestamp = t;
    this.saveVersion(mv);
    return this.toModelVersion(mv);
  }

  /**
   * `transition_model_version_stage` (legacy stages, case-insensitive). With
   * `archiveExistingVersions` (only for Staging/Production), every other version in the target
   * stage moves to Archived. The version is checked before anything is written.
   */
  async transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions = false,
  ): Promise<ModelVersion> {
    const canonical = transitionTargetStage(stage, archiveExistingVersions);
    const t = this.now();
    const target = this.fetchVersion(name, version);
    if (archiveExistingVersions) {
      for (const mv of this.listVersionsAt(this.modelDir(name))) {
        if (mv.version !== target.version && mv.currentStage === canonical) {
          mv.currentStage = STAGE_ARCHIVED;
          mv.lastUpdatedTimestamp = t;
          this.saveVersion(mv);
        }
      }
    }
    target.currentStage = canonical;
    target.lastUpdatedTimestamp = t;
    this.saveVersion(target);
    this.touchModel(name, t);
    return this.toModelVersion(target);
  }

  /**
   * `delete_model_version`: a soft delete (`current_stage: Deleted_Internal`; the number is never
   * reused), then every alias pointing at the version is deleted.
   */
  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    const mv = this.fetchVersion(name, version);
    mv.currentStage = STAGE_DELETED_INTERNAL;
    const t = this.now();
    mv.lastUpdatedTimestamp = t;
    this.saveVersion(mv);
    this.touchModel(name, t);
    for (const alias of mv.aliases) await this.deleteRegisteredModelAlias(name, alias);
  }

  /** `get_model_version_download_uri`: `storage_location`, else `source`. */
  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    const mv = this.fetchVersion(name, version);
    return mv.storageLocation || mv.source;
  }

  /**
   * Every readable version of every model (soft-deleted included), damaged ones skipped with a warning.
   *
   * @example
   * ```ts
   * const count = registryStore.listAllModelVersions().length;
   * ```
   */
  listAllModelVersions(): ModelVersion[] {
    const out: ModelVersion[] = [];
    for (const folder of listSubdirs(this.modelsDir).sort()) {
      if (folder.startsWith('.')) continue;
      const dir = path.join(this.modelsDir, folder);
      try {
        validateRegisteredModelName(folder);
      } catch {
        continue;
      }
      for (const mv of this.listVersionsAt(dir)) out.push(this.toModelVersion(mv));
    }
    return out;
  }

  /** `search_model_versions` (soft-deleted versions and prompts excluded). */
  async searchModelVersions(options: RegistrySearchOptions = {}): Promise<PagedList<ModelVersion>> {
    return searchModelVersionsPage(() => this.listAllModelVersions(), options);
  }

  /** `set_model_version_tag`: writes the tag file, then bumps the model's timestamp. */
  async setModelVersionTag(name: string, version: string | number, tag: RegistryTag): Promise<void> {
    validateModelVersionTag(tag.key, tag.value);
    validateTagName(tag.key);
    const mv = this.fetchVersion(name, version);
    this.writeValueFile(path.join(mv.dir, TAGS), tag.key, tag.value);
    this.touchModel(name, this.now());
  }

  /** `delete_model_version_tag`: a missing tag is not an error. */
  async deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void> {
    validateTagName(key);
    const mv = this.fetchVersion(name, version);
    const p = safeJoin(path.join(mv.dir, TAGS), key);
    if (exists(p)) {
      removeFile(p);
      this.touchModel(name, this.now());
    }
  }

  // ------------------------------------------------------------------ aliases

  /** `_get_registered_model_alias_path`. */
  private aliasPath(name: string, alias: string): string {
    validateRegisteredModelName(name);
    validateModelAliasName(alias);
    const dir = this.modelDir(name);
    if (!isDirectory(dir)) throw notFound(`Registered Model with name=${name} not found`);
    return safeJoin(path.join(dir, ALIASES), alias);
  }

  /**
   * `set_registered_model_alias`: `aliases/<alias>` holds the version number. `latest` and
   * `v<digits>` are reserved; the version must exist and not be deleted.
   */
  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    const p = this.aliasPath(name, alias);
    validateModelAliasNameReserved(alias);
    const mv = this.fetchVersion(name, version);
    mkdirp(path.dirname(p));
    writeFileAtomic(p, String(mv.version), { skipIfSame: false, tmpDir: path.dirname(path.dirname(p)) });
    this.touchModel(name, this.now());
  }

  /** `delete_registered_model_alias`: a missing alias is not an error. */
  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    const p = this.aliasPath(name, alias);
    if (isFile(p)) {
      removeFile(p);
      this.touchModel(name, this.now());
    }
  }

  /** `get_model_version_by_alias`; `latest` (any case) is the highest live version of any stage. */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    if (typeof alias === 'string' && alias.toLowerCase() === 'latest') {
      const latest = await this.getLatestVersions(name);
      if (latest.length === 0) throw notFound(`No versions of model with name '${name}' found`);
      const top = latest.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
      return this.getModelVersion(name, top.version);
    }
    const p = this.aliasPath(name, alias);
    const version = readTextIfExists(p);
    if (version === undefined) throw invalidParameter(`Registered model alias ${alias} not found.`);
    return this.getModelVersion(name, version);
  }
}

/** The highest live version in each stage, in the order of `stages`. */
function latestPerStage(versions: MvRecord[], stages: readonly string[]): MvRecord[] {
  const best = new Map<string, MvRecord>();
  for (const mv of versions) {
    if (!stages.includes(mv.currentStage)) continue;
    const cur = best.get(mv.currentStage);
    if (!cur || cur.version < mv.version) best.set(mv.currentStage, mv);
  }
  return stages.filter((s) => best.has(s)).map((s) => best.get(s) as MvRecord);
}

/**
 * A registered model is the folder `models/<name>`. MLflow refuses `\` in names only on Windows
 * (os.sep), so on Linux it accepts `a\..\..\x` or `\\server\share\x`: names that leave the root
 * once the store is read on Windows (a git-committed mlruns/, see docs/git.md). New names with a
 * backslash are refused on every platform; existing ones still read (validation stays MLflow's).
 */
function checkPortableModelFolder(name: string): void {
  if (name.includes('\\')) {
    throw invalidParameter(`Invalid name: '${name}'. Registered model name cannot contain path separator ('\\' is one on Windows)`);
  }
}
