"""Run PyPI ``ipycam`` as an independent ONVIF camera on 127.0.0.1, without WS-Discovery.

Started by the tests as ``python ipycam_peer.py --onvif-port N --rtsp-port M …`` and
stopped with SIGTERM. ipycam binds 0.0.0.0 and multicasts a WS-Discovery Hello
when started as its own program; here its discovery server is replaced by one that
does nothing and every listening socket is bound to the loopback address. Frames are
a moving test pattern made with numpy, so no webcam or file is needed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

import ipycam.camera as camera_module
import numpy as np
from ipycam import CameraConfig, IPCamera
from ipycam.rtsp import NativeRTSPServer

LOOPBACK = "127.0.0.1"


class _NoDiscovery:
    """Stands in for ipycam's WSDiscoveryServer: no multicast socket, no Hello."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class _LoopbackHttpServer(camera_module.ReusableThreadingTCPServer):  # type: ignore[misc]
    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        super().__init__((LOOPBACK, address[1]), handler)


class _LoopbackRtspServer(NativeRTSPServer):  # type: ignore[misc]
    def __init__(self, port: int = 8554, host: str = LOOPBACK) -> None:
        super().__init__(port=port, host=LOOPBACK)


def _skew_onvif_clock(offset: float) -> None:
    """Put the ONVIF service's clock ``offset`` seconds ahead: its WS-Security check, its
    GetSystemDateAndTime and the HTTP ``Date`` of its replies. (libfaketime cannot be used:
    ipycam's frame pacing then fails in time.sleep.) The rest of the process keeps the
    true time, so streaming is unaffected."""
    import datetime as real_datetime
    import http.server
    import time as real_time
    import types

    import ipycam.onvif as onvif_module

    class SkewedDatetime(real_datetime.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return real_datetime.datetime.now(tz) + real_datetime.timedelta(seconds=offset)

    clock = types.SimpleNamespace(**vars(real_time))
    clock.gmtime = lambda secs=None: real_time.gmtime(
        (real_time.time() if secs is None else secs) + offset
    )
    onvif_module.datetime = SkewedDatetime
    onvif_module.time = clock
    original = http.server.BaseHTTPRequestHandler.date_time_string
    http.server.BaseHTTPRequestHandler.date_time_string = lambda self, timestamp=None: original(  # type: ignore[method-assign]
        self, (real_time.time() if timestamp is None else timestamp) + offset
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--onvif-port", type=int, required=True)
    parser.add_argument("--rtsp-port", type=int, required=True)
    parser.add_argument("--unused-port", type=int, required=True, help="go2rtc/RTMP: nothing")
    parser.add_argument("--username", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument(
        "--clock-offset", type=float, default=0.0, help="seconds the camera's clock is ahead"
    )
    args = parser.parse_args(argv)

    if args.clock_offset:
        _skew_onvif_clock(args.clock_offset)
    camera_module.WSDiscoveryServer = _NoDiscovery
    camera_module.ReusableThreadingTCPServer = _LoopbackHttpServer
    camera_module.NativeRTSPServer = _LoopbackRtspServer

    config = CameraConfig(
        name="ipycam peer",
        local_ip=LOOPBACK,
        onvif_port=args.onvif_port,
        rtsp_port=args.rtsp_port,
        rtmp_port=args.unused_port,
        web_port=args.unused_port,
        go2rtc_api_port=args.unused_port,
        username=args.username,
        password=args.password,
        main_width=640,
        main_height=360,
        main_fps=args.fps,
        main_bitrate="1M",
        sub_width=320,
        sub_height=180,
        sub_fps=args.fps,
        sub_bitrate="300K",
        hw_accel="cpu",
    )
    config._config_path = "/dev/null"  # ipycam may save its config; never into the cwd
    cam = IPCamera(config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if not cam.start():
        return 1
    print("ipycam peer ready", flush=True)
    frame = np.zeros((config.main_height, config.main_width, 3), dtype=np.uint8)
    n = 0
    try:
        while not stop.is_set():
            frame[:] = (40, 40, 40)
            x = (n * 8) % config.main_width
            frame[:, x : x + 40] = (0, 200, 255)
            cam.stream(frame)
            n += 1
    finally:
        cam.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
