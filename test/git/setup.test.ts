/**
 * `git-setup`: the lines it writes mean what docs/git.md says (checked with `git check-attr` and
 * `git check-ignore`), it merges with existing lines, it is idempotent, and large artifacts are
 * listed one by one for LFS or ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';
import { BLOCK_BEGIN, BLOCK_END, gitSetup, mergeBlock, parseSize } from '../../src/git/setup.js';
import { git, runCli, tmpDir } from './helpers.js';

const tmp = tmpDir();
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function attr(repo: string, name: string, file: string): string {
  const out = git(repo, 'check-attr', name, '--', file).trim();
  return out.slice(out.lastIndexOf(': ') + 2);
}

function ignored(repo: string, file: string): boolean {
  try {
    git(repo, 'check-ignore', '-q', '--', file);
    return true;
  } catch {
    return false;
  }
}

describe('git-setup', () => {
  const repo = path.join(tmp, 'repo');
  const root = path.join(repo, 'mlruns');
  let exp = '';
  let run = '';

  beforeAll(async () => {
    fs.mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q');
    fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n.mlruns-quarantine/\n');
    fs.writeFileSync(path.join(repo, '.gitattributes'), '*.sh text eol=lf\n');
    const client = new MlflowClient(root);
    exp = await client.createExperiment('x');
    run = (await client.createRun(exp)).info.runId;
    await client.logMetric(run, 'loss', 1);
    await client.logText(run, 'x'.repeat(4096), 'model/weights.bin');
    await client.logText(run, 'small', 'metrics/report.txt');
    await client.logText(run, 'y'.repeat(4096), 'data with space [1].bin');
  });

  it('writes attributes that git applies as documented', async () => {
    const r = await runCli(['--root', root, 'git-setup']);
    expect(r.code, r.stderr).toBe(0);
    const rel = (p: string): string => `mlruns/${exp}/${run}/${p}`;
    expect(attr(repo, 'merge', rel('metrics/loss'))).toBe('union');
    expect(attr(repo, 'eol', rel('metrics/loss'))).toBe('lf');
    expect(attr(repo, 'eol', `mlruns/${exp}/meta.yaml`)).toBe('lf');
    expect(attr(repo, 'text', `mlruns/${exp}/meta.yaml`)).toBe('set');
    expect(attr(repo, 'text', rel('params/lr'))).toBe('unset');
    expect(attr(repo, 'text', rel('tags/mlflow.runName'))).toBe('unset');
    // an artifact folder named metrics/ is not union-merged nor converted
    expect(attr(repo, 'merge', rel('artifacts/metrics/report.txt'))).toBe('unspecified');
    expect(attr(repo, 'text', rel('artifacts/metrics/report.txt'))).toBe('unset');
    expect(attr(repo, 'eol', rel('artifacts/model/MLmodel.yaml'))).toBe('unspecified');
    // ignores: the quarantine, the catalog cache, temp files of atomic writes
    expect(ignored(repo, '.mlruns-quarantine/20260101T000000Z/x')).toBe(true);
    expect(ignored(repo, '.mlruns-catalog/index.sqlite')).toBe(true);
    expect(ignored(repo, `mlruns/${exp}/.meta.yaml.0123456789ab.tmp`)).toBe(true);
    expect(ignored(repo, `mlruns/${exp}/meta.yaml`)).toBe(false);
  });

  it('keeps the lines that were there, does not repeat them, and is idempotent', () => {
    const ignore = fs.readFileSync(path.join(repo, '.gitignore'), 'utf8');
    expect(ignore.startsWith('node_modules/\n.mlruns-quarantine/\n\n' + BLOCK_BEGIN + '\n')).toBe(true);
    expect(ignore.split('\n').filter((l) => l === '.mlruns-quarantine/')).toHaveLength(1);
    const attrs = fs.readFileSync(path.join(repo, '.gitattributes'), 'utf8');
    expect(attrs.startsWith('*.sh text eol=lf\n\n' + BLOCK_BEGIN)).toBe(true);
    expect(attrs.trimEnd().endsWith(BLOCK_END)).toBe(true);
    const again = gitSetup(root);
    expect(again.files.map((f) => f.changed)).toEqual([false, false]);
    expect(fs.readFileSync(path.join(repo, '.gitattributes'), 'utf8')).toBe(attrs);
    // user lines added after the block survive a re-run
    fs.appendFileSync(path.join(repo, '.gitattributes'), '*.png binary\n');
    gitSetup(root);
    expect(fs.readFileSync(path.join(repo, '.gitattributes'), 'utf8')).toBe(attrs + '*.png binary\n');
  });

  it('--lfs-threshold lists the large artifacts one by one for LFS', async () => {
    const r = await runCli(['--root', root, 'git-setup', '--lfs-threshold', '4KB', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { largeFiles: string[] };
    expect(out.largeFiles).toEqual([
      `mlruns/${exp}/${run}/artifacts/data with space [1].bin`,
      `mlruns/${exp}/${run}/artifacts/model/weights.bin`,
    ]);
    for (const f of out.largeFiles) expect(attr(repo, 'filter', f)).toBe('lfs');
    expect(attr(repo, 'filter', `mlruns/${exp}/${run}/artifacts/metrics/report.txt`)).toBe('unspecified');
  });

  it('--ignore-large ignores them instead (and drops the LFS lines)', async () => {
    const r = await runCli(['--root', root, 'git-setup', '--ignore-large', '4KB']);
    expect(r.code, r.stderr).toBe(0);
    expect(ignored(repo, `mlruns/${exp}/${run}/artifacts/model/weights.bin`)).toBe(true);
    expect(ignored(repo, `mlruns/${exp}/${run}/artifacts/data with space [1].bin`)).toBe(true);
    expect(ignored(repo, `mlruns/${exp}/${run}/artifacts/metrics/report.txt`)).toBe(false);
    expect(attr(repo, 'filter', `mlruns/${exp}/${run}/artifacts/model/weights.bin`)).toBe('unspecified');
    expect((await runCli(['--root', root, 'git-setup', '--ignore-large', '4KB', '--lfs-threshold', '1MB'])).code).toBe(1);
    expect((await runCli(['--root', root, 'git-setup', '--lfs-threshold', 'lots'])).code).toBe(1);
  });

  it('parses sizes and merges blocks', () => {
    expect(parseSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('1.5 GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('100')).toBe(100);
    expect(() => parseSize('ten')).toThrow();
    const once = mergeBlock('a\r\nb\r\n', ['c', 'a']);
    expect(once.text).toBe(`a\r\nb\r\n\r\n${BLOCK_BEGIN}\r\nc\r\n${BLOCK_END}\r\n`);
    expect(mergeBlock(once.text, ['c', 'a']).text).toBe(once.text);
    expect(mergeBlock('', []).text).toBe('');
  });

  it('outside a git repository, writes next to the root', () => {
    const plain = path.join(tmp, 'plain', 'runs-store');
    fs.mkdirSync(plain, { recursive: true });
    const r = gitSetup(plain, { dryRun: true });
    expect(r.dir).toBe(path.dirname(plain));
    expect(r.attributes.lines[0]).toBe('runs-store/**/metrics/** text eol=lf merge=union');
    expect(fs.existsSync(path.join(tmp, 'plain', '.gitattributes'))).toBe(false);
  });
});
