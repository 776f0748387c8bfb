"""What Spotter loads at start: the enabled Spotter plugins (.spi) and their asset URLs."""

from __future__ import annotations

from fastapi import APIRouter

from argus.master.api.auth import Running, Who
from argus.web.plugins import SpiOut, listing

router = APIRouter(tags=["spotter"])


@router.get("/spotter/plugins", response_model=list[SpiOut])
def spotter_plugins(master: Running, caller: Who) -> list[SpiOut]:
    """The Spotter plugins to load, each at a URL of its version (any logged-in user)."""
    return listing(master.spotter_plugins)
