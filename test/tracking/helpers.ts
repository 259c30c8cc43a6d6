/**
 * Helpers of the tracking tests: temporary folders, the Python oracle run as a script, git repos
 * made with the real `git` binary, and a compiled copy of the library for child Node processes.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { oraclePython } from '../oracle/oracle.js';
import { buildLib as buildSharedLib } from '../reliability/lib.mjs';
import { warmPythonSync } from '../oracle/zygote.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function pythonBin(version: '2' | '3'): string {
  return oraclePython(version);
}

const made: string[] = [];

/** A new empty temporary folder (real path, symlinks resolved), removed by {@link cleanupTmp}. */
export function tmpDir(prefix = 'mlruns-tracking-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  made.push(dir);
  return dir;
}

export function cleanupTmp(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Environment for a child process: ours minus what would change what MLflow does. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('MLFLOW_') || k.startsWith('GIT_') || k.startsWith('VITEST') || k === 'NODE_OPTIONS') delete env[k];
  }
  env['MLFLOW_ALLOW_FILE_STORE'] = 'true';
  env['PYTHONDONTWRITEBYTECODE'] = '1';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Runs a Python script with the oracle's MLflow; the script prints one JSON document on its last
 * stdout line, which is returned parsed.
 */
export function runPython<T = unknown>(
  version: '2' | '3',
  code: string,
  options: { env?: Record<string, string | undefined>; cwd?: string; scriptPath?: string } = {},
): T {
  let args: string[];
  if (options.scriptPath) {
    fs.writeFileSync(options.scriptPath, code);
    args = [options.scriptPath];
  } else {
    args = ['-c', code];
  }
  const res = warmPythonSync(pythonBin(version), args, {
    cwd: options.cwd ?? os.tmpdir(),
    env: cleanEnv(options.env),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (res.status !== 0) {
    throw new Error(`python exited with ${res.status}\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
  }
  const lines = res.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

/** Runs git (the real binary) in a folder, with a fixed identity; returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: cleanEnv({
      GIT_AUTHOR_NAME: 'Taro',
      GIT_AUTHOR_EMAIL: 'taro@example.com',
      GIT_COMMITTER_NAME: 'Taro',
      GIT_COMMITTER_EMAIL: 'taro@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: cwd,
    }),
  }).trim();
}

/** A git repository with one commit on `main` (and an `origin` remote when given). */
export function makeGitRepo(dir: string, options: { remote?: string; files?: Record<string, string> } = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (const [name, text] of Object.entries(options.files ?? { 'README.md': '# churn\n' })) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'first');
  if (options.remote) git(dir, 'remote', 'add', 'origin', options.remote);
  return git(dir, 'rev-parse', 'HEAD');
}

/**
 * The library compiled for child Node processes: the reliability tests' transpiled copy of src/
 * (test/reliability/lib.mjs: each file transpiled alone, exact under isolatedModules, cached in
 * node_modules/.cache by a hash of the sources, so every test file and run shares one build
 * instead of a full `tsc` per file); returns its folder (the compiled `src`).
 */
export function buildLib(): string {
  return buildSharedLib();
}

/** Nothing to remove: the shared copy is kept for the other files (lib.mjs drops stale ones). */
export function removeBuiltLib(): void {}

/** `file:` URL of a compiled module, e.g. `libUrl('tracking/fluent.js')`. */
export function libUrl(rel: string): string {
  return pathToFileURL(path.join(buildLib(), rel)).href;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node script file to completion. */
export function runNode(script: string, options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: options.cwd ?? path.dirname(script), env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Starts a Node script, calls `onLine` for each stdout line (it may send signals), resolves when
 * the child has exited.
 */
export function watchNode(
  script: string,
  onLine: (line: string, child: ReturnType<typeof spawn>) => void,
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: options.cwd ?? path.dirname(script), env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      stdout += text;
      partial += text;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        onLine(line, child);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
