"""Storage benchmark (docs/SPEC.md §7): articles stored per second, with raw pages and mentions.

Run: `.venv/bin/python benchmarks/storage.py [--articles N] [--mentions M] [--backend B]`.
Writes N synthetic articles (a ~3 KB body, a ~25 KB raw page, M mentioned entities with one or
two spans each, drawn from a pool of a few hundred entities) through `Store.upsert_article` into
a new database and prints articles/s against the target: once with one transaction per article,
once with `--batch` articles per `Store.transaction()`; also per CPU second, a figure that holds
on a busy machine. `--backend` is sqlite (a temporary file), postgresql (a throwaway server,
`tests/pg_server.py`, a new database per run) or both.

`--baseline-tree DIR` (a checkout of an earlier release, e.g. `git worktree add DIR v0.1.0`)
runs that tree's storage benchmark and this one in turns, `--rounds` times each, every run in a
process of its own, and prints the SQLite medians side by side.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cppcc_watch.extract.types import Entity, Extraction, Mention
from cppcc_watch.items import Article, RawPage
from cppcc_watch.store import Store

ROOT = Path(__file__).resolve().parents[1]

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
#: A result line: "storage[ on BACKEND] (MODE): ...: N articles/s ...: M" (M per CPU second).
LINE = re.compile(
    r"^storage(?: on (?P<backend>\w+))? \((?P<mode>[^)]+)\):.*?(?P<wall>[\d,]+) articles/s"
    r".*per CPU second of this process: (?P<cpu>[\d,]+)"
)


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
    """Parse the options; measure in this process, or in turns with a baseline tree."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--mentions", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100, help="articles per transaction")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument(
        "--baseline-tree", type=Path, help="a checkout whose benchmarks/storage.py to compare"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, with a baseline")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    sizes = ["--articles", str(args.articles), "--mentions", str(args.mentions)]
    sizes += ["--batch", str(args.batch)]
    if args.baseline_tree is None:
        for backend in backends:
            _measure(backend, args.articles, args.mentions, args.batch)
        return
    runs: dict[str, list[str]] = {
        "baseline": [sys.executable, str(args.baseline_tree / "benchmarks" / "storage.py"), *sizes]
    }
    for backend in backends:
        runs[backend] = [sys.executable, __file__, "--backend", backend, *sizes]
    _compare(runs, args.rounds)


def _measure(backend: str, articles: int, mentions: int, batch: int) -> None:
    """Build the synthetic articles, store them on one backend, print the rates."""
    rng = random.Random(7)
    pool = _entity_pool(rng)
    made = [_article(i, rng, pool, mentions) for i in range(articles)]
    with _databases(backend) as new_database:
        for label, size in (("one transaction each", 1), (f"{batch} per transaction", batch)):
            wall, cpu = _store_rates(new_database(), made, size)
            print(
                f"storage on {backend} ({label}): {articles} articles x {mentions} mentions: "
                f"{wall:,.0f} articles/s (target {TARGET:,.0f}, ratio {wall / TARGET:.2f}); "
                f"per CPU second of this process: {cpu:,.0f}",
                flush=True,
            )


@contextmanager
def _databases(backend: str) -> Iterator[Callable[[], str]]:
    """A maker of new, empty databases of one backend (URLs), valid inside the block."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            numbers = iter(range(1_000_000))
            yield lambda: f"sqlite:///{Path(tmp) / f'bench-{next(numbers)}.db'}"
        return
    from tests.pg_server import start_server

    server = start_server()
    try:
        numbers = iter(range(1_000_000))
        yield lambda: server.create_database(f"bench_{next(numbers)}")
    finally:
        server.stop()


def _store_rates(url: str, articles: list[Article], batch: int) -> tuple[float, float]:
    """Articles per wall-clock and per CPU second, upserting into the empty database at `url`.

    `batch` > 1 groups that many upserts per `Store.transaction()`. The CPU-second rate
    (user + system time of this process; a PostgreSQL server's work is not in it) is what the
    machine allows when other processes compete for its cores.
    """
    store = Store.open(url)
    try:
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
    finally:
        store.close()
    return len(articles) / wall, len(articles) / cpu


def _compare(runs: dict[str, list[str]], rounds: int) -> None:
    """Run each command `rounds` times, in turns; print the median rates of each mode."""
    rates: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for number in range(1, rounds + 1):
        for name, argv in runs.items():
            done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed:\n{done.stderr}")
            for line in done.stdout.splitlines():
                found = LINE.match(line)
                if found:
                    mode = "batched" if "per transaction" in found["mode"] else "one each"
                    wall, cpu = (float(found[key].replace(",", "")) for key in ("wall", "cpu"))
                    rates.setdefault((name, mode), []).append((wall, cpu))
            print(f"round {number}/{rounds}: {name} done", file=sys.stderr, flush=True)
    print(f"\nmedians of {rounds} runs each (articles/s, wall | per CPU second):")
    print(f"{'':12} {'mode':10} {'wall':>8} {'CPU':>8}   vs baseline (wall, CPU)")
    baseline = {mode: values for (name, mode), values in rates.items() if name == "baseline"}
    for (name, mode), values in rates.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        compared = ""
        if name == "sqlite" and mode in baseline:
            base_wall = statistics.median(v[0] for v in baseline[mode])
            base_cpu = statistics.median(v[1] for v in baseline[mode])
            compared = f"   {wall / base_wall:.2f}x, {cpu / base_cpu:.2f}x"
        print(f"{name:12} {mode:10} {wall:8,.0f} {cpu:8,.0f}{compared}")


if __name__ == "__main__":
    main()
