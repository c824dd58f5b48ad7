"""Fuzzing load and check: whatever the bytes, located problems or an I/O error, never a crash.

Two sources of input: YAML-like text built from the schema's keys, YAML's
punctuation and odd Unicode, and the real events.yaml with spans deleted,
punctuation, odd characters and raw bytes inserted, values replaced, lines
duplicated and swapped. Either way `check` must return a Checked whose every
problem has a message and a position inside the file, and prints without an
invisible character; or raise InputError. Any other exception fails.

The suite runs 150 examples per test; HYPOTHESIS_PROFILE=fuzz (or `make fuzz`)
runs 5,000, with statistics on how far the inputs get.
"""

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from build import render_site
from timeline.check import Checked, InputError, check
from timeline.markup import is_allowed_link
from timeline.problems import format_text
from timeline.render import Project
from timeline.schema import load_schema
from timeline.writer import staging, write

settings.register_profile(
    "suite", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

REAL = (ROOT / "events.yaml").read_bytes()
REAL_SEEDS = ROOT / "seeds"
SEEDS = ROOT / "tests" / "fixtures" / "valid" / "seeds"
LINE_BREAK = re.compile(rb"\r\n?|\n")


def _schema_keys(node: object) -> set[str]:
    if not isinstance(node, dict):
        return set()
    keys = set(node.get("properties", {}))
    for child in [*node.get("properties", {}).values(), node.get("items"), node.get("additionalProperties")]:
        keys |= _schema_keys(child)
    return keys


KEYS = sorted(_schema_keys(load_schema()))
PUNCTUATION = [":", ": ", "-", "- ", "[", "]", "{", "}", ",", "&", "*", "!", "!!", "|", ">", "#", "'", '"',
               "?", "%", "@", "`", "~", "---", "...", "\\", "<<"]  # fmt: skip
# Each a way editors' text goes wrong: invisible, reordering, look-alike, control,
# line-breaking, astral, or plain wrong bytes once encoded.
ODD = ["\u200b", "\u200f", "\u202e", "\u2066", "\ufeff", "\u00a0", "\u3000", "\u0430", "\uff41", "é", "日本",
       "\x00", "\x07", "\x1b", "\x7f", "\t", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\ud7ff", "\ue000",
       "\ufffd", "\U0001f600", "\U00010000", "\U0010ffff"]  # fmt: skip
VALUES = ["2014", "2014-03-04", "2014-02-30", "0x7de", "33:34", "yes", "~", "null", "1.5", ".inf", "''", '""',
          "[]", "{}", "voa-2014-03-04", "crimea-2014", "japan", "lng", "004_85f1257b8790f843.txt",
          "https://example.org/", "high"]  # fmt: skip

odd_text = st.lists(
    st.one_of(
        st.sampled_from([*PUNCTUATION, *ODD]),
        st.characters(codec="utf-8"),  # any character but a surrogate
        st.characters(min_codepoint=0x10000, codec="utf-8"),  # astral
        st.characters(max_codepoint=0x1F),  # control
    ),
    max_size=12,
).map("".join)
plain_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 -_.", max_size=12)


def lines_of(scalar: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly lines shaped like the data's own (indent, '- ', key, ': ', value), so that many
    documents parse and reach the schema and the rules; some are pure noise."""
    return st.one_of(
        st.tuples(
            st.integers(0, 6).map(lambda n: " " * (2 * n)),
            st.sampled_from(["", "- "]),
            st.sampled_from(KEYS),
            st.sampled_from([": ", ":", ":\n"]),
            scalar,
        ).map("".join),
        st.lists(st.one_of(scalar, st.sampled_from(PUNCTUATION)), max_size=6).map(" ".join),
    )


# Half the documents have no odd characters: a single one in forty lines often has
# the whole file refused before parsing, and the parser's own errors would go untested.
plain_scalar = st.one_of(st.sampled_from(KEYS), st.sampled_from(VALUES), plain_text)
odd_scalar = st.one_of(plain_scalar, odd_text)
documents = (
    st.one_of(st.lists(lines_of(plain_scalar), max_size=40), st.lists(lines_of(odd_scalar), max_size=40))
    .map("\n".join)
    .map(lambda text: text.encode("utf-8"))
)

inserted = st.one_of(
    st.sampled_from([*PUNCTUATION, *ODD]).map(str.encode),
    odd_text.map(str.encode),
    st.binary(min_size=1, max_size=4),  # bytes that need not be UTF-8
)
position = st.floats(0, 1)  # a fraction of the length, so it scales with the file
mutation = st.one_of(
    st.tuples(st.just("delete"), position, st.integers(1, 400)),
    st.tuples(st.just("insert"), position, inserted),
    st.tuples(st.just("duplicate line"), position, st.integers(1, 3)),
    st.tuples(st.just("swap lines"), position, position),
    # Whole values replaced keep the YAML well-formed more often, so the odd text
    # reaches the schema and the rules: dates, ids, file names, quotes.
    st.tuples(st.just("replace value"), position, odd_scalar.map(str.encode)),
)


def mutate(raw: bytes, mutations: list[tuple]) -> bytes:
    for kind, at, what in mutations:
        index = int(at * len(raw))
        if kind == "delete":
            raw = raw[:index] + raw[index + what :]
        elif kind == "insert":
            raw = raw[:index] + what + raw[index:]
        else:
            lines = raw.split(b"\n")
            i = min(int(at * len(lines)), len(lines) - 1)
            if kind == "duplicate line":
                lines[i:i] = [lines[i]] * what
            elif kind == "replace value":
                key, colon, _ = lines[i].partition(b": ")
                lines[i] = key + colon + what  # appended to a line without ": "
            else:
                j = min(int(what * len(lines)), len(lines) - 1)
                lines[i], lines[j] = lines[j], lines[i]
            raw = b"\n".join(lines)
    return raw


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file, rewritten by each example: a fresh folder per example would only cost time."""
    return tmp_path_factory.mktemp("fuzz") / "events.yaml"


def assert_checked_or_input_error(data_file: Path, raw: bytes, seeds: Path) -> None:
    data_file.write_bytes(raw)
    try:
        checked = check(data_file, seeds)
    except InputError:
        return
    assert isinstance(checked, Checked)
    # Lines as YAML counts them (a lone CR ends one too). The parser reports the end
    # of the file on the line after the last, so one more is allowed, at column 1.
    lines = LINE_BREAK.split(raw)
    count = len(lines) if lines[-1] else len(lines) - 1
    for problem in checked.problems:
        assert problem.message
        assert 1 <= problem.line <= count + 1, problem
        text = lines[problem.line - 1] if problem.line <= len(lines) else b""
        assert 1 <= problem.column <= len(text.decode("utf-8", "replace")) + 1, problem
    assert checked.errors or checked.timeline is not None
    # What the editor reads: no control, invisible or reordering character of the input gets through.
    assert all(line.isprintable() for line in format_text("events.yaml", checked.problems).splitlines())
    # How far inputs get, for --hypothesis-show-statistics: a fuzzer that never gets
    # past the parser would test little.
    event(f"outcome: {_stage(checked)}")


def _stage(checked: Checked) -> str:
    if not checked.errors:
        return "passes the check"
    first = checked.errors[0].message
    if first.startswith("YAML syntax error"):
        return "YAML syntax error"
    if (
        checked.timeline is None
        and len(checked.problems) == 1
        and first.startswith(("byte ", "file ", "character "))
    ):
        return "file refused as a whole (bytes, characters, empty)"
    return "schema or rule problems"


@PROFILE
@given(raw=documents)
def test_generated_documents_end_in_located_problems(data_file, raw):
    assert_checked_or_input_error(data_file, raw, SEEDS)


@PROFILE
@given(mutations=st.lists(mutation, min_size=1, max_size=5))
def test_mutations_of_the_real_file_end_in_located_problems(data_file, mutations):
    assert_checked_or_input_error(data_file, mutate(REAL, mutations), REAL_SEEDS)


# --- What the check accepts, the build builds -------------------------------------------------
#
# The valid fixture with every value an editor writes generated: ids (which become folder names),
# dates, and all the free text, which mixes plain words, odd characters and HTML and Markdown
# syntax that parsers read differently ("<!-->", CDATA, character references). Each text is
# written as YAML writes it, raw or as a double-quoted text of escapes ("\x0b", "\uFFFE", "\N"),
# so characters the YAML reader refuses raw arrive too. Whatever `check --strict` accepts is then
# rendered and written into a folder, as `build` does, and every file read back as a browser or
# a feed reader would: no exception, feed.xml and the sitemap well-formed XML, every page HTML
# whose tags balance, every address on it one the link rule allows, and no control character,
# noncharacter or direction control in any page or export. Pagefind's index is not made: it runs
# a program of its own for about a second, and indexes the pages checked here.

MARKUP = ["<!-->", "<!--->", "<!--", "-->", "<! x>", "<?x>", "<![CDATA[", "]]>", "<a href='//evil.example/'>",
          '<a href="/\\evil.example/">', "</a>", "[x](//evil.example/)", "[x](javascript:alert(1))",
          "[x](../sources/)", "[x](https://example.org/?a=1&b=2)", "<script>", "</script>", "<style>", "<b>",
          "</p>", "<p>", "&amp;", "&#0;", "&#11;", "&#x202e;", "&#xFFFE;", "&#x85;", "&rlo;", "{{ 1 }}", "{%",
          "=1+1", "*", "**", "_", "`", "\n\n", "\n", "    ", "# ", "> ", "- ", "1. ", "|", "---", "\t", "…"]  # fmt: skip
# Where Python's HTML parser and a browser's (nh3's) part ways, then a link: does it reach the page?
OPENERS = ["<!-->", "<!--->", "<!--", "<!-- -- >", "<! x>", "<?x>", "<![CDATA[", "<!DOCTYPE x", "</x ", "<x y='",
           '<x y="', "<textarea>", "<title>", "<noscript>", "<xmp>", "<plaintext>", "<svg><style>", "<math>"]  # fmt: skip
LINKS = ["<a href='//evil.example/'>x</a>", '<a href="/\\evil.example/">x</a>', "[x](//evil.example/)",
         "<a href=javascript:alert(1)>x</a>", "<a href='&#x202e;x'>x</a>"]  # fmt: skip
traps = st.tuples(
    st.sampled_from(OPENERS), st.sampled_from(["", " ", "\n", "x"]), st.sampled_from(LINKS)
).map("".join)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=10)
free_text = st.one_of(
    st.lists(
        st.one_of(words, st.sampled_from(MARKUP), traps, st.sampled_from(ODD), st.characters(codec="utf-8")),
        max_size=8,
    ).map(lambda parts: "Text " + "".join(parts)),
    traps.map(lambda trap: "Text " + trap),
)
id_text = st.one_of(
    st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True),
    st.integers(95, 105).map(lambda n: "a" * n),  # around the limit of 100
    st.tuples(
        st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), st.sampled_from(["\n", " ", "\u202e", ".", "A"])
    ).map("".join),
    st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True).map(lambda id: id + "\n"),  # Python's `$` takes it
)
dates = st.one_of(
    st.integers(990, 10_000).map(str),
    st.tuples(st.integers(990, 9999), st.integers(0, 13)).map(lambda d: f"{d[0]}-{d[1]:02d}"),
    st.tuples(st.integers(990, 9999), st.integers(1, 12), st.integers(1, 31)).map(
        lambda d: f"{d[0]}-{d[1]:02d}-{d[2]:02d}"
    ),
)


def yaml_text(text: str, escaped: bool) -> str:
    """`text` as a double-quoted YAML text: every character outside printable ASCII escaped, or
    only what must be (quote, backslash, and what the YAML reader refuses raw)."""
    out = []
    for character in text:
        code = ord(character)
        if character in '"\\':
            out.append("\\" + character)
        elif 0x20 <= code < 0x7F or (
            not escaped and character.isprintable() and code not in (0xFEFF, 0xFFFE, 0xFFFF)
        ):
            out.append(character)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


TEXT_FIELDS = ["site_title", "site_description", "topic_label", "actor_label", "era_title", "era_summary",
               "source_title", "publisher", "assessment", "date_note", "title_1", "summary_1", "note",
               "status_note", "title_2", "summary_2"]  # fmt: skip
PROJECT = """\
site:
  title: {site_title}
  description: {site_description}
  base_url: https://example.org/test/
topics:
  {topic}: {topic_label}
  lng: Liquefied natural gas
actors:
  japan: {actor_label}
  russia: Russia
eras:
  - id: {era}
    title: {era_title}
    summary: {era_summary}
sources:
  - id: {source}
    file: 004_85f1257b8790f843.txt
    title: {source_title}
    publisher: {publisher}
    published: {published}
    reliability: high
    assessment: {assessment}
events:
  - id: {event_1}
    date: {date_1}
    end: {end_1}
    date_note: {date_note}
    era: {era}
    title: {title_1}
    summary: {summary_1}
    topics: [{topic}, lng]
    actors: [japan, russia]
    citations:
      - source: {source}
        quote: "There has been no change in the direction of economic and resource diplomacy"
        note: {note}
  - id: {event_2}
    date: {date_2}
    background: {background}
    status: unconfirmed
    status_note: {status_note}
    era: {era}
    title: {title_2}
    summary: {summary_2}
    topics: [lng]
    actors: [japan]
    citations:
      - source: {source}
        quote: "Japan now consumes a third … purchased 10 percent of its supplies from Russia’s east"
"""
IDS = ["topic", "era", "source", "event_1", "event_2"]
DATES = ["published", "date_1", "end_1", "date_2"]
clean_text = words.map(lambda text: "Text " + text)
clean_id = st.from_regex(r"[a-z]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
# The ends of the range of years, where the overview's arithmetic is likeliest to break.
years = st.one_of(st.integers(1000, 9999), st.sampled_from([1000, 1001, 9998, 9999]))


@st.composite
def projects(draw: st.DrawFn) -> dict:
    """A project that passes the check, with up to three of its values replaced by hostile ones:
    were all sixteen texts hostile at once, one of them would nearly always be refused."""
    values: dict = {name: draw(clean_text) for name in TEXT_FIELDS}
    values |= {name: draw(clean_id) for name in IDS}
    start, end = sorted([draw(years), draw(years)])
    values |= {
        "published": str(draw(years)),
        "date_1": str(start),
        "end_1": str(end),
        "date_2": str(draw(years)),
    }
    # Ids and dates, fewer than the texts, are drawn as often as the texts together.
    fields = st.one_of(st.sampled_from(TEXT_FIELDS), st.sampled_from(IDS), st.sampled_from(DATES))
    for field in draw(st.lists(fields, max_size=3, unique=True)):
        values[field] = draw(free_text if field in TEXT_FIELDS else id_text if field in IDS else dates)
    values["background"] = draw(st.booleans())
    values["escaped"] = draw(st.booleans())
    return values


def project_yaml(values: dict) -> bytes:
    escaped = values["escaped"]
    fields = {
        key: yaml_text(value, escaped) if isinstance(value, str) else value for key, value in values.items()
    }
    fields["background"] = str(values["background"]).lower()
    return PROJECT.format(**fields).encode("utf-8")


# What no page, feed or export may hold: controls other than tab and new line (XML forbids most,
# HTML calls them parse errors), noncharacters, and the controls that reorder text around them.
NONCHARACTERS = "".join(chr(plane + end) for plane in range(0, 0x110000, 0x10000) for end in (0xFFFE, 0xFFFF))
FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef{NONCHARACTERS}]")

# The elements of HTML that have no end tag.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Balance(HTMLParser):
    """The open elements of a page, and every address on it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.addresses: list[str] = []
        self.wrong: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.addresses.extend(value for name, value in attrs if name in ("href", "src") and value is not None)
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.addresses.extend(value for name, value in attrs if name in ("href", "src") and value is not None)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.wrong.append(f"</{tag}> closes <{self.open[-1] if self.open else '(nothing)'}>")


def assert_reads_back(folder: Path, seed_names: set[str]) -> None:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        # Ids become folder names: no new line, space or other character an address must escape.
        assert re.fullmatch(r"[A-Za-z0-9._/-]+", relative), relative
        if path.is_dir() or path.name in seed_names:  # an archived document is published verbatim
            continue
        if path.suffix == ".png":  # a link-preview card: the text is drawn, never written
            image = Image.open(path)
            assert (image.format, image.size) == ("PNG", (1200, 630)), relative
            image.load()  # the whole image decodes
            continue
        text = path.read_bytes().decode("utf-8")
        assert FORBIDDEN.search(text) is None, (relative, FORBIDDEN.search(text))
        if path.suffix == ".xml":
            ElementTree.fromstring(path.read_bytes())
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".html":
            page = _Balance()
            page.feed(text)
            page.close()
            assert (page.wrong, page.open) == ([], []), relative
            refused = [address for address in page.addresses if not is_allowed_link(address)]
            assert refused == [], relative


@PROFILE
@given(values=projects())
def test_what_the_check_accepts_the_build_builds(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("project")
    data_file = folder / "events.yaml"
    data_file.write_bytes(project_yaml(values))
    checked = check(data_file, SEEDS)
    if checked.problems:  # errors, or warnings that --strict fails on
        event("outcome: refused by check --strict")
        return
    event("outcome: accepted, built")
    project = Project(data_file, SEEDS, ROOT / "templates", ROOT / "site_src")
    pages = render_site(checked, project)
    with staging(folder / "site") as site:
        write(pages, site)
    assert_reads_back(folder / "site", {path.name for path in SEEDS.iterdir()})
