"""Tests of place matching: every trap of docs/ENTITY_RULES.md and the sources' NOTICE, one each."""

from __future__ import annotations

import pytest

from cppcc_watch.extract.folding import fold_chars
from cppcc_watch.extract.gazetteer import Gazetteer
from cppcc_watch.extract.places import PlaceHit, PlaceMatcher

ALL_KINDS = (
    "municipality",
    "prefecture-level city",
    "autonomous prefecture",
    "prefecture",
    "league",
)


@pytest.fixture(scope="module")
def matcher() -> PlaceMatcher:
    return PlaceMatcher()


def provinces(hits: list[PlaceHit]) -> list[str]:
    return [h.name for h in hits if h.kind == "province"]


def cities(hits: list[PlaceHit]) -> list[tuple[str, str | None]]:
    return [(h.name, h.province) for h in hits if h.kind == "city"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sichuan is in the west.", ["Sichuan"]),
        ("in Sichuan province", ["Sichuan"]),
        ("Southwest China's Sichuan province", ["Sichuan"]),
        ("Sichuan's output", ["Sichuan"]),
        ("Sichuan’s output", ["Sichuan"]),
        ("Guangxi Zhuang autonomous region", ["Guangxi"]),
        ("Ningxia Hui autonomous region", ["Ningxia"]),
        ("Xinjiang Uyghur Autonomous Region", ["Xinjiang"]),
        ("Inner Mongolia autonomous region", ["Inner Mongolia"]),
        ("Hong Kong SAR and the HKSAR", ["Hong Kong", "Hong Kong"]),
        ("Hong Kong Special Administrative Region", ["Hong Kong"]),
        ("Macau and Macao SAR", ["Macao", "Macao"]),
        ("Tibet and Xizang autonomous region", ["Xizang", "Xizang"]),
        ("Tibet Autonomous Region", ["Xizang"]),
        ("Taiwan region", ["Taiwan"]),
        ("Shaanxi and Shanxi", ["Shaanxi", "Shanxi"]),
        ("Jilin and Hainan", ["Jilin", "Hainan"]),
        ("Beijing-Tianjin-Hebei region", ["Beijing", "Tianjin", "Hebei"]),
        ("the Guangdong-Hong Kong-Macao Greater Bay Area", ["Guangdong", "Hong Kong", "Macao"]),
    ],
)
def test_province_forms(matcher: PlaceMatcher, text: str, expected: list[str]) -> None:
    assert provinces(matcher.find(text)) == expected


def test_longest_form_is_one_hit_with_offsets(matcher: PlaceMatcher) -> None:
    text = "Title\nIt is in Inner Mongolia autonomous region, north."
    (hit,) = matcher.find(text)
    assert (hit.kind, hit.name, hit.province) == ("province", "Inner Mongolia", None)
    assert text[hit.start : hit.end] == hit.text == "Inner Mongolia autonomous region"


def test_regional_prefix_is_not_in_the_span(matcher: PlaceMatcher) -> None:
    (hit,) = matcher.find("Southwest China's Sichuan province")
    assert hit.text == "Sichuan province"


@pytest.mark.parametrize("name", ["Beijing", "Tianjin", "Shanghai", "Chongqing"])
def test_municipality_is_province_and_city_on_one_span(matcher: PlaceMatcher, name: str) -> None:
    hits = matcher.find(f"A meeting in {name} on Monday.")
    assert [(h.kind, h.name, h.province) for h in hits] == [
        ("province", name, None),
        ("city", name, name),
    ]
    assert hits[0].start == hits[1].start and hits[0].end == hits[1].end


@pytest.mark.parametrize(
    ("text", "expected_cities"),
    [
        ("Chengdu hosted the games.", [("Chengdu", "Sichuan")]),
        ("Xi'an and Xi’an", [("Xi'an", "Shaanxi"), ("Xi'an", "Shaanxi")]),
        ("Ürümqi and Urumqi", [("Urumqi", "Xinjiang"), ("Urumqi", "Xinjiang")]),
        ("Xiangfan is now Xiangyang", [("Xiangyang", "Hubei"), ("Xiangyang", "Hubei")]),
        ("Shigatse, or Xigaze", [("Xigaze", "Xizang"), ("Xigaze", "Xizang")]),
        ("Karamay and Turpan", [("Karamay", "Xinjiang"), ("Turpan", "Xinjiang")]),
        ("Kumul, or Hami", [("Hami", "Xinjiang"), ("Hami", "Xinjiang")]),
        ("Lhasa and Hohhot", [("Lhasa", "Xizang"), ("Hohhot", "Inner Mongolia")]),
        ("Ma'anshan steel", [("Ma'anshan", "Anhui")]),
    ],
)
def test_city_forms(
    matcher: PlaceMatcher, text: str, expected_cities: list[tuple[str, str]]
) -> None:
    hits = matcher.find(text)
    assert cities(hits) == expected_cities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yanbian Korean autonomous prefecture", ("Yanbian", "Jilin")),
        ("Xilingol League", ("Xilingol", "Inner Mongolia")),
        ("Hainan Tibetan autonomous prefecture", ("Hainan", "Qinghai")),
        ("the Ili Kazak autonomous prefecture", ("Ili", "Xinjiang")),
        ("Ngari prefecture", ("Ngari", "Xizang")),
        ("Xishuangbanna", ("Xishuangbanna", "Yunnan")),
    ],
)
def test_prefectures_and_leagues_are_cities_only_on_request(
    matcher: PlaceMatcher, text: str, expected: tuple[str, str]
) -> None:
    assert cities(matcher.find(text)) == []
    everything = PlaceMatcher(city_kinds=ALL_KINDS)
    assert cities(everything.find(text)) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BEIJING -- The meeting opened.", ["Beijing"]),
        ("Title\nHONG KONG — Lawmakers met.", ["Hong Kong"]),
        ("XINING, Dec 3 (Xinhua) -- Snow fell.", []),
        ("The BEIJING office", []),
    ],
)
def test_all_caps_datelines(matcher: PlaceMatcher, text: str, expected: list[str]) -> None:
    assert provinces(matcher.find(text)) == expected


def test_all_caps_city_dateline(matcher: PlaceMatcher) -> None:
    assert cities(matcher.find("XINING, Dec 3 (Xinhua) -- Snow fell.")) == [("Xining", "Qinghai")]


def test_city_does_not_imply_its_province(matcher: PlaceMatcher) -> None:
    hits = matcher.find("Chengdu and Wuhan are large.")
    assert provinces(hits) == []
    assert cities(hits) == [("Chengdu", "Sichuan"), ("Wuhan", "Hubei")]


@pytest.mark.parametrize(
    ("text", "expected_provinces", "expected_cities"),
    [
        ("Jilin is cold.", ["Jilin"], []),
        ("Jilin City is cold.", [], [("Jilin", "Jilin")]),
        ("in Jilin city, Jilin province", ["Jilin"], [("Jilin", "Jilin")]),
        ("Hainan is warm.", ["Hainan"], []),
        ("Hainan Tibetan autonomous prefecture", [], []),  # not a city, not the province
        ("Hainan prefecture in Qinghai", ["Qinghai"], []),
    ],
)
def test_province_names_shared_with_cities(
    matcher: PlaceMatcher,
    text: str,
    expected_provinces: list[str],
    expected_cities: list[tuple[str, str]],
) -> None:
    hits = matcher.find(text)
    assert provinces(hits) == expected_provinces
    assert cities(hits) == expected_cities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Suzhou, Jiangsu province, is rich.", ("Suzhou", "Jiangsu")),
        ("Suzhou in Anhui is poorer.", ("Suzhou", "Anhui")),
        ("Anhui's Suzhou is poorer.", ("Suzhou", "Anhui")),
        ("Taizhou, Zhejiang", ("Taizhou", "Zhejiang")),
        ("Fuzhou, capital of Fujian province", ("Fuzhou", "Fujian")),
        ("Fuzhou (Jiangxi) farmers", ("Fuzhou", "Jiangxi")),
        ("Yichun, in the north of Heilongjiang", ("Yichun", "Heilongjiang")),
        ("Yulin in Shaanxi has coal.", ("Yulin", "Shaanxi")),
        ("Yulin, Guangxi Zhuang autonomous region", ("Yulin", "Guangxi")),
        (
            "Officials from Guangxi met.\n" + "x " * 80 + "\nYulin lychees sold well.",
            ("Yulin", "Guangxi"),
        ),
        ("Suzhou, Jiangsu and Taizhou, Zhejiang", ("Taizhou", "Zhejiang")),
    ],
)
def test_shared_city_names_resolved_by_context(
    matcher: PlaceMatcher, text: str, expected: tuple[str, str]
) -> None:
    assert expected in cities(matcher.find(text))


@pytest.mark.parametrize(
    "text",
    [
        "Suzhou is famous for its gardens.",  # no province: no well-known default
        "Jiangsu and Anhui both have a city named Suzhou.",  # both provinces nearby
        "Taizhou\n" + "y " * 80 + "\nJiangsu and Zhejiang signed a pact.",  # both, elsewhere
        "Fuzhou in Hunan",  # a province that is not a candidate
    ],
)
def test_unresolved_shared_names_are_left_out(matcher: PlaceMatcher, text: str) -> None:
    hits = matcher.find(text)
    assert all(h.province is not None for h in hits if h.kind == "city")
    assert [h for h in hits if h.name in {"Suzhou", "Taizhou", "Fuzhou"}] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Xian Jiaotong spoke.", []),
        ("Jian Wang, a researcher, said.", []),
        ("Yanan and Luan are names.", []),
        ("Taian Li visited.", []),
        ("Xian city", [("Xi'an", "Shaanxi")]),
        ("Xian City", [("Xi'an", "Shaanxi")]),
        ("Jian city is green", [("Ji'an", "Jiangxi")]),
        ("Xian, the capital of Shaanxi", [("Xi'an", "Shaanxi")]),
        ("Yanan, Shaanxi province", [("Yan'an", "Shaanxi")]),
        ("Jian in Jiangxi", [("Ji'an", "Jiangxi")]),
        ("Luan, Anhui", [("Lu'an", "Anhui")]),
        ("Taian in Shandong", [("Tai'an", "Shandong")]),
        ("Xi'an, Ji'an, Yan'an, Lu'an", [("Xi'an", "Shaanxi"), ("Ji'an", "Jiangxi"),
                                        ("Yan'an", "Shaanxi"), ("Lu'an", "Anhui")]),
        ("Ji’an and Lu’an", [("Ji'an", "Jiangxi"), ("Lu'an", "Anhui")]),
    ],
)  # fmt: skip
def test_guarded_names(matcher: PlaceMatcher, text: str, expected: list[tuple[str, str]]) -> None:
    assert cities(matcher.find(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "He studied at Sichuan University.",
        "Beijing Normal University",
        "the Shaanxi Provincial Government said",
        "Xi'an Jiaotong University",
        "CPPCC Sichuan Provincial Committee",
        "the Shanghai Cooperation Organization",
        "Peking University",
        "Hainan Airlines flights",
        "the University of Hong Kong",
        "People's Government of Sichuan Province",
        "the Guangdong Provincial People's Congress",
        "Shenzhen Stock Exchange.",
        "The Beijing News reported",
        "Xinjiang Production and Construction Corps",
        "Harbin Institute of Technology",
    ],
)
def test_places_inside_organization_names(matcher: PlaceMatcher, text: str) -> None:
    assert matcher.find(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chief Executive of the Hong Kong SAR", ["Hong Kong"]),
        ("the capital of Sichuan", ["Sichuan"]),
        ("Sichuan's provincial government", ["Sichuan"]),
        ("the Sichuan provincial committee", ["Sichuan"]),
        ("Beijing-based experts", ["Beijing"]),
    ],
)
def test_places_next_to_organization_words(
    matcher: PlaceMatcher, text: str, expected: list[str]
) -> None:
    assert provinces(matcher.find(text)) == expected


def test_exclude_spans(matcher: PlaceMatcher) -> None:
    text = "The Chengdu Giant Panda Base and Chengdu itself."
    hits = matcher.find(text, exclude=[(4, 26)])
    assert [(h.start, h.name) for h in hits] == [(33, "Chengdu")]
    assert matcher.find(text, exclude=[(0, len(text))]) == []


def test_title_case_headline_is_not_an_organization(matcher: PlaceMatcher) -> None:
    hits = matcher.find("Chongqing Unveils Plan For New Science Center\nBody.")
    assert provinces(hits) == ["Chongqing"]


@pytest.mark.parametrize(
    "text",
    [
        "the Chaoyang district of Beijing",
        "Baoshan District in Shanghai",
        "Wuzhong district, Suzhou",
        "the Qinghai-Tibet Plateau",
        "Qinghai-Xizang Plateau",
        "Mount Huangshan",
        "Hami melons",
        "Lanzhou New Area",
        "Nujiang River",
        "Altay Mountains",
        "Wuxi county",
    ],
)
def test_districts_and_features_are_not_the_place(matcher: PlaceMatcher, text: str) -> None:
    first = text.split()[0] if not text.startswith("the ") else text.split()[1]
    hits = matcher.find(text)
    assert all(not text[h.start :].startswith(first.split("-")[0]) for h in hits), hits


@pytest.mark.parametrize(
    "text",
    [
        "Li Changchun attended.",
        "Chen Jining, Party chief",
        "Wang Jiaxing said",
        "Liu Yichun, a farmer",
        "Jinhua Li said.",
        "Zhang Anyang's paper",
    ],
)
def test_person_names_are_not_places(matcher: PlaceMatcher, text: str) -> None:
    assert cities(matcher.find(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "the shanghai report",  # lowercase
        "ILI cases rose",  # all caps, not an acronym form
        "an ABA member",
        "Hainanese chicken",  # not a whole word
        "Sichuanese",
        "Mongolia and Ulaanbaatar",  # the country, not Inner Mongolia
        "Tibetan culture",
    ],
)
def test_non_mentions(matcher: PlaceMatcher, text: str) -> None:
    assert matcher.find(text) == []


def test_county_level_and_foreign_cities_are_not_cities(matcher: PlaceMatcher) -> None:
    assert matcher.find("Korla, Yiwu, Kunshan, Shihezi, Paris and Taipei") == []


def test_offsets_survive_non_ascii_text(matcher: PlaceMatcher) -> None:
    text = "«Zürich» — İstanbul… Ürümqi’s “Chengdu”"
    hits = matcher.find(text)
    assert [text[h.start : h.end] for h in hits] == ["Ürümqi", "Chengdu"]
    assert len(fold_chars(text)) == len(text)


def test_custom_gazetteer() -> None:
    gaz = Gazetteer.load()
    small = Gazetteer([p for p in gaz.provinces if p.name == "Sichuan"], [])
    assert provinces(PlaceMatcher(small).find("Sichuan and Yunnan")) == ["Sichuan"]


def test_hits_are_in_text_order(matcher: PlaceMatcher) -> None:
    text = "Yunnan, then Guangzhou, then Hebei and Shanghai."
    hits = matcher.find(text)
    assert [h.start for h in hits] == sorted(h.start for h in hits)
    assert [h.name for h in hits] == ["Yunnan", "Guangzhou", "Hebei", "Shanghai", "Shanghai"]
