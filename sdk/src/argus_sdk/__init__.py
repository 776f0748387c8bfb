"""The Argus plugin SDK: everything a plugin imports, and nothing from ``argus``.

The public names are listed in ``__all__``; everything else is private and may
change without notice. ``API_VERSION`` is the platform API this SDK describes.
"""

from __future__ import annotations

from argus_sdk._analytics import Analyzer, AnalyzerType, FrameRequest, VideoFrame
from argus_sdk._clock import Clock, SystemClock
from argus_sdk._context import HostInfo, PluginContext
from argus_sdk._device import (
    AbsoluteMove,
    ChannelDescription,
    ClearPreset,
    ContinuousMove,
    DeviceDescription,
    DiscoveredDevice,
    GotoHome,
    GotoPreset,
    IoDirection,
    IoPort,
    LensMove,
    PtzCapabilities,
    PtzCommand,
    PtzPosition,
    PtzStatus,
    PtzStop,
    RelativeMove,
    SetPreset,
)
from argus_sdk._drivers import (
    CameraDriver,
    CameraDriverType,
    EncoderDriver,
    EncoderDriverType,
    MetadataDriver,
    MetadataDriverType,
    MetadataSource,
    SerialPort,
)
from argus_sdk._errors import (
    ArgusError,
    AuthenticationFailed,
    ConfigurationError,
    DeviceUnavailable,
    InvalidRequest,
    Unsupported,
)
from argus_sdk._events import Event, EventPhase, EventSource
from argus_sdk._markers import hookimpl, hookspec
from argus_sdk._media import (
    ChannelKind,
    MetadataRecord,
    PacketSource,
    StreamDescription,
    StreamPacket,
    StreamProfile,
    TimeRange,
    TrackDescription,
)
from argus_sdk._spi import SpotterPlugin
from argus_sdk._storage import (
    DiskStatus,
    FragmentReader,
    StorageBackend,
    StorageBackendType,
    StorageWriter,
    StreamKey,
)
from argus_sdk._version import __version__

API_VERSION: str = __version__
"""The platform API version; plugins declare a range with ``Requires-Dist: argus-sdk…``."""

__all__ = [
    "API_VERSION",
    "AbsoluteMove",
    "Analyzer",
    "AnalyzerType",
    "ArgusError",
    "AuthenticationFailed",
    "CameraDriver",
    "CameraDriverType",
    "ChannelDescription",
    "ChannelKind",
    "ClearPreset",
    "Clock",
    "ConfigurationError",
    "ContinuousMove",
    "DeviceDescription",
    "DeviceUnavailable",
    "DiscoveredDevice",
    "DiskStatus",
    "EncoderDriver",
    "EncoderDriverType",
    "Event",
    "EventPhase",
    "EventSource",
    "FragmentReader",
    "FrameRequest",
    "GotoHome",
    "GotoPreset",
    "HostInfo",
    "InvalidRequest",
    "IoDirection",
    "IoPort",
    "LensMove",
    "MetadataDriver",
    "MetadataDriverType",
    "MetadataRecord",
    "MetadataSource",
    "PacketSource",
    "PluginContext",
    "PtzCapabilities",
    "PtzCommand",
    "PtzPosition",
    "PtzStatus",
    "PtzStop",
    "RelativeMove",
    "SerialPort",
    "SetPreset",
    "SpotterPlugin",
    "StorageBackend",
    "StorageBackendType",
    "StorageWriter",
    "StreamDescription",
    "StreamKey",
    "StreamPacket",
    "StreamProfile",
    "SystemClock",
    "TimeRange",
    "TrackDescription",
    "Unsupported",
    "VideoFrame",
    "hookimpl",
    "hookspec",
]
