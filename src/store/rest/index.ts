/** The REST store: an MLflow tracking server as a `TrackingStore` / `RegistryStore`. */
export { RestStore, splitBatch, BATCH_LIMITS } from './rest-store.js';
export { RestRegistryStore } from './registry-store.js';
export { ProxyArtifactRepository, proxiedArtifactRoot } from './artifacts.js';
export { RestConnection, resolveRestOptions, redactUri } from './http.js';
export type { RestOptions } from './http.js';
