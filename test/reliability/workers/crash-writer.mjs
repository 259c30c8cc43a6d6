// Crash-safety writer: logs through MlflowClient as fast as it can and prints one line per
// acknowledged operation (stdout is a pipe: writes are synchronous on Linux, so a printed line
// means the call had returned). The parent kills it with SIGKILL at a random moment.
//   node crash-writer.mjs <libDir> <root> <experimentId> <seed> <base> [runId ...]
// Lines: READY | RUN <id> | M <run> <key> <value> <step> | P <run> <key> <value> | T <run> <key> <value>
//        | B <json {run, metrics:[[key,value,step]], params:[[k,v]], tags:[[k,v]]}> | END <run>
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [libDir, root, expId, seedArg, baseArg, ...resume] = process.argv.slice(2);
const { MlflowClient } = await import(pathToFileURL(path.join(libDir, 'tracking', 'client.js')).href);
let seed = Number(seedArg) >>> 0 || 1;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const out = (s) => process.stdout.write(s + '\n');
const client = new MlflowClient(root);
const runs = [...resume];
let n = Number(baseArg); // values and names are unique across rounds: base + counter
let step = 0;
const pick = () => runs[Math.floor(rand() * runs.length)];
out('READY');
for (;;) {
  const r = rand();
  if (runs.length === 0 || r < 0.03) {
    const run = await client.createRun(expId, { runName: `crash-${n}`, tags: { origin: 'crash', seq: n } });
    n++;
    runs.push(run.info.runId);
    out(`RUN ${run.info.runId}`);
    continue;
  }
  const run = pick();
  const i = n++;
  if (r < 0.45) {
    const key = `m${i % 4}`;
    await client.logMetric(run, key, i, { step: step, timestamp: 1_700_000_000_000 + i });
    out(`M ${run} ${key} ${i} ${step++}`);
  } else if (r < 0.58) {
    await client.logParam(run, `p_${i}`, `v${i}`);
    out(`P ${run} p_${i} v${i}`);
  } else if (r < 0.72) {
    // Overwritten tags: the value read must be the last acknowledged one or a later one.
    const key = `t${i % 7}`;
    await client.setTag(run, key, String(i));
    out(`T ${run} ${key} ${i}`);
  } else if (r < 0.74) {
    await client.setTag(run, 'mlflow.runName', `renamed-${i}`);
    out(`T ${run} mlflow.runName renamed-${i}`);
  } else if (r < 0.95) {
    const big = rand() < 0.15;
    const count = big ? 900 : 1 + Math.floor(rand() * 40);
    const metrics = [];
    for (let k = 0; k < count; k++) {
      const v = n++;
      metrics.push([big ? 'big' : `m${v % 4}`, v, step++]);
    }
    const params = rand() < 0.5 ? [[`bp_${i}`, `x${i}`]] : [];
    const tags = rand() < 0.5 ? [[`bt${i % 5}`, String(i)]] : [];
    await client.logBatch(run, {
      metrics: metrics.map(([key, value, s]) => ({ key, value, step: s, timestamp: 1_700_000_000_000 + value })),
      params: params.map(([key, value]) => ({ key, value })),
      tags: tags.map(([key, value]) => ({ key, value })),
    });
    out(`B ${JSON.stringify({ run, metrics, params, tags })}`);
  } else {
    await client.setTerminated(run);
    runs.splice(runs.indexOf(run), 1);
    out(`END ${run}`);
  }
}
