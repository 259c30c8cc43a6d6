/**
 * The 30-operation scenario: one fixed sequence of tracking and registry operations (experiments
 * created, tagged, renamed, deleted and restored; runs with params, metrics over steps incl. NaN
 * and ±Infinity, tags set, overwritten and deleted, a batch, status changes, a delete and a
 * restore, a dataset input; a logged model finalized and a metric linked to it; a registered
 * model with versions, tags, a stage and an alias) is run once by Python's SqlAlchemyStore
 * (tracking + registry, MLflow 3.17.2, test/sqlite/scenario30.py) and once by our SqliteStore and
 * SqliteRegistryStore, on two fresh databases, with time and ids pinned the same way on both
 * sides: operation i happens at T0 + i s, and the k-th id it draws is `(i << 16 | k)` as 32 hex
 * digits. Then every table of both databases is dumped row by row (ordered by every column) and
 * compared: they must be equal, table by table, with no column left out.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Metric } from '../../src/entities.js';
import { SqliteRegistryStore } from '../../src/store/sqlite/registry-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { oraclePython } from '../oracle/oracle.js';
import { REPO, sqliteUri, tmpDir } from './helpers.js';

const T0 = 1_700_000_000_000;

interface Op {
  op: string;
  args: Record<string, unknown>;
  save?: string;
  at?: number;
}

const DS = { name: 'iris', digest: 'abc123', sourceType: 'local', source: '{"uri": "/data/iris.csv"}', schema: '{"x": 1}', profile: '{"rows": 150}' };

const OPS: Op[] = [
  { op: 'create_experiment', args: { name: 'exp-a', tags: { team: 'a', unicode: 'héllo ✓' } }, save: 'ea' },
  { op: 'create_experiment', args: { name: 'exp-b' }, save: 'eb' },
  { op: 'set_experiment_tag', args: { experimentId: '$eb', key: 'k', value: 'v' } },
  { op: 'rename_experiment', args: { experimentId: '$eb', name: 'exp-b2' } },
  { op: 'create_run', args: { experimentId: '$ea', userId: 'alice', startTime: T0 + 100, runName: 'r1', tags: { 'mlflow.user': 'alice', group: 'g1' } }, save: 'r1' },
  { op: 'log_param', args: { runId: '$r1', key: 'lr', value: '0.1' } },
  { op: 'log_metric', args: { runId: '$r1', key: 'loss', value: 0.5, timestamp: T0 + 10, step: 0 } },
  { op: 'log_metric', args: { runId: '$r1', key: 'loss', value: 0.25, timestamp: T0 + 20, step: 1 } },
  { op: 'log_metric', args: { runId: '$r1', key: 'acc', value: 'NaN', timestamp: T0 + 30, step: 0 } },
  { op: 'set_tag', args: { runId: '$r1', key: 'note', value: 'first' } },
  { op: 'set_tag', args: { runId: '$r1', key: 'note', value: 'second' } },
  { op: 'delete_tag', args: { runId: '$r1', key: 'group' } },
  {
    op: 'log_batch',
    args: {
      runId: '$r1',
      metrics: [
        { key: 'm', value: 1, timestamp: T0 + 40, step: 0 },
        { key: 'm', value: 2, timestamp: T0 + 41, step: 1 },
        { key: 'm', value: 'Infinity', timestamp: T0 + 42, step: 2 },
        { key: 'loss', value: 0.125, timestamp: T0 + 43, step: 1 },
      ],
      params: { layers: '3', opt: 'adam' },
      tags: { phase: 'train', 'mlflow.note.content': 'a note' },
    },
  },
  { op: 'create_run', args: { experimentId: '$ea', userId: 'bob', startTime: T0 + 200, runName: 'r2', tags: {} }, save: 'r2' },
  { op: 'log_metric', args: { runId: '$r2', key: 'loss', value: '-Infinity', timestamp: T0 + 50, step: 3 } },
  { op: 'update_run_info', args: { runId: '$r2', status: 'FAILED', endTime: T0 + 16_500, runName: null } },
  { op: 'delete_run', args: { runId: '$r2' } },
  { op: 'restore_run', args: { runId: '$r2' } },
  { op: 'log_inputs', args: { runId: '$r1', dataset: DS, tags: { 'mlflow.data.context': 'train' } } },
  { op: 'create_run', args: { experimentId: '$eb', userId: 'carol', startTime: T0 + 300, runName: 'r3', tags: {} }, save: 'r3' },
  { op: 'delete_experiment', args: { experimentId: '$eb' } },
  { op: 'restore_experiment', args: { experimentId: '$eb' } },
  { op: 'create_logged_model', args: { experimentId: '$ea', name: 'model-a', sourceRunId: '$r1', tags: { t: '1' }, params: { p: '2' } }, save: 'lm' },
  { op: 'finalize_logged_model', args: { modelId: '$lm', status: 'READY' } },
  { op: 'log_metric', args: { runId: '$r1', key: 'model_metric', value: 0.7, timestamp: T0 + 60, step: 1, modelId: '$lm' } },
  { op: 'update_run_info', args: { runId: '$r1', status: 'FINISHED', endTime: T0 + 25_500, runName: 'r1-final' } },
  { op: 'create_registered_model', args: { name: 'reg', tags: { owner: 'x' }, description: 'first' } },
  { op: 'create_model_version', args: { name: 'reg', source: 'file:///models/reg/1', runId: '$r1', tags: { v: '1' } } },
  { op: 'create_model_version', args: { name: 'reg', source: 'file:///models/reg/2', runId: '$r2', tags: {} } },
  { op: 'transition_model_version_stage', args: { name: 'reg', version: '1', stage: 'Production', archive: false } },
  { op: 'set_registered_model_alias', args: { name: 'reg', alias: 'champion', version: '2' } },
  { op: 'set_model_version_tag', args: { name: 'reg', version: '2', key: 'validated', value: 'yes' } },
  { op: 'rename_registered_model', args: { name: 'reg', newName: 'reg-renamed' } },
].map((o, i) => ({ ...o, at: T0 + (i + 1) * 1000 }));

const hexId = (op: number, k: number): string => ((BigInt(op) << 16n) | BigInt(k)).toString(16).padStart(32, '0');

const num = (v: unknown): number => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number));

/** The same operations with our stores, time and ids pinned as scenario30.py pins Python's. */
async function runOurs(file: string, artifacts: string): Promise<Record<string, string>> {
  let now = OPS[0]!.at! - 1;
  let op = 0xffff;
  let k = 0;
  const next = (): string => hexId(op, k++);
  const store = new SqliteStore(sqliteUri(file), {
    artifactRoot: artifacts,
    now: () => now,
    ids: { runId: next, uuid: next, loggedModelId: () => `m-${next()}`, runName: () => 'unnamed' },
  });
  const registry = new SqliteRegistryStore(store, { now: () => now });
  const saved: Record<string, string> = {};
  const resolve = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith('$')) return saved[v.slice(1)];
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([a, b]) => [a, resolve(b)]));
    return v;
  };
  const tagList = (t: unknown): { key: string; value: string }[] => Object.entries((t ?? {}) as Record<string, string>).map(([key, value]) => ({ key, value }));
  const metric = (m: Record<string, unknown>): Metric => ({
    key: m['key'] as string,
    value: num(m['value']),
    timestamp: m['timestamp'] as number,
    step: m['step'] as number,
    ...(m['modelId'] ? { modelId: m['modelId'] as string } : {}),
  });
  try {
    for (let i = 0; i < OPS.length; i++) {
      const o = OPS[i]!;
      now = o.at!;
      op = i;
      k = 0;
      const a = resolve(o.args) as Record<string, any>;
      let out: string | undefined;
      switch (o.op) {
        case 'create_experiment':
          out = await store.createExperiment(a.name, null, tagList(a.tags));
          break;
        case 'set_experiment_tag':
          await store.setExperimentTag(a.experimentId, { key: a.key, value: a.value });
          break;
        case 'rename_experiment':
          await store.renameExperiment(a.experimentId, a.name);
          break;
        case 'delete_experiment':
          await store.deleteExperiment(a.experimentId);
          break;
        case 'restore_experiment':
          await store.restoreExperiment(a.experimentId);
          break;
        case 'create_run':
          out = (await store.createRun({ experimentId: a.experimentId, userId: a.userId, startTime: a.startTime, tags: tagList(a.tags), runName: a.runName })).info.runId;
          break;
        case 'log_param':
          await store.logParam(a.runId, { key: a.key, value: a.value });
          break;
        case 'log_metric':
          await store.logMetric(a.runId, metric(a));
          break;
        case 'set_tag':
          await store.setTag(a.runId, { key: a.key, value: a.value });
          break;
        case 'delete_tag':
          await store.deleteTag(a.runId, a.key);
          break;
        case 'log_batch':
          await store.logBatch(a.runId, {
            metrics: (a.metrics as Record<string, unknown>[]).map(metric),
            params: Object.entries(a.params as Record<string, string>).map(([key, value]) => ({ key, value })),
            tags: tagList(a.tags),
          });
          break;
        case 'update_run_info':
          await store.updateRunInfo(a.runId, a.status, a.endTime, a.runName);
          break;
        case 'delete_run':
          await store.deleteRun(a.runId);
          break;
        case 'restore_run':
          await store.restoreRun(a.runId);
          break;
        case 'log_inputs':
          await store.logInputs(a.runId, [{ dataset: a.dataset, tags: tagList(a.tags) }]);
          break;
        case 'create_logged_model':
          out = (
            await store.createLoggedModel({
              experimentId: a.experimentId,
              name: a.name,
              sourceRunId: a.sourceRunId,
              tags: tagList(a.tags),
              params: Object.entries(a.params as Record<string, string>).map(([key, value]) => ({ key, value })),
            })
          ).modelId;
          break;
        case 'finalize_logged_model':
          await store.finalizeLoggedModel(a.modelId, a.status);
          break;
        case 'create_registered_model':
          await registry.createRegisteredModel(a.name, tagList(a.tags), a.description ?? null);
          break;
        case 'create_model_version':
          out = (await registry.createModelVersion(a.name, a.source, { runId: a.runId ?? null, tags: tagList(a.tags) })).version;
          break;
        case 'transition_model_version_stage':
          await registry.transitionModelVersionStage(a.name, a.version, a.stage, a.archive);
          break;
        case 'set_registered_model_alias':
          await registry.setRegisteredModelAlias(a.name, a.alias, a.version);
          break;
        case 'set_model_version_tag':
          await registry.setModelVersionTag(a.name, a.version, { key: a.key, value: a.value });
          break;
        case 'rename_registered_model':
          await registry.renameRegisteredModel(a.name, a.newName);
          break;
        default:
          throw new Error(`unknown op ${o.op}`);
      }
      if (o.save) saved[o.save] = out as string;
    }
  } finally {
    store.close();
  }
  return saved;
}

type Row = Record<string, unknown>;

/** Every table, every row, ordered by all its columns; blobs as hex, floats as written. */
function dumpTables(file: string): Record<string, Row[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    const out: Record<string, Row[]> = {};
    for (const t of tables) {
      const cols = (db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string }[]).map((c) => `"${c.name}"`);
      const rows = db.prepare(`SELECT * FROM "${t}" ORDER BY ${cols.join(', ')}`).all() as Row[];
      out[t] = rows.map((r) => Object.fromEntries(Object.entries(r).map(([c, v]) => [c, Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v])));
    }
    return out;
  } finally {
    db.close();
  }
}

const work = tmpDir('mlruns-scenario30-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the 30-operation scenario on two fresh databases', () => {
  it('leaves the same rows, table by table, when run by Python and by us', async () => {
    expect(OPS.length).toBeGreaterThanOrEqual(30);
    const artifacts = path.join(work, 'artifacts');
    const pyDb = path.join(work, 'python.db');
    const ourDb = path.join(work, 'ours.db');
    const opsFile = path.join(work, 'ops.json');
    fs.writeFileSync(opsFile, JSON.stringify(OPS));
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_PYTHON_REFRESH: 'quiet' };
    for (const key of ['MLFLOW_TRACKING_URI', 'MLFLOW_REGISTRY_URI']) delete env[key];
    const pyOut = execFileSync(oraclePython('3-full'), [path.join(REPO, 'test/sqlite/scenario30.py'), pyDb, artifacts, opsFile], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pySaved = JSON.parse(pyOut.trim().split('\n').pop()!) as Record<string, string>;
    const ourSaved = await runOurs(ourDb, artifacts);
    expect(ourSaved).toEqual(pySaved);
    const theirs = dumpTables(pyDb);
    const ours = dumpTables(ourDb);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    let rows = 0;
    for (const t of Object.keys(theirs)) {
      expect({ table: t, rows: ours[t] }).toEqual({ table: t, rows: theirs[t] });
      rows += theirs[t]!.length;
    }
    // The scenario touched the tables it means to.
    for (const t of ['experiments', 'experiment_tags', 'runs', 'tags', 'params', 'metrics', 'latest_metrics', 'datasets', 'inputs', 'input_tags', 'logged_models', 'logged_model_metrics', 'registered_models', 'model_versions', 'model_version_tags', 'registered_model_aliases']) {
      expect(theirs[t]!.length, t).toBeGreaterThan(0);
    }
    expect(rows).toBeGreaterThan(40);
  }, 300_000);
});
