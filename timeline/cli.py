"""The command line of build.py: subcommands, exit statuses, and what is printed."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from . import assets, files
from .check import Checked, InputError, check, check_against, read_bytes
from .problems import Problem, count_phrase, format_github, format_text, plural, say
from .render import DuplicatePath, Memo, Project, address_problem
from .search import Reindex, SearchIndexError
from .writer import WriteError, check_replaceable

ROOT = Path(__file__).resolve().parent.parent
FORM_PATH = ".github/ISSUE_TEMPLATE/propose-event.yml"

OK, PROBLEMS, USAGE = 0, 1, 2
INTERRUPTED, TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM  # as a shell reports them


def display_path(path: Path) -> str:
    """The path as the editor knows it: relative to where they are, when it is below."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _address(setting: str) -> Callable[[str], str]:
    """--base-url and --repository: the rule the setting follows in events.yaml."""

    def checked(value: str) -> str:
        problem = address_problem(value, setting)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    return checked


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=ROOT / "events.yaml",
        metavar="FILE",
        help="the data file (default: events.yaml beside build.py)",
    )
    parser.add_argument(
        "--seeds",
        type=Path,
        default=None,
        metavar="DIR",
        help="the folder of source documents (default: seeds/ beside the data file)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings too (such as a topic no event uses)",
    )


def project_of(args: argparse.Namespace) -> Project:
    """The inputs: the data file and its seeds; site_src/ beside it when it has one."""
    folder = args.data.parent
    site_src = folder / "site_src"
    return Project(
        data=args.data,
        seeds=args.seeds if args.seeds is not None else folder / "seeds",
        templates=ROOT / "templates",
        site_src=site_src if site_src.is_dir() else ROOT / "site_src",
        base_url=getattr(args, "base_url", None),
        repository=getattr(args, "repository", None),
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python build.py",
        description="Check and build the sourced timeline of Japan, Russia and energy sanctions.",
        epilog="Exit status: 0 when all is well, 1 when the data has problems, 2 for usage or I/O errors.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build_parser = commands.add_parser(
        "build",
        help="check, then build the site into site/ (the default command)",
        description="Check events.yaml, render every page in memory, write them beside the output "
        "folder and swap them in: a failed build leaves the previous site as it was.",
    )
    _add_input_options(build_parser)
    build_parser.add_argument(
        "--out", type=Path, default=ROOT / "site", metavar="DIR", help="output folder (default: site/)"
    )
    build_parser.add_argument(
        "--base-url",
        type=_address("base_url"),
        metavar="URL",
        help="publish at this absolute address instead of site.base_url (the Pages workflow sets it)",
    )
    build_parser.add_argument(
        "--repository",
        type=_address("repository"),
        metavar="URL",
        help="the GitHub repository readers report problems to, instead of site.repository "
        "(the Pages workflow sets it to the repository it runs in)",
    )
    changes_parser = commands.add_parser(
        "changes",
        help="list the events added, changed or removed since a git revision (Markdown)",
        description="Compare events.yaml with its version at a git revision, such as a pull "
        "request's base, and print a Markdown summary of the events added, changed or removed.",
    )
    changes_parser.add_argument("base", metavar="REVISION", help="the git revision to compare with")
    changes_parser.add_argument("--data", type=Path, default=ROOT / "events.yaml", metavar="FILE")
    serve_parser = commands.add_parser(
        "serve",
        help="build, serve on 127.0.0.1 and rebuild and reload on every save",
        description="Build the site, serve it on 127.0.0.1, watch events.yaml, seeds/, templates/ and "
        "site_src/, rebuild on save and reload the open browser tab. While the data has errors the "
        "browser shows them, each with its line. Ctrl-C stops.",
    )
    _add_input_options(serve_parser)
    serve_parser.add_argument(
        "--out", type=Path, default=ROOT / "site", metavar="DIR", help="output folder (default: site/)"
    )
    serve_parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    propose_parser = commands.add_parser(
        "propose",
        help="add the event proposed in an issue form's Markdown to events.yaml, if it checks",
        description='Read the Markdown of an issue written with the "Propose an event" form, insert '
        "the event into events.yaml in date order within its chapter (and a new document into seeds/), "
        "run the check, and write only when it passes. --form writes the form itself instead.",
    )
    propose_parser.add_argument("body", nargs="?", type=Path, metavar="ISSUE_BODY_FILE")
    propose_parser.add_argument("--data", type=Path, default=ROOT / "events.yaml", metavar="FILE")
    propose_parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write the comment for the issue (Markdown) here too"
    )
    propose_parser.add_argument(
        "--form",
        action="store_true",
        help=f"write {FORM_PATH} from events.yaml: its dropdowns list the chapters, topics, actors "
        "and sources",
    )
    review_parser = commands.add_parser(
        "review",
        help="write the pull request's preview comment: check, corrections rules, events, new addresses",
        description="Check events.yaml (as a pull request has it) strictly and against its version at "
        "REVISION, and write the Markdown of the pull request's sticky comment: the check's result, the "
        "correction-history and withdrawal rules' result, the events added, changed and removed (linked "
        "into the preview), and the external addresses the change adds. With --site, also vet the site "
        "the pull request's CI built before it is published as the preview (exit status 1 if refused).",
    )
    review_parser.add_argument(
        "base", metavar="REVISION", help="the pull request's base, such as origin/main"
    )
    review_parser.add_argument("--data", type=Path, default=ROOT / "events.yaml", metavar="FILE")
    review_parser.add_argument("--preview", metavar="URL", help="the address of the pull request's preview")
    review_parser.add_argument("--site", type=Path, metavar="DIR", help="the uploaded site to vet")
    review_parser.add_argument("--out", type=Path, metavar="FILE", help="write the comment here")
    check_parser = commands.add_parser(
        "check",
        help="validate events.yaml and the sources without writing anything",
        description="Load events.yaml, validate it against the schema and every rule, "
        "and list every problem with file, line and column.",
    )
    _add_input_options(check_parser)
    check_parser.add_argument(
        "--base",
        metavar="REVISION",
        help="also compare with events.yaml at this git revision (a pull request's base): fail when "
        "a published event's date, title, summary or quote changed without a new history entry, or "
        "a published event was removed without a withdrawal record",
    )
    check_parser.add_argument(
        "--format",
        choices=("text", "github"),
        default="github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text",
        help="'github' prints GitHub Actions annotations (the default inside GitHub Actions)",
    )
    return parser


def report(checked: Checked, path: str, fmt: str, strict: bool) -> int:
    """Print the problems; the exit status they deserve."""
    failing = checked.errors or (strict and checked.warnings)
    if checked.problems:
        printer = format_github if fmt == "github" else format_text
        say(printer(path, checked.problems))
    if failing:
        say(f"{count_phrase(checked.problems)} in {path}")
        return PROBLEMS
    timeline = checked.timeline
    assert timeline is not None
    warned = f" ({plural(len(checked.problems), 'warning')})" if checked.problems else ""
    counts = ", ".join(
        plural(len(items), noun)
        for items, noun in ((timeline.events, "event"), (timeline.sources, "source"), (timeline.eras, "era"))
    )
    say(f"{path}: {counts} — OK{warned}")
    return OK


def run_check(args: argparse.Namespace) -> int:
    project = project_of(args)
    try:
        # What the check accepts, the build must build: the assets it would publish included
        # (an SVG with script, a help.html, a .htaccess; a link), before the data is read.
        files.real_folder(project.site_src, project.data.parent, "site_src")
        for _ in assets.published(project.site_src / "assets", "site_src/assets"):
            pass
    except files.Refused as exc:
        raise InputError(str(exc)) from None
    if args.base is not None:
        from .changes import at_revision, seeds_at_revision

        published = at_revision(args.base, project.data)
        archived = seeds_at_revision(args.base, project.seeds)
        checked = check_against(project.data, project.seeds, published, archived, args.base)
    else:
        checked = check(project.data, project.seeds)
    return report(checked, display_path(args.data), args.format, args.strict)


def run_propose(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`propose --form`: write the issue form. `propose BODY`: the proposal, checked, written."""
    from . import propose
    from .changes import document_of, summary

    data_text = read_bytes(args.data)[0].decode("utf-8", "replace")
    document = document_of(data_text)
    if document is None:
        say(
            f"error: {display_path(args.data)} does not load; run `python build.py check` to see why",
            error=True,
        )
        return PROBLEMS
    if args.form:
        target = args.data.parent / FORM_PATH
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(propose.form_yaml(document.data), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
        say(f"wrote {display_path(target)}")
        return OK
    if args.body is None:
        parser.error("propose needs ISSUE_BODY_FILE (or --form)")
    raw, size = read_bytes(args.body)
    if size > propose.MAX_BODY:
        raise InputError(f"{args.body} is larger than an issue can be")
    seeds = args.data.parent / "seeds"
    try:
        result = propose.propose(raw.decode("utf-8", "replace"), data_text, seeds)
    except AssertionError as exc:  # the emitter's output did not read back: our bug, said in one line
        raise InputError(f"cannot add the proposal: {exc}") from None
    comment = propose.report(result, summary(data_text, result.text) if result.ok else "")
    if result.ok:
        try:
            propose.write(result, args.data, seeds)
        except OSError as exc:
            raise InputError(f"cannot write the proposal: {exc.strerror or exc}") from None
    if args.report is not None:
        try:
            args.report.write_text(comment, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {args.report}: {exc.strerror or exc}") from None
    if result.ok:
        added = f" and seeds/{result.seed[0]}" if result.seed else ""
        say(f"{display_path(args.data)}: event '{result.event_id}' added{added} — OK")
        return OK
    for where, message in result.problems:
        say(f"{where}: error: {message}")
    say(f"{plural(len(result.problems), 'problem')} in the proposal; nothing was written")
    return PROBLEMS


def run_review(args: argparse.Namespace) -> int:
    """`review`: the pull request's sticky comment, and whether its site may be published."""
    from . import review
    from .changes import at_revision

    after = read_bytes(args.data)[0].decode("utf-8", "replace")
    before = at_revision(args.base, args.data)
    refused = None
    if args.site is not None:
        try:
            review.vet_site(args.site)
        except review.SiteRefused as exc:
            refused = str(exc)
        except OSError as exc:
            refused = f"the uploaded site cannot be read ({exc.strerror or exc})"
    try:
        text = review.comment(
            args.data, args.data.parent / "seeds", args.base, before, after, args.preview, refused
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if args.out is None:
        say(text)
    else:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    if refused:
        say(f"error: {refused}; not published as the preview", error=True)
        return PROBLEMS
    return OK


# build.py's pipeline: (project, output folder, strict, log, the preview's memo) -> what the check found.
Build = Callable[[Project, Path, bool, Callable[[str], None], Memo | None], Checked]
Refresh = Callable[[Project, Path, Memo, Callable[[str], None]], Checked]


def run_build(args: argparse.Namespace, build: Build) -> int:
    project = project_of(args)
    notes: list[str] = []
    try:
        checked = build(project, args.out, args.strict, notes.append, None)
    except (WriteError, SearchIndexError, DuplicatePath, files.Refused) as exc:
        # Writing, indexing and a refused file (a link in site_src/) are I/O; two pages on one
        # path come from the data or templates.
        say(f"error: {exc} ({display_path(args.out)} is unchanged)", error=True)
        return PROBLEMS if isinstance(exc, DuplicatePath) else USAGE
    status = report(checked, display_path(args.data), "text", args.strict)
    if status == OK and checked.timeline is not None:
        for note in notes:
            say(note)
    return status


def run_serve(args: argparse.Namespace, build: Build, refresh: Refresh) -> int:
    from . import preview  # MkDocs is imported only when previewing

    project = project_of(args)
    label = display_path(project.data)
    indexed = False  # until a full build (written whole, search index included) has succeeded
    started = False  # until the first build has run: what stops it stops the preview
    memo = Memo()  # the pages as last rendered, reused while their inputs are unchanged

    def rebuild() -> preview.Outcome:
        """What the browser must show instead of the site (nothing when all is well), a note, and
        the search index to refresh once the browser has reloaded."""
        nonlocal indexed, started
        first, started = not started, True
        notes: list[str] = []
        try:
            if indexed:  # after a save: only changed files rewritten; the index follows
                checked = refresh(project, args.out, memo, notes.append)
            else:
                checked = build(project, args.out, False, notes.append, memo)
        except (InputError, WriteError, SearchIndexError) as exc:
            if first:  # the data cannot be read or the site cannot be written: nothing to preview
                raise preview.CannotServe(str(exc)) from None
            message = str(exc) if isinstance(exc, InputError) else f"the build failed: {exc}"
            return preview.Outcome([Problem(1, 1, message)], f"error: {message}")
        except Exception as exc:  # a template error must not stop the preview
            message = f"the build failed: {exc}"
            return preview.Outcome([Problem(1, 1, message)], f"error: {message}")
        report(checked, label, "text", strict=False)
        if checked.errors:
            return preview.Outcome(checked.problems, "Fix the problems above and save again.")
        reindex = Reindex(args.out, memo.search) if indexed else None
        indexed = True
        return preview.Outcome([], "\n".join(notes), reindex)

    try:
        # Before the port is taken or anything built: the preview serves the whole folder, so it
        # must be one build.py made (a home folder would be served, keys and all).
        check_replaceable(args.out.absolute())
        preview.serve(rebuild, args.out, _watched(project), args.port, label)
    except (WriteError, preview.CannotServe) as exc:
        say(f"error: {exc}", error=True)
        return USAGE
    return OK


def _watched(project: Project) -> list[Path]:
    return [project.data, project.seeds, project.templates, project.site_src]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C: every `finally` on the way out runs, so the build's staging
    folder is removed, and the preview stops as on Ctrl-C."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: list[str] | None = None, build: Build | None = None, refresh: Refresh | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `python build.py` builds
        args = parser.parse_args(["build"])
    handling = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous: dict[int, object] = {}
    try:
        # Inside the try: build.py's own handlers (for the imports) stay until these replace them,
        # so a signal at any moment gives one line.
        for signum, handler in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, _terminate)):
            if handling:
                previous[signum] = signal.signal(signum, handler)
        return _run(parser, args, build, refresh)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: one line, never a traceback
        stopped = "Terminated" if isinstance(exc, Terminated) else "Interrupted"
        unchanged = (
            f"; the previous site in {display_path(args.out)} is unchanged" if args.command == "build" else ""
        )
        say(f"{stopped}{unchanged}.", error=True)
        return TERMINATED if isinstance(exc, Terminated) else INTERRUPTED
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(
    parser: argparse.ArgumentParser, args: argparse.Namespace, build: Build | None, refresh: Refresh | None
) -> int:
    try:
        if args.command == "changes":
            from .changes import at_revision, document_of, summary

            now = read_bytes(args.data)[0].decode("utf-8", "replace")
            before = at_revision(args.base, args.data)
            # A file that does not load has no events: listing all as removed (or added) would
            # announce a mass change where there is a broken file.
            broken = "" if document_of(now) else f"{display_path(args.data)} does not load"
            if not broken and before and document_of(before) is None:
                broken = f"{display_path(args.data)} at {args.base} does not load"
            if broken:
                say(f"error: {broken}; run `python build.py check` to see why", error=True)
                return PROBLEMS
            say(summary(before, now))
            return OK
        if args.command == "review":
            return run_review(args)
        if args.command == "propose":
            return run_propose(args, parser)
        if args.command in ("build", "serve"):
            if build is None or refresh is None:
                parser.error(f"the {args.command} command runs from build.py")
            return run_build(args, build) if args.command == "build" else run_serve(args, build, refresh)
        return run_check(args)
    except InputError as exc:
        say(f"error: {exc}", error=True)
        return USAGE
