"""pytest plugin: in CI, a skipped test fails.

A test skips when its real peer (an RTSP server, PostgreSQL, Chromium) is
missing. On a developer's machine that is a convenience; in CI it would hide
that nothing was tested, so with ``CI`` set to a true value every skip is
turned into a failure naming the reason. Loaded by the Makefile with
``-p argus.testing.strict``.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if _in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every real component must be present: {reason}"
    return report
