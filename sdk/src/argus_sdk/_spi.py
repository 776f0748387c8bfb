"""Spotter client plugin (.spi) declaration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpotterPlugin:
    """A client-side plugin the master serves to Spotter.

    :param package: the Python package holding the assets (read with ``importlib.resources``).
    :param module: path of the ES module inside ``package``, e.g. ``static/plugin.js``.
    :param styles: optional CSS files inside ``package``.
    """

    name: str
    title: str
    package: str
    module: str
    styles: tuple[str, ...] = ()
