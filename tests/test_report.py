"""`sales-kpis report`: the self-contained dashboard.

- On the session's warehouse: every chart has data, the page needs no network,
  and headless Chromium draws every chart with marks (bars, lines, heat-map
  cells) in the rendered DOM.
- With marts missing or empty: those charts become "no data" panels naming
  the mart, the others still draw, and the header counts them.
- Each chart's footnotes are the project's definitions of what it shows, and
  the rates it re-aggregates come from their published numerators and
  denominators, not from a formula in the dashboard's code.
- Read as a sales leader would: a percentage in the funnel is a share of a
  cohort (never "121 % of the step above"), SQLs have their own axis,
  cohort cells and colour bar show one decimal, a quota period not over is
  marked in progress, counts of reps have whole-number ticks, the target
  bars' labels are short, and each SDR's line has its own colour.
- A warehouse without a build stamp or without marts is refused, naming
  why; the page never shows a date the warehouse does not have.
- Without Chromium the rendering test is skipped, saying how to get it.
Hostile values in the page: tests/test_hostile_exports.py.
"""

from __future__ import annotations

import html
import inspect
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from sales_kpis import cli, report
from sales_kpis.browser import NO_CHROMIUM, dump_dom, find_chromium
from sales_kpis.definitions import load, plain
from sales_kpis.publish import release_dbt_duckdb_handle
from sales_kpis.report import CHARTS, ReportError, rate_sql, write_report

CHART_KEYS = [spec.key for spec in CHARTS]


def published_copy(built_warehouse, directory: Path) -> Path:
    """The session warehouse copied (checkpointed first) so the report can open it read-only."""
    release_dbt_duckdb_handle()
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "wh.duckdb"
    shutil.copyfile(built_warehouse.database, database)
    return database


@pytest.fixture(scope="module")
def report_page(built_warehouse, tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("report")
    database = published_copy(built_warehouse, workdir)
    result = write_report(database, workdir / "out")
    return {"result": result, "html": result.path.read_text(encoding="utf-8"), "database": database}


# --------------------------------------------------------------------------- the page


def test_every_chart_has_data_on_generated_data(report_page):
    result = report_page["result"]
    missing = {panel.key: panel.missing for panel in result.without_data}
    assert not missing, f"charts without data: {missing}"
    assert result.with_data == CHART_KEYS


def test_header_names_the_as_of_date_and_currency(report_page, built_warehouse):
    page = report_page["html"]
    manifest = json.loads(re.search(r'<script type="application/json" id="report-manifest">(.*?)</script>', page).group(1))
    assert manifest["as_of"] == built_warehouse.as_of
    assert manifest["currency"] == "USD"
    assert "Reporting currency <b>USD</b>" in page
    assert "31 October 2026" in page
    assert f"{len(CHART_KEYS)} of {len(CHART_KEYS)} charts have data" in page


def test_page_is_self_contained(report_page):
    page = report_page["html"]
    assert not re.search(r"<script[^>]+src=", page), "no external script"
    assert not re.search(r"<link[^>]+href=", page), "no external stylesheet"
    assert not re.search(r"<img[^>]+src=\"?https?:", page)
    assert "Plotly.newPlot" in page
    assert page.count("<script type=\"text/javascript\">") >= 2  # plotly.js inlined, then the charts


def panel_html(page: str, key: str) -> str:
    return re.search(rf'<section [^>]*id="panel-{key}".*?</section>', page, re.S).group(0)


def test_footnotes_are_the_project_definitions(report_page):
    page = report_page["html"]
    definitions = load()
    for spec in CHARTS:
        assert spec.defines, f"{spec.key} defines nothing"
        section = panel_html(page, spec.key)
        for label, mart, column in spec.defines:
            text = plain(definitions.column(mart, column).description)
            assert text and f"<dd>{html.escape(text)}</dd>" in section, (spec.key, label)
    assert "docs/kpis" not in page


def test_rates_are_re_aggregated_from_their_published_columns(report_page, built_warehouse):
    definitions = load()
    assert rate_sql(definitions, "kpi_retention", "net_revenue_retention") == \
        'cast(sum("retained_arr") as double) / nullif(cast(sum("base_arr") as double), 0)'
    # No formula restated: the dashboard's code names no numerator or denominator of the rates it shows.
    shown = [definitions.column(mart, column).rate for spec in CHARTS for _, mart, column in spec.defines]
    names = {name for rate in shown if rate is not None for name in (rate.numerator, rate.denominator)}
    assert {"retained_arr", "base_arr", "reached_stage2", "cohort_leads"} <= names
    # the org chart's bars and the commit chart's target markers: drawn as they are, never divided
    drawn = {"target_value", "actual_value", "quota_or_target"}
    source = inspect.getsource(report)
    assert not [name for name in names - drawn if re.search(rf"\b{name}\b", source)]
    # ... and the numbers are the marts' (NRR of the last month, all segments).
    latest, nrr = built_warehouse.query(f"""
        select period_start, sum(retained_arr) / sum(base_arr) from {built_warehouse.relation('kpi_retention')}
        where period_grain = 'month' group by period_start having sum(base_arr) > 0 order by period_start desc limit 1
    """)[0]
    assert f"Latest ({latest:%b %Y}): NRR {float(nrr):.1%}" in html.unescape(panel_html(report_page["html"], "retention"))


def test_report_command(built_warehouse, tmp_path):
    database = published_copy(built_warehouse, tmp_path / "warehouse")
    result = CliRunner().invoke(cli.main, ["report", "--out", str(tmp_path / "out"), "--database", str(database)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "index.html").exists()
    assert f"{len(CHART_KEYS)} of {len(CHART_KEYS)} charts have" in " ".join(result.output.split())


def test_report_without_a_warehouse_exits_1(tmp_path):
    result = CliRunner().invoke(cli.main, ["report", "--out", str(tmp_path / "out"), "--database",
                                           str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "sales-kpis build" in result.output


def test_missing_and_empty_marts_become_no_data_panels(built_warehouse, tmp_path):
    database = published_copy(built_warehouse, tmp_path / "warehouse")
    with duckdb.connect(str(database)) as connection:
        connection.execute("drop table main.kpi_sdr_roi")
        connection.execute("delete from main.kpi_retention")
    result = write_report(database, tmp_path / "out")
    without = {panel.key: panel.missing for panel in result.without_data}
    assert without == {"sdr_roi": "kpi_sdr_roi is not in the warehouse", "retention": "kpi_retention has no rows"}
    page = result.path.read_text(encoding="utf-8")
    assert f"{len(CHART_KEYS) - 2} of {len(CHART_KEYS)} charts have data" in page
    assert 'id="chart-sdr_roi" data-no-data="true"' in page
    assert "No data: kpi_sdr_roi is not in the warehouse" in page


def test_a_warehouse_without_marts_or_stamp_is_refused(built_warehouse, tmp_path):
    """No page, exit 1 and the reason: an empty file, a warehouse without build_metadata (it would have
    no as-of date but today's), and one with its stamp but no kpi_ mart."""
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    unstamped = published_copy(built_warehouse, tmp_path / "unstamped")
    bare = published_copy(built_warehouse, tmp_path / "bare")
    with duckdb.connect(str(unstamped)) as connection:
        connection.execute(f"drop table {built_warehouse.relation('build_metadata')}")
    with duckdb.connect(str(bare)) as connection:
        for (name,) in connection.execute("select table_name from information_schema.tables "
                                          "where table_name like 'kpi%' and table_type = 'BASE TABLE'").fetchall():
            connection.execute(f"drop table main.{name}")
    reasons = {empty: "neither build_metadata nor any kpi_ mart", unstamped: "no build_metadata table",
               bare: "no kpi_ mart"}
    for database, reason in reasons.items():
        with pytest.raises(ReportError, match=reason):
            write_report(database, tmp_path / "out")
        result = CliRunner().invoke(cli.main, ["report", "--out", str(tmp_path / "cli"), "--database", str(database)])
        assert result.exit_code == 1 and reason in " ".join(result.output.split()), result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "cli").exists()


# --------------------------------------------------------------------------- read as a sales leader would


def panel(report_page, key: str):
    return next(panel for panel in report_page["result"].panels if panel.key == key)


def test_funnel_percentages_are_shares_of_a_cohort(report_page):
    bars = panel(report_page, "funnel").figure.data[0]
    shares = [re.search(r"· ([\d.]+)% of these (\w+)", text) for text in bars.text]
    assert [share.group(2) for share in shares if share] == ["leads"] * 3 + ["opportunities"]
    assert all(float(share.group(1)) <= 100 for share in shares if share), bars.text
    assert not [text for text in bars.text if "step above" in text]


def test_sqls_have_their_own_axis(report_page):
    figure = panel(report_page, "lead_sources").figure
    sqls = [trace for trace in figure.data if trace.name == "SQLs (all sources)"]
    leads = [trace for trace in figure.data if trace.type == "bar"]
    assert len(sqls) == 1 and leads
    assert {trace.yaxis or "y" for trace in leads} == {"y"} and sqls[0].yaxis not in (None, "y")


def test_cohort_cells_and_colour_bar_show_one_decimal(report_page):
    figure = panel(report_page, "cohorts").figure
    texts = [text for trace in figure.data for row in trace.text for text in row if text]
    assert texts and all(re.fullmatch(r"\d+\.\d%…?", text) for text in texts), texts[:5]
    assert {trace.colorbar.tickformat for trace in figure.data if trace.showscale is not False} == {".1%"}


def test_a_quota_period_not_over_is_marked_in_progress(report_page, built_warehouse):
    figure = panel(report_page, "rep_attainment").figure
    running = built_warehouse.scalar(f"""select count(distinct period_start) from {built_warehouse.relation('kpi_rep_attainment')}
        where period_start <= date '{built_warehouse.as_of}' and period_end > date '{built_warehouse.as_of}'""")
    assert running, "the session data has a quota period in progress at its as-of date"
    assert [note.text for note in figure.layout.annotations].count("in progress") == running
    bars = [trace for trace in figure.data if trace.type == "bar"]
    assert all("/" in trace.marker.pattern.shape for trace in bars)
    for axis in (figure.layout.yaxis, figure.layout.yaxis2):  # reps: whole numbers
        assert axis.tickformat == ",d" and float(axis.dtick).is_integer() and axis.dtick >= 1


def test_target_bar_labels_are_short(report_page):
    figure = panel(report_page, "org_attainment").figure
    labels = [text for trace in figure.data for text in trace.text]
    assert labels and all(len(text) <= 7 for text in labels), labels
    assert {trace.orientation for trace in figure.data} == {"h"}


def test_coverage_and_commit_show_the_marts_figures(report_page, built_warehouse):
    """Coverage and its prior per period as the mart publishes them (company rows), commit stacked on closed
    won up to the quota or target, and the reps with most slipped ARR of this quarter's months, most first."""
    figure = panel(report_page, "coverage_commit").figure
    relation = built_warehouse.relation("kpi_pipeline_coverage")
    published = {name: (coverage, prior) for name, coverage, prior in built_warehouse.query(
        f"select period_name, coverage, prior_coverage from {relation} where level = 'company' "
        "order by period_grain, period_start")}
    bars = {trace.name: trace for trace in figure.data if trace.type == "bar"}

    def same(got, want):
        return (want is None and (got is None or got != got)) or (want is not None and abs(got - want) <= 1e-9)

    assert all(same(got, want) for got, want in zip(bars["Coverage"].y, [c for c, _ in published.values()]))
    assert all(same(got, want) for got, want in zip(bars["Previous period, same point"].y,
                                                    [p for _, p in published.values()]))
    commit = bars["Commit"]
    assert list(commit.base) == list(bars["Closed won"].y)
    target = next(trace for trace in figure.data if trace.name == "Quota or target")
    categories = dict(built_warehouse.query(f"select period_name, quota_or_target from "
                                            f"{built_warehouse.relation('kpi_forecast_categories')} where level = 'company'"))
    assert list(target.y) == [float(categories[name]) for name in published]
    slipped = [trace for trace in figure.data if trace.name == "Slipped ARR"]
    assert slipped, "the session data has slips (opportunity_history)"
    assert list(slipped[0].x) == sorted(slipped[0].x, reverse=True) and len(slipped[0].x) <= 5


def test_each_sdr_line_has_its_own_colour(report_page):
    lines = [trace for trace in panel(report_page, "sdr_roi").figure.data if trace.mode == "lines"]
    styles = {(trace.line.color, trace.line.dash) for trace in lines}
    assert len(lines) > 1 and len(styles) == len(lines)


# --------------------------------------------------------------------------- drawn in a browser


class ChartMarks(HTMLParser):
    """Per chart div (id chart-<key>): plotly traces and drawn marks in the rendered DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []  # the chart key each open element belongs to
        self.counts: dict[str, dict[str, int]] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        element_id = attributes.get("id") or ""
        chart = element_id[len("chart-"):] if element_id.startswith("chart-") else (self.stack[-1] if self.stack else None)
        if tag not in {"path", "image", "rect", "line", "circle", "use", "stop"}:  # void-ish SVG leaves
            self.stack.append(chart)
        if chart is None:
            return
        counts = self.counts.setdefault(chart, {"traces": 0, "points": 0, "lines": 0, "heatmap_images": 0})
        classes = (attributes.get("class") or "").split()
        if "trace" in classes or "hm" in classes:
            counts["traces"] += 1
        if tag == "g" and "point" in classes:
            counts["points"] += 1
        if tag == "path" and "js-line" in classes and len(attributes.get("d") or "") > 10:
            counts["lines"] += 1
        if tag == "image" and (attributes.get("href") or attributes.get("xlink:href") or "").startswith("data:image"):
            counts["heatmap_images"] += 1

    def handle_endtag(self, tag):
        if tag not in {"path", "image", "rect", "line", "circle", "use", "stop"} and self.stack:
            self.stack.pop()


@pytest.mark.slow
@pytest.mark.skipif(find_chromium() is None, reason=f"the dashboard is not rendered: {NO_CHROMIUM}")
def test_chromium_draws_every_chart_with_data(report_page):
    dom = dump_dom(report_page["result"].path)
    parser = ChartMarks()
    parser.feed(dom)
    drawn = {}
    for key in CHART_KEYS:
        counts = parser.counts.get(key, {})
        marks = counts.get("points", 0) + counts.get("lines", 0) + counts.get("heatmap_images", 0)
        drawn[key] = (counts.get("traces", 0), marks)
    blank = {key: value for key, value in drawn.items() if value[0] == 0 or value[1] == 0}
    assert not blank, f"charts drawn blank (traces, marks): {blank}; all: {drawn}"
    assert "data-no-data" not in dom
    print("chart: (traces, marks) " + ", ".join(f"{key}: {value}" for key, value in drawn.items()))
