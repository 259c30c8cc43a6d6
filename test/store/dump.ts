/**
 * The oracle's `Dump` shape, produced by our library: what our MlflowClient sees in a root.
 * Tests compare it with `Oracle.dump(root)` after `normalizeDump`.
 */
import type { Experiment, LoggedModel, Metric, RegisteredModel, Run } from '../../src/entities.js';
import { MlflowClient } from '../../src/tracking/client.js';
import type { MlflowClientOptions } from '../../src/tracking/client.js';
import type { Dump, OracleVersion } from '../oracle/oracle.js';

export async function dumpWithOurLibrary(
  root: string,
  version: OracleVersion,
  options: MlflowClientOptions = {},
): Promise<Dump & { warnings: readonly unknown[] }> {
  const client = new MlflowClient(root, options);
  const experiments: Experiment[] = [];
  let token: string | null = null;
  do {
    const page: { experiments: Experiment[]; token: string | null } = await client.searchExperiments({ viewType: 'ALL', pageToken: token });
    experiments.push(...page.experiments);
    token = page.token;
  } while (token);
  const runs: Record<string, Run[]> = {};
  const metricHistory: Record<string, Record<string, Metric[]>> = {};
  const loggedModels: Record<string, LoggedModel[]> = {};
  for (const e of experiments) {
    const list: Run[] = [];
    let t: string | null = null;
    do {
      const page: { runs: Run[]; token: string | null } = await client.searchRuns([e.experimentId], '', { runViewType: 'ALL', pageToken: t });
      list.push(...page.runs);
      t = page.token;
    } while (t);
    runs[e.experimentId] = list;
    for (const r of list) {
      const h: Record<string, Metric[]> = {};
      for (const key of Object.keys(r.data.metrics)) {
        try {
          h[key] = await client.getMetricHistory(r.info.runId, key);
        } catch (err) {
          // Python records the same kind of failure (e.g. a run folder without artifacts/).
          (h as Record<string, unknown>)[key] = { error: { type: 'MlflowError', code: (err as { code?: string }).code ?? null, message: (err as Error).message } };
        }
      }
      metricHistory[r.info.runId] = h;
    }
    if (Number(version) >= 3) loggedModels[e.experimentId] = await client.searchLoggedModels([e.experimentId]);
  }
  const dump: Dump & { warnings: readonly unknown[] } = {
    version: 'mlruns',
    experiments,
    runs,
    metricHistory,
    warnings: client.warnings,
  };
  if (Number(version) >= 3) dump.loggedModels = loggedModels;
  if (Number(version) >= 2) {
    const models: RegisteredModel[] = [];
    let t: string | null = null;
    do {
      const page: { registeredModels: RegisteredModel[]; token: string | null } = await client.searchRegisteredModels({ maxResults: 1000, pageToken: t });
      models.push(...page.registeredModels);
      t = page.token;
    } while (t);
    const out = [];
    for (const m of models) {
      const versions = (await client.searchModelVersions({ filterString: `name='${m.name.replace(/'/g, "\\'")}'`, maxResults: 200000 })).modelVersions;
      out.push({ ...m, versions: [...versions].sort((a, b) => Number(a.version) - Number(b.version)) });
    }
    dump.registeredModels = out;
  }
  return dump;
}
