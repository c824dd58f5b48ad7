"""A source's text as paragraphs, with every cited passage marked.

The reading view shows the article (within its `body` bounds) as
paragraphs; the page chrome before and after is kept, folded away. Cited
passages are cut into segments at paragraph edges and where passages
overlap, so each piece of text is printed once, escaped by the template.
Each passage's "cited by" link goes where the sentence holding the passage's
end ends (after its closing quotation marks), or at the end of the paragraph:
never inside a sentence, where it would read as part of the source's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Source
from .quotes import SourceText
from .site import CitedPassage

_LINE = re.compile(r"[^\n]+")

_STOPS = ".!?…"
_CLOSERS = "\"'”’»)]"
# A sentence's end: its stop(s), any closing quotation marks and brackets, then white space or the
# end of the paragraph.
_SENTENCE_END = re.compile(rf"[{_STOPS}]+[{re.escape(_CLOSERS)}]*(?=\s|$)")
# Words whose full stop ends no sentence ("Mr. Abe", "U.S. sanctions" is caught as initials).
# fmt: off
_ABBREVIATIONS = frozenset((
    "Mr", "Mrs", "Ms", "Dr", "St", "No", "Nos", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
    "Sept", "Oct", "Nov", "Dec", "Inc", "Co", "Corp", "Ltd", "Gov", "Sen", "Rep", "Gen", "Lt", "Col",
    "Prof", "vs", "etc", "e.g", "i.e", "approx",
))
# fmt: on
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Z]")


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool = False  # whether a cited passage covers this text
    anchors: tuple[str, ...] = ()  # passages whose first span starts here
    ends: tuple[CitedPassage, ...] = ()  # passages whose "cited by" link follows this segment


@dataclass(frozen=True)
class Paragraph:
    number: int
    segments: tuple[Segment, ...]

    @property
    def anchor(self) -> str:
        return f"p{self.number}"


@dataclass(frozen=True)
class Reading:
    before: tuple[Paragraph, ...]
    body: tuple[Paragraph, ...]
    after: tuple[Paragraph, ...]


def _bounds(source: Source, text: SourceText) -> tuple[int, int]:
    if source.body is None:
        return 0, len(text.original)
    first = text.locate(source.body.first)
    last = text.locate(source.body.last)
    assert first is not None, "the check guarantees body bounds occur"
    assert last is not None, "the check guarantees body bounds occur"
    return first[0], last[1]


def _lines(original: str, start: int, end: int) -> list[tuple[int, int]]:
    """Non-blank lines of original[start:end], trimmed, as (start, end)."""
    lines = []
    for line in _LINE.finditer(original, start, end):
        content = line.group()
        stripped = content.strip()
        if stripped:
            lead = len(content) - len(content.lstrip())
            lines.append((line.start() + lead, line.start() + lead + len(stripped)))
    return lines


def _ends_no_sentence(original: str, line_start: int, stop: int, after: int, limit: int) -> bool:
    """Whether the stop at `stop` is an abbreviation's or an initial's, or the text goes on in
    lower case after it ("e.g. the", "… and then"): then the sentence has not ended."""
    word_start = stop
    while word_start > line_start and not original[word_start - 1].isspace():
        word_start -= 1
    word = original[word_start:stop].lstrip("\"'“‘«([")
    if word in _ABBREVIATIONS or _INITIALS.fullmatch(word):
        return True
    following = original[after:limit].lstrip()
    return bool(following) and following[0].islower()


def cited_by_place(original: str, end: int, regions: list[tuple[int, int]]) -> int:
    """Where the "cited by" link of a passage ending at `end` goes: after the end of the sentence
    holding it (after closing quotation marks and brackets), else at the end of its paragraph.
    A paragraph is a line within its region (before, body, after), trimmed as `_lines` trims it."""
    region_start, region_end = next((a, b) for a, b in regions if a < end <= b)
    line_start = max(original.rfind("\n", 0, end) + 1, region_start)
    newline = original.find("\n", end)
    limit = min(region_end, len(original) if newline < 0 else newline)
    while limit > end and original[limit - 1].isspace():
        limit -= 1
    # A passage may end with its sentence's stop or closing mark: look from before them.
    at = end
    while at > line_start and original[at - 1] in _STOPS + _CLOSERS:
        at -= 1
    for found in _SENTENCE_END.finditer(original, at, limit):
        if found.end() < end:
            continue  # a stop inside the passage's own final marks ("stay.” ”")
        if not _ends_no_sentence(original, line_start, found.start(), found.end(), limit):
            return found.end()
    return limit


class _Marks:
    """Every cited span's edges in text order, met by one sweep over the lines in text order.

    The lines come in order and never overlap, so each edge is passed once, whatever the number
    of passages: a source cited 10,000 times costs 10,000 times one citation, not its square.
    """

    def __init__(self, original: str, passages: list[CitedPassage], regions: list[tuple[int, int]]) -> None:
        change: dict[int, int] = {}  # how many spans start at an offset, less those that end there
        self.anchors: dict[int, list[str]] = {}
        self.ends: dict[int, list[CitedPassage]] = {}  # "cited by" links by the offset they follow
        for passage in passages:  # in text order, so each offset's lists keep that order
            for a, b in passage.spans:
                change[a] = change.get(a, 0) + 1
                change[b] = change.get(b, 0) - 1
            self.anchors.setdefault(passage.spans[0][0], []).append(passage.anchor)
            place = cited_by_place(original, passage.spans[-1][1], regions)
            change.setdefault(place, 0)  # an edge, so that a segment ends there
            self.ends.setdefault(place, []).append(passage)
        self._edges = sorted(change)
        self._change = change
        self._next = 0  # the first edge not yet passed
        self.covering = 0  # spans covering the text just after the last edge passed

    def pass_to(self, offset: int) -> None:
        """Pass every edge up to and including `offset`."""
        edges = self._edges
        while self._next < len(edges) and edges[self._next] <= offset:
            self.covering += self._change[edges[self._next]]
            self._next += 1

    def next_edge(self, limit: int) -> int:
        """The first edge not yet passed, or `limit` if none comes before it."""
        edges = self._edges
        return edges[self._next] if self._next < len(edges) and edges[self._next] < limit else limit


def _segments(original: str, start: int, end: int, marks: _Marks) -> tuple[Segment, ...]:
    """The line original[start:end] cut at every edge of a cited span inside it."""
    marks.pass_to(start)
    segments = []
    a = start
    while True:
        b = marks.next_edge(end)
        anchors = tuple(marks.anchors.get(a, ()))
        segments.append(Segment(original[a:b], marks.covering > 0, anchors, tuple(marks.ends.get(b, ()))))
        if b == end:
            return tuple(segments)
        marks.pass_to(b)
        a = b


def read(source: Source, text: SourceText, passages: list[CitedPassage]) -> Reading:
    original = text.original
    body_start, body_end = _bounds(source, text)
    regions = [(0, body_start), (body_start, body_end), (body_end, len(original))]
    marks = _Marks(original, passages, regions)
    number = 0
    parts: list[tuple[Paragraph, ...]] = []
    for start, end in regions:
        paragraphs = []
        for a, b in _lines(original, start, end):
            number += 1
            paragraphs.append(Paragraph(number, _segments(original, a, b, marks)))
        parts.append(tuple(paragraphs))
    return Reading(*parts)


def body_text(source: Source, text: SourceText) -> str:
    """The article's words as the reading view shows them (within its `body` bounds), one line
    after another: what the search index holds of a source's own text."""
    original = text.original
    return " ".join(original[a:b] for a, b in _lines(original, *_bounds(source, text)))
