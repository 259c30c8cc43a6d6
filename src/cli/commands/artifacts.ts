import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { FileInfo } from '../../store/file/artifacts.js';
import { walkTree } from '../../store/file/fs.js';
import type { MlflowClient } from '../../tracking/client.js';
import { CliError, Ctx, EXIT } from '../context.js';
import { cell, fmtSize, print, renderTable, toJson } from '../output.js';
import type { Style } from '../output.js';
import { Progress } from '../progress.js';
import type { CommandModule } from './module.js';

/** Every artifact under `root` (files and folders), depth first, sorted; at most `limit` entries. */
export async function listArtifactsRecursive(client: MlflowClient, runId: string, root = '', limit = Infinity): Promise<{ items: FileInfo[]; truncated: boolean }> {
  const items: FileInfo[] = [];
  const walk = async (p: string): Promise<boolean> => {
    for (const info of await client.listArtifacts(runId, p)) {
      if (items.length >= limit) return false;
      items.push(info);
      if (info.isDir && !(await walk(info.path))) return false;
    }
    return true;
  };
  const complete = await walk(root);
  return { items, truncated: !complete };
}

/** Lines of a tree drawing of artifact entries (as from listArtifactsRecursive). */
export function renderTree(items: FileInfo[], root: string, style: Style, indent = ''): string {
  const base = root === '' ? 0 : root.split('/').length;
  const lines: string[] = [];
  items.forEach((info, i) => {
    const depth = info.path.split('/').length - base - 1;
    const name = info.path.split('/').pop() ?? info.path;
    // Last sibling: no later entry at the same depth before a shallower one.
    let last = true;
    for (let j = i + 1; j < items.length; j++) {
      const d = (items[j] as FileInfo).path.split('/').length - base - 1;
      if (d < depth) break;
      if (d === depth) {
        last = false;
        break;
      }
    }
    const guides: string[] = [];
    for (let level = 0; level < depth; level++) {
      // Is there a later sibling of the ancestor at this level?
      let more = false;
      for (let j = i + 1; j < items.length; j++) {
        const d = (items[j] as FileInfo).path.split('/').length - base - 1;
        if (d < level) break;
        if (d === level) {
          more = true;
          break;
        }
      }
      guides.push(more ? '│   ' : '    ');
    }
    const label = info.isDir ? style.bold(style.cyan(cell(name) + '/')) : `${cell(name)}  ${style.dim(fmtSize(info.fileSize))}`;
    lines.push(`${indent}${guides.join('')}${last ? '└── ' : '├── '}${label}`);
  });
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** Copies a file or folder with a progress bar on a TTY; returns the destination. */
function copyWithProgress(src: string, dest: string): void {
  const st = fs.statSync(src);
  if (!st.isDirectory()) {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(src, dest);
    return;
  }
  const files: string[] = [];
  walkTree(src, (_abs, rel) => void files.push(rel.split('/').join(path.sep)), { skip: (name) => name.startsWith('.mlruns-tmp') });
  fs.mkdirSync(dest, { recursive: true });
  const progress = new Progress(files.length, 'copying');
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(path.join(src, f), path.join(dest, f));
    progress.tick(1, f);
  }
  progress.done();
}

export const artifactsCommand: CommandModule = {
  name: 'artifacts',
  register(program: Command): void {
    const group = program
      .command('artifacts')
      .description("List and download a run's artifacts")
      .addHelpText('after', '\nExamples:\n  $ mlruns artifacts ls 3f2a model\n  $ mlruns artifacts get 3f2a model --out ./model');

    group
      .command('ls')
      .alias('list')
      .description('List the artifacts of a run (under PATH)')
      .argument('<run>', 'run id (or a unique prefix)')
      .argument('[path]', 'artifact folder', '')
      .option('-r, --recursive', 'list sub-folders too')
      .option('--json', 'print JSON: { "runId": string, "path": string, "artifacts": [{ "path", "isDir", "fileSize" }] }')
      .addHelpText('after', '\nExamples:\n  $ mlruns artifacts ls 3f2a\n  $ mlruns artifacts ls 3f2a model -r --json')
      .action(async (run: string, p: string, opts: { recursive?: boolean; json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const client = ctx.client('read');
        const runId = await ctx.runId(run, client);
        const local = await client.downloadArtifacts(runId, '').catch(() => undefined);
        if (p !== '') {
          const target = local ? path.join(local, ...p.split('/')) : undefined;
          // Validates the path (relative, inside the root) and tells a file from a folder.
          await client.listArtifacts(runId, p);
          if (!target || !fs.existsSync(target)) throw new CliError(`no artifact '${p}' in run ${runId}`, EXIT.NOT_FOUND);
        }
        const items = opts.recursive ? (await listArtifactsRecursive(client, runId, p)).items : await client.listArtifacts(runId, p);
        if (opts.json) {
          print(toJson({ runId, path: p, artifacts: items }));
          return;
        }
        if (items.length === 0) {
          print(p === '' ? `Run ${runId} has no artifacts\n` : `'${p}' is a file or an empty folder\n`);
          return;
        }
        const s = ctx.style;
        const rows = items.map((i) => [i.isDir ? '' : fmtSize(i.fileSize), i.isDir ? s.bold(s.cyan(cell(i.path, 120) + '/')) : cell(i.path, 120)]);
        print(renderTable(['SIZE', 'PATH'], rows, { style: s, align: ['right', 'left'] }));
      });

    group
      .command('get')
      .alias('download')
      .description('Copy an artifact (file or folder) out of a run')
      .argument('<run>', 'run id (or a unique prefix)')
      .argument('<path>', 'artifact path ("." for all artifacts)')
      .option('-o, --out <dir>', 'destination folder', '.')
      .option('--json', 'print JSON: { "runId": string, "path": string, "localPath": string }')
      .addHelpText('after', '\nExamples:\n  $ mlruns artifacts get 3f2a model/MLmodel\n  $ mlruns artifacts get 3f2a . --out ./all-artifacts')
      .action(async (run: string, p: string, opts: { out: string; json?: boolean }, cmd: Command) => {
        const ctx = new Ctx(cmd);
        const client = ctx.client('read');
        const runId = await ctx.runId(run, client);
        const rel = p === '.' || p === './' ? '' : p;
        let src: string;
        try {
          src = await client.downloadArtifacts(runId, rel);
        } catch (err) {
          if (err instanceof Error && /No such artifact/.test(err.message)) throw new CliError(`no artifact '${p}' in run ${runId}`, EXIT.NOT_FOUND);
          throw err;
        }
        if (!fs.existsSync(src)) throw new CliError(`no artifact '${p}' in run ${runId}`, EXIT.NOT_FOUND);
        const dest = path.resolve(opts.out, rel === '' ? 'artifacts' : path.basename(rel.replace(/\/+$/, '')));
        copyWithProgress(src, dest);
        if (opts.json) print(toJson({ runId, path: rel, localPath: dest }));
        else print(`${dest}\n`);
      });
  },
};
