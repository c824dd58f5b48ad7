import json
import re

import jsonschema_rs
import pytest
from conftest import ROOT
from jsonschema import Draft202012Validator

from timeline import schema
from timeline.loader import load
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


def test_the_fast_validator_never_passes_a_text_that_python_refuses():
    # schema.validate trusts jsonschema-rs only when it says "valid"; Rust's regex dialect must
    # therefore never accept what Python's `re` (which jsonschema uses) refuses. Every character
    # of the Basic Multilingual Plane, alone and around a word, against every pattern.
    texts = ["", "a\n", "abc\n", "2024\n", "https://x.org/\n"]
    for code in [*range(0x0, 0xD800), *range(0xE000, 0x10000)]:
        char = chr(code)
        texts += [char, f"a{char}b", f"abc{char}", f"{char}abc"]
    patterns = sorted(set(_patterns(load_schema())))
    assert len(patterns) >= 5
    for pattern in patterns:
        fast = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": pattern})
        compiled = re.compile(pattern)
        wrongly_passed = [t for t in texts if fast.is_valid(t) and not compiled.search(t)]
        assert wrongly_passed == [], pattern


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
    python_errors = list(Draft202012Validator(load_schema()).iter_errors(document.data))
    fast_valid = jsonschema_rs.Draft202012Validator(load_schema()).is_valid(document.data)
    assert fast_valid == (python_errors == [])
    if fast_valid:  # the fast path: no detailed validation, no problems
        assert schema.validate(document) == ([], set())
