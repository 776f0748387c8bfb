"""Constants of the simulated driver: names, profiles, media parameters, event topics."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

CAMERA_DRIVER: Final = "sim"
ENCODER_DRIVER: Final = "sim-encoder"
VENDOR: Final = "Argus"
CAMERA_MODEL: Final = "Simulated camera"
ENCODER_MODEL: Final = "Simulated encoder"

CACHE_SUBDIR: Final = "sim"
#: Bumped whenever the picture, the sound, the encoder settings or the cache file
#: layout change: it is part of every cache key, so old files are simply not found.
CLIP_FORMAT_VERSION: Final = 1

ProfileName = Literal["1080p", "720p", "360p"]


@dataclass(frozen=True, slots=True)
class VideoProfile:
    """Picture size and target bit rate of one simulated stream profile."""

    width: int
    height: int
    bit_rate: int


PROFILES: Final[dict[str, VideoProfile]] = {
    "1080p": VideoProfile(1920, 1080, 4_000_000),
    "720p": VideoProfile(1280, 720, 2_000_000),
    "360p": VideoProfile(640, 360, 600_000),
}

#: Seconds between two IDR frames; clip lengths are whole multiples of it.
GOP_SECONDS: Final = 2
X264_PRESET: Final = "ultrafast"
VIDEO_TIME_BASE: Final = Fraction(1, 90_000)
VIDEO_CLOCK_RATE: Final = 90_000

AUDIO_SAMPLE_RATE: Final = 48_000
AUDIO_CHANNELS: Final = 1
AUDIO_BIT_RATE: Final = 64_000
AUDIO_FRAME_SAMPLES: Final = 1024
#: 375 AAC frames of 1024 samples are exactly 8 s at 48 kHz, so the beep
#: pattern loops without a fractional frame.
AUDIO_LOOP_FRAMES: Final = 375
AUDIO_BEEP_HZ: Final = 880.0
AUDIO_BEEP_SECONDS: Final = 0.1
AUDIO_BEEP_LEVEL: Final = 0.3

TOPIC_INPUT: Final = "argus.io.input"
TOPIC_OUTPUT: Final = "argus.io.output"

#: PTZ positions are rounded to these steps before a picture is rendered, so a
#: continuous move produces a bounded number of distinct clips.
PTZ_PAN_TILT_STEP: Final = 0.125
PTZ_ZOOM_STEP: Final = 0.125
#: Normalised units per second at velocity 1 (pan/tilt span 2, zoom spans 1).
PTZ_PAN_TILT_SPEED: Final = 0.5
PTZ_ZOOM_SPEED: Final = 0.25
PTZ_MAX_PRESETS: Final = 32
