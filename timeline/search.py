"""Index stage: Pagefind's search index over the written site.

Pagefind reads the built HTML: pages marked `data-pagefind-body` (events and
sources) are indexed, with the filters and sort keys their markup declares.
The binary comes from the `pagefind_bin` wheel; on a platform without one the
build still succeeds, says so once, and the pages hide their search field.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

OUTPUT_SUBDIR = "pagefind"
PAGES = ("--glob", "{events,sources}/**/*.html")


class SearchIndexError(Exception):
    """Pagefind ran and failed: the build fails and the previous site stays."""


def binary() -> Path | None:
    try:
        import pagefind_bin

        return pagefind_bin.get_executable()
    except (ImportError, FileNotFoundError):
        found = shutil.which("pagefind")
        return Path(found) if found else None


def index(folder: Path) -> str:
    """Index `folder` in place; returns a one-line account for the terminal."""
    executable = binary()
    if executable is None:
        return "search: skipped — the Pagefind binary is not available here; the site works without search"
    result = subprocess.run(
        # Only event and source pages are indexed; the glob spares Pagefind reading the rest.
        [str(executable), "--site", str(folder), "--output-subdir", OUTPUT_SUBDIR, *PAGES, "--silent"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SearchIndexError(f"Pagefind failed: {(result.stderr or result.stdout).strip()}")
    pages = sum(1 for _ in (folder / OUTPUT_SUBDIR / "fragment").glob("*"))
    return f"search: indexed {pages} pages"
