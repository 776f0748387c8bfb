"""Checks a registered plugin must pass beyond pluggy's own signature check."""

from __future__ import annotations

import difflib
from types import ModuleType

import pluggy

from argus_sdk.hookspecs import KINDS


def _spec_names(module: ModuleType) -> list[str]:
    return [n for n in dir(module) if n.startswith("argus_") and callable(getattr(module, n))]


ALL_HOOKS: list[str] = sorted({n for _, mod in KINDS.values() for n in _spec_names(mod)})


def hook_problems(pm: pluggy.PluginManager, plugin: object, groups: list[str]) -> list[str]:
    """What is wrong with ``plugin``'s hooks, after ``pm.register`` accepted it.

    pluggy accepts a hookimpl with no matching spec (it may be defined later);
    the kernel does not: a misspelled hook would silently never be called. It
    also refuses hook wrappers, which the guarded call path does not run, and a
    plugin that implements none of the hooks of a kind it claims to be.
    """
    problems: list[str] = []
    implemented: set[str] = set()
    for caller in pm.get_hookcallers(plugin) or []:
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            implemented.add(caller.name)
            if not caller.has_spec() and not impl.optionalhook:
                problems.append(_unknown_hook(caller.name))
            if impl.hookwrapper or impl.wrapper:
                problems.append(f"{caller.name} is a hook wrapper; Argus plugins cannot wrap hooks")
    for group in groups:
        kind, module = KINDS[group]
        required = _spec_names(module)
        if not implemented & set(required):
            problems.append(
                f"registered as {kind} (entry point group {group}) but implements none of "
                f"its hooks: {', '.join(required)}"
            )
    return problems


def _unknown_hook(name: str) -> str:
    close = difflib.get_close_matches(name, ALL_HOOKS, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{name} is not an Argus hook{hint}"
