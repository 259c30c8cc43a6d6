/**
 * Helpers to compare what Python MLflow sees (an oracle {@link Dump}, or exec results) with what our
 * library returns: canonical ordering, dropping fields a version lacks, replacing roots, diffs.
 *
 * @example
 * ```ts
 * const py = normalizeDump(await oracle.dump(root), { version: '2', roots: [root] });
 * const ours = normalizeDump(await dumpWithOurLibrary(root), { version: '2', roots: [root] });
 * expect(diffValues(ours, py)).toEqual([]);
 * ```
 */
import type {
  DatasetInput,
  Experiment,
  LoggedModel,
  Metric,
  ModelVersion,
  RegisteredModel,
  Run,
} from '../../src/entities.js';
import { isPyError, type Dump, type DumpedRegisteredModel, type OracleVersion, type PyErrorEntry } from './oracle.js';

/** What each oracle version's Python can see. */
export interface VersionFeatures {
  /** File-based model registry (2.1+). */
  registry: boolean;
  /** Registered-model aliases (2.3+). */
  aliases: boolean;
  /** Dataset inputs (2.4+). */
  datasets: boolean;
  /** Logged models, model inputs/outputs (3.0+). */
  loggedModels: boolean;
  /** Metric entities carry datasetName/datasetDigest/modelId/runId (3.0+). */
  metricExtraFields: boolean;
}

export function versionFeatures(version: OracleVersion): VersionFeatures {
  const major = Number(version);
  return {
    registry: major >= 2,
    aliases: major >= 2,
    datasets: major >= 2,
    loggedModels: major >= 3,
    metricExtraFields: major >= 3,
  };
}

export interface NormalizeOptions {
  /** The MLflow version whose shapes to produce (fields it lacks are dropped). */
  version: OracleVersion;
  /** Absolute store roots to replace by `<root>` in every string (artifact URIs, sources, messages). */
  roots?: string[];
  /** Drop Python tracebacks from error entries (default true). */
  dropTracebacks?: boolean;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Deep copy with object keys sorted (stable for snapshots and diffs). */
export function canonicalize<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => canonicalize(v)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort(byString)) out[k] = canonicalize((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}

/** Replaces every occurrence of each root (and its `file://` form) in strings by `token`. */
export function replaceRoots<T>(value: T, roots: string[], token = '<root>'): T {
  if (roots.length === 0) return value;
  const sorted = [...roots].sort((a, b) => b.length - a.length);
  const fix = (s: string): string => {
    let out = s;
    for (const r of sorted) {
      out = out.split(`file://${r}`).join(token).split(r).join(token);
    }
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fix(v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[fix(k)] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** Deep copy without the given keys anywhere (e.g. volatile timestamps). */
export function omitKeys<T>(value: T, keys: readonly string[]): T {
  const drop = new Set(keys);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!drop.has(k)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** Keeps only the keys (recursively) that `shape` has: compare a richer object with a leaner one. */
export function projectTo<T>(value: unknown, shape: T): T {
  if (Array.isArray(shape) && Array.isArray(value)) {
    return value.map((v, i) => (i < shape.length ? projectTo(v, shape[i]) : v)) as T;
  }
  if (
    typeof shape === 'object' &&
    shape !== null &&
    !Array.isArray(shape) &&
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value)
  ) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(shape)) {
      if (k in value) out[k] = projectTo((value as Record<string, unknown>)[k], (shape as Record<string, unknown>)[k]);
    }
    return out as T;
  }
  return value as T;
}

/**
 * Differences between two values as readable lines (`path: a !== b`); empty when equal.
 * Numbers compare with Object.is (NaN equals NaN, 0 differs from -0).
 */
export function diffValues(a: unknown, b: unknown, at = '$', out: string[] = [], limit = 200): string[] {
  if (out.length >= limit) return out;
  const show = (v: unknown): string => {
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 120 ? `${s.slice(0, 117)}...` : s;
  };
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${at}: length ${a.length} !== ${b.length}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) diffValues(a[i], b[i], `${at}[${i}]`, out, limit);
    return out;
  }
  if (
    typeof a === 'object' &&
    a !== null &&
    typeof b === 'object' &&
    b !== null &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort(byString)) {
      const p = /^[A-Za-z_$][\w$]*$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`;
      if (!(k in bo)) out.push(`${p}: only in first (${show(ao[k])})`);
      else if (!(k in ao)) out.push(`${p}: only in second (${show(bo[k])})`);
      else diffValues(ao[k], bo[k], p, out, limit);
    }
    return out;
  }
  if (!Object.is(a, b)) out.push(`${at}: ${show(a)} !== ${show(b)}`);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Entities

function normError<T extends PyErrorEntry>(e: T, opts: NormalizeOptions): T {
  if (opts.dropTracebacks === false) return e;
  const { traceback: _t, ...error } = e.error;
  return { ...e, error };
}

export function normalizeMetric(m: Metric, version: OracleVersion): Metric {
  const base: Metric = { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step };
  if (!versionFeatures(version).metricExtraFields) return base;
  return {
    ...base,
    datasetName: m.datasetName ?? null,
    datasetDigest: m.datasetDigest ?? null,
    modelId: m.modelId ?? null,
    runId: m.runId ?? null,
  };
}

export function normalizeExperiment(e: Experiment): Experiment {
  return {
    experimentId: e.experimentId,
    name: e.name,
    artifactLocation: e.artifactLocation,
    lifecycleStage: e.lifecycleStage,
    tags: { ...e.tags },
    creationTime: e.creationTime ?? null,
    lastUpdateTime: e.lastUpdateTime ?? null,
  };
}

function normalizeDatasetInput(d: DatasetInput): DatasetInput {
  return {
    dataset: {
      name: d.dataset.name,
      digest: d.dataset.digest,
      sourceType: d.dataset.sourceType,
      source: d.dataset.source,
      schema: d.dataset.schema ?? null,
      profile: d.dataset.profile ?? null,
    },
    tags: [...d.tags].sort((a, b) => byString(a.key, b.key)),
  };
}

/** Run with inputs/outputs sorted, and emptied where the version cannot have them. */
export function normalizeRun(r: Run, version: OracleVersion): Run {
  const f = versionFeatures(version);
  return {
    info: {
      runId: r.info.runId,
      runUuid: r.info.runUuid,
      experimentId: r.info.experimentId,
      runName: r.info.runName,
      userId: r.info.userId,
      status: r.info.status,
      startTime: r.info.startTime ?? null,
      endTime: r.info.endTime ?? null,
      artifactUri: r.info.artifactUri,
      lifecycleStage: r.info.lifecycleStage,
    },
    data: { metrics: { ...r.data.metrics }, params: { ...r.data.params }, tags: { ...r.data.tags } },
    inputs: {
      datasetInputs: f.datasets
        ? (r.inputs?.datasetInputs ?? [])
            .map(normalizeDatasetInput)
            .sort((a, b) => byString(a.dataset.name, b.dataset.name) || byString(a.dataset.digest, b.dataset.digest))
        : [],
      modelInputs: f.loggedModels
        ? [...(r.inputs?.modelInputs ?? [])].map((m) => ({ modelId: m.modelId })).sort((a, b) => byString(a.modelId, b.modelId))
        : [],
    },
    outputs: {
      modelOutputs: f.loggedModels
        ? [...(r.outputs?.modelOutputs ?? [])]
            .map((m) => ({ modelId: m.modelId, step: m.step }))
            .sort((a, b) => byString(a.modelId, b.modelId) || a.step - b.step)
        : [],
    },
  };
}

export function normalizeLoggedModel(m: LoggedModel, version: OracleVersion): LoggedModel {
  return {
    modelId: m.modelId,
    experimentId: m.experimentId,
    name: m.name,
    artifactLocation: m.artifactLocation,
    creationTimestamp: m.creationTimestamp,
    lastUpdatedTimestamp: m.lastUpdatedTimestamp,
    modelType: m.modelType ?? null,
    sourceRunId: m.sourceRunId ?? null,
    status: m.status,
    statusMessage: m.statusMessage ?? null,
    tags: { ...m.tags },
    params: { ...m.params },
    // stable sort: file order kept within a key
    metrics: m.metrics.map((x) => normalizeMetric(x, version)).sort((a, b) => byString(a.key, b.key)),
    modelUri: m.modelUri,
  };
}

/** ModelVersion as Python's client entity has it (no storageLocation; aliases sorted). */
export function normalizeModelVersion(v: ModelVersion, version: OracleVersion): ModelVersion {
  return {
    name: v.name,
    version: String(v.version),
    creationTimestamp: v.creationTimestamp ?? null,
    lastUpdatedTimestamp: v.lastUpdatedTimestamp ?? null,
    description: v.description ?? null,
    userId: v.userId ?? null,
    currentStage: v.currentStage,
    source: v.source,
    runId: v.runId ?? null,
    runLink: v.runLink ?? null,
    status: v.status,
    statusMessage: v.statusMessage ?? null,
    tags: { ...v.tags },
    aliases: versionFeatures(version).aliases ? [...(v.aliases ?? [])].sort(byString) : [],
    modelId: versionFeatures(version).loggedModels ? (v.modelId ?? null) : null,
  };
}

const byVersion = (a: ModelVersion, b: ModelVersion): number => Number(a.version) - Number(b.version);

export function normalizeRegisteredModel(m: RegisteredModel, version: OracleVersion): RegisteredModel {
  return {
    name: m.name,
    creationTimestamp: m.creationTimestamp ?? null,
    lastUpdatedTimestamp: m.lastUpdatedTimestamp ?? null,
    description: m.description ?? null,
    latestVersions: m.latestVersions.map((v) => normalizeModelVersion(v, version)).sort(byVersion),
    tags: { ...m.tags },
    aliases: versionFeatures(version).aliases ? { ...m.aliases } : {},
  };
}

// ------------------------------------------------------------------------------------------------
// Dumps

function sortedRecord<V>(rec: Record<string, V>, f: (v: V, k: string) => V): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(rec).sort(byString)) out[k] = f(rec[k] as V, k);
  return out;
}

type Listing<T, Id extends string> = T[] | (PyErrorEntry & { items: Array<T | (PyErrorEntry & { [K in Id]: string })> });

function normListing<T, Id extends string>(
  l: Listing<T, Id>,
  norm: (x: T) => T,
  id: (x: T | (PyErrorEntry & { [K in Id]: string })) => string,
  opts: NormalizeOptions,
): Listing<T, Id> {
  const normItem = (x: T | (PyErrorEntry & { [K in Id]: string })): T | (PyErrorEntry & { [K in Id]: string }) =>
    isPyError(x) ? normError(x as PyErrorEntry & { [K in Id]: string }, opts) : norm(x as T);
  if (Array.isArray(l)) return l.map((x) => norm(x)).sort((a, b) => byString(id(a), id(b)));
  return { ...normError(l, opts), items: (l.items ?? []).map(normItem).sort((a, b) => byString(id(a), id(b))) };
}

/**
 * A canonical dump: experiments by id, runs by id, logged models by id, registered models by name,
 * versions by number, every entity normalized for `version`, roots replaced, keys sorted.
 * Sections a version lacks are dropped (1.x: registry and logged models; 2.x: logged models).
 */
export function normalizeDump(d: Dump, opts: NormalizeOptions): Dump {
  const v = opts.version;
  const f = versionFeatures(v);
  const out: Dump = {
    version: d.version,
    experiments: normListing<Experiment, 'experimentId'>(
      d.experiments,
      normalizeExperiment,
      (x) => (x as { experimentId: string }).experimentId,
      opts,
    ),
    runs: sortedRecord(d.runs, (l) =>
      normListing<Run, 'runId'>(
        l,
        (r) => normalizeRun(r, v),
        (x) => ('info' in x ? (x as Run).info.runId : (x as { runId: string }).runId),
        opts,
      ),
    ),
    metricHistory: sortedRecord(d.metricHistory, (keys) =>
      sortedRecord(keys, (h) => (isPyError(h) ? normError(h, opts) : h.map((m) => normalizeMetric(m, v)))),
    ),
  };
  if (f.loggedModels && d.loggedModels) {
    out.loggedModels = sortedRecord(d.loggedModels, (l) =>
      isPyError(l)
        ? normError(l, opts)
        : l.map((m) => normalizeLoggedModel(m, v)).sort((a, b) => byString(a.modelId, b.modelId)),
    );
  }
  if (f.registry && d.registeredModels) {
    const rms = d.registeredModels;
    out.registeredModels = isPyError(rms)
      ? normError(rms, opts)
      : rms
          .map(
            (m): DumpedRegisteredModel => ({
              ...normalizeRegisteredModel(m, v),
              versions: isPyError(m.versions)
                ? normError(m.versions, opts)
                : m.versions.map((x) => normalizeModelVersion(x, v)).sort(byVersion),
            }),
          )
          .sort((a, b) => byString(a.name, b.name));
  }
  return canonicalize(replaceRoots(out, opts.roots ?? []));
}

/** Every `{error}` entry in a dump, with its path: where Python itself failed. */
export function findErrors(value: unknown, at = '$', out: Array<{ path: string; error: PyErrorEntry['error'] }> = []) {
  if (Array.isArray(value)) value.forEach((v, i) => findErrors(v, `${at}[${i}]`, out));
  else if (typeof value === 'object' && value !== null) {
    if (isPyError(value)) out.push({ path: at, error: value.error });
    for (const [k, v] of Object.entries(value)) if (k !== 'error') findErrors(v, `${at}.${k}`, out);
  }
  return out;
}
