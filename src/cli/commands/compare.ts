import type { Command } from 'commander';
import type { Run } from '../../entities.js';
import { CliError, Ctx, EXIT, collect, parsePositiveInt } from '../context.js';
import type { MlflowClient } from '../../tracking/client.js';
import { checkSearchSyntax, searchAllRuns } from '../search.js';
import { cell, fmtDuration, fmtNumber, print, renderCsv, renderMarkdown, renderTable, toJson } from '../output.js';
import type { Align } from '../output.js';
import { parseFormat } from './runs.js';
import type { CommandModule } from './module.js';

export interface CompareRow {
  key: string;
  values: Array<string | number | null>;
  differs: boolean;
}

function sameValues(values: Array<string | number | null>): boolean {
  const first = values[0];
  return values.every((v) => (typeof v === 'number' && typeof first === 'number' && Number.isNaN(v) && Number.isNaN(first)) || v === first);
}

export function rowsOf(runs: Run[], pick: (r: Run) => Record<string, string | number>): CompareRow[] {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(pick(r))) keys.add(k);
  return [...keys].sort().map((key) => {
    const values = runs.map((r) => pick(r)[key] ?? null);
    return { key, values, differs: !sameValues(values) };
  });
}

interface CompareOptions {
  json?: boolean;
  format?: string;
  diff?: boolean;
  experiment: string[];
  filter?: string;
  metric?: string;
  minimize?: boolean;
  orderBy: string[];
  top?: string;
}

/** The runs named, then those --experiment/--filter/--metric/--top select (at least two in all). */
export async function selectRuns(ctx: Ctx, client: MlflowClient, args: string[], opts: CompareOptions): Promise<Run[]> {
  const byExperiment = opts.experiment.length > 0;
  if (!byExperiment && (opts.filter || opts.metric || opts.top || opts.orderBy.length > 0)) {
    throw new CliError('--filter, --metric, --order-by and --top select runs of --experiment: give -e EXPERIMENT');
  }
  const runs: Run[] = [];
  const seen = new Set<string>();
  for (const a of args) {
    const r = await client.getRun(await ctx.runId(a, client));
    if (!seen.has(r.info.runId)) runs.push(r);
    seen.add(r.info.runId);
  }
  if (byExperiment) {
    const ids = await ctx.experimentIds(opts.experiment, 'ACTIVE_ONLY', client);
    const top = opts.top ? parsePositiveInt(opts.top, '--top') : 10;
    const orderBy = [...(opts.metric ? [`metrics.\`${opts.metric}\` ${opts.minimize ? 'ASC' : 'DESC'}`] : []), ...opts.orderBy];
    checkSearchSyntax(opts.filter, opts.orderBy);
    // Runs without the metric sort last in MLflow's order; they are left out when ranking by it.
    const filter = opts.metric ? [opts.filter, `metrics.\`${opts.metric}\` >= -1e308`].filter(Boolean).join(' and ') : opts.filter;
    const found = await searchAllRuns(client, ids, { filter, orderBy, view: 'ACTIVE_ONLY', max: top });
    for (const r of found.runs) {
      if (!seen.has(r.info.runId)) runs.push(r);
      seen.add(r.info.runId);
    }
  }
  if (runs.length < 2) {
    throw new CliError(
      byExperiment ? `compare needs at least two runs; ${runs.length === 0 ? 'no run' : 'only one run'} matched` : 'compare needs at least two runs',
      byExperiment ? EXIT.NOT_FOUND : EXIT.USAGE,
    );
  }
  return runs;
}

export const compareCommand: CommandModule = {
  name: 'compare',
  register(program: Command): void {
    program
      .command('compare')
      .description('Compare runs side by side: params and latest metrics, differences highlighted')
      .argument('[runs...]', 'two or more run ids (or unique prefixes); or select them with --experiment')
      .option('-e, --experiment <id-or-name>', 'compare runs of this experiment (repeatable), with --filter, --metric and --top', collect, [])
      .option('-f, --filter <filter>', 'with --experiment: only runs matching this MLflow filter')
      .option('-m, --metric <key>', 'with --experiment: the runs with the highest value of this metric first (--minimize: lowest)')
      .option('--minimize', 'with --metric: lowest values first')
      .option('-o, --order-by <clause>', 'with --experiment: order clause (repeatable), e.g. "attributes.start_time DESC"', collect, [])
      .option('--top <n>', 'with --experiment: the first N runs (default 10)')
      .option('--json', 'print JSON (see docs/cli.md)')
      .option('--format <format>', 'table, json, csv or markdown', 'table')
      .option('--diff', 'only rows whose values differ')
      .addHelpText(
        'after',
        '\nExamples:\n  $ mlruns compare 3f2a 9b1c\n  $ mlruns compare 3f2a 9b1c 77de --format markdown --diff\n  $ mlruns compare -e sweep --filter "params.model = \'cnn\'" --top 10 -m acc --diff',
      )
      .action(async (args: string[], opts: CompareOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const format = parseFormat(opts.format, opts.json);
        const client = ctx.client('read');
        const runs = await selectRuns(ctx, client, args, opts);
        const params = rowsOf(runs, (r) => r.data.params);
        const metrics = rowsOf(runs, (r) => r.data.metrics);
        const keep = (rows: CompareRow[]): CompareRow[] => (opts.diff ? rows.filter((r) => r.differs) : rows);
        if (format === 'json') {
          print(
            toJson({
              runs: runs.map((r) => ({
                runId: r.info.runId,
                runName: r.info.runName,
                experimentId: r.info.experimentId,
                status: r.info.status,
                startTime: r.info.startTime,
                endTime: r.info.endTime,
              })),
              params: keep(params),
              metrics: keep(metrics),
            }),
          );
          return;
        }
        const s = ctx.style;
        const header = ['', ...runs.map((r) => `${r.info.runName ?? ''} ${r.info.runId.slice(0, 8)}`.trim())];
        const align: Align[] = ['left', ...runs.map((): Align => 'right')];
        const show = (v: string | number | null): string => (v === null ? '' : typeof v === 'number' ? fmtNumber(v) : v);
        const info = [
          { key: 'status', values: runs.map((r) => r.info.status) },
          {
            key: 'duration',
            values: runs.map((r) => (r.info.startTime !== null && r.info.endTime !== null ? fmtDuration(r.info.endTime - r.info.startTime) : '')),
          },
        ];
        if (format === 'csv') {
          const rows = [
            ...keep(params).map((r) => [`params.${r.key}`, ...r.values.map(show)]),
            ...keep(metrics).map((r) => [`metrics.${r.key}`, ...r.values.map(show)]),
          ];
          print(renderCsv(['key', ...runs.map((r) => r.info.runId)], rows));
          return;
        }
        if (format === 'markdown') {
          const md = (r: CompareRow, prefix: string): string[] => {
            const label = `${prefix}${r.key}`;
            return r.differs ? [`**${label}**`, ...r.values.map((v) => (v === null ? '' : `**${show(v)}**`))] : [label, ...r.values.map(show)];
          };
          const rows = [...info.map((r) => [r.key, ...r.values]), ...keep(params).map((r) => md(r, 'params.')), ...keep(metrics).map((r) => md(r, 'metrics.'))];
          print(renderMarkdown(['', ...runs.map((r) => `${r.info.runName ?? ''} \`${r.info.runId.slice(0, 8)}\``.trim())], rows, align));
          return;
        }
        const rows: string[][] = [];
        for (const r of info) rows.push([s.dim(r.key), ...r.values.map((v, i) => (i >= 0 && r.key === 'status' ? s.status(v) : v))]);
        const section = (title: string, list: CompareRow[]): void => {
          rows.push([s.bold(title), ...runs.map(() => '')]);
          if (list.length === 0) rows.push([s.dim('  (none)'), ...runs.map(() => '')]);
          for (const r of list) {
            const mark = r.differs ? (s.enabled ? s.yellow('≠ ') : '* ') : '  ';
            const label = `${mark}${cell(r.key, 50)}`;
            rows.push([r.differs ? s.bold(label) : label, ...r.values.map((v) => (v === null ? s.dim('-') : r.differs ? s.yellow(cell(show(v), 40)) : cell(show(v), 40)))]);
          }
        };
        section('params', keep(params));
        section('metrics', keep(metrics));
        print(renderTable(header, rows, { style: s, align }));
        const nDiff = params.filter((r) => r.differs).length + metrics.filter((r) => r.differs).length;
        print(`${s.dim(`${nDiff} of ${params.length + metrics.length} values differ${s.enabled ? '' : ' (marked *)'}`)}\n`);
      });
  },
};
