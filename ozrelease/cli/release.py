"""`ozrelease release`, `status` and `manifest import-publiccode` (arrive with their issue)."""

from __future__ import annotations

import click

from ozrelease.cli.options import not_available

_LOOSE = {"ignore_unknown_options": True, "allow_extra_args": True}


@click.group("release")
def release() -> None:
    """Release preparation and the backport matrix."""


@release.command("prepare", context_settings=_LOOSE)
def prepare() -> None:
    """Prepare a release: version, changelog, tag (not available yet)."""
    not_available("release prepare", "it arrives with the release issue")


@release.command("backports", context_settings=_LOOSE)
def backports() -> None:
    """Which fixes reached which release line (not available yet)."""
    not_available("release backports", "it arrives with the release issue")


@click.command("status", context_settings=_LOOSE)
def status() -> None:
    """Deployed versus newest releases, end of life, standards lag (not available yet)."""
    not_available("status", "it arrives with the release issue")


@click.group("manifest")
def manifest() -> None:
    """Helpers for writing manifests."""


@manifest.command("import-publiccode", context_settings=_LOOSE)
def import_publiccode() -> None:
    """A Component skeleton from a publiccode.yml (not available yet)."""
    not_available("manifest import-publiccode", "it arrives with the release issue")
