"""GStreamer's RTSP test camera (``argus.testing.rtsp_server``) with one more mount,
``/h264-bframes``: H.264 main profile with two B-frames between references.

Run like ``rtsp_server.py``, with Debian's ``/usr/bin/python3`` and the folder of
``rtsp_server.py`` in ``ARGUS_RTSP_SERVER_DIR``; the test that needs it points
:data:`argus.testing.rtsp.SERVER_SCRIPT` here.
"""

from __future__ import annotations

import os
import sys

BFRAMES = (
    "videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=25/1"
    " ! clockoverlay ! videoconvert ! x264enc speed-preset=ultrafast bframes=2 b-adapt=false"
    " key-int-max=50 bitrate=1000 ! video/x-h264,profile=main"
    " ! rtph264pay name=pay0 pt=96 config-interval=1"
)

if __name__ == "__main__":
    sys.path.insert(0, os.environ["ARGUS_RTSP_SERVER_DIR"])
    import rtsp_server  # type: ignore[import-not-found]

    rtsp_server.MOUNTS["/h264-bframes"] = BFRAMES
    sys.exit(rtsp_server.main(sys.argv[1:]))
