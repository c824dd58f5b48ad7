"""Read events.yaml into plain data, remembering where every key and value stands.

PyYAML's event stream (from libyaml's C parser when it is installed) is
turned straight into Python values: no YAML node tree, no constructors. That
gives us line and column for every value, and lets us refuse what an editor
never means to write — duplicate keys, anchors and aliases, custom tags —
with a located message, instead of PyYAML silently keeping the last of two
keys or expanding a billion-laughs document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from .problems import Problem, character_name, shown

try:  # libyaml's parser is several times faster; the pure-Python one gives the same events.
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]


# Larger files are refused unread: the real file is a few hundred kilobytes,
# and 10,000 events (the scale we benchmark) stay well under this.
MAX_BYTES = 16 * 1024 * 1024
# Deeper nesting than the contract needs (it needs 5) is refused rather than
# recursed into.
MAX_DEPTH = 32

# libyaml slows down with the square of how many flow brackets are open at
# once, so a file of 100,000 '[' would hang the check; such files are refused
# before parsing. Real data never opens more than two.
MAX_OPEN_BRACKETS = 256
_BRACKET = re.compile(r"[\[\]{}]")

# YAML counts a lone CR as a line break, so our own positions must too.
_LINE_BREAK = re.compile(r"\r\n?|\n")
# YAML also breaks lines at these, which editors and GitHub do not: after one,
# every line number the parser gives would be one off from what the editor sees.
_UNSEEN_BREAKS = {"\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}
_UNSEEN_BREAK = re.compile(f"[{''.join(_UNSEEN_BREAKS)}]")

Path = tuple[str | int, ...]
Mark = tuple[int, int]  # line and column, both counted from 1

# What no text of events.yaml may hold, however it is written: YAML's escapes ("\\0", "\\x0b",
# "\\uFFFE", "\\N", "\\L", "\\P") write characters its reader refuses raw. Each would make the
# feed invalid XML or a page invalid HTML, or, for the direction controls, reorder the words
# around it on the page (an event title is shown inside the source's own text on its reading
# view). Tab and new line are the only controls kept: YAML turns every raw line break into one.
_REMOVE = "remove it"
_CONTROL = ("a control character, which pages and the feed cannot hold", _REMOVE)
_NONCHARACTER = ("a noncharacter, which pages and the feed cannot hold", _REMOVE)
_DIRECTION = ("a direction control, which would reorder the words around it on the page", _REMOVE)
_SEPARATOR = ("a line break most editors do not show", "use a new line or a space instead")
_SURROGATE = ("half of a UTF-16 surrogate pair, not a character", _REMOVE)
_REFUSED_RANGES = (
    ("\x00", "\x08", _CONTROL),
    ("\x0b", "\x1f", _CONTROL),
    ("\x7f", "\x9f", _CONTROL),
    ("\u202a", "\u202e", _DIRECTION),
    ("\u2066", "\u2069", _DIRECTION),
    ("\u2028", "\u2029", _SEPARATOR),
    ("\ud800", "\udfff", _SURROGATE),
    ("\ufdd0", "\ufdef", _NONCHARACTER),
    *((chr(plane + 0xFFFE), chr(plane + 0xFFFF), _NONCHARACTER) for plane in range(0, 0x110000, 0x10000)),
)
_REFUSED_CHARACTER = re.compile(
    "[" + "".join(f"{re.escape(first)}-{re.escape(last)}" for first, last, _ in _REFUSED_RANGES) + "]"
)


def refused_character(text: str) -> tuple[str, str] | None:
    """For the first character no text may hold: its name ('U+000B LINE TABULATION') and why, with
    what to do ('a control character, ...; remove it'). None when there is none."""
    found = _REFUSED_CHARACTER.search(text)
    if found is None:
        return None
    character = found.group()
    why, what_to_do = next(reason for a, b, reason in _REFUSED_RANGES if a <= character <= b)
    return character_name(character), f"{why}; {what_to_do}"


def name_of(path: Path) -> str:
    """A readable name for the value at `path`: 'title', 'topics item 2', 'events'."""
    if not path:
        return "the file"
    last = path[-1]
    if isinstance(last, int):
        parent = path[-2] if len(path) > 1 else "list"
        return f"{parent} item {last + 1}"
    return shown(last)


_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SCALAR_TYPES = {
    "tag:yaml.org,2002:null": "construct_yaml_null",
    "tag:yaml.org,2002:bool": "construct_yaml_bool",
    "tag:yaml.org,2002:int": "construct_yaml_int",
    "tag:yaml.org,2002:float": "construct_yaml_float",
}
_CORE_TAGS = {_STR, _TIMESTAMP, *_SCALAR_TYPES}
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)")


@dataclass(frozen=True)
class Document:
    """The data of events.yaml with the position of every value and key."""

    data: dict[str, Any]
    values: dict[Path, Mark] = field(repr=False)
    keys: dict[Path, Mark] = field(repr=False)
    # Values refused while loading (aliases, nesting too deep): None in `data`, already reported.
    refused: frozenset[Path] = field(default=frozenset(), repr=False)
    # The texts among them refused for a character no text may hold, as written: the pull
    # request's summary shows them (each such character by its code) rather than nothing.
    refused_text: dict[Path, str] = field(default_factory=dict, repr=False)

    def is_refused(self, path: Path) -> bool:
        """Whether the value at `path`, or one that holds it, was refused while loading."""
        return any(path[:i] in self.refused for i in range(len(path) + 1))

    def where(self, path: Path) -> Mark:
        """The position of the value at `path`, or of its nearest ancestor."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def where_key(self, path: Path) -> Mark:
        """The position of the key that holds `path`, falling back to the value."""
        return self.keys.get(path) or self.where(path)


def position_in(text: str, index: int) -> Mark:
    """Line and column of a character index, counting line breaks as the YAML parser does."""
    before = text[:index]
    breaks = _LINE_BREAK.findall(before)
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return len(breaks) + 1, index - line_start + 1


def decode(raw: bytes, size: int | None = None) -> tuple[str | None, list[Problem]]:
    """The file's text, or a located problem when it is not plain UTF-8 we can read.

    `size` is the whole file's, when only its start was read (-1: a stream of unknown length)."""
    size = len(raw) if size is None else size
    if size > MAX_BYTES or size < 0 or len(raw) > MAX_BYTES:
        how_big = f"{size:,} bytes" if size > MAX_BYTES else f"more than {MAX_BYTES:,} bytes"
        return None, [
            Problem(
                1,
                1,
                f"file is {how_big}, over the limit of {MAX_BYTES:,}; "
                "it was not read (is it the right file?)",
            )
        ]
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, [Problem(1, 1, "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Everything before the bad byte is valid, and the column counts characters, not bytes.
        before = raw[: exc.start].decode("utf-8")
        line, column = position_in(before, len(before))
        return None, [
            Problem(
                line,
                column,
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
            )
        ]
    if "\x00" in text:
        line, column = position_in(text, text.index("\x00"))
        return None, [Problem(line, column, "file contains a NUL character; is it a text file?")]
    unseen = _UNSEEN_BREAK.search(text)
    if unseen:
        line, column = position_in(text, unseen.start())
        character = unseen.group()
        return None, [
            Problem(
                line,
                column,
                f"character U+{ord(character):04X} ({_UNSEEN_BREAKS[character]}) is a line break to YAML "
                "but not to most editors; replace it with a space or a new line",
            )
        ]
    return text, []


class _Builder:
    """Consumes parser events and builds plain values with their positions."""

    def __init__(self, text: str) -> None:
        self.parser = _Parser(text)
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()
        self.values: dict[Path, Mark] = {}
        self.keys: dict[Path, Mark] = {}
        self.refused: set[Path] = set()
        self.refused_text: dict[Path, str] = {}
        self.problems: list[Problem] = []
        self.more_documents = False

    def problem(self, event: Any, message: str) -> None:
        mark = event.start_mark
        self.problems.append(Problem(mark.line + 1, mark.column + 1, message))

    def document(self) -> tuple[Any, bool]:
        """The single document of the stream, and whether there was one."""
        self.parser.get_event()  # StreamStartEvent
        if self.parser.check_event(StreamEndEvent):
            return None, False
        self.parser.get_event()  # DocumentStartEvent
        data = self.value((), 0)
        self.parser.get_event()  # DocumentEndEvent
        if self.parser.check_event(DocumentStartEvent):
            self.more_documents = True
            self.problem(
                self.parser.peek_event(),
                "a second YAML document starts here ('---'); events.yaml holds one document",
            )
            self.skip_rest()
        return data, True

    def skip_rest(self) -> None:
        while not self.parser.check_event(StreamEndEvent):
            self.parser.get_event()

    def value(self, path: Path, depth: int) -> Any:
        event = self.parser.get_event()
        self.values[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, AliasEvent):
            self.refused.add(path)
            self.problem(
                event,
                f"alias '*{shown(event.anchor)}' is not allowed here; write the value out in full",
            )
            return None
        if event.anchor is not None:
            self.problem(
                event,
                f"anchor '&{shown(event.anchor)}' is not allowed here; write each value out in full",
            )
        if isinstance(event, ScalarEvent):
            value = self.scalar(event)
            refused = refused_character(value) if isinstance(value, str) else None
            if refused:
                self.refused.add(path)
                self.refused_text[path] = value
                self.problem(event, f"{name_of(path)} contains {refused[0]}, {refused[1]}")
                return None
            return value
        if depth >= MAX_DEPTH:
            self.refused.add(path)
            self.problem(event, f"nesting deeper than {MAX_DEPTH} levels; events.yaml never needs this")
            self.skip_collection()
            return None
        self.check_tag(event, "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
        if isinstance(event, SequenceStartEvent):
            items = []
            while not self.parser.check_event(SequenceEndEvent):
                items.append(self.value((*path, len(items)), depth + 1))
            self.parser.get_event()
            return items
        assert isinstance(event, MappingStartEvent)
        return self.mapping(path, depth)

    def mapping(self, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while not self.parser.check_event(MappingEndEvent):
            key_event = self.parser.peek_event()
            if not isinstance(key_event, ScalarEvent) or key_event.anchor is not None:
                self.problem(key_event, "a key must be plain text")
                self.value((*path, "?"), depth + 1)  # consume (and report inside) the key
                self.value((*path, "?"), depth + 1)
                continue
            self.parser.get_event()
            # A key is always its text: an editor who writes `no:` means "no", not False.
            key = key_event.value
            key_mark = (key_event.start_mark.line + 1, key_event.start_mark.column + 1)
            refused = refused_character(key)
            if refused:
                self.problem(key_event, f"key '{shown(key)}' contains {refused[0]}, {refused[1]}")
                self.skip_value()
                continue
            if key in result:
                first = self.keys[(*path, key)]
                self.problem(
                    key_event,
                    f"duplicate key '{shown(key)}' (first at line {first[0]}); "
                    "YAML would silently keep only the last one, so remove or rename one",
                )
                self.skip_value()
                continue
            self.keys[(*path, key)] = key_mark
            result[key] = self.value((*path, key), depth + 1)
        self.parser.get_event()
        return result

    def scalar(self, event: ScalarEvent) -> Any:
        if event.implicit[0]:
            tag = self.resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        elif event.implicit[1] or event.tag in (None, "!"):
            tag = _STR
        else:
            tag = event.tag
            self.check_tag(event)
        if tag == _INT and not _DECIMAL.fullmatch(event.value):
            # YAML 1.1 also reads 0x7de, 03736, 2_014, +2014 and 33:34 as the number 2014.
            # Nobody writes a year that way: as text, the date rules refuse it.
            return event.value
        if tag in _SCALAR_TYPES:
            node = yaml.ScalarNode(tag, event.value)
            return getattr(self.constructor, _SCALAR_TYPES[tag])(node)
        # Dates stay text: the contract's dates are partial (2014, 2014-03) and
        # are checked and parsed by our own rules, not YAML's.
        return event.value

    def check_tag(self, event: Any, *allowed: str) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in _CORE_TAGS and tag not in allowed:
            short = tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(event, f"YAML tag '{shown(short)}' is not allowed; remove it")

    def skip_value(self) -> None:
        event = self.parser.get_event()
        if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            self.skip_collection()

    def skip_collection(self) -> None:
        # Counting starts and ends: a skipped subtree may be arbitrarily deep.
        depth = 1
        while depth:
            event = self.parser.get_event()
            if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
                depth += 1
            elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
                depth -= 1


def _syntax_problem(exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if isinstance(exc, yaml.reader.ReaderError):
        character = chr(_codepoint(exc.character))
        # libyaml gives the position in bytes of UTF-8, not in characters; the reader
        # stops at the first character it refuses, so its first occurrence is the one.
        line, column = position_in(text, text.find(character))
        return Problem(line, column, f"character U+{ord(character):04X} is not allowed in YAML; remove it")
    what = " ".join(
        str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part
    )
    message = f"YAML syntax error: {what or exc}"
    if mark is None:
        return Problem(1, 1, message)
    quoted = _quoted_before(text, mark) if isinstance(exc, yaml.parser.ParserError) else None
    hint = _quote_hint(quoted) if quoted else _syntax_hint(what, _line_at(text, mark), mark.column)
    if hint:
        message += f" ({hint})"
    context_mark = getattr(exc, "context_mark", None)
    # Where the mapping or list began matters less than where a quoted text began.
    if context_mark is not None and context_mark.line != mark.line and not quoted:
        message += f"; it began at line {context_mark.line + 1}"
    return Problem(mark.line + 1, mark.column + 1, message)


def _codepoint(character: int | str) -> int:
    # libyaml reports the character as a number, the pure-Python reader as text.
    return character if isinstance(character, int) else ord(character)


def _line_at(text: str, mark: Any) -> str:
    lines = _LINE_BREAK.split(text, mark.line + 1)
    return lines[mark.line] if mark.line < len(lines) else ""


def _quoted_before(text: str, mark: Any) -> Any:
    """The quoted text that ends on the line where the parser stopped, if one does.

    Text after a closing quote is the commonest syntax error, and the parser
    reports it there, far from the cause: a quote never closed lines above,
    or a quote inside a quoted text.
    """
    scanner = _Parser(text)
    previous = None
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if (token.start_mark.line, token.start_mark.column) >= (mark.line, mark.column):
                break
            previous = token
    except yaml.YAMLError:
        pass
    finally:
        scanner.dispose()
    if (
        isinstance(previous, yaml.ScalarToken)
        and previous.style in ("'", '"')
        and previous.end_mark.line == mark.line
    ):
        return previous
    return None


def _quote_hint(token: Any) -> str:
    if token.start_mark.line != token.end_mark.line:
        began = token.start_mark.line + 1
        return f"the quoted text before this began on line {began}; is its closing quote missing?"
    if token.style == '"':
        return 'a " inside a text in double quotes ends it; write it as \\" or put the text in single quotes'
    return "a ' inside a text in single quotes ends it; write it as ''"


def _syntax_hint(what: str, line: str, column: int) -> str:
    character = line[column] if column < len(line) else ""
    if "tab character" in what:
        return "YAML indents with spaces, not tabs"
    if "cannot start any token" in what:
        if character == "\t":
            return "YAML indents with spaces, not tabs"
        if character:
            return f"a value cannot start with {character!r} unless it is put in quotes"
    if "mapping values are not allowed" in what:
        if re.fullmatch(r" *[^\s:]+", line[:column]):
            # A lone key here continues the value above it: the line is indented too far.
            return "check the indentation of this line and the one before"
        return "a value containing ': ' must be put in quotes"
    if "did not find expected key" in what and character == "-":
        return "a '-' starts a list item, which cannot go here; check its indentation or remove it"
    if any(
        words in what
        for words in (
            "could not find expected ':'",
            "expected <block end>",
            "did not find expected key",
            "did not find expected '-' indicator",
        )
    ):
        return "check the indentation of this line and the one before"
    if "did not find expected ',' or ']'" in what:
        return "a '[' is not closed with ']', or a ',' is missing"
    if "did not find expected ',' or '}'" in what:
        return "a '{' is not closed with '}', or a ',' is missing"
    if "found unexpected end of stream" in what or "found unexpected end" in what:
        return "a quote or bracket is not closed"
    if "while scanning a quoted scalar" in what:
        return "a quoted text is not closed, or contains an unescaped quote"
    return ""


def _too_many_brackets(text: str) -> Problem | None:
    depth = 0
    for bracket in _BRACKET.finditer(text):
        depth = depth + 1 if bracket.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_OPEN_BRACKETS:
            line, column = position_in(text, bracket.start())
            return Problem(
                line,
                column,
                f"more than {MAX_OPEN_BRACKETS} brackets are open here; events.yaml never needs this",
            )
    return None


def load(text: str) -> tuple[Document | None, list[Problem]]:
    """Parse the text of events.yaml; `None` when there is nothing to check further."""
    brackets = _too_many_brackets(text)
    if brackets is not None:
        return None, [brackets]
    try:
        builder = _Builder(text)
    except yaml.YAMLError as exc:  # the pure-Python reader checks characters up front
        return None, [_syntax_problem(exc, text)]
    try:
        data, present = builder.document()
    except yaml.YAMLError as exc:
        return None, [*builder.problems, _syntax_problem(exc, text)]
    finally:
        builder.parser.dispose()
    if builder.more_documents:
        # Judged alone, the first document would lack whatever follows the '---'
        # (the events, say) and leave everything declared unused.
        return None, builder.problems
    if not present or data is None:
        return None, [
            *builder.problems,
            Problem(1, 1, "file is empty; it needs site, topics, actors, eras, sources and events"),
        ]
    if not isinstance(data, dict):
        line, column = builder.values[()]
        return None, [
            *builder.problems,
            Problem(
                line,
                column,
                "the top level must be a mapping of site, topics, actors, eras, sources and events",
            ),
        ]
    document = Document(data, builder.values, builder.keys, frozenset(builder.refused), builder.refused_text)
    return document, builder.problems
