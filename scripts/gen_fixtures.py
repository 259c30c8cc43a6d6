#!/usr/bin/env python
"""Writes an `mlruns/` store with the running interpreter's (real) MLflow.

Usage: python gen_fixtures.py <root>
Runs under MLflow 1.30, 2.22 and 3.x; each feature is gated on what the version supports.
Called by scripts/gen-fixtures.sh, which runs it from a neutral directory under /tmp so that the
`mlflow.source.name` tag and artifact URIs contain no checkout path and no git context is found.

Timestamps are fixed wherever the API takes one; ids, experiment creation times, registry
timestamps and times set by the fluent API are MLflow's own (random / wall clock).
"""

import json
import os
import sys

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import mlflow  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

VERSION = tuple(int(x) for x in mlflow.__version__.split(".")[:2])
HAS_DATASETS = VERSION >= (2, 4)
HAS_REGISTRY = VERSION >= (2, 1)
HAS_ALIASES = VERSION >= (2, 3)
HAS_LOGGED_MODELS = VERSION >= (3, 0)

T0 = 1700000000000  # 2023-11-14T22:13:20Z
SOURCE_TAGS = {"mlflow.source.name": "gen_fixtures.py", "mlflow.source.type": "LOCAL", "mlflow.user": "fixture"}


def ts(offset):
    return T0 + offset


def main(root):
    root = os.path.abspath(root)
    os.makedirs(os.path.dirname(root), exist_ok=True)
    mlflow.set_tracking_uri(root)
    if hasattr(mlflow, "set_registry_uri"):
        mlflow.set_registry_uri(root)
    client = MlflowClient(tracking_uri=root, registry_uri=root)
    manifest = {"mlflowVersion": mlflow.__version__, "experiments": {}, "runs": {}, "registry": {}, "loggedModels": {}}

    def new_run(exp_id, name, offset, tags=None):
        run = client.create_run(exp_id, start_time=ts(offset), tags={**SOURCE_TAGS, **(tags or {})}, run_name=name)
        manifest["runs"][name] = run.info.run_id
        return run.info.run_id

    # ---------------------------------------------------------------- Default experiment ("0")
    client.get_experiment("0")  # created by the store at init
    rid = new_run("0", "default-run", 0)
    client.log_param(rid, "lr", 0.01)
    client.log_metric(rid, "loss", 0.5, timestamp=ts(1), step=0)
    client.log_metric(rid, "loss", 0.25, timestamp=ts(2), step=1)
    client.set_terminated(rid, "FINISHED", end_time=ts(100))
    manifest["experiments"]["Default"] = "0"

    # ---------------------------------------------------------------- named experiments
    exp_a = client.create_experiment(
        "fixture-experiment",
        tags={"team": "ml-platform", "mlflow.note.content": "Fixture experiment: every kind of run.", "a/b": "nested"},
    )
    client.set_experiment_tag(exp_a, "unicode", "ünïcødé ✓ 実験")
    manifest["experiments"]["fixture-experiment"] = exp_a

    exp_u = client.create_experiment("expérience ✓ 実験", tags={"lang": "ja"})
    manifest["experiments"]["unicode-named"] = exp_u

    exp_r = client.create_experiment("to-be-renamed")
    client.rename_experiment(exp_r, "renamed-experiment")
    manifest["experiments"]["renamed-experiment"] = exp_r

    exp_d = client.create_experiment("deleted-experiment", tags={"state": "gone"})
    rid = new_run(exp_d, "run-in-deleted-experiment", 1000)
    client.log_param(rid, "p", "v")
    client.log_metric(rid, "m", 1.0, timestamp=ts(1001), step=0)
    client.set_terminated(rid, "FINISHED", end_time=ts(1002))
    client.delete_experiment(exp_d)
    manifest["experiments"]["deleted-experiment"] = exp_d

    exp_rs = client.create_experiment("restored-experiment")
    rid = new_run(exp_rs, "run-in-restored-experiment", 2000)
    client.log_metric(rid, "m", 2.0, timestamp=ts(2001), step=0)
    client.set_terminated(rid, "FINISHED", end_time=ts(2002))
    client.delete_experiment(exp_rs)
    client.restore_experiment(exp_rs)
    manifest["experiments"]["restored-experiment"] = exp_rs

    exp_c = client.create_experiment(
        "custom-artifact-location", artifact_location="file://" + os.path.join(os.path.dirname(root), "custom-artifacts")
    )
    rid = new_run(exp_c, "custom-location-run", 3000)
    client.set_terminated(rid, "FINISHED", end_time=ts(3001))
    manifest["experiments"]["custom-artifact-location"] = exp_c

    # ---------------------------------------------------------------- runs in fixture-experiment
    # 1. params, metrics and tags of every kind
    rid = new_run(exp_a, "params-metrics-tags", 10_000, tags={"owner": "ünïcødé ✓", "team/sub": "nested tag"})
    long_value = "x" * (500 if VERSION < (2, 0) else 6000)  # the version's param value limit
    for key, value in [
        ("int", 42),
        ("float", 0.001),
        ("negative", -7.5),
        ("bool_true", True),
        ("bool_false", False),
        ("none", None),
        ("long", long_value),
        ("empty", ""),
        ("unicode", "ünïcødé ✓ 実験"),
        ("学習率", "0.1"),
        ("spaces in key", "spaces in value"),
        ("nested/param", "p"),
        ("multi_line", "line 1\nline 2"),
        ("json", json.dumps({"a": [1, 2, 3]})),
    ]:
        client.log_param(rid, key, value)
    # many steps
    for step in range(100):
        client.log_metric(rid, "acc", round(1 - 1 / (step + 2), 6), timestamp=ts(10_000 + step * 10), step=step)
    # special values, one per step
    for step, value in enumerate([float("nan"), float("inf"), float("-inf"), -0.0, 1e-05, 1e300, -2.5e-10, 1e16, 123456789.125]):
        client.log_metric(rid, "special", value, timestamp=ts(11_000 + step), step=step)
    client.log_metric(rid, "nan_last", 1.0, timestamp=ts(11_100), step=0)
    client.log_metric(rid, "nan_last", float("nan"), timestamp=ts(11_101), step=1)
    # several values at the same step (and at the same step + timestamp)
    for value, t in [(3.0, 12_000), (1.0, 12_001), (2.0, 12_001), (0.5, 11_999)]:
        client.log_metric(rid, "same_step", value, timestamp=ts(t), step=5)
    # nested and unicode keys, negative steps, large steps
    client.log_metric(rid, "loss/train", 0.9, timestamp=ts(13_000), step=0)
    client.log_metric(rid, "loss/train", 0.4, timestamp=ts(13_001), step=1)
    client.log_metric(rid, "loss/val", 1.1, timestamp=ts(13_002), step=0)
    client.log_metric(rid, "精度", 0.75, timestamp=ts(13_003), step=0)
    client.log_metric(rid, "neg_step", 1.0, timestamp=ts(13_004), step=-1)
    client.log_metric(rid, "big_step", 2.0, timestamp=ts(13_005), step=2**40)
    client.log_metric(rid, "zero_ts", 3.0, timestamp=0, step=0)
    # log_batch: an int metric value is written as an int ("3"), plus params and tags
    client.log_batch(
        rid,
        metrics=[Metric("batch_int", 3, ts(14_000), 0), Metric("batch_float", 2.5, ts(14_001), 1)],
        params=[Param("batch_param", "b")],
        tags=[RunTag("batch_tag", "t")],
    )
    client.set_tag(rid, "to_delete", "x")
    client.delete_tag(rid, "to_delete")
    client.set_tag(rid, "empty_tag", "")
    client.set_terminated(rid, "FINISHED", end_time=ts(20_000))

    # 2. statuses
    rid = new_run(exp_a, "failed-run", 30_000)
    client.log_metric(rid, "m", 0.0, timestamp=ts(30_001), step=0)
    client.set_terminated(rid, "FAILED", end_time=ts(30_500))
    rid = new_run(exp_a, "killed-run", 31_000)
    client.set_terminated(rid, "KILLED", end_time=ts(31_500))
    rid = new_run(exp_a, "running-run", 32_000)
    client.log_param(rid, "state", "still running")
    # a run without a run name tag given explicitly (MLflow picks a random one)
    run = client.create_run(exp_a, start_time=ts(33_000), tags=dict(SOURCE_TAGS))
    manifest["runs"]["unnamed-run"] = run.info.run_id
    client.set_terminated(run.info.run_id, "FINISHED", end_time=ts(33_500))

    # 3. deleted / restored runs
    rid = new_run(exp_a, "deleted-run", 40_000)
    client.log_param(rid, "p", "deleted")
    client.set_terminated(rid, "FINISHED", end_time=ts(40_500))
    client.delete_run(rid)
    rid = new_run(exp_a, "restored-run", 41_000)
    client.log_param(rid, "p", "restored")
    client.set_terminated(rid, "FINISHED", end_time=ts(41_500))
    client.delete_run(rid)
    client.restore_run(rid)

    # 4. nested runs (fluent API) + artifacts
    src_dir = os.path.join(os.path.dirname(root), "artifact-src")
    os.makedirs(os.path.join(src_dir, "tree", "sub"), exist_ok=True)
    with open(os.path.join(src_dir, "small.txt"), "w") as f:
        f.write("a small artifact\n")
    with open(os.path.join(src_dir, "tree", "a.txt"), "w") as f:
        f.write("a\n")
    with open(os.path.join(src_dir, "tree", "sub", "b.csv"), "w") as f:
        f.write("x,y\n1,2\n")
    with mlflow.start_run(experiment_id=exp_a, run_name="parent", tags=SOURCE_TAGS) as parent:
        manifest["runs"]["parent"] = parent.info.run_id
        mlflow.log_param("level", "parent")
        mlflow.log_text("hello ✓\n", "notes/hello.txt")
        mlflow.log_dict({"b": 1, "a": [1, 2]}, "config.json")
        mlflow.log_artifact(os.path.join(src_dir, "small.txt"))
        mlflow.log_artifacts(os.path.join(src_dir, "tree"), artifact_path="nested/dir")
        for i in (1, 2):
            with mlflow.start_run(experiment_id=exp_a, run_name=f"child-{i}", nested=True, tags=SOURCE_TAGS) as child:
                manifest["runs"][f"child-{i}"] = child.info.run_id
                mlflow.log_param("level", "child")
                client.log_metric(child.info.run_id, "child_metric", float(i), timestamp=ts(50_000 + i), step=i)
    # a grandchild, by explicit tag
    rid = new_run(exp_a, "grandchild", 52_000, tags={"mlflow.parentRunId": manifest["runs"]["child-1"]})
    client.set_terminated(rid, "FINISHED", end_time=ts(52_500))

    # a run in the unicode-named experiment
    rid = new_run(exp_u, "unicode-exp-run", 60_000)
    client.log_metric(rid, "m", 1.0, timestamp=ts(60_001), step=0)
    client.set_terminated(rid, "FINISHED", end_time=ts(60_500))

    # ---------------------------------------------------------------- datasets (2.4+)
    if HAS_DATASETS:
        from mlflow.entities import Dataset, DatasetInput, InputTag

        iris = Dataset(
            name="iris",
            digest="abc123",
            source_type="http",
            source=json.dumps({"url": "https://example.com/iris.csv"}),
            schema=json.dumps({"mlflow_colspec": [{"type": "double", "name": "sepal length", "required": True}]}),
            profile=json.dumps({"num_rows": 150, "num_elements": 750}),
        )
        bare = Dataset(name="bare", digest="d0", source_type="code", source=json.dumps({"tags": {}}))
        rid = new_run(exp_a, "dataset-run", 70_000)
        client.log_inputs(
            rid,
            [
                DatasetInput(iris, tags=[InputTag("mlflow.data.context", "training")]),
                DatasetInput(bare, tags=[]),
            ],
        )
        # re-logging the same dataset does not change its input tags
        client.log_inputs(rid, [DatasetInput(iris, tags=[InputTag("mlflow.data.context", "eval")])])
        if HAS_LOGGED_MODELS:
            # a metric logged with a dataset: a 5-field line in the run's metric file
            client.log_metric(rid, "ds_metric", 0.8, timestamp=ts(70_001), step=3, dataset_name="iris", dataset_digest="abc123")
        client.set_terminated(rid, "FINISHED", end_time=ts(70_500))
        # the same dataset used by a second run
        rid2 = new_run(exp_a, "dataset-run-2", 71_000)
        client.log_inputs(rid2, [DatasetInput(iris, tags=[InputTag("mlflow.data.context", "eval")])])
        client.set_terminated(rid2, "FINISHED", end_time=ts(71_500))

    # ---------------------------------------------------------------- logged models (3.x)
    if HAS_LOGGED_MODELS:
        from mlflow.entities import LoggedModelInput, LoggedModelOutput

        rid = new_run(exp_a, "model-run", 80_000)
        m1 = client.create_logged_model(
            experiment_id=exp_a,
            name="model-a",
            source_run_id=rid,
            tags={"stage": "dev", "nested/tag": "n"},
            params={"alpha": "0.5", "layers": "3"},
            model_type="agent",
        )
        manifest["loggedModels"]["model-a"] = m1.model_id
        client.log_model_params(m1.model_id, {"beta": "2"})
        client.set_logged_model_tags(m1.model_id, {"extra": "tag ✓"})
        # metrics linked to the model: run file gets 3/5-field lines, model file 4/6-field lines
        client.log_metric(rid, "model_acc", 0.9, timestamp=ts(80_001), step=1, model_id=m1.model_id)
        client.log_metric(
            rid, "model_acc", 0.95, timestamp=ts(80_002), step=2, model_id=m1.model_id, dataset_name="iris", dataset_digest="abc123"
        )
        client.log_metric(
            rid, "model_acc", 0.7, timestamp=ts(80_003), step=2, model_id=m1.model_id, dataset_name="bare", dataset_digest="d0"
        )
        client.log_outputs(rid, [LoggedModelOutput(m1.model_id, step=2)])
        client.finalize_logged_model(m1.model_id, "READY")

        m2 = mlflow.initialize_logged_model(name="model-b", experiment_id=exp_a, params={"k": "v"}, tags=SOURCE_TAGS)
        manifest["loggedModels"]["model-b (pending)"] = m2.model_id
        client.log_inputs(rid, models=[LoggedModelInput(m2.model_id)])

        m3 = client.create_logged_model(experiment_id=exp_a, name="model-failed")
        client.finalize_logged_model(m3.model_id, "FAILED")
        manifest["loggedModels"]["model-failed"] = m3.model_id

        m4 = client.create_logged_model(experiment_id=exp_a, name="model-deleted")
        client.delete_logged_model(m4.model_id)
        manifest["loggedModels"]["model-deleted"] = m4.model_id

        m5 = client.create_logged_model(experiment_id="0", name="default-exp-model")
        client.finalize_logged_model(m5.model_id, "READY")
        manifest["loggedModels"]["default-exp-model"] = m5.model_id
        client.set_terminated(rid, "FINISHED", end_time=ts(80_500))

    # ---------------------------------------------------------------- registry (2.1+)
    if HAS_REGISTRY:
        src_run = manifest["runs"]["parent"]
        src_uri = client.get_run(src_run).info.artifact_uri
        name = "fixture-model"
        client.create_registered_model(name, tags={"task": "classification", "ünï": "✓"}, description="The first model.")
        for i in range(1, 5):
            client.create_model_version(
                name,
                source=f"{src_uri}/model-{i}",
                run_id=src_run,
                tags={"v": str(i)},
                description=f"version {i}",
            )
        client.set_model_version_tag(name, "1", "validated", "true")
        client.set_registered_model_tag(name, "team", "ml")
        client.transition_model_version_stage(name, "1", "Staging")
        client.transition_model_version_stage(name, "2", "Production")
        client.transition_model_version_stage(name, "3", "Production", archive_existing_versions=True)
        client.delete_model_version(name, "4")  # soft delete (current_stage Deleted_Internal)
        if HAS_ALIASES:
            client.set_registered_model_alias(name, "champion", "3")
            client.set_registered_model_alias(name, "challenger", "1")
        manifest["registry"][name] = {"versions": 4, "deleted": ["4"]}

        client.create_registered_model("second-model", tags={"kind": "regressor"}, description="The second model.")
        client.create_model_version("second-model", source=f"{src_uri}/second-1", run_id=src_run)
        client.create_model_version("second-model", source=f"{src_uri}/second-2", run_id=src_run)
        client.update_model_version("second-model", "2", description="updated description")
        if HAS_ALIASES:
            client.set_registered_model_alias("second-model", "champion", "2")  # lost by the rename
        # the rename copies version metas (and would copy version tags, but crashes on them:
        # AttributeError in 2.22/3.17), not the model's tags nor its aliases
        client.rename_registered_model("second-model", "renamed-model")
        manifest["registry"]["renamed-model"] = {"versions": 2, "renamedFrom": "second-model"}

        if HAS_LOGGED_MODELS:
            lm = manifest["loggedModels"]["model-a"]
            client.create_registered_model("logged-model-registry")
            client.create_model_version(
                "logged-model-registry", source=f"models:/{lm}", run_id=manifest["runs"]["model-run"], model_id=lm
            )
            manifest["registry"]["logged-model-registry"] = {"versions": 1, "modelId": lm}

    with open(os.path.join(os.path.dirname(root), "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gen_fixtures.py <root>")
    main(sys.argv[1])
