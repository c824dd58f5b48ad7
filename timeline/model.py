"""The timeline as frozen dataclasses, built from data the check has passed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .dates import PartialDate
from .loader import Document


@dataclass(frozen=True)
class Site:
    title: str
    description: str
    base_url: str


@dataclass(frozen=True)
class Term:
    """A topic or an actor: an id from a controlled vocabulary and its label."""

    id: str
    label: str


@dataclass(frozen=True)
class Era:
    id: str
    title: str
    summary: str


@dataclass(frozen=True)
class Body:
    first: str
    last: str


@dataclass(frozen=True)
class Source:
    id: str
    file: str
    title: str
    publisher: str
    published: PartialDate
    reliability: str
    assessment: str
    url: str | None = None
    body: Body | None = None

    @property
    def archived_name(self) -> str:
        """The archived copy's file name on the site, in sources/<id>/: always a .txt file.

        A host serves a published file by its extension, and a browser never renders text/plain
        as a page (it sniffs text/plain only for binary formats). The check accepts only names
        like 003_report.txt, which stay as they are; should a name ever reach here otherwise,
        its extensions are replaced all the same: report.html and index.html become report.txt
        and index.txt, never a page, never the source's own index.html.
        """
        return f"{self.file.split('.')[0]}.txt"


@dataclass(frozen=True)
class Citation:
    source: str
    quote: str
    note: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Event:
    id: str
    date: PartialDate
    era: str
    title: str
    summary: str
    topics: tuple[str, ...]
    actors: tuple[str, ...]
    citations: tuple[Citation, ...]
    end: PartialDate | None = None
    date_note: str | None = None
    background: bool = False
    status: str = "confirmed"
    status_note: str | None = None
    # Where the event stands in events.yaml: ties in date keep file order.
    line: int = field(default=0, compare=False)

    @property
    def unconfirmed(self) -> bool:
        return self.status == "unconfirmed"


@dataclass(frozen=True)
class Timeline:
    site: Site
    topics: tuple[Term, ...]
    actors: tuple[Term, ...]
    eras: tuple[Era, ...]
    sources: tuple[Source, ...]
    events: tuple[Event, ...]


def _optional_date(value: Any) -> PartialDate | None:
    return None if value is None else PartialDate.parse(value)


def build(document: Document) -> Timeline:
    """The model of a document that passed the check (so every value is well-formed)."""
    data = document.data
    site = data["site"]
    sources = tuple(
        Source(
            id=s["id"],
            file=s["file"],
            title=s["title"],
            publisher=s["publisher"],
            published=PartialDate.parse(s["published"]),
            reliability=s["reliability"],
            assessment=s["assessment"],
            url=s.get("url"),
            body=Body(s["body"]["first"], s["body"]["last"]) if "body" in s else None,
        )
        for s in data["sources"]
    )
    events = tuple(
        Event(
            id=e["id"],
            date=PartialDate.parse(e["date"]),
            end=_optional_date(e.get("end")),
            date_note=e.get("date_note"),
            era=e["era"],
            background=bool(e.get("background", False)),
            title=e["title"],
            summary=e["summary"],
            topics=tuple(e["topics"]),
            actors=tuple(e["actors"]),
            citations=tuple(
                Citation(
                    c["source"], c["quote"], c.get("note"), document.where(("events", i, "citations", j))[0]
                )
                for j, c in enumerate(e["citations"])
            ),
            status=e.get("status", "confirmed"),
            status_note=e.get("status_note"),
            line=document.where(("events", i))[0],
        )
        for i, e in enumerate(data["events"])
    )
    return Timeline(
        site=Site(site["title"], site["description"], site["base_url"]),
        topics=tuple(Term(k, v) for k, v in data["topics"].items()),
        actors=tuple(Term(k, v) for k, v in data["actors"].items()),
        eras=tuple(Era(e["id"], e["title"], e["summary"]) for e in data["eras"]),
        sources=sources,
        events=events,
    )
