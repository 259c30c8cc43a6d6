import type { Command } from 'commander';
import type { Experiment } from '../../entities.js';
import { CliError, Ctx, EXIT, collect, parseView, unknownCommand } from '../context.js';
import { cell, fmtTime, print, renderTable, toJson } from '../output.js';
import type { CommandModule } from './module.js';

/** `{ key=value }` pairs of `--tag k=v`. */
export function parsePairs(values: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new CliError(`invalid ${what} '${v}': expected key=value`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

function experimentJson(e: Experiment): Experiment {
  return {
    experimentId: e.experimentId,
    name: e.name,
    artifactLocation: e.artifactLocation,
    lifecycleStage: e.lifecycleStage,
    tags: e.tags,
    creationTime: e.creationTime,
    lastUpdateTime: e.lastUpdateTime,
  };
}

export const experimentsCommand: CommandModule = {
  name: 'experiments',
  register(program: Command): void {
    const group = program
      .command('experiments')
      .alias('exp')
      .description('List, create, rename, delete and restore experiments')
      .addHelpText('after', '\nExamples:\n  $ mlruns experiments\n  $ mlruns experiments create sweep\n  $ mlruns experiments delete sweep');

    group
      .command('list', { isDefault: true })
      .description('List experiments (the default subcommand)')
      .option('--view <view>', 'active, deleted or all', 'active')
      .option('--json', 'print JSON: { "experiments": Experiment[] }')
      .argument('[unexpected...]')
      .usage('[options]')
      .addHelpText('after', '\nExamples:\n  $ mlruns experiments list --view all\n  $ mlruns experiments --json')
      .action(async (unexpected: string[], opts: { view: string; json?: boolean }, cmd: Command) => {
        if (unexpected.length > 0) throw unknownCommand(unexpected[0] as string, ['list', 'create', 'rename', 'delete', 'restore'], 'experiments');
        const ctx = new Ctx(cmd);
        const view = parseView(opts.view);
        const client = ctx.client('read');
        const experiments: Experiment[] = [];
        let token: string | null = null;
        do {
          const page = await client.searchExperiments({ viewType: view, maxResults: 1000, pageToken: token });
          experiments.push(...page.experiments);
          token = page.token;
        } while (token);
        if (opts.json) {
          print(toJson({ experiments: experiments.map(experimentJson) }));
          return;
        }
        if (experiments.length === 0) {
          print(`No ${view === 'ALL' ? '' : view === 'DELETED_ONLY' ? 'deleted ' : 'active '}experiments in ${ctx.location}\n`);
          return;
        }
        const s = ctx.style;
        const rows = experiments.map((e) => [
          e.experimentId,
          s.bold(cell(e.name, 60)),
          e.lifecycleStage === 'deleted' ? s.red(e.lifecycleStage) : e.lifecycleStage,
          fmtTime(e.creationTime),
          cell(e.artifactLocation, 70),
        ]);
        print(renderTable(['ID', 'NAME', 'STAGE', 'CREATED', 'ARTIFACT LOCATION'], rows, { style: s }));
      });

    group
      .command('create')
      .description('Create an experiment and print its id')
      .argument('<name>', 'experiment name')
      .option('--artifact-location <uri>', 'where its runs store artifacts (default: inside the root)')
      .option('--tag <key=value>', 'experiment tag (repeatable)', collect, [])
      .option('--exist-ok', 'an active experiment of that name is fine: print its id (its tags and artifact location stay as they are)')
      .option('--json', 'print JSON: { "experimentId": string, "name": string, "created": boolean }')
      .addHelpText('after', '\nExamples:\n  $ mlruns experiments create sweep --tag team=vision\n  $ EXP=$(mlruns experiments create sweep --exist-ok --json | jq -r .experimentId)')
      .action(async (name: string, opts: { artifactLocation?: string; tag: string[]; existOk?: boolean; json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const tags = parsePairs(opts.tag, '--tag');
        const client = ctx.client('write');
        const existing = opts.existOk ? await client.getExperimentByName(name) : null;
        if (existing && existing.lifecycleStage === 'deleted') {
          throw new CliError(`experiment '${name}' (${existing.experimentId}) exists but is deleted: 'mlruns experiments restore ${existing.experimentId}' brings it back`, EXIT.CONFLICT);
        }
        const id = existing ? existing.experimentId : await client.createExperiment(name, { artifactLocation: opts.artifactLocation ?? null, tags });
        if (opts.json) print(toJson({ experimentId: id, name, created: !existing }));
        else if (existing) print(`Experiment '${name}' exists with id ${id}\n`);
        else print(`Created experiment '${name}' with id ${id}\n`);
      });

    group
      .command('rename')
      .description('Rename an experiment')
      .argument('<experiment>', 'experiment id or name')
      .argument('<new-name>', 'new name')
      .option('--json', 'print JSON: { "experimentId": string, "name": string }')
      .addHelpText('after', '\nExamples:\n  $ mlruns experiments rename sweep sweep-v1')
      .action(async (exp: string, newName: string, opts: { json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const client = ctx.client('read');
        const e = await ctx.experiment(exp, client);
        await client.renameExperiment(e.experimentId, newName);
        if (opts.json) print(toJson({ experimentId: e.experimentId, name: newName }));
        else print(`Renamed experiment ${e.experimentId} from '${e.name}' to '${newName}'\n`);
      });

    for (const [verb, past] of [
      ['delete', 'Deleted'],
      ['restore', 'Restored'],
    ] as const) {
      group
        .command(verb)
        .description(
          verb === 'delete'
            ? 'Delete an experiment (moved to .trash with its runs; `mlruns gc` removes it for good)'
            : 'Restore a deleted experiment',
        )
        .argument('<experiment>', 'experiment id or name')
        .option('--json', 'print JSON: { "experimentId": string, "name": string, "lifecycleStage": string }')
        .addHelpText('after', `\nExamples:\n  $ mlruns experiments ${verb} sweep\n  $ mlruns experiments ${verb} 1234567890`)
        .action(async (exp: string, opts: { json?: boolean }, cmd: Command) => {
          const ctx = new Ctx(cmd);
          const client = ctx.client('read');
          const e = await ctx.experiment(exp, client);
          if (verb === 'delete') {
            if (e.lifecycleStage === 'deleted') throw new CliError(`experiment '${e.name}' (${e.experimentId}) is already deleted`, EXIT.CONFLICT);
            await client.deleteExperiment(e.experimentId);
          } else {
            if (e.lifecycleStage === 'active') throw new CliError(`experiment '${e.name}' (${e.experimentId}) is not deleted`, EXIT.CONFLICT);
            await client.restoreExperiment(e.experimentId);
          }
          const stage = verb === 'delete' ? 'deleted' : 'active';
          if (opts.json) print(toJson({ experimentId: e.experimentId, name: e.name, lifecycleStage: stage }));
          else print(`${past} experiment '${e.name}' (${e.experimentId})\n`);
        });
    }
  },
};
