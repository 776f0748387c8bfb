"""Constants of the RTSP driver: names, codecs, FFmpeg options and internal limits."""

from __future__ import annotations

from typing import Final, Literal

DRIVER: Final = "rtsp"
VENDOR: Final = "Generic"
MODEL: Final = "RTSP camera"
CHANNEL_NAME: Final = "Video"

MAIN: Final = "main"
SUB: Final = "sub"

Transport = Literal["tcp", "udp"]
#: Who reads the stream: Argus's own RTSP/RTP reader, or FFmpeg's demuxer through PyAV.
Engine = Literal["native", "ffmpeg"]

SCHEMES: Final = ("rtsp", "rtsps")
#: Where a URL without a port connects (RFC 2326 and FFmpeg's rtsps default).
DEFAULT_PORTS: Final[dict[str, int]] = {"rtsp": 554, "rtsps": 322}

VIDEO_CODECS: Final = frozenset({"h264", "hevc"})
AUDIO_CODECS: Final = frozenset({"aac", "pcm_alaw", "pcm_mulaw"})

#: Probing only what the SDP announces opens a stream in ~0.14 s instead of
#: ~1.5 s, and keeps every codec parameter the SDP carries (SPS/PPS/VPS, the
#: AudioSpecificConfig, sample rate and channels); ``test_connection`` checks it.
PROBE_OPTIONS: Final[dict[str, str]] = {"analyzeduration": "0", "probesize": "32768"}

#: Packets buffered between the reader thread and :meth:`read` (a few seconds of
#: 1080p video with audio). When full the reader waits, and so does the camera.
MAILBOX_PACKETS: Final = 256
#: Longest a reader thread waits on a full mailbox before looking at ``close``.
READER_NAP: Final = 0.2
#: How long :meth:`close` waits for the reader thread after cutting its socket.
CLOSE_GRACE: Final = 2.0

#: A timestamp step that runs ahead of the host clock by more than this (or goes
#: back) is a discontinuity: the track is re-based to continue where it was.
MAX_TIMESTAMP_LEAD: Final = 2.0
#: Most video packets read while waiting for the first keyframe at open, when
#: the SDP lacks the parameter sets or the picture size.
MAX_PREROLL_PACKETS: Final = 500
