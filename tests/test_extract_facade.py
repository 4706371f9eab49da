"""Tests of extract_entities: offsets, focus, merging, municipalities, bad and huge input."""

from __future__ import annotations

import os
import time

import pytest

from cppcc_watch.extract import extract_entities
from cppcc_watch.extract.facade import default_extractor, snippet
from cppcc_watch.extract.types import Extraction

BODY = (
    "BEIJING -- Members of the CPPCC National Committee visited Chengdu, capital of Sichuan "
    "province, on Monday.\n"
    "\n"
    "The China Association for Science and Technology (CAST) joined the team in Chengdu.\n"
    "CAST experts discussed innovation with officials of Sichuan University."
)


def _by_name(entities):
    return {e.name: e for e in entities}


def test_every_mention_offset_points_at_its_text_in_its_field():
    title = "Political advisors visit Chengdu"
    result = extract_entities(BODY, title)
    fields = {"title": title, "body": BODY}
    mentions = [m for e in result.all() for m in e.mentions]
    assert mentions, "expected some entities"
    for m in mentions:
        assert fields[m.field][m.start : m.end] == m.text
    assert any(m.field == "title" for m in mentions)


def test_snippet_is_collapsed_and_cut_on_word_boundaries():
    text = "word " * 40 + "Chengdu  is\there " + "tail " * 40
    start = text.index("Chengdu")
    piece = snippet(text, start, start + len("Chengdu"))
    assert "Chengdu is here" in piece
    assert piece.startswith("…word") and piece.endswith("tail…")
    assert len(piece) <= 2 * 60 + len("Chengdu") + 2


def test_snippet_stays_in_its_paragraph():
    text = "First paragraph ends here.\nChengdu hosted the forum.\nNext paragraph."
    start = text.index("Chengdu")
    assert snippet(text, start, start + 7) == "Chengdu hosted the forum."


def test_place_in_title_is_focus_and_most_mentioned_is_focus():
    title = "Political advisors visit Sichuan"
    body = (
        "The team met local officials on Monday.\n"
        "They went to Yunnan first, spent two days in Yunnan, and stopped briefly in Guizhou."
    )
    provinces = _by_name(extract_entities(body, title).provinces)
    assert provinces["Sichuan"].focus  # title
    assert provinces["Yunnan"].focus  # most mentioned (2)
    assert not provinces["Guizhou"].focus  # once, outside title and lead


def test_place_in_lead_is_focus_but_dateline_alone_is_not():
    body = (
        "BEIJING -- Political advisors discussed grain output in Henan on Tuesday.\n"
        "Henan, Shandong and Beijing officials attended. Henan farmers were praised."
    )
    provinces = _by_name(extract_entities(body).provinces)
    assert provinces["Henan"].focus
    assert not provinces["Shandong"].focus
    assert not provinces["Beijing"].focus  # dateline + one later mention: 2 < Henan's 3


def test_organization_with_acronym_is_one_entity_with_two_mentions():
    body = (
        "The China Association for Science and Technology (CAST) held a forum on Friday.\n"
        "CAST said it would expand exchanges."
    )
    orgs = _by_name(extract_entities(body).organizations)
    cast = orgs["China Association for Science and Technology"]
    assert cast.count == 2
    assert cast.acronym == "CAST"
    assert [m.text for m in cast.mentions][-1] == "CAST"


def test_municipality_gives_a_province_and_a_city():
    result = extract_entities("New rules for elderly care took effect in Shanghai on Monday.")
    assert [p.name for p in result.provinces] == ["Shanghai"]
    assert [(c.name, c.province) for c in result.cities] == [("Shanghai", "Shanghai")]
    province = result.provinces[0]
    assert province.code == "CN-SH" and province.region and province.latitude is not None


def test_place_inside_an_organization_name_is_not_a_place():
    result = extract_entities("Researchers at Sichuan University published the study.")
    assert result.provinces == []
    assert "Sichuan University" in _by_name(result.organizations)


def test_entities_are_ordered_by_count_then_first_position():
    body = "Gansu and Qinghai signed a pact. Qinghai will host the next meeting, Qinghai said."
    assert [p.name for p in extract_entities(body).provinces] == ["Qinghai", "Gansu"]


def test_empty_text_gives_an_empty_extraction():
    assert extract_entities("") == Extraction()
    assert extract_entities("   \n\n ", "") == Extraction()


def test_non_str_input_is_a_type_error():
    with pytest.raises(TypeError, match="must be str"):
        extract_entities(b"Sichuan")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="title"):
        extract_entities("Sichuan", 5)  # type: ignore[arg-type]


def test_garbage_and_non_english_text_do_not_raise():
    garbage = os.urandom(200_000).decode("utf-8", errors="replace")
    assert isinstance(extract_entities(garbage), Extraction)
    chinese = "全国政协主席王沪宁率队赴四川调研。成都市" * 100
    assert isinstance(extract_entities(chinese, "四川"), Extraction)


def test_twenty_megabytes_of_text_completes():
    default_extractor()  # build the matchers outside the timed part
    filler = "The meeting was held on Monday and officials talked about the plans for next year. "
    paragraph = filler * 6 + "Officials from Chengdu attended.\n"
    body = paragraph * (20_000_000 // len(paragraph) + 1)
    started = time.perf_counter()
    result = extract_entities(body)
    elapsed = time.perf_counter() - started
    assert _by_name(result.cities)["Chengdu"].count == len(body) // len(paragraph)
    assert elapsed < 8


def test_to_json_has_the_keys_of_the_extract_command():
    data = extract_entities(BODY, "Political advisors visit Chengdu").to_json()
    assert set(data) == {"provinces", "cities", "organizations", "themes"}
    city = next(c for c in data["cities"] if c["name"] == "Chengdu")
    assert city["province"] == "Sichuan" and city["mentions"] == 3 and city["focus"] is True
    org = next(o for o in data["organizations"] if o["acronym"] == "CAST")
    assert org["name"] == "China Association for Science and Technology" and org["mentions"] == 2
    assert all({"name", "mentions"} <= set(t) for t in data["themes"])
    assert all(
        set(e["evidence"][0]) >= {"field", "start", "end", "snippet"} for e in data["cities"]
    )
