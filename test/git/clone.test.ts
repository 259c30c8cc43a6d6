/**
 * A store committed to git and cloned to another path (another machine): we read its runs and
 * artifacts through the remap; Python MLflow reads them after `mlruns doctor --fix`; read-only
 * commands leave the work tree clean.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { diagnose, isClean } from '../../src/git/doctor.js';
import { resolveLocation } from '../../src/store/portable.js';
import { Oracle } from '../oracle/oracle.js';
import { commitAll, git, gitStatus, runCli, tmpDir } from './helpers.js';

let py: Oracle;
const tmp = tmpDir();
beforeAll(async () => {
  py = await Oracle.start('3');
});
afterAll(async () => {
  await py?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Logged {
  expId: string;
  runA: string;
  runB: string;
}

/** A project with a store: experiment "train", run A with params/metrics/artifacts, run B with only a tag. */
async function makeOrigin(repo: string): Promise<Logged> {
  fs.mkdirSync(repo, { recursive: true });
  git(repo, 'init', '-q');
  const root = path.join(repo, 'mlruns');
  const client = new MlflowClient(root);
  const expId = await client.createExperiment('train');
  const a = await client.createRun(expId, { runName: 'a' });
  const runA = a.info.runId;
  await client.logParam(runA, 'lr', 0.1);
  await client.logMetric(runA, 'loss', 0.5, { step: 0, timestamp: 1 });
  await client.logMetric(runA, 'loss', 0.25, { step: 1, timestamp: 2 });
  await client.logText(runA, 'hello from origin', 'notes/hello.txt');
  await client.logDict(runA, { depth: 3 }, 'config.json');
  await client.setTerminated(runA, 'FINISHED', 10);
  const b = await client.createRun(expId, { runName: 'b' });
  const runB = b.info.runId;
  await client.setTag(runB, 'note', 'tag only');
  await client.setTerminated(runB, 'FINISHED', 11);
  expect((await runCli(['--root', root, 'git-setup'])).code).toBe(0);
  commitAll(repo, 'runs');
  return { expId, runA, runB };
}

describe('clone to another path', () => {
  const origin = path.join(tmp, 'origin');
  const clone = path.join(tmp, 'elsewhere', 'clone');
  const root = path.join(clone, 'mlruns');
  let logged: Logged;

  beforeAll(async () => {
    logged = await makeOrigin(origin);
    fs.mkdirSync(path.dirname(clone), { recursive: true });
    git(path.dirname(clone), 'clone', '-q', origin, clone);
  });

  it('while the origin exists, doctor says the metadata points into the other copy', () => {
    const findings = diagnose(root);
    const other = findings.filter((f) => f.kind === 'other-copy-path');
    // the artifact_location of both experiments (Default too) and both runs' artifact_uri
    expect(other.map((f) => path.relative(root, f.path)).sort()).toEqual(
      ['0/meta.yaml', `${logged.expId}/meta.yaml`, `${logged.expId}/${logged.runA}/meta.yaml`, `${logged.expId}/${logged.runB}/meta.yaml`].sort(),
    );
    // git dropped run B's empty params/, metrics/ and artifacts/ folders
    const missing = findings.filter((f) => f.kind === 'missing-subfolder').map((f) => path.relative(root, f.path)).sort();
    expect(missing).toEqual(['metrics', 'params', 'artifacts'].map((s) => `${logged.expId}/${logged.runB}/${s}`).sort());
  });

  it('after the origin is gone (another machine), we read runs and artifacts through the remap', async () => {
    fs.renameSync(origin, path.join(tmp, 'origin-gone'));
    try {
      const client = new MlflowClient(root);
      const run = await client.getRun(logged.runA);
      expect(run.data.params).toEqual({ lr: '0.1' });
      expect(run.data.metrics).toEqual({ loss: 0.25 });
      expect(run.info.artifactUri).toContain(path.join(tmp, 'origin'));
      const res = resolveLocation(root, run.info.artifactUri, { kind: 'run', experimentId: logged.expId, runId: logged.runA });
      expect(res.status).toBe('foreign');
      expect(res.localPath).toBe(path.join(root, logged.expId, logged.runA, 'artifacts'));
      const files = (await client.listArtifacts(logged.runA)).map((f) => f.path).sort();
      expect(files).toEqual(['config.json', 'notes']);
      const local = await client.downloadArtifacts(logged.runA, 'notes/hello.txt');
      expect(fs.readFileSync(local, 'utf8')).toBe('hello from origin');
      expect(client.warnings.some((w) => w.code === 'REMAPPED_PATH')).toBe(true);
      // the clone was only read
      expect(gitStatus(clone)).toEqual([]);
    } finally {
      fs.renameSync(path.join(tmp, 'origin-gone'), origin);
    }
  });

  it('read-only commands leave git status empty (before any fix)', async () => {
    const reads = [
      ['doctor'],
      ['doctor', '--json'],
      ['experiments'],
      ['experiments', '--view', 'all', '--json'],
      ['runs'],
      ['runs', '--json'],
      ['show', logged.runA],
      ['show', logged.runA, '--json'],
      ['metrics', logged.runA],
      ['compare', logged.runA, logged.runB],
      ['best', '--metric', 'loss'],
      ['artifacts', 'ls', logged.runA],
    ];
    for (const args of reads) {
      const r = await runCli(['--root', root, ...args]);
      // before the fix, git dropped run B's empty folders (MLflow 3.8+ calls it "not found"): mlruns
      // reads it as a run with no params, with a warning naming the repair; only doctor reports it
      const expected = args[0] === 'doctor' ? 4 : 0;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(expected);
      expect(gitStatus(clone), args.join(' ')).toEqual([]);
    }
    const d = await runCli(['--root', root, 'doctor']);
    expect(d.code).toBe(4);
    expect(d.stdout).toContain('other-copy-path');
    // --fix without --yes (not a terminal) lists the changes and changes nothing
    const dry = await runCli(['--root', root, 'doctor', '--fix']);
    expect(dry.code).toBe(4);
    expect(dry.stdout).toContain('Nothing was changed');
    expect(dry.stdout).toContain('artifact_uri');
    expect(gitStatus(clone)).toEqual([]);
  });

  it('Python MLflow lists and downloads the artifacts of the clone after doctor --fix', async () => {
    fs.renameSync(origin, path.join(tmp, 'origin-gone'));
    try {
      const code = `
import os
res = {}
try:
    res['list'] = sorted(f.path for f in client.list_artifacts(vars['run']))
except Exception as e:
    res['list'] = 'error: ' + type(e).__name__
try:
    p = client.download_artifacts(vars['run'], 'notes/hello.txt', vars['dst'])
    res['text'] = open(p).read()
except Exception as e:
    res['text'] = 'error: ' + type(e).__name__
try:
    res['b'] = client.get_run(vars['runB']).data.tags.get('note')
except Exception as e:
    res['b'] = 'error: ' + type(e).__name__
result = res
`;
      const before = await py.exec<{ list: unknown; text: string; b: string }>(root, code, {
        run: logged.runA,
        runB: logged.runB,
        dst: path.join(tmp, 'dl-before'),
      });
      expect(before.list).not.toEqual(['config.json', 'notes']);
      expect(before.b).toMatch(/^error/); // MLflow >= 3.8 cannot find a run without params/ metrics/ artifacts/

      const fixed = await runCli(['--root', root, 'doctor', '--fix', '--yes', '--json']);
      expect(fixed.code, fixed.stdout).toBe(0);
      const out = JSON.parse(fixed.stdout) as { applied: boolean; remaining: unknown[]; changes: Array<{ op: string }> };
      expect(out.applied).toBe(true);
      expect(out.remaining).toEqual([]);
      expect(out.changes.filter((c) => c.op === 'write-meta')).toHaveLength(4);
      expect(out.changes.filter((c) => c.op === 'mkdir')).toHaveLength(3);
      expect(isClean(diagnose(root))).toBe(true);

      fs.mkdirSync(path.join(tmp, 'dl-after'), { recursive: true });
      const after = await py.exec<{ list: unknown; text: string; b: string }>(root, code, {
        run: logged.runA,
        runB: logged.runB,
        dst: path.join(tmp, 'dl-after'),
      });
      expect(after).toEqual({ list: ['config.json', 'notes'], text: 'hello from origin', b: 'tag only' });

      // only the four meta.yaml path values changed: the rest of each file is the same
      const diff = git(clone, 'diff', '--unified=0', '--no-color');
      const changed = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
      expect(changed.every((l) => /^[-+](artifact_uri|artifact_location): /.test(l)), diff).toBe(true);
      expect(changed.filter((l) => l.startsWith('+'))).toHaveLength(4);
      for (const l of changed.filter((x) => x.startsWith("+"))) expect(l).toContain(`: ${root}/`); // plain paths stay plain paths

      // we read the same after the fix, without any remap
      const client = new MlflowClient(root);
      expect((await client.listArtifacts(logged.runA)).map((f) => f.path).sort()).toEqual(['config.json', 'notes']);
      expect(client.warnings.filter((w) => w.code === 'REMAPPED_PATH')).toEqual([]);
      expect((await client.getRun(logged.runB)).data.tags['note']).toBe('tag only');
    } finally {
      fs.renameSync(path.join(tmp, 'origin-gone'), origin);
    }
  });

  it('after the fix is committed, every read-only command leaves git status empty; a second fix changes nothing', async () => {
    commitAll(clone, 'doctor --fix');
    const reads = [
      ['doctor'],
      ['experiments'],
      ['experiments', '--json'],
      ['runs'],
      ['show', logged.runA],
      ['show', logged.runB],
      ['metrics', logged.runA],
      ['compare', logged.runA, logged.runB],
      ['best', '--metric', 'loss'],
      ['artifacts', 'ls', logged.runA],
      ['doctor', '--fix', '--yes'],
    ];
    for (const args of reads) {
      const r = await runCli(['--root', root, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(gitStatus(clone), args.join(' ')).toEqual([]);
    }
    const dump = await py.dump(root);
    expect(Array.isArray(dump.experiments)).toBe(true);
    expect(gitStatus(clone)).toEqual([]);
  });
});
