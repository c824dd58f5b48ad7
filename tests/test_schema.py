import json

from conftest import ROOT
from jsonschema import Draft202012Validator

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
