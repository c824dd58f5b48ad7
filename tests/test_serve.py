"""The live preview, as an editor uses it: edit, break, fix, stop."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

TIMEOUT = 60  # generous: the test is about what is served, not how fast


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def wait_for(url: str, predicate, what: str) -> str:
    deadline = time.monotonic() + TIMEOUT
    body = ""
    while time.monotonic() < deadline:
        body = fetch(url)
        if predicate(body):
            return body
        time.sleep(0.3)
    pytest.fail(f"waited {TIMEOUT}s for {what}; last response began: {body[:300]!r}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "events.yaml", tmp_path / "events.yaml")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    return tmp_path


def test_preview_rebuilds_on_save_shows_errors_and_recovers(project):
    port = free_port()
    data = project / "events.yaml"
    original = data.read_text()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--port", str(port),
         "--data", str(data), "--out", str(project / "site")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    try:
        page = wait_for(base + "index.html", lambda b: "</html>" in b, "the first build")
        assert '<script src="/.preview/livereload.js"' in page
        assert "script-src 'self'" in page.replace("&#39;", "'")  # the published policy, unweakened
        assert "livereload(" not in page  # no inline script injected

        entry = fetch(base + "pagefind/pagefind-entry.json")
        data.write_text(original.replace("title: Crimea, 2014", "title: Crimea, spring 2014", 1))
        wait_for(base + "index.html", lambda b: "Crimea, spring 2014" in b, "the edited title")
        # The era's title is a search filter on its events: the index is refreshed after the reload.
        wait_for(base + "pagefind/pagefind-entry.json", lambda b: b != entry, "the refreshed search index")

        data.write_text(original.replace("era: crimea-2014", "era: crimea-2041", 1))
        page = wait_for(base + "index.html", lambda b: 'class="preview-errors"' in b, "the error page")
        assert "unknown era &#x27;crimea-2041&#x27; (did you mean &#x27;crimea-2014&#x27;?)" in page
        line = original[: original.index("era: crimea-2014")].count("\n") + 1
        assert f"events.yaml:{line}:" in page

        data.write_text(original)
        wait_for(
            base + "index.html", lambda b: "Crimea, 2014" in b and "preview-errors" not in b, "the site again"
        )
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=TIMEOUT)
    assert server.returncode == 0, output
    assert "Traceback" not in output
    assert "unknown era 'crimea-2041' (did you mean 'crimea-2014'?)" in output  # printed in the terminal too
    assert output.count("search: indexed") >= 2  # the first build, then after the edit
    assert output.rstrip().endswith("Stopped.")
