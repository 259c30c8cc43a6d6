/**
 * `doctor`: finds what would break Python MLflow (or `mlflow ui`) on an `mlruns/` folder that was
 * copied, cloned, merged or committed from another machine, and repairs what is safe to repair.
 *
 * {@link diagnose} only reads. {@link planFix} turns findings into a list of single changes
 * (every file written, every folder created or moved), and {@link fix} applies them: paths
 * rewritten to this location (only the path values change; every other key and value of the
 * file stays), missing run sub-folders created, stray entries moved to a quarantine folder
 * outside the root, duplicate experiments merged, CRLF metas normalized. Nothing is written
 * through a symlink or outside the root (except into the quarantine).
 *
 * @example
 * ```ts
 * const findings = diagnose('./mlruns');
 * for (const f of findings) console.log(f.severity, f.kind, f.path, f.message);
 * const { changes } = fix('./mlruns', findings, { dryRun: true }); // what would change
 * fix('./mlruns', findings);                                         // apply
 * ```
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlflowError, notFound } from '../errors.js';
import { parseRunMetricFile } from '../format/metric-line.js';
import { validateMetricName, validateParamName, validateTagName } from '../format/validation.js';
import { dumpYaml, parseYaml } from '../format/yaml.js';
import type { YamlMap } from '../format/yaml.js';
import { walkTree, writeFileAtomic } from '../store/file/fs.js';
import {
  EXPERIMENT_ID_RE,
  META,
  MODELS,
  REQUIRED_RUN_FOLDERS,
  RESERVED_EXPERIMENT_FOLDERS,
  RUN_ENTRIES,
  TRASH,
  directoryOrder,
  isExperimentFolder,
} from '../store/file/layout.js';
import { experimentFromDict, runInfoFromDict } from '../store/file/records.js';
import { canonicalPath, hasTail, isInside, parseLocation, resolveArtifactPath, resolveLocation, styledUri } from '../store/portable.js';
import type { LayoutTarget, LocationResolution } from '../store/portable.js';

const REGISTRY = MODELS;
const RESERVED = RESERVED_EXPERIMENT_FOLDERS;
const RUN_SUBFOLDERS = REQUIRED_RUN_FOLDERS;
/** Files a root may hold besides experiments (git's own files). */
// .mlruns-sync.json: the record of `mlruns push`/`pull` (src/cli/commands/push.ts).
const ROOT_ALLOWED_FILES = new Set(['.gitignore', '.gitattributes', '.mlruns-sync.json']);

/**
 * The name of the quarantine folder, created next to the root (never inside it).
 *
 * @example
 * ```ts
 * path.join(path.dirname(root), QUARANTINE_FOLDER); // where `fix` moves stray entries
 * ```
 */
export const QUARANTINE_FOLDER = '.mlruns-quarantine';

/**
 * How bad a finding is: `error` breaks Python MLflow (a listing or a run read fails, or a run
 * cannot be found); `warning` gives wrong or missing results or clutter; `info` is worth knowing.
 *
 * @example
 * ```ts
 * const worst: Severity = findings.some((f) => f.severity === 'error') ? 'error' : 'warning';
 * ```
 */
export type Severity = 'error' | 'warning' | 'info';

/**
 * What a finding is about.
 *
 * @example
 * ```ts
 * const foreign = findings.filter((f) => f.kind === 'foreign-path');
 * ```
 */
export type FindingKind =
  /** An artifact URI/location of another machine (Windows path, other user's path) that does not exist here. */
  | 'foreign-path'
  /** A relative artifact URI/location (`./mlruns/...`): it works only from one working directory. */
  | 'relative-path'
  /** An artifact URI/location into another copy of the store that exists on this machine (a clone's origin). */
  | 'other-copy-path'
  /** An `mlflow-artifacts:` URI: it needs a tracking server. */
  | 'remote-artifacts'
  /** An artifact URI/location that does not exist and matches nothing here. */
  | 'missing-path'
  /** An experiment or run folder without meta.yaml. */
  | 'missing-meta'
  /** An empty meta.yaml (a crash mid-write). */
  | 'empty-meta'
  /** A meta.yaml that cannot be parsed or lacks required fields. */
  | 'damaged-meta'
  /** A metric file MLflow cannot parse. */
  | 'damaged-metric'
  /** A file or folder that does not belong (`.DS_Store`, `.ipynb_checkpoints`, `main.py`...). */
  | 'stray-entry'
  /** A whole store nested inside the root (`mlruns/mlruns`). */
  | 'nested-store'
  /** Two experiments with one name (after a git merge, or copied folders). */
  | 'duplicate-name'
  /** Two experiments with one id (one in the root, one in `.trash`). */
  | 'duplicate-id'
  /** A run whose meta `run_id` differs from its folder name. */
  | 'run-id-mismatch'
  /** One run id in two or more experiment folders (copied by hand, a bad merge): `get_run` reads one, search may return both. */
  | 'duplicate-run'
  /** A run (or experiment) whose meta `experiment_id` differs from its folder. */
  | 'experiment-id-mismatch'
  /** A run without `metrics/`, `params/` or `artifacts/` (git drops empty folders; MLflow 3.8+ then cannot find the run). */
  | 'missing-subfolder'
  /** Keys that differ only by case: they collide on macOS and Windows file systems. */
  | 'case-clash'
  /** A meta.yaml with CRLF line endings. */
  | 'crlf-meta'
  /** An experiment in `.trash` whose meta.yaml still says `active` (deleted by MLflow <= 2.2). */
  | 'legacy-trash-active'
  /** A symlink that points outside the root. */
  | 'symlink-outside';

/**
 * A repair for a finding (applied by {@link fix}).
 *
 * @example
 * ```ts
 * const f: Fix = { action: 'rewrite', file: '/r/mlruns/0/meta.yaml', set: { artifact_location: 'file:///r/mlruns/0' } };
 * ```
 */
export type Fix =
  /** Sets keys of a meta.yaml, keeping every other key and value. */
  | { action: 'rewrite'; file: string; set: Record<string, string> }
  /** Rewrites a meta.yaml with LF line endings (same keys and values). */
  | { action: 'normalize-eol'; file: string }
  | { action: 'mkdir'; path: string }
  /** Moves a file or folder to the quarantine folder outside the root. */
  | { action: 'quarantine'; path: string }
  /** Renames a run folder to the run id its meta.yaml holds (when that name is free). */
  | { action: 'rename-run'; from: string; to: string }
  /** Moves every run (and logged model, dataset, missing tag) of `from` into `into`, then removes `from`. */
  | { action: 'merge-experiment'; from: string; into: string; fromId: string; intoId: string };

/**
 * One problem found by {@link diagnose}.
 *
 * @example
 * ```ts
 * const f: Finding = { kind: 'crlf-meta', severity: 'warning', path: '/r/mlruns/0/meta.yaml', message: '...', fix: { action: 'normalize-eol', file: '/r/mlruns/0/meta.yaml' } };
 * ```
 */
export interface Finding {
  kind: FindingKind;
  severity: Severity;
  /** The file or folder at fault (absolute). */
  path: string;
  message: string;
  /** The safe repair, when there is one. */
  fix?: Fix;
}

// ------------------------------------------------------------------------------------------ diagnose

/** A run folder whose meta.yaml names it (for the duplicate-run check). */
interface RunRecord {
  runDir: string;
  where: string;
  experimentDir: string;
  inTrash: boolean;
  /** The meta.yaml records the experiment of the folder it is in. */
  ownExperiment: boolean;
}

interface ExpRecord {
  id: string;
  name: string;
  dir: string;
  inTrash: boolean;
  creationTime: number | null;
}

const JUNK_NAMES = new Set([
  '.DS_Store',
  'Thumbs.db',
  'ehthumbs.db',
  'desktop.ini',
  '.directory',
  '.ipynb_checkpoints',
  '__pycache__',
  '__MACOSX',
  '.idea',
  '.vscode',
]);

/**
 * True for names of operating-system, editor and notebook litter, and of temp files left by an
 * interrupted atomic write.
 *
 * @example
 * ```ts
 * isJunkName('.DS_Store'); // true
 * isJunkName('loss');      // false
 * ```
 */
export function isJunkName(name: string): boolean {
  return (
    JUNK_NAMES.has(name) ||
    name.startsWith('._') ||
    name.endsWith('~') ||
    /\.sw[op]$/.test(name) ||
    /^\..+\.[0-9a-f]{12}\.tmp$/.test(name) ||
    name === 'Icon\r'
  );
}

class Scanner {
  readonly findings: Finding[] = [];
  readonly experiments: ExpRecord[] = [];
  readonly runs = new Map<string, RunRecord[]>();
  readonly realRoot: string;

  private runsScanned = 0;

  constructor(
    readonly root: string,
    private readonly onProgress?: (runsScanned: number, runDir: string) => void,
  ) {
    this.realRoot = fs.realpathSync(root);
  }

  add(kind: FindingKind, severity: Severity, p: string, message: string, fix?: Fix): void {
    this.findings.push(fix ? { kind, severity, path: p, message, fix } : { kind, severity, path: p, message });
  }

  rel(p: string): string {
    return path.relative(this.root, p) || '.';
  }

  /** Lists a folder without following symlinks; reports symlinks leading out of the root. Returns entries to descend into. */
  entries(dir: string): fs.Dirent[] {
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const out: fs.Dirent[] = [];
    for (const e of list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.isSymbolicLink()) {
        this.checkSymlink(path.join(dir, e.name));
        continue;
      }
      out.push(e);
    }
    return out;
  }

  checkSymlink(p: string): void {
    let target: string;
    try {
      target = fs.realpathSync(p);
    } catch {
      this.add('symlink-outside', 'warning', p, `'${this.rel(p)}' is a broken symlink (${safeReadlink(p)}); it is never followed when writing`);
      return;
    }
    if (!isInside(this.realRoot, target)) {
      this.add(
        'symlink-outside',
        'warning',
        p,
        `'${this.rel(p)}' is a symlink to '${target}', outside the root; doctor never writes through it (git stores only the link)`,
      );
    }
  }

  readText(p: string): string | undefined {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Reads a meta.yaml: reports CRLF, empty and unparsable files. Undefined when missing. */
  readMeta(p: string, what: string, onBroken?: Fix): { ok: true; data: unknown } | { ok: false } | undefined {
    if (isSymlink(p)) {
      this.checkSymlink(p);
      return { ok: false };
    }
    const text = this.readText(p);
    if (text === undefined) return undefined;
    if (text.trim() === '') {
      this.add('empty-meta', 'error', p, `${what} has an empty meta.yaml (a crash mid-write); Python MLflow fails on it`, onBroken);
      return { ok: false };
    }
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (err) {
      this.add('damaged-meta', 'error', p, `${what}: cannot parse meta.yaml: ${(err as Error).message}`, onBroken);
      return { ok: false };
    }
    if (text.includes('\r')) {
      this.add('crlf-meta', 'warning', p, `${what}: meta.yaml has CRLF line endings (committed from Windows); MLflow writes LF`, {
        action: 'normalize-eol',
        file: p,
      });
    }
    return { ok: true, data };
  }

  /** Reports what a location resolves to; returns the new value when a rewrite is due. */
  location(res: LocationResolution, file: string, key: string, what: string): string | undefined {
    const uri = res.uri ?? '';
    const rewrite = (v: string): Fix => ({ action: 'rewrite', file, set: { [key]: v } });
    switch (res.status) {
      case 'foreign':
        this.add(
          'foreign-path',
          'error',
          file,
          `${what}: ${key} '${uri}' does not exist on this machine; the matching folder here is '${this.rel(res.localPath ?? '')}'`,
          res.suggestedUri ? rewrite(res.suggestedUri) : undefined,
        );
        return res.suggestedUri;
      case 'relative':
        this.add(
          'relative-path',
          'warning',
          file,
          `${what}: ${key} '${uri}' is relative, so it works only from one working directory` +
            (res.remapped ? `; the matching folder here is '${this.rel(res.localPath ?? '')}'` : ''),
          res.remapped && res.suggestedUri ? rewrite(res.suggestedUri) : undefined,
        );
        return res.suggestedUri;
      case 'other-copy':
        this.add(
          'other-copy-path',
          'warning',
          file,
          `${what}: ${key} '${uri}' points into another copy of this store; MLflow reads (and writes) there, not here ('${this.rel(res.localPath ?? '')}')`,
          res.suggestedUri ? rewrite(res.suggestedUri) : undefined,
        );
        return res.suggestedUri;
      case 'remote-artifacts':
        if (res.remapped && res.hasLocalFiles && res.suggestedUri) {
          this.add(
            'remote-artifacts',
            'warning',
            file,
            `${what}: ${key} '${uri}' needs a tracking server, but the artifacts are here in '${this.rel(res.localPath ?? '')}'`,
            rewrite(res.suggestedUri),
          );
          return res.suggestedUri;
        }
        this.add('remote-artifacts', 'info', file, `${what}: ${key} '${uri}' is served by a tracking server; the artifacts are not in this folder`);
        return undefined;
      case 'missing':
        this.add('missing-path', 'warning', file, `${what}: ${key} '${uri}' does not exist and nothing in this root matches it`);
        return undefined;
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------------------------- root

  scan(): void {
    const root = this.root;
    const lower = new Map<string, string>();
    for (const e of this.entries(root)) {
      const p = path.join(root, e.name);
      const lc = e.name.toLowerCase();
      const other = lower.get(lc);
      if (other !== undefined) {
        this.add('case-clash', 'warning', p, `'${e.name}' and '${other}' differ only by case: one hides the other on macOS and Windows`);
      } else lower.set(lc, e.name);
      if (!e.isDirectory()) {
        if (ROOT_ALLOWED_FILES.has(e.name)) continue;
        this.add('stray-entry', 'warning', p, `stray file '${e.name}' in the root (not part of MLflow's layout)`, { action: 'quarantine', path: p });
        continue;
      }
      if (e.name === TRASH) {
        this.scanTrash(p);
        continue;
      }
      if (e.name === REGISTRY) {
        this.scanRegistry(p);
        continue;
      }
      if (!isExperimentFolder('root', e.name)) {
        this.add('stray-entry', 'warning', p, `folder '${e.name}' is not an experiment (MLflow lists no folder whose name ends in ${TRASH})`, {
          action: 'quarantine',
          path: p,
        });
        continue;
      }
      this.scanExperimentCandidate(p, e.name, false);
    }
    this.checkDuplicates();
    this.checkDuplicateRuns();
  }

  scanTrash(trash: string): void {
    for (const e of this.entries(trash)) {
      const p = path.join(trash, e.name);
      if (!e.isDirectory()) {
        this.add('stray-entry', 'warning', p, `stray file '${e.name}' in .trash`, { action: 'quarantine', path: p });
        continue;
      }
      this.scanExperimentCandidate(p, e.name, true);
    }
  }

  scanExperimentCandidate(dir: string, name: string, inTrash: boolean): void {
    const where = inTrash ? `.trash/${name}` : name;
    if (!EXPERIMENT_ID_RE.test(name)) {
      this.add(
        'stray-entry',
        'error',
        dir,
        `folder '${where}' is not an experiment (invalid experiment id); Python MLflow's search_experiments fails on it`,
        { action: 'quarantine', path: dir },
      );
      return;
    }
    const metaPath = path.join(dir, META);
    if (!fs.existsSync(metaPath) && !isSymlink(metaPath)) {
      if (looksLikeStore(dir)) {
        this.add('nested-store', 'warning', dir, `'${where}' is a whole mlruns store nested inside the root; MLflow ignores it`, {
          action: 'quarantine',
          path: dir,
        });
      } else if (isJunkName(name) || isEmptyDir(dir)) {
        this.add('stray-entry', 'warning', dir, `folder '${where}' is not an experiment (no meta.yaml)`, { action: 'quarantine', path: dir });
      } else {
        this.add('missing-meta', 'warning', dir, `experiment folder '${where}' has no meta.yaml: MLflow skips it and every run in it`);
      }
      return;
    }
    const meta = this.readMeta(metaPath, `experiment '${where}'`);
    if (!meta || !meta.ok) return;
    const read = experimentFromDict(meta.data, {});
    if (!read.ok) {
      this.add('damaged-meta', 'error', metaPath, `experiment '${where}': ${read.reason}`);
      return;
    }
    const exp = read.value;
    if (exp.experimentId !== name) {
      this.add(
        'experiment-id-mismatch',
        'warning',
        metaPath,
        `experiment folder '${where}' says experiment_id '${exp.experimentId}'; MLflow ignores the experiment`,
      );
      return;
    }
    if (exp.lifecycleStage !== 'active' && exp.lifecycleStage !== 'deleted') {
      this.add('damaged-meta', 'error', metaPath, `experiment '${where}' has an invalid lifecycle_stage '${exp.lifecycleStage}'`);
    }
    if (inTrash && exp.lifecycleStage === 'active') {
      this.add(
        'legacy-trash-active',
        'warning',
        metaPath,
        `experiment '${where}' is in .trash but says 'active' (deleted by MLflow <= 2.2); MLflow >= 2.3 lists it as active`,
        { action: 'rewrite', file: metaPath, set: { lifecycle_stage: 'deleted' } },
      );
    }
    this.experiments.push({ id: name, name: exp.name, dir, inTrash, creationTime: exp.creationTime });
    this.location(
      resolveLocation(this.root, exp.artifactLocation, { kind: 'experiment', experimentId: name }),
      metaPath,
      'artifact_location',
      `experiment '${where}' (${exp.name})`,
    );
    this.scanExperimentContents(dir, name, where);
  }

  scanExperimentContents(dir: string, expId: string, where: string): void {
    for (const e of this.entries(dir)) {
      const p = path.join(dir, e.name);
      if (!e.isDirectory()) {
        if (e.name === META) continue;
        this.add('stray-entry', 'warning', p, `stray file '${e.name}' in experiment '${where}'`, { action: 'quarantine', path: p });
        continue;
      }
      if (e.name === 'tags') {
        this.scanKeyFolder(p, 'tag', `experiment '${where}'`);
        continue;
      }
      if (e.name === 'models') {
        this.scanLoggedModels(p, expId, where);
        continue;
      }
      if (RESERVED.has(e.name)) continue;
      const runMeta = path.join(p, META);
      if (!fs.existsSync(runMeta) && !isSymlink(runMeta)) {
        if (isJunkName(e.name) || isEmptyDir(p)) {
          this.add('stray-entry', 'warning', p, `folder '${where}/${e.name}' is not a run (no meta.yaml)`, { action: 'quarantine', path: p });
        } else {
          this.add('missing-meta', 'info', p, `folder '${where}/${e.name}' has no meta.yaml: MLflow skips it`);
        }
        continue;
      }
      this.scanRun(p, e.name, expId, where);
    }
  }

  scanRun(runDir: string, folderName: string, expId: string, expWhere: string): void {
    this.runsScanned++;
    this.onProgress?.(this.runsScanned, runDir);
    const where = `${expWhere}/${folderName}`;
    const metaPath = path.join(runDir, META);
    const quarantine: Fix = { action: 'quarantine', path: runDir };
    const meta = this.readMeta(metaPath, `run '${where}'`, quarantine);
    if (!meta || !meta.ok) return;
    const read = runInfoFromDict(meta.data);
    if (!read.ok) {
      this.add('damaged-meta', 'error', metaPath, `run '${where}': ${read.reason}; Python MLflow's search_runs fails on it`, quarantine);
      return;
    }
    const info = read.value;
    if (info.runId !== folderName) {
      const to = path.join(path.dirname(runDir), info.runId);
      const free = /^[0-9a-zA-Z_-]{1,256}$/.test(info.runId) && !fs.existsSync(to) && !isSymlink(to);
      this.add(
        'run-id-mismatch',
        'error',
        metaPath,
        `run folder '${where}' says run_id '${info.runId}': Python MLflow's search_runs fails on it and get_run cannot read it` +
          (free ? '' : ` (folder '${info.runId}' exists too: resolve by hand)`),
        free ? { action: 'rename-run', from: runDir, to } : undefined,
      );
      return;
    }
    const record: RunRecord = {
      runDir,
      where,
      experimentDir: path.dirname(runDir),
      inTrash: path.basename(path.dirname(path.dirname(runDir))) === TRASH && path.dirname(path.dirname(path.dirname(runDir))) === this.root,
      ownExperiment: info.experimentId === expId,
    };
    this.runs.set(folderName, [...(this.runs.get(folderName) ?? []), record]);
    const set: Record<string, string> = {};
    if (info.experimentId !== expId) {
      set['experiment_id'] = expId;
    }
    const target: LayoutTarget = { kind: 'run', experimentId: expId, runId: folderName };
    if (info.experimentId !== expId) {
      // The URI names the experiment the meta says (or this one): point it at where the run is.
      if (info.artifactUri) {
        const parsed = parseLocation(info.artifactUri);
        const named =
          hasTail(parsed.segments, [info.experimentId, folderName, 'artifacts']) || hasTail(parsed.segments, [expId, folderName, 'artifacts']);
        if (named && (parsed.style !== 'other' || parsed.scheme === 'mlflow-artifacts')) {
          const wanted = styledUri(parsed, canonicalPath(this.root, target));
          if (wanted !== info.artifactUri) set['artifact_uri'] = wanted;
        }
      }
      this.add(
        'experiment-id-mismatch',
        'error',
        metaPath,
        `run '${where}' says experiment_id '${info.experimentId}' but is in experiment '${expId}'; MLflow skips it in searches and get_run fails`,
        { action: 'rewrite', file: metaPath, set },
      );
    } else {
      this.location(resolveLocation(this.root, info.artifactUri, target), metaPath, 'artifact_uri', `run '${where}'`);
    }
    if (info.lifecycleStage !== 'active' && info.lifecycleStage !== 'deleted') {
      this.add('damaged-meta', 'error', metaPath, `run '${where}' has an invalid lifecycle_stage`);
    }
    for (const sub of RUN_SUBFOLDERS) {
      const p = path.join(runDir, sub);
      if (isSymlink(p)) continue; // reported by entries()
      if (!isDir(p)) {
        this.add(
          'missing-subfolder',
          'error',
          p,
          `run '${where}' has no '${sub}/' folder (git does not keep empty folders); MLflow >= 3.8 reports the run as not found`,
          { action: 'mkdir', path: p },
        );
      }
    }
    for (const e of this.entries(runDir)) {
      const p = path.join(runDir, e.name);
      if (RUN_ENTRIES.has(e.name)) {
        if (e.name === 'metrics' && e.isDirectory()) this.scanMetrics(p, info.runId, where);
        else if ((e.name === 'params' || e.name === 'tags') && e.isDirectory()) {
          this.scanKeyFolder(p, e.name === 'params' ? 'param' : 'tag', `run '${where}'`);
        } else if (e.name === 'artifacts' && e.isDirectory()) this.scanArtifacts(p);
        continue;
      }
      if (isJunkName(e.name)) {
        this.add('stray-entry', 'warning', p, `stray '${e.name}' in run '${where}'`, { action: 'quarantine', path: p });
      } else {
        this.add('stray-entry', 'info', p, `unexpected '${e.name}' in run '${where}' (MLflow ignores it)`);
      }
    }
  }

  /** Every file under a folder (POSIX relative paths), reporting symlinks; junk folders are reported and not entered. */
  walk(dir: string, onJunkDir: (p: string, rel: string) => void): string[] {
    const out: string[] = [];
    const visit = (abs: string, rel: string): void => {
      for (const e of this.entries(abs)) {
        const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
        const p = path.join(abs, e.name);
        if (e.isDirectory()) {
          if (isJunkName(e.name)) onJunkDir(p, childRel);
          else visit(p, childRel);
        } else out.push(childRel);
      }
    };
    visit(dir, '');
    return out;
  }

  scanMetrics(dir: string, runId: string, where: string): void {
    const junk = (p: string, rel: string): void =>
      this.add('stray-entry', 'error', p, `stray '${rel}' in the metrics of run '${where}': MLflow reads it as a metric and fails`, {
        action: 'quarantine',
        path: p,
      });
    const keys = this.walk(dir, junk);
    this.caseClash(dir, keys, `metrics of run '${where}'`);
    for (const key of keys) {
      const p = path.join(dir, ...key.split('/'));
      const base = key.split('/').pop() as string;
      let valid = true;
      try {
        validateMetricName(key);
      } catch {
        valid = false;
      }
      if (!valid || isJunkName(base)) {
        junk(p, key);
        continue;
      }
      const text = this.readText(p);
      if (text === undefined) continue;
      try {
        parseRunMetricFile(text, key, p, { runId });
      } catch (err) {
        this.add('damaged-metric', 'error', p, `metric '${key}' of run '${where}' cannot be read: ${(err as Error).message}`);
      }
    }
  }

  scanKeyFolder(dir: string, kind: 'param' | 'tag', owner: string): void {
    const junk = (p: string, rel: string): void =>
      this.add('stray-entry', 'warning', p, `stray '${rel}' in the ${kind}s of ${owner}`, { action: 'quarantine', path: p });
    const keys = this.walk(dir, junk);
    this.caseClash(dir, keys, `${kind}s of ${owner}`);
    for (const key of keys) {
      const base = key.split('/').pop() as string;
      let valid = true;
      try {
        if (kind === 'param') validateParamName(key);
        else validateTagName(key);
      } catch {
        valid = false;
      }
      if (!valid || isJunkName(base)) junk(path.join(dir, ...key.split('/')), key);
    }
  }

  scanArtifacts(dir: string): void {
    // Only symlinks matter here (artifacts are the user's files): `entries` reports them.
    const visit = (abs: string): void => {
      for (const e of this.entries(abs)) if (e.isDirectory()) visit(path.join(abs, e.name));
    };
    visit(dir);
  }

  caseClash(dir: string, keys: string[], owner: string): void {
    const seen = new Map<string, string>();
    for (const k of keys) {
      const lc = k.toLowerCase();
      const other = seen.get(lc);
      if (other !== undefined) {
        this.add(
          'case-clash',
          'warning',
          path.join(dir, ...k.split('/')),
          `keys '${other}' and '${k}' in the ${owner} differ only by case: one overwrites the other on macOS and Windows`,
        );
      } else seen.set(lc, k);
    }
  }

  scanLoggedModels(modelsDir: string, expId: string, where: string): void {
    for (const e of this.entries(modelsDir)) {
      const dir = path.join(modelsDir, e.name);
      if (!e.isDirectory()) {
        this.add('stray-entry', 'warning', dir, `stray file '${e.name}' in the logged models of experiment '${where}'`, { action: 'quarantine', path: dir });
        continue;
      }
      const metaPath = path.join(dir, META);
      const meta = this.readMeta(metaPath, `logged model '${where}/models/${e.name}'`);
      if (meta === undefined) {
        if (isJunkName(e.name)) this.add('stray-entry', 'warning', dir, `stray '${e.name}' in the logged models of '${where}'`, { action: 'quarantine', path: dir });
        else this.add('missing-meta', 'warning', dir, `logged model folder '${where}/models/${e.name}' has no meta.yaml`);
        continue;
      }
      if (!meta.ok || typeof meta.data !== 'object' || meta.data === null) continue;
      const loc = (meta.data as Record<string, unknown>)['artifact_location'];
      this.location(
        resolveLocation(this.root, typeof loc === 'string' ? loc : null, { kind: 'logged-model', experimentId: expId, modelId: e.name }),
        metaPath,
        'artifact_location',
        `logged model '${where}/models/${e.name}'`,
      );
      const metrics = path.join(dir, 'metrics');
      if (isDir(metrics)) this.scanKeyFolder(metrics, 'param', `logged model '${e.name}'`);
    }
  }

  scanRegistry(registry: string): void {
    for (const m of this.entries(registry)) {
      const modelDir = path.join(registry, m.name);
      if (!m.isDirectory()) {
        this.add('stray-entry', 'warning', modelDir, `stray file '${m.name}' in the model registry`, { action: 'quarantine', path: modelDir });
        continue;
      }
      for (const v of this.entries(modelDir)) {
        if (!v.isDirectory() || !v.name.startsWith('version-')) continue;
        const metaPath = path.join(modelDir, v.name, META);
        const meta = this.readMeta(metaPath, `model version '${m.name}/${v.name}'`);
        if (!meta || !meta.ok || typeof meta.data !== 'object' || meta.data === null) continue;
        const d = meta.data as Record<string, unknown>;
        for (const key of ['source', 'storage_location']) {
          const value = d[key];
          if (typeof value !== 'string') continue;
          this.location(resolveArtifactPath(this.root, value), metaPath, key, `model version '${m.name}/${v.name}'`);
        }
      }
    }
  }

  checkDuplicates(): void {
    const byId = new Map<string, ExpRecord[]>();
    for (const e of this.experiments) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
    for (const [id, list] of byId) {
      if (list.length > 1) {
        const trashed = list.find((e) => e.inTrash) as ExpRecord;
        this.add(
          'duplicate-id',
          'warning',
          trashed.dir,
          `experiment id '${id}' exists both in the root and in .trash ('${list.map((e) => e.name).join("', '")}'); MLflow reads only the active one`,
        );
      }
    }
    const byName = new Map<string, ExpRecord[]>();
    for (const e of this.experiments) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
    for (const [name, list] of byName) {
      if (list.length < 2) continue;
      const active = list.filter((e) => !e.inTrash).sort(olderFirst);
      const deleted = list.filter((e) => e.inTrash);
      const keep = active[0];
      if (keep) {
        for (const dup of active.slice(1)) {
          const blockers = mergeBlockers(dup.dir, keep.dir);
          this.add(
            'duplicate-name',
            'error',
            dup.dir,
            `experiments '${keep.id}' and '${dup.id}' are both named '${name}' (a merge of two branches?); MLflow's get_experiment_by_name and set_experiment pick one at random` +
              (blockers.length > 0 ? `; cannot merge them automatically: ${blockers.join('; ')}` : ''),
            blockers.length > 0 ? undefined : { action: 'merge-experiment', from: dup.dir, into: keep.dir, fromId: dup.id, intoId: keep.id },
          );
        }
      }
      if (deleted.length > 0 && (active.length > 0 || deleted.length > 1)) {
        for (const d of deleted) {
          this.add(
            'duplicate-name',
            'warning',
            d.dir,
            `deleted experiment '.trash/${d.id}' has the same name '${name}' as ${active.length > 0 ? `active experiment '${active[0]?.id}'` : 'another deleted experiment'}; MLflow refuses to create or rename to this name until it is removed (mlflow gc)`,
          );
        }
      }
    }
  }

  /**
   * The same run id in two or more experiment folders. Python's get_run reads the first folder it
   * lists (and fails when that copy's meta.yaml names another experiment); search_runs returns
   * every copy whose meta.yaml names its own experiment. A copy whose meta.yaml names another
   * experiment while one names its own is a leftover copy (search already ignores it): it goes to
   * the quarantine, nothing lost. Otherwise which to keep is the user's call.
   */
  checkDuplicateRuns(): void {
    for (const [runId, list] of this.runs) {
      if (list.length < 2) continue;
      const ordered = findOrder(this.root, list);
      const first = ordered[0] as RunRecord;
      const names = ordered.map((r) => `'${r.where}'`).join(', ');
      const own = ordered.filter((r) => r.ownExperiment);
      const leftovers = own.length > 0 ? ordered.filter((r) => !r.ownExperiment) : [];
      const read = first.ownExperiment
        ? `Python MLflow's get_run reads '${first.where}' (the first it lists)`
        : `Python MLflow's get_run fails on it ('${first.where}', the first it lists, says another experiment_id)`;
      const searched = own.length > 1 ? `search_runs returns it ${own.length} times` : 'search_runs returns one copy';
      for (const r of ordered) {
        // The experiment-id-mismatch rewrite would make the copy a second searchable run: withheld.
        const mismatch = this.findings.find((f) => f.kind === 'experiment-id-mismatch' && f.path === path.join(r.runDir, META));
        if (mismatch) {
          delete mismatch.fix;
          mismatch.message += `; not rewritten: run '${runId}' is also in ${ordered.filter((o) => o !== r).map((o) => `'${o.where}'`).join(', ')} (see duplicate-run)`;
        }
      }
      const what = `run '${runId}' is in ${ordered.length} experiment folders (${names}; copied by hand or a bad merge?): ${read}; ${searched}`;
      for (const r of leftovers) {
        this.add(
          'duplicate-run',
          'error',
          r.runDir,
          `${what}. '${r.where}' is a leftover copy (its meta.yaml names another experiment; search_runs already ignores it): --fix moves it to the quarantine`,
          { action: 'quarantine', path: r.runDir },
        );
      }
      const kept = ordered.filter((r) => !leftovers.includes(r));
      if (kept.length > 1) {
        this.add(
          'duplicate-run',
          'error',
          (kept[0] as RunRecord).runDir,
          `${what}. Keep one: compare them (diff -r), then move the others out of the store`,
        );
      }
    }
  }
}

/**
 * Orders the copies of a run as Python's `_find_run_root` meets them: the root's experiments
 * before `.trash`'s, each in `os.listdir` order (the file system's, not sorted).
 */
function findOrder(root: string, copies: readonly RunRecord[]): RunRecord[] {
  const rank = new Map<string, number>();
  for (const dir of [root, path.join(root, TRASH)]) directoryOrder(dir).forEach((name, i) => rank.set(path.join(dir, name), i));
  return [...copies].sort((a, b) => Number(a.inTrash) - Number(b.inTrash) || (rank.get(a.experimentDir) ?? 0) - (rank.get(b.experimentDir) ?? 0));
}

function olderFirst(a: ExpRecord, b: ExpRecord): number {
  const ta = a.creationTime ?? Number.POSITIVE_INFINITY;
  const tb = b.creationTime ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (/^\d+$/.test(a.id) && /^\d+$/.test(b.id)) {
    const d = BigInt(a.id) - BigInt(b.id);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Everything that would break Python MLflow (or give wrong results) on a folder: see
 * {@link FindingKind}. Reads only; never follows a symlink out of the root.
 *
 * @example
 * ```ts
 * const findings = diagnose('./mlruns');
 * const clean = findings.every((f) => f.severity === 'info');
 * ```
 */
export function diagnose(root: string, options: { onProgress?: (runsScanned: number, runDir: string) => void } = {}): Finding[] {
  const r = path.resolve(root);
  let st: fs.Stats;
  try {
    st = fs.statSync(r);
  } catch {
    throw notFound(`Tracking root '${r}' does not exist`);
  }
  if (!st.isDirectory()) throw new MlflowError('INVALID_PARAMETER_VALUE', `Tracking root '${r}' is not a directory`);
  const s = new Scanner(r, options.onProgress);
  s.scan();
  return s.findings;
}

/**
 * True when findings hold nothing worse than `info`.
 *
 * @example
 * ```ts
 * process.exitCode = isClean(diagnose(root)) ? 0 : 4;
 * ```
 */
export function isClean(findings: readonly Finding[]): boolean {
  return findings.every((f) => f.severity === 'info');
}

/**
 * One location that points elsewhere and has a matching folder in this root.
 *
 * @example
 * ```ts
 * const r: Remap = { file: '/r/mlruns/0/meta.yaml', key: 'artifact_location', from: 'file:///D:/p/mlruns/0', to: 'file:///r/mlruns/0', kind: 'foreign-path' };
 * ```
 */
export interface Remap {
  /** The meta.yaml holding the location. */
  file: string;
  /** `artifact_uri`, `artifact_location`, `source` or `storage_location`. */
  key: string;
  from: string;
  /** The location in this root, written as MLflow would write it here. */
  to: string;
  kind: Extract<FindingKind, 'foreign-path' | 'relative-path' | 'other-copy-path' | 'remote-artifacts'>;
}

/**
 * Every location of the root (experiments, runs, logged models, model versions) that points
 * elsewhere but has its matching folder here: what readers remap, and what `fix` rewrites.
 *
 * @example
 * ```ts
 * for (const r of remapReport('./mlruns')) console.log(`${r.key} ${r.from} -> ${r.to}`);
 * ```
 */
export function remapReport(root: string, findings: readonly Finding[] = diagnose(root)): Remap[] {
  const out: Remap[] = [];
  for (const f of findings) {
    if (f.kind !== 'foreign-path' && f.kind !== 'relative-path' && f.kind !== 'other-copy-path' && f.kind !== 'remote-artifacts') continue;
    if (f.fix?.action !== 'rewrite') continue;
    const old = readYamlSafe(f.fix.file) ?? {};
    for (const [key, to] of Object.entries(f.fix.set)) {
      out.push({ file: f.fix.file, key, from: String(old[key] ?? ''), to, kind: f.kind });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------ fix

/**
 * One change {@link fix} makes. `description` says it in words.
 *
 * @example
 * ```ts
 * for (const c of planFix(root, diagnose(root))) console.log(c.op, c.description);
 * ```
 */
export type Change =
  /** Sets keys of a meta.yaml (and writes it with LF endings); every other key stays. */
  | { op: 'write-meta'; path: string; set: Record<string, string>; description: string }
  | { op: 'mkdir'; path: string; description: string }
  /** Moves a file or folder: into the quarantine, or from a duplicate experiment into the one kept. */
  | { op: 'move'; from: string; to: string; description: string }
  | { op: 'copy-file'; from: string; to: string; description: string };

/**
 * Options of {@link fix} and {@link planFix}.
 *
 * @example
 * ```ts
 * const options: FixOptions = { dryRun: true, quarantineDir: '/tmp/q' };
 * ```
 */
export interface FixOptions {
  /** Only list the changes (default false). */
  dryRun?: boolean;
  /** Where stray entries go (default `<root>/../.mlruns-quarantine/<timestamp>`); must be outside the root. */
  quarantineDir?: string;
  /** Clock for the quarantine timestamp. */
  now?: () => number;
}

/**
 * What {@link fix} did (or would do, with `dryRun`).
 *
 * @example
 * ```ts
 * const r: FixResult = fix(root, findings, { dryRun: true });
 * console.log(`${r.changes.length} changes`);
 * ```
 */
export interface FixResult {
  changes: Change[];
  applied: boolean;
  quarantineDir: string;
}

/**
 * The default quarantine folder of a root: `<root>/../.mlruns-quarantine/<timestamp>`.
 *
 * @example
 * ```ts
 * quarantineDirFor('/p/mlruns', Date.UTC(2026, 0, 2)); // '/p/.mlruns-quarantine/20260102T000000Z'
 * ```
 */
export function quarantineDirFor(root: string, now: number = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return path.join(path.dirname(path.resolve(root)), QUARANTINE_FOLDER, stamp);
}

/**
 * Turns findings into the list of single changes {@link fix} applies, in order: quarantine
 * moves, experiment merges, meta rewrites, folder creations. Findings without a fix are skipped.
 *
 * @example
 * ```ts
 * const changes = planFix(root, diagnose(root));
 * ```
 */
export function planFix(root: string, findings: readonly Finding[], options: FixOptions = {}): Change[] {
  const r = path.resolve(root);
  const qdir = options.quarantineDir ?? quarantineDirFor(r, (options.now ?? Date.now)());
  const fixes = findings.map((f) => f.fix).filter((f): f is Fix => f !== undefined);

  // 1. quarantine (outermost paths only)
  const qpaths = [...new Set(fixes.filter((f) => f.action === 'quarantine').map((f) => f.path))].sort();
  const quarantined: string[] = [];
  for (const p of qpaths) if (!quarantined.some((q) => isUnder(q, p))) quarantined.push(p);
  const gone = (p: string): boolean => quarantined.some((q) => isUnder(q, p));
  const moves: Change[] = quarantined.map((p) => ({
    op: 'move',
    from: p,
    to: path.join(qdir, path.relative(r, p)),
    description: `quarantine '${path.relative(r, p)}'`,
  }));

  // renamed run folders (after the quarantine, before anything is written inside them)
  for (const f of fixes) {
    if (f.action !== 'rename-run' || gone(f.from)) continue;
    moves.push({ op: 'move', from: f.from, to: f.to, description: `rename run folder '${path.relative(r, f.from)}' to '${path.basename(f.to)}' (the run_id of its meta.yaml)` });
  }

  // 2. merges
  const merges = fixes.filter((f): f is Extract<Fix, { action: 'merge-experiment' }> => f.action === 'merge-experiment' && !gone(f.from) && !gone(f.into));
  const merged = merges.map((m) => m.from);
  const inMerged = (p: string): boolean => merged.some((m) => isUnder(m, p));
  const mergeChanges: Change[] = [];
  for (const m of merges) mergeChanges.push(...planMerge(r, m, qdir, gone));

  // 3. meta rewrites, combined per file; 4. folders
  const writes = new Map<string, Record<string, string>>();
  const mkdirs: string[] = [];
  for (const f of fixes) {
    if (f.action === 'rewrite' || f.action === 'normalize-eol') {
      if (gone(f.file) || inMerged(f.file)) continue;
      const set = writes.get(f.file) ?? {};
      if (f.action === 'rewrite') Object.assign(set, f.set);
      writes.set(f.file, set);
    } else if (f.action === 'mkdir') {
      if (gone(f.path) || inMerged(f.path) || mkdirs.includes(f.path)) continue;
      mkdirs.push(f.path);
    }
  }
  const metaChanges: Change[] = [...writes].map(([file, set]) => ({
    op: 'write-meta',
    path: file,
    set,
    description: describeSet(r, file, set),
  }));
  const dirChanges: Change[] = mkdirs.map((p) => ({ op: 'mkdir', path: p, description: `create folder '${path.relative(r, p)}'` }));
  return [...moves, ...mergeChanges, ...metaChanges, ...dirChanges];
}

function describeSet(root: string, file: string, set: Record<string, string>): string {
  const rel = path.relative(root, file);
  const keys = Object.entries(set);
  if (keys.length === 0) return `rewrite '${rel}' with LF line endings`;
  let old: Record<string, unknown> = {};
  try {
    const d = parseYaml(fs.readFileSync(file, 'utf8'));
    if (d && typeof d === 'object') old = d as Record<string, unknown>;
  } catch {
    /* described without old values */
  }
  return `in '${rel}': ${keys.map(([k, v]) => `${k} ${JSON.stringify(old[k] ?? null)} -> ${JSON.stringify(v)}`).join(', ')}`;
}

/** Changes that merge experiment `from` into `into`. */
function planMerge(root: string, m: Extract<Fix, { action: 'merge-experiment' }>, qdir: string, gone: (p: string) => boolean): Change[] {
  const out: Change[] = [];
  if (mergeBlockers(m.from, m.into).length > 0) return out;
  const rel = (p: string): string => path.relative(root, p);
  const list = (d: string): fs.Dirent[] => {
    try {
      return fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch {
      return [];
    }
  };
  for (const e of list(m.from)) {
    const src = path.join(m.from, e.name);
    if (gone(src)) continue;
    if (e.name === META) continue;
    if (!e.isDirectory() || e.isSymbolicLink()) continue;
    if (e.name === 'tags') {
      for (const key of walkRel(src)) {
        const dst = path.join(m.into, 'tags', ...key.split('/'));
        if (fs.existsSync(dst)) continue;
        out.push({ op: 'copy-file', from: path.join(src, ...key.split('/')), to: dst, description: `copy experiment tag '${key}' from '${m.fromId}' to '${m.intoId}'` });
      }
      continue;
    }
    if (e.name === 'datasets') {
      for (const d of list(src)) {
        const dst = path.join(m.into, 'datasets', d.name);
        if (fs.existsSync(dst)) continue;
        out.push({ op: 'move', from: path.join(src, d.name), to: dst, description: `move dataset '${d.name}' to experiment '${m.intoId}'` });
      }
      continue;
    }
    if (e.name === 'models') {
      for (const md of list(src)) {
        if (!md.isDirectory()) continue;
        const dst = path.join(m.into, 'models', md.name);
        if (fs.existsSync(dst)) continue;
        out.push({ op: 'move', from: path.join(src, md.name), to: dst, description: `move logged model '${md.name}' to experiment '${m.intoId}'` });
        const metaSrc = path.join(src, md.name, META);
        const d = readYamlSafe(metaSrc);
        if (!d) continue;
        const set: Record<string, string> = { experiment_id: m.intoId };
        const loc = d['artifact_location'];
        if (typeof loc === 'string') {
          const res = resolveLocation(root, loc, { kind: 'logged-model', experimentId: m.fromId, modelId: md.name });
          if (res.status !== 'external' && res.status !== 'remote' && res.status !== 'missing' && (res.remapped || res.status === 'inside-root')) {
            set['artifact_location'] = styledUri(parseLocation(loc), canonicalPath(root, { kind: 'logged-model', experimentId: m.intoId, modelId: md.name }));
          }
        }
        const metaDst = path.join(dst, META);
        out.push({ op: 'write-meta', path: metaDst, set, description: describeMoved(rel(metaDst), d, set) });
      }
      continue;
    }
    if (RESERVED.has(e.name)) continue; // traces: a merge is not offered when there are any
    // a run
    const runMetaSrc = path.join(src, META);
    const d = readYamlSafe(runMetaSrc);
    if (!d) continue;
    const dst = path.join(m.into, e.name);
    if (fs.existsSync(dst)) continue; // cannot happen: diagnose offers no merge then (mergeBlockers)
    out.push({ op: 'move', from: src, to: dst, description: `move run '${e.name}' from experiment '${m.fromId}' to '${m.intoId}'` });
    const set: Record<string, string> = { experiment_id: m.intoId };
    const uri = d['artifact_uri'];
    if (typeof uri === 'string') {
      const res = resolveLocation(root, uri, { kind: 'run', experimentId: m.fromId, runId: e.name });
      if (res.status === 'inside-root' || res.remapped) {
        set['artifact_uri'] = styledUri(parseLocation(uri), canonicalPath(root, { kind: 'run', experimentId: m.intoId, runId: e.name }));
      }
    }
    const metaDst = path.join(dst, META);
    out.push({ op: 'write-meta', path: metaDst, set, description: describeMoved(rel(metaDst), d, set) });
    for (const sub of RUN_SUBFOLDERS) {
      if (!isDir(path.join(src, sub))) out.push({ op: 'mkdir', path: path.join(dst, sub), description: `create folder '${rel(path.join(dst, sub))}'` });
    }
  }
  out.push({
    op: 'move',
    from: m.from,
    to: path.join(qdir, path.relative(root, m.from)),
    description: `remove the emptied duplicate experiment '${m.fromId}' (its meta.yaml is kept in the quarantine)`,
  });
  return out;
}

/**
 * Why the runs of `from` cannot all move into `into` (empty when they can): a run or logged
 * model with the same id on both sides, traces (their files name the experiment in several
 * places), symlinks, folders that are not runs, unreadable run metas.
 */
function mergeBlockers(from: string, into: string): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(from, { withFileTypes: true });
  } catch {
    return [`cannot list '${from}'`];
  }
  for (const e of entries) {
    const p = path.join(from, e.name);
    if (e.name === META || (e.name === 'tags' && e.isDirectory()) || (e.name === 'datasets' && e.isDirectory())) continue;
    if (e.isSymbolicLink()) out.push(`'${e.name}' is a symlink`);
    else if (!e.isDirectory()) continue; // stray files are quarantined first
    else if (e.name === 'traces') {
      if (!isEmptyDir(p)) out.push('it has traces');
    } else if (e.name === 'models') {
      for (const m of safeList(p)) if (fs.existsSync(path.join(into, 'models', m))) out.push(`logged model '${m}' is in both`);
    } else if (RESERVED.has(e.name)) continue;
    else if (fs.existsSync(path.join(into, e.name))) out.push(`run '${e.name}' is in both`);
    else if (!readYamlSafe(path.join(p, META)) && !isJunkName(e.name)) out.push(`'${e.name}' is not a readable run`);
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function describeMoved(rel: string, old: Record<string, unknown>, set: Record<string, string>): string {
  return `in '${rel}': ${Object.entries(set).map(([k, v]) => `${k} ${JSON.stringify(old[k] ?? null)} -> ${JSON.stringify(v)}`).join(', ')}`;
}

/**
 * Applies the safe repairs of `findings` (see {@link planFix}) and returns every change. With
 * `dryRun`, only lists them. Refuses to write through a symlink or outside the root.
 *
 * @example
 * ```ts
 * const plan = fix(root, diagnose(root), { dryRun: true });
 * plan.changes.forEach((c) => console.log(c.description));
 * fix(root, diagnose(root));
 * ```
 */
export function fix(root: string, findings: readonly Finding[], options: FixOptions = {}): FixResult {
  const r = path.resolve(root);
  const quarantineDir = options.quarantineDir ?? quarantineDirFor(r, (options.now ?? Date.now)());
  if (isInside(r, quarantineDir)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `The quarantine folder '${quarantineDir}' must be outside the root '${r}'`);
  }
  const changes = planFix(r, findings, { ...options, quarantineDir });
  if (options.dryRun) return { changes, applied: false, quarantineDir };
  const realRoot = fs.realpathSync(r);
  for (const c of changes) applyChange(realRoot, quarantineDir, c);
  return { changes, applied: true, quarantineDir };
}

function applyChange(realRoot: string, qdir: string, c: Change): void {
  switch (c.op) {
    case 'move': {
      assertParentInside(realRoot, c.from);
      const toQuarantine = isUnder(qdir, c.to);
      if (!toQuarantine) assertParentInside(realRoot, c.to, true);
      let to = c.to;
      for (let i = 1; fs.existsSync(to) || isSymlink(to); i++) to = `${c.to}.${i}`;
      fs.mkdirSync(path.dirname(to), { recursive: true });
      if (!toQuarantine) assertParentInside(realRoot, to);
      moveEntry(c.from, to);
      return;
    }
    case 'copy-file': {
      assertParentInside(realRoot, c.from);
      if (isSymlink(c.from)) throw refuse(c.from, 'is a symlink');
      fs.mkdirSync(path.dirname(c.to), { recursive: true });
      assertParentInside(realRoot, c.to);
      if (fs.existsSync(c.to) || isSymlink(c.to)) return;
      fs.copyFileSync(c.from, c.to, fs.constants.COPYFILE_EXCL);
      return;
    }
    case 'mkdir': {
      assertParentInside(realRoot, c.path);
      if (isSymlink(c.path)) throw refuse(c.path, 'is a symlink');
      fs.mkdirSync(c.path, { recursive: true });
      return;
    }
    case 'write-meta': {
      assertParentInside(realRoot, c.path);
      if (isSymlink(c.path)) throw refuse(c.path, 'is a symlink');
      const text = fs.readFileSync(c.path, 'utf8');
      const data = parseYaml(text);
      if (!data || typeof data !== 'object' || Array.isArray(data)) {
        throw new MlflowError('MALFORMED_DATA', `Cannot rewrite '${c.path}': it does not hold a mapping`, { path: c.path });
      }
      const next = { ...(data as YamlMap) };
      for (const [k, v] of Object.entries(c.set)) next[k] = v;
      writeFileAtomic(c.path, dumpYaml(next));
      return;
    }
  }
}

function moveEntry(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // The quarantine is on another device: copy, then remove (symlinks copied as links).
    fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
    fs.rmSync(from, { recursive: true, force: true });
  }
}

function refuse(p: string, why: string): MlflowError {
  return new MlflowError('INVALID_STATE', `Refusing to write '${p}': it ${why}`, { path: p });
}

/** The real folder holding `p` must be inside the real root (no write through a symlinked parent). */
function assertParentInside(realRoot: string, p: string, allowMissing = false): void {
  let dir = path.dirname(p);
  if (allowMissing) {
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  }
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    throw refuse(p, 'has no parent folder');
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw refuse(p, `is outside the root (its folder is '${real}')`);
}

// ------------------------------------------------------------------------------------------ helpers

function isUnder(parent: string, p: string): boolean {
  return p === parent || p.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A real folder (a symlink to one is not: doctor never follows links out of the store). */
function isDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isEmptyDir(p: string): boolean {
  try {
    return fs.readdirSync(p).length === 0;
  } catch {
    return false;
  }
}

function safeReadlink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '?';
  }
}

function readTextSafe(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function readYamlSafe(p: string): Record<string, unknown> | undefined {
  const text = readTextSafe(p);
  if (text === undefined) return undefined;
  try {
    const d = parseYaml(text);
    return d && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A folder that is itself a store: it has `.trash`, or a sub-folder whose meta.yaml is an
 * experiment's (not a run's: an experiment folder that lost its meta.yaml holds run metas).
 */
function looksLikeStore(dir: string): boolean {
  if (isDir(path.join(dir, TRASH))) return true;
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const d = readYamlSafe(path.join(dir, e.name, META));
      if (d && 'experiment_id' in d && 'artifact_location' in d && !('run_id' in d) && !('run_uuid' in d) && !('artifact_uri' in d)) return true;
    }
  } catch {
    return false;
  }
  return false;
}

function walkRel(dir: string): string[] {
  const out: string[] = [];
  walkTree(dir, (_abs, rel, e) => void (e.isFile() && out.push(rel)), { tolerant: true });
  return out;
}
