"""The raw-data contract is written once, in the `crm` source yml, and read by both sides:
src/sales_kpis/contract.py (the runner) and the raw_contract() / contract_rules() macros (dbt),
which expand its catalogue of rules the same way. docs/spec/raw_contract.md, the product's own
copy of the input API, says the same for people; and it covers the brief's tables when the brief
is beside the repository."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from conftest import rendered_macros

from sales_kpis import contract
from sales_kpis.project import project_dir

ROOT = project_dir()
SOURCES = ROOT / contract.CONTRACT_FILE
DOC = ROOT / "docs" / "spec" / "raw_contract.md"
BRIEF = ROOT.parent / "shared" / "spec" / "raw_contract.md"
MACROS = [ROOT / "macros" / "raw" / "raw_contract.sql", ROOT / "macros" / "raw" / "contract_rules.sql"]


# --------------------------------------------------------------------------- the dbt side


def _graph() -> dict:
    """`graph.sources` as dbt builds it from the yml: a table's meta includes its source's meta."""
    source = next(s for s in yaml.safe_load(SOURCES.read_text())["sources"] if s["name"] == "crm")
    nodes = {}
    for table in source["tables"]:
        nodes[f"source.sales_kpis.crm.{table['name']}"] = {
            "package_name": "sales_kpis", "source_name": "crm", "name": table["name"],
            "meta": {**source["config"]["meta"], **table["config"]["meta"]},
            "columns": {
                column["name"]: {"name": column["name"], "data_type": column["data_type"],
                                 "meta": (column.get("config") or {}).get("meta") or {}}
                for column in table["columns"]
            },
        }
    return {"sources": nodes}


@pytest.fixture(scope="module")
def jinja_macros():
    """The macros rendered with plain Jinja, dbt's `return()` handing back the value, as dbt's macro calls do."""
    with rendered_macros(MACROS, {"execute": True, "project_name": "sales_kpis", "graph": _graph()}) as module:
        yield module


def test_dbt_reads_the_same_tables_columns_and_keys(jinja_macros):
    tables = jinja_macros.raw_contract()
    assert list(tables) == list(contract.TABLES)
    for name, table in contract.TABLES.items():
        assert tables[name]["required"] is table.required, name
        assert tuple(tables[name]["primary_key"]) == table.primary_key, name
        assert [(c["name"], c["type"], c["nullable"], c["optional"]) for c in tables[name]["columns"]] == [
            (c.name, c.type, c.nullable, c.optional) for c in table.columns], name


@pytest.mark.parametrize("table", list(contract.TABLES))
def test_dbt_expands_the_catalogue_as_the_runner_does(jinja_macros, table):
    assert jinja_macros.contract_rules(table) == [dataclasses.asdict(rule) for rule in contract.TABLES[table].rules]


# --------------------------------------------------------------------------- the catalogue itself


def test_required_and_optional_tables():
    assert contract.REQUIRED_TABLES == ["users", "accounts", "leads", "opportunities", "opportunity_stage_history",
                                        "subscriptions", "quotas", "targets"]
    assert set(contract.OPTIONAL_TABLES) == {"products", "exchange_rates", "activities", "stages",
                                             "opportunity_history"}


def test_keys_and_references_name_contract_columns():
    for table in contract.TABLES.values():
        for key in table.primary_key:
            assert key in table.column_names, f"{table.name}: primary key {key} is not a column"
        for foreign_key in table.foreign_keys:
            assert foreign_key.ref_column in contract.TABLES[foreign_key.ref_table].column_names, foreign_key


def test_every_rule_is_well_formed():
    problems = []
    for table in contract.TABLES.values():
        for rule in table.rules:
            where = f"{table.name}.{rule.column} {rule.problem}"
            if rule.problem not in contract.PROBLEMS and rule.problem != "null_key":
                problems.append(f"{where}: problem not in the vocabulary")
            if rule.severity not in contract.SEVERITIES:
                problems.append(f"{where}: severity {rule.severity}")
            if rule.severity == contract.RECORD and not rule.repair or rule.severity == contract.STRUCTURAL and rule.repair:
                problems.append(f"{where}: a repair when record-level (a warning may say what the build does), never when structural")
            if rule.stage not in (None, "open", "closed") or rule.stage and (rule.kind != "row" or table.name != "opportunities"):
                problems.append(f"{where}: stage is open or closed, on a row rule of the opportunities")
            placeholders = re.findall(r"\{(\w+)\}", rule.message)
            if any(name not in table.column_names for name in placeholders + [rule.column]):
                problems.append(f"{where}: names a column the table lacks: {placeholders}")
            if "{{" in rule.fails + rule.message + (rule.repair or "") or "{%" in rule.fails + rule.message:
                problems.append(f"{where}: Jinja in the catalogue (dbt would render it while parsing)")
    assert not problems, "\n".join(problems)


def test_every_row_rule_is_valid_sql_over_the_contract_columns():
    import duckdb

    with duckdb.connect() as connection:
        for table in contract.TABLES.values():
            columns = ", ".join(f"cast(null as {contract.LOGICAL_TYPES[c.type].duckdb}) as {c.name}"
                                for c in table.columns)
            for rule in table.rules:
                if rule.kind in ("row", "table"):
                    connection.execute(f"select {rule.fails} from (select {columns}) as t")


def test_default_stages_are_the_seed_and_a_coherent_funnel():
    assert [stage[0] for stage in contract.DEFAULT_STAGES][:2] == ["Prospecting", "Discovery"]
    won = [stage for stage in contract.DEFAULT_STAGES if stage[3]]
    assert len(won) == 1 and won[0][2], "exactly one won stage, and it is closed"
    numbered = [stage[1] for stage in contract.DEFAULT_STAGES if stage[1] is not None]
    assert won[0][1] == max(numbered), "the won stage has the highest number"
    assert 0 in numbered, "a pre-pipeline stage 0"
    lost = [stage for stage in contract.DEFAULT_STAGES if stage[2] and not stage[3]]
    assert lost and all(stage[1] is None for stage in lost), "lost stages have no number"
    assert all(0 <= stage[4] <= 1 for stage in contract.DEFAULT_STAGES)


def test_one_type_map_for_the_runner():
    import pyarrow as pa

    assert {name: str(contract.arrow_type(name)) for name in contract.LOGICAL_TYPES} == {
        "text": "string", "timestamp": "timestamp[us]", "date": "date32[day]", "decimal": "double",
        "integer": "int32", "boolean": "bool"}
    assert isinstance(contract.arrow_type("text"), pa.DataType)
    amount = (ROOT / "macros" / "utils" / "type_amount.sql").read_text()
    assert contract.LOGICAL_TYPES["decimal"].duckdb.replace(" ", "").lower() in amount.replace(" ", "").lower()


# --------------------------------------------------------------------------- the document


def doc_tables(text: str) -> dict[str, dict]:
    """{table: {columns: [(name, type, nullable, optional, fk table)], primary_key}} from the page's
    `## table` headings, their markdown tables and `Primary key: (...)` lines."""
    tables: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^## (\w+)", line)
        if heading:
            current = heading.group(1) if heading.group(1) != "Bad" else None
            if current:
                tables[current] = {"columns": [], "primary_key": ()}
            continue
        if current is None:
            continue
        key = re.match(r"^Primary key: \(([^)]*)\)", line)
        if key:
            tables[current]["primary_key"] = tuple(part.strip() for part in key.group(1).split(","))
        row = re.match(r"^\| *(\w+) *\| *([^|]*)\|", line)
        if row and row.group(1) != "column":
            name, flags = row.group(1), [part.strip() for part in row.group(2).split(",")]
            fk = next((flag.split()[1] for flag in flags if flag.startswith("FK ")), None)
            tables[current]["columns"].append(
                (name, flags[0].split()[0], "nullable" in flags, "column optional" in flags, fk))
            if "PK" in flags:
                tables[current]["primary_key"] = (name,)
    return {name: table for name, table in tables.items() if table["columns"]}


def doc_rules(text: str) -> set[tuple[str, str, str, str, str]]:
    """(table, column, problem, severity, what the build does) from the page's rules table."""
    section = text.split("### The rules", 1)[1]
    rows = re.findall(r"^\| *(\w+) *\| *(\w+) *\| *(\w+) *\| *(\w+) *\| *([^|]*?) *\|$", section, re.M)
    return {row for row in rows if row[0] != "table"}


def test_the_document_says_what_the_machine_contract_says():
    text = DOC.read_text()
    documented = doc_tables(text)
    assert set(documented) == set(contract.TABLES)
    for name, table in contract.TABLES.items():
        expected = [(c.name, c.type, c.nullable, c.optional, c.foreign_key.ref_table if c.foreign_key else None)
                    for c in table.columns]
        assert documented[name]["columns"] == expected, name
        assert documented[name]["primary_key"] == table.primary_key, name
    required = re.search(r"^Required tables: (.*?)\.$", text, re.M | re.S).group(1)
    assert re.findall(r"`(\w+)`", required) == contract.REQUIRED_TABLES


def test_the_document_lists_every_rule_and_what_the_build_does():
    rules = set()
    for table in contract.TABLES.values():
        for rule in table.rules:
            if rule.problem == "null_key" or (rule.problem == "null_required" and rule.severity != contract.RECORD):
                continue  # the columns' types say it
            rules.add((table.name, rule.column, rule.problem, rule.severity))
    documented = doc_rules(DOC.read_text())
    assert {row[:4] for row in documented} == rules
    for table, column, problem, severity, build in documented:
        rule = next(r for r in contract.TABLES[table].rules if (r.column, r.problem, r.severity) == (column, problem, severity))
        expected = {contract.RECORD: rule.repair, contract.STRUCTURAL: "stops",
                    contract.WARNING: rule.repair or "ignores it"}[severity]
        assert build.startswith(expected), (table, column, problem, build)


def test_the_document_does_not_point_outside_the_repository():
    text = DOC.read_text()
    assert "../" not in text and "shared" not in text


@pytest.mark.skipif(not BRIEF.is_file(), reason="the brief is not beside the repository")
def test_the_document_covers_every_table_and_column_of_the_brief():
    """Every table and column of the brief, with its type, is in the product's copy (which may say more)."""
    documented = doc_tables(DOC.read_text())
    for name, table in doc_tables(BRIEF.read_text()).items():
        assert name in documented, f"the brief's table {name} is not documented"
        ours = {column[0]: column[1] for column in documented[name]["columns"]}
        for column, type_, *_ in table["columns"]:
            assert ours.get(column) == type_, f"{name}.{column}: the brief says {type_}, the document {ours.get(column)}"
