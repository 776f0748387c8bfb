"""The node's HTTP API."""

from argus.node.api.app import create_app
from argus.node.api.auth import TokenAuth, load_or_create_token

__all__ = ["TokenAuth", "create_app", "load_or_create_token"]
