/**
 * Keeps `npm test`'s output to the test results. The library reports damaged data it reads to a
 * store's `onWarning`, else as a Node process warning of type `MlflowWarning` (as Python MLflow
 * logs them). Tests that read damaged stores on purpose assert what they expect through
 * `client.warnings` / `onWarning`; the process warnings of the others would print thousands of
 * `(node:…) MlflowWarning` lines. This setup file takes Node's default printer off `MlflowWarning`s
 * only (every other warning still prints) and keeps them in `mlflowProcessWarnings()` for a test
 * that wants to check them. MLRUNS_TEST_WARNINGS=print restores the printing.
 */
const shared = globalThis as { __mlrunsWarnings?: Error[]; __mlrunsQuiet?: boolean };
// One list per process: a worker process may run several test files.
const seen: Error[] = (shared.__mlrunsWarnings ??= []);

/** The `MlflowWarning`s this test file's process emitted so far (oldest first). */
export function mlflowProcessWarnings(): readonly Error[] {
  return seen;
}

if (process.env['MLRUNS_TEST_WARNINGS'] !== 'print' && !shared.__mlrunsQuiet) {
  shared.__mlrunsQuiet = true;
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error) => {
    if (warning.name === 'MlflowWarning') {
      seen.push(warning);
      if (seen.length > 1000) seen.shift();
      return;
    }
    for (const print of printers) print.call(process, warning);
  });
}
