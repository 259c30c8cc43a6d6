/**
 * MLflow Models: write an MLflow Model folder (`saveMlModel`), log one as an MLflow 3 logged model
 * (`logModel`), and load any model Python or we logged (`loadModel`), with `predict()` for `onnx`
 * and `tfjs` models (their runtimes are optional packages, imported on demand).
 *
 * @example
 * ```ts
 * import { logModel, loadModel } from 'mlruns/models';
 * const info = await logModel(client, runId, { name: 'model', flavor: 'onnx', path: 'model.onnx', registeredModelName: 'iris' });
 * const model = await loadModel('models:/iris/1', { root: './mlruns' });
 * ```
 */
export * from './mlmodel.js';
export * from './log-model.js';
export * from './load-model.js';
export { resolveModelUri, resolveModelUriDetailed } from './uri.js';
export type { ResolveModelUriOptions, ResolvedModel } from './uri.js';
export { openOnnxSession } from './onnx.js';
export type { OnnxSession, OnnxValueInfo } from './onnx.js';
