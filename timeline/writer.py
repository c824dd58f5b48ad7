"""Write stage: the site goes into a folder beside the output, then is swapped in.

A build that fails at any point — bad data, a template error, a full disk —
leaves the previous site exactly as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .render import Pages

# A file in every built site, so a build never replaces a folder it did not make.
MARKER = ".timeline-site"
_RENAME_EXCHANGE = 2


class WriteError(Exception):
    """The site could not be written; the previous one is untouched."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2), when the system can."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def replace_folder(new: Path, target: Path) -> None:
    """Put the complete folder `new` at `target`, in one step where the system can; the previous
    `target` is deleted. Readers of `target` see either the old folder or the new, never a mix."""
    if not target.exists():
        new.rename(target)
    elif _exchange(new, target):
        shutil.rmtree(new)  # now holds the previous folder
    else:
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old)


def check_replaceable(out: Path) -> None:
    """Refuse an output that a build would not replace: not a folder, or a folder build.py did
    not make (its marker missing)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise WriteError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise WriteError(f"{out} is a folder that build.py did not make; choose another --out or empty it")


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A fresh folder beside `out`; swapped in for `out` only if the block succeeds."""
    out = out.absolute()
    check_replaceable(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        raise WriteError(f"cannot create a folder beside {out}: {exc.strerror or exc}") from exc
    try:
        yield temp
        (temp / MARKER).write_bytes(b"")
        temp.chmod(0o755)  # mkdtemp makes it private; a published site is not
        replace_folder(temp, out)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise WriteError(f"could not write the site: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def write(pages: Pages, folder: Path) -> None:
    for path, content in pages.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def update(
    pages: Pages, folder: Path, keep: tuple[str, ...] = (), written: dict[str, bytes] | None = None
) -> int:
    """The preview's write: rewrite only the files whose bytes changed, delete those no longer built.

    Not atomic, unlike `staging`: a preview folder has one reader, who wants the edit now. Paths
    under `keep` (the search index, which the preview refreshes on its own) are left alone.
    `written` is what the preview last wrote here, if it knows: then unchanged files are not read
    back and the folder is not walked. Returns how many files changed.
    """
    wanted = dict(pages.items())
    changed = 0
    for path, content in wanted.items():
        target = folder / path
        if written is not None and written.get(path) == content and target.is_file():
            continue
        try:
            if target.stat().st_size == len(content) and target.read_bytes() == content:
                continue
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        changed += 1
    if written is not None:
        stale = [folder / path for path in sorted(written.keys() - wanted.keys())]
    else:
        stale = [
            target
            for target in sorted(folder.rglob("*"))
            if not target.is_dir()
            and (path := target.relative_to(folder).as_posix()) != MARKER
            and path not in wanted
            and not path.startswith(keep)
        ]
    for target in stale:
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        changed += 1
        for parent in target.parents:  # the folders this deletion emptied
            if parent == folder or any(parent.iterdir()):
                break
            parent.rmdir()
    return changed
