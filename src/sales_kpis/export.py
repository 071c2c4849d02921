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
  definition of every column it exports, the text of the project's dbt
  documentation, read by :mod:`sales_kpis.definitions`), then one sheet
  per mart with the same stamp columns, a frozen header row, filters, and
  number formats (amounts with two decimals, rates as percentages, dates).

Column headers are labels a finance user reads ("Quota (USD)", "Win rate")
unless ``column_names=True`` keeps the marts' own names. Amounts are already
in the reporting currency in the marts (converted at close / month-end
dates); the labels carry its ISO code. Values are read exactly (decimals stay
decimals, to the cent).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMATS = ("csv", "parquet", "xlsx")

#: The finance bundle: rep, team and org attainment, one sheet each (sheet title per mart).
FINANCE_BUNDLE: list[tuple[str, str]] = [
    ("kpi_rep_attainment", "Rep attainment"),
    ("kpi_team_attainment", "Team attainment"),
    ("kpi_org_attainment", "Org attainment"),
]

#: Labels of known columns; "{currency}" becomes the reporting currency's code.
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
    "metric": "Metric",
    "period_grain": "Period grain",
    "period_start": "Period start",
    "period_end": "Period end",
    "month_start": "Month start",
    "month_end": "Month end",
    "fiscal_year": "Fiscal year",
    "fiscal_quarter": "Fiscal quarter",
    # quota and bookings
    "quota_amount": "Quota ({currency})",
    "total_quota_amount": "Quota ({currency})",
    "bookings_arr": "Bookings ({currency})",
    "total_bookings_arr": "Bookings ({currency})",
    "new_business_arr": "New business bookings ({currency})",
    "total_new_business_arr": "New business bookings ({currency})",
    "attainment": "Attainment",
    "is_at_quota": "At quota",
    "won_opportunities": "Won deals",
    "closed_opportunities": "Closed deals (won + lost)",
    "win_rate": "Win rate (by count)",
    "avg_deal_size": "Average deal size ({currency})",
    "pipeline_created_opportunities": "Pipeline created (deals)",
    "pipeline_created_arr": "Pipeline created ({currency})",
    "total_pipeline_created_arr": "Pipeline created ({currency})",
    # people
    "annual_ote": "Annual OTE ({currency})",
    "months_in_period": "Months in period",
    "period_ote": "OTE for the period ({currency})",
    "total_period_ote": "OTE for the period ({currency})",
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
    # org / product attainment (spec section 5)
    "target_value": "Target",
    "actual_value": "Actual",
    "gap": "Gap to target",
    "pace": "Pace",
    # stamp
    "as_of_date": "As-of date",
    "reporting_currency": "Reporting currency",
}

MONEY_SUFFIXES = ("_arr", "_amount", "_ote", "_cost")
MONEY_COLUMNS = {"avg_deal_size"}
RATE_COLUMNS = {"attainment", "pace", "cumulative_roi", "horizon_roi"}
RATE_PREFIXES = ("pct_", "share_")
RATE_SUFFIXES = ("_rate",)


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


def read_stamp(connection) -> BuildStamp:
    relation = find_relation(connection, "build_metadata")
    if relation is None:
        raise ExportError("the warehouse has no build_metadata table (built before it existed?): rebuild it")
    row = connection.execute(
        f"select as_of_date, reporting_currency, fiscal_year_start_month, built_at, invocation_id from {relation}"
    ).fetchone()
    return BuildStamp(as_of_date=row[0], reporting_currency=row[1], fiscal_year_start_month=int(row[2]),
                      built_at=row[3], invocation_id=row[4])


def read_mart(connection, name: str):
    """The mart as a pyarrow Table (decimals stay exact)."""
    relation = find_relation(connection, name)
    if relation is None:
        raise ExportError(f"no mart {name!r} in the warehouse")
    result = connection.sql(f"select * from {relation}")
    # duckdb 2 names it to_arrow_table; 1.x arrow().
    return result.to_arrow_table() if hasattr(result, "to_arrow_table") else result.arrow()


# --------------------------------------------------------------------------- columns


def is_money(column: str) -> bool:
    return column in MONEY_COLUMNS or column.endswith(MONEY_SUFFIXES)


def is_rate(column: str) -> bool:
    return column in RATE_COLUMNS or column.startswith(RATE_PREFIXES) or column.endswith(RATE_SUFFIXES)


def column_label(column: str, currency: str) -> str:
    """A header a finance user reads: the known label, else the name in words (money with its currency)."""
    if column in LABELS:
        return LABELS[column].format(currency=currency)
    words = column.replace("_", " ").strip()
    words = " ".join("ARR" if word == "arr" else "ROI" if word == "roi" else "OTE" if word == "ote" else word
                     for word in words.split())
    words = words[:1].upper() + words[1:]
    return f"{words} ({currency})" if is_money(column) else words


def unique_labels(columns: list[str], currency: str) -> list[str]:
    labels, seen = [], {}
    for column in columns:
        label = column_label(column, currency)
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


def column_definitions(mart: str, columns: list[str]) -> list[str] | None:
    """Each column's definition (the mart's yml, the stamp columns' from build_metadata's), on one line.

    None when the dbt project's files are not found (an export still works
    from the warehouse alone).
    """
    from sales_kpis.definitions import load, plain

    try:
        definitions = load()
    except FileNotFoundError:
        return None
    described = [definitions.models[name] for name in (mart, "build_metadata") if name in definitions.models]
    return [next((plain(model.columns[column].description) for model in described if column in model.columns), "")
            for column in columns]


def _to_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def stamped(table, stamp: BuildStamp):
    """The table with as_of_date and reporting_currency columns on every row."""
    import pyarrow as pa

    rows = table.num_rows
    table = table.append_column("as_of_date", pa.array([stamp.as_of_date] * rows, pa.date32()))
    return table.append_column("reporting_currency", pa.array([stamp.reporting_currency] * rows, pa.string()))


# --------------------------------------------------------------------------- writers


def _write_csv(table, path: Path, labels: list[str]) -> None:
    import pyarrow.csv as pacsv

    pacsv.write_csv(table.rename_columns(labels), path)


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
    }).encode()
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _excel_value(value):
    if isinstance(value, Decimal):
        return float(value)  # Excel stores doubles; the cents survive (15 significant digits)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def _add_sheet(workbook, title: str, table, columns: list[str], labels: list[str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(labels)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = []
    for column in columns:
        if is_money(column):
            formats.append("#,##0.00")
        elif is_rate(column):
            formats.append("0.0%")
        else:
            formats.append(None)
    for row in table.to_pylist():
        sheet.append([_excel_value(row[column]) for column in columns])
    for index, (column, number_format) in enumerate(zip(columns, formats), start=1):
        letter = get_column_letter(index)
        sample = table.schema.field(column).type
        if number_format is None and str(sample).startswith(("date", "timestamp")):
            number_format = "yyyy-mm-dd"
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = max(12, min(40, len(labels[index - 1]) + 2))
    sheet.freeze_panes = "A2"
    if table.num_rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{table.num_rows + 1}"


def _about_sheet(workbook, stamp: BuildStamp, sheets: list[SheetInfo], missing: list[str], title: str) -> None:
    from openpyxl.styles import Alignment, Font

    about = workbook.create_sheet(title="About", index=0)
    about.append([title])
    about["A1"].font = Font(bold=True, size=14)
    about.append([])
    for label, value in [
        ("As-of date", stamp.as_of_date),
        ("Reporting currency", stamp.reporting_currency),
        ("Fiscal year starts in month", stamp.fiscal_year_start_month),
        ("Built at (UTC)", _excel_value(stamp.built_at)),
        ("Build id", stamp.invocation_id),
    ]:
        about.append([label, value])
        if isinstance(value, (dt.date, dt.datetime)):
            about.cell(row=about.max_row, column=2).number_format = "yyyy-mm-dd" if not isinstance(value, dt.datetime) else "yyyy-mm-dd hh:mm"
    about.append([])
    about.append(["Sheet", "Source mart", "Rows", "First period starts", "Last period ends"])
    for cell in about[about.max_row]:
        cell.font = Font(bold=True)
    for info in sheets:
        about.append([info.title, info.mart, info.rows, info.first_period, info.last_period])
        for column in (4, 5):
            about.cell(row=about.max_row, column=column).number_format = "yyyy-mm-dd"
    if missing:
        about.append([])
        about.append(["Not included (not built in this warehouse)", ", ".join(missing)])
    about.append([])
    notes = [
        f"Amounts are in {stamp.reporting_currency}, converted at each deal's close date (ARR at each month end).",
        "Rates (attainment, win rate, shares) are shown as percentages; 100% = target met.",
        f"Every figure is as of {stamp.as_of_date.isoformat()}: later events are not counted; periods not over are partial.",
    ]
    described = all(info.definitions for info in sheets)
    notes.append("Definitions: below, for every column (the project's dbt documentation)." if described else
                 "Definitions: not included (the dbt project's files were not found).")
    for note in notes:
        about.append([note])
    if described:
        about.append([])
        about.append(["Definitions"])
        about.cell(row=about.max_row, column=1).font = Font(bold=True, size=12)
        about.append(["Sheet", "Column", "Definition"])
        for cell in about[about.max_row]:
            cell.font = Font(bold=True)
        for info in sheets:
            for label, definition in zip(info.labels, info.definitions):
                about.append([info.title, label, definition])
                about.cell(row=about.max_row, column=3).alignment = Alignment(wrap_text=True, vertical="top")
    about.column_dimensions["A"].width = 42
    about.column_dimensions["B"].width = 28
    about.column_dimensions["C"].width = 90
    for letter in "DE":
        about.column_dimensions[letter].width = 20


def _sheet(connection, mart: str, title: str, stamp: BuildStamp, column_names: bool):
    table = read_mart(connection, mart)
    first, last = period_range(table)
    table = stamped(table, stamp)
    columns = table.column_names
    labels = columns if column_names else unique_labels(columns, stamp.reporting_currency)
    info = SheetInfo(mart=mart, title=title, rows=table.num_rows, first_period=first, last_period=last, columns=columns,
                     labels=labels, definitions=column_definitions(mart, columns) or [])
    return table, labels, info


# --------------------------------------------------------------------------- public API


def export_mart(database: Path, mart: str, fmt: str | None, out: Path, column_names: bool = False) -> ExportResult:
    """Writes one mart to out as csv, parquet or xlsx (format from the suffix when fmt is None)."""
    fmt = (fmt or Path(out).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _connect(database) as connection:
        stamp = read_stamp(connection)
        title = mart.removeprefix("kpi_").replace("_", " ").capitalize()
        table, labels, info = _sheet(connection, mart, title, stamp, column_names)
    if fmt == "csv":
        _write_csv(table, out, labels)
    elif fmt == "parquet":
        _write_parquet(table, out, labels, stamp, info)
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        workbook.remove(workbook.active)
        _add_sheet(workbook, info.title, table, info.columns, labels)
        _about_sheet(workbook, stamp, [info], [], f"{info.title} as of {stamp.as_of_date.isoformat()}")
        workbook.save(out)
    return ExportResult(path=out, fmt=fmt, stamp=stamp, sheets=[info])


def export_finance_bundle(database: Path, out: Path, marts: list[tuple[str, str]] | None = None,
                          column_names: bool = False) -> ExportResult:
    """Rep, team and org attainment in one workbook (one sheet each, an About sheet first).

    Marts the warehouse does not have are left out and named in the result and
    on the About sheet; at least one must exist.
    """
    from openpyxl import Workbook

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise ExportError(f"the finance bundle is an Excel workbook: give an .xlsx path, not {out.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets, missing = [], []
    with _connect(database) as connection:
        stamp = read_stamp(connection)
        for mart, title in marts or FINANCE_BUNDLE:
            if find_relation(connection, mart) is None:
                missing.append(mart)
                continue
            table, labels, info = _sheet(connection, mart, title, stamp, column_names)
            _add_sheet(workbook, title, table, info.columns, labels)
            sheets.append(info)
    if not sheets:
        raise ExportError(f"none of {', '.join(m for m, _ in marts or FINANCE_BUNDLE)} is in the warehouse")
    _about_sheet(workbook, stamp, sheets, missing, f"Attainment as of {stamp.as_of_date.isoformat()}")
    workbook.save(out)
    return ExportResult(path=out, fmt="xlsx", stamp=stamp, sheets=sheets, missing=missing)
