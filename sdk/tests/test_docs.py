"""The SDK docs cannot drift from the code: regenerated reference, every name documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import argus_sdk
from argus_sdk import _docgen
from argus_sdk.hookspecs import KINDS, MODULES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sdk"
HOOKS = [(m, n) for m in MODULES for n in dir(m) if n.startswith("argus_")]


def docs_text() -> str:
    return "\n".join(p.read_text() for p in sorted(DOCS.glob("*.md")))


def test_reference_is_regenerated() -> None:
    committed = (DOCS / "reference.md").read_text()
    assert committed == _docgen.render(), (
        "docs/sdk/reference.md is stale: run "
        "`.venv/bin/python -m argus_sdk._docgen > docs/sdk/reference.md`"
    )


@pytest.mark.parametrize("name", [n for _, n in HOOKS])
def test_every_hook_is_documented(name: str) -> None:
    assert f"`{name}(" in docs_text()


@pytest.mark.parametrize("name", argus_sdk.__all__)
def test_every_public_name_is_documented(name: str) -> None:
    assert f"`{name}`" in docs_text()


@pytest.mark.parametrize(("module", "name"), HOOKS, ids=[n for _, n in HOOKS])
def test_every_hook_says_who_calls_it_and_what_it_returns(module: object, name: str) -> None:
    func = getattr(module, name)
    doc = inspect.getdoc(func) or ""
    assert "Called by the" in doc, f"{name}: say who calls it and when"
    hints = inspect.get_annotations(func, eval_str=True)
    if hints.get("return") is not None and hints["return"] is not type(None):
        assert ":returns:" in doc, f"{name}: say what it returns"
        assert "Fan-out" in doc or "firstresult" in doc, f"{name}: say how results combine"
    for param in inspect.signature(func).parameters:
        assert f":param {param}:" in doc, f"{name}: document parameter {param}"


def test_every_kind_has_a_hook_and_a_group() -> None:
    for group, (_kind, module) in KINDS.items():
        assert group.startswith("argus.")
        assert any(n.startswith("argus_") for n in dir(module)), group


def test_public_names_are_importable_and_private_modules_are_not_exported() -> None:
    for name in argus_sdk.__all__:
        assert hasattr(argus_sdk, name), name
    assert all(not n.startswith("_") for n in argus_sdk.__all__)
