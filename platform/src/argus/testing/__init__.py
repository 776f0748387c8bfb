"""Helpers for testing Argus hosts and plugins."""

from argus.testing.dists import DistFactory

__all__ = ["DistFactory"]
