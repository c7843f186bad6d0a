"""Where a long history's changes wait: a private temporary SQLite database on disk.

Grouping (`commits.group_records`) keeps every finished unit until the whole range is read,
since units that share their main issue become one change at the end. On a long range that
is most of the memory; past a few thousand units they move here instead, and the changes
come back out in order, a row at a time, so memory stays flat in the number of commits.

SQLite makes the file itself (in TMPDIR) and removes it when the connection closes; on
Unix it is unlinked as soon as it is opened, so nothing is left behind even when the
process is killed.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ozrelease.errors import OzReleaseError

if TYPE_CHECKING:  # (the shapes grouping gives and takes back: one definition, there)
    from ozrelease.changelog.commits import _Done as Unit
    from ozrelease.changelog.commits import _Found as Found

__all__ = ["Spill", "StoredChanges"]

T = TypeVar("T")
U = TypeVar("U")

Made = tuple[int | None, str, tuple[str, ...], tuple[str, ...], bool, int]
"""What a Change is made of: (section, text, issues, shas, breaking, landed)."""

_SEP = "\n"  # between the issues or shas of one row: neither can hold a newline


def _join(items: tuple[str, ...]) -> str:
    return _SEP.join(items)


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split(_SEP)) if text else ()


@contextmanager
def _reported() -> Iterator[None]:
    """SQLite's failures (a full disk, no writable temporary directory) as one clear error."""
    try:
        yield
    except sqlite3.Error as exc:
        raise OzReleaseError(
            f"could not keep a long history's changes in a temporary file ({exc}); "
            "set TMPDIR to a writable directory with free space"
        ) from None


class Spill:
    """Finished units, then the changes made of them, in one temporary database."""

    def __init__(self) -> None:
        with _reported():
            self._db = self._open()
        # Closed explicitly (Python 3.13 warns of a connection left to the garbage collector)
        # once neither this nor any Rows read from it is left, or at exit.
        self._close = weakref.finalize(self, self._db.close)

    @staticmethod
    def _open() -> sqlite3.Connection:
        # "" is SQLite's private temporary database: on disk, gone when closed.
        db = sqlite3.connect("", isolation_level=None)
        for pragma in (
            "journal_mode = OFF",  # nothing here outlives the process: no journal,
            "synchronous = OFF",  # no waiting for the disk,
            "temp_store = FILE",  # sorts that outgrow the page cache go to disk too,
            "cache_size = -512",  # which is 512 KiB (SQLite's default: 2 MiB)
        ):
            db.execute(f"PRAGMA {pragma}")
        db.execute(
            "CREATE TABLE units (main TEXT, landed INTEGER, id INTEGER, section INTEGER,"
            " text TEXT, issues TEXT, shas TEXT, breaking INTEGER)"
        )
        db.execute(
            "CREATE TABLE changes (landed INTEGER, first TEXT, section INTEGER, text TEXT,"
            " issues TEXT, shas TEXT, breaking INTEGER)"
        )
        db.execute("BEGIN")
        return db

    def add_units(self, units: Iterable[tuple[str | None, Unit]]) -> None:
        """Store (main issue or None, unit) pairs."""
        with _reported():
            self._db.executemany(
                "INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (main, landed, id_, section, text, _join(issues), _join(shas), breaking)
                    for main, (landed, id_, section, text, issues, shas, breaking) in units
                ),
            )

    def groups(self) -> Iterator[tuple[str | None, list[Unit]]]:
        """(main issue, its units by landed and id) for every issue, then (None, [unit])
        for every unit without one; one group in memory at a time."""
        with _reported():
            rows = self._db.execute(
                "SELECT main, landed, id, section, text, issues, shas, breaking FROM units"
                " ORDER BY main IS NULL, main, landed, id"
            )
            main: str | None = None
            members: list[Unit] = []
            for row in rows:
                unit: Unit = (
                    row[1], row[2], row[3], row[4], _split(row[5]), _split(row[6]), bool(row[7])
                )  # fmt: skip
                if row[0] is None:
                    if members:
                        yield main, members
                        members = []
                    yield None, [unit]
                    continue
                if members and row[0] != main:
                    yield main, members
                    members = []
                main = row[0]
                members.append(unit)
            if members:
                yield main, members

    def add_changes(self, changes: Iterable[Found]) -> None:
        with _reported():
            self._db.executemany(
                "INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (landed, first, section, text, _join(issues), _join(shas), breaking)
                    for landed, first, section, text, issues, shas, breaking in changes
                ),
            )

    def changes(self, make: Callable[[Made], T]) -> StoredChanges[T]:
        """The changes added, as `make` builds them, `landed` counted from the oldest."""
        with _reported():
            self._db.execute("DROP TABLE units")
            self._db.execute(
                "CREATE INDEX changes_by_section ON changes (section, breaking DESC, landed, first)"
            )
            return StoredChanges(self, make)

    def close(self) -> None:
        """Remove the database now (it goes anyway when nothing refers to it any more)."""
        self._close()


_COLUMNS = "section, text, issues, shas, breaking, landed"


class Rows(Sequence[T], Generic[T]):
    """Stored changes that match `where`, in `order`, read from the database as they are
    used (the count is taken once)."""

    def __init__(
        self,
        spill: Spill,
        make: Callable[[Made], T],
        low: int,
        where: str = "",
        args: tuple[Any, ...] = (),
        order: str = "landed, first",
    ) -> None:
        self._spill = spill  # (which keeps the database open while this is used)
        self._db, self._make, self._low = spill._db, make, low
        self._where, self._args, self._order = where, args, order
        with _reported():
            found = self._db.execute(f"SELECT COUNT(*) FROM changes {where}", args).fetchone()
        self._count: int = found[0]

    def _rows(self, limit: str = "", *more: Any) -> Iterator[T]:
        with _reported():
            make, low = self._make, self._low
            query = f"SELECT {_COLUMNS} FROM changes {self._where} ORDER BY {self._order}{limit}"
            for section, text, issues, shas, breaking, landed in self._db.execute(
                query, (*self._args, *more)
            ):
                yield make(
                    (section, text, _split(issues), _split(shas), bool(breaking), landed - low)
                )

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        return self._rows()

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        # (One query per item: for the Sequence protocol; everything here iterates.)
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("change index out of range")
        return next(self._rows(" LIMIT 1 OFFSET ?", index))


class StoredChanges(Rows[T]):
    """The changes of a spilled walk, oldest landed first (then by first sha), as `make`
    builds them."""

    def __init__(self, spill: Spill, make: Callable[[Made], T]) -> None:
        with _reported():
            low = spill._db.execute("SELECT MIN(landed) FROM changes").fetchone()[0]
        super().__init__(spill, make, low or 0)

    def sections(self) -> list[int]:
        """The section indices that have changes, ascending."""
        with _reported():
            rows = self._db.execute(
                "SELECT DISTINCT section FROM changes WHERE section IS NOT NULL ORDER BY section"
            )
            return [row[0] for row in rows]

    def in_section(self, section: int, make: Callable[[Made], U]) -> Rows[U]:
        """The changes of one section, breaking ones first, each part by landed and first
        sha (the order of a changelog section), as `make` builds them."""
        return Rows(
            self._spill, make, self._low, "WHERE section = ?", (section,),
            "breaking DESC, landed, first",
        )  # fmt: skip
