"""Embed one event, or the timeline, on another site (issue 16): the card, the code to paste, oEmbed,
and the card framed by a page of another origin in Chromium. Hostile text in these outputs is
checked in test_security.py."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT

from timeline import embed
from timeline.check import check

SCREENSHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def timeline():
    checked = check(ROOT / "events.yaml", ROOT / "seeds")
    assert checked.timeline is not None
    return checked.timeline


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def test_each_event_publishes_oembed_with_the_code_its_page_offers(built_site, timeline):
    site = timeline.site
    for event in timeline.events:
        document = json.loads((built_site / "embed" / "events" / event.id / "oembed.json").read_text())
        assert document == {
            "version": "1.0",
            "type": "rich",
            "title": event.title,
            "provider_name": site.title,
            "provider_url": site.base_url,
            "html": embed.code(site, event),
            "width": embed.WIDTH,
            "height": embed.HEIGHT,
        }
        code = tags(document["html"])
        [(tag, frame), *rest] = code.tags
        assert tag == "iframe"
        assert frame["src"] == f"{site.base_url}embed/events/{event.id}/"
        assert frame["title"] == f"{event.title} — {site.title}"
        assert (frame["width"], frame["height"]) == (str(embed.WIDTH), str(embed.HEIGHT))
        # The plain link that remains where a site strips the frame.
        assert ("a", {"href": f"{site.base_url}events/{event.id}/"}) in rest
        page = tags((built_site / "events" / event.id / "index.html").read_text(encoding="utf-8"))
        discovery = [a for t, a in page.tags if t == "link" and a.get("type") == "application/json+oembed"]
        assert discovery == [
            {
                "rel": "alternate",
                "type": "application/json+oembed",
                "href": f"{site.base_url}embed/events/{event.id}/oembed.json",
                "title": event.title,
            }
        ]
        assert document["html"] in "".join(page.text)  # the embed code, shown as text to copy


def test_the_embeds_run_no_script_and_every_link_opens_in_the_top_window(built_site, timeline):
    pages = [built_site / "embed" / "index.html"]
    pages += [built_site / "embed" / "events" / e.id / "index.html" for e in timeline.events]
    for path in pages:
        parsed = tags(path.read_text(encoding="utf-8"))
        assert [t for t, _ in parsed.tags if t in ("script", "iframe", "form")] == [], path
        links = [a for t, a in parsed.tags if t == "a"]
        assert links, path
        assert [a for a in links if a.get("target") != "_top"] == [], path
    timeline_page = tags((built_site / "embed" / "index.html").read_text(encoding="utf-8"))
    assert len([a for t, a in timeline_page.tags if t == "li"]) == len(timeline.events)


def test_a_long_quote_is_shortened_at_a_word_with_an_ellipsis():
    quote = "word " * 100
    shown = embed.card_quote(quote)
    assert shown.endswith(" …")
    assert len(shown) <= embed.QUOTE_CHARACTERS + 2
    assert quote.startswith(shown[:-2])
    assert embed.card_quote("short") == "short"


HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A newspaper</title></head>
<body><h1>An article</h1>{code}</body></html>"""
FITS = "(() => { const m = document.querySelector('main'); return m.scrollHeight <= m.clientHeight; })()"


@pytest.mark.browser
def test_the_card_embedded_on_another_origin_renders_links_to_the_top_and_loads_only_from_its_site(
    browser, built_site, serve, timeline, tmp_path: Path
):
    site_base = serve(built_site)
    event = timeline.events[0]
    # The code a reader copies, pointed at where this build is served instead of the published site.
    code = embed.code(timeline.site, event).replace(timeline.site.base_url, site_base)
    host = tmp_path / "host"
    host.mkdir()
    (host / "index.html").write_text(HOST_PAGE.format(code=code), encoding="utf-8")
    host_base = serve(host)  # another port on 127.0.0.1: another origin
    assert urlsplit(host_base).port != urlsplit(site_base).port

    page = browser.new_page()
    requests: list[tuple[str, str]] = []
    page.on("request", lambda r: requests.append((r.frame.url if r.frame else "", r.url)))
    page.goto(host_base)
    frame = page.frame_locator("iframe")
    frame.locator("h1").wait_for()
    assert frame.locator("h1").text_content().strip() == event.title
    assert frame.locator("blockquote").text_content().strip() == embed.card_quote(event.citations[0].quote)
    targets = frame.locator("a").evaluate_all("links => links.map(a => a.target)")
    assert targets
    assert set(targets) == {"_top"}
    # Every request of the frame goes to the embed's own origin; the host page asked for itself only.
    from_frame = [url for frame_url, url in requests if frame_url.startswith(site_base)]
    assert from_frame
    assert [url for url in from_frame if not url.startswith(site_base)] == []
    assert [url for _, url in requests if not url.startswith((site_base, host_base))] == []
    # A click in the card takes the whole tab to the event, not the frame.
    frame.locator("h1 a").click()
    page.wait_for_url(f"{site_base}events/{event.id}/index.html")
    assert page.locator("h1").first.text_content().strip() == event.title
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_card_fits_its_height_at_280_px_in_light_and_dark(browser, built_site, serve, timeline, scheme):
    base = serve(built_site)
    page = browser.new_page(viewport={"width": 280, "height": embed.HEIGHT}, color_scheme=scheme)
    cut = []
    for event in timeline.events:
        page.goto(f"{base}embed/events/{event.id}/index.html")
        if not page.evaluate(FITS):
            cut.append(event.id)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(29, 31, 36)") == (scheme == "dark")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base}embed/events/{timeline.events[0].id}/index.html")
    page.screenshot(path=str(SCREENSHOTS / f"embed-card-280-{scheme}.png"))
    page.set_viewport_size({"width": 280, "height": 600})
    page.goto(f"{base}embed/index.html")
    page.screenshot(path=str(SCREENSHOTS / f"embed-timeline-280-{scheme}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 280  # nothing wider than the frame
    page.close()
    assert cut == [], f"cut off at 280 px in {embed.HEIGHT} px"
