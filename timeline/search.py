"""Index stage: Pagefind's search index of the events and sources.

The build gives Pagefind one record per event and per source, made here from
the model (RECORDS below), through `pagefind --service`: Pagefind neither
reads nor parses the written HTML. The preview's background re-index does the
same with the saved data's records; given none, it reads the written pages
(PAGES), which mark their text `data-pagefind-body`.
The binary comes from the `pagefind_bin` wheel; on a platform without one the
build still succeeds, says so once, and the pages hide their search field.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import escape

from . import markup, reading
from .dates import display_range
from .model import Event, Source
from .site import SiteData
from .writer import remove, replace_folder, workspace

OUTPUT_SUBDIR = "pagefind"
# Only the site's own pages of events and sources: never a file archived beside them, whose
# words, and headline, are not the site's. (The list of sources carries no data-pagefind-body
# and was never indexed.)
PAGES = ("--glob", "{events,sources}/*/index.html")


class SearchIndexError(Exception):
    """Pagefind failed, or left an index that is not whole: the build fails and the previous
    site stays."""


def binary() -> Path | None:
    try:
        import pagefind_bin

        return pagefind_bin.get_executable()
    except (ImportError, FileNotFoundError):
        found = shutil.which("pagefind")
        return Path(found) if found else None


_UNAVAILABLE = "search: skipped — the Pagefind binary is not available here; the site works without search"


def _command(executable: Path, folder: Path, output: Path) -> list[str]:
    # Only event and source pages are indexed (PAGES); the glob also spares Pagefind the rest.
    return [str(executable), "--site", str(folder), "--output-path", str(output), *PAGES, "--silent"]


def _indexed(pages: int) -> str:
    return f"search: indexed {pages} pages"


def _failed(stdout: str, stderr: str) -> SearchIndexError:
    return SearchIndexError(f"Pagefind failed: {(stderr or stdout).strip()}")


# RECORDS: what the index holds of each page, made from the model: for each event and source a
# small page of its searchable text alone, which Pagefind parses in a fraction of the time the
# whole page takes (no navigation, no reading aids, no element with an id, each of which Pagefind
# would copy as an "anchor" the search never shows). Its markup is that of the page's own
# indexed part (templates/event.html, source.html): the same heading, so titles weigh as much in
# the ranking; the same meta keys (title, date), filters (type, era, topic, actor, year) and sort
# key (date), which assets/site.js and readers' searches rely on. An event is found by its own
# words only: its title, date, status, summary, topics and actors, the passages it quotes and
# its notes, outside facts and corrections; never by the title of a source it cites (that is the
# source's own record). A source is found by its title, assessment and outside facts, and by its
# text: the whole article while all sources together stay under FULL_TEXT_UP_TO bytes, else
# the passages the events quote from it. At 500 sources of a few thousand words (bench/, 10,000
# events) their whole texts cost Pagefind seconds and hundreds of MB more than the rest of the
# index (figures in the README).
FULL_TEXT_UP_TO = 2_000_000


@dataclass(frozen=True)
class Record:
    url: str  # as Pagefind gives it to the page: from the site's root, with a trailing slash
    html: str  # the page Pagefind reads: see RECORDS


def _page(kind: str, sort: str, date: str, title: str, body: Iterable[str]) -> str:
    return (
        '<!doctype html><html lang="en"><body><article data-pagefind-body '
        f'data-pagefind-filter="type:{kind}" data-pagefind-sort="date:{escape(sort)}" '
        f'data-pagefind-meta="date:{escape(date)}"><h1>{escape(title)}</h1>{"".join(body)}</article></body></html>'
    )


def _paragraph(text: str | None) -> str:
    return f"<p>{escape(text)}</p>" if text else ""


def event_record(data: SiteData, event: Event) -> Record:
    when = display_range(event.date, event.end)
    shown = when
    if event.sort_after:
        before = data.events_by_id[event.sort_after]
        shown = f"{when} (after {display_range(before.date, before.end)})"
    era = data.eras[event.era].title
    body = [
        f'<p data-pagefind-ignore="index"><span data-pagefind-filter="era">{escape(era)}</span></p>',
        f'<p data-pagefind-filter="year:{event.date.year}">{escape(shown)}</p>',
        _paragraph(f"Unconfirmed {event.status_note or ''}" if event.unconfirmed else None),
        f"<div>{markup.render(event.summary)}</div><ul>",
        *(f'<li data-pagefind-filter="topic">{escape(data.topics[key].label)}</li>' for key in event.topics),
        *(f'<li data-pagefind-filter="actor">{escape(data.actors[key].label)}</li>' for key in event.actors),
        "</ul>",
        *(_paragraph(c.quote) + _paragraph(c.note and f"Note: {c.note}") for c in event.citations),
        *(_paragraph(fact.fact) for fact in event.outside_facts),
        *(_paragraph(f"{entry.verb} on {entry.date.display}: {entry.note}") for entry in event.history),
    ]
    return Record(f"/events/{event.id}/", _page("Event", event.date.iso, when, event.title, body))


def source_record(data: SiteData, source: Source, full_text: bool) -> Record:
    if full_text:
        text = [_paragraph(reading.body_text(source, data.seeds.text(source.file)))]
    else:
        text = [
            _paragraph(quote) for quote in dict.fromkeys(p.citation.quote for p in data.passages[source.id])
        ]
    body = [
        f"<div>{markup.render(source.assessment)}</div>",
        *(_paragraph(fact.fact) for fact in source.outside_facts),
        *text,
    ]
    page = _page("Source", source.published.iso, source.published.display, source.title, body)
    return Record(f"/sources/{source.id}/", page)


def full_texts(data: SiteData) -> bool:
    """Whether sources are indexed with their whole text (see RECORDS)."""
    files = {source.file for source in data.timeline.sources}
    return sum(len(data.seeds.raw(name)) for name in files) <= FULL_TEXT_UP_TO


def records(data: SiteData) -> Iterator[Record]:
    """One record per event and per source page, in a fixed order (the index is deterministic)."""
    for event in data.ordered:
        yield event_record(data, event)
    whole = full_texts(data)
    for source in data.timeline.sources:
        yield source_record(data, source, whole)


class _Service:
    """`pagefind --service`: requests are base64 JSON ended by a comma on its standard input,
    answered the same way on its standard output. Requests are pipelined: a thread writes them
    all while this one reads the answers (the `pagefind` Python wrapper waits 0.1 s before
    reading each answer: 10,000 records would take 17 minutes)."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            [*command, "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._errors: list[bytes] = []
        self._buffer = b""
        self._next_id = 0
        self._reader = threading.Thread(target=self._drain_errors, daemon=True)
        self._reader.start()

    def _drain_errors(self) -> None:
        assert self.process.stderr is not None
        self._errors.append(self.process.stderr.read())

    def failure(self) -> SearchIndexError:
        self.process.wait()
        self._reader.join(timeout=5)
        return _failed("", b"".join(self._errors).decode("utf-8", "replace"))

    def _message(self, payload: dict[str, Any]) -> bytes:
        self._next_id += 1
        return base64.b64encode(json.dumps({"message_id": self._next_id, "payload": payload}).encode()) + b","

    def _answers(self) -> Iterator[dict[str, Any]]:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while True:
            while b"," not in self._buffer:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise self.failure()  # it ended: a panic, on stderr
                self._buffer += chunk
            answer, self._buffer = self._buffer.split(b",", 1)
            payload = json.loads(base64.b64decode(answer))["payload"]
            if payload.get("type") == "Error":
                self.process.kill()
                raise _failed("", str(payload.get("message")))
            yield payload

    def ask(self, payloads: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Send every request, from a thread, as `payloads` makes them (never all held at once);
        the answers, in order, as they come."""
        sent = [0]
        done = threading.Event()
        failed: list[BaseException] = []

        def send() -> None:
            assert self.process.stdin is not None
            try:
                for payload in payloads:
                    self.process.stdin.write(self._message(payload))
                    sent[0] += 1
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError):  # it ended; the reader says why
                pass
            except BaseException as exc:  # making a record failed: raised here, in the build
                failed.append(exc)
            finally:
                done.set()

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        answers = self._answers()
        received = 0
        while True:
            if received < sent[0]:
                yield next(answers)
                received += 1
            elif done.is_set():
                if received == sent[0]:  # read after `done`: the count is final
                    break
            else:
                done.wait(0.001)
        sender.join()
        if failed:
            raise failed[0]

    def finish(self) -> None:
        """Let it end on its own (end of input), as the command line's Pagefind does."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        if self.process.wait() != 0:
            raise self.failure()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with suppress(OSError):
                    stream.close()


def index(folder: Path, records: Iterable[Record] | None = None, pages: int | None = None) -> str:
    """Index `records` into `folder`/pagefind (written over the index already there, if any),
    and verify the index (`pages`: how many pages it must hold, when known); returns a one-line
    account for the terminal. Without records, Pagefind reads the written pages (PAGES)."""
    executable = binary()
    if executable is None:
        return _UNAVAILABLE
    output = folder / OUTPUT_SUBDIR
    if records is None:
        command = _command(executable, folder, output)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise _failed(result.stdout, result.stderr)
        return _indexed(verify(output, pages))
    service = _Service([str(executable)])
    try:
        total, named = _write_index(service, records, output, pages)
    finally:
        service.close()
    # Over the previous index (the spare's: see writer.staging), Pagefind leaves the files of
    # pages and words that are gone; only the files the new index names are kept.
    stale = [
        path
        for path in _index_files(output)
        if path not in named
        and (path.startswith(("fragment/", "index/", "filter/")) or path.endswith(".pf_meta"))
    ]
    remove(output, sorted(stale))
    return _indexed(total)


def _write_index(
    service: _Service, records: Iterable[Record], output: Path, pages: int | None = None
) -> tuple[int, set[str]]:
    """Every record to Pagefind, its index written into `output` and verified; the service ended."""
    [created] = service.ask([{"type": "NewIndex", "config": {}}])
    number = created["index_id"]
    adding = (
        {"type": "AddFile", "index_id": number, "url": record.url, "file_contents": record.html}
        for record in records
    )
    for _ in service.ask(adding):
        pass
    for _ in service.ask([{"type": "WriteFiles", "index_id": number, "output_path": str(output)}]):
        pass
    verified = _settled(output, pages)
    service.finish()
    return verified


# Pagefind's service answers WriteFiles while the last bytes of its files are still being written
# by its background threads, and it drops them if it ends first (tokio's files, never flushed):
# so the index is read back until it verifies, or SETTLE_SECONDS have passed, before it is told
# to end. A full disk leaves files cut short for good: that is still an error, only later.
SETTLE_SECONDS = 5.0


def _settled(output: Path, pages: int | None) -> tuple[int, set[str]]:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        try:
            return _verified(output, pages)
        except IncompleteIndex:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


_NAMED_FOLDERS = ("fragment/", "index/", "filter/")  # their files are named by the index's hashes


def _index_files(output: Path) -> list[str]:
    return [p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()]


# Verifying what Pagefind wrote. Pagefind 1.5 ignores its write errors: on a full disk it
# leaves empty or cut-short files and exits 0, and the browser then fails on them
# ("Unexpected end of JSON input"). So the index counts as whole only when:
# - pagefind-entry.json parses and lists each language's hash, wasm and page count;
# - each language's pagefind.<hash>.pf_meta, and every file it names (index/*.pf_index,
#   filter/*.pf_filter, and fragment/*.pf_fragment, one per page, as many as the entry counts),
#   and every wasm.*.pagefind, decompresses completely: they are gzip streams (holding
#   "pagefind_dcd" and CBOR), and a cut-short gzip stream fails for want of its end and checksum;
# - the JavaScript and CSS files are not empty: they are plain text, without a checksum to test,
#   but Pagefind writes them alongside the rest, so once the disk is full every file written
#   after leaves a trace the checks above find.
# All this costs about 3 % of Pagefind's own time (figures in the README, "Security").
_SIGNATURE = b"pagefind_dcd"
_ENTRY = "pagefind-entry.json"


class IncompleteIndex(SearchIndexError):
    """A file of the index is missing, empty or cut short."""


def _incomplete(what: str) -> SearchIndexError:
    return IncompleteIndex(f"the search index is incomplete ({what}); is the disk full?")


def _unpacked(output: Path, name: str) -> bytes:
    """A Pagefind file's decompressed bytes, or the error that says it is missing or cut short."""
    try:
        packed = (output / name).read_bytes()
    except FileNotFoundError:
        raise _incomplete(f"{OUTPUT_SUBDIR}/{name} is missing") from None
    except OSError as exc:
        raise _incomplete(f"{OUTPUT_SUBDIR}/{name} cannot be read: {exc.strerror or exc}") from None
    stream = zlib.decompressobj(wbits=31)  # gzip; zlib checks its length and CRC at the end
    try:
        data = stream.decompress(packed)
    except zlib.error as exc:
        raise _incomplete(f"{OUTPUT_SUBDIR}/{name} is damaged: {exc}") from None
    if not stream.eof:
        what = "is empty" if not packed else "is cut short"
        raise _incomplete(f"{OUTPUT_SUBDIR}/{name} {what}")
    if not data.startswith(_SIGNATURE):
        raise _incomplete(f"{OUTPUT_SUBDIR}/{name} is not Pagefind's")
    return data


def _cbor(data: bytes, at: int) -> tuple[Any, int]:
    """One CBOR item of `data` from `at` (the kinds Pagefind's metadata uses) and where it ends."""
    head = data[at]
    kind, info = head >> 5, head & 31
    at += 1
    if info < 24:
        value = info
    elif info <= 27:
        size = 1 << (info - 24)
        value = int.from_bytes(data[at : at + size], "big")
        at += size
    else:
        raise ValueError(f"unexpected CBOR byte {head:#x}")
    if kind == 0:
        return value, at
    if kind in (2, 3):
        chunk = data[at : at + value]
        return (chunk.decode() if kind == 3 else chunk), at + value
    if kind == 4:
        items = []
        for _ in range(value):
            item, at = _cbor(data, at)
            items.append(item)
        return items, at
    raise ValueError(f"unexpected CBOR major type {kind}")


def _named(meta: Any) -> tuple[list[str], list[str]]:
    """From a decoded pf_meta, [version, pages, index chunks, filters, ...]: the hashes of its
    pages, and the index and filter files it names."""
    _version, pages, chunks, filters = meta[:4]
    hashes = [page[0] for page in pages]
    files = [f"index/{chunk[2]}.pf_index" for chunk in chunks]
    files += [f"filter/{fil[1]}.pf_filter" for fil in filters]
    if not all(isinstance(name, str) for name in hashes + files):
        raise ValueError("a name is not text")
    return hashes, files


def verify(output: Path, pages: int | None = None) -> int:
    """Check that the index Pagefind wrote into `output` is whole; the number of pages it holds.
    Raises SearchIndexError naming the first part found missing, empty or cut short."""
    return _verified(output, pages)[0]


def _verified(output: Path, pages: int | None = None) -> tuple[int, set[str]]:
    """verify's work: the number of pages, and every file the entry and metadata name."""
    named = {_ENTRY}
    try:
        text = (output / _ENTRY).read_bytes()
        if not text:
            raise _incomplete(f"{OUTPUT_SUBDIR}/{_ENTRY} is empty")
        entry = json.loads(text)
        languages = entry["languages"]
        counts = {key: int(lang["page_count"]) for key, lang in languages.items()}
        metas = {key: f"pagefind.{lang['hash']}.pf_meta" for key, lang in languages.items()}
    except FileNotFoundError:
        raise _incomplete(f"{OUTPUT_SUBDIR}/{_ENTRY} is missing") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _incomplete(f"{OUTPUT_SUBDIR}/{_ENTRY} cannot be read: {exc}") from None
    if not languages:
        raise _incomplete(f"{OUTPUT_SUBDIR}/{_ENTRY} lists no language")
    for key, name in metas.items():
        data = _unpacked(output, name)
        try:
            meta, end = _cbor(data, len(_SIGNATURE))
            hashes, files = _named(meta)
        except (ValueError, IndexError, TypeError, UnicodeDecodeError) as exc:
            raise _incomplete(f"{OUTPUT_SUBDIR}/{name} cannot be read: {exc}") from None
        if end != len(data) or len(hashes) != counts[key]:
            raise _incomplete(f"{OUTPUT_SUBDIR}/{name} holds {len(hashes)} pages, the entry {counts[key]}")
        named.add(name)
        for file in [*files, *(f"fragment/{page}.pf_fragment" for page in hashes)]:
            _unpacked(output, file)
            named.add(file)
    for wasm in sorted(output.glob("wasm.*.pagefind")):
        _unpacked(output, wasm.name)
    for name in ("pagefind.js", "pagefind-worker.js"):  # what the site's search loads
        if not (output / name).is_file():
            raise _incomplete(f"{OUTPUT_SUBDIR}/{name} is missing")
    for text in sorted([*output.glob("*.js"), *output.glob("*.css")]):
        if text.stat().st_size == 0:
            raise _incomplete(f"{OUTPUT_SUBDIR}/{text.name} is empty")
    total = sum(counts.values())
    if pages is not None and total != pages:
        raise SearchIndexError(f"the search index holds {total} pages, not the {pages} written")
    return total, named


# The preview's Pagefind yields the cores to the browser loading the page it waits for.
_NICE = ("nice", "-n", "10") if shutil.which("nice") else ()


class Reindex:
    """The preview's re-index after a save, run in the background once the page has reloaded.

    Pagefind writes the new index beside the site, and it replaces the served one only when
    complete. So a newer save can cancel it at any moment: search keeps the previous index
    meanwhile, and Pagefind stops competing for the cores with the rebuild the reader waits for.
    With `records` (what `records()` gives for the saved data: the preview's), the index is the
    build's; without, Pagefind reads the pages written in `folder`.
    """

    def __init__(self, folder: Path, records: Callable[[], Iterable[Record]] | None = None) -> None:
        self.folder = folder
        self.records = records
        self._lock = threading.Lock()
        self._process: subprocess.Popen[Any] | None = None
        self._cancelled = False

    def _from_records(self, executable: Path, records: Callable[[], Iterable[Record]], output: Path) -> str:
        with self._lock:
            if self._cancelled:
                return ""
            service = _Service([*_NICE, str(executable)])
            self._process = service.process
        try:
            total, _ = _write_index(service, records(), output)
        except SearchIndexError:
            if self._cancelled:
                return ""  # stopped by cancel(): a newer save is being built
            raise
        finally:
            service.close()
        with self._lock:
            if self._cancelled:
                return ""
            replace_folder(output, self.folder / OUTPUT_SUBDIR)
            return _indexed(total)

    def run(self) -> str:
        executable = binary()
        if executable is None:
            return _UNAVAILABLE
        with workspace(self.folder.absolute(), "search") as work:
            output = work / OUTPUT_SUBDIR
            if self.records is not None:
                return self._from_records(executable, self.records, output)
            with self._lock:
                if self._cancelled:
                    return ""
                self._process = subprocess.Popen(
                    [*_NICE, *_command(executable, self.folder, output)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            stdout, stderr = self._process.communicate()
            with self._lock:
                if self._cancelled:
                    return ""  # a newer save is being built; its own refresh follows
                if self._process.returncode != 0:
                    raise _failed(stdout, stderr)
                note = _indexed(verify(output))
                replace_folder(output, self.folder / OUTPUT_SUBDIR)
                return note

    def cancel(self) -> None:
        """Stop at once; the index served stays the previous complete one."""
        with self._lock:
            self._cancelled = True
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()
