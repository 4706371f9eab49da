"""Scoring of entity extraction against the hand-labeled articles in tests/labeled/.

Shared by scripts/evaluate_extraction.py (prints the table) and tests/test_extract_quality.py
(guards the baseline). Scores are micro-averaged over the set; each article contributes a set of
entities per kind, so an entity counts once per article however often it is mentioned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cppcc_watch.extract.folding import fold
from cppcc_watch.extract.types import Extraction

KIND_KEYS = {
    "province": "provinces",
    "city": "cities",
    "organization": "organizations",
    "theme": "themes",
}
DEFAULT_LABELED_DIR = Path(__file__).resolve().parents[2] / "tests" / "labeled"


@dataclass
class Score:
    """True/false positives and false negatives of one kind, with the derived figures."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """Share of predicted entities that are labeled (1.0 when nothing was predicted)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of labeled entities that were predicted (1.0 when nothing was labeled)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class ArticleErrors:
    """What one article got wrong, by kind: predicted but not labeled, labeled but not predicted."""

    article_id: str
    false_positives: dict[str, list[str]] = field(default_factory=dict)
    false_negatives: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Evaluation:
    """Scores by kind over the whole set, and per-article errors."""

    scores: dict[str, Score]
    errors: list[ArticleErrors]
    articles: int


def load_labeled(directory: Path | str = DEFAULT_LABELED_DIR) -> list[dict[str, Any]]:
    """Every labeled article of `directory` (*.json files holding one article or a list), by id."""
    articles: list[dict[str, Any]] = []
    for path in sorted(Path(directory).glob("*.json")):
        if path.name == "baseline.json":
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "labels" in data:
            articles.append(data)
        elif isinstance(data, list):
            articles.extend(a for a in data if isinstance(a, dict) and "labels" in a)
    return sorted(articles, key=lambda a: a["id"])


def normalize(name: str) -> str:
    """The folded name (see `fold`) without a leading "the": how labels and results compare."""
    return fold(name).removeprefix("the ")


def organization_canonicalizer() -> Callable[[str], str]:
    """Maps an organization name to the registry's canonical name where the matcher knows it.

    Runs the organization matcher over the name itself: when one hit covers the whole name, its
    canonical name is used, so labels written as a known alias ("NDRC", "CATL") compare equal to
    the matcher's canonical form. Unknown names are only normalized.
    """
    try:
        from cppcc_watch.extract.facade import default_extractor

        matcher = default_extractor().organizations
    except ImportError:  # matchers not available: plain normalization
        return normalize
    cache: dict[str, str] = {}

    def canonical(name: str) -> str:
        if name not in cache:
            hits = matcher.find(name)
            whole = [h for h in hits if h.start == 0 and h.end >= len(name.rstrip())]
            cache[name] = normalize(whole[0].name if len(whole) == 1 else name)
        return cache[name]

    return canonical


def place_canonicalizer() -> tuple[Callable[[str], str], Callable[[str, str], str]]:
    """Maps province names and (city, province) pairs to the gazetteer's canonical names.

    A label written with an alias the gazetteer knows ("Tibet", "Shigatse") then compares equal
    to the canonical name the matcher reports ("Xizang", "Xigaze"). Unknown names stay as written.
    """
    try:
        from cppcc_watch.extract.gazetteer import Gazetteer

        gazetteer = Gazetteer.load()
    except (ImportError, OSError):
        return normalize, _city_key

    def province(name: str) -> str:
        record = gazetteer.province(name)
        return normalize(record.name if record else name)

    def city(name: str, parent: str) -> str:
        record = gazetteer.city(name, province=parent or None)
        if record is None:
            return _city_key(name, province(parent) if parent else "")
        return _city_key(record.name, record.province)

    return province, city


def label_sets(labels: dict[str, Any], canonical_org: Callable[[str], str]) -> dict[str, set[str]]:
    """The labels of one article as comparable sets, by kind."""
    province, city = _PLACES()
    return {
        "province": {province(p) for p in labels.get("provinces", [])},
        "city": {city(c["name"], c["province"]) for c in labels.get("cities", [])},
        "organization": {canonical_org(o) for o in labels.get("organizations", [])},
        "theme": {normalize(t) for t in labels.get("themes", [])},
    }


def prediction_sets(
    extraction: Extraction, canonical_org: Callable[[str], str]
) -> dict[str, set[str]]:
    """The entities of an extraction as comparable sets, by kind."""
    province, city = _PLACES()
    return {
        "province": {province(e.name) for e in extraction.provinces},
        "city": {city(e.name, e.province or "") for e in extraction.cities},
        "organization": {canonical_org(e.name) for e in extraction.organizations},
        "theme": {normalize(e.name) for e in extraction.themes},
    }


def evaluate(
    articles: Iterable[dict[str, Any]],
    extract: Callable[..., Extraction] | None = None,
    canonical_org: Callable[[str], str] | None = None,
) -> Evaluation:
    """Micro-averaged precision, recall and F1 by kind of `extract` over labeled `articles`."""
    if extract is None:
        from cppcc_watch.extract.facade import extract_entities

        extract = extract_entities
    if canonical_org is None:
        canonical_org = organization_canonicalizer()
    scores = {kind: Score() for kind in KIND_KEYS}
    errors: list[ArticleErrors] = []
    count = 0
    for article in articles:
        count += 1
        gold = label_sets(article["labels"], canonical_org)
        predicted = prediction_sets(
            extract(article["body"], article.get("title", "")), canonical_org
        )
        article_errors = ArticleErrors(article["id"])
        for kind in KIND_KEYS:
            score = scores[kind]
            score.tp += len(gold[kind] & predicted[kind])
            fp, fn = sorted(predicted[kind] - gold[kind]), sorted(gold[kind] - predicted[kind])
            score.fp += len(fp)
            score.fn += len(fn)
            if fp:
                article_errors.false_positives[kind] = fp
            if fn:
                article_errors.false_negatives[kind] = fn
        if article_errors.false_positives or article_errors.false_negatives:
            errors.append(article_errors)
    return Evaluation(scores=scores, errors=errors, articles=count)


_PLACES = cache(place_canonicalizer)


def _city_key(name: str, province: str) -> str:
    return f"{normalize(name)} ({normalize(province)})"
