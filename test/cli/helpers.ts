/**
 * Helpers of the CLI tests: build once, spawn the built binary as a user would, run the Python
 * oracle (real MLflow 3) to make and check stores.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { venvPython } from '../oracle/oracle.js';
import { warmPythonSync } from '../oracle/zygote.js';
import { makeOnce } from '../setup/once.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PYTHON = venvPython('mlflow-3');
export const PY_BIN_DIR = path.dirname(PYTHON);

/**
 * The tests run a private copy of the built `dist/` (with package.json beside it, and commander
 * still found in the repo's node_modules): other engineers rebuild `dist/` while these tests run,
 * and tsc rewrites files in place.
 */
const COPY = path.join(REPO, 'node_modules/.cache/mlruns-cli-test', String(process.ppid));
export const BIN = path.join(COPY, 'dist/cli/main.js');

/** True when every compiled source is older than its output in dist/. */
function distUpToDate(): boolean {
  const walk = (dir: string): boolean => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!walk(p)) return false;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) {
        const out = path.join(REPO, 'dist', path.relative(path.join(REPO, 'src'), p)).replace(/\.ts$/, '.js');
        try {
          if (fs.statSync(out).mtimeMs < fs.statSync(p).mtimeMs) return false;
        } catch {
          return false;
        }
      }
    }
    return true;
  };
  return walk(path.join(REPO, 'src'));
}

/**
 * `npm run build` (skipped when dist/ is newer than every source), once per vitest run (test
 * files share it through a stamp keyed by the vitest process; a lock folder keeps two workers
 * from building at once), then a private copy of dist/. The type errors of other modules may make
 * tsc exit non-zero; it emits anyway, so only the output is checked.
 */
export function build(): void {
  const stamp = path.join(COPY, 'built');
  const lock = `${COPY}.lock`;
  fs.mkdirSync(path.dirname(COPY), { recursive: true });
  // Copies left by earlier runs.
  for (const old of fs.readdirSync(path.dirname(COPY))) {
    const p = path.join(path.dirname(COPY), old);
    if (p !== COPY && p !== `${COPY}.lock` && Date.now() - fs.statSync(p).mtimeMs > 3600_000) fs.rmSync(p, { recursive: true, force: true });
  }
  makeOnce(lock, () => (fs.existsSync(stamp) ? true : undefined), () => {
    let log = '';
    if (!distUpToDate()) {
      const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
      log = `${r.stdout}\n${r.stderr}`;
    }
    const main = path.join(REPO, 'dist/cli/main.js');
    if (!fs.existsSync(main)) throw new Error(`build did not produce ${main}:\n${log}`);
    fs.rmSync(COPY, { recursive: true, force: true });
    fs.mkdirSync(COPY, { recursive: true });
    fs.cpSync(path.join(REPO, 'dist'), path.join(COPY, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'package.json'), path.join(COPY, 'package.json'));
    fs.writeFileSync(stamp, '');
    return true;
  });
}

/** The environment of a spawned command: no colour forcing, no tracking URI, unless given. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['COLUMNS', 'NO_COLOR', 'FORCE_COLOR', 'MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_ID', 'MLFLOW_EXPERIMENT_NAME', 'MLFLOW_RUN_ID']) delete env[k];
  env['MLFLOW_ALLOW_FILE_STORE'] = 'true';
  // The oracle's python first on PATH, so `python` in commands is MLflow 3's.
  env['PATH'] = `${PY_BIN_DIR}${path.delimiter}${env['PATH'] ?? ''}`;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ...args` and waits. */
export function mlruns(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: cleanEnv(options.env),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Parses the JSON printed by a `--json` command (asserting exit 0). */
export function mlrunsJson<T = any>(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): T {
  const r = mlruns(args, options);
  if (r.code !== 0) throw new Error(`mlruns ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Starts `mlruns ...args` without waiting. */
export function mlrunsAsync(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the Python oracle (MLflow 3) on a script (in a fork of a warm interpreter: test/oracle/zygote.ts); returns stdout, throws on failure. */
export function py(script: string, args: string[] = [], cwd?: string): string {
  const r = warmPythonSync(PYTHON, ['-c', script, ...args], { cwd: cwd ?? REPO, env: cleanEnv(), timeout: 300_000 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export function pyFile(file: string, args: string[] = []): string {
  const r = warmPythonSync(PYTHON, [file, ...args], { cwd: REPO, env: cleanEnv(), timeout: 300_000 });
  if (r.status !== 0) throw new Error(`python ${file} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export function tmpDir(prefix = 'mlruns-cli-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Copies a store to a new temp folder and returns the copy's root. */
export function copyStore(root: string): string {
  const dest = path.join(tmpDir(), 'mlruns');
  fs.cpSync(root, dest, { recursive: true });
  return dest;
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[[0-9;]*m/;

/** Waits until `stream` has printed text matching `re`; resolves with everything printed so far. */
export function waitForOutput(stream: NodeJS.ReadableStream, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString();
      if (re.test(text)) {
        stream.off('data', onData);
        resolve(text);
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`stream ended before ${re}: ${text}`)));
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The shared corpus of real stores (`../shared/corpus` beside the main checkout), or undefined
 * when this machine has none; its stores are read-only: tests copy them with {@link copyCorpus}.
 */
export const CORPUS: string | undefined = [
  process.env['MLRUNS_CORPUS'],
  path.resolve(REPO, '../shared/corpus'),
  path.resolve(REPO, '../../shared/corpus'),
].find((p): p is string => p !== undefined && fs.existsSync(path.join(p, 'README.md')));

/** A writable copy of a corpus store (`entry` like `palaciosleo__diplodatos-deeplearning`, `sub` its store folder). */
export function copyCorpus(entry: string, sub = 'mlruns'): string {
  if (!CORPUS) throw new Error('no corpus on this machine');
  const dest = path.join(tmpDir(), 'mlruns');
  fs.cpSync(path.join(CORPUS, entry, sub), dest, { recursive: true });
  const visit = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
  };
  visit(dest);
  return dest;
}
