"""`ozrelease plan` (arrives with the planner issue)."""

from __future__ import annotations

import click

from ozrelease.cli.options import not_available


@click.command("plan", context_settings={"ignore_unknown_options": True,
                                         "allow_extra_args": True})
def plan() -> None:
    """Plan a coordinated upgrade (not available yet)."""
    not_available("plan", "it arrives with the planner issue")


COMMANDS = [plan]
