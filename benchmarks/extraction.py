"""Extraction speed: MB/s of article text through extract_entities, and with 10x larger data.

    python benchmarks/extraction.py [--mb 12] [--scale 10] [--baseline REF [--rounds 3]]

Builds at least `--mb` MB of articles from the labeled set (paragraphs shuffled and recombined, so
articles vary), times `Extractor.extract` over them on one core, then builds the matchers again
with a gazetteer, organization registry and theme cue set `--scale` times larger (synthetic names
added beside the real ones) and times the same articles.
`--baseline REF` first times the extractor of git revision REF (its package exported to a
temporary directory) and this tree's on the same articles, each in a fresh process, alternating
for `--rounds` rounds: the before and after of a change in one run, on the same machine load.
docs/SPEC.md §7: >= 5 MB/s, whatever the data size.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib import resources
from pathlib import Path

from cppcc_watch.extract.evaluation import DEFAULT_LABELED_DIR, load_labeled
from cppcc_watch.extract.facade import Extractor, default_extractor
from cppcc_watch.extract.gazetteer import Gazetteer
from cppcc_watch.extract.organizations import DEFAULT_REGISTRY, OrganizationMatcher
from cppcc_watch.extract.places import PlaceMatcher
from cppcc_watch.extract.themes import DEFAULT_CUES, ThemeMatcher

TARGET_MB_S = 5.0
ROOT = Path(__file__).resolve().parents[1]
_INITIALS = (
    "b",
    "ch",
    "d",
    "f",
    "g",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "q",
    "s",
    "sh",
    "t",
    "x",
    "zh",
)
_FINALS = ("a", "ai", "an", "ang", "ao", "ei", "en", "eng", "ong", "ou", "u", "un")
_SYLLABLES = [i + f for i, f in itertools.product(_INITIALS, _FINALS)]


def build_articles(megabytes: float, seed: int = 7) -> list[tuple[str, str]]:
    """(title, body) pairs totalling at least `megabytes` MB, recombined from the labeled set."""
    labeled = load_labeled(DEFAULT_LABELED_DIR)
    titles = [a["title"] for a in labeled]
    paragraphs = [p for a in labeled for p in a["body"].split("\n") if p.strip()]
    rng = random.Random(seed)
    articles: list[tuple[str, str]] = []
    size = 0
    while size < megabytes * 1_000_000:
        body = "\n".join(rng.sample(paragraphs, rng.randint(4, 12)))
        title = rng.choice(titles)
        articles.append((title, body))
        size += len(title.encode()) + len(body.encode()) + 1
    return articles


def synthetic_names(count: int, taken: set[str], seed: int = 11) -> list[str]:
    """`count` pinyin-like two- or three-syllable names not in `taken` (folded)."""
    rng = random.Random(seed)
    names: list[str] = []
    seen = {t.casefold() for t in taken}
    while len(names) < count:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def scaled_gazetteer(scale: int) -> Gazetteer:
    """The packaged gazetteer plus (scale - 1) x as many synthetic prefecture-level cities."""
    data = json.loads(
        resources.files("cppcc_watch.extract").joinpath("data", "gazetteer.json").read_text("utf-8")
    )
    cities = data["cities"]
    taken = {f for c in cities for f in c["aliases"]} | {p["name"] for p in data["provinces"]}
    extra = synthetic_names(len(cities) * (scale - 1), taken)
    for i, (name, model) in enumerate(zip(extra, itertools.cycle(cities), strict=False)):
        cities.append(
            {**model, "name": name, "code": f"9{i:05d}", "aliases": [name, f"{name} city"],
             "guarded": [], "seat": None}
        )  # fmt: skip
    return Gazetteer.from_json(data)


def scaled_registry(scale: int, directory: Path) -> Path:
    """A copy of the organization registry with (scale - 1) x as many synthetic organizations."""
    lines = DEFAULT_REGISTRY.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.strip() and not line.startswith("#")][1:]
    heads = ("Institute", "Association", "Commission", "University", "Group", "Federation")
    extra = synthetic_names(2 * len(rows) * (scale - 1), {r.split("\t")[0] for r in rows}, seed=13)
    path = directory / "organizations.tsv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(lines) + "\n")
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        for i in range(len(rows) * (scale - 1)):
            first, second = extra[2 * i], extra[2 * i + 1]
            name = f"{first} {second} {heads[i % len(heads)]}"
            writer.writerow(
                [name, f"{first[0]}{second[0]}X{i}", f"{first} {heads[i % len(heads)]}", "other"]
            )
    return path


def scaled_cues(scale: int, directory: Path) -> Path:
    """A copy of the theme cue file with (scale - 1) x as many synthetic cues over all themes."""
    lines = DEFAULT_CUES.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")][1:]
    themes = sorted({t for row in rows for t in row[0].split(",")})
    extra = synthetic_names(len(rows) * (scale - 1), {row[1] for row in rows}, seed=17)
    path = directory / "themes.tsv"
    body = [f"{themes[i % len(themes)]}\t{name.lower()} policy" for i, name in enumerate(extra)]
    path.write_text("\n".join([*lines, *body]) + "\n", encoding="utf-8")
    return path


def measure(extractor: Extractor, articles: list[tuple[str, str]]) -> tuple[float, float]:
    """MB/s of `extractor` over `articles` (UTF-8 bytes of title + body): by wall-clock time and
    by this process's CPU time (the one-core figure when other processes share the machine)."""
    size = sum(len(t.encode()) + len(b.encode()) + 1 for t, b in articles) / 1_000_000
    wall, cpu = time.perf_counter(), time.process_time()
    for title, body in articles:
        extractor.extract(body, title)
    return size / (time.perf_counter() - wall), size / (time.process_time() - cpu)


def export_revision(revision: str, directory: Path) -> Path:
    """The `cppcc_watch` package of git revision `revision`, exported under `directory`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "cppcc_watch"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return directory


def measure_in_process(tree: Path, articles_file: Path) -> tuple[float, float]:
    """(wall, CPU) MB/s of the extractor of the package under `tree`, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    output = subprocess.run(
        [sys.executable, __file__, "--worker", str(articles_file)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    wall, cpu, package = json.loads(output)
    if not Path(package).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"the worker imported {package}, not the package under {tree}")
    return wall, cpu


def compare_with(revision: str, articles: list[tuple[str, str]], rounds: int) -> float:
    """Time revision `revision` and this tree alternately; print each and return the ratio of
    the CPU-time medians (this tree / revision)."""
    with tempfile.TemporaryDirectory() as tmp:
        articles_file = Path(tmp) / "articles.json"
        articles_file.write_text(json.dumps(articles), encoding="utf-8")
        before_tree = export_revision(revision, Path(tmp) / "before")
        before: list[float] = []
        after: list[float] = []
        for number in range(1, rounds + 1):
            for label, tree, speeds in (
                (revision, before_tree, before),
                ("this tree", ROOT, after),
            ):
                wall, cpu = measure_in_process(tree, articles_file)
                speeds.append(cpu)
                print(f"round {number}, {label}: {cpu:6.2f} MB/s CPU time ({wall:.2f} wall)")
    ratio = statistics.median(after) / statistics.median(before)
    print(
        f"median {revision}: {statistics.median(before):.2f} MB/s, this tree: "
        f"{statistics.median(after):.2f} MB/s (ratio {ratio:.2f})"
    )
    return ratio


def worker(articles_file: str) -> int:
    """Time the default extractor (of whatever package is on the path) over the articles of
    `articles_file`; print [wall, CPU] MB/s as JSON."""
    articles = [tuple(pair) for pair in json.loads(Path(articles_file).read_text("utf-8"))]
    extractor = default_extractor()
    extractor.extract("warm up", "")
    import cppcc_watch

    wall, cpu = measure(extractor, articles)  # type: ignore[arg-type]
    print(json.dumps([wall, cpu, cppcc_watch.__file__]))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and print MB/s and their ratio; exit 1 below the target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=12.0, help="MB of text to extract")
    parser.add_argument("--scale", type=int, default=10, help="data size multiplier")
    parser.add_argument("--baseline", metavar="REF", help="git revision to compare with first")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the comparison")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    articles = build_articles(args.mb)
    size = sum(len(t.encode()) + len(b.encode()) + 1 for t, b in articles) / 1_000_000
    print(f"{len(articles)} articles, {size:.1f} MB")
    if args.baseline:
        compare_with(args.baseline, articles, args.rounds)

    base = default_extractor()
    base_wall, base_speed = measure(base, articles)
    print(f"packaged data: {base_speed:6.2f} MB/s CPU time ({base_wall:.2f} MB/s wall clock)")

    with tempfile.TemporaryDirectory() as tmp:
        gazetteer = scaled_gazetteer(args.scale)
        orgs = OrganizationMatcher(scaled_registry(args.scale, Path(tmp)))
        themes = ThemeMatcher(scaled_cues(args.scale, Path(tmp)))
        big = Extractor(orgs, PlaceMatcher(gazetteer), themes, gazetteer)
    cues = sum(themes.cue_counts().values())
    print(
        f"data x{args.scale}: {len(gazetteer.cities)} cities, {orgs.size} organizations, "
        f"{cues} cue forms"
    )
    big_wall, big_speed = measure(big, articles)
    print(f"data x{args.scale}: {big_speed:6.2f} MB/s CPU time ({big_wall:.2f} MB/s wall clock)")
    print(f"ratio x{args.scale}/packaged: {big_speed / base_speed:.2f}")
    ok = min(base_speed, big_speed) >= TARGET_MB_S
    print(f"target >= {TARGET_MB_S} MB/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
