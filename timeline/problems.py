"""Problems found in an editor's input, and how they are printed.

Every stage reports through `Problem` so that an editor always gets
file, line and column, whatever went wrong.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from unicodedata import name as unicode_name

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    column: int
    message: str
    severity: str = ERROR
    # Extra lines printed under the message, such as the closest passage of a source.
    details: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def shown(value: Any, limit: int = 60) -> str:
    """A value quoted in a message, cut short: a 1 MB title must not fill the terminal."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Unicode gives control characters no name; these are their usual ones.
_CONTROL_NAMES = {
    0x00: "NULL", 0x07: "BELL", 0x08: "BACKSPACE", 0x09: "CHARACTER TABULATION", 0x0A: "LINE FEED",
    0x0B: "LINE TABULATION", 0x0C: "FORM FEED", 0x0D: "CARRIAGE RETURN", 0x1B: "ESCAPE", 0x7F: "DELETE",
    0x85: "NEXT LINE",
}  # fmt: skip


def character_name(character: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE', 'U+000A LINE FEED', or 'U+FFFE' for a character without a name."""
    name = _CONTROL_NAMES.get(ord(character)) or unicode_name(character, "")
    return f"U+{ord(character):04X}" + (f" {name}" if name else "")


def visible(text: str) -> str:
    """`text` with every invisible character written as <U+200B>.

    A zero-width space in an id must show in the message that refuses it, and a
    right-to-left override must not reorder the rest of the line on the terminal.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"<U+{ord(c):04X}>" for c in text)


def for_terminal(text: str) -> str:
    """`text` to print: each of its lines through visible().

    Editors' text reaches the terminal in messages and the `changes` summary, and other text in
    notes and errors (Pagefind's, a library's). ESC [2J or ESC ] 0; in a title would clear the
    screen or retitle the window, a CR overwrite a line with a fake result, U+202E reverse it:
    here every such character becomes its code. (A newline inside one message is the
    formatter's to show: format_text() does.)
    """
    return "\n".join(visible(line) for line in text.split("\n"))


def say(text: str = "", *, error: bool = False) -> None:
    """Print to the terminal: all that build.py prints goes through here (or for_terminal())."""
    print(for_terminal(text), file=sys.stderr if error else sys.stdout, flush=True)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Sorted by position, each problem once (a rule and the schema may find the same)."""
    seen: set[tuple[int, int, str, str]] = set()
    unique = []
    for problem in sorted(problems):
        key = (problem.line, problem.column, problem.message, problem.severity)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def format_text(path: str, problems: list[Problem]) -> str:
    lines = []
    for p in problems:
        lines.append(f"{path}:{p.line}:{p.column}: {p.severity}: {visible(p.message)}")
        lines.extend(f"    {visible(detail)}" for detail in p.details)
    return "\n".join(lines)


def _escape_data(text: str) -> str:
    # The workflow-command escaping GitHub documents for messages.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(path: str, problems: list[Problem]) -> str:
    """GitHub Actions annotations, so each problem shows on its line of the pull request."""
    lines = []
    for p in problems:
        message = "\n".join(visible(text) for text in (p.message, *p.details))
        lines.append(
            f"::{p.severity} file={_escape_property(path)},line={p.line},col={p.column}"
            f"::{_escape_data(message)}"
        )
    return "\n".join(lines)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def count_phrase(problems: list[Problem]) -> str:
    """'3 problems (2 errors, 1 warning)', or '2 problems' when all are of one kind."""
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    phrase = plural(len(problems), "problem")
    if errors and warnings:
        phrase += f" ({plural(errors, 'error')}, {plural(warnings, 'warning')})"
    return phrase
