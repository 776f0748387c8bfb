"""The native engine: Argus's own RTSP/RTP reader for TCP-interleaved sessions.

It does per packet only what recording needs (cut the interleaved frame, read
the RTP header, reassemble the access unit) on the recorder's own thread, and
gives the same descriptions and packets as the ffmpeg engine.
"""
