"""System hooks: any plugin, of any kind, may implement these to observe the host.

Plugins that only observe (loggers, exporters) register under the entry-point
group ``argus.system``.
"""

from __future__ import annotations

from argus_sdk._context import HostInfo
from argus_sdk._events import Event
from argus_sdk._markers import hookspec


@hookspec
def argus_host_started(host: HostInfo) -> None:
    """The host has loaded its plugins and is about to start serving.

    Called by the node, master or demo once per start, in the main thread.
    Must return quickly; start long work in a thread of your own.

    :param host: the process's role, ids, versions and data directory.
    """


@hookspec
def argus_host_stopping(host: HostInfo) -> None:
    """The host is shutting down; release what :func:`argus_host_started` acquired.

    Called by the node, master or demo once per orderly stop, in the main thread,
    before plugins are unloaded.

    :param host: as given to :func:`argus_host_started`.
    """


@hookspec
def argus_event(event: Event) -> None:
    """An event was published on the node's bus.

    Called by the node's event dispatcher thread for every event, in publication
    order. Must not block: hand slow work to a queue of your own.

    :param event: the event, with ``received_time`` set by the node.
    """
