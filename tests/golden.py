"""The golden test's expected output: how it is built, compared and regenerated.

Run `make golden` (or `python tests/golden.py`) after an intended change to
templates or rendering, then read `git diff tests/golden/` as a reader would
before committing it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "fixtures" / "golden-project"
EXPECTED = ROOT / "tests" / "golden"
# Pagefind's index is Pagefind's own binary format; the search tests cover it.
IGNORED = ("pagefind/",)


def build(out: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            "--data",
            str(PROJECT / "events.yaml"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        # Git is not looked for above the project: citations name the data file's SHA-256, not the
        # commit the checkout is at, which would change the expected output with every commit.
        env={
            "PATH": "/usr/bin:/bin",
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
            "GIT_CEILING_DIRECTORIES": str(PROJECT.parent),
        },
    )
    if result.returncode != 0:
        raise RuntimeError(f"the golden project did not build:\n{result.stdout}{result.stderr}")


def files(folder: Path) -> dict[str, bytes]:
    """Every compared file of a built site: relative path -> content."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.relative_to(folder).as_posix().startswith(IGNORED)
    }


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp) / "site"
        build(out)
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for name, content in files(out).items():
            target = EXPECTED / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    print(
        f"rebuilt {EXPECTED.relative_to(ROOT)}/ — review it: git diff --stat tests/golden/ && git diff tests/golden/"
    )


if __name__ == "__main__":
    regenerate()
