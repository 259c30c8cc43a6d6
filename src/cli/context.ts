/**
 * What every command shares: global options, the tracking root, the client, exit codes,
 * and the resolution of experiment and run arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { Experiment, PagedList, Run, RunInfo, ViewType } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { MlflowClient, resolveTrackingUri } from '../tracking/client.js';
import { trackingUriToPath, uriScheme } from '../store/uri.js';
import { redactUri } from '../store/rest/index.js';
import { sqliteUriToPath } from '../store/sqlite/db.js';
import { FileStore } from '../store/file/file-store.js';
import { allExperiments } from '../tracking/stores.js';
import { Style, colorEnabled } from './output.js';

/** Exit codes of `mlruns` (documented in docs/cli.md). */
export const EXIT = {
  OK: 0,
  /** Bad command line or invalid argument value (bad filter, bad -P type...). */
  USAGE: 1,
  /** Something named does not exist: root, experiment, run, artifact, metric. */
  NOT_FOUND: 2,
  /** Already exists / wrong state (e.g. restoring an active experiment). */
  CONFLICT: 3,
  /** Damaged data or a file-system error. */
  DATA: 4,
  /** A bug or an unexpected error. */
  INTERNAL: 5,
} as const;

/** An error the CLI reports as one line, with its exit code; `source` + `position` draw a caret. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
    readonly source?: { label: string; text: string; position: number },
  ) {
    super(message);
  }
}

export function exitCodeOf(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_PARAMETER_VALUE':
    case 'BAD_REQUEST':
      return EXIT.USAGE;
    case 'RESOURCE_DOES_NOT_EXIST':
      return EXIT.NOT_FOUND;
    case 'RESOURCE_ALREADY_EXISTS':
    case 'INVALID_STATE':
      return EXIT.CONFLICT;
    case 'MALFORMED_DATA':
    case 'IO_ERROR':
    // A locked database, a tracking server out of reach or still failing after the retries: I/O.
    case 'TEMPORARILY_UNAVAILABLE':
    case 'REQUEST_LIMIT_EXCEEDED':
      return EXIT.DATA;
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return EXIT.USAGE;
    case 'ENDPOINT_NOT_FOUND':
      return EXIT.NOT_FOUND;
    default:
      return EXIT.INTERNAL;
  }
}

export interface GlobalOptions {
  root?: string;
  debug?: boolean;
  color?: boolean;
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Collects a repeatable option whose values may also be comma-separated. */
export function collectCsv(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

export function parseView(v: string | undefined): ViewType {
  switch ((v ?? 'active').toLowerCase()) {
    case 'active':
    case 'active_only':
      return 'ACTIVE_ONLY';
    case 'deleted':
    case 'deleted_only':
      return 'DELETED_ONLY';
    case 'all':
      return 'ALL';
    default:
      throw new CliError(`invalid --view '${v}': expected active, deleted or all`);
  }
}

export function parsePositiveInt(v: string, what: string): number {
  if (!/^\s*\d+\s*$/.test(v) || Number(v) < 1) throw new CliError(`invalid ${what} '${v}': expected a positive integer`);
  return Number(v);
}

/** Clients opened by commands of this process (main reports their read warnings). */
export const openedClients: MlflowClient[] = [];

/** The context of one command invocation. */
export class Ctx {
  readonly globals: GlobalOptions;
  readonly style: Style;
  readonly errStyle: Style;
  private clientCache: MlflowClient | undefined;

  constructor(cmd: Command) {
    this.globals = cmd.optsWithGlobals<GlobalOptions>();
    this.style = new Style(colorEnabled(process.stdout, this.globals.color));
    this.errStyle = new Style(colorEnabled(process.stderr, this.globals.color));
  }

  /** A root given positionally (`mlruns watch ./mlruns`): the same as `--root`, which it must not contradict. */
  useRootArgument(root: string | undefined): void {
    if (root === undefined) return;
    if (this.globals.root && path.resolve(trackingUriToPath(this.globals.root)) !== path.resolve(trackingUriToPath(root))) {
      throw new CliError(`two different roots given: --root ${this.globals.root} and ${root}`);
    }
    this.globals.root = root;
  }

  /** `--root`, else `MLFLOW_TRACKING_URI`, else `./mlruns`. */
  get trackingUri(): string {
    return resolveTrackingUri(this.globals.root || null);
  }

  /** True when the tracking URI is a tracking server (http: or https:), not a folder. */
  get isRemote(): boolean {
    const scheme = uriScheme(this.trackingUri);
    return scheme === 'http' || scheme === 'https';
  }

  /** True when the tracking URI is an MLflow database (`sqlite:`), not a mlruns/ folder. */
  get isDatabase(): boolean {
    return uriScheme(this.trackingUri) === 'sqlite';
  }

  /** Where the data is, for messages: the folder, the database file, or the server's URL (credentials removed). */
  get location(): string {
    return this.isRemote ? redactUri(this.trackingUri) : this.rootPath;
  }

  /** The root folder, or for a `sqlite:` URI the database file; a clear error for a tracking server. */
  get rootPath(): string {
    if (this.isRemote) {
      throw new CliError(`this command works on a mlruns/ folder; '${redactUri(this.trackingUri)}' is a tracking server (use --root DIR)`, EXIT.USAGE);
    }
    return this.isDatabase ? sqliteUriToPath(this.trackingUri) : trackingUriToPath(this.trackingUri);
  }

  /** The mlruns/ folder, for commands that only work on files; a clear error for a database or a server. */
  folderRoot(command: string): string {
    if (this.isRemote) {
      throw new CliError(
        `${command} works on a mlruns/ folder; '${redactUri(this.trackingUri)}' is a tracking server (use --root DIR)`,
        EXIT.USAGE,
      );
    }
    if (this.isDatabase) {
      throw new CliError(
        `${command} works on MLflow's file store (a mlruns/ folder); '${this.trackingUri}' is an SQLite database. ` +
          `Use 'mlruns migrate --from ${this.trackingUri} --to ./mlruns' to get a folder.`,
        EXIT.USAGE,
      );
    }
    return this.rootPath;
  }

  /**
   * The client. Reads refuse a root that does not exist (exit 2); writes create it (with the
   * Default experiment, as MLflow does).
   */
  client(mode: 'read' | 'write'): MlflowClient {
    if (!this.clientCache) {
      if (mode === 'read' && !this.isRemote) {
        const root = this.rootPath;
        let st: fs.Stats | undefined;
        try {
          st = fs.statSync(root);
        } catch {
          st = undefined;
        }
        if (!st) {
          throw new CliError(
            `tracking ${this.isDatabase ? 'database' : 'root'} '${root}' does not exist (use --root DIR or set MLFLOW_TRACKING_URI)`,
            EXIT.NOT_FOUND,
          );
        }
        if (this.isDatabase) {
          if (!st.isFile()) throw new CliError(`tracking database '${root}' is not a file`, EXIT.USAGE);
        } else if (!st.isDirectory()) {
          throw new CliError(`tracking root '${root}' is not a directory`, EXIT.USAGE);
        }
      }
      if (!this.isRemote && !this.isDatabase) checkNotInsideStore(this.rootPath);
      this.clientCache = new MlflowClient(this.trackingUri, {
        onWarning: this.globals.debug ? (w) => process.stderr.write(`mlruns: warning: ${w.message}\n`) : () => undefined,
      });
      openedClients.push(this.clientCache);
      if (mode === 'write' && this.clientCache.store instanceof FileStore) this.clientCache.store.ensureRoot();
    }
    return this.clientCache;
  }

  /**
   * An experiment by id or by name: an existing id wins, then an exact name.
   */
  async experiment(idOrName: string, client = this.client('read')): Promise<Experiment> {
    const store = client.store;
    const maybeId = /^[A-Za-z0-9][\w-]*$/u.test(idOrName);
    if (maybeId && (!(store instanceof FileStore) || store.experimentDir(idOrName) !== undefined)) {
      try {
        return await client.getExperiment(idOrName);
      } catch (e) {
        // A database's (or a tracking server's) experiment ids are integers: a name is not a malformed id there.
        if (!(e instanceof MlflowError && (e.code === 'RESOURCE_DOES_NOT_EXIST' || (e.code === 'INVALID_PARAMETER_VALUE' && !(store instanceof FileStore))))) throw e;
      }
    }
    const byName = await client.getExperimentByName(idOrName);
    if (byName) return byName;
    throw new CliError(`no experiment with id or name '${idOrName}'`, EXIT.NOT_FOUND);
  }

  /** Experiment ids for `--experiment` values (names or ids); none given: every experiment of the view. */
  async experimentIds(values: string[] | undefined, view: ViewType, client = this.client('read')): Promise<string[]> {
    if (values && values.length > 0) {
      const ids: string[] = [];
      for (const v of values) ids.push((await this.experiment(v, client)).experimentId);
      return [...new Set(ids)];
    }
    // Runs of deleted experiments are deleted too: include them when deleted runs are asked for.
    return (await allExperiments(client.store, view === 'ACTIVE_ONLY' ? 'ACTIVE_ONLY' : 'ALL')).map((e) => e.experimentId);
  }

  /** A run id from a full id or a unique prefix (at least 4 characters) of one. */
  async runId(arg: string, client = this.client('read')): Promise<string> {
    try {
      return (await client.getRun(arg)).info.runId;
    } catch (e) {
      if (!(e instanceof MlflowError && (e.code === 'RESOURCE_DOES_NOT_EXIST' || e.code === 'INVALID_PARAMETER_VALUE' || e.code === 'INVALID_STATE'))) throw e;
      // The same run id in two experiment folders, the first of which MLflow cannot read: say so.
      const duplicate = client.warnings.find((w) => w.code === 'DUPLICATE_RUN' && path.basename(w.path) === arg);
      if (duplicate && e.code === 'INVALID_STATE') {
        throw new CliError(`run '${arg}' cannot be read: ${e.message} ${duplicate.message}`, EXIT.DATA);
      }
      const matches = arg.length >= 4 && /^[\w-]+$/.test(arg) ? await this.runsWithPrefix(arg, client) : [];
      const exact = matches.filter((r) => r.runId === arg);
      if (exact.length > 1) {
        throw new CliError(
          `run '${arg}' is recorded ${exact.length} times (experiments ${exact.map((r) => r.experimentId).join(', ')}): the store is damaged; 'mlruns doctor' shows where`,
          EXIT.DATA,
        );
      }
      if (exact.length === 1 || (e.code === 'INVALID_STATE' && matches.length === 0)) {
        // The folder is there but MLflow cannot read it: say why, and name the repair.
        throw new CliError(`run '${arg}' cannot be read: ${e.message} ('mlruns doctor' shows why; 'mlruns doctor --fix' repairs what it can)`, EXIT.DATA);
      }
      const ids = [...new Set(matches.map((r) => r.runId))];
      if (ids.length === 1) return ids[0] as string;
      if (ids.length > 1) {
        throw new CliError(
          `run id prefix '${arg}' is ambiguous: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`,
          EXIT.USAGE,
        );
      }
      throw new CliError(`run '${arg}' not found in '${this.location}'`, EXIT.NOT_FOUND);
    }
  }

  private async runsWithPrefix(prefix: string, client: MlflowClient): Promise<RunInfo[]> {
    const store = client.store;
    const out: RunInfo[] = [];
    if (!(store instanceof FileStore)) {
      const ids = (await allExperiments(store, 'ALL')).map((e) => e.experimentId);
      let pageToken: string | null = null;
      do {
        const page: PagedList<Run> = await store.searchRuns(ids, { runViewType: 'ALL', maxResults: 50000, pageToken });
        for (const r of page.items) if (r.info.runId.startsWith(prefix)) out.push(r.info);
        pageToken = page.token;
      } while (pageToken);
      return out;
    }
    // An experiment both in the root and in .trash (a store some MLflow versions left) is listed
    // twice: each experiment folder is searched once.
    const seen = new Set<string>();
    for (const exp of store.listExperiments('ALL')) {
      const dir = store.experimentDir(exp.experimentId);
      if (!dir || seen.has(dir)) continue;
      seen.add(dir);
      for (const { info } of store.listRunInfos(exp.experimentId, dir, 'ALL')) {
        if (info.runId.startsWith(prefix)) out.push(info);
      }
    }
    return out;
  }
}

/**
 * Refuses an experiment or run folder given as the root (`--root mlruns/0`), which would
 * otherwise read as an empty store, naming the root to use.
 */
export function checkNotInsideStore(root: string): void {
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, 'meta.yaml'), 'utf8');
  } catch {
    return;
  }
  const isRun = /^(run_uuid|run_id):/m.test(text);
  const isExperiment = !isRun && /^experiment_id:/m.test(text);
  if (!isRun && !isExperiment) return;
  let storeRoot = path.dirname(path.resolve(root));
  if (isRun) storeRoot = path.dirname(storeRoot);
  if (path.basename(storeRoot) === '.trash') storeRoot = path.dirname(storeRoot);
  const rel = path.relative(process.cwd(), storeRoot) || '.';
  throw new CliError(
    `'${root}' is ${isRun ? 'a run' : 'an experiment'} folder, not a tracking root: the root is '${rel}' (use --root ${rel}${isRun ? ` and the run id ${path.basename(path.resolve(root))}` : ` and -e ${path.basename(path.resolve(root))}`})`,
    EXIT.USAGE,
  );
}

/** Edit distance (Damerau-Levenshtein, optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** `unknown command 'x' (did you mean y?)`, as commander words it. */
export function unknownCommand(word: string, candidates: string[], group: string): CliError {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD && d <= Math.max(1, Math.floor(c.length * 0.4))) {
      best = c;
      bestD = d;
    }
  }
  return new CliError(`unknown command '${group} ${word}'${best ? ` (did you mean ${best}?)` : ''}`, EXIT.USAGE);
}

/** Absolute path, for messages. */
export function abs(p: string): string {
  return path.resolve(p);
}
