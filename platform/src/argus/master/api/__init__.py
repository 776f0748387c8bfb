"""The master's HTTP API: :func:`create_app` over a :class:`argus.master.runtime.Master`."""

from argus.master.api.app import create_app

__all__ = ["create_app"]
