"""A file store made by Python MLflow 3 for the push/pull tests: experiments (one deleted), runs with
params, metric histories, tags, statuses, a parent/child pair, dataset inputs, artifacts, a deleted
run, a logged model with files, registered models with versions, stages and aliases."""
import json
import os
import sys

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag

root = os.path.abspath(sys.argv[1])
n_points = int(sys.argv[2]) if len(sys.argv) > 2 else 5
client = MlflowClient(tracking_uri="file://" + root, registry_uri="file://" + root)
exp = client.create_experiment("sweep", tags={"team": "vision"})
parent = client.create_run(exp, run_name="parent", start_time=1700000000000)
runs = {"parent": parent.info.run_id}
for i, (lr, acc) in enumerate([(0.1, 0.8), (0.01, 0.95), (0.001, 0.9)]):
    r = client.create_run(exp, run_name=f"lr-{lr}", tags={"kind": "sweep", "mlflow.parentRunId": parent.info.run_id}, start_time=1700000000000 + i)
    rid = r.info.run_id
    runs[f"lr-{lr}"] = rid
    client.log_param(rid, "lr", lr)
    for step in range(n_points):
        client.log_metric(rid, "loss", 1.0 / (step + 1 + i), step=step, timestamp=1700000000000 + step * 1000)
    client.log_metric(rid, "acc", acc, step=4, timestamp=1700000004000)
    client.log_metric(rid, "acc", float("nan"), step=5, timestamp=1700000005000)
    client.log_text(rid, f"hello {i}\n", "notes/hello.txt")
    client.log_dict(rid, {"layers": i}, "model/config.json")
    if i == 0:
        ds = Dataset(name="train", digest="abc123", source_type="local", source="/data/train.csv")
        client.log_inputs(rid, [DatasetInput(ds, [InputTag("mlflow.data.context", "training")])])
    client.set_terminated(rid, "FINISHED" if i != 2 else "FAILED", end_time=1700000100000 + i)
client.set_terminated(parent.info.run_id, "FINISHED", end_time=1700000200000)

lm = client.create_logged_model(exp, name="net", source_run_id=runs["lr-0.01"], tags={"framework": "none"}, params={"units": "8"})
client.log_text(runs["lr-0.01"], "x", "unused.txt")
client.finalize_logged_model(lm.model_id, "READY")

client.create_registered_model("clf", tags={"owner": "ml"}, description="classifier")
v1 = client.create_model_version("clf", f"runs:/{runs['lr-0.1']}/model", run_id=runs["lr-0.1"], tags={"v": "1"}, description="first")
v2 = client.create_model_version("clf", f"runs:/{runs['lr-0.01']}/model", run_id=runs["lr-0.01"])
client.transition_model_version_stage("clf", v1.version, "Archived")
client.transition_model_version_stage("clf", v2.version, "Production")
client.set_registered_model_alias("clf", "champion", v2.version)

trash = client.create_experiment("trash-me")
doomed = client.create_run(trash, run_name="doomed")
client.log_param(doomed.info.run_id, "p", "1")
client.set_terminated(doomed.info.run_id)
client.delete_experiment(trash)

deleted = client.create_run(exp, run_name="deleted-run")
client.log_metric(deleted.info.run_id, "acc", 0.99)
client.set_terminated(deleted.info.run_id)
client.delete_run(deleted.info.run_id)

print(json.dumps({"experimentId": exp, "runs": runs, "deletedRunId": deleted.info.run_id, "modelId": lm.model_id}))
