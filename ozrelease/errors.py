"""The one exception root of ozrelease; every expected failure is an OzReleaseError."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ozrelease.terminal import one_line
from ozrelease.wording import plural

# Exit codes (CONTRACT §1): 0 done, 1 a negative answer, 2 could not answer. An unexpected
# exception is a bug, not an answer: it exits 70 (EX_SOFTWARE) with its traceback.
EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_CANNOT_ANSWER = 2
BUG_EXIT = 70


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can: `FILE:LINE: message`."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        # One line, always: a file name or a value that holds a line break (or a control
        # sequence) is shown escaped, so that each line of stderr is one problem.
        message = one_line(self.message)
        if not self.file:
            return message
        if self.line is None:
            return f"{one_line(self.file)}: {message}"
        return f"{one_line(self.file)}:{self.line}: {message}"


class OzReleaseError(Exception):
    """An expected failure. `exit_code` follows CONTRACT §1; the message is for people."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def lines(self) -> list[str]:
        """The message as the lines printed on stderr (one problem per line)."""
        if not self.file:
            return [f"error: {one_line(self.message)}"]
        return [str(Problem(self.file, self.line, self.message))]

    def __str__(self) -> str:
        return "\n".join(self.lines())


class UsageError(OzReleaseError):
    """Bad command-line usage that click itself cannot see (e.g. a malformed --to)."""


class InputError(OzReleaseError):
    """An input file that cannot be read or understood."""


class ManifestError(OzReleaseError):
    """The manifests are invalid; carries every problem found, sorted by file and line."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems), key=_problem_key)
        count = len(self.problems)
        super().__init__(f"{plural(count, 'problem')} in the manifests")

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class GitError(OzReleaseError):
    """git failed, a ref is unknown, or the history we need is not there (shallow clone)."""


def _problem_key(p: Problem) -> tuple[str, int, str]:
    return (p.file, p.line if p.line is not None else 0, p.message)
