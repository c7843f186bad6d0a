"""Where the bundled manifests and built-in templates are, installed or in a source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The bundled `manifests` or `templates` folder.

    A wheel carries them as `ozrelease/_data/<name>`; a source checkout (and an editable
    install of it) keeps them at the top of the repository, where users read and copy them.
    """
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name


def bundled_manifests() -> Path:
    return bundled("manifests")


def bundled_templates() -> Path:
    return bundled("templates")


def schema_text() -> str:
    """The JSON Schema of the manifests, as shipped in the package."""
    return (_PACKAGE / "manifest.schema.json").read_text(encoding="utf-8")
