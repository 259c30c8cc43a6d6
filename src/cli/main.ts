#!/usr/bin/env node
/**
 * `mlruns`: the command line over MLflow's file store. Every command lives in its own module
 * under `commands/` and is registered here; add a command by adding its module to LOADERS.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Help } from 'commander';
import type { Option } from 'commander';
import { MlflowError } from '../errors.js';
import { CliError, EXIT, exitCodeOf, openedClients } from './context.js';
import { Style, colorEnabled } from './output.js';
import { summarizeWarnings } from './warnings.js';
import type { CommandModule } from './commands/module.js';

/**
 * The command modules, in help order, each loaded on demand: a run of one command (the usual
 * case) loads only that command's module, so `mlruns predict` does not load the UI, the catalog,
 * git or SQLite code first. Help, a version request, an unknown word or an import as a library
 * load them all.
 */
const LOADERS: ReadonlyArray<readonly [string, () => Promise<CommandModule>]> = [
  ['experiments', async () => (await import('./commands/experiments.js')).experimentsCommand],
  ['runs', async () => (await import('./commands/runs.js')).runsCommand],
  ['show', async () => (await import('./commands/show.js')).showCommand],
  ['metrics', async () => (await import('./commands/metrics.js')).metricsCommand],
  ['compare', async () => (await import('./commands/compare.js')).compareCommand],
  ['best', async () => (await import('./commands/best.js')).bestCommand],
  ['report', async () => (await import('./commands/report.js')).reportCommand],
  ['tag', async () => (await import('./commands/tag.js')).tagCommand],
  ['artifacts', async () => (await import('./commands/artifacts.js')).artifactsCommand],
  ['models', async () => (await import('./commands/models.js')).modelsCommand],
  ['gc', async () => (await import('./commands/gc.js')).gcCommand],
  ['run', async () => (await import('./commands/run.js')).runCommand],
  ['watch', async () => (await import('./commands/watch.js')).watchCommand],
  ['ui', async () => (await import('./commands/ui.js')).uiCommand],
  ['catalog', async () => (await import('./commands/catalog.js')).catalogCommand],
  ['doctor', async () => (await import('./commands/doctor.js')).doctorCommand],
  ['git-setup', async () => (await import('./commands/git-setup.js')).gitSetupCommand],
  ['serve', async () => (await import('./commands/serve.js')).serveCommand],
  ['predict', async () => (await import('./commands/predict.js')).predictCommand],
  ['push', async () => (await import('./commands/push.js')).pushCommand],
  ['pull', async () => (await import('./commands/push.js')).pullCommand],
  ['migrate', async () => (await import('./commands/migrate.js')).migrateCommand],
];

/** The command word of argv (after the global options), or null when there is none before another option. */
export function commandWord(argv: readonly string[]): string | null {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--root') {
      i++;
      continue;
    }
    if (a.startsWith('--root=') || a === '--no-color' || a === '--debug') continue;
    if (a.startsWith('-')) return null;
    return a;
  }
  return null;
}

async function loadCommands(only: string | null): Promise<CommandModule[]> {
  const one = LOADERS.filter(([name]) => name === only);
  return Promise.all((one.length === 1 ? one : LOADERS).map(([, load]) => load()));
}

/** The command modules registered by {@link buildProgram}, in help order (all of them unless this file runs as the CLI for one command). */
export const COMMANDS: CommandModule[] = await loadCommands(isEntry() ? commandWord(process.argv) : null);

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Builds the program (exported for tests and for embedding). */
export function buildProgram(): Command {
  const program = new Command('mlruns');
  program
    .description("Read and write MLflow's file store (mlruns/) from the command line.")
    .version(packageVersion(), '-V, --version')
    .option('--root <uri>', 'tracking root: a path, file: URI or tracking server URL http(s)://host:port (default: $MLFLOW_TRACKING_URI, else ./mlruns)')
    .option('--no-color', 'never colour the output (NO_COLOR does the same)')
    .option('--debug', 'print stack traces and store warnings')
    .configureHelp({
      // An empty list is no default worth showing (repeatable options start from []).
      optionDescription(this: Help, option: Option): string {
        return Help.prototype.optionDescription.call(this, option).replace(/\s*\(default: \[\]\)$/, '');
      },
    })
    .showSuggestionAfterError(true)
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(formatCommanderError(str)),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ mlruns experiments
  $ mlruns runs --experiment sweep --filter "metrics.acc > 0.9" --order-by "metrics.acc DESC"
  $ mlruns show 3f2a
  $ mlruns --root ./other/mlruns best --experiment sweep --metric acc --maximize --id
  $ mlruns run --experiment sweep -- python train.py --lr 0.1

Exit codes: 0 ok, 1 usage, 2 not found, 3 conflict, 4 damaged data or I/O, 5 internal;
\`mlruns run\` exits with the child's status (128+N when killed by signal N).`,
    );
  for (const mod of COMMANDS) mod.register(program);
  return program;
}

/** "error: unknown command 'x'\n(Did you mean y?)" → "mlruns: error: unknown command 'x' (did you mean y?)". */
export function formatCommanderError(str: string): string {
  const oneLine = str
    .trim()
    .replace(/^error:\s*/i, '')
    .replace(/\s*\n\s*\(Did you mean (.*)\)\s*$/s, ' (did you mean $1)')
    .replace(/\s*\n\s*/g, ' ');
  return `mlruns: error: ${oneLine}\n`;
}

function reportError(err: unknown, debug: boolean, noColor: boolean): number {
  const style = new Style(colorEnabled(process.stderr, !noColor));
  const head = style.apply(['bold', 'red'], 'mlruns: error:');
  let code: number = EXIT.INTERNAL;
  let message: string;
  let caret: string | undefined;
  if (err instanceof CliError) {
    code = err.exitCode;
    message = err.message;
    if (err.source) caret = drawCaret(err.source.label, err.source.text, err.source.position);
  } else if (err instanceof MlflowError) {
    code = exitCodeOf(err.code);
    message = err.message;
  } else if (err instanceof Error) {
    message = `${err.name}: ${err.message}`;
  } else {
    message = String(err);
  }
  process.stderr.write(`${head} ${humanize(message).replace(/\s*\n\s*/g, ' ')}\n`);
  if (caret) process.stderr.write(caret);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return code;
}

/**
 * Error text for a person: the Python set literals MLflow's messages carry
 * (`'{'artifact_uri', 'end_time'}'`) become plain lists (`artifact_uri, end_time`).
 */
export function humanize(message: string): string {
  return message.replace(/'?\{((?:'[^'{}]*'(?:, )?)+)\}'?/g, (_m, items: string) =>
    [...items.matchAll(/'([^']*)'/g)].map((m) => m[1]).join(', '),
  );
}

/** The text and a caret under `position` (0-based, in code units). */
export function drawCaret(label: string, text: string, position: number): string {
  const pos = Math.max(0, Math.min(position, text.length));
  const prefix = `  ${label}: `;
  const shown = text.replace(/[\r\n\t]/g, ' ');
  return `${prefix}${shown}\n${' '.repeat(prefix.length + Array.from(text.slice(0, pos)).length)}^\n`;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    if (!debug) {
      process.stderr.write(summarizeWarnings(openedClients.flatMap((c) => [...c.warnings])));
    }
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.OK;
      if (err.code === 'commander.help') return EXIT.USAGE;
      // The message was already printed by outputError.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    return reportError(err, debug, argv.includes('--no-color'));
  }
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

function isEntry(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) process.exitCode = await main();
