"""Concurrency writer (Python side), same protocol and data shape as conc-writer.mjs.

python conc_writer.py <root> <experiment_id> <shared_run_id> <writer> <ms>
"""
import json
import sys
import time

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

root, exp_id, shared, w, ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
client = MlflowClient(root)
log = {"writer": w, "metrics": [], "params": [], "tags": [], "runs": []}
sys.stdout.write("READY\n")
sys.stdout.flush()
sys.stdin.readline()
end = time.time() + ms / 1000.0
own = None
i = 0
while time.time() < end:
    v = w * 10_000_000 + i
    client.log_metric(shared, "shared", v, step=i, timestamp=1_700_000_000_000 + i)
    log["metrics"].append([shared, "shared", v])
    if i % 5 == 0:
        client.log_param(shared, f"w{w}_p{i}", v)
        log["params"].append([shared, f"w{w}_p{i}", str(v)])
        client.set_tag(shared, f"w{w}_t{i}", v)
        log["tags"].append([shared, f"w{w}_t{i}", str(v)])
    if i % 10 == 0:
        ms_ = [Metric(f"batch_w{w}", v + k * 1_000_000, 1_700_000_000_000 + i, i) for k in range(3)]
        client.log_batch(shared, metrics=ms_, params=[Param(f"w{w}_bp{i}", str(v))], tags=[RunTag("last_batch", str(v))])
        for m in ms_:
            log["metrics"].append([shared, m.key, m.value])
        log["params"].append([shared, f"w{w}_bp{i}", str(v)])
    if i % 50 == 0:
        own = client.create_run(exp_id, run_name=f"w{w}-{i}").info.run_id
        log["runs"].append(own)
    if own:
        client.log_metric(own, "own", v, step=i, timestamp=1_700_000_000_000 + i)
        log["metrics"].append([own, "own", v])
    i += 1
for r in log["runs"]:
    client.set_terminated(r)
sys.stdout.write(json.dumps(log) + "\n")
sys.stdout.flush()
