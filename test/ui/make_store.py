"""Creates a file store with Python MLflow for the UI tests (runs, history, a spike, nested runs,
datasets, artifacts of every previewed kind, a model folder, a registered model). Prints JSON."""
import json
import math
import os
import sys

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric

root = os.path.abspath(sys.argv[1])
client = MlflowClient(tracking_uri="file://" + root)
exp = client.create_experiment("ui-sweep", tags={"team": "vision"})
other = client.create_experiment("ui-other")
runs = {}
T0 = 1700000000000
for i, (lr, model) in enumerate([(0.1, "cnn"), (0.01, "cnn"), (0.001, "mlp"), (0.03, "mlp")]):
    r = client.create_run(exp, run_name=f"lr-{lr}", tags={"kind": "sweep"}, start_time=T0)
    rid = r.info.run_id
    runs[f"lr-{lr}"] = rid
    client.log_param(rid, "lr", lr)
    client.log_param(rid, "model", model)
    client.log_batch(rid, metrics=[Metric("loss", 1.0 / (s + 1 + i), T0 + s * 1000, s) for s in range(60)])
    client.log_batch(rid, metrics=[Metric("acc", 0.5 + 0.4 * (1 - math.exp(-s / (10 + i))), T0 + s * 1000, s) for s in range(60)])
    client.set_terminated(rid, "FINISHED", end_time=T0 + 60000)

rid = runs["lr-0.1"]
client.log_text(rid, "hello world\n", "notes/hello.txt")
client.log_dict(rid, {"layers": 3, "act": "relu"}, "config/params.json")
client.log_dict(rid, {"layers": 3, "act": "relu"}, "config/params.yaml")
client.log_text(rid, "a,b\n1,2\n3,4\n", "data/table.csv")
client.log_text(rid, "<html><script>window.pwned=1</script></html>", "report.html")
client.log_text(rid, '<svg xmlns="http://www.w3.org/2000/svg"><script>window.pwned=1</script></svg>', "plot.svg")
png = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001649444154789c63f8cfc0f09f8181e13f03c3ff0c0c0c000036f006fd6cc94a060000000049454e44ae426082"
)
open("/tmp/_ui_px.png", "wb").write(png)
client.log_artifact(rid, "/tmp/_ui_px.png", "images")
client.log_text(rid, "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nmlflow_version: 3.17.2\n", "model/MLmodel")
client.log_text(rid, "mlflow\n", "model/requirements.txt")
ds = Dataset(name="train", digest="abc123", source_type="local", source="/data/train.csv", schema='{"mlflow_colspec": []}')
client.log_inputs(rid, [DatasetInput(ds, [InputTag("mlflow.data.context", "training")])])

parent = client.create_run(exp, run_name="parent", start_time=T0)
child = client.create_run(exp, run_name="child", tags={"mlflow.parentRunId": parent.info.run_id}, start_time=T0)
client.log_metric(child.info.run_id, "loss", 0.5, step=0, timestamp=T0)
client.set_terminated(child.info.run_id)
client.set_terminated(parent.info.run_id)

live = client.create_run(other, run_name="live", start_time=T0)
client.log_metric(live.info.run_id, "live", 1.0, step=0, timestamp=T0)

client.create_registered_model("ui-model", tags={"owner": "ml"})
v1 = client.create_model_version("ui-model", f"runs:/{runs['lr-0.1']}/model", run_id=runs["lr-0.1"])
v2 = client.create_model_version("ui-model", f"runs:/{runs['lr-0.01']}/model", run_id=runs["lr-0.01"])
client.set_registered_model_alias("ui-model", "champion", "1")
client.transition_model_version_stage("ui-model", "1", "Production")

print(json.dumps({
    "experimentId": exp,
    "otherExperimentId": other,
    "runs": runs,
    "parentRunId": parent.info.run_id,
    "childRunId": child.info.run_id,
    "liveRunId": live.info.run_id,
}))
