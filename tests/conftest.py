"""Shared fixtures: the built real site, a local web server, and a real Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI") == "true"

# The check prints GitHub annotations by default inside GitHub Actions; the tests expect what an
# editor sees at a terminal, and ask for --format github where they test it.
os.environ.pop("GITHUB_ACTIONS", None)

# The tests import the package behind build.py from the checkout itself.
sys.path.insert(0, str(ROOT))


def run_build(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python build.py build --out OUT ...` as an editor runs it."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build", "--out", str(out), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once for the whole test run."""
    out = tmp_path_factory.mktemp("real") / "site"
    result = run_build(out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


HOSTILE = FIXTURES / "hostile-content"


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/fixtures/hostile-content built: legal data full of payloads. Its only warnings are
    for the text of the <script> and <style> payloads, which never reaches a page."""
    out = tmp_path_factory.mktemp("hostile") / "site"
    result = run_build(out, "--data", str(HOSTILE / "events.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if ": warning: " in line]
    assert warnings, "the dropped text of the <script> and <style> payloads is reported"
    assert all("would not show on the page" in line for line in warnings), warnings
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def serve() -> Iterator[object]:
    """serve(folder) -> base address of a server on 127.0.0.1 for that folder."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()


def chromium_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (make test installs it)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright. Skips on a laptop without it; fails in CI."""
    reason = chromium_missing_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason}; under CI=true browser tests may not skip")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


def node_tool(*relative: str) -> Path:
    """A file from the test tools installed by npm under tests/node (see its package.json)."""
    return ROOT / "tests" / "node" / "node_modules" / Path(*relative)


def require_node_tool(*relative: str) -> Path:
    path = node_tool(*relative)
    if not path.exists():
        reason = f"{path.relative_to(ROOT)} is missing: run `make test` (it runs npm ci in tests/node)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def which_or_skip(program: str) -> str:
    found = shutil.which(program)
    if not found:
        if IN_CI:
            pytest.fail(f"{program} is not installed; .ci/run installs it")
        pytest.skip(f"{program} is not installed")
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Chromium is marked `browser`, marked by hand or not: the quick run
    (make test-quick, `-m "not browser and not slow"`) must leave each of them out."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter) -> None:
    """Say where the browser tests left their screenshots."""
    folder = ROOT / "test-output" / "screenshots"
    if folder.is_dir() and any(folder.iterdir()):
        terminalreporter.write_line(f"screenshots of each page state: {folder}")
