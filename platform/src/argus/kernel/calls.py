"""The one guarded path through which the host calls plugins.

pluggy's own hook call stops at the first exception. Here every
implementation is called on its own: an exception is recorded against its
plugin and the call carries on with the next one.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pluggy

TRACE_ENV = "ARGUS_TRACE_HOOKS"
trace_log = logging.getLogger("argus.kernel.trace")


@dataclass(frozen=True, slots=True)
class HookResult:
    """A non-``None`` value one plugin returned from a hook."""

    plugin: str
    value: Any


def tracing_requested() -> bool:
    return os.environ.get(TRACE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def enable_tracing(pm: pluggy.PluginManager) -> None:
    """Log every hook call (plugin, arguments, duration, outcome) to ``argus.kernel.trace``."""
    if not trace_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        trace_log.addHandler(handler)
    trace_log.setLevel(logging.DEBUG)
    pm.trace.root.setwriter(trace_log.debug)
    pm.enable_tracing()


def implementations(
    pm: pluggy.PluginManager, hook: str, kwargs: dict[str, Any]
) -> Iterator[tuple[str, Callable[..., Any], list[Any]]]:
    """(plugin name, function, positional args) for each implementation, in pluggy's call order.

    :raises AttributeError: ``hook`` is not a known hook (a bug in the host).
    :raises TypeError: ``kwargs`` do not match the hook's specification.
    """
    caller = getattr(pm.hook, hook)
    if caller.spec is not None:
        expected = set(caller.spec.argnames)
        if set(kwargs) != expected:
            raise TypeError(f"{hook} takes {sorted(expected)}, got {sorted(kwargs)}")
    for impl in reversed(caller.get_hookimpls()):
        yield impl.plugin_name, impl.function, [kwargs[a] for a in impl.argnames]


def is_firstresult(pm: pluggy.PluginManager, hook: str) -> bool:
    caller = getattr(pm.hook, hook)
    return bool(caller.spec is not None and caller.spec.opts.get("firstresult"))


def timed_call(
    plugin: str, hook: str, function: Callable[..., Any], args: list[Any]
) -> tuple[Any, BaseException | None]:
    """Call one implementation; return (value, None) or (None, the exception it raised)."""
    tracing = trace_log.isEnabledFor(logging.DEBUG)
    started = time.perf_counter() if tracing else 0.0
    try:
        value = function(*args)
    except Exception as exc:  # noqa: BLE001 - contained per plugin; the caller records it
        if tracing:
            trace_log.debug("%s [%s] raised %r", hook, plugin, exc)
        return None, exc
    if tracing:
        elapsed = (time.perf_counter() - started) * 1000
        trace_log.debug("%s [%s] %.2f ms -> %r", hook, plugin, elapsed, value)
    return value, None
