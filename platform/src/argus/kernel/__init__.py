"""The Argus plugin kernel: discovery and loading (stevedore), registration and calls (pluggy)."""

from argus.kernel.calls import TRACE_ENV, HookResult
from argus.kernel.kernel import Kernel
from argus.kernel.records import PluginRecord, PluginStatus

__all__ = ["TRACE_ENV", "HookResult", "Kernel", "PluginRecord", "PluginStatus"]
