"""The public interface: model contracts on every kpi_ mart, access levels, docs and the catalog.

- Every kpi_ mart (and build_metadata, the time spine) is public with an
  enforced contract: a data_type on every column, not_null on its key columns.
- A not_null test runs only where no enforced not_null constraint does its
  work (Spark), and a null in a constrained column fails the build.
- Staging and intermediate models are not public.
- A change to a mart's column type fails the build with a contract error, and
  the published warehouse stays as it was.
- `dbt docs generate` succeeds; the catalog has every model, and every public
  model is documented to the column.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import describe_run, disabled_nodes, not_null_checks, not_null_tested, unique_keys

from sales_kpis.dbt_runner import DbtOptions, _environment, dbt_args
from sales_kpis.project import project_dir
from sales_kpis.publish import PublishPaths, build_and_publish, release_dbt_duckdb_handle

EXTRA_PUBLIC = {"build_metadata", "metricflow_time_spine"}
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


def test_every_kpi_mart_is_public_with_an_enforced_contract(manifest):
    marts = {name: node for name, node in models(manifest).items() if name.startswith("kpi_") or name in EXTRA_PUBLIC}
    assert any(name.startswith("kpi_") for name in marts), "no kpi_ mart in the project"
    problems = []
    for name, node in sorted(marts.items()):
        if node.get("access") != "public":
            problems.append(f"{name}: access {node.get('access')}")
        if not node["config"].get("contract", {}).get("enforced"):
            problems.append(f"{name}: contract not enforced")
        untyped = [column for column, spec in node["columns"].items() if not spec.get("data_type")]
        if untyped:
            problems.append(f"{name}: no data_type on {untyped}")
        for column in key_columns(manifest, node) & set(node["columns"]):
            constraints = {constraint["type"] for constraint in node["columns"][column].get("constraints", [])}
            # not null by a test (enabled, or disabled where the constraint does its work)
            tests_not_null = (column in not_null_tested(manifest, node["unique_id"], enabled_only=False)
                              or [column] in unique_keys(manifest, node["unique_id"], severity=None))
            if tests_not_null and "not_null" not in constraints:
                problems.append(f"{name}.{column}: key column without a not_null constraint")
    assert not problems, "\n".join(problems)
    print(f"{len(marts)} public models with enforced contracts: {', '.join(sorted(marts))}")


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


def test_staging_and_intermediate_are_not_public(manifest):
    leaked = [name for name, node in models(manifest).items()
              if (name.startswith("stg_") or name.startswith("int_")) and node.get("access") == "public"]
    assert not leaked, leaked
    for name, node in models(manifest).items():
        if name.startswith(("stg_", "int_")):
            assert node.get("access") in {"protected", "private"}, name


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
def test_docs_generate_covers_every_model_documented_to_the_column(built_warehouse, manifest, tmp_path):
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

    undocumented = []
    for unique_id, node in all_models.items():
        if not (node.get("description") or "").strip():
            undocumented.append(f"{node['name']} (model)")
        if node.get("access") != "public":
            continue
        catalog_columns = {name.lower() for name in catalog["nodes"][unique_id]["columns"]}
        documented = {name.lower() for name, column in node["columns"].items() if (column.get("description") or "").strip()}
        for column in sorted(catalog_columns - documented):
            undocumented.append(f"{node['name']}.{column}")
    assert not undocumented, f"not documented: {undocumented}"
    public = sum(1 for node in all_models.values() if node.get("access") == "public")
    print(f"catalog: {len(catalog['nodes'])} nodes, all {len(all_models)} models; {public} public models documented to the column")
