"""`sales-kpis report`: one self-contained HTML page of the headline KPIs, for a sales leader.

The page reads the published warehouse read-only (the public `kpi_` marts and
`build_metadata`), draws each chart with plotly, and inlines plotly.js once,
so it opens from disk with no server and no network. Each chart reads the
marts it needs by the spec's names and columns; when a mart is missing or
empty its chart becomes a "no data" panel saying which mart, and the header
lists which charts had data.

Rates shown across segments or sources are re-aggregated from their published
numerators and denominators (never averaged): the columns a rate's meta names
(:func:`rate_sql`), so no KPI formula is written here. Each chart's footnotes
define what it shows in the words of the project's dbt documentation
(:mod:`sales_kpis.definitions`).

The page shows a build: the as-of date and currency come from
``build_metadata``, written only by a complete build. A warehouse without it,
or without any kpi_ mart, is refused (:class:`ReportError`) rather than drawn
with a date it does not have. Values are data: escaped for HTML in the page,
for plotly's text markup in chart labels (:func:`chart_text`), and for the
script element in the page's JSON (:func:`script_json`).
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sales_kpis.dates import add_months, month_start
from sales_kpis.definitions import Definitions, load, plain
from sales_kpis.files import replaced
from sales_kpis.warehouse import quoted

MONEY_METRICS = ["net_new_arr", "new_business_arr", "expansion_arr"]
#: Rep attainment above this shows in the histogram's last bin.
ATTAINMENT_CAP = 2.0
METRIC_LABELS = {
    "net_new_arr": "Net new ARR",
    "new_business_arr": "New business ARR",
    "expansion_arr": "Expansion ARR",
}
COLOURS = {
    "primary": "#1f4e79",
    "secondary": "#4f9dd9",
    "good": "#2e8540",
    "bad": "#c0392b",
    "neutral": "#8c8c8c",
    "accent": "#e39b2d",
}
#: Lines to tell apart (one per SDR): hues far from each other (Tableau 10), then dashes.
LINE_PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
                "#bab0ac"]
SOURCE_PALETTE = ["#1f4e79", "#4f9dd9", "#2e8540", "#e39b2d", "#8e44ad", "#c0392b", "#16a085", "#8c8c8c"]


class NoData(Exception):
    """A chart cannot be drawn: the message says which mart is missing or empty."""


class ReportError(RuntimeError):
    """No page can be drawn from this warehouse (no build stamp, no mart): the message says why."""


#: Characters that must not appear raw in JSON inside a <script> element.
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(value: Any) -> str:
    """JSON for a <script> element: <, >, & and U+2028/9 as \\u escapes, so no value ends the element."""
    text = json.dumps(value)
    for unsafe, escaped in _SCRIPT_UNSAFE.items():
        text = text.replace(unsafe, escaped)
    return text


def chart_text(value: Any) -> str:
    """A value for a plotly label (legend, hover, bar text): plotly reads <b>, <br>, <a> and entities
    in them, so <, > and & are written as entities and the value shows as it is."""
    return html.escape(str(value), quote=False)


@dataclass
class Panel:
    """One chart of the page, or the reason it has none."""

    key: str
    title: str
    marts: list[str]
    description: str
    figure: Any = None
    note: str = ""
    missing: str = ""
    #: (label, definition in words) of what the chart shows.
    definitions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return self.figure is not None


@dataclass
class ReportContext:
    as_of: dt.date
    currency: str
    built_at: str | None
    fiscal_year_start_month: int
    definitions: Definitions

    def money_axis(self) -> dict[str, Any]:
        """A plotly money axis: $ before USD amounts, the currency's code after others (as chart text)."""
        prefix = "$" if self.currency == "USD" else ""
        suffix = "" if self.currency == "USD" else f" {chart_text(self.currency)}"
        return {"tickprefix": prefix, "ticksuffix": suffix, "tickformat": "~s", "separatethousands": True}

    def money(self, value: float) -> str:
        """An amount in words for the notes: $1,234 or 1,234 EUR (plain text: escape it where it goes)."""
        sign = "-" if value < 0 else ""
        text = f"{abs(value):,.0f}"
        return f"{sign}${text}" if self.currency == "USD" else f"{sign}{text} {self.currency}"

    def money_short(self, value: float) -> str:
        """An amount for a bar label, to three significant digits: $2.14M (as chart text)."""
        sign = "-" if value < 0 else ""
        magnitude, suffix = abs(value), ""
        for size, letter in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if magnitude >= size:
                magnitude, suffix = magnitude / size, letter
                break
        digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2
        text = f"{magnitude:.{digits}f}{suffix}"
        return f"{sign}${text}" if self.currency == "USD" else f"{sign}{text} {chart_text(self.currency)}"


# --------------------------------------------------------------------------- reading the warehouse


class Warehouse:
    """Read-only access to a published DuckDB warehouse, by relation name."""

    def __init__(self, database: Path):
        from sales_kpis import warehouse

        self.database = Path(database)
        self.connection = warehouse.read_only(self.database)
        self.relations: dict[str, str] = warehouse.relations(self.connection)

    def close(self) -> None:
        self.connection.close()

    def has(self, name: str) -> bool:
        return name in self.relations

    def require(self, name: str) -> str:
        """The relation of a mart; NoData when it is missing or empty."""
        if name not in self.relations:
            raise NoData(f"{name} is not in the warehouse")
        relation = self.relations[name]
        if self.connection.execute(f"select count(*) from {relation}").fetchone()[0] == 0:
            raise NoData(f"{name} has no rows")
        return relation

    def df(self, sql: str, parameters: list[Any] | None = None):
        return self.connection.execute(sql, parameters or []).df()


def read_context(warehouse: Warehouse, currency: str | None = None) -> ReportContext:
    """As-of date, reporting currency and build time, from build_metadata; ReportError without it or marts."""
    marts = sorted(name for name in warehouse.relations if name.startswith("kpi_"))
    if not warehouse.has("build_metadata"):
        what = "neither build_metadata nor any kpi_ mart" if not marts else "no build_metadata table"
        raise ReportError(f"{warehouse.database} has {what}: it is not a complete sales-kpis build "
                          "(build it with `sales-kpis build`)")
    if not marts:
        raise ReportError(f"{warehouse.database} has no kpi_ mart: nothing to draw (build it with `sales-kpis build`)")
    rows = warehouse.df(f"select * from {warehouse.relations['build_metadata']}")
    if len(rows) != 1:
        raise ReportError(f"build_metadata of {warehouse.database} has {len(rows)} rows, not one: rebuild it")
    row = rows.iloc[0]
    built_at = str(row.get("built_at")) if "built_at" in row else None
    fiscal_start = int(row.get("fiscal_year_start_month", 1) or 1)
    return ReportContext(as_of=_as_date(row["as_of_date"]), currency=currency or str(row["reporting_currency"]),
                         built_at=built_at, fiscal_year_start_month=fiscal_start, definitions=load())


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "date"):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def rate_sql(definitions: Definitions, mart: str, column: str) -> str:
    """A published rate over a group of rows: the numerator and denominator columns its meta names, summed, divided.

    The same division as the marts' ratio() (doubles; null on a zero denominator).
    """
    rate = definitions.rate(mart, column)
    return (f"cast(sum({quoted(rate.numerator)}) as double) "
            f"/ nullif(cast(sum({quoted(rate.denominator)}) as double), 0)")


def last_complete_month(as_of: dt.date) -> dt.date:
    """Start of the last calendar month that has ended by the as-of date (the as-of day included)."""
    next_day = as_of + dt.timedelta(days=1)
    return month_start(as_of) if next_day.month != as_of.month else add_months(month_start(as_of), -1)


# --------------------------------------------------------------------------- the charts


def _layout(figure, context: ReportContext, **extra: Any) -> None:
    settings: dict[str, Any] = {
        "template": "plotly_white",
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "height": 380,
        "font": {"family": "Helvetica, Arial, sans-serif", "size": 12},
        "legend": {"orientation": "h", "y": -0.18},
    }
    settings.update(extra)
    figure.update_layout(**settings)


def chart_funnel(warehouse: Warehouse, context: ReportContext):
    """Over the last 12 complete months: the leads created and how many of them went on (one cohort),
    the opportunities reaching stage 1 and how many of them reached stage 2, and the deals won."""
    import plotly.graph_objects as go

    end = last_complete_month(context.as_of)
    start = add_months(end, -11)
    window = [start, end]
    # (block, label, value, base label, base value): a step of a cohort shows its share of the base.
    steps: list[tuple[str, str, float, str | None, float | None]] = []
    missing: list[str] = []

    def sums(mart: str, columns: list[str]) -> dict[str, float] | None:
        try:
            relation = warehouse.require(mart)
        except NoData as reason:
            missing.append(str(reason))
            return None
        company = " and level = 'company'" if mart in ("kpi_pipeline_creation", "kpi_new_business") else ""
        row = warehouse.df(
            f"select {', '.join(f'sum({column}) as {column}' for column in columns)} from {relation} "
            f"where period_grain = 'month'{company} and period_start between ? and ?", window).iloc[0]
        return {column: float(row[column] or 0) for column in columns}

    leads = sums("kpi_lead_generation", ["leads_created", "cohort_mqls", "cohort_sqls", "cohort_converted"])
    if leads is not None:
        created = leads["leads_created"]
        steps.append(("leads", "Leads created", created, None, None))
        steps += [("leads", label, leads[column], "of these leads", created) for column, label in (
            ("cohort_mqls", "… became MQLs"), ("cohort_sqls", "… became SQLs"),
            ("cohort_converted", "… converted to a deal"))]
    pipeline = sums("kpi_pipeline_creation", ["stage1_opportunities", "stage1_cohort_reached_stage2"])
    if pipeline is not None:
        stage1 = pipeline["stage1_opportunities"]
        steps.append(("pipeline", "Stage-1 opportunities", stage1, None, None))
        steps.append(("pipeline", "… reached stage 2", pipeline["stage1_cohort_reached_stage2"],
                      "of these opportunities", stage1))
    won = sums("kpi_new_business", ["won_opportunities"])
    if won is not None:
        steps.append(("won", "Won new-business deals", won["won_opportunities"], None, None))
    if not steps:
        raise NoData("; ".join(missing))
    text = [f"{value:,.0f}" + (f" · {value / base:.1%} {base_label}" if base else "")
            for _, _, value, base_label, base in steps]
    colours = {"leads": COLOURS["secondary"], "pipeline": COLOURS["primary"], "won": COLOURS["good"]}
    figure = go.Figure(go.Bar(
        y=[label for _, label, _, _, _ in steps], x=[value for _, _, value, _, _ in steps], orientation="h",
        text=text, textposition="outside", cliponaxis=False,
        marker={"color": [colours[block] for block, _, _, _, _ in steps]},
        hovertemplate="%{y}: %{x:,.0f}<extra></extra>",
    ))
    values = [value for _, _, value, _, _ in steps]
    _layout(figure, context, margin={"l": 170, "r": 30, "t": 20, "b": 40}, showlegend=False,
            yaxis={"autorange": "reversed"}, xaxis={"range": [0, max(values) * 1.6 or 1], "title": "count"})
    note = (f"{start:%b %Y} to {end:%b %Y}. Light bars: the leads created in those months, and how many of "
            "them had become MQLs, SQLs and deals by the as-of date (shares of those leads). Dark bars: the "
            "opportunities that reached stage 1 in those months (from leads and from other sources), and how "
            "many of them have reached stage 2. Green: new-business deals won in those months.")
    if missing:
        note += " Missing: " + "; ".join(missing) + "."
    return figure, note


def integer_axis(largest: float) -> dict[str, Any]:
    """A count axis with whole-number ticks (never 0.5 of a rep): a step of 1, 2, 5, 10... for ~6 ticks."""
    steps = (factor * 10 ** power for power in itertools.count() for factor in (1, 2, 5))
    step = next(step for step in steps if largest / step <= 6)
    return {"tick0": 0, "dtick": step, "tickformat": ",d", "rangemode": "tozero"}


def chart_lead_sources(warehouse: Warehouse, context: ReportContext):
    """Leads created per month by lead source (stacked); SQLs in a panel of their own below, on their own
    scale; the current month marked incomplete."""
    from plotly.subplots import make_subplots

    relation = warehouse.require("kpi_lead_generation")
    start = add_months(month_start(context.as_of), -23)
    data = warehouse.df(
        f"""
        select period_start, lead_source, sum(leads_created) as leads_created, sum(sqls) as sqls,
               bool_and(is_complete) as is_complete
        from {relation}
        where period_grain = 'month' and period_start >= ?
        group by period_start, lead_source
        order by period_start, lead_source
        """,
        [start],
    )
    if data.empty:
        raise NoData("kpi_lead_generation has no month rows in the last 24 months")
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06)
    totals = data.groupby("lead_source")["leads_created"].sum().sort_values(ascending=False)
    for index, source in enumerate(totals.index):
        rows = data[data["lead_source"] == source]
        figure.add_bar(
            x=rows["period_start"], y=rows["leads_created"], name=chart_text(source), row=1, col=1,
            marker={"color": SOURCE_PALETTE[index % len(SOURCE_PALETTE)],
                    "pattern": {"shape": ["/" if not complete else "" for complete in rows["is_complete"]]}},
            hovertemplate="%{fullData.name}: %{y:,} leads<extra></extra>",
        )
    monthly = data.groupby("period_start", as_index=False).agg(sqls=("sqls", "sum"), is_complete=("is_complete", "all"))
    figure.add_scatter(x=monthly["period_start"], y=monthly["sqls"], name="SQLs (all sources)", mode="lines+markers",
                       line={"color": "#111111", "width": 2}, row=2, col=1,
                       marker={"symbol": ["circle" if complete else "circle-open" for complete in monthly["is_complete"]],
                               "size": 7},
                       hovertemplate="SQLs: %{y:,}<extra></extra>")
    _layout(figure, context, barmode="stack", height=460, legend={"orientation": "h", "y": -0.12})
    figure.update_yaxes(title_text="leads per month", row=1, col=1)
    figure.update_yaxes(title_text="SQLs per month", rangemode="tozero", row=2, col=1)
    figure.update_xaxes(dtick="M3", tickformat="%b %Y", row=2, col=1)
    incomplete = data.loc[~data["is_complete"].astype(bool), "period_start"].unique()
    note = ("SQLs are on their own scale in the lower panel. "
            + ("Hatched bars and the open marker: a month not yet over at the as-of date." if len(incomplete) else ""))
    return figure, note.strip()


def chart_cohorts(warehouse: Warehouse, context: ReportContext):
    """Monthly lead cohorts × months since creation: share of the cohort's leads reaching stage 1 / stage 2."""
    import plotly.graph_objects as go

    relation = warehouse.require("kpi_pipeline_cohorts")
    data = warehouse.df(
        f"""
        select cohort_start, periods_since_start,
               {rate_sql(context.definitions, "kpi_pipeline_cohorts", "stage1_conversion_rate")} as stage1_conversion_rate,
               {rate_sql(context.definitions, "kpi_pipeline_cohorts", "stage2_conversion_rate")} as stage2_conversion_rate,
               bool_and(is_complete) as is_complete
        from {relation}
        where cohort_grain = 'month'
        -- the company's cohorts: summed over CRM connections (source_relation)
        group by cohort_start, periods_since_start
        order by cohort_start, periods_since_start
        """
    )
    if data.empty:
        raise NoData("kpi_pipeline_cohorts has no month cohorts")
    horizon = int(data["periods_since_start"].max())
    cohorts = sorted(data["cohort_start"].unique())[-18:]
    data = data[data["cohort_start"].isin(cohorts)]
    observed = data.groupby("cohort_start")["periods_since_start"].max()
    labels = {}
    for cohort in cohorts:
        day = _as_date(cohort)
        periods = int(observed[cohort])
        labels[cohort] = f"{day:%b %Y}" + ("" if periods >= horizon else f" ◔ {periods + 1}/{horizon + 1}")
    columns = list(range(horizon + 1))

    def grid(rate: str, complete: bool):
        z, text = [], []
        for cohort in cohorts:
            row_z, row_text = [], []
            rows = data[data["cohort_start"] == cohort].set_index("periods_since_start")
            for period in columns:
                if period in rows.index and bool(rows.at[period, "is_complete"]) == complete:
                    value = rows.at[period, rate]
                    value = None if value is None or value != value else float(value)
                    row_z.append(value)
                    row_text.append("" if value is None else f"{value:.1%}")
                else:
                    row_z.append(None)
                    row_text.append("")
            z.append(row_z)
            text.append(row_text)
        return z, text

    figure = go.Figure()
    y = [labels[cohort] for cohort in cohorts]
    for stage, visible in (("stage1", True), ("stage2", False)):
        z, text = grid(f"{stage}_conversion_rate", complete=True)
        figure.add_heatmap(z=z, x=columns, y=y, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0,
                           visible=visible, name=f"{stage} (complete)", colorbar={"title": "reached", "tickformat": ".1%"},
                           hovertemplate="cohort %{y}<br>month +%{x}<br>%{z:.1%} of its leads<extra></extra>")
        z, text = grid(f"{stage}_conversion_rate", complete=False)
        figure.add_heatmap(z=z, x=columns, y=y, text=text, texttemplate="%{text}…", showscale=False, zmin=0, zmax=1,
                           colorscale=[[0, "#eeeeee"], [1, "#bbbbbb"]], visible=visible, name=f"{stage} (in progress)",
                           hovertemplate="cohort %{y}<br>month +%{x} (not over yet)<br>%{z:.1%}<extra></extra>")
    figure.update_layout(updatemenus=[{
        "type": "buttons", "direction": "right", "x": 0, "y": 1.12, "xanchor": "left", "showactive": True,
        "buttons": [
            {"label": "Reached stage 1", "method": "update", "args": [{"visible": [True, True, False, False]}]},
            {"label": "Reached stage 2", "method": "update", "args": [{"visible": [False, False, True, True]}]},
        ],
    }])
    _layout(figure, context, height=460, margin={"l": 120, "r": 20, "t": 50, "b": 50},
            xaxis={"title": "Months since the cohort's month", "dtick": 1},
            yaxis={"autorange": "reversed", "type": "category"})
    note = (f"Monthly cohorts, summed over CRM connections. ◔ k/{horizon + 1}: an immature cohort, observed for k of {horizon + 1} months so far; its later "
            "conversions have not happened yet. Grey cells with …: a month still in progress.")
    return figure, note


def chart_arr_bridge(warehouse: Warehouse, context: ReportContext):
    """Starting ARR → new → reactivation → expansion → contraction → churn → ending, fiscal year to date."""
    import plotly.graph_objects as go

    relation = warehouse.require("kpi_arr_movements")
    data = warehouse.df(
        f"""
        select min(period_start) as period_start, max(period_end) as period_end,
               max(measured_through) as measured_through,
               sum(starting_arr) as starting_arr, sum(new_arr) as new_arr, sum(reactivation_arr) as reactivation_arr,
               sum(expansion_arr) as expansion_arr, sum(contraction_arr) as contraction_arr,
               sum(churned_arr) as churned_arr, sum(ending_arr) as ending_arr
        from {relation}
        where period_grain = 'year' and period_start <= ? and period_end >= ?
        """,
        [context.as_of, context.as_of],
    ).iloc[0]
    if data["period_start"] is None or data["starting_arr"] != data["starting_arr"]:
        raise NoData("kpi_arr_movements has no fiscal-year row containing the as-of date")
    steps = [
        ("Starting ARR", float(data["starting_arr"]), "absolute"),
        ("New", float(data["new_arr"]), "relative"),
        ("Reactivation", float(data["reactivation_arr"]), "relative"),
        ("Expansion", float(data["expansion_arr"]), "relative"),
        ("Contraction", -float(data["contraction_arr"]), "relative"),
        ("Churn", -float(data["churned_arr"]), "relative"),
        ("Ending ARR", float(data["ending_arr"]), "total"),
    ]
    figure = go.Figure(go.Waterfall(
        x=[label for label, _, _ in steps], y=[value for _, value, _ in steps],
        measure=[measure for _, _, measure in steps],
        text=[chart_text(context.money(value)) for _, value, _ in steps], textposition="outside",
        increasing={"marker": {"color": COLOURS["good"]}}, decreasing={"marker": {"color": COLOURS["bad"]}},
        totals={"marker": {"color": COLOURS["primary"]}}, connector={"line": {"color": COLOURS["neutral"]}},
    ))
    _layout(figure, context, yaxis=context.money_axis(), showlegend=False)
    start, through = _as_date(data["period_start"]), _as_date(data["measured_through"])
    computed = sum(value for _, value, measure in steps if measure != "total")
    check = "holds" if abs(computed - float(data["ending_arr"])) < 0.005 else "DOES NOT HOLD"
    note = (f"Fiscal year starting {start:%b %Y}, measured through {through:%d %b %Y}, all segments; "
            f"net new ARR {context.money(float(data['ending_arr']) - float(data['starting_arr']))}. "
            f"Identity starting + movements = ending {check}.")
    return figure, note


def chart_retention(warehouse: Warehouse, context: ReportContext):
    """Trailing-twelve-month NRR, GRR and logo retention per month, all segments."""
    import plotly.graph_objects as go

    relation = warehouse.require("kpi_retention")
    data = warehouse.df(
        f"""
        select period_start,
               {rate_sql(context.definitions, "kpi_retention", "net_revenue_retention")} as nrr,
               {rate_sql(context.definitions, "kpi_retention", "gross_revenue_retention")} as grr,
               {rate_sql(context.definitions, "kpi_retention", "logo_retention")} as logo_retention
        from {relation}
        where period_grain = 'month'
        group by period_start
        order by period_start
        """
    )
    figure = go.Figure()
    figure.add_scatter(x=data["period_start"], y=data["nrr"], name="Net revenue retention", mode="lines",
                       line={"color": COLOURS["primary"], "width": 3})
    figure.add_scatter(x=data["period_start"], y=data["grr"], name="Gross revenue retention", mode="lines",
                       line={"color": COLOURS["secondary"], "width": 3})
    figure.add_scatter(x=data["period_start"], y=data["logo_retention"], name="Logo retention", mode="lines",
                       line={"color": COLOURS["neutral"], "width": 1.5, "dash": "dot"})
    figure.add_hline(y=1, line={"color": "#555555", "width": 1, "dash": "dash"})
    _layout(figure, context, yaxis={"tickformat": ".0%", "title": "vs. twelve months earlier"},
            xaxis={"tickformat": "%b %Y"})
    last = data.dropna(subset=["nrr"]).iloc[-1] if not data.dropna(subset=["nrr"]).empty else None
    note = "All segments and CRM connections: each rate re-aggregated from its published numerator and denominator."
    if last is not None:
        note += f" Latest ({_as_date(last['period_start']):%b %Y}): NRR {last['nrr']:.1%}, GRR {last['grr']:.1%}."
    return figure, note


def published_attainment(warehouse: Warehouse, context: ReportContext) -> dict[str, float]:
    """{target_id: attainment} of kpi_org_attainment, from its published numerator and denominator."""
    if not warehouse.has("kpi_org_attainment"):
        return {}
    data = warehouse.df(
        f"""
        select target_id, {rate_sql(context.definitions, "kpi_org_attainment", "attainment")} as attainment
        from {warehouse.relations["kpi_org_attainment"]}
        group by target_id
        """
    )
    return dict(zip(data["target_id"], data["attainment"]))


def chart_org_attainment(warehouse: Warehouse, context: ReportContext):
    """This fiscal year's target, actual to date and year-end forecasts per money metric, with the gap."""
    import plotly.graph_objects as go

    metrics = "', '".join(MONEY_METRICS)
    if warehouse.has("kpi_forecast"):
        try:
            relation = warehouse.require("kpi_forecast")
        except NoData as empty:
            raise NoData(f"{empty}: no company or segment target is set on the fiscal quarter or year of the as-of "
                          "date (a target on other dates, e.g. calendar quarters under a fiscal year that starts in "
                          "another month, is not forecast; dq_record_issues names them)") from empty
        data = warehouse.df(
            f"""
            select target_id, metric, target_value, actual_to_date, run_rate_forecast, pipeline_forecast,
                   forecast_gap, period_start, period_end
            from {relation}
            where period_grain = 'year' and segment is null and metric in ('{metrics}')
              and forecast_date = (select max(forecast_date) from {relation} where forecast_date <= ?)
              and period_start <= ? and period_end >= ?
            """,
            [context.as_of, context.as_of, context.as_of],
        )
        source = "kpi_forecast"
    else:
        relation = warehouse.require("kpi_org_attainment")
        data = warehouse.df(
            f"""
            select target_id, metric, target_value, actual_value as actual_to_date, null as run_rate_forecast,
                   null as pipeline_forecast, null as forecast_gap, period_start, period_end
            from {relation}
            where target_period_grain = 'year' and segment is null and product_id is null
              and metric in ('{metrics}') and period_start <= ? and period_end >= ?
            """,
            [context.as_of, context.as_of],
        )
        source = "kpi_org_attainment (kpi_forecast missing: no forecast)"
    if data.empty:
        raise NoData(f"{source.split()[0]} has no org-wide yearly target for this fiscal year")
    data["order"] = data["metric"].map({metric: index for index, metric in enumerate(MONEY_METRICS)})
    data = data.sort_values("order")
    labels = [METRIC_LABELS.get(metric, metric) for metric in data["metric"]]
    figure = go.Figure()
    series = [("Target", "target_value", COLOURS["neutral"]), ("Actual to date", "actual_to_date", COLOURS["primary"]),
              ("Run-rate forecast", "run_rate_forecast", COLOURS["secondary"]),
              ("Pipeline forecast", "pipeline_forecast", COLOURS["accent"])]
    for name, column, colour in series:
        if data[column].isna().all():
            continue
        figure.add_bar(y=labels, x=data[column].astype(float), name=name, marker={"color": colour}, orientation="h",
                       text=[context.money_short(float(value)) for value in data[column]], textposition="outside",
                       cliponaxis=False, textfont={"size": 11},
                       hovertemplate="%{fullData.name}, %{y}: %{x:,.0f}<extra></extra>")
    largest = float(data[[column for _, column, _ in series]].astype(float).max().max())
    _layout(figure, context, barmode="group", bargap=0.25, bargroupgap=0.05,
            xaxis={**context.money_axis(), "range": [0, largest * 1.18]},
            yaxis={"autorange": "reversed"}, margin={"l": 130, "r": 30, "t": 20, "b": 50},
            legend={"orientation": "h", "y": -0.14, "traceorder": "normal"})
    attainments = published_attainment(warehouse, context)
    gaps = []
    for _, row in data.iterrows():
        value = attainments.get(row["target_id"])
        if value is not None and value == value:
            attainment = f"{value:.0%} of target"
        else:
            attainment = "no target" if not float(row["target_value"]) else "attainment not in the warehouse"
        gap = row["forecast_gap"]
        gap_text = ""
        if gap == gap and gap is not None:
            gap_text = (f", run-rate forecast {'short of' if gap > 0 else 'above'} target by "
                        f"{context.money(abs(float(gap)))}")
        gaps.append(f"{METRIC_LABELS.get(row['metric'], row['metric'])}: {attainment}{gap_text}")
    start = _as_date(data["period_start"].iloc[0])
    end = _as_date(data["period_end"].iloc[0])
    note = f"Fiscal year {start:%b %Y} to {end:%b %Y}, org-wide targets (from {source}). " + "; ".join(gaps) + "."
    return figure, note


def chart_rep_attainment(warehouse: Warehouse, context: ReportContext):
    """Attainment distribution of the last complete quota period, and reps at quota per period (a period
    not over yet marked in progress: its count is so far, not final)."""
    import numpy
    from plotly.subplots import make_subplots

    relation = warehouse.require("kpi_rep_attainment")
    data = warehouse.df(
        f"""
        select user_id, period_start, period_end, attainment, is_at_quota, is_ramping
        from {relation}
        where period_start <= ?
        """,
        [context.as_of],
    )
    if data.empty:
        raise NoData("kpi_rep_attainment has no quota period started by the as-of date")
    complete = data[data["period_end"].map(_as_date) <= context.as_of]
    latest_start = (complete if not complete.empty else data)["period_start"].max()
    latest = data[data["period_start"] == latest_start]
    periods = (data.assign(at_quota=data["is_at_quota"].astype(bool).astype(int))
               .groupby("period_start", as_index=False)
               .agg(period_end=("period_end", "max"), reps=("user_id", "count"), at_quota=("at_quota", "sum"))
               .sort_values("period_start").tail(8))
    in_progress = periods["period_end"].map(_as_date) > context.as_of
    figure = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], subplot_titles=(
        f"Attainment, quota period from {_as_date(latest_start):%b %Y}", "Reps at quota per quota period"))
    attainment = latest["attainment"].dropna().astype(float)
    # Bins of 10 points up to 200 %; anything above lands in the last bin ("200 %+").
    clipped = attainment.clip(upper=ATTAINMENT_CAP - 0.0001)
    figure.add_histogram(x=clipped, xbins={"start": 0, "end": ATTAINMENT_CAP, "size": 0.1},
                         marker={"color": COLOURS["primary"]}, name="reps (current distribution)", row=1, col=1,
                         hovertemplate="attainment %{x}: %{y} reps<extra></extra>")
    figure.add_vline(x=1, line={"color": COLOURS["bad"], "dash": "dash"}, row=1, col=1)
    hatched = {"shape": ["/" if running else "" for running in in_progress], "fgcolor": "#ffffff"}
    figure.add_bar(x=periods["period_start"], y=periods["reps"], name="Reps with quota",
                   marker={"color": "#d0d7e1", "pattern": hatched}, row=1, col=2)
    figure.add_bar(x=periods["period_start"], y=periods["at_quota"], name="Reps at quota (so far, when in progress)",
                   marker={"color": COLOURS["good"], "pattern": hatched}, row=1, col=2)
    for start, reps in zip(periods.loc[in_progress, "period_start"], periods.loc[in_progress, "reps"]):
        figure.add_annotation(x=start, y=reps, text="in progress", showarrow=False, yshift=10,
                              font={"size": 11, "color": COLOURS["neutral"]}, row=1, col=2)
    _layout(figure, context, barmode="overlay", showlegend=True, margin={"l": 60, "r": 20, "t": 60, "b": 50})
    figure.update_xaxes(tickformat=".0%", title_text="attainment; last bin: 200 %+",
                        range=[0, ATTAINMENT_CAP], row=1, col=1)
    counts, _edges = numpy.histogram(clipped, bins=int(ATTAINMENT_CAP * 10), range=(0, ATTAINMENT_CAP))
    figure.update_yaxes(title_text="reps", **integer_axis(max(counts.max(initial=0), 1)), row=1, col=1)
    figure.update_yaxes(title_text="reps", **integer_axis(max(periods["reps"].max(), 1)),
                        range=[0, max(periods["reps"].max(), 1) * 1.15], row=1, col=2)
    figure.update_xaxes(tickformat="%b %Y", row=1, col=2)
    at_quota = int(latest["is_at_quota"].astype(bool).sum())
    ramped = latest[~latest["is_ramping"].astype(bool)]
    ramped_at_quota = int(ramped["is_at_quota"].astype(bool).sum())
    median = attainment.median() if not attainment.empty else float("nan")
    note = (f"{at_quota} of {len(latest)} reps at quota in that period ({ramped_at_quota} of {len(ramped)} ramped reps); "
            f"median attainment {median:.0%}. The dashed line is 100 %.")
    if in_progress.any():
        note += " Hatched bars: a quota period not over at the as-of date; its reps at quota are so far, not final."
    return figure, note


def chart_sdr_roi(warehouse: Warehouse, context: ReportContext):
    """Each SDR's cumulative ROI by months since hire, against the target; a star where an SDR reached it."""
    import plotly.graph_objects as go

    relation = warehouse.require("kpi_sdr_roi")
    data = warehouse.df(
        f"""
        select user_id, full_name, months_since_hire, cumulative_roi, target_roi, target_reached_months_since_hire
        from {relation}
        order by user_id, months_since_hire
        """
    )
    figure = go.Figure()
    target = float(data["target_roi"].dropna().iloc[0]) if data["target_roi"].notna().any() else None
    reached = 0
    for index, (user_id, rows) in enumerate(data.groupby("user_id", sort=True)):
        name = chart_text(rows["full_name"].iloc[0] or user_id)
        colour = LINE_PALETTE[index % len(LINE_PALETTE)]
        dash = ("solid", "dash", "dot")[index // len(LINE_PALETTE) % 3]
        figure.add_scatter(x=rows["months_since_hire"], y=rows["cumulative_roi"], mode="lines", name=name,
                           legendgroup=str(user_id), line={"width": 2, "color": colour, "dash": dash},
                           hovertemplate="%{fullData.name}: month %{x}, ROI %{y:.2f}×<extra></extra>")
        month = rows["target_reached_months_since_hire"].dropna()
        if not month.empty:
            reached += 1
            at = rows[rows["months_since_hire"] == month.iloc[0]]
            figure.add_scatter(x=at["months_since_hire"], y=at["cumulative_roi"], mode="markers", name=name,
                               legendgroup=str(user_id), showlegend=False, hoverinfo="skip",
                               marker={"symbol": "star", "size": 13, "color": colour,
                                       "line": {"color": "#111111", "width": 1}})
    if target is not None:
        figure.add_hline(y=target, line={"color": COLOURS["bad"], "dash": "dash"},
                         annotation_text=f"target {target:g}×", annotation_position="top left")
    figure.add_vline(x=12, line={"color": COLOURS["neutral"], "dash": "dot"}, annotation_text="12 months")
    _layout(figure, context, xaxis={"title": "months since hire"}, yaxis={"title": "cumulative ROI (×)"},
            legend={"orientation": "v", "x": 1.02, "y": 1})
    sdrs = data["user_id"].nunique()
    note = f"{reached} of {sdrs} SDRs have reached the target ROI (★: the month they reached it)."
    return figure, note


def _multiple(value: Any) -> str:
    """A coverage for the notes: 2.3×, or n/a when there is none (nothing remains of the target)."""
    return "n/a" if value is None or value != value else f"{float(value):.1f}×"


def _share(value: Any) -> str:
    return "n/a" if value is None or value != value else f"{float(value):.0%}"


def _period_label(row: Any) -> str:
    """This quarter's and next quarter's fiscal names (Q4 FY2026), the year's (FY2026)."""
    if row["period_grain"] == "quarter":
        return f"Q{int(row['fiscal_quarter'])} FY{int(row['fiscal_year'])}"
    return f"FY{int(row['fiscal_year'])}"


#: Reps listed with the most slipped ARR.
SLIPPED_REPS = 5


def chart_coverage_commit(warehouse: Warehouse, context: ReportContext):
    """This quarter, the next and this fiscal year (company): coverage and weighted coverage beside the previous
    period's at the same point; closed won, commit and best case against the quota or target; and the reps
    whose deals slipped most ARR out of this quarter's months."""
    from plotly.subplots import make_subplots

    coverage_relation = warehouse.require("kpi_pipeline_coverage")
    categories_relation = warehouse.require("kpi_forecast_categories")
    rates = {column: rate_sql(context.definitions, "kpi_pipeline_coverage", column)
             for column in ("coverage", "prior_coverage", "weighted_coverage", "prior_weighted_coverage")}
    coverage = warehouse.df(
        f"""
        select period_name, period_grain, period_start, period_end, fiscal_year, fiscal_quarter,
               {", ".join(f"{sql} as {column}" for column, sql in rates.items())}
        from {coverage_relation}
        where level = 'company'
        group by period_name, period_grain, period_start, period_end, fiscal_year, fiscal_quarter
        order by period_grain, period_start
        """
    )
    categories = warehouse.df(
        f"""
        select period_name, sum(closed_won_arr) as closed_won_arr, sum(commit_arr) as commit_arr,
               sum(best_case_arr) as best_case_arr, sum(quota_or_target) as quota_or_target,
               {rate_sql(context.definitions, "kpi_forecast_categories", "commit_attainment")} as commit_attainment,
               {rate_sql(context.definitions, "kpi_forecast_categories", "best_case_attainment")} as best_case_attainment
        from {categories_relation}
        where level = 'company'
        group by period_name
        """
    ).set_index("period_name")
    if coverage.empty:
        raise NoData("kpi_pipeline_coverage has no company rows")
    coverage["label"] = [_period_label(row) for _, row in coverage.iterrows()]
    this_quarter = coverage[coverage["period_name"] == "this_quarter"].iloc[0]
    slipped = None
    if warehouse.has("kpi_deal_slippage"):
        slipped = warehouse.df(
            f"""
            select level_key, max(level_name) as level_name, sum(slipped_arr) as slipped_arr,
                   sum(slipped_deals) as slipped_deals
            from {warehouse.relations["kpi_deal_slippage"]}
            where level = 'rep' and month_start between ? and ?
            group by level_key
            having sum(slipped_arr) > 0
            order by sum(slipped_arr) desc, level_key
            limit {SLIPPED_REPS}
            """,
            [this_quarter["period_start"], this_quarter["period_end"]],
        )
    figure = make_subplots(rows=1, cols=3, column_widths=[0.36, 0.34, 0.30], horizontal_spacing=0.08, subplot_titles=(
        "Coverage of the remaining target", "Commit and best case against target",
        f"Most slipped ARR, {chart_text(this_quarter['label'])}"))
    labels = [chart_text(label) for label in coverage["label"]]
    series = [("Coverage", "coverage", COLOURS["primary"], ""), ("Previous period, same point", "prior_coverage",
              COLOURS["primary"], "/"), ("Weighted coverage", "weighted_coverage", COLOURS["secondary"], ""),
              ("Weighted, previous period", "prior_weighted_coverage", COLOURS["secondary"], "/")]
    for name, column, colour, pattern in series:
        values = coverage[column].astype(float)
        figure.add_bar(x=labels, y=values, name=name, offsetgroup=column, legendgroup="coverage",
                       marker={"color": colour, "pattern": {"shape": pattern, "fgcolor": "#ffffff"}},
                       text=[_multiple(value) for value in values], textposition="outside", cliponaxis=False,
                       textfont={"size": 10}, hovertemplate="%{fullData.name}, %{x}: %{y:.2f}×<extra></extra>",
                       row=1, col=1)
    figure.add_hline(y=1, line={"color": COLOURS["bad"], "dash": "dash"}, row=1, col=1)
    stacked = [("Closed won", "closed_won_arr", COLOURS["good"]), ("Commit", "commit_arr", COLOURS["primary"]),
               ("Best case", "best_case_arr", COLOURS["accent"])]
    base = [0.0] * len(coverage)
    for name, column, colour in stacked:
        values = [float(categories[column].get(period, 0) or 0) for period in coverage["period_name"]]
        figure.add_bar(x=labels, y=values, base=base, name=name, offsetgroup="categories", legendgroup="categories",
                       marker={"color": colour}, hovertemplate="%{fullData.name}, %{x}: %{y:,.0f}<extra></extra>",
                       row=1, col=2)
        base = [low + value for low, value in zip(base, values)]
    targets = [float(categories["quota_or_target"].get(period, 0) or 0) for period in coverage["period_name"]]
    figure.add_scatter(x=labels, y=targets, mode="markers+text", name="Quota or target", legendgroup="categories",
                       marker={"symbol": "line-ew-open", "size": 40, "color": "#111111", "line": {"width": 3}},
                       text=[context.money_short(value) for value in targets], textposition="top center",
                       textfont={"size": 10}, hovertemplate="target, %{x}: %{y:,.0f}<extra></extra>", row=1, col=2)
    if slipped is not None and not slipped.empty:
        names = [chart_text(name or key) for name, key in zip(slipped["level_name"], slipped["level_key"])]
        figure.add_bar(y=names, x=slipped["slipped_arr"].astype(float), orientation="h", name="Slipped ARR",
                       marker={"color": COLOURS["bad"]}, showlegend=False, cliponaxis=False,
                       text=[f"{context.money_short(float(arr))} · {int(deals)} slip{'s' if deals != 1 else ''}"
                             for arr, deals in zip(slipped["slipped_arr"], slipped["slipped_deals"])],
                       textposition="auto", textfont={"size": 10},
                       hovertemplate="%{y}: %{x:,.0f} slipped<extra></extra>", row=1, col=3)
        figure.update_yaxes(autorange="reversed", row=1, col=3)
    else:
        figure.add_annotation(text="no deal slipped out of this quarter's months" if slipped is not None
                              else "kpi_deal_slippage is not in the warehouse", showarrow=False,
                              xref="x3 domain", yref="y3 domain", x=0.5, y=0.5, font={"color": COLOURS["neutral"]})
        figure.update_xaxes(visible=False, row=1, col=3)
        figure.update_yaxes(visible=False, row=1, col=3)
    _layout(figure, context, barmode="group", bargap=0.25, margin={"l": 60, "r": 20, "t": 60, "b": 50},
            legend={"orientation": "h", "y": -0.16})
    figure.update_yaxes(ticksuffix="×", rangemode="tozero", row=1, col=1)
    figure.update_yaxes(**context.money_axis(), rangemode="tozero", row=1, col=2)
    figure.update_xaxes(**context.money_axis(), row=1, col=3)
    notes = []
    for _, row in coverage.iterrows():
        period = row["period_name"]
        line = (f"{row['label']}: coverage {_multiple(row['coverage'])} (previous period at the same point "
                f"{_multiple(row['prior_coverage'])}), weighted {_multiple(row['weighted_coverage'])} "
                f"({_multiple(row['prior_weighted_coverage'])})")
        if period in categories.index:
            line += (f", commit {_share(categories.loc[period, 'commit_attainment'])} of target, best case "
                     f"{_share(categories.loc[period, 'best_case_attainment'])}")
        notes.append(line)
    note = "; ".join(notes) + ". The dashed line is 1×: open pipeline equal to what remains of the target."
    if "n/a" in note:
        note += " n/a: nothing remains of the target (closed won reached it, or there is none)."
    if slipped is not None and not slipped.empty:
        note += " Most slipped ARR this quarter: " + ", ".join(
            f"{name or key} ({context.money(float(arr))})"
            for name, key, arr in zip(slipped["level_name"], slipped["level_key"], slipped["slipped_arr"])) + "."
    return figure, note


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    marts: tuple[str, ...]
    description: str
    draw: Callable[[Warehouse, ReportContext], tuple[Any, str]]
    #: (label, mart, column): what the chart shows, defined in its footnotes by the column's description.
    defines: tuple[tuple[str, str, str], ...] = ()


CHARTS: list[ChartSpec] = [
    ChartSpec("funnel", "Funnel by stage", ("kpi_lead_generation", "kpi_pipeline_creation", "kpi_new_business"),
              "From lead to won deal over the last twelve complete months.", chart_funnel,
              (("Leads created", "kpi_lead_generation", "leads_created"),
               ("… became MQLs", "kpi_lead_generation", "cohort_mqls"),
               ("… became SQLs", "kpi_lead_generation", "cohort_sqls"),
               ("… converted to a deal", "kpi_lead_generation", "cohort_converted"),
               ("Stage-1 opportunities", "kpi_pipeline_creation", "stage1_opportunities"),
               ("… reached stage 2", "kpi_pipeline_creation", "stage1_cohort_reached_stage2"),
               ("Won new-business deals", "kpi_new_business", "won_opportunities"))),
    ChartSpec("lead_sources", "Lead generation by source", ("kpi_lead_generation",),
              "Leads created per month by source, and SQLs.", chart_lead_sources,
              (("Leads created", "kpi_lead_generation", "leads_created"), ("SQLs", "kpi_lead_generation", "sqls"))),
    ChartSpec("cohorts", "Pipeline conversion by lead cohort", ("kpi_pipeline_cohorts",),
              "How each month's leads convert to pipeline as they age.", chart_cohorts,
              (("Reached stage 1", "kpi_pipeline_cohorts", "stage1_conversion_rate"),
               ("Reached stage 2", "kpi_pipeline_cohorts", "stage2_conversion_rate"))),
    ChartSpec("arr_bridge", "ARR bridge", ("kpi_arr_movements",),
              "Where this fiscal year's ARR came from and went.", chart_arr_bridge,
              tuple((label, "kpi_arr_movements", column) for label, column in (
                  ("Starting ARR", "starting_arr"), ("New", "new_arr"), ("Reactivation", "reactivation_arr"),
                  ("Expansion", "expansion_arr"), ("Contraction", "contraction_arr"), ("Churn", "churned_arr"),
                  ("Ending ARR", "ending_arr")))),
    ChartSpec("retention", "Net and gross revenue retention", ("kpi_retention",),
              "Trailing twelve months, per month.", chart_retention,
              (("Net revenue retention", "kpi_retention", "net_revenue_retention"),
               ("Gross revenue retention", "kpi_retention", "gross_revenue_retention"),
               ("Logo retention", "kpi_retention", "logo_retention"))),
    ChartSpec("org_attainment", "Org attainment and year-end forecast", ("kpi_forecast", "kpi_org_attainment"),
              "Against this fiscal year's targets, with the forecast gap.", chart_org_attainment,
              (("Attainment", "kpi_org_attainment", "attainment"),
               ("Run-rate forecast", "kpi_forecast", "run_rate_forecast"),
               ("Pipeline forecast", "kpi_forecast", "pipeline_forecast"),
               ("Forecast gap", "kpi_forecast", "forecast_gap"))),
    ChartSpec("sdr_roi", "SDR ROI", ("kpi_sdr_roi",),
              "Cumulative return on each outbound SDR since hire.", chart_sdr_roi,
              (("Cumulative ROI", "kpi_sdr_roi", "cumulative_roi"),)),
    ChartSpec("coverage_commit", "Coverage and commit", ("kpi_pipeline_coverage", "kpi_forecast_categories",
                                                        "kpi_deal_slippage"),
              "Is there enough pipeline for this quarter, the next and the year, what the team commits to, and "
              "whose deals slip.", chart_coverage_commit,
              (("Coverage", "kpi_pipeline_coverage", "coverage"),
               ("Weighted coverage", "kpi_pipeline_coverage", "weighted_coverage"),
               ("Previous period, same point", "kpi_pipeline_coverage", "prior_coverage"),
               ("Commit", "kpi_forecast_categories", "commit_attainment"),
               ("Best case", "kpi_forecast_categories", "best_case_attainment"),
               ("Slipped ARR", "kpi_deal_slippage", "slipped_arr"))),
    ChartSpec("rep_attainment", "Rep attainment", ("kpi_rep_attainment",),
              "Distribution of attainment and reps at quota.", chart_rep_attainment,
              (("Attainment", "kpi_rep_attainment", "attainment"), ("At quota", "kpi_rep_attainment", "is_at_quota"),
               ("Ramping", "kpi_rep_attainment", "is_ramping"))),
]


def build_panels(warehouse: Warehouse, context: ReportContext) -> list[Panel]:
    panels = []
    for spec in CHARTS:
        panel = Panel(key=spec.key, title=spec.title, marts=list(spec.marts), description=spec.description,
                      definitions=[(label, plain(context.definitions.column(mart, column).description))
                                   for label, mart, column in spec.defines])
        try:
            panel.figure, panel.note = spec.draw(warehouse, context)
        except NoData as reason:
            panel.missing = str(reason)
        panels.append(panel)
    return panels


# --------------------------------------------------------------------------- the page

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; background: #f4f6f9; color: #1d2733; }
header { background: #1f4e79; color: white; padding: 18px 28px; }
header h1 { margin: 0 0 6px 0; font-size: 24px; }
header .meta { font-size: 14px; opacity: 0.9; }
header .meta span { margin-right: 22px; }
.summary { padding: 10px 28px; font-size: 13px; background: #e8eef5; border-bottom: 1px solid #d0d7e1; }
.summary .ok { color: #2e8540; } .summary .missing { color: #c0392b; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 18px; padding: 18px 28px; }
section.panel { background: white; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,0.12); padding: 14px 16px;
                min-width: 0; overflow: hidden; }
section.panel.wide { grid-column: 1 / -1; }
section.panel h2 { font-size: 17px; margin: 0 0 2px 0; }
section.panel .description { font-size: 13px; color: #5a6675; margin: 0 0 6px 0; }
section.panel .note { font-size: 12px; color: #5a6675; margin: 6px 0 0 0; }
section.panel .marts { font-size: 11px; color: #8c96a3; margin-top: 4px; }
section.panel dl.definitions { font-size: 11px; color: #5a6675; margin: 6px 0 0 0; }
section.panel dl.definitions dt { font-weight: bold; display: inline; }
section.panel dl.definitions dd { display: inline; margin: 0; }
section.panel dl.definitions dd::after { content: ""; display: block; margin-bottom: 2px; }
.no-data { height: 240px; display: flex; align-items: center; justify-content: center; text-align: center;
           background: repeating-linear-gradient(45deg, #fafafa, #fafafa 10px, #f0f0f0 10px, #f0f0f0 20px);
           border: 1px dashed #c0c6ce; color: #5a6675; font-size: 14px; padding: 10px; }
footer { padding: 8px 28px 24px; font-size: 11px; color: #8c96a3; }
"""

WIDE = {"cohorts", "rep_attainment", "coverage_commit"}


def render_html(panels: list[Panel], context: ReportContext, database: Path) -> str:
    import plotly
    from plotly.offline import get_plotlyjs

    with_data = [panel for panel in panels if panel.has_data]
    sections = []
    for panel in panels:
        classes = "panel wide" if panel.key in WIDE else "panel"
        if panel.has_data:
            body = panel.figure.to_html(
                full_html=False, include_plotlyjs=False, div_id=f"chart-{panel.key}",
                config={"displaylogo": False, "responsive": True},
            )
        else:
            body = (f'<div class="no-data" id="chart-{panel.key}" data-no-data="true">No data: '
                    f"{html.escape(panel.missing)}.<br>This chart reads {html.escape(', '.join(panel.marts))}.</div>")
        note = f'<p class="note">{html.escape(panel.note)}</p>' if panel.note else ""
        definitions = "".join(f"<dt>{html.escape(label)}:</dt> <dd>{html.escape(text)}</dd>"
                              for label, text in panel.definitions)
        if definitions:
            note += f'<dl class="definitions">{definitions}</dl>'
        sections.append(
            f'<section class="{classes}" id="panel-{panel.key}" data-chart="{panel.key}" '
            f'data-has-data="{str(panel.has_data).lower()}">'
            f"<h2>{html.escape(panel.title)}</h2>"
            f'<p class="description">{html.escape(panel.description)}</p>{body}{note}'
            f'<p class="marts">Marts: {html.escape(", ".join(panel.marts))}</p></section>'
        )
    summary_items = ", ".join(
        f'<span class="{"ok" if panel.has_data else "missing"}">{html.escape(panel.title)}'
        f'{"" if panel.has_data else " (no data)"}</span>'
        for panel in panels
    )
    built = f"<span>Built {html.escape(context.built_at)} UTC</span>" if context.built_at else ""
    manifest = script_json({
        "as_of": context.as_of.isoformat(), "currency": context.currency,
        "charts": {panel.key: panel.has_data for panel in panels},
    })
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sales KPIs as of {context.as_of.isoformat()}</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
<script type="application/json" id="report-manifest">{manifest}</script>
</head>
<body>
<header>
<h1>Sales KPIs</h1>
<div class="meta"><span>As of <b>{context.as_of:%d %B %Y}</b></span><span>Reporting currency <b>{html.escape(context.currency)}</b></span>{built}<span>Warehouse {html.escape(database.name)}</span></div>
</header>
<div class="summary" id="summary"><b>{len(with_data)} of {len(panels)} charts have data:</b> {summary_items}</div>
<main>
{''.join(sections)}
</main>
<footer>Generated by sales-kpis report with plotly {plotly.__version__}; self-contained (no server, no network needed).
Every figure comes from the published kpi_ marts; the definitions under each chart are the project's dbt documentation.</footer>
<script type="text/javascript">
// Fit every chart to its panel once the grid is laid out, and again when the window changes.
function fitCharts() {{ document.querySelectorAll(".plotly-graph-div").forEach(function (div) {{ Plotly.Plots.resize(div); }}); }}
window.addEventListener("load", fitCharts);
window.addEventListener("resize", fitCharts);
</script>
</body>
</html>
"""


@dataclass
class ReportResult:
    path: Path
    panels: list[Panel]
    context: ReportContext

    @property
    def with_data(self) -> list[str]:
        return [panel.key for panel in self.panels if panel.has_data]

    @property
    def without_data(self) -> list[Panel]:
        return [panel for panel in self.panels if not panel.has_data]


def write_report(database: Path, out_dir: Path, currency: str | None = None, filename: str = "index.html") -> ReportResult:
    """Write out_dir/index.html from the published warehouse; returns which charts had data."""
    warehouse = Warehouse(database)
    try:
        context = read_context(warehouse, currency)
        panels = build_panels(warehouse, context)
    finally:
        warehouse.close()
    path = Path(out_dir) / filename
    # Private by default, replaced whole: a browser refreshing the page never reads half a file.
    with replaced(path) as scratch:
        scratch.write_text(render_html(panels, context, Path(database)), encoding="utf-8")
    return ReportResult(path=path, panels=panels, context=context)
