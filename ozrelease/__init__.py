"""ozrelease: release orchestration and coordinated upgrades for the Open Zaak ecosystem."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ozrelease")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
