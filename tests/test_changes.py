"""`build.py changes`: the pull request's summary of events, and what editors' text can do to it.

The summary is GitHub-flavoured Markdown written into the job summary: it is
rendered here with cmark-gfm (cmarkgfm), GitHub's own parser, with raw HTML
let through as GitHub lets it through to its sanitizer. The terminal tests run
build.py as a maintainer would, and read every byte it prints.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import FIXTURES, HOSTILE, ROOT

from timeline.changes import summary
from timeline.problems import say, shown, visible

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
        "| added | new-one | 2016 | New one |",
        "| changed (date, title) | edited | 2014-03-04 | New \\| title |",
        "| removed | dropped | 2015 | Dropped |",
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


# ---- editors' text in the rendered summary -------------------------------------------

# Each would be markup in a table cell of GitHub-flavoured Markdown if written as is.
HOSTILE_TITLES = [
    "ends by opening a comment, to hide the rows below <!--",
    "--> closes it",
    "<!-- a whole comment -->",
    "<img src=x onerror=alert(1)> <script>alert(1)</script> <b>bold</b>",
    "<https://evil.example/autolink> &amp; &#x3C;img&#x3E; &copy;",
    "[a link](https://evil.example/) ![an image](https://evil.example/x.png) [ref][1] [^note]",
    "[1]: https://evil.example/definition",
    "**strong** __strong__ *em* _em_ ~~struck~~ ~struck~ `code` ``co`de``",
    "a | new | cell \\| and an escaped one",
    "back\\slash at the end\\",
    "a line\nbreak, a row\n| forged | row | here | too |",
    "www.evil.example WWW.evil.example https://evil.example/x ftp://evil.example",
    "$x^2$ and $$y$$ :tada: :white_check_mark: all checks passed",
    "\x1b[2J\x1b]0;pwned\x07\rall checks passed \u202eevil",
    "Japan's 2014-03-04 U.S. #12 (plain text, left as it is)",
]
EVENT = "  - id: {id}\n    date: {date}\n    title: {title}\n"


def quoted(text: str) -> str:
    """A YAML double-quoted scalar holding `text` exactly, controls included."""
    escaped = (f"\\{c}" if c in '\\"' else c if c.isprintable() else f"\\u{ord(c):04X}" for c in text)
    return f'"{"".join(escaped)}"'


def events_yaml(events: list[tuple[str, str, str]]) -> str:
    return "events:\n" + "".join(
        EVENT.format(id=quoted(i), date=quoted(d), title=quoted(t)) for i, d, t in events
    )


class _Rendered(HTMLParser):
    """The rendered summary: its elements, comments, and each body row's cells as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.comments: list[str] = []
        self.rows: list[list[str]] = []
        self.in_body = self.in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.in_body = self.in_body or tag == "tbody"
        if self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.rows[-1].append("")
            self.in_cell = True

    def handle_endtag(self, tag: str) -> None:
        self.in_body = self.in_body and tag != "tbody"
        self.in_cell = self.in_cell and tag != "td"

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        if self.in_cell:
            self.rows[-1][-1] += data


def rendered(markdown: str) -> _Rendered:
    """The summary as GitHub renders it, before its sanitizer: raw HTML is let through."""
    import cmarkgfm  # requirements-dev.txt
    from cmarkgfm.cmark import Options

    parser = _Rendered()
    parser.feed(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))
    parser.close()
    return parser


# What the summary is made of; anything else came from an editor's text.
SUMMARY_TAGS = {"h2", "p", "table", "thead", "tbody", "tr", "th", "td"}


def as_shown(value: str) -> str:
    """What the summary shows of a value: invisible and control characters by code, as the check does."""
    return visible(shown(value, 200))


def test_every_text_from_the_file_shows_as_text_in_the_rendered_summary():
    added = [(f"new-{n}<!--", f"2016-01-{n:02}`", title) for n, title in enumerate(HOSTILE_TITLES, 1)]
    edited = [("edited*", "2014", "Old title"), ("kept|", "2014", "Kept")]
    removed = [("[dropped](https://evil.example/)", "<b>2015</b>", "Dropped -->")]
    before = events_yaml(edited + removed)
    after = events_yaml([*added, ("edited*", "2014-03-04", "<!-- New title"), *edited[1:]])
    page = rendered(summary(before, after))
    assert page.comments == []
    assert set(page.tags) <= SUMMARY_TAGS, set(page.tags) - SUMMARY_TAGS
    # One row for each event added, changed or removed: none hidden, none forged.
    assert len(page.rows) == len(added) + 1 + len(removed)
    expected = [["added", *map(as_shown, event)] for event in added]
    expected += [["changed (date, title)", *map(as_shown, ("edited*", "2014-03-04", "<!-- New title"))]]
    expected += [["removed", *map(as_shown, event)] for event in removed]
    assert page.rows == expected


def test_every_title_of_the_hostile_project_shows_as_text():
    import yaml

    events = yaml.safe_load((HOSTILE / "events.yaml").read_text(encoding="utf-8"))["events"]
    page = rendered(summary("", (HOSTILE / "events.yaml").read_text(encoding="utf-8")))
    assert page.comments == []
    assert set(page.tags) <= SUMMARY_TAGS, set(page.tags) - SUMMARY_TAGS
    assert page.rows == [["added", e["id"], str(e["date"]), as_shown(e["title"])] for e in events]


def test_a_title_of_a_megabyte_is_cut_short_in_the_summary():
    table = summary("", events_yaml([("long", "2014", "x" * 1_000_000)]))
    assert len(table) < 1_000
    assert rendered(table).rows == [["added", "long", "2014", "x" * 199 + "…"]]


# ---- editors' text at the terminal ---------------------------------------------------

# Clear the screen, set the window's title, go back to the start of the line and print a
# result of one's choosing, reversed.
TERMINAL = "\x1b[2J\x1b[H\x1b]0;pwned\x07\r\x9b31m\u202eEVIL — OK, 0 problems"


def printable(output: str) -> bool:
    return all(line.isprintable() for line in output.split("\n"))


def test_say_prints_every_control_character_by_code(capsys):
    say(f"title: {TERMINAL}\nnext line")
    say(f"error: {TERMINAL}", error=True)
    out, err = capsys.readouterr()
    assert (
        out
        == "title: <U+001B>[2J<U+001B>[H<U+001B>]0;pwned<U+0007><U+000D><U+009B>31m<U+202E>EVIL — OK, 0 problems\nnext line\n"
    )
    assert err.startswith("error: <U+001B>[2J")
    assert printable(err)


def build_py(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def project_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of tests/fixtures/valid with `old` replaced by `new` in its events.yaml."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "valid", project)
    data = project / "events.yaml"
    edit(data, old, new)
    return data


def edit(data: Path, old: str, new: str) -> None:
    text = data.read_text(encoding="utf-8")
    assert old in text
    data.write_text(text.replace(old, new, 1), encoding="utf-8")


# Invisible characters a text may hold (the check refuses controls and direction overrides, but
# not direction marks or zero-width ones): a message quoting them shows each by its code.
INVISIBLE = "\u200f\u200b\u2060EVIL — OK, 0 problems"


@pytest.mark.parametrize(
    "where",
    [
        "check: an unknown topic",  # the message quotes it
        "build: text a <script> hides",  # a warning quotes it, then the build's notes follow
    ],
)
def test_check_and_build_print_no_control_character(tmp_path, where):
    if where.startswith("check"):
        # The check refuses the escape sequence itself, naming it by code; a message quoting
        # the same value whole (an unknown topic) shows the invisible characters by code.
        data = project_with(tmp_path, "topics: [lng]", f"topics: [{quoted(TERMINAL)}, {quoted(INVISIBLE)}]")
        result = build_py("check", "--data", str(data), cwd=tmp_path)
        assert result.returncode == 1
        assert "topics item 1 contains U+001B ESCAPE, a control character" in result.stdout
        shown = "<U+200F><U+200B><U+2060>EVIL — OK, 0 problems"
    else:
        summary_line = "summary: Japan consumed a third of global LNG shipments."
        data = project_with(
            tmp_path, summary_line, f"summary: {quoted('x <script>' + INVISIBLE + '</script>')}"
        )
        result = build_py("build", "--data", str(data), "--out", str(tmp_path / "site"), cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "files written" in result.stdout
        shown = "<U+200F><U+200B><U+2060>EVIL"
    assert printable(result.stdout), result.stdout
    assert printable(result.stderr), result.stderr
    assert shown in result.stdout


def test_changes_prints_no_control_character(tmp_path):
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    title = "title: Trade minister says resource diplomacy with Russia is unchanged"
    data = project_with(tmp_path, title, title)

    def run(*args: str) -> None:
        subprocess.run([git, "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                       cwd=data.parent, check=True, capture_output=True)  # fmt: skip

    run("init", "-q")
    run("add", "events.yaml")
    run("commit", "-q", "-m", "before")
    edit(data, title, f"title: {quoted(TERMINAL)}")
    result = build_py("changes", "HEAD", "--data", str(data), cwd=data.parent)
    assert result.returncode == 0, result.stderr
    assert printable(result.stdout), result.stdout
    assert "0 added, 1 changed, 0 removed." in result.stdout
    assert "\\<U+001B\\>\\[2J" in result.stdout


@pytest.mark.parametrize("broken", ["now", "at the base"])
def test_changes_on_a_file_that_does_not_load_says_so_and_exits_1(repository, broken):
    """F15: a broken file has no events; listing every one as removed (or added) with status 0
    announced a mass change where there was a broken file."""
    if broken == "now":
        (repository / "events.yaml").write_text("site: [\n")
        said = f"error: {repository / 'events.yaml'} does not load; run `python build.py check` to see why\n"
    else:
        (repository / "events.yaml").write_text("site: [\n")
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "broken"],
                       cwd=repository, check=True)  # fmt: skip
        (repository / "events.yaml").write_text(AFTER)
        said = (
            f"error: {repository / 'events.yaml'} at HEAD does not load; "
            "run `python build.py check` to see why\n"
        )
    result = changes(repository, "HEAD")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", said)
