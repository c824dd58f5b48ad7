"""The search index is verified before it is published: a full disk while Pagefind writes (it
exits 0 with files cut short) fails the build and keeps the previous site, and leaves the
preview's served index as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import IN_CI, run_build
from test_build import _previous_site, _project, tree_hash

import build
from timeline import preview, search, writer
from timeline.render import Pages

PAGE = os.sysconf("SC_PAGE_SIZE")  # what tmpfs charges a file for, per started page


def _pages_used(folder: Path, *, skip: str | None = None) -> int:
    return sum(
        -(-path.stat().st_size // PAGE)
        for path in folder.rglob("*")
        if path.is_file() and not (skip and path.relative_to(folder).as_posix().startswith(skip))
    )


@contextmanager
def small_disk(where: Path, pages: int) -> Iterator[Path]:
    """A real tmpfs of `pages` memory pages mounted at `where`: a disk that fills up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs the tests as root)")
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={pages * PAGE},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs here: {mounted.stderr.strip()}"
        if IN_CI:
            pytest.fail(f"{reason}; under CI=true, as root, this test may not skip")
        pytest.skip(reason)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def _sizes(built_site: Path) -> tuple[int, int, int]:
    """Memory pages the real site takes: whole, without its search index, and its index."""
    whole = _pages_used(built_site)
    html = _pages_used(built_site, skip=f"{search.OUTPUT_SUBDIR}/")
    return whole, html, whole - html


def test_a_full_disk_while_pagefind_writes_fails_the_build_and_keeps_the_site(built_site, tmp_path):
    whole, html, index = _sizes(built_site)
    # Room for the previous site and the next one's pages, and half of the next one's index
    # (about 250 pages of 4 KiB: the other half never fits, whatever Pagefind's hashes).
    with small_disk(tmp_path / "disk", whole + html + index // 2) as disk:
        out = disk / "site"
        first = run_build(out)
        assert first.returncode == 0, first.stderr
        before = tree_hash(out)
        second = run_build(out)
        assert second.returncode == 2, second.stdout + second.stderr  # an I/O error
        assert second.stderr.startswith("error: the search index is incomplete ("), second.stderr
        assert second.stderr.endswith(f"); is the disk full? ({out} is unchanged)\n"), second.stderr
        assert "Traceback" not in second.stderr
        assert tree_hash(out) == before
        assert sorted(p.name for p in disk.iterdir()) == ["site"], "the half-made site is removed"


def test_a_full_disk_while_the_pages_are_written_fails_the_build_and_keeps_the_site(built_site, tmp_path):
    whole, html, _index = _sizes(built_site)
    with small_disk(tmp_path / "disk", whole + html // 2) as disk:
        out = disk / "site"
        assert run_build(out).returncode == 0
        before = tree_hash(out)
        second = run_build(out)
        assert second.returncode == 2, second.stdout + second.stderr  # an I/O error
        assert (
            second.stderr
            == f"error: could not write the site: No space left on device ({out} is unchanged)\n"
        )
        assert tree_hash(out) == before
        assert sorted(p.name for p in disk.iterdir()) == ["site"]


def test_a_full_disk_while_the_preview_reindexes_keeps_the_served_index(built_site, tmp_path, capsys):
    whole, _html, index = _sizes(built_site)
    with small_disk(tmp_path / "disk", whole + index // 2) as disk:
        folder = disk / "site"
        shutil.copytree(built_site, folder)
        before = tree_hash(folder)
        preview._report(search.Reindex(folder))  # as the preview runs it, after a save
        printed = capsys.readouterr().out
        assert printed.startswith("search: not refreshed: the search index is incomplete ("), printed
        assert printed.endswith("); is the disk full?\n")
        assert tree_hash(folder) == before
        assert sorted(p.name for p in disk.iterdir()) == ["site"]


# Each way an index can be cut short, done to a copy of a real one: what verify must say.
DAMAGE = [
    ("an empty entry file", "pagefind-entry.json", b"", "pagefind/pagefind-entry.json is empty"),
    ("an entry file cut short", "pagefind-entry.json", 40, "pagefind/pagefind-entry.json cannot be read"),
    ("an empty metadata file", "pagefind.*.pf_meta", b"", r"pagefind/pagefind\.en_\w+\.pf_meta is empty"),
    ("a fragment cut short", "fragment/*", 300, r"pagefind/fragment/en_\w+\.pf_fragment is cut short"),
    ("a missing fragment", "fragment/*", None, r"pagefind/fragment/en_\w+\.pf_fragment is missing"),
    ("a word index cut short", "index/*", 4096, r"pagefind/index/en_\w+\.pf_index is cut short"),
    ("a missing filter", "filter/*", None, r"pagefind/filter/en_\w+\.pf_filter is missing"),
    ("an empty wasm file", "wasm.unknown.pagefind", b"", r"pagefind/wasm\.unknown\.pagefind is empty"),
    ("an empty worker", "pagefind-worker.js", b"", r"pagefind/pagefind-worker\.js is empty"),
    ("an empty stylesheet", "pagefind-ui.css", b"", r"pagefind/pagefind-ui\.css is empty"),
]


@pytest.mark.parametrize(("what", "glob", "damage", "message"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_verify_finds_each_part_of_the_index_cut_short(built_site, tmp_path, what, glob, damage, message):
    index = tmp_path / "pagefind"
    shutil.copytree(built_site / "pagefind", index)
    pages = len(list(index.glob("fragment/*")))
    assert search.verify(index, pages=pages) == pages, "the real index is whole"
    victim = sorted(index.glob(glob))[-1]
    if damage is None:
        victim.unlink()
    elif isinstance(damage, int):  # kept bytes: at most half, so a small file is cut short too
        whole = victim.read_bytes()
        victim.write_bytes(whole[: min(damage, len(whole) // 2)])
    else:
        victim.write_bytes(damage)
    with pytest.raises(search.SearchIndexError, match=rf"^the search index is incomplete \({message}"):
        search.verify(index)


def test_an_index_holding_fewer_pages_than_were_written_fails(built_site):
    pages = len(list(built_site.glob("events/*/index.html"))) + len(
        list(built_site.glob("sources/*/index.html"))
    )
    assert search.verify(built_site / "pagefind", pages=pages) == pages
    with pytest.raises(
        search.SearchIndexError, match=rf"^the search index holds {pages} pages, not the {pages + 1}"
    ):
        search.verify(built_site / "pagefind", pages=pages + 1)


def test_pagefind_exiting_with_an_error_fails_the_build_and_keeps_the_site(tmp_path, monkeypatch):
    out, before = _previous_site(tmp_path)

    def write_with_a_file_where_the_index_goes(pages: Pages, folder: Path) -> None:
        writer.write(pages, folder)
        (folder / search.OUTPUT_SUBDIR).write_text("not a folder")  # Pagefind panics (exit 101)

    monkeypatch.setattr(build, "write", write_with_a_file_where_the_index_goes)
    with pytest.raises(search.SearchIndexError, match=r"(?s)^Pagefind failed: .*panicked"):
        build.build(_project(tmp_path), out, log=lambda _: None)
    assert tree_hash(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
