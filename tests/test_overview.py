"""The overview at the top of the timeline: its geometry (timeline/overview.py), and the picture as
a reader gets it in a real browser, on a phone and beside the In brief on a wide screen."""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from conftest import ROOT

from timeline import overview
from timeline.check import check
from timeline.dates import PartialDate
from timeline.model import Era, Event, Site, Timeline
from timeline.site import SiteData

# ---- geometry ---------------------------------------------------------------------------------


def event(id: str, when: str, era: str, *, end: str | None = None, key: str | None = None, **more) -> Event:
    return Event(
        id=id,
        date=PartialDate.parse(when),
        end=PartialDate.parse(end) if end else None,
        era=era,
        title=f"Title of {id}",
        summary="Summary.",
        topics=("t",),
        actors=("a",),
        citations=(),
        key=key,
        **more,
    )


def layout_of(eras: list[str], events: list[Event]) -> overview.Overview:
    timeline = Timeline(
        site=Site("T", "D", "https://example.org/"),
        topics=(),
        actors=(),
        eras=tuple(Era(e, f"Chapter {e}", "") for e in eras),
        sources=(),
        events=tuple(events),
    )
    return overview.layout(SiteData(timeline, None))  # the overview reads no seed


@pytest.fixture(scope="module")
def real():
    checked = check(ROOT / "events.yaml", ROOT / "seeds")
    assert checked.timeline is not None
    data = SiteData(checked.timeline, checked.seeds)
    return data, overview.layout(data)


def day(d: tuple[int, int, int]) -> int:
    return date(*d).toordinal()


def test_chapters_whose_events_overlap_in_time_are_drawn_one_after_the_other():
    # A year-precision event makes chapter a run to the end of 2022, over all of chapter b's
    # events; chapter c starts in the last week of b. In the strip no two segments may overlap:
    # each later chapter is drawn from the end of the one before.
    layout = layout_of(
        ["a", "b", "c"],
        [
            event("a1", "2021-06", "a"),
            event("a2", "2022", "a"),
            event("b1", "2022-03-10", "b"),
            event("b2", "2022-05", "b"),
            event("c1", "2022-05-25", "c", end="2023-02"),
        ],
    )
    segments = layout.strip.segments
    assert [s.era_id for s in segments] == ["a", "b", "c"]
    for before, after in itertools.pairwise(segments):
        assert before.x + before.width <= after.x + 0.05, (before, after)
        assert after.width >= 3  # still seen
    # Chapter a is where its events are, and each later one starts where the one before ends.
    strip = layout.strip
    assert (strip.first_year, strip.last_year) == (2021, 2023)
    share = (day((2021, 6, 1)) - day((2021, 1, 1))) / (day((2024, 1, 1)) - day((2021, 1, 1)))
    assert segments[0].x == pytest.approx(
        strip.axis_left + share * (strip.axis_right - strip.axis_left), abs=0.1
    )
    for before, after in itertools.pairwise(segments):
        assert after.x == pytest.approx(before.x + before.width, abs=0.1)
    # The chapter numbers above them are apart too, so each can be read.
    numbers = [s.number_x for s in segments]
    assert all(b - a >= overview.NUMBER_GAP - 0.1 for a, b in itertools.pairwise(numbers))
    # Without the overlap the chapters are where their events are.
    plain = layout_of(["a", "b"], [event("a1", "2014-02", "a"), event("b1", "2022-02-09", "b")])
    a, b = plain.strip.segments
    width = plain.strip.axis_right - plain.strip.axis_left
    assert b.x - (a.x + a.width) > width * 0.6  # about 8 years of 12 lie between them


def test_month_and_year_events_are_bars_over_their_whole_period_and_days_are_dots():
    layout = layout_of(
        ["a"],
        [
            event("year", "2014", "a"),
            event("month", "2015-03", "a"),
            event("day", "2015-06-15", "a"),
            event("range", "2015-07-01", "a", end="2015-07-10"),
            event("last", "2015-12-31", "a"),
        ],
    )
    (row,) = layout.rows
    start, stop = day((2014, 1, 1)), day((2016, 1, 1))

    def y_at(d: tuple[int, int, int]) -> float:
        return row.axis_top + 3 + (day(d) - start) / (stop - start) * (row.axis_bottom - row.axis_top - 6)

    marks = {m.event.id: m for m in row.marks}
    for name, first, after in [
        ("year", (2014, 1, 1), (2015, 1, 1)),
        ("month", (2015, 3, 1), (2015, 4, 1)),
        ("range", (2015, 7, 1), (2015, 7, 11)),
    ]:
        mark = marks[name]
        assert mark.shape == "bar", name
        assert mark.y == pytest.approx(y_at(first), abs=0.1), name
        # over its whole period; a period too short to see is drawn as long as a dot is wide
        expected = max(y_at(after), y_at(first) + 2 * overview.DOT_RADIUS)
        assert mark.y + mark.height == pytest.approx(expected, abs=0.2), name
    assert marks["day"].shape == "dot"
    assert marks["day"].y == pytest.approx((y_at((2015, 6, 15)) + y_at((2015, 6, 16))) / 2, abs=0.1)
    # Overlapping marks take lanes of their own: none is drawn over another.
    boxes = [(m.x - 3, m.x + 3, m.y, m.y + max(m.height, 1)) for m in row.marks]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]


def test_the_key_events_and_only_those_are_labelled_in_words(real):
    data, layout = real
    keyed = {e.id: e.key for e in data.timeline.events if e.key}
    assert len(keyed) >= 10
    labels = {label.event.id: " ".join(label.lines) for label in layout.labels}
    assert labels == keyed  # each whole: the real keys fit without an ellipsis
    for row in layout.rows:
        # Labels never overlap, each is a target of at least TARGET units, and they keep the
        # order in time of their marks, so no two leader lines cross.
        tops = [label.top for label in row.labels]
        assert tops == sorted(tops)
        assert [label.leader_y for label in row.labels] == sorted(label.leader_y for label in row.labels)
        for a, b in zip(row.labels, row.labels[1:], strict=False):
            assert a.top + a.height <= b.top + 0.05
        assert all(label.height >= overview.TARGET for label in row.labels)
        assert all(label.box_right <= overview.WIDTH for label in row.labels)


def test_a_long_label_wraps_between_words_and_is_cut_only_with_an_ellipsis():
    long_key = "Japan's trading houses keep their stakes in the Sakhalin projects despite all"
    lines = overview.wrap(long_key, 150)
    assert len(lines) > 1
    assert all(overview.text_width(line) <= 150 for line in lines)
    assert " ".join(lines) == long_key
    one_word = "x" * 64
    (cut,) = overview.wrap(one_word, 150)
    assert cut.endswith("…")
    assert one_word.startswith(cut[:-1])
    lines = overview.wrap(long_key, 60, max_lines=2)
    assert len(lines) == 2
    assert lines[-1].endswith("…")


def test_the_quiet_years_are_written_in_the_strip_and_between_the_chapters(real):
    _, layout = real
    labels = {(label.kind, label.text) for label in layout.strip.labels}
    assert ("quiet", "2015–2021") in labels
    assert ("earlier", "1945–2013") in labels
    assert {("year", "2014"), ("year", "2025")} <= labels
    later = [row.later for row in layout.rows]
    assert later == [None, "7 years 9 months later", "Straight after", "1 year 8 months later"]
    # A chapter's span in words, its count and its background before its axis.
    first = layout.rows[0]
    assert [[text for text, _ in line] for line in first.meta_lines] == [
        ["Feb–Mar 2014", "23 events"],
        ["+5 earlier events, 1945–2013"],
    ]


def test_background_within_a_chapter_is_drawn_and_earlier_background_is_a_note():
    layout = layout_of(
        ["a"],
        [
            event("old", "1945", "a", background=True, key="Long ago"),
            event("inside", "2014-03-02", "a", background=True),
            event("own", "2014-03", "a"),
        ],
    )
    (row,) = layout.rows
    assert {m.event.id for m in row.marks} == {"inside", "own"}
    assert row.earlier_stub
    assert [text for line in row.meta_lines for text, _ in line][-1] == "+1 earlier event, 1945"
    (label,) = row.labels  # a key event off the axis is still named, its leader from the stub
    assert label.event.id == "old"
    assert label.leader_y < row.axis_top


# ---- in the browser ---------------------------------------------------------------------------

# Everything measured of the picture, in CSS pixels: its box, each link's box, the smallest text.
MEASURE = """() => {
  const svg = document.querySelector('.overview-chart');
  const figure = document.querySelector('.overview');
  const box = svg.getBoundingClientRect();
  const scale = svg.getScreenCTM().a;
  const texts = [...svg.querySelectorAll('text, tspan')].filter((t) => t.textContent.trim());
  const inside = [...svg.querySelectorAll('text, a, rect, circle, line, polyline')].map((e) => e.getBoundingClientRect())
    .filter((r) => r.width || r.height);
  return {
    width: box.width, height: box.height, figureWidth: figure.clientWidth,
    scrolls: figure.scrollWidth > figure.clientWidth || document.documentElement.scrollWidth > innerWidth,
    smallestText: Math.min(...texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * scale)),
    links: [...svg.querySelectorAll('a')].map((a) => {
      const r = a.getBoundingClientRect();
      return {href: a.getAttribute('href'), name: a.getAttribute('aria-label'), width: r.width, height: r.height};
    }),
    outside: inside.filter((r) => r.left < box.left - 0.5 || r.right > box.right + 0.5).length,
  };
}"""


@pytest.fixture(scope="module")
def site(built_site, serve):
    return serve(built_site)


@pytest.fixture
def reader(browser, site):
    contexts = []

    def open_page(width: int, scheme: str = "light", javascript: bool = True):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, color_scheme=scheme, java_script_enabled=javascript
        )
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(site + "index.html")
        page.errors = errors
        return page

    yield open_page
    for context in contexts:
        context.close()


def place_in_column(page, width: int) -> None:
    """The overview in a column of `width` px, as the index's first screen will hold it."""
    page.evaluate(f"document.querySelector('.overview').style.width = '{width}px'")


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "column"), [(375, None), (1280, 335), (1280, 460), (1280, 480)])
def test_the_overview_fits_its_box_with_legible_text_and_targets_a_finger_can_hit(
    reader, viewport, column, real
):
    data, _ = real
    page = reader(viewport)
    if column:
        place_in_column(page, column)
    m = page.evaluate(MEASURE)
    assert not m["scrolls"], m
    assert m["outside"] == 0, "something is drawn outside the picture's box"
    assert m["width"] <= m["figureWidth"] + 0.5
    assert m["smallestText"] >= 12, m["smallestText"]
    small = [link for link in m["links"] if link["width"] < 24 or link["height"] < 24]
    assert small == []
    # Each chapter and each key event is a link, named in words for a screen reader.
    hrefs = [link["href"] for link in m["links"]]
    assert [h for h in hrefs if h.startswith("#")] == [f"#chapter-{era.id}" for era in data.timeline.eras]
    keyed = sorted(f"events/{e.id}/index.html" for e in data.timeline.events if e.key)
    assert sorted(h for h in hrefs if not h.startswith("#")) == keyed
    assert all(link["name"] for link in m["links"])
    if column:
        assert m["height"] <= 600, m["height"]  # within the first screen, beside the In brief
    assert page.errors == []


@pytest.mark.browser
def test_filtering_fades_the_marks_it_hides_and_counts_each_chapter(reader, built_site):
    page = reader(1280)
    events = json.loads((built_site / "events.json").read_text())["events"]
    lng = {e["id"] for e in events if "lng" in {t["id"] for t in e["topics"]}}
    chapters = {}
    for e in events:
        chapters.setdefault(e["era"]["id"], []).append(e["id"])

    def counts():
        return page.eval_on_selector_all(
            ".overview-row", "rows => rows.map(r => r.querySelector('[data-overview-count]').textContent)"
        )

    def faded():
        return set(
            page.eval_on_selector_all(
                ".overview-chart .mark.is-filtered-out", "els => els.map(e => e.dataset.event)"
            )
        )

    drawn = set(page.eval_on_selector_all(".overview-chart .mark", "els => els.map(e => e.dataset.event)"))
    assert counts() == [f"{len(ids)} events" for ids in chapters.values()]
    page.locator("button.chip[data-filter='topic'][data-value='lng']").click()
    assert faded() == drawn - lng
    assert counts() == [f"{len(set(ids) & lng)} of {len(ids)} events" for ids in chapters.values()]
    labels = page.eval_on_selector_all(
        ".overview-chart a.key",
        "els => els.map(e => [e.dataset.event, e.classList.contains('is-filtered-out')])",
    )
    assert labels
    assert all(out == (event not in lng) for event, out in labels)
    page.locator("[data-show-all]").click()
    assert faded() == set()
    assert counts() == [f"{len(ids)} events" for ids in chapters.values()]
    assert page.errors == []


@pytest.mark.browser
def test_without_javascript_the_picture_is_whole(reader, real):
    data, layout = real
    page = reader(375, javascript=False)
    assert page.locator(".overview-chart .mark").count() == len(layout.marks) > 50
    assert page.locator(".overview-chart a.key").count() == sum(1 for e in data.timeline.events if e.key)
    counts = page.eval_on_selector_all("[data-overview-count]", "els => els.map(e => e.textContent)")
    assert counts == [f"{len(data.by_era[era.id])} events" for era in data.timeline.eras]
    description = page.locator("#overview-desc").text_content()
    assert "7 years 9 months later: chapter 2, Before the invasion, 2022" in description
    assert "Russia seizes Crimea (February – 4 March 2014)" in description
