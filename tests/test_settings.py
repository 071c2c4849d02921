"""The settings (dbt vars) and their catalogue of types (dbt_project.yml, var_types), read by both sides:
src/sales_kpis/settings.py (the runner, before dbt starts) and the check_vars() hook's macros (dbt run
directly), which must say the same thing about the same value. No dbt run here: the macros are rendered
with plain Jinja (conftest.rendered_macros)."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from conftest import rendered_macros

from sales_kpis import settings
from sales_kpis.project import project_dir

ROOT = project_dir()
MACROS = sorted((ROOT / "macros" / "settings").glob("*.sql"))


@pytest.fixture(scope="module")
def macros():
    import types

    context = {"modules": types.SimpleNamespace(re=re, datetime=datetime), "tojson": json.dumps, "execute": True}
    with rendered_macros(MACROS, context) as module:
        yield module


def test_every_var_has_a_type_and_every_default_is_of_its_type():
    defaults, catalogue = settings.defaults(), settings.catalogue()
    assert set(defaults) == {name for name in catalogue if "*" not in name}
    for name, value in defaults.items():
        assert settings.problem(catalogue[name], value) is None, (name, value)


def test_every_var_the_project_reads_is_a_setting():
    """A var() in a model, macro or yml names a var of the catalogue (its default in dbt_project.yml)."""
    read = set()
    for path in [*ROOT.glob("models/**/*.sql"), *ROOT.glob("models/**/*.yml"), *ROOT.glob("macros/**/*.sql"),
                 ROOT / "dbt_project.yml"]:
        read |= set(re.findall(r"""\bvar\(\s*["']([a-z0-9_]+)["']""", path.read_text()))
    unknown = sorted(name for name in read if settings.spec_of(name) is None and name != "var_types")
    assert not unknown


# Each type, values that are and are not of it (the injections of an attacker among them).
CORPUS = [
    ("as_of_date", value) for value in
    ["2026-10-31", None, "today", "", "2026-13-45", "2026-02-29", "2024-02-29", "2026-10-31' or '1'='1", 20261031,
     datetime.date(2026, 10, 31)]
] + [
    ("fiscal_year_start_month", value) for value in [1, 12, 0, 13, "2", "2.0", 2.0, True, "1 + 1", None]
] + [
    ("incremental", value) for value in [True, False, "true", 1, None]
] + [
    ("calendar_horizon_days", value) for value in [730, "730", "730 + (select 1)", -1, 3661, "7e2", " 730 "]
] + [
    ("loaded_cost_multiplier", value) for value in [1.0, 0, "1.5", "1.5; drop table x", 10.5, float("inf"), "1e3"]
] + [
    ("reporting_currency", value) for value in ["USD", "eur", " GBP ", "US", "USDX", "USD' || (select 1) || '", 840]
] + [
    ("raw_schema", value) for value in ["raw", "_raw2", "2raw", 'raw"; drop schema raw; --', "raw.schema", None]
] + [
    ("raw_database", value) for value in [None, "lake", "lake'x"]
] + [
    ("raw_dir", value) for value in [None, "data/raw", "it's raw", "/tmp/a b/[x]", 7]
] + [
    ("crm_source", value) for value in ["canonical", "Salesforce", "pipedrive", "hubspot' or 1=1"]
] + [
    ("bookings_opportunity_types", value) for value in
    [["new_business"], ["new_business", "expansion"], [], ["upsell"], "new_business", ["new_business'); drop"]]
] + [
    ("crm_unions", value) for value in
    [[], [{"source": "salesforce", "name": "eu", "schema": "sf_eu"}], [{"source": "salesforce", "nom": "x"}],
     [{"source": "salesforce", "name": "e'u"}], {"source": "salesforce"}]
] + [
    ("canonical_source_relation", value) for value in ["canonical", "crm-eu.2", "can'onical", ""]
] + [
    ("salesforce_fields", value) for value in
    [{}, {"leads": {"lead_source": "LeadSource__c"}}, {"leads": {"lead_source": "x) from y; --"}}, {"leads": "x"}]
] + [
    ("salesforce_role_map", value) for value in [[], [["%sales dev%", "sdr"]], [["%x' or 1=1 --", "sdr"]], [["%x%"]]]
] + [
    ("hubspot_opportunity_type_map", value) for value in [{}, {"New": "new_business"}, {"New": "upsell"}]
] + [
    ("salesforce_lead_identifier", value) for value in ["lead", "lead__c", "lead; drop"]
]


@pytest.mark.parametrize("name, value", CORPUS, ids=[f"{name}={value!r}" for name, value in CORPUS])
def test_the_runner_and_the_dbt_hook_say_the_same_of_a_value(macros, name, value):
    spec = settings.spec_of(name)
    python = settings.problem(spec, value) or ""
    jinja = macros.var_problem(spec, value)
    assert python == jinja


@pytest.mark.parametrize("name, value", [
    ("calendar_horizon_days", "730 + (select 1)"), ("reporting_currency", "USD' || (select 1) || '"),
    ("raw_schema", 'raw"; drop schema raw; --'), ("bi_reader_role", "reader' or '1'='1"),
    ("canonical_source_relation", "x' || current_user || '"), ("adapter_default_hired_on", "1900-01-01' || '"),
    ("salesforce_role_map", [["%' or 1=1 --", "sdr"]]), ("hubspot_disqualified_lead_statuses", ["X'); --"]),
])
def test_no_setting_admits_a_quote_where_other_macros_paste_it(name, value):
    assert settings.check({name: value}), f"{name}={value!r} passed"


def test_as_of_is_a_real_date():
    assert settings.check_as_of(" 2024-02-29 ") == "2024-02-29"
    for text in ("2026-13-45", "2026-02-29", "31/10/2026", "2026-10-31 00:00", "today"):
        with pytest.raises(settings.SettingError, match=re.escape(f"got '{text}'")):
            settings.check_as_of(text)


def test_an_unknown_setting_is_named_with_the_closest_one():
    [problem] = settings.check({"reportng_currency": "EUR"})
    assert problem.reason.startswith("is not a setting of this project (did you mean reporting_currency?)")


def test_the_build_settings_are_those_build_metadata_records():
    assert settings.build_settings({"reporting_currency": "eur"}, "2026-10-31") == {
        "as_of_date": "2026-10-31", "reporting_currency": "EUR", "fiscal_year_start_month": "1",
        "bookings_opportunity_types": "new_business,expansion"}
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert settings.build_settings({}, None)["as_of_date"] == today
