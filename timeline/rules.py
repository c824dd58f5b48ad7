"""The rules a schema cannot express. Each rule yields every problem it finds.

Rules run after the schema and leave alone any value the schema already
reported, so one mistake is reported once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import markup
from .dates import DateError, PartialDate
from .loader import Document, Path, refused_character
from .problems import WARNING, Problem, shown
from .quotes import Miss
from .schema import did_you_mean, is_id
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
    declared = set()
    for i, _ in ctx.items("sources"):
        path = ("sources", i, "file")
        name = ctx.value(path)
        if not isinstance(name, str):
            continue
        declared.add(name)
        try:
            ctx.seeds.text(name)
        except SeedFileError as exc:
            hint = did_you_mean(name, ctx.seeds.names) if name not in ctx.seeds.names else ""
            yield ctx.at(path, f"{exc}{hint}")
            continue
        yield from _body_bounds(ctx, i, name)
    for name in sorted(ctx.seeds.names - declared):
        yield ctx.at_key(
            ("sources",),
            f"seeds/{name} is not declared by any source; add a source with file: {name}",
            WARNING,
        )


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


def _markdown_texts(ctx: Context) -> Iterator[tuple[Path, str, str]]:
    """(path, field, text) of every Markdown field that is text."""
    for kind, field in _MARKDOWN_FIELDS:
        for i, _ in ctx.items(kind):
            path = (kind, i, field)
            text = ctx.value(path)
            if isinstance(text, str):
                yield path, field, text


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


RULES: tuple[Rule, ...] = (
    unique_ids,
    dates,
    references,
    unused,
    source_files,
    quotes,
    links,
    referenced_characters,
    dropped_text,
)


def apply(ctx: Context) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(ctx)]
