"""Oracle for src/format tests: answers JSON-line requests through MLflow's own code.

Served by the one oracle process (test/oracle/oracle_server.py, op "module", module "format"):
`handle(request)` answers one request. Also runnable alone, as described below.

Run with the MLflow 3 virtualenv (.oracle/mlflow-3/bin/python). One JSON object per line on
stdin, one JSON answer per line on stdout: {"ok": result} or {"error": {type, code, message}}.

Floats travel as {"$float": "<repr>"} (so nan/inf/-0.0 survive JSON), ints beyond 2**53 as
{"$int": "<decimal>"}, Python dates as {"$date": "<iso>"}, bytes as {"$bytes": "<base64>"}.
Entities in validator arguments: {"$param": [k, v]}, {"$tag": [k, v]},
{"$metric": [k, v, ts, step]}, {"$dataset": {...}}, {"$input_tag": [k, v]}.
"""

import base64
import datetime
import hashlib
import json
import math
import os
import sys
import tempfile

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
# Keep MLflow's own logging off stdout.
os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")

import yaml  # noqa: E402

from mlflow.entities import Dataset, InputTag, Metric, Param, RunTag  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.store.model_registry import file_store as registry_file_store  # noqa: E402
from mlflow.store.tracking.file_store import FileStore  # noqa: E402
from mlflow.utils import name_utils, validation, yaml_utils  # noqa: E402
from mlflow.utils.file_utils import read_file_lines  # noqa: E402

SAFE = 2**53


def decode(v):
    if isinstance(v, dict):
        if "$float" in v:
            return float(v["$float"])
        if "$int" in v:
            return int(v["$int"])
        if "$param" in v:
            return Param(*[decode(x) for x in v["$param"]])
        if "$tag" in v:
            return RunTag(*[decode(x) for x in v["$tag"]])
        if "$metric" in v:
            return Metric(*[decode(x) for x in v["$metric"]])
        if "$dataset" in v:
            return Dataset(**{k: decode(x) for k, x in v["$dataset"].items()})
        if "$input_tag" in v:
            return InputTag(*[decode(x) for x in v["$input_tag"]])
        return {k: decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decode(x) for x in v]
    return v


def encode(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if -SAFE <= v <= SAFE else {"$int": str(v)}
    if isinstance(v, float):
        return {"$float": repr(v)}
    if isinstance(v, (datetime.date, datetime.datetime)):
        return {"$date": v.isoformat()}
    if isinstance(v, bytes):
        return {"$bytes": base64.b64encode(v).decode()}
    if isinstance(v, dict):
        return {str(k): encode(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, (Param, RunTag)):
        return {"key": v.key, "value": v.value}
    if isinstance(v, Metric):
        return metric_dict(v)
    return repr(v)


def metric_dict(m):
    return {
        "key": m.key,
        "value": encode(m.value),
        "timestamp": encode(m.timestamp),
        "step": encode(m.step),
        "datasetName": m.dataset_name,
        "datasetDigest": m.dataset_digest,
        "modelId": m.model_id,
        "runId": m.run_id,
    }


def error_of(e):
    code = getattr(e, "error_code", None)
    message = e.message if isinstance(e, MlflowException) else str(e)
    return {"type": type(e).__name__, "code": code, "message": message}


TMP = tempfile.mkdtemp(prefix="pyformat-")
_counter = [0]
_store = {}


def fresh_dir():
    _counter[0] += 1
    d = os.path.join(TMP, str(_counter[0]))
    os.makedirs(d)
    return d


def tracking_store():
    if "store" not in _store:
        store = FileStore(os.path.join(TMP, "mlruns"))
        exp_id = store.create_experiment("pyformat")
        run = store.create_run(exp_id, "user", 0, [], "run")
        _store["store"] = store
        _store["run"] = run
    return _store["store"], _store["run"]


def op_dump_yaml(req):
    d = fresh_dir()
    yaml_utils.write_yaml(d, "meta.yaml", decode(req["data"]))
    with open(os.path.join(d, "meta.yaml"), "rb") as f:
        return f.read().decode("utf-8")


def op_yaml_classes(req):
    """Which PyYAML classes MLflow's yaml_utils really uses (C libyaml ones when available)."""
    return {
        "dumper": yaml_utils.YamlSafeDumper.__name__,
        "loader": yaml_utils.YamlSafeLoader.__name__,
        "libyaml": yaml.__with_libyaml__,
        "pyyaml": yaml.__version__,
    }


def op_load_yaml(req):
    return encode(yaml.load(req["text"], Loader=yaml_utils.YamlSafeLoader))


def op_float_repr(req):
    return repr(float(decode(req["x"])))


def op_float_parse(req):
    return encode(float(req["s"]))


def op_int_parse(req):
    return str(int(req["s"]))


def op_py_str(req):
    return str(decode(req["value"]))


def op_py_repr(req):
    return repr(req["s"])


def op_json_dumps(req):
    return json.dumps(decode(req["value"]), sort_keys=True, separators=(",", ":"))


def op_unassigned(req):
    """Whether the string holds a character unassigned (Cn) in this Python's Unicode database."""
    import unicodedata

    return any(unicodedata.category(c) == "Cn" for c in req["s"])


def op_strip(req):
    return req["s"].strip()


def op_validate(req):
    fn = req["fn"]
    if fn.startswith("registry."):
        func = getattr(registry_file_store, fn[len("registry."):])
    else:
        func = getattr(validation, fn)
    env = req.get("env") or {}
    saved = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        return encode(func(*decode(req.get("args", []))))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def write_metric_file(req):
    d = fresh_dir()
    path = os.path.join(d, req["key"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(req["text"].encode("utf-8", "surrogatepass"))
    return d


def op_read_metric_file(req):
    """What FileStore returns for one metric file: 'latest' (get_run's value),
    'history' (get_metric_history's lines), 'model' (logged-model metrics)."""
    # Every reader validates the name first; doing it before writing keeps bad names (../x)
    # from escaping the temp dir.
    validation._validate_metric_name(req["key"])
    d = write_metric_file(req)
    key = req["key"]
    mode = req.get("mode", "latest")
    if mode == "latest":
        return metric_dict(
            FileStore._get_metric_from_file(d, key, req.get("run_id", "r1"), req.get("exp_id", "0"))
        )
    if mode == "history":
        return [
            metric_dict(
                FileStore._get_metric_from_line(
                    req.get("run_id", "r1"), key, line, req.get("exp_id", "0")
                )
            )
            for line in read_file_lines(d, key)
        ]
    if mode == "model_history":
        return [
            metric_dict(FileStore._get_model_metric_from_line(req.get("model_id", "m-1"), key, line))
            for line in read_file_lines(d, key)
        ]
    if mode == "model":
        return [
            metric_dict(m)
            for m in FileStore._get_model_metrics_from_file(req.get("model_id", "m-1"), d, key)
        ]
    raise ValueError(f"unknown mode {mode}")


def op_log_metric(req):
    """Logs through FileStore.log_metric and returns the line(s) appended to the files."""
    store, run = tracking_store()
    _counter[0] += 1
    key = f"k{_counter[0]}"
    model_id = req.get("model_id")
    m = Metric(
        key,
        decode(req["value"]),
        decode(req["timestamp"]),
        decode(req["step"]),
        model_id=model_id,
        dataset_name=req.get("dataset_name"),
        dataset_digest=req.get("dataset_digest"),
    )
    store.log_metric(run.info.run_id, m)
    exp_id = run.info.experiment_id
    with open(store._get_metric_path(exp_id, run.info.run_id, key), "rb") as f:
        run_line = f.read().decode("utf-8")
    model_line = None
    if model_id is not None:
        with open(store._get_model_metric_path(exp_id, model_id, key), "rb") as f:
            model_line = f.read().decode("utf-8")
    return {"run": run_line, "model": model_line, "run_id": run.info.run_id}


def op_mlflow_metas(req):
    """Creates realistic entities through MLflow's own FileStores and returns every YAML file
    they wrote ({relative path: text}), for read-back/re-dump checks."""
    from mlflow.entities import DatasetInput, ExperimentTag, InputTag, LoggedModelParameter
    from mlflow.store.model_registry.file_store import FileStore as RegistryFileStore

    root = fresh_dir()
    store = FileStore(os.path.join(root, "mlruns"))
    texts = req.get("texts", [])
    for i, text in enumerate(texts):
        exp_id = store.create_experiment(
            f"exp {i} " + text[:200].replace("'", ""), tags=[ExperimentTag("note", text)]
        )
        run = store.create_run(exp_id, text[:100] or "user", 1717000000123 + i, [], text[:250])
        schema = json.dumps({"mlflow_colspec": [{"type": "double", "name": text[:60], "required": True}]})
        ds = Dataset(
            name="ds" + str(i), digest="d" * 8, source_type="local",
            source=json.dumps({"uri": "/tmp/" + text[:40]}), schema=schema, profile=json.dumps({"rows": i}),
        )
        store.log_inputs(run.info.run_id, [DatasetInput(ds, [InputTag("mlflow.data.context", "train")])])
        store.create_logged_model(exp_id, name=f"model{i}", source_run_id=run.info.run_id,
                                  params=[LoggedModelParameter("p", text[:50] or "v")], model_type=text[:30] or None)
        reg = RegistryFileStore(os.path.join(root, "registry"))
        name = f"reg{i}"
        reg.create_registered_model(name, description=text)
        reg.create_model_version(name, "s3://bucket/" + str(i), run.info.run_id, description=text[::-1])
    out = {}
    for dirpath, _, files in os.walk(root):
        for fname in files:
            if fname.endswith(".yaml"):
                full = os.path.join(dirpath, fname)
                with open(full, "rb") as f:
                    out[os.path.relpath(full, root)] = f.read().decode("utf-8")
    return out


def op_latest(req):
    ms = [Metric("k", decode(p["value"]), p["timestamp"], p["step"]) for p in req["points"]]
    best = max(ms, key=lambda m: (m.step, m.timestamp, m.value))
    return ms.index(best)


def op_names(req):
    return {
        "predicates": name_utils._GENERATOR_PREDICATES,
        "nouns": name_utils._GENERATOR_NOUNS,
        "run_names": [name_utils._generate_random_name() for _ in range(req.get("n", 10))],
        "experiment_ids": [str(name_utils._generate_unique_integer_id()) for _ in range(req.get("n", 10))],
    }


def op_md5(req):
    return hashlib.md5(req["s"].encode("utf-8")).hexdigest()


def op_path_not_unique(req):
    return validation.path_not_unique(req["name"])


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}


def handle(req):
    if req.get("op") == "batch":
        return {"ok": [handle(r) for r in req["requests"]]}
    try:
        return {"ok": OPS[req["op"]](req)}
    except Exception as e:  # noqa: BLE001 - every error is an answer
        return {"error": error_of(e)}


def main():
    real_stdout = sys.stdout
    # Anything MLflow prints goes to stderr, never into the protocol.
    sys.stdout = sys.stderr
    real_stdout.write(json.dumps({"ready": True}) + "\n")
    real_stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        res = handle(req)
        real_stdout.write(json.dumps(res, allow_nan=False) + "\n")
        real_stdout.flush()


if __name__ == "__main__":
    main()
