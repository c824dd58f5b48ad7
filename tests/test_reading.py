"""The reading view: every cited passage marked, in time linear in the citations."""

from __future__ import annotations

import functools
import html
import itertools
import random
import re
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


def reference_segments(original, start, end, passages, regions):
    """The reading view's segments as first written: plain and obviously right, and quadratic
    (every line and every segment looked at every passage). The fast one must agree with it."""
    inside = [(p, a, b) for p in passages for a, b in p.spans if a < end and b > start]
    places = {p: reading.cited_by_place(original, p.spans[-1][1], regions) for p in passages}
    cuts = sorted(
        {start, end, *(max(a, start) for _, a, _ in inside), *(min(b, end) for _, _, b in inside)}
        | {place for place in places.values() if start < place < end}
    )
    segments = []
    for a, b in itertools.pairwise(cuts):
        covering = any(s < b and e > a for _, s, e in inside)
        anchors = tuple(p.anchor for p in passages if p.spans[0][0] == a)
        ends = tuple(p for p in passages if places[p] == b)
        segments.append(reading.Segment(original[a:b], covering, anchors, ends))
    return tuple(segments)


def reference_read(source, text, passages):
    original = text.original
    body_start, body_end = reading._bounds(source, text)
    number = 0
    parts = []
    regions = [(0, body_start), (body_start, body_end), (body_end, len(original))]
    for start, end in regions:
        paragraphs = []
        for a, b in reading._lines(original, start, end):
            number += 1
            paragraphs.append(
                reading.Paragraph(number, reference_segments(original, a, b, passages, regions))
            )
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


# ---- where the "cited by" links go ---------------------------------------------------------


def placed(text: str, passage: str, occurrence: int = 0) -> str:
    """The text up to where the "cited by" link of `passage` (its n-th occurrence) goes."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(passage, start + 1)
    return text[: reading.cited_by_place(text, start + len(passage), [(0, len(text))])]


@pytest.mark.parametrize(
    ("text", "passage", "expected"),
    [
        # before a closing quotation mark, then the full stop after it
        ("He said “we will stay”. Then he left.", "we will stay", "He said “we will stay”."),
        # before a full stop inside the quotation marks
        ('"We will stay." He left.', "We will stay", '"We will stay."'),
        ("‘We will stay.’ He left.", "We will stay.", "‘We will stay.’"),
        # in the middle of a sentence: its end
        (
            "Japan kept buying LNG from Sakhalin 2. Others stopped.",
            "kept buying",
            "Japan kept buying LNG from Sakhalin 2.",
        ),
        # a quotation closed mid-sentence: the sentence goes on
        ("“We stay,” he said, “for now.” Then", "“We stay,”", "“We stay,” he said, “for now.”"),
        # a bracket and a question
        ("(Will it stop?) No.", "Will it", "(Will it stop?)"),
        # the end of the text, with and without its stop
        ("The talks ended.", "talks ended.", "The talks ended."),
        ("The talks ended", "talks", "The talks ended"),
        # no stop in the paragraph: its end, never the next paragraph
        ("A headline without a stop \nThe next line.", "headline", "A headline without a stop"),
        # stops that end no sentence: abbreviations, initials, lower case going on
        (
            "The U.S. Treasury asked Mr. Kato to stop. He did not.",
            "U.S.",
            "The U.S. Treasury asked Mr. Kato to stop.",
        ),
        ("Prices rose… and fell. Then", "Prices rose", "Prices rose… and fell."),
        ("Oil at $47.50 a barrel. Then", "$47", "Oil at $47.50 a barrel."),
    ],
)
def test_a_cited_by_link_goes_after_the_sentence_that_holds_the_passage_end(text, passage, expected):
    assert placed(text, passage) == expected


def test_a_cited_by_link_stays_in_the_region_of_its_passage():
    # The body's bounds may cut a line: the link stays on the side where the passage ends.
    text = "Intro line. Body starts here and goes on. More"
    body_start = text.index("Body")
    end = text.index("starts") + len("starts")
    regions = [(0, body_start), (body_start, len(text) - len(" More")), (len(text) - len(" More"), len(text))]
    assert text[: reading.cited_by_place(text, end, regions)] == "Intro line. Body starts here and goes on."
    end = text.index("Intro") + len("Intro")
    assert text[: reading.cited_by_place(text, end, regions)] == "Intro line."


def test_passages_ending_in_one_sentence_are_cited_together_after_it():
    site = site_data(GOLDEN / "events.yaml")
    source = site.timeline.sources[0]
    text = site.seeds.text(source.file)
    original = text.original
    # Two overlapping passages at the start of a sentence with an abbreviation ("U.S.") in it.
    start = original.index("While U.S.")
    event = site.timeline.events[0]
    first = CitedPassage(event, 1, Citation(source.id, "q"), ((start, start + 10),))
    second = CitedPassage(event, 2, Citation(source.id, "q"), ((start + 5, start + 20),))
    segments = [s for p in reading.read(source, text, [first, second]).body for s in p.segments]
    with_links = [s for s in segments if s.ends]
    assert len(with_links) == 1
    assert with_links[0].ends == (first, second)
    text_before = "".join(s.text for s in segments[: segments.index(with_links[0]) + 1])
    assert text_before.endswith(
        "While U.S. President Barack Obama and other G7 leaders of advanced economies talk of"
        " sanctions or other punitive responses, Japanese officials say ties with Moscow"
        " remain on track."
    )


CLOSING = "\"'”’»)]"


def test_on_the_real_site_no_cited_by_link_sits_inside_a_sentence_or_before_a_closing_mark(built_site):
    # Each paragraph of each reading view, as text, with a marker where each group of links is.
    found = 0
    bad = []
    for page in sorted((built_site / "sources").glob("*/index.html")):
        for paragraph in re.findall(r"<p id=\"p\d+\">(.*?)</p>", page.read_text(encoding="utf-8"), re.S):
            marked = re.sub(r'<(a|span) class="cited-by".*?</\1>', "\0", paragraph, flags=re.S)
            words = html.unescape(re.sub(r"<[^>]+>", "", marked))
            for at in (i for i, c in enumerate(words) if c == "\0"):
                found += 1
                after = words[at + 1 :].lstrip("\0")
                before = words[:at].rstrip("\0")
                if after and (after[0] in CLOSING + ",;:" or re.match(r"\s*[a-z]", after)):
                    bad.append(f"{page.parent.name}: …{before[-40:]}⟨cited by⟩{after[:30]}…")
    assert found > 40
    assert bad == []
