"""Tokens the master signs and a node verifies offline; every way a token can be bad."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from argus.protocol import Right
from argus.security.tokens import (
    InvalidToken,
    TokenIssuer,
    TokenVerifier,
    load_or_create_signing_key,
    load_public_key,
    public_pem,
)
from argus_sdk.testing import ManualClock


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    return load_or_create_signing_key(tmp_path / "master.key")


def issue(key: Ed25519PrivateKey, clock: ManualClock, node: str = "n1") -> str:
    return TokenIssuer(key, "master-1", clock, ttl=300).issue(
        user_id="7",
        user_name="olga",
        node_id=node,
        rights={"gate": [Right.LIVE, Right.PLAYBACK, Right.LIVE]},
    )


def test_a_node_accepts_its_own_token_and_reads_the_rights(key: Ed25519PrivateKey) -> None:
    clock = ManualClock(start=1_800_000_000)
    verifier = TokenVerifier(load_public_key(public_pem(key)), "n1", clock)
    claims = verifier.verify(issue(key, clock))
    assert (claims.sub, claims.name, claims.iss) == ("7", "olga", "master-1")
    assert claims.may("gate", Right.PLAYBACK) and not claims.may("gate", Right.EXPORT)
    assert not claims.may("door", Right.LIVE)
    assert claims.rights == {"gate": [Right.LIVE, Right.PLAYBACK]}


def test_key_file_is_private_and_reused(tmp_path: Path) -> None:
    first = load_or_create_signing_key(tmp_path / "k.pem")
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    assert public_pem(load_or_create_signing_key(tmp_path / "k.pem")) == public_pem(first)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("expired", "token expired"),
        ("other-node", "token is for another node"),
        ("forged", "token signature does not verify"),
        ("edited", "token signature does not verify"),
        ("garbage", "malformed token"),
        ("future", "token issued in the future"),
    ],
)
def test_bad_tokens_are_refused_with_a_reason(
    key: Ed25519PrivateKey, tamper: str, reason: str
) -> None:
    clock = ManualClock(start=1_800_000_000)
    verifier = TokenVerifier(key.public_key(), "n1", clock)
    token = issue(key, clock)
    if tamper == "expired":
        clock.advance(300 + 31)
    elif tamper == "other-node":
        token = issue(key, clock, node="n2")
    elif tamper == "forged":
        token = issue(Ed25519PrivateKey.generate(), clock)
    elif tamper == "edited":
        head, body, sig = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=="))
        claims["rights"] = {"gate": ["export"]}
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        token = f"{head}.{body}.{sig}"
    elif tamper == "garbage":
        token = "not.a.token"
    elif tamper == "future":
        clock.set_wall(1_800_000_000 - 3600)
    with pytest.raises(InvalidToken) as refused:
        verifier.verify(token)
    assert refused.value.reason == reason


def test_an_unsigned_token_is_refused(key: Ed25519PrivateKey) -> None:
    clock = ManualClock(start=1_800_000_000)
    unsigned = jwt.encode(
        {"sub": "7", "aud": "argus-node:n1", "iat": 1_800_000_000, "exp": 1_800_000_300},
        key=None,
        algorithm="none",
    )
    with pytest.raises(InvalidToken):
        TokenVerifier(key.public_key(), "n1", clock).verify(unsigned)
