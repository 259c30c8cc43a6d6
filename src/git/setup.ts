/**
 * `git-setup`: the `.gitattributes` and `.gitignore` lines that make an `mlruns/` folder safe to
 * commit, clone and merge (explained line by line in docs/git.md):
 *
 * - metric files merge by union (two branches that appended to one metric keep both lines) and
 *   stay LF;
 * - `meta.yaml` files stay LF on every OS (`text eol=lf`);
 * - param and tag values are stored as exact bytes (`-text`: no line-ending conversion);
 * - artifacts are never converted or union-merged, and files over a size go to Git LFS (or are
 *   ignored) — listed one by one, since git attributes cannot match by size;
 * - the quarantine of `mlruns doctor --fix`, the catalog cache and temp files are never committed.
 *
 * The lines live in a block between markers; running it again replaces the block (idempotent)
 * and never touches other lines, nor repeats a line the file already has outside the block.
 *
 * @example
 * ```ts
 * const plan = gitSetup('./mlruns', { lfsThreshold: 10 * 1024 * 1024 });
 * for (const f of plan.files) console.log(f.path, f.changed ? 'updated' : 'unchanged');
 * ```
 * @module
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { walkTree, writeFileAtomic } from '../store/file/fs.js';
import { QUARANTINE_FOLDER } from './doctor.js';

/**
 * First line of the managed block.
 *
 * @example
 * ```ts
 * fs.readFileSync('.gitignore', 'utf8').includes(BLOCK_BEGIN); // true after `mlruns git-setup`
 * ```
 */
export const BLOCK_BEGIN = '# >>> mlruns git-setup >>> (managed by `mlruns git-setup`; edit outside this block)';
/**
 * Last line of the managed block.
 *
 * @example
 * ```ts
 * text.slice(text.indexOf(BLOCK_BEGIN), text.indexOf(BLOCK_END)); // the managed lines
 * ```
 */
export const BLOCK_END = '# <<< mlruns git-setup <<<';

/**
 * Names of the catalog cache (the derived index). It lives outside the root; these patterns keep
 * it out of git wherever it is put.
 *
 * @example
 * ```ts
 * ignoreLines('mlruns').includes(CATALOG_CACHE_PATTERNS[0]!); // true
 * ```
 */
export const CATALOG_CACHE_PATTERNS: readonly string[] = ['.mlruns-catalog/', '*.mlruns-catalog', '*.mlruns-catalog-*'];

/**
 * Options of {@link gitSetup}.
 *
 * @example
 * ```ts
 * const options: GitSetupOptions = { lfsThreshold: parseSize('10MB') };
 * ```
 */
export interface GitSetupOptions {
  /** Artifact files at least this big (bytes) go to Git LFS. */
  lfsThreshold?: number;
  /** Artifact files at least this big (bytes) are ignored instead (default size: 10 MB). */
  ignoreLarge?: boolean | number;
  /** Folder whose `.gitattributes`/`.gitignore` are written (default: the git work tree holding the root, else the root's parent). */
  dir?: string;
  /** Only compute the files (default false). */
  dryRun?: boolean;
  /**
   * Install the `post-checkout` and `post-merge` git hooks that recreate the run folders git
   * drops, and recreate them now (default true; needs a git work tree).
   */
  hooks?: boolean;
}

/**
 * One file written by {@link gitSetup}.
 *
 * @example
 * ```ts
 * const f: SetupFile = { path: '/p/.gitattributes', content: '...', changed: true, lines: ['mlruns/**\/metrics/** text eol=lf merge=union'] };
 * ```
 */
export interface SetupFile {
  path: string;
  /** The whole new content. */
  content: string;
  /** False when the file already had exactly this content (nothing written). */
  changed: boolean;
  /** The lines of the managed block. */
  lines: string[];
}

/**
 * What {@link gitSetup} wrote (or would write).
 *
 * @example
 * ```ts
 * const r: GitSetupResult = gitSetup(root, { dryRun: true });
 * r.largeFiles; // artifact files over the threshold
 * ```
 */
export interface GitSetupResult {
  /** The folder the files are in. */
  dir: string;
  /** The root's POSIX path relative to `dir` (e.g. `mlruns`). */
  prefix: string;
  attributes: SetupFile;
  ignore: SetupFile;
  /** Artifact files at or over the size limit, relative to `dir` (POSIX). */
  largeFiles: string[];
  files: SetupFile[];
  /** The git hooks written (empty without a git work tree or with `hooks: false`). */
  hooks: SetupFile[];
  /** Run folders missing now recreated (or that would be, with `dryRun`). */
  repaired: string[];
}

/** The folders MLflow needs in every run folder; git drops them when empty. */
const RUN_FOLDERS = ['metrics', 'params', 'artifacts'] as const;

/**
 * The run folders (`<exp>/<run>/` and `.trash/<exp>/<run>/`) missing a `metrics/`, `params/` or
 * `artifacts/` folder, with the missing folders' paths.
 *
 * @example
 * ```ts
 * missingRunFolders('./mlruns'); // ['/p/mlruns/0/ab…/params']
 * ```
 */
export function missingRunFolders(root: string): string[] {
  const out: string[] = [];
  const subdirs = (d: string): string[] => {
    try {
      return fs
        .readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(d, e.name));
    } catch {
      return [];
    }
  };
  const r = path.resolve(root);
  for (const exp of [...subdirs(r), ...subdirs(path.join(r, '.trash'))]) {
    if (path.basename(exp) === '.trash') continue;
    for (const run of subdirs(exp)) {
      const missing = RUN_FOLDERS.map((f) => path.join(run, f)).filter((p) => !fs.existsSync(p));
      if (missing.length === 0) continue;
      let meta = '';
      try {
        meta = fs.readFileSync(path.join(run, 'meta.yaml'), 'utf8');
      } catch {
        continue;
      }
      if (/^(run_uuid|run_id):/m.test(meta)) out.push(...missing);
    }
  }
  return out;
}

/**
 * The shell lines of the hooks: recreate the folders git dropped in the runs of the root at
 * `prefix` (relative to the work tree). Only stats run folders; reads a meta.yaml only when a
 * folder is missing.
 *
 * @example
 * ```ts
 * hookLines('mlruns').join('\n'); // '... for d in "mlruns"/*\/*\/ "mlruns"/.trash/*\/*\/; do ...'
 * ```
 */
export function hookLines(prefix: string): string[] {
  const q = `'${prefix.replace(/'/g, `'\\''`)}'`;
  return [
    '# Git keeps no empty folder: recreate the metrics/, params/ and artifacts/ folders MLflow needs',
    '# in every run folder (else MLflow reports the run as not found).',
    `(cd "$(git rev-parse --show-toplevel)" 2>/dev/null && [ -d ${q} ] && for d in ${q}/*/*/ ${q}/.trash/*/*/; do`,
    '  [ -f "$d/meta.yaml" ] || continue',
    '  [ -d "$d/metrics" ] && [ -d "$d/params" ] && [ -d "$d/artifacts" ] && continue',
    `  grep -Eq '^(run_uuid|run_id):' "$d/meta.yaml" && mkdir -p "$d/metrics" "$d/params" "$d/artifacts"`,
    'done) || true',
  ];
}

/** The hooks folder of the repository at `top` (core.hooksPath and worktrees respected). */
function hooksDir(top: string): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--git-path', 'hooks'], { cwd: top, encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim() !== '') return path.resolve(top, r.stdout.trim());
  const dotGit = path.join(top, '.git');
  return fs.existsSync(dotGit) && fs.statSync(dotGit).isDirectory() ? path.join(dotGit, 'hooks') : undefined;
}

/**
 * Parses a size such as `10MB`, `512k`, `1.5 GiB` or `1048576` into bytes (K/M/G are powers of 1024).
 *
 * @example
 * ```ts
 * parseSize('10MB'); // 10485760
 * ```
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text);
  if (!m) throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid size '${text}': expected a number with an optional unit (e.g. 10MB)`);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : unit === 't' ? 1024 ** 4 : 1;
  return Math.round(Number(m[1]) * mult);
}

/**
 * The git work tree that holds `p` (the nearest folder with a `.git` entry), or undefined.
 *
 * @example
 * ```ts
 * findGitTop('/p/mlruns'); // '/p' when /p/.git exists
 * ```
 */
export function findGitTop(p: string): string | undefined {
  let dir = path.resolve(p);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * A path as a gitignore or gitattributes pattern: glob characters escaped; a space is `\ ` in
 * .gitignore, and `?` in .gitattributes (whose lines are split at whitespace before matching).
 */
function gitPattern(rel: string, kind: 'ignore' | 'attributes' = 'ignore'): string {
  const escaped = rel
    .split(path.sep)
    .join('/')
    .replace(/([\\*?[\]!#])/g, '\\$1');
  return escaped.replace(/[ \t]/g, kind === 'ignore' ? '\\ ' : '?');
}

/**
 * Artifact files (run and logged-model artifacts) at or over `minBytes`, as paths relative to
 * the root (POSIX). Symlinks are not followed.
 *
 * @example
 * ```ts
 * findLargeArtifacts('./mlruns', 10 * 1024 * 1024); // ['0/ab…/artifacts/model/model.pkl']
 * ```
 */
export function findLargeArtifacts(root: string, minBytes: number): string[] {
  const out: string[] = [];
  walkTree(path.resolve(root), (abs, rel, e) => {
    if (!e.isFile()) return;
    // In a run's or logged model's artifacts: <exp>/<run>/artifacts (depth 2) or
    // <exp>/models/<m>/artifacts (depth 3), also under .trash.
    const parts = rel.split('/');
    if (parts.slice(2, -1).indexOf('artifacts') < 0) return;
    try {
      if (fs.statSync(abs).size >= minBytes) out.push(rel);
    } catch {
      /* gone */
    }
  }, { tolerant: true });
  return out.sort();
}

/**
 * The attribute lines for a root at `prefix` (its POSIX path relative to the folder of the
 * .gitattributes, e.g. `mlruns`); `lfsFiles` are paths relative to the root.
 *
 * @example
 * ```ts
 * attributeLines('mlruns')[0]; // 'mlruns/**\/metrics/** text eol=lf merge=union'
 * ```
 */
export function attributeLines(prefix: string, lfsFiles: readonly string[] = []): string[] {
  const p = prefix === '' ? '' : `${gitPattern(prefix, 'attributes')}/`;
  const lines = [
    `${p}**/metrics/** text eol=lf merge=union`,
    `${p}**/meta.yaml text eol=lf`,
    `${p}**/*.yaml text eol=lf`,
    `${p}**/params/** -text`,
    `${p}**/tags/** -text`,
    `${p}**/aliases/** -text`,
    `${p}**/artifacts/** -text !eol !merge`,
  ];
  for (const f of lfsFiles) lines.push(`${p}${gitPattern(f, 'attributes')} filter=lfs diff=lfs merge=lfs -text`);
  return lines;
}

/**
 * The ignore lines for a root at `prefix` (as in {@link attributeLines}); `ignored` are paths
 * relative to the root.
 *
 * @example
 * ```ts
 * ignoreLines('mlruns')[0]; // '.mlruns-quarantine/'
 * ```
 */
export function ignoreLines(prefix: string, ignored: readonly string[] = []): string[] {
  const p = prefix === '' ? '' : `${gitPattern(prefix, 'ignore')}/`;
  const lines = [
    `${QUARANTINE_FOLDER}/`,
    ...CATALOG_CACHE_PATTERNS,
    `${p}**/.*.tmp`,
    `${p}**/.DS_Store`,
    `${p}**/.ipynb_checkpoints/`,
  ];
  for (const f of ignored) lines.push(`${p}${gitPattern(f, 'ignore')}`);
  return lines;
}

/**
 * Replaces (or appends) the managed block of a file's text; lines the file already has outside
 * the block are not repeated inside it.
 *
 * @example
 * ```ts
 * mergeBlock('node_modules/\n', ['.mlruns-quarantine/']);
 * // 'node_modules/\n\n# >>> mlruns git-setup >>> ...\n.mlruns-quarantine/\n# <<< mlruns git-setup <<<\n'
 * ```
 */
export function mergeBlock(existing: string, lines: readonly string[]): { text: string; lines: string[] } {
  const eol = existing.includes('\r\n') ? '\r\n' : '\n';
  const all = existing === '' ? [] : existing.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const begin = all.indexOf(BLOCK_BEGIN);
  const end = begin === -1 ? -1 : all.indexOf(BLOCK_END, begin);
  const before = begin === -1 ? all : all.slice(0, begin);
  const after = begin === -1 || end === -1 ? [] : all.slice(end + 1);
  const outside = new Set([...before, ...after].map((l) => l.trim()));
  const kept = [...new Set(lines)].filter((l) => !outside.has(l.trim()));
  const block = kept.length === 0 ? [] : [BLOCK_BEGIN, ...kept, BLOCK_END];
  let head = before;
  if (begin === -1 && head.length > 0 && block.length > 0 && head[head.length - 1] !== '') head = [...head, ''];
  const out = [...head, ...block, ...after];
  return { text: out.length === 0 ? '' : out.join(eol) + eol, lines: kept };
}

/**
 * Writes (idempotently) the `.gitattributes` and `.gitignore` lines that suit an mlruns folder.
 * See the module comment and docs/git.md.
 *
 * @example
 * ```ts
 * gitSetup('./mlruns');                                  // attributes + ignores
 * gitSetup('./mlruns', { lfsThreshold: parseSize('10MB') }); // + big artifacts to LFS
 * gitSetup('./mlruns', { ignoreLarge: true });           // + big artifacts ignored
 * ```
 */
export function gitSetup(root: string, options: GitSetupOptions = {}): GitSetupResult {
  const r = path.resolve(root);
  if (options.lfsThreshold !== undefined && options.ignoreLarge) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', 'Choose either an LFS threshold or ignoring large files, not both');
  }
  const dir = path.resolve(options.dir ?? findGitTop(r) ?? path.dirname(r));
  const relRoot = path.relative(dir, r);
  if (relRoot.startsWith('..') || path.isAbsolute(relRoot)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `The root '${r}' is not inside '${dir}'`);
  }
  const prefix = relRoot.split(path.sep).join('/');
  const threshold =
    options.lfsThreshold !== undefined
      ? options.lfsThreshold
      : options.ignoreLarge
        ? typeof options.ignoreLarge === 'number'
          ? options.ignoreLarge
          : 10 * 1024 * 1024
        : undefined;
  const largeFiles = threshold === undefined ? [] : findLargeArtifacts(r, threshold);
  const rootRelLarge = largeFiles;
  const attrs = attributeLines(prefix, options.lfsThreshold !== undefined ? rootRelLarge : []);
  const ignores = ignoreLines(prefix, options.ignoreLarge ? rootRelLarge : []);
  const make = (name: string, lines: string[]): SetupFile => {
    const p = path.join(dir, name);
    let current = '';
    try {
      current = fs.readFileSync(p, 'utf8');
    } catch {
      current = '';
    }
    const merged = mergeBlock(current, lines);
    const changed = merged.text !== current;
    if (changed && !options.dryRun) writeFileAtomic(p, merged.text);
    return { path: p, content: merged.text, changed, lines: merged.lines };
  };
  const attributes = make('.gitattributes', attrs);
  const ignore = make('.gitignore', ignores);
  const hooks: SetupFile[] = [];
  const repaired = missingRunFolders(r);
  if (options.hooks !== false) {
    if (!options.dryRun) for (const p of repaired) fs.mkdirSync(p, { recursive: true });
    const top = findGitTop(r);
    const dirOfHooks = top ? hooksDir(top) : undefined;
    if (top && dirOfHooks) {
      const rootFromTop = path.relative(top, r).split(path.sep).join('/') || '.';
      for (const name of ['post-checkout', 'post-merge']) {
        const p = path.join(dirOfHooks, name);
        let current = '';
        try {
          current = fs.readFileSync(p, 'utf8');
        } catch {
          current = '';
        }
        const base = current === '' ? '#!/bin/sh\n' : current;
        const merged = mergeBlock(base, hookLines(rootFromTop));
        const changed = merged.text !== current;
        if (!options.dryRun) {
          if (changed) {
            fs.mkdirSync(dirOfHooks, { recursive: true });
            writeFileAtomic(p, merged.text);
          }
          fs.chmodSync(p, 0o755);
        }
        hooks.push({ path: p, content: merged.text, changed, lines: merged.lines });
      }
    }
  }
  return {
    hooks,
    repaired,
    dir,
    prefix,
    attributes,
    ignore,
    largeFiles: largeFiles.map((f) => (relRoot === '' ? f : `${relRoot.split(path.sep).join('/')}/${f}`)),
    files: [attributes, ignore],
  };
}
