// Runs a fixed list of operations, each in its own try/catch, printing crash-writer.mjs's
// acknowledgement lines for those that succeed and `ERR <json>` for those that fail; run under
// fs-inject.mjs (error mode) to make file-system calls fail with ENOSPC/EROFS.
//   node --import fs-inject.mjs fault-script.mjs <libDir> <root> <experimentId> <runId>
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [libDir, root, expId, runA] = process.argv.slice(2);
const { MlflowClient } = await import(pathToFileURL(path.join(libDir, 'tracking', 'client.js')).href);
const client = new MlflowClient(root);
const out = (s) => process.stdout.write(s + '\n');
const op = async (name, fn, ack) => {
  try {
    const r = await fn();
    const line = ack(r);
    if (line) out(line);
    return r;
  } catch (err) {
    out(`ERR ${JSON.stringify({ op: name, name: err?.name, code: err?.code ?? null, path: err?.path ?? null, message: String(err?.message ?? err) })}`);
    return undefined;
  }
};
out('READY');
const metrics = [];
for (let i = 0; i < 300; i++) metrics.push([`m${i % 3}`, 1000 + i, 10 + i]);
await op('logMetric', () => client.logMetric(runA, 'm0', 1, { step: 1, timestamp: 1_700_000_000_001 }), () => `M ${runA} m0 1 1`);
await op('logMetric.new', () => client.logMetric(runA, 'fresh', 2, { step: 2, timestamp: 1_700_000_000_002 }), () => `M ${runA} fresh 2 2`);
await op(
  'logBatch',
  () =>
    client.logBatch(runA, {
      metrics: metrics.map(([key, value, step]) => ({ key, value, step, timestamp: 1_700_000_000_000 + value })),
      params: [{ key: 'bp', value: 'x' }],
      tags: [{ key: 't1', value: '3' }],
    }),
  () => `B ${JSON.stringify({ run: runA, metrics, params: [['bp', 'x']], tags: [['t1', '3']] })}`,
);
await op('logParam', () => client.logParam(runA, 'p1', 'v1'), () => `P ${runA} p1 v1`);
await op('setTag', () => client.setTag(runA, 't0', '2'), () => `T ${runA} t0 2`);
await op('setTag.runName', () => client.setTag(runA, 'mlflow.runName', 'renamed-9'), () => `T ${runA} mlflow.runName renamed-9`);
const b = await op('createRun', () => client.createRun(expId, { runName: 'b' }), (r) => `RUN ${r.info.runId}`);
await op('createExperiment', () => client.createExperiment(`e-${process.pid}`), () => '');
await op('setExperimentTag', () => client.setExperimentTag(expId, 'k', 'v'), () => '');
await op('logText', () => client.logText(runA, 'hello', 'notes/a.txt'), () => '');
await op('createRegisteredModel', () => client.createRegisteredModel(`rm-${process.pid}`), () => '');
if (b) await op('setTerminated', () => client.setTerminated(b.info.runId), () => `END ${b.info.runId}`);
await op('deleteTag', () => client.deleteTag(runA, 'gone'), () => '');
out('DONE');
