"""Wording shared by every message: a count and its noun."""

from __future__ import annotations


def plural(count: int, word: str, plural: str | None = None) -> str:
    """`1 change`, `2 changes`; `plural` for the irregular ones (`entry`, `entries`)."""
    return f"{count} {word if count == 1 else plural or word + 's'}"
