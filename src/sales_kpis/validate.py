"""Validate a raw-data directory against the raw contract (strict).

``validate(raw_dir)`` reads every ``<table>.parquet`` / ``<table>.csv`` in
``raw_dir`` into an in-process DuckDB database and runs set-based SQL (the row
checks of a table are one query; nothing loops over rows in Python), so a few
million rows take seconds. It never raises on bad data: every problem is reported by table, key
and column (``Problem``), and ``ValidationReport.ok`` is False as soon as one
problem is an error, so a pipeline can gate on it.

The rules are the contract's catalogue (``contract.TABLES[...].rules``, written
once in the dbt project's ``crm`` source, which the build's tests and
``dq_record_issues`` apply too): every structural and record-level rule is an
error here, a ``warning`` rule a warning. Besides them, validate checks the
files themselves:

1. files: a required table is missing; a table exists both as ``.parquet`` and
   ``.csv`` (ambiguous); a file cannot be read; a contract column is missing
   (extra columns and files that are not contract tables only give a note);
   a Parquet column whose physical type cannot hold the contract type;
2. keys: duplicate primary keys (with how many times and on which rows), null
   primary-key columns (reported by row number, since there is no key);
3. values: dates, timestamps, decimals, integers and booleans that do not parse
   (CSV is read as text, so nothing is lost before it is checked; a blank value
   is null). A decimal must fit the build's money type; an integer must be
   integral ("3.0" is, "3.5" is not); a timestamp with a UTC offset is
   converted to UTC.

Rules of the same problem on one table are one check (a row breaking two of
them is listed once, with both messages). A foreign key into an optional table
that is absent is skipped with a note; stage names are checked against the
user's ``stages`` file when present, else the default funnel (the seed). An
amount in a currency other than the reporting currency (upper-cased; null =
reporting currency) needs a rate on or before its date.

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

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sales_kpis import contract, warehouse

ERROR = "error"
WARNING = "warning"
_SEVERITY = {contract.STRUCTURAL: ERROR, contract.RECORD: ERROR, contract.WARNING: WARNING}

#: Vocabulary of Problem.problem, with a one-line description: validate's own, then the catalogue's.
PROBLEMS: dict[str, str] = {
    "missing_table": "a required table has no file in the raw directory",
    "ambiguous_file": "a table exists both as .parquet and .csv",
    "empty_file": "the file is empty (0 bytes: no header, no rows)",
    "unreadable_file": "the file cannot be read as Parquet/CSV (the reason, e.g. not UTF-8 text, is given)",
    "missing_column": "a contract column is absent from the table",
    "incompatible_type": "a Parquet column's physical type cannot hold the contract type",
    "duplicate_key": "the same primary key appears on more than one row",
    "null_key": "a primary-key column is null (the row is reported by number)",
    "unparseable_value": "a date/timestamp/decimal/integer/boolean value does not parse",
    **contract.PROBLEMS,
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

_AMOUNT_TYPE = contract.LOGICAL_TYPES["decimal"].duckdb
_NOUN = {
    "date": "a valid date",
    "timestamp": "a valid timestamp",
    "decimal": f"a valid number (fitting {_AMOUNT_TYPE.lower()})",
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


def read_error_reason(error: Exception) -> str:
    """DuckDB's reason a file cannot be read, in one line: its first line and the line that says why
    (DuckDB's CSV errors put the reason after the offending line and end with the reader's settings)."""
    lines = [line.strip() for line in str(error).strip().splitlines()]
    if not lines or not lines[0]:
        return type(error).__name__
    reason = next((line for line in lines[1:] if line and not line.startswith(("Original Line", "Possible Solution",
                                                                              "LINE ", "^"))
                   and " = " not in line), None)
    text = lines[0] + (f": {reason}" if reason else "")
    if "utf-8" in text.lower():
        text += " Save the file as UTF-8 (CSV files are read as UTF-8)."
    return text


def currency_without_rates(raw_dir: str | Path, currency: str) -> str | None:
    """Why amounts of the raw data cannot be reported in `currency`, or None (checked before a build starts).

    Amounts in another currency need a rate into the reporting currency
    (exchange_rates, per currency): when some currency of the amounts has no
    rate at all, the build would fail on every such row. The message names
    the currencies, and the reporting currency the rates seem to convert into
    (the amounts' currency that exchange_rates does not list). A table whose
    file cannot be read is left to validate and the build to report.
    """
    currency = currency.strip().upper()
    directory = Path(raw_dir)

    def file_of(table: str) -> Path | None:
        found = [directory / f"{table}{suffix}" for suffix in (".parquet", ".csv")]
        found = [path for path in found if path.is_file() and path.stat().st_size > 0]
        return found[0] if len(found) == 1 else None

    def reader(path: Path) -> str:
        if path.suffix == ".parquet":
            return f"read_parquet({_lit(str(path))})"
        return f"read_csv({_lit(str(path))}, all_varchar = true, header = true)"

    currency_columns = [(table.name, rule.column) for table in contract.TABLES.values() for rule in table.rules
                        if rule.kind == "exchange_rate"]
    with warehouse.in_memory() as connection:
        try:
            amounts: set[str] = set()
            for table, column in currency_columns:
                path = file_of(table)
                if path is None:
                    continue
                amounts.update(row[0] for row in connection.execute(
                    f"select distinct upper(trim(cast({_q(column)} as varchar))) from {reader(path)} "
                    f"where nullif(trim(cast({_q(column)} as varchar)), '') is not null").fetchall())
            rates_file = file_of("exchange_rates")
            rated: set[str] = set()
            if rates_file is not None:
                rated = {row[0] for row in connection.execute(
                    f"select distinct upper(trim(cast(currency as varchar))) from {reader(rates_file)} "
                    "where try_cast(rate_to_reporting as double) > 0").fetchall()}
        except duckdb.Error:
            return None
    unconverted = sorted(amounts - rated - {currency})
    if not unconverted:
        return None
    implied = sorted(amounts - rated)
    hint = (f"; the data's rates convert into {implied[0]}, the one currency of its amounts without rates"
            if len(implied) == 1 else "")
    return (f"amounts in {', '.join(unconverted)} have no rate into {currency} in exchange_rates"
            f"{hint} (sales-kpis validate --raw-dir {directory} --reporting-currency {currency} lists the rows)")


# --------------------------------------------------------------------------- internals


_q, _lit = warehouse.quoted, warehouse.string_literal


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
        # The build's money type (contract.LOGICAL_TYPES): a value it cannot hold is unparseable.
        return f"TRY_CAST({text if kind == 'text' else src} AS {_AMOUNT_TYPE})"
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
        self.defaults: dict[str, str] = {}  # a table absent from raw_dir that a default stands in for
        self.named_sources: dict[str, str] = {}  # the source messages about a table name (the stages funnel)
        self.rates_state: str | None = None  # exchange_rates for the rate rules: usable, unusable or absent
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
        if path.stat().st_size == 0:
            self.unusable.add(name)
            self.add(name, "empty_file", None, None, f"{path.name} is empty (0 bytes: no header, no rows)")
            return
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
            sql_type = contract.LOGICAL_TYPES[column.type].duckdb
            if c not in types:
                near = [t for t in types if t.strip().lower() == c.lower()]
                hint = f" (found {near[0]!r}; column names are case-sensitive)" if near else ""
                if not column.optional:
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
        self.add(name, "unreadable_file", None, None, f"cannot read {path.name}: {read_error_reason(exc)}")

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
            for column in contract.TABLES[name].columns:
                c = column.name
                if column.type != "text" and c in loaded.columns:
                    raw = self.text(name, c)
                    self.query_rows(
                        name, "unparseable_value", c, f"{raw} IS NOT NULL AND t.{_q(c)} IS NULL",
                        f"'''' || left({raw}, 60) || ''' is not {_NOUN[column.type]}'", deleted_too=True)

    # ----------------------------------------------------------------- the catalogue

    def run(self) -> ValidationReport:
        self.discover_and_load()
        self.check_keys()
        self.check_values()
        self.stand_in_defaults()
        for name in self.loaded:
            self.check_rules(name)
        self.flush()
        return self.report()

    def stand_in_defaults(self) -> None:
        """Without a stages file, the default funnel (the seed) is the stages table foreign keys point at;
        messages about stages name which funnel they were checked against."""
        if "stages" in self.loaded:
            self.named_sources["stages"] = self.loaded["stages"].path.name
            self.notes.append(f"stage names are checked against {self.loaded['stages'].path.name}, which "
                              f"replaces the default funnel")
        elif "stages" not in self.unusable:
            self.defaults["stages"] = self.named_sources["stages"] = "the default funnel"
            self.con.execute("CREATE TABLE t_stages (stage_name VARCHAR, is_closed BOOLEAN)")
            self.con.executemany("INSERT INTO t_stages VALUES (?, ?)", [[s[0], s[2]] for s in contract.DEFAULT_STAGES])

    def check_rules(self, name: str) -> None:
        spec = contract.TABLES[name]
        by_problem: dict[tuple[str, str], list[contract.Rule]] = defaultdict(list)
        for rule in spec.rules:
            if rule.problem == "null_key":
                continue  # check_keys reports it, by row number
            if not self.has(name, *self.columns_of(rule)):
                continue  # a missing or unusable column is reported already
            if rule.stage and not ("stages" in self.defaults or self.has("stages", "stage_name", "is_closed")):
                continue  # the stages config is unusable: reported already
            if rule.kind == "row":
                by_problem[(rule.problem, rule.severity)].append(rule)
            elif rule.kind == "table":
                if self.con.execute(f"SELECT {rule.fails} FROM {_q('t_' + name)} AS t "
                                    f"WHERE {self.live(name)}").fetchone()[0]:
                    self.add(name, rule.problem, rule.column, None, rule.message, _SEVERITY[rule.severity])
            elif rule.kind == "foreign_key":
                self.check_foreign_key(rule)
            else:
                self.check_exchange_rate(rule)
        for (problem, severity), rules in by_problem.items():
            # Rules of one problem are one check: a row breaking several is listed once, with every message.
            fails = [self.fails_sql(rule) for rule in rules]
            if len(rules) == 1:
                detail, column_sql = self.message_sql(name, rules[0].message), None
            else:
                detail = "concat_ws('; ', " + ", ".join(
                    f"CASE WHEN {test} THEN {self.message_sql(name, rule.message)} END"
                    for test, rule in zip(fails, rules)) + ")"
                column_sql = "CASE " + " ".join(
                    f"WHEN {test} THEN {_lit(rule.column)}" for test, rule in zip(fails, rules)) + " END"
            self.query_rows(name, problem, rules[0].column, " OR ".join(fails), detail, _SEVERITY[severity],
                            column_sql=column_sql, deleted_too=problem == "null_required")

    def check_foreign_key(self, rule: contract.Rule) -> None:
        name, ref = rule.table, rule.ref_table
        if ref not in self.loaded and ref not in self.defaults:
            if ref in self.unusable or contract.TABLES[ref].required:
                self.notes.append(f"{name}.{rule.column} not checked: {ref} is unusable")
            else:
                self.notes.append(f"{name}.{rule.column} not checked: optional table {ref} is absent")
            return
        if ref in self.loaded and not self.has(ref, rule.ref_column):
            self.notes.append(f"{name}.{rule.column} not checked: {ref}.{rule.ref_column} is unusable")
            return
        detail = self.message_sql(name, rule.message)
        if ref in self.named_sources:
            detail += f" || {_lit(' (' + self.named_sources[ref] + ')')}"
        column = f"t.{_q(rule.column)}"
        self.query_rows(
            name, rule.problem, rule.column,
            f"{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {_q('t_' + ref)} AS r "
            f"WHERE r.{_q(rule.ref_column)} = {column})", detail, _SEVERITY[rule.severity])

    def check_exchange_rate(self, rule: contract.Rule) -> None:
        if self.rates_state is None:
            # The first rate date of each currency; rates that are not positive do not count.
            self.rates_state = "usable"
            if self.has("exchange_rates", "currency", "rate_date", "rate_to_reporting"):
                self.con.execute("""
                    CREATE TABLE _rates AS
                    SELECT upper(trim(currency)) AS rate_currency, min(rate_date) AS first_rate_date
                    FROM t_exchange_rates
                    WHERE currency IS NOT NULL AND rate_date IS NOT NULL AND rate_to_reporting > 0
                    GROUP BY 1
                """)
            else:
                self.rates_state = "unusable" if ("exchange_rates" in self.loaded
                                                  or "exchange_rates" in self.unusable) else "absent"
                self.con.execute("CREATE TABLE _rates (rate_currency VARCHAR, first_rate_date DATE)")
        currency = f"upper(trim(t.{_q(rule.column)}))"
        due = f"last_day(t.{_q(rule.date)})" if rule.month_end else f"t.{_q(rule.date)}"
        label = f"month end of {rule.date}" if rule.month_end else rule.date
        if self.rates_state == "usable":
            detail = (f"'no ' || {currency} || ' rate in exchange_rates on or before ' || {due} || ' ({label})' || "
                      f"coalesce('; the first ' || {currency} || ' rate is on ' || r.first_rate_date, "
                      f"'; there is no ' || {currency} || ' rate at all')")
        else:
            detail = (f"'amount in ' || {currency} || ', not the reporting currency {self.currency}, "
                      f"and exchange_rates is {self.rates_state}'")
        # Every row in a foreign currency needs a rate, whatever its amount (as the build's test has it).
        self.query_rows(
            rule.table, rule.problem, rule.column,
            f"t.{_q(rule.column)} IS NOT NULL AND {currency} <> {_lit(self.currency)} AND {due} IS NOT NULL "
            f"AND (r.first_rate_date IS NULL OR r.first_rate_date > {due})",
            detail, _SEVERITY[rule.severity], joins=f"LEFT JOIN _rates AS r ON r.rate_currency = {currency}")

    def fails_sql(self, rule: contract.Rule) -> str:
        """A row rule's condition, judging only values that parse (one that does not is unparseable_value)."""
        spec = contract.TABLES[rule.table]
        parsed = [f"(t.{_q(c + '__raw')} IS NULL OR t.{_q(c)} IS NOT NULL)"
                  for c in self.columns_of(rule) if spec.column(c).type != "text"]
        if rule.stage:  # only the rows in an open (or a closed) stage of the stages config
            parsed.append(f"t.stage_name IN (SELECT stage_name FROM t_stages WHERE "
                          f"{'NOT ' if rule.stage == 'open' else ''}coalesce(is_closed, false))")
        return f"(({rule.fails}){''.join(' AND ' + p for p in parsed)})"

    def columns_of(self, rule: contract.Rule) -> list[str]:
        """The contract columns a rule reads (its column, its date, and those its condition names)."""
        names = contract.TABLES[rule.table].column_names
        used = [rule.column] + ([rule.date] if rule.date else [])
        return used + [c for c in names if c not in used and re.search(rf"\b{c}\b", rule.fails + rule.message)]

    def message_sql(self, table: str, template: str) -> str:
        """SQL text for a catalogue message: its {column} placeholders become the row's values, as read."""
        parts = []
        for i, piece in enumerate(re.split(r"\{(\w+)\}", template)):
            if i % 2:
                parts.append(f"coalesce({self.text(table, piece)}, 'null')")
            elif piece:
                parts.append(_lit(piece))
        return " || ".join(parts) or "''"
