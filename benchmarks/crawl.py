"""Crawl benchmark (docs/SPEC.md §7): full-pipeline pages/s against a bare Scrapy spider,
incremental re-crawls, and peak memory at two crawl sizes.

    .venv/bin/python benchmarks/crawl.py [--articles 2000] [--repeats 3] [--quick] [--latency MS]
                                         [--backend sqlite|postgresql]

A local mirror of the CPPCC site (cppcc only: `news.html`, `news_2.html`... with 20 items each,
single-page articles of 3-6 paragraphs naming provinces, cities, organizations and themes) is
served by `tests.mirror_server.Mirror` in its own process. Against it the script runs, each in a
subprocess:

- the real `cppcc-watch crawl cppcc` into a fresh database (`--backend`: a SQLite file, or a
  database on a throwaway PostgreSQL server on 127.0.0.1, `tests/pg_server.py`, whose durability
  is off as in the tests), politeness off (no delay, no
  autothrottle, CONCURRENCY requests at once), and a bare `scrapy.Spider` defined here (no
  pipelines, no project extensions) that walks the same listing pages and follows the same
  article links with the same concurrency and ROBOTSTXT_OBEY on; alternated, `--repeats` times
  each, medians reported. Pages are counted from the mirror's request log (robots.txt excluded);
  seconds are Scrapy's `elapsed_time_seconds` (engine open to close), so interpreter start-up is
  left out of both; start-up (process wall time minus engine time) is shown beside them, and
  so is the crawler's CPU time inside the engine.
- the full crawl again without entity extraction, and without any item pipeline.
- two re-crawls of the last full crawl's database: on the unchanged mirror, then after 10 new
  articles are put at the top of `news.html` (the listings re-paginated).
- full crawls of a quarter of the articles and of all of them, reporting the child's peak RSS
  (ru_maxrss) and the ratio.
- in this process, the full crawl's stages timed on the same article pages, set against the CPU
  time the full crawl spends beyond the bare spider.

Only 127.0.0.1 is contacted; everything lives in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOST = "en.cppcc.gov.cn"
SITE = f"http://{HOST}"
PER_PAGE = 20
CONCURRENCY = 16
TARGET_RATIO = 0.8
NEW_ARTICLES = 10
FIRST_ID = 900000
CHILD_TIMEOUT = 600
LISTING_RE = re.compile(r"^/news(?:_\d+)?\.html$")
ARTICLE_RE = re.compile(r"/c_\d+(?:_\d+)?\.htm$")
ELAPSED_RE = re.compile(r"'elapsed_time_seconds': ([0-9.]+)")

THEMES = [
    "rural revitalization",
    "scientific and technological innovation",
    "ecological protection",
    "elderly care",
    "food security",
    "high-quality development",
    "the digital economy",
    "green and low-carbon development",
    "vocational education",
    "public health",
    "cultural heritage protection",
    "new quality productive forces",
]
PEOPLE = ["Wang Huning", "Shi Taifeng", "Hu Chunhua", "Shen Yueyue", "Wang Yong", "Zhou Qiang"]
SOURCES = ["Xinhua", "chinadaily.com.cn", None]
SENTENCES = [
    "Members of the {org} visited {city}, {province} province, to survey {theme}.",
    "Officials in {city} briefed the delegation on {theme} and on plans for the coming year.",
    "{person}, a vice-chairperson of the CPPCC National Committee, called for stronger support "
    "for {theme} in {province} province.",
    "The survey team also travelled to {city2}, {province2} province, where local enterprises "
    "described their work on {theme2}.",
    "Political advisors from {province} and {province2} discussed {theme} with experts from the "
    "{org2}.",
    "The {org} said it would submit proposals on {theme2} at the next session.",
    "Researchers in {city} presented findings on {theme}, and members asked how the results "
    "could be applied across {province}.",
    "Local governments in {province2} have increased spending on {theme2}, the officials said.",
    "The delegation held talks with representatives of the {org2} on {theme}.",
    "Members agreed that {theme2} should remain a priority for {city2} and the surrounding areas.",
]


@dataclass(frozen=True)
class Story:
    """One generated article of the mirror."""

    number: int
    path: str
    day: str
    title: str
    source: str | None
    paragraphs: list[str]


@cache
def _vocabulary() -> tuple[list[tuple[str, str]], list[str]]:
    """(city, province) pairs of the gazetteer and organization names of the registry."""
    data_dir = ROOT / "cppcc_watch" / "extract" / "data"
    gazetteer = json.loads((data_dir / "gazetteer.json").read_text(encoding="utf-8"))
    cities = [
        (c["name"], c["province"])
        for c in gazetteer["cities"]
        if c.get("kind") != "municipality" and c["name"] != c["province"]
    ]
    orgs = []
    for line in (data_dir / "organizations.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and not line.startswith("name\t"):
            orgs.append(line.split("\t", 1)[0])
    return cities, orgs


def story(index: int) -> Story:
    """The index-th article of the mirror (deterministic; higher index = newer)."""
    cities, orgs = _vocabulary()
    rng = random.Random(index)
    day = (date(2020, 1, 1) + timedelta(days=index // 3)).isoformat()
    number = FIRST_ID + index
    (city, province), (city2, province2) = rng.sample(cities, 2)
    words = {
        "city": city,
        "province": province,
        "city2": city2,
        "province2": province2,
        "org": rng.choice(orgs),
        "org2": rng.choice(orgs),
        "theme": rng.choice(THEMES),
        "theme2": rng.choice(THEMES),
        "person": rng.choice(PEOPLE),
    }
    paragraphs = [
        " ".join(s.format(**words) for s in rng.sample(SENTENCES, rng.randint(2, 4)))
        for _ in range(rng.randint(3, 6))
    ]
    title = f"Political advisors survey {words['theme']} in {province} ({index})"
    path = f"/{day[:7]}/{day[8:]}/c_{number}.htm"
    return Story(number, path, day, title, rng.choice(SOURCES), paragraphs)


def build_site(mirror: object, articles: int, port: int) -> None:
    """Serve `articles` stories on the mirror, newest first over listing pages of PER_PAGE."""
    from tests import sitegen

    add = mirror.add  # type: ignore[attr-defined]
    robots = "User-agent: *\nAllow: /\n"
    add(f"{SITE}/robots.txt", robots, content_type="text/plain")
    add(f"http://127.0.0.1:{port}/robots.txt", robots, content_type="text/plain")
    stories = [story(i) for i in reversed(range(articles))]
    pages = max(1, -(-len(stories) // PER_PAGE))
    for page in range(1, pages + 1):
        chunk = stories[(page - 1) * PER_PAGE : page * PER_PAGE]
        items = [
            {
                "url": SITE + s.path,
                "title": s.title,
                "date": s.day,
                "summary": s.paragraphs[0][:120],
            }
            for s in chunk
        ]
        name = "news.html" if page == 1 else f"news_{page}.html"
        add(f"{SITE}/{name}", sitegen.cppcc_listing("news", items, page, pages))
    for s in stories:
        html = sitegen.cppcc_article(s.title, s.day, s.source, s.paragraphs, path=s.path)
        add(SITE + s.path, html)


def _serve(conn: Connection, articles: int, latency: float) -> None:
    """Mirror process: serve the site (each response `latency` seconds late) and answer the
    parent's commands until "stop"."""
    from http.server import ThreadingHTTPServer
    from socketserver import StreamRequestHandler

    from tests.mirror_server import Mirror

    # The stdlib default backlog (5) drops connections under 16 concurrent connects; with Nagle
    # on, a body written after its headers can wait for the client's delayed ACK; and keep-alive
    # (HTTP/1.1, the handler sends Content-Length) spares a connection and a thread per page.
    ThreadingHTTPServer.request_queue_size = 256
    StreamRequestHandler.disable_nagle_algorithm = True
    with Mirror() as mirror:
        handler = mirror._server.RequestHandlerClass  # type: ignore[union-attr]
        handler.protocol_version = "HTTP/1.1"
        if latency > 0:
            serve_page = handler.do_GET

            def late_get(self: object) -> None:
                time.sleep(latency)
                serve_page(self)

            handler.do_GET = late_get
        port = int(mirror.url.rsplit(":", 1)[1])
        build_site(mirror, articles, port)
        conn.send(mirror.url)
        cpu = time.process_time()
        while True:
            command, arg = conn.recv()
            if command == "stop":
                conn.send(None)
                return
            if command == "build":
                mirror.pages.clear()
                build_site(mirror, arg, port)
                conn.send(None)
            elif command == "reset":
                mirror.reset_log()
                cpu = time.process_time()
                conn.send(None)
            elif command == "log":
                conn.send((mirror.requested(), time.process_time() - cpu))


class MirrorProcess:
    """The mirror server running in a child process, driven over a pipe."""

    def __init__(self, articles: int, latency: float = 0.0) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, articles, latency), daemon=True)
        self._process.start()
        deadline = time.monotonic() + 120
        while not self._conn.poll(0.2):
            if not self._process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mirror process did not start")
        self.url: str = self._conn.recv()

    def _call(self, command: str, arg: object = None) -> object:
        self._conn.send((command, arg))
        return self._conn.recv()

    def build(self, articles: int) -> None:
        """Serve a site of `articles` articles instead of the current one."""
        self._call("build", articles)

    def reset(self) -> None:
        """Forget the requests logged so far and restart the CPU clock."""
        self._call("reset")

    def log(self) -> tuple[list[str], float]:
        """Requested host+path strings since the last reset, and the server's CPU seconds."""
        return self._call("log")  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the server process."""
        self._call("stop")
        self._process.join(10)


@dataclass
class Run:
    """One crawl subprocess: what the mirror served and what the child measured."""

    listing: int
    articles: int
    seconds: float
    wall: float
    rss_kb: int
    cpu: float
    engine_cpu: float
    server_cpu: float

    @property
    def pages(self) -> int:
        """Listing plus article pages fetched."""
        return self.listing + self.articles

    @property
    def rate(self) -> float:
        """Pages per second of engine time."""
        return self.pages / self.seconds if self.seconds else 0.0


def count_pages(requested: list[str]) -> tuple[int, int]:
    """(listing pages, article pages) in a mirror log; robots.txt and others are not counted."""
    paths = ["/" + r.split("/", 1)[1] if "/" in r else r for r in requested]
    listing = sum(1 for p in paths if LISTING_RE.match(p))
    articles = sum(1 for p in paths if ARTICLE_RE.search(p))
    return listing, articles


class Databases:
    """Fresh databases for the crawls on one backend: SQLite files in the work directory, or
    databases on a throwaway PostgreSQL server (loopback only, stopped at the end)."""

    def __init__(self, backend: str, work: Path) -> None:
        self.backend = backend
        self.work = work
        self.server = None
        if backend == "postgresql":
            from tests.pg_server import start_server

            self.server = start_server()

    def fresh(self, tag: str) -> str:
        """The URL of a new, empty database."""
        if self.server is None:
            return f"sqlite:///{self.work / tag}.db"
        return self.server.create_database(f"bench_{tag}")

    def close(self) -> None:
        """Stop the PostgreSQL server, if one was started."""
        if self.server is not None:
            self.server.stop()


def full_crawl(
    mirror: MirrorProcess,
    work: Path,
    db_url: str,
    listing_pages: int,
    tag: str,
    extra: dict[str, object] | None = None,
) -> Run:
    """Run `cppcc-watch crawl cppcc` against the mirror into `db_url` (with `extra` settings);
    measure it."""
    log_file, usage_file = work / f"{tag}.log", work / f"{tag}.usage"
    settings = {
        "CPPCC_WATCH_MIRROR": mirror.url,
        "CPPCC_WATCH_SECTIONS": json.dumps({"cppcc": [f"{SITE}/news.html"]}),
        "CPPCC_WATCH_MAX_LISTING_PAGES": listing_pages,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": CONCURRENCY,
        "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        **(extra or {}),
    }
    options = [x for name, value in settings.items() for x in ("-s", f"{name}={value}")]
    argv = [
        sys.executable,
        __file__,
        "--full-child",
        str(usage_file),
        "--db",
        db_url,
        "crawl",
        "cppcc",
        "--log-file",
        str(log_file),
        *options,
    ]
    return _measure(mirror, argv, log_file, usage_file, check=not extra)


def bare_crawl(mirror: MirrorProcess, work: Path, tag: str) -> Run:
    """Run the bare spider of this module against the mirror; measure it."""
    log_file, usage_file = work / f"{tag}.log", work / f"{tag}.usage"
    argv = [sys.executable, __file__, "--bare-child", mirror.url, str(log_file), str(usage_file)]
    return _measure(mirror, argv, log_file, usage_file)


def _measure(
    mirror: MirrorProcess, argv: list[str], log_file: Path, usage_file: Path, check: bool = True
) -> Run:
    mirror.reset()
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    wall = time.perf_counter() - started
    requested, server_cpu = mirror.log()
    if check and result.returncode != 0:
        raise RuntimeError(f"crawl failed ({result.returncode}): {result.stderr[-2000:]}")
    log = log_file.read_text(encoding="utf-8", errors="replace")
    elapsed = ELAPSED_RE.findall(log)
    if not elapsed:
        raise RuntimeError(f"no elapsed_time_seconds in {log_file}")
    listing, articles = count_pages(requested)
    rss, cpu, engine_cpu = usage_file.read_text().split()
    return Run(
        listing,
        articles,
        float(elapsed[-1]),
        wall,
        int(rss),
        float(cpu),
        float(engine_cpu),
        server_cpu,
    )


def install_usage_probe(usage_file: str) -> None:
    """In a crawl child: note CPU time when Scrapy opens and closes its stats (engine start and
    end), and at exit write "peak-RSS-KiB total-CPU-s engine-CPU-s" to `usage_file`."""
    import atexit
    import functools
    import resource

    from scrapy.statscollectors import StatsCollector

    marks: list[float] = []
    for name in ("open_spider", "close_spider"):
        original = getattr(StatsCollector, name)

        @functools.wraps(original)
        def probe(self: object, *args: object, _original: object = original, **kwargs: object):
            marks.append(time.process_time())
            return _original(self, *args, **kwargs)  # type: ignore[operator]

        setattr(StatsCollector, name, probe)

    def write() -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        engine = marks[-1] - marks[0] if len(marks) >= 2 else 0.0
        Path(usage_file).write_text(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime} {engine}")

    atexit.register(write)


def run_full_child(usage_file: str, cli_args: list[str]) -> None:
    """Child process: the project's command line with the usage probe installed."""
    install_usage_probe(usage_file)
    from cppcc_watch.cli import main

    sys.argv = ["cppcc-watch", *cli_args]
    main()


def run_bare_child(mirror_url: str, log_file: str, usage_file: str) -> None:
    """Child process: crawl the mirror with a plain Scrapy spider, no pipelines or extensions."""
    install_usage_probe(usage_file)
    import scrapy
    from scrapy.crawler import CrawlerProcess

    headers = {"Host": HOST}

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[override]
            yield scrapy.Request(f"{mirror_url}/news.html", headers=headers)

        def parse(self, response):  # type: ignore[override]
            for href in response.css("ul.list_ul li h3 a::attr(href)").getall():
                yield response.follow(href, headers=headers, callback=self.parse_article)
            next_page = response.xpath('//div[@id="div_currpage"]/a[text()="Next"]/@href').get()
            if next_page:
                yield response.follow(next_page, headers=headers)

        def parse_article(self, response):
            yield {
                "url": response.url,
                "title": response.css(".art_cont h1::text").get(),
                "body": "\n".join(response.css("#Content p::text").getall()),
            }

    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": CONCURRENCY,
            "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "INFO",
            "LOG_FILE": log_file,
        }
    )
    process.crawl(BareSpider)
    process.start()


def stored(db_url: str) -> tuple[int, int]:
    """(articles, mentions) in a crawl's database."""
    from sqlalchemy import create_engine, func, select

    from cppcc_watch.store.schema import ARTICLES, MENTIONS

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            articles = conn.execute(select(func.count()).select_from(ARTICLES)).scalar_one()
            mentions = conn.execute(select(func.count()).select_from(MENTIONS)).scalar_one()
            return articles, mentions
    finally:
        engine.dispose()


def _line(label: str, run: Run) -> str:
    return (
        f"  {label:<13} {run.pages:5d} pages ({run.listing} listing + {run.articles} article) "
        f"in {run.seconds:6.2f} s = {run.rate:6.1f} pages/s | crawler CPU in engine "
        f"{run.engine_cpu:5.2f} s ({run.engine_cpu / run.seconds:4.0%} busy, "
        f"{run.engine_cpu / max(run.pages, 1) * 1000:4.2f} ms/page), mirror CPU "
        f"{run.server_cpu:4.2f} s | start-up+shutdown {run.wall - run.seconds:4.2f} s"
    )


def throughput(
    mirror: MirrorProcess, work: Path, databases: Databases, articles: int, repeats: int
) -> tuple[str, list[Run], list[Run]]:
    """Alternate bare and full crawls; print medians and the ratio. Returns the last full crawl's
    database, the full runs and the bare runs."""
    listing_pages = articles // PER_PAGE + 1
    print(
        f"== Throughput: {articles} articles, concurrency {CONCURRENCY}, {repeats} repeat(s), "
        f"full crawls into {databases.backend}"
    )
    bare: list[Run] = []
    full: list[Run] = []
    db = ""
    for attempt in range(1, repeats + 1):
        bare.append(bare_crawl(mirror, work, f"bare{attempt}"))
        print(_line("bare", bare[-1]))
        db = databases.fresh(f"full{attempt}")
        full.append(full_crawl(mirror, work, db, listing_pages, f"full{attempt}"))
        print(_line("full", full[-1]))
    saved, mentions = stored(db)
    print(f"  full crawl stored {saved} articles with {mentions} mentions")
    bare_rate = statistics.median(r.rate for r in bare)
    full_rate = statistics.median(r.rate for r in full)
    ratio = full_rate / bare_rate
    verdict = "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
    print(f"  median: bare {bare_rate:.1f} pages/s, full {full_rate:.1f} pages/s")
    print(f"  ratio full/bare = {ratio:.2f} (target >= {TARGET_RATIO}) {verdict}")
    bare_ms = statistics.median(r.engine_cpu / r.pages for r in bare) * 1000
    full_ms = statistics.median(r.engine_cpu / r.pages for r in full) * 1000
    print(
        f"  per CPU (holds when other processes share the cores): bare {bare_ms:.2f} ms/page, "
        f"full {full_ms:.2f} ms/page, ratio {bare_ms / full_ms:.2f}"
    )
    return db, full, bare


def incremental(mirror: MirrorProcess, work: Path, db: str, articles: int) -> None:
    """Re-crawl the unchanged mirror, then with NEW_ARTICLES new ones on top; print downloads."""
    listing_pages = (articles + NEW_ARTICLES) // PER_PAGE + 1
    print("== Incremental re-crawl of the last full crawl's database")
    same = full_crawl(mirror, work, db, listing_pages, "again")
    verdict = "ok" if same.articles == 0 else "FAIL"
    print(
        f"  unchanged mirror: {same.articles} article pages (target 0) {verdict}, "
        f"{same.listing} listing pages, {same.seconds:.2f} s"
    )
    mirror.build(articles + NEW_ARTICLES)
    new = full_crawl(mirror, work, db, listing_pages, "new")
    verdict = "ok" if new.articles <= NEW_ARTICLES else "FAIL"
    print(
        f"  {NEW_ARTICLES} new articles: {new.articles} article pages "
        f"(target <= {NEW_ARTICLES}) {verdict}, {new.listing} listing pages, {new.seconds:.2f} s"
    )
    mirror.build(articles)


def ablation(
    mirror: MirrorProcess,
    work: Path,
    databases: Databases,
    articles: int,
    bare: list[Run],
    full: list[Run],
) -> None:
    """Full crawls with parts of the pipeline switched off by settings, against the bare rate."""
    listing_pages = articles // PER_PAGE + 1
    bare_rate = statistics.median(r.rate for r in bare)
    print("== Full crawl with parts switched off (one run each; ratio to the bare median)")
    variants: list[tuple[str, dict[str, object] | None]] = [
        ("no extraction", {"CPPCC_WATCH_EXTRACT": False}),
        ("no pipelines", {"ITEM_PIPELINES": "{}"}),
    ]
    for label, extra in variants:
        tag = label[3:]
        run = full_crawl(mirror, work, databases.fresh(tag), listing_pages, tag, extra)
        print(_line(label, run) + f" | ratio {run.rate / bare_rate:.2f}")
    full_rate = statistics.median(r.rate for r in full)
    print(f"  (all pipelines: ratio {full_rate / bare_rate:.2f})")


def memory(
    mirror: MirrorProcess,
    work: Path,
    databases: Databases,
    sizes: list[int],
    known: dict[int, Run],
) -> None:
    """Peak RSS of full crawls of each size (reusing runs already measured); print the ratio."""
    print("== Peak memory (ru_maxrss of the crawl process)")
    peaks = []
    for size in sizes:
        run = known.get(size)
        if run is None:
            mirror.build(size)
            tag = f"mem{size}"
            run = full_crawl(mirror, work, databases.fresh(tag), size // PER_PAGE + 1, tag)
        peaks.append(run.rss_kb)
        print(
            f"  {size:5d} articles ({run.articles} fetched): peak RSS {run.rss_kb / 1024:6.1f} MiB"
        )
    ratio = peaks[-1] / peaks[0]
    print(f"  ratio {sizes[-1]}/{sizes[0]} articles = {ratio:.2f} (flat: close to 1.0)")


def _timed(func: object, items: list) -> tuple[float, list]:
    """CPU seconds of calling `func` on every item, and the results."""
    started = time.process_time()
    results = [func(item) for item in items]  # type: ignore[operator]
    return time.process_time() - started, results


def _ignore(_: object) -> None:
    """A batch callback that does nothing."""


def breakdown(databases: Databases, articles: int, full: list[Run], bare: list[Run]) -> None:
    """Time the full crawl's extra stages in this process on the mirror's article pages and set
    them against the measured CPU difference between the full crawl and the bare spider."""
    from scrapy.http import HtmlResponse

    from cppcc_watch.extract import extract_entities
    from cppcc_watch.items import content_hash
    from cppcc_watch.sites import cppcc
    from cppcc_watch.sites.common import merge_pages
    from cppcc_watch.store import Store
    from cppcc_watch.store.batch import ArticleBatch
    from tests import sitegen

    stories = [story(i) for i in range(articles)]
    pages = [
        (SITE + s.path, sitegen.cppcc_article(s.title, s.day, s.source, s.paragraphs, path=s.path))
        for s in stories
    ]
    responses = [HtmlResponse(url, body=html.encode(), encoding="utf-8") for url, html in pages]

    def bare_parse(response: HtmlResponse) -> dict:
        return {
            "title": response.css(".art_cont h1::text").get(),
            "body": "\n".join(response.css("#Content p::text").getall()),
        }

    def page_object(response: HtmlResponse) -> object:
        page = cppcc.ArticlePage(response.text, response.url)
        page.page_links()
        return merge_pages([page.to_article(source="cppcc", section="news")])

    def validate(article: object) -> object:
        article.content_hash = content_hash(article.title, article.body)  # type: ignore[attr-defined]
        return article

    def extract(article: object) -> object:
        article.entities = extract_entities(article.body, title=article.title)  # type: ignore[attr-defined]
        return article

    bare_s, _ = _timed(bare_parse, responses)
    responses = [HtmlResponse(url, body=html.encode(), encoding="utf-8") for url, html in pages]
    parse_s, parsed = _timed(page_object, responses)
    validate_s, parsed = _timed(validate, parsed)
    extract_s, parsed = _timed(extract, parsed)
    store = Store.open(databases.fresh("breakdown"))
    try:
        batch = ArticleBatch(store, every=100, seconds=0, rest=0)  # as the crawl, without rests
        store_s, _ = _timed(lambda a: batch.upsert(a, _ignore, _ignore), parsed)
        batch.commit()
    finally:
        store.close()
    extra_cpu = statistics.median(r.engine_cpu for r in full) - statistics.median(
        r.engine_cpu for r in bare
    )
    print(f"== Where the full crawl's extra CPU goes ({articles} article pages, in this process)")
    print(
        f"  measured: crawler CPU in engine, full - bare = {extra_cpu:.2f} s "
        f"({extra_cpu / articles * 1000:.2f} ms/article)"
    )
    stages = [
        ("page object parse (ArticlePage.to_article)", parse_s - bare_s),
        ("validate (content hash)", validate_s),
        ("entity extraction (extract_entities)", extract_s),
        ("store (ArticleBatch, 100 per transaction)", store_s),
    ]
    for label, seconds in stages:
        print(f"  {label:<52} {seconds:5.2f} s  {seconds / articles * 1000:5.2f} ms/article")
    explained = sum(seconds for _, seconds in stages)
    print(
        f"  {'sum (page parse counted beyond the bare css parse)':<52} {explained:5.2f} s; "
        f"rest (spider bookkeeping, Scrapy item/signal overhead, run log): "
        f"{extra_cpu - explained:.2f} s"
    )


def main() -> None:
    """Run the throughput, incremental and memory benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles in the mirror")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each crawl (median)")
    parser.add_argument("--quick", action="store_true", help="400 articles, one run each")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="ms the mirror waits before each response"
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="where the full crawls store (postgresql: a throwaway server on 127.0.0.1)",
    )
    if sys.argv[1:2] == ["--full-child"]:
        run_full_child(sys.argv[2], sys.argv[3:])
        return
    if sys.argv[1:2] == ["--bare-child"]:
        run_bare_child(*sys.argv[2:5])
        return
    args = parser.parse_args()
    articles, repeats = (400, 1) if args.quick else (max(args.articles, 40), max(args.repeats, 1))
    small = articles // 4
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cppcc-crawl-bench-") as tmp:
        work = Path(tmp)
        databases = Databases(args.backend, work)
        try:
            mirror = MirrorProcess(articles, args.latency / 1000)
            if args.latency:
                print(f"(the mirror answers each request {args.latency:g} ms late)")
            try:
                db, full, bare = throughput(mirror, work, databases, articles, repeats)
                ablation(mirror, work, databases, articles, bare, full)
                incremental(mirror, work, db, articles)
                peak = max(full, key=lambda run: run.rss_kb)
                memory(mirror, work, databases, [small, articles], {articles: peak})
            finally:
                mirror.close()
            breakdown(databases, articles, full, bare)
        finally:
            databases.close()
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
