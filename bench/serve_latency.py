"""From saving events.yaml to seeing the edit in the browser, under `build.py serve`.

    .venv/bin/python bench/serve_latency.py [--events 1000] [--edits 5]

Copies the synthetic project of bench/run.py (bench/.cache/N/, made if
missing) into a temporary folder, starts `python build.py serve` on it and
opens one event's page in headless Chromium. Then, for each edit, rewrites
that event's title in events.yaml and times how long the new title takes to
be the page's <h1>: the server notices the save (it polls every 0.05 s),
checks the whole file, renders the pages whose inputs changed, rewrites the
files whose bytes changed, and the page's live-reload script reloads it. The
search index of the previous save, if still being made, is cancelled first.
Edits come a second apart, as quick saves do. Prints, for each edit, when the
server had finished the rebuild and when the page showed the new title, and
the medians. A measure, never a test.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Error, Page, sync_playwright
from run import ROOT, progress, project

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 120  # seconds for the first build and for any one edit to show
EVENT = "event-{:06d}"
SHOWN = "title => document.querySelector('h1')?.textContent === title"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`build.py serve` in a child process; every line it prints, with the time it came."""

    def __init__(self, data: Path, out: Path, port: int) -> None:
        command = [sys.executable, str(ROOT / "build.py"), "serve", "--port", str(port),
                   "--data", str(data), "--out", str(out)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.perf_counter(), line.rstrip("\n")))

    def first(self, prefix: str, after: float, timeout: float) -> float | None:
        """When the server first printed a line starting with `prefix` after the time `after`."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            for at, line in list(self.lines):
                if at > after and line.startswith(prefix):
                    return at
            time.sleep(0.01)
        return None

    def wait_until_serving(self, url: str) -> None:
        deadline = time.perf_counter() + TIMEOUT
        while time.perf_counter() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    return
            except OSError:
                time.sleep(0.05)
        log = "\n".join(line for _, line in self.lines[-20:])
        sys.exit(f"the server did not serve {url} within {TIMEOUT} s; its last lines:\n{log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # as Ctrl-C: the server shuts down cleanly
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def retitle(text: str, event: str, title: str) -> str:
    """events.yaml with the title of `event` replaced."""
    pattern = re.compile(rf"^(  - id: {event}\n(?:    .*\n)*?    title: ).*$", re.MULTILINE)
    changed, count = pattern.subn(lambda m: m.group(1) + title, text, count=1)
    assert count == 1, f"no title for {event}"
    return changed


def shown(page: Page, title: str, deadline: float) -> None:
    """Wait until the page's <h1> reads `title`, across the reload that brings it."""
    while True:
        left = deadline - time.perf_counter()
        try:
            page.wait_for_function(SHOWN, arg=title, polling=10, timeout=max(left, 0.1) * 1000)
            return
        except Error:  # the reload replaced the document it was waiting in; wait in the new one
            if time.perf_counter() >= deadline:
                raise


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000, help="the size of the project (default 1000)")
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    source, pages = project(args.events)
    event = EVENT.format(args.events // 2)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        data = folder / "events.yaml"
        shutil.copy(source / "events.yaml", data)
        shutil.copytree(source / "seeds", folder / "seeds")
        original = data.read_text(encoding="utf-8")
        port = free_port()
        started = time.perf_counter()
        server = Server(data, folder / "site", port)
        rows: list[tuple[float | None, float]] = []
        try:
            url = f"http://127.0.0.1:{port}/events/{event}/index.html"
            server.wait_until_serving(url)
            first_build = time.perf_counter() - started
            progress(f"first build and start: {first_build:.2f} s")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page()
                page.goto(url, wait_until="load")
                for edit in range(1, args.edits + 1):
                    time.sleep(1)  # the page polls again; the last search index may still be in the making
                    title = f"Edited title number {edit}"
                    start = time.perf_counter()
                    data.write_text(retitle(original, event, title), encoding="utf-8")
                    shown(page, title, start + TIMEOUT)
                    visible = time.perf_counter() - start
                    # The build's last line ("site: N files written ..."), when it still reads so.
                    done = server.first("site:", start, timeout=2)
                    rebuilt = None if done is None else done - start
                    rows.append((rebuilt, visible))
                    progress(
                        f"edit {edit}: rebuilt after {seconds(rebuilt)}, visible after {seconds(visible)}"
                    )
                    page.wait_for_load_state("load")
                browser.close()
        finally:
            server.stop()
    print(
        f"`build.py serve` on {args.events:,} events ({pages:,} event and source pages): one event's "
        f"title edited {args.edits} times, headless Chromium, 127.0.0.1\n"
    )
    print("| edit | save → rebuilt | save → visible in the page |")
    print("| ---: | ---: | ---: |")
    for i, (rebuilt, visible) in enumerate(rows, 1):
        print(f"| {i} | {seconds(rebuilt)} | {seconds(visible)} |")
    median = statistics.median(v for _, v in rows)
    rebuilds = [r for r, _ in rows if r is not None]
    print(
        f"| median | {seconds(statistics.median(rebuilds) if rebuilds else None)} | {seconds(median)} |\n\n"
        f"- an edit visible within 1 s (target): {'met' if median <= 1 else 'MISSED'} "
        f"(median {median:.2f} s); first build and start-up {first_build:.2f} s"
    )


if __name__ == "__main__":
    main()
