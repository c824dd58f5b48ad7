"""Index stage: Pagefind's search index over the written site.

Pagefind reads the built HTML: the pages of events and sources (PAGES), which
mark their text `data-pagefind-body`, are indexed, with the filters and sort
keys their markup declares.
The binary comes from the `pagefind_bin` wheel; on a platform without one the
build still succeeds, says so once, and the pages hide their search field.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import zlib
from pathlib import Path
from typing import Any

from .writer import replace_folder, workspace

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


def index(folder: Path, pages: int | None = None) -> str:
    """Index `folder` in place, and verify the index (`pages`: how many pages it must hold, when
    known); returns a one-line account for the terminal."""
    executable = binary()
    if executable is None:
        return _UNAVAILABLE
    output = folder / OUTPUT_SUBDIR
    result = subprocess.run(_command(executable, folder, output), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise _failed(result.stdout, result.stderr)
    return _indexed(verify(output, pages))


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


def _incomplete(what: str) -> SearchIndexError:
    return SearchIndexError(f"the search index is incomplete ({what}); is the disk full?")


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
        for file in [*files, *(f"fragment/{page}.pf_fragment" for page in hashes)]:
            _unpacked(output, file)
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
    return total


# The preview's Pagefind yields the cores to the browser loading the page it waits for.
_NICE = ("nice", "-n", "10") if shutil.which("nice") else ()


class Reindex:
    """The preview's re-index after a save, run in the background once the page has reloaded.

    Pagefind writes the new index beside the site, and it replaces the served one only when
    complete. So a newer save can cancel it at any moment: search keeps the previous index
    meanwhile, and Pagefind stops competing for the cores with the rebuild the reader waits for.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._cancelled = False

    def run(self) -> str:
        executable = binary()
        if executable is None:
            return _UNAVAILABLE
        with workspace(self.folder.absolute(), "search") as work:
            output = work / OUTPUT_SUBDIR
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
