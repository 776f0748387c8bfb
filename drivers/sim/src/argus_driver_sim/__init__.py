"""Argus simulated camera and encoder driver.

H.264 (and optionally AAC) clips are generated once per set of parameters,
cached on disk, shared in memory and replayed in real time, so hundreds of
simulated cameras cost little more than the packets they deliver. The plugin
is registered through entry points only (see ``plugin.py``).
"""

from __future__ import annotations

__version__ = "0.1.0"
