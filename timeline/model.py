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
    repository: str | None = None  # https://github.com/OWNER/REPO: where readers report problems


@dataclass(frozen=True)
class Term:
    """A topic or an actor: an id from a controlled vocabulary and its label."""

    id: str
    label: str


@dataclass(frozen=True)
class BriefPoint:
    """One sentence of the In brief, and the confirmed events whose quotes support it."""

    text: str
    events: tuple[str, ...]


@dataclass(frozen=True)
class Brief:
    """The story in a few lines, at the top of the timeline."""

    headline: str
    points: tuple[BriefPoint, ...]


@dataclass(frozen=True)
class Era:
    id: str
    title: str
    summary: str


@dataclass(frozen=True)
class OutsideFact:
    """A fact the archived documents do not state, with the public record it comes from."""

    fact: str
    record: str
    url: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """A published change to an event: readers see every one, newest last."""

    date: PartialDate  # always a day
    kind: str  # correction, clarification or update
    note: str

    @property
    def verb(self) -> str:
        return {"correction": "Corrected", "clarification": "Clarified", "update": "Updated"}[self.kind]


@dataclass(frozen=True)
class Withdrawal:
    """A published event taken down: its address stays, saying when, why and what replaces it."""

    id: str
    title: str
    date: PartialDate
    reason: str
    replaced_by: tuple[str, ...] = ()


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
    url_note: str | None = None
    accessed: PartialDate | None = None
    archive_url: str | None = None
    outside_facts: tuple[OutsideFact, ...] = ()
    short_name: str | None = None

    @property
    def name(self) -> str:
        """What readers see on cards and in citations: the short name, else the publisher (the
        check requires a short name when the publisher is unnamed, "[in brackets]")."""
        return self.short_name or self.publisher

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
    history: tuple[HistoryEntry, ...] = ()
    outside_facts: tuple[OutsideFact, ...] = ()
    sort_after: str | None = None  # the event it is read after (for a month or year date)
    key: str | None = None  # the overview's label of an event a reader must not miss
    # Where the event stands in events.yaml: ties in date keep file order.
    line: int = field(default=0, compare=False)

    @property
    def unconfirmed(self) -> bool:
        return self.status == "unconfirmed"

    @property
    def last_updated(self) -> PartialDate | None:
        """The day of the latest entry in its history; None for an event never changed."""
        return max(self.history, key=lambda h: h.date.first_day).date if self.history else None


@dataclass(frozen=True)
class Timeline:
    site: Site
    topics: tuple[Term, ...]
    actors: tuple[Term, ...]
    eras: tuple[Era, ...]
    sources: tuple[Source, ...]
    events: tuple[Event, ...]
    withdrawn: tuple[Withdrawal, ...] = ()
    brief: Brief | None = None


def _optional_date(value: Any) -> PartialDate | None:
    return None if value is None else PartialDate.parse(value)


def _outside_facts(items: list[dict[str, Any]] | None) -> tuple[OutsideFact, ...]:
    return tuple(OutsideFact(f["fact"], f["record"], f.get("url")) for f in items or ())


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
            url_note=s.get("url_note"),
            accessed=_optional_date(s.get("accessed")),
            archive_url=s.get("archive_url"),
            outside_facts=_outside_facts(s.get("outside_facts")),
            short_name=s.get("short_name"),
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
            history=tuple(
                HistoryEntry(PartialDate.parse(h["date"]), h["kind"], h["note"]) for h in e.get("history", ())
            ),
            outside_facts=_outside_facts(e.get("outside_facts")),
            sort_after=e.get("sort_after"),
            key=e.get("key"),
            line=document.where(("events", i))[0],
        )
        for i, e in enumerate(data["events"])
    )
    return Timeline(
        site=Site(site["title"], site["description"], site["base_url"], site.get("repository")),
        topics=tuple(Term(k, v) for k, v in data["topics"].items()),
        actors=tuple(Term(k, v) for k, v in data["actors"].items()),
        eras=tuple(Era(e["id"], e["title"], e["summary"]) for e in data["eras"]),
        sources=sources,
        events=events,
        withdrawn=tuple(
            Withdrawal(
                id=w["id"],
                title=w["title"],
                date=PartialDate.parse(w["date"]),
                reason=w["reason"],
                replaced_by=tuple(w.get("replaced_by", ())),
            )
            for w in data.get("withdrawn", ())
        ),
        brief=_brief(data.get("brief")),
    )


def _brief(brief: dict[str, Any] | None) -> Brief | None:
    if brief is None:
        return None
    points = tuple(BriefPoint(p["text"], tuple(p["events"])) for p in brief["points"])
    return Brief(brief["headline"], points)
