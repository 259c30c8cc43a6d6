#!/usr/bin/env node
// Summarizes the CPU figures test/setup/cpu-usage.ts writes (MLRUNS_TEST_CPU=<file> npx vitest run):
// one line per test file, biggest CPU first, and the totals.
//   node scripts/test-cpu.mjs /tmp/cpu.jsonl [--json]
import fs from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/test-cpu.mjs <jsonl written by test/setup/cpu-usage.ts> [--json]');
  process.exit(2);
}
const rows = fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
rows.sort((a, b) => b.cpu - a.cpu);
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(Object.fromEntries(rows.map((r) => [r.file, r.cpu])), null, 1));
  process.exit(0);
}
const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
const pad = (s, n) => String(s).padStart(n);
console.log(`${'cpu s'.padStart(8)} ${'self'.padStart(7)} ${'child'.padStart(7)} ${'wall s'.padStart(7)}  py node mlfl other  file`);
for (const r of rows) {
  const s = r.spawns ?? {};
  console.log(`${pad(r.cpu.toFixed(1), 8)} ${pad(r.self.toFixed(1), 7)} ${pad(r.children.toFixed(1), 7)} ${pad(r.wall.toFixed(0), 7)}  ${pad(s.python ?? 0, 2)} ${pad(s.node ?? 0, 4)} ${pad(s.mlflow ?? 0, 4)} ${pad(s.other ?? 0, 5)}  ${r.file}`);
}
console.log(`${pad(sum('cpu').toFixed(1), 8)} ${pad(sum('self').toFixed(1), 7)} ${pad(sum('children').toFixed(1), 7)} ${pad(sum('wall').toFixed(0), 7)}  total of ${rows.length} files`);
