"""The result types of entity extraction, shared by the extractors, the store and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The kinds of entity, in the order the tool lists them: the one definition, which the database
#: schema, the CLI and the report import.
ENTITY_KINDS = ("province", "city", "organization", "theme")
#: The types of organization (docs/ENTITY_RULES.md, "organization").
ORGANIZATION_TYPES = (
    "party",
    "legislature",
    "advisory",
    "government",
    "democratic_party",
    "people_org",
    "academic",
    "media",
    "company",
    "international",
    "other",
)


@dataclass(frozen=True)
class Mention:
    """Where an entity was found: offsets into `field` ("title" or "body") and a context snippet."""

    start: int
    end: int
    text: str
    snippet: str
    field: str = "body"


@dataclass
class Entity:
    """One entity found in a text, with every mention of it.

    `name` is the canonical name (a theme's id for themes). Attributes that do not apply to the
    kind stay None: `province` is a city's parent province, or the province a local organization
    belongs to; `city` the prefecture-level city a local organization belongs to; `type` an
    organization's type (ORGANIZATION_TYPES); `code` an ISO 3166-2 code for provinces (an
    administrative code for cities), `acronym` an organization's acronym; `score` and `cues` a
    theme's evidence (how much the text discusses it, and the cues that fired).
    """

    kind: str
    name: str
    mentions: list[Mention] = field(default_factory=list)
    focus: bool = False
    acronym: str | None = None
    type: str | None = None
    province: str | None = None
    city: str | None = None
    code: str | None = None
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    score: float | None = None
    cues: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        """How many times the entity is mentioned."""
        return len(self.mentions)

    def to_json(self) -> dict[str, Any]:
        """The entity as the `extract` command prints it (docs/SPEC.md §5)."""
        data: dict[str, Any] = {"name": self.name, "mentions": self.count}
        if self.kind == "city":
            data["province"] = self.province
        if self.kind == "organization":
            data.update(
                acronym=self.acronym, type=self.type, province=self.province, city=self.city
            )
        if self.kind == "theme":
            data.update(score=self.score, cues=list(self.cues))
        if self.kind in ("province", "city"):
            data.update(
                focus=self.focus,
                code=self.code,
                latitude=self.latitude,
                longitude=self.longitude,
            )
            if self.kind == "province":
                data["region"] = self.region
        data["evidence"] = [
            {"field": m.field, "start": m.start, "end": m.end, "text": m.text, "snippet": m.snippet}
            for m in self.mentions
        ]
        return data


@dataclass
class Extraction:
    """All entities of one text, by kind."""

    provinces: list[Entity] = field(default_factory=list)
    cities: list[Entity] = field(default_factory=list)
    organizations: list[Entity] = field(default_factory=list)
    themes: list[Entity] = field(default_factory=list)

    def all(self) -> list[Entity]:
        """Every entity, of every kind."""
        return [*self.provinces, *self.cities, *self.organizations, *self.themes]

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON object of the `extract` command (docs/SPEC.md §5)."""
        return {
            "provinces": [e.to_json() for e in self.provinces],
            "cities": [e.to_json() for e in self.cities],
            "organizations": [e.to_json() for e in self.organizations],
            "themes": [e.to_json() for e in self.themes],
        }
