"""Two builds of one site, searched alike: does each query find the same pages?

    .venv/bin/python bench/search_compare.py SITE_A SITE_B [QUERY ...]

Serves both folders from 127.0.0.1 and, in headless Chromium, runs each query
through the site's own Pagefind index as assets/site.js does; prints, for
each query, the number of results, the events and sources found in one and
not the other, whether the first result is the same, and how many excerpts
differ; then the filters (names, values and counts) of each. A measure, never
a test: it shows what a change of the search index does to readers' results.
"""

from __future__ import annotations

import functools
import http.server
import json
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
WORDS = (
    "Bessent Sakhalin LNG sanctions oil gas price cap Kishida Arctic Mitsui Mitsubishi Novatek "
    "India China tanker yen crude imports Putin Ukraine Crimea G7 insurance shipping Moscow "
    "Hayashi exemption ruble nuclear coal Reuters 2022 islands treaty Abe Kuril"
)
QUERIES = [*WORDS.split(), "price cap", "Sakhalin-2", "Arctic LNG 2", "Sakhalin 1"]

SEARCH = """async ([query, sort]) => {
  const pagefind = await import(new URL("pagefind/pagefind.js", location.href).href);
  await pagefind.options({ baseUrl: "/" });
  const search = await pagefind.search(query, sort ? { sort: { date: "asc" } } : {});
  const data = await Promise.all(search.results.map((r) => r.data()));
  return data.map((d) => ({ url: d.url, title: d.meta.title, date: d.meta.date || "", excerpt: d.excerpt }));
}"""
FILTERS = """async () => {
  const pagefind = await import(new URL("pagefind/pagefind.js", location.href).href);
  await pagefind.options({ baseUrl: "/" });
  return await pagefind.filters();
}"""


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/index.html"


def results(page, query: str, sort: bool = False) -> list[dict[str, str]]:
    return page.evaluate(SEARCH, [query, sort])


def main() -> int:
    a, b = Path(sys.argv[1]), Path(sys.argv[2])
    queries = sys.argv[3:] or QUERIES
    same_sets = same_first = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        pages = []
        for folder in (a, b):
            _server, url = serve(folder)
            page = browser.new_page()
            page.goto(url)
            pages.append(page)
        for query in queries:
            ra, rb = (results(page, query) for page in pages)
            ua, ub = [r["url"] for r in ra], [r["url"] for r in rb]
            only_a, only_b = sorted(set(ua) - set(ub)), sorted(set(ub) - set(ua))
            first = bool(ua) == bool(ub) and (not ua or ua[0] == ub[0])
            excerpts = sum(1 for x in ra for y in rb if x["url"] == y["url"] and x["excerpt"] != y["excerpt"])
            # Sorted by date: the same dates in the same order (pages of one date may tie either way).
            sa, sb = (results(page, query, True) for page in pages)
            common = {r["url"] for r in sa} & {r["url"] for r in sb}
            sorted_same = [r["date"] for r in sa if r["url"] in common] == [
                r["date"] for r in sb if r["url"] in common
            ]
            same_sets += not only_a and not only_b
            same_first += first
            print(
                f"{query!r}: {len(ua)} / {len(ub)} results; first {'same' if first else 'DIFFERENT'}; "
                f"by date {'same order' if sorted_same else 'DIFFERENT order'}; "
                f"excerpts differing {excerpts}"
                + (f"; only in A: {only_a}" if only_a else "")
                + (f"; only in B: {only_b}" if only_b else "")
            )
        fa, fb = (page.evaluate(FILTERS) for page in pages)
        print(f"filters: {'same' if fa == fb else 'DIFFERENT'}")
        if fa != fb:
            print(json.dumps(fa, sort_keys=True)[:2000])
            print(json.dumps(fb, sort_keys=True)[:2000])
        browser.close()
    print(f"{same_sets} of {len(queries)} queries find the same pages; {same_first} the same first result")
    return 0


if __name__ == "__main__":
    sys.exit(main())
