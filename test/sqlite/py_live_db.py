"""A long-lived Python MLflow child for the SQLite live tests: each stdin line is a JSON command,
run with MlflowClient on the sqlite: URI given as argv[1]; prints one JSON line per command."""
import json
import sys

from mlflow import MlflowClient

client = MlflowClient(tracking_uri=sys.argv[1])
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    try:
        if op == "create_experiment":
            out = {"id": client.create_experiment(cmd["name"])}
        elif op == "create_run":
            r = client.create_run(cmd["experiment_id"], run_name=cmd.get("run_name"), start_time=cmd.get("start_time"))
            out = {"id": r.info.run_id, "tags": dict(r.data.tags)}
        elif op == "log_metric":
            client.log_metric(cmd["run_id"], cmd["key"], float(cmd["value"]), step=cmd.get("step"), timestamp=cmd.get("timestamp"))
            out = {"ok": True}
        elif op == "log_param":
            client.log_param(cmd["run_id"], cmd["key"], cmd["value"])
            out = {"ok": True}
        elif op == "set_tag":
            client.set_tag(cmd["run_id"], cmd["key"], cmd["value"])
            out = {"ok": True}
        elif op == "delete_tag":
            client.delete_tag(cmd["run_id"], cmd["key"])
            out = {"ok": True}
        elif op == "set_terminated":
            client.set_terminated(cmd["run_id"], cmd["status"], end_time=cmd.get("end_time"))
            out = {"ok": True}
        elif op == "delete_run":
            client.delete_run(cmd["run_id"])
            out = {"ok": True}
        elif op == "restore_run":
            client.restore_run(cmd["run_id"])
            out = {"ok": True}
        elif op == "rename_experiment":
            client.rename_experiment(cmd["experiment_id"], cmd["name"])
            out = {"ok": True}
        elif op == "delete_experiment":
            client.delete_experiment(cmd["experiment_id"])
            out = {"ok": True}
        else:
            out = {"error": f"unknown op {op}"}
    except Exception as e:  # reported to the test
        out = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out), flush=True)
