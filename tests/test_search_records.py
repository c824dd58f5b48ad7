"""The search index is made from the model (timeline/search.py, RECORDS): an event is found by its
own words, never by the title of a source it cites; the preview's re-index is the build's."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from test_build import _project

import build
from timeline import render, search
from timeline.site import SiteData

SEARCH = """async (query) => {
  const pagefind = await import(new URL("pagefind/pagefind.js", location.href).href);
  await pagefind.options({ baseUrl: "/" });
  const search = await pagefind.search(query);
  return await Promise.all(search.results.map(async (r) => (await r.data()).url));
}"""


def _data() -> SiteData:
    checked = build.check(build.load(_project(Path("."))))
    return SiteData(checked.timeline, checked.seeds)


@pytest.mark.browser
def test_a_word_only_in_a_cited_sources_title_does_not_find_the_event(browser, serve, built_site):
    # "Embrace" is in the title of a source that 23 events cite; not one of them says it.
    word = "Embrace"
    data = _data()
    titled = [s for s in data.timeline.sources if word.lower() in s.title.lower()]
    citing = {
        e.id for e in data.timeline.events if any(data.sources[c.source] in titled for c in e.citations)
    }
    own = {e.id for e in data.timeline.events if word.lower() in search.event_record(data, e).html.lower()}
    silent = citing - own
    assert titled, "the premise: a source is titled with the word"
    assert silent, "the premise: events cite it and do not say the word"
    page = browser.new_page()
    try:
        page.goto(serve(built_site) + "index.html")
        found = set(page.evaluate(SEARCH, word))
    finally:
        page.close()
    assert {f"/events/{key}/" for key in own} <= found, "the events that say it themselves are found"
    assert {f"/sources/{s.id}/" for s in titled} <= found, "and the source, by its own title"
    assert {f"/events/{key}/" for key in silent} & found == set(), "never an event by its source's title"


def test_an_events_record_holds_its_own_words_and_none_of_its_sources_titles():
    data = _data()
    for event in data.timeline.events:
        html = search.event_record(data, event).html
        assert f"<h1>{search.escape(event.title)}</h1>" in html
        for citation in event.citations:
            title = data.sources[citation.source].title
            if title.lower() not in event.title.lower() and title.lower() not in event.summary.lower():
                assert str(search.escape(title)) not in html, (event.id, title)


def test_sources_are_indexed_whole_under_the_budget_and_by_their_cited_passages_over_it(monkeypatch):
    data = _data()
    source = next(s for s in data.timeline.sources if data.passages[s.id])
    whole = search.source_record(data, source, search.full_texts(data)).html
    assert search.full_texts(data), "the real site's sources are indexed whole"
    monkeypatch.setattr(search, "FULL_TEXT_UP_TO", 0)
    cited = search.source_record(data, source, search.full_texts(data)).html
    assert len(cited) < len(whole)
    for passage in data.passages[source.id]:
        assert str(search.escape(passage.citation.quote)) in cited


def _fragments_mention(index: Path, word: str) -> bool:
    return any(word.encode() in gzip.decompress(f.read_bytes()) for f in (index / "fragment").iterdir())


def test_the_previews_reindex_indexes_the_saved_data_as_the_build_does(tmp_path):
    for name in ("events.yaml", "seeds"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, tmp_path / name)
    project = _project(tmp_path, data=tmp_path / "events.yaml", seeds=tmp_path / "seeds")
    folder, memo = tmp_path / "site", render.Memo()
    build.build(project, folder, log=lambda _: None, memo=memo)
    text = project.data.read_text(encoding="utf-8")
    project.data.write_text(
        text.replace("rise almost 45 percent\n", "rise almost 45 percent Zyzzogeton\n", 1)
    )
    build.refresh(project, folder, memo, log=lambda _: None)
    assert not _fragments_mention(folder / "pagefind", "Zyzzogeton")
    assert memo.search is not None
    note = search.Reindex(folder, memo.search).run()
    assert note == f"search: indexed {len(list((folder / 'pagefind' / 'fragment').iterdir()))} pages"
    assert _fragments_mention(folder / "pagefind", "Zyzzogeton")
    fresh = tmp_path / "fresh"
    build.build(project, fresh, log=lambda _: None)
    assert sorted(p.name for p in (folder / "pagefind" / "fragment").iterdir()) == sorted(
        p.name for p in (fresh / "pagefind" / "fragment").iterdir()
    ), "the same pages, word for word, as a build of the saved data"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == []
