/**
 * The tags MLflow's run context providers put on every run the fluent API creates
 * (`mlflow/tracking/context/*.py`), computed the same way:
 *
 * | tag | value |
 * | --- | --- |
 * | `mlflow.user` | `MLFLOW_TRACKING_USERNAME`, else `mlflow_tracking_username` of `~/.mlflow/credentials`, else the login name as `getpass.getuser()` finds it (`LOGNAME`, `USER`, `LNAME`, `USERNAME`, then the password database) |
 * | `mlflow.source.name` | the entry script (`process.argv[1]`, Python's `sys.argv[0]`), `<console>` when there is none |
 * | `mlflow.source.type` | `LOCAL` |
 * | `mlflow.source.git.commit` / `.branch` / `.repoURL` | from the repository holding the entry script; all left out when there is no commit |
 * | anything in `MLFLOW_RUN_CONTEXT` | a JSON object of extra tags (`SystemEnvironmentContext`) |
 *
 * `mlflow.runName` is not a context tag: the store sets it.
 *
 * @example
 * ```ts
 * resolveTags({ team: 'churn' });
 * // { 'mlflow.user': 'taro', 'mlflow.source.name': '/home/taro/churn/train.mjs', 'mlflow.source.type': 'LOCAL',
 * //   'mlflow.source.git.commit': '3f2a…', 'mlflow.source.git.branch': 'main', team: 'churn' }
 * ```
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { invalidParameter } from '../errors.js';
import { pythonStr } from '../format/float.js';
import { readGitInfo } from './git.js';

/**
 * The MLflow system tag names the fluent API reads and writes (`mlflow/utils/mlflow_tags.py`).
 *
 * @example
 * ```ts
 * run.data.tags[MLFLOW_TAGS.parentRunId]; // the parent of a nested run
 * ```
 */
export const MLFLOW_TAGS = Object.freeze({
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
  gitBranch: 'mlflow.source.git.branch',
  gitRepoUrl: 'mlflow.source.git.repoURL',
  parentRunId: 'mlflow.parentRunId',
  runNote: 'mlflow.note.content',
  runName: 'mlflow.runName',
  autologging: 'mlflow.autologging',
  loggedModels: 'mlflow.log-model.history',
  datasetContext: 'mlflow.data.context',
} as const);

const MLFLOW_USER = MLFLOW_TAGS.user;
const MLFLOW_SOURCE_NAME = MLFLOW_TAGS.sourceName;
const MLFLOW_SOURCE_TYPE = MLFLOW_TAGS.sourceType;
const MLFLOW_GIT_COMMIT = MLFLOW_TAGS.gitCommit;
const MLFLOW_GIT_BRANCH = MLFLOW_TAGS.gitBranch;
const MLFLOW_GIT_REPO_URL = MLFLOW_TAGS.gitRepoUrl;

const DEFAULT_USER = 'unknown';

/** `mlflow_tracking_username` of the `[mlflow]` section of `~/.mlflow/credentials` (configparser rules). */
function usernameFromCredentialsFile(): string | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(os.homedir(), '.mlflow', 'credentials'), 'utf8');
  } catch {
    return null;
  }
  let inMlflow = false;
  let found: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      inMlflow = section[1] === 'mlflow';
      continue;
    }
    if (!inMlflow) continue;
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && (kv[1] as string).toLowerCase() === 'mlflow_tracking_username') found = kv[2] as string;
  }
  return found;
}

/**
 * The user MLflow records (`mlflow.user`): `MLFLOW_TRACKING_USERNAME`, else the credentials file,
 * else `getpass.getuser()`'s answer.
 *
 * @example
 * ```ts
 * getUser(); // 'taro'
 * ```
 */
export function getUser(): string {
  const fromEnv = process.env['MLFLOW_TRACKING_USERNAME'];
  if (fromEnv) return fromEnv;
  const fromFile = usernameFromCredentialsFile();
  if (fromFile) return fromFile;
  return getLoginName();
}

/**
 * Python's `getpass.getuser()`: `LOGNAME`, `USER`, `LNAME`, `USERNAME`, then the password
 * database (`os.userInfo()`), else `'unknown'`.
 *
 * @example
 * ```ts
 * getLoginName(); // 'taro'
 * ```
 */
export function getLoginName(): string {
  for (const name of ['LOGNAME', 'USER', 'LNAME', 'USERNAME']) {
    const v = process.env[name];
    if (v) return v;
  }
  try {
    return os.userInfo().username || DEFAULT_USER;
  } catch {
    return DEFAULT_USER;
  }
}

/**
 * The entry script (Python's `_get_main_file`, `sys.argv[0]`): `process.argv[1]`, or null in a
 * REPL or `node -e`.
 *
 * @example
 * ```ts
 * getMainFile(); // '/home/taro/churn/train.mjs'
 * ```
 */
export function getMainFile(): string | null {
  const main = process.argv[1];
  return main ? main : null;
}

/**
 * `mlflow.source.name`: the entry script, or `<console>`.
 *
 * @example
 * ```ts
 * getSourceName(); // '/home/taro/churn/train.mjs'
 * ```
 */
export function getSourceName(): string {
  return getMainFile() ?? '<console>';
}

/**
 * `DefaultRunContext.tags()`: user, source name and source type.
 *
 * @example
 * ```ts
 * defaultContextTags(); // { 'mlflow.user': 'taro', 'mlflow.source.name': '/…/train.mjs', 'mlflow.source.type': 'LOCAL' }
 * ```
 */
export function defaultContextTags(): Record<string, string> {
  return {
    [MLFLOW_USER]: getUser(),
    [MLFLOW_SOURCE_NAME]: getSourceName(),
    [MLFLOW_SOURCE_TYPE]: 'LOCAL',
  };
}

const gitCache = new Map<string, Record<string, string>>();

/**
 * `GitRunContext.tags()` for a file (default: the entry script): commit, branch and repo URL,
 * each only when known; nothing at all without a commit. Cached per file for the process
 * lifetime, as MLflow caches it.
 *
 * @example
 * ```ts
 * gitContextTags(); // { 'mlflow.source.git.commit': '3f2a…', 'mlflow.source.git.branch': 'main' }
 * ```
 */
export function gitContextTags(mainFile: string | null = getMainFile()): Record<string, string> {
  if (mainFile === null) return {};
  const key = path.resolve(mainFile);
  const cached = gitCache.get(key);
  if (cached) return { ...cached };
  const tags: Record<string, string> = {};
  try {
    const info = readGitInfo(key);
    if (info.commit !== null) {
      tags[MLFLOW_GIT_COMMIT] = info.commit;
      if (info.branch !== null) tags[MLFLOW_GIT_BRANCH] = info.branch;
      if (info.repoUrl !== null) tags[MLFLOW_GIT_REPO_URL] = info.repoUrl;
    }
  } catch {
    // MLflow logs a warning and records no git tags.
  }
  gitCache.set(key, tags);
  return { ...tags };
}

/**
 * `SystemEnvironmentContext.tags()`: the JSON object in `MLFLOW_RUN_CONTEXT`, values as `str()`.
 *
 * @example
 * ```ts
 * process.env.MLFLOW_RUN_CONTEXT = '{"ci": "github"}';
 * environmentContextTags(); // { ci: 'github' }
 * ```
 */
export function environmentContextTags(): Record<string, string> {
  const raw = process.env['MLFLOW_RUN_CONTEXT'];
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw invalidParameter(`MLFLOW_RUN_CONTEXT is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidParameter('MLFLOW_RUN_CONTEXT must hold a JSON object of tags');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) out[k] = pythonStr(v);
  return out;
}

/**
 * `context_registry.resolve_tags`: the context tags (default, git, environment, in MLflow's
 * provider order) overridden by `tags`.
 *
 * @example
 * ```ts
 * resolveTags({ 'mlflow.user': 'ci-bot' })['mlflow.user']; // 'ci-bot'
 * ```
 */
export function resolveTags(tags: Record<string, string> = {}): Record<string, string> {
  const all: Record<string, string> = {};
  const providers: Array<() => Record<string, string>> = [defaultContextTags, () => gitContextTags(), environmentContextTags];
  for (const provider of providers) {
    try {
      Object.assign(all, provider());
    } catch (err) {
      // MLflow: "Encountered unexpected error during resolving tags" (a warning, not a failure).
      process.emitWarning(`Encountered unexpected error during resolving tags: ${(err as Error).message}`);
    }
  }
  return Object.assign(all, tags);
}
