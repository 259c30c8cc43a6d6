"""Runs the fixed operation list of test/sqlite/scenario30.test.ts with MLflow's SqlAlchemyStore
(tracking and registry) on a fresh database, with time and ids pinned: before operation i the
clock reads OPS[i].at (ms) and uuid4 yields (i << 16 | k) for its k-th call in that operation.
argv: database path, artifact root, JSON file of the operations."""
import json
import sys
import time
import uuid

NOW = [0]
SEQ = [0, 0]


def fake_time():
    return NOW[0] / 1000.0


def fake_uuid4():
    op, k = SEQ
    SEQ[1] = k + 1
    return uuid.UUID(int=(op << 16) | k)


time.time = fake_time
uuid.uuid4 = fake_uuid4

from mlflow.entities import (  # noqa: E402
    Dataset, DatasetInput, InputTag, LoggedModelParameter, LoggedModelStatus, LoggedModelTag, Metric, Param,
    RunTag, ExperimentTag, RunStatus)
from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag  # noqa: E402
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore  # noqa: E402
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # noqa: E402

db, artifacts, ops_file = sys.argv[1], sys.argv[2], sys.argv[3]
ops = json.load(open(ops_file))
uri = "sqlite:///" + db
NOW[0] = ops[0]["at"] - 1
SEQ[0] = 0xFFFF
store = SqlAlchemyStore(uri, artifacts)
registry = RegistryStore(uri)
saved = {}


def arg(v):
    if isinstance(v, str) and v.startswith("$"):
        return saved[v[1:]]
    if isinstance(v, str) and v in ("NaN", "Infinity", "-Infinity"):
        return float(v.replace("Infinity", "inf"))
    if isinstance(v, list):
        return [arg(x) for x in v]
    if isinstance(v, dict):
        return {k: arg(x) for k, x in v.items()}
    return v


def metric(m):
    return Metric(m["key"], arg(m["value"]), m["timestamp"], m["step"], model_id=arg(m.get("modelId")))


for i, op in enumerate(ops):
    NOW[0] = op["at"]
    SEQ[0], SEQ[1] = i, 0
    a = arg(op["args"])
    name = op["op"]
    out = None
    if name == "create_experiment":
        out = store.create_experiment(a["name"], None, [ExperimentTag(k, v) for k, v in a.get("tags", {}).items()])
    elif name == "set_experiment_tag":
        store.set_experiment_tag(a["experimentId"], ExperimentTag(a["key"], a["value"]))
    elif name == "rename_experiment":
        store.rename_experiment(a["experimentId"], a["name"])
    elif name == "delete_experiment":
        store.delete_experiment(a["experimentId"])
    elif name == "restore_experiment":
        store.restore_experiment(a["experimentId"])
    elif name == "create_run":
        out = store.create_run(a["experimentId"], a["userId"], a["startTime"], [RunTag(k, v) for k, v in a.get("tags", {}).items()], a["runName"]).info.run_id
    elif name == "log_param":
        store.log_param(a["runId"], Param(a["key"], a["value"]))
    elif name == "log_metric":
        store.log_metric(a["runId"], metric(a))
    elif name == "set_tag":
        store.set_tag(a["runId"], RunTag(a["key"], a["value"]))
    elif name == "delete_tag":
        store.delete_tag(a["runId"], a["key"])
    elif name == "log_batch":
        store.log_batch(a["runId"], [metric(m) for m in a["metrics"]], [Param(k, v) for k, v in a["params"].items()], [RunTag(k, v) for k, v in a["tags"].items()])
    elif name == "update_run_info":
        store.update_run_info(a["runId"], RunStatus.from_string(a["status"]), a["endTime"], a.get("runName"))
    elif name == "delete_run":
        store.delete_run(a["runId"])
    elif name == "restore_run":
        store.restore_run(a["runId"])
    elif name == "log_inputs":
        d = a["dataset"]
        ds = Dataset(d["name"], d["digest"], d["sourceType"], d["source"], d.get("schema"), d.get("profile"))
        store.log_inputs(a["runId"], [DatasetInput(ds, [InputTag(k, v) for k, v in a["tags"].items()])])
    elif name == "create_logged_model":
        out = store.create_logged_model(a["experimentId"], a["name"], a["sourceRunId"], [LoggedModelTag(k, v) for k, v in a["tags"].items()], [LoggedModelParameter(k, v) for k, v in a["params"].items()]).model_id
    elif name == "finalize_logged_model":
        store.finalize_logged_model(a["modelId"], LoggedModelStatus(a["status"]))
    elif name == "create_registered_model":
        registry.create_registered_model(a["name"], [RegisteredModelTag(k, v) for k, v in a["tags"].items()], a.get("description"))
    elif name == "create_model_version":
        out = registry.create_model_version(a["name"], a["source"], a.get("runId"), [ModelVersionTag(k, v) for k, v in a["tags"].items()]).version
    elif name == "transition_model_version_stage":
        registry.transition_model_version_stage(a["name"], a["version"], a["stage"], a["archive"])
    elif name == "set_registered_model_alias":
        registry.set_registered_model_alias(a["name"], a["alias"], a["version"])
    elif name == "set_model_version_tag":
        registry.set_model_version_tag(a["name"], a["version"], ModelVersionTag(a["key"], a["value"]))
    elif name == "rename_registered_model":
        registry.rename_registered_model(a["name"], a["newName"])
    elif name == "delete_model_version":
        registry.delete_model_version(a["name"], a["version"])
    else:
        raise SystemExit(f"unknown op {name}")
    if op.get("save"):
        saved[op["save"]] = out
print(json.dumps(saved))
