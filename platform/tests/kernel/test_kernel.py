"""The kernel loads good plugins and quarantines bad ones without falling over."""

from __future__ import annotations

import logging

import pytest

from argus.kernel import TRACE_ENV, Kernel, PluginStatus
from argus.testing import DistFactory

CAMERA = "argus.camera_drivers"

GOOD = """
from argus_sdk import hookimpl

@hookimpl
def argus_camera_drivers():
    return ["{name}-driver"]
"""


def good(dists: DistFactory, name: str, group: str = CAMERA) -> None:
    module = DistFactory.unique(name)
    dists.make(
        f"argus-driver-{name}",
        entry_points={group: {name: module}},
        modules={module: GOOD.format(name=name)},
    )


def loaded_kernel(**kwargs: object) -> Kernel:
    kernel = Kernel(**kwargs)  # type: ignore[arg-type]
    kernel.load()
    return kernel


def test_good_plugin_is_loaded_with_its_metadata(dists: DistFactory) -> None:
    good(dists, "alpha")
    record = loaded_kernel().plugin("alpha")
    assert record.status is PluginStatus.LOADED
    assert record.kinds == ["camera-driver"]
    assert (record.distribution, record.version) == ("argus-driver-alpha", "1.2.3")
    assert record.requires_sdk == "<2,>=1.0"


def test_builtin_goes_through_the_same_loader() -> None:
    record = loaded_kernel().plugin("eventlog")
    assert (record.status, record.distribution, record.kinds) == (
        PluginStatus.LOADED,
        "argus",
        ["system"],
    )


def test_plugin_raising_at_import_is_quarantined_and_others_load(dists: DistFactory) -> None:
    good(dists, "alpha")
    module = DistFactory.unique("broken")
    dists.make(
        "argus-driver-broken",
        entry_points={CAMERA: {"broken": module}},
        modules={module: "raise RuntimeError('vendor library missing')\n"},
    )
    kernel = loaded_kernel(enabled={"alpha", "broken"})
    broken = kernel.plugin("broken")
    assert broken.status is PluginStatus.QUARANTINED
    assert broken.reason == "import failed: RuntimeError: vendor library missing"
    assert "Traceback" in broken.detail
    assert kernel.plugin("alpha").status is PluginStatus.LOADED
    assert [r.value for r in kernel.collect("argus_camera_drivers")] == ["alpha-driver"]


def test_misspelled_hookimpl_is_quarantined_with_a_hint(dists: DistFactory) -> None:
    module = DistFactory.unique("typo")
    dists.make(
        "argus-driver-typo",
        entry_points={CAMERA: {"typo": module}},
        modules={module: GOOD.replace("argus_camera_drivers", "argus_camera_driver")},
    )
    kernel = loaded_kernel()
    record = kernel.plugin("typo")
    assert record.status is PluginStatus.QUARANTINED
    assert record.reason == (
        "argus_camera_driver is not an Argus hook; did you mean argus_camera_drivers?"
    )
    kernel.pm.check_pending()  # nothing unspecified is left registered


def test_hookimpl_with_wrong_arguments_is_quarantined(dists: DistFactory) -> None:
    module = DistFactory.unique("args")
    source = "from argus_sdk import hookimpl\n\n@hookimpl\ndef argus_event(evnt):\n    pass\n"
    dists.make(
        "argus-observer", entry_points={"argus.system": {"args": module}}, modules={module: source}
    )
    record = loaded_kernel().plugin("args")
    assert record.status is PluginStatus.QUARANTINED
    assert record.reason == "hooks do not match the Argus specifications"
    assert "evnt" in record.detail


@pytest.mark.parametrize(
    ("requires", "reason"),
    [
        (("argus-sdk<1.0",), "requires argus-sdk<1.0 but this platform provides API 1.0.0"),
        (("argus-sdk>=2",), "requires argus-sdk>=2 but this platform provides API 1.0.0"),
        (("numpy",), "declares no argus-sdk requirement"),
    ],
)
def test_incompatible_plugin_is_quarantined_without_being_imported(
    dists: DistFactory, requires: tuple[str, ...], reason: str
) -> None:
    module = DistFactory.unique("old")
    dists.make(
        "argus-driver-old",
        entry_points={CAMERA: {"old": module}},
        # Importing this module would quarantine it for another reason.
        modules={module: "raise AssertionError('imported an incompatible plugin')\n"},
        requires=requires,
    )
    good(dists, "alpha")
    kernel = Kernel(api_version="1.0.0")
    kernel.load()
    record = kernel.plugin("old")
    assert record.status is PluginStatus.QUARANTINED
    assert record.reason.startswith(reason)
    assert kernel.plugin("alpha").status is PluginStatus.LOADED


def test_sdk_requirement_of_an_extra_is_ignored(dists: DistFactory) -> None:
    module = DistFactory.unique("extra")
    dists.make(
        "argus-driver-extra",
        entry_points={CAMERA: {"extra": module}},
        modules={module: GOOD.format(name="extra")},
        requires=('argus-sdk<1 ; extra == "legacy"', "argus-sdk>=1.0"),
    )
    assert loaded_kernel().plugin("extra").status is PluginStatus.LOADED


def test_only_enabled_plugins_are_imported(dists: DistFactory) -> None:
    good(dists, "alpha")
    module = DistFactory.unique("off")
    dists.make(
        "argus-driver-off",
        entry_points={CAMERA: {"off": module}},
        modules={module: "raise AssertionError('imported a disabled plugin')\n"},
    )
    kernel = loaded_kernel(enabled={"alpha"})
    assert kernel.plugin("off").status is PluginStatus.DISABLED
    assert kernel.plugin("alpha").status is PluginStatus.LOADED


def test_plugin_claiming_a_kind_without_its_hooks_is_quarantined(dists: DistFactory) -> None:
    module = DistFactory.unique("nostore")
    dists.make(
        "argus-storage-nostore",
        entry_points={"argus.storage": {"nostore": module}},
        modules={module: GOOD.format(name="nostore")},
    )
    record = loaded_kernel().plugin("nostore")
    assert record.status is PluginStatus.QUARANTINED
    assert record.reason.startswith("registered as storage (entry point group argus.storage)")


def test_one_plugin_with_two_kinds(dists: DistFactory) -> None:
    module = DistFactory.unique("dual")
    source = GOOD.format(name="dual") + (
        "\n@hookimpl\ndef argus_encoder_drivers():\n    return ['dual-encoder']\n"
    )
    dists.make(
        "argus-driver-dual",
        entry_points={CAMERA: {"dual": module}, "argus.encoder_drivers": {"dual": module}},
        modules={module: source},
    )
    kernel = loaded_kernel(enabled={"dual"})
    assert kernel.plugin("dual").kinds == ["camera-driver", "encoder-driver"]
    assert [r.value for r in kernel.collect("argus_encoder_drivers")] == ["dual-encoder"]


def test_same_name_from_two_distributions_is_refused(dists: DistFactory) -> None:
    good(dists, "twin")
    module = DistFactory.unique("twin2")
    dists.make(
        "argus-driver-twin-fork",
        entry_points={CAMERA: {"twin": module}},
        modules={module: GOOD.format(name="fork")},
    )
    record = loaded_kernel().plugin("twin")
    assert record.status is PluginStatus.QUARANTINED
    assert "is provided by both" in record.reason


RAISING = """
from argus_sdk import hookimpl

@hookimpl
def argus_camera_drivers():
    raise ValueError("driver table exploded")
"""


def test_raising_hookimpl_does_not_stop_the_others(dists: DistFactory) -> None:
    good(dists, "alpha")
    good(dists, "beta")
    module = DistFactory.unique("bad")
    dists.make(
        "argus-driver-bad", entry_points={CAMERA: {"bad": module}}, modules={module: RAISING}
    )
    kernel = loaded_kernel(max_failures=2, enabled={"alpha", "beta", "bad"})
    values = sorted(r.value for r in kernel.collect("argus_camera_drivers"))
    assert values == ["alpha-driver", "beta-driver"]
    bad = kernel.plugin("bad")
    assert (bad.status, bad.failures) == (PluginStatus.LOADED, 1)
    assert "driver table exploded" in bad.detail

    values = sorted(r.value for r in kernel.collect("argus_camera_drivers"))
    assert values == ["alpha-driver", "beta-driver"]
    assert bad.status is PluginStatus.QUARANTINED
    assert bad.reason == (
        "argus_camera_drivers failed 2 times in a row: ValueError: driver table exploded"
    )
    assert kernel.pm.get_plugin("bad") is None


def test_host_bugs_in_a_call_raise_loudly(dists: DistFactory) -> None:
    good(dists, "alpha")
    kernel = loaded_kernel()
    with pytest.raises(TypeError, match="takes"):
        kernel.call("argus_camera_discover")  # missing argument: a bug in the host
    with pytest.raises(AttributeError):
        kernel.call("argus_no_such_hook")


def test_tracing_is_switched_on_by_the_environment(
    dists: DistFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    good(dists, "alpha")
    monkeypatch.setenv(TRACE_ENV, "1")
    kernel = loaded_kernel()
    with caplog.at_level(logging.DEBUG, logger="argus.kernel.trace"):
        kernel.collect("argus_camera_drivers")
    traced = [r.getMessage() for r in caplog.records if r.name == "argus.kernel.trace"]
    assert any(m.startswith("argus_camera_drivers [alpha]") for m in traced)
    logging.getLogger("argus.kernel.trace").setLevel(logging.NOTSET)


def test_plugin_exiting_at_import_does_not_take_the_host_down(dists: DistFactory) -> None:
    good(dists, "alpha")
    module = DistFactory.unique("exiting")
    dists.make(
        "argus-driver-exiting",
        entry_points={CAMERA: {"exiting": module}},
        modules={module: "import sys\nsys.exit(3)\n"},
    )
    kernel = loaded_kernel(enabled={"alpha", "exiting"})
    record = kernel.plugin("exiting")
    assert record.status is PluginStatus.QUARANTINED
    assert record.reason == "import failed: SystemExit: 3"
    assert kernel.plugin("alpha").status is PluginStatus.LOADED
