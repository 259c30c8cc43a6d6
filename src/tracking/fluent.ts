/**
 * The fluent tracking API, as Python's `mlflow` module: an active run per context, started on
 * demand, nested on request, ended with a status.
 *
 * Where the active run lives: inside {@link withRun} the run stack is held in an
 * `AsyncLocalStorage`, so concurrent `withRun` calls in one process never see each other's runs;
 * {@link startRun} outside any `withRun` uses one process-level stack (Python's thread-local
 * stack of the main thread).
 *
 * Environment variables read as MLflow reads them: `MLFLOW_TRACKING_URI`,
 * `MLFLOW_EXPERIMENT_NAME`, `MLFLOW_EXPERIMENT_ID`, `MLFLOW_RUN_ID` (the run `startRun()`
 * attaches to; consumed on use, as in Python), `MLFLOW_RUN_CONTEXT`, `MLFLOW_TRACKING_USERNAME`.
 *
 * While a fluent run is active the process is watched: SIGINT/SIGTERM mark the active runs
 * KILLED (after writing buffered metrics) then the signal is raised again so the process ends as
 * it would have; an uncaught exception or unhandled rejection that is about to end the process
 * marks them FAILED; `process.exit(code)` marks them FINISHED (code 0) or FAILED; runs still
 * active when the event loop drains are ended the same way (Python's `atexit` `end_run`; FAILED
 * when `process.exitCode` is not 0). The
 * listeners are removed as soon as no fluent run is active.
 *
 * @example
 * ```ts
 * import * as mlflow from 'mlruns/fluent';
 * mlflow.setTrackingUri('./mlruns');
 * await mlflow.setExperiment('/Users/taro/churn_prediction');
 * await mlflow.withRun({ runName: 'baseline' }, async () => {
 *   await mlflow.logParams({ lr: 0.1, epochs: 10 });
 *   for (let epoch = 0; epoch < 10; epoch++) await mlflow.logMetric('loss', 1 / (epoch + 1), { step: epoch });
 * });
 * ```
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import type { DatasetInput, Experiment, Metric, Run, RunStatus } from '../entities.js';
import { pyJson } from '../format/json.js';
import { MlflowError, invalidParameter, invalidState } from '../errors.js';
import { pythonStr } from '../format/float.js';
import { validateMetric } from '../format/validation.js';
import { pathToLocalFileUri } from '../store/uri.js';
import { FileStore } from '../store/file/file-store.js';
import { RestStore } from '../store/rest/index.js';
import os from 'node:os';
import { checkTrackingUri } from './stores.js';
import { MlflowClient, resolveTrackingUri } from './client.js';
import { MLFLOW_TAGS, resolveTags } from './context.js';

const MLFLOW_DATASET_CONTEXT = MLFLOW_TAGS.datasetContext;
const MLFLOW_PARENT_RUN_ID = MLFLOW_TAGS.parentRunId;
const MLFLOW_RUN_NAME = MLFLOW_TAGS.runName;
const MLFLOW_RUN_NOTE = MLFLOW_TAGS.runNote;

/**
 * A run made active by {@link startRun}: the run as it was when it became active (read it again
 * with `getClient().getRun(id)` for what was logged since).
 *
 * @example
 * ```ts
 * const run: ActiveRun = await startRun();
 * console.log(run.info.runId, run.info.artifactUri);
 * ```
 */
export type ActiveRun = Run;

/**
 * Options of {@link startRun} and {@link withRun}, as Python's `start_run`.
 *
 * @example
 * ```ts
 * const options: StartRunOptions = { runName: 'fold-1', nested: true, tags: { fold: 1 }, description: 'CV fold' };
 * ```
 */
export interface StartRunOptions {
  /** Resume this run (status set back to RUNNING); the other options but `tags`/`description`/`runName` are ignored. */
  runId?: string | null;
  /** Experiment of a new run; default: the active experiment, `MLFLOW_EXPERIMENT_NAME`/`_ID`, else '0'. */
  experimentId?: string | number | null;
  runName?: string | null;
  /** Start a run while another is active, as its child (`mlflow.parentRunId`). */
  nested?: boolean;
  /** Parent of the new run; must be the active run when there is one. */
  parentRunId?: string | null;
  /** Tags of the run; values stored as Python's `str()`. */
  tags?: Record<string, unknown> | null;
  /** Stored as the `mlflow.note.content` tag. */
  description?: string | null;
}

/**
 * A dataset for {@link logInput}, as MLflow's `Dataset` entity.
 *
 * @example
 * ```ts
 * const ds: DatasetSpec = { name: 'churn', digest: 'a1b2c3d4', source: { uri: 'data/churn.csv' }, sourceType: 'local' };
 * ```
 */
export interface DatasetSpec {
  name: string;
  digest: string;
  /** The source as MLflow stores it: a JSON string (`'{"uri": "data.csv"}'`) or an object to serialize. */
  source: string | Record<string, unknown>;
  /** `local`, `http`, `code`, `s3`... */
  sourceType: string;
  /** A JSON string or an object to serialize. */
  schema?: string | Record<string, unknown> | null;
  /** A JSON string or an object to serialize. */
  profile?: string | Record<string, unknown> | null;
}

interface RunEntry {
  run: Run;
  runId: string;
  client: MlflowClient;
}

interface RunStack {
  runs: RunEntry[];
  parent: RunStack | null;
  last: { runId: string; client: MlflowClient } | null;
  lock: Promise<void>;
}

const newStack = (parent: RunStack | null): RunStack => ({ runs: parent ? [...parent.runs] : [], parent, last: null, lock: Promise.resolve() });

/**
 * The fluent API's module state, all of it, in one place: the active-run context (the process's
 * run stack and the per-async-context stacks of `withRun`/`startRun` contexts), the tracking URI
 * and experiment set by `setTrackingUri`/`setExperiment`, one client per URI, the metric values
 * coalesced until their write, and the runs the exit handlers end (with the handlers' re-entry
 * guards). Nothing else at module level changes; the process is touched only by the handlers,
 * installed while a run is active and removed after.
 */
const state = {
  processStack: newStack(null),
  contextStacks: new AsyncLocalStorage<RunStack>(),
  trackingUri: null as string | null,
  activeExperimentId: null as string | null,
  clients: new Map<string, MlflowClient>(),
  metricBuffers: new Map<MlflowClient, Map<string, MetricBuffer>>(),
  remoteBuffers: new Map<MlflowClient, Map<string, RemoteBuffer>>(),
  activeEntries: new Set<RunEntry>(),
  shuttingDown: false,
  endingAll: false,
};

const currentStack = (): RunStack => state.contextStacks.getStore() ?? state.processStack;
const topEntry = (stack: RunStack): RunEntry | undefined => stack.runs[stack.runs.length - 1];

/** Runs one start at a time per stack, so two concurrent "start if none" never create two runs. */
function serialized<T>(stack: RunStack, fn: () => Promise<T>): Promise<T> {
  const result = stack.lock.then(fn, fn);
  stack.lock = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}

// ---------------------------------------------------------------- tracking URI and experiment


/**
 * Sets the tracking URI (a path or `file:` URI) for runs started from now on; also exported as
 * `MLFLOW_TRACKING_URI` so child processes inherit it, as Python does. `null` goes back to the
 * environment/default. Unlike Python, a different URI also forgets the experiment made active by
 * {@link setExperiment} (its id belongs to the previous store).
 *
 * @example
 * ```ts
 * setTrackingUri('file:///tmp/mlruns');
 * ```
 */
export function setTrackingUri(uri: string | null): void {
  if (uri !== null) checkTrackingUri(resolveTrackingUri(uri));
  if (uri !== state.trackingUri) forgetActiveExperiment();
  if (uri === null) {
    state.trackingUri = null;
    delete process.env['MLFLOW_TRACKING_URI'];
    return;
  }
  state.trackingUri = uri;
  process.env['MLFLOW_TRACKING_URI'] = uri;
}

/** An experiment id means nothing in another store: a new tracking URI forgets the active one. */
function forgetActiveExperiment(): void {
  if (state.activeExperimentId !== null && process.env['MLFLOW_EXPERIMENT_ID'] === state.activeExperimentId) delete process.env['MLFLOW_EXPERIMENT_ID'];
  state.activeExperimentId = null;
}

/**
 * The tracking URI in use: the one set, else `MLFLOW_TRACKING_URI`, else `file://<cwd>/mlruns`.
 *
 * @example
 * ```ts
 * getTrackingUri(); // 'file:///home/taro/churn/mlruns'
 * ```
 */
export function getTrackingUri(): string {
  if (state.trackingUri !== null) return state.trackingUri;
  const env = process.env['MLFLOW_TRACKING_URI'];
  if (env) return env;
  return pathToLocalFileUri(path.resolve('mlruns'));
}

/**
 * The {@link MlflowClient} the fluent API uses for the current tracking URI (one per URI). The
 * store root and its Default experiment are created on first use, as Python's `FileStore` does.
 *
 * @example
 * ```ts
 * const client = getClient();
 * const { runs } = await client.searchRuns(['0']);
 * ```
 */
export function getClient(): MlflowClient {
  const uri = getTrackingUri();
  let client = state.clients.get(uri);
  if (!client) {
    client = new MlflowClient(uri);
    state.clients.set(uri, client);
  }
  if (client.store instanceof FileStore) client.store.ensureRoot();
  return client;
}

/**
 * Makes an experiment active, by name (created when missing; names such as
 * `/Users/taro/churn_prediction` work) or by id. Also exported as `MLFLOW_EXPERIMENT_ID`, as
 * Python does.
 *
 * @example
 * ```ts
 * const exp = await setExperiment('/Users/taro/churn_prediction');
 * await setExperiment({ experimentId: exp.experimentId });
 * ```
 */
export async function setExperiment(
  experiment: string | { experimentName?: string | null; experimentId?: string | number | null },
): Promise<Experiment> {
  const spec = typeof experiment === 'string' ? { experimentName: experiment, experimentId: null } : experiment;
  const name = spec.experimentName ?? null;
  const id = spec.experimentId === null || spec.experimentId === undefined ? null : String(spec.experimentId);
  if ((name === null) === (id === null)) {
    throw invalidParameter('Must specify exactly one of: `experiment_id` or `experiment_name`.');
  }
  const client = getClient();
  let exp: Experiment;
  if (id === null) {
    const found = await client.getExperimentByName(name as string);
    if (found) exp = found;
    else {
      try {
        exp = await client.getExperiment(await client.createExperiment(name as string));
      } catch (err) {
        if (!(err instanceof MlflowError && err.code === 'RESOURCE_ALREADY_EXISTS')) throw err;
        const raced = await client.getExperimentByName(name as string);
        if (!raced) throw err;
        exp = raced;
      }
    }
  } else {
    exp = await client.getExperiment(id);
  }
  if (exp.lifecycleStage !== 'active') {
    throw invalidParameter(
      `Cannot set a deleted experiment '${exp.name}' as the active experiment. You can restore the experiment, or permanently delete the experiment to create a new one.`,
    );
  }
  state.activeExperimentId = exp.experimentId;
  process.env['MLFLOW_EXPERIMENT_ID'] = exp.experimentId;
  return exp;
}

/** `_get_experiment_id_from_env`. */
async function experimentIdFromEnv(client: MlflowClient): Promise<string | null> {
  const name = process.env['MLFLOW_EXPERIMENT_NAME'] || null;
  const id = process.env['MLFLOW_EXPERIMENT_ID'] || null;
  if (name !== null) {
    const exp = await client.getExperimentByName(name);
    if (exp) {
      if (id && id !== exp.experimentId) {
        throw invalidParameter(
          `The provided MLFLOW_EXPERIMENT_ID environment variable value \`${id}\` does not match the experiment id \`${exp.experimentId}\` for experiment name \`${name}\``,
        );
      }
      return exp.experimentId;
    }
    return client.createExperiment(name);
  }
  if (id !== null) {
    try {
      return (await client.getExperiment(id)).experimentId;
    } catch (err) {
      throw invalidParameter(
        `The provided MLFLOW_EXPERIMENT_ID environment variable value \`${id}\` does not exist in the tracking server. Provide a valid experiment_id.`,
        { cause: err },
      );
    }
  }
  return null;
}

async function experimentIdForNewRun(client: MlflowClient): Promise<string> {
  if (state.activeExperimentId) return state.activeExperimentId;
  return (await experimentIdFromEnv(client)) ?? '0';
}

// ---------------------------------------------------------------- runs

function toTagStrings(kind: string, tags: Record<string, unknown> | null | undefined): Record<string, string> {
  if (tags === null || tags === undefined) return {};
  if (typeof tags !== 'object' || Array.isArray(tags)) {
    throw invalidParameter(`${kind} must be an object of key → value, got ${Array.isArray(tags) ? 'an array' : typeof tags}`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) out[key] = strValue(kind === 'Tags' ? 'tag' : 'param', key, value);
  return out;
}

function strValue(kind: 'param' | 'tag', key: string, value: unknown): string {
  try {
    return pythonStr(value);
  } catch (err) {
    throw invalidParameter(`Invalid value for ${kind} '${key}': ${(err as Error).message}`, { cause: err });
  }
}

async function doStartRun(stack: RunStack, options: StartRunOptions): Promise<RunEntry> {
  const first = stack.runs[0];
  if (first && !options.nested) {
    throw invalidState(
      `Run with UUID ${first.runId} is already active. To start a new run, first end the current run with mlflow.end_run(). To start a nested run, call start_run with nested=True`,
    );
  }
  const client = getClient();
  let existingRunId: string | null = options.runId || null;
  if (!existingRunId && process.env['MLFLOW_RUN_ID']) {
    existingRunId = process.env['MLFLOW_RUN_ID'];
    delete process.env['MLFLOW_RUN_ID'];
  }
  let run: Run;
  if (existingRunId) {
    const existing = await client.getRun(existingRunId);
    if (state.activeExperimentId !== null && state.activeExperimentId !== existing.info.experimentId) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Cannot start run with ID ${existingRunId} because active experiment ID does not match environment run ID. Make sure --experiment-name or --experiment-id matches experiment set with set_experiment(), or just use command-line arguments`,
      );
    }
    if (existing.info.lifecycleStage === 'deleted') {
      throw invalidParameter(`Cannot start run with ID ${existingRunId} because it is in the deleted state.`);
    }
    await client.updateRun(existingRunId, { status: 'RUNNING', name: options.runName ?? null });
    const tags = toTagStrings('Tags', options.tags);
    if (options.description) {
      if (MLFLOW_RUN_NOTE in tags) {
        throw invalidParameter(
          `Description is already set via the tag ${MLFLOW_RUN_NOTE} in tags.Remove the key ${MLFLOW_RUN_NOTE} from the tags or omit the description.`,
        );
      }
      tags[MLFLOW_RUN_NOTE] = options.description;
    }
    const tagList = Object.entries(tags).map(([key, value]) => ({ key, value }));
    if (tagList.length > 0) await client.logBatch(existingRunId, { tags: tagList });
    run = await client.getRun(existingRunId);
  } else {
    let parentRunId = options.parentRunId || null;
    const top = topEntry(stack);
    if (parentRunId) {
      if (top && parentRunId !== top.runId) {
        throw invalidParameter(
          `Current run with UUID ${top.runId} does not match the specified parent_run_id ${parentRunId}. To start a new nested run under the parent run with UUID ${top.runId}, first end the current run with mlflow.end_run().`,
        );
      }
      const parent = await client.getRun(parentRunId);
      if (parent.info.lifecycleStage === 'deleted') {
        throw invalidParameter(`Cannot start run under parent run with ID ${parentRunId} because it is in the deleted state.`);
      }
    } else {
      parentRunId = top ? top.runId : null;
    }
    const experimentId =
      options.experimentId !== null && options.experimentId !== undefined ? String(options.experimentId) : await experimentIdForNewRun(client);
    const userTags = toTagStrings('Tags', options.tags);
    if (options.description) {
      if (MLFLOW_RUN_NOTE in userTags) {
        throw invalidParameter(
          `Description is already set via the tag ${MLFLOW_RUN_NOTE} in tags.Remove the key ${MLFLOW_RUN_NOTE} from the tags or omit the description.`,
        );
      }
      userTags[MLFLOW_RUN_NOTE] = options.description;
    }
    if (parentRunId !== null) userTags[MLFLOW_PARENT_RUN_ID] = parentRunId;
    if (options.runName) userTags[MLFLOW_RUN_NAME] = options.runName;
    run = await client.createRun(experimentId, { tags: resolveTags(userTags), runName: options.runName ?? null });
  }
  const entry: RunEntry = { run, runId: run.info.runId, client };
  stack.runs.push(entry);
  registerActive(entry);
  return entry;
}

/**
 * Starts a run (or resumes one: `runId`, else `MLFLOW_RUN_ID`) and makes it the active run, as
 * Python's `mlflow.start_run`. Fails when a run is already active unless `nested: true`.
 * New runs get MLflow's context tags (user, source, git) and `mlflow.parentRunId` when nested.
 *
 * @example
 * ```ts
 * const parent = await startRun({ runName: 'sweep', description: 'lr sweep' });
 * const child = await startRun({ nested: true, tags: { lr: 0.1 } });
 * await endRun();
 * await endRun();
 * ```
 */
export async function startRun(options: StartRunOptions = {}): Promise<ActiveRun> {
  const stack = currentStack();
  const entry = await serialized(stack, () => doStartRun(stack, options));
  return entry.run;
}

async function getOrStartEntry(): Promise<RunEntry> {
  const stack = currentStack();
  const top = topEntry(stack);
  if (top) return top;
  return serialized(stack, async () => topEntry(stack) ?? doStartRun(stack, {}));
}

function checkEndStatus(status: string): RunStatus {
  const s = String(status).toUpperCase();
  if (!['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].includes(s)) {
    throw invalidParameter(`Invalid run status '${status}': expected one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED`);
  }
  return s as RunStatus;
}

function rememberLast(stack: RunStack, entry: RunEntry): void {
  for (let s: RunStack | null = stack; s !== null; s = s.parent) s.last = { runId: entry.runId, client: entry.client };
}

async function endEntry(stack: RunStack, status: RunStatus): Promise<void> {
  const entry = stack.runs.pop();
  if (!entry) return;
  delete process.env['MLFLOW_RUN_ID'];
  rememberLast(stack, entry);
  try {
    await flushMetrics(entry.client, entry.runId);
    await entry.client.setTerminated(entry.runId, status);
  } finally {
    unregisterActive(entry);
  }
}

/**
 * Ends the active run (if there is one) with a status, default FINISHED. Calling it with no
 * active run does nothing, as in Python.
 *
 * @example
 * ```ts
 * await startRun();
 * await endRun('KILLED');
 * await endRun(); // no active run: nothing happens
 * ```
 */
export async function endRun(status: RunStatus | string = 'FINISHED'): Promise<void> {
  const s = checkEndStatus(status);
  await endEntry(currentStack(), s);
}

/**
 * Runs `fn` with a run active in its own async context, then ends the run: FINISHED, or FAILED
 * when `fn` throws (the error is rethrown). Concurrent `withRun` calls keep their runs apart;
 * inside `fn`, `withRun({ nested: true }, ...)` starts a child run. Runs started in `fn` and left
 * active are ended with the same status.
 *
 * @example
 * ```ts
 * const loss = await withRun({ runName: 'fold-1' }, async (run) => {
 *   await logParam('fold', 1);
 *   await logMetric('loss', 0.42);
 *   return 0.42;
 * });
 * await Promise.all([1, 2, 3].map((k) => withRun({ runName: `k=${k}` }, () => logParam('k', k))));
 * ```
 */
export async function withRun<T>(fn: (run: ActiveRun) => Promise<T> | T): Promise<T>;
export async function withRun<T>(options: StartRunOptions, fn: (run: ActiveRun) => Promise<T> | T): Promise<T>;
export async function withRun<T>(
  a: StartRunOptions | ((run: ActiveRun) => Promise<T> | T),
  b?: (run: ActiveRun) => Promise<T> | T,
): Promise<T> {
  const options: StartRunOptions = typeof a === 'function' ? {} : a;
  const fn = typeof a === 'function' ? a : b;
  if (typeof fn !== 'function') throw invalidParameter('withRun needs a function to run');
  const stack = newStack(currentStack());
  return state.contextStacks.run(stack, async () => {
    const entry = await serialized(stack, () => doStartRun(stack, options));
    const endOurs = async (status: RunStatus): Promise<void> => {
      while (stack.runs.includes(entry)) await endEntry(stack, status);
    };
    let result: T;
    try {
      result = await fn(entry.run);
    } catch (err) {
      try {
        await endOurs('FAILED');
      } catch {
        // The callback's error is the one to report.
      }
      throw err;
    }
    await endOurs('FINISHED');
    return result;
  });
}

/**
 * The active run of the current context, or null.
 *
 * @example
 * ```ts
 * await withRun(async () => console.log(activeRun()?.info.runId));
 * activeRun(); // null outside
 * ```
 */
export function activeRun(): ActiveRun | null {
  return topEntry(currentStack())?.run ?? null;
}

/**
 * The active run's id and the {@link MlflowClient} it was started with (its tracking URI), or
 * null; for code that builds on the fluent API (autologging, model logging).
 *
 * @example
 * ```ts
 * const active = activeRunClient();
 * if (active) await active.client.logText(active.runId, 'hi', 'hi.txt');
 * ```
 */
export function activeRunClient(): { runId: string; client: MlflowClient } | null {
  const top = topEntry(currentStack());
  return top ? { runId: top.runId, client: top.client } : null;
}

/**
 * The active run if there is one, else the last run of this context (or of a `withRun` it
 * awaited) that ended, read afresh; null when there is none.
 *
 * @example
 * ```ts
 * await withRun(() => logMetric('auc', 0.91));
 * (await lastActiveRun())?.data.metrics['auc']; // 0.91
 * ```
 */
export async function lastActiveRun(): Promise<Run | null> {
  const stack = currentStack();
  const top = topEntry(stack);
  if (top) return top.run;
  if (!stack.last) return null;
  return stack.last.client.getRun(stack.last.runId);
}

// ---------------------------------------------------------------- params and tags

/**
 * Logs a param on the active run (started if none), stored as Python's `str()` (`true` → `True`,
 * `0.1` → `0.1`, `1e-5` → `1e-05`). Objects and arrays are refused with
 * `INVALID_PARAMETER_VALUE`. Returns the value.
 *
 * @example
 * ```ts
 * await logParam('lr', 0.001);
 * ```
 */
export async function logParam<T>(key: string, value: T): Promise<T> {
  const str = strValue('param', key, value);
  const entry = await getOrStartEntry();
  await entry.client.logParam(entry.runId, key, str);
  return value;
}

/**
 * Logs several params at once (one batch).
 *
 * @example
 * ```ts
 * await logParams({ lr: 0.001, optimizer: 'adam', shuffle: true });
 * ```
 */
export async function logParams(params: Record<string, unknown>): Promise<void> {
  const values = toTagStrings('Params', params);
  const entry = await getOrStartEntry();
  const list = Object.entries(values).map(([key, value]) => ({ key, value }));
  if (list.length > 0) await entry.client.logBatch(entry.runId, { params: list });
}

/**
 * Sets a tag on the active run (started if none); the value is stored as Python's `str()`.
 *
 * @example
 * ```ts
 * await setTag('team', 'churn');
 * ```
 */
export async function setTag(key: string, value: unknown): Promise<void> {
  const str = strValue('tag', key, value);
  const entry = await getOrStartEntry();
  await entry.client.setTag(entry.runId, key, str);
}

/**
 * Sets several tags at once (one batch).
 *
 * @example
 * ```ts
 * await setTags({ team: 'churn', release: 3 });
 * ```
 */
export async function setTags(tags: Record<string, unknown>): Promise<void> {
  const values = toTagStrings('Tags', tags);
  const entry = await getOrStartEntry();
  const list = Object.entries(values).map(([key, value]) => ({ key, value }));
  if (list.length > 0) await entry.client.logBatch(entry.runId, { tags: list });
}

// ---------------------------------------------------------------- metrics (batched)

interface PendingMetrics {
  metrics: Metric[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface MetricBuffer {
  client: MlflowClient;
  runId: string;
  pending: PendingMetrics[];
  scheduled: boolean;
  /** Flushes of this buffer run one after the other, so lines keep their call order. */
  chain: Promise<void>;
}


function bufferFor(client: MlflowClient, runId: string): MetricBuffer {
  let byRun = state.metricBuffers.get(client);
  if (!byRun) {
    byRun = new Map();
    state.metricBuffers.set(client, byRun);
  }
  let buf = byRun.get(runId);
  if (!buf) {
    buf = { client, runId, pending: [], scheduled: false, chain: Promise.resolve() };
    byRun.set(runId, buf);
  }
  return buf;
}

async function writeMetrics(client: MlflowClient, runId: string, metrics: Metric[]): Promise<void> {
  await client.logBatch(runId, { metrics });
}

async function flushPending(buf: MetricBuffer): Promise<void> {
  const batch = buf.pending.splice(0);
  if (batch.length === 0) return;
  try {
    await writeMetrics(buf.client, buf.runId, batch.flatMap((b) => b.metrics));
    for (const b of batch) b.resolve();
  } catch (err) {
    // A refused batch is refused before anything is written: give each call its own answer.
    if (batch.length > 1 && err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE') {
      for (const b of batch) {
        try {
          await writeMetrics(buf.client, buf.runId, b.metrics);
          b.resolve();
        } catch (e) {
          b.reject(e);
        }
      }
    } else {
      for (const b of batch) b.reject(err);
    }
  }
}

function scheduleFlush(buf: MetricBuffer): void {
  if (buf.scheduled) return;
  buf.scheduled = true;
  queueMicrotask(() => {
    buf.scheduled = false;
    buf.chain = buf.chain.then(() => flushPending(buf));
  });
}

// ---------------------------------------------------------------- metrics to a tracking server

/**
 * Metrics bound for a tracking server: a `logMetric` promise settles once its point is buffered;
 * the buffer is sent in `log-batch` requests (1,000 points each) when it holds a full batch, 50 ms
 * after the first point, at `endRun`, at `flush()` and when the process drains. A request that
 * fails after the connection's retries (a server that went away) leaves its points at the head
 * of the buffer for the next send; `endRun`/`flush()` then reject naming what could not be sent,
 * and at process exit the points are written to a spool file named on stderr. Nothing is dropped.
 */
interface RemoteBuffer {
  client: MlflowClient;
  runId: string;
  points: Metric[];
  timer: NodeJS.Timeout | null;
  /** The send in progress (one at a time per run, so points keep their order). */
  sending: Promise<void> | null;
  /** The last send's failure, cleared by a send that succeeds. */
  error: unknown;
}

/** Points per request, and how many may wait before `logMetric` waits for the send. */
const REMOTE_BATCH = 1000;
const REMOTE_HIGH_WATER = 50_000;
const REMOTE_DELAY_MS = 50;


const isRemote = (client: MlflowClient): boolean => client.store instanceof RestStore;

function remoteBufferFor(client: MlflowClient, runId: string): RemoteBuffer {
  let byRun = state.remoteBuffers.get(client);
  if (!byRun) {
    byRun = new Map();
    state.remoteBuffers.set(client, byRun);
  }
  let buf = byRun.get(runId);
  if (!buf) {
    buf = { client, runId, points: [], timer: null, sending: null, error: null };
    byRun.set(runId, buf);
  }
  return buf;
}

/** Sends the buffer's points, batch after batch; on failure the unsent points stay buffered. */
function sendRemote(buf: RemoteBuffer): Promise<void> {
  if (buf.timer) {
    clearTimeout(buf.timer);
    buf.timer = null;
  }
  if (buf.sending) return buf.sending;
  buf.sending = (async () => {
    try {
      while (buf.points.length > 0) {
        const batch = buf.points.slice(0, REMOTE_BATCH);
        try {
          await buf.client.store.logBatch(buf.runId, { metrics: batch });
        } catch (err) {
          buf.error = err;
          return;
        }
        buf.points.splice(0, batch.length);
        buf.error = null;
      }
    } finally {
      buf.sending = null;
    }
  })();
  return buf.sending;
}

async function enqueueRemote(client: MlflowClient, runId: string, metrics: Metric[]): Promise<void> {
  const buf = remoteBufferFor(client, runId);
  buf.points.push(...metrics);
  if (buf.points.length >= REMOTE_BATCH && !buf.sending && buf.error === null) void sendRemote(buf);
  else if (!buf.timer && !buf.sending) {
    buf.timer = setTimeout(() => void sendRemote(buf), REMOTE_DELAY_MS);
    buf.timer.unref();
  }
  // Back-pressure: a caller far ahead of the server waits for the send in flight.
  while (buf.points.length >= REMOTE_HIGH_WATER && buf.sending) await buf.sending;
}

/** Sends what is buffered for a run; rejects (points kept) when the server cannot take them. */
async function flushRemote(client: MlflowClient, runId: string): Promise<void> {
  const buf = state.remoteBuffers.get(client)?.get(runId);
  if (!buf) return;
  if (buf.sending) await buf.sending;
  await sendRemote(buf);
  if (buf.points.length > 0) {
    const cause = buf.error;
    throw new MlflowError(
      (cause instanceof MlflowError ? cause.code : null) ?? 'TEMPORARILY_UNAVAILABLE',
      `${buf.points.length} metric value(s) of run ${runId} could not be sent to ${client.store.trackingUri} (they stay buffered; flush() or endRun() sends them again): ${(cause as Error)?.message ?? cause}`,
      { cause },
    );
  }
  state.remoteBuffers.get(client)?.delete(runId);
}

/**
 * Sends every metric value still buffered for a tracking server (the fluent API buffers them),
 * and rejects naming the points that could not be sent (they stay buffered). A file store
 * writes at once; this waits for its writes in progress.
 *
 * @example
 * ```ts
 * for (let i = 0; i < 1e5; i++) void mlflow.logMetric('loss', 1 / (i + 1), { step: i });
 * await mlflow.flush(); // every point is on the server
 * ```
 */
export async function flush(): Promise<void> {
  const errors: unknown[] = [];
  for (const [client, byRun] of [...state.remoteBuffers]) {
    for (const runId of [...byRun.keys()]) {
      try {
        await flushRemote(client, runId);
      } catch (e) {
        errors.push(e);
      }
    }
  }
  await flushAllMetrics();
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new MlflowError('TEMPORARILY_UNAVAILABLE', errors.map((e) => (e as Error).message).join('\n'));
}

/** At process exit (nothing can be sent any more): the unsent points go to a spool file, named on stderr. */
function spoolRemoteSync(): void {
  for (const byRun of state.remoteBuffers.values()) {
    for (const buf of byRun.values()) {
      if (buf.timer) clearTimeout(buf.timer);
      if (buf.points.length === 0) continue;
      const file = path.join(os.tmpdir(), `mlruns-unsent-${buf.runId}-${process.pid}.jsonl`);
      try {
        fs.writeFileSync(file, buf.points.map((m) => JSON.stringify({ ...m, value: Number.isFinite(m.value) ? m.value : String(m.value) })).join('\n') + '\n');
        process.stderr.write(
          `mlruns: ${buf.points.length} metric value(s) of run ${buf.runId} could not be sent to ${buf.client.store.trackingUri}; saved in ${file}\n`,
        );
      } catch {
        process.stderr.write(`mlruns: ${buf.points.length} metric value(s) of run ${buf.runId} could not be sent to ${buf.client.store.trackingUri} and are lost\n`);
      }
      buf.points = [];
    }
  }
}

function enqueueMetrics(client: MlflowClient, runId: string, metrics: Metric[]): Promise<void> {
  if (isRemote(client)) return enqueueRemote(client, runId, metrics);
  const buf = bufferFor(client, runId);
  const done = new Promise<void>((resolve, reject) => buf.pending.push({ metrics, resolve, reject }));
  scheduleFlush(buf);
  return done;
}

/** Writes what is buffered for a run and waits for its writes. */
async function flushMetrics(client: MlflowClient, runId: string): Promise<void> {
  if (isRemote(client)) return flushRemote(client, runId);
  const buf = state.metricBuffers.get(client)?.get(runId);
  if (!buf) return;
  buf.chain = buf.chain.then(() => flushPending(buf));
  await buf.chain;
  if (buf.pending.length === 0 && !buf.scheduled) state.metricBuffers.get(client)?.delete(runId);
}

async function flushAllMetrics(): Promise<void> {
  const all: Promise<void>[] = [];
  for (const [client, byRun] of state.metricBuffers) for (const runId of [...byRun.keys()]) all.push(flushMetrics(client, runId));
  for (const [client, byRun] of state.remoteBuffers) for (const runId of [...byRun.keys()]) all.push(flushRemote(client, runId));
  await Promise.allSettled(all);
}

/** Writes buffered metrics synchronously (the store writes before its promise settles); for exit paths. */
function flushAllMetricsSync(): void {
  spoolRemoteSync();
  for (const byRun of state.metricBuffers.values()) {
    for (const buf of byRun.values()) {
      const batch = buf.pending.splice(0);
      const metrics = batch.flatMap((b) => b.metrics);
      for (let i = 0; i < metrics.length; i += 1000) {
        buf.client.store.logBatch(buf.runId, { metrics: metrics.slice(i, i + 1000), params: [], tags: [] }).catch(() => undefined);
      }
    }
  }
}

function makeMetric(key: string, value: unknown, options: { step?: number | null; timestamp?: number | null }): Metric {
  if (typeof key !== 'string') throw invalidParameter(`Metric key must be a string, got ${typeof key}`);
  const timestamp = options.timestamp || Date.now();
  const step = options.step || 0;
  if (typeof value === 'string') {
    throw invalidParameter(
      `Got invalid value '${value}' (a string) for metric '${key}' (timestamp=${timestamp}). Please specify value as a valid double (64-bit floating point)`,
    );
  }
  validateMetric(key, value, timestamp, step);
  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp)) {
    throw invalidParameter(`Invalid timestamp ${String(timestamp)} for metric '${key}': it must be an integer number of milliseconds`);
  }
  if (typeof step !== 'number' || !Number.isInteger(step)) {
    throw invalidParameter(`Invalid step ${String(step)} for metric '${key}': it must be an integer`);
  }
  return { key, value: Number(value), timestamp, step };
}

/**
 * Logs a metric value on the active run (started if none); `step` defaults to 0 and `timestamp`
 * to now. Calls made in the same tick are written together (one append per metric file); each
 * promise settles only once its own line is in the file. Non-numbers (strings included) are
 * refused with `INVALID_PARAMETER_VALUE`.
 *
 * @example
 * ```ts
 * await logMetric('loss', 0.25, { step: 3 });
 * await Promise.all(losses.map((v, i) => logMetric('loss', v, { step: i }))); // one append
 * ```
 */
export async function logMetric(key: string, value: number, options: { step?: number | null; timestamp?: number | null } = {}): Promise<void> {
  const metric = makeMetric(key, value, options);
  const stack = currentStack();
  const entry = topEntry(stack) ?? (await getOrStartEntry());
  return enqueueMetrics(entry.client, entry.runId, [metric]);
}

/**
 * Logs several metrics with one step and timestamp (one batch).
 *
 * @example
 * ```ts
 * await logMetrics({ loss: 0.25, accuracy: 0.91 }, { step: 3 });
 * ```
 */
export async function logMetrics(
  metrics: Record<string, number>,
  options: { step?: number | null; timestamp?: number | null } = {},
): Promise<void> {
  if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) {
    throw invalidParameter('logMetrics needs an object of metric name → number');
  }
  const timestamp = options.timestamp || Date.now();
  const list = Object.entries(metrics).map(([key, value]) => makeMetric(key, value, { step: options.step, timestamp }));
  const entry = topEntry(currentStack()) ?? (await getOrStartEntry());
  if (list.length === 0) return;
  return enqueueMetrics(entry.client, entry.runId, list);
}

// ---------------------------------------------------------------- artifacts and inputs

/**
 * Copies a local file (or a folder, under its own name) into the active run's artifacts.
 *
 * @example
 * ```ts
 * await logArtifact('./confusion.png', 'plots'); // plots/confusion.png
 * ```
 */
export async function logArtifact(localPath: string, artifactPath?: string | null): Promise<void> {
  const entry = await getOrStartEntry();
  let isDir = false;
  try {
    isDir = fs.statSync(localPath).isDirectory();
  } catch {
    // Missing: the client reports it.
  }
  if (isDir) {
    const name = path.basename(path.resolve(localPath));
    await entry.client.logArtifacts(entry.runId, localPath, artifactPath ? path.posix.join(artifactPath, name) : name);
  } else {
    await entry.client.logArtifact(entry.runId, localPath, artifactPath ?? null);
  }
}

/**
 * Copies the contents of a local folder into the active run's artifacts.
 *
 * @example
 * ```ts
 * await logArtifacts('./reports', 'reports');
 * ```
 */
export async function logArtifacts(localDir: string, artifactPath?: string | null): Promise<void> {
  const entry = await getOrStartEntry();
  await entry.client.logArtifacts(entry.runId, localDir, artifactPath ?? null);
}

/**
 * Writes text as an artifact file of the active run.
 *
 * @example
 * ```ts
 * await logText('hello', 'notes/hello.txt');
 * ```
 */
export async function logText(text: string, artifactFile: string): Promise<void> {
  const entry = await getOrStartEntry();
  await entry.client.logText(entry.runId, text, artifactFile);
}

/**
 * Writes an object as a JSON artifact (YAML for `.yml`/`.yaml`), as Python's `log_dict`.
 *
 * @example
 * ```ts
 * await logDict({ layers: [64, 32] }, 'config.yaml');
 * ```
 */
export async function logDict(dictionary: Record<string, unknown>, artifactFile: string): Promise<void> {
  const entry = await getOrStartEntry();
  await entry.client.logDict(entry.runId, dictionary, artifactFile);
}

const jsonField = (v: string | Record<string, unknown> | null | undefined): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : pyJson(v);


/**
 * Records a dataset used by the active run (`log_input`): `context` becomes the
 * `mlflow.data.context` input tag.
 *
 * @example
 * ```ts
 * await logInput(
 *   { name: 'churn', digest: 'a1b2c3d4', source: { uri: 's3://bucket/churn.csv' }, sourceType: 's3' },
 *   { context: 'training' },
 * );
 * ```
 */
export async function logInput(
  dataset: DatasetSpec,
  options: { context?: string | null; tags?: Record<string, unknown> | null } = {},
): Promise<void> {
  if (!dataset || typeof dataset !== 'object') throw invalidParameter('logInput needs a dataset');
  for (const field of ['name', 'digest', 'sourceType'] as const) {
    if (typeof dataset[field] !== 'string') throw invalidParameter(`Dataset ${field} must be a string`);
  }
  const tags = Object.entries(toTagStrings('Tags', options.tags)).map(([key, value]) => ({ key, value }));
  if (options.context) tags.push({ key: MLFLOW_DATASET_CONTEXT, value: options.context });
  const input: DatasetInput = {
    dataset: {
      name: dataset.name,
      digest: dataset.digest,
      sourceType: dataset.sourceType,
      source: jsonField(dataset.source) ?? '',
      schema: jsonField(dataset.schema),
      profile: jsonField(dataset.profile),
    },
    tags,
  };
  const entry = await getOrStartEntry();
  await entry.client.logInputs(entry.runId, [input]);
}

// ---------------------------------------------------------------- process safety


const onSigint = (): void => void onSignal('SIGINT');
const onSigterm = (): void => void onSignal('SIGTERM');
const onFatal = (): void => {
  // The process is about to end only when nobody handles 'uncaughtException'.
  if (process.listenerCount('uncaughtException') > 0) return;
  terminateAllSync('FAILED');
};
const onBeforeExit = (code: number): void => void endAllActive(code === 0 ? 'FINISHED' : 'FAILED');
const onExit = (code: number): void => terminateAllSync(code === 0 ? 'FINISHED' : 'FAILED');

function installHandlers(): void {
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('uncaughtExceptionMonitor', onFatal);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
}

function removeHandlers(): void {
  process.removeListener('SIGINT', onSigint);
  process.removeListener('SIGTERM', onSigterm);
  process.removeListener('uncaughtExceptionMonitor', onFatal);
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('exit', onExit);
}

function registerActive(entry: RunEntry): void {
  if (state.activeEntries.size === 0) installHandlers();
  state.activeEntries.add(entry);
}

function unregisterActive(entry: RunEntry): void {
  if (!state.activeEntries.delete(entry)) return;
  if (state.activeEntries.size === 0) removeHandlers();
}

/** Newest first, so children end before their parents. */
const entriesNewestFirst = (): RunEntry[] => [...state.activeEntries].reverse();

async function onSignal(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  if (state.shuttingDown) return;
  state.shuttingDown = true;
  const othersListen = process.listenerCount(signal) > 1;
  try {
    await flushAllMetrics();
    for (const entry of entriesNewestFirst()) {
      try {
        await entry.client.setTerminated(entry.runId, 'KILLED');
      } catch {
        // Keep going: the other runs still deserve their status.
      }
      unregisterActive(entry);
    }
  } finally {
    state.shuttingDown = false;
    removeHandlers();
  }
  // Someone else handles this signal: they decide whether the process ends.
  if (!othersListen) process.kill(process.pid, signal);
}

function terminateAllSync(status: RunStatus): void {
  flushAllMetricsSync();
  const endTime = Date.now();
  for (const entry of entriesNewestFirst()) {
    entry.client.store.updateRunInfo(entry.runId, status, endTime, null).catch(() => undefined);
    unregisterActive(entry);
  }
  removeHandlers();
}


/** Ends every active fluent run (the event loop drained with runs still open). */
async function endAllActive(status: RunStatus): Promise<void> {
  if (state.endingAll) return;
  state.endingAll = true;
  try {
    await endAllActiveOnce(status);
  } finally {
    state.endingAll = false;
  }
}

async function endAllActiveOnce(status: RunStatus): Promise<void> {
  await flushAllMetrics();
  // What a tracking server would not take even after the retries is saved, not dropped.
  spoolRemoteSync();
  for (const entry of entriesNewestFirst()) {
    try {
      await entry.client.setTerminated(entry.runId, status);
    } catch {
      // Best effort at exit.
    }
    unregisterActive(entry);
  }
  state.processStack.runs.length = 0;
}
