"""One contract, three copies kept equal: src/sales_kpis/contract.py (the runner), the
raw_contract() Jinja macro (dbt), seeds/stages.csv (the default funnel) — and the
shared spec's tables when the spec is beside the repository."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import jinja2
import pytest

from sales_kpis import contract
from sales_kpis.project import project_dir

ROOT = project_dir()
MACRO = ROOT / "macros" / "raw" / "raw_contract.sql"
SEED = ROOT / "seeds" / "stages.csv"
SPEC = ROOT.parent / "shared" / "spec" / "raw_contract.md"


class _Returned(Exception):
    def __init__(self, value):
        self.value = value


def jinja_contract() -> dict:
    """Render the raw_contract() macro with plain Jinja: dbt's `return()` hands back the structure."""

    def dbt_return(value):
        raise _Returned(value)

    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    template = environment.from_string(MACRO.read_text() + "{{ raw_contract() }}")
    try:
        template.render({"return": dbt_return})
    except _Returned as returned:
        return returned.value
    raise AssertionError("raw_contract() returned nothing")


@pytest.fixture(scope="module")
def macro_contract() -> dict:
    return jinja_contract()


def test_same_tables(macro_contract):
    assert list(macro_contract) == list(contract.TABLES)


@pytest.mark.parametrize("table", list(contract.TABLES))
def test_same_required_flag(macro_contract, table):
    assert macro_contract[table]["required"] is contract.TABLES[table].required


@pytest.mark.parametrize("table", list(contract.TABLES))
def test_same_columns_and_types_in_order(macro_contract, table):
    expected = [[column.name, column.type] for column in contract.TABLES[table].columns]
    assert macro_contract[table]["columns"] == expected


def test_required_and_optional_tables_as_the_spec_says():
    assert contract.REQUIRED_TABLES == ["users", "accounts", "leads", "opportunities", "opportunity_stage_history",
                                        "subscriptions", "quotas", "targets"]
    assert set(contract.OPTIONAL_TABLES) == {"products", "exchange_rates", "activities", "stages"}


def test_types_are_logical_types():
    allowed = {"text", "timestamp", "date", "decimal", "integer", "boolean"}
    for table in contract.TABLES.values():
        for column in table.columns:
            assert column.type in allowed, f"{table.name}.{column.name}: {column.type}"
        for key in table.primary_key:
            assert key in table.column_names, f"{table.name}: primary key {key} is not a column"
        for foreign_key in table.foreign_keys:
            assert foreign_key.column in table.column_names
            assert foreign_key.ref_column in contract.TABLES[foreign_key.ref_table].column_names


def test_stages_seed_equals_default_stages():
    with SEED.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == contract.TABLES["stages"].column_names
    seed = [
        (
            row["stage_name"],
            int(row["stage_number"]) if row["stage_number"] else None,
            row["is_closed"].lower() == "true",
            row["is_won"].lower() == "true",
            float(row["forecast_probability"]),
        )
        for row in rows
    ]
    assert seed == [tuple(stage) for stage in contract.DEFAULT_STAGES]


def test_default_stages_are_a_coherent_funnel():
    won = [stage for stage in contract.DEFAULT_STAGES if stage[3]]
    assert len(won) == 1 and won[0][2], "exactly one won stage, and it is closed"
    numbered = [stage[1] for stage in contract.DEFAULT_STAGES if stage[1] is not None]
    assert won[0][1] == max(numbered), "the won stage has the highest number"
    assert 0 in numbered, "a pre-pipeline stage 0"
    lost = [stage for stage in contract.DEFAULT_STAGES if stage[2] and not stage[3]]
    assert lost and all(stage[1] is None for stage in lost), "lost stages have no number"
    assert all(0 <= stage[4] <= 1 for stage in contract.DEFAULT_STAGES)


def spec_tables(text: str) -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, logical type)]} from the spec's `## table` headings and markdown tables."""
    tables: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^## (\w+)", line)
        if heading:
            current = heading.group(1) if heading.group(1) != "Bad" else None
            if current:
                tables[current] = []
            continue
        row = re.match(r"^\| *(\w+) *\| *([^|]*)\|", line)
        if current and row and row.group(1) not in {"column"} and not set(row.group(1)) <= {"-"}:
            tables[current].append((row.group(1), re.split(r"[ ,]", row.group(2).strip())[0]))
    return {name: columns for name, columns in tables.items() if columns}


@pytest.mark.skipif(not SPEC.is_file(), reason="the shared spec is not beside the repository")
def test_contract_matches_the_shared_spec():
    spec = spec_tables(SPEC.read_text())
    assert set(spec) == set(contract.TABLES)
    for name, columns in spec.items():
        ours = [(column.name, column.type) for column in contract.TABLES[name].columns]
        assert ours == columns, name
