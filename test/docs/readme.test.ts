/**
 * The README's TypeScript examples run as written (against the sources), in a temporary folder,
 * and what they log is then read back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../src/tracking/client.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((b) => b.includes("from 'mlruns'"));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlruns-readme-'));
const scratch = path.join(here, '.readme-blocks');
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('README examples', () => {
  it('has TypeScript examples that import mlruns', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each(blocks.map((b, i) => [i, b] as const))('example %i runs', async (i, block) => {
    const cwd = path.join(work, `ex${i}`);
    fs.mkdirSync(cwd, { recursive: true });
    fs.mkdirSync(scratch, { recursive: true });
    const file = path.join(scratch, `block-${i}.ts`);
    const src = block.replace(/from 'mlruns'/g, `from '${path.relative(scratch, path.join(repo, 'src/index.js')).split(path.sep).join('/')}'`);
    fs.writeFileSync(file, src + '\nexport {};\n');
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      await import(file);
    } finally {
      process.chdir(prev);
    }
    // Whatever the example logged is in ./mlruns of its folder, readable by our client.
    const c = new MlflowClient(path.join(cwd, 'mlruns'));
    const exps = (await c.searchExperiments({ viewType: 'ALL' })).experiments;
    expect(exps.length).toBeGreaterThanOrEqual(2);
    const runs = await c.searchRuns(exps.map((e) => e.experimentId), '', { runViewType: 'ALL' });
    expect(runs.runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.runs.every((r) => r.info.status === 'FINISHED')).toBe(true);
  });
});
