/**
 * `mlruns migrate --from SRC --to DST`: moves a whole store between a mlruns folder and a sqlite:
 * database (either way) or between two databases (src/sync/migrate.ts).
 */
import type { Command } from 'commander';
import type { MigrateSummary } from '../../sync/migrate.js';
import { Ctx, EXIT } from '../context.js';
import { print, toJson } from '../output.js';
import { Progress } from '../progress.js';
import type { CommandModule } from './module.js';

interface MigrateCliOptions {
  from: string;
  to: string;
  copyArtifacts?: boolean;
  artifactRoot?: string;
  json?: boolean;
}

function report(ctx: Ctx, s: MigrateSummary, json: boolean): void {
  if (json) {
    print(toJson(s));
    return;
  }
  const st = ctx.style;
  const width = Math.max(10, ...Object.keys(s.migrated).map((k) => k.length), ...Object.keys(s.skipped).map((k) => k.length));
  const lines = [
    `migrate ${s.direction}: ${s.from} -> ${s.to}${s.resumed ? ' (continued an interrupted migration)' : ''}`,
    '  migrated:',
    ...Object.entries(s.migrated).map(([k, n]) => `    ${k.padEnd(width)} ${st.green(String(n))}`),
  ];
  if (Object.keys(s.skipped).length > 0) lines.push('  skipped:', ...Object.entries(s.skipped).map(([k, n]) => `    ${k.padEnd(width)} ${st.yellow(String(n))}`));
  if (s.artifactFiles > 0) lines.push(`  artifact files copied: ${s.artifactFiles}`);
  const shown = s.warnings.slice(0, 20);
  for (const w of shown) lines.push(`  warning: ${w}`);
  if (s.warnings.length > shown.length) lines.push(`  ... and ${s.warnings.length - shown.length} more warnings (--json lists them all)`);
  print(lines.join('\n') + '\n');
}

export const migrateCommand: CommandModule = {
  name: 'migrate',
  register(program: Command): void {
    program
      .command('migrate')
      .description('Move a whole store between a mlruns folder and a sqlite: database (either way, or database to database); atomic and resumable')
      .requiredOption('--from <store>', 'the source: a mlruns folder (path or file: URI) or sqlite:///path/to/mlflow.db')
      .requiredOption('--to <store>', 'the target: a new (or empty) folder, or sqlite:///path of a database that does not exist yet')
      .option('--copy-artifacts', 'copy artifacts into the target and point artifact locations there (default: they stay where they are)')
      .option('--artifact-root <dir>', 'with --copy-artifacts and a database target: where artifacts go (default <database folder>/mlartifacts)')
      .option('--json', 'print JSON: { direction, from, to, resumed, migrated: {kind: n}, skipped: {kind: n}, warnings: [...], artifactFiles }')
      .addHelpText(
        'after',
        `
Everything the store knows moves: experiments and runs (deleted ones too), params, tags, metric
histories with steps and timestamps, datasets and inputs, logged models, the model registry with
aliases. A folder becomes the database 'mlflow migrate-filestore' makes of it. The target is built
next to the destination and moved into place at the end: a failure leaves no target; run the same
command again after an interruption (even SIGKILL) and it continues where it stopped.
Exit codes: 0 ok, 1 bad arguments, 2 source not found, 3 target exists, 4 damaged data or I/O error.

Examples:
  $ mlruns migrate --from ./mlruns --to sqlite:///mlflow.db
  $ mlruns migrate --from sqlite:///mlflow.db --to ./mlruns-copy --copy-artifacts
  $ mlruns migrate --from sqlite:///mlflow.db --to sqlite:///backup.db --json`,
      )
      .action(async (opts: MigrateCliOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const bars = new Map<string, { bar: Progress; last: number }>();
        const { migrate } = await import('../../sync/migrate.js'); // loaded when the command runs
        const summary = await migrate({
          from: opts.from,
          to: opts.to,
          copyArtifacts: opts.copyArtifacts === true,
          ...(opts.artifactRoot ? { artifactRoot: opts.artifactRoot } : {}),
          onProgress: ({ phase, done, total, item }) => {
            let rec = bars.get(phase);
            if (!rec) {
              rec = { bar: new Progress(total, `migrate ${phase}`), last: 0 };
              bars.set(phase, rec);
            }
            rec.bar.tick(done - rec.last, item);
            rec.last = done;
            if (done >= total) rec.bar.done();
          },
        });
        for (const b of bars.values()) b.bar.done();
        report(ctx, summary, opts.json === true);
        process.exitCode = EXIT.OK;
      });
  },
};
