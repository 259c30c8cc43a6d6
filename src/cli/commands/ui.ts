/**
 * `mlruns ui`: the local web UI (see docs/ui.md). Prints one line with the URL to open (it carries
 * the access token); long-running, stops on SIGINT/SIGTERM (exit 0).
 *
 * @example
 * ```ts
 * import { uiCommand } from './ui.js';
 * uiCommand.register(program); // mlruns ui [ROOT] [--host H] [--port N] [--read-only]
 * ```
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, Ctx, EXIT } from '../context.js';
import { trackingUriToPath, uriScheme } from '../../store/uri.js';
import { sqliteUriToPath } from '../../store/sqlite/db.js';
import type { CommandModule } from './module.js';

interface UiCliOptions {
  host?: string;
  port?: string;
  readOnly?: boolean;
  catalogDir?: string;
}

/**
 * The `ui` command module.
 *
 * @example
 * ```ts
 * uiCommand.register(new Command('mlruns'));
 * ```
 */
export const uiCommand: CommandModule = {
  name: 'ui',
  register(program: Command): void {
    program
      .command('ui')
      .description('Serve the web UI on this machine: experiments, runs, charts, compare, registry (live)')
      .argument('[root]', 'tracking root: a mlruns/ folder or sqlite:///path/mlflow.db (default: --root, $MLFLOW_TRACKING_URI, else ./mlruns)')
      .option('--host <host>', 'interface to listen on (default 127.0.0.1; anything else warns)', '127.0.0.1')
      .option('--port <port>', 'port (0 picks a free one)', '5050')
      .option('--read-only', 'refuse every change (rename, delete, tags, aliases, stages)')
      .option('--catalog-dir <dir>', 'folder of the catalogs (default: $MLRUNS_CATALOG_DIR, else the user cache folder)')
      .action(async (rootArg: string | undefined, opts: UiCliOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const onDatabase = rootArg ? uriScheme(rootArg) === 'sqlite' : ctx.isDatabase;
        const dbUri = rootArg ?? ctx.trackingUri;
        const root = onDatabase ? dbUri : rootArg ? trackingUriToPath(rootArg) : ctx.rootPath;
        const onDisk = onDatabase ? sqliteUriToPath(dbUri) : root;
        let st: fs.Stats | undefined;
        try {
          st = fs.statSync(onDisk);
        } catch {
          st = undefined;
        }
        if (!st && onDatabase) throw new CliError(`database '${onDisk}' does not exist (the UI does not create one)`, EXIT.NOT_FOUND);
        if (!st) throw new CliError(`tracking root '${root}' does not exist (pass ROOT, use --root DIR or set MLFLOW_TRACKING_URI)`, EXIT.NOT_FOUND);
        if (!onDatabase && !st.isDirectory()) throw new CliError(`tracking root '${root}' is not a directory`, EXIT.USAGE);
        const port = opts.port === undefined ? 5050 : Number(opts.port);
        if (!/^\d+$/.test(opts.port ?? '5050') || port > 65535) throw new CliError(`invalid --port '${opts.port}': expected 0-65535`);
        let ui;
        try {
          // Loaded when the command runs: the other commands do not pay for the UI server's modules.
          const { startUi } = await import('../../ui/server/index.js');
          ui = await startUi({
            root,
            host: opts.host ?? '127.0.0.1',
            port,
            readOnly: opts.readOnly ?? false,
            ...(opts.catalogDir ? { catalogDir: opts.catalogDir } : {}),
            log: (m) => process.stderr.write(`mlruns ui: ${m}\n`),
          });
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE') throw new CliError(`port ${port} is in use (try --port 0 for a free one)`, EXIT.CONFLICT);
          if (code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on ${opts.host}:${port}: ${(e as Error).message}`, EXIT.USAGE);
          throw e;
        }
        for (const n of ui.notices) process.stderr.write(`mlruns ui: ${n}\n`);
        process.stdout.write(`${ui.url}\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void ui.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      });
  },
};
