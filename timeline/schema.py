"""The JSON Schema of events.yaml, and its errors told the way an editor needs them."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path as FilePath
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError, validators

from .loader import Document, Path, name_of
from .problems import Problem, character_name, shown

SCHEMA_FILE = FilePath(__file__).resolve().parent.parent / "schema" / "events.schema.json"

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys and values",
    "null": "empty",
}
_REQUIRED_HINTS = {
    "status_note": "an unconfirmed event needs a status_note saying why",
    "status": "a status_note goes with status: unconfirmed",
}


@cache
def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@cache
def python_pattern(pattern: str) -> re.Pattern[str]:
    """A schema pattern compiled to mean in Python what it means in JSON Schema (ECMA-262).

    Python's `$` also matches before a final newline, ECMA-262's (and jsonschema-rs's) only at the
    end: "motegi-2014\\n" would pass the check's detailed validator and become a folder name with
    a newline in it. Every `$` outside a character class is read as `\\Z`, the end of the text."""
    translated, i, in_class = [], 0, False
    while i < len(pattern):
        character = pattern[i]
        if character == "\\":
            translated.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
        elif character == "$":
            character = r"\Z"
        translated.append(character)
        i += 1
    return re.compile("".join(translated))


def _ecma_pattern(validator: Any, pattern: str, instance: Any, _: object) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not python_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# jsonschema's own "pattern" uses re.search as it is; propertyNames reaches it through this too.
_Validator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


@cache
def _validator() -> Draft202012Validator:
    return _Validator(load_schema())


@cache
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(load_schema())


def is_id(value: object) -> bool:
    """Whether `value` has the form the schema requires of every id."""
    id_schema = load_schema()["$defs"]["id"]
    return (
        isinstance(value, str)
        and len(value) <= id_schema["maxLength"]
        and python_pattern(id_schema["pattern"]).search(value) is not None
    )


def seed_name_rule(name: str) -> str:
    """'' when `name` is a seed file name the schema accepts, else what the schema says of it.

    Seeds.path applies the schema's own rule, so no name the check would refuse is ever read or
    published, whatever the path that led there."""
    rule = load_schema()["properties"]["sources"]["items"]["properties"]["file"]
    if re.fullmatch(rule["pattern"].removeprefix("^").removesuffix("$"), name) is None:
        return rule["patternErrorMessage"]
    if len(name) > rule["maxLength"]:
        return too_long(name, rule["maxLength"])
    return ""


def too_long(text: str, limit: int) -> str:
    return f"is {len(text):,} characters long, over the limit of {limit:,}; shorten it"


def did_you_mean(word: str, choices: object) -> str:
    """' (did you mean 'x'?)' when a choice is close to `word`, else ''."""
    close = difflib.get_close_matches(str(word), sorted(map(str, choices)), n=1, cutoff=0.6)
    return f" (did you mean '{shown(close[0])}'?)" if close else ""


def describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off/true/false that way)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _schema_at(path: Path) -> dict[str, Any]:
    """The part of the schema that describes the value at `path`."""
    node: dict[str, Any] = load_schema()
    for step in path:
        node = node.get("items", {}) if isinstance(step, int) else node.get("properties", {}).get(step, {})
    return node


def _properties_at(path: Path) -> set[str]:
    """The keys the schema allows in the mapping at `path`."""
    return set(_schema_at(path).get("properties", {}))


def _is_required(path: Path) -> bool:
    return bool(path) and path[-1] in _schema_at(path[:-1]).get("required", ())


def _odd_character(text: str) -> str:
    """'; it contains U+0430 CYRILLIC SMALL LETTER A' for the first character outside printable
    ASCII: in an id, a look-alike letter or an invisible character is otherwise hard to find."""
    for character in text:
        if not (character.isascii() and character.isprintable()):
            return f"; it contains {character_name(character)}"
    return ""


def _inside(path: Path, instance: dict[str, Any]) -> str:
    """' in event 'x'' for an item of eras, sources or events that has an id."""
    if len(path) == 2 and isinstance(path[1], int) and isinstance(instance.get("id"), str):
        return f" in {str(path[0]).removesuffix('s')} '{shown(instance['id'])}'"
    return ""


def validate(document: Document) -> tuple[list[Problem], set[Path]]:
    """Schema problems, and the paths they concern so the rules can leave those alone."""
    # Most files are valid. The compiled validator says so in milliseconds (1.6 s -> 0.04 s at
    # 10,000 events); only a file with errors pays for jsonschema's detailed errors, which the
    # messages are made from. Both read patterns as JSON Schema (ECMA-262) does (python_pattern);
    # tests/test_schema.py checks that they agree.
    if _fast_validator().is_valid(document.data):
        return [], set()
    problems: list[Problem] = []
    flagged: set[Path] = set()
    for error in _validator().iter_errors(document.data):
        # An alias the loader refused is None here; "should be a list, not empty" would mislead.
        # (A key is still judged: '<<: *base' has an unknown key as well as an alias.)
        refused = document.is_refused(tuple(error.absolute_path))
        for path, problem in _translate(error, document):
            flagged.add(path)
            if not refused:
                problems.append(problem)
    return problems, flagged


def _translate(error: ValidationError, document: Document) -> Iterator[tuple[Path, Problem]]:
    path: Path = tuple(error.absolute_path)
    kind = error.validator
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}

    def at_value(p: Path, message: str) -> tuple[Path, Problem]:
        line, column = document.where(p)
        return p, Problem(line, column, message)

    def at_key(p: Path, message: str, shown_at: Path | None = None) -> tuple[Path, Problem]:
        # `p` is what the problem is about; `shown_at` where it is printed, when they differ
        # (a missing key is printed where its mapping starts).
        line, column = document.where_key(shown_at if shown_at is not None else p)
        return p, Problem(line, column, message)

    if kind == "additionalProperties" and isinstance(instance, dict):
        known = set(schema.get("properties", {}))
        for key in instance:
            if key not in known:
                hint = did_you_mean(key, known) or f"; expected one of: {', '.join(sorted(known))}"
                yield at_key((*path, key), f"unknown key '{shown(key)}'{hint}")
    elif kind == "required" and isinstance(instance, dict):
        # A misspelt key ("sumary") is reported as unknown, with its correction; saying
        # that "summary" is missing as well would only repeat it.
        known = _properties_at(path)
        misspelt = {did_you_mean(k, error.validator_value) for k in instance if k not in known}
        for key in error.validator_value:
            if key not in instance and f" (did you mean '{key}'?)" not in misspelt:
                hint = _REQUIRED_HINTS.get(key)
                yield at_key(
                    (*path, key),
                    f"missing required key '{key}'{_inside(path, instance)}" + (f" ({hint})" if hint else ""),
                    shown_at=path,
                )
    elif kind == "dependentRequired" and isinstance(instance, dict):
        for key, needs in error.validator_value.items():
            for need in needs:
                if key in instance and need not in instance:
                    yield at_key((*path, key), f"'{key}' needs '{need}' ({_REQUIRED_HINTS.get(need, '')})")
    elif kind in ("pattern", "maxLength") and "propertyNames" in error.schema_path:
        # A key of a vocabulary: jsonschema reports it at the mapping, we at the key.
        noun = str(path[-1]).removesuffix("s") if path else "key"
        if kind == "maxLength":
            message = f"{noun} id '{shown(instance)}' {too_long(instance, error.validator_value)}"
        else:
            message = f"{noun} id '{shown(instance)}' {schema.get('patternErrorMessage')}"
        yield at_key((*path, instance), message + _odd_character(instance))
    elif kind == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        words = " or ".join(_TYPE_WORDS[t] for t in expected)
        hint = ""
        if "string" in expected and not isinstance(instance, (list, dict)) and instance is not None:
            hint = "; put it in quotes"
        elif instance is None:
            hint = "; give a value" if _is_required(path) else "; give a value or remove the key"
        yield at_value(path, f"{name_of(path)} should be {words}, not {describe(instance)}{hint}")
    elif kind == "pattern":
        message = schema.get("patternErrorMessage", "has the wrong form")
        if message == "must not be blank":
            yield at_value(path, f"{name_of(path)} {message}")
        else:
            yield at_value(path, f"{name_of(path)} '{shown(instance)}' {message}{_odd_character(instance)}")
    elif kind == "enum":
        options = ", ".join(map(str, error.validator_value))
        yield at_value(
            path,
            f"{name_of(path)} '{shown(instance)}' must be one of: {options}"
            + did_you_mean(shown(instance), error.validator_value),
        )
    elif kind == "minLength":
        # An empty text also fails the pattern "\S", whose "must not be blank" says it once.
        if "pattern" not in schema:
            yield at_value(path, f"{name_of(path)} is empty")
    elif kind == "maxLength" and "propertyNames" in error.schema_path:
        noun = str(path[-1]).removesuffix("s") if path else "key"
        yield at_key(
            (*path, instance),
            f"{noun} id '{shown(instance)}' is {len(instance):,} characters long, over the limit of "
            f"{error.validator_value:,}; shorten it",
        )
    elif kind == "maxLength":
        yield at_value(path, f"{name_of(path)} {too_long(instance, error.validator_value)}")
    elif kind in ("minItems", "minProperties"):
        yield at_value(path, f"{name_of(path)} needs at least {error.validator_value}")
    elif kind == "uniqueItems":
        seen = set()
        for item in instance:
            if item in seen:
                yield at_value(path, f"{name_of(path)} lists '{shown(item)}' twice")
            seen.add(item)
    elif kind in ("minimum", "maximum"):
        if isinstance(instance, int):  # .inf and 2014.5 are reported, once, by "type"
            yield at_value(path, f"{name_of(path)} {instance} is not a four-digit year")
    elif kind in ("if", "then"):
        return  # the 'required' inside 'then' reports it
    else:  # pragma: no cover - every keyword the schema uses is handled above
        yield at_value(path, f"{name_of(path)}: {error.message}")
