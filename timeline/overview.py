"""Geometry of the overview picture at the top of the timeline.

The years run along an axis, eras lie on it as bands, and each event is a
mark that links to its page. Background events from long before the first
era are gathered in an "Earlier" column so they do not squash the axis.
The template (templates/partials/overview.svg) draws what this computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .model import Event
from .site import SiteData

WIDTH = 960
EARLIER_WIDTH = 96
MARGIN = 16
MARK_RADIUS = 4.5
ROW_HEIGHT = 11
LANE_HEIGHT = 18  # each era has a lane of its own above the axis, so bands never collide
LANE_TOP = 6
LABEL_ROOM = 190  # room a band's label needs beside the band


@dataclass(frozen=True)
class Band:
    era_id: str
    number: int
    title: str
    x: float
    width: float
    y: float
    label_x: float
    label_anchor: str  # "start" (label after the band) or "end" (before it)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Mark:
    event: Event
    x: float
    y: float
    earlier: bool


@dataclass(frozen=True)
class Overview:
    width: int
    height: int
    axis_y: int
    plot_left: float
    bands: tuple[Band, ...]
    ticks: tuple[Tick, ...]
    marks: tuple[Mark, ...]
    earlier_label: str | None
    first_year: int
    last_year: int


# At most this many labelled years on the axis: beyond it, labels are spaced 2, 5, 10, 20... years
# apart. A date is any four-digit year, so one event in 1000 and another in 9999 must still draw.
MAX_TICKS = 24
_TICK_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def _day_number(day: tuple[int, int, int]) -> int:
    return date(*day).toordinal()


def _year_start(year: int) -> int:
    """The day number of 1 January of `year`, up to year 10000, the day after Python's last date
    (an event ending in 9999 runs to the end of the axis)."""
    return _day_number((year - 1, 12, 31)) + 1


def _tick_years(first_year: int, last_year: int) -> list[int]:
    """The labelled years, at most MAX_TICKS of them, at round steps; then the end of the axis."""
    step = next(s for s in _TICK_STEPS if (last_year - first_year) // s + 1 <= MAX_TICKS)
    return [*range(-(-first_year // step) * step, last_year + 1, step), last_year + 1]


def layout(data: SiteData) -> Overview:
    events = data.chronological
    axis_y = LANE_TOP + LANE_HEIGHT * len(data.timeline.eras) + 8
    own = [e for e in events if not e.background] or list(events)
    first_year = min(e.date.year for e in own)
    last_year = max((e.end or e.date).year for e in own)
    earlier = [e for e in events if e.date.year < first_year]
    left = MARGIN + (EARLIER_WIDTH if earlier else 0)
    right = WIDTH - MARGIN
    start, end = _year_start(first_year), _year_start(last_year + 1)

    def x_at(day_number: int) -> float:
        return round(left + (day_number - start) / (end - start) * (right - left), 1)

    def x_of(day: tuple[int, int, int]) -> float:
        return x_at(_day_number(day))

    bands = []
    for number, era in enumerate(data.timeline.eras, start=1):
        span = data.era_spans[era.id]
        if span is None:
            continue
        x0, x1 = x_of(span[0]), x_of(span[1])
        width = max(x1 - x0, 6.0)
        x0 = round(min(x0, right - width), 1)
        after = x0 + width + LABEL_ROOM <= WIDTH
        bands.append(
            Band(
                era.id,
                number,
                era.title,
                x0,
                round(width, 1),
                LANE_TOP + (number - 1) * LANE_HEIGHT,
                round(x0 + width + 6 if after else x0 - 6, 1),
                "start" if after else "end",
            )
        )

    ticks = tuple(Tick(x_at(_year_start(year)), str(year)) for year in _tick_years(first_year, last_year))

    marks: list[Mark] = []
    rows: list[float] = []  # the x of the last mark in each row
    for event in events:
        if event.date.year < first_year:
            continue
        # A partial date is drawn in the middle of the period it names.
        middle = (_day_number(event.date.first_day) + _day_number(event.date.last_day)) // 2
        x = x_of(date.fromordinal(middle).timetuple()[:3])
        row = next((i for i, last in enumerate(rows) if last <= x - 2 * MARK_RADIUS - 1), len(rows))
        if row == len(rows):
            rows.append(x)
        rows[row] = x
        marks.append(Mark(event, x, axis_y + 22 + row * ROW_HEIGHT, earlier=False))
    for row, event in enumerate(earlier):
        column, line = divmod(row, max(len(rows), 4))
        marks.append(Mark(event, MARGIN + 8 + column * 12, axis_y + 22 + line * ROW_HEIGHT, earlier=True))

    lowest = max((m.y for m in marks), default=axis_y)
    label = None
    if earlier:
        years = sorted({e.date.year for e in earlier})
        label = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return Overview(
        width=WIDTH,
        height=int(lowest + MARK_RADIUS + 8),
        axis_y=axis_y,
        plot_left=left,
        bands=tuple(bands),
        ticks=ticks,
        marks=tuple(marks),
        earlier_label=label,
        first_year=first_year,
        last_year=last_year,
    )
