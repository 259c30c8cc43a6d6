/** git.ts against the real `git` binary: what we read from .git equals what git reports. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findGitRepo, readGitInfo, readRemotes, stripCredentialsFromUrl } from '../../src/tracking/git.js';
import { cleanupTmp, git, makeGitRepo, tmpDir } from './helpers.js';

afterAll(() => cleanupTmp());

describe('readGitInfo', () => {
  it('follows HEAD to loose and packed refs, from files and sub-folders', () => {
    const repo = path.join(tmpDir(), 'repo');
    const first = makeGitRepo(repo, { remote: 'https://user:token@example.com/a/b.git', files: { 'src/train.mjs': '// x\n' } });
    const script = path.join(repo, 'src', 'train.mjs');
    expect(readGitInfo(script)).toMatchObject({ commit: first, branch: 'main', repoUrl: 'https://example.com/a/b.git' });
    expect(findGitRepo(script)).toEqual({ workTree: repo, gitDir: path.join(repo, '.git'), commonDir: path.join(repo, '.git') });

    git(repo, 'checkout', '-q', '-b', 'a/b/c');
    fs.writeFileSync(path.join(repo, 'f'), '1');
    git(repo, 'add', 'f');
    git(repo, 'commit', '-q', '-m', 'two');
    git(repo, 'tag', '-a', 'v1', '-m', 'annotated');
    git(repo, 'pack-refs', '--all');
    expect(readGitInfo(path.join(repo, 'src'))).toMatchObject({ commit: git(repo, 'rev-parse', 'HEAD'), branch: 'a/b/c' });
    // A loose ref newer than the packed one wins, as in git.
    fs.writeFileSync(path.join(repo, 'g'), '2');
    git(repo, 'add', 'g');
    git(repo, 'commit', '-q', '-m', 'three');
    expect(readGitInfo(repo).commit).toBe(git(repo, 'rev-parse', 'HEAD'));

    git(repo, 'checkout', '-q', first);
    expect(readGitInfo(repo)).toMatchObject({ commit: first, branch: null });
  });

  it('handles a symbolic ref chain and an unborn branch', () => {
    const repo = path.join(tmpDir(), 'repo');
    const head = makeGitRepo(repo);
    git(repo, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    git(repo, 'symbolic-ref', 'HEAD', 'refs/heads/alias');
    expect(readGitInfo(repo)).toMatchObject({ commit: head, branch: 'alias' });
    git(repo, 'checkout', '-q', '--orphan', 'empty');
    expect(readGitInfo(repo)).toMatchObject({ commit: null, branch: 'empty' });
  });

  it('reads a .git file (worktree with commondir; submodule-style relative gitdir)', () => {
    const base = tmpDir();
    const repo = path.join(base, 'main');
    makeGitRepo(repo, { remote: 'git@github.com:acme/churn.git' });
    const wt = path.join(base, 'wt');
    git(repo, 'worktree', 'add', '-q', '--detach', wt);
    expect(readGitInfo(wt)).toMatchObject({ commit: git(wt, 'rev-parse', 'HEAD'), branch: null, repoUrl: 'git@github.com:acme/churn.git' });
    const loc = findGitRepo(wt);
    expect(loc?.commonDir).toBe(path.join(repo, '.git'));
    expect(loc?.gitDir).toBe(path.join(repo, '.git', 'worktrees', 'wt'));

    // A .git file with a relative path (as submodules have).
    const moved = path.join(base, 'moved');
    fs.mkdirSync(moved);
    fs.renameSync(path.join(repo, '.git'), path.join(base, 'store.git'));
    fs.writeFileSync(path.join(moved, '.git'), 'gitdir: ../store.git\n');
    expect(readGitInfo(moved)).toMatchObject({ branch: 'main', repoUrl: 'git@github.com:acme/churn.git' });
    expect(readGitInfo(moved).commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('returns nulls outside a repository', () => {
    expect(readGitInfo(tmpDir())).toEqual({ commit: null, branch: null, repoUrl: null, repo: null });
  });

  it('reads remotes in config order with their last url, quoted values and comments', () => {
    const repo = path.join(tmpDir(), 'repo');
    makeGitRepo(repo);
    fs.appendFileSync(
      path.join(repo, '.git', 'config'),
      '[remote "up stream"]\n\turl = "https://a.example/x.git" ; comment\n[core]\n\tbare = false\n[remote "up stream"]\n\turl = https://b.example/y.git\n[remote "other"]\n\turl = /srv/repo\n',
    );
    expect(readRemotes(findGitRepo(repo)!)).toEqual([
      { name: 'up stream', url: 'https://b.example/y.git' },
      { name: 'other', url: '/srv/repo' },
    ]);
    expect(git(repo, 'config', '--get-all', 'remote.up stream.url').split('\n').pop()).toBe('https://b.example/y.git');
  });

  it('strips credentials as MLflow does', () => {
    expect(stripCredentialsFromUrl('https://u:p@host:8443/x.git?q=1#f')).toBe('https://host:8443/x.git?q=1#f');
    expect(stripCredentialsFromUrl('ssh://git@host/x.git')).toBe('ssh://host/x.git');
    expect(stripCredentialsFromUrl('git@github.com:a/b.git')).toBe('git@github.com:a/b.git');
    expect(stripCredentialsFromUrl('/local/path')).toBe('/local/path');
  });
});
