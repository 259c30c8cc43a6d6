// Reads a store with a small heap (run with --max-old-space-size=512) and prints one JSON line:
// what searchExperiments/searchRuns/getRun answered, the warnings, and any error (code + message).
//   node --max-old-space-size=512 big-read.mjs <libDir> <root> <experimentId> <runId>
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [libDir, root, experimentId, runId] = process.argv.slice(2);
const { MlflowClient } = await import(pathToFileURL(path.join(libDir, 'tracking', 'client.js')).href);
const warnings = [];
const client = new MlflowClient(root, { onWarning: (w) => warnings.push({ code: w.code, path: w.path, message: w.message.slice(0, 300) }) });
const out = { experiments: null, runs: null, run: null, errors: [], warnings, ms: 0 };
const t0 = Date.now();
const attempt = async (what, fn) => {
  try {
    return await fn();
  } catch (err) {
    out.errors.push({ what, name: err?.name, code: err?.code ?? null, message: String(err?.message ?? err).slice(0, 300) });
    return null;
  }
};
const exps = await attempt('searchExperiments', () => client.searchExperiments({ viewType: 'ALL' }));
out.experiments = exps ? exps.experiments.map((e) => e.experimentId) : null;
const runs = await attempt('searchRuns', () => client.searchRuns([experimentId], '', { runViewType: 'ALL' }));
out.runs = runs ? runs.runs.map((r) => ({ runId: r.info.runId, metrics: r.data.metrics, params: Object.keys(r.data.params) })) : null;
const run = await attempt('getRun', () => client.getRun(runId));
out.run = run ? { metrics: run.data.metrics } : null;
out.ms = Date.now() - t0;
out.heapMB = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
process.stdout.write(JSON.stringify(out) + '\n');
