"""Creates a small file store with Python MLflow, for the CLI tests. Prints a JSON summary."""
import json
import os
import sys

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag

root = os.path.abspath(sys.argv[1])
client = MlflowClient(tracking_uri="file://" + root)
exp = client.create_experiment("sweep", tags={"team": "vision"})
runs = {}
for i, (lr, acc) in enumerate([(0.1, 0.8), (0.01, 0.95), (0.001, 0.9)]):
    r = client.create_run(exp, run_name=f"lr-{lr}", tags={"kind": "sweep"})
    rid = r.info.run_id
    runs[f"lr-{lr}"] = rid
    client.log_param(rid, "lr", lr)
    client.log_param(rid, "model", "cnn" if i < 2 else "mlp")
    for step in range(5):
        client.log_metric(rid, "loss", 1.0 / (step + 1 + i), step=step, timestamp=1700000000000 + step * 1000)
    client.log_metric(rid, "acc", acc, step=4, timestamp=1700000004000)
    client.log_text(rid, f"hello {i}\n", "notes/hello.txt")
    client.log_dict(rid, {"layers": i}, "model/config.json")
    if i == 0:
        ds = Dataset(name="train", digest="abc123", source_type="local", source="/data/train.csv")
        client.log_inputs(rid, [DatasetInput(ds, [InputTag("mlflow.data.context", "training")])])
    client.set_terminated(rid, "FINISHED")

trash = client.create_experiment("trash-me")
doomed = client.create_run(trash, run_name="doomed")
client.set_terminated(doomed.info.run_id)
client.delete_experiment(trash)

deleted = client.create_run(exp, run_name="deleted-run")
client.log_metric(deleted.info.run_id, "acc", 0.99)
client.set_terminated(deleted.info.run_id)
client.delete_run(deleted.info.run_id)

print(json.dumps({
    "experimentId": exp,
    "trashExperimentId": trash,
    "runs": runs,
    "doomedRunId": doomed.info.run_id,
    "deletedRunId": deleted.info.run_id,
}))
