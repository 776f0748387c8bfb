"""The node's TUF client against the master's repository served over real HTTP.

The server plays the attacker on demand: it answers chosen requests with other bytes
(tampered, older, from another version, from a frozen or foreign repository). Each
attack must be refused with a message naming it, and must leave the node's trusted
metadata as it was, so that the next honest refresh works.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from argus.repository import Expiry, PackageUpdater, Repository, RepositoryError
from argus_sdk.testing import ManualClock

WHEEL = "acme-driver/2.4.0/acme_driver-2.4.0-py3-none-any.whl"
NEWER = "acme-driver/2.5.0/acme_driver-2.5.0-py3-none-any.whl"
PREFIX = "/api/v1/repository/"
TOKEN = "Bearer node-credential"


@dataclass
class Master:
    """A repository served on 127.0.0.1, with the attacker's replies in ``overrides``
    (request path after the prefix → bytes, or an HTTP status)."""

    repo: Repository
    store: Path
    folder: Path
    clock: ManualClock
    base_url: str = ""
    overrides: dict[str, bytes | int] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    def put(self, path: str, data: bytes, custom: Mapping[str, object] | None = None) -> None:
        file = self.store / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
        self.repo.publish(path, custom or {})

    def file(self, name: str) -> bytes:
        """A metadata file as the honest master serves it now."""
        return self.repo.metadata(name).read_bytes()

    def target_request(self, path: str) -> str:
        folder, _, name = path.rpartition("/")
        return f"targets/{folder}/{self.repo.targets()[path].sha256}.{name}"

    def asked(self, request: str) -> bool:
        return any(path == PREFIX + request for path, _ in self.requests)


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        master = self.server.master
        master.requests.append((self.path, self.headers.get("Authorization")))
        request = unquote(self.path.removeprefix(PREFIX))
        reply = master.overrides.get(request)
        if reply is None:
            try:
                if request.startswith("metadata/"):
                    reply = master.repo.metadata(request.removeprefix("metadata/")).read_bytes()
                elif request.startswith("targets/"):
                    file = master.repo.target_file(request.removeprefix("targets/"))
                    reply = file.read_bytes()
                else:
                    reply = 404
            except KeyError:
                reply = 404
        if isinstance(reply, int):
            self.send_error(reply)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    master: Master


@pytest.fixture
def master(tmp_path: Path) -> Iterator[Master]:
    clock = ManualClock(time.time())  # python-tuf checks expiry against the real time
    store = tmp_path / "packages"
    repo = Repository(tmp_path / "repository", store, clock)
    served = Master(repo, store, tmp_path / "repository", clock)
    server = Server(("127.0.0.1", 0), Handler)
    server.master = served
    served.base_url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX.rstrip('/')}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def node_dir(tmp_path: Path) -> Path:
    return tmp_path / "node" / "metadata"


@pytest.fixture
def node(master: Master, node_dir: Path) -> Iterator[PackageUpdater]:
    with PackageUpdater(node_dir, master.base_url, headers=lambda: {"Authorization": TOKEN}) as n:
        yield n


def trusted(node_dir: Path) -> dict[str, bytes]:
    """The node's trusted metadata files."""
    return {p.name: p.read_bytes() for p in node_dir.glob("*.json")}


def refused(node: PackageUpdater, pattern: str) -> None:
    with pytest.raises(RepositoryError, match=pattern):
        node.refresh()


def honest_again(master: Master, node: PackageUpdater, path: str | None = None) -> None:
    """The attack stops: the next refresh works (and the 11-byte ``path`` is signed)."""
    master.overrides.clear()
    node.refresh()
    if path is not None:
        assert node.target(path).length == 11


# -- honest master -----------------------------------------------------------------------


def test_first_refresh_trusts_the_root_on_first_use_and_downloads_verified(
    master: Master, node: PackageUpdater, node_dir: Path, tmp_path: Path
) -> None:
    custom = {"kind": "camera_driver", "version": "2.4.0", "sdk": ">=1.0,<2"}
    master.put(WHEEL, b"wheel bytes", custom)

    node.refresh()
    info = node.target(WHEEL)
    assert (info.path, info.length, dict(info.custom)) == (WHEEL, 11, custom)
    assert info.sha256 == hashlib.sha256(b"wheel bytes").hexdigest()
    file = node.download(WHEEL, tmp_path / "downloads")

    assert file == tmp_path / "downloads" / "acme_driver-2.4.0-py3-none-any.whl"
    assert file.read_bytes() == b"wheel bytes"
    assert master.asked("metadata/1.root.json")
    assert master.asked(master.target_request(WHEEL))
    assert all(token == TOKEN for _, token in master.requests)
    assert (node_dir / "root_history" / "1.root.json").read_bytes() == master.file("1.root.json")
    assert {"root.json", "timestamp.json", "snapshot.json", "targets.json"} <= set(
        trusted(node_dir)
    )


def test_an_already_downloaded_file_is_not_fetched_again(
    master: Master, node: PackageUpdater, tmp_path: Path
) -> None:
    master.put(WHEEL, b"wheel bytes")
    node.download(WHEEL, tmp_path / "downloads")
    before = len(master.requests)
    assert node.download(WHEEL, tmp_path / "downloads").read_bytes() == b"wheel bytes"
    assert len(master.requests) == before


def test_a_bootstrap_root_is_used_instead_of_trusting_the_link(
    master: Master, node_dir: Path, tmp_path: Path
) -> None:
    master.put(WHEEL, b"wheel bytes")
    foreign = Repository(tmp_path / "foreign", master.store, master.clock)
    master.overrides["metadata/1.root.json"] = foreign.trusted_root()

    with PackageUpdater(node_dir, master.base_url, bootstrap_root=master.repo.trusted_root()) as n:
        assert n.target(WHEEL).length == 11
    assert not master.asked("metadata/1.root.json")

    # Trust on first use: a node without a bootstrap root believes the link.
    with (
        PackageUpdater(tmp_path / "other-node", master.base_url) as n,
        pytest.raises(RepositoryError, match="signature does not verify"),
    ):
        n.refresh()


def test_a_restarted_node_starts_from_its_trusted_metadata(
    master: Master, node: PackageUpdater, node_dir: Path
) -> None:
    master.put(WHEEL, b"wheel bytes")
    node.refresh()
    master.overrides["metadata/1.root.json"] = 404
    master.requests.clear()

    with PackageUpdater(node_dir, master.base_url) as again:
        assert again.target(WHEEL).length == 11
    assert not master.asked("metadata/1.root.json")


def test_publish_and_withdraw_are_seen_at_the_next_refresh(
    master: Master, node: PackageUpdater
) -> None:
    master.put(WHEEL, b"wheel bytes")
    node.refresh()
    with pytest.raises(RepositoryError, match=f"{NEWER} is not among"):
        node.target(NEWER)

    master.put(NEWER, b"newer wheel", {"version": "2.5.0"})
    master.repo.withdraw(WHEEL)
    node.refresh()

    assert dict(node.target(NEWER).custom) == {"version": "2.5.0"}
    with pytest.raises(RepositoryError, match=f"{WHEEL} is not among"):
        node.target(WHEEL)


def test_a_rotated_root_is_followed(master: Master, node: PackageUpdater) -> None:
    node.refresh()
    master.clock.sleep(6 * 365 * 86400)  # root past half its life: re-signed as version 2
    assert master.repo.refresh()
    master.put(WHEEL, b"wheel bytes")
    # python-tuf checks expiry against the real time: the re-signed metadata is valid.
    node.refresh()
    assert master.asked("metadata/2.root.json")
    assert node.target(WHEEL).length == 11


# -- attacks -----------------------------------------------------------------------------


def test_tampered_targets_metadata_is_refused_and_not_kept(
    master: Master, node: PackageUpdater, node_dir: Path
) -> None:
    master.put(WHEEL, b"wheel bytes", {"kind": "camera_driver"})
    node.refresh()
    kept = trusted(node_dir)["targets.json"]
    master.put(NEWER, b"newer wheel", {"kind": "camera_driver"})
    name = f"{master.repo.versions()['targets']}.targets.json"
    master.overrides[f"metadata/{name}"] = master.file(name).replace(b"2.5.0", b"6.6.6")

    refused(node, "targets metadata signature does not verify.*tampered")
    assert trusted(node_dir)["targets.json"] == kept

    honest_again(master, node, NEWER)


def test_tampered_timestamp_is_refused_and_not_kept(
    master: Master, node: PackageUpdater, node_dir: Path
) -> None:
    node.refresh()
    before = trusted(node_dir)
    master.put(WHEEL, b"wheel bytes")
    version = master.repo.versions()["snapshot"]
    master.overrides["metadata/timestamp.json"] = master.file("timestamp.json").replace(
        f'"version": {version}'.encode(), f'"version": {version + 5}'.encode(), 1
    )
    refused(node, "timestamp metadata signature does not verify")
    assert trusted(node_dir) == before

    master.overrides["metadata/timestamp.json"] = b"{not json"
    refused(node, "timestamp metadata does not parse: tampered")
    assert trusted(node_dir) == before

    honest_again(master, node, WHEEL)


def test_metadata_signed_by_an_unknown_key_is_refused(
    master: Master, node: PackageUpdater, node_dir: Path, tmp_path: Path
) -> None:
    node.refresh()
    before = trusted(node_dir)
    foreign = Repository(tmp_path / "foreign", master.store, master.clock)
    master.put(WHEEL, b"wheel bytes")
    foreign.publish(WHEEL, {"kind": "trojan"})
    foreign.publish(WHEEL, {"kind": "trojan", "again": True})
    master.overrides["metadata/timestamp.json"] = foreign.metadata("timestamp.json").read_bytes()

    refused(node, "timestamp metadata signature does not verify .*unknown key")
    assert trusted(node_dir) == before
    honest_again(master, node)


def test_an_older_timestamp_is_a_rollback(
    master: Master, node: PackageUpdater, node_dir: Path
) -> None:
    master.put(WHEEL, b"wheel bytes")
    old = master.file("timestamp.json")
    master.put(NEWER, b"newer wheel")
    node.refresh()
    before = trusted(node_dir)

    master.overrides["metadata/timestamp.json"] = old
    refused(node, "rollback: timestamp version 2 is older than the trusted version 3")
    assert trusted(node_dir) == before
    honest_again(master, node)


def test_an_older_snapshot_is_a_rollback(
    master: Master, node: PackageUpdater, node_dir: Path
) -> None:
    master.put(WHEEL, b"wheel bytes")
    node.refresh()  # trusts snapshot 2
    before = trusted(node_dir)
    master.put(NEWER, b"newer wheel")

    master.overrides["metadata/3.snapshot.json"] = master.file("1.snapshot.json")
    refused(node, "rollback: snapshot version 1 is older than the trusted version 2")
    assert trusted(node_dir)["snapshot.json"] == before["snapshot.json"]
    assert trusted(node_dir)["targets.json"] == before["targets.json"]
    honest_again(master, node, NEWER)


def test_an_older_targets_is_a_rollback(
    master: Master, node: PackageUpdater, node_dir: Path
) -> None:
    master.put(WHEEL, b"wheel bytes")
    node.refresh()  # trusts targets 2
    before = trusted(node_dir)
    master.put(NEWER, b"newer wheel")

    master.overrides["metadata/3.targets.json"] = master.file("1.targets.json")
    refused(node, "rollback: targets version 1 is older than the trusted version 2")
    assert trusted(node_dir)["targets.json"] == before["targets.json"]
    honest_again(master, node, NEWER)


@pytest.mark.parametrize("role", ["snapshot", "targets"])
def test_metadata_from_another_version_is_mix_and_match(
    master: Master, node: PackageUpdater, node_dir: Path, role: str
) -> None:
    master.put(WHEEL, b"wheel bytes")
    node.refresh()  # trusts version 2
    before = trusted(node_dir)
    master.put(NEWER, b"newer wheel")
    master.repo.withdraw(WHEEL)  # version 4 is current; 3 is validly signed too
    above = "timestamp" if role == "snapshot" else "snapshot"

    master.overrides[f"metadata/4.{role}.json"] = master.file(f"3.{role}.json")
    refused(
        node,
        f"mix-and-match: the master served {role} version 3 where the signed {above} "
        "metadata names version 4",
    )
    assert trusted(node_dir)[f"{role}.json"] == before[f"{role}.json"]
    assert trusted(node_dir)["targets.json"] == before["targets.json"]
    honest_again(master, node, NEWER)


def test_a_frozen_repository_is_refused(
    master: Master, node: PackageUpdater, node_dir: Path, tmp_path: Path
) -> None:
    master.put(WHEEL, b"wheel bytes")
    node.refresh()
    before = trusted(node_dir)
    # The attacker replays metadata the master signed three days ago (same keys,
    # newer versions than the node has seen).
    shutil.copytree(master.folder, tmp_path / "past")
    past = ManualClock(time.time() - 3 * 86400)
    frozen = Repository(tmp_path / "past", master.store, past)
    master.put(NEWER, b"newer wheel")
    frozen.publish(NEWER, {})
    expired = dt.datetime.fromtimestamp(past.now(), dt.UTC) + dt.timedelta(days=1)

    master.overrides["metadata/timestamp.json"] = frozen.metadata("timestamp.json").read_bytes()
    refused(
        node,
        "the repository's timestamp metadata expired on "
        f"{expired:%Y-%m-%d %H:%M}:[0-9]{{2}} UTC: the master's repository looks frozen",
    )
    assert trusted(node_dir) == before
    honest_again(master, node, NEWER)


def test_an_expired_snapshot_is_refused(
    master: Master, node: PackageUpdater, node_dir: Path, tmp_path: Path
) -> None:
    node.refresh()
    before = trusted(node_dir)
    shutil.copytree(master.folder, tmp_path / "past")
    past = ManualClock(time.time() - 3 * 86400)
    short = Expiry(snapshot=dt.timedelta(days=1), timestamp=dt.timedelta(days=5))
    frozen = Repository(tmp_path / "past", master.store, past, expiry=short)
    master.put(WHEEL, b"wheel bytes")
    frozen.publish(WHEEL, {})
    version = frozen.versions()["snapshot"]
    master.overrides["metadata/timestamp.json"] = frozen.metadata("timestamp.json").read_bytes()
    master.overrides[f"metadata/{version}.snapshot.json"] = frozen.metadata(
        f"{version}.snapshot.json"
    ).read_bytes()

    refused(node, "the repository's snapshot metadata expired on .*looks frozen")
    assert trusted(node_dir)["snapshot.json"] == before["snapshot.json"]


def test_a_target_that_does_not_match_its_signed_hash_is_not_kept(
    master: Master, node: PackageUpdater, tmp_path: Path
) -> None:
    master.put(WHEEL, b"wheel bytes")
    request = master.target_request(WHEEL)
    downloads = tmp_path / "downloads"

    master.overrides[request] = b"evil  bytes"  # same length
    with pytest.raises(RepositoryError, match="the downloaded file does not match its signed hash"):
        node.download(WHEEL, downloads)
    assert list(downloads.iterdir()) == []

    master.overrides[request] = b"wheel bytes and a trojan"
    with pytest.raises(RepositoryError, match="longer than its signed length"):
        node.download(WHEEL, downloads)
    assert list(downloads.iterdir()) == []

    master.overrides.clear()
    assert node.download(WHEEL, downloads).read_bytes() == b"wheel bytes"


def test_a_refused_credential_and_an_unreachable_master_are_reported(
    master: Master, node_dir: Path
) -> None:
    master.overrides["metadata/1.root.json"] = 401
    with (
        PackageUpdater(node_dir, master.base_url) as n,
        pytest.raises(RepositoryError, match=r"refused the node's credential.*HTTP 401"),
    ):
        n.refresh()
    assert not (node_dir / "root.json").exists()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        PackageUpdater(node_dir, f"http://127.0.0.1:{port}/api/v1/repository") as n,
        pytest.raises(RepositoryError, match="could not be reached"),
    ):
        n.target(WHEEL)


def test_a_missing_file_and_an_unusable_trusted_root_are_reported(
    master: Master, node: PackageUpdater, node_dir: Path
) -> None:
    node.refresh()
    master.overrides["metadata/timestamp.json"] = 404
    refused(node, r"the master's repository refused a request: .*timestamp\.json answered HTTP 404")

    (node_dir / "root_history" / "1.root.json").write_bytes(b"garbage")
    with (
        PackageUpdater(node_dir, master.base_url) as again,
        pytest.raises(RepositoryError, match=r"the node's trusted root in .* is unusable"),
    ):
        again.refresh()


def test_a_root_served_under_another_version_is_refused(
    master: Master, node: PackageUpdater, node_dir: Path
) -> None:
    node.refresh()
    before = trusted(node_dir)
    master.clock.sleep(6 * 365 * 86400)
    assert master.repo.refresh()  # root version 2
    master.overrides["metadata/2.root.json"] = master.file("1.root.json")

    refused(node, "the master served root version 1 as version 2")
    assert trusted(node_dir) == before
    assert not (node_dir / "root_history" / "2.root.json").exists()
    honest_again(master, node)
