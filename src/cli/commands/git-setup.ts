/**
 * `mlruns git-setup`: writes (idempotently) the `.gitattributes` and `.gitignore` lines that suit
 * an mlruns folder committed to git (see docs/git.md).
 */
import type { Command } from 'commander';
import { gitSetup, parseSize } from '../../git/setup.js';
import { MlflowError } from '../../errors.js';
import { CliError, Ctx, EXIT } from '../context.js';
import { print, toJson } from '../output.js';
import type { CommandModule } from './module.js';

interface GitSetupCliOptions {
  lfsThreshold?: string;
  ignoreLarge?: boolean | string;
  dir?: string;
  dryRun?: boolean;
  json?: boolean;
}

function size(text: string, what: string): number {
  try {
    return parseSize(text);
  } catch (e) {
    if (e instanceof MlflowError) throw new CliError(`invalid ${what} '${text}': expected a size such as 10MB`);
    throw e;
  }
}

/**
 * The `git-setup` command module (register it in the CLI's COMMANDS).
 *
 * @example
 * ```ts
 * gitSetupCommand.register(program); // mlruns git-setup [--lfs-threshold 10MB | --ignore-large]
 * ```
 */
export const gitSetupCommand: CommandModule = {
  name: 'git-setup',
  register(program: Command): void {
    program
      .command('git-setup')
      .description('Write the .gitattributes and .gitignore lines that make the root safe to commit, clone and merge')
      .option('--lfs-threshold <size>', 'send artifact files of at least this size to Git LFS (listed one by one), e.g. 10MB')
      .option('--ignore-large [size]', 'ignore artifact files of at least this size instead (default 10MB)')
      .option('--dir <dir>', 'folder of the .gitattributes/.gitignore to write (default: the git work tree, else the parent of the root)')
      .option('--dry-run', 'print the files without writing them')
      .option('--json', 'print JSON: { "dir", "files": [{ "path", "changed", "lines" }], "largeFiles": string[] }')
      .addHelpText(
        'after',
        `
Examples:
  $ mlruns git-setup
  $ mlruns git-setup --lfs-threshold 10MB   # run again after logging big artifacts
  $ mlruns git-setup --ignore-large 50MB`,
      )
      .action(async (opts: GitSetupCliOptions, cmd: Command) => {
        const ctx = new Ctx(cmd);
        if (opts.lfsThreshold !== undefined && opts.ignoreLarge !== undefined) {
          throw new CliError('choose either --lfs-threshold or --ignore-large, not both', EXIT.USAGE);
        }
        const root = ctx.folderRoot('mlruns git-setup');
        const result = gitSetup(root, {
          ...(opts.lfsThreshold !== undefined ? { lfsThreshold: size(opts.lfsThreshold, '--lfs-threshold') } : {}),
          ...(opts.ignoreLarge !== undefined
            ? { ignoreLarge: typeof opts.ignoreLarge === 'string' ? size(opts.ignoreLarge, '--ignore-large') : true }
            : {}),
          ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
          dryRun: opts.dryRun === true,
        });
        if (opts.json) {
          print(
            toJson({
              dir: result.dir,
              files: result.files.map((f) => ({ path: f.path, changed: f.changed, lines: f.lines })),
              largeFiles: result.largeFiles,
            }),
          );
          return;
        }
        const s = ctx.style;
        for (const f of result.files) {
          const state = f.changed ? (opts.dryRun ? 'would update' : 'updated') : 'unchanged';
          print(`${s.bold(f.path)}: ${state}\n`);
          for (const l of f.lines) print(`  ${l}\n`);
        }
        if (result.largeFiles.length > 0) {
          const how = opts.lfsThreshold !== undefined ? 'tracked with Git LFS (run `git lfs install` once)' : 'ignored';
          print(`${result.largeFiles.length} large artifact file(s) ${how}; run git-setup again after logging new ones.\n`);
        }
      });
  },
};
