/**
 * Open append descriptors of recently used metric files, so logging one point is one `write`
 * (plus a `stat` proving the descriptor still is the file at its path) instead of open, fstat,
 * write and close. Each append is still its own `write(2)` on an `O_APPEND` descriptor: the
 * bytes are in the file (the kernel's page cache, as with open/write/close) when the call
 * returns, lines of other appenders (Python's, another process's) never interleave inside ours,
 * and nothing is buffered in this process, so an exit loses nothing.
 *
 * A held descriptor is used only while `stat(path)` names the same file (device and inode):
 * a file replaced, removed, or moved away with its folder (a run deleted to `.trash`, a folder
 * restored from a copy) is dropped and the caller opens the path again, as it would without
 * the cache. At most {@link AppendHandles.max} are held (least recently used closed first), and
 * a descriptor unused for {@link AppendHandles.idleMs} is closed by an unref'd timer, which
 * keeps neither the process nor the store alive.
 *
 * @example
 * ```ts
 * const handles = new AppendHandles();
 * if (!handles.append('/r/0/abc/metrics/loss', line)) handles.openAndAppend('/r/0/abc/metrics/loss', 'abc', line);
 * handles.closeGroup('abc'); // the run ended
 * ```
 */
import fs from 'node:fs';
import { ioError, undoPartialAppend } from './fs.js';

interface Handle {
  fd: number;
  dev: number;
  ino: number;
  /** What closes it together (a run id). */
  group: string;
  /** Tick of its last use (for the idle timer). */
  used: number;
}

const OPEN_FLAGS = fs.constants.O_RDWR | fs.constants.O_APPEND;

export class AppendHandles {
  /** Path → handle, least recently used first (Map insertion order). */
  private readonly handles = new Map<string, Handle>();
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;

  /**
   * @param max - descriptors held at most
   * @param idleMs - a descriptor unused this long is closed
   */
  constructor(
    readonly max = 32,
    readonly idleMs = 5000,
  ) {}

  /** How many descriptors are held (for tests). */
  get size(): number {
    return this.handles.size;
  }

  /**
   * Appends `buf` through the held descriptor of `p` when it still is the file at `p`; false
   * (nothing written) when there is none or it went stale. Throws an IO_ERROR naming `p` when
   * the write fails (a partial line is cut off again when no one else appended meanwhile).
   */
  append(p: string, buf: Buffer): boolean {
    const h = this.handles.get(p);
    if (!h) return false;
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st || st.ino !== h.ino || st.dev !== h.dev) {
      this.drop(p, h);
      return false;
    }
    this.handles.delete(p);
    this.handles.set(p, h);
    h.used = this.tick;
    try {
      writeWhole(h.fd, buf, st.size);
    } catch (err) {
      this.drop(p, h);
      throw ioError(err, 'append to', p);
    }
    return true;
  }

  /**
   * Opens `p` (which must exist: ENOENT is thrown as is, for the caller to create the file
   * whole), appends `buf` with one write and keeps the descriptor for the next appends.
   */
  openAndAppend(p: string, group: string, buf: Buffer): void {
    let fd: number;
    try {
      fd = fs.openSync(p, OPEN_FLAGS);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
      throw ioError(err, 'append to', p); // EROFS, EACCES, ENOSPC...: an IO_ERROR naming the file
    }
    let st: fs.Stats;
    try {
      st = fs.fstatSync(fd);
      writeWhole(fd, buf, st.size);
    } catch (err) {
      closeQuietly(fd);
      throw ioError(err, 'append to', p);
    }
    const old = this.handles.get(p);
    if (old) this.drop(p, old);
    this.handles.set(p, { fd, dev: st.dev, ino: st.ino, group, used: this.tick });
    while (this.handles.size > this.max) {
      const [lp, lh] = this.handles.entries().next().value as [string, Handle];
      this.drop(lp, lh);
    }
    this.arm();
  }

  /** Closes the descriptors of one group (a run that ended, was deleted or moved). */
  closeGroup(group: string): void {
    for (const [p, h] of this.handles) if (h.group === group) this.drop(p, h);
  }

  /** Closes every descriptor. */
  closeAll(): void {
    for (const [p, h] of this.handles) this.drop(p, h);
  }

  private drop(p: string, h: Handle): void {
    if (this.handles.get(p) === h) this.handles.delete(p);
    closeQuietly(h.fd);
    if (this.handles.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Every `idleMs`, closes what was not used since the timer last fired. */
  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      for (const [p, h] of this.handles) if (h.used < this.tick) this.drop(p, h);
      this.tick++;
    }, this.idleMs);
    this.timer.unref();
  }
}

/**
 * One `write` of the whole buffer (looping only on a short write); on failure, the part that
 * reached the file is cut off when the file still ends with exactly that part after `start`.
 */
function writeWhole(fd: number, buf: Buffer, start: number): void {
  let off = 0;
  try {
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
  } catch (err) {
    undoPartialAppend(fd, start, buf);
    throw err;
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed or failing: nothing to keep */
  }
}
