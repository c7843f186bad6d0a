"""Writing users' files safely: a temporary file beside the target, then one rename.

Only a regular file (or a name not yet taken) is replaced by rename. A symbolic link is
written through: the file it points at is replaced, the link stays. A character device
(`/dev/null`, a terminal) or a FIFO that someone reads is written to as it is, never renamed
over; a directory, a socket or a FIFO without a reader is refused.

Writers of the same directory take turns (an advisory lock on the directory), and a writer
that read the file first passes `expect=`: when the file changed since (another run wrote it
meanwhile), the write is refused instead of silently dropping the other run's change.
Temporary files carry the writer's pid; one left by a writer killed mid-write (`kill -9`) is
removed by the next write beside it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from types import EllipsisType

from ozrelease.errors import InputError
from ozrelease.inputs import NAME_MAX, path_problem, shown

# A temporary file of ours: `.NAME.ozr-PID-RANDOM.tmp`. One whose writer is gone, or older
# than a day whoever holds that pid now, is stale.
_TMP = re.compile(r"^\.(?P<name>.+)\.ozr-(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$")
# What ozrelease 0.1 left (tempfile.mkstemp: 8 random characters, no pid): removed once a
# day old, which no write of ours takes.
_OLD_TMP = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")
STALE_AFTER = 24 * 3600
LOCK_WAIT = 30.0  # seconds


class ChangedError(InputError):
    """The file changed between our read and our write: someone else wrote it meanwhile."""


def write_atomic(path: Path, text: str, *, expect: str | EllipsisType | None = ...) -> None:
    """Replace `path` with `text` so that readers see the old file or the new, never half.

    `expect` is the text the caller read the file as (None: the file did not exist); when
    the file holds something else by the time we write, ChangedError (exit 2) is raised and
    nothing is written. The file's permissions are kept when it exists; line endings are
    written as given.
    """
    file = shown(path)
    problem = path_problem(str(path))
    if problem is not None:
        raise InputError(f"cannot write {problem}", file=file)
    try:
        info: os.stat_result | None = path.stat()  # (through symbolic links)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(_message(exc), file=file) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        # Opened by the name given: `/dev/stdout` is a link into /proc that realpath cannot
        # follow to a file name, but open() reaches the pipe or terminal it stands for.
        _write_special(path, info, text, file)
        return
    target = Path(os.path.realpath(path))  # through symbolic links, to the real file
    with _locked(target.parent, file):
        if expect is not ...:
            _check_unchanged(target, expect, file)
        _clean_stale(target)
        _replace(target, text, None if info is None else stat.S_IMODE(info.st_mode), file)


def _tmp_name(name: str, suffix: str) -> str:
    """`.NAME` + `suffix`, NAME cut short where the whole would pass the system's limit on
    a file name (a target named 240 bytes is a valid file; its temporary file must be too)."""
    room = NAME_MAX - 1 - len(os.fsencode(suffix))
    encoded = os.fsencode(name)
    if len(encoded) > room:
        name = encoded[:room].decode("utf-8", "ignore") or name[:1]
    return f".{name}{suffix}"


def _replace(target: Path, text: str, mode: int | None, file: str) -> None:
    suffix = f".ozr-{os.getpid()}-{os.urandom(6).hex()}.tmp"
    tmp = target.parent / _tmp_name(target.name, suffix)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise InputError(_message(exc), file=file) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        tmp.chmod(mode)
        tmp.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InputError(_message(exc), file=file) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _write_special(target: Path, info: os.stat_result, text: str, file: str) -> None:
    """A device or FIFO is written to, never replaced (as root, renaming over /dev/null would
    replace the machine's /dev/null with a regular file)."""
    if stat.S_ISDIR(info.st_mode):
        raise InputError("cannot write: a directory, not a file", file=file)
    if not (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        raise InputError("cannot write: not a regular file, a device or a FIFO", file=file)
    try:
        # O_NONBLOCK: a FIFO that nobody reads fails at once (ENXIO) instead of hanging.
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise InputError("cannot write: a FIFO that nobody reads", file=file) from None
        raise InputError(_message(exc), file=file) from None
    try:
        os.set_blocking(fd, True)
        with os.fdopen(fd, "w", encoding="utf-8", newline="", closefd=False) as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(_message(exc), file=file) from None
    finally:
        os.close(fd)


def _check_unchanged(target: Path, expect: str | None, file: str) -> None:
    try:
        now: str | None = target.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        now = None
    except OSError as exc:
        raise InputError(_message(exc), file=file) from None
    if _lines(now) != _lines(expect):
        raise ChangedError(
            "changed since ozrelease read it (another run wrote it meanwhile?); nothing "
            "written, run again",
            file=file,
        )


def _lines(text: str | None) -> str | None:
    # Readers translate line endings (Path.read_text); compare the way they read.
    return None if text is None else text.replace("\r\n", "\n").replace("\r", "\n")


@contextlib.contextmanager
def _locked(directory: Path, file: str) -> Iterator[None]:
    """An advisory lock on `directory` while we check and replace a file in it. The
    directory, not a lock file: nothing is left beside the user's file, and the directory
    is the same inode before and after our rename."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # e.g. a directory we may write but not read: no lock, as before
        yield
        return
    try:
        # Held for one check and one rename (milliseconds); waiting is bounded all the same,
        # so that a writer stuck on a dead network mount never hangs the next one.
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise InputError(
                        f"cannot write: another process has held the lock on this folder "
                        f"for {LOCK_WAIT:.0f} s; nothing written",
                        file=file,
                    ) from None
                time.sleep(0.01)
            except OSError:  # a file system without locks (some mounts): as before
                break
        yield
    finally:
        os.close(fd)  # (releases the lock)


def _clean_stale(target: Path) -> None:
    """Remove temporary files of ours for `target` whose writer died mid-write."""
    # (a long name is cut short in ours, never below 200 bytes: see _tmp_name)
    prefix = "." + os.fsencode(target.name)[:200].decode("utf-8", "ignore")
    try:
        names = [p.name for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return
    now = time.time()
    for name in names:
        ours, legacy = _TMP.match(name), _OLD_TMP.match(name)
        if ours is not None:
            suffix = name[1 + len(ours.group("name")) :]
            if name != _tmp_name(target.name, suffix):
                continue
        elif legacy is None or legacy.group("name") != target.name:
            continue
        path = target.parent / name
        with contextlib.suppress(OSError):
            old = now - path.lstat().st_mtime > STALE_AFTER
            if old or (ours is not None and not _alive(int(ours.group("pid")))):
                path.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _message(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "cannot write: the path is too long for the system"
    if exc.errno == errno.EISDIR:
        return "cannot write: a directory, not a file"
    return f"cannot write: {exc.strerror or exc}"
