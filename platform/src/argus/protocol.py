"""What crosses between master, nodes and clients: one pydantic model per message.

Versioned with the platform (``PROTOCOL_VERSION``); the master, the nodes and the
CLI all import these models and nothing else of each other.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1


class Right(enum.StrEnum):
    """What a user may do with a camera (``administer`` applies to the whole system)."""

    LIVE = "live"
    PLAYBACK = "playback"
    EXPORT = "export"
    PTZ = "ptz"
    IO = "io"
    ACKNOWLEDGE_ALARMS = "acknowledge_alarms"
    ADMINISTER = "administer"


class TokenClaims(BaseModel):
    """The claims of an access token the master signs for one node.

    A client gets one token per node it may use; the node verifies the signature
    with the master's public key and enforces ``rights`` without calling the master.

    :param aud: ``argus-node:<node id>`` — a token is valid on that node only.
    :param rights: camera id → rights on that camera, for this node's cameras only.
    """

    model_config = ConfigDict(frozen=True)

    iss: str = Field(description="The master's id.")
    sub: str = Field(description="User id.")
    name: str = Field(description="User name, for the node's audit reports.")
    aud: str
    iat: int
    exp: int
    jti: str = Field(description="Token id, for audit correlation.")
    rights: dict[str, list[Right]] = Field(default_factory=dict)
    admin: bool = Field(False, description="The user may administer the system.")

    def may(self, camera: str, right: Right) -> bool:
        return self.admin or right in self.rights.get(camera, ())


def node_audience(node_id: str) -> str:
    return f"argus-node:{node_id}"
