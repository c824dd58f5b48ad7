"""One full build of a project, timed stage by stage: the child process of bench/run.py.

    .venv/bin/python bench/stages.py DATA OUT

Runs build.build() itself, timing each stage as the pipeline reports it (load,
check, render, write with the swap into OUT, search index), and prints one
JSON line: the seconds of each stage, the files written and the peak RSS of
this process. (Its children's peak would not tell Pagefind's own: on Linux a
child spawned by vfork starts its peak at its parent's, so bench/run.py runs
Pagefind once more on its own.) Start-up, imports and exit are what the
parent's wall time has on top of the stages.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import build  # noqa: E402 - build.py is the pipeline, beside bench/
from timeline import cli  # noqa: E402
from timeline.search import OUTPUT_SUBDIR  # noqa: E402
from timeline.writer import MARKER  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    project = cli.project_of(argparse.Namespace(data=args.data, seeds=None, base_url=None))
    clock = time.perf_counter
    laps: list[tuple[str, float]] = [("start", clock())]
    notes: list[str] = []
    checked = build.build(
        project, args.out, log=notes.append, lap=lambda stage: laps.append((stage, clock()))
    )
    if checked.errors:
        print(f"{len(checked.errors)} errors in {args.data}: {checked.errors[0].message}", file=sys.stderr)
        return 1
    took = {stage: at - laps[i][1] for i, (stage, at) in enumerate(laps[1:])}
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    stages = {
        "load": took["load"],
        "check": took["check"],
        "render": took["render"],
        "write": took["write"] + took["swap"],  # the swap is part of writing
        "index": took["index"],
    }
    # The site's own files, counted on disk (not the search index, not the marker), not read from a log line.
    site = [p.relative_to(args.out) for p in args.out.rglob("*") if p.is_file()]
    files = sum(1 for path in site if path.parts[0] not in (OUTPUT_SUBDIR, MARKER))
    note = next(n for n in notes if n.startswith("search:"))
    print(json.dumps({"stages": stages, "files": files, "rss_kb": own, "search": note}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
