"""Tests of text folding: the one way names and texts are compared."""

from __future__ import annotations

import pytest

from cppcc_watch.extract.folding import fold, fold_chars


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Xi'an", "xi'an"),
        ("Xi’an", "xi'an"),
        ("Xiʼan", "xi'an"),
        ("Xi′an", "xi'an"),
        ("XI'AN", "xi'an"),
        ("Ürümqi", "urumqi"),
        ("U\u0308ru\u0308mqi", "urumqi"),  # accents written as separate marks
        ("  Inner \u00a0Mongolia\n", "inner mongolia"),
        ("Ma’anshan–Wuhu", "ma'anshan-wuhu"),
    ],
)
def test_fold(written: str, folded: str) -> None:
    assert fold(written) == folded


def test_fold_chars_keeps_offsets_and_agrees_with_fold() -> None:
    text = "«Zürich» — İstanbul… Ürümqi’s\u00a0“Chengdu” ǅemal Straße"
    folded = fold_chars(text)
    assert len(folded) == len(text)
    assert folded[text.index("Ürümqi") :].startswith("urumqi's “chengdu”")
    assert fold(text) == " ".join(folded.split())
