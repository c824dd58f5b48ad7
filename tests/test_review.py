"""`build.py review`: the pull request's sticky comment, rendered as GitHub renders it (cmark-gfm,
as tests/test_changes.py does), and the vetting of the site a pull request's CI uploads before it
is published as the preview."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT

from timeline import review

PREVIEW = "https://owner.github.io/repo/pr-preview/7/"


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A repository holding the real events.yaml and seeds/ at its first commit, the base."""
    folder = tmp_path / "repo"
    folder.mkdir()
    shutil.copy(ROOT / "events.yaml", folder / "events.yaml")
    shutil.copytree(ROOT / "seeds", folder / "seeds")
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "base")
    return folder


def run_review(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "review",
            "HEAD",
            "--data",
            str(folder / "events.yaml"),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


class Page(HTMLParser):
    """The rendered comment: its elements, links, text outside code, and each code block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.code: list[str] = []
        self.text = ""
        self.in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag == "pre":
            self.in_pre = True
            self.code.append("")

    def handle_endtag(self, tag: str) -> None:
        self.in_pre = self.in_pre and tag != "pre"

    def handle_data(self, data: str) -> None:
        if self.in_pre:
            self.code[-1] += data
        else:
            self.text += data


def rendered(markdown: str) -> Page:
    import cmarkgfm  # requirements-dev.txt
    from cmarkgfm.cmark import Options

    page = Page()
    page.feed(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))
    page.close()
    return page


# What the comment is made of; anything else would have come from the pull request's text.
COMMENT_TAGS = {"h2", "h3", "p", "strong", "a", "code", "pre", "table", "thead", "tbody", "tr", "th", "td"}

HOSTILE_ADDRESS = "https://evil.example/<img src=x onerror=alert(1)>```@maintainer"


def test_the_comment_of_a_change_that_touches_no_event(repository):
    result = run_review(repository, "--preview", PREVIEW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(review.MARKER + "\n")
    page = rendered(result.stdout)
    assert "Passed (check --strict)." in page.text
    assert "Passed: every change to a published event is recorded in its history" in page.text
    assert "No event is added, changed or removed." in page.text
    assert "New external addresses\nNone." in page.text
    assert page.links == [PREVIEW]


def test_an_added_event_is_linked_into_the_preview(repository):
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "propose", str(ROOT / "tests/fixtures/propose/existing-source.md"),
         "--data", str(repository / "events.yaml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    page = rendered(run_review(repository, "--preview", PREVIEW).stdout)
    event = "foreign-minister-kishida-still-plans-to-visit-russia-2014"
    assert page.links == [PREVIEW, f"{PREVIEW}events/{event}/"]
    assert "1 added, 0 changed, 0 removed." in page.text


def replace_value(text: str, path: tuple, value: str) -> str:
    """`text` with the value at `path` (a key of a block mapping) written anew, whatever the file
    holds there now: the test needs only the file's structure."""
    from timeline.changes import document_of

    document = document_of(text)
    line, column = document.where_key(path)
    lines = text.split("\n")
    end = line
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > column - 1
    ):
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    lines[line - 1 : end] = [f"{' ' * (column - 1)}{path[-1]}: {value}"]
    return "\n".join(lines)


def test_the_comment_reports_the_check_the_corrections_rules_events_and_new_addresses(repository):
    from timeline.changes import document_of

    path = repository / "events.yaml"
    text = path.read_text(encoding="utf-8")
    events = document_of(text).data["events"]
    edited, tagged = events[3]["id"], events[4]["id"]
    # A published title changed without a history entry (the corrections rule), an unknown topic
    # (the check), and a source's address that is new, hostile text and all.
    title = "Trade minister | says <b>resource</b> diplomacy is [unchanged](https://x.example)"
    text = replace_value(text, ("events", 3, "title"), f'"{title}"')
    text = replace_value(text, ("events", 4, "topics"), "[sanction]")
    text = replace_value(text, ("sources", 0, "url"), f'"{HOSTILE_ADDRESS}"')
    path.write_text(text, encoding="utf-8")
    result = run_review(repository, "--preview", PREVIEW)
    assert result.returncode == 0, result.stderr
    page = rendered(result.stdout)
    assert set(page.tags) <= COMMENT_TAGS, set(page.tags) - COMMENT_TAGS
    assert "Failed: 2 problems (check --strict):" in page.text
    check_block, rules_block, addresses_block = page.code
    assert "error: unknown topic 'sanction' (did you mean 'sanctions'?)" in check_block
    assert "must be an absolute http(s) address" in check_block
    assert "Failed: 1 problem: a published event" in page.text
    assert re.fullmatch(
        rf"events\.yaml:\d+:\d+: error: the title of published event '{edited}' changed without a new history entry; .*\n",
        rules_block,
    )
    assert HOSTILE_ADDRESS + "\n" in addresses_block
    # The changed events' rows: the title as typed, as text; each linked into the preview.
    assert title in page.text
    assert page.links == [PREVIEW, f"{PREVIEW}events/{edited}/", f"{PREVIEW}events/{tagged}/"]
    assert "@maintainer" not in page.text


def test_an_event_id_that_is_not_an_id_gets_no_link(repository):
    path = repository / "events.yaml"
    text = path.read_text(encoding="utf-8").replace("  - id: islands-seized-1945", '  - id: "../../evil"', 1)
    path.write_text(text, encoding="utf-8")
    page = rendered(run_review(repository, "--preview", PREVIEW).stdout)
    assert all(link.startswith(PREVIEW) for link in page.links)
    assert "../../evil" in page.text  # listed, as text
    assert f"{PREVIEW}events/../../evil/" not in page.links


def test_a_preview_address_must_be_a_plain_https_folder(repository):
    result = run_review(repository, "--preview", "javascript:alert(1)//")
    assert result.returncode == 2
    assert result.stderr.startswith("error: not a preview address")


# ---------------------------------------------------------------- the uploaded site


def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    (folder / "events" / "x").mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (folder / "events" / "x" / "index.html").write_text("<!doctype html>", encoding="utf-8")
    return folder


def test_a_site_of_plain_files_is_published(tmp_path, repository):
    assert review.vet_site(site(tmp_path)) == (2, 30)
    result = run_review(repository, "--site", str(site(tmp_path / "again")), "--preview", PREVIEW)
    assert result.returncode == 0
    assert "[Open the preview of the site]" in result.stdout


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda f: (f / "passwd").symlink_to("/etc/passwd"), "the uploaded site holds a link: passwd"),
        (lambda f: (f / "events" / "up").symlink_to(".."), "the uploaded site holds a link: events/up"),
        (lambda f: os.mkfifo(f / "pipe"), "the uploaded site holds a special file: pipe"),
        (lambda f: (f / "index.html").unlink(), "the uploaded site has no index.html"),
        (
            # sparse: the size counts, not the disk used
            lambda f: (
                os.truncate(f / "big.bin", review.MAX_SITE_BYTES + 1)
                if (f / "big.bin").touch() is None
                else None
            ),
            "the uploaded site is over the preview's limit of 20,000 files or 200 MB",
        ),
        (
            lambda f: [(f / f"{n}.html").touch() for n in range(review.MAX_SITE_FILES)],
            "the uploaded site is over the preview's limit of 20,000 files or 200 MB",
        ),
    ],
    ids=["link-out", "link-up", "fifo", "no-index", "too-big", "too-many"],
)
def test_an_uploaded_site_that_is_not_plain_files_within_limits_is_refused(
    tmp_path, repository, damage, reason
):
    folder = site(tmp_path)
    damage(folder)
    with pytest.raises(review.SiteRefused) as refused:
        review.vet_site(folder)
    assert str(refused.value) == reason
    result = run_review(repository, "--site", str(folder), "--preview", PREVIEW)
    assert result.returncode == 1
    assert result.stderr == f"error: {reason}; not published as the preview\n"
    page = rendered(result.stdout)
    assert page.links == []
    assert "No preview: the uploaded site" in page.text
