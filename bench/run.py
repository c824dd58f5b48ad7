"""Our build against MkDocs 1.6 on synthetic projects of N events: time, memory, size.

    .venv/bin/python bench/run.py [--sizes 100,1000,2000,10000] [--repeat 3] [--json FILE]

For each N, bench/generate.py makes the project once into bench/.cache/N/
(again only when generate.py or mkdocs_site.py change) and mkdocs_site.py
writes the same pages as Markdown beside it, and a copy of events.yaml with
one event's title edited. Then R times, alternating so all see the same
machine: our first build (bench/stages.py: build.py's pipeline timed stage by
stage) into a folder never used, two rebuilds into it, each after editing
one event (the edited copy and the original in turn; the first rebuild has
no spare yet, the second writes over the spare the first kept: the one
reported, what an editor meets), and `mkdocs build` of the same pages, each
in a fresh process. Nothing is deleted right before a timed build of ours:
the folders of a size are removed after its last run (on this kind of disk,
creating files soon after deleting many costs up to 20 times more). Wall
times are taken here, so they include the interpreter's start-up. Peak RSS:
the build process's own, and the whole tree's (the build with Pagefind
running under it) sampled every 10 ms. Prints the machine and the file
system the builds write to, a Markdown table of medians and the figures
against the targets of issues 7 and 18; --json saves every run as well.

Generating runs in child processes too: on Linux a child's peak RSS starts
at its parent's peak, so this process stays small (about 20 MB).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mkdocs_site import built_pages

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
STAGES = ("load", "check", "render", "write", "index")
MB = 1024 * 1024
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def file_system(folder: Path) -> str:
    """The file system `folder` is on, its mount options, and whether it keeps a journal (ext4:
    a journal shows in /proc/fs/jbd2/)."""
    folder = folder.resolve()
    best = ("?", "", "unknown", "")
    for line in Path("/proc/mounts").read_text().splitlines():
        device, point, kind, options = line.split()[:4]
        if (folder.as_posix() + "/").startswith(point.rstrip("/") + "/") and len(point) >= len(best[1]):
            best = (device, point, kind, options)
    device, point, kind, options = best
    said = f"{kind} on {point} ({device})"
    if kind == "ext4":
        name = Path(device).name
        journal = Path("/proc/fs/jbd2").is_dir() and any(
            entry.name.startswith(name) for entry in Path("/proc/fs/jbd2").iterdir()
        )
        said += ", with a journal" if journal else ", WITHOUT a journal"
    return said


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    cpu = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "cpu": cpu.group(1).strip() if cpu else platform.processor() or "unknown CPU",
        "cores": os.cpu_count(),
        "ram_gib": round(int(memory.group(1)) / MB, 1) if memory else None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "mkdocs": version("mkdocs"),
        "pagefind": version("pagefind_bin"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "file_system": file_system(CACHE),
    }


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def tree_rss(pid: int) -> int:
    """The resident sets of a process and of all its descendants, summed, in kB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE_KB
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):  # it ended while being read
            continue
    return total


class TreePeak(threading.Thread):
    """The largest tree_rss of a process while it runs, sampled every 10 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.peak = max(self.peak, tree_rss(self.pid))

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak


@dataclass(frozen=True)
class Run:
    wall: float  # seconds, from before the process starts to after it has ended
    rss_kb: int  # the process's peak RSS, or its largest child's if larger (os.wait4)
    tree_kb: int  # the peak of the process and its children together, sampled
    output: str


def run(command: list[str], cwd: Path | None = None) -> Run:
    """One command in a fresh process: its time, memory and standard output."""
    os.sync()  # the disk idle first: the last build's writes are not billed to this one
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=errors)
        sampler = TreePeak(process.pid)
        sampler.start()
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not all children's
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        process.stdout.close()
        tree = sampler.stop()
        if process.returncode != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace")
            sys.exit(f"{' '.join(command)} failed with status {process.returncode}:\n{message}")
    return Run(wall, usage.ru_maxrss, tree, output.decode("utf-8"))


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("generate.py", "mkdocs_site.py"):
        digest.update((BENCH / name).read_bytes())
    return digest.hexdigest()


EDITED = "edited.yaml"  # events.yaml with one event's title changed, beside it (same seeds)


def edit_one_event(folder: Path) -> None:
    text = (folder / "events.yaml").read_text(encoding="utf-8")
    edited = re.sub(r"(\n    title: Synthetic event \d+)", r"\1 (edited)", text, count=1)
    assert edited != text
    (folder / EDITED).write_text(edited, encoding="utf-8")


def project(n: int) -> tuple[Path, int]:
    """bench/.cache/N/ with events.yaml, edited.yaml, seeds/ and mkdocs/; and its number of event
    and source pages."""
    folder = CACHE / str(n)
    stamp = folder / "project.json"
    if stamp.is_file():
        made = json.loads(stamp.read_text())
        if made["fingerprint"] == fingerprint():
            if not (folder / EDITED).is_file():
                edit_one_event(folder)
            return folder, made["pages"]
    progress(f"N={n}: generating {folder.relative_to(ROOT)}")
    shutil.rmtree(folder, ignore_errors=True)
    run([sys.executable, str(BENCH / "generate.py"), str(n), str(folder)])
    output = run([sys.executable, str(BENCH / "mkdocs_site.py"), str(folder), str(folder / "mkdocs")]).output
    pages = int(output.split()[0])
    edit_one_event(folder)
    stamp.write_text(json.dumps({"fingerprint": fingerprint(), "pages": pages}))
    return folder, pages


def empty(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def ours(data: Path, out: Path) -> dict[str, Any]:
    """Our build of `data` into `out`, as it is: never emptied first."""
    done = run([sys.executable, str(BENCH / "stages.py"), str(data), str(out)])
    child = json.loads(done.output)
    # The child's own peak: wait4's would be Pagefind's when Pagefind's is larger.
    return {"wall": done.wall, "rss_kb": child["rss_kb"], "tree_kb": done.tree_kb, "stages": child["stages"]}


def mkdocs(folder: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", "mkdocs.yml", "-d", str(empty(out))]
    done = run(command, cwd=folder)
    return {"wall": done.wall, "rss_kb": done.rss_kb, "tree_kb": done.tree_kb}


def html_pages(site: Path) -> int:
    return sum(1 for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts)


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def remove_outputs(folder: Path) -> None:
    """Our outputs of earlier runs, and the spares beside them; then the disk settles."""
    shutil.rmtree(folder, ignore_errors=True)
    os.sync()


def builds(data: Path, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A first build into `out` (never used), then two rebuilds each after editing one event:
    the first build's figures and the second rebuild's, which writes over the spare."""
    assert not out.exists()
    assert not out.with_name(f".{out.name}.spare").exists()
    first = ours(data, out)
    ours(data.with_name(EDITED), out)
    return first, ours(data, out)


def measure(n: int, repeat: int, with_mkdocs: bool) -> dict[str, Any]:
    folder, expected = project(n)
    outputs = folder / "out"
    remove_outputs(outputs)  # an earlier bench's: then the generation and MkDocs runs come first
    mkdocs_out = outputs / "mkdocs"
    result: dict[str, Any] = {"n": n, "expected_pages": expected, "ours": [], "rebuild": [], "mkdocs": []}
    if with_mkdocs:
        mkdocs(folder / "mkdocs", mkdocs_out)  # once unmeasured: MkDocs' first run compiles its theme
    for i in range(repeat):
        ours_out = outputs / f"ours-{i}"
        first, again = builds(folder / "events.yaml", ours_out)
        result["ours"].append(first)
        result["rebuild"].append(again)
        line = f"N={n} run {i + 1}/{repeat}: ours {first['wall']:.2f} s, rebuild {again['wall']:.2f} s"
        if with_mkdocs:
            result["mkdocs"].append(mkdocs(folder / "mkdocs", mkdocs_out))
            line += f", MkDocs {result['mkdocs'][-1]['wall']:.2f} s"
        progress(line)
    result["html_pages"] = html_pages(ours_out)
    result["content_pages"] = built_pages(ours_out)
    result["output_bytes"] = size(ours_out)
    if with_mkdocs:
        result["mkdocs_content_pages"] = built_pages(mkdocs_out)
        result["mkdocs_output_bytes"] = size(mkdocs_out)
    remove_outputs(outputs)
    return result


def real_site(repeat: int) -> dict[str, Any]:
    outputs = CACHE / "real"
    remove_outputs(outputs)
    runs = [ours(ROOT / "events.yaml", outputs / f"out-{i}") for i in range(repeat)]
    again = [ours(ROOT / "events.yaml", outputs / f"out-{i}") for i in range(repeat)]
    progress("real site: " + ", ".join(f"{r['wall']:.2f} s" for r in runs))
    result = {
        "n": "real",
        "ours": runs,
        "rebuild": again,
        "mkdocs": [],
        "html_pages": html_pages(outputs / "out-0"),
        "output_bytes": size(outputs / "out-0"),
    }
    remove_outputs(outputs)
    return result


def medians(result: dict[str, Any]) -> dict[str, Any]:
    runs, other, again = result["ours"], result["mkdocs"], result["rebuild"]
    figures = {
        "wall": statistics.median(r["wall"] for r in runs),
        "tree_mb": statistics.median(r["tree_kb"] for r in runs) / 1024,
        "rss_mb": statistics.median(r["rss_kb"] for r in runs) / 1024,
        **{stage: statistics.median(r["stages"][stage] for r in runs) for stage in STAGES},
        "start": statistics.median(r["wall"] - sum(r["stages"].values()) for r in runs),
        "rebuild": statistics.median(r["wall"] for r in again),
        "rebuild_tree_mb": statistics.median(r["tree_kb"] for r in again) / 1024,
        "rebuild_write": statistics.median(r["stages"]["write"] for r in again),
    }
    if other:
        figures["mkdocs_wall"] = statistics.median(r["wall"] for r in other)
        figures["mkdocs_rss_mb"] = statistics.median(r["rss_kb"] for r in other) / 1024
        figures["ratio"] = figures["wall"] / figures["mkdocs_wall"]
    return figures


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| N | pages | first build s | start | load | check | render | write | index | peak RSS MB "
        "(tree / build process) | rebuild s (write) | rebuild peak MB | output MB | MkDocs s "
        "| MkDocs RSS MB | ours/MkDocs |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: |",
    ]
    for result in results:
        m = medians(result)
        name = "real site" if result["n"] == "real" else f"{result['n']:,}"
        cells = [
            name,
            f"{result['html_pages']:,}",
            f"{m['wall']:.2f}",
            *(f"{m[stage]:.2f}" for stage in ("start", *STAGES)),
            f"{m['tree_mb']:.0f} / {m['rss_mb']:.0f}",
            f"{m['rebuild']:.2f} ({m['rebuild_write']:.2f})",
            f"{m['rebuild_tree_mb']:.0f}",
            f"{result['output_bytes'] / MB:,.1f}",
        ]
        if "ratio" in m:
            cells += [f"{m['mkdocs_wall']:.2f}", f"{m['mkdocs_rss_mb']:.0f}", f"{m['ratio']:.2f}"]
        else:
            cells += ["—", "—", "—"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def targets(results: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, each with the figure measured; a size not run is said so."""
    by_n = {r["n"]: r for r in results}
    lines = []
    if "real" in by_n:
        m = medians(by_n["real"])
        lines.append(f"- real site, full build: {m['wall']:.2f} s (target < 1 s): {verdict(m['wall'] < 1)}")
    if 10000 in by_n:
        m = medians(by_n[10000])
        lines.append(
            f"- 10,000 events: {m['wall']:.2f} s (target < 8 s): {verdict(m['wall'] < 8)}; "
            f"peak RSS {m['tree_mb']:.0f} MB, search index included (target < 600 MB): "
            f"{verdict(m['tree_mb'] < 600)} (the build process alone {m['rss_mb']:.0f} MB); "
            f"rebuild after editing one event {m['rebuild']:.2f} s (target < 2 s): "
            f"{verdict(m['rebuild'] < 2)}"
        )
    if 2000 in by_n and by_n[2000]["mkdocs"]:
        m = medians(by_n[2000])
        lines.append(
            f"- 2,000 events: ours {m['wall']:.2f} s / MkDocs {m['mkdocs_wall']:.2f} s = {m['ratio']:.2f} "
            f"(target ≤ 0.33): {verdict(m['ratio'] <= 1 / 3)}; a third of MkDocs is "
            f"{m['mkdocs_wall'] / 3:.2f} s"
        )
    if 1000 in by_n and 10000 in by_n:
        small, large = medians(by_n[1000]), medians(by_n[10000])
        growth = large["wall"] / small["wall"]
        stages = ", ".join(f"{s} {large[s] / small[s]:.1f}×" for s in STAGES if small[s] > 0)
        lines.append(
            f"- linear growth: t(10,000) / t(1,000) = {growth:.1f} (target ≤ 12): {verdict(growth <= 12)}; "
            f"by stage: {stages}"
        )
    return lines


def page_counts(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in results:
        if r["n"] == "real" or not r["mkdocs"]:
            continue
        same = r["content_pages"] == r["mkdocs_content_pages"] == r["expected_pages"]
        lines.append(
            f"- N={r['n']:,}: ours {r['content_pages']:,}, "
            f"MkDocs {r['mkdocs_content_pages']:,}, expected {r['expected_pages']:,}: "
            + ("same" if same else "DIFFERENT")
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,2000,10000", help="comma-separated numbers of events")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build; medians are shown")
    parser.add_argument("--no-mkdocs", action="store_true", help="our build only")
    parser.add_argument("--no-real", action="store_true", help="skip the real site's build")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save the machine and every run")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    about = machine()
    results = [] if args.no_real else [real_site(args.repeat)]
    results += [measure(n, args.repeat, not args.no_mkdocs) for n in sizes]
    failed = [r for r in results if r["n"] != "real" and r["content_pages"] != r["expected_pages"]]
    print(
        f"Machine: {about['cpu']}, {about['cores']} cores, {about['ram_gib']} GiB RAM; {about['system']}; "
        f"Python {about['python']}, MkDocs {about['mkdocs']}, Pagefind {about['pagefind']}; "
        f"load average {about['load_average'][0]} at the start; {about['date']}.\n"
        f"File system of the builds: {about['file_system']}.\n"
    )
    runs = "1 run" if args.repeat == 1 else f"medians of {args.repeat} runs"
    print(
        f"{runs.capitalize()}, each in a fresh process, ours and MkDocs alternating; our first build "
        "into a folder never used, the rebuild after editing one event, over the spare.\n"
    )
    print(table(results))
    print(
        "\npages: the HTML pages of our site (MkDocs builds the event and source pages and an index). "
        "start: wall time outside the stages (interpreter start-up, imports, exit). "
        "Peak RSS: of the whole process tree (the build, its render worker and Pagefind), sampled "
        "every 10 ms, then the build process's own peak. MkDocs' peak is its process's.\n"
    )
    print("Targets of issues 7 and 18:\n" + ("\n".join(targets(results)) or "- none at these sizes"))
    if counts := page_counts(results):
        print("\nEvent and source pages, ours against MkDocs':\n" + "\n".join(counts))
    if args.json:
        args.json.write_text(
            json.dumps({"machine": about, "repeat": args.repeat, "results": results}, indent=2)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
