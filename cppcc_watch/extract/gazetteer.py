"""China's provinces and prefecture-level cities, loaded from the packaged data file.

The data file (data/gazetteer.json) is built by scripts/build_gazetteer.py; this module only reads
it and answers look-ups by name or alias. `Gazetteer.load()` reads the file once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cppcc_watch.extract.folding import fold

DATA_FILE = "gazetteer.json"


@dataclass(frozen=True)
class Province:
    """A provincial-level division: `code` is its ISO 3166-2 code, coordinates are its capital's."""

    name: str
    code: str
    adcode: str
    kind: str
    region: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class City:
    """A municipality or prefecture-level division: `code` is its 6-digit administrative code.

    `aliases` always count as the city; `guarded` aliases (Xian, Jian...) only with a unit word or
    the parent province named in the text; `seat` is the seat's name where it differs (not matched).
    """

    name: str
    province: str
    kind: str
    code: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...]
    guarded: tuple[str, ...] = ()
    seat: str | None = None


class Gazetteer:
    """The provinces and cities, with look-ups by canonical name or any alias."""

    def __init__(self, provinces: list[Province], cities: list[City]) -> None:
        self.provinces = provinces
        self.cities = cities
        self._provinces: dict[str, Province] = {}
        for p in provinces:
            for form in (p.name, *p.aliases):
                self._provinces.setdefault(fold(form), p)
        self._cities: dict[str, list[City]] = {}
        for c in cities:
            for form in dict.fromkeys(fold(f) for f in (c.name, *c.aliases, *c.guarded)):
                self._cities.setdefault(form, []).append(c)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Gazetteer:
        """The packaged gazetteer (cached), or the one in `path` (read each time)."""
        if path is None:
            return _packaged()
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Gazetteer:
        """A gazetteer from the data file's JSON object."""
        provinces = [
            Province(
                name=p["name"],
                code=p["code"],
                adcode=p["adcode"],
                kind=p["kind"],
                region=p["region"],
                latitude=p["latitude"],
                longitude=p["longitude"],
                aliases=tuple(p["aliases"]),
            )
            for p in data["provinces"]
        ]
        cities = [
            City(
                name=c["name"],
                province=c["province"],
                kind=c["kind"],
                code=c["code"],
                latitude=c["latitude"],
                longitude=c["longitude"],
                aliases=tuple(c["aliases"]),
                guarded=tuple(c.get("guarded", ())),
                seat=c.get("seat"),
            )
            for c in data["cities"]
        ]
        return cls(provinces, cities)

    def province(self, name: str) -> Province | None:
        """The province called `name` (canonical name or alias, any case), or None."""
        return self._provinces.get(fold(name))

    def city(self, name: str, province: str | None = None) -> City | None:
        """The city called `name`, or None if unknown or ambiguous without `province`.

        `province` (any name of the province) picks one of the cities sharing a name
        (Suzhou, Taizhou, Fuzhou, Yichun, Yulin).
        """
        candidates = self._cities.get(fold(name), [])
        if province is not None:
            parent = self.province(province)
            candidates = [c for c in candidates if parent is not None and c.province == parent.name]
        return candidates[0] if len(candidates) == 1 else None


@cache
def _packaged() -> Gazetteer:
    text = resources.files("cppcc_watch.extract").joinpath("data", DATA_FILE).read_text("utf-8")
    return Gazetteer.from_json(json.loads(text))
