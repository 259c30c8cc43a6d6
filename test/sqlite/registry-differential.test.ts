/**
 * Registry search differential on a database: generated registered models and model versions
 * (names, tags incl. prompt markers, stages, sources, run ids, timestamps incl. null) are written
 * by Python — SQLAlchemy's ORM models of MLflow 3.17.2 in the oracle process, on a database its
 * migrations created — then generated filters, order_bys, max_results and page tokens are
 * answered by Python's registry SqlAlchemyStore (`search_registered_models`,
 * `search_model_versions`) and by our SqliteRegistryStore on that same file: the same names (and
 * versions) in the same order with the same next-page token, or both refuse with the same error
 * code. The generators are the file-store search differential's (test/search/gen.ts), on the
 * project's fixed fast-check seed (test/setup/fast-check-seed.ts; MLRUNS_FC_SEED replays another).
 * Every case is compared; the test fails listing each case that differs.
 * MLRUNS_SQLITE_REGISTRY_CASES sets the number of cases per search (default 150; `npm run fuzz`: 600 on fresh seeds).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelVersion, RegisteredModel } from '../../src/entities.js';
import { MlflowError } from '../../src/errors.js';
import { MlflowClient } from '../../src/tracking/client.js';
import type { Oracle } from '../oracle/oracle.js';
import { modelCaseArb, modelValidCaseArb, versionCaseArb, versionValidCaseArb } from '../search/gen.js';
import type { SearchCase } from '../search/gen.js';
import { sqliteUri, startOracle } from './helpers.js';

const CASES = Number(process.env.MLRUNS_SQLITE_REGISTRY_CASES ?? 150);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-sqlregdiff-'));
const uri = sqliteUri(path.join(tmp, 'registry.db'));
let py: Oracle;
let client: MlflowClient;

beforeAll(async () => {
  py = await startOracle('3');
  // Python creates the database (its migrations) before we open it.
  await py.exec(uri, 'result = len(client.search_registered_models())');
  client = new MlflowClient(uri);
}, 300_000);

afterAll(async () => {
  client?.close();
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Replaces every registry row of the database by Python's ORM (the generated entities as given). */
const WRITE = `
from mlflow.store.model_registry.dbmodels.models import (
    SqlModelVersion, SqlModelVersionTag, SqlRegisteredModel, SqlRegisteredModelAlias, SqlRegisteredModelTag)
store = client._get_registry_client().store
with store.ManagedSessionMaker() as s:
    for cls in (SqlModelVersionTag, SqlRegisteredModelAlias, SqlModelVersion, SqlRegisteredModelTag, SqlRegisteredModel):
        s.query(cls).delete()
    for m in vars["models"]:
        s.add(SqlRegisteredModel(name=m["name"], creation_time=m["creationTimestamp"], last_updated_time=m["lastUpdatedTimestamp"], description=m["description"]))
    s.flush()
    for m in vars["models"]:
        for k, v in m["tags"].items():
            s.add(SqlRegisteredModelTag(name=m["name"], key=k, value=v))
    for v in vars["versions"]:
        s.add(SqlModelVersion(name=v["name"], version=int(v["version"]), creation_time=v["creationTimestamp"],
            last_updated_time=v["lastUpdatedTimestamp"], current_stage=v["currentStage"], source=v["source"],
            run_id=v["runId"], status=v["status"]))
    s.flush()
    for v in vars["versions"]:
        for k, val in v["tags"].items():
            s.add(SqlModelVersionTag(name=v["name"], version=int(v["version"]), key=k, value=val))
result = True
`;

async function writeByPython(models: RegisteredModel[], versions: ModelVersion[]): Promise<void> {
  // A version needs its registered model; models named only by versions get plain rows.
  const all = [...models];
  for (const v of versions) {
    if (!all.some((m) => m.name === v.name)) all.push({ name: v.name, description: null, latestVersions: [], aliases: {}, tags: {}, creationTimestamp: 1, lastUpdatedTimestamp: 1 });
  }
  await py.exec(uri, WRITE, { models: all, versions });
}

function pyOptions<E>(c: SearchCase<E>): { filter?: string; orderBy?: string[]; pageToken?: string; maxResults?: number } {
  return {
    ...(c.filter === null ? {} : { filter: c.filter }),
    ...(c.orderBy === null ? {} : { orderBy: c.orderBy }),
    ...(c.pageToken === null ? {} : { pageToken: c.pageToken }),
    ...(c.maxResults === undefined ? {} : { maxResults: c.maxResults }),
  };
}

type Outcome = { names: string[]; token: string | null } | { code: string };

async function modelOutcomes(c: SearchCase<RegisteredModel>): Promise<{ ours: Outcome; theirs: Outcome }> {
  let ours: Outcome;
  try {
    const page = await client.searchRegisteredModels({
      filterString: c.filter,
      orderBy: c.orderBy,
      pageToken: c.pageToken,
      ...(c.maxResults === undefined ? {} : { maxResults: c.maxResults }),
    });
    ours = { names: page.registeredModels.map((m) => m.name), token: page.token };
  } catch (err) {
    if (!(err instanceof MlflowError)) throw err;
    ours = { code: err.code };
  }
  const res = await py.searchRegisteredModels(uri, pyOptions(c));
  const theirs: Outcome = 'error' in res ? { code: res.error.code ?? 'INTERNAL_ERROR' } : { names: res.names, token: res.token };
  return { ours, theirs };
}

async function versionOutcomes(c: SearchCase<ModelVersion>): Promise<{ ours: Outcome; theirs: Outcome }> {
  let ours: Outcome;
  try {
    const page = await client.searchModelVersions({
      filterString: c.filter,
      orderBy: c.orderBy,
      pageToken: c.pageToken,
      ...(c.maxResults === undefined ? {} : { maxResults: c.maxResults }),
    });
    ours = { names: page.modelVersions.map((v) => `${v.name}/${v.version}`), token: page.token };
  } catch (err) {
    if (!(err instanceof MlflowError)) throw err;
    ours = { code: err.code };
  }
  const res = await py.searchModelVersions(uri, pyOptions(c));
  const theirs: Outcome = 'error' in res ? { code: res.error.code ?? 'INTERNAL_ERROR' } : { names: res.versions.map((v) => `${v.name}/${v.version}`), token: res.token };
  return { ours, theirs };
}

interface Tally {
  compared: number;
  errors: number;
  nonEmpty: number;
  differing: string[];
}

/** Runs `cases` generated cases; every case is compared, each one that differs is listed. */
async function compareAll<E>(
  arb: fc.Arbitrary<SearchCase<E>>,
  write: (c: SearchCase<E>) => Promise<void>,
  outcomes: (c: SearchCase<E>) => Promise<{ ours: Outcome; theirs: Outcome }>,
  describeEntities: (c: SearchCase<E>) => string[],
): Promise<Tally> {
  const t: Tally = { compared: 0, errors: 0, nonEmpty: 0, differing: [] };
  await fc.assert(
    fc.asyncProperty(arb, async (c) => {
      await write(c);
      const { ours, theirs } = await outcomes(c);
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        const q = { filter: c.filter, orderBy: c.orderBy, maxResults: c.maxResults, pageToken: c.pageToken, entities: describeEntities(c) };
        t.differing.push(JSON.stringify({ q, ours, theirs }));
      }
      t.compared++;
      if ('code' in theirs) t.errors++;
      else if (theirs.names.length > 0) t.nonEmpty++;
    }),
    { numRuns: CASES },
  );
  return t;
}

/** Fails listing the cases that differ (the first 20 in full). */
function expectNoneDiffer(t: Tally): void {
  if (t.differing.length > 0) {
    throw new Error(`${t.differing.length} of ${t.compared} cases differ from Python:\n${t.differing.slice(0, 20).join('\n')}`);
  }
}

const writeModels = (c: SearchCase<RegisteredModel>): Promise<void> => writeByPython(c.entities, []);
const writeVersions = (c: SearchCase<ModelVersion>): Promise<void> => writeByPython([], c.entities);
const modelNames = (c: SearchCase<RegisteredModel>): string[] => c.entities.map((m) => m.name);
const versionNames = (c: SearchCase<ModelVersion>): string[] => c.entities.map((v) => `${v.name}/${v.version}`);

describe('registry search on a database: ours vs the SqlAlchemyStore registry of MLflow 3.17.2', () => {
  it(`search_registered_models agrees on ${CASES} grammar-generated stores and queries`, async () => {
    const t = await compareAll(modelCaseArb, writeModels, modelOutcomes, modelNames);
    expectNoneDiffer(t);
    expect(t.compared).toBe(CASES);
    // Mostly refusals and empty answers (mistakes are mixed in on purpose), but not only.
    expect(t.errors).toBeLessThan(t.compared * 0.8);
    expect(t.nonEmpty).toBeGreaterThan(t.compared * 0.05);
  }, 900_000);

  it(`search_registered_models agrees on ${CASES} valid-heavy stores and queries`, async () => {
    const t = await compareAll(modelValidCaseArb, writeModels, modelOutcomes, modelNames);
    expectNoneDiffer(t);
    expect(t.compared).toBe(CASES);
    expect(t.nonEmpty).toBeGreaterThan(t.compared * 0.3);
  }, 900_000);

  it(`search_model_versions agrees on ${CASES} grammar-generated stores and queries`, async () => {
    const t = await compareAll(versionCaseArb, writeVersions, versionOutcomes, versionNames);
    expectNoneDiffer(t);
    expect(t.compared).toBe(CASES);
    expect(t.errors).toBeLessThan(t.compared * 0.8);
    expect(t.nonEmpty).toBeGreaterThan(t.compared * 0.02);
  }, 900_000);

  it(`search_model_versions agrees on ${CASES} valid-heavy stores and queries`, async () => {
    const t = await compareAll(versionValidCaseArb, writeVersions, versionOutcomes, versionNames);
    expectNoneDiffer(t);
    expect(t.compared).toBe(CASES);
    expect(t.nonEmpty).toBeGreaterThan(t.compared * 0.3);
  }, 900_000);
});
