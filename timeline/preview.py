"""Live preview: build, serve on 127.0.0.1, rebuild on save, reload the open tab.

MkDocs' live-reload server does the watching, serving and reloading. MkDocs
1.x is no longer developed, so everything that touches it is in this module.
Its reload snippet is normally an inline <script>, which the site's
Content-Security-Policy forbids; here the snippet is served as a file from
the same origin instead, so previewed pages keep exactly the published policy.

The files are served by this module, not by MkDocs: the preview answers only
requests addressed to 127.0.0.1 or localhost (a web page elsewhere cannot
reach it through a domain that resolves to 127.0.0.1), serves only a folder
that build.py made, never a dotfile or a file outside that folder, and
redirects only to paths on itself.
"""

from __future__ import annotations

import errno
import html
import logging
import os
import posixpath
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import watchdog.events
from mkdocs.livereload import LiveReloadServer, _timestamp

from .problems import Problem, for_terminal, say, visible
from .render import CSP
from .writer import MARKER

_RELOAD_PATH = "/.preview/livereload.js"
# MkDocs answers these itself; any other path under /livereload/ it would serve as a file.
_RELOAD_POLL = re.compile(r"/livereload/[0-9]+/[0-9]+")
# How often the watched files are polled (MkDocs' default is 0.5 s), and how long the files must
# then stay unchanged before the rebuild starts (MkDocs: 0.1 s): one poll, so a save that lands
# across two polls is still built once, whole. A save is seen within 0.05 to 0.1 s.
_POLL_SECONDS = 0.05
# The client half of the reload, as a file (MkDocs ships it as an inline script).
_RELOAD_SCRIPT = (Path(__file__).parent / "livereload.js").read_bytes()
# Sent with every response. The published policy as a header too, so it also covers files that
# are not pages (an SVG opened on its own) and forbids framing; other sites may not embed the
# preview's files, nor sniff a type into them.
_HEADERS = [
    ("Content-Security-Policy", f"{CSP}; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Referrer-Policy", "no-referrer"),
]


class CannotServe(Exception):
    """The preview cannot start (the port is taken, the site cannot be written): exit status 2."""


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
    """MkDocs' server, with the reload snippet as a file, an error page while the data is broken,
    and its own serving of files (see the module's docstring)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.build_delay = _POLL_SECONDS
        self.failure: bytes | None = None
        self.error_handler = self._error_page
        # Bound now, before the first build, so a busy port is said at once; MkDocs binds in
        # serve(), after the build, and these two are then no-ops.
        try:
            super().server_bind()
            super().server_activate()
        except OSError:
            self.server_close()
            raise
        port = self.server_address[1]
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        if port == 80:  # a browser leaves the default port out
            self.hosts |= {"127.0.0.1", "localhost"}

    def server_bind(self) -> None:
        pass  # done in __init__

    def server_activate(self) -> None:
        pass  # done in __init__

    def watch(self, path: str, func: None = None, *, recursive: bool = True) -> None:
        """Rebuild on every change under `path`. MkDocs' own watch ignores changes to folders; but
        when a path changes kind (events.yaml made a folder, then a file again, on the same inode)
        watchdog reports the change under the path's previous kind, and the save would be lost."""
        path = os.path.abspath(path)
        handler = watchdog.events.FileSystemEventHandler()
        handler.on_any_event = lambda event: self._request_rebuild()  # type: ignore[method-assign]
        self._watched_paths[path] = 1
        self._watch_refs[path] = self.observer.schedule(handler, path, recursive=recursive)

    def _request_rebuild(self) -> None:
        with self._rebuild_cond:
            self._want_rebuild = True
            self._rebuild_cond.notify_all()

    def _inject_js_into_html(self, content: bytes, epoch: int) -> bytes:
        if self.failure is not None:
            content = self.failure
        tag = f'<script src="{_RELOAD_PATH}" data-epoch="{epoch}" data-request="{_timestamp()}"></script>'
        end = content.rfind(b"</body>")
        end = len(content) if end < 0 else end
        return content[:end] + tag.encode() + content[end:]

    def serve_request(self, environ, start_response):  # type: ignore[no-untyped-def]
        def respond(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, [*headers, *_HEADERS], *exc_info)

        # A page on another site can point its own domain at 127.0.0.1 (DNS rebinding) and read
        # the preview as if it were its own origin; the Host header gives it away.
        if environ.get("HTTP_HOST", "").lower() not in self.hosts:
            port = self.server_address[1]
            body = f"This preview answers only at http://127.0.0.1:{port}/\n".encode()
            respond(
                "421 Misdirected Request",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return super().serve_request(environ, respond)

    def _error_page(self, code: int) -> bytes | None:
        """A missing page answers 404 with the site's 404.html, as GitHub Pages does (MkDocs sends
        the status it gives this page), so that page can be seen and tested here."""
        if code != 404:
            return None
        page = self._serve_file("/404.html", lambda *_: None)
        return b"".join(page) if page is not None else None

    def _serve_request(self, environ, start_response):  # type: ignore[no-untyped-def]
        # PEP 3333 hands the path over as Latin-1; the browser sent UTF-8.
        path = environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace") or "/"
        if path == _RELOAD_PATH:
            start_response("200 OK", [("Content-Type", "text/javascript"), ("Cache-Control", "no-store")])
            return [_RELOAD_SCRIPT]
        if _RELOAD_POLL.fullmatch(path):  # the open tab asking whether to reload
            return super()._serve_request(environ, start_response)
        if self.failure is not None and (path.endswith("/") or path.endswith(".html")):
            with self._epoch_cond:
                epoch = self._visible_epoch
            body = self._inject_js_into_html(b"", epoch)
            start_response(
                "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
            )
            return [body]
        return self._serve_file(path, start_response)

    def _serve_file(self, path: str, start_response) -> Iterable[bytes] | None:  # type: ignore[no-untyped-def]
        """The file at `path` in the site folder, or None (404). Only a folder build.py made is
        served, never a dotfile (the marker, a half-written index), nor anything outside it."""
        root = os.path.realpath(self.root)
        if not os.path.isfile(os.path.join(root, MARKER)):
            return None
        # "..", "." and repeated slashes resolved, so the path names one place and only one.
        relative = posixpath.normpath("/" + path).lstrip("/")
        parts = [part for part in relative.split("/") if part]
        if any(part.startswith(".") or "\x00" in part for part in parts):
            return None
        wanted = os.path.join(root, *parts)
        if path.endswith("/") or not parts:
            wanted = os.path.join(wanted, "index.html")
        elif os.path.isdir(wanted):
            if not os.path.isfile(os.path.join(wanted, "index.html")):
                return None
            # Rebuilt from the normalised path: it starts with one "/" followed by neither "/"
            # nor "\\" (quoted), so no browser reads it as another host.
            start_response("302 Found", [("Location", "/" + urllib.parse.quote("/".join(parts)) + "/")])
            return []
        target = os.path.realpath(wanted)
        if not target.startswith(root + os.sep):  # a link leading out of the site
            return None
        # Wait until the ongoing rebuild (if any) finishes, so a half-built site is not served.
        with self._epoch_cond:
            self._epoch_cond.wait_for(lambda: self._visible_epoch == self._wanted_epoch)
            epoch = self._visible_epoch
        try:
            with open(target, "rb") as file:
                content = file.read()
        except OSError:
            return None
        if target.endswith(".html"):
            content = self._inject_js_into_html(content, epoch)
        start_response(
            "200 OK", [("Content-Type", self._guess_type(target)), ("Content-Length", str(len(content)))]
        )
        return [content]


def serve(
    rebuild: Callable[[], Outcome],
    site: Path,
    watched: list[Path],
    port: int,
    data_label: str,
) -> None:
    """Take the port, build once, then serve `site` and rebuild whenever a watched path changes.
    Ctrl-C stops. Raises CannotServe, before building, when the port cannot be had; and when the
    first build does (rebuild raises it: nothing could be previewed)."""
    if not 1 <= port <= 65535:
        raise CannotServe(f"port {port} does not exist; choose one from 1 to 65535 with --port")
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

    try:
        server = PreviewServer(
            builder=build, host="127.0.0.1", port=port, root=str(site), polling_interval=_POLL_SECONDS
        )
    except OSError as exc:
        busy = exc.errno == errno.EADDRINUSE
        reason = "is busy" if busy else f"cannot be used ({exc.strerror or exc})"
        raise CannotServe(f"port {port} {reason}; choose another with --port") from None
    try:
        build()
    except BaseException:
        server.server_close()
        raise
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
