"""Which events a change adds, changes or removes: for the pull-request summary."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

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
    """The file as it was at a git revision; empty when it did not exist there."""
    # "./name" is relative to the working directory, wherever the repository's root is.
    result = subprocess.run(
        ["git", "show", f"{revision}:./{path.name}"],
        capture_output=True,
        text=True,
        check=False,
        cwd=path.resolve().parent,
    )
    return result.stdout if result.returncode == 0 else ""


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
