/**
 * Autologging for TensorFlow.js (`@tensorflow/tfjs` or `@tensorflow/tfjs-node`), in the spirit of
 * `mlflow.keras.autolog()`: fit params, one metric point per epoch (step = epoch), and at the end
 * the trained model saved in the run's artifacts as an MLflow Model folder (`model/MLmodel`,
 * `model/model.json`, `model/weights.bin`) recorded in the `mlflow.log-model.history` tag.
 *
 * Params logged: `epochs`, `batch_size` (when known), `optimizer_name` (the optimizer class,
 * `SGD`, `Adam`...), `optimizer_<config>` for each optimizer setting in snake_case
 * (`optimizer_learning_rate`, `optimizer_beta1`...) and `loss` (its name). A model summary goes
 * to `model_summary.txt`, as Keras autologging does.
 *
 * The library never imports TensorFlow.js itself: pass your `tf` module.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { autolog, mlflowCallback } from 'mlruns/tfjs';
 *
 * autolog({ tf }); // every model.fit() from now on is tracked (a run is started when none is active)
 * // or, explicitly:
 * await model.fit(xs, ys, { epochs: 5, callbacks: [mlflowCallback(tf)] });
 * ```
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { MlflowError } from '../errors.js';
import { logMlModel, saveMlModel } from './mlmodel.js';
import type { MlModel, MlModelSignature } from './mlmodel.js';
import { fileSystemHandler } from './tfjs-io.js';
import { MLFLOW_TAGS } from '../tracking/context.js';
import { activeRun, activeRunClient, endRun, logMetrics, logParams, logText, startRun, withRun } from '../tracking/fluent.js';

/**
 * The parts of the TensorFlow.js module autologging uses (`@tensorflow/tfjs` or `tfjs-node`).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-node';
 * const mod: TfModule = tf;
 * ```
 */
export type TfModule = Pick<typeof tfjs, 'Callback' | 'CustomCallback' | 'LayersModel' | 'Sequential' | 'version'>;

/**
 * Options of {@link mlflowCallback} and {@link autolog}.
 *
 * @example
 * ```ts
 * const options: TfjsAutologOptions = { artifactPath: 'tfjs-model', inputExample: [[0.5]], onError: 'throw' };
 * ```
 */
export interface TfjsAutologOptions {
  /** Save the trained model in the run's artifacts (default true). */
  logModels?: boolean;
  /** Artifact folder of the model (default `model`). */
  artifactPath?: string;
  /** Write `model_summary.txt` (default true). */
  logModelSummary?: boolean;
  /** Signature to put in the MLmodel file (schemas as MLflow's JSON strings). */
  signature?: MlModelSignature | null;
  /** A JSON-able example input saved with the model. */
  inputExample?: unknown;
  /** Extra tags on runs autologging starts itself. */
  extraTags?: Record<string, unknown>;
  /**
   * What to do when logging fails: `warn` (default, as MLflow's exception-safe autologging:
   * training goes on, a process warning is emitted) or `throw`.
   */
  onError?: 'warn' | 'throw';
}

/**
 * Options of {@link mlflowCallback}.
 *
 * @example
 * ```ts
 * const cb = mlflowCallback(tf, { model, logModelSummary: false } satisfies TfjsCallbackOptions);
 * ```
 */
export interface TfjsCallbackOptions extends TfjsAutologOptions {
  /**
   * The model to save. Default: the model TF.js gives the callback, which for a `tf.Sequential`
   * is its inner functional model (same weights and predictions, saved as a functional model).
   * TF.js gives no model to callbacks it wraps itself (when a plain `{ onEpochEnd }` object
   * comes first in `callbacks`): pass the model here in that case.
   */
  model?: tfjs.LayersModel;
}

/**
 * The callback object returned by {@link mlflowCallback}.
 *
 * @example
 * ```ts
 * const cb: MlflowTfjsCallback = mlflowCallback(tf, { model });
 * await model.fit(xs, ys, { callbacks: [cb] });
 * if (cb.errors.length) console.warn(cb.errors);
 * ```
 */
export interface MlflowTfjsCallback extends tfjs.Callback {
  /** The MLflow Model written at the end of training, once it is. */
  readonly loggedModel: MlModel | null;
  /** Errors met while logging (also emitted as warnings when `onError` is `warn`). */
  readonly errors: readonly unknown[];
}

const MLFLOW_CALLBACK = Symbol.for('mlruns.tfjs.callback');

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

function lossName(loss: unknown): string | null {
  if (loss === null || loss === undefined) return null;
  if (typeof loss === 'string') return loss;
  if (typeof loss === 'function') return loss.name || 'custom';
  if (Array.isArray(loss)) return loss.map((l) => lossName(l) ?? 'None').join(',');
  if (typeof loss === 'object') {
    return Object.entries(loss as Record<string, unknown>)
      .map(([k, v]) => `${k}:${lossName(v) ?? 'None'}`)
      .join(',');
  }
  return String(loss);
}

/** Turns TF.js logs (numbers, or scalars when unresolved) into numbers. */
async function resolveLogs(logs: tfjs.Logs | Record<string, unknown> | undefined): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(logs ?? {})) {
    if (typeof v === 'number') out[key] = v;
    else if (v && typeof (v as { data?: unknown }).data === 'function') {
      const data = await (v as { data(): Promise<ArrayLike<number>> }).data();
      if (data.length > 0) out[key] = Number(data[0]);
    }
  }
  return out;
}

/**
 * Saves a TF.js model into the active run's artifacts as an MLflow Model folder (flavor `tfjs`)
 * and records it in the run's `mlflow.log-model.history` tag. Returns the MLmodel written.
 *
 * @example
 * ```ts
 * await withRun(async () => {
 *   await model.fit(xs, ys, { epochs: 3 });
 *   await logTfjsModel(tf, model); // artifacts: model/MLmodel, model/model.json, model/weights.bin
 * });
 * ```
 */
export async function logTfjsModel(
  tf: Pick<TfModule, 'version'>,
  model: tfjs.LayersModel,
  options: { artifactPath?: string; signature?: MlModelSignature | null; inputExample?: unknown } = {},
): Promise<MlModel> {
  const active = activeRunClient() ?? (await startRun(), activeRunClient());
  if (!active) throw new MlflowError('INVALID_STATE', 'No active run to log the model to');
  const artifactPath = options.artifactPath ?? 'model';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-tfjs-'));
  try {
    await model.save(fileSystemHandler(tmp));
    const version = (tf.version as Record<string, string | undefined>)['tfjs'] ?? (tf.version as Record<string, string | undefined>)['tfjs-layers'] ?? 'unknown';
    const saved = saveMlModel(tmp, {
      flavors: { tfjs: { data: 'model.json', model_format: 'layers-model', tfjs_version: version } },
      runId: active.runId,
      artifactPath,
      signature: options.signature ?? null,
      inputExample: options.inputExample,
    });
    await logMlModel(active.client, active.runId, tmp, saved);
    return saved;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * A TF.js callback that logs a `fit` to MLflow: params at the start, each epoch's logs as
 * metrics (step = epoch), and the model at the end. It logs into the active run; with none, it
 * starts one at the start of training and ends it (FINISHED) at the end.
 *
 * @example
 * ```ts
 * const cb = mlflowCallback(tf, { model });
 * await withRun({ runName: 'tfjs' }, () => model.fit(xs, ys, { epochs: 2, batchSize: 2, callbacks: [cb] }));
 * cb.loggedModel?.modelUuid;
 * ```
 */
export function mlflowCallback(tf: TfModule, options: TfjsCallbackOptions = {}): MlflowTfjsCallback {
  const state = {
    ownsRun: false,
    model: options.model ?? null as tfjs.LayersModel | null,
    loggedModel: null as MlModel | null,
    errors: [] as unknown[],
  };
  const fail = (what: string, err: unknown): void => {
    state.errors.push(err);
    if (options.onError === 'throw') throw err;
    process.emitWarning(`MLflow autologging encountered an error while ${what}: ${(err as Error)?.message ?? String(err)}`, 'MlflowAutologgingWarning');
  };
  type Host = { model?: tfjs.LayersModel; params?: Record<string, unknown> };

  class MlflowCallback extends tf.Callback implements MlflowTfjsCallback {
    readonly [MLFLOW_CALLBACK] = true;

    get loggedModel(): MlModel | null {
      return state.loggedModel;
    }

    get errors(): readonly unknown[] {
      return state.errors;
    }

    override async onTrainBegin(): Promise<void> {
      // Wrapped by TF.js in a CustomCallback, `this` is that wrapper: it has `params` but no `model`.
      const host = this as unknown as Host;
      state.loggedModel = null;
      try {
        if (activeRun() === null) {
          await startRun({ tags: { [MLFLOW_TAGS.autologging]: 'tfjs', ...(options.extraTags ?? {}) } });
          state.ownsRun = true;
        }
        const model = state.model ?? host.model ?? null;
        const params: Record<string, unknown> = {};
        const fitParams = (host.params ?? {}) as Record<string, unknown>;
        if (typeof fitParams['epochs'] === 'number') params['epochs'] = fitParams['epochs'];
        if (typeof fitParams['batchSize'] === 'number') params['batch_size'] = fitParams['batchSize'];
        if (model?.optimizer) {
          params['optimizer_name'] = model.optimizer.getClassName();
          for (const [k, v] of Object.entries(model.optimizer.getConfig())) {
            if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) params[`optimizer_${snake(k)}`] = v;
          }
        }
        const loss = lossName(model?.loss);
        if (loss !== null) params['loss'] = loss;
        await logParams(params);
        if (options.logModelSummary !== false && model) {
          const lines: string[] = [];
          model.summary(undefined, undefined, (line?: unknown) => lines.push(String(line ?? '')));
          await logText(lines.join('\n'), 'model_summary.txt');
        }
      } catch (err) {
        fail('logging training parameters', err);
      }
    }

    override async onEpochEnd(epoch: number, logs?: tfjs.Logs): Promise<void> {
      try {
        const values = await resolveLogs(logs);
        if (Object.keys(values).length > 0) await logMetrics(values, { step: epoch });
      } catch (err) {
        fail(`logging the metrics of epoch ${epoch}`, err);
      }
    }

    override async onTrainEnd(): Promise<void> {
      const host = this as unknown as Host;
      try {
        const model = state.model ?? host.model ?? null;
        if (options.logModels !== false) {
          if (!model) throw new MlflowError('INVALID_STATE', 'The callback was not given the model (pass it as `model` in the options)');
          state.loggedModel = await logTfjsModel(tf, model, {
            artifactPath: options.artifactPath ?? 'model',
            signature: options.signature ?? null,
            inputExample: options.inputExample,
          });
        }
      } catch (err) {
        fail('logging the model', err);
      } finally {
        if (state.ownsRun) {
          state.ownsRun = false;
          await endRun();
        }
      }
    }
  }
  return new MlflowCallback();
}

type FitFn = (this: tfjs.LayersModel, ...args: unknown[]) => Promise<tfjs.History>;

interface Patch {
  tf: TfModule;
  originals: Array<{ proto: Record<string, unknown>; name: string; fn: unknown }>;
}

let patch: Patch | null = null;

function isCallbackInstance(c: unknown): boolean {
  return !!c && typeof c === 'object' && typeof (c as { setParams?: unknown }).setParams === 'function';
}

function hasMlflowCallback(callbacks: unknown): boolean {
  const list = Array.isArray(callbacks) ? callbacks : callbacks ? [callbacks] : [];
  return list.some((c) => !!c && typeof c === 'object' && (c as Record<symbol, unknown>)[MLFLOW_CALLBACK] === true);
}

/**
 * Turns on autologging for every `model.fit()` / `model.fitDataset()` of this `tf` module (or
 * turns it off with `disable: true`). A fit with no active run gets its own run (tagged
 * `mlflow.autologging: tfjs`, ended FINISHED, or FAILED when the fit throws); otherwise it logs
 * into the active run. A fit that already has an {@link mlflowCallback} is left alone.
 *
 * @example
 * ```ts
 * autolog({ tf });
 * await model.fit(xs, ys, { epochs: 2 });
 * const run = await lastActiveRun(); // the run autologging made
 * autolog({ tf, disable: true });
 * ```
 */
export function autolog(options: TfjsAutologOptions & { tf: TfModule; disable?: boolean }): void {
  const { tf, disable, ...cbOptions } = options;
  if (patch) {
    for (const o of patch.originals) o.proto[o.name] = o.fn;
    patch = null;
  }
  if (disable) return;
  const current: Patch = { tf, originals: [] };
  const wrap = (proto: Record<string, unknown>, name: 'fit' | 'fitDataset', argsIndex: number): void => {
    const original = proto[name] as FitFn | undefined;
    if (typeof original !== 'function') return;
    current.originals.push({ proto, name, fn: original });
    const patched = function (this: tfjs.LayersModel, ...args: unknown[]): Promise<tfjs.History> {
      const fitArgs = (args[argsIndex] ?? {}) as Record<string, unknown>;
      if (hasMlflowCallback(fitArgs['callbacks'])) return original.apply(this, args);
      const given = fitArgs['callbacks'];
      const list = Array.isArray(given) ? given : given ? [given] : [];
      const callbacks = list.map((c) => (isCallbackInstance(c) ? c : new tf.CustomCallback(c as tfjs.CustomCallbackArgs, fitArgs['yieldEvery'] as never)));
      const cb = mlflowCallback(tf, { ...cbOptions, model: this });
      callbacks.push(cb);
      const newArgs = [...args];
      while (newArgs.length <= argsIndex) newArgs.push(undefined);
      newArgs[argsIndex] = { ...fitArgs, callbacks };
      const run = (): Promise<tfjs.History> => original.apply(this, newArgs);
      if (activeRun() !== null) return run();
      return withRun({ tags: { [MLFLOW_TAGS.autologging]: 'tfjs', ...(cbOptions.extraTags ?? {}) } }, run);
    };
    proto[name] = patched;
  };
  const seq = tf.Sequential.prototype as unknown as Record<string, unknown>;
  const layers = tf.LayersModel.prototype as unknown as Record<string, unknown>;
  // Sequential.fit calls its inner LayersModel's fit: the outer one is patched so the model saved
  // is the Sequential itself; the inner call sees the callback and is left alone.
  if (Object.prototype.hasOwnProperty.call(seq, 'fit')) wrap(seq, 'fit', 2);
  if (Object.prototype.hasOwnProperty.call(seq, 'fitDataset')) wrap(seq, 'fitDataset', 1);
  wrap(layers, 'fit', 2);
  wrap(layers, 'fitDataset', 1);
  patch = current;
}

export { fileSystemHandler } from './tfjs-io.js';
