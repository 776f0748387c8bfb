"""Argus generic RTSP camera driver.

Records any camera that serves H.264 or H.265 over RTSP (with AAC or G.711
audio when present), through the driver's own RTSP/RTP reader (``native/``,
for rtsp:// over TCP) or through PyAV. The plugin is registered through its
entry point only (see ``plugin.py``).
"""

from __future__ import annotations

__version__ = "0.1.0"
