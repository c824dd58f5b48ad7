"""The project's folders as the site publishes them: real folders and files, never a symbolic link.

A pull request can add a symbolic link as easily as a file, and a reviewer sees one line of diff.
Followed, a link named seeds/ or site_src/assets/style.css publishes whatever it points at:
/etc/passwd, or in CI the checkout's .git/config with its token, uploaded with the site. So the
folders the site publishes from must be real folders of the project, and nothing in site_src/
is read through a link.

A link is refused, not skipped: a site quietly missing its stylesheet would be published
broken, and a link where a file belongs is a mistake or an attack either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


class Refused(Exception):
    """A folder or file the site would publish is a symbolic link, is reached through one, or is
    not a regular file. Like an unreadable folder, a usage or I/O error (exit status 2)."""


_WHY = "the site publishes only real files inside the project"


def _link(path: Path, name: str, instead: str) -> Refused:
    return Refused(f"{name} is a symbolic link (to {os.readlink(path)}): {_WHY}; {instead}")


def real_folder(folder: Path, project: Path, name: str) -> None:
    """Refuses `folder` when it is a symbolic link, or lies in `project` but resolves outside it.

    `project` is the folder of the data file. A folder named explicitly outside it (--seeds with
    a folder of tests or documents elsewhere) is the operator's choice, taken as given, but it
    may not be a link either: the repository's content, not the command line, is what strangers
    write.
    """
    if folder.is_symlink():
        raise _link(folder, name, "replace the link by the folder itself")
    inside = Path(os.path.abspath(folder)).is_relative_to(os.path.abspath(project))
    if inside and not folder.resolve().is_relative_to(project.resolve()):
        raise Refused(f"{name} leads outside the project through a symbolic link: {_WHY}; use a real folder")


def real_file(path: Path, name: str) -> None:
    """Refuses a data file that is a symbolic link. Followed, a link reads whatever it points at
    (.git/config, reported line by line), and `check --base` compares the history of the link's
    target, a path with no published history, so every published event could change unnoticed.

    The system's stream names (/dev/stdin, /dev/fd/0) are links too, named only on the command
    line: the operator's choice, which no repository can make, so they are read as given."""
    if path.is_symlink() and Path(os.path.abspath(path)).parent.parts[:2] != ("/", "dev"):
        raise _link(path, name, "replace the link by the file itself")


def read_text(path: Path, name: str) -> str:
    """The file's text; refuses a link, which could lead anywhere."""
    if path.is_symlink():
        raise _link(path, name, "replace the link by a copy of the file")
    return path.read_text(encoding="utf-8")


def files_under(folder: Path, name: str) -> Iterator[tuple[str, Path]]:
    """(path relative to `folder`, path) of every file below `folder`, in sorted order.

    A link at any depth, to a file or to a folder, is refused and never followed; so is anything
    that is not a regular file (reading a pipe would block the build).
    """
    if folder.is_symlink():
        raise _link(folder, name, "replace the link by the folder itself")
    found: list[tuple[str, Path]] = []
    for parent, folders, names in os.walk(folder):  # os.walk does not walk into linked folders
        folders.sort()  # the first of two links is the one reported, on any machine
        for entry in sorted([*folders, *names]):
            path = Path(parent) / entry
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                raise _link(path, f"{name}/{relative}", "replace the link by a copy of what it points to")
            if entry in names:
                if not path.is_file():
                    raise Refused(f"{name}/{relative} is not a regular file: {_WHY}; remove it")
                found.append((relative, path))
    yield from sorted(found)
