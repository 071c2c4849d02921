"""Tests of the sample-data generator: contract shape, integrity, determinism, formats."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from sales_kpis.contract import DEFAULT_STAGES, TABLES
from sales_kpis.generate import GENERATED_TABLES, generate

END = "2026-10-31"
WRITTEN = [name for name in TABLES if name != "stages"]


def _open(directory: Path, fmt: str = "parquet") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in WRITTEN:
        path = directory / f"{name}.{fmt}"
        if fmt == "parquet":
            con.execute(f"create view {name} as select * from read_parquet('{path}')")
        else:
            con.execute(f"create view {name} as select * from read_csv('{path}', header = true, auto_detect = true)")
    rows = ", ".join(
        f"('{n}', {'null' if num is None else num}, {closed}, {won})" for n, num, closed, won, _p in DEFAULT_STAGES
    )
    con.execute(f"create table stages as select * from (values {rows}) t(stage_name, stage_number, is_closed, is_won)")
    return con


def _count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def _digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    counts = generate(out, seed=7, leads=3_000, end_date=END)
    return out, counts


@pytest.fixture(scope="module")
def con(data):
    return _open(data[0])


# --- shape ----------------------------------------------------------------------
def test_writes_every_table_but_stages(data):
    out, counts = data
    assert GENERATED_TABLES == WRITTEN
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in WRITTEN)
    assert list(counts) == WRITTEN
    for name in WRITTEN:
        assert pq.read_metadata(out / f"{name}.parquet").num_rows == counts[name], name
        if name != "products":
            assert counts[name] > 0, name
    assert counts["leads"] == 3_000


def test_columns_and_types_follow_the_contract(data):
    out, _ = data
    expected = {"text": "string", "timestamp": "timestamp[us]", "date": "date32[day]", "decimal": "double",
                "integer": "int32", "boolean": "bool"}
    for name in WRITTEN:
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.names == TABLES[name].column_names, name
        for column in TABLES[name].columns:
            assert str(schema.field(column.name).type) == expected[column.type], (name, column.name)


# --- integrity --------------------------------------------------------------------
def test_primary_keys_unique_and_not_null(con):
    for name in WRITTEN:
        spec = TABLES[name]
        keys = ", ".join(spec.primary_key)
        assert _count(con, f"select count(*) from (select {keys} from {name} group by all having count(*) > 1)") == 0, name
        for column in spec.columns:
            if not column.nullable:
                assert _count(con, f"select count(*) from {name} where {column.name} is null") == 0, (name, column.name)


def test_foreign_keys_resolve(con):
    for name in WRITTEN:
        for fk in TABLES[name].foreign_keys:
            if fk.ref_table not in WRITTEN:
                continue  # stage names are the seed's: test_stages_and_history
            orphans = _count(con, f"""
                select count(*) from {name} x where x.{fk.column} is not null and not exists
                (select 1 from {fk.ref_table} y where y.{fk.ref_column} = x.{fk.column})""")
            assert orphans == 0, (name, fk)
    # the lead of a converted lead's opportunity is that lead
    assert _count(con, """select count(*) from leads l join opportunities o
                          on o.opportunity_id = l.converted_opportunity_id where o.lead_id <> l.lead_id""") == 0
    assert _count(con, "select count(*) from opportunity_stage_history h where not exists "
                       "(select 1 from opportunities o where o.opportunity_id = h.opportunity_id)") == 0


def test_lead_funnel_is_ordered(con):
    assert _count(con, """select count(*) from leads where mql_at < created_at
        or sql_at < coalesce(mql_at, created_at) or converted_at < sql_at or disqualified_at < created_at
        or (converted_at is not null and (sql_at is null or converted_account_id is null))
        or (converted_opportunity_id is not null and converted_at is null)""") == 0
    # lead owners are SDRs employed when the lead was created
    assert _count(con, """select count(*) from leads l join users u on u.user_id = l.owner_id
        where u.role <> 'sdr' or l.created_at::date < u.hired_on or l.created_at::date > coalesce(u.left_on, date '9999-12-31')""") == 0
    # every source is present, ~1% null, and the deliberate oddities exist
    sources = {r[0] for r in con.execute("select distinct lead_source from leads").fetchall()}
    assert sources == {"inbound", "outbound", "partner", "event", "referral", None}
    assert _count(con, "select count(*) from leads where converted_at is not null") > 30
    assert _count(con, "select count(*) from leads where is_deleted") > 0
    assert _count(con, "select count(*) from leads where sql_at is not null and mql_at is null") > 0


def test_stages_and_history(con):
    names = {s[0] for s in DEFAULT_STAGES}
    for table in ("opportunities", "opportunity_stage_history"):
        found = {r[0] for r in con.execute(f"select distinct stage_name from {table}").fetchall()}
        assert found <= names, table
    # the last history row is the current stage, the first is at creation
    assert _count(con, """select count(*) from (select opportunity_id, arg_max(stage_name, entered_at) s,
        min(entered_at) first from opportunity_stage_history group by 1) h join opportunities o using (opportunity_id)
        where h.s <> o.stage_name or h.first <> o.created_at""") == 0
    # closed deals close on their last stage entry, never before creation
    assert _count(con, "select count(*) from opportunities where close_date < created_at::date") == 0
    assert _count(con, """select count(*) from (select opportunity_id, max(entered_at) last from opportunity_stage_history
        group by 1) h join opportunities o using (opportunity_id) join stages s using (stage_name)
        where s.is_closed and o.close_date <> h.last::date""") == 0
    # some deals have no history, some are lost then won, some move backwards
    assert _count(con, """select count(*) from opportunities o where not exists
        (select 1 from opportunity_stage_history h where h.opportunity_id = o.opportunity_id)""") > 0
    assert _count(con, """select count(*) from (select opportunity_id from opportunity_stage_history group by 1
        having count(*) filter (where stage_name = 'Closed Lost') > 0 and count(*) filter (where stage_name = 'Closed Won') > 0)""") > 0
    assert _count(con, """select count(*) from (select h.stage_name, s.stage_number,
        lag(s.stage_number) over (partition by opportunity_id order by entered_at) prev
        from opportunity_stage_history h join stages s using (stage_name)) where stage_number < prev""") > 0


def test_close_date_history(con):
    """Every deal's history starts at its creation and ends at its current close date and amount; between, the
    close date is pushed (once, or several times, also across a quarter), pulled in, and amounts are revised."""
    assert _count(con, """select count(*) from opportunities o left join (
        select opportunity_id, min(changed_at) first, arg_max(close_date, changed_at) close_date,
               arg_max(amount, changed_at) amount from opportunity_history group by 1) h using (opportunity_id)
        where h.first is distinct from o.created_at or h.close_date is distinct from o.close_date
           or h.amount is distinct from o.amount""") == 0
    assert _count(con, "select count(*) from opportunity_history h where not exists "
                       "(select 1 from opportunities o where o.opportunity_id = h.opportunity_id)") == 0
    moves = con.execute("""
        with h as (select opportunity_id, close_date, amount,
                   lag(close_date) over (partition by opportunity_id order by changed_at) previous_close,
                   lag(amount) over (partition by opportunity_id order by changed_at) previous_amount
                   from opportunity_history)
        select count(*) filter (where close_date > previous_close),
               count(*) filter (where close_date < previous_close),
               count(*) filter (where amount <> previous_amount),
               count(*) filter (where date_trunc('quarter', close_date) > date_trunc('quarter', previous_close)),
               count(*) filter (where close_date = previous_close and amount = previous_amount)
        from h""").fetchone()
    pushes, pull_ins, revisions, across_quarters, unchanged = moves
    assert pushes > 50 and pull_ins > 10 and revisions > 30 and across_quarters > 10, moves
    assert unchanged == 0, "a saved row changes something"
    assert _count(con, """select count(*) from (select opportunity_id from (select opportunity_id, close_date,
        lag(close_date) over (partition by opportunity_id order by changed_at) previous_close from opportunity_history)
        where close_date > previous_close group by 1 having count(*) >= 2)""") > 5


def test_amounts_and_currencies(con):
    assert _count(con, "select count(*) from opportunities where amount < 0") == 0
    assert _count(con, "select count(*) from subscriptions where arr <= 0 or ends_on <= starts_on") == 0
    assert _count(con, "select count(*) from quotas where quota_amount <= 0 or period_end < period_start") == 0
    currencies = {r[0] for r in con.execute("select distinct currency from opportunities").fetchall()}
    assert {"USD", "EUR", "GBP"} <= currencies
    # a rate on or before every date a non-USD amount needs one
    for table, day in (("opportunities", "close_date"), ("subscriptions", "date_trunc('month', starts_on)")):
        assert _count(con, f"""select count(*) from {table} x where x.currency in ('EUR', 'GBP') and not exists
            (select 1 from exchange_rates r where r.currency = x.currency and r.rate_date <= {day})""") == 0, table


def test_nothing_happens_after_end_date(con):
    cutoff = f"timestamp '{END}' + interval 1 day"
    for table, column in [
        ("leads", "created_at"), ("leads", "mql_at"), ("leads", "sql_at"), ("leads", "disqualified_at"),
        ("leads", "converted_at"), ("opportunities", "created_at"), ("opportunities", "updated_at"),
        ("opportunity_stage_history", "entered_at"), ("opportunity_history", "changed_at"), ("accounts", "created_at"), ("activities", "occurred_at"),
        ("subscriptions", "starts_on"), ("subscriptions", "ends_on"), ("users", "hired_on"), ("users", "left_on"),
        ("exchange_rates", "rate_date"), ("products", "launched_on"),
    ]:
        assert _count(con, f"select count(*) from {table} where {column} >= {cutoff}") == 0, (table, column)
    assert _count(con, f"""select count(*) from opportunities join stages using (stage_name)
        where is_closed and close_date > date '{END}'""") == 0
    # open deals mostly expect to close in the future; targets cover the fiscal year containing end_date
    assert _count(con, f"""select count(*) from opportunities join stages using (stage_name)
        where not is_closed and close_date > date '{END}'""") > 0
    assert _count(con, "select count(*) from targets where period_start = date '2026-01-01' and period_end = date '2026-12-31'") > 0
    assert _count(con, "select count(*) from subscriptions where ends_on is null") > 0


def test_business_shape(con):
    roles = dict(con.execute("select role, count(*) from users group by 1").fetchall())
    assert set(roles) == {"sdr", "ae", "am", "manager", "other"}
    assert all(roles[r] >= 2 for r in ("sdr", "ae", "am", "manager"))
    assert _count(con, "select count(*) from users where manager_id is null") == 1
    types = dict(con.execute("""select opportunity_type, count(*) from opportunities
                                where stage_name = 'Closed Won' group by 1""").fetchall())
    assert set(types) == {"new_business", "expansion", "renewal"}
    metrics = {r[0] for r in con.execute("select distinct metric from targets").fetchall()}
    assert {"new_business_arr", "net_new_arr", "expansion_arr", "sqls", "stage1_opportunities"} <= metrics
    launched = con.execute("select product_id, launched_on from products where launched_on > date '2024-01-01'").fetchall()
    assert len(launched) == 1
    product, launch = launched[0]
    assert _count(con, f"select count(*) from opportunities where product_id = '{product}' and created_at < date '{launch}'") == 0
    assert _count(con, f"select count(*) from targets where product_id = '{product}'") > 0


# --- determinism, formats, scale ---------------------------------------------------
def test_deterministic(tmp_path, data):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, seed=3, leads=1_000)
    generate(b, seed=3, leads=1_000)
    generate(c, seed=4, leads=1_000)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)
    assert _digest(a)["leads.parquet"] != _digest(c)["leads.parquet"]


def test_csv_matches_parquet(tmp_path):
    counts_csv = generate(tmp_path / "csv", seed=5, leads=1_000, fmt="csv")
    counts_pq = generate(tmp_path / "pq", seed=5, leads=1_000)
    assert counts_csv == counts_pq
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(f"{t}.csv" for t in WRITTEN)
    con = duckdb.connect()
    for name in WRITTEN:
        header = (tmp_path / "csv" / f"{name}.csv").read_text().splitlines()[0]
        assert header == ",".join(f'"{c}"' for c in TABLES[name].column_names), name
    # same values, ISO timestamps, empty for null
    diff = _count(con, f"""select count(*) from (
        select lead_id, created_at, sql_at, converted_opportunity_id, is_deleted from read_parquet('{tmp_path}/pq/leads.parquet')
        except select lead_id, created_at, sql_at, converted_opportunity_id, is_deleted
        from read_csv('{tmp_path}/csv/leads.csv', header = true, auto_detect = true))""")
    assert diff == 0
    line = (tmp_path / "csv" / "leads.csv").read_text().splitlines()[1]
    assert line.split(",")[1][:4].isdigit() and ",," in line


def test_row_counts_scale_with_leads(tmp_path):
    small = generate(tmp_path / "s", seed=1, leads=1_000)
    big = generate(tmp_path / "b", seed=1, leads=8_000)
    assert small["leads"] == 1_000 and big["leads"] == 8_000
    for name in ("accounts", "opportunities", "opportunity_stage_history", "subscriptions", "activities"):
        assert big[name] > 2 * small[name], name


def test_other_date_range(tmp_path):
    counts = generate(tmp_path / "r", seed=2, leads=1_500, start_date="2023-04-01", end_date="2024-06-30")
    con = _open(tmp_path / "r")
    assert counts["leads"] == 1_500
    assert _count(con, "select count(*) from leads where created_at < date '2023-04-01' or created_at >= date '2024-07-01'") == 0
    assert _count(con, "select count(*) from opportunity_stage_history where entered_at >= date '2024-07-01'") == 0
    assert _count(con, "select count(*) from targets where period_end = date '2024-12-31'") > 0


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, fmt="xlsx")
    with pytest.raises(ValueError):
        generate(tmp_path, leads=0)
    with pytest.raises(ValueError):
        generate(tmp_path, start_date="2026-01-01", end_date="2026-02-01")


def test_owners_and_quotas(con):
    # new business is owned by an AE of the account's segment (AMs and AEs own expansions and renewals)
    assert _count(con, """select count(*) from opportunities o join users u on u.user_id = o.owner_id
        join accounts a using (account_id) where o.opportunity_type = 'new_business'
        and (u.role <> 'ae' or u.segment <> a.segment)""") == 0
    assert _count(con, """select count(*) from opportunities o join users u on u.user_id = o.owner_id
        where u.role not in ('ae', 'am')""") == 0
    # quotas: calendar quarters for AEs/AMs while employed, including a leaver's last quarter
    assert _count(con, """select count(*) from quotas q join users u using (user_id) where u.role not in ('ae', 'am')
        or q.period_end < u.hired_on or q.period_start > coalesce(u.left_on, date '9999-12-31')
        or q.period_end <> q.period_start + interval 3 month - interval 1 day""") == 0
    assert _count(con, """select count(*) from quotas q join users u using (user_id)
        where u.left_on between q.period_start and q.period_end - 1""") > 0


def test_funnel_story(tmp_path):
    """Last ~9 months: event leads surge with poor conversion while SDR headcount stays flat."""
    generate(tmp_path, seed=11, leads=40_000)
    con = _open(tmp_path)
    surge, before = "date '2026-02-03'", "date '2025-05-09'"  # end_date - 270 and - 540 days
    rows = con.execute(f"""
        select coalesce(lead_source, 'unknown') src, created_at >= {surge} late, count(*) n,
               avg((sql_at is not null)::int) sql_rate
        from leads where created_at >= {before} and created_at < date '{END}' - interval 60 day group by all""").fetchall()
    stats = {(src, late): (n, rate) for src, late, n, rate in rows}
    assert stats[("event", True)][0] > 2 * stats[("event", False)][0]
    assert stats[("event", True)][1] < 0.6 * stats[("event", False)][1]
    for src in ("inbound", "referral"):
        assert 0.7 < stats[(src, True)][1] / stats[(src, False)][1] < 1.4, src
    sdrs = con.execute(f"""select count(*) filter (where hired_on <= {surge} and coalesce(left_on, date '9999-12-31') >= {surge}),
        count(*) filter (where hired_on <= date '{END}' and coalesce(left_on, date '9999-12-31') >= date '{END}')
        from users where role = 'sdr'""").fetchone()
    assert sdrs[1] <= sdrs[0] + 1


# --- memory: staff pickers and row groups (same data, less held at once) ---------------
def _dense_picks(users, team: int, ramp_weighted: bool, rng, days):
    """The staff picker over the whole days x members weight matrix (what _Staff stores in part)."""
    import numpy as np

    members = np.nonzero(users.rep_team == team)[0]
    all_days = np.arange(users.S, users.E + 1, dtype=np.int64)
    w = ((users.hired[members][None, :] <= all_days[:, None])
         & (all_days[:, None] <= users.left[members][None, :])).astype(np.float64)
    if ramp_weighted:
        months = (all_days[:, None] - users.hired[members][None, :]) / 30.44
        w *= np.clip(0.25 + 0.75 * months / users.ramp[members][None, :], 0.25, 1.0)
    cum = np.cumsum(w, axis=1)
    grid = (cum / cum[:, -1:] + np.arange(len(all_days))[:, None]).ravel()
    d = np.clip(np.asarray(days, dtype=np.int64) - users.S, 0, len(all_days) - 1)
    pos = np.searchsorted(grid, d + rng.random(len(d)) * (1 - 1e-9), side="right")
    return members[np.clip(pos - d * len(members), 0, len(members) - 1)], w.sum(axis=1)


def test_staff_picks_whom_the_whole_weight_matrix_would():
    import numpy as np

    from sales_kpis import generate as gen

    start, end = gen._day("2024-01-01"), gen._day(END)
    users = gen._Users(np.random.default_rng(11), 200_000, start, end, end - 270)
    days = np.random.default_rng(5).integers(start - 10, end + 10, 50_000)
    for team in range(len(gen._TEAM_SPECS)):
        weighted = gen._TEAM_SPECS[team][1] != "sdr"
        staff = gen._Staff(users, team, ramp_weighted=weighted)
        expected, weight = _dense_picks(users, team, weighted, np.random.default_rng(team), days)
        assert (staff.pick(np.random.default_rng(team), days) == expected).all(), team
        assert (staff.weight == weight).all(), team
        assert len(staff.grid) < 0.9 * len(weight) * len(np.unique(expected)), "only employed members are stored"


def test_tables_written_a_row_group_at_a_time_are_the_same_files(tmp_path, monkeypatch):
    from sales_kpis import generate as gen

    monkeypatch.setattr(gen, "ROW_GROUP_ROWS", 50)
    generate(tmp_path / "sliced", seed=9, leads=2_000)
    sizes = [metadata.row_group(i).num_rows for metadata in
             (pq.ParquetFile(path).metadata for path in (tmp_path / "sliced").iterdir())
             for i in range(metadata.num_row_groups)]
    assert max(sizes) == 50 and sizes.count(50) >= 20
    # the same tables written whole (Parquet then splits them into row groups of 50 rows)
    monkeypatch.setattr(gen._TableWriter, "write_rows", lambda self, n, columns: self.write(**columns(slice(0, n))))
    generate(tmp_path / "whole", seed=9, leads=2_000)
    assert _digest(tmp_path / "sliced") == _digest(tmp_path / "whole")
