"""Tests of the packaged gazetteer: counts, fields, look-ups and that it matches its build."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cppcc_watch.extract.gazetteer import Gazetteer

REPO = Path(__file__).resolve().parents[1]

CANONICAL = """Beijing Tianjin Hebei Shanxi Inner-Mongolia Liaoning Jilin Heilongjiang Shanghai
Jiangsu
Zhejiang Anhui Fujian Jiangxi Shandong Henan Hubei Hunan Guangdong Guangxi Hainan Chongqing Sichuan
Guizhou Yunnan Xizang Shaanxi Gansu Qinghai Ningxia Xinjiang Taiwan Hong-Kong Macao"""
REGIONS = {
    "North China",
    "Northeast China",
    "East China",
    "Central China",
    "South China",
    "Southwest China",
    "Northwest China",
}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def test_load_is_cached(gaz: Gazetteer) -> None:
    assert Gazetteer.load() is gaz


def test_34_provinces_with_canonical_names(gaz: Gazetteer) -> None:
    names = [p.name for p in gaz.provinces]
    assert sorted(names) == sorted(n.replace("-", " ") for n in CANONICAL.split())


def test_province_fields(gaz: Gazetteer) -> None:
    codes = {p.code for p in gaz.provinces}
    assert len(codes) == 34 and all(c.startswith("CN-") for c in codes)
    assert {p.region for p in gaz.provinces} == REGIONS
    kinds = Counter(p.kind for p in gaz.provinces)
    assert kinds == {
        "province": 23,
        "autonomous region": 5,
        "municipality": 4,
        "special administrative region": 2,
    }
    for p in gaz.provinces:
        assert 18 < p.latitude < 54 and 73 < p.longitude < 135, p
        assert p.name in p.aliases


@pytest.mark.parametrize(
    ("name", "code", "region"),
    [
        ("Sichuan", "CN-SC", "Southwest China"),
        ("Hong Kong", "CN-HK", "South China"),
        ("Macao", "CN-MO", "South China"),
        ("Taiwan", "CN-TW", "East China"),
        ("Xizang", "CN-XZ", "Southwest China"),
        ("Inner Mongolia", "CN-NM", "North China"),
        ("Shaanxi", "CN-SN", "Northwest China"),
        ("Shanxi", "CN-SX", "North China"),
        ("Jilin", "CN-JL", "Northeast China"),
        ("Henan", "CN-HA", "Central China"),
    ],
)
def test_province_codes_and_regions(gaz: Gazetteer, name: str, code: str, region: str) -> None:
    province = gaz.province(name)
    assert province is not None
    assert (province.code, province.region) == (code, region)


@pytest.mark.parametrize(
    ("surface", "name"),
    [
        ("Tibet", "Xizang"),
        ("Tibet autonomous region", "Xizang"),
        ("Macau", "Macao"),
        ("Hong Kong SAR", "Hong Kong"),
        ("HKSAR", "Hong Kong"),
        ("Hong Kong Special Administrative Region", "Hong Kong"),
        ("Guangxi Zhuang autonomous region", "Guangxi"),
        ("Ningxia Hui Autonomous Region", "Ningxia"),
        ("Xinjiang Uyghur autonomous region", "Xinjiang"),
        ("Xinjiang Uygur autonomous region", "Xinjiang"),
        ("Inner Mongolia autonomous region", "Inner Mongolia"),
        ("sichuan province", "Sichuan"),
        ("Beijing municipality", "Beijing"),
    ],
)
def test_province_aliases(gaz: Gazetteer, surface: str, name: str) -> None:
    province = gaz.province(surface)
    assert province is not None and province.name == name


def test_333_prefecture_level_divisions_plus_4_municipalities(gaz: Gazetteer) -> None:
    kinds = Counter(c.kind for c in gaz.cities)
    assert kinds == {
        "prefecture-level city": 293,
        "autonomous prefecture": 30,
        "prefecture": 7,
        "league": 3,
        "municipality": 4,
    }
    assert sum(n for k, n in kinds.items() if k != "municipality") == 333
    assert len({c.code for c in gaz.cities}) == 337


def test_city_fields(gaz: Gazetteer) -> None:
    provinces = {p.name for p in gaz.provinces}
    for c in gaz.cities:
        assert c.province in provinces - {"Hong Kong", "Macao", "Taiwan"}, c
        assert len(c.code) == 6 and c.code.isdigit(), c
        assert 16 < c.latitude < 54 and 73 < c.longitude < 135, c  # Sansha: 16.8 N
        assert c.aliases or c.guarded, c


@pytest.mark.parametrize(
    ("surface", "province", "name", "parent"),
    [
        ("Chengdu", None, "Chengdu", "Sichuan"),
        ("Xian", None, "Xi'an", "Shaanxi"),
        ("Xi’an", None, "Xi'an", "Shaanxi"),
        ("Ürümqi", None, "Urumqi", "Xinjiang"),
        ("Xiangfan", None, "Xiangyang", "Hubei"),
        ("Simao", None, "Pu'er", "Yunnan"),
        ("Laiwu", None, "Jinan", "Shandong"),
        ("Shigatse", None, "Xigaze", "Xizang"),
        ("Kashi", None, "Kashgar", "Xinjiang"),
        ("Hetian", None, "Hotan", "Xinjiang"),
        ("Kumul", None, "Hami", "Xinjiang"),
        ("Tulufan", None, "Turpan", "Xinjiang"),
        ("Yili", None, "Ili", "Xinjiang"),
        ("Aletai", None, "Altay", "Xinjiang"),
        ("Jilin City", None, "Jilin", "Jilin"),
        ("Hainan prefecture", None, "Hainan", "Qinghai"),
        ("Chongqing", None, "Chongqing", "Chongqing"),
        ("Suzhou", "Anhui", "Suzhou", "Anhui"),
        ("Suzhou", "Jiangsu province", "Suzhou", "Jiangsu"),
        ("Yulin", "Guangxi", "Yulin", "Guangxi"),
    ],
)
def test_city_lookup(
    gaz: Gazetteer, surface: str, province: str | None, name: str, parent: str
) -> None:
    city = gaz.city(surface, province)
    assert city is not None
    assert (city.name, city.province) == (name, parent)


@pytest.mark.parametrize(
    ("name", "provinces"),
    [
        ("Suzhou", {"Jiangsu", "Anhui"}),
        ("Taizhou", {"Jiangsu", "Zhejiang"}),
        ("Fuzhou", {"Fujian", "Jiangxi"}),
        ("Yichun", {"Heilongjiang", "Jiangxi"}),
        ("Yulin", {"Shaanxi", "Guangxi"}),
    ],
)
def test_shared_city_names_are_ambiguous(gaz: Gazetteer, name: str, provinces: set[str]) -> None:
    assert gaz.city(name) is None
    assert {c.province for c in gaz.cities if c.name == name} == provinces
    for province in provinces:
        assert gaz.city(name, province).province == province  # type: ignore[union-attr]


def test_unknown_names(gaz: Gazetteer) -> None:
    assert gaz.province("Atlantis") is None
    assert gaz.city("Paris") is None
    assert gaz.city("Chengdu", province="Hubei") is None


def test_kinds_of_special_units(gaz: Gazetteer) -> None:
    assert gaz.city("Yanbian").kind == "autonomous prefecture"  # type: ignore[union-attr]
    assert gaz.city("Xilingol").kind == "league"  # type: ignore[union-attr]
    assert gaz.city("Ngari").kind == "prefecture"  # type: ignore[union-attr]
    assert gaz.city("Nagqu").kind == "prefecture-level city"  # type: ignore[union-attr]
    assert gaz.city("Xigaze").kind == "prefecture-level city"  # type: ignore[union-attr]


def test_no_county_level_or_merged_units(gaz: Gazetteer) -> None:
    for name in ("Shihezi", "Jiyuan", "Tianmen", "Wenchang", "Korla", "Laiwu city", "Chaohu"):
        city = gaz.city(name)
        assert city is None or city.name == "Jinan", name


def test_data_file_is_the_build_output(tmp_path: Path) -> None:
    out = tmp_path / "gazetteer.json"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_gazetteer.py"), "--output", str(out)],
        check=True,
        capture_output=True,
    )
    packaged = REPO / "cppcc_watch" / "extract" / "data" / "gazetteer.json"
    assert json.loads(out.read_text("utf-8")) == json.loads(packaged.read_text("utf-8"))
