"""Render stage: every page and file of the site, in memory, before anything is written."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing as mp
import os
import re
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from . import (
    assets,
    cards,
    cite,
    embed,
    exports,
    files,
    handbook,
    markup,
    overview,
    provenance,
    reading,
    sharing,
)
from .dates import PartialDate, display_range, year_span
from .model import Event, Source
from .schema import load_schema
from .site import SiteData

# Every page carries this policy; nothing the site serves needs more. Pagefind
# compiles WebAssembly: in its web worker, which this policy does not govern, or,
# when the worker fails, on the page itself, which needs 'wasm-unsafe-eval' (it
# allows compiling WebAssembly, not eval() or inline script).
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)
NAV = (
    ("index.html", "Timeline"),
    ("sources/index.html", "Sources"),
    ("topics/index.html", "Topics"),
    ("about/index.html", "About"),
    ("methodology/index.html", "Methodology"),
)
PROSE_PAGES = ("about", "methodology", "contribute")


class DuplicatePath(Exception):
    """Two pages claim one path: a bug in templates or data, never silently resolved."""


@dataclass(frozen=True)
class Project:
    """Where the inputs are."""

    data: Path
    seeds: Path
    templates: Path
    site_src: Path
    base_url: str | None = None  # overrides site.base_url (where the site is published)
    repository: str | None = None  # overrides site.repository (where readers report problems)


_libc = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None


class Pages:
    """The site in memory: path → bytes, refusing a second page at a path."""

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}

    def add(self, path: str, content: str | bytes) -> None:
        if path in self._files:
            raise DuplicatePath(f"two pages claim the path '{path}'")
        self._files[path] = content.encode("utf-8") if isinstance(content, str) else content

    def items(self) -> Iterator[tuple[str, bytes]]:
        return iter(sorted(self._files.items()))

    def release(self) -> None:
        """Forget every page, once written, and give their memory back to the system: Pagefind,
        which comes next, needs as much. Python frees the pages, but the C library keeps freed
        memory for later unless asked (malloc_trim, where the system has it)."""
        self._files.clear()
        gc.collect()
        if _libc is not None and hasattr(_libc, "malloc_trim"):
            _libc.malloc_trim(0)

    def __len__(self) -> int:
        return len(self._files)


@cache  # the preview re-renders on every save: templates compile once, and again only when edited
def environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(enabled_extensions=("html", "xml", "svg"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,  # a cached template is checked against its file's mtime before each use
    )
    env.filters["markdown"] = markup.render
    env.globals["date_range"] = display_range
    env.globals["short_span"] = lambda events: year_span(
        [e.date for e in events] + [e.end for e in events if e.end]
    )
    env.globals["text_fragment"] = provenance.text_fragment
    env.globals["report_problem_url"] = provenance.report_problem_url
    env.globals["issue_form_url"] = provenance.issue_form_url
    env.globals["embed_code"] = embed.code
    env.globals["card_quote"] = embed.card_quote
    env.globals["embed_size"] = (embed.WIDTH, embed.HEIGHT)
    return env


def root_of(path: str) -> str:
    """The relative way back to the site root from the page at `path`."""
    return "../" * path.count("/")


def address_problem(address: str, setting: str = "base_url") -> str | None:
    """What is wrong with `address` as the site's `setting` (base_url or repository), or None: the
    schema's own rule, for an address given elsewhere than in events.yaml (`build --base-url`,
    `--repository`)."""
    rule = load_schema()["properties"]["site"]["properties"][setting]
    return None if re.search(rule["pattern"], address) else f"{setting} {rule['patternErrorMessage']}"


def site_path(base_url: str) -> str:
    """The path of the site's address, where 404.html's links start (the host serves it at any
    depth). A path a browser reads as starting with '//' would send those links to another host:
    the check refuses such an address; this refuses it again where the links are made."""
    path = urlsplit(base_url).path
    # As a browser reads it: tabs and line breaks dropped, a backslash taken for a slash.
    read = re.sub(r"[\t\n\r]", "", path).replace("\\", "/")
    if not read.startswith("/") or read.startswith("//"):
        raise ValueError(f"base_url {base_url!r} has a path a browser would not read as this site's")
    return path


def updated_stamp(data: SiteData, events: Sequence[Event] | None = None) -> str:
    """A feed's 'updated': SOURCE_DATE_EPOCH when set, else the latest date of its events (all
    the data's by default)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _atom_day(latest_day(data.timeline.events if events is None else events))


def latest_day(events: Sequence[Event]) -> tuple[int, int, int]:
    """The latest day of the events: an end, a date, or a correction (it updates a feed too)."""
    days = [(e.end or e.date).last_day for e in events]
    days += [entry.date.first_day for e in events for entry in e.history]
    return max(days)


def atom_date(date: PartialDate) -> str:
    return _atom_day(date.first_day)


def _atom_day(day: tuple[int, int, int]) -> str:
    year, month, day_of_month = day
    return f"{year:04d}-{month:02d}-{day_of_month:02d}T00:00:00Z"


def correction_entries(data: SiteData) -> list[dict[str, str]]:
    """The corrections feed's entries: every history entry and every withdrawal, newest first."""
    base = data.timeline.site.base_url
    entries = [
        (
            entry.date.first_day,
            {
                "title": f"{entry.verb}: {event.title}",
                "id": f"{base}events/{event.id}/#history-{number}",
                "link": f"{base}events/{event.id}/#history-{number}",
                "updated": atom_date(entry.date),
                "kind": entry.kind,
                "text": entry.note,
            },
        )
        for event, number, entry in data.corrections
    ]
    entries += [
        (
            withdrawal.date.first_day,
            {
                "title": f"Withdrawn: {withdrawal.title}",
                "id": f"{base}events/{withdrawal.id}/#withdrawn",
                "link": f"{base}events/{withdrawal.id}/",
                "updated": atom_date(withdrawal.date),
                "kind": "withdrawal",
                "text": withdrawal.reason,
            },
        )
        for withdrawal in data.timeline.withdrawn
    ]
    # Stable: corrections keep their order among themselves, withdrawals follow those of their day.
    entries.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in entries]


def corrections_updated(data: SiteData) -> str:
    """The corrections feed's 'updated': SOURCE_DATE_EPOCH when set, else its newest entry's day
    (the site's own date when nothing was ever corrected)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    days = [entry.date.first_day for _, _, entry in data.corrections]
    days += [withdrawal.date.first_day for withdrawal in data.timeline.withdrawn]
    if (epoch and epoch.isdigit()) or not days:
        return updated_stamp(data)
    return _atom_day(max(days))


def feed_of(data: SiteData, folder: str, title: str, events: Sequence[Event]) -> dict[str, object]:
    """What the Atom template needs for the feed of `events` at `folder`feed.xml, whose page is
    `folder` (the site's root for the site's feed)."""
    return {
        "title": title,
        "folder": folder,
        "events": list(reversed(events)),
        "updated": updated_stamp(data, None if not folder else events),
        "atom_date": atom_date,
        "entry_html": lambda event: entry_html(data, event),
    }


def entry_html(data: SiteData, event: Event) -> str:
    """The feed entry's content: HTML as text, which the feed template escapes."""
    parts = [str(markup.render(event.summary))]
    if event.unconfirmed:
        parts.append(f"<p><strong>Unconfirmed:</strong> {escape(event.status_note or '')}</p>")
    for citation in event.citations:
        source = data.sources[citation.source]
        parts.append(
            f"<blockquote><p>{escape(citation.quote)}</p></blockquote>"
            f"<p>— {escape(source.title)}, {escape(source.publisher)}, {escape(source.published.display)}</p>"
        )
    return "".join(parts)


@dataclass(frozen=True)
class Job:
    """One page to render: its path, its template and what the template needs beyond the site."""

    path: str
    template: str
    context: Callable[[], dict[str, object]]  # called where the page is rendered
    # Everything of the model the page shows: the preview re-renders the page only when this
    # changed (or the templates or site settings did). None: always re-rendered.
    inputs: Callable[[], tuple[object, ...]] | None = None


class Memo:
    """The preview's pages as last rendered, each with the inputs it was rendered from.

    A save usually changes a few pages out of thousands; the others are taken from here. Kept
    across saves by `build.py serve`; a build never uses one. tests/test_build.py checks that a
    preview after each kind of edit is byte-identical to a full build.
    """

    def __init__(self) -> None:
        self._common: object = None
        self._pages: dict[str, tuple[tuple[object, ...], bytes]] = {}
        self.rendered = 0  # pages rendered in the last pass; the rest were reused
        self.written: dict[str, bytes] | None = None  # every file last written to the preview's folder
        # The search records of the last pass, made when the re-index asks (search.records).
        self.search: Callable[[], Iterable[object]] | None = None
        self.cards = cards.Drawn()  # the link-preview cards, drawn once and kept by what they show

    def start(self, common: object) -> None:
        """A new pass; `common` is what every page shows (templates, site settings)."""
        if common != self._common:
            self._pages.clear()
            self._common = common
        self.rendered = 0

    def get(self, path: str, inputs: tuple[object, ...]) -> bytes | None:
        kept = self._pages.get(path)
        return kept[1] if kept is not None and kept[0] == inputs else None

    def keep(self, path: str, inputs: tuple[object, ...], content: bytes) -> None:
        self._pages[path] = (inputs, content)


# Below this many pages a second process costs more than it saves (the real site has ~120).
PARALLEL_FROM = 600
# Chunks the pages are dealt in: small enough that the two processes finish close together.
_CHUNKS = 32
# What a forked worker renders: set in the parent just before the fork, inherited, never pickled.
_inherited: tuple[Environment, SiteData, list[Job]] | None = None


def render_job(env: Environment, data: SiteData, job: Job) -> bytes:
    site = data.timeline.site
    context = job.context()
    # `current` marks the page's own entry in the site navigation (aria-current), if it has one;
    # `share` is what the page's <head> tells link previews and search engines (sharing.py).
    share = sharing.page(data, job.path, job.template, context)
    return (
        env.get_template(job.template)
        .render(
            site=site,
            data=data,
            root=root_of(job.path),
            csp=CSP,
            nav=NAV,
            current=job.path,
            share=share,
            **context,
        )
        .encode("utf-8")
    )


_STOPPING = {signal.SIGINT, signal.SIGTERM}


def _leave_signals() -> None:
    """In the worker: Ctrl-C and SIGTERM reach the whole process group, and are the parent's to
    handle (it ends the pool); a worker handling them too would print a traceback."""
    for stopping in _STOPPING:
        signal.signal(stopping, signal.SIG_IGN)


def _render_range(start: int, stop: int) -> list[bytes]:
    """In the worker: jobs[start:stop]."""
    assert _inherited is not None
    env, data, jobs = _inherited
    return [render_job(env, data, job) for job in jobs[start:stop]]


def render_jobs(
    env: Environment,
    data: SiteData,
    jobs: list[Job],
    memo: Memo | None = None,
    meanwhile: Callable[[], None] = lambda: None,
) -> Iterator[tuple[str, bytes]]:
    """Every job rendered, or taken from `memo` when its inputs are unchanged. `meanwhile` is
    other work for this process, done while a worker renders (or first, without one)."""
    if memo is None:
        yield from _render_all(env, data, jobs, meanwhile)
        return
    fresh: list[Job] = []
    inputs: dict[str, tuple[object, ...]] = {}
    for job in jobs:
        if job.inputs is not None:
            inputs[job.path] = job.inputs()
            kept = memo.get(job.path, inputs[job.path])
            if kept is not None:
                yield job.path, kept
                continue
        fresh.append(job)
    memo.rendered = len(fresh)
    for path, content in _render_all(env, data, fresh, meanwhile):
        if path in inputs:
            memo.keep(path, inputs[path], content)
        yield path, content


def _render_all(
    env: Environment, data: SiteData, jobs: list[Job], meanwhile: Callable[[], None]
) -> Iterator[tuple[str, bytes]]:
    """Every job rendered; with two cores or more and enough pages, shared with a forked process.

    The worker renders the jobs in chunks from the first; this process does `meanwhile`, then
    takes back the chunks the worker has not started, from the last, until the two meet. The
    output is the same either way: each page depends only on the model, never on the order.
    """
    global _inherited
    if len(jobs) < PARALLEL_FROM or (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods():
        meanwhile()
        for job in jobs:
            yield job.path, render_job(env, data, job)
        return
    data.prepare()  # computed once here, not once in each process
    _inherited = (env, data, jobs)
    size = -(-len(jobs) // _CHUNKS)
    bounds = [(start, min(start + size, len(jobs))) for start in range(0, len(jobs), size)]
    try:
        # Ctrl-C or SIGTERM while the pool forks its worker would leave the worker waiting for
        # work forever and this process waiting for it at exit: they wait until it is started.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
        try:
            pool = ProcessPoolExecutor(1, mp_context=mp.get_context("fork"), initializer=_leave_signals)
            theirs = [pool.submit(_render_range, *chunk) for chunk in bounds]
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        with pool:
            try:
                meanwhile()
                ours: dict[int, list[bytes]] = {}
                for index in reversed(range(1, len(bounds))):  # the first chunk is always the worker's
                    if not theirs[index].cancel():
                        break  # the worker has this one, and every one before it
                    ours[index] = [render_job(env, data, job) for job in jobs[slice(*bounds[index])]]
                rendered = [ours[i] if i in ours else theirs[i].result() for i in range(len(bounds))]
            except BaseException:
                pool.shutdown(cancel_futures=True)  # stop now, not after the chunks still queued
                raise
        contents = [content for chunk in rendered for content in chunk]
        yield from zip((job.path for job in jobs), contents, strict=True)
    finally:
        _inherited = None


def page_jobs(data: SiteData, project: Project) -> Iterator[Job]:
    """Every HTML page of the site map except 404.html, whose links are absolute."""
    timeline = data.timeline
    yield Job("index.html", "index.html", lambda: {"overview": overview.layout(data)})
    for event in data.ordered:
        yield Job(
            f"events/{event.id}/index.html",
            "event.html",
            lambda e=event: {"event": e, "cited": data.event_citation(e)},
            lambda e=event: (
                e,
                data.version,  # its citation names it
                data.eras[e.era],
                *(data.sources[c.source] for c in e.citations),
                *(data.topics[key] for key in e.topics),
                *(data.actors[key] for key in e.actors),
                data.neighbours[e.id],
                *data.related[e.id],
                data.events_by_id.get(e.sort_after or ""),
            ),
        )
    for event in data.ordered:
        yield Job(
            f"embed/events/{event.id}/index.html",
            "embed_event.html",
            lambda e=event: {"event": e, "source": data.sources[e.citations[0].source]},
            lambda e=event: (e, data.sources[e.citations[0].source]),
        )
    yield Job("embed/index.html", "embed_index.html", dict, lambda: tuple(data.chronological))
    for withdrawal in timeline.withdrawn:
        yield Job(
            f"events/{withdrawal.id}/index.html",
            "withdrawn.html",
            lambda w=withdrawal: {"withdrawal": w},
            lambda w=withdrawal: (w, *(data.events_by_id[key] for key in w.replaced_by)),
        )
    yield Job(
        "corrections/index.html",
        "corrections.html",
        dict,
        lambda: (*data.corrections, *timeline.withdrawn),
    )
    yield Job(
        "sources/index.html",
        "sources.html",
        lambda: {"sources": timeline.sources},
    )
    for source in timeline.sources:
        yield Job(
            f"sources/{source.id}/index.html",
            "source.html",
            lambda s=source: {**source_context(data, s), "cited": data.source_citation(s)},
            lambda s=source: (s, data.version, data.seeds.raw(s.file), *data.passages[s.id]),
        )
    yield Job("topics/index.html", "terms.html", dict)
    for kind, plural, terms, groups in (
        ("topic", "topics", timeline.topics, data.by_topic),
        ("actor", "actors", timeline.actors, data.by_actor),
    ):
        for term in terms:
            yield Job(
                f"{plural}/{term.id}/index.html",
                "term.html",
                lambda t=term, k=kind, g=groups: {
                    "term": t,
                    "kind": k,
                    "kind_plural": "topics and actors",
                    "events": g.get(t.id, []),
                },
                lambda t=term, g=groups: (t, *g.get(t.id, [])),
            )
    for name in PROSE_PAGES:
        title, body = prose(project.site_src / f"{name}.md", f"site_src/{name}.md", timeline.site.repository)
        yield Job(
            f"{name}/index.html",
            "page.html",
            lambda t=title, b=body: {"title": t, "body": b},
            lambda t=title, b=body: (t, b),
        )


def source_context(data: SiteData, source: Source) -> dict[str, object]:
    raw = data.seeds.raw(source.file)
    return {
        "source": source,
        "reading": reading.read(source, data.seeds.text(source.file), data.passages[source.id]),
        "sha256": data.seeds.sha256(source.file),
        "size": f"{len(raw):,}",
    }


def templates_version(templates: Path) -> tuple[tuple[str, int, int], ...]:
    """Every template's name, size and modification time: any edit changes it."""
    paths = sorted(path for path in templates.rglob("*") if path.is_file())
    return tuple((path.relative_to(templates).as_posix(), *_size_and_time(path)) for path in paths)


def _size_and_time(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def render(data: SiteData, project: Project, memo: Memo | None = None, previous: Path | None = None) -> Pages:
    """Every file of the site. `previous` is the site this build replaces, if build.py made it:
    its cards are reused where they show the same (cards.py)."""
    # The hand-written pages and assets are published: read from a real folder, never a link.
    files.real_folder(project.site_src, project.data.parent, "site_src")
    env = environment(project.templates)
    pages = Pages()
    site = data.timeline.site
    if data.version is None:  # what every citation names: found once per build
        data.version = cite.data_version(project.data, latest_day(data.timeline.events))
    if memo is not None:
        memo.start((site, templates_version(project.templates)))
    jobs = list(page_jobs(data, project))
    others: list[tuple[str, str | bytes]] = []  # made here while a worker renders pages
    for path, content in render_jobs(
        env, data, jobs, memo, lambda: others.extend(other_files(env, data, project, memo, previous))
    ):
        pages.add(path, content)
    for path, content in others:
        pages.add(path, content)
    addresses = [p.removesuffix("index.html") for p, _ in pages.items() if p.endswith("index.html")]
    pages.add("sitemap.xml", env.get_template("sitemap.xml").render(site=site, paths=addresses))
    pages.add("robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {site.base_url}sitemap.xml\n")
    return pages


def other_files(
    env: Environment, data: SiteData, project: Project, memo: Memo | None = None, previous: Path | None = None
) -> Iterator[tuple[str, str | bytes]]:
    """Everything but the HTML pages of the site map and the sitemap: the archived documents,
    404.html, the feed, the exports, the assets and the link-preview cards. Made while a worker
    renders the pages, when there is one: drawing the cards takes longest here."""
    site = data.timeline.site
    for source in data.timeline.sources:
        yield f"sources/{source.id}/{source.archived_name}", data.seeds.raw(source.file)
    root = site_path(site.base_url)
    share = sharing.page(data, "404.html", "404.html", {})
    yield (
        "404.html",
        env.get_template("404.html").render(
            site=site, data=data, root=root, csp=CSP, nav=NAV, current="", share=share
        ),
    )
    feed = env.get_template("feed.xml")
    yield "feed.xml", feed.render(site=site, data=data, **feed_of(data, "", site.title, data.chronological))
    # One feed per topic and per actor, from the same template: the term's events, newest first.
    for plural, terms, groups in (
        ("topics", data.timeline.topics, data.by_topic),
        ("actors", data.timeline.actors, data.by_actor),
    ):
        for term in terms:
            events = groups.get(term.id, [])
            if events:  # a feed needs an 'updated': a term no event uses has none (check warns)
                title = f"{site.title}: {term.label}"
                yield (
                    f"{plural}/{term.id}/feed.xml",
                    feed.render(site=site, data=data, **feed_of(data, f"{plural}/{term.id}/", title, events)),
                )
    for event in data.ordered:
        work = cite.event_work(site, event, data.version)
        works = [work] + [cite.source_work(site, s, data.version) for s, _ in data.source_refs(event)]
        yield f"events/{event.id}/citation.bib", "\n".join(cite.bibtex(w) for w in works)
        yield f"events/{event.id}/citation.ris", "".join(cite.ris(w) for w in works)
        yield f"events/{event.id}/citation.json", cite.csl_json(works)
        yield f"embed/events/{event.id}/oembed.json", embed.oembed(site, event)
    yield (
        "corrections/feed.xml",
        env.get_template("corrections.xml").render(
            site=site, entries=correction_entries(data), updated=corrections_updated(data)
        ),
    )
    yield from exports.files(data).items()
    for name, content in assets.published(project.site_src / "assets", "site_src/assets"):
        yield f"assets/{name}", content
    drawn = memo.cards if memo is not None else None
    yield from cards.files(data.timeline.events, data.sources, site, drawn, previous).items()


def prose(path: Path, name: str, repository: str | None = None) -> tuple[str, object]:
    """A Markdown page of site_src/: its first heading is the title."""
    text = handbook.expand(files.read_text(path, name), repository)
    first = next((line for line in text.splitlines() if line.startswith("# ")), None)
    title = first[2:].strip() if first else path.stem.capitalize()
    try:
        return title, markup.render_page(text)
    except markup.TooDeep as exc:  # like a linked file: the operator's page, refused in one line
        raise files.Refused(f"{name} {exc}; flatten it") from None
