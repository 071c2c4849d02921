"""model_rules (decision 0015): one test node per model for its unique key and row rules.

The compiled test of the session build runs against a copy of its warehouse in
which chosen rows break chosen rules: it must return exactly the broken rules,
each with the number of rows that break it and the smallest key among them;
nothing for a row whose check is null (the single-rule tests' semantics); and
nothing at all on the unbroken warehouse.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from conftest import connect, copy_warehouse, relation


def compiled(built_warehouse, test_name: str) -> str:
    for result in built_warehouse.run.results:
        if result.resource_type == "test" and result.name == test_name:
            assert result.status == "pass", (result.status, result.message)
            assert result.compiled_code, f"{test_name}: no compiled code"
            return result.compiled_code
    raise AssertionError(f"the session build ran no test {test_name}")


def broken_rules(database, sql: str) -> dict[tuple[str, str], tuple[int, int, str | None]]:
    with connect(database) as connection:
        rows = connection.execute(f"select rule, checks, failing_rows, checked_rows, example_key from ({sql}) t").fetchall()
    found = {(rule, checks): (failing, checked, example) for rule, checks, failing, checked, example in rows}
    assert len(found) == len(rows), f"a rule reported twice: {rows}"
    return found


@pytest.fixture(scope="module")
def broken_copy(built_warehouse, tmp_path_factory):
    """A copy of the session warehouse (same file name, so the compiled relation names resolve)."""
    copy = tmp_path_factory.mktemp("model_rules") / built_warehouse.database.name
    return copy_warehouse(built_warehouse.database, copy)


def test_nothing_is_reported_when_every_rule_holds(built_warehouse):
    for name in ("model_rules_int_account_arr_movements", "model_rules_kpi_team_attainment", "model_rules_stg_crm__leads"):
        assert broken_rules(built_warehouse.database, compiled(built_warehouse, name)) == {}, name


def test_not_null_accepted_values_and_expressions_with_counts_and_the_smallest_failing_key(built_warehouse, broken_copy):
    table = relation(broken_copy, "int_account_arr_movements")
    with duckdb.connect(str(broken_copy)) as connection:
        keys = connection.execute(f"select account_id, cast(month_end as varchar) from {table} "
                                  "order by account_id, month_end limit 5").fetchall()
        checked = connection.execute(f"select count(*) from {table}").fetchone()[0]

        def update(key, assignment):
            connection.execute(f"update {table} set {assignment} where account_id = ? and month_end = cast(? as date)", key)

        update(keys[0], "segment = null")                              # not_null segment
        update(keys[1], "movement_type = 'bogus'")                     # accepted_values, twice
        update(keys[2], "movement_type = 'bogus'")
        update(keys[3], "net_new_arr = net_new_arr + 1")               # the first expression
        update(keys[4], "ending_arr = null, net_new_arr = null")       # null check: unknown, passes

    found = broken_rules(broken_copy, compiled(built_warehouse, "model_rules_int_account_arr_movements"))

    def key_text(key):
        return f"{key[0]}|{key[1]}"

    assert found == {
        ("not_null", "segment"): (1, checked, key_text(keys[0])),
        ("accepted_values", "movement_type"): (2, checked, key_text(keys[1])),
        ("expression", "net_new_arr = ending_arr - starting_arr"): (1, checked, key_text(keys[3])),
    }


def test_unit_interval_not_greater_than_and_a_duplicated_composite_key(built_warehouse, broken_copy):
    table = relation(broken_copy, "kpi_team_attainment")
    key_columns = ["rollup_type", "rollup_key", "source_relation", "period_start", "period_end"]
    order = ", ".join(key_columns)
    with duckdb.connect(str(broken_copy)) as connection:
        rows = connection.execute(f"select {order} from {table} where rollup_type = 'team' and reps > 0 "
                                  f"order by {order} limit 4").fetchall()
        where = " and ".join(f"{column} = ?" for column in key_columns)
        connection.execute(f"update {table} set win_rate = 1.5 where {where}", rows[0])        # in_unit_interval
        connection.execute(f"update {table} set ramped_reps = reps + 1 where {where}", rows[1])  # not_greater_than
        connection.execute(f"update {table} set ramped_reps = reps + 1 where {where}", rows[2])
        connection.execute(f"update {table} set win_rate = null where {where}", rows[3])       # null: passes
        connection.execute(f"insert into {table} select * from {table} where {where}", rows[3])  # duplicated key
        checked = connection.execute(f"select count(*) from {table}").fetchone()[0]

    found = broken_rules(broken_copy, compiled(built_warehouse, "model_rules_kpi_team_attainment"))

    def key_text(row):
        return "|".join(str(value) for value in row)

    assert found == {
        ("in_unit_interval", "win_rate"): (1, checked, key_text(rows[0])),
        ("not_greater_than", "ramped_reps <= reps"): (2, checked, key_text(rows[1])),
        ("unique_key", ", ".join(key_columns)): (1, checked, key_text(rows[3])),
    }


#: Single-rule generic tests that belong in a model's model_rules test unless they carry their own
#: configuration (a warn severity; the Spark-only not_null tests of decision 0014 are disabled here).
FOLDABLE = {"not_null", "unique", "accepted_values", "expression_is_true", "rate_in_unit_interval"}


def test_no_error_severity_row_rule_runs_as_a_test_of_its_own(built_warehouse):
    """Decision 0015 stays true as models are added: a model's error-severity key and row rules are
    arguments of its model_rules test, not test nodes of their own (~90 ms of dbt per node)."""
    manifest = json.loads(built_warehouse.manifest_path.read_text())
    single = sorted(
        node["name"] for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") in FOLDABLE
        and (node.get("attached_node") or "").startswith("model.")
        and node["config"]["severity"].lower() == "error")
    assert not single, f"fold these into their model's model_rules test: {single}"
    rules = [node for node in manifest["nodes"].values()
             if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") == "model_rules"]
    assert len({node["attached_node"] for node in rules}) == len(rules), "a model with two model_rules tests"
