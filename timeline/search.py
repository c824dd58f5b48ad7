"""Index stage: Pagefind's search index over the written site.

Pagefind reads the built HTML: the pages of events and sources (PAGES), which
mark their text `data-pagefind-body`, are indexed, with the filters and sort
keys their markup declares.
The binary comes from the `pagefind_bin` wheel; on a platform without one the
build still succeeds, says so once, and the pages hide their search field.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from .writer import replace_folder

OUTPUT_SUBDIR = "pagefind"
# Only the site's own pages of events and sources: never a file archived beside them, whose
# words, and headline, are not the site's. (The list of sources carries no data-pagefind-body
# and was never indexed.)
PAGES = ("--glob", "{events,sources}/*/index.html")


class SearchIndexError(Exception):
    """Pagefind ran and failed: the build fails and the previous site stays."""


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


def _indexed(output: Path) -> str:
    pages = sum(1 for _ in (output / "fragment").glob("*"))
    return f"search: indexed {pages} pages"


def _failed(stdout: str, stderr: str) -> SearchIndexError:
    return SearchIndexError(f"Pagefind failed: {(stderr or stdout).strip()}")


def index(folder: Path) -> str:
    """Index `folder` in place; returns a one-line account for the terminal."""
    executable = binary()
    if executable is None:
        return _UNAVAILABLE
    output = folder / OUTPUT_SUBDIR
    result = subprocess.run(_command(executable, folder, output), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise _failed(result.stdout, result.stderr)
    return _indexed(output)


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
        output = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.search-", dir=self.folder.parent))
        try:
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
                note = _indexed(output)
                output.chmod(0o755)  # mkdtemp makes it private; the served index is not
                replace_folder(output, self.folder / OUTPUT_SUBDIR)
                return note
        finally:
            shutil.rmtree(output, ignore_errors=True)

    def cancel(self) -> None:
        """Stop at once; the index served stays the previous complete one."""
        with self._lock:
            self._cancelled = True
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()
