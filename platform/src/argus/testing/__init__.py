"""Helpers for testing Argus hosts and plugins."""

from argus.testing.databases import free_port
from argus.testing.dists import DistFactory
from argus.testing.processes import ArgusProcess, Cluster, wait_for

__all__ = ["ArgusProcess", "Cluster", "DistFactory", "free_port", "wait_for"]
