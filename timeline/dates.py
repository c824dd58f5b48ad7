"""Dates known to a year, a month or a day, as the sources give them."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

# The schema's pattern for dates (schema/events.schema.json), read with fullmatch: `match` and
# Python's `$` would also take "2014\n".
_DATE_RE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")

YEAR, MONTH, DAY = "year", "month", "day"

# English names written out: calendar.month_name follows the process locale,
# and the output must not change with LC_ALL.
MONTH_NAMES = (
    "", "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class DateError(ValueError):
    """A date that has the right shape but does not exist, or the wrong shape."""


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        """Read YYYY, YYYY-MM or YYYY-MM-DD (YAML gives a bare year as a number)."""
        text = str(value) if isinstance(value, (str, int)) else ""
        if isinstance(value, bool) or not _DATE_RE.fullmatch(text):
            raise DateError(
                "is not a date: use YYYY, YYYY-MM or YYYY-MM-DD, such as 2014, 2014-03 or 2014-03-04"
            )
        parts = [int(p) for p in text.split("-")]
        year = parts[0]
        if year < 1000:
            raise DateError("has a year before 1000; write years with four digits")
        month = parts[1] if len(parts) > 1 else None
        day = parts[2] if len(parts) > 2 else None
        if month is not None and not 1 <= month <= 12:
            raise DateError(f"is not a real date: there is no month {month}")
        if day is not None:
            assert month is not None
            days = calendar.monthrange(year, month)[1]
            if not 1 <= day <= days:
                raise DateError(f"is not a real date: {MONTH_NAMES[month]} {year} has {days} days")
        return cls(year, month, day)

    @property
    def precision(self) -> str:
        if self.day is not None:
            return DAY
        return MONTH if self.month is not None else YEAR

    @property
    def iso(self) -> str:
        """The form an editor writes: as precise as is known."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def short(self) -> str:
        """The compact form: 2014 / Mar 2014 / 4 Mar 2014."""
        if self.month is None:
            return str(self.year)
        month = MONTH_NAMES[self.month][:3]
        return f"{month} {self.year}" if self.day is None else f"{self.day} {month} {self.year}"

    @property
    def display(self) -> str:
        """The form a reader sees: 2014 / March 2014 / 4 March 2014."""
        if self.month is None:
            return str(self.year)
        if self.day is None:
            return f"{MONTH_NAMES[self.month]} {self.year}"
        return f"{self.day} {MONTH_NAMES[self.month]} {self.year}"

    @property
    def first_day(self) -> tuple[int, int, int]:
        return (self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> tuple[int, int, int]:
        month = self.month or 12
        return (self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        return self.iso


def display_range(start: PartialDate, end: PartialDate | None) -> str:
    """'4 March 2014', '1–4 March 2014', 'July – August 2021', '2021 – February 2022'."""
    if end is None or end == start:
        return start.display
    if start.precision == end.precision == DAY and (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.display}"
    if start.year == end.year and start.month is not None and end.month is not None:
        head = start.display.rsplit(" ", 1)[0]
        return f"{head} – {end.display}"
    return f"{start.display} – {end.display}"


def year_span(dates: list[PartialDate]) -> str:
    """The years some dates cover, as a reader says them: "2016" or "1945–2013"."""
    first, last = min(d.year for d in dates), max(d.year for d in dates)
    return str(first) if first == last else f"{first}–{last}"
