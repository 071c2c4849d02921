"""Whether `sales-kpis build` may take the incremental path, and the fingerprint of the raw data it keeps.

A plain build rebuilds every model in full (dbt var ``incremental`` false), so
the marts always equal a fresh build of the same raw data. The five
incremental facts (docs/decisions/0006-incremental.md) recompute only what
their look-back sees: rows with a timestamp in the last
``incremental_lookback_days`` before the last build's as-of date, and
subscriptions and exchange rates from that date's month on. A CRM re-sync can
restate older rows with no timestamp that says so, and the look-back would
serve stale marts. So a build may use the incremental path only when it can
prove that nothing outside the look-back changed
(docs/decisions/0030-full-builds-by-default.md):

1. After each successful build the runner stores, in the warehouse (schema
   ``build_state``), a fingerprint of every raw row the incremental facts read
   (key, hash of the row, and the dates the look-back judges it by) and the
   build's as-of date, look-back and project hash.
2. Before the next build it fingerprints the raw files again and compares. A
   row that changed, appeared or vanished is *covered* when the look-back will
   recompute what it touches:

   - opportunities, leads: the new version has a timestamp in the look-back
     (created_at or updated_at; a lead's lifecycle steps), or the row vanished
     (deleted rows are removed by the facts' post-hooks);
   - opportunity_stage_history: the entry is in the look-back, or its
     opportunity is (updated or created in it) or vanished;
   - subscriptions: old and new version agree on every month end before the
     look-back's month (the months the facts keep);
   - exchange_rates: the rate is dated in the look-back's month or later;
   - stages (a raw stages file): never.

   Tables the incremental facts do not read (users, accounts, quotas, ...)
   feed only the models rebuilt in full every time. Timestamps get one day of
   margin (raw text may carry a UTC offset the runner does not apply).
3. Any row not covered, a different project or vars, an as-of date before the
   last build's or more than ``incremental_max_gap_days`` after it, a warehouse
   whose facts another build wrote, a ``--select`` build, another engine or a
   CRM adapter: a full rebuild, with one line saying why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sales_kpis.dbt_runner import DbtOptions, EventCallback
from sales_kpis.project import default_raw_dir, project_dir
from sales_kpis.warehouse import in_memory, quoted, string_literal

#: Where the runner keeps what it knows of the last build, in the warehouse.
STATE_SCHEMA = "build_state"
#: The facts that are incremental with var incremental (their watermark column is built_as_of_date).
INCREMENTAL_FACTS = ("int_opportunity_stage_entries", "fct_leads", "int_account_product_arr_monthly",
                     "int_account_arr_monthly", "int_account_arr_movements")
#: The project files whose change changes what a build computes.
PROJECT_PATHS = ("dbt_project.yml", "models", "macros", "seeds")
#: Vars that do not change what the models compute from the same rows.
NEUTRAL_VARS = {"raw_dir", "as_of_date", "incremental"}

_TS = "try_cast({} as timestamp)"
_DATE = "try_cast({} as date)"

#: Per raw table the incremental facts read: the record key, and the dates the look-back judges a row by
#: (recent_at: a timestamp; entity_key: the opportunity of a stage entry; starts_on / ends_on: the
#: subscription's dates or the rate's date; rest: the columns hashed apart from ends_on).
TABLES: dict[str, dict[str, str]] = {
    "opportunities": {
        "key": "cast(opportunity_id as varchar)",
        "recent_at": f"greatest({_TS.format('created_at')}, {_TS.format('updated_at')})",
        "live": True,
    },
    "leads": {
        "key": "cast(lead_id as varchar)",
        "recent_at": "greatest(" + ", ".join(_TS.format(column) for column in
                                             ("created_at", "mql_at", "sql_at", "disqualified_at", "converted_at")) + ")",
        "live": True,
    },
    "opportunity_stage_history": {
        "key": ("cast(opportunity_id as varchar) || '|' || cast(stage_name as varchar) || '|' || "
                f"coalesce(cast({_TS.format('entered_at')} as varchar), cast(entered_at as varchar), '')"),
        "recent_at": _TS.format("entered_at"),
        "entity_key": "cast(opportunity_id as varchar)",
    },
    "subscriptions": {
        "key": "cast(subscription_id as varchar)",
        "starts_on": _DATE.format("starts_on"),
        "ends_on": _DATE.format("ends_on"),
        "rest": "ends_on",
    },
    "exchange_rates": {
        "key": f"upper(trim(cast(currency as varchar))) || '|' || coalesce(cast({_DATE.format('rate_date')} as varchar), '')",
        "starts_on": _DATE.format("rate_date"),
    },
    "stages": {
        "key": "cast(stage_name as varchar)",
    },
}


@dataclass
class Decision:
    """The path a build takes; reason says why it is a full rebuild (empty on the incremental path)."""

    incremental: bool
    reason: str = ""
    #: The as-of date, look-back and project the fingerprint was taken for (None: nothing to store).
    state: dict[str, Any] | None = None
    #: The connection holding the current fingerprint (table fingerprint), kept until it is stored.
    connection: Any = field(default=None, repr=False)
    #: A --select build: the stored fingerprint no longer describes every fact, so it is dropped.
    forget: bool = False
    #: Raw rows that changed since the last build, all covered by the look-back (incremental path).
    changed_rows: int = 0

    @property
    def message(self) -> str:
        if self.incremental:
            return (f"incremental build: {self.changed_rows:,} raw rows changed since the last build, "
                    "all within the look-back")
        return f"full build: {self.reason}" if self.reason else ""

    def store(self, database: Path) -> None:
        """Write the fingerprint and the state into a warehouse file (a --select build: drop them)."""
        if self.state is None and not self.forget:
            return
        connection, self.connection = self.connection or in_memory(), None
        try:  # closed whatever fails (a full disk invalidates the attached file)
            connection.execute(f"attach {string_literal(str(database))} as target_warehouse")
            connection.execute(f"drop schema if exists target_warehouse.{STATE_SCHEMA} cascade")
            if self.state is not None:
                connection.execute(f"create schema target_warehouse.{STATE_SCHEMA}")
                connection.execute(f"create table target_warehouse.{STATE_SCHEMA}.raw_fingerprints as "
                                   "select * from fingerprint")
                connection.execute(
                    f"create table target_warehouse.{STATE_SCHEMA}.last_build as select "
                    "cast(? as date) as as_of_date, cast(? as integer) as lookback_days, "
                    "cast(? as varchar) as project_hash, cast(current_timestamp as timestamp) as built_at",
                    [self.state["as_of_date"], self.state["lookback_days"], self.state["project_hash"]])
            connection.execute("detach target_warehouse")
        finally:
            connection.close()


# --------------------------------------------------------------------------- settings


def project_vars() -> dict[str, Any]:
    import yaml

    with (project_dir() / "dbt_project.yml").open() as handle:
        return dict(yaml.safe_load(handle).get("vars") or {})


def setting(options: DbtOptions, name: str) -> Any:
    """A dbt var as the build will see it: the options' value, else dbt_project.yml's."""
    return options.variables.get(name, project_vars().get(name))


def as_of_date(options: DbtOptions) -> dt.date:
    """The as-of date the build computes at (as macros/calendar/as_of_date.sql reads it)."""
    import os

    for value in (options.variables.get("as_of_date"), options.as_of, os.environ.get("SALES_KPIS_AS_OF_DATE")):
        if value not in (None, "", "none", "null", "today"):
            return dt.date.fromisoformat(str(value).strip())
    return dt.datetime.now(dt.timezone.utc).date()


def project_hash(options: DbtOptions) -> str:
    """A hash of what the models compute with: the project's files and the vars that change results."""
    digest = hashlib.sha256()
    root = project_dir()
    for top in PROJECT_PATHS:
        paths = [root / top] if (root / top).is_file() else sorted((root / top).rglob("*"))
        for path in paths:
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    variables = {key: value for key, value in options.variables.items() if key not in NEUTRAL_VARS}
    digest.update(json.dumps(variables, sort_keys=True, default=str).encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- the fingerprint


def raw_file(raw_dir: Path, table: str) -> tuple[Path, str] | None:
    """The raw file of a contract table and the DuckDB reader of it (as the build binds it), or None."""
    for suffix, reader in ((".parquet", "read_parquet({})"),
                           (".csv", "read_csv({}, header = true, all_varchar = true)")):
        path = raw_dir / f"{table}{suffix}"
        if path.is_file():
            return path, reader.format(string_literal(str(path.resolve())))
    return None


def fingerprint_sql(table: str, reader: str, columns: list[str]) -> str:
    """One row per record key of a raw table: its hash and the dates the look-back judges it by."""
    spec = TABLES[table]
    quoted = [f'"{column}"' for column in columns]
    rest = [name for name, column in zip(quoted, columns) if column != spec.get("rest")]
    live = ("where not coalesce(try_cast(is_deleted as boolean), false)"
            if spec.get("live") and "is_deleted" in columns else "")
    return f"""
        select
            {string_literal(table)} as table_name,
            {spec['key']} as record_key,
            sum(hash({', '.join(quoted)})) as row_hash,
            sum(hash({', '.join(rest)})) as rest_hash,
            max({spec.get('recent_at', 'cast(null as timestamp)')}) as recent_at,
            max({spec.get('entity_key', 'cast(null as varchar)')}) as entity_key,
            min({spec.get('starts_on', 'cast(null as date)')}) as starts_on,
            max({spec.get('ends_on', 'cast(null as date)')}) as ends_on
        from {reader}
        {live}
        group by all"""


def fingerprint(raw_dir: Path):
    """An in-memory DuckDB connection holding table fingerprint: every raw row the incremental facts read."""
    connection = in_memory()
    # typed and empty: the shape when no raw table is there
    selects = ["select '' as table_name, '' as record_key, cast(0 as hugeint) as row_hash, "
               "cast(0 as hugeint) as rest_hash, cast(null as timestamp) as recent_at, "
               "cast(null as varchar) as entity_key, cast(null as date) as starts_on, cast(null as date) as ends_on "
               "where false"]
    for table in TABLES:
        found = raw_file(Path(raw_dir), table)
        if found is None:
            continue
        columns = [row[0] for row in connection.execute(f"describe select * from {found[1]}").fetchall()]
        selects.append(fingerprint_sql(table, found[1], columns))
    connection.execute("create table fingerprint as " + "\nunion all\n".join(selects))
    return connection


#: Per table, when a changed, new or vanished record is covered by the look-back. c_ is the record now
#: (null columns when it vanished), o_ as the last build saw it (null when new); thr is the look-back
#: start plus the margin, first_month the first month the facts recompute.
_ANCHOR = ("case when {p}record_key is null or {p}starts_on >= first_month then null "
           "else hash({p}rest_hash, least(coalesce({p}ends_on, first_month), first_month)) end")
COVERED = {
    "opportunities": "c_record_key is null or c_recent_at >= thr",
    "leads": "c_record_key is null or c_recent_at >= thr",
    "opportunity_stage_history": (
        "coalesce(c_recent_at, o_recent_at) >= thr"
        " or coalesce(c_entity_key, o_entity_key) in (select record_key from now_opportunities where recent_at >= thr)"
        " or coalesce(c_entity_key, o_entity_key) not in (select record_key from now_opportunities)"),
    "subscriptions": f"({_ANCHOR.format(p='c_')}) is not distinct from ({_ANCHOR.format(p='o_')})",
    "exchange_rates": "coalesce(c_starts_on, o_starts_on) >= first_month",
    "stages": "false",
}


def uncovered_changes(connection, lookback_start: dt.date) -> tuple[dict[str, int], int]:
    """({table: rows changed that the look-back would not see}, rows changed in all) against `stored`."""
    threshold = dt.datetime.combine(lookback_start + dt.timedelta(days=1), dt.time())
    first_month = lookback_start.replace(day=1)
    connection.execute("create or replace temp table now_opportunities as "
                       "select record_key, recent_at from fingerprint where table_name = 'opportunities'")
    uncovered, changed = {}, 0
    columns = ["record_key", "row_hash", "rest_hash", "recent_at", "entity_key", "starts_on", "ends_on"]
    both = ", ".join(f"{side}.{column} as {side}_{column}" for side in ("c", "o") for column in columns)
    for table, covered in COVERED.items():
        row = connection.execute(f"""
            with
                c as (select * from fingerprint where table_name = ?),
                o as (select * from stored.{STATE_SCHEMA}.raw_fingerprints where table_name = ?),
                changes as (
                    select {both}, cast(? as timestamp) as thr, cast(? as date) as first_month
                    from c full outer join o on c.record_key = o.record_key
                    where c.row_hash is distinct from o.row_hash
                )
            select count(*), count(*) filter (where not coalesce({covered}, false)) from changes
        """, [table, table, threshold, first_month]).fetchone()
        changed += row[0]
        if row[1]:
            uncovered[table] = row[1]
    return uncovered, changed


# --------------------------------------------------------------------------- the decision


def decide(options: DbtOptions, published: Path | None) -> Decision:
    """The path of a build of options into the published warehouse (see the module doc)."""
    if options.target != "duckdb":
        return Decision(False)
    if options.select:
        return Decision(False, forget=True)
    if setting(options, "crm_source") not in (None, "canonical") or setting(options, "crm_unions"):
        return Decision(False, "the raw tables of a CRM adapter are not fingerprinted")
    as_of, lookback = as_of_date(options), int(setting(options, "incremental_lookback_days"))
    state = {"as_of_date": as_of.isoformat(), "lookback_days": lookback, "project_hash": project_hash(options)}
    connection = fingerprint(Path(options.raw_dir or default_raw_dir()))
    full = Decision(False, state=state, connection=connection)
    if options.full_refresh:
        return replace(full, reason="--full-refresh")
    if published is None or not published.exists():
        return full  # a first build says nothing: there is nothing to be stale
    connection.execute(f"attach {string_literal(str(published))} as stored (read_only)")
    try:
        return _compare(connection, full, as_of, lookback, int(setting(options, "incremental_max_gap_days")))
    finally:
        connection.execute("detach stored")


def _compare(connection, full: Decision, as_of: dt.date, lookback: int, max_gap: int) -> Decision:
    tables = {name for (name,) in connection.execute(
        "select table_name from duckdb_tables() where database_name = 'stored' and schema_name = ?",
        [STATE_SCHEMA]).fetchall()}
    if tables != {"raw_fingerprints", "last_build"}:
        return replace(full, reason="the warehouse keeps no fingerprint of the raw data of its last build")
    last_as_of, last_lookback, last_project = connection.execute(
        f"select as_of_date, lookback_days, project_hash from stored.{STATE_SCHEMA}.last_build").fetchone()
    if last_project != full.state["project_hash"] or last_lookback != lookback:
        return replace(full, reason="the project or its vars changed since the last build")
    if as_of < last_as_of:
        return replace(full, reason=f"the as-of date is before the last build's ({last_as_of})")
    if (as_of - last_as_of).days > max_gap:
        return replace(full, reason=f"more than {max_gap} days since the last build's as-of date ({last_as_of})")
    watermarks = set()
    for fact in INCREMENTAL_FACTS:
        found = connection.execute("select schema_name from duckdb_tables() where database_name = 'stored' "
                                   "and table_name = ?", [fact]).fetchall()
        if not found:
            return replace(full, reason=f"the warehouse has no {fact}")
        watermarks.add(connection.execute(
            f"select max(built_as_of_date) from stored.{quoted(found[0][0])}.{quoted(fact)}").fetchone()[0])
    if watermarks - {None} - {last_as_of}:  # an empty fact (no subscriptions) has no watermark
        return replace(full, reason="the incremental facts were written by another build than the last fingerprinted one")
    lookback_start = last_as_of - dt.timedelta(days=lookback)
    uncovered, changed = uncovered_changes(connection, lookback_start)
    if uncovered:
        rows = sum(uncovered.values())
        where = ", ".join(f"{table} {count:,}" for table, count in sorted(uncovered.items()))
        return replace(full, reason=f"{rows:,} raw rows changed that the {lookback}-day look-back "
                                    f"(from {lookback_start}) would not see: {where}")
    return replace(full, incremental=True, changed_rows=changed)


# --------------------------------------------------------------------------- the build


def build(options: DbtOptions, on_event: EventCallback | None = None,
          extra_args: list[str] | None = None, on_decision: Callable[[Decision], None] | None = None):
    """`dbt build` and publish (sales_kpis.publish), on the incremental path when decide() allows it.

    Returns (PublishResult, Decision). on_decision is told the decision before dbt starts.
    """
    from sales_kpis.publish import build_and_publish

    decided: dict[str, Decision] = {}

    def before_build(published: Path) -> DbtOptions:
        decision = decide(options, published)
        decided["decision"] = decision
        if on_decision is not None:
            on_decision(decision)
        variables = {key: value for key, value in options.variables.items() if key != "incremental"}
        if decision.incremental:
            variables["incremental"] = True
        # a full build of the whole project starts from an empty file (nothing stale is copied)
        refresh = options.full_refresh or not (decision.incremental or options.select)
        return replace(options, variables=variables, full_refresh=refresh)

    def after_build(staging: Path) -> None:
        decided["decision"].store(staging)

    if options.target != "duckdb":
        decision = decide(options, None)
        if on_decision is not None:
            on_decision(decision)
        return build_and_publish(options, on_event, extra_args), decision
    try:
        result = build_and_publish(options, on_event, extra_args,
                                   before_build=before_build, after_build=after_build)
    finally:
        leftover = decided.get("decision")
        if leftover is not None and leftover.connection is not None:
            leftover.connection.close()
    return result, decided["decision"]
