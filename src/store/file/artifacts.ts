import fs from 'node:fs';
import path from 'node:path';
import { MlflowError, invalidParameter, notFound } from '../../errors.js';
import { dumpYaml } from '../../format/yaml.js';
import { pyJson } from '../../format/json.js';
import type { YamlMap } from '../../format/yaml.js';
import { isLocalUri, localFileUriToPath, uriScheme } from '../uri.js';
import { ioError, mkdirp, writeFileAtomic } from './fs.js';

import type { ArtifactRepository, FileInfo } from '../artifact-repository.js';

export type { FileInfo };

/**
 * Checks an artifact path given by a caller (`artifact_path`, `artifact_file`): relative, POSIX,
 * no `..`, no NUL, no drive letter. Returns it normalized ('' for the root).
 */
export function checkArtifactPath(p: string | null | undefined, what = 'artifact path'): string {
  if (p === null || p === undefined || p === '' || p === '.') return '';
  if (p.includes('\0')) throw invalidParameter(`Invalid ${what} ${JSON.stringify(p)}: contains a NUL byte`);
  if (p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p)) {
    throw invalidParameter(`Invalid ${what} '${p}': it must be a relative path`);
  }
  const norm = path.posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) throw invalidParameter(`Invalid ${what} '${p}': it leaves the artifact root`);
  return norm === '.' ? '' : norm;
}

/**
 * The artifacts of one run (or logged model) in a local folder, as MLflow's
 * `LocalArtifactRepository` handles them.
 *
 * @example
 * ```ts
 * const repo = new LocalArtifactRepository(run.info.artifactUri!);
 * await repo.logText('hello', 'notes/hello.txt');
 * await repo.listArtifacts('notes'); // [{ path: 'notes/hello.txt', isDir: false, fileSize: 5 }]
 * ```
 */
export class LocalArtifactRepository implements ArtifactRepository {
  readonly artifactDir: string;
  readonly artifactUri: string;

  constructor(artifactUri: string, resolvedDir?: string) {
    this.artifactUri = artifactUri;
    if (resolvedDir) {
      this.artifactDir = resolvedDir;
      return;
    }
    if (!isLocalUri(artifactUri)) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Artifact URI '${artifactUri}' uses the '${uriScheme(artifactUri)}' scheme; only local artifacts (file: URIs or paths) are supported`,
      );
    }
    this.artifactDir = path.resolve(localFileUriToPath(artifactUri));
  }

  /**
   * Absolute local path of an artifact path, checked to stay inside the artifact folder.
   *
   * @example
   * ```ts
   * const repo = (await store.artifactRepository(runId)) as LocalArtifactRepository;
   * repo.resolve('plots/a.png'); // '/abs/mlruns/1/<run>/artifacts/plots/a.png'
   * ```
   */
  resolve(artifactPath: string | null | undefined): string {
    const rel = checkArtifactPath(artifactPath);
    const abs = rel === '' ? this.artifactDir : path.join(this.artifactDir, ...rel.split('/'));
    const real = realpathInside(this.artifactDir, abs);
    if (!real) throw invalidParameter(`Invalid artifact path '${artifactPath}': it resolves outside the artifact root`);
    return abs;
  }

  /** Copies one local file to `<artifactPath>/<basename>`; a folder is copied whole under its name, as Python does. */
  async logArtifact(localFile: string, artifactPath?: string | null): Promise<void> {
    let isDir = false;
    try {
      isDir = fs.statSync(localFile).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir) {
      const base = path.basename(path.resolve(localFile));
      const rel = checkArtifactPath(artifactPath);
      await this.logArtifacts(localFile, rel === '' ? base : `${rel}/${base}`);
      return;
    }
    const destDir = this.resolve(artifactPath);
    mkdirp(destDir);
    const dest = path.join(destDir, path.basename(localFile));
    try {
      fs.copyFileSync(localFile, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(localFile)) {
        throw notFound(`No such file: '${localFile}'`);
      }
      throw ioError(err, 'copy artifact to', dest);
    }
  }

  /** Copies the contents of a local folder under `artifactPath`. */
  async logArtifacts(localDir: string, artifactPath?: string | null): Promise<void> {
    const destDir = this.resolve(artifactPath);
    let st: fs.Stats;
    try {
      st = fs.statSync(localDir);
    } catch {
      throw notFound(`No such directory: '${localDir}'`);
    }
    if (!st.isDirectory()) throw invalidParameter(`'${localDir}' is not a directory`);
    mkdirp(destDir);
    try {
      fs.cpSync(localDir, destDir, { recursive: true, dereference: true, force: true });
    } catch (err) {
      throw ioError(err, 'copy artifacts to', destDir);
    }
  }

  /** Writes text to `artifactFile` (UTF-8). */
  async logText(text: string, artifactFile: string): Promise<void> {
    const dest = this.resolveFile(artifactFile);
    mkdirp(path.dirname(dest));
    writeFileAtomic(dest, text, { skipIfSame: false });
  }

  /**
   * Writes a dictionary as JSON (indent 2, as Python's `json.dump(indent=2)`), or as YAML when
   * the file ends in `.yml`/`.yaml`.
   */
  async logDict(dictionary: Record<string, unknown>, artifactFile: string): Promise<void> {
    const ext = path.posix.extname(artifactFile);
    const text = ext === '.yml' || ext === '.yaml' ? dumpYaml(dictionary as YamlMap) : pyJson(dictionary, { indent: 2 });
    await this.logText(text, artifactFile);
  }

  /** Entries directly under `artifactPath` (sorted by path), [] when it is not a folder. */
  async listArtifacts(artifactPath?: string | null): Promise<FileInfo[]> {
    const rel = checkArtifactPath(artifactPath);
    const dir = this.resolve(rel);
    let entries: fs.Dirent[];
    try {
      if (!fs.statSync(dir).isDirectory()) return [];
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const infos: FileInfo[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.mlruns-tmp')) continue;
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      const abs = path.join(dir, e.name);
      let st: fs.Stats;
      try {
        st = fs.statSync(abs);
      } catch {
        continue;
      }
      infos.push({ path: p, isDir: st.isDirectory(), fileSize: st.isDirectory() ? null : st.size });
    }
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Local path of an artifact; with `dstPath`, copies it (file or folder) there first and returns
   * the copy's path.
   */
  async downloadArtifacts(artifactPath: string, dstPath?: string | null): Promise<string> {
    const src = this.resolve(artifactPath);
    if (!fs.existsSync(src)) {
      throw notFound(`No such artifact: '${checkArtifactPath(artifactPath)}'`);
    }
    if (!dstPath) return src;
    const dest = path.resolve(dstPath, checkArtifactPath(artifactPath) || path.basename(this.artifactDir));
    mkdirp(path.dirname(dest));
    try {
      fs.cpSync(src, dest, { recursive: true, force: true });
    } catch (err) {
      throw ioError(err, 'copy artifact to', dest);
    }
    return dest;
  }

  async readArtifact(artifactPath: string): Promise<Buffer> {
    const src = this.resolveFile(artifactPath);
    try {
      return fs.readFileSync(src);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`No such artifact: '${checkArtifactPath(artifactPath)}'`);
      throw ioError(err, 'read artifact', src);
    }
  }

  private resolveFile(artifactFile: string): string {
    const rel = checkArtifactPath(artifactFile, 'artifact file');
    if (rel === '') throw invalidParameter(`Invalid artifact file '${artifactFile}': it must name a file`);
    return this.resolve(rel);
  }
}

/** True when `abs` (existing or not) stays inside `root` once symlinks that exist are resolved. */
function realpathInside(root: string, abs: string): boolean {
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
  } catch {
    realRoot = path.resolve(root);
  }
  // Resolve the longest existing prefix of abs.
  let probe = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = fs.realpathSync(probe);
      const full = path.join(real, ...rest.reverse());
      return full === realRoot || full.startsWith(realRoot + path.sep) || !fs.existsSync(root);
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return true;
      rest.push(path.basename(probe));
      probe = parent;
    }
  }
}
