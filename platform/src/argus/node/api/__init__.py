"""The node's HTTP API."""

from argus.node.api.app import create_app
from argus.node.api.auth import Caller, NodeAuth, load_or_create_token

__all__ = ["Caller", "NodeAuth", "create_app", "load_or_create_token"]
