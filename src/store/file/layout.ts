/**
 * The layout of an `mlruns/` folder, in one place: the names MLflow's file store gives its
 * folders and files, which folders are experiments, and how a folder is listed (the symlink
 * rule). The store, the catalog, the watcher, `doctor` and `gc` all read the layout from here.
 *
 * ```
 * <root>/<experiment id>/meta.yaml                experiment
 * <root>/<experiment id>/tags|datasets|traces|models/   reserved: never runs
 * <root>/<experiment id>/<run id>/meta.yaml       run: metrics/ params/ tags/ artifacts/ inputs/ outputs/
 * <root>/.trash/<experiment id>/...               deleted experiments
 * <root>/models/<name>/version-<n>/meta.yaml      the model registry
 * ```
 *
 * @example
 * ```ts
 * listExperimentFolders('/data/mlruns'); // [{ location: 'root', name: '0' }, { location: 'trash', name: '5' }]
 * ```
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDirectory, linkStaysWithin, listDir } from './fs.js';

/** The folder of deleted experiments, in the root. */
export const TRASH = '.trash';
/** The metadata file of experiments, runs, logged models, inputs, datasets and registry entries. */
export const META = 'meta.yaml';
/** The model registry's folder in the root, and the logged models' folder in an experiment. */
export const MODELS = 'models';
/** Folders of an experiment folder that are never runs. */
export const RESERVED_EXPERIMENT_FOLDERS: ReadonlySet<string> = new Set(['tags', 'datasets', 'traces', MODELS]);
/** The experiment every new root gets. */
export const DEFAULT_EXPERIMENT_ID = '0';
/** The folders of a run folder MLflow creates (`tags/` only once a tag is set). */
export const RUN_FOLDERS = ['metrics', 'params', 'tags', 'artifacts'] as const;
/** The folders MLflow >= 3.8 requires before it calls a folder a run (`_find_run_root`). */
export const REQUIRED_RUN_FOLDERS = ['metrics', 'params', 'artifacts'] as const;
/** Every entry a run folder may hold. */
export const RUN_ENTRIES: ReadonlySet<string> = new Set([META, ...RUN_FOLDERS, 'inputs', 'outputs']);
/** Valid experiment ids (and so experiment folder names). */
export const EXPERIMENT_ID_RE = /^[a-zA-Z0-9][\p{L}\p{N}_-]{0,63}$/u;

/** Where an experiment folder is: in the root (active) or in `.trash` (deleted). */
export type Location = 'root' | 'trash';

/**
 * The one rule for which folders are experiments, MLflow's `_get_active_experiments`: every
 * sub-folder of the root but `.trash` (and any name ending in it) and the registry's `models`;
 * every sub-folder of `.trash`. `listExperiments` and every scanner list these.
 *
 * @example
 * ```ts
 * isExperimentFolder('root', '12'); // true
 * isExperimentFolder('root', 'models'); // false
 * ```
 */
export function isExperimentFolder(location: Location, name: string): boolean {
  return location === 'trash' || (!name.endsWith(TRASH) && name !== MODELS);
}

/**
 * The folder an experiment id names, MLflow's `_get_experiment_path` (a lookup by id, not a
 * listing: Python finds `<root>/x.trash` by its id though it does not list it): the root's
 * `<id>` (not `.trash`, not `models`) before `.trash/<id>`; undefined for an id that cannot be a
 * folder name. Searches by experiment id (the scan and the catalog) resolve ids with it.
 *
 * @example
 * ```ts
 * experimentFolderOf('/data/mlruns', '5', 'ALL'); // '/data/mlruns/.trash/5' once deleted
 * ```
 */
export function experimentFolderOf(root: string, experimentId: string, view: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' = 'ALL'): string | undefined {
  if (!isExperimentIdFolderName(experimentId)) return undefined;
  if (view !== 'DELETED_ONLY') {
    const p = path.join(root, experimentId);
    if (experimentId !== TRASH && experimentId !== MODELS && isDirectory(p)) return p;
  }
  if (view !== 'ACTIVE_ONLY') {
    const p = path.join(root, TRASH, experimentId);
    if (isDirectory(p)) return p;
  }
  return undefined;
}

/** False for ids that cannot name a folder of the root (`''`, `.`, `..`, a path separator). */
export function isExperimentIdFolderName(experimentId: string): boolean {
  return !(experimentId === '' || experimentId.includes('/') || experimentId.includes('\\') || experimentId === '.' || experimentId === '..');
}

/**
 * The names in `dir` in the order the file system lists them, as Python's `os.listdir` gives
 * them (Node's `readdirSync` sorts them); empty when `dir` cannot be read. Where Python takes the
 * first of several matches in listing order (`_find_run_root`), this is the order to follow.
 *
 * @example
 * ```ts
 * directoryOrder('/data/mlruns'); // ['906749787286247159', '.trash', '0'] on ext4 (hash order)
 * ```
 */
export function directoryOrder(dir: string): string[] {
  let d: fs.Dir;
  try {
    d = fs.opendirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  try {
    for (let e = d.readSync(); e !== null; e = d.readSync()) out.push(e.name);
  } catch {
    // A folder that stops being readable midway: what was listed.
  } finally {
    d.closeSync();
  }
  return out;
}

/**
 * The sub-folders of `dir` (symbolic links to folders included, as Python's `os.path.isdir`).
 *
 * @example
 * ```ts
 * listFolders('/data/mlruns/0'); // [{ name: 'abc', link: false }]
 * ```
 */
export function listFolders(dir: string): { name: string; link: boolean }[] {
  const out: { name: string; link: boolean }[] = [];
  for (const e of listDir(dir)) {
    if (e.isDirectory()) out.push({ name: e.name, link: false });
    else if (e.isSymbolicLink() && isDirectory(path.join(dir, e.name))) out.push({ name: e.name, link: true });
  }
  return out;
}

/**
 * The experiment folders of a root, the root's first, then `.trash`'s. `listed` (default): the
 * folders {@link isExperimentFolder} calls experiments, as `listExperiments` lists them; `by-id`:
 * every folder an experiment id can name ({@link experimentFolderOf}), which a search by id
 * reads (the catalog indexes these).
 *
 * @example
 * ```ts
 * listExperimentFolders('/data/mlruns').map((f) => f.name); // ['0', '12', '5']
 * ```
 */
export function listExperimentFolders(root: string, rule: 'listed' | 'by-id' = 'listed'): { location: Location; name: string; dir: string }[] {
  const out: { location: Location; name: string; dir: string }[] = [];
  const keep =
    rule === 'listed'
      ? isExperimentFolder
      : (location: Location, name: string): boolean =>
          isExperimentIdFolderName(name) && (location === 'trash' || (name !== TRASH && name !== MODELS));
  for (const { name } of listFolders(root)) {
    if (keep('root', name)) out.push({ location: 'root', name, dir: path.join(root, name) });
  }
  const trash = path.join(root, TRASH);
  for (const { name } of listFolders(trash)) {
    if (keep('trash', name)) out.push({ location: 'trash', name, dir: path.join(trash, name) });
  }
  return out;
}

/**
 * The run folders of an experiment folder (every sub-folder but the reserved ones), each with
 * whether it leads outside the root through a symbolic link (`root`: the root's real path; a
 * scan does not read such a run). `experimentOutside`: the experiment folder itself does.
 *
 * @example
 * ```ts
 * listRunFolders('/data/mlruns/0', fs.realpathSync('/data/mlruns')); // [{ name: 'abc', outside: false }]
 * ```
 */
export function listRunFolders(experimentDir: string, root: string, experimentOutside = false): { name: string; outside: boolean }[] {
  const out: { name: string; outside: boolean }[] = [];
  for (const f of listFolders(experimentDir)) {
    if (RESERVED_EXPERIMENT_FOLDERS.has(f.name)) continue;
    out.push({ name: f.name, outside: experimentOutside || (f.link && !linkStaysWithin(path.join(experimentDir, f.name), root)) });
  }
  return out;
}

/**
 * True when `p` is a symbolic link leading outside the real folder `root` (a link planted in a
 * shared or cloned store must not make us read or write outside it).
 *
 * @example
 * ```ts
 * leavesRoot('/data/mlruns/0/abc', '/data/mlruns'); // false
 * ```
 */
export function leavesRoot(p: string, root: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return false;
  }
  return st.isSymbolicLink() && !linkStaysWithin(p, root);
}
