"""The index against a TimelineJS embed of the same timeline.json, in one Chromium run.

    .venv/bin/python bench/page_weight.py [--runs 5]

Builds the real site into a temporary folder, serves it on 127.0.0.1 beside
the pinned TimelineJS release (tests/node), loads each page in a fresh
browser context and prints the median bytes transferred, requests, and time
to first contentful paint. The README's comparison table comes from here.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def _harness() -> tuple[str, str]:
    """The TimelineJS harness page of the tests, so both measure the same embed."""
    spec = importlib.util.spec_from_file_location("timelinejs_test", ROOT / "tests" / "test_timelinejs.py")
    assert spec is not None
    assert spec.loader is not None
    sys.path.insert(0, str(ROOT / "tests"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.HARNESS, module.LIBRARY


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def measure(browser, url: str, ready: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: list[float] = []
    cdp.on("Network.loadingFinished", lambda event: sizes.append(event["encodedDataLength"]))
    page.goto(url, wait_until="load")
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")
    context.close()
    return {"bytes": sum(sizes), "requests": len(sizes), "fcp": fcp}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    harness, library = _harness()
    with tempfile.TemporaryDirectory() as temp:
        site = Path(temp) / "site"
        subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--out", str(site)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        dist = ROOT / "tests" / "node" / "node_modules" / "@knight-lab" / "timelinejs" / "dist"
        shutil.copytree(dist, site / library)
        (site / "timelinejs.html").write_text(harness, encoding="utf-8")
        handler = functools.partial(_Quiet, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        pages = {"our index": ("index.html", "main"), "TimelineJS embed": ("timelinejs.html", ".tl-slide")}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            for _ in range(args.runs):  # alternating, so both see the same machine
                for name, (path, ready) in pages.items():
                    results[name].append(measure(browser, base + path, ready))
            browser.close()
        server.shutdown()
        index_html = (site / "index.html").stat().st_size
        assets = sum(p.stat().st_size for p in (site / "assets").glob("*.*") if p.suffix in (".css", ".js"))
    print(f"median of {args.runs} runs, headless Chromium, 1280x900, 127.0.0.1, no compression\n")
    print("| page | bytes transferred | requests | first contentful paint |")
    print("| --- | ---: | ---: | ---: |")
    for name, runs in results.items():
        size = statistics.median(r["bytes"] for r in runs)
        count = statistics.median(r["requests"] for r in runs)
        fcp = statistics.median(r["fcp"] for r in runs if r["fcp"] is not None)
        print(f"| {name} | {size / 1024:,.1f} kB | {count:.0f} | {fcp:,.0f} ms |")
    print(f"\nindex.html {index_html / 1024:,.1f} kB + CSS and JS {assets / 1024:,.1f} kB "
          f"= {(index_html + assets) / 1024:,.1f} kB uncompressed (budget: 60 kB)")  # fmt: skip


if __name__ == "__main__":
    main()
