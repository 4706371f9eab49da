"""How names and texts are compared: case, accents, apostrophes, spaces and dashes folded.

The one folding of the project. `fold_chars` keeps the text's length, so offsets into the folded
copy are offsets into the text: the place matcher runs over it. `fold` also composes accents
written as separate marks and collapses runs of spaces: it is how names are compared (the
gazetteer's and the query API's look-ups, the gazetteer build's checks, the extraction scores).
"""

from __future__ import annotations

import unicodedata

#: Characters written for an apostrophe ("Xi’an", "Xiʼan"); all fold to "'".
APOSTROPHES = "’‘ʼ′"
_SPACES = "\u00a0\u2002\u2003\u2009\u202f"
_DASHES = "‐‑–—"


def _fold_table() -> dict[int, str]:
    """A 1:1 character translation from lowercase text to the folded form (same length)."""
    table: dict[int, str] = {}
    for code in range(0x80, 0x2100):
        char = chr(code)
        lowered = char.lower()
        bare = "".join(
            c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c)
        )
        if len(bare) == 1 and bare != char:
            table[code] = bare
    table.update({ord(c): "'" for c in APOSTROPHES})
    table.update({ord(c): " " for c in _SPACES})
    table.update({ord(c): "-" for c in _DASHES})
    return table


_FOLD_TABLE = _fold_table()


def fold_chars(text: str) -> str:
    """The text lowercased, accents stripped, apostrophes, spaces and dashes unified; same size."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if not lowered.isascii():
        lowered = lowered.translate(_FOLD_TABLE)
    return lowered


def fold(text: str) -> str:
    """The form in which two names compare equal ("Xi’an", "XI'AN", "Xi'an " -> "xi'an")."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(fold_chars(text).split())
