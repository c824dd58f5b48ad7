"""The sticky comment on a pull request: what a reviewer needs without downloading anything.

The trusted preview workflow runs this (the base branch's code) on the pull request's data, read
as data: the check and its result, the correction-history and withdrawal rules, the events added,
changed and removed (each linked into the preview), the external addresses the change adds, and
whether the built site the pull request's CI uploaded may be published as its preview.

The comment is GitHub-flavoured Markdown in which every text from the pull request is either
escaped for a table cell (changes.markdown_text) or inside a fenced code block: no link, image,
HTML, mention or heading of the pull request's own reaches the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import changes
from .check import Checked, check, check_against
from .problems import Problem, format_text, plural, visible
from .schema import is_id

MARKER = "<!-- timeline-pr-preview -->"
# The preview's limits: the real site is about 2 MB in 130 files; a preview a hundred times larger
# is not a timeline (and every preview is kept on the Pages branch until its pull request closes).
MAX_SITE_BYTES = 200 * 1024 * 1024
MAX_SITE_FILES = 20_000
_ADDRESS = re.compile(r"https?://[^\s<>\"'`)\]]+", re.I)
_PREVIEW = re.compile(r"https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/-]*)?/")


class SiteRefused(ValueError):
    """The uploaded site cannot be published as a preview; the message says why."""


def vet_site(folder: Path) -> tuple[int, int]:
    """The files and bytes of an uploaded site, which must be regular files and folders only
    (no link, device or pipe), within the limits, with the site's index page. Nothing in it is
    run or interpreted here: it is copied as bytes, served by GitHub Pages as static files."""
    if folder.is_symlink() or not folder.is_dir():
        raise SiteRefused("the uploaded site is not a folder")
    count = size = 0
    stack = [folder]
    while stack:
        current = stack.pop()
        for entry in current.iterdir():
            if entry.is_symlink():
                raise SiteRefused(f"the uploaded site holds a link: {entry.relative_to(folder).as_posix()}")
            if entry.is_dir():
                stack.append(entry)
            elif entry.is_file():
                count += 1
                size += entry.stat().st_size
            else:
                raise SiteRefused(
                    f"the uploaded site holds a special file: {entry.relative_to(folder).as_posix()}"
                )
            if count > MAX_SITE_FILES or size > MAX_SITE_BYTES:
                raise SiteRefused(
                    f"the uploaded site is over the preview's limit of {MAX_SITE_FILES:,} files "
                    f"or {MAX_SITE_BYTES // 2**20} MB"
                )
    if not (folder / "index.html").is_file():
        raise SiteRefused("the uploaded site has no index.html")
    return count, size


def _addresses(value: Any, key: object = None) -> Iterator[str]:
    """A `url` value whole, whatever it holds; the http(s) addresses inside any other text."""
    if isinstance(value, str):
        if key == "url":
            yield value
        else:
            yield from (m.group(0).rstrip(".,;:") for m in _ADDRESS.finditer(value))
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _addresses(item, k)
    elif isinstance(value, list):
        for item in value:
            yield from _addresses(item, key)


def addresses(text: str) -> set[str]:
    """The external addresses in an events.yaml text: its urls, and links in any text."""
    document = changes.document_of(text) if text else None
    return set(_addresses(document.data)) if document is not None else set()


def _fenced(text: str) -> str:
    """`text` in a code block no run of backticks in it can close: nothing of it is Markdown."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _problems_block(path: str, problems: list[Problem]) -> str:
    return _fenced("\n".join(visible(line) for line in format_text(path, problems).split("\n")))


def comment(
    data: Path,
    seeds: Path,
    base: str,
    before: str,
    after: str,
    preview: str | None,
    site_refused: str | None = None,
) -> str:
    """The comment's Markdown. `before` and `after` are events.yaml at the base and now; the
    check runs on `data` (the pull request's file) and `seeds`, strict, as CI runs it."""
    if preview is not None and not _PREVIEW.fullmatch(preview):
        raise ValueError(f"not a preview address: {preview!r}")
    path = "events.yaml"
    plain: Checked = check(data, seeds)
    against: Checked = check_against(
        data, seeds, before, changes.seeds_at_revision(base, seeds) if before else None, base
    )
    own = set(plain.problems)
    base_rules = [p for p in against.problems if p not in own]
    failing = plain.errors or plain.warnings
    lines = [MARKER, "## Preview of this pull request", ""]
    if preview and not site_refused:
        lines.append(f"**[Open the preview of the site]({preview})** (built by this pull request's CI).")
    elif site_refused:
        lines.append(f"No preview: {changes.markdown_text(site_refused)}.")
    else:
        lines.append(
            "No preview: one is published for a branch of this repository once CI has built the site, "
            'when the maintainers have turned previews on (README, "Previews of pull requests").'
        )
    lines += ["", "### The check", ""]
    if failing:
        lines += [f"**Failed: {plural(len(plain.problems), 'problem')}** (`check --strict`):", ""]
        lines.append(_problems_block(path, plain.problems))
    else:
        lines.append("Passed (`check --strict`).")
    lines += ["", "### Corrections and withdrawals", ""]
    if base_rules:
        lines += [
            f"**Failed: {plural(len(base_rules), 'problem')}**: a published event, its history, a "
            "withdrawal or an archived document changed without telling readers:",
            "",
            _problems_block(path, base_rules),
        ]
    else:
        lines.append(
            "Passed: every change to a published event is recorded in its history, no published event "
            "was removed without a withdrawal record, and no archived document was edited."
        )
    lines += ["", _events_table(before, after, preview if not site_refused else None)]
    new = sorted(addresses(after) - addresses(before))
    lines += ["### New external addresses", ""]
    if new:
        lines += [
            f"{plural(len(new), 'address')} not in the base branch (shown as text: open each with care):",
            "",
            _fenced("\n".join(visible(a) for a in new)),
        ]
    else:
        lines.append("None.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _events_table(before: str, after: str, preview: str | None) -> str:
    """`build.py changes`' summary, with each added or changed event's page in the preview."""
    summary = changes.summary(before, after).replace(
        "## Events in this change", "### Events in this change", 1
    )
    if not preview:
        return summary
    now = changes.events_of(after)
    rows = []
    for line in summary.split("\n"):
        if line == "| | id | date | title |":
            line += " preview |"
        elif line == "| --- | --- | --- | --- |":
            line += " --- |"
        elif line.startswith("| ") and not line.startswith("| removed"):
            ident = _row_id(line, now)
            link = f"[page]({preview}events/{ident}/)" if ident else ""
            line += f" {link} |"
        elif line.startswith("| removed"):
            line += "  |"
        rows.append(line)
    return "\n".join(rows)


def _row_id(line: str, events: dict[str, dict[str, Any]]) -> str | None:
    """The id of a row's event (its second cell) when it is a well-formed id: only then is it
    safe in an address, and then the cell holds it as written (markdown_text leaves it alone)."""
    cells = line.split(" | ")
    ident = cells[1] if len(cells) > 2 else ""
    return ident if is_id(ident) and ident in events else None
