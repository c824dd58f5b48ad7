import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from conftest import FIXTURES, ROOT

from timeline import markup
from timeline.check import InputError, check
from timeline.cli import main
from timeline.preview import error_page
from timeline.problems import Problem, format_github, format_text

BROKEN = FIXTURES / "broken"
VALID = FIXTURES / "valid"

# The exact messages for tests/fixtures/broken/events.yaml: reviewed output.
# When a message changes on purpose, change it here and read it as an editor would.
BROKEN_EXPECTED = [
    (6, "error", "base_url 'example.org/timeline' must be an absolute http(s) address ending in '/', with no '//' after the host and no backslash, space, '?' or '#', such as 'https://example.org/timeline/'"),
    (10, "warning", "topic 'sanctions' is not used by any event"),
    (11, "warning", "topic 'unused-topic' is not used by any event"),
    (12, "error", "topic id 'Bad_Topic' must be lowercase letters and digits joined by single hyphens, such as 'motegi-no-change-2014'"),
    (20, "error", "link 'javascript:alert(1)' in summary is not allowed; use an http, https or mailto address, or a relative link"),
    (21, "error", "duplicate era id 'crimea-2014' (first used at line 18); ids must be unique"),
    (25, "warning", "seeds/999_undeclared.txt is not declared by any source; add a source with file: 999_undeclared.txt"),
    (30, "error", "published '2014-02-30' is not a real date: February 2014 has 28 days"),
    (31, "error", "reliability 'hihg' must be one of: high, medium, low (did you mean 'high'?)"),
    (35, "error", "body.last occurs before body.first in seeds/004_85f1257b8790f843.txt; swap them"),
    (36, "warning", "source 'missing-file' is declared but no event cites it"),
    (37, "error", "file '../secrets.txt' must be a plain-text file name like 003_report.txt: letters, digits, '_' or '-', ending in .txt (no folders, no other dot)"),
    (43, "warning", "source 'typo-file' is declared but no event cites it"),
    (44, "error", "no file '004_85f1257b8790f84.txt' in seeds/ (did you mean '004_85f1257b8790f843.txt'?)"),
    (47, "error", "published '2014-13' is not a real date: there is no month 13"),
    (54, "error", "end 2014-03-01 is before date 2014-03-04; swap them or correct one"),
    (57, "error", "unknown key 'sumary' (did you mean 'summary'?)"),
    (58, "error", "unknown topic 'sanction' (did you mean 'sanctions'?)"),
    (62, "error", "quote not found in source 'voa-2014-03-04'"),
    (63, "error", "missing required key 'status_note' in event 'Bad Id' (an unconfirmed event needs a status_note saying why)"),
    (63, "error", "id 'Bad Id' must be lowercase letters and digits joined by single hyphens, such as 'motegi-no-change-2014'"),
    (64, "error", "date 'yesterday' must be a date as YYYY, YYYY-MM or YYYY-MM-DD, such as 2014, 2014-03 or 2014-03-04"),
    (65, "error", "unknown era 'crimea-2041' (did you mean 'crimea-2014'?)"),
    (66, "error", "title should be text, not true (YAML reads yes/no/on/off/true/false that way); put it in quotes"),
    (69, "error", "actors lists 'japan' twice"),
    (72, "error", "unknown source 'voa-2014-3-4' (did you mean 'voa-2014-03-04'?)"),
    (74, "error", "duplicate event id 'motegi-no-change-2014' (first used at line 52); ids must be unique"),
    (78, "error", "duplicate key 'title' (first at line 77); YAML would silently keep only the last one, so remove or rename one"),
    (84, "error", "the parts of this elided quote occur, but part 2 comes before the part it follows in the quote"),
    (86, "error", "quote must not be blank"),
]  # fmt: skip


def test_broken_fixture_reports_every_problem_exactly():
    checked = check(BROKEN / "events.yaml", BROKEN / "seeds")
    assert [(p.line, p.severity, p.message) for p in checked.problems] == BROKEN_EXPECTED
    assert checked.timeline is None


def test_a_quote_not_found_shows_the_closest_passage():
    checked = check(BROKEN / "events.yaml", BROKEN / "seeds")
    (problem,) = [p for p in checked.problems if p.message.startswith("quote not found")]
    assert problem.details == (
        'closest passage: "… remain on track. There has been no change in the direction of economic '
        'and resource diplomacy between Japan and Russia, Trade …"',
    )


def test_broken_fixture_prints_in_the_editors_format(capsys):
    status = main(["check", "--data", str(BROKEN / "events.yaml")])
    out = capsys.readouterr().out.splitlines()
    assert status == 1
    assert out[0].endswith(
        "events.yaml:6:13: error: base_url 'example.org/timeline' must be an absolute http(s) "
        "address ending in '/', with no '//' after the host and no backslash, space, '?' or '#', "
        "such as 'https://example.org/timeline/'"
    )
    assert '    closest passage: "… remain on track. There has been no change' in "\n".join(out)
    assert out[-1].endswith("30 problems (25 errors, 5 warnings) in " + out[0].split(":")[0])


def test_github_format_prints_annotations(capsys):
    main(["check", "--format", "github", "--data", str(BROKEN / "events.yaml")])
    out = capsys.readouterr().out.splitlines()
    assert out[1] == (
        f"::warning file={_shown(BROKEN / 'events.yaml')},line=10,col=3::topic 'sanctions' is not used by any event"
    )
    quote = next(line for line in out if "quote not found" in line)
    assert "::quote not found in source 'voa-2014-03-04'%0Aclosest passage: " in quote


def test_inside_github_actions_annotations_are_the_default(capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    main(["check", "--data", str(BROKEN / "events.yaml")])
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith(f"::warning file={_shown(BROKEN / 'events.yaml')},line=10,col=3::")


def _shown(path):
    try:
        return str(path.relative_to(os.getcwd()))
    except ValueError:
        return str(path)


def test_valid_fixture_passes_with_a_one_line_summary(capsys):
    status = main(["check", "--data", str(VALID / "events.yaml")])
    out = capsys.readouterr().out
    assert status == 0
    assert out.endswith("events.yaml: 2 events, 1 source, 1 era — OK\n")
    assert out.count("\n") == 1


def test_the_real_events_yaml_passes_strictly(capsys):
    status = main(["check", "--strict"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert " — OK\n" in out
    assert "warning" not in out


def test_strict_fails_on_warnings(tmp_path, capsys):
    project = _copy_valid(tmp_path)
    (project / "seeds" / "extra.txt").write_text("An undeclared document.\n")
    assert main(["check", "--data", str(project / "events.yaml")]) == 0
    assert "OK (1 warning)" in capsys.readouterr().out
    assert main(["check", "--strict", "--data", str(project / "events.yaml")]) == 1
    assert capsys.readouterr().out.endswith("1 problem in " + _shown(project / "events.yaml") + "\n")


def _copy_valid(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(VALID, project)
    return project


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: (p / "events.yaml").unlink(), "events.yaml not found"),
        (lambda p: ((p / "events.yaml").unlink(), (p / "events.yaml").mkdir()), "is a folder"),
        (lambda p: shutil.rmtree(p / "seeds"), "cannot read the seeds folder"),
    ],
)
def test_io_errors_exit_with_status_2(tmp_path, capsys, setup, message):
    project = _copy_valid(tmp_path)
    setup(project)
    assert main(["check", "--data", str(project / "events.yaml")]) == 2
    assert message in capsys.readouterr().err
    with pytest.raises(InputError):
        check(project / "events.yaml", project / "seeds")


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("topics: [diplomacy, lng]", "topics: [diplomacy, lgn]", "unknown topic 'lgn' (did you mean 'lng'?)"),
        ("actors: [japan, russia]", "actors: [japan, rusia]", "unknown actor 'rusia' (did you mean 'russia'?)"),
        ("actors: [japan, russia]", "actors: [japan, china]", "unknown actor 'china'; declare it under 'actors' first"),
        ("era: crimea-2014", "era: crimea", "unknown era 'crimea' (did you mean 'crimea-2014'?)"),
        ("- source: voa-2014-03-04\n        quote: \"There", "- source: voa-2014\n        quote: \"There",
         "unknown source 'voa-2014' (did you mean 'voa-2014-03-04'?)"),
        ("date: 2014-03-04\n    date_note", "date: 2014-03-04\n    end: 2014-02\n    date_note",
         "end 2014-02 is before date 2014-03-04; swap them or correct one"),
        ("A wire report carried by [VOA](https://www.voanews.com/).", "See [x](data:text/html,hi).",
         "link 'data:text/html,hi' in assessment is not allowed; use an http, https or mailto address, or a relative link"),
        ('last: "nuclear power plants."', 'last: "nuclear power station."',
         "body.last 'nuclear power station.' is not in seeds/004_85f1257b8790f843.txt"),
        ("    title: Japan buys", "    sumary: x\n    title: Japan buys", "unknown key 'sumary' (did you mean 'summary'?)"),
        # One message for one mistake, and no advice that leads to another.
        ("title: Japan buys a tenth of its LNG from Russia's east", "title:", "title should be text, not empty; give a value"),
        ('date_note: The article, dated 4 March 2014, says "on Tuesday".', "date_note:",
         "date_note should be text, not empty; give a value or remove the key"),
        ('quote: "Japan now consumes a third … purchased 10 percent of its supplies from Russia’s east"', 'quote: ""',
         "quote must not be blank"),
        ("date: 2014\n", "date: .inf\n", "date should be text or a whole number, not the number inf; put it in quotes"),
        # Characters that show nothing are blank too.
        ("title: Japan buys a tenth of its LNG from Russia's east", 'title: "\u200b\u200d\u2060\ufeff"',
         "title must not be blank"),
    ],
)  # fmt: skip
def test_each_rule_reports_its_problem(tmp_path, replace, by, expected):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    text = data.read_text()
    assert replace in text
    data.write_text(text.replace(replace, by, 1))
    checked = check(data, project / "seeds")
    assert [p.message for p in checked.errors] == [expected]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 64, id="binary junk"),
        pytest.param(b"title: " + b"x" * 5_000_000 + b"\n", id="5 MB single line"),
        pytest.param(b"[" * 100_000, id="unclosed brackets"),
        pytest.param(b"\xfe\xff\x00a\x00:", id="utf-16"),
    ],
)
def test_hostile_files_end_in_a_located_message_not_a_traceback(tmp_path, content):
    project = _copy_valid(tmp_path)
    (project / "events.yaml").write_bytes(content)
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "check", "--data", str(project / "events.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert re.match(r"\S*events.yaml:\d+:\d+: error: ", result.stdout)


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("Bad Id", ""),
        ("UPPER", ""),
        ("a--b", ""),
        ("-a", ""),
        ("a-", ""),
        ("a/b", ""),
        ("..", ""),
        ("a_b", ""),
        # Characters that look right, or not at all, are named.
        ("caf\u00e9", "; it contains U+00E9 LATIN SMALL LETTER E WITH ACUTE"),
        ("\uff41bc", "; it contains U+FF41 FULLWIDTH LATIN SMALL LETTER A"),
        ("c\u0430fe", "; it contains U+0430 CYRILLIC SMALL LETTER A"),
        ("a\u200bb", "; it contains U+200B ZERO WIDTH SPACE"),
        ("a\u200fb", "; it contains U+200F RIGHT-TO-LEFT MARK"),
        ("a.b", ""),
    ],
)
def test_ids_must_be_lowercase_hyphenated(tmp_path, bad, named):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    data.write_text(data.read_text().replace("id: lng-share-2014", f'id: "{bad}"', 1), encoding="utf-8")
    checked = check(data, project / "seeds")
    assert [p.message for p in checked.errors] == [
        f"id '{bad}' must be lowercase letters and digits joined by single hyphens, such as 'motegi-no-change-2014'{named}"
    ]


@pytest.mark.parametrize(
    ("link", "allowed"),
    [
        ("https://www.voanews.com/", True),
        ("mailto:editors@example.org", True),
        ("../sources/voa-2014-03-04/", True),
        ("/about/", True),
        ("#q-x-1", True),
        # Addresses a browser reads as another host, or as script, however they are dressed.
        ("//evil.example/", False),
        ("/\\evil.example/", False),
        ("\\\\evil.example/", False),
        ("\\/evil.example/", False),
        ("/\t/evil.example/", False),
        ("\n//evil.example/", False),
        ("java\tscript:alert(1)", False),
        ("\x01javascript:alert(1)", False),
    ],
)
def test_a_link_is_read_as_a_browser_reads_it(link, allowed):
    assert markup.is_allowed_link(link) is allowed


@pytest.mark.parametrize("good", ["a", "2014", "lng-share-2014", "g7-statement-1"])
def test_well_formed_ids_pass(tmp_path, good):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    data.write_text(data.read_text().replace("id: lng-share-2014", f'id: "{good}"', 1))
    assert check(data, project / "seeds").errors == []


def test_a_refused_alias_gets_no_second_message_about_its_value(tmp_path):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    text = data.read_text().replace("topics: [diplomacy, lng]", "topics: &both [diplomacy, lng]", 1)
    data.write_text(text.replace("topics: [lng]", "topics: *both", 1))
    checked = check(data, project / "seeds")
    # Not also "topics should be a list, not empty": the editor wrote no empty value.
    assert [(p.line, p.message) for p in checked.problems] == [
        (39, "anchor '&both' is not allowed here; write each value out in full"),
        (49, "alias '*both' is not allowed here; write the value out in full"),
    ]


def test_invisible_characters_in_a_message_are_shown_by_code():
    # A zero-width space must not hide in the id it breaks, and a right-to-left
    # override must not reorder the rest of the line on the editor's terminal.
    problem = Problem(3, 9, "id 'a\u200bb\u202ec' is wrong", details=("closest: x\u00a0y",))
    assert format_text("events.yaml", [problem]) == (
        "events.yaml:3:9: error: id 'a<U+200B>b<U+202E>c' is wrong\n    closest: x<U+00A0>y"
    )
    assert format_github("events.yaml", [problem]).endswith(
        "::id 'a<U+200B>b<U+202E>c' is wrong%0Aclosest: x<U+00A0>y"
    )
    assert (
        "id &#x27;a&lt;U+200B&gt;b&lt;U+202E&gt;c&#x27; is wrong"
        in error_page("events.yaml", [problem]).decode()
    )


def test_every_value_quoted_in_a_message_is_cut_short(tmp_path):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    data.write_text(data.read_text().replace("date: 2014\n", f"date: {'a' * 100_000}\n"))
    (problem,) = check(data, project / "seeds").problems
    assert (
        problem.message
        == f"date '{'a' * 59}…' must be a date as YYYY, YYYY-MM or YYYY-MM-DD, such as 2014, 2014-03 or 2014-03-04"
    )


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("actors:\n  japan: Japan\n  russia: Russia", "actors: [japan, russia]",
         ["actors should be a mapping of keys and values, not a list"]),
        ("eras:\n  - id: crimea-2014\n", "eras: crimea-2014\nold_eras:\n  - id: crimea-2014\n",
         ["eras should be a list, not text", "unknown key 'old_eras' (did you mean 'eras'?)"]),
    ],
)  # fmt: skip
def test_a_malformed_declaration_is_reported_without_every_reference_to_it(tmp_path, replace, by, expected):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    data.write_text(data.read_text().replace(replace, by, 1))
    # Not also "unknown actor 'japan'" at each event: the editor did declare it, wrongly.
    assert [p.message for p in check(data, project / "seeds").problems] == expected


def test_a_malformed_id_is_never_offered_as_a_correction(tmp_path):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    data.write_text(data.read_text().replace("  diplomacy: Diplomacy", "  diplom\u0430cy: Diplomacy", 1))
    # Not "(did you mean 'diplomаcy'?)": the suggestion would look the same and carry the Cyrillic а.
    assert [p.message for p in check(data, project / "seeds").problems][1:] == [
        "unknown topic 'diplomacy'; declare it under 'topics' first"
    ]


@pytest.mark.parametrize(
    ("summary", "dropped"),
    [
        ("Japan consumed <script>alert(1)</script> a third.", "alert(1)"),
        # Unclosed, it takes the rest of the field with it.
        ("Japan consumed <style>p{} a third of global LNG shipments.", "p{} a third of global LNG shipments."),
    ],
)  # fmt: skip
def test_text_that_would_vanish_inside_script_or_style_is_a_located_warning(tmp_path, summary, dropped):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    old = "    summary: Japan consumed a third of global LNG shipments.\n"
    text = data.read_text()
    assert old in text
    data.write_text(text.replace(old, f"    summary: {summary}\n", 1))
    checked = check(data, project / "seeds")
    assert checked.errors == []
    assert [(p.line, p.column, p.message) for p in checked.warnings] == [
        (
            text[: text.index(old)].count("\n") + 1,
            14,
            f"'{dropped}' in summary would not show on the page: text inside <script> or <style> is "
            "removed (an unclosed one removes the rest); write it as plain text, or in `backticks` "
            "to show the tag",
        )
    ]


@pytest.mark.parametrize("summary", ["`<script>` is a tag.", "AT&T <b>bold</b> & 1 < 2", "x <!-- note --> y"])
def test_code_entities_and_comments_lose_no_words(tmp_path, summary):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    text = data.read_text()
    data.write_text(text.replace("summary: Japan consumed a third", f"summary: {summary!r} #", 1))
    assert check(data, project / "seeds").problems == []


def test_an_endless_stream_is_refused_after_the_limit_not_read_to_the_end(tmp_path):
    # --data /dev/zero once read until memory ran out; now it stops one byte past the limit.
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "check", "--data", "/dev/zero", "--seeds", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith(
        "/dev/zero:1:1: error: file is more than 16,777,216 bytes, over the limit of 16,777,216;"
    ), result.stdout
    assert result.stderr == ""


def test_a_small_stream_is_read_whole(tmp_path):
    data = (FIXTURES / "valid" / "events.yaml").read_text(encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "check", "--data", "/dev/stdin",
         "--seeds", str(FIXTURES / "valid" / "seeds")],
        input=data,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


class _Addresses(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(value for name, value in attrs if name in ("href", "src") and value)


# Openings that HTML parsers read differently: a comment, a bogus comment, a processing
# instruction, CDATA, elements whose content is raw text.
OPENERS = ["<!-->", "<!--->", "<!--", "<!-- -- >", "<! foo>", "<?x>", "<![CDATA[", "<!DOCTYPE x", "</x ",
           "<textarea>", "<title>", "<xmp>", "<noscript>", "<svg><style>", "<math><style>"]  # fmt: skip


@pytest.mark.parametrize("link", ['<a href="//evil.example/">x</a>', "[x](//evil.example/)"])
@pytest.mark.parametrize("opener", OPENERS)
def test_every_address_that_reaches_the_page_is_seen_by_the_link_rule(opener, link):
    text = f"See {opener} {link} -->"
    page = _Addresses()
    page.feed(str(markup.render(text)))
    assert set(page.found) <= set(markup.links(text))


def test_a_link_after_an_empty_comment_is_refused():
    # Python's HTML parser reads "<!-->" as the start of a comment; nh3, like a browser, as a whole
    # empty comment, so the link after it reached the page unchecked.
    text = 'See <!--> <a href="//evil.example/">x</a> -->'
    assert 'href="//evil.example/"' in str(markup.render(text))
    assert "//evil.example/" in markup.links(text)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("\\t and \\n and \\u200f and \\U0001F600", None),  # tab, new line, a mark, an emoji: text
        ("\\U0010FFFF", "summary contains U+10FFFF, a noncharacter, which pages and the feed cannot hold; remove it"),
        ("\\uFDD0", "summary contains U+FDD0, a noncharacter, which pages and the feed cannot hold; remove it"),
        ("\\r", "summary contains U+000D CARRIAGE RETURN, a control character, which pages and the feed cannot hold; remove it"),
        ("\\x9b", "summary contains U+009B, a control character, which pages and the feed cannot hold; remove it"),
        ("\\u202a", "summary contains U+202A LEFT-TO-RIGHT EMBEDDING, a direction control, which would reorder the words around it on the page; remove it"),
        ("\\u2069", "summary contains U+2069 POP DIRECTIONAL ISOLATE, a direction control, which would reorder the words around it on the page; remove it"),
    ],
)  # fmt: skip
def test_tab_and_new_line_are_the_only_controls_a_text_may_hold(tmp_path, written, message):
    project = _copy_valid(tmp_path)
    data = project / "events.yaml"
    old = "summary: Japan consumed a third of global LNG shipments."
    data.write_text(data.read_text().replace(old, f'summary: "Japan consumed {written} a third."'))
    checked = check(data, project / "seeds")
    assert [(p.line, p.column, p.message) for p in checked.problems] == (
        [(48, 14, message)] if message else []
    )
