"""Argus ``segments`` storage backend."""

__version__ = "0.1.0"
