import * as fs from 'node:fs';
import type { Command } from 'commander';
import type { Metric, Run } from '../../entities.js';
import { renderLineChart, renderLinesChart } from '../chart.js';
import type { Point } from '../chart.js';
import { CliError, Ctx, EXIT, collect, collectCsv, parsePositiveInt } from '../context.js';
import { fmtNumber, fmtTime, print, renderCsv, renderMarkdown, renderTable, toJson } from '../output.js';
import type { Align } from '../output.js';
import { searchAllRuns } from '../search.js';
import { lineChartSvg, svgToPng } from '../svg-chart.js';
import { parseFormat } from './runs.js';
import type { TableFormat } from './runs.js';
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

/** Several charts stacked in one SVG document. */
export function stackSvgs(svgs: string[]): string {
  if (svgs.length === 1) return svgs[0] as string;
  let y = 0;
  let width = 0;
  const parts: string[] = [];
  for (const svg of svgs) {
    const w = Number(/width="(\d+)"/.exec(svg)?.[1] ?? 720);
    const h = Number(/height="(\d+)"/.exec(svg)?.[1] ?? 360);
    parts.push(svg.replace(/^<svg /, `<svg x="0" y="${y}" `).trimEnd());
    y += h;
    width = Math.max(width, w);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">\n${parts.join('\n')}\n</svg>\n`;
}

interface MultiOptions extends MetricsOptions {
  run: string[];
  experiment: string[];
  filter?: string;
  orderBy: string[];
  top?: string;
  svg?: string;
  png?: string;
}

/** The label of a run in a legend or a column: its name and the start of its id. */
export function runLabel(r: Run): string {
  return `${r.info.runName ?? ''} ${r.info.runId.slice(0, 8)}`.trim();
}

/** Writes the charts of `histories` (key → run → values) to --svg / --png files. */
async function writeChartFiles(
  runs: Run[],
  histories: Record<string, Record<string, Metric[]>>,
  opts: MultiOptions,
): Promise<string[]> {
  if (!opts.svg && !opts.png) return [];
  const xOf = (m: Metric, i: number): number => (opts.x === 'index' ? i : opts.x === 'timestamp' ? m.timestamp : m.step);
  const svgs = Object.entries(histories).map(([key, byRun]) =>
    lineChartSvg(
      runs.filter((r) => byRun[r.info.runId]).map((r) => ({ label: runLabel(r), points: (byRun[r.info.runId] as Metric[]).map((m, i) => ({ x: xOf(m, i), y: m.value })) })),
      { title: runs.length === 1 ? `${key} — ${runLabel(runs[0] as Run)}` : key, xLabel: opts.x, yLabel: key },
    ),
  );
  const svg = stackSvgs(svgs);
  const written: string[] = [];
  try {
    if (opts.svg) {
      fs.writeFileSync(opts.svg, svg);
      written.push(opts.svg);
    }
    if (opts.png) {
      fs.writeFileSync(opts.png, await svgToPng(svg));
      written.push(opts.png);
    }
  } catch (err) {
    throw new CliError(`cannot write the chart: ${(err as Error).message}`, EXIT.DATA);
  }
  return written;
}

export const metricsCommand: CommandModule = {
  name: 'metrics',
  register(program: Command): void {
    program
      .command('metrics')
      .description('Show the history of metrics of a run (or of several runs overlaid), with a line chart on a terminal')
      .argument('[run]', 'run id (or a unique prefix); with --run or --experiment, a metric key like the rest')
      .argument('[keys...]', 'metric keys (default: every metric of the runs)')
      .option('-r, --run <ids>', 'more runs: ids or prefixes, comma-separated or repeated (every key is then drawn for every run)', collectCsv, [])
      .option('-e, --experiment <id-or-name>', 'the runs of this experiment (repeatable), with --filter, --order-by and --top', collect, [])
      .option('-f, --filter <filter>', 'with --experiment: only runs matching this MLflow filter')
      .option('-o, --order-by <clause>', 'with --experiment: order clause, e.g. "metrics.acc DESC" (repeatable)', collect, [])
      .option('--top <n>', 'with --experiment: the first N runs (default 10)')
      .option('--json', 'print JSON (one run: { "runId", "metrics": { "<key>": Metric[] } }; several: { "runs": [...], "metrics": { "<key>": { "<runId>": Metric[] } } })')
      .option('--format <format>', 'table, json, csv or markdown', 'table')
      .option('--chart', 'draw the chart even when stdout is not a terminal')
      .option('--no-chart', 'never draw the chart')
      .option('--no-table', 'only the chart')
      .option('--x <axis>', 'chart x axis: step, timestamp or index', 'step')
      .option('--height <rows>', 'chart height in rows', '12')
      .option('--svg <file>', 'also write the charts (runs overlaid, one chart per key) to an SVG file')
      .option('--png <file>', 'also write the charts to a PNG file')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns metrics 3f2a loss
  $ mlruns metrics 3f2a loss accuracy --chart --no-table
  $ mlruns metrics 3f2a --json
  $ mlruns metrics --run 3f2a,9b1c,77de loss --svg loss.svg
  $ mlruns metrics -e sweep --filter "params.model = 'cnn'" --order-by "metrics.acc DESC" --top 5 loss --png loss.png`,
      )
      .action(async (first: string | undefined, rest: string[], opts: MultiOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const format = parseFormat(opts.format, opts.json);
        if (!['step', 'timestamp', 'index'].includes(opts.x)) throw new CliError(`invalid --x '${opts.x}': expected step, timestamp or index`);
        const client = ctx.client('read');
        const many = opts.run.length > 0 || opts.experiment.length > 0;
        if (!many && first === undefined) throw new CliError('give a run (or --run RUN... or --experiment EXP)');
        if (!many && (opts.filter || opts.orderBy.length > 0 || opts.top)) throw new CliError('--filter, --order-by and --top select runs of --experiment');
        const keys = many ? [...(first !== undefined ? [first] : []), ...rest] : rest;
        const runs: Run[] = [];
        const seen = new Set<string>();
        const add = (r: Run): void => {
          if (!seen.has(r.info.runId)) {
            seen.add(r.info.runId);
            runs.push(r);
          }
        };
        if (!many) add(await client.getRun(await ctx.runId(first as string, client)));
        for (const a of opts.run) add(await client.getRun(await ctx.runId(a, client)));
        if (opts.experiment.length > 0) {
          const ids = await ctx.experimentIds(opts.experiment, 'ACTIVE_ONLY', client);
          const top = opts.top ? parsePositiveInt(opts.top, '--top') : 10;
          const found = await searchAllRuns(client, ids, { filter: opts.filter, orderBy: opts.orderBy, view: 'ACTIVE_ONLY', max: top });
          for (const r of found.runs) add(r);
          if (found.runs.length === 0) throw new CliError(`no run of ${opts.experiment.map((e) => `'${e}'`).join(', ')} matches${opts.filter ? ' the filter' : ''}`, EXIT.NOT_FOUND);
        }
        const allKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.metrics)))].sort();
        const wanted = keys.length > 0 ? keys : allKeys;
        // key -> runId -> history
        const histories: Record<string, Record<string, Metric[]>> = {};
        for (const key of wanted) {
          const byRun: Record<string, Metric[]> = {};
          for (const r of runs) {
            const h = await client.getMetricHistory(r.info.runId, key);
            if (h.length > 0) byRun[r.info.runId] = h;
          }
          if (Object.keys(byRun).length === 0) {
            const has = allKeys.length ? ` (${runs.length === 1 ? 'it has' : 'they have'}: ${allKeys.join(', ')})` : ' (no metrics at all)';
            throw new CliError(
              runs.length === 1 ? `run ${(runs[0] as Run).info.runId} has no metric '${key}'${has}` : `none of the ${runs.length} runs has metric '${key}'${has}`,
              EXIT.NOT_FOUND,
            );
          }
          histories[key] = byRun;
        }
        const written = await writeChartFiles(runs, histories, opts);
        for (const f of written) process.stderr.write(`mlruns: wrote ${f}\n`);
        if (!many) {
          const runId = (runs[0] as Run).info.runId;
          const single: Record<string, Metric[]> = Object.fromEntries(Object.entries(histories).map(([k, byRun]) => [k, byRun[runId] as Metric[]]));
          printSingle(ctx, runId, wanted, single, format, opts);
          return;
        }
        printMany(ctx, runs, histories, format, opts);
      });
  },
};

function printSingle(ctx: Ctx, runId: string, wanted: string[], histories: Record<string, Metric[]>, format: TableFormat, opts: MetricsOptions): void {
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
}

/** One metric across several runs: per key, a table of steps × runs, and the runs overlaid in one chart. */
function printMany(ctx: Ctx, runs: Run[], histories: Record<string, Record<string, Metric[]>>, format: TableFormat, opts: MetricsOptions): void {
  if (format === 'json') {
    print(
      toJson({
        runs: runs.map((r) => ({ runId: r.info.runId, runName: r.info.runName, experimentId: r.info.experimentId })),
        metrics: Object.fromEntries(
          Object.entries(histories).map(([k, byRun]) => [k, Object.fromEntries(Object.entries(byRun).map(([id, h]) => [id, h.map(metricJson)]))]),
        ),
      }),
    );
    return;
  }
  if (format === 'csv' || format === 'markdown') {
    const header = ['key', 'run_id', 'step', 'timestamp', 'value'];
    const rows = Object.values(histories).flatMap((byRun) =>
      Object.entries(byRun).flatMap(([id, h]) => h.map((m) => [m.key, id, String(m.step), format === 'csv' ? String(m.timestamp) : fmtTime(m.timestamp), fmtNumber(m.value)])),
    );
    print(format === 'csv' ? renderCsv(header, rows) : renderMarkdown(header, rows, ['left', 'left', 'right', 'left', 'right']));
    return;
  }
  const s = ctx.style;
  const chart = opts.chart === undefined ? process.stdout.isTTY === true : opts.chart;
  const height = Number(opts.height) > 0 ? Number(opts.height) : 12;
  const out: string[] = [];
  for (const [key, byRun] of Object.entries(histories)) {
    const shown = runs.filter((r) => byRun[r.info.runId]);
    if (out.length) out.push('\n');
    out.push(`${s.bold(key)} ${s.dim(`(${shown.length} run${shown.length === 1 ? '' : 's'})`)}\n`);
    if (opts.table) {
      // Steps × runs: the last value each run logged at that step.
      const steps = [...new Set(shown.flatMap((r) => (byRun[r.info.runId] as Metric[]).map((m) => m.step)))].sort((a, b) => a - b);
      const at = shown.map((r) => {
        const m = new Map<number, number>();
        for (const v of byRun[r.info.runId] as Metric[]) m.set(v.step, v.value);
        return m;
      });
      out.push(
        renderTable(
          ['STEP', ...shown.map(runLabel)],
          steps.map((st) => [String(st), ...at.map((m) => (m.has(st) ? fmtNumber(m.get(st) as number) : s.dim('-')))]),
          { style: s, align: ['right', ...shown.map((): Align => 'right')], indent: '  ' },
        ),
      );
    }
    if (chart) {
      if (opts.table) out.push('\n');
      const series = shown.map((r) => (byRun[r.info.runId] as Metric[]).map((m, i) => ({ x: opts.x === 'index' ? i : opts.x === 'timestamp' ? m.timestamp : m.step, y: m.value })));
      out.push(renderLinesChart(series, { width: Math.min(process.stdout.columns || 80, 120), height, style: s, xLabel: opts.x }));
      out.push(s.dim(`  ${shown.length} runs overlaid (--svg FILE draws each in its own colour)\n`));
    }
  }
  print(out.join(''));
}
