import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { MlflowError } from '../../errors.js';

/**
 * File-system primitives of the file store. Reads are synchronous on purpose: a scan of many
 * small files is several times faster without the thread-pool round trip, and the public API
 * stays async. Expected races (a file gone before it is read) are turned into `undefined` here,
 * in one place, instead of at every call.
 */

/** Wraps an fs error into an MlflowError naming the path. */
export function ioError(err: unknown, what: string, p: string): MlflowError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const reason =
    code === 'ENOSPC'
      ? 'no space left on device'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'read-only file system'
          : (err as Error)?.message ?? String(err);
  return new MlflowError('IO_ERROR', `Cannot ${what} '${p}': ${reason}`, { path: p, cause: err });
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** Text of a file decoded as UTF-8, or undefined when it does not exist. */
export function readTextIfExists(p: string, probe = false): string | undefined {
  // With `probe`, a cheap stat first: for files that usually do not exist (a new param), it avoids
  // the cost of an ENOENT exception.
  if (probe && !fs.existsSync(p)) return undefined;
  try {
    return fs.readFileSync(p).toString('utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw ioError(err, 'read', p);
  }
}

export function exists(p: string): boolean {
  return fs.existsSync(p);
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Entries of a folder (names), [] when it does not exist. */
export function listDir(p: string): fs.Dirent[] {
  try {
    return fs.readdirSync(p, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw ioError(err, 'list', p);
  }
}

/** Names of sub-folders (following symlinks to folders, as os.path.isdir does). */
export function listSubdirs(p: string): string[] {
  const out: string[] = [];
  for (const e of listDir(p)) {
    if (e.isDirectory()) out.push(e.name);
    else if (e.isSymbolicLink() && isDirectory(path.join(p, e.name))) out.push(e.name);
  }
  return out;
}

/**
 * The one recursive walk of a folder tree: calls `onFile` for every entry below `dir` that is
 * not a folder (files, and symbolic links of any kind: the caller decides about them; `rel` is
 * the POSIX path relative to `dir`) and `onFolder` for `dir` and each folder below it, before its
 * entries. Symbolic links to folders are not descended into (`os.walk`'s default); a missing
 * `dir` walks nothing. `skip` leaves out entries (and whole folders) by name; `sorted` visits the
 * entries of each folder in name order; `tolerant` skips folders that cannot be listed (by
 * default an error other than a missing folder throws IO_ERROR).
 *
 * @example
 * ```ts
 * walkTree('./mlruns/0/abc/params', (abs, rel) => console.log(rel)); // lr, opt/momentum
 * ```
 */
export function walkTree(
  dir: string,
  onFile: (abs: string, rel: string, entry: fs.Dirent) => void,
  options: { onFolder?: (abs: string, rel: string) => void; skip?: (name: string) => boolean; sorted?: boolean; tolerant?: boolean } = {},
): void {
  const { onFolder, skip, sorted, tolerant } = options;
  const list = (abs: string): fs.Dirent[] => {
    if (!tolerant) return listDir(abs);
    try {
      return fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  const visit = (abs: string, rel: string): void => {
    onFolder?.(abs, rel);
    const entries = list(abs);
    if (sorted) entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (skip?.(e.name)) continue;
      const childAbs = joinName(abs, e.name);
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) visit(childAbs, childRel);
      else onFile(childAbs, childRel, e);
    }
  };
  visit(dir, '');
}

/**
 * `path.join` of a folder and one entry name from its listing: plain concatenation on POSIX
 * (the hot path of a scan: several per file).
 */
export const joinName: (dir: string, name: string) => string =
  path.sep === '/' ? (dir, name) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`) : (dir, name) => path.join(dir, name);

/**
 * Every file below `dir`, as POSIX paths relative to it (what `os.walk` finds), [] if `dir` is missing.
 * Symlinked folders are not followed (os.walk's default); with `within` (a real path), a link to a
 * file outside it is not listed.
 */
export function walkFiles(dir: string, within?: string): string[] {
  const out: string[] = [];
  walkTree(dir, (abs, rel, e) => {
    if (!e.isSymbolicLink()) out.push(rel);
    else if (!isDirectory(abs) && (within === undefined || linkStaysWithin(abs, within))) out.push(rel);
  });
  return out;
}

/** True when the symlink `link` (existing or dangling) resolves inside the real folder `within`. */
export function linkStaysWithin(link: string, within: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(link);
  } catch {
    // Dangling (or a loop): where a write through it would land.
    try {
      real = path.resolve(path.dirname(link), fs.readlinkSync(link));
    } catch {
      return false;
    }
  }
  return real === within || real.startsWith(within + path.sep);
}

export function mkdirp(p: string): void {
  try {
    fs.mkdirSync(p, { recursive: true });
  } catch (err) {
    throw ioError(realMkdirError(p, err), 'create folder', p);
  }
}

/**
 * Node's recursive mkdir reports ENOENT ("no such file or directory") whatever stopped it below an
 * existing folder (a read-only file system, no permission, a full disk): retry the first missing
 * folder alone to get the real reason.
 */
function realMkdirError(p: string, err: unknown): unknown {
  if ((err as NodeJS.ErrnoException)?.code !== 'ENOENT') return err;
  let q = path.resolve(p);
  while (path.dirname(q) !== q && !fs.existsSync(path.dirname(q))) q = path.dirname(q);
  try {
    fs.mkdirSync(q);
    fs.rmdirSync(q);
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code !== 'EEXIST') return e;
  }
  return err;
}

/** Creates a folder that must not exist yet; false when it already does. */
export function mkdirNew(p: string): boolean {
  try {
    fs.mkdirSync(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(err, 'create folder', p);
  }
}

/**
 * Text that UTF-8 cannot encode (a lone UTF-16 surrogate, e.g. half of an emoji cut by a slice)
 * is refused before anything is written: Node would store U+FFFD in its place (silently changing
 * the value) and Python fails half-way with a UnicodeEncodeError, leaving an empty file.
 */
function assertEncodable(p: string, text: string): void {
  if (text.isWellFormed()) return;
  const at = [...text].findIndex((ch) => !ch.isWellFormed());
  throw new MlflowError(
    'INVALID_PARAMETER_VALUE',
    `Cannot write '${p}': the text holds a lone UTF-16 surrogate at character ${at}, which UTF-8 cannot encode`,
    { path: p },
  );
}

/**
 * Writes a whole file atomically: a temp file in the same folder (fsync'd on request), then rename.
 * The final bytes are what Python writes; a reader never sees a half-written file. The file
 * mode of an existing target is kept. Returns false (and writes nothing) when the file already
 * holds exactly these bytes, so git sees no change.
 */
export function writeFileAtomic(
  p: string,
  content: string,
  options: {
    skipIfSame?: boolean;
    fsync?: boolean;
    tmpDir?: string;
    /** The caller's fresh stat of `p` (null: missing), saving one; undefined: stat it here. */
    current?: fs.Stats | null | undefined;
  } = {},
): boolean {
  assertEncodable(p, content);
  const data = Buffer.from(content, 'utf8');
  let mode: number | undefined;
  try {
    const st = options.current === undefined ? fs.statSync(p, { throwIfNoEntry: false }) : options.current;
    if (st) {
      mode = st.mode & 0o777;
      if (options.skipIfSame !== false && st.size === data.length) {
        const current = fs.readFileSync(p);
        if (current.equals(data)) return false;
      }
    }
  } catch (err) {
    if (!isMissing(err)) throw ioError(err, 'write', p);
  }
  const tmp = tempPath(p, options.tmpDir);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', mode ?? 0o666);
    fs.writeSync(fd, data, 0, data.length, 0);
    if (options.fsync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, p);
    return true;
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* may not exist */
    }
    throw ioError(err, 'write', p);
  }
}

/**
 * Where a temp file for `p` goes: `tmpDir` when given, else next to `p`. Value folders (params/,
 * tags/, metrics/) must not hold temp files: a process killed before its rename would leave one
 * there, and every reader (Python's too) would show it as a param, tag or metric. Callers pass the
 * run (experiment, model) folder, where readers ignore files. Same file system, so rename/link work.
 */
function tempPath(p: string, tmpDir?: string): string {
  return path.join(tmpDir ?? path.dirname(p), `.${path.basename(p)}.${randomHex12()}.tmp`);
}

/** Random bytes drawn ahead in bulk (one `randomBytes` call per 512 temp names). */
let randomPool = Buffer.alloc(0);
let randomPoolAt = 0;

function randomHex12(): string {
  if (randomPoolAt + 6 > randomPool.length) {
    randomPool = randomBytes(6 * 512);
    randomPoolAt = 0;
  }
  randomPoolAt += 6;
  return randomPool.toString('hex', randomPoolAt - 6, randomPoolAt);
}

/**
 * Creates a file that must not exist yet, writing it in place with one exclusive open (O_CREAT |
 * O_EXCL | O_NOFOLLOW): no temp file, no rename. For a value that is only ever created (a param, a
 * new tag), this is as crash-safe as Python's `open(path, 'w')` (a process killed mid-write leaves
 * at worst a partial file, as Python's would) at one directory operation instead of three. A write
 * that fails (disk full) removes the file it created. Returns 'exists' when the name is taken (a
 * file, a folder or a link: nothing is followed or changed) and 'no-folder' when its folder is
 * missing; other errors throw an IO_ERROR naming the path.
 *
 * @example
 * ```ts
 * if (createFileInPlace('/r/params/lr', '0.1') === 'exists') compareWithStored();
 * ```
 */
export function createFileInPlace(p: string, content: string, options: { fsync?: boolean } = {}): 'created' | 'exists' | 'no-folder' {
  assertEncodable(p, content);
  let fd: number;
  try {
    fd = fs.openSync(p, CREATE_NEW_FLAGS, 0o666);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP') return 'exists';
    if (code === 'ENOENT') return 'no-folder';
    throw ioError(err, 'write', p);
  }
  try {
    const data = Buffer.from(content, 'utf8');
    let at = 0;
    while (at < data.length) at += fs.writeSync(fd, data, at, data.length - at, at);
    if (options.fsync) fs.fsyncSync(fd);
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already failing */
    }
    try {
      fs.unlinkSync(p);
    } catch {
      /* gone already */
    }
    throw ioError(err, 'write', p);
  }
  try {
    fs.closeSync(fd);
  } catch (err) {
    throw ioError(err, 'write', p);
  }
  return 'created';
}

/** open(2) flags of {@link createFileInPlace} (O_NOFOLLOW where the platform has it). */
const CREATE_NEW_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0);

/** Writes a new file that must not exist yet (like MLflow's write_yaml without overwrite). */
export function writeFileExclusive(p: string, content: string, tmpDir?: string): void {
  assertEncodable(p, content);
  // Temp + link gives "create only if absent" and atomic content at once.
  const tmp = tempPath(p, tmpDir);
  try {
    fs.writeFileSync(tmp, content, { encoding: 'utf8', flag: 'wx' });
    fs.linkSync(tmp, p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new MlflowError('RESOURCE_ALREADY_EXISTS', `File '${p}' already exists`, { path: p });
    }
    throw ioError(err, 'write', p);
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* ignore */
    }
  }
}

/**
 * Appends bytes with one `write` on an O_APPEND descriptor, so concurrent appenders (Python or
 * ours) never interleave inside a line. Resolves only after the bytes are in the file.
 */
export function appendText(p: string, text: string, options: { tmpDir?: string } = {}): void {
  assertEncodable(p, text);
  // A new file appears whole, with its first lines (temp + link): an empty or half-written new
  // metric file left by a killed process makes Python's search_runs fail for the experiment.
  if (!fs.existsSync(p)) {
    try {
      mkdirp(path.dirname(p));
      writeFileExclusive(p, text, options.tmpDir);
      return;
    } catch (err) {
      // Another writer created it meanwhile: append as usual.
      if (!(err instanceof MlflowError && err.code === 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
  }
  let fd: number | undefined;
  try {
    try {
      fd = fs.openSync(p, 'a+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fd = fs.openSync(p, 'a+');
    }
    const buf = Buffer.from(text, 'utf8');
    const start = fs.fstatSync(fd).size;
    let off = 0;
    try {
      while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      undoPartialAppend(fd, start, buf);
      throw err;
    }
  } catch (err) {
    throw ioError(err, 'append to', p);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * (The descriptor is opened 'a+', read-write, so the check below can read back.)
 * After a refused append (disk full, quota), cuts off the part of `buf` that did reach the file,
 * so no torn line is left for readers (Python's too: a torn line breaks the whole metric). Only
 * when the bytes after `start` are exactly a prefix of ours, i.e. no other process appended since.
 */
export function undoPartialAppend(fd: number, start: number, buf: Buffer): void {
  try {
    const size = fs.fstatSync(fd).size;
    const n = size - start;
    if (n <= 0 || n > buf.length) return;
    const mine = Buffer.alloc(n);
    fs.readSync(fd, mine, 0, n, start);
    if (mine.equals(buf.subarray(0, n))) fs.ftruncateSync(fd, start);
  } catch {
    /* best effort: the original error is what the caller needs */
  }
}

export function removeFile(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch (err) {
    throw ioError(err, 'remove', p);
  }
}

export function removeTree(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch (err) {
    throw ioError(err, 'remove', p);
  }
}

export function rename(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    throw ioError(err, 'move', from);
  }
}

/**
 * Resolves `rel` (a POSIX relative path such as a metric key) under `base` and checks that it
 * stays inside it, so no key can name a file outside its folder.
 */
export function safeJoin(base: string, rel: string): string {
  if (rel.includes('\0')) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid path ${JSON.stringify(rel)}: contains a NUL byte`);
  }
  const resolved = path.resolve(base, ...rel.split('/'));
  const baseResolved = path.resolve(base);
  if (resolved !== baseResolved && !resolved.startsWith(baseResolved + path.sep)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid path '${rel}': it leaves '${base}'`);
  }
  return resolved;
}

/** Size of a file in bytes, or undefined when it does not exist. */
export function fileSize(p: string): number | undefined {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  return st ? st.size : undefined;
}

/**
 * Reads a text file in chunks that end on a line break (`\n`), decoding UTF-8 across chunk
 * boundaries, so files larger than a JS string can hold are read in bounded memory. The last
 * chunk may end without a line break. Returns false when the file does not exist.
 */
export function readLineChunks(
  p: string,
  onChunk: (text: string) => void,
  chunkBytes = 8 * 1024 * 1024,
  maxLineBytes = MAX_LINE_BYTES,
): boolean {
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch (err) {
    if (isMissing(err)) return false;
    throw ioError(err, 'read', p);
  }
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let carry = '';
    for (;;) {
      const n = fs.readSync(fd, buf, 0, chunkBytes, null);
      if (n === 0) break;
      const text = carry + decoder.write(buf.subarray(0, n));
      const cut = text.lastIndexOf('\n');
      if (cut === -1) {
        // No line break in the whole chunk: a hole, binary garbage, or a line no MLflow writer
        // produces. Refuse instead of growing one string towards the size of the file.
        if (text.length > maxLineBytes) {
          throw new MlflowError('MALFORMED_DATA', `'${p}' has a line longer than ${maxLineBytes} bytes`, { path: p });
        }
        carry = text;
        continue;
      }
      onChunk(text.slice(0, cut + 1));
      carry = text.slice(cut + 1);
    }
    const rest = carry + decoder.end();
    if (rest.length > 0) onChunk(rest);
    return true;
  } catch (err) {
    if (err instanceof MlflowError) throw err;
    throw ioError(err, 'read', p);
  } finally {
    fs.closeSync(fd);
  }
}

/** The longest line {@link readLineChunks} accepts (MLflow's metric lines are < 200 bytes). */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Reads a small text file, refusing one larger than `maxBytes` (a damaged or hostile file). */
export function readSmallTextIfExists(p: string, maxBytes: number): string | undefined | { tooLarge: number } {
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch (err) {
    if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw ioError(err, 'read', p);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) return { tooLarge: size };
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.toString('utf8', 0, off);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw ioError(err, 'read', p);
  } finally {
    fs.closeSync(fd);
  }
}
