"""The report page: one self-contained HTML file (styles, plotly.js and data inline).

Everything from the database is escaped; links go only to http(s) URLs. When the page has
charts, the root element gets `data-report="ready"` once all of them are drawn (or "error"),
which is what the browser test waits for.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import plotly.io
import plotly.offline

from cppcc_watch.extract.types import ENTITY_KINDS
from cppcc_watch.query import ArticleEntity, ArticleResult, EntityCount
from cppcc_watch.report import charts
from cppcc_watch.report.gather import (
    COOCCUR_ORGANIZATIONS,
    COOCCUR_PROVINCES,
    RECENT_RUNS,
    TOP_THEMES,
    ReportData,
)

#: Entity chips shown per kind for each of the latest articles.
CHIPS_PER_KIND = 6
#: Crawl runs listed in the table under the crawl chart.
RUNS_LISTED = 10
_EMPTY_TOPOLOGY = {
    "type": "Topology",
    "arcs": [],
    "objects": {
        layer: {"type": "GeometryCollection", "geometries": []}
        for layer in ("land", "ocean", "lakes", "rivers", "countries", "coastlines", "subunits")
    },
}
_CHART_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": False}


@dataclass(frozen=True)
class Section:
    """A part of the page: a heading, a note on how to read it, and a chart or a table."""

    id: str
    title: str
    note: str
    figure: go.Figure | None = None
    body: str = ""
    empty: str = "Nothing to show for this scope."


def render(data: ReportData) -> str:
    """The whole report page for `data`."""
    sections = _sections(data)
    figures = [(s.id, s.figure) for s in sections if s.figure is not None]
    parts = [_header(data)]
    if not data.stored_articles:
        parts.append(
            '<p class="nothing" id="nothing-yet">Nothing yet: the database has no articles. '
            "Run <code>cppcc-watch crawl</code> to fetch some, then make the report again.</p>"
        )
    elif not data.articles:
        parts.append(
            f'<p class="nothing" id="nothing-yet">No articles in this scope '
            f"({html.escape(data.scope.label)}); the database holds "
            f"{data.stored_articles:,} in all. Try a wider date range or another source.</p>"
        )
    if len(sections) > 1:
        parts.append(_contents(sections))
    parts += [_section(s) for s in sections]
    parts.append(_footer(bool(figures)))
    return _document(data, "\n".join(parts), figures)


def _sections(data: ReportData) -> list[Section]:
    runs = _runs_table(data.runs[:RUNS_LISTED])
    crawl = Section(
        "crawls",
        "Crawl health",
        f"New articles per crawl run (the last {RECENT_RUNS} runs, whatever their dates), with "
        "failed requests and rejected items; a cross marks a failed or interrupted run.",
        charts.crawl_health(data),
        runs,
        "No crawl runs recorded yet.",
    )
    if not data.articles:
        return [crawl]
    shown = min(TOP_THEMES, len(data.themes))
    return [
        Section(
            "themes",
            "Themes over time",
            f"Articles per month discussing each of the {shown} most frequent themes "
            f"(of {len(data.theme_counts)} found); the legend gives each theme's total.",
            charts.themes_over_time(data),
            _counts_table(data.theme_counts, "theme"),
            "No article in this scope discusses one of the themes.",
        ),
        Section(
            "provinces",
            "Provinces",
            "Shading: articles naming each province. Red dots: articles about it (named in the "
            "title or the lead, or the most named place), sized by their number.",
            charts.province_map(data),
            _counts_table(data.provinces, "province"),
            "No article in this scope names a province.",
        ),
        Section(
            "cities",
            "Most mentioned cities",
            "Articles naming each city (prefecture-level cities and municipalities).",
            charts.entity_bars(data.cities, "city"),
            _counts_table(data.cities, "city"),
            "No article in this scope names a city.",
        ),
        Section(
            "organizations",
            "Most mentioned organizations",
            "Articles naming each organization, however it is written (name or acronym).",
            charts.entity_bars(data.organizations, "organization"),
            _counts_table(data.organizations, "organization"),
            "No article in this scope names an organization.",
        ),
        Section(
            "cooccurrence",
            "Organizations and provinces together",
            f"For each of the {COOCCUR_ORGANIZATIONS} most mentioned organizations (rows): the "
            f"share of its articles that also name each of the {COOCCUR_PROVINCES} most "
            "mentioned provinces (columns). Hover a cell for the number of articles.",
            charts.cooccurrence_heatmap(data),
            empty="No article in this scope names both an organization and a province.",
        ),
        crawl,
        Section(
            "latest",
            "Latest articles",
            "The newest articles in this scope, with what was found in them (bold: the place "
            "the article is about).",
            body=_latest_table(data.latest),
        ),
    ]


def _document(data: ReportData, body: str, figures: list[tuple[str, go.Figure | None]]) -> str:
    scripts = ""
    if figures:
        payload = [
            {"id": f"chart-{section_id}", "figure": json.loads(plotly.io.to_json(figure))}
            for section_id, figure in figures
        ]
        geo_assets = json.dumps({"topojson": {charts.BASE_MAP_TOPOJSON: _EMPTY_TOPOLOGY}})
        scripts = (
            # plotly.js fetches a base-map topojson for any map; ours needs none (the layers
            # are hidden), so an empty one is supplied and nothing is fetched.
            f"<script>window.PlotlyGeoAssets = {geo_assets};</script>\n"
            f"<script>{plotly.offline.get_plotlyjs()}</script>\n"
            f'<script type="application/json" id="report-charts">{_json(payload)}</script>\n'
            f"<script>{_DRAW}</script>"
        )
    title = f"cppcc-watch report: {data.scope.label}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n{scripts}\n</body>\n</html>\n"
    )


def _json(value: Any) -> str:
    """JSON that is safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _header(data: ReportData) -> str:
    scope = data.scope
    cards = [("articles in scope", f"{data.articles:,}")]
    cards += [(f"from {t.source}", f"{t.articles:,}") for t in data.totals if len(data.totals) > 1]
    first = min((t.first for t in data.totals if t.first), default=None)
    last = max((t.last for t in data.totals if t.last), default=None)
    if first and last:
        cards.append(("published", f"{first[:10]} – {last[:10]}"))
    if data.runs:
        run = data.runs[0]
        cards.append(("last crawl", f"{(run['started_at'] or '')[:16]} ({run['status']})"))
    card_html = "".join(
        f'<div class="card"><span class="value">{html.escape(value)}</span>'
        f'<span class="label">{html.escape(label)}</span></div>'
        for label, value in cards
    )
    return (
        "<header>\n<h1>cppcc-watch report</h1>\n"
        f'<p class="scope">{html.escape(scope.label.capitalize())}. Database '
        f"<code>{html.escape(scope.database)}</code>, {data.stored_articles:,} articles stored; "
        f"made {html.escape(scope.generated_at)}.</p>\n"
        f'<div class="cards">{card_html}</div>\n</header>'
    )


def _contents(sections: list[Section]) -> str:
    links = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections)
    return f'<nav class="contents">{links}</nav>'


def _section(section: Section) -> str:
    if section.figure is not None:
        content = f'<div class="chart" id="chart-{section.id}"></div>'
    elif not section.body:
        content = f'<p class="empty">{html.escape(section.empty)}</p>'
    else:
        content = ""
    return (
        f'<section id="{section.id}">\n<h2>{html.escape(section.title)}</h2>\n'
        f'<p class="note">{html.escape(section.note)}</p>\n{content}\n{section.body}\n</section>'
    )


def _counts_table(counts: list[EntityCount], kind: str) -> str:
    """The figures behind a chart, in a table folded under it (to read or copy exactly)."""
    if not counts:
        return ""
    extra = {"city": "province", "organization": "acronym", "province": "focus of"}.get(kind)
    head = "".join(f"<th>{h}</th>" for h in (kind, *([extra] if extra else []), "articles"))
    rows = []
    for count in counts:
        name = charts.theme_label(count.name) if kind == "theme" else count.name
        cells = [html.escape(name)]
        if kind == "city":
            cells.append(html.escape(count.province or ""))
        elif kind == "organization":
            cells.append(html.escape(count.acronym or ""))
        elif kind == "province":
            cells.append(f"{count.focus_articles:,}")
        cells.append(f"{count.articles:,}")
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return (
        f'<details class="figures"><summary>The figures ({len(counts)} rows)</summary>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></details>"
    )


def _latest_table(latest: list[tuple[ArticleResult, list[ArticleEntity]]]) -> str:
    if not latest:
        return '<p class="empty">No articles in this scope.</p>'
    rows = []
    for article, entities in latest:
        title = html.escape(article.title or "(no title)")
        link = _href(article.url)
        headline = f'<a href="{link}" rel="noopener noreferrer">{title}</a>' if link else title
        rows.append(
            f'<tr><td class="date">{html.escape((article.published_at or "undated")[:10])}</td>'
            f"<td>{html.escape(article.source)}</td>"
            f'<td>{headline}<div class="chips">{_chips(entities)}</div></td></tr>'
        )
    return (
        '<table class="latest"><thead><tr><th>published</th><th>source</th>'
        "<th>article and entities</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _chips(entities: Iterable[ArticleEntity]) -> str:
    by_kind: dict[str, list[ArticleEntity]] = {kind: [] for kind in ENTITY_KINDS}
    for entity in entities:
        by_kind.setdefault(entity.kind, []).append(entity)
    chips = []
    for kind, found in by_kind.items():
        for entity in found[:CHIPS_PER_KIND]:
            label = entity.acronym or entity.name
            if kind == "theme":
                label = charts.theme_label(entity.name)
            tip = f"{kind}: {entity.name}, {entity.count} mention{'s' * (entity.count != 1)}"
            focus = " focus" if entity.focus else ""
            chips.append(
                f'<span class="chip {kind}{focus}" title="{html.escape(tip)}">'
                f"{html.escape(label)}</span>"
            )
        if len(found) > CHIPS_PER_KIND:
            chips.append(f'<span class="chip more">+{len(found) - CHIPS_PER_KIND}</span>')
    return "".join(chips) or '<span class="chip more">no entities found</span>'


def _href(url: str) -> str | None:
    """The URL escaped for an href, or None unless it is http(s)."""
    if not url.lower().startswith(("http://", "https://")):
        return None
    return html.escape(url, quote=True)


def _runs_table(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return ""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("run", "spider", "started (UTC)", "status", "new", "updated", "failed", "reason")
    )
    rows = []
    for run in runs:
        status = html.escape(str(run["status"]))
        cells = [
            str(run["id"]),
            html.escape(str(run["spider"])),
            html.escape(str(run["started_at"] or "")[:19].replace("T", " ")),
            f'<span class="status {status}">{status}</span>',
            f"{run['new']:,}",
            f"{run['updated']:,}",
            f"{run['failed_requests'] + run['rejected']:,}",
            html.escape(str(run["reason"] or "")),
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return (
        f'<table class="runs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _footer(with_charts: bool) -> str:
    credits = (
        " Charts drawn with Plotly (MIT licence); province outlines from Natural Earth (public "
        "domain), which follow its de facto depiction, not an official map."
        if with_charts
        else ""
    )
    return f"<footer>Made by cppcc-watch.{credits}</footer>"


_DRAW = """
(function () {
  var root = document.documentElement;
  var charts = JSON.parse(document.getElementById("report-charts").textContent);
  var config = CHART_CONFIG;
  Promise.all(charts.map(function (chart) {
    return Plotly.newPlot(chart.id, chart.figure.data, chart.figure.layout, config);
  })).then(function () {
    root.dataset.report = "ready";
  }, function (error) {
    root.dataset.report = "error";
    console.error("cppcc-watch report: a chart could not be drawn:", error);
  });
})();
""".replace("CHART_CONFIG", json.dumps(_CHART_CONFIG))

_STYLE = """
:root { --ink: #1a202c; --muted: #4a5568; --line: #e2e8f0; --bg: #f7fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 0 0 4px; font-size: 19px; }
header .scope, .note, footer { color: var(--muted); }
.note { margin: 0 0 12px; font-size: 14px; }
section { background: white; border: 1px solid var(--line); border-radius: 8px;
  padding: 16px 18px; margin: 18px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 12px; }
.card { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
  min-width: 150px; }
.card .value { display: block; font-size: 20px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 13px; }
.nothing { background: #fffbea; border: 1px solid #f6e05e; border-radius: 8px; padding: 14px 18px;
  font-size: 16px; }
.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin-top: 8px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.date { white-space: nowrap; }
a { color: #2b6cb0; text-decoration: none; }
a:hover { text-decoration: underline; }
.chips { margin-top: 4px; display: flex; flex-wrap: wrap; gap: 4px; }
.chip { font-size: 12px; padding: 1px 7px; border-radius: 10px; border: 1px solid; }
.chip.province { color: #2b6cb0; border-color: #90cdf4; }
.chip.city { color: #2f855a; border-color: #9ae6b4; }
.chip.organization { color: #6b46c1; border-color: #d6bcfa; }
.chip.theme { color: #c05621; border-color: #fbd38d; }
.chip.focus { font-weight: 700; background: #ebf8ff; }
.chip.more { color: var(--muted); border-color: var(--line); }
.status.failed, .status.interrupted { color: #c53030; font-weight: 600; }
.status.ok { color: #2f855a; }
footer { margin-top: 24px; font-size: 13px; }
details.figures { margin-top: 6px; font-size: 14px; }
details.figures summary { cursor: pointer; color: var(--muted); }
details.figures table { width: auto; min-width: 40%; }
nav.contents { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 16px 0 0; font-size: 14px; }
"""
