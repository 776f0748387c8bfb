"""Helpers for testing Argus hosts and plugins."""

from argus.testing.databases import free_port
from argus.testing.dists import DistFactory

__all__ = ["DistFactory", "free_port"]
