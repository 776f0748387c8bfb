"""Uses of video the node reports for the master's audit trail (``argus.audit.*`` events)."""

from __future__ import annotations

from argus.node.api.auth import Caller
from argus.node.runtime import Node
from argus_sdk import Event, EventPhase, EventSource


def audit(node: Node, caller: Caller, action: str, **data: object) -> None:
    """Report a use of recorded or live video; the master collects these into its audit trail."""
    node.events.publish(
        Event(
            f"argus.audit.{action}",
            EventSource("user", caller.name),
            EventPhase.PULSE,
            {**data, "token": caller.token_id},
            device_time=node.clock.now(),
        )
    )
