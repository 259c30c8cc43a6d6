/**
 * End-to-end search differential on a real folder: Python's FileStore.search_runs (MLflow 3.17)
 * and ours on the same folder (the shared runner: test/search/run-differential.ts). Each generated
 * store is a fresh folder whose runs keep their generated ids.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlflowClient } from '../../src/tracking/client.js';
import { Oracle } from '../oracle/oracle.js';
import { defineRunSearchDifferential } from '../search/run-differential.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-sdiff-'));
const clients: MlflowClient[] = [];

defineRunSearchDifferential({
  title: 'search_runs on a real folder: ours vs MLflow 3.17',
  stores: Number(process.env.MLRUNS_STORE_SEARCH_STORES ?? 25),
  queries: Number(process.env.MLRUNS_STORE_SEARCH_QUERIES ?? 40),
  startOracle: () => Oracle.start('3'),
  async freshExperiment(n, runIds) {
    const root = path.join(tmp, n < 0 ? 'surrogates' : `s${n}`, 'mlruns');
    const queue = [...runIds];
    const c = new MlflowClient(root, runIds.length > 0 ? { ids: { runId: () => queue.shift() as string } } : {});
    clients.push(c);
    const eid = await c.createExperiment(n < 0 ? 's' : 'diff');
    return { c, root, eid };
  },
  cleanup() {
    for (const c of clients) c.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  },
});
