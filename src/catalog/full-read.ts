/**
 * The catalog's reader of runs with inputs/outputs: `FileStore.readRun` without metrics (the
 * catalog keeps those itself), its warnings collected for the run. A module of its own so the
 * cold-build workers load FileStore only when a run needs it.
 *
 * @example
 * ```ts
 * const readFull = fullReader('/data/mlruns');
 * const run = readFull(info, runDir, expDir, warnings);
 * ```
 */
import type { Run, RunInfo } from '../entities.js';
import { FileStore } from '../store/file/file-store.js';
import type { RunWarning } from './run-folder.js';

/**
 * A `ReadContext.readFull` over `root`: a fresh store per call, so each read reports all its
 * warnings (a store reports each problem once).
 *
 * @example
 * ```ts
 * fullReader(root)(info, runDir, expDir, []).inputs.datasetInputs;
 * ```
 */
export function fullReader(root: string): (info: RunInfo, runDir: string, expDir: string, warnings: RunWarning[]) => Run {
  return (info, runDir, expDir, warnings) => {
    const store = new FileStore(root, {
      onWarning: (w) => warnings.push({ scope: 'd', key: '', code: w.code, path: w.path, message: w.message }),
    });
    return store.readRun(info, runDir, expDir, { metrics: false });
  };
}
