#!/usr/bin/env node
// Property-test exploration beyond `npm test`, which runs every property on one fixed seed
// (test/setup/fast-check-seed.ts). Each round runs the property suites that take the global seed
// with a fresh random one and bigger budgets; a failure prints the seed to replay it:
//   MLRUNS_FC_SEED=<seed> npx vitest run <file>
//   npm run fuzz                    # 3 rounds
//   FUZZ_ROUNDS=20 npm run fuzz     # longer
// Budgets per round: MLRUNS_STORE_SEARCH_STORES (default here 60), REGISTRY_PROP_RUNS (100),
// MLRUNS_CATALOG_EQ_SEQUENCES (60), MLRUNS_CATALOG_EQ_QUERIES (600) and MLRUNS_SQLITE_REGISTRY_CASES (600).
// Exits 1 when any round fails.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const rounds = Number(process.env.FUZZ_ROUNDS ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`FUZZ_ROUNDS must be a positive integer, got '${process.env.FUZZ_ROUNDS}'`);
  process.exit(2);
}
// Suites whose properties have no seed of their own (they follow MLRUNS_FC_SEED).
const suites = [
  'test/store/search-differential.test.ts',
  'test/store/properties.test.ts',
  'test/store/fast-paths.test.ts',
  'test/registry/property.test.ts',
  'test/catalog/equivalence.test.ts',
  'test/sqlite/registry-differential.test.ts',
  'src/format',
];
const failed = [];
for (let r = 1; r <= rounds; r++) {
  const seed = randomInt(1, 2 ** 31 - 1);
  console.log(`\nfuzz round ${r}/${rounds}: MLRUNS_FC_SEED=${seed}`);
  const res = spawnSync('npx', ['vitest', 'run', ...suites], {
    stdio: 'inherit',
    env: {
      ...process.env,
      MLRUNS_FC_SEED: String(seed),
      MLRUNS_STORE_SEARCH_STORES: process.env.MLRUNS_STORE_SEARCH_STORES ?? '60',
      REGISTRY_PROP_RUNS: process.env.REGISTRY_PROP_RUNS ?? '100',
      MLRUNS_CATALOG_EQ_SEQUENCES: process.env.MLRUNS_CATALOG_EQ_SEQUENCES ?? '60',
      MLRUNS_CATALOG_EQ_QUERIES: process.env.MLRUNS_CATALOG_EQ_QUERIES ?? '600',
      MLRUNS_SQLITE_REGISTRY_CASES: process.env.MLRUNS_SQLITE_REGISTRY_CASES ?? '600',
    },
  });
  if (res.status !== 0) failed.push(seed);
}
if (failed.length > 0) {
  console.error(`\nfuzz: ${failed.length} of ${rounds} rounds failed; replay with MLRUNS_FC_SEED=${failed.join(' / ')}`);
  process.exit(1);
}
console.log(`\nfuzz: ${rounds} rounds passed`);
