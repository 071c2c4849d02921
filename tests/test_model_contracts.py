"""The public interface and the layers: the metadata linter, contracts, docs and the catalog.

- The dbt metadata linter (dbt-score, configured in pyproject.toml; `make
  lint-dbt`) passes on the project, and fails on a model that reads a layer
  it may not read. It owns the conventions by folder: names, access, every
  public model with an enforced contract and a data_type on every column,
  every model and column described.
- Every key column of a public mart has an enforced not_null constraint.
- A not_null test runs only where no enforced not_null constraint does its
  work (Spark), and a null in a constrained column fails the build.
- A change to a mart's column type fails the build with a contract error, and
  the published warehouse stays as it was.
- `dbt docs generate` succeeds and the catalog has every model.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import describe_run, disabled_nodes, not_null_checks, not_null_tested, unique_keys

from sales_kpis.dbt_runner import DbtOptions, _environment, dbt_args
from sales_kpis.project import project_dir
from sales_kpis.publish import PublishPaths, build_and_publish, release_dbt_duckdb_handle

#: The mart and column the contract-breaking change retypes.
BROKEN_MART, BROKEN_COLUMN = "kpi_rep_attainment", "bookings_arr"


@pytest.fixture(scope="module")
def manifest(built_warehouse) -> dict:
    return json.loads(built_warehouse.manifest_path.read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def key_columns(manifest: dict, model: dict) -> set[str]:
    """Columns of the keys the model's tests hold unique (model_rules' unique_key, unique), at any severity."""
    return {column for key in unique_keys(manifest, model["unique_id"], severity=None) for column in key}


# --------------------------------------------------------------------------- the metadata linter

LINEAGE_RULE = "dbt_score_rules.layers.model_reads_only_upstream_layers"


def lint(manifest: dict, directory: Path) -> tuple[int, dict[str, dict[str, str]]]:
    """Run dbt-score (the project's configuration) on manifest: (exit code, {item: {rule: result message}})
    for every rule that did not pass. A rule that raises is reported as 'ERR', which dbt-score does not score."""
    path = directory / "manifest.json"
    path.write_text(json.dumps(manifest))
    run = subprocess.run([sys.executable, "-m", "dbt_score", "lint", "--manifest", str(path), "--format", "json"],
                         cwd=project_dir(), capture_output=True, text=True, timeout=120)
    assert run.stdout.strip(), run.stderr
    evaluables = json.loads(run.stdout)["evaluables"]
    failed = {name.rpartition(".")[2]: {rule.rpartition(".")[2]: f"{result['result']}: {result['message']}"
                                        for rule, result in item["results"].items() if result["result"] != "OK"}
              for name, item in evaluables.items()}
    return run.returncode, {name: rules for name, rules in failed.items() if rules}


def plant_edge(manifest: dict, child: str, parent: str) -> dict:
    """A copy of manifest in which model child also reads model parent."""
    planted = copy.deepcopy(manifest)
    ids = {node["name"]: unique_id for unique_id, node in planted["nodes"].items() if node["resource_type"] == "model"}
    planted["nodes"][ids[child]]["depends_on"]["nodes"].append(ids[parent])
    planted["parent_map"].setdefault(ids[child], []).append(ids[parent])
    planted["child_map"].setdefault(ids[parent], []).append(ids[child])
    return planted


def test_the_metadata_linter_passes_and_fails_on_an_edge_that_runs_the_wrong_way(manifest, tmp_path):
    code, failed = lint(manifest, tmp_path)
    assert (code, failed) == (0, {}), failed

    # An intermediate model reading a mart, and a domain reading attainment back.
    planted = plant_edge(plant_edge(manifest, "int_account_arr_movements", "kpi_arr_movements"),
                         "int_product_activity_monthly", "int_org_metric_daily")
    code, failed = lint(planted, tmp_path)
    assert code == 1
    assert failed == {
        "int_account_arr_movements": {LINEAGE_RULE.rpartition(".")[2]: (
            "WARN: models/intermediate/revenue may not read kpi_arr_movements (models/marts/revenue)")},
        "int_product_activity_monthly": {LINEAGE_RULE.rpartition(".")[2]: (
            "WARN: models/intermediate/revenue may not read int_org_metric_daily (models/intermediate/attainment)")},
    }, failed


def test_no_two_folders_may_read_each_other():
    """The lineage rule's table itself flows one way: no folder may read a folder that may read it."""
    config = tomllib.loads((project_dir() / "pyproject.toml").read_text())["tool"]["dbt-score"]["rules"]
    may_read = config[LINEAGE_RULE]["may_read"]

    def reads(reader: str, folder: str) -> bool:
        return any(folder == permitted or folder.startswith(permitted + "/") for permitted in may_read[reader])

    both_ways = sorted((first, second) for first in may_read for second in may_read
                       if first < second and reads(first, second) and reads(second, first))
    assert not both_ways, both_ways
    assert reads("models/intermediate/attainment", "models/intermediate/revenue")
    assert not reads("models/intermediate/revenue", "models/intermediate/attainment")


def test_key_columns_of_public_models_have_a_not_null_constraint(manifest):
    public = {name: node for name, node in models(manifest).items() if node.get("access") == "public"}
    assert any(name.startswith("kpi_") for name in public), "no public kpi_ mart in the project"
    problems = []
    for name, node in sorted(public.items()):
        for column in key_columns(manifest, node) & set(node["columns"]):
            constraints = {constraint["type"] for constraint in node["columns"][column].get("constraints", [])}
            # not null by a test (enabled, or disabled where the constraint does its work)
            tests_not_null = (column in not_null_tested(manifest, node["unique_id"], enabled_only=False)
                              or [column] in unique_keys(manifest, node["unique_id"], severity=None))
            if tests_not_null and "not_null" not in constraints:
                problems.append(f"{name}.{column}: key column without a not_null constraint")
    assert not problems, "\n".join(problems)
    print(f"{len(public)} public models: {', '.join(sorted(public))}")


def not_null_tests(nodes) -> dict[tuple[str, str], dict]:
    """{(attached model unique_id, column): test node} of the not_null checks among nodes."""
    return {(node["attached_node"], column): node for node, column in not_null_checks(nodes) if node.get("attached_node")}


def test_not_null_tests_run_only_where_no_enforced_constraint_does_their_work(manifest):
    """Decision 0014: on DuckDB (and PostgreSQL) an enforced contract's not_null
    constraint fails the build on a null, so a not_null test on that column
    could never fail and is disabled; it stays enabled for Spark, where the
    contract is not enforced. No column is left unchecked either way."""
    enabled = not_null_tests(manifest["nodes"].values())
    disabled = not_null_tests(disabled_nodes(manifest))
    problems = []
    constrained = 0
    for node in models(manifest).values():
        enforced = bool(node["config"].get("contract", {}).get("enforced"))
        for column, spec in node["columns"].items():
            has_constraint = any(c["type"] == "not_null" for c in spec.get("constraints", []))
            key = (node["unique_id"], column)
            if enforced and has_constraint:
                constrained += 1
                if key in enabled:
                    problems.append(f"{node['name']}.{column}: a not_null test next to the enforced constraint")
                if key not in disabled:
                    problems.append(f"{node['name']}.{column}: no not_null test kept for engines without the contract")
    for (model_id, column), test in disabled.items():
        model = manifest["nodes"].get(model_id)
        constraints = (model or {}).get("columns", {}).get(column, {}).get("constraints", [])
        if model is not None and not any(c["type"] == "not_null" for c in constraints):
            problems.append(f"{model['name']}.{column}: not_null test disabled without a not_null constraint")
    assert constrained > 0, "no enforced not_null constraint found"
    assert not problems, "\n".join(problems)
    print(f"{constrained} mart columns checked by their enforced constraint, "
          f"{len(disabled)} not_null tests kept for Spark")


def scratch_project(destination: Path) -> Path:
    """A copy of the dbt project (dbt files only) to break on purpose."""
    source = project_dir()
    destination.mkdir(parents=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copyfile(source / name, destination / name)
    # the folders dbt reads (models, macros, seeds, analyses, the doc blocks of docs-paths)
    config = yaml.safe_load((source / "dbt_project.yml").read_text())
    for key in ("model-paths", "macro-paths", "seed-paths", "analysis-paths", "docs-paths"):
        for folder in config.get(key, []):
            if (source / folder).is_dir():
                shutil.copytree(source / folder, destination / folder)
    (destination / "tests").mkdir()
    for path in (source / "tests").glob("*.sql"):  # dbt singular tests only
        shutil.copyfile(path, destination / "tests" / path.name)
    return destination


def build_broken_mart(built_warehouse, tmp_path: Path, monkeypatch, final_select: str) -> str:
    """Build BROKEN_MART from a scratch project whose final select is replaced
    by final_select (a developer's change), over a copy of the session
    warehouse; assert the build failed on that model and published nothing.
    Returns the model's error message."""
    project = scratch_project(tmp_path / "project")
    sql_path = next(project.glob(f"models/**/{BROKEN_MART}.sql"))
    sql = sql_path.read_text()
    assert sql.rstrip().endswith("select * from final"), f"{BROKEN_MART}.sql no longer ends with its final select"
    head, _, _ = sql.rstrip().rpartition("select * from final")
    sql_path.write_text(head + final_select + "\n")

    release_dbt_duckdb_handle()
    published = tmp_path / "warehouse" / "wh.duckdb"
    published.parent.mkdir()
    shutil.copyfile(built_warehouse.database, published)
    before = published.read_bytes()
    monkeypatch.setenv("SALES_KPIS_PROJECT_DIR", str(project))

    result = build_and_publish(
        DbtOptions(raw_dir=built_warehouse.raw_dir, database=published, as_of=built_warehouse.as_of,
                   select=[BROKEN_MART], target_path=tmp_path / "target"),
        extra_args=["--log-level", "none"], command="run",
    )

    assert not result.ok and not result.swapped
    failed = {node.name: node for node in result.run.failures}
    assert BROKEN_MART in failed, describe_run(result.run)
    assert published.read_bytes() == before, "the published warehouse changed"
    assert not PublishPaths(published).staging.exists()
    return failed[BROKEN_MART].message or ""


@pytest.mark.slow
def test_retyping_a_mart_column_fails_the_build_with_a_contract_error(built_warehouse, tmp_path, monkeypatch):
    # A developer's change: the column comes out as text instead of money.
    message = build_broken_mart(built_warehouse, tmp_path, monkeypatch,
                                f"select * replace (cast({BROKEN_COLUMN} as varchar) as {BROKEN_COLUMN}) from final")
    assert "contract" in message and BROKEN_COLUMN in message and "data type mismatch" in message, message
    print(f"contract error as expected: {message.splitlines()[0]}")


@pytest.mark.slow
def test_a_null_in_a_constrained_mart_column_fails_the_build(built_warehouse, tmp_path, monkeypatch):
    """What the disabled not_null tests would have caught, the constraint catches:
    the model fails naming the column, and the published warehouse is untouched."""
    # A developer's change loses the period of the first row.
    message = build_broken_mart(built_warehouse, tmp_path, monkeypatch,
                                "select * replace (case when row_number() over () = 1 then cast(null as date)"
                                " else period_start end as period_start) from final")
    assert "NOT NULL constraint failed" in message and "period_start" in message, message
    print(f"constraint error as expected: {message.splitlines()[0]}")


@pytest.mark.slow
def test_docs_generate_covers_every_model(built_warehouse, tmp_path):
    from dbt.cli.main import dbtRunner

    release_dbt_duckdb_handle()
    database = tmp_path / "wh.duckdb"
    shutil.copyfile(built_warehouse.database, database)
    options = DbtOptions(raw_dir=built_warehouse.raw_dir, database=database, as_of=built_warehouse.as_of,
                         target_path=tmp_path / "target")
    with _environment(options.environment()):
        outcome = dbtRunner().invoke(["docs"] + dbt_args("generate", options) + ["--log-level", "none"])
    release_dbt_duckdb_handle()
    assert outcome.success, outcome.exception
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    generated = json.loads((tmp_path / "target" / "manifest.json").read_text())

    all_models = {node["unique_id"]: node for node in generated["nodes"].values()
                  if node["resource_type"] == "model" and node["config"].get("materialized") != "ephemeral"}
    missing = sorted(set(all_models) - set(catalog["nodes"]))
    assert not missing, f"models missing from the catalog: {missing}"
    print(f"catalog: {len(catalog['nodes'])} nodes, all {len(all_models)} models")
