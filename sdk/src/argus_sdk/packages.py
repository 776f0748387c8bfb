"""Checking a plugin package before anything of it is unpacked or imported.

A plugin package is a wheel (``.whl``), or a Spotter plugin in the same format with the
suffix ``.spi``. :func:`inspect_package` reads the archive's directory and streams its
members through hashes — it never extracts a file, never imports a module — and
either returns what the package is (:class:`PackageInfo`) or refuses it with one
precise reason (:class:`PackageRefused`):

- a well-formed zip whose name parses as a wheel name (name, version, tags);
- no absolute paths, no ``..``, no backslashes, no links, no duplicates, no device
  files; sizes and compression ratios within bounds (no decompression bombs);
- one ``<name>-<version>.dist-info`` with ``METADATA``, ``WHEEL`` and ``RECORD``;
  every file listed in ``RECORD`` with a SHA-256 that matches, and nothing unlisted;
- ``METADATA`` that parses (``packaging``) and names the same project and version;
- at least one Argus entry-point group in ``entry_points.txt``;
- an ``argus-sdk`` requirement that some released platform API satisfies.

The master runs it at admission (``argus packages add``); ``argus-sdk check`` and
``argus-sdk build`` (:mod:`argus_sdk.cli`) run the same function for a developer before
they publish. A vendor signature, when given, is checked after it by
:func:`argus_sdk.signing.check_signature`, again by both.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.metadata import InvalidMetadata, Metadata
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from argus_sdk._version import __version__
from argus_sdk.hookspecs import KINDS

#: Platform API versions released so far; a package must accept at least one.
RELEASED_APIS: tuple[str, ...] = (__version__,)
MAX_FILES = 10_000
MAX_TOTAL_BYTES = 1 << 30  # 1 GiB uncompressed
MAX_RATIO = 200  # uncompressed / compressed, for members over MIN_RATIO_BYTES
MIN_RATIO_BYTES = 1 << 20
SUFFIXES = (".whl", ".spi")
_CHUNK = 1 << 16


class PackageRefused(ValueError):
    """The package is not accepted; the message says exactly why."""


@dataclass(frozen=True, slots=True)
class PackageInfo:
    """What a checked package is."""

    name: str  # canonical project name
    version: Version
    tags: frozenset[Tag]
    kinds: tuple[str, ...]  # plugin kinds, from the entry-point groups
    entry_points: dict[str, tuple[str, ...]]  # group → entry-point names
    sdk: str  # the argus-sdk specifier, e.g. ">=1.0,<2"
    sha256: str  # of the whole file
    size: int
    spotter: bool  # a .spi
    requires: tuple[str, ...] = ()  # its Requires-Dist lines

    @property
    def pure(self) -> bool:
        return all(t.platform == "any" for t in self.tags)


def inspect_package(path: Path, *, library: bool = False) -> PackageInfo:
    """Check ``path`` and say what it is.

    :param library: ``path`` is a dependency wheel a plugin needs (no Argus plugin of its
        own, no ``argus-sdk`` range): every check of the archive applies, the plugin
        checks do not — and a wheel that does provide Argus plugins is refused as one.
    :raises PackageRefused: with the first reason found.
    """
    if path.suffix not in SUFFIXES:
        raise PackageRefused(f"{path.name}: a plugin package is a .whl or a .spi file")
    try:
        name, version, _build, tags = parse_wheel_filename(path.with_suffix(".whl").name)
    except InvalidWheelFilename as exc:
        raise PackageRefused(f"{path.name}: not a wheel file name ({exc})") from exc
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageRefused(f"{path.name}: not a readable zip archive ({exc})") from exc
    with archive:
        members = _members(archive)
        info_dir = _dist_info(members, name, version)
        record = _record(archive, info_dir)
        _check_hashes(archive, members, record, info_dir)
        metadata = _metadata(archive, info_dir, name, version)
        entry_points = _entry_points(archive, info_dir)
    kinds = tuple(KINDS[g][0] for g in entry_points if g in KINDS)
    if library:
        if kinds or path.suffix == ".spi":
            raise PackageRefused(
                f"{path.name}: provides Argus plugins ({', '.join(kinds) or 'Spotter'}); "
                "a dependency provides none"
            )
        sdk = ""
    elif not kinds:
        raise PackageRefused(
            f"{path.name}: provides no Argus plugin (no entry point in {', '.join(sorted(KINDS))})"
        )
    else:
        sdk = _sdk_requirement(metadata, path.name)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return PackageInfo(
        name=name,
        version=version,
        tags=frozenset(tags),
        kinds=kinds,
        entry_points={g: tuple(n) for g, n in entry_points.items()},
        sdk=sdk,
        sha256=digest.hexdigest(),
        size=path.stat().st_size,
        spotter=path.suffix == ".spi",
        requires=tuple(str(r) for r in metadata.requires_dist or ()),
    )


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_FILES:
        raise PackageRefused(f"{len(infos)} members: more than {MAX_FILES}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            raise PackageRefused(f"member {name!r}: absolute or Windows path")
        if ".." in parts or any(p in ("", ".") for p in name.rstrip("/").split("/")):
            raise PackageRefused(f"member {name!r}: a path that leaves the package")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise PackageRefused(f"member {name!r}: a link")
        kind = stat.S_IFMT(mode)  # 0 when the archiver recorded permissions only
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            raise PackageRefused(f"member {name!r}: not a regular file")
        key = name.lower()
        if key in seen:
            raise PackageRefused(f"member {name!r} appears twice")
        seen.add(key)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise PackageRefused(f"more than {MAX_TOTAL_BYTES >> 20} MiB once unpacked")
        if info.file_size > MIN_RATIO_BYTES and info.file_size > MAX_RATIO * max(
            1, info.compress_size
        ):
            raise PackageRefused(
                f"member {name!r}: compressed {info.compress_size:,} bytes to "
                f"{info.file_size:,} (a decompression bomb)"
            )
    return [i for i in infos if not i.is_dir()]


def dist_info_dir(archive: zipfile.ZipFile, name: str, version: Version) -> str:
    """The name of the one ``.dist-info`` folder of a wheel of ``name`` ``version``.

    :raises PackageRefused: none, or several.
    """
    return _dist_info([m for m in archive.infolist() if not m.is_dir()], name, version)


def _dist_info(members: Iterable[zipfile.ZipInfo], name: str, version: Version) -> str:
    dirs = {m.filename.split("/", 1)[0] for m in members if ".dist-info/" in m.filename}
    dirs = {d for d in dirs if d.endswith(".dist-info")}
    if len(dirs) != 1:
        raise PackageRefused(f"{len(dirs)} .dist-info folders: a wheel has exactly one")
    [folder] = dirs
    project, _, declared = folder.removesuffix(".dist-info").rpartition("-")
    if canonicalize_name(project) != name or Version(declared) != version:
        raise PackageRefused(f"{folder} does not match the file name ({name} {version})")
    return folder


def _read(archive: zipfile.ZipFile, member: str, limit: int = 1 << 22) -> bytes:
    try:
        info = archive.getinfo(member)
    except KeyError as exc:
        raise PackageRefused(f"{member} is missing") from exc
    if info.file_size > limit:
        raise PackageRefused(f"{member}: {info.file_size:,} bytes, more than {limit:,}")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PackageRefused(f"{member}: damaged ({exc})") from exc


def record_of(archive: zipfile.ZipFile, info_dir: str) -> dict[str, tuple[str, int]]:
    """A wheel's RECORD: member → (urlsafe-base64 SHA-256 without padding, size).

    :raises PackageRefused: a line without a sha256 hash and size.
    """
    return _record(archive, info_dir)


def _record(archive: zipfile.ZipFile, info_dir: str) -> dict[str, tuple[str, int]]:
    """RECORD: member → (urlsafe-base64 SHA-256 without padding, size)."""
    _read(archive, f"{info_dir}/WHEEL")
    text = _read(archive, f"{info_dir}/RECORD").decode("utf-8", "replace")
    record: dict[str, tuple[str, int]] = {}
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        member, _, rest = line.rpartition(",")  # the hash and size never hold commas
        member, _, hash_field = member.rpartition(",")
        member = member.strip('"')
        if member == f"{info_dir}/RECORD":
            continue
        algorithm, _, value = hash_field.partition("=")
        if algorithm != "sha256" or not value or not rest.isdigit():
            raise PackageRefused(f"RECORD line {line_no}: {member!r} has no sha256 hash and size")
        record[member] = (value, int(rest))
    return record


def _check_hashes(
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    record: dict[str, tuple[str, int]],
    info_dir: str,
) -> None:
    exempt = {f"{info_dir}/RECORD", f"{info_dir}/RECORD.jws", f"{info_dir}/RECORD.p7s"}
    listed = set(record)
    for info in members:
        if info.filename in exempt:
            continue
        if info.filename not in record:
            raise PackageRefused(f"{info.filename} is not in RECORD")
        expected, size = record[info.filename]
        digest = hashlib.sha256()
        read = 0
        try:
            with archive.open(info) as f:
                while chunk := f.read(_CHUNK):
                    read += len(chunk)
                    if read > info.file_size:
                        raise PackageRefused(f"{info.filename}: more bytes than declared")
                    digest.update(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise PackageRefused(f"{info.filename}: damaged ({exc})") from exc
        actual = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
        if actual != expected or read != size:
            raise PackageRefused(f"{info.filename}: its bytes do not match RECORD (tampered?)")
        listed.discard(info.filename)
    if listed:
        raise PackageRefused(f"RECORD lists files the package lacks: {', '.join(sorted(listed))}")


def _metadata(archive: zipfile.ZipFile, info_dir: str, name: str, version: Version) -> Metadata:
    raw = _read(archive, f"{info_dir}/METADATA")
    try:
        metadata = Metadata.from_email(raw, validate=True)
    except (InvalidMetadata, ExceptionGroup, ValueError) as exc:
        raise PackageRefused(f"METADATA does not parse: {exc}") from exc
    if canonicalize_name(metadata.name) != name or metadata.version != version:
        raise PackageRefused(
            f"METADATA names {metadata.name} {metadata.version}, the file {name} {version}"
        )
    return metadata


def _entry_points(archive: zipfile.ZipFile, info_dir: str) -> dict[str, list[str]]:
    member = f"{info_dir}/entry_points.txt"
    if member not in archive.namelist():
        return {}
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(_read(archive, member).decode("utf-8"))
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise PackageRefused(f"entry_points.txt does not parse: {exc}") from exc
    return {group: list(parser[group]) for group in parser.sections()}


def _sdk_requirement(metadata: Metadata, filename: str) -> str:
    found = [
        requirement
        for requirement in metadata.requires_dist or []  # parsed by Metadata already
        if canonicalize_name(requirement.name) == "argus-sdk"
    ]
    if not found:
        raise PackageRefused(
            f"{filename}: no argus-sdk requirement (declare the platform API range you "
            "support, e.g. argus-sdk>=1.0,<2)"
        )
    specifier = found[0].specifier
    if not any(specifier.contains(v, prereleases=True) for v in RELEASED_APIS):
        raise PackageRefused(
            f"{filename}: argus-sdk{specifier} admits no released platform API "
            f"({', '.join(RELEASED_APIS)})"
        )
    return str(specifier)
