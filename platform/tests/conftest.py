"""Fixtures shared by platform tests."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus.testing import DistFactory


@pytest.fixture
def dists(tmp_path: Path) -> Iterator[DistFactory]:
    """A factory of distributions on a new sys.path entry, removed after the test."""
    root = tmp_path / f"site-{uuid.uuid4().hex[:8]}"
    root.mkdir()
    sys.path.insert(0, str(root))
    factory = DistFactory(root)
    try:
        yield factory
    finally:
        sys.path.remove(str(root))
        for module in factory.modules:
            sys.modules.pop(module, None)
