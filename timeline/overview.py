"""Geometry of the overview picture at the top of the timeline.

What a reader must see at a glance is time and the story, not when the sources were written:

1. A "whole story" strip on a true time scale: each chapter a segment over its own confirmed,
   non-background events, numbered; the quiet years between chapters written in the gap; the
   background from before the first chapter gathered in one "earlier" marker at its left.
2. One row per chapter, stacked vertically: its number and title (a link to the chapter), its
   span in words and its event count, and a small axis zoomed to the chapter's own span, where
   each event is drawn as what its date is: a day as a dot, a month, a year or a range as a bar
   over the whole period. The key events are labelled in words, each label a link to its event.
3. Between the rows, the time that passes ("7 years 10 months later"), so quiet years read as
   time passing and not as a gap in the drawing.

The picture is one vertical layout, WIDTH units wide, drawn for boxes of about 320 to 480 px:
FONT is the smallest text and TARGET the smallest link height, chosen so that at 335 px (a
375 px phone) text renders at 12 px or more and every link is at least 24 px tall (WCAG 2.2
target size). Text widths are estimated with the advance widths of DejaVu Sans, the widest of
the fonts the stylesheet's system-ui resolves to, so text placed here never overflows the box.

The template (templates/partials/overview.svg) draws what this computes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from .dates import MONTH_NAMES, PartialDate
from .model import Era, Event
from .site import SiteData

WIDTH = 360
FONT = 13.0  # user units: 12.1 px in a 335 px box
TITLE_FONT = 14.5
TARGET = 26.0  # a link's height in user units: 24.2 px in a 335 px box
LINE = 15.0  # line height of wrapped text
MARGIN = 2.0

# The strip (1.)
STRIP_NUMBER_Y = 12.0  # baseline of the chapter numbers
STRIP_AXIS_Y = 21.0
STRIP_BAR = 7.0
STRIP_LABEL_Y = 38.0  # baseline of the years under the strip
STRIP_HEIGHT = 44.0
NUMBER_GAP = 15.0  # least distance between two chapter numbers' centres

# The rows (2.): each chapter's time runs down a vertical axis at AXIS_X, its events stacked to
# the left of it, its title, span, count and key labels in the column to the right. A vertical
# axis costs no height of its own (it runs beside the text), and time then flows the same way in
# the rows as between them and in the event list below.
AXIS_X = 66.0
TEXT_X = 88.0  # the right-hand column
LANE = 4.5  # each event has a lane of its own where it overlaps another: a small stack, no overdraw
BAR = 2.5
DOT_RADIUS = 2.2
MIN_AXIS = 56.0
LABEL_LINES = 3  # a label is cut, with an ellipsis, beyond this many lines (its link's name is all of it)
LATER_HEIGHT = 16.0  # the "… later" line between two rows (3.)
ROW_GAP = 4.0

# Advance widths of DejaVu Sans, in thousandths of an em, for the printable ASCII characters
# (measured in Chromium); anything else counts as the widest Latin letter, or a full em for
# East Asian scripts.
_REGULAR = (
    "32,40,46,84,64,95,78,27,39,39,50,84,32,36,32,34,64,64,64,64,64,64,64,64,64,64,34,34,84,84,84,53,100,68,"
    "69,70,77,63,58,77,75,29,29,66,56,86,75,79,60,79,69,63,61,73,68,99,69,61,69,39,34,39,84,50,50,61,63,55,63,"
    "62,35,63,63,28,28,58,28,97,63,61,63,63,41,52,39,63,59,82,59,59,52,64,34,64,84"
)
_BOLD = (
    "35,46,52,84,70,100,87,31,46,46,52,84,38,42,38,37,70,70,70,70,70,70,70,70,70,70,40,40,84,84,84,58,100,77,"
    "76,73,83,68,68,82,84,37,37,77,64,100,84,85,73,85,77,72,68,81,77,110,77,72,73,46,37,46,84,50,50,67,72,59,"
    "72,68,44,72,71,34,34,67,34,104,71,69,72,72,49,60,48,71,65,92,65,65,58,71,37,71,84"
)
_WIDTHS = {
    False: [int(w) / 100 for w in _REGULAR.split(",")],
    True: [int(w) / 100 for w in _BOLD.split(",")],
}


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """An upper estimate of the width of `text` at `size` user units."""
    table = _WIDTHS[bold]
    em = 0.0
    for char in text:
        code = ord(char)
        if 32 <= code < 127:
            em += table[code - 32]
        elif code >= 0x2E80:
            em += 1.0
        elif char in "–’“”‘·":
            em += 0.6
        else:
            em += 1.1 if bold else 1.0
    return em * size


def _cut(word: str, width: float, size: float, bold: bool) -> str:
    """`word` cut to fit `width` with an ellipsis: never cut mid-word without one."""
    while word and text_width(word + "…", size, bold) > width:
        word = word[:-1]
    return word + "…"


def wrap(
    text: str, width: float, size: float = FONT, bold: bool = False, max_lines: int = 0
) -> tuple[str, ...]:
    """`text` in lines no wider than `width`, broken between words; a word too long for a line,
    or what is beyond `max_lines` lines (0: no limit), is cut with an ellipsis."""
    lines: list[str] = []
    for word in " ".join(text.split()).split(" "):
        if lines and text_width(f"{lines[-1]} {word}", size, bold) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word if text_width(word, size, bold) <= width else _cut(word, width, size, bold))
    if max_lines and len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _cut(lines[max_lines - 1], width, size, bold)]
    return tuple(lines) or ("",)


# ---- Time ------------------------------------------------------------------------------------


def _day(day: tuple[int, int, int]) -> int:
    return date(*day).toordinal()


def _start(d: PartialDate) -> int:
    return _day(d.first_day)


def _stop(d: PartialDate) -> int:
    """The day after the last day `d` names (an ordinal, valid even after 31 December 9999)."""
    return _day(d.last_day) + 1


def _year_start(year: int) -> int:
    return _day((year - 1, 12, 31)) + 1


def _extent(event: Event) -> tuple[int, int]:
    """The days an event covers: all of its month or year, to the end of its end date."""
    return _start(event.date), _stop(event.end or event.date)


def _short(d: tuple[int, int, int], precision: str) -> str:
    year, month, day = d
    if precision == "year":
        return str(year)
    name = MONTH_NAMES[month][:3]
    return f"{name} {year}" if precision == "month" else f"{day} {name} {year}"


def _span_words(first: PartialDate, last: PartialDate) -> str:
    """A chapter's span as a reader says it: 'Feb–Mar 2014', '24 Feb 2022 – 2023', 'Oct 2025'."""
    a = _short(first.first_day, first.precision)
    b = _short(last.last_day, last.precision)
    if a == b:
        return a
    if first.precision == last.precision == "month" and first.year == last.year:
        return f"{a[:3]}–{b}"
    if first.precision == last.precision == "year":
        return f"{a}–{b}"
    return f"{a} – {b}"


def _later(previous_stop: int, start: int) -> str:
    """The time between one chapter's end and the next one's start, in words."""
    a, b = date.fromordinal(min(previous_stop, _day((9999, 12, 31)))), date.fromordinal(start)
    months = (b.year - a.year) * 12 + b.month - a.month - (b.day < a.day)
    if months <= 0:
        return "Straight after"
    years, months = divmod(months, 12)
    parts = [f"{years} year{'s' * (years != 1)}"] if years else []
    if months:
        parts.append(f"{months} month{'s' * (months != 1)}")
    return " ".join(parts) + " later"


def _years(events: list[Event]) -> str:
    first = min(e.date.year for e in events)
    last = max((e.end or e.date).year for e in events)
    return str(first) if first == last else f"{first}–{last}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# ---- The strip (1.) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    era_id: str
    number: int
    x: float
    width: float
    number_x: float  # where its number is written, pushed apart from its neighbours'


@dataclass(frozen=True)
class StripLabel:
    x: float
    text: str
    anchor: str  # "start", "middle" or "end"
    kind: str  # "year", "quiet" (the years between two chapters) or "earlier"


@dataclass(frozen=True)
class Strip:
    axis_left: float
    axis_right: float
    segments: tuple[Segment, ...]
    labels: tuple[StripLabel, ...]
    earlier: str | None  # the years of the background before the first chapter, or None
    first_year: int
    last_year: int
    number_y: float = STRIP_NUMBER_Y
    axis_y: float = STRIP_AXIS_Y
    bar: float = STRIP_BAR
    label_y: float = STRIP_LABEL_Y


def _chapter_spans(data: SiteData) -> list[tuple[Era, int, int, int]]:
    """Each chapter with events of its own: (era, number, first day, day after its last), over its
    confirmed, non-background events (or, if it has none, all of its own). These may overlap
    (year-precision events can); _strip draws each chapter from the end of the one before."""
    spans = []
    for number, era in enumerate(data.timeline.eras, start=1):
        own = [e for e in data.by_era[era.id] if not e.background]
        confirmed = [e for e in own if not e.unconfirmed] or own
        if not confirmed:
            continue
        start = min(_extent(e)[0] for e in confirmed)
        stop = max(_extent(e)[1] for e in confirmed)
        spans.append((era, number, start, stop))
    return spans


def _spread(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Positions as near `wanted` (in order) as they can be, each at least `gap` from the next,
    all within [low, high]."""
    placed: list[float] = []
    for x in wanted:
        placed.append(max(x, low, placed[-1] + gap if placed else low))
    for i in range(len(placed) - 1, -1, -1):
        limit = high if i == len(placed) - 1 else placed[i + 1] - gap
        placed[i] = min(placed[i], limit)
    return [round(x, 1) for x in placed]


def _strip(data: SiteData, spans: list[tuple[Era, int, int, int]]) -> Strip:
    first_year = date.fromordinal(min(span[2] for span in spans)).year
    last_year = date.fromordinal(min(max(span[3] for span in spans) - 1, _day((9999, 12, 31)))).year
    earlier_events = [e for e in data.timeline.events if _extent(e)[0] < _year_start(first_year)]
    earlier = _years(earlier_events) if earlier_events else None
    # The earlier background takes the room its years need at the left, then a break.
    left = MARGIN + (text_width(earlier) + 14 if earlier else 0)
    right = WIDTH - MARGIN
    start, stop = _year_start(first_year), _day((last_year, 12, 31)) + 1

    def x_at(day: int) -> float:
        return round(left + (day - start) / (stop - start) * (right - left), 1)

    # Chapters never overlap: each starts where the one before ends, if its events begin earlier
    # (a year-precision event can make two chapters' spans overlap), or if the least width a
    # chapter of a few days is drawn with (3 units, so it is seen) would reach over the next.
    segments = []
    previous_end = left
    for era, number, a, b in spans:
        x0, x1 = x_at(a), x_at(b)
        width = max(x1 - x0, 3.0)
        x0 = max(x0, previous_end)
        segments.append([era, number, x0, width])
        previous_end = x0 + width
    limit = right
    for segment in reversed(segments):
        segment[2] = min(segment[2], limit - segment[3])
        limit = segment[2]
    centres = _spread([x + w / 2 for _, _, x, w in segments], NUMBER_GAP, left + 5, right - 5)
    drawn = tuple(
        Segment(era.id, number, round(x, 1), round(w, 1), cx)
        for (era, number, x, w), cx in zip(segments, centres, strict=True)
    )

    # Years under the strip: its two ends first, then the quiet years in each long gap, where
    # they fit between what is already written.
    labels = [StripLabel(left, str(first_year), "start", "year")]
    if last_year != first_year:
        labels.append(StripLabel(right, str(last_year), "end", "year"))
    taken = [(left, left + text_width(str(first_year))), (right - text_width(str(last_year)), right)]
    for (_, _, _, previous_stop), (_, _, next_start, _) in itertools.pairwise(spans):
        quiet_first = date.fromordinal(previous_stop - 1).year + 1
        quiet_last = date.fromordinal(next_start).year - 1
        if quiet_last < quiet_first:
            continue
        text = str(quiet_first) if quiet_first == quiet_last else f"{quiet_first}–{quiet_last}"
        middle = (x_at(previous_stop) + x_at(next_start)) / 2
        half = text_width(text) / 2
        if all(middle + half + 4 < a or middle - half - 4 > b for a, b in taken):
            labels.append(StripLabel(round(middle, 1), text, "middle", "quiet"))
            taken.append((middle - half, middle + half))
    if earlier:
        labels.append(StripLabel(MARGIN, earlier, "start", "earlier"))
    return Strip(left, right, drawn, tuple(labels), earlier, first_year, last_year)


# ---- The rows (2.) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """An event on its chapter's axis: a dot (a day) or a bar (a month, a year or a range)."""

    event: Event
    shape: str  # "dot" or "bar"
    x: float  # a dot's centre, a bar's left
    y: float  # a dot's centre, a bar's top
    height: float  # a bar's height (0 for a dot)


@dataclass(frozen=True)
class Label:
    """A key event's words in the right-hand column, with a leader line from the axis at the
    time of its mark."""

    event: Event
    lines: tuple[str, ...]
    top: float  # its link's target: [box_left, box_right] × [top, top + height]
    height: float
    box_left: float
    box_right: float
    leader_y: float  # where the leader leaves the axis

    @property
    def baselines(self) -> tuple[float, ...]:
        first = self.top + (self.height - LINE * len(self.lines)) / 2 + FONT - 2
        return tuple(round(first + i * LINE, 1) for i in range(len(self.lines)))

    @property
    def leader(self) -> str:
        """The leader's points: out from the axis, across to the label's first line."""
        y = round(self.baselines[0] - FONT * 0.35, 1)
        return f"{AXIS_X + 2},{self.leader_y} {AXIS_X + 8},{self.leader_y} {TEXT_X - 8},{y} {TEXT_X - 3},{y}"


@dataclass(frozen=True)
class Row:
    era_id: str
    number: int
    title: str
    title_lines: tuple[str, ...]
    top: float
    later: str | None  # the time since the previous chapter, written above this row
    later_y: float
    title_top: float
    title_height: float
    meta_lines: tuple[tuple[tuple[str, bool], ...], ...]  # span in words · count · background note
    meta_top: float
    count: int
    count_text: str  # the part of the meta text site.js rewrites as "3 of 20 events"
    axis_top: float | None  # None: a chapter of background events only
    axis_bottom: float
    marks: tuple[Mark, ...]
    labels: tuple[Label, ...]
    earlier_stub: bool  # some of its background is before its axis: a dashed stub above it
    bottom: float

    @property
    def title_baselines(self) -> tuple[float, ...]:
        return tuple(round(self.title_top + 18 + i * (LINE + 3), 1) for i in range(len(self.title_lines)))

    @property
    def meta_baselines(self) -> tuple[float, ...]:
        return tuple(round(self.meta_top + FONT - 1 + i * LINE, 1) for i in range(len(self.meta_lines)))


def _lanes(extents: list[tuple[float, float]]) -> list[int]:
    """A lane for each extent (in order), the lowest where it overlaps nothing already there."""
    ends: list[float] = []
    lanes = []
    for low, high in extents:
        lane = next((i for i, end in enumerate(ends) if end + 1.5 <= low), len(ends))
        if lane == len(ends):
            ends.append(high)
        ends[lane] = high
        lanes.append(lane)
    return lanes


def _spread_boxes(wanted: list[float], heights: list[float], low: float, high: float) -> list[float]:
    """Tops as near `wanted` (in order) as they can be, none overlapping the next, all within
    [low, high] (which the caller makes tall enough for all of them)."""
    tops: list[float] = []
    for i, want in enumerate(wanted):
        tops.append(max(want, low, tops[-1] + heights[i - 1] if tops else low))
    for i in range(len(tops) - 1, -1, -1):
        limit = high - heights[i] if i == len(tops) - 1 else tops[i + 1] - heights[i]
        tops[i] = min(tops[i], limit)
    return [round(t, 1) for t in tops]


def _row(data: SiteData, era: Era, number: int, top: float, later: str | None) -> Row:
    events = data.by_era[era.id]
    own = [e for e in events if not e.background]
    y = top
    later_y = y + 12
    if later:
        y += LATER_HEIGHT
    title_lines = wrap(era.title, WIDTH - MARGIN - 24, TITLE_FONT, bold=True, max_lines=2)
    title_top = y
    title_height = max(TARGET, 24 + (LINE + 3) * (len(title_lines) - 1))
    y += title_height + 2

    # What is on the axis: the chapter's own span (unconfirmed events too: they are drawn dashed),
    # and the background that falls within it; the rest of the background is a note.
    count_text = _plural(len(events), "event")
    earlier: list[Event] = []
    on_axis: list[Event] = []
    parts = []
    start = stop = 0
    if own:
        first = min(own, key=lambda e: e.date.first_day).date
        last = max(own, key=lambda e: (e.end or e.date).last_day)
        last_date = last.end or last.date
        start, stop = _start(first), _stop(last_date)
        parts.append(_span_words(first, last_date))
        for event in events:
            a, b = _extent(event)
            (on_axis if start <= a and b <= stop else earlier).append(event)
    else:
        earlier = list(events)
    parts.append(count_text)
    if earlier:
        parts.append(f"+{_plural(len(earlier), 'earlier event')}, {_years(earlier)}")
    meta_lines = _meta_lines(parts, count_text, f"{len(events)} of {count_text}", WIDTH - MARGIN - TEXT_X)
    meta_top = y
    labels_top = y + LINE * len(meta_lines) + 2

    # The key labels, and the axis long enough to hold them beside it.
    keyed = [e for e in on_axis if e.key] + [e for e in earlier if e.key]
    texts = [wrap(e.key or "", WIDTH - MARGIN - TEXT_X, max_lines=LABEL_LINES) for e in keyed]
    heights = [max(TARGET, LINE * len(lines) + 4) for lines in texts]
    axis_top = y + (8 if own and earlier else 0)
    axis_bottom = max(axis_top + MIN_AXIS, labels_top + sum(heights)) if own else labels_top + sum(heights)

    def y_at(day: int) -> float:
        return axis_top + 3 + (day - start) / max(stop - start, 1) * (axis_bottom - axis_top - 6)

    marks: list[Mark] = []
    where: dict[str, float] = {}  # the y where each event's leader leaves the axis
    if own:
        shapes = []
        for event in sorted(on_axis, key=lambda e: (_extent(e), e.line)):
            a, b = _extent(event)
            y0, y1 = y_at(a), y_at(b)
            # A single day is a dot; any longer period, a bar over all of it.
            if event.end is None and event.date.precision == "day":
                shapes.append((event, "dot", (y0 + y1) / 2 - DOT_RADIUS, (y0 + y1) / 2 + DOT_RADIUS))
            else:
                shapes.append((event, "bar", y0, max(y1, y0 + 2 * DOT_RADIUS)))
        lanes = _lanes([(low, high) for _, _, low, high in shapes])
        pitch = min(LANE, (AXIS_X - 2 * MARGIN - DOT_RADIUS) / (max(lanes, default=0) + 1))
        for (event, shape, low, high), lane in zip(shapes, lanes, strict=True):
            centre_x = AXIS_X - 5 - pitch * lane
            if shape == "dot":
                marks.append(Mark(event, "dot", round(centre_x, 1), round((low + high) / 2, 1), 0))
            else:
                marks.append(
                    Mark(event, "bar", round(centre_x - BAR / 2, 1), round(low, 1), round(high - low, 1))
                )
            where[event.id] = round((low + high) / 2, 1)
    for event in earlier:
        where[event.id] = round(axis_top - 4, 1)

    labels = []
    if keyed:
        order = sorted(range(len(keyed)), key=lambda i: (where[keyed[i].id], keyed[i].line))
        wanted = [where[keyed[i].id] - heights[i] / 2 for i in order]
        tops = _spread_boxes(wanted, [heights[i] for i in order], labels_top, axis_bottom)
        for i, label_top in zip(order, tops, strict=True):
            width = max(text_width(line) for line in texts[i])
            labels.append(
                Label(
                    keyed[i],
                    texts[i],
                    label_top,
                    heights[i],
                    TEXT_X - 10,  # the target covers the leader's end, so a tap on it counts
                    round(TEXT_X + width + 2, 1),
                    where[keyed[i].id],
                )
            )
    return Row(
        era_id=era.id,
        number=number,
        title=era.title,
        title_lines=title_lines,
        top=round(top, 1),
        later=later,
        later_y=round(later_y, 1),
        title_top=round(title_top, 1),
        title_height=round(title_height, 1),
        meta_lines=meta_lines,
        meta_top=round(meta_top, 1),
        count=len(events),
        count_text=count_text,
        axis_top=round(axis_top, 1) if own else None,
        axis_bottom=round(axis_bottom, 1),
        marks=tuple(marks),
        labels=tuple(labels),
        earlier_stub=bool(own and earlier),
        bottom=round(max(axis_bottom, labels_top), 1),
    )


def _meta_lines(
    parts: list[str], count_text: str, widest_count: str, room: float
) -> tuple[tuple[tuple[str, bool], ...], ...]:
    """The span, the count and the background note, joined by ' · ' on as few lines as fit, with
    room for the count as site.js writes it while filtering ("12 of 23 events"). Each line is its
    parts, each with whether it is the count (the template marks that one for site.js)."""
    lines: list[list[tuple[str, bool]]] = []

    def width(line: list[tuple[str, bool]]) -> float:
        return text_width(" · ".join(widest_count if is_count else text for text, is_count in line))

    for part in parts:
        is_count = part == count_text
        if lines and width([*lines[-1], (part, is_count)]) <= room:
            lines[-1].append((part, is_count))
        else:
            lines.extend([(piece, is_count)] for piece in wrap(part, room))
    return tuple(tuple(line) for line in lines)


# ---- The whole picture -----------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    width: int
    height: int
    strip: Strip | None
    rows: tuple[Row, ...]
    axis_x: float = AXIS_X
    text_x: float = TEXT_X
    bar: float = BAR
    dot_radius: float = DOT_RADIUS

    @property
    def marks(self) -> tuple[Mark, ...]:
        return tuple(mark for row in self.rows for mark in row.marks)

    @property
    def labels(self) -> tuple[Label, ...]:
        return tuple(label for row in self.rows for label in row.labels)


def layout(data: SiteData) -> Overview:
    spans = _chapter_spans(data)
    strip = _strip(data, spans) if spans else None
    y = STRIP_HEIGHT + 2 if strip else 0.0
    stops = {era.id: stop for era, _, _, stop in spans}
    starts = {era.id: start for era, _, start, _ in spans}
    rows = []
    previous_stop = None
    for number, era in enumerate(data.timeline.eras, start=1):
        later = None
        if era.id in starts and previous_stop is not None:
            later = _later(previous_stop, starts[era.id])
        row = _row(data, era, number, y, later)
        rows.append(row)
        y = row.bottom + ROW_GAP
        previous_stop = stops.get(era.id, previous_stop)
    return Overview(width=WIDTH, height=int(y - ROW_GAP + 4), strip=strip, rows=tuple(rows))
