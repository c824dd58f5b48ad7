"""Which events a change adds, changes or removes: for the pull-request summary."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

from . import markup
from .check import InputError
from .loader import Document, decode, load
from .problems import Problem, shown, visible
from .seeds import SeedFileError, Seeds

# What GitHub-flavoured Markdown reads as markup inside a table cell, each made plain text by a
# backslash: raw HTML and entities (< > &: "<!--" would hide the rows below it), links and
# images ([ ]), emphasis (* _ ~), code spans (`), math ($), a new cell (|), an escape (\\), and
# what makes an address a link: the "." of "www." and ":" (also that of GitHub's :emoji:).
# Nothing else, so a title reads as typed in the raw summary too ("Japan's 2014-03-04 U.S.").
# GFM still links an e-mail address (a@b.org) as mailto: the address as typed, nothing hidden.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]<>&|$:]|(?<=[wW]{3})\.)")
# Longer than any title the check accepts; a 1 MB one must not fill the job summary.
_LIMIT = 200


def document_of(text: str) -> Document | None:
    """The parsed events.yaml of this text; None when it does not load."""
    decoded, _ = decode(text.encode("utf-8"))
    return load(decoded)[0] if decoded is not None else None


def events_of(text: str) -> dict[str, dict[str, Any]]:
    """Events by id, from the text of an events.yaml (empty if it does not load)."""
    document = document_of(text)
    events = document.data.get("events") if document is not None else None
    if not isinstance(events, list):
        return {}
    # A text the check refuses (a control character in a title) is still shown, by code.
    for (*where, key), text in document.refused_text.items():
        if len(where) == 2 and where[0] == "events" and isinstance(events[where[1]], dict):
            events[where[1]][key] = text
    return {e["id"]: e for e in events if isinstance(e, dict) and isinstance(e.get("id"), str)}


def _commit(revision: str, folder: Path) -> str:
    """The commit `revision` names in the repository holding `folder`; InputError when git cannot
    run or the revision is not one of the repository's."""
    if revision.startswith("-"):  # git would take it for an option (show --output=FILE writes one)
        raise InputError(f"'{revision}' is not a git revision")
    found = _git(folder, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if found.returncode != 0:
        why = found.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f" ({why[0].removeprefix('fatal: ')})" if why else ""
        raise InputError(
            f"'{revision}' is not a revision of the git repository at {folder}{detail}"
            " (with a shallow clone, fetch the base branch first)"
        )
    return found.stdout.decode("ascii").strip()


def _in_repository(path: Path) -> str:
    """The real path's name relative to the root of its repository, as git names it: the same
    file at every revision, wherever the command runs (the data file is never a link, see
    files.real_file; a linked folder above it is resolved here)."""
    real = path.resolve()
    top = _git(real.parent, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise InputError(f"{real.parent} is not in a git repository")
    root = Path(top.stdout.decode("utf-8", "surrogateescape").strip()).resolve()
    try:
        return real.relative_to(root).as_posix()
    except ValueError:
        raise InputError(f"{real} is not in the git repository at {root}") from None


def at_revision(revision: str, path: Path) -> str:
    """The file as it was at a git revision; empty when it did not exist there. Raises InputError
    when git cannot run or the revision is not one of the repository's."""
    folder = path.resolve().parent
    commit = _commit(revision, folder)
    shown = _git(folder, "show", f"{commit}:{_in_repository(path)}")
    return shown.stdout.decode("utf-8", "replace") if shown.returncode == 0 else ""


def seeds_at_revision(revision: str, folder: Path) -> dict[str, str]:
    """The git object id of each file in the seeds folder at a revision, by name (none when the
    folder did not exist there): what every archived document's bytes were."""
    real = folder.resolve()
    commit = _commit(revision, real)
    listed = _git(real, "ls-tree", "-z", "--full-tree", f"{commit}:{_in_repository(real)}")
    if listed.returncode != 0:
        return {}
    ids: dict[str, str] = {}
    for entry in listed.stdout.split(b"\0"):
        if entry:
            info, _, name = entry.partition(b"\t")
            ids[name.decode("utf-8", "surrogateescape")] = info.split()[2].decode("ascii")
    return ids


def object_id(raw: bytes, like: str) -> str:
    """The id git gives a file of these bytes, in the hash of the id `like` (SHA-1 or SHA-256)."""
    digest = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return digest(b"blob %d\0" % len(raw) + raw).hexdigest()


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False, cwd=folder)
    except FileNotFoundError:
        raise InputError("git is not installed or not on PATH; the changes command needs it") from None
    except OSError as exc:
        raise InputError(f"cannot run git: {exc.strerror or exc}") from None


def markdown_text(value: Any) -> str:
    """A value from the file as plain text in a cell of a GitHub-flavoured Markdown table: one
    line, its invisible and control characters shown by code (as at the terminal), no markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", visible(shown(value, _LIMIT)))


def summary(before: str, after: str) -> str:
    """A Markdown summary of the events added, changed and removed."""
    old, new = events_of(before), events_of(after)
    added = [new[i] for i in new if i not in old]
    removed = [old[i] for i in old if i not in new]
    changed = [(old[i], new[i]) for i in new if i in old and old[i] != new[i]]
    lines = ["## Events in this change", ""]
    if not (added or removed or changed):
        lines.append("No event is added, changed or removed.")
        return "\n".join(lines) + "\n"

    def row(event: dict[str, Any], what: str) -> str:
        cells = (event["id"], event.get("date", ""), event.get("title", ""))
        return f"| {what} | " + " | ".join(markdown_text(cell) for cell in cells) + " |"

    lines += ["| | id | date | title |", "| --- | --- | --- | --- |"]
    lines += [row(e, "added") for e in added]
    for before_event, after_event in changed:
        keys = before_event.keys() | after_event.keys()
        # sorted as text: a key may be a number
        fields = sorted((k for k in keys if before_event.get(k) != after_event.get(k)), key=str)
        lines.append(row(after_event, f"changed ({', '.join(markdown_text(f) for f in fields)})"))
    lines += [row(e, "removed") for e in removed]
    lines += ["", f"{len(added)} added, {len(changed)} changed, {len(removed)} removed."]
    return "\n".join(lines) + "\n"


# What readers rely on in a published event: a change to any of these must be told to them in a
# new history entry. (Tags, notes and the like may be tidied without one.)
TRACKED = ("date", "end", "title", "summary")


def _text(value: Any) -> str:
    """A value as readers see it: reflowing a folded YAML text or writing 2014 as '2014' is no change."""
    return " ".join(str(value).split()) if value is not None else ""


# Fields readers see rendered from Markdown, where whitespace can matter: "December\n\n2012. He"
# shows "1. He" in a list, the year gone.
_MARKDOWN = frozenset({"summary"})


def _seen(key: str, value: Any) -> str:
    """A tracked field as readers see it: a Markdown field as its page HTML, whitespace within
    it collapsed (the browser collapses it too, so reflowing is no change, a new paragraph or
    list is); another field as its collapsed text."""
    if key in _MARKDOWN and isinstance(value, str):
        try:
            return _text(markup.render(value))
        except markup.TooDeep:  # the check reports it where it is written; compare the words
            return "\0" + _text(value)
    return _text(value)


def _quotes(event: dict[str, Any]) -> list[str]:
    citations = event.get("citations")
    if not isinstance(citations, list):
        return []
    return [_text(c.get("quote")) if isinstance(c, dict) else "" for c in citations]


def _history(event: dict[str, Any]) -> list[tuple[str, str, str]]:
    history = event.get("history")
    if not isinstance(history, list):
        return []
    entries = [h if isinstance(h, dict) else {} for h in history]
    return [(_text(h.get("date")), _text(h.get("kind")), _text(h.get("note"))) for h in entries]


def _withdrawn_ids(data: dict[str, Any]) -> set[str]:
    withdrawn = data.get("withdrawn")
    if not isinstance(withdrawn, list):
        return set()
    return {w["id"] for w in withdrawn if isinstance(w, dict) and isinstance(w.get("id"), str)}


def published_problems(before: str, document: Document) -> list[Problem]:
    """What a change does to published events without telling readers, each at its line:
    a date, title, summary or quote changed with no new history entry; history rewritten;
    an event or a withdrawal removed without a withdrawal record."""
    old_document = document_of(before) if before else None
    if old_document is None:
        return []  # nothing was published, or the base did not load: nothing to protect
    published = events_of(before)
    published_withdrawn = _withdrawn_ids(old_document.data)
    events = document.data.get("events")
    current = {
        e["id"]: i
        for i, e in enumerate(events if isinstance(events, list) else ())
        if isinstance(e, dict) and isinstance(e.get("id"), str)
    }
    withdrawn_now = _withdrawn_ids(document.data)
    problems: list[Problem] = []

    def at(path: tuple[Any, ...], message: str, key: bool = False) -> None:
        line, column = document.where_key(path) if key else document.where(path)
        problems.append(Problem(line, column, message))

    for event_id, old in published.items():
        if event_id not in current:
            if event_id not in withdrawn_now:
                at(
                    ("events",),
                    f"published event '{shown(event_id)}' was removed without a withdrawal record; its "
                    "address must keep working: add it under 'withdrawn' with its id, title, the date "
                    "and the reason (and 'replaced_by' if another event replaces it)",
                    key=True,
                )
            continue
        i = current[event_id]
        new = events[i]
        old_history, new_history = _history(old), _history(new)
        if new_history[: len(old_history)] != old_history:
            at(
                ("events", i, "history"),
                f"the published history of event '{shown(event_id)}' was changed or shortened; "
                "history entries are never edited or removed: add a new entry instead",
                key=True,
            )
            continue
        if len(new_history) > len(old_history):
            continue  # the change is told to readers
        changed = [key for key in TRACKED if _seen(key, old.get(key)) != _seen(key, new.get(key))]
        old_quotes, new_quotes = _quotes(old), _quotes(new)
        if old_quotes != new_quotes:
            differs = next(
                (j for j, (a, b) in enumerate(zip(old_quotes, new_quotes, strict=False)) if a != b),
                min(len(old_quotes), len(new_quotes)),
            )
            where: tuple[Any, ...] = ("events", i, "citations", differs, "quote")
            if differs >= len(new_quotes):
                where = ("events", i, "citations")
            at(
                where,
                f"a quote of published event '{shown(event_id)}' changed without a new history entry; "
                "add one under 'history' (date, kind: correction, clarification or update, and a "
                "note saying what changed)",
            )
        if changed:
            at(
                ("events", i, changed[0]),
                f"the {', '.join(changed)} of published event '{shown(event_id)}' changed without a new "
                "history entry; add one under 'history' (date, kind: correction, clarification or "
                "update, and a note saying what changed)",
            )
    for withdrawn_id in sorted(published_withdrawn - withdrawn_now - set(current)):
        at(
            ("withdrawn",) if "withdrawn" in document.data else (),
            f"the withdrawal record of '{shown(withdrawn_id)}' was removed; its page must keep saying "
            "why it was withdrawn: restore the record",
            key=True,
        )
    return problems


def archived_problems(
    archived: dict[str, str], revision: str, document: Document, seeds: Seeds
) -> list[Problem]:
    """Archived documents edited or removed since the base, `archived` holding their git ids
    there: a quote must be checked against what the source published, so a seed is never
    edited, only added. Each at the `file:` of the source naming it, or at `sources:`."""
    sources = document.data.get("sources")
    declared: dict[str, tuple[Any, ...]] = {}
    for i, source in enumerate(sources if isinstance(sources, list) else ()):
        if isinstance(source, dict) and isinstance(source.get("file"), str):
            declared.setdefault(source["file"], ("sources", i, "file"))
    problems: list[Problem] = []
    for name, old_id in sorted(archived.items()):
        if name not in seeds.names:
            if name not in declared:
                continue  # an archived document no source cites any more may go
            what = "was removed"
        else:
            try:
                raw = seeds.raw(name)
            except SeedFileError:
                continue  # the check reports why it cannot be read, at the source naming it
            if object_id(raw, old_id) == old_id:
                continue
            what = "changed"
        where = declared.get(name)
        line, column = document.where(where) if where else document.where_key(("sources",))
        problems.append(
            Problem(
                line,
                column,
                f"seeds/{shown(name)} {what} since {shown(revision)}: archived documents are never "
                "edited; add a corrected document as a new seed and source instead",
            )
        )
    return problems
