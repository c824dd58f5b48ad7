"""The hostile corpus: what an editor, or an attacker, might feed build.py.

Each case of tests/fixtures/hostile/cases.yaml is copied into a folder as
events.yaml beside its seeds/, and `python build.py check` runs there, as an
editor runs it. Every case must end in exit status 1 with exactly the lines
the manifest lists, each problem at its file, line and column, and never a
traceback; a failed `build` must leave the output folder as it was.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT

from timeline.loader import MAX_BYTES
from timeline.writer import MARKER

HOSTILE = FIXTURES / "hostile"
CASES = yaml.safe_load((HOSTILE / "cases.yaml").read_text(encoding="utf-8"))["cases"]
BUILD_CASES = [case for case in CASES if case.get("build")]
# An editor's terminal: plain text even when the tests run inside GitHub Actions.
ENV = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"} | {
    "PYTHONIOENCODING": "utf-8"
}
LOCATED = re.compile(r"events\.yaml:[1-9]\d*:[1-9]\d*: (error|warning): \S")


def _pad_over_the_limit(folder: Path) -> None:
    """One byte over MAX_BYTES: a file that size is not committed, it is made here."""
    data = folder / "events.yaml"
    text = data.read_bytes()
    data.write_bytes(text + b"#" * (MAX_BYTES - len(text)) + b"\n")


def _megabyte(folder: Path) -> None:
    data = folder / "events.yaml"
    data.write_text(data.read_text(encoding="utf-8").replace("@MEGABYTE@", "a" * 1_000_000), encoding="utf-8")


def _link_outside_seeds(folder: Path) -> None:
    # Git would store the link as committed, pointing wherever the clone is; made here it
    # points at a real file beside seeds/, which a build must not publish.
    (folder / "secret.txt").write_text("Not a source document.\n", encoding="utf-8")
    (folder / "seeds" / "outside.txt").symlink_to(folder / "secret.txt")


def _link_loop(folder: Path) -> None:
    # A link to itself: resolving it loops (Python 3.11 raises RuntimeError, not OSError).
    (folder / "seeds" / "loop.txt").symlink_to("loop.txt")


MAKERS = {
    "oversize": _pad_over_the_limit,
    "megabyte": _megabyte,
    "symlink-outside": _link_outside_seeds,
    "symlink-loop": _link_loop,
}


def project(case: dict, tmp_path: Path) -> Path:
    """The case as an editor's folder: events.yaml and seeds/."""
    folder = tmp_path / "project"
    shutil.copytree(HOSTILE / case.get("seeds", "../valid/seeds"), folder / "seeds")
    shutil.copyfile(HOSTILE / "data" / f"{case['name']}.yaml", folder / "events.yaml")
    if "make" in case:
        MAKERS[case["make"]](folder)
    return folder


def build_py(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args, "--data", "events.yaml", "--seeds", "seeds"],
        cwd=folder,
        capture_output=True,
        encoding="utf-8",
        env=ENV,
        check=False,
    )


def assert_refused_exactly(result: subprocess.CompletedProcess[str], case: dict) -> None:
    assert "Traceback" not in result.stdout + result.stderr
    assert (result.returncode, result.stderr) == (1, ""), result.stdout + result.stderr
    assert result.stdout.splitlines() == case["output"]


def test_the_manifest_has_every_case_once_each_with_located_lines():
    names = [case["name"] for case in CASES]
    assert len(names) >= 40
    assert sorted(names) == sorted(set(names)) == sorted(p.stem for p in (HOSTILE / "data").iterdir())
    for case in CASES:
        *problems, summary = case["output"]
        # Indented lines are details under a problem, such as the closest passage.
        assert all(LOCATED.match(line) for line in problems if not line.startswith("    ")), case["name"]
        assert re.fullmatch(r"\d+ problems?( \(.*\))? in events\.yaml", summary), case["name"]
        assert set(case) <= {"name", "seeds", "make", "build", "output"}, case["name"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_check_refuses_with_exactly_the_located_messages(case, tmp_path):
    assert_refused_exactly(build_py(project(case, tmp_path), "check"), case)


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under `folder`, with each file's content: what a build could have changed."""

    def content(path: Path) -> bytes | None:
        if path.is_symlink():  # a link is what it says; it may lead nowhere (a loop)
            return b"-> " + str(path.readlink()).encode()
        return None if path.is_dir() else path.read_bytes()

    return {str(p.relative_to(folder)): content(p) for p in folder.rglob("*")}


@pytest.mark.parametrize("case", BUILD_CASES, ids=[case["name"] for case in BUILD_CASES])
def test_build_refuses_and_writes_nothing(case, tmp_path):
    folder = project(case, tmp_path)
    previous = folder / "site"
    previous.mkdir()
    (previous / MARKER).write_bytes(b"")
    (previous / "index.html").write_text("The previous site.\n", encoding="utf-8")
    before = _tree(folder)
    assert_refused_exactly(build_py(folder, "build", "--out", "site"), case)
    # The previous site is as it was, and no half-written folder is left beside it.
    assert _tree(folder) == before
    assert_refused_exactly(build_py(folder, "build", "--out", "new-site"), case)
    assert _tree(folder) == before
