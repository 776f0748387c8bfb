"""Hooks of Spotter client plugins (entry-point group ``argus.spi``)."""

from __future__ import annotations

from collections.abc import Sequence

from argus_sdk._markers import hookspec
from argus_sdk._spi import SpotterPlugin


@hookspec
def argus_spotter_plugins() -> Sequence[SpotterPlugin]:
    """Declare the client-side plugins this package ships.

    Called by the master when it starts and after a package is activated; the
    master serves each plugin's module and styles at versioned URLs and lists
    them to Spotter, which loads them at its start.

    :returns: the Spotter plugins.

    Fan-out: the results of all plugins are collected.
    """
    raise NotImplementedError
