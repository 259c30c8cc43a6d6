/**
 * Bad input: each invalid call gets the error Python MLflow gives for it (same code, same message
 * where MLflow's is stable), and nothing on disk changes. Every case runs against both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { Oracle } from '../oracle/oracle.js';
import { snapshotTree } from './tree.js';

interface Case {
  name: string;
  /** Python statement(s); `c`, `rid` (active run), `did` (deleted run), `eid` are bound. */
  py: string;
  ts: (c: MlflowClient, ids: { rid: string; did: string; eid: string }) => Promise<unknown>;
  /** Compare the message too (false where only the kind of error is stable). */
  message?: boolean;
}

const long = (n: number): string => 'x'.repeat(n);

const cases: Case[] = [
  { name: 'param key with ..', py: "c.log_param(rid, '../x', 'v')", ts: (c, { rid }) => c.logParam(rid, '../x', 'v'), message: true },
  { name: 'absolute param key', py: "c.log_param(rid, '/abs', 'v')", ts: (c, { rid }) => c.logParam(rid, '/abs', 'v'), message: true },
  { name: 'param key with //', py: "c.log_param(rid, 'a//b', 'v')", ts: (c, { rid }) => c.logParam(rid, 'a//b', 'v'), message: true },
  { name: 'param key with a trailing /', py: "c.log_param(rid, 'a/', 'v')", ts: (c, { rid }) => c.logParam(rid, 'a/', 'v'), message: true },
  { name: 'metric name with !', py: "c.log_metric(rid, 'bad!', 1.0, timestamp=1, step=0)", ts: (c, { rid }) => c.logMetric(rid, 'bad!', 1, { timestamp: 1, step: 0 }), message: true },
  { name: 'tag key with a NUL', py: "c.set_tag(rid, 'a\\x00b', 'v')", ts: (c, { rid }) => c.setTag(rid, 'a\u0000b', 'v'), message: true },
  { name: 'empty metric name', py: "c.log_metric(rid, '', 1.0, timestamp=1, step=0)", ts: (c, { rid }) => c.logMetric(rid, '', 1, { timestamp: 1, step: 0 }), message: true },
  { name: 'key of 251 characters', py: `c.log_param(rid, '${long(251)}', 'v')`, ts: (c, { rid }) => c.logParam(rid, long(251), 'v'), message: true },
  { name: 'changed param', py: "c.log_param(rid, 'p', 'v2')", ts: (c, { rid }) => c.logParam(rid, 'p', 'v2'), message: true },
  { name: 'unknown run', py: "c.log_param('0123456789abcdef0123456789abcdef', 'k', 'v')", ts: (c) => c.logParam('0123456789abcdef0123456789abcdef', 'k', 'v'), message: true },
  { name: 'invalid run id', py: "c.get_run('../etc')", ts: (c) => c.getRun('../etc'), message: true },
  { name: 'unknown experiment', py: "c.get_experiment('999')", ts: (c) => c.getExperiment('999'), message: true },
  { name: 'run in an unknown experiment', py: "c.create_run('999')", ts: (c) => c.createRun('999'), message: true },
  { name: 'param on a deleted run', py: "c.log_param(did, 'k', 'v')", ts: (c, { did }) => c.logParam(did, 'k', 'v'), message: true },
  { name: 'metric on a deleted run', py: "c.log_metric(did, 'm', 1.0, timestamp=1, step=0)", ts: (c, { did }) => c.logMetric(did, 'm', 1, { timestamp: 1, step: 0 }), message: true },
  { name: 'tag on a deleted run', py: "c.set_tag(did, 'k', 'v')", ts: (c, { did }) => c.setTag(did, 'k', 'v'), message: true },
  { name: 'deleting a missing tag', py: "c.delete_tag(rid, 'nope')", ts: (c, { rid }) => c.deleteTag(rid, 'nope'), message: true },
  { name: 'duplicate experiment name', py: "c.create_experiment('exp')", ts: (c) => c.createExperiment('exp'), message: true },
  { name: 'empty experiment name', py: "c.create_experiment('')", ts: (c) => c.createExperiment(''), message: false },
  { name: 'deleting the Default experiment', py: "c.delete_experiment('0')", ts: (c) => c.deleteExperiment('0'), message: true },
  { name: 'run name and mlflow.runName disagree', py: "c.create_run(eid, run_name='a', tags={'mlflow.runName': 'b'})", ts: (c, { eid }) => c.createRun(eid, { runName: 'a', tags: { 'mlflow.runName': 'b' } }), message: true },
  { name: 'batch with duplicate param keys', py: "from mlflow.entities import Param\nc.log_batch(rid, params=[Param('d', '1'), Param('d', '2')])", ts: (c, { rid }) => c.logBatch(rid, { params: [{ key: 'd', value: '1' }, { key: 'd', value: '2' }] }), message: false },
  { name: 'batch with 101 params in one store call', py: "from mlflow.entities import Param\nc._tracking_client.store.log_batch(rid, [], [Param(f'k{i}', 'v') for i in range(101)], [])", ts: (c, { rid }) => c.store.logBatch(rid, { params: Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }), message: true },
  { name: 'experiment tag on a deleted experiment', py: "c.set_experiment_tag(vars['deid'], 'k', 'v')", ts: (c) => c.setExperimentTag(deletedExp, 'k', 'v'), message: true },
];

let deletedExp = '';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-bad-'));
let py: Oracle;
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function setup(root: string): Promise<{ c: MlflowClient; ids: { rid: string; did: string; eid: string }; deid: string }> {
  const c = new MlflowClient(root);
  const eid = await c.createExperiment('exp');
  const rid = (await c.createRun(eid, { runName: 'r' })).info.runId;
  await c.logParam(rid, 'p', 'v1');
  const did = (await c.createRun(eid, { runName: 'd' })).info.runId;
  await c.deleteRun(did);
  const deid = await c.createExperiment('gone');
  await c.deleteExperiment(deid);
  return { c, ids: { rid, did, eid }, deid };
}

describe('bad input', () => {
  it.each(cases.map((k, i) => [k.name, k, i] as const))('%s', async (_n, k, i) => {
    const root = path.join(tmp, `case-${i}`, 'mlruns');
    const { c, ids, deid } = await setup(root);
    deletedExp = deid;
    const before = snapshotTree(root);
    let ours: { code: string; message: string } | undefined;
    try {
      await k.ts(c, ids);
    } catch (err) {
      expect(err).toBeInstanceOf(MlflowError);
      ours = { code: (err as MlflowError).code, message: (err as Error).message };
    }
    const after = snapshotTree(root);
    expect(ours, 'our call should fail').toBeDefined();
    expect([...after.entries()]).toEqual([...before.entries()]);
    const theirs = await py.execOrError(root, `c = client\nrid, did, eid = vars['rid'], vars['did'], vars['eid']\n${k.py}`, { ...ids, deid });
    expect(theirs && typeof theirs === 'object' && 'error' in theirs, 'python should fail too').toBe(true);
    const pe = (theirs as { error: { code: string | null; message: string } }).error;
    // The file store wraps some errors in INTERNAL_ERROR (log_batch) exactly as we do.
    expect(ours?.code).toBe(pe.code ?? 'INTERNAL_ERROR');
    if (k.message) expect(ours?.message).toBe(pe.message);
  });
});

// Text UTF-8 cannot encode: Python fails with a UnicodeEncodeError (no error code) after opening
// the file, leaving an empty param/tag file behind; we refuse before writing, naming the file.
describe('lone UTF-16 surrogates', () => {
  // log_batch wraps every failure in INTERNAL_ERROR, in Python's file store and in ours.
  const surrogateCases: { name: string; py: string; ts: (c: MlflowClient, rid: string) => Promise<unknown>; code?: string }[] = [
    { name: 'param value', py: "c.log_param(rid, 'x', '\\ude00')", ts: (c, rid) => c.logParam(rid, 'x', '\ude00') },
    { name: 'tag value', py: "c.set_tag(rid, 't', 'a\\ud800')", ts: (c, rid) => c.setTag(rid, 't', 'a\ud800') },
    { name: 'batch param', py: "from mlflow.entities import Param\nc.log_batch(rid, params=[Param('y', '\\udfff')])", ts: (c, rid) => c.logBatch(rid, { params: [{ key: 'y', value: '\udfff' }] }), code: 'INTERNAL_ERROR' },
  ];
  it.each(surrogateCases.map((k, i) => [k.name, k, i] as const))('%s', async (_n, k, i) => {
    const root = path.join(tmp, `surrogate-${i}`, 'mlruns');
    const { c, ids } = await setup(root);
    const before = snapshotTree(root);
    const err = await k.ts(c, ids.rid).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).code).toBe(k.code ?? 'INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toMatch(/lone UTF-16 surrogate/);
    expect([...snapshotTree(root).entries()]).toEqual([...before.entries()]);
    const theirs = await py.execOrError(root, `c = client\nrid = vars['rid']\n${k.py}`, ids);
    expect(theirs && typeof theirs === 'object' && 'error' in theirs, 'python should fail too').toBe(true);
    expect((theirs as { error: { message: string } }).error.message).toMatch(/surrogates not allowed/);
  });
});
