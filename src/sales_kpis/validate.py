"""Validate a raw-data directory against the raw contract (strict).

``validate(raw_dir)`` reads every ``<table>.parquet`` / ``<table>.csv`` in
``raw_dir`` into an in-process DuckDB database and runs set-based SQL (the row
checks of a table are one query; nothing loops over rows in Python), so a few
million rows take seconds. It never raises on bad data: every problem is reported by table, key
and column (``Problem``), and ``ValidationReport.ok`` is False as soon as one
problem is an error, so a pipeline can gate on it.

What is checked (see ``PROBLEMS`` for the vocabulary of ``Problem.problem``):

1. files: a required table is missing; a table exists both as ``.parquet`` and
   ``.csv`` (ambiguous); a file cannot be read; a contract column is missing
   (extra columns and files that are not contract tables only give a note);
   a Parquet column whose physical type cannot hold the contract type;
2. keys: duplicate primary keys (with how many times and on which rows), null
   primary-key columns (reported by row number, since there is no key);
3. values: dates, timestamps, decimals, integers and booleans that do not parse
   (CSV is read as text, so nothing is lost before it is checked; a blank value
   is null), and null values in required columns. A decimal must fit the
   build's money type ``AMOUNT_SQL_TYPE``; an integer must be integral ("3.0"
   is, "3.5" is not); a timestamp with a UTC offset is converted to UTC;
4. vocabularies: stage names not in the stages config (the user's ``stages``
   file when present, else ``contract.DEFAULT_STAGES``; exact match), user
   roles not in ``USER_ROLES`` and opportunity types not in
   ``OPPORTUNITY_TYPES`` (both trimmed and case-insensitive, as staging reads
   them); a user's stages file must also be coherent (a won stage exists, won
   implies closed, probabilities within 0..1);
5. orphaned foreign keys (every ``contract.ForeignKey``; null is fine; a
   foreign key into an optional table that is absent is skipped with a note),
   including history rows for unknown opportunities (``unknown_opportunity``);
6. negative amounts (opportunity and history amounts, subscription ARR, quota
   amounts, OTE), and exchange rates that are not positive;
7. close dates before creation, subscriptions ending before they start, quota
   and target periods ending before they start;
8. opportunities and subscriptions in a currency other than the reporting
   currency (upper-cased; null = reporting currency) with no exchange rate on
   or before the date their amount belongs to (an opportunity's close date; a
   subscription's first month end, which is the earliest month it needs a rate
   for, so later months are covered too).

Warnings (harmless oddities; ``ok`` stays True): lead funnel timestamps out of
order, a lead both disqualified and converted.

Rows flagged ``is_deleted`` are ignored, as the build ignores them, except by
the checks on the file itself (null keys, values that do not parse, required
values that are null); a deleted row still counts as the target of a foreign
key. Row numbers are 1-based data rows (a CSV header line is not counted). For each table and
problem at most ``max_examples`` rows are listed; when there are more, one
extra ``Problem`` with ``key=None`` says how many more (``"and 1,234 more
rows (1,254 in total)"``), and ``ValidationReport.totals`` always holds the
full count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sales_kpis import contract, warehouse

ERROR = "error"
WARNING = "warning"

# Vocabulary of Problem.problem, with a one-line description.
PROBLEMS: dict[str, str] = {
    "missing_table": "a required table has no file in the raw directory",
    "ambiguous_file": "a table exists both as .parquet and .csv",
    "unreadable_file": "the file cannot be read as Parquet/CSV",
    "missing_column": "a contract column is absent from the table",
    "incompatible_type": "a Parquet column's physical type cannot hold the contract type",
    "duplicate_key": "the same primary key appears on more than one row",
    "null_key": "a primary-key column is null (the row is reported by number)",
    "unparseable_value": "a date/timestamp/decimal/integer/boolean value does not parse",
    "null_required": "a required (non-nullable) column is null",
    "unknown_stage": "a stage name is not in the stages config",
    "unknown_role": "a user role is not one of contract.USER_ROLES",
    "unknown_opportunity_type": "an opportunity type is not one of contract.OPPORTUNITY_TYPES",
    "invalid_stages_config": "the user's stages file is incoherent",
    "orphaned_foreign_key": "a foreign key points at no row of the referenced table",
    "unknown_opportunity": "a stage-history row for an opportunity that does not exist",
    "negative_amount": "an amount is negative (an exchange rate is zero or negative)",
    "close_before_creation": "an opportunity closes before it was created",
    "end_before_start": "a subscription or quota/target period ends before it starts",
    "missing_exchange_rate": "an amount in a foreign currency has no rate on or before its date",
    "lead_timestamps_out_of_order": "lead funnel timestamps are out of order (warning)",
    "lead_disqualified_and_converted": "a lead is both disqualified and converted (warning)",
}

# (table, column, strictly_positive)
AMOUNT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("opportunities", "amount", False),
    ("opportunity_stage_history", "amount", False),
    ("subscriptions", "arr", False),
    ("quotas", "quota_amount", False),
    ("users", "annual_ote", False),
    ("exchange_rates", "rate_to_reporting", True),
)

# (table, start column, end column)
PERIOD_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("subscriptions", "starts_on", "ends_on"),
    ("quotas", "period_start", "period_end"),
    ("targets", "period_start", "period_end"),
)

# Funnel order of lead timestamps: (earlier, later).
LEAD_ORDER: tuple[tuple[str, str], ...] = (
    ("created_at", "mql_at"),
    ("created_at", "sql_at"),
    ("created_at", "converted_at"),
    ("created_at", "disqualified_at"),
    ("mql_at", "sql_at"),
    ("sql_at", "converted_at"),
)

# Money and rates, as the dbt project types them (macros/utils/type_amount.sql).
AMOUNT_SQL_TYPE = "DECIMAL(28, 6)"

_SQL_TYPES = {
    "text": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "decimal": AMOUNT_SQL_TYPE,
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
}

# Which physical kinds (see _kind) can hold each logical type.
_COMPATIBLE = {
    "text": {"text", "bool", "int", "float", "date", "timestamp", "timestamptz", "other"},
    "date": {"text", "date", "timestamp", "timestamptz"},
    "timestamp": {"text", "date", "timestamp", "timestamptz"},
    "decimal": {"text", "int", "float"},
    "integer": {"text", "int", "float"},
    "boolean": {"text", "bool", "int"},
}

_NOUN = {
    "date": "a valid date",
    "timestamp": "a valid timestamp",
    "decimal": f"a valid number (fitting {AMOUNT_SQL_TYPE.lower()})",
    "integer": "a valid integer",
    "boolean": "a valid boolean",
}


@dataclass(frozen=True)
class Problem:
    table: str
    key: str | None  # e.g. "lead_id=L000123"; "row=17" when the key is null; None = table level
    column: str | None
    problem: str  # one of PROBLEMS
    detail: str
    severity: str  # 'error' or 'warning'


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # row count per table read
    # Full count of offending rows per (table, problem, severity); problems lists
    # at most max_examples of them per table and problem.
    totals: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[tuple[str, str, str], int]:
        """Rows affected per (table, problem, severity), including unlisted ones."""
        if self.totals:
            return dict(self.totals)
        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        for p in self.problems:
            counts[(p.table, p.problem, p.severity)] += 1
        return dict(counts)

    def summary(self) -> str:
        counts = self.counts()
        n_errors = sum(n for (_, _, sev), n in counts.items() if sev == ERROR)
        n_warnings = sum(n for (_, _, sev), n in counts.items() if sev == WARNING)
        lines = [
            f"{'OK' if self.ok else 'FAILED'}: {n_errors:,} error(s), {n_warnings:,} warning(s) "
            f"in {len(self.tables)} table(s), {sum(self.tables.values()):,} rows read",
        ]
        if self.tables:
            width = max(len(t) for t in self.tables)
            lines.append("Rows read:")
            lines += [f"  {t:<{width}}  {n:>12,}" for t, n in self.tables.items()]
        if counts:
            width_t = max(len(t) for t, _, _ in counts)
            width_p = max(len(p) for _, p, _ in counts)
            lines.append("Problems (rows affected):")
            for (table, problem, sev), n in counts.items():
                lines.append(f"  {table:<{width_t}}  {problem:<{width_p}}  {sev:<7}  {n:>12,}")
        return "\n".join(lines)


def validate(raw_dir: str | Path, reporting_currency: str = "USD", max_examples: int = 20) -> ValidationReport:
    """Check every table in ``raw_dir`` against the raw contract; see the module docstring."""
    validator = _Validator(Path(raw_dir), reporting_currency, max(0, int(max_examples)))
    try:
        return validator.run()
    finally:
        validator.con.close()


# --------------------------------------------------------------------------- internals


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _kind(sql_type: str) -> str:
    t = sql_type.upper()
    if t == "VARCHAR" or t.startswith("VARCHAR"):
        return "text"
    if t == "BOOLEAN":
        return "bool"
    if t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
             "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}:
        return "int"
    if t in {"FLOAT", "DOUBLE", "REAL"} or t.startswith("DECIMAL"):
        return "float"
    if t == "DATE":
        return "date"
    if t == "TIMESTAMP WITH TIME ZONE":
        return "timestamptz"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t.endswith("[]") or t.startswith(("STRUCT", "MAP", "UNION")) or "[" in t:
        return "nested"
    return "other"


def _typed_expr(logical: str, kind: str, src: str, text: str) -> str:
    """SQL for the typed value of column ``src`` (its normalised text is ``text``); NULL if it does not parse."""
    if logical == "text":
        return text
    if logical == "date":
        return f"TRY_CAST({text} AS DATE)" if kind == "text" else f"CAST({src} AS DATE)"
    if logical == "timestamp":
        if kind == "text":
            # A plain cast to TIMESTAMP silently drops a UTC offset ("...+02:00"), so text that may carry
            # one goes through TIMESTAMPTZ (the session runs in UTC). Both give the same value for text
            # without an offset; the test only keeps the slower path off the common case.
            tz = f"CAST(TRY_CAST({text} AS TIMESTAMPTZ) AS TIMESTAMP)"
            maybe_offset = (f"(length({text}) > 10 AND (upper({text}[-1]) = 'Z' OR {text}[-6] IN ('+', '-') "
                            f"OR {text}[-5] IN ('+', '-') OR {text}[-3] IN ('+', '-')))")
            return f"(CASE WHEN {maybe_offset} THEN {tz} ELSE coalesce(TRY_CAST({text} AS TIMESTAMP), {tz}) END)"
        return f"CAST({src} AS TIMESTAMP)"
    if logical == "decimal":
        # The build's money type (macros/utils/type_amount.sql): a value it cannot hold is unparseable.
        return f"TRY_CAST({text if kind == 'text' else src} AS {AMOUNT_SQL_TYPE})"
    if logical == "integer":
        if kind == "int":
            return f"TRY_CAST({src} AS INTEGER)"
        # "3" and "3.0" are integers (pandas writes nullable integers as floats); "3.5" is not.
        value = f"TRY_CAST({text} AS DOUBLE)" if kind == "text" else f"CAST({src} AS DOUBLE)"
        return f"(CASE WHEN {value} = trunc({value}) THEN TRY_CAST({value} AS INTEGER) END)"
    if logical == "boolean":
        if kind == "bool":
            return src
        if kind == "int":
            return f"(CASE WHEN {src} = 1 THEN true WHEN {src} = 0 THEN false END)"
        return f"TRY_CAST({text} AS BOOLEAN)"
    raise ValueError(f"unknown logical type {logical!r}")


@dataclass
class _Loaded:
    name: str
    path: Path
    rows: int
    columns: set[str]  # contract columns usable in checks (present and compatible)
    present: set[str]  # contract columns present in the file


class _Validator:
    def __init__(self, raw_dir: Path, reporting_currency: str, max_examples: int):
        self.raw_dir = raw_dir
        self.currency = (reporting_currency or "USD").strip().upper()
        self.max_examples = max_examples
        self.notes: list[str] = []
        self.tables: dict[str, int] = {}
        self.loaded: dict[str, _Loaded] = {}
        self.unusable: set[str] = set()  # contract tables provided but not readable/ambiguous
        # (table, problem) -> [severity, examples, total]
        self.groups: dict[tuple[str, str], list] = {}
        self.pending: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # queued row checks per table
        self.con = warehouse.in_memory()
        self.con.execute("SET enable_progress_bar = false")
        try:
            self.con.execute("SET TimeZone = 'UTC'")
        except duckdb.Error:  # pragma: no cover - ICU missing; naive timestamps are still fine
            pass

    # ----------------------------------------------------------------- reporting

    def add(self, table: str, problem: str, column: str | None, key: str | None, detail: str,
            severity: str = ERROR) -> None:
        self.add_rows(table, problem, severity, [(key, column, detail)], 1)

    def add_rows(self, table: str, problem: str, severity: str,
                 rows: list[tuple[str | None, str | None, str]], total: int) -> None:
        if total <= 0:
            return
        group = self.groups.setdefault((table, problem), [severity, [], 0])
        group[2] += total
        room = self.max_examples - len(group[1])
        for key, column, detail in rows[: max(room, 0)]:
            group[1].append(Problem(table, key, column, problem, detail, severity))

    def query_rows(self, table: str, problem: str, column: str | None, where: str, detail: str,
                   severity: str = ERROR, joins: str = "", column_sql: str | None = None,
                   deleted_too: bool = False) -> None:
        """Report every row of ``t_<table>`` (alias t) matching ``where``; ``detail`` is a SQL text expression.

        Rows flagged ``is_deleted`` are left out unless ``deleted_too``. Checks are queued and run by
        ``flush``, one query per table (a UNION ALL of its checks).
        """
        if not deleted_too:
            where = f"({where}) AND {self.live(table)}"
        col_expr = column_sql or (_lit(column) if column else "NULL")
        branch = (f"SELECT {len(self.pending[table])} AS chk, t.__row AS rn, "
                  f"CAST({col_expr} AS VARCHAR) AS c, CAST({detail} AS VARCHAR) AS d "
                  f"FROM {_q('t_' + table)} AS t {joins} WHERE {where}")
        self.pending[table].append((problem, severity, branch))

    def flush(self) -> None:
        for table, checks in self.pending.items():
            if not checks:
                continue
            union = "\nUNION ALL\n".join(branch for _, _, branch in checks)
            # Keys are rendered for the listed rows only.
            sql = f"""
                SELECT hit.chk, {self.key_expr(table)} AS k, hit.c, hit.d, hit.n FROM (
                    SELECT *, count(*) OVER (PARTITION BY chk) AS n,
                           row_number() OVER (PARTITION BY chk ORDER BY rn) AS i
                    FROM ({union})
                ) AS hit JOIN {_q('t_' + table)} AS t ON t.__row = hit.rn
                WHERE hit.i <= {max(self.max_examples, 1)}
                ORDER BY hit.chk, hit.i
            """
            by_check: dict[int, list] = defaultdict(list)
            for chk, k, c, d, n in self.con.execute(sql).fetchall():
                by_check[chk].append((k, c, d, n))
            for chk, (problem, severity, _) in enumerate(checks):
                rows = by_check.get(chk)
                if rows:
                    self.add_rows(table, problem, severity, [(k, c, d) for k, c, d, _ in rows], rows[0][3])
        self.pending.clear()

    def report(self) -> ValidationReport:
        order = {name: i for i, name in enumerate(contract.TABLES)}
        problems: list[Problem] = []
        totals: dict[tuple[str, str, str], int] = {}
        groups = sorted(self.groups.items(), key=lambda item: order.get(item[0][0], len(order)))
        for (table, problem), (severity, examples, total) in groups:
            problems.extend(examples)
            if total > len(examples):
                columns = {p.column for p in examples}
                problems.append(Problem(
                    table, None, columns.pop() if len(columns) == 1 else None, problem,
                    f"and {total - len(examples):,} more rows ({total:,} in total)", severity,
                ))
            totals[(table, problem, severity)] = total
        return ValidationReport(problems, self.notes, self.tables, totals)

    # ----------------------------------------------------------------- helpers

    def key_expr(self, table: str) -> str:
        """SQL rendering a row's primary key as text ("a=x, b=y"), or "row=N" when a key part is null."""
        spec = contract.TABLES[table]
        loaded = self.loaded[table]
        if not all(c in loaded.present for c in spec.primary_key):
            return "'row=' || t.__row"
        parts = []
        for i, c in enumerate(spec.primary_key):
            prefix = ("" if i == 0 else ", ") + c + "="
            parts.append(f"{_lit(prefix)} || coalesce({self.text(table, c)}, 'NULL')")
        null_parts = [f"{self.text(table, c)} IS NULL" for c in spec.primary_key if not spec.column(c).nullable]
        rendered = " || ".join(parts)
        if not null_parts:
            return rendered
        return f"(CASE WHEN {' OR '.join(null_parts)} THEN 'row=' || t.__row ELSE {rendered} END)"

    def text(self, table: str, column: str, alias: str = "t") -> str:
        """SQL for a column's value as text (as read, blank -> NULL)."""
        spec = contract.TABLES[table].column(column)
        return f"{alias}.{_q(column if spec.type == 'text' else column + '__raw')}"

    def live(self, table: str, alias: str = "t") -> str:
        """SQL condition: the row is not soft-deleted (an unparseable flag counts as live; it is reported)."""
        if self.has(table, "is_deleted"):
            return f"coalesce({alias}.is_deleted, false) = false"
        return "true"

    def has(self, table: str, *columns: str) -> bool:
        return table in self.loaded and all(c in self.loaded[table].columns for c in columns)

    # ----------------------------------------------------------------- steps

    def run(self) -> ValidationReport:
        self.discover_and_load()
        self.check_keys()
        self.check_values()
        self.setup_stages()
        self.check_vocabularies()
        self.check_foreign_keys()
        self.check_amounts()
        self.check_dates()
        self.check_currencies()
        self.check_leads()
        self.flush()
        return self.report()

    def discover_and_load(self) -> None:
        found: dict[str, dict[str, Path]] = defaultdict(dict)
        if not self.raw_dir.is_dir():
            self.notes.append(f"raw-data directory {self.raw_dir} does not exist")
            entries: list[Path] = []
        else:
            entries = sorted(self.raw_dir.iterdir())
        for path in entries:
            if path.name.startswith("."):
                continue
            if path.is_file() and path.suffix.lower() in {".parquet", ".csv"} and path.stem in contract.TABLES:
                found[path.stem][path.suffix.lower()] = path
            else:
                hint = ""
                if path.stem.lower() in contract.TABLES:
                    hint = f" (did you mean {path.stem.lower()}.parquet/.csv? names are case-sensitive)"
                self.notes.append(f"ignored {path.name}: not a contract table{hint}")

        for name, spec in contract.TABLES.items():
            files = found.get(name, {})
            if len(files) > 1:
                self.unusable.add(name)
                self.add(name, "ambiguous_file", None, None,
                         f"both {name}.parquet and {name}.csv are present in {self.raw_dir}; keep one")
                continue
            if not files:
                if spec.required:
                    self.add(name, "missing_table", None, None,
                             f"required table {name} not found: expected {name}.parquet or {name}.csv "
                             f"in {self.raw_dir}")
                elif name == "stages":
                    self.notes.append(
                        f"no stages file: stage names are checked against the default funnel "
                        f"({len(contract.DEFAULT_STAGES)} stages)")
                else:
                    self.notes.append(f"optional table {name} is absent")
                continue
            (suffix, path), = files.items()
            self.load(spec, path, suffix)

    def load(self, spec: contract.Table, path: Path, suffix: str) -> None:
        name = spec.name
        raw = _q("r_" + name)
        try:
            if suffix == ".parquet":
                # Parquet is typed and columnar: read it in place; file_row_number gives the row.
                reader = f"read_parquet({_lit(str(path))}"
                source, row_number = f"{reader}, file_row_number = true)", "file_row_number + 1"
                described = self.con.execute(f"DESCRIBE SELECT * FROM {reader})").fetchall()
            else:
                # CSV is read as text (nothing lost before it is checked) and materialised once, in file
                # order (DuckDB preserves insertion order), so rowid gives the row.
                self.con.execute(f"CREATE TABLE {raw} AS SELECT * FROM "
                                 f"read_csv({_lit(str(path))}, all_varchar = true, header = true)")
                source, row_number = raw, "rowid + 1"
                described = self.con.execute(f"DESCRIBE {raw}").fetchall()
        except duckdb.Error as exc:
            self.unreadable(name, path, exc)
            return
        types = {row[0]: row[1] for row in described}

        extra = [c for c in types if c not in spec.column_names]
        if extra:
            self.notes.append(f"{name}: extra column(s) ignored: {', '.join(extra)}")

        # Two levels: the inner select normalises each value to text once (blank -> NULL), the outer one
        # types it, so each expression is evaluated once per value.
        inner = [f"{row_number} AS __row"]
        select = ["__row"]
        usable: set[str] = set()
        present: set[str] = set()
        for column in spec.columns:
            c = column.name
            sql_type = _SQL_TYPES[column.type]
            if c not in types:
                near = [t for t in types if t.strip().lower() == c.lower()]
                hint = f" (found {near[0]!r}; column names are case-sensitive)" if near else ""
                self.add(name, "missing_column", c, None, f"{name}.{c} ({column.type}) is missing{hint}")
                if column.type != "text":
                    select.append(f"CAST(NULL AS VARCHAR) AS {_q(c + '__raw')}")
                select.append(f"CAST(NULL AS {sql_type}) AS {_q(c)}")
                continue
            present.add(c)
            kind = _kind(types[c])
            as_text = f"CAST({_q(c)} AS VARCHAR)"
            txt, src = _q(c + "__txt"), _q(c + "__src")
            inner.append(f"(CASE WHEN trim({as_text}) = '' THEN NULL ELSE {as_text} END) AS {txt}")
            if kind not in _COMPATIBLE[column.type]:
                self.add(name, "incompatible_type", c, None,
                         f"{path.name}: column {c} has physical type {types[c]}, which cannot hold "
                         f"a {column.type}")
                typed = f"CAST(NULL AS {sql_type})"
            else:
                usable.add(c)
                if column.type != "text" and kind != "text":
                    inner.append(f"{_q(c)} AS {src}")
                typed = _typed_expr(column.type, kind, src, txt)
            if column.type != "text":
                select.append(f"{txt} AS {_q(c + '__raw')}")
            select.append(f"{typed} AS {_q(c)}")

        try:
            rows = self.con.execute(f"CREATE TABLE {_q('t_' + name)} AS SELECT {', '.join(select)} "
                                    f"FROM (SELECT {', '.join(inner)} FROM {source})").fetchone()[0]
        except duckdb.Error as exc:  # e.g. a Parquet file whose metadata reads but whose data does not
            self.unreadable(name, path, exc)
            return
        finally:
            if suffix != ".parquet":
                self.con.execute(f"DROP TABLE IF EXISTS {raw}")
        self.tables[name] = rows
        self.loaded[name] = _Loaded(name, path, rows, usable, present)

    def unreadable(self, name: str, path: Path, exc: Exception) -> None:
        self.unusable.add(name)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        self.add(name, "unreadable_file", None, None, f"cannot read {path.name}: {message}")

    def check_keys(self) -> None:
        keyed: dict[str, tuple[str, str]] = {}  # table -> (key columns, filter) for the duplicate check
        for name, loaded in self.loaded.items():
            spec = contract.TABLES[name]
            pk = spec.primary_key
            for c in pk:
                if c in loaded.present and not spec.column(c).nullable:
                    self.query_rows(name, "null_key", c, f"{self.text(name, c)} IS NULL",
                                    f"'primary-key column {c} is null (row ' || t.__row || ')'",
                                    deleted_too=True)
            if all(c in loaded.columns for c in pk):
                keyed[name] = (", ".join(_q(c) for c in pk), " AND ".join(
                    [f"{_q(c)} IS NOT NULL" for c in pk if not spec.column(c).nullable] + [self.live(name)]))
        if not keyed:
            return
        # One cheap query finds the tables with duplicates; only those get the detailed one.
        counts = self.con.execute("\nUNION ALL\n".join(
            f"SELECT {_lit(name)}, count(*) FROM (SELECT 1 FROM {_q('t_' + name)} AS t WHERE {where} "
            f"GROUP BY {cols} HAVING count(*) > 1)" for name, (cols, where) in keyed.items())).fetchall()
        for name, n in counts:
            if n:
                self.report_duplicates(name, *keyed[name])

    def report_duplicates(self, name: str, cols: str, where: str) -> None:
        pk = contract.TABLES[name].primary_key
        rendered = " || ".join(
            f"{_lit(('' if i == 0 else ', ') + c + '=')} || coalesce(CAST(d.{_q(c)} AS VARCHAR), 'NULL')"
            for i, c in enumerate(pk))
        join = " AND ".join(f"t.{_q(c)} IS NOT DISTINCT FROM d.{_q(c)}" for c in pk)
        sql = f"""
            WITH dup AS (
                SELECT {cols}, count(*) AS times, min(__row) AS first_row, count(*) OVER () AS n
                FROM {_q('t_' + name)} AS t WHERE {where}
                GROUP BY {cols} HAVING count(*) > 1
            ), top AS (SELECT * FROM dup ORDER BY first_row LIMIT {max(self.max_examples, 1)})
            SELECT {rendered} AS k, d.times, d.n,
                   (SELECT list(t.__row ORDER BY t.__row)[1:10] FROM {_q('t_' + name)} AS t
                    WHERE {join} AND {where})
            FROM top AS d ORDER BY d.first_row
        """
        rows = self.con.execute(sql).fetchall()
        listed = []
        for key, times, _, at in rows:
            where_rows = ", ".join(str(r) for r in at) + (", ..." if times > len(at) else "")
            listed.append((key, ", ".join(pk), f"primary key appears {times:,} times (rows {where_rows})"))
        if rows:
            self.add_rows(name, "duplicate_key", ERROR, listed, rows[0][2])

    def check_values(self) -> None:
        for name, loaded in self.loaded.items():
            spec = contract.TABLES[name]
            for column in spec.columns:
                c = column.name
                if c not in loaded.columns:
                    continue
                if column.type != "text":
                    raw = self.text(name, c)
                    self.query_rows(
                        name, "unparseable_value", c, f"{raw} IS NOT NULL AND t.{_q(c)} IS NULL",
                        f"'''' || left({raw}, 60) || ''' is not {_NOUN[column.type]}'", deleted_too=True)
                if not column.nullable and c not in spec.primary_key:
                    self.query_rows(name, "null_required", c, f"{self.text(name, c)} IS NULL",
                                    f"'required column {c} is null'", deleted_too=True)

    def setup_stages(self) -> None:
        if "stages" in self.loaded:
            if self.has("stages", "stage_name"):
                self.stage_source = self.loaded["stages"].path.name
                self.con.execute("CREATE TABLE _stages AS SELECT DISTINCT stage_name FROM t_stages "
                                 "WHERE stage_name IS NOT NULL")
                self.notes.append(f"stage names are checked against {self.stage_source}, which replaces "
                                  f"the default funnel")
            else:
                self.stage_source = None
            self.check_stages_config()
        elif "stages" in self.unusable:
            self.stage_source = None  # the user's file is unusable: don't guess
        else:
            self.stage_source = "the default funnel"
            self.con.execute("CREATE TABLE _stages (stage_name VARCHAR)")
            self.con.executemany("INSERT INTO _stages VALUES (?)", [[s[0]] for s in contract.DEFAULT_STAGES])

    def check_stages_config(self) -> None:
        if self.has("stages", "is_won"):
            won = self.con.execute("SELECT count(*) FROM t_stages WHERE is_won").fetchone()[0]
            if won == 0 and self.loaded["stages"].rows > 0:
                self.add("stages", "invalid_stages_config", "is_won", None,
                         "no stage has is_won = true: won deals could never be counted")
        if self.has("stages", "is_won", "is_closed"):
            self.query_rows("stages", "invalid_stages_config", "is_closed", "t.is_won AND NOT t.is_closed",
                            "'a won stage must be closed (is_won = true, is_closed = false)'")
        if self.has("stages", "forecast_probability"):
            self.query_rows("stages", "invalid_stages_config", "forecast_probability",
                            "t.forecast_probability < 0 OR t.forecast_probability > 1",
                            "'forecast_probability ' || t.forecast_probability || ' is outside 0..1'")

    def check_vocabularies(self) -> None:
        if self.stage_source is None:
            self.notes.append("stage names not checked: the stages file is unusable")
        else:
            for table in ("opportunities", "opportunity_stage_history"):
                if self.has(table, "stage_name"):
                    self.query_rows(
                        table, "unknown_stage", "stage_name",
                        "t.stage_name IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM _stages s WHERE s.stage_name = t.stage_name)",
                        f"'stage ''' || t.stage_name || ''' is not in the stages config ({self.stage_source})'")
        if self.has("users", "role"):
            roles = ", ".join(_lit(r) for r in contract.USER_ROLES)
            self.query_rows("users", "unknown_role", "role",
                            f"t.role IS NOT NULL AND lower(trim(t.role)) NOT IN ({roles})",
                            f"'role ''' || t.role || ''' is not one of {', '.join(contract.USER_ROLES)}'")
        if self.has("opportunities", "opportunity_type"):
            types = ", ".join(_lit(r) for r in contract.OPPORTUNITY_TYPES)
            self.query_rows(
                "opportunities", "unknown_opportunity_type", "opportunity_type",
                f"t.opportunity_type IS NOT NULL AND lower(trim(t.opportunity_type)) NOT IN ({types})",
                f"'opportunity_type ''' || t.opportunity_type || ''' is not one of "
                f"{', '.join(contract.OPPORTUNITY_TYPES)}'")

    def check_foreign_keys(self) -> None:
        for name in self.loaded:
            for fk in contract.TABLES[name].foreign_keys:
                if not self.has(name, fk.column):
                    continue
                ref = fk.ref_table
                if ref not in self.loaded:
                    if ref in self.unusable or contract.TABLES[ref].required:
                        self.notes.append(f"{name}.{fk.column} not checked: {ref} is unusable")
                    else:
                        self.notes.append(f"{name}.{fk.column} not checked: optional table {ref} is absent")
                    continue
                if not self.has(ref, fk.ref_column):
                    self.notes.append(f"{name}.{fk.column} not checked: {ref}.{fk.ref_column} is unusable")
                    continue
                problem = ("unknown_opportunity" if (name, fk.column) == ("opportunity_stage_history",
                                                                         "opportunity_id")
                           else "orphaned_foreign_key")
                col = _q(fk.column)
                self.query_rows(
                    name, problem, fk.column,
                    f"t.{col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {_q('t_' + ref)} AS r "
                    f"WHERE r.{_q(fk.ref_column)} = t.{col})",
                    f"'{fk.column} ''' || t.{col} || ''' not found in {ref}.{fk.ref_column}'")

    def check_amounts(self) -> None:
        for table, column, strictly_positive in AMOUNT_COLUMNS:
            if not self.has(table, column):
                continue
            c = f"t.{_q(column)}"
            if strictly_positive:
                self.query_rows(table, "negative_amount", column, f"{c} <= 0",
                                f"'{column} must be positive, got ' || {self.text(table, column)}")
            else:
                self.query_rows(table, "negative_amount", column, f"{c} < 0",
                                f"'{column} is negative: ' || {self.text(table, column)}")

    def check_dates(self) -> None:
        if self.has("opportunities", "close_date", "created_at"):
            self.query_rows(
                "opportunities", "close_before_creation", "close_date",
                "t.close_date < CAST(t.created_at AS DATE)",
                "'close_date ' || t.close_date || ' is before created_at ' || t.created_at")
        for table, start, end in PERIOD_COLUMNS:
            if self.has(table, start, end):
                self.query_rows(
                    table, "end_before_start", end, f"t.{_q(end)} < t.{_q(start)}",
                    f"'{end} ' || t.{_q(end)} || ' is before {start} ' || t.{_q(start)}")

    def check_currencies(self) -> None:
        rates_usable = self.has("exchange_rates", "currency", "rate_date", "rate_to_reporting")
        if rates_usable:
            self.con.execute("""
                CREATE TABLE _rates AS
                SELECT upper(trim(currency)) AS currency, min(rate_date) AS first_date
                FROM t_exchange_rates
                WHERE currency IS NOT NULL AND rate_date IS NOT NULL AND rate_to_reporting > 0
                GROUP BY 1
            """)
        else:
            self.con.execute("CREATE TABLE _rates (currency VARCHAR, first_date DATE)")
        state = "unusable" if ("exchange_rates" in self.loaded or "exchange_rates" in self.unusable) else "absent"
        cur = "upper(trim(t.currency))"
        # Every row in a foreign currency needs a rate, whatever its amount (as the build's test has it).
        for table, date_column, due, due_label in (
            ("opportunities", "close_date", "t.close_date", "close_date"),
            ("subscriptions", "starts_on", "last_day(t.starts_on)", "first month end"),
        ):
            if not self.has(table, "currency", date_column):
                continue
            if rates_usable:
                detail = (f"'no ' || {cur} || ' rate in exchange_rates on or before ' || {due} || "
                          f"' ({due_label})' || coalesce('; the first ' || {cur} || ' rate is on ' || r.first_date, "
                          f"'; there is no ' || {cur} || ' rate at all')")
            else:
                detail = (f"'amount in ' || {cur} || ', not the reporting currency {self.currency}, "
                          f"and exchange_rates is {state}'")
            self.query_rows(
                table, "missing_exchange_rate", "currency",
                f"t.currency IS NOT NULL AND {cur} <> {_lit(self.currency)} "
                f"AND {due} IS NOT NULL AND (r.first_date IS NULL OR r.first_date > {due})",
                detail, joins=f"LEFT JOIN _rates AS r ON r.currency = {cur}",
            )

    def check_leads(self) -> None:
        pairs = [(a, b) for a, b in LEAD_ORDER if self.has("leads", a, b)]
        if pairs:
            conditions = [f"t.{_q(a)} > t.{_q(b)}" for a, b in pairs]
            detail = "concat_ws('; ', " + ", ".join(
                f"CASE WHEN t.{_q(a)} > t.{_q(b)} THEN '{a} ' || t.{_q(a)} || ' is after {b} ' || t.{_q(b)} END"
                for a, b in pairs) + ")"
            column = "CASE " + " ".join(f"WHEN t.{_q(a)} > t.{_q(b)} THEN {_lit(b)}" for a, b in pairs) + " END"
            self.query_rows("leads", "lead_timestamps_out_of_order", None, " OR ".join(conditions), detail,
                            severity=WARNING, column_sql=column)
        if self.has("leads", "disqualified_at", "converted_at"):
            self.query_rows(
                "leads", "lead_disqualified_and_converted", "disqualified_at",
                "t.disqualified_at IS NOT NULL AND t.converted_at IS NOT NULL",
                "'disqualified at ' || t.disqualified_at || ' and converted at ' || t.converted_at",
                severity=WARNING)
