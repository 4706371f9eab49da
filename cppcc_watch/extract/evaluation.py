"""Scoring of entity extraction against hand-labeled articles (tests/labeled/ and its sealed parts).

Shared by scripts/evaluate_extraction.py (prints the table) and tests/test_extract_quality.py
(guards the baseline). Scores are micro-averaged over the set; each article contributes a set of
entities per kind, so an entity counts once per article however often it is mentioned.

Labels name organizations either as strings (the first format) or as objects
{"name", "type", "province", "city"} (tests/labeled/sealed-1/README.md). Organizations are
matched by canonical name; for the matched ones the evaluator also reports how often the
predicted `type` is the labeled one and, for local bodies (labeled with a province), how often
the predicted province and city are. Persons and activities labels are not scored here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cppcc_watch.extract.folding import fold
from cppcc_watch.extract.types import Entity, Extraction

KIND_KEYS = {
    "province": "provinces",
    "city": "cities",
    "organization": "organizations",
    "theme": "themes",
}
#: The attributes of matched organizations the evaluator checks.
ATTRIBUTES = ("type", "place")
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
class Accuracy:
    """How many matched organizations had an attribute compared, and how many had it right."""

    compared: int = 0
    correct: int = 0

    @property
    def value(self) -> float:
        """Share of compared attributes that were right (1.0 when none was compared)."""
        return self.correct / self.compared if self.compared else 1.0


@dataclass
class ArticleErrors:
    """What one article got wrong, by kind: predicted but not labeled, labeled but not predicted;
    and the matched organizations whose type or place differs ("name: predicted != labeled")."""

    article_id: str
    false_positives: dict[str, list[str]] = field(default_factory=dict)
    false_negatives: dict[str, list[str]] = field(default_factory=dict)
    wrong_attributes: list[str] = field(default_factory=list)


@dataclass
class Evaluation:
    """Scores by kind over the whole set, attribute accuracy of matched organizations, and
    per-article errors."""

    scores: dict[str, Score]
    errors: list[ArticleErrors]
    articles: int
    attributes: dict[str, Accuracy] = field(
        default_factory=lambda: {name: Accuracy() for name in ATTRIBUTES}
    )


def load_labeled(directory: Path | str = DEFAULT_LABELED_DIR) -> list[dict[str, Any]]:
    """Every labeled article of `directory` (*.json files holding one article or a list), by id.

    Only the directory itself is read: a sealed part in a subdirectory is scored on its own.
    """
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


@dataclass(frozen=True)
class OrgLabel:
    """One labeled organization: its name and, where the label gives them, type and place."""

    name: str
    type: str | None = None
    province: str | None = None
    city: str | None = None


def org_label(label: str | dict[str, Any]) -> OrgLabel:
    """An organization label in either format: a name, or {"name", "type", "province", "city"}."""
    if isinstance(label, str):
        return OrgLabel(label)
    return OrgLabel(
        label["name"], label.get("type"), label.get("province") or None, label.get("city") or None
    )


def label_sets(labels: dict[str, Any], canonical_org: Callable[[str], str]) -> dict[str, set[str]]:
    """The labels of one article as comparable sets, by kind."""
    province, city = _PLACES()
    return {
        "province": {province(p) for p in labels.get("provinces", [])},
        "city": {city(c["name"], c["province"]) for c in labels.get("cities", [])},
        "organization": {canonical_org(org_label(o).name) for o in labels.get("organizations", [])},
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
    """Micro-averaged precision, recall and F1 by kind of `extract` over labeled `articles`,
    and the type and place accuracy of the organizations it matched."""
    if extract is None:
        from cppcc_watch.extract.facade import extract_entities

        extract = extract_entities
    if canonical_org is None:
        canonical_org = organization_canonicalizer()
    result = Evaluation(scores={kind: Score() for kind in KIND_KEYS}, errors=[], articles=0)
    for article in articles:
        result.articles += 1
        labels = article["labels"]
        extraction = extract(article["body"], article.get("title", ""))
        gold = label_sets(labels, canonical_org)
        predicted = prediction_sets(extraction, canonical_org)
        article_errors = ArticleErrors(article["id"])
        for kind in KIND_KEYS:
            score = result.scores[kind]
            score.tp += len(gold[kind] & predicted[kind])
            fp, fn = sorted(predicted[kind] - gold[kind]), sorted(gold[kind] - predicted[kind])
            score.fp += len(fp)
            score.fn += len(fn)
            if fp:
                article_errors.false_positives[kind] = fp
            if fn:
                article_errors.false_negatives[kind] = fn
        article_errors.wrong_attributes = _check_attributes(
            labels.get("organizations", []), extraction.organizations, canonical_org, result
        )
        if (
            article_errors.false_positives
            or article_errors.false_negatives
            or article_errors.wrong_attributes
        ):
            result.errors.append(article_errors)
    return result


def _check_attributes(
    labels: list[Any],
    organizations: list[Entity],
    canonical_org: Callable[[str], str],
    result: Evaluation,
) -> list[str]:
    """Count type and place agreement of matched organizations into `result`; the disagreements.

    Type is compared where the label gives one; place (province and city) where the label gives a
    province, i.e. for local bodies.
    """
    province, _ = _PLACES()
    predicted = {canonical_org(e.name): e for e in organizations}
    wrong: list[str] = []
    for label in map(org_label, labels):
        entity = predicted.get(canonical_org(label.name))
        if entity is None:
            continue
        if label.type:
            guess = getattr(entity, "type", None)
            result.attributes["type"].compared += 1
            if guess == label.type:
                result.attributes["type"].correct += 1
            else:
                wrong.append(f"{label.name}: type {guess} != {label.type}")
        if label.province:
            want = (province(label.province), normalize(label.city or ""))
            got = (province(entity.province or ""), normalize(getattr(entity, "city", "") or ""))
            result.attributes["place"].compared += 1
            if got == want:
                result.attributes["place"].correct += 1
            else:
                wrong.append(f"{label.name}: place {got} != {want}")
    return wrong


_PLACES = cache(place_canonicalizer)


def _city_key(name: str, province: str) -> str:
    return f"{normalize(name)} ({normalize(province)})"
