"""A long-lived Python MLflow child for the UI tests: each stdin line is a JSON command, run with
MlflowClient on the root given as argv[1]; prints one JSON line per command."""
import json
import sys

from mlflow import MlflowClient

client = MlflowClient(tracking_uri="file://" + sys.argv[1])
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    try:
        if op == "log_metric":
            client.log_metric(cmd["run_id"], cmd["key"], cmd["value"], step=cmd.get("step"), timestamp=cmd.get("timestamp"))
            out = {"ok": True}
        elif op == "get_run":
            r = client.get_run(cmd["run_id"])
            out = {"name": r.info.run_name, "lifecycle": r.info.lifecycle_stage, "tags": dict(r.data.tags)}
        elif op == "get_experiment":
            e = client.get_experiment(cmd["experiment_id"])
            out = {"name": e.name, "lifecycle": e.lifecycle_stage, "tags": dict(e.tags)}
        elif op == "get_model":
            m = client.get_registered_model(cmd["name"])
            versions = client.search_model_versions(f"name = '{cmd['name']}'")
            out = {"aliases": dict(m.aliases), "tags": dict(m.tags), "stages": {v.version: v.current_stage for v in versions}}
        elif op == "metric_history":
            h = client.get_metric_history(cmd["run_id"], cmd["key"])
            out = {"points": [[m.step, m.timestamp, m.value if m.value == m.value else "NaN"] for m in h]}
        elif op == "search_order":
            rs = client.search_runs([cmd["experiment_id"]], cmd.get("filter", ""), order_by=cmd.get("order_by"))
            out = {"runs": [{"id": r.info.run_id, "params": dict(r.data.params), "tags": dict(r.data.tags)} for r in rs]}
        elif op == "search_error":
            try:
                client.search_runs([cmd["experiment_id"]], cmd["filter"])
                out = {"message": None}
            except Exception as e:
                out = {"message": getattr(e, "message", str(e))}
        else:
            out = {"error": f"unknown op {op}"}
    except Exception as e:  # reported to the test
        out = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out), flush=True)
