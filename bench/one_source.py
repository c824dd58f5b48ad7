"""Time one source's reading view as the number of citations of it grows.

    .venv/bin/python bench/one_source.py [COUNTS]    # default 1000,5000,10000

Each project has one source and COUNTS events citing it: every event quotes a
sentence of it, and every other event also an elided passage spanning two
sentences, so passages overlap. The figure is the time to render that source's
page (its reading view and template), once the data is loaded and checked; a
reading view linear in its citations takes about 10x as long at 10,000 as at 1,000.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timeline.check import check_loaded, load_project  # noqa: E402
from timeline.render import Job, environment, render_job, source_context  # noqa: E402
from timeline.site import SiteData  # noqa: E402


def generate(count: int, folder: Path) -> None:
    seeds = folder / "seeds"
    seeds.mkdir(parents=True)
    sentences = [f"Sentence number {i} of the cited report says something about gas." for i in range(count)]
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    (seeds / "report.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    lines = [
        "site:",
        "  title: One source",
        "  description: One source cited by every event.",
        "  base_url: https://example.org/bench/",
        "topics:",
        "  gas: Gas",
        "actors:",
        "  japan: Japan",
        "eras:",
        "  - id: only",
        "    title: The only chapter",
        "    summary: All of it.",
        "sources:",
        "  - id: report",
        "    file: report.txt",
        "    title: The report",
        "    publisher: Synthetic Wire",
        "    published: 2020-01-01",
        "    reliability: high",
        "    assessment: Cited by every event.",
        "events:",
    ]
    for e in range(count):
        lines += [
            f"  - id: event-{e:06d}",
            f"    date: {2014 + e * 10 // count}-01-01",
            "    era: only",
            f"    title: Event {e}",
            "    summary: It happened.",
            "    topics: [gas]",
            "    actors: [japan]",
            "    citations:",
            "      - source: report",
            f'        quote: "{sentences[e]}"',
        ]
        if e % 2 and e + 1 < count:
            lines += [
                "      - source: report",
                f'        quote: "Sentence number {e} of the … {e + 1} of the cited report"',
            ]
    (folder / "events.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def page_time(count: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        generate(count, folder)
        checked = check_loaded(load_project(folder / "events.yaml", folder / "seeds"))
        assert not checked.errors, checked.errors[:3]
        assert checked.timeline is not None
        data = SiteData(checked.timeline, checked.seeds)
        data.prepare()
        source = checked.timeline.sources[0]
        job = Job(f"sources/{source.id}/index.html", "source.html", lambda: source_context(data, source))
        start = time.perf_counter()
        page = render_job(environment(ROOT / "templates"), data, job)
        return time.perf_counter() - start, len(page)


def main() -> int:
    counts = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "1000,5000,10000").split(",")]
    first = None
    for count in counts:
        seconds, size = page_time(count)
        first = first or (count, seconds)
        ratio = seconds / first[1]
        print(
            f"{count:>6} events citing one source: {seconds:6.2f} s, {size / 1e6:5.1f} MB page, {ratio:5.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
