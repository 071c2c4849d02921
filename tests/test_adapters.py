"""The Salesforce and HubSpot source adapters, end to end.

One generated company (the session's `generated_raw_dir`) is rewritten in the
shape Fivetran syncs each CRM (:mod:`renditions`, a test fixture) and built with
``crm_source: salesforce`` / ``hubspot``: every mart (``fct_*``, ``dim_*``,
``kpi_*``) must equal, row for row, the mart built from the canonical data
(`built_warehouse`). Then: two CRM connections unioned (``crm_unions``) at the
staging level, the public Fivetran Salesforce sample's real column set, and the
structural error naming missing adapter tables.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import AS_OF, build_ok, connect, copy_warehouse, describe_run, run_build, unique_keys

import renditions  # tests/renditions.py: the CRM-shaped fixtures

pytestmark = pytest.mark.slow

SAMPLE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "salesforce_fivetran_sample"
MART_PREFIXES = ("fct_", "dim_", "kpi_")
#: The marts with source_relation in their grain (docs/decisions/0011-source-relation.md).
PER_CONNECTION_MARTS = ("kpi_lead_generation", "kpi_pipeline_creation", "kpi_pipeline_cohorts", "kpi_funnel_diagnosis",
                        "kpi_new_business", "kpi_arr_movements", "kpi_retention", "kpi_sdr_roi_cohorts",
                        "kpi_team_attainment")
#: Marts where source_relation is an attribute of the row (a rep, an SDR, a product).
ATTRIBUTE_MARTS = ("fct_leads", "fct_opportunities", "dim_accounts", "dim_users", "kpi_rep_attainment", "kpi_sdr_roi",
                   "kpi_product_launch", "kpi_product_launch_attainment")
#: Company-level marts: summed over connections, no source_relation.
COMPANY_MARTS = ("kpi_org_attainment", "kpi_forecast", "kpi_forecast_backtest", "kpi_forecast_categories",
                 "kpi_pipeline_coverage", "kpi_deal_slippage")


# --------------------------------------------------------------------------- helpers


def mart_tables(database: Path) -> list[str]:
    """The marts layer: every fct_ / dim_ / kpi_ table of the warehouse's main schema."""
    with connect(database) as connection:
        rows = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()
    return sorted(name for (name,) in rows if name.startswith(MART_PREFIXES))


def mart_frame(database: Path, name: str) -> pd.DataFrame:
    with connect(database) as connection:
        return connection.execute(f"select * from main.{name}").df()


def translate_ids(frame: pd.DataFrame, id_maps: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Canonical ids replaced by the CRM's, also inside composite keys ("metric|*|P004|...")."""
    lookup = {key: value for mapping in id_maps.values() for key, value in mapping.items()}
    frame = frame.copy()
    for column in frame.columns:
        if not (pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column])):
            continue
        values = frame[column].dropna()
        if values.empty or not all(isinstance(value, str) for value in values):
            continue

        def translate(value):
            if not isinstance(value, str):
                return value
            if value in lookup:
                return lookup[value]
            if "|" in value:
                return "|".join(lookup.get(part, part) for part in value.split("|"))
            return value

        frame[column] = frame[column].map(translate)
    return frame


def canonical_form(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order; floats rounded to 1e-9 (rates), so row order never depends on float noise."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(9)
    columns = list(frame.columns)
    return frame.sort_values(columns, na_position="last", kind="stable").reset_index(drop=True)


def split_source_relation(name: str, frame: pd.DataFrame, expected: str, problems: list[str]) -> pd.DataFrame:
    """The frame without its source_relation column, after checking every row carries `expected`."""
    if "source_relation" not in frame.columns:
        return frame
    values = set(frame["source_relation"].dropna().unique()) | ({None} if frame["source_relation"].isna().any() else set())
    if values - {expected}:
        problems.append(f"{name}.source_relation: {sorted(map(str, values))} != [{expected!r}]")
    return frame.drop(columns=["source_relation"])


def compare_frame(name: str, expected: pd.DataFrame, actual: pd.DataFrame, problems: list[str]) -> int:
    """Append to problems how actual differs from expected (same columns, any row order); returns rows compared."""
    expected, actual = canonical_form(expected), canonical_form(actual)
    if len(expected) != len(actual):
        problems.append(f"{name}: {len(actual)} rows, canonical has {len(expected)}")
        return len(expected)
    for column in expected.columns:
        left, right = expected[column], actual[column]
        if pd.api.types.is_float_dtype(left) or pd.api.types.is_float_dtype(right):
            same = np.isclose(left.astype(float), right.astype(float), rtol=1e-9, atol=1e-9, equal_nan=True)
        else:
            same = (left == right) | (left.isna() & right.isna())
        if not bool(np.all(same)):
            first = int(np.flatnonzero(~np.asarray(same))[0])
            problems.append(f"{name}.{column}: row {first}: {right.iloc[first]!r} != canonical {left.iloc[first]!r}")
            break
    return len(expected)


def compare_marts(canonical_db: Path, other_db: Path, id_maps: dict | None = None,
                  source_relations: tuple[str, str] = ("canonical", "canonical")) -> tuple[int, int]:
    """Assert every mart of other_db equals canonical_db's (ids translated); returns (marts, rows) compared.

    source_relation differs by construction (var canonical_source_relation for canonical input, the
    connection's schema for an adapter): it is compared apart - every row of each warehouse must carry
    its expected value (source_relations) - and the rest of the mart row for row. So does where a stage's
    forecast category comes from (derived on canonical input, the CRM's with an adapter:
    test_stage_forecast_categories_come_from_the_crm); the category itself is compared.
    """
    names = mart_tables(canonical_db)
    assert names == mart_tables(other_db), "the two warehouses do not have the same marts"
    assert names, "no mart to compare"
    problems, rows = [], 0
    for name in names:
        expected = mart_frame(canonical_db, name)
        actual = mart_frame(other_db, name)
        if list(expected.columns) != list(actual.columns):
            problems.append(f"{name}: columns {list(actual.columns)} != {list(expected.columns)}")
            continue
        expected = split_source_relation(name, expected, source_relations[0], problems)
        actual = split_source_relation(name, actual, source_relations[1], problems)
        if name == "dim_stages":
            expected, actual = (frame.drop(columns=["forecast_category_source"]) for frame in (expected, actual))
        if id_maps:
            expected = translate_ids(expected, id_maps)
        rows += compare_frame(name, expected, actual, problems)
    assert not problems, "marts differ from the canonical build:\n  " + "\n  ".join(problems)
    return len(names), rows


def adapter_build(raw_dir: Path, workdir: Path, variables: dict, select: list[str] | None = None):
    return run_build(raw_dir, workdir, variables=variables, select=select or [])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def salesforce_rendition(generated_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> renditions.Rendition:
    return renditions.to_salesforce(generated_raw_dir, tmp_path_factory.mktemp("salesforce") / "raw")


@pytest.fixture(scope="module")
def hubspot_rendition(generated_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> renditions.Rendition:
    return renditions.to_hubspot(generated_raw_dir, tmp_path_factory.mktemp("hubspot") / "raw")


@pytest.fixture(scope="module")
def salesforce_warehouse(salesforce_rendition, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("salesforce_warehouse")
    run = adapter_build(salesforce_rendition.out_dir, workdir, {"crm_source": "salesforce"})
    assert build_ok(run), describe_run(run)
    return workdir / "wh.duckdb"


@pytest.fixture(scope="module")
def hubspot_warehouse(hubspot_rendition, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("hubspot_warehouse")
    run = adapter_build(hubspot_rendition.out_dir, workdir, {"crm_source": "hubspot"})
    assert build_ok(run), describe_run(run)
    return workdir / "wh.duckdb"


# --------------------------------------------------------------------------- renditions


def columns_of(path: Path) -> list[str]:
    with duckdb.connect() as connection:
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
        return [row[0] for row in connection.execute(f"describe select * from {reader}('{path}')").fetchall()]


def scalar(path: Path, sql: str):
    with duckdb.connect() as connection:
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
        connection.execute(f"create view t as select * from {reader}('{path}')")
        return connection.execute(sql).fetchone()[0]


def test_salesforce_rendition_exercises_the_connector_habits(salesforce_rendition):
    out = salesforce_rendition.out_dir
    # Salesforce's own (camelCase) names beside Fivetran's snake_case, a camelCase file name, a CSV table
    assert {"ConvertedOpportunityId", "MQL_Date__c", "IsDeleted", "_fivetran_active"} <= set(columns_of(out / "lead.parquet"))
    assert "Product2Id" in columns_of(out / "OpportunityLineItem.parquet")
    assert {"converted_opportunity_id"} & set(columns_of(out / "lead.parquet")) == set()
    assert "sdr_c" in columns_of(out / "opportunity.parquet")
    assert (out / "account.csv").exists()
    # rows the adapter must drop or not count
    assert scalar(out / "opportunity.parquet", "select count(*) from t where not _fivetran_active") > 0
    assert scalar(out / "lead.parquet", "select count(*) from t where not _fivetran_active") > 0
    assert scalar(out / "account.csv", "select count(*) from t where cast(is_deleted as boolean)") > 0
    assert scalar(out / "user.parquet", "select count(*) from t where _fivetran_deleted") > 0
    assert scalar(out / "OpportunityLineItem.parquet", "select count(*) from t where IsDeleted") > 0
    assert scalar(out / "opportunity_history.parquet", "select count(*) from t where not _fivetran_active") > 0
    # close-date and amount changes inside a stage: OpportunityHistory rows that enter no stage
    assert scalar(out / "opportunity_history.parquet", """select count(*) from (select StageName, lag(StageName) over
        (partition by OpportunityId order by CreatedDate) previous from t where _fivetran_active)
        where StageName = previous""") > 0
    # the stages' forecast categories as Salesforce writes them, a few overridden by hand
    assert {"Commit", "Best Case", "Pipeline"} <= {row for row in pd.read_parquet(
        out / "opportunity.parquet")["forecast_category_name"].dropna().unique()}
    # what Salesforce has no object for stays canonical; products and rates come from Salesforce objects
    for name in ("subscriptions", "quotas", "targets"):
        assert (out / f"{name}.parquet").exists()
    assert not (out / "products.parquet").exists() and (out / "product_2.parquet").exists()
    assert not (out / "exchange_rates.parquet").exists() and (out / "dated_conversion_rate.parquet").exists()


def test_hubspot_rendition_exercises_the_connector_habits(hubspot_rendition):
    out = hubspot_rendition.out_dir
    assert scalar(out / "contact.parquet", "select typeof(id) from t limit 1") == "BIGINT"
    assert scalar(out / "company.parquet", "select count(*) from t where is_deleted") > 0
    assert scalar(out / "owner.parquet", "select count(*) from t where _fivetran_deleted") > 0
    assert scalar(out / "deal_company.parquet", "select count(*) from t where type_id <> 5") > 0
    assert scalar(out / "deal_stage.parquet", "select count(*) from t where source = 'AUTOMATION_PLATFORM'") > 0
    assert scalar(out / "deal_stage.parquet", "select count(*) from t where not _fivetran_active") > 0
    assert scalar(out / "contact_property_history.parquet", "select count(*) from t where value = 'UNQUALIFIED'") > 0
    assert scalar(out / "line_item.parquet", "select count(*) from t where is_deleted") > 0
    assert scalar(out / "deal_pipeline_stage.parquet", "select count(*) from t where _fivetran_deleted") > 0
    assert scalar(out / "deal_pipeline_stage.parquet", "select count(*) from t where forecast_category = 'BEST_CASE'") > 0
    # close dates as epoch milliseconds and as ISO text; amounts as text
    assert scalar(out / "deal_property_history.parquet", "select count(*) from t where value like '17%' and name = 'closedate'") > 0
    assert scalar(out / "deal_property_history.parquet", "select count(*) from t where value like '%T00:00:00Z'") > 0
    assert scalar(out / "deal_property_history.parquet", "select count(*) from t where name = 'amount'") > 0
    # HR attributes HubSpot does not hold: a canonical users table keyed by owner id
    users = pd.read_parquet(out / "users.parquet")
    assert set(users["user_id"]) <= set(hubspot_rendition.id_maps["users"].values())
    assert users["full_name"].isna().all()


def test_rendition_refuses_what_the_crm_cannot_hold(tmp_path: Path, generated_raw_dir: Path):
    raw = tmp_path / "raw"
    shutil.copytree(generated_raw_dir, raw)
    leads = pd.read_parquet(raw / "leads.parquet")
    unconverted = leads["converted_at"].isna()
    leads.loc[leads.index[unconverted][0], "converted_account_id"] = "A-anything"
    leads.to_parquet(raw / "leads.parquet", index=False)
    with pytest.raises(renditions.NotRepresentable, match="converted_account_id but no converted_at"):
        renditions.to_hubspot(raw, tmp_path / "hubspot")


# --------------------------------------------------------------------------- the marts equal the canonical marts


def test_salesforce_marts_equal_the_canonical_marts(built_warehouse, salesforce_warehouse, record_property):
    marts, rows = compare_marts(built_warehouse.database, salesforce_warehouse,
                                source_relations=("canonical", "salesforce"))
    record_property("salesforce_marts_compared", marts)
    record_property("salesforce_rows_compared", rows)
    print(f"\nSalesforce rendition: {marts} marts, {rows} rows equal to the canonical build")


def test_hubspot_marts_equal_the_canonical_marts(built_warehouse, hubspot_warehouse, hubspot_rendition,
                                                  record_property):
    marts, rows = compare_marts(built_warehouse.database, hubspot_warehouse, hubspot_rendition.id_maps,
                                source_relations=("canonical", "hubspot"))
    record_property("hubspot_marts_compared", marts)
    record_property("hubspot_rows_compared", rows)
    print(f"\nHubSpot rendition: {marts} marts, {rows} rows equal to the canonical build (ids translated)")


#: Each deal's expected close date and amount as the models read opportunity_history (int_opportunity_versions),
#: one row per change: a save that changes neither (Salesforce's OpportunityHistory has a row for every save,
#: stage changes included) is not a change.
VERSION_CHANGES = """
    select opportunity_id, is_saved, valid_from, close_date, amount, arr_amount
    from (
        select *,
            lag(close_date) over deal as previous_close_date_value,
            lag(amount) over deal as previous_amount,
            row_number() over deal as version_number
        from {relation}
        window deal as (partition by opportunity_id order by valid_from)
    ) as versions
    where version_number = 1 or close_date is distinct from previous_close_date_value
        or amount is distinct from previous_amount
"""


def version_changes(database: Path) -> pd.DataFrame:
    with connect(database) as connection:
        schema = connection.execute("select table_schema from information_schema.tables "
                                    "where table_name = 'int_opportunity_versions'").fetchone()[0]
        return connection.execute(VERSION_CHANGES.format(relation=f"{schema}.int_opportunity_versions")).df()


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_opportunity_history_equals_the_canonical_one(crm, built_warehouse, request):
    """The CRM's history (Salesforce's OpportunityHistory, HubSpot's deal property history) gives the same
    changes of each deal's expected close date and amount, at the same moments, as the canonical
    opportunity_history (HubSpot saves only the property that changed: a null keeps the value)."""
    warehouse = request.getfixturevalue(f"{crm}_warehouse")
    expected = version_changes(built_warehouse.database)
    if crm == "hubspot":
        expected = translate_ids(expected, request.getfixturevalue("hubspot_rendition").id_maps)
    actual = version_changes(warehouse)
    changes = int(expected["is_saved"].sum())
    assert changes > len(expected["opportunity_id"].unique()), "the canonical data has changes after creation"
    problems: list[str] = []
    rows = compare_frame("opportunity_history changes", expected, actual, problems)
    assert not problems, "\n".join(problems)
    print(f"\n{crm}: {rows} versions ({changes} saved changes) equal to the canonical build")


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_stage_forecast_categories_come_from_the_crm(crm, request):
    """The stages config gives no category: every stage a current deal is in takes the CRM's (Salesforce's
    ForecastCategoryName, HubSpot's pipeline-stage category), and the marts equal the canonical ones above, so it
    was mapped onto the same category the canonical build derives."""
    warehouse = request.getfixturevalue(f"{crm}_warehouse")
    with connect(warehouse) as connection:
        sources = dict(connection.execute("""select stage_name, forecast_category_source from main.dim_stages
            where stage_name in (select stage_name from main.fct_opportunities)""").fetchall())
    assert sources and set(sources.values()) == {"crm"}, sources


def test_the_comparison_would_catch_a_difference(built_warehouse, salesforce_warehouse, tmp_path: Path):
    """compare_marts is not vacuous: one changed cent in one mart fails it."""
    copy = copy_warehouse(salesforce_warehouse, tmp_path / "changed.duckdb")
    with duckdb.connect(str(copy)) as connection:
        connection.execute("update main.fct_opportunities set arr_amount = arr_amount + 0.01 "
                           "where opportunity_id = (select min(opportunity_id) from main.fct_opportunities "
                           "where arr_amount > 0)")
    with pytest.raises(AssertionError, match="fct_opportunities.arr_amount"):
        compare_marts(built_warehouse.database, copy, source_relations=("canonical", "salesforce"))


def test_every_mart_carries_source_relation_as_designed(built_warehouse):
    """source_relation in the grain of the per-connection marts, a column of the attribute marts, absent from the
    company-level ones; with canonical input it is var canonical_source_relation everywhere."""
    names = mart_tables(built_warehouse.database)
    assert set(PER_CONNECTION_MARTS + ATTRIBUTE_MARTS + COMPANY_MARTS) <= set(names)
    with connect(built_warehouse.database) as connection:
        for name in PER_CONNECTION_MARTS + ATTRIBUTE_MARTS:
            values = connection.execute(f"select distinct source_relation from main.{name}").fetchall()
            assert values == [("canonical",)], (name, values)
        for name in COMPANY_MARTS:
            columns = [row[0] for row in connection.execute(f"describe main.{name}").fetchall()]
            assert "source_relation" not in columns, name
    manifest = json.loads(built_warehouse.manifest_path.read_text())
    for name in PER_CONNECTION_MARTS:
        assert "source_relation" in mart_grain(manifest, name), name


# --------------------------------------------------------------------------- two connections unioned


def prefixed(frame: pd.DataFrame, prefix: str, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        frame[column] = frame[column].map(lambda value: f"{prefix}:{value}" if isinstance(value, str) else value)
    return frame


def unprefixed(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Every text value's "<prefix>:" removed (the keys of a unioned connection)."""
    frame = frame.copy()
    marker = f"{prefix}:"
    for column in frame.columns:
        if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(
                lambda value: value[len(marker):] if isinstance(value, str) and value.startswith(marker) else value)
    return frame


#: Additive measures summed over source_relation in the union test, and the rows they are summed over.
ADDITIVE_MEASURES = {
    "kpi_lead_generation": (["leads_created", "sqls", "cohort_sqls", "active_sdrs"], None),
    # rep, team and manager rows are keyed by each connection's own ids: the company rows add up
    "kpi_pipeline_creation": (["stage1_opportunities", "stage1_pipeline_arr", "stage2_pipeline_arr"],
                              "level = 'company'"),
    "kpi_pipeline_cohorts": (["cohort_leads", "reached_stage1", "reached_stage2"], None),
    "kpi_funnel_diagnosis": (["leads_created", "sqls", "cohort_sqls_in_window", "active_sdrs"], None),
    "kpi_new_business": (["won_arr", "lost_arr", "won_opportunities", "new_logos", "paying_accounts"],
                         "level = 'company'"),
    "kpi_arr_movements": (["starting_arr", "new_arr", "expansion_arr", "churned_arr", "ending_arr",
                           "ending_customers"], None),
    "kpi_retention": (["base_arr", "retained_arr", "gross_retained_arr", "base_customers"], None),
    "kpi_sdr_roi_cohorts": (["sdrs_hired", "sdrs_observable", "horizon_won_arr", "horizon_cost"], None),
    # manager rows are keyed by each connection's own user ids; team rows share the team names
    "kpi_team_attainment": (["reps", "total_quota_amount", "total_bookings_arr"], "rollup_type = 'team'"),
}


def mart_grain(manifest: dict, name: str) -> list[str]:
    model_id = next(uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "model" and node["name"] == name)
    keys = unique_keys(manifest, model_id)
    if not keys:
        raise AssertionError(f"{name} has no unique key test")
    return max(keys, key=len)


def test_union_of_a_salesforce_and_a_hubspot_connection(generated_raw_dir: Path, built_warehouse, tmp_path: Path,
                                                         record_property):
    """The same company synced twice (Salesforce "eu", HubSpot "us"): every staged record twice, keys prefixed;
    every per-connection mart has each connection's rows, each equal to the canonical build of the company
    (the connection built alone), so an additive measure summed over source_relation is twice the canonical."""
    eu = renditions.to_salesforce(generated_raw_dir, tmp_path / "eu")
    us = renditions.to_hubspot(generated_raw_dir, tmp_path / "us")
    raw = tmp_path / "raw"
    raw.mkdir()
    canonical = renditions.read_canonical(generated_raw_dir)
    hs = {entity: mapping for entity, mapping in us.id_maps.items()}

    def hubspot_keys(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        frame = frame.copy()
        for column, entity in columns.items():
            frame[column] = frame[column].map(hs[entity])
        return frame

    subscriptions = pd.concat([
        prefixed(canonical["subscriptions"], "eu", ["subscription_id", "account_id", "product_id"]),
        prefixed(hubspot_keys(canonical["subscriptions"], {"account_id": "accounts", "product_id": "products"}),
                 "us", ["subscription_id", "account_id", "product_id"]),
    ])
    quotas = pd.concat([
        prefixed(canonical["quotas"], "eu", ["user_id"]),
        prefixed(hubspot_keys(canonical["quotas"], {"user_id": "users"}), "us", ["user_id"]),
    ])
    products = pd.concat([
        prefixed(canonical["products"], "eu", ["product_id"]),
        prefixed(hubspot_keys(canonical["products"], {"product_id": "products"}), "us", ["product_id"]),
    ])
    users = prefixed(pd.read_parquet(us.out_dir / "users.parquet"), "us", ["user_id", "manager_id"])
    for name, frame in {"subscriptions": subscriptions, "quotas": quotas, "products": products, "users": users,
                        "targets": prefixed(canonical["targets"], "eu", ["product_id"]),
                        "exchange_rates": canonical["exchange_rates"]}.items():
        frame.to_parquet(raw / f"{name}.parquet", index=False)

    unions = [
        {"source": "salesforce", "schema": "sf_eu", "name": "eu", "raw_dir": str(eu.out_dir)},
        {"source": "hubspot", "schema": "hs_us", "name": "us", "raw_dir": str(us.out_dir)},
    ]
    workdir = tmp_path / "warehouse"
    marts = PER_CONNECTION_MARTS + ATTRIBUTE_MARTS
    run = adapter_build(raw, workdir, {"crm_unions": unions},
                        select=["path:models/staging", "+path:models/core"] + [f"+{name}" for name in marts])
    assert build_ok(run), describe_run(run)
    database = workdir / "wh.duckdb"
    with connect(database) as connection:
        def rows(sql: str):
            return connection.execute(sql).fetchall()

        leads = canonical["leads"]
        live_leads = int((~leads["is_deleted"].astype("boolean").fillna(False)).sum())
        assert rows("select count(*) from main_staging.stg_crm__leads") == [(2 * live_leads,)]
        for model, key, count in [("stg_salesforce__leads", "lead_id", len(leads)),
                                  ("stg_hubspot__leads", "lead_id", len(leads)),
                                  ("stg_salesforce__opportunities", "opportunity_id", len(canonical["opportunities"])),
                                  ("stg_hubspot__opportunities", "opportunity_id", len(canonical["opportunities"]))]:
            relation = "eu" if "salesforce" in model else "us"
            assert rows(f"select source_relation, count(*), count(*) filter (where {key} like '{relation}:%') "
                        f"from main_staging.{model} group by 1") == [(relation, count, count)], model
        # the same company twice: twice the ARR, in the reporting currency, once per connection
        per_connection = rows("select substr(opportunity_id, 1, 2), count(*), sum(arr_amount) "
                              "from main.fct_opportunities group by 1 order by 1")
        assert [key for key, _, _ in per_connection] == ["eu", "us"]
        assert per_connection[0][1:] == per_connection[1][1:]
        users_file_only = rows("select count(*) from main_staging.stg_salesforce__users where user_id like 'us:%'")
        assert users_file_only == [(0,)], "a HubSpot user of the users file leaked into the Salesforce connection"
        # canonical tables beside the adapters are attributed by their keys' prefix
        for model, key in [("stg_crm__quotas", "user_id"), ("stg_crm__subscriptions", "account_id"),
                           ("stg_crm__products", "product_id"), ("stg_crm__users", "user_id")]:
            assert rows(f"select source_relation, count(*) from main_staging.{model} "
                        f"where {key} not like source_relation || ':%' group by 1") == [], model
        # attribute marts: both connections, each row's connection the one its key names
        for name, key in [("fct_leads", "lead_id"), ("fct_opportunities", "opportunity_id"),
                          ("dim_accounts", "account_id"), ("dim_users", "user_id"),
                          ("kpi_rep_attainment", "user_id"), ("kpi_sdr_roi", "user_id"),
                          ("kpi_product_launch", "product_id")]:
            assert rows(f"select distinct source_relation from main.{name} order by 1") == [("eu",), ("us",)], name
            assert rows(f"select count(*) from main.{name} where {key} not like source_relation || ':%'") == [(0,)], name

    manifest = json.loads((workdir / "target" / "manifest.json").read_text())
    problems, compared = [], 0
    for name in PER_CONNECTION_MARTS:
        union_frame = mart_frame(database, name)
        canonical_frame = mart_frame(built_warehouse.database, name).drop(columns=["source_relation"])
        assert set(union_frame["source_relation"]) == {"eu", "us"}, name
        # the grain needs source_relation: without it the two connections' rows collide
        grain = mart_grain(manifest, name)
        assert "source_relation" in grain, (name, grain)
        others = [column for column in grain if column != "source_relation"]
        assert union_frame.duplicated(others).any(), f"{name}: no row would collide without source_relation"
        assert not union_frame.duplicated(grain).any(), f"{name}: grain {grain} not unique"
        # each connection's rows are the company's figures, as the connection built alone
        for connection, id_maps in (("eu", None), ("us", us.id_maps)):
            part = unprefixed(union_frame[union_frame["source_relation"] == connection]
                              .drop(columns=["source_relation"]), connection)
            expected = translate_ids(canonical_frame, id_maps) if id_maps else canonical_frame
            compared += compare_frame(f"{name} ({connection})", expected, part, problems)
        # additive measures summed over source_relation: twice the company's canonical figures
        measures, where = ADDITIVE_MEASURES[name]
        keys = [column for column in others if column != "rollup_key" or where]
        union_rows = union_frame.query(where.replace(" = ", " == ")) if where else union_frame
        canonical_rows = canonical_frame.query(where.replace(" = ", " == ")) if where else canonical_frame
        summed = union_rows.groupby(keys, dropna=False)[measures].sum().astype(float)
        doubled = (canonical_rows.groupby(keys, dropna=False)[measures].sum() * 2).astype(float)
        if not (summed.index.equals(doubled.index) and np.allclose(summed.values, doubled.values, atol=0.005)):
            problems.append(f"{name}: {measures} summed over source_relation != twice the canonical figures")
    assert not problems, "per-connection marts of the union:\n  " + "\n  ".join(problems)
    record_property("union_rows_compared", compared)
    print(f"\nUnion eu + us: {len(PER_CONNECTION_MARTS)} per-connection marts, {compared} rows compared per connection")


# --------------------------------------------------------------------------- the public Fivetran Salesforce sample


SAMPLE_TABLES = ["account", "opportunity", "opportunity_history", "lead", "user", "user_role",
                 "opportunity_line_item", "product_2", "contact", "event", "task", "order"]


def sample_stages(sample: Path) -> pd.DataFrame:
    """A stages config with the sample's (hashed) stage names, closed / won as the sample flags them."""
    frames = [pd.read_csv(sample / f"sf_{name}_data.csv", dtype=str) for name in ("opportunity", "opportunity_history")]
    rows = pd.concat([frame[["stage_name", "is_closed", "is_won"]] for frame in frames]).dropna(subset=["stage_name"])
    flags = rows.assign(is_closed=rows["is_closed"].str.lower() == "true", is_won=rows["is_won"].str.lower() == "true")
    flags = flags.groupby("stage_name")[["is_closed", "is_won"]].max().reset_index().sort_values("stage_name")
    open_stages = flags[~flags["is_closed"]]["stage_name"].tolist()
    numbers = {name: index for index, name in enumerate(open_stages, start=1)}
    won = len(open_stages) + 1
    flags["stage_number"] = [numbers.get(name, won if is_won else None)
                             for name, is_won in zip(flags["stage_name"], flags["is_won"])]
    flags["stage_number"] = flags["stage_number"].astype("Int64")
    flags["forecast_probability"] = np.where(flags["is_won"], 1.0, np.where(flags["is_closed"], 0.0, 0.5))
    return flags[["stage_name", "stage_number", "is_closed", "is_won", "forecast_probability"]]


def write_minimal_canonical(raw: Path) -> None:
    """The canonical tables Salesforce has no object for, as a user would start: headers, no rows."""
    (raw / "subscriptions.csv").write_text("subscription_id,account_id,product_id,starts_on,ends_on,arr,currency\n")
    (raw / "quotas.csv").write_text("user_id,period_start,period_end,quota_amount\n")
    (raw / "targets.csv").write_text("period_start,period_end,metric,segment,product_id,target_value\n")


@pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason=f"Fivetran Salesforce sample not found in {SAMPLE_DIR}")
def test_the_public_fivetran_salesforce_sample_builds(tmp_path: Path):
    """The real Fivetran column set builds: as synced (almost every record is soft-deleted), and an undeleted copy
    (same columns, is_deleted false) unioned beside it, so rows flow through every model."""
    raw, as_synced, undeleted = tmp_path / "raw", tmp_path / "as_synced", tmp_path / "undeleted"
    for directory in (raw, as_synced, undeleted):
        directory.mkdir()
    for name in SAMPLE_TABLES:
        source = SAMPLE_DIR / f"sf_{name}_data.csv"
        if not source.exists():
            continue
        shutil.copy(source, as_synced / f"{name}.csv")
        frame = pd.read_csv(source, dtype=str, keep_default_na=False)
        if "is_deleted" in frame.columns:
            frame["is_deleted"] = "false"
        frame.to_csv(undeleted / f"{name}.csv", index=False)
    write_minimal_canonical(raw)
    sample_stages(SAMPLE_DIR).to_csv(raw / "stages.csv", index=False)
    # the sample's Type picklist values are hashed: map them as a user maps their own
    types = pd.read_csv(SAMPLE_DIR / "sf_opportunity_data.csv", dtype=str)["type"].dropna().unique()
    variables = {
        "crm_unions": [
            {"source": "salesforce", "schema": "sf_sample", "name": "sample", "raw_dir": str(as_synced)},
            {"source": "salesforce", "schema": "sf_undeleted", "name": "undeleted", "raw_dir": str(undeleted)},
        ],
        "salesforce_opportunity_type_map": {value: "new_business" for value in types},
    }
    workdir = tmp_path / "warehouse"
    run = run_build(raw, workdir, as_of="2019-12-31", variables=variables)
    assert build_ok(run), describe_run(run)
    with connect(workdir / "wh.duckdb") as connection:
        def count(sql: str) -> int:
            return connection.execute(sql).fetchone()[0]

        opportunities = pd.read_csv(SAMPLE_DIR / "sf_opportunity_data.csv", dtype=str)
        current = opportunities[opportunities["_fivetran_active"].str.lower() != "false"]
        live = current[current["is_deleted"].str.lower() != "true"]
        assert count("select count(*) from main.fct_opportunities where opportunity_id like 'sample:%'") == len(live)
        assert count("select count(*) from main.fct_opportunities where opportunity_id like 'undeleted:%'") == len(current)
        assert len(current) > 0
        users = pd.read_csv(SAMPLE_DIR / "sf_user_data.csv", dtype=str)
        kept = users[(users["_fivetran_active"].str.lower() != "false") & (users["_fivetran_deleted"].str.lower() != "true")]
        assert count("select count(*) from main_staging.stg_crm__users where user_id like 'sample:%'") == len(kept)
        assert count("select count(*) from main_staging.stg_crm__opportunity_stage_history "
                     "where opportunity_id like 'undeleted:%'") > 0


# --------------------------------------------------------------------------- structural errors


def test_missing_adapter_and_canonical_tables_are_named(salesforce_rendition, tmp_path: Path):
    raw = tmp_path / "raw"
    shutil.copytree(salesforce_rendition.out_dir, raw)
    (raw / "lead.parquet").unlink()
    (raw / "quotas.parquet").unlink()
    run = adapter_build(raw, tmp_path / "warehouse", {"crm_source": "salesforce"})
    assert not build_ok(run)
    message = describe_run(run)
    assert "salesforce table 'lead' is missing" in message, message
    assert "raw table 'quotas' is missing" in message, message
    # the contract tables Salesforce provides are not asked for
    assert "raw table 'leads'" not in message and "raw table 'users'" not in message, message
