"""Argus ONVIF camera driver.

Asks an ONVIF camera (device, media and PTZ services, SOAP with WS-Security)
what it is, which media profiles it has and where their streams are; the
streams themselves are read by the RTSP driver's readers. The plugin is
registered through its entry point only (see ``plugin.py``).
"""

from __future__ import annotations

__version__ = "0.1.0"
