"""Build cppcc_watch/extract/data/gazetteer.json from the source extracts and the curated aliases.

Inputs (sources and licences in data-sources/gazetteer/NOTICE.md and
cppcc_watch/extract/data/NOTICE.md):
- data-sources/gazetteer/gb2260-prefectures.csv: the 333 prefecture-level divisions
  (GB/T 2260 codes, Chinese names, parent province); placeholder rows are dropped.
- data-sources/gazetteer/cpca-adcodes-province-prefecture.csv: seat coordinates (GCJ-02) of
  provinces and prefectures; 那曲 is still listed under its pre-2018 code 5424 there.
- data-sources/gazetteer/geonames-admin2-CN-*.tsv: GeoNames romanizations, used only as a
  cross-check of the curated names (several are stale or wrong, see KNOWN_GEONAMES_ERRORS).
- cppcc_watch/report/data/china-provinces.geojson: ISO 3166-2 codes of the 34 provinces.
- cppcc_watch/extract/data/aliases_places.tsv: canonical English names and aliases (hand-curated).

Run: .venv/bin/python scripts/build_gazetteer.py [--sources DIR] [--output FILE]; it fails loudly
on any inconsistency (counts, missing coordinates, unexpected name collisions) instead of writing
bad data.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from cppcc_watch.extract.folding import fold

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "cppcc_watch" / "extract" / "data"
ALIASES = DATA / "aliases_places.tsv"
OUTPUT = DATA / "gazetteer.json"
PROVINCES = REPO / "cppcc_watch" / "report" / "data" / "china-provinces.geojson"
SOURCES = REPO / "data-sources" / "gazetteer"

PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
MUNICIPALITIES = {"11", "12", "31", "50"}
SARS = {"81", "82"}

# China Daily's regions (source NOTICE); Hong Kong and Macao are placed in South China and Taiwan
# in East China, as in the PRC's own six-region convention (华南 includes HK/Macao, 华东 Taiwan).
REGIONS = {
    "North China": ["Beijing", "Tianjin", "Hebei", "Shanxi", "Inner Mongolia"],
    "Northeast China": ["Liaoning", "Jilin", "Heilongjiang"],
    "East China": [
        "Shanghai",
        "Jiangsu",
        "Zhejiang",
        "Anhui",
        "Fujian",
        "Jiangxi",
        "Shandong",
        "Taiwan",
    ],
    "Central China": ["Henan", "Hubei", "Hunan"],
    "South China": ["Guangdong", "Guangxi", "Hainan", "Hong Kong", "Macao"],
    "Southwest China": ["Chongqing", "Sichuan", "Guizhou", "Yunnan", "Xizang"],
    "Northwest China": ["Shaanxi", "Gansu", "Qinghai", "Ningxia", "Xinjiang"],
}

# GeoNames admin2 names (unit words stripped, normalized) that are wrong or not used in English
# news; checked by hand against GB/T 2260 and China Daily usage.
KNOWN_GEONAMES_ERRORS = {
    "1509": "wulanchabu is kept as alias; listed for completeness",
    "4205": "yichangshi: 'Shi' glued to the name",
    "4310": "prefecture of chenzhou: odd word order",
    "5202": "lupanshui: misspelling of Liupanshui",
    "5334": "deqen tibetan autonomous prefecture: kept as alias 'Deqen'",
    "6528": "bayinguoleng menggu: pinyin ethnic word, alias is 'Bayinguoleng'",
    "6530": "qizilsu (2021 vintage): not used in English news, which writes Kizilsu",
    "6531": "kaxgar (2021 vintage): Uyghur Latin spelling, English news writes Kashgar/Kashi",
}

UNIT_WORDS = re.compile(
    r"\b(autonomous|special administrative region|sar|hksar|region|league|prefecture|city)\b",
    re.IGNORECASE,
)
GEONAMES_SUFFIX = re.compile(
    r"\s+(shi|diqu|zizhizhou|meng|prefecture|county|region|city|municipality)$", re.IGNORECASE
)


def read_gb2260(path: Path) -> list[dict[str, str]]:
    """The prefecture-level rows of GB/T 2260, placeholders dropped."""
    with path.open(encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if row["name"] not in PLACEHOLDERS]


def read_coordinates(path: Path) -> dict[str, tuple[float, float]]:
    """Seat coordinates by 4-digit code (provinces: 2 digits + "00"), as (latitude, longitude)."""
    coords: dict[str, tuple[float, float]] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["latitude"] and row["longitude"]:
                coords[row["adcode"][:4]] = (
                    round(float(row["latitude"]), 5),
                    round(float(row["longitude"]), 5),
                )
    # 那曲 became a prefecture-level city (5406) in 2018; cpca's 2020 data keeps the old 5424.
    coords.setdefault("5406", coords["5424"])
    return coords


def read_iso_codes(path: Path) -> dict[str, str]:
    """ISO 3166-2 code by canonical province name, from the provinces GeoJSON."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["name"]: f["properties"]["iso_3166_2"] for f in features}


def read_geonames_admin2(paths: list[Path]) -> dict[str, set[str]]:
    """GeoNames names by 4-digit GB code (rows keyed by a GeoNames id are county-level: skipped)."""
    names: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            code, name = line.split("\t")[:2]
            gb = code.split(".")[-1]
            if len(gb) == 4:
                names[gb].add(name)
    return names


def read_aliases(path: Path) -> dict[str, dict[str, Any]]:
    """The curated table, by GB code."""
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    table: dict[str, dict[str, Any]] = {}
    for row in csv.DictReader(rows, delimiter="\t"):

        def split(value: str | None) -> list[str]:
            return [v.strip() for v in (value or "").split("|") if v.strip()]

        table[row["code"]] = {
            "name": row["name"],
            "aliases": split(row["aliases"]),
            "guarded": split(row["guarded"]),
            "flags": split(row["flags"]),
            "seat": row["seat"] or None,
        }
    return table


def province_kind(code: str, chinese: str) -> str:
    """Kind of a provincial-level division."""
    if code in MUNICIPALITIES:
        return "municipality"
    if code in SARS:
        return "special administrative region"
    if chinese.endswith("自治区"):
        return "autonomous region"
    return "province"


def city_kind(chinese: str) -> str:
    """Kind of a prefecture-level division, from its Chinese unit word."""
    if chinese.endswith("自治州"):
        return "autonomous prefecture"
    if chinese.endswith("地区"):
        return "prefecture"
    if chinese.endswith("盟"):
        return "league"
    if chinese.endswith("市"):
        return "prefecture-level city"
    raise ValueError(f"unknown unit word in {chinese!r}")


def unit_forms(base: str, kind: str) -> list[str]:
    """Surface forms of a name with its unit word ("Sichuan province", "Xi'an city"...)."""
    units = {
        "province": ["province"],
        "autonomous region": ["autonomous region", "region"],
        "municipality": ["municipality", "city"],
        "special administrative region": ["SAR", "Special Administrative Region"],
        "prefecture-level city": ["city"],
        "autonomous prefecture": ["autonomous prefecture", "prefecture"],
        "prefecture": ["prefecture"],
        "league": ["league"],
    }[kind]
    return [f"{base} {unit}" for unit in units]


def surface_forms(entry: dict[str, Any], kind: str) -> tuple[list[str], list[str]]:
    """(aliases, guarded aliases) of a curated entry, unit-word and apostrophe-less forms added."""
    bases = [entry["name"], *(a for a in entry["aliases"] if not UNIT_WORDS.search(a))]
    if "'" in entry["name"] and not entry["guarded"]:
        bases.append(entry["name"].replace("'", ""))
    forms = [] if "unit-only" in entry["flags"] else list(bases)
    forms += [a for a in entry["aliases"] if a not in forms]
    for base in [*bases, *entry["guarded"]]:
        forms += unit_forms(base, kind)
    if kind == "special administrative region" and entry["name"] == "Hong Kong":
        forms.append("HKSAR")
    return list(dict.fromkeys(forms)), list(entry["guarded"])


def build(src: Path) -> dict[str, Any]:
    """Assemble the gazetteer from the extracts in `src` and check it.

    Raises SystemExit with a message on any problem.
    """
    gb = read_gb2260(src / "gb2260-prefectures.csv")
    coords = read_coordinates(src / "cpca-adcodes-province-prefecture.csv")
    iso = read_iso_codes(PROVINCES)
    curated = read_aliases(ALIASES)
    chinese_provinces = _chinese_province_names(src / "cpca-adcodes-province-prefecture.csv")
    region_of = {p: region for region, names in REGIONS.items() for p in names}

    problems: list[str] = []
    provinces = []
    for code in sorted(c for c in curated if len(c) == 2):
        entry = curated[code]
        kind = province_kind(code, chinese_provinces[code])
        aliases, guarded = surface_forms(entry, kind)
        lat, lon = coords[code + "00"]
        provinces.append(
            {
                "name": entry["name"],
                "code": iso[entry["name"]],
                "adcode": code + "0000",
                "kind": kind,
                "region": region_of[entry["name"]],
                "latitude": lat,
                "longitude": lon,
                "aliases": aliases,
            }
        )
    by_code = {p["adcode"][:2]: p for p in provinces}

    cities = []
    for code in sorted(MUNICIPALITIES):
        province = by_code[code]
        cities.append(
            {
                "name": province["name"],
                "province": province["name"],
                "kind": "municipality",
                "code": province["adcode"],
                "latitude": province["latitude"],
                "longitude": province["longitude"],
                "aliases": list(province["aliases"]),
                "guarded": [],
                "seat": None,
            }
        )
    for row in gb:
        code = row["code"]
        if code not in curated:
            problems.append(f"{code} {row['name']}: no curated English name")
            continue
        entry = curated[code]
        kind = city_kind(row["name"])
        aliases, guarded = surface_forms(entry, kind)
        if code not in coords:
            problems.append(f"{code} {row['name']}: no coordinates")
            continue
        lat, lon = coords[code]
        cities.append(
            {
                "name": entry["name"],
                "province": by_code[row["provinceCode"]]["name"],
                "kind": kind,
                "code": code + "00",
                "chinese": row["name"],
                "latitude": lat,
                "longitude": lon,
                "aliases": aliases,
                "guarded": guarded,
                "seat": entry["seat"],
            }
        )
    extra = sorted(c for c in curated if len(c) == 4 and c not in {r["code"] for r in gb})
    problems += [f"{c}: curated but not in GB/T 2260" for c in extra]
    problems += _check_counts(provinces, cities)
    problems += _check_collisions(provinces, cities)
    problems += _check_geonames(cities, src)
    if problems:
        raise SystemExit("gazetteer build failed:\n  " + "\n  ".join(problems))
    return {
        "about": "Provincial- and prefecture-level divisions of China; built by "
        "scripts/build_gazetteer.py, sources and licences in NOTICE.md. Coordinates: seat of "
        "the government (capital for provinces), GCJ-02 as published, ~0.5 km precision.",
        "provinces": provinces,
        "cities": cities,
    }


def _chinese_province_names(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        return {
            r["adcode"][:2]: r["name"] for r in csv.DictReader(fh) if r["adcode"][2:] == "0" * 10
        }


def _check_counts(provinces: list[dict[str, Any]], cities: list[dict[str, Any]]) -> list[str]:
    problems = []
    kinds: dict[str, int] = defaultdict(int)
    for city in cities:
        kinds[city["kind"]] += 1
    expected = {
        "prefecture-level city": 293,
        "autonomous prefecture": 30,
        "prefecture": 7,
        "league": 3,
        "municipality": 4,
    }
    if len(provinces) != 34:
        problems.append(f"{len(provinces)} provinces, expected 34")
    if dict(kinds) != expected:
        problems.append(f"city kinds {dict(kinds)}, expected {expected}")
    if len({p["code"] for p in provinces}) != 34:
        problems.append("ISO codes are not unique")
    return problems


# Names that legitimately stand for more than one record (resolved by the matcher).
EXPECTED_COLLISIONS = {"suzhou", "taizhou", "fuzhou", "yichun", "yulin"}


def _check_collisions(provinces: list[dict[str, Any]], cities: list[dict[str, Any]]) -> list[str]:
    owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for p in provinces:
        for form in p["aliases"]:
            owners[fold(form)].add(("province", p["name"]))
    for c in cities:
        if c["kind"] == "municipality":
            continue
        for form in [*c["aliases"], *c["guarded"]]:
            owners[fold(form)].add(("city", f"{c['name']}/{c['province']}"))
    problems = []
    for form, who in sorted(owners.items()):
        if len(who) > 1 and form.split()[0] not in EXPECTED_COLLISIONS:
            problems.append(f"surface form {form!r} is shared by {sorted(who)}")
    missing = EXPECTED_COLLISIONS - {f for f, who in owners.items() if len(who) == 2}
    if missing:
        problems.append(f"expected shared names not found: {sorted(missing)}")
    return problems


def _check_geonames(cities: list[dict[str, Any]], src: Path) -> list[str]:
    names = read_geonames_admin2(sorted(src.glob("geonames-admin2-CN-*.tsv")))
    problems = []
    for city in cities:
        code = city["code"][:4]
        if city["kind"] == "municipality" or code in KNOWN_GEONAMES_ERRORS:
            continue
        forms = {fold(f) for f in [*city["aliases"], *city["guarded"], city["name"]]}
        for name in names.get(code, set()):
            short = GEONAMES_SUFFIX.sub("", fold(name))
            if re.search(r"autonomous|zizhizhou", fold(name)):
                short = short.split()[0]  # "Yanbian Chaoxianzu Zizhizhou" -> "yanbian"
            if not any(f == short or f.startswith(short + " ") for f in forms):
                problems.append(f"{code} {city['name']}: GeoNames name {name!r} not covered")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Build and write the gazetteer; print a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sources", type=Path, default=SOURCES, help="the folder of the source extracts"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    gazetteer = build(args.sources)
    text = json.dumps(gazetteer, ensure_ascii=False, indent=1) + "\n"
    args.output.write_text(text, encoding="utf-8")
    n_forms = sum(len(r["aliases"]) for r in [*gazetteer["provinces"], *gazetteer["cities"]])
    print(
        f"wrote {args.output}: {len(gazetteer['provinces'])} provinces, "
        f"{len(gazetteer['cities'])} cities, {n_forms} surface forms",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
