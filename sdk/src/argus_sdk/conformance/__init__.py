"""The driver conformance kit: the standard checks every Argus driver must pass.

Shipped with the SDK as a pytest plugin (entry point ``pytest11``: ``argus_conformance``),
so it is active wherever ``argus-sdk`` and pytest are installed. Point it at a driver and
a device, and subclass a suite in a test module::

    # tests/conftest.py
    import pytest
    from argus_sdk.conformance import DeviceUnderTest

    @pytest.fixture
    def argus_device() -> DeviceUnderTest:
        return DeviceUnderTest(driver="acme", settings={"host": "10.0.0.5"})

    # tests/test_conformance.py
    from argus_sdk.conformance import CameraDriverConformance

    class TestConformance(CameraDriverConformance):
        pass

Each check is one test item; its failure says what the driver did and what the contract
wants. See ``docs/sdk/conformance.md``. Importing this package needs pytest; PyAV is
optional (the codec check says when it is missing).
"""

from __future__ import annotations

from argus_sdk.conformance._device import (
    DeviceUnderTest,
    KitConfigurationError,
    declared_driver_types,
    resolve_driver,
)
from argus_sdk.conformance._failures import ConformanceFailure
from argus_sdk.conformance._resources import Snapshot, leaks_after
from argus_sdk.conformance._suites import CameraDriverConformance, MetadataDriverConformance

__all__ = [
    "CameraDriverConformance",
    "ConformanceFailure",
    "DeviceUnderTest",
    "KitConfigurationError",
    "MetadataDriverConformance",
    "Snapshot",
    "declared_driver_types",
    "leaks_after",
    "resolve_driver",
]
