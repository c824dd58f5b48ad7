"""The live preview, as an editor uses it: edit, break, fix, stop."""

from __future__ import annotations

import http.client
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from timeline.preview import PreviewServer
from timeline.writer import MARKER

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


def serve_command(project: Path, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "build.py"), "serve", "--data", str(project / "events.yaml"), *args]


def test_preview_sees_the_first_save_after_the_data_file_was_a_folder(project):
    # The file watcher reports a path that changes kind by its kind before the change: a folder
    # made a file again (on the same inode, which ext4 may reuse) is "a folder modified". MkDocs
    # ignored every event about folders, so that save was lost; so was making events.yaml a
    # folder or removing that folder, each step below. Each must be seen.
    port = free_port()
    data = project / "events.yaml"
    original = data.read_text()
    server = subprocess.Popen(
        serve_command(project, "--port", str(port), "--out", str(project / "site")),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/index.html"
    missing, folder = "events.yaml not found", "events.yaml is a folder; give the path"
    try:
        wait_for(base, lambda b: "</html>" in b, "the first build")
        data.unlink()
        wait_for(base, lambda b: missing in b, "the data file removed")
        data.mkdir()
        wait_for(base, lambda b: folder in b, "the data file made a folder")
        data.rmdir()
        wait_for(base, lambda b: missing in b, "the folder removed")
        data.mkdir()
        wait_for(base, lambda b: folder in b, "the data file made a folder again")
        data.rmdir()  # and at once a file again, as the editor saves
        data.write_text(original.replace("title: Crimea, 2014", "title: Crimea, spring 2014", 1))
        wait_for(base, lambda b: "Crimea, spring 2014" in b and "preview-errors" not in b, "the first save")
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=TIMEOUT)
    assert "Traceback" not in output


def run_serve(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`build.py serve` expected to stop by itself; a preview that starts instead is a failure."""
    try:
        return subprocess.run(serve_command(project, *args), capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the preview started instead of refusing; it printed {exc.stdout!r}")


@pytest.mark.parametrize("broken", [False, True], ids=["good data", "data with errors"])
def test_preview_refuses_a_folder_the_build_did_not_make(project, tmp_path_factory, broken):
    # Before: the build was refused, then the folder was served, dotfiles included, to any Host.
    # With errors in the data no build is tried, and the folder must be refused all the same.
    if broken:
        data = project / "events.yaml"
        data.write_text(data.read_text().replace("era: crimea-2014", "era: crimea-2041", 1))
    home = tmp_path_factory.mktemp("home")
    (home / ".secret").write_text("private key")
    (home / "notes.html").write_text("<p>mine</p>")
    result = run_serve(project, "--port", str(free_port()), "--out", str(home))
    assert result.returncode == 2
    assert (
        result.stderr
        == f"error: {home} is a folder that build.py did not make; choose another --out or empty it\n"
    )
    assert result.stdout == ""  # refused before building
    assert sorted(p.name for p in home.iterdir()) == [".secret", "notes.html"]


def test_a_busy_port_is_a_usage_error_said_before_building(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve(project, "--port", str(port), "--out", str(project / "site"))
    assert result.returncode == 2
    assert result.stderr == f"error: port {port} is busy; choose another with --port\n"
    assert result.stdout == ""
    assert not (project / "site").exists()


def test_a_port_that_does_not_exist_is_a_usage_error(project):
    result = run_serve(project, "--port", "70000", "--out", str(project / "site"))
    assert result.returncode == 2
    assert result.stderr == "error: port 70000 does not exist; choose one from 1 to 65535 with --port\n"
    assert not (project / "site").exists()


@pytest.mark.parametrize(
    ("setup", "out", "message"),
    [
        (lambda p: (p / "events.yaml").unlink(), "site", "events.yaml not found"),
        (lambda p: shutil.rmtree(p / "seeds"), "site", "cannot read the seeds folder"),
        (lambda p: (p / "file").write_text(""), "file/site", "cannot create a folder beside"),
    ],
    ids=["no data file", "no seeds folder", "output not writable"],
)
def test_an_io_error_in_the_first_build_stops_the_preview_with_status_2(project, setup, out, message):
    # Nothing could be previewed; the next saves, by contrast, show such errors in the browser.
    setup(project)
    result = run_serve(project, "--port", str(free_port()), "--out", str(project / out))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


# The preview's serving rules, on a real socket, against a folder made to tempt them.


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[tuple[PreviewServer, Path]]:
    site = tmp_path / "site"
    (site / "events" / "x").mkdir(parents=True)
    (site / "assets").mkdir()
    (site / MARKER).write_bytes(b"")
    (site / "index.html").write_text("<html><body>home</body></html>")
    (site / "events" / "x" / "index.html").write_text("<html><body>event x</body></html>")
    (site / "assets" / "style.css").write_text("body {}")
    (site / ".secret").write_text("private key")
    (site / "assets" / ".hidden").write_text("hidden")
    (tmp_path / "outside.txt").write_text("outside")
    (site / "leak.txt").symlink_to(tmp_path / "outside.txt")
    server = PreviewServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(site))
    server.serve_thread.start()
    try:
        yield server, site
    finally:
        server.shutdown()
        server.serve_thread.join()


def request(server: PreviewServer, path: str, host: str | None = None) -> http.client.HTTPResponse:
    port = server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    if host != "":
        connection.putheader("Host", host or f"127.0.0.1:{port}")
    connection.endheaders()
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_preview_serves_the_site_with_restrictive_headers(preview):
    server, _site = preview
    for path in ("/", "/events/x/", "/assets/style.css", "/no-such-page"):
        response = request(server, path)
        assert response.status == (404 if path == "/no-such-page" else 200), path
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")
        assert response.getheader("Cross-Origin-Resource-Policy") == "same-origin"
    assert b"event x" in request(server, "/events/x/").body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", ""])
def test_preview_answers_only_requests_addressed_to_itself(preview, host):
    # DNS rebinding: a page at evil.example points its name at 127.0.0.1 and reads the preview.
    server, _site = preview
    port = server.server_address[1]
    response = request(server, "/", host.format(port=port))
    assert response.status == 421
    assert response.body == f"This preview answers only at http://127.0.0.1:{port}/\n".encode()
    assert request(server, "/", f"localhost:{port}").status == 200
    assert request(server, "/", f"127.0.0.1:{port}").status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/%2F%2Fevil.example/..%2F..%2Fevents/x",
        "/%5C%5Cevil.example/..%2F..%2Fevents/x",
        "//evil.example/../events/x",
    ],
)
def test_preview_never_redirects_off_site(preview, path):
    server, _site = preview
    response = request(server, path)
    assert response.status == 302
    location = response.getheader("Location")
    assert location == "/events/x/"
    base = f"http://127.0.0.1:{server.server_address[1]}{path}"
    assert (
        urllib.parse.urlsplit(urllib.parse.urljoin(base, location)).netloc
        == f"127.0.0.1:{server.server_address[1]}"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/.secret",
        "/assets/.hidden",
        f"/{MARKER}",
        "/assets/..%2F.secret",
        "/leak.txt",
        "/livereload/../.secret",
        "/../outside.txt",
    ],
)
def test_preview_serves_no_dotfile_and_nothing_outside_the_site(preview, path):
    server, _site = preview
    response = request(server, path)
    assert response.status == 404
    assert b"private key" not in response.body
    assert b"outside" not in response.body


def test_preview_serves_nothing_from_a_folder_the_build_did_not_make(preview):
    server, site = preview
    (site / MARKER).unlink()
    for path in ("/", "/index.html", "/assets/style.css"):
        assert request(server, path).status == 404, path
