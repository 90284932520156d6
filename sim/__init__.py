"""softpower: an agent-based simulator of how nations win and lose soft power."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("softpower")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
