"""404.html, as hosts serve it: for any missing address, at any depth, with status 404.

GitHub Pages answers a missing address anywhere under a site with the site's 404.html, status
404, without redirecting: the page's relative links would resolve against the missing address,
so they start from a path instead. These tests serve real builds the way GitHub Pages does, from
a project's sub-path and from a host's root, and through the preview, and look at the page in
Chromium: it must be styled as the site's other pages are.
"""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_build

from timeline.preview import PreviewServer

pytestmark = [pytest.mark.browser]

BASE_PATH = "/japan-russia-energy/"  # the path of events.yaml's base_url
MISSING = ["missing", "a/b/c/missing", "events/no-such-event/"]


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    """A static host like GitHub Pages: the folder at `mount`, its 404.html for anything missing."""

    mount = "/"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.mount):
            return str(Path(self.directory) / ".no-such-file")
        return super().translate_path("/" + path[len(self.mount) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            return super().send_error(code, message, explain)
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def pages_host() -> Iterator[object]:
    """pages_host(folder, mount) -> the address of the site on a GitHub-Pages-like host."""
    servers = []

    def start(folder: Path, mount: str) -> str:
        handler = type("Handler", (PagesHandler,), {"mount": mount})
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(folder))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}{mount}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="module")
def root_site(tmp_path_factory) -> Path:
    """The real site built for a host's root (a custom domain)."""
    out = tmp_path_factory.mktemp("root") / "site"
    result = run_build(out, "--base-url", "https://example.org/")
    assert result.returncode == 0, result.stdout + result.stderr
    return out


LOOKS = """() => {
  const masthead = getComputedStyle(document.querySelector('.masthead'));
  const body = getComputedStyle(document.body);
  return [body.fontFamily, body.backgroundColor, body.color, masthead.backgroundColor, masthead.borderBottomWidth];
}"""


@pytest.fixture(scope="module")
def styled(browser, built_site, pages_host) -> list[str]:
    """How the site's own pages look: the index, as published."""
    page = browser.new_page()
    page.goto(pages_host(built_site, BASE_PATH) + "index.html")
    looks = page.evaluate(LOOKS)
    page.close()
    unstyled = browser.new_page()
    unstyled.set_content("<body><header class='masthead'></header></body>")
    assert looks != unstyled.evaluate(LOOKS), "the comparison could not tell a styled page"
    unstyled.close()
    return looks


def looks_of_missing(browser, address: str) -> tuple[int, str, list[str]]:
    page = browser.new_page()
    response = page.goto(address)
    page.wait_for_load_state("load")
    result = response.status, page.locator("h1").inner_text(), page.evaluate(LOOKS)
    page.close()
    return result


@pytest.mark.parametrize("missing", MISSING)
@pytest.mark.parametrize("where", ["project sub-path", "root, built for it", "root, built for a sub-path"])
def test_a_missing_address_shows_the_styled_404_page_wherever_the_site_is_served(
    browser, built_site, root_site, pages_host, styled, where, missing
):
    folder, mount = {
        "project sub-path": (built_site, BASE_PATH),  # owner.github.io/japan-russia-energy/
        "root, built for it": (root_site, "/"),  # a custom domain
        "root, built for a sub-path": (built_site, "/"),  # a host given no --base-url
    }[where]
    status, title, looks = looks_of_missing(browser, pages_host(folder, mount) + missing)
    assert (status, title) == (404, "Page not found")
    assert looks == styled


@pytest.fixture(scope="module")
def preview(built_site) -> Iterator[str]:
    server = PreviewServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(built_site))
    server.serve_thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.serve_thread.join()


@pytest.mark.parametrize("missing", MISSING)
def test_the_preview_answers_a_missing_page_with_404_and_the_site_s_404_page(
    browser, preview, styled, missing
):
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(preview + missing, timeout=10)
    assert answer.value.code == 404
    body = answer.value.read().decode("utf-8")
    assert "<h1>Page not found</h1>" in body
    assert '<script src="/.preview/livereload.js"' in body  # it reloads on save like any page
    status, title, looks = looks_of_missing(browser, preview + missing)
    assert (status, title) == (404, "Page not found")
    assert looks == styled
