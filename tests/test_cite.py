"""Cite this event, this source and this quote: the styles, the reference-manager files, the data's
version, the quote addresses and the copy buttons (issue 16). Hostile text in these outputs is
checked in test_security.py."""

from __future__ import annotations

import hashlib
import json
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from conftest import ROOT

from timeline import cite
from timeline.check import check
from timeline.provenance import text_fragment


@pytest.fixture(scope="module")
def timeline():
    checked = check(ROOT / "events.yaml", ROOT / "seeds")
    assert checked.timeline is not None
    return checked.timeline


class _Texts(HTMLParser):
    """The text of each element with an id, and every tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str | None]] = []
        self.text: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in ("link", "meta", "br", "img", "input"):
            return
        self.open.append((tag, attributes.get("id")))
        if attributes.get("id"):
            self.text[attributes["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, _ = self.open.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, key in self.open:
            if key:
                self.text[key] += data


def texts(path: Path) -> _Texts:
    parser = _Texts()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def head_commit() -> str | None:
    clean = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "events.yaml"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    if clean.returncode or clean.stdout:
        return None
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def test_each_event_page_cites_the_event_in_every_style(built_site, timeline):
    site = timeline.site
    commit = head_commit()
    for event in timeline.events:
        page = texts(built_site / "events" / event.id / "index.html")
        url = f"{site.base_url}events/{event.id}/"
        for key in ("apa", "chicago", "mla"):
            text = " ".join(page.text[f"cite-{key}"].split())
            # Chicago and MLA write titles in title case; the words are the event's all the same.
            assert event.title.lower() in text.lower(), (key, text)
            assert site.title in text, (key, text)
            assert url in text, (key, text)
            assert "Data version" in text, text
            if commit:  # the real site, built from a clean checkout, names its commit
                assert f"Data version {commit[:12]}" in text
        assert "Retrieved" in page.text["cite-apa"]
        assert "Accessed" in page.text["cite-mla"]
        bib = page.text["cite-bibtex"]
        assert bib.startswith(f"@online{{{event.id},")
        assert url in bib
        assert f"TI  - {event.title}" in page.text["cite-ris"]
        assert json.loads(page.text["cite-csl-json"])[0]["title"] == event.title
        # No-JS: the copy buttons exist for site.js to reveal; the text is on the page regardless.
        buttons = [a for tag, a in page.tags if tag == "button" and "data-copy" in a]
        assert buttons
        assert all("hidden" in a and a["data-copy"] in page.text for a in buttons)
        links = {a.get("href") for tag, a in page.tags if tag == "a"}
        assert {"citation.bib", "citation.ris", "citation.json"} <= links


def test_the_citation_files_hold_the_event_then_each_of_its_sources(built_site, timeline):
    sources = {s.id: s for s in timeline.sources}
    for event in timeline.events:
        folder = built_site / "events" / event.id
        cited = list(dict.fromkeys(c.source for c in event.citations))
        library = bibtexparser.parse_string((folder / "citation.bib").read_text(encoding="utf-8"),
                                            append_middleware=[LatexDecodingMiddleware()])  # fmt: skip
        assert library.failed_blocks == []
        assert [e.key for e in library.entries] == [event.id, *cited]
        assert library.entries[0]["title"] == event.title
        for entry in library.entries[1:]:
            source = sources[entry.key]
            assert entry["title"] == source.title
            assert entry["url"] == (source.url or entry["url"])
            fields = {field.key: field.value for field in entry.fields}
            assert f"sources/{source.id}/{source.archived_name}" in fields.get("note", fields["url"])
        records = rispy.loads((folder / "citation.ris").read_text(encoding="utf-8"))
        assert [r["id"] for r in records] == [event.id, *cited]
        assert records[0]["title"] == event.title
        assert records[0]["type_of_reference"] == "ELEC"
        items = json.loads((folder / "citation.json").read_text(encoding="utf-8"))
        assert [i["id"] for i in items] == [event.id, *cited]
        assert items[0]["URL"] == f"{timeline.site.base_url}events/{event.id}/"


def test_each_source_page_cites_the_source_with_its_original_and_archived_copy(built_site, timeline):
    for source in timeline.sources:
        page = texts(built_site / "sources" / source.id / "index.html")
        archived = f"{timeline.site.base_url}sources/{source.id}/{source.archived_name}"
        for key in ("apa", "chicago", "mla"):
            text = " ".join(page.text[f"cite-{key}"].split())
            assert archived in text, text
            if source.url:
                assert source.url in text, text
        assert source.title in page.text["cite-csl-json"]


def test_each_quote_has_its_address_in_the_reading_view_and_in_the_original(built_site, timeline):
    for event in timeline.events:
        page = texts(built_site / "events" / event.id / "index.html")
        sources = {s.id: s for s in timeline.sources}
        for number, citation in enumerate(event.citations, start=1):
            source = sources[citation.source]
            expected = f"{timeline.site.base_url}sources/{source.id}/index.html#q-{event.id}-{number}"
            assert page.text[f"quote-address-{number}"] == expected
            if source.url:
                assert page.text[f"quote-original-{number}"] == text_fragment(source.url, citation.quote)
            else:
                assert f"quote-original-{number}" not in page.text
    # The anchor each address names is on the reading view (test_site checks every internal link).
    first = timeline.events[0]
    view = texts(built_site / "sources" / first.citations[0].source / "index.html")
    assert f"q-{first.id}-1" in view.text


# ---- the version of the data ---------------------------------------------------------------


def git(folder: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_DATE": "2024-05-06T23:30:00+09:00", "GIT_COMMITTER_DATE": "2024-05-06T23:30:00+09:00",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(folder)}  # fmt: skip
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True,
                          env=env).stdout.strip()  # fmt: skip


def test_the_version_is_the_commit_when_the_data_is_committed_else_its_sha256(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # the checkout above is not this one
    project = tmp_path / "project"
    project.mkdir()
    data = project / "events.yaml"
    data.write_text("site: {}\n")
    latest = (2025, 10, 30)

    outside = cite.data_version(data, latest)  # not in git
    assert (outside.kind, outside.value, outside.day) == (
        "sha256",
        hashlib.sha256(data.read_bytes()).hexdigest(),
        latest,
    )
    assert outside.label == f"Data version SHA-256 {outside.value[:16]}"

    git(project, "init", "-q")
    assert cite.data_version(data, latest).kind == "sha256"  # untracked
    git(project, "add", "events.yaml")
    git(project, "commit", "-q", "-m", "data")
    commit = git(project, "rev-parse", "HEAD")
    committed = cite.data_version(data, latest)
    # The commit's own date, in UTC (23:30 in Tokyo is 14:30 UTC the same day).
    assert (committed.kind, committed.value, committed.day) == ("commit", commit, (2024, 5, 6))
    assert committed.label == f"Data version {commit[:12]}"
    assert cite.data_version(data, latest) == committed  # the same for every build of this commit

    data.write_text("site: {title: edited}\n")  # an uncommitted edit: the commit would not describe it
    edited = cite.data_version(data, latest)
    assert (edited.kind, edited.value) == ("sha256", hashlib.sha256(data.read_bytes()).hexdigest())

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # reproducible builds name their date
    assert cite.data_version(data, latest).day == (2023, 11, 14)


# ---- the formats' own escaping -------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Braces { and } and \\ backslash",
        "}\n  note = {injected",
        "50% & $5 #1 a_b ^ ~",
        "Line\r\nbreak\u2028here",
        "'' `` -- --- ,, << >> !` ?` stay as typed",
    ],
)
def test_bibtex_and_ris_read_back_what_was_written(title):
    work = cite.Work(key="k", title=title, author="A {B}", url="https://example.org/a{b}\\c d", accessed=None)
    library = bibtexparser.parse_string(cite.bibtex(work), append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == []
    [entry] = library.entries
    assert [f.key for f in entry.fields] == ["title", "author", "url"]  # nothing injected
    # pylatexenc reads LaTeX's \textasciicircum as U+02C6, the modifier letter; LaTeX prints "^".
    assert entry["title"].replace("\u02c6", "^") == cite.one_line(title)
    assert entry["author"] == "A {B}"
    # A url is verbatim (biblatex, hyperref): read raw, not as LaTeX text, where % starts a comment.
    [raw] = bibtexparser.parse_string(cite.bibtex(work)).entries
    assert raw["url"] == "https://example.org/a%7Bb%7D%5Cc%20d"
    [record] = rispy.loads(cite.ris(work))
    assert record["title"] == cite.one_line(title)
    assert set(record) == {"type_of_reference", "title", "authors", "urls", "id"}


# ---- copying, in a browser ----------------------------------------------------------------


@pytest.mark.browser
def test_a_copy_button_copies_by_keyboard_and_says_so(browser, built_site, serve, timeline):
    base = serve(built_site)
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    page = context.new_page()
    event = timeline.events[0]
    page.goto(f"{base}events/{event.id}/index.html#cite")
    assert page.locator("#cite").get_attribute("open") is not None  # the address opened the fold
    button = page.locator("button[data-copy='cite-apa']")
    button.focus()
    page.keyboard.press("Enter")
    status = page.locator("[data-copy-status]")
    status.filter(has_text="Copied.").wait_for()
    expected = page.locator("#cite-apa").text_content().strip()
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert event.title in expected
    # Space on the quote's address button: the absolute address in the reading view.
    page.locator("details.quote-link summary").first.click()
    page.locator("button[data-copy='quote-address-1']").focus()
    page.keyboard.press("Space")
    page.wait_for_function("navigator.clipboard.readText().then(t => t.includes('#q-'))")
    assert page.evaluate("navigator.clipboard.readText()").endswith(f"#q-{event.id}-1")
    context.close()


def test_the_styles_give_text_with_the_markup_an_editor_typed_kept_as_text():
    """citeproc-py writes the values into its HTML unescaped: the styles are taken as plain text,
    which the page escapes, so a title reads as typed and never becomes markup."""
    work = cite.Work(key="k", title="A <b>bold</b> & <script>x</script> claim", author="<i>Org</i>",
                     url="https://example.org/", accessed=None)  # fmt: skip
    for key, _, text in cite.styled(work):
        assert "a <b>bold</b> & <script>x</script> claim" in text.lower(), key
        assert "<i>Org</i>" in text, key
