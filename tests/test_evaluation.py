"""Tests of the extraction scorer: both label formats, attribute accuracy, the sealed guard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cppcc_watch.extract.evaluation import evaluate, load_labeled, org_label
from cppcc_watch.extract.types import Entity, Extraction

ROOT = Path(__file__).resolve().parents[1]


def _article(organizations):
    labels = {"provinces": [], "cities": [], "organizations": organizations, "themes": []}
    return {"id": "a", "title": "", "body": "text", "labels": labels}


def _extraction(*organizations: Entity) -> Extraction:
    return Extraction(organizations=list(organizations))


def _same(name: str) -> str:
    return name.lower()


def test_string_and_object_labels_name_the_same_organization():
    assert org_label("Sichuan University").name == "Sichuan University"
    label = org_label(
        {
            "name": "Chengdu Municipal Committee",
            "type": "advisory",
            "province": "Sichuan",
            "city": "Chengdu",
        }
    )
    assert (label.type, label.province, label.city) == ("advisory", "Sichuan", "Chengdu")
    assert org_label({"name": "UN", "type": "international", "province": None}).province is None


def test_organizations_match_by_name_and_attributes_are_scored_on_matches():
    body = _article(
        [
            {"name": "Sichuan University", "type": "academic", "province": None, "city": None},
            {
                "name": "Chengdu Municipal Committee",
                "type": "advisory",
                "province": "Sichuan",
                "city": "Chengdu",
            },
            "Tencent",
        ]
    )
    predicted = _extraction(
        Entity("organization", "Sichuan University", type="academic"),
        Entity(
            "organization",
            "Chengdu Municipal Committee",
            type="party",
            province="Sichuan",
            city="Chengdu",
        ),
        Entity("organization", "Huawei", type="company"),
    )
    result = evaluate([body], extract=lambda *_: predicted, canonical_org=_same)
    score = result.scores["organization"]
    assert (score.tp, score.fp, score.fn) == (2, 1, 1)
    assert (result.attributes["type"].compared, result.attributes["type"].correct) == (2, 1)
    assert (result.attributes["place"].compared, result.attributes["place"].correct) == (1, 1)
    assert result.errors[0].wrong_attributes == [
        "Chengdu Municipal Committee: type party != advisory"
    ]


def test_a_local_body_in_the_wrong_city_is_a_place_error():
    label = {"name": "X Committee", "type": "advisory", "province": "Zhejiang", "city": "Jinhua"}
    predicted = _extraction(
        Entity("organization", "X Committee", type="advisory", province="Zhejiang")
    )
    result = evaluate([_article([label])], extract=lambda *_: predicted, canonical_org=_same)
    assert result.scores["organization"].f1 == 1.0
    assert result.attributes["place"].value == 0.0


def test_a_directory_is_scored_without_its_subdirectories(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(_article(["UN"])), encoding="utf-8")
    (tmp_path / "baseline.json").write_text("{}", encoding="utf-8")
    (tmp_path / "sealed-9").mkdir()
    (tmp_path / "sealed-9" / "two.json").write_text(
        json.dumps({**_article([]), "id": "b"}), encoding="utf-8"
    )
    assert [a["id"] for a in load_labeled(tmp_path)] == ["a"]
    assert [a["id"] for a in load_labeled(tmp_path / "sealed-9")] == ["b"]


def test_the_script_refuses_errors_of_a_sealed_part(tmp_path):
    sealed = tmp_path / "sealed-9"
    sealed.mkdir()
    (sealed / "one.json").write_text(json.dumps(_article([])), encoding="utf-8")
    script = [sys.executable, str(ROOT / "scripts" / "evaluate_extraction.py")]
    refused = subprocess.run(
        [*script, "--labeled", str(sealed), "--errors"], capture_output=True, text=True
    )
    assert refused.returncode == 2 and "sealed" in refused.stderr
    figures = subprocess.run([*script, "--labeled", str(sealed)], capture_output=True, text=True)
    assert figures.returncode == 0 and "(1 articles)" in figures.stdout
