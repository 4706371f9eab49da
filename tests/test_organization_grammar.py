"""Tests of local and subordinate bodies: place + level + body, plurals, nesting, one entity."""

from __future__ import annotations

import pytest

from cppcc_watch.extract import extract_entities

CPPCC = "Chinese People's Political Consultative Conference"
CPC = "Communist Party of China"


def organizations(text: str) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Name -> (type, province, city) of every organization of `text`."""
    return {e.name: (e.type, e.province, e.city) for e in extract_entities(text).organizations}


def places(text: str) -> list[str]:
    result = extract_entities(text)
    return [e.name for e in [*result.provinces, *result.cities]]


@pytest.mark.parametrize(
    "text",
    [
        "The Sichuan Provincial Committee of the CPPCC held a session.",
        "The CPPCC Sichuan Provincial Committee held a session.",
        "The Sichuan Provincial Political Consultative Conference held a session.",
        "The Sichuan Provincial CPPCC held a session.",
        "The Sichuan Provincial Committee of the Chinese People's Political Consultative "
        "Conference (CPPCC) held a session.",
    ],
)
def test_one_local_committee_however_written(text: str) -> None:
    name = f"Sichuan Provincial Committee of the {CPPCC}"
    assert organizations(text) == {name: ("advisory", "Sichuan", None)}
    assert places(text) == []


def test_coordinated_plural_is_one_body_per_place_and_no_place_mention() -> None:
    text = (
        "Members of the Yunnan, Guizhou and Sichuan provincial committees of the CPPCC met in "
        "Kunming, Yunnan province."
    )
    found = organizations(text)
    assert found == {
        f"{p} Provincial Committee of the {CPPCC}": ("advisory", p, None)
        for p in ("Yunnan", "Guizhou", "Sichuan")
    }
    assert sorted(places(text)) == ["Kunming", "Yunnan"]  # from "Kunming, Yunnan province"


def test_plural_governments_and_plain_lists_of_places() -> None:
    assert organizations("The Jiangsu and Zhejiang provincial governments signed a pact.") == {
        "People's Government of Jiangsu Province": ("government", "Jiangsu", None),
        "People's Government of Zhejiang Province": ("government", "Zhejiang", None),
    }
    text = "Officials from Yunnan, Guizhou and Sichuan provinces attended."
    assert organizations(text) == {}
    assert places(text) == ["Yunnan", "Guizhou", "Sichuan"]


@pytest.mark.parametrize(
    ("text", "name", "kind", "province", "city"),
    [
        (
            "The Standing Committee of the Hunan Provincial People's Congress adopted it.",
            "Standing Committee of the Hunan Provincial People's Congress",
            "legislature",
            "Hunan",
            None,
        ),
        (
            "The Leading Party Members' Group of the Sichuan Provincial Committee of the CPPCC "
            "met.",
            f"Leading Party Members' Group of the Sichuan Provincial Committee of the {CPPCC}",
            "party",
            "Sichuan",
            None,
        ),
        (
            "The Health Commission of Xinjiang Uygur Autonomous Region said on Monday.",
            "Health Commission of Xinjiang Uygur Autonomous Region",
            "government",
            "Xinjiang",
            None,
        ),
        (
            "The Inner Mongolia Autonomous Regional Committee of the CPC met.",
            f"Inner Mongolia Autonomous Regional Committee of the {CPC}",
            "party",
            "Inner Mongolia",
            None,
        ),
        (
            "The Chengdu Municipal Committee of the CPPCC met.",
            f"Chengdu Municipal Committee of the {CPPCC}",
            "advisory",
            "Sichuan",
            "Chengdu",
        ),
        (
            "The Shaanxi Provincial Department of Education said.",
            "Shaanxi Provincial Department of Education",
            "government",
            "Shaanxi",
            None,
        ),
        (
            "The Hainan provincial government said.",
            "People's Government of Hainan Province",
            "government",
            "Hainan",
            None,
        ),
        (
            "The Jiangsu Provincial Committee of the China Democratic League met.",
            "Jiangsu Provincial Committee of the China Democratic League",
            "democratic_party",
            "Jiangsu",
            None,
        ),
        (
            "The Beijing Municipal People's Congress met.",
            "Beijing Municipal People's Congress",
            "legislature",
            "Beijing",
            "Beijing",
        ),
    ],
)
def test_local_and_nested_bodies(
    text: str, name: str, kind: str, province: str | None, city: str | None
) -> None:
    assert organizations(text) == {name: (kind, province, city)}
    assert places(text) == []


def test_politburo_standing_committee_is_one_organization() -> None:
    text = (
        "Wang Huning, a member of the Standing Committee of the Political Bureau of the "
        "Communist Party of China (CPC) Central Committee, spoke. The CPC Central Committee "
        "issued a circular."
    )
    assert set(organizations(text)) == {
        f"Standing Committee of the Political Bureau of the Central Committee of the {CPC}",
        f"Central Committee of the {CPC}",
    }


def test_a_county_takes_its_place_from_its_sentence() -> None:
    text = (
        "Wuyi county in Jinhua, Zhejiang province, is known for its hot springs. The Wuyi "
        "County Committee of the CPPCC held a meeting."
    )
    name = f"Wuyi County Committee of the {CPPCC}"
    assert organizations(text) == {name: ("advisory", "Zhejiang", "Jinhua")}
    assert sorted(places(text)) == ["Jinhua", "Zhejiang"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The National Assembly of Zambia sent a delegation.", "National Assembly of Zambia"),
        ("The Ministry of Transport of Kazakhstan signed.", "Ministry of Transport of Kazakhstan"),
        ("A Pakistani Senate delegation arrived.", "Pakistani Senate"),
    ],
)
def test_foreign_parliaments_and_ministries_are_international(text: str, name: str) -> None:
    assert organizations(text) == {name: ("international", None, None)}


def test_a_democratic_party_and_its_central_committee_are_two() -> None:
    text = (
        "The Central Committee of the China Democratic League held a forum. The China "
        "Democratic League (CDL), one of China's eight non-Communist parties, was founded in "
        "1941. The CDL Central Committee said."
    )
    assert set(organizations(text)) == {
        "Central Committee of the China Democratic League",
        "China Democratic League",
    }


def test_names_that_only_look_local() -> None:
    text = "Sichuan University and the Shanghai Cooperation Organization met in Sichuan."
    assert set(organizations(text)) == {"Sichuan University", "Shanghai Cooperation Organization"}
    assert places(text) == ["Sichuan"]
    assert organizations("The Ningbo committee met in Ningbo.") == {}


def test_a_context_alias_needs_its_place() -> None:
    assert organizations("The Executive Council met on Tuesday.") == {
        "Executive Council": ("government", None, None)
    }
    assert organizations("In Hong Kong, the Executive Council met.") == {
        "Executive Council of the Hong Kong Special Administrative Region": (
            "government",
            "Hong Kong",
            None,
        )
    }


def test_plurals_written_before_the_places() -> None:
    text = (
        "Representatives of the CPPCC committees of Anhui, Jiangxi and Shanxi provinces and the "
        "Guangdong provincial and Zhuhai municipal committees of the CPPCC spoke."
    )
    assert organizations(text) == {
        f"Anhui Provincial Committee of the {CPPCC}": ("advisory", "Anhui", None),
        f"Jiangxi Provincial Committee of the {CPPCC}": ("advisory", "Jiangxi", None),
        f"Shanxi Provincial Committee of the {CPPCC}": ("advisory", "Shanxi", None),
        f"Guangdong Provincial Committee of the {CPPCC}": ("advisory", "Guangdong", None),
        f"Zhuhai Municipal Committee of the {CPPCC}": ("advisory", "Guangdong", "Zhuhai"),
    }
    assert places(text) == []


def test_bodies_inside_bodies_at_several_levels() -> None:
    text = (
        "The standing committees of the Sichuan Provincial People's Congress and the Chongqing "
        "Municipal People's Congress adopted the rules. Chen Lin, director of the legislative "
        "affairs commission of the Standing Committee of the Sichuan Provincial People's "
        "Congress, said."
    )
    sichuan = "Standing Committee of the Sichuan Provincial People's Congress"
    assert organizations(text) == {
        sichuan: ("legislature", "Sichuan", None),
        "Standing Committee of the Chongqing Municipal People's Congress": (
            "legislature",
            "Chongqing",
            "Chongqing",
        ),
        f"Legislative Affairs Commission of the {sichuan}": ("legislature", "Sichuan", None),
    }


def test_names_joined_by_and_the_are_two() -> None:
    text = (
        "Officials of the Guizhou Provincial Department of Education and the Guizhou Provincial "
        "Committee of the China Democratic League attended."
    )
    assert set(organizations(text)) == {
        "Guizhou Provincial Department of Education",
        "Guizhou Provincial Committee of the China Democratic League",
    }


def test_credits_name_no_organization_and_embassies_are_named_in_full() -> None:
    text = (
        "Members visit a farm in Hunan on Monday. [Photo by Li Hua/China Daily]\n"
        "A counselor at the Egyptian embassy in Beijing said. [Photo/Xinhua]"
    )
    assert organizations(text) == {"Embassy of Egypt in China": ("international", None, None)}


def test_a_place_before_a_registry_institute_makes_another_body() -> None:
    text = "Researchers at the Kunming Institute of Botany, Chinese Academy of Sciences, said."
    assert organizations(text) == {
        "Kunming Institute of Botany, Chinese Academy of Sciences": ("academic", None, None)
    }
    assert places(text) == []


def test_a_party_group_of_the_cppcc_is_named_with_its_national_committee() -> None:
    text = (
        "Wang Huning, secretary of the Leading Party Members' Group of the CPPCC National Committee"
    )
    assert organizations(text) == {
        "Leading Party Members' Group of the CPPCC National Committee": ("party", None, None)
    }
