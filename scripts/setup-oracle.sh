#!/usr/bin/env bash
# Creates the Python oracle: one virtualenv per pinned MLflow version, under .oracle/ (or $MLRUNS_ORACLE_DIR).
# Idempotent: a venv whose stamp matches its pinned spec is kept.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${MLRUNS_ORACLE_DIR:-$here/.oracle}
py=${PYTHON:-python3}
mkdir -p "$dir"
# One setup at a time (parallel test runs call this script too).
exec 9>"$dir/.lock"
flock 9

# name | pip requirements
specs=(
  "mlflow-3|mlflow-skinny==3.17.2"
  "mlflow-2|mlflow-skinny==2.22.5"
  "mlflow-1|mlflow-skinny==1.30.1 protobuf<4 setuptools<70"
  "mlflow-3-onnx|mlflow-skinny==3.17.2 onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6 pandas==3.1.1"
  # The full packages: the SQL store, `mlflow server` and `mlflow models serve`.
  "mlflow-3-full|mlflow==3.17.2 psycopg2-binary==2.9.11 onnx==1.23.2 onnxruntime==1.32.0"
  "mlflow-2-full|mlflow==2.22.5 psycopg2-binary==2.9.11"
  # MLflow 2.22's SQL store needs SQLAlchemy < 2.1 (it imports FallbackAsyncAdaptedQueuePool).
  "mlflow-2-sql|mlflow==2.22.5 sqlalchemy==2.0.49"
  # mlflow.pyfunc.spark_udf on models mlruns logged (Spark local mode, Java 17).
  "mlflow-3-spark|mlflow==3.17.2 pyspark==3.5.7 onnx==1.23.2 onnxruntime==1.32.0"
)

for spec in "${specs[@]}"; do
  name=${spec%%|*}
  reqs=${spec#*|}
  venv="$dir/$name"
  if [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "$reqs" ]; then
    # Quiet when nothing is done (the test run's global setup: its output is the test results).
    [ -n "${ORACLE_QUIET:-}" ] || echo "oracle: $name ready ($reqs)"
    continue
  fi
  echo "oracle: creating $name ($reqs)"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $reqs
  MLFLOW_ALLOW_FILE_STORE=true "$venv/bin/python" -c "import mlflow, sys; print('oracle:', '$name', 'mlflow', mlflow.__version__, 'python', sys.version.split()[0])"
  echo "$reqs" > "$venv/.stamp"
done
flock -u 9
