"""The timeline page's ids: an id an editor chooses never names a second element.

Events, chapters and the page's own elements share the page's one id space. A
fixture project names events and chapters like every id of the page (its own
elements, the other kind's ids, the old scheme's), and its index must still
have each id once, with every link reaching the element it is meant for.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import FIXTURES, run_build

from timeline.check import check
from timeline.schema import is_id

VALID = FIXTURES / "valid"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag: str, attributes: dict[str, str], parent: Element | None) -> None:
        self.tag, self.attributes, self.parent = tag, attributes, parent
        self.children: list[Element | str] = []

    def text(self) -> str:
        return " ".join(
            "".join(c if isinstance(c, str) else " " + c.text() + " " for c in self.children).split()
        )

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.walk()

    def within(self, other: Element) -> bool:
        node: Element | None = self
        while node is not None:
            if node is other:
                return True
            node = node.parent
        return False

    @property
    def classes(self) -> list[str]:
        return self.attributes.get("class", "").split()


class Tree(HTMLParser):
    """The page as a tree: the templates write well-formed HTML (tests/test_html_valid.py)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {}, None)
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node.tag != tag:
            assert node.parent is not None, f"</{tag}> closes nothing"
            node = node.parent
        self.current = node.parent or self.root

    def handle_data(self, data):
        self.current.children.append(data)


def elements(path: Path) -> list[Element]:
    return list(Tree(path.read_text(encoding="utf-8")).root.walk())


def page_ids(path: Path) -> list[str]:
    return [e.attributes["id"] for e in elements(path) if "id" in e.attributes]


EVENT = """\
  - id: {id}
    date: 2014-03-04
    era: {era}
    title: Event named {id}
    summary: An event whose id is {id}.
    topics: [diplomacy]
    actors: [japan]
    citations:
      - source: voa-2014-03-04
        quote: "There has been no change in the direction of economic and resource diplomacy"
"""
ERA = """\
  - id: {id}
    title: Chapter named {id}
    summary: A chapter whose id is {id}.
"""


@pytest.fixture(scope="module")
def colliding(tmp_path_factory) -> tuple[Path, list[str], list[str]]:
    """The valid fixture, plus events and chapters named like every id its timeline page uses."""
    folder = tmp_path_factory.mktemp("ids")
    plain = folder / "plain"
    result = run_build(plain, "--data", str(VALID / "events.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    timeline = check(VALID / "events.yaml", VALID / "seeds").timeline
    assert timeline is not None
    (era,) = timeline.eras
    # Every id of the page, and every id the old scheme gave a chapter and its headings.
    taken = {*page_ids(plain / "index.html"), era.id, f"{era.id}-title", f"{era.id}-background"}
    events = [e.id for e in timeline.events]
    names = sorted(name for name in taken - set(events) if is_id(name))
    assert {"main", "search-input", "search-results", "filters-title", era.id} <= set(names)
    # Chapters named like the page's own elements, and like an event.
    eras = ["main", "search-input", "overview-title", events[0]]
    text = (VALID / "events.yaml").read_text(encoding="utf-8")
    text = text.replace("\nsources:\n", "\n" + "".join(ERA.format(id=e) for e in eras) + "\nsources:\n", 1)
    added = [
        EVENT.format(id=name, era=eras[i // 2 % len(eras)] if i % 2 else era.id)
        for i, name in enumerate(names)
    ]
    added.append(EVENT.format(id="in-the-background", era="main") + "    background: true\n")
    data = folder / "events.yaml"
    data.write_text(text + "".join(added), encoding="utf-8")
    site = folder / "site"
    result = run_build(site, "--data", str(data), "--seeds", str(VALID / "seeds"))
    assert result.returncode == 0, result.stdout + result.stderr
    return site, [*events, *names, "in-the-background"], [era.id, *eras]


def test_every_id_of_the_timeline_page_is_used_once(colliding):
    site, events, eras = colliding
    counts = Counter(page_ids(site / "index.html"))
    assert [name for name, count in counts.items() if count > 1] == []
    assert len(events) > 10
    assert len(eras) == 5


def test_every_link_and_reference_on_the_timeline_page_reaches_its_target(colliding):
    site, events, eras = colliding
    page = elements(site / "index.html")
    by_id = {e.attributes["id"]: e for e in page if "id" in e.attributes}
    titles = {f"Chapter named {name}" for name in eras} | {"Crimea, 2014"}

    # Links within the page: the skip link to <main>, the rest to a chapter named in the link.
    for link in (e for e in page if e.attributes.get("href", "").startswith("#")):
        target = by_id[link.attributes["href"][1:]]
        if "skip-link" in link.classes:
            assert target.tag == "main"
            continue
        assert target.tag == "section", link.attributes["href"]
        assert "era" in target.classes, link.attributes["href"]
        (heading,) = [e for e in target.walk() if e.tag == "h2"]
        assert heading.text() in titles
        assert heading.text() in link.text(), (link.text(), heading.text())
    in_page = Counter(
        e.attributes["href"] for e in page if e.attributes.get("href", "").startswith("#chapter-")
    )
    # Each chapter from the chapter list, its filter chip and its band in the overview.
    assert in_page == {f"#chapter-{name}": 3 for name in eras}

    # Labels, descriptions and controls name the element they mean.
    for element in page:
        for name in ("aria-labelledby", "aria-describedby", "aria-controls", "for"):
            for ref in element.attributes.get(name, "").split():
                target = by_id[ref]
                if element.tag in ("section", "nav"):
                    assert target.tag in ("h2", "h3")
                    assert target.within(element)
                elif element.tag == "svg":
                    assert target.tag in ("title", "desc")
                    assert target.parent is element
                elif name == "for":
                    assert target.tag == "input"
                else:
                    assert ref in ("search-results", "search-status")

    # Each event's card, in its own chapter, links to the event's page; its page links back to
    # the chapter it is in.
    cards = [e for e in page if e.tag == "article" and "event" in e.classes]
    assert len(cards) == len(events)
    for event in events:
        card = by_id[f"event-{event}"]
        assert card in cards
        heading_links = [a.attributes["href"] for h in card.walk() if h.tag in ("h3", "h4") for a in h.walk()
                         if a.tag == "a"]  # fmt: skip
        assert heading_links == [f"events/{event}/index.html"]
        back = [a.attributes["href"] for a in elements(site / "events" / event / "index.html")
                if a.attributes.get("href", "").startswith("../../index.html#")]  # fmt: skip
        (address,) = back
        assert card.within(by_id[address.split("#")[1]])
