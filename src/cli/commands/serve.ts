/**
 * `mlruns serve MODEL_URI`: MLflow's scoring server (`mlflow models serve`) for onnx and tfjs
 * models, with worker threads, alias following, `/metrics`, a request log line per request on
 * stderr, and a graceful stop on SIGTERM/SIGINT (requests in flight finish).
 *
 * @example
 * ```ts
 * serveCommand.register(program); // mlruns serve models:/iris@champion --port 5001 --workers 2
 * ```
 */
import type { Command } from 'commander';
import { CliError, Ctx, EXIT } from '../context.js';
import type { CommandModule } from './module.js';

interface ServeCliOptions {
  host: string;
  port: string;
  workers?: string;
  bodyLimit?: string;
  inlineBytes?: string;
  timeout?: string;
  follow: boolean;
  quiet?: boolean;
}

function intOption(v: string, what: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${what} must be an integer >= ${min}, got '${v}'`, EXIT.USAGE);
  return n;
}

/** The `serve` command. @example serveCommand.register(program) */
export const serveCommand: CommandModule = {
  name: 'serve',
  register(program: Command): void {
    program
      .command('serve')
      .description("Serve a model with MLflow's scoring protocol (POST /invocations), like `mlflow models serve`")
      .argument('<model-uri>', 'runs:/…, models:/name/version, models:/name@alias, models:/name/stage, models:/m-<id>, or a folder')
      .option('-h, --host <host>', 'address to bind', '127.0.0.1')
      .option('-p, --port <port>', 'port (0 picks a free one)', '5001')
      .option('-w, --workers <n>', 'worker threads, one model session each (default: one per core, at most 8; 0 = none)')
      .option('--body-limit <bytes>', 'largest request body (default 64 MiB)')
      .option('--inline-bytes <bytes>', "bodies up to this size are predicted in the server's thread while the model is quick there (default 16384; 0 = always the workers)")
      .option('-t, --timeout <seconds>', 'request timeout (default $MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT, else 60)')
      .option('--no-follow', 'do not follow an alias/stage URI to new versions')
      .option('-q, --quiet', 'no request log lines')
      .action(async (uri: string, opts: ServeCliOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        // Loaded when the command runs: the other commands do not pay for the model server's modules.
        const { serveModel } = await import('../../serve/index.js');
        const server = await serveModel(uri, {
          root: ctx.trackingUri,
          host: opts.host,
          port: intOption(opts.port, '--port', 0),
          ...(opts.workers !== undefined ? { workers: intOption(opts.workers, '--workers', 0) } : {}),
          ...(opts.bodyLimit !== undefined ? { bodyLimit: intOption(opts.bodyLimit, '--body-limit', 1) } : {}),
          ...(opts.inlineBytes !== undefined ? { inlineBytes: intOption(opts.inlineBytes, '--inline-bytes', 0) } : {}),
          ...(opts.timeout !== undefined ? { timeoutSeconds: intOption(opts.timeout, '--timeout', 1) } : {}),
          followAlias: opts.follow,
          ...(opts.quiet ? {} : { logger: (l) => process.stderr.write(`${new Date().toISOString()} ${l.line}\n`) }),
          onEvent: (e) =>
            process.stderr.write(
              `mlruns serve: ${e.type === 'loading' ? `loading version ${e.version}` : e.type === 'switched' ? `now serving version ${e.version}` : `could not load version ${e.version}: ${e.message}`}\n`,
            ),
        });
        const v = server.version();
        process.stderr.write(`mlruns serve: serving ${uri}${v !== null ? ` (version ${v})` : ''} on ${server.url}\n`);
        process.stdout.write(`${server.url}\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            process.stderr.write('mlruns serve: stopping (requests in flight finish)\n');
            void server.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      });
  },
};
