/**
 * Local artifacts: what our logArtifact/logArtifacts/logText/logDict write is byte-identical to
 * what Python's client writes, and both list and download the same; paths that try to leave the
 * artifact root are refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { Oracle } from '../oracle/oracle.js';
import { snapshotTree } from './tree.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-art-'));
let py: Oracle;
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const DICT = { b: [1, 2.5, 'x'], a: { nested: true, none: null }, text: 'ünï "q"', n: -3 };

describe('artifacts', () => {
  it('writes the same bytes as Python and lists them the same', async () => {
    const src = path.join(tmp, 'src');
    fs.mkdirSync(path.join(src, 'tree', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'small.txt'), 'hello\n');
    fs.writeFileSync(path.join(src, 'tree', 'a.txt'), 'a');
    fs.writeFileSync(path.join(src, 'tree', 'sub', 'b.bin'), Buffer.from([0, 1, 2, 255]));
    const roots = { ours: path.join(tmp, 'ours', 'mlruns'), theirs: path.join(tmp, 'theirs', 'mlruns') };
    const c = new MlflowClient(roots.ours);
    const rid = (await c.createRun('0')).info.runId;
    await c.logArtifact(rid, path.join(src, 'small.txt'));
    await c.logArtifact(rid, path.join(src, 'small.txt'), 'deep/er');
    await c.logArtifacts(rid, path.join(src, 'tree'), 'tree');
    await c.logText(rid, 'ünïcode\nline 2', 'notes/hello.txt');
    await c.logDict(rid, DICT, 'config.json');
    await c.logDict(rid, { b: 1, a: ['x', 'y'], c: { d: 'e' } }, 'config.yaml');
    await c.logDict(rid, DICT, 'data');
    const pyRid = await py.exec<string>(
      roots.theirs,
      `
c = MlflowClient(root)
rid = c.create_run('0').info.run_id
src = vars['src']
c.log_artifact(rid, src + '/small.txt')
c.log_artifact(rid, src + '/small.txt', 'deep/er')
c.log_artifacts(rid, src + '/tree', 'tree')
c.log_text(rid, 'ünïcode\\nline 2', 'notes/hello.txt')
c.log_dict(rid, vars['d'], 'config.json')
c.log_dict(rid, {'b': 1, 'a': ['x', 'y'], 'c': {'d': 'e'}}, 'config.yaml')
c.log_dict(rid, vars['d'], 'data')
result = rid
`,
      { src, d: DICT },
    );
    const ours = snapshotTree(path.join(roots.ours, '0', rid, 'artifacts'));
    const theirs = snapshotTree(path.join(roots.theirs, '0', pyRid, 'artifacts'));
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [k, v] of theirs) expect({ k, v: ours.get(k) }).toEqual({ k, v });
    for (const sub of [null, 'tree', 'tree/sub', 'deep', 'nope']) {
      const mine = (await c.listArtifacts(rid, sub)).map((f) => ({ ...f, path: f.path }));
      const py2 = await py.exec<Array<{ path: string; isDir: boolean; fileSize: number | null }>>(
        roots.theirs,
        "result = [{'path': f.path, 'isDir': f.is_dir, 'fileSize': f.file_size} for f in client.list_artifacts(vars['r'], vars['p'])]",
        { r: pyRid, p: sub },
      );
      expect(mine).toEqual(py2);
    }
    const out = path.join(tmp, 'download');
    fs.mkdirSync(out);
    const got = await c.downloadArtifacts(rid, 'tree', out);
    expect(fs.readFileSync(path.join(got, 'sub', 'b.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await c.downloadArtifacts(rid, 'notes/hello.txt')).toBe(path.join(roots.ours, '0', rid, 'artifacts', 'notes', 'hello.txt'));
  });

  it('refuses artifact paths that leave the artifact root', async () => {
    const root = path.join(tmp, 'escape', 'mlruns');
    const c = new MlflowClient(root);
    const rid = (await c.createRun('0')).info.runId;
    const before = snapshotTree(root);
    for (const bad of ['../x.txt', '../../etc/passwd', '/abs/x.txt', 'a/../../x', 'C:/x.txt', 'a\u0000b']) {
      await expect(c.logText(rid, 'x', bad)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    }
    fs.symlinkSync(os.tmpdir(), path.join(root, '0', rid, 'artifacts', 'link'));
    await expect(c.logText(rid, 'x', 'link/escaped.txt')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(c.listArtifacts(rid, 'link')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    fs.unlinkSync(path.join(root, '0', rid, 'artifacts', 'link'));
    expect(snapshotTree(root)).toEqual(before);
  });
});
