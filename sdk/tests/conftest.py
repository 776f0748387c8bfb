"""Shared fixtures of the SDK's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from argus_sdk.testing import dev_venv


@pytest.fixture(scope="session")
def fresh_venv() -> Callable[[Path], Path]:
    return dev_venv
