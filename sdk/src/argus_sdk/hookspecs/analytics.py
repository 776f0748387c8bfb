"""Hooks of analytics plugins (entry-point group ``argus.analytics``)."""

from __future__ import annotations

from collections.abc import Sequence

from argus_sdk._analytics import AnalyzerType
from argus_sdk._markers import hookspec


@hookspec
def argus_analyzers() -> Sequence[AnalyzerType]:
    """Declare the analyzer kinds this plugin provides (``motion`` …).

    Called by the node once after plugins are loaded and after a plugin
    reload; the node creates one analyzer per camera that has it enabled.

    :returns: the analyzer types.

    Fan-out: the results of all plugins are collected.
    """
    raise NotImplementedError
