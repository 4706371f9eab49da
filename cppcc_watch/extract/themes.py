"""Find theme cues in an article's text (docs/ENTITY_RULES.md, "theme").

A theme is assigned when the text discusses it explicitly: at least one cue phrase of the theme
(data/themes.tsv) occurs as whole words. Matching is one Aho-Corasick pass over a normalized copy
of the text with the same length: lower case, every character that is not a letter or digit turned
into a space, so "Cross-Strait" matches the cue "cross-strait" and "cross strait", and offsets
stay valid. Stop phrases (theme "-" in the data, e.g. "state-of-the-art") match but signal nothing.
Word boundaries come for free: cues are searched with a space on each side. Cues flagged "exact"
("AI", "GDP") must also match the original text's case. Overlapping cues: the leftmost, then the
longest wins ("seed industry" is food_security, not also the "industry" of economic_development).
Cues flagged "weak" are generic words often used in passing ("students", "industry", "village",
"health"): one of them alone does not make the theme; it counts with a second cue of the same theme.

Cues inside an organization's name ("science" in "Ministry of Science and Technology") should not
count on their own: pass the organization spans as `exclude`.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

DEFAULT_CUES = Path(__file__).parent / "data" / "themes.tsv"

THEMES: tuple[str, ...] = (
    "science_technology",
    "international_cooperation",
    "belt_and_road",
    "global_governance",
    "climate_change",
    "food_security",
    "energy_security",
    "reform_modernization",
    "economic_development",
    "rural_revitalization",
    "ecology_environment",
    "education_talent",
    "health",
    "livelihood",
    "culture_tourism",
    "social_governance",
    "whole_process_democracy",
    "hk_macao_taiwan",
    "ethnic_religious_affairs",
    "rule_of_law",
    "regional_development",
)


@dataclass(frozen=True)
class ThemeHit:
    """One theme cue in the text: offsets, the cue as written, and the theme id it signals."""

    start: int
    end: int
    text: str
    theme: str


@dataclass(frozen=True)
class _Cue:
    themes: tuple[str, ...]
    exact: str | None  # the case-sensitive form, for cues flagged "exact"
    weak: bool = False  # needs a second cue of the same theme


class ThemeMatcher:
    """Finds theme cues with one automaton pass over the normalized text."""

    def __init__(self, cues_path: Path | None = None) -> None:
        """Load the cue file (default: the package's data/themes.tsv) and build the automaton."""
        self._cues: dict[str, list[_Cue]] = {}
        for themes, cue, exact, weak in _read_cues(cues_path or DEFAULT_CUES):
            for form in _variants(cue, exact):
                self._add(f" {normalize(form)} ", themes, form if exact else None, weak)
        self._automaton = ahocorasick.Automaton()
        for key in self._cues:
            self._automaton.add_word(key, key)
        self._automaton.make_automaton()

    def _add(self, key: str, themes: tuple[str, ...], exact: str | None, weak: bool) -> None:
        entries = self._cues.setdefault(key, [])
        for index, entry in enumerate(entries):
            if entry.exact == exact:
                merged = entry.themes + tuple(t for t in themes if t not in entry.themes)
                entries[index] = _Cue(merged, exact, entry.weak and weak)
                return
        entries.append(_Cue(themes, exact, weak))

    def cue_counts(self) -> dict[str, int]:
        """How many cue forms (variants included) each theme has."""
        counts = dict.fromkeys(THEMES, 0)
        for entries in self._cues.values():
            for entry in entries:
                for theme in entry.themes:
                    counts[theme] += 1
        return counts

    def find(self, text: str, exclude: Iterable[tuple[int, int]] | None = None) -> list[ThemeHit]:
        """Every theme cue in `text`, in order; cues inside an `exclude` span are dropped."""
        padded = f" {normalize(text)} "
        spans = _leftmost_longest(self._matches(padded, text))
        blocked = _Spans(exclude or ())
        kept = [(start, end, cue) for start, end, cue in spans if not blocked.contain(start, end)]
        hits = [ThemeHit(s, e, text[s:e], theme) for s, e, cue in kept for theme in cue.themes]
        weak = {theme for _, _, cue in kept if cue.weak for theme in cue.themes}
        return _drop_lone_weak(hits, weak) if weak else hits

    def themes(self, text: str, exclude: Iterable[tuple[int, int]] | None = None) -> list[str]:
        """The theme ids the text discusses, in THEMES order."""
        found = {hit.theme for hit in self.find(text, exclude)}
        return [theme for theme in THEMES if theme in found]

    def _matches(self, padded: str, text: str) -> Iterator[tuple[int, int, _Cue]]:
        for last, key in self._automaton.iter(padded):
            # padded[i] is text[i - 1]; the key has one space on each side.
            start = last - len(key) + 1
            end = last - 1
            for cue in self._cues[key]:
                if cue.exact is None or text[start:end] == cue.exact:
                    yield start, end, cue
                    break


def _drop_lone_weak(hits: list[ThemeHit], weak: set[str]) -> list[ThemeHit]:
    """The hits, without those of a theme whose only evidence is a single weak cue.

    `weak` holds the themes with a weak cue among the hits: a theme of `weak` with a single hit
    has only that weak cue.
    """
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.theme] = counts.get(hit.theme, 0) + 1
    lone = {theme for theme in weak if counts[theme] == 1}
    return [hit for hit in hits if hit.theme not in lone] if lone else hits


def normalize(text: str) -> str:
    """Lower case, with every non-alphanumeric character as a space; same length as `text`."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.translate(_PUNCTUATION_TO_SPACE)


def _build_punctuation_table() -> dict[int, str]:
    table = {}
    for code in range(0x3040):
        char = chr(code)
        if not char.isalnum() and char != " ":
            table[code] = " "
    for code in range(0xFF00, 0xFF10):
        table[code] = " "
    return table


_PUNCTUATION_TO_SPACE = _build_punctuation_table()


def _read_cues(path: Path) -> Iterator[tuple[tuple[str, ...], str, bool, bool]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
        next(rows, None)
        for row in rows:
            if len(row) < 2 or not row[1].strip():
                continue
            themes = tuple(t.strip() for t in row[0].split(",") if t.strip() not in ("", "-"))
            unknown = [t for t in themes if t not in THEMES]
            if unknown:
                raise ValueError(f"{path}: unknown theme id(s) {unknown} for cue {row[1]!r}")
            flags = set(row[2].replace(",", " ").split()) if len(row) > 2 else set()
            yield themes, row[1].strip(), "exact" in flags, "weak" in flags


def _variants(cue: str, exact: bool) -> list[str]:
    """The cue and the plural of its last word ("innovation" -> "innovations")."""
    if exact:
        return [cue]
    head, _, last = cue.rpartition(" ")
    if not last.isalpha() or last.endswith("s"):
        return [cue]
    if last.endswith("y") and last[-2:-1] not in "aeiou":
        plural = last[:-1] + "ies"
    elif last.endswith(("x", "ch", "sh")):
        plural = last + "es"
    else:
        plural = last + "s"
    return [cue, f"{head} {plural}" if head else plural]


def _leftmost_longest(
    matches: Iterable[tuple[int, int, _Cue]],
) -> list[tuple[int, int, _Cue]]:
    ordered = sorted((m[0], -m[1], n, m) for n, m in enumerate(matches))
    chosen: list[tuple[int, int, _Cue]] = []
    last_end = -1
    for start, _, _, match in ordered:
        if start >= last_end:
            chosen.append(match)
            last_end = match[1]
    return chosen


class _Spans:
    """Sorted, merged spans (such as organization names) that may contain cues."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]

    def contain(self, start: int, end: int) -> bool:
        index = bisect_right(self._starts, start) - 1
        return index >= 0 and self._ends[index] >= end
