"""One full build of a project, timed stage by stage: the child process of bench/run.py.

    .venv/bin/python bench/stages.py DATA OUT

Calls build.py's pipeline functions in the order build.build() does — load,
check, render, write (with the swap into OUT), search index — and prints one
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
from timeline.search import index  # noqa: E402
from timeline.writer import staging, write  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    project = cli.project_of(argparse.Namespace(data=args.data, seeds=None, base_url=None))
    clock = time.perf_counter
    start = clock()
    loaded = build.load(project)
    loaded_at = clock()
    checked = build.check(loaded)
    checked_at = clock()
    if checked.errors:
        print(f"{len(checked.errors)} errors in {args.data}: {checked.errors[0].message}", file=sys.stderr)
        return 1
    pages = build.render_site(checked, project)
    rendered_at = clock()
    with staging(args.out) as folder:
        write(pages, folder)
        written_at = clock()
        note = index(folder)
        indexed_at = clock()
    swapped_at = clock()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    stages = {
        "load": loaded_at - start,
        "check": checked_at - loaded_at,
        "render": rendered_at - checked_at,
        "write": (written_at - rendered_at) + (swapped_at - indexed_at),  # the swap is part of writing
        "index": indexed_at - written_at,
    }
    print(json.dumps({"stages": stages, "files": len(pages), "rss_kb": own, "search": note}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
