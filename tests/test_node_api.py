"""The node API of a real ``argus node run`` process, over loopback.

Every call authenticated; recorded video served as fMP4 that FFmpeg decodes;
JPEG snapshots; exports whose manifest hashes match the files; live fMP4 over
a WebSocket.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator

import av
import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from argus.testing import ArgusProcess, free_port, wait_for

CONFIG = """
[node]
id = "api-test"
data_dir = "{data}"
listen = "127.0.0.1:{port}"
token_file = "{token}"

[storage]
backend = "segments"
settings = {{ disks = [{{ path = "{disk}", min_free_mb = 0 }}], segment_seconds = 4 }}

[[devices]]
id = "cam-a"
driver = "sim"
settings = {{ name = "API A", main_profile = "360p", sub_profile = "360p", loop_seconds = 4 }}

[[devices]]
id = "cam-b"
driver = "sim"
settings = {{ name = "API B", main_profile = "360p", sub_profile = "360p", audio = true }}
"""


class Node:
    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.http = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    root = tmp_path_factory.mktemp("node-api")
    port = free_port()
    (root / "disk").mkdir()
    config = root / "node.toml"
    config.write_text(
        CONFIG.format(data=root / "data", port=port, token=root / "token", disk=root / "disk")
    )
    proc = ArgusProcess(["node", "run", "-c", str(config)], root / "node.log")
    try:
        wait_for(lambda: (root / "token").exists() and _answers(port), "node API", [proc])
        n = Node(f"http://127.0.0.1:{port}", (root / "token").read_text().strip())
        # closed segments and a bit of the live one
        wait_for(lambda: _recorded_seconds(n) >= 9, "enough recorded", [proc], interval=0.5)
        yield n
    finally:
        status = proc.stop()
    assert status == 0, proc.output()


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/status", timeout=2).status_code == 401
    except httpx.TransportError:
        return False


def _recorded_seconds(n: Node) -> float:
    now = time.time()
    r = n.http.get(
        "/api/v1/cameras/cam-a/streams/main/timeline", params={"start": now - 300, "end": now + 10}
    )
    return sum(x["end"] - x["start"] for x in r.json()["ranges"]) if r.status_code == 200 else 0


def test_every_call_needs_the_token(node: Node) -> None:
    assert httpx.get(f"{node.base}/api/v1/status").status_code == 401
    bad = httpx.get(f"{node.base}/api/v1/status", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{node.base}/api/v1/status", params={"token": node.token}).status_code == 200
    url = f"ws://{node.base[7:]}/api/v1/cameras/cam-a/streams/main/live?token=x"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=10)
    assert refused.value.response.status_code == 403


def test_status_lists_streams_and_disks(node: Node) -> None:
    body = node.http.get("/api/v1/status").json()
    streams = {(s["camera"], s["stream"]): s for s in body["streams"]}
    assert set(streams) == {("cam-a", "main"), ("cam-b", "main")}
    for s in streams.values():
        assert s["state"] == "recording" and s["writing"] and s["fps"] > 0 and s["bitrate"] > 0
        assert abs(s["last_packet"] - time.time()) < 30
    assert body["disks"][0]["online"] and body["disks"][0]["free_bytes"] > 0
    host = body["host"]
    assert host["cpu_percent"] is not None and 0 <= host["cpu_percent"] < 100 * host["cpu_count"]
    assert 10_000_000 < host["memory_rss_bytes"] < host["memory_total_bytes"]
    assert 0 < host["memory_available_bytes"] <= host["memory_total_bytes"]
    cameras = node.http.get("/api/v1/cameras").json()
    assert [c["id"] for c in cameras] == ["cam-a", "cam-b"]


def test_playback_starts_at_a_keyframe_at_or_before_the_time(node: Node) -> None:
    now = time.time()
    start = now - 6
    r = node.http.get(
        "/api/v1/cameras/cam-b/streams/main/playback", params={"start": start, "end": now - 2}
    )
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(r.content), format="mp4") as container:
        video = container.streams.video[0]
        assert container.streams.audio[0].codec_context.name == "aac"
        frames = list(container.decode(video))
    first = float(frames[0].pts * video.time_base)
    assert frames[0].key_frame and start - 2.05 <= first <= start
    assert float(frames[-1].pts * video.time_base) >= now - 2.1


def test_snapshot_is_a_jpeg_of_the_camera(node: Node) -> None:
    r = node.http.get("/api/v1/cameras/cam-a/snapshot", params={"at": time.time() - 3})
    assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
    with av.open(io.BytesIO(r.content)) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (640, 360)
    gone = node.http.get("/api/v1/cameras/cam-a/snapshot", params={"at": 1_000_000_000})
    assert gone.status_code == 404


def test_export_files_match_their_manifest(node: Node) -> None:
    now = time.time()
    r = node.http.post(
        "/api/v1/exports", json={"cameras": ["cam-a", "cam-b"], "start": now - 7, "end": now - 3}
    )
    assert r.status_code == 201, r.text
    manifest = r.json()
    assert [f["camera"] for f in manifest["files"]] == ["cam-a", "cam-b"]
    assert node.http.get(f"/api/v1/exports/{manifest['id']}").json() == manifest
    for f in manifest["files"]:
        data = node.http.get(f"/api/v1/exports/{manifest['id']}/files/{f['name']}").content
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
        with av.open(io.BytesIO(data), format="mp4") as container:
            frames = list(container.decode(video=0))
        assert frames[0].pts == 0 and len(frames) >= 4 * 25
    bad = node.http.get(f"/api/v1/exports/{manifest['id']}/files/..%2Fmanifest.json")
    assert bad.status_code == 404


def test_an_export_job_reports_its_progress_and_ends_with_the_manifest(node: Node) -> None:
    now = time.time()
    body = {"cameras": ["cam-a", "cam-b"], "start": now - 7, "end": now - 3}
    started = node.http.post("/api/v1/export-jobs", json=body)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "running" and job["files_total"] == 2 and job["manifest"] is None
    seen = []
    deadline = time.monotonic() + 60
    while job["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
        job = node.http.get(f"/api/v1/export-jobs/{job['id']}").json()
        seen.append((job["files_done"], job["bytes_written"]))
    assert job["state"] == "done" and job["files_done"] == 2, job
    assert seen == sorted(seen)  # progress never goes back
    manifest = job["manifest"]
    assert manifest["id"] == job["id"] and len(manifest["files"]) == 2
    assert job["bytes_written"] == sum(f["bytes"] for f in manifest["files"])
    assert node.http.get(f"/api/v1/exports/{job['id']}").json() == manifest
    assert node.http.get("/api/v1/export-jobs/nope").status_code == 404


def test_live_view_is_fmp4_over_websocket(node: Node) -> None:
    url = f"ws://{node.base[7:]}/api/v1/cameras/cam-a/streams/main/live?token={node.token}"
    messages = []
    with connect(url, open_timeout=10) as ws:
        while len(messages) < 60:
            messages.append(ws.recv(timeout=10))
    assert messages[0][4:8] == b"ftyp"
    assert all(m[4:8] == b"moof" for m in messages[1:])
    with av.open(
        io.BytesIO(b"".join(m for m in messages if isinstance(m, bytes))), format="mp4"
    ) as container:
        frames = list(container.decode(video=0))
    assert frames[0].key_frame and len(frames) >= 50


@pytest.mark.parametrize("video_only", [False, True])
def test_live_view_of_a_camera_with_audio_can_leave_the_audio_out(
    node: Node, video_only: bool
) -> None:
    url = f"ws://{node.base[7:]}/api/v1/cameras/cam-b/streams/main/live?token={node.token}"
    if video_only:
        url += "&video_only=true"
    messages: list[bytes] = []
    with connect(url, open_timeout=10) as ws:
        while len(messages) < 80:
            message = ws.recv(timeout=10)
            assert isinstance(message, bytes)
            messages.append(message)
    assert messages[0][4:8] == b"ftyp"
    assert (b"mp4a" in messages[0]) is not video_only
    with av.open(io.BytesIO(b"".join(messages)), format="mp4") as container:
        assert len(container.streams.audio) == (0 if video_only else 1)
        frames = list(container.decode(video=0))
    assert frames[0].key_frame and len(frames) >= 20


def test_every_answer_allows_other_origins_without_credentials(node: Node) -> None:
    """Spotter, served by the master, calls nodes from its own origin with bearer tokens."""
    preflight = httpx.options(
        f"{node.base}/api/v1/status",
        headers={
            "Origin": "http://master.example:5008",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    got = node.http.get("/api/v1/status", headers={"Origin": "http://master.example:5008"})
    assert got.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in got.headers


def test_bad_requests_get_clear_errors(node: Node) -> None:
    now = time.time()
    missing = node.http.get(
        "/api/v1/cameras/nope/streams/main/timeline", params={"start": now - 10, "end": now}
    )
    assert missing.status_code == 404 and "nope/main" in missing.json()["detail"]
    backwards = node.http.get(
        "/api/v1/cameras/cam-a/streams/main/playback", params={"start": now, "end": now - 10}
    )
    assert backwards.status_code == 422
    empty = node.http.post("/api/v1/exports", json={"cameras": [], "start": 1, "end": 2})
    assert empty.status_code == 422
