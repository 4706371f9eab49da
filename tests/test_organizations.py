"""Tests of the organization matcher: registry forms, merging, discovery and the rules' traps."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from cppcc_watch.extract.organizations import DEFAULT_REGISTRY, OrganizationMatcher, OrgHit

CPPCC = "Chinese People's Political Consultative Conference"
CAST = "China Association for Science and Technology"


@pytest.fixture(scope="module")
def matcher() -> OrganizationMatcher:
    return OrganizationMatcher()


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> OrganizationMatcher:
    """A matcher with an empty registry: only discovery finds organizations."""
    path = tmp_path_factory.mktemp("registry") / "empty.tsv"
    path.write_text("name\tacronym\taliases\tkind\n", encoding="utf-8")
    return OrganizationMatcher(path)


def names(hits: list[OrgHit]) -> list[str]:
    return [h.name for h in hits]


def article(body: str, title: str = "News") -> str:
    return f"{title}\n{body}"


def test_registry_holds_several_hundred_organizations(matcher: OrganizationMatcher) -> None:
    assert matcher.size >= 300
    assert DEFAULT_REGISTRY.exists()


def test_cast_full_name_and_acronym_are_one_organization_with_two_mentions(
    matcher: OrganizationMatcher,
) -> None:
    text = article(
        "The China Association for Science and Technology (CAST) held a forum. "
        "CAST will fund 100 projects."
    )
    hits = matcher.find(text)
    assert names(hits) == [CAST, CAST]
    assert [h.acronym for h in hits] == ["CAST", "CAST"]
    assert [h.text for h in hits] == [CAST, "CAST"]
    assert text[hits[0].start : hits[0].end] == CAST


@pytest.mark.parametrize(
    "form",
    [
        "Chinese People's Political Consultative Conference",
        "CPPCC",
        "CPPCC National Committee",
        "National Committee of the CPPCC",
        "National Committee of the Chinese People's Political Consultative Conference",
    ],
)
def test_cppcc_forms_merge(matcher: OrganizationMatcher, form: str) -> None:
    hits = matcher.find(article(f"Members of the {form} met on Monday."))
    assert [(h.text, h.name, h.acronym) for h in hits] == [(form, CPPCC, "CPPCC")]


def test_cpc_and_cpc_central_committee_are_distinct(matcher: OrganizationMatcher) -> None:
    text = article(
        "The Communist Party of China (CPC) leads. The CPC Central Committee met, and the "
        "Central Committee of the Communist Party of China issued a circular. The CPC said so."
    )
    found = names(matcher.find(text))
    party, central = "Communist Party of China", "Central Committee of the Communist Party of China"
    assert found == [party, central, central, party]


@pytest.mark.parametrize(
    "body",
    [
        "The team visited relevant government departments and local authorities.",
        "Universities should cooperate with industrial associations.",
        "Universities and international science and technology organizations took part.",
        "Government departments at all levels must act.",
        "The Standing Committee met, and the Provincial Government agreed.",
    ],
)
def test_generic_references_are_not_organizations(
    matcher: OrganizationMatcher, bare: OrganizationMatcher, body: str
) -> None:
    assert matcher.find(article(body)) == []
    assert bare.find(article(body)) == []


@pytest.mark.parametrize(
    "body",
    [
        "The Belt and Road Initiative (BRI) has grown.",
        "Targets of the 14th Five-Year Plan were met during the two sessions.",
        "The Government Work Report sets a growth target.",
        "The Global Development Initiative (GDI) was welcomed.",
        "The Greater Bay Area (GBA) is growing.",
    ],
)
def test_initiatives_plans_and_documents_are_not_organizations(
    matcher: OrganizationMatcher, body: str
) -> None:
    assert matcher.find(article(body)) == []


def test_resolution_title_yields_only_the_body_that_adopted_it(
    matcher: OrganizationMatcher,
) -> None:
    text = article("The Resolution of the CPC Central Committee on Some Major Issues was adopted.")
    hits = matcher.find(text)
    assert [h.text for h in hits] == ["CPC Central Committee"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Scholars from Sichuan University attended.", ["Sichuan University"]),
        ("Xi'an Jiaotong University hosted the talks.", ["Xi'an Jiaotong University"]),
        ("The Shaanxi Provincial Government said.", ["People's Government of Shaanxi Province"]),
        (
            "Experts of the Chinese Academy of Agricultural Sciences spoke.",
            ["Chinese Academy of Agricultural Sciences"],
        ),
        (
            "Doctors at Tongji Hospital and Union Hospital agreed.",
            ["Tongji Hospital", "Union Hospital"],
        ),
        (
            "The National Development and Reform Commission said.",
            ["National Development and Reform Commission"],
        ),
        (
            "The Ministry of Commerce and Ministry of Finance agreed.",
            ["Ministry of Commerce", "Ministry of Finance"],
        ),
    ],
)
def test_discovery_without_registry(
    bare: OrganizationMatcher, body: str, expected: list[str]
) -> None:
    assert names(bare.find(article(body))) == expected


def test_provincial_cppcc_committee_forms_merge(matcher: OrganizationMatcher) -> None:
    text = article(
        "The CPPCC Sichuan Provincial Committee met. Members of the Sichuan Provincial Committee "
        "of the CPPCC and the CPPCC National Committee attended."
    )
    hits = matcher.find(text)
    provincial = f"Sichuan Provincial Committee of the {CPPCC}"
    assert [h.text for h in hits] == [
        "CPPCC Sichuan Provincial Committee",
        "Sichuan Provincial Committee of the CPPCC",
        "CPPCC National Committee",
    ]
    assert names(hits) == [provincial, provincial, CPPCC]


def test_un_matches_whole_words_only(matcher: OrganizationMatcher) -> None:
    text = article("The unity of UNESCO and the UN. Under the plan, who knows? WHO does.")
    hits = matcher.find(text)
    assert [h.text for h in hits] == ["UNESCO", "UN", "WHO"]
    assert names(hits)[1] == "United Nations"


def test_acronym_definition_is_discovered_and_reused(bare: OrganizationMatcher) -> None:
    text = article(
        "The Zhongguancun Frontier Research Institute (ZFRI) opened. ZFRI employs 300 people; "
        "the ZFRI board met."
    )
    hits = bare.find(text)
    name = "Zhongguancun Frontier Research Institute"
    assert [(h.text, h.name, h.acronym) for h in hits] == [
        (name, name, "ZFRI"),
        ("ZFRI", name, "ZFRI"),
        ("ZFRI", name, "ZFRI"),
    ]


def test_acronym_used_in_title_before_definition_counts(bare: OrganizationMatcher) -> None:
    text = "ZFRI opens in Beijing\nThe Zhongguancun Frontier Research Institute (ZFRI) opened."
    hits = bare.find(text)
    assert [h.text for h in hits] == ["ZFRI", "Zhongguancun Frontier Research Institute"]
    assert {h.acronym for h in hits} == {"ZFRI"}


def test_text_definition_overrides_registry_acronym(matcher: OrganizationMatcher) -> None:
    text = article("The Chengdu Advanced Space Institute (CAST) opened. CAST has 50 staff.")
    hits = matcher.find(text)
    assert names(hits) == ["Chengdu Advanced Space Institute"] * 2


@pytest.mark.parametrize(
    "body",
    [
        "Universities should train more engineers.",
        "The Committee decided to act.",
        "Last year Party committees were told to report.",
    ],
)
def test_sentence_initial_generic_words(bare: OrganizationMatcher, body: str) -> None:
    assert bare.find(article(body)) == []


def test_leading_function_words_are_not_part_of_the_name(bare: OrganizationMatcher) -> None:
    hits = bare.find(article("At Lanzhou University, students met. The Lanzhou University said."))
    assert [h.text for h in hits] == ["Lanzhou University", "Lanzhou University"]


def test_names_joined_by_and_are_split(matcher: OrganizationMatcher) -> None:
    text = article(
        "Peking University and Tsinghua University signed with Tencent and Lanzhou University."
    )
    assert [h.text for h in matcher.find(text)] == [
        "Peking University",
        "Tsinghua University",
        "Tencent",
        "Lanzhou University",
    ]


def test_name_continuation_stops_at_dates_and_people(matcher: OrganizationMatcher) -> None:
    text = article(
        "Members met at Beijing Normal University on Thursday. Vice-chairman of the National "
        "Committee of the CPPCC Shi Taifeng spoke."
    )
    assert [h.text for h in matcher.find(text)] == [
        "Beijing Normal University",
        "National Committee of the CPPCC",
    ]


def test_xinhua_dateline_is_the_agency(matcher: OrganizationMatcher) -> None:
    hits = matcher.find(article("BEIJING, March 3 (Xinhua) -- The State Council met."))
    assert [(h.text, h.name) for h in hits] == [
        ("Xinhua", "Xinhua News Agency"),
        ("State Council", "State Council"),
    ]


def test_country_names_are_not_organizations(matcher: OrganizationMatcher) -> None:
    assert matcher.find(article("China and the United States, Japan and France held talks.")) == []


def test_title_case_headline_is_not_a_discovered_name(bare: OrganizationMatcher) -> None:
    text = "Top Advisor Meets Delegation From Lanzhou University\nThe talks went well."
    assert bare.find(text) == []


def test_long_names_match_in_other_cases(matcher: OrganizationMatcher) -> None:
    text = article("NATIONAL DEVELOPMENT AND REFORM COMMISSION; Ministry Of Science And Technology")
    assert names(matcher.find(text)) == [
        "National Development and Reform Commission",
        "Ministry of Science and Technology",
    ]


def test_hits_do_not_overlap_and_are_in_order(matcher: OrganizationMatcher) -> None:
    text = article(
        "The Standing Committee of the Political Bureau of the CPC Central Committee met with "
        "the Chairperson's Council of the CPPCC National Committee."
    )
    hits = matcher.find(text)
    assert len(hits) == 2
    assert all(a.end <= b.start for a, b in itertools.pairwise(hits))


def test_custom_registry_file(tmp_path: Path) -> None:
    path = tmp_path / "orgs.tsv"
    path.write_text(
        "# comment\nname\tacronym\taliases\tkind\nExample Trust\tET\tThe Trust Co\tcompany\n",
        encoding="utf-8",
    )
    hits = OrganizationMatcher(path).find(article("ET and The Trust Co agreed; etc."))
    assert [(h.text, h.name) for h in hits] == [
        ("ET", "Example Trust"),
        ("The Trust Co", "Example Trust"),
    ]


def test_outside_possessive_is_not_part_of_the_name(matcher: OrganizationMatcher) -> None:
    text = article(
        "China's Ministry of Commerce and the Chinese Academy of Sciences' Institute of Geology "
        "and Geophysics met the Chengdu Municipal People's Government."
    )
    assert [h.text for h in matcher.find(text)] == [
        "Ministry of Commerce",
        "Chinese Academy of Sciences",
        "Institute of Geology and Geophysics",
        "Chengdu Municipal People's Government",
    ]


def test_one_large_text_is_processed_in_linear_time(matcher: OrganizationMatcher) -> None:
    paragraph = (
        "The China Association for Science and Technology (CAST) and Xi'an Jiaotong University "
        "met the CPPCC Sichuan Provincial Committee; CAST and the UN agreed.\n"
    )
    text = paragraph * (2_000_000 // len(paragraph))
    started = time.perf_counter()
    hits = matcher.find(text)
    assert time.perf_counter() - started < 5
    assert len(hits) == 5 * text.count("\n")  # the "(CAST)" definition is one mention


def test_event_word_as_a_modifier_and_of_continuations(
    bare: OrganizationMatcher, matcher: OrganizationMatcher
) -> None:
    text = article(
        "The International World Games Association said the venue, the National Convention "
        "Center, was ready. Graduates of Wuhan University of Technology volunteered."
    )
    found = names(bare.find(text))
    assert "International World Games Association" in found
    assert "Wuhan University of Technology" in found
    assert not any("Convention" in name for name in found)
    # the registry knows "Wuhan University"; the longer name still wins
    assert "Wuhan University of Technology" in names(matcher.find(text))
    assert "Wuhan University" not in names(matcher.find(text))


WUHAN_TECH = "Wuhan University of Technology"
SICHUAN_SE = "Sichuan University of Science and Engineering"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            f"Experts from {WUHAN_TECH} and {SICHUAN_SE} attended.",
            [WUHAN_TECH, SICHUAN_SE],
        ),
        (f"{SICHUAN_SE} and {WUHAN_TECH} signed.", [SICHUAN_SE, WUHAN_TECH]),
        (
            "Tsinghua University and Peking University signed.",
            ["Tsinghua University", "Peking University"],
        ),
        (
            "the Ministry of Science and Technology and the Ministry of Education met.",
            ["Ministry of Science and Technology", "Ministry of Education"],
        ),
        (
            "the Ministry of Science and Technology and Ministry of Education met.",
            ["Ministry of Science and Technology", "Ministry of Education"],
        ),
        (
            "He studied at the University of Science and Technology of China and Wuhan University.",
            ["University of Science and Technology of China", "Wuhan University"],
        ),
        ("He studied at Wuhan University.", ["Wuhan University"]),
        (
            "Wuhan University and Wuhan University of Technology met.",
            ["Wuhan University", WUHAN_TECH],
        ),
        (
            "Peking University Health Science Center opened.",
            ["Peking University Health Science Center"],
        ),
        (
            "Nanjing University of Aeronautics and Astronautics and Harbin Institute of Technology",
            [
                "Nanjing University of Aeronautics and Astronautics",
                "Harbin Institute of Technology",
            ],
        ),
        (
            "Shanghai University of Finance and Economics and Beijing Language and Culture "
            "University met.",
            [
                "Shanghai University of Finance and Economics",
                "Beijing Language and Culture University",
            ],
        ),
        (
            "China Association for Science and Technology and Lanzhou Jiaotong University met.",
            [CAST, "Lanzhou Jiaotong University"],
        ),
        (
            "The Ministry of Water Resources and Yellow River Conservancy Commission met.",
            ["Ministry of Water Resources", "Yellow River Conservancy Commission"],
        ),
        (
            "The director of Hong Kong and Macao Affairs Office spoke.",
            ["Hong Kong and Macao Affairs Office"],
        ),
    ],
)
def test_names_with_of_and_parts_joined_by_and(
    bare: OrganizationMatcher, matcher: OrganizationMatcher, body: str, expected: list[str]
) -> None:
    """ "X University of A and B and Y University": the second "and" separates the names."""
    # discovery alone, then with the registry (which knows "Wuhan University", not the longer name)
    assert [h.text for h in bare.find(article(body))] == expected
    assert [h.text for h in matcher.find(article(body))] == expected


def test_registry_names_joined_by_and(matcher: OrganizationMatcher) -> None:
    text = article("The Chinese Academy of Sciences and Chinese Academy of Engineering elected.")
    assert names(matcher.find(text)) == [
        "Chinese Academy of Sciences",
        "Chinese Academy of Engineering",
    ]
    text = article("Wuhan University of Technology, not Wuhan University.")
    assert names(matcher.find(text)) == [WUHAN_TECH, "Wuhan University"]
