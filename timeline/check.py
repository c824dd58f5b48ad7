"""Load and check events.yaml: every problem, in one pass, sorted by position."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import files, model, rules, schema
from .loader import MAX_BYTES, Document, decode, load
from .model import Timeline
from .problems import Problem, sort_problems
from .seeds import Seeds, SeedsUnreadable


class InputError(Exception):
    """The input cannot be read at all (a missing file, an unreadable folder): exit status 2."""


@dataclass(frozen=True)
class Checked:
    problems: list[Problem]
    timeline: Timeline | None  # None when there are errors
    seeds: Seeds

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def read_bytes(path: Path) -> tuple[bytes, int]:
    """The file's bytes, up to one past the limit, and its size (-1 for a stream of unknown
    length): `--data /dev/zero` is refused, not read until memory runs out."""
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the path of the events.yaml file")
    try:
        files.real_file(path, str(path))
    except files.Refused as exc:
        raise InputError(str(exc)) from None
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
            size = os.fstat(file.fileno()).st_size if path.is_file() else -1
    except FileNotFoundError:
        raise InputError(f"{path} not found") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size < 0 and len(raw) <= MAX_BYTES:
        size = len(raw)  # the stream ended within the limit: all of it was read
    return raw, size


@dataclass(frozen=True)
class Loaded:
    """Stage 1: the parsed document (None when it cannot be parsed) and the problems so far."""

    document: Document | None
    problems: list[Problem]
    seeds: Seeds


def load_project(data_file: Path, seeds_folder: Path) -> Loaded:
    """Read and parse `data_file`, keeping every position; open `seeds_folder`, which must be in
    the data file's folder, the project, unless named outside it."""
    raw, size = read_bytes(data_file)
    seeds = Seeds(seeds_folder, data_file.parent)
    try:
        seeds.names  # noqa: B018 - an unreadable or linked folder is an I/O error, found first
    except (SeedsUnreadable, files.Refused) as exc:
        raise InputError(str(exc)) from None
    text, problems = decode(raw, size)
    if text is None:
        return Loaded(None, problems, seeds)
    document, load_problems = load(text)
    return Loaded(document, sort_problems([*problems, *load_problems]), seeds)


def check_loaded(loaded: Loaded) -> Checked:
    """Stage 2: every problem of the parsed document against the schema, the rules and the seeds."""
    document, seeds = loaded.document, loaded.seeds
    if document is None:
        return Checked(loaded.problems, None, seeds)
    schema_problems, flagged = schema.validate(document)
    context = rules.Context(document, frozenset(flagged), seeds)
    problems = sort_problems([*loaded.problems, *schema_problems, *rules.apply(context)])
    if any(p.is_error for p in problems):
        return Checked(problems, None, seeds)
    return Checked(problems, model.build(document), seeds)


def check_against(
    data_file: Path,
    seeds_folder: Path,
    published: str,
    archived: dict[str, str] | None = None,
    revision: str = "",
) -> Checked:
    """`check`, and what the change does to the events published in `published` (the file at
    the pull request's base): a changed date, title, summary or quote needs a new history entry,
    a removed event a withdrawal record; and to the documents archived at the base (`archived`,
    their git ids by name): none may be edited, or removed while a source still names it."""
    from .changes import archived_problems, published_problems

    loaded = load_project(data_file, seeds_folder)
    checked = check_loaded(loaded)
    if loaded.document is None:
        return checked
    extra = published_problems(published, loaded.document)
    if archived:
        extra += archived_problems(archived, revision, loaded.document, loaded.seeds)
    if not extra:
        return checked
    problems = sort_problems([*checked.problems, *extra])
    return Checked(problems, None, loaded.seeds)


def check(data_file: Path, seeds_folder: Path) -> Checked:
    """Every problem in `data_file` against the documents in `seeds_folder`."""
    return check_loaded(load_project(data_file, seeds_folder))
