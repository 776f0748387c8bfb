"""The closed vocabularies stored in the master database.

Each is stored as its string value with a ``CHECK`` constraint
(:func:`argus.master.db.types.str_enum`): adding a member needs a migration
that widens the constraint. Rights are :class:`argus.protocol.Right`, the
vocabulary the tokens carry to nodes.
"""

from __future__ import annotations

import enum

from argus.protocol import Right

__all__ = [
    "ActorKind",
    "AuditResult",
    "NodeState",
    "Right",
    "RolloutNodeState",
    "RolloutState",
    "Scope",
    "WatchdogKind",
]


class Scope(enum.StrEnum):
    """What one line of a profile grants a right on."""

    ALL = "all"
    GROUP = "group"
    CAMERA = "camera"


class NodeState(enum.StrEnum):
    """Where a node is in its life with this master (whether it is online is its heartbeat)."""

    PENDING = "pending"  # created by an admin, its enrolment token not used yet
    ENROLLED = "enrolled"  # enrolled and accepted: receives configuration
    REFUSED = "refused"  # enrolled or heartbeating with a version the policy refuses
    DISABLED = "disabled"  # switched off by an admin; its heartbeats are refused


class ActorKind(enum.StrEnum):
    """Who did what an audit entry records."""

    USER = "user"
    NODE = "node"
    SYSTEM = "system"


class AuditResult(enum.StrEnum):
    OK = "ok"
    DENIED = "denied"  # refused for lack of rights or credentials
    FAILED = "failed"  # allowed, but it went wrong


class WatchdogKind(enum.StrEnum):
    """What a watchdog event is about."""

    NODE_OFFLINE = "node-offline"
    CAMERA_OFFLINE = "camera-offline"
    DISK_FAILED = "disk-failed"
    RECORDING_STOPPED = "recording-stopped"
    CLOCK_OFFSET = "clock-offset"


class RolloutState(enum.StrEnum):
    """Where a package rollout is."""

    RUNNING = "running"  # nodes of the current phase are installing
    HALTED = "halted"  # stopped: failures passed the threshold, or an admin halted it
    COMPLETED = "completed"  # every phase went through
    CANCELLED = "cancelled"  # an admin gave it up; nodes keep what they run


class RolloutNodeState(enum.StrEnum):
    """Where one node of a rollout is."""

    WAITING = "waiting"  # its phase has not come
    SENT = "sent"  # the master asks the node for the version; no result yet
    SUCCEEDED = "succeeded"  # installed, activated, health check passed
    FAILED = "failed"  # could not install; the previous version still runs
    ROLLED_BACK = "rolled-back"  # failed its health check; the previous version is back
    UNSUPPORTED = "unsupported"  # no variant fits the node (tags, platform API)
    PINNED = "pinned"  # the node is pinned to another version of the package
    SKIPPED = "skipped"  # never reached: the rollout halted or was cancelled first
