"""Which events a change adds, changes or removes: for the pull-request summary."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from .check import InputError
from .loader import decode, load


def events_of(text: str) -> dict[str, dict[str, Any]]:
    """Events by id, from the text of an events.yaml (empty if it does not load)."""
    decoded, _ = decode(text.encode("utf-8"))
    document, _ = load(decoded) if decoded is not None else (None, [])
    events = document.data.get("events") if document is not None else None
    if not isinstance(events, list):
        return {}
    return {e["id"]: e for e in events if isinstance(e, dict) and isinstance(e.get("id"), str)}


def at_revision(revision: str, path: Path) -> str:
    """The file as it was at a git revision; empty when it did not exist there. Raises InputError
    when git cannot run or the revision is not one of the repository's."""
    folder = path.resolve().parent
    if revision.startswith("-"):  # git would take it for an option (show --output=FILE writes one)
        raise InputError(f"'{revision}' is not a git revision")
    found = _git(folder, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if found.returncode != 0:
        why = found.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f" ({why[0].removeprefix('fatal: ')})" if why else ""
        raise InputError(f"'{revision}' is not a revision of the git repository at {folder}{detail}")
    commit = found.stdout.decode("ascii").strip()
    # "./name" is relative to the working directory, wherever the repository's root is.
    shown = _git(folder, "show", f"{commit}:./{path.name}")
    return shown.stdout.decode("utf-8", "replace") if shown.returncode == 0 else ""


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False, cwd=folder)
    except FileNotFoundError:
        raise InputError("git is not installed or not on PATH; the changes command needs it") from None
    except OSError as exc:
        raise InputError(f"cannot run git: {exc.strerror or exc}") from None


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
        title = str(event.get("title", "")).replace("|", "\\|")
        return f"| {what} | `{event['id']}` | {event.get('date', '')} | {title} |"

    lines += ["| | id | date | title |", "| --- | --- | --- | --- |"]
    lines += [row(e, "added") for e in added]
    for before_event, after_event in changed:
        fields = sorted(
            k for k in before_event.keys() | after_event.keys() if before_event.get(k) != after_event.get(k)
        )
        lines.append(row(after_event, f"changed ({', '.join(fields)})"))
    lines += [row(e, "removed") for e in removed]
    lines += ["", f"{len(added)} added, {len(changed)} changed, {len(removed)} removed."]
    return "\n".join(lines) + "\n"
