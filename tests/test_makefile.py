"""The Makefile: the first command stays light. `make serve` (and site, check) install the build's
own requirements alone; `make test` adds the test tools; `make test-quick` leaves the browser and
slow tests out. Read with `make -n` (what it would run) in a fresh copy without .venv/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, which_or_skip


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """What a new clone has: the Makefile, the requirements and the test tools' lock file."""
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "tests/node/package-lock.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def planned(folder: Path, target: str) -> str:
    make = which_or_skip("make")
    # As a reader types it: not as a sub-make of `make test`, whose MAKEFLAGS and MAKELEVEL would
    # add "Entering directory" lines and pass on the outer make's options (CI runs the tests so).
    outer = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")
    env = {key: value for key, value in os.environ.items() if key not in outer}
    result = subprocess.run(
        [make, "-n", target], cwd=folder, capture_output=True, text=True, check=True, env=env
    )
    return result.stdout


@pytest.mark.parametrize("target", ["serve", "site", "check", "form"])
def test_the_build_commands_install_the_builds_requirements_alone_and_say_so(fresh, target):
    plan = planned(fresh, target)
    assert 'echo "Installing what the build needs (requirements.txt) into .venv/"' in plan
    assert "-m pip install --quiet --disable-pip-version-check -r requirements.txt" in plan
    assert "requirements-dev.txt" not in plan
    assert "npm ci" not in plan
    assert "build.py" in plan.splitlines()[-1]


def test_make_test_adds_the_test_tools_and_node_packages(fresh):
    plan = planned(fresh, "test")
    assert plan.index("-r requirements.txt") < plan.index("-r requirements-dev.txt")
    assert "npm ci --prefix tests/node --no-audit --no-fund" in plan
    assert "-m pytest\n" in plan


def test_make_test_quick_leaves_out_browser_and_slow_tests(fresh):
    assert '-m pytest -q -m "not browser and not slow"' in planned(fresh, "test-quick")


def test_requirements_dev_includes_the_builds_own():
    """make test installs requirements-dev.txt over requirements.txt: it must not pin another version."""
    dev = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev
    build = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line
    }
    assert not build & {line.split("==")[0].lower() for line in dev if "==" in line}


def test_a_test_that_drives_chromium_is_left_out_of_the_quick_run_even_unmarked(tmp_path):
    """conftest marks each test that uses the `browser` fixture, so `-m "not browser"` drops it."""
    (tmp_path / "test_x.py").write_text(
        "def test_drives_chromium(browser):\n    pass\n\n\ndef test_plain():\n    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "--collect-only", "-q",
         "-m", "not browser and not slow", "test_x.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
    )  # fmt: skip
    assert result.stdout.splitlines()[0] == "test_x.py::test_plain", result.stdout + result.stderr
    assert "1/2 tests collected (1 deselected)" in result.stdout
