"""Hooks of storage backends (entry-point group ``argus.storage``)."""

from __future__ import annotations

from collections.abc import Sequence

from argus_sdk._markers import hookspec
from argus_sdk._storage import StorageBackendType


@hookspec
def argus_storage_backends() -> Sequence[StorageBackendType]:
    """Declare the storage backends this plugin provides.

    Called by the node once after plugins are loaded and after a plugin
    reload; the node opens the backend its configuration names.

    :returns: the storage backend types.

    Fan-out: the results of all plugins are collected.
    """
    raise NotImplementedError
