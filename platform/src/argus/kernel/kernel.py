"""The kernel: discover, judge, load, register and call plugins.

stevedore decides what is installed and loads it; pluggy decides who is called.
A plugin that cannot be loaded, does not match the hook specifications or does
not support this platform's API is quarantined with its reason; the host
carries on with the others.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import pluggy
from packaging.utils import canonicalize_name
from stevedore import NamedExtensionManager

from argus.kernel.calls import (
    HookResult,
    enable_tracing,
    implementations,
    is_firstresult,
    timed_call,
    tracing_requested,
)
from argus.kernel.discovery import (
    Candidate,
    find_candidates,
    find_distribution,
    incompatibility,
    sdk_requirement,
)
from argus.kernel.records import PluginRecord, PluginStatus
from argus.kernel.validation import hook_problems
from argus_sdk import API_VERSION
from argus_sdk._markers import PROJECT
from argus_sdk.hookspecs import KINDS, MODULES

log = logging.getLogger("argus.kernel")

DEFAULT_MAX_FAILURES = 3


class Kernel:
    """Holds the plugin manager and the record of every plugin found.

    :param enabled: plugin names to load; ``None`` loads every compatible plugin.
        Found plugins not in the set are listed as disabled and never imported.
    :param max_failures: consecutive failed hook calls after which a plugin is
        quarantined at run time.
    :param api_version: the platform API to judge plugins against (tests only).
    """

    def __init__(
        self,
        *,
        enabled: Collection[str] | None = None,
        max_failures: int = DEFAULT_MAX_FAILURES,
        api_version: str = API_VERSION,
        groups: Iterable[str] = KINDS,
    ) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        for module in MODULES:
            self.pm.add_hookspecs(module)
        if tracing_requested():
            enable_tracing(self.pm)
        self._enabled = None if enabled is None else frozenset(enabled)
        self._max_failures = max_failures
        self._api_version = api_version
        self._groups = list(groups)
        self._records: dict[str, PluginRecord] = {}
        self._lock = threading.Lock()
        self._reloading = threading.Lock()  # one unload or reload at a time

    # -- loading -----------------------------------------------------------

    def load(self) -> None:
        """Discover and load every plugin of every Argus group; a plugin's fault never raises."""
        plan = self._judge(find_candidates(self._groups))
        self._load_plan(plan)
        self.pm.check_pending()
        counts = {s: sum(r.status is s for r in self._records.values()) for s in PluginStatus}
        log.info("plugins: %s", ", ".join(f"{n} {s.value}" for s, n in counts.items()))

    def unload(self, distribution: str, *, location: Path | None = None) -> list[str]:
        """Unregister every plugin of ``distribution`` and forget their records.

        Called by the node before a plugin package's active version changes.
        Calls already under way finish; later calls skip these plugins.

        The distribution's own modules (the files its ``RECORD`` lists, wherever
        it is installed) leave ``sys.modules``, so that importing it again reads
        the files anew; the platform's and the SDK's modules never do.

        :param location: the site folder the distribution was imported from (a
            plugin store version). It leaves ``sys.path`` and every module whose
            file lies under it — the plugin's dependencies too — leaves ``sys.modules``.
        :returns: the plugin names unloaded, sorted.
        """
        with self._reloading:
            return self._unload(distribution, location)

    def _unload(self, distribution: str, location: Path | None) -> list[str]:
        wanted = canonicalize_name(distribution)
        own = _module_files(wanted)
        with self._lock:
            names = sorted(
                n for n, r in self._records.items() if canonicalize_name(r.distribution) == wanted
            )
            for name in names:
                plugin = self.pm.get_plugin(name)
                if plugin is not None:
                    self.pm.unregister(plugin, name=name)
                del self._records[name]
        purged = _purge(own, location)
        log.info("unloaded %s: %s; %d modules purged", distribution, names, len(purged))
        return names

    def reload(
        self, distribution: str, *, old: Path | None = None, new: Path | None = None
    ) -> list[PluginRecord]:
        """Unload ``distribution`` and load it again from what is installed now.

        The other plugins stay registered and untouched. With ``old`` and ``new``
        (plugin store versions), ``old`` leaves ``sys.path`` and its modules are
        purged (see :meth:`unload`), then ``new`` goes to the front of
        ``sys.path``. Without ``new`` the distribution is gone unless another
        copy of it is still installed. Loading gives the guarantees of
        :meth:`load`: a plugin that fails to import (or calls ``sys.exit``),
        does not support this platform or has wrong hooks is quarantined.

        :returns: the distribution's plugin records after the reload, sorted by
            name; a plugin whose name another distribution already has is
            returned quarantined but not kept.
        """
        with self._reloading:
            return self._reload(distribution, old, new)

    def _reload(self, distribution: str, old: Path | None, new: Path | None) -> list[PluginRecord]:
        self._unload(distribution, old)
        if new is not None:
            sys.path[:] = [str(new), *(p for p in sys.path if p != str(new))]
        importlib.invalidate_caches()
        wanted = canonicalize_name(distribution)
        ours = [
            c for c in find_candidates(self._groups) if canonicalize_name(c.distribution) == wanted
        ]
        accepted: list[Candidate] = []
        refused: list[PluginRecord] = []
        for cand in ours:
            other = self._records.get(cand.name)
            if other is None:
                accepted.append(cand)
            else:  # the running owner keeps the name
                record = self._new_record(cand)
                record.status = PluginStatus.QUARANTINED
                record.reason = (
                    f"plugin name {cand.name!r} is provided by both {other.distribution} "
                    f"and {cand.distribution}"
                )
                log.warning("plugin %s of %s refused: %s", cand.name, distribution, record.reason)
                refused.append(record)
        self._load_plan(self._judge(accepted))
        names = {c.name for c in accepted}
        records = [r for r in self._records.values() if r.name in names] + refused
        for record in records:
            log.info(
                "plugin %s %s: %s %s",
                record.name,
                record.version,
                record.status.value,
                record.reason,
            )
        return sorted(records, key=lambda r: r.name)

    def _judge(self, candidates: list[Candidate]) -> dict[str, list[str]]:
        """Make a record per plugin name; return group → names of ``candidates`` that may be
        imported."""
        for cand in candidates:
            record = self._records.get(cand.name)
            if record is None:
                record = self._new_record(cand)
                self._records[cand.name] = record
            elif (record.distribution, record.target) != (cand.distribution, cand.target):
                self._conflict(record, cand)
                continue
            if cand.group not in record.groups:
                record.groups.append(cand.group)
                record.kinds.append(KINDS[cand.group][0])
        plan: dict[str, list[str]] = {}
        names = {c.name for c in candidates}
        for record in self._records.values():
            if record.name in names and record.status is PluginStatus.LOADED:
                for group in record.groups:
                    plan.setdefault(group, []).append(record.name)
        return plan

    def _new_record(self, cand: Candidate) -> PluginRecord:
        req = sdk_requirement(cand.requires)
        record = PluginRecord(
            name=cand.name,
            distribution=cand.distribution,
            version=cand.version,
            target=cand.target,
            requires_sdk=str(req.specifier) if req else "",
        )
        if self._enabled is not None and cand.name not in self._enabled:
            record.status, record.reason = PluginStatus.DISABLED, "not enabled in configuration"
        elif reason := incompatibility(cand.requires, self._api_version):
            self._quarantine(record, reason)
        return record

    def _conflict(self, record: PluginRecord, cand: Candidate) -> None:
        if record.distribution == cand.distribution:
            reason = f"entry point {cand.name!r} points to different objects in different groups"
        else:
            reason = (
                f"plugin name {cand.name!r} is provided by both {record.distribution} "
                f"and {cand.distribution}"
            )
        self._quarantine(record, reason)

    def _load_plan(self, plan: Mapping[str, list[str]]) -> None:
        loaded = self._import(plan)
        for name, plugin in loaded.items():
            self._register(self._records[name], plugin)

    def _import(self, plan: Mapping[str, list[str]]) -> dict[str, object]:
        """Import the planned plugins with stevedore; failures quarantine their plugin.

        One manager per plugin: stevedore contains ``Exception`` raised at import,
        the loop here also contains ``SystemExit`` (a plugin calling ``sys.exit``),
        so one plugin never stops the others from loading.
        """
        loaded: dict[str, object] = {}

        def failed(_manager: object, ep: Any, err: BaseException) -> None:
            detail = "".join(traceback.format_exception(err))
            self._quarantine(self._records[ep.name], f"import failed: {_brief(err)}", detail)

        for group, names in plan.items():
            for name in names:
                record = self._records[name]
                if record.status is not PluginStatus.LOADED or name in loaded:
                    continue
                try:
                    manager: NamedExtensionManager[object] = NamedExtensionManager(
                        group,
                        names=[name],
                        on_load_failure_callback=failed,
                        on_missing_entrypoints_callback=None,
                    )
                except SystemExit as exc:
                    failed(None, record, exc)
                    continue
                for ext in manager.extensions:
                    if ext.entry_point.value == record.target:
                        loaded.setdefault(name, ext.plugin)
        return loaded

    def _register(self, record: PluginRecord, plugin: object) -> None:
        try:
            self.pm.register(plugin, name=record.name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            self._quarantine(record, "hooks do not match the Argus specifications", str(exc))
            return
        problems = hook_problems(self.pm, plugin, record.groups)
        if problems:
            self.pm.unregister(plugin)
            self._quarantine(record, problems[0], "\n".join(problems))

    def _quarantine(self, record: PluginRecord, reason: str, detail: str = "") -> None:
        record.status, record.reason, record.detail = PluginStatus.QUARANTINED, reason, detail
        plugin = self.pm.get_plugin(record.name)
        if plugin is not None:
            self.pm.unregister(plugin)
        log.warning("plugin %s quarantined: %s", record.name, reason)

    # -- inspecting --------------------------------------------------------

    def plugins(self) -> list[PluginRecord]:
        """Every plugin found, loaded or not, sorted by name."""
        return sorted(self._records.values(), key=lambda r: r.name)

    def plugin(self, name: str) -> PluginRecord:
        return self._records[name]

    # -- calling -----------------------------------------------------------

    def call(self, hook: str, /, **kwargs: Any) -> list[HookResult]:
        """Call ``hook`` on every loaded plugin through the guarded path.

        An implementation that raises is recorded against its plugin (and the
        plugin quarantined after ``max_failures`` consecutive failures); the
        others are still called. For a ``firstresult`` hook the call stops at
        the first non-``None`` value.
        """
        first = is_firstresult(self.pm, hook)
        results: list[HookResult] = []
        for plugin, function, args in list(implementations(self.pm, hook, kwargs)):
            value, error = timed_call(plugin, hook, function, args)
            self._account(plugin, hook, error)
            if error is None and value is not None:
                results.append(HookResult(plugin, value))
                if first:
                    break
        return results

    def collect(self, hook: str, /, **kwargs: Any) -> list[HookResult]:
        """Like :meth:`call` for hooks returning sequences: one result per item."""
        return [HookResult(r.plugin, item) for r in self.call(hook, **kwargs) for item in r.value]

    def _account(self, plugin: str, hook: str, error: BaseException | None) -> None:
        with self._lock:
            record = self._records.get(plugin)
            if record is None:  # unloaded while the call ran
                return
            if error is None:
                record.failures = 0
                return
            record.failures += 1
            record.total_failures += 1
            record.detail = "".join(traceback.format_exception(error))
            failures = record.failures
        log.error("plugin %s failed in %s: %s", plugin, hook, _brief(error), exc_info=error)
        if failures >= self._max_failures:
            with self._lock:
                self._quarantine(
                    record,
                    f"{hook} failed {failures} times in a row: {_brief(error)}",
                    record.detail,
                )

    def close(self) -> None:
        """Unregister every plugin (the host is stopping)."""
        for name, plugin in list(self.pm.list_name_plugin()):
            if plugin is not None:
                self.pm.unregister(plugin, name=name)


#: Import packages of the host: never purged, whatever folder they seem to come from.
_HOST_PACKAGES = ("argus", "argus_sdk")


def _module_files(distribution: str) -> set[str]:
    """The real paths of the Python files of the first ``distribution`` on ``sys.path``."""
    dist = find_distribution(distribution)
    if dist is None:
        return set()
    files = dist.files or ()
    return {os.path.realpath(str(dist.locate_file(f))) for f in files if f.suffix == ".py"}


def _purge(files: set[str], location: Path | None) -> list[str]:
    """Take the modules of ``files`` out of ``sys.modules``; with ``location``, also every
    module under it, and ``location`` off ``sys.path``.

    :returns: the names of the modules purged.
    """
    prefixes: tuple[str, ...] = ()
    if location is not None:
        roots = {str(location), os.path.realpath(location)}
        sys.path[:] = [p for p in sys.path if p not in roots and os.path.realpath(p) not in roots]
        for root in roots:
            sys.path_importer_cache.pop(root, None)
        prefixes = tuple(root.rstrip(os.sep) + os.sep for root in roots)
    purged = []
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] in _HOST_PACKAGES:
            continue
        file = getattr(module, "__file__", None)
        file = file if isinstance(file, str) else ""
        paths = [p for p in [file, *(getattr(module, "__path__", None) or [])] if p]
        under = bool(prefixes) and any(str(p).startswith(prefixes) for p in paths)
        if under or (file and os.path.realpath(file) in files):
            del sys.modules[name]
            purged.append(name)
    importlib.invalidate_caches()
    return purged


def _brief(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"
