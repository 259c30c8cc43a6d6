#!/usr/bin/env bash
# Regenerates fixtures/mlflow-<version>/ with each oracle version's real MLflow.
#
#   bash scripts/gen-fixtures.sh          # all oracle versions (3, 2, 1)
#   bash scripts/gen-fixtures.sh 3 2      # only these
#
# For each version: runs scripts/gen_fixtures.py from a neutral directory
# (/tmp/mlruns-fixtures/mlflow-<version>/, so artifact URIs and source tags hold no checkout path),
# copies the store to fixtures/mlflow-<version>/mlruns/, writes
#   expected.json   the oracle's `dump` of the copied store, by the same MLflow version
#   manifest.json   names -> ids of what the generator created
#   empty-dirs.txt  empty directories of the store (git drops them; test/oracle/fixtures.ts
#                   recreates them when it copies a fixture)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
oracle_dir=${MLRUNS_ORACLE_DIR:-$here/.oracle}
work=${MLRUNS_FIXTURES_TMP:-/tmp/mlruns-fixtures}
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(3 2 1)

bash "$here/scripts/setup-oracle.sh"

export MLFLOW_ALLOW_FILE_STORE=true GIT_PYTHON_REFRESH=quiet PYTHONIOENCODING=utf-8
unset MLFLOW_TRACKING_URI MLFLOW_REGISTRY_URI MLFLOW_EXPERIMENT_ID MLFLOW_EXPERIMENT_NAME MLFLOW_RUN_ID

mkdir -p "$work"
cp "$here/scripts/gen_fixtures.py" "$work/gen_fixtures.py"

for v in "${versions[@]}"; do
  py="$oracle_dir/mlflow-$v/bin/python"
  [ -x "$py" ] || { echo "gen-fixtures: $py missing (run npm run oracle)" >&2; exit 1; }
  full=$("$py" -c 'import mlflow; print(mlflow.__version__)' 2>/dev/null)
  name="mlflow-$full"
  tmp="$work/$name"
  dest="$here/fixtures/$name"
  echo "gen-fixtures: $name"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  (cd "$work" && "$py" "$work/gen_fixtures.py" "$tmp/mlruns" 2>"$tmp/generate.log") || {
    cat "$tmp/generate.log" >&2
    exit 1
  }
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -a "$tmp/mlruns" "$dest/mlruns"
  cp "$tmp/manifest.json" "$dest/manifest.json"
  (cd "$dest/mlruns" && find . -mindepth 1 -type d -empty | sed 's|^\./||' | LC_ALL=C sort) >"$dest/empty-dirs.txt"
  "$py" "$here/test/oracle/oracle_server.py" --dump "$dest/mlruns" >"$dest/expected.json" 2>"$tmp/dump.log" || {
    cat "$tmp/dump.log" >&2
    exit 1
  }
  echo "gen-fixtures: wrote fixtures/$name ($(find "$dest/mlruns" -type f | wc -l) files, $(du -sh --apparent-size "$dest" | cut -f1))"
done
