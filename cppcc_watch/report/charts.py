"""The report's charts: Plotly figures built from `ReportData`, one function per chart.

Each function returns a figure, or None when there is nothing to draw (the page then says so).
Plotly draws lines, bars, heat maps and a choropleth of our own GeoJSON, and the page inlines
plotly.js, so the report opens without a network.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

import plotly.graph_objects as go

from cppcc_watch.extract.gazetteer import Gazetteer
from cppcc_watch.query import EntityCount
from cppcc_watch.report.gather import ReportData

#: Map outline of the 34 provincial-level divisions (Natural Earth, public domain; see NOTICE).
PROVINCES_GEOJSON = "china-provinces.geojson"
#: The topojson that plotly.js would fetch for its base map; the page supplies an empty one.
BASE_MAP_TOPOJSON = "world_110m"

KIND_COLOURS = {
    "province": "#2b6cb0",
    "city": "#2f855a",
    "organization": "#6b46c1",
    "theme": "#c05621",
}
_FAILED = "#c53030"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_LABEL_LENGTH = 42


def theme_label(theme: str) -> str:
    """A theme id as words ("food_security" -> "food security")."""
    return theme.replace("_", " ")


def organization_label(org: EntityCount | Any) -> str:
    """An organization's short label: its acronym, else its name cut to fit an axis."""
    if org.acronym:
        return str(org.acronym)
    name = str(org.name)
    return name if len(name) <= _LABEL_LENGTH else name[: _LABEL_LENGTH - 1] + "…"


def _layout(figure: go.Figure, *, height: int, **extra: Any) -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        font={"family": _FONT, "size": 12},
        hoverlabel={"font": {"family": _FONT}},
        **extra,
    )
    return figure


def _whole_numbers(largest: int) -> dict[str, Any]:
    """Axis settings that keep small counts on whole-number ticks (no "0.5 articles")."""
    return {"dtick": 1, "tick0": 0} if largest <= 8 else {}


def themes_over_time(data: ReportData) -> go.Figure | None:
    """Articles per month for the most discussed themes, one line each."""
    series = [s for s in data.themes if s.points]
    if not series:
        return None
    figure = go.Figure(
        [
            go.Scatter(
                x=[point.period for point in s.points],
                y=[point.articles for point in s.points],
                mode="lines+markers" if len(s.points) < 4 else "lines",
                name=f"{theme_label(s.theme)} ({s.articles:,})",
                hovertemplate=(
                    f"{theme_label(s.theme)}<br>%{{x|%b %Y}}: %{{y:,}} articles<extra></extra>"
                ),
            )
            for s in series
        ]
    )
    return _layout(
        figure,
        height=420,
        xaxis={"type": "date", "tickformat": "%b %Y"},
        yaxis={
            "title": "articles per month",
            "rangemode": "tozero",
            **_whole_numbers(max(p.articles for s in series for p in s.points)),
        },
        legend={"orientation": "h", "y": -0.15},
        hovermode="closest",
    )


@cache
def provinces_geojson() -> dict[str, Any]:
    """The packaged outline of China's provinces (features keyed by ISO 3166-2 code)."""
    text = resources.files("cppcc_watch.report").joinpath("data", PROVINCES_GEOJSON).read_text()
    geojson: dict[str, Any] = json.loads(text)
    return geojson


def province_map(data: ReportData) -> go.Figure | None:
    """Provinces shaded by articles naming them; dots sized by articles they are the focus of."""
    if not data.provinces:
        return None
    counts = {p.name: p for p in data.provinces}
    provinces = Gazetteer.load().provinces
    shading = go.Choropleth(
        geojson=provinces_geojson(),
        featureidkey="properties.iso_3166_2",
        locations=[p.code for p in provinces],
        z=[counts[p.name].articles if p.name in counts else 0 for p in provinces],
        text=[p.name for p in provinces],
        customdata=[_focus(counts.get(p.name)) for p in provinces],
        colorscale="Blues",
        marker={"line": {"color": "#4a5568", "width": 0.6}},
        colorbar={"title": {"text": "articles"}, "thickness": 12},
        hovertemplate=(
            "<b>%{text}</b><br>%{z:,} articles name it<br>"
            "the focus of %{customdata:,}<extra></extra>"
        ),
        name="articles",
    )
    focused = [p for p in provinces if _focus(counts.get(p.name))]
    most = max((_focus(counts[p.name]) for p in focused), default=1)
    dots = go.Scattergeo(
        lat=[p.latitude for p in focused],
        lon=[p.longitude for p in focused],
        text=[p.name for p in focused],
        customdata=[_focus(counts[p.name]) for p in focused],
        mode="markers",
        marker={
            "size": [5 + 21 * math.sqrt(_focus(counts[p.name]) / most) for p in focused],
            "color": _FAILED,
            "opacity": 0.75,
            "line": {"color": "white", "width": 1},
        },
        hovertemplate="<b>%{text}</b><br>the focus of %{customdata:,} articles<extra></extra>",
        name="focus",
    )
    figure = go.Figure([shading, dots])
    figure.update_geos(
        visible=False,
        fitbounds="locations",
        scope="world",
        resolution=110,
        projection={"type": "equirectangular"},
    )
    return _layout(figure, height=520, showlegend=False)


def _focus(count: EntityCount | None) -> int:
    return count.focus_articles if count else 0


def entity_bars(counts: list[EntityCount], kind: str) -> go.Figure | None:
    """The most mentioned cities or organizations, by articles, largest on top."""
    if not counts:
        return None
    rows = list(reversed(counts))
    if kind == "city":
        labels = [
            f"{c.name} ({c.province})" if c.province and c.province != c.name else c.name
            for c in rows
        ]
    else:
        labels = [organization_label(c) for c in rows]
    figure = go.Figure(
        go.Bar(
            x=[c.articles for c in rows],
            y=labels,
            orientation="h",
            marker={"color": KIND_COLOURS[kind]},
            text=[f"{c.articles:,}" for c in rows],
            textposition="auto",
            customdata=[[c.name, c.mentions] for c in rows],
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>%{x:,} articles, %{customdata[1]:,} mentions"
                "<extra></extra>"
            ),
        )
    )
    return _layout(
        figure,
        height=max(260, 28 * len(rows) + 40),
        xaxis={"title": "articles", "rangemode": "tozero", **_whole_numbers(rows[-1].articles)},
        yaxis={"automargin": True},
    )


def cooccurrence_heatmap(data: ReportData) -> go.Figure | None:
    """For the top organizations (rows): the share of their articles naming each province.

    Shading by share rather than by count keeps a pattern visible in every row, not only in
    the row of the most frequent organization; the counts are in the hover text.
    """
    shared = data.cooccurrence
    if shared is None or not any(any(row) for row in shared.counts):
        return None
    rows, columns = range(len(shared.rows)), range(len(shared.columns))
    figure = go.Figure(
        go.Heatmap(
            z=[[shared.share(i, j) for j in columns] for i in rows],
            x=[province.name for province in shared.columns],
            y=[organization_label(org) for org in shared.rows],
            customdata=[
                [[shared.rows[i].name, shared.counts[i][j]] for j in columns] for i in rows
            ],
            colorscale="Purples",
            zmin=0,
            colorbar={
                "title": {"text": "share of its articles"},
                "tickformat": ".0%",
                "thickness": 12,
            },
            hovertemplate=(
                "<b>%{customdata[0]}</b> and <b>%{x}</b><br>%{customdata[1]:,} articles,"
                " %{z:.1%} of the organization's<extra></extra>"
            ),
            xgap=1,
            ygap=1,
        )
    )
    return _layout(
        figure,
        height=max(300, 30 * len(rows) + 140),
        xaxis={"tickangle": -45, "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def crawl_health(data: ReportData) -> go.Figure | None:
    """New articles per crawl run by spider, with failed requests and failed runs marked."""
    if not data.runs:
        return None
    runs = list(reversed(data.runs))
    traces: list[Any] = []
    for spider in sorted({run["spider"] for run in runs}):
        mine = [run for run in runs if run["spider"] == spider]
        traces.append(
            go.Bar(
                x=[_run_label(run) for run in mine],
                y=[run["new"] for run in mine],
                name=f"{spider}: new articles",
                customdata=[[run["started_at"], run["status"], run["updated"]] for run in mine],
                hovertemplate=(
                    f"<b>{spider}</b> run %{{x}}, %{{customdata[1]}}<br>started %{{customdata[0]}}"
                    "<br>%{y:,} new, %{customdata[2]:,} updated<extra></extra>"
                ),
            )
        )
    traces.append(
        go.Scatter(
            x=[_run_label(run) for run in runs],
            y=[run["failed_requests"] + run["rejected"] for run in runs],
            name="failed requests + rejected items",
            mode="lines+markers",
            line={"color": _FAILED, "width": 1, "dash": "dot"},
            yaxis="y2",
            hovertemplate="run %{x}: %{y:,} failed or rejected<extra></extra>",
        )
    )
    failed = [run for run in runs if run["status"] in ("failed", "interrupted")]
    if failed:
        traces.append(
            go.Scatter(
                x=[_run_label(run) for run in failed],
                y=[run["new"] for run in failed],
                name="failed or interrupted run",
                mode="markers",
                marker={"symbol": "x", "size": 11, "color": _FAILED},
                text=[_reason(run) for run in failed],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    return _layout(
        go.Figure(traces),
        height=340,
        barmode="relative",
        xaxis={"type": "category", "title": "crawl run, oldest to newest"},
        yaxis={
            "title": "new articles",
            "rangemode": "tozero",
            **_whole_numbers(max(run["new"] for run in runs)),
        },
        yaxis2={
            "title": "failed / rejected",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
        },
        legend={"orientation": "h", "y": -0.3},
    )


def _run_label(run: dict[str, Any]) -> str:
    return f"#{run['id']}"


def _reason(run: dict[str, Any]) -> str:
    reason = str(run.get("reason") or "no reason recorded")
    return f"run {run['id']} {run['status']}: {reason[:160]}"
