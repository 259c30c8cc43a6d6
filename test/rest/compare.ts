/**
 * Dumps of two stores compared with ids mapped: a copy made by `mlruns push` has other run,
 * experiment, logged-model ids and version numbers than its source; it names its source in the
 * `mlruns.sync.*` tags. The projection keys everything by what survives a copy.
 */
import path from 'node:path';
import type { LoggedModel, Metric, Run } from '../../src/entities.js';
import type { Dump, DumpedRegisteredModel } from '../oracle/oracle.js';
import { isPyError } from '../oracle/oracle.js';
import { REPO_ROOT } from './server.js';
import { warmPythonSync } from '../oracle/zygote.js';

const SYNC = 'mlruns.sync.';
/** Stands for a metric history Python could not read. */
export const PY_FAILED = '<python failed>';
const strip = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith(SYNC)).sort());
const byKey = <T>(entries: Array<[string, T]>): Record<string, T> => Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The run id a dump's run stands for: its source's (the sync tag), else its own. */
export const sourceRunKey = (r: Run): string => r.data.tags['mlruns.sync.sourceRunId'] ?? r.info.runId;

export interface ProjectOptions {
  /** Key entities by their own ids, not by the source their sync tags name. */
  ownIds?: boolean;
  /** The dump of the store this one was copied from: keys go on through its sync tags. */
  via?: Dump;
}

/** Own id -> the key a dump's entities stand for (their sync tag, else their id). */
function keysOf(d: Dump): { runs: Map<string, string>; models: Map<string, string>; versions: Map<string, string> } {
  const runs = new Map<string, string>();
  for (const list of Object.values(d.runs)) if (Array.isArray(list)) for (const r of list) runs.set(r.info.runId, sourceRunKey(r));
  const models = new Map<string, string>();
  for (const list of Object.values(d.loggedModels ?? {})) {
    if (Array.isArray(list)) for (const m of list) models.set(m.modelId, m.tags['mlruns.sync.sourceModelId'] ?? m.modelId);
  }
  const versions = new Map<string, string>();
  if (Array.isArray(d.registeredModels)) {
    for (const m of d.registeredModels as DumpedRegisteredModel[]) {
      if (Array.isArray(m.versions)) for (const v of m.versions) versions.set(`${m.name}/${v.version}`, v.tags['mlruns.sync.sourceVersion'] ?? v.version);
    }
  }
  return { runs, models, versions };
}

/** A dump keyed by names and source ids, without ids that a copy changes. */
export function projectDump(d: Dump, options: ProjectOptions = {}): unknown {
  const via = options.via ? keysOf(options.via) : null;
  const own = (tagged: string | undefined, id: string) => (options.ownIds ? id : (tagged ?? id));
  const runKey = (r: Run) => {
    const k = own(r.data.tags['mlruns.sync.sourceRunId'], r.info.runId);
    return via ? (via.runs.get(k) ?? k) : k;
  };
  if (isPyError(d.experiments) || !Array.isArray(d.experiments)) throw new Error('experiments listing failed');
  const expName = new Map(d.experiments.map((e) => [e.experimentId, e.name] as const));
  const runKeyById = new Map<string, string>();
  for (const list of Object.values(d.runs)) if (Array.isArray(list)) for (const r of list) runKeyById.set(r.info.runId, runKey(r));
  const mapRun = (id: string | null | undefined) => (id ? (runKeyById.get(id) ?? id) : id);
  const modelKey = new Map<string, string>();
  for (const list of Object.values(d.loggedModels ?? {})) {
    if (Array.isArray(list)) {
      for (const m of list) {
        const k = own(m.tags['mlruns.sync.sourceModelId'], m.modelId);
        modelKey.set(m.modelId, via ? (via.models.get(k) ?? k) : k);
      }
    }
  }
  const experiments = byKey(d.experiments.map((e) => [e.name, { stage: e.lifecycleStage, tags: strip(e.tags) }]));
  const runs = byKey(
    Object.entries(d.runs).map(([eid, list]) => {
      if (!Array.isArray(list)) throw new Error(`runs of ${eid} failed`);
      return [
        expName.get(eid) ?? eid,
        byKey(
          list.map((r) => {
            const tags = strip(r.data.tags);
            if (tags['mlflow.parentRunId']) tags['mlflow.parentRunId'] = mapRun(tags['mlflow.parentRunId']) as string;
            const history = d.metricHistory[r.info.runId] ?? {};
            return [
              runKey(r),
              {
                name: r.info.runName,
                status: r.info.status,
                start: r.info.startTime,
                end: r.info.endTime,
                stage: r.info.lifecycleStage,
                user: r.info.userId,
                params: byKey(Object.entries(r.data.params)),
                metrics: byKey(Object.entries(r.data.metrics)),
                tags,
                datasets: r.inputs.datasetInputs.map((x) => ({ ...x.dataset, tags: x.tags })),
                outputs: r.outputs.modelOutputs.map((o) => ({ model: modelKey.get(o.modelId) ?? o.modelId, step: o.step })),
                history: byKey(
                  Object.entries(history).map(([k, h]) => {
                    // Python itself failed on this history (a damaged folder): marked, for the caller to skip.
                    if (!Array.isArray(h)) return [k, PY_FAILED] as [string, unknown];
                    return [k, (h as Metric[]).map((m) => [m.step, m.timestamp, m.value]).sort((a, b) => (a[0]! - b[0]!) || (a[1]! - b[1]!) || (Number(a[2]) - Number(b[2])))];
                  }),
                ),
              },
            ];
          }),
        ),
      ];
    }),
  );
  const loggedModels = byKey(
    Object.entries(d.loggedModels ?? {}).map(([eid, list]) => [
      expName.get(eid) ?? eid,
      Array.isArray(list)
        ? byKey(
            (list as LoggedModel[]).map((m) => [
              modelKey.get(m.modelId) as string,
              { name: m.name, status: m.status, tags: strip(m.tags), params: m.params, run: mapRun(m.sourceRunId), type: m.modelType || null },
            ]),
          )
        : list,
    ]),
  );
  const registered = Array.isArray(d.registeredModels)
    ? byKey(
        (d.registeredModels as DumpedRegisteredModel[]).map((m) => {
          const versions = Array.isArray(m.versions) ? m.versions : [];
          const vkey = new Map(
            versions.map((v) => {
              const k = own(v.tags['mlruns.sync.sourceVersion'], v.version);
              return [v.version, via ? (via.versions.get(`${m.name}/${k}`) ?? k) : k] as const;
            }),
          );
          return [
            m.name,
            {
              description: m.description || null,
              tags: strip(m.tags),
              aliases: byKey(Object.entries(m.aliases).map(([a, v]) => [a, vkey.get(v) ?? v])),
              versions: byKey(
                versions.map((v) => [
                  vkey.get(v.version) as string,
                  { stage: v.currentStage, description: v.description || null, tags: strip(v.tags), run: mapRun(v.runId), status: v.status },
                ]),
              ),
            },
          ];
        }),
      )
    : d.registeredModels;
  return { experiments, runs, loggedModels, registered };
}

/** Runs the push/pull test store script with Python MLflow 3; returns its JSON summary. */
export function makeSyncStore(root: string, points = 5): { experimentId: string; runs: Record<string, string>; deletedRunId: string; modelId: string } {
  const py = path.join(REPO_ROOT, '.oracle', 'mlflow-3', 'bin', 'python');
  const r = warmPythonSync(py, [path.join(REPO_ROOT, 'test/rest/make_sync_store.py'), root, String(points)], {
    encoding: 'utf8',
    env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', MLFLOW_TRACKING_URI: '', PYTHONDONTWRITEBYTECODE: '1' },
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`make_sync_store.py failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string);
}
