"""Argus serial PTZ driver: Pelco-D and Pelco-P domes on an RS-485/RS-422 bus.

Frames are built in ``protocol.py``; one :class:`~argus_driver_pelco.bus.Bus` owns
each serial port in the process and serialises the frames of every dome on it;
``device.py`` maps the SDK's PTZ commands onto frames; ``emulator.py`` plays a
dome (or several) on a serial port for developers and tests. The plugin is
registered through entry points only (see ``plugin.py``).
"""

from __future__ import annotations

__version__ = "0.1.0"
