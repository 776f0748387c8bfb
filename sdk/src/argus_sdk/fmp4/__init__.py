"""Fragmented MP4 (ISO BMFF) muxing and scanning, for storage backends and live streaming.

A file or stream is an init segment (``ftyp`` + ``moov``) followed by
``moof`` + ``mdat`` fragments: one per GOP for recordings, one per frame for
live view (:class:`Muxer` ``per_frame``). Each track's ``tfdt`` is the
wall-clock time of its first sample in the track's timescale, so every
recording states when it was made. Pure Python; H.264, H.265, AAC, G.711.
"""

from argus_sdk.fmp4.codecs import UnsupportedCodec
from argus_sdk.fmp4.mux import Fragment, Muxer
from argus_sdk.fmp4.scan import CorruptSegment, ScannedFile, ScannedFragment, rebase, scan

__all__ = [
    "CorruptSegment",
    "Fragment",
    "Muxer",
    "ScannedFile",
    "ScannedFragment",
    "UnsupportedCodec",
    "rebase",
    "scan",
]
