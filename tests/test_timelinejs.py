"""/timeline.json loaded into the real TimelineJS library, in Chromium, with nothing from elsewhere.

A copy of the built site, a harness page and the TimelineJS release pinned in
tests/node are served from one folder on 127.0.0.1, so the page fetches the
JSON same-origin, as a TimelineJS embed on the published site would. What
TimelineJS renders is compared with the site's own data (events.json).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, require_node_tool, run_build

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIBRARY = "_timelinejs"

# TimelineJS throws a bad date from a promise of its own, so the harness
# reports uncaught errors and rejections itself and the test never waits for
# a timeline that cannot come. font: null keeps the fonts from Google; the
# English strings are built in, so no locale file is fetched.
HARNESS = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>TimelineJS harness</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="LIB/css/timeline.css">
<script src="LIB/js/timeline.js"></script>
</head>
<body>
<div id="timeline-embed" style="width: 1200px; height: 700px"></div>
<script>
window.addEventListener("error", (event) => { window.harnessError = String(event.message); });
window.addEventListener("unhandledrejection", (event) => { window.harnessError = String(event.reason); });
fetch("timeline.json")
  .then((response) => {
    if (!response.ok) throw new Error("timeline.json: HTTP " + response.status);
    return response.json();
  })
  .then((data) => {
    window.timeline = new TL.Timeline("timeline-embed", data, {
      script_path: new URL("LIB/js/", location.href).href,
      font: null,
      language: "en",
      hash_bookmark: false,
      ga_measurement_id: null,
    });
  })
  .catch((error) => { window.harnessError = String(error); });
</script>
</body>
</html>
""".replace("LIB", LIBRARY)

SETTLED = """window.harnessError !== undefined
    || (window.timeline && window.timeline.config
        && (window.timeline.ready || !window.timeline.config.isValid()))"""

STATE = """window.harnessError !== undefined
    ? {ready: false, errors: [window.harnessError]}
    : {ready: window.timeline.ready === true, errors: window.timeline.config.getErrors().map(String)}"""

SLIDES = """slides => slides.map(slide => ({
    id: slide.id,
    title: slide.classList.contains("tl-slide-titleslide"),
    headline: slide.querySelector(".tl-headline")?.textContent ?? null,
    date: slide.querySelector(".tl-headline-date")?.textContent ?? null,
    paragraphs: [...slide.querySelectorAll(".tl-text-content p")].map(p => p.textContent),
    links: [...slide.querySelectorAll(".tl-text-content a")].map(a => a.getAttribute("href")),
}))"""

# What the time axis shows before anyone touches it: the year labels and markers in view, with
# their places, and the eras' labels.
FIRST_VIEW = """() => {
    const nav = document.querySelector("#timeline-embed .tl-timenav").getBoundingClientRect();
    const inView = r => r.width > 0 && r.right > nav.left && r.left < nav.right;
    const years = [...document.querySelectorAll("#timeline-embed .tl-timeaxis-major .tl-timeaxis-tick-text")]
        .map(t => ({text: t.textContent.trim(), rect: t.getBoundingClientRect()}))
        .filter(t => /^[0-9]{4}$/.test(t.text) && inView(t.rect))
        .map(t => ({year: Number(t.text), x: t.rect.left + t.rect.width / 2}));
    const markers = [...document.querySelectorAll("#timeline-embed .tl-timemarker")]
        .map(m => ({id: m.id.replace(/-marker$/, ""), rect: m.getBoundingClientRect()}))
        .filter(m => m.rect.right > nav.left && m.rect.left < nav.right)  // a point event may have no width
        .map(m => ({id: m.id, x: m.rect.left}));
    const eras = [...document.querySelectorAll("#timeline-embed .tl-timeera")]
        .filter(e => inView(e.getBoundingClientRect())).map(e => e.textContent.trim());
    return {years, markers, eras};
}"""

# A slide loads its media (images, embeds: requests that could leave the site)
# only once it is shown or next to it, 1.2 s later (a constant in TimelineJS):
# show each slide in turn, then wait that long and a little more.
MEDIA_DELAY_MS = 1_500
VISIT_EVERY_SLIDE = """count => {
    for (let n = 0; n < count; n++) window.timeline.goTo(n);
    window.timeline.goTo(0);
}"""


def plain(markup: str) -> str:
    """The text a reader sees of a headline that TimelineJS inserts as HTML."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", markup)).split())


ONE_DAY_ERA = """  - id: one-day
    title: One day in October 2025
    summary: An era whose only event falls on a single day.
"""


def one_day_era_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real data with one more era, whose only event is dated to the day."""
    project = tmp_path_factory.mktemp("one-day-era")
    shutil.copytree(ROOT / "seeds", project / "seeds")
    text = (ROOT / "events.yaml").read_text(encoding="utf-8")
    moved = "    era: bessent-2025\n    title: Bessent says"
    assert moved in text
    assert "\nsources:\n" in text
    text = text.replace(moved, moved.replace("bessent-2025", "one-day"))
    # Events read after it (sort_after) must be told beside it: in another era they are read alone.
    text = text.replace("    sort_after: bessent-tells-kato-stop-russian-energy-2025\n", "")
    (project / "events.yaml").write_text(text.replace("\nsources:\n", f"\n{ONE_DAY_ERA}sources:\n", 1))
    result = run_build(project / "site", "--data", str(project / "events.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    return project / "site"


@pytest.fixture(scope="module", params=["real site", "an era of one day"])
def timelinejs_site(request, built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of a built site with the harness page and the TimelineJS dist beside it."""
    dist = require_node_tool("@knight-lab", "timelinejs", "dist")
    built = built_site if request.param == "real site" else one_day_era_site(tmp_path_factory)
    folder = tmp_path_factory.mktemp("timelinejs") / "site"
    shutil.copytree(built, folder)
    (folder / LIBRARY).symlink_to(dist, target_is_directory=True)
    (folder / "timelinejs-harness.html").write_text(HARNESS, encoding="utf-8")
    return folder


def test_timeline_json_renders_in_timelinejs(timelinejs_site: Path, serve, browser) -> None:
    exported = json.loads((timelinejs_site / "timeline.json").read_text(encoding="utf-8"))
    site = json.loads((timelinejs_site / "events.json").read_text(encoding="utf-8"))
    site_events = site["events"]
    assert exported["events"], "timeline.json has no events"
    base = serve(timelinejs_site)
    origin = urlsplit(base).netloc

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    failed: list[str] = []
    page_errors: list[str] = []
    console_errors: list[str] = []
    # Every request is recorded below; one elsewhere is also refused, so it fails fast offline.
    context.route(
        "**/*",
        lambda route: route.continue_() if urlsplit(route.request.url).netloc == origin else route.abort(),
    )
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(f"{request.url}: {request.failure}"))
    page.on(
        "response",
        lambda response: response.status >= 400 and failed.append(f"{response.url}: HTTP {response.status}"),
    )
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            message.type == "error" and console_errors.append(f"{message.text} {message.location}")
        ),
    )
    try:
        page.goto(base + "timelinejs-harness.html", wait_until="load")
        page.wait_for_function(SETTLED, timeout=20_000)
        state = page.evaluate(STATE)
        message = page.eval_on_selector_all(".tl-message-full", "ms => ms.map(m => m.textContent).join(' ')")
        slides = page.eval_on_selector_all("#timeline-embed .tl-storyslider .tl-slide", SLIDES)
        markers = page.eval_on_selector_all("#timeline-embed .tl-timemarker", "ms => ms.map(m => m.id)")
        eras = page.eval_on_selector_all(
            "#timeline-embed .tl-timeera-text", "es => es.map(e => e.textContent)"
        )
        if state["ready"]:
            page.wait_for_timeout(MEDIA_DELAY_MS)  # TimelineJS's first move of the axis
            first_view = page.evaluate(FIRST_VIEW)
            page.evaluate(VISIT_EVERY_SLIDE, len(slides))
            page.wait_for_timeout(MEDIA_DELAY_MS)
    finally:
        context.close()

    assert state["ready"], (
        f"TimelineJS did not render timeline.json: {state['errors']} {page_errors} {message}"
    )
    assert page_errors == [], page_errors
    elsewhere = [url for url in requests if urlsplit(url).scheme != "http" or urlsplit(url).netloc != origin]
    assert elsewhere == [], f"requests that left 127.0.0.1: {elsewhere}"
    assert failed == [], failed
    assert console_errors == [], console_errors
    assert base + "timeline.json" in requests

    # The site's title slide first, listing the background from before the first chapter, each
    # with a link to its page; then exactly one slide per other event.
    title_slides = [slide for slide in slides if slide["title"]]
    event_slides = [slide for slide in slides if not slide["title"]]
    assert len(title_slides) == 1, title_slides
    assert slides[0]["title"], "the title slide is not first"
    assert plain(slides[0]["headline"]) == site["site"]["title"]
    assert len(slides) == 1 + len(exported["events"])
    base_url = site["site"]["base_url"]
    listed = [link.removeprefix(base_url + "events/").removesuffix("/") for link in slides[0]["links"]]
    before = [event for event in site_events if event["id"] in listed]
    assert [event["id"] for event in before] == listed
    chapters = [event for event in site_events if event["id"] not in listed]
    assert all(event["background"] for event in before)
    first_chapter_day = min(event["date"]["iso"] for event in chapters if not event["background"])
    assert all(
        max(event["date"]["iso"], (event["end"] or {}).get("iso", "")) < first_chapter_day for event in before
    )
    assert len(before) >= 4  # 1945, 2011, 2012, 2013
    site_events = chapters
    assert len(event_slides) == len(site_events)

    # TimelineJS sorts by date, renames a duplicate unique_id and silently skips
    # an event without a start date: each shows as a difference from the site's list.
    site_ids = [event["id"] for event in site_events]
    assert [slide["id"] for slide in event_slides] == site_ids, (
        "TimelineJS's slides differ from the site's events"
    )
    assert markers == [f"{event_id}-marker" for event_id in site_ids]
    eras_with_events = {event["era"]["id"] for event in site_events}
    assert eras == [era["title"] for era in site["eras"] if era["id"] in eras_with_events]

    for slide, event in zip(event_slides, site_events, strict=True):
        assert plain(slide["headline"]) == event["title"], event["id"]
        # The slide shows our own wording of the date, ranges included, once.
        assert slide["date"] == event["display_date"], (event["id"], slide["date"])
        # Each source once, with every quote taken from it; then a link to the event's page.
        sources = list(dict.fromkeys(c["source"]["id"] for c in event["citations"]))
        lines = [p for p in slide["paragraphs"] if p.startswith("Source: ")]
        assert len(lines) == len(sources), (event["id"], lines)
        for line, source in zip(lines, sources, strict=True):
            quotes = [c["quote"] for c in event["citations"] if c["source"]["id"] == source]
            assert line.endswith(": " + " ".join(f"“{quote}”" for quote in quotes)), (event["id"], line)
        assert slide["links"][-1] == f"{base_url}events/{event['id']}/", event["id"]

    # A slide quoting one source several times names it once (the real site has such slides).
    several = [
        e for e in site_events if len({c["source"]["id"] for c in e["citations"]}) < len(e["citations"])
    ]
    assert several, "no event quotes one source twice"

    # The first view is the first chapter: TimelineJS centres its axis on the earliest slide, with
    # half a screen of earlier years to its left (a quarter of the whole span, its default zoom).
    # Right of that slide, every year labelled is a year of the chapters; left of it, no more
    # than that lead-in; every marker in view is an event of the chapters.
    first_year = int(first_chapter_day[:4])
    last_year = max(int(((e["end"] or e["date"])["iso"])[:4]) for e in site_events)
    first_marker = next((m for m in first_view["markers"] if m["id"] == site_events[0]["id"]), None)
    assert first_marker, f"the first slide {site_events[0]['id']} is not in the first view: {first_view}"
    right = [y["year"] for y in first_view["years"] if y["x"] >= first_marker["x"]]
    left = [y["year"] for y in first_view["years"] if y["x"] < first_marker["x"]]
    assert right, first_view
    assert all(first_year <= year <= last_year for year in right), first_view["years"]
    assert all(year >= first_year - (last_year - first_year + 3) // 4 for year in left), first_view["years"]
    assert {m["id"] for m in first_view["markers"]} <= {e["id"] for e in site_events}
    assert first_view["eras"][:1] == [site["eras"][0]["title"]], first_view["eras"]
