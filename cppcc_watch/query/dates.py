"""Dates as analysts give them (YYYY, YYYY-MM, YYYY-MM-DD) and the ranges they stand for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from cppcc_watch.errors import BadInput

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def period_bounds(text: str) -> tuple[date, date]:
    """The first day of a YYYY, YYYY-MM or YYYY-MM-DD period and the first day after it."""
    match = _DATE_RE.match(text.strip())
    if not match:
        raise BadInput(f"bad date {text!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match.group(1))
    month, day = (int(part) if part else None for part in match.groups()[1:])
    try:
        if month is None:
            return date(year, 1, 1), date(year + 1, 1, 1)
        first = date(year, month, day or 1)
    except ValueError as error:
        raise BadInput(f"bad date {text!r}: {error}") from error
    if day is None:
        return first, next_month(first)
    return first, first + timedelta(days=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def monday(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class DateRange:
    """Publication dates from `start` (inclusive) to `end` (exclusive); None is open-ended."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None) -> DateRange:
        """The range from the start of `since` to the end of `until` (both optional)."""
        start = period_bounds(since)[0] if since else None
        end = period_bounds(until)[1] if until else None
        if start and end and start >= end:
            raise BadInput(f"--since {since} is after --until {until}")
        return cls(start, end)

    @property
    def bounded(self) -> bool:
        """Whether either end is set."""
        return self.start is not None or self.end is not None

    def conditions(self, published_at: ColumnElement[Any]) -> list[ColumnElement[bool]]:
        """Conditions keeping a published_at column (ISO text) inside the range."""
        found = []
        if self.start:
            found.append(published_at >= self.start.isoformat())
        if self.end:
            found.append(published_at < self.end.isoformat())
        return found

    def split_months(self) -> tuple[tuple[str, str] | None, list[DateRange]]:
        """The whole months inside the range (first, last-exclusive, as YYYY-MM) and the rest.

        The rest is at most two partial months at the ends. No whole month: (None, [self]).
        """
        first = self.start if not self.start or self.start.day == 1 else next_month(self.start)
        last = self.end.replace(day=1) if self.end else None
        if first and last and first >= last:
            return None, [self]
        edges = []
        if self.start and first and self.start < first:
            edges.append(DateRange(self.start, first))
        if self.end and last and last < self.end:
            edges.append(DateRange(last, self.end))
        low = first.strftime("%Y-%m") if first else ""
        high = last.strftime("%Y-%m") if last else "9999-99"
        return (low, high), edges

    def periods(self, by: str, found: list[str]) -> list[str]:
        """Every month (YYYY-MM) or week (its Monday) from the range's start, or the first
        found period, to its end, or the last found period."""
        if by == "month":
            first = (
                self.start.replace(day=1) if self.start else date.fromisoformat(found[0] + "-01")
            )
            last = (
                (self.end - timedelta(days=1)).replace(day=1)
                if self.end
                else date.fromisoformat(found[-1] + "-01")
            )
            months, current = [], first
            while current <= last:
                months.append(current.strftime("%Y-%m"))
                current = next_month(current)
            return months
        start = monday(self.start) if self.start else date.fromisoformat(found[0])
        end = monday(self.end - timedelta(days=1)) if self.end else date.fromisoformat(found[-1])
        weeks = []
        while start <= end:
            weeks.append(start.isoformat())
            start += timedelta(days=7)
        return weeks
