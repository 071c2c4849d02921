"""Finance export: a mart, or the finance bundle, as CSV, Parquet or Excel files.

Finance pulls the attainment tables every quarter and needs to know, from the
file alone, what it shows. Every export is therefore stamped from the
warehouse's ``build_metadata`` table (written by the same dbt build as the
marts):

- **CSV / Parquet**: two extra columns on every row, ``As-of date`` and
  ``Reporting currency``; Parquet also carries the build stamp (as-of date,
  currency, fiscal-year start, build time, periods covered) as file metadata.
  Each row keeps its own period columns (``Period start`` / ``Period end``).
- **Excel**: an ``About`` sheet first (as-of date, reporting currency, fiscal
  year start, build time, and per data sheet its source mart, rows and the
  periods it covers; the marts a bundle could not include; then the
  definition and unit of every column it exports, the text of the project's
  dbt documentation, read by :mod:`sales_kpis.definitions`), then one sheet
  per mart with the same stamp columns, a frozen header row, filters, number
  formats by unit, and totals rows where a sum means something.

Each column's unit (money, rate, count, days, date...) is the one its model
yml declares (:attr:`sales_kpis.definitions.ColumnDefinition.unit`), never
guessed from its name. A mart whose target values are in the unit of each
row's metric (org attainment: money for ARR targets, a count for SQLs) gets
a ``Unit`` column beside the metric. Rows are sorted by the mart's key.

Text from the CRM is written as text, never as something a spreadsheet
evaluates: a string cell in Excel (a value starting with ``=`` is not a
formula), and in CSV a leading ``'`` before a value starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (the OWASP rule against CSV
injection). Parquet keeps every value as it is: typed columns, no formulas.

Files are written private by default and replaced whole
(:mod:`sales_kpis.files`). Column headers are labels a finance user reads
("Quota (USD)", "Win rate") unless ``column_names=True`` keeps the marts' own
names. Amounts are already in the reporting currency in the marts; the labels
carry its ISO code. Values are read exactly (decimals stay decimals, to the
cent).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sales_kpis.files import replaced

FORMATS = ("csv", "parquet", "xlsx")

#: The finance bundle: rep, team and org attainment, then commit and coverage of this quarter, the next and
#: this year, one sheet each (sheet title per mart).
FINANCE_BUNDLE: list[tuple[str, str]] = [
    ("kpi_rep_attainment", "Rep attainment"),
    ("kpi_team_attainment", "Team attainment"),
    ("kpi_org_attainment", "Org attainment"),
    ("kpi_forecast_categories", "Commit and best case"),
    ("kpi_pipeline_coverage", "Pipeline coverage"),
]

#: Labels of known columns; a money column's label gets the reporting currency's code.
LABELS: dict[str, str] = {
    # keys and dimensions
    "user_id": "Rep ID",
    "full_name": "Name",
    "role": "Role",
    "team": "Team",
    "segment": "Segment",
    "region": "Region",
    "manager_id": "Manager ID",
    "manager_name": "Manager",
    "rollup_type": "Roll-up",
    "rollup_key": "Team or manager ID",
    "source_relation": "CRM connection",
    "product_id": "Product ID",
    "product_name": "Product",
    "product_family": "Product family",
    "target_id": "Target ID",
    "metric": "Metric",
    "metric_status": "Metric status",
    "period_grain": "Period grain",
    "target_period_grain": "Period grain",
    "period_view": "Period view",
    "period_start": "Period start",
    "period_end": "Period end",
    "month_start": "Month start",
    "month_end": "Month end",
    "fiscal_year": "Fiscal year",
    "fiscal_quarter": "Fiscal quarter",
    # quota and bookings
    "quota_amount": "Quota",
    "total_quota_amount": "Quota",
    "bookings_arr": "Bookings",
    "total_bookings_arr": "Bookings",
    "new_business_arr": "New business bookings",
    "total_new_business_arr": "New business bookings",
    "attainment": "Attainment",
    "is_at_quota": "At quota",
    "won_opportunities": "Won deals",
    "lost_opportunities": "Lost deals",
    "closed_opportunities": "Closed deals (won + lost)",
    "win_rate": "Win rate (by count)",
    "win_rate_arr": "Win rate (by ARR)",
    "avg_deal_size": "Average deal size",
    "pipeline_created_opportunities": "Pipeline created (deals)",
    "pipeline_created_arr": "Pipeline created",
    "total_pipeline_created_arr": "Pipeline created",
    "arpa": "ARPA",
    # people
    "annual_ote": "Annual OTE",
    "months_in_period": "Months in period",
    "period_ote": "OTE for the period",
    "total_period_ote": "OTE for the period",
    "tenure_months": "Tenure at period start (months)",
    "ramp_months": "Ramp (months)",
    "is_ramping": "Ramping",
    "has_left_in_period": "Left during the period",
    "was_employed_in_period": "Employed during the period",
    "hired_on": "Hired on",
    "ramp_end_on": "Ramp ends on",
    "left_on": "Left on",
    "reps": "Reps",
    "ramped_reps": "Ramped reps",
    "reps_at_quota": "Reps at quota",
    "ramped_reps_at_quota": "Ramped reps at quota",
    "pct_reps_at_quota": "Ramped reps at quota (share)",
    "reps_left_in_period": "Reps who left during the period",
    # periods
    "days_in_period": "Days in period",
    "days_elapsed": "Days elapsed",
    "pct_period_elapsed": "Share of period elapsed",
    "spans_fiscal_year": "Spans two fiscal years",
    "spans_fiscal_quarter": "Spans two fiscal quarters",
    "is_complete": "Period complete",
    "measured_through": "Measured through",
    # org / product attainment
    "target_value": "Target",
    "actual_value": "Actual",
    "gap": "Gap to target",
    "pace": "Pace",
    # the forward view: commit and coverage by period and level
    "period_name": "Period",
    "level": "Level",
    "level_key": "Team, manager or rep ID",
    "level_name": "Team or name",
    "closed_won_arr": "Closed won",
    "commit_arr": "Commit",
    "best_case_arr": "Best case",
    "pipeline_arr": "Pipeline (category)",
    "commit_forecast_arr": "Closed won + commit",
    "best_case_forecast_arr": "Closed won + commit + best case",
    "quota_or_target": "Quota or target",
    "quota_or_target_source": "Quota or target from",
    "commit_attainment": "Commit attainment",
    "best_case_attainment": "Best-case attainment",
    "remaining_target": "Remaining target",
    "open_pipeline_arr": "Open pipeline",
    "weighted_pipeline_arr": "Weighted open pipeline",
    "coverage": "Coverage",
    "weighted_coverage": "Weighted coverage",
    "days_into_period": "Days into period",
    "prior_period_start": "Previous period start",
    "prior_period_end": "Previous period end",
    "prior_as_of_date": "Previous period seen on",
    "prior_closed_won_arr": "Previous period: closed won",
    "prior_quota_or_target": "Previous period: quota or target",
    "prior_remaining_target": "Previous period: remaining target",
    "prior_open_pipeline_arr": "Previous period: open pipeline",
    "prior_weighted_pipeline_arr": "Previous period: weighted open pipeline",
    "prior_coverage": "Previous period: coverage",
    "prior_weighted_coverage": "Previous period: weighted coverage",
    # stamp
    "as_of_date": "As-of date",
    "reporting_currency": "Reporting currency",
}

#: Words of a column name written as finance writes them, in a label made from the name.
WORDS = {"arr": "ARR", "roi": "ROI", "ote": "OTE", "sdr": "SDR", "sdrs": "SDRs", "sql": "SQL", "sqls": "SQLs",
         "mql": "MQL", "mqls": "MQLs", "arpa": "ARPA", "avg": "average", "pct": "%", "abs": "absolute",
         "stage1": "stage-1", "stage2": "stage-2"}

#: The column an export adds beside ``metric`` when values are in the unit of each row's metric.
UNIT_COLUMN = "unit"
UNIT_DEFINITION = ("The unit of this row's target, actual and gap: the reporting currency for an amount, "
                   "count for a number of deals, leads or customers (the unit of the metric's column in the "
                   "marts); empty for a metric no mart publishes.")

#: Excel number formats by unit: (integer type, other types). Text is '@' (Excel keeps an edit as text).
NUMBER_FORMATS: dict[str, tuple[str | None, str | None]] = {
    "money": ("#,##0.00", "#,##0.00"),
    "rate": ("0.0%", "0.0%"),
    "multiple": ('0.00"×"', '0.00"×"'),
    "count": ("#,##0", "#,##0.0"),
    "days": ("#,##0", "#,##0.0"),
    "months": ("#,##0", "#,##0.0"),
    "number": ("0", "0.00"),
    "date": ("yyyy-mm-dd", "yyyy-mm-dd"),
    "text": ("@", "@"),
    "flag": (None, None),
}

#: A text value a spreadsheet would read as a formula when it starts with one of these (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Characters an xlsx file cannot hold (XML 1.0 control characters); written as U+FFFD.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


#: Columns that describe a period, not a rep or a team: a totals row keeps them when all its rows agree.
PERIOD_COLUMNS = ("source_relation", "period_end", "fiscal_year", "fiscal_quarter", "months_in_period",
                  "days_in_period", "days_elapsed", "pct_period_elapsed", "spans_fiscal_year",
                  "spans_fiscal_quarter", "is_complete", "as_of_date", "reporting_currency")


@dataclass(frozen=True)
class Totals:
    """Totals rows of a mart's sheet: per group of `by`, over the rows matching `where`."""

    by: tuple[str, ...]
    label: str
    where: tuple[tuple[str, str], ...] = ()
    kept: tuple[str, ...] = PERIOD_COLUMNS


#: Where a sum means something: quota, bookings and counts of every rep in a quota period, and of
#: every team (a rep is in one team; the manager roll-ups nest, so their sums would count reps twice).
#: Targets (org attainment) have none: different metrics and overlapping periods do not add up.
TOTALS: dict[str, Totals] = {
    "kpi_rep_attainment": Totals(by=("period_start", "period_end"), label="Total, all reps"),
    "kpi_team_attainment": Totals(by=("period_start", "period_end"), label="Total, all teams",
                                  where=(("rollup_type", "team"),)),
}


class ExportError(RuntimeError):
    """The export cannot be written (no such mart, no build stamp, unknown format)."""


@dataclass
class BuildStamp:
    """What build a file shows: from the warehouse's build_metadata table."""

    as_of_date: dt.date
    reporting_currency: str
    fiscal_year_start_month: int
    built_at: Any
    invocation_id: str | None = None


@dataclass
class SheetInfo:
    mart: str
    title: str
    rows: int
    first_period: dt.date | None
    last_period: dt.date | None
    columns: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    #: Per column, its definition in words ("" when the project describes none).
    definitions: list[str] = field(default_factory=list)
    #: Per column, its unit (sales_kpis.definitions.UNITS), None when unknown.
    units: list[str | None] = field(default_factory=list)
    #: Per column, whether it is declared as an integer type.
    integral: list[bool] = field(default_factory=list)
    #: Totals rows the Excel sheet carries below its data.
    totals: int = 0


@dataclass
class ExportResult:
    path: Path
    fmt: str
    stamp: BuildStamp
    sheets: list[SheetInfo]
    missing: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading the warehouse


def _connect(database: Path):
    from sales_kpis import warehouse

    try:
        return warehouse.read_only(database)
    except warehouse.NoWarehouse as error:
        raise ExportError(str(error)) from error


def find_relation(connection, name: str) -> str | None:
    """The schema-qualified relation of a model (marts live in the target schema, e.g. main)."""
    from sales_kpis.warehouse import relations

    return relations(connection).get(name)


def published_marts(connection) -> list[str]:
    """The kpi_ marts in the warehouse: what export writes."""
    from sales_kpis.warehouse import relations

    return sorted(name for name in relations(connection) if name.startswith("kpi_"))


def no_such_mart(name: str, marts: list[str]) -> str:
    """The message for a name that is not a mart of the warehouse: the closest names, then every mart."""
    if not marts:
        return f"no mart {name!r}: the warehouse has no kpi_ marts (build it with `sales-kpis build`)"
    close = difflib.get_close_matches(name, marts, n=3, cutoff=0.75)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    what = "in the warehouse" if name.startswith("kpi_") else "(export writes the published kpi_ marts only)"
    return f"no mart {name!r} {what}{hint}; the marts are: {', '.join(marts)}"


def read_stamp(connection) -> BuildStamp:
    relation = find_relation(connection, "build_metadata")
    if relation is None:
        raise ExportError("the warehouse has no build_metadata table (built before it existed?): rebuild it")
    row = connection.execute(
        f"select as_of_date, reporting_currency, fiscal_year_start_month, built_at, invocation_id from {relation}"
    ).fetchone()
    return BuildStamp(as_of_date=row[0], reporting_currency=row[1], fiscal_year_start_month=int(row[2]),
                      built_at=row[3], invocation_id=row[4])


def read_mart(connection, name: str, key: tuple[str, ...] = ()):
    """The mart as a pyarrow Table (decimals stay exact), sorted by the key columns it has."""
    from sales_kpis.warehouse import quoted

    relation = find_relation(connection, name) if name.startswith("kpi_") else None
    if relation is None:
        raise ExportError(no_such_mart(name, published_marts(connection)))
    result = connection.sql(f"select * from {relation}")
    order = [column for column in key if column in result.columns]
    if order:
        result = connection.sql(f"select * from {relation} order by {', '.join(quoted(column) for column in order)}")
    # duckdb 2 names it to_arrow_table; 1.x arrow().
    return result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()


# --------------------------------------------------------------------------- columns


def _definitions():
    """The dbt project's definitions, or None when its files are not found (an export still works)."""
    from sales_kpis.definitions import load

    try:
        return load()
    except FileNotFoundError:
        return None


def unit_of_arrow(data_type) -> str | None:
    """A column's unit from its type alone, when the project's ymls are not at hand."""
    import pyarrow as pa

    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "text"
    if pa.types.is_date(data_type) or pa.types.is_timestamp(data_type):
        return "date"
    if pa.types.is_boolean(data_type):
        return "flag"
    if pa.types.is_integer(data_type):
        return "count"
    return None


def unit_word(unit: str | None, currency: str) -> str:
    """A unit as a reader reads it: the currency's code for money, else the unit's name ("" unknown)."""
    if unit is None:
        return ""
    return currency if unit == "money" else unit


def number_format(unit: str | None, integral: bool) -> str | None:
    """The Excel number format of a unit (None: General)."""
    formats = NUMBER_FORMATS.get(unit or "")
    return None if formats is None else formats[0 if integral else 1]


def column_label(column: str, unit: str | None, currency: str) -> str:
    """A header a finance user reads: the known label, else the name in words; money with its currency."""
    if column in LABELS:
        words = LABELS[column]
    else:
        words = " ".join(WORDS.get(word, word) for word in column.split("_") if word)
        words = words[:1].upper() + words[1:]
    return f"{words} ({currency})" if unit == "money" else words


def unique_labels(columns: list[str], units: list[str | None], currency: str) -> list[str]:
    labels, seen = [], {}
    for column, unit in zip(columns, units):
        label = "Unit" if column == UNIT_COLUMN else column_label(column, unit, currency)
        if label in seen:  # two columns, one label: keep them apart
            label = f"{label} [{column}]"
        seen[label] = column
        labels.append(label)
    return labels


def period_range(table) -> tuple[dt.date | None, dt.date | None]:
    """First and last day the rows cover (period / month / quarter columns)."""
    import pyarrow.compute as pc

    names = table.column_names
    for start, end in [("period_start", "period_end"), ("month_start", "month_end"),
                       ("hire_quarter_start", "hire_quarter_end")]:
        if start in names and end in names and table.num_rows:
            return _to_date(pc.min(table[start]).as_py()), _to_date(pc.max(table[end]).as_py())
    return None, None


def _to_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def stamped(table, stamp: BuildStamp):
    """The table with as_of_date and reporting_currency columns on every row (a mart that has one keeps its own)."""
    import pyarrow as pa

    rows = table.num_rows
    for name, value, kind in (("as_of_date", stamp.as_of_date, pa.date32()),
                              ("reporting_currency", stamp.reporting_currency, pa.string())):
        if name not in table.column_names:
            table = table.append_column(name, pa.array([value] * rows, kind))
    return table


def with_metric_units(table, units: dict[str, str | None], currency: str):
    """The table with a unit column after ``metric``: each row's metric's unit (money: the currency)."""
    import pyarrow as pa

    metrics = table["metric"].to_pylist()
    words = [unit_word(units.get(metric) if metric is not None else None, currency) for metric in metrics]
    return table.add_column(table.column_names.index("metric") + 1, pa.field(UNIT_COLUMN, pa.string()),
                           pa.array(words, pa.string()))


# --------------------------------------------------------------------------- text that stays text


def csv_text(value: str | None) -> str | None:
    """A text value for CSV: a leading ' when a spreadsheet would read it as a formula (OWASP)."""
    if value and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def xlsx_text(value: str) -> str:
    """A text value an xlsx file can hold: XML-illegal control characters become U+FFFD."""
    return _NOT_IN_XLSX.sub("\ufffd", value)


def _append(sheet, values: list) -> list:
    """Appends a row; every str becomes a string cell (openpyxl makes '=...' a formula otherwise)."""
    sheet.append([xlsx_text(value) if isinstance(value, str) else value for value in values])
    cells = list(sheet[sheet.max_row])
    for cell, value in zip(cells, values):
        if isinstance(value, str):
            cell.data_type = "s"
    return cells


# --------------------------------------------------------------------------- writers


def _write_csv(table, path: Path, labels: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = pa.array([csv_text(value) for value in column.to_pylist()], column.type)
        columns.append(column)
    pacsv.write_csv(pa.table(columns, names=labels), path)


def _write_parquet(table, path: Path, labels: list[str], stamp: BuildStamp, info: SheetInfo) -> None:
    import pyarrow.parquet as pq

    table = table.rename_columns(labels)
    metadata = dict(table.schema.metadata or {})
    metadata[b"sales_kpis"] = json.dumps({
        "mart": info.mart,
        "as_of_date": stamp.as_of_date.isoformat(),
        "reporting_currency": stamp.reporting_currency,
        "fiscal_year_start_month": stamp.fiscal_year_start_month,
        "built_at": str(stamp.built_at),
        "first_period": info.first_period.isoformat() if info.first_period else None,
        "last_period": info.last_period.isoformat() if info.last_period else None,
        "columns": dict(zip(labels, info.columns)),
        "units": dict(zip(labels, info.units)),
    }).encode()
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _excel_value(value):
    if isinstance(value, Decimal):
        return float(value)  # Excel stores doubles; the cents survive (15 significant digits)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def totals_rows(rows: list[dict], info: SheetInfo, rates: dict[str, tuple[str, str]], spec: Totals) -> list[dict]:
    """One row per group of spec.by over the rows matching spec.where: money and counts summed
    (exactly), a rate or average re-computed from its summed numerator and denominator, a column
    of spec.kept (the period's) kept when every row of the group agrees, anything else left empty."""
    summed = {column for column, unit in zip(info.columns, info.units)
              if unit in ("money", "count") and column not in spec.by and column not in rates}
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if all(row.get(column) == value for column, value in spec.where):
            groups.setdefault(tuple(row[column] for column in spec.by), []).append(row)
    totals = []
    for _group, members in sorted(groups.items(), key=lambda item: [(part is None, part) for part in item[0]]):
        total: dict[str, Any] = {}
        for column in info.columns:
            values = [member[column] for member in members]
            if column in summed:
                total[column] = sum(value for value in values if value is not None)
            elif (column in spec.by or column in spec.kept) and all(value == values[0] for value in values):
                total[column] = values[0]
            else:
                total[column] = None
        for column, (numerator, denominator) in rates.items():
            if column in total and {numerator, denominator} <= summed:
                quotient = Decimal(total[numerator]) / Decimal(total[denominator]) if total[denominator] else None
                money = info.units[info.columns.index(column)] == "money"
                total[column] = quotient if quotient is None else \
                    quotient.quantize(Decimal("0.01")) if money else float(quotient)
        total[info.columns[0]] = spec.label
        totals.append(total)
    return totals


def _add_sheet(workbook, info: SheetInfo, table, metric_units: dict[str, str | None], currency: str,
               totals: list[dict]) -> None:
    from openpyxl.styles import Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title=info.title[:31])
    for cell in _append(sheet, info.labels):
        cell.font = Font(bold=True)
    formats = [number_format(unit, integral) for unit, integral in zip(info.units, info.integral)]
    metric_formats = {metric: number_format(unit, unit == "count") for metric, unit in metric_units.items()}
    by_metric = "metric" in info.columns and "by_metric" in info.units
    rows = table.to_pylist()

    def write(row: dict) -> list:
        cells = _append(sheet, [_excel_value(row[column]) for column in info.columns])
        row_format = metric_formats.get(row.get("metric")) if by_metric else None
        for cell, unit, number in zip(cells, info.units, formats):
            chosen = (row_format or "General") if unit == "by_metric" else number
            if chosen:
                cell.number_format = chosen
        return cells

    for row in rows:
        write(row)
    if totals:
        sheet.append([])
        marked = PatternFill("solid", fgColor="E8EEF5")
        for total in totals:
            for cell in write(total):
                cell.font = Font(bold=True)
                cell.fill = marked
                cell.border = Border(top=Side(style="thin"))
    for index, label in enumerate(info.labels, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(label) + 2))
    sheet.freeze_panes = "A2"
    if rows:  # the data rows only: sorting or filtering never moves a totals row into the data
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(info.columns))}{len(rows) + 1}"


def _about_sheet(workbook, stamp: BuildStamp, sheets: list[SheetInfo], missing: list[str], title: str) -> None:
    from openpyxl.styles import Alignment, Font

    about = workbook.create_sheet(title="About", index=0)

    def bold(cells: list, size: int | None = None) -> None:
        for cell in cells:
            cell.font = Font(bold=True, size=size) if size else Font(bold=True)

    bold(_append(about, [title])[:1], 14)
    about.append([])
    for label, value in [
        ("As-of date", stamp.as_of_date),
        ("Reporting currency", stamp.reporting_currency),
        ("Fiscal year starts in month", stamp.fiscal_year_start_month),
        ("Built at (UTC)", _excel_value(stamp.built_at)),
        ("Build id", stamp.invocation_id),
    ]:
        cells = _append(about, [label, value])
        if isinstance(value, (dt.date, dt.datetime)):
            cells[1].number_format = "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"
    about.append([])
    bold(_append(about, ["Sheet", "Source mart", "Rows", "First period starts", "Last period ends", "Totals rows"]))
    for info in sheets:
        cells = _append(about, [info.title, info.mart, info.rows, info.first_period, info.last_period, info.totals])
        for cell in cells[3:5]:
            cell.number_format = "yyyy-mm-dd"
    if missing:
        about.append([])
        _append(about, ["Not included (not built in this warehouse)", ", ".join(missing)])
    about.append([])
    notes = [
        f"Amounts are in {stamp.reporting_currency}, converted at each deal's close date (ARR at each month end).",
        "Rates (attainment, win rate, shares) are shown as percentages; 100% = target met.",
        f"Every figure is as of {stamp.as_of_date.isoformat()}: later events are not counted; periods not over are partial.",
        "Rows are sorted by each mart's key. Each column's unit is below; where a sheet's targets mix amounts and "
        "counts, its Unit column gives each row's.",
    ]
    if any(info.totals for info in sheets):
        notes.append("Rows starting with 'Total' below a sheet's data (bold, shaded) are totals per period: amounts "
                     "and counts summed, rates re-computed from the summed amounts and counts. They are outside "
                     "the filter range, so sorting and filtering leave them below.")
    notes.append("Text from the CRM (names, teams, sources, metrics) is text: no cell of this workbook is a formula.")
    described = all(info.definitions for info in sheets)
    notes.append("Definitions: below, for every column (the project's dbt documentation)." if described else
                 "Definitions: not included (the dbt project's files were not found).")
    for note in notes:
        _append(about, [note])
    if described:
        about.append([])
        bold(_append(about, ["Definitions"]), 12)
        bold(_append(about, ["Sheet", "Column", "Definition", "Unit", "Mart column"]))
        for info in sheets:
            for label, definition, unit, column in zip(info.labels, info.definitions, info.units, info.columns):
                word = "the row's metric's (Unit column)" if unit == "by_metric" else unit_word(unit, stamp.reporting_currency)
                cells = _append(about, [info.title, label, definition, word, column])
                cells[2].alignment = Alignment(wrap_text=True, vertical="top")
    about.column_dimensions["A"].width = 42
    about.column_dimensions["B"].width = 28
    about.column_dimensions["C"].width = 90
    for letter in "DEF":
        about.column_dimensions[letter].width = 20


def _column_units(table, model, stamp_model, metric_units) -> tuple[list, list, list]:
    """Per column: its unit, whether it is an integer type, and its definition ("" when undescribed)."""
    import pyarrow as pa

    from sales_kpis.definitions import plain

    units, integral, texts = [], [], []
    for column in table.column_names:
        described = next((source.columns[column] for source in (model, stamp_model)
                          if source is not None and column in source.columns), None)
        if column == UNIT_COLUMN and metric_units:
            unit, whole, text = "text", False, UNIT_DEFINITION
        elif described is not None:
            unit, whole, text = described.unit, described.is_integral, plain(described.description)
        else:
            field_type = table.schema.field(column).type
            unit, whole, text = unit_of_arrow(field_type), pa.types.is_integer(field_type), ""
        units.append(unit)
        integral.append(whole)
        texts.append(text)
    return units, integral, texts


def _sheet(connection, mart: str, title: str, stamp: BuildStamp, column_names: bool):
    """The mart's table (sorted, stamped, with a unit column where needed), its sheet info, the units
    of its metrics and its rates ({column: (numerator, denominator)})."""
    definitions = _definitions()
    model = definitions.models.get(mart) if definitions else None
    stamp_model = definitions.models.get("build_metadata") if definitions else None
    table = read_mart(connection, mart, model.key if model else ())
    first, last = period_range(table)
    table = stamped(table, stamp)
    metric_units: dict[str, str | None] = {}
    if model and "metric" in table.column_names and any(column.unit == "by_metric" for column in model.columns.values()):
        metric_units = {metric: definitions.metric_unit(metric)
                        for metric in set(table["metric"].to_pylist()) if metric is not None}
        table = with_metric_units(table, metric_units, stamp.reporting_currency)
    units, integral, texts = _column_units(table, model, stamp_model, metric_units)
    columns = table.column_names
    labels = columns if column_names else unique_labels(columns, units, stamp.reporting_currency)
    info = SheetInfo(mart=mart, title=title, rows=table.num_rows, first_period=first, last_period=last, columns=columns,
                     labels=labels, definitions=texts if definitions else [], units=units, integral=integral)
    rates = {name: (column.rate.numerator, column.rate.denominator)
             for name, column in (model.columns.items() if model else []) if column.rate is not None}
    return table, info, metric_units, rates


def _xlsx_sheet(workbook, connection, mart: str, title: str, stamp: BuildStamp, column_names: bool) -> SheetInfo:
    table, info, metric_units, rates = _sheet(connection, mart, title, stamp, column_names)
    totals = totals_rows(table.to_pylist(), info, rates, TOTALS[mart]) if mart in TOTALS else []
    info.totals = len(totals)
    _add_sheet(workbook, info, table, metric_units, stamp.reporting_currency, totals)
    return info


# --------------------------------------------------------------------------- public API


def export_mart(database: Path, mart: str, fmt: str | None, out: Path, column_names: bool = False) -> ExportResult:
    """Writes one mart to out as csv, parquet or xlsx (format from the suffix when fmt is None)."""
    fmt = (fmt or Path(out).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out)
    title = mart.removeprefix("kpi_").replace("_", " ").capitalize()
    with _connect(database) as connection:
        stamp = read_stamp(connection)
        if fmt == "xlsx":
            from openpyxl import Workbook

            workbook = Workbook()
            workbook.remove(workbook.active)
            info = _xlsx_sheet(workbook, connection, mart, title, stamp, column_names)
        else:
            table, info, _units, _rates = _sheet(connection, mart, title, stamp, column_names)
    with replaced(out) as scratch:
        if fmt == "csv":
            _write_csv(table, scratch, info.labels)
        elif fmt == "parquet":
            _write_parquet(table, scratch, info.labels, stamp, info)
        else:
            _about_sheet(workbook, stamp, [info], [], f"{info.title} as of {stamp.as_of_date.isoformat()}")
            workbook.save(scratch)
    return ExportResult(path=out, fmt=fmt, stamp=stamp, sheets=[info])


def export_finance_bundle(database: Path, out: Path, marts: list[tuple[str, str]] | None = None,
                          column_names: bool = False) -> ExportResult:
    """Rep, team and org attainment, commit and coverage in one workbook (one sheet each, an About sheet first).

    Marts the warehouse does not have are left out and named in the result and
    on the About sheet; at least one must exist.
    """
    from openpyxl import Workbook

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise ExportError(f"the finance bundle is an Excel workbook: give an .xlsx path, not {out.name}")
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets, missing = [], []
    with _connect(database) as connection:
        stamp = read_stamp(connection)
        for mart, title in marts or FINANCE_BUNDLE:
            if find_relation(connection, mart) is None:
                missing.append(mart)
                continue
            sheets.append(_xlsx_sheet(workbook, connection, mart, title, stamp, column_names))
    if not sheets:
        raise ExportError(f"none of {', '.join(m for m, _ in marts or FINANCE_BUNDLE)} is in the warehouse")
    _about_sheet(workbook, stamp, sheets, missing, f"Attainment as of {stamp.as_of_date.isoformat()}")
    with replaced(out) as scratch:
        workbook.save(scratch)
    return ExportResult(path=out, fmt="xlsx", stamp=stamp, sheets=sheets, missing=missing)
