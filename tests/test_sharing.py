"""Link previews and structured data: each page's card, Open Graph metadata and JSON-LD, read back
with real parsers (extruct, as search engines' tools read a page; pyld, the JSON-LD algorithms)
and checked against what the page shows."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import extruct
import pytest
from conftest import ROOT
from PIL import Image
from pyld import jsonld

from timeline import cards
from timeline.check import check
from timeline.site import SiteData

REAL = check(ROOT / "events.yaml", ROOT / "seeds")
assert REAL.timeline is not None
TIMELINE = REAL.timeline
DATA = SiteData(TIMELINE, REAL.seeds)
BASE = TIMELINE.site.base_url
FONT = cards.font("Display-Semibold", 56)


# ---- the cards ---------------------------------------------------------------------


def png(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def card_of(event_id: str) -> cards.EventCard:
    return cards.EventCard.of(DATA.events_by_id[event_id], DATA.sources, TIMELINE.site)


def test_a_card_is_a_1200_by_630_png_with_the_same_bytes_each_time():
    card = card_of("bessent-tells-kato-stop-russian-energy-2025")
    first, second = cards.draw_event(card), cards.draw_event(replace(card))
    assert first == second
    assert png(first).size == (1200, 630)
    assert png(first).format == "PNG"
    assert not png(first).info, "no text, time or other chunk beside the pixels"
    assert card.source == "Unsigned news report"  # the short name readers see
    assert card.reliability == "medium"
    assert card.date == "15 October 2025"


def test_a_card_is_named_by_what_it_shows():
    card = card_of("bessent-tells-kato-stop-russian-energy-2025")
    assert re.fullmatch(r"cards/[0-9a-f]{24}\.png", card.path)
    assert replace(card).path == card.path
    assert replace(card, title=card.title + ".").path != card.path
    assert replace(card, reliability="high").path != card.path
    assert cards.SiteCard.of(TIMELINE.site).path != card.path


@pytest.mark.parametrize("lines", [1, 2, 3])
def test_a_long_text_wraps_between_words_and_ends_with_an_ellipsis(lines):
    text = "Bessent says the US expects Japan to stop importing Russian energy; Kato is cautious " * 3
    wrapped = cards.wrap(text.strip(), FONT, cards.TEXT_WIDTH, lines)
    assert len(wrapped) == lines
    assert all(FONT.getlength(line) <= cards.TEXT_WIDTH for line in wrapped)
    assert wrapped[-1].endswith("…")
    assert all(not line.endswith(" …") for line in wrapped)
    shown = " ".join(wrapped).removesuffix("…")
    assert text.startswith(shown), "cut between words, nothing reordered or lost before the cut"


def test_a_text_that_fits_is_drawn_whole():
    assert cards.wrap("Kato is cautious", FONT, cards.TEXT_WIDTH, 3) == ["Kato is cautious"]
    assert cards.wrap("  spaced\n  out  ", FONT, cards.TEXT_WIDTH, 3) == ["spaced out"]


def test_a_word_wider_than_the_card_is_broken_inside():
    word = "Sakhalin" * 40
    wrapped = cards.wrap(word, FONT, cards.TEXT_WIDTH, 3)
    assert len(wrapped) == 3
    assert all(FONT.getlength(line) <= cards.TEXT_WIDTH for line in wrapped)
    assert "".join(wrapped).removesuffix("…") == word[: len("".join(wrapped)) - 1]


@pytest.mark.parametrize(
    "text",
    [
        "x" * 150,  # the longest title the schema allows, one word
        "word " * 200_000,  # a quote of a million characters
        "q" * 1_000_000,
        "مرحبا بالعالم " * 40,  # right-to-left letters
        "e\u0301" * 300,  # combining accents
        "🛢️⛽" * 200,  # characters the font lacks
        "日本とロシアのエネルギー" * 30,
        "\t" + " " * 500 + "\t",
    ],
)
def test_hostile_text_never_breaks_the_drawing(text):
    card = cards.EventCard("1 January 2025", text, text, text, "low", text, unconfirmed=True)
    image = png(cards.draw_event(card))
    assert image.size == (1200, 630)
    assert png(cards.draw_site(cards.SiteCard(text, text, text))).size == (1200, 630)


def test_a_rebuild_draws_only_the_cards_whose_text_changed(tmp_path):
    drawn = cards.Drawn()
    first = cards.files(TIMELINE.events, DATA.sources, TIMELINE.site, drawn)
    assert drawn.drawn == len(first) > 60
    for path, content in first.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    edited = tuple(
        replace(e, title="A new headline") if e.id == "bessent-tells-kato-stop-russian-energy-2025" else e
        for e in TIMELINE.events
    )
    # From the preview's memo, and from the previous site (a new process has no memo).
    for memo, previous in ((drawn, None), (cards.Drawn(), tmp_path)):
        again = cards.files(edited, DATA.sources, TIMELINE.site, memo, previous)
        assert memo.drawn == 1
        assert len(again) == len(first)
        changed = set(again) - set(first)
        assert len(changed) == 1
        assert again == {**{p: c for p, c in first.items() if p in again}, **{p: again[p] for p in changed}}


def test_a_card_in_the_previous_site_is_reused_only_when_whole(tmp_path):
    card = card_of("bessent-tells-kato-stop-russian-energy-2025")
    good = cards.draw_event(card)
    target = tmp_path / card.path
    target.parent.mkdir()
    for bad in (good[: len(good) // 2], b"<svg onload=alert(1)>", b""):
        target.write_bytes(bad)
        assert cards._previous(tmp_path, card.path) is None
    target.unlink()
    (tmp_path / "elsewhere.png").write_bytes(good)
    target.symlink_to(tmp_path / "elsewhere.png")
    assert cards._previous(tmp_path, card.path) is None, "never read through a link"
    target.unlink()
    target.write_bytes(good)
    assert cards._previous(tmp_path, card.path) == good


# ---- the built site ----------------------------------------------------------------


class Page(HTMLParser):
    """What a reader sees that the metadata must agree with."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.canonical: list[str] = []
        self.h1: list[str] = []
        self.times: dict[str, str] = {}
        self.source_links: list[tuple[str, str | None]] = []
        self.event_cards: list[str] = []
        self._in: list[str] = []
        self._h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a.get("name") or ""] = a.get("content") or ""
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical.append(a["href"] or "")
        if tag == "h1":
            self._h1 = True
            self.h1.append("")
        if tag == "p":
            self._in.append(a.get("class") or "")
        if tag == "time" and self._in:
            self.times[self._in[-1]] = a.get("datetime") or ""
        if tag == "a" and self._in and self._in[-1] == "h3":
            self.source_links.append((a.get("href") or "", a.get("data-url")))
        if tag == "h3":
            self._in.append("h3")
        if tag == "article" and (a.get("id") or "").startswith("event-"):
            self.event_cards.append(a["id"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._h1 = False
        if tag in ("p", "h3") and self._in:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._h1:
            self.h1[-1] += data


def read(site: Path, path: str) -> tuple[Page, list[dict], str]:
    html = (site / path).read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    url = BASE + path.removesuffix("index.html")
    found = extruct.extract(html, base_url=url, syntaxes=["json-ld"], uniform=True)["json-ld"]
    return page, found, url


def words(text: str) -> str:
    return " ".join(text.split())


def expanded(document: dict) -> list[dict]:
    """The JSON-LD expanded by pyld. Offline, https://schema.org resolves to its essence: every term
    in the schema.org vocabulary (the published context also types some values; none checked here)."""

    def loader(url: str, options: dict | None = None) -> dict:
        assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
        context = {"@context": {"@vocab": "https://schema.org/"}}
        return {"contextUrl": None, "documentUrl": url, "document": context}

    return jsonld.expand(document, {"documentLoader": loader})


def test_every_page_has_a_preview_with_absolute_addresses_and_an_image_that_exists(built_site):
    # The embeds are framed by other sites, not shared: they have no preview of their own.
    pages = sorted(p for p in built_site.rglob("*.html") if not {"pagefind", "embed"} & set(p.parts))
    assert len(pages) > 100
    sitemap = set(re.findall(r"<loc>(.*?)</loc>", (built_site / "sitemap.xml").read_text()))
    for file in pages:
        path = file.relative_to(built_site).as_posix()
        page, found, url = read(built_site, path)
        meta = page.meta
        assert meta["og:site_name"] == TIMELINE.site.title, path
        assert meta["og:title"], path
        assert meta["og:description"], path
        assert meta["og:type"] == (
            "article"
            if path.startswith(("events/", "sources/")) and path != "sources/index.html"
            else "website"
        ), path
        assert meta["twitter:card"] == "summary_large_image", path
        image = meta["og:image"]
        assert image.startswith(BASE), path
        content = (built_site / image.removeprefix(BASE)).read_bytes()
        assert png(content).size == (int(meta["og:image:width"]), int(meta["og:image:height"])) == (1200, 630)
        assert meta["og:image:alt"], path
        assert len(found) == 1, path
        if path == "404.html":  # served at any address: none of its own
            assert "og:url" not in meta, path
            assert page.canonical == [], path
            assert "url" not in found[0], path
            continue
        assert meta["og:url"] == page.canonical[0] == url, path
        assert url in sitemap, path
        assert (found[0].get("sdPublisher") or found[0]["publisher"])["url"] == BASE, path
    event_images = {
        read(built_site, f"events/{e.id}/index.html")[0].meta["og:image"] for e in TIMELINE.events
    }
    assert len(event_images) == len(TIMELINE.events), "each event its own card"


def test_an_event_page_is_an_article_about_the_event_it_shows(built_site):
    for event in TIMELINE.events:
        path = f"events/{event.id}/index.html"
        page, (article,), url = read(built_site, path)
        assert article["@type"] == "Article"
        assert article["headline"] == article["about"]["name"] == words(page.h1[0]) == page.meta["og:title"]
        assert article["url"] == article["mainEntityOfPage"] == url
        assert article["image"] == page.meta["og:image"]
        assert article["about"]["@type"] == "Event"
        assert article["about"]["startDate"] == page.times["event-date"] == event.date.iso
        assert article.get("about", {}).get("endDate") == (event.end.iso if event.end else None)
        # No publication date is in the data: none is invented; a correction's day is a modification.
        assert "datePublished" not in article
        assert article.get("dateModified") == page.times.get("last-updated")
        assert (event.last_updated is not None) == ("dateModified" in article)
        # The citations are the page's sources: our archived copy (the page's link) and the original.
        archived = [urljoin(url, href).removesuffix("index.html") for href, _ in page.source_links]
        assert [c["archivedAt"] for c in article["citation"]] == archived
        assert article["isBasedOn"] == archived
        assert [c.get("url") for c in article["citation"]] == [original for _, original in page.source_links]
        for citation in article["citation"]:
            _, (document,), source_url = read(
                built_site, citation["archivedAt"].removeprefix(BASE) + "index.html"
            )
            assert citation == {k: v for k, v in document.items() if k in citation}
            assert citation["archivedAt"] == source_url
    assert any("dateModified" in read(built_site, f"events/{e.id}/index.html")[1][0] for e in TIMELINE.events)


def test_the_json_ld_is_valid_json_ld_of_schema_org_terms(built_site):
    _, (article,), url = read(built_site, "events/bessent-tells-kato-stop-russian-energy-2025/index.html")
    (node,) = expanded(article)
    schema = "https://schema.org/"
    assert node["@id"] == url
    assert node["@type"] == [schema + "Article"]
    assert node[schema + "headline"] == [{"@value": article["headline"]}]
    (about,) = node[schema + "about"]
    assert about["@type"] == [schema + "Event"]
    assert about[schema + "startDate"] == [{"@value": "2025-10-15"}]
    assert [c["@id"] for c in node[schema + "citation"]] == [BASE + "sources/unattributed-2025-10/#document"]
    _, (collection,), _ = read(built_site, "index.html")
    (index,) = expanded(collection)
    assert index["@type"] == [schema + "CollectionPage"]
    assert (
        len(
            jsonld.to_rdf(
                collection,
                {
                    "format": "application/n-quads",
                    "documentLoader": lambda u, o=None: {
                        "contextUrl": None,
                        "documentUrl": u,
                        "document": {"@context": {"@vocab": schema}},
                    },
                },
            )
        )
        > 1000
    )


def test_the_index_lists_its_events_in_the_order_it_shows_them(built_site):
    page, (collection,), url = read(built_site, "index.html")
    assert collection["@type"] == "CollectionPage"
    assert collection["url"] == url == BASE
    items = collection["mainEntity"]["itemListElement"]
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    assert collection["mainEntity"]["numberOfItems"] == len(items) == len(TIMELINE.events)
    shown = [card.removeprefix("event-") for card in page.event_cards]
    assert [item["url"] for item in items] == [f"{BASE}events/{key}/" for key in shown]


def test_a_source_page_describes_the_document_and_our_archived_copy(built_site):
    for source in TIMELINE.sources:
        path = f"sources/{source.id}/index.html"
        html = (built_site / path).read_text(encoding="utf-8")
        page, (document,), url = read(built_site, path)
        assert document["name"] == words(page.h1[0]) == page.meta["og:title"]
        assert document["archivedAt"] in (url, [url, source.archive_url])
        assert document["mainEntityOfPage"] == url
        assert document.get("url") == source.url
        if source.url:
            assert f'href="{source.url}"' in html
        assert document["datePublished"] == source.published.iso
        assert f'datetime="{source.published.iso}"' in html
        encoding = document["encoding"]
        assert encoding["contentUrl"] == url + source.archived_name
        assert (built_site / path).with_name(source.archived_name).is_file()
        assert encoding["sha256"] == DATA.seeds.sha256(source.file)
        assert encoding["sha256"] in html
        if source.publisher.startswith("["):
            assert "publisher" not in document  # an unnamed publisher is a note, not a name
        else:
            assert document["publisher"]["name"] == source.publisher


def test_the_json_ld_serialisation_escapes_what_could_end_its_element(tmp_path):
    """Jinja's tojson, which base.html uses: `</script>`, `<!--` and U+2028 stay inside."""
    from timeline.render import environment

    env = environment(ROOT / "templates")
    hostile = "</script><script>alert(1)</script><!-- \u2028\u2029 & ' \""
    text = env.from_string("{{ value|tojson }}").render(value={"headline": hostile})
    assert re.search(r"[<>&'\u2028\u2029]", text) is None
    assert json.loads(text) == {"headline": hostile}
