"""Write stage: the site goes into a folder beside the output, then is swapped in.

A build that fails at any point — bad data, a template error, a full disk —
leaves the previous site exactly as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
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


def replace_folder(new: Path, target: Path, spare: Path | None = None) -> None:
    """Put the complete folder `new` at `target`, in one step where the system can. Readers of
    `target` see either the old folder or the new, never a mix. The previous `target` becomes
    `spare` when given and free (the next build writes over it: see `staging`), else it is
    deleted, from beside `new`, so inside its workspace (below): if this process dies meanwhile,
    the next build removes what is left of it."""
    if not target.exists():
        new.rename(target)
        return
    if _exchange(new, target):
        old = new  # now holds the previous folder
    else:
        old = new.with_name(f"{new.name}.old")
        target.rename(old)
        new.rename(target)
    if spare is not None:
        try:
            old.rename(spare)  # fails if a spare is there already: one is enough
            return
        except OSError:
            pass
    shutil.rmtree(old)


# Workspaces: the folders beside the output where a build writes the site (`new`) and the preview
# writes a fresh search index (`search`), named `.<output>.<kind>-<pid>-<random>`. Each holds a
# lock file, locked while its process works in it: the kernel releases the lock when the process
# ends, however it ends, even by SIGKILL. So a workspace whose lock can be taken is a leftover,
# and the next build removes it; two builds into different outputs beside each other, or a build
# beside a running preview, leave each other's alone. Nothing else is ever removed: only folders
# with our name and our lock file (or empty ones, which a process killed between creating the
# folder and its lock leaves; only when older than a minute, so never one being set up).
_LOCK = ".timeline-workspace.lock"
_KINDS = ("new", "search")
_EMPTY_GRACE_SECONDS = 60


def _workspace_name(out: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(out.name)}\.(?:{'|'.join(_KINDS)})-[0-9]+-[A-Za-z0-9_]+")


def remove_leftovers(out: Path) -> list[Path]:
    """Remove the workspaces beside `out` whose process has ended; the ones removed."""
    pattern = _workspace_name(out)
    removed = []
    try:
        siblings = list(out.parent.iterdir())
    except OSError:
        return []
    for folder in siblings:
        if not pattern.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            continue
        try:
            lock = os.open(folder / _LOCK, os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            try:
                if time.time() - folder.stat().st_mtime > _EMPTY_GRACE_SECONDS:
                    folder.rmdir()  # fails unless empty
                    removed.append(folder)
            except OSError:
                pass
            continue
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)  # its process is alive
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(lock)
    return removed


@contextmanager
def workspace(out: Path, kind: str) -> Iterator[Path]:
    """A private folder beside `out`, locked as this process's while the block runs, then
    removed with all it holds. Leftovers of ended processes are removed first."""
    assert kind in _KINDS
    remove_leftovers(out)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.{kind}-{os.getpid()}-", dir=out.parent))
    lock = None
    try:
        # Locked before it takes its name, so no other process ever finds it unlocked.
        lock = os.open(folder / f"{_LOCK}.new", os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with suppress(OSError):  # a file system without locks: no one can lock it, nor remove it
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(folder / f"{_LOCK}.new", folder / _LOCK)
        yield folder
    finally:
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            if lock is not None:
                os.close(lock)


def check_replaceable(out: Path) -> None:
    """Refuse an output that a build would not replace: not a folder, or a folder build.py did
    not make (its marker missing)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise WriteError(f"{out} exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise WriteError(f"{out} is a folder that build.py did not make; choose another --out or empty it")


# The spare: the site a build replaced, kept beside the output as `.<output>.spare`, for the
# next build to write over. On this kind of disk (ext4 without a journal), creating 10,000 files
# soon after deleting as many costs 20 times what it costs otherwise, and a fresh copy of the
# site is 10,000 new files; writing over the spare creates only the files that are new and
# rewrites only those whose bytes changed (figures in the README, "Build time and memory").
# It is worth its disk space from SPARE_FROM files on; a smaller site is written afresh (a few
# hundredths of a second) and the one it replaces deleted, as before.
SPARE_FROM = 1000


def spare_of(out: Path) -> Path:
    return out.with_name(f".{out.name}.spare")


def _claim_spare(out: Path, into: Path) -> bool:
    """Move the spare beside `out`, if there is one that a build made, to `into` (inside this
    build's locked workspace). One rename: of two builds, one gets it, the other starts afresh.
    Never taken: a link, or a folder without the marker."""
    spare = spare_of(out)
    try:
        if spare.is_symlink() or not spare.is_dir() or not (spare / MARKER).is_file():
            return False
        spare.rename(into)
    except OSError:
        return False
    return True


@contextmanager
def staging(out: Path, keep_spare: bool = False) -> Iterator[Path]:
    """A folder beside `out`, inside a locked workspace, swapped in for `out` only if the block
    succeeds: the spare the previous build left, to be written over, or else a fresh one. With
    `keep_spare`, the site replaced becomes the next spare; without, it is deleted. Whatever
    fails, `out` is untouched, and nothing else is left beside it: a spare claimed goes back
    (after a SIGKILL, the next build removes the workspace, spare and all)."""
    out = out.absolute()
    check_replaceable(out)
    with ExitStack() as stack:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            temp = stack.enter_context(workspace(out, "new")) / "site"
            reused = _claim_spare(out, temp)
            if not reused:
                temp.mkdir()
        except OSError as exc:
            raise WriteError(f"cannot create a folder beside {out}: {exc.strerror or exc}") from exc
        try:
            yield temp
            (temp / MARKER).write_bytes(b"")
            temp.chmod(0o755)  # a published site is readable by all, whatever the umask
            replace_folder(temp, out, spare_of(out) if keep_spare else None)
        except BaseException as exc:
            if reused and temp.is_dir():
                with suppress(OSError):  # still the spare, part written over: the next build's
                    temp.rename(spare_of(out))
            if isinstance(exc, OSError):
                raise WriteError(f"could not write the site: {exc.strerror or exc}") from exc
            raise


def _files_in(folder: Path) -> set[str] | None:
    """Every file under `folder`, as paths relative to it; None if anything there is neither a
    plain file nor a folder (a link: never written through)."""
    found: set[str] = set()
    pending = [""]
    while pending:
        prefix = pending.pop()
        with os.scandir(folder / prefix if prefix else folder) as entries:
            for entry in entries:
                path = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    pending.append(f"{path}/")
                elif entry.is_file(follow_symlinks=False):
                    found.add(path)
                else:
                    return None
    return found


def _same(target: Path, content: bytes) -> bool:
    try:
        with open(target, "rb") as file:
            return os.fstat(file.fileno()).st_size == len(content) and file.read() == content
    except FileNotFoundError:
        return False


# What `write` leaves alone: the search index, which the index stage writes over in its own way.
KEPT = ("pagefind/",)


def write(pages: Pages, folder: Path, keep: tuple[str, ...] = KEPT) -> None:
    """Make `folder` hold exactly `pages`: in an empty folder, every file written; over a previous
    site (the spare), only the files whose bytes differ are rewritten, in place, and the files
    no longer built are removed, with the folders they leave empty, but for those under `keep`."""
    existing = _files_in(folder)
    if existing is None:  # not what a build left: written afresh
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        existing = set()
    made: set[str] = set()
    for path, content in pages.items():
        target = folder / path
        if path in existing:
            if _same(target, content):
                continue
        else:
            parent = path.rpartition("/")[0]
            if parent and parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(parent)
        target.write_bytes(content)
    wanted = {path for path, _ in pages.items()}
    stale = sorted(path for path in existing - wanted if path != MARKER and not path.startswith(keep))
    remove(folder, stale)


def remove(folder: Path, paths: list[str]) -> None:
    """Delete these files of `folder`, and the folders each deletion empties."""
    for path in paths:
        target = folder / path
        with suppress(FileNotFoundError):
            target.unlink()
        for parent in target.parents:
            if parent == folder or any(parent.iterdir()):
                break
            parent.rmdir()


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
