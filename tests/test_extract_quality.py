"""Extraction accuracy on the labeled set must stay within 0.02 of the recorded baseline, on the
dev part (tests/labeled/*.json) and on each sealed part (tests/labeled/sealed-*/): the sealed
figure is the honest one, and only its aggregate is ever looked at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cppcc_watch.extract.evaluation import KIND_KEYS, Evaluation, evaluate, load_labeled

LABELED = Path(__file__).parent / "labeled"
BASELINE = json.loads((LABELED / "baseline.json").read_text(encoding="utf-8"))
PARTS = {"dev": LABELED, **{path.name: path for path in sorted(LABELED.glob("sealed-*"))}}
TOLERANCE = 0.02


@pytest.fixture(scope="module")
def results() -> dict[str, Evaluation]:
    return {part: evaluate(load_labeled(path)) for part, path in PARTS.items()}


def test_labeled_set_is_large_enough():
    articles = load_labeled(LABELED)
    assert len(articles) >= 150
    provinces = {p for a in articles for p in a["labels"]["provinces"]}
    assert len(provinces) == 34
    assert all(len(load_labeled(path)) >= 60 for part, path in PARTS.items() if part != "dev")


def test_every_part_has_a_baseline():
    assert set(BASELINE) == set(PARTS)


@pytest.mark.parametrize("part", sorted(PARTS))
@pytest.mark.parametrize("kind", list(KIND_KEYS))
def test_f1_does_not_fall_below_baseline(results, part, kind):
    baseline = BASELINE[part]["f1"][kind]
    f1 = results[part].scores[kind].f1
    assert f1 >= baseline - TOLERANCE, (
        f"{part} {kind} F1 {f1:.3f} < baseline {baseline:.3f} - {TOLERANCE}"
    )
