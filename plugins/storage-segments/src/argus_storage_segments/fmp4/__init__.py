"""Fragmented MP4 (ISO BMFF) writing and scanning, for segment files and streaming.

A file is an init segment (``ftyp`` + ``moov``) followed by one ``moof`` +
``mdat`` pair per GOP. Each track's ``tfdt`` is the wall-clock time of its
first sample in the track's timescale, so every file states when it was
recorded and the index can be rebuilt from the files alone.
"""
