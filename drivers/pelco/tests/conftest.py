"""Shared fixtures: pty pairs standing in for RS-485 buses, emulated domes, devices.

Every pty, emulator thread and device a test makes is closed at teardown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from argus_driver_pelco.device import PelcoDevice, open_device
from argus_driver_pelco.emulator import Emulator, FdLink
from argus_driver_pelco.protocol import Protocol
from argus_driver_pelco.settings import PelcoSettings
from argus_driver_pelco.testing import Pty, open_pty
from argus_sdk import Event, PluginContext


@pytest.fixture
def make_pty() -> Iterator[Callable[[], Pty]]:
    made: list[Pty] = []

    def make() -> Pty:
        pty = open_pty()
        made.append(pty)
        return pty

    yield make
    for pty in made:
        pty.close()


@pytest.fixture
def pty(make_pty: Callable[[], Pty]) -> Pty:
    return make_pty()


MakeEmulator = Callable[..., Emulator]


@pytest.fixture
def make_emulator() -> Iterator[MakeEmulator]:
    running: list[Emulator] = []

    def make(
        pty: Pty, protocol: Protocol = Protocol.D, addresses: tuple[int, ...] = (1,), **kwargs: Any
    ) -> Emulator:
        emulator = Emulator(protocol, addresses, **kwargs)
        emulator.serve(FdLink(pty.master))
        running.append(emulator)
        return emulator

    yield make
    for emulator in running:
        emulator.stop()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def context(events: list[Event], tmp_path: Path) -> PluginContext:
    return PluginContext(
        owner="dome-dev",
        publish=events.append,
        cache_dir=tmp_path / "cache",
        data_dir=tmp_path / "data",
        log=logging.getLogger("argus.plugin.pelco.test"),
    )


MakeDevice = Callable[..., PelcoDevice]


@pytest.fixture
def make_device(context: PluginContext) -> Iterator[MakeDevice]:
    opened: list[PelcoDevice] = []

    def make(port: str, **fields: Any) -> PelcoDevice:
        device = open_device(PelcoSettings(port=port, **fields), context)
        opened.append(device)
        return device

    yield make
    for device in opened:
        device.close()
