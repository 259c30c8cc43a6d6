import type { Command } from 'commander';
import type { Run } from '../../entities.js';
import { CliError, Ctx } from '../context.js';
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

function rowsOf(runs: Run[], pick: (r: Run) => Record<string, string | number>): CompareRow[] {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(pick(r))) keys.add(k);
  return [...keys].sort().map((key) => {
    const values = runs.map((r) => pick(r)[key] ?? null);
    return { key, values, differs: !sameValues(values) };
  });
}

export const compareCommand: CommandModule = {
  name: 'compare',
  register(program: Command): void {
    program
      .command('compare')
      .description('Compare runs side by side: params and latest metrics, differences highlighted')
      .argument('<runs...>', 'two or more run ids (or unique prefixes)')
      .option('--json', 'print JSON (see docs/cli.md)')
      .option('--format <format>', 'table, json, csv or markdown', 'table')
      .option('--diff', 'only rows whose values differ')
      .addHelpText('after', '\nExamples:\n  $ mlruns compare 3f2a 9b1c\n  $ mlruns compare 3f2a 9b1c 77de --format markdown --diff')
      .action(async (args: string[], opts: { json?: boolean; format?: string; diff?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const format = parseFormat(opts.format, opts.json);
        if (args.length < 2) throw new CliError('compare needs at least two runs');
        const client = ctx.client('read');
        const runs: Run[] = [];
        for (const a of args) runs.push(await client.getRun(await ctx.runId(a, client)));
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
