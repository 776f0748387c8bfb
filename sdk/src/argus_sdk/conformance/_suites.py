"""The conformance suites: subclass one in a test module and the checks become test items.

They need a fixture ``argus_device`` returning a :class:`DeviceUnderTest` (from the
developer's ``conftest.py``, or made by the kit's pytest plugin from the ``--argus-driver``
and ``--argus-settings`` options).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from argus_sdk.conformance import _camera, _metadata
from argus_sdk.conformance._device import DeviceUnderTest
from argus_sdk.conformance._failures import ConformanceFailure
from argus_sdk.conformance._streams import pyav_missing, streams_of

F = TypeVar("F", bound=Callable[..., None])
Note = Callable[[str], None]


def _check(func: F) -> F:
    """Marks a check and turns a ``ConformanceFailure`` into a failure without a traceback
    into the kit: the message says everything."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except ConformanceFailure as exc:
            message = str(exc)
        else:
            return
        check = (func.__doc__ or func.__name__).splitlines()[0]
        pytest.fail(f"{message}\n(check: {check})", pytrace=False)

    marked: F = pytest.mark.argus_conformance(run)
    return marked


class _DriverConformance:
    """What every driver suite checks first: the driver type; and the opened driver."""

    @pytest.fixture
    def argus_driver(self, argus_device: DeviceUnderTest, tmp_path: Path) -> Iterator[Any]:
        """The driver opened for the device, closed after the check."""
        driver = argus_device.open(tmp_path / "driver")
        try:
            yield driver
        finally:
            driver.close()

    @_check
    def test_driver_type_is_well_formed(
        self, argus_device: DeviceUnderTest, argus_note: Note
    ) -> None:
        """Driver type: a name, a title, and settings whose fields say what they are."""
        dtype = argus_device.driver_type()
        _camera.check_driver_type(dtype)
        argus_note(f"driver type {dtype.name!r} ({dtype.settings.__name__})")


class CameraDriverConformance(_DriverConformance):
    """The standard checks of a camera (or encoder) driver against one device."""

    @_check
    def test_discovery_is_well_formed(
        self, argus_device: DeviceUnderTest, argus_note: Note
    ) -> None:
        """Discovery (when offered): DiscoveredDevice items, within the timeout."""
        argus_note(_camera.check_discovery(argus_device.plugin_module()))

    @_check
    def test_describe_is_well_formed(self, argus_driver: Any, argus_note: Note) -> None:
        """describe(): vendor, model, channels 0…n-1 with streams, PTZ and I/O, stable."""
        desc = _camera.check_describe(argus_driver)
        argus_note(f"{desc.vendor} {desc.model}: {len(streams_of(desc))} stream(s)")

    @_check
    def test_each_stream_delivers_a_keyframe(
        self, argus_device: DeviceUnderTest, argus_driver: Any, argus_note: Note
    ) -> None:
        """Each declared stream opens and delivers a video keyframe first, within the bound."""
        for channel, name in streams_of(_camera.check_describe(argus_driver)):
            argus_note(_camera.check_stream_opens(argus_device, argus_driver, channel, name))

    @_check
    def test_timestamps_are_monotonic(
        self, argus_device: DeviceUnderTest, argus_driver: Any, argus_note: Note
    ) -> None:
        """Timestamps: dts increasing per track, pts ≥ dts, wall_time monotonic UTC."""
        for channel, name in streams_of(_camera.check_describe(argus_driver)):
            argus_note(_camera.check_timestamps(argus_device, argus_driver, channel, name))

    @_check
    def test_codec_parameters_decode(
        self, argus_device: DeviceUnderTest, argus_driver: Any, argus_note: Note
    ) -> None:
        """Codec parameters: present, as describe() says, and the first keyframe decodes."""
        reason = pyav_missing()
        if reason:
            pytest.skip(reason)
        desc = _camera.check_describe(argus_driver)
        for channel, name in streams_of(desc):
            argus_note(
                _camera.check_codec_parameters(argus_device, argus_driver, desc, channel, name)
            )

    @_check
    def test_disconnect_is_reported_and_reconnect_works(
        self, argus_device: DeviceUnderTest, argus_driver: Any, argus_note: Note
    ) -> None:
        """Disconnect: read() raises DeviceUnavailable, and reopening works again."""
        if argus_device.drop is None:
            pytest.skip(
                "give DeviceUnderTest(drop=…) a function that makes the device drop its "
                "connections (and restore=… if it does not come back by itself)"
            )
        desc = _camera.check_describe(argus_driver)
        streams = streams_of(desc)
        if not streams:  # a PTZ-only device: its commands tell the drop
            channel = next(c.index for c in desc.channels if c.ptz is not None)
            argus_note(_camera.check_disconnect_ptz(argus_device, argus_driver, channel))
            return
        channel, name = streams[0]
        argus_note(_camera.check_disconnect(argus_device, argus_driver, channel, name))

    @_check
    def test_ptz_matches_capabilities(self, argus_driver: Any, argus_note: Note) -> None:
        """PTZ: declared capabilities work, undeclared ones raise Unsupported."""
        argus_note(_camera.check_ptz(argus_driver, _camera.check_describe(argus_driver)))

    @_check
    def test_io_matches_ports(
        self, argus_device: DeviceUnderTest, argus_driver: Any, argus_note: Note
    ) -> None:
        """I/O: declared ports work and publish events; undeclared ones are refused."""
        desc = _camera.check_describe(argus_driver)
        argus_note(_camera.check_io(argus_device, argus_driver, desc))

    @_check
    def test_close_releases_threads_and_sockets(
        self, argus_device: DeviceUnderTest, tmp_path: Path, argus_note: Note
    ) -> None:
        """close(): every thread and socket released (within the grace period), idempotent."""
        argus_note(_camera.check_close(argus_device, tmp_path / "close"))


class MetadataDriverConformance(_DriverConformance):
    """The standard checks of a metadata driver against one device."""

    @_check
    def test_sources_are_well_formed(self, argus_driver: Any, argus_note: Note) -> None:
        """sources(): unique names; an unknown source raises InvalidRequest."""
        argus_note(f"sources {_metadata.check_sources(argus_driver)}")

    @_check
    def test_records_are_well_formed(
        self, argus_device: DeviceUnderTest, argus_driver: Any, argus_note: Note
    ) -> None:
        """Records: MetadataRecord of the source, str text/tags/data, monotonic UTC time."""
        for source in _metadata.check_sources(argus_driver):
            argus_note(_metadata.check_records(argus_device, argus_driver, source))

    @_check
    def test_close_releases_threads_and_sockets(
        self, argus_device: DeviceUnderTest, tmp_path: Path, argus_note: Note
    ) -> None:
        """close(): every thread and file released (within the grace period), idempotent."""
        argus_note(_metadata.check_metadata_close(argus_device, tmp_path / "close"))
