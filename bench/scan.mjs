/**
 * `node bench/scan.mjs`: only the full-scan rows of `npm run bench` (searchRuns with no catalog,
 * filter + order_by), side by side with the floor (reading every file of the folder once from
 * Node) and, unless BENCH_PY=0, Python MLflow's search_runs on the same folder.
 *
 * Env: BENCH_SIZES=10000  BENCH_REPS=5  BENCH_PY_REPS=2  BENCH_PY=1
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { generateStore } from './generate.mjs';
import { FileStore } from '../dist/store/file/file-store.js';
import { floorRead as floor } from './catalog.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const sizes = (process.env.BENCH_SIZES ?? '10000').split(',').map(Number);
const reps = Number(process.env.BENCH_REPS ?? 5);
const pyReps = Number(process.env.BENCH_PY_REPS ?? 2);
const withPython = process.env.BENCH_PY !== '0';
const python = path.join(repo, '.oracle/mlflow-3/bin/python');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-scan-'));

const FILTER = "metrics.accuracy > 0.5 and params.lr = '0.01'";
const ORDER_BY = ['metrics.loss ASC'];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (s) => `${(s * 1000).toFixed(0)} ms`;

try {
  for (const n of sizes) {
    const root = path.join(work, `store-${n}`);
    const { experimentId } = generateStore(root, { runs: n });
    floor(root);
    // Interleave floor and ours so both see the same machine load.
    const floorTimes = [];
    const ourTimes = [];
    let out;
    for (let i = 0; i < reps; i++) {
      let t = performance.now();
      floor(root);
      floorTimes.push((performance.now() - t) / 1000);
      t = performance.now();
      out = await new FileStore(root).searchRuns([experimentId], { filterString: FILTER, orderBy: ORDER_BY, maxResults: 1000 });
      ourTimes.push((performance.now() - t) / 1000);
    }
    const f = median(floorTimes);
    const o = median(ourTimes);
    let pyNote = '';
    if (withPython) {
      const res = spawnSync(python, [path.join(here, 'py_bench.py')], {
        input: JSON.stringify([{ kind: 'search', root, experiment_ids: [experimentId], filter: FILTER, order_by: ORDER_BY, reps: pyReps }]),
        env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' },
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      });
      if (res.status !== 0) throw new Error(`python bench failed: ${res.stderr}`);
      const py = JSON.parse(res.stdout).results[0];
      if (py.error) throw new Error(py.error);
      const same = JSON.stringify(out.items.slice(0, 5).map((r) => r.info.runId)) === JSON.stringify(py.first) && out.items.length === py.count;
      const p = median(py.times);
      pyNote = `; Python ${ms(p)} (${(p / o).toFixed(1)}x faster)${same ? '; same runs, same order' : '; RESULTS DIFFER'}`;
    }
    console.log(
      `full scan, ${n} runs: ours ${ms(o)} [${ourTimes.map(ms).join(', ')}], floor ${ms(f)} [${floorTimes.map(ms).join(', ')}] -> ${(o / f).toFixed(2)}x floor${pyNote}`,
    );
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
