"""What indexing the sources' whole text costs, against their cited passages only.

    .venv/bin/python bench/source_text.py [--events 10000] [--repeat 2]

Loads the synthetic project of bench/run.py (bench/.cache/N/, made if missing)
and gives Pagefind only the source records (timeline/search.py, RECORDS), with
their whole text and then with the passages the events quote, alternating;
prints the time and Pagefind's own peak memory (VmHWM) for each, and the
medians. The figures behind search.FULL_TEXT_UP_TO. A measure, never a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from run import ROOT, file_system, progress, project

sys.path.insert(0, str(ROOT))

import build
from timeline import cli, search


def index_sources(data, whole: bool) -> tuple[float, int]:
    records = [search.source_record(data, source, whole) for source in data.timeline.sources]
    executable = search.binary()
    assert executable is not None
    service = search._Service([str(executable)])
    peak = [0]
    finish = service.finish

    def finish_after_reading_the_peak() -> None:
        status = Path(f"/proc/{service.process.pid}/status").read_text()
        peak[0] = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
        finish()

    service.finish = finish_after_reading_the_peak  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(dir=ROOT / "bench" / ".cache") as folder:
        start = time.perf_counter()
        try:
            search._write_index(service, records, Path(folder) / "pagefind", len(records))
        finally:
            service.close()
        return time.perf_counter() - start, peak[0] // 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    folder, _pages = project(args.events)
    project_ = cli.project_of(argparse.Namespace(data=folder / "events.yaml", seeds=None, base_url=None))
    checked = build.check(build.load(project_))
    data = build.arrange(checked, project_)
    sources = len(data.timeline.sources)
    size = sum(len(data.seeds.raw(s.file)) for s in data.timeline.sources)
    progress(f"{args.events:,} events, {sources} sources of {size / 1e6:.1f} MB; {file_system(folder)}")
    runs: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
    for _ in range(args.repeat):
        for whole in (True, False):
            runs[whole].append(index_sources(data, whole))
            seconds, mb = runs[whole][-1]
            progress(f"{'whole text' if whole else 'cited passages'}: {seconds:.2f} s, {mb} MB")
    for whole, label in ((True, "whole text"), (False, "cited passages only")):
        median = statistics.median(r[0] for r in runs[whole])
        peak = statistics.median(r[1] for r in runs[whole])
        print(f"{sources} sources, {label}: {median:.2f} s, Pagefind {peak:.0f} MB, median of {args.repeat}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
