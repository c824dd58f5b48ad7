"""Stopping a build half way: Ctrl-C and SIGTERM print one line and leave nothing behind; after
a SIGKILL, which no process can catch, the next build removes what was left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, run_build
from test_build import PAGEFIND_UNSTABLE, tree_hash

from timeline import render, writer

# Enough events that each stage lasts long enough to be caught, and that the pages are rendered
# in two processes (render.PARALLEL_FROM), so the forked worker gets Ctrl-C too.
EVENTS = 600


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The events.yaml of a generated project of EVENTS events (never built whole here: each
    test stops its build, and the previous site it keeps is the real one)."""
    folder = tmp_path_factory.mktemp("big")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), str(EVENTS), str(folder)], check=True
    )
    assert EVENTS >= render.PARALLEL_FROM
    return folder / "events.yaml"


def _children(pid: int) -> dict[str, str]:
    """A process's child processes: each one's pid and name."""
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return {}
    found = {}
    for kid in kids:
        try:
            found[kid] = Path(f"/proc/{kid}/comm").read_text().strip()
        except OSError:
            continue
    return found


def _python_children(pid: int) -> set[str]:
    return {kid for kid, name in _children(pid).items() if name.startswith("python")}


def _rendering(pid: int) -> bool:
    first = _python_children(pid)
    if not first:
        return False
    time.sleep(0.005)
    return bool(first & _python_children(pid))


def _workspaces(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(".site.")]


# When to stop the build: each is checked every millisecond while it runs.
MOMENTS: dict[str, Callable[[int, Path], bool]] = {
    # the forked process renders half of the pages (a python child seen twice, 5 ms apart: a child
    # caught between fork and exec, such as git asked for the data's version, is python for an instant)
    "render": lambda pid, parent: _rendering(pid),
    # pages are being written into the staging folder; Pagefind has not started
    "write": lambda pid, parent: (
        not _children(pid) and any((w / "site" / "events").exists() for w in _workspaces(parent))
    ),
    # Pagefind indexes the written pages
    "index": lambda pid, parent: "pagefind" in _children(pid).values(),
}


def _stop_build_when(
    moment: str, data: Path, out: Path, send: Callable[[int], None]
) -> subprocess.CompletedProcess[str]:
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("this kernel does not list a process's children in /proc")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "build", "--data", str(data), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal runs it
    )
    reached = False
    while process.poll() is None:
        if MOMENTS[moment](process.pid, out.parent):
            reached = True
            send(process.pid)
            break
        time.sleep(0.001)
    stdout, stderr = process.communicate(timeout=120)
    assert reached, f"the build ended before the {moment} stage was seen: {stdout}{stderr}"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _copy_of(site: Path, tmp_path: Path) -> tuple[Path, str]:
    out = tmp_path / "site"
    shutil.copytree(site, out)
    return out, tree_hash(out)


# A build whose render pool sends Ctrl-C to its process group the instant it has forked its
# worker, before the pool is set up: the moment where an interrupt used to leave the worker
# waiting for work and the build waiting for it forever, or print the worker's traceback.
_CTRL_C_AS_THE_WORKER_STARTS = """
import os, runpy, signal, sys
from concurrent.futures import ProcessPoolExecutor
from timeline import render

class CtrlCAsTheWorkerStarts(ProcessPoolExecutor):
    def _spawn_process(self):
        super()._spawn_process()
        print("forked", file=sys.stderr, flush=True)
        os.killpg(0, signal.SIGINT)

render.ProcessPoolExecutor = CtrlCAsTheWorkerStarts
sys.argv = ["build.py", "build", "--data", sys.argv[1], "--out", sys.argv[2]]
runpy.run_path("build.py", run_name="__main__")
"""


def test_ctrl_c_as_the_render_worker_starts_neither_hangs_nor_prints_a_traceback(big, built_site, tmp_path):
    out, before = _copy_of(built_site, tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", _CTRL_C_AS_THE_WORKER_STARTS, str(big), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,  # it used to hang
        start_new_session=True,
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr == f"forked\nInterrupted; the previous site in {out} is unchanged.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert tree_hash(out) == before


# build.py signalled by the import system itself the moment it starts importing `module`: the
# first of its own (timeline) or a heavy third-party one in the middle (Jinja2), deterministically
# inside the ~0.9 s of imports, before timeline.cli's handlers exist.
_SIGNAL_WHILE_IMPORTING = """
import os, runpy, sys

MODULE, SIGNAL = sys.argv[1], int(sys.argv[2])

class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == MODULE:
            sys.meta_path.remove(self)
            print("importing", name, file=sys.stderr, flush=True)
            os.kill(os.getpid(), SIGNAL)
        return None  # the module is then found as usual, if the signal lets it

sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["build.py", "build", "--out", sys.argv[3]]
runpy.run_path("build.py", run_name="__main__")
"""


@pytest.mark.parametrize("module", ["timeline", "jinja2"])
@pytest.mark.parametrize(
    ("signum", "line"), [(signal.SIGINT, "Interrupted."), (signal.SIGTERM, "Terminated.")]
)
def test_a_signal_while_build_py_imports_prints_one_line_and_no_traceback(tmp_path, module, signum, line):
    out = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-c", _SIGNAL_WHILE_IMPORTING, module, str(int(signum)), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (
        128 + signum,
        "",
        f"importing {module}\n{line}\n",
    )
    assert list(tmp_path.iterdir()) == [], "nothing was written"


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_ctrl_c_prints_one_line_exits_130_and_leaves_the_site_and_nothing_else(
    big, built_site, tmp_path, moment
):
    out, before = _copy_of(built_site, tmp_path)
    # Ctrl-C at a terminal signals the whole process group: the build, its worker, Pagefind.
    result = _stop_build_when(moment, big, out, lambda pid: os.killpg(pid, signal.SIGINT))
    assert result.returncode == 130, result.stdout + result.stderr
    assert result.stderr == f"Interrupted; the previous site in {out} is unchanged.\n"
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"], "no staging folder is left"
    assert tree_hash(out) == before


def test_sigterm_prints_one_line_exits_143_and_removes_its_staging_folder(big, built_site, tmp_path):
    out, before = _copy_of(built_site, tmp_path)
    result = _stop_build_when("index", big, out, lambda pid: os.kill(pid, signal.SIGTERM))
    assert result.returncode == 128 + signal.SIGTERM, result.stdout + result.stderr
    assert result.stderr == f"Terminated; the previous site in {out} is unchanged.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert tree_hash(out) == before


def test_the_next_build_removes_what_a_killed_build_left(big, built_site, tmp_path):
    out, before = _copy_of(built_site, tmp_path)
    result = _stop_build_when("write", big, out, lambda pid: os.kill(pid, signal.SIGKILL))
    assert result.returncode == -signal.SIGKILL
    assert tree_hash(out) == before
    [left] = _workspaces(tmp_path)
    assert left.name.startswith(".site.new-"), left.name
    assert (left / "site" / "events").is_dir(), "it was killed while writing the pages"
    rebuilt = run_build(out)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert tree_hash(out, skip=PAGEFIND_UNSTABLE) == tree_hash(built_site, skip=PAGEFIND_UNSTABLE)


def test_a_killed_preview_reindex_is_removed_by_the_next_build(built_site, tmp_path):
    out = tmp_path / "site"
    shutil.copytree(built_site, out)
    # A process holding a search workspace, as the preview's re-index does, killed in it.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from timeline import writer\n"
            "with writer.workspace(Path(sys.argv[1]), 'search') as folder:\n"
            "    (folder / 'pagefind').mkdir(); print(folder, flush=True); time.sleep(600)",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    left = Path(holder.stdout.readline().strip())
    assert left.name.startswith(f".site.search-{holder.pid}-"), left.name
    assert run_build(out).returncode == 0
    assert left.is_dir(), "a live process's workspace is left alone"
    holder.kill()
    holder.wait()
    holder.stdout.close()
    assert left.is_dir()
    assert run_build(out).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_leftovers_are_only_ever_our_own_workspaces_of_ended_processes(tmp_path):
    out = tmp_path / "site"
    # Folders that look like ours but are not, and must survive: no lock file; a symlink to a
    # workspace; another output's workspace; a name outside the pattern.
    unlocked = tmp_path / ".site.new-123-abcdef"
    (unlocked / "site").mkdir(parents=True)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / ".timeline-workspace.lock").write_bytes(b"")
    (tmp_path / ".site.new-124-symlink").symlink_to(target)
    with writer.workspace(tmp_path / "other", "new") as others:
        (tmp_path / ".site.old-125").mkdir()
        (tmp_path / ".site.new-x").mkdir()
        with writer.workspace(out, "new") as ours:
            assert ours.name.startswith(f".site.new-{os.getpid()}-")
            assert writer.remove_leftovers(out) == [], "our own, live workspace is kept"
        dead = tmp_path / ".site.new-126-deadbeef"
        dead.mkdir()
        (dead / ".timeline-workspace.lock").write_bytes(b"")  # nobody holds its lock
        (dead / "site").mkdir()
        empty = tmp_path / ".site.search-127-empty"
        empty.mkdir()
        os.utime(empty, (time.time() - 3600, time.time() - 3600))
        fresh_empty = tmp_path / ".site.search-128-fresh"
        fresh_empty.mkdir()  # may be a workspace being set up this instant
        assert sorted(writer.remove_leftovers(out)) == [dead, empty]
        assert others.is_dir()
    kept = [".site.new-123-abcdef", ".site.new-124-symlink", ".site.old-125", ".site.new-x"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*kept, "elsewhere", ".site.search-128-fresh"]
    )
