import type { Command } from 'commander';
import type { Run } from '../../entities.js';
import { CliError, Ctx, EXIT, collect, parsePositiveInt, parseView, unknownCommand } from '../context.js';
import { cell, fmtDuration, fmtNumber, fmtTime, print, renderCsv, renderMarkdown, renderTable, toJson } from '../output.js';
import type { Align } from '../output.js';
import { searchAllRuns } from '../search.js';
import type { CommandModule } from './module.js';

export type ColumnKind = 'attribute' | 'param' | 'metric' | 'tag';

export interface Column {
  kind: ColumnKind;
  key: string;
  header: string;
}

const ATTRIBUTES = [
  'run_id',
  'run_name',
  'experiment_id',
  'status',
  'user_id',
  'start_time',
  'end_time',
  'duration',
  'lifecycle_stage',
  'artifact_uri',
] as const;
type Attribute = (typeof ATTRIBUTES)[number];
const ATTRIBUTE_ALIASES: Record<string, Attribute> = {
  id: 'run_id',
  run_uuid: 'run_id',
  name: 'run_name',
  experiment: 'experiment_id',
  user: 'user_id',
  start: 'start_time',
  end: 'end_time',
  created: 'start_time',
  stage: 'lifecycle_stage',
};

const PREFIXES: Record<string, ColumnKind> = {
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  params: 'param',
  param: 'param',
  parameters: 'param',
  parameter: 'param',
  metrics: 'metric',
  metric: 'metric',
  tags: 'tag',
  tag: 'tag',
};

function unquote(key: string): string {
  const m = /^([`"'])(.*)\1$/s.exec(key);
  return m ? (m[2] as string) : key;
}

function attributeName(key: string): Attribute {
  const k = key.toLowerCase();
  const found = (ATTRIBUTES as readonly string[]).includes(k) ? (k as Attribute) : ATTRIBUTE_ALIASES[k];
  if (!found) throw new CliError(`unknown attribute column '${key}': expected one of ${ATTRIBUTES.join(', ')}`);
  return found;
}

/** Parses `--columns params.lr,metrics.acc,tags.x,attributes.status,run_name`. */
export function parseColumns(values: string[]): Column[] {
  const out: Column[] = [];
  for (const v of values) {
    for (const raw of v.split(',')) {
      const spec = raw.trim();
      if (spec === '') continue;
      const dot = spec.indexOf('.');
      const prefix = dot > 0 ? PREFIXES[spec.slice(0, dot).toLowerCase()] : undefined;
      if (prefix === undefined) {
        const a = attributeName(spec);
        out.push({ kind: 'attribute', key: a, header: a });
        continue;
      }
      const key = unquote(spec.slice(dot + 1));
      if (key === '') throw new CliError(`invalid column '${spec}': no key after '${spec.slice(0, dot + 1)}'`);
      if (prefix === 'attribute') {
        const a = attributeName(key);
        out.push({ kind: 'attribute', key: a, header: a });
      } else {
        out.push({ kind: prefix, key, header: `${prefix}s.${key}` });
      }
    }
  }
  return out;
}

/** Default columns: identity and timing, then every metric and every param found (sorted). */
export function defaultColumns(runs: Run[], multipleExperiments: boolean): Column[] {
  const attrs: Attribute[] = ['run_id', 'run_name', ...(multipleExperiments ? (['experiment_id'] as const) : []), 'status', 'start_time', 'duration'];
  const cols: Column[] = attrs.map((a) => ({ kind: 'attribute', key: a, header: a }));
  const metrics = new Set<string>();
  const params = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(r.data.metrics)) metrics.add(k);
    for (const k of Object.keys(r.data.params)) params.add(k);
  }
  for (const k of [...metrics].sort()) cols.push({ kind: 'metric', key: k, header: `metrics.${k}` });
  for (const k of [...params].sort()) cols.push({ kind: 'param', key: k, header: `params.${k}` });
  return cols;
}

/** A cell value; `raw` for CSV (ms timestamps, full precision), human text otherwise. Missing: null. */
export function columnValue(run: Run, col: Column, raw: boolean): string | null {
  switch (col.kind) {
    case 'param':
      return run.data.params[col.key] ?? null;
    case 'tag':
      return run.data.tags[col.key] ?? null;
    case 'metric': {
      const v = run.data.metrics[col.key];
      return v === undefined ? null : fmtNumber(v);
    }
    case 'attribute': {
      const i = run.info;
      switch (col.key as Attribute) {
        case 'run_id':
          return i.runId;
        case 'run_name':
          return i.runName;
        case 'experiment_id':
          return i.experimentId;
        case 'status':
          return i.status;
        case 'user_id':
          return i.userId;
        case 'start_time':
          return raw ? (i.startTime === null ? null : String(i.startTime)) : fmtTime(i.startTime);
        case 'end_time':
          return raw ? (i.endTime === null ? null : String(i.endTime)) : fmtTime(i.endTime);
        case 'duration': {
          if (i.startTime === null) return null;
          const end = i.endTime ?? (i.status === 'RUNNING' ? Date.now() : null);
          if (end === null) return null;
          return raw ? String(end - i.startTime) : fmtDuration(end - i.startTime) + (i.endTime === null ? '+' : '');
        }
        case 'lifecycle_stage':
          return i.lifecycleStage;
        case 'artifact_uri':
          return i.artifactUri;
      }
    }
  }
  return null;
}

export type TableFormat = 'table' | 'json' | 'csv' | 'markdown';

export function parseFormat(v: string | undefined, json: boolean | undefined): TableFormat {
  if (json) return 'json';
  const f = (v ?? 'table').toLowerCase();
  if (f === 'md') return 'markdown';
  if (f === 'table' || f === 'json' || f === 'csv' || f === 'markdown') return f;
  throw new CliError(`invalid --format '${v}': expected table, json, csv or markdown`);
}

interface RunsOptions {
  experiment: string[];
  filter?: string;
  orderBy: string[];
  max?: string;
  view: string;
  columns: string[];
  format?: string;
  json?: boolean;
  wide?: boolean;
}

/** The terminal width to fit a table into: `COLUMNS`, else the terminal's; undefined in a pipe. */
export function terminalWidth(): number | undefined {
  const env = Number(process.env['COLUMNS']);
  if (Number.isInteger(env) && env > 0) return env;
  return process.stdout.isTTY === true ? process.stdout.columns || 80 : undefined;
}

/**
 * The default columns fitted to `width`: the attributes, then the metrics, then the params whose
 * values differ between the runs, as many as fit; with a note of what was left out.
 */
export function fitColumns(runs: Run[], cols: Column[], width: number | undefined): { cols: Column[]; note: string | null } {
  const params = cols.filter((c) => c.kind === 'param');
  const same = runs.length > 1 ? params.filter((c) => runs.every((r) => r.data.params[c.key] === runs[0]?.data.params[c.key])) : [];
  let kept = cols.filter((c) => !same.includes(c));
  let cut = 0;
  if (width !== undefined) {
    const w = (c: Column): number => Math.max(c.header.length, ...runs.map((r) => Array.from(cell(columnValue(r, c, false) ?? '-', 40)).length));
    let total = 0;
    const fitted: Column[] = [];
    for (const c of kept) {
      const need = w(c) + (fitted.length > 0 ? 2 : 0);
      if (c.kind !== 'attribute' && total + need > width) {
        cut++;
        continue;
      }
      total += need;
      fitted.push(c);
    }
    kept = fitted;
  }
  const parts: string[] = [];
  if (same.length > 0) parts.push(`${same.length} param${same.length === 1 ? '' : 's'} with the same value in every run`);
  if (cut > 0) parts.push(`${cut} column${cut === 1 ? '' : 's'} that do not fit the terminal`);
  return { cols: kept, note: parts.length > 0 ? `mlruns: hidden: ${parts.join(', ')} (--wide shows all, -c picks columns)` : null };
}

export const runsCommand: CommandModule = {
  name: 'runs',
  register(program: Command): void {
    const group = program
      .command('runs')
      .description('Search runs with MLflow\'s filter and order-by syntax (list, the default); delete and restore runs')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns runs --experiment sweep --filter "metrics.acc > 0.9" --order-by "metrics.acc DESC" --max 5
  $ mlruns runs delete 3f2a 9b1c
  $ mlruns runs restore 3f2a

'mlruns runs list --help' lists the search options (they work without 'list' too).`,
      );
    for (const [verb, past] of [
      ['delete', 'Deleted'],
      ['restore', 'Restored'],
    ] as const) {
      group
        .command(verb)
        .description(verb === 'delete' ? 'Mark runs deleted (as MLflow: kept until `mlruns gc`)' : 'Restore deleted runs')
        .argument('<runs...>', 'run ids (or unique prefixes)')
        .option('--json', 'print JSON: { "runs": [{ "runId", "lifecycleStage" }] }')
        .addHelpText(
          'after',
          verb === 'delete'
            ? '\nExamples:\n  $ mlruns runs delete 3f2a\n  $ mlruns runs delete $(mlruns runs -e sweep -f "metrics.acc < 0.85" --format csv -c run_id | tail -n +2)'
            : '\nExamples:\n  $ mlruns runs restore 3f2a\n  $ mlruns runs restore $(mlruns runs -e sweep --view deleted --format csv -c run_id | tail -n +2)',
        )
        .action(async (args: string[], opts: { json?: boolean }, cmd: Command) => {
          const ctx = new Ctx(cmd);
          const client = ctx.client('read');
          // Every run is resolved and checked before any is changed.
          const runs: Run[] = [];
          for (const a of args) runs.push(await client.getRun(await ctx.runId(a, client)));
          for (const r of runs) {
            if (verb === 'delete' && r.info.lifecycleStage === 'deleted') throw new CliError(`run ${r.info.runId} is already deleted`, EXIT.CONFLICT);
            if (verb === 'restore' && r.info.lifecycleStage !== 'deleted') throw new CliError(`run ${r.info.runId} is not deleted`, EXIT.CONFLICT);
          }
          for (const r of runs) {
            if (verb === 'delete') await client.deleteRun(r.info.runId);
            else await client.restoreRun(r.info.runId);
          }
          const stage = verb === 'delete' ? 'deleted' : 'active';
          if (opts.json) print(toJson({ runs: runs.map((r) => ({ runId: r.info.runId, lifecycleStage: stage })) }));
          else for (const r of runs) print(`${past} run ${r.info.runId}${r.info.runName ? ` (${r.info.runName})` : ''}\n`);
        });
    }
    group
      .command('list', { isDefault: true })
      .description('Search runs with MLflow\'s filter and order-by syntax (the default subcommand)')
      .argument('[unexpected...]')
      .usage('[options]')
      .option('-e, --experiment <id-or-name>', 'experiment id or name (repeatable; default: all experiments)', collect, [])
      .option('-f, --filter <filter>', 'MLflow search filter, e.g. "metrics.acc > 0.9 and params.lr = \'0.1\'"')
      .option('-o, --order-by <clause>', 'order clause, e.g. "metrics.acc DESC" (repeatable)', collect, [])
      .option('-n, --max <n>', 'at most this many runs', '1000')
      .option('--view <view>', 'active, deleted or all', 'active')
      .option('-c, --columns <list>', 'comma-separated columns: params.K, metrics.K, tags.K, attributes (run_id, run_name, status, start_time, end_time, duration, user_id, experiment_id, lifecycle_stage, artifact_uri)', collect, [])
      .option('--format <format>', 'table, json, csv or markdown', 'table')
      .option('--json', 'same as --format json: { "runs": Run[], "truncated": boolean }')
      .option('-w, --wide', 'every default column (default on a terminal: fit its width, hiding params that are the same in every run)')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns runs --experiment sweep --filter "metrics.acc > 0.9" --order-by "metrics.acc DESC" --max 5
  $ mlruns runs -e sweep -e baseline --columns run_name,params.lr,metrics.acc --format csv > runs.csv
  $ mlruns runs --view deleted --json`,
      )
      .action(async (unexpected: string[], opts: RunsOptions, cmd: Command) => {
        if (unexpected.length > 0) throw unknownCommand(unexpected[0] as string, ['list', 'delete', 'restore'], 'runs');
        const ctx = new Ctx(cmd);
        const format = parseFormat(opts.format, opts.json);
        const view = parseView(opts.view);
        const max = parsePositiveInt(opts.max ?? '1000', '--max');
        const columns = opts.columns.length > 0 ? parseColumns(opts.columns) : undefined;
        const client = ctx.client('read');
        const ids = await ctx.experimentIds(opts.experiment, view, client);
        const { runs, truncated } = await searchAllRuns(client, ids, { filter: opts.filter, orderBy: opts.orderBy, view, max });
        if (format === 'json') {
          print(toJson({ runs, truncated }));
          return;
        }
        // A note only when the limit was not asked for (the default cut the listing short).
        if (truncated && cmd.getOptionValueSource('max') === 'default') {
          process.stderr.write(`mlruns: showing the first ${max} matching runs; more match (use --max N to see more)\n`);
        }
        let cols = columns ?? defaultColumns(runs, ids.length > 1);
        if (!columns && !opts.wide && format === 'table' && runs.length > 0) {
          const fitted = fitColumns(runs, cols, terminalWidth());
          cols = fitted.cols;
          if (fitted.note) process.stderr.write(`${fitted.note}\n`);
        }
        const header = cols.map((c) => c.header);
        const align: Align[] = cols.map((c) => (c.kind === 'metric' || c.key === 'duration' ? 'right' : 'left'));
        if (format === 'csv') {
          print(renderCsv(header, runs.map((r) => cols.map((c) => columnValue(r, c, true) ?? ''))));
          return;
        }
        if (format === 'markdown') {
          print(renderMarkdown(header, runs.map((r) => cols.map((c) => columnValue(r, c, false) ?? '')), align));
          return;
        }
        if (runs.length === 0) {
          print('No runs found\n');
          return;
        }
        const s = ctx.style;
        const rows = runs.map((r) =>
          cols.map((c) => {
            const v = columnValue(r, c, false);
            if (v === null) return s.dim('-');
            if (c.kind === 'attribute' && c.key === 'status') return s.status(v);
            if (c.kind === 'attribute' && c.key === 'run_id') return s.cyan(v);
            return cell(v, 40);
          }),
        );
        print(renderTable(header, rows, { style: s, align }));
      });
  },
};
