"""Live preview: build, serve on 127.0.0.1, rebuild on save, reload the open tab.

MkDocs' live-reload server does the watching, serving and reloading. MkDocs
1.x is no longer developed, so everything that touches it is in this module.
Its reload snippet is normally an inline <script>, which the site's
Content-Security-Policy forbids; here the snippet is served as a file from
the same origin instead, so previewed pages keep exactly the published policy.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mkdocs.livereload import LiveReloadServer, _timestamp

from .problems import Problem, for_terminal, say, visible
from .render import CSP

_RELOAD_PATH = "/.preview/livereload.js"
# How often the watched files are polled (MkDocs' default is 0.5 s), and how long the files must
# then stay unchanged before the rebuild starts (MkDocs: 0.1 s): one poll, so a save that lands
# across two polls is still built once, whole. A save is seen within 0.05 to 0.1 s.
_POLL_SECONDS = 0.05
# The client half of the reload, as a file (MkDocs ships it as an inline script).
_RELOAD_SCRIPT = (Path(__file__).parent / "livereload.js").read_bytes()


class Background(Protocol):
    """Work that follows a rebuild without holding up the reload (the search index)."""

    def run(self) -> str:
        """Do the work; returns a line for the terminal (empty for none)."""

    def cancel(self) -> None:
        """Stop early, leaving the site as it was: a newer save is about to be built."""


@dataclass(frozen=True)
class Outcome:
    """One rebuild: the problems to show instead of the site, a note for the terminal, and work
    to run in the background once the browser has been told to reload."""

    problems: list[Problem]
    note: str
    afterwards: Background | None = None


def error_page(path: str, problems: list[Problem]) -> bytes:
    """What the browser shows while the data has errors: each problem with its line."""
    items = "\n".join(
        f"<li><code>{html.escape(path)}:{p.line}:{p.column}</code> <strong>{p.severity}</strong>: "
        f"{html.escape(visible(p.message))}"
        + "".join(f'<br><span class="meta">{html.escape(visible(d))}</span>' for d in p.details)
        + "</li>"
        for p in problems
    )
    count = len(problems)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{html.escape(CSP)}">
<title>{count} problem{"s" if count != 1 else ""} in {html.escape(path)} — preview</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body class="page page-prose">
<main id="main" class="preview-errors">
<h1>{count} problem{"s" if count != 1 else ""} in {html.escape(path)}</h1>
<p class="lede">The site is not rebuilt until these are fixed. Save the file again and this page reloads.</p>
<ol class="problem-list">
{items}
</ol>
</main>
</body>
</html>
""".encode()


class _TerminalFormatter(logging.Formatter):
    """MkDocs' warnings (a path it watches, an error it caught) are printed like everything else."""

    def format(self, record: logging.LogRecord) -> str:
        return for_terminal(super().format(record))


class PreviewServer(LiveReloadServer):
    """MkDocs' server, with the reload snippet as a file and an error page while the data is broken."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.build_delay = _POLL_SECONDS
        self.failure: bytes | None = None

    def _inject_js_into_html(self, content: bytes, epoch: int) -> bytes:
        if self.failure is not None:
            content = self.failure
        tag = f'<script src="{_RELOAD_PATH}" data-epoch="{epoch}" data-request="{_timestamp()}"></script>'
        end = content.rfind(b"</body>")
        end = len(content) if end < 0 else end
        return content[:end] + tag.encode() + content[end:]

    def _serve_request(self, environ, start_response):  # type: ignore[no-untyped-def]
        path = environ["PATH_INFO"]
        if path == _RELOAD_PATH:
            start_response("200 OK", [("Content-Type", "text/javascript"), ("Cache-Control", "no-store")])
            return [_RELOAD_SCRIPT]
        if self.failure is not None and (path.endswith("/") or path.endswith(".html")):
            with self._epoch_cond:
                epoch = self._visible_epoch
            body = self._inject_js_into_html(b"", epoch)
            start_response(
                "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
            )
            return [body]
        return super()._serve_request(environ, start_response)


def serve(
    rebuild: Callable[[], Outcome],
    site: Path,
    watched: list[Path],
    port: int,
    data_label: str,
) -> None:
    """Build once, then serve `site` and rebuild whenever a watched path changes. Ctrl-C stops."""
    terminal = logging.StreamHandler()
    terminal.setFormatter(_TerminalFormatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[terminal])
    server: PreviewServer
    background: tuple[Background, threading.Thread] | None = None

    def build() -> None:
        nonlocal background
        if background is not None:
            work, thread = background
            work.cancel()  # it was for the site this save replaces; the new one gets its own
            thread.join()  # one writer at a time in the site folder
        outcome = rebuild()
        server.failure = error_page(data_label, outcome.problems) if outcome.problems else None
        say(outcome.note)
        if outcome.afterwards is not None:
            # The reload happens as soon as this returns; search catches up a moment later.
            thread = threading.Thread(target=_report, args=(outcome.afterwards,), daemon=True)
            background = (outcome.afterwards, thread)
            thread.start()

    server = PreviewServer(
        builder=build, host="127.0.0.1", port=port, root=str(site), polling_interval=_POLL_SECONDS
    )
    build()
    for path in watched:
        server.watch(str(path), recursive=path.is_dir())
    names = ", ".join(p.name for p in watched)
    say(f"Serving on http://127.0.0.1:{port}/ — watching {names}; Ctrl-C stops.")
    stopped = False
    try:
        server.serve()
    except KeyboardInterrupt:
        stopped = True
    finally:
        server.shutdown()
        if background is not None:
            background[1].join()  # the index of the last save is worth a moment's wait
    if stopped:
        say("Stopped.")


def _report(work: Background) -> None:
    try:
        note = work.run()
        if note:
            say(note)
    except Exception as exc:  # a failed index must not stop the preview; the next save retries
        say(f"search: not refreshed: {exc}")
