"""The definitions loader (src/sales_kpis/definitions.py) against dbt's own reading, and the rate convention.

- Every model and column description, every doc block and every column meta
  the loader reads equals what dbt put in the session build's manifest.
- Moving the doc blocks to another folder listed in ``docs-paths`` changes
  nothing the loader returns.
- Every published rate whose column meta names a numerator and denominator
  equals numerator / denominator on every row of the session warehouse.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from sales_kpis.definitions import DefinitionError, docs_paths, load, plain
from sales_kpis.project import project_dir

PROJECT = project_dir()


def test_docs_paths_follow_dbt_project_yml(tmp_path):
    (tmp_path / "dbt_project.yml").write_text("name: x\nmodel-paths: [dbt_models]\nmacro-paths: [m]\n")
    assert docs_paths(tmp_path) == [tmp_path / name for name in
                                    ["analyses", "dbt_models", "functions", "m", "seeds", "snapshots", "tests"]]
    (tmp_path / "dbt_project.yml").write_text("name: x\ndocs-paths: [docs/spec]\n")
    assert docs_paths(tmp_path) == [tmp_path / "docs" / "spec"]


def write_project(root: Path, docs_dir: str | None, blocks: str, model_yml: str) -> Path:
    settings = {"name": "x", "model-paths": ["models"]}
    if docs_dir:
        settings["docs-paths"] = [docs_dir]
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(yaml.safe_dump(settings))
    (root / "models").mkdir()
    (root / "models" / "m.yml").write_text(model_yml)
    target = root / (docs_dir or "models")
    target.mkdir(parents=True, exist_ok=True)
    (target / "defs.md").write_text(blocks)
    return root


MODEL_YML = """
version: 2
models:
  - name: kpi_x
    description: "Rates. {{ doc('x_rate') }}"
    columns:
      - name: x_rate
        description: "{{ doc(\\"x_rate\\") }} (exact)"
        meta: {numerator: hits}
        config: {meta: {denominator: tries}}
      - name: hits
        description: Successes.
"""


def test_descriptions_resolve_doc_calls_and_meta_merges_config(tmp_path):
    blocks = "{% docs x_rate %}\nHits over\ntries.\n{% enddocs %}\n{%- docs unused -%} other {%- enddocs -%}\n"
    definitions = load(write_project(tmp_path / "p", None, blocks, MODEL_YML))
    assert definitions.docs == {"x_rate": "Hits over\ntries.", "unused": "other"}
    model = definitions.model("kpi_x")
    assert model.description == "Rates. Hits over\ntries."
    assert plain(model.column("x_rate").description) == "Hits over tries. (exact)"
    assert definitions.rate("kpi_x", "x_rate").numerator == "hits"
    assert definitions.rate("kpi_x", "x_rate").denominator == "tries"
    with pytest.raises(DefinitionError, match="no meta numerator"):
        definitions.rate("kpi_x", "hits")
    with pytest.raises(DefinitionError, match="no column 'nope'"):
        definitions.column("kpi_x", "nope")


def test_an_unknown_or_repeated_doc_block_is_an_error(tmp_path):
    with pytest.raises(DefinitionError, match="no such doc block"):
        load(write_project(tmp_path / "a", None, "{% docs other %}x{% enddocs %}", MODEL_YML))
    twice = "{% docs x_rate %}a{% enddocs %}"
    root = write_project(tmp_path / "b", None, twice, MODEL_YML)
    (root / "models" / "again.md").write_text(twice)
    with pytest.raises(DefinitionError, match="doc block 'x_rate' is in both"):
        load(root)


def test_the_project_reads_the_same_when_its_doc_blocks_move(tmp_path):
    """The blocks gathered into docs/spec/kpi_definitions.md and docs-paths set to it: the same definitions."""
    here = load(PROJECT)
    moved = tmp_path / "project"
    shutil.copytree(PROJECT / "models", moved / "models",
                    ignore=lambda directory, names: [name for name in names if name.endswith(".md")])
    (moved / "docs" / "spec").mkdir(parents=True)
    (moved / "docs" / "spec" / "kpi_definitions.md").write_text("\n\n".join(
        f"{{% docs {name} %}}\n{text}\n{{% enddocs %}}" for name, text in here.docs.items()))
    settings = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())
    settings["docs-paths"] = ["docs/spec"]
    (moved / "dbt_project.yml").write_text(yaml.safe_dump(settings))
    there = load(moved)
    assert there.docs == here.docs
    assert {name: (model.description, dict(model.columns)) for name, model in there.models.items()} == \
        {name: (model.description, dict(model.columns)) for name, model in here.models.items()}


@pytest.mark.slow
def test_the_loader_reads_what_dbt_reads(built_warehouse):
    manifest = json.loads(built_warehouse.manifest_path.read_text())
    definitions = load(PROJECT)
    docs = {doc["name"]: doc["block_contents"] for doc in manifest["docs"].values()
            if doc["package_name"] == "sales_kpis"}
    assert definitions.docs == docs
    models = {node["name"]: node for node in manifest["nodes"].values()
              if node["resource_type"] == "model" and node["package_name"] == "sales_kpis"}
    assert set(models) <= set(definitions.models)  # the CRM adapters' models are disabled in this build
    for name, node in models.items():
        model = definitions.model(name)
        assert model.description == node["description"].strip(), name
        assert set(model.columns) == set(node["columns"]), name
        for column_name, column in node["columns"].items():
            assert model.column(column_name).description == column["description"].strip(), (name, column_name)
            assert dict(model.column(column_name).meta) == column["meta"], (name, column_name)


@pytest.mark.slow
def test_every_rate_equals_its_numerator_over_its_denominator(built_warehouse):
    rates = [(model.name, column.name, column.rate) for model in load(PROJECT).models.values()
             for column in model.columns.values() if column.rate is not None]
    assert {("kpi_retention", "net_revenue_retention"), ("kpi_pipeline_cohorts", "stage2_conversion_rate"),
            ("kpi_org_attainment", "attainment")} <= {(model, column) for model, column, _ in rates}
    for model, column, rate in rates:
        relation = built_warehouse.relation(model)
        # A money average (money_divide) is rounded to the cent, half away from zero; a rate is a double.
        is_money = str(load(PROJECT).model(model).column(column).data_type or "").startswith("decimal")
        expected = f"cast({rate.numerator} as double) / cast({rate.denominator} as double)"
        tolerance = "0.005 + 1e-9" if is_money else f"1e-12 * greatest(1, abs({column}))"
        total, wrong = built_warehouse.query(f"""
            select count(*), count(*) filter (where not (
                ({column} is null and coalesce({rate.denominator}, 0) = 0)
                or abs({column} - {expected}) <= {tolerance}))
            from {relation}
        """)[0]
        assert total > 0, f"{model} has no rows to check"
        assert wrong == 0, f"{model}.{column}: {wrong} of {total} rows differ from {rate.numerator} / {rate.denominator}"
