import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from timeline.changes import summary

BEFORE = """events:
  - id: kept
    title: Kept
    date: 2014
  - id: edited
    title: Old title
    date: 2014-03
  - id: dropped
    title: Dropped
    date: 2015
"""
AFTER = """events:
  - id: kept
    title: Kept
    date: 2014
  - id: edited
    title: New | title
    date: 2014-03-04
  - id: new-one
    title: New one
    date: 2016
"""


def test_summary_lists_added_changed_and_removed_events():
    assert summary(BEFORE, AFTER).splitlines() == [
        "## Events in this change",
        "",
        "| | id | date | title |",
        "| --- | --- | --- | --- |",
        "| added | `new-one` | 2016 | New one |",
        "| changed (date, title) | `edited` | 2014-03-04 | New \\| title |",
        "| removed | `dropped` | 2015 | Dropped |",
        "",
        "1 added, 1 changed, 1 removed.",
    ]


def test_summary_of_no_change_says_so():
    assert "No event is added, changed or removed." in summary(BEFORE, BEFORE)


def test_a_new_file_counts_every_event_as_added():
    assert "3 added, 0 changed, 0 removed." in summary("", AFTER)


# The command: I/O errors (no git, a revision the repository does not have) exit with status 2.


def changes(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "changes", "--data", str(folder / "events.yaml"), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True)

    git("init", "-q")
    (tmp_path / "README").write_text("no events yet\n")
    git("add", "README")
    git("commit", "-q", "-m", "first")
    (tmp_path / "events.yaml").write_text(BEFORE)
    git("add", "events.yaml")
    git("commit", "-q", "-m", "second")
    (tmp_path / "events.yaml").write_text(AFTER)
    return tmp_path


def test_changes_compares_with_a_revision(repository):
    assert "1 added, 1 changed, 1 removed." in changes(repository, "HEAD").stdout
    assert "3 added, 0 changed, 0 removed." in changes(repository, "HEAD~1").stdout  # no file then


@pytest.mark.parametrize(
    ("revision", "env", "message"),
    [
        ("no-such-branch", None, "error: 'no-such-branch' is not a revision of the git repository at "),
        ("HEAD~5", None, "error: 'HEAD~5' is not a revision of the git repository at "),
        ("HEAD", {"PATH": "/nonexistent"}, "error: git is not installed or not on PATH"),
    ],
    ids=["unknown revision", "before the first commit", "no git"],
)
def test_changes_io_errors_exit_with_status_2(repository, revision, env, message):
    # Before: an unknown revision listed every event as added, with status 0; no git was a traceback.
    result = changes(repository, revision, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_changes_outside_a_repository_exits_with_status_2(tmp_path):
    (tmp_path / "events.yaml").write_text(AFTER)
    result = changes(tmp_path, "HEAD")
    assert result.returncode == 2
    assert result.stderr.startswith("error: 'HEAD' is not a revision of the git repository at ")
    assert "not a git repository" in result.stderr


def test_changes_never_takes_a_revision_for_an_option(repository):
    # `git show --output=FILE:./events.yaml` would write that file.
    result = changes(repository, "--", "--output=written")
    assert result.returncode == 2
    assert result.stderr == "error: '--output=written' is not a git revision\n"
    assert list(repository.glob("written*")) == []
