"""ozrelease: release orchestration and coordinated upgrades for the Open Zaak ecosystem."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # The version is read from the installed metadata only when asked: importlib.metadata
    # costs ~80 ms at every start, and most runs (a CI check) never print it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("ozrelease")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(f"module 'ozrelease' has no attribute {name!r}")
