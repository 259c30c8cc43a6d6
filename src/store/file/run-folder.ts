/**
 * The one reader of a run folder: its info (meta.yaml), params, tags, inputs, outputs and the
 * latest value of each metric file, the warnings a scan gives for it, and (for the catalog) its
 * file signature. `FileStore.readRun`, the catalog's refresh and its cold-build workers read
 * runs here; it opens no database and imports nothing above `store/`.
 *
 * Signatures are text, one line per entry, relative to the run folder:
 * - `F<rel>\t<ino>:<size>:<mtime>` a file (`-` when it cannot be stat'ed),
 * - `N<rel>` names only (`Nparams\t<count>:<hash of the names>`: params are written once, so
 *   their folders' stats cover them; metric files with invalid names),
 * - `D<rel>\t<ino>:<mtime>:<ctime>` a folder (`!` while it changed too recently to be trusted: a
 *   change within the same timestamp tick would leave the same stat).
 * The catalog keeps three per run: `sig` (meta.yaml, params, tags, inputs, outputs: re-read the
 * run when it changes), `msig` (the metric files) and `probe` (the folders).
 *
 * @example
 * ```ts
 * const ctx: ReadContext = { root: fs.realpathSync('./mlruns'), trustBefore: Date.now() - 3000 };
 * const entries = runEntries('/data/mlruns/1/abc');
 * const core = readRunCore(ctx, { dir: '1', expDir: '/data/mlruns/1', folder: 'abc', outside: false }, '/data/mlruns/1/abc', entries!, [], true);
 * ```
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset, Metric, Run, RunInfo, RunInputs, RunOutputs } from '../../entities.js';
import type { WarningCode } from '../../errors.js';
import { latestMetric, metricGreater, parseRunMetricFile } from '../../format/metric-line.js';
import { isValidMetricKey, validateMetricName, validateParamName, validateTagName } from '../../format/validation.js';
import { ioError, isDirectory, joinName as join, linkStaysWithin, listDir, listSubdirs, readLineChunks, readSmallTextIfExists, walkTree } from './fs.js';
import { META } from './layout.js';
import { MAX_META_BYTES, metaFromText, metaTooLarge } from './meta-read.js';
import { fastLatestMetric, fastLatestMetricBytes } from './metric-scan.js';
import { runInfoFromDict } from './records.js';
import type { YamlDict } from './records.js';

/** The tag that names a run whose meta.yaml has no run_name (MLflow < 2.0). */
export const RUN_NAME_TAG = 'mlflow.runName';

/** Metric files larger than this are read in chunks. */
export const METRIC_CHUNK_THRESHOLD = 64 * 1024 * 1024;

/**
 * Where a warning of a run applies: `r` reading the run's meta.yaml (any view), `d` its params,
 * tags, inputs, outputs (runs in the view only), `k` a metric file with an invalid name, `m` a
 * damaged metric file (`key` names the metric).
 */
export type WarnScope = 'r' | 'd' | 'k' | 'm';

/**
 * A warning found while reading a run, as the scan reports it.
 *
 * @example
 * ```ts
 * const w: RunWarning = { scope: 'r', key: '', code: 'EMPTY_META', path: '/r/1/abc/meta.yaml', message: '...' };
 * ```
 */
export interface RunWarning {
  scope: WarnScope;
  key: string;
  code: WarningCode;
  path: string;
  message: string;
}

/**
 * What a read of run folders needs to know.
 *
 * @example
 * ```ts
 * const ctx: ReadContext = { root: '/data/mlruns', trustBefore: Date.now() - 3000 };
 * ```
 */
export interface ReadContext {
  /** The realpath of the root (symbolic links leading outside it are not followed, as in a scan). */
  root: string;
  /**
   * Folders changed at or after this time (ms) are not trusted by their stat alone (signature
   * `D` lines are `!`): a change in the same timestamp tick as a stat leaves it equal.
   */
  trustBefore: number;
}

/**
 * One run folder to read.
 *
 * @example
 * ```ts
 * const f: RunFolder = { dir: '1', expDir: '/data/mlruns/1', folder: 'abc', outside: false };
 * ```
 */
export interface RunFolder {
  /** The experiment folder's name (the experiment id its runs must record). */
  dir: string;
  expDir: string;
  folder: string;
  /** The run folder (or its experiment folder) is a symbolic link leading outside the root. */
  outside: boolean;
}

/** fs.statSync without throwing. */
export function statOf(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The signature value of a file. */
export const fileVal = (st: { ino: number; size: number; mtimeMs: number } | undefined): string =>
  st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-';

/** The signature value of a folder, trusted. */
export const dirStatVal = (st: fs.Stats | undefined): string => (st ? `${st.ino}:${st.mtimeMs}:${st.ctimeMs}` : '-');

/** The signature value of a folder (`!` when it changed too recently to be trusted). */
export function dirVal(st: fs.Stats | undefined, trustBefore: number): string {
  if (!st) return '-';
  if (st.ctimeMs >= trustBefore || st.mtimeMs >= trustBefore) return '!';
  return dirStatVal(st);
}

const O_READ = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

let shared = Buffer.allocUnsafe(64 * 1024);

/**
 * A small file's bytes without a stat (param and tag values), or undefined when it is missing or
 * not a file. The result is a view of a shared buffer: decode it before the next call.
 */
function readNoStat(p: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, O_READ);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw ioError(err, 'read', p);
  }
  try {
    let got = 0;
    for (;;) {
      const n = fs.readSync(fd, shared, got, shared.length - got, got);
      got += n;
      // A regular file reads short only at its end.
      if (n === 0 || got < shared.length) break;
      const bigger = Buffer.allocUnsafe(shared.length * 2);
      shared.copy(bigger, 0, 0, got);
      shared = bigger;
    }
    return shared.subarray(0, got);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EAGAIN') return undefined;
    throw ioError(err, 'read', p);
  } finally {
    fs.closeSync(fd);
  }
}

/** Up to `len` bytes of `fd` from `pos` (fewer at the end of the file). */
function readFully(fd: number, len: number, pos: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** `fn` on a read-only descriptor of `p`, closed after; undefined when `p` cannot be opened or `fn` throws. */
function withReadFd<T>(p: string, fn: (fd: number) => T): T | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, O_READ);
  } catch {
    return undefined;
  }
  try {
    return fn(fd);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** A whole file and its stat through one descriptor (undefined when it cannot be opened or is not a file). */
export function readWithStat(p: string, max = Infinity): { st: fs.Stats; buf: Buffer | undefined } | undefined {
  return withReadFd(p, (fd) => {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > max) return { st, buf: undefined };
    return { st, buf: readFully(fd, st.size, 0) };
  });
}

/** Bytes [start, end) of a file (undefined when it cannot be opened). */
export function readRange(p: string, start: number, end: number): Buffer | undefined {
  return withReadFd(p, (fd) => readFully(fd, Math.max(0, end - start), start));
}

interface WalkFile {
  /** Path relative to the walked folder (POSIX separators). */
  key: string;
  abs: string;
  /** A symbolic link leading outside the root (a scan does not list it). */
  outside: boolean;
}

/**
 * The files of a run's sub-folder as `walkFiles` lists them (symbolic links to folders not
 * followed), sorted by relative path; with `dirs`, a `D` signature line per folder.
 */
function walk(abs: string, rel: string, ctx: ReadContext, dirs: string[] | undefined): WalkFile[] {
  const files: WalkFile[] = [];
  walkTree(
    abs,
    (a, key, e) => {
      if (!e.isSymbolicLink()) files.push({ key, abs: a, outside: false });
      else if (!isDirectory(a)) files.push({ key, abs: a, outside: !linkStaysWithin(a, ctx.root) });
    },
    dirs ? { onFolder: (a, r) => dirs.push(`D${r === '' ? rel : `${rel}/${r}`}\t${dirVal(statOf(a), ctx.trustBefore)}`) } : {},
  );
  return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A sub-folder entry of a run folder that is a symbolic link leading outside the root. */
const leadsOutside = (ctx: ReadContext, p: string, entry: fs.Dirent): boolean => entry.isSymbolicLink() && !linkStaysWithin(p, ctx.root);

/**
 * The entries of a run folder by name, or undefined when the folder is gone.
 *
 * @example
 * ```ts
 * runEntries('/data/mlruns/1/abc')?.has('inputs');
 * ```
 */
export function runEntries(runDir: string): Map<string, fs.Dirent> | undefined {
  const list = listDir(runDir);
  if (list.length === 0 && !statOf(runDir)) return undefined;
  const entries = new Map<string, fs.Dirent>();
  for (const e of list) entries.set(e.name, e);
  return entries;
}

// ------------------------------------------------------------------------------ meta.yaml

/** meta.yaml read through one descriptor: its stat (for the signature) and what `readYaml` returns or throws. */
export interface MetaRead {
  st: fs.Stats | undefined;
  value: unknown;
  error: Error | undefined;
}

/**
 * Reads a meta.yaml through one descriptor: its stat and its YAML (undefined when missing, null
 * when empty), or the error a read of it gives.
 *
 * @example
 * ```ts
 * const m = readMeta('/data/mlruns/1/abc/meta.yaml'); // { st, value: { run_id: 'abc', ... }, error: undefined }
 * ```
 */
export function readMeta(p: string): MetaRead {
  let fd: number;
  try {
    fd = fs.openSync(p, O_READ);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { st: undefined, value: undefined, error: undefined };
    return { st: statOf(p), value: undefined, error: code === 'EISDIR' ? undefined : ioError(err, 'read', p) };
  }
  let st: fs.Stats | undefined;
  try {
    st = fs.fstatSync(fd);
    if (st.size > MAX_META_BYTES) return { st, value: undefined, error: metaTooLarge(p, st.size) };
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    const text = buf.toString('utf8', 0, off);
    try {
      return { st, value: metaFromText(p, text), error: undefined };
    } catch (err) {
      return { st, value: undefined, error: err as Error };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR' || (err as NodeJS.ErrnoException).code === 'EAGAIN') return { st, value: undefined, error: undefined };
    return { st, value: undefined, error: ioError(err, 'read', p) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a YAML file: undefined when missing, null when empty; throws MALFORMED_DATA when it is
 * not YAML (or too large).
 *
 * @example
 * ```ts
 * readYaml('/data/mlruns/1/meta.yaml'); // { experiment_id: '1', name: 'demo', ... }
 * ```
 */
export function readYaml(p: string): unknown {
  const text = readSmallTextIfExists(p, MAX_META_BYTES);
  if (text === undefined) return undefined;
  if (typeof text !== 'string') throw metaTooLarge(p, text.tooLarge);
  return metaFromText(p, text);
}

/**
 * A run's info from its meta.yaml, checked as `_get_run_info` checks it, or undefined with the
 * scan's warning (`listing`: a run recording another experiment is reported; a lookup by id is
 * silent about it).
 *
 * @example
 * ```ts
 * runInfoOf(readMeta(metaPath), runDir, metaPath, '1', warnings, true);
 * ```
 */
export function runInfoOf(meta: MetaRead, runDir: string, metaPath: string, experimentId: string, warnings: RunWarning[], listing = true): RunInfo | undefined {
  const name = path.basename(runDir);
  const w = (code: WarningCode, p: string, message: string): undefined => {
    warnings.push({ scope: 'r', key: '', code, path: p, message });
    return undefined;
  };
  if (meta.error) return w('MALFORMED_META', metaPath, `Malformed run '${name}': ${meta.error.message}`);
  if (meta.value === undefined) return w('MISSING_META', runDir, `Ignoring '${runDir}': not a run (no meta.yaml)`);
  if (meta.value === null) return w('EMPTY_META', metaPath, `Run '${name}' has an empty meta.yaml ('${metaPath}'); skipped`);
  const read = runInfoFromDict(meta.value);
  if (!read.ok) return w('MALFORMED_META', metaPath, `Malformed run '${name}' ('${metaPath}'): ${read.reason}`);
  const info = read.value;
  if (info.experimentId !== experimentId) {
    if (!listing) return undefined;
    return w(
      'ID_MISMATCH',
      metaPath,
      `Wrong experiment ID (${info.experimentId}) recorded for run '${info.runId}'. It should be ${experimentId}. Run will be ignored.`,
    );
  }
  return info;
}

/**
 * `deleted_time` of a run's meta.yaml (MLflow >= 2.2 writes it when a run is deleted), null when
 * absent or unreadable.
 *
 * @example
 * ```ts
 * deletedTimeOf(readMeta('/data/mlruns/1/abc/meta.yaml')); // 1700000000000
 * ```
 */
export function deletedTimeOf(meta: MetaRead): number | null {
  const v = meta.value && typeof meta.value === 'object' ? (meta.value as YamlDict)['deleted_time'] : undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return null;
}

// ------------------------------------------------------------------------------ params, tags

/** A 53-bit string hash (cyrb53), base 36: the names of a run's param files in its signature. */
export function hash53(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * A params/ or tags/ folder: with `lines`, its signature lines (`N` with the param file names,
 * `F` per tag file); with `values`, the values a scan reads (and its warnings).
 */
function valueFolder(
  ctx: ReadContext,
  runDir: string,
  entry: fs.Dirent,
  kind: 'param' | 'tag',
  dirs: string[] | undefined,
  lines: string[] | undefined,
  values: Record<string, string> | undefined,
  warnings: RunWarning[],
): void {
  const name = kind === 'param' ? 'params' : 'tags';
  const dir = join(runDir, name);
  const outside = leadsOutside(ctx, dir, entry);
  if (outside && values) {
    warnings.push({ scope: 'd', key: '', code: 'STRAY_ENTRY', path: dir, message: `Ignoring '${dir}': a symbolic link leading outside the store` });
  }
  if (outside && !lines) return;
  const files = walk(dir, name, ctx, dirs);
  // Param files: their names only (one line: their count and a hash of the list).
  if (kind === 'param' && lines) lines.push(`Nparams\t${files.length}:${hash53(files.map((f) => f.key).join('\n'))}`);
  for (const f of files) {
    const rel = `${name}/${f.key}`;
    let content: Buffer | undefined;
    let read = false;
    if (kind === 'tag' && lines) {
      if (values && !outside && !f.outside) {
        const r = readWithStat(f.abs);
        lines.push(`F${rel}\t${fileVal(r ? r.st : statOf(f.abs))}`);
        content = r?.buf;
        read = true;
      } else lines.push(`F${rel}\t${fileVal(statOf(f.abs))}`);
    }
    if (!values || outside || f.outside) continue;
    const p = join(dir, f.key);
    try {
      if (kind === 'param') validateParamName(f.key);
      else validateTagName(f.key);
    } catch (err) {
      warnings.push({ scope: 'd', key: '', code: 'STRAY_ENTRY', path: p, message: `Ignoring ${kind} file '${p}': ${(err as Error).message}` });
      continue;
    }
    if (!read) content = readNoStat(f.abs);
    if (content === undefined) continue;
    if (kind === 'param' && lines && content.length === 0) {
      // An empty param file: an empty value, or one read between the writer's create and its
      // write (a param's signature is its name only: once filled, nothing would say to read it
      // again). Its stat goes in the signature, taken before a second read: a value written after
      // the stat changes the stat, so the next probe reads the run again.
      const st = statOf(f.abs);
      content = readNoStat(f.abs);
      if (content === undefined) continue;
      if (content.length === 0) lines.push(`F${rel}\t${fileVal(st)}`);
    }
    try {
      values[f.key] = content.toString('utf8');
    } catch (err) {
      throw ioError(err, 'read', p); // a value too large for one string (a sparse or runaway file)
    }
  }
}

// ------------------------------------------------------------------------------ inputs, outputs

/**
 * A dataset from its meta.yaml (`<experiment>/datasets/<id>/meta.yaml`), undefined when malformed.
 *
 * @example
 * ```ts
 * datasetFromDict({ name: 'd', digest: 'x', source_type: 'local', source: '/d' })?.name; // 'd'
 * ```
 */
export function datasetFromDict(d: unknown): Dataset | undefined {
  if (!d || typeof d !== 'object' || Array.isArray(d)) return undefined;
  const m = d as YamlDict;
  if (m['name'] === undefined || m['digest'] === undefined) return undefined;
  const str = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
  return {
    name: String(m['name']),
    digest: String(m['digest']),
    sourceType: String(m['source_type'] ?? ''),
    source: String(m['source'] ?? ''),
    schema: str(m['schema']),
    profile: str(m['profile']),
  };
}

function readInputs(runDir: string, experimentDir: string, runId: string, warnings: RunWarning[]): RunInputs {
  const w = (code: WarningCode, p: string, message: string): void => void warnings.push({ scope: 'd', key: '', code, path: p, message });
  const inputsDir = path.join(runDir, 'inputs');
  const result: RunInputs = { datasetInputs: [], modelInputs: [] };
  const inputIds = listSubdirs(inputsDir).sort();
  if (inputIds.length === 0) return result;
  const datasetsDir = path.join(experimentDir, 'datasets');
  const hasDatasets = isDirectory(datasetsDir);
  for (const inputId of inputIds) {
    const metaPath = path.join(inputsDir, inputId, META);
    let meta: unknown;
    try {
      meta = readYaml(metaPath);
    } catch (err) {
      w('MALFORMED_META', metaPath, `Ignoring input '${metaPath}': ${(err as Error).message}`);
      continue;
    }
    if (!meta || typeof meta !== 'object') {
      w('MALFORMED_META', metaPath, `Ignoring input '${metaPath}': missing or empty meta.yaml`);
      continue;
    }
    const m = meta as YamlDict;
    const sourceType = m['source_type'];
    const sourceId = String(m['source_id'] ?? '');
    if (sourceType === 'MODEL') {
      result.modelInputs.push({ modelId: sourceId });
    } else if (sourceType === 'DATASET') {
      if (!hasDatasets) continue;
      const dsMetaPath = path.join(datasetsDir, sourceId, META);
      let ds: unknown;
      try {
        ds = isDirectory(path.join(datasetsDir, sourceId)) ? readYaml(dsMetaPath) : undefined;
      } catch (err) {
        w('MALFORMED_META', dsMetaPath, `Ignoring dataset '${dsMetaPath}': ${(err as Error).message}`);
        continue;
      }
      if (ds === undefined) {
        w('MISSING_DATASET', metaPath, `Failed to find dataset with ID '${sourceId}' referenced as an input of the run with ID '${runId}'. Skipping.`);
        continue;
      }
      const dataset = datasetFromDict(ds);
      if (!dataset) {
        w('MALFORMED_META', dsMetaPath, `Ignoring dataset '${dsMetaPath}': malformed meta.yaml`);
        continue;
      }
      const tagsObj = m['tags'];
      const tags =
        tagsObj && typeof tagsObj === 'object' ? Object.entries(tagsObj as YamlDict).map(([key, value]) => ({ key, value: String(value) })) : [];
      result.datasetInputs.push({ dataset, tags });
    }
  }
  return result;
}

function readOutputs(runDir: string, warnings: RunWarning[]): RunOutputs {
  const outputsDir = path.join(runDir, 'outputs');
  const result: RunOutputs = { modelOutputs: [] };
  for (const id of listSubdirs(outputsDir).sort()) {
    const metaPath = path.join(outputsDir, id, META);
    let meta: unknown;
    try {
      meta = readYaml(metaPath);
    } catch (err) {
      warnings.push({ scope: 'd', key: '', code: 'MALFORMED_META', path: metaPath, message: `Ignoring output '${metaPath}': ${(err as Error).message}` });
      continue;
    }
    if (!meta || typeof meta !== 'object') continue;
    const m = meta as YamlDict;
    if (m['destination_type'] !== 'MODEL_OUTPUT') continue;
    result.modelOutputs.push({ modelId: String(m['destination_id']), step: typeof m['step'] === 'number' ? m['step'] : 0 });
  }
  return result;
}

// ------------------------------------------------------------------------------ the run

/**
 * The run-level part of a run folder (everything but its metrics): with `sig`, its signature
 * lines (and `dirs` gets the folders' `D` lines); with `values`, the info, the Run (metrics
 * empty) and the warnings a scan gives. `entries`: the run folder's listing ({@link runEntries});
 * `known`: the run's info when meta.yaml was already read (it is then not read again).
 *
 * @example
 * ```ts
 * const { run, warnings } = readRunCore(ctx, folder, runDir, runEntries(runDir)!, undefined, true, { sig: false });
 * ```
 */
export function readRunCore(
  ctx: ReadContext,
  job: RunFolder,
  runDir: string,
  entries: Map<string, fs.Dirent>,
  dirs: string[] | undefined,
  values: boolean,
  options: { sig?: boolean; known?: RunInfo } = {},
): { sig: string; info: RunInfo | undefined; run: Run | undefined; warnings: RunWarning[] } {
  const withSig = options.sig !== false;
  const lines: string[] | undefined = withSig ? [] : undefined;
  const warnings: RunWarning[] = [];
  const metaPath = join(runDir, META);
  let meta: MetaRead | undefined;
  if (options.known === undefined) {
    if (values && !job.outside) {
      meta = readMeta(metaPath);
      lines?.push(`Fmeta.yaml\t${fileVal(meta.st)}`);
    } else lines?.push(`Fmeta.yaml\t${fileVal(statOf(metaPath))}`);
  } else lines?.push(`Fmeta.yaml\t${fileVal(statOf(metaPath))}`);
  const params: Record<string, string> | undefined = values ? {} : undefined;
  const tags: Record<string, string> | undefined = values ? {} : undefined;
  const pe = entries.get('params');
  // A run folder leading outside the root is not read (the scan skips it).
  const read = values && !job.outside;
  if (pe) valueFolder(ctx, runDir, pe, 'param', dirs, lines, read ? params : undefined, warnings);
  const te = entries.get('tags');
  if (te) valueFolder(ctx, runDir, te, 'tag', dirs, lines, read ? tags : undefined, warnings);
  if (lines) {
    for (const name of ['inputs', 'outputs']) {
      if (!entries.has(name)) continue;
      const d = path.join(runDir, name);
      dirs?.push(`D${name}\t${dirVal(statOf(d), ctx.trustBefore)}`);
      for (const id of listSubdirs(d).sort()) lines.push(`F${name}/${id}/${META}\t${fileVal(statOf(path.join(d, id, META)))}`);
    }
  }
  const sig = lines ? lines.join('\n') : '';
  if (!values) return { sig, info: undefined, run: undefined, warnings };
  if (job.outside) {
    warnings.length = 0;
    warnings.push({ scope: 'r', key: '', code: 'STRAY_ENTRY', path: runDir, message: `Ignoring run folder '${runDir}': a symbolic link leading outside the store` });
    return { sig, info: undefined, run: undefined, warnings };
  }
  const info = options.known ?? runInfoOf(meta as MetaRead, runDir, metaPath, job.dir, warnings);
  if (!info) {
    // Not a run for the scan: only why it is not.
    return { sig, info: undefined, run: undefined, warnings: warnings.filter((w) => w.scope === 'r') };
  }
  const runInfo = { ...info };
  if (!runInfo.runName) {
    const fromTag = (tags as Record<string, string>)[RUN_NAME_TAG];
    if (fromTag) runInfo.runName = fromTag;
  }
  const run: Run = {
    info: runInfo,
    data: { metrics: {}, params: params as Record<string, string>, tags: tags as Record<string, string> },
    inputs: entries.has('inputs') ? readInputs(runDir, job.expDir, info.runId, warnings) : { datasetInputs: [], modelInputs: [] },
    outputs: entries.has('outputs') ? readOutputs(runDir, warnings) : { modelOutputs: [] },
  };
  return { sig, info, run, warnings: dedupe(warnings) };
}

function dedupe(ws: RunWarning[]): RunWarning[] {
  if (ws.length < 2) return ws;
  const seen = new Set<string>();
  return ws.filter((w) => {
    const k = `${w.scope}\0${w.key}\0${w.code}\0${w.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ------------------------------------------------------------------------------ metrics

/** The scan's warning for a metric file with an invalid name. */
function invalidMetricWarning(p: string, key: string): RunWarning {
  let message = `Ignoring metric file '${p}'`;
  try {
    validateMetricName(key);
  } catch (err) {
    message = `Ignoring metric file '${p}': ${(err as Error).message}`;
  }
  return { scope: 'k', key, code: 'STRAY_ENTRY', path: p, message };
}

/** A metric file of a run with a valid name: its stat (and its bytes when read with it). */
export interface MetricFile {
  key: string;
  abs: string;
  st: fs.Stats;
  buf?: Buffer | undefined;
}

const MSIG_HEAD = 'M';

/** The `msig` of a run whose metrics are not indexed (not readable, or never read). */
export const NO_MSIG = '';

/**
 * Lists a run's metric files (valid names, stat'ed or read with their stat) and builds its
 * `msig` lines; `dirs` gets the metrics folders' `D` lines.
 *
 * @example
 * ```ts
 * const { files, warnings } = metricLayout(ctx, runDir, runEntries(runDir)?.get('metrics'), true, []);
 * ```
 */
export function metricLayout(
  ctx: ReadContext,
  runDir: string,
  entry: fs.Dirent | undefined,
  readBytes: boolean,
  dirs: string[] | undefined,
): { msig: string; files: MetricFile[]; warnings: RunWarning[] } {
  const lines = [MSIG_HEAD];
  const files: MetricFile[] = [];
  const warnings: RunWarning[] = [];
  if (entry) {
    const mdir = join(runDir, 'metrics');
    if (leadsOutside(ctx, mdir, entry)) {
      dirs?.push(`Dmetrics\t${dirVal(statOf(mdir), ctx.trustBefore)}`);
    } else {
      for (const f of walk(mdir, 'metrics', ctx, dirs)) {
        if (f.outside) {
          lines.push(`Nmetrics/${f.key}`);
          continue;
        }
        if (!isValidMetricKey(f.key)) {
          lines.push(`Nmetrics/${f.key}`);
          warnings.push(invalidMetricWarning(join(mdir, f.key), f.key));
          continue;
        }
        const p = join(mdir, f.key);
        if (readBytes) {
          const r = readWithStat(p);
          if (!r || !r.buf) continue;
          lines.push(`Fmetrics/${f.key}\t${fileVal(r.st)}`);
          files.push({ key: f.key, abs: p, st: r.st, buf: r.buf });
        } else {
          const st = statOf(p);
          if (!st) continue;
          lines.push(`Fmetrics/${f.key}\t${fileVal(st)}`);
          files.push({ key: f.key, abs: p, st });
        }
      }
    }
  }
  return { msig: lines.join('\n'), files, warnings };
}

/** The scan's message for a metric it drops. */
const droppedMetric = (key: string, runId: string, p: string, why: string): string => `Ignoring metric '${key}' of run '${runId}' ('${p}'): ${why}`;

/**
 * The latest value of each metric of a run, as a scan shows it (`max` by step, timestamp, value),
 * with the scan's warnings (invalid names, damaged files: those metrics are left out). Files over
 * {@link METRIC_CHUNK_THRESHOLD} are folded in chunks.
 *
 * @example
 * ```ts
 * latestMetrics(ctx, runDir, runEntries(runDir)?.get('metrics'), info, warnings); // { loss: 0.25 }
 * ```
 */
export function latestMetrics(ctx: ReadContext, runDir: string, entry: fs.Dirent | undefined, info: RunInfo, warnings: RunWarning[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  if (!entry) return metrics;
  const mdir = join(runDir, 'metrics');
  if (leadsOutside(ctx, mdir, entry)) return metrics;
  for (const f of walk(mdir, 'metrics', ctx, undefined)) {
    if (f.outside) continue;
    const p = join(mdir, f.key);
    if (!isValidMetricKey(f.key)) {
      warnings.push(invalidMetricWarning(p, f.key));
      continue;
    }
    const r = readMetricBytes(p);
    if (!r) continue;
    let value: number | undefined;
    if (r.buf === undefined) {
      value = latestMetricChunked(p, f.key, info, warnings);
    } else {
      // Plain ASCII lines straight from the bytes; anything else through the exact reader.
      const fast = fastLatestMetricBytes(r.buf) ?? latestFromText(r.buf.toString('utf8'));
      if (fast) value = fast.value;
      else {
        try {
          const points = parseRunMetricFile(r.buf.toString('utf8'), f.key, p, { runId: info.runId, experimentId: info.experimentId });
          if (points.length > 0) value = latestMetric(points).value;
        } catch (err) {
          warnings.push({ scope: 'm', key: f.key, code: 'MALFORMED_METRIC', path: p, message: droppedMetric(f.key, info.runId, p, (err as Error).message) });
        }
      }
    }
    if (value !== undefined) metrics[f.key] = value;
  }
  return metrics;
}

/**
 * A metric file's bytes through one descriptor (`buf` undefined: over {@link METRIC_CHUNK_THRESHOLD},
 * to be read in chunks); undefined when it is missing. Throws IO_ERROR when it cannot be read.
 */
function readMetricBytes(p: string): { buf: Buffer | undefined } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, O_READ);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw ioError(err, 'read', p);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > METRIC_CHUNK_THRESHOLD) return { buf: undefined };
    return { buf: readFully(fd, size, 0) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') return undefined;
    if (code === 'EAGAIN') return { buf: Buffer.alloc(0) };
    throw ioError(err, 'read', p);
  } finally {
    fs.closeSync(fd);
  }
}

const latestFromText = (text: string): { value: number } | undefined => (text.charCodeAt(0) === 0xfeff ? undefined : fastLatestMetric(text));

/** The latest value of a metric file too large for one string: a sequential fold over chunks. */
function latestMetricChunked(p: string, key: string, info: RunInfo, warnings: RunWarning[]): number | undefined {
  let best: Metric | undefined;
  try {
    readLineChunks(p, (chunk) => {
      // The fast scan continues the fold over the plain lines MLflow writes; the exact reader
      // takes a chunk with anything else. Either way the fold is sequential, as Python's max().
      const fast = chunk.charCodeAt(0) === 0xfeff ? undefined : fastLatestMetric(chunk, best);
      if (fast) {
        best = { key, value: fast.value, timestamp: fast.timestamp, step: fast.step } as Metric;
        return;
      }
      const points = parseRunMetricFile(chunk, key, p, { runId: info.runId, experimentId: info.experimentId, allowEmpty: true });
      for (const m of points) if (best === undefined || metricGreater(m, best)) best = m;
    });
  } catch (err) {
    warnings.push({ scope: 'm', key, code: 'MALFORMED_METRIC', path: p, message: droppedMetric(key, info.runId, p, (err as Error).message) });
    return undefined;
  }
  if (best === undefined) {
    warnings.push({ scope: 'm', key, code: 'MALFORMED_METRIC', path: p, message: droppedMetric(key, info.runId, p, `Metric '${key}' is malformed. No data found.`) });
    return undefined;
  }
  return (best as Metric).value;
}

/**
 * The whole Run of a run folder whose info is known (read by a listing), as a scan returns it,
 * and the warnings of the read in the order the scan reports them (metrics first).
 *
 * @example
 * ```ts
 * const { run, warnings } = readRunFolder(ctx, '/data/mlruns/1/abc', '/data/mlruns/1', info);
 * ```
 */
export function readRunFolder(
  ctx: ReadContext,
  runDir: string,
  expDir: string,
  info: RunInfo,
  options: { metrics?: boolean } = {},
): { run: Run; warnings: RunWarning[] } {
  const entries = runEntries(runDir) ?? new Map<string, fs.Dirent>();
  const warnings: RunWarning[] = [];
  const metrics = options.metrics === false ? {} : latestMetrics(ctx, runDir, entries.get('metrics'), info, warnings);
  const folder: RunFolder = { dir: info.experimentId, expDir, folder: path.basename(runDir), outside: false };
  const core = readRunCore(ctx, folder, runDir, entries, undefined, true, { sig: false, known: info });
  const run = core.run as Run;
  run.data.metrics = metrics;
  for (const w of core.warnings) warnings.push(w);
  return { run, warnings };
}
