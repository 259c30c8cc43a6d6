/**
 * Helpers of the git tests: temporary folders, the real `git` binary with a pinned identity, the
 * CLI run in-process (with `doctor` and `git-setup` registered), and tree snapshots.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { MlflowError } from '../../src/errors.js';
import { buildProgram } from '../../src/cli/main.js';
import { CliError, EXIT, exitCodeOf } from '../../src/cli/context.js';
import { doctorCommand } from '../../src/cli/commands/doctor.js';
import { gitSetupCommand } from '../../src/cli/commands/git-setup.js';

export const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');

const GIT_ENV: Record<string, string> = {
  GIT_AUTHOR_NAME: 'mlruns test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'mlruns test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};

/** Runs git in `cwd` with a pinned identity and no user/system config; returns stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', '-c', 'core.autocrlf=false', ...args], {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `git status --porcelain` lines (untracked files listed one by one). */
export function gitStatus(cwd: string): string[] {
  return git(cwd, 'status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** `git add -A && git commit -m msg`. */
export function commitAll(cwd: string, msg: string): void {
  git(cwd, 'add', '-A');
  git(cwd, 'commit', '-q', '--allow-empty', '-m', msg);
}

/** A new temporary folder. */
export function tmpDir(prefix = 'mlruns-git-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/** Copies a read-only corpus store and makes the copy writable. */
export function copyWritable(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true });
  const visit = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
  };
  visit(dst);
}

/** Path → sha256 of every file (symlinks as `-> target`) under `dir`. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (abs: string, rel: string): void => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const p = path.join(abs, e.name);
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${r}/`] = 'dir';
        visit(p, r);
      } else out[r] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  visit(dir, '');
  return out;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mlruns <args>` in-process (the real program plus doctor and git-setup); captures output. */
export async function runCli(args: string[]): Promise<CliResult> {
  const program = buildProgram();
  for (const mod of [doctorCommand, gitSetupCommand]) {
    if (!program.commands.some((c) => c.name() === mod.name)) mod.register(program);
  }
  let stdout = '';
  let stderr = '';
  const outWrite = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  const savedEnv = process.env['NO_COLOR'];
  process.env['NO_COLOR'] = '1';
  process.exitCode = undefined;
  let code: number;
  try {
    await program.parseAsync(['node', 'mlruns', ...args]);
    code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    else if (err instanceof CliError) {
      code = err.exitCode;
      stderr += `mlruns: error: ${err.message}\n`;
    } else if (err instanceof MlflowError) {
      code = exitCodeOf(err.code);
      stderr += `mlruns: error: ${err.message}\n`;
    } else throw err;
  } finally {
    process.stdout.write = outWrite;
    process.stderr.write = errWrite;
    if (savedEnv === undefined) delete process.env['NO_COLOR'];
    else process.env['NO_COLOR'] = savedEnv;
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}
