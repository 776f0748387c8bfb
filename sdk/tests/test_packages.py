"""Plugin packages checked before anything is unpacked: a real wheel and a .spi pass; a
hostile corpus made here is refused, each with its precise reason."""

from __future__ import annotations

import base64
import hashlib
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from argus_sdk.packages import PackageRefused, inspect_package
from argus_sdk.testing import make_wheel

ROOT = Path(__file__).resolve().parents[2]
METADATA = (
    "Metadata-Version: 2.1\nName: acme-driver\nVersion: 2.4.0\nRequires-Dist: argus-sdk>=1.0,<2\n"
)
INFO = "acme_driver-2.4.0.dist-info"


def _hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel(tmp_path: Path, **kwargs: Any) -> Path:
    return make_wheel(tmp_path / "acme_driver-2.4.0-py3-none-any.whl", **kwargs)


def refused(path: Path) -> str:
    with pytest.raises(PackageRefused) as caught:
        inspect_package(path)
    return str(caught.value)


def test_a_well_made_wheel_is_described(tmp_path: Path) -> None:
    path = wheel(tmp_path)
    info = inspect_package(path)
    assert (info.name, str(info.version)) == ("acme-driver", "2.4.0")
    assert info.kinds == ("camera-driver",) and info.entry_points == {
        "argus.camera_drivers": ("acme",)
    }
    assert info.sdk == "<2,>=1.0" and info.pure and not info.spotter
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_a_real_wheel_and_a_real_spi_built_from_the_workspace_pass(tmp_path: Path) -> None:
    for dist in ("drivers/sim", "spi/diagnostics"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "--quiet",
                "-w",
                str(tmp_path),
                str(ROOT / dist),
            ],
            check=True,
            timeout=300,
        )
    [sim] = tmp_path.glob("argus_driver_sim-*.whl")
    assert inspect_package(sim).kinds == ("camera-driver", "encoder-driver")
    [diagnostics] = tmp_path.glob("argus_spi_diagnostics-*.whl")
    spi = diagnostics.rename(diagnostics.with_suffix(".spi"))
    info = inspect_package(spi)
    assert info.kinds == ("spi",) and info.spotter


def test_tampered_bytes_are_refused(tmp_path: Path) -> None:
    def record(members: dict[str, bytes]) -> str:
        lines = [f"{n},sha256={_hash(d)},{len(d)}" for n, d in members.items()]
        return "\n".join(lines).replace(_hash(b"from argus_sdk import hookimpl\n"), _hash(b"x"))

    assert "do not match RECORD" in refused(wheel(tmp_path, record=record))


def test_a_record_without_hashes_and_files_it_does_not_list_are_refused(tmp_path: Path) -> None:
    def no_hash(members: dict[str, bytes]) -> str:
        return "".join(f"{n},,\n" for n in members)

    assert "no sha256 hash" in refused(wheel(tmp_path, record=no_hash))

    def unlisted(archive: zipfile.ZipFile) -> None:
        archive.writestr("acme_driver/backdoor.py", b"import os\n")

    other = tmp_path / "b"
    other.mkdir()
    assert "backdoor.py is not in RECORD" in refused(wheel(other, extra=unlisted))


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("../evil.py", "leaves the package"),
        ("acme_driver/../../evil.py", "leaves the package"),
        ("/etc/cron.d/evil", "absolute"),
        ("C:/Windows/evil.dll", "absolute"),
        ("acme_driver\\..\\evil.py", "absolute or Windows"),
    ],
)
def test_paths_that_leave_the_package_are_refused(tmp_path: Path, member: str, reason: str) -> None:
    def add(archive: zipfile.ZipFile) -> None:
        archive.writestr(zipfile.ZipInfo(member), b"x")

    assert reason in refused(wheel(tmp_path, extra=add))


def test_links_are_refused(tmp_path: Path) -> None:
    def link(archive: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo("acme_driver/passwd")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")

    assert "a link" in refused(wheel(tmp_path, extra=link))


def test_a_decompression_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    def bomb(archive: zipfile.ZipFile) -> None:
        archive.writestr("acme_driver/data.bin", b"\0" * (64 << 20))

    path = wheel(tmp_path, extra=bomb)
    assert path.stat().st_size < 1 << 20  # 64 MiB of zeros in well under 1 MiB
    assert "decompression bomb" in refused(path)


def test_a_package_with_no_argus_plugin_is_refused(tmp_path: Path) -> None:
    assert "provides no Argus plugin" in refused(wheel(tmp_path, entry_points=None))
    other = tmp_path / "b"
    other.mkdir()
    console = "[console_scripts]\nacme = acme_driver:main\n"
    assert "provides no Argus plugin" in refused(wheel(other, entry_points=console))


def test_the_platform_api_range_must_be_declared_and_satisfiable(tmp_path: Path) -> None:
    never = METADATA.replace("argus-sdk>=1.0,<2", "argus-sdk>=7")
    assert "admits no released platform API" in refused(wheel(tmp_path, metadata=never))
    other = tmp_path / "b"
    other.mkdir()
    none = METADATA.replace("Requires-Dist: argus-sdk>=1.0,<2\n", "")
    assert "no argus-sdk requirement" in refused(wheel(other, metadata=none))


def test_metadata_must_parse_and_match_the_file_name(tmp_path: Path) -> None:
    other_name = METADATA.replace("Name: acme-driver", "Name: evil-driver")
    assert "METADATA names evil-driver" in refused(wheel(tmp_path, metadata=other_name))
    broken = tmp_path / "b"
    broken.mkdir()
    garbage = "Metadata-Version: 2.1\nName: acme-driver\nVersion: not a version\n"
    assert "METADATA does not parse" in refused(wheel(broken, metadata=garbage))


def test_names_and_archives_that_are_not_packages_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "acme_driver-2.4.0-py3-none-any.whl"
    text.write_text("not a zip")
    assert "not a readable zip" in refused(text)
    assert ".whl or a .spi" in refused(tmp_path / "acme.tar.gz")
    odd = make_wheel(tmp_path / "acme_driver.whl")
    assert "not a wheel file name" in refused(odd)
    mismatch = make_wheel(tmp_path / "acme_driver-9.9.9-py3-none-any.whl")
    assert "does not match the file name" in refused(mismatch)
