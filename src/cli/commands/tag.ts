import type { Command } from 'commander';
import { CliError, Ctx, EXIT } from '../context.js';
import { print, toJson } from '../output.js';
import { parsePairs } from './experiments.js';
import type { CommandModule } from './module.js';

interface TagOptions {
  experiment?: string;
  json?: boolean;
}

/** The target of `tag set|delete`: a run (first argument) or an experiment (`--experiment`). */
async function target(ctx: Ctx, args: string[], opts: TagOptions): Promise<{ kind: 'run' | 'experiment'; id: string; rest: string[] }> {
  const client = ctx.client('read');
  if (opts.experiment !== undefined) return { kind: 'experiment', id: (await ctx.experiment(opts.experiment, client)).experimentId, rest: args };
  const [run, ...rest] = args;
  if (run === undefined) throw new CliError('give a run (or --experiment EXPERIMENT)');
  return { kind: 'run', id: await ctx.runId(run, client), rest };
}

/**
 * The `tag` command: set and delete tags of runs and experiments.
 *
 * @example
 * ```ts
 * tagCommand.register(new Command('mlruns'));
 * ```
 */
export const tagCommand: CommandModule = {
  name: 'tag',
  register(program: Command): void {
    const group = program
      .command('tag')
      .description('Set and delete tags of a run or of an experiment')
      .addHelpText('after', '\nExamples:\n  $ mlruns tag set 3f2a stage=best reviewed=yes\n  $ mlruns tag delete 3f2a stage\n  $ mlruns tag set --experiment sweep owner=ana');
    group
      .command('set')
      .description('Set tags (KEY=VALUE...) of a run, or of an experiment with --experiment')
      .argument('<run-or-tags...>', 'the run id (or prefix), then KEY=VALUE pairs')
      .option('-e, --experiment <id-or-name>', 'tag this experiment instead of a run')
      .option('--json', 'print JSON: { "run"|"experiment": id, "tags": { key: value } }')
      .addHelpText('after', '\nExamples:\n  $ mlruns tag set 3f2a stage=best\n  $ mlruns tag set -e sweep owner=ana team=vision')
      .action(async (args: string[], opts: TagOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const t = await target(ctx, args, opts);
        if (t.rest.length === 0) throw new CliError('give at least one KEY=VALUE tag');
        const tags = parsePairs(t.rest, 'tag');
        const client = ctx.client('read');
        for (const [k, v] of Object.entries(tags)) {
          if (t.kind === 'run') await client.setTag(t.id, k, v);
          else await client.setExperimentTag(t.id, k, v);
        }
        if (opts.json) print(toJson({ [t.kind]: t.id, tags }));
        else print(`Set ${Object.keys(tags).length} tag${Object.keys(tags).length === 1 ? '' : 's'} on ${t.kind} ${t.id}\n`);
      });
    group
      .command('delete')
      .description('Delete tags (KEY...) of a run, or of an experiment with --experiment')
      .argument('<run-or-keys...>', 'the run id (or prefix), then tag keys')
      .option('-e, --experiment <id-or-name>', 'delete tags of this experiment instead of a run')
      .option('--json', 'print JSON: { "run"|"experiment": id, "deleted": string[] }')
      .addHelpText('after', '\nExamples:\n  $ mlruns tag delete 3f2a stage\n  $ mlruns tag delete -e sweep owner')
      .action(async (args: string[], opts: TagOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const t = await target(ctx, args, opts);
        if (t.rest.length === 0) throw new CliError('give at least one tag key');
        const client = ctx.client('read');
        // Every key must exist before any is deleted.
        const current = t.kind === 'run' ? (await client.getRun(t.id)).data.tags : (await client.getExperiment(t.id)).tags;
        const missing = t.rest.filter((k) => current[k] === undefined);
        if (missing.length > 0) throw new CliError(`${t.kind} ${t.id} has no tag ${missing.map((k) => `'${k}'`).join(', ')}`, EXIT.NOT_FOUND);
        for (const k of t.rest) {
          if (t.kind === 'run') await client.deleteTag(t.id, k);
          else await client.deleteExperimentTag(t.id, k);
        }
        if (opts.json) print(toJson({ [t.kind]: t.id, deleted: t.rest }));
        else print(`Deleted ${t.rest.length} tag${t.rest.length === 1 ? '' : 's'} of ${t.kind} ${t.id}\n`);
      });
  },
};
