"""The real site, built once: links, anchors, marks, exports and feed."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from conftest import ROOT
from jsonschema import Draft202012Validator

from timeline import exports
from timeline.check import check


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, address)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        # A <link rel="alternate"> names another form of the page (a feed, oEmbed) for programs
        # that look for one: the browser loads nothing from it, so it is a link like <a>.
        kind = "a" if tag == "link" and attributes.get("rel") == "alternate" else tag
        for name in ("href", "src"):
            if attributes.get(name):
                self.links.append((kind, attributes[name]))


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def pages(built_site: Path) -> dict[Path, _Page]:
    return {path: parse(path) for path in sorted(built_site.rglob("*.html")) if "pagefind" not in path.parts}


@pytest.fixture(scope="module")
def timeline():
    checked = check(ROOT / "events.yaml", ROOT / "seeds")
    assert checked.timeline is not None
    return checked.timeline


def test_every_page_of_the_site_map_exists(built_site, timeline):
    expected = ["index.html", "sources/index.html", "topics/index.html", "404.html", "robots.txt",
                "sitemap.xml", "feed.xml", "events.json", "events.csv", "timeline.json",
                "about/index.html", "methodology/index.html", "contribute/index.html",
                "assets/style.css", "assets/favicon.svg"]  # fmt: skip
    expected += [f"events/{e.id}/index.html" for e in timeline.events]
    expected += [f"sources/{s.id}/index.html" for s in timeline.sources]
    expected += [f"sources/{s.id}/{s.file}" for s in timeline.sources]
    expected += [f"topics/{t.id}/index.html" for t in timeline.topics]
    expected += [f"actors/{a.id}/index.html" for a in timeline.actors]
    assert [name for name in expected if not (built_site / name).is_file()] == []


def test_every_internal_link_and_fragment_resolves(built_site, pages):
    broken = []
    for path, page in pages.items():
        if path.name == "404.html":
            continue  # its links start from the site's published path; checked below
        for _tag, address in page.links:
            parts = urlsplit(address)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            assert not parts.scheme, f"{path}: unexpected scheme in {address}"
            assert not address.startswith("/"), f"{path}: non-relative link {address}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                broken.append(f"{path.relative_to(built_site)}: {address} is a folder (link its index.html)")
            elif not target.is_file():
                broken.append(f"{path.relative_to(built_site)}: {address} does not exist")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(built_site)}: {address} has no #{parts.fragment}")
    assert broken == []


def test_the_404_page_links_from_the_published_root(built_site, pages, timeline):
    base = urlsplit(timeline.site.base_url).path
    links = [a for _, a in pages[built_site / "404.html"].links if not a.startswith(("http", "#"))]
    assert links
    # and the stylesheet from the host's root too, for a host serving the site there
    # (tests/test_not_found.py)
    assert [address for address in links if not address.startswith(base)] == ["/assets/style.css"]


def test_no_request_leaves_the_site(pages):
    """Stylesheets, scripts, images and frames are all local; only plain links go elsewhere."""
    # A canonical link names the page's own published address; nothing fetches it.
    canonical = {
        a.get("href") for page in pages.values() for t, a in page.tags if a.get("rel") == "canonical"
    }
    external = [
        (path.name, tag, address)
        for path, page in pages.items()
        for tag, address in page.links
        if tag != "a" and urlsplit(address).scheme and not (tag == "link" and address in canonical)
    ]
    assert external == []


def test_every_page_has_one_h1_and_lang(pages):
    """The policy and the absence of inline code: test_security.py, over this build and the hostile one."""
    for path, page in pages.items():
        tags = [tag for tag, _ in page.tags]
        assert tags.count("h1") == 1, path
        assert ("html", {"lang": "en"}) in page.tags, path


def test_every_citation_is_marked_in_its_source_and_links_back(built_site, pages, timeline):
    for event in timeline.events:
        for number, citation in enumerate(event.citations, start=1):
            page = pages[built_site / "sources" / citation.source / "index.html"]
            anchor = f"q-{event.id}-{number}"
            assert anchor in page.ids, f"{anchor} not in sources/{citation.source}/"
            marked = [t for t, a in page.tags if a.get("id") == anchor]
            assert marked in (["mark"], ["span"]), anchor
            backlinks = [addr for tag, addr in page.links if addr == f"../../events/{event.id}/index.html"]
            assert backlinks, f"sources/{citation.source}/ does not link back to {event.id}"


def test_marked_text_is_the_quote(built_site, timeline):
    """What the reading view highlights is the quoted passage, not text beside it."""
    event = next(e for e in timeline.events if len(e.citations[0].quote) > 40)
    html = (built_site / "sources" / event.citations[0].source / "index.html").read_text()
    marked = re.search(rf'<mark id="q-{event.id}-1">(.*?)</mark>', html, re.S)
    assert marked is not None
    fragment = re.split(r"\s*(?:…|\.\.\.)\s*", event.citations[0].quote)[0]
    normal = lambda s: re.sub(r"\s+", " ", s.replace("&#39;", "'").replace("&#34;", '"'))  # noqa: E731
    assert normal(marked.group(1)).replace("’", "'").startswith(normal(fragment).replace("’", "'")[:30])


def test_source_pages_give_the_archived_file_and_its_sha256(built_site, timeline):
    import hashlib

    for source in timeline.sources:
        archived = built_site / "sources" / source.id / source.file
        assert archived.read_bytes() == (ROOT / "seeds" / source.file).read_bytes()
        html = (built_site / "sources" / source.id / "index.html").read_text()
        assert hashlib.sha256(archived.read_bytes()).hexdigest() in html
        assert f'href="{source.file}"' in html


def test_the_feed_parses_with_one_entry_per_event(built_site, timeline):
    feed = feedparser.parse((built_site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == timeline.site.title
    ids = [entry.id for entry in feed.entries]
    assert len(ids) == len(timeline.events) == len(set(ids))
    assert all(entry_id.startswith(timeline.site.base_url + "events/") for entry_id in ids)


def test_events_json_validates_against_its_own_schema(built_site, timeline):
    schema = json.loads((ROOT / "schema" / "events.export.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    data = json.loads((built_site / "events.json").read_text())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(schema).iter_errors(data)]
    assert errors == []
    assert sorted(e["id"] for e in data["events"]) == sorted(e.id for e in timeline.events)
    events = {e.id: e for e in timeline.events}
    starts = [reading_day(events, events[e["id"]]) for e in data["events"]]
    assert starts == sorted(starts), "events.json lists events in date order"
    order = [e["id"] for e in data["events"]]
    for event in timeline.events:
        if event.sort_after:  # right after the event it follows, or after others that follow it too
            between = order[order.index(event.sort_after) + 1 : order.index(event.id)]
            assert all(events[i].sort_after == event.sort_after for i in between), event.id


def reading_day(events, event):
    """The day an event sorts by: its first day, or, with sort_after, that of the event it follows."""
    return reading_day(events, events[event.sort_after]) if event.sort_after else event.date.first_day


def test_events_csv_has_one_row_per_event(built_site, timeline):
    rows = list(csv.DictReader(io.StringIO((built_site / "events.csv").read_text())))
    assert [row["id"] for row in rows] == [
        e["id"] for e in json.loads((built_site / "events.json").read_text())["events"]
    ]
    assert len(rows) == len(timeline.events)
    multi = next(e for e in timeline.events if len(e.citations) > 1)
    row = next(r for r in rows if r["id"] == multi.id)
    assert row["quotes"].count(" | ") == len(multi.citations) - 1


def test_timeline_json_splits_dates_to_each_events_precision(built_site, timeline):
    data = json.loads((built_site / "timeline.json").read_text())
    by_id = {e.id: e for e in timeline.events}
    # Every event is a slide but the background from before the first chapter, listed on the
    # title slide (tests/test_timelinejs.py).
    listed = data["title"]["text"]["text"].count("<li>")
    assert listed >= 4
    assert len(data["events"]) + listed == len(timeline.events)
    for slide in data["events"]:
        event = by_id[slide["unique_id"]]
        start = slide["start_date"]
        # TimelineJS orders by start date alone: an event read after another sits at its date,
        # and the slide's date line says so.
        placed = event
        while placed.sort_after:
            placed = by_id[placed.sort_after]
        assert start["year"] == str(placed.date.year)
        assert ("month" in start) == (placed.date.month is not None)
        assert ("day" in start) == (placed.date.day is not None)
        assert ("end_date" in slide) == (event.end is not None)
        assert slide["display_date"].startswith(exports.display_range(event.date, event.end))
        assert ("(after " in slide["display_date"]) == (event.sort_after is not None)
    assert [era["text"]["headline"] for era in data["eras"]] == [e.title for e in timeline.eras]


def test_sitemap_lists_every_page_with_absolute_addresses(built_site, pages, timeline):
    sitemap = (built_site / "sitemap.xml").read_text()
    locations = re.findall(r"<loc>(.*?)</loc>", sitemap)
    expected = sorted(
        timeline.site.base_url + path.relative_to(built_site).as_posix().removesuffix("index.html")
        for path in pages
        if path.name == "index.html"
    )
    assert sorted(locations) == expected
    assert f"Sitemap: {timeline.site.base_url}sitemap.xml" in (built_site / "robots.txt").read_text()


def test_the_index_lists_every_event_in_its_era_in_date_order(built_site, timeline):
    html = (built_site / "index.html").read_text()
    for era in timeline.eras:
        section = html.split(f'<section class="era" id="chapter-{era.id}"')[1].split('<section class="era"')[
            0
        ]
        shown = re.findall(r'<article class="event[^"]*" id="event-([^"]+)"', section)
        own = [e for e in timeline.events if e.era == era.id]
        assert sorted(shown) == sorted(e.id for e in own)
        by_id = {e.id: e for e in own}
        foreground = [by_id[i] for i in shown if not by_id[i].background]
        days = [reading_day(by_id, e) for e in foreground]
        assert days == sorted(days)
        for event in foreground:
            if event.sort_after:
                assert shown.index(event.id) > shown.index(event.sort_after), event.id


def test_unconfirmed_events_say_so_in_words(built_site, timeline):
    unconfirmed = [e for e in timeline.events if e.unconfirmed]
    assert unconfirmed, "the real data has unconfirmed events; this test needs one"
    for event in unconfirmed:
        html = (built_site / "events" / event.id / "index.html").read_text()
        assert ">Unconfirmed</strong>" in html


def test_the_handbook_lists_every_field_of_the_schema(built_site):
    from timeline.handbook import _rows
    from timeline.schema import load_schema

    html = (built_site / "contribute" / "index.html").read_text()
    fields = [path for path, _, _ in _rows(load_schema(), "")]
    assert len(fields) > 30
    assert [f for f in fields if f"<code>{f}</code>" not in html] == []
    assert "<!-- schema-fields -->" not in html


@pytest.mark.parametrize(
    ("day", "span"),
    [
        (date(2025, 10, 15), ((2025, 10, 15), (2025, 10, 16))),
        (date(2014, 12, 31), ((2014, 12, 31), (2015, 1, 1))),
        (date.max, ((9999, 12, 30), (9999, 12, 31))),  # no next day: the day before, not a traceback
    ],
)
def test_an_era_of_one_day_spans_to_the_next_in_timeline_json(day, span):
    # TimelineJS refuses an era that ends where it starts (test_timelinejs.py shows it with the library).
    assert exports._one_day(day) == span


def test_an_event_title_inside_a_source_text_is_isolated(built_site):
    # The title follows the passage it cites, inside the source's own paragraph: unisolated, its
    # direction (right-to-left letters, say) would reorder the source's words around it.
    groups = [
        group
        for page in sorted((built_site / "sources").glob("*/index.html"))
        for group in re.findall(r'<span class="cited-by"[^>]*>.*?</span>', page.read_text(encoding="utf-8"))
    ]
    links = [link for group in groups for link in re.findall(r"<a [^>]*>.*?</a>", group)]
    assert len(links) > 20
    assert [
        g for g in groups if not g.startswith('<span class="cited-by" data-pagefind-ignore>cited by: <a ')
    ] == []
    assert [link for link in links if not re.search(r'^<a href="[^"]+"><bdi>[^<]+</bdi></a>$', link)] == []
