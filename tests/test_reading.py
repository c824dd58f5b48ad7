"""The reading view: every cited passage marked, in time linear in the citations."""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import replace
from pathlib import Path

import pytest

from timeline import reading
from timeline.check import check_loaded, load_project
from timeline.model import Citation
from timeline.quotes import SourceText
from timeline.site import CitedPassage, SiteData

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "fixtures" / "golden-project"


def reference_segments(original, start, end, passages):
    """The reading view's segments as first written: plain and obviously right, and quadratic
    (every line and every segment looked at every passage). The fast one must agree with it."""
    inside = [(p, a, b) for p in passages for a, b in p.spans if a < end and b > start]
    cuts = sorted({start, end, *(max(a, start) for _, a, _ in inside), *(min(b, end) for _, _, b in inside)})
    segments = []
    for a, b in itertools.pairwise(cuts):
        covering = any(s < b and e > a for _, s, e in inside)
        anchors = tuple(p.anchor for p in passages if p.spans[0][0] == a)
        ends = tuple(p for p in passages if p.spans[-1][1] == b)
        segments.append(reading.Segment(original[a:b], covering, anchors, ends))
    return tuple(segments)


def reference_read(source, text, passages):
    original = text.original
    body_start, body_end = reading._bounds(source, text)
    number = 0
    parts = []
    for start, end in [(0, body_start), (body_start, body_end), (body_end, len(original))]:
        paragraphs = []
        for a, b in reading._lines(original, start, end):
            number += 1
            paragraphs.append(reading.Paragraph(number, reference_segments(original, a, b, passages)))
        parts.append(tuple(paragraphs))
    return reading.Reading(*parts)


@functools.cache
def site_data(data: Path) -> SiteData:
    checked = check_loaded(load_project(data, data.parent / "seeds"))
    assert not checked.errors
    assert checked.timeline is not None
    return SiteData(checked.timeline, checked.seeds)


@pytest.mark.parametrize("data", [ROOT / "events.yaml", GOLDEN / "events.yaml"], ids=["real", "golden"])
def test_every_reading_view_is_what_the_plain_definition_gives(data):
    # With the golden test (tests/golden/sources/), this keeps the pages byte-identical.
    site = site_data(data)
    compared = 0
    for source in site.timeline.sources:
        text = site.seeds.text(source.file)
        passages = site.passages[source.id]
        assert reading.read(source, text, passages) == reference_read(source, text, passages), source.id
        compared += len(passages)
    assert compared == sum(len(e.citations) for e in site.timeline.events)


def overlapping_passages(
    site: SiteData, count: int, seed: int
) -> tuple[object, SourceText, list[CitedPassage]]:
    """`count` passages of the real site's longest source, at random places: nested, overlapping,
    sharing starts and ends, in several parts, crossing lines and the body's bounds."""
    rng = random.Random(seed)
    source = max(site.timeline.sources, key=lambda s: len(site.seeds.text(s.file).original))
    text = site.seeds.text(source.file)
    length = len(text.original)
    event = site.timeline.events[0]
    passages = []
    for number in range(1, count + 1):
        edges = sorted(rng.sample(range(length), 2 * rng.randint(1, 3)))
        if rng.random() < 0.2 and passages:  # the same start or end as another passage
            other = rng.choice(passages).spans
            edges[0] = other[0][0] if edges[1] > other[0][0] else edges[0]
        spans = tuple((a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if a < b)
        if spans:
            passages.append(CitedPassage(event, number, Citation(source.id, "q"), spans))
    passages.sort(key=lambda p: (p.spans[0][0], p.anchor))
    return source, text, passages


@pytest.mark.parametrize("seed", range(5))
def test_overlapping_passages_are_cut_as_the_plain_definition_cuts_them(seed):
    site = site_data(ROOT / "events.yaml")
    source, text, passages = overlapping_passages(site, 60, seed)
    assert reading.read(source, text, passages) == reference_read(source, text, passages)
    body_only = replace(source, body=None)
    assert reading.read(body_only, text, passages) == reference_read(body_only, text, passages)


class Counted(list):
    """A list that counts how many of its items are looked at."""

    looked = 0

    def __iter__(self):
        for item in super().__iter__():
            Counted.looked += 1
            yield item

    def __getitem__(self, index):
        Counted.looked += 1
        return super().__getitem__(index)


def test_the_reading_view_looks_at_each_passage_a_fixed_number_of_times():
    # A source cited 10,000 times took 17.7 s to render when each line and each segment
    # scanned every passage. Counting, not timing: the same on any machine.
    site = site_data(ROOT / "events.yaml")
    source, text, passages = overlapping_passages(site, 400, seed=1)
    counted = Counted(passages)
    Counted.looked = 0
    result = reading.read(source, text, counted)
    paragraphs = len(result.before) + len(result.body) + len(result.after)
    assert paragraphs > 50  # so a scan per line would show
    assert Counted.looked <= 2 * len(passages), Counted.looked
