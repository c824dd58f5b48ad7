"""Every page of the built site is valid HTML, by the Nu HTML Checker (vnu.jar, pinned in tests/node)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import require_node_tool, which_or_skip

pytestmark = pytest.mark.slow

# An invalid page checked in the same run: its error must come back, under its
# own path, or the checker did not read the files it was given.
CANARY = "<!doctype html><html lang=en><title>canary</title><p>a stray end tag</span>\n"


# The check lets an address hold '"', '<', '>' or a space (base_url and url only need
# \S+, Markdown links only a scheme): escaped, they stay inert, but the checker calls
# such an href invalid. The hostile fixture has them on purpose; nothing else may fail.
# vnu quotes the value, or, for a long one (a hostile address with a text fragment), leaves it out
# and names the character instead.
ADDRESS_WITH_QUOTES = re.compile(
    r'Bad value “[^”]*["<> ][^”]*” for attribute “(href|src)”'
    r'|Bad value\s+for attribute “(href|src)”.* “["<> ]” is not allowed'
)


def run_vnu(files: list[Path]) -> list[dict]:
    """One Java start for all files: the JVM and the schemas take most of the time."""
    java = which_or_skip("java")
    jar = require_node_tool("vnu-jar", "build", "dist", "vnu.jar")
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "json", "--stdout", "--exit-zero-always"]
        + [str(file) for file in files],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["messages"]


def reported_path(message: dict) -> Path:
    """vnu names a file by a URL of the form file:/tmp/site/index.html."""
    return Path(unquote(urlsplit(message.get("url", "")).path))


def describe(message: dict, root: Path) -> str:
    path = reported_path(message)
    where = path.relative_to(root) if path.is_relative_to(root) else path
    line = message.get("lastLine", message.get("firstLine", "?"))
    column = message.get("firstColumn", message.get("lastColumn", "?"))
    text = f"{where}:{line}:{column}: {message['type']}: {message['message']}"
    if message.get("extract"):
        text += "\n    " + message["extract"].replace("\n", "\n    ")
    return text


def test_every_page_is_valid_html(built_site: Path, hostile_site: Path, tmp_path: Path) -> None:
    """The real site, and the build of tests/fixtures/hostile-content: its payloads stay text in valid pages."""
    pages = sorted(built_site.rglob("*.html"))
    names = {page.relative_to(built_site).as_posix() for page in pages}
    assert {"index.html", "404.html", "about/index.html", "sources/index.html"} <= names, sorted(names)
    assert any(name.startswith("events/") for name in names)
    canary = tmp_path.resolve() / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")

    hostile = sorted(hostile_site.rglob("*.html"))
    assert len(hostile) > 20
    messages = run_vnu([*pages, *hostile, canary])

    assert any(reported_path(message) == canary for message in messages), (
        "the checker did not report the invalid canary page: " + json.dumps(messages)[:2000]
    )
    hostile_root = hostile_site.resolve()
    problems = [
        describe(
            message,
            hostile_root if reported_path(message).is_relative_to(hostile_root) else built_site.resolve(),
        )
        for message in messages
        if reported_path(message) != canary
        and not (
            reported_path(message).is_relative_to(hostile_root)
            and ADDRESS_WITH_QUOTES.match(message["message"])
        )
    ]
    assert not problems, f"{len(problems)} HTML errors in the built site:\n" + "\n".join(problems)
