/**
 * The conformance suites against the REST store: a real `mlflow server` (MLflow 3.17.2,
 * --serve-artifacts) over SQLite, and one over a real PostgreSQL. One server per backend, shared
 * by the tracking and registry suites (each suite gets its own client), stopped at the end.
 */
import { afterAll } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { startMlflowServer } from '../rest/server.js';
import type { MlflowServer } from '../rest/server.js';
import { describeRegistryStoreConformance } from './registry.js';
import type { ConformanceTarget } from './target.js';
import { describeTrackingStoreConformance } from './tracking.js';

const servers = new Map<string, Promise<MlflowServer>>();

function restTarget(backend: 'sqlite' | 'postgres'): () => Promise<ConformanceTarget> {
  return async () => {
    let server = servers.get(backend);
    if (!server) {
      server = startMlflowServer({ backend });
      servers.set(backend, server);
    }
    const { url } = await server;
    const client = new MlflowClient(url);
    // The server's SQL store keeps ±Infinity as ±1.7976931348623157e308 (Python reads that too).
    return { uri: url, client, cleanup: async () => client.close(), infinityAs: Number.MAX_VALUE };
  };
}

afterAll(async () => {
  for (const s of servers.values()) await (await s).stop();
});

describeTrackingStoreConformance('rest (mlflow server, SQLite)', restTarget('sqlite'));
describeRegistryStoreConformance('rest (mlflow server, SQLite)', restTarget('sqlite'));
describeTrackingStoreConformance('rest (mlflow server, PostgreSQL)', restTarget('postgres'));
describeRegistryStoreConformance('rest (mlflow server, PostgreSQL)', restTarget('postgres'));
