/**
 * `mlruns predict -m MODEL_URI -i INPUT [-o OUTPUT] [-t csv|json|jsonl|parquet]`: batch
 * inference like `mlflow models predict`, streaming the input in chunks through worker threads,
 * with a progress bar on a terminal; the output file appears only when complete (SIGINT leaves
 * none). A bad row stops the run with its row number, or is skipped and reported
 * (`--skip-bad-rows`).
 *
 * @example
 * ```ts
 * predictCommand.register(program); // mlruns predict -m models:/iris@champion -i in.csv -o out.jsonl --keep-column id
 * ```
 */
import type { Command } from 'commander';
import type { PredictFormat } from '../../serve/predict.js';
import { CliError, Ctx, EXIT, collect } from '../context.js';
import { Progress } from '../progress.js';
import type { CommandModule } from './module.js';

interface PredictCliOptions {
  modelUri: string;
  input: string;
  output?: string;
  contentType?: string;
  outputFormat?: string;
  keepColumn?: string[];
  skipBadRows?: boolean;
  workers?: string;
  batchSize?: string;
}

const FORMATS = ['csv', 'json', 'jsonl', 'parquet'];
function format(v: string | undefined, what: string): PredictFormat | undefined {
  if (v === undefined) return undefined;
  if (!FORMATS.includes(v)) throw new CliError(`${what} must be one of ${FORMATS.join(', ')}, got '${v}'`, EXIT.USAGE);
  return v as PredictFormat;
}
function int(v: string | undefined, what: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${what} must be an integer >= ${min}, got '${v}'`, EXIT.USAGE);
  return n;
}

/** The `predict` command. @example predictCommand.register(program) */
export const predictCommand: CommandModule = {
  name: 'predict',
  register(program: Command): void {
    program
      .command('predict')
      .description('Batch inference on a CSV, JSON Lines, Parquet or JSON file, like `mlflow models predict`')
      .requiredOption('-m, --model-uri <uri>', 'runs:/…, models:/name/version, models:/name@alias, models:/m-<id>, or a folder')
      .requiredOption('-i, --input <file>', 'input file')
      .option('-o, --output <file>', 'output file (default: stdout); its extension picks the format')
      .option('-t, --content-type <type>', 'input format: csv, json, jsonl, parquet (default: from the extension)')
      .option('--output-format <type>', 'output format: json (MLflow\'s {"predictions": …}), jsonl, csv, parquet')
      .option('-k, --keep-column <name>', 'copy this input column into the output (repeatable)', collect, [])
      .option('--skip-bad-rows', 'skip rows the model refuses, and report them')
      .option('-w, --workers <n>', 'worker threads predicting (default: one per core but one, at least 1, at most 8; 0 = none)')
      .option('--batch-size <rows>', 'rows per chunk (default 10000)')
      .action(async (opts: PredictCliOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const abort = new AbortController();
        let progress: Progress | null = null;
        let shown = 0;
        let stoppedBy: NodeJS.Signals | null = null;
        const onSignal = (signal: NodeJS.Signals): void => {
          stoppedBy = signal;
          abort.abort();
          process.stderr.write('\nmlruns predict: interrupted; no output written\n');
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const outputFormat = format(opts.outputFormat, '--output-format');
          const inputType = format(opts.contentType, '--content-type');
          const workers = int(opts.workers, '--workers', 0);
          const batchSize = int(opts.batchSize, '--batch-size', 1);
          // Loaded when the command runs (the model runtime's modules).
          const { predictFile } = await import('../../serve/predict.js');
          const r = await predictFile(opts.modelUri, {
            input: opts.input,
            output: opts.output ?? null,
            root: ctx.trackingUri,
            ...(inputType ? { inputType } : {}),
            ...(outputFormat ? { outputType: outputFormat } : {}),
            ...(workers !== undefined ? { workers } : {}),
            ...(batchSize !== undefined ? { batchSize } : {}),
            keepColumns: opts.keepColumn ?? [],
            skipBadRows: opts.skipBadRows === true,
            signal: abort.signal,
            onProgress: (p) => {
              if (p.totalBytes <= 0) return;
              progress ??= new Progress(1000, 'predicting');
              const permille = Math.min(1000, Math.floor((p.bytes / p.totalBytes) * 1000));
              progress.tick(Math.max(0, permille - shown), `${p.rows} rows`);
              shown = Math.max(shown, permille);
            },
          });
          (progress as Progress | null)?.done();
          if (r.bad.length > 0) {
            process.stderr.write(`mlruns predict: skipped ${r.bad.length} bad row(s):\n`);
            for (const b of r.bad.slice(0, 20)) process.stderr.write(`  row ${b.row}: ${b.message.split('\n')[0]}\n`);
            if (r.bad.length > 20) process.stderr.write(`  … and ${r.bad.length - 20} more\n`);
          }
          if (r.output) process.stderr.write(`mlruns predict: ${r.rows} rows → ${r.output}\n`);
        } catch (err) {
          (progress as Progress | null)?.done();
          if (!abort.signal.aborted) throw err;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        // The output is already removed. The signal is raised again with its default action, so the
        // shell sees the process stopped by it (130 for Ctrl-C). process.exit() would not do: it waits
        // for a read still blocked on a pipe or FIFO that may never send more.
        if (stoppedBy) process.kill(process.pid, stoppedBy);
      });
  },
};
