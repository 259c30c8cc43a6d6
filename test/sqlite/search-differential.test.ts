/**
 * Search differential on a database: Python's SqlAlchemyStore.search_runs (MLflow 3.17.2) and
 * ours on the same MLflow SQLite database (the shared runner: test/search/run-differential.ts).
 * Each generated store is a fresh experiment of one database, written by our store (Python opens
 * a database once, then reuses it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlflowClient } from '../../src/tracking/client.js';
import { defineRunSearchDifferential } from '../search/run-differential.js';
import { sqliteUri, startOracle } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-sqldiff-'));
const clients: MlflowClient[] = [];
let shared: MlflowClient | undefined;

defineRunSearchDifferential({
  title: 'search_runs on a database: ours vs SqlAlchemyStore of MLflow 3.17.2',
  stores: Number(process.env.MLRUNS_SQLITE_SEARCH_STORES ?? 25),
  queries: Number(process.env.MLRUNS_SQLITE_SEARCH_QUERIES ?? 40),
  startOracle: () => startOracle('3'),
  async freshExperiment(n) {
    if (n < 0) {
      const root = sqliteUri(path.join(tmp, 'surrogates.db'));
      const c = new MlflowClient(root);
      clients.push(c);
      return { c, root, eid: await c.createExperiment('s') };
    }
    const root = sqliteUri(path.join(tmp, 'stores.db'));
    if (!shared) {
      shared = new MlflowClient(root);
      clients.push(shared);
    }
    return { c: shared, root, eid: await shared.createExperiment(`diff-${n}`) };
  },
  cleanup() {
    for (const c of clients) c.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  },
});
