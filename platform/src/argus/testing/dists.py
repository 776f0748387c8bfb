"""Real plugin distributions made on the fly, for tests of the kernel and of hosts.

A distribution here is what pip leaves on disk — a ``*.dist-info`` folder with
METADATA and entry_points.txt next to the module files — on a fresh
``sys.path`` entry, so importlib.metadata and stevedore find it exactly as they
find an installed plugin.
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DistFactory:
    """Makes distributions in ``root``, a directory the caller puts on ``sys.path``."""

    root: Path
    modules: list[str] = field(default_factory=list)

    @staticmethod
    def unique(prefix: str) -> str:
        """A module name no other test uses (sys.modules is process-wide)."""
        return f"{prefix}_{uuid.uuid4().hex[:8]}"

    def make(
        self,
        name: str,
        *,
        entry_points: Mapping[str, Mapping[str, str]],
        modules: Mapping[str, str],
        requires: tuple[str, ...] = ("argus-sdk>=1.0,<2",),
        version: str = "1.2.3",
    ) -> None:
        """Create distribution ``name`` with ``modules`` (name → source) and its entry points."""
        for module, source in modules.items():
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        meta += [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(meta) + "\n")
        eps = []
        for group, names in entry_points.items():
            eps.append(f"[{group}]")
            eps += [f"{n} = {target}" for n, target in names.items()]
        (info / "entry_points.txt").write_text("\n".join(eps) + "\n")
