"""The GitHub Actions workflows, linted by actionlint, and what they promise."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import ROOT, require_node_tool, which_or_skip

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint(*files):
    require_node_tool("actionlint", "package.json")
    node = which_or_skip("node")
    result = subprocess.run(
        [node, str(ROOT / "tests" / "node" / "lint-workflows.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout)


def test_workflows_pass_actionlint():
    assert [w.name for w in WORKFLOWS] == ["ci.yml", "pages.yml"]
    problems = actionlint(*WORKFLOWS)
    assert [f"{p['file']}:{p['line']}:{p['column']}: {p['message']}" for p in problems] == []


def test_actionlint_does_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    assert [p["kind"] for p in actionlint(broken)] == ["expression"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_commits_and_permissions_are_minimal(workflow):
    text = workflow.read_text()
    uses = re.findall(r"uses:\s*(\S+)", text)
    assert uses
    assert [u for u in uses if not re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u)] == []
    assert "permissions:\n  contents: read\n" in text
    assert "concurrency:" in text


def test_ci_annotates_checks_tests_in_debian_and_summarises_changes():
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "python build.py check --strict --format github" in ci
    assert "bash .ci/run" in ci
    assert "container: debian:12" in ci
    assert 'python build.py changes "origin/$BASE_REF" >> "$GITHUB_STEP_SUMMARY"' in ci
    assert "actions/upload-artifact@" in ci


def test_pages_deploys_with_deploy_pages_and_only_the_deploy_job_may_write():
    pages = (ROOT / ".github" / "workflows" / "pages.yml").read_text()
    assert "actions/deploy-pages@" in pages
    assert pages.count("pages: write") == 1
    assert pages.index("pages: write") > pages.index("deploy:")
