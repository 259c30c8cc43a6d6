// Preload (`node --import <this file>`) that injects file-system faults into node:fs, so faults
// that need root, a special file system or perfect timing can be tested anywhere.
// Environment:
//   FS_FAULT_MODE   count | crash | error
//   FS_FAULT_AT     1-based index of the mutating call to hit (crash); 0 or unset = every call (error)
//   FS_FAULT_ERRNO  ENOSPC | EROFS | EACCES | EIO (error mode)
//   FS_FAULT_PATH   only calls whose path contains this string count (default: all)
//   FS_FAULT_PARTIAL 1 = a hit writeSync first writes half of its bytes (a short write), then fails/dies
// Mutating calls: openSync with a write flag, writeSync, writeFileSync, appendFileSync, renameSync,
// linkSync, mkdirSync, unlinkSync, copyFileSync, symlinkSync, rmSync, cpSync, ftruncateSync.
// At exit, prints `FSCALLS <n>` on stderr (the number of mutating calls that matched).
import fs from 'node:fs';
import { createRequire } from 'node:module';

const mode = process.env.FS_FAULT_MODE ?? 'count';
const at = Number(process.env.FS_FAULT_AT ?? 0);
const errno = process.env.FS_FAULT_ERRNO ?? 'EIO';
const only = process.env.FS_FAULT_PATH ?? '';
const partial = process.env.FS_FAULT_PARTIAL === '1';
const MESSAGES = { ENOSPC: 'no space left on device', EROFS: 'read-only file system', EACCES: 'permission denied', EIO: 'i/o error' };
const NUMS = { ENOSPC: -28, EROFS: -30, EACCES: -13, EIO: -5 };
let calls = 0;
const fdPaths = new Map();

function fail(syscall, p) {
  const e = new Error(`${errno}: ${MESSAGES[errno] ?? errno}, ${syscall} '${p}'`);
  e.code = errno;
  e.errno = NUMS[errno] ?? -5;
  e.syscall = syscall;
  e.path = String(p);
  return e;
}

// A full disk refuses data, not names: opening, renaming, linking and removing still work there
// (a real tmpfs agrees), so under ENOSPC only calls that store bytes or make folders are hit.
const ENOSPC_CALLS = new Set(['writeSync', 'writeFileSync', 'appendFileSync', 'copyFileSync', 'cpSync', 'mkdirSync']);

/** True when this call is hit by the fault. */
function hit(p, name) {
  if (only && !String(p).includes(only)) return false;
  if (mode === 'error' && errno === 'ENOSPC' && !ENOSPC_CALLS.has(name)) return false;
  calls++;
  if (mode === 'crash') return calls === at;
  if (mode === 'error') return at === 0 || calls === at;
  return false;
}

function die() {
  process.kill(process.pid, 'SIGKILL');
}

const writeFlag = (flags) => flags !== undefined && flags !== 'r' && flags !== 'rs' && flags !== 'sr' && !(typeof flags === 'number' && (flags & 3) === 0);

function wrap(name, pathOf, onHit) {
  const orig = fs[name];
  if (typeof orig !== 'function') return;
  fs[name] = function (...args) {
    const p = pathOf(args);
    if (p !== undefined && hit(p, name)) {
      if (onHit) return onHit(orig, args, p);
      if (mode === 'crash') die();
      throw fail(name.replace(/Sync$/, ''), p);
    }
    const r = orig.apply(this, args);
    if (name === 'openSync') fdPaths.set(r, String(args[0]));
    return r;
  };
}

wrap('openSync', (a) => (writeFlag(a[1]) ? a[0] : undefined));
// A file written whole on a full disk is created, gets what fits, then the write fails.
wrap('writeFileSync', (a) => a[0], (orig, args, p) => {
  const [file, data, opts] = args;
  if (mode === 'error' && errno === 'ENOSPC' && partial && typeof file === 'string') {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(String(data));
    orig.call(fs, file, buf.subarray(0, Math.floor(buf.length / 2)), opts);
  }
  if (mode === 'crash') die();
  throw fail('write', p);
});
wrap('writeSync', (a) => fdPaths.get(a[0]) ?? `fd ${a[0]}`, (orig, args, p) => {
  const [fd, data, off, len] = args;
  if (partial && Buffer.isBuffer(data)) {
    const start = typeof off === 'number' ? off : 0;
    const total = typeof len === 'number' ? len : data.length - start;
    if (total > 1) orig.call(fs, fd, data, start, Math.floor(total / 2));
  } else if (partial && typeof data === 'string' && data.length > 1) {
    orig.call(fs, fd, data.slice(0, Math.floor(data.length / 2)));
  }
  if (mode === 'crash') die();
  throw fail('write', p);
});
const closeOrig = fs.closeSync;
fs.closeSync = function (fd) {
  fdPaths.delete(fd);
  return closeOrig.call(this, fd);
};
for (const name of ['appendFileSync', 'mkdirSync', 'unlinkSync', 'rmSync', 'symlinkSync', 'ftruncateSync']) wrap(name, (a) => (name === 'ftruncateSync' ? fdPaths.get(a[0]) ?? `fd ${a[0]}` : a[0]));
for (const name of ['renameSync', 'linkSync', 'copyFileSync', 'cpSync']) wrap(name, (a) => a[1]);

// CommonJS users of fs see the same patched object (node:fs is one module object).
createRequire(import.meta.url)('node:fs');
process.on('exit', () => process.stderr.write(`FSCALLS ${calls}\n`));
