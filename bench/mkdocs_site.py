"""The same pages as Markdown for MkDocs 1.6, so bench/run.py can build both.

    .venv/bin/python bench/mkdocs_site.py PROJECT FOLDER

PROJECT holds events.yaml and seeds/ (as bench/generate.py makes them);
FOLDER receives mkdocs.yml and docs/: one page per event (title, date, era,
summary, each citation as a blockquote linking to its source's page, topics
and actors), one per source (its text as paragraphs, between the body bounds
as our reading view shows it) and an index listing every event by era, as
our index does. The data is read with plain PyYAML, not with timeline/, so
MkDocs gets the content without any of our code's work being done for it.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from typing import Any

import yaml

# `nav` holds only the index, so MkDocs does not spend time on a 10,000-entry
# navigation rendered into every page (our pages have no such menu either).
# MkDocs still builds the pages nav leaves out; it names them in one INFO line
# (validation.nav.omitted_files), which `mkdocs build -q` keeps quiet.
# The search plugin stays on (it is MkDocs' default): our build indexes too.
CONFIG = """\
site_name: {title}
site_url: {base_url}
docs_dir: docs
theme:
  name: mkdocs
plugins:
  - search
nav:
  - index.md
"""


def _yaml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: str) -> str:
    """Plain text as Markdown: no raw HTML, no emphasis from stray asterisks."""
    return re.sub(r"([\\`*_\[\]#])", r"\\\1", html.escape(value, quote=False))


def paragraphs(text: str, body: dict[str, str] | None) -> list[str]:
    """The source's text between its body bounds, one string per paragraph."""
    if body:
        start = text.find(body["first"])
        end = text.find(body["last"], max(start, 0))
        if start >= 0 and end >= 0:
            text = text[start : end + len(body["last"])]
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def event_page(event: dict[str, Any], data: dict[str, Any], labels: dict[str, str]) -> str:
    sources = {s["id"]: s for s in data["sources"]}
    eras = {e["id"]: e["title"] for e in data["eras"]}
    date = str(event["date"]) + (f" – {event['end']}" if event.get("end") else "")
    lines = [f"# {_text(event['title'])}", "", f"**{date}** · {_text(eras[event['era']])}", ""]
    if event.get("date_note"):
        lines += [f"*{_text(event['date_note'])}*", ""]
    lines += [event["summary"].strip(), "", "## Sources", ""]
    for citation in event["citations"]:
        source = sources[citation["source"]]
        lines += [
            f"> {_text(citation['quote'])}",
            "",
            f"— [{_text(source['title'])}](../sources/{source['id']}.md), {_text(source['publisher'])}",
            "",
        ]
    lines += [
        "Topics: " + ", ".join(labels[f"topic:{t}"] for t in event["topics"]),
        "",
        "Actors: " + ", ".join(labels[f"actor:{a}"] for a in event["actors"]),
        "",
    ]
    return "\n".join(lines)


def source_page(source: dict[str, Any], text: str, cited_by: list[dict[str, Any]]) -> str:
    lines = [
        f"# {_text(source['title'])}",
        "",
        f"{_text(source['publisher'])}, {source['published']} · reliability: {source['reliability']}",
        "",
        source["assessment"].strip(),
        "",
    ]
    if source.get("url"):
        lines += [f"Original: <{source['url']}>", ""]
    lines += [_text(p) + "\n" for p in paragraphs(text, source.get("body"))]
    lines += ["## Cited by", ""]
    lines += [f"- [{_text(e['title'])}](../events/{e['id']}.md)" for e in cited_by]
    return "\n".join(lines) + "\n"


def index_page(data: dict[str, Any]) -> str:
    lines = [f"# {_text(data['site']['title'])}", "", data["site"]["description"].strip(), ""]
    for era in data["eras"]:
        lines += [f"## {_text(era['title'])}", "", era["summary"].strip(), ""]
        lines += [
            f"- {e['date']} [{_text(e['title'])}](events/{e['id']}.md) — {e['summary'].strip()}"
            for e in data["events"]
            if e["era"] == era["id"]
        ]
        lines.append("")
    return "\n".join(lines)


def convert(project: Path, folder: Path) -> int:
    """Write mkdocs.yml and docs/ into `folder`; the number of event and source pages."""
    with (project / "events.yaml").open(encoding="utf-8") as file:
        data = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    labels = {f"topic:{k}": v for k, v in data["topics"].items()}
    labels |= {f"actor:{k}": v for k, v in data["actors"].items()}
    docs = folder / "docs"
    (docs / "events").mkdir(parents=True, exist_ok=True)
    (docs / "sources").mkdir(parents=True, exist_ok=True)
    site = data["site"]
    (folder / "mkdocs.yml").write_text(
        CONFIG.format(title=_yaml(site["title"]), base_url=_yaml(site["base_url"])), encoding="utf-8"
    )
    (docs / "index.md").write_text(index_page(data), encoding="utf-8")
    cited_by: dict[str, list[dict[str, Any]]] = {s["id"]: [] for s in data["sources"]}
    for event in data["events"]:
        page = event_page(event, data, labels)
        (docs / "events" / f"{event['id']}.md").write_text(page, encoding="utf-8")
        for source_id in dict.fromkeys(c["source"] for c in event["citations"]):
            cited_by[source_id].append(event)
    for source in data["sources"]:
        text = (project / "seeds" / source["file"]).read_text(encoding="utf-8")
        page = source_page(source, text, cited_by[source["id"]])
        (docs / "sources" / f"{source['id']}.md").write_text(page, encoding="utf-8")
    return len(data["events"]) + len(data["sources"])


def built_pages(site: Path) -> int:
    """Event and source pages in a built site, ours or MkDocs' (both write <kind>/<id>/index.html)."""
    return sum(1 for kind in ("events", "sources") for _ in (site / kind).glob("*/index.html"))


if __name__ == "__main__":
    print(f"{convert(Path(sys.argv[1]), Path(sys.argv[2]))} event and source pages")
