"""``argus-sdk``: the plugin developer's tool — new, test, build, check, sign, keygen.

``check`` runs exactly what the master runs at admission
(:func:`argus_sdk.packages.inspect_package`, then
:func:`argus_sdk.signing.check_signature`), so a developer learns before publishing what
the master would refuse, and why. Exit codes: 0 accepted (or done), 1 refused (or the
build failed), 2 usage error (bad arguments, a missing file or key, a key that exists).

Built on :mod:`argparse`, not the platform's Typer and Rich: the SDK is installed into
every plugin's environment and every node, and four plain commands do not justify two
more dependencies (and their version pins) there.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from argus_sdk._version import __version__
from argus_sdk.packages import PackageInfo, PackageRefused, inspect_package
from argus_sdk.scaffold import KINDS, ScaffoldError, create
from argus_sdk.signing import (
    SIGNATURE_SIZE,
    VENDOR_NAME,
    VendorKeyError,
    check_signature,
    generate_vendor_key,
    load_private_key,
    load_vendor_keys,
    sign_package,
    signature_path,
    verify_signature,
)
from argus_sdk.variants import VariantError, declared_variants, make_variants

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
#: The kinds ``new`` makes.
_KIND_NAMES = tuple(KINDS)


class UsageError(Exception):
    """Bad input from the command line: exit 2 with the message."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One file checked as the master would check it."""

    path: Path
    info: PackageInfo | None  # None when refused
    reason: str  # why it was refused; "" when accepted
    #: "none"; "verified"; "unverified" (no keys given); "invalid" (refused for it);
    #: "unchecked" (the package was refused first)
    signature: str
    vendor: str  # who signed it, when verified

    @property
    def accepted(self) -> bool:
        return self.info is not None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": str(self.path),
            "accepted": self.accepted,
            "reason": self.reason or None,
            "signature": self.signature,
            "vendor": self.vendor or None,
        }
        if self.info is not None:
            info = self.info
            data |= {
                "name": info.name,
                "version": str(info.version),
                "kinds": list(info.kinds),
                "entry_points": {g: list(n) for g, n in info.entry_points.items()},
                "tags": sorted(str(t) for t in info.tags),
                "pure": info.pure,
                "spotter": info.spotter,
                "argus_sdk": info.sdk,
                "size": info.size,
                "sha256": info.sha256,
            }
        return data


def check_file(
    path: Path,
    keys: Mapping[str, Ed25519PublicKey] | None,
    *,
    require_signature: bool = False,
) -> CheckResult:
    """Check one package file and its ``<file>.sig``, if any, as admission would.

    :param keys: the trusted vendor keys; ``None`` when none were given, in which case a
        signature is reported as present but unverified.
    """
    sig = signature_path(path)
    signature = sig.read_bytes() if sig.is_file() else None
    state = "none" if signature is None else "unchecked"
    try:
        info = inspect_package(path)
        if signature is not None:
            state = "invalid"
        if keys is not None:
            vendor = check_signature(path, signature, keys, required=require_signature)
        else:
            vendor = ""
            if signature is not None and len(signature) != SIGNATURE_SIZE:
                verify_signature(path, signature, {})  # refuses it for its size
        if signature is not None:
            state = "verified" if keys is not None else "unverified"
    except PackageRefused as exc:
        return CheckResult(path, None, str(exc).removeprefix(f"{path.name}: "), state, "")
    return CheckResult(path, info, "", state, vendor)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``argus-sdk`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except UsageError as exc:
        print(f"argus-sdk {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code


def _check(args: argparse.Namespace) -> int:
    paths: list[Path] = args.files
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    if args.require_signature and args.vendor_keys is None:
        raise UsageError("--require-signature needs --vendor-keys to verify signatures with")
    keys = _vendor_keys(args.vendor_keys)
    results = [check_file(p, keys, require_signature=args.require_signature) for p in paths]
    if args.json:
        json.dump([r.as_json() for r in results], sys.stdout, indent=2)
        print()
    else:
        for result in results:
            _report(result, sys.stdout)
    return EXIT_OK if all(r.accepted for r in results) else EXIT_REFUSED


def _sign(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        load_private_key(args.key)  # a bad key is a usage error, before any check
    except VendorKeyError as exc:
        raise UsageError(str(exc)) from exc
    try:
        inspect_package(path)
    except PackageRefused as exc:
        print(f"{path}: not signed, the master would refuse it: {exc}")
        return EXIT_REFUSED
    target = sign_package(path, args.key)
    print(f"{path}: signed with {args.key} → {target}")
    return EXIT_OK


def _keygen(args: argparse.Namespace) -> int:
    name: str = args.name
    if not VENDOR_NAME.fullmatch(name):
        raise UsageError(
            f"{name!r} is not a vendor name (letters, digits, '.', '_', '-'; "
            "a letter or digit first)"
        )
    folder: Path = args.dir
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    private, public = folder / f"{name}.key", folder / f"{name}.pem"
    try:
        generate_vendor_key(private, public)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from exc
    print(f"{private}: private key (keep it secret): argus-sdk sign FILE --key {private}")
    print(f"{public}: public key: for the vendor_keys_dir of the masters that trust {name}")
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    parent: Path = args.dir
    if not parent.is_dir():
        raise UsageError(f"{parent}: no such folder")
    try:
        root = create(args.kind, args.name, parent)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from exc
    print(f"{root}: a new {args.kind} plugin ({KINDS[args.kind].summary})")
    print("next:")
    print(f"  cd {root}")
    print("  pip install -e '.[test]'   # in your virtualenv")
    print("  argus-sdk test             # its tests pass as they are")
    print("  argus-sdk build            # dist/<wheel>, checked as the master checks it")
    return EXIT_OK


#: pytest's exit codes → ours: tests failed or none ran → 1; pytest's usage error → 2.
_PYTEST_EXIT = {0: EXIT_OK, 1: EXIT_REFUSED, 2: EXIT_REFUSED, 3: EXIT_REFUSED, 4: EXIT_USAGE}


def _test(args: argparse.Namespace) -> int:
    project: Path = args.project
    if not (project / "pyproject.toml").is_file():
        raise UsageError(f"{project}: no pyproject.toml (not a plugin project folder)")
    if importlib.util.find_spec("pytest") is None:
        raise UsageError("pytest is not installed here: pip install 'argus-sdk[test]'")
    command = [sys.executable, "-m", "pytest", *args.pytest_args]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        command[3:3] = ["-p", "argus_sdk.conformance.plugin"]
    print(f"argus-sdk test: {' '.join(command[1:])} (in {project})", flush=True)
    code = subprocess.run(command, cwd=project, check=False).returncode
    if code == 5:
        print(f"argus-sdk test: {project}: no tests were collected", file=sys.stderr)
        return EXIT_REFUSED
    return _PYTEST_EXIT.get(code, EXIT_REFUSED)


def _build(args: argparse.Namespace) -> int:
    # build and pyproject_hooks are imported here: only this command needs them.
    from build import BuildBackendException, BuildException, ProjectBuilder

    project: Path = args.project
    if not (project / "pyproject.toml").is_file():
        raise UsageError(f"{project}: no pyproject.toml (not a plugin project folder)")
    out: Path = args.out if args.out is not None else project / "dist"
    try:
        variants = declared_variants(project)
    except VariantError as exc:
        raise UsageError(str(exc)) from exc
    try:
        # No isolation: the backend runs in this Python, so building needs no network.
        builder = ProjectBuilder(project, python_executable=sys.executable, runner=_runner)
        missing = builder.check_dependencies("wheel")
    except BuildException as exc:
        raise UsageError(str(exc)) from exc
    if missing:
        needed = sorted({chain[0] for chain in missing})
        raise UsageError(
            f"the build backend needs {', '.join(needed)} in this environment "
            f"(builds are not isolated, nothing is downloaded): pip install {' '.join(needed)}"
        )
    out.mkdir(parents=True, exist_ok=True)
    try:
        wheel = Path(builder.build("wheel", out))
    except (BuildException, BuildBackendException) as exc:
        print(f"{project}: the build failed: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if variants:
        try:
            files = make_variants(wheel, variants, out)
        except VariantError as exc:
            print(f"{project}: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        finally:
            wheel.unlink()  # only the variants are distributed
    else:
        files = [_as_spi(wheel)]
    for built in files:
        print(f"built {built}", file=sys.stderr if args.json else sys.stdout)
    args.files, args.require_signature = files, False
    return _check(args)


def _as_spi(wheel: Path) -> Path:
    """A package that provides only Spotter plugins is distributed as ``.spi``."""
    try:
        kinds = inspect_package(wheel).kinds
    except PackageRefused:
        return wheel  # check says why
    if kinds != ("spi",):
        return wheel
    spi = wheel.with_suffix(".spi")
    wheel.replace(spi)
    return spi


def _runner(
    cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
) -> None:
    """Run the build backend with its output on stderr: stdout is the check's result."""
    env = os.environ | dict(extra_environ or {})
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=sys.stderr)


def _vendor_keys(folder: Path | None) -> dict[str, Ed25519PublicKey] | None:
    if folder is None:
        return None
    try:
        keys = load_vendor_keys(folder)
    except VendorKeyError as exc:
        raise UsageError(str(exc)) from exc
    if not keys:
        raise UsageError(f"{folder}: no <vendor>.pem public key in it")
    return keys


def _report(result: CheckResult, out: TextIO) -> None:
    if result.info is None:
        print(f"{result.path}: refused: {result.reason}", file=out)
        return
    info = result.info
    entry_points = "; ".join(f"{g}: {', '.join(n)}" for g, n in info.entry_points.items())
    signature = {
        "none": "unsigned",
        "verified": f"signed by {result.vendor} (verified)",
        "unverified": "signed, not verified (give --vendor-keys DIR to verify)",
    }[result.signature]
    rows = [
        ("name", info.name),
        ("version", str(info.version)),
        ("kinds", f"{', '.join(info.kinds)} ({entry_points})"),
        ("tags", ", ".join(sorted(str(t) for t in info.tags))),
        ("argus-sdk", info.sdk),
        ("size", f"{info.size:,} bytes"),
        ("sha256", info.sha256),
        ("vendor", signature),
    ]
    print(f"{result.path}: accepted{' (Spotter plugin)' if info.spotter else ''}", file=out)
    for label, value in rows:
        print(f"  {label:<10} {value}", file=out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="argus-sdk",
        description="Make, test, build, check and sign Argus plugin packages as the master "
        "checks them.",
    )
    parser.add_argument("--version", action="version", version=f"argus-sdk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="check packages as the master does at admission",
        description="Check plugin packages (.whl, .spi) exactly as the master does at "
        "admission, with the FILE.sig beside each when there is one. "
        "Exit 0: all accepted; 1: one or more refused; 2: usage error.",
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _check_options(check)
    check.add_argument(
        "--require-signature",
        action="store_true",
        help="refuse unsigned packages (as a master with require_vendor_signature)",
    )
    check.set_defaults(run=_check)

    sign = commands.add_parser(
        "sign",
        help="sign a package with a vendor key (writes FILE.sig)",
        description="Check a package, then write FILE.sig: the raw Ed25519 signature of "
        "its bytes, which the master verifies with the vendor's public key.",
    )
    sign.add_argument("file", type=Path, metavar="FILE")
    sign.add_argument("--key", type=Path, required=True, metavar="PRIVATE", help="NAME.key")
    sign.set_defaults(run=_sign)

    keygen = commands.add_parser(
        "keygen",
        help="make a vendor key pair (NAME.key private, NAME.pem public)",
        description="Make an Ed25519 vendor key pair: NAME.key (private, mode 0600) and "
        "NAME.pem (public; the master knows the vendor by this file name). Never "
        "overwrites a key.",
    )
    keygen.add_argument("name", metavar="NAME", help="the vendor name, e.g. acme")
    keygen.add_argument("--dir", type=Path, default=Path(), help="where to write (default: .)")
    keygen.set_defaults(run=_keygen)

    new = commands.add_parser(
        "new",
        help="make a new plugin project that passes its own tests",
        description="Write a complete plugin project into DIR/NAME: pyproject.toml with "
        "its entry point and argus-sdk range, the standard files of that kind implementing "
        "its hooks, a README, and tests (with the conformance kit for drivers). Offline.",
    )
    new.add_argument("kind", choices=_KIND_NAMES, metavar="KIND", help=", ".join(_KIND_NAMES))
    new.add_argument("name", metavar="NAME", help="the distribution name, e.g. acme-cam")
    new.add_argument("--dir", type=Path, default=Path(), help="where to create it (default: .)")
    new.set_defaults(run=_new)

    test = commands.add_parser(
        "test",
        help="run a plugin project's tests with the conformance kit",
        description="Run pytest on the project's tests (the conformance kit is a pytest "
        "plugin of the SDK), then print which conformance checks ran and how they ended. "
        "Arguments after the folder go to pytest. Exit 0: all passed; 1: a test failed or "
        "none ran; 2: usage error.",
    )
    test.add_argument("project", type=Path, nargs="?", default=Path(), metavar="PROJECT_DIR")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, metavar="PYTEST_ARGS")
    test.set_defaults(run=_test)

    build = commands.add_parser(
        "build",
        help="build a plugin project's wheel, then check it",
        description="Build the wheel of a plugin project with its own build backend "
        "(PEP 517, without isolation: the backend must be installed, nothing is "
        "downloaded), then check it as `check` does. A package providing only Spotter "
        "plugins is renamed .spi. With [tool.argus.variants] in pyproject.toml, one wheel "
        "per platform is made, each with its folder of native files.",
    )
    build.add_argument("project", type=Path, nargs="?", default=Path(), metavar="PROJECT_DIR")
    build.add_argument(
        "--out", type=Path, default=None, help="output folder (default: PROJECT_DIR/dist)"
    )
    _check_options(build)
    build.set_defaults(run=_build)
    return parser


def _check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--vendor-keys",
        type=Path,
        metavar="DIR",
        help="trusted vendors' <vendor>.pem public keys: verify FILE.sig with them",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


if __name__ == "__main__":
    sys.exit(main())
