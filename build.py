#!/usr/bin/env python3
"""Build the sourced timeline: python build.py [build|check|serve|changes|propose|review] — see --help.

This file is the pipeline at a glance; the code of each stage is in timeline/.
"""

from __future__ import annotations

import signal
import sys


def _stopped_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM while the modules below import (most of a second): one line and the
    shell's status, never a traceback. Nothing is written yet; cli.main installs its own."""
    print("Interrupted." if signum == signal.SIGINT else "Terminated.", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)


# Before anything heavy is imported: these are the first lines that run.
signal.signal(signal.SIGINT, _stopped_while_starting)
signal.signal(signal.SIGTERM, _stopped_while_starting)

# ruff: noqa: E402 - the handlers above must be installed before these imports start
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from timeline import cli
from timeline.check import Checked, Loaded, check_loaded, load_project
from timeline.problems import say
from timeline.render import Memo, Pages, Project, render
from timeline.search import OUTPUT_SUBDIR, index, records
from timeline.site import SiteData
from timeline.writer import MARKER, SPARE_FROM, staging, update, write


def load(project: Project) -> Loaded:
    """1. Parse events.yaml, keeping the line and column of every key and value."""
    return load_project(project.data, project.seeds)


def check(loaded: Loaded) -> Checked:
    """2. Collect every problem in one pass: schema, then the rules it cannot express."""
    return check_loaded(loaded)


def arrange(checked: Checked, project: Project) -> SiteData:
    """The checked timeline arranged for reading: what the pages and the search records show."""
    timeline = checked.timeline
    assert timeline is not None
    # Where the site is published, and where readers report problems, as the Pages workflow knows them.
    for setting in ("base_url", "repository"):
        if getattr(project, setting):
            timeline = replace(timeline, site=replace(timeline.site, **{setting: getattr(project, setting)}))
    return SiteData(timeline, checked.seeds)


def render_site(
    checked: Checked, project: Project, memo: Memo | None = None, previous: Path | None = None
) -> Pages:
    """3. Every page and file of the site, in memory (the preview's unchanged pages from `memo`;
    unchanged link-preview cards from `previous`, the site being replaced)."""
    return render(arrange(checked, project), project, memo, previous)


def built_here(out: Path) -> Path | None:
    """`out` if it holds a site build.py made (its marker is there): its cards can be reused."""
    return out if (out / MARKER).is_file() and not out.is_symlink() else None


def searchable(checked: Checked) -> int:
    """How many pages the search index must hold: each event's and each source's."""
    assert checked.timeline is not None
    return len(checked.timeline.events) + len(checked.timeline.sources)


def build(
    project: Project,
    out: Path,
    strict: bool = False,
    log: Callable[[str], None] = say,
    memo: Memo | None = None,  # the preview's: its first build fills it, so saves reuse pages
    lap: Callable[[str], None] = lambda stage: None,  # told as each stage ends: bench/ times them
) -> Checked:
    """The whole pipeline. Nothing is written unless the check passes and rendering succeeds."""
    loaded = load(project)
    lap("load")
    checked = check(loaded)
    lap("check")
    del loaded  # the parsed document, every value's position kept: not needed past the check
    if checked.errors or (strict and checked.warnings):
        return checked
    data = arrange(checked, project)
    pages = render(data, project, memo, built_here(out))
    lap("render")
    files = len(pages)
    # 4. Written beside `out` (over the site the last build replaced, if it kept it), swapped in
    # only when complete; a large site's previous version is kept for the next build to write over.
    with staging(out, keep_spare=files >= SPARE_FROM) as folder:
        write(pages, folder)
        lap("write")
        if memo is None:  # the pages are on disk: their memory is Pagefind's now (README, issue 18)
            pages.release()
        # 5. The search index, from the model, verified, inside the same swap.
        log(index(folder, records(data), pages=searchable(checked)))
        lap("index")
    lap("swap")
    if memo is not None:
        memo.written = dict(pages.items())
        memo.search = lambda: records(data)
    log(f"site: {files} files written to {cli.display_path(out)}")
    return checked


def refresh(project: Project, out: Path, memo: Memo, log: Callable[[str], None] = say) -> Checked:
    """The preview's rebuild after a save: the same stages, but only pages whose inputs changed are
    rendered and only changed files rewritten, in place; the search index is left to the preview
    to refresh once the page has reloaded."""
    checked = check(load(project))
    if checked.errors:
        return checked
    data = arrange(checked, project)
    pages = render(data, project, memo, built_here(out))
    memo.search = lambda: records(data)  # the preview's re-index, once the page has reloaded
    # Forgotten until the update succeeds: after a failed one, the folder is read back instead.
    written, memo.written = memo.written, None
    changed = update(pages, out, keep=(f"{OUTPUT_SUBDIR}/",), written=written)
    memo.written = dict(pages.items())
    where = cli.display_path(out)
    log(f"site: {changed} of {len(pages)} files changed in {where}, {memo.rendered} pages rendered")
    return checked


if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:], build=build, refresh=refresh))
