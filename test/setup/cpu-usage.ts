/**
 * CPU seconds and child processes per test file, for finding what makes `npm test` slow (wall
 * times say little on a loaded machine; CPU time does not depend on the other workers' load).
 * Off unless MLRUNS_TEST_CPU names a file; then, after each test file, one JSON line is appended
 * to it:
 *
 *   { "file": "test/x/y.test.ts", "cpu": 12.3, "self": 4.5, "children": 7.8, "wall": 30.1,
 *     "spawns": { "python": 3, "node": 20, "mlflow": 1, "other": 5 } }
 *
 * `cpu` is the fork's `/proc/self/stat` utime+stime (`self`: the vitest worker, module transforms
 * included) plus cutime+cstime (`children`: every child that was waited for, with its own waited
 * children; a server killed with its process group counts once reaped). Each test file runs in its
 * own fork (pool `forks`, isolate), so the figures are per file from the fork's start. Spawns are
 * counted by the executable started (`python`: an oracle venv's interpreter; `node`:
 * process.execPath, e.g. the built CLI; `mlflow`: an `mlflow` entry point, e.g. `mlflow server`).
 *
 *   MLRUNS_TEST_CPU=/tmp/cpu.jsonl npx vitest run
 *   node scripts/test-cpu.mjs /tmp/cpu.jsonl      # a table, biggest first
 *
 * Prints nothing.
 */
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll } from 'vitest';

const out = process.env['MLRUNS_TEST_CPU'];

if (out) {
  const require = createRequire(import.meta.url);
  const cp = require('node:child_process') as typeof import('node:child_process');
  const spawns: Record<string, number> = { python: 0, node: 0, mlflow: 0, other: 0 };
  const kind = (file: unknown): string => {
    const f = String(file ?? '');
    const base = path.basename(f);
    if (f === process.execPath || base === 'node') return 'node';
    if (base === 'mlflow') return 'mlflow';
    if (/^python[\d.]*$/.test(base)) return 'python';
    return 'other';
  };
  const shared = globalThis as { __mlrunsCpuPatched?: boolean };
  if (!shared.__mlrunsCpuPatched) {
    shared.__mlrunsCpuPatched = true;
    for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork'] as const) {
      const orig = cp[name] as (...a: unknown[]) => unknown;
      (cp as unknown as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
        spawns[name === 'fork' ? 'node' : kind(a[0])]! += 1;
        return orig.apply(this, a);
      };
    }
    for (const name of ['exec', 'execSync'] as const) {
      const orig = cp[name] as (...a: unknown[]) => unknown;
      (cp as unknown as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
        spawns['other']! += 1;
        return orig.apply(this, a);
      };
    }
    module.syncBuiltinESMExports();
  }
  const t0 = Date.now();
  // The file's task is the second argument (the first is the fixtures' context).
  afterAll(({}, suite) => {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    // After "(comm) ": state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based).
    const tick = (i: number): number => Number(fields[i - 3]) / 100;
    const self = tick(14) + tick(15);
    const children = tick(16) + tick(17);
    const file = 'filepath' in suite && typeof suite.filepath === 'string' ? path.relative(process.cwd(), suite.filepath) : suite.name;
    const line = { file, cpu: +(self + children).toFixed(2), self: +self.toFixed(2), children: +children.toFixed(2), wall: +((Date.now() - t0) / 1000).toFixed(1), pid: process.pid, spawns };
    fs.appendFileSync(out, `${JSON.stringify(line)}\n`);
  });
}
