"""A build writes over the site the previous build replaced (the spare), never a fresh copy
created right after deleting one: the result is exactly a fresh build's, only changed files are
rewritten, and every way a build can fail still leaves the published site untouched."""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from test_build import PAGEFIND_UNSTABLE, _project, tree_hash

import build
from timeline import writer
from timeline.render import Pages
from timeline.writer import MARKER, WriteError


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of the real project, built with a spare kept whatever its size."""
    for name in ("events.yaml", "seeds"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, tmp_path / name)
    monkeypatch.setattr(build, "SPARE_FROM", 0)
    return _project(tmp_path, data=tmp_path / "events.yaml", seeds=tmp_path / "seeds")


def _build(project, out: Path) -> None:
    build.build(project, out, log=lambda _: None)


def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def _remove_an_event(project) -> str:
    text = project.data.read_text(encoding="utf-8")
    edited = re.sub(r"  - id: russian-oil-imports-rise-2013\n.*?\n\n", "", text, count=1, flags=re.DOTALL)
    assert edited != text
    project.data.write_text(edited, encoding="utf-8")
    return "events/russian-oil-imports-rise-2013/index.html"


def test_the_replaced_site_is_kept_as_the_spare_and_written_over_in_place(project, tmp_path):
    out = tmp_path / "site"
    spare = tmp_path / ".site.spare"
    _build(project, out)
    assert not spare.exists(), "the first build replaced nothing"
    first = _inodes(out)
    _build(project, out)
    assert spare.is_dir()
    assert (spare / MARKER).is_file()
    assert _inodes(spare) == first, "the replaced site itself, moved, not copied"
    gone = _remove_an_event(project)
    _build(project, out)  # written over the spare: the first build's files
    fresh = tmp_path / "fresh"
    _build(project, fresh)
    assert tree_hash(out, skip=PAGEFIND_UNSTABLE) == tree_hash(fresh, skip=PAGEFIND_UNSTABLE)
    assert not (out / gone).parent.exists(), "a page no longer built is removed, and its folder"
    now = _inodes(out)
    kept = [path for path in now if first.get(path) == now[path]]
    # The assets, the archived documents and every page the edit did not change stay the files
    # they were; a fresh copy would share none.
    assert "assets/site.js" in kept
    assert len(kept) > len(now) / 4, len(kept)
    stale = [p for p in (out / "pagefind" / "fragment").iterdir() if p.name not in _names(fresh)]
    assert stale == [], "the previous index's files of pages that are gone are removed"


def _names(site: Path) -> set[str]:
    return {p.name for p in (site / "pagefind" / "fragment").iterdir()}


def test_a_failed_build_over_the_spare_leaves_the_site_and_puts_the_spare_back(
    project, tmp_path, monkeypatch
):
    out = tmp_path / "site"
    _build(project, out)
    _build(project, out)
    before = tree_hash(out)

    def write_until_the_disk_is_full(pages: Pages, folder: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build, "write", write_until_the_disk_is_full)
    with pytest.raises(WriteError, match="No space left on device"):
        _build(project, out)
    assert tree_hash(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == [".site.spare"]


@pytest.mark.parametrize("kind", ["a link to a built site", "a folder without the marker"])
def test_a_spare_that_a_build_did_not_leave_is_neither_used_nor_removed(project, tmp_path, kind):
    out = tmp_path / "site"
    _build(project, out)
    spare = tmp_path / ".site.spare"
    if kind == "a link to a built site":
        elsewhere = tmp_path / "elsewhere"
        shutil.copytree(out, elsewhere)
        spare.symlink_to(elsewhere)
        guarded = elsewhere
    else:
        spare.mkdir()
        (spare / "notes.txt").write_text("mine")
        guarded = spare
    before = tree_hash(guarded)
    _build(project, out)
    assert tree_hash(guarded) == before
    assert spare.is_symlink() == (kind == "a link to a built site")


def test_a_link_inside_the_spare_is_never_written_through(project, tmp_path):
    out = tmp_path / "site"
    _build(project, out)
    _build(project, out)
    spare = tmp_path / ".site.spare"
    outside = tmp_path / "outside.html"
    outside.write_text("not the site's")
    (spare / "index.html").unlink()
    (spare / "index.html").symlink_to(outside)
    _build(project, out)
    assert outside.read_text() == "not the site's"
    fresh = tmp_path / "fresh"
    _build(project, fresh)
    assert tree_hash(out, skip=PAGEFIND_UNSTABLE) == tree_hash(fresh, skip=PAGEFIND_UNSTABLE)


def test_the_sweep_of_leftovers_never_takes_the_spare_nor_the_site(project, tmp_path):
    out = tmp_path / "site"
    _build(project, out)
    _build(project, out)
    assert writer.remove_leftovers(out.absolute()) == []
    assert (tmp_path / ".site.spare" / MARKER).is_file()
    assert (out / MARKER).is_file()


def test_a_small_site_keeps_no_spare(tmp_path, monkeypatch):
    out = tmp_path / "site"
    for _ in range(2):
        build.build(_project(tmp_path), out, log=lambda _: None)
    assert len(list(out.rglob("*"))) < build.SPARE_FROM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_two_builds_racing_for_one_spare_take_it_once(project, tmp_path):
    out = tmp_path / "site"
    _build(project, out)
    _build(project, out)
    taken = tmp_path / "taken"
    assert writer._claim_spare(out.absolute(), taken)
    assert not writer._claim_spare(out.absolute(), tmp_path / "again"), "it is gone: the rename was the claim"
    assert (taken / MARKER).is_file()
    assert os.path.isdir(taken)
