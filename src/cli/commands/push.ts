/**
 * `mlruns push --to URL` and `mlruns pull --from URL`: copy experiments, runs, artifacts, logged
 * models and the model registry between the local folder and a tracking server (src/sync).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { MlflowClient } from '../../tracking/client.js';
import { allExperiments } from '../../tracking/stores.js';
import { redactUri } from '../../store/rest/index.js';
import type { SyncSummary } from '../../sync/sync.js';
import { CliError, Ctx, EXIT, collect, parsePositiveInt } from '../context.js';
import { print, toJson } from '../output.js';
import { Progress } from '../progress.js';
import type { CommandModule } from './module.js';

/** The record of what was synced, in the local folder (ignored by MLflow; `mlruns doctor` knows it). */
export const SYNC_RECORD = '.mlruns-sync.json';

interface SyncCliOptions {
  to?: string;
  from?: string;
  experiment: string[];
  dryRun?: boolean;
  prefer?: string;
  concurrency?: string;
  registry?: boolean;
  json?: boolean;
}

/** `--prefer local|server` as the sync's source/destination side. */
function parsePrefer(v: string | undefined, push: boolean): 'source' | 'destination' | null {
  if (v === undefined) return null;
  if (v === 'local') return push ? 'source' : 'destination';
  if (v === 'server') return push ? 'destination' : 'source';
  throw new CliError(`invalid --prefer '${v}': expected local or server`);
}

function report(ctx: Ctx, verb: 'push' | 'pull', s: SyncSummary, dry: boolean, json: boolean): void {
  if (json) {
    print(toJson({ dryRun: dry, created: s.created, updated: s.updated, unchanged: s.unchanged, failed: s.failed, conflicts: s.conflicts, notes: s.notes, points: s.points, files: s.files, runs: s.runs }));
  } else {
    const st = ctx.style;
    const lines = [
      `${dry ? `${verb} (dry run): would create` : `${verb}: created`} ${st.green(String(s.created))}, ${dry ? 'would update' : 'updated'} ${st.yellow(String(s.updated))}, unchanged ${s.unchanged}, failed ${s.failed.length ? st.red(String(s.failed.length)) : '0'}${s.conflicts.length ? `, conflicts ${st.red(String(s.conflicts.length))}` : ''} (${s.points} metric values, ${s.files} artifact files)`,
      ...s.failed.map((f) => `  failed: ${f.item}: ${f.reason}`),
      ...s.conflicts.map((f) => `  conflict: ${f.item}: ${f.reason}`),
      ...s.notes.map((n) => `  note: ${n}`),
    ];
    print(lines.join('\n') + '\n');
  }
  process.exitCode = s.failed.length > 0 ? EXIT.DATA : s.conflicts.length > 0 ? EXIT.CONFLICT : EXIT.OK;
}

function register(program: Command, verb: 'push' | 'pull'): void {
  const push = verb === 'push';
  program
    .command(verb)
    .description(
      push
        ? 'Copy the local folder (experiments, runs, artifacts, logged models, registry) to a tracking server; incremental and resumable'
        : 'Copy a tracking server into the local folder (keeping its run ids); incremental and resumable',
    )
    .requiredOption(push ? '--to <url>' : '--from <url>', 'the tracking server, e.g. http://127.0.0.1:5000 (MLFLOW_TRACKING_TOKEN etc. apply)')
    .option('-e, --experiment <id-or-name>', 'experiment to copy (repeatable; default: all, deleted ones included)', collect, [])
    .option('--dry-run', 'count what would be copied, change nothing')
    .option('--prefer <side>', 'a run changed on both sides since the last sync: local or server wins (default: report it, change nothing)')
    .option('-j, --concurrency <n>', 'runs copied at the same time', '4')
    .option('--no-registry', 'leave registered models out')
    .option('--json', 'print JSON: { created, updated, unchanged, failed: [{item, reason}], conflicts, notes, points, files, runs }')
    .addHelpText(
      'after',
      `
A copied run carries the tag mlruns.sync.sourceRunId (pull keeps the server's run ids instead); the
folder keeps a record of what was synced in <root>/${SYNC_RECORD}. Running it again sends only what
changed; after an interruption (even SIGKILL) it completes without duplicating anything.
Exit codes: 0 ok, 3 conflicts left, 4 some items failed.

Examples:
  $ mlruns push --to http://127.0.0.1:5000
  $ mlruns push --to https://mlflow.example.com -e sweep --dry-run
  $ mlruns --root ./mlruns pull --from http://127.0.0.1:5000 --prefer server`,
    )
    .action(async (opts: SyncCliOptions, cmd: Command) => {
      const ctx = new Ctx(cmd);
      const url = (push ? opts.to : opts.from) as string;
      if (!/^https?:\/\//i.test(url)) throw new CliError(`${push ? '--to' : '--from'} must be a tracking server URL (http:// or https://), got '${redactUri(url)}'`);
      const root = ctx.folderRoot(`mlruns ${verb}`);
      const prefer = parsePrefer(opts.prefer, push);
      const concurrency = parsePositiveInt(opts.concurrency ?? '4', '--concurrency');
      const server = new MlflowClient(url);
      try {
        // Reach the server first: a wrong URL or token fails before anything local is touched.
        await allExperiments(server.store, 'ACTIVE_ONLY');
        const local = push ? ctx.client('read') : ctx.client(opts.dryRun ? 'read' : 'write');
        const localEnd = { tracking: local.store, registry: opts.registry === false ? null : local.registry.store };
        const serverEnd = { tracking: server.store, registry: opts.registry === false ? null : server.registry.store };
        let bar: Progress | undefined;
        const { syncStores } = await import('../../sync/sync.js'); // loaded when the command runs
        const summary = await syncStores(push ? localEnd : serverEnd, push ? serverEnd : localEnd, {
          keepRunIds: !push,
          ...(opts.experiment.length > 0 ? { experiments: opts.experiment } : {}),
          dryRun: opts.dryRun === true,
          concurrency,
          prefer,
          recordPath: fs.existsSync(root) ? path.join(root, SYNC_RECORD) : null,
          onProgress: ({ total, item }) => {
            if (total === 0) return;
            bar ??= new Progress(total, verb);
            bar.tick(1, item);
          },
        });
        bar?.done();
        report(ctx, verb, summary, opts.dryRun === true, opts.json === true);
      } finally {
        server.close();
      }
    });
}

export const pushCommand: CommandModule = {
  name: 'push',
  register: (program) => register(program, 'push'),
};

export const pullCommand: CommandModule = {
  name: 'pull',
  register: (program) => register(program, 'pull'),
};
