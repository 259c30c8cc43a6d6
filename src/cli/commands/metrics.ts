import type { Command } from 'commander';
import type { Metric } from '../../entities.js';
import { renderLineChart } from '../chart.js';
import type { Point } from '../chart.js';
import { CliError, Ctx, EXIT } from '../context.js';
import { fmtNumber, fmtTime, print, renderCsv, renderMarkdown, renderTable, toJson } from '../output.js';
import { parseFormat } from './runs.js';
import type { CommandModule } from './module.js';

interface MetricsOptions {
  json?: boolean;
  format?: string;
  chart?: boolean;
  table: boolean;
  x: string;
  height?: string;
}

/** JSON form of one metric value (dataset/model fields only when set). */
function metricJson(m: Metric): Record<string, unknown> {
  const out: Record<string, unknown> = { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step };
  if (m.datasetName) out['datasetName'] = m.datasetName;
  if (m.datasetDigest) out['datasetDigest'] = m.datasetDigest;
  if (m.modelId) out['modelId'] = m.modelId;
  return out;
}

export const metricsCommand: CommandModule = {
  name: 'metrics',
  register(program: Command): void {
    program
      .command('metrics')
      .description('Show the history of metrics of a run, with a line chart on a terminal')
      .argument('<run>', 'run id (or a unique prefix)')
      .argument('[keys...]', 'metric keys (default: every metric of the run)')
      .option('--json', 'print JSON: { "runId": string, "metrics": { "<key>": [{ "key", "value", "timestamp", "step" }] } }')
      .option('--format <format>', 'table, json, csv or markdown', 'table')
      .option('--chart', 'draw the chart even when stdout is not a terminal')
      .option('--no-chart', 'never draw the chart')
      .option('--no-table', 'only the chart')
      .option('--x <axis>', 'chart x axis: step, timestamp or index', 'step')
      .option('--height <rows>', 'chart height in rows', '12')
      .addHelpText('after', '\nExamples:\n  $ mlruns metrics 3f2a loss\n  $ mlruns metrics 3f2a loss accuracy --chart --no-table\n  $ mlruns metrics 3f2a --json')
      .action(async (arg: string, keys: string[], opts: MetricsOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const format = parseFormat(opts.format, opts.json);
        if (!['step', 'timestamp', 'index'].includes(opts.x)) throw new CliError(`invalid --x '${opts.x}': expected step, timestamp or index`);
        const client = ctx.client('read');
        const runId = await ctx.runId(arg, client);
        const run = await client.getRun(runId);
        const wanted = keys.length > 0 ? keys : Object.keys(run.data.metrics).sort();
        const histories: Record<string, Metric[]> = {};
        for (const key of wanted) {
          const h = await client.getMetricHistory(runId, key);
          if (h.length === 0) {
            const known = Object.keys(run.data.metrics).sort();
            throw new CliError(
              `run ${runId} has no metric '${key}'${known.length ? ` (it has: ${known.join(', ')})` : ' (it has no metrics)'}`,
              EXIT.NOT_FOUND,
            );
          }
          histories[key] = h;
        }
        if (format === 'json') {
          print(toJson({ runId, metrics: Object.fromEntries(Object.entries(histories).map(([k, h]) => [k, h.map(metricJson)])) }));
          return;
        }
        const header = ['key', 'step', 'timestamp', 'value'];
        if (format === 'csv') {
          print(renderCsv(header, Object.values(histories).flatMap((h) => h.map((m) => [m.key, String(m.step), String(m.timestamp), fmtNumber(m.value)]))));
          return;
        }
        if (format === 'markdown') {
          print(
            renderMarkdown(
              header,
              Object.values(histories).flatMap((h) => h.map((m) => [m.key, String(m.step), fmtTime(m.timestamp), fmtNumber(m.value)])),
              ['left', 'right', 'left', 'right'],
            ),
          );
          return;
        }
        if (wanted.length === 0) {
          print(`Run ${runId} has no metrics\n`);
          return;
        }
        const s = ctx.style;
        const chart = opts.chart === undefined ? process.stdout.isTTY === true : opts.chart;
        const height = Number(opts.height) > 0 ? Number(opts.height) : 12;
        const out: string[] = [];
        for (const [key, h] of Object.entries(histories)) {
          if (out.length) out.push('\n');
          out.push(`${s.bold(key)} ${s.dim(`(${h.length} value${h.length === 1 ? '' : 's'})`)}\n`);
          if (opts.table) {
            out.push(
              renderTable(
                ['STEP', 'TIMESTAMP', 'VALUE'],
                h.map((m) => [String(m.step), fmtTime(m.timestamp), fmtNumber(m.value)]),
                { style: s, align: ['right', 'left', 'right'], indent: '  ' },
              ),
            );
          }
          if (chart) {
            const points: Point[] = h.map((m, i) => ({ x: opts.x === 'index' ? i : opts.x === 'timestamp' ? m.timestamp : m.step, y: m.value }));
            if (opts.table) out.push('\n');
            out.push(renderLineChart(points, { width: Math.min(process.stdout.columns || 80, 120), height, style: s, xLabel: opts.x }));
          }
        }
        print(out.join(''));
      });
  },
};
