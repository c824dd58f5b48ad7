"""axe-core, every rule it runs by default (WCAG and best practices alike), on every kind of page.

One test runs the whole matrix (each kind of page, light and dark, 375 and 1280 pixels wide) and
fails with the list of every finding, so that one run says all that is left to fix. The site is
served as GitHub Pages serves it (tests/test_not_found.py), from its published path, so that
404.html is audited where readers meet it: at a missing address.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import FIXTURES, require_node_tool, run_build
from test_not_found import BASE_PATH, pages_host  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {
    "index": "index.html",
    "search results": "index.html",  # with the results of a search open
    "event": "events/bessent-tells-kato-stop-russian-energy-2025/index.html",
    "withdrawn event": "GOLDEN events/motegi-says-ties-unchanged-2014/index.html",  # the real site has none
    "source": "sources/voa-2014-03-04/index.html",
    "sources list": "sources/index.html",
    "topics and actors": "topics/index.html",
    "topic": "topics/lng/index.html",
    "actor": "actors/japan/index.html",
    "about": "about/index.html",
    "methodology": "methodology/index.html",
    "contribute": "contribute/index.html",
    "corrections": "corrections/index.html",
    "404": "a/b/no-such-page",
    "event, citation open": "events/bessent-tells-kato-stop-russian-energy-2025/index.html#cite",
    "embedded event": "embed/events/bessent-tells-kato-stop-russian-energy-2025/index.html",
    "embedded timeline": "embed/index.html",
}
SCHEMES = ["light", "dark"]
WIDTHS = [375, 1280]

# Every rule axe runs unless told otherwise: no `runOnly`, so best practices (landmark-unique,
# region, heading-order...) count as much as the WCAG rules.
RUN = "axe.run(document, {resultTypes: ['violations']})"


def findings_on(page) -> list[dict]:
    result = page.evaluate(RUN)
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in result["violations"]
    ]


GOLDEN = FIXTURES / "golden-project"


@pytest.fixture(scope="module")
def golden_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "site"
    result = run_build(out, "--data", str(GOLDEN / "events.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_axe_finds_nothing_on_any_kind_of_page(browser, built_site, golden_site, pages_host):  # noqa: F811
    withdrawn = golden_site / PAGES["withdrawn event"].removeprefix("GOLDEN ")
    assert 'class="page page-event page-withdrawn"' in withdrawn.read_text(encoding="utf-8")
    axe = require_node_tool("axe-core", "axe.min.js").read_text(encoding="utf-8")
    base = pages_host(built_site, BASE_PATH)
    golden_path = urlsplit(json.loads((golden_site / "events.json").read_text())["site"]["base_url"]).path
    golden = pages_host(golden_site, golden_path)
    found = []
    audited = 0
    for scheme in SCHEMES:
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
            page = context.new_page()
            for kind, path in PAGES.items():
                address = golden + path.removeprefix("GOLDEN ") if path.startswith("GOLDEN ") else base + path
                page.goto(address, wait_until="load")
                if kind == "search results":
                    page.locator("#search-input").fill("Bessent")
                    page.locator("#search-results:not([hidden]) li a").first.wait_for()
                # Evaluated by the browser's debugger, so the page's policy (no inline script) stands.
                page.evaluate(axe)
                for finding in findings_on(page):
                    line = (f"{kind} ({path}), {scheme}, {width}px: {finding['rule']} ({finding['impact']}): "
                            f"{finding['help']} — {finding['nodes']}")  # fmt: skip
                    found.append(((finding["rule"], kind), line))
                audited += 1
            context.close()
    assert audited == len(PAGES) * len(SCHEMES) * len(WIDTHS)
    assert found == [], "axe's findings:\n" + "\n".join(line for _, line in found)
