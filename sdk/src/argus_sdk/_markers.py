"""The pluggy markers of the Argus project. Plugins decorate their hooks with :data:`hookimpl`."""

from __future__ import annotations

import pluggy

PROJECT = "argus"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
