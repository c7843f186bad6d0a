"""Reading a user's file whole: a regular file of bounded size, as UTF-8, or one InputError.

Everything that reads a whole file (a saved plan, a changelog, a publiccode.yml, a config
file, a manifest) goes through here, so that a FIFO never blocks, `/dev/zero` never fills
memory, a path the system cannot take never escapes as an OSError, and every failure is one
line naming the file. `parse_json` and `parse_toml` do the same for what the file holds:
nesting too deep for Python's parsers and integers too long for `int()` are input errors too.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

from ozrelease.errors import InputError

# Larger than any changelog, plan or config file people write (the Open Zaak changelog is
# under 1 MiB), small enough that a mistaken path cannot fill memory.
MAX_BYTES = 64 * 2**20

# What the kernel takes (Linux: NAME_MAX 255 bytes per component, PATH_MAX 4096 in all).
NAME_MAX = 255
PATH_MAX = 4096

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class MissingInputError(InputError):
    """The file does not exist (callers for whom absence is normal catch this one)."""


def path_problem(text: str) -> str | None:
    """Why no system call would accept `text` as a path, or None when it looks fine."""
    if text == "":
        return "an empty path"
    if "\x00" in text:
        return "a path with a NUL character"
    encoded = os.fsencode(text)
    if len(encoded) > PATH_MAX:
        return f"a path of {len(encoded)} bytes; the system takes at most {PATH_MAX}"
    longest = max(len(part) for part in encoded.split(b"/"))
    if longest > NAME_MAX:
        return f"a file name of {longest} bytes; the system takes at most {NAME_MAX}"
    return None


def shown(path: Path | str, limit: int = 80) -> str:
    """A path as error messages print it: one line, and not 5,000 characters long."""
    text = str(path)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else text[: limit // 2] + "…" + text[-limit // 2 :]


def read_bytes(path: Path, *, limit: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file `path`; InputError (MissingInputError when it does not
    exist) for anything else: a directory, a FIFO, a device, a file over `limit` bytes."""
    file = shown(path)
    problem = path_problem(str(path))
    if problem is not None:
        raise InputError(f"cannot read {problem}", file=file)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise MissingInputError("no such file", file=file) from None
    except OSError as exc:
        raise InputError(_os_message(exc), file=file) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError("a directory, not a file", file=file)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise InputError(f"{kind}, not a regular file; refused", file=file)
        if info.st_size > limit:
            raise InputError(_too_big(info.st_size, limit), file=file)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:  # the file grew while we read it
                raise InputError(_too_big(size, limit), file=file)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(_os_message(exc), file=file) from None
    finally:
        os.close(fd)


def read_text(
    path: Path, *, limit: int = MAX_BYTES, newline: str | None = None, bom: bool = False
) -> str:
    """The text of the regular file `path`, decoded as UTF-8 (`bom`: a leading byte-order
    mark is dropped). Line endings become `\\n` as in `Path.read_text`, unless `newline=""`
    keeps them as written."""
    data = read_bytes(path, limit=limit)
    try:
        text = data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} (save the file as UTF-8)",
            file=shown(path),
            line=line,
        ) from None
    if newline is None and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def parse_json(text: str, *, file: str) -> Any:
    """`json.loads`, with every way it fails on hostile text as an InputError."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=file, line=exc.lineno) from None
    except RecursionError:
        raise InputError("not JSON we read: nested too deeply", file=file) from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise InputError(f"not JSON we read: {_first_line(exc)}", file=file) from None


def parse_toml(text: str, *, file: str) -> dict[str, Any]:
    """`tomllib.loads`, with every way it fails on hostile text as an InputError."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise InputError(f"invalid TOML: {message}", file=file, line=line) from None
    except RecursionError:
        raise InputError("invalid TOML: nested too deeply", file=file) from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise InputError(f"invalid TOML: {_first_line(exc)}", file=file) from None


# Python's int() and str() refuse numbers of more than 4,300 digits (a guard against
# quadratic conversions); a parser that reads such a number leaves a value nothing can print.
MAX_INT_DIGITS = 4300
_HUGE_NUMBER = re.compile(rf"(?<![0-9])[0-9]{{{MAX_INT_DIGITS + 1},}}")


def huge_number(text: str) -> tuple[int, int] | None:
    """(line, digits) of the first run of more than 4,300 digits in `text`, or None."""
    match = _HUGE_NUMBER.search(text)
    if match is None:
        return None
    return text.count("\n", 0, match.start()) + 1, len(match.group(0))


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _too_big(size: int, limit: int) -> str:
    return f"larger than {limit // 2**20} MiB ({size:,} bytes or more); refused"


def _os_message(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "cannot read: the path is too long for the system"
    if exc.errno == errno.ELOOP:
        return "cannot read: too many levels of symbolic links"
    return f"cannot read: {exc.strerror or exc}"
