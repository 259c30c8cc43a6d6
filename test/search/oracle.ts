/**
 * The search differential's Python half: test/search/pysearch.py, served by the one oracle
 * process (test/oracle/oracle.ts, MLflow 3.17) as its `search` module.
 *
 * @example
 * ```ts
 * const oracle = await startOracle();
 * const [res] = await oracle.call('runs', [{ entities: [], filter: "params.a = 'x'" }]);
 * await oracle.close();
 * ```
 */
import { Oracle as PythonOracle } from '../oracle/oracle.js';

export type OracleResult = { ids: string[]; token: string | null } | { offset: number } | { error: { code: string; message: string } };
export type Op = 'runs' | 'experiments' | 'models' | 'versions' | 'offset';

export interface Oracle {
  call(op: Op, cases: unknown[]): Promise<OracleResult[]>;
  close(): Promise<void>;
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

/** Starts the MLflow 3 oracle (a missing oracle is an error, not a skip). */
export async function startOracle(): Promise<Oracle> {
  const py = await PythonOracle.start('3');
  return {
    async call(op, cases) {
      const msg = await py.module<{ results?: OracleResult[]; fatal?: string }>('search', JSON.parse(encode({ op, cases })));
      if (msg.fatal) throw new Error(msg.fatal);
      return msg.results!;
    },
    close: () => py.close(),
  };
}
