"""Hooks of camera drivers (entry-point group ``argus.camera_drivers``)."""

from __future__ import annotations

from collections.abc import Sequence

from argus_sdk._device import DiscoveredDevice
from argus_sdk._drivers import CameraDriverType
from argus_sdk._markers import hookspec


@hookspec
def argus_camera_drivers() -> Sequence[CameraDriverType]:
    """Declare the camera driver types this plugin provides.

    Called by the node once after plugins are loaded, and again after a plugin
    is reloaded, to build its table of driver names. A name provided by two
    plugins is refused for the later one.

    :returns: the driver types (usually one).

    Fan-out: the results of all plugins are collected.
    """
    raise NotImplementedError


@hookspec
def argus_camera_discover(timeout: float) -> Sequence[DiscoveredDevice]:
    """Look for devices this driver can talk to.

    Called by the node, in a worker thread, when an administrator asks for
    discovery. Must return within ``timeout`` seconds and must not add the
    devices anywhere: the administrator chooses.

    :param timeout: seconds the caller waits for all drivers together.
    :returns: the devices found, possibly none.

    Fan-out: the results of all plugins are collected.
    """
    raise NotImplementedError
