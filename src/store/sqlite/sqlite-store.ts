/**
 * MLflow's SQL tracking store on SQLite (`sqlite:///mlflow.db`), read and written as Python's
 * `SqlAlchemyStore` does: the same rows (runs, params, tags, metric history and `latest_metrics`,
 * dataset inputs, logged models), the same error codes and messages, the same transactions
 * (one per call, with MLflow's busy timeout) so Python and Node processes share one file.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type {
  Dataset,
  DatasetInput,
  Experiment,
  LifecycleStage,
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
import { LOGGED_MODEL_STATUS_TO_INT } from '../../entities.js';
import { MlflowError, invalidParameter, invalidState, notFound, alreadyExists } from '../../errors.js';
import type { ReadWarning } from '../../errors.js';
import {
  validateBatchLogData,
  validateBatchLogLimits,
  validateDatasetInputs,
  validateExperimentArtifactLocation,
  validateExperimentName,
  validateExperimentTag,
  validateLoggedModelName,
  validateMetric,
  validateParam,
  validateParamKeysUnique,
  validateRunId,
  validateTag,
} from '../../format/validation.js';
import { generateRunName } from '../../format/names.js';
import { searchExperimentsInMemory } from '../../search/index.js';
import { createPageToken, parseStartOffset } from '../../search/paging.js';
import type { CreateLoggedModelArgs, CreateRunArgs, SearchExperimentsOptions, SearchRunsOptions, TrackingStore } from '../tracking-store.js';
import type { ArtifactRepository } from '../artifact-repository.js';
import { LocalArtifactRepository } from '../file/artifacts.js';
import { appendToUriPath, resolveUriIfLocal } from '../uri.js';
import { WarningSink } from '../warnings.js';
import { BUSY_TIMEOUT_MS, openMlflowDatabase, sqliteError } from './db.js';
import type { SchemaFeatures } from './db.js';
import { searchRunsSql } from './search.js';
import { parseExperimentId } from './rows.js';
import type { RunRow } from './rows.js';

export { parseExperimentId };
export type { RunRow };

export const RUN_NAME_TAG = 'mlflow.runName';
export const LOGGED_MODELS_TAG = 'mlflow.log-model.history';
const DEFAULT_EXPERIMENT_ID = '0';
const MAX_FLOAT = 1.7976931348623157e308;
const STATUS_FROM_INT: Readonly<Record<number, LoggedModelStatus>> = {
  0: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  1: 'PENDING',
  2: 'READY',
  3: 'FAILED',
};

/** Options of a {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Where new experiments put their artifacts (MLflow's `default_artifact_root`): default
   * `./mlruns` resolved against the working folder, as Python MLflow 3.7+ does for
   * `sqlite:///mlflow.db`.
   */
  artifactRoot?: string;
  /** Clock in ms (tests pin it). */
  now?: () => number;
  /** Id sources (tests pin them). */
  ids?: { runId?: () => string; loggedModelId?: () => string; uuid?: () => string; runName?: () => string };
  onWarning?: (w: ReadWarning) => void;
  strict?: boolean;
  /** Open without writing anything (no default experiment, read-only connection). */
  readonly?: boolean;
  /** How long a write waits for another process's lock (default 20 s, MLflow's `busy_timeout`). */
  busyTimeoutMs?: number;
}


interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string | null;
  lifecycle_stage: string | null;
  creation_time?: number | null;
  last_update_time?: number | null;
}

interface MetricRow {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}

/** MLflow's `sanitize_metric_value`: NaN is stored as 0 with is_nan, ±Infinity as ±max float. */
export function sanitizeMetricValue(v: number): { isNan: boolean; value: number } {
  if (Number.isNaN(v)) return { isNan: true, value: 0 };
  if (v === Infinity) return { isNan: false, value: MAX_FLOAT };
  if (v === -Infinity) return { isNan: false, value: -MAX_FLOAT };
  return { isNan: false, value: v };
}

function stagesOf(view: ViewType): string[] {
  if (view === 'ACTIVE_ONLY') return ['active'];
  if (view === 'DELETED_ONLY') return ['deleted'];
  return ['active', 'deleted'];
}

function hex32(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * The tracking store of a `sqlite:` URI, on MLflow's SQLAlchemy schema.
 *
 * @example
 * ```ts
 * const store = new SqliteStore('sqlite:///mlflow.db');
 * const run = await store.createRun({ experimentId: '0', userId: 'me', startTime: Date.now(), tags: [] });
 * await store.logMetric(run.info.runId, { key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 });
 * store.close();
 * ```
 */
export class SqliteStore implements TrackingStore {
  readonly trackingUri: string;
  readonly db: Database.Database;
  /** The database file. */
  readonly file: string;
  readonly features: SchemaFeatures;
  /** MLflow's `artifact_root_uri`: where new experiments put their artifacts. */
  readonly artifactRootUri: string;
  private readonly sink: WarningSink;
  private readonly busyTimeoutMs: number;
  private readonly now: () => number;
  private readonly ids: Required<NonNullable<SqliteStoreOptions['ids']>>;
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;

  constructor(uri: string, options: SqliteStoreOptions = {}) {
    this.trackingUri = uri;
    this.busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    const opened = openMlflowDatabase(uri, { readonly: options.readonly ?? false, busyTimeoutMs: this.busyTimeoutMs });
    this.db = opened.db;
    this.file = opened.file;
    this.features = opened.features;
    this.artifactRootUri = resolveUriIfLocal(options.artifactRoot ?? './mlruns');
    this.sink = new WarningSink({ strict: options.strict ?? false, onWarning: options.onWarning });
    this.now = options.now ?? (() => Date.now());
    this.ids = {
      runId: options.ids?.runId ?? hex32,
      loggedModelId: options.ids?.loggedModelId ?? (() => `m-${hex32()}`),
      uuid: options.ids?.uuid ?? hex32,
      runName: options.ids?.runName ?? (() => generateRunName()),
    };
    if (!options.readonly && this.features.writable) this.ensureDefaultExperiment();
  }

  get warnings(): readonly ReadWarning[] {
    return this.sink.warnings;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }

  // ---------------------------------------------------------------- plumbing

  /** A cached prepared statement. */
  stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs reads in one (deferred) transaction: a consistent snapshot. */
  read<T>(doing: string, fn: () => T): T {
    if (this.closed) throw invalidState('The store is closed');
    try {
      return this.db.inTransaction ? fn() : this.db.transaction(fn).deferred();
    } catch (e) {
      throw sqliteError(e, this.file, doing, this.busyTimeoutMs);
    }
  }

  /**
   * Runs writes in one transaction that takes the write lock first (`BEGIN IMMEDIATE`, waiting up
   * to the busy timeout); refused on a schema revision we do not write.
   */
  write<T>(doing: string, fn: () => T): T {
    if (this.closed) throw invalidState('The store is closed');
    if (!this.features.writable) throw new MlflowError('INVALID_STATE', this.features.readOnlyReason ?? 'read-only database', { path: this.file });
    try {
      return this.db.inTransaction ? fn() : this.db.transaction(fn).immediate();
    } catch (e) {
      throw sqliteError(e, this.file, doing, this.busyTimeoutMs);
    }
  }

  private ensureDefaultExperiment(): void {
    const exists = this.read('reading the default experiment', () => this.stmt('SELECT 1 FROM experiments WHERE experiment_id = 0').get());
    if (exists) return;
    this.write('creating the default experiment', () => {
      if (this.stmt('SELECT 1 FROM experiments WHERE experiment_id = 0').get()) return;
      const t = this.now();
      this.insertExperimentRow(0, 'Default', appendToUriPath(this.artifactRootUri, '0'), 'active', t, t);
    });
  }

  private insertExperimentRow(id: number | null, name: string, location: string | null, stage: string, created: number, updated: number): number {
    const cols = ['name', 'artifact_location', 'lifecycle_stage'];
    const vals: unknown[] = [name, location, stage];
    if (id !== null) {
      cols.unshift('experiment_id');
      vals.unshift(id);
    }
    if (this.features.experimentTimes) {
      cols.push('creation_time', 'last_update_time');
      vals.push(created, updated);
    }
    if (this.features.workspaces) {
      cols.push('workspace');
      vals.push('default');
    }
    const info = this.stmt(`INSERT INTO experiments (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...vals);
    return Number(info.lastInsertRowid);
  }

  // ---------------------------------------------------------------- experiments

  private experimentColumns(): string {
    return this.features.experimentTimes
      ? 'experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time'
      : 'experiment_id, name, artifact_location, lifecycle_stage';
  }

  private experimentTags(ids: number[]): Map<number, Record<string, string>> {
    const out = new Map<number, Record<string, string>>();
    for (const id of ids) out.set(id, {});
    if (ids.length === 0) return out;
    const rows =
      ids.length === 1
        ? (this.stmt('SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id = ?').all(ids[0]) as { experiment_id: number; key: string; value: string }[])
        : (this.stmt('SELECT experiment_id, key, value FROM experiment_tags').all() as { experiment_id: number; key: string; value: string }[]);
    for (const r of rows) {
      const tags = out.get(r.experiment_id);
      if (tags) tags[r.key] = r.value;
    }
    return out;
  }

  private toExperiment(row: ExperimentRow, tags: Record<string, string>): Experiment {
    return {
      experimentId: String(row.experiment_id),
      name: row.name,
      artifactLocation: row.artifact_location ?? '',
      lifecycleStage: (row.lifecycle_stage ?? 'active') as LifecycleStage,
      tags,
      creationTime: row.creation_time ?? null,
      lastUpdateTime: row.last_update_time ?? null,
    };
  }

  private experimentRow(id: number): ExperimentRow | undefined {
    return this.stmt(`SELECT ${this.experimentColumns()} FROM experiments WHERE experiment_id = ?`).get(id) as ExperimentRow | undefined;
  }

  /** `_get_experiment`: the row, or MLflow's not-found error. */
  private requireExperiment(experimentId: string | null | undefined, view: ViewType = 'ALL'): ExperimentRow {
    const id = parseExperimentId(experimentId || DEFAULT_EXPERIMENT_ID);
    const row = this.experimentRow(id);
    if (!row || !stagesOf(view).includes(row.lifecycle_stage ?? '')) throw notFound(`No Experiment with id=${id} exists`);
    return row;
  }

  /** Every experiment of a view with its tags. */
  listExperiments(view: ViewType = 'ALL'): Experiment[] {
    return this.read('listing experiments', () => {
      const rows = (this.stmt(`SELECT ${this.experimentColumns()} FROM experiments`).all() as ExperimentRow[]).filter((r) =>
        stagesOf(view).includes(r.lifecycle_stage ?? ''),
      );
      const tags = this.experimentTags(rows.map((r) => r.experiment_id));
      return rows.map((r) => this.toExperiment(r, tags.get(r.experiment_id) ?? {}));
    });
  }

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<PagedList<Experiment>> {
    const view = options.viewType ?? 'ACTIVE_ONLY';
    return searchExperimentsInMemory(this.listExperiments(view), {
      filterString: options.filterString ?? null,
      orderBy: options.orderBy ?? null,
      maxResults: options.maxResults ?? 1000,
      pageToken: options.pageToken ?? null,
    });
  }

  async createExperiment(name: string, artifactLocation?: string | null, tags: RunTag[] = []): Promise<string> {
    validateExperimentName(name);
    let location = artifactLocation || null;
    if (location) {
      location = resolveUriIfLocal(location);
      validateExperimentArtifactLocation(location);
    }
    for (const t of tags) validateExperimentTag(t.key, t.value);
    return this.write('creating an experiment', () => {
      if (this.stmt('SELECT 1 FROM experiments WHERE name = ?').get(name)) {
        throw alreadyExists(
          `Experiment(name=${name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.${this.features.workspaces ? 'workspace, experiments.name' : 'name'}`,
        );
      }
      const t = this.now();
      const id = this.insertExperimentRow(null, name, location, 'active', t, t);
      for (const tag of tags) this.stmt('INSERT OR REPLACE INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)').run(tag.key, tag.value, id);
      if (!location) this.stmt('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?').run(appendToUriPath(this.artifactRootUri, String(id)), id);
      return String(id);
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.read('reading an experiment', () => {
      const row = this.requireExperiment(experimentId);
      return this.toExperiment(row, this.experimentTags([row.experiment_id]).get(row.experiment_id) ?? {});
    });
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.read('reading an experiment', () => {
      const row = this.stmt(`SELECT ${this.experimentColumns()} FROM experiments WHERE name = ?`).get(name) as ExperimentRow | undefined;
      if (!row) return null;
      return this.toExperiment(row, this.experimentTags([row.experiment_id]).get(row.experiment_id) ?? {});
    });
  }

  private touchExperiment(id: number, stage: string): void {
    if (this.features.experimentTimes) {
      this.stmt('UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?').run(stage, this.now(), id);
    } else {
      this.stmt('UPDATE experiments SET lifecycle_stage = ? WHERE experiment_id = ?').run(stage, id);
    }
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    this.write('deleting an experiment', () => {
      const row = this.requireExperiment(experimentId, 'ACTIVE_ONLY');
      this.touchExperiment(row.experiment_id, 'deleted');
      if (this.features.runDeletedTime) {
        this.stmt("UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ?").run(this.now(), row.experiment_id);
      } else {
        this.stmt("UPDATE runs SET lifecycle_stage = 'deleted' WHERE experiment_id = ?").run(row.experiment_id);
      }
    });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    this.write('restoring an experiment', () => {
      const row = this.requireExperiment(experimentId, 'DELETED_ONLY');
      this.touchExperiment(row.experiment_id, 'active');
      if (this.features.runDeletedTime) {
        this.stmt("UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ?").run(row.experiment_id);
      } else {
        this.stmt("UPDATE runs SET lifecycle_stage = 'active' WHERE experiment_id = ?").run(row.experiment_id);
      }
    });
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    this.write('renaming an experiment', () => {
      const row = this.requireExperiment(experimentId);
      if (row.lifecycle_stage !== 'active') throw invalidState('Cannot rename a non-active experiment.');
      const clash = this.stmt('SELECT experiment_id FROM experiments WHERE name = ?').get(newName) as { experiment_id: number } | undefined;
      if (clash && clash.experiment_id !== row.experiment_id) {
        throw new MlflowError(
          'BAD_REQUEST',
          `(sqlite3.IntegrityError) UNIQUE constraint failed: experiments.${this.features.workspaces ? 'workspace, experiments.name' : 'name'}`,
        );
      }
      if (this.features.experimentTimes) {
        this.stmt('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?').run(newName, this.now(), row.experiment_id);
      } else {
        this.stmt('UPDATE experiments SET name = ? WHERE experiment_id = ?').run(newName, row.experiment_id);
      }
    });
  }

  private checkExperimentActive(row: ExperimentRow): void {
    if (row.lifecycle_stage !== 'active') {
      throw invalidParameter(`The experiment ${row.experiment_id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
    }
  }

  async setExperimentTag(experimentId: string, tag: RunTag): Promise<void> {
    validateExperimentTag(tag.key, tag.value);
    this.write('setting an experiment tag', () => {
      const row = this.requireExperiment(experimentId);
      this.checkExperimentActive(row);
      this.stmt('INSERT OR REPLACE INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)').run(tag.key, tag.value, row.experiment_id);
    });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    this.write('deleting an experiment tag', () => {
      const row = this.requireExperiment(experimentId);
      this.checkExperimentActive(row);
      const info = this.stmt('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?').run(row.experiment_id, key);
      if (info.changes === 0) throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    });
  }

  // ---------------------------------------------------------------- runs: reading

  runRow(runId: string): RunRow {
    const row = this.stmt(
      'SELECT run_uuid, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri, experiment_id FROM runs WHERE run_uuid = ?',
    ).get(runId) as RunRow | undefined;
    if (!row) throw notFound(`Run with id=${runId} not found`);
    return row;
  }

  private runInfo(row: RunRow, tags: Record<string, string>): RunInfo {
    const runName = row.name || tags[RUN_NAME_TAG] || (row.name === null ? null : row.name);
    return {
      runId: row.run_uuid,
      runUuid: row.run_uuid,
      experimentId: String(row.experiment_id),
      runName: runName ?? null,
      userId: row.user_id ?? '',
      status: (row.status ?? 'RUNNING') as RunStatus,
      startTime: row.start_time,
      endTime: row.end_time,
      artifactUri: row.artifact_uri,
      lifecycleStage: (row.lifecycle_stage ?? 'active') as LifecycleStage,
    };
  }

  /** Full runs (data, inputs, outputs) of run rows, in the given order. */
  hydrateRuns(rows: RunRow[]): Run[] {
    if (rows.length === 0) return [];
    const byId = new Map<string, Run>();
    const out: Run[] = [];
    for (const row of rows) {
      const run: Run = {
        info: this.runInfo(row, {}),
        data: { metrics: {}, params: {}, tags: {} },
        inputs: { datasetInputs: [], modelInputs: [] },
        outputs: { modelOutputs: [] },
      };
      byId.set(row.run_uuid, run);
      out.push(run);
    }
    const ids = rows.map((r) => r.run_uuid);
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const marks = chunk.map(() => '?').join(', ');
      for (const t of this.db.prepare(`SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (${marks})`).all(...chunk) as { run_uuid: string; key: string; value: string }[]) {
        (byId.get(t.run_uuid) as Run).data.tags[t.key] = t.value;
      }
      for (const p of this.db.prepare(`SELECT run_uuid, key, value FROM params WHERE run_uuid IN (${marks})`).all(...chunk) as { run_uuid: string; key: string; value: string }[]) {
        (byId.get(p.run_uuid) as Run).data.params[p.key] = p.value;
      }
      for (const m of this.db.prepare(`SELECT run_uuid, key, value, is_nan FROM latest_metrics WHERE run_uuid IN (${marks})`).all(...chunk) as {
        run_uuid: string;
        key: string;
        value: number;
        is_nan: number;
      }[]) {
        (byId.get(m.run_uuid) as Run).data.metrics[m.key] = m.is_nan ? NaN : m.value;
      }
      if (this.features.datasets) this.loadDatasetInputs(chunk, marks, byId);
      if (this.features.loggedModels) {
        const stepCol = this.features.inputStep ? 'step' : '0 AS step';
        for (const r of this.db
          .prepare(
            `SELECT source_type, source_id, destination_id, ${stepCol} FROM inputs WHERE source_id IN (${marks}) AND ((source_type = 'RUN_INPUT' AND destination_type = 'MODEL_INPUT') OR (source_type = 'RUN_OUTPUT' AND destination_type = 'MODEL_OUTPUT'))`,
          )
          .all(...chunk) as { source_type: string; source_id: string; destination_id: string; step: number }[]) {
          const run = byId.get(r.source_id) as Run;
          if (r.source_type === 'RUN_INPUT') run.inputs.modelInputs.push({ modelId: r.destination_id });
          else run.outputs.modelOutputs.push({ modelId: r.destination_id, step: r.step });
        }
      }
    }
    for (const run of out) {
      if (!run.info.runName) {
        const fromTag = run.data.tags[RUN_NAME_TAG];
        if (fromTag) run.info.runName = fromTag;
      }
    }
    return out;
  }

  private loadDatasetInputs(chunk: string[], marks: string, byId: Map<string, Run>): void {
    const rows = this.db
      .prepare(
        `SELECT i.input_uuid, i.destination_id AS run_uuid, d.dataset_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile, t.name AS tag_name, t.value AS tag_value
         FROM inputs i JOIN datasets d ON i.source_id = d.dataset_uuid LEFT OUTER JOIN input_tags t ON t.input_uuid = i.input_uuid
         WHERE i.destination_type = 'RUN' AND i.destination_id IN (${marks}) ORDER BY run_uuid`,
      )
      .all(...chunk) as {
      input_uuid: string;
      run_uuid: string;
      dataset_uuid: string;
      name: string;
      digest: string;
      dataset_source_type: string;
      dataset_source: string;
      dataset_schema: string | null;
      dataset_profile: string | null;
      tag_name: string | null;
      tag_value: string | null;
    }[];
    const perRun = new Map<string, Map<string, DatasetInput>>();
    for (const r of rows) {
      let inputs = perRun.get(r.run_uuid);
      if (!inputs) perRun.set(r.run_uuid, (inputs = new Map()));
      let input = inputs.get(r.dataset_uuid);
      if (!input) {
        const dataset: Dataset = {
          name: r.name,
          digest: r.digest,
          sourceType: r.dataset_source_type,
          source: r.dataset_source,
          schema: r.dataset_schema,
          profile: r.dataset_profile,
        };
        input = { dataset, tags: [] };
        inputs.set(r.dataset_uuid, input);
      }
      if (r.tag_name !== null) input.tags.push({ key: r.tag_name, value: r.tag_value ?? '' });
    }
    for (const [runId, inputs] of perRun) (byId.get(runId) as Run).inputs.datasetInputs = [...inputs.values()];
  }

  getRunSync(runId: string): Run {
    return this.read('reading a run', () => this.hydrateRuns([this.runRow(runId)])[0] as Run);
  }

  async getRun(runId: string): Promise<Run> {
    return this.getRunSync(runId);
  }

  async searchRuns(experimentIds: string[], options: SearchRunsOptions = {}): Promise<PagedList<Run>> {
    return this.read('searching runs', () => searchRunsSql(this, experimentIds, options));
  }

  // ---------------------------------------------------------------- runs: writing

  private activeRun(runId: string): RunRow {
    const row = this.runRow(runId);
    if (row.lifecycle_stage !== 'active') {
      throw invalidParameter(`The run ${row.run_uuid} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
    }
    return row;
  }

  async createRun(args: CreateRunArgs): Promise<Run> {
    return this.write('creating a run', () => {
      const exp = this.requireExperiment(args.experimentId);
      this.checkExperimentActive(exp);
      const runId = this.ids.runId();
      const artifactUri = appendToUriPath(exp.artifact_location ?? '', runId, 'artifacts');
      const tags = [...(args.tags ?? [])];
      let tagName: string | undefined;
      for (const t of tags) if (t.key === RUN_NAME_TAG) tagName = t.value;
      if (args.runName && tagName && args.runName !== tagName) {
        throw invalidParameter(
          `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${args.runName}', mlflow.runName='${tagName}').`,
        );
      }
      const runName = args.runName || tagName || this.ids.runName();
      if (!tagName) tags.push({ key: RUN_NAME_TAG, value: runName });
      const cols = [
        'run_uuid',
        'name',
        'source_type',
        'source_name',
        'entry_point_name',
        'user_id',
        'status',
        'start_time',
        'end_time',
        'source_version',
        'lifecycle_stage',
        'artifact_uri',
        'experiment_id',
      ];
      const vals: unknown[] = [runId, runName, 'UNKNOWN', '', '', args.userId, 'RUNNING', args.startTime, null, '', 'active', artifactUri, exp.experiment_id];
      if (this.features.runDeletedTime) {
        cols.push('deleted_time');
        vals.push(null);
      }
      this.stmt(`INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...vals);
      const seen = new Map<string, string>();
      for (const t of tags) seen.set(t.key, t.value);
      for (const [k, v] of seen) this.stmt('INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)').run(k, v, runId);
      return this.hydrateRuns([this.runRow(runId)])[0] as Run;
    });
  }

  async updateRunInfo(runId: string, status: RunStatus | null, endTime: number | null, runName: string | null): Promise<RunInfo> {
    return this.write('updating a run', () => this.updateRunInfoSync(runId, status, endTime, runName));
  }

  private updateRunInfoSync(runId: string, status: RunStatus | null, endTime: number | null, runName: string | null): RunInfo {
    const row = this.activeRun(runId);
    if (status !== null && status !== undefined) this.stmt('UPDATE runs SET status = ? WHERE run_uuid = ?').run(status, runId);
    if (endTime !== null && endTime !== undefined) this.stmt('UPDATE runs SET end_time = ? WHERE run_uuid = ?').run(endTime, runId);
    if (runName) {
      this.stmt('UPDATE runs SET name = ? WHERE run_uuid = ?').run(runName, runId);
      this.stmt('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)').run(RUN_NAME_TAG, runName, runId);
    }
    void row;
    return (this.hydrateRuns([this.runRow(runId)])[0] as Run).info;
  }

  async deleteRun(runId: string): Promise<void> {
    this.write('deleting a run', () => {
      this.runRow(runId);
      if (this.features.runDeletedTime) {
        this.stmt("UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE run_uuid = ?").run(this.now(), runId);
      } else {
        this.stmt("UPDATE runs SET lifecycle_stage = 'deleted' WHERE run_uuid = ?").run(runId);
      }
    });
  }

  async restoreRun(runId: string): Promise<void> {
    this.write('restoring a run', () => {
      this.runRow(runId);
      if (this.features.runDeletedTime) {
        this.stmt("UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?").run(runId);
      } else {
        this.stmt("UPDATE runs SET lifecycle_stage = 'active' WHERE run_uuid = ?").run(runId);
      }
    });
  }

  /** `_log_metrics` + `_update_latest_metrics_if_necessary`, inside the caller's transaction. */
  private insertMetrics(runId: string, metrics: Metric[]): void {
    const insert = this.stmt('INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)');
    const latest = new Map<string, MetricRow>();
    const keys = [...new Set(metrics.map((m) => m.key))];
    const get = this.stmt('SELECT key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid = ? AND key = ?');
    const existing = new Set<string>();
    for (const k of keys) {
      const row = get.get(runId, k) as MetricRow | undefined;
      if (row) {
        latest.set(k, row);
        existing.add(k);
      }
    }
    const changed = new Set<string>();
    for (const m of metrics) {
      const { isNan, value } = sanitizeMetricValue(m.value);
      const step = m.step ?? 0;
      insert.run(m.key, value, m.timestamp, runId, step, isNan ? 1 : 0);
      const cur = latest.get(m.key);
      if (
        !cur ||
        step > cur.step ||
        (step === cur.step && (m.timestamp > cur.timestamp || (m.timestamp === cur.timestamp && value > cur.value)))
      ) {
        latest.set(m.key, { key: m.key, value, timestamp: m.timestamp, step, is_nan: isNan ? 1 : 0 });
        changed.add(m.key);
      }
    }
    const ins = this.stmt('INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)');
    const upd = this.stmt('UPDATE latest_metrics SET value = ?, timestamp = ?, step = ?, is_nan = ? WHERE run_uuid = ? AND key = ?');
    for (const k of changed) {
      const r = latest.get(k) as MetricRow;
      if (existing.has(k)) upd.run(r.value, r.timestamp, r.step, r.is_nan, runId, k);
      else ins.run(k, r.value, r.timestamp, r.step, r.is_nan, runId);
    }
  }

  /** `_log_model_metrics`: metrics with a model id also go to `logged_model_metrics`. */
  private insertModelMetrics(runId: string, experimentId: number, metrics: Metric[]): void {
    const withModel = metrics.filter((m) => m.modelId);
    if (withModel.length === 0 || !this.features.loggedModels) return;
    const ins = this.stmt(
      'INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const m of withModel) {
      const { value } = sanitizeMetricValue(m.value);
      ins.run(m.modelId, m.key, m.timestamp, m.step ?? 0, value, experimentId, runId, null, m.datasetName ?? null, m.datasetDigest ?? null);
    }
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    validateMetric(metric.key, metric.value, metric.timestamp, metric.step, '');
    this.write('logging a metric', () => {
      const row = this.activeRun(runId);
      this.insertModelMetrics(runId, row.experiment_id, [metric]);
      this.insertMetrics(runId, [metric]);
    });
  }

  private logParamsSync(runId: string, params: Param[]): void {
    if (params.length === 0) return;
    const existing = new Map<string, string>();
    for (const p of this.stmt('SELECT key, value FROM params WHERE run_uuid = ?').all(runId) as { key: string; value: string }[]) existing.set(p.key, p.value);
    const fresh: Param[] = [];
    const mismatched: { key: string; old_value: string; new_value: string }[] = [];
    for (const p of params) {
      const old = existing.get(p.key);
      if (old !== undefined) {
        if (old !== p.value) mismatched.push({ key: p.key, old_value: old, new_value: p.value });
        continue;
      }
      fresh.push(p);
    }
    if (mismatched.length > 0) {
      const list = mismatched.map((m) => `{'key': ${pyRepr(m.key)}, 'old_value': ${pyRepr(m.old_value)}, 'new_value': ${pyRepr(m.new_value)}}`).join(', ');
      throw invalidParameter(`Changing param values is not allowed. Params were already logged='[${list}]' for run ID='${runId}'.`);
    }
    const ins = this.stmt('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)');
    for (const p of fresh) ins.run(p.key, p.value, runId);
  }

  async logParam(runId: string, param: Param): Promise<void> {
    const p = validateParam(param.key, param.value);
    this.write('logging a param', () => {
      this.activeRun(runId);
      const old = this.stmt('SELECT value FROM params WHERE run_uuid = ? AND key = ?').get(runId, p.key) as { value: string } | undefined;
      if (old) {
        if (old.value !== p.value) {
          throw invalidParameter(
            `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old.value}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
          );
        }
        return;
      }
      this.stmt('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)').run(p.key, p.value, runId);
    });
  }

  private setTagsSync(runId: string, tags: RunTag[]): void {
    const up = this.stmt('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)');
    for (const t of tags) {
      if (t.key === RUN_NAME_TAG) {
        const row = this.runRow(runId);
        this.updateRunInfoSync(runId, (row.status ?? 'RUNNING') as RunStatus, row.end_time, t.value);
      } else {
        up.run(t.key, t.value, runId);
      }
    }
  }

  async setTag(runId: string, tag: RunTag): Promise<void> {
    const t = validateTag(tag.key, tag.value);
    this.write('setting a tag', () => {
      this.activeRun(runId);
      this.setTagsSync(runId, [t]);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    this.write('deleting a tag', () => {
      this.activeRun(runId);
      const info = this.stmt('DELETE FROM tags WHERE run_uuid = ? AND key = ?').run(runId, key);
      if (info.changes === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  async logBatch(runId: string, batch: { metrics?: Metric[]; params?: Param[]; tags?: RunTag[] }): Promise<void> {
    validateRunId(runId);
    const { metrics, params, tags } = validateBatchLogData(batch.metrics ?? [], batch.params ?? [], batch.tags ?? []);
    validateBatchLogLimits(metrics, params, tags);
    validateParamKeysUnique(params);
    this.write('logging a batch', () => {
      const row = this.activeRun(runId);
      this.logParamsSync(runId, params as Param[]);
      if (metrics.length > 0) this.insertMetrics(runId, metrics as Metric[]);
      this.insertModelMetrics(runId, row.experiment_id, metrics as Metric[]);
      const validTags = (tags as RunTag[]).map((t, i) => validateTag(t.key, t.value, `tags[${i}]`));
      this.setTagsSync(runId, validTags);
    });
  }

  async getMetricHistory(runId: string, key: string, options: { maxResults?: number | null; pageToken?: string | null } = {}): Promise<PagedList<Metric>> {
    const offset = parseStartOffset(options.pageToken);
    const max = options.maxResults ?? null;
    return this.read('reading a metric history', () => {
      const sql =
        max === null
          ? 'SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step, value LIMIT -1 OFFSET ?'
          : 'SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step, value LIMIT ? OFFSET ?';
      const rows = (max === null ? this.stmt(sql).all(runId, key, offset) : this.stmt(sql).all(runId, key, max + 1, offset)) as MetricRow[];
      let token: string | null = null;
      let page = rows;
      if (max !== null && rows.length === max + 1) {
        token = createPageToken(offset + max);
        page = rows.slice(0, max);
      }
      return {
        items: page.map((r) => ({ key: r.key, value: r.is_nan ? NaN : r.value, timestamp: r.timestamp, step: r.step })),
        token,
      };
    });
  }

  async logInputs(runId: string, datasets: DatasetInput[] = [], models: LoggedModelInput[] = []): Promise<void> {
    validateRunId(runId);
    if (datasets.length > 0) validateDatasetInputs(datasets);
    this.write('logging inputs', () => {
      const row = this.activeRun(runId);
      const expId = row.experiment_id;
      const unique = new Map<string, DatasetInput>();
      for (const d of datasets) {
        const k = `${d.dataset.name}\0${d.dataset.digest}`;
        if (!unique.has(k)) unique.set(k, d);
      }
      const dsUuid = new Map<string, string>();
      for (const [k, d] of unique) {
        const found = this.stmt('SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?').get(expId, d.dataset.name, d.dataset.digest) as
          | { dataset_uuid: string }
          | undefined;
        if (found) {
          dsUuid.set(k, found.dataset_uuid);
          continue;
        }
        const id = this.ids.uuid();
        this.stmt(
          'INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(id, expId, d.dataset.name, d.dataset.digest, d.dataset.sourceType, d.dataset.source, d.dataset.schema ?? null, d.dataset.profile ?? null);
        dsUuid.set(k, id);
      }
      for (const [k, d] of unique) {
        const sourceId = dsUuid.get(k) as string;
        const exists = this.stmt("SELECT 1 FROM inputs WHERE source_type = 'DATASET' AND source_id = ? AND destination_type = 'RUN' AND destination_id = ?").get(sourceId, runId);
        if (exists) continue;
        const inputId = this.ids.uuid();
        this.insertInput(inputId, 'DATASET', sourceId, 'RUN', runId, 0);
        for (const t of d.tags) this.stmt('INSERT INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)').run(inputId, t.key, t.value);
      }
      for (const m of models) {
        // session.merge on the primary key: an existing edge keeps its row (its uuid is replaced).
        const id = this.ids.uuid();
        const existing = this.stmt(
          "SELECT 1 FROM inputs WHERE source_type = 'RUN_INPUT' AND source_id = ? AND destination_type = 'MODEL_INPUT' AND destination_id = ?",
        ).get(runId, m.modelId);
        if (existing) {
          this.stmt("UPDATE inputs SET input_uuid = ? WHERE source_type = 'RUN_INPUT' AND source_id = ? AND destination_type = 'MODEL_INPUT' AND destination_id = ?").run(
            id,
            runId,
            m.modelId,
          );
        } else {
          this.insertInput(id, 'RUN_INPUT', runId, 'MODEL_INPUT', m.modelId, 0);
        }
      }
    });
  }

  private insertInput(id: string, sourceType: string, sourceId: string, destType: string, destId: string, step: number): void {
    if (this.features.inputStep) {
      this.stmt('INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?, ?, ?, ?, ?, ?)').run(
        id,
        sourceType,
        sourceId,
        destType,
        destId,
        step,
      );
    } else {
      this.stmt('INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id) VALUES (?, ?, ?, ?, ?)').run(id, sourceType, sourceId, destType, destId);
    }
  }

  async logOutputs(runId: string, models: LoggedModelOutput[]): Promise<void> {
    this.write('logging outputs', () => {
      this.activeRun(runId);
      for (const m of models) this.insertInput(this.ids.uuid(), 'RUN_OUTPUT', runId, 'MODEL_OUTPUT', m.modelId, m.step ?? 0);
    });
  }

  async recordLoggedModel(runId: string, modelDict: Record<string, unknown>): Promise<void> {
    this.write('recording a logged model', () => {
      this.activeRun(runId);
      const prev = this.stmt('SELECT value FROM tags WHERE run_uuid = ? AND key = ?').get(runId, LOGGED_MODELS_TAG) as { value: string } | undefined;
      const list = prev ? (JSON.parse(prev.value) as unknown[]) : [];
      list.push(modelDict);
      const value = pyJsonDumps(list);
      validateTag(LOGGED_MODELS_TAG, value);
      this.stmt('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)').run(LOGGED_MODELS_TAG, value, runId);
    });
  }

  // ---------------------------------------------------------------- logged models

  private requireLoggedModels(): void {
    if (!this.features.loggedModels) {
      throw new MlflowError(
        'INVALID_STATE',
        `The database '${this.file}' (schema revision ${this.features.revision}) predates MLflow 3's logged models; run 'mlflow db upgrade ${this.trackingUri}' first`,
      );
    }
  }

  private loggedModelFromRow(row: {
    model_id: string;
    experiment_id: number;
    name: string;
    artifact_location: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    status: number;
    model_type: string | null;
    source_run_id: string | null;
    status_message: string | null;
  }): LoggedModel {
    const tags: Record<string, string> = {};
    for (const t of this.stmt('SELECT tag_key, tag_value FROM logged_model_tags WHERE model_id = ?').all(row.model_id) as { tag_key: string; tag_value: string }[]) {
      tags[t.tag_key] = t.tag_value;
    }
    const params: Record<string, string> = {};
    for (const p of this.stmt('SELECT param_key, param_value FROM logged_model_params WHERE model_id = ?').all(row.model_id) as { param_key: string; param_value: string }[]) {
      params[p.param_key] = p.param_value;
    }
    const metrics: Metric[] = (
      this.stmt(
        'SELECT metric_name, metric_timestamp_ms, metric_step, metric_value, run_id, dataset_name, dataset_digest FROM logged_model_metrics WHERE model_id = ?',
      ).all(row.model_id) as {
        metric_name: string;
        metric_timestamp_ms: number;
        metric_step: number;
        metric_value: number | null;
        run_id: string;
        dataset_name: string | null;
        dataset_digest: string | null;
      }[]
    ).map((m) => ({
      key: m.metric_name,
      value: m.metric_value ?? NaN,
      timestamp: m.metric_timestamp_ms,
      step: m.metric_step,
      datasetName: m.dataset_name,
      datasetDigest: m.dataset_digest,
      modelId: row.model_id,
      runId: m.run_id,
    }));
    return {
      modelId: row.model_id,
      experimentId: String(row.experiment_id),
      name: row.name,
      artifactLocation: row.artifact_location,
      creationTimestamp: row.creation_timestamp_ms,
      lastUpdatedTimestamp: row.last_updated_timestamp_ms,
      modelType: row.model_type,
      sourceRunId: row.source_run_id,
      status: STATUS_FROM_INT[row.status] ?? 'LOGGED_MODEL_STATUS_UNSPECIFIED',
      statusMessage: row.status_message,
      tags,
      params,
      metrics,
      modelUri: `models:/${row.model_id}`,
    };
  }

  private loggedModelRow(modelId: string, allowDeleted: boolean): Parameters<SqliteStore['loggedModelFromRow']>[0] {
    this.requireLoggedModels();
    const row = this.stmt('SELECT * FROM logged_models WHERE model_id = ?').get(modelId) as (Parameters<SqliteStore['loggedModelFromRow']>[0] & { lifecycle_stage: string }) | undefined;
    if (!row || (!allowDeleted && row.lifecycle_stage === 'deleted')) throw notFound(`Logged model with ID '${modelId}' not found.`);
    return row;
  }

  async createLoggedModel(args: CreateLoggedModelArgs): Promise<LoggedModel> {
    validateLoggedModelName(args.name ?? null);
    this.requireLoggedModels();
    return this.write('creating a logged model', () => {
      const exp = this.requireExperiment(args.experimentId);
      this.checkExperimentActive(exp);
      const modelId = this.ids.loggedModelId();
      const location = appendToUriPath(exp.artifact_location ?? '', 'models', modelId, 'artifacts');
      const name = args.name || this.ids.runName();
      const t = this.now();
      this.stmt(
        'INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(modelId, exp.experiment_id, name, location, t, t, LOGGED_MODEL_STATUS_TO_INT.PENDING, 'active', args.modelType ?? null, args.sourceRunId ?? null, null);
      for (const p of args.params ?? []) {
        this.stmt('INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?, ?, ?, ?)').run(modelId, exp.experiment_id, p.key, p.value);
      }
      for (const tag of args.tags ?? []) {
        this.stmt('INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES (?, ?, ?, ?)').run(modelId, exp.experiment_id, tag.key, tag.value);
      }
      return this.loggedModelFromRow(this.loggedModelRow(modelId, true));
    });
  }

  async getLoggedModel(modelId: string, options: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    return this.read('reading a logged model', () => this.loggedModelFromRow(this.loggedModelRow(modelId, options.allowDeleted ?? false)));
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return this.write('finalizing a logged model', () => {
      this.loggedModelRow(modelId, true);
      this.stmt('UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?').run(LOGGED_MODEL_STATUS_TO_INT[status], this.now(), modelId);
      return this.loggedModelFromRow(this.loggedModelRow(modelId, true));
    });
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    this.write('logging logged-model params', () => {
      const row = this.loggedModelRow(modelId, true);
      for (const p of params) {
        this.stmt('INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?, ?, ?, ?)').run(modelId, row.experiment_id, p.key, p.value);
      }
    });
  }

  async setLoggedModelTags(modelId: string, tags: RunTag[]): Promise<void> {
    this.write('setting logged-model tags', () => {
      const row = this.loggedModelRow(modelId, true);
      const dedup = new Map<string, string>();
      for (const t of tags) dedup.set(t.key, t.value);
      for (const [k, v] of dedup) {
        this.stmt(
          'INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES (?, ?, ?, ?) ON CONFLICT (model_id, tag_key) DO UPDATE SET experiment_id = excluded.experiment_id, tag_value = excluded.tag_value',
        ).run(modelId, row.experiment_id, k, v);
      }
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    this.write('deleting a logged-model tag', () => {
      this.loggedModelRow(modelId, true);
      const info = this.stmt('DELETE FROM logged_model_tags WHERE model_id = ? AND tag_key = ?').run(modelId, key);
      if (info.changes === 0) throw notFound(`No tag with key ${pyRepr(key)} found for model with ID ${pyRepr(modelId)}.`);
    });
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    this.write('deleting a logged model', () => {
      this.loggedModelRow(modelId, true);
      this.stmt("UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ? WHERE model_id = ?").run(this.now(), modelId);
    });
  }

  async listLoggedModels(experimentIds: string[]): Promise<LoggedModel[]> {
    if (!this.features.loggedModels) return [];
    return this.read('listing logged models', () => {
      const out: LoggedModel[] = [];
      for (const id of experimentIds) {
        const rows = this.stmt("SELECT * FROM logged_models WHERE experiment_id = ? AND lifecycle_stage != 'deleted' ORDER BY creation_timestamp_ms DESC, model_id").all(
          parseExperimentId(id),
        ) as Parameters<SqliteStore['loggedModelFromRow']>[0][];
        for (const r of rows) out.push(this.loggedModelFromRow(r));
      }
      return out;
    });
  }

  // ---------------------------------------------------------------- artifacts

  async artifactRepository(runId: string): Promise<ArtifactRepository> {
    const run = await this.getRun(runId);
    const uri = run.info.artifactUri ?? '';
    return new LocalArtifactRepository(uri);
  }

  /** The folder of the database file. */
  get directory(): string {
    return path.dirname(this.file);
  }
}

/** Python's `repr()` of a string (single quotes unless the text has one and no double quote). */
export function pyRepr(s: string): string {
  const useDouble = s.includes("'") && !s.includes('"');
  const q = useDouble ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += `\\${q}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return q + out + q;
}

/** `json.dumps` with Python's default separators (`, ` and `: `) and ASCII escapes. */
export function pyJsonDumps(value: unknown): string {
  return JSON.stringify(value, null, 0)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/("(?:[^"\\]|\\.)*")|([,:])/g, (_m, str: string | undefined, sep: string | undefined) => str ?? `${sep} `);
}
