"""The handbook's table of fields, generated from the schema so it cannot drift."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .schema import load_schema

MARKER = "<!-- schema-fields -->"


def _rows(node: dict[str, Any], prefix: str) -> Iterator[tuple[str, str, str]]:
    required = set(node.get("required", ()))
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path, "yes" if name in required else "no", sub.get("description", "")
        if sub.get("type") == "object" and "properties" in sub:
            yield from _rows(sub, f"{path}.")
        items = sub.get("items")
        if isinstance(items, dict) and "properties" in items:
            yield from _rows(items, f"{path}[].")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def fields_table() -> str:
    """A Markdown table: every field of events.yaml, whether it is required, what it means."""
    lines = ["| field | required | what it is |", "| --- | --- | --- |"]
    for path, required, description in _rows(load_schema(), ""):
        lines.append(f"| `{path}` | {required} | {_cell(description)} |")
    return "\n".join(lines)


REPORT_LINK = "<!-- report-problem-link -->"
PROPOSE_LINK = "<!-- propose-event-link -->"


def expand(markdown: str, repository: str | None = None) -> str:
    """The handbook's generated parts: the fields table, and the links to the issue forms."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, fields_table())
    if REPORT_LINK in markdown:
        from .provenance import issue_form_url

        link = f"[the issue form]({issue_form_url(repository)})" if repository else "the issue form"
        markdown = markdown.replace(REPORT_LINK, link)
    if PROPOSE_LINK in markdown:
        from .provenance import issue_form_url

        name = 'the "Propose an event" form'
        link = f"[{name}]({issue_form_url(repository, 'propose-event.yml')})" if repository else name
        markdown = markdown.replace(PROPOSE_LINK, link)
    return markdown
