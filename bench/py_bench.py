"""Python MLflow side of `npm run bench`: times the same operations on the same folders.

Reads one JSON task list from stdin, prints one JSON result list on stdout. Import time is not
counted: mlflow is imported once before any timing starts.
"""
import json
import os
import sys
import time

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
import warnings

warnings.filterwarnings("ignore")
import logging

logging.disable(logging.WARNING)

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param, ViewType  # noqa: E402


def timed(fn, reps):
    times = []
    out = None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def run_task(task):
    kind = task["kind"]
    client = MlflowClient(tracking_uri=task["root"])
    if kind == "search":
        def go():
            return client.search_runs(
                task["experiment_ids"],
                filter_string=task.get("filter", ""),
                order_by=task.get("order_by"),
                max_results=task.get("max_results", 1000),
                run_view_type=ViewType.ACTIVE_ONLY,
            )
        times, runs = timed(go, task.get("reps", 3))
        return {"times": times, "count": len(runs), "first": [r.info.run_id for r in runs[:5]]}
    if kind == "metric_history":
        times, hist = timed(lambda: client.get_metric_history(task["run_id"], task["key"]), task.get("reps", 3))
        return {"times": times, "count": len(hist)}
    if kind in ("log_metric", "log_param", "set_tag", "log_batch"):
        exp = client.get_experiment_by_name("bench-writes") or None
        exp_id = exp.experiment_id if exp else client.create_experiment("bench-writes")
        run = client.create_run(exp_id)
        rid = run.info.run_id
        n = task["n"]
        t = time.perf_counter()
        if kind == "log_metric":
            for i in range(n):
                client.log_metric(rid, "m", i * 0.5, step=i)
        elif kind == "log_param":
            for i in range(n):
                client.log_param(rid, f"p{i}", i)
        elif kind == "set_tag":
            for i in range(n):
                client.set_tag(rid, f"t{i}", i)
        else:
            ts = int(time.time() * 1000)
            batch = task.get("batch", 1000)
            for start in range(0, n, batch):
                client.log_batch(rid, metrics=[Metric("m", i * 0.5, ts, i) for i in range(start, min(n, start + batch))])
        dt = time.perf_counter() - t
        return {"times": [dt], "count": n}
    raise ValueError(f"unknown task {kind}")


def main():
    tasks = json.load(sys.stdin)
    out = []
    for task in tasks:
        try:
            out.append(run_task(task))
        except Exception as e:  # report, never crash the whole bench
            out.append({"error": f"{type(e).__name__}: {e}"})
    json.dump({"mlflow_version": mlflow.__version__, "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
