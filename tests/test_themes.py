"""Tests of the theme matcher: every theme fires on a clear sentence, none on a neutral one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cppcc_watch.extract.themes import THEMES, ThemeMatcher, normalize


@pytest.fixture(scope="module")
def matcher() -> ThemeMatcher:
    return ThemeMatcher()


CLEAR = {
    "science_technology": "Academicians called for more basic research and AI applications.",
    "international_cooperation": "The delegation pledged closer international exchanges.",
    "belt_and_road": "Trade along the Belt and Road kept rising.",
    "global_governance": "He urged reform of the global governance system and multilateralism.",
    "climate_change": "The city aims at carbon peaking before 2030.",
    "food_security": "Grain output hit a record, securing food security.",
    "energy_security": "Renewables now supply a third of the power grid.",
    "reform_modernization": "The plenum discussed Chinese modernization.",
    "economic_development": "New quality productive forces drive high-quality development.",
    "rural_revitalization": "Villagers benefit from rural revitalization.",
    "ecology_environment": "The county stepped up pollution control and biodiversity work.",
    "education_talent": "Vocational education trains skilled workers.",
    "health": "Public health services reach remote hospitals.",
    "livelihood": "Elderly care and childcare were top concerns.",
    "culture_tourism": "Intangible cultural heritage attracts tourists.",
    "social_governance": "Grassroots governance improved in the district.",
    "whole_process_democracy": "Political consultation and democratic supervision were praised.",
    "hk_macao_taiwan": "He backed 'one country, two systems' and cross-Strait exchanges.",
    "ethnic_religious_affairs": "Ethnic unity and religious affairs were discussed.",
    "rule_of_law": "The plenary stressed the rule of law and anti-corruption.",
    "regional_development": "The Greater Bay Area leads coordinated regional development.",
}


def test_there_are_21_themes_in_rules_order() -> None:
    assert len(THEMES) == 21
    assert THEMES[0] == "science_technology"
    assert THEMES[-1] == "regional_development"
    assert set(CLEAR) == set(THEMES)


@pytest.mark.parametrize("theme", THEMES)
def test_each_theme_fires_on_a_clear_sentence(matcher: ThemeMatcher, theme: str) -> None:
    assert theme in matcher.themes(CLEAR[theme])


def test_every_theme_has_cues(matcher: ThemeMatcher) -> None:
    counts = matcher.cue_counts()
    assert set(counts) == set(THEMES)
    assert min(counts.values()) >= 15


def test_neutral_sentence_fires_no_theme(matcher: ThemeMatcher) -> None:
    text = "The meeting was held in the city on Monday, and he said it went well."
    assert matcher.find(text) == []


@pytest.mark.parametrize(
    ("text", "theme", "cue"),
    [
        ("Three innovations were shown.", "science_technology", "innovations"),
        ("Both grain harvests rose.", "food_security", "grain harvests"),
        ("Cross-Strait ties", "hk_macao_taiwan", "Cross-Strait"),
        ("cross strait ties", "hk_macao_taiwan", "cross strait"),
        ("City clusters grew.", "regional_development", "City clusters"),
        ("RURAL AREAS", "rural_revitalization", "RURAL AREAS"),
        ("the kindergartens' plans", "education_talent", "kindergartens"),
        ("people’s livelihood", "livelihood", "people’s livelihood"),
    ],
)
def test_plural_case_and_punctuation_variants(
    matcher: ThemeMatcher, text: str, theme: str, cue: str
) -> None:
    hits = matcher.find(text)
    assert [(h.theme, h.text) for h in hits] == [(theme, cue)]
    assert text[hits[0].start : hits[0].end] == cue


def test_whole_words_only(matcher: ThemeMatcher) -> None:
    assert matcher.find("He said the artisanal maintenance was fine.") == []
    assert matcher.find("Traders said the coalition held.") == []


def test_exact_cues_are_case_sensitive(matcher: ThemeMatcher) -> None:
    assert matcher.themes("AI chips") == ["science_technology"]
    assert matcher.find("Ai Qing wrote poems") == []


def test_longest_cue_wins_over_cues_inside_it(matcher: ThemeMatcher) -> None:
    hits = matcher.find("The seed industry grew.")
    assert [(h.text, h.theme) for h in hits] == [("seed industry", "food_security")]


def test_one_cue_can_signal_two_themes(matcher: ThemeMatcher) -> None:
    hits = matcher.find("A new community health center opened.")
    assert {h.theme for h in hits} == {"health", "social_governance"}


def test_a_lone_weak_cue_does_not_make_the_theme(matcher: ThemeMatcher) -> None:
    assert [h.weak for h in matcher.find("Both panda cubs were in good health.")] == [True]
    assert matcher.themes("Both panda cubs were in good health.") == []
    assert matcher.themes("Good health needs more hospitals.") == ["health"]
    assert matcher.themes("Public health matters.") == ["health"]


def test_stop_phrases_block_cues(matcher: ThemeMatcher) -> None:
    assert matcher.find("a state-of-the-art plant") == []


def test_cues_inside_excluded_spans_do_not_count(matcher: ThemeMatcher) -> None:
    text = "The Ministry of Science and Technology said the CPPCC inspection went well."
    org = (4, 38)
    assert text[org[0] : org[1]] == "Ministry of Science and Technology"
    assert "science_technology" in matcher.themes(text)
    kept = matcher.find(text, exclude=[org, (text.index("CPPCC"), text.index("CPPCC") + 5)])
    assert [(h.text, h.theme) for h in kept] == [("CPPCC inspection", "whole_process_democracy")]


def test_offsets_point_into_the_original_text(matcher: ThemeMatcher) -> None:
    text = "Title: Grain!\nBody — İstanbul talks on food security."
    for hit in matcher.find(text):
        assert text[hit.start : hit.end] == hit.text
    assert len(normalize(text)) == len(text)


def test_custom_cue_file_rejects_unknown_themes(tmp_path: Path) -> None:
    path = tmp_path / "cues.tsv"
    path.write_text("theme\tcue\tflags\nnot_a_theme\tfoo\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not_a_theme"):
        ThemeMatcher(path)


def test_one_large_text_is_processed_quickly(matcher: ThemeMatcher) -> None:
    paragraph = "Grain output and rural revitalization; AI research and the rule of law.\n"
    text = paragraph * (2_000_000 // len(paragraph))
    started = time.perf_counter()
    hits = matcher.find(text)
    assert time.perf_counter() - started < 5
    assert len(hits) == 5 * text.count("\n")


def _themes_of(body: str, title: str = "") -> dict[str, object]:
    from cppcc_watch.extract import extract_entities

    return {e.name: e for e in extract_entities(body, title).themes}


def test_issues_named_in_passing_are_no_theme() -> None:
    body = (
        "The two sides agreed to work together on global challenges, including climate change, "
        "food security and energy security.\n"
        "They also discussed cooperation in trade, agriculture and tourism.\n"
        "The talks were held in a friendly atmosphere."
    )
    found = _themes_of(body, "Leaders hold talks in Beijing")
    for theme in ("climate_change", "food_security", "energy_security", "culture_tourism"):
        assert theme not in found


def test_a_theme_discussed_is_kept_with_its_evidence() -> None:
    body = "\n".join(
        [
            "Carbon neutrality is the goal of a new plan released on Monday.",
            "The province will cut carbon emissions from its steel plants by 30 percent, and "
            "climate change adaptation will be part of every city's plan.",
            *["The plan has many parts."] * 5,
            "The city also said it would welcome more tourism next year.",
        ]
    )
    found = _themes_of(body, "Province unveils plan to fight climate change")
    climate = found["climate_change"]
    assert climate.score is not None and climate.score > 3
    assert "climate change" in climate.cues and "carbon emissions" in climate.cues
    assert "culture_tourism" not in found  # one word, once, deep in a long text: in passing


def test_a_report_of_political_consultation_is_whole_process_democracy() -> None:
    body = (
        "A team of CPPCC National Committee members visited three cities in Gansu province from "
        "May 12 to 16 to survey water use in the Hexi Corridor.\n"
        "Team members suggested stricter quotas for farms."
    )
    found = _themes_of(body, "Advisors look at water use in Gansu")
    assert "whole_process_democracy" in found
    assert {"survey", "suggested"} <= set(found["whole_process_democracy"].cues)
    assert "whole_process_democracy" not in _themes_of("Farmers suggested stricter quotas.")


def test_title_and_lead_weigh_more_than_the_body() -> None:
    long_body = "\n".join(["The meeting went on."] * 6)
    assert "culture_tourism" in _themes_of(long_body, "Tourism on the agenda")
    late = long_body + "\nThe meeting went on, and then tourism came up."
    assert "culture_tourism" not in _themes_of(late)


def test_a_foreign_country_in_the_lead_points_to_international_cooperation() -> None:
    body = (
        "A CPPCC delegation visited Kazakhstan from September 2 to 5 and met leaders of the "
        "Senate.\nThe delegation also visited a wind farm."
    )
    assert "international_cooperation" in _themes_of(body, "CPPCC delegation visits Kazakhstan")
    assert "international_cooperation" not in _themes_of(
        "Wind farms in Inner Mongolia produced more power.", "Inner Mongolia power"
    )
