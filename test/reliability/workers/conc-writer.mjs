// Concurrency writer (TypeScript side): waits for GO on stdin, then for `ms` milliseconds logs
// into the shared run and into runs of its own, every value unique (writer * 1e7 + i). At the
// end prints one JSON line: everything it logged.
//   node conc-writer.mjs <libDir> <root> <experimentId> <sharedRunId> <writer> <ms>
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [libDir, root, expId, shared, writerArg, msArg] = process.argv.slice(2);
const { MlflowClient } = await import(pathToFileURL(path.join(libDir, 'tracking', 'client.js')).href);
const w = Number(writerArg);
const client = new MlflowClient(root);
const log = { writer: w, metrics: [], params: [], tags: [], runs: [] }; // metrics: [run, key, value]
process.stdout.write('READY\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy(); // or the open pipe keeps the process alive
const end = Date.now() + Number(msArg);
let own = null;
for (let i = 0; Date.now() < end; i++) {
  const v = w * 1e7 + i;
  await client.logMetric(shared, 'shared', v, { step: i, timestamp: 1_700_000_000_000 + i });
  log.metrics.push([shared, 'shared', v]);
  if (i % 5 === 0) {
    await client.logParam(shared, `w${w}_p${i}`, v);
    log.params.push([shared, `w${w}_p${i}`, String(v)]);
    await client.setTag(shared, `w${w}_t${i}`, v);
    log.tags.push([shared, `w${w}_t${i}`, String(v)]);
  }
  if (i % 10 === 0) {
    const ms = [0, 1, 2].map((k) => ({ key: `batch_w${w}`, value: v + k * 1e6, step: i, timestamp: 1_700_000_000_000 + i }));
    await client.logBatch(shared, { metrics: ms, params: [{ key: `w${w}_bp${i}`, value: v }], tags: [{ key: 'last_batch', value: v }] });
    for (const m of ms) log.metrics.push([shared, m.key, m.value]);
    log.params.push([shared, `w${w}_bp${i}`, String(v)]);
  }
  if (i % 50 === 0) {
    own = (await client.createRun(expId, { runName: `w${w}-${i}` })).info.runId;
    log.runs.push(own);
  }
  if (own) {
    await client.logMetric(own, 'own', v, { step: i, timestamp: 1_700_000_000_000 + i });
    log.metrics.push([own, 'own', v]);
  }
}
for (const r of log.runs) await client.setTerminated(r);
process.stdout.write(JSON.stringify(log) + '\n');
