"""`build.py propose`: an event proposed with the issue form, from the issue's Markdown to a
checked events.yaml. The recorded bodies in tests/fixtures/propose/ are written as GitHub writes
a form's answers ("### Label", the answer, "_No response_" for an empty field).

Everything in an issue is untrusted: the hostile cases prove that no text can change the YAML's
structure, and that nothing is written until the check passes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT
from hypothesis import assume, given
from hypothesis import strategies as st

from timeline import propose
from timeline.changes import document_of
from timeline.loader import decode, load, refused_character

RECORDED = FIXTURES / "propose"


def project(tmp_path: Path, source: Path = ROOT) -> Path:
    """A copy of the project's data and seeds, which the command may change."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(source / "events.yaml", folder / "events.yaml")
    shutil.copytree(source / "seeds", folder / "seeds")
    return folder


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def run_propose(folder: Path, body: Path | str) -> subprocess.CompletedProcess[str]:
    if isinstance(body, str):
        (folder.parent / "issue.md").write_text(body, encoding="utf-8")
        body = folder.parent / "issue.md"
    return run(
        "propose",
        str(body),
        "--data",
        str(folder / "events.yaml"),
        "--report",
        str(folder.parent / "report.md"),
    )


def body(**answers: str) -> str:
    """An issue body as GitHub writes the form's answers; fields not given are left empty."""
    parts = []
    for key, label in propose.FIELDS:
        answer = answers.get(key, propose.NO_RESPONSE)
        if key == "new_text" and key in answers:
            answer = f"```text\n{answer}\n```"
        parts.append(f"### {label}\n\n{answer}\n")
    return "\n".join(parts)


KISHIDA = {
    "title": "Foreign Minister Kishida still plans to visit Russia in the spring",
    "date": "2014-03-03",
    "era": "Crimea, 2014 (crimea-2014)",
    "summary": "The Japanese government said Foreign Minister Fumio Kishida still planned to visit Russia that spring.",
    "topics": "Diplomacy (diplomacy)",
    "actors": "Japan (japan), Russia (russia)",
    "source": "Japan's Embrace of Russia Under Threat with Ukraine Crisis — Reuters, republished by VOA, 2014-03-04 (voa-2014-03-04)",
    "quote": "Japanese Foreign Minister Fumio Kishida still plans to visit Russia this spring, the government said on Monday.",
}


def inserted(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`, checking that every line of `before` is kept, in order
    and byte for byte: the file's comments and formatting undisturbed."""
    old, new = before.split("\n"), after.split("\n")
    added = []
    i = 0
    for line in new:
        if i < len(old) and line == old[i]:
            i += 1
        else:
            added.append(line)
    assert i == len(old), "a line of the original file is missing or changed"
    return added


# ---------------------------------------------------------------- the form


def test_the_committed_form_is_generated_from_events_yaml():
    """Another change may rename or merge topics and actors: the form must follow events.yaml."""
    document = document_of((ROOT / "events.yaml").read_text(encoding="utf-8"))
    assert document is not None
    committed = (ROOT / propose.FORM).read_text(encoding="utf-8")
    assert committed == propose.form_yaml(document.data), (
        "the issue form is out of date: run `python build.py propose --form` (make form) and commit it"
    )


def test_the_form_lists_every_chapter_topic_actor_and_source_and_asks_in_the_parsers_order():
    data = document_of((ROOT / "events.yaml").read_text(encoding="utf-8")).data
    form = yaml.safe_load((ROOT / propose.FORM).read_text(encoding="utf-8"))
    fields = [item for item in form["body"] if item["type"] != "markdown"]
    assert [(f["id"], f["attributes"]["label"]) for f in fields] == list(propose.FIELDS)
    assert len({f["id"] for f in fields}) == len(fields)
    options = {f["id"]: f["attributes"].get("options", []) for f in fields}
    for key, declared in (
        ("era", [e["id"] for e in data["eras"]]),
        ("topics", list(data["topics"])),
        ("actors", list(data["actors"])),
        ("source", [s["id"] for s in data["sources"]]),
    ):
        assert [propose._ids(o)[0] for o in options[key] if o != propose.NEW_SOURCE] == declared, key
    assert options["source"][-1] == propose.NEW_SOURCE
    assert fields[-1]["attributes"]["render"] == "text"  # the document's text, fenced, comes last
    assert {f["id"] for f in fields if f.get("validations", {}).get("required")} == set(propose._REQUIRED)


def test_propose_form_writes_the_form_for_another_vocabulary(tmp_path):
    """Generated, not hand-written: the small fixture project's vocabulary gives its own form."""
    folder = project(tmp_path, FIXTURES / "valid")
    result = run("propose", "--form", "--data", str(folder / "events.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    form = yaml.safe_load((folder / propose.FORM).read_text(encoding="utf-8"))
    topics = next(f for f in form["body"] if f.get("id") == "topics")
    assert topics["attributes"]["options"] == ["Diplomacy (diplomacy)", "Liquefied natural gas (lng)"]


# ---------------------------------------------------------------- good proposals, end to end


@pytest.mark.parametrize("name", ["existing-source.md", "crlf.md"])
def test_a_recorded_proposal_becomes_a_checked_event_in_date_order(tmp_path, name):
    folder = project(tmp_path)
    before = (folder / "events.yaml").read_text(encoding="utf-8")
    result = run_propose(folder, RECORDED / name)
    assert result.returncode == 0, result.stdout + result.stderr
    after = (folder / "events.yaml").read_text(encoding="utf-8")
    event_id = "foreign-minister-kishida-still-plans-to-visit-russia-2014"
    assert inserted(before, after) == [
        f"  - id: {event_id}",
        "    date: 2014-03-03",
        '    date_note: "The article of Tuesday 4 March 2014 says \\"the government said on Monday\\"."',
        "    era: crimea-2014",
        '    title: "Foreign Minister Kishida still plans to visit Russia in the spring"',
        '    summary: "The Japanese government said Foreign Minister Fumio Kishida still planned to visit Russia that spring."',
        "    topics: [diplomacy]",
        "    actors: [japan, fumio-kishida, russia]",
        "    citations:",
        "      - source: voa-2014-03-04",
        '        quote: "Japanese Foreign Minister Fumio Kishida still plans to visit Russia this spring, the government said on Monday."',
        "",
    ]
    # In date order within its chapter: after the last event of 2 and 3 March 2014, before 4 March.
    events = document_of(after).data["events"]
    ids = [e["id"] for e in events]
    n = ids.index(event_id)
    assert str(events[n - 1]["date"]) <= "2014-03-03" < str(events[n + 1]["date"])
    assert events[n - 1]["era"] == events[n + 1]["era"] == "crimea-2014"
    assert sorted(p.name for p in (folder / "seeds").iterdir()) == sorted(
        p.name for p in (ROOT / "seeds").iterdir()
    )
    checked = run("check", "--strict", "--data", str(folder / "events.yaml"))
    assert checked.returncode == 0, checked.stdout
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "**The check passed.**" in report
    assert f"| added | {event_id} | 2014-03-03 |" in report


def test_a_proposal_with_a_new_document_adds_the_seed_and_the_source(tmp_path):
    folder = project(tmp_path)
    before = (folder / "events.yaml").read_text(encoding="utf-8")
    result = run_propose(folder, RECORDED / "new-document.md")
    assert result.returncode == 0, result.stdout + result.stderr
    after = (folder / "events.yaml").read_text(encoding="utf-8")
    added = inserted(before, after)
    new_seeds = {p.name for p in (folder / "seeds").iterdir()} - {p.name for p in (ROOT / "seeds").iterdir()}
    assert len(new_seeds) == 1
    (name,) = new_seeds
    assert re.fullmatch(r"005_[0-9a-f]{16}\.txt", name)
    # Verbatim, the Markdown heading and the fence inside it included; GitHub's own fence removed.
    assert (folder / "seeds" / name).read_text(encoding="utf-8") == (
        "Japan's LNG imports from Russia rise\n### Quote\n\n"
        "Japan's LNG imports from Russia's Far East rose by a fifth in 2014, the ministry said.\n```\n"
    )
    assert added[:8] == [
        "  - id: example-daily-news-1-2015-01-30",
        f"    file: {name}",
        '    title: "Japan\'s LNG imports from Russia rise"',
        '    publisher: "Example Daily: \\"News\\" # 1"',
        "    published: 2015-01-30",
        "    reliability: medium",
        '    assessment: "A short wire report; its figures match the ministry\'s tables."',
        "",
    ]
    data = document_of(after).data
    assert data["sources"][-1]["publisher"] == 'Example Daily: "News" # 1'
    assert data["events"][-1]["id"] != "japans-lng-imports-from-russias-far-east-rise-by-a-fifth-in-2015"
    (event,) = [e for e in data["events"] if e["citations"][0]["source"] == "example-daily-news-1-2015-01-30"]
    assert event["era"] == "crimea-2014"
    assert run("check", "--strict", "--data", str(folder / "events.yaml")).returncode == 0
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "with the new document in `seeds/`" in report
    assert "```text\nhttps://news.example.com/lng-imports?id=1&x=<script>\n```" in report


def test_an_event_earlier_than_its_chapter_goes_first_below_the_chapters_heading(tmp_path):
    folder = project(tmp_path)
    before = (folder / "events.yaml").read_text(encoding="utf-8")
    answers = {**KISHIDA, "date": "1900", "title": "An early event"}
    result = run_propose(folder, body(**answers))
    assert result.returncode == 0, result.stdout + result.stderr
    after = (folder / "events.yaml").read_text(encoding="utf-8")
    lines = after.split("\n")
    start = lines.index("  - id: an-early-event-1900")
    # The comment that heads the chapter stays above its events, the new one now first.
    assert lines[start - 2].startswith("  # ----")
    assert lines[start - 1] == ""
    assert lines[start + 10 : start + 12] == ["", "  - id: islands-seized-1945"]
    inserted(before, after)


def test_the_tool_needs_only_the_structure_of_events_yaml(tmp_path):
    """Another file (the small fixture project: no comments, events out of date order, no blank
    lines between them) gets the event before the first later one of its chapter."""
    folder = project(tmp_path, FIXTURES / "valid")
    before = (folder / "events.yaml").read_text(encoding="utf-8")
    answers = {**KISHIDA, "source": "Voice of America (voa-2014-03-04)", "actors": "Japan (japan)"}
    result = run_propose(folder, body(**answers))
    assert result.returncode == 0, result.stdout + result.stderr
    after = (folder / "events.yaml").read_text(encoding="utf-8")
    assert inserted(before, after)[-1] == ""
    assert [e["id"] for e in document_of(after).data["events"]] == [
        "foreign-minister-kishida-still-plans-to-visit-russia-2014",
        "motegi-no-change-2014",
        "lng-share-2014",
    ]


# ---------------------------------------------------------------- broken proposals


BROKEN = {
    "unknown-topic.md": ["Topics: error: unknown topic 'sanction' (did you mean 'sanctions'?)"],
    "quote-not-in-source.md": [
        "Quote: error: quote not found in source 'voa-2014-03-04'",
        'closest passage: "… in the autumn. Japanese Foreign Minister Fumio Kishida still plans to visit Russia this spring, the government said on Monday. Official comments by Japanese …"',
    ],
    "date-wrong-form.md": [
        "Date: error: '3 March 2014' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD, such as 2014, 2014-03 or 2014-03-04"
    ],
    "missing-title.md": ["Title: error: is empty; fill it in"],
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_proposal_gets_plain_messages_and_nothing_is_written(tmp_path, name):
    folder = project(tmp_path)
    before = (folder / "events.yaml").read_bytes()
    result = run_propose(folder, RECORDED / name)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.splitlines() == [*BROKEN[name], "1 problem in the proposal; nothing was written"]
    assert (folder / "events.yaml").read_bytes() == before
    assert sorted(p.name for p in (folder / "seeds").iterdir()) == sorted(
        p.name for p in (ROOT / "seeds").iterdir()
    )
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "**Your proposal cannot be added yet: 1 problem to fix.** Nothing was changed." in report
    assert BROKEN[name][0].replace(": error:", ":", 1) in report


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {**KISHIDA, "source": propose.NEW_SOURCE},
            [
                f"{propose.LABELS[k]}: error: is empty; a new document needs it (or choose a document above)"
                for k in propose._NEW_FIELDS
            ],
        ),
        (
            {**KISHIDA, "new_title": "A title"},
            [
                'Source: error: a document is chosen and a new document\'s details are filled in; choose "A new document: give its details and full text below" or empty the fields of the new document'
            ],
        ),
        (
            {
                **KISHIDA,
                "era": "The Cold War (cold-war)",
                "actors": "Japan (japan), Jean Dupont (jean-dupont)",
            },
            [
                "Chapter: error: unknown era 'cold-war'",
                "Actors: error: unknown actor 'jean-dupont'; declare it under 'actors' first",
            ],
        ),
        (
            {**KISHIDA, "date": "2014-02-30"},
            ["Date: error: '2014-02-30' is not a real date: February 2014 has 28 days"],
        ),
        (
            {**KISHIDA, "title": "x" * 151},
            ["Title: error: title is 151 characters long, over the limit of 150; shorten it"],
        ),
    ],
    ids=[
        "new-document-incomplete",
        "both-sources",
        "unknown-chapter-and-actor",
        "impossible-date",
        "long-title",
    ],
)
def test_more_mistakes_each_named_by_their_field(tmp_path, answers, expected):
    folder = project(tmp_path)
    before = (folder / "events.yaml").read_bytes()
    result = run_propose(folder, body(**answers))
    assert result.returncode == 1, result.stdout
    assert result.stdout.splitlines()[:-1] == expected
    assert (folder / "events.yaml").read_bytes() == before


def test_a_body_not_written_with_the_form_is_said_so(tmp_path):
    folder = project(tmp_path)
    result = run_propose(folder, "Please add the 2014 summit.\n")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        'Form: error: this issue was not written with the "Propose an event" form'
    )


def test_an_unreadable_body_file_is_a_usage_error(tmp_path):
    folder = project(tmp_path)
    result = run_propose(folder, tmp_path / "missing.md")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("missing.md not found")
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- hostile text


HOSTILE = [
    'He said: "no" # not a comment',
    "key: value\n    era: bessent-2025\n  - id: injected",
    "!!python/object/apply:os.system ['id']",
    "&anchor *alias --- ... | > ' \" \\ \\n %TAG",
    "[not, a, list] {not: a map}",
    "@maintainer <img src=x onerror=alert(1)> ```` `code` [link](javascript:alert(1))",
    "null",
    "Résumé — “quoted” 日本",
    "trailing spaces   \n\n\nand blank lines\n",
    "x" * 20000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_any_text_is_one_value_and_reads_back_exactly(text):
    written = f"key: {propose.quoted(text)}\nother: kept\n"
    document, problems = load(decode(written.encode("utf-8"))[0])
    assert problems == []
    assert document.data == {"key": text, "other": "kept"}
    assert "\n" not in propose.quoted(text)


@given(st.text())
def test_any_text_reads_back_exactly_fuzzed(text):
    assume(refused_character(text) is None)
    document, problems = load(f"key: {propose.quoted(text)}\nother: [{propose.scalar(text)}]\n")
    assert problems == []
    assert document.data == {"key": text, "other": [text]}


def test_ids_and_dates_stay_plain_only_when_yaml_reads_them_as_written():
    assert propose.scalar("diplomacy") == "diplomacy"
    assert propose.scalar("2014-03") == "2014-03"
    assert propose.scalar("005_0123456789abcdef.txt") == "005_0123456789abcdef.txt"
    for word in ("null", "true", "no", "on", "2014x", "1e3", "0x10"):
        assert propose.scalar(word) in (word, f'"{word}"')
        assert yaml.safe_load(f"[{propose.scalar(word)}]") == [word] or propose.scalar(word) == "2014x"


def test_hostile_answers_are_added_as_text_or_refused_by_the_check(tmp_path):
    """A summary that looks like YAML keys stays the summary; a quote of the document holding a
    line break stays one quote; the check refuses what it refuses in any edit."""
    folder = project(tmp_path)
    summary = (
        'Kishida: "still" plans # to visit\n    era: bessent-2025\n  - id: injected\n!!python/name:os.system'
    )
    result = run_propose(folder, body(**{**KISHIDA, "summary": summary, "title": "Title: #1 & *x !!str"}))
    assert result.returncode == 0, result.stdout + result.stderr
    data = document_of((folder / "events.yaml").read_text(encoding="utf-8")).data
    (event,) = [e for e in data["events"] if e["title"] == "Title: #1 & *x !!str"]
    assert event["summary"] == summary
    assert event["era"] == "crimea-2014"
    assert "injected" not in [e["id"] for e in data["events"]]

    (tmp_path / "second").mkdir()
    refused = run_propose(project(tmp_path / "second", ROOT), body(**{**KISHIDA, "title": "Right\u202eleft"}))
    assert refused.returncode == 1
    assert refused.stdout.startswith("Title: error: ")
    assert "U+202E" in refused.stdout
    assert "\u202e" not in refused.stdout  # shown by its code, never reordering the terminal


def test_the_comment_shows_the_editors_text_only_inside_one_code_block(tmp_path):
    """Rendered as GitHub renders it (cmark-gfm): no HTML, link, image or mention from the
    issue's text, however many backticks it holds."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    date = "```` @maintainer <img src=x onerror=alert(1)> [x](javascript:alert(1)) <!-- hide"
    folder = project(tmp_path)
    result = run_propose(folder, body(**{**KISHIDA, "date": date}))
    assert result.returncode == 1
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    html = cmarkgfm.github_flavored_markdown_to_html(report, options=Options.CMARK_OPT_UNSAFE)
    assert html.count("<pre") == 1
    code = re.search(r"<pre[^>]*><code[^>]*>(.*?)</code></pre>", html, re.S)
    assert code
    assert "&lt;img src=x onerror=alert(1)&gt;" in code.group(1)
    outside = html.replace(code.group(0), "")
    assert "<img" not in outside
    assert "<a " not in outside
    assert "@maintainer" not in outside


def test_the_written_event_passes_the_check_a_pull_request_runs(tmp_path):
    """check --strict --base: the proposal changes no published event, and a new seed is allowed."""
    folder = project(tmp_path)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run(["git", "-C", str(folder), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(folder),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "commit",
            "-qm",
            "base",
        ],
        check=True,
    )
    assert run_propose(folder, RECORDED / "new-document.md").returncode == 0
    checked = run("check", "--strict", "--base", "HEAD", "--data", str(folder / "events.yaml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_handbooks_section_without_git_shows_what_the_issue_is_told(built_site):
    """Its example messages are those the recorded broken proposals get, as the comment shows them."""
    handbook = (ROOT / "site_src" / "contribute.md").read_text(encoding="utf-8")
    section = handbook[handbook.index('<h2 id="without-git">') : handbook.index("## Before you start")]
    example = section.split("```\n")[1].splitlines()
    told = [
        line.replace(": error:", ":", 1)
        for name in ("unknown-topic.md", "quote-not-in-source.md", "date-wrong-form.md")
        for line in BROKEN[name]
    ]
    assert example == told
    assert "`propose-event`" in section
    page = (built_site / "contribute" / "index.html").read_text(encoding="utf-8")
    assert (
        'href="https://github.com/example-newsroom/japan-russia-energy/issues/new?template=propose-event.yml"'
        in page
    )
    assert (ROOT / ".github" / "ISSUE_TEMPLATE" / "propose-event.yml").is_file()
