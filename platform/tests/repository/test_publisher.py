"""The master's TUF repository: keys, versions, expiry and what it serves."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import threading
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata

from argus.repository import Expiry, Repository, RepositoryError
from argus.repository.publisher import KEEP_VERSIONS
from argus_sdk.testing import ManualClock

START = 1_790_000_000.0
WHEEL = "acme-driver/2.4.0/acme_driver-2.4.0-py3-none-any.whl"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    folder = tmp_path / "packages"
    put(folder, WHEEL, b"wheel bytes")
    return folder


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def repo(tmp_path: Path, store: Path, clock: ManualClock) -> Repository:
    return Repository(tmp_path / "repository", store, clock)


def put(store: Path, path: str, data: bytes) -> None:
    file = store / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(data)


def signed(path: Path) -> Metadata:  # type: ignore[type-arg]
    return Metadata.from_file(str(path))


def test_first_start_creates_private_keys_and_version_one_of_every_role(
    tmp_path: Path, repo: Repository
) -> None:
    keys = tmp_path / "repository" / "keys"
    assert sorted(p.name for p in keys.iterdir()) == [
        "root.pem",
        "snapshot.pem",
        "targets.pem",
        "timestamp.pem",
    ]
    for key in keys.iterdir():
        assert key.stat().st_mode & 0o777 == 0o600
        assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    metadata = tmp_path / "repository" / "metadata"
    assert sorted(p.name for p in metadata.iterdir()) == [
        "1.root.json",
        "1.snapshot.json",
        "1.targets.json",
        "timestamp.json",
    ]
    assert repo.versions() == {"root": 1, "targets": 1, "snapshot": 1, "timestamp": 1}
    root = signed(metadata / "1.root.json").signed
    assert root.consistent_snapshot is True
    assert {role: len(r.keyids) for role, r in root.roles.items()} == {
        "root": 1,
        "targets": 1,
        "snapshot": 1,
        "timestamp": 1,
    }
    assert len({keyid for r in root.roles.values() for keyid in r.keyids}) == 4
    assert repo.trusted_root() == (metadata / "1.root.json").read_bytes()
    assert repo.targets() == {}


def test_expiry_counts_from_the_clock(tmp_path: Path, repo: Repository) -> None:
    metadata = tmp_path / "repository" / "metadata"
    start = dt.datetime.fromtimestamp(START, dt.UTC)
    defaults = Expiry()
    for name, lifetime in (
        ("1.root.json", defaults.root),
        ("1.targets.json", defaults.targets),
        ("1.snapshot.json", defaults.snapshot),
        ("timestamp.json", defaults.timestamp),
    ):
        assert signed(metadata / name).signed.expires == start + lifetime
    assert defaults.timestamp == dt.timedelta(days=1)
    assert defaults.snapshot == dt.timedelta(days=7)
    assert defaults.targets == dt.timedelta(days=365)
    assert defaults.root == dt.timedelta(days=3650)


def test_restart_reloads_the_same_keys_and_state(
    tmp_path: Path, repo: Repository, store: Path, clock: ManualClock
) -> None:
    repo.publish(WHEEL, {"kind": "camera_driver"})
    keys = {p.name: p.read_bytes() for p in (tmp_path / "repository" / "keys").iterdir()}
    root = (tmp_path / "repository" / "metadata" / "1.root.json").read_bytes()

    again = Repository(tmp_path / "repository", store, clock)

    assert {p.name: p.read_bytes() for p in (tmp_path / "repository" / "keys").iterdir()} == keys
    assert (tmp_path / "repository" / "metadata" / "1.root.json").read_bytes() == root
    assert again.versions() == repo.versions()
    assert again.targets() == repo.targets()
    again.withdraw(WHEEL)
    assert again.versions()["targets"] == 3


def test_restart_without_the_keys_is_refused(
    tmp_path: Path, repo: Repository, store: Path, clock: ManualClock
) -> None:
    (tmp_path / "repository" / "keys" / "snapshot.pem").unlink()
    with pytest.raises(RepositoryError, match=r"snapshot\.pem is missing"):
        Repository(tmp_path / "repository", store, clock)


def test_restart_with_a_foreign_key_is_refused(
    tmp_path: Path, repo: Repository, store: Path, clock: ManualClock
) -> None:
    Repository(tmp_path / "other", store, clock)
    shutil.copy(tmp_path / "other" / "keys" / "targets.pem", tmp_path / "repository" / "keys")
    with pytest.raises(RepositoryError, match=r"targets key .* is not the one"):
        Repository(tmp_path / "repository", store, clock)


def test_publish_signs_new_targets_snapshot_and_timestamp(tmp_path: Path, repo: Repository) -> None:
    custom = {"kind": "camera_driver", "version": "2.4.0", "tags": ["py3-none-any"]}
    repo.publish(WHEEL, custom)

    assert repo.versions() == {"root": 1, "targets": 2, "snapshot": 2, "timestamp": 2}
    info = repo.targets()[WHEEL]
    assert (info.path, info.length, dict(info.custom)) == (WHEEL, 11, custom)
    assert info.sha256 == hashlib.sha256(b"wheel bytes").hexdigest()
    metadata = tmp_path / "repository" / "metadata"
    targets = signed(metadata / "2.targets.json").signed
    assert targets.targets[WHEEL].custom == custom
    assert targets.targets[WHEEL].hashes == {"sha256": info.sha256}
    assert signed(metadata / "2.snapshot.json").signed.meta["targets.json"].version == 2
    assert signed(metadata / "timestamp.json").signed.snapshot_meta.version == 2
    assert (metadata / "1.targets.json").exists()  # clients may be mid-update
    assert not [p for p in metadata.iterdir() if p.name.startswith(".")]


def test_publishing_the_same_target_again_changes_nothing(repo: Repository) -> None:
    repo.publish(WHEEL, {"kind": "camera_driver"})
    repo.publish(WHEEL, {"kind": "camera_driver"})
    assert repo.versions()["targets"] == 2
    repo.publish(WHEEL, {"kind": "camera_driver", "tags": ["x"]})
    assert repo.versions()["targets"] == 3


def test_publish_refuses_paths_outside_the_store_and_missing_files(repo: Repository) -> None:
    for path in ("../etc/passwd", "/etc/passwd", "a//b.whl", "a/./b.whl", ".hidden.whl", "a\\b"):
        with pytest.raises(KeyError):
            repo.publish(path, {})
    with pytest.raises(FileNotFoundError):
        repo.publish("acme-driver/9.9.9/missing.whl", {})
    with pytest.raises(TypeError):
        repo.publish(WHEEL, {"not json": object()})
    assert repo.versions()["targets"] == 1


def test_withdraw_removes_the_target_in_a_new_version(repo: Repository) -> None:
    repo.publish(WHEEL, {})
    repo.withdraw(WHEEL)
    assert repo.targets() == {}
    assert repo.versions()["targets"] == 3
    repo.withdraw(WHEEL)  # not published: nothing to sign
    assert repo.versions()["targets"] == 3


def test_sync_sets_exactly_the_given_targets_in_one_version(repo: Repository, store: Path) -> None:
    other = "acme-driver/2.5.0/acme_driver-2.5.0-py3-none-any.whl"
    put(store, other, b"newer wheel")
    repo.publish(WHEEL, {"kind": "old"})

    assert repo.sync({other: {"kind": "new"}, WHEEL: {"kind": "camera_driver"}}) is True
    assert repo.versions()["targets"] == 3
    assert {p: dict(t.custom) for p, t in repo.targets().items()} == {
        other: {"kind": "new"},
        WHEEL: {"kind": "camera_driver"},
    }

    assert repo.sync({other: {"kind": "new"}, WHEEL: {"kind": "camera_driver"}}) is False
    assert repo.versions() == {"root": 1, "targets": 3, "snapshot": 3, "timestamp": 3}

    put(store, WHEEL, b"replaced bytes")  # the file changed under the same name
    assert repo.sync({other: {"kind": "new"}, WHEEL: {"kind": "camera_driver"}}) is True
    assert repo.sync({other: {"kind": "new"}}) is True
    assert list(repo.targets()) == [other]
    assert repo.versions()["targets"] == 5


def test_refresh_re_signs_what_has_less_than_half_its_lifetime_left(
    tmp_path: Path, repo: Repository, clock: ManualClock
) -> None:
    assert repo.refresh() is False
    clock.sleep(11 * 3600)
    assert repo.refresh() is False

    clock.sleep(2 * 3600)  # 13 h: the timestamp is past half its day
    assert repo.refresh() is True
    assert repo.versions() == {"root": 1, "targets": 1, "snapshot": 1, "timestamp": 2}
    expires = signed(tmp_path / "repository" / "metadata" / "timestamp.json").signed.expires
    assert expires == dt.datetime.fromtimestamp(clock.now(), dt.UTC) + dt.timedelta(days=1)
    assert repo.refresh() is False

    clock.sleep(4 * 86400)  # the snapshot is past half its week
    assert repo.refresh() is True
    assert repo.versions() == {"root": 1, "targets": 1, "snapshot": 2, "timestamp": 3}

    clock.sleep(200 * 86400)
    assert repo.refresh() is True
    assert repo.versions() == {"root": 1, "targets": 2, "snapshot": 3, "timestamp": 4}

    clock.sleep(6 * 365 * 86400)
    assert repo.refresh() is True
    assert repo.versions() == {"root": 2, "targets": 3, "snapshot": 4, "timestamp": 5}
    assert (tmp_path / "repository" / "metadata" / "2.root.json").exists()


def test_old_targets_and_snapshot_versions_are_pruned(tmp_path: Path, repo: Repository) -> None:
    for n in range(KEEP_VERSIONS + 3):
        repo.publish(WHEEL, {"n": n})
    current = repo.versions()["targets"]
    metadata = tmp_path / "repository" / "metadata"
    kept = sorted(int(p.name.split(".")[0]) for p in metadata.glob("*.targets.json"))
    assert kept == list(range(current - KEEP_VERSIONS, current + 1))
    assert (metadata / "1.root.json").exists()
    for version in kept:
        assert repo.metadata(f"{version}.snapshot.json").exists()
    with pytest.raises(KeyError):
        repo.metadata("1.targets.json")


def test_metadata_serves_published_files_only(tmp_path: Path, repo: Repository) -> None:
    metadata = tmp_path / "repository" / "metadata"
    assert repo.metadata("1.root.json") == metadata / "1.root.json"
    assert repo.metadata("timestamp.json") == metadata / "timestamp.json"
    assert repo.metadata("1.targets.json") == metadata / "1.targets.json"
    for name in (
        "2.targets.json",
        "root.json",
        "../keys/root.pem",
        "1.root.json/../../keys/root.pem",
        "..",
        "0.root.json",
        "-1.root.json",
        "1.root.json ",
        "timestamp.json/",
        "1.keys.json",
        "",
    ):
        with pytest.raises(KeyError):
            repo.metadata(name)


def test_target_file_needs_the_published_hash(repo: Repository, store: Path) -> None:
    repo.publish(WHEEL, {})
    digest = repo.targets()[WHEEL].sha256
    folder, _, name = WHEEL.rpartition("/")

    assert repo.target_file(f"{folder}/{digest}.{name}") == store / WHEEL
    for request in (
        WHEEL,
        f"{folder}/{'0' * 64}.{name}",
        f"{folder}/{digest}.other.whl",
        f"../{folder}/{digest}.{name}",
        f"{folder}/../{digest}.{name}",
        f"{folder}/{digest}..",
        f"/{folder}/{digest}.{name}",
    ):
        with pytest.raises(KeyError):
            repo.target_file(request)

    repo.withdraw(WHEEL)
    with pytest.raises(KeyError):
        repo.target_file(f"{folder}/{digest}.{name}")


def test_concurrent_publishes_each_get_their_own_version(repo: Repository, store: Path) -> None:
    paths = [f"pkg-{n}/1.0/pkg_{n}-1.0-py3-none-any.whl" for n in range(8)]
    for n, path in enumerate(paths):
        put(store, path, bytes([n]) * 100)
    threads = [threading.Thread(target=repo.publish, args=(p, {"n": 1})) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(repo.targets()) == sorted(paths)
    assert repo.versions()["targets"] == 1 + len(paths)
