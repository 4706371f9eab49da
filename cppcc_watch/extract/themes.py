"""Themes of an article from weighed evidence (docs/ENTITY_RULES.md, "theme").

Cue phrases (data/themes.tsv) are found as whole words in one Aho-Corasick pass over a normalized
copy of the text with the same length: lower case, every character that is not a letter or digit
turned into a space, so "Cross-Strait" matches the cue "cross-strait" and "cross strait", and
offsets stay valid. Stop phrases (theme "-" in the data, e.g. "state-of-the-art") match but signal
nothing. Cues flagged "exact" ("AI", "GDP") must also match the original text's case.
Overlapping cues: the leftmost, then the longest wins ("seed industry" is food_security, not also
the "industry" of economic_development). Cues inside an organization's name ("science" in
"Ministry of Science and Technology") do not count: pass the organization spans as `exclude`.

A theme is the article's when it discusses it, not when it names it in passing (`assess`):
- each cue counts with its strength (a "weak" cue such as "students" or "health" counts less),
  more in the title and the lead paragraph, far less as one item of a list of issues ("global
  challenges, including climate change, food security and energy security");
- a cue repeated adds a little, another cue of the theme adds in full;
- a report of political consultation (CPPCC members or advisors surveying, inspecting, holding a
  symposium, making suggestions) is evidence of whole_process_democracy: cues with an "@" theme
  ("@advisor", "@survey", "@suggestion") are such signals, never themes themselves;
- the theme is kept when its score reaches THRESHOLD. Its evidence is the score and the cues
  that fired. The weights were fitted on the dev part of tests/labeled/.
"""

from __future__ import annotations

import csv
import re
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


#: Signals of a report of political consultation (theme ids starting with "@" in the cues).
SIGNALS = ("@advisor", "@survey", "@suggestion")
CONSULTATION = "whole_process_democracy"
#: Signals the caller finds in the title or lead (not cues): a foreign country, which points to
#: international cooperation, and Hong Kong, Macao or Taiwan, which point to their affairs.
PLACE_SIGNALS = {"@foreign": "international_cooperation", "@hmt": "hk_macao_taiwan"}


@dataclass(slots=True)
class ThemeHit:
    """One theme cue in the text: offsets, the cue as written, the theme id it signals (or a
    signal such as "@survey"), and whether the cue is weak."""

    start: int
    end: int
    text: str
    theme: str
    weak: bool = False


@dataclass(frozen=True)
class Weights:
    """How cues weigh (fitted on the dev part of tests/labeled/)."""

    weak: float = 0.5  # a weak cue, against 1.0 for a cue
    phrase: float = 1.25  # a cue of several words ("rule of law"), more specific than one word
    title: float = 2.0  # a cue in the title counts this many times
    lead: float = 1.5  # a cue in the lead paragraph
    subject: float = 1.5  # a cue among the first words of its sentence (the sentence is about it)
    listed: float = 0.25  # a cue that is one item of a list of issues of several themes
    repeat: float = 0.5  # each further occurrence of a cue already counted
    consultation: float = 1.5  # a report of political consultation, for whole_process_democracy
    place: float = 0.5  # a foreign country, or Hong Kong, Macao or Taiwan, in the title or lead
    threshold: float = 0.8  # the score a theme needs in a text of three paragraphs or fewer
    longer: float = 0.1  # and more for each paragraph past the third (a longer text names more)


@dataclass(frozen=True)
class Evidence:
    """A theme the article discusses: its score, the distinct cues that fired (as the text
    writes them, signals of consultation included) and the cue hits."""

    theme: str
    score: float
    cues: tuple[str, ...]
    hits: tuple[ThemeHit, ...]


@dataclass(frozen=True)
class _Cue:
    themes: tuple[str, ...]
    exact: str | None  # the case-sensitive form, for cues flagged "exact"
    weak: bool = False  # counts for less (Weights.weak)


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
                    if theme in counts:
                        counts[theme] += 1
        return counts

    def find(self, text: str, exclude: Iterable[tuple[int, int]] | None = None) -> list[ThemeHit]:
        """Every theme cue in `text`, in order; cues inside an `exclude` span are dropped.

        Signals of consultation ("@survey" ...) are hits too; `assess` weighs them all.
        """
        padded = f" {normalize(text)} "
        spans = _leftmost_longest(self._matches(padded, text))
        blocked = _Spans(exclude or ())
        return [
            ThemeHit(start, end, text[start:end], theme, cue.weak)
            for start, end, cue in spans
            if not blocked.contain(start, end)
            for theme in cue.themes
        ]

    def themes(self, text: str, exclude: Iterable[tuple[int, int]] | None = None) -> list[str]:
        """The theme ids `text` discusses (`text` as an article body without a title, its first
        line the lead), in THEMES order."""
        lead = (0, len(text.split("\n", 1)[0]))
        found = {e.theme for e in assess(self.find(text, exclude), text, lead)}
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


def assess(
    hits: list[ThemeHit],
    text: str,
    lead: tuple[int, int],
    title_end: int = 0,
    advisory: bool = False,
    weights: Weights = Weights(),
) -> list[Evidence]:
    """The themes the text discusses, with their evidence, in THEMES order.

    `hits` are `ThemeMatcher.find`'s, in text order; `lead` is the span of the lead paragraph
    and `title_end` where the title ends (0: no title); `advisory` says the text names a CPPCC
    body, which with a survey or suggestions makes a report of political consultation.
    """
    by_theme: dict[str, dict[str, list[float]]] = {}
    hits_of: dict[str, list[ThemeHit]] = {}
    signals: dict[str, list[ThemeHit]] = {}
    cues = [h for h in hits if not h.theme.startswith("@") or h.theme in PLACE_SIGNALS]
    for hit in hits:
        if hit.theme.startswith("@") and hit.theme not in PLACE_SIGNALS:
            signals.setdefault(hit.theme, []).append(hit)
    lead_start, lead_end = lead
    for hit, listed, opening in _positions(cues, text):
        theme = PLACE_SIGNALS.get(hit.theme)
        weight = weights.place if theme else (weights.weak if hit.weak else 1.0)
        if not theme and " " in hit.text.strip():
            weight *= weights.phrase
        theme = theme or hit.theme
        if hit.start < title_end:
            weight *= weights.title
        elif lead_start <= hit.start < lead_end:
            weight *= weights.lead
        if listed:
            weight *= weights.listed
        elif opening:
            weight *= weights.subject
        by_theme.setdefault(theme, {}).setdefault(hit.text.lower(), []).append(weight)
        hits_of.setdefault(theme, []).append(hit)
    scores = {
        theme: sum(max(ws) + weights.repeat * (sum(ws) - max(ws)) for ws in found.values())
        for theme, found in by_theme.items()
    }
    cues_of = {theme: [h.text for h in found] for theme, found in hits_of.items()}
    consulted = (advisory or "@advisor" in signals) and (
        "@survey" in signals or "@suggestion" in signals
    )
    if consulted:
        scores[CONSULTATION] = scores.get(CONSULTATION, 0.0) + weights.consultation
        used = [signals[signal][0] for signal in SIGNALS if signal in signals]
        hits_of[CONSULTATION] = sorted([*hits_of.get(CONSULTATION, []), *used], key=_start)
        cues_of.setdefault(CONSULTATION, []).extend(hit.text for hit in used)
    paragraphs = text.count("\n", title_end) + 1
    threshold = weights.threshold + weights.longer * max(0, paragraphs - 3)
    return [
        Evidence(
            theme,
            round(scores[theme], 3),
            tuple(dict.fromkeys(cues_of[theme])),
            tuple(hits_of.get(theme, ())),
        )
        for theme in THEMES
        if theme in scores and scores[theme] >= threshold
    ]


def _start(hit: ThemeHit) -> int:
    return hit.start


def _positions(hits: list[ThemeHit], text: str) -> Iterator[tuple[ThemeHit, bool, bool]]:
    """Each cue hit (in text order) with where it stands in its sentence: whether it is one item
    of a list of issues, and whether it is among the sentence's first words.

    A list of issues is a run of three items or more separated by commas, "and" or "or", whose
    middle items are short, naming two themes or more ("cooperation in trade, energy,
    agriculture and connectivity", "global challenges, including climate change, food security
    and energy security").
    """
    index = 0
    while index < len(hits):
        start, end = _sentence(text, hits[index].start)
        last = index
        while last < len(hits) and hits[last].start < end:
            last += 1
        inside = hits[index:last]
        listed: set[int] = set()
        if (
            last - index >= 2
            and text.find(", ", start, end) >= 0
            and len({h.theme for h in inside}) >= 2
        ):
            for first, stop in _enumerations(text, start, end):
                items = [h for h in inside if first <= h.start < stop]
                if len({h.theme for h in items}) >= 2:
                    listed.update(h.start for h in items)
        for hit in inside:
            opening = text.count(" ", start, hit.start) <= _SUBJECT_WORDS
            yield hit, hit.start in listed, opening
        index = last


_SUBJECT_WORDS = 3


def _sentence(text: str, position: int) -> tuple[int, int]:
    """The span of the sentence (or title line) around `position`."""
    start = max(text.rfind(". ", 0, position) + 2, text.rfind("\n", 0, position) + 1, 0)
    stop = _SENTENCE_END_RE.search(text, position)
    return start, stop.start() if stop else len(text)


def _enumerations(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The spans of the enumerations in text[start:end]: three items or more joined by commas
    and a last "and" or "or", the items between the first and the last short (the first may
    hold the words that lead to the list, the last the words that follow it)."""
    cuts = list(_JOIN_RE.finditer(text, start, end))
    if len(cuts) < 2:
        return
    bounds = [start, *(edge for cut in cuts for edge in cut.span()), end]
    items = [(bounds[2 * i], bounds[2 * i + 1]) for i in range(len(cuts) + 1)]
    joins = [cut.group().strip(" ,;") for cut in cuts]  # joins[k] joins items k and k + 1
    for last in range(2, len(items)):
        if joins[last - 1] not in ("and", "or"):
            continue
        first = last - 1
        while first >= 1 and not joins[first - 1] and _short(text, *items[first]):
            first -= 1
        if last - first >= 2 and _short(text, *items[last - 1]):
            head, tail = items[first], items[last]
            head_start = head[0]
            for _ in range(_LEAD_IN_ITEM_WORDS):  # the first item's last words, not its lead-in
                space = text.rfind(" ", head_start, head[1])
                if space < 0:
                    break
                head = (head[0], space)
            first_start = max(head_start, head[1] + 1) if head[1] < items[first][1] else head_start
            stop = _ITEM_END_RE.search(text, tail[0], tail[1])  # the last item's own words
            yield first_start, stop.start() if stop else tail[1]


_ITEM_WORDS = 6
_LEAD_IN_ITEM_WORDS = 2
_ITEM_END_RE = re.compile(
    r" (?:under|in|for|with|to|at|by|from|on|which|that|who|as|through|across|after|before|"
    r"was|were|is|are|has|have|had|will|would|could|should)\b"
)


def _short(text: str, start: int, end: int) -> bool:
    return text.count(" ", start, end) < _ITEM_WORDS


_JOIN_RE = re.compile(r",? (?:and|or) |, |; ")
_SENTENCE_END_RE = re.compile(r"[.!?](?:\s|$)|\n")


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
            unknown = [t for t in themes if t not in THEMES and t not in SIGNALS]
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
