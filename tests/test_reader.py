"""Readers in a real browser: search, filters, keyboard, no JavaScript, accessibility.

Playwright drives Debian's Chromium against the real built site served on
127.0.0.1. Every page load asserts that no console error occurred and that no
request left 127.0.0.1. Screenshots of each state go to test-output/screenshots/.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, require_node_tool

pytestmark = [pytest.mark.browser]

SCREENSHOTS = ROOT / "test-output" / "screenshots"
BESSENT = "bessent-tells-kato-stop-russian-energy-2025"


@pytest.fixture(scope="module")
def site(built_site, serve):
    return serve(built_site)


@pytest.fixture(scope="module")
def events(built_site):
    return json.loads((built_site / "events.json").read_text())["events"]


class Watched:
    """A page whose console errors and requests are recorded, and checked at the end."""

    def __init__(self, page, base: str) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        host = urlsplit(base).netloc
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        self.host = host

    def check(self) -> None:
        assert self.errors == []
        outside = [u for u in self.requests if urlsplit(u).netloc != self.host and not u.startswith("data:")]
        assert outside == []
        assert self.requests, "the page made no request at all?"


@pytest.fixture
def open_page(browser, site):
    contexts, watched = [], []

    def make(path="index.html", *, width=1280, scheme="light", javascript=True):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, color_scheme=scheme, java_script_enabled=javascript
        )
        contexts.append(context)
        page = context.new_page()
        w = Watched(page, site)
        watched.append(w)
        page.goto(site + path)
        return page

    yield make
    for w in watched:
        w.check()
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def visible_event_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        ".event-list > li:not([hidden]) article.event",
        # Shown by the filters: neither the card nor its chapter or fold hidden (a fold may be closed).
        "els => els.filter(e => !e.closest('[hidden]')).map(e => e.id.replace(/^event-/, ''))",
    )


# ---- search -----------------------------------------------------------------


def test_searching_bessent_lists_the_october_2025_event(open_page):
    page = open_page()
    search = page.locator("#search-input")
    search.wait_for(state="visible")
    assert page.locator("[data-search-fallback]").is_hidden()
    search.fill("Bessent")
    results = page.locator("#search-results li a")
    results.first.wait_for()
    hrefs = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(f"/events/{BESSENT}/" in h for h in hrefs), hrefs
    item = page.locator(f"#search-results li:has(a[href*='{BESSENT}'])")
    assert "15 October 2025" in item.locator(".search-date").inner_text()
    assert "Bessent" in item.locator(".search-title").inner_text()
    assert "result" in page.locator("#search-status").inner_text()
    shot(page, "search-results")


def test_search_results_work_by_keyboard_alone(open_page):
    page = open_page()
    page.locator("#search-input").wait_for(state="visible")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "site-name"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.type("Bessent")
    page.locator("#search-results li a").first.wait_for()
    page.keyboard.press("Escape")
    assert page.locator("#search-results").is_hidden()
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.type(" Kato")
    page.locator("#search-results:not([hidden]) li a").first.wait_for()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert "/events/" in focused
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{focused}")
    assert page.locator("h1").inner_text()


# ---- filters ------------------------------------------------------------------


def test_a_filter_narrows_the_list_to_exactly_the_matching_events(open_page, events, site):
    page = open_page()
    lng = page.locator("button.chip[data-filter='topic'][data-value='lng']")
    lng.click()
    expected = sorted(e["id"] for e in events if "lng" in [t["id"] for t in e["topics"]])
    assert sorted(visible_event_ids(page)) == expected
    assert page.url.endswith("?topic=lng")
    assert lng.get_attribute("aria-pressed") == "true"
    assert (
        page.locator("[data-filter-status]")
        .inner_text()
        .startswith(f"Showing {len(expected)} of {len(events)}")
    )
    shot(page, "filter-topic-lng")

    # Two kinds combine: events about LNG that involve India... or about LNG in 2025.
    page.locator("button.chip[data-filter='era'][data-value='bessent-2025']").click()
    both = sorted(
        e["id"]
        for e in events
        if "lng" in [t["id"] for t in e["topics"]] and e["era"]["id"] == "bessent-2025"
    )
    assert sorted(visible_event_ids(page)) == both
    assert page.url.endswith("?topic=lng&era=bessent-2025")

    page.reload()
    assert sorted(visible_event_ids(page)) == both
    assert page.locator("button.chip[data-value='lng']").get_attribute("aria-pressed") == "true"

    page.locator("[data-show-all]").click()
    assert len(visible_event_ids(page)) == len(events)
    assert urlsplit(page.url).query == ""
    assert page.locator("[data-filter-status]").inner_text() == f"Showing all {len(events)} events."


def test_a_shared_filter_address_opens_filtered(open_page, events):
    page = open_page("index.html?actor=india")
    expected = sorted(e["id"] for e in events if "india" in [a["id"] for a in e["actors"]])
    assert expected
    assert sorted(visible_event_ids(page)) == expected


def test_filters_work_by_keyboard(open_page, events):
    page = open_page()
    chip = page.locator("button.chip[data-value='price-cap']")
    chip.focus()
    page.keyboard.press("Enter")
    assert chip.get_attribute("aria-pressed") == "true"
    page.keyboard.press("Space")
    assert chip.get_attribute("aria-pressed") == "false"
    assert len(visible_event_ids(page)) == len(events)


# ---- addresses within the timeline ----------------------------------------------


def wait_in_view(page, element_id: str) -> None:
    """Until the element's top is in the upper half of the window (the scroll may be smooth)."""
    page.wait_for_function(
        "id => { const r = document.getElementById(id).getBoundingClientRect();"
        " return r.top > -2 && r.top < innerHeight / 2; }",
        arg=element_id,
        timeout=5_000,
    )


def test_chapter_links_and_overview_bands_show_their_chapter(open_page, events):
    page = open_page()
    era = events[-1]["era"]["id"]
    for link in (f".chapters a[href='#chapter-{era}']", f".overview-chart .band a[href='#chapter-{era}']"):
        page.evaluate("scrollTo(0, 0)")
        page.locator(link).click()
        page.wait_for_function(f"location.hash === '#chapter-{era}'")
        wait_in_view(page, f"chapter-{era}")


def test_addresses_from_before_the_id_prefixes_still_lead_to_their_chapter_or_event(open_page, events):
    # index.html#<era id> was the chapter list's own link, and each card had its event's bare id.
    era, event = events[-1]["era"]["id"], events[len(events) // 2]["id"]
    for old, new in ((era, f"chapter-{era}"), (event, f"event-{event}")):
        page = open_page(f"index.html#{old}")
        page.wait_for_function(f"location.hash === '#{new}'")
        wait_in_view(page, new)
        page.go_back()  # the old address was replaced, not added to the history
        assert page.url == "about:blank"
    page = open_page("index.html#main")
    assert page.evaluate("location.hash") == "#main"


# ---- without JavaScript -------------------------------------------------------


def test_without_javascript_everything_is_listed_and_links_work(open_page, events, built_site):
    page = open_page(javascript=False)
    assert len(visible_event_ids(page)) == len(events)
    assert page.locator("[data-search]").is_hidden()
    fallback = page.locator("[data-search-fallback] a")
    assert fallback.is_visible()
    chips = page.locator("a.chip[data-filter='topic']")
    assert chips.count() == len(json.loads((built_site / "events.json").read_text())["topics"])
    shot(page, "no-javascript")
    chips.first.click()
    assert "/topics/" in page.url
    assert page.locator("h1").inner_text()
    fallback_page = open_page(javascript=False)
    fallback_page.locator("[data-search-fallback] a").click()
    assert fallback_page.locator("h1").inner_text() == "Topics and actors"


# ---- accessibility ------------------------------------------------------------

AUDITED = ["index.html", f"events/{BESSENT}/index.html", "sources/voa-2014-03-04/index.html",
           "sources/index.html", "topics/lng/index.html", "about/index.html", "search",
           f"events/{BESSENT}/index.html#cite", f"embed/events/{BESSENT}/index.html", "embed/index.html"]  # fmt: skip


@pytest.fixture(scope="module")
def axe_source():
    return require_node_tool("axe-core", "axe.min.js").read_text()


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", AUDITED)
def test_axe_finds_no_violations(open_page, axe_source, path, scheme, width):
    if path == "search":
        page = open_page(width=width, scheme=scheme)
        page.locator("#search-input").fill("Bessent")
        page.locator("#search-results li a").first.wait_for()
    else:
        page = open_page(path, width=width, scheme=scheme)
    # Evaluated by the browser's debugger, so the page's CSP (no inline script) still stands.
    page.evaluate(axe_source)
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
    )
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
    ]
    shot(page, f"axe-{Path(path).parent.name or Path(path).stem}-{scheme}-{width}")
    assert violations == []


def test_reduced_motion_is_respected(open_page, site):
    page = open_page()
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "smooth"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == "auto"
