"""Names as analysts write them, resolved to entities, and source names checked.

Names resolve through the gazetteer, the organization registry and the theme ids, so that any
alias or acronym works ("Tibet" is Xizang, "Xian" is Xi'an, "CAST", "cppcc"); then through the
`entities` table, ignoring case. An unknown name is a `BadInput` naming the closest known names.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from cppcc_watch.errors import BadInput
from cppcc_watch.extract.gazetteer import Gazetteer, fold
from cppcc_watch.extract.organizations import read_registry
from cppcc_watch.extract.themes import THEMES
from cppcc_watch.query.reader import Reader
from cppcc_watch.query.results import EntityRef
from cppcc_watch.store.schema import ARTICLES, ENTITIES, ENTITY_KINDS

#: Folded form -> (canonical name, province) of every name a user may give, per kind.
Forms = dict[str, dict[str, list[tuple[str, str | None]]]]


@dataclass(frozen=True)
class _Known:
    """The names a user may give for each kind: folded form -> canonical name (and province)."""

    forms: Forms

    def lookup(self, kind: str, name: str) -> list[tuple[str, str | None]]:
        return self.forms[kind].get(fold(name), [])


@cache
def _known_names() -> _Known:
    """Every canonical name and alias of the gazetteer, the registry and the themes."""
    forms: Forms = {kind: {} for kind in ENTITY_KINDS}

    def add(kind: str, form: str, value: tuple[str, str | None]) -> None:
        found = forms[kind].setdefault(fold(form), [])
        if value not in found:
            found.append(value)

    gazetteer = Gazetteer.load()
    for province in gazetteer.provinces:
        for form in (province.name, *province.aliases):
            add("province", form, (province.name, None))
    for city in gazetteer.cities:
        for form in (city.name, *city.aliases, *city.guarded):
            add("city", form, (city.name, city.province))
    for entry in read_registry():
        for form in (entry.name, entry.acronym, *entry.aliases):
            if form:
                add("organization", form, (entry.name, None))
    for theme in THEMES:
        add("theme", theme, (theme, None))
        add("theme", theme.replace("_", " "), (theme, None))
    return _Known(forms)


def _theme_form(name: str) -> str:
    """A theme id from the ways people write it ("Food security", "food-security")."""
    return re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")


def check_kind(kind: str | None) -> None:
    """BadInput unless `kind` is None or an entity kind."""
    if kind is not None and kind not in ENTITY_KINDS:
        raise BadInput(f"unknown kind {kind!r}: use one of {', '.join(ENTITY_KINDS)}")


# Built once: these run for every name resolved, where building a statement costs more than
# running it.
_NAMED = select(ENTITIES.c.id).where(
    ENTITIES.c.kind == bindparam("kind"), ENTITIES.c.name == bindparam("name")
)
_NAMED_IN_PROVINCE = _NAMED.where(ENTITIES.c.province == bindparam("province"))
_NAMED_ANY_CASE = select(ENTITIES.c.id, ENTITIES.c.name).where(
    ENTITIES.c.kind == bindparam("kind"),
    or_(
        func.lower(ENTITIES.c.name) == func.lower(bindparam("name")),
        func.lower(ENTITIES.c.acronym) == func.lower(bindparam("name")),
    ),
)
_SOURCE_STORED = select(ARTICLES.c.id).where(ARTICLES.c.source == bindparam("source")).limit(1)


class Names(Reader):
    """Resolving names and sources (the part of `Query` the other queries start from)."""

    def resolve(self, name: str, kind: str | None = None) -> EntityRef:
        """The entity a user's name stands for: any alias or acronym, in any case.

        Without `kind`, provinces are tried first, then cities, organizations and themes. A city
        shared by two provinces (Suzhou) is ambiguous unless written "Suzhou, Jiangsu".
        Unknown names raise BadInput with the closest known names.
        """
        check_kind(kind)
        if not name.strip():
            raise BadInput("an entity name cannot be empty")
        for candidate in [kind] if kind else list(ENTITY_KINDS):
            found = self._resolve_kind(name, candidate)
            if found is not None:
                return found
        raise BadInput(self._unknown_message(name, kind))

    def _resolve_kind(self, name: str, kind: str) -> EntityRef | None:
        city, _, province = name.partition(",") if kind == "city" else (name, "", "")
        known = _known_names().lookup(kind, city)
        if kind == "theme":
            theme = _theme_form(name)
            known = [(theme, None)] if theme in THEMES else []
        if province.strip():
            parent = Gazetteer.load().province(province.strip())
            known = [k for k in known if parent is not None and k[1] == parent.name]
        if len(known) > 1:
            options = "; ".join(f"'{n}, {p}'" for n, p in known)
            raise BadInput(f"{name!r} names {len(known)} cities: write {options}")
        if known:
            canonical, parent_name = known[0]
            return EntityRef(kind, canonical, self._entity_ids(kind, canonical, parent_name))
        stored = self._stored_entities(kind, city.strip())
        if not stored:
            return None
        if len({row.name for row in stored}) > 1:
            names = ", ".join(sorted({row.name for row in stored}))
            raise BadInput(f"{name!r} is ambiguous: {names}")
        return EntityRef(kind, stored[0].name, tuple(row.id for row in stored))

    def _entity_ids(self, kind: str, name: str, province: str | None) -> tuple[int, ...]:
        if province is None:
            rows = self._all(_NAMED, kind=kind, name=name)
        else:
            rows = self._all(_NAMED_IN_PROVINCE, kind=kind, name=name, province=province)
        return tuple(row.id for row in rows)

    def _stored_entities(self, kind: str, name: str) -> list[Any]:
        """Entities of a kind whose name or acronym is `name`, ignoring case (found by crawls)."""
        return self._all(_NAMED_ANY_CASE, kind=kind, name=name)

    def _unknown_message(self, name: str, kind: str | None) -> str:
        kinds = [kind] if kind else list(ENTITY_KINDS)
        names: dict[str, str] = {}
        known = _known_names()
        for each in kinds:
            for values in known.forms[each].values():
                for canonical, _ in values:
                    names.setdefault(fold(canonical), canonical)
            for form, values in known.forms[each].items():
                names.setdefault(form, values[0][0])
        stored = select(ENTITIES.c.name, ENTITIES.c.acronym).where(ENTITIES.c.kind.in_(kinds))
        for row in self._rows(stored):
            names.setdefault(fold(row.name), row.name)
            if row.acronym:
                names.setdefault(fold(row.acronym), row.name)
        wanted = fold(name)
        close = difflib.get_close_matches(wanted, list(names), n=8, cutoff=0.6)
        close += sorted(form for form in names if wanted in form and len(wanted) >= 3)[:8]
        suggestions = list(dict.fromkeys(names[form] for form in close))[:5]
        what = kind or "entity"
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        return f"unknown {what} {name!r}{hint}"

    def _by_source(
        self, source: str | None, column: ColumnElement[Any]
    ) -> list[ColumnElement[bool]]:
        """The condition `column = source` for a known source (else BadInput); none without a
        source. `column` is a summary's or a mention's source."""
        if source is None:
            return []
        return [column == self._known_source(source)]

    def _known_source(self, source: str) -> str:
        """A source name as given, when it is a spider's or stored articles'; else BadInput."""
        from cppcc_watch.sites import SITES

        if source in SITES:
            return source
        if self._all(_SOURCE_STORED, source=source):
            return source
        raise BadInput(f"unknown source {source!r}: use one of {', '.join(SITES)}")
