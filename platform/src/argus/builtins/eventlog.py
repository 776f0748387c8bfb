"""Built-in ``eventlog`` plugin: writes every event on the node's bus to the log.

Logger ``argus.events``; one line per event with its topic, phase, source and data.
"""

from __future__ import annotations

import logging

from argus_sdk import Event, HostInfo, hookimpl

log = logging.getLogger("argus.events")


@hookimpl
def argus_host_started(host: HostInfo) -> None:
    log.info(
        "%s %s started: argus %s, platform API %s, data in %s",
        host.role,
        host.node_id,
        host.platform_version,
        host.api_version,
        host.data_dir,
    )


@hookimpl
def argus_event(event: Event) -> None:
    data = " ".join(f"{k}={v}" for k, v in event.data.items())
    log.info(
        "%s %s %s:%s %s%s",
        event.topic,
        event.phase.value,
        event.source.kind,
        event.source.id,
        data,
        " (state sync)" if event.state_sync else "",
    )


@hookimpl
def argus_host_stopping(host: HostInfo) -> None:
    log.info("%s %s stopping", host.role, host.node_id)
