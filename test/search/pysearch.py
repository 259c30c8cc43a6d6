"""Oracle for the search differential tests.

Served by the one oracle process (test/oracle/oracle_server.py, op "module", module "search"):
`handle(request)` answers one request. Also runnable alone: one JSON request per line on stdin,
one JSON response per line on stdout.
Request: {"op": "runs"|"experiments"|"models"|"versions"|"offset", "cases": [...]}
Response: {"results": [{"ids": [...], "token": str|None} | {"error": {"code", "message"}}]}

Each case mirrors what MLflow 3.17's FileStore search method does after loading entities from
disk (max_results validation, view type, SearchUtils.filter -> sort -> paginate), on entities
built from the JSON sent. Floats may be encoded as {"$float": "nan"|"inf"|"-inf"}.

Run with the mlflow-3 virtualenv python and MLFLOW_ALLOW_FILE_STORE=true.
"""

import json
import sys
import traceback

from mlflow.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    ExperimentTag,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunTag,
    ViewType,
)
from mlflow.entities.model_registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.prompt.registry_utils import add_prompt_filter_string
from mlflow.store.model_registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
)
from mlflow.store.tracking import SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_THRESHOLD
from mlflow.utils.search_utils import (
    SearchExperimentsUtils,
    SearchModelUtils,
    SearchModelVersionUtils,
    SearchUtils,
)

VIEW = {"ACTIVE_ONLY": ViewType.ACTIVE_ONLY, "DELETED_ONLY": ViewType.DELETED_ONLY, "ALL": ViewType.ALL}


def num(v):
    if isinstance(v, dict) and "$float" in v:
        return float(v["$float"])
    return v


def build_run(r):
    info = r["info"]
    run_info = RunInfo(
        run_id=info["runId"],
        experiment_id=info["experimentId"],
        user_id=info["userId"],
        status=info["status"],
        start_time=info["startTime"],
        end_time=info["endTime"],
        lifecycle_stage=info["lifecycleStage"],
        artifact_uri=info["artifactUri"],
        run_name=info["runName"],
    )
    data = r["data"]
    metrics = [Metric(k, num(v), 0, 0) for k, v in data["metrics"].items()]
    params = [Param(k, v) for k, v in data["params"].items()]
    tags = [RunTag(k, v) for k, v in data["tags"].items()]
    inputs = RunInputs(
        dataset_inputs=[
            DatasetInput(
                dataset=Dataset(
                    name=di["dataset"]["name"],
                    digest=di["dataset"]["digest"],
                    source_type=di["dataset"].get("sourceType", "local"),
                    source=di["dataset"].get("source", "x"),
                ),
                tags=[InputTag(t["key"], t["value"]) for t in di["tags"]],
            )
            for di in r["inputs"]["datasetInputs"]
        ]
    )
    return Run(run_info, RunData(metrics, params, tags), inputs)


def build_experiment(e):
    return Experiment(
        experiment_id=e["experimentId"],
        name=e["name"],
        artifact_location=e.get("artifactLocation", ""),
        lifecycle_stage=e["lifecycleStage"],
        tags=[ExperimentTag(k, v) for k, v in e["tags"].items()],
        creation_time=e["creationTime"],
        last_update_time=e["lastUpdateTime"],
    )


def build_model(m):
    return RegisteredModel(
        name=m["name"],
        creation_timestamp=m["creationTimestamp"],
        last_updated_timestamp=m["lastUpdatedTimestamp"],
        description=m.get("description"),
        tags=[RegisteredModelTag(k, v) for k, v in m["tags"].items()],
    )


def build_version(v):
    return ModelVersion(
        name=v["name"],
        version=int(v["version"]),
        creation_timestamp=v["creationTimestamp"],
        last_updated_timestamp=v["lastUpdatedTimestamp"],
        description=v.get("description"),
        user_id=v.get("userId"),
        current_stage=v["currentStage"],
        source=v["source"],
        run_id=v["runId"],
        tags=[ModelVersionTag(k, x) for k, x in v["tags"].items()],
    )


def token_str(t):
    if t is None:
        return None
    return t.decode("ascii") if isinstance(t, bytes) else t


def search_runs(c):
    # FileStore._search_runs
    max_results = c.get("maxResults", SEARCH_MAX_RESULTS_DEFAULT)
    if max_results > SEARCH_MAX_RESULTS_THRESHOLD:
        raise MlflowException(
            "Invalid value for request parameter max_results. It must be at "
            f"most {SEARCH_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
            INVALID_PARAMETER_VALUE,
        )
    view = VIEW[c.get("viewType") or "ACTIVE_ONLY"]
    runs = [build_run(r) for r in c["entities"]]
    runs = [r for r in runs if LifecycleStage.matches_view_type(view, r.info.lifecycle_stage)]
    filtered = SearchUtils.filter(runs, c.get("filter"))
    sorted_runs = SearchUtils.sort(filtered, c.get("orderBy"))
    page, token = SearchUtils.paginate(sorted_runs, c.get("pageToken"), max_results)
    return {"ids": [r.info.run_id for r in page], "token": token_str(token)}


def search_experiments(c):
    # FileStore.search_experiments
    max_results = c.get("maxResults", SEARCH_MAX_RESULTS_DEFAULT)
    if not isinstance(max_results, int) or max_results < 1:
        raise MlflowException(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be "
            f"a positive integer",
            INVALID_PARAMETER_VALUE,
        )
    if max_results > SEARCH_MAX_RESULTS_THRESHOLD:
        raise MlflowException(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at "
            f"most {SEARCH_MAX_RESULTS_THRESHOLD}",
            INVALID_PARAMETER_VALUE,
        )
    view = VIEW[c.get("viewType") or "ALL"]
    exps = [build_experiment(e) for e in c["entities"]]
    exps = [e for e in exps if LifecycleStage.matches_view_type(view, e.lifecycle_stage)]
    filtered = SearchExperimentsUtils.filter(exps, c.get("filter"))
    sorted_exps = SearchExperimentsUtils.sort(
        filtered, c.get("orderBy") or ["creation_time DESC", "experiment_id ASC"]
    )
    page, token = SearchUtils.paginate(sorted_exps, c.get("pageToken"), max_results)
    return {"ids": [e.experiment_id for e in page], "token": token_str(token)}


def _registry_page(sorted_items, c, max_results):
    start_offset = SearchUtils.parse_start_offset_from_page_token(c.get("pageToken"))
    final_offset = start_offset + max_results
    page = sorted_items[start_offset:final_offset]
    token = None
    if final_offset < len(sorted_items):
        token = SearchUtils.create_page_token(final_offset)
    return page, token_str(token)


def search_models(c):
    # FileStore.search_registered_models
    max_results = c.get("maxResults", 100)
    if not isinstance(max_results, int) or max_results < 1:
        raise MlflowException(
            "Invalid value for max_results. It must be a positive integer,"
            f" but got {max_results}",
            INVALID_PARAMETER_VALUE,
        )
    if max_results > SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD:
        raise MlflowException(
            "Invalid value for request parameter max_results. It must be at most "
            f"{SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
            INVALID_PARAMETER_VALUE,
        )
    filter_string = add_prompt_filter_string(c.get("filter"), is_prompt=False)
    models = [build_model(m) for m in c["entities"]]
    filtered = SearchModelUtils.filter(models, filter_string)
    sorted_models = SearchModelUtils.sort(filtered, c.get("orderBy"))
    page, token = _registry_page(sorted_models, c, max_results)
    return {"ids": [m.name for m in page], "token": token}


def search_versions(c):
    # FileStore.search_model_versions
    max_results = c.get("maxResults", 10000)
    if not isinstance(max_results, int) or max_results < 1:
        raise MlflowException(
            "Invalid value for max_results. It must be a positive integer,"
            f" but got {max_results}",
            INVALID_PARAMETER_VALUE,
        )
    if max_results > SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD:
        raise MlflowException(
            "Invalid value for request parameter max_results. It must be at most "
            f"{SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD}, but got value {max_results}",
            INVALID_PARAMETER_VALUE,
        )
    versions = [build_version(v) for v in c["entities"]]
    filter_string = add_prompt_filter_string(c.get("filter"), is_prompt=False)
    filtered = SearchModelVersionUtils.filter(versions, filter_string)
    sorted_mvs = SearchModelVersionUtils.sort(
        filtered,
        c.get("orderBy") or ["last_updated_timestamp DESC", "name ASC", "version_number DESC"],
    )
    page, token = _registry_page(sorted_mvs, c, max_results)
    return {"ids": [f"{m.name}/{m.version}" for m in page], "token": token}


def offset(c):
    return {"offset": SearchUtils.parse_start_offset_from_page_token(c.get("pageToken"))}


OPS = {
    "runs": search_runs,
    "experiments": search_experiments,
    "models": search_models,
    "versions": search_versions,
    "offset": offset,
}


def run_case(op, case):
    try:
        return OPS[op](case)
    except MlflowException as e:
        return {"error": {"code": e.error_code, "message": e.message}}
    except Exception as e:  # noqa: BLE001 - Python-level failures are reported as INTERNAL_ERROR
        return {"error": {"code": "INTERNAL_ERROR", "message": f"{type(e).__name__}: {e}"}}


def handle(req):
    """One request {"op", "cases"} -> {"results": [...]} or {"fatal": traceback}."""
    try:
        return {"results": [run_case(req["op"], c) for c in req["cases"]]}
    except Exception:  # noqa: BLE001
        return {"fatal": traceback.format_exc()}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            out = handle(json.loads(line))
        except Exception:  # noqa: BLE001
            out = {"fatal": traceback.format_exc()}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
