"""The master's package repository: TUF metadata that nodes verify before installing.

The master signs, with four Ed25519 keys of its own, the list of packages it
distributes (:class:`Repository`). A node (:mod:`argus.repository.updater`) installs a
package only if its bytes match what that list says, the list is the current one, and
every signature verifies with keys that the node's trusted root names. The roles are
TUF's top-level ones:

- **root** names the keys of every role (and its own); it changes only when keys do.
- **targets** lists the packages: path under the store, length, SHA-256 and the
  caller's custom information (kind, version, tags, argus-sdk range).
- **snapshot** names the current targets version, so a node cannot be given an old
  list together with new signatures (rollback, mix-and-match).
- **timestamp** names the current snapshot version and expires soonest, so a node
  notices within a day that it is being served a frozen repository.

Files, under ``root``: ``keys/<role>.pem`` (PKCS#8 PEM, mode 0600, made at first start)
and ``metadata/`` as served with consistent snapshots — ``N.root.json``,
``N.targets.json``, ``N.snapshot.json`` and ``timestamp.json``. Every file is written
atomically; ``timestamp.json`` is written last, so a client never sees it name a
snapshot that is not there yet. Superseded versions stay (a client may be in the
middle of an update); only targets and snapshot versions older than the last
:data:`KEEP_VERSIONS` are pruned.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner, Signer  # type: ignore[attr-defined]
from tuf.api.exceptions import RepositoryError as TufRepositoryError
from tuf.api.metadata import (  # type: ignore[attr-defined]
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from argus_sdk import ArgusError, Clock

#: The four top-level roles, in the order their metadata is made at first start.
ROLES = (Root.type, Targets.type, Snapshot.type, Timestamp.type)
#: Targets and snapshot versions kept on disk besides the current one.
KEEP_VERSIONS = 8
#: A metadata file name a client may ask for.
METADATA_NAME = re.compile(r"(?:[1-9][0-9]{0,9}\.(?:root|targets|snapshot)|timestamp)\.json")
#: The last part of a target URL with consistent snapshots: ``<sha256>.<basename>``.
HASHED_NAME = re.compile(r"([0-9a-f]{64})\.(.+)")
#: One part of a target path: no hidden names, no separators, no ``..``.
PATH_PART = re.compile(r"[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,254}")


class RepositoryError(ArgusError):
    """The repository refused something; the message says what and why.

    Raised on the node when metadata or a package fails verification (it is never
    installed, and the node's trusted metadata stays as it was), and on the master
    when the repository's own files are unusable.
    """


@dataclass(frozen=True)
class Expiry:
    """How long each role's metadata is valid after it is signed.

    A node refuses expired metadata, so the timestamp lifetime bounds how long a node
    can be kept on a frozen repository without noticing; :meth:`Repository.refresh`
    re-signs a role when less than half its lifetime remains.
    """

    root: dt.timedelta = dt.timedelta(days=3650)
    targets: dt.timedelta = dt.timedelta(days=365)
    snapshot: dt.timedelta = dt.timedelta(days=7)
    timestamp: dt.timedelta = dt.timedelta(days=1)

    def of(self, role: str) -> dt.timedelta:
        """The lifetime of ``role`` (``"root"``, ``"targets"`` …)."""
        lifetime: dt.timedelta = getattr(self, role)
        return lifetime


@dataclass(frozen=True)
class TargetInfo:
    """One signed target: a package file as the repository lists it.

    :param path: relative to the master's package store, ``/``-separated.
    :param custom: what the publisher gave (kind, version, tags, argus-sdk range …).
    """

    path: str
    length: int
    sha256: str
    custom: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, target: TargetFile) -> TargetInfo:
        """The information of a TUF target (its ``sha256`` hash must be listed)."""
        custom = target.custom if isinstance(target.custom, dict) else {}
        return cls(
            path=target.path,
            length=target.length,
            sha256=target.hashes["sha256"],
            custom=MappingProxyType(copy.deepcopy(custom)),
        )


def check_target_path(path: str) -> str:
    """``path`` if it is a plain relative path of a target, else :class:`KeyError`.

    Parts are names made of letters, digits and ``._+-`` that do not start with a dot:
    no absolute paths, no ``..``, no backslashes, no empty parts.
    """
    parts = path.split("/")
    if not path or not all(PATH_PART.fullmatch(part) for part in parts):
        raise KeyError(f"{path!r} is not a target path")
    return path


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one whole.

    The bytes go to a temporary file beside it, are flushed to disk, and the file is
    renamed over ``path``; the folder is synced so that the rename survives a crash.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Flush the folder ``path`` to disk, so that renames and removals in it survive a crash."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Repository:
    """The master's TUF repository over its package store.

    :param root: the repository's folder (``keys/`` and ``metadata/``); created with
        version 1 of every role at first start, reloaded afterwards.
    :param store: the master's package store; target paths are relative to it.
    :param clock: gives the signing time that expiry dates count from.
    :param expiry: each role's lifetime.

    All methods are thread-safe (one lock per repository). Only one process may own
    ``root`` at a time.

    :raises RepositoryError: the folder holds metadata but not the keys it names, or
        metadata that does not load.
    """

    def __init__(self, root: Path, store: Path, clock: Clock, *, expiry: Expiry = Expiry()) -> None:
        self._keys_dir = root / "keys"
        self._dir = root / "metadata"
        self._store = store
        self._clock = clock
        self._expiry = expiry
        self._lock = threading.RLock()
        self._serializer = JSONSerializer(compact=False)
        self._keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._signers = {role: self._signer(role) for role in ROLES}
        self._root: Metadata[Root]
        self._targets: Metadata[Targets]
        self._snapshot: Metadata[Snapshot]
        self._timestamp: Metadata[Timestamp]
        if (self._dir / "timestamp.json").exists():
            self._load()
        else:
            self._create()

    # -- reading ---------------------------------------------------------------------

    def targets(self) -> dict[str, TargetInfo]:
        """The published targets by path."""
        with self._lock:
            return {p: TargetInfo.of(t) for p, t in self._targets.signed.targets.items()}

    def versions(self) -> dict[str, int]:
        """The current version of each role's metadata."""
        with self._lock:
            return {
                Root.type: self._root.signed.version,
                Targets.type: self._targets.signed.version,
                Snapshot.type: self._snapshot.signed.version,
                Timestamp.type: self._timestamp.signed.version,
            }

    def trusted_root(self) -> bytes:
        """Version 1 of the root metadata: what a node may be given to start trusting."""
        return (self._dir / "1.root.json").read_bytes()

    def metadata(self, name: str) -> Path:
        """The file to serve for the metadata request ``name`` (``"3.targets.json"``).

        :raises KeyError: not a metadata name, or no such version is kept.
        """
        if not METADATA_NAME.fullmatch(name):
            raise KeyError(f"{name!r} is not a metadata file name")
        path = self._dir / name
        if not path.is_file():
            raise KeyError(f"{name} is not published")
        return path

    def target_file(self, url_path: str) -> Path:
        """The stored file for the target request ``url_path``.

        With consistent snapshots a client asks for ``<dirs>/<sha256>.<basename>``; the
        file is served only while that target is published with exactly that hash.

        :raises KeyError: not such a request, or no such target is published now.
        """
        folder, _, name = url_path.rpartition("/")
        hashed = HASHED_NAME.fullmatch(name)
        if hashed is None:
            raise KeyError(f"{url_path!r} is not a target request")
        digest, basename = hashed.groups()
        path = check_target_path(f"{folder}/{basename}" if folder else basename)
        with self._lock:
            target = self._targets.signed.targets.get(path)
            if target is None or target.hashes.get("sha256") != digest:
                raise KeyError(f"{path} is not published with SHA-256 {digest}")
        return self._store / path

    # -- changing --------------------------------------------------------------------

    def publish(self, path: str, custom: Mapping[str, object]) -> None:
        """Add or replace the target ``path`` (a file under the store) with ``custom``.

        Signs new targets, snapshot and timestamp versions, unless the target is
        published already with the same bytes and custom information.

        :raises KeyError: ``path`` is not a plain relative path.
        :raises FileNotFoundError: no such file in the store.
        :raises TypeError: ``custom`` does not serialize as JSON.
        """
        target = self._target(path, custom)
        with self._lock:
            current = dict(self._targets.signed.targets)
            current[path] = target
            self._change(current)

    def withdraw(self, path: str) -> None:
        """Remove the target ``path``, in new targets, snapshot and timestamp versions.

        Withdrawing a path that is not published changes nothing.
        """
        with self._lock:
            current = dict(self._targets.signed.targets)
            if current.pop(path, None) is not None:
                self._change(current)

    def sync(self, targets: Mapping[str, Mapping[str, object]]) -> bool:
        """Make the published targets exactly ``targets`` (path → custom) in one version.

        The files are hashed again, so a file replaced in the store is noticed.

        :returns: whether a new version was signed (nothing differed otherwise).
        :raises KeyError: a path is not a plain relative path.
        :raises FileNotFoundError: a file is missing from the store.
        """
        wanted = {path: self._target(path, custom) for path, custom in targets.items()}
        with self._lock:
            return self._change(wanted)

    def refresh(self) -> bool:
        """Re-sign every role whose metadata has less than half its lifetime left.

        A new targets version brings new snapshot and timestamp versions, and a new
        snapshot a new timestamp. Called periodically by the master.

        :returns: whether anything was re-signed.
        """
        with self._lock:
            now = self._now()
            due = {
                role: md.signed.expires - now < self._expiry.of(role) / 2
                for role, md in (
                    (Root.type, self._root),
                    (Targets.type, self._targets),
                    (Snapshot.type, self._snapshot),
                    (Timestamp.type, self._timestamp),
                )
            }
            if due[Root.type]:
                root = copy.deepcopy(self._root)
                root.signed.version += 1
                self._sign(root)
                self._root = root
            if due[Targets.type]:
                self._advance(targets=dict(self._targets.signed.targets))
            elif due[Snapshot.type] or due[Timestamp.type]:
                self._advance(snapshot=due[Snapshot.type])
            return any(due.values())

    # -- internals -------------------------------------------------------------------

    def _target(self, path: str, custom: Mapping[str, object]) -> TargetFile:
        check_target_path(path)
        local = self._store / path
        if not local.is_file():
            raise FileNotFoundError(f"{path} is not in the package store")
        target = TargetFile.from_file(path, str(local), ["sha256"])
        target.unrecognized_fields["custom"] = json.loads(json.dumps(dict(custom)))
        return target

    def _change(self, targets: dict[str, TargetFile]) -> bool:
        """Sign a new targets version listing ``targets`` if that differs; lock held."""
        if targets == self._targets.signed.targets:
            return False
        self._advance(targets=targets)
        return True

    def _advance(
        self, *, targets: dict[str, TargetFile] | None = None, snapshot: bool = False
    ) -> None:
        """Sign new versions: targets (when given), then snapshot (when asked or after new
        targets), then always timestamp. Lock held.

        The new metadata replaces the current only once every file is written, so a
        failed write leaves the repository as it was.
        """
        new_targets = self._targets
        if targets is not None:
            new_targets = copy.deepcopy(self._targets)
            new_targets.signed.targets = targets
            new_targets.signed.version += 1
            self._sign(new_targets)
            snapshot = True
        new_snapshot = self._snapshot
        if snapshot:
            new_snapshot = copy.deepcopy(self._snapshot)
            new_snapshot.signed.meta = {
                "targets.json": MetaFile(version=new_targets.signed.version)
            }
            new_snapshot.signed.version += 1
            self._sign(new_snapshot)
        new_timestamp = copy.deepcopy(self._timestamp)
        new_timestamp.signed.snapshot_meta = MetaFile(version=new_snapshot.signed.version)
        new_timestamp.signed.version += 1
        self._sign(new_timestamp)
        self._targets, self._snapshot, self._timestamp = new_targets, new_snapshot, new_timestamp
        self._prune()

    def _sign(self, md: Metadata[Any]) -> None:
        """Set the expiry, sign with the role's key and write the file served for it."""
        role = md.signed.type
        md.signed.expires = self._now() + self._expiry.of(role)
        md.sign(self._signers[role], append=False)
        name = "timestamp.json" if role == Timestamp.type else f"{md.signed.version}.{role}.json"
        atomic_write(self._dir / name, md.to_bytes(self._serializer))

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock.now(), dt.UTC).replace(microsecond=0)

    def _prune(self) -> None:
        for role, current in (
            (Targets.type, self._targets.signed.version),
            (Snapshot.type, self._snapshot.signed.version),
        ):
            for version in range(current - KEEP_VERSIONS - 1, 0, -1):
                path = self._dir / f"{version}.{role}.json"
                if not path.exists():
                    break
                path.unlink()

    def _signer(self, role: str) -> Signer:
        path = self._keys_dir / f"{role}.pem"
        if path.exists():
            private = load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(private, Ed25519PrivateKey):
                raise RepositoryError(f"{path} is not an Ed25519 private key")
            return CryptoSigner(private)
        if (self._dir / "1.root.json").exists():
            raise RepositoryError(
                f"{path} is missing: the repository's metadata cannot be signed any more"
            )
        signer = CryptoSigner.generate_ed25519()
        atomic_write(path, signer.private_bytes, mode=0o600)
        return signer

    def _create(self) -> None:
        """Version 1 of every role, the snapshot naming targets 1 and the timestamp
        snapshot 1 (the defaults of their constructors)."""
        root = Root(consistent_snapshot=True)
        for role in ROLES:
            root.add_key(self._signers[role].public_key, role)
        self._root = Metadata(root)
        self._targets = Metadata(Targets())
        self._snapshot = Metadata(Snapshot())
        self._timestamp = Metadata(Timestamp())
        for md in (self._root, self._targets, self._snapshot, self._timestamp):
            self._sign(md)

    def _load(self) -> None:
        try:
            roots = [
                int(p.name.split(".")[0]) for p in self._dir.glob("*.root.json") if p.is_file()
            ]
            self._root = self._read(f"{max(roots)}.root.json", Root)
            self._timestamp = self._read("timestamp.json", Timestamp)
            self._snapshot = self._read(
                f"{self._timestamp.signed.snapshot_meta.version}.snapshot.json", Snapshot
            )
            targets_meta = self._snapshot.signed.meta["targets.json"]
            self._targets = self._read(f"{targets_meta.version}.targets.json", Targets)
        except (OSError, ValueError, KeyError, TufRepositoryError) as exc:
            raise RepositoryError(f"the repository in {self._dir} does not load: {exc}") from exc
        for role in ROLES:
            keyid = self._signers[role].public_key.keyid
            if keyid not in self._root.signed.roles[role].keyids:
                raise RepositoryError(
                    f"the {role} key in {self._keys_dir} is not the one the repository's "
                    "root metadata names"
                )

    def _read(self, name: str, kind: type[Any]) -> Metadata[Any]:
        md: Metadata[Any] = Metadata.from_bytes((self._dir / name).read_bytes())
        if not isinstance(md.signed, kind):
            raise ValueError(f"{name} holds {md.signed.type} metadata")
        return md
