"""Print records as a table, CSV, a JSON array or JSON lines, streaming where the format allows."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Any, TextIO

FORMATS = ("table", "csv", "json", "jsonl")


def default_format(stream: TextIO | None = None) -> str:
    """`table` on a terminal, `jsonl` when piped."""
    stream = stream or sys.stdout
    return "table" if stream.isatty() else "jsonl"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_records(
    records: Iterable[dict[str, Any]],
    fmt: str,
    out: TextIO,
    *,
    columns: Sequence[str] | None = None,
    max_width: int = 60,
) -> int:
    """Write records in `fmt` to `out`; returns how many were written."""
    rows: Iterator[dict[str, Any]] = iter(records)
    first = next(rows, None)
    if first is None:
        if fmt == "json":
            out.write("[]\n")
        elif fmt == "table":
            out.write("(no rows)\n")
        return 0
    cols = list(columns or first.keys())
    rows = chain([first], rows)
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps({c: row.get(c) for c in cols}, ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "json":
        out.write("[")
        for row in rows:
            out.write(("," if count else "") + "\n  ")
            out.write(json.dumps({c: row.get(c) for c in cols}, ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(cols)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in cols])
            count += 1
    else:
        table = [[_cell(row.get(c)) for c in cols] for row in rows]
        count = len(table)
        clipped = [
            [v if len(v) <= max_width else v[: max_width - 1] + "…" for v in r] for r in table
        ]
        widths = [max(len(c), *(len(r[i]) for r in clipped)) for i, c in enumerate(cols)]
        out.write("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip() + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for r in clipped:
            out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n")
    return count
