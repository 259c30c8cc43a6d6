/**
 * Registry search differential on a database: generated registered models and model versions
 * (names, tags incl. prompt markers, stages, sources, run ids, timestamps incl. null) are written
 * by Python — SQLAlchemy's ORM models of MLflow 3.17.2 in the oracle process, on a database its
 * migrations created — then generated filters, order_bys, max_results and page tokens are
 * answered by Python's registry SqlAlchemyStore (`search_registered_models`,
 * `search_model_versions`) and by our SqliteRegistryStore on that same file: the same names (and
 * versions) in the same order with the same next-page token, or both refuse with the same error
 * code. The generators are the file-store search differential's (test/search/gen.ts).
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
import { modelCaseArb, versionCaseArb } from '../search/gen.js';
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
  const res = await py.searchRegisteredModels(uri, { filter: c.filter, orderBy: c.orderBy, pageToken: c.pageToken, ...(c.maxResults === undefined ? {} : { maxResults: c.maxResults }) });
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
  const res = await py.searchModelVersions(uri, { filter: c.filter, orderBy: c.orderBy, pageToken: c.pageToken, ...(c.maxResults === undefined ? {} : { maxResults: c.maxResults }) });
  const theirs: Outcome = 'error' in res ? { code: res.error.code ?? 'INTERNAL_ERROR' } : { names: res.versions.map((v) => `${v.name}/${v.version}`), token: res.token };
  return { ours, theirs };
}

describe('registry search on a database: ours vs the SqlAlchemyStore registry of MLflow 3.17.2', () => {
  it(`search_registered_models agrees on ${CASES} generated stores and queries`, async () => {
    let compared = 0;
    let errors = 0;
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(modelCaseArb, async (c) => {
        await writeByPython(c.entities, []);
        const { ours, theirs } = await modelOutcomes(c);
        const q = { filter: c.filter, orderBy: c.orderBy, maxResults: c.maxResults, pageToken: c.pageToken, models: c.entities.map((m) => m.name) };
        expect(JSON.stringify({ q, ours })).toBe(JSON.stringify({ q, ours: theirs }));
        compared++;
        if ('code' in theirs) errors++;
        else if (theirs.names.length > 0) nonEmpty++;
      }),
      { numRuns: CASES, endOnFailure: true },
    );
    expect(compared).toBe(CASES);
    // The cases must not all be refusals or empty answers.
    expect(errors).toBeLessThan(compared * 0.8);
    expect(nonEmpty).toBeGreaterThan(compared * 0.1);
  }, 900_000);

  it(`search_model_versions agrees on ${CASES} generated stores and queries`, async () => {
    let compared = 0;
    let errors = 0;
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(versionCaseArb, async (c) => {
        await writeByPython([], c.entities);
        const { ours, theirs } = await versionOutcomes(c);
        const q = { filter: c.filter, orderBy: c.orderBy, maxResults: c.maxResults, pageToken: c.pageToken, versions: c.entities.map((v) => `${v.name}/${v.version}`) };
        expect(JSON.stringify({ q, ours })).toBe(JSON.stringify({ q, ours: theirs }));
        compared++;
        if ('code' in theirs) errors++;
        else if (theirs.names.length > 0) nonEmpty++;
      }),
      { numRuns: CASES, endOnFailure: true },
    );
    expect(compared).toBe(CASES);
    expect(errors).toBeLessThan(compared * 0.8);
    expect(nonEmpty).toBeGreaterThan(compared * 0.1);
  }, 900_000);
});
