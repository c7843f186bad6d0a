"""`ozrelease changelog generate|check` (arrives with the changelog issues)."""

from __future__ import annotations

import click

from ozrelease.cli.options import not_available


@click.group("changelog")
def changelog() -> None:
    """Changelogs from git history, and the CI check for undocumented changes."""


@changelog.command("generate", context_settings={"ignore_unknown_options": True,
                                                  "allow_extra_args": True})
def generate() -> None:
    """Generate a changelog section from git history (not available yet)."""
    not_available("changelog generate", "it arrives with the changelog issue")


@changelog.command("check", context_settings={"ignore_unknown_options": True,
                                               "allow_extra_args": True})
def check() -> None:
    """Check that the changelog covers what landed (not available yet)."""
    not_available("changelog check", "it arrives with the changelog-check issue")


COMMANDS = [changelog]
