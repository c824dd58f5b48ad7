import json

import jsonschema_rs
import pytest
from conftest import ROOT
from jsonschema import Draft202012Validator

from timeline import schema
from timeline.loader import load, refused_character
from timeline.schema import SCHEMA_FILE, load_schema


def test_schema_is_valid_json_schema_2020_12():
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _properties(node, path="#"):
    """Every property schema, with a readable path, walking the whole schema."""
    if not isinstance(node, dict):
        return
    for name, sub in node.get("properties", {}).items():
        yield f"{path}/{name}", sub
        yield from _properties(sub, f"{path}/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield f"{path}/{key}", node[key]
            yield from _properties(node[key], f"{path}/{key}")


def test_every_property_has_a_description_for_the_editor():
    undescribed = [path for path, sub in _properties(load_schema()) if not sub.get("description")]
    assert undescribed == []
    assert len(list(_properties(load_schema()))) > 40


def test_events_yaml_points_editors_at_the_schema():
    first_line = (ROOT / "events.yaml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=schema/events.schema.json"


def test_the_real_file_validates_against_the_schema_alone():
    document, problems = load((ROOT / "events.yaml").read_text())
    assert problems == []
    assert list(Draft202012Validator(load_schema()).iter_errors(document.data)) == []


def _patterns(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_both_validators_read_every_pattern_alike():
    # schema.validate takes "valid" from jsonschema-rs and the errors from jsonschema: the two must
    # agree, on every pattern, for every text the loader lets through (it refuses control
    # characters, on which Rust's and Python's \s differ). Python's `$` also matches before a final
    # newline; the check reads patterns as JSON Schema does, where it does not. Every character of
    # the Basic Multilingual Plane, alone, around a word and at the end of a valid value.
    texts = ["", "a\n", "abc\n", "abc-def\n", "2024\n", "2024-03-04\n", "https://x.org/\n", "x.txt\n"]
    for code in [*range(0x0, 0xD800), *range(0xE000, 0x10000)]:
        char = chr(code)
        texts += [char, f"a{char}b", f"abc{char}", f"{char}abc", f"2014{char}", f"https://x.org/{char}"]
    texts = [text for text in texts if refused_character(text) is None]
    patterns = sorted(set(_patterns(load_schema())))
    assert len(patterns) >= 5
    for pattern in patterns:
        fast = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": pattern})
        python = schema._Validator({"type": "string", "pattern": pattern})
        disagree = [text for text in texts if fast.is_valid(text) != python.is_valid(text)]
        assert disagree == [], pattern
        assert not python.is_valid("abc\n") or "$" not in pattern, pattern


def test_a_final_newline_is_refused_wherever_a_pattern_ends_with_dollar():
    assert schema.python_pattern("^[a-z]+$").search("abc\n") is None
    assert schema.python_pattern("^[a-z$]+$").search("a$") is not None  # a `$` in a class is a dollar
    assert schema.python_pattern(r"^a\$$").search("a$") is not None  # and so is an escaped one
    assert not schema.is_id("motegi-2014\n")
    assert schema.is_id("a" * 100)
    assert not schema.is_id("a" * 101)


def _parsed(path):
    return load(path.read_bytes().decode("utf-8", errors="replace"))[0]


# Every fixture the loader lets through to the schema (the others never reach it).
PARSED = [
    path
    for path in [
        ROOT / "events.yaml",
        *sorted((ROOT / "tests" / "fixtures").glob("**/events.yaml")),
        *sorted((ROOT / "tests" / "fixtures" / "hostile" / "data").glob("*.yaml")),
    ]
    if _parsed(path) is not None
]


@pytest.mark.parametrize("data", PARSED, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_fast_validator_agrees_with_jsonschema_on_every_fixture(data):
    document = _parsed(data)
    # The check's detailed validator: jsonschema, reading patterns as JSON Schema does.
    python_errors = list(schema._validator().iter_errors(document.data))
    fast_valid = jsonschema_rs.Draft202012Validator(load_schema()).is_valid(document.data)
    assert fast_valid == (python_errors == [])
    if fast_valid:  # the fast path: no detailed validation, no problems
        assert schema.validate(document) == ([], set())
