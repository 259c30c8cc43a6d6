/**
 * The conformance suites against MLflow's file store (a fresh `mlruns/` folder per suite).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlflowClient } from '../../src/tracking/client.js';
import { describeRegistryStoreConformance } from './registry.js';
import type { ConformanceTarget } from './target.js';
import { describeTrackingStoreConformance } from './tracking.js';

async function fileTarget(): Promise<ConformanceTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-conf-file-'));
  const uri = path.join(dir, 'mlruns');
  const warnings: string[] = [];
  const client = new MlflowClient(uri, { catalog: 'off', onWarning: (w) => warnings.push(w.message) });
  return {
    uri,
    client,
    cleanup: async () => {
      client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeTrackingStoreConformance('file', fileTarget);
describeRegistryStoreConformance('file', fileTarget);
