"""The node's side of the package repository: verified metadata, verified downloads.

A :class:`PackageUpdater` runs python-tuf's client workflow against the master's
repository (:mod:`argus.repository.publisher`): it loads the root the node trusts,
follows signed root rotations, then fetches timestamp, snapshot and targets metadata
and accepts each only if its signatures verify with the keys the trusted root names,
it has not expired, its version is not older than what the node trusted before
(rollback) and it is exactly the version the metadata above it signs for
(mix-and-match). A package is handed over only if its bytes match the signed length
and SHA-256.

Trusted metadata is kept in ``metadata_dir`` between runs; python-tuf replaces a file
there only with metadata that verified, so a refused update leaves the node's trust as
it was and a later honest refresh carries on from there.

**The first root.** A node whose ``metadata_dir`` holds no trusted root starts from
``bootstrap_root`` when it is given (copied to the node at installation, the safest
way). Without one it fetches ``1.root.json`` once from the master over its
authenticated link and trusts it from then on (trust on first use): whoever can
impersonate the master at that moment can give the node a root of their own, and
nobody can afterwards without the master's root key.

Every refusal raises :class:`RepositoryError` with a message naming what was refused.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from tuf.api import exceptions as tuf
from tuf.api.metadata import Metadata, Snapshot, TargetFile, Timestamp  # type: ignore[attr-defined]
from tuf.api.serialization import DeserializationError
from tuf.ngclient.config import UpdaterConfig
from tuf.ngclient.fetcher import FetcherInterface
from tuf.ngclient.updater import Updater

from argus.repository.publisher import PATH_PART, RepositoryError, TargetInfo

#: Seconds to wait for a connection to the master, and between two received chunks.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
#: Bytes read from the network at a time.
CHUNK = 64 * 1024
#: A metadata file name as the client asks for it: ``timestamp.json``, ``3.targets.json``.
METADATA_REQUEST = re.compile(r"(?:([0-9]+)\.)?([a-z]+)\.json")


class HttpxFetcher(FetcherInterface):
    """python-tuf's downloads over an :class:`httpx.Client`, streamed.

    :param headers: called before each request for headers to add (the node's bearer
        credential), or ``None``.

    Remembers the last metadata file it downloaded (:attr:`last_url`,
    :attr:`last_data`), so that a refusal can say which file was refused.
    """

    def __init__(
        self,
        client: httpx.Client,
        headers: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self._client = client
        self._headers = headers
        self.last_url: str | None = None
        self.last_data: bytes | None = None

    def _fetch(self, url: str) -> Iterator[bytes]:
        request = self._client.build_request(
            "GET", url, headers=dict(self._headers()) if self._headers else None
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise tuf.SlowRetrievalError(f"{url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise tuf.DownloadError(f"{url} could not be fetched: {exc}") from exc
        if response.status_code != httpx.codes.OK:
            response.close()
            raise tuf.DownloadHTTPError(
                f"{url} answered HTTP {response.status_code}", response.status_code
            )
        return self._chunks(url, response)

    @staticmethod
    def _chunks(url: str, response: httpx.Response) -> Iterator[bytes]:
        try:
            yield from response.iter_bytes(CHUNK)
        except httpx.TimeoutException as exc:
            raise tuf.SlowRetrievalError(f"{url} stalled while downloading") from exc
        except httpx.HTTPError as exc:
            raise tuf.DownloadError(f"{url} broke off while downloading: {exc}") from exc
        finally:
            response.close()

    def download_bytes(self, url: str, max_length: int) -> bytes:
        self.last_url, self.last_data = url, None
        data = super().download_bytes(url, max_length)
        self.last_data = data
        return data


class PackageUpdater:
    """The node's verified view of the master's package repository.

    :param metadata_dir: where the node's trusted metadata is kept between runs.
    :param base_url: the repository's URL, e.g. ``http://master:5008/api/v1/repository``;
        metadata is fetched from ``{base_url}/metadata/{name}`` and packages from
        ``{base_url}/targets/{path}``.
    :param headers: called before each request for headers to add (the credential).
    :param client: the HTTP client to use (closed by the caller); by default one of
        our own with :data:`CONNECT_TIMEOUT` and :data:`READ_TIMEOUT`.
    :param bootstrap_root: the root metadata to trust when ``metadata_dir`` holds
        none; without it, ``1.root.json`` is fetched and trusted on first use.

    Thread-safe; one updater per ``metadata_dir``.
    """

    def __init__(
        self,
        metadata_dir: Path,
        base_url: str,
        *,
        headers: Callable[[], Mapping[str, str]] | None = None,
        client: httpx.Client | None = None,
        bootstrap_root: bytes | None = None,
    ) -> None:
        self._dir = metadata_dir
        base = base_url.rstrip("/")
        self._metadata_url = f"{base}/metadata/"
        self._targets_url = f"{base}/targets/"
        self._own_client = client is None
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        )
        self._fetcher = HttpxFetcher(self._client, headers)
        self._bootstrap = bootstrap_root
        self._config = UpdaterConfig()
        self._updater: Updater | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the HTTP client if it is our own."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> PackageUpdater:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def refresh(self) -> None:
        """Fetch and verify the repository's current metadata (root, timestamp,
        snapshot, targets) and keep it as the node's trusted metadata.

        :raises RepositoryError: something was refused or could not be fetched; the
            node's trusted metadata is left as it was.
        """
        with self._lock:
            self._refresh()

    def target(self, path: str) -> TargetInfo:
        """The signed information of the package ``path``, from the metadata of the last
        successful :meth:`refresh` (refreshing first if there was none, or the last
        one failed).

        :raises RepositoryError: no such target is signed, or the refresh failed.
        """
        with self._lock:
            return TargetInfo.of(self._targetinfo(path))

    def download(self, path: str, folder: Path) -> Path:
        """Download the package ``path`` into ``folder`` under its own file name, and
        return the file; it is there only if it matches its signed length and hash.

        A file already in ``folder`` that matches is not downloaded again.

        :raises RepositoryError: not signed, refused, or the download failed.
        """
        with self._lock:
            info = self._targetinfo(path)
            updater = self._updater
            assert updater is not None  # set by _targetinfo
            name = info.path.rpartition("/")[2]
            if not PATH_PART.fullmatch(name):
                raise RepositoryError(f"the signed target {info.path!r} has no usable file name")
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / name
            if updater.find_cached_target(info, str(final)) is not None:
                return final
            partial = folder / f".{name}.part"
            try:
                updater.download_target(info, str(partial))
            except (tuf.RepositoryError, tuf.DownloadError) as exc:
                partial.unlink(missing_ok=True)
                raise RepositoryError(_explain_download(info.path, exc)) from exc
            partial.replace(final)
            return final

    # -- internals -------------------------------------------------------------------

    def _refresh(self) -> Updater:
        """Lock held."""
        self._updater = None
        trusted = _Trusted.read(self._dir)
        self._fetcher.last_url = self._fetcher.last_data = None
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            updater = Updater(
                str(self._dir),
                self._metadata_url,
                target_base_url=self._targets_url,
                fetcher=self._fetcher,
                config=self._config,
                bootstrap=self._first_root(),
            )
            updater.refresh()
        except (tuf.RepositoryError, tuf.DownloadError) as exc:
            raise RepositoryError(self._explain(exc, trusted)) from exc
        except OSError as exc:
            raise RepositoryError(
                f"the trusted metadata in {self._dir} is unusable: {exc}"
            ) from exc
        self._updater = updater
        return updater

    def _first_root(self) -> bytes | None:
        """The root to start from: ``None`` to use the trusted one in ``metadata_dir``."""
        if (self._dir / "root.json").exists():
            return None
        if self._bootstrap is not None:
            return self._bootstrap
        return self._fetcher.download_bytes(
            f"{self._metadata_url}1.root.json", self._config.root_max_length
        )

    def _targetinfo(self, path: str) -> TargetFile:
        updater = self._updater or self._refresh()
        try:
            info = updater.get_targetinfo(path)
        except (tuf.RepositoryError, tuf.DownloadError) as exc:
            raise RepositoryError(f"the signed targets could not be read: {exc}") from exc
        if info is None:
            raise RepositoryError(f"{path} is not among the repository's signed targets")
        if "sha256" not in info.hashes:
            raise RepositoryError(f"the signed target {path} carries no SHA-256 hash")
        return info

    def _explain(self, exc: Exception, trusted: _Trusted) -> str:
        """What was refused, in words, from tuf's exception and the file it was about."""
        if isinstance(exc, tuf.DownloadError):
            return _explain_fetch(exc)
        if self._fetcher.last_url is None:
            return f"the node's trusted root in {self._dir} is unusable: {exc}"
        url = self._fetcher.last_url
        request = METADATA_REQUEST.fullmatch(url.rpartition("/")[2])
        if request is None:
            return f"the repository's metadata was refused: {exc}"
        expected = int(request[1]) if request[1] else None
        role = request[2]
        served = _parse(self._fetcher.last_data)
        if isinstance(exc, DeserializationError) or (served is None and self._fetcher.last_data):
            return f"{role} metadata does not parse: tampered or corrupted ({exc})"
        if isinstance(exc, tuf.UnsignedMetadataError):
            return (
                f"{role} metadata signature does not verify with the keys of the trusted "
                "root: tampered, or signed by an unknown key"
            )
        if isinstance(exc, tuf.ExpiredMetadataError):
            if served is not None and served.signed.is_expired():
                when = served.signed.expires.strftime("%Y-%m-%d %H:%M:%S UTC")
                return (
                    f"the repository's {role} metadata expired on {when}: "
                    "the master's repository looks frozen"
                )
            return f"expired metadata refused: {exc}: the master's repository looks frozen"
        if isinstance(exc, tuf.BadVersionNumberError) and served is not None:
            return _explain_version(role, expected, served, trusted) or (
                f"{role} metadata version refused: {exc}"
            )
        return f"the repository's {role} metadata was refused: {exc}"


@dataclass(frozen=True)
class _Trusted:
    """Versions in the node's trusted metadata before a refresh (for messages only)."""

    timestamp: int | None
    snapshot: int | None
    targets: int | None

    @classmethod
    def read(cls, folder: Path) -> _Trusted:
        versions = {}
        for role in ("timestamp", "snapshot", "targets"):
            path = folder / f"{role}.json"
            md = _parse(path.read_bytes()) if path.is_file() else None
            versions[role] = md.signed.version if md is not None else None
        return cls(**versions)


def _parse(data: bytes | None) -> Metadata[Any] | None:
    if not data:
        return None
    try:
        return Metadata.from_bytes(data)
    except DeserializationError:
        return None


def _explain_version(
    role: str, expected: int | None, served: Metadata[Any], trusted: _Trusted
) -> str | None:
    """Rollback or mix-and-match, from the served metadata and what was trusted."""
    version = served.signed.version
    before: int | None = getattr(trusted, role, None)
    if before is not None and version < before:
        return f"rollback: {role} version {version} is older than the trusted version {before}"
    if expected is not None and version != expected:
        if role == "root":
            return f"the master served root version {version} as version {expected}"
        above = "timestamp" if role == "snapshot" else "snapshot"
        return (
            f"mix-and-match: the master served {role} version {version} where the signed "
            f"{above} metadata names version {expected}"
        )
    if isinstance(served.signed, Timestamp) and trusted.snapshot is not None:
        named = served.signed.snapshot_meta.version
        if named < trusted.snapshot:
            return (
                f"rollback: timestamp version {version} names snapshot version {named}, "
                f"older than the trusted version {trusted.snapshot}"
            )
    if isinstance(served.signed, Snapshot) and trusted.targets is not None:
        meta = served.signed.meta.get("targets.json")
        if meta is not None and meta.version < trusted.targets:
            return (
                f"rollback: snapshot version {version} names targets version {meta.version}, "
                f"older than the trusted version {trusted.targets}"
            )
    return None


def _explain_fetch(exc: tuf.DownloadError) -> str:
    if isinstance(exc, tuf.DownloadHTTPError) and exc.status_code in (401, 403):
        return f"the master refused the node's credential: {exc}"
    if isinstance(exc, tuf.DownloadHTTPError):
        return f"the master's repository refused a request: {exc}"
    if isinstance(exc, tuf.DownloadLengthMismatchError):
        return f"a metadata file is longer than allowed: refused ({exc})"
    cause = exc.__cause__
    detail = f"{exc}: {cause}" if cause is not None and str(cause) not in str(exc) else str(exc)
    return f"the master's repository could not be reached: {detail}"


def _explain_download(path: str, exc: Exception) -> str:
    if isinstance(exc, tuf.LengthOrHashMismatchError):
        return (
            f"the downloaded file does not match its signed hash: {path} was tampered with "
            "or corrupted on the way, and was not kept"
        )
    if isinstance(exc, tuf.DownloadLengthMismatchError):
        return (
            f"the downloaded file is longer than its signed length: {path} was tampered "
            "with, and was not kept"
        )
    if isinstance(exc, tuf.DownloadError):
        return f"{path} could not be downloaded: {_explain_fetch(exc)}"
    return f"{path} was refused: {exc}"
