"""The benchmark's MkDocs side builds the same pages as ours: one per event and per source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_build

sys.path.insert(0, str(ROOT / "bench"))

import generate
import mkdocs_site


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench")
    generate.generate(20, folder / "project")
    return folder


def test_one_markdown_page_per_event_and_source_and_an_index(project):
    pages = mkdocs_site.convert(project / "project", project / "mkdocs")
    docs = project / "mkdocs" / "docs"
    events = sorted(p.stem for p in (docs / "events").glob("*.md"))
    sources = sorted(p.stem for p in (docs / "sources").glob("*.md"))
    assert events == [f"event-{i:06d}" for i in range(20)]
    assert sources == ["source-00000"]
    assert pages == 21
    index = (docs / "index.md").read_text()
    assert all(f"(events/{e}.md)" in index for e in events)
    event = (docs / "events" / "event-000007.md").read_text()
    assert event.startswith("# Synthetic event 7 about ")
    assert "— [Source number 0](../sources/source-00000.md), Synthetic Wire" in event
    assert "nav:\n  - index.md\n" in (project / "mkdocs" / "mkdocs.yml").read_text()


def test_mkdocs_and_our_build_count_the_same_event_and_source_pages(project):
    mkdocs_site.convert(project / "project", project / "mkdocs")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml", "-d", str(project / "m-site")],
        cwd=project / "mkdocs",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the pages left out of nav are an INFO line, which -q keeps quiet
    built = run_build(project / "o-site", "--data", str(project / "project" / "events.yaml"))
    assert built.returncode == 0, built.stdout + built.stderr
    assert mkdocs_site.built_pages(project / "m-site") == mkdocs_site.built_pages(project / "o-site") == 21
