"""Hooks of metadata drivers (entry-point group ``argus.metadata_drivers``)."""

from __future__ import annotations

from collections.abc import Sequence

from argus_sdk._drivers import MetadataDriverType
from argus_sdk._markers import hookspec


@hookspec
def argus_metadata_drivers() -> Sequence[MetadataDriverType]:
    """Declare the metadata driver types this plugin provides.

    Called by the node once after plugins are loaded and after a plugin reload.

    :returns: the metadata driver types.

    Fan-out: the results of all plugins are collected.
    """
    raise NotImplementedError
