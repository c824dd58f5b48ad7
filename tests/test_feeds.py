"""An Atom feed for each topic and each actor, from the site feed's own template (issue 16)."""

from __future__ import annotations

from html.parser import HTMLParser

import feedparser
import pytest
from conftest import ROOT

from timeline.check import check
from timeline.site import SiteData


@pytest.fixture(scope="module")
def timeline():
    checked = check(ROOT / "events.yaml", ROOT / "seeds")
    assert checked.timeline is not None
    return checked.timeline


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.alternates: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "link" and dict(attrs).get("rel") == "alternate":
            self.alternates.append(dict(attrs))


def test_each_topic_and_actor_has_a_feed_of_its_events_linked_from_its_page(built_site, timeline):
    base = timeline.site.base_url
    # The site's date order (ties and sort_after as everywhere), newest first as in feed.xml.
    newest = list(reversed(SiteData(timeline, None).chronological))
    checked = 0
    for plural, terms, key in (("topics", timeline.topics, "topics"), ("actors", timeline.actors, "actors")):
        for term in terms:
            events = [e for e in newest if term.id in getattr(e, key)]
            folder = built_site / plural / term.id
            if not events:
                assert not (folder / "feed.xml").exists()
                continue
            feed = feedparser.parse((folder / "feed.xml").read_bytes())
            assert not feed.bozo, (term.id, feed.get("bozo_exception"))
            assert feed.feed.title == f"{timeline.site.title}: {term.label}"
            assert feed.feed.id == f"{base}{plural}/{term.id}/"
            assert {link.rel: link.href for link in feed.feed.links} == {
                "alternate": f"{base}{plural}/{term.id}/",
                "self": f"{base}{plural}/{term.id}/feed.xml",
            }
            assert [entry.id for entry in feed.entries] == [f"{base}events/{e.id}/" for e in events]
            assert [entry.title for entry in feed.entries] == [e.title for e in events]
            links = _Links()
            links.feed((folder / "index.html").read_text(encoding="utf-8"))
            assert {"rel": "alternate", "type": "application/atom+xml", "href": "feed.xml",
                    "title": f"{term.label}: {timeline.site.title} (Atom feed)"} in links.alternates  # fmt: skip
            checked += 1
    assert checked > 20
