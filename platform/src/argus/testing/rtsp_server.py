"""A real RTSP camera for tests: GStreamer's RTSP server on 127.0.0.1.

Run with Debian's ``/usr/bin/python3`` (it has ``gi``; the project's virtualenv
does not)::

    /usr/bin/python3 rtsp_server.py --port 8554 [--auth digest|basic]
        [--user argus] [--password secret]

Mounts (every video 640x360 at 25 fps with a burnt-in clock, one IDR every 2 s):

==============  ==============================================================
``/h264``       H.264 constrained baseline (x264, tune=zerolatency)
``/h264-aac``   H.264 + AAC-LC 16 kHz mono (RTP mpeg4-generic)
``/h264-pcma``  H.264 + G.711 A-law 8 kHz mono
``/h264-pcmu``  H.264 + G.711 µ-law 8 kHz mono
``/h265``       H.265 main (x265, tune=zerolatency)
``/h264-1080p`` H.264 high 1920x1080 25 fps 4 Mbit/s (for benchmarks)
``/auth-h264``  as ``/h264``, only for ``--user``/``--password``
==============  ==============================================================

Every factory is shared: all clients of a mount see one encoder, and each
encoder runs only while a client watches. Once the server listens it prints
``READY rtsp://127.0.0.1:<port>`` on stdout (``--port 0`` picks a free port and
reports it there). SIGTERM or SIGINT stops it cleanly with exit status 0.

Started and stopped by :mod:`argus.testing.rtsp`; this file imports nothing from
Argus so that it runs outside the project's virtualenv.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi  # type: ignore[import-not-found, unused-ignore]

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import (  # type: ignore[import-not-found, unused-ignore]  # noqa: E402
    GLib,
    Gst,
    GstRtsp,
    GstRtspServer,
)

READY = "READY"
HOST = "127.0.0.1"
AUTH_MOUNT = "/auth-h264"
AUTH_ROLE = "user"
ANONYMOUS_ROLE = "anonymous"

_RAW = "videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=25/1 ! clockoverlay"
H264 = (
    f"{_RAW} ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=50"
    " bitrate=1000 ! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1"
)
H265 = (
    f"{_RAW} ! videoconvert ! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=50"
    " bitrate=1000 ! video/x-h265,profile=main ! rtph265pay name=pay0 pt=96 config-interval=1"
)
# For benchmarks: a realistic 1080p25 camera at 4 Mbit/s (about 30 % of a core to encode,
# shared by all clients).
H264_1080 = (
    "videotestsrc is-live=true pattern=smpte horizontal-speed=3"
    " ! video/x-raw,width=1920,height=1080,framerate=25/1"
    " ! clockoverlay ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast"
    " key-int-max=50 bitrate=4000 ! video/x-h264,profile=high"
    " ! rtph264pay name=pay0 pt=96 config-interval=1"
)
_TONE = "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample"
AAC = (
    f"{_TONE} ! audio/x-raw,rate=16000,channels=1 ! avenc_aac bitrate=32000"
    " ! rtpmp4gpay name=pay1 pt=97"
)
PCMA = f"{_TONE} ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8"
PCMU = f"{_TONE} ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 pt=0"

MOUNTS: dict[str, str] = {
    "/h264": H264,
    "/h264-aac": f"{H264} {AAC}",
    "/h264-pcma": f"{H264} {PCMA}",
    "/h264-pcmu": f"{H264} {PCMU}",
    "/h265": H265,
    "/h264-1080p": H264_1080,
    AUTH_MOUNT: H264,
}


def _factory(launch: str, *, protected: bool) -> GstRtspServer.RTSPMediaFactory:
    """A shared factory; a ``protected`` one is constructed only for :data:`AUTH_ROLE`.

    Anonymous clients may still *access* a protected factory: refusing access
    answers 404, refusing construction answers 401, the challenge a client
    needs in order to send its credentials.
    """
    permissions = GstRtspServer.RTSPPermissions()
    for role in (ANONYMOUS_ROLE, AUTH_ROLE):
        permissions.add_permission_for_role(role, "media.factory.access", True)
        allowed = role == AUTH_ROLE or not protected
        permissions.add_permission_for_role(role, "media.factory.construct", allowed)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {launch} )")
    factory.set_shared(True)
    factory.set_permissions(permissions)
    return factory


def _token(role: str) -> GstRtspServer.RTSPToken:
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", role)
    return token


def _auth(method: str, user: str, password: str) -> GstRtspServer.RTSPAuth:
    """Everybody may watch every mount as ``anonymous`` except :data:`AUTH_MOUNT`.

    One method per server: PyGObject rejects the combined Basic|Digest mask.
    """
    auth = GstRtspServer.RTSPAuth()
    auth.set_default_token(_token(ANONYMOUS_ROLE))
    if method == "basic":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), _token(AUTH_ROLE))
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(user, password, _token(AUTH_ROLE))
    return auth


def build_server(port: int, auth: str, user: str, password: str) -> GstRtspServer.RTSPServer:
    """A server on 127.0.0.1:``port`` (0: any free port) with every mount of :data:`MOUNTS`."""
    server = GstRtspServer.RTSPServer()
    server.set_address(HOST)
    server.set_service(str(port))
    server.set_auth(_auth(auth, user, password))
    mounts = server.get_mount_points()
    for path, launch in MOUNTS.items():
        mounts.add_factory(path, _factory(launch, protected=path == AUTH_MOUNT))
    return server


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="GStreamer RTSP test camera on 127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--auth", choices=("digest", "basic"), default="digest")
    parser.add_argument("--user", default="argus")
    parser.add_argument("--password", default="secret")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    Gst.init(None)
    server = build_server(args.port, args.auth, args.user, args.password)
    if server.attach(None) == 0:  # 0: no source, e.g. the port is taken (details on stderr)
        print(f"cannot listen on {HOST}:{args.port}", file=sys.stderr, flush=True)
        return 1
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, _quit, loop)

    def ready() -> bool:
        print(f"{READY} rtsp://{HOST}:{server.get_bound_port()}", flush=True)
        return False

    GLib.idle_add(ready)
    loop.run()
    return 0


def _quit(loop: GLib.MainLoop) -> bool:
    loop.quit()
    return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
