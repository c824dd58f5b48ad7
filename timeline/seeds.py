"""The folder of source documents: listed once, each file read and normalized once."""

from __future__ import annotations

import hashlib
from functools import cached_property, lru_cache
from pathlib import Path

from . import files
from .problems import shown
from .quotes import SourceText
from .schema import seed_name_rule


class SeedsUnreadable(OSError):
    """The seeds folder itself cannot be listed: a usage or I/O error, not an editor's."""


class SeedFileError(ValueError):
    """One named file cannot serve as a source; the message says why and what to do."""


# Content-addressed, so it can never be stale: the preview re-reads every document on each save,
# and one that has not changed keeps its normalized text and its word index (most of the check).
@lru_cache(maxsize=1024)
def _source_text(text: str) -> SourceText:
    return SourceText(text)


class Seeds:
    def __init__(self, folder: Path, project: Path) -> None:
        """`folder` holds the documents; `project`, the folder of the data file, must hold it
        unless it was named on the command line outside the project (see files.real_folder)."""
        self.folder = folder
        self.project = project
        self._texts: dict[str, SourceText] = {}
        self._raw: dict[str, bytes] = {}

    @cached_property
    def names(self) -> frozenset[str]:
        files.real_folder(self.folder, self.project, f"the seeds folder {self.folder}")
        try:
            return frozenset(p.name for p in self.folder.iterdir() if not p.name.startswith("."))
        except OSError as exc:
            raise SeedsUnreadable(
                f"cannot read the seeds folder {self.folder}: {exc.strerror or exc}"
            ) from exc

    @cached_property
    def _root(self) -> Path:
        return self.folder.resolve()

    def path(self, name: str) -> Path:
        """The file `name` inside the folder; refuses anything that would lead outside it, and
        any name the schema refuses (the check reports those there, and never reaches here)."""
        rule = seed_name_rule(name)
        if rule:
            raise SeedFileError(f"'{shown(name)}' {rule}")
        if name not in self.names:
            raise SeedFileError(f"no file '{shown(name)}' in seeds/")
        path = self.folder / name
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):  # a loop of links (3.11 raises RuntimeError), or a dangling one
            raise SeedFileError(
                f"seeds/{name} is a symbolic link that leads to no file (a loop, or a missing "
                "target); copy the document in instead"
            ) from None
        if real.parent != self._root:
            raise SeedFileError(
                f"seeds/{name} is a link to a file outside seeds/; copy the document in instead"
            )
        if not path.is_file():
            raise SeedFileError(f"seeds/{name} is not a regular file")
        return path

    def raw(self, name: str) -> bytes:
        """The file's bytes, read once: the check, the reading view and the exports all need them."""
        if name not in self._raw:
            try:
                self._raw[name] = self.path(name).read_bytes()
            except OSError as exc:
                raise SeedFileError(f"cannot read seeds/{name}: {exc.strerror or exc}") from exc
        return self._raw[name]

    def text(self, name: str) -> SourceText:
        if name not in self._texts:
            raw = self.raw(name)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SeedFileError(
                    f"seeds/{name} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                    "convert it to UTF-8 before adding it"
                ) from exc
            self._texts[name] = _source_text(text)
        return self._texts[name]

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.raw(name)).hexdigest()
