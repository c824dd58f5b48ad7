"""The rules a schema cannot express. Each rule yields every problem it finds.

Rules run after the schema and leave alone any value the schema already
reported, so one mistake is reported once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import markup
from .dates import DateError, PartialDate
from .loader import Document, Path, refused_character
from .problems import WARNING, Problem, shown
from .quotes import Miss
from .schema import did_you_mean, is_id, seed_name_rule
from .seeds import SeedFileError, Seeds

_MARKDOWN_FIELDS = (("eras", "summary"), ("sources", "assessment"), ("events", "summary"))


@dataclass(frozen=True)
class Context:
    document: Document
    flagged: frozenset[Path]
    seeds: Seeds

    def ok(self, path: Path) -> bool:
        """Whether the schema found nothing wrong at `path` or above it."""
        return not any(path[:i] in self.flagged for i in range(len(path) + 1))

    def items(self, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """The well-formed mappings of the list `kind` (eras, sources, events)."""
        items = self.document.data.get(kind)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    yield i, item

    def value(self, path: Path) -> Any:
        """The value at `path` when it exists and the schema found it well-formed, else None."""
        node: Any = self.document.data
        for step in path:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return None
        return node if self.ok(path) else None

    def ids(self, kind: str) -> set[str] | None:
        """The well-formed ids declared under `kind`; None when the schema found `kind` itself
        malformed (eras: given as text, say), so references to it are not all reported again.

        A malformed id is reported where it is declared; offering it as "did you mean"
        to a reference would spread a look-alike letter the editor cannot see.
        """
        if not self.ok((kind,)):
            return None
        if kind in ("topics", "actors"):
            vocabulary = self.document.data.get(kind)
            declared = list(vocabulary) if isinstance(vocabulary, dict) else []
        else:
            declared = [item.get("id") for _, item in self.items(kind)]
        return {value for value in declared if is_id(value)}

    def at(self, path: Path, message: str, severity: str = "error", details: tuple[str, ...] = ()) -> Problem:
        line, column = self.document.where(path)
        return Problem(line, column, message, severity, details)

    def at_key(self, path: Path, message: str, severity: str = "error") -> Problem:
        line, column = self.document.where_key(path)
        return Problem(line, column, message, severity)


Rule = Callable[[Context], Iterator[Problem]]


def unique_ids(ctx: Context) -> Iterator[Problem]:
    for kind, noun in (("eras", "era"), ("sources", "source"), ("events", "event")):
        first: dict[str, int] = {}
        for i, _ in ctx.items(kind):
            path = (kind, i, "id")
            value = ctx.value(path)
            if not isinstance(value, str):
                continue
            if value in first:
                yield ctx.at(
                    path,
                    f"duplicate {noun} id '{shown(value)}' (first used at line {first[value]}); "
                    "ids must be unique",
                )
            else:
                first[value] = ctx.document.where(path)[0]


def _date(ctx: Context, path: Path) -> Iterator[PartialDate | Problem]:
    value = ctx.value(path)
    if value is None:
        return
    try:
        yield PartialDate.parse(value)
    except DateError as exc:
        yield ctx.at(path, f"{path[-1]} '{shown(value)}' {exc}")


def dates(ctx: Context) -> Iterator[Problem]:
    for i, _ in ctx.items("sources"):
        yield from (p for p in _date(ctx, ("sources", i, "published")) if isinstance(p, Problem))
    for i, _ in ctx.items("events"):
        start = end = None
        for p in _date(ctx, ("events", i, "date")):
            start = p if isinstance(p, PartialDate) else None
            if isinstance(p, Problem):
                yield p
        for p in _date(ctx, ("events", i, "end")):
            end = p if isinstance(p, PartialDate) else None
            if isinstance(p, Problem):
                yield p
        if start and end and end.last_day < start.first_day:
            yield ctx.at(
                ("events", i, "end"),
                f"end {end.iso} is before date {start.iso}; swap them or correct one",
            )


def references(ctx: Context) -> Iterator[Problem]:
    eras, topics, actors, sources = (ctx.ids(k) for k in ("eras", "topics", "actors", "sources"))
    for i, _ in ctx.items("events"):
        era = ctx.value(("events", i, "era"))
        if isinstance(era, str) and eras is not None and era not in eras:
            yield ctx.at(("events", i, "era"), f"unknown era '{shown(era)}'{did_you_mean(era, eras)}")
        for field, declared, noun in (("topics", topics, "topic"), ("actors", actors, "actor")):
            values = ctx.value(("events", i, field))
            if declared is None or not isinstance(values, list):
                continue
            for j, value in enumerate(values):
                if isinstance(value, str) and ctx.ok(("events", i, field, j)) and value not in declared:
                    hint = did_you_mean(value, declared) or f"; declare it under '{field}' first"
                    yield ctx.at(("events", i, field, j), f"unknown {noun} '{shown(value)}'{hint}")
        for j, source in _citation_values(ctx, i, "source"):
            if sources is not None and source not in sources:
                yield ctx.at(
                    ("events", i, "citations", j, "source"),
                    f"unknown source '{shown(source)}'{did_you_mean(source, sources)}",
                )


def _citation_values(ctx: Context, i: int, key: str) -> Iterator[tuple[int, Any]]:
    citations = ctx.value(("events", i, "citations"))
    for j, citation in enumerate(citations if isinstance(citations, list) else ()):
        value = ctx.value(("events", i, "citations", j, key)) if isinstance(citation, dict) else None
        if isinstance(value, str):
            yield j, value


def unused(ctx: Context) -> Iterator[Problem]:
    used: dict[str, set[str]] = {"eras": set(), "topics": set(), "actors": set(), "sources": set()}
    for i, event in ctx.items("events"):
        if isinstance(event.get("era"), str):
            used["eras"].add(event["era"])
        for field in ("topics", "actors"):
            if isinstance(event.get(field), list):
                used[field].update(v for v in event[field] if isinstance(v, str))
        used["sources"].update(source for _, source in _citation_values(ctx, i, "source"))
    for field, noun in (("topics", "topic"), ("actors", "actor")):
        vocabulary = ctx.document.data.get(field)
        for key in sorted(vocabulary) if isinstance(vocabulary, dict) else ():
            if key not in used[field] and ctx.ok((field, key)):
                yield ctx.at_key((field, key), f"{noun} '{shown(key)}' is not used by any event", WARNING)
    for kind, noun, what in (("eras", "era", "is in it"), ("sources", "source", "cites it")):
        for i, _item in ctx.items(kind):
            value = ctx.value((kind, i, "id"))
            if isinstance(value, str) and value not in used[kind]:
                message = f"{noun} '{shown(value)}' is declared but no event {what}"
                yield ctx.at((kind, i, "id"), message, WARNING)


def source_files(ctx: Context) -> Iterator[Problem]:
    # A file a source names is declared even when the schema refused its name: that problem is
    # reported where it is named, and "add a source with file: report.html" would contradict it.
    declared = {item["file"] for _, item in ctx.items("sources") if isinstance(item.get("file"), str)}
    for i, _ in ctx.items("sources"):
        path = ("sources", i, "file")
        name = ctx.value(path)
        if not isinstance(name, str):
            continue
        try:
            ctx.seeds.text(name)
        except SeedFileError as exc:
            hint = did_you_mean(name, ctx.seeds.names) if name not in ctx.seeds.names else ""
            yield ctx.at(path, f"{exc}{hint}")
            continue
        yield from _body_bounds(ctx, i, name)
    for name in sorted(ctx.seeds.names - declared):
        rule = seed_name_rule(name)
        advice = f"its name {rule}" if rule else f"add a source with file: {name}"
        yield ctx.at_key(("sources",), f"seeds/{name} is not declared by any source; {advice}", WARNING)


def _body_bounds(ctx: Context, i: int, name: str) -> Iterator[Problem]:
    text = ctx.seeds.text(name)
    start = -1
    for key in ("first", "last"):
        path = ("sources", i, "body", key)
        bound = ctx.value(path)
        if not isinstance(bound, str):
            continue
        span = text.locate(bound)
        found = span[0] if span else -1
        if found < 0:
            closest = text.closest(shown(bound, 200))
            yield ctx.at(
                path,
                f"body.{key} '{shown(bound)}' is not in seeds/{name}",
                details=(f'closest passage: "{closest}"',) if closest else (),
            )
        elif key == "last" and found < start:
            yield ctx.at(path, f"body.last occurs before body.first in seeds/{name}; swap them")
        start = max(start, found)


def quotes(ctx: Context) -> Iterator[Problem]:
    files = {}
    for i, _ in ctx.items("sources"):
        source_id, name = ctx.value(("sources", i, "id")), ctx.value(("sources", i, "file"))
        if isinstance(source_id, str) and isinstance(name, str) and source_id not in files:
            files[source_id] = name
    for i, _ in ctx.items("events"):
        citations = dict(_citation_values(ctx, i, "source"))
        for j, quote in _citation_values(ctx, i, "quote"):
            source = citations.get(j)
            if source not in files:
                continue  # an unknown or missing source is reported by another rule
            try:
                text = ctx.seeds.text(files[source])
            except SeedFileError:
                continue  # reported once, at the source's file
            result = text.find(quote, name=f"source '{shown(source)}'")
            if isinstance(result, Miss):
                details = (f'closest passage: "{result.closest}"',) if result.closest else ()
                yield ctx.at(("events", i, "citations", j, "quote"), result.message, details=details)


def _converts(text: str) -> str | None:
    """Why the text cannot become a page (None when it can): every Markdown field is converted
    here, so that what the check accepts the build renders."""
    try:
        markup.render(text)
    except markup.TooDeep:
        depth, line = markup.nesting(text)
        return f"{depth} levels at its line {line}; at most {markup.MAX_NESTING}"
    except RecursionError:  # the bound is generous; should Markdown still recurse too deep
        return "Markdown recursed too deep converting it"
    return None


def _markdown_texts(ctx: Context) -> Iterator[tuple[Path, str, str]]:
    """(path, field, text) of every Markdown field that is text and converts to a page (the
    others are reported once, by `markdown_converts`)."""
    for path, field, text in _markdown_fields(ctx):
        if _converts(text) is None:
            yield path, field, text


def _markdown_fields(ctx: Context) -> Iterator[tuple[Path, str, str]]:
    for kind, field in _MARKDOWN_FIELDS:
        for i, _ in ctx.items(kind):
            path = (kind, i, field)
            text = ctx.value(path)
            if isinstance(text, str):
                yield path, field, text


def markdown_converts(ctx: Context) -> Iterator[Problem]:
    for path, field, text in _markdown_fields(ctx):
        why = _converts(text)
        if why:
            yield ctx.at(path, f"{field} nests lists or quotes too deeply to show ({why}); flatten it")


def links(ctx: Context) -> Iterator[Problem]:
    for path, field, text in _markdown_texts(ctx):
        for address in markup.links(text):
            if not markup.is_allowed_link(address):
                yield ctx.at(
                    path,
                    f"link '{shown(address)}' in {field} is not allowed; "
                    "use an http, https or mailto address, or a relative link",
                )


def referenced_characters(ctx: Context) -> Iterator[Problem]:
    """The loader refuses a character no text may hold; Markdown can still write one as a
    character reference ("&#x202e;", "&#11;"), which the page and the feed then hold as the
    character itself. The HTML that reaches the page obeys the same rule."""
    for path, field, text in _markdown_texts(ctx):
        refused = refused_character(str(markup.render(text))) if "&" in text else None
        if refused:
            name, why = refused
            yield ctx.at(path, f"{field} writes {name} as a character reference (&#…;), {why}")


def dropped_text(ctx: Context) -> Iterator[Problem]:
    """Words an editor wrote that would not reach the page: journalism never loses words quietly."""
    for path, field, text in _markdown_texts(ctx):
        dropped = markup.dropped_words(text)
        if dropped:
            yield ctx.at(
                path,
                f"'{shown(' '.join(dropped))}' in {field} would not show on the page: text inside "
                "<script> or <style> is removed (an unclosed one removes the rest); write it as "
                "plain text, or in `backticks` to show the tag",
                WARNING,
            )


def record_dates(ctx: Context) -> Iterator[Problem]:
    """The days of corrections, withdrawals and url checks are real days; history runs oldest first."""
    for i, _ in ctx.items("sources"):
        yield from (p for p in _date(ctx, ("sources", i, "accessed")) if isinstance(p, Problem))
    for i, _ in ctx.items("withdrawn"):
        yield from (p for p in _date(ctx, ("withdrawn", i, "date")) if isinstance(p, Problem))
    for i, _ in ctx.items("events"):
        history = ctx.value(("events", i, "history"))
        previous: PartialDate | None = None
        for k in range(len(history) if isinstance(history, list) else 0):
            for p in _date(ctx, ("events", i, "history", k, "date")):
                if isinstance(p, Problem):
                    yield p
                    continue
                if previous is not None and p.first_day < previous.first_day:
                    yield ctx.at(
                        ("events", i, "history", k, "date"),
                        f"history entry of {p.iso} comes after one of {previous.iso}; "
                        "keep the history oldest first and add new entries at the end",
                    )
                previous = p


def _event_dates(ctx: Context) -> dict[str, tuple[int, PartialDate, PartialDate | None]]:
    """Well-formed events by id: their index, date and end (when they parse)."""
    found: dict[str, tuple[int, PartialDate, PartialDate | None]] = {}
    for i, _ in ctx.items("events"):
        event_id = ctx.value(("events", i, "id"))
        dated = [p for p in _date(ctx, ("events", i, "date")) if isinstance(p, PartialDate)]
        ended = [p for p in _date(ctx, ("events", i, "end")) if isinstance(p, PartialDate)]
        if isinstance(event_id, str) and dated and event_id not in found:
            found[event_id] = (i, dated[0], ended[0] if ended else None)
    return found


def _told_beside(event: dict[str, Any]) -> tuple[object, bool]:
    """Events are read in order only beside others of their era and kind (background or not)."""
    return event.get("era"), bool(event.get("background"))


def reading_order(ctx: Context) -> Iterator[Problem]:
    """`sort_after` names an event of the same era and kind whose date lies within this one's:
    it refines the order a coarse date leaves open, it never contradicts the date."""
    events = _event_dates(ctx)
    for i, event in ctx.items("events"):
        path = ("events", i, "sort_after")
        target = ctx.value(path)
        own_id = ctx.value(("events", i, "id"))
        if not isinstance(target, str) or not isinstance(own_id, str) or own_id not in events:
            continue
        if target == own_id:
            yield ctx.at(path, "sort_after names the event itself; name the event it is read after")
            continue
        if target not in events:
            hint = did_you_mean(target, set(events) - {own_id})
            yield ctx.at(path, f"sort_after names unknown event '{shown(target)}'{hint}")
            continue
        _, date, end = events[own_id]
        j, target_date, _ = events[target]
        other = ctx.document.data["events"][j]
        if date.precision == "day":
            yield ctx.at(
                path,
                f"sort_after is for events dated to a month or a year; this one is dated to the day "
                f"({date.iso}) and sorts by it; remove sort_after",
            )
        elif not (date.first_day <= target_date.first_day <= (end or date).last_day):
            yield ctx.at(
                path,
                f"sort_after names '{shown(target)}' of {target_date.iso}, outside this event's date "
                f"({date.iso}); it may only order events within the same month or year",
            )
        elif _told_beside(other) != _told_beside(event):
            yield ctx.at(
                path,
                f"sort_after names '{shown(target)}', which is told in another era or is background "
                "where this event is not (or the reverse); name an event told beside this one",
            )
        else:
            seen, step = {own_id}, target
            while isinstance(step, str) and step in events and step not in seen:
                seen.add(step)
                step = ctx.document.data["events"][events[step][0]].get("sort_after")
            if step in seen:
                yield ctx.at(path, f"sort_after makes a loop through '{shown(target)}'; break it")


def withdrawals(ctx: Context) -> Iterator[Problem]:
    """A withdrawn id is not also a live event, is recorded once, and points at live replacements."""
    live = ctx.ids("events") or set()
    first: dict[str, int] = {}
    for i, _ in ctx.items("withdrawn"):
        path = ("withdrawn", i, "id")
        withdrawn_id = ctx.value(path)
        if not isinstance(withdrawn_id, str):
            continue
        if withdrawn_id in live:
            yield ctx.at(
                path,
                f"event '{shown(withdrawn_id)}' is listed as withdrawn but is still under events; "
                "remove one of the two",
            )
        if withdrawn_id in first:
            line = first[withdrawn_id]
            yield ctx.at(path, f"'{shown(withdrawn_id)}' is withdrawn twice (first at line {line})")
        first.setdefault(withdrawn_id, ctx.document.where(path)[0])
        replacements = ctx.value(("withdrawn", i, "replaced_by"))
        for k, replacement in enumerate(replacements if isinstance(replacements, list) else ()):
            if isinstance(replacement, str) and replacement not in live:
                yield ctx.at(
                    ("withdrawn", i, "replaced_by", k),
                    f"replaced_by names unknown event '{shown(replacement)}'"
                    + did_you_mean(replacement, live),
                )


_NUMBER = re.compile(r"(?<![A-Za-z\d])\d+(?:[.,]\d+)*")


def _figures(text: str) -> Iterator[str]:
    """The numbers a sentence states: "$60", "9%" and "1,000" give 60, 9 and 1,000."""
    for match in _NUMBER.finditer(text):
        yield match.group().rstrip(".,")


def _states(quotes: str, figure: str) -> bool:
    return re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d]|[.,]\d)", quotes) is not None


def brief(ctx: Context) -> Iterator[Problem]:
    """The In brief links only to confirmed, live events, and states no figure their quotes do not.

    The check cannot judge a sentence, but it can hold every number in it to the evidence: a
    figure must appear in a quote of the events the point cites, a year in their dates."""
    events = {e.get("id"): e for _, e in ctx.items("events") if isinstance(e.get("id"), str)}
    withdrawn = {w.get("id") for _, w in ctx.items("withdrawn")}
    points = ctx.value(("brief", "points"))
    for i in range(len(points) if isinstance(points, list) else 0):
        cited = ctx.value(("brief", "points", i, "events"))
        found = []
        for j, event_id in enumerate(cited if isinstance(cited, list) else ()):
            path = ("brief", "points", i, "events", j)
            if not isinstance(event_id, str) or not ctx.ok(path):
                continue
            event = events.get(event_id)
            if event is None:
                if event_id in withdrawn:
                    why = " (it was withdrawn; cite what replaces it)"
                else:
                    why = " (no event has this id)" + did_you_mean(event_id, events)
                yield ctx.at(path, f"the In brief cites unknown event '{shown(event_id)}'{why}")
            elif event.get("status") == "unconfirmed":
                yield ctx.at(
                    path,
                    f"the In brief cites '{shown(event_id)}', which is unconfirmed; "
                    "the In brief states facts, so cite confirmed events only",
                )
            else:
                found.append(event)
        text = ctx.value(("brief", "points", i, "text"))
        if not found or not isinstance(text, str):
            continue
        quotes = " ".join(
            str(c.get("quote", "")) for e in found for c in e.get("citations") or () if isinstance(c, dict)
        )
        years = set()
        for e in found:
            for key in ("date", "end"):
                if isinstance(e.get(key), (str, int)):
                    years.add(str(e[key])[:4])
        for figure in dict.fromkeys(_figures(text)):
            if _states(quotes, figure) or figure in years:
                continue
            yield ctx.at(
                ("brief", "points", i, "text"),
                f"the In brief states '{figure}', which no quote of the events it cites contains"
                + (" and which is not one of their years" if len(figure) == 4 else "")
                + "; cite the event that supports it, or correct the figure",
            )


def source_names(ctx: Context) -> Iterator[Problem]:
    """Readers see a source by its short name; an unnamed publisher ("[in brackets]") cannot be one."""
    for i, source in ctx.items("sources"):
        publisher = ctx.value(("sources", i, "publisher"))
        if (
            isinstance(publisher, str)
            and publisher.startswith("[")
            and publisher.endswith("]")
            and "short_name" not in source
        ):
            yield ctx.at_key(
                ("sources", i, "publisher"),
                f"source '{shown(str(source.get('id')))}' names no publisher, so it needs a short_name: "
                "the few words readers see on cards and in citations, such as 'Unsigned WSJ rewrite'",
            )


RULES: tuple[Rule, ...] = (
    unique_ids, dates, references, unused, source_files, quotes, markdown_converts, links,
    referenced_characters,
    dropped_text,
    record_dates, reading_order, withdrawals, brief, source_names,
)  # fmt: skip


def apply(ctx: Context) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(ctx)]
