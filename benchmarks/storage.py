"""Storage benchmark (docs/SPEC.md §7): articles stored per second, with raw pages and mentions.

Run: `.venv/bin/python benchmarks/storage.py [--articles N] [--mentions M]`. Writes N synthetic
articles (a ~3 KB body, a ~25 KB raw page, M mentioned entities with one or two spans each,
drawn from a pool of a few hundred entities) into a temporary SQLite file through
`Store.upsert_article` and prints articles/s against the target: once with one transaction per
article, once with `--batch` articles per `Store.transaction()`; also per CPU second, a figure
that holds on a busy machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cppcc_watch.extract.types import Entity, Extraction, Mention
from cppcc_watch.items import Article, RawPage
from cppcc_watch.store import Store

TARGET = 2000.0
WORDS = [
    "the",
    "national",
    "committee",
    "of",
    "the",
    "chinese",
    "people's",
    "political",
    "consultative",
    "conference",
    "held",
    "a",
    "meeting",
    "on",
    "science",
    "technology",
    "innovation",
    "rural",
    "revitalization",
    "and",
    "high",
    "quality",
    "development",
    "members",
    "offered",
    "proposals",
    "on",
    "food",
    "security",
    "energy",
    "green",
    "growth",
]


def _entity_pool(rng: random.Random) -> list[Entity]:
    """A few hundred entities of every kind, cities linked to provinces."""
    provinces = [f"Province{i}" for i in range(34)]
    pool = [Entity("province", name, code=f"CN-{i:02d}") for i, name in enumerate(provinces)]
    pool += [
        Entity("city", f"City{i}", province=rng.choice(provinces), latitude=30.0, longitude=110.0)
        for i in range(300)
    ]
    pool += [Entity("organization", f"Organization {i}", acronym=f"O{i}") for i in range(200)]
    pool += [Entity("theme", f"theme_{i}") for i in range(21)]
    return pool


def _article(index: int, rng: random.Random, pool: list[Entity], mentions: int) -> Article:
    body = "\n".join(" ".join(rng.choices(WORDS, k=60)) for _ in range(8))
    html = f"<html><body><article>{body}</article>" + "<div class='nav'>menu</div>" * 800
    entities = []
    for template in rng.sample(pool, mentions):
        spans = [
            Mention(start=s, end=s + 8, text=body[s : s + 8], snippet=body[max(0, s - 40) : s + 48])
            for s in rng.sample(range(len(body) - 8), rng.choice((1, 2)))
        ]
        entities.append(
            Entity(
                template.kind,
                template.name,
                mentions=spans,
                focus=rng.random() < 0.2,
                acronym=template.acronym,
                province=template.province,
                code=template.code,
                latitude=template.latitude,
                longitude=template.longitude,
            )
        )
    extraction = Extraction(
        provinces=[e for e in entities if e.kind == "province"],
        cities=[e for e in entities if e.kind == "city"],
        organizations=[e for e in entities if e.kind == "organization"],
        themes=[e for e in entities if e.kind == "theme"],
    )
    url = f"http://en.cppcc.gov.cn/2026-11/28/c_{index}.htm"
    return Article(
        url=url,
        source="cppcc",
        section="news",
        title=f"Article {index}: " + " ".join(rng.choices(WORDS, k=8)),
        published_at="2026-11-28T10:00:00+08:00",
        outlet="CPPCC",
        body=body,
        pages=[RawPage(url=url, html=html)],
        entities=extraction,
    )


def main() -> None:
    """Build the synthetic articles, store them, print the rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--mentions", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100, help="articles per transaction")
    args = parser.parse_args()
    rng = random.Random(7)
    pool = _entity_pool(rng)
    articles = [_article(i, rng, pool, args.mentions) for i in range(args.articles)]
    for label, batch in (
        ("one transaction each", 1),
        (f"{args.batch} per transaction", args.batch),
    ):
        wall, cpu = _store_rates(articles, batch)
        print(
            f"storage ({label}): {args.articles} articles x {args.mentions} mentions: "
            f"{wall:,.0f} articles/s (target {TARGET:,.0f}, ratio {wall / TARGET:.2f}); "
            f"per CPU second of this process: {cpu:,.0f}"
        )


def _store_rates(articles: list[Article], batch: int) -> tuple[float, float]:
    """Articles per wall-clock and per CPU second, upserting into a new SQLite file.

    `batch` > 1 groups that many upserts per `Store.transaction()`. The CPU-second rate
    (user + system time of this process) is what the machine allows when other processes
    compete for its cores.
    """
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        wall, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(articles), batch):
            chunk = articles[first : first + batch]
            if batch == 1:
                store.upsert_article(chunk[0])
                continue
            with store.transaction():
                for article in chunk:
                    store.upsert_article(article)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        store.close()
    return len(articles) / wall, len(articles) / cpu


if __name__ == "__main__":
    main()
