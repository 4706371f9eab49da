"""Extraction accuracy on the labeled set must stay within 0.02 of the recorded baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cppcc_watch.extract.evaluation import evaluate, load_labeled

LABELED = Path(__file__).parent / "labeled"
TOLERANCE = 0.02


@pytest.fixture(scope="module")
def result():
    return evaluate(load_labeled(LABELED))


def test_labeled_set_is_large_enough():
    articles = load_labeled(LABELED)
    assert len(articles) >= 45
    provinces = {p for a in articles for p in a["labels"]["provinces"]}
    assert len(provinces) == 34


@pytest.mark.parametrize("kind", ["province", "city", "organization", "theme"])
def test_f1_does_not_fall_below_baseline(result, kind):
    baseline = json.loads((LABELED / "baseline.json").read_text(encoding="utf-8"))["f1"][kind]
    f1 = result.scores[kind].f1
    assert f1 >= baseline - TOLERANCE, f"{kind} F1 {f1:.3f} < baseline {baseline:.3f} - {TOLERANCE}"
