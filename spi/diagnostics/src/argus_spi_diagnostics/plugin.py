"""The Diagnostics plugin's declaration (entry-point group ``argus.spi``)."""

from __future__ import annotations

from argus_sdk import SpotterPlugin, hookimpl


@hookimpl
def argus_spotter_plugins() -> list[SpotterPlugin]:
    return [
        SpotterPlugin(
            name="diagnostics",
            title="Diagnostics",
            package="argus_spi_diagnostics",
            module="static/diagnostics.js",
            styles=("static/diagnostics.css",),
        )
    ]
