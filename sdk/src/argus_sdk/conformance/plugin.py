"""The conformance kit's pytest plugin, registered through the ``pytest11`` entry point.

It is loaded by every pytest run in an environment where ``argus-sdk`` is installed and
adds only: the ``argus_conformance`` marker, the options naming a driver and a device
(``--argus-driver``, ``--argus-settings``, or the ini keys ``argus_driver`` and
``argus_settings``), a default ``argus_device`` fixture made from them, the
``argus_note`` fixture, and a summary of the conformance checks at the end of the run.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from argus_sdk.conformance._device import DeviceUnderTest, KitConfigurationError

_KEY = "argus_conformance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("argus", "Argus driver conformance kit")
    group.addoption(
        "--argus-driver",
        default=None,
        metavar="NAME",
        help="driver type to check: its declared name (an installed entry point) or "
        "module:attribute (overrides the ini key argus_driver)",
    )
    group.addoption(
        "--argus-settings",
        default=None,
        metavar="JSON",
        help="the device settings as a JSON object (overrides the ini key argus_settings)",
    )
    parser.addini("argus_driver", "driver type the conformance kit checks", default="")
    parser.addini("argus_settings", "device settings (JSON object) for the kit", default="{}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{_KEY}: a check of the Argus driver conformance kit (argus_sdk.conformance)"
    )


@pytest.fixture
def argus_device(request: pytest.FixtureRequest) -> DeviceUnderTest:
    """The device under test, from ``--argus-driver``/``--argus-settings`` or the ini keys.

    Override it in your ``conftest.py`` to give a device the options cannot describe
    (settings made at run time, a ``drop`` hook, a ``ManualClock``).
    """
    config = request.config
    driver = config.getoption("argus_driver") or config.getini("argus_driver")
    raw = config.getoption("argus_settings") or config.getini("argus_settings") or "{}"
    if not driver:
        raise KitConfigurationError(
            "the conformance kit does not know which driver to check: define a fixture "
            "argus_device returning DeviceUnderTest(driver=…, settings=…) in conftest.py, "
            "or run pytest --argus-driver NAME --argus-settings '{…}'"
        )
    try:
        settings = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise KitConfigurationError(f"argus_settings is not JSON: {exc}") from exc
    if not isinstance(settings, dict):
        raise KitConfigurationError("argus_settings must be a JSON object")
    return DeviceUnderTest(driver=str(driver), settings=settings)


@pytest.fixture
def argus_note(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Records what a check saw, for the summary at the end of the run."""
    return lambda text: request.node.user_properties.append((_KEY, text))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and not report.passed):
        return
    if _KEY not in report.keywords:
        return
    notes = [str(v) for k, v in report.user_properties if k == _KEY]
    if report.failed or report.skipped:
        text = report.longreprtext.strip()
        if report.skipped and isinstance(report.longrepr, tuple):
            text = str(report.longrepr[2])
        notes += [line for line in text.splitlines() if line.strip()][:4]
    _collected.append((report.nodeid, report.outcome, notes))


_collected: list[tuple[str, str, list[str]]] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _collected:
        return
    tr = terminalreporter
    tr.section("Argus conformance")
    for nodeid, outcome, notes in _collected:
        tr.write_line(f"{outcome.upper():<8} {nodeid}")
        for note in notes:
            tr.write_line(f"         {note}")
    passed = sum(1 for _, o, _ in _collected if o == "passed")
    tr.write_line(f"{passed} of {len(_collected)} conformance checks passed")
    _collected.clear()
