"""Fills an MLflow SQLite database with a scenario touching every entity the stores share:
experiments (tags, a deleted one, a renamed one), runs (params, tags, metric histories with
steps/timestamps, NaN/inf values, deleted runs, run names), dataset inputs, logged models (3.x)
and the registry (tags, stages, aliases, a deleted version). Ids are random (MLflow's), times
pinned where the API takes them.

    .oracle/mlflow-3-full/bin/python scripts/gen_sqlite_fixtures.py OUT_DIR

writes OUT_DIR/mlflow.db (artifacts under OUT_DIR/mlruns) and prints a JSON summary.
"""

import json
import math
import os
import sys

out = os.path.abspath(sys.argv[1])
os.makedirs(out, exist_ok=True)
os.chdir(out)
os.environ.pop("MLFLOW_TRACKING_URI", None)

import mlflow  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

MAJOR = int(mlflow.__version__.split(".")[0])
uri = f"sqlite:///{os.path.join(out, 'mlflow.db')}"
client = MlflowClient(tracking_uri=uri, registry_uri=uri)

e1 = client.create_experiment("alpha", tags={"team": "a", "unicode": "héllo ✓"})
e2 = client.create_experiment("beta")
e3 = client.create_experiment("gamma")
client.rename_experiment(e2, "beta-renamed")
client.set_experiment_tag(e2, "k", "v")

T = 1700000000000
runs = []
for i in range(6):
    exp = e1 if i < 4 else e2
    r = client.create_run(exp, start_time=T + i * 1000, tags={"idx": str(i)}, run_name=f"run-{i}")
    rid = r.info.run_id
    runs.append(rid)
    client.log_batch(
        rid,
        metrics=[Metric("loss", 1.0 / (s + 1 + i), T + s * 10, s) for s in range(5)]
        + [Metric("acc", 0.5 + i / 20, T + 5, 0)],
        params=[Param("lr", str(0.01 * (i + 1))), Param("layers", str(i % 3))],
        tags=[RunTag("mlflow.user", f"user{i % 2}"), RunTag("group", "g" + str(i % 2))],
    )
    client.log_metric(rid, "loss", 0.001, timestamp=T + 100, step=2)  # not the latest: step 4 wins
    if i == 1:
        client.log_metric(rid, "weird", float("nan"), timestamp=T, step=0)
        client.log_metric(rid, "big", float("inf"), timestamp=T, step=0)
        client.log_metric(rid, "small", float("-inf"), timestamp=T, step=0)
    if i < 5:
        client.set_terminated(rid, "FINISHED" if i % 2 == 0 else "FAILED", end_time=T + i * 1000 + 500)
client.delete_tag(runs[0], "idx")
client.delete_run(runs[3])
client.delete_experiment(e3)

# dataset inputs
from mlflow.entities import Dataset, DatasetInput, InputTag  # noqa: E402

ds = Dataset(name="iris", digest="abc123", source_type="local", source='{"uri": "/data/iris.csv"}', schema='{"x": 1}', profile='{"rows": 150}')
client.log_inputs(runs[0], [DatasetInput(ds, [InputTag("mlflow.data.context", "train")])])
client.log_inputs(runs[1], [DatasetInput(ds, [InputTag("mlflow.data.context", "eval")])])

summary = {"experiments": [e1, e2, e3], "runs": runs}

if MAJOR >= 3:
    m = client.create_logged_model(e1, name="model-a", source_run_id=runs[0], tags={"t": "1"}, params={"p": "2"})
    client.finalize_logged_model(m.model_id, "READY")
    client.log_metric(runs[0], "model_metric", 0.7, timestamp=T, step=1, model_id=m.model_id)
    summary["loggedModel"] = m.model_id

client.create_registered_model("reg-a", tags={"owner": "x"}, description="first")
for i in range(3):
    client.create_model_version("reg-a", f"runs:/{runs[i]}/model", run_id=runs[i], tags={"v": str(i)})
client.transition_model_version_stage("reg-a", "2", "Production")
client.set_registered_model_alias("reg-a", "champion", "2")
client.set_registered_model_alias("reg-a", "old", "1")
client.delete_model_version("reg-a", "3")
client.create_registered_model("reg-b")
client.rename_registered_model("reg-b", "reg-c")

print(json.dumps(summary))
