import { Option } from 'commander';
import type { Command } from 'commander';
import type { Run } from '../../entities.js';
import { CliError, Ctx, EXIT, collect, parseView } from '../context.js';
import { cell, fmtNumber, fmtTime, print, renderTable, toJson } from '../output.js';
import { searchAllRuns } from '../search.js';
import type { CommandModule } from './module.js';

interface BestOptions {
  experiment: string[];
  metric: string;
  maximize?: boolean;
  minimize?: boolean;
  max?: boolean;
  min?: boolean;
  filter?: string;
  view: string;
  id?: boolean;
  json?: boolean;
}

export const bestCommand: CommandModule = {
  name: 'best',
  register(program: Command): void {
    program
      .command('best')
      .description('The run with the highest (--maximize, default) or lowest (--minimize) latest value of a metric')
      .requiredOption('-m, --metric <key>', 'metric key')
      .option('-e, --experiment <id-or-name>', 'experiment id or name (repeatable; default: all experiments)', collect, [])
      .option('--maximize', 'highest value wins (default)')
      .option('--minimize', 'lowest value wins')
      // The old spellings: in `runs`, -n/--max is a count, so `best` says maximize/minimize.
      .addOption(new Option('--max', 'same as --maximize').hideHelp())
      .addOption(new Option('--min', 'same as --minimize').hideHelp())
      .option('-f, --filter <filter>', 'only runs matching this MLflow filter')
      .option('--view <view>', 'active, deleted or all', 'active')
      .option('--id', 'print only the run id')
      .option('--json', 'print JSON: { "run": Run, "metric": string, "value": number, "mode": "max"|"min", "candidates": number }')
      .addHelpText(
        'after',
        '\nExamples:\n  $ mlruns best --experiment sweep --metric val_loss --minimize\n  $ RUN=$(mlruns best -e sweep -m acc --maximize --filter "params.model = \'cnn\'" --id)\n\nRuns without the metric, or whose latest value is NaN, are skipped. Ties go to the run MLflow lists first (newest).',
      )
      .action(async (opts: BestOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const maximize = opts.maximize || opts.max;
        const minimize = opts.minimize || opts.min;
        if (maximize && minimize) throw new CliError('--maximize and --minimize are exclusive');
        const mode: 'max' | 'min' = minimize ? 'min' : 'max';
        const view = parseView(opts.view);
        const client = ctx.client('read');
        const ids = await ctx.experimentIds(opts.experiment, view, client);
        const { runs } = await searchAllRuns(client, ids, { filter: opts.filter, view, max: Infinity });
        let best: Run | undefined;
        let bestValue = NaN;
        let candidates = 0;
        for (const r of runs) {
          const v = r.data.metrics[opts.metric];
          if (v === undefined || Number.isNaN(v)) continue;
          candidates++;
          if (best === undefined || (mode === 'max' ? v > bestValue : v < bestValue)) {
            best = r;
            bestValue = v;
          }
        }
        if (!best) {
          const where = opts.experiment.length ? `experiment${opts.experiment.length > 1 ? 's' : ''} ${opts.experiment.map((e) => `'${e}'`).join(', ')}` : 'any experiment';
          throw new CliError(`no ${view === 'ACTIVE_ONLY' ? 'active ' : ''}run${opts.filter ? ' matching the filter' : ''} in ${where} has metric '${opts.metric}'`, EXIT.NOT_FOUND);
        }
        if (opts.id) {
          print(`${best.info.runId}\n`);
          return;
        }
        if (opts.json) {
          print(toJson({ run: best, metric: opts.metric, value: bestValue, mode, candidates }));
          return;
        }
        const s = ctx.style;
        const rows: [string, string][] = [
          ['run', s.cyan(best.info.runId)],
          ['name', cell(best.info.runName ?? '')],
          ['experiment', best.info.experimentId],
          [opts.metric, s.bold(s.green(fmtNumber(bestValue)))],
          ['status', s.status(best.info.status)],
          ['start', fmtTime(best.info.startTime)],
        ];
        for (const [k, v] of Object.entries(best.data.params).sort(([a], [b]) => (a < b ? -1 : 1))) rows.push([`params.${k}`, cell(v, 80)]);
        print(`${s.bold(`Best of ${candidates} run${candidates === 1 ? '' : 's'}`)} ${s.dim(`(${mode === 'max' ? 'highest' : 'lowest'} ${opts.metric})`)}\n`);
        print(renderTable(['', ''], rows, { header: false, indent: '  ' }));
      });
  },
};
