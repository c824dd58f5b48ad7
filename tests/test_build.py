"""The build as a whole: golden output, determinism, and atomic writes."""

from __future__ import annotations

import difflib
import errno
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import golden
import pytest
from conftest import ROOT, run_build

import build
from timeline import render, search, writer
from timeline.dates import PartialDate
from timeline.render import DuplicatePath, Pages, Project
from timeline.site import SiteData
from timeline.writer import WriteError

# Pagefind writes its filter and metadata indexes from hash maps, so their
# bytes (and hashed names) vary between runs: a known upstream limitation
# (Pagefind/pagefind#638). Everything we write, and Pagefind's fragments and
# word index, must be byte-identical.
PAGEFIND_UNSTABLE = re.compile(r"^pagefind/(filter/|pagefind\.[^/]+\.pf_meta$|pagefind-entry\.json$)")


def tree_hash(folder: Path, *, skip: re.Pattern[str] | None = None) -> str:
    """One hash over every path and byte of a folder (less what `skip` matches)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if skip is not None and skip.match(path.relative_to(folder).as_posix()):
            continue
        digest.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_golden_project_builds_exactly_the_reviewed_output(tmp_path):
    out = tmp_path / "site"
    golden.build(out)
    actual, expected = golden.files(out), golden.files(golden.EXPECTED)
    assert sorted(actual) == sorted(expected), "files added or removed: run `make golden` and review"
    for name in sorted(expected):
        if actual[name] != expected[name]:
            diff = difflib.unified_diff(
                expected[name].decode(errors="replace").splitlines(),
                actual[name].decode(errors="replace").splitlines(),
                f"tests/golden/{name}",
                f"built/{name}",
                lineterm="",
            )
            pytest.fail("\n".join(list(diff)[:80]) + "\n\nIf intended: `make golden`, then review git diff.")


def test_builds_are_byte_identical_across_runs_time_zones_and_locales(tmp_path):
    hashes = set()
    for i, env in enumerate(
        [
            {"TZ": "UTC", "LC_ALL": "C.UTF-8"},
            {"TZ": "Asia/Tokyo", "LC_ALL": "C"},
            {"TZ": "America/Los_Angeles", "LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"},
        ]
    ):
        out = tmp_path / f"site{i}"
        result = run_build(out, env=env)
        assert result.returncode == 0, result.stderr
        hashes.add(tree_hash(out, skip=PAGEFIND_UNSTABLE))
    assert len(hashes) == 1
    assert any((out / "pagefind" / "filter").iterdir()), "the filter index exists, it is only not compared"


def test_source_date_epoch_sets_the_feed_date_and_nothing_reads_the_clock(tmp_path):
    result = run_build(tmp_path / "a", env={"SOURCE_DATE_EPOCH": "1760486400"})
    assert result.returncode == 0, result.stderr
    feed = (tmp_path / "a" / "feed.xml").read_text()
    assert "<updated>2025-10-15T00:00:00Z</updated>" in feed
    result = run_build(tmp_path / "b")
    feed = (tmp_path / "b" / "feed.xml").read_text()
    # Without it, the feed is as new as the last day of the latest event, or of the latest
    # correction, in the data: a correction updates the feed too.
    events = json.loads((tmp_path / "b" / "events.json").read_text())["events"]
    days = [PartialDate.parse((e["end"] or e["date"])["iso"]).last_day for e in events]
    days += [PartialDate.parse(h["date"]).last_day for e in events for h in e["history"]]
    latest = max(days)
    head = feed.split("<entry>")[0]
    assert f"<updated>{latest[0]:04d}-{latest[1]:02d}-{latest[2]:02d}T00:00:00Z</updated>" in head


def _previous_site(tmp_path: Path) -> tuple[Path, str]:
    out = tmp_path / "site"
    result = run_build(out)
    assert result.returncode == 0, result.stderr
    return out, tree_hash(out)


def _project(tmp_path: Path, **changes: Path) -> Project:
    project = Project(
        data=ROOT / "events.yaml",
        seeds=ROOT / "seeds",
        templates=ROOT / "templates",
        site_src=ROOT / "site_src",
    )
    return Project(**{**project.__dict__, **changes})


def test_bad_data_leaves_the_previous_site_untouched(tmp_path):
    out, before = _previous_site(tmp_path)
    data = tmp_path / "events.yaml"
    data.write_text((ROOT / "events.yaml").read_text().replace("era: crimea-2014", "era: crimea", 1))
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    result = run_build(out, "--data", str(data))
    assert result.returncode == 1
    assert "unknown era 'crimea' (did you mean 'crimea-2014'?)" in result.stdout
    assert tree_hash(out) == before


def test_a_template_error_leaves_the_previous_site_untouched(tmp_path):
    out, before = _previous_site(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    event = templates / "event.html"
    event.write_text(event.read_text().replace("{{ event.title }}", "{{ event.no_such_field }}", 1))
    with pytest.raises(Exception, match="no_such_field"):
        build.build(_project(tmp_path, templates=templates), out, log=lambda _: None)
    assert tree_hash(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_a_full_disk_leaves_the_previous_site_untouched(tmp_path, monkeypatch):
    out, before = _previous_site(tmp_path)
    written = []

    def write_until_the_disk_is_full(pages: Pages, folder: Path) -> None:
        for path, content in pages.items():
            if len(written) == 20:
                raise OSError(errno.ENOSPC, "No space left on device")
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            written.append(path)

    monkeypatch.setattr(build, "write", write_until_the_disk_is_full)
    with pytest.raises(WriteError, match="No space left on device"):
        build.build(_project(tmp_path), out, log=lambda _: None)
    assert len(written) == 20
    assert tree_hash(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_a_read_only_output_disk_leaves_the_previous_site_untouched(tmp_path, monkeypatch):
    # Root (as in CI) writes through file modes, so the read-only disk is simulated where it bites.
    out, before = _previous_site(tmp_path)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(writer.tempfile, "mkdtemp", read_only)
    with pytest.raises(WriteError, match=r"cannot create a folder beside .*Read-only file system"):
        build.build(_project(tmp_path), out, log=lambda _: None)
    assert tree_hash(out) == before


def test_a_failed_swap_leaves_the_previous_site_untouched(tmp_path, monkeypatch):
    out, before = _previous_site(tmp_path)
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)  # as on a system without renameat2
    real_rename = Path.rename

    def rename(self, target):
        if self == out:  # moving the previous site aside fails: the disk went read-only
            raise OSError(errno.EROFS, "Read-only file system")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(WriteError, match="Read-only file system"):
        build.build(_project(tmp_path), out, log=lambda _: None)
    assert tree_hash(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_the_cli_reports_a_failed_write_and_keeps_the_site(tmp_path):
    out, _before = _previous_site(tmp_path)
    (out / writer.MARKER).unlink()  # now it looks like a folder build.py did not make
    result = run_build(out)
    assert result.returncode == 2  # an I/O error, as the README says; the data is fine
    assert result.stderr == (
        f"error: {out} is a folder that build.py did not make; choose another --out or empty it "
        f"({out} is unchanged)\n"
    )


@pytest.mark.parametrize(
    ("setup", "out", "message"),
    [
        (lambda p: (p / "events.yaml").unlink(), "site", "events.yaml not found"),
        (
            lambda p: ((p / "events.yaml").unlink(), (p / "events.yaml").mkdir()),
            "site",
            "events.yaml is a folder",
        ),
        (lambda p: shutil.rmtree(p / "seeds"), "site", "cannot read the seeds folder"),
        (
            lambda p: (shutil.rmtree(p / "seeds"), (p / "seeds").write_text("")),
            "site",
            "cannot read the seeds",
        ),
        (lambda p: (p / "file").write_text(""), "file/site", "cannot create a folder beside"),
    ],
    ids=[
        "no data file",
        "data file is a folder",
        "no seeds folder",
        "seeds is a file",
        "output not writable",
    ],
)
def test_the_cli_says_an_io_error_in_one_line_with_status_2(tmp_path, setup, out, message):
    shutil.copy(ROOT / "events.yaml", tmp_path / "events.yaml")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    setup(tmp_path)
    result = run_build(tmp_path / out, "--data", str(tmp_path / "events.yaml"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_two_pages_claiming_one_path_is_an_error():
    pages = Pages()
    pages.add("events/x/index.html", "one")
    with pytest.raises(DuplicatePath, match=r"two pages claim the path 'events/x/index\.html'"):
        pages.add("events/x/index.html", "two")


def test_a_failed_check_writes_nothing(tmp_path):
    data = tmp_path / "events.yaml"
    data.write_text("site: [\n")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    result = run_build(tmp_path / "site", "--data", str(data))
    assert result.returncode == 1
    assert not (tmp_path / "site").exists()


def test_base_url_option_publishes_for_another_address(tmp_path):
    result = run_build(tmp_path / "site", "--base-url", "https://owner.github.io/timeline/")
    assert result.returncode == 0, result.stderr
    assert "<loc>https://owner.github.io/timeline/events/" in (tmp_path / "site" / "sitemap.xml").read_text()
    assert 'href="/timeline/index.html"' in (tmp_path / "site" / "404.html").read_text()


def test_rendering_in_two_processes_gives_exactly_the_same_pages(tmp_path, monkeypatch):
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the parallel path is never taken here")
    project = _project(tmp_path)
    checked = build.check(build.load(project))
    monkeypatch.setattr(render, "PARALLEL_FROM", 10**9)
    serial = dict(build.render_site(checked, project).items())
    pools = []

    class Recorded(ProcessPoolExecutor):  # the real pool, counted, to prove the fork happened
        def __init__(self, *args, **kwargs):
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(render, "ProcessPoolExecutor", Recorded)
    monkeypatch.setattr(render, "PARALLEL_FROM", 0)
    parallel = dict(build.render_site(checked, project).items())
    assert len(pools) == 1
    assert parallel.keys() == serial.keys()
    assert [path for path in serial if parallel[path] != serial[path]] == []


def test_a_template_error_in_the_second_process_fails_the_build(tmp_path, monkeypatch):
    out, before = _previous_site(tmp_path)
    project = _project(tmp_path)
    # The first chunk of jobs is always the worker's; job 1, the first event in reading order, is in it.
    first = SiteData(build.check(build.load(project)).timeline, None).ordered[0].id
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    event = templates / "event.html"
    broken = f'{{% if event.id == "{first}" %}}{{{{ event.no_such_field }}}}{{% endif %}}'
    event.write_text(event.read_text().replace("{% block main %}", "{% block main %}" + broken, 1))
    monkeypatch.setattr(render, "PARALLEL_FROM", 0)
    with pytest.raises(Exception, match="no_such_field") as raised:
        build.build(_project(tmp_path, templates=templates), out, log=lambda _: None)
    assert type(raised.value.__cause__).__name__ == "_RemoteTraceback", "raised in the worker"
    assert tree_hash(out) == before


def test_the_preview_rewrites_only_changed_files_and_removes_stale_ones(tmp_path):
    folder = tmp_path / "site"
    for path, content in {
        "a.html": "old",
        "same.html": "same",
        "gone/x.html": "x",
        "pagefind/i": "i",
    }.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(content)
    os.utime(folder / "same.html", (1, 1))
    pages = Pages()
    pages.add("a.html", "new")
    pages.add("same.html", "same")
    pages.add("new/y.html", "y")
    assert writer.update(pages, folder, keep=("pagefind/",)) == 3  # a rewritten, y added, x removed
    files = {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()}
    assert files == {"a.html": "new", "same.html": "same", "new/y.html": "y", "pagefind/i": "i"}
    assert (folder / "same.html").stat().st_mtime == 1  # untouched, so the browser's cache holds
    assert not (folder / "gone").exists()


def test_the_preview_trusts_what_it_wrote_yet_restores_a_file_removed_behind_its_back(tmp_path):
    folder = tmp_path / "site"
    (folder / "old").mkdir(parents=True)
    (folder / "old" / "x.html").write_text("x")
    (folder / "same.html").write_text("same")
    written = {"a.html": b"a", "same.html": b"same", "old/x.html": b"x", "gone.html": b"g"}
    pages = Pages()
    for path, content in (("a.html", "a"), ("same.html", "same"), ("b.html", "b")):
        pages.add(path, content)
    # a.html and gone.html were written before and deleted since by someone else
    assert writer.update(pages, folder, written=written) == 3  # a restored, b added, x removed
    files = {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*")}
    assert files == {"a.html": "a", "same.html": "same", "b.html": "b"}, "old/ went with its last file"


def _preview_copy(built_site: Path, tmp_path: Path) -> Path:
    """A copy of the real site, with one event page carrying a word no page had."""
    folder = tmp_path / "site"
    shutil.copytree(built_site, folder)
    page = next((folder / "events").glob("*/index.html"))
    page.write_text(page.read_text().replace("</h1>", " Zyzzogeton</h1>", 1))
    return folder


def _fragments_mention(index: Path, word: str) -> bool:
    return any(word.encode() in gzip.decompress(f.read_bytes()) for f in (index / "fragment").iterdir())


def test_the_previews_reindex_replaces_the_search_index_whole(built_site, tmp_path):
    folder = _preview_copy(built_site, tmp_path)
    assert not _fragments_mention(folder / "pagefind", "Zyzzogeton")
    note = search.Reindex(folder).run()
    assert note == f"search: indexed {len(list((built_site / 'pagefind' / 'fragment').iterdir()))} pages"
    assert _fragments_mention(folder / "pagefind", "Zyzzogeton")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"], "no half-made index left beside it"


def test_a_newer_save_cancels_the_reindex_and_search_keeps_the_previous_index(built_site, tmp_path):
    folder = _preview_copy(built_site, tmp_path)
    before = tree_hash(folder / "pagefind")
    reindex = search.Reindex(folder)
    notes: list[str] = []
    worker = threading.Thread(target=lambda: notes.append(reindex.run()))
    worker.start()
    while reindex._process is None:  # Pagefind has started (it takes a tenth of a second or more)
        time.sleep(0.001)
    reindex.cancel()
    worker.join()
    assert notes == [""]
    assert reindex._process.returncode == -signal.SIGTERM, "Pagefind was stopped, not waited for"
    assert tree_hash(folder / "pagefind") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    cancelled_first = search.Reindex(folder)
    cancelled_first.cancel()
    assert cancelled_first.run() == ""
    assert cancelled_first._process is None, "Pagefind was never started"


# Each edit, applied in turn to a copy of the project; after each, the preview's refresh (which
# reuses every page whose inputs are unchanged) must leave exactly what a full build writes.
# The last item says how many pages the refresh may render: "few" (less than half), "all", or
# None when it depends (removing an event shifts the related events of most others).
PREVIEW_EDITS = [
    ("an event's title (its neighbours and related events show it)", "events.yaml",
     "rise almost 45 percent\n", "rise by almost 45 percent\n", "few"),
    ("a topic's label", "events.yaml", "  oil: Oil\n", "  oil: Crude oil\n", "few"),
    ("a source's publisher", "events.yaml", "publisher: Reuters, republished by VOA\n",
     "publisher: Reuters, republished by Voice of America\n", "few"),
    ("an era's title", "events.yaml", "title: Crimea, 2014\n", "title: Crimea, spring 2014\n", "few"),
    ("an event's date (the order changes)", "events.yaml", "    date: 2013\n", "    date: 2013-06\n", "few"),
    ("a quote (the source's reading view changes)", "events.yaml",
     " in 2013 and accounted for about 7 percent of supplies to the world's fourth-biggest crude importer.\"",
     " in 2013\"", "few"),
    ("a template", "templates/event.html", '<h2 id="related-title">Related events</h2>',
     '<h2 id="related-title">Related events on this site</h2>', "all"),
    ("a page of site_src/", "site_src/about.md", "\n", "\n\nEdited for the test.\n", "few"),
    ("an event removed (its page is deleted)", "events.yaml",
     re.compile(r"  - id: russian-oil-imports-rise-2013\n.*?\n\n", re.DOTALL), "", None),
]  # fmt: skip


def test_the_previews_refresh_after_each_kind_of_edit_equals_a_full_build(tmp_path):
    for name in ("events.yaml", "seeds", "templates", "site_src"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, tmp_path / name)
    project = _project(
        tmp_path,
        data=tmp_path / "events.yaml",
        seeds=tmp_path / "seeds",
        templates=tmp_path / "templates",
        site_src=tmp_path / "site_src",
    )
    preview, memo = tmp_path / "preview", render.Memo()
    build.build(project, preview, log=lambda _: None, memo=memo)  # as `serve` starts
    pages = memo.rendered
    outside_search = re.compile(r"^pagefind(/|$)")
    for what, file, old, new, rendered in PREVIEW_EDITS:
        path = tmp_path / file
        text = path.read_text(encoding="utf-8")
        edited = old.sub(new, text, count=1) if isinstance(old, re.Pattern) else text.replace(old, new, 1)
        assert edited != text, f"the edit of {what} no longer applies to {file}"
        path.write_text(edited, encoding="utf-8")
        build.refresh(project, preview, memo, log=lambda _: None)
        full = tmp_path / "full"
        build.build(project, full, log=lambda _: None)
        assert tree_hash(preview, skip=outside_search) == tree_hash(full, skip=outside_search), what
        if rendered == "all":
            assert memo.rendered == pages, f"after {what}, every page was rendered again"
        elif rendered == "few":
            # Outside git, the version a citation names is the data file's SHA-256: an edit of it
            # changes every page that cites (events and sources). Of the others, most are reused.
            citing = sum(
                b'<details class="cite" id="cite"' in p.read_bytes() for p in preview.rglob("index.html")
            )
            changed = citing if file == "events.yaml" else 0
            assert memo.rendered - changed < (pages - changed) / 2, (
                f"after {what}, pages with unchanged inputs were reused"
            )
    assert not (preview / "events" / "russian-oil-imports-rise-2013").exists()


@pytest.mark.parametrize(("date", "end"), [("1000", "9999"), ("9999", "9999-12-31"), ("1000-01-01", "1000")])
def test_any_year_the_check_accepts_builds(tmp_path, date, end):
    # An event ending in 9999 once crashed the overview, which computed 1 January 10000.
    project = tmp_path / "project"
    shutil.copytree(ROOT / "tests" / "fixtures" / "valid", project)
    data = project / "events.yaml"
    data.write_text(data.read_text().replace("    date: 2014\n", f"    date: {date}\n    end: {end}\n", 1))
    result = run_build(tmp_path / "site", "--data", str(data), "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    overview = (tmp_path / "site" / "index.html").read_text()
    # The strip runs from the first chapter's year to the last one's, drawn within the picture.
    years = re.findall(r'<text class="strip-label strip-label-year" x="([\d.]+)"[^>]*>(\d+)</text>', overview)
    assert 1 <= len(years) <= 2
    assert all(0 <= float(x) <= 360 for x, _ in years)
    assert "nan" not in overview.lower().split("<svg", 1)[1].split("</svg>", 1)[0]
