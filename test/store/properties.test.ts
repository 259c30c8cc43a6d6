/**
 * Property tests against Python, both directions: random keys (unicode, nested, spaces, colons),
 * random values (any well-formed unicode, newlines, empty) and random doubles (NaN, ±inf, -0,
 * subnormals, huge) go through our writer and Python's reader, and through Python's writer and
 * our reader, and come back identical.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { Oracle } from '../oracle/oracle.js';

const seg = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019_.- :éß字Ωж٣'.split('')), minLength: 1, maxLength: 8 })
  .filter((s) => s !== '.' && s !== '..' && !s.startsWith(' ') && !s.endsWith(' ') && !s.endsWith('.'));
const key = fc
  .array(seg, { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('/'))
  .filter((k) => !k.startsWith('..')); // MLflow (and we) reject names resolving above their folder
const value = fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => s.isWellFormed());

/** Keys of one entity kind with no file/folder clash ('a' vs 'a/b') and no case-only twins. */
const keySet = fc.uniqueArray(key, { minLength: 1, maxLength: 6, selector: (k) => k.toLowerCase() }).filter((keys) =>
  keys.every((a) => keys.every((b) => a === b || !b.toLowerCase().startsWith(a.toLowerCase() + '/'))),
);

const payload = fc.record({
  params: keySet.chain((ks) => fc.tuple(...ks.map((k) => fc.tuple(fc.constant(k), value)))),
  tags: keySet.chain((ks) => fc.tuple(...ks.map((k) => fc.tuple(fc.constant(k), value)))),
  metrics: keySet.chain((ks) =>
    fc.tuple(
      ...ks.map((k) =>
        fc.tuple(
          fc.constant(k),
          fc.array(fc.tuple(fc.double(), fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: -5, max: 2 ** 40 })), { minLength: 1, maxLength: 4 }),
        ),
      ),
    ),
  ),
});
type Payload = typeof payload extends fc.Arbitrary<infer T> ? T : never;

const PY_READ = `
r = client.get_run(vars['rid'])
result = {'params': r.data.params, 'tags': {k: v for k, v in r.data.tags.items() if k != 'mlflow.runName'},
          'metrics': {k: [[m.value, m.timestamp, m.step] for m in client.get_metric_history(vars['rid'], k)] for k in r.data.metrics},
          'latest': r.data.metrics}
`;

const PY_WRITE = `
from mlflow.entities import Metric
exp = client.get_experiment_by_name('props') or None
eid = exp.experiment_id if exp else client.create_experiment('props')
rid = client.create_run(eid).info.run_id
for k, v in vars['p']['params']:
    client.log_param(rid, k, v)
for k, v in vars['p']['tags']:
    client.set_tag(rid, k, v)
for k, pts in vars['p']['metrics']:
    for value, ts, step in pts:
        client.log_metric(rid, k, value, timestamp=ts, step=step)
result = rid
`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-props-'));
let py: Oracle;
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function expected(p: Payload): { params: Record<string, string>; tags: Record<string, string>; metrics: Record<string, number[][]> } {
  return {
    params: Object.fromEntries(p.params),
    tags: Object.fromEntries(p.tags),
    metrics: Object.fromEntries(p.metrics.map(([k, pts]) => [k, pts.map(([v, ts, step]) => [v, ts, step])])),
  };
}

describe('random data round-trips through Python', () => {
  it('we write, Python reads', async () => {
    const root = path.join(tmp, 'ts-writes', 'mlruns');
    const c = new MlflowClient(root);
    const eid = await c.createExperiment('props');
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const rid = (await c.createRun(eid)).info.runId;
        for (const [k, v] of p.params) await c.logParam(rid, k, v);
        for (const [k, v] of p.tags) await c.setTag(rid, k, v);
        for (const [k, pts] of p.metrics) for (const [v, ts, step] of pts) await c.logMetric(rid, k, v, { timestamp: ts, step });
        const theirs = await py.exec<{ params: Record<string, string>; tags: Record<string, string>; metrics: Record<string, number[][]>; latest: Record<string, number> }>(root, PY_READ, { rid });
        const want = expected(p);
        expect(theirs.params).toEqual(want.params);
        expect(theirs.tags).toEqual(want.tags);
        expect(theirs.metrics).toEqual(want.metrics);
        const ours = await c.getRun(rid);
        expect(ours.data.metrics).toEqual(theirs.latest);
      }),
      { numRuns: 150 },
    );
  });

  it('Python writes, we read', async () => {
    const root = path.join(tmp, 'py-writes', 'mlruns');
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const rid = await py.exec<string>(root, PY_WRITE, { p });
        const c = new MlflowClient(root);
        const run = await c.getRun(rid);
        const want = expected(p);
        expect(run.data.params).toEqual(want.params);
        const { ['mlflow.runName']: _n, ...tags } = run.data.tags;
        expect(tags).toEqual(want.tags);
        for (const [k, pts] of Object.entries(want.metrics)) {
          const h = await c.getMetricHistory(rid, k);
          expect(h.map((m) => [m.value, m.timestamp, m.step])).toEqual(pts);
        }
        const theirs = await py.exec<{ latest: Record<string, number> }>(root, PY_READ, { rid });
        expect(run.data.metrics).toEqual(theirs.latest);
      }),
      { numRuns: 150 },
    );
  });
});
