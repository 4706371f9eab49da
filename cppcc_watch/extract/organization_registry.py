"""The organization registry (data/organizations.tsv): central bodies and the aliases of others.

Each row holds a canonical full English name, an acronym, aliases, a type (docs/ENTITY_RULES.md),
the province and city of a local body, and context aliases (forms that name the body only where
the text names its province or city: "Executive Council" is Hong Kong's only in a text about Hong
Kong). Every form is also known in the ways English coverage writes it:
- a parent written in full or with its acronym: "Political Bureau of the CPC Central Committee",
  "... of the Communist Party of China Central Committee", "... of the Communist Party of China
  (CPC) Central Committee";
- with a session's ordinal: "Standing Committee of the 14th CPPCC National Committee";
- in Title Case, UPPER CASE, lower case (three words or more) and lower case but for its
  acronyms ("committee for handling proposals of the CPPCC National Committee").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from cppcc_watch.extract.types import ORGANIZATION_TYPES

DEFAULT_REGISTRY = Path(__file__).parent / "data" / "organizations.tsv"
# Parents written in full, with "(ACR)", or as the acronym inside other names.
_PARENT_NAMES = (
    "Chinese People's Political Consultative Conference",
    "Communist Party of China",
    "National People's Congress",
)
# Bodies with numbered sessions, and the ordinals they are written with.
_SESSIONED = {
    "CPPCC National Committee": range(8, 17),
    "National Committee of the": range(8, 17),
    "National People's Congress": range(8, 17),
    "NPC": range(8, 17),
    "CPC Central Committee": range(15, 22),
    "Central Committee of the": range(15, 22),
    "Communist Party of China Central Committee": range(15, 22),
}


class RegistryEntry(NamedTuple):
    """One organization of the registry file, as written there ("" where a column is empty)."""

    name: str
    acronym: str
    aliases: list[str]
    type: str
    province: str
    city: str
    context_aliases: list[str]


def read_registry(path: Path = DEFAULT_REGISTRY) -> Iterator[RegistryEntry]:
    """The organizations of a registry file (data/organizations.tsv's format), in file order.

    The one reader of the registry: the matcher builds its automaton from it, and name look-ups
    can take every name and alias from it. Files without the later columns read as "other" with
    no place.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
        next(rows, None)  # the header
        for row in rows:
            if row and row[0].strip():
                name, acronym, aliases, kind, province, city, context = [*row, *[""] * 7][:7]
                yield RegistryEntry(
                    name.strip(),
                    acronym.strip(),
                    _split(aliases),
                    kind.strip() if kind.strip() in ORGANIZATION_TYPES else "other",
                    province.strip(),
                    city.strip(),
                    _split(context),
                )


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split("|") if part.strip()]


@dataclass(frozen=True)
class RegisteredOrg:
    """An organization of the registry: canonical name, acronym, type, place of a local body, and
    the registry organization it is a body of ("... of the CPPCC National Committee")."""

    name: str
    acronym: str | None
    type: str
    province: str | None
    city: str | None
    parent: str | None = None


class Registry:
    """The registry's organizations and every form that names each of them."""

    def __init__(self, path: Path = DEFAULT_REGISTRY) -> None:
        """Read the registry file and expand its forms."""
        entries = list(read_registry(path))
        acronyms = {e.name: e.acronym for e in entries if e.acronym}
        parents = [(name, acronyms[name]) for name in _PARENT_NAMES if name in acronyms]
        parents += [
            (e.name, e.acronym) for e in entries if e.type == "democratic_party" and e.acronym
        ]
        self.orgs: list[RegisteredOrg] = []
        #: form (every case variant) -> index of its organization in `orgs`
        self.by_form: dict[str, int] = {}
        #: context alias -> indices of the organizations it may name
        self.context_forms: dict[str, list[int]] = {}
        #: index -> the places whose mention lets its context aliases count: its province and
        #: city, or the place its name ends with ("Democratic Party (Hong Kong)")
        self.context_places: dict[int, frozenset[str]] = {}
        for entry in entries:
            index = len(self.orgs)
            self.orgs.append(
                RegisteredOrg(
                    entry.name,
                    entry.acronym or None,
                    entry.type,
                    entry.province or None,
                    entry.city or None,
                )
            )
            forms = {entry.name, *entry.aliases}
            for form in _expanded(forms, parents):
                for variant in case_variants(form):
                    self.by_form.setdefault(variant, index)
            if entry.acronym:
                self.by_form.setdefault(entry.acronym, index)
            for form in entry.context_aliases:
                for variant in case_variants(form):
                    self.context_forms.setdefault(variant, []).append(index)
            if entry.context_aliases:
                places = {entry.province, entry.city, *re.findall(r"\(([^)]+)\)$", entry.name)}
                self.context_places[index] = frozenset(places - {""})
        self.orgs = [self._with_parent(org) for org in self.orgs]

    def lookup(self, name: str) -> RegisteredOrg | None:
        """The organization a form names, or None."""
        index = self.by_form.get(name)
        return None if index is None else self.orgs[index]

    def _with_parent(self, org: RegisteredOrg) -> RegisteredOrg:
        match = re.fullmatch(r".+? of the (.+)", org.name)
        parent = self.lookup(match.group(1)) if match else None
        if parent is None or parent.name == org.name:
            return org
        return RegisteredOrg(org.name, org.acronym, org.type, org.province, org.city, parent.name)


def _expanded(forms: set[str], parents: list[tuple[str, str]]) -> set[str]:
    """The forms with each parent also written in full, in full with "(ACR)", or as the acronym
    it is written with; then with the ordinal of a session before a sessioned parent."""
    result = set(forms)
    for name, acronym in parents:
        with_acronym = f"{name} ({acronym})"
        for form in list(result):
            if form in (name, acronym):
                continue
            if f"{name} " in form:
                result.add(form.replace(f"{name} ", f"{with_acronym} ", 1))
            if re.search(rf"(?<![\w-]){re.escape(acronym)} ", form):
                for full in (name, with_acronym):
                    result.add(
                        re.sub(rf"(?<![\w-]){re.escape(acronym)} ", f"{full} ", form, count=1)
                    )
    for form in list(result):
        for parent, numbers in _SESSIONED.items():
            marker = f" of the {parent}"
            if marker in form and not form.startswith(parent):
                for number in numbers:
                    result.add(form.replace(marker, f" of the {_ordinal(number)} {parent}", 1))
    return result


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def case_variants(form: str) -> set[str]:
    """The ways a form is written: as is; for several words also Title Case, UPPER CASE, lower
    case but for its acronyms, (three words or more) all lower case, and a body of a parent in
    lower case before its parent as written ("general office of the CPPCC National Committee")."""
    words = form.split()
    if len(words) < 2:
        return {form}
    variants = {form, form.upper(), " ".join(w[:1].upper() + w[1:] for w in words)}
    if any(w.isupper() and len(w) > 1 for w in words):
        variants.add(" ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words))
    if len(words) >= 3:
        variants.add(form.lower())
    body, of, parent = form.partition(" of the ")
    if of and body:
        variants.add(f"{body.lower()}{of}{parent}")
    return variants
