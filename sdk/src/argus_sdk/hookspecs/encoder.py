"""Hooks of encoder drivers (entry-point group ``argus.encoder_drivers``)."""

from __future__ import annotations

from collections.abc import Sequence

from argus_sdk._drivers import EncoderDriverType
from argus_sdk._markers import hookspec


@hookspec
def argus_encoder_drivers() -> Sequence[EncoderDriverType]:
    """Declare the encoder driver types this plugin provides.

    Called by the node once after plugins are loaded and after a plugin reload.
    Each channel of an opened encoder becomes one camera.

    :returns: the encoder driver types.

    Fan-out: the results of all plugins are collected.
    """
    raise NotImplementedError
