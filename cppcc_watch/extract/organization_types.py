"""The type of an organization found by discovery, from the words of its name.

docs/ENTITY_RULES.md gives each organization a type: party (CPC bodies), legislature, advisory
(CPPCC bodies), government, democratic_party, people_org, academic, media, company,
international (UN bodies, foreign governments and parliaments), other. Registry organizations
carry theirs in data/organizations.tsv and local bodies get theirs from the grammar
(organization_grammar.py); names found only by discovery ("Xidian University", "Maonan Food
Factory", "Ministry of Transport of Kazakhstan") are typed here by their head word, the last
organization word before any "of ..." part, and by the country they name.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import ahocorasick

_HEAD_TYPES = {
    "academic": """University Universities College Academy Institute Institutes School Laboratory
        Lab Conservatory Polytechnic Observatory""",
    "government": """Ministry Ministries Commission Bureau Administration Department Office
        Agency Authority Court Procuratorate Government Customs Police Secretariat Directorate
        Embassy Consulate""",
    "legislature": "Congress Parliament Senate Assembly Duma Legislature Majlis Knesset Rada",
    "people_org": "Association Federation Society League Chamber Union Foundation Alliance",
    "company": """Group Company Companies Corporation Corp Co Ltd Limited Inc Holdings Bank
        Exchange Brewery Winery Factory Guesthouse Cooperative Plant Motors Airlines
        Technologies Fund""",
    "media": "Daily Times Press News Television TV Radio Agency",
    "other": """Hospital Museum Library Army Farm Troupe Orchestra Club Team Front Corps Party
        Committee Council Center Centre""",
}
HEAD_TYPE = {word: kind for kind, words in _HEAD_TYPES.items() for word in words.split()}
# Heads whose type depends on the words before them.
_RESEARCH_CENTER = re.compile(r"\b(?:Research|Studies|Science|Innovation)\b")
_NEWS_AGENCY = re.compile(r"\bNews Agency$")
_FOREIGN_TYPES = frozenset({"government", "legislature"})
_INTERNATIONAL_PREFIXES = ("International ", "World ", "Asian ", "Global ", "Asia-Pacific ")


def organization_type(name: str) -> str:
    """The type of an organization called `name`, judged from its head word and the country it
    names (a foreign government or parliament is `international`)."""
    words = name.replace(",", " ").split()
    head = _head(words)
    kind = HEAD_TYPE.get(head, "other")
    if head in ("Center", "Centre"):
        kind = "academic" if _RESEARCH_CENTER.search(name) else "government"
    elif head == "Council":
        kind = _council_type(words)
    elif head == "Chamber" and "Legislative" in words:
        kind = "legislature"
    elif head == "Agency" and not _NEWS_AGENCY.search(name):
        kind = "government"
    if kind in _FOREIGN_TYPES and _names_foreign_country(words):
        return "international"
    if kind == "people_org" and name.startswith(_INTERNATIONAL_PREFIXES):
        return "international"  # "International World Games Association"
    return kind


def _head(words: list[str]) -> str:
    """The organization word that heads the name: the last one before an "of"/"for"/"on" part,
    else the last one ("Ministry of Transport" -> Ministry, "Zhejiang University" -> University)."""
    for index, word in enumerate(words):
        if word in ("of", "for", "on", "under", "at") and index:
            heads = [w for w in words[:index] if w in HEAD_TYPE]
            if heads:
                return heads[-1]
            break
    heads = [w for w in words if w in HEAD_TYPE]
    return heads[-1] if heads else ""


def _council_type(words: list[str]) -> str:
    if "Legislative" in words:
        return "legislature"
    if "State" in words or "Executive" in words:
        return "government"
    return "people_org"


def _names_foreign_country(words: list[str]) -> bool:
    countries = foreign_countries()
    text = " ".join(words)
    return (
        any(
            " ".join(words[i : i + size]) in countries
            for size in (1, 2, 3)
            for i in range(len(words) - size + 1)
        )
        and "China" not in text.split()
    )


def foreign_countries() -> frozenset[str]:
    """Names and adjectives of countries other than China (data/foreign_countries.txt)."""
    return frozenset(_countries())


def country_mentions(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of country names and adjectives ("Kazakhstan", "Pakistani", "South Korea") in
    text[start:end], as whole words, longest first ("Inner Mongolia" is no mention)."""
    piece = text[start:end]
    found = []
    for last, length in _country_automaton().iter(piece):
        first = last - length + 1
        before = piece[first - 1] if first else " "
        after = piece[last + 1] if last + 1 < len(piece) else " "
        if before.isalnum() or after.isalnum() or piece.endswith("Inner ", 0, first):
            continue
        found.append((start + first, start + last + 1))
    found.sort(key=lambda span: (span[0], -span[1]))
    kept: list[tuple[int, int]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


@cache
def _country_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for form in _countries():
        automaton.add_word(form, len(form))
    automaton.make_automaton()
    return automaton


def country_named(form: str) -> str | None:
    """The country a name or adjective stands for ("Egyptian" -> "Egypt"), or None."""
    return _countries().get(form)


@cache
def _countries() -> dict[str, str]:
    """Each name and adjective of data/foreign_countries.txt -> the country's name."""
    text = resources.files("cppcc_watch.extract").joinpath("data", "foreign_countries.txt")
    forms: dict[str, str] = {}
    for line in text.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            parts = [part.strip() for part in line.split("|") if part.strip()]
            for part in parts:
                forms.setdefault(part, parts[0])
    return forms
