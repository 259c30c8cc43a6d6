/**
 * `mlruns watch`: keeps the catalog of the root current and prints change events, one per line
 * (`--json`: NDJSON). Long-running; stops on SIGINT/SIGTERM (exit 0).
 *
 * @example
 * ```ts
 * import { watchCommand } from './watch.js';
 * watchCommand.register(program); // mlruns watch [--json] [--poll] [--reconcile S]
 * ```
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, Ctx, EXIT, parsePositiveInt } from '../context.js';
import { eventToJson } from '../../catalog/events.js';
import type { ChangeEvent } from '../../catalog/events.js';
import { watch } from '../../watch/watcher.js';
import { watchDatabase } from '../../watch/db-watcher.js';
import { sqliteUriToPath } from '../../store/sqlite/db.js';
import { enableGarbageCollection } from '../../catalog/memory.js';
import type { CommandModule } from './module.js';

/**
 * One human-readable line for a change event.
 *
 * @example
 * ```ts
 * describeEvent({ type: 'run_restored', experimentId: '1', runId: 'abc' }); // 'run_restored  exp 1  run abc'
 * ```
 */
export function describeEvent(e: ChangeEvent): string {
  const head = `${e.type}  exp ${e.experimentId}`;
  switch (e.type) {
    case 'run_created':
      return `${head}  run ${e.runId}  ${e.runName ?? ''} ${e.status}`.trimEnd();
    case 'params_set':
      return `${head}  run ${e.runId}  ${Object.entries(e.params).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'tags_set':
      return `${head}  run ${e.runId}  ${Object.entries(e.tags).map(([k, v]) => `${k}=${v}`).join(' ')}${e.deleted.length ? `  deleted: ${e.deleted.join(', ')}` : ''}`;
    case 'metrics_appended':
      return `${head}  run ${e.runId}  ${e.key}${e.rewritten ? ' (rewritten)' : ''}: ${e.points.map((p) => `${p.value}@${p.step}`).join(' ')}`;
    case 'status_changed':
      return `${head}  run ${e.runId}  ${e.from} -> ${e.to}`;
    case 'run_deleted':
      return `${head}  run ${e.runId}${e.removed ? ' (folder removed)' : ''}`;
    case 'run_restored':
      return `${head}  run ${e.runId}`;
    case 'experiment_created':
      return `${head}  ${e.name}`;
    case 'experiment_renamed':
      return `${head}  ${e.from} -> ${e.to}`;
    case 'experiment_deleted':
      return `${head}  ${e.name ?? ''}${e.removed ? ' (folder removed)' : ''}`.trimEnd();
    case 'experiment_restored':
      return `${head}  ${e.name ?? ''}`.trimEnd();
  }
}

/** `mlruns watch sqlite:///...`: polls the database (no catalog; the folder-only options are refused). */
async function watchDatabaseCli(ctx: Ctx, opts: WatchCliOptions): Promise<void> {
  const file = sqliteUriToPath(ctx.trackingUri);
  for (const [given, flag] of [
    [opts.maxWatches, '--max-watches'],
    [opts.catalogDir, '--catalog-dir'],
  ] as const) {
    if (given !== undefined) throw new CliError(`${flag} is for a mlruns/ folder; a database is polled and needs no ${flag === '--catalog-dir' ? 'catalog' : 'file watches'}`, EXIT.USAGE);
  }
  if (!fs.existsSync(file)) throw new CliError(`database '${file}' does not exist`, EXIT.NOT_FOUND);
  const reconcileMs = opts.reconcile ? parsePositiveInt(opts.reconcile, '--reconcile') * 1000 : undefined;
  const w = watchDatabase(ctx.trackingUri, { ...(reconcileMs !== undefined ? { reconcileMs } : {}), log: (m) => process.stderr.write(m + '\n') });
  w.on('change', (e) => {
    process.stdout.write((opts.json ? eventToJson(e) : describeEvent(e)) + '\n');
  });
  await w.ready;
  process.stderr.write(`mlruns watch: watching the database ${w.file} (${w.stats().runs} runs) by polling its data version\n`);
  await closeOnSignal(w);
}

/** Waits for SIGINT or SIGTERM, then closes the watcher. */
function closeOnSignal(w: { close(): Promise<void> }): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void w.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

interface WatchCliOptions {
  json?: boolean;
  poll?: boolean;
  reconcile?: string;
  maxWatches?: string;
  catalogDir?: string;
}

/**
 * The `watch` command module.
 *
 * @example
 * ```ts
 * const program = new Command('mlruns');
 * watchCommand.register(program);
 * ```
 */
export const watchCommand: CommandModule = {
  name: 'watch',
  register(program: Command): void {
    program
      .command('watch')
      .description('Keep the catalog current and print change events as they happen (long-running)')
      .argument('[root]', 'the tracking root, a mlruns/ folder or sqlite:///path/mlflow.db (same as --root)')
      .option('--json', 'one JSON object per line (NDJSON)')
      .option('--poll', 'poll instead of using OS file events (a database is always polled)')
      .option('--reconcile <seconds>', 'period of the background sweep over every run while all are watched (default 30; a database: longest delay of its full comparison, default 2)')
      .option('--max-watches <n>', 'most OS file watches spent on run folders, 4 per run (default: min(50000, half of fs.inotify.max_user_watches))')
      .option('--catalog-dir <dir>', 'folder of the catalogs (default: $MLRUNS_CATALOG_DIR, else the user cache folder)')
      .addHelpText('after', '\nExamples:\n  $ mlruns watch ./mlruns\n  $ mlruns --root ./mlruns watch --json | jq .type')
      .action(async (rootArg: string | undefined, opts: WatchCliOptions, cmd: Command) => {
        // A long-lived process at 100k runs: let the catalog collect its garbage (library code never sets V8 flags).
        await enableGarbageCollection();
        const ctx = new Ctx(cmd);
        ctx.useRootArgument(rootArg);
        if (ctx.isDatabase) {
          await watchDatabaseCli(ctx, opts);
          return;
        }
        const root = ctx.folderRoot('watch');
        let st: fs.Stats | undefined;
        try {
          st = fs.statSync(root);
        } catch {
          st = undefined;
        }
        if (!st) throw new CliError(`tracking root '${root}' does not exist (use --root DIR or set MLFLOW_TRACKING_URI)`, EXIT.NOT_FOUND);
        if (!st.isDirectory()) throw new CliError(`tracking root '${root}' is not a directory`, EXIT.USAGE);
        const reconcileMs = opts.reconcile ? parsePositiveInt(opts.reconcile, '--reconcile') * 1000 : 30_000;
        const w = watch(root, {
          reconcileMs,
          ...(opts.poll ? { usePolling: true } : {}),
          ...(opts.maxWatches !== undefined ? { maxWatches: parsePositiveInt(opts.maxWatches, '--max-watches') } : {}),
          ...(opts.catalogDir ? { dir: opts.catalogDir } : {}),
          log: (m) => process.stderr.write(m + '\n'),
        });
        w.on('change', (e) => {
          process.stdout.write((opts.json ? eventToJson(e) : describeEvent(e)) + '\n');
        });
        w.on('error', (err) => {
          process.stderr.write(`mlruns watch: ${err.message}\n`);
        });
        await w.ready;
        const ws = w.stats();
        const how =
          w.mode === 'native'
            ? `every run by OS events`
            : w.mode === 'partial'
              ? `${ws.watchedRuns} of ${ws.runs} runs by OS events, the rest by a background sweep`
              : 'by polling';
        process.stderr.write(`mlruns watch: watching ${w.root} (catalog ${w.catalog.file}): ${how}\n`);
        await closeOnSignal(w);
      });
  },
};
