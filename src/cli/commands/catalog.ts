import * as fs from 'node:fs';
import type { Command } from 'commander';
import { catalogPath, canonicalRoot, deleteCatalog, openCatalog } from '../../catalog/index.js';
import { CliError, Ctx, EXIT } from '../context.js';
import { fmtSize, print, toJson } from '../output.js';
import type { CommandModule } from './module.js';

interface CatalogCliOptions {
  catalogDir?: string;
  json?: boolean;
}

/** The existing root's catalog file (the root must exist). */
function where(ctx: Ctx, opts: CatalogCliOptions): { root: string; file: string } {
  ctx.client('read'); // checks the root exists and is a root
  const root = canonicalRoot(ctx.rootPath);
  return { root, file: catalogPath(root, opts.catalogDir ? { dir: opts.catalogDir } : {}) };
}

function sizeOf(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      total += fs.statSync(f).size;
    } catch {
      /* absent */
    }
  }
  return total;
}

/**
 * The `catalog` command: build, inspect and drop the SQLite catalog that speeds up searches
 * (without keeping `mlruns watch` running).
 *
 * @example
 * ```ts
 * catalogCommand.register(new Command('mlruns'));
 * ```
 */
export const catalogCommand: CommandModule = {
  name: 'catalog',
  register(program: Command): void {
    const group = program
      .command('catalog')
      .description('Build, inspect or drop the catalog (the SQLite index searches use when it exists)')
      .addHelpText('after', '\nExamples:\n  $ mlruns catalog build\n  $ mlruns catalog status --json\n  $ mlruns catalog drop');
    const common = (c: Command): Command =>
      c
        .option('--catalog-dir <dir>', 'folder of the catalogs (default: $MLRUNS_CATALOG_DIR, else the user cache folder)')
        .option('--json', 'print JSON');
    common(
      group
        .command('build')
        .description('Build the catalog, or bring it up to date with the files (searches then use it)')
        .addHelpText('after', '\nExamples:\n  $ mlruns --root ./mlruns catalog build\n  $ mlruns catalog build --json'),
    ).action((opts: CatalogCliOptions, cmd: Command) => {
      const ctx = new Ctx(cmd);
      const { root, file } = where(ctx, opts);
      const started = Date.now();
      const cat = openCatalog(root, { ...(opts.catalogDir ? { dir: opts.catalogDir } : {}) });
      try {
        const r = cat.refresh();
        const out = { root, file, cold: r.cold, runs: cat.runCount(), runsRead: r.runsRead, metricFilesRead: r.metricFilesRead, ms: Date.now() - started };
        if (opts.json) print(toJson(out));
        else {
          print(
            `${r.cold ? 'Built' : 'Updated'} the catalog of ${root}: ${out.runs} runs (${r.runsRead} read, ${r.metricFilesRead} metric files) in ${(out.ms / 1000).toFixed(1)}s\n  ${file}\n`,
          );
        }
      } finally {
        cat.close();
      }
    });
    common(
      group
        .command('status')
        .description('Whether the root has a catalog, where, how big, how many runs, and whether a watcher keeps it current')
        .addHelpText('after', '\nExamples:\n  $ mlruns catalog status\n  $ mlruns catalog status --json'),
    ).action((opts: CatalogCliOptions, cmd: Command) => {
      const ctx = new Ctx(cmd);
      const { root, file } = where(ctx, opts);
      if (!fs.existsSync(file)) {
        if (opts.json) print(toJson({ root, file, exists: false }));
        else print(`No catalog for ${root} (searches scan the files; 'mlruns catalog build' makes one)\n  ${file}\n`);
        return;
      }
      const cat = openCatalog(root, { ...(opts.catalogDir ? { dir: opts.catalogDir } : {}) });
      try {
        const out = { root, file, exists: true, runs: cat.runCount(), bytes: sizeOf(file), watcher: cat.watcherLive() };
        if (opts.json) print(toJson(out));
        else {
          print(
            `Catalog of ${root}: ${out.runs} runs, ${fmtSize(out.bytes)}, ${out.watcher ? 'kept current by a running watcher' : 'no watcher running (searches bring it up to date)'}\n  ${file}\n`,
          );
        }
      } finally {
        cat.close();
      }
    });
    common(
      group
        .command('drop')
        .description('Delete the catalog file (searches scan the files until it is built again)')
        .addHelpText('after', '\nExamples:\n  $ mlruns catalog drop'),
    ).action((opts: CatalogCliOptions, cmd: Command) => {
      const ctx = new Ctx(cmd);
      const { root, file } = where(ctx, opts);
      const existed = fs.existsSync(file);
      if (existed) {
        const cat = openCatalog(root, { ...(opts.catalogDir ? { dir: opts.catalogDir } : {}) });
        const live = cat.watcherLive();
        cat.close();
        if (live) throw new CliError(`a running 'mlruns watch' keeps this catalog: stop it first`, EXIT.CONFLICT);
      }
      deleteCatalog(root, { ...(opts.catalogDir ? { dir: opts.catalogDir } : {}) });
      if (opts.json) print(toJson({ root, file, dropped: existed }));
      else print(existed ? `Dropped the catalog of ${root}\n` : `No catalog for ${root}; nothing to drop\n`);
    });
  },
};
