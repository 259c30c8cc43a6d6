#!/usr/bin/env node
/**
 * `npm run demo`: trains a softmax-regression classifier on the Iris data set shipped in `data/`,
 * logs a small hyper-parameter sweep to `./mlruns` (params, per-epoch metrics, the data set as a
 * run input, the weights as an artifact), then searches and compares the runs — all through
 * mlruns, on files Python MLflow and `mlflow ui` read as their own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { MlflowClient } from '../tracking/client.js';
import type { Run } from '../entities.js';

interface Sample {
  x: number[];
  y: number;
}

const CLASSES = ['setosa', 'versicolor', 'virginica'];

/** Reads the CSV shipped in data/. */
export function loadIris(file: string): Sample[] {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const cells = line.split(',');
    const x = cells.slice(0, 4).map(Number);
    const y = CLASSES.indexOf(cells[4] ?? '');
    if (y < 0 || x.some(Number.isNaN)) throw new Error(`Bad row in ${file}: ${line}`);
    return { x, y };
  });
}

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function split(data: Sample[], seed: number): { train: Sample[]; test: Sample[] } {
  const r = rng(seed);
  const idx = data.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
  }
  const cut = Math.floor(data.length * 0.7);
  return { train: idx.slice(0, cut).map((i) => data[i] as Sample), test: idx.slice(cut).map((i) => data[i] as Sample) };
}

function standardize(train: Sample[], test: Sample[]): void {
  for (let f = 0; f < 4; f++) {
    const vals = train.map((s) => s.x[f] as number);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length) || 1;
    for (const s of [...train, ...test]) s.x[f] = ((s.x[f] as number) - mean) / sd;
  }
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

class SoftmaxRegression {
  w: number[][];
  constructor(features: number, classes: number) {
    this.w = Array.from({ length: classes }, () => new Array<number>(features + 1).fill(0));
  }
  probs(x: number[]): number[] {
    return softmax(this.w.map((row) => row.reduce((acc, wi, i) => acc + wi * (i < x.length ? (x[i] as number) : 1), 0)));
  }
  /** One epoch of full-batch gradient descent with L2; returns the mean cross-entropy. */
  epoch(data: Sample[], lr: number, l2: number): number {
    const grad = this.w.map((row) => row.map(() => 0));
    let loss = 0;
    for (const s of data) {
      const p = this.probs(s.x);
      loss -= Math.log(Math.max(p[s.y] as number, 1e-12));
      p.forEach((pk, k) => {
        const d = pk - (k === s.y ? 1 : 0);
        const g = grad[k] as number[];
        for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) + d * (i < s.x.length ? (s.x[i] as number) : 1);
      });
    }
    this.w = this.w.map((row, k) => row.map((wi, i) => wi - lr * (((grad[k] as number[])[i] as number) / data.length + l2 * wi)));
    return loss / data.length;
  }
  accuracy(data: Sample[]): number {
    let ok = 0;
    for (const s of data) {
      const p = this.probs(s.x);
      if (p.indexOf(Math.max(...p)) === s.y) ok++;
    }
    return ok / data.length;
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dataFile = path.resolve(here, '../../data/iris.csv');
  const root = process.env['MLFLOW_TRACKING_URI'] ?? './mlruns';
  const client = new MlflowClient(root);
  const data = loadIris(dataFile);
  const digest = createHash('md5').update(fs.readFileSync(dataFile)).digest('hex').slice(0, 8);

  const experimentName = 'iris-softmax';
  const existing = await client.getExperimentByName(experimentName);
  const experimentId = existing?.experimentId ?? (await client.createExperiment(experimentName, { tags: { 'mlflow.note.content': 'Softmax regression on Iris, trained in TypeScript by `npm run demo`.' } }));
  const sweep = new Date().toISOString();
  console.log(`Logging a sweep to ${path.resolve(client.trackingUri)} (experiment '${experimentName}', id ${experimentId})\n`);

  const grid = [
    { lr: 0.01, epochs: 30, l2: 0 },
    { lr: 0.1, epochs: 30, l2: 0 },
    { lr: 0.5, epochs: 30, l2: 0 },
    { lr: 0.1, epochs: 100, l2: 0.01 },
    { lr: 0.5, epochs: 100, l2: 0.01 },
    { lr: 0.8, epochs: 100, l2: 0.001 },
  ];
  for (const hp of grid) {
    const { train, test } = split(data.map((s) => ({ x: [...s.x], y: s.y })), 42);
    standardize(train, test);
    const run = await client.createRun(experimentId, {
      runName: `lr=${hp.lr} epochs=${hp.epochs}`,
      tags: { 'mlflow.source.type': 'LOCAL', 'mlflow.source.name': 'mlruns demo', sweep, 'mlflow.user': process.env['USER'] ?? 'demo' },
    });
    const runId = run.info.runId;
    await client.logBatch(runId, {
      params: [
        { key: 'learning_rate', value: hp.lr },
        { key: 'epochs', value: hp.epochs },
        { key: 'l2', value: hp.l2 },
        { key: 'model', value: 'softmax-regression' },
        { key: 'seed', value: 42 },
      ],
    });
    await client.logInputs(runId, [
      {
        dataset: {
          name: 'iris',
          digest,
          sourceType: 'local',
          source: JSON.stringify({ uri: dataFile }),
          schema: JSON.stringify({ mlflow_colspec: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'].map((name) => ({ type: 'double', name, required: true })) }),
          profile: JSON.stringify({ num_rows: data.length }),
        },
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
      },
    ]);
    const model = new SoftmaxRegression(4, 3);
    const metrics: { key: string; value: number; step: number; timestamp: number }[] = [];
    for (let epoch = 0; epoch < hp.epochs; epoch++) {
      const loss = model.epoch(train, hp.lr, hp.l2);
      const t = Date.now();
      metrics.push({ key: 'train_loss', value: loss, step: epoch, timestamp: t });
      metrics.push({ key: 'test_accuracy', value: model.accuracy(test), step: epoch, timestamp: t });
    }
    await client.logBatch(runId, { metrics });
    await client.logDict(runId, { classes: CLASSES, weights: model.w }, 'model/weights.json');
    await client.setTerminated(runId, 'FINISHED');
    console.log(`  run ${runId}  lr=${pad(String(hp.lr), 4)} epochs=${pad(String(hp.epochs), 3)} l2=${pad(String(hp.l2), 5)} test_accuracy=${model.accuracy(test).toFixed(3)}`);
  }

  const { runs } = await client.searchRuns([experimentId], `tags.sweep = '${sweep}' and metrics.test_accuracy > 0.5`, {
    orderBy: ['metrics.test_accuracy DESC', 'metrics.train_loss ASC'],
  });
  console.log(`\nsearchRuns("tags.sweep = '…' and metrics.test_accuracy > 0.5", order by test_accuracy DESC, train_loss ASC):\n`);
  console.log(`  ${pad('run name', 24)} ${pad('learning_rate', 14)} ${pad('epochs', 7)} ${pad('test_accuracy', 14)} train_loss`);
  for (const r of runs) {
    console.log(
      `  ${pad(r.info.runName ?? '', 24)} ${pad(r.data.params['learning_rate'] ?? '', 14)} ${pad(r.data.params['epochs'] ?? '', 7)} ${pad((r.data.metrics['test_accuracy'] ?? NaN).toFixed(3), 14)} ${(r.data.metrics['train_loss'] ?? NaN).toFixed(4)}`,
    );
  }
  const best = runs[0] as Run | undefined;
  const worst = runs[runs.length - 1] as Run | undefined;
  if (best && worst && best !== worst) {
    console.log(`\nBest vs worst:`);
    for (const key of ['learning_rate', 'epochs', 'l2']) {
      console.log(`  params.${pad(key, 14)} ${pad(best.data.params[key] ?? '', 10)} ${worst.data.params[key] ?? ''}`);
    }
    for (const key of ['test_accuracy', 'train_loss']) {
      console.log(`  metrics.${pad(key, 13)} ${pad((best.data.metrics[key] ?? NaN).toFixed(4), 10)} ${(worst.data.metrics[key] ?? NaN).toFixed(4)}`);
    }
    const history = await client.getMetricHistory(best.info.runId, 'test_accuracy');
    console.log(`\n  ${best.info.runName}: test_accuracy reached ${best.data.metrics['test_accuracy']?.toFixed(3)} after ${history.length} epochs`);
  }
  console.log(`\nBrowse and compare the runs in a browser (live as new runs arrive): npx mlruns ui ${root}`);
  console.log(`The same folder opens in Python: MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ${root}`);
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
