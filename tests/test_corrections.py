"""Corrections readers can see, and permanent addresses (issue 14, part 3).

Each rule of `build.py check --base` is proved on a fixture pull request: a git repository
made here with a base commit (the published file) and a head commit (the change).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
import yaml
from conftest import FIXTURES, ROOT, run_build

from timeline.check import check
from timeline.provenance import report_problem_url, text_fragment

PROJECT = FIXTURES / "golden-project"
GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def pull_request(tmp_path: Path):
    """A repository whose base commit publishes the golden project; returns a function that
    commits an edit of events.yaml as the head and runs `check --base` against the base."""
    repo = tmp_path / "repo"
    shutil.copytree(PROJECT, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base: the published timeline")
    data = repo / "events.yaml"

    def head(edit, also=None, data_file: Path = data) -> tuple[int, str, str]:
        """`also(repo)` changes more than events.yaml (a seed, a link); `data_file` is the one
        the edit goes to and that is read back."""
        data_file = repo / data_file  # as given, when absolute
        if also is not None:
            also(repo)
        data_file.write_text(edit(data_file.read_text(encoding="utf-8")), encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "head: the pull request")
        result = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), "check", "--data", str(data), "--base", "main~1"],
            capture_output=True,
            text=True,
            check=False,
            cwd=repo,
        )
        return result.returncode, result.stdout + result.stderr, data_file.read_text(encoding="utf-8")

    return head


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


OLD_QUOTE = '"G7 leaders pulled out of talks on a G8 summit in Sochi"'
NEW_QUOTE = '"G7 leaders pulled out of talks on a G8 summit in Sochi, according to the statement"'


def test_a_changed_quote_without_a_new_history_entry_fails_at_its_line(pull_request):
    status, out, text = pull_request(lambda t: t.replace(OLD_QUOTE, NEW_QUOTE))
    assert status == 1
    line = line_of(text, NEW_QUOTE)
    assert re.search(
        rf"events\.yaml:{line}:\d+: error: a quote of published event 'g7-statement-2014' changed "
        "without a new history entry",
        out,
    ), out


def test_the_same_quote_change_with_a_history_entry_passes(pull_request):
    def edit(text: str) -> str:
        text = text.replace(OLD_QUOTE, NEW_QUOTE)
        return text.replace(
            "    summary: Japan signed up to the statement.\n",
            "    summary: Japan signed up to the statement.\n    history:\n      - date: 2026-11-29\n"
            "        kind: clarification\n        note: The quote now says whose account it is.\n",
        )

    status, out, _ = pull_request(edit)
    assert status == 0, out


def test_a_changed_title_or_date_without_history_fails_and_a_reflowed_summary_does_not(pull_request):
    def edit(text: str) -> str:
        text = text.replace(
            "title: Japan buys a tenth of its LNG from Russia's east", "title: Japan buys LNG"
        )
        text = text.replace("date: 2014-03-03\n    end: 2014-03-04", "date: 2014-03-02\n    end: 2014-03-04")
        # The same words on two lines: what readers see is unchanged.
        return text.replace("summary: Japan began buying Russian oil above the cap, with US agreement.",
                            "summary: >-\n      Japan began buying Russian oil above the cap,\n      with US agreement.")  # fmt: skip

    status, out, text = pull_request(edit)
    assert status == 1
    assert f"events.yaml:{line_of(text, 'title: Japan buys LNG')}:" in out
    assert "the title of published event 'lng-share-2014' changed without a new history entry" in out
    assert f"events.yaml:{line_of(text, 'date: 2014-03-02')}:" in out
    assert "the date of published event 'g7-statement-2014'" in out
    assert "oil-above-cap-2023" not in out


def test_published_history_may_not_be_edited(pull_request):
    status, out, _text = pull_request(
        lambda t: t.replace("note: The summary now says whose words these are.", "note: Rewritten.")
    )
    assert status == 1
    assert "the published history of event 'motegi-no-change-2014' was changed or shortened" in out


def test_a_whitespace_change_that_changes_the_page_is_a_change(pull_request):
    """F9: Markdown reads whitespace, so the same words can make another page: the year set
    apart in a paragraph of its own here; "December\n\n2012. He" showed "1. He" in a list.
    A reflow that renders the same (the summary of g7-statement-2014 here) still passes."""
    status, out, text = pull_request(
        lambda t: t.replace(
            "summary: The two sides failed to formally close the war in 1945.",
            "summary: |-\n      The two sides failed to formally close the war in\n\n      1945.",
        ).replace(
            "summary: Japan signed up to the statement.", "summary: Japan signed up to the\n      statement."
        )
    )
    assert status == 1, out
    line = line_of(text, "summary: |-")
    assert re.search(
        rf"events\.yaml:{line}:\d+: error: the summary of published event '[^']+' changed ", out
    ), out
    assert out.count("changed without a new history entry") == 1, out


def test_what_readers_see_of_a_summary_is_its_page():
    from timeline.changes import _seen

    year = "Abe returned to power in December 2012. He travelled widely."
    assert _seen("summary", year) != _seen("summary", year.replace("December 2012", "December\n\n2012"))
    assert _seen("summary", year) == _seen("summary", year.replace(" ", "\n"))  # folded YAML
    assert _seen("summary", "Exports fell -5%") != _seen("summary", "Exports fell\n\n-5%")
    assert _seen("title", "Exports fell\n\n-5%") == _seen("title", "Exports fell -5%")  # plain text


def test_a_data_file_that_is_a_symbolic_link_is_refused_by_the_base_check(pull_request):
    """F10: events.yaml as a link to a new file compared the base's copy of the new path (none):
    nothing published, so a changed title passed."""

    def move(repo: Path) -> None:
        (repo / "data").mkdir()
        shutil.move(repo / "events.yaml", repo / "data" / "events.yaml")
        (repo / "events.yaml").symlink_to("data/events.yaml")

    status, out, _ = pull_request(
        lambda t: t.replace(
            "title: Japan buys a tenth of its LNG from Russia's east", "title: Japan buys LNG"
        ),
        also=move,
        data_file=Path("data/events.yaml"),
    )
    assert status == 2, out
    assert out.endswith("events.yaml is a symbolic link (to data/events.yaml): the site publishes only "
                        "real files inside the project; replace the link by the file itself\n")  # fmt: skip
    assert out.count("\n") == 1


def test_the_base_check_reads_the_data_file_at_its_path_in_the_repository(pull_request, tmp_path):
    """The file at the base is found by its path from the repository's root, wherever the
    command runs from (here, outside the repository)."""
    repo = tmp_path / "repo"
    status, _, _ = pull_request(
        lambda t: t.replace("title: Japan buys a tenth of its LNG", "title: Japan buys")
    )
    assert status == 1
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "check", "--data", str(repo / "events.yaml"), "--base", "main~1"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert (
        "the title of published event 'lng-share-2014' changed without a new history entry" in result.stdout
    )


EDITED_SEED = "004_85f1257b8790f843.txt"


def test_an_edited_seed_fails_the_base_check_at_the_source_naming_it(pull_request):
    """F18: an archived document edited to back an invented quote passed: seeds are never edited."""

    def forge(repo: Path) -> None:
        seed = repo / "seeds" / EDITED_SEED
        seed.write_bytes(seed.read_bytes() + b"\nMotegi said Japan would stop all imports by April.\n")

    status, out, text = pull_request(lambda t: t, also=forge)
    assert status == 1, out
    line = line_of(text, f"file: {EDITED_SEED}")
    assert (
        f"events.yaml:{line}:11: error: seeds/{EDITED_SEED} changed since main~1: archived documents are "
        "never edited; add a corrected document as a new seed and source instead"
    ) in out


def test_a_new_seed_passes_the_base_check_and_a_removed_declared_one_fails(pull_request):
    def add(repo: Path) -> None:
        shutil.copy(repo / "seeds" / EDITED_SEED, repo / "seeds" / "005_new.txt")

    status, out, _ = pull_request(lambda t: t, also=add)
    assert status == 0, out  # a new seed is fine (undeclared, it is only the usual warning)
    assert "since main~1" not in out
    status, out, _ = pull_request(lambda t: t, also=lambda repo: (repo / "seeds" / EDITED_SEED).unlink())
    assert status == 1
    assert f"seeds/{EDITED_SEED} was removed since main~1: archived documents are never edited" in out


def _remove_event(text: str, event_id: str) -> str:
    start = text.index(f"  - id: {event_id}\n")
    end = text.index("\n  - id:", start + 1) + 1
    return text[:start] + text[end:]


def test_a_removed_event_without_a_withdrawal_record_fails(pull_request):
    status, out, text = pull_request(lambda t: _remove_event(t, "g7-statement-2014"))
    assert status == 1
    line = line_of(text, "\nevents:") + 1
    assert f"events.yaml:{line}:1: error: published event 'g7-statement-2014' was removed without a " in out


def test_a_removed_event_with_a_withdrawal_record_passes_and_keeps_its_page(pull_request, tmp_path):
    def edit(text: str) -> str:
        text = _remove_event(text, "g7-statement-2014").replace("    sort_after: g7-statement-2014\n", "")
        return text.replace(
            "\nwithdrawn:\n",
            "\nwithdrawn:\n  - id: g7-statement-2014\n    title: G7 statement on Crimea; leaders pull out of "
            "Sochi talks\n    date: 2026-11-30\n    reason: It merged two statements; the event about "
            "Motegi's remark tells what Japan said.\n    replaced_by: [motegi-no-change-2014]\n",
        )

    status, out, _ = pull_request(edit)
    assert status == 0, out
    site = tmp_path / "site"
    built = subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            "--data",
            str(tmp_path / "repo" / "events.yaml"),
            "--out",
            str(site),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout
    page = text_of_page(site / "events" / "g7-statement-2014" / "index.html")
    assert "This event was withdrawn on 30 November 2026." in page
    assert "It merged two statements" in page


def test_the_check_refuses_a_withdrawal_whose_id_is_still_live_and_unknown_replacements(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    data = project / "events.yaml"
    text = data.read_text(encoding="utf-8").replace(
        "  - id: motegi-says-ties-unchanged-2014\n", "  - id: g7-statement-2014\n"
    )
    data.write_text(text.replace("replaced_by: [motegi-no-change-2014]", "replaced_by: [motegi-no-change]"))
    messages = [p.message for p in check(data, project / "seeds").errors]
    assert any("'g7-statement-2014' is listed as withdrawn but is still under events" in m for m in messages)
    assert any("replaced_by names unknown event 'motegi-no-change'" in m for m in messages)


def test_an_unknown_base_revision_is_a_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "check", "--base", "no-such-revision"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "'no-such-revision' is not a revision of the git repository at " in result.stderr


# ---- what readers see: the golden project built ------------------------------------------


@pytest.fixture(scope="module")
def golden_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "site"
    result = run_build(out, "--data", str(PROJECT / "events.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def text_of_page(path: Path) -> str:
    """The page's words as a reader reads them (roughly: no space before punctuation)."""
    words = " ".join(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")).split())
    return html.unescape(re.sub(r" ([.,:;])", r"\1", words))


def test_a_withdrawn_event_keeps_its_page_saying_when_why_and_what_replaces_it(golden_site):
    page = golden_site / "events" / "motegi-says-ties-unchanged-2014" / "index.html"
    text = text_of_page(page)
    assert "This event was withdrawn on 29 November 2026." in text
    assert "It repeated the event about Motegi's remark, which replaces it." in text
    assert 'href="../../events/motegi-no-change-2014/index.html"' in page.read_text(encoding="utf-8")
    corrections = text_of_page(golden_site / "corrections" / "index.html")
    assert "Withdrawn on 29 November 2026 Motegi says ties with Russia are unchanged" in corrections


def test_an_event_page_shows_its_history_and_last_updated_date(golden_site):
    text = text_of_page(golden_site / "events" / "motegi-no-change-2014" / "index.html")
    assert "Last updated: 29 November 2026" in text
    assert (
        "Corrections and updates Clarified on 2 November 2026: The summary now says whose words these are. "
        'Corrected on 29 November 2026: The title said "energy diplomacy"' in text
    )


def test_the_corrections_page_lists_every_entry_newest_first(golden_site):
    text = text_of_page(golden_site / "corrections" / "index.html")
    assert text.index("Corrected on 29 November 2026") < text.index("Clarified on 2 November 2026")


def test_the_corrections_feed_parses_and_lists_entries_newest_first(golden_site):
    feed = feedparser.parse((golden_site / "corrections" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Golden timeline: corrections"
    assert [(e.title, e.updated[:10]) for e in feed.entries] == [
        ("Corrected: Trade minister says resource diplomacy with Russia is unchanged", "2026-11-29"),
        ("Withdrawn: Motegi says ties with Russia are unchanged", "2026-11-29"),
        ("Clarified: Trade minister says resource diplomacy with Russia is unchanged", "2026-11-02"),
    ]
    assert feed.entries[0].link == "https://example.org/golden/events/motegi-no-change-2014/#history-2"
    assert feed.entries[0].summary.startswith('The title said "energy diplomacy"')
    page = (golden_site / "corrections" / "index.html").read_text(encoding="utf-8")
    assert 'rel="alternate" type="application/atom+xml" href="../corrections/feed.xml"' in page


def test_the_real_corrections_feed_parses(built_site):
    feed = feedparser.parse((built_site / "corrections" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    updated = [e.updated for e in feed.entries]
    assert updated == sorted(updated, reverse=True)


def test_sort_after_places_a_coarse_date_after_the_event_it_follows_and_says_so(golden_site):
    index = (golden_site / "index.html").read_text(encoding="utf-8")
    order = re.findall(r'<article class="event[^"]*" id="(?:event-)?([a-z0-9-]+)"', index)
    assert order.index("lng-share-2014") == order.index("g7-statement-2014") + 1
    page = text_of_page(golden_site / "events" / "lng-share-2014" / "index.html")
    assert "2014 (after 3–4 March 2014)" in page
    assert "Reading order: listed after G7 statement on Crimea" in page


@pytest.mark.parametrize(
    ("sort_after", "message"),
    [
        ("oil-above-cap-2023", "outside this event's date"),
        ("lng-share-2014", "names the event itself"),
        ("g7-statment-2014", "unknown event 'g7-statment-2014' (did you mean 'g7-statement-2014'?)"),
    ],
)
def test_the_check_refuses_a_sort_after_that_contradicts_the_date(tmp_path, sort_after, message):
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    data = project / "events.yaml"
    text = data.read_text(encoding="utf-8").replace(
        "sort_after: g7-statement-2014", f"sort_after: {sort_after}"
    )
    data.write_text(text, encoding="utf-8")
    errors = check(data, project / "seeds").errors
    assert [(p.line, message in p.message) for p in errors] == [
        (line_of(text, f"sort_after: {sort_after}"), True)
    ]


def test_sort_after_on_an_event_dated_to_the_day_is_refused(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    data = project / "events.yaml"
    text = data.read_text(encoding="utf-8").replace(
        "    date: 2014-03-04\n    date_note:",
        "    date: 2014-03-04\n    sort_after: g7-statement-2014\n    date_note:",
    )
    data.write_text(text, encoding="utf-8")
    assert any(
        "sort_after is for events dated to a month or a year" in p.message
        for p in check(data, project / "seeds").errors
    )


def test_history_runs_oldest_first(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    data = project / "events.yaml"
    data.write_text(data.read_text(encoding="utf-8").replace("date: 2026-11-02", "date: 2026-12-02"))
    assert any("keep the history oldest first" in p.message for p in check(data, project / "seeds").errors)


# ---- links out: the live original and the issue form ---------------------------------------


def test_a_text_fragment_encodes_what_the_directive_reserves():
    link = text_fragment(
        "https://x.org/a#top", "East Siberia-Pacific, AT&T and more words here that end in the end"
    )
    prefix, directive = link.split("#:~:text=")
    assert prefix == "https://x.org/a"
    start, end = directive.split(",")
    assert start == "East%20Siberia%2DPacific%2C%20AT%26T%20and%20more"
    assert end == "that%20end%20in%20the%20end"
    assert text_fragment("https://x.org/", "“they are in a state of shock” … It is a big pain.") == (
        "https://x.org/#:~:text=they%20are%20in%20a%20state,It%20is%20a%20big%20pain."
    )


def test_every_citation_of_a_source_with_a_url_links_into_the_live_original(golden_site):
    page = (golden_site / "events" / "motegi-no-change-2014" / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="live-link" href="([^"]+)"', page)
    assert links == [
        "http://www.voanews.com/content/russian-incursion-into-ukraine-sets-off-alarm-bells-in-tokyo/1863719.html"
        "#:~:text=There%20has%20been%20no%20change,diplomacy%20between%20Japan%20and%20Russia",
        "http://www.voanews.com/content/russian-incursion-into-ukraine-sets-off-alarm-bells-in-tokyo/1863719.html"
        "#:~:text=Japanese%20officials%20say%20ties%20with%20Moscow%20remain%20on%20track",
    ]
    exported = json.loads((golden_site / "events.json").read_text(encoding="utf-8"))
    motegi = next(e for e in exported["events"] if e["id"] == "motegi-no-change-2014")
    assert [c["original_url"] for c in motegi["citations"]] == [link.replace("&amp;", "&") for link in links]


def test_the_report_link_opens_the_issue_form_with_the_event_filled_in(golden_site):
    page = (golden_site / "events" / "g7-statement-2014" / "index.html").read_text(encoding="utf-8")
    href = re.search(r'<a href="([^"]+)"[^>]*>Report a problem with this event</a>', page).group(1)
    parts = urlsplit(href.replace("&amp;", "&"))
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "github.com",
        "/example-newsroom/golden-timeline/issues/new",
    )
    assert parse_qs(parts.query) == {
        "template": ["report-problem.yml"],
        "event": ["g7-statement-2014"],
        "title": ["Problem with event: G7 statement on Crimea; leaders pull out of Sochi talks"],
    }
    # The query's keys are the form's: GitHub fills a field from the parameter named after its id.
    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "report-problem.yml").read_text())
    ids = [item["id"] for item in form["body"] if "id" in item]
    assert ids == ["event", "problem", "evidence"]
    assert report_problem_url("https://github.com/o/r", "x", "a&b") == (
        "https://github.com/o/r/issues/new?template=report-problem.yml&event=x&title=Problem%20with%20event%3A%20a%26b"
    )


def test_the_footer_leads_to_the_issue_form_and_to_the_handbooks_section(golden_site):
    page = (golden_site / "index.html").read_text(encoding="utf-8")
    assert (
        'href="https://github.com/example-newsroom/golden-timeline/issues/new?template=report-problem.yml"'
        in page
    )
    assert 'href="contribute/index.html#report-a-problem">contribute a correction</a>' in page


def test_the_real_site_names_a_github_repository():
    # Local builds link to events.yaml's repository, which must have the shape the links are built from.
    data = yaml.safe_load((ROOT / "events.yaml").read_text(encoding="utf-8"))
    assert re.fullmatch(
        r"https://github\.com/[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+", data["site"]["repository"]
    )


def test_the_published_site_reports_problems_to_the_repository_it_is_built_in(tmp_path):
    """The Pages workflow passes --repository (github.server_url/github.repository), as it passes
    --base-url: every report link and the footer lead to that repository, not events.yaml's."""
    workflow = (ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    assert "REPOSITORY: ${{ github.server_url }}/${{ github.repository }}" in workflow
    assert '--repository "$REPOSITORY"' in workflow
    out = tmp_path / "site"
    built = run_build(out, "--repository", "https://github.com/real-owner/real-repo")
    assert built.returncode == 0, built.stdout + built.stderr
    event = (out / "events" / "bessent-tells-kato-stop-russian-energy-2025" / "index.html").read_text(
        encoding="utf-8"
    )
    assert 'href="https://github.com/real-owner/real-repo/issues/new?template=report-problem.yml' in event
    assert "example-newsroom" not in event
    refused = run_build(tmp_path / "other", "--repository", "https://evil.example/x/y")
    assert refused.returncode == 2
    assert "repository must be a GitHub repository's address" in refused.stderr
    assert not (tmp_path / "other").exists()


def test_the_exports_carry_the_licence_and_the_new_fields(golden_site):
    exported = json.loads((golden_site / "events.json").read_text(encoding="utf-8"))
    assert exported["licence"]["name"] == "CC BY 4.0"
    assert "remain their publishers'" in exported["licence"]["excludes"]
    assert exported["withdrawn"][0]["id"] == "motegi-says-ties-unchanged-2014"
    voa = exported["sources"][0]
    assert (voa["accessed"], voa["outside_facts"][0]["fact"]) == (
        "2026-11-29",
        "The same text ran as a Reuters report.",
    )
    motegi = next(e for e in exported["events"] if e["id"] == "motegi-no-change-2014")
    assert motegi["last_updated"] == "2026-11-29"
    assert len(motegi["history"]) == 2
    csv_text = (golden_site / "events.csv").read_text(encoding="utf-8")
    assert csv_text.splitlines()[0].endswith(",sort_after,outside_facts,history,last_updated")


def test_the_handbook_documents_the_new_fields_and_the_base_check():
    handbook = (ROOT / "site_src" / "contribute.md").read_text(encoding="utf-8")
    for words in (
        "history",
        "kind: correction",
        "withdrawn",
        "replaced_by",
        "sort_after",
        "outside_facts",
        "url_note",
        "accessed",
        "archive_url",
        "python build.py check --strict --base",
        '<h2 id="report-a-problem">',
    ):
        assert words in handbook, words
    # The fields table is generated from the schema, so every new field is listed with its meaning.
    from timeline.handbook import fields_table

    table = fields_table()
    for field in (
        "`site.repository`",
        "`sources[].url_note`",
        "`sources[].accessed`",
        "`sources[].archive_url`",
        "`sources[].outside_facts[].record`",
        "`events[].history[].kind`",
        "`events[].sort_after`",
        "`events[].outside_facts[].fact`",
        "`withdrawn[].reason`",
        "`withdrawn[].replaced_by`",
    ):
        assert field in table, field
