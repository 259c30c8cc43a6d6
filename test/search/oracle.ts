/**
 * Client of `pysearch.py`, the Python MLflow oracle (one long-lived process per test file).
 *
 * @example
 * ```ts
 * const oracle = startOracle();
 * const [res] = await oracle.call('runs', [{ entities: [], filter: "params.a = 'x'" }]);
 * oracle.close();
 * ```
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
export const PYTHON = path.join(root, '.oracle/mlflow-3/bin/python');
export const oracleAvailable = existsSync(PYTHON);

export type OracleResult = { ids: string[]; token: string | null } | { offset: number } | { error: { code: string; message: string } };
export type Op = 'runs' | 'experiments' | 'models' | 'versions' | 'offset';

export interface Oracle {
  call(op: Op, cases: unknown[]): Promise<OracleResult[]>;
  close(): void;
}

/** JSON with NaN/Infinity encoded as `{"$float": ...}`. */
export function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) {
      return { $float: Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf' };
    }
    return v;
  });
}

export function startOracle(): Oracle {
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [path.join(here, 'pysearch.py')], {
    env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', PYTHONIOENCODING: 'utf-8' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buffer = '';
  const waiting: ((line: string) => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  let queue = Promise.resolve();
  return {
    call(op, cases) {
      const run = (): Promise<OracleResult[]> =>
        new Promise((resolve, reject) => {
          waiting.push((line) => {
            const msg = JSON.parse(line) as { results?: OracleResult[]; fatal?: string };
            if (msg.fatal) reject(new Error(msg.fatal));
            else resolve(msg.results!);
          });
          child.stdin.write(encode({ op, cases }) + '\n');
          child.once('exit', (code) => reject(new Error(`oracle exited ${code}: ${stderr}`)));
        });
      const p = queue.then(run);
      queue = p.then(
        () => undefined,
        () => undefined,
      );
      return p;
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
