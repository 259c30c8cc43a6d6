import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Starts the longest test files first, so that the run does not end with one worker busy on a
 * long file while the others sit idle (the wall time is then the total work divided by the
 * workers, not that plus the longest file).
 *
 * vitest orders by the durations of the previous run on this machine (its cache), but a fresh
 * checkout (CI) has no cache and vitest falls back to file size, which puts e.g. the 6-minute
 * `test/cli/help-examples.test.ts` (a short file) near the end. This sequencer uses, per file:
 * the duration of the last run from vitest's cache when there is one, else the committed figure
 * of `test/setup/durations.json` (seconds, regenerated with `node scripts/test-durations.mjs`),
 * else a middle guess. Failed files of the previous run still go first, as in vitest.
 */
export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const committed = readCommitted();
    const known = Object.values(committed);
    const guess = known.length > 0 ? known.sort((a, b) => a - b)[Math.floor(known.length / 2)]! : 10;
    const cost = (spec: TestSpecification): { failed: boolean; seconds: number } => {
      const rel = path.relative(root, spec.moduleId).split(path.sep).join('/');
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${rel}`);
      if (cached && Number.isFinite(cached.duration) && cached.duration > 0) {
        return { failed: cached.failed, seconds: cached.duration / 1000 };
      }
      return { failed: false, seconds: committed[rel] ?? guess };
    };
    const costs = new Map(files.map((f) => [f, cost(f)] as const));
    return [...files].sort((a, b) => {
      const ca = costs.get(a)!;
      const cb = costs.get(b)!;
      if (ca.failed !== cb.failed) return ca.failed ? -1 : 1;
      return cb.seconds - ca.seconds;
    });
  }
}

function readCommitted(): Record<string, number> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'durations.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}
