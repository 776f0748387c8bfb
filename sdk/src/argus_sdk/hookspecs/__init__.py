"""Hook specifications: the calls the host makes into plugins, one module per plugin kind.

Each plugin registers under one or more entry-point groups; the group says
which kind(s) it is, and the kind says which hooks it must implement at least
one of. Every plugin may also implement the hooks in :mod:`.system`.

All hooks are *fan-out* unless marked ``firstresult``: the host calls every
implementation through the kernel's guarded path and collects the non-``None``
results, so one failing plugin never stops the others.
"""

from __future__ import annotations

from types import ModuleType

from argus_sdk.hookspecs import analytics, camera, encoder, metadata, spi, storage, system

#: Entry-point group → (kind name, hookspec module). The kernel, the docs and
#: ``argus plugins list`` all read this one table.
KINDS: dict[str, tuple[str, ModuleType]] = {
    "argus.camera_drivers": ("camera-driver", camera),
    "argus.encoder_drivers": ("encoder-driver", encoder),
    "argus.metadata_drivers": ("metadata-driver", metadata),
    "argus.storage": ("storage", storage),
    "argus.analytics": ("analytics", analytics),
    "argus.spi": ("spi", spi),
    "argus.system": ("system", system),
}

MODULES: tuple[ModuleType, ...] = (camera, encoder, metadata, storage, analytics, spi, system)

__all__ = ["KINDS", "MODULES"]
