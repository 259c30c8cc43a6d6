#!/usr/bin/env python
"""Python MLflow oracle for the mlruns test-suite.

A JSON-lines server: one request per line on stdin, one response per line on stdout.
Runs unchanged under MLflow 1.30, 2.22 and 3.x.

Request:  {"id": <any>, "op": "<op>", ...}
Response: {"id": <same>, "ok": true, "result": <value>}
       or {"id": <same>, "ok": false, "error": {"type", "code", "message", "traceback"?}}

Ops: version, dump, search_runs, search_experiments, search_registered_models,
search_model_versions, exec (see test/oracle/oracle.ts for the shapes), and module: the
companion protocols of the search and format suites (test/search/pysearch.py,
test/format/pyformat.py, MLflow 3.x only) served by this same process, so every suite talks to
Python through one bridge. {"op": "module", "module": "search"|"format", "request": <its request>}
answers {"result": "<its answer, as JSON text>"}, the answer exactly as the module builds it.

Floats that JSON cannot carry (NaN, +-inf) travel as {"$float": "nan" | "inf" | "-inf"} both ways.

Nothing but responses is written to stdout: sys.stdout is redirected to stderr at start-up, so
MLflow's prints, warnings and logging all end up on stderr.

CLI: `python oracle_server.py --dump ROOT` prints the dump of ROOT (pretty JSON) and exits.
"""

import importlib.util
import json
import logging
import math
import os
import sys
import traceback
import warnings

# Responses go to a private copy of fd 1; fd 1 itself (and sys.stdout) now point at stderr, so
# anything MLflow or a subprocess prints cannot corrupt the protocol.
sys.stdout.flush()
_OUT = open(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
warnings.simplefilter("default")

import mlflow  # noqa: E402
from mlflow.entities import ViewType  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

MLFLOW_VERSION = mlflow.__version__
MAJOR = int(MLFLOW_VERSION.split(".")[0])
HAS_REGISTRY = MAJOR >= 2  # 1.x has no file-based model registry
HAS_LOGGED_MODELS = MAJOR >= 3

PAGE = 1000  # page size used when listing everything

# --------------------------------------------------------------------------------------------
# JSON encoding of values
# --------------------------------------------------------------------------------------------


def enc_float(x):
    if math.isnan(x):
        return {"$float": "nan"}
    if math.isinf(x):
        return {"$float": "inf" if x > 0 else "-inf"}
    return x


def dec(value):
    """Decode {"$float": ...} markers in request data."""
    if isinstance(value, dict):
        if len(value) == 1 and "$float" in value:
            return float(value["$float"])
        return {k: dec(v) for k, v in value.items()}
    if isinstance(value, list):
        return [dec(v) for v in value]
    return value


def camel(name):
    parts = name.lstrip("_").split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def error_obj(e, with_traceback=False):
    code = getattr(e, "error_code", None)
    out = {"type": type(e).__name__, "code": code if isinstance(code, str) else None, "message": str(e)}
    if with_traceback:
        out["traceback"] = traceback.format_exc()
    return out


def attempt(fn, *args, **kwargs):
    """Run fn; return its value, or {"error": ...} when it raises."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        return {"error": error_obj(e)}


def is_error(x):
    return isinstance(x, dict) and "error" in x


# --------------------------------------------------------------------------------------------
# Entities -> camelCase dicts (shapes of src/entities.ts)
# --------------------------------------------------------------------------------------------


def _enum_str(v):
    if v is None:
        return None
    value = getattr(v, "value", v)  # Enum
    return value if isinstance(value, (str, int)) else str(v)


def ser_experiment(e):
    return {
        "experimentId": e.experiment_id,
        "name": e.name,
        "artifactLocation": e.artifact_location,
        "lifecycleStage": e.lifecycle_stage,
        "tags": dict(e.tags or {}),
        "creationTime": getattr(e, "creation_time", None),
        "lastUpdateTime": getattr(e, "last_update_time", None),
    }


def ser_run_info(i):
    from mlflow.entities import RunStatus

    status = i.status
    if isinstance(status, int):
        status = RunStatus.to_string(status)
    run_id = getattr(i, "run_id", None) or getattr(i, "run_uuid", None)
    return {
        "runId": run_id,
        "runUuid": getattr(i, "run_uuid", run_id),
        "experimentId": i.experiment_id,
        "runName": getattr(i, "run_name", None),
        "userId": i.user_id,
        "status": status,
        "startTime": i.start_time,
        "endTime": i.end_time,
        "artifactUri": i.artifact_uri,
        "lifecycleStage": i.lifecycle_stage,
    }


def ser_metric(m):
    out = {"key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step}
    for attr in ("dataset_name", "dataset_digest", "model_id", "run_id"):
        if hasattr(m, attr):
            out[camel(attr)] = getattr(m, attr)
    return out


def ser_dataset(d):
    return {
        "name": d.name,
        "digest": d.digest,
        "sourceType": d.source_type,
        "source": d.source,
        "schema": d.schema,
        "profile": d.profile,
    }


def _by_key(x):
    return x["key"]


# NOTE: lists whose order in Python comes from directory listing order (os.listdir: file-system
# dependent) are sorted here so that a dump is reproducible: dataset inputs (by name, digest),
# input tags (by key), model inputs/outputs (by id), logged-model metrics (by key, file order
# kept within a key), registered-model latest versions (by version), version aliases (by name).


def ser_run(r):
    inputs = getattr(r, "inputs", None)
    outputs = getattr(r, "outputs", None)
    return {
        "info": ser_run_info(r.info),
        "data": {
            "metrics": dict(r.data.metrics),
            "params": dict(r.data.params),
            "tags": dict(r.data.tags),
        },
        "inputs": {
            "datasetInputs": sorted(
                (
                    {
                        "dataset": ser_dataset(di.dataset),
                        "tags": sorted(({"key": t.key, "value": t.value} for t in (di.tags or [])), key=_by_key),
                    }
                    for di in (getattr(inputs, "dataset_inputs", None) or [])
                ),
                key=lambda d: (d["dataset"]["name"], d["dataset"]["digest"]),
            ),
            "modelInputs": sorted(
                ({"modelId": mi.model_id} for mi in (getattr(inputs, "model_inputs", None) or [])),
                key=lambda m: m["modelId"],
            ),
        },
        "outputs": {
            "modelOutputs": sorted(
                ({"modelId": mo.model_id, "step": mo.step} for mo in (getattr(outputs, "model_outputs", None) or [])),
                key=lambda m: (m["modelId"], m["step"]),
            )
        },
    }


def _kv(obj):
    """A dict, or a list of tag/param entities, as a plain dict."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return {k: (v.value if hasattr(v, "value") and hasattr(v, "key") else v) for k, v in obj.items()}
    return {x.key: x.value for x in obj}


def ser_logged_model(m):
    status = m.status
    return {
        "modelId": m.model_id,
        "experimentId": m.experiment_id,
        "name": m.name,
        "artifactLocation": m.artifact_location,
        "creationTimestamp": m.creation_timestamp,
        "lastUpdatedTimestamp": m.last_updated_timestamp,
        "modelType": m.model_type,
        "sourceRunId": m.source_run_id,
        "status": _logged_model_status(status),
        "statusMessage": m.status_message,
        "tags": _kv(m.tags),
        "params": _kv(m.params),
        "metrics": sorted((ser_metric(x) for x in (m.metrics or [])), key=_by_key),
        "modelUri": m.model_uri,
    }


def _logged_model_status(status):
    s = _enum_str(status)
    if isinstance(s, int):
        from mlflow.entities import LoggedModelStatus

        s = LoggedModelStatus.from_int(s).value
    return "LOGGED_MODEL_STATUS_UNSPECIFIED" if s == "UNSPECIFIED" else s


def ser_model_version(v):
    out = {
        "name": v.name,
        "version": str(v.version),
        "creationTimestamp": v.creation_timestamp,
        "lastUpdatedTimestamp": v.last_updated_timestamp,
        "description": v.description,
        "userId": v.user_id,
        "currentStage": v.current_stage,
        "source": v.source,
        "runId": v.run_id,
        "runLink": v.run_link,
        "status": _enum_str(v.status),
        "statusMessage": v.status_message,
        "tags": _kv(v.tags),
        "aliases": sorted(getattr(v, "aliases", None) or []),
        "modelId": getattr(v, "model_id", None),
    }
    if hasattr(v, "storage_location"):
        out["storageLocation"] = v.storage_location
    return out


def ser_registered_model(m):
    aliases = getattr(m, "aliases", None) or {}
    if not isinstance(aliases, dict):  # list of RegisteredModelAlias
        aliases = {a.alias: str(a.version) for a in aliases}
    return {
        "name": m.name,
        "creationTimestamp": m.creation_timestamp,
        "lastUpdatedTimestamp": m.last_updated_timestamp,
        "description": m.description,
        "latestVersions": [
            ser_model_version(v) for v in sorted(m.latest_versions or [], key=lambda v: int(v.version))
        ],
        "tags": _kv(m.tags),
        "aliases": {k: str(v) for k, v in aliases.items()},
    }


def _class_names(obj):
    return {c.__name__ for c in type(obj).__mro__}


def ser(value, depth=0):
    """Serialize anything exec may return: entities, lists, dicts, primitives."""
    if depth > 50:
        return repr(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return enc_float(value)
    if isinstance(value, dict):
        return {str(k): ser(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [ser(v, depth + 1) for v in value]
    names = _class_names(value)
    if "PagedList" in names:
        return {"items": [ser(v, depth + 1) for v in value], "token": _token(value.token)}
    if "Run" in names and hasattr(value, "info") and hasattr(value, "data"):
        return ser_run(value)
    if "RunInfo" in names:
        return ser_run_info(value)
    if "Experiment" in names:
        return ser_experiment(value)
    if "Metric" in names:
        return ser_metric(value)
    if "Dataset" in names and hasattr(value, "digest") and hasattr(value, "source_type"):
        return ser_dataset(value)
    if "LoggedModel" in names:
        return ser_logged_model(value)
    if "RegisteredModel" in names:
        return ser_registered_model(value)
    if "ModelVersion" in names:
        return ser_model_version(value)
    if "Enum" in names:
        return _enum_str(value)
    if hasattr(value, "key") and hasattr(value, "value") and len(names) < 8:
        return {"key": value.key, "value": ser(value.value, depth + 1)}
    try:  # any other _MlflowObject: iterate its properties
        return {camel(k): ser(v, depth + 1) for k, v in dict(value).items()}
    except Exception:  # noqa: BLE001
        return repr(value)


def encode_out(value):
    """Final pass: floats inside serialized structures."""
    if isinstance(value, float):
        return enc_float(value)
    if isinstance(value, dict):
        return {k: encode_out(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode_out(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


def make_client(root):
    return MlflowClient(tracking_uri=root, registry_uri=root)


def view_type(name):
    if name is None:
        return ViewType.ACTIVE_ONLY
    if isinstance(name, int):
        return name
    return {"ACTIVE_ONLY": ViewType.ACTIVE_ONLY, "DELETED_ONLY": ViewType.DELETED_ONLY, "ALL": ViewType.ALL}[
        str(name).upper()
    ]


def all_pages(fn, **kwargs):
    """Call a paged listing until its token runs out."""
    out = []
    token = None
    for _ in range(100000):
        page = fn(page_token=token, **kwargs) if token else fn(**kwargs)
        out.extend(page)
        token = getattr(page, "token", None)
        if not token:
            break
    return out


def list_all_experiments(client):
    if hasattr(client, "search_experiments"):
        return all_pages(client.search_experiments, view_type=ViewType.ALL, max_results=PAGE)
    return client.list_experiments(view_type=ViewType.ALL)


def _experiment_ids_on_disk(root):
    """Fallback when the experiment listing raises: the ids of experiment folders."""
    ids = []
    for base in (root, os.path.join(root, ".trash")):
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            if name in (".trash", "models") or not os.path.isdir(os.path.join(base, name)):
                continue
            ids.append(name)
    return ids


def _run_ids_on_disk(root, experiment_id):
    reserved = {"tags", "datasets", "traces", "models"}
    for base in (root, os.path.join(root, ".trash")):
        d = os.path.join(base, experiment_id)
        if os.path.isdir(d):
            return [n for n in sorted(os.listdir(d)) if n not in reserved and os.path.isdir(os.path.join(d, n))]
    return []


def dump(root):
    client = make_client(root)
    out = {"version": MLFLOW_VERSION}

    # experiments
    try:
        exps = list_all_experiments(client)
        out["experiments"] = [ser_experiment(e) for e in exps]
        exp_ids = [e.experiment_id for e in exps]
    except Exception as e:  # noqa: BLE001
        items = []
        exp_ids = _experiment_ids_on_disk(root)
        for eid in exp_ids:
            r = attempt(client.get_experiment, eid)
            items.append({"experimentId": eid, **r} if is_error(r) else ser_experiment(r))
        out["experiments"] = {"error": error_obj(e), "items": items}

    # runs + metric history
    runs_out = {}
    history = {}
    for eid in exp_ids:
        try:
            runs = all_pages(
                client.search_runs, experiment_ids=[eid], filter_string="", run_view_type=ViewType.ALL, max_results=PAGE
            )
            runs_out[eid] = [ser_run(r) for r in runs]
        except Exception as e:  # noqa: BLE001
            items = []
            runs = []
            for rid in _run_ids_on_disk(root, eid):
                r = attempt(client.get_run, rid)
                if is_error(r):
                    items.append({"runId": rid, **r})
                else:
                    runs.append(r)
                    items.append(ser_run(r))
            runs_out[eid] = {"error": error_obj(e), "items": items}
        for r in runs:
            rid = r.info.run_id
            history[rid] = {
                key: (lambda h: h if is_error(h) else [ser_metric(m) for m in h])(
                    attempt(client.get_metric_history, rid, key)
                )
                for key in sorted(r.data.metrics.keys())
            }
    out["runs"] = runs_out
    out["metricHistory"] = history

    # logged models (3.x)
    if HAS_LOGGED_MODELS:
        lm = {}
        for eid in exp_ids:
            try:
                models = all_pages(client.search_logged_models, experiment_ids=[eid], max_results=100)
                lm[eid] = [ser_logged_model(m) for m in models]
            except Exception as e:  # noqa: BLE001
                lm[eid] = {"error": error_obj(e)}
        out["loggedModels"] = lm

    # registry (2.x/3.x)
    if HAS_REGISTRY:
        try:
            rms = all_pages(client.search_registered_models, max_results=PAGE)
            regs = []
            for m in rms:
                entry = ser_registered_model(m)
                try:
                    escaped = m.name.replace("\\", "\\\\").replace("'", "\\'")
                    versions = all_pages(client.search_model_versions, filter_string=f"name='{escaped}'")
                    versions = sorted(versions, key=lambda v: int(v.version))
                    entry["versions"] = [ser_model_version(v) for v in versions]
                except Exception as e:  # noqa: BLE001
                    entry["versions"] = {"error": error_obj(e)}
                regs.append(entry)
            out["registeredModels"] = regs
        except Exception as e:  # noqa: BLE001
            out["registeredModels"] = {"error": error_obj(e)}
    return out


# --------------------------------------------------------------------------------------------
# Ops
# --------------------------------------------------------------------------------------------


def _token(t):
    """File-store page tokens are base64 bytes; JSON carries them as text (MLflow accepts both)."""
    return t.decode("ascii") if isinstance(t, bytes) else t


def _paged_kwargs(req, default_max):
    kw = {}
    if req.get("max_results") is not None:
        kw["max_results"] = req["max_results"]
    elif default_max is not None:
        kw["max_results"] = default_max
    if req.get("order_by") is not None:
        kw["order_by"] = req["order_by"]
    if req.get("page_token") is not None:
        kw["page_token"] = req["page_token"]
    return kw


def op_search_runs(req):
    client = make_client(req["root"])
    kw = _paged_kwargs(req, None)
    res = client.search_runs(
        experiment_ids=req.get("experiment_ids") or [],
        filter_string=req.get("filter") or "",
        run_view_type=view_type(req.get("run_view_type")),
        **kw,
    )
    return {"runIds": [r.info.run_id for r in res], "token": _token(res.token), "items": [ser_run(r) for r in res]}


def op_search_experiments(req):
    client = make_client(req["root"])
    kw = _paged_kwargs(req, None)
    if req.get("filter"):
        kw["filter_string"] = req["filter"]
    res = client.search_experiments(view_type=view_type(req.get("view_type")), **kw)
    return {
        "experimentIds": [e.experiment_id for e in res],
        "token": _token(res.token),
        "items": [ser_experiment(e) for e in res],
    }


def op_search_registered_models(req):
    client = make_client(req["root"])
    kw = _paged_kwargs(req, None)
    if req.get("filter"):
        kw["filter_string"] = req["filter"]
    res = client.search_registered_models(**kw)
    return {"names": [m.name for m in res], "token": _token(res.token), "items": [ser_registered_model(m) for m in res]}


def op_search_model_versions(req):
    client = make_client(req["root"])
    kw = _paged_kwargs(req, None) if MAJOR >= 2 else {}
    res = client.search_model_versions(filter_string=req.get("filter") or "", **kw)
    return {
        "versions": [{"name": v.name, "version": str(v.version)} for v in res],
        "token": _token(getattr(res, "token", None)),
        "items": [ser_model_version(v) for v in res],
    }


def op_exec(req):
    root = req["root"]
    mlflow.set_tracking_uri(root)
    if hasattr(mlflow, "set_registry_uri"):
        mlflow.set_registry_uri(root)
    client = make_client(root)
    scope = {
        "__name__": "__oracle_exec__",
        "client": client,
        "mlflow": mlflow,
        "root": root,
        "vars": dec(req.get("vars") or {}),
        "MlflowClient": MlflowClient,
        "MlflowException": MlflowException,
        "ViewType": ViewType,
        "result": None,
    }
    exec(compile(req["code"], "<oracle exec>", "exec"), scope)  # noqa: S102
    return ser(scope.get("result"))


HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = {
    "search": os.path.join(HERE, "..", "search", "pysearch.py"),
    "format": os.path.join(HERE, "..", "format", "pyformat.py"),
}
_modules = {}


def op_module(req):
    name = req["module"]
    if name not in MODULES:
        raise ValueError(f"unknown module {name!r} (known: {', '.join(sorted(MODULES))})")
    mod = _modules.get(name)
    if mod is None:
        spec = importlib.util.spec_from_file_location(f"oracle_module_{name}", MODULES[name])
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _modules[name] = mod
    # The module's answer is sent as JSON text, untouched by this server's own float encoding.
    return json.dumps(mod.handle(req["request"]), allow_nan=False)


OPS = {
    "version": lambda req: MLFLOW_VERSION,
    "module": op_module,
    "dump": lambda req: dump(req["root"]),
    "search_runs": op_search_runs,
    "search_experiments": op_search_experiments,
    "search_registered_models": op_search_registered_models,
    "search_model_versions": op_search_model_versions,
    "exec": op_exec,
}


def handle(line):
    req_id = None
    try:
        req = json.loads(line)
        req_id = req.get("id")
        op = OPS.get(req.get("op"))
        if op is None:
            raise ValueError(f"unknown op {req.get('op')!r}")
        result = op(req)
        return {"id": req_id, "ok": True, "result": encode_out(result)}
    except Exception as e:  # noqa: BLE001
        return {"id": req_id, "ok": False, "error": error_obj(e, with_traceback=True)}


def write(obj):
    # ASCII escapes: a string holding a lone surrogate (a filter such as "like \ude00'" echoed in
    # MLflow's error message) cannot be encoded as UTF-8, but "\ude00" is valid JSON for Node.
    _OUT.write(json.dumps(obj, ensure_ascii=True, allow_nan=False) + "\n")
    _OUT.flush()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--dump":
        result = encode_out(dump(os.path.abspath(sys.argv[2])))
        _OUT.write(json.dumps(result, ensure_ascii=False, allow_nan=False, indent=2, sort_keys=True) + "\n")
        _OUT.flush()
        return
    stdin = open(sys.stdin.fileno(), "r", encoding="utf-8", closefd=False)
    write({"id": None, "ok": True, "result": {"ready": True, "version": MLFLOW_VERSION}})
    for line in stdin:
        if not line.strip():
            continue
        resp = handle(line)
        try:
            write(resp)
        except Exception as e:  # noqa: BLE001  (e.g. a result json cannot encode)
            write({"id": resp.get("id"), "ok": False, "error": error_obj(e, with_traceback=True)})


if __name__ == "__main__":
    main()
