"""A source's text as paragraphs, with every cited passage marked.

The reading view shows the article (within its `body` bounds) as
paragraphs; the page chrome before and after is kept, folded away. Cited
passages are cut into segments at paragraph edges and where passages
overlap, so each piece of text is printed once, escaped by the template.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .model import Source
from .quotes import SourceText
from .site import CitedPassage

_LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Segment:
    text: str
    marked: tuple[CitedPassage, ...] = ()  # passages covering this text
    anchors: tuple[str, ...] = ()  # passages whose first span starts here
    ends: tuple[CitedPassage, ...] = ()  # passages whose last span ends here


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


def _segments(original: str, start: int, end: int, passages: list[CitedPassage]) -> tuple[Segment, ...]:
    inside = [(p, a, b) for p in passages for a, b in p.spans if a < end and b > start]
    cuts = sorted({start, end, *(max(a, start) for _, a, _ in inside), *(min(b, end) for _, _, b in inside)})
    segments = []
    for a, b in itertools.pairwise(cuts):
        covering = tuple(p for p, s, e in inside if s < b and e > a)
        anchors = tuple(p.anchor for p in passages if p.spans[0][0] == a)
        ends = tuple(p for p in passages if p.spans[-1][1] == b)
        segments.append(Segment(original[a:b], covering, anchors, ends))
    return tuple(segments)


def read(source: Source, text: SourceText, passages: list[CitedPassage]) -> Reading:
    original = text.original
    body_start, body_end = _bounds(source, text)
    regions = [(0, body_start), (body_start, body_end), (body_end, len(original))]
    number = 0
    parts: list[tuple[Paragraph, ...]] = []
    for start, end in regions:
        paragraphs = []
        for a, b in _lines(original, start, end):
            number += 1
            paragraphs.append(Paragraph(number, _segments(original, a, b, passages)))
        parts.append(tuple(paragraphs))
    return Reading(*parts)
