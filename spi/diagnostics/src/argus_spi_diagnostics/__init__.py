"""Argus Spotter Diagnostics, a Spotter client plugin (.spi).

The Python side only declares the client side (``plugin.py``); the panel itself is
``static/diagnostics.js``, served by the master to every Spotter.
"""

from __future__ import annotations

__version__ = "0.1.0"
