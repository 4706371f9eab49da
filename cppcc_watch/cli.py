"""The `cppcc-watch` command line: thin commands over the library; errors become one line on stderr.

Exit codes: 0 success; 1 the job ran but failed; 2 bad usage or bad input.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from cppcc_watch.errors import BadInput, CppccWatchError
from cppcc_watch.extract.types import ENTITY_KINDS
from cppcc_watch.output import FORMATS, default_format, write_records
from cppcc_watch.query import ARTICLE_COLUMNS, ENTITY_COLUMNS, SEARCH_COLUMNS
from cppcc_watch.report import write_report
from cppcc_watch.settings import DEFAULT_DB_URL
from cppcc_watch.store.schema import RUN_COUNTS

DEBUG_ENV = "CPPCC_WATCH_DEBUG"


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


class CommandGroup(click.Group):
    """A click group that turns every error into one line on stderr and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CppccWatchError as error:
            click.echo(f"cppcc-watch: {_one_line(str(error))}", err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # the reader went away (`cppcc-watch articles | head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as error:
            if os.environ.get(DEBUG_ENV):
                raise
            click.echo(
                f"cppcc-watch: unexpected error: {type(error).__name__}: {_one_line(str(error))} "
                f"(set {DEBUG_ENV}=1 for the traceback)",
                err=True,
            )
            ctx.exit(1)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args, prog_name or "cppcc-watch", complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else 0
        except click.UsageError as error:
            hint = f" (see: {error.ctx.command_path} --help)" if error.ctx else ""
            click.echo(f"cppcc-watch: {_one_line(error.format_message())}{hint}", err=True)
            code = 2
        except click.ClickException as error:
            click.echo(f"cppcc-watch: {_one_line(error.format_message())}", err=True)
            code = error.exit_code
        except (click.Abort, KeyboardInterrupt):
            click.echo("cppcc-watch: interrupted", err=True)
            code = 130
        if standalone_mode:
            sys.exit(code)
        return code


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: table on a terminal, jsonl otherwise).",
)


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar="CPPCC_WATCH_DB",
    default=DEFAULT_DB_URL,
    show_default=True,
    help="Database URL (SQLAlchemy); env CPPCC_WATCH_DB.",
)
@click.version_option(package_name="cppcc-watch")
@click.pass_context
def cli(ctx: click.Context, db_url: str) -> None:
    """Crawl CPPCC and China Daily news into a database and query it."""
    ctx.obj = {"db": db_url}


def _parse_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise BadInput(f"-s expects NAME=VALUE, got {text!r}")
    return name.strip(), value


@cli.command()
@click.argument("spiders", nargs=-1)
@click.option(
    "--max-articles",
    type=click.IntRange(min=0),
    default=None,
    help="Fetch at most N new articles per spider.",
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a Scrapy or CPPCC_WATCH_* setting (repeatable).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO) on stderr.")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write Scrapy's log (INFO) to this file.",
)
@click.pass_obj
def crawl(
    obj: dict[str, Any],
    spiders: tuple[str, ...],
    max_articles: int | None,
    overrides: tuple[str, ...],
    verbose: bool,
    log_file: str | None,
) -> int:
    """Run spiders (default: all) into the database; only new articles are fetched.

    Example: cppcc-watch crawl cppcc --max-articles 50
    """
    from cppcc_watch.crawl import project_settings, run_crawl

    settings_overrides: dict[str, Any] = {
        "LOG_LEVEL": "INFO" if verbose or log_file else "CRITICAL",
        "CPPCC_WATCH_PROGRESS": sys.stderr.isatty(),
    }
    if log_file:
        settings_overrides["LOG_FILE"] = log_file
    if max_articles is not None:
        settings_overrides["CPPCC_WATCH_MAX_ARTICLES"] = max_articles
    settings_overrides.update(_parse_setting(text) for text in overrides)
    runs = run_crawl(list(spiders), project_settings(obj["db"], settings_overrides))
    failed = []
    for run in runs:
        click.echo(
            f"{run.spider}: {run.status}: {run.new} new, {run.updated} updated, "
            f"{run.unchanged} unchanged, {run.rejected} rejected, "
            f"{run.failed_requests} failed requests, {run.retries} retries"
            + (f" (run {run.run_id})" if run.run_id else "")
        )
        if run.status != "ok":
            failed.append(f"{run.spider}: {run.reason or run.status}")
    if failed:
        click.echo(f"cppcc-watch: crawl failed: {'; '.join(failed)}", err=True)
        return 1
    return 0


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    if not file.is_file():
        raise BadInput(f"no such file: {path}")
    try:
        return file.read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from error


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--url", required=True, help="The URL the page was saved from.")
@click.option("--section", default=None, help="Section to record (default: none).")
def parse(file: str, url: str, section: str | None) -> int:
    """Parse a saved page as the spider would and print the article as JSON.

    Example: cppcc-watch parse page.html --url http://en.cppcc.gov.cn/2021-04/27/c_629877.htm
    """
    from w3lib.encoding import html_to_unicode

    from cppcc_watch.sites import site_for_url

    site = site_for_url(url)
    if site is None or not site.is_article_url(url):
        raise BadInput(f"not an article URL of a known site: {url}")
    _, text = html_to_unicode(None, _read_input(file))
    page = site.ArticlePage(text, url)
    article = page.to_article(source=site.NAME, section=section)
    data = article.to_json()
    data["page_links"] = page.page_links()
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    missing = [field for field in ("title", "body") if not data.get(field)]
    if missing:
        click.echo(
            f"cppcc-watch: the page gives no {' and no '.join(missing)}; a crawl would reject it",
            err=True,
        )
        return 1
    return 0


@cli.command()
@click.argument("file", default="-", type=click.Path(dir_okay=False, allow_dash=True))
def extract(file: str) -> None:
    """Print the provinces, cities, organizations and themes of a plain text as JSON.

    Example: echo "CPPCC members surveyed Chengdu, Sichuan province." | cppcc-watch extract
    """
    from cppcc_watch.extract import extract_entities

    text = _read_input(file).decode("utf-8", errors="replace")
    click.echo(json.dumps(extract_entities(text).to_json(), ensure_ascii=False, indent=2))


@cli.command()
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Articles read per batch.",
)
@click.pass_obj
def reprocess(obj: dict[str, Any], batch_size: int) -> None:
    """Re-run entity extraction over every stored article (after the gazetteer or cues change).

    Each article's entities are replaced in one transaction, so an interrupted run loses nothing:
    run it again to finish. Example: cppcc-watch reprocess
    """
    from cppcc_watch.extract import extract_entities
    from cppcc_watch.store import Store

    show_progress = sys.stderr.isatty()
    done = 0
    store = Store.open(obj["db"])
    try:
        for article_id, article in store.iter_articles(batch_size=batch_size):
            extraction = extract_entities(article.body or "", title=article.title or "")
            store.replace_entities(article_id, extraction)
            done += 1
            if show_progress and done % 100 == 0:
                click.echo(f"\rreprocessed {done} articles", nl=False, err=True)
    finally:
        store.close()
    if show_progress:
        click.echo("\r\033[K", nl=False, err=True)
    click.echo(f"reprocessed {done} articles")


RUN_COLUMNS = ("id", "spider", "started_at", "finished_at", "status", *RUN_COUNTS, "reason")


@cli.command()
@click.option("--spider", default=None, help="Only this spider's runs.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many runs, newest first.",
)
@format_option
@click.pass_obj
def runs(obj: dict[str, Any], spider: str | None, limit: int, fmt: str | None) -> None:
    """Show the crawl log: when, which spider, pages, new/updated/failed articles, status.

    Example: cppcc-watch runs --spider cppcc --limit 5
    """
    from cppcc_watch.store import Store

    store = Store.open(obj["db"], readonly=True)
    try:
        records = store.runs(limit=limit, spider=spider)
    finally:
        store.close()
    write_records(records, fmt or default_format(), sys.stdout, columns=RUN_COLUMNS)


TABLE_ROWS = 50
KIND_CHOICE = click.Choice(ENTITY_KINDS)
since_option = click.option(
    "--since", metavar="DATE", default=None, help="From this YYYY, YYYY-MM or YYYY-MM-DD on."
)
until_option = click.option(
    "--until",
    metavar="DATE",
    default=None,
    help="Up to the end of this YYYY, YYYY-MM or YYYY-MM-DD.",
)
source_option = click.option(
    "--source", default=None, help="From this spider only (cppcc, chinadaily)."
)


def _query(obj: dict[str, Any]) -> Any:
    """The analyst API over the group's database, opened read-only."""
    from cppcc_watch.query import Query

    return Query.open(obj["db"])


def _print(rows: Any, fmt: str | None, columns: tuple[str, ...], limit: int | None = None) -> None:
    """Print query results; a table shows at most TABLE_ROWS rows unless --limit says more."""
    from itertools import islice

    from cppcc_watch.query import records

    fmt = fmt or default_format()
    rows = records(rows)
    if fmt == "table" and limit is None:
        rows = islice(rows, TABLE_ROWS + 1)
        shown = list(rows)
        if len(shown) > TABLE_ROWS:
            shown = shown[:TABLE_ROWS]
            click.echo(
                f"(first {TABLE_ROWS} rows; use --limit N, or --format csv/json/jsonl for all)",
                err=True,
            )
        rows = iter(shown)
    write_records(rows, fmt, sys.stdout, columns=columns)


@cli.command()
@click.option("--province", default=None, help="Mentioning this province (any alias: Tibet).")
@click.option("--city", default=None, help="Mentioning this city (Xian; 'Suzhou, Jiangsu').")
@click.option("--org", default=None, help="Mentioning this organization (name or acronym: CAST).")
@click.option("--theme", default=None, help="About this theme (id or words: 'food security').")
@source_option
@since_option
@until_option
@click.option("--search", default=None, help="Full-text search of titles and bodies, ranked.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help=f"At most N articles (default: all; {TABLE_ROWS} for a table).",
)
@format_option
@click.pass_obj
def articles(
    obj: dict[str, Any],
    province: str | None,
    city: str | None,
    org: str | None,
    theme: str | None,
    source: str | None,
    since: str | None,
    until: str | None,
    search: str | None,
    limit: int | None,
    fmt: str | None,
) -> None:
    """List matching articles, newest first (best match first with --search).

    Filters combine (all must hold). Example:
    cppcc-watch articles --city Xian --theme "climate change" --since 2024 --format csv
    """
    with _query(obj) as query:
        rows = query.articles(
            province=province,
            city=city,
            org=org,
            theme=theme,
            source=source,
            since=since,
            until=until,
            search=search,
            limit=limit,
        )
        _print(rows, fmt, SEARCH_COLUMNS if search else ARTICLE_COLUMNS, limit)


@cli.command()
@click.option("--kind", type=KIND_CHOICE, default=None, help="Only entities of this kind.")
@since_option
@until_option
@source_option
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="How many.")
@click.option(
    "--by",
    type=click.Choice(("articles", "mentions")),
    default="articles",
    show_default=True,
    help="Rank by articles mentioning them or by mentions.",
)
@format_option
@click.pass_obj
def entities(
    obj: dict[str, Any],
    kind: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    top: int,
    by: str,
    fmt: str | None,
) -> None:
    """Show the most-mentioned entities with their article and mention counts, and the
    articles each place is the focus of.

    Example: cppcc-watch entities --kind province --since 2026 --source chinadaily --top 10
    """
    with _query(obj) as query:
        rows = query.top_entities(
            kind=kind, since=since, until=until, top=top, by=by, source=source
        )
        _print(rows, fmt, ENTITY_COLUMNS, top)


@cli.command()
@click.argument("name")
@click.option("--kind", type=KIND_CHOICE, default=None, help="NAME's kind, if ambiguous.")
@click.option(
    "--by",
    type=click.Choice(("month", "week")),
    default="month",
    show_default=True,
    help="Count per month, or per week (labelled by its Monday).",
)
@since_option
@until_option
@source_option
@format_option
@click.pass_obj
def trends(
    obj: dict[str, Any],
    name: str,
    kind: str | None,
    by: str,
    since: str | None,
    until: str | None,
    source: str | None,
    fmt: str | None,
) -> None:
    """Count articles over time for an entity or theme (every period, zeros included).

    Example: cppcc-watch trends "food security" --by month --since 2024 --source cppcc
    """
    with _query(obj) as query:
        rows = query.trend(name, kind=kind, by=by, since=since, until=until, source=source)
        _print(rows, fmt, ("period", "articles"), len(rows))


@cli.command()
@click.argument("name")
@click.option(
    "--kind", type=KIND_CHOICE, default=None, help="Only co-occurring entities of this kind."
)
@click.option("--x-kind", type=KIND_CHOICE, default=None, help="NAME's kind, if ambiguous.")
@since_option
@until_option
@source_option
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="How many.")
@format_option
@click.pass_obj
def cooccur(
    obj: dict[str, Any],
    name: str,
    kind: str | None,
    x_kind: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    top: int,
    fmt: str | None,
) -> None:
    """Show the entities that appear in the same articles as NAME, by shared articles.

    `share` is the fraction of NAME's articles that also name the entity.

    Example: cppcc-watch cooccur CAST --kind organization --top 10
    """
    with _query(obj) as query:
        rows = query.cooccur(
            name, kind=x_kind, with_kind=kind, since=since, until=until, top=top, source=source
        )
        _print(rows, fmt, ("kind", "name", "acronym", "province", "articles", "share"), top)


@cli.command()
@click.argument("statement")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    type=(str, str),
    metavar="NAME VALUE",
    help="A value for :NAME in the statement (repeatable).",
)
@format_option
@click.pass_obj
def sql(
    obj: dict[str, Any], statement: str, params: tuple[tuple[str, str], ...], fmt: str | None
) -> None:
    """Run one read-only SQL query; a statement that writes is refused, nothing changes.

    Example: cppcc-watch sql "SELECT name, articles FROM entity_stats WHERE kind = :k" -p k theme
    """
    with _query(obj) as query:
        rows = query.sql(statement, dict(params))
        fmt = fmt or default_format()
        if fmt == "table":
            _print(rows, fmt, (), None)
        else:
            write_records(rows, fmt, sys.stdout)


@cli.command()
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=False),
    help="The HTML file to write (replaced if it exists).",
)
@since_option
@until_option
@click.option("--source", default=None, help="From this spider only (cppcc, chinadaily).")
@click.pass_obj
def report(
    obj: dict[str, Any], out: str, since: str | None, until: str | None, source: str | None
) -> None:
    """Write a self-contained HTML report with charts: themes, provinces, organizations, crawls.

    The file needs no network to open: styles, scripts and data are inside it.

    Example: cppcc-watch report --out report.html --since 2024 --source cppcc
    """
    with _query(obj) as query:
        data = write_report(query, out, since=since, until=until, source=source)
    click.echo(f"cppcc-watch: wrote {out} ({data.articles:,} articles in scope)", err=True)


def main() -> None:
    """Entry point of the `cppcc-watch` script."""
    cli.main()


if __name__ == "__main__":
    main()
