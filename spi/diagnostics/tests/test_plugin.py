"""The Diagnostics plugin loads through the kernel and declares assets that exist."""

from __future__ import annotations

from importlib import resources

from argus.kernel import Kernel, PluginStatus
from argus.web.plugins import collect, listing


def test_the_kernel_loads_it_as_a_spotter_plugin() -> None:
    kernel = Kernel(enabled={"diagnostics"})
    kernel.load()
    record = kernel.plugin("diagnostics")
    assert record.status is PluginStatus.LOADED and record.kinds == ["spi"]
    [listed] = listing(collect(kernel))
    assert listed.title == "Diagnostics"
    assert listed.module == f"/spotter/plugins/diagnostics/{record.version}/diagnostics.js"
    assert listed.styles == [f"/spotter/plugins/diagnostics/{record.version}/diagnostics.css"]


def test_the_module_uses_only_the_plugin_api() -> None:
    source = (resources.files("argus_spi_diagnostics") / "static" / "diagnostics.js").read_text()
    assert "export function activate(spotter)" in source
    # No reaching into Spotter's own modules or storage: the plugin API is the contract.
    for private in ("import ", "sessionStorage", "localStorage", "document.querySelector("):
        assert private not in source, private
