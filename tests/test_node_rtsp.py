"""A real node recording real RTSP cameras (GStreamer's server) through the rtsp driver.

H.264 with AAC, H.265, G.711 A-law and a password-protected mount record to the
segments backend; the camera is killed and restarted on the same port: the
outage is a gap in the timeline and recording resumes by itself; what was
recorded plays back through the node API with its codecs.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import av
import httpx
import pytest
from websockets.sync.client import connect

from argus.testing import ArgusProcess, free_port, wait_for
from argus.testing.rtsp import RtspServer, rtsp_peer_missing

CAMERAS = {
    "aac": ("/h264-aac", False),
    "hevc": ("/h265", False),
    "alaw": ("/h264-pcma", False),
    "locked": ("/auth-h264", True),
}


def node_config(root: Path, server: RtspServer, port: int) -> Path:
    devices = []
    for cam, (mount, locked) in CAMERAS.items():
        creds = f', username = "{server.user}", password = "{server.password}"' if locked else ""
        devices.append(
            f'[[devices]]\nid = "{cam}"\ndriver = "rtsp"\n'
            f'settings = {{ main_url = "{server.url(mount)}"{creds}, '
            f"read_timeout = 3 }}\n"
        )
    config = root / "node.toml"
    config.write_text(
        f'[node]\nid = "rtsp-node"\ndata_dir = "{root / "data"}"\n'
        f'listen = "127.0.0.1:{port}"\ntoken_file = "{root / "token"}"\n\n'
        f'[storage]\nbackend = "segments"\n'
        f'settings = {{ disks = [{{ path = "{root / "disk"}", min_free_mb = 0 }}], '
        f"segment_seconds = 4 }}\n\n" + "\n".join(devices)
    )
    (root / "disk").mkdir()
    return config


@pytest.mark.slow
def test_rtsp_cameras_record_survive_an_outage_and_play_back(tmp_path: Path) -> None:
    missing = rtsp_peer_missing()
    if missing:
        pytest.skip(missing)
    port = free_port()
    with RtspServer() as server:
        config = node_config(tmp_path, server, port)
        log = tmp_path / "node.log"
        node = ArgusProcess(["node", "run", "-c", str(config)], log)
        try:
            wait_for(lambda: (tmp_path / "token").exists(), "the node", [node], timeout=60)
            api = httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                timeout=30,
                headers={"Authorization": f"Bearer {(tmp_path / 'token').read_text().strip()}"},
            )

            def recorded(camera: str) -> list[dict[str, float]]:
                now = time.time()
                try:  # the API may not listen yet
                    r = api.get(
                        f"/api/v1/cameras/{camera}/streams/main/timeline",
                        params={"start": now - 600, "end": now + 10},
                    )
                except httpx.TransportError:
                    return []
                return r.json()["ranges"] if r.status_code == 200 else []

            def all_recording() -> bool:
                return all(sum(x["end"] - x["start"] for x in recorded(c)) > 5 for c in CAMERAS)

            wait_for(all_recording, "every camera to record 5 s", [node], timeout=60)
            server.kill()  # the camera vanishes without a goodbye
            outage_start = time.time()
            time.sleep(6)
            server.start()  # back on the same port
            outage_end = time.time()
            wait_for(
                lambda: all(
                    len(recorded(c)) == 2 and time.time() - recorded(c)[-1]["end"] < 3
                    for c in CAMERAS
                ),
                "recording to resume",
                [node],
            )
            for camera in CAMERAS:
                before, after = recorded(camera)
                assert outage_start - 4 < before["end"] <= outage_start + 1, (camera, before)
                assert outage_end - 1 <= after["start"], (camera, after)
            status = api.get("/api/v1/status").json()
            assert all(
                s["reconnects"] >= 1 and s["state"] == "recording" for s in status["streams"]
            )
            check_playback(api, recorded)
            check_browser_playback(api, recorded)
            check_h264_rendition(api, port, (tmp_path / "token").read_text().strip())
        finally:
            status = node.stop()
    assert status == 0, log.read_text()
    assert server.password not in log.read_text()


def check_playback(api: httpx.Client, recorded: Callable[[str], list[dict[str, float]]]) -> None:
    expected = {
        "aac": ("h264", "aac"),
        "hevc": ("hevc", None),
        "alaw": ("h264", "pcm_alaw"),
        "locked": ("h264", None),
    }
    for camera, (video_codec, audio_codec) in expected.items():
        span = recorded(camera)[0]
        r = api.get(
            f"/api/v1/cameras/{camera}/streams/main/playback",
            params={"start": span["start"], "end": span["end"]},
        )
        assert r.status_code == 200, r.text
        with av.open(io.BytesIO(r.content), format="mp4") as container:
            assert container.streams.video[0].codec_context.name == video_codec
            audio = [s.codec_context.name for s in container.streams.audio]
            assert audio == ([audio_codec] if audio_codec else [])
            frames = list(container.decode(video=0))
        assert frames[0].key_frame and len(frames) >= 4 * 20


def check_browser_playback(
    api: httpx.Client, recorded: Callable[[str], list[dict[str, float]]]
) -> None:
    """What a browser asks for (H.264, video only): H.265 transcoded, G.711 left out, the
    media time still UTC; a recording it can play goes out as stored."""
    for camera, copied in (("hevc", False), ("alaw", True)):
        span = recorded(camera)[0]
        r = api.get(
            f"/api/v1/cameras/{camera}/streams/main/playback",
            params={
                "start": span["start"],
                "end": span["end"],
                "codecs": "h264",
                "video_only": "true",
            },
        )
        assert r.status_code == 200, r.text
        assert r.content[4:8] == b"ftyp" and b"avcC" in r.content[:4096]
        with av.open(io.BytesIO(r.content), format="mp4") as container:
            video = container.streams.video[0]
            assert video.codec_context.name == "h264" and not container.streams.audio
            assert video.codec_context.height <= 720
            frames = list(container.decode(video))
        assert frames[0].key_frame and len(frames) >= 4 * 20, (camera, len(frames))
        first = float(frames[0].pts * video.time_base)
        assert span["start"] - 2.5 <= first <= span["start"] + 0.5, (camera, first, span)
        if copied:  # same pictures as stored: only the container changed
            stored = api.get(
                f"/api/v1/cameras/{camera}/streams/main/playback",
                params={"start": span["start"], "end": span["end"]},
            )
            with av.open(io.BytesIO(stored.content), format="mp4") as container:
                stored_frames = len(list(container.decode(video=0)))
            assert abs(stored_frames - len(frames)) <= 1
    span = recorded("locked")[0]
    as_stored = api.get(
        "/api/v1/cameras/locked/streams/main/playback",
        params={"start": span["start"], "end": span["end"]},
    )
    for_browser = api.get(
        "/api/v1/cameras/locked/streams/main/playback",
        params={"start": span["start"], "end": span["end"], "codecs": "h264"},
    )
    assert for_browser.content == as_stored.content


def check_h264_rendition(api: httpx.Client, port: int, token: str) -> None:
    """A viewer that plays only H.264 gets the H.265 camera transcoded, while it watches."""
    url = f"ws://127.0.0.1:{port}/api/v1/cameras/hevc/streams/main/live?token={token}&codecs=h264"
    messages: list[bytes] = []
    with connect(url, open_timeout=10) as ws:
        while len(messages) < 40:
            message = ws.recv(timeout=20)
            assert isinstance(message, bytes)
            messages.append(message)
        assert api.get("/api/v1/status").json()["renditions"] == ["hevc/main"]
    init = messages[0]
    assert init[4:8] == b"ftyp" and b"avcC" in init and b"hvcC" not in init
    with av.open(io.BytesIO(b"".join(messages)), format="mp4") as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.height <= 720
        assert len(list(container.decode(stream))) >= 30
    wait_for(
        lambda: api.get("/api/v1/status").json()["renditions"] == [],
        "the rendition to stop with its last viewer",
        [],
        timeout=20,
    )
    # Without codecs=, the viewer gets the camera's own H.265.
    with connect(url.replace("&codecs=h264", ""), open_timeout=10) as ws:
        first = ws.recv(timeout=20)
    assert isinstance(first, bytes) and b"hvcC" in first
