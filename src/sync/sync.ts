/**
 * Copies experiments, runs, artifacts, logged models and the model registry from one store to
 * another (`mlruns push` / `mlruns pull`), through the `TrackingStore` / `RegistryStore` /
 * `ArtifactRepository` interfaces only, so it works between any two backends.
 *
 * - Identity: a copied run carries the tag `mlruns.sync.sourceRunId` naming its source run (a pull
 *   keeps the source's run ids instead), a logged model `mlruns.sync.sourceModelId`, a model
 *   version `mlruns.sync.sourceVersion`. A re-run finds what exists by these, so a sync killed
 *   at any point and run again leaves exactly one copy of everything.
 * - Incremental: a local record (JSON, written after each finished run) holds a fingerprint of
 *   each source run and of its copy; an unchanged source run costs nothing, a changed one is
 *   compared with its copy and only the difference is sent (new metric points, new tags, new or
 *   changed artifact files, a new status).
 * - Conflicts: a run changed on both sides since the last sync is reported and left alone unless
 *   `prefer` says which side wins.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatasetInput, Experiment, LoggedModel, Metric, ModelVersion, PagedList, Param, RegisteredModel, Run, RunTag } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { ArtifactRepository, FileInfo } from '../store/artifact-repository.js';
import { LocalArtifactRepository } from '../store/file/artifacts.js';
import { FileStore } from '../store/file/file-store.js';
import type { RegistryStore } from '../store/registry-store.js';
import { RestStore } from '../store/rest/index.js';
import type { TrackingStore } from '../store/tracking-store.js';
import { allExperiments } from '../tracking/stores.js';

export const SOURCE_RUN_TAG = 'mlruns.sync.sourceRunId';
export const SOURCE_MODEL_TAG = 'mlruns.sync.sourceModelId';
export const SOURCE_VERSION_TAG = 'mlruns.sync.sourceVersion';
const SYNC_TAG_PREFIX = 'mlruns.sync.';
const PARENT_TAG = 'mlflow.parentRunId';

/** One side of a sync. */
export interface SyncEndpoint {
  tracking: TrackingStore;
  /** null: leave the registry out. */
  registry: RegistryStore | null;
}

export interface SyncOptions {
  /** `pull` keeps the source's run ids (the destination must accept them: a file store). */
  keepRunIds?: boolean;
  /** Source experiments to copy (names or ids); default all, deleted ones included. */
  experiments?: string[];
  /** Only count what would be copied. */
  dryRun?: boolean;
  /** Runs copied at the same time (default 4). */
  concurrency?: number;
  /** Who wins when a run changed on both sides since the last sync (default: nobody, reported). */
  prefer?: 'source' | 'destination' | null;
  /** The local record of what was synced (a JSON file); none: everything is compared. */
  recordPath?: string | null;
  /** Called after each run, logged model and registered model. */
  onProgress?: (p: { done: number; total: number; item: string }) => void;
}

export type Outcome = 'created' | 'updated' | 'unchanged' | 'failed' | 'conflict';

export interface SyncSummary {
  created: number;
  updated: number;
  unchanged: number;
  failed: Array<{ item: string; reason: string }>;
  conflicts: Array<{ item: string; reason: string }>;
  /** Notes that are not failures (e.g. a server without logged-model endpoints). */
  notes: string[];
  /** Metric points sent. */
  points: number;
  /** Artifact files sent. */
  files: number;
  /** Source run id -> destination run id. */
  runs: Record<string, string>;
  /** Source experiment id -> destination experiment id. */
  experiments: Record<string, string>;
  /** Source logged model id -> destination logged model id. */
  loggedModels: Record<string, string>;
}

interface RunRecord {
  dst: string;
  /** Fingerprint of the source run when last synced. */
  src: string;
  /** Fingerprint of the copy right after. */
  dstFp: string;
  /** Artifact files sent: path -> size. */
  files?: Record<string, number>;
}

interface RecordFile {
  version: 1;
  /** Keyed by `<source uri> -> <destination uri>`. */
  pairs: Record<string, { runs: Record<string, RunRecord>; registry?: string }>;
}

// ------------------------------------------------------------------------------------ helpers

/** JSON with object keys sorted (insertion order must not change a fingerprint). */
const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
const sha = (v: unknown) => crypto.createHash('sha1').update(typeof v === 'string' ? v : stable(v)).digest('hex');

/** A batch in pieces every store takes (MLflow's limits: 100 params, 100 tags, 1,000 metrics). */
async function logInPieces(store: TrackingStore, runId: string, b: { params: Param[]; tags: RunTag[]; metrics: Metric[] }): Promise<void> {
  for (let i = 0; i < b.params.length; i += 100) await store.logBatch(runId, { params: b.params.slice(i, i + 100) });
  for (let i = 0; i < b.tags.length; i += 100) await store.logBatch(runId, { tags: b.tags.slice(i, i + 100) });
  for (let i = 0; i < b.metrics.length; i += 1000) await store.logBatch(runId, { metrics: b.metrics.slice(i, i + 1000) });
}

function withoutSyncTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (!k.startsWith(SYNC_TAG_PREFIX)) out[k] = v;
  return out;
}

/** What of a run a copy reproduces (ids and sync tags aside). */
function runFingerprint(run: Run, parentMap?: (id: string) => string): string {
  const tags = withoutSyncTags(run.data.tags);
  if (parentMap && tags[PARENT_TAG]) tags[PARENT_TAG] = parentMap(tags[PARENT_TAG]);
  return sha({
    s: run.info.status,
    e: run.info.endTime,
    n: run.info.runName,
    l: run.info.lifecycleStage,
    p: run.data.params,
    t: Object.entries(tags).sort(),
    m: Object.entries(run.data.metrics).sort().map(([k, v]) => [k, String(v)]),
    d: run.inputs.datasetInputs.length,
  });
}

/** A file store's run folder, by stats only: a change to any file shows (cheap: no file is read). */
function statFingerprint(runDir: string): string {
  const h = crypto.createHash('sha1');
  const walk = (dir: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else {
        try {
          const st = fs.statSync(p);
          h.update(`${rel}${e.name}\0${st.size}\0${st.mtimeMs}\n`);
        } catch {
          // vanished meanwhile
        }
      }
    }
  };
  walk(runDir, '');
  return h.digest('hex');
}

/** Every page of a paged listing. */
async function allPages<T>(fetch: (token: string | null) => Promise<PagedList<T>>): Promise<T[]> {
  const out: T[] = [];
  let token: string | null = null;
  do {
    const page: PagedList<T> = await fetch(token);
    out.push(...page.items);
    token = page.token;
  } while (token);
  return out;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/** The artifact repository of a URI handed out by a store (a run's or a logged model's). */
function artifactRepoAt(store: TrackingStore, uri: string): ArtifactRepository {
  if (store instanceof RestStore) return store.artifactRepositoryFor(uri);
  return new LocalArtifactRepository(uri);
}

/** Every file under an artifact repository (recursive listing). */
async function listFiles(repo: ArtifactRepository, dir = ''): Promise<FileInfo[]> {
  if (repo instanceof LocalArtifactRepository) {
    const out: FileInfo[] = [];
    const walk = (abs: string, rel: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(abs, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.startsWith('.mlruns-tmp')) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        const p = path.join(abs, e.name);
        const st = fs.statSync(p);
        if (st.isDirectory()) walk(p, r);
        else out.push({ path: r, isDir: false, fileSize: st.size });
      }
    };
    walk(repo.resolve(dir), dir);
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  const out: FileInfo[] = [];
  for (const f of await repo.listArtifacts(dir || null)) {
    if (f.isDir) out.push(...(await listFiles(repo, f.path)));
    else out.push(f);
  }
  return out;
}

/** Copies one artifact file between repositories. */
async function copyFile(src: ArtifactRepository, dst: ArtifactRepository, file: string): Promise<void> {
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : null;
  if (src instanceof LocalArtifactRepository) {
    await dst.logArtifact(src.resolve(file), dir);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-sync-'));
  try {
    const local = path.join(tmp, path.posix.basename(file));
    fs.writeFileSync(local, await src.readArtifact(file));
    await dst.logArtifact(local, dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Points of `src` not in `dst` (as a multiset of step, timestamp, value). */
function missingPoints(src: Metric[], dst: Metric[]): Metric[] {
  const have = new Map<string, number>();
  const key = (m: Metric) => `${m.step}\0${m.timestamp}\0${Object.is(m.value, -0) ? 0 : m.value}`;
  for (const m of dst) have.set(key(m), (have.get(key(m)) ?? 0) + 1);
  const out: Metric[] = [];
  for (const m of src) {
    const k = key(m);
    const n = have.get(k) ?? 0;
    if (n > 0) have.set(k, n - 1);
    else out.push({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step });
  }
  return out;
}

const datasetKey = (d: DatasetInput) =>
  `${d.dataset.name}\0${d.dataset.digest}\0${[...d.tags].sort((a, b) => (a.key < b.key ? -1 : 1)).map((t) => `${t.key}=${t.value}`).join(',')}`;

function readRecord(p: string | null | undefined): RecordFile {
  if (!p) return { version: 1, pairs: {} };
  try {
    const r = JSON.parse(fs.readFileSync(p, 'utf8')) as RecordFile;
    if (r && r.version === 1 && r.pairs) return r;
  } catch {
    // none yet, or unreadable: everything is compared again
  }
  return { version: 1, pairs: {} };
}

function writeRecord(p: string, r: RecordFile): void {
  const tmp = `${p}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(r));
  fs.renameSync(tmp, p);
}

const isNotFound = (e: unknown) => e instanceof MlflowError && e.code === 'RESOURCE_DOES_NOT_EXIST';
const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

// ------------------------------------------------------------------------------------ sync

/**
 * Copies `source` into `destination` (see the module comment).
 *
 * @example
 * ```ts
 * const local = new MlflowClient('./mlruns');
 * const server = new MlflowClient('http://127.0.0.1:5000');
 * const summary = await syncStores(
 *   { tracking: local.store, registry: local.registry.store },
 *   { tracking: server.store, registry: server.registry.store },
 *   { recordPath: './mlruns/.mlruns-sync.json' },
 * );
 * console.log(summary.created, summary.unchanged);
 * ```
 */
export async function syncStores(source: SyncEndpoint, destination: SyncEndpoint, options: SyncOptions = {}): Promise<SyncSummary> {
  const src = source.tracking;
  const dst = destination.tracking;
  const dry = options.dryRun === true;
  const summary: SyncSummary = {
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: [],
    conflicts: [],
    notes: [],
    points: 0,
    files: 0,
    runs: {},
    experiments: {},
    loggedModels: {},
  };
  const count = (o: Outcome, item: string, why?: string) => {
    if (o === 'failed') summary.failed.push({ item, reason: why ?? '' });
    else if (o === 'conflict') summary.conflicts.push({ item, reason: why ?? '' });
    else summary[o]++;
  };
  const record = readRecord(options.recordPath);
  const pairKey = `${src.trackingUri} -> ${dst.trackingUri}`;
  const pair = (record.pairs[pairKey] ??= { runs: {} });
  let recordDirty = false;
  let lastWrite = 0;
  const saveRecord = (force = false) => {
    if (!options.recordPath || dry || !recordDirty) return;
    if (!force && Date.now() - lastWrite < 1000) return;
    writeRecord(options.recordPath, record);
    recordDirty = false;
    lastWrite = Date.now();
  };

  // ---------------------------------------------------------------- experiments
  let srcExperiments = await allExperiments(src, 'ALL');
  if (options.experiments && options.experiments.length > 0) {
    const wanted = new Set(options.experiments);
    const unknown = [...wanted].filter((w) => !srcExperiments.some((e) => e.experimentId === w || e.name === w));
    if (unknown.length > 0) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No experiment with id or name ${unknown.map((u) => `'${u}'`).join(', ')} in ${src.trackingUri}`);
    srcExperiments = srcExperiments.filter((e) => wanted.has(e.experimentId) || wanted.has(e.name));
  }
  const dstByName = new Map((await allExperiments(dst, 'ALL')).map((e) => [e.name, e] as const));

  interface Work {
    exp: Experiment;
    dstExp: Experiment | null;
    run: { runId: string; fp: string; read: () => Promise<Run> };
  }
  const work: Work[] = [];
  const dstRunsByExp = new Map<string, Map<string, Run>>();
  const deletedAfter: Array<{ dstId: string; name: string }> = [];

  // Two source experiments of one name (a folder merged from two git branches): a destination
  // holds one experiment per name, so both go into it (as `mlruns doctor --fix` merges them).
  const sameName = new Map<string, Experiment[]>();
  for (const exp of srcExperiments) sameName.set(exp.name, [...(sameName.get(exp.name) ?? []), exp]);
  for (const [name, exps] of sameName) {
    if (exps.length > 1) {
      summary.notes.push(`experiments ${exps.map((e) => `'${e.experimentId}'`).join(' and ')} of the source are all named '${name}': their runs go into one experiment of that name`);
    }
  }
  const createdHere = new Set<string>();
  for (const exp of srcExperiments) {
    let dstExp = dstByName.get(exp.name) ?? null;
    if (!dstExp && !dry) {
      const tags = Object.entries(exp.tags).map(([key, value]) => ({ key, value }));
      const id = await dst.createExperiment(exp.name, null, tags);
      dstExp = await dst.getExperiment(id);
      dstByName.set(exp.name, dstExp);
      createdHere.add(exp.name);
      summary.created++;
    } else if (!dstExp && createdHere.has(exp.name)) {
      // dry run: counted with the first of its name
    } else if (dstExp) {
      // Tags the copy lacks (nothing is removed).
      const missing = Object.entries(exp.tags).filter(([k, v]) => dstExp?.tags[k] !== v);
      if (!dry) {
        if (dstExp.lifecycleStage === 'deleted' && exp.lifecycleStage === 'active') {
          await dst.restoreExperiment(dstExp.experimentId);
          dstExp = { ...dstExp, lifecycleStage: 'active' };
          dstByName.set(exp.name, dstExp);
        }
        for (const [key, value] of missing) await dst.setExperimentTag(dstExp.experimentId, { key, value });
      }
    } else {
      createdHere.add(exp.name);
      summary.created++;
    }
    if (dstExp) summary.experiments[exp.experimentId] = dstExp.experimentId;
    // Deleted once its runs are in, unless an active source experiment of the same name shares it.
    const shared = (sameName.get(exp.name) ?? []).some((e) => e.lifecycleStage === 'active');
    if (exp.lifecycleStage === 'deleted' && dstExp) {
      if (!shared) deletedAfter.push({ dstId: dstExp.experimentId, name: exp.name });
      // Runs can only be created in an active experiment: it is deleted once its runs are in.
      if (!dry && dstExp.lifecycleStage === 'deleted') {
        await dst.restoreExperiment(dstExp.experimentId);
        dstExp = { ...dstExp, lifecycleStage: 'active' };
        dstByName.set(exp.name, dstExp);
      }
    }

    // The source runs, with a fingerprint each (file store: by file stats, nothing read).
    if (src instanceof FileStore) {
      const dir = src.experimentDir(exp.experimentId);
      if (dir) {
        for (const { info, runDir } of src.listRunInfos(exp.experimentId, dir, 'ALL')) {
          // Read where it was listed (a run of a deleted experiment lives under .trash).
          work.push({ exp, dstExp, run: { runId: info.runId, fp: statFingerprint(runDir), read: async () => src.readRun(info, runDir, dir) } });
        }
      }
    } else {
      const runs = await allPages((t) => src.searchRuns([exp.experimentId], { runViewType: 'ALL', maxResults: 1000, pageToken: t }));
      for (const r of runs) work.push({ exp, dstExp, run: { runId: r.info.runId, fp: runFingerprint(r), read: async () => r } });
    }
  }

  // Parents before children, so a child's parent tag can name the parent's copy.
  const total = work.length;
  let done = 0;
  const tick = (item: string) => options.onProgress?.({ done: ++done, total, item });

  /** The destination runs of an experiment, by source run id (read once, on first need). */
  const dstRunsOf = async (dstExpId: string): Promise<Map<string, Run>> => {
    let m = dstRunsByExp.get(dstExpId);
    if (!m) {
      m = new Map();
      const runs = await allPages((t) => dst.searchRuns([dstExpId], { runViewType: 'ALL', maxResults: 1000, pageToken: t }));
      for (const r of runs) m.set(options.keepRunIds ? r.info.runId : (r.data.tags[SOURCE_RUN_TAG] ?? `dst:${r.info.runId}`), r);
      dstRunsByExp.set(dstExpId, m);
    }
    return m;
  };
  /** A source run id as its copy's (a parent copied earlier, or the same id when ids are kept). */
  const mapRunId = (id: string) => summary.runs[id] ?? id;

  // Unchanged runs (fingerprint as recorded) cost nothing.
  const todo: Work[] = [];
  for (const w of work) {
    const rec = pair.runs[w.run.runId];
    if (rec && rec.src === w.run.fp) {
      summary.runs[w.run.runId] = rec.dst;
      summary.unchanged++;
      tick(w.run.runId);
    } else todo.push(w);
  }

  // Read the changed runs (parents first), then copy them.
  const reads = new Map<string, Run>();
  await pool(todo, options.concurrency ?? 4, async (w) => {
    try {
      reads.set(w.run.runId, await w.run.read());
    } catch (e) {
      count('failed', `run ${w.run.runId}`, reason(e));
    }
  });
  const depth = (id: string, seen = new Set<string>()): number => {
    const p = reads.get(id)?.data.tags[PARENT_TAG];
    if (!p || !reads.has(p) || seen.has(p)) return 0;
    seen.add(p);
    return 1 + depth(p, seen);
  };
  const levels = new Map<number, Work[]>();
  for (const w of todo) {
    if (!reads.has(w.run.runId)) continue;
    const d = depth(w.run.runId);
    if (!levels.has(d)) levels.set(d, []);
    levels.get(d)?.push(w);
  }

  const copyRun = async (w: Work): Promise<void> => {
    const run = reads.get(w.run.runId) as Run;
    const item = `run ${run.info.runId} (${w.exp.name}/${run.info.runName ?? ''})`;
    try {
      if (!w.dstExp) {
        // dry run into an experiment that does not exist yet
        count('created', item);
        return;
      }
      const rec = pair.runs[run.info.runId];
      const existing = (await dstRunsOf(w.dstExp.experimentId)).get(run.info.runId) ?? null;
      let copy = existing;
      if (copy && rec && rec.dst === copy.info.runId) {
        // Changed since the last sync on the source; changed on the destination too?
        const dstNow = runFingerprint(copy);
        if (dstNow !== rec.dstFp) {
          if (options.prefer === 'destination') return count('unchanged', item);
          if (options.prefer !== 'source') {
            return count('conflict', item, `changed on both sides since the last sync (choose a side with --prefer source|destination)`);
          }
        }
      }
      const tags = withoutSyncTags(run.data.tags);
      const parent = tags[PARENT_TAG];
      if (parent) tags[PARENT_TAG] = mapRunId(parent);
      let outcome: Outcome = 'unchanged';
      if (!copy) {
        outcome = 'created';
        if (dry) {
          summary.points += Object.keys(run.data.metrics).length;
          return count('created', item);
        }
        const created = await dst.createRun({
          experimentId: w.dstExp.experimentId,
          userId: run.info.userId,
          startTime: run.info.startTime ?? 0,
          runName: run.info.runName,
          tags: [
            ...Object.entries(tags).map(([key, value]) => ({ key, value })),
            ...(options.keepRunIds ? [] : [{ key: SOURCE_RUN_TAG, value: run.info.runId }]),
          ],
          ...(options.keepRunIds ? { runId: run.info.runId } : {}),
        });
        copy = created;
      }
      const dstId = copy.info.runId;
      summary.runs[run.info.runId] = dstId;

      // params and tags the copy lacks
      const params = Object.entries(run.data.params).filter(([k]) => !(k in copy.data.params));
      const changedParams = Object.entries(run.data.params).filter(([k, v]) => k in copy.data.params && copy.data.params[k] !== v);
      if (changedParams.length > 0) {
        throw new MlflowError('INVALID_STATE', `params ${changedParams.map(([k]) => k).join(', ')} differ on the destination (MLflow params cannot change)`);
      }
      const newTags = Object.entries(tags).filter(([k, v]) => copy.data.tags[k] !== v);
      // metrics: only the points the copy lacks
      const metrics: Metric[] = [];
      for (const key of Object.keys(run.data.metrics)) {
        const history = (await src.getMetricHistory(run.info.runId, key)).items;
        const have = key in copy.data.metrics ? (await dst.getMetricHistory(dstId, key)).items : [];
        metrics.push(...missingPoints(history, have));
      }
      if (params.length + newTags.length + metrics.length > 0) {
        if (outcome === 'unchanged') outcome = 'updated';
        if (!dry) {
          await logInPieces(dst, dstId, {
            params: params.map(([key, value]) => ({ key, value })),
            tags: newTags.map(([key, value]) => ({ key, value })),
            metrics,
          });
        }
        summary.points += metrics.length;
      }
      // dataset inputs the copy lacks
      const have = new Set(copy.inputs.datasetInputs.map(datasetKey));
      const datasets = run.inputs.datasetInputs.filter((d) => !have.has(datasetKey(d)));
      if (datasets.length > 0) {
        if (outcome === 'unchanged') outcome = 'updated';
        if (!dry) await dst.logInputs(dstId, datasets, []);
      }
      // artifacts: files missing or of another size
      let fileManifest: Record<string, number> | undefined;
      if (run.info.artifactUri && copy.info.artifactUri) {
        // The stores resolve their runs' artifact URIs (a folder copied from elsewhere names foreign paths).
        const srcRepo = await src.artifactRepository(run.info.runId);
        const files = await listFiles(srcRepo).catch((e: unknown) => {
          if (isNotFound(e)) return [] as FileInfo[];
          throw e;
        });
        if (files.length > 0) {
          const sent = rec?.dst === dstId ? (rec.files ?? null) : null;
          let known: Map<string, number | null>;
          if (sent && outcome !== 'created') known = new Map(Object.entries(sent));
          else if (outcome === 'created') known = new Map();
          else known = new Map((await listFiles(await dst.artifactRepository(dstId))).map((f) => [f.path, f.fileSize] as const));
          const dstRepo = dry ? null : await dst.artifactRepository(dstId);
          for (const f of files) {
            if (known.get(f.path) === f.fileSize) continue;
            if (outcome === 'unchanged') outcome = 'updated';
            if (dstRepo) await copyFile(srcRepo, dstRepo, f.path);
            summary.files++;
          }
        }
        fileManifest = Object.fromEntries(files.map((f) => [f.path, f.fileSize ?? 0]));
      }
      // status, end time, name, lifecycle
      const i = run.info;
      if (i.status !== copy.info.status || i.endTime !== copy.info.endTime || (i.runName && i.runName !== copy.info.runName)) {
        if (outcome === 'unchanged') outcome = 'updated';
        if (!dry) await dst.updateRunInfo(dstId, i.status, i.endTime, i.runName && i.runName !== copy.info.runName ? i.runName : null);
      }
      if (i.lifecycleStage !== copy.info.lifecycleStage) {
        if (outcome === 'unchanged') outcome = 'updated';
        if (!dry) await (i.lifecycleStage === 'deleted' ? dst.deleteRun(dstId) : dst.restoreRun(dstId));
      }
      if (!dry) {
        const after = outcome === 'unchanged' ? copy : await dst.getRun(dstId);
        pair.runs[run.info.runId] = {
          dst: dstId,
          src: w.run.fp,
          dstFp: runFingerprint(after),
          ...(fileManifest ? { files: fileManifest } : {}),
        };
        recordDirty = true;
        saveRecord();
      }
      count(outcome, item);
    } catch (e) {
      count('failed', item, reason(e));
    } finally {
      tick(item);
    }
  };
  for (const d of [...levels.keys()].sort((a, b) => a - b)) await pool(levels.get(d) ?? [], options.concurrency ?? 4, copyRun);

  // ---------------------------------------------------------------- logged models
  const modelIds = await syncLoggedModels(source, destination, options, summary, count);

  // Run outputs/inputs that name logged models (after the models exist).
  if (!dry && Object.keys(modelIds).length > 0) {
    for (const [srcRun, dstRun] of Object.entries(summary.runs)) {
      const run = reads.get(srcRun);
      if (!run) continue;
      const copy = await dst.getRun(dstRun);
      const outs = run.outputs.modelOutputs
        .filter((o) => modelIds[o.modelId] && !copy.outputs.modelOutputs.some((c) => c.modelId === modelIds[o.modelId]))
        .map((o) => ({ modelId: modelIds[o.modelId] as string, step: o.step }));
      if (outs.length > 0) await dst.logOutputs(dstRun, outs).catch((e: unknown) => count('failed', `outputs of run ${srcRun}`, reason(e)));
      const ins = run.inputs.modelInputs
        .filter((m) => modelIds[m.modelId] && !copy.inputs.modelInputs.some((c) => c.modelId === modelIds[m.modelId]))
        .map((m) => ({ modelId: modelIds[m.modelId] as string }));
      if (ins.length > 0) await dst.logInputs(dstRun, [], ins).catch((e: unknown) => count('failed', `model inputs of run ${srcRun}`, reason(e)));
    }
  }

  // Experiments deleted at the source are deleted once their runs are in.
  if (!dry) for (const d of deletedAfter) await dst.deleteExperiment(d.dstId).catch((e: unknown) => count('failed', `experiment ${d.name}`, reason(e)));

  // ---------------------------------------------------------------- registry
  if (source.registry && destination.registry) {
    await syncRegistry(source, destination, options, summary, count, pair, () => {
      recordDirty = true;
    });
  }
  saveRecord(true);
  return summary;
}

// ------------------------------------------------------------------------------------ logged models

async function syncLoggedModels(
  source: SyncEndpoint,
  destination: SyncEndpoint,
  options: SyncOptions,
  summary: SyncSummary,
  count: (o: Outcome, item: string, why?: string) => void,
): Promise<Record<string, string>> {
  const src = source.tracking;
  const dst = destination.tracking;
  const dry = options.dryRun === true;
  const map = summary.loggedModels;
  const expIds = Object.keys(summary.experiments);
  if (expIds.length === 0) return map;
  let models: LoggedModel[];
  try {
    models = await src.listLoggedModels(expIds);
  } catch (e) {
    if (e instanceof MlflowError && e.code === 'ENDPOINT_NOT_FOUND') {
      summary.notes.push(`logged models not copied: ${e.message}`);
      return map;
    }
    throw e;
  }
  if (models.length === 0) return map;
  const dstExpIds = [...new Set(models.map((m) => summary.experiments[m.experimentId]).filter((x): x is string => !!x))];
  let existing: LoggedModel[];
  try {
    existing = await dst.listLoggedModels(dstExpIds);
  } catch (e) {
    if (e instanceof MlflowError && e.code === 'ENDPOINT_NOT_FOUND') {
      summary.notes.push(`${models.length} logged model(s) not copied: ${e.message}`);
      return map;
    }
    throw e;
  }
  const bySource = new Map(existing.filter((m) => m.tags[SOURCE_MODEL_TAG]).map((m) => [m.tags[SOURCE_MODEL_TAG] as string, m] as const));
  for (const m of models) {
    const item = `logged model ${m.modelId} (${m.name})`;
    try {
      const dstExp = summary.experiments[m.experimentId];
      if (!dstExp) continue;
      let copy = bySource.get(m.modelId) ?? null;
      let outcome: Outcome = 'unchanged';
      if (!copy) {
        outcome = 'created';
        if (dry) {
          count('created', item);
          continue;
        }
        copy = await dst.createLoggedModel({
          experimentId: dstExp,
          name: m.name,
          modelType: m.modelType || null,
          sourceRunId: m.sourceRunId ? (summary.runs[m.sourceRunId] ?? null) : null,
          params: Object.entries(m.params).map(([key, value]) => ({ key, value })),
          tags: [...Object.entries(withoutSyncTags(m.tags)).map(([key, value]) => ({ key, value })), { key: SOURCE_MODEL_TAG, value: m.modelId }],
        });
      }
      map[m.modelId] = copy.modelId;
      const tags = Object.entries(withoutSyncTags(m.tags)).filter(([k, v]) => copy?.tags[k] !== v);
      if (tags.length > 0) {
        if (outcome === 'unchanged') outcome = 'updated';
        if (!dry) await dst.setLoggedModelTags(copy.modelId, tags.map(([key, value]) => ({ key, value })));
      }
      const params = Object.entries(m.params).filter(([k]) => !(k in (copy?.params ?? {})));
      if (params.length > 0) {
        if (outcome === 'unchanged') outcome = 'updated';
        if (!dry) await dst.logLoggedModelParams(copy.modelId, params.map(([key, value]) => ({ key, value })));
      }
      // artifacts first, status last (a READY model has its files)
      const srcRepo = artifactRepoAt(src, m.artifactLocation);
      const files = await listFiles(srcRepo).catch(() => [] as FileInfo[]);
      if (files.length > 0) {
        const dstRepo = artifactRepoAt(dst, copy.artifactLocation);
        const known = outcome === 'created' ? new Map<string, number | null>() : new Map((await listFiles(dstRepo).catch(() => [] as FileInfo[])).map((f) => [f.path, f.fileSize] as const));
        for (const f of files) {
          if (known.get(f.path) === f.fileSize) continue;
          if (outcome === 'unchanged') outcome = 'updated';
          if (!dry) await copyFile(srcRepo, dstRepo, f.path);
          summary.files++;
        }
      }
      if (m.status !== copy.status && m.status !== 'PENDING' && m.status !== 'LOGGED_MODEL_STATUS_UNSPECIFIED') {
        if (outcome === 'unchanged') outcome = 'updated';
        if (!dry) await dst.finalizeLoggedModel(copy.modelId, m.status);
      }
      count(outcome, item);
    } catch (e) {
      count('failed', item, reason(e));
    } finally {
      options.onProgress?.({ done: 0, total: 0, item });
    }
  }
  return map;
}

// ------------------------------------------------------------------------------------ registry

async function syncRegistry(
  source: SyncEndpoint,
  destination: SyncEndpoint,
  options: SyncOptions,
  summary: SyncSummary,
  count: (o: Outcome, item: string, why?: string) => void,
  pair: { registry?: string },
  markDirty: () => void,
): Promise<void> {
  const sreg = source.registry as RegistryStore;
  const dreg = destination.registry as RegistryStore;
  const dry = options.dryRun === true;
  const models = await allPages((t) => sreg.searchRegisteredModels({ maxResults: 1000, pageToken: t }));
  const versionsOf = async (reg: RegistryStore, name: string): Promise<ModelVersion[]> => {
    const escaped = name.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    return (await allPages((t) => reg.searchModelVersions({ filterString: `name='${escaped}'`, maxResults: 10000, pageToken: t }))).sort(
      (a, b) => Number(a.version) - Number(b.version),
    );
  };
  // Unchanged registry (same source listing as last time) costs one listing.
  let srcState: Array<[RegisteredModel, ModelVersion[]]> = [];
  for (const m of models) srcState.push([await sreg.getRegisteredModelWithAllTags(m.name), await versionsOf(sreg, m.name)]);
  if (options.experiments && options.experiments.length > 0) {
    // Some experiments only: the registered models with a version of a copied run or logged model.
    const linked = ([, vs]: [RegisteredModel, ModelVersion[]]) =>
      vs.some((v) => (v.runId && summary.runs[v.runId]) || (v.modelId && summary.loggedModels[v.modelId]));
    const left = srcState.filter((e) => !linked(e));
    if (left.length > 0) {
      summary.notes.push(`${left.length} registered model(s) left out: none of their versions comes from the experiments copied (${left.map(([m]) => m.name).join(', ')})`);
    }
    srcState = srcState.filter(linked);
  }
  const fp = sha(
    srcState.map(([m, vs]) => [m.name, m.description, m.tags, m.aliases, vs.map((v) => [v.version, v.currentStage, v.description, v.tags, v.source, v.runId, v.modelId])]),
  );
  const runsMapped = sha(summary.runs);
  if (pair.registry === `${fp}:${runsMapped}`) {
    summary.unchanged += srcState.length;
    return;
  }
  let failed = false;
  for (const [m, versions] of srcState) {
    const item = `registered model ${m.name}`;
    try {
      let outcome: Outcome = 'unchanged';
      let existing: RegisteredModel | null = null;
      try {
        existing = await dreg.getRegisteredModelWithAllTags(m.name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (!existing) {
        outcome = 'created';
        if (!dry) {
          existing = await dreg.createRegisteredModel(
            m.name,
            Object.entries(m.tags).map(([key, value]) => ({ key, value })),
            m.description,
          );
        }
      } else {
        for (const [key, value] of Object.entries(m.tags)) {
          if (existing.tags[key] === value) continue;
          outcome = 'updated';
          if (!dry) await dreg.setRegisteredModelTag(m.name, { key, value });
        }
        if ((m.description ?? '') !== (existing.description ?? '')) {
          outcome = 'updated';
          if (!dry) await dreg.updateRegisteredModel(m.name, m.description);
        }
      }
      const dstVersions = existing ? await versionsOf(dreg, m.name) : [];
      const bySource = new Map(dstVersions.filter((v) => v.tags[SOURCE_VERSION_TAG]).map((v) => [v.tags[SOURCE_VERSION_TAG] as string, v] as const));
      const versionMap = new Map<string, string>();
      for (const v of versions) {
        let copy = bySource.get(v.version) ?? null;
        if (!copy) {
          outcome = outcome === 'created' ? 'created' : 'updated';
          if (dry) continue;
          copy = await dreg.createModelVersion(m.name, mapSource(v, summary, source.tracking), {
            runId: v.runId ? (summary.runs[v.runId] ?? null) : null,
            tags: [...Object.entries(withoutSyncTags(v.tags)).map(([key, value]) => ({ key, value })), { key: SOURCE_VERSION_TAG, value: v.version }],
            runLink: v.runLink || null,
            description: v.description || null,
            modelId: v.modelId ? (summary.loggedModels[v.modelId] ?? null) : null,
          });
        } else {
          for (const [key, value] of Object.entries(withoutSyncTags(v.tags))) {
            if (copy.tags[key] === value) continue;
            outcome = outcome === 'created' ? 'created' : 'updated';
            if (!dry) await dreg.setModelVersionTag(m.name, copy.version, { key, value });
          }
          if ((v.description ?? '') !== (copy.description ?? '')) {
            outcome = outcome === 'created' ? 'created' : 'updated';
            if (!dry) await dreg.updateModelVersion(m.name, copy.version, v.description);
          }
        }
        versionMap.set(v.version, copy.version);
        if (v.currentStage !== copy.currentStage) {
          outcome = outcome === 'created' ? 'created' : 'updated';
          if (!dry) await dreg.transitionModelVersionStage(m.name, copy.version, v.currentStage, false);
        }
      }
      const dstAliases = existing?.aliases ?? {};
      for (const [alias, version] of Object.entries(m.aliases)) {
        const target = versionMap.get(version);
        if (!target || dstAliases[alias] === target) continue;
        outcome = outcome === 'created' ? 'created' : 'updated';
        if (!dry) await dreg.setRegisteredModelAlias(m.name, alias, target);
      }
      count(outcome, item);
    } catch (e) {
      failed = true;
      count('failed', item, reason(e));
    } finally {
      options.onProgress?.({ done: 0, total: 0, item });
    }
  }
  if (!dry && !failed) {
    pair.registry = `${fp}:${runsMapped}`;
    markDirty();
  }
}

/** A version's source, pointing at the copies: `runs:/<copy>/...`, the copy's artifact folder, `models:/<copy>`. */
function mapSource(v: ModelVersion, summary: SyncSummary, _src: TrackingStore): string {
  const s = v.source;
  const runs = /^runs:\/([^/]+)(\/.*)?$/.exec(s);
  if (runs && summary.runs[runs[1] as string]) return `runs:/${summary.runs[runs[1] as string]}${runs[2] ?? ''}`;
  const lm = /^models:\/(m-[0-9a-f]+)(\/.*)?$/.exec(s);
  if (lm && summary.loggedModels[lm[1] as string]) return `models:/${summary.loggedModels[lm[1] as string]}${lm[2] ?? ''}`;
  // A path (possibly a Windows one, `C:\\...` or `file:///C:/...`) inside the artifact folder of the
  // version's logged model or run: the same path in the copy. A server takes no foreign local path.
  const slashed = s.replace(/\\/g, '/');
  if (v.modelId && summary.loggedModels[v.modelId]) {
    const m = new RegExp(`/models/${v.modelId}/artifacts(/.*)?$`).exec(slashed);
    if (m) return `models:/${summary.loggedModels[v.modelId]}${m[1] ?? ''}`;
  }
  if (v.runId && summary.runs[v.runId]) {
    const m = new RegExp(`/${v.runId}/artifacts(/.*)?$`).exec(slashed);
    if (m) return `runs:/${summary.runs[v.runId]}${m[1] ?? ''}`;
  }
  return s;
}
