/**
 * The write path's caches (a run validated once and re-checked by one stat of its meta.yaml;
 * metric files appended through held O_APPEND descriptors) never change what is written or
 * refused: other writers (Python) in between, runs deleted, restored, removed or replaced between
 * calls, more metric keys than descriptors held, a process killed right after its calls resolved.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { oraclePython } from '../oracle/oracle.js';
import { childEnv, libUrl } from '../reliability/lib.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-handles-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * One Python MLflow process for the suite: each request runs a snippet with `c` (an
 * MlflowClient on `root`), `rid` and `out` (a list the snippet appends its answers to).
 */
const PY_SERVER = `
import json, sys
from mlflow import MlflowClient
clients = {}
for line in sys.stdin:
    req = json.loads(line)
    c = clients.get(req["root"]) or clients.setdefault(req["root"], MlflowClient(req["root"]))
    out = []
    try:
        exec(req["code"], {"c": c, "rid": req["rid"], "out": out})
        print(json.dumps({"ok": True, "out": out}), flush=True)
    except Exception as e:
        print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
`;
let server: { child: ChildProcessWithoutNullStreams; answers: ((line: string) => void)[] } | undefined;

afterAll(() => server?.child.kill());

async function python(root: string, rid: string, code: string): Promise<string[]> {
  if (!server) {
    const child = spawn(oraclePython('3'), ['-c', PY_SERVER], { env: childEnv() });
    const answers: ((line: string) => void)[] = [];
    readline.createInterface({ input: child.stdout }).on('line', (l) => answers.shift()?.(l));
    server = { child, answers };
  }
  const { child, answers } = server;
  const line = await new Promise<string>((resolve) => {
    answers.push(resolve);
    child.stdin.write(JSON.stringify({ root, rid, code }) + '\n');
  });
  const res = JSON.parse(line) as { ok: boolean; out?: string[]; error?: string };
  if (!res.ok) throw new Error(`python failed: ${res.error}`);
  return res.out ?? [];
}

/** Paths under `dir` this process holds open (Linux: /proc/self/fd). */
function openFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir + path.sep)) out.push(target);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

async function newRun(name: string): Promise<{ c: MlflowClient; root: string; eid: string; rid: string; runDir: string }> {
  const root = path.join(tmp, name);
  const c = new MlflowClient(root);
  const eid = await c.createExperiment(name);
  const rid = (await c.createRun(eid)).info.runId;
  return { c, root, eid, rid, runDir: path.join(root, eid, rid) };
}

const lines = (p: string): string[] => fs.readFileSync(p, 'utf8').split('\n').filter(Boolean);
const values = (p: string): number[] => lines(p).map((l) => Number(l.split(' ')[1]));

describe('held metric files and remembered runs', () => {
  it('Python appends between our appends: every point once, in call order, and Python reads them all', async () => {
    const { c, root, rid, runDir } = await newRun('interleave');
    for (let i = 0; i < 5; i++) await c.logMetric(rid, 'm', i, { step: i });
    const file = path.join(runDir, 'metrics', 'm');
    expect(openFilesUnder(root)).toContain(file); // held open between calls
    await python(root, rid, 'for i in range(5, 8):\n    c.log_metric(rid, "m", i, step=i)');
    for (let i = 8; i < 13; i++) await c.logMetric(rid, 'm', i, { step: i });
    expect(values(file)).toEqual(Array.from({ length: 13 }, (_, i) => i));
    const py = await python(root, rid, 'out.extend(str(int(m.value)) for m in c.get_metric_history(rid, "m"))');
    expect(py).toEqual(Array.from({ length: 13 }, (_, i) => String(i)));
    c.close();
    expect(openFilesUnder(root)).toEqual([]);
  }, 180_000);

  it('a run Python deletes is refused on the next call, and written again once restored', async () => {
    const { c, root, rid, runDir } = await newRun('delete-restore');
    await c.logMetric(rid, 'm', 1);
    await c.logParam(rid, 'p1', 'a');
    await python(root, rid, 'c.delete_run(rid)');
    const refused = async (p: Promise<unknown>): Promise<void> => {
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(MlflowError);
      expect((err as MlflowError).message).toContain("must be in 'active' lifecycle_stage");
    };
    await refused(c.logMetric(rid, 'm', 2));
    await refused(c.logParam(rid, 'p2', 'b'));
    await refused(c.setTag(rid, 't', 'x'));
    await python(root, rid, 'c.restore_run(rid)');
    await c.logMetric(rid, 'm', 3);
    await c.logParam(rid, 'p2', 'b');
    expect(values(path.join(runDir, 'metrics', 'm'))).toEqual([1, 3]);
    expect(fs.readFileSync(path.join(runDir, 'params', 'p2'), 'utf8')).toBe('b');
    c.close();
  }, 180_000);

  it("an experiment Python moves to .trash and back: refused while deleted, then appended at the run's place", async () => {
    const { c, root, eid, rid, runDir } = await newRun('experiment-trash');
    await c.logMetric(rid, 'm', 1);
    await python(root, rid, `c.delete_experiment("${eid}")`);
    expect(fs.existsSync(path.join(root, '.trash', eid, rid, 'metrics', 'm'))).toBe(true);
    await expect(c.logMetric(rid, 'm', 2)).rejects.toBeInstanceOf(MlflowError);
    await python(root, rid, `c.restore_experiment("${eid}")\nc.restore_run(rid)`);
    await c.logMetric(rid, 'm', 3);
    expect(values(path.join(runDir, 'metrics', 'm'))).toEqual([1, 3]);
    c.close();
  }, 180_000);

  it('a run folder removed and put back from a copy, or a metric file replaced: the next point lands in the file at the path', async () => {
    const { c, rid, runDir } = await newRun('replaced');
    await c.logMetric(rid, 'm', 1);
    await c.logMetric(rid, 'm', 2);
    const backup = path.join(tmp, 'replaced-backup');
    fs.cpSync(runDir, backup, { recursive: true });
    fs.rmSync(runDir, { recursive: true });
    await expect(c.logMetric(rid, 'm', 99)).rejects.toBeInstanceOf(MlflowError); // gone: not found
    fs.cpSync(backup, runDir, { recursive: true });
    await c.logMetric(rid, 'm', 3);
    expect(values(path.join(runDir, 'metrics', 'm'))).toEqual([1, 2, 3]);
    // The metric file alone rewritten by someone else (a new inode at the same path).
    const file = path.join(runDir, 'metrics', 'm');
    fs.writeFileSync(file + '.new', fs.readFileSync(file));
    fs.renameSync(file + '.new', file);
    await c.logMetric(rid, 'm', 4);
    expect(values(file)).toEqual([1, 2, 3, 4]);
    // Removed: created again, whole.
    fs.rmSync(file);
    await c.logMetric(rid, 'm', 5);
    expect(values(file)).toEqual([5]);
    c.close();
  });

  it('more metric keys than descriptors held: every file complete, at most 32 files open', async () => {
    const { c, root, rid, runDir } = await newRun('many-keys');
    const keys = Array.from({ length: 100 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    for (let round = 0; round < 3; round++) {
      for (const k of keys) await c.logMetric(rid, k, round, { step: round });
      expect(openFilesUnder(root).length).toBeLessThanOrEqual(32);
    }
    for (const k of keys) expect(values(path.join(runDir, 'metrics', k))).toEqual([0, 1, 2]);
    const run = await c.getRun(rid);
    expect(Object.keys(run.data.metrics).sort()).toEqual(keys);
    // setTerminated gives the run's files back.
    expect(openFilesUnder(root).length).toBeGreaterThan(0);
    await c.setTerminated(rid);
    expect(openFilesUnder(root)).toEqual([]);
    c.close();
  });

  it('a params folder swapped for a link outside the root after a first param is refused', async () => {
    const { c, root, rid, runDir } = await newRun('params-swap');
    await c.logParam(rid, 'a', '1');
    const outside = path.join(tmp, 'params-swap-outside');
    fs.mkdirSync(outside);
    fs.rmSync(path.join(runDir, 'params'), { recursive: true });
    fs.symlinkSync(outside, path.join(runDir, 'params'));
    await expect(c.logParam(rid, 'b', '2')).rejects.toBeInstanceOf(MlflowError);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(openFilesUnder(root)).toEqual([]);
    c.close();
  });

  it('a process killed right after its calls resolved has every acknowledged point in the file', async () => {
    const { root, rid, runDir } = await newRun('killed');
    const script = `
      const { MlflowClient } = await import(${JSON.stringify(libUrl('tracking/client.js'))});
      const c = new MlflowClient(${JSON.stringify(root)});
      for (let i = 0; i < 500; i++) await c.logMetric(${JSON.stringify(rid)}, 'm', i, { step: i });
      await c.logParam(${JSON.stringify(rid)}, 'last', 'yes');
      process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(values(path.join(runDir, 'metrics', 'm'))).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(fs.readFileSync(path.join(runDir, 'params', 'last'), 'utf8')).toBe('yes');
    const c = new MlflowClient(root);
    expect((await c.getMetricHistory(rid, 'm')).length).toBe(500);
  }, 180_000);
});
