// A fixed sequence of operations, printing one acknowledgement line per operation in
// crash-writer.mjs's format; run under fs-inject.mjs to die at one chosen file-system call.
//   node --import fs-inject.mjs crash-script.mjs <libDir> <root> <experimentId> <runId>
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [libDir, root, expId, runA] = process.argv.slice(2);
const { MlflowClient } = await import(pathToFileURL(path.join(libDir, 'tracking', 'client.js')).href);
const client = new MlflowClient(root);
const out = (s) => process.stdout.write(s + '\n');
out('READY');
const b = (await client.createRun(expId, { runName: 'b', tags: { origin: 'script', 'nested/key': 'x' } })).info.runId;
out(`RUN ${b}`);
await client.logParam(runA, 'p1', 'v1');
out(`P ${runA} p1 v1`);
await client.logParam(runA, 'dir/p2', 'v2');
out(`P ${runA} dir/p2 v2`);
await client.setTag(runA, 't0', '1');
out(`T ${runA} t0 1`);
await client.setTag(runA, 't0', '2');
out(`T ${runA} t0 2`);
await client.logMetric(runA, 'm0', 1, { step: 1, timestamp: 1_700_000_000_001 });
out(`M ${runA} m0 1 1`);
const metrics = [];
for (let i = 0; i < 400; i++) metrics.push([`m${i % 3}`, 1000 + i, 10 + i]);
await client.logBatch(runA, {
  metrics: metrics.map(([key, value, step]) => ({ key, value, step, timestamp: 1_700_000_000_000 + value })),
  params: [{ key: 'bp', value: 'x' }],
  tags: [{ key: 't1', value: '3' }],
});
out(`B ${JSON.stringify({ run: runA, metrics, params: [['bp', 'x']], tags: [['t1', '3']] })}`);
await client.setTag(runA, 'mlflow.runName', 'renamed-5');
out(`T ${runA} mlflow.runName renamed-5`);
await client.logMetric(b, 'mb', 7, { step: 0, timestamp: 1_700_000_000_007 });
out(`M ${b} mb 7 0`);
await client.setTerminated(b);
out(`END ${b}`);
await client.setExperimentTag(expId, 'etag', 'v');
out('DONE');
