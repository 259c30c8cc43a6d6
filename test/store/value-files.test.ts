/**
 * Param and tag files as `logParam`/`setTag` write them: a new one is created in place (one
 * exclusive open of the final file, no temp file, no rename), an existing tag is replaced whole,
 * a param logged again is compared with the stored value; Python MLflow reads back exactly what
 * it would have written itself, and no link planted in the run folder is written through.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowError } from '../../src/errors.js';
import { MlflowClient } from '../../src/tracking/client.js';
import { Oracle } from '../oracle/oracle.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-value-files-'));
let py: Oracle;
beforeAll(async () => {
  py = await Oracle.start('3');
}, 120_000);
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const PARAMS: [string, unknown][] = [
  ['lr', 0.1],
  ['empty', ''],
  ['unicode', 'é ü 日本'],
  ['nested/key', 'x'],
  ['flag', true],
  ['multi', 'a\nb'],
];
const TAGS: [string, unknown][] = [
  ['stage', 'eval'],
  ['empty', ''],
  ['nested/tag', 'y'],
  ['n', 3],
];

/** Logs the same params and tags through `log` and `tag`, then sets two tags again. */
async function logAll(log: (k: string, v: unknown) => Promise<unknown>, tag: (k: string, v: unknown) => Promise<unknown>): Promise<void> {
  for (const [k, v] of PARAMS) await log(k, v);
  for (const [k, v] of TAGS) await tag(k, v);
  await tag('stage', 'deploy');
  await tag('n', 4);
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
  }
  return out;
}

describe('param and tag files', () => {
  it("hold the bytes Python writes, with nothing else left in the run folder, and Python reads them back", async () => {
    const root = path.join(tmp, 'ours');
    const c = new MlflowClient(root);
    const run = await c.createRun(await c.createExperiment('e'));
    const id = run.info.runId;
    await logAll(
      (k, v) => c.logParam(id, k, v),
      (k, v) => c.setTag(id, k, v),
    );
    const runDir = path.join(root, run.info.experimentId, id);

    // The same calls through Python MLflow, on its own store.
    const pyRoot = path.join(tmp, 'py');
    const pyRun = await py.exec<{ id: string; exp: string }>(
      pyRoot,
      `e = client.create_experiment('e')
r = client.create_run(e).info.run_id
for k, v in vars['params']: client.log_param(r, k, v)
for k, v in vars['tags']: client.set_tag(r, k, v)
client.set_tag(r, 'stage', 'deploy')
client.set_tag(r, 'n', 4)
result = {'id': r, 'exp': e}`,
      { params: PARAMS, tags: TAGS },
    );
    const pyRunDir = path.join(pyRoot, pyRun.exp, pyRun.id);
    const pick = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).filter(([k]) => k !== 'meta.yaml' && !k.startsWith('tags/mlflow.')));
    const ours = pick(filesUnder(runDir));
    expect(ours).toEqual(pick(filesUnder(pyRunDir)));
    // No temp file anywhere in the run folder (nor a stray file next to meta.yaml).
    expect(fs.readdirSync(runDir).sort()).toEqual(fs.readdirSync(pyRunDir).sort());

    const seen = await py.exec<{ params: Record<string, string>; tags: Record<string, string> }>(
      root,
      "d = client.get_run(vars['id']).data\nresult = {'params': d.params, 'tags': {k: v for k, v in d.tags.items() if not k.startswith('mlflow.')}}",
      { id },
    );
    const got = await c.getRun(id);
    expect(seen.params).toEqual(got.data.params);
    expect(seen.tags).toEqual(Object.fromEntries(Object.entries(got.data.tags).filter(([k]) => !k.startsWith('mlflow.'))));
  });

  it('keep a param: the same value again is accepted, another is refused and the stored value stays', async () => {
    const c = new MlflowClient(path.join(tmp, 'immutable'));
    const run = await c.createRun(await c.createExperiment('e'));
    const id = run.info.runId;
    await c.logParam(id, 'lr', 0.1);
    await c.logParam(id, 'lr', 0.1);
    const err = await c.logParam(id, 'lr', 0.2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as MlflowError).message).toContain("Param with key='lr' was already logged with value='0.1'");
    expect(fs.readFileSync(path.join(c.trackingUri, run.info.experimentId, id, 'params', 'lr'), 'utf8')).toBe('0.1');
    // A param logged by Python first is compared the same way.
    await py.exec(c.trackingUri, "client.log_param(vars['id'], 'py', 'a')", { id });
    await c.logParam(id, 'py', 'a');
    await expect(c.logParam(id, 'py', 'b')).rejects.toThrow(/already logged with value='a'/);
  });

  it('are made again in a params or tags folder removed meanwhile', async () => {
    const c = new MlflowClient(path.join(tmp, 'removed'));
    const run = await c.createRun(await c.createExperiment('e'));
    const id = run.info.runId;
    const runDir = path.join(c.trackingUri, run.info.experimentId, id);
    await c.logParam(id, 'a', 1);
    await c.setTag(id, 'a', 1);
    fs.rmSync(path.join(runDir, 'params'), { recursive: true });
    fs.rmSync(path.join(runDir, 'tags'), { recursive: true });
    await c.logParam(id, 'b', 2);
    await c.setTag(id, 'b', 2);
    expect(fs.readFileSync(path.join(runDir, 'params', 'b'), 'utf8')).toBe('2');
    expect(fs.readFileSync(path.join(runDir, 'tags', 'b'), 'utf8')).toBe('2');
  });

  it('are never written through a link leading outside the store, planted before or between calls', async () => {
    const c = new MlflowClient(path.join(tmp, 'links', 'mlruns'));
    const run = await c.createRun(await c.createExperiment('e'));
    const id = run.info.runId;
    const runDir = path.join(c.trackingUri, run.info.experimentId, id);
    const outside = path.join(tmp, 'links', 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'victim'), 'keep');
    await c.logParam(id, 'first', 1);
    await c.setTag(id, 'first', 1);

    // A param file and a tag file that are links to a file outside.
    fs.symlinkSync(path.join(outside, 'victim'), path.join(runDir, 'params', 'p'));
    fs.symlinkSync(path.join(outside, 'victim'), path.join(runDir, 'tags', 't'));
    await expect(c.logParam(id, 'p', 'new')).rejects.toThrow(/symbolic link/);
    await expect(c.setTag(id, 't', 'new')).rejects.toThrow(/symbolic link/);
    expect(fs.readFileSync(path.join(outside, 'victim'), 'utf8')).toBe('keep');

    // The folders themselves swapped for links to a folder outside, after the first writes.
    for (const sub of ['params', 'tags']) {
      fs.rmSync(path.join(runDir, sub), { recursive: true });
      fs.symlinkSync(outside, path.join(runDir, sub));
    }
    await expect(c.logParam(id, 'second', 2)).rejects.toThrow(/symbolic link/);
    await expect(c.setTag(id, 'second', 2)).rejects.toThrow(/symbolic link/);
    expect(fs.readdirSync(outside)).toEqual(['victim']);
  });

  it('see a run deleted, restored or moved by another process between two calls, and write nothing into it', async () => {
    const root = path.join(tmp, 'other-process', 'mlruns');
    const c = new MlflowClient(root);
    const other = new MlflowClient(root);
    const exp = await c.createExperiment('e');
    const id = (await c.createRun(exp)).info.runId;
    const runDir = path.join(root, exp, id);
    for (const k of ['a', 'b']) {
      await c.logParam(id, k, 1);
      await c.setTag(id, k, 1);
    }
    const written = (k: string) => ['params', 'tags'].filter((sub) => fs.existsSync(path.join(runDir, sub, k)));

    // Deleted and restored by another client (another process: nothing shared but the folder).
    await other.deleteRun(id);
    await expect(c.logParam(id, 'c', 1)).rejects.toThrow(/must be in 'active' lifecycle_stage/);
    await expect(c.setTag(id, 'c', 1)).rejects.toThrow(/must be in 'active' lifecycle_stage/);
    expect(written('c')).toEqual([]);
    await other.restoreRun(id);
    await c.logParam(id, 'c', 1);
    await c.setTag(id, 'c', 1);
    expect(written('c')).toEqual(['params', 'tags']);

    // Deleted and restored by Python MLflow.
    await py.exec(root, "client.delete_run(vars['id'])", { id });
    await expect(c.logParam(id, 'd', 1)).rejects.toThrow(/must be in 'active' lifecycle_stage/);
    await expect(c.setTag(id, 'd', 1)).rejects.toThrow(/must be in 'active' lifecycle_stage/);
    expect(written('d')).toEqual([]);
    await py.exec(root, "client.restore_run(vars['id'])", { id });
    await c.logParam(id, 'd', 1);
    await c.setTag(id, 'd', 1);
    expect(written('d')).toEqual(['params', 'tags']);

    // Moved out of the store: not found, and nothing written where it went.
    const away = path.join(tmp, 'other-process', 'away');
    fs.renameSync(runDir, away);
    await expect(c.logParam(id, 'e', 1)).rejects.toThrow(/not found/);
    await expect(c.setTag(id, 'e', 1)).rejects.toThrow(/not found/);
    expect(fs.existsSync(path.join(away, 'params', 'e')) || fs.existsSync(path.join(away, 'tags', 'e'))).toBe(false);
  });

  it('are written as before when meta.yaml has a second hard link or a folder is a link inside the run', async () => {
    const root = path.join(tmp, 'odd-folders', 'mlruns');
    const c = new MlflowClient(root);
    const exp = await c.createExperiment('e');
    const id = (await c.createRun(exp)).info.runId;
    const runDir = path.join(root, exp, id);
    await c.logParam(id, 'a', 1);
    await c.setTag(id, 'a', 1);

    const extra = path.join(tmp, 'odd-folders', 'meta-link.yaml');
    fs.linkSync(path.join(runDir, 'meta.yaml'), extra);
    await c.logParam(id, 'b', 2);
    await c.setTag(id, 'b', 2);
    await c.logParam(id, 'b', 2);
    await expect(c.logParam(id, 'b', 3)).rejects.toThrow(/already logged with value='2'/);
    fs.unlinkSync(extra);

    // Folders that are links to folders of the same run are followed, as MLflow follows them.
    for (const sub of ['params', 'tags']) {
      fs.renameSync(path.join(runDir, sub), path.join(runDir, `${sub}-real`));
      fs.symlinkSync(`${sub}-real`, path.join(runDir, sub));
    }
    for (let i = 0; i < 3; i++) {
      await c.logParam(id, `c${i}`, i);
      await c.setTag(id, `c${i}`, i);
    }
    await c.setTag(id, 'c0', 'again');
    expect(fs.readdirSync(path.join(runDir, 'params-real')).sort()).toEqual(['a', 'b', 'c0', 'c1', 'c2']);
    expect(fs.readFileSync(path.join(runDir, 'tags-real', 'c0'), 'utf8')).toBe('again');
    expect((await c.getRun(id)).data.params).toEqual({ a: '1', b: '2', c0: '0', c1: '1', c2: '2' });
  });
});
