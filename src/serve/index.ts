/**
 * Serving MLflow Models: {@link serveModel} speaks MLflow's scoring protocol
 * (`mlflow models serve`), {@link predictFile} does batch inference (`mlflow models predict`).
 *
 * @example
 * ```ts
 * import { serveModel } from 'mlruns/serve';
 * const server = await serveModel('models:/iris@champion', { root: './mlruns', port: 0 });
 * console.log(server.url);
 * await server.close();
 * ```
 * @module
 */
export { serveModel } from './server.js';
export type { ServeOptions, ModelServer, RequestLog } from './server.js';
export { predictFile } from './predict.js';
export type { PredictFileOptions, PredictFileResult, PredictFormat } from './predict.js';
