"""Fuzzing load and check: whatever the bytes, located problems or an I/O error, never a crash.

Two sources of input: YAML-like text built from the schema's keys, YAML's
punctuation and odd Unicode, and the real events.yaml with spans deleted,
punctuation, odd characters and raw bytes inserted, values replaced, lines
duplicated and swapped. Either way `check` must return a Checked whose every
problem has a message and a position inside the file, and prints without an
invisible character; or raise InputError. Any other exception fails.

The suite runs 150 examples per test; HYPOTHESIS_PROFILE=fuzz (or `make fuzz`)
runs 5,000, with statistics on how far the inputs get.
"""

import os
import re
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from timeline.check import Checked, InputError, check
from timeline.problems import format_text
from timeline.schema import load_schema

settings.register_profile(
    "suite", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

REAL = (ROOT / "events.yaml").read_bytes()
REAL_SEEDS = ROOT / "seeds"
SEEDS = ROOT / "tests" / "fixtures" / "valid" / "seeds"
LINE_BREAK = re.compile(rb"\r\n?|\n")


def _schema_keys(node: object) -> set[str]:
    if not isinstance(node, dict):
        return set()
    keys = set(node.get("properties", {}))
    for child in [*node.get("properties", {}).values(), node.get("items"), node.get("additionalProperties")]:
        keys |= _schema_keys(child)
    return keys


KEYS = sorted(_schema_keys(load_schema()))
PUNCTUATION = [":", ": ", "-", "- ", "[", "]", "{", "}", ",", "&", "*", "!", "!!", "|", ">", "#", "'", '"',
               "?", "%", "@", "`", "~", "---", "...", "\\", "<<"]  # fmt: skip
# Each a way editors' text goes wrong: invisible, reordering, look-alike, control,
# line-breaking, astral, or plain wrong bytes once encoded.
ODD = ["\u200b", "\u200f", "\u202e", "\u2066", "\ufeff", "\u00a0", "\u3000", "\u0430", "\uff41", "é", "日本",
       "\x00", "\x07", "\x1b", "\x7f", "\t", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\ud7ff", "\ue000",
       "\ufffd", "\U0001f600", "\U00010000", "\U0010ffff"]  # fmt: skip
VALUES = ["2014", "2014-03-04", "2014-02-30", "0x7de", "33:34", "yes", "~", "null", "1.5", ".inf", "''", '""',
          "[]", "{}", "voa-2014-03-04", "crimea-2014", "japan", "lng", "004_85f1257b8790f843.txt",
          "https://example.org/", "high"]  # fmt: skip

odd_text = st.lists(
    st.one_of(
        st.sampled_from([*PUNCTUATION, *ODD]),
        st.characters(codec="utf-8"),  # any character but a surrogate
        st.characters(min_codepoint=0x10000, codec="utf-8"),  # astral
        st.characters(max_codepoint=0x1F),  # control
    ),
    max_size=12,
).map("".join)
plain_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 -_.", max_size=12)


def lines_of(scalar: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly lines shaped like the data's own (indent, '- ', key, ': ', value), so that many
    documents parse and reach the schema and the rules; some are pure noise."""
    return st.one_of(
        st.tuples(
            st.integers(0, 6).map(lambda n: " " * (2 * n)),
            st.sampled_from(["", "- "]),
            st.sampled_from(KEYS),
            st.sampled_from([": ", ":", ":\n"]),
            scalar,
        ).map("".join),
        st.lists(st.one_of(scalar, st.sampled_from(PUNCTUATION)), max_size=6).map(" ".join),
    )


# Half the documents have no odd characters: a single one in forty lines often has
# the whole file refused before parsing, and the parser's own errors would go untested.
plain_scalar = st.one_of(st.sampled_from(KEYS), st.sampled_from(VALUES), plain_text)
odd_scalar = st.one_of(plain_scalar, odd_text)
documents = (
    st.one_of(st.lists(lines_of(plain_scalar), max_size=40), st.lists(lines_of(odd_scalar), max_size=40))
    .map("\n".join)
    .map(lambda text: text.encode("utf-8"))
)

inserted = st.one_of(
    st.sampled_from([*PUNCTUATION, *ODD]).map(str.encode),
    odd_text.map(str.encode),
    st.binary(min_size=1, max_size=4),  # bytes that need not be UTF-8
)
position = st.floats(0, 1)  # a fraction of the length, so it scales with the file
mutation = st.one_of(
    st.tuples(st.just("delete"), position, st.integers(1, 400)),
    st.tuples(st.just("insert"), position, inserted),
    st.tuples(st.just("duplicate line"), position, st.integers(1, 3)),
    st.tuples(st.just("swap lines"), position, position),
    # Whole values replaced keep the YAML well-formed more often, so the odd text
    # reaches the schema and the rules: dates, ids, file names, quotes.
    st.tuples(st.just("replace value"), position, odd_scalar.map(str.encode)),
)


def mutate(raw: bytes, mutations: list[tuple]) -> bytes:
    for kind, at, what in mutations:
        index = int(at * len(raw))
        if kind == "delete":
            raw = raw[:index] + raw[index + what :]
        elif kind == "insert":
            raw = raw[:index] + what + raw[index:]
        else:
            lines = raw.split(b"\n")
            i = min(int(at * len(lines)), len(lines) - 1)
            if kind == "duplicate line":
                lines[i:i] = [lines[i]] * what
            elif kind == "replace value":
                key, colon, _ = lines[i].partition(b": ")
                lines[i] = key + colon + what  # appended to a line without ": "
            else:
                j = min(int(what * len(lines)), len(lines) - 1)
                lines[i], lines[j] = lines[j], lines[i]
            raw = b"\n".join(lines)
    return raw


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file, rewritten by each example: a fresh folder per example would only cost time."""
    return tmp_path_factory.mktemp("fuzz") / "events.yaml"


def assert_checked_or_input_error(data_file: Path, raw: bytes, seeds: Path) -> None:
    data_file.write_bytes(raw)
    try:
        checked = check(data_file, seeds)
    except InputError:
        return
    assert isinstance(checked, Checked)
    # Lines as YAML counts them (a lone CR ends one too). The parser reports the end
    # of the file on the line after the last, so one more is allowed, at column 1.
    lines = LINE_BREAK.split(raw)
    count = len(lines) if lines[-1] else len(lines) - 1
    for problem in checked.problems:
        assert problem.message
        assert 1 <= problem.line <= count + 1, problem
        text = lines[problem.line - 1] if problem.line <= len(lines) else b""
        assert 1 <= problem.column <= len(text.decode("utf-8", "replace")) + 1, problem
    assert checked.errors or checked.timeline is not None
    # What the editor reads: no control, invisible or reordering character of the input gets through.
    assert all(line.isprintable() for line in format_text("events.yaml", checked.problems).splitlines())
    # How far inputs get, for --hypothesis-show-statistics: a fuzzer that never gets
    # past the parser would test little.
    event(f"outcome: {_stage(checked)}")


def _stage(checked: Checked) -> str:
    if not checked.errors:
        return "passes the check"
    first = checked.errors[0].message
    if first.startswith("YAML syntax error"):
        return "YAML syntax error"
    if (
        checked.timeline is None
        and len(checked.problems) == 1
        and first.startswith(("byte ", "file ", "character "))
    ):
        return "file refused as a whole (bytes, characters, empty)"
    return "schema or rule problems"


@PROFILE
@given(raw=documents)
def test_generated_documents_end_in_located_problems(data_file, raw):
    assert_checked_or_input_error(data_file, raw, SEEDS)


@PROFILE
@given(mutations=st.lists(mutation, min_size=1, max_size=5))
def test_mutations_of_the_real_file_end_in_located_problems(data_file, mutations):
    assert_checked_or_input_error(data_file, mutate(REAL, mutations), REAL_SEEDS)
