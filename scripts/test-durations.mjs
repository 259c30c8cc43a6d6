#!/usr/bin/env node
// Regenerates test/setup/durations.json (seconds per test file), which
// test/setup/slow-first-sequencer.ts uses to start the longest files first on a machine without
// vitest's cache (CI). From a JSON report of a full run:
//   npx vitest run --reporter=default --reporter=json --outputFile=/tmp/vitest.json
//   node scripts/test-durations.mjs /tmp/vitest.json
// or from the per-file figures of test/setup/cpu-usage.ts (its `wall` seconds):
//   MLRUNS_TEST_CPU=/tmp/cpu.jsonl npx vitest run && node scripts/test-durations.mjs /tmp/cpu.jsonl
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const report = process.argv[2];
if (!report) {
  console.error('usage: node scripts/test-durations.mjs <vitest JSON report>');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const text = fs.readFileSync(report, 'utf8');
const data = report.endsWith('.jsonl') ? fromCpuLines(text) : JSON.parse(text);
if (!Array.isArray(data.testResults)) {
  console.error(`${report}: not a vitest JSON report (no testResults)`);
  process.exit(2);
}
const out = {};
for (const r of data.testResults) {
  if (typeof r.startTime !== 'number' || typeof r.endTime !== 'number') continue;
  const rel = path.relative(root, r.name).split(path.sep).join('/');
  out[rel] = Math.max(1, Math.round((r.endTime - r.startTime) / 1000));
}
const sorted = Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
const target = path.join(root, 'test/setup/durations.json');
fs.writeFileSync(target, `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`${target}: ${Object.keys(sorted).length} files`);

/** test/setup/cpu-usage.ts lines ({ file, wall } per test file) as a report's testResults. */
function fromCpuLines(text) {
  const testResults = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
    .filter((r) => !r.file.startsWith('(')) // the warm Python servers' lines: no test file
    .map((r) => ({ name: path.resolve(root, r.file), startTime: 0, endTime: r.wall * 1000 }));
  return { testResults };
}
