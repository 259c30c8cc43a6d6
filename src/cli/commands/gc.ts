/**
 * `mlruns gc`: permanently removes deleted runs, experiments and logged models, with the
 * selection rules of `mlflow gc` (mlflow/cli/__init__.py `_gc_tracking_resources`). Unlike
 * `mlflow gc`, everything is checked before anything is removed, and nothing is removed
 * without `--yes`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { Experiment } from '../../entities.js';
import { MlflowError } from '../../errors.js';
import type { FileStore } from '../../store/file/file-store.js';
import { asFileStore } from '../../tracking/stores.js';
import { isLocalUri, localFileUriToPath } from '../../store/uri.js';
import { META } from '../../store/file/layout.js';
import type { MlflowClient } from '../../tracking/client.js';
import { CliError, Ctx, EXIT, collectCsv } from '../context.js';
import { cell, fmtTime, print, renderTable, toJson } from '../output.js';
import { Progress } from '../progress.js';
import type { CommandModule } from './module.js';

/** `mlflow gc --older-than`: `1d2h3m4s` (each part optional, decimals allowed) → ms. */
export function parseOlderThan(text: string): number {
  const m = /^((?<days>[.\d]+?)d)?((?<hours>[.\d]+?)h)?((?<minutes>[.\d]+?)m)?((?<seconds>[.\d]+?)s)?$/.exec(text);
  if (!m || !m.groups) {
    throw new CliError(`could not parse any time information from '${text}'. Examples of valid strings: '8h', '2d8h5m20s', '2m4s'`);
  }
  const g = m.groups;
  const num = (v: string | undefined): number => {
    if (v === undefined) return 0;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new CliError(`invalid number '${v}' in --older-than '${text}'`);
    return n;
  };
  const seconds = num(g['days']) * 86400 + num(g['hours']) * 3600 + num(g['minutes']) * 60 + num(g['seconds']);
  return Math.trunc(seconds * 1000);
}

export interface GcRun {
  runId: string;
  experimentId: string;
  runName: string | null;
  deletedTime: number | null;
  artifactUri: string | null;
  runDir: string;
}

export interface GcExperiment {
  experimentId: string;
  name: string;
  lastUpdateTime: number | null;
  dir: string;
}

export interface GcModel {
  modelId: string;
  experimentId: string;
  name: string | null;
  lastUpdatedTimestamp: number | null;
  dir: string;
  artifactLocation: string | null;
}

interface Plan {
  runs: GcRun[];
  experiments: GcExperiment[];
  loggedModels: GcModel[];
  skippedArtifacts: string[];
}

/** `_get_deleted_runs(older_than)`: deleted runs of every experiment whose deleted_time is old enough (or missing). */
function deletedRunsOlderThan(store: FileStore, olderThan: number, now: number): Map<string, GcRun> {
  const out = new Map<string, GcRun>();
  for (const exp of store.listExperiments('ALL')) {
    const dir = store.experimentDir(exp.experimentId);
    if (!dir) continue;
    for (const { info, runDir, deletedTime } of store.listRunMetas(exp.experimentId, dir, 'DELETED_ONLY')) {
      if (deletedTime === null || now - deletedTime >= olderThan) {
        out.set(info.runId, { runId: info.runId, experimentId: info.experimentId, runName: info.runName, deletedTime, artifactUri: info.artifactUri, runDir });
      }
    }
  }
  return out;
}

/** Deleted logged models (`<experiment>/models/<id>/meta.yaml` with lifecycle_stage deleted) not updated since `olderThan`. */
function deletedModels(store: FileStore, olderThan: number, now: number): Map<string, GcModel> {
  const out = new Map<string, GcModel>();
  for (const exp of store.listExperiments('ALL')) {
    const dir = store.experimentDir(exp.experimentId);
    if (!dir) continue;
    for (const m of store.deletedLoggedModels(exp.experimentId, dir)) {
      if ((m.lastUpdatedTimestamp ?? 0) > now - olderThan) continue;
      out.set(m.modelId, m);
    }
  }
  return out;
}

async function plan(
  client: MlflowClient,
  options: { olderThan?: string; runIds: string[]; experimentIds: string[]; loggedModelIds: string[] },
): Promise<Plan> {
  const store = asFileStore(client.store, 'mlruns gc');
  const now = Date.now();
  const delta = options.olderThan !== undefined ? parseOlderThan(options.olderThan) : 0;
  const oldDeletedRuns = deletedRunsOlderThan(store, delta, now);
  const runIds: string[] = options.runIds.length > 0 ? [...options.runIds] : [...oldDeletedRuns.keys()];

  const allDeletedModels = deletedModels(store, 0, now);
  const oldDeletedModels = delta ? deletedModels(store, delta, now) : allDeletedModels;
  const modelIds = options.loggedModelIds.length > 0 ? options.loggedModelIds : [...oldDeletedModels.keys()];

  const threshold = now - delta;
  let experiments: Experiment[];
  if (options.experimentIds.length > 0) {
    experiments = [];
    for (const id of options.experimentIds) experiments.push(await client.getExperiment(id));
    const active = experiments.filter((e) => e.lifecycleStage !== 'deleted').map((e) => e.experimentId);
    if (active.length) {
      throw new CliError(
        `experiments ${active.join(', ')} are not in the deleted lifecycle stage; only deleted experiments can be removed for good`,
        EXIT.CONFLICT,
      );
    }
    if (options.olderThan) {
      const young = experiments.filter((e) => e.lastUpdateTime === null || e.lastUpdateTime >= threshold).map((e) => e.experimentId);
      if (young.length) throw new CliError(`experiments ${young.join(', ')} are not older than ${options.olderThan}`, EXIT.CONFLICT);
    }
  } else {
    experiments = store
      .listExperiments('DELETED_ONLY')
      .filter((e) => e.lifecycleStage === 'deleted' && (!options.olderThan || (e.lastUpdateTime !== null && e.lastUpdateTime < threshold)));
  }
  const expDirs: GcExperiment[] = [];
  for (const e of experiments) {
    const dir = store.experimentDir(e.experimentId, 'DELETED_ONLY');
    if (!dir) throw new CliError(`experiment ${e.experimentId} is not in .trash`, EXIT.CONFLICT);
    expDirs.push({ experimentId: e.experimentId, name: e.name, lastUpdateTime: e.lastUpdateTime, dir });
    for (const { info } of store.listRunInfos(e.experimentId, dir, 'DELETED_ONLY')) runIds.push(info.runId);
  }

  const runs: GcRun[] = [];
  const skippedArtifacts: string[] = [];
  const allDeletedRuns = delta ? deletedRunsOlderThan(store, 0, now) : oldDeletedRuns;
  for (const runId of [...new Set(runIds)]) {
    const known = allDeletedRuns.get(runId);
    if (!known) {
      // Not a deleted run of this store: tell "not found" from "not deleted".
      let stage: string;
      try {
        stage = (await client.getRun(runId)).info.lifecycleStage;
      } catch (err) {
        if (err instanceof MlflowError && (err.code === 'RESOURCE_DOES_NOT_EXIST' || err.code === 'INVALID_PARAMETER_VALUE')) {
          throw new CliError(`run '${runId}' not found`, EXIT.NOT_FOUND);
        }
        throw err;
      }
      throw new CliError(`run ${runId} is not in the deleted lifecycle stage (it is ${stage}); only deleted runs can be removed for good`, EXIT.CONFLICT);
    }
    if (options.olderThan && !oldDeletedRuns.has(runId)) {
      throw new CliError(`run ${runId} is not older than ${options.olderThan}`, EXIT.CONFLICT);
    }
    runs.push(known);
  }

  const loggedModels: GcModel[] = [];
  for (const id of [...new Set(modelIds)]) {
    const m = allDeletedModels.get(id);
    if (!m) {
      try {
        await store.getLoggedModel(id, { allowDeleted: true });
      } catch {
        throw new CliError(`logged model '${id}' not found`, EXIT.NOT_FOUND);
      }
      throw new CliError(`logged model ${id} is not in the deleted lifecycle stage`, EXIT.CONFLICT);
    }
    if (options.olderThan && !oldDeletedModels.has(id)) throw new CliError(`logged model ${id} is not older than ${options.olderThan}`, EXIT.CONFLICT);
    loggedModels.push(m);
  }
  return { runs, experiments: expDirs, loggedModels, skippedArtifacts };
}

/** The local folder of an artifact URI outside `within`, or undefined (inside it, or not local). */
function externalArtifactDir(uri: string | null, within: string, skipped: string[]): string | undefined {
  if (!uri) return undefined;
  if (!isLocalUri(uri)) {
    skipped.push(uri);
    return undefined;
  }
  const p = path.resolve(localFileUriToPath(uri));
  const inside = p === within || p.startsWith(within + path.sep);
  if (inside || !fs.existsSync(p)) return undefined;
  // The artifacts folder of a run folder of another store (this store is a copy, or was moved):
  // not ours to remove.
  if (fs.existsSync(path.join(path.dirname(p), META))) {
    skipped.push(uri);
    return undefined;
  }
  return p;
}

/** Never removes the root, one of its ancestors, or a file-system root. */
function safeToRemove(dir: string, root: string): boolean {
  return dir !== path.parse(dir).root && dir !== root && !root.startsWith(dir + path.sep);
}

export const gcCommand: CommandModule = {
  name: 'gc',
  register(program: Command): void {
    program
      .command('gc')
      .description('Permanently remove deleted runs, experiments and logged models (as `mlflow gc`); lists them unless --yes')
      .option('--older-than <age>', "only what was deleted longer ago than this, e.g. '30d', '2d8h5m20s'")
      .option('--run-ids <ids>', 'only these deleted runs (comma-separated, repeatable)', collectCsv, [])
      .option('--experiment-ids <ids>', 'only these deleted experiments (comma-separated, repeatable)', collectCsv, [])
      .option('--logged-model-ids <ids>', 'only these deleted logged models (comma-separated, repeatable)', collectCsv, [])
      .option('-y, --yes', 'really remove them (without it, only list)')
      .option('--json', 'print JSON: { "dryRun": boolean, "runs": [...], "experiments": [...], "loggedModels": [...] }')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns gc                          # list everything that would be removed
  $ mlruns gc --older-than 30d --yes   # remove what was deleted over 30 days ago
  $ mlruns gc --run-ids a1b2,c3d4 --yes

As with \`mlflow gc\`, without --experiment-ids every deleted experiment (old enough) is removed
with its runs, even when --run-ids is given.`,
      )
      .action(
        async (
          opts: { olderThan?: string; runIds: string[]; experimentIds: string[]; loggedModelIds: string[]; yes?: boolean; json?: boolean },
          cmd: Command,
        ) => {
          const ctx = new Ctx(cmd);
          const client = ctx.client('read');
          const p = await plan(client, opts);
          const root = ctx.folderRoot('mlruns gc');
          const dryRun = !opts.yes;
          const s = ctx.style;
          if (!dryRun) {
            const total = p.runs.length + p.loggedModels.length + p.experiments.length;
            const progress = new Progress(total, 'removing');
            for (const r of p.runs) {
              const external = externalArtifactDir(r.artifactUri, r.runDir, p.skippedArtifacts);
              if (external && safeToRemove(external, root)) fs.rmSync(external, { recursive: true, force: true });
              fs.rmSync(r.runDir, { recursive: true, force: true });
              progress.tick(1, r.runId);
            }
            for (const m of p.loggedModels) {
              const external = externalArtifactDir(m.artifactLocation, m.dir, p.skippedArtifacts);
              if (external && safeToRemove(external, root)) fs.rmSync(external, { recursive: true, force: true });
              fs.rmSync(m.dir, { recursive: true, force: true });
              progress.tick(1, m.modelId);
            }
            for (const e of p.experiments) {
              fs.rmSync(e.dir, { recursive: true, force: true });
              progress.tick(1, e.experimentId);
            }
            progress.done();
          }
          if (opts.json) {
            print(
              toJson({
                dryRun,
                runs: p.runs.map(({ runDir: _d, ...r }) => r),
                experiments: p.experiments.map(({ dir: _d, ...e }) => e),
                loggedModels: p.loggedModels.map(({ dir: _d, ...m }) => m),
                skippedArtifacts: p.skippedArtifacts,
              }),
            );
            return;
          }
          for (const uri of p.skippedArtifacts) process.stderr.write(`mlruns: warning: artifacts at '${uri}' were left in place (not local, or inside another store's run folder)\n`);
          const n = p.runs.length + p.experiments.length + p.loggedModels.length;
          if (n === 0) {
            print('Nothing to remove: no deleted runs, experiments or logged models match\n');
            return;
          }
          const verb = dryRun ? 'Would remove' : 'Removed';
          if (p.runs.length) {
            print(`${s.bold(`${verb} ${p.runs.length} run${p.runs.length === 1 ? '' : 's'}`)}\n`);
            print(
              renderTable(
                ['RUN ID', 'NAME', 'EXPERIMENT', 'DELETED'],
                p.runs.map((r) => [s.cyan(r.runId), cell(r.runName ?? '', 40), r.experimentId, fmtTime(r.deletedTime)]),
                { style: s, indent: '  ' },
              ),
            );
          }
          if (p.loggedModels.length) {
            print(`${s.bold(`${verb} ${p.loggedModels.length} logged model${p.loggedModels.length === 1 ? '' : 's'}`)}\n`);
            print(
              renderTable(
                ['MODEL ID', 'NAME', 'EXPERIMENT', 'UPDATED'],
                p.loggedModels.map((m) => [m.modelId, cell(m.name ?? '', 40), m.experimentId, fmtTime(m.lastUpdatedTimestamp)]),
                { style: s, indent: '  ' },
              ),
            );
          }
          if (p.experiments.length) {
            print(`${s.bold(`${verb} ${p.experiments.length} experiment${p.experiments.length === 1 ? '' : 's'}`)}\n`);
            print(
              renderTable(
                ['ID', 'NAME', 'UPDATED'],
                p.experiments.map((e) => [e.experimentId, cell(e.name, 60), fmtTime(e.lastUpdateTime)]),
                { style: s, indent: '  ' },
              ),
            );
          }
          if (dryRun) print(s.yellow('Nothing was removed. Run again with --yes to remove these permanently.\n'));
        },
      );
  },
};
