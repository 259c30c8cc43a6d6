/**
 * The reliability suite's published figures: each test file records its counts (cases run,
 * faults injected, points lost...) and figures.json is rewritten with the totals, under a lock
 * because test files run in parallel forks.
 *
 * @example
 * ```ts
 * const fig = suiteFigures('crash');
 * fig.add({ cases: 1, faults: 3, pointsLost: 0 });
 * afterAll(() => fig.write());
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIGURES_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'figures.json');

export interface SuiteFigures {
  /** Test cases (inputs, rounds, scenarios) checked. */
  cases: number;
  /** Faults injected (kills, fs errors, mutated files). */
  faults: number;
  /** Acknowledged metric points not found afterwards (must be 0). */
  pointsLost: number;
  [extra: string]: number;
}

interface FiguresFile {
  updated: string;
  totals: { cases: number; faults: number; pointsLost: number };
  suites: Record<string, SuiteFigures | (SuiteFigures & { updated: string })>;
}

function withLock<T>(fn: () => T): T {
  const lock = `${FIGURES_PATH}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock older than 30 s was left by a killed process.
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 30_000) fs.rmdirSync(lock);
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`figures lock ${lock} held for 10 s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmdirSync(lock);
  }
}

/** Merges one suite's figures into figures.json and recomputes the totals. */
export function writeFigures(suite: string, figures: SuiteFigures): void {
  withLock(() => {
    let current: FiguresFile = { updated: '', totals: { cases: 0, faults: 0, pointsLost: 0 }, suites: {} };
    try {
      current = JSON.parse(fs.readFileSync(FIGURES_PATH, 'utf8')) as FiguresFile;
    } catch {
      /* first run */
    }
    const now = new Date().toISOString();
    current.suites[suite] = Object.assign({}, figures, { updated: now }) as SuiteFigures;
    const totals = { cases: 0, faults: 0, pointsLost: 0 };
    for (const s of Object.values(current.suites)) {
      totals.cases += s.cases;
      totals.faults += s.faults;
      totals.pointsLost += s.pointsLost;
    }
    const sorted: FiguresFile = {
      updated: now,
      totals,
      suites: Object.fromEntries(Object.entries(current.suites).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
    const tmp = `${FIGURES_PATH}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(sorted, null, 2) + '\n');
    fs.renameSync(tmp, FIGURES_PATH);
  });
}

/** Counters of one test file; `write()` publishes them (call it in afterAll). */
export function suiteFigures(suite: string): { add(f: Partial<SuiteFigures>): void; get(): SuiteFigures; write(): void } {
  const fig: SuiteFigures = { cases: 0, faults: 0, pointsLost: 0 };
  return {
    add(f) {
      for (const [k, v] of Object.entries(f)) if (typeof v === 'number') fig[k] = (fig[k] ?? 0) + v;
    },
    get: () => fig,
    write: () => writeFigures(suite, fig),
  };
}
