"""Argus VMS platform: kernel, node, master, CLI."""

from argus._version import __version__

__all__ = ["__version__"]
