"""Reference for bench/rest.mjs: what a Python user writes to copy a file store to a tracking
server with MlflowClient.log_batch (1,000 metrics per call), and Python's mlflow.log_metric rate.

  python rest_python.py copy <mlruns folder> <server url> <experiment prefix>
  python rest_python.py log_metric <server url> <calls>
Prints one JSON line.
"""
import json
import sys
import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType


def copy(root, url, prefix):
    src = MlflowClient(tracking_uri="file://" + root)
    dst = MlflowClient(tracking_uri=url)
    t0 = time.perf_counter()
    points = 0
    runs = 0
    for exp in src.search_experiments(view_type=ViewType.ALL):
        eid = dst.create_experiment(prefix + exp.name)
        token = None
        while True:
            page = src.search_runs([exp.experiment_id], run_view_type=ViewType.ALL, max_results=1000, page_token=token)
            for r in page:
                rid = dst.create_run(eid, start_time=r.info.start_time, run_name=r.info.run_name).info.run_id
                params = [Param(k, v) for k, v in r.data.params.items()]
                tags = [RunTag(k, v) for k, v in r.data.tags.items() if k != "mlflow.runName"]
                if params or tags:
                    dst.log_batch(rid, params=params, tags=tags)
                for key in r.data.metrics:
                    hist = src.get_metric_history(r.info.run_id, key)
                    for i in range(0, len(hist), 1000):
                        dst.log_batch(rid, metrics=[Metric(m.key, m.value, m.timestamp, m.step) for m in hist[i : i + 1000]])
                    points += len(hist)
                dst.set_terminated(rid, r.info.status, r.info.end_time)
                runs += 1
            token = page.token
            if not token:
                break
    return {"seconds": time.perf_counter() - t0, "points": points, "runs": runs}


def log_metric(url, calls):
    import mlflow

    mlflow.set_tracking_uri(url)
    mlflow.set_experiment("py-fluent")
    with mlflow.start_run() as run:
        t0 = time.perf_counter()
        for i in range(calls):
            mlflow.log_metric("x", i * 0.5, step=i)
        seconds = time.perf_counter() - t0
    n = len(MlflowClient(url).get_metric_history(run.info.run_id, "x"))
    return {"seconds": seconds, "calls": calls, "onServer": n}


if __name__ == "__main__":
    if sys.argv[1] == "copy":
        print(json.dumps(copy(sys.argv[2], sys.argv[3], sys.argv[4])))
    else:
        print(json.dumps(log_metric(sys.argv[2], int(sys.argv[3]))))
