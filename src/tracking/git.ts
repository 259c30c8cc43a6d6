/**
 * Git facts MLflow records on a run (`mlflow.source.git.*`), read straight from the `.git`
 * folder: no `git` binary, no child process.
 *
 * What is read, as GitPython (which MLflow uses) reads it:
 * - the repository: the first folder, walking up from the start path, holding a `.git` folder or
 *   a `.git` file (`gitdir: <path>`, as worktrees and submodules have); a worktree's `commondir`
 *   file leads to the shared refs, `packed-refs` and `config`;
 * - the commit: `HEAD`, followed through symbolic refs (`ref: refs/heads/main`) to a loose ref
 *   file or a `packed-refs` line; a detached HEAD holds the hash itself; an unborn branch (no
 *   commit yet) has none;
 * - the branch: the `refs/heads/` name HEAD points at, none when HEAD is detached;
 * - the remote URL: the `url` of the first `[remote "..."]` section of the repository's config
 *   (GitPython's `repo.remotes[0].url`), with any `user:password@` removed as MLflow removes it.
 *
 * @example
 * ```ts
 * const info = readGitInfo(process.argv[1]!);
 * // { commit: '3f2a…', branch: 'main', repoUrl: 'https://github.com/acme/churn.git', ... }
 * ```
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDirectory as isDir, isFile } from '../store/file/fs.js';

/**
 * Where a repository's files are.
 *
 * @example
 * ```ts
 * const loc: GitRepoLocation | null = findGitRepo('.');
 * ```
 */
export interface GitRepoLocation {
  /** The working tree (the folder holding `.git`). */
  workTree: string;
  /** The git dir of this working tree (`.git`, or what a `.git` file points at). */
  gitDir: string;
  /** The shared git dir (refs, packed-refs, config): `gitDir` itself except in linked worktrees. */
  commonDir: string;
}

/**
 * The git facts of a path; each is null when it cannot be known.
 *
 * @example
 * ```ts
 * const { commit, branch }: GitInfo = readGitInfo('.');
 * ```
 */
export interface GitInfo {
  /** 40 (or 64 for SHA-256 repositories) hex digits of the commit HEAD resolves to. */
  commit: string | null;
  /** Short branch name (`main`, `feature/x`), null for a detached HEAD. */
  branch: string | null;
  /** URL of the first remote, without embedded credentials. */
  repoUrl: string | null;
  /** The repository, null when the path is not inside one. */
  repo: GitRepoLocation | null;
}

const HASH_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const MAX_SYMREF_DEPTH = 10;

function readText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** True when `dir` looks like a git dir (what GitPython's `is_git_dir` checks). */
function isGitDir(dir: string): boolean {
  if (!isDir(dir)) return false;
  const head = path.join(dir, 'HEAD');
  if (!isFile(head)) return false;
  // A linked worktree's git dir has no objects/refs of its own: `commondir` points at them.
  const common = readCommonDir(dir);
  return isDir(path.join(common, 'objects')) && isDir(path.join(common, 'refs'));
}

function readCommonDir(gitDir: string): string {
  const text = readText(path.join(gitDir, 'commondir'));
  if (text === undefined) return gitDir;
  const rel = text.trim();
  if (rel === '') return gitDir;
  return path.resolve(gitDir, rel);
}

/** The git dir a `.git` file (`gitdir: <path>`) points at, relative paths from the file's folder. */
function readGitFile(dotGit: string): string | undefined {
  const text = readText(dotGit);
  if (text === undefined) return undefined;
  const m = /^gitdir:\s*(.*?)\s*$/m.exec(text);
  if (!m || !m[1]) return undefined;
  return path.resolve(path.dirname(dotGit), m[1]);
}

/**
 * Finds the repository holding `startPath` (a file or a folder), walking up to the root.
 * A file path starts from its folder, as MLflow's git helpers do.
 *
 * @example
 * ```ts
 * findGitRepo('/home/taro/churn/train.mjs');
 * // { workTree: '/home/taro/churn', gitDir: '/home/taro/churn/.git', commonDir: '/home/taro/churn/.git' }
 * ```
 */
export function findGitRepo(startPath: string): GitRepoLocation | null {
  let dir = path.resolve(startPath);
  if (isFile(dir)) dir = path.dirname(dir);
  for (;;) {
    const dotGit = path.join(dir, '.git');
    let gitDir: string | undefined;
    if (isDir(dotGit)) gitDir = dotGit;
    else if (isFile(dotGit)) gitDir = readGitFile(dotGit);
    if (gitDir !== undefined && isGitDir(gitDir)) {
      return { workTree: dir, gitDir, commonDir: readCommonDir(gitDir) };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The hash of a ref in `packed-refs` (null when absent). */
function packedRef(commonDir: string, ref: string): string | null {
  const text = readText(path.join(commonDir, 'packed-refs'));
  if (text === undefined) return null;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    if (space < 0) continue;
    if (line.slice(space + 1).trim() === ref) {
      const hash = line.slice(0, space).trim();
      return HASH_RE.test(hash) ? hash : null;
    }
  }
  return null;
}

/** Per-worktree refs live in the worktree's git dir; everything else in the common dir. */
function isPerWorktreeRef(ref: string): boolean {
  return ref === 'HEAD' || ref.startsWith('refs/worktree/') || ref.startsWith('refs/bisect/') || ref.startsWith('refs/rewritten/');
}

/** Content of a ref: `{ hash }`, `{ symref }` or null when it does not exist. */
function readRef(repo: GitRepoLocation, ref: string): { hash?: string; symref?: string } | null {
  if (ref.split('/').some((part) => part === '' || part === '.' || part === '..')) return null;
  const dirs = isPerWorktreeRef(ref) ? [repo.gitDir] : [repo.commonDir, repo.gitDir];
  for (const dir of dirs) {
    const text = readText(path.join(dir, ...ref.split('/')));
    if (text === undefined) continue;
    const content = text.trim();
    if (content.startsWith('ref:')) return { symref: content.slice(4).trim() };
    if (HASH_RE.test(content)) return { hash: content };
    return null;
  }
  const hash = packedRef(repo.commonDir, ref);
  return hash ? { hash } : null;
}

/**
 * What HEAD points at: the ref HEAD names (`refs/heads/main`; null when detached; as GitPython's
 * `head.reference`, one level only) and the commit the whole chain resolves to (null for an
 * unborn branch).
 *
 * @example
 * ```ts
 * resolveHead(findGitRepo('.')!); // { ref: 'refs/heads/main', commit: '3f2a…' }
 * ```
 */
export function resolveHead(repo: GitRepoLocation): { ref: string | null; commit: string | null } {
  let name = 'HEAD';
  let headRef: string | null = null;
  for (let depth = 0; depth < MAX_SYMREF_DEPTH; depth++) {
    const r = readRef(repo, name);
    if (r === null) return { ref: headRef, commit: null };
    if (r.hash !== undefined) return { ref: headRef, commit: r.hash };
    if (r.symref === undefined) return { ref: headRef, commit: null };
    if (depth === 0) headRef = r.symref;
    name = r.symref;
  }
  return { ref: headRef, commit: null };
}

/**
 * Removes `user[:password]@` from a URL with a scheme (`https://tok@host/x` → `https://host/x`),
 * as MLflow's `_strip_credentials_from_url`; scp-like `git@host:org/repo.git` stays as is.
 *
 * @example
 * ```ts
 * stripCredentialsFromUrl('https://taro:ghp_x@github.com/acme/churn.git'); // 'https://github.com/acme/churn.git'
 * stripCredentialsFromUrl('git@github.com:acme/churn.git'); // unchanged
 * ```
 */
export function stripCredentialsFromUrl(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(url);
  if (!m) return url;
  const [, scheme, netloc, rest] = m as unknown as [string, string, string, string];
  const at = netloc.lastIndexOf('@');
  if (at < 0) return url;
  return `${scheme}://${netloc.slice(at + 1)}${rest}`;
}

/** Unquotes a git config value (`"a b" ; comment` → `a b`), as git's config parser does. */
function configValue(raw: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw[++i] as string;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'b' ? '\b' : n;
      continue;
    }
    if (c === '"') {
      quoted = !quoted;
      continue;
    }
    if (!quoted && (c === ';' || c === '#')) break;
    out += c;
  }
  return out.trim();
}

/**
 * The remotes of a repository's `config`, in file order, with their last `url` value (what
 * GitPython's `Remote.url` reads). Sections of the same remote are merged.
 *
 * @example
 * ```ts
 * readRemotes(findGitRepo('.')!); // [{ name: 'origin', url: 'git@github.com:acme/churn.git' }]
 * ```
 */
export function readRemotes(repo: GitRepoLocation): Array<{ name: string; url: string | null }> {
  const text = readText(path.join(repo.commonDir, 'config'));
  if (text === undefined) return [];
  const remotes: Array<{ name: string; url: string | null }> = [];
  let current: { name: string; url: string | null } | null = null;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line);
    if (section) {
      const kind = (section[1] as string).toLowerCase();
      if (kind === 'remote' && section[2] !== undefined) {
        const name = section[2].replace(/\\(.)/g, '$1');
        current = remotes.find((r) => r.name === name) ?? null;
        if (!current) {
          current = { name, url: null };
          remotes.push(current);
        }
      } else {
        current = null;
      }
      continue;
    }
    if (!current) continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (kv && (kv[1] as string).toLowerCase() === 'url' && kv[2] !== undefined) current.url = configValue(kv[2]);
  }
  return remotes;
}

/**
 * Commit, branch and remote URL of the repository holding `startPath` (a file or folder), each
 * null when unknown; everything null outside a repository.
 *
 * @example
 * ```ts
 * const { commit, branch, repoUrl } = readGitInfo('./train.mjs');
 * ```
 */
export function readGitInfo(startPath: string): GitInfo {
  const repo = findGitRepo(startPath);
  if (!repo) return { commit: null, branch: null, repoUrl: null, repo: null };
  const head = resolveHead(repo);
  const branch = head.ref !== null && head.ref.startsWith('refs/heads/') ? head.ref.slice('refs/heads/'.length) : null;
  const first = readRemotes(repo)[0];
  const repoUrl = first?.url ? stripCredentialsFromUrl(first.url) : null;
  return { commit: head.commit, branch, repoUrl, repo };
}
