from __future__ import annotations

import threading

import pytest

from argus_driver_sim.loopback import MAX_BUFFERED, SerialPorts
from argus_sdk import DeviceUnavailable, InvalidRequest


def test_written_bytes_are_read_back_in_order_and_in_pieces() -> None:
    port = SerialPorts(["a"]).open("a")
    port.write(b"hello ")
    port.write(b"world")
    assert port.read(4, 0.1) == b"hell"
    assert port.read(100, 0.1) == b"o world"
    assert port.read(100, 0.01) == b""


def test_read_waits_for_a_write_from_another_thread() -> None:
    port = SerialPorts(["a"]).open("a")
    timer = threading.Timer(0.05, port.write, args=(b"late",))
    timer.start()
    assert port.read(10, 5.0) == b"late"
    timer.join()


def test_a_port_opens_once_at_a_time() -> None:
    ports = SerialPorts(["a", "b"])
    first = ports.open("a")
    with pytest.raises(DeviceUnavailable, match="already open"):
        ports.open("a")
    ports.open("b")
    first.close()
    first.close()
    with pytest.raises(DeviceUnavailable):
        first.read(1, 0.0)
    ports.open("a").write(b"ok")


def test_unknown_port_and_overrun() -> None:
    ports = SerialPorts(["a"])
    with pytest.raises(InvalidRequest):
        ports.open("z")
    port = ports.open("a")
    port.write(b"x" * MAX_BUFFERED)
    with pytest.raises(DeviceUnavailable, match="overrun"):
        port.write(b"x")
