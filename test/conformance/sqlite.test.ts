/**
 * The conformance suites against MLflow's SQL store in SQLite (a fresh `mlflow.db` per suite,
 * its artifacts next to it as MLflow puts them).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlflowClient } from '../../src/tracking/client.js';
import { describeRegistryStoreConformance } from './registry.js';
import type { ConformanceTarget } from './target.js';
import { describeTrackingStoreConformance } from './tracking.js';

async function sqliteTarget(): Promise<ConformanceTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-conf-sqlite-'));
  const uri = `sqlite:///${path.join(dir, 'mlflow.db')}`;
  const client = new MlflowClient(uri, { artifactRoot: path.join(dir, 'mlruns') });
  return {
    uri,
    client,
    cleanup: async () => {
      client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeTrackingStoreConformance('sqlite', sqliteTarget);
describeRegistryStoreConformance('sqlite', sqliteTarget);
