import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/setup/slow-first-sequencer.ts';
import SummaryReporter from './test/setup/summary-reporter.ts';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    // cpu-usage first: its afterAll runs last (hooks run as a stack). Off unless MLRUNS_TEST_CPU is set.
    setupFiles: ['test/setup/cpu-usage.ts', 'test/setup/fast-check-seed.ts', 'test/setup/quiet-warnings.ts'],
    // Python MLflow's telemetry off in every process the tests start (oracles, `python -c`, servers):
    // its background client raced the request thread over os.environ (a KeyError
    // '_MLFLOW_TELEMETRY_SESSION_ID' failed a request to a server once) and sends nothing useful
    // from a test. DO_NOT_TRACK, not MLFLOW_DISABLE_TELEMETRY: helpers drop inherited MLFLOW_* variables.
    env: { DO_NOT_TRACK: 'true' },
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // vitest's default is one worker less than the cores: a single worker on the 2-core machine,
    // while most files spend their time waiting on Python and Node children (servers starting,
    // PostgreSQL, `import mlflow`): a full run used the 2 cores about half the time with 2 workers.
    // Three forks run the independent files side by side (shared build steps and caches are lock-
    // or hash-guarded: test/cli/helpers.ts, test/reliability/lib.mjs). MLRUNS_TEST_WORKERS overrides.
    maxWorkers: Number(process.env['MLRUNS_TEST_WORKERS'] ?? 3),
    // Longest files first (committed durations on a machine without vitest's cache): the run does
    // not end on one long file with the other workers idle. test/setup/slow-first-sequencer.ts.
    sequence: { sequencer: SlowFirstSequencer },
    // Output is the test results: console output of passing tests (statistics) is dropped, a
    // failing test's is shown. MlflowWarnings: test/setup/quiet-warnings.ts.
    silent: 'passed-only',
    reporters: ['default', new SummaryReporter()],
  },
});
