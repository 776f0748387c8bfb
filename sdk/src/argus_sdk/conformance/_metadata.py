"""The checks of metadata drivers: sources, records, errors and ``close()``."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from argus_sdk._drivers import MetadataDriver, MetadataSource
from argus_sdk._errors import InvalidRequest
from argus_sdk._media import MetadataRecord
from argus_sdk.conformance._camera import WALL_TIME_SLACK
from argus_sdk.conformance._device import DeviceUnderTest
from argus_sdk.conformance._failures import expect_error, healthy_read, require, sdk_call
from argus_sdk.conformance._resources import Snapshot, leaks_after

#: How many records of each source the record check reads (fewer if none come in time).
RECORDS = 3


def check_sources(driver: MetadataDriver) -> tuple[str, ...]:
    """``sources()`` names the text channels: a non-empty tuple of unique, non-empty names."""
    sources = sdk_call("sources()", driver.sources)
    require(
        isinstance(sources, tuple) and all(isinstance(s, str) for s in sources),
        f"sources() returned {sources!r}; it must be a tuple of names",
    )
    require(bool(sources), "sources() is empty: a metadata driver offers at least one source")
    require(all(s.strip() for s in sources), f"sources() has an empty name: {sources!r}")
    require(len(set(sources)) == len(sources), f"sources() repeats names: {sources!r}")
    expect_error(
        InvalidRequest,
        "open_source('argus-conformance-no-such-source')",
        lambda: driver.open_source("argus-conformance-no-such-source"),
        "for a source sources() does not name",
    )
    return sources


def check_records(device: DeviceUnderTest, driver: MetadataDriver, source: str) -> str:
    """Records of ``source`` are well-formed ``MetadataRecord``s with monotonic UTC times."""
    where = f"source {source!r}"
    opened: MetadataSource = sdk_call(
        f"open_source({source!r})", lambda: driver.open_source(source)
    )
    require(
        isinstance(opened, MetadataSource),
        f"open_source({source!r}) returned a {type(opened).__name__}, not a MetadataSource",
    )
    records: list[MetadataRecord] = []
    deadline = time.monotonic() + device.keyframe_timeout
    try:
        while len(records) < RECORDS and time.monotonic() < deadline:
            record = healthy_read(opened, 0.5, where)
            if record is not None:
                _check_record(record, source, device, where)
                records.append(record)
    finally:
        opened.close()
        opened.close()
    require(bool(records), f"{where}: no record within {device.keyframe_timeout:g} s")
    for prev, cur in itertools.pairwise(records):
        require(
            cur.wall_time >= prev.wall_time,
            f"{where}: wall_time went back from {prev.wall_time} to {cur.wall_time}",
        )
    return f"{where}: {len(records)} record(s) well-formed"


def _check_record(record: Any, source: str, device: DeviceUnderTest, where: str) -> None:
    require(
        isinstance(record, MetadataRecord),
        f"{where}: read() returned a {type(record).__name__}, not a MetadataRecord",
    )
    require(record.source == source, f"{where}: a record names source {record.source!r}")
    require(isinstance(record.text, str), f"{where}: record.text is not a str")
    require(
        isinstance(record.tags, tuple) and all(isinstance(t, str) for t in record.tags),
        f"{where}: record.tags is {record.tags!r}; a tuple of str",
    )
    require(
        all(isinstance(k, str) and isinstance(v, str) for k, v in record.data.items()),
        f"{where}: record.data is {record.data!r}; str keys and str values",
    )
    now = device.clock.now()
    require(
        abs(record.wall_time - now) < WALL_TIME_SLACK,
        f"{where}: wall_time {record.wall_time} is not UTC seconds near the clock's {now}",
    )


def check_metadata_close(device: DeviceUnderTest, folder: Path) -> str:
    """``close()`` ends every thread and file the driver made, with a source left open."""

    def cycle() -> None:
        driver: MetadataDriver = device.open(folder)
        try:
            for source in check_sources(driver):
                driver.open_source(source)
        finally:
            sdk_call("close()", driver.close)
        sdk_call("close() a second time", driver.close)

    cycle()
    before = Snapshot.take()
    cycle()
    leaks = leaks_after(before, device.close_grace)
    require(not leaks, "still open after close():\n  " + "\n  ".join(leaks))
    return "everything released by close()"
