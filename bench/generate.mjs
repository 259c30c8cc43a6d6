/**
 * Seeded generator of synthetic mlruns/ stores in the layout Python MLflow writes.
 * Usage: node bench/generate.mjs <root> <runs> [params=20] [metrics=10] [steps=100] [tags=6] [seed=1]
 * Files are written directly (not through the store API) so generation is fast; their bytes are
 * what MLflow writes (meta.yaml via the PyYAML-compatible emitter, metric lines via Python repr).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dumpYaml } from '../dist/format/yaml.js';
import { formatMetricLine } from '../dist/format/metric-line.js';

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (r, n) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

/** The `model` param's values (`model: true`): about 1 run in 10 is 'xgboost'. */
export const MODELS = ['xgboost', 'lightgbm', 'random_forest', 'logistic', 'svm', 'mlp', 'catboost', 'knn', 'adaboost', 'extra_trees'];

/**
 * Writes a store with one experiment holding `runs` runs. Returns { root, experimentId, runIds }.
 * With `model: true` each run also gets a `model` param (one of {@link MODELS}, from its own
 * random sequence, so the other files are the same bytes as without it).
 */
export function generateStore(root, { runs, params = 20, metrics = 10, steps = 100, tags = 6, seed = 1, model = false }) {
  const r = rng(seed);
  // Offset 6: at 5,000 runs (seed 1) `metrics.accuracy > 0.5 and params.model = 'xgboost'` matches 522 runs.
  const rm = rng(seed + 6);
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(path.join(root, '.trash'), { recursive: true });
  const rootUri = pathToFileURL(path.resolve(root)).href;
  const t0 = 1_700_000_000_000;
  const writeExp = (id, name) => {
    fs.mkdirSync(path.join(root, id), { recursive: true });
    fs.writeFileSync(
      path.join(root, id, 'meta.yaml'),
      dumpYaml({ artifact_location: `${rootUri}/${id}`, creation_time: t0, experiment_id: id, last_update_time: t0, lifecycle_stage: 'active', name }),
    );
  };
  writeExp('0', 'Default');
  const experimentId = '123456789012345678';
  writeExp(experimentId, 'bench');
  const runIds = [];
  const statuses = [3, 3, 3, 4, 1];
  for (let i = 0; i < runs; i++) {
    const runId = hex(r, 32);
    runIds.push(runId);
    const dir = path.join(root, experimentId, runId);
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const start = t0 + i * 1000 + Math.floor(r() * 500);
    const status = statuses[i % statuses.length];
    fs.writeFileSync(
      path.join(dir, 'meta.yaml'),
      dumpYaml({
        artifact_uri: `${rootUri}/${experimentId}/${runId}/artifacts`,
        end_time: status === 1 ? null : start + 60_000,
        entry_point_name: '',
        experiment_id: experimentId,
        lifecycle_stage: 'active',
        run_id: runId,
        run_name: `run-${i}`,
        run_uuid: runId,
        source_name: '',
        source_type: 4,
        source_version: '',
        start_time: start,
        status,
        tags: [],
        user_id: 'bench',
      }),
    );
    for (let p = 0; p < params; p++) {
      const v = p === 0 ? ['0.001', '0.01', '0.1', '1.0'][Math.floor(r() * 4)] : p === 1 ? String(16 * (1 + Math.floor(r() * 8))) : `value-${Math.floor(r() * 100)}`;
      fs.writeFileSync(path.join(dir, 'params', p === 0 ? 'lr' : p === 1 ? 'batch_size' : `param_${p}`), v);
    }
    if (model) fs.writeFileSync(path.join(dir, 'params', 'model'), MODELS[Math.floor(rm() * MODELS.length)]);
    fs.writeFileSync(path.join(dir, 'tags', 'mlflow.runName'), `run-${i}`);
    fs.writeFileSync(path.join(dir, 'tags', 'mlflow.user'), 'bench');
    for (let t = 2; t < tags; t++) fs.writeFileSync(path.join(dir, 'tags', `tag_${t}`), `t${Math.floor(r() * 10)}`);
    for (let m = 0; m < metrics; m++) {
      const key = m === 0 ? 'loss' : m === 1 ? 'accuracy' : `metric_${m}`;
      let text = '';
      let v = r();
      for (let s = 0; s < steps; s++) {
        v = m === 0 ? v * 0.98 : Math.min(1, v + r() * 0.01);
        text += formatMetricLine({ timestamp: start + s * 100, value: v, step: s });
      }
      fs.writeFileSync(path.join(dir, 'metrics', key), text);
    }
  }
  return { root, experimentId, runIds };
}

/** One metric file of `points` lines in a single run (for getMetricHistory). */
export function generateLongMetric(root, points) {
  const { experimentId, runIds } = generateStore(root, { runs: 1, params: 1, metrics: 0, steps: 0, tags: 2, seed: 7 });
  const runId = runIds[0];
  const file = path.join(root, experimentId, runId, 'metrics', 'long');
  const fd = fs.openSync(file, 'w');
  const chunk = 100_000;
  for (let i = 0; i < points; i += chunk) {
    let text = '';
    for (let j = i; j < Math.min(points, i + chunk); j++) text += formatMetricLine({ timestamp: 1_700_000_000_000 + j, value: Math.sin(j) * 0.5 + 0.5, step: j });
    fs.writeSync(fd, text);
  }
  fs.closeSync(fd);
  return { root, experimentId, runId, key: 'long' };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [root, runs, params, metrics, steps, tags, seed] = process.argv.slice(2);
  if (!root || !runs) {
    console.error('usage: node bench/generate.mjs <root> <runs> [params] [metrics] [steps] [tags] [seed]');
    process.exit(1);
  }
  const res = generateStore(root, {
    runs: Number(runs),
    params: params ? Number(params) : 20,
    metrics: metrics ? Number(metrics) : 10,
    steps: steps ? Number(steps) : 100,
    tags: tags ? Number(tags) : 6,
    seed: seed ? Number(seed) : 1,
  });
  console.log(JSON.stringify({ root: res.root, experimentId: res.experimentId, runs: res.runIds.length }));
}
