"""Bringing the node's plugin store to what the master wants, safely.

Every heartbeat reply names the plugin packages the node should run
(:class:`~argus.protocol.DesiredPlugin`). :class:`PluginUpdates` works through the
differences in its own thread, one package at a time, so heartbeats and recording never
wait for it:

1. **download and verify** the package (and its dependency wheels) with the TUF updater
   (:class:`~argus.repository.PackageUpdater`): the file must match the length and
   SHA-256 the master's signed, current, unexpired metadata give it;
2. **install** it into the versioned plugin store (checked again, unpacked under a
   hidden name, renamed complete — :class:`~argus.node.plugins.PluginStore`);
3. **activate** it atomically and **reload** it in the running node: only the devices
   using its drivers restart (:meth:`~argus.node.runtime.Node.activate_plugin`);
4. **health-check** it: its plugins loaded with their hooks registered, every device
   using it opened again, and every recorded stream of those devices delivering packets
   within :attr:`PluginUpdates.health_seconds`;
5. **roll back** to the version active before (or none) when the check fails.

What happened is kept per package as a :class:`~argus.protocol.PluginReport`, which
every heartbeat carries to the master. A target that failed is not tried again until
the master asks for another one (or offers other dependencies with it). A package the
master no longer lists is deactivated and removed from the store.
"""

from __future__ import annotations

import importlib.metadata as md
import logging
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from argus.kernel import PluginStatus
from argus.node.plugins import StoreError
from argus.node.runtime import Node, PluginReloadReport
from argus.protocol import DesiredPlugin, PluginReport, PluginState
from argus.repository import PackageUpdater, RepositoryError
from argus_sdk import ArgusError
from argus_sdk.packages import PackageRefused, inspect_package

log = logging.getLogger("argus.node.updates")

#: Seconds the cameras of a newly activated plugin have to deliver packets.
DEFAULT_HEALTH_SECONDS = 30.0
DOWNLOADS = "downloads"


def _attempt(wanted: DesiredPlugin) -> tuple[object, ...]:
    """What makes one attempt: the request (rollout), the package and the dependencies
    offered with it. A new rollout of the same package is a new attempt."""
    return (wanted.rollout, wanted.target, *wanted.dependencies)


class DependencyMissing(ArgusError):
    """A requirement of the package is neither on the node nor served by the master."""


class HealthCheckFailed(Exception):
    """The activated version does not work; the message says what failed."""


class PluginUpdates:
    """The node's side of package rollouts. ``start``/``stop`` from the main thread;
    :meth:`want` and :meth:`reports` from the heartbeat thread.

    :param updater: makes the TUF updater for one round of work (it is closed after).
    :param on_result: called (from the updates thread) when a package's result is known.
    """

    def __init__(
        self,
        node: Node,
        updater: Callable[[], PackageUpdater],
        *,
        health_seconds: float = DEFAULT_HEALTH_SECONDS,
        on_result: Callable[[], None] | None = None,
    ) -> None:
        #: Called when a package's result is known (the uplink sends a heartbeat at once).
        self.on_result = on_result
        self._node = node
        self._store = node.plugin_store
        self._updater = updater
        self.health_seconds = health_seconds
        self._downloads = node.host.data_dir / DOWNLOADS
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._desired: dict[str, DesiredPlugin] | None = None
        self._reports: dict[str, PluginReport] = {}
        self._failed: set[tuple[object, ...]] = set()  # attempts that failed: not retried
        self._thread = threading.Thread(target=self._run, name="plugin-updates", daemon=True)
        for project, version in self._store.active().items():
            self._reports[project] = PluginReport(
                project=project,
                version=version,
                target=self._active_target(project, version),
                state=PluginState.ACTIVE,
            )

    # -- the heartbeat's side ----------------------------------------------------

    def want(self, desired: Sequence[DesiredPlugin]) -> None:
        """The packages the master wants now (from a heartbeat reply); work starts soon."""
        wanted: dict[str, DesiredPlugin] = {canonicalize_name(d.project): d for d in desired}
        with self._lock:
            if wanted == self._desired:
                return
            self._desired = wanted
        self._wake.set()

    def reports(self) -> list[PluginReport]:
        """Every package of the store the master should know about, for the heartbeat."""
        with self._lock:
            return sorted(self._reports.values(), key=lambda r: r.project)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.health_seconds + 30)

    # -- the work ----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.reconcile()
            except Exception:
                log.exception("plugin updates failed; retrying at the next change")

    def reconcile(self) -> None:
        """Work through every difference between the store and the desired packages."""
        with self._lock:
            desired = dict(self._desired) if self._desired is not None else None
        if desired is None:
            return
        active = self._store.active()
        for project, wanted in sorted(desired.items()):
            if self._stop.is_set():
                return
            if active.get(project) == wanted.version:
                self._confirm(wanted)
                continue
            if _attempt(wanted) not in self._failed:
                self.install(wanted)
        for project in sorted(set(active) - set(desired)):
            self.remove(project)

    def install(self, wanted: DesiredPlugin) -> PluginReport:
        """Download, verify, install, activate, check — or roll back. Returns the result."""
        project, version, target = canonicalize_name(wanted.project), wanted.version, wanted.target
        previous = self._store.active().get(project)
        self._report(project, previous, target, PluginState.INSTALLING, "", wanted)
        log.info("installing %s %s (%s)", project, version, target)
        try:
            files = self._download(wanted)
            self._store.install(project, version, files)
        except (RepositoryError, DependencyMissing, PackageRefused, StoreError, OSError) as exc:
            self._failed.add(_attempt(wanted))
            log.error("%s %s not installed: %s", project, version, exc)
            return self._report(project, previous, target, PluginState.FAILED, str(exc), wanted)
        finally:
            shutil.rmtree(self._downloads, ignore_errors=True)
        since = self._node.clock.now()
        try:
            result = self._node.activate_plugin(project, version)
            self._check(result, since)
        except (HealthCheckFailed, StoreError) as exc:
            self._failed.add(_attempt(wanted))
            log.error("%s %s failed its health check, rolling back: %s", project, version, exc)
            try:
                self._node.activate_plugin(project, previous)
            except StoreError as again:
                detail = f"{exc}; rolling back to {previous} failed too: {again}"
                return self._report(project, None, target, PluginState.FAILED, detail, wanted)
            back = f"rolled back to {previous}" if previous else "deactivated again"
            return self._report(
                project, previous, target, PluginState.ROLLED_BACK, f"{exc}; {back}", wanted
            )
        self._store.prune(project)
        log.info("%s %s active", project, version)
        return self._report(project, version, target, PluginState.ACTIVE, "", wanted)

    def _confirm(self, wanted: DesiredPlugin) -> None:
        """The desired version runs already: answer this request (rollout) with it."""
        project = canonicalize_name(wanted.project)
        with self._lock:
            known = self._reports.get(project)
        if known is None or known.rollout != wanted.rollout or known.target != wanted.target:
            self._report(project, wanted.version, wanted.target, PluginState.ACTIVE, "", wanted)

    def remove(self, project: str) -> None:
        """Deactivate a package the master no longer lists and drop it from the store."""
        log.info("removing %s as the master asks", project)
        try:
            self._node.activate_plugin(project, None)
            for version in self._store.installed().get(project, []):
                self._store.remove(project, version)
        except (StoreError, OSError) as exc:
            self._report(project, None, "", PluginState.FAILED, f"removal failed: {exc}")
            return
        self._report(project, None, "", PluginState.REMOVED)

    def _download(self, wanted: DesiredPlugin) -> list[Path]:
        """The plugin's wheel and the dependency wheels this node lacks, verified.

        :raises DependencyMissing: a requirement neither this node nor the master has.
        """
        self._downloads.mkdir(parents=True, exist_ok=True)
        with self._updater() as updater:
            updater.refresh()
            plugin = updater.download(wanted.target, self._downloads)
            offered: dict[str, list[tuple[Version, str]]] = {}
            for target in wanted.dependencies:
                custom = updater.target(target).custom
                name = canonicalize_name(str(custom.get("project", "")))
                try:
                    offered.setdefault(name, []).append((Version(str(custom["version"])), target))
                except (KeyError, InvalidVersion):
                    continue
            files = [plugin]
            for req in self._needed(inspect_package(plugin).requires):
                fits = [
                    (version, target)
                    for version, target in offered.get(canonicalize_name(req.name), [])
                    if req.specifier.contains(version, prereleases=True)
                ]
                if not fits:
                    raise DependencyMissing(
                        f"needs {req}, which this node does not have and the master serves "
                        "no fitting wheel of (admit one: argus packages add --dependency FILE)"
                    )
                files.append(updater.download(max(fits)[1], self._downloads))
            return files

    def _needed(self, requires: Sequence[str]) -> list[Requirement]:
        """The requirements this node's own environment does not satisfy (the plugin
        store's folders do not count: a version there leaves with its plugin)."""
        store = str(self._store.root.resolve())
        paths = [p for p in sys.path if not str(Path(p or ".").resolve()).startswith(store)]
        needed = []
        for line in requires:
            req = Requirement(line)
            if canonicalize_name(req.name) == "argus-sdk":
                continue
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            have = [d.version for d in md.distributions(name=req.name, path=paths)]
            if not any(req.specifier.contains(v, prereleases=True) for v in have):
                needed.append(req)
        return needed

    def _check(self, result: PluginReloadReport, since: float) -> None:
        """:raises HealthCheckFailed: the new version does not work."""
        if result.deferred:
            return  # a storage backend: it is checked when the node next starts
        if not result.plugins:
            raise HealthCheckFailed(f"{result.distribution} provides no plugin this node loads")
        for plugin in result.plugins:
            if plugin.status is not PluginStatus.LOADED:
                raise HealthCheckFailed(
                    f"plugin {plugin.name} is {plugin.status.value}: {plugin.reason}"
                )
        if result.failed:
            device, why = next(iter(sorted(result.failed.items())))
            raise HealthCheckFailed(f"device {device} did not open: {why}")
        cameras = {c.id for c in self._node.cameras.values() if c.device in result.restarted}
        deadline = time.monotonic() + self.health_seconds
        while True:
            silent = sorted(
                f"{w.camera}/{w.stream}"
                for w in list(self._node.workers)
                if w.camera in cameras
                and (w.stats.last_packet_wall is None or w.stats.last_packet_wall < since)
            )
            if not silent:
                return
            if time.monotonic() >= deadline or self._stop.is_set():
                raise HealthCheckFailed(
                    f"no packets from {', '.join(silent[:5])} within {self.health_seconds:g} s "
                    "of activation"
                )
            time.sleep(0.2)

    def _report(
        self,
        project: str,
        version: str | None,
        target: str,
        state: PluginState,
        detail: str = "",
        wanted: DesiredPlugin | None = None,
    ) -> PluginReport:
        report = PluginReport(
            project=project,
            version=version,
            target=target,
            state=state,
            detail=detail[:2048],
            rollout=wanted.rollout if wanted is not None else None,
        )
        with self._lock:
            self._reports[project] = report
        if state is not PluginState.INSTALLING and self.on_result is not None:
            self.on_result()  # the master hears of it now, not at the next heartbeat
        return report

    def _active_target(self, project: str, version: str) -> str:
        """The repository target an active version came from, or '' when unknown."""
        try:
            return f"{project}/{version}/{self._store.plugin_wheel(project, version)[0]}"
        except StoreError:
            return ""
