"""Query benchmark (docs/SPEC.md §7): every analyst query on a database of 1,000,000 articles,
on SQLite or PostgreSQL, and on SQLite next to the previous release.

Run: `.venv/bin/python benchmarks/queries.py [--articles 1000000] [--db PATH] [--repeats 7]
[--backend sqlite|postgresql] [--pg-url URL] [--baseline-tree DIR]`.

1. **Build** (once; the SQLite database is cached at `--db`, default
   `/tmp/cppcc_watch_bench/queries-<N>.db`, and an interrupted build resumes): N synthetic articles
   stored through the project's own storage layer, `Store.upsert_article` inside
   `with store.transaction():` batches, each with a small raw page and about 10 entity mentions
   (1-2 spans each). Entities are the real provinces, cities, organizations and themes of the
   packaged gazetteer and registry, drawn with a skew like real news (Zipf: a few provinces and
   organizations in many articles, a long tail in few). Bodies are sentences over a Zipf-distributed
   vocabulary of ~20,000 words plus the entity names, so full-text posting lists look like text.
   Publication dates spread over 2013-2026 with volume growing over time; every third article is
   chinadaily's, the others cppcc's. Prints the storage rate
   (articles/s with their mentions, target 2,000) and the database size.
   With `--backend postgresql`, the rows the queries read (entities, the first `--pg-articles`
   articles and their mentions) are then copied from the SQLite file into the empty database at
   `--pg-url` (schema by `Store.open`, full-text documents and summaries by its triggers), and
   the database is vacuumed and analyzed; a database already holding them is reused.
2. **Time** every query type of `cppcc_watch.query` (the API the CLI calls), over several
   parameter values each (frequent and rare entities, short and long date ranges, all sources or
   one), `--repeats` times: median and 95th percentile in ms, against the target of 200 ms median.
   `--baseline-tree DIR` (a checkout of the previous release, e.g. made by `git worktree add`)
   first times the same calls with DIR's `cppcc_watch` on the same database, in a subprocess,
   and prints both side by side.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The tree whose `cppcc_watch` is timed: this one, or the previous release's (`--code DIR`,
#: how `--baseline-tree` runs this script in a subprocess).
CODE = Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv else ROOT
sys.path.insert(0, str(CODE))

from cppcc_watch.extract.types import Entity, Extraction, Mention  # noqa: E402
from cppcc_watch.items import Article, RawPage  # noqa: E402
from cppcc_watch.store import Store  # noqa: E402

#: Per kind, (name, acronym) of the entities in popularity order: what the query cases take.
Names = dict[str, list[tuple[str, str | None]]]

STORAGE_TARGET = 2000.0
QUERY_TARGET_MS = 200.0
BATCH = 500
COPY_BATCH = 20_000
FIRST_DAY = date(2013, 1, 1)
LAST_DAY = date(2026, 11, 27)

_COMMON_TEXT = (
    "the of and to in a for on is that with as by at from was be has it are this an its will"
    " development china national committee cppcc political advisers members proposals said"
    " government people economic work year new reform support meeting high quality country"
    " cooperation local policy innovation green growth rural science technology education health"
    " security energy food climate culture tourism industry enterprises market services public"
    " social law governance global international belt road open trade investment finance digital"
    " ecological environment protection water village farmers students talent research hospital"
    " medical care elderly housing employment income consumption infrastructure transport"
    " manufacturing agriculture poverty revitalization modernization democracy consultation"
    " session plenary chairman vice deputies survey inspection delegation province city county"
)
COMMON_WORDS = _COMMON_TEXT.split()


_ONSETS = "b c d f g h j k l m n p r s t v w x y z ch sh zh qu"
_VOWELS = "a e i o u ai ao ei ou an en in un ang eng ing ong"


def _syllable_words(rng: random.Random, count: int) -> list[str]:
    """Made-up words for the vocabulary's long tail (distinct, 2-4 syllables)."""
    onsets, vowels = _ONSETS.split(), _VOWELS.split()
    words: set[str] = set()
    while len(words) < count:
        words.add(
            "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
        )
    return sorted(words)


class Corpus:
    """Sentences and the entity pool the synthetic articles are made of (deterministic)."""

    def __init__(self, seed: int = 7) -> None:
        rng = random.Random(seed)
        vocabulary = COMMON_WORDS + _syllable_words(rng, 20_000)
        weights = list(accumulate(1.0 / (rank + 1) ** 1.05 for rank in range(len(vocabulary))))
        self.vocabulary = vocabulary
        self.sentences = [
            " ".join(
                rng.choices(vocabulary, cum_weights=weights, k=rng.randint(12, 28))
            ).capitalize()
            + "."
            for _ in range(30_000)
        ]
        self.pools = _entity_pools()
        self.weights = {
            kind: list(accumulate(1.0 / (rank + 1) ** 1.1 for rank in range(len(pool))))
            for kind, pool in self.pools.items()
        }
        days = (LAST_DAY - FIRST_DAY).days + 1
        # Volume grows over time: the day index is drawn with density proportional to (1 + 2t).
        self.day_weights = list(accumulate(1.0 + 2.0 * d / days for d in range(days)))

    def pick(self, rng: random.Random, kind: str, count: int) -> list[Entity]:
        """`count` distinct entities of a kind, drawn with the kind's skew."""
        pool, weights = self.pools[kind], self.weights[kind]
        chosen: dict[int, None] = {}
        while len(chosen) < count:
            chosen[bisect.bisect(weights, rng.random() * weights[-1])] = None
        return [pool[i] for i in chosen]

    def article(self, index: int) -> Article:
        """The synthetic article number `index` (the same every time)."""
        rng = random.Random(index)
        day = FIRST_DAY + timedelta(
            bisect.bisect(self.day_weights, rng.random() * self.day_weights[-1])
        )
        published = f"{day.isoformat()}T{rng.randint(6, 22):02d}:{rng.randint(0, 59):02d}:00+08:00"
        chosen = [
            *self.pick(rng, "province", rng.choice((1, 2, 2, 3))),
            *self.pick(rng, "city", rng.choice((1, 2, 3, 3, 4))),
            *self.pick(rng, "organization", rng.choice((2, 3, 3, 4))),
            *self.pick(rng, "theme", rng.choice((1, 2, 2, 3))),
        ]
        paragraphs = [" ".join(rng.choices(self.sentences, k=2)) for _ in range(7)]
        title = f"{chosen[0].name}: " + rng.choice(self.sentences)[:70].rstrip(" .")
        entities: list[Entity] = []
        for template in chosen:
            surface = template.name.replace("_", " ")
            spans = []
            for _ in range(rng.choice((1, 1, 2))):
                line = rng.randrange(len(paragraphs))
                paragraphs[line] = f"{paragraphs[line]} On {surface}, members spoke."
                spans.append((0, surface))
            entities.append(_found(template, spans, focus=template is chosen[0]))
        body = "\n".join(paragraphs)
        for entity in entities:  # place each mention at a real occurrence of its text
            entity.mentions = _anchor(body, entity.mentions)
        url = f"http://en.cppcc.gov.cn/{day:%Y-%m/%d}/c_{index}.htm"
        return Article(
            url=url,
            source="cppcc" if index % 3 else "chinadaily",
            section=rng.choice(("news", "news", "members", "opinion", "china")),
            title=title,
            published_at=published,
            outlet="CPPCC" if index % 3 else "China Daily",
            body=body,
            fetched_at="2026-11-28T00:00:00+00:00",
            pages=[
                RawPage(url=url, html=f"<html><body><h1>{title}</h1><p>{body}</p></body></html>")
            ],
            entities=Extraction(
                provinces=[e for e in entities if e.kind == "province"],
                cities=[e for e in entities if e.kind == "city"],
                organizations=[e for e in entities if e.kind == "organization"],
                themes=[e for e in entities if e.kind == "theme"],
            ),
        )


def _found(template: Entity, spans: list[tuple[int, str]], *, focus: bool) -> Entity:
    """A found entity like the extractor's, copying the template's attributes."""
    return Entity(
        template.kind,
        template.name,
        mentions=[Mention(start, start + len(text), text, "") for start, text in spans],
        focus=focus and template.kind in ("province", "city"),
        acronym=template.acronym,
        province=template.province,
        code=template.code,
        region=template.region,
        latitude=template.latitude,
        longitude=template.longitude,
    )


def _anchor(body: str, mentions: list[Mention]) -> list[Mention]:
    """Mentions placed at the real occurrences of their text, with an 80-character snippet."""
    anchored, start = [], 0
    for mention in mentions:
        found = body.find(mention.text, start)
        if found < 0:
            found = body.find(mention.text)
        end = found + len(mention.text)
        snippet = body[max(0, found - 40) : end + 40].replace("\n", " ")
        anchored.append(Mention(found, end, mention.text, snippet))
        start = end
    return anchored


def _entity_pools() -> dict[str, list[Entity]]:
    """The real entities, in a shuffled popularity order (the most frequent first)."""
    from cppcc_watch.extract.gazetteer import Gazetteer
    from cppcc_watch.extract.organizations import read_registry
    from cppcc_watch.extract.themes import THEMES

    gazetteer = Gazetteer.load()
    provinces = [
        Entity(
            "province",
            p.name,
            code=p.code,
            region=p.region,
            latitude=p.latitude,
            longitude=p.longitude,
        )
        for p in gazetteer.provinces
    ]
    cities = [
        Entity(
            "city",
            c.name,
            province=c.province,
            code=c.code,
            latitude=c.latitude,
            longitude=c.longitude,
        )
        for c in gazetteer.cities
    ]
    organizations = [
        Entity("organization", entry.name, acronym=entry.acronym or None)
        for entry in read_registry()
    ]
    rng = random.Random(11)
    for pool in (provinces, cities, organizations[1:]):
        rng.shuffle(pool)  # the CPPCC (first in the registry) stays the most frequent organization
    themes = [Entity("theme", theme) for theme in rng.sample(THEMES, len(THEMES))]
    return {"province": provinces, "city": cities, "organization": organizations, "theme": themes}


# -- build ------------------------------------------------------------------------------------


def build(path: Path, articles: int, corpus: Corpus) -> None:
    """Store articles 0..N-1 into the database at `path` (resuming after the last one stored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{path}")
    try:
        with store.connection.begin():
            done = store.connection.exec_driver_sql("SELECT count(*) FROM articles").scalar() or 0
        if done >= articles:
            return
        print(f"building {path}: articles {done:,} to {articles:,}", flush=True)
        wall, cpu = time.perf_counter(), time.process_time()
        stored = 0
        for first in range(done, articles, BATCH):
            with store.transaction():
                for index in range(first, min(first + BATCH, articles)):
                    store.upsert_article(corpus.article(index))
            stored += min(BATCH, articles - first)
            if stored % 50_000 < BATCH:
                elapsed = time.perf_counter() - wall
                print(
                    f"  {done + stored:,} articles, {stored / elapsed:,.0f} articles/s",
                    flush=True,
                )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"storage: {stored:,} articles with ~10 mentions each in {wall:,.0f} s: "
            f"{stored / wall:,.0f} articles/s (target {STORAGE_TARGET:,.0f}, ratio "
            f"{stored / wall / STORAGE_TARGET:.2f}); per CPU second of this process "
            f"(article generation included): {stored / cpu:,.0f}",
            flush=True,
        )
    finally:
        store.close()


def database_size(path: Path) -> int:
    """Bytes of the database file with its WAL."""
    return sum(
        p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


# -- timing -----------------------------------------------------------------------------------


def time_calls(call: Callable[[], Any], repeats: int) -> list[float]:
    """Milliseconds of `repeats` calls (the result consumed whole, as the CLI would)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        if isinstance(result, Iterable) and not isinstance(result, str | bytes | dict):
            for _row in result:
                pass
        times.append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def pool_names(pools: dict[str, list[Entity]]) -> Names:
    """The names of the corpus's entity pools, in popularity order."""
    return {kind: [(e.name, e.acronym) for e in pool] for kind, pool in pools.items()}


def query_cases(names: Names) -> dict[str, list[tuple[str, Callable[..., Any]]]]:
    """Per query type, (label, call taking a Query) for several parameter values.

    Entities are taken at popularity ranks 1, ~10 and ~the tail of their kind, so that the
    figures cover entities in half the articles as well as rare ones. Article lists take the
    first 50 rows (the CLI's table page); everything else is read whole.
    """

    def name(kind: str, rank: int) -> str:
        return names[kind][min(rank, len(names[kind]) - 1)][0]

    def acronym_or_name(rank: int) -> str:
        name, acronym = names["organization"][rank]
        return acronym or name

    province = [name("province", r) for r in (0, 8, 30)]
    city = [name("city", r) for r in (0, 20, 300)]
    org = [acronym_or_name(r) for r in (0, 10, 200)]
    theme = [name("theme", r) for r in (0, 6, 20)]
    n = 50
    return {
        "articles --province": [
            (p, lambda q, p=p: q.articles(province=p, limit=n)) for p in province
        ],
        "articles --city": [(c, lambda q, c=c: q.articles(city=c, limit=n)) for c in city],
        "articles --org": [(o, lambda q, o=o: q.articles(org=o, limit=n)) for o in org],
        "articles --theme": [(t, lambda q, t=t: q.articles(theme=t, limit=n)) for t in theme],
        "articles --since/--until": [
            ("2025", lambda q: q.articles(since="2025", until="2025", limit=n)),
            ("2019-03-05", lambda q: q.articles(since="2019-03-05", until="2019-03-05", limit=n)),
            (
                "--source chinadaily --since 2016",
                lambda q: q.articles(source="chinadaily", since="2016", limit=n),
            ),
        ],
        "articles, filters combined": [
            (
                f"{city[1]} + {theme[0]} + 2020..",
                lambda q: q.articles(city=city[1], theme=theme[0], since="2020", limit=n),
            ),
            (
                f"{org[0]} + {province[0]} + {theme[1]}",
                lambda q: q.articles(org=org[0], province=province[0], theme=theme[1], limit=n),
            ),
            (
                f"{province[2]} + {theme[2]} + 2024",
                lambda q: q.articles(
                    province=province[2], theme=theme[2], since="2024", until="2024", limit=n
                ),
            ),
            (f"{city[2]}, all rows", lambda q: q.articles(city=city[2])),
        ],
        "articles --search": [
            ("development (very common)", lambda q: q.articles(search="development", limit=n)),
            ("'food security'", lambda q: q.articles(search='"food security"', limit=n)),
            ("a rare word", lambda q: q.articles(search="zhonglongbang", limit=n)),
            (
                f"hospital + {province[1]}",
                lambda q: q.articles(search="hospital", province=province[1], limit=n),
            ),
        ],
        "entities (top N)": [
            ("all kinds, all time", lambda q: q.top_entities(top=20)),
            (
                "province, 2024",
                lambda q: q.top_entities(kind="province", since="2024", until="2024"),
            ),
            (
                "organization, 2023-03-10..2025-06-20",
                lambda q: q.top_entities(
                    kind="organization", since="2023-03-10", until="2025-06-20"
                ),
            ),
            (
                "city, one week",
                lambda q: q.top_entities(kind="city", since="2026-05-04", until="2026-05-10"),
            ),
        ],
        "trends --by month": [(t, lambda q, t=t: q.trend(t)) for t in (theme[0], org[0], city[2])]
        + [("since 2024-02-15", lambda q: q.trend(province[0], since="2024-02-15"))],
        "trends --by week": [
            (f"{theme[0]}, 2025", lambda q: q.trend(theme[0], by="week", since="2025")),
            (f"{city[1]}, all time", lambda q: q.trend(city[1], by="week")),
            (f"{province[0]}, all time", lambda q: q.trend(province[0], by="week")),
        ],
        "cooccur": [(o, lambda q, o=o: q.cooccur(o, top=20)) for o in (city[1], org[1], org[2])]
        + [
            (
                f"{theme[1]} --kind organization",
                lambda q: q.cooccur(theme[1], with_kind="organization"),
            ),
            (f"{org[0]} (in half the articles)", lambda q: q.cooccur(org[0])),
            (f"{org[0]}, 2026", lambda q: q.cooccur(org[0], since="2026")),
        ],
        # One source (a third of the articles are chinadaily's, two thirds cppcc's).
        "entities --source": [
            ("all kinds, all time, chinadaily", lambda q: q.top_entities(source="chinadaily")),
            (
                "province, 2024, cppcc",
                lambda q: q.top_entities(
                    kind="province", since="2024", until="2024", source="cppcc"
                ),
            ),
            (
                "organization, 2023-03-10..2025-06-20, chinadaily",
                lambda q: q.top_entities(
                    kind="organization", since="2023-03-10", until="2025-06-20", source="chinadaily"
                ),
            ),
            (
                "city, one week, cppcc",
                lambda q: q.top_entities(
                    kind="city", since="2026-05-04", until="2026-05-10", source="cppcc"
                ),
            ),
        ],
        "trends --source": [
            (f"{theme[0]}, chinadaily", lambda q: q.trend(theme[0], source="chinadaily")),
            (f"{org[0]}, cppcc", lambda q: q.trend(org[0], source="cppcc")),
            (
                f"{province[0]} since 2024-02-15, chinadaily",
                lambda q: q.trend(province[0], since="2024-02-15", source="chinadaily"),
            ),
            (
                f"{province[0]} by week, all time, cppcc",
                lambda q: q.trend(province[0], by="week", source="cppcc"),
            ),
            (
                f"{city[1]} by week, all time, chinadaily",
                lambda q: q.trend(city[1], by="week", source="chinadaily"),
            ),
        ],
        "cooccur --source": [
            (f"{city[1]}, cppcc", lambda q: q.cooccur(city[1], source="cppcc")),
            (f"{org[1]}, chinadaily", lambda q: q.cooccur(org[1], source="chinadaily")),
            (
                f"{theme[1]} --kind organization, cppcc",
                lambda q: q.cooccur(theme[1], with_kind="organization", source="cppcc"),
            ),
            (f"{org[0]}, chinadaily", lambda q: q.cooccur(org[0], source="chinadaily")),
            (f"{org[0]}, 2026, cppcc", lambda q: q.cooccur(org[0], since="2026", source="cppcc")),
        ],
    }


Timings = dict[str, dict[str, Any]]


def time_queries(url: str, names: Names, repeats: int, *, show: bool) -> Timings:
    """Per query type: median, p95 and max in ms over every parameter value, and per value
    its median and row count. Printed as it goes when `show`."""
    timings: Timings = {}
    with open_query(url) as query:
        for _label, call in [c for cases in query_cases(names).values() for c in cases]:
            list_rows(call(query))  # warm the page cache once, as a running system would be
        for kind, cases in query_cases(names).items():
            times: list[float] = []
            details = []
            for label, call in cases:
                rows = len(list_rows(call(query)))
                each = time_calls(lambda call=call: list_rows(call(query)), repeats)
                times += each
                details.append((label, statistics.median(each), rows))
            timings[kind] = {
                "median": statistics.median(times),
                "p95": percentile(times, 0.95),
                "max": max(times),
                "details": details,
            }
            if show:
                print(f"  {kind}: {timings[kind]['median']:.1f} ms median", flush=True)
    return timings


def open_query(url: str) -> Any:
    """A Query of the timed tree's `cppcc_watch` over the database at `url`.

    The previous release refuses a database its successor has migrated (the schema table names
    a revision it does not know), so under `--code` the Query gets the database as it is: the
    tables the queries read are the same.
    """
    from cppcc_watch.query import Query

    if CODE == ROOT:
        return Query.open(url)
    from cppcc_watch.store import open_engine

    return Query(Store(open_engine(url, readonly=True), readonly=True))


def time_baseline(tree: Path, url: str, names: Names, repeats: int) -> Timings:
    """The same timings with the `cppcc_watch` of another tree (the previous release), in a
    subprocess running this script with `--code TREE`."""
    with tempfile.TemporaryDirectory() as scratch:
        cases, out = Path(scratch) / "names.json", Path(scratch) / "timings.json"
        cases.write_text(json.dumps(names), encoding="utf-8")
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--code",
            str(tree.resolve()),
            "--time-only",
            url,
            "--names",
            str(cases),
            "--out",
            str(out),
            "--repeats",
            str(repeats),
        ]
        subprocess.run(command, check=True)
        timings: Timings = json.loads(out.read_text(encoding="utf-8"))
        return timings


def report(timings: Timings, baseline: Timings | None, label: str) -> bool:
    """Print the table (with the baseline's medians when given); True when every median is
    on target."""
    ok = True
    header = f"{'query':<28} {'median ms':>9} {'p95 ms':>8} {'max ms':>8}"
    if baseline is not None:
        header += f" {'previous':>9} {'prev p95':>8} {'ratio':>6}"
    print(f"\n{label}\n{header}  target", flush=True)
    for kind, figures in timings.items():
        median = figures["median"]
        ok = ok and median <= QUERY_TARGET_MS
        line = f"{kind:<28} {median:>9.1f} {figures['p95']:>8.1f} {figures['max']:>8.1f}"
        if baseline is not None and kind in baseline:
            before = baseline[kind]
            line += f" {before['median']:>9.1f} {before['p95']:>8.1f}"
            line += f" {median / before['median']:>6.2f}" if before["median"] else f" {'-':>6}"
        print(f"{line}  {'ok' if median <= QUERY_TARGET_MS else 'MISSED'}", flush=True)
        previous = {
            detail[0]: detail[1] for detail in (baseline or {}).get(kind, {}).get("details", [])
        }
        for value, each, rows in figures["details"]:
            was = f" (previous {previous[value]:.1f} ms)" if value in previous else ""
            print(f"    {value}: {each:.1f} ms{was}, {rows} rows", flush=True)
    return ok


def list_rows(result: Any) -> list[Any]:
    """Every row of a query result (a list, or a generator read to the end)."""
    return list(result)


# -- PostgreSQL -------------------------------------------------------------------------------


def copy_to_postgres(path: Path, url: str, articles: int) -> None:
    """Copy entities, the first `articles` articles and their mentions from the SQLite file to
    the PostgreSQL database at `url` (its triggers write the documents and the summaries), then
    VACUUM ANALYZE it. Nothing is copied when it already holds that many articles."""
    from sqlalchemy import create_engine, func, select, text

    from cppcc_watch.store.schema import ARTICLES, ENTITIES, MENTIONS

    Store.open(url).close()  # the schema
    target = create_engine(url)
    source = create_engine(f"sqlite:///{path}")
    try:
        with target.connect() as conn:
            done = conn.execute(select(func.count()).select_from(ARTICLES)).scalar_one()
        if done >= articles:
            return
        if done:
            raise SystemExit(f"{url} holds {done:,} articles, not {articles:,}: use an empty one")
        print(f"copying {articles:,} articles from {path} to {url}", flush=True)
        start = time.perf_counter()
        with source.connect() as reading, target.begin() as writing:
            for table, last in (
                (ENTITIES, None),
                (ARTICLES, ARTICLES.c.id),
                (MENTIONS, MENTIONS.c.article_id),
            ):
                statement = select(table)
                if last is not None:
                    statement = statement.where(last <= articles)
                rows = reading.execution_options(yield_per=COPY_BATCH).execute(statement)
                copied = 0
                for batch in rows.partitions():
                    writing.execute(table.insert(), [dict(row._mapping) for row in batch])
                    copied += len(batch)
                    if copied % 500_000 < COPY_BATCH:
                        print(
                            f"  {table.name}: {copied:,} rows,"
                            f" {time.perf_counter() - start:,.0f} s",
                            flush=True,
                        )
            for table in (ARTICLES, ENTITIES):
                # Explicit ids leave the id sequences behind; set them past the copied rows.
                writing.execute(
                    select(
                        func.setval(
                            func.pg_get_serial_sequence(table.name, "id"), func.max(table.c.id)
                        )
                    )
                )
        with target.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"copied in {time.perf_counter() - start:,.0f} s", flush=True)
    finally:
        source.dispose()
        target.dispose()


def main() -> None:
    """Build (or reuse) the database, then time the queries (and the previous release's)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None, help="cached SQLite database file")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per parameter value")
    parser.add_argument("--build-only", action="store_true", help="build, do not time")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", help="an empty PostgreSQL database (--backend postgresql)")
    parser.add_argument("--pg-articles", type=int, help="articles copied to PostgreSQL (all)")
    parser.add_argument("--baseline-tree", type=Path, help="a checkout of the previous release")
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--time-only", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--names", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_only:  # in the subprocess of --baseline-tree
        names = json.loads(args.names.read_text(encoding="utf-8"))
        timings = time_queries(args.time_only, names, args.repeats, show=False)
        args.out.write_text(json.dumps(timings), encoding="utf-8")
        return
    if args.backend == "postgresql" and not args.pg_url:
        parser.error("--backend postgresql needs --pg-url postgresql+psycopg://...")
    path = args.db or Path(f"/tmp/cppcc_watch_bench/queries-{args.articles}.db")
    corpus = Corpus()
    build(path, args.articles, corpus)
    print(f"database: {path}, {database_size(path) / 1e9:.2f} GB", flush=True)
    url = f"sqlite:///{path}"
    if args.backend == "postgresql":
        url = args.pg_url
        copy_to_postgres(path, url, args.pg_articles or args.articles)
    if args.build_only:
        return
    start = time.perf_counter()
    Store.open(url).close()  # schema upgrades, if the code is newer than the database
    print(f"schema up to date ({time.perf_counter() - start:.1f} s)", flush=True)
    names = pool_names(corpus.pools)
    baseline = None
    if args.baseline_tree:
        print(f"timing the previous release ({args.baseline_tree})", flush=True)
        baseline = time_baseline(args.baseline_tree, url, names, args.repeats)
    print(f"timing this tree on {args.backend}", flush=True)
    timings = time_queries(url, names, args.repeats, show=True)
    label = f"{args.backend}, {args.articles:,} articles" + (
        ", next to the previous release" if baseline else ""
    )
    ok = report(timings, baseline, label)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
