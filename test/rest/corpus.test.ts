/**
 * Real stores of ../shared/corpus pushed to a real `mlflow server` (3.17.2, SQLite): Python's dump
 * of the server equals Python's dump of the folder (ids mapped), a pull back into an empty folder
 * gives the folder again, and a second push changes nothing.
 *
 * The folder's side is Python's dump of a copy repaired by `mlruns doctor --fix`: as committed,
 * these stores hold what Python's FileStore reads differently from any server (runs git emptied,
 * which Python says are not found; an experiment deleted by MLflow <= 2.2 that Python calls
 * active; two experiments of one name). The push itself is of the store as committed. Two
 * differences a server makes by MLflow's own rules are taken out (`serverNormalised`, documented
 * in docs/rest.md): a run without a name gets one drawn by the server, the runs of a deleted
 * experiment are deleted with it, a version registered from a logged model gets that model's run,
 * and a point logged twice (same step, timestamp, value) is one row.
 *
 * A sample, to keep the suite within a few minutes on a 2-core machine: four small stores
 * covering MLflow 1.x (legacy deleted experiment, nameless runs, Windows paths), a store with
 * git-emptied runs and two experiments of one name, 3.x logged models with a registry whose
 * version source is a Windows path, and a recent 3.x layout. One server and one Python process for
 * the whole file; the big stores (up to a million metric lines) are left to the bench.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, mlruns } from '../cli/helpers.js';
import { Oracle } from '../oracle/oracle.js';
import { diffValues } from '../oracle/normalize.js';
import { PY_FAILED, projectDump } from './compare.js';
import { REPO_ROOT, startMlflowServer } from './server.js';
import type { MlflowServer } from './server.js';

// ../shared/corpus beside the main checkout (/work/main), or beside a worktree's parent (/work/wt/<name>).
const CORPUS =
  process.env['MLRUNS_CORPUS'] ??
  [path.join(REPO_ROOT, '../shared/corpus'), path.join(REPO_ROOT, '../../shared/corpus')].find((p) => fs.existsSync(p)) ??
  path.join(REPO_ROOT, '../shared/corpus');
const SAMPLE = [
  'Desmondonam__abtest-mlops/mlruns',
  '2024aa05311-arch__MLOps-Assignment/mlruns',
  '160103126__mlflow-fastapi-wine/mlruns',
  '2025paml504-ops__review_sentiment_classifier/mlruns',
];

let server: MlflowServer;
let py: Oracle;
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-corpus-push-')));

beforeAll(async () => {
  build();
  [server, py] = await Promise.all([startMlflowServer({ backend: 'sqlite' }), Oracle.start('3', { timeoutMs: 300_000 })]);
});

afterAll(async () => {
  await py?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * A metric point logged twice with the same step, timestamp and value is one row on a SQL-backed
 * server (MLflow's metrics table has them as its primary key, the duplicate is dropped): the
 * folder's histories are compared with such repeats taken out.
 */
function withoutRepeatedPoints(folder: Projected): void {
  for (const runs of Object.values(folder.runs)) {
    for (const r of Object.values(runs)) {
      const h = (r as RunProjection).history;
      for (const [k, points] of Object.entries(h)) {
        if (!Array.isArray(points)) continue;
        h[k] = points.filter((p, i) => i === 0 || JSON.stringify(p) !== JSON.stringify(points[i - 1]));
      }
    }
  }
}

/** Drops, from `folder` and every other projection, the metric histories Python could not read in `folder`. */
function skipPythonFailures(folder: Projected, ...others: Projected[]): void {
  for (const [exp, runs] of Object.entries(folder.runs)) {
    for (const [run, r] of Object.entries(runs)) {
      const h = (r as RunProjection).history;
      for (const [k, v] of Object.entries(h)) {
        if (v !== PY_FAILED) continue;
        delete h[k];
        for (const o of others) delete (((o.runs[exp] ?? {})[run] as RunProjection | undefined)?.history ?? {})[k];
      }
    }
  }
}

interface RunProjection {
  name: string | null;
  stage: string;
  tags: Record<string, string>;
  history: Record<string, unknown>;
}

/**
 * The differences a tracking server makes legitimately, taken out of `copy` (a projection of the
 * server, or of a folder pulled from it) where `folder` (the source) shows their cause:
 *
 * - a run without a name (MLflow 1.x wrote none) is named by the server (`create_run` always
 *   draws a name and sets `mlflow.runName`): the copy's drawn name is accepted;
 * - the runs of a deleted experiment are deleted on the server (the SQL store's
 *   `delete_experiment` deletes them; an experiment deleted by MLflow <= 2.2 kept them active):
 *   their stage is compared as deleted on both sides;
 * - a version registered without a run from a logged model (or from another version) gets the
 *   logged model's run on the server (the server's registry fills the lineage): accepted when
 *   that run is the run of one of the folder's logged models.
 */
function serverNormalised(copy: Projected, folder: Projected): void {
  const modelRuns = new Set<string>();
  for (const ms of Object.values(folder.loggedModels)) {
    if (ms && typeof ms === 'object' && !Array.isArray(ms)) for (const m of Object.values(ms as Record<string, { run?: string | null }>)) if (m.run) modelRuns.add(m.run);
  }
  type Versions = Record<string, { versions: Record<string, { run: string | null }> }>;
  if (folder.registered && typeof folder.registered === 'object' && copy.registered && typeof copy.registered === 'object') {
    for (const [name, m] of Object.entries(folder.registered as Versions)) {
      for (const [v, src] of Object.entries(m.versions)) {
        const dst = (copy.registered as Versions)[name]?.versions[v];
        if (dst && !src.run && dst.run && modelRuns.has(dst.run)) dst.run = src.run;
      }
    }
  }
  for (const [exp, runs] of Object.entries(folder.runs)) {
    const expDeleted = (folder.experiments[exp] as { stage?: string } | undefined)?.stage === 'deleted';
    for (const [id, r] of Object.entries(runs)) {
      const src = r as RunProjection;
      const dst = (copy.runs[exp] ?? {})[id] as RunProjection | undefined;
      if (!dst) continue;
      if (!src.name && !('mlflow.runName' in src.tags) && dst.name && dst.tags['mlflow.runName'] === dst.name) {
        dst.name = src.name;
        delete dst.tags['mlflow.runName'];
      }
      if (expDeleted) src.stage = dst.stage = 'deleted';
    }
  }
}

type Projected = { experiments: Record<string, unknown>; runs: Record<string, Record<string, unknown>>; loggedModels: Record<string, unknown>; registered: unknown };

/** A projection restricted to what `like` (a store's own projection) holds: the server holds every pushed store. */
function only(projected: unknown, like: Projected): unknown {
  const p = projected as Projected;
  const keep = <T>(r: Record<string, T>, keys: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => k in keys));
  const runs = Object.fromEntries(Object.entries(keep(p.runs, like.runs)).map(([e, rs]) => [e, keep(rs, like.runs[e] ?? {})]));
  const models = Object.fromEntries(
    Object.entries(keep(p.loggedModels, like.loggedModels)).map(([e, ms]) => [e, Array.isArray(ms) ? ms : keep(ms as Record<string, unknown>, (like.loggedModels[e] as Record<string, unknown>) ?? {})]),
  );
  const registered = like.registered && typeof like.registered === 'object' ? keep(p.registered as Record<string, unknown>, like.registered as Record<string, unknown>) : p.registered;
  return { experiments: keep(p.experiments, like.experiments), runs, loggedModels: models, registered };
}

describe('corpus stores pushed to mlflow server and pulled back', { timeout: 900_000 }, () => {
  it('exists', () => {
    expect(fs.existsSync(CORPUS), `${CORPUS} (the shared corpus) is missing`).toBe(true);
  });

  for (const [i, rel] of SAMPLE.entries()) {
    it(`${rel}: server dump = folder dump (ids mapped); second push changes nothing; pull back = original`, async () => {
      // The reference: Python's dump of a copy repaired by `mlruns doctor --fix` (Python's FileStore
      // says "not found" for a run whose git-emptied sub-folders are missing, reads a legacy
      // deleted experiment as active, keeps two experiments of one name apart; a server cannot).
      const ref = path.join(tmp, `ref-${i}`, 'mlruns');
      fs.cpSync(path.join(CORPUS, rel), ref, { recursive: true });
      const doctor = mlruns(['--root', ref, 'doctor', '--fix', '--yes', '--json']);
      expect([0, 4], doctor.stderr).toContain(doctor.code);
      const folder = projectDump(await py.dump(ref)) as Projected;
      // What is pushed: a copy of the store as committed (push writes its record into the folder).
      const root = path.join(tmp, `store-${i}`, 'mlruns');
      fs.cpSync(path.join(CORPUS, rel), root, { recursive: true });
      const names = new Set(Object.keys(folder.experiments));

      const first = mlruns(['--root', root, 'push', '--to', server.url, '--json']);
      expect(first.stdout, first.stderr).not.toBe('');
      const body = JSON.parse(first.stdout) as { failed: unknown[]; created: number };
      expect(body.failed).toEqual([]);
      expect(first.code).toBe(0);
      const serverDump = await py.dump(server.url);
      const onServer = only(projectDump(serverDump), folder) as Projected;
      const back = path.join(tmp, `back-${i}`);
      const pulled = mlruns(['--root', back, 'pull', '--from', server.url, '--json', ...[...names].flatMap((n) => ['-e', n])]);
      expect(JSON.parse(pulled.stdout).failed).toEqual([]);
      const backDump = only(projectDump(await py.dump(back), { via: serverDump }), folder) as Projected;
      skipPythonFailures(folder, onServer, backDump);
      withoutRepeatedPoints(folder);
      serverNormalised(onServer, folder);
      serverNormalised(backDump, folder);
      expect(diffValues(onServer, folder)).toEqual([]);
      expect(diffValues(backDump, folder)).toEqual([]);

      const second = JSON.parse(mlruns(['--root', root, 'push', '--to', server.url, '--json']).stdout) as { created: number; updated: number; points: number; files: number };
      expect(second).toMatchObject({ created: 0, updated: 0, points: 0, files: 0 });
    });
  }
});
