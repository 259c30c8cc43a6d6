/**
 * The catalog: a derived SQLite index of an `mlruns/` root that answers `searchRuns` with exactly
 * the results of a full scan.
 *
 * @example
 * ```ts
 * import { openCatalog, catalogSearchRuns } from './index.js';
 * const page = catalogSearchRuns(openCatalog(store.root), store, ['0'], { orderBy: ['metrics.acc DESC'] });
 * ```
 */
export * from './location.js';
export * from './events.js';
export * from './catalog.js';
export * from './refresh.js';
export * from './search.js';
