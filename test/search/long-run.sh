#!/usr/bin/env bash
# Longer differential run against MLflow 3.17: ./test/search/long-run.sh [cases] [seed]
# (MLRUNS_SEARCH_STATS=1 prints the most frequent MLflow rejections, MLRUNS_SEARCH_MESSAGES=1
# lists error messages that differ while codes agree.)
set -euo pipefail
cd "$(dirname "$0")/../.."
export MLRUNS_SEARCH_CASES="${1:-50000}"
if [ -n "${2:-}" ]; then export MLRUNS_SEARCH_SEED="$2"; fi
exec npx vitest run test/search/differential.test.ts
