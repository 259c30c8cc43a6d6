import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { Experiment, Metric, Run } from '../../entities.js';
import { CliError, Ctx, EXIT, collect, collectCsv, parsePositiveInt } from '../context.js';
import { fmtDuration, fmtNumber, fmtTime } from '../output.js';
import { searchAllRuns } from '../search.js';
import { escapeXml, lineChartSvg } from '../svg-chart.js';
import { rowsOf } from './compare.js';
import type { CompareRow } from './compare.js';
import { runLabel } from './metrics.js';
import type { CommandModule } from './module.js';

interface ReportOptions {
  experiment: string[];
  filter?: string;
  orderBy: string[];
  top?: string;
  metric: string[];
  output: string;
  title?: string;
  x: string;
}

const CSS = `
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #666; font-size: 13px; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; white-space: nowrap; }
th { background: #f4f4f4; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.differs td { background: #fff7e0; } tr.differs td:first-child { font-weight: bold; }
.scroll { overflow-x: auto; max-width: 100%; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; } .charts svg { border: 1px solid #eee; }
code { font-size: 12px; }
`;

/** One self-contained HTML page (inline CSS and SVG, no script, nothing fetched). */
export function renderReport(input: {
  title: string;
  root: string;
  experiments: Experiment[];
  runs: Run[];
  histories: Record<string, Record<string, Metric[]>>;
  filter?: string | undefined;
  x: string;
  generatedAt: Date;
}): string {
  const { runs } = input;
  const e = escapeXml;
  const params = rowsOf(runs, (r) => r.data.params);
  const metrics = rowsOf(runs, (r) => r.data.metrics);
  const diffParams = params.filter((p) => p.differs);
  const metricKeys = metrics.map((m) => m.key);
  const out: string[] = [];
  out.push(`<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${e(input.title)}</title>\n<style>${CSS}</style>\n</head>\n<body>`);
  out.push(`<h1>${e(input.title)}</h1>`);
  out.push(
    `<p class="meta">Experiment${input.experiments.length > 1 ? 's' : ''} ${input.experiments.map((x) => `<b>${e(x.name)}</b> (${e(x.experimentId)})`).join(', ')} · ${runs.length} run${runs.length === 1 ? '' : 's'}${
      input.filter ? ` matching <code>${e(input.filter)}</code>` : ''
    } · root <code>${e(input.root)}</code> · generated ${e(input.generatedAt.toISOString())} by mlruns</p>`,
  );
  // Runs table: attributes, every metric, the params that differ.
  out.push('<h2>Runs</h2>\n<div class="scroll"><table>');
  out.push(
    `<tr><th>run</th><th>name</th><th>status</th><th>start</th><th>duration</th>${metricKeys.map((k) => `<th>${e(k)}</th>`).join('')}${diffParams.map((p) => `<th>params.${e(p.key)}</th>`).join('')}</tr>`,
  );
  for (const r of runs) {
    const i = r.info;
    const dur = i.startTime !== null && i.endTime !== null ? fmtDuration(i.endTime - i.startTime) : '';
    const mcells = metricKeys.map((k) => {
      const v = r.data.metrics[k];
      return `<td class="num">${v === undefined ? '' : e(fmtNumber(v))}</td>`;
    });
    const pcells = diffParams.map((p) => `<td>${e(r.data.params[p.key] ?? '')}</td>`);
    out.push(
      `<tr><td><code>${e(i.runId.slice(0, 8))}</code></td><td>${e(i.runName ?? '')}</td><td>${e(i.status)}</td><td>${e(fmtTime(i.startTime))}</td><td class="num">${e(dur)}</td>${mcells.join('')}${pcells.join('')}</tr>`,
    );
  }
  out.push('</table></div>');
  // Charts: each metric with the runs overlaid.
  const charted = Object.entries(input.histories).filter(([, byRun]) => Object.values(byRun).some((h) => h.length > 1));
  out.push(`<h2>Metrics</h2>`);
  if (charted.length === 0) out.push('<p class="meta">No metric has more than one value per run: nothing to chart.</p>');
  out.push('<div class="charts">');
  for (const [key, byRun] of charted) {
    const series = runs
      .filter((r) => byRun[r.info.runId])
      .map((r) => ({
        label: runLabel(r),
        points: (byRun[r.info.runId] as Metric[]).map((m, idx) => ({ x: input.x === 'index' ? idx : input.x === 'timestamp' ? m.timestamp : m.step, y: m.value })),
      }));
    out.push(lineChartSvg(series, { title: key, xLabel: input.x, width: 560, height: 300 + Math.ceil(series.length / 2) * 18 }).trimEnd());
  }
  out.push('</div>');
  // Compare: params and latest metrics side by side, differing rows marked.
  const section = (title: string, rows: CompareRow[]): void => {
    out.push(`<tr><th colspan="${runs.length + 1}">${e(title)}</th></tr>`);
    for (const row of rows) {
      const cells = row.values.map((v) => `<td class="${typeof v === 'number' ? 'num' : ''}">${v === null ? '' : e(typeof v === 'number' ? fmtNumber(v) : v)}</td>`);
      out.push(`<tr class="${row.differs ? 'differs' : ''}"><td>${e(row.key)}</td>${cells.join('')}</tr>`);
    }
  };
  out.push(`<h2>Compare</h2>\n<p class="meta">Rows whose values differ between the runs are highlighted.</p>\n<div class="scroll"><table>`);
  out.push(`<tr><th></th>${runs.map((r) => `<th>${e(runLabel(r))}</th>`).join('')}</tr>`);
  section('params', params);
  section('metrics', metrics);
  out.push('</table></div>\n</body>\n</html>\n');
  return out.join('\n');
}

/**
 * The `report` command: one self-contained HTML file about the runs of an experiment.
 *
 * @example
 * ```ts
 * reportCommand.register(new Command('mlruns'));
 * ```
 */
export const reportCommand: CommandModule = {
  name: 'report',
  register(program: Command): void {
    program
      .command('report')
      .description('Write one self-contained HTML file (runs table, metric charts with runs overlaid, compare) that opens offline')
      .requiredOption('-e, --experiment <id-or-name>', 'experiment id or name (repeatable)', collect, [])
      .requiredOption('-o, --output <file>', 'the HTML file to write')
      .option('-f, --filter <filter>', 'only runs matching this MLflow filter')
      .option('--order-by <clause>', 'order clause (repeatable), e.g. "metrics.acc DESC"', collect, [])
      .option('--top <n>', 'the first N runs (default 20)')
      .option('-m, --metric <keys>', 'chart only these metrics (comma-separated or repeated; default: all)', collectCsv, [])
      .option('--x <axis>', 'chart x axis: step, timestamp or index', 'step')
      .option('--title <text>', 'title of the page (default: the experiment name)')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns report -e sweep -o report.html
  $ mlruns report -e sweep --filter "params.model = 'cnn'" --order-by "metrics.acc DESC" --top 10 -m loss,acc -o cnn.html`,
      )
      .action(async (opts: ReportOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        if (!['step', 'timestamp', 'index'].includes(opts.x)) throw new CliError(`invalid --x '${opts.x}': expected step, timestamp or index`);
        const client = ctx.client('read');
        const experiments: Experiment[] = [];
        for (const x of opts.experiment) experiments.push(await ctx.experiment(x, client));
        const top = opts.top ? parsePositiveInt(opts.top, '--top') : 20;
        const { runs, truncated } = await searchAllRuns(client, [...new Set(experiments.map((x) => x.experimentId))], {
          filter: opts.filter,
          orderBy: opts.orderBy,
          view: 'ACTIVE_ONLY',
          max: top,
        });
        if (runs.length === 0) throw new CliError(`no run of ${opts.experiment.map((x) => `'${x}'`).join(', ')} matches${opts.filter ? ' the filter' : ''}`, EXIT.NOT_FOUND);
        const allKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.metrics)))].sort();
        const unknown = opts.metric.filter((k) => !allKeys.includes(k));
        if (unknown.length > 0) throw new CliError(`no run has metric ${unknown.map((k) => `'${k}'`).join(', ')} (they have: ${allKeys.join(', ')})`, EXIT.NOT_FOUND);
        const keys = opts.metric.length > 0 ? opts.metric : allKeys;
        const histories: Record<string, Record<string, Metric[]>> = {};
        for (const key of keys) {
          const byRun: Record<string, Metric[]> = {};
          for (const r of runs) {
            if (r.data.metrics[key] === undefined) continue;
            byRun[r.info.runId] = await client.getMetricHistory(r.info.runId, key);
          }
          histories[key] = byRun;
        }
        const html = renderReport({
          title: opts.title ?? `mlruns report: ${experiments.map((x) => x.name).join(', ')}`,
          root: ctx.rootPath,
          experiments,
          runs,
          histories,
          filter: opts.filter,
          x: opts.x,
          generatedAt: new Date(),
        });
        try {
          fs.writeFileSync(opts.output, html);
        } catch (err) {
          throw new CliError(`cannot write '${opts.output}': ${(err as Error).message}`, EXIT.DATA);
        }
        process.stderr.write(`mlruns: wrote ${opts.output} (${runs.length} runs${truncated ? `, the first ${top}: --top N for more` : ''}, ${Object.keys(histories).length} metrics)\n`);
      });
  },
};
