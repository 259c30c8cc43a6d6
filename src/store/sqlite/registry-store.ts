/**
 * MLflow's model registry in the SQLite database (`registered_models`, `model_versions`, their
 * tags and `registered_model_aliases`), as Python's registry `SqlAlchemyStore` keeps it.
 */
import type { ModelVersion, ModelVersionStatus, PagedList, RegisteredModel } from '../../entities.js';
import { MlflowError, alreadyExists, invalidParameter, notFound } from '../../errors.js';
import type { ReadWarning } from '../../errors.js';
import {
  validateModelAliasName,
  validateModelAliasNameReserved,
  validateModelRenaming,
  validateModelVersion,
  validateModelVersionTag,
  validateRegisteredModelName,
  validateRegisteredModelTag,
  validateTagName,
} from '../../format/validation.js';
import type { CreateModelVersionArgs, LoggedModelLookup, RegistrySearchOptions, RegistryStore, RegistryTag } from '../registry-store.js';
import {
  IS_PROMPT_TAG_KEY,
  STAGE_ARCHIVED,
  STAGE_DELETED_INTERNAL,
  checkCreateModelVersion,
  latestVersionStages,
  nameTakenError,
  resolveModelVersionSource,
  stripPromptTag,
  transitionTargetStage,
} from '../registry-checks.js';
import { searchModelVersionRows, searchRegisteredModelNames } from './registry-search.js';
import type { RegistrySearchTarget } from './registry-search.js';
import { SqliteStore } from './sqlite-store.js';

interface RmRow {
  name: string;
  creation_time: number | null;
  last_updated_time: number | null;
  description: string | null;
}

interface MvRow {
  name: string;
  version: number;
  creation_time: number | null;
  last_updated_time: number | null;
  description: string | null;
  user_id: string | null;
  current_stage: string | null;
  source: string | null;
  run_id: string | null;
  status: string | null;
  status_message: string | null;
  run_link: string | null;
  storage_location?: string | null;
}

/** Options of a {@link SqliteRegistryStore}. */
export interface SqliteRegistryStoreOptions {
  now?: () => number;
  /** The tracking store that resolves `models:/m-<id>` sources (default: the same database). */
  loggedModels?: LoggedModelLookup;
}

/**
 * The model registry of a `sqlite:` URI. It shares the connection of a {@link SqliteStore} on
 * the same database when given one.
 *
 * @example
 * ```ts
 * const registry = new SqliteRegistryStore('sqlite:///mlflow.db');
 * await registry.createRegisteredModel('iris');
 * ```
 */
export class SqliteRegistryStore implements RegistryStore {
  readonly store: SqliteStore;
  private readonly ownsStore: boolean;
  private readonly now: () => number;
  private readonly loggedModels: LoggedModelLookup;

  constructor(storeOrUri: SqliteStore | string, options: SqliteRegistryStoreOptions = {}) {
    this.ownsStore = typeof storeOrUri === 'string';
    this.store = typeof storeOrUri === 'string' ? new SqliteStore(storeOrUri, options.now ? { now: options.now } : {}) : storeOrUri;
    this.now = options.now ?? (() => Date.now());
    this.loggedModels = options.loggedModels ?? this.store;
    if (!this.store.features.registry) {
      throw new MlflowError('INVALID_STATE', `The database '${this.store.file}' has no model registry tables; run 'mlflow db upgrade ${this.store.trackingUri}'`);
    }
  }

  get warnings(): readonly ReadWarning[] {
    return this.store.warnings;
  }

  /** Closes the connection when this registry opened it. */
  close(): void {
    if (this.ownsStore) this.store.close();
  }

  private get ws(): boolean {
    return this.store.features.workspaces;
  }

  private mvColumns(): string {
    return `name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status, status_message, run_link${this.store.features.storageLocation ? ', storage_location' : ''}`;
  }

  // ---------------------------------------------------------------- reading

  private modelRow(name: string): RmRow {
    validateRegisteredModelName(name);
    const row = this.store.stmt('SELECT name, creation_time, last_updated_time, description FROM registered_models WHERE name = ?').get(name) as RmRow | undefined;
    if (!row) throw notFound(`Registered Model with name=${name} not found`);
    return row;
  }

  private aliasesOf(name: string): { alias: string; version: number }[] {
    if (!this.store.features.aliases) return [];
    return this.store.stmt('SELECT alias, version FROM registered_model_aliases WHERE name = ?').all(name) as { alias: string; version: number }[];
  }

  private toModelVersion(row: MvRow, aliases: { alias: string; version: number }[]): ModelVersion {
    const tags: Record<string, string> = {};
    for (const t of this.store.stmt('SELECT key, value FROM model_version_tags WHERE name = ? AND version = ?').all(row.name, row.version) as { key: string; value: string }[]) {
      tags[t.key] = t.value;
    }
    return {
      name: row.name,
      version: String(row.version),
      creationTimestamp: row.creation_time,
      lastUpdatedTimestamp: row.last_updated_time,
      description: row.description,
      userId: row.user_id,
      currentStage: row.current_stage ?? 'None',
      source: row.source ?? '',
      runId: row.run_id,
      runLink: row.run_link,
      status: (row.status ?? 'READY') as ModelVersionStatus,
      statusMessage: row.status_message,
      tags,
      aliases: aliases.filter((a) => a.version === row.version).map((a) => a.alias),
      modelId: null,
      storageLocation: row.storage_location ?? null,
    };
  }

  private versionRow(name: string, version: string | number): MvRow {
    validateRegisteredModelName(name);
    const v = validateModelVersion(version);
    const row = this.store.stmt(`SELECT ${this.mvColumns()} FROM model_versions WHERE name = ? AND version = ? AND current_stage != ?`).get(name, v, STAGE_DELETED_INTERNAL) as
      | MvRow
      | undefined;
    if (!row) throw notFound(`Model Version (name=${name}, version=${v}) not found`);
    return row;
  }

  private modelWithAllTags(row: RmRow): RegisteredModel {
    const aliases = this.aliasesOf(row.name);
    const latest = new Map<string, MvRow>();
    for (const mv of this.store.stmt(`SELECT ${this.mvColumns()} FROM model_versions WHERE name = ?`).all(row.name) as MvRow[]) {
      const stage = mv.current_stage ?? 'None';
      if (stage === STAGE_DELETED_INTERNAL) continue;
      const cur = latest.get(stage);
      if (!cur || cur.version < mv.version) latest.set(stage, mv);
    }
    const tags: Record<string, string> = {};
    for (const t of this.store.stmt('SELECT key, value FROM registered_model_tags WHERE name = ?').all(row.name) as { key: string; value: string }[]) tags[t.key] = t.value;
    const aliasMap: Record<string, string> = {};
    for (const a of aliases) aliasMap[a.alias] = String(a.version);
    return {
      name: row.name,
      creationTimestamp: row.creation_time,
      lastUpdatedTimestamp: row.last_updated_time,
      description: row.description,
      latestVersions: [...latest.values()].map((mv) => ({ ...this.toModelVersion(mv, []), aliases: [] })),
      tags,
      aliases: aliasMap,
    };
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return stripPromptTag(await this.getRegisteredModelWithAllTags(name));
  }

  async getRegisteredModelWithAllTags(name: string): Promise<RegisteredModel> {
    return this.store.read('reading a registered model', () => this.modelWithAllTags(this.modelRow(name)));
  }

  private get searchTarget(): RegistrySearchTarget {
    return { db: this.store.db, workspaces: this.ws };
  }

  /**
   * `SqlAlchemyStore.search_registered_models`: its query, order and page tokens (./registry-search.ts).
   *
   * @example
   * ```ts
   * const { items, token } = await registry.searchRegisteredModels({ filterString: "name LIKE 'ir%'", orderBy: ['timestamp DESC'] });
   * ```
   */
  async searchRegisteredModels(options: RegistrySearchOptions = {}): Promise<PagedList<RegisteredModel>> {
    return this.store.read('searching registered models', () => {
      const { names, token } = searchRegisteredModelNames(this.searchTarget, options);
      const rowOf = this.store.stmt('SELECT name, creation_time, last_updated_time, description FROM registered_models WHERE name = ?');
      return { items: names.map((n) => stripPromptTag(this.modelWithAllTags(rowOf.get(n) as RmRow))), token };
    });
  }

  async getLatestVersions(name: string, stages?: string[] | null): Promise<ModelVersion[]> {
    return this.store.read('reading latest versions', () => {
      const model = this.modelWithAllTags(this.modelRow(name));
      const expected = new Set(latestVersionStages(stages));
      const aliases = this.aliasesOf(name);
      return model.latestVersions
        .filter((mv) => expected.has(mv.currentStage))
        .map((mv) => ({ ...mv, aliases: aliases.filter((a) => String(a.version) === mv.version).map((a) => a.alias) }));
    });
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    return this.store.read('reading a model version', () => this.toModelVersion(this.versionRow(name, version), this.aliasesOf(name)));
  }

  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    return this.store.read('reading a model version', () => {
      const row = this.versionRow(name, version);
      return row.storage_location || row.source || '';
    });
  }

  /**
   * `SqlAlchemyStore.search_model_versions`: its query, order and page tokens (./registry-search.ts).
   *
   * @example
   * ```ts
   * const { items } = await registry.searchModelVersions({ filterString: "name = 'iris' AND run_id != 'abc'" });
   * ```
   */
  async searchModelVersions(options: RegistrySearchOptions = {}): Promise<PagedList<ModelVersion>> {
    return this.store.read('searching model versions', () => {
      const columns = this.mvColumns()
        .split(', ')
        .map((c) => `m.${c}`)
        .join(', ');
      const { rows, token } = searchModelVersionRows<MvRow>(this.searchTarget, columns, options);
      // Python's search leaves `aliases` empty (it does not populate them).
      return { items: rows.map((r) => this.toModelVersion(r, [])), token };
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateRegisteredModelName(name);
    validateModelAliasName(alias);
    if (alias.toLowerCase() === 'latest') {
      const versions = await this.getLatestVersions(name);
      if (versions.length === 0) throw notFound(`Latest version not found for model ${name}.`);
      return versions.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
    }
    return this.store.read('reading an alias', () => {
      this.modelRow(name);
      const row = this.store.features.aliases
        ? (this.store.stmt('SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?').get(name, alias) as { version: number } | undefined)
        : undefined;
      if (!row) throw invalidParameter(`Registered model alias ${alias} not found.`);
      return this.toModelVersion(this.versionRow(name, row.version), this.aliasesOf(name));
    });
  }

  // ---------------------------------------------------------------- writing

  private insert(table: string, values: Record<string, unknown>): void {
    const cols = Object.keys(values);
    if (this.ws && table !== 'registered_model_aliases_noop') cols.push('workspace');
    const vals = [...Object.values(values), ...(this.ws ? ['default'] : [])];
    this.store.stmt(`INSERT INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...vals);
  }

  private upsert(table: string, values: Record<string, unknown>): void {
    const cols = Object.keys(values);
    if (this.ws) cols.push('workspace');
    const vals = [...Object.values(values), ...(this.ws ? ['default'] : [])];
    this.store.stmt(`INSERT OR REPLACE INTO ${table} (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...vals);
  }

  async createRegisteredModel(name: string, tags: RegistryTag[] = [], description: string | null = null): Promise<RegisteredModel> {
    validateRegisteredModelName(name);
    for (const t of tags) validateRegisteredModelTag(t.key, t.value);
    return this.store.write('creating a registered model', () => {
      const existing = this.store.stmt('SELECT name FROM registered_models WHERE name = ?').get(name);
      if (existing) {
        const existingIsPrompt = !!this.store.stmt('SELECT 1 FROM registered_model_tags WHERE name = ? AND key = ?').get(name, IS_PROMPT_TAG_KEY);
        throw nameTakenError(name, existingIsPrompt, tags);
      }
      const t = this.now();
      this.insert('registered_models', { name, creation_time: t, last_updated_time: t, description });
      const dict = new Map<string, string>();
      for (const tag of tags) dict.set(tag.key, tag.value);
      for (const [key, value] of dict) this.insert('registered_model_tags', { key, value, name });
      return stripPromptTag(this.modelWithAllTags(this.modelRow(name)));
    });
  }

  async updateRegisteredModel(name: string, description: string | null): Promise<RegisteredModel> {
    return this.store.write('updating a registered model', () => {
      this.modelRow(name);
      this.store.stmt('UPDATE registered_models SET description = ?, last_updated_time = ? WHERE name = ?').run(description, this.now(), name);
      return stripPromptTag(this.modelWithAllTags(this.modelRow(name)));
    });
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelRenaming(newName);
    return this.store.write('renaming a registered model', () => {
      this.modelRow(name);
      if (this.store.stmt('SELECT 1 FROM registered_models WHERE name = ?').get(newName)) {
        throw alreadyExists(
          `Registered Model (name=${newName}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: registered_models.${this.ws ? 'workspace, registered_models.name' : 'name'}`,
        );
      }
      const t = this.now();
      // ON UPDATE CASCADE moves versions, tags and aliases with the model.
      this.store.stmt('UPDATE registered_models SET name = ?, last_updated_time = ? WHERE name = ?').run(newName, t, name);
      this.store.stmt('UPDATE model_versions SET last_updated_time = ? WHERE name = ?').run(t, newName);
      return stripPromptTag(this.modelWithAllTags(this.modelRow(newName)));
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    this.store.write('deleting a registered model', () => {
      this.modelRow(name);
      this.store.stmt('DELETE FROM model_version_tags WHERE name = ?').run(name);
      if (this.store.features.aliases) this.store.stmt('DELETE FROM registered_model_aliases WHERE name = ?').run(name);
      this.store.stmt('DELETE FROM model_versions WHERE name = ?').run(name);
      this.store.stmt('DELETE FROM registered_model_tags WHERE name = ?').run(name);
      this.store.stmt('DELETE FROM registered_models WHERE name = ?').run(name);
    });
  }

  async setRegisteredModelTag(name: string, tag: RegistryTag): Promise<void> {
    validateRegisteredModelName(name);
    validateRegisteredModelTag(tag.key, tag.value);
    this.store.write('setting a registered model tag', () => {
      this.modelRow(name);
      this.upsert('registered_model_tags', { key: tag.key, value: tag.value, name });
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateRegisteredModelName(name);
    validateTagName(key);
    this.store.write('deleting a registered model tag', () => {
      this.modelRow(name);
      this.store.stmt('DELETE FROM registered_model_tags WHERE name = ? AND key = ?').run(name, key);
    });
  }

  async resolveSource(source: string, runId: string | null): Promise<{ storageLocation: string; runId: string | null }> {
    return resolveModelVersionSource(source, runId, { loggedModel: (id) => this.loggedModels.getLoggedModel(id), downloadUri: (n, v) => this.getModelVersionDownloadUri(n, v) });
  }

  async createModelVersion(name: string, source: string, args: CreateModelVersionArgs = {}): Promise<ModelVersion> {
    checkCreateModelVersion(name, args.tags ?? []);
    const resolved = await this.resolveSource(source, args.runId ?? null);
    let runId = resolved.runId;
    if (!runId && args.modelId) runId = (await this.loggedModels.getLoggedModel(args.modelId)).sourceRunId;
    return this.store.write('creating a model version', () => {
      this.modelRow(name);
      const t = this.now();
      this.store.stmt('UPDATE registered_models SET last_updated_time = ? WHERE name = ?').run(t, name);
      const max = this.store.stmt('SELECT MAX(version) AS v FROM model_versions WHERE name = ?').get(name) as { v: number | null };
      const version = (max.v ?? 0) + 1;
      const row: Record<string, unknown> = {
        name,
        version,
        creation_time: t,
        last_updated_time: t,
        description: args.description ?? null,
        user_id: null,
        current_stage: 'None',
        source,
        run_id: runId ?? null,
        status: 'READY',
        status_message: null,
        run_link: args.runLink ?? null,
      };
      if (this.store.features.storageLocation) row['storage_location'] = resolved.storageLocation;
      this.insert('model_versions', row);
      const dict = new Map<string, string>();
      for (const tag of args.tags ?? []) dict.set(tag.key, tag.value);
      for (const [key, value] of dict) this.insert('model_version_tags', { key, value, name, version });
      return this.toModelVersion(this.versionRow(name, version), this.aliasesOf(name));
    });
  }

  async updateModelVersion(name: string, version: string | number, description: string | null): Promise<ModelVersion> {
    return this.store.write('updating a model version', () => {
      const row = this.versionRow(name, version);
      this.store.stmt('UPDATE model_versions SET description = ?, last_updated_time = ? WHERE name = ? AND version = ?').run(description, this.now(), name, row.version);
      return this.toModelVersion(this.versionRow(name, row.version), this.aliasesOf(name));
    });
  }

  async transitionModelVersionStage(name: string, version: string | number, stage: string, archiveExistingVersions: boolean): Promise<ModelVersion> {
    const canonical = transitionTargetStage(stage, archiveExistingVersions);
    return this.store.write('transitioning a model version', () => {
      const t = this.now();
      const v = validateModelVersion(version);
      if (archiveExistingVersions) {
        this.store.stmt('UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version != ? AND current_stage = ?').run(STAGE_ARCHIVED, t, name, v, canonical);
      }
      const row = this.versionRow(name, v);
      this.store.stmt('UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?').run(canonical, t, name, row.version);
      this.store.stmt('UPDATE registered_models SET last_updated_time = ? WHERE name = ?').run(t, name);
      return this.toModelVersion(this.versionRow(name, row.version), this.aliasesOf(name));
    });
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    this.store.write('deleting a model version', () => {
      const row = this.versionRow(name, version);
      const t = this.now();
      this.store.stmt('UPDATE registered_models SET last_updated_time = ? WHERE name = ?').run(t, name);
      if (this.store.features.aliases) this.store.stmt('DELETE FROM registered_model_aliases WHERE name = ? AND version = ?').run(name, row.version);
      this.store
        .stmt(
          "UPDATE model_versions SET current_stage = ?, last_updated_time = ?, description = NULL, user_id = NULL, source = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK', status_message = NULL WHERE name = ? AND version = ?",
        )
        .run(STAGE_DELETED_INTERNAL, t, name, row.version);
    });
  }

  async setModelVersionTag(name: string, version: string | number, tag: RegistryTag): Promise<void> {
    validateRegisteredModelName(name);
    const v = validateModelVersion(version);
    validateModelVersionTag(tag.key, tag.value);
    this.store.write('setting a model version tag', () => {
      this.versionRow(name, v);
      this.upsert('model_version_tags', { key: tag.key, value: tag.value, name, version: v });
    });
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void> {
    validateRegisteredModelName(name);
    const v = validateModelVersion(version);
    validateTagName(key);
    this.store.write('deleting a model version tag', () => {
      this.versionRow(name, v);
      this.store.stmt('DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?').run(name, v, key);
    });
  }

  private requireAliases(): void {
    if (!this.store.features.aliases) {
      throw new MlflowError('INVALID_STATE', `The database '${this.store.file}' predates model aliases; run 'mlflow db upgrade ${this.store.trackingUri}'`);
    }
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    validateRegisteredModelName(name);
    validateModelAliasName(alias);
    validateModelAliasNameReserved(alias);
    const v = validateModelVersion(version);
    this.requireAliases();
    this.store.write('setting an alias', () => {
      this.versionRow(name, v);
      this.upsert('registered_model_aliases', { alias, version: v, name });
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateRegisteredModelName(name);
    validateModelAliasName(alias);
    this.requireAliases();
    this.store.write('deleting an alias', () => {
      this.modelRow(name);
      this.store.stmt('DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?').run(name, alias);
    });
  }
}
