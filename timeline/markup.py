"""Editors' Markdown made safe: the one place where HTML is marked trusted.

Markdown goes through Python-Markdown and then through nh3's allow-list, so
nothing an editor writes can become script, style or an unexpected element.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown
import nh3
from markupsafe import Markup

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p",
    "pre", "strong", "sub", "sup", "ul",
}  # fmt: skip
_PAGE_TAGS = _TAGS | {"h1", "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td"}
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "h2": {"id"}, "h3": {"id"}}

# One Markdown instance, reset between uses: building one costs far more than converting.
_markdown = markdown.Markdown(extensions=["tables", "fenced_code"], output_format="html")


class TooDeep(ValueError):
    """Markdown nesting lists or quotes deeper than a page can show; Python-Markdown would recurse
    once per level until Python's recursion limit (a RecursionError, no line) at a few hundred."""


# Deeper than any page needs (a list in a quote in a list is 3), far below where Python-Markdown
# runs out of stack. Bounded before converting, from the text: catching RecursionError deep
# inside the library would leave its shared instance half-way through a conversion, and how
# deep it gets depends on the stack left to the caller (the preview's thread, a test runner).
MAX_NESTING = 20
# One level: a list marker or a ">" at the start of a line, or after another marker.
_LEVEL = re.compile(r"(?:[-*+]|\d{1,9}[.)]|>)(?:[ \t]+|$)|>")
_INDENT = 4  # columns of indentation Python-Markdown reads as one more level


def nesting(text: str) -> tuple[int, int]:
    """The deepest nesting of lists and quotes a line of the text opens, and that line's number:
    the markers at its start plus its indentation in levels (a generous upper bound: a marker
    Markdown reads as text counts too)."""
    deepest, where = 0, 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" \t")
        indent = len(line[: len(line) - len(stripped)].expandtabs(_INDENT))
        depth, position = indent // _INDENT, 0
        while match := _LEVEL.match(stripped, position):
            depth, position = depth + 1, match.end()
            position += len(stripped) - position - len(stripped[position:].lstrip(" \t"))
        if depth > deepest:
            deepest, where = depth, number
    return deepest, where


@cache  # the check's Markdown rules and the render each need a field's HTML: converted once
def _to_html(text: str) -> str:
    depth, line = nesting(text)
    if depth > MAX_NESTING:
        raise TooDeep(f"nests lists or quotes {depth} deep at its line {line}, more than {MAX_NESTING}")
    _markdown.reset()
    return _markdown.convert(text)


def _sanitize(html: str, tags: set[str]) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes=_ATTRIBUTES,
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=None,
    )


# A relative link to a folder ("../sources/") gets its index.html, so links
# also work when the site is opened from disk, where folders do not open pages.
_FOLDER_LINK = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|/|#)([^"#?]*/)(#[^"]*)?"')


def _folder_links(html: str) -> str:
    return _FOLDER_LINK.sub(lambda m: f'href="{m.group(1)}index.html{m.group(2) or ""}"', html)


@cache  # a summary appears on several pages and in every export: convert it once
def render(text: str) -> Markup:
    """Editor's Markdown (a summary, an assessment) as safe HTML."""
    return Markup(_folder_links(_sanitize(_to_html(text), _TAGS)))


def render_page(text: str) -> Markup:
    """A page of site_src/ (about, methodology): headings and tables allowed too."""
    return Markup(_folder_links(_sanitize(_to_html(text), _PAGE_TAGS)))


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links.extend(value for name, value in attrs if name in ("href", "src") and value)


class _TextCollector(HTMLParser):
    """The words of an HTML fragment, as text; the content of <script> and <style> included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []

    def handle_data(self, data: str) -> None:
        self.words.extend(data.split())


def _words(html: str) -> list[str]:
    collector = _TextCollector()
    collector.feed(html)
    if collector.cdata_elem is not None:  # an unclosed <script> or <style>: the rest is its content
        collector.words.extend(re.sub(r"<[^>]*>", " ", collector.rawdata).split())
        return collector.words
    collector.close()
    return collector.words


def dropped_words(text: str) -> list[str]:
    """The words of an editor's Markdown that the sanitizer removes with the element holding them
    (the content of <script> and <style>; an unclosed one takes the rest of the text with it)."""
    if "<" not in text:
        return []  # no raw HTML, nothing to remove
    html = _to_html(text)
    kept = iter(_words(_sanitize(html, _TAGS)))
    # What is kept comes in the same order: walk both, and what the walk skips was removed.
    dropped, next_kept = [], next(kept, None)
    for word in _words(html):
        if word == next_kept:
            next_kept = next(kept, None)
        else:
            dropped.append(word)
    return dropped


def _addresses(html: str) -> list[str]:
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    return collector.links


def links(text: str) -> list[str]:
    """Every address a Markdown text links to: as written, and as it reaches the page.

    Python's HTML parser and nh3's (a browser's) do not read all HTML alike: after "<!-->",
    Python's sees a comment running on, nh3's an empty comment and a live link after it. So the
    addresses of the sanitized HTML, the page's very bytes, are read too (nh3 writes well-formed
    HTML, which both parsers read alike). The addresses as written are kept for what nh3 silently
    drops, such as a javascript: link: the editor is told rather than left to find it gone."""
    if "[" not in text and "<" not in text:
        return []  # Markdown cannot make a link without one of these.
    return list(dict.fromkeys([*_addresses(_to_html(text)), *_addresses(render(text))]))


# What a browser drops before it reads an address (WHATWG URL): tabs and newlines anywhere, and
# controls and spaces at either end.
_DROPPED_INSIDE = str.maketrans("", "", "\t\n\r")
_DROPPED_AROUND = "".join(map(chr, range(0x21)))


def is_allowed_link(address: str) -> bool:
    """http, https, mailto, or relative to the site; nothing that a browser could run or would
    take off the site. Read as a browser reads it: a backslash counts as a slash, so "/\\host"
    and "/<tab>/host" lead to another host just as "//host" does."""
    seen = address.translate(_DROPPED_INSIDE).strip(_DROPPED_AROUND)
    scheme = urlsplit(seen).scheme.lower()
    return scheme in ALLOWED_SCHEMES or (scheme == "" and not seen.replace("\\", "/").startswith("//"))
