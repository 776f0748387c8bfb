"""How a check reports: one exception whose message tells the developer what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, Protocol, TypeVar

from argus_sdk._errors import ArgusError, DeviceUnavailable

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class ConformanceFailure(AssertionError):
    """A driver broke the contract; the message says what, where, and what was expected."""


def fail(message: str) -> NoReturn:
    raise ConformanceFailure(message)


def require(condition: bool, message: str) -> None:
    if not condition:
        fail(message)


def expect_error(
    error: type[ArgusError], what: str, call: Callable[[], Any], why: str
) -> ArgusError:
    """Run ``call``, which must raise ``error``; fail saying what it did instead."""
    try:
        result = call()
    except error as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - reported to the developer, with its type
        fail(f"{what} raised {type(exc).__name__}({exc}); it must raise {error.__name__} {why}")
    fail(f"{what} returned {result!r}; it must raise {error.__name__} {why}")


def sdk_call(what: str, call: Callable[[], T]) -> T:
    """Run ``call``; an exception that is not the SDK's vocabulary fails naming it."""
    try:
        return call()
    except ArgusError as exc:
        fail(f"{what} raised {type(exc).__name__}({exc}) on a device that should accept it")
    except Exception as exc:  # noqa: BLE001 - reported to the developer, with its type
        fail(
            f"{what} raised {type(exc).__name__}({exc}): a driver translates every failure "
            "into the SDK's errors (DeviceUnavailable, Unsupported, InvalidRequest …)"
        )


class _Readable(Protocol[T_co]):
    def read(self, timeout: float, /) -> T_co: ...


def healthy_read(source: _Readable[T], timeout: float, where: str) -> T:
    """``source.read(timeout)`` on a healthy device: any exception fails naming it."""
    try:
        return source.read(timeout)
    except DeviceUnavailable as exc:
        fail(f"{where}: read() raised DeviceUnavailable({exc}) on a healthy device")
    except Exception as exc:  # noqa: BLE001 - reported to the developer, with its type
        fail(f"{where}: read() raised {type(exc).__name__}({exc})")
