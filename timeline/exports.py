"""The data for re-use: events.json, events.csv and TimelineJS's timeline.json.

All three come from the same model as the pages, in chronological order.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from typing import Any

from markupsafe import escape

from . import markup
from .dates import PartialDate, display_range
from .model import Event, OutsideFact
from .provenance import text_fragment
from .site import SiteData

# Bump when a field of events.json changes meaning or disappears (adding one is compatible).
SCHEMA_VERSION = 1

# What re-users may do with what this site writes; the about page says the same. The archived
# documents are not ours to license.
LICENCE = {
    "name": "CC BY 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "applies_to": "The text this site writes: titles, summaries, notes and assessments, and the data.",
    "excludes": "The archived source documents and the words quoted from them remain their publishers'; "
    "they are kept for verification.",
}


def dump(document: dict[str, Any]) -> str:
    """JSON with one line per top-level key and per record of a top-level list.

    Readable, and a change to one event is a one-line diff. Compact records also let the C
    encoder do the work: `indent` would force Python's own, 3x slower at 10,000 events.
    """

    def value(item: Any) -> str:
        if isinstance(item, list) and item:
            return "[\n    " + ",\n    ".join(compact(record) for record in item) + "\n  ]"
        return compact(item)

    def compact(item: Any) -> str:
        return json.dumps(item, ensure_ascii=False)

    return "{\n" + ",\n".join(f"  {compact(key)}: {value(item)}" for key, item in document.items()) + "\n}\n"


def _date(date: PartialDate | None) -> dict[str, Any] | None:
    if date is None:
        return None
    return {"iso": date.iso, "precision": date.precision, "display": date.display}


def _event_url(event: Event) -> str:
    return f"events/{event.id}/"


def _outside_facts(facts: tuple[OutsideFact, ...]) -> list[dict[str, Any]]:
    return [{"fact": f.fact, "record": f.record, "url": f.url} for f in facts]


def _history(event: Event) -> list[dict[str, Any]]:
    return [{"date": h.date.iso, "kind": h.kind, "note": h.note} for h in event.history]


def event_record(data: SiteData, event: Event) -> dict[str, Any]:
    era = data.eras[event.era]
    return {
        "id": event.id,
        "url": _event_url(event),
        "date": _date(event.date),
        "end": _date(event.end),
        "display_date": display_range(event.date, event.end) + _after(data, event),
        "date_note": event.date_note,
        "era": {"id": era.id, "title": era.title},
        "background": event.background,
        "status": event.status,
        "status_note": event.status_note,
        "title": event.title,
        "key": event.key,
        "summary": event.summary,
        "summary_html": str(markup.render(event.summary)),
        "topics": [{"id": key, "label": data.topics[key].label} for key in event.topics],
        "actors": [{"id": key, "label": data.actors[key].label} for key in event.actors],
        "citations": [
            {
                "source": {
                    "id": source.id,
                    "name": source.name,
                    "title": source.title,
                    "publisher": source.publisher,
                    "published": source.published.iso,
                    "reliability": source.reliability,
                },
                "quote": citation.quote,
                "note": citation.note,
                "url": f"sources/{source.id}/#q-{event.id}-{number}",
                "original_url": text_fragment(source.url, citation.quote) if source.url else None,
            }
            for number, citation in enumerate(event.citations, start=1)
            for source in (data.sources[citation.source],)
        ],
        "sort_after": event.sort_after,
        "outside_facts": _outside_facts(event.outside_facts),
        "history": _history(event),
        "last_updated": event.last_updated.iso if event.last_updated else None,
    }


def events_json(data: SiteData) -> str:
    timeline = data.timeline
    document = {
        "schema_version": SCHEMA_VERSION,
        "site": {
            "title": timeline.site.title,
            "description": timeline.site.description,
            "base_url": timeline.site.base_url,
            "repository": timeline.site.repository,
        },
        "licence": LICENCE,
        "eras": [{"id": era.id, "title": era.title, "summary": era.summary} for era in timeline.eras],
        "topics": [{"id": t.id, "label": t.label} for t in timeline.topics],
        "actors": [{"id": a.id, "label": a.label} for a in timeline.actors],
        "sources": [
            {
                "id": s.id,
                "url": f"sources/{s.id}/",
                "file": f"sources/{s.id}/{s.archived_name}",
                "sha256": data.seeds.sha256(s.file),
                "name": s.name,
                "title": s.title,
                "publisher": s.publisher,
                "published": _date(s.published),
                "original_url": s.url,
                "url_note": s.url_note,
                "accessed": s.accessed.iso if s.accessed else None,
                "archive_url": s.archive_url,
                "reliability": s.reliability,
                "assessment": s.assessment,
                "outside_facts": _outside_facts(s.outside_facts),
            }
            for s in timeline.sources
        ],
        "events": [event_record(data, event) for event in data.chronological],
        "withdrawn": [
            {
                "id": w.id,
                "url": f"events/{w.id}/",
                "title": w.title,
                "date": w.date.iso,
                "reason": w.reason,
                "replaced_by": list(w.replaced_by),
            }
            for w in timeline.withdrawn
        ],
    }
    return dump(document)


# A cell that starts like this is a formula to a spreadsheet ("=HYPERLINK(...)" would
# run when the file is opened): OWASP's advice on CSV injection, an apostrophe before
# it, which spreadsheets read as "this cell is text" and do not show.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """A cell's text as a spreadsheet should show it, never as a formula to run."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


CSV_COLUMNS = (
    "id", "date", "end", "display_date", "date_note", "era", "background", "status",
    "status_note", "title", "summary", "topics", "actors", "sources", "quotes", "url",
    "sort_after", "outside_facts", "history", "last_updated",
)  # fmt: skip


def _fact_text(fact: OutsideFact) -> str:
    return f"{fact.fact} (source: {fact.record}{', ' + fact.url if fact.url else ''})"


def events_csv(data: SiteData) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for event in data.chronological:
        cells = (
            event.id,
            event.date.iso,
            event.end.iso if event.end else "",
            display_range(event.date, event.end) + _after(data, event),
            event.date_note or "",
            event.era,
            "yes" if event.background else "no",
            event.status,
            event.status_note or "",
            event.title,
            event.summary,
            "; ".join(event.topics),
            "; ".join(event.actors),
            "; ".join(c.source for c in event.citations),
            " | ".join(c.quote for c in event.citations),
            _event_url(event),
            event.sort_after or "",
            " | ".join(_fact_text(f) for f in event.outside_facts),
            " | ".join(f"{h.date.iso} {h.kind}: {h.note}" for h in event.history),
            event.last_updated.iso if event.last_updated else "",
        )
        writer.writerow(spreadsheet_text(cell) for cell in cells)
    return buffer.getvalue()


def _timelinejs_date(date: PartialDate) -> dict[str, str]:
    """TimelineJS dates are split into parts, to the precision the event has."""
    parts = {"year": str(date.year)}
    if date.month is not None:
        parts["month"] = str(date.month)
    if date.day is not None:
        parts["day"] = str(date.day)
    return parts


def _timelinejs_plain(text: str) -> str:
    """A group or a date line: TimelineJS takes its text out of HTML, then inserts that text as
    HTML. Escaped twice, it reaches the reader as typed, never as markup."""
    return str(escape(str(escape(text))))


# TimelineJS 3.9 makes links of addresses in a slide's text when the slide's `autolink` is true
# (its default): after DOMPurify, on the HTML string, with href='...' built without escaping
# (core/Util.js linkify). "www.example.org'style=…'onanimationstart=…" in a summary would then
# run in any embed. Every slide says `autolink: false`; the text is also written so that
# linkify finds nothing to break out of, for a TimelineJS that ignores the flag:
# - no quote is left raw, in text or attribute, for versions before 3.7, which linkified our
#   string as it is (3.7+ decodes &#39; in DOMPurify first, so there only the rest helps);
# - "www." is written "www<wbr>.": linkify's only pattern that takes quotes ("www." then any
#   non-space) cannot start, and <wbr> shows nothing (DOMPurify keeps it).
# `html` below is escaped text or nh3's output: "<" and ">" only around tags, attribute values
# in double quotes. A character is in text when no ">" comes before the next "<" (or the end).
_IN_TEXT = r"(?=[^<>]*(?:<|\Z))"
_DOUBLE_QUOTE_IN_TEXT = re.compile('"' + _IN_TEXT)
_WWW_IN_TEXT = re.compile(r"(www)\." + _IN_TEXT, re.IGNORECASE)


def _timelinejs_html(html: str) -> str:
    """A headline or text for TimelineJS, which inserts it as HTML: see above. (Regular
    expressions, not a parser: this runs for every event, and a parser took 10 times longer.)"""
    html = str(html).replace("'", "&#39;")  # in a tag, only inside a value
    if '"' in html:
        html = _DOUBLE_QUOTE_IN_TEXT.sub("&#34;", html)
    return _WWW_IN_TEXT.sub(r"\1<wbr>.", html)


def _timelinejs_day(day: tuple[int, int, int]) -> dict[str, str]:
    year, month, day_of_month = day
    return {"year": str(year), "month": str(month), "day": str(day_of_month)}


def _one_day(day: date) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The span from `day` to the next (from the day before, for the last day there is)."""
    first, last = (day, day + timedelta(days=1)) if day < date.max else (day - timedelta(days=1), day)
    return (first.year, first.month, first.day), (last.year, last.month, last.day)


def _placed_at(data: SiteData, event: Event) -> PartialDate:
    """The date an event is read at: its own, or, with sort_after, that of the event it follows."""
    while event.sort_after:
        event = data.events_by_id[event.sort_after]
    return event.date


def _after(data: SiteData, event: Event) -> str:
    """' (after 15 October 2025)' for an event read after another, as the pages say it."""
    if not event.sort_after:
        return ""
    before = data.events_by_id[event.sort_after]
    return f" (after {display_range(before.date, before.end)})"


def _timelinejs_sources(data: SiteData, event: Event) -> str:
    """One line per source, whatever the number of its quotes: its name and date, then each
    quote the event takes from it."""
    quotes: dict[str, list[str]] = {}
    for citation in event.citations:
        quotes.setdefault(citation.source, []).append(citation.quote)
    lines = []
    for source_id, said in quotes.items():
        source = data.sources[source_id]
        quoted = " ".join(f"“{escape(quote)}”" for quote in said)
        lines.append(f"<p>Source: {escape(source.name)}, {escape(source.published.display)}: {quoted}</p>")
    return "".join(lines)


def _timelinejs_link(data: SiteData, event: Event) -> str:
    """A link back to the event's page, where each quote is shown in its source."""
    address = escape(data.timeline.site.base_url + _event_url(event))
    return f'<p><a href="{address}">This event on the site</a>, with each quote in its source.</p>'


def _before_the_chapters(data: SiteData) -> list[Event]:
    """Background events that end before the first chapter's own events begin."""
    starts = [span[0] for span in data.era_spans.values() if span is not None]
    if not starts:
        return []
    first = min(starts)
    return [e for e in data.chronological if e.background and (e.end or e.date).last_day < first]


def timeline_json(data: SiteData) -> str:
    timeline = data.timeline
    # TimelineJS 3.9 opens with its time axis centred on the earliest slide, half a screen of
    # earlier years to its left, over a quarter of the whole span: a background event of 1945
    # made the first view 1927-1963, with none of the story in sight. The background from
    # before the chapters is told on the title slide instead (each with a link to its page), so
    # the first view is the first chapter. (Where to start is an embed's option, start_at_slide,
    # not the data's.)
    before = _before_the_chapters(data)
    events = []
    for event in data.chronological:
        if event in before:
            continue
        text = str(markup.render(event.summary))
        if event.unconfirmed:
            text += f"<p><strong>Unconfirmed.</strong> {escape(event.status_note or '')}</p>"
        text += _timelinejs_sources(data, event)
        for entry in event.history:
            when = f"{entry.verb} on {entry.date.display}"
            text += f"<p><em>{escape(when)}:</em> {escape(entry.note)}</p>"
        text += _timelinejs_link(data, event)
        record: dict[str, Any] = {
            "unique_id": event.id,
            # TimelineJS orders slides by this date alone: an event read after another (sort_after)
            # is placed at that one's date, and its own date is what the slide shows.
            "start_date": _timelinejs_date(_placed_at(data, event)),
            # The slide's date line in our own words ("1–4 March 2014"): TimelineJS would
            # otherwise word a range itself, in another style.
            "display_date": _timelinejs_plain(display_range(event.date, event.end) + _after(data, event)),
            "text": {"headline": _timelinejs_html(escape(event.title)), "text": _timelinejs_html(text)},
            "group": _timelinejs_plain(data.eras[event.era].title),
            "autolink": False,
        }
        if event.end is not None:
            record["end_date"] = _timelinejs_date(event.end)
        events.append(record)
    eras = []
    for era in timeline.eras:
        span = data.era_spans[era.id]
        if span is None:
            continue
        start, end = span
        if end == start:
            # TimelineJS refuses the whole timeline over an era that ends where it starts; an era
            # of one day (all its events on that day) is drawn to the start of the next.
            start, end = _one_day(date(*start))
        eras.append(
            {
                "start_date": _timelinejs_day(start),
                "end_date": _timelinejs_day(end),
                "text": {"headline": _timelinejs_html(escape(era.title))},
            }
        )
    background = ""
    if before:
        items = "".join(
            f"<li>{escape(display_range(e.date, e.end))}: "
            f'<a href="{escape(timeline.site.base_url + _event_url(e))}">{escape(e.title)}</a></li>'
            for e in before
        )
        background = f"<p>Background, before the first chapter:</p><ul>{items}</ul>"
    document = {
        "title": {
            "text": {
                "headline": _timelinejs_html(escape(timeline.site.title)),
                "text": _timelinejs_html(f"<p>{escape(timeline.site.description)}</p>" + background),
            },
            "autolink": False,
        },
        "events": events,
        "eras": eras,
    }
    return dump(document)


def files(data: SiteData) -> dict[str, str]:
    return {
        "events.json": events_json(data),
        "events.csv": events_csv(data),
        "timeline.json": timeline_json(data),
    }
